//! `vigie register …`: list, show, verify (with witnesses), export, verify-bundle (pinned key),
//! purge, hold, release, processing CSV, flight report, transparency export, witness.
//!
//! Every read goes through `vigie_register`, which writes the access journal (R242-12) first: who
//! (`--actor`, or VIGIE_ACTOR), why (`--motive`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};
use vigie_register::{
    Actor, FlightFilter, HoldRelease, LegalHold, OpenOptions, PinnedKey, Register, RegisterKind,
    VerifyOptions,
};

use crate::exit::BadInput;

/// Which register, and who is acting.
#[derive(Debug, Clone, clap::Args)]
pub struct Access {
    /// Use the separate training register instead of the legal one.
    #[arg(long)]
    pub training: bool,
    /// PostgreSQL register (libpq conninfo) instead of the SQLite file in the data directory.
    #[arg(long, env = "VIGIE_REGISTER_POSTGRES", hide_env_values = true)]
    pub postgres: Option<String>,
    /// Who acts (identifier), written to the access journal.
    #[arg(long, env = "VIGIE_ACTOR")]
    pub actor: Option<String>,
    /// Name of who acts (defaults to the identifier).
    #[arg(long, env = "VIGIE_ACTOR_NAME")]
    pub actor_name: Option<String>,
    /// Role of who acts (chef de service, OPJ, agent...).
    #[arg(long, env = "VIGIE_ROLE", default_value = "agent")]
    pub role: String,
}

impl Access {
    pub fn open(&self, global: &crate::Global) -> anyhow::Result<Register> {
        self.open_mode(global, false)
    }

    /// `read_only`: for verification; nothing is created or written (a seized copy stays as it is).
    pub fn open_mode(&self, global: &crate::Global, read_only: bool) -> anyhow::Result<Register> {
        let kind = if self.training {
            RegisterKind::Training
        } else {
            RegisterKind::Legal
        };
        let mut options = OpenOptions::new(kind);
        options.postgres = self.postgres.clone();
        options.read_only = read_only;
        let dir = global.data_dir();
        Register::open_with(&dir, options)
            .map_err(to_anyhow)
            .with_context(|| format!("opening the register in {}", dir.display()))
    }

    pub fn actor(&self) -> anyhow::Result<Actor> {
        let Some(id) = self.actor.clone().filter(|a| !a.trim().is_empty()) else {
            return Err(BadInput(
                "who is acting is required for the access journal (R242-12): pass --actor ID or set VIGIE_ACTOR".into(),
            )
            .into());
        };
        Ok(Actor {
            name: self.actor_name.clone().unwrap_or_else(|| id.clone()),
            id,
            role: self.role.clone(),
        })
    }
}

#[derive(Debug, clap::Subcommand)]
pub enum RegisterCommand {
    /// List flights (journaled as a consultation).
    List {
        #[command(flatten)]
        access: Access,
        /// Why (judicial, administrative, disciplinary, training) and the reference.
        #[arg(long)]
        motive: String,
        /// Flights started on or after this day (YYYY-MM-DD) or instant (RFC 3339).
        #[arg(long)]
        from: Option<String>,
        /// Flights started on or before this day (YYYY-MM-DD, inclusive) or instant (RFC 3339).
        #[arg(long)]
        to: Option<String>,
        #[arg(long)]
        pilot: Option<String>,
        #[arg(long)]
        aircraft: Option<String>,
        /// Arrêté number of the authorisation.
        #[arg(long)]
        authorisation: Option<String>,
        #[arg(long)]
        finalite: Option<String>,
        /// Only this station's flights (a département register holds several).
        #[arg(long)]
        station: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Everything about one flight (journaled as a consultation).
    Show {
        flight: String,
        #[command(flatten)]
        access: Access,
        #[arg(long)]
        motive: String,
    },
    /// Walk the whole chain and every referenced file; exit 1 at the first break. Writes nothing.
    ///
    /// Alone, it proves every entry is intact and linked, but cannot see entries cut off the END of
    /// a chain (nor a whole chain removed): give a witness, where the station sent its signed heads,
    /// to prove nothing after the witnessed head has gone missing.
    Verify {
        #[command(flatten)]
        access: Access,
        /// A witness of the chain heads: a directory (second disk) or a PostgreSQL conninfo.
        /// Repeat for several.
        #[arg(long)]
        witness: Vec<String>,
        /// File of registered station keys, one `STATION_ID PUBLIC_KEY_HEX` per line: each chain
        /// must start with its registered key, and every registered station must be there.
        #[arg(long)]
        station_keys: Option<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Send this station's signed chain head to a witness now (the station also does it at every
    /// seal and on a timer).
    Witness {
        #[command(flatten)]
        access: Access,
        /// A directory (second disk) or a PostgreSQL conninfo. Repeat for several.
        #[arg(long = "to", required = true)]
        to: Vec<String>,
    },
    /// Write an evidence bundle for a flight (journaled as an extraction).
    Export {
        flight: String,
        #[command(flatten)]
        access: Access,
        #[arg(long)]
        motive: String,
        #[arg(long)]
        recipient: String,
        /// New (or empty) directory to write the bundle into.
        #[arg(long)]
        out: PathBuf,
    },
    /// Verify an evidence bundle with nothing but its own files (symbolic links are refused).
    VerifyBundle {
        dir: PathBuf,
        /// The station key you trust (published by the service): 64 hex digits, or a
        /// station-ed25519.pub / .pub.pem file. Without it, the key shipped in the bundle is used,
        /// which proves nothing until compared with the published one.
        #[arg(long)]
        key: Option<String>,
    },
    /// Erase what retention makes due (R242-11, R242-12), journaling each erasure with who and why.
    Purge {
        #[command(flatten)]
        access: Access,
        /// Why (e.g. "contrôle des durées de conservation").
        #[arg(long)]
        motive: String,
        /// Decide as of this past instant (RFC 3339); default: now. A future instant is refused.
        #[arg(long)]
        now: Option<String>,
    },
    /// The flight report for the chief of service: FLIGHT.html and FLIGHT.pdf in DIR (journaled).
    Report {
        flight: String,
        #[command(flatten)]
        access: Access,
        #[arg(long)]
        motive: String,
        /// Directory to write the report into (created 0700).
        #[arg(long)]
        out: PathBuf,
    },
    /// Aggregated figures for the public (no personal data); `--approve` records the chief's
    /// approval in the register, and the export says who approved it.
    Transparency {
        #[command(flatten)]
        access: Access,
        /// First day (YYYY-MM-DD).
        #[arg(long)]
        from: String,
        /// Last day (YYYY-MM-DD, inclusive).
        #[arg(long)]
        to: String,
        /// FILE.json or FILE.html.
        #[arg(long)]
        out: PathBuf,
        /// Approve this export for publication (recorded as a register entry, as --actor).
        #[arg(long)]
        approve: bool,
        #[arg(long, default_value = "transparency export")]
        motive: String,
    },
    /// Place a legal hold on a flight: its recordings are kept until released.
    Hold {
        flight: String,
        #[command(flatten)]
        access: Access,
        /// Reference of the judicial, administrative or disciplinary procedure.
        #[arg(long)]
        procedure: String,
    },
    /// Lift the legal hold on a flight (journaled).
    Release {
        flight: String,
        #[command(flatten)]
        access: Access,
        #[arg(long)]
        motive: String,
    },
    /// Register of processing (L242-4) as CSV: purpose, recording durations, who had access.
    ProcessingCsv {
        #[command(flatten)]
        access: Access,
        #[arg(long)]
        motive: String,
        /// Write to this file instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Print the station's public key (hex) and write the key files into DIR if given.
    PublicKey {
        #[command(flatten)]
        access: Access,
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// Register errors the user can fix become exit status 2.
pub fn to_anyhow(e: vigie_register::Error) -> anyhow::Error {
    match e {
        vigie_register::Error::BadInput(msg) => BadInput(msg).into(),
        other => anyhow::Error::new(other),
    }
}

/// Columns padded to their widest cell (by characters, so accents line up).
fn print_table(rows: &[[String; 8]]) {
    let mut widths = [0usize; 8];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell}{}", " ".repeat(w - cell.chars().count())))
            .collect();
        println!("{}", line.join("  ").trim_end());
    }
}

fn parse_time(field: &str, text: &str, end_of_day: bool) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let t = if end_of_day {
            d.and_hms_micro_opt(23, 59, 59, 999_999)
        } else {
            d.and_hms_opt(0, 0, 0)
        };
        if let Some(t) = t {
            return Ok(t.and_utc());
        }
    }
    Err(BadInput(format!(
        "--{field} {text:?}: expected YYYY-MM-DD or an RFC 3339 instant (2026-11-28T14:00:00Z)"
    ))
    .into())
}

pub fn run(global: &crate::Global, command: RegisterCommand) -> anyhow::Result<ExitCode> {
    match command {
        RegisterCommand::List {
            access,
            motive,
            from,
            to,
            pilot,
            aircraft,
            authorisation,
            finalite,
            station,
            json,
        } => {
            let filter = FlightFilter {
                station,
                from: from
                    .as_deref()
                    .map(|t| parse_time("from", t, false))
                    .transpose()?,
                to: to
                    .as_deref()
                    .map(|t| parse_time("to", t, true))
                    .transpose()?,
                pilot_id: pilot,
                aircraft,
                arrete_number: authorisation,
                finalite,
            };
            let actor = access.actor()?;
            let mut reg = access.open(global)?;
            let flights = reg
                .list_flights(&filter, &actor, &motive)
                .map_err(to_anyhow)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&flights)?);
            } else {
                let mut rows: Vec<[String; 8]> = vec![
                    [
                        "FLIGHT",
                        "STARTED (UTC)",
                        "PILOT",
                        "AIRCRAFT",
                        "ARRÊTÉ",
                        "FINALITÉ",
                        "SEALED",
                        "HOLD",
                    ]
                    .map(String::from),
                ];
                for f in &flights {
                    rows.push([
                        f.flight_id.clone(),
                        f.started_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                        f.pilot_id.clone(),
                        f.aircraft_registration.clone(),
                        f.arrete_number.clone(),
                        f.finalite.clone(),
                        (if f.sealed { "yes" } else { "no" }).into(),
                        (if f.on_hold { "HOLD" } else { "" }).into(),
                    ]);
                }
                print_table(&rows);
                // On stdout after the table, on its own line (it used to go to stderr and could
                // land on the last row's line when both streams were read together).
                println!("{} flight(s); consultation journaled", flights.len());
            }
            Ok(ExitCode::SUCCESS)
        }
        RegisterCommand::Show {
            flight,
            access,
            motive,
        } => {
            let actor = access.actor()?;
            let mut reg = access.open(global)?;
            let view = reg
                .show_flight(&flight, &actor, &motive)
                .map_err(to_anyhow)?;
            println!("{}", serde_json::to_string_pretty(&view)?);
            Ok(ExitCode::SUCCESS)
        }
        RegisterCommand::Verify {
            access,
            witness,
            station_keys,
            json,
        } => {
            let mut reg = access.open_mode(global, true)?;
            let mut options = VerifyOptions::default();
            let mut labels = Vec::new();
            for spec in &witness {
                let mut w = vigie_register::open_witness(spec).map_err(to_anyhow)?;
                let got = w.heads().map_err(to_anyhow)?;
                for p in &got.problems {
                    eprintln!("witness {}: {p}", w.describe());
                }
                labels.push(w.describe());
                options.witness_heads.extend(got.heads);
            }
            options.witness_label = labels.join(" + ");
            if let Some(path) = &station_keys {
                options.pinned_keys = read_station_keys(path)?;
            }
            let report = reg.verify_with(&options).map_err(to_anyhow)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            }
            for c in &report.chains {
                let witnessed = match c.witnessed_seq {
                    Some(w) if w == c.last_seq => "witnessed up to its end".to_string(),
                    Some(w) => format!(
                        "witnessed up to seq {w}; the {} newest entr(ies) after it are not witnessed yet",
                        c.last_seq - w
                    ),
                    None if witness.is_empty() => "no witness given".to_string(),
                    None => "NOT witnessed".to_string(),
                };
                println!(
                    "station {}: {} entries, ends at seq {} (entry {}, {}), {witnessed}",
                    c.station, c.entries, c.last_seq, c.last_id, c.last_recorded_at
                );
            }
            if witness.is_empty() {
                println!(
                    "without a witness, verify proves each entry intact and linked to the previous one, \
                     but cannot see entries cut off the end of a chain or a chain removed whole: \
                     run with --witness DIR|CONNINFO"
                );
            }
            if let Some(first) = report.first_break() {
                eprintln!("register {}: BROKEN at {first}", reg.location());
                for b in report.breaks.iter().skip(1).take(20) {
                    eprintln!("  also: {b}");
                }
                return Ok(ExitCode::from(crate::exit::FAILURE));
            }
            println!(
                "register {}: OK ({} entries, {} stations, {} signatures, {} files, {} erased by retention)",
                reg.location(),
                report.entries,
                report.stations,
                report.signatures,
                report.files,
                report.tombstones
            );
            Ok(ExitCode::SUCCESS)
        }
        RegisterCommand::Export {
            flight,
            access,
            motive,
            recipient,
            out,
        } => {
            let actor = access.actor()?;
            let mut reg = access.open(global)?;
            let r = reg
                .export_bundle(&flight, &motive, &recipient, &actor, &out)
                .map_err(to_anyhow)?;
            println!(
                "bundle {}: {} files, {} chain entries; extraction journaled as entry {}",
                r.dir.display(),
                r.files,
                r.chain_entries,
                r.journal_entry
            );
            Ok(ExitCode::SUCCESS)
        }
        RegisterCommand::VerifyBundle { dir, key } => {
            let pinned = key
                .as_deref()
                .map(PinnedKey::parse)
                .transpose()
                .map_err(to_anyhow)?;
            let v =
                vigie_register::verify_bundle_with_key(&dir, pinned.as_ref()).map_err(to_anyhow)?;
            println!(
                "bundle {}: checked with key {} — {}",
                dir.display(),
                v.public_key_hex,
                v.key_source
            );
            if v.is_ok() {
                println!(
                    "bundle {}: OK ({} files, {} chain entries; station {})",
                    dir.display(),
                    v.files_checked,
                    v.entries_checked,
                    v.station_id,
                );
                if pinned.is_none() {
                    println!(
                        "the key is the bundle's own: compare it with the one the service published, or pass --key"
                    );
                }
                Ok(ExitCode::SUCCESS)
            } else {
                for p in &v.problems {
                    eprintln!("bundle {}: {p}", dir.display());
                }
                Ok(ExitCode::from(crate::exit::FAILURE))
            }
        }
        RegisterCommand::Purge {
            access,
            motive,
            now,
        } => {
            let actor = access.actor()?;
            let mut reg = access.open(global)?;
            let now = match now {
                Some(t) => parse_time("now", &t, false)?,
                None => reg.now(),
            };
            let r = reg.purge_by(now, &actor, &motive).map_err(to_anyhow)?;
            println!(
                "purge at {now}: {} entries erased, {} files deleted, {} flights kept under legal hold, {} journal days signed",
                r.erased_entries.len(),
                r.deleted_files.len(),
                r.held_flights.len(),
                r.journal_days_sealed.len()
            );
            for f in &r.failures {
                eprintln!("could not delete {f} (erasure journaled; the next purge retries)");
            }
            Ok(ExitCode::from(if r.failures.is_empty() {
                crate::exit::DONE
            } else {
                crate::exit::FAILURE
            }))
        }
        RegisterCommand::Hold {
            flight,
            access,
            procedure,
        } => {
            let actor = access.actor()?;
            let mut reg = access.open(global)?;
            let a = reg
                .place_hold(&LegalHold {
                    flight_id: flight.clone(),
                    procedure_ref: procedure,
                    placed_by: actor,
                    placed_at: Utc::now(),
                })
                .map_err(to_anyhow)?;
            println!("legal hold placed on {flight} (entry {})", a.id);
            Ok(ExitCode::SUCCESS)
        }
        RegisterCommand::Release {
            flight,
            access,
            motive,
        } => {
            let actor = access.actor()?;
            let mut reg = access.open(global)?;
            let a = reg
                .release_hold(&HoldRelease {
                    flight_id: flight.clone(),
                    released_by: actor,
                    released_at: Utc::now(),
                    motive,
                })
                .map_err(to_anyhow)?;
            println!("legal hold on {flight} lifted (entry {})", a.id);
            Ok(ExitCode::SUCCESS)
        }
        RegisterCommand::ProcessingCsv {
            access,
            motive,
            out,
        } => {
            let actor = access.actor()?;
            let mut reg = access.open(global)?;
            let csv = reg
                .processing_register_csv(&actor, &motive)
                .map_err(to_anyhow)?;
            match out {
                Some(path) => std::fs::write(&path, csv)
                    .with_context(|| format!("writing {}", path.display()))?,
                None => print!("{csv}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        RegisterCommand::Witness { access, to } => {
            let mut reg = access.open(global)?;
            for spec in &to {
                reg.add_witness(vigie_register::open_witness(spec).map_err(to_anyhow)?);
            }
            let r = reg.witness_now().map_err(to_anyhow)?;
            println!(
                "head of station {}: seq {} (entry {}) hash {} signed at {}",
                r.head.station, r.head.station_seq, r.head.entry_id, r.head.hash, r.head.at
            );
            for d in &r.delivered {
                println!("witnessed by {d}");
            }
            for (w, why) in &r.failed {
                eprintln!("NOT witnessed by {w}: {why}");
            }
            Ok(ExitCode::from(if r.failed.is_empty() {
                crate::exit::DONE
            } else {
                crate::exit::FAILURE
            }))
        }
        RegisterCommand::Report {
            flight,
            access,
            motive,
            out,
        } => {
            let actor = access.actor()?;
            let mut reg = access.open(global)?;
            let report = reg
                .flight_report(&flight, &actor, &motive)
                .map_err(to_anyhow)?;
            write_private_dir(&out)?;
            let stem = sanitize(&report.data.flight_id);
            let html = out.join(format!("{stem}.html"));
            let pdf = out.join(format!("{stem}.pdf"));
            write_private_file(&html, report.html.as_bytes())?;
            write_private_file(&pdf, &report.pdf)?;
            println!("report {}", html.display());
            println!("report {}", pdf.display());
            match &report.data.seal_entry {
                Some(e) => println!(
                    "flight {}: seal entry {} hash {}; {} entries; consultation journaled as entry {}",
                    report.data.flight_id,
                    e.id,
                    e.hash,
                    report.data.entry_ids.len(),
                    report.journal_entry
                ),
                None => println!(
                    "flight {}: NOT sealed yet; consultation journaled as entry {}",
                    report.data.flight_id, report.journal_entry
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
        RegisterCommand::Transparency {
            access,
            from,
            to,
            out,
            approve,
            motive,
        } => {
            let day = |field: &str, t: &str| {
                NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| {
                    anyhow::Error::new(BadInput(format!(
                        "--{field} {t:?}: expected a day, YYYY-MM-DD"
                    )))
                })
            };
            let (from, to) = (day("from", &from)?, day("to", &to)?);
            let html = match out.extension().and_then(|e| e.to_str()) {
                Some("html") | Some("htm") => true,
                Some("json") => false,
                _ => {
                    return Err(BadInput(format!(
                        "--out {}: name it FILE.json or FILE.html",
                        out.display()
                    ))
                    .into());
                }
            };
            let actor = access.actor()?;
            let mut reg = access.open(global)?;
            let export = reg
                .transparency_export(from, to, &actor, &motive, approve)
                .map_err(to_anyhow)?;
            let body = if html {
                export.html().into_bytes()
            } else {
                let mut v = serde_json::to_vec_pretty(&export)?;
                v.push(b'\n');
                v
            };
            write_private_file(&out, &body)?;
            match &export.approved {
                Some(a) => println!(
                    "{}: {} flight(s), approved by {} ({}) in register entry {} (aggregate SHA-256 {})",
                    out.display(),
                    export.aggregate.total.flights,
                    a.approval.approved_by.name,
                    a.approval.approved_by.role,
                    a.entry_id,
                    export.aggregate_sha256
                ),
                None => println!(
                    "{}: {} flight(s), DRAFT — not approved, not for publication (a chief approves with --approve)",
                    out.display(),
                    export.aggregate.total.flights
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
        RegisterCommand::PublicKey { access, out } => {
            let reg = access.open(global)?;
            println!("{} {}", reg.station_id(), reg.public_key_hex());
            if let Some(dir) = out {
                let key = vigie_register::keys::StationKey::load(
                    &global
                        .data_dir()
                        .join("keys")
                        .join(vigie_register::keys::PRIVATE_KEY_FILE),
                )
                .map_err(to_anyhow)?;
                key.export_public(&dir).map_err(to_anyhow)?;
                println!("public key files written to {}", dir.display());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `STATION_ID PUBLIC_KEY_HEX` per line (`#` comments): the keys the département registered.
fn read_station_keys(
    path: &std::path::Path,
) -> anyhow::Result<std::collections::BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading station keys {}", path.display()))?;
    let mut out = std::collections::BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut parts = line.split_whitespace();
        let (Some(station), Some(key), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(BadInput(format!(
                "{} line {}: expected `STATION_ID PUBLIC_KEY_HEX` (as `vigie register public-key` prints)",
                path.display(),
                n + 1
            ))
            .into());
        };
        let key = vigie_register::keys::parse_public_key(key)
            .map_err(|why| BadInput(format!("{} line {}: {why}", path.display(), n + 1)))?;
        out.insert(station.to_string(), key);
    }
    Ok(out)
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn write_private_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating {}", dir.display()))
}

/// Reports and exports hold personal data (or are drafts): 0600 like the register's files.
fn write_private_file(path: &std::path::Path, data: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    f.write_all(data)
        .and_then(|()| f.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}

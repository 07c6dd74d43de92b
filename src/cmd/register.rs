//! `vigie register …`: list, show, verify, export, verify-bundle, purge, hold, release, processing CSV.
//!
//! Every read goes through `vigie_register`, which writes the access journal (R242-12) first: who
//! (`--actor`, or VIGIE_ACTOR), why (`--motive`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};
use vigie_register::{
    Actor, FlightFilter, HoldRelease, LegalHold, OpenOptions, Register, RegisterKind,
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
    Verify {
        #[command(flatten)]
        access: Access,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
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
    /// Verify an evidence bundle with nothing but its own files.
    VerifyBundle { dir: PathBuf },
    /// Erase what retention makes due (R242-11, R242-12), journaling each erasure.
    Purge {
        #[command(flatten)]
        access: Access,
        /// Decide as if it were this instant (RFC 3339); default: now.
        #[arg(long)]
        now: Option<String>,
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
            json,
        } => {
            let filter = FlightFilter {
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
                eprintln!("{} flight(s); consultation journaled", flights.len());
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
        RegisterCommand::Verify { access, json } => {
            let mut reg = access.open_mode(global, true)?;
            let report = reg.verify().map_err(to_anyhow)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
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
        RegisterCommand::VerifyBundle { dir } => {
            if !dir.is_dir() {
                return Err(BadInput(format!(
                    "{}: not a directory (pass the bundle directory)",
                    dir.display()
                ))
                .into());
            }
            let v = vigie_register::verify_bundle(&dir).map_err(to_anyhow)?;
            if v.is_ok() {
                println!(
                    "bundle {}: OK ({} files, {} chain entries; station {} key {})",
                    dir.display(),
                    v.files_checked,
                    v.entries_checked,
                    v.station_id,
                    v.public_key_hex
                );
                println!("compare the key with the one the service published before relying on it");
                Ok(ExitCode::SUCCESS)
            } else {
                for p in &v.problems {
                    eprintln!("bundle {}: {p}", dir.display());
                }
                Ok(ExitCode::from(crate::exit::FAILURE))
            }
        }
        RegisterCommand::Purge { access, now } => {
            let now = match now {
                Some(t) => parse_time("now", &t, false)?,
                None => Utc::now(),
            };
            let mut reg = access.open(global)?;
            let r = reg.purge(now).map_err(to_anyhow)?;
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

//! `vigie keys new|import|list|remove|assign|unassign`: the MAVLink signing keys in
//! `<data dir>/keys` (see `vigie_link::keystore`). A key or a passphrase never comes from the
//! command line (it would show in `ps` and the shell history): it comes from the environment
//! (`VIGIE_SIGNING_KEY`, `VIGIE_SIGNING_PASSPHRASE`) or a prompt that does not echo, and it is
//! never printed — `list` shows fingerprints.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use vigie_link::keystore::{KeyInfo, KeySource, KeyStoreError};
use vigie_link::{Assignment, KeyStore, PassphraseScheme, SigningKey};

use crate::exit::BadInput;

#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    /// Make a new random key.
    New {
        /// Its name (letters, digits, '.', '_', '-'), e.g. drone-1 or istres-fleet.
        name: String,
        #[command(flatten)]
        assign: AssignTo,
    },
    /// Import a key: 64 hex digits (VIGIE_SIGNING_KEY or a prompt), or a passphrase derived the
    /// way the tool that set it up derives it (VIGIE_SIGNING_PASSPHRASE or a prompt).
    Import {
        name: String,
        /// The key as 64 hex digits.
        #[arg(long, conflicts_with = "passphrase")]
        hex: bool,
        /// A passphrase, derived as: mavproxy (`signing setup`: SHA-256 of the ASCII word),
        /// mission-planner (SHA-256 of the UTF-8 text), qgc-setting (QGroundControl 4.x–5.0
        /// "MAVLink 2 signing key": the same SHA-256), qgc-keys (QGroundControl's key manager:
        /// PBKDF2-HMAC-SHA256, 600 000 rounds).
        #[arg(long, value_name = "SCHEME", value_parser = ["mavproxy", "mission-planner", "qgc-setting", "qgc-keys"])]
        passphrase: Option<String>,
        #[command(flatten)]
        assign: AssignTo,
    },
    /// The keys: name, fingerprint, origin, creation, which vehicles use them.
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Delete a key and its assignments.
    Remove { name: String },
    /// Give a key to a vehicle (its MAVLink system id) or to the fleet (every vehicle without a
    /// key of its own).
    Assign {
        name: String,
        #[command(flatten)]
        to: Target,
    },
    /// Take the key away from a vehicle or from the fleet.
    Unassign {
        #[command(flatten)]
        to: Target,
    },
}

#[derive(Debug, clap::Args)]
pub struct AssignTo {
    /// Also assign it to this vehicle (MAVLink system id).
    #[arg(long, value_name = "SYSID", value_parser = clap::value_parser!(u8).range(1..))]
    vehicle: Option<u8>,
    /// Also assign it to the fleet.
    #[arg(long, conflicts_with = "vehicle")]
    fleet: bool,
}

#[derive(Debug, clap::Args)]
#[group(required = true, multiple = false)]
pub struct Target {
    /// A vehicle, by MAVLink system id.
    #[arg(long, value_name = "SYSID", value_parser = clap::value_parser!(u8).range(1..))]
    vehicle: Option<u8>,
    /// The fleet.
    #[arg(long)]
    fleet: bool,
}

impl Target {
    fn assignment(&self) -> Assignment {
        match self.vehicle {
            Some(s) => Assignment::Vehicle(s),
            None => Assignment::Fleet,
        }
    }
}

impl AssignTo {
    fn assignment(&self) -> Option<Assignment> {
        match (self.vehicle, self.fleet) {
            (Some(s), _) => Some(Assignment::Vehicle(s)),
            (None, true) => Some(Assignment::Fleet),
            (None, false) => None,
        }
    }
}

/// User-fixable store errors exit 2; the rest (disk) exit 1.
fn classify(e: KeyStoreError) -> anyhow::Error {
    match e {
        KeyStoreError::Io { .. } | KeyStoreError::Random(_) => anyhow::Error::new(e),
        other => BadInput(other.to_string()).into(),
    }
}

pub fn run(global: &crate::Global, command: KeysCommand) -> anyhow::Result<ExitCode> {
    let store = KeyStore::in_data_dir(&global.data_dir()).map_err(classify)?;
    match command {
        KeysCommand::New { name, assign } => {
            let info = store.generate(&name).map_err(classify)?;
            report_added(&store, &info, assign.assignment())?;
        }
        KeysCommand::Import {
            name,
            hex,
            passphrase,
            assign,
        } => {
            let info = match (hex, passphrase) {
                (_, Some(scheme)) => {
                    let scheme = PassphraseScheme::from_name(&scheme)
                        .map_err(|e| BadInput(e.to_string()))?;
                    let phrase = secret(
                        "VIGIE_SIGNING_PASSPHRASE",
                        &format!("passphrase for {name} ({}): ", scheme.describe()),
                        true,
                    )?;
                    store
                        .import_passphrase(&name, &phrase, scheme)
                        .map_err(classify)?
                }
                (true, None) => {
                    let text = secret(
                        "VIGIE_SIGNING_KEY",
                        &format!("key {name} (64 hex digits): "),
                        false,
                    )?;
                    let key = SigningKey::from_hex(&text)
                        .map_err(|e| BadInput(format!("VIGIE_SIGNING_KEY or the prompt: {e}")))?;
                    store
                        .import(&name, &key, KeySource::Hex)
                        .map_err(classify)?
                }
                (false, None) => {
                    return Err(BadInput(
                        "say what to import: --hex (64 hex digits) or --passphrase SCHEME (mavproxy, mission-planner, qgc-setting, qgc-keys)".into(),
                    )
                    .into());
                }
            };
            report_added(&store, &info, assign.assignment())?;
        }
        KeysCommand::List { json } => list(&store, json)?,
        KeysCommand::Remove { name } => {
            let dropped = store.remove(&name).map_err(classify)?;
            eprintln!("vigie: key {name} removed{}", used_by(&dropped));
        }
        KeysCommand::Assign { name, to } => {
            let to = to.assignment();
            let before = store.assign(&name, to).map_err(classify)?;
            match before {
                Some(b) if b != name => eprintln!("vigie: {to} now uses key {name} (was {b})"),
                _ => eprintln!("vigie: {to} uses key {name}"),
            }
        }
        KeysCommand::Unassign { to } => {
            let to = to.assignment();
            match store.unassign(to).map_err(classify)? {
                Some(b) => eprintln!("vigie: {to} no longer uses key {b}"),
                None => eprintln!("vigie: {to} had no key"),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn used_by(a: &[Assignment]) -> String {
    if a.is_empty() {
        String::new()
    } else {
        format!(
            " (it was used by {})",
            a.iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

fn report_added(
    store: &KeyStore,
    info: &KeyInfo,
    assign: Option<Assignment>,
) -> anyhow::Result<()> {
    eprintln!(
        "vigie: key {} added to {} (fingerprint {}, {})",
        info.name,
        store.dir().display(),
        info.fingerprint,
        info.source.name()
    );
    if let Some(to) = assign {
        store.assign(&info.name, to).map_err(classify)?;
        eprintln!("vigie: {to} uses key {}", info.name);
    }
    Ok(())
}

fn list(store: &KeyStore, json: bool) -> anyhow::Result<()> {
    let keys = store.list().map_err(classify)?;
    let when = |s: u64| {
        chrono::DateTime::<chrono::Utc>::from_timestamp(s as i64, 0)
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_else(|| s.to_string())
    };
    if json {
        let rows: Vec<serde_json::Value> = keys
            .iter()
            .map(|k| {
                serde_json::json!({
                    "name": k.name,
                    "fingerprint": k.fingerprint,
                    "source": k.source.name(),
                    "created": when(k.created_unix_s),
                    "assigned": k.assigned.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    if keys.is_empty() {
        println!("no keys in {} (vigie keys new NAME)", store.dir().display());
        return Ok(());
    }
    println!(
        "{:<20} {:<10} {:<28} {:<22} USED BY",
        "NAME", "PRINT", "SOURCE", "CREATED"
    );
    for k in &keys {
        let by = if k.assigned.is_empty() {
            "-".to_string()
        } else {
            k.assigned
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        println!(
            "{:<20} {:<10} {:<28} {:<22} {by}",
            k.name,
            k.fingerprint,
            k.source.name(),
            when(k.created_unix_s)
        );
    }
    Ok(())
}

/// A secret from the environment, or typed without echo (twice for a passphrase).
fn secret(var: &str, label: &str, confirm: bool) -> anyhow::Result<String> {
    if let Ok(v) = std::env::var(var)
        && !v.is_empty()
    {
        return Ok(v);
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(BadInput(format!(
            "no secret given: set {var} or run in a terminal to be prompted (never on the command line)"
        ))
        .into());
    }
    let read = |label: &str| -> anyhow::Result<String> {
        eprint!("{label}");
        // No echo while typing; restored even when reading fails.
        let _ = std::process::Command::new("stty")
            .arg("-echo")
            .stdin(std::process::Stdio::inherit())
            .status();
        let mut line = String::new();
        let r = stdin.lock().read_line(&mut line);
        let _ = std::process::Command::new("stty")
            .arg("echo")
            .stdin(std::process::Stdio::inherit())
            .status();
        eprintln!();
        r?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    };
    let first = read(label)?;
    if confirm && read("again: ")? != first {
        return Err(BadInput("the two entries differ; run the command again".into()).into());
    }
    Ok(first)
}

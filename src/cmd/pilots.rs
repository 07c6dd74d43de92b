//! `vigie pilots`: the pilot registry the chief of service maintains — imported into the
//! register (certificate, expiry, airframes), PINs hashed with Argon2id (never in arguments:
//! `VIGIE_PIN` or a prompt), and the journal of login attempts.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::NaiveDate;
use serde::Deserialize;
use vigie_register::{PilotRecord, Register};

use crate::cmd::register::Access;
use crate::exit::BadInput;

#[derive(Debug, clap::Subcommand)]
pub enum PilotsCommand {
    /// Import (or update) the pilots of a registry file into the register.
    Import {
        #[command(flatten)]
        access: Access,
        /// The registry (TOML, `[[pilot]]` tables; see samples/pilots.toml).
        file: PathBuf,
    },
    /// Set a pilot's PIN (from VIGIE_PIN, or asked twice at the terminal).
    SetPin {
        #[command(flatten)]
        access: Access,
        pilot: String,
    },
    /// Print the Argon2id hash of a PIN (from VIGIE_PIN or a prompt), for a registry file's
    /// `pin_hash`.
    HashPin,
    /// List the pilots the register knows, with their certificates and last login attempts.
    List {
        #[command(flatten)]
        access: Access,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryFile {
    /// Sample files only: a pilot without `last_flight_on` counts as having flown yesterday, so
    /// the shipped example stays current (a real registry gives the logbook's date).
    #[serde(default)]
    example: bool,
    #[serde(default)]
    pilot: Vec<RegistryPilot>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryPilot {
    id: String,
    name: String,
    /// Administrative identifier (matricule); the id when absent.
    administrative_id: Option<String>,
    certificate_number: String,
    #[serde(default = "default_kind")]
    certificate_kind: String,
    certificate_issued_on: toml::value::Datetime,
    certificate_expires_on: toml::value::Datetime,
    #[serde(default)]
    airframes: Vec<String>,
    /// Argon2id PHC string (`vigie pilots hash-pin`); never the PIN itself.
    pin_hash: Option<String>,
    /// The last flight in the pilot's logbook (flown outside this station), for recency.
    last_flight_on: Option<toml::value::Datetime>,
}

fn default_kind() -> String {
    "télépilote".into()
}

/// The pilots of a registry file, as the register records them. Errors name the file and field.
pub fn read_registry(path: &Path) -> anyhow::Result<Vec<PilotRecord>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        BadInput(format!(
            "cannot read the pilot registry {}: {e}",
            path.display()
        ))
    })?;
    let raw: RegistryFile =
        toml::from_str(&text).map_err(|e| BadInput(format!("{}: {e}", path.display())))?;
    if raw.pilot.is_empty() {
        return Err(BadInput(format!(
            "{}: no [[pilot]] table: each pilot is a [[pilot]] with id, name, certificate_number, certificate_issued_on, certificate_expires_on",
            path.display()
        ))
        .into());
    }
    let day = |d: &toml::value::Datetime, i: usize, field: &str| -> anyhow::Result<NaiveDate> {
        d.date
            .and_then(|d| {
                NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
            })
            .ok_or_else(|| {
                BadInput(format!(
                    "{}: pilot[{i}].{field}: a date is needed, e.g. 2030-05-31",
                    path.display()
                ))
                .into()
            })
    };
    let mut out = Vec::new();
    let example = raw.example;
    for (i, p) in raw.pilot.into_iter().enumerate() {
        let issued = day(&p.certificate_issued_on, i, "certificate_issued_on")?;
        let expires = day(&p.certificate_expires_on, i, "certificate_expires_on")?;
        let logbook = p
            .last_flight_on
            .as_ref()
            .map(|d| day(d, i, "last_flight_on"))
            .transpose()?
            .or_else(|| example.then(|| chrono::Utc::now().date_naive() - chrono::Days::new(1)));
        if p.id.trim().is_empty() {
            return Err(BadInput(format!("{}: pilot[{i}].id is empty", path.display())).into());
        }
        if let Some(h) = &p.pin_hash
            && !h.starts_with("$argon2")
        {
            return Err(BadInput(format!(
                "{}: pilot[{i}].pin_hash is not an Argon2 hash: put `vigie pilots hash-pin`'s output there, never the PIN",
                path.display()
            ))
            .into());
        }
        out.push(PilotRecord {
            administrative_id: p.administrative_id.unwrap_or_else(|| p.id.clone()),
            pilot_id: p.id,
            name: p.name,
            certificate_number: p.certificate_number,
            certificate_kind: p.certificate_kind,
            certificate_issued_on: issued,
            certificate_expires_on: expires,
            pin_hash: p.pin_hash,
            airframes: p.airframes,
            logbook_last_flight_on: logbook,
        });
    }
    Ok(out)
}

/// Record each pilot whose record differs from the register's latest (idempotent).
pub fn import_registry(reg: &mut Register, pilots: &[PilotRecord]) -> anyhow::Result<usize> {
    let mut changed = 0;
    for p in pilots {
        let current = reg
            .pilot(&p.pilot_id)
            .map_err(crate::cmd::register::to_anyhow)?;
        // A PIN set by the chief with set-pin is kept when the file has none.
        let mut p = p.clone();
        if p.pin_hash.is_none() {
            p.pin_hash = current.as_ref().and_then(|c| c.pin_hash.clone());
        }
        if current.as_ref() != Some(&p) {
            reg.add_pilot(&p).map_err(crate::cmd::register::to_anyhow)?;
            changed += 1;
        }
    }
    Ok(changed)
}

/// A PIN from `VIGIE_PIN`, or asked at the terminal (twice when `confirm`).
pub fn read_pin(prompt: &str, confirm: bool) -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("VIGIE_PIN") {
        return Ok(p);
    }
    let pin = rpassword::prompt_password(prompt).map_err(|e| {
        BadInput(format!(
            "cannot ask for the PIN ({e}): set VIGIE_PIN in the environment instead (never as an argument)"
        ))
    })?;
    if confirm {
        let again = rpassword::prompt_password("PIN again: ")
            .map_err(|e| BadInput(format!("cannot ask for the PIN: {e}")))?;
        if again != pin {
            return Err(BadInput("the two PINs differ: nothing changed".into()).into());
        }
    }
    Ok(pin)
}

pub fn run(global: &crate::Global, c: PilotsCommand) -> anyhow::Result<ExitCode> {
    match c {
        PilotsCommand::Import { access, file } => {
            let pilots = read_registry(&file)?;
            let mut reg = access.open(global)?;
            let n = import_registry(&mut reg, &pilots)?;
            println!(
                "{} pilot(s) in {}; {n} recorded in the register",
                pilots.len(),
                file.display()
            );
        }
        PilotsCommand::SetPin { access, pilot } => {
            let mut reg = access.open(global)?;
            let Some(mut rec) = reg.pilot(&pilot).map_err(crate::cmd::register::to_anyhow)? else {
                return Err(BadInput(format!(
                    "no pilot {pilot:?} in the register: import the registry first (vigie pilots import FILE)"
                ))
                .into());
            };
            let pin = read_pin(&format!("New PIN for {}: ", rec.name), true)?;
            rec.pin_hash =
                Some(vigie_register::hash_pin(&pin).map_err(crate::cmd::register::to_anyhow)?);
            reg.add_pilot(&rec)
                .map_err(crate::cmd::register::to_anyhow)?;
            println!(
                "PIN of {} set (Argon2id, recorded in the register)",
                rec.pilot_id
            );
        }
        PilotsCommand::HashPin => {
            let pin = read_pin("PIN: ", true)?;
            println!(
                "{}",
                vigie_register::hash_pin(&pin).map_err(crate::cmd::register::to_anyhow)?
            );
        }
        PilotsCommand::List { access } => {
            let mut reg = access.open(global)?;
            let pilots = reg.pilots().map_err(crate::cmd::register::to_anyhow)?;
            println!(
                "{:<20} {:<32} {:<20} {:<12} {:<4} LAST LOGIN",
                "ID", "NAME", "CERTIFICATE", "EXPIRES", "PIN"
            );
            for p in &pilots {
                let last = reg
                    .login_attempts(&p.pilot_id)
                    .map_err(crate::cmd::register::to_anyhow)?
                    .last()
                    .map(|a| format!("{} {}", a.at.format("%Y-%m-%d %H:%M"), a.outcome))
                    .unwrap_or_else(|| "never".into());
                println!(
                    "{:<20} {:<32} {:<20} {:<12} {:<4} {last}",
                    p.pilot_id,
                    p.name,
                    p.certificate_number,
                    p.certificate_expires_on,
                    if p.pin_hash.is_some() { "set" } else { "no" }
                );
            }
            println!("{} pilot(s)", pilots.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}

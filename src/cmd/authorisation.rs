//! `vigie authorisation`: the préfet's arrêtés the station may fly under — imported from a file
//! (fields of DOMAIN.md §1, the perimeter as points or GeoJSON, the scanned PDF's SHA-256) into
//! the station's store (`DATA_DIR/authorisations/`) and the register, listed, revoked.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::Utc;
use flight_rules::Authorisation;

use crate::cmd::register::{Access, to_anyhow};
use crate::exit::BadInput;

#[derive(Debug, clap::Subcommand)]
pub enum AuthorisationCommand {
    /// Import an arrêté (TOML; see samples/authorisation-istres-exemple.toml).
    Import {
        #[command(flatten)]
        access: Access,
        file: PathBuf,
        /// The perimeter as GeoJSON (Polygon, MultiPolygon, FeatureCollection), when the file
        /// gives none.
        #[arg(long)]
        perimeter: Option<PathBuf>,
        /// The scanned, signed arrêté: its SHA-256 is kept with the record.
        #[arg(long)]
        pdf: Option<PathBuf>,
    },
    /// The arrêtés in the store, with their validity now.
    List,
    /// Mark an arrêté revoked from now (L242-5: withdrawable at any time).
    Revoke {
        #[command(flatten)]
        access: Access,
        arrete: String,
    },
}

pub fn store_dir(global: &crate::Global) -> PathBuf {
    global.data_dir().join("authorisations")
}

fn file_name(arrete: &str) -> String {
    let n: String = arrete
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{n}.toml")
}

/// Read and validate an arrêté file, resolving a sample's rolling window now.
pub fn load(path: &Path, limits: &flight_rules::Limits) -> anyhow::Result<(Authorisation, String)> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| BadInput(format!("cannot read the arrêté {}: {e}", path.display())))?;
    let a =
        Authorisation::from_toml_at(&text, &path.display().to_string(), limits, Some(Utc::now()))
            .map_err(|e| BadInput(e.to_string()))?;
    Ok((a, text))
}

/// Every arrêté in the store (bad files are reported, not fatal: the others stay usable).
pub fn load_store(global: &crate::Global, limits: &flight_rules::Limits) -> Vec<Authorisation> {
    let Ok(dir) = std::fs::read_dir(store_dir(global)) else {
        return vec![];
    };
    let mut out = Vec::new();
    for e in dir.filter_map(Result::ok) {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "toml") {
            match load(&p, limits) {
                Ok((a, _)) => out.push(a),
                Err(e) => eprintln!("vigie: skipped {}: {e:#}", p.display()),
            }
        }
    }
    out.sort_by(|a, b| a.arrete.cmp(&b.arrete));
    out
}

/// Add the PDF's digest and the GeoJSON perimeter to the file's text, keep it in the store, and
/// record the arrêté in the register.
pub fn import(
    global: &crate::Global,
    access: &Access,
    file: &Path,
    perimeter: Option<&Path>,
    pdf: Option<&Path>,
    limits: &flight_rules::Limits,
) -> anyhow::Result<Authorisation> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| BadInput(format!("cannot read the arrêté {}: {e}", file.display())))?;
    let mut table: toml::Table =
        toml::from_str(&text).map_err(|e| BadInput(format!("{}: {e}", file.display())))?;
    if let Some(p) = perimeter {
        let gj = std::fs::read_to_string(p)
            .map_err(|e| BadInput(format!("cannot read the perimeter {}: {e}", p.display())))?;
        table.insert("perimeter_geojson".into(), toml::Value::String(gj));
    }
    if let Some(p) = pdf {
        let sha = vigie_register::file_sha256(p).map_err(to_anyhow)?;
        table.insert("pdf_sha256".into(), toml::Value::String(sha));
    }
    let text = toml::to_string(&table).map_err(|e| BadInput(format!("{}: {e}", file.display())))?;
    let a =
        Authorisation::from_toml_at(&text, &file.display().to_string(), limits, Some(Utc::now()))
            .map_err(|e| BadInput(e.to_string()))?;
    let dir = store_dir(global);
    std::fs::create_dir_all(&dir)
        .and_then(|_| std::fs::write(dir.join(file_name(&a.arrete)), &text))
        .map_err(|e| anyhow::anyhow!("cannot keep the arrêté in {}: {e}", dir.display()))?;
    let mut reg = access.open(global)?;
    reg.add_authorisation(&vigie_station::register_thread::authorisation_record(&a))
        .map_err(to_anyhow)?;
    Ok(a)
}

pub fn run(global: &crate::Global, c: AuthorisationCommand) -> anyhow::Result<ExitCode> {
    let (rules, _) = crate::cmd::zones::load_rules(global, &[])?;
    match c {
        AuthorisationCommand::Import {
            access,
            file,
            perimeter,
            pdf,
        } => {
            let a = import(
                global,
                &access,
                &file,
                perimeter.as_deref(),
                pdf.as_deref(),
                &rules.limits,
            )?;
            println!(
                "arrêté {} ({}) valid {} → {}, {} perimeter polygon(s){}: kept in {}",
                a.arrete,
                a.finalite,
                a.valid_from.format("%Y-%m-%d %H:%M UTC"),
                a.valid_until.format("%Y-%m-%d %H:%M UTC"),
                a.perimeter.len(),
                a.pdf_sha256
                    .as_deref()
                    .map(|h| format!(", scan SHA-256 {h}"))
                    .unwrap_or_default(),
                store_dir(global).display()
            );
        }
        AuthorisationCommand::List => {
            let now = Utc::now();
            let all = load_store(global, &rules.limits);
            println!(
                "{:<24} {:<28} {:<18} {:<18} STATE",
                "ARRÊTÉ", "FINALITÉ", "FROM", "UNTIL"
            );
            for a in &all {
                let state = if a.is_revoked_at(now) {
                    "revoked"
                } else if now < a.valid_from {
                    "not yet valid"
                } else if now > a.valid_until {
                    "expired"
                } else {
                    "valid"
                };
                println!(
                    "{:<24} {:<28} {:<18} {:<18} {state}",
                    a.arrete,
                    a.finalite,
                    a.valid_from.format("%Y-%m-%d %H:%M"),
                    a.valid_until.format("%Y-%m-%d %H:%M")
                );
            }
            println!("{} arrêté(s) in {}", all.len(), store_dir(global).display());
        }
        AuthorisationCommand::Revoke { access, arrete } => {
            let path = store_dir(global).join(file_name(&arrete));
            let text = std::fs::read_to_string(&path).map_err(|_| {
                BadInput(format!(
                    "no arrêté {arrete:?} in {}: `vigie authorisation list` shows the numbers",
                    store_dir(global).display()
                ))
            })?;
            let mut table: toml::Table =
                toml::from_str(&text).map_err(|e| BadInput(format!("{}: {e}", path.display())))?;
            table.insert(
                "revoked_at".into(),
                toml::Value::String(Utc::now().to_rfc3339()),
            );
            let text = toml::to_string(&table)?;
            let a = Authorisation::from_toml_at(
                &text,
                &path.display().to_string(),
                &rules.limits,
                Some(Utc::now()),
            )
            .map_err(|e| BadInput(e.to_string()))?;
            std::fs::write(&path, &text)?;
            let mut reg = access.open(global)?;
            reg.add_authorisation(&vigie_station::register_thread::authorisation_record(&a))
                .map_err(to_anyhow)?;
            println!("arrêté {arrete} revoked from now; recorded in the register");
        }
    }
    Ok(ExitCode::SUCCESS)
}

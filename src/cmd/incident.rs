//! `vigie incident post`: the CSU (or the bridge of an alert network) sends an incident to a
//! station's intake; the station answers with its id or names the field it refused.

use std::process::ExitCode;

use vigie::incident_post::{IncidentPost, post_incident};

use crate::exit::BadInput;

/// The token's environment variable (never on the command line: other users see arguments).
pub const TOKEN_ENV: &str = "VIGIE_INCIDENT_TOKEN";

#[derive(Debug, clap::Subcommand)]
pub enum IncidentCommand {
    /// Send one incident; the token comes from VIGIE_INCIDENT_TOKEN.
    Post {
        /// The station's intake, e.g. http://10.0.0.2:8088/incidents.
        #[arg(long)]
        to: String,
        #[arg(long, allow_hyphen_values = true)]
        lat: f64,
        #[arg(long, allow_hyphen_values = true)]
        lon: f64,
        /// What it is (e.g. "départ de feu", "rixe").
        #[arg(long)]
        kind: String,
        #[arg(long, default_value = "")]
        note: String,
        /// When the alert was raised (RFC 3339); now when absent.
        #[arg(long)]
        at: Option<String>,
    },
}

pub fn run(command: IncidentCommand) -> anyhow::Result<ExitCode> {
    match command {
        IncidentCommand::Post {
            to,
            lat,
            lon,
            kind,
            note,
            at,
        } => {
            let token = std::env::var(TOKEN_ENV)
                .ok()
                .filter(|t| !t.is_empty())
                .ok_or_else(|| {
                    BadInput(format!(
                        "no token: set {TOKEN_ENV} to this sender's token in the station's --incident-tokens file"
                    ))
                })?;
            let id = post_incident(
                &to,
                &token,
                &IncidentPost {
                    lat,
                    lon,
                    kind,
                    note,
                    at,
                },
            )
            .map_err(BadInput)?;
            println!("{id}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

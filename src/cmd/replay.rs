//! `vigie replay FLIGHT`: open a flight's .rrd in the Rerun viewer (journaled as a replay).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::cmd::register::{Access, to_anyhow};

/// The viewer must match the SDK that wrote the recording.
const RERUN_VERSION: &str = "0.36.3";

#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// Flight identifier, as `vigie register list` shows it.
    pub flight: String,
    #[command(flatten)]
    pub access: Access,
    /// Why (debriefing, judicial request ...), written to the access journal.
    #[arg(long, default_value = "debriefing")]
    pub motive: String,
}

/// `VIGIE_RERUN` (a path), else `rerun` on PATH.
fn find_viewer() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("VIGIE_RERUN") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("rerun"))
        .find(|p| p.is_file())
}

pub fn run(global: &crate::Global, args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let Some(viewer) = find_viewer() else {
        eprintln!(
            "vigie: the Rerun viewer is not installed. Install the matching version with:\n    \
             pip install rerun-sdk=={RERUN_VERSION}\n    rerun analytics disable      (it sends usage statistics by default)\nthen run `vigie replay {}` again (or set VIGIE_RERUN to the viewer's path).",
            args.flight
        );
        return Ok(ExitCode::from(crate::exit::FAILURE));
    };
    let actor = args.access.actor()?;
    let mut reg = args.access.open(global)?;
    let rrd = reg
        .replay(&args.flight, &actor, &args.motive)
        .map_err(to_anyhow)?;
    eprintln!(
        "opening {} in {} (replay journaled)",
        rrd.display(),
        viewer.display()
    );
    let status = std::process::Command::new(&viewer)
        .arg(&rrd)
        .status()
        .with_context(|| format!("starting the Rerun viewer {}", viewer.display()))?;
    Ok(if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(crate::exit::FAILURE)
    })
}

//! `vigie replay FLIGHT` (filled by the register issue).

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// Flight identifier, as `vigie register list` shows it.
    pub flight: String,
}

pub fn run(_global: &crate::Global, _args: ReplayArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("replay is not available yet: the register does not record .rrd files in this build")
}

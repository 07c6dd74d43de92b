//! `vigie demo` and the desktop app.

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Run without a window even when a display is available.
    #[arg(long)]
    pub headless: bool,
    /// Stop after this many seconds.
    #[arg(long)]
    pub duration: Option<f64>,
    /// Fly against an external vehicle (e.g. tcpout:127.0.0.1:5760) instead of the built-in simulator.
    #[arg(long)]
    pub connect: Option<String>,
    /// Simulator scenario name or file.
    #[arg(long)]
    pub scenario: Option<String>,
}

pub fn run(_global: &crate::Global, _args: DemoArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("demo not built yet")
}

pub fn run_app(_global: &crate::Global) -> anyhow::Result<ExitCode> {
    anyhow::bail!("desktop app not built yet")
}

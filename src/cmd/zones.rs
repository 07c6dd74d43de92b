//! `vigie zones …` (filled by its issue).

use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum ZonesCommand {}

pub fn run(_global: &crate::Global, command: ZonesCommand) -> anyhow::Result<ExitCode> {
    match command {}
}

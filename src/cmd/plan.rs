//! `vigie plan …` (filled by its issue).

use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum PlanCommand {}

pub fn run(_global: &crate::Global, command: PlanCommand) -> anyhow::Result<ExitCode> {
    match command {}
}

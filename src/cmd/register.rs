//! `vigie register …` (filled by its issue).

use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum RegisterCommand {}

pub fn run(_global: &crate::Global, command: RegisterCommand) -> anyhow::Result<ExitCode> {
    match command {}
}

//! `vigie tlog …` (filled by its issue).

use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum TlogCommand {}

pub fn run(_global: &crate::Global, command: TlogCommand) -> anyhow::Result<ExitCode> {
    match command {}
}

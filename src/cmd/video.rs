//! `vigie video …` (filled by its issue).

use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum VideoCommand {}

pub fn run(_global: &crate::Global, command: VideoCommand) -> anyhow::Result<ExitCode> {
    match command {}
}

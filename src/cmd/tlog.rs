//! `vigie tlog summary FILE`: message counts by type and the time span of a telemetry log.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::exit::BadInput;

#[derive(Debug, clap::Subcommand)]
pub enum TlogCommand {
    /// Message counts by type, systems, and the time span of a .tlog (Vigie, MAVProxy, QGC).
    Summary {
        /// The .tlog file.
        file: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(_global: &crate::Global, command: TlogCommand) -> anyhow::Result<ExitCode> {
    match command {
        TlogCommand::Summary { file, json } => summary(&file, json),
    }
}

fn summary(file: &std::path::Path, json: bool) -> anyhow::Result<ExitCode> {
    let (entries, skipped) = vigie_link::tlog::read_all(file)
        .map_err(|e| BadInput(format!("{}: cannot read the tlog: {e}", file.display())))?;
    if entries.is_empty() {
        return Err(BadInput(format!(
            "{}: no MAVLink frame found; a tlog is a sequence of 8-byte big-endian µs timestamps each followed by a frame",
            file.display()
        ))
        .into());
    }
    let s = vigie_link::tlog::summarise(&entries, skipped);
    if json {
        println!("{}", serde_json::to_string_pretty(&s)?);
        return Ok(ExitCode::SUCCESS);
    }
    let fmt_time = |us: u64| {
        chrono::DateTime::<chrono::Utc>::from_timestamp_micros(us as i64)
            .map(|t| t.format("%Y-%m-%d %H:%M:%S%.3f UTC").to_string())
            .unwrap_or_else(|| format!("{us} µs"))
    };
    println!("file      {}", file.display());
    println!("frames    {}", s.frames);
    if let (Some(a), Some(b)) = (s.first_us, s.last_us) {
        println!("from      {}", fmt_time(a));
        println!("to        {}", fmt_time(b));
        println!("duration  {:.1} s", (b.saturating_sub(a)) as f64 / 1e6);
    }
    if s.skipped_bytes > 0 {
        println!("skipped   {} bytes that were not frames", s.skipped_bytes);
    }
    println!(
        "systems   {}",
        s.systems
            .iter()
            .map(|(k, v)| format!("{k} ({v})"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut by: Vec<_> = s.by_type.iter().collect();
    by.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (name, n) in by {
        println!("{n:>9}  {name}");
    }
    Ok(ExitCode::SUCCESS)
}

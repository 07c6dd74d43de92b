//! `vigie`: the one binary of the station — desktop app, CLI checks, register tools, video relay.
//!
//! Exit status (DESIGN.md "Command line"): 0 done, 1 failure, 2 bad input (naming the file, the
//! field and the fix), 3 refused by a flight rule (naming the rule IDs and reasons).

mod cmd;
mod exit;
mod hotspot_watch;
mod patrol_report;
mod sim_process;
mod trainee;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Options every subcommand shares.
#[derive(Debug, Clone, clap::Args)]
pub struct Global {
    /// Directory that holds the register, keys, recordings and settings.
    #[arg(long, global = true, env = "VIGIE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Station configuration file (TOML).
    #[arg(long, global = true, env = "VIGIE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Language of messages shown to people (the app: French unless saved otherwise).
    #[arg(long, global = true, value_parser = ["fr", "en"])]
    pub lang: Option<String>,
    /// More log lines on stderr (-v: what the station does, -vv: link and protocol detail).
    /// Quiet by default: warnings and errors only. VIGIE_LOG overrides (tracing filter syntax).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

impl Global {
    /// `--lang`, as the app's language (None: the saved setting, French by default).
    pub fn lang(&self) -> Option<vigie::app::i18n::Lang> {
        self.lang.as_deref().and_then(vigie::app::i18n::Lang::parse)
    }

    /// The data directory: `--data-dir`, `VIGIE_DATA_DIR`, or the platform's data directory.
    pub fn data_dir(&self) -> PathBuf {
        if let Some(dir) = &self.data_dir {
            return dir.clone();
        }
        if let Some(xdg) = std::env::var_os("XDG_DATA_HOME") {
            return PathBuf::from(xdg).join("vigie");
        }
        match std::env::var_os("HOME") {
            Some(home) => PathBuf::from(home).join(".local/share/vigie"),
            None => PathBuf::from("vigie-data"),
        }
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "vigie",
    version,
    about = "Vigie — ground-control station for municipal police drones"
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the demo: simulator + station, in a window when there is a display, headless otherwise.
    Demo(cmd::demo::DemoArgs),
    /// Fly for real: login with PIN, the préfet's arrêté, fence and plan uploaded and read back.
    Fly(Box<cmd::fly::FlyArgs>),
    /// The CSU's wall: live streams and the map of every drone, read-only (no command authority).
    Csu(cmd::csu::CsuArgs),
    /// Send an incident from the CSU to a station (it appears on the pilot's map).
    #[command(subcommand)]
    Incident(cmd::incident::IncidentCommand),
    /// The pilot registry: import the chief's file, set PINs, list.
    #[command(subcommand)]
    Pilots(cmd::pilots::PilotsCommand),
    /// The préfet's arrêtés: import (perimeter, scanned PDF digest), list, revoke.
    #[command(subcommand)]
    Authorisation(cmd::authorisation::AuthorisationCommand),
    /// Check a point against the geozones (shipped defaults + configured + --zones files).
    #[command(subcommand)]
    Zones(cmd::zones::ZonesCommand),
    /// Check a QGroundControl .plan against the zones and an authorisation.
    #[command(subcommand)]
    Plan(cmd::plan::PlanCommand),
    /// The legal flight register: list, show, verify, export, purge, legal holds.
    #[command(subcommand)]
    Register(cmd::register::RegisterCommand),
    /// Training on the built-in simulator: a scenario, a trainee (you, or a scripted one), the
    /// score sheet from the training register; forest patrols write the fire-service report.
    Train(cmd::train::TrainArgs),
    /// Open a flight's .rrd recording in the Rerun viewer.
    Replay(cmd::replay::ReplayArgs),
    /// Telemetry logs (.tlog) as written by Vigie, MAVProxy and QGroundControl.
    #[command(subcommand)]
    Tlog(cmd::tlog::TlogCommand),
    /// Video: headless relay (ingest → RTSP restream → recording) and CSU viewer accounts.
    #[command(subcommand)]
    Video(cmd::video::VideoCommand),
    /// MAVLink signing keys: new, import (hex or passphrase), list, remove, assign, unassign.
    #[command(subcommand)]
    Keys(cmd::keys::KeysCommand),
}

fn main() -> ExitCode {
    // Launch → first frame is measured from here (scripts/bench-app.sh).
    let _ = vigie::app::LAUNCHED.set(std::time::Instant::now());
    let cli = Cli::parse();
    init_tracing(cli.global.verbose);
    let result = match cli.command {
        None => cmd::app::run(&cli.global),
        Some(Command::Demo(args)) => cmd::demo::run(&cli.global, args),
        Some(Command::Fly(args)) => cmd::fly::run(&cli.global, *args),
        Some(Command::Csu(args)) => cmd::csu::run(&cli.global, args),
        Some(Command::Incident(c)) => cmd::incident::run(c),
        Some(Command::Pilots(c)) => cmd::pilots::run(&cli.global, c),
        Some(Command::Authorisation(c)) => cmd::authorisation::run(&cli.global, c),
        Some(Command::Zones(c)) => cmd::zones::run(&cli.global, c),
        Some(Command::Plan(c)) => cmd::plan::run(&cli.global, c),
        Some(Command::Register(c)) => cmd::register::run(&cli.global, c),
        Some(Command::Train(a)) => cmd::train::run(&cli.global, a),
        Some(Command::Replay(a)) => cmd::replay::run(&cli.global, a),
        Some(Command::Tlog(c)) => cmd::tlog::run(&cli.global, c),
        Some(Command::Video(c)) => cmd::video::run(&cli.global, c),
        Some(Command::Keys(c)) => cmd::keys::run(&cli.global, c),
    };
    exit::report(result)
}

fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("VIGIE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

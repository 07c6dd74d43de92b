//! `vigie video …`: the headless relay (ingest → RTSP restream → recording, optional SRT/RTP
//! outputs and an SRT push up to another relay) with its journal of viewer sessions, and viewer
//! accounts.
//!
//! Secrets never come from arguments: the SRT passphrase from `VIGIE_SRT_PASSPHRASE` or a file,
//! viewer passwords from `VIGIE_PASSWORD` or a prompt.

pub(crate) mod journal;

use std::io::{BufRead, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use vigie_video::{
    Admission, Events, Forward, ForwardTarget, Ingest, IngestConfig, Profile, RecordConfig,
    Recorder, RestreamConfig, RtspRestream, SourceUri, SrtCaller, SrtPassphrase, VideoError,
    VideoEvent, users,
};

use crate::exit::BadInput;

/// The SRT passphrase's environment variable.
pub const SRT_PASSPHRASE_ENV: &str = "VIGIE_SRT_PASSPHRASE";

#[derive(Debug, clap::Subcommand)]
pub enum VideoCommand {
    /// Receive a stream and serve it over RTSP to CSU viewers (every session journaled),
    /// optionally recording hashed segments.
    Relay(Box<RelayArgs>),
    /// CSU viewer accounts for the RTSP restream.
    #[command(subcommand)]
    Users(UsersCommand),
}

#[derive(Debug, clap::Args)]
pub struct RelayArgs {
    /// Source: udp://HOST:PORT or rtp://…, a bare port, mpegts://HOST:PORT, rtsp://…,
    /// srt://HOST:PORT[?mode=listener] (the field station's uplink); `?codec=h265`.
    #[arg(long)]
    pub from: String,
    /// Address the RTSP server listens on, e.g. 0.0.0.0:8554.
    #[arg(long)]
    pub rtsp: String,
    /// Viewer accounts (htdigest; see `vigie video users add`). Required unless --rtsp is a loopback address.
    #[arg(long)]
    pub users: Option<PathBuf>,
    /// Record hashed Matroska segments and a manifest (manifest.jsonl) in this directory.
    #[arg(long)]
    pub record: Option<PathBuf>,
    /// Stream name: the RTSP path (`rtsp://HOST:PORT/NAME`) and the segment file prefix.
    #[arg(long, default_value = "drone1")]
    pub name: String,
    /// Receive profile: low-latency (default) or smooth (200 ms jitter buffer, for bad links).
    #[arg(long, default_value = "low-latency", value_parser = ["low-latency", "smooth"])]
    pub profile: String,
    /// Segment length in seconds (cut on the next keyframe).
    #[arg(long, default_value_t = 4)]
    pub segment_s: u64,
    /// Stop recording (with an alarm) below this much free disk space, in MB.
    #[arg(long, default_value_t = 1024)]
    pub min_free_mb: u64,
    /// Also forward plain RTP/UDP (no re-encoding, no encryption) to this address, e.g. a CSU decoder.
    #[arg(long)]
    pub forward: Option<String>,
    /// Also serve MPEG-TS over SRT, listening on this address (needs the SRT passphrase).
    #[arg(long)]
    pub srt: Option<String>,
    /// Push the stream up to another relay's SRT listener, HOST:PORT (needs the SRT passphrase).
    #[arg(long)]
    pub push: Option<String>,
    /// SRT latency of the push, in ms (a few round trips of the uplink; 4G: 200-500).
    #[arg(long, default_value_t = 200)]
    pub push_latency_ms: u32,
    /// File holding the SRT passphrase (first line; mode 600). Default: VIGIE_SRT_PASSPHRASE.
    #[arg(long)]
    pub srt_passphrase_file: Option<PathBuf>,
    /// PEM certificate and key for RTSPS.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Journal into this PostgreSQL register (libpq conninfo) instead of the SQLite register in
    /// the data directory.
    #[arg(long, env = "VIGIE_REGISTER_POSTGRES", hide_env_values = true)]
    pub postgres: Option<String>,
    /// Journal into the training register.
    #[arg(long)]
    pub training: bool,
}

#[derive(Debug, clap::Subcommand)]
pub enum UsersCommand {
    /// Add or replace an account; the password comes from VIGIE_PASSWORD or a prompt, and only its
    /// digest hash (HA1) is stored.
    Add {
        /// The accounts file (created 0600 when missing).
        #[arg(long)]
        file: PathBuf,
        /// Account name, e.g. csu.istres.
        name: String,
    },
}

pub fn run(global: &crate::Global, command: VideoCommand) -> anyhow::Result<ExitCode> {
    match command {
        VideoCommand::Relay(args) => relay(global, *args),
        VideoCommand::Users(UsersCommand::Add { file, name }) => users_add(&file, &name),
    }
}

/// Errors the user fixes (URI, accounts file, address, plugins, secrets) exit 2; the rest exit 1.
fn classify(err: VideoError) -> anyhow::Error {
    match err {
        VideoError::BadUri { .. }
        | VideoError::UsersFile { .. }
        | VideoError::BadAccount(_)
        | VideoError::BadSecret(_)
        | VideoError::Refused(_)
        | VideoError::MissingPlugins(_) => BadInput(err.to_string()).into(),
        other => anyhow::Error::new(other),
    }
}

/// The SRT passphrase: `--srt-passphrase-file`, else VIGIE_SRT_PASSPHRASE, else None.
fn srt_passphrase(file: Option<&std::path::Path>) -> anyhow::Result<Option<SrtPassphrase>> {
    if let Some(path) = file {
        return Ok(Some(SrtPassphrase::from_file(path).map_err(classify)?));
    }
    match std::env::var(SRT_PASSPHRASE_ENV) {
        Ok(p) if !p.is_empty() => {
            Ok(Some(SrtPassphrase::new(&p).map_err(|e| {
                BadInput(format!("{SRT_PASSPHRASE_ENV}: {e}"))
            })?))
        }
        _ => Ok(None),
    }
}

fn no_passphrase(what: &str) -> anyhow::Error {
    BadInput(format!(
        "{what} needs the SRT passphrase (10 to 79 characters, the same at both ends): set \
         {SRT_PASSPHRASE_ENV} or give --srt-passphrase-file FILE (never on the command line)"
    ))
    .into()
}

fn socket_addr(option: &str, value: &str) -> anyhow::Result<SocketAddr> {
    value
        .parse()
        .map_err(|e| BadInput(format!("{option} `{value}`: {e}; give HOST:PORT")).into())
}

/// What the relay remembers between events: the flight the uplink names.
#[derive(Default)]
struct RelayState {
    flight: Option<String>,
}

fn relay(global: &crate::Global, args: RelayArgs) -> anyhow::Result<ExitCode> {
    let mut source = SourceUri::parse(&args.from).map_err(classify)?;
    let bind = socket_addr("--rtsp", &args.rtsp)?;
    let passphrase = srt_passphrase(args.srt_passphrase_file.as_deref())?;
    if let SourceUri::Srt { mode, .. } = &source {
        match (&passphrase, mode) {
            (Some(p), _) => source = source.clone().with_srt_passphrase(p.clone()),
            (None, vigie_video::uri::SrtMode::Listener) => {
                return Err(no_passphrase(&format!(
                    "--from {} (an SRT listener: anyone reaching it could push video)",
                    source.redacted()
                )));
            }
            (None, _) => {}
        }
    }
    let mut targets = Vec::new();
    if let Some(value) = &args.forward {
        targets.push(ForwardTarget::RtpUdp(socket_addr("--forward", value)?));
    }
    if let Some(value) = &args.srt {
        let addr = socket_addr("--srt", value)?;
        let Some(p) = &passphrase else {
            return Err(no_passphrase(&format!(
                "--srt {value} (an SRT listener serves anyone who reaches it)"
            )));
        };
        targets.push(ForwardTarget::SrtListener {
            addr,
            passphrase: p.clone(),
        });
    }
    if let Some(value) = &args.push {
        let Some((host, port)) = value.rsplit_once(':') else {
            return Err(BadInput(format!("--push `{value}`: give HOST:PORT")).into());
        };
        let port: u16 = port
            .parse()
            .map_err(|e| BadInput(format!("--push `{value}`: port: {e}")))?;
        let Some(p) = &passphrase else {
            return Err(no_passphrase(&format!("--push {value}")));
        };
        let mut caller = SrtCaller::new(host.trim_matches(['[', ']']), port, p.clone());
        caller.latency_ms = args.push_latency_ms;
        caller.stream_id = SrtCaller::stream_id_for(&args.name, "relay", None);
        targets.push(ForwardTarget::SrtCaller(caller));
    }
    if args.users.is_none() && !bind.ip().is_loopback() {
        return Err(BadInput(format!(
            "--rtsp {bind} serves video beyond this machine: give --users FILE \
             (create it with `vigie video users add --file FILE NAME`) or bind to 127.0.0.1"
        ))
        .into());
    }
    // Absolute paths in events and the manifest: they outlive this working directory.
    let record_dir = match &args.record {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating the recording directory {}", dir.display()))?;
            Some(
                std::fs::canonicalize(dir)
                    .with_context(|| format!("resolving {}", dir.display()))?,
            )
        }
        None => None,
    };
    let manifest = match &record_dir {
        Some(dir) => {
            let path = dir.join("manifest.jsonl");
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .with_context(|| format!("opening {}", path.display()))?;
            Some(Arc::new(Mutex::new(file)))
        }
        None => None,
    };
    let journal = journal::Journal::open(&global.data_dir(), args.postgres.clone(), args.training)?;
    let state = Arc::new(Mutex::new(RelayState::default()));

    // Every event goes to stdout as one JSON line (for a supervisor); closed segments also go to
    // the manifest; sessions, segments and uplink callers to the journal.
    let events = {
        let (journal, state) = (journal.clone(), state.clone());
        Events::new(move |event| {
            let flight = state.lock().ok().and_then(|s| s.flight.clone());
            match &event {
                VideoEvent::SegmentClosed(segment) => {
                    if let Some(m) = &manifest
                        && let Ok(seg_line) = serde_json::to_string(segment)
                        && let Ok(mut f) = m.lock()
                    {
                        let _ = writeln!(f, "{seg_line}").and_then(|_| f.sync_data());
                    }
                    journal.event(journal::segment_event(segment, flight.as_deref()));
                }
                VideoEvent::ViewerEnded(session) => {
                    journal.end(vigie_station::video::viewer_end(session))
                }
                VideoEvent::SourceCaller {
                    peer,
                    stream_id,
                    connected,
                    ..
                } => {
                    if *connected && let Ok(mut s) = state.lock() {
                        s.flight = stream_id.as_deref().and_then(journal::flight_of_stream_id);
                    }
                    journal.event(vigie_register::EventRecord {
                        flight_id: None,
                        at: chrono::Utc::now(),
                        kind: vigie_register::EventKind::Info,
                        code: "video.uplink".into(),
                        text: serde_json::json!({
                            "peer": peer,
                            "stream_id": stream_id,
                            "connected": connected,
                        })
                        .to_string(),
                        rule_ids: Vec::new(),
                        data: None,
                        vehicle: None,
                    });
                }
                _ => {}
            }
            let Ok(line) = serde_json::to_string(&event) else {
                return;
            };
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
        })
    };
    let admission = {
        let (journal, state) = (journal.clone(), state.clone());
        Admission::new(move |session| {
            let flight = state.lock().ok().and_then(|s| s.flight.clone());
            journal.start(vigie_station::video::viewer_start(session, flight))
        })
    };

    let mut config = IngestConfig::new(args.name.clone(), source.clone());
    config.decode = false; // a relay box has no display
    config.profile = if args.profile == "smooth" {
        Profile::Smooth
    } else {
        Profile::LowLatency
    };
    let ingest = Ingest::start(config, events.clone()).map_err(classify)?;
    let mut restream = RestreamConfig::new(bind);
    restream.users_file = args.users.clone();
    restream.tls = args.tls_cert.clone().zip(args.tls_key.clone());
    restream.admission = Some(admission);
    let server = RtspRestream::start(restream, events.clone()).map_err(classify)?;
    let url = server.add_stream(&ingest).map_err(classify)?;
    let recorder = match &record_dir {
        Some(dir) => {
            let mut c = RecordConfig::new(dir);
            c.segment = std::time::Duration::from_secs(args.segment_s.max(1));
            c.min_free_bytes = args.min_free_mb.saturating_mul(1 << 20);
            Some(Recorder::start(c, &ingest, events.clone()).map_err(classify)?)
        }
        None => None,
    };
    let forwards = targets
        .into_iter()
        .map(|t| Forward::start(t, &ingest, events.clone()).map_err(classify))
        .collect::<anyhow::Result<Vec<_>>>()?;
    tracing::info!(%url, source = %source.redacted(), recording = args.record.is_some(), journal = %journal.location(), "relay running; Ctrl-C to stop");
    eprintln!("vigie: serving {url} (Ctrl-C to stop)");
    eprintln!("vigie: viewer sessions journaled in {}", journal.location());

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
            tokio::select! {
                r = tokio::signal::ctrl_c() => r,
                _ = term.recv() => Ok(()),
            }
        }
        #[cfg(not(unix))]
        tokio::signal::ctrl_c().await
    })?;
    // Close and hash the segment in progress before leaving; the viewers' ends are journaled.
    if let Some(r) = recorder {
        r.stop();
    }
    drop(forwards);
    drop(server);
    ingest.stop();
    drop(events);
    journal.flush();
    Ok(ExitCode::SUCCESS)
}

fn users_add(file: &std::path::Path, name: &str) -> anyhow::Result<ExitCode> {
    let password = match std::env::var("VIGIE_PASSWORD") {
        Ok(p) if !p.is_empty() => p,
        _ => prompt_password(name)?,
    };
    let replaced = users::add(file, name, &password).map_err(classify)?;
    eprintln!(
        "vigie: {} account `{name}` in {} (realm {})",
        if replaced { "replaced" } else { "added" },
        file.display(),
        users::REALM
    );
    Ok(ExitCode::SUCCESS)
}

fn prompt_password(name: &str) -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(BadInput(
            "no password: set VIGIE_PASSWORD or run in a terminal to be prompted".into(),
        )
        .into());
    }
    let read = |label: &str| -> anyhow::Result<String> {
        eprint!("{label}");
        // No echo while typing; restored even when reading fails.
        let _ = std::process::Command::new("stty")
            .arg("-echo")
            .stdin(std::process::Stdio::inherit())
            .status();
        let mut line = String::new();
        let r = stdin.lock().read_line(&mut line);
        let _ = std::process::Command::new("stty")
            .arg("echo")
            .stdin(std::process::Stdio::inherit())
            .status();
        eprintln!();
        r?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    };
    let first = read(&format!("password for {name}: "))?;
    let second = read("again: ")?;
    if first != second {
        return Err(BadInput("the two passwords differ; run the command again".into()).into());
    }
    Ok(first)
}

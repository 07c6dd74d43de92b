//! `vigie video …`: the headless relay (ingest → RTSP restream → recording) and CSU viewer accounts.

use std::io::{BufRead, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use vigie_video::{
    Events, Forward, ForwardTarget, Ingest, IngestConfig, Profile, RecordConfig, Recorder,
    RestreamConfig, RtspRestream, SourceUri, VideoError, VideoEvent, users,
};

use crate::exit::BadInput;

#[derive(Debug, clap::Subcommand)]
pub enum VideoCommand {
    /// Receive a stream and serve it over RTSP to CSU viewers, optionally recording hashed segments.
    Relay(Box<RelayArgs>),
    /// CSU viewer accounts for the RTSP restream.
    #[command(subcommand)]
    Users(UsersCommand),
}

#[derive(Debug, clap::Args)]
pub struct RelayArgs {
    /// Source: udp://HOST:PORT or rtp://…, a bare port, mpegts://HOST:PORT, rtsp://…, srt://…; `?codec=h265`.
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
    /// Also forward plain RTP/UDP (no re-encoding) to this address, e.g. a CSU decoder.
    #[arg(long)]
    pub forward: Option<String>,
    /// Also serve MPEG-TS over SRT, listening on this address.
    #[arg(long)]
    pub srt: Option<String>,
    /// PEM certificate and key for RTSPS.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
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

/// Errors the user fixes (URI, accounts file, address, plugins) exit 2; the rest exit 1.
fn classify(err: VideoError) -> anyhow::Error {
    match err {
        VideoError::BadUri { .. }
        | VideoError::UsersFile { .. }
        | VideoError::BadAccount(_)
        | VideoError::MissingPlugins(_) => BadInput(err.to_string()).into(),
        other => anyhow::Error::new(other),
    }
}

fn relay(_global: &crate::Global, args: RelayArgs) -> anyhow::Result<ExitCode> {
    let source = SourceUri::parse(&args.from).map_err(classify)?;
    let bind: SocketAddr = args.rtsp.parse().map_err(|e| {
        BadInput(format!(
            "--rtsp `{}`: {e}; give HOST:PORT, e.g. 0.0.0.0:8554",
            args.rtsp
        ))
    })?;
    let mut targets = Vec::new();
    for (option, value) in [("--forward", &args.forward), ("--srt", &args.srt)] {
        let Some(value) = value else { continue };
        let addr: SocketAddr = value
            .parse()
            .map_err(|e| BadInput(format!("{option} `{value}`: {e}; give HOST:PORT")))?;
        targets.push(if option == "--srt" {
            ForwardTarget::SrtListener(addr)
        } else {
            ForwardTarget::RtpUdp(addr)
        });
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
    // Every event goes to stdout as one JSON line (for a supervisor); closed segments also go to the manifest.
    let events = Events::new(move |event| {
        let Ok(line) = serde_json::to_string(&event) else {
            return;
        };
        if let (VideoEvent::SegmentClosed(segment), Some(m)) = (&event, &manifest)
            && let Ok(seg_line) = serde_json::to_string(segment)
            && let Ok(mut f) = m.lock()
        {
            let _ = writeln!(f, "{seg_line}").and_then(|_| f.sync_data());
        }
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    });

    let mut config = IngestConfig::new(args.name.clone(), source);
    config.decode = false; // a relay box has no display
    config.profile = if args.profile == "smooth" {
        Profile::Smooth
    } else {
        Profile::LowLatency
    };
    let ingest = Ingest::start(config, events.clone()).map_err(classify)?;
    let tls = args.tls_cert.clone().zip(args.tls_key.clone());
    let server = RtspRestream::start(
        RestreamConfig {
            bind,
            users_file: args.users.clone(),
            tls,
        },
        events.clone(),
    )
    .map_err(classify)?;
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
    tracing::info!(%url, source = %args.from, recording = args.record.is_some(), "relay running; Ctrl-C to stop");
    eprintln!("vigie: serving {url} (Ctrl-C to stop)");

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
    // Close and hash the segment in progress before leaving.
    if let Some(r) = recorder {
        r.stop();
    }
    drop(forwards);
    drop(server);
    ingest.stop();
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

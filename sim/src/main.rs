//! `vigie-sim`: run the simulator from the command line. See sim/README.md.

use std::net::SocketAddr;

use anyhow::{Context, Result, bail};
use clap::Parser;
use vigie_sim::runtime::{SimConfig, Simulator, Transport};
use vigie_sim::scenario;
use vigie_sim::vehicle::VideoAnnounce;
use vigie_sim::video::Codec;

#[derive(Parser, Debug)]
#[command(
    name = "vigie-sim",
    version,
    about = "A multicopter simulator that speaks MAVLink like ArduCopter 4.x SITL"
)]
struct Args {
    /// Scenario: a built-in name (istres-calm, istres-mistral, air-base-approach, forest-patrol,
    /// link-loss, night-patrol-gps-loss) or a path to a .toml file.
    #[arg(long, default_value = "istres-calm")]
    scenario: String,
    /// Listen for a station on this TCP address (like SITL's tcp:5760). Port 0 picks one.
    #[arg(long, value_name = "HOST:PORT", conflicts_with = "udp")]
    tcp: Option<SocketAddr>,
    /// Send to a station listening on this UDP address; answer from where it replies.
    #[arg(long, value_name = "HOST:PORT")]
    udp: Option<SocketAddr>,
    /// Run N times faster than real time (1 = real time).
    #[arg(long, default_value_t = 1.0)]
    speedup: f64,
    /// Number of vehicles (sysid 1..N); overrides the scenario.
    #[arg(long)]
    vehicles: Option<u8>,
    /// Put all vehicles on one link instead of one port each (port + 10 * i).
    #[arg(long)]
    one_link: bool,
    /// Random seed (overrides the scenario's).
    #[arg(long)]
    seed: Option<u64>,
    /// MAVLink 2 signing key, 64 hex characters. Prefer the VIGIE_SIM_SIGNING_KEY variable:
    /// arguments are visible to other users of the machine.
    #[arg(
        long,
        value_name = "HEX64",
        env = "VIGIE_SIM_SIGNING_KEY",
        hide_env_values = true
    )]
    signing_key: Option<String>,
    /// Treat the link like ArduPilot's first serial port: unsigned frames are accepted even with
    /// a key, and SETUP_SIGNING is accepted.
    #[arg(long)]
    secure_link: bool,
    /// Where to stream the video: rtp://HOST:PORT (H.264 over RTP/UDP; add ?codec=h265 for H.265).
    #[arg(
        long,
        value_name = "URI",
        default_value = "rtp://127.0.0.1:5600",
        conflicts_with = "no_video"
    )]
    video: String,
    /// No video at all.
    #[arg(long)]
    no_video: bool,
    /// Video height: 720 (1280x720) or 1080 (1920x1080).
    #[arg(long, default_value_t = 720)]
    video_height: u16,
    /// Serve fault-injection commands on this TCP address (one command per line; `help`).
    #[arg(long, value_name = "HOST:PORT")]
    control: Option<SocketAddr>,
    /// Stop after this many seconds of sim time.
    #[arg(long)]
    duration: Option<f64>,
    /// Seconds of sim time before the GPS has a fix (SITL takes a few).
    #[arg(long, default_value_t = 2.0)]
    gps_lock: f64,
    /// Seconds the estimator needs to settle, as ArduCopter's 10 s windows: the gyros must agree
    /// this long after boot, and the GPS must be good this long before the EKF sets its origin
    /// and uses it (pre-arm fails until then). Default: the scenario's `vehicles.ekf_settle_s`
    /// (10).
    #[arg(long, value_name = "S")]
    ekf_settle: Option<f64>,
    /// Each vehicle's camera also sends its own HEARTBEAT (compid 100, MAV_TYPE_CAMERA) at 1 Hz.
    #[arg(long)]
    camera_heartbeat: bool,
}

fn parse_key(hex: &str) -> Result<[u8; 32]> {
    let hex = hex.trim();
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!(
            "--signing-key must be 64 hexadecimal characters (32 bytes); got {} characters",
            hex.len()
        );
    }
    let mut key = [0u8; 32];
    for (i, k) in key.iter_mut().enumerate() {
        *k = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)
            .context("--signing-key is not hexadecimal")?;
    }
    Ok(key)
}

/// Parses rtp://HOST:PORT[?codec=h264|h265].
fn parse_rtp(uri: &str) -> Result<(SocketAddr, Codec)> {
    let rest = uri
        .strip_prefix("rtp://")
        .with_context(|| format!("--video `{uri}`: only rtp://HOST:PORT is supported"))?;
    let (addr, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut codec = Codec::H264;
    for kv in query.split('&').filter(|kv| !kv.is_empty()) {
        codec = match kv {
            "codec=h264" => Codec::H264,
            "codec=h265" => Codec::H265,
            other => {
                bail!("--video `{uri}`: unknown option `{other}` (only codec=h264 or codec=h265)")
            }
        };
    }
    let addr = addr.parse().with_context(|| {
        format!("--video `{uri}`: expected rtp://IP:PORT, e.g. rtp://127.0.0.1:5600")
    })?;
    Ok((addr, codec))
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    match run(args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vigie-sim: {e:#}");
            std::process::ExitCode::from(if e.downcast_ref::<scenario::ScenarioError>().is_some() {
                2
            } else {
                1
            })
        }
    }
}

fn run(args: Args) -> Result<()> {
    if !(args.speedup.is_finite() && args.speedup > 0.0 && args.speedup <= 10_000.0) {
        bail!("--speedup must be within (0, 10000], got {}", args.speedup);
    }
    if let Some(s) = args.ekf_settle
        && !(0.0..=600.0).contains(&s)
    {
        bail!("--ekf-settle must be within 0..600 seconds (ArduPilot takes about 10), got {s}");
    }
    if !matches!(args.video_height, 720 | 1080) {
        bail!(
            "--video-height must be 720 or 1080, got {}",
            args.video_height
        );
    }
    let scenario = scenario::load(&args.scenario)?;
    let transport = match (args.tcp, args.udp) {
        (Some(a), _) => Transport::Tcp(a),
        (None, Some(a)) => Transport::Udp(a),
        (None, None) => Transport::Tcp(SocketAddr::from(([127, 0, 0, 1], 5760))),
    };
    let signing_key = args.signing_key.as_deref().map(parse_key).transpose()?;
    let count = args.vehicles.unwrap_or(scenario.vehicles.count).max(1);
    let (width, height) = if args.video_height == 1080 {
        (1920, 1080)
    } else {
        (1280, 720)
    };
    let video_dest = if args.no_video {
        None
    } else {
        Some(parse_rtp(&args.video)?)
    };
    let thermal = !scenario.hotspots.is_empty();
    // Vehicle i streams to port + 10 * i; the thermal stream (forest scenarios) to port + 1.
    let video: Vec<Option<VideoAnnounce>> = (0..count)
        .map(|i| {
            video_dest.map(|(d, codec)| {
                let port = d.port().saturating_add(u16::from(i) * 10);
                VideoAnnounce {
                    uri: format!("udp://0.0.0.0:{port}"),
                    width,
                    height,
                    fps: 30.0,
                    bitrate_bps: if height == 1080 { 6_000_000 } else { 3_000_000 },
                    thermal_uri: thermal.then(|| format!("udp://0.0.0.0:{}", port + 1)),
                    h265: codec == Codec::H265,
                }
            })
        })
        .collect();
    let cfg = SimConfig {
        scenario: scenario.clone(),
        transport,
        speedup: args.speedup,
        vehicles: args.vehicles,
        one_link: args.one_link,
        seed: args.seed,
        signing_key,
        secure_link: args.secure_link,
        video: video.clone(),
        gps_lock_s: args.gps_lock.max(0.0),
        ekf_settle_s: args.ekf_settle,
        camera_heartbeat: args.camera_heartbeat,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("vigie-sim")
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let sim = Simulator::start(cfg).await?;
        for ep in &sim.endpoints {
            for sysid in &ep.sysids {
                println!("READY sysid={sysid} {}={}", ep.kind, ep.addr);
            }
        }
        let control = sim.control_sender();
        if let Some(addr) = args.control {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen for control commands on {addr}"))?;
            println!("CONTROL {}", listener.local_addr().unwrap_or(addr));
            tokio::spawn(control.clone().serve_tcp(listener));
        }
        tokio::spawn(control.serve_stdin());
        let _video = match video_dest {
            Some((dest, codec)) => {
                vigie_sim::video::start(sim.views(), dest, codec, width, height, &scenario, count)
            }
            None => Vec::new(),
        };
        tracing::info!(
            "scenario {}: {} (speedup {}x)",
            scenario.name,
            scenario.description,
            args.speedup
        );
        sim.run(args.duration).await;
        anyhow::Ok(())
    })
}

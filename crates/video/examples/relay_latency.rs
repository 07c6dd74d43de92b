//! Field → relay → viewer latency against a plain-GStreamer floor, at 1, 4 and 8 viewers, and the
//! relay's CPU. Release build; `scripts/bench-relay.sh` builds and runs it:
//!
//! ```text
//! relay_latency [--seconds 10] [--warmup 3] [--viewers 1,4,8] [--uplink rtp|srt|both]
//!               [--srt-latency-ms 20]
//! ```
//!
//! One stamped sender (`TestSender`, H.264 RTP/UDP, 1280x720 at 30 fps) sends the same packets to:
//! - **the floor**: one `Ingest` receiving it directly (udpsrc → depay → avdec_h264 → RGBA slot);
//! - **the relay**, a child process (this example run with `--relay-child`) doing what
//!   `vigie video relay` does: an `Ingest` without decoding feeding an `RtspRestream` with a viewer
//!   accounts file (digest auth). Its uplink is either the sender's RTP/UDP directly, or the field
//!   station's path: an `Ingest` + `Forward` `SrtCaller` with a passphrase → the relay's SRT listener.
//!
//! On the SRT rows the floor is the same SRT hop without the relay: the field station pushes a
//! second SRT uplink (same passphrase and latency) to one decoding `Ingest`, so the rows show what
//! the relay adds, not the SRT latency the uplink was configured with; the direct floor is printed
//! beside it.
//!
//! N viewer `Ingest`s in this process read `rtsp://…?transport=tcp` (rtspsrc latency 0). Every
//! receiver measures latency = time its decoded frame reached the slot − capture time stamped in
//! the picture. The floor keeps running during each relay window, so each row is compared with the
//! floor under the same load (the viewers' decoding shares these 2 cores with it). The relay runs in
//! its own process so that its CPU (utime + stime from /proc/PID/stat) excludes the viewers'
//! decoding.
//!
//! `VIGIE_RELAY_PER_VIEWER=1` in the environment makes the relay serve one media per viewer
//! (`RtspRestream::add_stream_per_viewer`) instead of the shared one, for comparison.
//!
//! Exit 0 whatever the figures; 2 when the setup fails (missing plugin, no frames, relay not ready).

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use vigie_video::testsrc::{SenderConfig, TestSender};
use vigie_video::{
    Events, Forward, ForwardTarget, Ingest, IngestConfig, RestreamConfig, RtspRestream, SourceUri,
    SrtCaller, SrtPassphrase,
};

/// The relay reads it from the environment, as `vigie video relay` does (never from arguments).
const PASSPHRASE_ENV: &str = "VIGIE_SRT_PASSPHRASE";
const PASSPHRASE: &str = "relay-benchmark-passphrase";
const VIEWER: (&str, &str) = ("csu.bench", "bench-viewer-password");
const GOAL_DELTA_MS: f64 = 5.0;
const GOAL_CPU_PCT: f64 = 5.0;
const GOAL_VIEWERS: usize = 8;

type Error = String;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = if args.first().map(String::as_str) == Some("--relay-child") {
        relay_child(&args[1..])
    } else {
        bench(&args)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("relay_latency: setup failed: {e}");
            ExitCode::from(2)
        }
    }
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn parsed<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> Result<T, Error> {
    match arg(args, name) {
        Some(v) => v
            .parse()
            .map_err(|_| format!("{name} `{v}`: not a valid value")),
        None => Ok(default),
    }
}

/// The relay side, in its own process: `vigie video relay --from URI --users FILE` without the
/// register and the recorder (neither is on the latency path). Prints `READY <url>`, runs until
/// its stdin closes.
fn relay_child(args: &[String]) -> Result<(), Error> {
    let from = arg(args, "--from").ok_or("--relay-child needs --from URI")?;
    let users = arg(args, "--users").ok_or("--relay-child needs --users FILE")?;
    let mut source = SourceUri::parse(&from).map_err(|e| e.to_string())?;
    if let Ok(p) = std::env::var(PASSPHRASE_ENV) {
        source = source.with_srt_passphrase(SrtPassphrase::new(&p).map_err(|e| e.to_string())?);
    }
    let events = Events::new(|_| {});
    let mut config = IngestConfig::new("drone1", source);
    config.decode = false; // a relay box has no display
    let ingest = Ingest::start(config, events.clone()).map_err(|e| e.to_string())?;
    let mut restream = RestreamConfig::new(SocketAddr::from(([127, 0, 0, 1], 0)));
    restream.users_file = Some(users.into());
    let server = RtspRestream::start(restream, events).map_err(|e| e.to_string())?;
    // VIGIE_RELAY_PER_VIEWER=1: one media per viewer, to compare with the shared one.
    let url = if std::env::var_os("VIGIE_RELAY_PER_VIEWER").is_some() {
        server.add_stream_per_viewer(&ingest)
    } else {
        server.add_stream(&ingest)
    }
    .map_err(|e| e.to_string())?;
    println!("READY {url}");
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    drop(server);
    ingest.stop();
    Ok(())
}

/// The relay child process; killed when dropped (also on an early return).
struct RelayProcess {
    child: Child,
    _stdin: Option<ChildStdin>,
    url: String,
}

impl RelayProcess {
    fn spawn(from: &str, users: &Path) -> Result<RelayProcess, Error> {
        let exe = std::env::current_exe().map_err(|e| format!("own executable: {e}"))?;
        let mut child = Command::new(exe)
            .args(["--relay-child", "--from", from, "--users"])
            .arg(users)
            .env(PASSPHRASE_ENV, PASSPHRASE)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("starting the relay process: {e}"))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().ok_or("relay process: no stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("READY ") {
                    let _ = tx.send(url.to_owned());
                }
            }
        });
        let mut relay = RelayProcess {
            child,
            _stdin: stdin,
            url: String::new(),
        };
        relay.url = rx
            .recv_timeout(Duration::from_secs(30))
            .map_err(|_| format!("the relay process ({from}) did not print READY within 30 s"))?;
        Ok(relay)
    }

    /// utime + stime so far, in clock ticks.
    fn cpu_ticks(&self) -> Result<u64, Error> {
        let path = format!("/proc/{}/stat", self.child.id());
        let stat = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
        // The command name, in parentheses, may hold spaces: count fields after its `)`.
        let fields: Vec<&str> = stat
            .rsplit_once(") ")
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        let field = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok());
        match (field(11), field(12)) {
            (Some(utime), Some(stime)) => Ok(utime + stime),
            _ => Err(format!("{path}: unexpected format")),
        }
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// A receiver and the latencies (ms) of the stamped frames its slot got.
struct Probe {
    name: String,
    uri: String,
    ingest: Option<Ingest>,
    samples: Arc<Mutex<Vec<f64>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Probe {
    fn start(name: &str, uri: &str) -> Result<Probe, Error> {
        let mut source = SourceUri::parse(uri).map_err(|e| e.to_string())?;
        if uri.starts_with("srt://") {
            source = source
                .with_srt_passphrase(SrtPassphrase::new(PASSPHRASE).map_err(|e| e.to_string())?);
        }
        let ingest = Ingest::start(IngestConfig::new(name, source), Events::new(|_| {}))
            .map_err(|e| format!("{name}: {e}"))?;
        let samples = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let slot = ingest.frames();
        let thread = {
            let (samples, stop) = (samples.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut last = None;
                while !stop.load(Ordering::Relaxed) {
                    let Some(frame) = slot.wait_newer(last, Duration::from_millis(200)) else {
                        continue;
                    };
                    last = Some(frame.seq);
                    // received_unix_us is set when the frame reached the slot, not when this thread
                    // woke up: a late wake-up does not count as latency.
                    if let (Some(stamp), Ok(mut v)) =
                        (frame.capture_stamp_unix_us(), samples.lock())
                    {
                        v.push(frame.received_unix_us.saturating_sub(stamp) as f64 / 1000.0);
                    }
                }
            })
        };
        Ok(Probe {
            name: name.to_owned(),
            uri: uri.to_owned(),
            ingest: Some(ingest),
            samples,
            stop,
            thread: Some(thread),
        })
    }

    /// The ingest's state and counters, for a setup failure.
    fn health(&self) -> String {
        self.ingest
            .as_ref()
            .map(|i| format!("{:?}", i.health()))
            .unwrap_or_default()
    }

    fn count(&self) -> usize {
        self.samples.lock().map(|v| v.len()).unwrap_or(0)
    }

    fn take(&self) -> Vec<f64> {
        self.samples
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Some(i) = self.ingest.take() {
            i.stop();
        }
    }
}

/// Median and p95 (nearest rank), ms.
#[derive(Clone, Copy)]
struct Stats {
    median: f64,
    p95: f64,
    n: usize,
}

fn stats(v: &[f64]) -> Stats {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let at = |q: f64| {
        s.get(((s.len() as f64 * q).ceil() as usize).saturating_sub(1))
            .copied()
            .unwrap_or(f64::NAN)
    };
    Stats {
        median: at(0.5),
        p95: at(0.95),
        n: s.len(),
    }
}

struct Row {
    case: String,
    viewers: usize,
    all: Stats,
    worst_p95: f64,
    /// What the row is judged against: the direct floor, or on SRT rows the SRT floor.
    floor: Stats,
    direct: Stats,
    relay_cpu_pct: f64,
}

fn free_udp_port() -> Result<u16, Error> {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free UDP port: {e}"))
}

/// Wait until each probe has a stamped frame (keyframe, RTSP setup, SRT handshake done).
fn wait_first_frames(probes: &[&Probe], what: &str) -> Result<(), Error> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while probes.iter().any(|p| p.count() == 0) {
        if Instant::now() > deadline {
            let none: Vec<String> = probes
                .iter()
                .filter(|p| p.count() == 0)
                .map(|p| format!("{} ({})", p.name, p.health()))
                .collect();
            return Err(format!(
                "{what}: no stamped frame within 30 s at {}",
                none.join(", ")
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq)]
enum Uplink {
    Rtp,
    Srt,
}

struct Settings {
    seconds: u64,
    warmup: u64,
    viewers: Vec<usize>,
    uplinks: Vec<Uplink>,
    srt_latency_ms: u32,
}

fn bench(args: &[String]) -> Result<(), Error> {
    let mut settings = Settings {
        seconds: parsed(args, "--seconds", 10)?,
        warmup: parsed(args, "--warmup", 3)?,
        viewers: arg(args, "--viewers")
            .unwrap_or_else(|| "1,4,8".into())
            .split(',')
            .map(|n| n.trim().parse().map_err(|_| format!("--viewers `{n}`")))
            .collect::<Result<_, _>>()?,
        uplinks: match arg(args, "--uplink").as_deref() {
            Some("rtp") => vec![Uplink::Rtp],
            Some("srt") => vec![Uplink::Srt],
            None | Some("both") => vec![Uplink::Rtp, Uplink::Srt],
            Some(other) => return Err(format!("--uplink `{other}`: rtp, srt or both")),
        },
        srt_latency_ms: parsed(args, "--srt-latency-ms", 20)?,
    };
    vigie_video::init().map_err(|e| e.to_string())?;
    // The sender's and the viewers' elements; the relay's are checked by its own Ingest.
    vigie_video::plugins::check(&[
        "videotestsrc",
        "x264enc",
        "rtph264pay",
        "multiudpsink",
        "rtspsrc",
        "avdec_h264",
    ])
    .map_err(|e| e.to_string())?;
    if settings.uplinks.contains(&Uplink::Srt)
        && let Err(e) = vigie_video::plugins::check(&["srtsrc", "srtsink", "mpegtsmux", "tsdemux"])
    {
        println!("SRT uplink left out: {e}");
        settings.uplinks.retain(|u| *u == Uplink::Rtp);
    }

    let dir = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
    let users = dir.path().join("viewers.htdigest");
    vigie_video::users::add(&users, VIEWER.0, VIEWER.1).map_err(|e| e.to_string())?;
    let ticks_per_s = clock_ticks_per_second();
    let local = |port| SocketAddr::from(([127, 0, 0, 1], port));
    let (floor_port, relay_port, field_port) =
        (free_udp_port()?, free_udp_port()?, free_udp_port()?);

    let started = Instant::now();
    let floor = Probe::start("floor", &format!("udp://127.0.0.1:{floor_port}"))?;
    // The same packets to the floor, the relay's RTP uplink and the field station; packets to a
    // port nobody listens on yet are simply dropped.
    let _sender = TestSender::start_multi(
        &SenderConfig::new(1280, 720, 30),
        &[local(floor_port), local(relay_port), local(field_port)],
    )
    .map_err(|e| format!("stamped sender: {e}"))?;
    wait_first_frames(&[&floor], "the floor")?;

    let mut rows = Vec::new();
    for &uplink in &settings.uplinks {
        let (case, idle, from) = match uplink {
            Uplink::Rtp => (
                "relay, RTP/UDP uplink".to_owned(),
                "floor, RTP relay idle",
                format!("udp://127.0.0.1:{relay_port}"),
            ),
            Uplink::Srt => (
                format!("relay, SRT {} ms uplink", settings.srt_latency_ms),
                "floor, SRT relay idle",
                format!("srt://127.0.0.1:{}?mode=listener", free_udp_port()?),
            ),
        };
        let relay = RelayProcess::spawn(&from, &users)?;
        // The SRT floor: the same SRT hop, to one decoding Ingest instead of the relay.
        let srt_floor = match uplink {
            Uplink::Rtp => None,
            Uplink::Srt => Some(Probe::start(
                "floor-srt",
                &format!("srt://127.0.0.1:{}?mode=listener", free_udp_port()?),
            )?),
        };
        // The field station: receives the drone's RTP without decoding, pushes it up over SRT.
        let _field = match &srt_floor {
            None => None,
            Some(f) => Some(field_station(
                field_port,
                &[&from, &f.uri],
                settings.srt_latency_ms,
            )?),
        };
        if let Some(f) = &srt_floor {
            wait_first_frames(&[f], "the SRT floor")?;
        }
        let viewer_url =
            relay
                .url
                .replacen("rtsp://", &format!("rtsp://{}:{}@", VIEWER.0, VIEWER.1), 1)
                + "?transport=tcp";
        let mut viewers: Vec<Probe> = Vec::new();
        // 0 viewers first: the relay's idle cost, and the floor alone.
        for &n in std::iter::once(&0).chain(&settings.viewers) {
            while viewers.len() < n {
                viewers.push(Probe::start(
                    &format!("viewer{}", viewers.len() + 1),
                    &viewer_url,
                )?);
            }
            viewers.truncate(n);
            let refs: Vec<&Probe> = viewers.iter().collect();
            wait_first_frames(&refs, &format!("{case}, {n} viewer(s)"))?;
            std::thread::sleep(Duration::from_secs(settings.warmup));
            for p in std::iter::once(&floor).chain(&srt_floor).chain(&viewers) {
                p.take();
            }
            let (cpu0, t0) = (relay.cpu_ticks()?, Instant::now());
            std::thread::sleep(Duration::from_secs(settings.seconds));
            let per_viewer: Vec<Vec<f64>> = viewers.iter().map(Probe::take).collect();
            let direct_window = floor.take();
            let floor_window = srt_floor.as_ref().map(Probe::take);
            let cpu = (relay.cpu_ticks()? - cpu0) as f64 / ticks_per_s;
            let all: Vec<f64> = per_viewer.iter().flatten().copied().collect();
            rows.push(Row {
                case: if n == 0 { idle.into() } else { case.clone() },
                viewers: n,
                all: stats(&all),
                worst_p95: per_viewer
                    .iter()
                    .map(|v| stats(v).p95)
                    .fold(f64::NAN, f64::max),
                floor: stats(floor_window.as_deref().unwrap_or(&direct_window)),
                direct: stats(&direct_window),
                relay_cpu_pct: cpu / t0.elapsed().as_secs_f64() * 100.0,
            });
            eprintln!(
                "relay_latency: {} done ({:.0} s)",
                rows.last().map(|r| r.case.as_str()).unwrap_or(""),
                started.elapsed().as_secs_f64()
            );
        }
    }
    print_table(&settings, &rows);
    Ok(())
}

/// The field station's uplink: an Ingest of the drone's RTP (no display) and an SRT caller with
/// the passphrase to each listener, as `vigie fly --push` sets it up.
fn field_station(
    port: u16,
    listeners: &[&str],
    latency_ms: u32,
) -> Result<(Ingest, Vec<Forward>), Error> {
    let source = SourceUri::parse(&format!("udp://127.0.0.1:{port}")).map_err(|e| e.to_string())?;
    let mut config = IngestConfig::new("drone1", source);
    config.decode = false;
    let events = Events::new(|_| {});
    let ingest =
        Ingest::start(config, events.clone()).map_err(|e| format!("field station: {e}"))?;
    let mut forwards = Vec::new();
    for uri in listeners {
        let srt_port = uri
            .rsplit_once(':')
            .and_then(|(_, p)| p.split('?').next()?.parse().ok())
            .ok_or_else(|| format!("no port in {uri}"))?;
        let passphrase = SrtPassphrase::new(PASSPHRASE).map_err(|e| e.to_string())?;
        let mut caller = SrtCaller::new("127.0.0.1", srt_port, passphrase);
        caller.latency_ms = latency_ms;
        let forward = Forward::start(ForwardTarget::SrtCaller(caller), &ingest, events.clone())
            .map_err(|e| format!("SRT uplink: {e}"))?;
        forwards.push(forward);
    }
    Ok((ingest, forwards))
}

fn print_table(settings: &Settings, rows: &[Row]) {
    println!(
        "\nfield → relay → viewer latency, 1280x720 30 fps H.264, capture stamp → decoded frame in \
         the slot, {} s windows (ms)",
        settings.seconds
    );
    println!(
        "{:<24} {:>7} {:>7} {:>7} {:>9} {:>13} {:>13} {:>8} {:>7} {:>9} {:>6}",
        "case",
        "viewers",
        "median",
        "p95",
        "worst p95",
        "direct m/p95",
        "floor med/p95",
        "Δ median",
        "Δ p95",
        "relay CPU",
        "frames"
    );
    for r in rows {
        let (median, p95, n) = if r.viewers == 0 {
            (r.floor.median, r.floor.p95, r.floor.n)
        } else {
            (r.all.median, r.all.p95, r.all.n)
        };
        let dash = |v: f64, signed: bool| match (r.viewers, signed) {
            (0, _) => "-".to_owned(),
            (_, true) => format!("{v:+.1}"),
            (_, false) => format!("{v:.1}"),
        };
        println!(
            "{:<24} {:>7} {:>7.1} {:>7.1} {:>9} {:>13} {:>13} {:>8} {:>7} {:>8.1}% {:>6}",
            r.case,
            r.viewers,
            median,
            p95,
            dash(r.worst_p95, false),
            format!("{:.1}/{:.1}", r.direct.median, r.direct.p95),
            format!("{:.1}/{:.1}", r.floor.median, r.floor.p95),
            dash(r.all.median - r.floor.median, true),
            dash(r.all.p95 - r.floor.p95, true),
            r.relay_cpu_pct,
            n
        );
    }
    println!(
        "(direct: an Ingest receiving the sender directly; floor: the same on RTP rows, on SRT rows \
         an Ingest at the end of the same SRT hop without the relay; both in the same window; Δ: \
         against the floor; relay CPU: user + system time of the relay process, % of one core; \
         frames: stamped frames over all viewers)"
    );
    let verdicts: Vec<String> = rows
        .iter()
        .filter(|r| r.viewers == GOAL_VIEWERS)
        .map(|r| {
            let (dm, dp) = (r.all.median - r.floor.median, r.all.p95 - r.floor.p95);
            let latency_met = dm <= GOAL_DELTA_MS && dp <= GOAL_DELTA_MS;
            let cpu_met = r.relay_cpu_pct < GOAL_CPU_PCT;
            format!(
                "{}: latency {} ({dm:+.1} / {dp:+.1} ms median / p95), CPU {} ({:.1} %)",
                r.case,
                met(latency_met),
                met(cpu_met),
                r.relay_cpu_pct
            )
        })
        .collect();
    if verdicts.is_empty() {
        println!("goals: not judged (no {GOAL_VIEWERS}-viewer row)");
    } else {
        println!(
            "goals (within {GOAL_DELTA_MS} ms of the floor at {GOAL_VIEWERS} viewers, relay under \
             {GOAL_CPU_PCT} % of a core): {}",
            verdicts.join("; ")
        );
    }
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}

//! Field → relay → viewer latency and the relay's CPU (issue 11 "Benchmark"). Release build:
//!
//! ```text
//! cargo build --release -p vigie_video --bins --examples
//! target/release/examples/relay_latency [--seconds 8] [--size 1280x720] [--uplink rtp|srt|both]
//!                                       [--srt-latency-ms 20] [--sim target/release/vigie-sim]
//! ```
//!
//! The drone's video (vigie-sim with `--sim`, else the same stamped test sender) reaches, as the
//! same packets in the same run:
//! - **floor**: a plain `gst-launch-1.0` process, `udpsrc ! rtph264depay ! avdec_h264
//!   thread-type=slice ! videoconvert ! RGBA`, cropped to the stamp strip and read from a pipe;
//! - **the field station** (a `vigie-video-peer station` process: ingest, decode for the pilot,
//!   one stream up to the relay: plain RTP, or SRT with a passphrase);
//! - **the relay** (`vigie-video-peer station --no-decode`: the CSU relay's library path, the same
//!   ingest + per-viewer RTSP media as `vigie video relay`), whose CPU is read from /proc;
//! - **the viewers**: one decoding viewer measured at its frame slot (`Ingest` of the RTSP URL)
//!   and 0, 3 or 7 more (`gst-launch-1.0 rtspsrc ! fakesink`).
//!
//! Latency = time the decoded frame is available − capture time stamped in the picture.

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use vigie_video::testsrc::{SenderConfig, TestSender};
use vigie_video::{Events, Ingest, IngestConfig, SourceUri, stamp};

type Samples = Arc<Mutex<Vec<f64>>>;
const PASSPHRASE: &str = "relay-benchmark-passphrase";

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

fn stats(v: &[f64]) -> (f64, f64, usize) {
    if v.is_empty() {
        return (f64::NAN, f64::NAN, 0);
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    (
        s[s.len() / 2],
        s[(s.len() * 95 / 100).min(s.len() - 1)],
        s.len(),
    )
}

/// Kills its child process when dropped, also when a phase panics.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_floor(port: u16, w: u32, h: u32, samples: Samples, on: Arc<AtomicBool>) -> KillOnDrop {
    let pipeline = format!(
        "udpsrc port={port} caps=application/x-rtp,media=video,clock-rate=90000,encoding-name=H264 \
         ! rtph264depay ! avdec_h264 thread-type=slice max-threads=2 ! videoconvert ! video/x-raw,format=RGBA \
         ! videocrop right={r} bottom={b} ! fdsink fd=1 sync=false",
        r = w - 1024,
        b = h - 16
    );
    let mut child = Command::new("gst-launch-1.0")
        .arg("-q")
        .args(pipeline.split_whitespace())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("gst-launch-1.0: {e}"));
    let mut out = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 1024 * 16 * 4];
        while out.read_exact(&mut buf).is_ok() {
            let now = stamp::now_unix_us();
            if let Some(s) = stamp::read_rgba(&buf, 1024 * 4, 1024, 16)
                && stamp::plausible(s, now, 5_000_000)
                && on.load(Ordering::Relaxed)
                && let Ok(mut v) = samples.lock()
            {
                v.push((now - s) as f64 / 1000.0);
            }
        }
    });
    KillOnDrop(child)
}

fn peer_bin() -> std::path::PathBuf {
    if let Some(p) = std::env::var_os("VIGIE_VIDEO_PEER") {
        return p.into();
    }
    let exe = std::env::current_exe().unwrap_or_default();
    // target/release/examples/relay_latency → target/release/vigie-video-peer
    exe.parent()
        .and_then(|p| p.parent())
        .map(|p| p.join("vigie-video-peer"))
        .unwrap_or_default()
}

/// A `vigie-video-peer station …` process and the RTSP URL it printed.
fn spawn_station(args: &[String]) -> (KillOnDrop, String) {
    let mut child = Command::new(peer_bin())
        .arg("station")
        .args(args)
        .arg("--until-killed")
        .env("VIGIE_SRT_PASSPHRASE", PASSPHRASE)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", peer_bin().display()));
    let out = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let mut lines = BufReader::new(out).lines();
    let url = loop {
        match lines.next() {
            Some(Ok(l)) if l.starts_with("READY ") => break l[6..].to_owned(),
            Some(Ok(_)) => {}
            _ => panic!("vigie-video-peer station {args:?} did not start"),
        }
    };
    std::thread::spawn(move || for _ in lines.by_ref() {});
    (KillOnDrop(child), url)
}

/// utime + stime of a process, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let ticks_per_s = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse::<f64>()
                .ok()
        })
        .unwrap_or(100.0);
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) in parentheses.
    let rest = stat.rsplit_once(") ").map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / ticks_per_s
}

fn watch_slot(
    ingest: &Ingest,
    samples: Samples,
    on: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    let slot = ingest.frames();
    std::thread::spawn(move || {
        let mut last = None;
        while !stop.load(Ordering::Relaxed) {
            if let Some(f) = slot.wait_newer(last, Duration::from_millis(200)) {
                last = Some(f.seq);
                if let Some(s) = f.capture_stamp_unix_us()
                    && on.load(Ordering::Relaxed)
                    && let Ok(mut v) = samples.lock()
                {
                    v.push(f.received_unix_us.saturating_sub(s) as f64 / 1000.0);
                }
            }
        }
    })
}

/// Copy every datagram arriving on `from` to each of `to` (vigie-sim sends to one address).
fn fan_out(from: u16, to: Vec<SocketAddr>, stop: Arc<AtomicBool>) {
    let Ok(sock) = UdpSocket::bind(("127.0.0.1", from)) else {
        panic!("cannot bind the fan-out port {from}")
    };
    let _ = sock.set_read_timeout(Some(Duration::from_millis(200)));
    std::thread::spawn(move || {
        let mut buf = [0u8; 65536];
        while !stop.load(Ordering::Relaxed) {
            if let Ok(n) = sock.recv(&mut buf) {
                for d in &to {
                    let _ = sock.send_to(&buf[..n], d);
                }
            }
        }
    });
}

struct Row {
    uplink: String,
    viewers: usize,
    floor: (f64, f64, usize),
    csu: (f64, f64, usize),
    relay_cpu_pct: f64,
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seconds: u64 = arg(&args, "--seconds")
        .and_then(|s| s.parse().ok())
        .unwrap_or(8);
    let (w, h) = arg(&args, "--size")
        .and_then(|s| {
            let (a, b) = s.split_once('x')?;
            Some((a.parse().ok()?, b.parse().ok()?))
        })
        .unwrap_or((1280u32, 720u32));
    let uplinks: Vec<&str> = match arg(&args, "--uplink").as_deref() {
        Some("rtp") => vec!["rtp"],
        Some("srt") => vec!["srt"],
        _ => vec!["rtp", "srt"],
    };
    let srt_latency: u32 = arg(&args, "--srt-latency-ms")
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let sim = arg(&args, "--sim");
    let start = Instant::now();
    let mut rows = Vec::new();
    let (events, _rx) = Events::channel();
    for uplink in uplinks {
        let on = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let (p_floor, p_field, p_relay) = (free_udp_port(), free_udp_port(), free_udp_port());
        let floor: Samples = Default::default();
        let csu: Samples = Default::default();
        let _floor = spawn_floor(p_floor, w, h, floor.clone(), on.clone());
        let relay_from = match uplink {
            "rtp" => format!("udp://127.0.0.1:{p_relay}"),
            _ => format!("srt://127.0.0.1:{p_relay}?mode=listener"),
        };
        let (relay, url) = spawn_station(&[
            "--from".into(),
            relay_from,
            "--rtsp".into(),
            "127.0.0.1:0".into(),
            "--no-decode".into(),
        ]);
        let mut field_args = vec![
            "--from".to_owned(),
            format!("udp://127.0.0.1:{p_field}"),
            "--rtsp".into(),
            "127.0.0.1:0".into(),
        ];
        match uplink {
            "rtp" => field_args.extend(["--forward".into(), format!("127.0.0.1:{p_relay}")]),
            _ => field_args.extend([
                "--push".into(),
                format!("127.0.0.1:{p_relay}"),
                "--push-latency-ms".into(),
                srt_latency.to_string(),
            ]),
        }
        let (_field, _) = spawn_station(&field_args);
        let dests: Vec<SocketAddr> = [p_floor, p_field]
            .iter()
            .map(|p| SocketAddr::from(([127, 0, 0, 1], *p)))
            .collect();
        let (_sender, _sim) = match &sim {
            Some(bin) => {
                let p_sim = free_udp_port();
                fan_out(p_sim, dests, stop.clone());
                let child = Command::new(bin)
                    .args(["--scenario", "istres-calm", "--udp"])
                    .arg(format!("127.0.0.1:{}", free_udp_port()))
                    .arg("--video")
                    .arg(format!("rtp://127.0.0.1:{p_sim}"))
                    .args(["--video-height", &h.to_string()])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap_or_else(|e| panic!("{bin}: {e}"));
                (None, Some(KillOnDrop(child)))
            }
            None => (
                Some(
                    TestSender::start_multi(&SenderConfig::new(w, h, 30), &dests)
                        .unwrap_or_else(|e| panic!("{e}")),
                ),
                None,
            ),
        };
        let viewer = Ingest::start(
            IngestConfig::new(
                "csu",
                SourceUri::parse(&url).unwrap_or_else(|e| panic!("{e}")),
            ),
            events.clone(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let t = watch_slot(&viewer, csu.clone(), on.clone(), stop.clone());
        let mut others: Vec<KillOnDrop> = Vec::new();
        for viewers in [1usize, 4, 8] {
            while others.len() + 1 < viewers {
                others.push(KillOnDrop(
                    Command::new("gst-launch-1.0")
                        .args([
                            "-q",
                            "rtspsrc",
                            &format!("location={url}"),
                            "latency=0",
                            "protocols=tcp",
                            "!",
                            "fakesink",
                            "sync=false",
                        ])
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .spawn()
                        .unwrap_or_else(|e| panic!("gst-launch-1.0: {e}")),
                ));
            }
            // Warm-up (keyframe, RTSP setup), then a clean window.
            std::thread::sleep(Duration::from_secs(3));
            for s in [&floor, &csu] {
                if let Ok(mut v) = s.lock() {
                    v.clear();
                }
            }
            let (cpu0, t0) = (cpu_seconds(relay.0.id()), Instant::now());
            on.store(true, Ordering::Relaxed);
            std::thread::sleep(Duration::from_secs(seconds));
            on.store(false, Ordering::Relaxed);
            let relay_cpu_pct =
                (cpu_seconds(relay.0.id()) - cpu0) / t0.elapsed().as_secs_f64() * 100.0;
            let get = |s: &Samples| stats(&s.lock().map(|v| v.clone()).unwrap_or_default());
            rows.push(Row {
                uplink: match uplink {
                    "rtp" => "RTP/UDP".into(),
                    _ => format!("SRT (latency {srt_latency} ms)"),
                },
                viewers,
                floor: get(&floor),
                csu: get(&csu),
                relay_cpu_pct,
            });
        }
        stop.store(true, Ordering::Relaxed);
        let _ = t.join();
        drop(others);
        drop(viewer);
    }
    println!(
        "\nfield → relay → viewer, {w}x{h}, {} source, {seconds} s windows: latency capture → decoded frame (ms)",
        if sim.is_some() {
            "vigie-sim"
        } else {
            "stamped test"
        }
    );
    println!(
        "{:<24} {:>7} {:>13} {:>13} {:>13} {:>9} {:>6}",
        "uplink", "viewers", "floor med/p95", "CSU med/p95", "CSU − floor", "relay CPU", "n"
    );
    for r in &rows {
        println!(
            "{:<24} {:>7} {:>6.1}/{:<6.1} {:>6.1}/{:<6.1} {:>+13.1} {:>8.1}% {:>6}",
            r.uplink,
            r.viewers,
            r.floor.0,
            r.floor.1,
            r.csu.0,
            r.csu.1,
            r.csu.0 - r.floor.0,
            r.relay_cpu_pct,
            r.csu.2
        );
    }
    println!(
        "(relay CPU: percentage of one core, user + system, of the relay process)\ntotal {:.0} s",
        start.elapsed().as_secs_f64()
    );
}

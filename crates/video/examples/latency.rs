//! Latency harness (issue 6 "Measurement"). Run with:
//!
//! ```text
//! cargo run --release -p vigie_video --example latency [-- --seconds 10]
//! ```
//!
//! A stamped sender (`videotestsrc → stamp → x264enc tune=zerolatency → rtph264pay`, see
//! `vigie_video::testsrc`) sends the same RTP packets to every receiver at once, so all paths are
//! measured on the same frames in the same run:
//! - **floor**: a plain `gst-launch-1.0` process, `udpsrc ! rtph264depay ! avdec_h264 thread-type=slice
//!   ! videoconvert ! RGBA`, cropped to the stamp strip and written to a pipe we read;
//! - **pilot**: `vigie_video::Ingest` (low-latency profile), read at the latest-frame slot;
//! - **pilot-smooth**: the same with the smooth profile;
//! - **csu-N**: one decoding viewer (`Ingest` from the RTSP restream) while N-1 other viewers
//!   (`gst-launch-1.0 rtspsrc ! fakesink`) also watch (one media pipeline per viewer, no re-encoding).
//!
//! Latency = time the decoded frame is available − capture time stamped in the picture.

use std::io::Read;
use std::net::{SocketAddr, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use vigie_video::testsrc::{SenderConfig, TestSender};
use vigie_video::{
    Events, Ingest, IngestConfig, Profile, RestreamConfig, RtspRestream, SourceUri, stamp,
};

type Samples = Arc<Mutex<Vec<f64>>>;

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

/// The floor: a gst-launch-1.0 process writing the 1024×16 RGBA stamp strip of each frame to stdout.
fn spawn_floor(
    port: u16,
    w: u32,
    h: u32,
    samples: Samples,
    recording: Arc<std::sync::atomic::AtomicBool>,
) -> Child {
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
                && recording.load(std::sync::atomic::Ordering::Relaxed)
                && let Ok(mut v) = samples.lock()
            {
                v.push((now - s) as f64 / 1000.0);
            }
        }
    });
    child
}

/// Read stamps at the latest-frame slot, as the UI would get them.
fn watch_slot(
    ingest: &Ingest,
    samples: Samples,
    recording: Arc<std::sync::atomic::AtomicBool>,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<()> {
    let slot = ingest.frames();
    std::thread::spawn(move || {
        let mut last = None;
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            if let Some(f) = slot.wait_newer(last, Duration::from_millis(200)) {
                last = Some(f.seq);
                if let Some(s) = f.capture_stamp_unix_us()
                    && recording.load(std::sync::atomic::Ordering::Relaxed)
                    && let Ok(mut v) = samples.lock()
                {
                    v.push(f.received_unix_us.saturating_sub(s) as f64 / 1000.0);
                }
            }
        }
    })
}

/// Kills its child process when dropped, also when a phase panics.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Phase {
    label: String,
    rows: Vec<(String, (f64, f64, usize))>,
}

fn measure(
    label: &str,
    seconds: u64,
    series: &[(&str, &Samples)],
    recording: &Arc<std::sync::atomic::AtomicBool>,
) -> Phase {
    // Warm-up (first keyframe, RTSP setup), then a clean window.
    std::thread::sleep(Duration::from_secs(2));
    for (_, s) in series {
        if let Ok(mut v) = s.lock() {
            v.clear();
        }
    }
    recording.store(true, std::sync::atomic::Ordering::Relaxed);
    std::thread::sleep(Duration::from_secs(seconds));
    recording.store(false, std::sync::atomic::Ordering::Relaxed);
    let rows = series
        .iter()
        .map(|(n, s)| {
            (
                n.to_string(),
                stats(&s.lock().map(|v| v.clone()).unwrap_or_default()),
            )
        })
        .collect();
    Phase {
        label: label.to_owned(),
        rows,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seconds: u64 = args
        .iter()
        .position(|a| a == "--seconds")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let (events, _rx) = Events::channel();
    let mut phases = Vec::new();
    let start = Instant::now();
    for (w, h) in [(1280u32, 720u32), (1920, 1080)] {
        let res = format!("{}p30", h);
        let recording = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (p_floor, p_pilot, p_smooth) = (free_udp_port(), free_udp_port(), free_udp_port());
        let floor: Samples = Default::default();
        let pilot: Samples = Default::default();
        let smooth: Samples = Default::default();
        let csu: Samples = Default::default();
        let floor_child = KillOnDrop(spawn_floor(p_floor, w, h, floor.clone(), recording.clone()));
        let pilot_ingest = Ingest::start(
            IngestConfig::new(
                "drone1",
                SourceUri::parse(&format!("udp://127.0.0.1:{p_pilot}"))
                    .unwrap_or_else(|e| panic!("{e}")),
            ),
            events.clone(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let dests: Vec<SocketAddr> = [p_floor, p_pilot, p_smooth]
            .iter()
            .map(|p| SocketAddr::from(([127, 0, 0, 1], *p)))
            .collect();
        let sender = TestSender::start_multi(&SenderConfig::new(w, h, 30), &dests)
            .unwrap_or_else(|e| panic!("{e}"));
        let t_pilot = watch_slot(
            &pilot_ingest,
            pilot.clone(),
            recording.clone(),
            stop.clone(),
        );

        phases.push(measure(
            &format!("{res}: pilot path (1 stream)"),
            seconds,
            &[
                ("floor (gst-launch)", &floor),
                ("pilot low-latency", &pilot),
            ],
            &recording,
        ));

        let mut scfg = IngestConfig::new(
            "smooth",
            SourceUri::parse(&format!("udp://127.0.0.1:{p_smooth}"))
                .unwrap_or_else(|e| panic!("{e}")),
        );
        scfg.profile = Profile::Smooth;
        let smooth_ingest = Ingest::start(scfg, events.clone()).unwrap_or_else(|e| panic!("{e}"));
        let t_smooth = watch_slot(
            &smooth_ingest,
            smooth.clone(),
            recording.clone(),
            stop.clone(),
        );
        phases.push(measure(
            &format!("{res}: smooth profile"),
            seconds,
            &[
                ("floor (gst-launch)", &floor),
                ("pilot low-latency", &pilot),
                ("pilot smooth", &smooth),
            ],
            &recording,
        ));
        drop(smooth_ingest);

        let server = RtspRestream::start(
            RestreamConfig {
                bind: "127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}")),
                users_file: None,
                tls: None,
                admission: None,
            },
            events.clone(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let url = server
            .add_stream(&pilot_ingest)
            .unwrap_or_else(|e| panic!("{e}"));
        let viewer = Ingest::start(
            IngestConfig::new(
                "csu",
                SourceUri::parse(&url).unwrap_or_else(|e| panic!("{e}")),
            ),
            events.clone(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let t_csu = watch_slot(&viewer, csu.clone(), recording.clone(), stop.clone());
        phases.push(measure(
            &format!("{res}: CSU path, 1 viewer"),
            seconds,
            &[
                ("floor (gst-launch)", &floor),
                ("pilot low-latency", &pilot),
                ("csu viewer 1/1", &csu),
            ],
            &recording,
        ));

        let others: Vec<KillOnDrop> = (0..3)
            .map(|_| {
                Command::new("gst-launch-1.0")
                    .args([
                        "-q",
                        "rtspsrc",
                        &format!("location={url}"),
                        "latency=0",
                        "!",
                        "fakesink",
                        "sync=false",
                    ])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .map(KillOnDrop)
                    .unwrap_or_else(|e| panic!("gst-launch-1.0: {e}"))
            })
            .collect();
        phases.push(measure(
            &format!("{res}: CSU path, 4 viewers"),
            seconds,
            &[
                ("floor (gst-launch)", &floor),
                ("pilot low-latency", &pilot),
                ("csu viewer 1/4", &csu),
            ],
            &recording,
        ));
        let viewers = server.viewers().len();

        drop(others);
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for t in [t_pilot, t_smooth, t_csu] {
            let _ = t.join();
        }
        drop(viewer);
        drop(server);
        drop(sender);
        drop(pilot_ingest);
        drop(floor_child);
        println!(
            "({res}: {viewers} viewer sessions were listed by the server during the 4-viewer phase)"
        );
    }
    println!(
        "\nlatency capture → decoded frame, ms (same frames for every row of a phase; {seconds} s windows)"
    );
    println!(
        "{:<34} {:<22} {:>8} {:>8} {:>6}",
        "phase", "path", "median", "p95", "n"
    );
    for p in &phases {
        for (name, (med, p95, n)) in &p.rows {
            println!(
                "{:<34} {:<22} {:>8.1} {:>8.1} {:>6}",
                p.label, name, med, p95, n
            );
        }
    }
    println!("total {:.0} s", start.elapsed().as_secs_f64());
}

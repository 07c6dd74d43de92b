//! Test peer for vigie_video: separate processes the integration tests and scripts drive.
//!
//! ```text
//! vigie-video-peer send --to HOST:PORT[,HOST:PORT…] [--size WxH] [--fps N] [--mpegts] [--audio] [--h265]
//! vigie-video-peer record --from URI --dir DIR [--segment-ms N] [--session ID]
//! vigie-video-peer station --from URI --rtsp HOST:PORT [--record DIR] [--no-decode]
//!                          [--push HOST:PORT [--push-latency-ms N]] [--forward HOST:PORT]
//!     (a relay is `station --from srt://…?mode=listener --no-decode`; SRT passphrase from
//!      VIGIE_SRT_PASSPHRASE)
//! vigie-video-peer check-plugins --uri URI
//! vigie-video-peer latency --from URI [--seconds N]   (median/p95 of a stamped source at the slot)
//! ```
//! `record` reads `flag NAME` and `cut` lines on stdin. Lines on stdout: `READY …`, `OPENED <path>`, `SEGMENT <path> <sha256> <closed_by> <flags,…>`,
//! `EVENT <debug>`. Runs until stdin closes, or until killed with `--until-killed`.

use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::time::Duration;

use vigie_video::testsrc::{SenderConfig, TestSender};
use vigie_video::{
    Events, Ingest, IngestConfig, RecordConfig, Recorder, RestreamConfig, RtspRestream, SourceUri,
    VideoEvent,
};

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn flag(args: &[String], name: &str) -> bool {
    args.iter().any(|a| a == name)
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Block until stdin closes (the parent died or closed the pipe); with `--until-killed`, until a signal.
fn wait_for_stdin_close() {
    if std::env::args().any(|a| a == "--until-killed") {
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        if line.is_err() {
            break;
        }
    }
}

fn events_to_stdout() -> Events {
    Events::new(|e| match &e {
        VideoEvent::SegmentClosed(s) => say(&format!(
            "SEGMENT {} {} {:?} {}",
            s.path.display(),
            s.sha256_hex,
            s.closed_by,
            s.flags.join(",")
        )),
        VideoEvent::SegmentOpened { path, .. } => say(&format!("OPENED {}", path.display())),
        other => say(&format!("EVENT {other:?}")),
    })
}

fn run(args: &[String]) -> Result<(), String> {
    let Some(cmd) = args.first() else {
        return Err("usage: see the doc comment of vigie-video-peer".into());
    };
    match cmd.as_str() {
        "send" => {
            let to = arg(args, "--to").ok_or("send needs --to HOST:PORT[,HOST:PORT…]")?;
            let dests = to
                .split(',')
                .map(|d| d.parse().map_err(|e| format!("--to {d}: {e}")))
                .collect::<Result<Vec<std::net::SocketAddr>, String>>()?;
            let size = arg(args, "--size").unwrap_or_else(|| "1280x720".into());
            let (w, h) = size.split_once('x').ok_or("--size WxH")?;
            let fps = arg(args, "--fps").unwrap_or_else(|| "30".into());
            let mut cfg = SenderConfig::new(
                w.parse().map_err(|_| "--size WxH")?,
                h.parse().map_err(|_| "--size WxH")?,
                fps.parse().map_err(|_| "--fps N")?,
            );
            cfg.mpegts = flag(args, "--mpegts");
            cfg.audio = flag(args, "--audio");
            if flag(args, "--h265") {
                cfg.codec = vigie_video::Codec::H265;
            }
            let _sender = TestSender::start_multi(&cfg, &dests).map_err(|e| e.to_string())?;
            say("READY");
            wait_for_stdin_close();
            Ok(())
        }
        "record" => {
            let from = arg(args, "--from").ok_or("record needs --from URI")?;
            let dir = arg(args, "--dir").ok_or("record needs --dir DIR")?;
            let seg = arg(args, "--segment-ms").unwrap_or_else(|| "4000".into());
            let source = SourceUri::parse(&from).map_err(|e| e.to_string())?;
            let events = events_to_stdout();
            let mut icfg = IngestConfig::new("rec", source);
            icfg.decode = false;
            let ingest = Ingest::start(icfg, events.clone()).map_err(|e| e.to_string())?;
            let mut rcfg = RecordConfig::new(dir);
            rcfg.segment = Duration::from_millis(seg.parse().map_err(|_| "--segment-ms N")?);
            rcfg.min_free_bytes = 0;
            rcfg.session = arg(args, "--session");
            let recorder = Recorder::start(rcfg, &ingest, events).map_err(|e| e.to_string())?;
            say("READY");
            // Commands on stdin: `flag NAME` (the segment being written), `cut`; EOF stops.
            for line in std::io::stdin().lock().lines().map_while(Result::ok) {
                match line.split_once(' ') {
                    Some(("flag", name)) => {
                        recorder.flag_current(name.trim());
                        say(&format!("FLAGGED {}", name.trim()));
                    }
                    _ if line.trim() == "cut" => recorder.cut(),
                    _ => {}
                }
            }
            recorder.stop();
            ingest.stop();
            Ok(())
        }
        "station" => {
            let from = arg(args, "--from").ok_or("station needs --from URI")?;
            let bind = arg(args, "--rtsp").ok_or("station needs --rtsp HOST:PORT")?;
            let mut source = SourceUri::parse(&from).map_err(|e| e.to_string())?;
            let passphrase = std::env::var("VIGIE_SRT_PASSPHRASE")
                .ok()
                .map(|p| vigie_video::SrtPassphrase::new(&p).map_err(|e| e.to_string()))
                .transpose()?;
            if let Some(p) = &passphrase {
                source = source.with_srt_passphrase(p.clone());
            }
            let events = events_to_stdout();
            let mut icfg = IngestConfig::new("drone1", source);
            icfg.decode = !flag(args, "--no-decode");
            let ingest = Ingest::start(icfg, events.clone()).map_err(|e| e.to_string())?;
            let rcfg =
                RestreamConfig::new(bind.parse().map_err(|e| format!("--rtsp {bind}: {e}"))?);
            let server = RtspRestream::start(rcfg, events.clone()).map_err(|e| e.to_string())?;
            let url = server.add_stream(&ingest).map_err(|e| e.to_string())?;
            let recorder = match arg(args, "--record") {
                Some(dir) => {
                    let mut c = RecordConfig::new(dir);
                    c.min_free_bytes = 0;
                    Some(Recorder::start(c, &ingest, events).map_err(|e| e.to_string())?)
                }
                None => None,
            };
            let mut forwards = Vec::new();
            if let Some(to) = arg(args, "--push") {
                let (host, port) = to.rsplit_once(':').ok_or("--push HOST:PORT")?;
                let p = passphrase
                    .clone()
                    .ok_or("--push needs VIGIE_SRT_PASSPHRASE")?;
                let mut c = vigie_video::SrtCaller::new(
                    host,
                    port.parse().map_err(|_| "--push HOST:PORT")?,
                    p,
                );
                c.latency_ms = arg(args, "--push-latency-ms")
                    .map(|v| v.parse().map_err(|_| "--push-latency-ms N"))
                    .transpose()?
                    .unwrap_or(200);
                forwards.push(vigie_video::ForwardTarget::SrtCaller(c));
            }
            if let Some(to) = arg(args, "--forward") {
                forwards.push(vigie_video::ForwardTarget::RtpUdp(
                    to.parse().map_err(|e| format!("--forward {to}: {e}"))?,
                ));
            }
            let forwards = forwards
                .into_iter()
                .map(|t| vigie_video::Forward::start(t, &ingest, events_to_stdout()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| e.to_string())?;
            say(&format!("READY {url}"));
            // The display: take the latest frame as a UI would, at 60 Hz.
            let frames = ingest.frames();
            let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let decode = !flag(args, "--no-decode");
            let ui = {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    // A relay (no decoding) has no display.
                    while decode && !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        let _ = frames.latest();
                        std::thread::sleep(Duration::from_millis(16));
                    }
                })
            };
            wait_for_stdin_close();
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            let _ = ui.join();
            drop(forwards);
            drop(recorder);
            drop(server);
            ingest.stop();
            Ok(())
        }
        "latency" => {
            // Latency of any stamped source (the simulator, a test sender) at the frame slot.
            let from = arg(args, "--from").ok_or("latency needs --from URI")?;
            let seconds: u64 = arg(args, "--seconds")
                .unwrap_or_else(|| "10".into())
                .parse()
                .map_err(|_| "--seconds N")?;
            let source = SourceUri::parse(&from).map_err(|e| e.to_string())?;
            let ingest = Ingest::start(IngestConfig::new("probe", source), Events::log_only())
                .map_err(|e| e.to_string())?;
            let slot = ingest.frames();
            let deadline = std::time::Instant::now() + Duration::from_secs(seconds);
            let (mut last, mut lat, mut unstamped, mut size) = (None, Vec::new(), 0u64, (0, 0));
            while std::time::Instant::now() < deadline {
                let Some(f) = slot.wait_newer(last, Duration::from_millis(500)) else {
                    continue;
                };
                last = Some(f.seq);
                size = (f.width, f.height);
                match f.capture_stamp_unix_us() {
                    Some(s) => lat.push(f.received_unix_us.saturating_sub(s) as f64 / 1000.0),
                    None => unstamped += 1,
                }
            }
            lat.sort_by(|a, b| a.total_cmp(b));
            if lat.is_empty() {
                return Err(format!(
                    "no stamped frame in {seconds} s ({unstamped} frames without a stamp)"
                ));
            }
            say(&format!(
                "{}x{}: {} stamped frames, {} without; latency median {:.1} ms, p95 {:.1} ms",
                size.0,
                size.1,
                lat.len(),
                unstamped,
                lat[lat.len() / 2],
                lat[(lat.len() * 95 / 100).min(lat.len() - 1)]
            ));
            Ok(())
        }
        "check-plugins" => {
            let uri = arg(args, "--uri").ok_or("check-plugins needs --uri URI")?;
            let source = SourceUri::parse(&uri).map_err(|e| e.to_string())?;
            vigie_video::plugins::check(&vigie_video::plugins::for_source(&source))
                .map_err(|e| e.to_string())?;
            say("OK");
            Ok(())
        }
        other => Err(format!("unknown command `{other}`")),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vigie-video-peer: {e}");
            ExitCode::from(2)
        }
    }
}

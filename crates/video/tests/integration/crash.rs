//! A recorder killed with SIGKILL: every closed segment plays, the open one is mostly readable.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gstreamer as gst;
use gstreamer::prelude::*;

use vigie_video::testsrc::{SenderConfig, TestSender};

use super::common::*;

const T: Duration = Duration::from_secs(60);

/// Decode a possibly truncated Matroska file to the end; number of decoded frames.
fn decodable_frames(path: &std::path::Path) -> u64 {
    gst::init().unwrap();
    let p = gst::parse::launch(&format!(
        "filesrc location={} ! matroskademux ! h264parse ! avdec_h264 ! fakesink name=sink sync=false",
        path.display()
    ))
    .unwrap()
    .downcast::<gst::Pipeline>()
    .unwrap();
    let count = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let sink_pad = p.by_name("sink").unwrap().static_pad("sink").unwrap();
    let c = count.clone();
    sink_pad.add_probe(gst::PadProbeType::BUFFER, move |_, _| {
        c.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        gst::PadProbeReturn::Ok
    });
    p.set_state(gst::State::Playing).unwrap();
    // A truncated file may end in an error rather than EOS; both end the count.
    let _ = p.bus().unwrap().timed_pop_filtered(
        gst::ClockTime::from_seconds(30),
        &[gst::MessageType::Eos, gst::MessageType::Error],
    );
    p.set_state(gst::State::Null).unwrap();
    count.load(std::sync::atomic::Ordering::Relaxed)
}

#[test]
fn segments_survive_a_kill_9_of_the_recorder() {
    let port = free_udp_port();
    let dir = tempfile::tempdir().unwrap();
    let _sender = TestSender::start(&SenderConfig::new(W, H, 30), local(port)).unwrap();
    let mut child = Command::new(PEER)
        .args([
            "record",
            "--from",
            &format!("udp://127.0.0.1:{port}"),
            "--dir",
        ])
        .arg(dir.path())
        .args(["--segment-ms", "1000"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + T;
    let mut closed: Vec<(std::path::PathBuf, String)> = Vec::new();
    while closed.len() < 2 {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("SEGMENT lines from the recorder");
        if let Some(rest) = line.strip_prefix("SEGMENT ") {
            let (path, sha) = rest.rsplit_once(' ').unwrap();
            closed.push((path.into(), sha.to_owned()));
        }
    }
    // Well into the next segment, then SIGKILL: no chance to finalise anything.
    std::thread::sleep(Duration::from_millis(700));
    child.kill().unwrap();
    let _ = child.wait();

    for (path, sha) in &closed {
        let (ok, report) = discover(path);
        assert!(
            ok && report.contains("Matroska"),
            "closed segment {}: {report}",
            path.display()
        );
        assert_eq!(
            &sha256sum(path),
            sha,
            "the closed segment is unchanged since it was hashed"
        );
    }
    let mut files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let open = files
        .iter()
        .find(|f| !closed.iter().any(|(c, _)| c == *f))
        .expect("the segment in progress exists");
    // ≈ 0.7 s at 30 fps were written to it; most of it must decode.
    let frames = decodable_frames(open);
    assert!(
        frames >= 10,
        "only {frames} frames decodable from the open segment {}",
        open.display()
    );
    let closed_frames = decodable_frames(&closed[0].0);
    assert!(
        closed_frames >= 25,
        "closed segment: {closed_frames} frames"
    );
}

fn sha256sum(path: &std::path::Path) -> String {
    let o = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

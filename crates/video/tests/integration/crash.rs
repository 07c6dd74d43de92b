//! A recorder killed with SIGKILL: every closed segment plays and keeps its hash, no file named
//! `.mkv` is ever undecodable (the segment in progress is a `.part`), and the next start recovers
//! the `.part` as a segment flagged `unfinalised` (with its `domicile` flag), or removes it when
//! it holds no video.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use gstreamer as gst;
use gstreamer::prelude::*;

use vigie_video::testsrc::{SenderConfig, TestSender};
use vigie_video::{SegmentEnd, VideoEvent};

use super::common::*;

const T: Duration = Duration::from_secs(60);

/// Decode a possibly truncated Matroska file to the end; number of decoded frames.
pub fn decodable_frames(path: &Path) -> u64 {
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

pub fn sha256sum(path: &Path) -> String {
    let o = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

struct RecorderProcess {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
}

fn spawn_recorder(port: u16, dir: &Path, segment_ms: u32) -> RecorderProcess {
    let mut child = Command::new(PEER)
        .args([
            "record",
            "--from",
            &format!("udp://127.0.0.1:{port}"),
            "--session",
            "F-TEST-1",
            "--dir",
        ])
        .arg(dir)
        .args(["--segment-ms", &segment_ms.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, lines) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let stdin = child.stdin.take().unwrap();
    RecorderProcess {
        child,
        stdin,
        lines,
    }
}

impl RecorderProcess {
    fn next_line(&self, deadline: Instant, what: &str) -> String {
        self.lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("no {what} line from the recorder"))
    }

    fn kill(mut self) {
        self.child.kill().unwrap();
        let _ = self.child.wait();
    }
}

fn files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    v.sort();
    v
}

/// Every `.mkv` in `dir` is read by gst-discoverer-1.0 as Matroska with video.
fn every_mkv_decodes(dir: &Path) {
    for f in files(dir, ".mkv") {
        let (ok, report) = discover(&f);
        assert!(
            ok && report.contains("Matroska") && report.contains("video"),
            "{} does not decode: {report}",
            f.display()
        );
    }
}

#[test]
fn segments_survive_a_kill_9_of_the_recorder() {
    let port = free_udp_port();
    let dir = tempfile::tempdir().unwrap();
    let _sender = TestSender::start(&SenderConfig::new(W, H, 30), local(port)).unwrap();
    let mut rec = spawn_recorder(port, dir.path(), 1000);
    let deadline = Instant::now() + T;
    let mut closed: Vec<(PathBuf, String)> = Vec::new();
    while closed.len() < 2 {
        let line = rec.next_line(deadline, "SEGMENT");
        if let Some(rest) = line.strip_prefix("SEGMENT ") {
            let mut parts = rest.split(' ');
            let (path, sha) = (parts.next().unwrap(), parts.next().unwrap());
            closed.push((path.into(), sha.to_owned()));
        }
    }
    // Flag the segment being written: the flag must survive the crash.
    writeln!(rec.stdin, "flag domicile").unwrap();
    loop {
        if rec.next_line(deadline, "FLAGGED").starts_with("FLAGGED") {
            break;
        }
    }
    // Well into the segment, then SIGKILL: no chance to finalise anything.
    std::thread::sleep(Duration::from_millis(500));
    rec.kill();

    for (path, sha) in &closed {
        assert_eq!(
            &sha256sum(path),
            sha,
            "the closed segment is unchanged since it was hashed"
        );
    }
    assert!(decodable_frames(&closed[0].0) >= 25);
    every_mkv_decodes(dir.path());
    let parts = files(dir.path(), ".part");
    assert_eq!(parts.len(), 1, "the segment in progress: {parts:?}");

    // The next start recovers it: renamed, hashed, flagged, and it decodes.
    let events = vigie_video::record::recover(dir.path(), "rec");
    let [VideoEvent::SegmentClosed(seg)] = &events[..] else {
        panic!("{events:#?}")
    };
    assert_eq!(seg.closed_by, SegmentEnd::Recovered);
    assert!(
        seg.flags.contains(&"unfinalised".to_owned()) && seg.flags.contains(&"domicile".to_owned()),
        "{seg:?}"
    );
    assert_eq!(seg.session.as_deref(), Some("F-TEST-1"));
    assert_eq!(seg.sha256_hex, sha256sum(&seg.path));
    assert!(files(dir.path(), ".part").is_empty());
    assert!(files(dir.path(), ".flags").is_empty());
    every_mkv_decodes(dir.path());
    // ≈ 0.5 s at 30 fps were written to it; most of it decodes.
    let frames = decodable_frames(&seg.path);
    assert!(
        frames >= 8,
        "only {frames} frames in {}",
        seg.path.display()
    );
}

/// Regression: splitmuxsink creates a segment's file before it writes any video; killed then, a
/// recorder writing straight to `.mkv` left an empty `.mkv` that gst-discoverer cannot read.
#[test]
fn a_kill_as_a_segment_opens_leaves_no_undecodable_segment() {
    let port = free_udp_port();
    let dir = tempfile::tempdir().unwrap();
    let _sender = TestSender::start(&SenderConfig::new(W, H, 30), local(port)).unwrap();
    for round in 0..3 {
        let rec = spawn_recorder(port, dir.path(), 1000);
        let deadline = Instant::now() + T;
        // Round 0: the very first segment; later rounds: the second one of the run.
        let wanted = if round == 0 { 1 } else { 2 };
        let mut opened = 0;
        while opened < wanted {
            opened += usize::from(rec.next_line(deadline, "OPENED").starts_with("OPENED "));
        }
        rec.kill();
        every_mkv_decodes(dir.path());
        for e in vigie_video::record::recover(dir.path(), "rec") {
            match e {
                VideoEvent::SegmentClosed(s) => {
                    assert_eq!(s.closed_by, SegmentEnd::Recovered);
                    assert_eq!(s.sha256_hex, sha256sum(&s.path));
                }
                VideoEvent::SegmentDiscarded { path, .. } => assert!(!path.exists()),
                other => panic!("round {round}: {other:?}"),
            }
        }
        assert!(files(dir.path(), ".part").is_empty(), "round {round}");
        every_mkv_decodes(dir.path());
    }
}

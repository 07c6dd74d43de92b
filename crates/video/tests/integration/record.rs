//! Recording: hashed Matroska segments, no audio track, flags, disk-space guard.

use std::process::Command;
use std::time::Duration;

use vigie_video::testsrc::{SenderConfig, TestSender};
use vigie_video::{
    Events, Ingest, IngestConfig, RecordConfig, Recorder, RestreamConfig, RtspRestream, SegmentEnd,
    SegmentInfo, SourceUri, VideoEvent,
};

use super::common::*;

const T: Duration = Duration::from_secs(40);

fn sha256sum(path: &std::path::Path) -> String {
    let o = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn a_source_with_audio_yields_hashed_playable_segments_and_a_restream_without_audio() {
    let (p_probe, p_ingest) = (free_udp_port(), free_udp_port());
    let mut cfg = SenderConfig::new(W, H, 30);
    cfg.mpegts = true;
    cfg.audio = true;
    let _sender = TestSender::start_multi(&cfg, &[local(p_probe), local(p_ingest)]).unwrap();
    // The source really carries audio.
    let probe = run_with_timeout(
        Command::new("ffprobe").args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_type",
            &format!("udp://127.0.0.1:{p_probe}"),
        ]),
        T,
    );
    assert!(
        text(&probe).contains("codec_type=audio"),
        "source: {}",
        text(&probe)
    );

    let dir = tempfile::tempdir().unwrap();
    let (events, rx) = Events::channel();
    let mut icfg = IngestConfig::new(
        "ts1",
        SourceUri::parse(&format!("mpegts://127.0.0.1:{p_ingest}")).unwrap(),
    );
    icfg.decode = false;
    let ingest = Ingest::start(icfg, events.clone()).unwrap();
    wait_event(&rx, T, "StreamUp", |e| {
        matches!(e, VideoEvent::StreamUp { .. })
    });
    let mut rcfg = RecordConfig::new(dir.path());
    rcfg.segment = Duration::from_secs(1);
    rcfg.min_free_bytes = 0;
    let recorder = Recorder::start(rcfg, &ingest, events.clone()).unwrap();

    // The restream of the same source: video only.
    let server = RtspRestream::start(
        RestreamConfig {
            bind: "127.0.0.1:0".parse().unwrap(),
            users_file: None,
            tls: None,
            admission: None,
        },
        events,
    )
    .unwrap();
    let url = server.add_stream(&ingest).unwrap();
    let probe = run_with_timeout(
        Command::new("ffprobe").args([
            "-v",
            "error",
            "-rtsp_transport",
            "tcp",
            "-show_entries",
            "stream=codec_type",
            &url,
        ]),
        T,
    );
    assert!(
        text(&probe).contains("codec_type=video"),
        "{}",
        text(&probe)
    );
    assert!(
        !text(&probe).contains("audio"),
        "restream: {}",
        text(&probe)
    );

    let mut segments: Vec<SegmentInfo> = Vec::new();
    let seg = |e: &VideoEvent| matches!(e, VideoEvent::SegmentClosed(_));
    let (VideoEvent::SegmentClosed(s), _) = wait_event(&rx, T, "segment 1", seg) else {
        unreachable!()
    };
    segments.push(s);
    recorder.flag_current("domicile");
    let (VideoEvent::SegmentClosed(s), _) = wait_event(&rx, T, "segment 2", seg) else {
        unreachable!()
    };
    segments.push(s);
    recorder.stop();
    // Stopping closes, hashes and reports the segment in progress.
    let (VideoEvent::SegmentClosed(s), _) = wait_event(&rx, T, "the last segment", seg) else {
        unreachable!()
    };
    segments.push(s);

    assert!(
        segments[1].flags.contains(&"domicile".to_owned()),
        "{segments:#?}"
    );
    assert!(segments[0].flags.is_empty());
    for (i, s) in segments.iter().enumerate() {
        assert_eq!(s.stream, "ts1");
        assert!(
            s.path.starts_with(dir.path()) && s.path.extension().is_some_and(|e| e == "mkv"),
            "{s:?}"
        );
        assert_eq!(
            s.sha256_hex,
            sha256sum(&s.path),
            "hash of {}",
            s.path.display()
        );
        assert_eq!(s.bytes, std::fs::metadata(&s.path).unwrap().len());
        assert!(s.start_unix_us < s.end_unix_us, "{s:?}");
        if i > 0 {
            assert!(
                s.start_unix_us >= segments[i - 1].start_unix_us,
                "{segments:#?}"
            );
        }
        let (ok, report) = discover(&s.path);
        assert!(ok, "{report}");
        assert!(
            report.contains("Matroska") && report.contains("video #"),
            "{report}"
        );
        assert!(
            !report.to_lowercase().contains("audio"),
            "segment with audio: {report}"
        );
    }
}

#[test]
fn the_disk_space_guard_stops_recording_with_an_alarm_and_the_stream_goes_on() {
    let port = free_udp_port();
    let dir = tempfile::tempdir().unwrap();
    let (events, rx) = Events::channel();
    let ingest = Ingest::start(
        IngestConfig::new(
            "guard",
            SourceUri::parse(&format!("udp://127.0.0.1:{port}")).unwrap(),
        ),
        events.clone(),
    )
    .unwrap();
    let _sender = TestSender::start(&SenderConfig::new(W, H, 30), local(port)).unwrap();
    wait_event(&rx, T, "StreamUp", |e| {
        matches!(e, VideoEvent::StreamUp { .. })
    });
    let mut rcfg = RecordConfig::new(dir.path());
    rcfg.min_free_bytes = 0;
    let recorder = Recorder::start(rcfg, &ingest, events).unwrap();
    assert!(recorder.is_recording());
    std::thread::sleep(Duration::from_millis(1500));
    // The disk "fills up": no machine has this much free space.
    recorder.set_min_free_bytes(u64::MAX);
    let (alarm, _) = wait_event(&rx, T, "RecordingAlarm", |e| {
        matches!(e, VideoEvent::RecordingAlarm { .. })
    });
    let VideoEvent::RecordingAlarm { stream, message } = alarm else {
        unreachable!()
    };
    assert_eq!(stream, "guard");
    assert!(
        message.contains("below the") && message.contains(&dir.path().display().to_string()),
        "{message}"
    );
    // What was recorded before the alarm is closed and reported.
    let (e, _) = wait_event(&rx, T, "the closed segment", |e| {
        matches!(e, VideoEvent::SegmentClosed(_))
    });
    let VideoEvent::SegmentClosed(seg) = e else {
        unreachable!()
    };
    assert!(discover(&seg.path).0);
    wait_until(T, "recorder stopped", || {
        (!recorder.is_recording()).then_some(())
    });
    // The flight's video goes on.
    let slot = ingest.frames();
    let a = slot.wait_newer(None, T).unwrap();
    let b = slot.wait_newer(Some(a.seq + 30), T).unwrap();
    assert!(b.seq > a.seq + 30);
}

#[test]
fn recording_refuses_to_start_below_the_threshold() {
    let port = free_udp_port();
    let dir = tempfile::tempdir().unwrap();
    let (events, _rx) = Events::channel();
    let ingest = Ingest::start(
        IngestConfig::new(
            "full",
            SourceUri::parse(&format!("udp://127.0.0.1:{port}")).unwrap(),
        ),
        events.clone(),
    )
    .unwrap();
    let mut rcfg = RecordConfig::new(dir.path());
    rcfg.min_free_bytes = u64::MAX;
    let err = Recorder::start(rcfg, &ingest, events)
        .err()
        .expect("refused")
        .to_string();
    assert!(
        err.contains("free in") && err.contains("free space or record elsewhere"),
        "{err}"
    );
}

fn closed(rx: &std::sync::mpsc::Receiver<VideoEvent>, what: &str) -> SegmentInfo {
    let (VideoEvent::SegmentClosed(s), _) =
        wait_event(rx, T, what, |e| matches!(e, VideoEvent::SegmentClosed(_)))
    else {
        unreachable!()
    };
    s
}

fn opened(rx: &std::sync::mpsc::Receiver<VideoEvent>, what: &str) -> (Option<String>, u32) {
    let (VideoEvent::SegmentOpened { session, index, .. }, _) = wait_event(rx, T, what, |e| {
        matches!(e, VideoEvent::SegmentOpened { .. })
    }) else {
        unreachable!()
    };
    (session, index)
}

fn check_segment(s: &SegmentInfo) {
    assert_eq!(
        s.sha256_hex,
        sha256sum(&s.path),
        "hash of {}",
        s.path.display()
    );
    assert_eq!(s.bytes, std::fs::metadata(&s.path).unwrap().len());
    let (ok, report) = discover(&s.path);
    assert!(
        ok && report.contains("video #"),
        "{}: {report}",
        s.path.display()
    );
}

/// QGroundControl's recordings stop on a link loss: ours close the segment and resume in a new
/// segment of the same flight when the video comes back.
#[test]
fn after_a_stream_outage_recording_resumes_in_a_new_segment_of_the_same_flight() {
    let port = free_udp_port();
    let dir = tempfile::tempdir().unwrap();
    let (events, rx) = Events::channel();
    let mut icfg = IngestConfig::new(
        "out1",
        SourceUri::parse(&format!("udp://127.0.0.1:{port}")).unwrap(),
    );
    icfg.decode = false;
    icfg.lost_after = Duration::from_millis(600);
    let ingest = Ingest::start(icfg, events.clone()).unwrap();
    let sender = TestSender::start(&SenderConfig::new(W, H, 30), local(port)).unwrap();
    let mut rcfg = RecordConfig::new(dir.path());
    rcfg.session = Some("F-OUTAGE-1".into());
    rcfg.segment = Duration::from_secs(30);
    rcfg.gap = Duration::from_millis(600);
    rcfg.min_free_bytes = 0;
    let recorder = Recorder::start(rcfg, &ingest, events).unwrap();
    assert_eq!(
        opened(&rx, "the first segment"),
        (Some("F-OUTAGE-1".into()), 0)
    );
    // The link goes: the segment in progress is closed and hashed.
    drop(sender);
    let first = closed(&rx, "the segment cut by the outage");
    assert_eq!(first.closed_by, SegmentEnd::StreamLost);
    // The link comes back (a restarted sender: new parameters): a new segment, same flight.
    let _sender = TestSender::start(&SenderConfig::new(W, H, 30), local(port)).unwrap();
    assert_eq!(
        opened(&rx, "the segment after the outage"),
        (Some("F-OUTAGE-1".into()), 1)
    );
    let slot_wait = std::time::Instant::now();
    wait_until(T, "a second of video after the outage", || {
        (slot_wait.elapsed() > Duration::from_secs(1) && ingest.health().bitrate_bps > 0)
            .then_some(())
    });
    recorder.stop();
    let second = closed(&rx, "the last segment");
    assert_eq!(second.closed_by, SegmentEnd::Stopped);
    for s in [&first, &second] {
        assert_eq!(s.session.as_deref(), Some("F-OUTAGE-1"));
        check_segment(s);
    }
    assert_eq!((first.index, second.index), (0, 1));
    assert!(
        second.start_unix_us >= first.end_unix_us,
        "{first:?} {second:?}"
    );
    assert!(
        first
            .path
            .to_string_lossy()
            .contains("out1.F-OUTAGE-1.00000.mkv")
    );
}

#[test]
#[ignore = "known bug: about one run in four, the recorder takes the cut or the new flight only at the segment's length (30 s here, 4 s as the station records); run with --ignored"]
fn a_new_segment_on_demand_and_a_new_flight_tag_in_its_own_directory() {
    let port = free_udp_port();
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (events, rx) = Events::channel();
    let mut icfg = IngestConfig::new(
        "tag1",
        SourceUri::parse(&format!("udp://127.0.0.1:{port}")).unwrap(),
    );
    icfg.decode = false;
    let ingest = Ingest::start(icfg, events.clone()).unwrap();
    let _sender = TestSender::start(&SenderConfig::new(W, H, 30), local(port)).unwrap();
    let mut rcfg = RecordConfig::new(dir_a.path());
    rcfg.session = Some("F-A".into());
    rcfg.segment = Duration::from_secs(30);
    rcfg.min_free_bytes = 0;
    let recorder = Recorder::start(rcfg, &ingest, events).unwrap();
    assert_eq!(opened(&rx, "F-A 0"), (Some("F-A".into()), 0));
    // splitmuxsink names a file before its first GOP arrives; a split asked of an empty file is
    // not honoured (it waits for the segment's length), so each request comes once the segment
    // holds video, as a pilot's or a flight's would.
    let settle = || std::thread::sleep(Duration::from_millis(1500));
    settle();
    recorder.cut();
    let cut = closed(&rx, "the cut segment");
    assert_eq!((cut.closed_by.clone(), cut.index), (SegmentEnd::Cut, 0));
    // splitmuxsink may ask for one location more than it fills on a loaded machine, so the
    // numbers are checked for order, not for being consecutive (names stay unique).
    let (s1, i1) = opened(&rx, "F-A 1");
    assert_eq!(s1.as_deref(), Some("F-A"));
    assert!(i1 >= 1, "{i1}");
    settle();
    recorder
        .set_session(Some("F-B".into()), dir_b.path())
        .unwrap();
    assert_eq!(recorder.session().as_deref(), Some("F-B"));
    let changed = closed(&rx, "the last segment of F-A");
    assert_eq!(
        (changed.closed_by.clone(), changed.session.as_deref()),
        (SegmentEnd::SessionChanged, Some("F-A"))
    );
    assert!(changed.index >= i1, "{} < {i1}", changed.index);
    let (sb, _) = opened(&rx, "F-B 0");
    assert_eq!(sb.as_deref(), Some("F-B"));
    settle();
    recorder.stop();
    let last = closed(&rx, "F-B's segment");
    assert_eq!(
        (last.closed_by.clone(), last.session.as_deref()),
        (SegmentEnd::Stopped, Some("F-B"))
    );
    assert!(last.path.starts_with(dir_b.path()) && cut.path.starts_with(dir_a.path()));
    for s in [&cut, &changed, &last] {
        check_segment(s);
    }
}

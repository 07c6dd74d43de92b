//! Receiving: real senders, real sockets, frames at the latest-frame slot, health and events.

use std::process::Command;
use std::time::Duration;

use vigie_video::testsrc::{SenderConfig, TestCamera, TestSender};
use vigie_video::{
    Backoff, Codec, Events, Ingest, IngestConfig, Profile, RestreamConfig, RtspRestream, SourceUri,
    StreamState, VideoEvent, stamp,
};

use super::common::*;

const T: Duration = Duration::from_secs(30);

#[test]
fn the_simulators_stream_decodes_to_frames_of_the_announced_size() {
    let port = free_udp_port();
    let (events, rx) = Events::channel();
    // The simulator announces VIDEO_STREAM_INFORMATION uri "udp://0.0.0.0:PORT".
    let ingest = Ingest::start(
        IngestConfig::new(
            "drone1",
            SourceUri::parse(&format!("udp://0.0.0.0:{port}")).unwrap(),
        ),
        events,
    )
    .unwrap();
    let _sender = TestSender::start(&SenderConfig::new(1280, 720, 30), local(port)).unwrap();
    let (up, _) = wait_event(&rx, T, "StreamUp", |e| {
        matches!(e, VideoEvent::StreamUp { .. })
    });
    assert_eq!(
        up,
        VideoEvent::StreamUp {
            stream: "drone1".into(),
            width: 1280,
            height: 720
        }
    );
    let frame = wait_stamped_frame(&ingest.frames(), T);
    assert_eq!((frame.width, frame.height), (1280, 720));
    assert_eq!(frame.rgba().len(), 1280 * 720 * 4);
    assert!(frame.pts_ns.is_some());
    // The stamp survives encoding and reads back as a capture time shortly before reception.
    let capture = frame.capture_stamp_unix_us().expect("a plausible stamp");
    let latency_us = frame.received_unix_us as i64 - capture as i64;
    assert!(
        (0..5_000_000).contains(&latency_us),
        "latency {latency_us} µs"
    );
    let health = wait_until(T, "health figures", || {
        let h = ingest.health();
        (h.fps > 10.0 && h.bitrate_bps > 0).then_some(h)
    });
    assert_eq!(health.state, StreamState::Playing);
    assert_eq!((health.width, health.height), (1280, 720));
    assert!(
        health.last_frame_age_ms.is_some_and(|a| a < 1000),
        "{health:?}"
    );
    assert_eq!(health.decode_errors, 0);
}

#[test]
fn h265_over_rtp_is_received() {
    let port = free_udp_port();
    let (events, rx) = Events::channel();
    let ingest = Ingest::start(
        IngestConfig::new(
            "h265",
            SourceUri::parse(&format!("rtp://127.0.0.1:{port}?codec=h265")).unwrap(),
        ),
        events,
    )
    .unwrap();
    let mut cfg = SenderConfig::new(W, H, 30);
    cfg.codec = Codec::H265;
    let _sender = TestSender::start(&cfg, local(port)).unwrap();
    wait_event(&rx, T, "StreamUp", |e| {
        matches!(e, VideoEvent::StreamUp { .. })
    });
    let f = wait_stamped_frame(&ingest.frames(), T);
    assert_eq!((f.width, f.height), (W, H));
    assert!(f.capture_stamp_unix_us().is_some());
}

#[test]
fn the_smooth_profile_receives_too() {
    let port = free_udp_port();
    let (events, rx) = Events::channel();
    let mut cfg = IngestConfig::new(
        "smooth",
        SourceUri::parse(&format!("udp://127.0.0.1:{port}")).unwrap(),
    );
    cfg.profile = Profile::Smooth;
    let ingest = Ingest::start(cfg, events).unwrap();
    let _sender = TestSender::start(&SenderConfig::new(W, H, 30), local(port)).unwrap();
    wait_event(&rx, T, "StreamUp", |e| {
        matches!(e, VideoEvent::StreamUp { .. })
    });
    assert!(
        wait_stamped_frame(&ingest.frames(), T)
            .capture_stamp_unix_us()
            .is_some()
    );
}

#[test]
fn an_rtsp_camera_with_audio_is_received_and_restreamed_without_audio() {
    let camera = TestCamera::start(&SenderConfig::new(W, H, 30)).unwrap();
    // The camera really serves two tracks.
    let probe = run_with_timeout(
        Command::new("ffprobe").args([
            "-v",
            "error",
            "-rtsp_transport",
            "tcp",
            "-show_entries",
            "stream=codec_type",
            &camera.url(),
        ]),
        T,
    );
    let p = text(&probe);
    assert!(
        p.contains("codec_type=audio") && p.contains("codec_type=video"),
        "camera: {p}"
    );

    let (events, rx) = Events::channel();
    let ingest = Ingest::start(
        IngestConfig::new("cam", SourceUri::parse(&camera.url()).unwrap()),
        events.clone(),
    )
    .unwrap();
    wait_event(&rx, T, "StreamUp", |e| {
        matches!(e, VideoEvent::StreamUp { .. })
    });
    assert!(
        wait_stamped_frame(&ingest.frames(), T)
            .capture_stamp_unix_us()
            .is_some()
    );

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
            "stream=codec_type,codec_name,width,height",
            &url,
        ]),
        T,
    );
    let p = text(&probe);
    assert!(probe.status.success(), "{p}");
    assert!(
        p.contains("codec_type=video")
            && p.contains("codec_name=h264")
            && p.contains(&format!("width={W}")),
        "{p}"
    );
    assert!(
        !p.contains("audio"),
        "the restream must carry no audio: {p}"
    );
}

#[test]
fn stream_loss_and_recovery_are_reported() {
    let port = free_udp_port();
    let (events, rx) = Events::channel();
    let mut cfg = IngestConfig::new(
        "drone2",
        SourceUri::parse(&format!("udp://127.0.0.1:{port}")).unwrap(),
    );
    cfg.lost_after = Duration::from_millis(600);
    let ingest = Ingest::start(cfg, events).unwrap();
    let sender = TestSender::start(&SenderConfig::new(W, H, 30), local(port)).unwrap();
    wait_event(&rx, T, "StreamUp", |e| {
        matches!(e, VideoEvent::StreamUp { .. })
    });
    drop(sender);
    let (lost, _) = wait_event(&rx, T, "StreamLost", |e| {
        matches!(e, VideoEvent::StreamLost { .. })
    });
    let VideoEvent::StreamLost { stream, reason } = lost else {
        unreachable!()
    };
    assert_eq!(stream, "drone2");
    assert!(reason.contains("no video for"), "{reason}");
    assert!(
        matches!(ingest.health().state, StreamState::Lost { .. }),
        "{:?}",
        ingest.health()
    );
    let before = ingest.frames().latest().map(|f| f.seq);
    let _sender = TestSender::start(&SenderConfig::new(W, H, 30), local(port)).unwrap();
    wait_event(&rx, T, "StreamRegained", |e| {
        matches!(e, VideoEvent::StreamRegained { .. })
    });
    let after = ingest.frames().wait_newer(before, T).unwrap();
    assert!(after.capture_stamp_unix_us().is_some());
    wait_until(T, "state Playing", || {
        (ingest.health().state == StreamState::Playing).then_some(())
    });
}

#[test]
fn an_unreachable_camera_is_retried_with_backoff_and_shown_as_state() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (events, rx) = Events::channel();
    let mut cfg = IngestConfig::new(
        "cam2",
        SourceUri::parse(&format!("rtsp://127.0.0.1:{port}/live")).unwrap(),
    );
    cfg.backoff = Backoff {
        initial: Duration::from_millis(100),
        max: Duration::from_secs(1),
    };
    let ingest = Ingest::start(cfg, events).unwrap();
    let mut delays = Vec::new();
    for _ in 0..3 {
        let (e, _) = wait_event(&rx, T, "StreamError", |e| {
            matches!(e, VideoEvent::StreamError { .. })
        });
        let VideoEvent::StreamError {
            message,
            retry_in_ms,
            ..
        } = e
        else {
            unreachable!()
        };
        assert!(!message.is_empty());
        delays.push(retry_in_ms);
    }
    assert_eq!(delays, [100, 200, 400]);
    let state = ingest.health().state;
    assert!(
        matches!(
            state,
            StreamState::Retrying { .. } | StreamState::Connecting
        ),
        "{state:?}"
    );
    ingest.stop();
}

#[test]
fn stamps_read_at_the_slot_track_the_capture_time() {
    // Two frames a few hundred ms apart carry stamps that advance by about the same amount.
    let port = free_udp_port();
    let (events, _rx) = Events::channel();
    let ingest = Ingest::start(
        IngestConfig::new(
            "clock",
            SourceUri::parse(&format!("udp://127.0.0.1:{port}")).unwrap(),
        ),
        events,
    )
    .unwrap();
    let _sender = TestSender::start(&SenderConfig::new(W, H, 30), local(port)).unwrap();
    let slot = ingest.frames();
    let a = wait_stamped_frame(&slot, T);
    std::thread::sleep(Duration::from_millis(500));
    let b = wait_stamped_frame_after(&slot, Some(a.seq), T);
    let (sa, sb) = (
        a.capture_stamp_unix_us().unwrap(),
        b.capture_stamp_unix_us().unwrap(),
    );
    let stamped = sb as i64 - sa as i64;
    let received = b.received_unix_us as i64 - a.received_unix_us as i64;
    assert!(
        (stamped - received).abs() < 200_000,
        "stamps moved {stamped} µs, reception {received} µs"
    );
    assert!(stamp::plausible(sb, b.received_unix_us, 5_000_000));
}

/// Regression: converting RTP's avc to byte-stream with h264parse before the decoder gave green,
/// undecodable P-frames (only keyframes were right). Every frame must carry a readable stamp.
#[test]
fn every_decoded_frame_is_clean_not_only_keyframes() {
    let port = free_udp_port();
    let (events, _rx) = Events::channel();
    let ingest = Ingest::start(
        IngestConfig::new(
            "clean",
            SourceUri::parse(&format!("udp://127.0.0.1:{port}")).unwrap(),
        ),
        events,
    )
    .unwrap();
    let _sender = TestSender::start(&SenderConfig::new(W, H, 30), local(port)).unwrap();
    let slot = ingest.frames();
    let mut last = None;
    let mut unreadable = Vec::new();
    // 45 frames span at least one keyframe interval (30). With the bug only keyframes read back
    // (1 in 30); a lost packet on a loaded machine may spoil a few frames until the next keyframe.
    for _ in 0..45 {
        let f = slot.wait_newer(last, T).unwrap();
        last = Some(f.seq);
        if f.capture_stamp_unix_us().is_none() {
            unreadable.push((f.seq, f.rgba()[..4].to_vec()));
        }
    }
    assert!(
        unreadable.len() <= 5,
        "frames without a readable stamp (seq, first pixel): {unreadable:?}"
    );
}

#[test]
fn a_snapshot_is_a_png_with_time_and_position() {
    let port = free_udp_port();
    let (events, _rx) = Events::channel();
    let ingest = Ingest::start(
        IngestConfig::new(
            "snap",
            SourceUri::parse(&format!("udp://127.0.0.1:{port}")).unwrap(),
        ),
        events,
    )
    .unwrap();
    let _sender = TestSender::start(&SenderConfig::new(W, H, 30), local(port)).unwrap();
    let frame = wait_stamped_frame(&ingest.frames(), T);
    let snap = vigie_video::snapshot::snapshot(
        &frame,
        &[("Vigie-Position", "43.51230,4.98760,80.0 m AMSL")],
    )
    .unwrap();
    assert_eq!((snap.width, snap.height), (W, H));
    assert!(snap.capture_unix_us.is_some());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snap.png");
    std::fs::write(&path, &snap.png).unwrap();
    // An independent reader checks every chunk's CRC and lists the text.
    let script = "import sys,struct,zlib\nd=open(sys.argv[1],'rb').read();i=8\nwhile i<len(d):\n n,=struct.unpack('>I',d[i:i+4]);t=d[i+4:i+8];b=d[i+8:i+8+n];c,=struct.unpack('>I',d[i+8+n:i+12+n])\n assert zlib.crc32(t+b)==c,t\n if t==b'tEXt':print(b.replace(b'\\0',b'=').decode('latin-1'))\n if t==b'IHDR':print('size',*struct.unpack('>II',b[:8]))\n i+=12+n\n";
    let o = Command::new("python3")
        .args(["-c", script])
        .arg(&path)
        .output()
        .unwrap();
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.contains(&format!("size {W} {H}")), "{out}");
    assert!(
        out.contains("Vigie-Position=43.51230,4.98760,80.0 m AMSL"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "Vigie-Capture-Unix-us={}",
            snap.capture_unix_us.unwrap()
        )),
        "{out}"
    );
    let (ok, report) = discover(&path);
    assert!(ok && report.contains(&format!("Width: {W}")), "{report}");
}

#[test]
fn rtsp_cameras_are_read_over_tcp_and_over_udp() {
    let camera = TestCamera::start(&SenderConfig::new(W, H, 30)).unwrap();
    for transport in ["tcp", "udp"] {
        let (events, _rx) = Events::channel();
        let uri = format!("{}?transport={transport}", camera.url());
        let ingest = Ingest::start(
            IngestConfig::new(format!("cam-{transport}"), SourceUri::parse(&uri).unwrap()),
            events,
        )
        .unwrap();
        let f = wait_stamped_frame(&ingest.frames(), T);
        assert!(f.capture_stamp_unix_us().is_some(), "{transport}");
    }
}

#[test]
fn a_camera_account_in_the_uri_logs_in_and_its_password_goes_nowhere() {
    let camera =
        TestCamera::start_with_account(&SenderConfig::new(W, H, 30), Some(("op", "Cam-Pa55-word")))
            .unwrap();
    let with_account = camera
        .url()
        .replacen("rtsp://", "rtsp://op:Cam-Pa55-word@", 1);
    let (events, rx) = Events::channel();
    let source = SourceUri::parse(&with_account).unwrap();
    assert!(!format!("{source:?} {}", source.redacted()).contains("Pa55"));
    let ingest = Ingest::start(IngestConfig::new("camacc", source), events).unwrap();
    assert!(
        wait_stamped_frame(&ingest.frames(), T)
            .capture_stamp_unix_us()
            .is_some()
    );
    ingest.stop();
    // A wrong password: refused by the camera, reported, and still not repeated anywhere.
    let (events, rx2) = Events::channel();
    let wrong = camera
        .url()
        .replacen("rtsp://", "rtsp://op:Not-The-Pa55@", 1);
    let ingest = Ingest::start(
        IngestConfig::new("camwrong", SourceUri::parse(&wrong).unwrap()),
        events,
    )
    .unwrap();
    let (e, _) = wait_event(&rx2, T, "StreamError", |e| {
        matches!(e, VideoEvent::StreamError { .. })
    });
    assert!(
        !format!("{e:?} {:?}", ingest.health()).contains("Pa55"),
        "{e:?}"
    );
    let seen: Vec<VideoEvent> = rx.try_iter().collect();
    assert!(!format!("{seen:?}").contains("Pa55"), "{seen:?}");
}

/// Regression (issue 11): a URI crafted to add `filesrc ! filesink` to the pipeline created a file.
/// Built by hand, past the URI parser that refuses it, it only fails to connect.
#[test]
fn a_uri_crafted_to_inject_elements_creates_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("pwned");
    let attack = format!(
        r#"rtsp://127.0.0.1:1/x" ! fakesink filesrc location=/etc/hostname ! filesink location={} rtspsrc location="rtsp://127.0.0.1:1/y"#,
        target.display()
    );
    let (events, rx) = Events::channel();
    let mut cfg = IngestConfig::new(
        "attack",
        SourceUri::Rtsp {
            url: attack,
            credentials: None,
            transport: vigie_video::uri::RtspTransport::Any,
            codec: Codec::H264,
        },
    );
    cfg.backoff = Backoff {
        initial: Duration::from_millis(100),
        max: Duration::from_millis(200),
    };
    let ingest = Ingest::start(cfg, events).unwrap();
    for _ in 0..2 {
        wait_event(&rx, T, "the failed connection", |e| {
            matches!(e, VideoEvent::StreamError { .. })
        });
    }
    ingest.stop();
    assert!(
        !target.exists(),
        "the crafted URI wrote {}",
        target.display()
    );
}

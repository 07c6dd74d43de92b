//! RTSP restream: credentials, several viewers, sessions reported, read by gst-launch and ffprobe,
//! a stalled viewer slows nobody.

use std::process::{Command, Stdio};
use std::time::Duration;

use vigie_video::testsrc::{SenderConfig, TestSender};
use vigie_video::{
    Events, Ingest, IngestConfig, RestreamConfig, RtspRestream, SourceUri, VideoEvent, users,
};

use super::common::*;

const T: Duration = Duration::from_secs(40);
const PASSWORD: &str = "alice-secret-2026";

struct Setup {
    _dir: tempfile::TempDir,
    _sender: TestSender,
    _ingest: Ingest,
    server: RtspRestream,
    rx: std::sync::mpsc::Receiver<VideoEvent>,
    url: String,
}

fn setup(stream: &str) -> Setup {
    setup_with(stream, None)
}

fn setup_with(stream: &str, admission: Option<vigie_video::Admission>) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let users_file = dir.path().join("viewers.htdigest");
    users::add(&users_file, "alice", PASSWORD).unwrap();
    users::add(&users_file, "bob", "bob-secret-2026").unwrap();
    let port = free_udp_port();
    let (events, rx) = Events::channel();
    let ingest = Ingest::start(
        IngestConfig::new(
            stream,
            SourceUri::parse(&format!("udp://127.0.0.1:{port}")).unwrap(),
        ),
        events.clone(),
    )
    .unwrap();
    let sender = TestSender::start(&SenderConfig::new(W, H, 30), local(port)).unwrap();
    let server = RtspRestream::start(
        RestreamConfig {
            bind: "127.0.0.1:0".parse().unwrap(),
            users_file: Some(users_file),
            tls: None,
            admission,
        },
        events,
    )
    .unwrap();
    let url = server.add_stream(&ingest).unwrap();
    wait_event(&rx, T, "StreamUp", |e| {
        matches!(e, VideoEvent::StreamUp { .. })
    });
    Setup {
        _dir: dir,
        _sender: sender,
        _ingest: ingest,
        server,
        rx,
        url,
    }
}

fn with_credentials(url: &str, user: &str, password: &str) -> String {
    url.replacen("rtsp://", &format!("rtsp://{user}:{password}@"), 1)
}

/// The shared media is served over TCP only (a first UDP viewer behind a stalled TCP one got no
/// packet): a client that asks for UDP only is refused, one that tries UDP first plays over TCP.
#[test]
fn the_restream_is_served_over_tcp_and_a_client_trying_udp_first_falls_back() {
    let s = setup("drone9");
    let url = with_credentials(&s.url, "alice", PASSWORD);
    let udp = run_with_timeout(&mut rtspsrc_client_with(&url, 30, &["protocols=udp"]), T);
    assert!(!got_eos(&udp), "served over UDP: {}", text(&udp));
    let either = run_with_timeout(
        &mut rtspsrc_client_with(&url, 30, &["protocols=udp+tcp"]),
        T,
    );
    assert!(got_eos(&either), "{}", text(&either));
}

#[test]
fn the_restream_is_read_with_credentials_and_refused_without() {
    let s = setup("drone1");
    assert_eq!(s.url, format!("rtsp://{}/drone1", s.server.local_addr()));

    let anonymous = run_with_timeout(&mut rtspsrc_client(&s.url, 30), T);
    assert!(
        !anonymous.status.success(),
        "served without credentials: {}",
        text(&anonymous)
    );
    assert!(
        text(&anonymous).contains("Unauthorized"),
        "{}",
        text(&anonymous)
    );

    let wrong = run_with_timeout(
        &mut rtspsrc_client(&with_credentials(&s.url, "alice", "not-her-password"), 30),
        T,
    );
    assert!(
        !wrong.status.success(),
        "served with a wrong password: {}",
        text(&wrong)
    );

    let ok = run_with_timeout(
        &mut rtspsrc_client(&with_credentials(&s.url, "alice", PASSWORD), 30),
        T,
    );
    assert!(got_eos(&ok), "{}", text(&ok));

    // Exactly one session was reported: alice's, with her address, the stream and both ends.
    let (started, seen) = wait_event(&s.rx, T, "ViewerStarted", |e| {
        matches!(e, VideoEvent::ViewerStarted(_))
    });
    assert!(
        !seen
            .iter()
            .any(|e| matches!(e, VideoEvent::ViewerStarted(_))),
        "{seen:?}"
    );
    let VideoEvent::ViewerStarted(session) = started else {
        unreachable!()
    };
    assert_eq!(session.user, "alice");
    assert_eq!(session.path, "/drone1");
    assert!(session.peer.starts_with("127.0.0.1:"), "{}", session.peer);
    let (ended, _) = wait_event(&s.rx, T, "ViewerEnded", |e| {
        matches!(e, VideoEvent::ViewerEnded(_))
    });
    let VideoEvent::ViewerEnded(end) = ended else {
        unreachable!()
    };
    assert_eq!(end.id, session.id);
    assert!(end.end_unix_us.is_some_and(|t| t >= session.start_unix_us));
    assert!(s.server.viewers().is_empty());
}

#[test]
fn ffprobe_reads_the_restream_with_digest_credentials() {
    let s = setup("drone3");
    let o = run_with_timeout(
        Command::new("ffprobe").args([
            "-v",
            "error",
            "-rtsp_transport",
            "tcp",
            "-show_entries",
            "stream=codec_type,codec_name,width,height",
            &with_credentials(&s.url, "bob", "bob-secret-2026"),
        ]),
        T,
    );
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains("codec_name=h264")
            && out.contains(&format!("width={W}"))
            && out.contains(&format!("height={H}")),
        "{out}"
    );
    let (e, _) = wait_event(
        &s.rx,
        T,
        "bob's session",
        |e| matches!(e, VideoEvent::ViewerStarted(v) if v.user == "bob"),
    );
    assert!(matches!(e, VideoEvent::ViewerStarted(_)));
}

/// `n` gst-launch viewers of `url` started at once, each asking for `buffers` access units.
fn viewers(url: &str, n: usize, buffers: u32) -> Vec<std::process::Child> {
    (0..n)
        .map(|_| {
            rtspsrc_client(url, buffers)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect()
}

#[test]
fn four_viewers_watch_at_once_and_are_listed_live() {
    let s = setup("drone4");
    let url = with_credentials(&s.url, "alice", PASSWORD);
    // 10 s of video each, so the four overlap.
    let children = viewers(&url, 4, 300);
    let listed = wait_until(T, "4 viewers listed", || {
        let v = s.server.viewers();
        (v.len() == 4).then_some(v)
    });
    assert!(
        listed
            .iter()
            .all(|v| v.user == "alice" && v.path == "/drone4")
    );
    let mut peers: Vec<&str> = listed.iter().map(|v| v.peer.as_str()).collect();
    peers.sort_unstable();
    peers.dedup();
    assert_eq!(peers.len(), 4, "four distinct client addresses: {peers:?}");
    for c in children {
        let o = wait_output(c, T);
        assert!(got_eos(&o), "{}", text(&o));
    }
    wait_until(T, "viewers gone", || {
        s.server.viewers().is_empty().then_some(())
    });
    let mut ended = 0;
    while let Ok(e) = s.rx.recv_timeout(Duration::from_millis(200)) {
        ended += usize::from(matches!(e, VideoEvent::ViewerEnded(_)));
    }
    assert_eq!(ended, 4);
}

/// A CSU's video wall or VMS opens its streams at once. Each viewer's DESCRIBE waits for its
/// media's first keyframe (the sender's GOP is 1 s); served one after the other, the eighth viewer
/// waited 8 s and real clients gave up and retried for ever. In parallel they all have their
/// first second of video within a few GOPs.
#[test]
fn eight_viewers_connecting_at_once_are_served_in_parallel() {
    let s = setup("drone9");
    let url = with_credentials(&s.url, "alice", PASSWORD);
    let started = std::time::Instant::now();
    let children = viewers(&url, 8, 30);
    for c in children {
        let o = wait_output(c, T);
        assert!(got_eos(&o), "{}", text(&o));
    }
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(6),
        "8 viewers had their first 30 frames after {took:?}: served one GOP after another?"
    );
}

#[test]
fn a_stalled_viewer_slows_neither_the_pilot_nor_the_other_viewers() {
    // A heavy stream (incompressible picture, ≈ 30 Mbit/s), so a viewer that stops reading fills its
    // TCP buffers (loopback: ≤ 4 MB send + ≤ 32 MB receive) within about 10 s.
    let dir = tempfile::tempdir().unwrap();
    let users_file = dir.path().join("viewers.htdigest");
    users::add(&users_file, "alice", PASSWORD).unwrap();
    let port = free_udp_port();
    let (events, rx) = Events::channel();
    let ingest = Ingest::start(
        IngestConfig::new(
            "drone5",
            SourceUri::parse(&format!("udp://127.0.0.1:{port}")).unwrap(),
        ),
        events.clone(),
    )
    .unwrap();
    let mut cfg = SenderConfig::new(W, H, 30);
    cfg.pattern = "snow";
    cfg.bitrate_kbps = 30_000;
    let _sender = TestSender::start(&cfg, local(port)).unwrap();
    let server = RtspRestream::start(
        RestreamConfig {
            bind: "127.0.0.1:0".parse().unwrap(),
            users_file: Some(users_file),
            tls: None,
            admission: None,
        },
        events,
    )
    .unwrap();
    let url = with_credentials(&server.add_stream(&ingest).unwrap(), "alice", PASSWORD);
    wait_event(&rx, T, "StreamUp", |e| {
        matches!(e, VideoEvent::StreamUp { .. })
    });
    let health = wait_until(T, "the stream at full bitrate", || {
        let h = ingest.health();
        (h.bitrate_bps > 25_000_000).then_some(h)
    });

    // A viewer that connects over TCP and then stops reading (SIGSTOP).
    let stalled = rtspsrc_client(&url, 1_000_000)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until(T, "the stalled viewer playing", || {
        (server.viewers().len() == 1).then_some(())
    });
    let pid = stalled.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-STOP", &pid])
            .status()
            .unwrap()
            .success()
    );
    let frames = ingest.frames();
    let first = frames.wait_newer(None, T).unwrap().seq;
    // 12 s at this bitrate is more than the stalled socket can hold.
    let stall = Duration::from_secs(12);
    let bytes = health.bitrate_bps / 8 * stall.as_secs();
    assert!(
        bytes > 36 << 20,
        "the stream is too light to fill the buffers: {} bit/s",
        health.bitrate_bps
    );
    std::thread::sleep(stall);
    let last = frames.wait_newer(Some(first), T).unwrap().seq;
    assert!(
        last - first >= 300,
        "the pilot got {} frames in 12 s",
        last - first
    );
    // A viewer trying RTP over UDP first, as VLC and ffmpeg do, while the stalled one is still
    // connected and full: refused UDP (a first UDP viewer got no packet behind the stalled TCP
    // path), it plays over TCP.
    let udp_first = run_with_timeout(
        &mut rtspsrc_client_with(&url, 90, &["protocols=udp+tcp"]),
        T,
    );
    assert!(
        got_eos(&udp_first),
        "a viewer trying UDP first beside the stalled one got its frames: {}",
        text(&udp_first)
    );
    // Another TCP viewer, the stalled one still there (with the one media they share, nothing
    // woke its sender for this viewer: it waited for ever).
    let other = run_with_timeout(&mut rtspsrc_client(&url, 90), T);
    assert!(got_eos(&other), "{}", text(&other));
    let _ = Command::new("kill").args(["-KILL", &pid]).status();
    let _ = wait_output(stalled, T);
}

#[test]
fn rtsps_serves_over_tls_when_a_certificate_is_configured() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let o = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let users_file = dir.path().join("viewers.htdigest");
    users::add(&users_file, "alice", PASSWORD).unwrap();
    let port = free_udp_port();
    let (events, rx) = Events::channel();
    let ingest = Ingest::start(
        IngestConfig::new(
            "secure",
            SourceUri::parse(&format!("udp://127.0.0.1:{port}")).unwrap(),
        ),
        events.clone(),
    )
    .unwrap();
    let _sender = TestSender::start(&SenderConfig::new(W, H, 30), local(port)).unwrap();
    let server = RtspRestream::start(
        RestreamConfig {
            bind: "127.0.0.1:0".parse().unwrap(),
            users_file: Some(users_file),
            tls: Some((cert, key)),
            admission: None,
        },
        events,
    )
    .unwrap();
    let url = server.add_stream(&ingest).unwrap();
    assert!(url.starts_with("rtsps://"), "{url}");
    wait_event(&rx, T, "StreamUp", |e| {
        matches!(e, VideoEvent::StreamUp { .. })
    });
    // Self-signed test certificate: accept it (a CSU pins the station's certificate instead).
    let user_pw = format!("user-pw={PASSWORD}");
    let mut client = rtspsrc_client_with(
        &url,
        30,
        &["tls-validation-flags=0", "user-id=alice", &user_pw],
    );
    let o = run_with_timeout(&mut client, T);
    assert!(got_eos(&o), "{}", text(&o));
    let (e, _) = wait_event(&rx, T, "the RTSPS session", |e| {
        matches!(e, VideoEvent::ViewerStarted(_))
    });
    let VideoEvent::ViewerStarted(session) = e else {
        unreachable!()
    };
    assert_eq!(
        (session.user.as_str(), session.path.as_str()),
        ("alice", "/secure")
    );
    // TLS end to end: a viewer asking for RTP over UDP beside the TLS connection is refused.
    let udp = run_with_timeout(
        Command::new("gst-launch-1.0").args([
            "rtspsrc",
            &format!("location={url}"),
            "protocols=udp",
            "tls-validation-flags=0",
            "user-id=alice",
            &user_pw,
            "!",
            "rtph264depay",
            "!",
            "fakesink",
            "num-buffers=30",
        ]),
        Duration::from_secs(20),
    );
    assert!(
        !got_eos(&udp),
        "RTP over clear UDP on an RTSPS stream: {}",
        text(&udp)
    );
    // Plain RTSP on the TLS port does not get the stream.
    let plain = run_with_timeout(
        &mut rtspsrc_client(
            &with_credentials(&url.replace("rtsps://", "rtsp://"), "alice", PASSWORD),
            30,
        ),
        Duration::from_secs(15),
    );
    assert!(!plain.status.success(), "{}", text(&plain));
}

#[test]
fn a_vehicle_with_a_thermal_camera_serves_two_streams() {
    let dir = tempfile::tempdir().unwrap();
    let users_file = dir.path().join("viewers.htdigest");
    users::add(&users_file, "alice", PASSWORD).unwrap();
    let (events, rx) = Events::channel();
    let (p1, p2) = (free_udp_port(), free_udp_port());
    let main = Ingest::start(
        IngestConfig::new(
            "drone6",
            SourceUri::parse(&format!("udp://127.0.0.1:{p1}")).unwrap(),
        ),
        events.clone(),
    )
    .unwrap();
    let thermal = Ingest::start(
        IngestConfig::new(
            "drone6-thermal",
            SourceUri::parse(&format!("udp://127.0.0.1:{p2}?codec=h265")).unwrap(),
        ),
        events.clone(),
    )
    .unwrap();
    let _s1 = TestSender::start(&SenderConfig::new(W, H, 30), local(p1)).unwrap();
    let mut tcfg = SenderConfig::new(W, H, 15);
    tcfg.codec = vigie_video::Codec::H265;
    let _s2 = TestSender::start(&tcfg, local(p2)).unwrap();
    let server = RtspRestream::start(
        RestreamConfig {
            bind: "127.0.0.1:0".parse().unwrap(),
            users_file: Some(users_file),
            tls: None,
            admission: None,
        },
        events,
    )
    .unwrap();
    let u1 = server.add_stream(&main).unwrap();
    let u2 = server.add_stream(&thermal).unwrap();
    for _ in 0..2 {
        wait_event(&rx, T, "StreamUp", |e| {
            matches!(e, VideoEvent::StreamUp { .. })
        });
    }
    for (url, codec) in [(u1, "h264"), (u2, "hevc")] {
        let o = run_with_timeout(
            Command::new("ffprobe").args([
                "-v",
                "error",
                "-rtsp_transport",
                "tcp",
                "-show_entries",
                "stream=codec_name",
                &with_credentials(&url, "alice", PASSWORD),
            ]),
            T,
        );
        assert!(
            text(&o).contains(&format!("codec_name={codec}")),
            "{url}: {}",
            text(&o)
        );
    }
}

/// Every viewer journaled (L242-4), fail closed: a session the journal cannot record is refused
/// before it gets a single frame.
#[test]
fn a_viewer_the_journal_cannot_record_is_refused() {
    let admission = vigie_video::Admission::new(|session| {
        if session.user == "bob" {
            Err("the register is unavailable".into())
        } else {
            Ok(())
        }
    });
    let s = setup_with("drone8", Some(admission));
    let refused = run_with_timeout(
        &mut rtspsrc_client(&with_credentials(&s.url, "bob", "bob-secret-2026"), 30),
        T,
    );
    assert!(!got_eos(&refused), "served unjournaled: {}", text(&refused));
    let (e, seen) = wait_event(&s.rx, T, "ViewerRefused", |e| {
        matches!(e, VideoEvent::ViewerRefused { .. })
    });
    let VideoEvent::ViewerRefused { session, reason } = e else {
        unreachable!()
    };
    assert_eq!(
        (session.user.as_str(), reason.as_str()),
        ("bob", "the register is unavailable")
    );
    assert!(
        !seen
            .iter()
            .any(|e| matches!(e, VideoEvent::ViewerStarted(_)))
    );
    let ok = run_with_timeout(
        &mut rtspsrc_client(&with_credentials(&s.url, "alice", PASSWORD), 30),
        T,
    );
    assert!(got_eos(&ok), "{}", text(&ok));
    let (e, _) = wait_event(&s.rx, T, "alice's session", |e| {
        matches!(e, VideoEvent::ViewerStarted(_))
    });
    let VideoEvent::ViewerStarted(v) = e else {
        unreachable!()
    };
    assert_eq!(
        (v.user.as_str(), v.stream.as_str(), v.scheme.as_str()),
        ("alice", "drone8", "rtsp")
    );
    assert!(v.session_id.starts_with("v-") && v.session_id.ends_with(&format!("-{}", v.id)));
}

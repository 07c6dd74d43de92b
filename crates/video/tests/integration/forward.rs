//! Optional outputs: plain RTP/UDP forward, SRT listener, and the field station's SRT uplink to a
//! listening relay — always encrypted, read back by our own receiver.

use std::time::Duration;

use vigie_video::testsrc::{SenderConfig, TestSender};
use vigie_video::{
    Events, Forward, ForwardTarget, Ingest, IngestConfig, SourceUri, SrtCaller, SrtPassphrase,
    VideoError, VideoEvent,
};

use super::common::*;

const T: Duration = Duration::from_secs(40);
const PASS: &str = "forward-test-passphrase-2026";

fn pass(text: &str) -> SrtPassphrase {
    SrtPassphrase::new(text).unwrap()
}

fn relay_source(
    name: &str,
) -> (
    TestSender,
    Ingest,
    std::sync::mpsc::Receiver<VideoEvent>,
    Events,
) {
    relay_source_at(name, 30)
}

/// The field station's ingest (no decoding) of a stamped sender at `fps`.
fn relay_source_at(
    name: &str,
    fps: u32,
) -> (
    TestSender,
    Ingest,
    std::sync::mpsc::Receiver<VideoEvent>,
    Events,
) {
    let port = free_udp_port();
    let (events, rx) = Events::channel();
    let mut cfg = IngestConfig::new(
        name,
        SourceUri::parse(&format!("udp://127.0.0.1:{port}")).unwrap(),
    );
    cfg.decode = false;
    let ingest = Ingest::start(cfg, events.clone()).unwrap();
    let sender = TestSender::start(&SenderConfig::new(W, H, fps), local(port)).unwrap();
    wait_event(&rx, T, "StreamUp", |e| {
        matches!(e, VideoEvent::StreamUp { .. })
    });
    (sender, ingest, rx, events)
}

fn srt_receiver(name: &str, uri: &str, passphrase: Option<&str>, events: Events) -> Ingest {
    let mut source = SourceUri::parse(uri).unwrap();
    if let Some(p) = passphrase {
        source = source.with_srt_passphrase(pass(p));
    }
    Ingest::start(IngestConfig::new(name, source), events).unwrap()
}

#[test]
fn the_rtp_forward_is_received_without_re_encoding() {
    let (_sender, ingest, _rx, events) = relay_source("fwd-rtp");
    let out = free_udp_port();
    let receiver = Ingest::start(
        IngestConfig::new(
            "csu-rtp",
            SourceUri::parse(&format!("udp://127.0.0.1:{out}")).unwrap(),
        ),
        events.clone(),
    )
    .unwrap();
    let _fwd = Forward::start(ForwardTarget::RtpUdp(local(out)), &ingest, events).unwrap();
    let f = wait_stamped_frame(&receiver.frames(), T);
    assert_eq!((f.width, f.height), (W, H));
    assert!(f.capture_stamp_unix_us().is_some());
}

#[test]
fn the_srt_listener_serves_only_callers_with_the_passphrase() {
    let (_sender, ingest, _rx, events) = relay_source("fwd-srt");
    let port = free_udp_port();
    let _fwd = Forward::start(
        ForwardTarget::SrtListener {
            addr: local(port),
            passphrase: pass(PASS),
        },
        &ingest,
        events.clone(),
    )
    .unwrap();
    let uri = format!("srt://127.0.0.1:{port}");
    // Without the passphrase, then with a wrong one: the connection is refused (an error, and
    // not a single frame).
    for (name, p) in [
        ("csu-nopass", None),
        ("csu-wrong", Some("not-the-passphrase-at-all")),
    ] {
        let (ev, rx) = Events::channel();
        let refused = srt_receiver(name, &uri, p, ev);
        wait_event(&rx, T, "the refused connection", |e| {
            matches!(e, VideoEvent::StreamError { .. })
        });
        assert!(refused.frames().latest().is_none(), "{name} got video");
        refused.stop();
    }
    let receiver = srt_receiver("csu-srt", &uri, Some(PASS), events);
    let f = wait_stamped_frame(&receiver.frames(), T);
    assert_eq!((f.width, f.height), (W, H));
}

#[test]
fn an_srt_listener_without_a_passphrase_does_not_start() {
    let (events, _rx) = Events::channel();
    let source = SourceUri::parse(&format!(
        "srt://127.0.0.1:{}?mode=listener",
        free_udp_port()
    ))
    .unwrap();
    let err = Ingest::start(IngestConfig::new("open", source), events)
        .err()
        .expect("refused");
    assert!(matches!(err, VideoError::Refused(_)), "{err:?}");
    assert!(err.to_string().contains("VIGIE_SRT_PASSPHRASE"), "{err}");
}

#[test]
fn the_field_station_pushes_one_srt_stream_up_to_a_listening_relay() {
    let (_sender, field, field_rx, field_events) = relay_source("drone7");
    let port = free_udp_port();
    let (relay_events, relay_rx) = Events::channel();
    let relay = srt_receiver(
        "drone7",
        &format!("srt://127.0.0.1:{port}?mode=listener"),
        Some(PASS),
        relay_events,
    );
    // A wrong passphrase first: the relay sees no video, the field station says the uplink failed.
    let wrong = Forward::start(
        ForwardTarget::SrtCaller(SrtCaller::new(
            "127.0.0.1",
            port,
            pass("the-wrong-passphrase"),
        )),
        &field,
        field_events.clone(),
    )
    .unwrap();
    let (failed, _) = wait_event(&field_rx, T, "ForwardFailed", |e| {
        matches!(e, VideoEvent::ForwardFailed { .. })
    });
    drop(wrong);
    let VideoEvent::ForwardFailed {
        target, message, ..
    } = failed
    else {
        unreachable!()
    };
    assert_eq!(target, format!("srt://127.0.0.1:{port}"));
    assert!(!message.contains("the-wrong-passphrase"), "{message}");
    assert!(relay.frames().latest().is_none());
    assert!(
        !relay_rx
            .try_iter()
            .any(|e| matches!(e, VideoEvent::StreamUp { .. })),
        "the relay took video from a caller with the wrong passphrase"
    );

    let mut caller = SrtCaller::new("127.0.0.1", port, pass(PASS));
    caller.latency_ms = 20;
    caller.stream_id = SrtCaller::stream_id_for("drone7", "st-field1", None);
    let _up = Forward::start(ForwardTarget::SrtCaller(caller), &field, field_events).unwrap();
    let f = wait_stamped_frame(&relay.frames(), T);
    assert_eq!((f.width, f.height), (W, H));
    let (e, _) = wait_event(&relay_rx, T, "the caller", |e| {
        matches!(
            e,
            VideoEvent::SourceCaller {
                connected: true,
                ..
            }
        )
    });
    let VideoEvent::SourceCaller {
        peer, stream_id, ..
    } = e
    else {
        unreachable!()
    };
    assert!(peer.starts_with("127.0.0.1:"), "{peer}");
    // GStreamer 1.22.0's srtsrc does not hand the stream id over (see `watch_srt_callers`).
    assert!(
        stream_id.is_none() || stream_id.as_deref() == Some("#!::r=drone7,u=st-field1"),
        "{stream_id:?}"
    );
    wait_event(&field_rx, T, "ForwardUp", |e| {
        matches!(e, VideoEvent::ForwardUp { .. })
    });
}

/// The uplink sends each frame when it is complete, not when the next one pushes it out: at 2
/// frames a second a frame held for the next would arrive ≥ 500 ms late (mpegtsmux's
/// `alignment=7` holds each frame's last packets; `ts_chunk` cuts the message at the frame's end).
#[test]
fn each_frame_goes_up_the_srt_uplink_without_waiting_for_the_next() {
    let (_sender, field, _rx, events) = relay_source_at("drone8", 2);
    let relay_port = free_udp_port();
    let relay = srt_receiver(
        "drone8",
        &format!("srt://127.0.0.1:{relay_port}?mode=listener"),
        Some(PASS),
        Events::new(|_| {}),
    );
    let mut caller = SrtCaller::new("127.0.0.1", relay_port, pass(PASS));
    caller.latency_ms = 20;
    let _up = Forward::start(ForwardTarget::SrtCaller(caller), &field, events).unwrap();
    let mut last = Some(wait_stamped_frame(&relay.frames(), T).seq);
    let mut late_ms = Vec::new();
    for _ in 0..5 {
        let f = wait_stamped_frame_after(&relay.frames(), last, T);
        last = Some(f.seq);
        let stamp = f.capture_stamp_unix_us().unwrap();
        late_ms.push(f.received_unix_us.saturating_sub(stamp) / 1000);
    }
    late_ms.sort_unstable();
    assert!(
        late_ms[2] < 300,
        "capture → received over the SRT uplink at 2 fps: {late_ms:?} ms (a frame held for the next is ≥ 500)"
    );
}

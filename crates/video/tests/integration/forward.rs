//! Optional outputs: plain RTP/UDP forward and SRT listener, read back by our own receiver.

use std::time::Duration;

use vigie_video::testsrc::{SenderConfig, TestSender};
use vigie_video::{Events, Forward, ForwardTarget, Ingest, IngestConfig, SourceUri, VideoEvent};

use super::common::*;

const T: Duration = Duration::from_secs(40);

fn relay_source(
    name: &str,
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
    let sender = TestSender::start(&SenderConfig::new(W, H, 30), local(port)).unwrap();
    wait_event(&rx, T, "StreamUp", |e| {
        matches!(e, VideoEvent::StreamUp { .. })
    });
    (sender, ingest, rx, events)
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
fn the_srt_listener_serves_a_caller() {
    let (_sender, ingest, _rx, events) = relay_source("fwd-srt");
    let port = free_udp_port();
    let _fwd = Forward::start(
        ForwardTarget::SrtListener(local(port)),
        &ingest,
        events.clone(),
    )
    .unwrap();
    let receiver = Ingest::start(
        IngestConfig::new(
            "csu-srt",
            SourceUri::parse(&format!("srt://127.0.0.1:{port}")).unwrap(),
        ),
        events,
    )
    .unwrap();
    let f = wait_stamped_frame(&receiver.frames(), T);
    assert_eq!((f.width, f.height), (W, H));
    assert!(f.capture_stamp_unix_us().is_some());
}

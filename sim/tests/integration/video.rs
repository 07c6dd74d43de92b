//! The synthetic video: announced over MAVLink, streamed as RTP/H.264, every frame stamped.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use mavlink::MavConnection;
use mavlink::dialects::ardupilotmega::*;

use super::common::{Sim, connect, gcs_header, wait_for};

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_micros() as u64
}

#[test]
fn video_is_announced_streamed_and_every_frame_carries_the_latency_stamp() {
    check_stream("", "H264", VideoStreamEncoding::VIDEO_STREAM_ENCODING_H264);
}

#[test]
fn h265_video_on_request() {
    check_stream(
        "?codec=h265",
        "H265",
        VideoStreamEncoding::VIDEO_STREAM_ENCODING_H265,
    );
}

fn check_stream(query: &str, codec: &str, encoding: VideoStreamEncoding) {
    gst::init().expect("GStreamer");
    let lower = codec.to_lowercase();
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    // The receiver is up first, as a station would be.
    let rx = gst::parse::launch(&format!(
        "udpsrc port={port} address=127.0.0.1 caps=\"application/x-rtp,media=video,encoding-name={codec},payload=96,clock-rate=90000\" ! \
         rtp{lower}depay ! {lower}parse ! avdec_{lower} ! videoconvert ! video/x-raw,format=GRAY8 ! appsink name=sink sync=false max-buffers=4 drop=false"
    ))
    .expect("receiver pipeline")
    .downcast::<gst::Pipeline>()
    .expect("pipeline");
    let sink = rx
        .by_name("sink")
        .expect("sink")
        .downcast::<gst_app::AppSink>()
        .expect("appsink");
    rx.set_state(gst::State::Playing).expect("play");

    let started_us = now_us();
    let sim = Sim::start(&[
        "--tcp",
        "127.0.0.1:0",
        "--video",
        &format!("rtp://127.0.0.1:{port}{query}"),
    ]);

    // Announced like a MAVLink camera.
    let conn = connect(sim.port());
    conn.send(
        &gcs_header(),
        &MavMessage::COMMAND_LONG(COMMAND_LONG_DATA {
            target_system: 1,
            target_component: 1,
            command: MavCmd::MAV_CMD_REQUEST_MESSAGE,
            param1: 269.0,
            ..Default::default()
        }),
    )
    .expect("send");
    let info = wait_for(&conn, 10, "VIDEO_STREAM_INFORMATION", |_, m| match m {
        MavMessage::VIDEO_STREAM_INFORMATION(v) => Some(v.clone()),
        _ => None,
    });
    assert_eq!(info.mavtype, VideoStreamType::VIDEO_STREAM_TYPE_RTPUDP);
    assert_eq!(info.encoding, encoding);
    assert!(
        info.flags
            .contains(VideoStreamStatusFlags::VIDEO_STREAM_STATUS_FLAGS_RUNNING)
    );
    assert_eq!(info.framerate, 30.0);
    assert_eq!((info.resolution_h, info.resolution_v), (1280, 720));
    assert_eq!(
        info.uri.to_str().expect("utf8").trim_end_matches('\0'),
        format!("udp://0.0.0.0:{port}")
    );
    conn.send(
        &gcs_header(),
        &MavMessage::COMMAND_LONG(COMMAND_LONG_DATA {
            target_system: 1,
            target_component: 1,
            command: MavCmd::MAV_CMD_REQUEST_MESSAGE,
            param1: 259.0,
            ..Default::default()
        }),
    )
    .expect("send");
    wait_for(&conn, 10, "CAMERA_INFORMATION", |_, m| {
        matches!(m, MavMessage::CAMERA_INFORMATION(c) if c.resolution_h == 1280).then_some(())
    });

    // Decoded frames: 1280x720, each with a stamp from the real clock, increasing.
    let mut stamps = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while stamps.len() < 10 && std::time::Instant::now() < deadline {
        let Some(sample) = sink.try_pull_sample(gst::ClockTime::from_seconds(1)) else {
            continue;
        };
        let caps = sample.caps().expect("caps");
        let s = caps.structure(0).expect("structure");
        let (w, h) = (
            s.get::<i32>("width").expect("width"),
            s.get::<i32>("height").expect("height"),
        );
        assert_eq!((w, h), (1280, 720));
        let buffer = sample.buffer().expect("buffer");
        let map = buffer.map_readable().expect("map");
        let stamp = vigie_sim::video::read_stamp(map.as_slice(), w as usize);
        let received = now_us();
        assert!(
            stamp >= started_us && stamp <= received,
            "stamp {stamp} outside [{started_us}, {received}]"
        );
        assert!(
            received - stamp < 5_000_000,
            "latency {} ms is absurd",
            (received - stamp) / 1000
        );
        stamps.push(stamp);
    }
    rx.set_state(gst::State::Null).expect("stop");
    assert!(stamps.len() >= 10, "only {} frames decoded", stamps.len());
    assert!(
        stamps.windows(2).all(|p| p[1] > p[0]),
        "stamps must increase: {stamps:?}"
    );
}

//! A camera that is a component of its own (a camera manager on the companion computer, as
//! BlueOS's or a gimbal's): the hub asks it once for its streams, and what it answers is in the
//! vehicle's telemetry (the station receives the stream it names).

use std::time::Duration;

use vigie_link::ardupilotmega as apm;
use vigie_link::{MavMessage, VideoStreamInfo};

use crate::pymavlink::{gcs_on_udp, quiet_config};
use crate::raw::{RawVehicle, autopilot_heartbeat};

const WAIT: Duration = Duration::from_secs(20);
const CAMERA: u8 = 100;

fn camera_heartbeat() -> MavMessage {
    MavMessage::HEARTBEAT(apm::HEARTBEAT_DATA {
        custom_mode: 0,
        mavtype: apm::MavType::MAV_TYPE_CAMERA,
        autopilot: apm::MavAutopilot::MAV_AUTOPILOT_INVALID,
        base_mode: apm::MavModeFlag::empty(),
        system_status: apm::MavState::MAV_STATE_ACTIVE,
        mavlink_version: 3,
    })
}

/// Requests for VIDEO_STREAM_INFORMATION addressed to the camera component, seen within `window`.
async fn stream_requests(raw: &mut RawVehicle, window: Duration) -> usize {
    let end = tokio::time::Instant::now() + window;
    let mut n = 0;
    while let Some(f) = raw
        .recv(end.saturating_duration_since(tokio::time::Instant::now()))
        .await
    {
        if let Ok(MavMessage::COMMAND_LONG(c)) = f.decode()
            && c.command == apm::MavCmd::MAV_CMD_REQUEST_MESSAGE
            && c.param1 == 269.0
            && c.target_component == CAMERA
        {
            assert_eq!(c.target_system, 1);
            n += 1;
        }
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_camera_component_is_asked_once_for_its_streams_and_its_answer_is_telemetry() {
    let (gcs, addr) = gcs_on_udp(quiet_config(vec![])).await;
    let mut raw = RawVehicle::new(addr).await;
    raw.send(1, &autopilot_heartbeat(), None).await;
    let v = gcs.wait_vehicle(Some(1), WAIT).await.unwrap();
    raw.send_from(1, CAMERA, &camera_heartbeat()).await;
    assert_eq!(
        stream_requests(&mut raw, Duration::from_secs(2)).await,
        1,
        "the camera's first heartbeat brings one request for its streams"
    );
    for _ in 0..3 {
        raw.send_from(1, CAMERA, &camera_heartbeat()).await;
    }
    assert_eq!(
        stream_requests(&mut raw, Duration::from_millis(1500)).await,
        0,
        "a camera is asked once, not at every heartbeat"
    );

    let mut uri = [0u8; 160];
    let text = b"rtsp://192.168.144.25:8554/main.264";
    uri[..text.len()].copy_from_slice(text);
    let mut name = [0u8; 32];
    name[..4].copy_from_slice(b"main");
    let info = MavMessage::VIDEO_STREAM_INFORMATION(apm::VIDEO_STREAM_INFORMATION_DATA {
        framerate: 30.0,
        bitrate: 4_000_000,
        flags: apm::VideoStreamStatusFlags::VIDEO_STREAM_STATUS_FLAGS_RUNNING,
        resolution_h: 1920,
        resolution_v: 1080,
        rotation: 0,
        hfov: 80,
        stream_id: 1,
        count: 1,
        mavtype: apm::VideoStreamType::VIDEO_STREAM_TYPE_RTSP,
        name: name.into(),
        uri: uri.into(),
        ..Default::default()
    });
    raw.send_from(1, CAMERA, &info).await;
    let mut t = v.telemetry();
    let streams: Vec<VideoStreamInfo> =
        tokio::time::timeout(WAIT, t.wait_for(|t| !t.video_streams.is_empty()))
            .await
            .expect("the camera's stream in the telemetry")
            .unwrap()
            .video_streams
            .clone();
    assert_eq!(streams[0].uri, "rtsp://192.168.144.25:8554/main.264");
    assert_eq!((streams[0].width_px, streams[0].height_px), (1920, 1080));
    assert!(!streams[0].thermal);
}

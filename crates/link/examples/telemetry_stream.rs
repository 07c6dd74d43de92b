//! Writes a realistic telemetry tlog (what an ArduCopter streams at the rates Vigie asks for) and
//! measures how fast Vigie frames, decodes and translates it. Used by `scripts/bench-link.sh`,
//! which runs pymavlink over the same file in the same run and prints the ratio.
//!
//! Usage: telemetry_stream OUT.tlog [FRAMES]

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use mavlink::MavHeader;
use vigie_link::MavMessage;
use vigie_link::ardupilotmega as apm;
use vigie_link::frame::{FrameParser, Parsed, encode_v2};
use vigie_link::telemetry::VehicleTelemetry;
use vigie_link::tlog::TlogWriter;

pub fn sample_stream(frames: usize) -> Vec<vigie_link::frame::RawFrame> {
    let mut out = Vec::with_capacity(frames);
    let mut seq = 0u8;
    let mut i = 0u32;
    while out.len() < frames {
        let msg = match i % 10 {
            0 => MavMessage::HEARTBEAT(apm::HEARTBEAT_DATA {
                custom_mode: 4,
                mavtype: apm::MavType::MAV_TYPE_QUADROTOR,
                autopilot: apm::MavAutopilot::MAV_AUTOPILOT_ARDUPILOTMEGA,
                base_mode: apm::MavModeFlag::MAV_MODE_FLAG_SAFETY_ARMED
                    | apm::MavModeFlag::MAV_MODE_FLAG_CUSTOM_MODE_ENABLED,
                system_status: apm::MavState::MAV_STATE_ACTIVE,
                mavlink_version: 3,
            }),
            1 | 5 => MavMessage::GLOBAL_POSITION_INT(apm::GLOBAL_POSITION_INT_DATA {
                time_boot_ms: i * 10,
                lat: 435_150_000 + i as i32,
                lon: 49_890_000 - i as i32,
                alt: 70_000,
                relative_alt: 50_000,
                vx: 120,
                vy: -40,
                vz: 3,
                hdg: 33_000,
            }),
            2 | 6 | 8 => MavMessage::ATTITUDE(apm::ATTITUDE_DATA {
                time_boot_ms: i * 10,
                roll: 0.05,
                pitch: -0.1,
                yaw: 2.1,
                ..Default::default()
            }),
            3 => MavMessage::VFR_HUD(apm::VFR_HUD_DATA {
                groundspeed: 5.2,
                heading: 330,
                alt: 50.0,
                climb: 0.1,
                ..Default::default()
            }),
            4 => MavMessage::SYS_STATUS(apm::SYS_STATUS_DATA {
                voltage_battery: 15_800,
                current_battery: 1_250,
                battery_remaining: 74,
                ..Default::default()
            }),
            7 => MavMessage::GPS_RAW_INT(apm::GPS_RAW_INT_DATA {
                fix_type: apm::GpsFixType::GPS_FIX_TYPE_3D_FIX,
                eph: 90,
                satellites_visible: 14,
                ..Default::default()
            }),
            _ => MavMessage::WIND(apm::WIND_DATA {
                direction: 330.0,
                speed: 11.0,
                speed_z: 0.2,
            }),
        };
        out.push(encode_v2(
            MavHeader {
                system_id: 1,
                component_id: 1,
                sequence: seq,
            },
            &msg,
        ));
        seq = seq.wrapping_add(1);
        i += 1;
    }
    out
}

/// Frame, decode and fold into telemetry; returns frames handled.
pub fn ingest(bytes: &[u8]) -> usize {
    let mut parser = FrameParser::new();
    let mut tel = VehicleTelemetry::new(1, 1);
    let now = SystemTime::now();
    let mut n = 0;
    for chunk in bytes.chunks(1024) {
        for p in parser.push(chunk) {
            if let Parsed::Frame(f) = p
                && let Ok(m) = f.decode()
            {
                tel.apply(f.compid, &m, now);
                n += 1;
            }
        }
    }
    n
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let out = args
        .get(1)
        .ok_or("usage: telemetry_stream OUT.tlog [FRAMES]")?;
    let frames: usize = args
        .get(2)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(200_000);
    let stream = sample_stream(frames);
    let mut w = TlogWriter::create(std::path::Path::new(out))?;
    let t0 = UNIX_EPOCH + Duration::from_secs(1_795_000_000);
    for (i, f) in stream.iter().enumerate() {
        w.write(t0 + Duration::from_micros(i as u64 * 2_000), f)?;
    }
    w.flush()?;
    let bytes: Vec<u8> = stream
        .iter()
        .flat_map(|f| f.bytes.iter().copied())
        .collect();
    // Best of 5, so a busy neighbour does not decide the figure.
    let mut best = f64::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        let n = ingest(&bytes);
        assert_eq!(n, frames);
        best = best.min(start.elapsed().as_secs_f64());
    }
    println!(
        "vigie_link: {frames} frames in {best:.3} s = {:.0} msgs/s",
        frames as f64 / best
    );
    Ok(())
}

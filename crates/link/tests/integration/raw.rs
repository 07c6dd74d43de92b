//! A bare UDP "vehicle" for the hub's own policies (timestamps, replays, rate limits, caps),
//! where a pymavlink peer cannot be told to misbehave precisely enough. The frames it sends are
//! encoded by vigie_link, whose encoder the vector tests check byte for byte against pymavlink.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use tokio::net::UdpSocket;
use vigie_link::ardupilotmega as apm;
use vigie_link::frame::{FrameParser, Parsed, RawFrame, encode_v2};
use vigie_link::signing::{SigningKey, encode_signed, timestamp_at};
use vigie_link::{LinkEvent, LinkEventKind, MavMessage};

pub fn autopilot_heartbeat() -> MavMessage {
    MavMessage::HEARTBEAT(apm::HEARTBEAT_DATA {
        custom_mode: 0,
        mavtype: apm::MavType::MAV_TYPE_QUADROTOR,
        autopilot: apm::MavAutopilot::MAV_AUTOPILOT_ARDUPILOTMEGA,
        base_mode: apm::MavModeFlag::MAV_MODE_FLAG_CUSTOM_MODE_ENABLED,
        system_status: apm::MavState::MAV_STATE_STANDBY,
        mavlink_version: 3,
    })
}

pub fn position(lat_deg: f64, lon_deg: f64) -> MavMessage {
    MavMessage::GLOBAL_POSITION_INT(apm::GLOBAL_POSITION_INT_DATA {
        lat: (lat_deg * 1e7) as i32,
        lon: (lon_deg * 1e7) as i32,
        alt: 20_000,
        hdg: 9000,
        ..Default::default()
    })
}

/// Now, in signing units, shifted by `offset_s` (a clock ahead or behind).
pub fn signing_now(offset_s: f64) -> u64 {
    let now = timestamp_at(SystemTime::now());
    let shift = (offset_s.abs() * 100_000.0) as u64;
    if offset_s >= 0.0 {
        now + shift
    } else {
        now - shift
    }
}

pub struct RawVehicle {
    pub sock: UdpSocket,
    pub station: SocketAddr,
    seq: u8,
    parser: FrameParser,
}

impl RawVehicle {
    pub async fn new(station: SocketAddr) -> Self {
        Self {
            sock: UdpSocket::bind("127.0.0.1:0").await.unwrap(),
            station,
            seq: 0,
            parser: FrameParser::new(),
        }
    }

    pub fn frame(
        &mut self,
        sysid: u8,
        msg: &MavMessage,
        signed: Option<(&SigningKey, u64)>,
    ) -> RawFrame {
        self.frame_from(sysid, 1, msg, signed)
    }

    /// A frame from another component of the system (a camera, a companion computer).
    pub fn frame_from(
        &mut self,
        sysid: u8,
        compid: u8,
        msg: &MavMessage,
        signed: Option<(&SigningKey, u64)>,
    ) -> RawFrame {
        let header = mavlink::MavHeader {
            system_id: u32::from(sysid),
            component_id: compid,
            sequence: self.seq,
        };
        self.seq = self.seq.wrapping_add(1);
        match signed {
            Some((key, ts)) => encode_signed(header, msg, key, 0, ts),
            None => encode_v2(header, msg),
        }
    }

    pub async fn send(&mut self, sysid: u8, msg: &MavMessage, signed: Option<(&SigningKey, u64)>) {
        let f = self.frame(sysid, msg, signed);
        self.sock.send_to(&f.bytes, self.station).await.unwrap();
    }

    pub async fn send_from(&mut self, sysid: u8, compid: u8, msg: &MavMessage) {
        let f = self.frame_from(sysid, compid, msg, None);
        self.sock.send_to(&f.bytes, self.station).await.unwrap();
    }

    pub async fn send_bytes(&self, bytes: &[u8]) {
        self.sock.send_to(bytes, self.station).await.unwrap();
    }

    /// The next frame the station sends us, within `timeout`.
    pub async fn recv(&mut self, timeout: Duration) -> Option<RawFrame> {
        let mut buf = vec![0u8; 2048];
        let end = tokio::time::Instant::now() + timeout;
        loop {
            let n = tokio::time::timeout_at(end, self.sock.recv(&mut buf))
                .await
                .ok()?
                .ok()?;
            for p in self.parser.push(&buf[..n]) {
                if let Parsed::Frame(f) = p {
                    return Some(f);
                }
            }
        }
    }
}

/// Collect events for `window`, keeping those `keep` selects.
pub async fn events_for(
    rx: &mut tokio::sync::broadcast::Receiver<LinkEvent>,
    window: Duration,
    keep: impl Fn(&LinkEventKind) -> bool,
) -> Vec<LinkEventKind> {
    let end = tokio::time::Instant::now() + window;
    let mut out = Vec::new();
    loop {
        match tokio::time::timeout_at(end, rx.recv()).await {
            Ok(Ok(ev)) => {
                if keep(&ev.kind) {
                    out.push(ev.kind);
                }
            }
            Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(n))) => {
                panic!("{n} events overflowed the channel: the hub sent far too many")
            }
            Ok(Err(_)) | Err(_) => return out,
        }
    }
}

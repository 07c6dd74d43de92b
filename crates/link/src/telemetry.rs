//! Telemetry translated once, at the link edge, into plain values with their units in their names.

use std::time::SystemTime;

use crate::MavMessage;
use crate::ardupilotmega as apm;

/// ArduCopter flight mode names by HEARTBEAT.custom_mode (ArduCopter `mode.h`).
pub fn copter_mode_name(custom_mode: u32) -> &'static str {
    match custom_mode {
        0 => "STABILIZE",
        1 => "ACRO",
        2 => "ALT_HOLD",
        3 => "AUTO",
        4 => "GUIDED",
        5 => "LOITER",
        6 => "RTL",
        7 => "CIRCLE",
        9 => "LAND",
        11 => "DRIFT",
        13 => "SPORT",
        14 => "FLIP",
        15 => "AUTOTUNE",
        16 => "POSHOLD",
        17 => "BRAKE",
        18 => "THROW",
        19 => "AVOID_ADSB",
        20 => "GUIDED_NOGPS",
        21 => "SMART_RTL",
        22 => "FLOWHOLD",
        23 => "FOLLOW",
        24 => "ZIGZAG",
        25 => "SYSTEMID",
        26 => "AUTOROTATE",
        27 => "AUTO_RTL",
        _ => "UNKNOWN",
    }
}

/// ArduCopter mode number by name (case-insensitive), for DO_SET_MODE.
pub fn copter_mode_number(name: &str) -> Option<u32> {
    (0..=27).find(|&n| {
        copter_mode_name(n).eq_ignore_ascii_case(name) && copter_mode_name(n) != "UNKNOWN"
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct Position {
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub alt_amsl_m: f64,
    /// Above home.
    pub alt_rel_m: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct Battery {
    pub voltage_v: f64,
    pub current_a: Option<f64>,
    pub remaining_pct: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct Gps {
    /// GPS_FIX_TYPE: 0-1 no fix, 2 2D, 3 3D, 4 DGPS, 5 RTK float, 6 RTK fixed.
    pub fix_type: u8,
    pub satellites: Option<u8>,
    pub hdop: Option<f64>,
}

/// The vehicle's own wind estimate.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct WindEstimate {
    pub speed_mps: f64,
    /// Direction the wind blows FROM, degrees true, 0..360.
    pub from_deg: f64,
    pub vertical_mps: f64,
    pub received_at: SystemTime,
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct FenceState {
    pub breached: bool,
    pub breach_count: u16,
    /// FENCE_BREACH: 0 none, 1 min alt, 2 max alt, 3 boundary.
    pub breach_type: u8,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct VideoStreamInfo {
    pub stream_id: u8,
    /// VIDEO_STREAM_TYPE: 0 RTSP, 1 RTP/UDP, 2 TCP/MPEG, 3 MPEG-TS/UDP.
    pub stream_type: u8,
    pub uri: String,
    pub name: String,
    pub width_px: u16,
    pub height_px: u16,
    pub framerate_hz: f32,
    /// VIDEO_STREAM_ENCODING: 1 H.264, 2 H.265.
    pub encoding: u8,
    pub thermal: bool,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StatusText {
    /// MAV_SEVERITY: 0 emergency … 7 debug.
    pub severity: u8,
    pub text: String,
    pub at: SystemTime,
}

/// Everything the station knows of one vehicle, from its telemetry.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct VehicleTelemetry {
    pub sysid: u8,
    pub compid: u8,
    /// MAV_TYPE and MAV_AUTOPILOT from the heartbeat.
    pub vehicle_type: u8,
    pub autopilot: u8,
    pub armed: bool,
    pub custom_mode: u32,
    pub mode_name: String,
    pub system_status: u8,
    /// None until the vehicle has a position (ArduPilot sends 0,0 before its EKF has an origin).
    pub position: Option<Position>,
    /// When `position` was received.
    pub position_at: Option<SystemTime>,
    /// EXTENDED_SYS_STATE landed state: 1 on ground, 2 in air, 3 taking off, 4 landing.
    pub landed_state: Option<u8>,
    pub velocity_ned_mps: Option<[f64; 3]>,
    pub ground_speed_mps: Option<f64>,
    pub climb_rate_mps: Option<f64>,
    pub heading_deg: Option<f64>,
    pub roll_deg: Option<f64>,
    pub pitch_deg: Option<f64>,
    pub yaw_deg: Option<f64>,
    pub battery: Option<Battery>,
    pub gps: Option<Gps>,
    pub home: Option<Position>,
    pub wind: Option<WindEstimate>,
    pub fence: Option<FenceState>,
    pub mission_current_seq: Option<u16>,
    pub mission_item_reached_seq: Option<u16>,
    pub video_streams: Vec<VideoStreamInfo>,
    /// The last few STATUSTEXTs, newest last.
    pub status_texts: Vec<StatusText>,
    pub last_heartbeat_at: Option<SystemTime>,
    pub lost: bool,
}

/// Something worth an event, found while applying a message.
#[derive(Debug, Clone, PartialEq)]
pub enum TelemetryChange {
    ArmedChanged(bool),
    ModeChanged(String),
    StatusText(StatusText),
    MissionItemReached(u16),
    FenceBreachChanged(bool),
    VideoStream(VideoStreamInfo),
}

const KEEP_STATUS_TEXTS: usize = 20;

fn c_string(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// Wind from a WIND_COV vector (components toward which the air moves, NED): from-direction is
/// the opposite of the velocity vector.
pub fn wind_from_components(north_mps: f64, east_mps: f64) -> (f64, f64) {
    let speed = north_mps.hypot(east_mps);
    let from = (-east_mps).atan2(-north_mps).to_degrees().rem_euclid(360.0);
    (speed, from)
}

impl VehicleTelemetry {
    pub fn new(sysid: u8, compid: u8) -> Self {
        Self {
            sysid,
            compid,
            ..Self::default()
        }
    }

    /// Fold one message in; returns what changed that deserves an event.
    pub fn apply(&mut self, msg: &MavMessage, now: SystemTime) -> Vec<TelemetryChange> {
        let mut changes = Vec::new();
        match msg {
            MavMessage::HEARTBEAT(hb) => {
                let armed = hb
                    .base_mode
                    .contains(apm::MavModeFlag::MAV_MODE_FLAG_SAFETY_ARMED);
                if armed != self.armed || self.last_heartbeat_at.is_none() {
                    changes.push(TelemetryChange::ArmedChanged(armed));
                }
                let name = copter_mode_name(hb.custom_mode).to_string();
                if name != self.mode_name {
                    changes.push(TelemetryChange::ModeChanged(name.clone()));
                }
                self.armed = armed;
                self.custom_mode = hb.custom_mode;
                self.mode_name = name;
                self.vehicle_type = hb.mavtype as u8;
                self.autopilot = hb.autopilot as u8;
                self.system_status = hb.system_status as u8;
                self.last_heartbeat_at = Some(now);
            }
            MavMessage::GLOBAL_POSITION_INT(p) => {
                self.position = (p.lat != 0 || p.lon != 0).then(|| Position {
                    lat_deg: f64::from(p.lat) * 1e-7,
                    lon_deg: f64::from(p.lon) * 1e-7,
                    alt_amsl_m: f64::from(p.alt) / 1000.0,
                    alt_rel_m: f64::from(p.relative_alt) / 1000.0,
                });
                self.position_at = self.position.map(|_| now);
                self.velocity_ned_mps = Some([
                    f64::from(p.vx) / 100.0,
                    f64::from(p.vy) / 100.0,
                    f64::from(p.vz) / 100.0,
                ]);
                if p.hdg != u16::MAX {
                    self.heading_deg = Some(f64::from(p.hdg) / 100.0);
                }
            }
            MavMessage::VFR_HUD(v) => {
                self.ground_speed_mps = Some(f64::from(v.groundspeed));
                self.climb_rate_mps = Some(f64::from(v.climb));
                self.heading_deg = Some(f64::from(v.heading));
            }
            MavMessage::ATTITUDE(a) => {
                self.roll_deg = Some(f64::from(a.roll).to_degrees());
                self.pitch_deg = Some(f64::from(a.pitch).to_degrees());
                self.yaw_deg = Some(f64::from(a.yaw).to_degrees());
            }
            MavMessage::SYS_STATUS(s) => {
                let b = self.battery.get_or_insert_with(Battery::default);
                b.voltage_v = f64::from(s.voltage_battery) / 1000.0;
                b.current_a =
                    (s.current_battery >= 0).then(|| f64::from(s.current_battery) / 100.0);
                b.remaining_pct =
                    (s.battery_remaining >= 0).then(|| f64::from(s.battery_remaining));
            }
            MavMessage::BATTERY_STATUS(s) if s.id == 0 => {
                let b = self.battery.get_or_insert_with(Battery::default);
                let cells: Vec<f64> = s
                    .voltages
                    .iter()
                    .filter(|&&mv| mv != u16::MAX)
                    .map(|&mv| f64::from(mv) / 1000.0)
                    .collect();
                if !cells.is_empty() {
                    b.voltage_v = cells.iter().sum();
                }
                b.current_a =
                    (s.current_battery >= 0).then(|| f64::from(s.current_battery) / 100.0);
                b.remaining_pct =
                    (s.battery_remaining >= 0).then(|| f64::from(s.battery_remaining));
            }
            MavMessage::GPS_RAW_INT(g) => {
                self.gps = Some(Gps {
                    fix_type: g.fix_type as u8,
                    satellites: (g.satellites_visible != u8::MAX).then_some(g.satellites_visible),
                    hdop: (g.eph != u16::MAX).then(|| f64::from(g.eph) / 100.0),
                });
            }
            MavMessage::HOME_POSITION(h) => {
                self.home = Some(Position {
                    lat_deg: f64::from(h.latitude) * 1e-7,
                    lon_deg: f64::from(h.longitude) * 1e-7,
                    alt_amsl_m: f64::from(h.altitude) / 1000.0,
                    alt_rel_m: 0.0,
                });
            }
            MavMessage::WIND(w) => {
                self.wind = Some(WindEstimate {
                    speed_mps: f64::from(w.speed),
                    from_deg: f64::from(w.direction).rem_euclid(360.0),
                    vertical_mps: f64::from(w.speed_z),
                    received_at: now,
                });
            }
            MavMessage::WIND_COV(w) if w.wind_x.is_finite() && w.wind_y.is_finite() => {
                let (speed, from) = wind_from_components(f64::from(w.wind_x), f64::from(w.wind_y));
                self.wind = Some(WindEstimate {
                    speed_mps: speed,
                    from_deg: from,
                    vertical_mps: if w.wind_z.is_finite() {
                        f64::from(w.wind_z)
                    } else {
                        0.0
                    },
                    received_at: now,
                });
            }
            MavMessage::FENCE_STATUS(f) => {
                let breached = f.breach_status != 0;
                if self.fence.map(|x| x.breached) != Some(breached) {
                    changes.push(TelemetryChange::FenceBreachChanged(breached));
                }
                self.fence = Some(FenceState {
                    breached,
                    breach_count: f.breach_count,
                    breach_type: f.breach_type as u8,
                });
            }
            MavMessage::STATUSTEXT(s) => {
                let st = StatusText {
                    severity: s.severity as u8,
                    text: c_string(&s.text[..]),
                    at: now,
                };
                self.status_texts.push(st.clone());
                if self.status_texts.len() > KEEP_STATUS_TEXTS {
                    self.status_texts.remove(0);
                }
                changes.push(TelemetryChange::StatusText(st));
            }
            MavMessage::EXTENDED_SYS_STATE(e) => self.landed_state = Some(e.landed_state as u8),
            MavMessage::MISSION_CURRENT(m) => self.mission_current_seq = Some(m.seq),
            MavMessage::MISSION_ITEM_REACHED(m) => {
                self.mission_item_reached_seq = Some(m.seq);
                changes.push(TelemetryChange::MissionItemReached(m.seq));
            }
            MavMessage::VIDEO_STREAM_INFORMATION(v) => {
                let info = VideoStreamInfo {
                    stream_id: v.stream_id,
                    stream_type: v.mavtype as u8,
                    uri: c_string(&v.uri[..]),
                    name: c_string(&v.name[..]),
                    width_px: v.resolution_h,
                    height_px: v.resolution_v,
                    framerate_hz: v.framerate,
                    encoding: v.encoding as u8,
                    thermal: v
                        .flags
                        .contains(apm::VideoStreamStatusFlags::VIDEO_STREAM_STATUS_FLAGS_THERMAL),
                };
                self.video_streams.retain(|s| s.stream_id != info.stream_id);
                self.video_streams.push(info.clone());
                changes.push(TelemetryChange::VideoStream(info));
            }
            _ => {}
        }
        changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wind_cov_from_direction() {
        // Air moving toward the south-east (north −, east +) comes from the north-west.
        let (s, from) = wind_from_components(-10.0, 10.0);
        assert!((s - 14.142).abs() < 1e-3);
        assert!((from - 315.0).abs() < 1e-9, "{from}");
        // Air moving south: wind from the north.
        assert!((wind_from_components(-5.0, 0.0).1 - 0.0).abs() < 1e-9);
        // Air moving north: wind from the south.
        assert!((wind_from_components(5.0, 0.0).1 - 180.0).abs() < 1e-9);
    }

    #[test]
    fn zero_position_means_no_fix() {
        let mut t = VehicleTelemetry::new(1, 1);
        t.apply(
            &MavMessage::GLOBAL_POSITION_INT(apm::GLOBAL_POSITION_INT_DATA::default()),
            SystemTime::now(),
        );
        assert_eq!(t.position, None);
        let p = apm::GLOBAL_POSITION_INT_DATA {
            lat: 435150000,
            lon: 49890000,
            alt: 70_000,
            relative_alt: 50_000,
            ..Default::default()
        };
        t.apply(&MavMessage::GLOBAL_POSITION_INT(p), SystemTime::now());
        let pos = t.position.unwrap();
        assert!((pos.lat_deg - 43.515).abs() < 1e-9 && (pos.alt_rel_m - 50.0).abs() < 1e-9);
    }

    #[test]
    fn mode_names() {
        assert_eq!(copter_mode_name(4), "GUIDED");
        assert_eq!(copter_mode_number("rtl"), Some(6));
        assert_eq!(copter_mode_number("brake"), Some(17));
        assert_eq!(copter_mode_number("nonsense"), None);
    }
}

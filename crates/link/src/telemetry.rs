//! Telemetry translated once, at the link edge, into plain values with their units in their names.

use std::time::SystemTime;

use crate::MavMessage;
use crate::ardupilotmega as apm;
use crate::values::{Autopilot, CopterMode, GpsFix, LandedState};

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
    pub fix: GpsFix,
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
    /// MAV_SEVERITY: 0 emergency … 4 warning … 7 debug.
    pub severity: u8,
    pub text: String,
    /// The component that said it (the autopilot, a camera, a companion computer).
    pub compid: u8,
    pub at: SystemTime,
}

impl StatusText {
    /// The autopilot explaining why it will not arm ("PreArm: …", or "Arm: …" on a refused
    /// attempt), as ArduPilot and PX4 word it.
    pub fn is_arming_reason(&self) -> bool {
        let t = self.text.trim_start();
        t.starts_with("PreArm:") || t.starts_with("Arm:") || t.starts_with("Preflight Fail")
    }
}

/// The EKF's own view of its estimate (ArduPilot EKF_STATUS_REPORT).
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct EkfStatus {
    pub attitude_ok: bool,
    pub horiz_pos_abs_ok: bool,
    pub pred_horiz_pos_abs_ok: bool,
    /// Constant-position mode: the EKF does not know where it is.
    pub const_pos_mode: bool,
    pub gps_glitching: bool,
    pub received_at: Option<SystemTime>,
}

/// Whether the autopilot itself would arm, as it says it.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct Readiness {
    /// SYS_STATUS pre-arm check bit: Some(true) passing, Some(false) failing, None when the
    /// autopilot does not report it.
    pub prearm_ok: Option<bool>,
    pub ekf: Option<EkfStatus>,
    /// The autopilot's latest arming reasons, newest last (ArduPilot repeats them every 30 s).
    pub reasons: Vec<StatusText>,
}

const KEEP_ARMING_REASONS: usize = 8;

/// How far the station can trust the link to this vehicle (set by the hub, not by messages).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct LinkSecurity {
    /// The station has a key for this vehicle: frames without its signature are refused.
    pub keyed: bool,
    /// The frames accepted from the vehicle are signed with its key (MAVLink 2 signing). What
    /// the rules' `VehicleSnapshot::link_signed` is made of.
    pub signed: bool,
    /// Since when the accepted frames have been signed (None while they are not).
    pub signed_since: Option<SystemTime>,
    /// The vehicle had been signing, then unsigned frames came with its system id (refused when
    /// it has a key): when the last one came. A spoofer, or a vehicle that lost its key; the
    /// station alarms on it.
    pub unsigned_after_signed_at: Option<SystemTime>,
    /// Frames refused that claimed this vehicle's system id, by kind, since the hub started
    /// (published once a second).
    pub rejected: crate::reject::RejectCounts,
    /// Where commands go: the link and the peer the vehicle's route is bound to.
    pub route: Option<String>,
    /// That link only accepts its first peer (the operator pinned it).
    pub pinned: bool,
}

/// Everything the station knows of one vehicle, from its telemetry.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct VehicleTelemetry {
    pub sysid: u8,
    /// The autopilot's component id: only its heartbeats and state messages describe the vehicle.
    pub compid: u8,
    /// MAV_TYPE from the autopilot's heartbeat.
    pub vehicle_type: u8,
    pub autopilot: Autopilot,
    pub armed: bool,
    pub custom_mode: u32,
    pub mode: CopterMode,
    pub system_status: u8,
    /// None until the vehicle has a position (ArduPilot sends 0,0 before its EKF has an origin).
    pub position: Option<Position>,
    /// When `position` was received.
    pub position_at: Option<SystemTime>,
    pub landed_state: Option<LandedState>,
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
    pub readiness: Readiness,
    pub mission_current_seq: Option<u16>,
    pub mission_item_reached_seq: Option<u16>,
    pub video_streams: Vec<VideoStreamInfo>,
    /// The last few STATUSTEXTs, newest last.
    pub status_texts: Vec<StatusText>,
    pub last_heartbeat_at: Option<SystemTime>,
    pub lost: bool,
    /// Signed or not, since when, refused frames, where the route is.
    pub link: LinkSecurity,
    /// Manned aircraft heard by the vehicle's own ADS-B receiver (ADSB_VEHICLE), in the type the
    /// SBS-1 feed uses, so the station merges both.
    pub traffic: Vec<flight_rules::Traffic>,
    /// The vehicle's Remote ID as broadcast, and its module's own verdict.
    pub remote_id: flight_rules::RemoteIdSnapshot,
}

/// Something worth an event, found while applying a message.
#[derive(Debug, Clone, PartialEq)]
pub enum TelemetryChange {
    ArmedChanged(bool),
    ModeChanged(CopterMode),
    StatusText(StatusText),
    MissionItemReached(u16),
    FenceBreachChanged(bool),
    VideoStream(VideoStreamInfo),
    /// The autopilot's pre-arm state flipped (SYS_STATUS bit).
    ReadinessChanged(Option<bool>),
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

    /// Fold one message from component `compid` of this system in; returns what changed that
    /// deserves an event. State (armed, mode, position, health…) is taken from the autopilot
    /// component only: a camera or a companion computer with the same system id sends its own
    /// heartbeat ("not armed", mode 0) and must not disarm a flight in the air on the screen.
    pub fn apply(&mut self, compid: u8, msg: &MavMessage, now: SystemTime) -> Vec<TelemetryChange> {
        let mut changes = Vec::new();
        let from_autopilot = compid == self.compid;
        match msg {
            MavMessage::STATUSTEXT(s) => {
                let st = StatusText {
                    severity: s.severity as u8,
                    text: c_string(&s.text[..]),
                    compid,
                    at: now,
                };
                if from_autopilot && st.is_arming_reason() {
                    let r = &mut self.readiness.reasons;
                    r.retain(|x| x.text != st.text);
                    r.push(st.clone());
                    if r.len() > KEEP_ARMING_REASONS {
                        r.remove(0);
                    }
                }
                self.status_texts.push(st.clone());
                if self.status_texts.len() > KEEP_STATUS_TEXTS {
                    self.status_texts.remove(0);
                }
                changes.push(TelemetryChange::StatusText(st));
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
            // Other aircraft and the Remote ID module: whichever component of the system says it.
            MavMessage::ADSB_VEHICLE(a) => crate::adsb::apply(&mut self.traffic, a, now),
            MavMessage::OPEN_DRONE_ID_BASIC_ID(_)
            | MavMessage::OPEN_DRONE_ID_LOCATION(_)
            | MavMessage::OPEN_DRONE_ID_SYSTEM(_)
            | MavMessage::OPEN_DRONE_ID_OPERATOR_ID(_)
            | MavMessage::OPEN_DRONE_ID_ARM_STATUS(_) => {
                crate::remote_id::apply(&mut self.remote_id, msg, now);
            }
            _ if !from_autopilot => {}
            MavMessage::HEARTBEAT(hb) => {
                let armed = hb
                    .base_mode
                    .contains(apm::MavModeFlag::MAV_MODE_FLAG_SAFETY_ARMED);
                if armed != self.armed || self.last_heartbeat_at.is_none() {
                    changes.push(TelemetryChange::ArmedChanged(armed));
                }
                let mode = CopterMode::from_custom_mode(hb.custom_mode);
                if mode != self.mode || self.last_heartbeat_at.is_none() {
                    changes.push(TelemetryChange::ModeChanged(mode));
                }
                self.armed = armed;
                self.custom_mode = hb.custom_mode;
                self.mode = mode;
                self.vehicle_type = hb.mavtype as u8;
                self.autopilot = Autopilot::from_mav(hb.autopilot);
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
                let bit = apm::MavSysStatusSensor::MAV_SYS_STATUS_PREARM_CHECK;
                let prearm = s
                    .onboard_control_sensors_present
                    .contains(bit)
                    .then(|| s.onboard_control_sensors_health.contains(bit));
                if prearm != self.readiness.prearm_ok {
                    changes.push(TelemetryChange::ReadinessChanged(prearm));
                }
                self.readiness.prearm_ok = prearm;
            }
            MavMessage::EKF_STATUS_REPORT(e) => {
                use apm::EkfStatusFlags as F;
                self.readiness.ekf = Some(EkfStatus {
                    attitude_ok: e.flags.contains(F::EKF_ATTITUDE),
                    horiz_pos_abs_ok: e.flags.contains(F::EKF_POS_HORIZ_ABS),
                    pred_horiz_pos_abs_ok: e.flags.contains(F::EKF_PRED_POS_HORIZ_ABS),
                    const_pos_mode: e.flags.contains(F::EKF_CONST_POS_MODE),
                    gps_glitching: e.flags.contains(F::EKF_GPS_GLITCHING),
                    received_at: Some(now),
                });
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
                    fix: GpsFix::from_mav(g.fix_type),
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
            MavMessage::EXTENDED_SYS_STATE(e) => {
                self.landed_state = Some(LandedState::from_mav(e.landed_state));
            }
            MavMessage::MISSION_CURRENT(m) => self.mission_current_seq = Some(m.seq),
            MavMessage::MISSION_ITEM_REACHED(m) => {
                self.mission_item_reached_seq = Some(m.seq);
                changes.push(TelemetryChange::MissionItemReached(m.seq));
            }
            _ => {}
        }
        changes
    }

    /// In the air, from the landed state when the vehicle reports one, else armed and above a
    /// few metres (None: nothing to judge by).
    pub fn airborne(&self) -> bool {
        match self.landed_state.and_then(LandedState::is_airborne) {
            Some(a) => a,
            None => self.armed && self.position.is_some_and(|p| p.alt_rel_m > 1.0),
        }
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
            1,
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
        t.apply(1, &MavMessage::GLOBAL_POSITION_INT(p), SystemTime::now());
        let pos = t.position.unwrap();
        assert!((pos.lat_deg - 43.515).abs() < 1e-9 && (pos.alt_rel_m - 50.0).abs() < 1e-9);
    }

    #[test]
    fn only_the_autopilot_component_sets_armed_and_mode() {
        let mut t = VehicleTelemetry::new(1, 1);
        let hb = |armed: bool, mode: u32| {
            MavMessage::HEARTBEAT(apm::HEARTBEAT_DATA {
                custom_mode: mode,
                mavtype: apm::MavType::MAV_TYPE_QUADROTOR,
                autopilot: apm::MavAutopilot::MAV_AUTOPILOT_ARDUPILOTMEGA,
                base_mode: if armed {
                    apm::MavModeFlag::MAV_MODE_FLAG_SAFETY_ARMED
                } else {
                    apm::MavModeFlag::empty()
                },
                system_status: apm::MavState::MAV_STATE_ACTIVE,
                mavlink_version: 3,
            })
        };
        t.apply(1, &hb(true, 4), SystemTime::now());
        assert!(t.armed && t.mode == CopterMode::Guided);
        // A camera (compid 100) says "not armed, mode 0": it describes itself, not the aircraft.
        let changes = t.apply(100, &hb(false, 0), SystemTime::now());
        assert!(changes.is_empty(), "{changes:?}");
        assert!(t.armed && t.mode == CopterMode::Guided);
    }

    #[test]
    fn prearm_bit_and_reasons() {
        let mut t = VehicleTelemetry::new(1, 1);
        let bit = apm::MavSysStatusSensor::MAV_SYS_STATUS_PREARM_CHECK;
        let status = |healthy: bool| {
            MavMessage::SYS_STATUS(apm::SYS_STATUS_DATA {
                onboard_control_sensors_present: bit,
                onboard_control_sensors_enabled: bit,
                onboard_control_sensors_health: if healthy {
                    bit
                } else {
                    apm::MavSysStatusSensor::empty()
                },
                ..Default::default()
            })
        };
        let changes = t.apply(1, &status(false), SystemTime::now());
        assert_eq!(
            changes,
            vec![TelemetryChange::ReadinessChanged(Some(false))]
        );
        let mut text = [0u8; 50];
        let msg = b"PreArm: Gyros inconsistent";
        text[..msg.len()].copy_from_slice(msg);
        t.apply(
            1,
            &MavMessage::STATUSTEXT(apm::STATUSTEXT_DATA {
                severity: apm::MavSeverity::MAV_SEVERITY_CRITICAL,
                text: text.into(),
                ..Default::default()
            }),
            SystemTime::now(),
        );
        assert_eq!(t.readiness.reasons.len(), 1);
        t.apply(1, &status(true), SystemTime::now());
        assert_eq!(t.readiness.prearm_ok, Some(true));
    }
}

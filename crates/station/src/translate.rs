//! From the link's telemetry to the rules' types, once: the vehicle as the interlock sees it,
//! flight modes, the vehicle's wind estimate, and register samples.

use std::time::SystemTime;

use chrono::{DateTime, Utc};
use flight_rules::{FlightMode, LatLon, VehicleSnapshot, WindReading, WindSource};
use vigie_link::{CopterMode, VehicleTelemetry};

use crate::snapshot::FenceStatus;

/// How long an arming reason from the autopilot stays relevant: ArduPilot repeats a failing
/// pre-arm check every 30 s, so an older text is about a check that has since passed.
const ARMING_REASON_MAX_AGE_S: i64 = 35;

pub fn utc(t: SystemTime) -> DateTime<Utc> {
    DateTime::<Utc>::from(t)
}

/// The rules' view of one vehicle.
pub fn vehicle_snapshot(
    t: &VehicleTelemetry,
    airframe: &str,
    fence: FenceStatus,
    now: DateTime<Utc>,
) -> VehicleSnapshot {
    let reasons = if t.readiness.prearm_ok == Some(true) {
        vec![]
    } else {
        t.readiness
            .reasons
            .iter()
            .filter(|r| (now - utc(r.at)).num_seconds() <= ARMING_REASON_MAX_AGE_S)
            .map(|r| r.text.clone())
            .collect()
    };
    VehicleSnapshot {
        airframe: airframe.to_string(),
        gps_fix_type: t.gps.map_or(0, |g| g.fix.number()),
        satellites: t.gps.and_then(|g| g.satellites).unwrap_or(0),
        h_accuracy_m: t.gps.and_then(|g| g.hdop).map(|h| h * 2.5),
        position: t.position.map(|p| LatLon::new(p.lat_deg, p.lon_deg)),
        position_at: t.position_at.map(utc),
        alt_rel_home_m: t.position.map(|p| p.alt_rel_m),
        alt_amsl_m: t.position.map(|p| p.alt_amsl_m),
        ground_velocity_ne_mps: t.velocity_ned_mps.map(|v| [v[0], v[1]]),
        battery_pct: t.battery.and_then(|b| b.remaining_pct),
        home_set: t.home.is_some(),
        home: t.home.map(|h| LatLon::new(h.lat_deg, h.lon_deg)),
        fence_loaded: fence.loaded,
        fence_enabled: fence.enabled,
        armed: t.armed,
        airborne: t.airborne(),
        autopilot_ready: t.readiness.prearm_ok,
        autopilot_reasons: reasons,
        // Known once the vehicle has been heard: whether what it sends is signed with its key.
        link_signed: t.last_heartbeat_at.map(|_| t.link.signed),
        remote_id: (!t.remote_id.is_empty()).then(|| t.remote_id.clone()),
    }
}

/// The vehicle's own wind estimate as a reading for the gate.
pub fn vehicle_wind(t: &VehicleTelemetry) -> Option<WindReading> {
    let w = t.wind?;
    Some(WindReading {
        source: WindSource::Vehicle,
        mean_mps: w.speed_mps,
        gust_mps: None,
        from_deg: Some(w.from_deg),
        observed_at: utc(w.received_at),
    })
}

/// The rules' name for an ArduCopter mode.
pub fn flight_mode(m: CopterMode) -> FlightMode {
    match m {
        CopterMode::Stabilize => FlightMode::Stabilize,
        CopterMode::AltHold => FlightMode::AltHold,
        CopterMode::Loiter => FlightMode::Loiter,
        CopterMode::PosHold => FlightMode::PosHold,
        CopterMode::Guided => FlightMode::Guided,
        CopterMode::Auto => FlightMode::Auto,
        CopterMode::Rtl | CopterMode::SmartRtl => FlightMode::Rtl,
        CopterMode::Land => FlightMode::Land,
        CopterMode::Brake => FlightMode::Brake,
        other => FlightMode::Other(other.name().to_string()),
    }
}

/// One register sample of the flight's track.
pub fn track_sample(
    t: &VehicleTelemetry,
    now: DateTime<Utc>,
) -> Option<vigie_register::TelemetrySample> {
    let p = t.position?;
    Some(vigie_register::TelemetrySample {
        time: now,
        lat_deg: p.lat_deg,
        lon_deg: p.lon_deg,
        alt_agl_m: p.alt_rel_m,
        ground_speed_mps: t.ground_speed_mps.unwrap_or(0.0),
        battery_pct: t.battery.and_then(|b| b.remaining_pct),
        wind_speed_mps: t.wind.map(|w| w.speed_mps),
        wind_from_deg: t.wind.map(|w| w.from_deg),
        roll_deg: t.roll_deg.unwrap_or(0.0),
        pitch_deg: t.pitch_deg.unwrap_or(0.0),
        yaw_deg: t.yaw_deg.unwrap_or(0.0),
    })
}

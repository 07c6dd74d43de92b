//! What the station knows about a vehicle at one instant (filled by the link from telemetry).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::types::LatLon;

/// MAVLink GPS_FIX_TYPE values used by the rules.
pub mod gps_fix {
    pub const NO_GPS: u8 = 0;
    pub const NO_FIX: u8 = 1;
    pub const FIX_2D: u8 = 2;
    pub const FIX_3D: u8 = 3;
    pub const DGPS: u8 = 4;
    pub const RTK_FLOAT: u8 = 5;
    pub const RTK_FIXED: u8 = 6;
}

/// A snapshot of one vehicle. Unknown values are `None`; the rules treat them as unknown, not good.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct VehicleSnapshot {
    /// Airframe type, matched against pilot qualifications and per-airframe limits.
    pub airframe: String,
    /// MAVLink GPS_FIX_TYPE (0 none … 3 3D … 6 RTK fixed).
    pub gps_fix_type: u8,
    pub satellites: u8,
    /// Horizontal accuracy of the fix, metres (GPS_RAW_INT h_acc), when reported.
    pub h_accuracy_m: Option<f64>,
    pub position: Option<LatLon>,
    /// When `position` was measured (its age is judged against `now`).
    pub position_at: Option<DateTime<Utc>>,
    pub alt_rel_home_m: Option<f64>,
    pub alt_amsl_m: Option<f64>,
    /// Ground velocity north/east, m/s.
    pub ground_velocity_ne_mps: Option<[f64; 2]>,
    pub battery_pct: Option<f64>,
    pub home_set: bool,
    pub home: Option<LatLon>,
    pub fence_loaded: bool,
    pub fence_enabled: bool,
    pub armed: bool,
    /// In the air (landed state from EXTENDED_SYS_STATE, or armed and above a few metres).
    pub airborne: bool,
    /// The autopilot's own verdict on arming: Some(true) its pre-arm checks pass, Some(false)
    /// they fail, None it does not say (it still runs them when asked to arm).
    pub autopilot_ready: Option<bool>,
    /// What the autopilot says is wrong ("PreArm: Need Position Estimate"), newest last.
    pub autopilot_reasons: Vec<String>,
    /// Whether the frames the station accepts from the vehicle are signed with its key (MAVLink 2
    /// signing): Some(true) signed, Some(false) not, None not known yet. `LINK-UNSIGNED` reads it.
    pub link_signed: Option<bool>,
    /// What the vehicle's Remote ID broadcasts and its module's verdict; None when nothing was
    /// heard. `REMOTE-ID` reads it.
    pub remote_id: Option<crate::remote_id::RemoteIdSnapshot>,
}

impl VehicleSnapshot {
    /// Position age in seconds at `now` (None when no position or time).
    pub fn fix_age_s(&self, now: DateTime<Utc>) -> Option<f64> {
        self.position_at
            .map(|t| (now - t).num_milliseconds() as f64 / 1000.0)
    }
}

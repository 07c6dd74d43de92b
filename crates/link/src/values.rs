//! MAVLink enumerations as plain Rust types, so callers above the link never hold a raw number
//! (or name the dialect) for a fix type, a landed state, an autopilot, a flight mode or a
//! parameter type.

use crate::ardupilotmega as apm;

/// GPS_FIX_TYPE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize)]
pub enum GpsFix {
    #[default]
    NoGps,
    NoFix,
    Fix2d,
    Fix3d,
    Dgps,
    RtkFloat,
    RtkFixed,
    /// Static fixed position (a base station); not a moving fix.
    Static,
    /// Precise point positioning.
    Ppp,
}

impl GpsFix {
    pub fn from_mav(t: apm::GpsFixType) -> Self {
        use apm::GpsFixType::*;
        match t {
            GPS_FIX_TYPE_NO_GPS => GpsFix::NoGps,
            GPS_FIX_TYPE_NO_FIX => GpsFix::NoFix,
            GPS_FIX_TYPE_2D_FIX => GpsFix::Fix2d,
            GPS_FIX_TYPE_3D_FIX => GpsFix::Fix3d,
            GPS_FIX_TYPE_DGPS => GpsFix::Dgps,
            GPS_FIX_TYPE_RTK_FLOAT => GpsFix::RtkFloat,
            GPS_FIX_TYPE_RTK_FIXED => GpsFix::RtkFixed,
            GPS_FIX_TYPE_STATIC => GpsFix::Static,
            GPS_FIX_TYPE_PPP => GpsFix::Ppp,
        }
    }

    /// The GPS_FIX_TYPE number (0 no GPS … 3 3D … 6 RTK fixed), what the rules' limits count in.
    pub fn number(self) -> u8 {
        match self {
            GpsFix::NoGps => 0,
            GpsFix::NoFix => 1,
            GpsFix::Fix2d => 2,
            GpsFix::Fix3d => 3,
            GpsFix::Dgps => 4,
            GpsFix::RtkFloat => 5,
            GpsFix::RtkFixed => 6,
            GpsFix::Static => 7,
            GpsFix::Ppp => 8,
        }
    }

    /// A 3-D position fix or better (a static base-station fix does not count for a vehicle).
    pub fn is_3d(self) -> bool {
        matches!(
            self,
            GpsFix::Fix3d | GpsFix::Dgps | GpsFix::RtkFloat | GpsFix::RtkFixed | GpsFix::Ppp
        )
    }
}

/// EXTENDED_SYS_STATE.landed_state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum LandedState {
    Undefined,
    OnGround,
    InAir,
    Takeoff,
    Landing,
}

impl LandedState {
    pub fn from_mav(s: apm::MavLandedState) -> Self {
        use apm::MavLandedState::*;
        match s {
            MAV_LANDED_STATE_UNDEFINED => LandedState::Undefined,
            MAV_LANDED_STATE_ON_GROUND => LandedState::OnGround,
            MAV_LANDED_STATE_IN_AIR => LandedState::InAir,
            MAV_LANDED_STATE_TAKEOFF => LandedState::Takeoff,
            MAV_LANDED_STATE_LANDING => LandedState::Landing,
        }
    }

    /// Off the ground (climbing out and landing count: the props are turning above people).
    pub fn is_airborne(self) -> Option<bool> {
        match self {
            LandedState::Undefined => None,
            LandedState::OnGround => Some(false),
            LandedState::InAir | LandedState::Takeoff | LandedState::Landing => Some(true),
        }
    }
}

/// The autopilot firmware named in the vehicle's HEARTBEAT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub enum Autopilot {
    /// Not heard yet.
    #[default]
    Unknown,
    ArduPilot,
    Px4,
    Generic,
    /// Any other MAV_AUTOPILOT value.
    Other(u8),
}

impl Autopilot {
    pub fn from_mav(a: apm::MavAutopilot) -> Self {
        match a {
            apm::MavAutopilot::MAV_AUTOPILOT_ARDUPILOTMEGA => Autopilot::ArduPilot,
            apm::MavAutopilot::MAV_AUTOPILOT_PX4 => Autopilot::Px4,
            apm::MavAutopilot::MAV_AUTOPILOT_GENERIC => Autopilot::Generic,
            other => Autopilot::Other(other as u8),
        }
    }
}

/// ArduCopter flight modes (HEARTBEAT.custom_mode, ArduCopter `mode.h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub enum CopterMode {
    Stabilize,
    Acro,
    AltHold,
    Auto,
    Guided,
    Loiter,
    Rtl,
    Circle,
    Land,
    Drift,
    Sport,
    Flip,
    AutoTune,
    PosHold,
    Brake,
    Throw,
    AvoidAdsb,
    GuidedNoGps,
    SmartRtl,
    FlowHold,
    Follow,
    ZigZag,
    SystemId,
    AutoRotate,
    AutoRtl,
    /// Before the first heartbeat, or a number this table does not know.
    #[default]
    Unknown,
}

const COPTER_MODES: &[(CopterMode, u32, &str)] = &[
    (CopterMode::Stabilize, 0, "STABILIZE"),
    (CopterMode::Acro, 1, "ACRO"),
    (CopterMode::AltHold, 2, "ALT_HOLD"),
    (CopterMode::Auto, 3, "AUTO"),
    (CopterMode::Guided, 4, "GUIDED"),
    (CopterMode::Loiter, 5, "LOITER"),
    (CopterMode::Rtl, 6, "RTL"),
    (CopterMode::Circle, 7, "CIRCLE"),
    (CopterMode::Land, 9, "LAND"),
    (CopterMode::Drift, 11, "DRIFT"),
    (CopterMode::Sport, 13, "SPORT"),
    (CopterMode::Flip, 14, "FLIP"),
    (CopterMode::AutoTune, 15, "AUTOTUNE"),
    (CopterMode::PosHold, 16, "POSHOLD"),
    (CopterMode::Brake, 17, "BRAKE"),
    (CopterMode::Throw, 18, "THROW"),
    (CopterMode::AvoidAdsb, 19, "AVOID_ADSB"),
    (CopterMode::GuidedNoGps, 20, "GUIDED_NOGPS"),
    (CopterMode::SmartRtl, 21, "SMART_RTL"),
    (CopterMode::FlowHold, 22, "FLOWHOLD"),
    (CopterMode::Follow, 23, "FOLLOW"),
    (CopterMode::ZigZag, 24, "ZIGZAG"),
    (CopterMode::SystemId, 25, "SYSTEMID"),
    (CopterMode::AutoRotate, 26, "AUTOROTATE"),
    (CopterMode::AutoRtl, 27, "AUTO_RTL"),
];

impl CopterMode {
    pub fn from_custom_mode(n: u32) -> Self {
        COPTER_MODES
            .iter()
            .find(|(_, k, _)| *k == n)
            .map_or(CopterMode::Unknown, |(m, _, _)| *m)
    }

    /// The custom_mode number DO_SET_MODE carries; None for `Unknown`.
    pub fn custom_mode(self) -> Option<u32> {
        COPTER_MODES
            .iter()
            .find(|(m, _, _)| *m == self)
            .map(|(_, n, _)| *n)
    }

    /// ArduCopter's own name (as MAVProxy and Mission Planner print it).
    pub fn name(self) -> &'static str {
        COPTER_MODES
            .iter()
            .find(|(m, _, _)| *m == self)
            .map_or("UNKNOWN", |(_, _, s)| s)
    }

    /// By ArduCopter name, case-insensitive.
    pub fn from_name(name: &str) -> Option<Self> {
        COPTER_MODES
            .iter()
            .find(|(_, _, s)| s.eq_ignore_ascii_case(name))
            .map(|(m, _, _)| *m)
    }
}

impl std::fmt::Display for CopterMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// MAV_PARAM_TYPE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum ParamType {
    U8,
    I8,
    U16,
    I16,
    U32,
    I32,
    U64,
    I64,
    Real32,
    Real64,
}

impl ParamType {
    pub fn to_mav(self) -> apm::MavParamType {
        use apm::MavParamType::*;
        match self {
            ParamType::U8 => MAV_PARAM_TYPE_UINT8,
            ParamType::I8 => MAV_PARAM_TYPE_INT8,
            ParamType::U16 => MAV_PARAM_TYPE_UINT16,
            ParamType::I16 => MAV_PARAM_TYPE_INT16,
            ParamType::U32 => MAV_PARAM_TYPE_UINT32,
            ParamType::I32 => MAV_PARAM_TYPE_INT32,
            ParamType::U64 => MAV_PARAM_TYPE_UINT64,
            ParamType::I64 => MAV_PARAM_TYPE_INT64,
            ParamType::Real32 => MAV_PARAM_TYPE_REAL32,
            ParamType::Real64 => MAV_PARAM_TYPE_REAL64,
        }
    }

    pub fn from_mav(t: apm::MavParamType) -> Self {
        use apm::MavParamType::*;
        match t {
            MAV_PARAM_TYPE_UINT8 => ParamType::U8,
            MAV_PARAM_TYPE_INT8 => ParamType::I8,
            MAV_PARAM_TYPE_UINT16 => ParamType::U16,
            MAV_PARAM_TYPE_INT16 => ParamType::I16,
            MAV_PARAM_TYPE_UINT32 => ParamType::U32,
            MAV_PARAM_TYPE_INT32 => ParamType::I32,
            MAV_PARAM_TYPE_UINT64 => ParamType::U64,
            MAV_PARAM_TYPE_INT64 => ParamType::I64,
            MAV_PARAM_TYPE_REAL32 => ParamType::Real32,
            MAV_PARAM_TYPE_REAL64 => ParamType::Real64,
        }
    }
}

/// What kind of component a HEARTBEAT comes from. Only an autopilot is a vehicle: a camera, a
/// gimbal or a companion computer with the vehicle's system id must never be taken for it (its
/// heartbeat says "not armed" and mode 0 while the aircraft flies).
pub fn heartbeat_is_autopilot(mavtype: apm::MavType, autopilot: apm::MavAutopilot) -> bool {
    use apm::MavType::*;
    if autopilot == apm::MavAutopilot::MAV_AUTOPILOT_INVALID {
        return false;
    }
    !matches!(
        mavtype,
        MAV_TYPE_GCS
            | MAV_TYPE_CAMERA
            | MAV_TYPE_GIMBAL
            | MAV_TYPE_ONBOARD_CONTROLLER
            | MAV_TYPE_ADSB
            | MAV_TYPE_ANTENNA_TRACKER
            | MAV_TYPE_FLARM
            | MAV_TYPE_SERVO
            | MAV_TYPE_ODID
            | MAV_TYPE_BATTERY
            | MAV_TYPE_PARACHUTE
            | MAV_TYPE_LOG
            | MAV_TYPE_OSD
            | MAV_TYPE_IMU
            | MAV_TYPE_GPS
            | MAV_TYPE_WINCH
            | MAV_TYPE_GENERIC
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copter_modes_round_trip() {
        for &(m, n, name) in COPTER_MODES {
            assert_eq!(CopterMode::from_custom_mode(n), m);
            assert_eq!(m.custom_mode(), Some(n));
            assert_eq!(CopterMode::from_name(&name.to_lowercase()), Some(m));
        }
        assert_eq!(CopterMode::from_custom_mode(8), CopterMode::Unknown);
        assert_eq!(CopterMode::Unknown.custom_mode(), None);
        assert_eq!(CopterMode::from_name("nonsense"), None);
        assert_eq!(CopterMode::Brake.custom_mode(), Some(17));
    }

    #[test]
    fn a_camera_heartbeat_is_not_an_autopilot() {
        use apm::{MavAutopilot as A, MavType as T};
        assert!(heartbeat_is_autopilot(
            T::MAV_TYPE_QUADROTOR,
            A::MAV_AUTOPILOT_ARDUPILOTMEGA
        ));
        assert!(!heartbeat_is_autopilot(
            T::MAV_TYPE_CAMERA,
            A::MAV_AUTOPILOT_GENERIC
        ));
        assert!(!heartbeat_is_autopilot(
            T::MAV_TYPE_GCS,
            A::MAV_AUTOPILOT_INVALID
        ));
        assert!(!heartbeat_is_autopilot(
            T::MAV_TYPE_QUADROTOR,
            A::MAV_AUTOPILOT_INVALID
        ));
        assert!(!heartbeat_is_autopilot(
            T::MAV_TYPE_ONBOARD_CONTROLLER,
            A::MAV_AUTOPILOT_ARDUPILOTMEGA
        ));
    }
}

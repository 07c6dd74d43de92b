//! One simulated ArduCopter: flight modes, navigation, pre-arm checks, failsafes, the fence,
//! and the MAVLink behaviour (commands, mission / fence / rally protocol, parameters, streams).
//!
//! The vehicle is a plain state machine: `handle` takes a decoded message, `step` advances sim
//! time, `poll` runs the wall-clock protocol timers, and everything it sends lands in an outbox
//! that the transport drains. No sockets, no clocks.

// ArduCopter still speaks the deprecated messages (MISSION_REQUEST, MISSION_ITEM, SET_MODE, ...),
// so the simulator must too.
#![allow(deprecated)]

use std::collections::HashMap;

use mavlink::dialects::ardupilotmega::*;
use mavlink::{MavHeader, Message};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::ekf::{Ekf, EkfEvent};
use crate::faults::Fault;
use crate::fence::{self, FenceConfig, FenceItem, FencePlan};
use crate::geo::{GRAVITY_MSS, LatLon, LocalFrame, V3, distance_m, wrap_360, wrap_pi};
use crate::params::{ParamTable, decode_param_set, default_table};
use crate::physics::{
    Airframe, Battery, Body, Demand, Gps, WindModel, WindSetting, air_velocity_from,
    motor_current_a,
};
use crate::scenario::{ItemKind, PlannedItem, Terrain};

/// ArduCopter flight modes with their custom_mode numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Stabilize,
    AltHold,
    Auto,
    Guided,
    Loiter,
    Rtl,
    Circle,
    Land,
    PosHold,
    Brake,
}

impl Mode {
    pub fn from_number(n: u32) -> Option<Mode> {
        Some(match n {
            0 => Mode::Stabilize,
            2 => Mode::AltHold,
            3 => Mode::Auto,
            4 => Mode::Guided,
            5 => Mode::Loiter,
            6 => Mode::Rtl,
            7 => Mode::Circle,
            9 => Mode::Land,
            16 => Mode::PosHold,
            17 => Mode::Brake,
            _ => return None,
        })
    }
    pub fn number(self) -> u32 {
        match self {
            Mode::Stabilize => 0,
            Mode::AltHold => 2,
            Mode::Auto => 3,
            Mode::Guided => 4,
            Mode::Loiter => 5,
            Mode::Rtl => 6,
            Mode::Circle => 7,
            Mode::Land => 9,
            Mode::PosHold => 16,
            Mode::Brake => 17,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Mode::Stabilize => "STABILIZE",
            Mode::AltHold => "ALT_HOLD",
            Mode::Auto => "AUTO",
            Mode::Guided => "GUIDED",
            Mode::Loiter => "LOITER",
            Mode::Rtl => "RTL",
            Mode::Circle => "CIRCLE",
            Mode::Land => "LAND",
            Mode::PosHold => "POSHOLD",
            Mode::Brake => "BRAKE",
        }
    }
    /// Modes that need a position estimate (GPS) to be entered.
    pub fn needs_position(self) -> bool {
        !matches!(self, Mode::Stabilize | Mode::AltHold | Mode::Land)
    }
    /// Modes whose throttle the pilot sets (no altitude estimate needed to arm).
    fn manual_throttle(self) -> bool {
        matches!(self, Mode::Stabilize)
    }
    /// ArduCopter's `Mode::is_autopilot()`: the vehicle flies itself (FS_OPTIONS bit 4).
    fn is_autopilot(self) -> bool {
        matches!(
            self,
            Mode::Auto | Mode::Guided | Mode::Rtl | Mode::Land | Mode::Circle
        )
    }
    /// Modes ArduCopter arms in from a GCS (AUTO only with AUTO_OPTIONS bit 2; RTL/LAND never).
    fn allows_arming(self, auto_options: u32) -> bool {
        match self {
            Mode::Auto => auto_options & 4 != 0,
            Mode::Rtl | Mode::Land | Mode::Circle => false,
            _ => true,
        }
    }
    fn guided_flag(self) -> bool {
        matches!(
            self,
            Mode::Auto
                | Mode::Rtl
                | Mode::Loiter
                | Mode::Guided
                | Mode::Circle
                | Mode::PosHold
                | Mode::Brake
        )
    }
}

/// A mission / fence / rally item as stored on board (MISSION_ITEM_INT fields).
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub command: MavCmd,
    pub frame: MavFrame,
    pub current: u8,
    pub autocontinue: u8,
    pub param1: f32,
    pub param2: f32,
    pub param3: f32,
    pub param4: f32,
    pub x: i32,
    pub y: i32,
    pub z: f32,
}

impl Item {
    fn latlon(&self) -> LatLon {
        LatLon::from_e7(self.x, self.y)
    }
    fn cmd_id(&self) -> u16 {
        self.command as u16
    }
    fn nav(command: MavCmd, at: LatLon, alt: f32, p1: f32) -> Item {
        Item {
            command,
            frame: MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT,
            current: 0,
            autocontinue: 1,
            param1: p1,
            param2: 0.0,
            param3: 0.0,
            param4: 0.0,
            x: at.lat_e7(),
            y: at.lon_e7(),
            z: alt,
        }
    }
}

/// ArduPilot stores the non-_INT frame numbers and sends them back on download.
fn storage_frame(f: MavFrame) -> MavFrame {
    match f {
        MavFrame::MAV_FRAME_GLOBAL_INT => MavFrame::MAV_FRAME_GLOBAL,
        MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT_INT => MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT,
        MavFrame::MAV_FRAME_GLOBAL_TERRAIN_ALT_INT => MavFrame::MAV_FRAME_GLOBAL_TERRAIN_ALT,
        other => other,
    }
}

fn is_global(f: MavFrame) -> bool {
    matches!(
        f,
        MavFrame::MAV_FRAME_GLOBAL
            | MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT
            | MavFrame::MAV_FRAME_GLOBAL_TERRAIN_ALT
            | MavFrame::MAV_FRAME_GLOBAL_INT
            | MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT_INT
            | MavFrame::MAV_FRAME_GLOBAL_TERRAIN_ALT_INT
    )
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum ListKind {
    Mission,
    Fence,
    Rally,
}

impl ListKind {
    fn from_mav(t: MavMissionType) -> Option<ListKind> {
        match t {
            MavMissionType::MAV_MISSION_TYPE_MISSION => Some(ListKind::Mission),
            MavMissionType::MAV_MISSION_TYPE_FENCE => Some(ListKind::Fence),
            MavMissionType::MAV_MISSION_TYPE_RALLY => Some(ListKind::Rally),
            _ => None,
        }
    }
    fn mav(self) -> MavMissionType {
        match self {
            ListKind::Mission => MavMissionType::MAV_MISSION_TYPE_MISSION,
            ListKind::Fence => MavMissionType::MAV_MISSION_TYPE_FENCE,
            ListKind::Rally => MavMissionType::MAV_MISSION_TYPE_RALLY,
        }
    }
}

/// An upload in progress (ArduPilot's MissionItemProtocol receiving state).
#[derive(Clone, Debug)]
struct Upload {
    kind: ListKind,
    count: u16,
    next: u16,
    items: Vec<Item>,
    gcs: (u8, u8),
    last_request_wall_s: f64,
    retries: u8,
}

/// Wall-clock protocol timing: ArduPilot re-requests an item after ~1 s and gives up after a
/// few tries. Kept on wall time so a high --speedup does not make the GCS look slow.
const UPLOAD_RETRY_S: f64 = 1.0;
const UPLOAD_MAX_RETRIES: u8 = 5;
/// ArduCopter's PREARM_DISPLAY_PERIOD (updates at 1 Hz).
const PREARM_DISPLAY_PERIOD: u8 = 30;

/// FS_OPTIONS bits ArduCopter 4.5 reads on a GCS failsafe.
const FS_OPT_GCS_CONTINUE_IF_AUTO: u32 = 1 << 1;
const FS_OPT_CONTINUE_IF_LANDING: u32 = 1 << 3;
const FS_OPT_GCS_CONTINUE_IF_PILOT_CONTROL: u32 = 1 << 4;

#[derive(Clone, Copy, Debug, PartialEq)]
enum RtlStage {
    Climb,
    Return,
    Loiter { until_s: f64 },
    Land,
}

#[derive(Clone, Copy, Debug)]
struct Rtl {
    stage: RtlStage,
    target_ne: (f64, f64),
    return_d: f64,
}

#[derive(Clone, Copy, Debug)]
enum Guided {
    /// Hold where we are (or the takeoff column).
    Hold {
        n: f64,
        e: f64,
        d: f64,
    },
    Takeoff {
        n: f64,
        e: f64,
        d: f64,
    },
    Goto {
        n: f64,
        e: f64,
        d: f64,
        speed: f64,
    },
    Velocity {
        v: V3,
        until_s: f64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum AutoStage {
    /// Start the current item.
    Start,
    Takeoff {
        d: f64,
    },
    Fly {
        n: f64,
        e: f64,
        d: f64,
        /// A terrain-frame waypoint: this height above the ground all along the leg (ArduPilot
        /// with terrain data follows the terrain, not only the end point's elevation).
        agl: Option<f64>,
    },
    Hold {
        n: f64,
        e: f64,
        d: f64,
        until_s: f64,
    },
    Circle {
        cn: f64,
        ce: f64,
        d: f64,
        radius: f64,
        angle_left: f64,
    },
    LandAt {
        n: f64,
        e: f64,
        descending: bool,
    },
    Rtl,
    Delay {
        until_s: f64,
    },
    /// Last item done: loiter here (or sit landed).
    Done {
        n: f64,
        e: f64,
        d: f64,
    },
}

#[derive(Clone, Debug, Default)]
struct FenceRuntime {
    breached: u8,
    breach_count: u16,
    breach_time_ms: u32,
    last_type: u8,
}

#[derive(Clone, Debug, Default)]
struct Failsafes {
    gcs: bool,
    battery_low: bool,
    battery_critical: bool,
    ekf: bool,
    low_since_s: Option<f64>,
    crit_since_s: Option<f64>,
}

/// What a failsafe does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FailsafeAction {
    None,
    Disarm,
    Rtl,
    Land,
}

/// Outgoing stream: a message id and its period (sim seconds).
#[derive(Clone, Debug)]
struct Stream {
    msg_id: u32,
    period_s: f64,
    next_s: f64,
}

/// Video streams this vehicle announces (VIDEO_STREAM_INFORMATION / CAMERA_INFORMATION).
#[derive(Clone, Debug, PartialEq)]
pub struct VideoAnnounce {
    pub uri: String,
    pub width: u16,
    pub height: u16,
    pub fps: f32,
    pub bitrate_bps: u32,
    pub thermal_uri: Option<String>,
    /// H.265 instead of H.264.
    pub h265: bool,
}

/// What the sim needs to build a vehicle.
#[derive(Clone, Debug)]
pub struct VehicleSetup {
    pub sysid: u8,
    /// Scenario origin: its home, with the ground there.
    pub origin: LatLon,
    pub origin_ground_amsl_m: f64,
    /// Where this vehicle starts, north/east of the origin.
    pub start_ne_m: (f64, f64),
    pub heading_deg: f64,
    pub terrain: Terrain,
    pub airframe: Airframe,
    pub battery_mah: f64,
    pub cells: u8,
    pub seed: u64,
    pub wind: WindSetting,
    pub wind_shear: bool,
    pub params: Vec<(String, f64)>,
    pub mission: Vec<PlannedItem>,
    /// Seconds of sim time before the GPS gets its first fix (SITL takes a few seconds).
    pub gps_lock_s: f64,
    /// The estimator's settling windows (gyro consistency, GPS good before the EKF uses it).
    pub ekf_settle_s: f64,
}

impl VehicleSetup {
    pub fn istres(sysid: u8) -> VehicleSetup {
        VehicleSetup {
            sysid,
            origin: LatLon::new(43.5150, 4.9890),
            origin_ground_amsl_m: 20.0,
            start_ne_m: (0.0, 0.0),
            heading_deg: 0.0,
            terrain: Terrain::Flat { amsl_m: 20.0 },
            airframe: Airframe::default(),
            battery_mah: 5000.0,
            cells: 4,
            seed: 1,
            wind: WindSetting::CALM,
            wind_shear: true,
            params: vec![],
            mission: vec![],
            gps_lock_s: 2.0,
            ekf_settle_s: crate::ekf::DEFAULT_SETTLE_S,
        }
    }
}

/// Counters a test or the status line can read.
#[derive(Clone, Debug, Default)]
pub struct VehicleStats {
    pub commands: u64,
    pub statustexts: u64,
    pub fence_breaches: u64,
}

pub struct Vehicle {
    pub sysid: u8,
    frame: LocalFrame,
    origin_ground_amsl_m: f64,
    terrain: Terrain,
    pub params: ParamTable,
    pub body: Body,
    pub airframe: Airframe,
    pub battery: Battery,
    pub gps: Gps,
    pub wind: WindModel,
    time_s: f64,
    armed: bool,
    mode: Mode,
    home: Option<(LatLon, f64)>,
    gps_lock_s: f64,
    ekf: Ekf,
    // Mode states.
    hold_d: f64,
    hold_ne: (f64, f64),
    guided: Guided,
    rtl: Rtl,
    auto_stage: AutoStage,
    land_hold: Option<(f64, f64)>,
    circle: (f64, f64, f64, f64, f64), // centre n, e, radius, rate rad/s, angle
    roi: Option<LatLon>,
    /// CONDITION_YAW target (rad), until the next mode change.
    yaw_override: Option<f64>,
    speed_override_mps: Option<f64>,
    jump_counts: HashMap<usize, i32>,
    // Lists (index 0 of the mission is home, as on ArduPilot).
    mission: Vec<Item>,
    mission_cur: u16,
    fence_items: Vec<Item>,
    fence_plan: FencePlan,
    rally: Vec<Item>,
    upload: Option<Upload>,
    // Control loops.
    vel_i: V3,
    wind_est: V3,
    wind_est_scale: f64,
    wind_est_bias: V3,
    thrust_scale: f64,
    // Supervision.
    fence_rt: FenceRuntime,
    fs: Failsafes,
    last_gcs_heartbeat_s: Option<f64>,
    ground_since_s: Option<f64>,
    next_check_s: f64,
    /// ArduCopter runs its pre-arm checks at 1 Hz; the result feeds SYS_STATUS.
    next_arming_update_s: f64,
    prearm_ok: bool,
    /// AP_Arming_Copter::update's display counter: failures are shown every 30 s, first at 15 s.
    prearm_display_counter: u8,
    streams: Vec<Stream>,
    param_next: Option<usize>,
    outbox: Vec<MavMessage>,
    pub video: Option<VideoAnnounce>,
    pub stats: VehicleStats,
    rng: ChaCha8Rng,
}

const DEFAULT_STREAMS: &[(u32, f64)] = &[
    (0, 1.0),   // HEARTBEAT
    (1, 2.0),   // SYS_STATUS
    (2, 1.0),   // SYSTEM_TIME
    (24, 2.0),  // GPS_RAW_INT
    (30, 10.0), // ATTITUDE
    (32, 4.0),  // LOCAL_POSITION_NED
    (33, 4.0),  // GLOBAL_POSITION_INT
    (42, 1.0),  // MISSION_CURRENT
    (74, 4.0),  // VFR_HUD
    (147, 1.0), // BATTERY_STATUS
    (162, 1.0), // FENCE_STATUS (only while a fence is enabled)
    (168, 2.0), // WIND
    (193, 1.0), // EKF_STATUS_REPORT
    (242, 0.5), // HOME_POSITION (once home is set)
    (245, 1.0), // EXTENDED_SYS_STATE
];

/// The message ids each REQUEST_DATA_STREAM group covers (ArduPilot's ap_message groups).
fn stream_group(id: u8) -> &'static [u32] {
    match id {
        1 => &[],                            // RAW_SENSORS: not simulated
        2 => &[1, 42, 24, 162],              // EXTENDED_STATUS
        6 => &[33, 32],                      // POSITION
        10 => &[30],                         // EXTRA1
        11 => &[74],                         // EXTRA2
        12 => &[2, 147, 168, 193, 245, 242], // EXTRA3 (+ home for convenience)
        _ => &[],
    }
}

fn text50(s: &str) -> mavlink::types::CharArray<50> {
    let mut b = [0u8; 50];
    let n = s.len().min(50);
    b[..n].copy_from_slice(&s.as_bytes()[..n]);
    b.into()
}

fn name16(s: &str) -> mavlink::types::CharArray<16> {
    let mut b = [0u8; 16];
    let n = s.len().min(16);
    b[..n].copy_from_slice(&s.as_bytes()[..n]);
    b.into()
}

fn param_name(id: &mavlink::types::CharArray<16>) -> String {
    let bytes: &[u8] = &id[..];
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).to_string()
}

fn mav_param_type(t: crate::params::ParamType) -> MavParamType {
    match t {
        crate::params::ParamType::Int8 => MavParamType::MAV_PARAM_TYPE_INT8,
        crate::params::ParamType::Int16 => MavParamType::MAV_PARAM_TYPE_INT16,
        crate::params::ParamType::Int32 => MavParamType::MAV_PARAM_TYPE_INT32,
        crate::params::ParamType::Real32 => MavParamType::MAV_PARAM_TYPE_REAL32,
    }
}

impl Vehicle {
    pub fn new(setup: VehicleSetup) -> Vehicle {
        let frame = LocalFrame::new(setup.origin);
        let mut params = default_table();
        params.set("SYSID_THISMAV", f64::from(setup.sysid));
        params.set("BATT_CAPACITY", setup.battery_mah);
        let cells = f64::from(setup.cells);
        params.set("BATT_LOW_VOLT", 3.5 * cells);
        params.set("BATT_CRT_VOLT", 3.3 * cells);
        let mut seed_rng = ChaCha8Rng::seed_from_u64(
            setup
                .seed
                .wrapping_mul(0x9E37_79B9)
                .wrapping_add(u64::from(setup.sysid)),
        );
        let mut wind = WindModel::new(setup.wind, ChaCha8Rng::seed_from_u64(seed_rng.random()));
        if !setup.wind_shear {
            wind.shear_exponent = 0.0;
        }
        let gps = Gps::new(ChaCha8Rng::seed_from_u64(seed_rng.random()));
        let mut body = Body {
            on_ground: true,
            yaw_rad: wrap_pi(setup.heading_deg.to_radians()),
            ..Body::default()
        };
        let start = frame.to_latlon(setup.start_ne_m.0, setup.start_ne_m.1);
        let ground_amsl = setup.terrain.elevation_m(start);
        body.pos = V3::new(
            setup.start_ne_m.0,
            setup.start_ne_m.1,
            setup.origin_ground_amsl_m - ground_amsl,
        );
        let wind_est_scale = 1.0 + seed_rng.random_range(-0.1..0.1);
        let wind_est_bias = V3::new(
            seed_rng.random_range(-0.4..0.4),
            seed_rng.random_range(-0.4..0.4),
            0.0,
        );
        let mut v = Vehicle {
            sysid: setup.sysid,
            frame,
            origin_ground_amsl_m: setup.origin_ground_amsl_m,
            terrain: setup.terrain,
            params,
            body,
            airframe: setup.airframe,
            battery: Battery::new(setup.battery_mah, setup.cells),
            gps,
            wind,
            time_s: 0.0,
            armed: false,
            mode: Mode::Stabilize,
            home: None,
            gps_lock_s: setup.gps_lock_s,
            ekf: Ekf::new(setup.ekf_settle_s),
            hold_d: 0.0,
            hold_ne: (0.0, 0.0),
            guided: Guided::Hold {
                n: 0.0,
                e: 0.0,
                d: 0.0,
            },
            rtl: Rtl {
                stage: RtlStage::Land,
                target_ne: (0.0, 0.0),
                return_d: 0.0,
            },
            auto_stage: AutoStage::Start,
            land_hold: None,
            circle: (0.0, 0.0, 10.0, 0.35, 0.0),
            roi: None,
            yaw_override: None,
            speed_override_mps: None,
            jump_counts: HashMap::new(),
            mission: vec![],
            mission_cur: 0,
            fence_items: vec![],
            fence_plan: FencePlan::default(),
            rally: vec![],
            upload: None,
            vel_i: V3::ZERO,
            wind_est: V3::ZERO,
            wind_est_scale,
            wind_est_bias,
            thrust_scale: 1.0,
            fence_rt: FenceRuntime::default(),
            fs: Failsafes::default(),
            last_gcs_heartbeat_s: None,
            ground_since_s: Some(0.0),
            next_check_s: 0.0,
            next_arming_update_s: 1.0,
            prearm_ok: false,
            prearm_display_counter: PREARM_DISPLAY_PERIOD / 2,
            streams: DEFAULT_STREAMS
                .iter()
                .map(|(id, hz)| Stream {
                    msg_id: *id,
                    period_s: 1.0 / hz,
                    next_s: 0.0,
                })
                .collect(),
            param_next: None,
            outbox: Vec::with_capacity(64),
            video: None,
            stats: VehicleStats::default(),
            rng: seed_rng,
        };
        for (name, value) in &setup.params {
            v.params.set(name, *value);
            v.apply_param_side_effects(name);
        }
        if !setup.mission.is_empty() {
            v.mission.push(Item::nav(
                MavCmd::MAV_CMD_NAV_WAYPOINT,
                start,
                ground_amsl as f32,
                0.0,
            ));
            for p in &setup.mission {
                let (cmd, at) = match p.kind {
                    ItemKind::Takeoff => (MavCmd::MAV_CMD_NAV_TAKEOFF, LatLon::new(0.0, 0.0)),
                    ItemKind::Waypoint => (MavCmd::MAV_CMD_NAV_WAYPOINT, p.at),
                    ItemKind::LoiterTime => (MavCmd::MAV_CMD_NAV_LOITER_TIME, p.at),
                    ItemKind::Land => (MavCmd::MAV_CMD_NAV_LAND, p.at),
                    ItemKind::Rtl => (MavCmd::MAV_CMD_NAV_RETURN_TO_LAUNCH, LatLon::new(0.0, 0.0)),
                    ItemKind::Roi => (MavCmd::MAV_CMD_DO_SET_ROI_LOCATION, p.at),
                };
                v.mission
                    .push(Item::nav(cmd, at, p.alt_rel_m as f32, p.param1 as f32));
            }
            v.mission_cur = 1;
            v.params.set("MIS_TOTAL", v.mission.len() as f64);
        }
        v
    }

    // ---------------------------------------------------------------- accessors

    pub fn time_s(&self) -> f64 {
        self.time_s
    }
    pub fn armed(&self) -> bool {
        self.armed
    }
    pub fn mode(&self) -> Mode {
        self.mode
    }
    pub fn position(&self) -> LatLon {
        self.frame.to_latlon(self.body.pos.n, self.body.pos.e)
    }
    pub fn alt_amsl_m(&self) -> f64 {
        self.origin_ground_amsl_m - self.body.pos.d
    }
    fn home_alt_amsl(&self) -> f64 {
        self.home.map_or(self.origin_ground_amsl_m, |h| h.1)
    }
    pub fn alt_rel_home_m(&self) -> f64 {
        self.alt_amsl_m() - self.home_alt_amsl()
    }
    pub fn home(&self) -> Option<LatLon> {
        self.home.map(|h| h.0)
    }
    pub fn on_ground(&self) -> bool {
        self.body.on_ground
    }
    pub fn fence_breached(&self) -> u8 {
        self.fence_rt.breached
    }
    pub fn mission_len(&self) -> usize {
        self.mission.len()
    }
    pub fn fence_plan(&self) -> &FencePlan {
        &self.fence_plan
    }
    /// The vehicle's own wind estimate as WIND reports it: (from_deg, speed m/s).
    pub fn wind_estimate(&self) -> (f64, f64) {
        let w = self.wind_est * self.wind_est_scale
            + if self.body.on_ground {
                V3::ZERO
            } else {
                self.wind_est_bias
            };
        let speed = w.norm_h();
        (wrap_360((-w.e).atan2(-w.n).to_degrees()), speed)
    }
    pub fn ground_amsl_here(&self) -> f64 {
        self.terrain.elevation_m(self.position())
    }
    fn ground_d_here(&self) -> f64 {
        self.origin_ground_amsl_m - self.ground_amsl_here()
    }
    fn d_for_alt_rel(&self, alt_rel: f64) -> f64 {
        self.origin_ground_amsl_m - (self.home_alt_amsl() + alt_rel)
    }
    /// Copter's `position_ok()`: the EKF has an absolute position (it uses the GPS).
    fn has_position(&self) -> bool {
        self.ekf.has_position()
    }
    /// The receiver has a 3D fix (what GPS_RAW_INT and SYS_STATUS report).
    fn gps_fix(&self) -> bool {
        self.gps.has_3d_fix() && self.time_s >= self.gps_lock_s
    }
    /// The estimator, for tests and the status line.
    pub fn ekf(&self) -> &Ekf {
        &self.ekf
    }
    /// The last 1 Hz pre-arm verdict, as SYS_STATUS reports it (true when armed).
    pub fn prearm_ok(&self) -> bool {
        self.armed || self.prearm_ok
    }
    fn p(&self, name: &str, default: f64) -> f64 {
        self.params.get_or(name, default)
    }

    /// Takes every message queued for the link.
    pub fn drain(&mut self) -> std::vec::Drain<'_, MavMessage> {
        self.outbox.drain(..)
    }

    pub fn status_line(&self) -> String {
        let p = self.position();
        format!(
            "vehicle {} t={:.1}s mode={} armed={} lat={:.6} lon={:.6} alt_rel={:.1}m gs={:.1}m/s batt={:.2}V {:.0}% gps={} wind={:.1}m/s wind_from={:.0}deg fence_breach={} ekf={} prearm={}",
            self.sysid,
            self.time_s,
            self.mode.name(),
            self.armed,
            p.lat_deg,
            p.lon_deg,
            self.alt_rel_home_m(),
            self.body.vel.norm_h(),
            self.battery.voltage_v,
            self.battery.remaining_pct(),
            if self.gps.lost { "lost" } else { "3D" },
            self.wind.speed_10m_mps(),
            self.wind.setting.from_deg,
            self.fence_rt.breached,
            match self.ekf.aiding() {
                _ if !self.ekf.initialised() => "starting",
                crate::ekf::Aiding::Gps => "gps",
                crate::ekf::Aiding::Lost { .. } => "lost",
                crate::ekf::Aiding::ConstPos => "const_pos",
            },
            if self.prearm_ok() { "ok" } else { "fail" }
        )
    }

    fn text(&mut self, severity: MavSeverity, s: &str) {
        self.stats.statustexts += 1;
        tracing::info!(sysid = self.sysid, "STATUSTEXT {s}");
        self.outbox.push(MavMessage::STATUSTEXT(STATUSTEXT_DATA {
            severity,
            text: text50(s),
            ..Default::default()
        }));
    }

    // ---------------------------------------------------------------- faults

    /// Applies a vehicle-side fault (link and video faults belong to the transport).
    pub fn inject(&mut self, fault: &Fault) {
        match fault {
            Fault::GpsLoss => self.gps.lost = true,
            Fault::GpsRestore => self.gps.lost = false,
            Fault::BatteryDrop { percent } => self.battery.drop_pct(*percent),
            Fault::Gust {
                peak_kmh,
                duration_s,
            } => self.wind.force_gust(peak_kmh / 3.6, *duration_s),
            Fault::Wind {
                from_deg,
                speed_kmh,
                gust_kmh,
            } => self.set_wind(WindSetting {
                from_deg: wrap_360(*from_deg),
                mean_mps: speed_kmh / 3.6,
                gust_mps: gust_kmh / 3.6,
                turbulence: self.wind.setting.turbulence,
            }),
            Fault::MotorWeak { percent } => self.thrust_scale = 1.0 - percent / 100.0,
            Fault::Clear => {
                self.gps.lost = false;
                self.thrust_scale = 1.0;
            }
            Fault::LinkLoss { .. }
            | Fault::Latency { .. }
            | Fault::VideoLoss
            | Fault::VideoRestore => {}
        }
    }

    /// Undoes a timed fault.
    pub fn revert(&mut self, fault: &Fault) {
        match fault {
            Fault::GpsLoss => self.gps.lost = false,
            Fault::MotorWeak { .. } => self.thrust_scale = 1.0,
            _ => {}
        }
    }

    pub fn set_wind(&mut self, w: WindSetting) {
        self.wind.setting = w;
    }

    // ---------------------------------------------------------------- simulation step

    /// Advances the vehicle by `dt` seconds of sim time.
    pub fn step(&mut self, dt: f64) {
        self.time_s += dt;
        self.wind.step(dt);
        self.gps.step(dt);
        let fix = self.gps_fix();
        for event in self.ekf.step(self.time_s, fix) {
            self.on_ekf_event(event);
        }

        let demand = self.autopilot(dt);
        let ground_d = self.ground_d_here();
        let height = self.body.height_above(ground_d);
        let air = self.wind.air_velocity_ned(height);
        let was_on_ground = self.body.on_ground;
        self.body.step(
            dt,
            &demand,
            air,
            &self.airframe,
            ground_d,
            self.thrust_scale,
        );
        let airspeed = (self.body.vel - air).norm_h();
        let motor_a = if demand.motors_on {
            // Weak motors work harder for the same thrust.
            motor_current_a(
                &self.airframe,
                self.body.thrust_ratio,
                airspeed,
                self.battery.voltage_v,
            ) / self.thrust_scale.max(0.3)
        } else {
            0.0
        };
        self.battery
            .step(dt, motor_a + self.airframe.avionics_current_a);

        // The vehicle's wind estimate: only observable in flight (drag model), low-pass filtered.
        if self.body.on_ground {
            self.wind_est = self.wind_est * (1.0 - dt / 20.0).max(0.0);
        } else {
            let k = (dt / 8.0).min(1.0);
            self.wind_est = self.wind_est + (air.horizontal() - self.wind_est) * k;
        }

        if self.body.on_ground && !was_on_ground {
            self.ground_since_s = Some(self.time_s);
            self.vel_i = V3::ZERO;
        } else if !self.body.on_ground {
            self.ground_since_s = None;
        }
        self.landing_and_disarm();

        if self.time_s >= self.next_check_s {
            self.next_check_s = self.time_s + 0.1;
            self.check_fence();
            self.check_failsafes();
        }
        if self.time_s >= self.next_arming_update_s {
            self.next_arming_update_s += 1.0;
            self.update_arming();
        }
        self.send_streams();
    }

    /// ArduPilot's texts for what the estimator does, in the order SITL prints them.
    fn on_ekf_event(&mut self, event: EkfEvent) {
        let info = MavSeverity::MAV_SEVERITY_INFO;
        match event {
            EkfEvent::Initialised => {
                self.text(info, "EKF3 IMU0 initialised");
                self.text(info, "EKF3 IMU1 initialised");
                self.text(info, "AHRS: EKF3 active");
                self.text(info, "EKF3 IMU0 tilt alignment complete");
                self.text(info, "EKF3 IMU1 tilt alignment complete");
                self.text(info, "EKF3 IMU0 MAG0 initial yaw alignment complete");
                self.text(info, "EKF3 IMU1 MAG0 initial yaw alignment complete");
            }
            EkfEvent::GpsDetected => self.text(info, "GPS 1: detected u-blox"),
            EkfEvent::OriginSet => {
                self.text(info, "EKF3 IMU0 origin set");
                self.text(info, "EKF3 IMU1 origin set");
                // Copter sets home from the EKF as soon as it has an origin.
                if self.home.is_none() {
                    let start = self.position();
                    let alt = self.alt_amsl_m();
                    self.home = Some((start, alt));
                    self.hold_ne = (self.body.pos.n, self.body.pos.e);
                    if let Some(first) = self.mission.first_mut() {
                        first.x = start.lat_e7();
                        first.y = start.lon_e7();
                        first.z = alt as f32;
                    }
                    self.text(info, &format!("Field Elevation Set: {alt:.0}m"));
                }
            }
            EkfEvent::UsingGps => {
                self.text(info, "EKF3 IMU0 is using GPS");
                self.text(info, "EKF3 IMU1 is using GPS");
            }
            EkfEvent::StoppedAiding => {
                self.text(
                    MavSeverity::MAV_SEVERITY_WARNING,
                    "EKF3 IMU0 stopped aiding",
                );
                self.text(
                    MavSeverity::MAV_SEVERITY_WARNING,
                    "EKF3 IMU1 stopped aiding",
                );
            }
        }
    }

    /// AP_Arming_Copter::update (1 Hz): refresh the pre-arm verdict, show failures every 30 s.
    fn update_arming(&mut self) {
        if self.armed {
            self.prearm_ok = true;
            return;
        }
        let failures = self.prearm_failures();
        self.prearm_ok = failures.is_empty();
        self.prearm_display_counter = self.prearm_display_counter.saturating_add(1);
        if self.prearm_display_counter >= PREARM_DISPLAY_PERIOD {
            self.prearm_display_counter = 0;
            for why in failures {
                self.text(
                    MavSeverity::MAV_SEVERITY_CRITICAL,
                    &format!("PreArm: {why}"),
                );
            }
        }
    }

    fn landing_and_disarm(&mut self) {
        let Some(since) = self.ground_since_s else {
            return;
        };
        if !self.armed {
            return;
        }
        let landing = match self.mode {
            Mode::Land => true,
            Mode::Rtl => self.rtl.stage == RtlStage::Land,
            Mode::Auto => matches!(
                self.auto_stage,
                AutoStage::LandAt {
                    descending: true,
                    ..
                } | AutoStage::Rtl
                    | AutoStage::Done { .. }
            ),
            _ => false,
        };
        let on_ground_for = self.time_s - since;
        if landing && on_ground_for > 1.0 {
            self.disarm("Land complete");
            return;
        }
        let delay = self.p("DISARM_DELAY", 10.0);
        let idle = match self.mode {
            Mode::Guided => !matches!(self.guided, Guided::Takeoff { .. }),
            Mode::Auto => false,
            _ => true,
        };
        if delay > 0.0 && idle && on_ground_for > delay {
            self.disarm("Auto disarm");
        }
    }

    fn disarm(&mut self, why: &str) {
        if !self.armed {
            return;
        }
        self.armed = false;
        tracing::info!(sysid = self.sysid, "disarmed: {why}");
        self.text(MavSeverity::MAV_SEVERITY_INFO, "Disarming motors");
        if self.mode == Mode::Auto {
            self.auto_stage = AutoStage::Start;
        }
    }

    // ---------------------------------------------------------------- control

    fn yaw_towards(&self, n: f64, e: f64) -> f64 {
        let (dn, de) = (n - self.body.pos.n, e - self.body.pos.e);
        if dn.hypot(de) < 2.0 {
            self.body.yaw_rad
        } else {
            de.atan2(dn)
        }
    }

    fn desired_yaw(&self, target: Option<(f64, f64)>) -> f64 {
        if let Some(roi) = self.roi {
            let (n, e) = self.frame.to_ne(roi);
            return self.yaw_towards(n, e);
        }
        if let Some(y) = self.yaw_override {
            return y;
        }
        match target {
            Some((n, e)) if self.p("WP_YAW_BEHAVIOR", 2.0) != 0.0 => self.yaw_towards(n, e),
            _ => self.body.yaw_rad,
        }
    }

    fn wp_speed(&self) -> f64 {
        self.speed_override_mps
            .unwrap_or(self.p("WPNAV_SPEED", 1000.0) / 100.0)
            .clamp(0.2, 30.0)
    }

    fn vd_to(&self, target_d: f64, up: f64, dn: f64) -> f64 {
        ((target_d - self.body.pos.d) * 1.0).clamp(-up.abs(), dn.abs())
    }

    // Bounded below: a negative speed parameter from a GCS must not invert (or panic) the loops.
    fn speed_up(&self) -> f64 {
        (self.p("WPNAV_SPEED_UP", 250.0) / 100.0).max(0.1)
    }
    fn speed_dn(&self) -> f64 {
        (self.p("WPNAV_SPEED_DN", 150.0) / 100.0).max(0.1)
    }

    /// Horizontal velocity to reach (n, e) and stop there, at most `speed`.
    fn pos_to_vel(&self, n: f64, e: f64, speed: f64) -> V3 {
        let err = V3::new(n - self.body.pos.n, e - self.body.pos.e, 0.0);
        let dist = err.norm_h();
        if dist < 1e-3 {
            return V3::ZERO;
        }
        let accel = (self.p("WPNAV_ACCEL", 250.0) / 100.0).max(0.5);
        let s = speed
            .min((2.0 * accel * dist).sqrt())
            .min(dist * self.p("PSC_POSXY_P", 1.0).max(0.1));
        err * (s / dist)
    }

    /// Velocity loop: P + I + a drag feed-forward computed with the vehicle's own wind estimate.
    fn vel_to_accel(&mut self, v_des: V3, dt: f64) -> V3 {
        let v = self.body.vel.horizontal();
        let err = v_des.horizontal() - v;
        self.vel_i = (self.vel_i + err * (dt * 0.5)).limit_h(4.0);
        let air = v - self.wind_est;
        let ff = air * (self.airframe.drag_k_per_m * air.norm_h());
        err * 2.0 + self.vel_i + ff
    }

    fn landing_speed(&self) -> f64 {
        let h = self.body.height_above(self.ground_d_here());
        let low_alt = self.p("LAND_ALT_LOW", 1000.0) / 100.0;
        let high = self.p("LAND_SPEED_HIGH", 0.0);
        let high = if high > 0.0 {
            high / 100.0
        } else {
            self.speed_dn()
        };
        if h > low_alt {
            high
        } else {
            self.p("LAND_SPEED", 50.0).max(30.0) / 100.0
        }
    }

    /// The autopilot: from the mode state to a demand for the body.
    fn autopilot(&mut self, dt: f64) -> Demand {
        if !self.armed {
            return Demand {
                motors_on: false,
                yaw_rad: self.body.yaw_rad,
                ..Demand::default()
            };
        }
        let hold_level = |vd: f64, yaw: f64| (None::<V3>, vd, yaw);
        let (v_des, vel_d, yaw): (Option<V3>, f64, f64) = match self.mode {
            Mode::Stabilize | Mode::AltHold => {
                let vd = if self.body.on_ground {
                    0.0
                } else {
                    self.vd_to(self.hold_d, self.speed_up(), self.speed_dn())
                };
                hold_level(vd, self.body.yaw_rad)
            }
            Mode::Loiter | Mode::PosHold | Mode::Brake => {
                if !self.has_position() {
                    hold_level(
                        self.vd_to(self.hold_d, self.speed_up(), self.speed_dn()),
                        self.body.yaw_rad,
                    )
                } else {
                    let v = self.pos_to_vel(
                        self.hold_ne.0,
                        self.hold_ne.1,
                        self.p("LOIT_SPEED", 1250.0) / 100.0,
                    );
                    let vd = if self.body.on_ground {
                        0.0
                    } else {
                        self.vd_to(self.hold_d, self.speed_up(), self.speed_dn())
                    };
                    (Some(v), vd, self.desired_yaw(None))
                }
            }
            Mode::Guided => self.guided_goal(),
            Mode::Rtl => self.rtl_goal(),
            Mode::Land => {
                let vd = self.landing_speed();
                let v = match self.land_hold {
                    Some((n, e)) if self.has_position() => Some(self.pos_to_vel(n, e, 2.0)),
                    _ => None,
                };
                (v, vd, self.body.yaw_rad)
            }
            Mode::Circle => {
                let (cn, ce, r, rate, angle) = self.circle;
                let angle = angle + rate * dt;
                self.circle.4 = angle;
                let (n, e) = (cn + r * angle.cos(), ce + r * angle.sin());
                let tangential = V3::new(-angle.sin(), angle.cos(), 0.0) * (r * rate);
                let v = self.pos_to_vel(n, e, self.wp_speed()) + tangential;
                let vd = self.vd_to(self.hold_d, self.speed_up(), self.speed_dn());
                (
                    Some(v.limit_h(self.wp_speed())),
                    vd,
                    self.yaw_towards(cn, ce),
                )
            }
            Mode::Auto => self.auto_goal(),
        };
        // ANGLE_MAX (centidegrees) bounds the tilt, hence the horizontal acceleration.
        let max_tilt = (self.p("ANGLE_MAX", 3000.0) / 100.0)
            .clamp(10.0, 80.0)
            .to_radians();
        let accel_h = match v_des {
            Some(v) if !self.body.on_ground => self
                .vel_to_accel(v, dt)
                .limit_h(GRAVITY_MSS * max_tilt.tan()),
            _ => {
                self.vel_i = V3::ZERO;
                V3::ZERO
            }
        };
        Demand {
            accel_h,
            vel_d,
            yaw_rad: yaw,
            motors_on: true,
        }
    }

    fn guided_goal(&mut self) -> (Option<V3>, f64, f64) {
        match self.guided {
            Guided::Hold { n, e, d } => {
                if self.body.on_ground {
                    return (None, 0.0, self.body.yaw_rad);
                }
                (
                    Some(self.pos_to_vel(n, e, self.wp_speed())),
                    self.vd_to(d, self.speed_up(), self.speed_dn()),
                    self.desired_yaw(None),
                )
            }
            Guided::Takeoff { n, e, d } => {
                let vd = self
                    .vd_to(d, self.speed_up(), self.speed_dn())
                    .min(-0.1_f64.min(d - self.body.pos.d));
                if (self.body.pos.d - d).abs() < 0.3 {
                    self.guided = Guided::Hold { n, e, d };
                }
                (Some(self.pos_to_vel(n, e, 2.0)), vd, self.body.yaw_rad)
            }
            Guided::Goto { n, e, d, speed } => {
                if self.body.on_ground {
                    return (None, 0.0, self.body.yaw_rad);
                }
                (
                    Some(self.pos_to_vel(n, e, speed)),
                    self.vd_to(d, self.speed_up(), self.speed_dn()),
                    self.desired_yaw(Some((n, e))),
                )
            }
            Guided::Velocity { v, until_s } => {
                if self.time_s > until_s {
                    // GUID_TIMEOUT: no new velocity target, stop and hold.
                    self.guided = Guided::Hold {
                        n: self.body.pos.n,
                        e: self.body.pos.e,
                        d: self.body.pos.d,
                    };
                }
                if self.body.on_ground && v.d >= 0.0 {
                    return (None, 0.0, self.body.yaw_rad);
                }
                (
                    Some(v),
                    v.d.clamp(-self.speed_up(), self.speed_dn()),
                    self.desired_yaw(None),
                )
            }
        }
    }

    fn start_rtl_state(&mut self) {
        let (tn, te) = self.rtl_target();
        let rtl_alt = self.p("RTL_ALT", 1500.0) / 100.0;
        let mut ret_alt = rtl_alt.max(self.alt_rel_home_m());
        // Never climb into the altitude fence (ArduCopter caps the return altitude).
        if self.fence_cfg().enabled && self.fence_cfg().types & fence::TYPE_ALT_MAX != 0 {
            ret_alt =
                ret_alt.min(self.p("FENCE_ALT_MAX", 100.0) - self.p("FENCE_MARGIN", 2.0) * 2.0);
        }
        let dist = (tn - self.body.pos.n).hypot(te - self.body.pos.e);
        let stage = if dist < self.p("WPNAV_RADIUS", 200.0) / 100.0
            && self.alt_rel_home_m() >= ret_alt - 1.0
        {
            RtlStage::Loiter {
                until_s: self.time_s + self.p("RTL_LOIT_TIME", 5000.0) / 1000.0,
            }
        } else {
            RtlStage::Climb
        };
        self.rtl = Rtl {
            stage,
            target_ne: (tn, te),
            return_d: self.d_for_alt_rel(ret_alt),
        };
    }

    /// Home or the nearest rally point.
    fn rtl_target(&self) -> (f64, f64) {
        let here = self.position();
        let home = self.home.map_or((0.0, 0.0), |(h, _)| self.frame.to_ne(h));
        let mut best = home;
        let mut best_d = self
            .home
            .map_or(f64::INFINITY, |(h, _)| distance_m(here, h));
        for r in &self.rally {
            let d = distance_m(here, r.latlon());
            if d < best_d {
                best_d = d;
                best = self.frame.to_ne(r.latlon());
            }
        }
        best
    }

    fn rtl_goal(&mut self) -> (Option<V3>, f64, f64) {
        let (tn, te) = self.rtl.target_ne;
        let speed = {
            let s = self.p("RTL_SPEED", 0.0);
            if s > 0.0 { s / 100.0 } else { self.wp_speed() }
        };
        match self.rtl.stage {
            RtlStage::Climb => {
                if self.body.pos.d <= self.rtl.return_d + 0.5 {
                    self.rtl.stage = RtlStage::Return;
                }
                let hold = self.pos_to_vel(self.body.pos.n, self.body.pos.e, 0.0);
                (
                    Some(hold),
                    self.vd_to(self.rtl.return_d, self.speed_up(), self.speed_dn()),
                    self.body.yaw_rad,
                )
            }
            RtlStage::Return => {
                let dist = (tn - self.body.pos.n).hypot(te - self.body.pos.e);
                if dist < self.p("WPNAV_RADIUS", 200.0) / 100.0 {
                    self.rtl.stage = RtlStage::Loiter {
                        until_s: self.time_s + self.p("RTL_LOIT_TIME", 5000.0) / 1000.0,
                    };
                }
                let yaw = self.yaw_towards(tn, te);
                (
                    Some(self.pos_to_vel(tn, te, speed)),
                    self.vd_to(self.rtl.return_d, self.speed_up(), self.speed_dn()),
                    yaw,
                )
            }
            RtlStage::Loiter { until_s } => {
                if self.time_s >= until_s {
                    self.rtl.stage = RtlStage::Land;
                }
                (
                    Some(self.pos_to_vel(tn, te, speed)),
                    self.vd_to(self.rtl.return_d, self.speed_up(), self.speed_dn()),
                    self.body.yaw_rad,
                )
            }
            RtlStage::Land => {
                let final_alt = self.p("RTL_ALT_FINAL", 0.0) / 100.0;
                let vd = if final_alt > 0.0 {
                    self.vd_to(
                        self.d_for_alt_rel(final_alt),
                        self.speed_up(),
                        self.speed_dn(),
                    )
                } else {
                    self.landing_speed()
                };
                (Some(self.pos_to_vel(tn, te, 2.0)), vd, self.body.yaw_rad)
            }
        }
    }

    fn item_target(&self, it: &Item) -> (f64, f64, f64) {
        let (n, e) = if it.x == 0 && it.y == 0 {
            (self.body.pos.n, self.body.pos.e)
        } else {
            self.frame.to_ne(it.latlon())
        };
        let alt = f64::from(it.z);
        let d = match it.frame {
            MavFrame::MAV_FRAME_GLOBAL | MavFrame::MAV_FRAME_GLOBAL_INT => {
                self.origin_ground_amsl_m - alt
            }
            MavFrame::MAV_FRAME_GLOBAL_TERRAIN_ALT | MavFrame::MAV_FRAME_GLOBAL_TERRAIN_ALT_INT => {
                self.origin_ground_amsl_m
                    - (self.terrain.elevation_m(self.frame.to_latlon(n, e)) + alt)
            }
            _ => self.d_for_alt_rel(alt),
        };
        (n, e, d)
    }

    fn mission_reached(&mut self, seq: u16) {
        self.outbox.push(MavMessage::MISSION_ITEM_REACHED(
            MISSION_ITEM_REACHED_DATA { seq },
        ));
    }

    fn set_mission_current(&mut self, seq: u16) {
        self.mission_cur = seq;
        self.auto_stage = AutoStage::Start;
        self.send_mission_current();
    }

    fn advance_mission(&mut self) {
        let next = self.mission_cur.saturating_add(1);
        if usize::from(next) >= self.mission.len() {
            let (n, e, d) = (self.body.pos.n, self.body.pos.e, self.body.pos.d);
            self.auto_stage = AutoStage::Done { n, e, d };
            self.text(MavSeverity::MAV_SEVERITY_INFO, "Mission complete");
            return;
        }
        self.set_mission_current(next);
    }

    fn auto_goal(&mut self) -> (Option<V3>, f64, f64) {
        // Run non-navigation items at once (at most a few per step, so a DO_JUMP loop cannot hang).
        for _ in 0..16 {
            if self.auto_stage != AutoStage::Start {
                break;
            }
            let idx = usize::from(self.mission_cur);
            let Some(it) = self.mission.get(idx).cloned() else {
                let (n, e, d) = (self.body.pos.n, self.body.pos.e, self.body.pos.d);
                self.auto_stage = AutoStage::Done { n, e, d };
                break;
            };
            let (n, e, d) = self.item_target(&it);
            self.auto_stage = match it.command {
                MavCmd::MAV_CMD_NAV_TAKEOFF => {
                    let d = self.d_for_alt_rel(f64::from(it.z).max(1.0));
                    AutoStage::Takeoff {
                        d: d.min(self.body.pos.d),
                    }
                }
                MavCmd::MAV_CMD_NAV_WAYPOINT
                | MavCmd::MAV_CMD_NAV_LOITER_UNLIM
                | MavCmd::MAV_CMD_NAV_LOITER_TIME
                | MavCmd::MAV_CMD_NAV_LOITER_TURNS => AutoStage::Fly {
                    n,
                    e,
                    d,
                    agl: matches!(
                        it.frame,
                        MavFrame::MAV_FRAME_GLOBAL_TERRAIN_ALT
                            | MavFrame::MAV_FRAME_GLOBAL_TERRAIN_ALT_INT
                    )
                    .then_some(f64::from(it.z)),
                },
                MavCmd::MAV_CMD_NAV_LAND => AutoStage::LandAt {
                    n,
                    e,
                    descending: it.x == 0 && it.y == 0,
                },
                MavCmd::MAV_CMD_NAV_RETURN_TO_LAUNCH => {
                    self.start_rtl_state();
                    AutoStage::Rtl
                }
                MavCmd::MAV_CMD_NAV_DELAY | MavCmd::MAV_CMD_CONDITION_DELAY => AutoStage::Delay {
                    until_s: self.time_s + f64::from(it.param1.max(0.0)),
                },
                MavCmd::MAV_CMD_DO_SET_ROI_LOCATION | MavCmd::MAV_CMD_DO_SET_ROI => {
                    self.roi = if it.x == 0 && it.y == 0 {
                        None
                    } else {
                        Some(it.latlon())
                    };
                    self.advance_mission();
                    AutoStage::Start
                }
                MavCmd::MAV_CMD_DO_SET_ROI_NONE => {
                    self.roi = None;
                    self.advance_mission();
                    AutoStage::Start
                }
                MavCmd::MAV_CMD_DO_CHANGE_SPEED => {
                    if it.param2 > 0.0 {
                        self.speed_override_mps = Some(f64::from(it.param2));
                    }
                    self.advance_mission();
                    AutoStage::Start
                }
                MavCmd::MAV_CMD_DO_JUMP => {
                    let target = it.param1.max(1.0) as u16;
                    let repeat = it.param2 as i32;
                    let done = self.jump_counts.entry(idx).or_insert(0);
                    if repeat < 0 || *done < repeat {
                        *done += 1;
                        self.set_mission_current(
                            target.min(self.mission.len().saturating_sub(1) as u16),
                        );
                    } else {
                        self.advance_mission();
                    }
                    AutoStage::Start
                }
                _ => {
                    // Unsupported DO_ / CONDITION_ items are skipped, as ArduCopter does with ones it ignores.
                    self.advance_mission();
                    AutoStage::Start
                }
            };
            if matches!(self.auto_stage, AutoStage::Done { .. }) {
                break;
            }
        }

        let radius = self.p("WPNAV_RADIUS", 200.0) / 100.0;
        let seq = self.mission_cur;
        let item = self.mission.get(usize::from(seq)).cloned();
        match self.auto_stage {
            AutoStage::Start => (None, 0.0, self.body.yaw_rad),
            AutoStage::Takeoff { d } => {
                if self.body.pos.d <= d + 0.3 {
                    self.mission_reached(seq);
                    self.advance_mission();
                }
                let vd = self
                    .vd_to(d, self.speed_up(), self.speed_dn())
                    .min(-0.1_f64.min(d - self.body.pos.d));
                (Some(V3::ZERO), vd, self.body.yaw_rad)
            }
            AutoStage::Fly { n, e, d, agl } => {
                if self.body.on_ground {
                    // A waypoint while landed: take off vertically to its altitude first.
                    return (None, -self.speed_up(), self.body.yaw_rad);
                }
                let dist = (n - self.body.pos.n).hypot(e - self.body.pos.e);
                if dist < radius && (self.body.pos.d - d).abs() < 1.5 {
                    self.mission_reached(seq);
                    let Some(it) = item else {
                        return (None, 0.0, self.body.yaw_rad);
                    };
                    self.auto_stage = match it.command {
                        MavCmd::MAV_CMD_NAV_LOITER_UNLIM => AutoStage::Hold {
                            n,
                            e,
                            d,
                            until_s: f64::INFINITY,
                        },
                        MavCmd::MAV_CMD_NAV_LOITER_TURNS => {
                            let r = if it.param3.abs() > 0.5 {
                                f64::from(it.param3.abs())
                            } else {
                                self.p("CIRCLE_RADIUS", 1000.0) / 100.0
                            };
                            AutoStage::Circle {
                                cn: n,
                                ce: e,
                                d,
                                radius: r,
                                angle_left: f64::from(it.param1.max(0.0)) * std::f64::consts::TAU,
                            }
                        }
                        _ => AutoStage::Hold {
                            n,
                            e,
                            d,
                            until_s: self.time_s + f64::from(it.param1.max(0.0)),
                        },
                    };
                }
                let mut speed = self.wp_speed();
                // Following the terrain: the height over the highest ground just ahead (the
                // next 3 s of the leg), the end point's once there. Where the ground climbs or
                // falls faster than the vehicle may climb or descend at this speed, it slows
                // down (as ArduCopter's terrain following does) instead of lagging the terrain.
                let d_now = match agl {
                    Some(h) if dist > radius => {
                        let ahead = (speed * 3.0).min(dist);
                        let (un, ue) = ((n - self.body.pos.n) / dist, (e - self.body.pos.e) / dist);
                        let ground_at = |k: f64| {
                            let p = self.frame.to_latlon(
                                self.body.pos.n + un * ahead * k,
                                self.body.pos.e + ue * ahead * k,
                            );
                            self.terrain.elevation_m(p)
                        };
                        let (g0, g1) = (ground_at(0.0), ground_at(1.0));
                        let ground = [g0, ground_at(0.5), g1]
                            .into_iter()
                            .fold(f64::NEG_INFINITY, f64::max);
                        if ahead > 1.0 {
                            // Vertical rate the slope asks for at this speed, and the error
                            // already there (too high over falling ground, too low over rising).
                            let slope = (g1 - g0) / ahead;
                            let agl_now = self.origin_ground_amsl_m - self.body.pos.d - g0;
                            let limit = if slope > 0.0 {
                                self.speed_up()
                            } else {
                                self.speed_dn()
                            };
                            if slope.abs() * speed > limit {
                                speed = (limit / slope.abs()).max(1.0);
                            }
                            if (agl_now - h).abs() > 10.0 {
                                speed = speed.min(2.0);
                            }
                        }
                        self.origin_ground_amsl_m - (ground + h)
                    }
                    _ => d,
                };
                (
                    Some(self.pos_to_vel(n, e, speed)),
                    self.vd_to(d_now, self.speed_up(), self.speed_dn()),
                    self.desired_yaw(Some((n, e))),
                )
            }
            AutoStage::Hold { n, e, d, until_s } => {
                if self.time_s >= until_s {
                    self.advance_mission();
                }
                (
                    Some(self.pos_to_vel(n, e, self.wp_speed())),
                    self.vd_to(d, self.speed_up(), self.speed_dn()),
                    self.desired_yaw(None),
                )
            }
            AutoStage::Circle {
                cn,
                ce,
                d,
                radius: r,
                angle_left,
            } => {
                let rate = (self.wp_speed().min(5.0) / r.max(1.0)).min(1.0);
                let angle = (self.body.pos.e - ce).atan2(self.body.pos.n - cn) + rate * 0.5;
                let left = angle_left - rate * (1.0 / 400.0_f64).max(0.0025);
                self.auto_stage = AutoStage::Circle {
                    cn,
                    ce,
                    d,
                    radius: r,
                    angle_left: left,
                };
                if left <= 0.0 {
                    self.advance_mission();
                }
                let (n, e) = (cn + r * angle.cos(), ce + r * angle.sin());
                (
                    Some(self.pos_to_vel(n, e, self.wp_speed())),
                    self.vd_to(d, self.speed_up(), self.speed_dn()),
                    self.yaw_towards(cn, ce),
                )
            }
            AutoStage::LandAt { n, e, descending } => {
                let dist = (n - self.body.pos.n).hypot(e - self.body.pos.e);
                if !descending && dist < radius {
                    self.auto_stage = AutoStage::LandAt {
                        n,
                        e,
                        descending: true,
                    };
                }
                if descending {
                    (
                        Some(self.pos_to_vel(n, e, 2.0)),
                        self.landing_speed(),
                        self.body.yaw_rad,
                    )
                } else {
                    (
                        Some(self.pos_to_vel(n, e, self.wp_speed())),
                        0.0,
                        self.yaw_towards(n, e),
                    )
                }
            }
            AutoStage::Rtl => self.rtl_goal(),
            AutoStage::Delay { until_s } => {
                if self.time_s >= until_s {
                    self.advance_mission();
                }
                (
                    Some(V3::ZERO),
                    if self.body.on_ground {
                        0.0
                    } else {
                        self.vd_to(self.body.pos.d, 1.0, 1.0)
                    },
                    self.body.yaw_rad,
                )
            }
            AutoStage::Done { n, e, d } => {
                if self.body.on_ground {
                    (None, 0.0, self.body.yaw_rad)
                } else {
                    (
                        Some(self.pos_to_vel(n, e, self.wp_speed())),
                        self.vd_to(d, self.speed_up(), self.speed_dn()),
                        self.body.yaw_rad,
                    )
                }
            }
        }
    }

    // ---------------------------------------------------------------- modes

    /// Changes mode like ArduCopter's set_mode: false (and a STATUSTEXT) when refused.
    pub fn set_mode(&mut self, mode: Mode) -> bool {
        if mode.needs_position() && !self.has_position() {
            self.text(
                MavSeverity::MAV_SEVERITY_WARNING,
                &format!("Mode change to {} failed: requires position", mode.name()),
            );
            return false;
        }
        if mode == Mode::Auto {
            if self.mission.len() < 2 {
                self.text(
                    MavSeverity::MAV_SEVERITY_WARNING,
                    "Mode change to AUTO failed: no mission",
                );
                return false;
            }
            let first_nav = self
                .mission
                .iter()
                .skip(usize::from(self.mission_cur.max(1)))
                .find(|i| i.cmd_id() <= 95);
            if self.armed
                && self.body.on_ground
                && first_nav.is_some_and(|i| i.command != MavCmd::MAV_CMD_NAV_TAKEOFF)
            {
                self.text(
                    MavSeverity::MAV_SEVERITY_CRITICAL,
                    "Auto: Missing Takeoff Cmd",
                );
                return false;
            }
        }
        let (n, e, d) = (self.body.pos.n, self.body.pos.e, self.body.pos.d);
        self.hold_d = d;
        self.hold_ne = (n, e);
        match mode {
            Mode::Guided => self.guided = Guided::Hold { n, e, d },
            Mode::Rtl => self.start_rtl_state(),
            Mode::Land => {
                self.land_hold = if self.has_position() {
                    Some((n, e))
                } else {
                    None
                }
            }
            Mode::Auto => {
                if self.mission_cur == 0 || usize::from(self.mission_cur) >= self.mission.len() {
                    self.mission_cur = 1;
                }
                self.auto_stage = AutoStage::Start;
                self.jump_counts.clear();
                self.speed_override_mps = None;
            }
            Mode::Circle => {
                let r = self.p("CIRCLE_RADIUS", 1000.0) / 100.0;
                let yaw = self.body.yaw_rad;
                let (cn, ce) = (n + r * yaw.cos(), e + r * yaw.sin());
                let rate = self.p("CIRCLE_RATE", 20.0).to_radians();
                self.circle = (cn, ce, r, rate, (e - ce).atan2(n - cn));
            }
            _ => {}
        }
        if mode != Mode::Auto && self.mode == Mode::Auto {
            self.roi = None;
        }
        self.yaw_override = None;
        if self.mode != mode {
            tracing::info!(
                sysid = self.sysid,
                "mode {} -> {}",
                self.mode.name(),
                mode.name()
            );
        }
        self.mode = mode;
        true
    }

    /// Failsafe mode change: RTL when there is a position, else LAND (ArduCopter's fallbacks).
    fn failsafe_rtl_or_land(&mut self) {
        if self.body.on_ground {
            self.disarm("failsafe on the ground");
            return;
        }
        if !(self.has_position() && self.set_mode(Mode::Rtl)) {
            self.set_mode(Mode::Land);
        }
    }

    // ---------------------------------------------------------------- checks

    fn fence_cfg(&self) -> FenceConfig {
        FenceConfig {
            enabled: self.p("FENCE_ENABLE", 0.0) != 0.0,
            types: self.p("FENCE_TYPE", 7.0) as u8,
            alt_max_m: self.p("FENCE_ALT_MAX", 100.0),
            alt_min_m: self.p("FENCE_ALT_MIN", -10.0),
            radius_m: self.p("FENCE_RADIUS", 300.0),
            margin_m: self.p("FENCE_MARGIN", 2.0),
        }
    }

    fn current_breaches(&self) -> u8 {
        let Some((home, _)) = self.home else { return 0 };
        fence::breaches(
            &self.fence_cfg(),
            &self.fence_plan,
            home,
            self.position(),
            self.alt_rel_home_m(),
            !self.body.on_ground,
        )
    }

    fn check_fence(&mut self) {
        let now = self.current_breaches();
        let new = now & !self.fence_rt.breached;
        self.fence_rt.breached = now;
        if new == 0 {
            return;
        }
        self.fence_rt.breach_count = self.fence_rt.breach_count.saturating_add(1);
        self.fence_rt.breach_time_ms = (self.time_s * 1000.0) as u32;
        self.fence_rt.last_type = new;
        self.stats.fence_breaches += 1;
        if !self.armed || self.body.on_ground {
            return;
        }
        self.text(
            MavSeverity::MAV_SEVERITY_CRITICAL,
            &format!("Fence Breached: {}", fence::describe(new)),
        );
        // Already returning or landing: ArduCopter does not change mode again.
        if matches!(self.mode, Mode::Rtl | Mode::Land) {
            return;
        }
        match self.p("FENCE_ACTION", 1.0) as i32 {
            0 => {}
            2 => {
                self.set_mode(Mode::Land);
            }
            4 => {
                if !self.set_mode(Mode::Brake) {
                    self.set_mode(Mode::Land);
                }
            }
            _ => self.failsafe_rtl_or_land(),
        }
        self.send_fence_status();
    }

    /// Is the vehicle landing (Copter's `flightmode->is_landing()`)?
    fn is_landing(&self) -> bool {
        match self.mode {
            Mode::Land => true,
            Mode::Rtl => self.rtl.stage == RtlStage::Land,
            Mode::Auto => matches!(
                self.auto_stage,
                AutoStage::LandAt {
                    descending: true,
                    ..
                }
            ),
            _ => false,
        }
    }

    /// Copter::failsafe_gcs_on_event (4.5): FS_GCS_ENABLE picks the action, FS_OPTIONS and
    /// the situation can override it. Returns the text to announce and what to do.
    fn gcs_failsafe_decision(&self) -> (&'static str, FailsafeAction) {
        let opts = self.p("FS_OPTIONS", 16.0).max(0.0) as u32;
        let desired = match self.p("FS_GCS_ENABLE", 0.0) as i32 {
            0 => FailsafeAction::None,
            // 2 (continue in AUTO) was removed in 4.5: it is RTL, FS_OPTIONS bit 1 continues.
            4 | 5 => FailsafeAction::Land,
            _ => FailsafeAction::Rtl,
        };
        if !self.armed {
            ("GCS Failsafe", FailsafeAction::None)
        } else if self.body.on_ground {
            ("GCS Failsafe - Disarming", FailsafeAction::Disarm)
        } else if self.is_landing() && opts & FS_OPT_CONTINUE_IF_LANDING != 0 {
            ("GCS Failsafe - Continuing Landing", FailsafeAction::None)
        } else if self.mode == Mode::Auto && opts & FS_OPT_GCS_CONTINUE_IF_AUTO != 0 {
            ("GCS Failsafe - Continuing Auto Mode", FailsafeAction::None)
        } else if opts & FS_OPT_GCS_CONTINUE_IF_PILOT_CONTROL != 0 && !self.mode.is_autopilot() {
            (
                "GCS Failsafe - Continuing Pilot Control",
                FailsafeAction::None,
            )
        } else {
            ("GCS Failsafe", desired)
        }
    }

    fn check_failsafes(&mut self) {
        // GCS failsafe (Copter::failsafe_gcs_check): once a GCS heartbeat from SYSID_MYGCS was
        // seen, silence for FS_GCS_TIMEOUT triggers it, armed or not; heartbeats clear it.
        if self.p("FS_GCS_ENABLE", 0.0) as i32 != 0
            && let Some(last) = self.last_gcs_heartbeat_s
        {
            let timeout = self.p("FS_GCS_TIMEOUT", 5.0).max(2.0);
            let lost = self.time_s - last > timeout;
            if lost && !self.fs.gcs {
                self.fs.gcs = true;
                let (announce, action) = self.gcs_failsafe_decision();
                self.text(MavSeverity::MAV_SEVERITY_CRITICAL, announce);
                match action {
                    FailsafeAction::None => {}
                    FailsafeAction::Disarm => self.disarm("GCS failsafe"),
                    FailsafeAction::Land => {
                        if self.mode != Mode::Land {
                            self.set_mode(Mode::Land);
                        }
                    }
                    FailsafeAction::Rtl => {
                        if !matches!(self.mode, Mode::Rtl | Mode::Land) {
                            self.failsafe_rtl_or_land();
                        }
                    }
                }
            } else if !lost && self.fs.gcs {
                self.fs.gcs = false;
                self.text(MavSeverity::MAV_SEVERITY_CRITICAL, "GCS Failsafe Cleared");
            }
        }

        // Battery failsafe: below the voltage for BATT_LOW_TIMER seconds, or mAh used.
        let v = self.battery.voltage_v;
        let used = self.battery.consumed_mah;
        let cap = self.p("BATT_CAPACITY", 5000.0);
        let timer = self.p("BATT_LOW_TIMER", 10.0).max(0.0);
        let low_v = self.p("BATT_LOW_VOLT", 14.0);
        let crit_v = self.p("BATT_CRT_VOLT", 13.2);
        let low_mah = self.p("BATT_LOW_MAH", 0.0);
        let crit_mah = self.p("BATT_CRT_MAH", 0.0);
        let below_low = (low_v > 0.0 && v < low_v) || (low_mah > 0.0 && cap - used < low_mah);
        let below_crit = (crit_v > 0.0 && v < crit_v) || (crit_mah > 0.0 && cap - used < crit_mah);
        self.fs.low_since_s = if below_low {
            self.fs.low_since_s.or(Some(self.time_s))
        } else {
            None
        };
        self.fs.crit_since_s = if below_crit {
            self.fs.crit_since_s.or(Some(self.time_s))
        } else {
            None
        };
        if !self.fs.battery_critical
            && self
                .fs
                .crit_since_s
                .is_some_and(|t| self.time_s - t >= timer)
        {
            self.fs.battery_critical = true;
            self.fs.battery_low = true;
            self.text(
                MavSeverity::MAV_SEVERITY_CRITICAL,
                &format!("Battery 1 is critical {v:.2}V used {used:.0} mAh"),
            );
            let act = self.p("BATT_FS_CRT_ACT", 1.0) as i32;
            self.battery_action(act);
        } else if !self.fs.battery_low
            && self
                .fs
                .low_since_s
                .is_some_and(|t| self.time_s - t >= timer)
        {
            self.fs.battery_low = true;
            self.text(
                MavSeverity::MAV_SEVERITY_CRITICAL,
                &format!("Battery 1 is low {v:.2}V used {used:.0} mAh"),
            );
            let act = self.p("BATT_FS_LOW_ACT", 2.0) as i32;
            self.battery_action(act);
        }

        // Position lost (GPS gone): the EKF failsafe lands after a few seconds (FS_EKF_ACTION 1),
        // once the variances exceed FS_EKF_THRESH; it clears when the EKF uses the GPS again.
        if let Some(lost_for) = self.ekf.position_lost_for_s(self.time_s) {
            if !self.fs.ekf
                && self.armed
                && !self.body.on_ground
                && lost_for > 2.0
                && self.mode.needs_position()
            {
                self.fs.ekf = true;
                self.text(
                    MavSeverity::MAV_SEVERITY_CRITICAL,
                    "EKF Failsafe: changed to LAND Mode",
                );
                self.set_mode(Mode::Land);
            }
        } else if self.fs.ekf {
            self.fs.ekf = false;
            self.text(MavSeverity::MAV_SEVERITY_CRITICAL, "EKF Failsafe Cleared");
        }
    }

    fn battery_action(&mut self, act: i32) {
        if !self.armed {
            return;
        }
        match act {
            1 | 4 => {
                if self.body.on_ground {
                    self.disarm("battery failsafe");
                } else if self.mode != Mode::Land {
                    self.set_mode(Mode::Land);
                }
            }
            2 | 3 if !matches!(self.mode, Mode::Rtl | Mode::Land) => self.failsafe_rtl_or_land(),
            5 => {
                self.armed = false;
                self.text(MavSeverity::MAV_SEVERITY_CRITICAL, "Terminating");
            }
            _ => {}
        }
    }

    /// ArduCopter 4.5's pre-arm checks (AP_Arming_Copter::run_pre_arm_checks), without their
    /// "PreArm: " / "Arm: " prefix. Like ArduPilot every group of checks runs and reports its
    /// first failure, so several reasons can come at once; empty means the checks pass.
    fn prearm_failures(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let checks = self.p("ARMING_CHECK", 1.0) as i64;
        let mode_needs_gps = self.mode.needs_position();
        let cfg = self.fence_cfg();
        let fence_needs_gps =
            cfg.enabled && cfg.types & (fence::TYPE_CIRCLE | fence::TYPE_POLYGON) != 0;
        if checks == 0 {
            // Only the mandatory checks (AP_Arming_Copter::mandatory_checks).
            self.mandatory_gps_checks(&mut out, mode_needs_gps, fence_needs_gps);
            self.alt_checks(&mut out);
            return out;
        }
        if self.fs.gcs {
            out.push("GCS failsafe on".into());
        }
        self.alt_checks(&mut out);
        // INS (AP_Arming::ins_checks, then Copter's EKF attitude check).
        if !self.ekf.gyros_consistent(self.time_s) {
            out.push("Gyros inconsistent".into());
        }
        if !self.ekf.initialised() {
            out.push("EKF attitude is bad".into());
        }
        // GPS (AP_Arming_Copter::gps_checks: the parent's checks, the mandatory ones, HDOP).
        let gps_needed = mode_needs_gps || fence_needs_gps;
        let gps_ok = if gps_needed && !self.gps_fix() {
            out.push("GPS 1: Bad fix".into());
            false
        } else if gps_needed && self.home.is_none() {
            out.push("AHRS: waiting for home".into());
            false
        } else {
            self.mandatory_gps_checks(&mut out, mode_needs_gps, fence_needs_gps)
        };
        if gps_ok && gps_needed && self.gps.hdop * 100.0 > self.p("GPS_HDOP_GOOD", 140.0) {
            out.push("High GPS HDOP".into());
        }
        // Battery.
        let arm_v = self.p("BATT_ARM_VOLT", 0.0);
        if arm_v > 0.0 && self.battery.voltage_v < arm_v {
            out.push("Battery 1 below minimum arming voltage".into());
        } else if self.fs.battery_low || self.battery.voltage_v < self.p("BATT_LOW_VOLT", 14.0) {
            out.push("Battery 1 low voltage failsafe".into());
        }
        // Fence (AC_Fence::pre_arm_check), the last group.
        if cfg.enabled && cfg.types != 0 {
            if fence_needs_gps && !self.has_position() {
                out.push("Fence requires position".into());
            } else if cfg.types & fence::TYPE_POLYGON != 0
                && !self.fence_plan.has_polygon_zones()
                && cfg.types & fence::TYPE_CIRCLE == 0
                && cfg.types & fence::TYPE_ALT_MAX == 0
            {
                out.push("Fences enabled, but none selected".into());
            } else if cfg.types & fence::TYPE_POLYGON != 0
                && !self.fence_plan.has_polygon_zones()
                && self.fence_items.is_empty()
                && cfg.types == fence::TYPE_POLYGON
            {
                out.push("No polygon fence loaded".into());
            } else if self.current_breaches() != 0 {
                out.push("vehicle outside fence".into());
            }
        }
        out
    }

    /// AP_Arming_Copter::mandatory_gps_checks: true when they pass.
    fn mandatory_gps_checks(
        &self,
        out: &mut Vec<String>,
        mode_needs_gps: bool,
        fence_needs_gps: bool,
    ) -> bool {
        if !self.ekf.initialised() {
            // The AHRS still runs DCM until EKF3 is up.
            out.push("AHRS: not using configured AHRS type".into());
            return false;
        }
        if mode_needs_gps && !self.has_position() {
            out.push("Need Position Estimate".into());
            return false;
        }
        if !mode_needs_gps && fence_needs_gps && !self.has_position() {
            out.push("Fence enabled, need position estimate".into());
            return false;
        }
        true
    }

    /// AP_Arming_Copter::alt_checks: modes that hold altitude need the EKF's estimate.
    fn alt_checks(&self, out: &mut Vec<String>) {
        if !self.mode.manual_throttle() && !self.ekf.initialised() {
            out.push("Need Alt Estimate".into());
        }
    }

    /// AP_Arming_Copter::arm_checks, run only when arming (after the pre-arm checks pass).
    fn arm_check_failure(&self) -> Option<&'static str> {
        if !self.ekf.initialised() {
            return Some("AHRS not healthy");
        }
        if !self.mode.allows_arming(self.p("AUTO_OPTIONS", 0.0) as u32) {
            return Some("Mode not armable");
        }
        None
    }

    fn arm(&mut self) -> MavResult {
        if self.armed {
            return MavResult::MAV_RESULT_ACCEPTED;
        }
        // While arming ArduPilot prefixes every failure with "Arm: " (running_arming_checks).
        let failures = self.prearm_failures();
        self.prearm_ok = failures.is_empty();
        let failures = if failures.is_empty() {
            self.arm_check_failure()
                .map(|f| vec![f.to_string()])
                .unwrap_or_default()
        } else {
            failures
        };
        if !failures.is_empty() {
            for why in failures {
                self.text(MavSeverity::MAV_SEVERITY_CRITICAL, &format!("Arm: {why}"));
            }
            return MavResult::MAV_RESULT_FAILED;
        }
        self.armed = true;
        self.prearm_ok = true;
        // SITL builds announce it; a vehicle armed with the checks off warns.
        self.text(MavSeverity::MAV_SEVERITY_INFO, "Arming motors");
        if self.p("ARMING_CHECK", 1.0) as i64 == 0 {
            self.text(
                MavSeverity::MAV_SEVERITY_WARNING,
                "Warning: Arming Checks Disabled",
            );
        }
        self.fs = Failsafes {
            gcs: self.fs.gcs,
            ..Failsafes::default()
        };
        self.ground_since_s = if self.body.on_ground {
            Some(self.time_s)
        } else {
            None
        };
        self.hold_d = self.body.pos.d;
        if self.mode == Mode::Guided {
            self.guided = Guided::Hold {
                n: self.body.pos.n,
                e: self.body.pos.e,
                d: self.body.pos.d,
            };
        }
        MavResult::MAV_RESULT_ACCEPTED
    }

    // ---------------------------------------------------------------- telemetry

    fn time_boot_ms(&self) -> u32 {
        (self.time_s * 1000.0) as u32
    }

    fn heartbeat(&self) -> MavMessage {
        let mut base = MavModeFlag::MAV_MODE_FLAG_CUSTOM_MODE_ENABLED
            | MavModeFlag::MAV_MODE_FLAG_STABILIZE_ENABLED
            | MavModeFlag::MAV_MODE_FLAG_MANUAL_INPUT_ENABLED;
        if self.mode.guided_flag() {
            base |= MavModeFlag::MAV_MODE_FLAG_GUIDED_ENABLED;
        }
        if self.armed {
            base |= MavModeFlag::MAV_MODE_FLAG_SAFETY_ARMED;
        }
        let status = if self.fs.gcs || self.fs.battery_critical || self.fs.ekf {
            MavState::MAV_STATE_CRITICAL
        } else if self.armed {
            MavState::MAV_STATE_ACTIVE
        } else {
            MavState::MAV_STATE_STANDBY
        };
        MavMessage::HEARTBEAT(HEARTBEAT_DATA {
            custom_mode: self.mode.number(),
            mavtype: MavType::MAV_TYPE_QUADROTOR,
            autopilot: MavAutopilot::MAV_AUTOPILOT_ARDUPILOTMEGA,
            base_mode: base,
            system_status: status,
            mavlink_version: 3,
        })
    }

    /// The estimated position (true + GPS error), or None before the EKF has an origin.
    fn estimate(&self) -> Option<(LatLon, f64)> {
        if !self.ekf.origin_set() {
            return None;
        }
        let err = self.gps.error();
        Some((
            self.frame
                .to_latlon(self.body.pos.n + err.n, self.body.pos.e + err.e),
            self.alt_amsl_m() - err.d * 0.3,
        ))
    }

    fn build(&mut self, id: u32) -> Option<MavMessage> {
        let t = self.time_boot_ms();
        let yaw_cd = wrap_360(self.body.yaw_rad.to_degrees());
        Some(match id {
            0 => self.heartbeat(),
            1 => {
                // As GCS::update_sensor_status_flags and Copter's additions build them.
                use MavSysStatusSensor as S;
                let sensors = S::MAV_SYS_STATUS_SENSOR_3D_GYRO
                    | S::MAV_SYS_STATUS_SENSOR_3D_ACCEL
                    | S::MAV_SYS_STATUS_SENSOR_3D_MAG
                    | S::MAV_SYS_STATUS_SENSOR_ABSOLUTE_PRESSURE
                    | S::MAV_SYS_STATUS_SENSOR_GPS
                    | S::MAV_SYS_STATUS_SENSOR_ANGULAR_RATE_CONTROL
                    | S::MAV_SYS_STATUS_SENSOR_ATTITUDE_STABILIZATION
                    | S::MAV_SYS_STATUS_SENSOR_YAW_POSITION
                    | S::MAV_SYS_STATUS_SENSOR_Z_ALTITUDE_CONTROL
                    | S::MAV_SYS_STATUS_SENSOR_XY_POSITION_CONTROL
                    | S::MAV_SYS_STATUS_SENSOR_MOTOR_OUTPUTS
                    | S::MAV_SYS_STATUS_AHRS
                    | S::MAV_SYS_STATUS_SENSOR_BATTERY;
                // The pre-arm bit is always present, enabled when ARMING_CHECK is not 0, and
                // healthy when armed or when the last 1 Hz pre-arm run passed.
                let present = sensors | S::MAV_SYS_STATUS_GEOFENCE | S::MAV_SYS_STATUS_PREARM_CHECK;
                let mut enabled = sensors;
                let mut health = sensors | S::MAV_SYS_STATUS_GEOFENCE;
                if self.fence_cfg().enabled {
                    enabled |= S::MAV_SYS_STATUS_GEOFENCE;
                }
                if self.p("ARMING_CHECK", 1.0) as i64 != 0 {
                    enabled |= S::MAV_SYS_STATUS_PREARM_CHECK;
                    if self.prearm_ok() {
                        health |= S::MAV_SYS_STATUS_PREARM_CHECK;
                    }
                }
                if !self.gps_fix() {
                    health.remove(S::MAV_SYS_STATUS_SENSOR_GPS);
                }
                if !self.ekf.initialised() {
                    health.remove(S::MAV_SYS_STATUS_AHRS);
                }
                if self.fence_rt.breached != 0 {
                    health.remove(S::MAV_SYS_STATUS_GEOFENCE);
                }
                if self.fs.battery_low {
                    health.remove(S::MAV_SYS_STATUS_SENSOR_BATTERY);
                }
                MavMessage::SYS_STATUS(SYS_STATUS_DATA {
                    onboard_control_sensors_present: present,
                    onboard_control_sensors_enabled: enabled,
                    onboard_control_sensors_health: health,
                    load: 250,
                    voltage_battery: (self.battery.voltage_v * 1000.0) as u16,
                    current_battery: (self.battery.current_a * 100.0) as i16,
                    battery_remaining: self.battery.remaining_pct().round() as i8,
                    ..Default::default()
                })
            }
            2 => {
                // SYSTEM_TIME: the sim's own clock; the Unix time is the real one (a GCS uses it for logs).
                let unix = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_micros() as u64);
                MavMessage::SYSTEM_TIME(SYSTEM_TIME_DATA {
                    time_unix_usec: unix,
                    time_boot_ms: t,
                })
            }
            24 => {
                // The receiver's own solution: it has a fix before the EKF uses it.
                let (fix, lat, lon, alt) = if self.gps_fix() {
                    let err = self.gps.error();
                    let p = self
                        .frame
                        .to_latlon(self.body.pos.n + err.n, self.body.pos.e + err.e);
                    (
                        GpsFixType::GPS_FIX_TYPE_3D_FIX,
                        p.lat_e7(),
                        p.lon_e7(),
                        ((self.alt_amsl_m() - err.d * 0.3) * 1000.0) as i32,
                    )
                } else {
                    (GpsFixType::GPS_FIX_TYPE_NO_FIX, 0, 0, 0)
                };
                let v = self.body.vel;
                MavMessage::GPS_RAW_INT(GPS_RAW_INT_DATA {
                    time_usec: (self.time_s * 1e6) as u64,
                    lat,
                    lon,
                    alt,
                    eph: if self.gps_fix() {
                        (self.gps.hdop * 100.0) as u16
                    } else {
                        u16::MAX
                    },
                    epv: if self.gps_fix() { 120 } else { u16::MAX },
                    vel: (v.norm_h() * 100.0) as u16,
                    cog: (wrap_360(v.e.atan2(v.n).to_degrees()) * 100.0) as u16,
                    fix_type: fix,
                    satellites_visible: if self.time_s < self.gps_lock_s {
                        0
                    } else {
                        self.gps.visible_sats()
                    },
                    ..Default::default()
                })
            }
            30 => MavMessage::ATTITUDE(ATTITUDE_DATA {
                time_boot_ms: t,
                roll: self.body.roll_rad as f32,
                pitch: self.body.pitch_rad as f32,
                yaw: self.body.yaw_rad as f32,
                rollspeed: 0.0,
                pitchspeed: 0.0,
                yawspeed: self.body.yaw_rate_rps as f32,
            }),
            32 => {
                let home_d = self.d_for_alt_rel(0.0);
                let (hn, he) = self.home.map_or((0.0, 0.0), |(h, _)| self.frame.to_ne(h));
                MavMessage::LOCAL_POSITION_NED(LOCAL_POSITION_NED_DATA {
                    time_boot_ms: t,
                    x: (self.body.pos.n - hn) as f32,
                    y: (self.body.pos.e - he) as f32,
                    z: (self.body.pos.d - home_d) as f32,
                    vx: self.body.vel.n as f32,
                    vy: self.body.vel.e as f32,
                    vz: self.body.vel.d as f32,
                })
            }
            33 => {
                let (lat, lon, alt) = match self.estimate() {
                    Some((p, alt)) => (p.lat_e7(), p.lon_e7(), (alt * 1000.0) as i32),
                    None => (0, 0, 0),
                };
                MavMessage::GLOBAL_POSITION_INT(GLOBAL_POSITION_INT_DATA {
                    time_boot_ms: t,
                    lat,
                    lon,
                    alt,
                    relative_alt: (self.alt_rel_home_m() * 1000.0) as i32,
                    vx: (self.body.vel.n * 100.0) as i16,
                    vy: (self.body.vel.e * 100.0) as i16,
                    vz: (self.body.vel.d * 100.0) as i16,
                    hdg: (yaw_cd * 100.0) as u16,
                })
            }
            42 => self.mission_current_msg(),
            74 => {
                let air = self.body.vel
                    - self
                        .wind
                        .air_velocity_ned(self.body.height_above(self.ground_d_here()));
                MavMessage::VFR_HUD(VFR_HUD_DATA {
                    airspeed: air.norm_h() as f32,
                    groundspeed: self.body.vel.norm_h() as f32,
                    alt: self.alt_amsl_m() as f32,
                    climb: (-self.body.vel.d) as f32,
                    heading: yaw_cd as i16,
                    throttle: if self.armed {
                        (self.body.thrust_ratio / self.airframe.thrust_to_weight * 100.0)
                            .clamp(0.0, 100.0) as u16
                    } else {
                        0
                    },
                })
            }
            147 => {
                let mut voltages = [u16::MAX; 10];
                let cell_mv =
                    (self.battery.voltage_v / f64::from(self.battery.cells) * 1000.0) as u16;
                for v in voltages
                    .iter_mut()
                    .take(usize::from(self.battery.cells).min(10))
                {
                    *v = cell_mv;
                }
                let charge_state = if self.fs.battery_critical {
                    MavBatteryChargeState::MAV_BATTERY_CHARGE_STATE_CRITICAL
                } else if self.fs.battery_low {
                    MavBatteryChargeState::MAV_BATTERY_CHARGE_STATE_LOW
                } else {
                    MavBatteryChargeState::MAV_BATTERY_CHARGE_STATE_OK
                };
                let remaining_s = if self.battery.current_a > 1.0 {
                    (self.battery.capacity_mah - self.battery.consumed_mah).max(0.0)
                        / 1000.0
                        / self.battery.current_a
                        * 3600.0
                } else {
                    0.0
                };
                MavMessage::BATTERY_STATUS(BATTERY_STATUS_DATA {
                    current_consumed: self.battery.consumed_mah as i32,
                    // hJ: mAh x nominal volts x 3.6 J per mWh / 100.
                    energy_consumed: (self.battery.consumed_mah
                        * 3.7
                        * f64::from(self.battery.cells)
                        * 0.036) as i32,
                    temperature: i16::MAX,
                    voltages,
                    current_battery: (self.battery.current_a * 100.0) as i16,
                    id: 0,
                    battery_function: MavBatteryFunction::MAV_BATTERY_FUNCTION_ALL,
                    mavtype: MavBatteryType::MAV_BATTERY_TYPE_LIPO,
                    battery_remaining: self.battery.remaining_pct().round() as i8,
                    time_remaining: remaining_s as i32,
                    charge_state,
                    ..Default::default()
                })
            }
            162 => {
                if !self.fence_cfg().enabled && self.fence_rt.breach_count == 0 {
                    return None;
                }
                self.fence_status_msg()
            }
            168 => {
                let (from, speed) = self.wind_estimate();
                MavMessage::WIND(WIND_DATA {
                    direction: from as f32,
                    speed: speed as f32,
                    speed_z: 0.0,
                })
            }
            242 => self.home_position_msg()?,
            245 => MavMessage::EXTENDED_SYS_STATE(EXTENDED_SYS_STATE_DATA {
                vtol_state: MavVtolState::MAV_VTOL_STATE_UNDEFINED,
                landed_state: if !self.armed || self.body.on_ground {
                    MavLandedState::MAV_LANDED_STATE_ON_GROUND
                } else if self.body.vel.d < -0.3 && self.alt_rel_home_m() < 3.0 {
                    MavLandedState::MAV_LANDED_STATE_TAKEOFF
                } else if self.body.vel.d > 0.3
                    && self.body.height_above(self.ground_d_here()) < 3.0
                {
                    MavLandedState::MAV_LANDED_STATE_LANDING
                } else {
                    MavLandedState::MAV_LANDED_STATE_IN_AIR
                },
            }),
            148 => self.autopilot_version_msg(),
            193 => {
                let v = self.ekf.variances(self.time_s);
                MavMessage::EKF_STATUS_REPORT(EKF_STATUS_REPORT_DATA {
                    velocity_variance: v.velocity,
                    pos_horiz_variance: v.pos_horiz,
                    pos_vert_variance: v.pos_vert,
                    compass_variance: v.compass,
                    terrain_alt_variance: v.terrain_alt,
                    flags: EkfStatusFlags::from_bits_truncate(self.ekf.status_flags()),
                    airspeed_variance: 0.0,
                })
            }
            _ => return None,
        })
    }

    fn fence_status_msg(&self) -> MavMessage {
        let t = self.fence_rt.last_type | self.fence_rt.breached;
        let breach_type = if t & (fence::TYPE_CIRCLE | fence::TYPE_POLYGON) != 0 {
            FenceBreach::FENCE_BREACH_BOUNDARY
        } else if t & fence::TYPE_ALT_MAX != 0 {
            FenceBreach::FENCE_BREACH_MAXALT
        } else if t & fence::TYPE_ALT_MIN != 0 {
            FenceBreach::FENCE_BREACH_MINALT
        } else {
            FenceBreach::FENCE_BREACH_NONE
        };
        MavMessage::FENCE_STATUS(FENCE_STATUS_DATA {
            breach_time: self.fence_rt.breach_time_ms,
            breach_count: self.fence_rt.breach_count,
            breach_status: u8::from(self.fence_rt.breached != 0),
            breach_type,
            breach_mitigation: if self.fence_rt.breached != 0 {
                FenceMitigate::FENCE_MITIGATE_VEL_LIMIT
            } else {
                FenceMitigate::FENCE_MITIGATE_NONE
            },
        })
    }

    fn send_fence_status(&mut self) {
        let m = self.fence_status_msg();
        self.outbox.push(m);
    }

    fn home_position_msg(&self) -> Option<MavMessage> {
        let (h, alt) = self.home?;
        let (hn, he) = self.frame.to_ne(h);
        Some(MavMessage::HOME_POSITION(HOME_POSITION_DATA {
            latitude: h.lat_e7(),
            longitude: h.lon_e7(),
            altitude: (alt * 1000.0) as i32,
            x: hn as f32,
            y: he as f32,
            z: (self.d_for_alt_rel(0.0)) as f32,
            q: [1.0, 0.0, 0.0, 0.0],
            time_usec: (self.time_s * 1e6) as u64,
            ..Default::default()
        }))
    }

    fn autopilot_version_msg(&self) -> MavMessage {
        let caps = MavProtocolCapability::MAV_PROTOCOL_CAPABILITY_MISSION_FLOAT
            | MavProtocolCapability::MAV_PROTOCOL_CAPABILITY_PARAM_FLOAT
            | MavProtocolCapability::MAV_PROTOCOL_CAPABILITY_MISSION_INT
            | MavProtocolCapability::MAV_PROTOCOL_CAPABILITY_COMMAND_INT
            | MavProtocolCapability::MAV_PROTOCOL_CAPABILITY_SET_POSITION_TARGET_LOCAL_NED
            | MavProtocolCapability::MAV_PROTOCOL_CAPABILITY_SET_POSITION_TARGET_GLOBAL_INT
            | MavProtocolCapability::MAV_PROTOCOL_CAPABILITY_FLIGHT_TERMINATION
            | MavProtocolCapability::MAV_PROTOCOL_CAPABILITY_MAVLINK2
            | MavProtocolCapability::MAV_PROTOCOL_CAPABILITY_MISSION_FENCE
            | MavProtocolCapability::MAV_PROTOCOL_CAPABILITY_MISSION_RALLY
            | MavProtocolCapability::MAV_PROTOCOL_CAPABILITY_PARAM_ENCODE_C_CAST;
        MavMessage::AUTOPILOT_VERSION(AUTOPILOT_VERSION_DATA {
            capabilities: caps,
            uid: 0x5649_4749_4500_0000 | u64::from(self.sysid),
            // 4.5.7 official (FIRMWARE_VERSION_TYPE_OFFICIAL = 255), as ArduPilot encodes it.
            flight_sw_version: (4 << 24) | (5 << 16) | (7 << 8) | 255,
            middleware_sw_version: 0,
            os_sw_version: 0,
            board_version: 0,
            vendor_id: 0,
            product_id: 0,
            flight_custom_version: *b"vigiesim",
            ..Default::default()
        })
    }

    fn mission_current_msg(&self) -> MavMessage {
        let total = self.mission.len().saturating_sub(1) as u16;
        let state = if self.mission.len() < 2 {
            MissionState::MISSION_STATE_NO_MISSION
        } else if self.mode == Mode::Auto && matches!(self.auto_stage, AutoStage::Done { .. }) {
            MissionState::MISSION_STATE_COMPLETE
        } else if self.mode == Mode::Auto && self.armed {
            MissionState::MISSION_STATE_ACTIVE
        } else {
            MissionState::MISSION_STATE_NOT_STARTED
        };
        MavMessage::MISSION_CURRENT(MISSION_CURRENT_DATA {
            seq: self.mission_cur,
            total,
            mission_state: state,
            mission_mode: u8::from(self.mode == Mode::Auto),
            ..Default::default()
        })
    }

    fn send_mission_current(&mut self) {
        let m = self.mission_current_msg();
        self.outbox.push(m);
    }

    fn send_streams(&mut self) {
        for i in 0..self.streams.len() {
            let s = &self.streams[i];
            if s.period_s <= 0.0 || self.time_s < s.next_s {
                continue;
            }
            let id = s.msg_id;
            let period = s.period_s;
            let next = if self.time_s - s.next_s > period {
                self.time_s + period
            } else {
                s.next_s + period
            };
            self.streams[i].next_s = next;
            if let Some(m) = self.build(id) {
                self.outbox.push(m);
            }
        }
    }

    fn set_interval(&mut self, msg_id: u32, period_s: f64) {
        if let Some(s) = self.streams.iter_mut().find(|s| s.msg_id == msg_id) {
            s.period_s = period_s;
            s.next_s = self.time_s;
        } else {
            self.streams.push(Stream {
                msg_id,
                period_s,
                next_s: self.time_s,
            });
        }
    }

    // ---------------------------------------------------------------- inbound messages

    /// Handles one message from the station. `wall_s` is wall-clock seconds (protocol timers).
    pub fn handle(&mut self, from: &MavHeader, msg: &MavMessage, wall_s: f64) {
        let gcs = (from.system_id.min(255) as u8, from.component_id);
        if let Some(ts) = msg.target_system_id()
            && ts != 0
            && ts != self.sysid
        {
            return;
        }
        match msg {
            // Only heartbeats of the GCS whose sysid is SYSID_MYGCS feed the GCS failsafe.
            MavMessage::HEARTBEAT(hb)
                if hb.mavtype == MavType::MAV_TYPE_GCS
                    && f64::from(gcs.0) == self.p("SYSID_MYGCS", 255.0) =>
            {
                self.last_gcs_heartbeat_s = Some(self.time_s);
            }
            MavMessage::COMMAND_LONG(c) => {
                self.stats.commands += 1;
                let p = [
                    c.param1, c.param2, c.param3, c.param4, c.param5, c.param6, c.param7,
                ];
                let pos = CmdPos {
                    x: f64::from(c.param5),
                    y: f64::from(c.param6),
                    z: c.param7,
                    frame: MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT,
                    is_int: false,
                };
                let mark = self.outbox.len();
                let r = self.command(c.command, p, pos);
                self.ack(mark, c.command, r, gcs);
            }
            MavMessage::COMMAND_INT(c) => {
                self.stats.commands += 1;
                let p = [
                    c.param1, c.param2, c.param3, c.param4, c.x as f32, c.y as f32, c.z,
                ];
                let pos = CmdPos {
                    x: f64::from(c.x) * 1e-7,
                    y: f64::from(c.y) * 1e-7,
                    z: c.z,
                    frame: c.frame,
                    is_int: true,
                };
                let mark = self.outbox.len();
                let r = self.command(c.command, p, pos);
                self.ack(mark, c.command, r, gcs);
            }
            MavMessage::SET_MODE(m) => {
                if let Some(mode) = Mode::from_number(m.custom_mode) {
                    self.set_mode(mode);
                }
            }
            MavMessage::SET_POSITION_TARGET_GLOBAL_INT(t) => self.position_target_global(t),
            MavMessage::SET_POSITION_TARGET_LOCAL_NED(t) => self.position_target_local(t),
            MavMessage::PARAM_REQUEST_LIST(_) => {
                self.text(
                    MavSeverity::MAV_SEVERITY_INFO,
                    "ArduCopter V4.5.7 (vigie-sim)",
                );
                self.text(MavSeverity::MAV_SEVERITY_INFO, "Frame: QUAD/X");
                self.param_next = Some(0);
            }
            MavMessage::PARAM_REQUEST_READ(r) => {
                let idx = if r.param_index >= 0 {
                    Some(r.param_index as usize)
                } else {
                    self.params.index_of(&param_name(&r.param_id))
                };
                if let Some(i) = idx {
                    self.send_param(i);
                }
            }
            MavMessage::PARAM_SET(s) => {
                let name = param_name(&s.param_id);
                let Some(i) = self.params.index_of(&name) else {
                    // ArduPilot ignores a set of an unknown parameter (the GCS times out).
                    return;
                };
                let stored = self
                    .params
                    .by_index(i)
                    .map_or(crate::params::ParamType::Real32, |p| p.ptype);
                let value = decode_param_set(s.param_value, s.param_type as u8, stored);
                if self.params.set(&name, value).is_some() {
                    self.apply_param_side_effects(&name);
                }
                self.send_param(i);
            }
            MavMessage::REQUEST_DATA_STREAM(r) => {
                let period = if r.start_stop == 0 || r.req_message_rate == 0 {
                    0.0
                } else {
                    1.0 / f64::from(r.req_message_rate)
                };
                let ids: Vec<u32> = if r.req_stream_id as u8 == 0 {
                    [2u8, 6, 10, 11, 12]
                        .iter()
                        .flat_map(|g| stream_group(*g).iter().copied())
                        .collect()
                } else {
                    stream_group(r.req_stream_id as u8).to_vec()
                };
                for id in ids {
                    self.set_interval(id, period);
                }
            }
            MavMessage::MISSION_COUNT(m) => self.upload_start(m, gcs, wall_s),
            MavMessage::MISSION_ITEM_INT(m) => {
                let it = Item {
                    command: m.command,
                    frame: storage_frame(m.frame),
                    current: m.current,
                    autocontinue: m.autocontinue,
                    param1: m.param1,
                    param2: m.param2,
                    param3: m.param3,
                    param4: m.param4,
                    x: m.x,
                    y: m.y,
                    z: m.z,
                };
                self.upload_item(m.seq, m.mission_type, it, gcs, wall_s);
            }
            MavMessage::MISSION_ITEM(m) => {
                let (x, y) = if is_global(m.frame) {
                    (
                        (f64::from(m.x) * 1e7).round() as i32,
                        (f64::from(m.y) * 1e7).round() as i32,
                    )
                } else {
                    (m.x as i32, m.y as i32)
                };
                let it = Item {
                    command: m.command,
                    frame: storage_frame(m.frame),
                    current: m.current,
                    autocontinue: m.autocontinue,
                    param1: m.param1,
                    param2: m.param2,
                    param3: m.param3,
                    param4: m.param4,
                    x,
                    y,
                    z: m.z,
                };
                self.upload_item(m.seq, m.mission_type, it, gcs, wall_s);
            }
            MavMessage::MISSION_REQUEST_LIST(m) => {
                if let Some(kind) = ListKind::from_mav(m.mission_type) {
                    let count = self
                        .list(kind)
                        .len()
                        .max(usize::from(kind == ListKind::Mission))
                        as u16;
                    self.outbox
                        .push(MavMessage::MISSION_COUNT(MISSION_COUNT_DATA {
                            count,
                            target_system: gcs.0,
                            target_component: gcs.1,
                            mission_type: kind.mav(),
                            ..Default::default()
                        }));
                }
            }
            MavMessage::MISSION_REQUEST_INT(m) => {
                self.download_item(m.seq, m.mission_type, true, gcs)
            }
            MavMessage::MISSION_REQUEST(m) => self.download_item(m.seq, m.mission_type, false, gcs),
            MavMessage::MISSION_CLEAR_ALL(m) => {
                if let Some(kind) = ListKind::from_mav(m.mission_type) {
                    self.store_list(kind, vec![]);
                    self.mission_ack(gcs, kind, MavMissionResult::MAV_MISSION_ACCEPTED);
                }
            }
            MavMessage::MISSION_SET_CURRENT(m) if usize::from(m.seq) < self.mission.len() => {
                self.set_mission_current(m.seq.max(1));
            }
            MavMessage::MISSION_ACK(_) => {}
            // TIMESYNC request (tc1 == 0): answer with our clock, as ArduPilot does.
            MavMessage::TIMESYNC(t) if t.tc1 == 0 => {
                self.outbox.push(MavMessage::TIMESYNC(TIMESYNC_DATA {
                    tc1: (self.time_s * 1e9) as i64,
                    ts1: t.ts1,
                    target_system: gcs.0,
                    target_component: gcs.1,
                }));
            }
            // No on-board logs are simulated: an empty list, so a GCS log view does not hang.
            MavMessage::LOG_REQUEST_LIST(_) => {
                self.outbox.push(MavMessage::LOG_ENTRY(LOG_ENTRY_DATA {
                    time_utc: 0,
                    size: 0,
                    id: 0,
                    num_logs: 0,
                    last_log_num: 0,
                }));
            }
            _ => {}
        }
    }

    /// Wall-clock housekeeping: mission upload retries and the parameter stream.
    pub fn poll(&mut self, wall_s: f64) {
        if let Some(up) = &mut self.upload
            && wall_s - up.last_request_wall_s > UPLOAD_RETRY_S
        {
            if up.retries >= UPLOAD_MAX_RETRIES {
                let (gcs, kind) = (up.gcs, up.kind);
                self.upload = None;
                self.mission_ack(gcs, kind, MavMissionResult::MAV_MISSION_OPERATION_CANCELLED);
            } else {
                up.retries += 1;
                up.last_request_wall_s = wall_s;
                let (seq, kind, gcs) = (up.next, up.kind, up.gcs);
                self.request_item(seq, kind, gcs);
            }
        }
        if let Some(next) = self.param_next {
            let end = (next + 40).min(self.params.len());
            for i in next..end {
                self.send_param(i);
            }
            self.param_next = if end >= self.params.len() {
                None
            } else {
                Some(end)
            };
        }
    }

    fn send_param(&mut self, i: usize) {
        let Some(p) = self.params.by_index(i) else {
            return;
        };
        self.outbox.push(MavMessage::PARAM_VALUE(PARAM_VALUE_DATA {
            param_value: p.value as f32,
            param_count: self.params.len() as u16,
            param_index: i as u16,
            param_id: name16(&p.name),
            param_type: mav_param_type(p.ptype),
        }));
    }

    fn apply_param_side_effects(&mut self, name: &str) {
        match name {
            "SIM_WIND_SPD" | "SIM_WIND_DIR" | "SIM_WIND_TURB" => {
                let spd = self.p("SIM_WIND_SPD", 0.0).max(0.0);
                let turb = self.p("SIM_WIND_TURB", 0.0).max(0.0);
                let s = WindSetting {
                    from_deg: wrap_360(self.p("SIM_WIND_DIR", 180.0)),
                    mean_mps: spd,
                    gust_mps: spd + turb,
                    turbulence: if spd > 0.0 {
                        (turb / spd).min(1.0)
                    } else {
                        0.0
                    },
                };
                self.set_wind(s);
            }
            "SIM_GPS_DISABLE" => self.gps.lost = self.p("SIM_GPS_DISABLE", 0.0) != 0.0,
            "SIM_ENGINE_MUL" => self.thrust_scale = self.p("SIM_ENGINE_MUL", 1.0).clamp(0.0, 1.0),
            _ => {}
        }
    }

    /// Queues the COMMAND_ACK before anything the command itself queued (ArduPilot acks
    /// REQUEST_MESSAGE first, then sends the message).
    fn ack(&mut self, mark: usize, command: MavCmd, result: MavResult, gcs: (u8, u8)) {
        let ack = MavMessage::COMMAND_ACK(COMMAND_ACK_DATA {
            command,
            result,
            target_system: gcs.0,
            target_component: gcs.1,
            ..Default::default()
        });
        self.outbox.insert(mark.min(self.outbox.len()), ack);
    }

    fn position_target_global(&mut self, t: &SET_POSITION_TARGET_GLOBAL_INT_DATA) {
        if self.mode != Mode::Guided || !self.armed || !self.has_position() {
            return;
        }
        let mask = t.type_mask;
        let pos_ignored = mask.contains(PositionTargetTypemask::POSITION_TARGET_TYPEMASK_X_IGNORE);
        let vel_ignored = mask.contains(PositionTargetTypemask::POSITION_TARGET_TYPEMASK_VX_IGNORE);
        if !pos_ignored {
            let at = LatLon::from_e7(t.lat_int, t.lon_int);
            if !at.is_valid() || !t.alt.is_finite() {
                return;
            }
            let (n, e) = self.frame.to_ne(at);
            let d = self.cmd_alt_to_d(f64::from(t.alt), t.coordinate_frame, (n, e));
            self.guided = Guided::Goto {
                n,
                e,
                d,
                speed: self.wp_speed(),
            };
        } else if !vel_ignored && [t.vx, t.vy, t.vz].iter().all(|v| v.is_finite()) {
            let timeout = self.p("GUID_TIMEOUT", 3.0).max(0.5);
            self.guided = Guided::Velocity {
                v: V3::new(f64::from(t.vx), f64::from(t.vy), f64::from(t.vz)),
                until_s: self.time_s + timeout,
            };
        }
    }

    fn position_target_local(&mut self, t: &SET_POSITION_TARGET_LOCAL_NED_DATA) {
        if self.mode != Mode::Guided || !self.armed || !self.has_position() {
            return;
        }
        let mask = t.type_mask;
        let (hn, he) = self.home.map_or((0.0, 0.0), |(h, _)| self.frame.to_ne(h));
        if !mask.contains(PositionTargetTypemask::POSITION_TARGET_TYPEMASK_X_IGNORE) {
            if ![t.x, t.y, t.z].iter().all(|v| v.is_finite()) {
                return;
            }
            let (n, e, d) = match t.coordinate_frame {
                MavFrame::MAV_FRAME_BODY_OFFSET_NED | MavFrame::MAV_FRAME_LOCAL_OFFSET_NED => (
                    self.body.pos.n + f64::from(t.x),
                    self.body.pos.e + f64::from(t.y),
                    self.body.pos.d + f64::from(t.z),
                ),
                _ => (
                    hn + f64::from(t.x),
                    he + f64::from(t.y),
                    self.d_for_alt_rel(0.0) + f64::from(t.z),
                ),
            };
            self.guided = Guided::Goto {
                n,
                e,
                d,
                speed: self.wp_speed(),
            };
        } else if !mask.contains(PositionTargetTypemask::POSITION_TARGET_TYPEMASK_VX_IGNORE)
            && [t.vx, t.vy, t.vz].iter().all(|v| v.is_finite())
        {
            let timeout = self.p("GUID_TIMEOUT", 3.0).max(0.5);
            self.guided = Guided::Velocity {
                v: V3::new(f64::from(t.vx), f64::from(t.vy), f64::from(t.vz)),
                until_s: self.time_s + timeout,
            };
        }
    }

    fn cmd_alt_to_d(&self, alt: f64, frame: MavFrame, ne: (f64, f64)) -> f64 {
        match frame {
            MavFrame::MAV_FRAME_GLOBAL | MavFrame::MAV_FRAME_GLOBAL_INT => {
                self.origin_ground_amsl_m - alt
            }
            MavFrame::MAV_FRAME_GLOBAL_TERRAIN_ALT | MavFrame::MAV_FRAME_GLOBAL_TERRAIN_ALT_INT => {
                self.origin_ground_amsl_m
                    - (self.terrain.elevation_m(self.frame.to_latlon(ne.0, ne.1)) + alt)
            }
            _ => self.d_for_alt_rel(alt),
        }
    }

    /// Executes a COMMAND_LONG / COMMAND_INT; the result goes into COMMAND_ACK.
    fn command(&mut self, cmd: MavCmd, p: [f32; 7], pos: CmdPos) -> MavResult {
        use MavCmd as C;
        use MavResult as R;
        match cmd {
            C::MAV_CMD_COMPONENT_ARM_DISARM => {
                if p[0] == 1.0 {
                    self.arm()
                } else if p[0] == 0.0 {
                    let forced = p[1] == 21196.0;
                    if !self.armed {
                        R::MAV_RESULT_ACCEPTED
                    } else if self.body.on_ground || forced {
                        self.disarm(if forced { "forced" } else { "GCS" });
                        R::MAV_RESULT_ACCEPTED
                    } else {
                        self.text(MavSeverity::MAV_SEVERITY_CRITICAL, "Disarm: not landed");
                        R::MAV_RESULT_FAILED
                    }
                } else {
                    R::MAV_RESULT_DENIED
                }
            }
            C::MAV_CMD_DO_SET_MODE => {
                let Some(mode) = Mode::from_number(p[1] as u32) else {
                    return R::MAV_RESULT_FAILED;
                };
                if self.set_mode(mode) {
                    R::MAV_RESULT_ACCEPTED
                } else {
                    R::MAV_RESULT_FAILED
                }
            }
            C::MAV_CMD_NAV_TAKEOFF => {
                if self.mode != Mode::Guided || !self.armed || !self.body.on_ground {
                    return R::MAV_RESULT_FAILED;
                }
                if !p[6].is_finite() {
                    return R::MAV_RESULT_DENIED;
                }
                let alt = f64::from(p[6]).clamp(1.0, 10_000.0);
                let d = self.d_for_alt_rel(alt);
                self.guided = Guided::Takeoff {
                    n: self.body.pos.n,
                    e: self.body.pos.e,
                    d,
                };
                R::MAV_RESULT_ACCEPTED
            }
            C::MAV_CMD_NAV_LAND => {
                if self.set_mode(Mode::Land) {
                    R::MAV_RESULT_ACCEPTED
                } else {
                    R::MAV_RESULT_FAILED
                }
            }
            C::MAV_CMD_NAV_RETURN_TO_LAUNCH => {
                if self.set_mode(Mode::Rtl) {
                    R::MAV_RESULT_ACCEPTED
                } else {
                    R::MAV_RESULT_FAILED
                }
            }
            C::MAV_CMD_NAV_LOITER_UNLIM => {
                if self.set_mode(Mode::Loiter) {
                    R::MAV_RESULT_ACCEPTED
                } else {
                    R::MAV_RESULT_FAILED
                }
            }
            C::MAV_CMD_MISSION_START => {
                if self.set_mode(Mode::Auto) {
                    R::MAV_RESULT_ACCEPTED
                } else {
                    R::MAV_RESULT_FAILED
                }
            }
            C::MAV_CMD_DO_SET_MISSION_CURRENT => {
                let seq = p[0] as i64;
                if seq < 0 || seq as usize >= self.mission.len().max(1) {
                    return R::MAV_RESULT_DENIED;
                }
                self.set_mission_current((seq as u16).max(1));
                R::MAV_RESULT_ACCEPTED
            }
            C::MAV_CMD_DO_REPOSITION => {
                let at = LatLon::new(pos.x, pos.y);
                if !at.is_valid()
                    || (pos.x == 0.0 && pos.y == 0.0)
                    || !pos.is_int && (pos.x.abs() < 1e-9)
                {
                    return R::MAV_RESULT_DENIED;
                }
                let change_mode = (p[1] as u32) & 1 != 0;
                if self.mode != Mode::Guided && !(change_mode && self.set_mode(Mode::Guided)) {
                    return R::MAV_RESULT_DENIED;
                }
                if !self.armed || self.body.on_ground {
                    return R::MAV_RESULT_FAILED;
                }
                let (n, e) = self.frame.to_ne(at);
                let d = if pos.z.is_finite() {
                    self.cmd_alt_to_d(f64::from(pos.z), pos.frame, (n, e))
                } else {
                    self.body.pos.d
                };
                let speed = if p[0] > 0.0 {
                    f64::from(p[0])
                } else {
                    self.wp_speed()
                };
                self.guided = Guided::Goto { n, e, d, speed };
                R::MAV_RESULT_ACCEPTED
            }
            C::MAV_CMD_DO_ORBIT => {
                // ArduCopter has no DO_ORBIT: this is CIRCLE mode around the given centre.
                if !self.armed || self.body.on_ground || !self.has_position() {
                    return R::MAV_RESULT_FAILED;
                }
                let radius = if p[0].is_finite() && p[0].abs() > 1.0 {
                    f64::from(p[0].abs())
                } else {
                    self.p("CIRCLE_RADIUS", 1000.0) / 100.0
                };
                let vel = if p[1].is_finite() && p[1] != 0.0 {
                    f64::from(p[1])
                } else {
                    3.0
                };
                let (cn, ce) =
                    if pos.x.is_finite() && pos.y.is_finite() && !(pos.x == 0.0 && pos.y == 0.0) {
                        self.frame.to_ne(LatLon::new(pos.x, pos.y))
                    } else {
                        (self.body.pos.n, self.body.pos.e)
                    };
                if !self.set_mode(Mode::Circle) {
                    return R::MAV_RESULT_FAILED;
                }
                if pos.z.is_finite() && pos.z != 0.0 {
                    self.hold_d = self.cmd_alt_to_d(f64::from(pos.z), pos.frame, (cn, ce));
                }
                let angle = (self.body.pos.e - ce).atan2(self.body.pos.n - cn);
                self.circle = (cn, ce, radius, vel / radius, angle);
                R::MAV_RESULT_ACCEPTED
            }
            C::MAV_CMD_DO_SET_ROI_LOCATION | C::MAV_CMD_DO_SET_ROI => {
                if pos.x == 0.0 && pos.y == 0.0 {
                    self.roi = None;
                } else {
                    let at = LatLon::new(pos.x, pos.y);
                    if !at.is_valid() {
                        return R::MAV_RESULT_DENIED;
                    }
                    self.roi = Some(at);
                }
                R::MAV_RESULT_ACCEPTED
            }
            C::MAV_CMD_CONDITION_YAW => {
                // p1 angle (deg), p3 direction (-1 ccw, 1 cw), p4 1 = relative to the current heading.
                if !self.armed || !p[0].is_finite() {
                    return R::MAV_RESULT_FAILED;
                }
                let target = if p[3] != 0.0 {
                    let dir = if p[2] < 0.0 { -1.0 } else { 1.0 };
                    self.body.yaw_rad + dir * f64::from(p[0]).to_radians()
                } else {
                    f64::from(p[0]).to_radians()
                };
                self.yaw_override = Some(wrap_pi(target));
                R::MAV_RESULT_ACCEPTED
            }
            C::MAV_CMD_DO_SET_ROI_NONE => {
                self.roi = None;
                R::MAV_RESULT_ACCEPTED
            }
            C::MAV_CMD_DO_CHANGE_SPEED => {
                if p[1] > 0.0 {
                    self.speed_override_mps = Some(f64::from(p[1]));
                    if let Guided::Goto { speed, .. } = &mut self.guided {
                        *speed = f64::from(p[1]);
                    }
                }
                R::MAV_RESULT_ACCEPTED
            }
            C::MAV_CMD_DO_FENCE_ENABLE => {
                let v = p[0] as i32;
                match v {
                    0 | 1 => {
                        self.params.set("FENCE_ENABLE", f64::from(v));
                        self.text(
                            MavSeverity::MAV_SEVERITY_INFO,
                            if v == 1 {
                                "Fence enabled"
                            } else {
                                "Fence disabled"
                            },
                        );
                        R::MAV_RESULT_ACCEPTED
                    }
                    2 => R::MAV_RESULT_ACCEPTED,
                    _ => R::MAV_RESULT_DENIED,
                }
            }
            C::MAV_CMD_DO_SET_HOME => {
                let (at, alt) = if p[0] == 1.0 {
                    (self.position(), self.alt_amsl_m())
                } else {
                    let at = LatLon::new(pos.x, pos.y);
                    if !at.is_valid() || (pos.x == 0.0 && pos.y == 0.0) || !pos.z.is_finite() {
                        return R::MAV_RESULT_DENIED;
                    }
                    (at, f64::from(pos.z))
                };
                if !self.has_position() {
                    return R::MAV_RESULT_FAILED;
                }
                self.home = Some((at, alt));
                if let Some(first) = self.mission.first_mut() {
                    first.x = at.lat_e7();
                    first.y = at.lon_e7();
                    first.z = alt as f32;
                }
                if let Some(m) = self.home_position_msg() {
                    self.outbox.push(m);
                }
                R::MAV_RESULT_ACCEPTED
            }
            C::MAV_CMD_SET_MESSAGE_INTERVAL => {
                let id = p[0] as u32;
                let us = p[1];
                if !us.is_finite() {
                    return R::MAV_RESULT_DENIED;
                }
                let period = if us < 0.0 {
                    0.0
                } else if us == 0.0 {
                    DEFAULT_STREAMS
                        .iter()
                        .find(|(i, _)| *i == id)
                        .map_or(0.0, |(_, hz)| 1.0 / hz)
                } else {
                    f64::from(us) / 1e6
                };
                if !matches!(
                    id,
                    0 | 1
                        | 2
                        | 24
                        | 30
                        | 32
                        | 33
                        | 42
                        | 74
                        | 147
                        | 148
                        | 162
                        | 168
                        | 193
                        | 242
                        | 245
                ) {
                    return R::MAV_RESULT_DENIED;
                }
                self.set_interval(id, period);
                R::MAV_RESULT_ACCEPTED
            }
            C::MAV_CMD_REQUEST_MESSAGE => self.request_message(p[0] as u32, p[1]),
            C::MAV_CMD_REQUEST_AUTOPILOT_CAPABILITIES => {
                let m = self.autopilot_version_msg();
                self.outbox.push(m);
                R::MAV_RESULT_ACCEPTED
            }
            C::MAV_CMD_REQUEST_CAMERA_INFORMATION => self.request_message(259, 0.0),
            C::MAV_CMD_REQUEST_VIDEO_STREAM_INFORMATION => self.request_message(269, p[0]),
            C::MAV_CMD_GET_HOME_POSITION => self.request_message(242, 0.0),
            _ => R::MAV_RESULT_UNSUPPORTED,
        }
    }

    fn request_message(&mut self, id: u32, p2: f32) -> MavResult {
        match id {
            259 => {
                let Some(v) = self.video.clone() else {
                    return MavResult::MAV_RESULT_FAILED;
                };
                let mut vendor = [0u8; 32];
                vendor[..5].copy_from_slice(b"Vigie");
                let mut model = [0u8; 32];
                model[..9].copy_from_slice(b"SimCam HD");
                self.outbox
                    .push(MavMessage::CAMERA_INFORMATION(CAMERA_INFORMATION_DATA {
                        time_boot_ms: self.time_boot_ms(),
                        firmware_version: 1,
                        focal_length: 4.5,
                        sensor_size_h: 6.17,
                        sensor_size_v: 4.55,
                        flags: CameraCapFlags::CAMERA_CAP_FLAGS_CAPTURE_VIDEO
                            | CameraCapFlags::CAMERA_CAP_FLAGS_HAS_VIDEO_STREAM,
                        resolution_h: v.width,
                        resolution_v: v.height,
                        vendor_name: vendor,
                        model_name: model,
                        ..Default::default()
                    }));
                MavResult::MAV_RESULT_ACCEPTED
            }
            269 => {
                let Some(v) = self.video.clone() else {
                    return MavResult::MAV_RESULT_FAILED;
                };
                let count = 1 + u8::from(v.thermal_uri.is_some());
                let want = p2 as u8;
                if want == 0 || want == 1 {
                    let mut name = [0u8; 32];
                    name[..5].copy_from_slice(b"Video");
                    self.outbox.push(MavMessage::VIDEO_STREAM_INFORMATION(
                        VIDEO_STREAM_INFORMATION_DATA {
                            framerate: v.fps,
                            bitrate: v.bitrate_bps,
                            flags: VideoStreamStatusFlags::VIDEO_STREAM_STATUS_FLAGS_RUNNING,
                            resolution_h: v.width,
                            resolution_v: v.height,
                            rotation: 0,
                            hfov: 84,
                            stream_id: 1,
                            count,
                            mavtype: VideoStreamType::VIDEO_STREAM_TYPE_RTPUDP,
                            encoding: if v.h265 {
                                VideoStreamEncoding::VIDEO_STREAM_ENCODING_H265
                            } else {
                                VideoStreamEncoding::VIDEO_STREAM_ENCODING_H264
                            },
                            name: name.into(),
                            uri: str_to::<160>(&v.uri),
                            ..Default::default()
                        },
                    ));
                }
                if let Some(t) = &v.thermal_uri
                    && (want == 0 || want == 2)
                {
                    let mut name = [0u8; 32];
                    name[..7].copy_from_slice(b"Thermal");
                    self.outbox.push(MavMessage::VIDEO_STREAM_INFORMATION(
                        VIDEO_STREAM_INFORMATION_DATA {
                            framerate: v.fps,
                            bitrate: v.bitrate_bps / 4,
                            flags: VideoStreamStatusFlags::VIDEO_STREAM_STATUS_FLAGS_RUNNING
                                | VideoStreamStatusFlags::VIDEO_STREAM_STATUS_FLAGS_THERMAL,
                            resolution_h: 1280,
                            resolution_v: 720,
                            rotation: 0,
                            hfov: 50,
                            stream_id: 2,
                            count,
                            mavtype: VideoStreamType::VIDEO_STREAM_TYPE_RTPUDP,
                            encoding: if v.h265 {
                                VideoStreamEncoding::VIDEO_STREAM_ENCODING_H265
                            } else {
                                VideoStreamEncoding::VIDEO_STREAM_ENCODING_H264
                            },
                            name: name.into(),
                            uri: str_to::<160>(t),
                            ..Default::default()
                        },
                    ));
                }
                MavResult::MAV_RESULT_ACCEPTED
            }
            _ => match self.build(id) {
                Some(m) => {
                    self.outbox.push(m);
                    MavResult::MAV_RESULT_ACCEPTED
                }
                None => MavResult::MAV_RESULT_FAILED,
            },
        }
    }

    // ---------------------------------------------------------------- mission protocol

    fn list(&self, kind: ListKind) -> &Vec<Item> {
        match kind {
            ListKind::Mission => &self.mission,
            ListKind::Fence => &self.fence_items,
            ListKind::Rally => &self.rally,
        }
    }

    fn mission_ack(&mut self, gcs: (u8, u8), kind: ListKind, result: MavMissionResult) {
        self.outbox.push(MavMessage::MISSION_ACK(MISSION_ACK_DATA {
            target_system: gcs.0,
            target_component: gcs.1,
            mavtype: result,
            mission_type: kind.mav(),
            ..Default::default()
        }));
    }

    fn request_item(&mut self, seq: u16, kind: ListKind, gcs: (u8, u8)) {
        // ArduCopter 4.x answers MISSION_COUNT with the deprecated MISSION_REQUEST (40).
        self.outbox
            .push(MavMessage::MISSION_REQUEST(MISSION_REQUEST_DATA {
                seq,
                target_system: gcs.0,
                target_component: gcs.1,
                mission_type: kind.mav(),
            }));
    }

    fn upload_start(&mut self, m: &MISSION_COUNT_DATA, gcs: (u8, u8), wall_s: f64) {
        let Some(kind) = ListKind::from_mav(m.mission_type) else {
            self.outbox.push(MavMessage::MISSION_ACK(MISSION_ACK_DATA {
                target_system: gcs.0,
                target_component: gcs.1,
                mavtype: MavMissionResult::MAV_MISSION_UNSUPPORTED,
                mission_type: m.mission_type,
                ..Default::default()
            }));
            return;
        };
        if m.count == 0 {
            self.store_list(kind, vec![]);
            self.mission_ack(gcs, kind, MavMissionResult::MAV_MISSION_ACCEPTED);
            return;
        }
        let max = match kind {
            ListKind::Mission => 700,
            ListKind::Fence => 256,
            ListKind::Rally => 20,
        };
        if m.count > max {
            self.mission_ack(gcs, kind, MavMissionResult::MAV_MISSION_NO_SPACE);
            return;
        }
        self.upload = Some(Upload {
            kind,
            count: m.count,
            next: 0,
            items: Vec::with_capacity(usize::from(m.count)),
            gcs,
            last_request_wall_s: wall_s,
            retries: 0,
        });
        self.request_item(0, kind, gcs);
    }

    fn upload_item(
        &mut self,
        seq: u16,
        mtype: MavMissionType,
        it: Item,
        gcs: (u8, u8),
        wall_s: f64,
    ) {
        let Some(kind) = ListKind::from_mav(mtype) else {
            return;
        };
        let Some(up) = &mut self.upload else {
            // Not uploading: ArduPilot answers a stray item with an error ACK.
            self.mission_ack(gcs, kind, MavMissionResult::MAV_MISSION_ERROR);
            return;
        };
        if up.kind != kind {
            return;
        }
        if seq != up.next {
            // Out of sequence: ask again for the one we want.
            let (next, k, g) = (up.next, up.kind, up.gcs);
            self.request_item(next, k, g);
            return;
        }
        if kind == ListKind::Mission
            && seq > 0
            && it.cmd_id() <= 95
            && is_global(it.frame)
            && !LatLon::from_e7(it.x, it.y).is_valid()
        {
            self.upload = None;
            self.mission_ack(gcs, kind, MavMissionResult::MAV_MISSION_INVALID_PARAM5_X);
            return;
        }
        // A NaN altitude would poison navigation. (NaN params are normal: QGC sends yaw = NaN.)
        if !it.z.is_finite() && it.cmd_id() <= 95 {
            self.upload = None;
            self.mission_ack(gcs, kind, MavMissionResult::MAV_MISSION_INVALID_PARAM7);
            return;
        }
        let Some(up) = &mut self.upload else { return };
        up.items.push(it);
        up.next += 1;
        up.last_request_wall_s = wall_s;
        up.retries = 0;
        if up.next < up.count {
            let (next, k, g) = (up.next, up.kind, up.gcs);
            self.request_item(next, k, g);
            return;
        }
        let Some(up) = self.upload.take() else { return };
        let result = self.store_list(kind, up.items);
        self.mission_ack(gcs, kind, result);
    }

    fn store_list(&mut self, kind: ListKind, items: Vec<Item>) -> MavMissionResult {
        match kind {
            ListKind::Mission => {
                let mut items = items;
                if let (Some(first), Some((h, alt))) = (items.first_mut(), self.home) {
                    // Item 0 is home: the vehicle rewrites it.
                    first.x = h.lat_e7();
                    first.y = h.lon_e7();
                    first.z = alt as f32;
                    first.frame = MavFrame::MAV_FRAME_GLOBAL;
                    first.command = MavCmd::MAV_CMD_NAV_WAYPOINT;
                }
                self.mission = items;
                self.mission_cur = if self.mission.len() > 1 { 1 } else { 0 };
                self.auto_stage = AutoStage::Start;
                self.params.set("MIS_TOTAL", self.mission.len() as f64);
                self.send_mission_current();
            }
            ListKind::Fence => {
                let fitems: Vec<FenceItem> = items
                    .iter()
                    .map(|i| FenceItem {
                        command: i.cmd_id(),
                        param1: i.param1,
                        at: i.latlon(),
                    })
                    .collect();
                match FencePlan::from_items(&fitems) {
                    Ok(plan) => {
                        self.fence_plan = plan;
                        self.fence_items = items;
                        self.params
                            .set("FENCE_TOTAL", self.fence_items.len() as f64);
                    }
                    Err(e) => {
                        self.text(MavSeverity::MAV_SEVERITY_WARNING, &format!("Fence: {e}"));
                        return MavMissionResult::MAV_MISSION_INVALID;
                    }
                }
            }
            ListKind::Rally => {
                self.rally = items;
                self.params.set("RALLY_TOTAL", self.rally.len() as f64);
            }
        }
        MavMissionResult::MAV_MISSION_ACCEPTED
    }

    fn download_item(&mut self, seq: u16, mtype: MavMissionType, as_int: bool, gcs: (u8, u8)) {
        let Some(kind) = ListKind::from_mav(mtype) else {
            return;
        };
        let home_item;
        let it = match (kind, self.list(kind).get(usize::from(seq))) {
            (_, Some(it)) => it.clone(),
            (ListKind::Mission, None) if seq == 0 => {
                let (h, alt) = self.home.unwrap_or((LatLon::new(0.0, 0.0), 0.0));
                home_item = Item::nav(MavCmd::MAV_CMD_NAV_WAYPOINT, h, alt as f32, 0.0);
                Item {
                    frame: MavFrame::MAV_FRAME_GLOBAL,
                    ..home_item
                }
            }
            _ => {
                self.mission_ack(gcs, kind, MavMissionResult::MAV_MISSION_INVALID_SEQUENCE);
                return;
            }
        };
        let current = u8::from(kind == ListKind::Mission && seq == self.mission_cur && seq != 0);
        if as_int {
            self.outbox
                .push(MavMessage::MISSION_ITEM_INT(MISSION_ITEM_INT_DATA {
                    param1: it.param1,
                    param2: it.param2,
                    param3: it.param3,
                    param4: it.param4,
                    x: it.x,
                    y: it.y,
                    z: it.z,
                    seq,
                    command: it.command,
                    target_system: gcs.0,
                    target_component: gcs.1,
                    frame: it.frame,
                    current,
                    autocontinue: it.autocontinue,
                    mission_type: kind.mav(),
                }));
        } else {
            let (x, y) = if is_global(it.frame) {
                (
                    (f64::from(it.x) * 1e-7) as f32,
                    (f64::from(it.y) * 1e-7) as f32,
                )
            } else {
                (it.x as f32, it.y as f32)
            };
            self.outbox
                .push(MavMessage::MISSION_ITEM(MISSION_ITEM_DATA {
                    param1: it.param1,
                    param2: it.param2,
                    param3: it.param3,
                    param4: it.param4,
                    x,
                    y,
                    z: it.z,
                    seq,
                    command: it.command,
                    target_system: gcs.0,
                    target_component: gcs.1,
                    frame: it.frame,
                    current,
                    autocontinue: it.autocontinue,
                    mission_type: kind.mav(),
                }));
        }
    }

    /// Used by tests and the bench: the true air velocity at the vehicle.
    pub fn true_wind_ned(&self) -> V3 {
        self.wind
            .air_velocity_ned(self.body.height_above(self.ground_d_here()))
    }

    /// Puts the vehicle in the air at a height (for flight-model tests), disarmed checks bypassed.
    pub fn force_airborne_hover(&mut self, alt_rel_m: f64, mode: Mode) {
        self.home
            .get_or_insert((self.position(), self.alt_amsl_m()));
        self.ekf.force_settled(self.time_s);
        self.body.pos.d = self.d_for_alt_rel(alt_rel_m);
        self.body.vel = V3::ZERO;
        self.body.on_ground = false;
        self.ground_since_s = None;
        self.armed = true;
        self.mode = mode;
        self.hold_d = self.body.pos.d;
        self.hold_ne = (self.body.pos.n, self.body.pos.e);
        self.guided = Guided::Hold {
            n: self.body.pos.n,
            e: self.body.pos.e,
            d: self.body.pos.d,
        };
    }

    /// Sets a GUIDED position target directly (tests and the bench drive the vehicle this way).
    pub fn guided_goto(&mut self, at: LatLon, alt_rel_m: f64) {
        let (n, e) = self.frame.to_ne(at);
        let d = self.d_for_alt_rel(alt_rel_m);
        self.guided = Guided::Goto {
            n,
            e,
            d,
            speed: self.wp_speed(),
        };
    }

    /// A random number for jitter that must stay deterministic per vehicle.
    pub fn random_unit(&mut self) -> f64 {
        self.rng.random_range(0.0..1.0)
    }

    /// Ground speed (m/s).
    pub fn ground_speed_mps(&self) -> f64 {
        self.body.vel.norm_h()
    }

    /// Tilt of the thrust vector (rad).
    pub fn tilt_rad(&self) -> f64 {
        (self.body.roll_rad.tan().hypot(self.body.pitch_rad.tan())).atan()
    }

    pub fn wind_air_velocity_at_10m(&self) -> V3 {
        air_velocity_from(self.wind.setting.from_deg, self.wind.speed_10m_mps())
    }

    pub fn gravity() -> f64 {
        GRAVITY_MSS
    }
}

/// Positional arguments of a command: lat/lon degrees (COMMAND_INT's x/y scaled, or
/// COMMAND_LONG's p5/p6), altitude and its frame.
#[derive(Clone, Copy, Debug)]
struct CmdPos {
    x: f64,
    y: f64,
    z: f32,
    frame: MavFrame,
    is_int: bool,
}

fn str_to<const N: usize>(s: &str) -> mavlink::types::CharArray<N> {
    let mut b = [0u8; N];
    let n = s.len().min(N);
    b[..n].copy_from_slice(&s.as_bytes()[..n]);
    b.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DT: f64 = 0.01;

    fn gcs() -> MavHeader {
        MavHeader {
            system_id: 255,
            component_id: 190,
            sequence: 0,
        }
    }

    /// Runs until sim time `t_s`, returning the STATUSTEXTs sent meanwhile with their times.
    fn run_to(v: &mut Vehicle, t_s: f64) -> Vec<(f64, String)> {
        let mut texts = Vec::new();
        while v.time_s() + DT / 2.0 < t_s {
            v.step(DT);
            let t = v.time_s();
            texts.extend(v.drain().filter_map(|m| statustext(&m)).map(|s| (t, s)));
        }
        texts
    }

    fn statustext(m: &MavMessage) -> Option<String> {
        match m {
            MavMessage::STATUSTEXT(t) => Some(
                t.text
                    .to_str()
                    .unwrap_or_default()
                    .trim_end_matches('\0')
                    .to_string(),
            ),
            _ => None,
        }
    }

    /// Sends ARM; returns the ACK result and the texts that followed it, in outbox order.
    fn arm_command(v: &mut Vehicle) -> (Option<MavResult>, Vec<String>) {
        let arm = MavMessage::COMMAND_LONG(COMMAND_LONG_DATA {
            target_system: 1,
            target_component: 1,
            command: MavCmd::MAV_CMD_COMPONENT_ARM_DISARM,
            param1: 1.0,
            ..Default::default()
        });
        v.handle(&gcs(), &arm, 0.0);
        let out: Vec<MavMessage> = v.drain().collect();
        let ack = out
            .iter()
            .position(|m| matches!(m, MavMessage::COMMAND_ACK(_)));
        let result = ack.and_then(|i| match &out[i] {
            MavMessage::COMMAND_ACK(a) => Some(a.result),
            _ => None,
        });
        // ArduPilot queues the reasons behind the ACK.
        let texts = out
            .iter()
            .skip(ack.map_or(0, |i| i + 1))
            .filter_map(statustext)
            .collect();
        (result, texts)
    }

    fn sys_status(v: &mut Vehicle) -> SYS_STATUS_DATA {
        match v.build(1) {
            Some(MavMessage::SYS_STATUS(s)) => s,
            other => panic!("SYS_STATUS expected, got {other:?}"),
        }
    }

    fn ekf_flags(v: &mut Vehicle) -> EkfStatusFlags {
        match v.build(193) {
            Some(MavMessage::EKF_STATUS_REPORT(r)) => r.flags,
            other => panic!("EKF_STATUS_REPORT expected, got {other:?}"),
        }
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn boot_fails_pre_arm_with_arducopter_texts_until_the_estimator_settles() {
        // Defaults: GPS fix at 2 s, 10 s windows. A circle fence makes the GPS checks apply
        // in STABILIZE too (the mode a station arms from before it can switch to GUIDED).
        let mut v = Vehicle::new(VehicleSetup::istres(1));
        v.params.set("FENCE_ENABLE", 1.0);
        v.params.set("FENCE_TYPE", 2.0);
        // Table of (time, the reasons ArduCopter gives), in its order.
        let table: &[(f64, &[&str])] = &[
            (
                0.5,
                &[
                    "Gyros inconsistent",
                    "EKF attitude is bad",
                    "GPS 1: Bad fix",
                    "Fence requires position",
                ],
            ),
            (
                5.0,
                &[
                    "Gyros inconsistent",
                    "AHRS: waiting for home",
                    "Fence requires position",
                ],
            ),
            (11.0, &["AHRS: waiting for home", "Fence requires position"]),
            (12.5, &[]),
        ];
        for (t, want) in table {
            run_to(&mut v, *t);
            assert_eq!(v.prearm_failures(), strings(want), "at {t} s");
        }
    }

    #[test]
    fn an_early_arm_is_refused_with_failed_and_arm_prefixed_reasons() {
        let mut v = Vehicle::new(VehicleSetup::istres(1));
        let boot_texts = run_to(&mut v, 5.0);
        let (result, texts) = arm_command(&mut v);
        assert_eq!(result, Some(MavResult::MAV_RESULT_FAILED));
        assert_eq!(texts, strings(&["Arm: Gyros inconsistent"]));
        assert!(!v.armed());
        // The boot texts came in ArduPilot's order; the EKF had no GPS yet.
        let names: Vec<&str> = boot_texts.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "EKF3 IMU0 initialised",
                "EKF3 IMU1 initialised",
                "AHRS: EKF3 active",
                "EKF3 IMU0 tilt alignment complete",
                "EKF3 IMU1 tilt alignment complete",
                "EKF3 IMU0 MAG0 initial yaw alignment complete",
                "EKF3 IMU1 MAG0 initial yaw alignment complete",
                "GPS 1: detected u-blox",
            ]
        );
        let later = run_to(&mut v, 13.0);
        let names: Vec<&str> = later.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "EKF3 IMU0 origin set",
                "EKF3 IMU1 origin set",
                "Field Elevation Set: 20m",
                "EKF3 IMU0 is using GPS",
                "EKF3 IMU1 is using GPS",
            ]
        );
        assert!((later[0].0 - 12.0).abs() < 0.02, "origin at {}", later[0].0);
        assert!(v.home().is_some());
        assert!(v.set_mode(Mode::Guided));
        let (result, texts) = arm_command(&mut v);
        assert_eq!(result, Some(MavResult::MAV_RESULT_ACCEPTED));
        assert_eq!(texts, strings(&["Arming motors"]));
    }

    #[test]
    fn guided_before_the_ekf_uses_the_gps_is_refused() {
        let mut v = Vehicle::new(VehicleSetup::istres(1));
        run_to(&mut v, 6.0);
        assert!(!v.set_mode(Mode::Guided));
        let texts: Vec<String> = v.drain().filter_map(|m| statustext(&m)).collect();
        assert_eq!(
            texts,
            strings(&["Mode change to GUIDED failed: requires position"])
        );
    }

    #[test]
    fn after_a_long_gps_loss_position_is_needed_until_the_ekf_requalifies_the_gps() {
        let mut v = Vehicle::new(VehicleSetup::istres(1));
        run_to(&mut v, 13.0);
        assert!(v.set_mode(Mode::Guided));
        v.inject(&Fault::GpsLoss);
        let texts = run_to(&mut v, 30.0);
        assert_eq!(v.prearm_failures(), strings(&["GPS 1: Bad fix"]));
        // 15 s without aiding: constant position mode.
        let stopped: Vec<f64> = texts
            .iter()
            .filter(|(_, s)| s == "EKF3 IMU0 stopped aiding")
            .map(|(t, _)| t.round())
            .collect();
        assert_eq!(stopped, vec![28.0], "{texts:?}");
        v.inject(&Fault::GpsRestore);
        run_to(&mut v, 31.0);
        assert_eq!(v.prearm_failures(), strings(&["Need Position Estimate"]));
        let f = ekf_flags(&mut v);
        assert!(!f.contains(EkfStatusFlags::EKF_POS_HORIZ_ABS), "{f:?}");
        assert!(f.contains(EkfStatusFlags::EKF_CONST_POS_MODE), "{f:?}");
        // After 10 s of good GPS the EKF uses it again.
        let texts = run_to(&mut v, 41.5);
        let using: Vec<f64> = texts
            .iter()
            .filter(|(_, s)| s == "EKF3 IMU0 is using GPS")
            .map(|(t, _)| t.round())
            .collect();
        assert_eq!(using, vec![40.0], "{texts:?}");
        assert!(v.prearm_failures().is_empty(), "{:?}", v.prearm_failures());
        assert_eq!(ekf_flags(&mut v).bits(), 831);
    }

    #[test]
    fn failures_are_shown_as_prearm_every_30_s_first_at_15_s() {
        let mut setup = VehicleSetup::istres(1);
        setup.ekf_settle_s = 100.0;
        let mut v = Vehicle::new(setup);
        let texts = run_to(&mut v, 50.0);
        let prearm: Vec<(f64, String)> = texts
            .into_iter()
            .filter(|(_, s)| s.starts_with("PreArm"))
            .collect();
        let times: Vec<f64> = prearm.iter().map(|(t, _)| t.round()).collect();
        assert_eq!(times, vec![15.0, 45.0], "{prearm:?}");
        assert!(
            prearm
                .iter()
                .all(|(_, s)| s == "PreArm: Gyros inconsistent")
        );
    }

    #[test]
    fn sys_status_carries_the_pre_arm_verdict_and_sensor_health() {
        use MavSysStatusSensor as S;
        let mut v = Vehicle::new(VehicleSetup::istres(1));
        run_to(&mut v, 0.5);
        let s = sys_status(&mut v);
        for bits in [
            s.onboard_control_sensors_present,
            s.onboard_control_sensors_enabled,
        ] {
            assert!(bits.contains(S::MAV_SYS_STATUS_PREARM_CHECK));
            assert!(bits.contains(S::MAV_SYS_STATUS_SENSOR_3D_GYRO | S::MAV_SYS_STATUS_AHRS));
        }
        let h = s.onboard_control_sensors_health;
        assert!(!h.contains(S::MAV_SYS_STATUS_PREARM_CHECK));
        assert!(!h.contains(S::MAV_SYS_STATUS_SENSOR_GPS), "no fix yet");
        assert!(!h.contains(S::MAV_SYS_STATUS_AHRS), "EKF not started");
        assert!(h.contains(S::MAV_SYS_STATUS_SENSOR_3D_GYRO | S::MAV_SYS_STATUS_SENSOR_3D_ACCEL));
        // Healthy in STABILIZE once the gyros agree (no GPS needed), within the 1 Hz update.
        run_to(&mut v, 9.9);
        assert!(
            !sys_status(&mut v)
                .onboard_control_sensors_health
                .contains(S::MAV_SYS_STATUS_PREARM_CHECK)
        );
        run_to(&mut v, 11.05);
        let h = sys_status(&mut v).onboard_control_sensors_health;
        assert!(h.contains(S::MAV_SYS_STATUS_PREARM_CHECK | S::MAV_SYS_STATUS_AHRS));
        assert!(h.contains(S::MAV_SYS_STATUS_SENSOR_GPS));
        // GPS loss clears the GPS health.
        v.inject(&Fault::GpsLoss);
        run_to(&mut v, 12.0);
        assert!(
            !sys_status(&mut v)
                .onboard_control_sensors_health
                .contains(S::MAV_SYS_STATUS_SENSOR_GPS)
        );
        // ARMING_CHECK = 0: the bit stays present, neither enabled nor healthy (no verdict).
        v.params.set("ARMING_CHECK", 0.0);
        run_to(&mut v, 14.0);
        let s = sys_status(&mut v);
        assert!(
            s.onboard_control_sensors_present
                .contains(S::MAV_SYS_STATUS_PREARM_CHECK)
        );
        assert!(
            !s.onboard_control_sensors_enabled
                .contains(S::MAV_SYS_STATUS_PREARM_CHECK)
        );
        assert!(
            !s.onboard_control_sensors_health
                .contains(S::MAV_SYS_STATUS_PREARM_CHECK)
        );
    }

    #[test]
    fn ekf_status_report_follows_settling_and_gps_loss() {
        let mut v = Vehicle::new(VehicleSetup::istres(1));
        v.step(DT);
        assert_eq!(
            ekf_flags(&mut v),
            EkfStatusFlags::EKF_UNINITIALIZED,
            "before the filter starts"
        );
        run_to(&mut v, 5.0);
        let f = ekf_flags(&mut v);
        assert!(f.contains(EkfStatusFlags::EKF_ATTITUDE | EkfStatusFlags::EKF_CONST_POS_MODE));
        assert!(!f.contains(EkfStatusFlags::EKF_POS_HORIZ_ABS));
        run_to(&mut v, 12.5);
        let f = ekf_flags(&mut v);
        assert!(
            f.contains(EkfStatusFlags::EKF_POS_HORIZ_ABS | EkfStatusFlags::EKF_PRED_POS_HORIZ_ABS)
        );
        assert!(!f.contains(EkfStatusFlags::EKF_CONST_POS_MODE));
        v.inject(&Fault::GpsLoss);
        run_to(&mut v, 15.0);
        let f = ekf_flags(&mut v);
        assert!(!f.contains(EkfStatusFlags::EKF_POS_HORIZ_ABS));
        let Some(MavMessage::EKF_STATUS_REPORT(r)) = v.build(193) else {
            panic!("EKF_STATUS_REPORT");
        };
        assert!(
            r.velocity_variance > 0.8 && r.pos_horiz_variance > 0.8,
            "{r:?}"
        );
        // It is streamed at 1 Hz.
        let mut seen = 0;
        for _ in 0..300 {
            v.step(DT);
            seen += v
                .drain()
                .filter(|m| matches!(m, MavMessage::EKF_STATUS_REPORT(_)))
                .count();
        }
        assert!((3..=4).contains(&seen), "{seen} in 3 s");
    }

    #[test]
    fn arming_check_zero_keeps_only_the_mandatory_checks() {
        let mut v = Vehicle::new(VehicleSetup::istres(1));
        v.params.set("ARMING_CHECK", 0.0);
        run_to(&mut v, 13.0);
        assert!(v.set_mode(Mode::Guided));
        v.inject(&Fault::GpsLoss);
        run_to(&mut v, 14.0);
        // Position is mandatory in GUIDED, even with the checks off.
        let (result, texts) = arm_command(&mut v);
        assert_eq!(result, Some(MavResult::MAV_RESULT_FAILED));
        assert_eq!(texts, strings(&["Arm: Need Position Estimate"]));
        // In STABILIZE, before the gyros agree, it arms (and says the checks are off).
        let mut v = Vehicle::new(VehicleSetup::istres(1));
        v.params.set("ARMING_CHECK", 0.0);
        run_to(&mut v, 3.0);
        let (result, texts) = arm_command(&mut v);
        assert_eq!(result, Some(MavResult::MAV_RESULT_ACCEPTED));
        assert_eq!(
            texts,
            strings(&["Arming motors", "Warning: Arming Checks Disabled"])
        );
    }

    #[test]
    fn gcs_failsafe_actions_like_arducopter_4_5() {
        use FailsafeAction as A;
        // (FS_GCS_ENABLE, FS_OPTIONS, mode, airborne, expected text, expected action)
        let table: &[(f64, f64, Mode, bool, &str, FailsafeAction)] = &[
            (1.0, 16.0, Mode::Guided, true, "GCS Failsafe", A::Rtl),
            (1.0, 16.0, Mode::Auto, true, "GCS Failsafe", A::Rtl),
            // 2 (continue in AUTO) was removed in 4.5: RTL unless FS_OPTIONS bit 1.
            (2.0, 16.0, Mode::Auto, true, "GCS Failsafe", A::Rtl),
            (
                1.0,
                2.0,
                Mode::Auto,
                true,
                "GCS Failsafe - Continuing Auto Mode",
                A::None,
            ),
            (5.0, 16.0, Mode::Guided, true, "GCS Failsafe", A::Land),
            (4.0, 16.0, Mode::Rtl, true, "GCS Failsafe", A::Land),
            // The default FS_OPTIONS (16) keeps a pilot-controlled mode flying.
            (
                1.0,
                16.0,
                Mode::Loiter,
                true,
                "GCS Failsafe - Continuing Pilot Control",
                A::None,
            ),
            (1.0, 0.0, Mode::Loiter, true, "GCS Failsafe", A::Rtl),
            (
                1.0,
                8.0,
                Mode::Land,
                true,
                "GCS Failsafe - Continuing Landing",
                A::None,
            ),
            (
                1.0,
                16.0,
                Mode::Guided,
                false,
                "GCS Failsafe - Disarming",
                A::Disarm,
            ),
        ];
        for (enable, opts, mode, airborne, text, action) in table {
            let mut setup = VehicleSetup::istres(1);
            setup.gps_lock_s = 0.0;
            setup.ekf_settle_s = 0.0;
            let mut v = Vehicle::new(setup);
            v.params.set("FS_GCS_ENABLE", *enable);
            v.params.set("FS_OPTIONS", *opts);
            if *airborne {
                v.force_airborne_hover(30.0, *mode);
            } else {
                run_to(&mut v, 1.0);
                assert!(v.set_mode(*mode));
                assert_eq!(arm_command(&mut v).0, Some(MavResult::MAV_RESULT_ACCEPTED));
            }
            assert_eq!(
                v.gcs_failsafe_decision(),
                (*text, *action),
                "FS_GCS_ENABLE={enable} FS_OPTIONS={opts} {mode:?} airborne={airborne}"
            );
        }
    }

    #[test]
    fn a_gcs_failsafe_on_the_ground_blocks_arming_until_the_gcs_is_back() {
        let mut setup = VehicleSetup::istres(1);
        setup.gps_lock_s = 0.0;
        setup.ekf_settle_s = 0.0;
        let mut v = Vehicle::new(setup);
        v.params.set("FS_GCS_ENABLE", 1.0);
        let hb = MavMessage::HEARTBEAT(HEARTBEAT_DATA {
            mavtype: MavType::MAV_TYPE_GCS,
            ..Default::default()
        });
        v.handle(&gcs(), &hb, 0.0);
        let texts = run_to(&mut v, 7.0);
        assert!(texts.iter().any(|(_, s)| s == "GCS Failsafe"), "{texts:?}");
        let (result, texts) = arm_command(&mut v);
        assert_eq!(result, Some(MavResult::MAV_RESULT_FAILED));
        assert_eq!(texts, strings(&["Arm: GCS failsafe on"]));
        v.handle(&gcs(), &hb, 0.0);
        let texts = run_to(&mut v, 7.5);
        assert!(texts.iter().any(|(_, s)| s == "GCS Failsafe Cleared"));
        assert_eq!(arm_command(&mut v).0, Some(MavResult::MAV_RESULT_ACCEPTED));
    }
}

//! The parameter table: ArduCopter 4.x names, types and defaults (a realistic subset, ~600).
//!
//! Values are kept as f64 and sent as PARAM_VALUE floats the way ArduPilot does it: integer
//! parameters are C-cast to float (not byte-wise packed).

use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamType {
    Int8,
    Int16,
    Int32,
    Real32,
}

impl ParamType {
    /// MAV_PARAM_TYPE number.
    pub fn mav_type(self) -> u8 {
        match self {
            ParamType::Int8 => 2,
            ParamType::Int16 => 4,
            ParamType::Int32 => 6,
            ParamType::Real32 => 9,
        }
    }
    /// Rounds and saturates a value to what the storage type can hold, as AP_Param's set does.
    pub fn coerce(self, v: f64) -> f64 {
        match self {
            ParamType::Int8 => v.round().clamp(-128.0, 127.0),
            ParamType::Int16 => v.round().clamp(-32768.0, 32767.0),
            ParamType::Int32 => v.round().clamp(-2_147_483_648.0, 2_147_483_647.0),
            ParamType::Real32 => f64::from(v as f32),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Param {
    pub name: String,
    pub value: f64,
    pub ptype: ParamType,
}

#[derive(Clone, Debug)]
pub struct ParamTable {
    params: Vec<Param>,
    index: HashMap<String, usize>,
}

use ParamType::{Int8 as I8, Int16 as I16, Int32 as I32, Real32 as F};

/// Hand-written parameters with their ArduCopter defaults. Battery failsafe actions and levels
/// are set for the simulated 4S pack (ArduCopter ships with them disabled: see README).
const CORE: &[(&str, f64, ParamType)] = &[
    ("FORMAT_VERSION", 120.0, I16),
    ("SYSID_THISMAV", 1.0, I16),
    ("SYSID_MYGCS", 255.0, I16),
    ("SYSID_ENFORCE", 0.0, I8),
    ("FS_GCS_ENABLE", 0.0, I8),
    ("FS_GCS_TIMEOUT", 5.0, F),
    ("FS_THR_ENABLE", 1.0, I8),
    ("FS_THR_VALUE", 975.0, I16),
    ("FS_EKF_ACTION", 1.0, I8),
    ("FS_EKF_THRESH", 0.8, F),
    ("FS_OPTIONS", 16.0, I32),
    ("FS_CRASH_CHECK", 1.0, I8),
    ("FS_VIBE_ENABLE", 1.0, I8),
    ("FS_DR_ENABLE", 2.0, I8),
    ("FS_DR_TIMEOUT", 30.0, I16),
    ("FENCE_ENABLE", 0.0, I8),
    ("FENCE_TYPE", 7.0, I8),
    ("FENCE_ACTION", 1.0, I8),
    ("FENCE_ALT_MAX", 100.0, F),
    ("FENCE_ALT_MIN", -10.0, F),
    ("FENCE_RADIUS", 300.0, F),
    ("FENCE_MARGIN", 2.0, F),
    ("FENCE_TOTAL", 0.0, I8),
    ("FENCE_RET_RALLY", 0.0, I8),
    ("FENCE_RET_ALT", 0.0, I16),
    ("FENCE_AUTOENABLE", 0.0, I8),
    ("FENCE_OPTIONS", 0.0, I16),
    ("RTL_ALT", 1500.0, I16),
    ("RTL_ALT_FINAL", 0.0, I16),
    ("RTL_SPEED", 0.0, I16),
    ("RTL_LOIT_TIME", 5000.0, I32),
    ("RTL_CONE_SLOPE", 3.0, F),
    ("RTL_CLIMB_MIN", 0.0, I16),
    ("RTL_ALT_TYPE", 0.0, I8),
    ("RTL_OPTIONS", 0.0, I32),
    ("WPNAV_SPEED", 1000.0, F),
    ("WPNAV_RADIUS", 200.0, F),
    ("WPNAV_SPEED_UP", 250.0, F),
    ("WPNAV_SPEED_DN", 150.0, F),
    ("WPNAV_ACCEL", 250.0, F),
    ("WPNAV_ACCEL_Z", 100.0, F),
    ("WPNAV_JERK", 1.0, F),
    ("WPNAV_TER_MARGIN", 10.0, F),
    ("WPNAV_RFND_USE", 1.0, I8),
    ("LOIT_SPEED", 1250.0, F),
    ("LOIT_ACC_MAX", 500.0, F),
    ("LOIT_BRK_ACCEL", 250.0, F),
    ("LOIT_BRK_DELAY", 1.0, F),
    ("LOIT_BRK_JERK", 500.0, F),
    ("LOIT_ANG_MAX", 0.0, F),
    ("LAND_SPEED", 50.0, I16),
    ("LAND_SPEED_HIGH", 0.0, I16),
    ("LAND_ALT_LOW", 1000.0, I16),
    ("LAND_REPOSITION", 1.0, I8),
    ("PILOT_SPEED_UP", 250.0, I16),
    ("PILOT_SPEED_DN", 0.0, I16),
    ("PILOT_ACCEL_Z", 250.0, I16),
    ("PILOT_TKOFF_ALT", 0.0, F),
    ("PILOT_THR_FILT", 0.0, F),
    ("PILOT_THR_BHV", 0.0, I16),
    ("PILOT_Y_RATE", 202.5, F),
    ("PILOT_Y_EXPO", 0.0, F),
    ("ANGLE_MAX", 3000.0, I16),
    ("DISARM_DELAY", 10.0, I8),
    ("ARMING_CHECK", 1.0, I32),
    ("ARMING_RUDDER", 2.0, I8),
    ("ARMING_ACCTHRESH", 0.75, F),
    ("ARMING_MIS_ITEMS", 0.0, I32),
    ("ARMING_OPTIONS", 0.0, I32),
    ("BATT_MONITOR", 4.0, I8),
    ("BATT_CAPACITY", 5000.0, I32),
    ("BATT_LOW_VOLT", 14.0, F),
    ("BATT_CRT_VOLT", 13.2, F),
    ("BATT_LOW_MAH", 0.0, I32),
    ("BATT_CRT_MAH", 0.0, I32),
    ("BATT_FS_LOW_ACT", 2.0, I8),
    ("BATT_FS_CRT_ACT", 1.0, I8),
    ("BATT_FS_VOLTSRC", 0.0, I8),
    ("BATT_LOW_TIMER", 10.0, I8),
    ("BATT_ARM_VOLT", 0.0, F),
    ("BATT_ARM_MAH", 0.0, I32),
    ("BATT_SERIAL_NUM", -1.0, I32),
    ("BATT_VOLT_PIN", 13.0, I8),
    ("BATT_CURR_PIN", 12.0, I8),
    ("BATT_VOLT_MULT", 10.1, F),
    ("BATT_AMP_PERVLT", 17.0, F),
    ("BATT_AMP_OFFSET", 0.0, F),
    ("BATT_OPTIONS", 0.0, I32),
    ("GPS_TYPE", 1.0, I8),
    ("GPS_TYPE2", 0.0, I8),
    ("GPS_NAVFILTER", 8.0, I8),
    ("GPS_AUTO_SWITCH", 1.0, I8),
    ("GPS_MIN_DGPS", 100.0, I8),
    ("GPS_SBAS_MODE", 2.0, I8),
    ("GPS_MIN_ELEV", -100.0, I8),
    ("GPS_INJECT_TO", 127.0, I8),
    ("GPS_RAW_DATA", 0.0, I8),
    ("GPS_GNSS_MODE", 0.0, I8),
    ("GPS_SAVE_CFG", 2.0, I8),
    ("GPS_AUTO_CONFIG", 1.0, I8),
    ("GPS_RATE_MS", 200.0, I16),
    ("GPS_HDOP_GOOD", 140.0, I16),
    ("AHRS_EKF_TYPE", 3.0, I8),
    ("AHRS_GPS_USE", 1.0, I8),
    ("AHRS_GPS_GAIN", 1.0, F),
    ("AHRS_GPS_MINSATS", 6.0, I8),
    ("AHRS_ORIENTATION", 0.0, I8),
    ("AHRS_TRIM_X", 0.0, F),
    ("AHRS_TRIM_Y", 0.0, F),
    ("AHRS_TRIM_Z", 0.0, F),
    ("AHRS_WIND_MAX", 0.0, I8),
    ("AHRS_COMP_BETA", 0.1, F),
    ("FLTMODE1", 0.0, I8),
    ("FLTMODE2", 2.0, I8),
    ("FLTMODE3", 5.0, I8),
    ("FLTMODE4", 4.0, I8),
    ("FLTMODE5", 6.0, I8),
    ("FLTMODE6", 9.0, I8),
    ("FLTMODE_CH", 5.0, I8),
    ("FLTMODE_GCSBLOCK", 0.0, I16),
    ("INITIAL_MODE", 0.0, I8),
    ("SIMPLE", 0.0, I8),
    ("SUPER_SIMPLE", 0.0, I8),
    ("LOG_BITMASK", 176126.0, I32),
    ("LOG_BACKEND_TYPE", 1.0, I8),
    ("LOG_DISARMED", 0.0, I8),
    ("LOG_FILE_BUFSIZE", 200.0, I16),
    ("LOG_REPLAY", 0.0, I8),
    ("AVOID_ENABLE", 3.0, I8),
    ("AVOID_MARGIN", 2.0, F),
    ("AVOID_BEHAVE", 0.0, I8),
    ("AVOID_DIST_MAX", 5.0, F),
    ("AVOID_ANGLE_MAX", 1000.0, I16),
    ("RALLY_TOTAL", 0.0, I8),
    ("RALLY_LIMIT_KM", 0.3, F),
    ("RALLY_INCL_HOME", 1.0, I8),
    ("MIS_TOTAL", 0.0, I16),
    ("MIS_RESTART", 0.0, I8),
    ("MIS_OPTIONS", 0.0, I16),
    ("CIRCLE_RADIUS", 1000.0, F),
    ("CIRCLE_RATE", 20.0, F),
    ("CIRCLE_OPTIONS", 1.0, I16),
    ("GUID_OPTIONS", 0.0, I32),
    ("GUID_TIMEOUT", 3.0, F),
    ("AUTO_OPTIONS", 0.0, I32),
    ("TKOFF_SLEW_TIME", 2.0, F),
    ("TKOFF_RPM_MIN", 0.0, I16),
    ("THROW_MOT_START", 0.0, I8),
    ("WP_YAW_BEHAVIOR", 2.0, I8),
    ("WP_NAVALT_MIN", 0.0, F),
    ("ACRO_RP_RATE", 360.0, F),
    ("ACRO_Y_RATE", 202.5, F),
    ("ACRO_OPTIONS", 0.0, I8),
    ("ACRO_TRAINER", 2.0, I8),
    ("PHLD_BRAKE_RATE", 8.0, I16),
    ("PHLD_BRAKE_ANGLE", 3000.0, I16),
    ("ESC_CALIBRATION", 0.0, I8),
    ("FRAME_CLASS", 1.0, I8),
    ("FRAME_TYPE", 1.0, I8),
    ("TERRAIN_ENABLE", 1.0, I8),
    ("TERRAIN_SPACING", 100.0, I16),
    ("TERRAIN_OPTIONS", 0.0, I16),
    ("BRD_SAFETY_DEFLT", 0.0, I8),
    ("BRD_SAFETYOPTION", 3.0, I16),
    ("BRD_BOOT_DELAY", 0.0, I16),
    ("BRD_RTC_TYPES", 1.0, I8),
    ("BRD_OPTIONS", 0.0, I32),
    ("SCHED_LOOP_RATE", 400.0, I16),
    ("SCHED_DEBUG", 0.0, I8),
    ("CAN_P1_DRIVER", 0.0, I8),
    ("CAN_P2_DRIVER", 0.0, I8),
    ("CAM1_TYPE", 0.0, I8),
    ("CAM_TRIGG_TYPE", 0.0, I8),
    ("MNT1_TYPE", 0.0, I8),
    ("MNT1_DEFLT_MODE", 3.0, I8),
    ("NTF_LED_BRIGHT", 3.0, I8),
    ("NTF_BUZZ_TYPES", 5.0, I8),
    ("STAT_BOOTCNT", 12.0, I16),
    ("STAT_FLTTIME", 0.0, I32),
    ("STAT_RUNTIME", 0.0, I32),
    ("STAT_RESET", 1.0, F),
    ("RNGFND1_TYPE", 0.0, I8),
    ("PRX1_TYPE", 0.0, I8),
    ("ADSB_TYPE", 0.0, I8),
    ("DID_ENABLE", 0.0, I8),
    ("DID_OPTIONS", 0.0, I8),
    ("RC_OPTIONS", 32.0, I32),
    ("RC_OVERRIDE_TIME", 3.0, F),
    ("RC_PROTOCOLS", 1.0, I32),
    ("MSP_OPTIONS", 0.0, I8),
    ("TELEM_DELAY", 0.0, I8),
    ("GCS_PID_MASK", 0.0, I16),
    ("DEV_OPTIONS", 0.0, I32),
    ("OSD_TYPE", 0.0, I8),
    ("VTX_ENABLE", 0.0, I8),
    ("SCR_ENABLE", 0.0, I8),
    ("EK3_ENABLE", 1.0, I8),
    ("EK3_IMU_MASK", 3.0, I8),
    ("EK3_GPS_CHECK", 31.0, I8),
    ("EK3_ALT_M_NSE", 2.0, F),
    ("EK3_VELNE_M_NSE", 0.3, F),
    ("EK3_VELD_M_NSE", 0.5, F),
    ("EK3_POSNE_M_NSE", 0.5, F),
    ("EK3_MAG_M_NSE", 0.05, F),
    ("EK3_MAG_CAL", 3.0, I8),
    ("EK3_GLITCH_RAD", 25.0, I8),
    ("EK3_POS_I_GATE", 500.0, I16),
    ("EK3_VEL_I_GATE", 500.0, I16),
    ("EK3_HGT_I_GATE", 500.0, I16),
    ("EK3_MAG_I_GATE", 300.0, I16),
    ("EK3_GYRO_P_NSE", 0.015, F),
    ("EK3_ACC_P_NSE", 0.35, F),
    ("EK3_GBIAS_P_NSE", 0.001, F),
    ("EK3_ABIAS_P_NSE", 0.003, F),
    ("EK3_WIND_P_NSE", 0.2, F),
    ("EK3_WIND_PSCALE", 1.0, F),
    ("EK3_DRAG_BCOEF_X", 0.0, F),
    ("EK3_DRAG_BCOEF_Y", 0.0, F),
    ("EK3_DRAG_M_NSE", 0.5, F),
    ("EK3_DRAG_MCOEF", 0.0, F),
    ("EK3_BETA_MASK", 0.0, I8),
    ("EK3_CHECK_SCALE", 100.0, I16),
    ("EK3_NOAID_M_NSE", 10.0, F),
    ("EK3_RNG_USE_HGT", -1.0, I8),
    ("EK3_TERR_GRAD", 0.1, F),
    ("EK3_BCN_M_NSE", 1.0, F),
    ("EK3_FLOW_M_NSE", 0.25, F),
    ("EK3_MAGB_P_NSE", 0.0001, F),
    ("EK3_MAGE_P_NSE", 0.001, F),
    ("EK3_YAW_M_NSE", 0.5, F),
    ("EK3_ERR_THRESH", 0.2, F),
    ("EK3_AFFINITY", 0.0, I32),
    ("EK3_OPTIONS", 0.0, I32),
    ("EK3_SRC1_POSXY", 3.0, I8),
    ("EK3_SRC1_VELXY", 3.0, I8),
    ("EK3_SRC1_POSZ", 1.0, I8),
    ("EK3_SRC1_VELZ", 3.0, I8),
    ("EK3_SRC1_YAW", 1.0, I8),
    ("MOT_SPIN_ARM", 0.1, F),
    ("MOT_SPIN_MIN", 0.15, F),
    ("MOT_SPIN_MAX", 0.95, F),
    ("MOT_THST_EXPO", 0.65, F),
    ("MOT_THST_HOVER", 0.35, F),
    ("MOT_HOVER_LEARN", 2.0, I8),
    ("MOT_BAT_VOLT_MAX", 0.0, F),
    ("MOT_BAT_VOLT_MIN", 0.0, F),
    ("MOT_BAT_CURR_MAX", 0.0, F),
    ("MOT_PWM_TYPE", 0.0, I8),
    ("MOT_PWM_MIN", 1000.0, I16),
    ("MOT_PWM_MAX", 2000.0, I16),
    ("MOT_YAW_HEADROOM", 200.0, I16),
    ("MOT_SPOOL_TIME", 0.5, F),
    ("MOT_BOOST_SCALE", 0.0, F),
    ("MOT_SAFE_DISARM", 0.0, I8),
    ("ATC_ANG_RLL_P", 4.5, F),
    ("ATC_ANG_PIT_P", 4.5, F),
    ("ATC_ANG_YAW_P", 4.5, F),
    ("ATC_ACCEL_R_MAX", 110000.0, F),
    ("ATC_ACCEL_P_MAX", 110000.0, F),
    ("ATC_ACCEL_Y_MAX", 27000.0, F),
    ("ATC_RATE_FF_ENAB", 1.0, I8),
    ("ATC_RATE_R_MAX", 0.0, F),
    ("ATC_RATE_P_MAX", 0.0, F),
    ("ATC_RATE_Y_MAX", 0.0, F),
    ("ATC_INPUT_TC", 0.15, F),
    ("ATC_SLEW_YAW", 6000.0, F),
    ("ATC_ANG_LIM_TC", 1.0, F),
    ("ATC_THR_MIX_MIN", 0.1, F),
    ("ATC_THR_MIX_MAX", 0.5, F),
    ("ATC_THR_MIX_MAN", 0.1, F),
    ("PSC_POSXY_P", 1.0, F),
    ("PSC_VELXY_P", 2.0, F),
    ("PSC_VELXY_I", 1.0, F),
    ("PSC_VELXY_D", 0.5, F),
    ("PSC_VELXY_IMAX", 1000.0, F),
    ("PSC_VELXY_FLTE", 5.0, F),
    ("PSC_VELXY_FLTD", 5.0, F),
    ("PSC_VELXY_FF", 0.0, F),
    ("PSC_POSZ_P", 1.0, F),
    ("PSC_VELZ_P", 5.0, F),
    ("PSC_VELZ_I", 0.0, F),
    ("PSC_VELZ_FLTE", 5.0, F),
    ("PSC_ACCZ_P", 0.5, F),
    ("PSC_ACCZ_I", 1.0, F),
    ("PSC_ACCZ_D", 0.0, F),
    ("PSC_ACCZ_IMAX", 800.0, F),
    ("PSC_ACCZ_FLTD", 0.0, F),
    ("PSC_ACCZ_FLTT", 0.0, F),
    ("PSC_ANGLE_MAX", 0.0, F),
    ("PSC_JERK_XY", 5.0, F),
    ("PSC_JERK_Z", 5.0, F),
    ("INS_GYRO_FILTER", 20.0, I16),
    ("INS_ACCEL_FILTER", 20.0, I16),
    ("INS_USE", 1.0, I8),
    ("INS_USE2", 1.0, I8),
    ("INS_USE3", 1.0, I8),
    ("INS_FAST_SAMPLE", 1.0, I8),
    ("INS_GYRO_RATE", 0.0, I8),
    ("INS_STILL_THRESH", 2.5, F),
    ("INS_GYR_CAL", 1.0, I8),
    ("INS_TRIM_OPTION", 1.0, I8),
    ("INS_ACC_BODYFIX", 2.0, I8),
    ("INS_LOG_BAT_MASK", 0.0, I8),
    ("INS_LOG_BAT_OPT", 0.0, I8),
    ("INS_HNTCH_ENABLE", 0.0, I8),
    ("INS_HNTC2_ENABLE", 0.0, I8),
    ("INS_TCAL_OPTIONS", 0.0, I32),
    ("COMPASS_ENABLE", 1.0, I8),
    ("COMPASS_USE", 1.0, I8),
    ("COMPASS_USE2", 1.0, I8),
    ("COMPASS_USE3", 1.0, I8),
    ("COMPASS_AUTODEC", 1.0, I8),
    ("COMPASS_DEC", 0.0305, F),
    ("COMPASS_LEARN", 0.0, I8),
    ("COMPASS_ORIENT", 0.0, I8),
    ("COMPASS_EXTERNAL", 0.0, I8),
    ("COMPASS_MOTCT", 0.0, I8),
    ("COMPASS_AUTO_ROT", 2.0, I8),
    ("COMPASS_OFFS_MAX", 1800.0, I16),
    ("COMPASS_CAL_FIT", 16.0, F),
    ("COMPASS_OPTIONS", 0.0, I16),
    ("COMPASS_TYPEMASK", 0.0, I32),
    ("COMPASS_SCALE", 0.0, F),
    ("SIM_SPEEDUP", 1.0, F),
    ("SIM_WIND_SPD", 0.0, F),
    ("SIM_WIND_DIR", 180.0, F),
    ("SIM_WIND_TURB", 0.0, F),
    ("SIM_WIND_DIR_Z", 0.0, F),
    ("SIM_WIND_T", 0.0, I8),
    ("SIM_WIND_T_ALT", 60.0, F),
    ("SIM_WIND_T_COEF", 0.01, F),
    ("SIM_GPS_DISABLE", 0.0, I8),
    ("SIM_GPS_NUMSATS", 10.0, I8),
    ("SIM_GPS_HDOP", 100.0, I16),
    ("SIM_BATT_VOLTAGE", 16.8, F),
    ("SIM_BATT_CAP_AH", 5.0, F),
    ("SIM_ENGINE_MUL", 1.0, F),
];

/// Builds the table: the core list plus the per-instance families (servo and RC channels,
/// telemetry stream rates, serial ports, sensor calibrations) every ArduCopter reports.
pub fn default_table() -> ParamTable {
    let mut list: Vec<(String, f64, ParamType)> = CORE
        .iter()
        .map(|(n, v, t)| ((*n).to_string(), *v, *t))
        .collect();
    for i in 1..=16 {
        let function = if i <= 4 { 32.0 + f64::from(i) } else { 0.0 };
        list.push((format!("SERVO{i}_MIN"), 1100.0, I16));
        list.push((format!("SERVO{i}_MAX"), 1900.0, I16));
        list.push((format!("SERVO{i}_TRIM"), 1500.0, I16));
        list.push((format!("SERVO{i}_REVERSED"), 0.0, I8));
        list.push((format!("SERVO{i}_FUNCTION"), function, I16));
    }
    for i in 1..=16 {
        list.push((format!("RC{i}_MIN"), 1100.0, I16));
        list.push((format!("RC{i}_MAX"), 1900.0, I16));
        list.push((format!("RC{i}_TRIM"), 1500.0, I16));
        list.push((format!("RC{i}_REVERSED"), 0.0, I8));
        list.push((format!("RC{i}_DZ"), if i <= 4 { 20.0 } else { 0.0 }, I16));
        list.push((format!("RC{i}_OPTION"), 0.0, I16));
    }
    let streams = [
        "RAW_SENS", "EXT_STAT", "RC_CHAN", "RAW_CTRL", "POSITION", "EXTRA1", "EXTRA2", "EXTRA3",
        "PARAMS", "ADSB",
    ];
    for port in 0..=6 {
        for s in streams {
            list.push((
                format!("SR{port}_{s}"),
                if port == 0 { 4.0 } else { 0.0 },
                I16,
            ));
        }
    }
    for port in 0..=7 {
        let (baud, proto) = match port {
            0 => (115.0, 2.0),
            1 | 2 => (57.0, 2.0),
            3 => (38.0, 5.0),
            _ => (57.0, -1.0),
        };
        list.push((format!("SERIAL{port}_BAUD"), baud, I32));
        list.push((format!("SERIAL{port}_PROTOCOL"), proto, I8));
        list.push((format!("SERIAL{port}_OPTIONS"), 0.0, I16));
    }
    for axis in ["RLL", "PIT", "YAW"] {
        let (p, i, d) = if axis == "YAW" {
            (0.18, 0.018, 0.0)
        } else {
            (0.135, 0.135, 0.0036)
        };
        for (suffix, v) in [
            ("P", p),
            ("I", i),
            ("D", d),
            ("IMAX", 0.5),
            ("FF", 0.0),
            ("FLTT", 20.0),
            ("FLTE", if axis == "YAW" { 2.5 } else { 0.0 }),
            ("FLTD", 20.0),
            ("SMAX", 0.0),
            ("PDMX", 0.0),
        ] {
            list.push((format!("ATC_RAT_{axis}_{suffix}"), v, F));
        }
    }
    for prefix in [
        "INS_GYROFFS",
        "INS_GYR2OFFS",
        "INS_GYR3OFFS",
        "INS_ACCOFFS",
        "INS_ACC2OFFS",
        "INS_ACC3OFFS",
        "COMPASS_OFS",
        "COMPASS_OFS2",
        "COMPASS_OFS3",
        "COMPASS_MOT",
        "COMPASS_MOT2",
    ] {
        for axis in ["X", "Y", "Z"] {
            list.push((format!("{prefix}_{axis}"), 0.0, F));
        }
    }
    for prefix in [
        "INS_ACCSCAL",
        "INS_ACC2SCAL",
        "INS_ACC3SCAL",
        "COMPASS_DIA",
        "COMPASS_DIA2",
    ] {
        for axis in ["X", "Y", "Z"] {
            list.push((format!("{prefix}_{axis}"), 1.0, F));
        }
    }
    for prefix in ["COMPASS_ODI", "COMPASS_ODI2"] {
        for axis in ["X", "Y", "Z"] {
            list.push((format!("{prefix}_{axis}"), 0.0, F));
        }
    }
    for i in 1..=4 {
        list.push((format!("RELAY{i}_FUNCTION"), 0.0, I8));
        list.push((format!("RELAY{i}_PIN"), -1.0, I8));
        list.push((format!("RELAY{i}_DEFAULT"), 0.0, I8));
    }
    ParamTable::from_list(list)
}

impl ParamTable {
    pub fn from_list(list: Vec<(String, f64, ParamType)>) -> Self {
        let mut params = Vec::with_capacity(list.len());
        let mut index = HashMap::with_capacity(list.len());
        for (name, value, ptype) in list {
            if index.contains_key(&name) {
                continue;
            }
            index.insert(name.clone(), params.len());
            params.push(Param {
                name,
                value: ptype.coerce(value),
                ptype,
            });
        }
        Self { params, index }
    }
    pub fn len(&self) -> usize {
        self.params.len()
    }
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }
    pub fn get(&self, name: &str) -> Option<f64> {
        self.index.get(name).map(|&i| self.params[i].value)
    }
    /// A parameter that the simulator itself reads: a missing one is a bug in this table, so it
    /// falls back to the given default rather than panicking in flight.
    pub fn get_or(&self, name: &str, default: f64) -> f64 {
        self.get(name).unwrap_or(default)
    }
    pub fn by_index(&self, i: usize) -> Option<&Param> {
        self.params.get(i)
    }
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }
    /// Sets a parameter, coercing to its type. Returns the stored value, or None when unknown.
    pub fn set(&mut self, name: &str, value: f64) -> Option<f64> {
        let i = *self.index.get(name)?;
        if !value.is_finite() {
            return None;
        }
        let p = &mut self.params[i];
        p.value = p.ptype.coerce(value);
        Some(p.value)
    }
    pub fn iter(&self) -> impl Iterator<Item = &Param> {
        self.params.iter()
    }
}

/// Decodes the value of a PARAM_SET. ArduPilot reads the float numerically (C cast); MAVSDK and
/// some others pack integers bytewise into the float's bits. A bytewise-packed small integer is
/// a denormal or zero-exponent float, which no real parameter value is, so both are accepted.
pub fn decode_param_set(value: f32, declared_type: u8, stored: ParamType) -> f64 {
    let is_int_decl = matches!(declared_type, 1..=8);
    if is_int_decl
        && stored != ParamType::Real32
        && value != 0.0
        && (value.is_subnormal() || !value.is_finite())
    {
        let bits = value.to_bits();
        return match declared_type {
            1 => f64::from(bits as u8),
            2 => f64::from(bits as u8 as i8),
            3 => f64::from(bits as u16),
            4 => f64::from(bits as u16 as i16),
            5 => f64::from(bits),
            _ => f64::from(bits as i32),
        };
    }
    f64::from(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_realistic() {
        let t = default_table();
        assert!(t.len() > 500, "{}", t.len());
        for name in [
            "FENCE_ENABLE",
            "FENCE_TYPE",
            "FENCE_ACTION",
            "FENCE_ALT_MAX",
            "FENCE_MARGIN",
            "FS_GCS_ENABLE",
            "FS_GCS_TIMEOUT",
            "EK3_DRAG_BCOEF_X",
            "SIM_WIND_SPD",
            "SERVO16_FUNCTION",
            "SR0_POSITION",
        ] {
            assert!(t.get(name).is_some(), "{name}");
            assert!(
                name.len() <= 16,
                "{name} is longer than PARAM_VALUE's 16 chars"
            );
        }
        for p in t.iter() {
            assert!(p.name.len() <= 16, "{}", p.name);
        }
    }

    #[test]
    fn set_coerces_like_ap_param() {
        let mut t = default_table();
        assert_eq!(t.set("FENCE_ENABLE", 1.4), Some(1.0));
        assert_eq!(t.set("RTL_ALT", 1e9), Some(32767.0));
        assert_eq!(t.set("NOPE", 1.0), None);
        assert_eq!(t.set("FENCE_ALT_MAX", f64::NAN), None);
    }

    #[test]
    fn param_set_both_encodings() {
        // C-cast (ArduPilot, pymavlink): 5.0 means 5.
        assert_eq!(decode_param_set(5.0, 2, ParamType::Int8), 5.0);
        // Bytewise (MAVSDK): the bits of the float are the integer 5.
        assert_eq!(
            decode_param_set(f32::from_bits(5), 6, ParamType::Int32),
            5.0
        );
        assert_eq!(
            decode_param_set(f32::from_bits(1500), 4, ParamType::Int16),
            1500.0
        );
        // A real float parameter is never reinterpreted.
        assert_eq!(decode_param_set(2.5, 9, ParamType::Real32), 2.5);
    }
}

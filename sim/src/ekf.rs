//! The estimator as a GCS sees it: EKF3 start-up, the gyro consistency window, the GPS checks
//! the EKF runs before it sets its origin and uses the GPS, loss and recovery of GPS aiding, and
//! what EKF_STATUS_REPORT reports. Pure: the time and the GPS state come in as arguments.
//!
//! Timings follow ArduPilot 4.5 (one knob, `settle_s`, for the two 10 s windows):
//! - `AP_Arming::ins_gyros_consistent`: the gyros must agree for 10 s before arming
//!   ("Gyros inconsistent" until then; the window starts at boot, after the gyro calibration).
//! - `NavEKF3_core::calcGpsGoodToAlign`: "continuous period of 10s without fail required to set
//!   healthy, continuous period of 5s without pass required to set unhealthy"; only then does the
//!   EKF set its origin ("EKF3 IMU0 origin set") and start using the GPS ("is using GPS").
//! - `NavEKF3_core::healthy`: "Give the filter a second to settle before use".
//! - A GPS back within `tiltDriftTimeMax` (15 s) is fused again at once (the filter is still in
//!   AID_ABSOLUTE); after 15 s without aiding EKF3 falls back to constant position mode ("EKF3
//!   IMU0 stopped aiding") and needs the 10 s of good GPS again before "is using GPS".

/// ArduPilot's 10 s windows (gyro consistency, GPS good before the EKF uses it).
pub const DEFAULT_SETTLE_S: f64 = 10.0;
/// The filter needs this long (at most) after boot before it is initialised and healthy.
const INIT_MAX_S: f64 = 1.0;
/// EKF3 `calcGpsGoodToAlign`: this long without a good GPS sample and the GPS must requalify.
const GPS_UNALIGN_S: f64 = 5.0;
/// EKF3 `tiltDriftTimeMax_ms`: this long without aiding and the filter stops aiding.
const STOP_AIDING_S: f64 = 15.0;

/// Position aiding, as EKF3's `PV_AidingMode` plus its position timeout.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Aiding {
    /// AID_NONE: constant position mode (before the first GPS use, or after a long loss).
    ConstPos,
    /// AID_ABSOLUTE, fusing the GPS: the position is known.
    Gps,
    /// AID_ABSOLUTE but the GPS stopped arriving: dead reckoning, position not trusted.
    Lost { since_s: f64 },
}

/// Something the estimator announces (the vehicle turns it into ArduPilot's STATUSTEXTs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EkfEvent {
    /// "EKF3 IMU0 initialised", "AHRS: EKF3 active", tilt and yaw alignment complete.
    Initialised,
    /// The GPS receiver was found ("GPS 1: detected u-blox").
    GpsDetected,
    /// "EKF3 IMU0 origin set": home can be set.
    OriginSet,
    /// "EKF3 IMU0 is using GPS" (start, or resumption after constant position mode).
    UsingGps,
    /// "EKF3 IMU0 stopped aiding".
    StoppedAiding,
}

/// EKF_STATUS_REPORT flag values (MAVLink EKF_STATUS_FLAGS).
pub mod flags {
    pub const ATTITUDE: u16 = 1;
    pub const VELOCITY_HORIZ: u16 = 2;
    pub const VELOCITY_VERT: u16 = 4;
    pub const POS_HORIZ_REL: u16 = 8;
    pub const POS_HORIZ_ABS: u16 = 16;
    pub const POS_VERT_ABS: u16 = 32;
    pub const CONST_POS_MODE: u16 = 128;
    pub const PRED_POS_HORIZ_REL: u16 = 256;
    pub const PRED_POS_HORIZ_ABS: u16 = 512;
    pub const UNINITIALIZED: u16 = 1024;
}

/// EKF_STATUS_REPORT's "variances": EKF3 sends the square roots of its innovation test ratios
/// (below 1 passes; FS_EKF_THRESH, 0.8 by default, is compared with them).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Variances {
    pub velocity: f32,
    pub pos_horiz: f32,
    pub pos_vert: f32,
    pub compass: f32,
    pub terrain_alt: f32,
}

#[derive(Clone, Debug)]
pub struct Ekf {
    settle_s: f64,
    initialised: bool,
    gps_detected: bool,
    origin_set: bool,
    aiding: Aiding,
    /// EKF3's gpsGoodToAlign.
    good_to_align: bool,
    gps_good_since_s: Option<f64>,
    gps_bad_since_s: Option<f64>,
    /// Since when the position, once known, has been missing.
    position_lost_since_s: Option<f64>,
}

impl Ekf {
    pub fn new(settle_s: f64) -> Ekf {
        Ekf {
            settle_s: if settle_s.is_finite() {
                settle_s.max(0.0)
            } else {
                DEFAULT_SETTLE_S
            },
            initialised: false,
            gps_detected: false,
            origin_set: false,
            aiding: Aiding::ConstPos,
            good_to_align: false,
            gps_good_since_s: None,
            gps_bad_since_s: None,
            position_lost_since_s: None,
        }
    }

    pub fn settle_s(&self) -> f64 {
        self.settle_s
    }

    /// When the filter starts (scaled down with a short settle so tests can boot fast).
    fn init_s(&self) -> f64 {
        (self.settle_s * 0.1).min(INIT_MAX_S)
    }

    /// Advances to time `t_s` (sim seconds since boot) with the GPS fix as it is now.
    pub fn step(&mut self, t_s: f64, gps_fix: bool) -> Vec<EkfEvent> {
        let mut events = Vec::new();
        if !self.initialised && t_s >= self.init_s() {
            self.initialised = true;
            events.push(EkfEvent::Initialised);
        }
        if gps_fix && !self.gps_detected {
            self.gps_detected = true;
            events.push(EkfEvent::GpsDetected);
        }
        if gps_fix {
            self.gps_bad_since_s = None;
            self.gps_good_since_s.get_or_insert(t_s);
        } else {
            self.gps_good_since_s = None;
            self.gps_bad_since_s.get_or_insert(t_s);
        }
        if !self.good_to_align
            && self
                .gps_good_since_s
                .is_some_and(|s| t_s - s >= self.settle_s)
        {
            self.good_to_align = true;
        } else if self.good_to_align
            && self
                .gps_bad_since_s
                .is_some_and(|s| t_s - s > GPS_UNALIGN_S)
        {
            self.good_to_align = false;
        }
        if !self.initialised {
            return events;
        }
        let usable = gps_fix && self.good_to_align;
        if !self.origin_set && usable {
            self.origin_set = true;
            events.push(EkfEvent::OriginSet);
        }
        self.aiding = match self.aiding {
            Aiding::Gps if !gps_fix => Aiding::Lost { since_s: t_s },
            Aiding::Gps => Aiding::Gps,
            // Still in AID_ABSOLUTE: EKF3 fuses the GPS again as soon as it is back.
            Aiding::Lost { .. } if gps_fix => Aiding::Gps,
            Aiding::Lost { since_s } if t_s - since_s >= STOP_AIDING_S => {
                events.push(EkfEvent::StoppedAiding);
                Aiding::ConstPos
            }
            lost @ Aiding::Lost { .. } => lost,
            Aiding::ConstPos if usable && self.origin_set => {
                events.push(EkfEvent::UsingGps);
                Aiding::Gps
            }
            Aiding::ConstPos => Aiding::ConstPos,
        };
        match self.aiding {
            Aiding::Gps => self.position_lost_since_s = None,
            _ if self.origin_set => {
                self.position_lost_since_s.get_or_insert(t_s);
            }
            _ => {}
        }
        events
    }

    /// Puts the filter straight into GPS aiding (flight-model tests start in the air).
    pub fn force_settled(&mut self, t_s: f64) {
        self.initialised = true;
        self.gps_detected = true;
        self.origin_set = true;
        self.good_to_align = true;
        self.gps_good_since_s = Some(t_s - self.settle_s);
        self.gps_bad_since_s = None;
        self.position_lost_since_s = None;
        self.aiding = Aiding::Gps;
    }

    pub fn initialised(&self) -> bool {
        self.initialised
    }
    pub fn origin_set(&self) -> bool {
        self.origin_set
    }
    pub fn aiding(&self) -> Aiding {
        self.aiding
    }
    /// Copter's `position_ok()`: an absolute horizontal position estimate.
    pub fn has_position(&self) -> bool {
        self.aiding == Aiding::Gps
    }
    /// How long the position has been lost, once it had been known (for the EKF failsafe).
    pub fn position_lost_for_s(&self, t_s: f64) -> Option<f64> {
        self.position_lost_since_s.map(|s| t_s - s)
    }
    /// `AP_Arming::ins_gyros_consistent`: the gyros have agreed long enough.
    pub fn gyros_consistent(&self, t_s: f64) -> bool {
        t_s >= self.settle_s
    }

    /// EKF_STATUS_REPORT flags, as `NavEKF3_core::send_status_report` builds them.
    pub fn status_flags(&self) -> u16 {
        use flags::*;
        if !self.initialised {
            return UNINITIALIZED;
        }
        match self.aiding {
            Aiding::Gps => {
                ATTITUDE
                    | VELOCITY_HORIZ
                    | VELOCITY_VERT
                    | POS_HORIZ_REL
                    | POS_HORIZ_ABS
                    | POS_VERT_ABS
                    | PRED_POS_HORIZ_REL
                    | PRED_POS_HORIZ_ABS
            }
            Aiding::Lost { .. } => ATTITUDE | VELOCITY_VERT | POS_VERT_ABS,
            Aiding::ConstPos => {
                ATTITUDE | VELOCITY_HORIZ | VELOCITY_VERT | POS_VERT_ABS | CONST_POS_MODE
            }
        }
    }

    /// The innovation test ratios: small while fusing, zero in constant position mode (EKF3
    /// resets them), growing while the GPS is missing (what trips FS_EKF_THRESH).
    pub fn variances(&self, t_s: f64) -> Variances {
        if !self.initialised {
            return Variances::default();
        }
        // A slow, deterministic wobble so the values look measured.
        let w = |f: f64, phase: f64| (0.5 + 0.5 * (t_s * f + phase).sin()) as f32;
        let compass = 0.02 + 0.02 * w(0.31, 0.0);
        let pos_vert = 0.04 + 0.04 * w(0.23, 1.0);
        match self.aiding {
            Aiding::Gps => Variances {
                velocity: 0.05 + 0.08 * w(0.41, 2.0),
                pos_horiz: 0.03 + 0.05 * w(0.17, 3.0),
                pos_vert,
                compass,
                terrain_alt: 0.0,
            },
            Aiding::Lost { since_s } => {
                let grow = (0.1 + 0.5 * (t_s - since_s)).min(2.0) as f32;
                Variances {
                    velocity: grow,
                    pos_horiz: grow,
                    pos_vert,
                    compass,
                    terrain_alt: 0.0,
                }
            }
            Aiding::ConstPos => Variances {
                velocity: 0.0,
                pos_horiz: 0.0,
                pos_vert,
                compass,
                terrain_alt: 0.0,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Steps at 10 Hz from `from` to `to`, collecting (time, event).
    fn run(ekf: &mut Ekf, from: f64, to: f64, fix: impl Fn(f64) -> bool) -> Vec<(f64, EkfEvent)> {
        let mut out = Vec::new();
        let mut t = from;
        while t <= to + 1e-9 {
            for e in ekf.step(t, fix(t)) {
                out.push((t, e));
            }
            t = ((t + 0.1) * 10.0).round() / 10.0;
        }
        out
    }

    #[test]
    fn boot_like_ardupilot_default_timing() {
        // GPS fix at 2 s, the default 10 s windows: origin and GPS use at 12 s.
        let mut ekf = Ekf::new(DEFAULT_SETTLE_S);
        let ev = run(&mut ekf, 0.0, 20.0, |t| t >= 2.0);
        let at = |e: EkfEvent| ev.iter().find(|(_, x)| *x == e).map(|(t, _)| *t);
        assert_eq!(at(EkfEvent::Initialised), Some(1.0));
        assert_eq!(at(EkfEvent::GpsDetected), Some(2.0));
        assert_eq!(at(EkfEvent::OriginSet), Some(12.0));
        assert_eq!(at(EkfEvent::UsingGps), Some(12.0));
        // Origin before GPS use, as EKF3 announces them.
        let order: Vec<EkfEvent> = ev.iter().map(|(_, e)| *e).collect();
        assert_eq!(
            order,
            vec![
                EkfEvent::Initialised,
                EkfEvent::GpsDetected,
                EkfEvent::OriginSet,
                EkfEvent::UsingGps
            ]
        );
        assert!(!ekf.gyros_consistent(9.9) && ekf.gyros_consistent(10.0));
        assert!(ekf.has_position());
    }

    #[test]
    fn flags_through_boot_loss_and_recovery() {
        use flags::*;
        let mut ekf = Ekf::new(10.0);
        ekf.step(0.0, false);
        assert_eq!(ekf.status_flags(), UNINITIALIZED);
        run(&mut ekf, 0.1, 5.0, |_| true);
        let f = ekf.status_flags();
        assert!(f & CONST_POS_MODE != 0 && f & ATTITUDE != 0 && f & POS_HORIZ_ABS == 0);
        run(&mut ekf, 5.1, 20.0, |_| true);
        assert_eq!(
            ekf.status_flags(),
            831,
            "the healthy GPS value ArduPilot reports"
        );
        // A loss shorter than 15 s: aiding resumes as soon as the GPS is back, silently.
        let ev = run(&mut ekf, 20.1, 23.0, |t| t >= 22.0);
        assert!(ev.is_empty(), "{ev:?}");
        assert!(ekf.has_position());
        let ev = run(&mut ekf, 23.1, 24.0, |_| false);
        assert!(ev.is_empty() && !ekf.has_position());
        let ev = run(&mut ekf, 24.1, 29.9, |t| t >= 29.0);
        assert!(ev.is_empty() && ekf.has_position(), "{ev:?}");
        // A 20 s loss: stopped aiding after 15 s, GPS use again 10 s after the GPS is back.
        let ev = run(&mut ekf, 30.0, 60.0, |t| !(30.0..50.0).contains(&t));
        assert_eq!(
            ev,
            vec![(45.0, EkfEvent::StoppedAiding), (60.0, EkfEvent::UsingGps)]
        );
    }

    #[test]
    fn position_lost_timer_and_variances_grow_without_gps() {
        let mut ekf = Ekf::new(0.0);
        run(&mut ekf, 0.0, 1.0, |_| true);
        assert!(ekf.has_position());
        assert!(ekf.variances(1.0).velocity < 0.2);
        run(&mut ekf, 1.1, 3.0, |_| false);
        let lost = ekf.position_lost_for_s(3.0).expect("lost");
        assert!((lost - 1.9).abs() < 1e-6, "{lost}");
        assert!(ekf.variances(3.0).velocity > 0.8, "above FS_EKF_THRESH");
        // A vehicle that never had a position has not "lost" it.
        let fresh = Ekf::new(10.0);
        assert_eq!(fresh.position_lost_for_s(3.0), None);
    }

    #[test]
    fn a_zero_settle_is_ready_at_the_first_step() {
        let mut ekf = Ekf::new(0.0);
        let ev = ekf.step(0.0, true);
        assert!(ev.contains(&EkfEvent::UsingGps), "{ev:?}");
        assert!(ekf.gyros_consistent(0.0));
    }
}

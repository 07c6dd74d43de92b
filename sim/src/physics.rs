//! The flight model: a point-mass multicopter in a wind field, its battery and its GPS.
//!
//! Everything here is deterministic given the seed; nothing reads a clock.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::geo::{GRAVITY_MSS, V3, wrap_pi};

/// Physical constants of one airframe.
#[derive(Clone, Debug)]
pub struct Airframe {
    pub mass_kg: f64,
    /// Quadratic air-relative drag: a_drag = -k |v_air| v_air (1/m). 0.014 gives a top airspeed of
    /// about 20 m/s at 30 degrees of tilt, like a 1.5 kg camera quad.
    pub drag_k_per_m: f64,
    /// Current drawn in a hover at full thrust capability (A).
    pub hover_current_a: f64,
    /// Flight controller, GPS, radio and camera (A).
    pub avionics_current_a: f64,
    /// Thrust-to-weight ratio at full throttle.
    pub thrust_to_weight: f64,
    /// Induced velocity of the rotors in a hover (m/s): sqrt(W / (2 rho A)), ~5.6 for 4 x 10".
    pub hover_induced_mps: f64,
}

impl Default for Airframe {
    fn default() -> Self {
        Self {
            mass_kg: 1.6,
            drag_k_per_m: 0.014,
            hover_current_a: 13.0,
            avionics_current_a: 0.8,
            thrust_to_weight: 2.2,
            hover_induced_mps: 5.6,
        }
    }
}

/// Wind as a scenario describes it at a moment: the 10 m mean, the gust peak and turbulence.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WindSetting {
    /// Where the wind comes FROM, degrees true.
    pub from_deg: f64,
    pub mean_mps: f64,
    /// Peak speed of gusts (>= mean); equal to the mean means no gusts.
    pub gust_mps: f64,
    /// Turbulence intensity: standard deviation as a fraction of the mean (0.1 .. 0.2 is typical).
    pub turbulence: f64,
}

impl WindSetting {
    pub const CALM: WindSetting = WindSetting {
        from_deg: 0.0,
        mean_mps: 0.0,
        gust_mps: 0.0,
        turbulence: 0.0,
    };
}

/// A wind field: mean + discrete gusts (1-cosine shape) + Gauss-Markov turbulence, with a
/// power-law shear so the wind at 120 m is about 1.4 times the 10 m wind.
#[derive(Clone, Debug)]
pub struct WindModel {
    pub setting: WindSetting,
    /// Power-law shear exponent (1/7 over open terrain); 0 disables shear.
    pub shear_exponent: f64,
    gust: Option<Gust>,
    next_gust_in_s: f64,
    turb: V3,
    rng: ChaCha8Rng,
}

#[derive(Clone, Copy, Debug)]
struct Gust {
    elapsed_s: f64,
    duration_s: f64,
    extra_mps: f64,
}

impl WindModel {
    pub fn new(setting: WindSetting, rng: ChaCha8Rng) -> Self {
        Self {
            setting,
            shear_exponent: 1.0 / 7.0,
            gust: None,
            next_gust_in_s: 20.0,
            turb: V3::ZERO,
            rng,
        }
    }

    /// Forces a gust now (fault injection): `peak_mps` total speed for `duration_s`.
    pub fn force_gust(&mut self, peak_mps: f64, duration_s: f64) {
        let extra = (peak_mps - self.setting.mean_mps).max(0.0);
        self.gust = Some(Gust {
            elapsed_s: 0.0,
            duration_s: duration_s.max(0.5),
            extra_mps: extra,
        });
    }

    pub fn step(&mut self, dt: f64) {
        let s = self.setting;
        // Discrete gusts: Poisson arrivals, 3-8 s long, peaks spread up to the gust speed.
        if let Some(g) = &mut self.gust {
            g.elapsed_s += dt;
            if g.elapsed_s >= g.duration_s {
                self.gust = None;
            }
        } else if s.gust_mps > s.mean_mps {
            self.next_gust_in_s -= dt;
            if self.next_gust_in_s <= 0.0 {
                let frac: f64 = self.rng.random_range(0.5..=1.0);
                self.gust = Some(Gust {
                    elapsed_s: 0.0,
                    duration_s: self.rng.random_range(3.0..8.0),
                    extra_mps: (s.gust_mps - s.mean_mps) * frac,
                });
                self.next_gust_in_s = self.rng.random_range(8.0..40.0);
            }
        }
        // First-order Gauss-Markov turbulence, time constant 2 s.
        let tau = 2.0;
        let sigma = s.turbulence * s.mean_mps;
        let a = (-dt / tau).exp();
        let b = sigma * (1.0 - a * a).sqrt();
        self.turb = V3::new(
            a * self.turb.n + b * self.gauss(),
            a * self.turb.e + b * self.gauss(),
            a * self.turb.d + 0.3 * b * self.gauss(),
        );
    }

    fn gauss(&mut self) -> f64 {
        // Box-Muller: rand 0.9's core has no normal distribution without rand_distr.
        let u1: f64 = self.rng.random_range(1e-12..1.0);
        let u2: f64 = self.rng.random_range(0.0..1.0);
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Horizontal speed of the wind (mean + gust) at 10 m, without turbulence.
    pub fn speed_10m_mps(&self) -> f64 {
        let gust = self.gust.map_or(0.0, |g| {
            g.extra_mps * 0.5 * (1.0 - (std::f64::consts::TAU * g.elapsed_s / g.duration_s).cos())
        });
        self.setting.mean_mps + gust
    }

    /// Velocity of the air (NED, m/s) at a height above ground.
    pub fn air_velocity_ned(&self, height_agl_m: f64) -> V3 {
        let shear = if self.shear_exponent > 0.0 {
            (height_agl_m.max(2.0) / 10.0)
                .powf(self.shear_exponent)
                .min(1.6)
        } else {
            1.0
        };
        let speed = self.speed_10m_mps() * shear;
        air_velocity_from(self.setting.from_deg, speed) + self.turb
    }
}

/// NED velocity of air blowing FROM `from_deg` at `speed_mps`.
pub fn air_velocity_from(from_deg: f64, speed_mps: f64) -> V3 {
    let r = from_deg.to_radians();
    V3::new(-speed_mps * r.cos(), -speed_mps * r.sin(), 0.0)
}

/// Distance a vehicle that starts at rest and holds a level attitude drifts in a steady wind
/// `w` (m/s) after `t` seconds, under quadratic drag `k`: dv/dt = k (w - v)^2, so
/// v = w - w / (1 + k w t) and x = w t - ln(1 + k w t) / k.
pub fn level_drift_m(w_mps: f64, k_per_m: f64, t_s: f64) -> f64 {
    if w_mps <= 0.0 {
        return 0.0;
    }
    w_mps * t_s - (1.0 + k_per_m * w_mps * t_s).ln() / k_per_m
}

/// A LiPo pack: open-circuit voltage from state of charge, internal resistance sag.
#[derive(Clone, Debug)]
pub struct Battery {
    pub capacity_mah: f64,
    pub cells: u8,
    pub internal_r_ohm: f64,
    pub consumed_mah: f64,
    pub current_a: f64,
    pub voltage_v: f64,
}

/// LiPo resting cell voltage against state of charge (0..1); a common discharge curve.
const CELL_OCV: [(f64, f64); 9] = [
    (0.00, 3.27),
    (0.05, 3.50),
    (0.10, 3.61),
    (0.20, 3.69),
    (0.40, 3.77),
    (0.60, 3.85),
    (0.80, 3.98),
    (0.95, 4.13),
    (1.00, 4.20),
];

pub fn cell_ocv(soc: f64) -> f64 {
    let soc = soc.clamp(0.0, 1.0);
    for w in CELL_OCV.windows(2) {
        let ((s0, v0), (s1, v1)) = (w[0], w[1]);
        if soc <= s1 {
            return v0 + (v1 - v0) * (soc - s0) / (s1 - s0);
        }
    }
    4.20
}

impl Battery {
    pub fn new(capacity_mah: f64, cells: u8) -> Self {
        let mut b = Self {
            capacity_mah,
            cells,
            internal_r_ohm: 0.012 * f64::from(cells),
            consumed_mah: 0.0,
            current_a: 0.0,
            voltage_v: 0.0,
        };
        b.update_voltage();
        b
    }
    pub fn soc(&self) -> f64 {
        (1.0 - self.consumed_mah / self.capacity_mah.max(1.0)).clamp(0.0, 1.0)
    }
    pub fn remaining_pct(&self) -> f64 {
        self.soc() * 100.0
    }
    /// Removes a fraction of the capacity at once (a fault: a cell failing, a cold pack).
    pub fn drop_pct(&mut self, pct: f64) {
        self.consumed_mah =
            (self.consumed_mah + self.capacity_mah * pct / 100.0).min(self.capacity_mah);
        self.update_voltage();
    }
    fn update_voltage(&mut self) {
        let ocv = cell_ocv(self.soc()) * f64::from(self.cells);
        self.voltage_v = (ocv - self.current_a * self.internal_r_ohm).max(0.0);
    }
    pub fn step(&mut self, dt: f64, current_a: f64) {
        self.current_a = current_a;
        self.consumed_mah += current_a * dt / 3.6;
        self.update_voltage();
    }
}

/// Electrical current (A) for a thrust demand at an airspeed: induced power from momentum
/// theory (Glauert's forward-flight inflow, so it falls with airspeed: translational lift) times
/// thrust^1.5, plus parasitic power D * v. The sum is the familiar U-shaped power curve.
pub fn motor_current_a(
    frame: &Airframe,
    thrust_ratio: f64,
    airspeed_mps: f64,
    pack_voltage_v: f64,
) -> f64 {
    let x = (airspeed_mps / frame.hover_induced_mps.max(0.5)).powi(2);
    let induced = ((x * x / 4.0 + 1.0).sqrt() - x / 2.0).max(0.0).sqrt();
    let induced_a = frame.hover_current_a * induced * thrust_ratio.max(0.0).powf(1.5);
    let parasite_w = frame.mass_kg * frame.drag_k_per_m * airspeed_mps.powi(3);
    induced_a + parasite_w / (0.7 * pack_voltage_v.max(1.0))
}

/// GPS receiver: fix quality and position noise (a slow random walk like a real receiver's).
#[derive(Clone, Debug)]
pub struct Gps {
    pub lost: bool,
    pub sats: u8,
    pub hdop: f64,
    noise: V3,
    rng: ChaCha8Rng,
}

impl Gps {
    pub fn new(rng: ChaCha8Rng) -> Self {
        Self {
            lost: false,
            sats: 14,
            hdop: 0.7,
            noise: V3::ZERO,
            rng,
        }
    }
    pub fn fix_type(&self) -> u8 {
        if self.lost { 1 } else { 3 }
    }
    pub fn has_3d_fix(&self) -> bool {
        !self.lost
    }
    pub fn step(&mut self, dt: f64) {
        let a = (-dt / 30.0).exp();
        let b = 0.6 * (1.0 - a * a).sqrt();
        let (n, e, d): (f64, f64, f64) = (
            self.rng.random_range(-1.7..1.7),
            self.rng.random_range(-1.7..1.7),
            self.rng.random_range(-1.7..1.7),
        );
        self.noise = V3::new(
            a * self.noise.n + b * n,
            a * self.noise.e + b * e,
            a * self.noise.d + 1.5 * b * d,
        );
    }
    /// The error this receiver currently adds to the true position (m).
    pub fn error(&self) -> V3 {
        self.noise
    }
    pub fn visible_sats(&self) -> u8 {
        if self.lost { 0 } else { self.sats }
    }
}

/// Kinematic state of the vehicle body.
#[derive(Clone, Debug, Default)]
pub struct Body {
    /// Position from the origin (home at start), NED metres; `d` is negative above the origin.
    pub pos: V3,
    pub vel: V3,
    pub yaw_rad: f64,
    pub yaw_rate_rps: f64,
    pub roll_rad: f64,
    pub pitch_rad: f64,
    pub on_ground: bool,
    /// Thrust over weight during the last step.
    pub thrust_ratio: f64,
}

/// What the attitude/thrust loops ask of the body for one step.
#[derive(Clone, Copy, Debug, Default)]
pub struct Demand {
    /// Horizontal acceleration produced by tilting the thrust vector (NED, m/s^2; `d` ignored).
    pub accel_h: V3,
    /// Wanted vertical speed (NED down positive, m/s).
    pub vel_d: f64,
    pub yaw_rad: f64,
    /// Motors spinning (armed and not in a spool-down).
    pub motors_on: bool,
}

impl Body {
    /// Advances the body by `dt` seconds. `thrust_scale` < 1 models weak motors.
    pub fn step(
        &mut self,
        dt: f64,
        demand: &Demand,
        air_vel: V3,
        frame: &Airframe,
        ground_d: f64,
        thrust_scale: f64,
    ) {
        let air_rel = self.vel - air_vel;
        let drag = air_rel * (-frame.drag_k_per_m * air_rel.norm());
        if !demand.motors_on {
            self.thrust_ratio = 0.0;
            if self.on_ground {
                self.vel = V3::ZERO;
            } else {
                self.vel += (V3::new(0.0, 0.0, GRAVITY_MSS) + drag) * dt;
                self.pos += self.vel * dt;
            }
            self.settle(ground_d);
            self.roll_rad *= 0.9;
            self.pitch_rad *= 0.9;
            return;
        }
        if self.on_ground && demand.vel_d >= -0.05 {
            // Spinning on the ground without a climb demand: the vehicle sits still.
            self.vel = V3::ZERO;
            self.thrust_ratio = 0.15;
            self.roll_rad = 0.0;
            self.pitch_rad = 0.0;
            self.yaw_rate_rps = 0.0;
            return;
        }
        let max_thrust = frame.thrust_to_weight * thrust_scale.clamp(0.0, 1.0);
        // Vertical: a first-order velocity loop (tau 0.4 s) inside the thrust limits.
        let az_cmd = ((demand.vel_d - self.vel.d) / 0.4).clamp(
            -GRAVITY_MSS * (max_thrust - 1.0).max(0.0),
            GRAVITY_MSS * 0.8,
        );
        // Horizontal thrust share cannot exceed what is left after holding altitude.
        let vert_thrust = (GRAVITY_MSS - az_cmd).max(0.0);
        let max_h = ((max_thrust * GRAVITY_MSS).powi(2) - vert_thrust.powi(2))
            .max(0.0)
            .sqrt();
        let ah = demand.accel_h.horizontal().limit_h(max_h);
        let thrust_acc = (vert_thrust * vert_thrust + ah.norm_h().powi(2)).sqrt();
        self.thrust_ratio = thrust_acc / GRAVITY_MSS;
        // Vertical drag is small against the loop; keep only the horizontal drag on the body.
        let acc = V3::new(ah.n + drag.n, ah.e + drag.e, az_cmd + drag.d * 0.2);
        self.vel += acc * dt;
        self.pos += self.vel * dt;
        if self.on_ground && demand.vel_d < -0.05 && thrust_acc > GRAVITY_MSS * 1.01 {
            self.on_ground = false;
        }
        self.settle(ground_d);
        // Attitude follows the thrust vector, expressed in the body frame.
        let (s, c) = self.yaw_rad.sin_cos();
        let fwd = ah.n * c + ah.e * s;
        let right = -ah.n * s + ah.e * c;
        let g = vert_thrust.max(0.1);
        self.pitch_rad = -(fwd / g).atan();
        self.roll_rad = (right / g).atan();
        // Yaw: rate-limited towards the demand (ArduCopter's default ATC_RATE_Y_MAX is about 60 deg/s).
        let err = wrap_pi(demand.yaw_rad - self.yaw_rad);
        let max_rate = 60f64.to_radians();
        self.yaw_rate_rps = (err * 2.0).clamp(-max_rate, max_rate);
        self.yaw_rad = wrap_pi(self.yaw_rad + self.yaw_rate_rps * dt);
    }

    fn settle(&mut self, ground_d: f64) {
        if self.pos.d >= ground_d {
            self.pos.d = ground_d;
            if self.vel.d > 0.0 || self.on_ground {
                self.on_ground = true;
                self.vel = V3::ZERO;
            }
        }
    }

    pub fn height_above(&self, ground_d: f64) -> f64 {
        ground_d - self.pos.d
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn battery_curve_is_monotonic_and_sags_under_load() {
        let mut last = 0.0;
        for i in 0..=100 {
            let v = cell_ocv(f64::from(i) / 100.0);
            assert!(v >= last);
            last = v;
        }
        let mut b = Battery::new(5000.0, 4);
        assert!((b.voltage_v - 16.8).abs() < 1e-9);
        b.step(1.0, 20.0);
        assert!(b.voltage_v < 16.8 - 0.5);
    }

    #[test]
    fn power_curve_is_u_shaped() {
        let f = Airframe::default();
        let hover = motor_current_a(&f, 1.0, 0.0, 14.8);
        let cruise = motor_current_a(&f, 1.02, 8.0, 14.8);
        let fast = motor_current_a(&f, 1.1, 18.0, 14.8);
        assert!((hover - f.hover_current_a).abs() < 1e-9);
        assert!(cruise < hover && fast > hover, "{hover} {cruise} {fast}");
    }

    #[test]
    fn wind_direction_convention_is_from() {
        // A wind FROM the north blows the air towards the south.
        let v = air_velocity_from(0.0, 10.0);
        assert!((v.n + 10.0).abs() < 1e-9 && v.e.abs() < 1e-9);
        // Mistral from 330 degrees pushes south-east.
        let v = air_velocity_from(330.0, 10.0);
        assert!(v.n < 0.0 && v.e > 0.0);
    }

    #[test]
    fn gusts_stay_between_mean_and_peak() {
        let s = WindSetting {
            from_deg: 330.0,
            mean_mps: 13.9,
            gust_mps: 25.0,
            turbulence: 0.0,
        };
        let mut w = WindModel::new(s, ChaCha8Rng::seed_from_u64(3));
        let mut max: f64 = 0.0;
        for _ in 0..(600 * 50) {
            w.step(0.02);
            let sp = w.speed_10m_mps();
            assert!((13.9 - 1e-9..=25.0 + 1e-9).contains(&sp));
            max = max.max(sp);
        }
        assert!(max > 20.0, "ten minutes of mistral must gust: {max}");
    }
}

//! Flight limits (`rules/limits.toml`), embedded by default and overridable by the operator.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::ConfigError;

/// The shipped limits file.
pub const EMBEDDED_LIMITS_TOML: &str = include_str!("../rules/limits.toml");

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CeilingLimits {
    pub max_agl_m: f64,
    pub terrain_relief_m: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AirframeWind {
    pub takeoff_limit_kmh: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WindLimits {
    pub takeoff_limit_kmh: f64,
    pub warn_fraction: f64,
    pub hysteresis_kmh: f64,
    pub hysteresis_hold_s: i64,
    pub stale_anemometer_s: i64,
    pub stale_metar_s: i64,
    pub stale_vehicle_s: i64,
    pub airframe: BTreeMap<String, AirframeWind>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct AirframePerf {
    pub endurance_min: Option<f64>,
    pub cruise_mps: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VehicleLimits {
    pub min_fix_type: u8,
    pub min_satellites: u8,
    pub max_fix_age_s: f64,
    pub reserve_battery_pct: f64,
    pub default_endurance_min: f64,
    pub default_cruise_mps: f64,
    pub airframe: BTreeMap<String, AirframePerf>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PilotLimits {
    pub recency_days: i64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthorisationLimits {
    pub max_validity_days: i64,
    pub finalites: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ZoneLimits {
    pub leg_margin_m: f64,
    pub default_h_accuracy_m: f64,
    pub fence_lookahead_m: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FenceLimits {
    pub circle_segments: usize,
    pub simplify_margin_m: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BreachLimits {
    pub warn_time_s: f64,
    pub warn_distance_m: f64,
}

/// Every numeric limit the rules use.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    pub ceiling: CeilingLimits,
    pub wind: WindLimits,
    pub vehicle: VehicleLimits,
    pub pilot: PilotLimits,
    pub authorisation: AuthorisationLimits,
    pub zones: ZoneLimits,
    pub fence: FenceLimits,
    pub breach: BreachLimits,
    pub traffic: crate::traffic::TrafficLimits,
    pub link: crate::link::LinkLimits,
    pub remote_id: crate::remote_id::RemoteIdLimits,
}

// Defaults equal the shipped file (a test checks they agree), so a partial operator file works.
impl Default for CeilingLimits {
    fn default() -> Self {
        Self {
            max_agl_m: 120.0,
            terrain_relief_m: 10.0,
        }
    }
}
impl Default for WindLimits {
    fn default() -> Self {
        Self {
            takeoff_limit_kmh: 50.0,
            warn_fraction: 0.8,
            hysteresis_kmh: 5.0,
            hysteresis_hold_s: 300,
            stale_anemometer_s: 120,
            stale_metar_s: 5400,
            stale_vehicle_s: 30,
            airframe: BTreeMap::from([(
                "ANAFI Ai".to_string(),
                AirframeWind {
                    takeoff_limit_kmh: 43.2,
                },
            )]),
        }
    }
}
impl Default for VehicleLimits {
    fn default() -> Self {
        Self {
            min_fix_type: 3,
            min_satellites: 8,
            max_fix_age_s: 3.0,
            reserve_battery_pct: 25.0,
            default_endurance_min: 25.0,
            default_cruise_mps: 8.0,
            airframe: BTreeMap::from([
                (
                    "ANAFI Ai".to_string(),
                    AirframePerf {
                        endurance_min: Some(32.0),
                        cruise_mps: Some(10.0),
                    },
                ),
                (
                    // The built-in simulator's quadcopter (sim/README.md).
                    "vigie-sim".to_string(),
                    AirframePerf {
                        endurance_min: Some(35.0),
                        cruise_mps: Some(10.0),
                    },
                ),
            ]),
        }
    }
}
impl Default for PilotLimits {
    fn default() -> Self {
        Self { recency_days: 90 }
    }
}
impl Default for AuthorisationLimits {
    fn default() -> Self {
        Self {
            max_validity_days: 92,
            finalites: [
                "protection_lieux_exposes",
                "securite_rassemblements",
                "prevention_terrorisme",
                "regulation_flux_transport",
                "surveillance_frontieres",
                "secours_personnes",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}
impl Default for ZoneLimits {
    fn default() -> Self {
        Self {
            leg_margin_m: 20.0,
            default_h_accuracy_m: 10.0,
            fence_lookahead_m: 3000.0,
        }
    }
}
impl Default for FenceLimits {
    fn default() -> Self {
        Self {
            circle_segments: 16,
            simplify_margin_m: 1.0,
        }
    }
}
impl Default for BreachLimits {
    fn default() -> Self {
        Self {
            warn_time_s: 30.0,
            warn_distance_m: 50.0,
        }
    }
}

impl Limits {
    /// The shipped `rules/limits.toml`. It is tested to parse, so failure falls back to the
    /// identical compiled-in defaults rather than panicking.
    pub fn default_embedded() -> Self {
        Self::from_toml(EMBEDDED_LIMITS_TOML, "embedded:rules/limits.toml").unwrap_or_default()
    }

    /// Parse and validate a limits file; `file` names it in errors.
    pub fn from_toml(text: &str, file: &str) -> Result<Self, ConfigError> {
        let limits: Limits = toml::from_str(text).map_err(|e| ConfigError::toml(file, &e))?;
        limits.validate(file)?;
        Ok(limits)
    }

    fn validate(&self, file: &str) -> Result<(), ConfigError> {
        let bad = |field: &str, problem: &str| Err(ConfigError::field(file, field, problem));
        let pos = |x: f64| x.is_finite() && x > 0.0;
        if !pos(self.ceiling.max_agl_m) {
            return bad("ceiling.max_agl_m", "must be a positive number of metres");
        }
        if !(self.ceiling.terrain_relief_m.is_finite() && self.ceiling.terrain_relief_m >= 0.0) {
            return bad("ceiling.terrain_relief_m", "must be ≥ 0");
        }
        if !pos(self.wind.takeoff_limit_kmh) {
            return bad("wind.takeoff_limit_kmh", "must be a positive speed in km/h");
        }
        for (name, a) in &self.wind.airframe {
            if !pos(a.takeoff_limit_kmh) {
                return bad(
                    &format!("wind.airframe.\"{name}\".takeoff_limit_kmh"),
                    "must be a positive speed in km/h",
                );
            }
        }
        if !(self.wind.warn_fraction > 0.0 && self.wind.warn_fraction <= 1.0) {
            return bad("wind.warn_fraction", "must be in (0, 1]");
        }
        if !(self.wind.hysteresis_kmh >= 0.0
            && self.wind.hysteresis_kmh < self.wind.takeoff_limit_kmh)
        {
            return bad(
                "wind.hysteresis_kmh",
                "must be ≥ 0 and below the take-off limit",
            );
        }
        if self.wind.stale_anemometer_s <= 0
            || self.wind.stale_metar_s <= 0
            || self.wind.stale_vehicle_s <= 0
        {
            return bad(
                "wind.stale_*_s",
                "staleness limits must be positive seconds",
            );
        }
        if !(0.0..100.0).contains(&self.vehicle.reserve_battery_pct) {
            return bad("vehicle.reserve_battery_pct", "must be in [0, 100)");
        }
        if !pos(self.vehicle.default_endurance_min) || !pos(self.vehicle.default_cruise_mps) {
            return bad(
                "vehicle.default_endurance_min",
                "endurance and cruise speed must be positive",
            );
        }
        if self.pilot.recency_days <= 0 {
            return bad("pilot.recency_days", "must be a positive number of days");
        }
        if self.authorisation.finalites.is_empty() {
            return bad(
                "authorisation.finalites",
                "list at least one finalité (R242-8 I)",
            );
        }
        if self.fence.circle_segments < 3 {
            return bad("fence.circle_segments", "must be at least 3");
        }
        if !(self.zones.leg_margin_m >= 0.0 && self.zones.default_h_accuracy_m >= 0.0) {
            return bad("zones.leg_margin_m", "margins must be ≥ 0");
        }
        if !(self.remote_id.stale_s.is_finite() && self.remote_id.stale_s > 0.0) {
            return bad("remote_id.stale_s", "must be a positive number of seconds");
        }
        self.traffic.validate(file)
    }

    /// Take-off wind limit for an airframe (its override, or the general one), m/s.
    pub fn takeoff_wind_limit_mps(&self, airframe: &str) -> f64 {
        self.wind
            .airframe
            .get(airframe)
            .map_or(self.wind.takeoff_limit_kmh, |a| a.takeoff_limit_kmh)
            * crate::types::MPS_PER_KMH
    }

    pub fn endurance_min(&self, airframe: &str) -> f64 {
        self.vehicle
            .airframe
            .get(airframe)
            .and_then(|a| a.endurance_min)
            .unwrap_or(self.vehicle.default_endurance_min)
    }

    pub fn cruise_mps(&self, airframe: &str) -> f64 {
        self.vehicle
            .airframe
            .get(airframe)
            .and_then(|a| a.cruise_mps)
            .unwrap_or(self.vehicle.default_cruise_mps)
    }
}

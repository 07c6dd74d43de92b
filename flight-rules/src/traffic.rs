//! Manned traffic (ADS-B / Mode S, from an SBS-1 feed or MAVLink ADSB_VEHICLE) and the proximity
//! rule `TRAFFIC-NEARBY`: refuse take-off while traffic is within the take-off radius, and alarm in
//! flight when it comes within a distance and a height of the drone.
//!
//! Altitudes keep their reference: what SBS-1 and ADS-B barometric reports carry is a **pressure
//! altitude** on the standard 1013.25 hPa setting, not an AMSL altitude. Read as AMSL it is off by
//! about 8 m (27 ft) per hPa of QNH away from 1013.25, so the rule widens it by
//! `traffic.pressure_alt_margin_ft` instead of pretending it is exact.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::ConfigError;
use crate::message::Message;
use crate::rules::{Finding, RuleSet, Severity, Situation, rule_id};
use crate::types::{Containment, Interval, LatLon, M_PER_FT};

/// A 24-bit ICAO aircraft address (Mode S), shown as six hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct IcaoAddress(pub u32);

impl std::fmt::Display for IcaoAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:06X}", self.0)
    }
}

impl std::str::FromStr for IcaoAddress {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!(
                "ICAO address {s:?} is not six hex digits (e.g. 39C4A5)"
            ));
        }
        u32::from_str_radix(s, 16)
            .map(IcaoAddress)
            .map_err(|e| format!("ICAO address {s:?}: {e}"))
    }
}

impl From<IcaoAddress> for String {
    fn from(a: IcaoAddress) -> String {
        a.to_string()
    }
}

impl TryFrom<String> for IcaoAddress {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// What a traffic altitude is measured from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum TrafficAltRef {
    /// Pressure altitude on the standard setting (1013.25 hPa): SBS-1's altitude field, Mode S
    /// and ADS-B barometric altitude. AMSL only when the QNH is 1013.25.
    #[default]
    PressureStd,
    /// Above mean sea level (a QNH-corrected pressure altitude, or a GNSS altitude above the geoid).
    Amsl,
    /// Above the WGS84 ellipsoid (GNSS height; SBS-1 writes it with an `H` suffix).
    Wgs84,
}

/// One manned aircraft as the station last heard it. Each part carries the time it was heard,
/// because an identification message does not refresh a position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Traffic {
    pub icao: IcaoAddress,
    /// Flight identification (callsign or registration), trimmed; None until heard.
    pub callsign: Option<String>,
    pub position: Option<LatLon>,
    pub position_at: Option<DateTime<Utc>>,
    /// Altitude in metres, measured from `alt_ref`.
    pub alt_m: Option<f64>,
    pub alt_ref: TrafficAltRef,
    pub ground_speed_mps: Option<f64>,
    /// Track over the ground, degrees true.
    pub track_deg: Option<f64>,
    /// Positive climbing.
    pub vertical_rate_mps: Option<f64>,
    /// Mode A code, four octal digits.
    pub squawk: Option<String>,
    pub on_ground: Option<bool>,
    pub last_seen: DateTime<Utc>,
}

impl Traffic {
    pub fn new(icao: IcaoAddress, seen: DateTime<Utc>) -> Self {
        Self {
            icao,
            callsign: None,
            position: None,
            position_at: None,
            alt_m: None,
            alt_ref: TrafficAltRef::PressureStd,
            ground_speed_mps: None,
            track_deg: None,
            vertical_rate_mps: None,
            squawk: None,
            on_ground: None,
            last_seen: seen,
        }
    }

    /// `DRAGON13 (ICAO 39C4A5)`, or `ICAO 39C4A5` before the identification is heard.
    pub fn label(&self) -> String {
        match &self.callsign {
            Some(c) => format!("{c} (ICAO {})", self.icao),
            None => format!("ICAO {}", self.icao),
        }
    }

    /// The AMSL interval the aircraft may be at, metres; None when its altitude is unknown.
    pub fn alt_amsl_interval(
        &self,
        limits: &TrafficLimits,
        geoid_m: Option<f64>,
    ) -> Option<Interval> {
        let v = self.alt_m.filter(|a| a.is_finite())?;
        Some(match self.alt_ref {
            TrafficAltRef::Amsl => Interval::point(v),
            TrafficAltRef::PressureStd => {
                Interval::point(v).widen(limits.pressure_alt_margin_ft * M_PER_FT)
            }
            // Geoid undulation lies within about −110 … +90 m worldwide.
            TrafficAltRef::Wgs84 => match geoid_m {
                Some(n) => Interval::point(v - n),
                None => Interval::new(v - 90.0, v + 110.0),
            },
        })
    }
}

/// `[traffic]` of limits.toml.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrafficLimits {
    /// In flight: alarm when traffic is within this horizontal distance …
    pub alarm_distance_m: f64,
    /// … and within this height above or below the drone.
    pub alarm_height_ft: f64,
    /// Before take-off: refuse while traffic is within this radius of the take-off point …
    pub takeoff_radius_m: f64,
    /// … and within this height of the operating column (ground to the ceiling).
    pub takeoff_height_ft: f64,
    /// A traffic position older than this is ignored.
    pub stale_s: f64,
    /// Pressure altitude (1013.25 hPa) is read as AMSL ± this.
    pub pressure_alt_margin_ft: f64,
    /// When the traffic's velocity is unknown, assume it may have flown this fast since its
    /// last position.
    pub unknown_speed_mps: f64,
}

impl Default for TrafficLimits {
    fn default() -> Self {
        Self {
            alarm_distance_m: 1000.0,
            alarm_height_ft: 500.0,
            takeoff_radius_m: 2000.0,
            takeoff_height_ft: 1000.0,
            stale_s: 30.0,
            pressure_alt_margin_ft: 300.0,
            unknown_speed_mps: 70.0,
        }
    }
}

impl TrafficLimits {
    pub(crate) fn validate(&self, file: &str) -> Result<(), ConfigError> {
        let checks = [
            ("traffic.alarm_distance_m", self.alarm_distance_m),
            ("traffic.alarm_height_ft", self.alarm_height_ft),
            ("traffic.takeoff_radius_m", self.takeoff_radius_m),
            ("traffic.takeoff_height_ft", self.takeoff_height_ft),
            ("traffic.stale_s", self.stale_s),
        ];
        for (field, v) in checks {
            if !(v.is_finite() && v > 0.0) {
                return Err(ConfigError::field(file, field, "must be a positive number"));
            }
        }
        for (field, v) in [
            (
                "traffic.pressure_alt_margin_ft",
                self.pressure_alt_margin_ft,
            ),
            ("traffic.unknown_speed_mps", self.unknown_speed_mps),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(ConfigError::field(file, field, "must be ≥ 0"));
            }
        }
        Ok(())
    }
}

/// Where the drone is, for the proximity rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ownship {
    pub pos: LatLon,
    pub h_accuracy_m: f64,
    /// AMSL interval the drone occupies (before take-off: the column from the ground to the
    /// ceiling); unbounded when unknown.
    pub alt_amsl: Interval,
}

/// How one aircraft stands against a distance and a height limit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrafficProximity {
    pub icao: IcaoAddress,
    pub label: String,
    /// Smallest horizontal distance the aircraft may be at now, metres (its reported position,
    /// the same projected along its velocity, less the uncertainty of both fixes).
    pub distance_m: f64,
    /// Vertical gap between the aircraft's and the drone's altitude intervals, feet (0 when they
    /// overlap); None when either altitude is unknown.
    pub vertical_gap_ft: Option<f64>,
    /// Aircraft altitude minus the drone's, feet, from the middles of both intervals.
    pub above_ft: Option<f64>,
    /// The aircraft's altitude read as AMSL (middle of its interval), feet.
    pub alt_amsl_ft: Option<f64>,
    /// Inside both limits, outside, or indeterminate (an altitude unknown: counts as inside).
    pub within: Containment,
    pub on_ground: Option<bool>,
    pub position_age_s: f64,
}

/// Judge every aircraft with a fresh position against `radius_m` and `height_ft`. Pure: `now` is
/// an argument. Aircraft without a position, or whose position is older than `stale_s`, are left
/// out (they cannot be placed).
pub fn traffic_proximity(
    own: &Ownship,
    traffic: &[Traffic],
    radius_m: f64,
    height_ft: f64,
    limits: &TrafficLimits,
    geoid_m: Option<f64>,
    now: DateTime<Utc>,
) -> Vec<TrafficProximity> {
    let mut out = vec![];
    for t in traffic {
        let (Some(p), Some(at)) = (t.position.filter(LatLon::is_valid), t.position_at) else {
            continue;
        };
        let age_s = ((now - at).num_milliseconds() as f64 / 1000.0).max(0.0);
        if age_s > limits.stale_s {
            continue;
        }
        let reported = own.pos.distance_m(&p);
        let distance_m = match (t.ground_speed_mps, t.track_deg) {
            (Some(gs), Some(trk)) if gs.is_finite() && trk.is_finite() => {
                // Where it is now if it held its velocity; the nearer of the two counts.
                let projected = own.pos.distance_m(&p.destination(trk, gs.max(0.0) * age_s));
                reported.min(projected)
            }
            _ => reported - limits.unknown_speed_mps * age_s,
        };
        let distance_m = (distance_m - own.h_accuracy_m.max(0.0)).max(0.0);
        let alt = t.alt_amsl_interval(limits, geoid_m);
        let alt_amsl_ft = alt.map(|a| (a.lo + a.hi) / 2.0 / M_PER_FT);
        let own_known = own.alt_amsl.is_bounded();
        let (gap_ft, above_ft) = match alt {
            Some(a) if own_known => {
                let gap_m = (a.lo - own.alt_amsl.hi)
                    .max(own.alt_amsl.lo - a.hi)
                    .max(0.0);
                let mid = |i: Interval| (i.lo + i.hi) / 2.0;
                (
                    Some(gap_m / M_PER_FT),
                    Some((mid(a) - mid(own.alt_amsl)) / M_PER_FT),
                )
            }
            _ => (None, None),
        };
        let within = if distance_m > radius_m {
            Containment::Outside
        } else {
            match gap_ft {
                Some(g) if g > height_ft => Containment::Outside,
                Some(_) => Containment::Inside,
                None => Containment::Indeterminate,
            }
        };
        out.push(TrafficProximity {
            icao: t.icao,
            label: t.label(),
            distance_m,
            vertical_gap_ft: gap_ft,
            above_ft,
            alt_amsl_ft,
            within,
            on_ground: t.on_ground,
            position_age_s: age_s,
        });
    }
    out.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m));
    out
}

/// In flight the height is said relative to the drone; before take-off, as an altitude (the
/// drone is a whole column then).
/// The same words as [`describe`], as a message.
fn describe_msg(p: &TrafficProximity, relative: bool) -> Message {
    let m = match (relative, p.above_ft, p.alt_amsl_ft) {
        (true, Some(h), _) if h >= 0.0 => Message::new("traffic-above").num("ft", h, 0),
        (true, Some(h), _) => Message::new("traffic-below").num("ft", -h, 0),
        (false, _, Some(a)) => Message::new("traffic-amsl").num("ft", a, 0),
        _ => Message::new("traffic-unknown-height"),
    };
    m.text("label", p.label.clone())
        .num("distance", p.distance_m, 0)
        .num("age", p.position_age_s, 0)
        .text(
            "ground",
            if p.on_ground == Some(true) {
                "yes"
            } else {
                "no"
            },
        )
}

fn describe(p: &TrafficProximity, relative: bool) -> String {
    let height = match (relative, p.above_ft, p.alt_amsl_ft) {
        (true, Some(h), _) if h >= 0.0 => format!("{h:.0} ft above"),
        (true, Some(h), _) => format!("{:.0} ft below", -h),
        (false, _, Some(a)) => format!("at about {a:.0} ft AMSL"),
        _ => "at an unknown height".to_string(),
    };
    let ground = if p.on_ground == Some(true) {
        ", on the ground"
    } else {
        ""
    };
    format!(
        "manned traffic {} {:.0} m away, {height}{ground} (position {:.0} s old)",
        p.label, p.distance_m, p.position_age_s
    )
}

/// The drone before take-off: the take-off point (or its fresh fix), over the column from the
/// ground to the ceiling.
fn ownship_on_ground(rules: &RuleSet, s: &Situation, now: DateTime<Utc>) -> Option<Ownship> {
    let limits = &rules.limits;
    let v = s.vehicle.as_ref();
    let fresh_fix = v.and_then(|v| {
        let p = v.position.filter(LatLon::is_valid)?;
        let age = v.fix_age_s(now)?;
        (-1.0..=limits.vehicle.max_fix_age_s)
            .contains(&age)
            .then_some(p)
    });
    let pos = s.takeoff_point.filter(LatLon::is_valid).or(fresh_fix)?;
    let h_accuracy_m = v
        .and_then(|v| v.h_accuracy_m)
        .unwrap_or(limits.zones.default_h_accuracy_m);
    let ground = s
        .ground_amsl_m
        .or_else(|| v.filter(|v| !v.airborne).and_then(|v| v.alt_amsl_m))
        .filter(|g| g.is_finite());
    let ceiling = s
        .authorisation
        .as_ref()
        .map_or(limits.ceiling.max_agl_m, |a| a.ceiling_agl_m(limits));
    let alt_amsl = match ground {
        Some(g) => Interval::new(g, g + ceiling),
        None => Interval::UNBOUNDED,
    };
    Some(Ownship {
        pos,
        h_accuracy_m,
        alt_amsl,
    })
}

/// The drone in flight: its fresh fix and altitude.
fn ownship_in_flight(rules: &RuleSet, s: &Situation, now: DateTime<Utc>) -> Option<Ownship> {
    let limits = &rules.limits;
    let v = s.vehicle.as_ref()?;
    let pos = v.position.filter(LatLon::is_valid)?;
    let age = v.fix_age_s(now)?;
    if !(-1.0..=limits.vehicle.max_fix_age_s).contains(&age) {
        return None;
    }
    let alt_amsl = match (v.alt_amsl_m, v.alt_rel_home_m, s.ground_amsl_m) {
        (Some(a), _, _) if a.is_finite() => Interval::point(a),
        (_, Some(r), Some(g)) if r.is_finite() && g.is_finite() => {
            Interval::point(g + r).widen(limits.ceiling.terrain_relief_m)
        }
        _ => Interval::UNBOUNDED,
    };
    Some(Ownship {
        pos,
        h_accuracy_m: v.h_accuracy_m.unwrap_or(limits.zones.default_h_accuracy_m),
        alt_amsl,
    })
}

fn has_fresh_positions(traffic: &[Traffic], limits: &TrafficLimits, now: DateTime<Utc>) -> usize {
    traffic
        .iter()
        .filter(|t| {
            t.position.is_some()
                && t.position_at.is_some_and(|at| {
                    (now - at) <= Duration::milliseconds((limits.stale_s * 1000.0) as i64)
                })
        })
        .count()
}

/// `TRAFFIC-NEARBY` for `evaluate`: blocking before take-off (`takeoff`), a warning (alarm) in
/// flight. Traffic reported on the ground is a warning in both cases: it may lift off.
pub(crate) fn traffic_rules(
    rules: &RuleSet,
    s: &Situation,
    takeoff: bool,
    now: DateTime<Utc>,
    f: &mut Vec<Finding>,
) {
    if s.traffic.is_empty() {
        return;
    }
    let l = &rules.limits.traffic;
    let (own, radius_m, height_ft, sev) = if takeoff {
        (
            ownship_on_ground(rules, s, now),
            l.takeoff_radius_m,
            l.takeoff_height_ft,
            Severity::Blocking,
        )
    } else {
        (
            ownship_in_flight(rules, s, now),
            l.alarm_distance_m,
            l.alarm_height_ft,
            Severity::Warning,
        )
    };
    let Some(own) = own else {
        let n = has_fresh_positions(&s.traffic, l, now);
        if n > 0 {
            f.push(Finding::new(
                rule_id::TRAFFIC_NEARBY,
                sev,
                format!(
                    "the drone's position is unknown: {n} manned aircraft heard nearby cannot be judged"
                ),
                Message::new("traffic-own-unknown").int("n", i64::try_from(n).unwrap_or(i64::MAX)),
            ));
        }
        return;
    };
    let geoid = s.geoid_undulation_m;
    for p in traffic_proximity(&own, &s.traffic, radius_m, height_ft, l, geoid, now) {
        if p.within == Containment::Outside {
            continue;
        }
        let severity = if p.on_ground == Some(true) {
            Severity::Warning
        } else {
            sev
        };
        let what = if takeoff {
            format!(
                "within the {radius_m:.0} m / {height_ft:.0} ft take-off radius: wait until it clears"
            )
        } else {
            format!("within {radius_m:.0} m and {height_ft:.0} ft of the drone")
        };
        let message = Message::new(if takeoff {
            "traffic-takeoff"
        } else {
            "traffic-inflight"
        })
        .msg("traffic", describe_msg(&p, !takeoff))
        .num("radius", radius_m, 0)
        .num("height", height_ft, 0);
        f.push(Finding::new(
            rule_id::TRAFFIC_NEARBY,
            severity,
            format!("{} {what}", describe(&p, !takeoff)),
            message,
        ));
    }
}

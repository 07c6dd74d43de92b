//! The one entry point: `evaluate(&RuleSet, &Situation, &Action, now) -> Decision`.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::authorisation::{Authorisation, Pilot};
use crate::breach::{BreachInput, BreachKind, breach_prediction};
use crate::checklist::{Checklist, ChecklistKind};
use crate::limits::Limits;
use crate::message::Message;
use crate::mission::{Mission, PathPoint};
use crate::types::{
    AltRef, Altitude, Containment, LatLon, Position3d, VerticalContext, WindReading,
};
use crate::vehicle::VehicleSnapshot;
use crate::wind::{WindStatus, wind_gate};
use crate::zone::{Restriction, Zone, perimeter_contains, perimeter_contains_leg};
use crate::zoneset::ZoneSet;

/// Stable rule identifiers (shown to pilots, stored in the register).
pub mod rule_id {
    pub const ZONE_PROHIBITED: &str = "ZONE-PROHIBITED";
    pub const ZONE_AUTH_REQUIRED: &str = "ZONE-AUTH-REQUIRED";
    pub const ZONE_CONDITIONAL: &str = "ZONE-CONDITIONAL";
    pub const CEILING: &str = "CEILING";
    pub const WIND_GATE: &str = "WIND-GATE";
    pub const WIND_INFLIGHT: &str = "WIND-INFLIGHT";
    pub const AUTH_MISSING: &str = "AUTH-MISSING";
    pub const AUTH_REVOKED: &str = "AUTH-REVOKED";
    pub const AUTH_WINDOW: &str = "AUTH-WINDOW";
    pub const AUTH_PERIMETER: &str = "AUTH-PERIMETER";
    pub const AUTH_DURATION: &str = "AUTH-DURATION";
    pub const AUTH_CAMERAS: &str = "AUTH-CAMERAS";
    pub const PILOT_MISSING: &str = "PILOT-MISSING";
    pub const PILOT_CERT_EXPIRED: &str = "PILOT-CERT-EXPIRED";
    pub const PILOT_UNQUALIFIED: &str = "PILOT-UNQUALIFIED";
    pub const PILOT_RECENCY: &str = "PILOT-RECENCY";
    pub const PILOT_TRAINING: &str = "PILOT-TRAINING";
    pub const VEHICLE_UNKNOWN: &str = "VEHICLE-UNKNOWN";
    pub const VEHICLE_GPS: &str = "VEHICLE-GPS";
    pub const VEHICLE_BATTERY: &str = "VEHICLE-BATTERY";
    pub const VEHICLE_HOME: &str = "VEHICLE-HOME";
    pub const VEHICLE_FENCE: &str = "VEHICLE-FENCE";
    pub const VEHICLE_PREARM: &str = "VEHICLE-PREARM";
    pub const BATTERY_RETURN: &str = "BATTERY-RETURN";
    pub const GPS_DEGRADED: &str = "GPS-DEGRADED";
    pub const MISSION_INVALID: &str = "MISSION-INVALID";
    pub const CHECKLIST: &str = "CHECKLIST";
    pub const BREACH_PREDICTED: &str = "BREACH-PREDICTED";
    pub const POSITION_UNKNOWN: &str = "POSITION-UNKNOWN";
    pub const TRAFFIC_NEARBY: &str = "TRAFFIC-NEARBY";
    pub const LEGAL_BASIS: &str = "LEGAL-BASIS";
    pub const LINK_UNSIGNED: &str = "LINK-UNSIGNED";
    pub const REMOTE_ID: &str = "REMOTE-ID";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Severity {
    Info,
    Warning,
    /// Refuses the action.
    Blocking,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub rule_id: &'static str,
    pub severity: Severity,
    /// English, for logs, the register and the CLI.
    pub reason: String,
    /// The same words as a stable key and typed arguments, for the app to translate.
    pub message: Message,
}

impl Finding {
    pub fn new(
        rule_id: &'static str,
        severity: Severity,
        reason: impl Into<String>,
        message: Message,
    ) -> Self {
        Self {
            rule_id,
            severity,
            reason: reason.into(),
            message,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Verdict {
    Allow,
    Warn,
    Deny,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub verdict: Verdict,
    pub findings: Vec<Finding>,
}

impl Decision {
    pub fn from_findings(findings: Vec<Finding>) -> Self {
        let verdict = match findings.iter().map(|f| f.severity).max() {
            Some(Severity::Blocking) => Verdict::Deny,
            Some(Severity::Warning) => Verdict::Warn,
            _ => Verdict::Allow,
        };
        Decision { verdict, findings }
    }
    pub fn is_denied(&self) -> bool {
        self.verdict == Verdict::Deny
    }
    pub fn blocking(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Blocking)
    }
    pub fn has(&self, rule_id: &str) -> bool {
        self.findings.iter().any(|f| f.rule_id == rule_id)
    }
    pub fn blocks_on(&self, rule_id: &str) -> bool {
        self.blocking().any(|f| f.rule_id == rule_id)
    }
}

/// The data the rules run on.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub zones: ZoneSet,
    pub limits: Limits,
    pub checklist: Checklist,
}

impl RuleSet {
    /// Shipped zones, limits and checklist.
    pub fn default_embedded() -> Self {
        RuleSet {
            zones: ZoneSet::new(crate::default_zones()),
            limits: Limits::default_embedded(),
            checklist: Checklist::default_embedded(),
        }
    }
}

/// ArduCopter flight modes the station may request.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum FlightMode {
    Stabilize,
    AltHold,
    Loiter,
    PosHold,
    Guided,
    Auto,
    Rtl,
    Land,
    Brake,
    Other(String),
}

impl FlightMode {
    /// Modes that bring the vehicle to rest or home: never refused.
    pub fn is_safety(&self) -> bool {
        matches!(
            self,
            FlightMode::Rtl
                | FlightMode::Land
                | FlightMode::Brake
                | FlightMode::Loiter
                | FlightMode::PosHold
        )
    }
}

/// Every outgoing action the interlock judges.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Action {
    Arm,
    /// Take off to `alt_m` above home.
    Takeoff {
        alt_m: f64,
    },
    SetMode(FlightMode),
    GoTo {
        target: LatLon,
        alt: Altitude,
    },
    Orbit {
        center: LatLon,
        radius_m: f64,
        alt: Altitude,
    },
    UploadMission,
    UploadFence,
    Rtl,
    Land,
    Disarm,
    /// Not an outgoing action: the periodic in-flight evaluation (position, wind, window, breach).
    Monitor,
}

/// Everything the rules know about the flight at one instant. Filled by the station.
#[derive(Debug, Clone, Default)]
pub struct Situation {
    pub pilot: Option<Pilot>,
    /// Training mode: pilot rules are reported but do not block.
    pub training: bool,
    pub authorisation: Option<Authorisation>,
    pub vehicle: Option<VehicleSnapshot>,
    pub wind: Vec<WindReading>,
    /// The station's memory of the last time the wind gate was above the limit.
    pub wind_last_exceeded_at: Option<DateTime<Utc>>,
    pub mission: Option<Mission>,
    /// Take-off point; when None, the vehicle's position (or the mission's planned home) is used.
    pub takeoff_point: Option<LatLon>,
    /// Terrain elevation AMSL at the take-off point, when known.
    pub ground_amsl_m: Option<f64>,
    /// Terrain elevation AMSL under the vehicle now, from the station's terrain model when it has
    /// one: with `ground_amsl_m` it reads the height above home as height above this ground.
    pub ground_below_vehicle_amsl_m: Option<f64>,
    /// How far that model may be off (its vertical accuracy); the limits' terrain relief when
    /// not given.
    pub ground_below_vehicle_accuracy_m: Option<f64>,
    pub geoid_undulation_m: Option<f64>,
    /// IDs of manual checklist items the pilot ticked.
    pub checklist_ticks: BTreeSet<String>,
    /// Cameras of this service streaming or recording now (L242-5 caps them); None = not reported.
    pub cameras_in_use: Option<u32>,
    /// Manned traffic heard (SBS-1 feed, ADSB_VEHICLE), each part with the time it was heard.
    pub traffic: Vec<crate::traffic::Traffic>,
    /// The legal basis the flight flies under, its purpose and documents (DOMAIN.md §1b). None in
    /// legal mode refuses arming (`LEGAL-BASIS`); in training mode it means plain aviation.
    pub legal_basis: Option<crate::legal_basis::FlightLegalBasis>,
    /// The operator's registration number, when configured: with `remote_id.required`, the
    /// drone's Remote ID must broadcast it.
    pub operator_registration: Option<crate::remote_id::OperatorRegistration>,
}

fn finding(
    rule_id: &'static str,
    severity: Severity,
    reason: impl Into<String>,
    message: Message,
) -> Finding {
    Finding::new(rule_id, severity, reason, message)
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// An altitude with its reference, as a phrase ("40 m above home").
pub fn alt_msg(alt: &Altitude) -> Message {
    Message::new(match alt.reference {
        AltRef::Agl => "alt-agl",
        AltRef::Amsl => "alt-amsl",
        AltRef::Wgs84 => "alt-wgs84",
        AltRef::RelHome => "alt-rel-home",
    })
    .num("m", alt.value_m, 1)
}

fn latlon_text(p: LatLon) -> String {
    format!("{:.5}, {:.5}", p.lat_deg, p.lon_deg)
}

/// Judge `action` in `situation` at `now`.
pub fn evaluate(rules: &RuleSet, s: &Situation, action: &Action, now: DateTime<Utc>) -> Decision {
    let mut f: Vec<Finding> = vec![];
    let airborne = s.vehicle.as_ref().is_some_and(|v| v.airborne);
    match action {
        // Bringing the vehicle down or home is never refused.
        Action::Rtl | Action::Land | Action::Disarm | Action::UploadFence => {}
        Action::SetMode(m) if m.is_safety() => {}
        Action::Arm | Action::Takeoff { .. } => {
            crate::legal_basis::legal_basis_rule(s, &mut f);
            pilot_rules(rules, s, now, &mut f);
            let points = takeoff_points(s, now, &rules.limits);
            auth_rules(rules, s, now, mission_end(rules, s, now), &mut f);
            takeoff_rules(rules, s, &points, action, now, &mut f);
            if let Some(m) = &s.mission {
                let home = points.first().map(|t| t.0);
                mission_rules(rules, s, m, home, now, &mut f);
            }
            wind_rules(rules, s, false, now, &mut f);
            vehicle_rules(rules, s, now, &mut f);
            crate::link::link_rule(rules, s, &mut f);
            crate::remote_id::remote_id_rule(rules, s, now, &mut f);
            crate::traffic::traffic_rules(rules, s, true, now, &mut f);
            checklist_rule(&rules.checklist, &s.checklist_ticks, &mut f);
        }
        Action::UploadMission | Action::SetMode(FlightMode::Auto) => {
            auth_rules(rules, s, now, mission_end(rules, s, now), &mut f);
            let home = mission_home(s, now, &rules.limits);
            match &s.mission {
                Some(m) => mission_rules(rules, s, m, home, now, &mut f),
                None => f.push(finding(
                    rule_id::MISSION_INVALID,
                    Severity::Blocking,
                    "no mission loaded",
                    Message::new("mission-none"),
                )),
            }
            if airborne {
                wind_rules(rules, s, true, now, &mut f);
            }
        }
        Action::SetMode(_) => {
            auth_rules(rules, s, now, None, &mut f);
            if airborne {
                wind_rules(rules, s, true, now, &mut f);
            }
        }
        Action::GoTo { target, alt } => {
            auth_rules(rules, s, now, None, &mut f);
            let from = current_fix(s, now, &rules.limits);
            legs_rules(rules, s, &go_to_path(from, *target, *alt), now, now, &mut f);
            if airborne {
                wind_rules(rules, s, true, now, &mut f);
            }
        }
        Action::Orbit {
            center,
            radius_m,
            alt,
        } => {
            auth_rules(rules, s, now, None, &mut f);
            let pts = crate::fence::circumscribed_polygon(*center, *radius_m, 16);
            let mut path: Vec<PathPoint> = pts
                .iter()
                .map(|p| PathPoint {
                    seq: None,
                    pos: *p,
                    alt: *alt,
                })
                .collect();
            if let Some(first) = path.first().copied() {
                path.push(first);
            }
            let from = current_fix(s, now, &rules.limits);
            let mut full = go_to_path(from, path.first().map_or(*center, |p| p.pos), *alt);
            full.extend(path);
            legs_rules(rules, s, &full, now, now, &mut f);
            if airborne {
                wind_rules(rules, s, true, now, &mut f);
            }
        }
        Action::Monitor => {
            monitor_rules(rules, s, now, &mut f);
            crate::traffic::traffic_rules(rules, s, false, now, &mut f);
        }
    }
    Decision::from_findings(f)
}

fn vertical_ctx(rules: &RuleSet, s: &Situation) -> VerticalContext {
    VerticalContext {
        ground_amsl_m: s.ground_amsl_m,
        ground_uncertainty_m: rules.limits.ceiling.terrain_relief_m,
        home_amsl_m: s.ground_amsl_m,
        geoid_undulation_m: s.geoid_undulation_m,
        relief_vs_home_m: Some(rules.limits.ceiling.terrain_relief_m),
    }
}

/// A fresh vehicle fix: (position, accuracy). None when unknown or stale.
fn current_fix(s: &Situation, now: DateTime<Utc>, limits: &Limits) -> Option<(LatLon, f64)> {
    let v = s.vehicle.as_ref()?;
    let p = v.position.filter(LatLon::is_valid)?;
    let age = v.fix_age_s(now)?;
    (age <= limits.vehicle.max_fix_age_s && age >= -1.0).then_some((
        p,
        v.h_accuracy_m.unwrap_or(limits.zones.default_h_accuracy_m),
    ))
}

/// Take-off point: explicit, else the vehicle's fresh fix.
fn takeoff_point(s: &Situation, now: DateTime<Utc>, limits: &Limits) -> Option<(LatLon, f64)> {
    if let Some(p) = s.takeoff_point.filter(LatLon::is_valid) {
        let acc = s
            .vehicle
            .as_ref()
            .and_then(|v| v.h_accuracy_m)
            .unwrap_or(limits.zones.default_h_accuracy_m);
        return Some((p, acc));
    }
    current_fix(s, now, limits)
}

fn mission_home(s: &Situation, now: DateTime<Utc>, limits: &Limits) -> Option<LatLon> {
    s.vehicle
        .as_ref()
        .and_then(|v| v.home.filter(|_| v.home_set))
        .or(s.takeoff_point)
        .or_else(|| takeoff_point(s, now, limits).map(|t| t.0))
        .or_else(|| s.mission.as_ref().and_then(|m| m.planned_home.map(|h| h.0)))
}

/// Estimated flight time of the mission, seconds (cruise speed reduced by the wind).
pub fn mission_duration_s(rules: &RuleSet, s: &Situation, m: &Mission, home: LatLon) -> f64 {
    mission_time(rules, s, m, home).total_s
}

/// How long a mission takes, and how that was reckoned.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MissionTime {
    pub total_s: f64,
    /// Horizontal flight, leg by leg with the wind.
    pub horizontal_s: f64,
    pub length_m: f64,
    /// Height changes along the path, flown at 2.5 m/s.
    pub climb_m: f64,
    /// The wind it was reckoned with, m/s, and where it blows from (None: a headwind on every
    /// leg, the worst case, because no reading gave a direction).
    pub wind_mps: f64,
    pub wind_from_deg: Option<f64>,
}

/// Below this ground speed a leg is taken as not flyable at all (it still counts, slowly).
const MIN_GROUND_SPEED_MPS: f64 = 1.0;

/// The wind a mission is reckoned with: halfway between the strongest mean and the strongest
/// gust of the readings (a mission lasts many gusts; the reserve covers the rest), from the
/// direction of the freshest reading that gives one.
fn mission_wind(s: &Situation) -> (f64, Option<f64>) {
    let peak = s.wind.iter().map(WindReading::peak_mps).fold(0.0, f64::max);
    let from = s
        .wind
        .iter()
        .filter(|w| w.from_deg.is_some_and(f64::is_finite))
        .max_by_key(|w| w.observed_at)
        .and_then(|w| w.from_deg);
    // The gust, not the mean: the battery decision fails closed. With a direction, each leg
    // gets its own head or tail wind; without one, the gust is a headwind everywhere.
    (peak, from)
}

/// Ground speed along a leg of bearing `track_deg` at airspeed `cruise` in a wind of `w` from
/// `from_deg` (the wind triangle: the crosswind is crabbed into, the headwind subtracted).
fn leg_ground_speed(cruise: f64, w: f64, from_deg: Option<f64>, track_deg: f64) -> f64 {
    let Some(from) = from_deg else {
        return (cruise - w).max(MIN_GROUND_SPEED_MPS);
    };
    let rel = (track_deg - from).to_radians();
    let head = w * rel.cos();
    let cross = w * rel.sin();
    if cross.abs() >= cruise {
        return MIN_GROUND_SPEED_MPS;
    }
    ((cruise * cruise - cross * cross).sqrt() - head).max(MIN_GROUND_SPEED_MPS)
}

pub fn mission_time(rules: &RuleSet, s: &Situation, m: &Mission, home: LatLon) -> MissionTime {
    let airframe = s.vehicle.as_ref().map_or("", |v| v.airframe.as_str());
    let cruise = m
        .cruise_speed_mps
        .unwrap_or_else(|| rules.limits.cruise_mps(airframe));
    let (wind, from) = mission_wind(s);
    let path = m.path(home);
    let mut horizontal_s = 0.0;
    let mut length_m = 0.0;
    let mut climb_m = 0.0;
    for w in path.windows(2) {
        let d = w[0].pos.distance_m(&w[1].pos);
        length_m += d;
        climb_m += (w[1].alt.value_m - w[0].alt.value_m).abs();
        if d > 0.5 {
            let track = w[0].pos.bearing_deg(&w[1].pos);
            horizontal_s += d / leg_ground_speed(cruise, wind, from, track);
        }
    }
    MissionTime {
        total_s: horizontal_s + climb_m / 2.5 + 30.0,
        horizontal_s,
        length_m,
        climb_m,
        wind_mps: wind,
        wind_from_deg: from,
    }
}

fn mission_end(rules: &RuleSet, s: &Situation, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let m = s.mission.as_ref()?;
    let home = mission_home(s, now, &rules.limits)?;
    let secs = mission_duration_s(rules, s, m, home);
    Some(now + Duration::milliseconds((secs * 1000.0) as i64))
}

fn pilot_rules(rules: &RuleSet, s: &Situation, now: DateTime<Utc>, f: &mut Vec<Finding>) {
    let sev = if s.training {
        Severity::Info
    } else {
        Severity::Blocking
    };
    let tag = if s.training {
        " (training mode: exempt)"
    } else {
        ""
    };
    let training = yes_no(s.training);
    if s.training {
        f.push(finding(
            rule_id::PILOT_TRAINING,
            Severity::Info,
            "training flight: pilot rules do not block",
            Message::new("pilot-training"),
        ));
    }
    let Some(p) = &s.pilot else {
        f.push(finding(
            rule_id::PILOT_MISSING,
            sev,
            format!("no pilot logged in{tag}"),
            Message::new("pilot-missing").text("training", training),
        ));
        return;
    };
    if p.certificate_expires < now.date_naive() {
        f.push(finding(
            rule_id::PILOT_CERT_EXPIRED,
            sev,
            format!(
                "certificate {} of {} expired on {}{tag}",
                p.certificate_number, p.name, p.certificate_expires
            ),
            Message::new("pilot-cert-expired")
                .text("cert", &p.certificate_number)
                .text("pilot", &p.name)
                .date("date", p.certificate_expires)
                .text("training", training),
        ));
    }
    match s.vehicle.as_ref().map(|v| v.airframe.as_str()) {
        Some(a) if p.is_qualified_for(a) => {}
        Some(a) => f.push(finding(
            rule_id::PILOT_UNQUALIFIED,
            sev,
            format!(
                "{} is not qualified on airframe {a:?} (qualified: {}){tag}",
                p.name,
                p.airframes.join(", ")
            ),
            Message::new("pilot-unqualified")
                .text("pilot", &p.name)
                .text("airframe", a)
                .text("qualified", p.airframes.join(", "))
                .text("training", training),
        )),
        None => f.push(finding(
            rule_id::PILOT_UNQUALIFIED,
            sev,
            format!("airframe unknown: qualification cannot be checked{tag}"),
            Message::new("pilot-airframe-unknown").text("training", training),
        )),
    }
    let days = rules.limits.pilot.recency_days;
    match p.last_flight_at {
        Some(t) if now - t <= Duration::days(days) => {}
        Some(t) => f.push(finding(
            rule_id::PILOT_RECENCY,
            sev,
            format!(
                "{} last flew on {}: not current (a flight within {days} days is required){tag}",
                p.name,
                t.date_naive()
            ),
            Message::new("pilot-not-current")
                .text("pilot", &p.name)
                .date("date", t.date_naive())
                .int("days", days)
                .text("training", training),
        )),
        None => f.push(finding(
            rule_id::PILOT_RECENCY,
            sev,
            format!("no recorded flight for {}: recency unknown{tag}", p.name),
            Message::new("pilot-no-flight")
                .text("pilot", &p.name)
                .text("training", training),
        )),
    }
}

fn auth_rules(
    rules: &RuleSet,
    s: &Situation,
    now: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
    f: &mut Vec<Finding>,
) {
    let Some(a) = &s.authorisation else {
        // A training flight with no basis is plain aviation: no camera use under the CSI, so no
        // arrêté to hold (its zones and ceiling still apply).
        if s.training && s.legal_basis.is_none() {
            f.push(finding(
                rule_id::AUTH_MISSING,
                Severity::Info,
                "training flight under plain aviation: no préfet's authorisation needed",
                Message::new("auth-not-needed-training"),
            ));
            return;
        }
        // A basis that needs no préfet's arrêté (natural-risk prevention, plain aviation) flies
        // without one; every other flight needs it (L242-5), and an unknown basis fails closed.
        if let Some(b) = s
            .legal_basis
            .as_ref()
            .filter(|b| !b.basis.requires_authorisation)
        {
            f.push(finding(
                rule_id::AUTH_MISSING,
                Severity::Info,
                format!(
                    "no préfet's authorisation: the legal basis {} does not require one",
                    b.basis.id
                ),
                Message::new("auth-not-needed-basis").text("basis", b.basis.id.clone()),
            ));
            return;
        }
        f.push(finding(
            rule_id::AUTH_MISSING,
            Severity::Blocking,
            "no préfet's authorisation selected (L242-5)",
            Message::new("auth-missing"),
        ));
        return;
    };
    if a.is_revoked_at(now) {
        f.push(finding(
            rule_id::AUTH_REVOKED,
            Severity::Blocking,
            format!("arrêté {} was revoked", a.arrete),
            Message::new("auth-revoked").text("arrete", &a.arrete),
        ));
    }
    if now < a.valid_from {
        f.push(finding(
            rule_id::AUTH_WINDOW,
            Severity::Blocking,
            format!("arrêté {} is valid only from {}", a.arrete, a.valid_from),
            Message::new("auth-not-yet")
                .text("arrete", &a.arrete)
                .time("from", a.valid_from),
        ));
    } else if now > a.valid_until {
        f.push(finding(
            rule_id::AUTH_WINDOW,
            Severity::Blocking,
            format!("arrêté {} expired at {}", a.arrete, a.valid_until),
            Message::new("auth-expired")
                .text("arrete", &a.arrete)
                .time("until", a.valid_until),
        ));
    } else if let Some(e) = end
        && e > a.valid_until
    {
        f.push(finding(
            rule_id::AUTH_WINDOW,
            Severity::Blocking,
            format!(
                "arrêté {} ends at {}, mid-flight: the mission would last until about {}",
                a.arrete,
                a.valid_until,
                e.format("%Y-%m-%d %H:%M UTC")
            ),
            Message::new("auth-ends-mid-flight")
                .text("arrete", &a.arrete)
                .time("until", a.valid_until)
                .time("end", e),
        ));
    }
    if let Some(r) = a.revoked_at.filter(|r| *r > now)
        && end.is_some_and(|e| e > r)
    {
        f.push(finding(
            rule_id::AUTH_REVOKED,
            Severity::Blocking,
            format!(
                "arrêté {} is revoked from {r}, before the mission ends",
                a.arrete
            ),
            Message::new("auth-revoked-before-end")
                .text("arrete", &a.arrete)
                .time("at", r),
        ));
    }
    if end.is_none()
        && now >= a.valid_from
        && now <= a.valid_until
        && a.valid_until - now < Duration::minutes(10)
    {
        f.push(finding(
            rule_id::AUTH_WINDOW,
            Severity::Warning,
            format!(
                "arrêté {} ends in {} min, at {}: plan the landing",
                a.arrete,
                (a.valid_until - now).num_minutes(),
                a.valid_until
            ),
            Message::new("auth-ends-soon")
                .text("arrete", &a.arrete)
                .int("minutes", (a.valid_until - now).num_minutes())
                .time("until", a.valid_until),
        ));
    }
    if let Some(n) = s.cameras_in_use
        && n > a.max_cameras
    {
        f.push(finding(
            rule_id::AUTH_CAMERAS,
            Severity::Blocking,
            format!(
                "{n} cameras in use, arrêté {} allows {} at a time",
                a.arrete, a.max_cameras
            ),
            Message::new("auth-cameras")
                .int("n", n)
                .text("arrete", &a.arrete)
                .int("max", a.max_cameras),
        ));
    }
    let days = (a.valid_until - a.valid_from).num_days();
    if days > rules.limits.authorisation.max_validity_days {
        f.push(finding(
            rule_id::AUTH_DURATION,
            Severity::Warning,
            format!(
                "arrêté {} is valid for {days} days, more than the {} days L242-5 allows",
                a.arrete, rules.limits.authorisation.max_validity_days
            ),
            Message::new("auth-duration")
                .text("arrete", &a.arrete)
                .int("days", days)
                .int("max", rules.limits.authorisation.max_validity_days),
        ));
    }
}

fn zone_finding(
    z: &Zone,
    c: Containment,
    what: &str,
    what_msg: &Message,
    auth: Option<&Authorisation>,
) -> Option<Finding> {
    let certain = c == Containment::Inside;
    let (how, how_key) = if certain {
        ("is inside", "how-inside")
    } else {
        (
            "may be inside (position or altitude uncertain)",
            "how-maybe-inside",
        )
    };
    let label = format!("{} {:?} ({})", z.identifier, z.name, z.restriction);
    let msg = z
        .message
        .as_deref()
        .map(|m| format!(" — {m}"))
        .unwrap_or_default();
    let words = |key: &'static str| {
        Message::new(key)
            .msg("what", what_msg.clone())
            .msg("how", Message::new(how_key))
            .text("zone", &z.identifier)
            .text("name", &z.name)
    };
    let with_message = |m: Message| m.text("message", z.message.clone().unwrap_or_default());
    Some(match z.restriction {
        Restriction::Prohibited => finding(
            rule_id::ZONE_PROHIBITED,
            Severity::Blocking,
            format!("{what} {how} prohibited zone {label}{msg}"),
            with_message(words("zone-prohibited")),
        ),
        Restriction::ReqAuthorisation | Restriction::USpace => {
            if let Some(a) = auth.filter(|a| a.unlocks(&z.identifier)) {
                finding(
                    rule_id::ZONE_AUTH_REQUIRED,
                    Severity::Info,
                    format!("{what} {how} zone {label}, covered by arrêté {}", a.arrete),
                    words("zone-auth-covered").text("arrete", &a.arrete),
                )
            } else {
                finding(
                    rule_id::ZONE_AUTH_REQUIRED,
                    Severity::Blocking,
                    format!(
                        "{what} {how} zone {label}, which needs an authorisation naming it{msg}"
                    ),
                    with_message(words("zone-auth-required")),
                )
            }
        }
        Restriction::Conditional => finding(
            rule_id::ZONE_CONDITIONAL,
            Severity::Warning,
            format!("{what} {how} conditional zone {label}{msg}"),
            with_message(words("zone-conditional")),
        ),
        Restriction::NoRestriction => return None,
    })
}

/// Zone findings for one 3-D point (used by the CLI too); `what` names it in the English
/// reason, the message calls it "the point".
pub fn point_zone_findings(
    zones: &ZoneSet,
    fix: &Position3d,
    ctx: &VerticalContext,
    auth: Option<&Authorisation>,
    now: DateTime<Utc>,
    what: &str,
) -> Vec<Finding> {
    point_zone_findings_named(
        zones,
        fix,
        ctx,
        auth,
        now,
        what,
        &Message::new("what-point"),
    )
}

/// [`point_zone_findings`] with the message naming the point (`what-vehicle`, …).
pub fn point_zone_findings_named(
    zones: &ZoneSet,
    fix: &Position3d,
    ctx: &VerticalContext,
    auth: Option<&Authorisation>,
    now: DateTime<Utc>,
    what: &str,
    what_msg: &Message,
) -> Vec<Finding> {
    zones
        .query_point(fix, ctx, now)
        .into_iter()
        .filter_map(|h| zone_finding(h.zone, h.containment, what, what_msg, auth))
        .collect()
}

/// Points to judge before take-off: the declared take-off point and the vehicle's own fresh fix
/// (both, when they differ: the vehicle may not be where the pilot said).
fn takeoff_points(
    s: &Situation,
    now: DateTime<Utc>,
    limits: &Limits,
) -> Vec<(LatLon, f64, &'static str, &'static str)> {
    // (point, accuracy, English name, message key of the name)
    let mut pts = vec![];
    if let Some(p) = s.takeoff_point.filter(LatLon::is_valid) {
        let acc = s
            .vehicle
            .as_ref()
            .and_then(|v| v.h_accuracy_m)
            .unwrap_or(limits.zones.default_h_accuracy_m);
        pts.push((p, acc, "the take-off point", "what-takeoff-point"));
    }
    if let Some((p, acc)) = current_fix(s, now, limits)
        && pts.iter().all(|(q, _, _, _)| q.distance_m(&p) > 1.0)
    {
        pts.push((p, acc, "the vehicle's position", "what-vehicle-position"));
    }
    pts
}

fn takeoff_rules(
    rules: &RuleSet,
    s: &Situation,
    points: &[(LatLon, f64, &'static str, &'static str)],
    action: &Action,
    now: DateTime<Utc>,
    f: &mut Vec<Finding>,
) {
    if points.is_empty() {
        for id in [rule_id::ZONE_PROHIBITED, rule_id::AUTH_PERIMETER] {
            f.push(finding(
                id,
                Severity::Blocking,
                "take-off point unknown (no fresh fix and none given): cannot check zones or perimeter",
                Message::new("takeoff-point-unknown"),
            ));
        }
        return;
    }
    let ctx = vertical_ctx(rules, s);
    let climb = match action {
        Action::Takeoff { alt_m } => *alt_m,
        _ => 0.0,
    };
    for &(p, acc, what, what_key) in points {
        let what_msg = Message::new(what_key);
        // The climb column above the point, from the ground to the take-off altitude, judged as
        // a vertical leg so a slab between the two ends is caught too.
        let ground = Position3d::new(p, Altitude::agl(0.0), acc);
        let top = Position3d::new(p, Altitude::rel_home(climb.max(0.0)), acc);
        for (z, c) in rules.zones.query_leg(&ground, &top, &ctx, now, acc) {
            if let Some(fd) = zone_finding(z, c, what, &what_msg, s.authorisation.as_ref())
                && !f.contains(&fd)
            {
                f.push(fd);
            }
        }
        if let Some(a) = &s.authorisation {
            match perimeter_contains(&a.perimeter_polygons(), p, acc) {
                Containment::Inside => {}
                c => f.push(finding(
                    rule_id::AUTH_PERIMETER,
                    Severity::Blocking,
                    format!(
                        "{what} {p} is {} the perimeter of arrêté {}",
                        if c == Containment::Outside {
                            "outside"
                        } else {
                            "too close to call against"
                        },
                        a.arrete
                    ),
                    Message::new(if c == Containment::Outside {
                        "perimeter-point-outside"
                    } else {
                        "perimeter-point-edge"
                    })
                    .msg("what", what_msg.clone())
                    .text("point", latlon_text(p))
                    .text("arrete", &a.arrete),
                )),
            }
        }
    }
    if climb != 0.0 {
        ceiling_rule(
            rules,
            s,
            &Altitude::rel_home(climb),
            "take-off altitude",
            &Message::new("what-takeoff-altitude"),
            &ctx,
            f,
        );
    }
    if !(climb.is_finite() && climb >= 0.0) {
        f.push(finding(
            rule_id::CEILING,
            Severity::Blocking,
            format!("take-off altitude {climb} m is not a valid height"),
            Message::new("ceiling-invalid-takeoff").num("alt", climb, 1),
        ));
    }
}

fn ceiling_rule(
    rules: &RuleSet,
    s: &Situation,
    alt: &Altitude,
    what: &str,
    what_msg: &Message,
    ctx: &VerticalContext,
    f: &mut Vec<Finding>,
) {
    let ceiling = s
        .authorisation
        .as_ref()
        .map_or(rules.limits.ceiling.max_agl_m, |a| {
            a.ceiling_agl_m(&rules.limits)
        });
    let agl = alt.interval_in(AltRef::Agl, ctx);
    match agl.within(f64::NEG_INFINITY, ceiling) {
        Containment::Inside => {}
        Containment::Outside => f.push(finding(
            rule_id::CEILING,
            Severity::Blocking,
            format!("{what} {alt} is above the {ceiling:.0} m AGL ceiling"),
            Message::new("ceiling-above")
                .msg("what", what_msg.clone())
                .msg("alt", alt_msg(alt))
                .num("ceiling", ceiling, 0),
        )),
        Containment::Indeterminate => f.push(finding(
            rule_id::CEILING,
            Severity::Blocking,
            format!("{what} {alt} may exceed the {ceiling:.0} m AGL ceiling (height above ground between {:.0} and {:.0} m)", agl.lo, agl.hi),
            Message::new("ceiling-may-exceed")
                .msg("what", what_msg.clone())
                .msg("alt", alt_msg(alt))
                .num("ceiling", ceiling, 0)
                .num("lo", agl.lo, 0)
                .num("hi", agl.hi, 0),
        )),
    }
}

fn go_to_path(from: Option<(LatLon, f64)>, target: LatLon, alt: Altitude) -> Vec<PathPoint> {
    let mut v = vec![];
    if let Some((p, _)) = from {
        v.push(PathPoint {
            seq: None,
            pos: p,
            alt,
        });
    }
    v.push(PathPoint {
        seq: None,
        pos: target,
        alt,
    });
    v
}

fn mission_rules(
    rules: &RuleSet,
    s: &Situation,
    m: &Mission,
    home: Option<LatLon>,
    now: DateTime<Utc>,
    f: &mut Vec<Finding>,
) {
    let Some(home) = home else {
        f.push(finding(
            rule_id::MISSION_INVALID,
            Severity::Blocking,
            "home position unknown: the mission path cannot be checked",
            Message::new("mission-home-unknown"),
        ));
        return;
    };
    let bad = m.items_without_altitude();
    if !bad.is_empty() {
        f.push(finding(
            rule_id::MISSION_INVALID,
            Severity::Blocking,
            format!("mission items {bad:?} have no usable altitude frame (use relative, terrain or AMSL frames)"),
            Message::new("mission-no-altitude").text(
                "items",
                bad.iter().map(u16::to_string).collect::<Vec<_>>().join(", "),
            ),
        ));
    }
    let path = m.path(home);
    if path.len() < 2 {
        f.push(finding(
            rule_id::MISSION_INVALID,
            Severity::Blocking,
            "the mission has no navigation item",
            Message::new("mission-no-navigation"),
        ));
        return;
    }
    let end = now + Duration::seconds(mission_duration_s(rules, s, m, home) as i64);
    legs_rules(rules, s, &path, now, end, f);
}

/// Zones, ceiling and perimeter along a path (first point = where the vehicle starts).
fn legs_rules(
    rules: &RuleSet,
    s: &Situation,
    path: &[PathPoint],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    f: &mut Vec<Finding>,
) {
    if path.len() < 2 {
        f.push(finding(
            rule_id::POSITION_UNKNOWN,
            Severity::Blocking,
            "current position unknown or stale: the route cannot be checked",
            Message::new("route-position-unknown"),
        ));
        if let Some(p) = path.first() {
            let ctx = vertical_ctx(rules, s);
            let what = Message::new("what-target-altitude");
            ceiling_rule(rules, s, &p.alt, "target altitude", &what, &ctx, f);
        }
        return;
    }
    let ctx = vertical_ctx(rules, s);
    let margin = rules.limits.zones.leg_margin_m;
    let perimeter = s
        .authorisation
        .as_ref()
        .map(Authorisation::perimeter_polygons);
    let mut seen_zone = BTreeSet::new();
    for (i, w) in path.windows(2).enumerate() {
        let (a, b) = (w[0], w[1]);
        let (leg, leg_msg) = match b.seq {
            Some(seq) => (
                format!("leg to mission item {seq}"),
                Message::new("what-leg-to-item").int("seq", seq),
            ),
            None => (
                format!("leg {}", i + 1),
                Message::new("what-leg").int("n", i64::try_from(i + 1).unwrap_or(i64::MAX)),
            ),
        };
        let fa = Position3d::new(a.pos, a.alt, 0.0);
        let fb = Position3d::new(b.pos, b.alt, 0.0);
        for z in rules.zones.candidates_along(a.pos, b.pos, margin) {
            if !z.applicability.may_be_active_during(from, to) {
                continue;
            }
            let c = z.leg_crosses(&fa, &fb, &ctx, margin);
            if c != Containment::Outside
                && seen_zone.insert(z.identifier.clone())
                && let Some(fd) = zone_finding(
                    z,
                    c,
                    &format!("the {leg}"),
                    &leg_msg,
                    s.authorisation.as_ref(),
                )
            {
                f.push(fd);
            }
        }
        ceiling_rule(rules, s, &b.alt, &format!("the {leg}"), &leg_msg, &ctx, f);
        if let Some(per) = &perimeter {
            match perimeter_contains_leg(per, a.pos, b.pos, margin) {
                Containment::Inside => {}
                c => f.push(finding(
                    rule_id::AUTH_PERIMETER,
                    Severity::Blocking,
                    format!(
                        "the {leg} ({} → {}) {} the authorised perimeter",
                        a.pos,
                        b.pos,
                        if c == Containment::Outside {
                            "leaves"
                        } else {
                            "comes too close to the edge of"
                        }
                    ),
                    Message::new(if c == Containment::Outside {
                        "perimeter-leg-leaves"
                    } else {
                        "perimeter-leg-edge"
                    })
                    .msg("what", leg_msg.clone())
                    .text("from", latlon_text(a.pos))
                    .text("to", latlon_text(b.pos)),
                )),
            }
        }
    }
    // One ceiling finding per cause is enough to read.
    dedup_by_rule(f, rule_id::CEILING, 3);
}

fn dedup_by_rule(f: &mut Vec<Finding>, id: &str, keep: usize) {
    let mut n = 0;
    let total = f.iter().filter(|x| x.rule_id == id).count();
    f.retain(|x| {
        if x.rule_id != id {
            return true;
        }
        n += 1;
        n <= keep
    });
    if total > keep
        && let Some(last) = f.iter_mut().rev().find(|x| x.rule_id == id)
    {
        last.reason
            .push_str(&format!(" (and {} more)", total - keep));
        let inner = std::mem::replace(&mut last.message, Message::new("and-more"));
        last.message = Message::new("and-more")
            .msg("inner", inner)
            .int("count", i64::try_from(total - keep).unwrap_or(i64::MAX));
    }
}

fn wind_rules(
    rules: &RuleSet,
    s: &Situation,
    in_flight: bool,
    now: DateTime<Utc>,
    f: &mut Vec<Finding>,
) {
    let airframe = s.vehicle.as_ref().map_or("", |v| v.airframe.as_str());
    let g = wind_gate(
        &s.wind,
        &rules.limits,
        airframe,
        in_flight,
        s.wind_last_exceeded_at,
        now,
    );
    let kmh = |x: f64| x * 3.6;
    let src = g.gate_source.map(|x| format!("{x:?}")).unwrap_or_default();
    let src_msg = Message::new(match g.gate_source {
        Some(crate::types::WindSource::Anemometer) | None => "source-anemometer",
        Some(crate::types::WindSource::Metar) => "source-metar",
        Some(crate::types::WindSource::Vehicle) => "source-vehicle",
    });
    let wind_msg = |key: &'static str, v: f64| {
        Message::new(key)
            .num("wind", kmh(v), 0)
            .msg("source", src_msg.clone())
            .num("limit", kmh(g.limit_mps), 0)
    };
    let limit = kmh(g.limit_mps);
    let (id, sev_ground) = if in_flight {
        (rule_id::WIND_INFLIGHT, Severity::Warning)
    } else {
        (rule_id::WIND_GATE, Severity::Blocking)
    };
    match (g.status, g.gate_mps) {
        (WindStatus::NoFreshSource, _) => f.push(finding(
            id,
            sev_ground,
            format!("no fresh wind reading ({} stale): wind unknown", g.stale.len()),
            Message::new("wind-no-fresh").int("stale", i64::try_from(g.stale.len()).unwrap_or(i64::MAX)),
        )),
        (WindStatus::AboveLimit, Some(v)) => f.push(finding(
            id,
            sev_ground,
            if in_flight {
                format!("wind {:.0} km/h ({src}) at or above the {limit:.0} km/h limit: return to launch recommended", kmh(v))
            } else {
                format!("wind {:.0} km/h ({src}) at or above the {limit:.0} km/h take-off limit", kmh(v))
            },
            wind_msg(if in_flight { "wind-above-limit-rtl" } else { "wind-above-takeoff-limit" }, v),
        )),
        (WindStatus::Hysteresis, Some(v)) => f.push(finding(
            id,
            sev_ground,
            format!("wind {:.0} km/h ({src}) back under the {limit:.0} km/h limit only recently: wait for it to settle", kmh(v)),
            wind_msg("wind-hysteresis", v),
        )),
        (WindStatus::Warn, Some(v)) => f.push(finding(
            id,
            Severity::Warning,
            format!("wind {:.0} km/h ({src}) above {:.0} % of the {limit:.0} km/h limit", kmh(v), rules.limits.wind.warn_fraction * 100.0),
            wind_msg("wind-warn", v).num("percent", rules.limits.wind.warn_fraction * 100.0, 0),
        )),
        _ => {}
    }
}

/// In flight: the battery against the way home, and the GPS.
fn monitor_vehicle_rules(rules: &RuleSet, s: &Situation, now: DateTime<Utc>, f: &mut Vec<Finding>) {
    let Some(v) = &s.vehicle else { return };
    let l = &rules.limits.vehicle;
    if let (Some(b), Some(needed)) = (v.battery_pct, return_battery_needed_pct(rules, s, now)) {
        if !b.is_finite() || b <= needed {
            f.push(finding(
                rule_id::BATTERY_RETURN,
                Severity::Blocking,
                format!("battery {b:.0} %: the reserve for the way home against the wind is reached ({needed:.0} % needed): return now"),
                Message::new("battery-return-now")
                    .num("pct", b, 0)
                    .num("needed", needed, 0),
            ));
        } else if b <= needed + 10.0 {
            f.push(finding(
                rule_id::BATTERY_RETURN,
                Severity::Warning,
                format!("battery {b:.0} %: {needed:.0} % is needed to come home against the wind with the reserve"),
                Message::new("battery-return-soon")
                    .num("pct", b, 0)
                    .num("needed", needed, 0),
            ));
        }
    }
    if v.gps_fix_type < l.min_fix_type || v.satellites < l.min_satellites {
        f.push(finding(
            rule_id::GPS_DEGRADED,
            Severity::Warning,
            format!(
                "GPS degraded: fix type {} with {} satellites (need fix ≥ {} and ≥ {})",
                v.gps_fix_type, v.satellites, l.min_fix_type, l.min_satellites
            ),
            Message::new("gps-degraded")
                .int("fix", v.gps_fix_type)
                .int("sats", v.satellites)
                .int("min_fix", l.min_fix_type)
                .int("min_sats", l.min_satellites),
        ));
    }
}

fn vehicle_rules(rules: &RuleSet, s: &Situation, now: DateTime<Utc>, f: &mut Vec<Finding>) {
    let Some(v) = &s.vehicle else {
        f.push(finding(
            rule_id::VEHICLE_UNKNOWN,
            Severity::Blocking,
            "no vehicle connected",
            Message::new("vehicle-unknown"),
        ));
        return;
    };
    let l = &rules.limits.vehicle;
    // The autopilot's own pre-arm checks, beside ours: a freshly booted ArduCopter refuses to arm
    // until its estimator has settled, and says why.
    let reasons = if v.autopilot_reasons.is_empty() {
        String::new()
    } else {
        format!(": {}", v.autopilot_reasons.join("; "))
    };
    match v.autopilot_ready {
        Some(true) => {}
        Some(false) => f.push(finding(
            rule_id::VEHICLE_PREARM,
            Severity::Blocking,
            format!("the autopilot is not ready to arm{reasons}"),
            Message::new("vehicle-prearm-not-ready").text("reasons", v.autopilot_reasons.join("; ")),
        )),
        None => f.push(finding(
            rule_id::VEHICLE_PREARM,
            Severity::Warning,
            format!("the autopilot does not report its pre-arm checks; it runs them when asked to arm{reasons}"),
            Message::new("vehicle-prearm-unknown").text("reasons", v.autopilot_reasons.join("; ")),
        )),
    }
    if v.gps_fix_type < l.min_fix_type || v.satellites < l.min_satellites {
        f.push(finding(
            rule_id::VEHICLE_GPS,
            Severity::Blocking,
            format!(
                "GPS fix type {} with {} satellites (need fix ≥ {} and ≥ {} satellites)",
                v.gps_fix_type, v.satellites, l.min_fix_type, l.min_satellites
            ),
            Message::new("vehicle-gps-fix")
                .int("fix", v.gps_fix_type)
                .int("sats", v.satellites)
                .int("min_fix", l.min_fix_type)
                .int("min_sats", l.min_satellites),
        ));
    }
    match v.fix_age_s(now) {
        Some(age)
            if v.position.is_some_and(|p| p.is_valid())
                && (-1.0..=l.max_fix_age_s).contains(&age) => {}
        Some(age) if v.position.is_some() => f.push(finding(
            rule_id::VEHICLE_GPS,
            Severity::Blocking,
            format!(
                "position is {age:.1} s old (limit {:.1} s)",
                l.max_fix_age_s
            ),
            Message::new("vehicle-position-old").num("age", age, 1).num(
                "limit",
                l.max_fix_age_s,
                1,
            ),
        )),
        _ => f.push(finding(
            rule_id::VEHICLE_GPS,
            Severity::Blocking,
            "no position from the vehicle",
            Message::new("vehicle-no-position"),
        )),
    }
    if !v.home_set {
        f.push(finding(
            rule_id::VEHICLE_HOME,
            Severity::Blocking,
            "home position not set",
            Message::new("vehicle-home-unset"),
        ));
    }
    if !v.fence_loaded || !v.fence_enabled {
        f.push(finding(
            rule_id::VEHICLE_FENCE,
            Severity::Blocking,
            format!(
                "on-board fence {}",
                if !v.fence_loaded {
                    "not loaded"
                } else {
                    "loaded but not enabled (FENCE_ENABLE)"
                }
            ),
            Message::new(if !v.fence_loaded {
                "vehicle-fence-not-loaded"
            } else {
                "vehicle-fence-not-enabled"
            }),
        ));
    }
    let needed = battery_needed_pct(rules, s, now);
    match v.battery_pct {
        None => f.push(finding(
            rule_id::VEHICLE_BATTERY,
            Severity::Blocking,
            "battery level unknown",
            Message::new("vehicle-battery-unknown"),
        )),
        Some(b) if !b.is_finite() || b < needed => f.push(finding(
            rule_id::VEHICLE_BATTERY,
            Severity::Blocking,
            format!("battery {b:.0} % is below the {needed:.0} % needed (mission, wind and {:.0} % reserve)", l.reserve_battery_pct),
            Message::new("vehicle-battery-low")
                .num("pct", b, 0)
                .num("needed", needed, 0)
                .num("reserve", l.reserve_battery_pct, 0),
        )),
        Some(_) => {}
    }
}

/// Battery percentage needed for the planned mission with the wind, plus the reserve.
pub fn battery_needed_pct(rules: &RuleSet, s: &Situation, now: DateTime<Utc>) -> f64 {
    let airframe = s.vehicle.as_ref().map_or("", |v| v.airframe.as_str());
    let reserve = rules.limits.vehicle.reserve_battery_pct;
    let Some(m) = &s.mission else { return reserve };
    let Some(home) = mission_home(s, now, &rules.limits) else {
        return reserve;
    };
    let minutes = mission_duration_s(rules, s, m, home) / 60.0;
    reserve + 100.0 * minutes / rules.limits.endurance_min(airframe)
}

fn checklist_rule(cl: &Checklist, ticks: &BTreeSet<String>, f: &mut Vec<Finding>) {
    let blocking: BTreeSet<&str> = f
        .iter()
        .filter(|x| x.severity == Severity::Blocking)
        .map(|x| x.rule_id)
        .collect();
    let missing: Vec<&str> = cl
        .items
        .iter()
        .filter(|it| match &it.kind {
            ChecklistKind::Manual => !ticks.contains(&it.id),
            ChecklistKind::Auto { rules } => rules.iter().any(|r| blocking.contains(r.as_str())),
        })
        .map(|it| it.label.as_str())
        .collect();
    if !missing.is_empty() {
        f.push(finding(
            rule_id::CHECKLIST,
            Severity::Blocking,
            format!("checklist incomplete: {}", missing.join("; ")),
            Message::new("checklist-incomplete").text("items", missing.join("; ")),
        ));
    }
}

/// Where and when the vehicle would cross a blocking zone's boundary or leave the perimeter at
/// its present ground velocity (or drifting with the wind), soonest first. The monitor warns
/// from it; the station may command RTL from it (its operator's policy).
pub fn predicted_breaches(
    rules: &RuleSet,
    s: &Situation,
    now: DateTime<Utc>,
) -> Vec<crate::breach::BreachPrediction> {
    let Some((p, _)) = current_fix(s, now, &rules.limits) else {
        return vec![];
    };
    let wind = s
        .wind
        .iter()
        .filter(|w| {
            now - w.observed_at
                <= Duration::seconds(
                    rules
                        .limits
                        .wind
                        .stale_vehicle_s
                        .max(rules.limits.wind.stale_anemometer_s),
                )
        })
        .max_by(|x, y| x.peak_mps().total_cmp(&y.peak_mps()));
    let unlocked: &[String] = s
        .authorisation
        .as_ref()
        .map_or(&[], |a| a.unlocks_zones.as_slice());
    let per = s
        .authorisation
        .as_ref()
        .map(Authorisation::perimeter_polygons)
        .unwrap_or_default();
    let input = BreachInput {
        pos: p,
        ground_velocity_ne_mps: s
            .vehicle
            .as_ref()
            .and_then(|v| v.ground_velocity_ne_mps)
            .unwrap_or([0.0, 0.0]),
        wind,
        unlocked,
        now,
        search_m: rules.limits.zones.fence_lookahead_m,
    };
    breach_prediction(&rules.zones, &per, &input)
}

/// Battery percentage needed to fly home from here against the wind and land, plus the reserve
/// (None when position, home or battery is unknown).
pub fn return_battery_needed_pct(
    rules: &RuleSet,
    s: &Situation,
    now: DateTime<Utc>,
) -> Option<f64> {
    let v = s.vehicle.as_ref()?;
    let (p, _) = current_fix(s, now, &rules.limits)?;
    let home = v.home.filter(|_| v.home_set)?;
    let airframe = v.airframe.as_str();
    let cruise = rules.limits.cruise_mps(airframe);
    let wind = s
        .wind
        .iter()
        .map(crate::types::WindReading::peak_mps)
        .fold(0.0, f64::max);
    // Worst case: all of it a headwind on the way home.
    let ground = (cruise - wind).max(1.0);
    let descent_s = v.alt_rel_home_m.unwrap_or(0.0).max(0.0) / 1.5;
    let minutes = (p.distance_m(&home) / ground + descent_s + 30.0) / 60.0;
    Some(
        rules.limits.vehicle.reserve_battery_pct
            + 100.0 * minutes / rules.limits.endurance_min(airframe),
    )
}

fn monitor_rules(rules: &RuleSet, s: &Situation, now: DateTime<Utc>, f: &mut Vec<Finding>) {
    monitor_vehicle_rules(rules, s, now, f);
    auth_rules(rules, s, now, None, f);
    wind_rules(rules, s, true, now, f);
    let Some((p, acc)) = current_fix(s, now, &rules.limits) else {
        f.push(finding(
            rule_id::POSITION_UNKNOWN,
            Severity::Blocking,
            "no fresh position from the vehicle",
            Message::new("monitor-no-position"),
        ));
        return;
    };
    // Over relief (a massif) the ground under the vehicle is not home's: with both known, the
    // height above home reads as height above that ground (± the model's relief bound).
    let ctx = match (s.ground_below_vehicle_amsl_m, s.ground_amsl_m) {
        (Some(below), Some(home)) => VerticalContext {
            ground_amsl_m: Some(below),
            ground_uncertainty_m: s
                .ground_below_vehicle_accuracy_m
                .map_or(rules.limits.ceiling.terrain_relief_m, f64::abs),
            home_amsl_m: Some(home),
            geoid_undulation_m: s.geoid_undulation_m,
            relief_vs_home_m: None,
        },
        _ => vertical_ctx(rules, s),
    };
    let alt = s
        .vehicle
        .as_ref()
        .and_then(|v| v.alt_rel_home_m)
        .map_or(Altitude::agl(f64::NAN), Altitude::rel_home);
    if alt.value_m.is_finite() {
        let what = Message::new("what-current-altitude");
        ceiling_rule(rules, s, &alt, "current altitude", &what, &ctx, f);
    }
    let fix = Position3d::new(
        p,
        if alt.value_m.is_finite() {
            alt
        } else {
            Altitude::agl(0.0)
        },
        acc,
    );
    f.extend(point_zone_findings_named(
        &rules.zones,
        &fix,
        &ctx,
        s.authorisation.as_ref(),
        now,
        "the vehicle",
        &Message::new("what-vehicle"),
    ));
    let per = s
        .authorisation
        .as_ref()
        .map(Authorisation::perimeter_polygons)
        .unwrap_or_default();
    if let Some(a) = &s.authorisation
        && perimeter_contains(&per, p, acc) == Containment::Outside
    {
        f.push(finding(
            rule_id::AUTH_PERIMETER,
            Severity::Blocking,
            format!(
                "the vehicle at {p} is outside the perimeter of arrêté {}",
                a.arrete
            ),
            Message::new("perimeter-vehicle-outside")
                .text("point", latlon_text(p))
                .text("arrete", &a.arrete),
        ));
    }
    {
        for b in predicted_breaches(rules, s, now) {
            let b_l = &rules.limits.breach;
            let soon = b.time_s.is_some_and(|t| t < b_l.warn_time_s);
            if (soon || b.distance_m < b_l.warn_distance_m) && b.time_s != Some(0.0) {
                let what = match &b.kind {
                    BreachKind::Zone { zone_id, zone_name } => {
                        format!("zone {zone_id} {zone_name:?}")
                    }
                    BreachKind::PerimeterExit => "the edge of the perimeter".to_string(),
                };
                let when = b
                    .time_s
                    .map(|t| format!(" in about {t:.0} s"))
                    .unwrap_or_default();
                let mut message = match (&b.kind, b.time_s) {
                    (BreachKind::Zone { zone_id, zone_name }, t) => Message::new(if t.is_some() {
                        "breach-zone-soon"
                    } else {
                        "breach-zone"
                    })
                    .text("zone", zone_id)
                    .text("name", zone_name),
                    (BreachKind::PerimeterExit, t) => Message::new(if t.is_some() {
                        "breach-perimeter-soon"
                    } else {
                        "breach-perimeter"
                    }),
                }
                .num("distance", b.distance_m, 0);
                if let Some(t) = b.time_s {
                    message = message.num("seconds", t, 0);
                }
                f.push(finding(
                    rule_id::BREACH_PREDICTED,
                    Severity::Warning,
                    format!("{what} is {:.0} m away{when}", b.distance_m),
                    message,
                ));
            }
        }
    }
}

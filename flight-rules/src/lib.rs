//! `flight_rules`: the pure heart of Vigie — the domain model (positions, altitudes with their
//! reference, wind, missions, zones, authorisations, pilots) and every rule that can say **no**.
//!
//! No I/O, no async, no clock reads: `now`, terrain elevation and fix age are arguments; files are
//! parsed from `&str`. Spatial answers are tri-state ([`Containment`]) and fail closed.

pub mod authorisation;
pub mod breach;
pub mod checklist;
pub mod error;
pub mod export;
pub mod fence;
mod geom;
pub mod legal_basis;
pub mod limits;
pub mod link;
pub mod message;
pub mod mission;
pub mod remote_id;
pub mod rules;
pub mod traffic;
pub mod types;
pub mod vehicle;
pub mod wind;
pub mod zone;
pub mod zonefile;
pub mod zoneset;

pub use authorisation::{Authorisation, Derogations, Pilot};
pub use breach::{BreachInput, BreachKind, BreachPrediction, breach_prediction};
pub use checklist::{Checklist, ChecklistItem, ChecklistKind};
pub use error::ConfigError;
pub use export::zones_to_geojson;
pub use fence::{
    FenceCircle, FenceError, FenceOptions, FencePlan, FencePolygon, fence_plan, fence_plan_with,
};
pub use legal_basis::{FlightLegalBasis, LegalBases, LegalBasis, RequiredDocument};
pub use limits::Limits;
pub use link::LinkLimits;
pub use message::{Arg, Message};
pub use mission::{
    Mission, MissionItem, PathPoint, PlanFence, QgcPlan, RallyPoint, parse_qgc_plan,
};
pub use remote_id::{
    OperatorRegistration, RegistrationError, RemoteIdArmStatus, RemoteIdBasicId,
    RemoteIdFlightStatus, RemoteIdIdType, RemoteIdLimits, RemoteIdLocation, RemoteIdOperatorId,
    RemoteIdSnapshot, RemoteIdSystem,
};
pub use rules::{
    Action, Decision, Finding, FlightMode, RuleSet, Severity, Situation, Verdict, evaluate,
    predicted_breaches, return_battery_needed_pct, rule_id,
};
pub use traffic::{
    IcaoAddress, Ownship, Traffic, TrafficAltRef, TrafficLimits, TrafficProximity,
    traffic_proximity,
};
pub use types::{
    AltRef, Altitude, Containment, Interval, LatLon, Position3d, VerticalContext, WindReading,
    WindSource,
};
pub use vehicle::VehicleSnapshot;
pub use wind::{MetarError, WindGate, WindStatus, parse_metar, wind_gate};
pub use zone::{Applicability, Restriction, Shape, Zone, ZoneAuthority, ZoneVolume};
pub use zonefile::{
    ZoneError, ZoneFileError, ZoneFileReport, parse_zone_file, parse_zone_file_strict,
};
pub use zoneset::{ZoneHit, ZoneSet};

/// The shipped zone files (name, text), embedded at build time.
pub const EMBEDDED_ZONE_FILES: &[(&str, &str)] = &[
    (
        "embedded:rules/zones/istres-ba125.json",
        include_str!("../rules/zones/istres-ba125.json"),
    ),
    (
        "embedded:rules/zones/salon-ba701.json",
        include_str!("../rules/zones/salon-ba701.json"),
    ),
    (
        "embedded:rules/zones/marseille-marignane.json",
        include_str!("../rules/zones/marseille-marignane.json"),
    ),
];

/// Every zone of the shipped files. They are tested to parse cleanly; a bad one would be
/// reported by `default_zone_reports` rather than panicking here.
pub fn default_zones() -> Vec<Zone> {
    default_zone_reports()
        .into_iter()
        .flat_map(|r| r.zones)
        .collect()
}

/// Parse reports of the shipped files (zones and any errors).
pub fn default_zone_reports() -> Vec<ZoneFileReport> {
    EMBEDDED_ZONE_FILES
        .iter()
        .map(|(name, text)| {
            parse_zone_file(text, name).unwrap_or_else(|e| ZoneFileReport {
                zones: vec![],
                errors: vec![ZoneError {
                    file: (*name).to_string(),
                    zone: "(file)".into(),
                    field: "(file)".into(),
                    problem: e.to_string(),
                }],
            })
        })
        .collect()
}

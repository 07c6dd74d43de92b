//! Shared builders for the tests: a fixed clock, the shipped rules, a healthy vehicle at Istres.

use chrono::{DateTime, TimeZone, Utc};
use flight_rules::*;

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
pub const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/rules/examples");

pub fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURES}/{name}")).unwrap()
}

pub fn example(name: &str) -> String {
    std::fs::read_to_string(format!("{EXAMPLES}/{name}")).unwrap()
}

/// A Saturday afternoon in 2026, inside the demo authorisation window.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 14, 14, 0, 0).unwrap()
}

/// Istres town centre, the demo perimeter's middle.
pub const ISTRES_CENTRE: LatLon = LatLon::new(43.5150, 4.9890);
/// Runway 15/33 thresholds of BA 125 (DOMAIN.md §2).
pub const LFMI_THR_15: LatLon = LatLon::new(43.537771, 4.913302);
pub const LFMI_THR_33: LatLon = LatLon::new(43.507789, 4.934626);

pub fn demo_auth(limits: &Limits) -> Authorisation {
    Authorisation::from_toml(
        &example("authorisation-istres-demo.toml"),
        "authorisation-istres-demo.toml",
        limits,
    )
    .unwrap()
}

pub fn demo_pilot() -> Pilot {
    Pilot::from_toml(&example("pilot-demo.toml"), "pilot-demo.toml").unwrap()
}

pub fn healthy_vehicle(at: LatLon, now: DateTime<Utc>) -> VehicleSnapshot {
    VehicleSnapshot {
        airframe: "ArduCopter".into(),
        gps_fix_type: 3,
        satellites: 14,
        h_accuracy_m: Some(2.0),
        position: Some(at),
        position_at: Some(now),
        alt_rel_home_m: Some(0.0),
        alt_amsl_m: Some(22.0),
        ground_velocity_ne_mps: Some([0.0, 0.0]),
        battery_pct: Some(98.0),
        home_set: true,
        home: Some(at),
        fence_loaded: true,
        fence_enabled: true,
        armed: false,
        airborne: false,
        autopilot_ready: Some(true),
        autopilot_reasons: vec![],
        link_signed: Some(true),
        remote_id: None,
    }
}

pub fn calm_wind(now: DateTime<Utc>) -> Vec<WindReading> {
    vec![WindReading {
        source: WindSource::Anemometer,
        mean_mps: 3.0,
        gust_mps: Some(5.0),
        from_deg: Some(330.0),
        observed_at: now - chrono::Duration::seconds(20),
    }]
}

/// Everything in order for a take-off from Istres town centre.
pub fn good_situation(rules: &RuleSet) -> Situation {
    let now = now();
    Situation {
        pilot: Some(demo_pilot()),
        training: false,
        authorisation: Some(demo_auth(&rules.limits)),
        vehicle: Some(healthy_vehicle(ISTRES_CENTRE, now)),
        wind: calm_wind(now),
        wind_last_exceeded_at: None,
        mission: None,
        takeoff_point: Some(ISTRES_CENTRE),
        ground_amsl_m: Some(22.0),
        ground_below_vehicle_amsl_m: None,
        ground_below_vehicle_accuracy_m: None,
        operator_registration: None,
        geoid_undulation_m: Some(49.5),
        checklist_ticks: rules
            .checklist
            .items
            .iter()
            .filter(|i| i.kind == ChecklistKind::Manual)
            .map(|i| i.id.clone())
            .collect(),
        cameras_in_use: Some(1),
        traffic: vec![],
        legal_basis: Some(police_basis("securite_rassemblements")),
    }
}

/// The shipped CSI L242 basis, for `purpose`.
pub fn police_basis(purpose: &str) -> FlightLegalBasis {
    LegalBases::default_embedded()
        .select("csi-l242", purpose, Default::default(), false)
        .unwrap()
}

pub fn ids(d: &Decision) -> Vec<&'static str> {
    d.blocking().map(|f| f.rule_id).collect()
}

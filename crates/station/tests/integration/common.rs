//! Shared fixtures: the demo pilot and arrêté, a healthy vehicle at Istres town centre, and a
//! core ready to judge.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::SystemTime;

use chrono::{DateTime, TimeZone, Utc};
use flight_rules::{Authorisation, Pilot, RuleSet, WindReading, WindSource};
use vigie_link::telemetry::{Battery, Gps, Position, Readiness};
use vigie_link::{Autopilot, CopterMode, GpsFix, LandedState, VehicleTelemetry};
use vigie_station::VehicleId;
use vigie_station::state::{CoreConfig, SessionState};

pub const AUTH: &str =
    include_str!("../../../../flight-rules/rules/examples/authorisation-istres-demo.toml");
pub const PILOT: &str = include_str!("../../../../flight-rules/rules/examples/pilot-demo.toml");

/// Istres town centre, inside the demo perimeter.
pub const TOWN: (f64, f64) = (43.5150, 4.9890);
pub const V1: VehicleId = VehicleId(1);

/// A fixed instant inside the demo arrêté's window (tests never read the clock).
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0)
        .single()
        .unwrap()
}

pub fn system_time(t: DateTime<Utc>) -> SystemTime {
    SystemTime::from(t)
}

pub fn rules() -> Arc<RuleSet> {
    Arc::new(RuleSet::default_embedded())
}

pub fn authorisation(rules: &RuleSet) -> Authorisation {
    Authorisation::from_toml(AUTH, "authorisation-istres-demo.toml", &rules.limits).unwrap()
}

pub fn pilot() -> Pilot {
    Pilot::from_toml(PILOT, "pilot-demo.toml").unwrap()
}

pub fn manual_ticks(rules: &RuleSet) -> BTreeSet<String> {
    rules
        .checklist
        .items
        .iter()
        .filter(|i| matches!(i.kind, flight_rules::ChecklistKind::Manual))
        .map(|i| i.id.clone())
        .collect()
}

pub fn calm(at: DateTime<Utc>) -> WindReading {
    WindReading {
        source: WindSource::Anemometer,
        mean_mps: 2.0,
        gust_mps: Some(3.5),
        from_deg: Some(330.0),
        observed_at: at,
    }
}

/// The mistral of istres-mistral: 50 km/h mean, gusts to 90 km/h.
pub fn mistral(at: DateTime<Utc>) -> WindReading {
    WindReading {
        source: WindSource::Anemometer,
        mean_mps: 13.9,
        gust_mps: Some(25.0),
        from_deg: Some(330.0),
        observed_at: at,
    }
}

/// A vehicle on the ground at Istres town centre, ready to arm (fix, home, battery, pre-arm).
pub fn healthy(at: DateTime<Utc>) -> VehicleTelemetry {
    let t = system_time(at);
    let pos = Position {
        lat_deg: TOWN.0,
        lon_deg: TOWN.1,
        alt_amsl_m: 20.0,
        alt_rel_m: 0.0,
    };
    VehicleTelemetry {
        sysid: 1,
        compid: 1,
        vehicle_type: 2,
        autopilot: Autopilot::ArduPilot,
        armed: false,
        mode: CopterMode::Stabilize,
        position: Some(pos),
        position_at: Some(t),
        landed_state: Some(LandedState::OnGround),
        velocity_ned_mps: Some([0.0, 0.0, 0.0]),
        battery: Some(Battery {
            voltage_v: 16.6,
            current_a: Some(0.5),
            remaining_pct: Some(98.0),
        }),
        gps: Some(Gps {
            fix: GpsFix::Fix3d,
            satellites: Some(14),
            hdop: Some(0.8),
        }),
        home: Some(pos),
        readiness: Readiness {
            prearm_ok: Some(true),
            ..Readiness::default()
        },
        last_heartbeat_at: Some(t),
        ..VehicleTelemetry::default()
    }
}

pub fn core_config(training: bool) -> CoreConfig {
    let rules = rules();
    CoreConfig {
        session: SessionState {
            pilot: Some(pilot()),
            authorisation: Some(authorisation(&rules)),
            legal_basis: Some(
                flight_rules::LegalBases::default_embedded()
                    .select(
                        "csi-l242",
                        "securite_rassemblements",
                        Default::default(),
                        false,
                    )
                    .unwrap(),
            ),
            training,
            checklist_ticks: manual_ticks(&rules),
            ..Default::default()
        },
        rules,
        airframe: "ArduCopter".into(),
        ground_amsl_m: Some(20.0),
        recording: false,
        policy: Default::default(),
    }
}

//! Shared fixtures: the real places (Sainte-Victoire from the simulator's scenario, Istres and
//! its arrêté, BA 125's zones), paths to repository files, external peers.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

use chrono::{DateTime, TimeZone, Utc};
use flight_rules::{Authorisation, LatLon, Limits, RuleSet, Situation, WindReading, WindSource};
use vigie_patrol::{SimTruth, parse_sim_truth};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 7, 15, 10, 0, 0)
        .single()
        .expect("valid time")
}

pub fn forest_truth() -> SimTruth {
    let path = repo().join("sim/scenarios/forest-patrol.toml");
    let text = std::fs::read_to_string(&path).expect("forest-patrol scenario");
    parse_sim_truth(&text, "sim/scenarios/forest-patrol.toml").expect("scenario truth")
}

pub fn rules() -> RuleSet {
    RuleSet::default_embedded()
}

/// The shipped demo arrêté for Istres town centre (perimeter 43.5105–43.5195 N, 4.9830–4.9950 E).
pub fn istres_authorisation() -> Authorisation {
    let path = repo().join("flight-rules/rules/examples/authorisation-istres-demo.toml");
    let text = std::fs::read_to_string(&path).expect("demo authorisation");
    Authorisation::from_toml(
        &text,
        "authorisation-istres-demo.toml",
        &Limits::default_embedded(),
    )
    .expect("demo authorisation parses")
}

fn authorisation(arrete: &str, points: &[[f64; 2]], unlocks: &[&str]) -> Authorisation {
    let pts = points
        .iter()
        .map(|p| format!("[{}, {}]", p[0], p[1]))
        .collect::<Vec<_>>()
        .join(", ");
    let unl = unlocks
        .iter()
        .map(|u| format!("\"{u}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let text = format!(
        r#"arrete = "{arrete}"
issuer = "Préfet des Bouches-du-Rhône (TEST)"
valid_from = 2026-06-01T00:00:00Z
valid_until = 2026-08-30T23:59:59Z
finalite = "protection_lieux_exposes"
max_cameras = 1
unlocks_zones = [{unl}]
[[perimeter]]
name = "test"
points = [{pts}]
"#
    );
    Authorisation::from_toml(
        &text,
        "test-authorisation.toml",
        &Limits::default_embedded(),
    )
    .expect("test authorisation parses")
}

/// An arrêté over the Sainte-Victoire south face (covers the scenario's terrain grid).
pub fn sainte_victoire_authorisation() -> Authorisation {
    authorisation(
        "TEST-SAINTE-VICTOIRE",
        &[
            [43.505, 5.560],
            [43.505, 5.610],
            [43.535, 5.610],
            [43.535, 5.560],
        ],
        &[],
    )
}

/// An arrêté beside BA 125: the forest and scrub between the runway and Istres, inside the
/// placeholder CTR (unlocked: the base's agreement), touching the prohibited runway strip.
pub fn ba125_edge_authorisation() -> Authorisation {
    authorisation(
        "TEST-BA125-EDGE",
        &[
            [43.498, 4.920],
            [43.498, 4.975],
            [43.530, 4.975],
            [43.530, 4.920],
        ],
        &["LFMI-CTR-PLACEHOLDER"],
    )
}

/// A wider arrêté around the runway's southern end (both sides of the strip, and south of it).
pub fn ba125_south_authorisation() -> Authorisation {
    authorisation(
        "TEST-BA125-SOUTH",
        &[
            [43.480, 4.900],
            [43.480, 4.975],
            [43.520, 4.975],
            [43.520, 4.900],
        ],
        &["LFMI-CTR-PLACEHOLDER"],
    )
}

pub fn wind(mean_kmh: f64, gust_kmh: f64, from_deg: f64) -> WindReading {
    WindReading {
        source: WindSource::Anemometer,
        mean_mps: mean_kmh / 3.6,
        gust_mps: Some(gust_kmh / 3.6),
        from_deg: Some(from_deg),
        observed_at: now(),
    }
}

pub fn situation(
    auth: Authorisation,
    home: LatLon,
    ground_amsl_m: f64,
    w: WindReading,
) -> Situation {
    Situation {
        authorisation: Some(auth),
        takeoff_point: Some(home),
        ground_amsl_m: Some(ground_amsl_m),
        wind: vec![w],
        training: true,
        ..Situation::default()
    }
}

/// A polygon from [lat, lon] corners.
pub fn poly(corners: &[[f64; 2]]) -> geo::Polygon<f64> {
    let mut ring: Vec<geo::Coord<f64>> = corners
        .iter()
        .map(|c| geo::Coord { x: c[1], y: c[0] })
        .collect();
    if let Some(&f) = ring.first() {
        ring.push(f);
    }
    geo::Polygon::new(geo::LineString::new(ring), vec![])
}

pub fn python() -> String {
    std::env::var("VIGIE_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Runs a peer program; a missing one fails with how to install it.
pub fn run(cmd: &mut Command, what: &str) -> std::process::Output {
    match cmd.output() {
        Ok(o) => o,
        Err(e) => panic!(
            "cannot run {what} ({e}): run `cargo xtask setup` (it installs gdal-bin and the Python venv), or set VIGIE_PYTHON"
        ),
    }
}

/// A small deterministic random sequence (tests must not depend on a seed crate).
pub struct Lcg(pub u64);
impl Lcg {
    pub fn next_f64(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 11) as f64) / ((1u64 << 53) as f64)
    }
    /// Standard normal (Box–Muller).
    pub fn gauss(&mut self) -> f64 {
        let u = self.next_f64().max(1e-12);
        let v = self.next_f64();
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

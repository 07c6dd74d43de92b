//! Speed of the two hot paths: a point query against a country's worth of zones (10 000), and
//! validating a 500-waypoint mission. A linear scan over the same zones runs as the peer, so the
//! R-tree's gain is read as a ratio measured in the same run.

#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark setup may panic

use std::hint::black_box;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use flight_rules::*;

/// Deterministic generator (no RNG dependency): SplitMix64.
struct Mix(u64);
impl Mix {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next()
    }
}

/// 10 000 zones over metropolitan France: 3/4 polygons of 8–24 vertices, 1/4 circles, 300 m–5 km.
fn country_zones() -> String {
    let mut m = Mix(42);
    let mut zones = vec![];
    for i in 0..10_000 {
        let c = LatLon::new(m.range(42.3, 51.0), m.range(-4.8, 8.2));
        let r = m.range(300.0, 5_000.0);
        let restriction = ["PROHIBITED", "REQ_AUTHORISATION", "CONDITIONAL"][i % 3];
        let hp = if i % 4 == 0 {
            serde_json::json!({"type": "Circle", "center": [c.lon_deg, c.lat_deg], "radius": r})
        } else {
            let n = 8 + (i % 17);
            let mut ring: Vec<[f64; 2]> = (0..n)
                .map(|k| {
                    let p = c.destination(360.0 * k as f64 / n as f64, r * m.range(0.6, 1.0));
                    [p.lon_deg, p.lat_deg]
                })
                .collect();
            ring.push(ring[0]);
            serde_json::json!({"type": "Polygon", "coordinates": [ring]})
        };
        zones.push(serde_json::json!({
            "identifier": format!("BENCH-{i}"), "restriction": restriction,
            "geometry": [{"uomDimensions": "M", "lowerLimit": 0, "lowerVerticalReference": "AGL",
                "upperLimit": 150, "upperVerticalReference": "AGL", "horizontalProjection": hp}]
        }));
    }
    serde_json::json!({ "UASZoneList": zones }).to_string()
}

fn benches(c: &mut Criterion) {
    let now = Utc.with_ymd_and_hms(2026, 3, 14, 14, 0, 0).unwrap();
    let mut zones = parse_zone_file_strict(&country_zones(), "bench.json").unwrap();
    zones.extend(default_zones());
    let set = ZoneSet::new(zones);
    let ctx = VerticalContext::with_ground(50.0);
    let mut m = Mix(7);
    let points: Vec<Position3d> = (0..1024)
        .map(|_| {
            Position3d::new(
                LatLon::new(m.range(42.3, 51.0), m.range(-4.8, 8.2)),
                Altitude::agl(60.0),
                10.0,
            )
        })
        .collect();

    let mut g = c.benchmark_group("point_query_10k_zones");
    let mut i = 0;
    g.bench_function("rtree", |b| {
        b.iter(|| {
            i = (i + 1) % points.len();
            black_box(set.query_point(black_box(&points[i]), &ctx, now).len())
        })
    });
    let mut j = 0;
    g.bench_function("linear_scan_peer", |b| {
        b.iter(|| {
            j = (j + 1) % points.len();
            let p = &points[j];
            black_box(
                set.zones()
                    .iter()
                    .filter(|z| {
                        z.applicability.is_active(now)
                            && z.contains(p, &ctx) != Containment::Outside
                    })
                    .count(),
            )
        })
    });
    g.finish();

    // 500 waypoints zig-zagging over a 10 km square west of Marseille, all zones loaded.
    let limits = Limits::default_embedded();
    let auth_text = format!(
        "arrete = \"BENCH\"\nissuer = \"bench\"\nvalid_from = 2026-01-01T00:00:00Z\nvalid_until = 2026-12-31T00:00:00Z\nfinalite = \"{}\"\nmax_cameras = 1\n[[perimeter]]\npoints = [[43.30, 5.00], [43.30, 5.14], [43.40, 5.14], [43.40, 5.00]]\n",
        limits.authorisation.finalites[0]
    );
    let auth = Authorisation::from_toml(&auth_text, "bench.toml", &limits).unwrap();
    let mut items = vec![MissionItem::takeoff(0, 50.0)];
    for k in 0..500u16 {
        let lat = 43.305 + 0.09 * f64::from(k / 2) / 250.0;
        let lon = if (k / 2) % 2 == (k % 2) { 5.01 } else { 5.13 };
        items.push(MissionItem::waypoint(k + 1, LatLon::new(lat, lon), 50.0));
    }
    let mission = Mission {
        items,
        planned_home: None,
        cruise_speed_mps: Some(12.0),
        hover_speed_mps: None,
    };
    let rules = RuleSet {
        zones: set.clone(),
        limits,
        checklist: Checklist::default_embedded(),
    };
    let situation = Situation {
        authorisation: Some(auth),
        mission: Some(mission),
        takeoff_point: Some(LatLon::new(43.305, 5.01)),
        ground_amsl_m: Some(30.0),
        ..Situation::default()
    };
    let d = evaluate(&rules, &situation, &Action::UploadMission, now);
    eprintln!(
        "500-waypoint mission: {:?}, rules {:?}",
        d.verdict,
        d.findings.iter().map(|f| f.rule_id).collect::<Vec<_>>()
    );
    c.bench_function("validate_500_waypoint_mission_10k_zones", |b| {
        b.iter(|| {
            black_box(
                evaluate(&rules, black_box(&situation), &Action::UploadMission, now)
                    .findings
                    .len(),
            )
        })
    });
}

criterion_group!(name = queries; config = Criterion::default().sample_size(30); targets = benches);
criterion_main!(queries);

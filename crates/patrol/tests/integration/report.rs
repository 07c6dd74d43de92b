//! The SDIS report: GeoJSON validated by Python `geojson` and opened by GDAL's `ogrinfo` (what
//! QGIS reads with), KML opened by `ogrinfo` too; both list the hot spots.

use std::process::Command;

use chrono::Duration;
use flight_rules::LatLon;
use vigie_patrol::{
    Attitude, CameraModel, CameraPose, Gimbal, Ground, HotspotLog, HotspotSource, MergePolicy,
    Observation, PatrolReport, TrackPoint, coverage, to_geojson, to_kml,
};

use crate::common::*;

fn report() -> PatrolReport {
    let t = forest_truth();
    let f = vigie_patrol::LocalFrame::new(t.home);
    let cam = CameraModel::vigie_sim_thermal();
    // Two legs east–west 80 m apart at 120 m above home.
    let mut track = Vec::new();
    let mut poses = Vec::new();
    for (k, y) in [(0, 600.0), (1, 680.0)] {
        for i in 0..=40 {
            let x = if k == 0 {
                -800.0 + 30.0 * i as f64
            } else {
                400.0 - 30.0 * i as f64
            };
            let pos = f.to_latlon([x, y]);
            let at = now() + Duration::seconds((k * 41 + i) as i64 * 3);
            track.push(TrackPoint {
                at,
                pos,
                alt_amsl_m: t.home_amsl_m + 120.0,
            });
            poses.push(CameraPose {
                position: pos,
                alt_amsl_m: t.home_amsl_m + 120.0,
                attitude: Attitude {
                    roll_deg: 0.0,
                    pitch_deg: 0.0,
                    yaw_deg: if k == 0 { 90.0 } else { 270.0 },
                },
                gimbal: Gimbal::NADIR,
            });
        }
    }
    let cov = coverage(
        &cam,
        &poses,
        &Ground::Flat {
            amsl_m: t.home_amsl_m,
        },
        1,
        2000.0,
        1.0,
    );
    let mut log = HotspotLog::new(MergePolicy::default());
    for (i, h) in t.hotspots.iter().enumerate() {
        log.observe(Observation {
            at: now() + Duration::seconds(60 * i as i64),
            pos: h.pos,
            error_m: 9.5,
            ground_amsl_m: Some(843.0),
            source: HotspotSource::Thermal,
            peak: Some(255.0),
            snapshot: Some(format!("snapshots/HS-{}.jpg", i + 1)),
            note: (i == 0).then(|| "fumée & flammes <visible> \"lisière\"".to_string()),
        });
    }
    PatrolReport {
        title: "Patrouille feux de forêt — Sainte-Victoire".into(),
        flight_id: Some("ISTRES-2026-0715-01".into()),
        operator: Some("Police municipale d'Istres".into()),
        pilot: Some("PM-ISTRES-07".into()),
        legal_basis: Some("env-risques-naturels".into()),
        started_at: now(),
        ended_at: now() + Duration::minutes(12),
        track,
        planned: vec![
            t.home,
            LatLon::new(43.523, 5.575),
            LatLon::new(43.525, 5.595),
        ],
        coverage: cov,
        hotspots: log.hotspots().to_vec(),
    }
}

#[test]
fn the_coverage_is_the_union_of_the_footprints() {
    let r = report();
    let cov = r.coverage.as_ref().expect("coverage");
    // Two overlapping 1.2 km strips, 112 m wide (50° at 120 m), 80 m apart: one polygon of about
    // (1200 + 63) × (112 + 80) m.
    assert_eq!(cov.0.len(), 1);
    let ha = r.covered_ha();
    assert!((ha - 1263.0 * 192.0 / 10_000.0).abs() < 2.5, "{ha} ha");
}

#[test]
fn geojson_validates_and_gdal_lists_the_hotspots() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = report();
    let gj = dir.path().join("patrol.geojson");
    std::fs::write(&gj, to_geojson(&r)).expect("write");
    // Python geojson: valid, with the hot spots and their properties.
    let script = r#"
import sys, geojson
with open(sys.argv[1], encoding="utf-8") as f:
    fc = geojson.load(f)
assert fc.is_valid, fc.errors()
kinds = [ft["properties"]["kind"] for ft in fc["features"]]
for ft in fc["features"]:
    assert ft.is_valid, ft.errors()
hs = [ft for ft in fc["features"] if ft["properties"]["kind"] == "hotspot"]
print("kinds", ",".join(kinds))
for h in hs:
    print("hotspot", h["properties"]["id"], h["properties"]["error_m"], h["properties"]["snapshot"], h["geometry"]["coordinates"][0], h["geometry"]["coordinates"][1])
"#;
    let out = run(
        Command::new(python()).args(["-c", script]).arg(&gj),
        "python",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "python geojson ({}): {}{}\n(run `cargo xtask setup`: it installs geojson in the venv)",
        python(),
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("kinds track,planned,coverage,hotspot,hotspot,hotspot"),
        "{stdout}"
    );
    assert!(
        stdout.contains("hotspot HS-1 9.5 snapshots/HS-1.jpg 5.5905 43.5262"),
        "{stdout}"
    );
    // GDAL opens it (the driver QGIS uses) and lists the features.
    let out = run(
        Command::new("ogrinfo").args(["-ro", "-al", "-q"]).arg(&gj),
        "ogrinfo",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "ogrinfo: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for id in ["HS-1", "HS-2", "HS-3"] {
        assert!(
            text.contains(&format!("id (String) = {id}")),
            "{id} in {text}"
        );
    }
    assert!(text.contains("kind (String) = coverage") && text.contains("kind (String) = track"));
    assert!(text.contains("snapshot (String) = snapshots/HS-2.jpg"));
    assert!(
        text.contains("fumée & flammes <visible> \"lisière\""),
        "{text}"
    );
    assert!(text.contains("POINT Z (5.5905 43.5262 843)"), "{text}");
}

#[test]
fn kml_opens_in_gdal_with_the_hotspot_placemarks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = report();
    let kml = dir.path().join("patrol.kml");
    std::fs::write(&kml, to_kml(&r)).expect("write");
    let out = run(
        Command::new("ogrinfo").args(["-ro", "-so"]).arg(&kml),
        "ogrinfo",
    );
    let layers = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "ogrinfo: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for l in ["Hotspots", "Track", "Planned", "Coverage"] {
        assert!(layers.contains(l), "layer {l} in {layers}");
    }
    let out = run(
        Command::new("ogrinfo")
            .args(["-ro", "-al", "-q"])
            .arg(&kml)
            .arg("Hotspots"),
        "ogrinfo",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "ogrinfo: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for id in ["HS-1", "HS-2", "HS-3"] {
        assert!(
            text.contains(&format!("Name (String) = {id}")),
            "{id} in {text}"
        );
    }
    assert!(text.contains("snapshots/HS-1.jpg"), "{text}");
    assert!(text.contains("POINT Z (5.5905 43.5262 0)"), "{text}");
    // Escaped text survives the round trip.
    assert!(
        text.contains("fumée &amp; flammes") || text.contains("fumée & flammes"),
        "{text}"
    );
}

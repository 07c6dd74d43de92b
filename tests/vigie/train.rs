//! `vigie train --headless` against the real simulator: a scripted trainee flies a scenario, the
//! score comes from what the training register recorded, and the forest patrol writes its report.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_vigie");

fn sim_bin() -> PathBuf {
    let p = PathBuf::from(BIN).with_file_name("vigie-sim");
    assert!(
        p.exists(),
        "{} is missing: build it with `cargo build -p vigie_sim` (cargo xtask test does)",
        p.display()
    );
    p
}

fn train(args: &[&str], data: &Path) -> Output {
    Command::new(BIN)
        .arg("train")
        .arg("--headless")
        .args(args)
        .env("VIGIE_DATA_DIR", data)
        .env("VIGIE_SIM_BIN", sim_bin())
        .env_remove("DISPLAY")
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// (item id, outcome) of a score.json.
fn outcomes(report: &Path) -> Vec<(String, String)> {
    let sheet: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("score.json")).unwrap()).unwrap();
    sheet["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap().to_string(),
                i["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn failed(report: &Path) -> Vec<String> {
    outcomes(report)
        .into_iter()
        .filter(|(_, o)| o == "failed")
        .map(|(id, _)| id)
        .collect()
}

#[test]
fn under_mistral_the_careless_trainee_loses_the_wind_gate_and_the_careful_one_does_not() {
    for (conduct, expected) in [("careless", vec!["wind-gate"]), ("good", vec![])] {
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("report");
        let out = train(
            &[
                "--scenario",
                "istres-mistral",
                "--trainee",
                conduct,
                "--no-video",
                "--report",
                report.to_str().unwrap(),
            ],
            &dir.path().join("data"),
        );
        assert!(out.status.success(), "{}", text(&out));
        assert_eq!(failed(&report), expected, "{conduct}: {}", text(&out));
        // The score is read from the register: the refusal is there with its rule.
        if conduct == "careless" {
            assert!(
                text(&out).contains("refused by WIND-GATE"),
                "{}",
                text(&out)
            );
        }
        assert!(report.join("score.html").exists());
        assert!(report.join("timeline.json").exists());
    }
}

#[test]
fn after_a_link_loss_the_careless_trainee_fails_exactly_the_return_the_alarms_and_the_battery() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report");
    let out = train(
        &[
            "--scenario",
            "link-loss",
            "--trainee",
            "careless",
            "--no-video",
            "--report",
            report.to_str().unwrap(),
        ],
        &dir.path().join("data"),
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        failed(&report),
        ["returns-after-link-loss", "alarms", "landing-battery"],
        "{}",
        text(&out)
    );
}

#[test]
fn the_forest_patrol_finds_the_fires_within_their_stated_error_and_writes_a_readable_report() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report");
    let out = train(
        &[
            "--scenario",
            "forest-patrol",
            "--report",
            report.to_str().unwrap(),
            "--drop-dir",
            dir.path().join("sdis").to_str().unwrap(),
        ],
        &dir.path().join("data"),
    );
    let log = text(&out);
    assert!(out.status.success(), "{log}");
    assert!(failed(&report).is_empty(), "{log}");
    let sheet: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("score.json")).unwrap()).unwrap();
    assert_eq!(sheet["full_marks"], true, "the scripted good pilot: {log}");
    // Over the massif the ceiling is read above the ground under the drone, and the fence
    // ceiling makes room for the relief: no CEILING alarm, no fence breach (`no-breach` above).
    assert!(!log.contains("CEILING"), "{log}");

    let geojson: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("patrol.geojson")).unwrap())
            .unwrap();
    let features = geojson["features"].as_array().unwrap();
    let kinds: Vec<&str> = features
        .iter()
        .map(|f| f["properties"]["kind"].as_str().unwrap())
        .collect();
    for k in ["track", "planned", "coverage", "hotspot"] {
        assert!(kinds.contains(&k), "{k} missing from {kinds:?}");
    }
    let track = features
        .iter()
        .find(|f| f["properties"]["kind"] == "track")
        .unwrap();
    assert!(
        track["properties"]["flight_id"].is_string(),
        "the report names the register's flight: {track}"
    );

    // Every reported hot spot lies within its stated error of a fire the scenario hid.
    let truth = vigie_patrol::parse_sim_truth(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("sim/scenarios/forest-patrol.toml"),
        )
        .unwrap(),
        "forest-patrol.toml",
    )
    .unwrap();
    let mut found = 0;
    for f in features
        .iter()
        .filter(|f| f["properties"]["kind"] == "hotspot")
    {
        let c = &f["geometry"]["coordinates"];
        let p = flight_rules::LatLon::new(c[1].as_f64().unwrap(), c[0].as_f64().unwrap());
        let err = f["properties"]["error_m"].as_f64().unwrap();
        let nearest = truth
            .hotspots
            .iter()
            .map(|h| distance_m(h.pos, p))
            .fold(f64::INFINITY, f64::min);
        assert!(
            nearest <= err,
            "hot spot {} is {nearest:.0} m from the nearest fire, stated ± {err:.0} m",
            f["properties"]["id"]
        );
        found += 1;
        let snap = f["properties"]["snapshot"].as_str().unwrap();
        assert!(report.join(snap).exists(), "snapshot {snap}");
    }
    assert!(found >= 2, "{found} hot spots reported\n{log}");
    // The copy for the fire service: one complete directory named after the flight.
    let flight = track["properties"]["flight_id"].as_str().unwrap();
    let dropped = dir.path().join("sdis").join(flight);
    for f in ["patrol.geojson", "patrol.kml"] {
        assert_eq!(
            std::fs::read(dropped.join(f)).unwrap(),
            std::fs::read(report.join(f)).unwrap(),
            "{f}"
        );
    }

    // Independent readers: the geojson package's validator, and GDAL for both files.
    if let Ok(py) = std::env::var("VIGIE_PYTHON") {
        let v = Command::new(py)
            .args([
                "-c",
                "import geojson,sys; d=geojson.load(open(sys.argv[1])); assert d.is_valid, d.errors()",
            ])
            .arg(report.join("patrol.geojson"))
            .output()
            .unwrap();
        assert!(v.status.success(), "{}", text(&v));
    }
    if Command::new("ogrinfo").arg("--version").output().is_ok() {
        // Both open, and GDAL lists every hot spot feature (as QGIS would load them).
        for f in ["patrol.geojson", "patrol.kml"] {
            let v = Command::new("ogrinfo")
                .args(["-ro", "-al"])
                .arg(report.join(f))
                .output()
                .unwrap();
            assert!(v.status.success(), "{f}: {}", text(&v));
            let listed = String::from_utf8_lossy(&v.stdout);
            for id in ["HS-1", "HS-2"] {
                assert!(listed.contains(id), "{f}: {id} not listed\n{listed}");
            }
        }
    }
}

#[test]
fn a_scenario_without_scoring_or_trainee_is_refused_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let out = train(
        &["--scenario", "forest-patrol", "--trainee", "careless"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("careless trainees exist for"),
        "{}",
        text(&out)
    );
    let out = train(&["--scenario", "no-such-place"], dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--scoring"), "{}", text(&out));
}

fn distance_m(a: flight_rules::LatLon, b: flight_rules::LatLon) -> f64 {
    let k = 111_320.0;
    let dn = (a.lat_deg - b.lat_deg) * k;
    let de = (a.lon_deg - b.lon_deg) * k * a.lat_deg.to_radians().cos();
    dn.hypot(de)
}

//! QGroundControl `.plan` export → import → export, identical; and `vigie plan check --out`.

use std::process::Command;

use flight_rules::{FenceCircle, FencePolygon, LatLon, RallyPoint};
use vigie::plan_file::{PlanFile, PlanItem, alt_mode};

fn sample() -> PlanFile {
    let mut roi = PlanItem::nav(195, LatLon::new(43.5171, 4.9902), 0.0, 0.0);
    roi.altitude_mode = alt_mode::ABSOLUTE;
    let mut rtl = PlanItem::nav(20, LatLon::new(0.0, 0.0), 0.0, 0.0);
    rtl.altitude = None;
    PlanFile {
        planned_home: Some((LatLon::new(43.5150, 4.9890), 21.5)),
        items: vec![
            PlanItem::nav(22, LatLon::new(0.0, 0.0), 40.0, 0.0),
            PlanItem::nav(16, LatLon::new(43.5172, 4.9872), 40.0, 0.0),
            PlanItem::nav(19, LatLon::new(43.5172, 4.9922), 55.5, 30.0),
            roi,
            PlanItem::nav(16, LatLon::new(43.5130, 4.9922), 40.123456789, 0.0),
            rtl,
        ],
        fence_polygons: vec![FencePolygon {
            inclusion: true,
            vertices: vec![
                LatLon::new(43.5105, 4.9830),
                LatLon::new(43.5105, 4.9950),
                LatLon::new(43.5195, 4.9950),
                LatLon::new(43.5195, 4.9830),
            ],
        }],
        fence_circles: vec![FenceCircle {
            inclusion: false,
            center: LatLon::new(43.5160, 4.9900),
            radius_m: 35.0,
        }],
        breach_return: Some((LatLon::new(43.5150, 4.9890), 30.0)),
        rally: vec![RallyPoint {
            pos: LatLon::new(43.5140, 4.9880),
            alt_rel_home_m: 25.0,
        }],
        ..PlanFile::default()
    }
}

#[test]
fn a_plan_exported_then_imported_is_identical() {
    let plan = sample();
    let text = plan.to_json();
    let back = PlanFile::parse(&text, "exported.plan").unwrap();
    assert_eq!(back, plan, "every field survives");
    assert_eq!(
        back.to_json(),
        text,
        "and the file written again is byte-identical"
    );
    // QGroundControl's own fields are there, as it writes them.
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["fileType"], "Plan");
    assert_eq!(v["version"], 1);
    assert_eq!(v["groundStation"], "Vigie");
    let m = &v["mission"];
    for k in [
        "cruiseSpeed",
        "hoverSpeed",
        "firmwareType",
        "vehicleType",
        "plannedHomePosition",
        "globalPlanAltitudeMode",
        "version",
    ] {
        assert!(!m[k].is_null(), "mission.{k}");
    }
    let it = &m["items"][2];
    assert_eq!(it["type"], "SimpleItem");
    assert_eq!(it["command"], 19);
    assert_eq!(it["frame"], 3);
    assert_eq!(it["doJumpId"], 3);
    assert_eq!(it["AltitudeMode"], 1);
    assert_eq!(it["Altitude"], 55.5);
    assert!(it["AMSLAltAboveTerrain"].is_null());
    assert!(
        it["params"][3].is_null(),
        "NaN is written null, as QGroundControl does"
    );
    assert_eq!(it["autoContinue"], true);
    assert_eq!(v["geoFence"]["version"], 2);
    assert_eq!(v["geoFence"]["circles"][0]["circle"]["radius"], 35.0);
    assert_eq!(v["rallyPoints"]["points"][0][2], 25.0);
    // The mission the station would upload keeps MAVLink's meaning.
    let mission = back.mission();
    assert_eq!(mission.items.len(), 6);
    assert!(mission.items[2].params[3].is_nan());
}

#[test]
fn a_qgroundcontrol_plan_keeps_its_altitude_modes_through_vigie() {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("flight-rules/tests/fixtures/istres_patrol.plan");
    let text = std::fs::read_to_string(&fixture).unwrap();
    let plan = PlanFile::parse(&text, "istres_patrol.plan").unwrap();
    assert_eq!(plan.items.len(), 8);
    let again = PlanFile::parse(&plan.to_json(), "again.plan").unwrap();
    assert_eq!(again, plan);
}

#[test]
fn plan_check_out_writes_the_plan_back_in_the_same_format() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("flight-rules/tests/fixtures/istres_patrol.plan");
    let auth = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("flight-rules/rules/examples/authorisation-istres-demo.toml");
    let out1 = dir.path().join("out1.plan");
    let out2 = dir.path().join("out2.plan");
    for (input, output) in [(fixture.as_path(), &out1), (out1.as_path(), &out2)] {
        let o = Command::new(env!("CARGO_BIN_EXE_vigie"))
            .args(["plan", "check"])
            .arg(input)
            .arg("--authorisation")
            .arg(&auth)
            .args(["--time", "2026-03-14T14:00:00Z", "--out"])
            .arg(output)
            .env("VIGIE_DATA_DIR", dir.path())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{stdout}{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(stdout.contains("written:"), "{stdout}");
    }
    let a = std::fs::read_to_string(&out1).unwrap();
    assert_eq!(
        a,
        std::fs::read_to_string(&out2).unwrap(),
        "round trip through the CLI is stable"
    );
    assert_eq!(
        PlanFile::parse(&a, "out1.plan").unwrap(),
        PlanFile::parse(&std::fs::read_to_string(&fixture).unwrap(), "in.plan").unwrap()
    );
}

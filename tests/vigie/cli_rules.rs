//! CLI tests of `vigie zones check` and `vigie plan check` (flight rules), run against the built
//! binary. Exit statuses: 0 allowed, 2 bad input (naming file, zone, field), 3 refused.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_vigie");

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("flight-rules/tests/fixtures")
        .join(name)
}

fn demo_authorisation() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("flight-rules/rules/examples/authorisation-istres-demo.toml")
}

/// Run `vigie` with an empty data directory of its own (so no operator files leak in).
fn vigie(data_dir: &Path, args: &[&str]) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(BIN)
        .args(args)
        .env("VIGIE_DATA_DIR", data_dir)
        .env_remove("VIGIE_CONFIG")
        .output()
        .expect("run vigie");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

const T: &str = "2026-03-14T14:00:00Z";

#[test]
fn zones_check_on_the_istres_runway_is_refused_without_any_zones_flag() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, _) = vigie(
        dir.path(),
        &[
            "zones",
            "check",
            "--at",
            "43.507789,4.934626,30",
            "--ground-amsl",
            "25",
            "--time",
            T,
        ],
    );
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("ZONE-PROHIBITED") && out.contains("LFMI-P-PLACEHOLDER"),
        "{out}"
    );
}

#[test]
fn zones_check_in_istres_town_needs_the_authorisation_that_unlocks_the_ctr() {
    let dir = tempfile::tempdir().unwrap();
    let at = [
        "zones",
        "check",
        "--at",
        "43.5150,4.9890,50",
        "--ground-amsl",
        "22",
        "--time",
        T,
    ];
    let (code, out, _) = vigie(dir.path(), &at);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("ZONE-AUTH-REQUIRED") && out.contains("LFMI-CTR-PLACEHOLDER"),
        "{out}"
    );
    let auth = demo_authorisation();
    let mut with_auth = at.to_vec();
    with_auth.extend(["--authorisation", auth.to_str().unwrap()]);
    let (code, out, _) = vigie(dir.path(), &with_auth);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("covered by arrêté DEMO-13-2026-0001"), "{out}");
}

#[test]
fn zones_check_far_from_any_zone_is_allowed_and_above_the_ceiling_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, _) = vigie(
        dir.path(),
        &["zones", "check", "--at", "45.7640,4.8357,50", "--time", T],
    );
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = vigie(
        dir.path(),
        &["zones", "check", "--at", "45.7640,4.8357,150", "--time", T],
    );
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("CEILING"), "{out}");
}

#[test]
fn zones_check_reads_extra_and_operator_zone_files() {
    let dir = tempfile::tempdir().unwrap();
    let ed318 = fixture("ed318_sample.geojson");
    // Inside the stadium circle during the match.
    let args = [
        "zones",
        "check",
        "--at",
        "43.2699,5.3958,40",
        "--time",
        "2026-05-10T20:00:00Z",
    ];
    let (code, out, _) = vigie(dir.path(), &args);
    assert_eq!(code, 0, "without the file the stadium is unknown: {out}");
    let mut with = args.to_vec();
    with.extend(["--zones", ed318.to_str().unwrap()]);
    let (code, out, _) = vigie(dir.path(), &with);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("FR-ED318-STADE"), "{out}");
    // The same file in <data-dir>/zones/ is picked up without --zones.
    std::fs::create_dir_all(dir.path().join("zones")).unwrap();
    std::fs::copy(&ed318, dir.path().join("zones/stade.geojson")).unwrap();
    let (code, out, _) = vigie(dir.path(), &args);
    assert_eq!(code, 3, "{out}");
}

#[test]
fn zones_check_bad_input_exits_2_naming_the_file_zone_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let bad = fixture("ed269_one_bad_zone.json");
    let (code, _, err) = vigie(
        dir.path(),
        &[
            "zones",
            "check",
            "--at",
            "43.0,5.0,50",
            "--zones",
            bad.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("ed269_one_bad_zone.json")
            && err.contains("BAD-LIMIT")
            && err.contains("lowerLimit"),
        "{err}"
    );
    let (code, _, err) = vigie(dir.path(), &["zones", "check", "--at", "43.5,north,50"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--at"), "{err}");
    let (code, _, err) = vigie(
        dir.path(),
        &[
            "zones",
            "check",
            "--at",
            "43.5,5.0,50",
            "--zones",
            "/nonexistent/zones.json",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("/nonexistent/zones.json"), "{err}");
    let (code, _, err) = vigie(
        dir.path(),
        &[
            "zones",
            "check",
            "--at",
            "43.5,5.0,50",
            "--time",
            "yesterday",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--time"), "{err}");
}

#[test]
fn plan_check_istres_patrol_with_and_without_the_authorisation() {
    let dir = tempfile::tempdir().unwrap();
    let plan = fixture("istres_patrol.plan");
    let auth = demo_authorisation();
    let (code, out, _) = vigie(
        dir.path(),
        &[
            "plan",
            "check",
            plan.to_str().unwrap(),
            "--authorisation",
            auth.to_str().unwrap(),
            "--time",
            T,
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("8 mission item(s)"), "{out}");
    // Without the arrêté, the CTR of BA 125 is not unlocked.
    let (code, out, _) = vigie(
        dir.path(),
        &["plan", "check", plan.to_str().unwrap(), "--time", T],
    );
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("ZONE-AUTH-REQUIRED"), "{out}");
    // After the arrêté ends: refused on the window.
    let (code, out, _) = vigie(
        dir.path(),
        &[
            "plan",
            "check",
            plan.to_str().unwrap(),
            "--authorisation",
            auth.to_str().unwrap(),
            "--time",
            "2028-01-05T10:00:00Z",
        ],
    );
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("AUTH-WINDOW"), "{out}");
}

#[test]
fn plan_check_refuses_a_leg_over_the_runway_and_names_bad_fields() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("istres_patrol.plan")).unwrap();
    // Send waypoint 1 onto runway threshold 33 of BA 125.
    let over = text.replace(
        "[0, 0, 0, null, 43.5175, 4.9870, 50]",
        "[0, 0, 0, null, 43.507789, 4.934626, 50]",
    );
    assert_ne!(over, text);
    let p = dir.path().join("over-runway.plan");
    std::fs::write(&p, over).unwrap();
    let (code, out, _) = vigie(
        dir.path(),
        &["plan", "check", p.to_str().unwrap(), "--time", T],
    );
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("ZONE-PROHIBITED") && out.contains("LFMI-P-PLACEHOLDER"),
        "{out}"
    );

    let broken = text.replace(
        "\"frame\": 3,\n                \"params\": [0, 0, 0, null, 43.5175",
        "\"frame\": \"three\",\n                \"params\": [0, 0, 0, null, 43.5175",
    );
    assert_ne!(broken, text);
    let b = dir.path().join("broken.plan");
    std::fs::write(&b, broken).unwrap();
    let (code, _, err) = vigie(
        dir.path(),
        &["plan", "check", b.to_str().unwrap(), "--time", T],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("broken.plan") && err.contains("mission.items[1].frame"),
        "{err}"
    );
}

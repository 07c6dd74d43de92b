//! CLI tests of `vigie register …` for issue 15: reports, transparency, witnesses, pinned-key
//! bundle checks, purge with an actor, and the `list` count on its own line (issue 16).

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Command, Output};

use chrono::{TimeDelta, TimeZone as _, Utc};
use vigie_register::*;

const BIN: &str = env!("CARGO_BIN_EXE_vigie");

fn vigie(data_dir: &Path, args: &[&str]) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(BIN)
        .args(args)
        .env("VIGIE_DATA_DIR", data_dir)
        .env_remove("VIGIE_CONFIG")
        .env_remove("VIGIE_ACTOR")
        .env_remove("VIGIE_REGISTER_POSTGRES")
        .output()
        .expect("run vigie");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

const FLIGHT: &str = "F-20260601T100000Z-drone-1";

/// A sealed flight with a real .rrd, a tlog, a video segment and a refusal, as the station records it.
fn record(dir: &Path) -> Register {
    let mut reg = Register::open(dir, RegisterKind::Legal).unwrap();
    let start = Utc.with_ymd_and_hms(2026, 6, 1, 10, 0, 0).unwrap();
    reg.add_pilot(&PilotRecord {
        pilot_id: "PM-07".into(),
        name: "Brigadier Camille Martin".into(),
        administrative_id: "PM-13047-007".into(),
        certificate_number: "FRA-RP-000123".into(),
        certificate_kind: "télépilote".into(),
        certificate_issued_on: start.date_naive() - TimeDelta::days(300),
        certificate_expires_on: start.date_naive() + TimeDelta::days(300),
        pin_hash: None,
        airframes: vec![],
        logbook_last_flight_on: None,
    })
    .unwrap();
    reg.add_aircraft(&AircraftRecord {
        registration: "F-DRN-0001".into(),
        model: "ANAFI USA GOV".into(),
        serial: None,
        mass_g: Some(500),
    })
    .unwrap();
    let ring = vec![
        [43.5105, 4.9830],
        [43.5105, 4.9950],
        [43.5195, 4.9950],
        [43.5195, 4.9830],
    ];
    reg.add_authorisation(&AuthorisationRecord {
        arrete_number: "13-2026-06-0042".into(),
        issuer: "Préfet des Bouches-du-Rhône".into(),
        signed_on: start.date_naive() - TimeDelta::days(10),
        valid_from: start - TimeDelta::days(5),
        valid_until: start + TimeDelta::days(60),
        finalite: "securite_rassemblements".into(),
        perimeter_lat_lon_deg: vec![ring.clone()],
        max_cameras: 1,
        public_information: "affichage en mairie".into(),
        scan_sha256: None,
        revoked: false,
    })
    .unwrap();
    reg.start_deployment(&DeploymentRecord {
        deployment_id: "D-1".into(),
        arrete_number: "13-2026-06-0042".into(),
        finalite: "securite_rassemblements".into(),
        place: "Istres, centre-ville".into(),
        planned_start: start,
        planned_end: start + TimeDelta::hours(6),
    })
    .unwrap();
    reg.start_flight_with_basis(
        &FlightStart {
            flight_id: FLIGHT.into(),
            deployment_id: "D-1".into(),
            arrete_number: "13-2026-06-0042".into(),
            finalite: "securite_rassemblements".into(),
            pilot_id: "PM-07".into(),
            aircraft_registration: "F-DRN-0001".into(),
            started_at: start,
            takeoff_lat_deg: Some(43.5150),
            takeoff_lon_deg: Some(4.9890),
            place: "Istres, centre-ville".into(),
            anonymised_copy: false,
            vehicle: None,
            operator_registration: None,
        },
        &LegalBasisRecord {
            id: "csi-l242".into(),
            version: "2026-02".into(),
            title: "Code de la sécurité intérieure, L242-1 à L242-8".into(),
            purpose: "securite_rassemblements".into(),
            personal_data: true,
            recordings_retention_h: 168,
            domicile_retention_h: 48,
            public_information: "Information du public (L242-3)".into(),
            documents: Default::default(),
            emergency: false,
        },
    )
    .unwrap();
    reg.record_event(&EventRecord {
        flight_id: Some(FLIGHT.into()),
        at: start + TimeDelta::minutes(4),
        kind: EventKind::Denial,
        code: "cmd.goto".into(),
        text: "go-to refusé : sortie du périmètre".into(),
        rule_ids: vec!["AUTH-PERIMETER".into()],
        data: None,
        vehicle: None,
    })
    .unwrap();
    let rec = reg.create_recordings_dir(FLIGHT).unwrap();
    let seg = rec.join("cam0-000.mkv");
    std::fs::write(&seg, b"segment".repeat(100)).unwrap();
    reg.record_video_segment(&VideoSegment {
        flight_id: FLIGHT.into(),
        camera: "cam0".into(),
        started_at: start,
        ended_at: start + TimeDelta::minutes(1),
        file: file_ref(&seg).unwrap(),
        domicile: false,
    })
    .unwrap();
    let mut r = FlightRecorder::create(&rec.join("flight.rrd"), FLIGHT).unwrap();
    r.zone("perimeter", ZoneStyle::Perimeter, &ring).unwrap();
    for i in 0..120 {
        let a = i as f64 / 120.0 * std::f64::consts::TAU;
        r.sample(&TelemetrySample {
            time: start + TimeDelta::seconds(i),
            lat_deg: 43.5150 + 0.003 * a.sin(),
            lon_deg: 4.9890 + 0.004 * (1.0 - a.cos()) - 0.004,
            alt_agl_m: 40.0,
            ground_speed_mps: 5.0,
            battery_pct: Some(90.0),
            wind_speed_mps: None,
            wind_from_deg: None,
            roll_deg: 0.0,
            pitch_deg: 0.0,
            yaw_deg: 0.0,
        })
        .unwrap();
    }
    let s = r.finish().unwrap();
    reg.seal_flight(&FlightSeal {
        flight_id: FLIGHT.into(),
        ended_at: start + TimeDelta::minutes(12),
        track: s.track,
        max_alt_agl_m: s.max_alt_agl_m,
        tlog: None,
        rrd: Some(s.file),
        covered_entries: vec![],
        ending: None,
    })
    .unwrap();
    reg
}

#[test]
fn register_list_prints_its_count_on_a_line_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    drop(record(dir.path()));
    let (code, out, err) = vigie(
        dir.path(),
        &[
            "register",
            "list",
            "--actor",
            "chef",
            "--motive",
            "contrôle",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.last().unwrap().starts_with("1 flight(s)"), "{out}");
    let row = lines.iter().find(|l| l.starts_with(FLIGHT)).unwrap();
    assert!(row.trim_end().ends_with("yes"), "{row}");
    assert!(!out.contains("yes1") && !out.contains("no1"), "{out}");
}

#[test]
fn register_report_writes_a_private_html_and_pdf_citing_the_seal() {
    let dir = tempfile::tempdir().unwrap();
    let mut reg = record(dir.path());
    let seal = reg
        .show_flight(FLIGHT, &Actor::system(), "test")
        .unwrap()
        .seal_entry
        .unwrap();
    drop(reg);
    let out_dir = dir.path().join("reports");
    let (code, out, err) = vigie(
        dir.path(),
        &[
            "register",
            "report",
            FLIGHT,
            "--out",
            out_dir.to_str().unwrap(),
            "--actor",
            "chef",
            "--motive",
            "compte rendu",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&seal.hash), "{out}");
    let pdf = out_dir.join(format!("{FLIGHT}.pdf"));
    let html = out_dir.join(format!("{FLIGHT}.html"));
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));
    assert!(
        std::fs::read_to_string(&html)
            .unwrap()
            .contains("AUTH-PERIMETER")
    );
    for p in [&pdf, &html] {
        assert_eq!(
            std::fs::metadata(p).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    assert_eq!(
        std::fs::metadata(&out_dir).unwrap().permissions().mode() & 0o777,
        0o700
    );
    if let Some(keep) = std::env::var_os("VIGIE_REPORT_OUT") {
        std::fs::create_dir_all(&keep).unwrap();
        std::fs::copy(&pdf, Path::new(&keep).join("cli-report.pdf")).unwrap();
    }
    // Without an actor: refused, naming the fix.
    let (code, _, err) = vigie(
        dir.path(),
        &["register", "report", FLIGHT, "--out", "x", "--motive", "m"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--actor"), "{err}");
}

#[test]
fn register_verify_says_what_it_cannot_see_and_the_witness_catches_a_cut() {
    let dir = tempfile::tempdir().unwrap();
    drop(record(dir.path()));
    let (code, out, _) = vigie(dir.path(), &["register", "verify"]);
    assert_eq!(code, 0);
    assert!(out.contains("cannot see entries cut off the end"), "{out}");
    let witness = tempfile::tempdir().unwrap();
    let w = witness.path().to_str().unwrap();
    let (code, out, err) = vigie(
        dir.path(),
        &["register", "witness", "--to", w, "--actor", "chef"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("witnessed by"), "{out}");
    let (code, out, _) = vigie(dir.path(), &["register", "verify", "--witness", w]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("witnessed up to its end"), "{out}");
    // An attacker with the file deletes the last 3 entries (triggers dropped), with Python's sqlite3.
    let db = dir.path().join("register.sqlite");
    let py = Command::new("python3")
        .arg("-c")
        .arg(
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); \
             c.execute('DROP TRIGGER entries_never_deleted'); \
             c.execute('DELETE FROM entries WHERE id IN (SELECT id FROM entries ORDER BY id DESC LIMIT 3)'); \
             c.commit()",
        )
        .arg(&db)
        .status()
        .unwrap();
    assert!(py.success());
    let (code, _, _) = vigie(dir.path(), &["register", "verify"]);
    assert_eq!(
        code, 0,
        "verify alone cannot see a cut end (that is the point of the witness)"
    );
    let (code, _, err) = vigie(dir.path(), &["register", "verify", "--witness", w]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("MISSING") && err.contains("3 entries"),
        "{err}"
    );
}

#[test]
fn verify_bundle_against_a_pinned_key_and_a_purge_needs_an_actor() {
    let dir = tempfile::tempdir().unwrap();
    let reg = record(dir.path());
    let key = reg.public_key_hex();
    drop(reg);
    let bundle = dir.path().join("bundle");
    let (code, _, err) = vigie(
        dir.path(),
        &[
            "register",
            "export",
            FLIGHT,
            "--motive",
            "réquisition",
            "--recipient",
            "Parquet",
            "--out",
            bundle.to_str().unwrap(),
            "--actor",
            "chef",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let b = bundle.to_str().unwrap();
    let (code, out, _) = vigie(dir.path(), &["register", "verify-bundle", b, "--key", &key]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("pinned") && out.contains(&key), "{out}");
    let other = "ab".repeat(32);
    let (code, out, err) = vigie(
        dir.path(),
        &["register", "verify-bundle", b, "--key", &other],
    );
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("not the pinned key"), "{err}");
    let (code, _, err) = vigie(
        dir.path(),
        &["register", "verify-bundle", b, "--key", "nonsense"],
    );
    assert_eq!(code, 2, "{err}");
    // Purge: an actor and a motive, and never ahead of the clock.
    let (code, _, err) = vigie(dir.path(), &["register", "purge", "--motive", "m"]);
    assert_eq!(code, 2, "{err}");
    let future = (Utc::now() + TimeDelta::days(30)).to_rfc3339();
    let (code, _, err) = vigie(
        dir.path(),
        &[
            "register", "purge", "--actor", "chef", "--motive", "m", "--now", &future,
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("in the future"), "{err}");
    let (code, out, err) = vigie(
        dir.path(),
        &[
            "register",
            "purge",
            "--actor",
            "chef",
            "--motive",
            "contrôle des durées",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("entries erased"), "{out}");
}

#[test]
fn transparency_export_is_a_draft_until_a_chief_approves_it() {
    let dir = tempfile::tempdir().unwrap();
    drop(record(dir.path()));
    let out = dir.path().join("transparence.json");
    let o = out.to_str().unwrap();
    let args = [
        "register",
        "transparency",
        "--from",
        "2026-06-01",
        "--to",
        "2026-06-30",
        "--out",
        o,
    ];
    let (code, stdout, err) = vigie(dir.path(), &[&args[..], &["--actor", "agent"]].concat());
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("DRAFT"), "{stdout}");
    let (code, stdout, err) = vigie(
        dir.path(),
        &[
            &args[..],
            &[
                "--approve",
                "--actor",
                "chef-pm",
                "--actor-name",
                "Cheffe Durand",
                "--role",
                "chef de service",
            ],
        ]
        .concat(),
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        stdout.contains("approved by Cheffe Durand (chef de service)"),
        "{stdout}"
    );
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(json["aggregate"]["total"]["flights"], 1);
    assert_eq!(json["approved"]["approval"]["approved_by"]["id"], "chef-pm");
    let text = json.to_string();
    assert!(
        !text.contains("Camille") && !text.contains("F-DRN") && !text.contains("centre-ville"),
        "{text}"
    );
    let (code, _, err) = vigie(
        dir.path(),
        &[
            "register",
            "transparency",
            "--from",
            "2026-06-01",
            "--to",
            "2026-06-30",
            "--out",
            "x.txt",
            "--actor",
            "a",
        ],
    );
    assert_eq!(code, 2, "{err}");
}

//! Issue 15's hardening: file modes, pinned-key and link-refusing bundle checks, purges that need
//! an actor, refuse the future and delete nothing outside the station's own recordings.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use chrono::TimeDelta;
use vigie_register::*;

use crate::common::*;

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
}

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        out.push(p.clone());
        if p.is_dir() {
            walk(&p, out);
        }
    }
}

#[test]
fn everything_the_register_creates_is_private() {
    let b = Backend::sqlite();
    // Whatever the umask says: 0600 files, 0700 directories.
    let mut reg = b.open();
    record_flight(&mut reg, "FM", t0(), &[false]);
    let bundle = b.dir.path().join("bundle");
    reg.export_bundle("FM", "réquisition", "OPJ", &actor("chef"), &bundle)
        .unwrap();
    let data = b.dir.path();
    for p in [
        data.join("register.sqlite"),
        data.join("register.sqlite-wal"),
        data.join("keys/station-ed25519.key"),
        data.join("keys/station-ed25519.pub"),
        data.join("keys/station-ed25519.pub.pem"),
        reg.recordings_dir("FM").join("flight.rrd"),
    ] {
        assert_eq!(mode(&p), 0o600, "{}", p.display());
    }
    for d in [
        data.join("keys"),
        data.join("recordings"),
        reg.recordings_dir("FM"),
    ] {
        assert_eq!(mode(&d), 0o700, "{}", d.display());
    }
    let mut all = Vec::new();
    walk(&bundle, &mut all);
    assert!(all.len() > 8);
    for p in all.iter().chain([&bundle]) {
        let want = if p.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(p), want, "{}", p.display());
    }
    // A register written by an older version (world-readable) is tightened when opened.
    drop(reg);
    std::fs::set_permissions(
        data.join("register.sqlite"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    std::fs::set_permissions(
        data.join("recordings"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let reg = b.open();
    assert_eq!(mode(&data.join("register.sqlite")), 0o600);
    assert_eq!(mode(&data.join("recordings")), 0o700);
    assert_eq!(mode(&reg.create_recordings_dir("FN").unwrap()), 0o700);
}

#[test]
fn a_bundle_re_signed_with_another_key_fails_against_the_pinned_key() {
    let b = Backend::sqlite();
    let mut reg = b.open();
    record_flight(&mut reg, "FK", t0(), &[false]);
    let out = b.dir.path().join("bundle");
    reg.export_bundle("FK", "réquisition", "Parquet", &actor("chef"), &out)
        .unwrap();
    let station_key = PinnedKey::parse(&reg.public_key_hex()).unwrap();
    let v = verify_bundle_with_key(&out, Some(&station_key)).unwrap();
    assert!(v.is_ok(), "{:?}", v.problems);
    assert!(v.key_source.starts_with("pinned"), "{}", v.key_source);
    // Pinned from the PEM the service published.
    let pem = b.dir.path().join("keys").join(keys::PUBLIC_KEY_PEM_FILE);
    let from_pem = PinnedKey::parse(pem.to_str().unwrap()).unwrap();
    assert_eq!(from_pem.public_hex, reg.public_key_hex());

    // A forger rebuilds the bundle with their own key: new public key, new manifest signature.
    let forger_dir = tempfile::tempdir().unwrap();
    let forger = keys::StationKey::load_or_create(forger_dir.path()).unwrap();
    let chain = std::fs::read_to_string(out.join("chain.jsonl")).unwrap();
    std::fs::write(
        out.join("chain.jsonl"),
        chain.replace("reposition refused", "reposition granted"),
    )
    .unwrap();
    std::fs::write(
        out.join(keys::PUBLIC_KEY_FILE),
        format!("{}\n", forger.public_hex()),
    )
    .unwrap();
    let mut manifest = String::new();
    let mut files = Vec::new();
    walk(&out, &mut files);
    let mut rels: Vec<String> = files
        .iter()
        .filter(|p| p.is_file())
        .map(|p| p.strip_prefix(&out).unwrap().to_string_lossy().into_owned())
        .filter(|r| r != MANIFEST && r != MANIFEST_SIG)
        .collect();
    rels.sort();
    for r in &rels {
        manifest.push_str(&format!("{}  {r}\n", file_sha256(&out.join(r)).unwrap()));
    }
    std::fs::write(out.join(MANIFEST), &manifest).unwrap();
    std::fs::write(out.join(MANIFEST_SIG), forger.sign(manifest.as_bytes())).unwrap();
    // Against the key it ships, the manifest checks (only the chain's own signatures betray it).
    let shipped = verify_bundle(&out).unwrap();
    assert!(shipped.key_source.starts_with("bundle"));
    assert!(
        !shipped.problems.iter().any(|p| p.starts_with(MANIFEST_SIG)),
        "{:?}",
        shipped.problems
    );
    // Against the pinned key it fails, and says why.
    let v = verify_bundle_with_key(&out, Some(&station_key)).unwrap();
    assert!(!v.is_ok());
    assert!(
        v.problems
            .iter()
            .any(|p| p.contains("not the pinned key") && p.contains(&forger.public_hex())),
        "{:?}",
        v.problems
    );
    assert!(
        v.problems.iter().any(|p| p.starts_with(MANIFEST_SIG)),
        "{:?}",
        v.problems
    );
}

#[test]
fn verify_bundle_refuses_symbolic_links_and_paths_out_of_the_bundle() {
    let b = Backend::sqlite();
    let mut reg = b.open();
    record_flight(&mut reg, "FL2", t0(), &[]);
    let out = b.dir.path().join("bundle");
    reg.export_bundle("FL2", "m", "r", &actor("chef"), &out)
        .unwrap();
    // A loop (made the old walk overflow its stack) and a link out of the bundle.
    let looped = out.join("files").join("loop");
    std::os::unix::fs::symlink("..", &looped).unwrap();
    let err = verify_bundle(&out).unwrap_err();
    assert!(
        err.to_string().contains("symbolic link") && err.to_string().contains("loop"),
        "{err}"
    );
    std::fs::remove_file(&looped).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", out.join("passwd")).unwrap();
    let err = verify_bundle(&out).unwrap_err();
    assert!(err.to_string().contains("passwd"), "{err}");
    std::fs::remove_file(out.join("passwd")).unwrap();
    let link = b.dir.path().join("bundle-link");
    std::os::unix::fs::symlink(&out, &link).unwrap();
    assert!(
        verify_bundle(&link)
            .unwrap_err()
            .to_string()
            .contains("symbolic link")
    );
    assert!(verify_bundle(&out).unwrap().is_ok());
    // A manifest line reaching outside is refused, not read.
    let m = std::fs::read_to_string(out.join(MANIFEST)).unwrap();
    std::fs::write(
        out.join(MANIFEST),
        format!("{m}{}  ../../keys/station-ed25519.key\n", "0".repeat(64)),
    )
    .unwrap();
    let v = verify_bundle(&out).unwrap();
    assert!(
        v.problems.iter().any(|p| p.contains("leaves the bundle")),
        "{:?}",
        v.problems
    );
}

#[test]
fn purge_needs_an_actor_refuses_the_future_and_journals_who() {
    let b = Backend::sqlite();
    let mut reg = b.open();
    let fx = record_flight(&mut reg, "FP2", t0(), &[false]);
    let future = reg.now() + TimeDelta::days(1);
    let err = reg
        .purge_by(future, &actor("chef"), "nettoyage")
        .unwrap_err();
    assert!(
        matches!(err, Error::BadInput(_)) && err.to_string().contains("future"),
        "{err}"
    );
    assert!(fx.tlog.exists(), "erased early");
    let nobody = Actor {
        id: " ".into(),
        name: "".into(),
        role: "".into(),
    };
    assert!(
        reg.purge_by(t0() + TimeDelta::days(8), &nobody, "m")
            .is_err()
    );
    assert!(
        reg.purge_by(t0() + TimeDelta::days(8), &actor("chef"), " ")
            .is_err()
    );
    let r = reg
        .purge_by(
            t0() + TimeDelta::days(8),
            &actor("chef"),
            "contrôle des durées",
        )
        .unwrap();
    assert!(!r.erased_entries.is_empty() && !fx.tlog.exists(), "{r:?}");
    let erasure: ErasureRecord = serde_json::from_str(
        b.by_kind(kind::ERASURE)
            .last()
            .unwrap()
            .payload
            .as_ref()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(erasure.actor.id, "chef");
    assert_eq!(erasure.motive.as_deref(), Some("contrôle des durées"));
    // The automatic purge names the system actor.
    record_flight(&mut reg, "FP3", t0(), &[false]);
    reg.purge(t0() + TimeDelta::days(8)).unwrap();
    let erasure: ErasureRecord = serde_json::from_str(
        b.by_kind(kind::ERASURE)
            .last()
            .unwrap()
            .payload
            .as_ref()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        (erasure.actor.id.as_str(), erasure.motive.as_deref()),
        ("system", Some(AUTOMATIC_PURGE))
    );
}

#[test]
fn purge_deletes_nothing_outside_the_stations_recordings() {
    let b = Backend::sqlite();
    let mut reg = b.open();
    record_flight(&mut reg, "FQ", t0(), &[]);
    let elsewhere = tempfile::tempdir().unwrap();
    let victim = elsewhere.path().join("precious.txt");
    std::fs::write(&victim, "not a recording").unwrap();
    // A planted path (as a row written by someone else would hold), and a link in the
    // recordings directory that points out of it.
    reg.record_video_segment(&VideoSegment {
        flight_id: "FQ".into(),
        camera: "cam0".into(),
        started_at: t0(),
        ended_at: t0(),
        file: file_ref(&victim).unwrap(),
        domicile: false,
    })
    .unwrap();
    let link = reg.recordings_dir("FQ").join("cam0-link.ts");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    reg.record_video_segment(&VideoSegment {
        flight_id: "FQ".into(),
        camera: "cam0".into(),
        started_at: t0(),
        ended_at: t0(),
        file: FileRef {
            path: link.display().to_string(),
            ..file_ref(&victim).unwrap()
        },
        domicile: false,
    })
    .unwrap();
    let r = reg.purge(t0() + TimeDelta::days(8)).unwrap();
    assert!(
        victim.exists(),
        "the purge deleted a file outside the recordings: {r:?}"
    );
    assert!(
        r.failures
            .iter()
            .any(|f| f.contains("precious.txt") && f.contains("NOT deleted")),
        "{:?}",
        r.failures
    );
    assert!(
        r.failures.iter().any(|f| f.contains("symbolic link")),
        "{:?}",
        r.failures
    );
    // The flight's own recordings went.
    assert!(!reg.recordings_dir("FQ").join("flight.rrd").exists());
}

#[test]
fn flight_ids_are_unique_per_station_and_second() {
    let b = Backend::sqlite();
    let mut reg = b.open();
    let at = t0();
    let a = reg.new_flight_id(at, "drone 1").unwrap();
    assert!(
        a.contains("20260601T120000Z") && a.contains(reg.station_id()) && a.contains("drone_1"),
        "{a}"
    );
    record_flight(&mut reg, &a, t0(), &[]);
    let again = reg.new_flight_id(at, "drone 1").unwrap();
    assert_eq!(again, format!("{a}-2"));
}

fn basis(id: &str, purpose: &str, keep_h: u32) -> LegalBasisRecord {
    LegalBasisRecord {
        id: id.into(),
        version: "2026-02".into(),
        title: format!("basis {id}"),
        purpose: purpose.into(),
        personal_data: keep_h > 0,
        recordings_retention_h: keep_h,
        domicile_retention_h: keep_h.min(48),
        public_information: "information".into(),
        documents: Default::default(),
        emergency: false,
    }
}

#[test]
fn each_flight_carries_its_legal_basis_and_retention_follows_it() {
    let b = Backend::sqlite();
    let mut reg = b.open();
    // Record three flights the usual way, then re-open their starts under different bases.
    let police = record_flight(&mut reg, "FB-police", t0(), &[false]);
    let dep = DeploymentRecord {
        deployment_id: "D-env".into(),
        arrete_number: "A-FB-police".into(),
        finalite: "feux_de_forets".into(),
        place: "Istres, massif de Castillon".into(),
        planned_start: t0() - TimeDelta::hours(3),
        planned_end: t0(),
    };
    reg.start_deployment(&dep).unwrap();
    let start = |id: &str| FlightStart {
        flight_id: id.into(),
        deployment_id: "D-env".into(),
        arrete_number: "A-FB-police".into(),
        finalite: "feux_de_forets".into(),
        pilot_id: "P-FB-police".into(),
        aircraft_registration: "F-DRN-FB-police".into(),
        started_at: t0() - TimeDelta::hours(2),
        takeoff_lat_deg: None,
        takeoff_lon_deg: None,
        place: "Istres, massif de Castillon".into(),
        anonymised_copy: false,
        vehicle: None,
        operator_registration: None,
    };
    reg.start_flight_with_basis(
        &start("FB-forest"),
        &basis("env-risques-naturels", "feux_de_forets", 720),
    )
    .unwrap();
    reg.start_flight_with_basis(&start("FB-training"), &basis("aviation", "formation", 0))
        .unwrap();
    let mut files = Vec::new();
    for f in ["FB-forest", "FB-training"] {
        let dir = reg.create_recordings_dir(f).unwrap();
        let p = dir.join("cam0.ts");
        std::fs::write(&p, f).unwrap();
        reg.record_video_segment(&VideoSegment {
            flight_id: f.into(),
            camera: "cam0".into(),
            started_at: t0() - TimeDelta::hours(2),
            ended_at: t0() - TimeDelta::hours(1),
            file: file_ref(&p).unwrap(),
            domicile: false,
        })
        .unwrap();
        files.push(p);
    }
    let basis_of = |reg: &mut Register, f: &str| {
        reg.show_flight(f, &actor("chef"), "contrôle")
            .unwrap()
            .legal_basis
            .map(|b| (b.id, b.version, b.purpose))
    };
    assert_eq!(
        basis_of(&mut reg, "FB-forest"),
        Some((
            "env-risques-naturels".into(),
            "2026-02".into(),
            "feux_de_forets".into()
        ))
    );
    assert_eq!(
        basis_of(&mut reg, "FB-police"),
        None,
        "no basis recorded: CSI defaults"
    );
    let listed = reg
        .list_flights(&FlightFilter::default(), &actor("chef"), "m")
        .unwrap();
    assert!(
        listed
            .iter()
            .any(|f| f.legal_basis.as_deref() == Some("aviation"))
    );
    // Right after the deployment ends: plain aviation keeps nothing; the others keep theirs.
    let r = reg.purge(t0() + TimeDelta::minutes(1)).unwrap();
    assert!(!files[1].exists(), "plain aviation kept a recording: {r:?}");
    assert!(files[0].exists() && police.segments[0].0.exists());
    // After 7 days the CSI flight's go; the natural-risk basis keeps 30 days.
    reg.purge(t0() + TimeDelta::days(7)).unwrap();
    assert!(!police.segments[0].0.exists() && files[0].exists());
    reg.purge(t0() + TimeDelta::days(30)).unwrap();
    assert!(!files[0].exists());
    let rules: Vec<String> = b
        .by_kind(kind::ERASURE)
        .iter()
        .map(|e| {
            serde_json::from_str::<ErasureRecord>(e.payload.as_ref().unwrap())
                .unwrap()
                .rule
        })
        .collect();
    assert!(
        rules
            .iter()
            .any(|r| r.contains("aviation v2026-02") && r.contains("0 h")),
        "{rules:?}"
    );
    assert!(reg.verify().unwrap().is_ok());
}

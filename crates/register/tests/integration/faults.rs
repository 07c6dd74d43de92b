//! Faults: corrupt database, disk full, read-only directory. Clear errors, nothing repaired silently,
//! nothing already written lost.

use std::process::Command;

use chrono::Utc;
use vigie_register::*;

use crate::common::*;

fn event(i: usize) -> EventRecord {
    EventRecord {
        flight_id: None,
        at: Utc::now(),
        kind: EventKind::Alarm,
        code: "test".into(),
        text: format!("alarm {i} {}", "x".repeat(500)),
        rule_ids: vec![],
        data: None,
        vehicle: None,
    }
}

#[test]
fn a_corrupt_database_is_reported_and_left_untouched() {
    let b = Backend::sqlite();
    let mut reg = b.open();
    record_flight(&mut reg, "FC", t0(), &[false]);
    drop(reg);
    let db = b.dir.path().join("register.sqlite");
    // 1. A garbage header: not a database any more.
    let original = std::fs::read(&db).unwrap();
    let mut garbage = original.clone();
    garbage[..16].copy_from_slice(b"NOT A DATABASE!!");
    std::fs::write(&db, &garbage).unwrap();
    let err = b.try_open(RegisterKind::Legal).unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("register.sqlite") && msg.contains("NOT repaired"),
        "{msg}"
    );
    assert_eq!(
        std::fs::read(&db).unwrap(),
        garbage,
        "the corrupt file was modified"
    );
    // 2. Damage inside the table pages: open may work, verify must fail loudly; never a panic.
    let mut damaged = original.clone();
    let page = 4096;
    for i in (page * 2..damaged.len()).step_by(97) {
        damaged[i] ^= 0x5a;
    }
    std::fs::write(&db, &damaged).unwrap();
    match b.try_open(RegisterKind::Legal) {
        Err(e) => assert!(
            e.is_storage_fault() || matches!(e, Error::Record { .. }),
            "{e:?}"
        ),
        Ok(mut reg) => match reg.verify() {
            Ok(r) => assert!(!r.is_ok(), "damaged pages went unnoticed"),
            Err(e) => assert!(e.is_storage_fault(), "{e:?}"),
        },
    }
}

#[test]
fn disk_full_is_a_clear_error_and_loses_nothing() {
    let b = Backend::sqlite();
    let mut o = OpenOptions::new(RegisterKind::Legal);
    o.max_size_bytes = Some(256 * 1024);
    let mut reg = Register::open_with(b.dir.path(), o.clone()).unwrap();
    let mut written = 0;
    let err = loop {
        match reg.record_event(&event(written)) {
            Ok(_) => written += 1,
            Err(e) => break e,
        }
        assert!(written < 10_000, "the size limit was never reached");
    };
    assert!(matches!(err, Error::DiskFull { .. }), "{err:?}");
    assert!(err.is_storage_fault());
    assert!(
        err.to_string().contains("disk full") && err.to_string().contains("register.sqlite"),
        "{err}"
    );
    drop(reg);
    let mut reg = Register::open_with(b.dir.path(), OpenOptions::new(RegisterKind::Legal)).unwrap();
    let v = reg.verify().unwrap();
    assert!(v.is_ok(), "{:?}", v.first_break());
    assert_eq!(v.entries as usize, written + 1);
}

#[test]
fn a_read_only_directory_is_a_clear_error() {
    // Root ignores permissions: run the writer as `nobody` on a directory it cannot write.
    let b = Backend::sqlite();
    drop(b.open());
    let status = Command::new("chmod")
        .arg("755")
        .arg(b.dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    let out = Command::new("runuser")
        .args([
            "-u",
            "nobody",
            "--",
            env!("CARGO_BIN_EXE_vigie-register-soak"),
        ])
        .arg(b.dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("read-only") && err.contains(b.dir.path().to_str().unwrap()),
        "{err}"
    );
    // Still intact for its owner.
    assert!(b.open().verify().unwrap().is_ok());
}

#[test]
fn a_group_readable_private_key_is_refused() {
    use std::os::unix::fs::PermissionsExt as _;
    let b = Backend::sqlite();
    drop(b.open());
    let key = b.dir.path().join("keys").join(keys::PRIVATE_KEY_FILE);
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o640)).unwrap();
    let err = b.try_open(RegisterKind::Legal).unwrap_err();
    assert!(err.to_string().contains("chmod 600"), "{err}");
}

#[test]
fn a_seized_copy_verifies_read_only_without_being_written() {
    let b = Backend::sqlite();
    let mut reg = b.open();
    let fx = record_flight(&mut reg, "FV", t0(), &[false]);
    drop(reg);
    // The investigator copies the database only (no keys): read-only open must not create any.
    let copy = tempfile::tempdir().unwrap();
    let db = copy.path().join("register.sqlite");
    std::fs::copy(b.dir.path().join("register.sqlite"), &db).unwrap();
    let before = std::fs::read(&db).unwrap();
    let mut o = OpenOptions::new(RegisterKind::Legal);
    o.read_only = true;
    let mut ro = Register::open_with(copy.path(), o.clone()).unwrap();
    let report = ro.verify().unwrap();
    assert!(report.is_ok(), "{:?}", report.first_break());
    assert!(report.signatures >= 2);
    let err = ro
        .show_flight("FV", &actor("juge"), "instruction")
        .unwrap_err();
    assert!(err.to_string().contains("read-only"), "{err}");
    drop(ro);
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "verification modified the evidence"
    );
    assert!(
        !copy.path().join("keys").exists(),
        "read-only open created a key"
    );
    // No register there: a clear error, and nothing created.
    let empty = tempfile::tempdir().unwrap();
    let err = Register::open_with(empty.path(), o).unwrap_err();
    assert!(err.to_string().contains("no register file"), "{err}");
    assert_eq!(std::fs::read_dir(empty.path()).unwrap().count(), 0);
    let _ = fx;
}

#[test]
fn one_unreadable_flight_does_not_stop_the_purge_of_the_others() {
    let b = Backend::sqlite();
    let mut reg = b.open();
    let broken = record_flight(&mut reg, "FX", t0(), &[false]);
    let fine = record_flight(&mut reg, "FY", t0(), &[false]);
    let start = b
        .by_kind(kind::FLIGHT_START)
        .into_iter()
        .find(|e| e.subject == "flight:FX")
        .unwrap();
    b.tamper(
        "UPDATE entries SET payload = ?1 WHERE id = ?2",
        &[Some("{\"garbled\":1}".into())],
        start.id,
    );
    let r = reg.purge(t0() + chrono::TimeDelta::days(7)).unwrap();
    assert!(
        !fine.tlog.exists() && !fine.rrd.exists() && !fine.segments[0].0.exists(),
        "{r:?}"
    );
    assert!(
        broken.tlog.exists(),
        "an unreadable flight must not be purged blindly"
    );
    assert_eq!(r.failures.len(), 1, "{r:?}");
    assert!(
        r.failures[0].contains(&start.id.to_string()),
        "{:?}",
        r.failures
    );
    let first = reg.verify().unwrap().first_break().cloned().unwrap();
    assert_eq!(
        (first.entry_id, first.field.as_str()),
        (start.id, "payload")
    );
}

//! PINs at rest and logins: Argon2id hashes, every attempt journaled, a lockout after repeated
//! wrong PINs that survives a restart, and the chain still verifying.

use chrono::{TimeDelta, Utc};
use vigie_register::{LoginOutcome, LoginPolicy, LoginRefusal, PilotRecord, hash_pin, verify_pin};

use super::common::Backend;

fn pilot(pin: &str) -> PilotRecord {
    PilotRecord {
        pilot_id: "PM-13047-007".into(),
        name: "Camille Martin".into(),
        administrative_id: "PM-13047-007".into(),
        certificate_number: "FRA-RP-000777".into(),
        certificate_kind: "télépilote S3".into(),
        certificate_issued_on: chrono::NaiveDate::from_ymd_opt(2025, 1, 10).unwrap(),
        certificate_expires_on: chrono::NaiveDate::from_ymd_opt(2030, 1, 10).unwrap(),
        pin_hash: Some(hash_pin(pin).unwrap()),
        airframes: vec!["ArduCopter".into()],
        logbook_last_flight_on: None,
    }
}

#[test]
fn a_pin_is_stored_as_argon2id_and_checked() {
    let h = hash_pin("482913").unwrap();
    assert!(h.starts_with("$argon2id$"), "{h}");
    assert!(!h.contains("482913"));
    assert!(verify_pin(&h, "482913"));
    assert!(!verify_pin(&h, "482914"));
    assert!(!verify_pin("not a hash", "482913"));
    assert!(hash_pin("12").is_err(), "too short");
    assert_ne!(hash_pin("482913").unwrap(), h, "salted");
}

#[test]
fn five_wrong_pins_lock_the_account_for_fifteen_minutes_and_each_attempt_is_journaled() {
    let b = Backend::sqlite();
    let mut reg = b.open();
    reg.add_pilot(&pilot("482913")).unwrap();
    let policy = LoginPolicy::default();
    let t0 = Utc::now();
    for i in 0..5 {
        let o = reg
            .login(
                "PM-13047-007",
                "000000",
                t0 + TimeDelta::seconds(i),
                &policy,
            )
            .unwrap();
        assert_eq!(
            o,
            LoginOutcome::Refused(LoginRefusal::WrongPin {
                failures_left: 4 - i as usize
            })
        );
    }
    // The right PIN, now: refused, the account is locked (and a restart does not unlock it).
    drop(reg);
    let mut reg = b.open();
    let o = reg
        .login(
            "PM-13047-007",
            "482913",
            t0 + TimeDelta::minutes(5),
            &policy,
        )
        .unwrap();
    assert!(
        matches!(o, LoginOutcome::Refused(LoginRefusal::Locked { until }) if until > t0 + TimeDelta::minutes(14)),
        "{o:?}"
    );
    // After the lockout, the right PIN works.
    let o = reg
        .login(
            "PM-13047-007",
            "482913",
            t0 + TimeDelta::minutes(16),
            &policy,
        )
        .unwrap();
    assert!(matches!(o, LoginOutcome::Accepted(_)), "{o:?}");
    // Unknown pilots are refused and journaled too.
    let o = reg.login("NOBODY", "1234", t0, &policy).unwrap();
    assert_eq!(o, LoginOutcome::Refused(LoginRefusal::UnknownPilot));
    let attempts = reg.login_attempts("PM-13047-007").unwrap();
    let outcomes: Vec<&str> = attempts.iter().map(|a| a.outcome.as_str()).collect();
    assert_eq!(
        outcomes,
        vec![
            "wrong_pin",
            "wrong_pin",
            "wrong_pin",
            "wrong_pin",
            "wrong_pin",
            "locked",
            "accepted"
        ]
    );
    assert_eq!(reg.login_attempts("NOBODY").unwrap().len(), 1);
    assert!(reg.verify().unwrap().is_ok());
}

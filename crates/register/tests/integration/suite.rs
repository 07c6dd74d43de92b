//! The backend-independent suite: every case runs on SQLite (one #[test] each, below) and on a real
//! PostgreSQL server (pg.rs runs them all against fresh databases).

use std::collections::HashSet;

use chrono::{TimeDelta, Utc};
use vigie_register::*;

use crate::common::*;

pub type Case = fn(&Backend);

pub const CASES: &[(&str, Case)] = &[
    (
        "verify_detects_a_flipped_byte_in_every_column_of_every_row",
        verify_detects_a_flipped_byte_in_every_column_of_every_row,
    ),
    (
        "verify_detects_altered_and_missing_files",
        verify_detects_altered_and_missing_files,
    ),
    (
        "purge_at_48_hours_and_7_days_respects_legal_hold",
        purge_at_48_hours_and_7_days_respects_legal_hold,
    ),
    (
        "journal_is_erased_after_three_years_and_days_are_signed",
        journal_is_erased_after_three_years_and_days_are_signed,
    ),
    (
        "every_read_path_writes_the_access_journal",
        every_read_path_writes_the_access_journal,
    ),
    (
        "bundle_verifies_and_detects_tampering",
        bundle_verifies_and_detects_tampering,
    ),
    (
        "concurrent_writers_keep_one_chain",
        concurrent_writers_keep_one_chain,
    ),
    (
        "bad_input_is_refused_with_the_field_named",
        bad_input_is_refused_with_the_field_named,
    ),
    (
        "training_register_is_kept_apart",
        training_register_is_kept_apart,
    ),
];

/// A value that differs from `v` by one character (one flipped byte of text).
fn flip_text(v: &str) -> String {
    let mut chars: Vec<char> = v.chars().collect();
    let i = chars.len() / 2;
    chars[i] = match chars[i] {
        '0' => '1',
        'a' => 'b',
        'x' => 'y',
        _ => 'x',
    };
    chars.into_iter().collect()
}

pub fn verify_detects_a_flipped_byte_in_every_column_of_every_row(b: &Backend) {
    let mut reg = b.open();
    record_flight(&mut reg, "F1", t0(), &[false, true]);
    // Tombstones too: erase the domicile segment.
    let purged = reg.purge(t0() + TimeDelta::hours(49)).unwrap();
    assert_eq!(purged.erased_entries.len(), 1, "{purged:?}");
    reg.show_flight("F1", &actor("opj-1"), "réquisition 2026/123")
        .unwrap();
    let clean = reg.verify().unwrap();
    assert!(clean.is_ok(), "{}: {:?}", b.name(), clean.first_break());
    assert!(
        clean.tombstones >= 1 && clean.signatures >= 2 && clean.files >= 3,
        "{clean:?}"
    );

    let rows = b.all_entries();
    let text_columns = [
        "station",
        "kind",
        "subject",
        "recorded_at",
        "payload",
        "payload_sha256",
        "prev_hash",
        "hash",
        "signature",
    ];
    let mut checked = 0;
    for row in &rows {
        for col in text_columns {
            let original: Option<String> = match col {
                "station" => Some(row.station.clone()),
                "kind" => Some(row.kind.clone()),
                "subject" => Some(row.subject.clone()),
                "recorded_at" => Some(row.recorded_at.clone()),
                "payload" => row.payload.clone(),
                "payload_sha256" => Some(row.payload_sha256.clone()),
                "prev_hash" => Some(row.prev_hash.clone()),
                "hash" => Some(row.hash.clone()),
                _ => row.signature.clone(),
            };
            // A NULL cell "flips" to a value: a signature appearing, content reappearing.
            let flipped = match &original {
                Some(v) => flip_text(v),
                None => "00".repeat(64),
            };
            b.tamper(
                &format!("UPDATE entries SET {col} = ?1 WHERE id = ?2"),
                &[Some(flipped.clone())],
                row.id,
            );
            let report = reg.verify().unwrap();
            assert!(
                !report.is_ok(),
                "{}: flipping {col} of entry {} ({}) went unnoticed",
                b.name(),
                row.id,
                row.kind
            );
            assert!(
                report.breaks.iter().any(|x| x.entry_id == row.id
                    || x.entry_id == row.id - 1
                    || x.entry_id == row.id + 1),
                "{}: {col} of entry {}: breaks name other entries: {:?}",
                b.name(),
                row.id,
                report.breaks
            );
            b.tamper(
                &format!("UPDATE entries SET {col} = ?1 WHERE id = ?2"),
                &[original],
                row.id,
            );
            checked += 1;
        }
        for col in ["station_seq", "erased_by", "id"] {
            let original = match col {
                "station_seq" => Some(row.station_seq),
                "erased_by" => row.erased_by,
                _ => Some(row.id),
            };
            let flipped = original.map_or(1, |v| v ^ 0x40);
            b.tamper_int(
                &format!("UPDATE entries SET {col} = ?1 WHERE id = ?2"),
                Some(flipped),
                row.id,
            );
            let report = reg.verify().unwrap();
            assert!(
                !report.is_ok(),
                "{}: flipping {col} of entry {} ({}) went unnoticed",
                b.name(),
                row.id,
                row.kind
            );
            let where_id = if col == "id" { flipped } else { row.id };
            b.tamper_int(
                &format!("UPDATE entries SET {col} = ?1 WHERE id = ?2"),
                original,
                where_id,
            );
            checked += 1;
        }
        let restored = reg.verify().unwrap();
        assert!(
            restored.is_ok(),
            "{}: after restoring entry {}: {:?}",
            b.name(),
            row.id,
            restored.first_break()
        );
    }
    assert_eq!(checked, rows.len() * 12);
    // The first break is reported precisely: a payload edit names the entry and the field.
    let target = rows.iter().find(|r| r.kind == kind::EVENT).unwrap();
    let mut edited = target.payload.clone().unwrap();
    edited = edited.replace("NAV_TAKEOFF 40 m", "NAV_TAKEOFF 90 m");
    b.tamper(
        "UPDATE entries SET payload = ?1 WHERE id = ?2",
        &[Some(edited)],
        target.id,
    );
    let report = reg.verify().unwrap();
    let first = report.first_break().unwrap();
    assert_eq!(
        (first.entry_id, first.field.as_str()),
        (target.id, "payload"),
        "{first}"
    );
    // A removed row leaves a gap the next entry of the chain names.
    b.tamper(
        "UPDATE entries SET payload = ?1 WHERE id = ?2",
        std::slice::from_ref(&target.payload),
        target.id,
    );
    assert!(reg.verify().unwrap().is_ok());
    b.tamper("DELETE FROM entries WHERE id = ?1", &[], target.id);
    let report = reg.verify().unwrap();
    let first = report.first_break().unwrap();
    assert!(
        first.entry_id > target.id && first.field == "station_seq",
        "{first}"
    );
}

pub fn verify_detects_altered_and_missing_files(b: &Backend) {
    let mut reg = b.open();
    let fx = record_flight(&mut reg, "F2", t0(), &[false]);
    assert!(reg.verify().unwrap().is_ok());
    for (path, field) in [
        (&fx.tlog, "tlog"),
        (&fx.rrd, "rrd"),
        (&fx.segments[0].0, "file"),
    ] {
        let len = std::fs::metadata(path).unwrap().len() as usize;
        for at in [0, len / 2, len - 1] {
            let old = flip_file_byte(path, at);
            let report = reg.verify().unwrap();
            let first = report
                .first_break()
                .unwrap_or_else(|| panic!("flip at {at} of {} unnoticed", path.display()));
            assert_eq!(first.field, field);
            assert_eq!(
                first.file.as_deref(),
                Some(path.to_str().unwrap()),
                "{first}"
            );
            restore_file_byte(path, at, old);
        }
        assert!(reg.verify().unwrap().is_ok());
    }
    std::fs::remove_file(&fx.segments[0].0).unwrap();
    let report = reg.verify().unwrap();
    let first = report.first_break().unwrap();
    assert!(first.detail.contains("cannot read"), "{first}");
    assert!(first.to_string().contains("cam0-000.ts"), "{first}");
    // Export refuses to ship a bundle with a recording missing.
    let err = reg
        .export_bundle(
            "F2",
            "test",
            "parquet",
            &actor("a"),
            &b.dir.path().join("bundle"),
        )
        .unwrap_err();
    assert!(err.to_string().contains("cam0-000.ts"), "{err}");
}

pub fn purge_at_48_hours_and_7_days_respects_legal_hold(b: &Backend) {
    let mut reg = b.open();
    let a = record_flight(&mut reg, "FA", t0(), &[false, true]);
    let h = record_flight(&mut reg, "FH", t0(), &[false, true]);
    reg.place_hold(&LegalHold {
        flight_id: "FH".into(),
        procedure_ref: "PV 2026/00042 parquet d'Aix".into(),
        placed_by: actor("opj-1"),
        placed_at: t0() + TimeDelta::hours(1),
    })
    .unwrap();
    let exists = |p: &std::path::Path| p.exists();

    let r = reg
        .purge(t0() + TimeDelta::hours(48) - TimeDelta::seconds(1))
        .unwrap();
    assert!(
        r.erased_entries.is_empty() && r.deleted_files.is_empty(),
        "{r:?}"
    );

    let r = reg.purge(t0() + TimeDelta::hours(48)).unwrap();
    assert_eq!(r.erased_entries.len(), 1, "{r:?}");
    assert!(!exists(&a.segments[1].0), "domicile segment kept past 48 h");
    assert!(exists(&a.segments[0].0) && exists(&a.tlog) && exists(&a.rrd));
    assert!(
        h.segments.iter().all(|(p, _)| exists(p)),
        "held flight touched"
    );
    assert_eq!(r.held_flights, vec!["FH".to_string()]);

    let r = reg
        .purge(t0() + TimeDelta::days(7) - TimeDelta::seconds(1))
        .unwrap();
    assert!(
        r.erased_entries.is_empty() && r.deleted_files.is_empty(),
        "{r:?}"
    );

    let r = reg.purge(t0() + TimeDelta::days(7)).unwrap();
    assert_eq!(r.erased_entries.len(), 1, "{r:?}");
    assert_eq!(r.deleted_files.len(), 3, "{r:?}");
    assert!(!exists(&a.segments[0].0) && !exists(&a.tlog) && !exists(&a.rrd));
    assert!(exists(&h.tlog) && exists(&h.rrd) && h.segments.iter().all(|(p, _)| exists(p)));
    let v = reg.verify().unwrap();
    assert!(
        v.is_ok(),
        "chain must verify across erased content: {:?}",
        v.first_break()
    );
    assert_eq!(v.tombstones, 2);

    // The flight record itself stays (register of processing); its recordings are gone.
    let view = reg
        .show_flight("FA", &actor("chef"), "contrôle CNIL")
        .unwrap();
    assert!(view.video_segments.iter().all(|(_, s)| s.is_none()));
    assert!(
        reg.replay("FA", &actor("chef"), "debrief")
            .unwrap_err()
            .to_string()
            .contains("gone")
    );

    // Lifting the hold is journaled; then the held flight's recordings go.
    reg.release_hold(&HoldRelease {
        flight_id: "FH".into(),
        released_by: actor("magistrat"),
        released_at: t0() + TimeDelta::days(8),
        motive: "classement sans suite".into(),
    })
    .unwrap();
    let lifted: Vec<AccessRecord> = b
        .by_kind(kind::ACCESS)
        .iter()
        .filter_map(|e| serde_json::from_str::<AccessRecord>(e.payload.as_ref()?).ok())
        .filter(|a| a.action == AccessAction::HoldLifted)
        .collect();
    assert_eq!(lifted.len(), 1);
    assert_eq!(lifted[0].actor.id, "magistrat");
    let r = reg.purge(t0() + TimeDelta::days(8)).unwrap();
    assert_eq!(r.erased_entries.len(), 2, "{r:?}");
    assert!(!exists(&h.tlog) && !exists(&h.rrd) && h.segments.iter().all(|(p, _)| !exists(p)));
    // Idempotent.
    let r = reg.purge(t0() + TimeDelta::days(30)).unwrap();
    assert!(
        r.erased_entries.is_empty() && r.deleted_files.is_empty(),
        "{r:?}"
    );
    // Each erasure is journaled with the digests of what went.
    let erasures = b.by_kind(kind::ERASURE);
    assert_eq!(erasures.len(), 4);
    let files: usize = erasures
        .iter()
        .map(|e| {
            serde_json::from_str::<ErasureRecord>(e.payload.as_ref().unwrap())
                .unwrap()
                .files
                .len()
        })
        .sum();
    assert_eq!(files, 8);
    assert!(reg.verify().unwrap().is_ok());
}

pub fn journal_is_erased_after_three_years_and_days_are_signed(b: &Backend) {
    let mut reg = b.open();
    record_flight(&mut reg, "FJ", t0(), &[]);
    reg.show_flight("FJ", &actor("opj-2"), "enquête").unwrap();
    let now = Utc::now();
    // Tomorrow, today's journal gets its signature.
    let sealed = reg.seal_journal_days(now + TimeDelta::days(1)).unwrap();
    assert_eq!(sealed, vec![now.date_naive()]);
    assert!(
        reg.seal_journal_days(now + TimeDelta::days(2))
            .unwrap()
            .is_empty(),
        "sealed twice"
    );
    let journal_before = b.by_kind(kind::ACCESS).len() + b.by_kind(kind::VIEWER_START).len();
    assert!(journal_before >= 2);
    // Purging ahead of the clock is refused: erasing early is not the purge's to decide.
    let err = reg.purge(now + TimeDelta::days(1)).unwrap_err();
    assert!(err.to_string().contains("in the future"), "{err}");
    // Three years later (the register reopened with its clock moved on).
    let mut reg = b.open_later(TimeDelta::days(3 * 365 + 3));
    let r = reg.purge(now + TimeDelta::days(3 * 365)).unwrap();
    assert!(
        !r.erased_entries
            .iter()
            .any(|id| b.by_kind(kind::ACCESS).iter().any(|e| e.id == *id)),
        "journal erased before 3 years"
    );
    let r = reg.purge(now + TimeDelta::days(3 * 365 + 2)).unwrap();
    let access_ids: HashSet<i64> = b
        .by_kind(kind::ACCESS)
        .iter()
        .chain(b.by_kind(kind::VIEWER_START).iter())
        .map(|e| e.id)
        .collect();
    assert!(
        r.erased_entries
            .iter()
            .filter(|id| access_ids.contains(id))
            .count()
            >= journal_before,
        "{r:?}"
    );
    assert!(
        b.by_kind(kind::ACCESS)
            .iter()
            .all(|e| e.payload.is_none() || e.id > *r.erased_entries.iter().max().unwrap())
    );
    let v = reg.verify().unwrap();
    assert!(v.is_ok(), "{:?}", v.first_break());
}

pub fn every_read_path_writes_the_access_journal(b: &Backend) {
    let mut reg = b.open();
    record_flight(&mut reg, "FR", t0(), &[false]);
    let count = || b.by_kind(kind::ACCESS).len();
    let before = count();
    // A département register lists every station's flights; this station's are one.
    let listed = reg
        .list_flights(
            &FlightFilter {
                station: Some(b.station()),
                ..Default::default()
            },
            &actor("u1"),
            "audit",
        )
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].station, b.station());
    assert_eq!(count(), before + 1);
    let none = reg
        .list_flights(
            &FlightFilter {
                pilot_id: Some("nobody".into()),
                ..Default::default()
            },
            &actor("u1"),
            "audit",
        )
        .unwrap();
    assert!(none.is_empty());
    reg.show_flight("FR", &actor("u2"), "réquisition").unwrap();
    let rrd = reg.replay("FR", &actor("u3"), "debriefing").unwrap();
    assert!(rrd.exists());
    let csv = reg
        .processing_register_csv(&actor("u4"), "registre L242-4")
        .unwrap();
    assert!(
        csv.lines().count() == 2 && csv.contains("FR") && csv.contains("Agent csu-op-3"),
        "{csv}"
    );
    reg.export_bundle(
        "FR",
        "réquisition judiciaire",
        "Parquet d'Aix",
        &actor("u5"),
        &b.dir.path().join("bundle"),
    )
    .unwrap();
    assert_eq!(count(), before + 6);
    let last: Vec<AccessRecord> = b
        .by_kind(kind::ACCESS)
        .iter()
        .map(|e| serde_json::from_str(e.payload.as_ref().unwrap()).unwrap())
        .collect();
    let who: Vec<(&str, AccessAction)> = last[last.len() - 5..]
        .iter()
        .map(|a| (a.actor.id.as_str(), a.action))
        .collect();
    assert_eq!(
        who,
        vec![
            ("u1", AccessAction::Consultation),
            ("u2", AccessAction::Consultation),
            ("u3", AccessAction::Replay),
            ("u4", AccessAction::Consultation),
            ("u5", AccessAction::Extraction)
        ]
    );
    assert_eq!(
        last.last().unwrap().recipient.as_deref(),
        Some("Parquet d'Aix")
    );
    // No motive, no access.
    assert!(matches!(
        reg.show_flight("FR", &actor("u6"), " "),
        Err(Error::BadInput(_))
    ));
}

pub fn bundle_verifies_and_detects_tampering(b: &Backend) {
    let mut reg = b.open();
    let fx = record_flight(&mut reg, "FB", t0(), &[false, false]);
    let out = b.dir.path().join("bundle-FB");
    let r = reg
        .export_bundle("FB", "réquisition", "OPJ Istres", &actor("chef"), &out)
        .unwrap();
    assert!(r.files >= 9, "{r:?}");
    assert!(
        out.join("files/rrd/flight.rrd").exists() && out.join("files/tlog/flight.tlog").exists()
    );
    let v = verify_bundle(&out).unwrap();
    assert!(v.is_ok(), "{:?}", v.problems);
    // Refuses to write over an existing bundle.
    assert!(matches!(
        reg.export_bundle("FB", "m", "r", &actor("chef"), &out),
        Err(Error::BadInput(_))
    ));
    // Tampering with any file is caught.
    for rel in [
        "files/tlog/flight.tlog",
        "files/video",
        "chain.jsonl",
        "flight.json",
        "MANIFEST.sha256",
    ] {
        let path = if rel == "files/video" {
            std::fs::read_dir(out.join(rel))
                .unwrap()
                .next()
                .unwrap()
                .unwrap()
                .path()
        } else {
            out.join(rel)
        };
        let old = flip_file_byte(&path, 10);
        let v = verify_bundle(&out).unwrap();
        assert!(!v.is_ok(), "tampered {rel} unnoticed");
        restore_file_byte(&path, 10, old);
    }
    assert!(verify_bundle(&out).unwrap().is_ok());
    // A rewritten chain entry whose manifest is rebuilt is still caught by the entry hash and seal.
    let chain = std::fs::read_to_string(out.join("chain.jsonl")).unwrap();
    let forged = chain.replace(
        "reposition refused: BA 125 runway strip",
        "reposition accepted",
    );
    assert_ne!(chain, forged);
    std::fs::write(out.join("chain.jsonl"), forged).unwrap();
    let v = verify_bundle(&out).unwrap();
    assert!(
        v.problems.iter().any(|p| p.contains("chain.jsonl")),
        "{:?}",
        v.problems
    );
    let _ = fx;
}

pub fn concurrent_writers_keep_one_chain(b: &Backend) {
    let _ = b.open();
    let threads: Vec<_> = (0..3)
        .map(|t| {
            let reg = b.try_open(RegisterKind::Legal);
            std::thread::spawn(move || {
                let mut reg = reg.unwrap();
                for i in 0..60 {
                    reg.record_event(&EventRecord {
                        flight_id: None,
                        at: Utc::now(),
                        kind: EventKind::Info,
                        code: "test".into(),
                        text: format!("writer {t} event {i}"),
                        rule_ids: vec![],
                        data: None,
                        vehicle: None,
                    })
                    .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut reg = b.open();
    let v = reg.verify().unwrap();
    assert!(v.is_ok(), "{:?}", v.first_break());
    let me = b.station();
    let mine = v.chains.iter().find(|c| c.station == me).unwrap();
    assert_eq!((mine.entries, mine.last_seq), (1 + 180, 181));
    let seqs: Vec<i64> = b.all_entries().iter().map(|e| e.station_seq).collect();
    assert_eq!(seqs, (1..=181).collect::<Vec<i64>>());
}

pub fn bad_input_is_refused_with_the_field_named(b: &Backend) {
    let mut reg = b.open();
    let err = reg
        .add_pilot(&PilotRecord {
            pilot_id: "P9".into(),
            name: "X".into(),
            administrative_id: "1".into(),
            certificate_number: "c".into(),
            certificate_kind: "k".into(),
            certificate_issued_on: chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            certificate_expires_on: chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
            pin_hash: Some("1234".into()),
            airframes: vec![],
            logbook_last_flight_on: None,
        })
        .unwrap_err();
    assert!(err.to_string().contains("pin_hash"), "{err}");
    let err = reg
        .start_flight(&FlightStart {
            flight_id: "F9".into(),
            deployment_id: "nope".into(),
            arrete_number: "A".into(),
            finalite: "f".into(),
            pilot_id: "p".into(),
            aircraft_registration: "r".into(),
            started_at: Utc::now(),
            takeoff_lat_deg: None,
            takeoff_lon_deg: None,
            place: "x".into(),
            anonymised_copy: false,
            vehicle: None,
            operator_registration: None,
        })
        .unwrap_err();
    assert!(err.to_string().contains("deployment nope"), "{err}");
    assert!(
        reg.show_flight("F404", &actor("u"), "m")
            .unwrap_err()
            .to_string()
            .contains("F404")
    );
    record_flight(&mut reg, "FS", t0(), &[]);
    let err = reg
        .seal_flight(&FlightSeal {
            flight_id: "FS".into(),
            ended_at: Utc::now(),
            track: TrackSummary::default(),
            max_alt_agl_m: 0.0,
            tlog: None,
            rrd: None,
            covered_entries: vec![],
            ending: None,
        })
        .unwrap_err();
    assert!(err.to_string().contains("already sealed"), "{err}");
    assert!(
        reg.release_hold(&HoldRelease {
            flight_id: "FS".into(),
            released_by: actor("u"),
            released_at: Utc::now(),
            motive: "m".into()
        })
        .unwrap_err()
        .to_string()
        .contains("no active legal hold")
    );
    // Nothing refused was written: the chain is intact.
    assert!(reg.verify().unwrap().is_ok());
}

pub fn training_register_is_kept_apart(b: &Backend) {
    let mut legal = b.open();
    record_flight(&mut legal, "FL", t0(), &[]);
    drop(legal);
    match &b.pg {
        None => {
            let mut training = b.try_open(RegisterKind::Training).unwrap();
            assert!(b.dir.path().join("training-register.sqlite").exists());
            assert!(
                training
                    .show_flight("FL", &actor("instr"), "formation")
                    .is_err(),
                "legal flight visible in training"
            );
            assert!(
                training
                    .recordings_dir("T1")
                    .starts_with(b.dir.path().join("training-recordings"))
            );
            assert!(training.verify().unwrap().is_ok());
        }
        Some(_) => {
            // One PostgreSQL database holds one kind: opening the legal one as training is refused.
            let err = b.try_open(RegisterKind::Training).unwrap_err();
            assert!(err.to_string().contains("kept apart"), "{err}");
        }
    }
}

macro_rules! sqlite_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    super::$name(&crate::common::Backend::sqlite());
                }
            )*
        }
    };
}

sqlite_tests!(
    verify_detects_a_flipped_byte_in_every_column_of_every_row,
    verify_detects_altered_and_missing_files,
    purge_at_48_hours_and_7_days_respects_legal_hold,
    journal_is_erased_after_three_years_and_days_are_signed,
    every_read_path_writes_the_access_journal,
    bundle_verifies_and_detects_tampering,
    concurrent_writers_keep_one_chain,
    bad_input_is_refused_with_the_field_named,
    training_register_is_kept_apart,
);

#[test]
fn anonymised_training_copy_is_marked_and_journaled() {
    let b = Backend::sqlite();
    let mut legal = b.open();
    record_flight(&mut legal, "FT", t0(), &[false, true]);
    let mut training = b.try_open(RegisterKind::Training).unwrap();
    let copy = legal
        .copy_to_training(
            "FT",
            &mut training,
            &actor("instructeur"),
            "formation des pilotes",
        )
        .unwrap();
    let view = training
        .show_flight(&copy, &actor("instructeur"), "formation")
        .unwrap();
    assert!(view.start.anonymised_copy);
    assert_eq!(view.start.pilot_id, "anonymised");
    assert!(view.video_segments.is_empty(), "video copied into training");
    assert_eq!(view.events.len(), 2);
    assert!(
        training
            .replay(&copy, &actor("instructeur"), "débriefing")
            .unwrap()
            .exists()
    );
    assert!(training.verify().unwrap().is_ok());
    // The legal register says who extracted what, for what.
    let journal: Vec<AccessRecord> = b
        .by_kind(kind::ACCESS)
        .iter()
        .map(|e| serde_json::from_str(e.payload.as_ref().unwrap()).unwrap())
        .collect();
    let last = journal.last().unwrap();
    assert_eq!(
        (last.action, last.flights.clone()),
        (AccessAction::Extraction, vec!["FT".to_string()])
    );
    assert!(last.recipient.as_deref().unwrap().contains("anonymised"));
    // Copying twice is refused; copying into the legal register is refused.
    assert!(
        legal
            .copy_to_training("FT", &mut training, &actor("i"), "m")
            .is_err()
    );
    let mut legal2 = b.open();
    assert!(
        legal
            .copy_to_training("FT", &mut legal2, &actor("i"), "m")
            .is_err()
    );
}

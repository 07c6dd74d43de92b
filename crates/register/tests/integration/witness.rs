//! A chain head nobody can cut: the signed head goes to a witness at every seal and on the timer;
//! `verify` with the witness's heads catches entries cut off the end, and names them.

use chrono::TimeDelta;
use vigie_register::*;

use crate::common::*;

fn open_witnessed(b: &Backend, witness: &str) -> Register {
    let mut o = OpenOptions::new(RegisterKind::Legal);
    o.postgres = b.pg.clone();
    o.witnesses = vec![witness.to_string()];
    Register::open_with(b.dir.path(), o).unwrap()
}

fn heads(spec: &str) -> VerifyOptions {
    let mut w = open_witness(spec).unwrap();
    let got = w.heads().unwrap();
    assert!(got.problems.is_empty(), "{:?}", got.problems);
    VerifyOptions {
        witness_heads: got.heads,
        witness_label: w.describe(),
        ..Default::default()
    }
}

/// Record a flight with a witness, cut the last 3 entries with raw SQL (triggers bypassed), and
/// check that `verify` alone cannot see it while `verify` with the witness names the cut.
pub fn cutting_the_newest_entries_is_caught_by_the_witness(b: &Backend, witness: &str) {
    let mut reg = open_witnessed(b, witness);
    record_flight(&mut reg, "FW", t0(), &[false]);
    // The seal was witnessed by itself.
    let after_seal = reg.last_witness_report().cloned().expect("seal witnessed");
    assert!(after_seal.all_delivered(), "{:?}", after_seal.failed);
    // The timer: nothing due right after a delivery, then due once the interval has passed.
    assert!(reg.witness_if_due(reg.now()).unwrap().is_none());
    let due = reg
        .witness_if_due(reg.now() + TimeDelta::minutes(6))
        .unwrap()
        .expect("the deployment end since the seal is due after 5 minutes");
    assert!(due.all_delivered());
    let head = due.head.clone();
    assert!(reg.verify_with(&heads(witness)).unwrap().is_ok());

    let mine = b.all_entries();
    let last3: Vec<&Entry> = mine.iter().rev().take(3).collect();
    assert_eq!(last3[0].station_seq, head.station_seq);
    for e in &last3 {
        b.tamper("DELETE FROM entries WHERE id = ?1", &[], e.id);
    }
    // The chain alone still verifies: cutting the end is invisible without a witness.
    let alone = reg.verify().unwrap();
    assert!(alone.is_ok(), "{:?}", alone.first_break());
    // With the witness, the cut is found and named.
    let report = reg.verify_with(&heads(witness)).unwrap();
    let w: Vec<&Break> = report
        .breaks
        .iter()
        .filter(|x| x.field == "witness")
        .collect();
    assert!(!w.is_empty(), "cut unnoticed: {:?}", report.breaks);
    let text = w
        .iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    let first = head.station_seq - 2;
    assert!(
        text.contains(&format!("seq {first}..={}", head.station_seq))
            && text.contains("3 entries")
            && text.contains("MISSING")
            && text.contains(&head.entry_id.to_string()),
        "{text}"
    );
    let chain = report
        .chains
        .iter()
        .find(|c| c.station == b.station())
        .unwrap();
    assert_eq!(chain.witnessed_seq, Some(head.station_seq));
    assert_eq!(chain.last_seq, head.station_seq - 3);
}

#[test]
fn cutting_the_newest_entries_is_caught_by_a_directory_witness() {
    let b = Backend::sqlite();
    let second_disk = tempfile::tempdir().unwrap();
    let wdir = second_disk.path().join("witness");
    cutting_the_newest_entries_is_caught_by_the_witness(&b, wdir.to_str().unwrap());
    use std::os::unix::fs::PermissionsExt as _;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&wdir), 0o700);
    assert_eq!(mode(&wdir.join(witness::WITNESS_FILE)), 0o600);
}

#[test]
fn a_forged_or_rewritten_witness_record_is_refused() {
    let b = Backend::sqlite();
    let second_disk = tempfile::tempdir().unwrap();
    let spec = second_disk.path().to_str().unwrap().to_string();
    let mut reg = open_witnessed(&b, &spec);
    record_flight(&mut reg, "FF", t0(), &[]);
    let file = second_disk.path().join(witness::WITNESS_FILE);
    let text = std::fs::read_to_string(&file).unwrap();
    let mut head: SignedHead = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    // Someone claims the chain went further than it did, without the station key.
    head.station_seq += 5;
    std::fs::write(
        &file,
        format!("{text}{}\n", serde_json::to_string(&head).unwrap()),
    )
    .unwrap();
    let r = reg.verify_with(&heads(&spec)).unwrap();
    assert!(
        r.breaks
            .iter()
            .any(|x| x.field == "witness" && x.detail.contains("signature")),
        "{:?}",
        r.breaks
    );
    // A witness that cannot be written is reported, and the seal still stands.
    let blocked = tempfile::tempdir().unwrap();
    let not_a_dir = blocked.path().join("file");
    std::fs::write(&not_a_dir, b"x").unwrap();
    let b2 = Backend::sqlite();
    let mut reg2 = open_witnessed(&b2, not_a_dir.to_str().unwrap());
    record_flight(&mut reg2, "FG", t0(), &[]);
    let rep = reg2.last_witness_report().unwrap();
    assert_eq!(rep.failed.len(), 1, "{rep:?}");
    assert_eq!(reg2.flight_state("FG").unwrap(), Some(true));
}

//! The flight report: every figure it states is the register's (checked against `show_flight`),
//! in the HTML and in the PDF as poppler reads it back.

use std::process::Command;

use vigie_register::report::paris_time;
use vigie_register::*;

use crate::common::*;

fn pdftotext(pdf: &[u8], dir: &std::path::Path) -> String {
    let path = dir.join("report.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-raw", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .unwrap_or_else(|e| {
            panic!("pdftotext (Debian poppler-utils) is needed to read the report back: {e}")
        });
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Text without the line breaks and spacing a layout adds (hashes may wrap in the PDF).
fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn every_figure_of_the_flight_report_matches_show_flight() {
    let b = Backend::sqlite();
    let mut reg = b.open();
    record_flight(&mut reg, "F-20260601T100000Z-drone-1", t0(), &[false, true]);
    let runway = ReportZone {
        name: "LFMI piste 15/33 (PLACEHOLDER)".into(),
        style: ZoneStyle::Prohibited,
        ring_lat_lon_deg: vec![
            [43.5400, 4.9110],
            [43.5410, 4.9150],
            [43.5060, 4.9370],
            [43.5050, 4.9330],
        ],
    };
    let journal_before = b.by_kind(kind::ACCESS).len();
    let report = reg
        .flight_report_with_zones(
            "F-20260601T100000Z-drone-1",
            &actor("chef"),
            "compte rendu au chef de service",
            &[runway],
        )
        .unwrap();
    assert_eq!(
        b.by_kind(kind::ACCESS).len(),
        journal_before + 1,
        "report not journaled"
    );
    let view = reg
        .show_flight(
            "F-20260601T100000Z-drone-1",
            &actor("chef"),
            "contrôle du compte rendu",
        )
        .unwrap();
    let d = &report.data;
    // The data is the register's.
    assert_eq!(d.start, view.start);
    assert_eq!(d.seal, view.seal);
    assert_eq!(d.seal_entry, view.seal_entry);
    assert_eq!(d.entry_ids, view.entry_ids);
    assert_eq!(
        d.alarms.len() + d.refusals.len() + d.other_events.len(),
        view.events.len()
    );
    assert_eq!(d.segments.len(), view.video_segments.len());
    assert_eq!(d.viewers.len(), view.viewer_sessions.len());
    let seal = view.seal.clone().unwrap();
    assert_eq!(
        d.track_lat_lon_deg.len() as u64,
        seal.track.points,
        "track from the .rrd"
    );
    assert_eq!(
        d.perimeter_lat_lon_deg,
        view.authorisation.as_ref().unwrap().perimeter_lat_lon_deg
    );
    // And both documents say it.
    let tmp = tempfile::tempdir().unwrap();
    let pdf_text = pdftotext(&report.pdf, tmp.path());
    if let Some(out) = std::env::var_os("VIGIE_REPORT_OUT") {
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(std::path::Path::new(&out).join("report.pdf"), &report.pdf).unwrap();
        std::fs::write(std::path::Path::new(&out).join("report.html"), &report.html).unwrap();
    }
    let seal_entry = view.seal_entry.clone().unwrap();
    let mut figures: Vec<String> = vec![
        view.start.flight_id.clone(),
        view.start.pilot_id.clone(),
        "Camille Martin".into(),
        view.start.aircraft_registration.clone(),
        view.start.arrete_number.clone(),
        view.start.finalite.clone(),
        view.start.place.clone(),
        paris_time(view.start.started_at),
        paris_time(seal.ended_at),
        "25 min 00 s".into(),
        format!("{} points", seal.track.points),
        format!("{:.0} m sol", seal.max_alt_agl_m),
        seal_entry.hash.clone(),
        seal_entry.signature.clone().unwrap(),
        format!("{} entrées précédentes", seal.covered_entries.len()),
        "ZONE-PROHIBITED".into(),
        "Agent csu-op-3".into(),
        "10.13.0.21 (CSU mur 2)".into(),
        "non enregistrée".into(),
    ];
    for e in &view.events {
        figures.push(e.text.clone());
        figures.push(e.code.clone());
    }
    for (_, s) in &view.video_segments {
        figures.push(s.as_ref().unwrap().file.sha256.clone());
    }
    for c in &seal.covered_entries {
        figures.push(c.hash.clone());
    }
    for f in [&seal.tlog, &seal.rrd].into_iter().flatten() {
        figures.push(f.sha256.clone());
    }
    let (html, pdf) = (squash(&report.html), squash(&pdf_text));
    for f in &figures {
        let f = squash(f);
        assert!(html.contains(&f), "HTML lacks {f}");
        assert!(pdf.contains(&f), "PDF lacks {f}:\n{pdf_text}");
    }
    // French letters survive in the PDF (embedded font, ToUnicode).
    assert!(
        pdf_text.contains("Télépilote")
            && pdf_text.contains("Aéronef")
            && pdf_text.contains("Arrêté")
    );
    // Reproducible from the register: the same data again (but the generation time).
    let again = reg.report_data("F-20260601T100000Z-drone-1", &[]).unwrap();
    assert_eq!(
        (again.seal_entry, again.entry_ids),
        (d.seal_entry.clone(), d.entry_ids.clone())
    );
}

#[test]
fn the_transparency_export_is_aggregated_and_says_who_approved_it() {
    let b = Backend::sqlite();
    let mut reg = b.open();
    record_flight(&mut reg, "FT1", t0(), &[false]);
    record_flight(&mut reg, "FT2", t0() + chrono::TimeDelta::days(40), &[]);
    let (from, to) = (
        chrono::NaiveDate::from_ymd_opt(2026, 5, 1).unwrap(),
        chrono::NaiveDate::from_ymd_opt(2026, 7, 31).unwrap(),
    );
    let draft = reg
        .transparency_export(from, to, &actor("agent"), "bilan trimestriel", false)
        .unwrap();
    assert!(draft.approved.is_none());
    assert!(draft.html().contains("PROJET"));
    let a = &draft.aggregate;
    assert_eq!((a.total.flights, a.total.total_minutes), (2, 50));
    assert_eq!(
        a.by_month.keys().collect::<Vec<_>>(),
        ["2026-06", "2026-07"]
    );
    assert_eq!(a.by_commune.keys().collect::<Vec<_>>(), ["Istres"]);
    // No personal data: neither pilot, aircraft, nor track, nor finer place.
    let json = serde_json::to_string(&draft).unwrap();
    for personal in [
        "Camille",
        "P-FT1",
        "F-DRN",
        "centre-ville",
        "43.5",
        "PM-13047",
    ] {
        assert!(!json.contains(personal), "{personal} in {json}");
        assert!(!draft.html().contains(personal), "{personal} in the page");
    }
    let approved = reg
        .transparency_export(from, to, &actor("chef"), "publication", true)
        .unwrap();
    let r = approved.approved.clone().unwrap();
    assert_eq!(r.approval.approved_by.id, "chef");
    assert_eq!(r.approval.aggregate_sha256, draft.aggregate_sha256);
    assert!(approved.html().contains("approuvée par Agent chef"));
    let entries = b.by_kind(kind::TRANSPARENCY_APPROVAL);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].id, r.entry_id);
    // The same aggregate later still carries its approval; a different one is a draft again.
    let again = reg
        .transparency_export(from, to, &actor("agent"), "m", false)
        .unwrap();
    assert_eq!(again.approved.map(|x| x.entry_id), Some(r.entry_id));
    record_flight(&mut reg, "FT3", t0() + chrono::TimeDelta::days(2), &[]);
    let changed = reg
        .transparency_export(from, to, &actor("agent"), "m", false)
        .unwrap();
    assert!(changed.approved.is_none());
    assert!(reg.verify().unwrap().is_ok());
}

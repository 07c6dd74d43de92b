//! `vigie-register-soak DIR`: append flights, events, video segments and seals to the register in
//! DIR until killed, printing `<entry id> <hash>` on stdout after each committed append.
//!
//! The crash test kills it with SIGKILL at arbitrary moments, then checks that the register opens,
//! verifies, and holds every entry this process reported as committed.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{TimeDelta, Utc};
use vigie_register::*;

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: vigie-register-soak DIR");
        return ExitCode::from(2);
    };
    match run(dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vigie-register-soak: {e}");
            ExitCode::FAILURE
        }
    }
}

fn report(out: &mut std::io::StdoutLock<'_>, a: &Appended) -> std::io::Result<()> {
    writeln!(out, "{} {}", a.id, a.hash)?;
    out.flush()
}

fn run(dir: PathBuf) -> Result<(), Box<dyn std::error::Error>> {
    let mut reg = Register::open(&dir, RegisterKind::Legal)?;
    let mut out = std::io::stdout().lock();
    let run = format!("{}-{}", std::process::id(), Utc::now().timestamp_micros());
    let now = Utc::now();
    report(
        &mut out,
        &reg.add_authorisation(&AuthorisationRecord {
            arrete_number: format!("A-{run}"),
            issuer: "Préfecture des Bouches-du-Rhône".into(),
            signed_on: now.date_naive(),
            valid_from: now,
            valid_until: now + TimeDelta::days(30),
            finalite: "securite_rassemblements".into(),
            perimeter_lat_lon_deg: vec![vec![[43.51, 4.98], [43.52, 4.98], [43.52, 4.99]]],
            max_cameras: 1,
            public_information: "arrêté publié".into(),
            scan_sha256: None,
            revoked: false,
        })?,
    )?;
    report(
        &mut out,
        &reg.start_deployment(&DeploymentRecord {
            deployment_id: format!("D-{run}"),
            arrete_number: format!("A-{run}"),
            finalite: "securite_rassemblements".into(),
            place: "Istres centre".into(),
            planned_start: now,
            planned_end: now + TimeDelta::hours(4),
        })?,
    )?;
    let seg_dir = dir.join("recordings").join(&run);
    std::fs::create_dir_all(&seg_dir)?;
    for n in 0u64.. {
        let flight = format!("F-{run}-{n}");
        report(
            &mut out,
            &reg.start_flight(&FlightStart {
                flight_id: flight.clone(),
                deployment_id: format!("D-{run}"),
                arrete_number: format!("A-{run}"),
                finalite: "securite_rassemblements".into(),
                pilot_id: "P-1".into(),
                aircraft_registration: "F-XXXX-0001".into(),
                started_at: Utc::now(),
                takeoff_lat_deg: Some(43.515),
                takeoff_lon_deg: Some(4.985),
                place: "Istres centre".into(),
                anonymised_copy: false,
                vehicle: None,
                operator_registration: None,
            })?,
        )?;
        for i in 0..3 {
            report(
                &mut out,
                &reg.record_event(&EventRecord {
                    flight_id: Some(flight.clone()),
                    at: Utc::now(),
                    kind: EventKind::Command,
                    code: "cmd.reposition".into(),
                    text: format!("reposition {i}"),
                    rule_ids: Vec::new(),
                    data: None,
                    vehicle: None,
                })?,
            )?;
        }
        let seg = seg_dir.join(format!("{flight}.ts"));
        {
            let mut f = std::fs::File::create(&seg)?;
            f.write_all(format!("segment of {flight}").repeat(64).as_bytes())?;
            f.sync_all()?;
        }
        report(
            &mut out,
            &reg.record_video_segment(&VideoSegment {
                flight_id: flight.clone(),
                camera: "main".into(),
                started_at: Utc::now(),
                ended_at: Utc::now(),
                file: file_ref(&seg)?,
                domicile: n % 2 == 1,
            })?,
        )?;
        report(
            &mut out,
            &reg.seal_flight(&FlightSeal {
                flight_id: flight,
                ended_at: Utc::now(),
                track: TrackSummary::default(),
                max_alt_agl_m: 50.0,
                tlog: None,
                rrd: None,
                covered_entries: Vec::new(),
                ending: None,
            })?,
        )?;
    }
    Ok(())
}

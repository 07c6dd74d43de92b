//! `vigie-register-load --postgres CONNINFO [--stations 20] [--seconds 600]`: N stations (each its
//! own key and data directory) append flights, events, video segments and viewer sessions at once
//! into one PostgreSQL register; then every chain is verified. Prints appends/s and latency
//! percentiles: figures, not a pass/fail on speed (exit 1 only when a chain does not verify or an
//! append fails).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Barrier};
use std::time::Instant;

use chrono::{TimeDelta, Utc};
use vigie_register::*;

struct Args {
    postgres: String,
    stations: usize,
    seconds: f64,
}

fn parse_args() -> Result<Args, String> {
    let mut postgres = std::env::var("VIGIE_REGISTER_POSTGRES").ok();
    let mut stations = 20;
    let mut seconds = 600.0;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--postgres" => postgres = Some(value("--postgres")?),
            "--stations" => {
                stations = value("--stations")?
                    .parse()
                    .map_err(|e| format!("--stations: {e}"))?
            }
            "--seconds" => {
                seconds = value("--seconds")?
                    .parse()
                    .map_err(|e| format!("--seconds: {e}"))?
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let postgres = postgres
        .ok_or("usage: vigie-register-load --postgres CONNINFO [--stations 20] [--seconds 600]")?;
    if stations == 0 || !(seconds > 0.0 && seconds <= 24.0 * 3600.0) {
        return Err("--stations ≥ 1 and 0 < --seconds ≤ 86400".into());
    }
    Ok(Args {
        postgres,
        stations,
        seconds,
    })
}

fn basis() -> LegalBasisRecord {
    LegalBasisRecord {
        id: "csi-l242".into(),
        version: "2026-02".into(),
        title: "CSI L242".into(),
        purpose: "securite_rassemblements".into(),
        personal_data: true,
        recordings_retention_h: 168,
        domicile_retention_h: 48,
        public_information: "affichage en mairie".into(),
        documents: Default::default(),
        emergency: false,
    }
}

/// One station's run: latencies of every append (µs).
fn station(
    n: usize,
    dir: PathBuf,
    conninfo: String,
    deadline_s: f64,
    start: Arc<Barrier>,
) -> Result<Vec<u64>, String> {
    let mut o = OpenOptions::new(RegisterKind::Legal);
    o.postgres = Some(conninfo);
    let mut reg = Register::open_with(&dir, o).map_err(|e| format!("station {n}: {e}"))?;
    let now = Utc::now();
    let arrete = format!("A-{}", reg.station_id());
    let dep = format!("D-{}", reg.station_id());
    reg.add_authorisation(&AuthorisationRecord {
        arrete_number: arrete.clone(),
        issuer: "Préfet".into(),
        signed_on: now.date_naive(),
        valid_from: now - TimeDelta::days(1),
        valid_until: now + TimeDelta::days(30),
        finalite: "securite_rassemblements".into(),
        perimeter_lat_lon_deg: vec![vec![[43.51, 4.98], [43.52, 4.98], [43.52, 4.99]]],
        max_cameras: 2,
        public_information: "affichage".into(),
        scan_sha256: None,
        revoked: false,
    })
    .map_err(|e| e.to_string())?;
    reg.start_deployment(&DeploymentRecord {
        deployment_id: dep.clone(),
        arrete_number: arrete.clone(),
        finalite: "securite_rassemblements".into(),
        place: format!("Commune {n}"),
        planned_start: now,
        planned_end: now + TimeDelta::hours(12),
    })
    .map_err(|e| e.to_string())?;
    let rec_dir = reg
        .create_recordings_dir("load")
        .map_err(|e| e.to_string())?;
    let seg_path = rec_dir.join("segment.ts");
    std::fs::write(&seg_path, vec![0x47u8; 4096]).map_err(|e| e.to_string())?;
    let seg = file_ref(&seg_path).map_err(|e| e.to_string())?;
    let mut lat: Vec<u64> = Vec::new();
    let timed = |lat: &mut Vec<u64>, f: &mut dyn FnMut() -> Result<Appended>| {
        let t = Instant::now();
        let r = f();
        lat.push(t.elapsed().as_micros() as u64);
        r.map(|_| ()).map_err(|e| format!("station {n}: {e}"))
    };
    start.wait();
    let t0 = Instant::now();
    let mut k = 0u64;
    while t0.elapsed().as_secs_f64() < deadline_s {
        k += 1;
        let at = Utc::now();
        let id = reg
            .new_flight_id(at, &format!("drone-{n}"))
            .map_err(|e| e.to_string())?;
        let start = FlightStart {
            flight_id: id.clone(),
            deployment_id: dep.clone(),
            arrete_number: arrete.clone(),
            finalite: "securite_rassemblements".into(),
            pilot_id: format!("P-{n}"),
            aircraft_registration: format!("F-LOAD-{n}"),
            started_at: at,
            takeoff_lat_deg: Some(43.515),
            takeoff_lon_deg: Some(4.985),
            place: format!("Commune {n}"),
            anonymised_copy: false,
            vehicle: None,
            operator_registration: None,
        };
        timed(&mut lat, &mut || {
            reg.start_flight_with_basis(&start, &basis())
        })?;
        for i in 0..8 {
            let ev = EventRecord {
                flight_id: Some(id.clone()),
                at: Utc::now(),
                kind: EventKind::Command,
                code: "cmd.reposition".into(),
                text: format!("reposition {i}"),
                rule_ids: Vec::new(),
                data: None,
                vehicle: None,
            };
            timed(&mut lat, &mut || reg.record_event(&ev))?;
        }
        for _ in 0..2 {
            let s = VideoSegment {
                flight_id: id.clone(),
                camera: "cam0".into(),
                started_at: Utc::now(),
                ended_at: Utc::now(),
                file: seg.clone(),
                domicile: false,
            };
            timed(&mut lat, &mut || reg.record_video_segment(&s))?;
        }
        let session = format!("S-{id}-{k}");
        let vs = ViewerSessionStart {
            session_id: session.clone(),
            flight_id: Some(id.clone()),
            viewer: Actor {
                id: format!("csu-{n}"),
                name: "Opérateur CSU".into(),
                role: "opérateur".into(),
            },
            from: "CSU".into(),
            stream: "rtsp://csu/cam0".into(),
            started_at: Utc::now(),
        };
        timed(&mut lat, &mut || reg.viewer_session_start(&vs))?;
        let ve = ViewerSessionEnd {
            session_id: session,
            ended_at: Utc::now(),
        };
        timed(&mut lat, &mut || reg.viewer_session_end(&ve))?;
        let seal = FlightSeal {
            flight_id: id,
            ended_at: Utc::now(),
            track: TrackSummary::default(),
            max_alt_agl_m: 40.0,
            tlog: None,
            rrd: None,
            covered_entries: Vec::new(),
            ending: None,
        };
        timed(&mut lat, &mut || reg.seal_flight(&seal))?;
    }
    Ok(lat)
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or(0) as f64 / 1000.0
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("vigie-register-load: {e}");
            return ExitCode::from(2);
        }
    };
    let base = std::env::temp_dir().join(format!("vigie-register-load-{}", std::process::id()));
    let barrier = Arc::new(Barrier::new(args.stations + 1));
    let mut threads = Vec::new();
    for n in 0..args.stations {
        let dir = base.join(format!("station-{n}"));
        let (c, b, s) = (args.postgres.clone(), barrier.clone(), args.seconds);
        let spawned = std::thread::Builder::new()
            .name(format!("load-station-{n}"))
            .spawn(move || station(n, dir, c, s, b));
        match spawned {
            Ok(t) => threads.push(t),
            Err(e) => {
                eprintln!("vigie-register-load: cannot start station thread: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    barrier.wait();
    let t0 = Instant::now();
    let mut all: Vec<u64> = Vec::new();
    let mut failed = false;
    for t in threads {
        match t.join() {
            Ok(Ok(l)) => all.extend(l),
            Ok(Err(e)) => {
                eprintln!("vigie-register-load: {e}");
                failed = true;
            }
            Err(_) => {
                eprintln!("vigie-register-load: a station thread panicked");
                failed = true;
            }
        }
    }
    let elapsed = t0.elapsed().as_secs_f64();
    all.sort_unstable();
    println!(
        "load: {} stations for {:.1} s: {} appends, {:.0} appends/s; latency p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        args.stations,
        elapsed,
        all.len(),
        all.len() as f64 / elapsed.max(1e-9),
        percentile(&all, 0.50),
        percentile(&all, 0.95),
        percentile(&all, 0.99),
        percentile(&all, 1.0)
    );
    // Verify every chain, read-only (the verifier writes nothing, not even a station record).
    let mut o = OpenOptions::new(RegisterKind::Legal);
    o.postgres = Some(args.postgres.clone());
    o.read_only = true;
    let t = Instant::now();
    let report = Register::open_with(&base.join("verifier"), o).and_then(|mut r| r.verify());
    let _ = std::fs::remove_dir_all(&base);
    match report {
        Ok(r) if r.is_ok() => {
            println!(
                "verify: {} chains, {} entries, {} signatures: OK in {:.1} s",
                r.stations,
                r.entries,
                r.signatures,
                t.elapsed().as_secs_f64()
            );
            if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Ok(r) => {
            for b in r.breaks.iter().take(10) {
                eprintln!("verify: BROKEN at {b}");
            }
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("verify: {e}");
            ExitCode::FAILURE
        }
    }
}

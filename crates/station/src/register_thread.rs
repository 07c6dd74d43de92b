//! The station's side of the register: one thread owns the (synchronous) register, purges what
//! the law says is due at start and daily, opens a flight at arming, records its `.rrd`, and seals
//! it with the tlog's and the recording's digests at disarming. Register trouble (disk full, a
//! corrupt file) is reported as an alarm; the flight goes on.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use flight_rules::{Authorisation, Pilot};
use vigie_register::{
    AircraftRecord, AuthorisationRecord, DeploymentEnd, DeploymentRecord, EventKind, EventLevel,
    EventRecord, FlightRecorder, FlightSeal, FlightStart, PilotRecord, Register, RegisterKind,
    TelemetrySample,
};

/// How often the register is purged while the station runs (CSI R242-11: 7 days, 48 h).
const PURGE_EVERY: Duration = Duration::from_secs(24 * 3600);

pub enum RecordMsg {
    /// Open a flight; answers with the directory its tlog goes to.
    FlightStarted {
        flight_id: String,
        at: DateTime<Utc>,
        takeoff: Option<(f64, f64)>,
        reply: tokio::sync::oneshot::Sender<Option<PathBuf>>,
    },
    Sample(Box<TelemetrySample>),
    Event {
        at: DateTime<Utc>,
        alarm: bool,
        text: String,
    },
    /// The flight ended; its tlog (already closed) is at `tlog`.
    FlightEnded {
        at: DateTime<Utc>,
        tlog: Option<PathBuf>,
    },
}

pub struct Recording {
    pub tx: mpsc::Sender<RecordMsg>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Recording {
    /// The station is going away: let the register seal what is open before the process ends.
    fn drop(&mut self) {
        let (dummy, _) = mpsc::channel();
        drop(std::mem::replace(&mut self.tx, dummy));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub struct Session {
    pub data_dir: PathBuf,
    pub training: bool,
    pub pilot: Option<Pilot>,
    pub authorisation: Option<Authorisation>,
    pub aircraft: String,
}

struct Flight {
    id: String,
    recorder: Option<FlightRecorder>,
    /// Where the station writes this flight's tlog.
    tlog: PathBuf,
}

/// Start the register thread; `log` receives lines for the station log (alarms included).
pub fn start(
    session: Session,
    log: impl Fn(String) + Send + 'static,
) -> std::io::Result<Recording> {
    let (tx, rx) = mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("vigie-register".into())
        .spawn(move || run(session, rx, log))?;
    Ok(Recording {
        tx,
        thread: Some(thread),
    })
}

fn run(session: Session, rx: mpsc::Receiver<RecordMsg>, log: impl Fn(String)) {
    let kind = if session.training {
        RegisterKind::Training
    } else {
        RegisterKind::Legal
    };
    let mut reg = match Register::open(&session.data_dir, kind) {
        Ok(r) => r,
        Err(e) => {
            log(format!(
                "ALARM register unavailable ({e}): flights are NOT being recorded"
            ));
            // Keep draining so the station never blocks on us.
            for _ in rx {}
            return;
        }
    };
    purge(&mut reg, &log);
    let deployment = open_deployment(&mut reg, &session, &log);
    let mut last_purge = std::time::Instant::now();
    let mut flight: Option<Flight> = None;
    loop {
        let msg = match rx.recv_timeout(Duration::from_secs(600)) {
            Ok(m) => Some(m),
            Err(mpsc::RecvTimeoutError::Timeout) => None,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        if last_purge.elapsed() >= PURGE_EVERY && flight.is_none() {
            purge(&mut reg, &log);
            last_purge = std::time::Instant::now();
        }
        let Some(msg) = msg else { continue };
        match msg {
            RecordMsg::FlightStarted {
                flight_id,
                at,
                takeoff,
                reply,
            } => {
                let Some(dep) = &deployment else {
                    let _ = reply.send(None);
                    continue;
                };
                let start = FlightStart {
                    flight_id: flight_id.clone(),
                    deployment_id: dep.clone(),
                    arrete_number: session
                        .authorisation
                        .as_ref()
                        .map_or_else(|| "aucun".into(), |a| a.arrete.clone()),
                    finalite: session
                        .authorisation
                        .as_ref()
                        .map_or_else(|| "formation".into(), |a| a.finalite.clone()),
                    pilot_id: session
                        .pilot
                        .as_ref()
                        .map_or_else(|| "inconnu".into(), |p| p.id.clone()),
                    aircraft_registration: session.aircraft.clone(),
                    started_at: at,
                    takeoff_lat_deg: takeoff.map(|t| t.0),
                    takeoff_lon_deg: takeoff.map(|t| t.1),
                    place: session
                        .authorisation
                        .as_ref()
                        .map_or_else(String::new, |a| a.commune.clone().unwrap_or_default()),
                    anonymised_copy: false,
                };
                if let Err(e) = reg.start_flight(&start) {
                    log(format!(
                        "ALARM register: flight {flight_id} not opened: {e}"
                    ));
                    let _ = reply.send(None);
                    continue;
                }
                let dir = reg.recordings_dir(&flight_id);
                let recorder = match std::fs::create_dir_all(&dir)
                    .map_err(|e| e.to_string())
                    .and_then(|_| {
                        FlightRecorder::create(&dir.join("flight.rrd"), &flight_id)
                            .map_err(|e| e.to_string())
                    }) {
                    Ok(r) => Some(r),
                    Err(e) => {
                        log(format!("ALARM flight recording (.rrd) unavailable: {e}"));
                        None
                    }
                };
                log(format!("register: flight {flight_id} opened"));
                flight = Some(Flight {
                    id: flight_id,
                    recorder,
                    tlog: dir.join("flight.tlog"),
                });
                let _ = reply.send(Some(dir));
            }
            RecordMsg::Sample(s) => {
                if let Some(r) = flight.as_mut().and_then(|f| f.recorder.as_mut())
                    && let Err(e) = r.sample(&s)
                {
                    log(format!("ALARM flight recording stopped: {e}"));
                    if let Some(f) = flight.as_mut() {
                        f.recorder = None;
                    }
                }
            }
            RecordMsg::Event { at, alarm, text } => {
                if let Some(f) = flight.as_mut() {
                    if let Some(r) = f.recorder.as_mut() {
                        let _ = r.event(
                            at,
                            if alarm {
                                EventLevel::Alarm
                            } else {
                                EventLevel::Info
                            },
                            &text,
                        );
                    }
                    let ev = EventRecord {
                        flight_id: Some(f.id.clone()),
                        at,
                        kind: if alarm {
                            EventKind::Alarm
                        } else {
                            EventKind::Info
                        },
                        code: if alarm { "ALARM".into() } else { "INFO".into() },
                        text,
                        rule_ids: Vec::new(),
                    };
                    if let Err(e) = reg.record_event(&ev) {
                        log(format!("ALARM register: event not recorded: {e}"));
                    }
                }
            }
            RecordMsg::FlightEnded { at, tlog } => {
                let Some(f) = flight.take() else { continue };
                seal(&mut reg, f, at, tlog.as_deref(), &log);
            }
        }
    }
    // The station stopped mid-flight: seal with what the tlog holds so far (it is flushed every
    // second), rather than leave the flight open.
    if let Some(f) = flight.take() {
        let tlog = f.tlog.clone();
        seal(
            &mut reg,
            f,
            Utc::now(),
            tlog.exists().then_some(tlog.as_path()),
            &log,
        );
    }
    if let Some(dep) = deployment {
        let _ = reg.end_deployment(&DeploymentEnd {
            deployment_id: dep,
            ended_at: Utc::now(),
        });
    }
}

fn purge(reg: &mut Register, log: &impl Fn(String)) {
    match reg.purge(Utc::now()) {
        Ok(r) => log(format!(
            "register purge: {} entries erased, {} files deleted, {} flights under legal hold",
            r.erased_entries.len(),
            r.deleted_files.len(),
            r.held_flights.len()
        )),
        Err(e) => log(format!("ALARM register purge failed: {e}")),
    }
}

/// The pilot, aircraft, authorisation and a deployment for this session (R242-9 record).
fn open_deployment(reg: &mut Register, s: &Session, log: &impl Fn(String)) -> Option<String> {
    let now = Utc::now();
    if let Some(p) = &s.pilot {
        let rec = PilotRecord {
            pilot_id: p.id.clone(),
            name: p.name.clone(),
            administrative_id: p.id.clone(),
            certificate_number: p.certificate_number.clone(),
            certificate_kind: "télépilote".into(),
            certificate_issued_on: p.certificate_expires - chrono::Days::new(365 * 5),
            certificate_expires_on: p.certificate_expires,
            pin_hash: None,
        };
        if let Err(e) = reg.add_pilot(&rec) {
            log(format!("register: pilot not recorded: {e}"));
        }
    }
    if let Err(e) = reg.add_aircraft(&AircraftRecord {
        registration: s.aircraft.clone(),
        model: s.aircraft.clone(),
        serial: None,
        mass_g: None,
    }) {
        log(format!("register: aircraft not recorded: {e}"));
    }
    let Some(a) = &s.authorisation else {
        log("register: no authorisation, so no deployment: flights are not recorded".into());
        return None;
    };
    let rec = AuthorisationRecord {
        arrete_number: a.arrete.clone(),
        issuer: a.issuer.clone(),
        signed_on: a
            .signed_on
            .map_or(a.valid_from.date_naive(), |d| d.date_naive()),
        valid_from: a.valid_from,
        valid_until: a.valid_until,
        finalite: a.finalite.clone(),
        perimeter_lat_lon_deg: a
            .perimeter
            .iter()
            .map(|(_, p)| p.exterior().coords().map(|c| [c.y, c.x]).collect())
            .collect(),
        max_cameras: a.max_cameras,
        public_information: a.public_information.clone().unwrap_or_default(),
        scan_sha256: a.pdf_sha256.clone(),
        revoked: a.revoked_at.is_some(),
    };
    if let Err(e) = reg.add_authorisation(&rec) {
        log(format!("register: authorisation not recorded: {e}"));
    }
    let id = format!("dep-{}", now.format("%Y%m%dT%H%M%SZ"));
    let dep = DeploymentRecord {
        deployment_id: id.clone(),
        arrete_number: a.arrete.clone(),
        finalite: a.finalite.clone(),
        place: a.commune.clone().unwrap_or_default(),
        planned_start: now,
        // A deployment has an end (no permanent use, L242-4): the working day, within the arrêté.
        planned_end: (now + chrono::Duration::hours(12)).min(a.valid_until),
    };
    match reg.start_deployment(&dep) {
        Ok(_) => Some(id),
        Err(e) => {
            log(format!(
                "ALARM register: deployment not opened ({e}): flights are NOT being recorded"
            ));
            None
        }
    }
}

fn seal(
    reg: &mut Register,
    f: Flight,
    at: DateTime<Utc>,
    tlog: Option<&Path>,
    log: &impl Fn(String),
) {
    let summary = f.recorder.map(|r| r.finish());
    let (track, max_alt, rrd) = match summary {
        Some(Ok(s)) => (s.track, s.max_alt_agl_m, Some(s.file)),
        Some(Err(e)) => {
            log(format!("ALARM flight recording not closed: {e}"));
            (Default::default(), 0.0, None)
        }
        None => (Default::default(), 0.0, None),
    };
    let tlog = tlog.and_then(|p| match vigie_register::file_ref(p) {
        Ok(r) => Some(r),
        Err(e) => {
            log(format!("ALARM tlog of flight {} not hashed: {e}", f.id));
            None
        }
    });
    let seal = FlightSeal {
        flight_id: f.id.clone(),
        ended_at: at,
        track,
        max_alt_agl_m: max_alt,
        tlog,
        rrd,
        covered_entries: Vec::new(),
    };
    match reg.seal_flight(&seal) {
        Ok(_) => log(format!("register: flight {} sealed and signed", f.id)),
        Err(e) => log(format!("ALARM register: flight {} not sealed: {e}", f.id)),
    }
}

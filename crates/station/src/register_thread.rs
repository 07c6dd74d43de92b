//! The station's side of the register: one thread owns the (synchronous) register, purges what
//! the law says is due at start and daily, opens a deployment for the session, opens a flight
//! per vehicle at arming with its `.rrd`, records every event (refusals with their rule IDs,
//! whether or not a flight is open), and seals each flight with its tlog's and recording's
//! digests at disarming. Register trouble (disk full, a corrupt file) comes back as feedback the
//! station turns into an alarm; the flight goes on.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use flight_rules::{Authorisation, Pilot};
use vigie_register::{
    AircraftRecord, AuthorisationRecord, DeploymentEnd, DeploymentRecord, EventRecord,
    FlightRecorder, FlightSeal, FlightStart, PilotRecord, Register, RegisterKind, TelemetrySample,
};

use crate::event::{EventKind, EventLevel, StationEvent};
use crate::protocol::VehicleId;

/// How often the register is purged while the station runs (CSI R242-11: 7 days, 48 h).
const PURGE_EVERY: Duration = Duration::from_secs(24 * 3600);

pub enum RecordMsg {
    /// Open a flight; the answer comes back as [`RegisterFeedback::FlightOpened`].
    FlightStarted {
        vehicle: VehicleId,
        flight_id: String,
        at: DateTime<Utc>,
        takeoff: Option<(f64, f64)>,
    },
    Sample {
        flight_id: String,
        sample: Box<TelemetrySample>,
    },
    Event(Box<StationEvent>),
    /// The flight ended; its tlog (already closed) is at `tlog`.
    FlightEnded {
        flight_id: String,
        at: DateTime<Utc>,
        tlog: Option<PathBuf>,
    },
}

/// What the register thread tells the station.
#[derive(Debug, Clone, PartialEq)]
pub enum RegisterFeedback {
    /// The flight is open; its recordings (tlog, .rrd, video) go to `dir`.
    FlightOpened {
        vehicle: VehicleId,
        flight_id: String,
        dir: PathBuf,
    },
    FlightNotOpened {
        vehicle: VehicleId,
        flight_id: String,
        why: String,
    },
    FlightSealed {
        flight_id: String,
    },
    /// Anything that failed: the station raises an alarm; nothing stops.
    Fault(String),
    /// Routine report (purge figures), shown as information.
    Note(String),
}

pub struct Recording {
    pub tx: mpsc::Sender<RecordMsg>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Recording {
    /// Let the register seal what is open and close, then return.
    pub fn close(mut self) {
        self.finish();
    }

    fn finish(&mut self) {
        let (dummy, _) = mpsc::channel();
        drop(std::mem::replace(&mut self.tx, dummy));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Recording {
    /// The station is going away: let the register seal what is open before the process ends.
    fn drop(&mut self) {
        self.finish();
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

type Feedback = tokio::sync::mpsc::UnboundedSender<RegisterFeedback>;

/// Start the register thread; feedback goes to `feedback`.
pub fn start(session: Session, feedback: Feedback) -> std::io::Result<Recording> {
    let (tx, rx) = mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("vigie-register".into())
        .spawn(move || run(session, rx, feedback))?;
    Ok(Recording {
        tx,
        thread: Some(thread),
    })
}

fn event_record(flight_id: Option<String>, e: &StationEvent) -> EventRecord {
    use vigie_register::EventKind as K;
    let kind = match (&e.kind, e.level) {
        (EventKind::Refused { .. }, _) => K::Denial,
        (EventKind::Commanded { .. }, _) => K::Command,
        (_, EventLevel::Alarm) => K::Alarm,
        _ => K::Info,
    };
    EventRecord {
        flight_id,
        at: e.at,
        kind,
        code: e.kind.code().to_string(),
        text: e.describe(),
        rule_ids: e.rule_ids.iter().map(|r| (*r).to_string()).collect(),
    }
}

fn run(session: Session, rx: mpsc::Receiver<RecordMsg>, feedback: Feedback) {
    let say = |f: RegisterFeedback| {
        let _ = feedback.send(f);
    };
    let kind = if session.training {
        RegisterKind::Training
    } else {
        RegisterKind::Legal
    };
    let mut reg = match Register::open(&session.data_dir, kind) {
        Ok(r) => r,
        Err(e) => {
            say(RegisterFeedback::Fault(format!(
                "register unavailable ({e}): flights are NOT being recorded"
            )));
            // Keep draining so the station never blocks on us.
            for _ in rx {}
            return;
        }
    };
    let log = |line: String| say(RegisterFeedback::Note(line));
    let fault = |line: String| say(RegisterFeedback::Fault(line));
    purge(&mut reg, &log, &fault);
    let deployment = open_deployment(&mut reg, &session, &log, &fault);
    let mut last_purge = std::time::Instant::now();
    let mut flights: HashMap<String, Flight> = HashMap::new();
    // Which flight each vehicle flies now, so its events are filed with it.
    let mut open_by_vehicle: HashMap<VehicleId, String> = HashMap::new();
    loop {
        let msg = match rx.recv_timeout(Duration::from_secs(600)) {
            Ok(m) => Some(m),
            Err(mpsc::RecvTimeoutError::Timeout) => None,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        if last_purge.elapsed() >= PURGE_EVERY && flights.is_empty() {
            purge(&mut reg, &log, &fault);
            last_purge = std::time::Instant::now();
        }
        let Some(msg) = msg else { continue };
        match msg {
            RecordMsg::FlightStarted {
                vehicle,
                flight_id,
                at,
                takeoff,
            } => {
                let not_opened = |why: String| {
                    say(RegisterFeedback::FlightNotOpened {
                        vehicle,
                        flight_id: flight_id.clone(),
                        why,
                    })
                };
                let Some(dep) = &deployment else {
                    not_opened("no deployment is open (no authorisation)".into());
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
                    not_opened(format!("flight {flight_id} not opened: {e}"));
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
                        fault(format!("flight recording (.rrd) unavailable: {e}"));
                        None
                    }
                };
                open_by_vehicle.insert(vehicle, flight_id.clone());
                flights.insert(
                    flight_id.clone(),
                    Flight {
                        id: flight_id.clone(),
                        recorder,
                        tlog: dir.join("flight.tlog"),
                    },
                );
                say(RegisterFeedback::FlightOpened {
                    vehicle,
                    flight_id,
                    dir,
                });
            }
            RecordMsg::Sample { flight_id, sample } => {
                if let Some(f) = flights.get_mut(&flight_id)
                    && let Some(r) = f.recorder.as_mut()
                    && let Err(e) = r.sample(&sample)
                {
                    fault(format!("flight recording stopped: {e}"));
                    f.recorder = None;
                }
            }
            RecordMsg::Event(e) => {
                let flight_id = e.vehicle.and_then(|v| open_by_vehicle.get(&v)).cloned();
                if let Some(f) = flight_id.as_ref().and_then(|id| flights.get_mut(id))
                    && let Some(r) = f.recorder.as_mut()
                {
                    let level = if e.level == EventLevel::Alarm {
                        vigie_register::EventLevel::Alarm
                    } else {
                        vigie_register::EventLevel::Info
                    };
                    let _ = r.event(e.at, level, &e.describe());
                }
                if let Err(err) = reg.record_event(&event_record(flight_id, &e)) {
                    fault(format!("event not recorded: {err}"));
                }
            }
            RecordMsg::FlightEnded {
                flight_id,
                at,
                tlog,
            } => {
                open_by_vehicle.retain(|_, f| *f != flight_id);
                let Some(f) = flights.remove(&flight_id) else {
                    continue;
                };
                if seal(&mut reg, f, at, tlog.as_deref(), &fault) {
                    say(RegisterFeedback::FlightSealed { flight_id });
                }
            }
        }
    }
    // The station stopped mid-flight: seal with what each tlog holds so far (it is flushed every
    // second), rather than leave the flight open.
    for (_, f) in flights.drain() {
        let tlog = f.tlog.clone();
        seal(
            &mut reg,
            f,
            Utc::now(),
            tlog.exists().then_some(tlog.as_path()),
            &fault,
        );
    }
    if let Some(dep) = deployment {
        let _ = reg.end_deployment(&DeploymentEnd {
            deployment_id: dep,
            ended_at: Utc::now(),
        });
    }
}

fn purge(reg: &mut Register, log: &impl Fn(String), fault: &impl Fn(String)) {
    match reg.purge(Utc::now()) {
        Ok(r) => log(format!(
            "register purge: {} entries erased, {} files deleted, {} flights under legal hold",
            r.erased_entries.len(),
            r.deleted_files.len(),
            r.held_flights.len()
        )),
        Err(e) => fault(format!("register purge failed: {e}")),
    }
}

/// The pilot, aircraft, authorisation and a deployment for this session (R242-9 record).
fn open_deployment(
    reg: &mut Register,
    s: &Session,
    log: &impl Fn(String),
    fault: &impl Fn(String),
) -> Option<String> {
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
            fault(format!(
                "deployment not opened ({e}): flights are NOT being recorded"
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
    fault: &impl Fn(String),
) -> bool {
    let summary = f.recorder.map(|r| r.finish());
    let (track, max_alt, rrd) = match summary {
        Some(Ok(s)) => (s.track, s.max_alt_agl_m, Some(s.file)),
        Some(Err(e)) => {
            fault(format!("flight recording not closed: {e}"));
            (Default::default(), 0.0, None)
        }
        None => (Default::default(), 0.0, None),
    };
    let tlog = tlog.and_then(|p| match vigie_register::file_ref(p) {
        Ok(r) => Some(r),
        Err(e) => {
            fault(format!("tlog of flight {} not hashed: {e}", f.id));
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
        Ok(_) => true,
        Err(e) => {
            fault(format!("flight {} not sealed: {e}", f.id));
            false
        }
    }
}

//! The station's side of the register: one thread owns the (synchronous) register. It purges what
//! the law says is due at start and daily; checks PINs (every attempt journaled); opens a
//! deployment when a pilot is logged in under an authorisation; opens a flight per vehicle at
//! arming with its legal basis and `.rrd`; records every event (refusals with their rule IDs,
//! whether or not a flight is open); seals each flight with its tlog's and recording's digests
//! at disarming and writes the flight report beside it; sends the signed chain head to the
//! witnesses. Register trouble (disk full, a corrupt file) comes back as feedback the station
//! turns into an alarm; the flight goes on.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use flight_rules::{Authorisation, FlightLegalBasis, Pilot};
use vigie_register::{
    Actor, AircraftRecord, AuthorisationRecord, DeploymentEnd, DeploymentRecord, EventRecord,
    FlightRecorder, FlightSeal, FlightStart, LegalBasisRecord, LoginOutcome, LoginPolicy,
    OpenOptions, PilotRecord, Register, RegisterKind, TelemetrySample,
};

use crate::event::{EventKind, EventLevel, StationEvent};
use crate::protocol::VehicleId;

/// How often the register is purged while the station runs (CSI R242-11: 7 days, 48 h).
const PURGE_EVERY: Duration = Duration::from_secs(24 * 3600);
/// How often the thread wakes when idle (witness timer).
const IDLE_WAKE: Duration = Duration::from_secs(60);

/// Who flies under what, as the register must record it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionRecord {
    pub pilot: Option<Pilot>,
    pub authorisation: Option<Authorisation>,
    pub legal_basis: Option<FlightLegalBasis>,
    pub training: bool,
    /// The operating area's name, when flying without an arrêté.
    pub operation_area: Option<String>,
}

pub enum RecordMsg {
    /// The session changed (login, logout, authorisation picked): deployments follow.
    Session(Box<SessionRecord>),
    /// Check a PIN; the answer comes back as [`RegisterFeedback::Login`].
    Login {
        token: u64,
        pilot_id: String,
        pin: String,
        at: DateTime<Utc>,
    },
    /// Open a flight; the answer comes back as [`RegisterFeedback::FlightOpened`].
    FlightStarted {
        vehicle: VehicleId,
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
    /// A flight left open by a previous run goes on (its vehicle reappeared armed).
    Resume {
        vehicle: VehicleId,
        flight_id: String,
        gap_s: f64,
        after_clean_stop: bool,
    },
    /// A flight left open whose vehicle landed while the station was away.
    CloseAway {
        flight_id: String,
        at: DateTime<Utc>,
        report: String,
    },
    /// The station stops with this flight open (its tlog already closed).
    Interrupt(Box<vigie_register::FlightInterruption>),
    /// A closed video segment of a flight, with its digest.
    VideoSegment(Box<vigie_register::VideoSegment>),
    /// A viewer asks to watch (RTSP): answered once its start is in the register (fail closed).
    ViewerStart {
        start: Box<vigie_register::ViewerSessionStart>,
        reply: std::sync::mpsc::Sender<Result<(), String>>,
    },
    ViewerEnd(vigie_register::ViewerSessionEnd),
}

/// Why a login was refused, for the pilot.
#[derive(Debug, Clone, PartialEq)]
pub struct LoginRefused {
    pub reason: String,
    pub locked_until: Option<DateTime<Utc>>,
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
        why: String,
    },
    FlightSealed {
        flight_id: String,
        /// The flight report (HTML and PDF) beside the recordings, when it could be written.
        report: Option<PathBuf>,
    },
    /// A PIN was checked (and the attempt journaled).
    Login {
        token: u64,
        result: Result<Box<Pilot>, LoginRefused>,
    },
    /// Anything that failed: the station raises an alarm; nothing stops.
    Fault(String),
    /// Routine report (purge figures), shown as information.
    Note(String),
    /// Flights a previous run of the station left open (found at start).
    OpenFlights(Vec<crate::state::OrphanFlight>),
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

/// What the thread needs to open the register.
#[derive(Debug, Clone)]
pub struct RegisterConfig {
    pub data_dir: PathBuf,
    pub training: bool,
    pub aircraft: String,
    /// Witnesses of the chain head (a directory on another disk, a PostgreSQL conninfo).
    pub witnesses: Vec<String>,
    pub login: LoginPolicy,
    /// Take the training register's flights into the pilot's recency (operator setting).
    pub training_counts_for_recency: bool,
    /// The UAS operator's registration number, recorded with every flight.
    pub operator_registration: Option<String>,
}

struct Flight {
    id: String,
    recorder: Option<FlightRecorder>,
}

type Feedback = tokio::sync::mpsc::UnboundedSender<RegisterFeedback>;

/// Start the register thread; feedback goes to `feedback`.
pub fn start(config: RegisterConfig, feedback: Feedback) -> std::io::Result<Recording> {
    let (tx, rx) = mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("vigie-register".into())
        .spawn(move || Thread::open(config, feedback).run(rx))?;
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
        (EventKind::AutomaticAction { .. }, _) => K::AutomaticAction,
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
        data: crate::facts::event_data(e),
        vehicle: e.vehicle.map(|v| v.0),
    }
}

/// The last flight that counts for a pilot's recency: the legal register's, and the training
/// register's (in `dir`) only when the operator's policy says training counts. A training
/// register that is missing or unreadable adds nothing: recency then rests on legal flights.
pub fn recency_last_flight(
    dir: &std::path::Path,
    pilot_id: &str,
    legal_last: Option<DateTime<Utc>>,
    training_counts: bool,
) -> Option<DateTime<Utc>> {
    if !training_counts || !dir.join(RegisterKind::Training.file_name()).exists() {
        return legal_last;
    }
    let training = match Register::open(dir, RegisterKind::Training) {
        Ok(mut t) => t.last_flight_of(pilot_id).ok().flatten(),
        Err(e) => {
            tracing::warn!("training register not read for recency: {e}");
            None
        }
    };
    legal_last.max(training)
}

/// The rules' pilot from the register's record, with its recency from the register's flights.
pub fn pilot_from_record(r: &PilotRecord, last_flight_at: Option<DateTime<Utc>>) -> Pilot {
    let logbook = r
        .logbook_last_flight_on
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .map(|d| d.and_utc());
    let last_flight_at = last_flight_at.max(logbook);
    Pilot {
        id: r.pilot_id.clone(),
        name: r.name.clone(),
        certificate_number: r.certificate_number.clone(),
        certificate_expires: r.certificate_expires_on,
        airframes: r.airframes.clone(),
        last_flight_at,
    }
}

pub fn authorisation_record(a: &Authorisation) -> AuthorisationRecord {
    AuthorisationRecord {
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
    }
}

fn legal_basis_record(b: &FlightLegalBasis) -> LegalBasisRecord {
    LegalBasisRecord {
        id: b.basis.id.clone(),
        version: b.basis.version.clone(),
        title: b.basis.title.clone(),
        purpose: b.purpose.clone(),
        personal_data: b.basis.personal_data,
        recordings_retention_h: b.basis.recordings_retention_h,
        domicile_retention_h: b.basis.domicile_retention_h,
        public_information: b.basis.public_information.clone(),
        documents: b.documents.clone(),
        emergency: b.emergency,
    }
}

struct Thread {
    reg: Option<Register>,
    config: RegisterConfig,
    feedback: Feedback,
    session: SessionRecord,
    deployment: Option<String>,
    flights: HashMap<String, Flight>,
    /// Which flight each vehicle flies now, so its events are filed with it.
    open_by_vehicle: HashMap<VehicleId, String>,
    last_purge: std::time::Instant,
}

impl Thread {
    fn open(config: RegisterConfig, feedback: Feedback) -> Self {
        let kind = if config.training {
            RegisterKind::Training
        } else {
            RegisterKind::Legal
        };
        let mut options = OpenOptions::new(kind);
        options.witnesses = config.witnesses.clone();
        let reg = match Register::open_with(&config.data_dir, options) {
            Ok(r) => Some(r),
            Err(e) => {
                let _ = feedback.send(RegisterFeedback::Fault(format!(
                    "register unavailable ({e}): flights are NOT being recorded"
                )));
                None
            }
        };
        Self {
            reg,
            config,
            feedback,
            session: SessionRecord::default(),
            deployment: None,
            flights: HashMap::new(),
            open_by_vehicle: HashMap::new(),
            last_purge: std::time::Instant::now(),
        }
    }

    fn say(&self, f: RegisterFeedback) {
        let _ = self.feedback.send(f);
    }

    fn fault(&self, what: String) {
        self.say(RegisterFeedback::Fault(what));
    }

    fn run(mut self, rx: mpsc::Receiver<RecordMsg>) {
        let Some(reg) = self.reg.as_mut() else {
            // Keep draining so the station never blocks on us; PINs cannot be checked.
            for m in rx {
                if let RecordMsg::Login { token, .. } = m {
                    let _ = self.feedback.send(RegisterFeedback::Login {
                        token,
                        result: Err(LoginRefused {
                            reason: "the register is unavailable: PINs cannot be checked".into(),
                            locked_until: None,
                        }),
                    });
                }
            }
            return;
        };
        let aircraft = AircraftRecord {
            registration: self.config.aircraft.clone(),
            model: self.config.aircraft.clone(),
            serial: None,
            mass_g: None,
        };
        if let Err(e) = reg.add_aircraft(&aircraft) {
            let _ = self.feedback.send(RegisterFeedback::Note(format!(
                "aircraft not recorded: {e}"
            )));
        }
        self.purge();
        self.report_open_flights();
        loop {
            let msg = match rx.recv_timeout(IDLE_WAKE) {
                Ok(m) => Some(m),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            };
            if self.last_purge.elapsed() >= PURGE_EVERY && self.flights.is_empty() {
                self.purge();
            }
            self.witness();
            if let Some(msg) = msg {
                self.handle(msg);
            }
        }
        // The station stopped with flights still open and no word of it: record them as
        // interrupted (not sealed as if they had landed); a restarted station resumes or closes
        // them when their vehicle is heard again.
        let open: Vec<Flight> = self.flights.drain().map(|(_, f)| f).collect();
        for f in open {
            self.interrupt(
                f,
                vigie_register::FlightInterruption {
                    flight_id: String::new(),
                    at: Utc::now(),
                    reason: "station-stopped".into(),
                    airborne: None,
                    vehicle_failsafe: None,
                },
            );
        }
        self.end_deployment();
    }

    fn handle(&mut self, msg: RecordMsg) {
        match msg {
            RecordMsg::Session(s) => self.session_changed(*s),
            RecordMsg::Login {
                token,
                pilot_id,
                pin,
                at,
            } => {
                let result = self.login(&pilot_id, &pin, at);
                self.say(RegisterFeedback::Login { token, result });
            }
            RecordMsg::FlightStarted {
                vehicle,
                at,
                takeoff,
            } => self.flight_started(vehicle, at, takeoff),
            RecordMsg::Sample { flight_id, sample } => {
                let mut failed = None;
                if let Some(f) = self.flights.get_mut(&flight_id)
                    && let Some(r) = f.recorder.as_mut()
                    && let Err(e) = r.sample(&sample)
                {
                    failed = Some(format!("flight recording stopped: {e}"));
                    f.recorder = None;
                }
                if let Some(e) = failed {
                    self.fault(e);
                }
            }
            RecordMsg::Event(e) => {
                let flight_id = e
                    .vehicle
                    .and_then(|v| self.open_by_vehicle.get(&v))
                    .cloned();
                if let Some(f) = flight_id.as_ref().and_then(|id| self.flights.get_mut(id))
                    && let Some(r) = f.recorder.as_mut()
                {
                    let level = if e.level == EventLevel::Alarm {
                        vigie_register::EventLevel::Alarm
                    } else {
                        vigie_register::EventLevel::Info
                    };
                    let _ = r.event(e.at, level, &e.describe());
                }
                let res = self
                    .reg
                    .as_mut()
                    .map(|reg| reg.record_event(&event_record(flight_id, &e)));
                if let Some(Err(err)) = res {
                    self.fault(format!("event not recorded: {err}"));
                }
            }
            RecordMsg::FlightEnded {
                flight_id,
                at,
                tlog,
            } => {
                self.open_by_vehicle.retain(|_, f| *f != flight_id);
                if let Some(f) = self.flights.remove(&flight_id) {
                    self.seal(f, at, tlog.as_deref(), None);
                }
            }
            RecordMsg::Resume {
                vehicle,
                flight_id,
                gap_s,
                after_clean_stop,
            } => self.resume(vehicle, flight_id, gap_s, after_clean_stop),
            RecordMsg::CloseAway {
                flight_id,
                at,
                report,
            } => {
                let dir = self
                    .reg
                    .as_ref()
                    .map(|r| r.recordings_dir(&flight_id))
                    .unwrap_or_default();
                let tlog = dir.join("flight.tlog");
                let f = Flight {
                    id: flight_id,
                    recorder: None,
                };
                self.seal(
                    f,
                    at,
                    tlog.exists().then_some(tlog.as_path()),
                    Some(vigie_register::FlightEnding::EndedWhileStationAway {
                        heard_again_at: at,
                        vehicle_report: report,
                    }),
                );
            }
            RecordMsg::Interrupt(i) => {
                self.open_by_vehicle.retain(|_, f| *f != i.flight_id);
                if let Some(f) = self.flights.remove(&i.flight_id) {
                    self.interrupt(f, *i);
                }
            }
            RecordMsg::ViewerStart { start, reply } => {
                let res = match self.reg.as_mut() {
                    Some(r) => r
                        .viewer_session_start(&start)
                        .map(|_| ())
                        .map_err(|e| e.to_string()),
                    None => Err("the register is not open: no viewer may watch unrecorded".into()),
                };
                if let Err(e) = &res {
                    self.fault(format!(
                        "viewer {} of {} refused: their session could not be journaled: {e}",
                        start.viewer.id, start.stream
                    ));
                }
                let _ = reply.send(res);
            }
            RecordMsg::ViewerEnd(end) => {
                if let Some(Err(e)) = self.reg.as_mut().map(|r| r.viewer_session_end(&end)) {
                    self.fault(format!(
                        "the end of viewer session {} is not in the register: {e}",
                        end.session_id
                    ));
                }
            }
            RecordMsg::VideoSegment(seg) => {
                let res = self.reg.as_mut().map(|r| r.record_video_segment(&seg));
                if let Some(Err(e)) = res {
                    self.fault(format!(
                        "video segment {} of flight {} not in the register: {e}",
                        seg.file.path, seg.flight_id
                    ));
                }
            }
        }
    }

    fn login(
        &mut self,
        pilot_id: &str,
        pin: &str,
        at: DateTime<Utc>,
    ) -> Result<Box<Pilot>, LoginRefused> {
        let policy = self.config.login;
        let refused = |reason: String| LoginRefused {
            reason,
            locked_until: None,
        };
        let Some(reg) = self.reg.as_mut() else {
            return Err(refused("the register is unavailable".into()));
        };
        match reg.login(pilot_id, pin, at, &policy) {
            Ok(LoginOutcome::Accepted(rec)) => {
                let legal = reg.last_flight_of(pilot_id).ok().flatten();
                let last = if self.config.training {
                    legal
                } else {
                    recency_last_flight(
                        &self.config.data_dir,
                        pilot_id,
                        legal,
                        self.config.training_counts_for_recency,
                    )
                };
                Ok(Box::new(pilot_from_record(&rec, last)))
            }
            Ok(LoginOutcome::Refused(why)) => Err(LoginRefused {
                reason: why.to_string(),
                locked_until: match why {
                    vigie_register::LoginRefusal::Locked { until } => Some(until),
                    _ => None,
                },
            }),
            Err(e) => Err(refused(format!("login not checked: {e}"))),
        }
    }

    /// Deployments follow the session: one opens when a pilot flies under an authorisation, or
    /// in an operating area when no arrêté is needed (R242-9: place, purpose, times), and ends
    /// when any changes.
    fn session_changed(&mut self, s: SessionRecord) {
        let same_auth = self.session.authorisation.as_ref().map(|a| &a.arrete)
            == s.authorisation.as_ref().map(|a| &a.arrete);
        let same_pilot =
            self.session.pilot.as_ref().map(|p| &p.id) == s.pilot.as_ref().map(|p| &p.id);
        let same_area = self.session.operation_area == s.operation_area;
        self.session = s;
        if let (Some(reg), Some(p)) = (self.reg.as_mut(), &self.session.pilot)
            && matches!(reg.pilot(&p.id), Ok(None))
        {
            // A configured pilot (the demo's) the registry does not hold: R242-9 wants the name.
            let rec = PilotRecord {
                pilot_id: p.id.clone(),
                name: p.name.clone(),
                administrative_id: p.id.clone(),
                certificate_number: p.certificate_number.clone(),
                certificate_kind: "télépilote".into(),
                certificate_issued_on: p.certificate_expires - chrono::Days::new(365 * 5),
                certificate_expires_on: p.certificate_expires,
                pin_hash: None,
                airframes: p.airframes.clone(),
                logbook_last_flight_on: None,
            };
            if let Err(e) = reg.add_pilot(&rec) {
                self.say(RegisterFeedback::Note(format!("pilot not recorded: {e}")));
            }
        }
        if same_auth && same_pilot && same_area && self.deployment.is_some() {
            return;
        }
        self.end_deployment();
        self.open_deployment();
    }

    fn open_deployment(&mut self) {
        let now = Utc::now();
        let Some(reg) = self.reg.as_mut() else { return };
        if self.session.pilot.is_none() {
            return;
        }
        let mut notes = Vec::new();
        let id = format!("dep-{}", now.format("%Y%m%dT%H%M%S%.3fZ"));
        // A deployment has an end (no permanent use, L242-4): the working day, within the arrêté.
        let day_end = now + chrono::Duration::hours(12);
        let area = self.session.operation_area.clone().unwrap_or_default();
        let dep = match (&self.session.authorisation, &self.session.legal_basis) {
            (Some(a), _) => {
                if let Err(e) = reg.add_authorisation(&authorisation_record(a)) {
                    notes.push(format!("authorisation not recorded: {e}"));
                }
                DeploymentRecord {
                    deployment_id: id.clone(),
                    arrete_number: a.arrete.clone(),
                    finalite: a.finalite.clone(),
                    place: a.commune.clone().unwrap_or_default(),
                    planned_start: now,
                    planned_end: day_end.min(a.valid_until),
                }
            }
            // Without an arrêté: a training flight (plain aviation), or a basis that needs none
            // (natural-risk prevention), in its operating area.
            (None, None) if self.session.training => DeploymentRecord {
                deployment_id: id.clone(),
                arrete_number: String::new(),
                finalite: "formation".into(),
                place: area,
                planned_start: now,
                planned_end: day_end,
            },
            (None, Some(b)) if !b.basis.requires_authorisation => DeploymentRecord {
                deployment_id: id.clone(),
                arrete_number: String::new(),
                finalite: b.purpose.clone(),
                place: area,
                planned_start: now,
                planned_end: day_end,
            },
            _ => return,
        };
        let res = reg.start_deployment(&dep);
        for n in notes {
            self.say(RegisterFeedback::Note(n));
        }
        match res {
            Ok(_) => self.deployment = Some(id),
            Err(e) => self.fault(format!(
                "deployment not opened ({e}): flights are NOT being recorded"
            )),
        }
    }

    fn end_deployment(&mut self) {
        let Some(dep) = self.deployment.take() else {
            return;
        };
        if let Some(reg) = self.reg.as_mut()
            && let Err(e) = reg.end_deployment(&DeploymentEnd {
                deployment_id: dep,
                ended_at: Utc::now(),
            })
        {
            self.fault(format!("deployment not closed: {e}"));
        }
    }

    fn flight_started(
        &mut self,
        vehicle: VehicleId,
        at: DateTime<Utc>,
        takeoff: Option<(f64, f64)>,
    ) {
        let not_opened =
            |t: &Self, why: String| t.say(RegisterFeedback::FlightNotOpened { vehicle, why });
        let Some(dep) = self.deployment.clone() else {
            not_opened(
                self,
                "no deployment is open (log in and pick an authorisation, or an operating area under a basis that needs none)".into(),
            );
            return;
        };
        let Some(reg) = self.reg.as_mut() else { return };
        let flight_id = match reg.new_flight_id(at, &format!("drone-{}", vehicle.0)) {
            Ok(id) => id,
            Err(e) => {
                not_opened(self, format!("no flight id: {e}"));
                return;
            }
        };
        let s = &self.session;
        let start = FlightStart {
            flight_id: flight_id.clone(),
            deployment_id: dep,
            arrete_number: s
                .authorisation
                .as_ref()
                .map_or_else(|| "aucun".into(), |a| a.arrete.clone()),
            // Without an arrêté: the basis' purpose (a forest patrol's), else training.
            finalite: s.authorisation.as_ref().map_or_else(
                || {
                    s.legal_basis
                        .as_ref()
                        .map_or_else(|| "formation".into(), |b| b.purpose.clone())
                },
                |a| a.finalite.clone(),
            ),
            pilot_id: s
                .pilot
                .as_ref()
                .map_or_else(|| "inconnu".into(), |p| p.id.clone()),
            aircraft_registration: self.config.aircraft.clone(),
            started_at: at,
            takeoff_lat_deg: takeoff.map(|t| t.0),
            takeoff_lon_deg: takeoff.map(|t| t.1),
            place: s.authorisation.as_ref().map_or_else(
                || s.operation_area.clone().unwrap_or_default(),
                |a| a.commune.clone().unwrap_or_default(),
            ),
            anonymised_copy: false,
            vehicle: Some(vehicle.0),
            operator_registration: self.config.operator_registration.clone(),
        };
        let res = match &s.legal_basis {
            Some(b) => reg.start_flight_with_basis(&start, &legal_basis_record(b)),
            None => reg.start_flight(&start),
        };
        if let Err(e) = res {
            not_opened(self, format!("flight {flight_id} not opened: {e}"));
            return;
        }
        let (dir, dir_fault) = match reg.create_recordings_dir(&flight_id) {
            Ok(d) => (d, None),
            Err(e) => (
                reg.recordings_dir(&flight_id),
                Some(format!("recordings directory not created: {e}")),
            ),
        };
        if let Some(f) = dir_fault {
            self.fault(f);
        }
        let recorder = match FlightRecorder::create(&dir.join("flight.rrd"), &flight_id) {
            Ok(r) => Some(r),
            Err(e) => {
                self.fault(format!("flight recording (.rrd) unavailable: {e}"));
                None
            }
        };
        self.open_by_vehicle.insert(vehicle, flight_id.clone());
        self.flights.insert(
            flight_id.clone(),
            Flight {
                id: flight_id.clone(),
                recorder,
            },
        );
        self.say(RegisterFeedback::FlightOpened {
            vehicle,
            flight_id,
            dir,
        });
    }

    fn purge(&mut self) {
        self.last_purge = std::time::Instant::now();
        let Some(reg) = self.reg.as_mut() else { return };
        let res = reg.purge_by(
            Utc::now(),
            &Actor::system(),
            vigie_register::AUTOMATIC_PURGE,
        );
        match res {
            Ok(r) => self.say(RegisterFeedback::Note(format!(
                "register purge: {} entries erased, {} files deleted, {} flights under legal hold",
                r.erased_entries.len(),
                r.deleted_files.len(),
                r.held_flights.len()
            ))),
            Err(e) => self.fault(format!("register purge failed: {e}")),
        }
    }

    fn witness(&mut self) {
        let Some(reg) = self.reg.as_mut() else { return };
        match reg.witness_if_due(Utc::now()) {
            Ok(Some(r)) if !r.failed.is_empty() => {
                let failed: Vec<String> = r
                    .failed
                    .iter()
                    .map(|(w, why)| format!("{w}: {why}"))
                    .collect();
                self.fault(format!("chain head not witnessed: {}", failed.join("; ")));
            }
            Ok(_) => {}
            Err(e) => self.fault(format!("chain head not witnessed: {e}")),
        }
    }

    /// Say what a previous run left open, so the station waits for those vehicles.
    fn report_open_flights(&mut self) {
        let Some(reg) = self.reg.as_mut() else { return };
        let open = match reg.open_flights() {
            Ok(o) => o,
            Err(e) => {
                self.fault(format!("open flights not read: {e}"));
                self.say(RegisterFeedback::OpenFlights(Vec::new()));
                return;
            }
        };
        let mut found = Vec::new();
        for o in open {
            let Some(sysid) = o.start.vehicle else {
                self.say(RegisterFeedback::Note(format!(
                    "flight {} was left open by an older station (no vehicle recorded): verify and close it by hand",
                    o.start.flight_id
                )));
                continue;
            };
            self.say(RegisterFeedback::Note(format!(
                "flight {} of drone {sysid} was left open by a station {} at {}: it is taken up again if the drone is still armed, closed otherwise",
                o.start.flight_id,
                if o.interrupted.is_some() { "stopped" } else { "killed or crashed" },
                o.last_entry_at.format("%H:%M:%S UTC")
            )));
            found.push(crate::state::OrphanFlight {
                flight_id: o.start.flight_id.clone(),
                vehicle: VehicleId(sysid),
                started_at: o.start.started_at,
                last_entry_at: o.last_entry_at,
                interrupted: o.interrupted.is_some(),
                fence: o.last_fence.and_then(|v| serde_json::from_value(v).ok()),
                mission: o.last_mission.and_then(|v| serde_json::from_value(v).ok()),
            });
        }
        // Sent even when empty: the station waits for it before opening any flight, so a
        // vehicle heard armed is never given a second flight beside the one left open.
        self.say(RegisterFeedback::OpenFlights(found));
    }

    fn resume(
        &mut self,
        vehicle: VehicleId,
        flight_id: String,
        gap_s: f64,
        after_clean_stop: bool,
    ) {
        let Some(reg) = self.reg.as_mut() else { return };
        let res = reg.resume_flight(&vigie_register::FlightResumption {
            flight_id: flight_id.clone(),
            at: Utc::now(),
            gap_s,
            after_clean_stop,
        });
        if let Err(e) = res {
            self.say(RegisterFeedback::FlightNotOpened {
                vehicle,
                why: format!("flight {flight_id} not taken up again: {e}"),
            });
            return;
        }
        let dir = reg.recordings_dir(&flight_id);
        // The first part of the recording stays as it was left; the flight goes on in a new one.
        let n = (1..100)
            .find(|n| !dir.join(format!("flight-{n}.rrd")).exists())
            .unwrap_or(99);
        let recorder =
            match FlightRecorder::create(&dir.join(format!("flight-{n}.rrd")), &flight_id) {
                Ok(r) => Some(r),
                Err(e) => {
                    self.fault(format!("flight recording (.rrd) unavailable: {e}"));
                    None
                }
            };
        self.open_by_vehicle.insert(vehicle, flight_id.clone());
        self.flights.insert(
            flight_id.clone(),
            Flight {
                id: flight_id.clone(),
                recorder,
            },
        );
        self.say(RegisterFeedback::FlightOpened {
            vehicle,
            flight_id,
            dir,
        });
    }

    fn interrupt(&mut self, f: Flight, mut i: vigie_register::FlightInterruption) {
        i.flight_id = f.id.clone();
        // The .rrd part is finished (it stays readable); the tlog was closed by the hub.
        if let Some(r) = f.recorder
            && let Err(e) = r.finish()
        {
            self.fault(format!("flight recording not closed: {e}"));
        }
        let Some(reg) = self.reg.as_mut() else { return };
        if let Err(e) = reg.interrupt_flight(&i) {
            self.fault(format!("flight {} not marked interrupted: {e}", f.id));
        }
    }

    fn seal(
        &mut self,
        f: Flight,
        at: DateTime<Utc>,
        tlog: Option<&Path>,
        ending: Option<vigie_register::FlightEnding>,
    ) {
        let summary = f.recorder.map(|r| r.finish());
        let (track, max_alt, rrd) = match summary {
            Some(Ok(s)) => (s.track, s.max_alt_agl_m, Some(s.file)),
            Some(Err(e)) => {
                self.fault(format!("flight recording not closed: {e}"));
                (Default::default(), 0.0, None)
            }
            None => (Default::default(), 0.0, None),
        };
        let tlog = tlog.and_then(|p| match vigie_register::file_ref(p) {
            Ok(r) => Some(r),
            Err(e) => {
                self.fault(format!("tlog of flight {} not hashed: {e}", f.id));
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
            ending,
        };
        let Some(reg) = self.reg.as_mut() else { return };
        if let Err(e) = reg.seal_flight(&seal) {
            self.fault(format!("flight {} not sealed: {e}", f.id));
            return;
        }
        // The chief's report, reproducible from the register (it states the seal it covers).
        let report = reg
            .flight_report(&f.id, &Actor::system(), "compte rendu automatique")
            .map_err(|e| e.to_string())
            .and_then(|r| {
                let dir = reg.recordings_dir(&f.id);
                let html = dir.join("rapport.html");
                vigie_register::write_private_file(&html, r.html.as_bytes())
                    .and_then(|_| {
                        vigie_register::write_private_file(&dir.join("rapport.pdf"), &r.pdf)
                    })
                    .map(|_| html)
                    .map_err(|e| e.to_string())
            });
        let report = match report {
            Ok(p) => Some(p),
            Err(e) => {
                self.fault(format!("flight report of {} not written: {e}", f.id));
                None
            }
        };
        self.say(RegisterFeedback::FlightSealed {
            flight_id: f.id,
            report,
        });
    }
}

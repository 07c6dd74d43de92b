//! The pure core of the station: no tokio, no clock reads (`now` is an argument), no I/O.
//! Every input returns the [`Effect`]s the actor must carry out (link work, replies, register
//! records); results come back in as inputs. Tested without a runtime
//! (`tests/integration/core.rs`).

mod session;
mod vehicle;

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use flight_rules::{Action, Decision, RuleSet, Severity, Situation, Verdict};
use vigie_link::telemetry::TelemetryChange;
use vigie_link::{CommandResult, LinkEventKind, VehicleTelemetry};

pub use session::{OperationArea, SessionState};
pub use vehicle::{Lane, OpId, Procedure, RequestId, VehicleState};

use crate::event::{
    Alarm, AlarmId, AlarmKind, AlarmRef, AlarmSeverity, EventKind, EventLevel, IncidentMilestone,
    StationEvent,
};
use crate::interlock::{self, PlanContext, StepRole, VehicleWork};
use crate::protocol::{
    Done, Failure, Outcome, Secret, SessionRequest, StationCommand, VehicleId, VehicleRequest,
};
use crate::register_thread::{RegisterFeedback, SessionRecord};
use crate::snapshot::{
    AuthorisationSummary, FlightPhase, IncidentView, ON_SCENE_M, SessionView, StationSnapshot,
};
use crate::translate;

/// Events kept for the snapshot (the register keeps them all).
const EVENTS_KEPT: usize = 200;
/// Incidents kept in the snapshot (the register keeps every one).
const INCIDENTS_KEPT: usize = 50;
/// The tick re-judges a vehicle not judged for this long (staleness and windows move with time).
const JUDGE_EVERY_MS: i64 = 200;
/// Track samples for the register's .rrd.
const SAMPLE_EVERY_MS: i64 = 500;

/// What the actor must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Answer a caller.
    Reply {
        request: RequestId,
        outcome: Outcome,
    },
    /// Run link work on a vehicle; the result comes back with [`StationState::on_op_result`].
    Vehicle {
        op: OpId,
        vehicle: VehicleId,
        work: VehicleWork,
    },
    /// Log it, show it, and record it in the register (with its rule IDs).
    Event(StationEvent),
    /// Open a flight in the register (it names it, station-scoped); start the vehicle's tlog
    /// in the directory it answers with.
    OpenFlight {
        vehicle: VehicleId,
        at: DateTime<Utc>,
        takeoff: Option<(f64, f64)>,
    },
    /// Close the vehicle's tlog, then seal the flight with it.
    CloseFlight {
        vehicle: VehicleId,
        flight_id: String,
        at: DateTime<Utc>,
    },
    /// A track sample for the flight's .rrd.
    Sample {
        flight_id: String,
        sample: Box<vigie_register::TelemetrySample>,
    },
    /// Check a PIN in the register; the answer comes back with [`StationState::on_register`].
    Login {
        token: u64,
        pilot_id: String,
        pin: Secret,
    },
    /// Who flies under what changed: the register's deployments follow.
    SessionChanged(Box<SessionRecord>),
    /// Flag the vehicle's video segment being recorded (or the next) `domicile`; the recorder's
    /// answer goes to [`StationState::on_domicile`].
    FlagDomicile {
        vehicle: VehicleId,
        by: String,
        request: RequestId,
    },
    /// Take an open flight up again (the vehicle reappeared armed): the register records the
    /// gap and answers with the flight's directory, where the tlog goes on.
    ResumeFlight {
        vehicle: VehicleId,
        flight_id: String,
        gap_s: f64,
        after_clean_stop: bool,
    },
    /// Close an open flight whose vehicle landed while the station was away.
    CloseFlightAway {
        vehicle: VehicleId,
        flight_id: String,
        at: DateTime<Utc>,
        report: String,
    },
    /// The station stops with this flight open: close the vehicle's tlog, record it interrupted.
    InterruptFlight {
        vehicle: VehicleId,
        flight_id: String,
        at: DateTime<Utc>,
        reason: &'static str,
        airborne: bool,
        failsafe: Option<String>,
    },
}

/// Why an op was started.
#[derive(Debug, Clone, Copy, PartialEq)]
enum OpPurpose {
    Procedure(VehicleId, u64),
    FailsafeParam(VehicleId, &'static str),
    ReadBack(VehicleId, vigie_link::MissionType),
}

/// A flight a previous run of the station left open, waiting for its vehicle.
#[derive(Debug, Clone, PartialEq)]
pub struct OrphanFlight {
    pub flight_id: String,
    pub vehicle: VehicleId,
    pub started_at: DateTime<Utc>,
    pub last_entry_at: DateTime<Utc>,
    pub interrupted: bool,
    /// What the record says was last uploaded to the vehicle.
    pub fence: Option<Vec<vigie_link::MissionItem>>,
    pub mission: Option<Vec<vigie_link::MissionItem>>,
}

/// Who was in the air when the station stopped, and what each will do without it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShutdownReport {
    pub airborne: Vec<(VehicleId, Option<String>)>,
    pub interrupted_flights: Vec<String>,
}

/// How a procedure ends.
enum End {
    Done,
    /// A step was refused by the interlock when its turn came.
    Refused,
    Failed(Failure),
}

/// How link work ended.
#[derive(Debug, Clone, PartialEq)]
pub enum OpResult {
    /// A command acknowledged (or not: NoAck after every retry).
    Acked(CommandResult),
    /// An upload read back identical, a parameter set and echoed.
    Completed,
    ParamValue(f64),
    Downloaded(Vec<vigie_link::MissionItem>),
    Failed(Failure),
}

/// What a ground feed brought.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedInput {
    /// A launch-site anemometer reading (3-s gust, mean) or a METAR's wind.
    Wind(flight_rules::WindReading),
    /// An incident posted over HTTP by the CSU or an alert network.
    Incident(vigie_feeds::Incident),
    /// A METAR report as received (recorded with its raw text).
    Metar {
        reading: flight_rules::WindReading,
        raw: String,
    },
    /// The whole manned-traffic picture from the SBS-1 feed.
    Traffic(Vec<flight_rules::Traffic>),
    Up {
        feed: &'static str,
        detail: String,
    },
    Fault {
        feed: &'static str,
        reason: String,
    },
}

/// Monitor findings that become alarms in flight.
const ALARMED: &[&str] = &[
    flight_rules::rule_id::BREACH_PREDICTED,
    flight_rules::rule_id::WIND_INFLIGHT,
    flight_rules::rule_id::AUTH_WINDOW,
    flight_rules::rule_id::AUTH_REVOKED,
    flight_rules::rule_id::AUTH_PERIMETER,
    flight_rules::rule_id::ZONE_PROHIBITED,
    flight_rules::rule_id::ZONE_AUTH_REQUIRED,
    flight_rules::rule_id::CEILING,
    flight_rules::rule_id::POSITION_UNKNOWN,
    flight_rules::rule_id::BATTERY_RETURN,
    flight_rules::rule_id::GPS_DEGRADED,
    flight_rules::rule_id::TRAFFIC_NEARBY,
];

fn kind_key(k: vigie_link::MissionType) -> u8 {
    match k {
        vigie_link::MissionType::Mission => 0,
        vigie_link::MissionType::Fence => 1,
        vigie_link::MissionType::Rally => 2,
    }
}

/// Off the ground: the autopilot says so, or (without EXTENDED_SYS_STATE) it climbed.
fn airborne_now(t: &vigie_link::VehicleTelemetry) -> bool {
    match t.landed_state {
        Some(
            vigie_link::LandedState::InAir
            | vigie_link::LandedState::Takeoff
            | vigie_link::LandedState::Landing,
        ) => true,
        Some(vigie_link::LandedState::OnGround) => false,
        _ => t.position.is_some_and(|p| p.alt_rel_m > 2.0),
    }
}

/// Predicted breaches sooner than this are recorded (each new low of the flight).
const BREACH_RECORD_UNDER_S: f64 = 60.0;

/// Automatic RTL is sent at most this often per vehicle (it is not repeated while it flies home).
const AUTO_RTL_EVERY_S: i64 = 10;

/// What the core needs to start.
#[derive(Debug, Clone)]
pub struct CoreConfig {
    pub rules: Arc<RuleSet>,
    pub session: SessionState,
    /// Airframe type of the vehicles (matched against the pilot's qualifications).
    pub airframe: String,
    /// Terrain elevation at the take-off point when known (AMSL limits are judged with it).
    pub ground_amsl_m: Option<f64>,
    /// The area's elevation model, when loaded (missions judged over the real ground).
    pub terrain: Option<Arc<vigie_patrol::ElevationGrid>>,
    /// Flights are recorded (a register thread runs).
    pub recording: bool,
    pub policy: crate::config::FlightPolicy,
}

pub struct StationState {
    rules: Arc<RuleSet>,
    airframe: String,
    ground_amsl_m: Option<f64>,
    terrain: Option<Arc<vigie_patrol::ElevationGrid>>,
    recording: bool,
    policy: crate::config::FlightPolicy,
    pub session: SessionState,
    pub vehicles: BTreeMap<VehicleId, VehicleState>,
    /// Op → (vehicle, procedure key).
    ops: BTreeMap<OpId, OpPurpose>,
    /// Flights left open by a previous run, by vehicle.
    orphans: BTreeMap<VehicleId, OrphanFlight>,
    /// The register said which flights were left open (flights open only after that).
    orphans_known: bool,
    next_op: u64,
    next_proc: u64,
    next_alarm: u64,
    events: VecDeque<StationEvent>,
    alarms: Vec<Alarm>,
    /// Hot spots of the patrol (thermal detections and the pilot's marks, merged).
    hotspots: vigie_patrol::HotspotLog,
    incidents: Vec<IncidentView>,
    /// Logins waiting for the register: token → (request, pilot).
    pending_logins: BTreeMap<u64, (RequestId, String)>,
    next_token: u64,
    /// Which vehicle flew each open flight.
    flight_vehicles: BTreeMap<String, VehicleId>,
    /// What a reattached vehicle's fence and mission should read back as.
    expected_digests: BTreeMap<(VehicleId, u8), Option<Vec<vigie_link::MissionItem>>>,
    /// The latest `now` an input brought (the snapshot says what is valid "now" with it).
    last_now: Option<DateTime<Utc>>,
    dirty: bool,
    version: u64,
}

impl StationState {
    pub fn new(c: CoreConfig) -> Self {
        Self {
            rules: c.rules,
            airframe: c.airframe,
            ground_amsl_m: c.ground_amsl_m,
            terrain: c.terrain,
            recording: c.recording,
            policy: c.policy,
            session: c.session,
            vehicles: BTreeMap::new(),
            ops: BTreeMap::new(),
            orphans: BTreeMap::new(),
            orphans_known: !c.recording,
            next_op: 1,
            next_proc: 1,
            next_alarm: 1,
            events: VecDeque::new(),
            alarms: Vec::new(),
            hotspots: vigie_patrol::HotspotLog::new(vigie_patrol::MergePolicy::default()),
            incidents: Vec::new(),
            pending_logins: BTreeMap::new(),
            next_token: 1,
            last_now: None,
            flight_vehicles: BTreeMap::new(),
            expected_digests: BTreeMap::new(),
            dirty: true,
            version: 0,
        }
    }

    /// The session as the register records it.
    pub fn session_record(&self) -> SessionRecord {
        SessionRecord {
            pilot: self.session.pilot.clone(),
            authorisation: self.session.authorisation.clone(),
            legal_basis: self.session.legal_basis.clone(),
            training: self.session.training,
            operation_area: self.session.operation_area.as_ref().map(|a| a.name.clone()),
        }
    }

    fn any_armed(&self) -> bool {
        self.vehicles.values().any(|v| v.telemetry.armed)
    }

    pub fn rules(&self) -> &Arc<RuleSet> {
        &self.rules
    }

    /// Ground elevation at home: configured, else read from the terrain model at the vehicle's home.
    fn home_amsl_m(&self, v: Option<&VehicleState>) -> Option<f64> {
        self.ground_amsl_m.or_else(|| {
            let h = v?.telemetry.home?;
            self.terrain
                .as_deref()?
                .elevation_m(flight_rules::LatLon::new(h.lat_deg, h.lon_deg))
        })
    }

    /// Everything the rules know about one vehicle's flight now.
    pub fn situation(&self, id: VehicleId, now: DateTime<Utc>) -> Situation {
        let v = self.vehicles.get(&id);
        let mut wind = self.session.ground_wind();
        if let Some(w) = v.and_then(|v| translate::vehicle_wind(&v.telemetry)) {
            wind.push(w);
        }
        Situation {
            pilot: self.session.pilot.clone(),
            training: self.session.training,
            authorisation: self.session.authorisation.clone(),
            vehicle: v
                .map(|v| translate::vehicle_snapshot(&v.telemetry, &self.airframe, v.fence, now)),
            wind,
            wind_last_exceeded_at: v.and_then(|v| v.wind_exceeded_at),
            mission: v.and_then(|v| v.mission.mission.clone()),
            takeoff_point: None,
            ground_amsl_m: self.home_amsl_m(v),
            ground_below_vehicle_amsl_m: self.terrain.as_deref().zip(v).and_then(|(g, v)| {
                let p = v.telemetry.position?;
                g.elevation_m(flight_rules::LatLon::new(p.lat_deg, p.lon_deg))
            }),
            ground_below_vehicle_accuracy_m: self.terrain.as_deref().map(|g| g.vertical_accuracy_m),
            geoid_undulation_m: None,
            checklist_ticks: self.session.checklist_ticks.clone(),
            cameras_in_use: None,
            // Manned traffic heard by the ground feed and by the vehicle's own ADS-B receiver.
            traffic: self
                .session
                .traffic
                .iter()
                .chain(v.into_iter().flat_map(|v| v.telemetry.traffic.iter()))
                .cloned()
                .collect(),
            legal_basis: self.session.legal_basis.clone(),
            operator_registration: self.session.operator_registration.clone(),
        }
    }

    // ---------------------------------------------------------------- commands

    pub fn on_command(
        &mut self,
        now: DateTime<Utc>,
        request: RequestId,
        cmd: StationCommand,
    ) -> Vec<Effect> {
        self.dirty = true;
        match cmd {
            StationCommand::Session(s) => self.on_session(now, request, s),
            StationCommand::Vehicle {
                vehicle,
                request: r,
            } => self.on_vehicle_request(now, Some(request), vehicle, r),
        }
    }

    fn on_session(
        &mut self,
        now: DateTime<Utc>,
        request: RequestId,
        s: SessionRequest,
    ) -> Vec<Effect> {
        let ok = |done| Effect::Reply {
            request,
            outcome: Outcome::Done {
                decision: Decision::from_findings(vec![]),
                done,
            },
        };
        match s {
            SessionRequest::TickChecklist(id) => {
                let was_complete = self.checklist_complete();
                self.session.checklist_ticks.insert(id);
                let mut out = self.rejudge_all(now);
                if !was_complete && self.checklist_complete() {
                    self.push_event(
                        &mut out,
                        now,
                        EventLevel::Info,
                        None,
                        EventKind::ChecklistCompleted,
                    );
                }
                out.push(ok(Done::ChecklistChanged {
                    ticked: self.session.checklist_ticks.clone(),
                }));
                out
            }
            SessionRequest::UntickChecklist(id) => {
                self.session.checklist_ticks.remove(&id);
                let mut out = self.rejudge_all(now);
                out.push(ok(Done::ChecklistChanged {
                    ticked: self.session.checklist_ticks.clone(),
                }));
                out
            }
            SessionRequest::AddWind(w) => {
                self.session.add_wind(w);
                let mut out = self.rejudge_all(now);
                out.push(ok(Done::WindRecorded));
                out
            }
            SessionRequest::Login { pilot_id, pin } => {
                // A restarted station logs its pilot in while the vehicle flies; replacing the
                // pilot of a flight in the air is refused.
                if self.any_armed() && self.session.pilot.is_some() {
                    return vec![Effect::Reply {
                        request,
                        outcome: Outcome::failed(Failure::InFlight("login")),
                    }];
                }
                let token = self.next_token;
                self.next_token += 1;
                self.pending_logins
                    .insert(token, (request, pilot_id.clone()));
                vec![Effect::Login {
                    token,
                    pilot_id,
                    pin,
                }]
            }
            SessionRequest::Logout => {
                if self.any_armed() {
                    return vec![Effect::Reply {
                        request,
                        outcome: Outcome::failed(Failure::InFlight("logout")),
                    }];
                }
                let mut out = Vec::new();
                if let Some(p) = self.session.pilot.take() {
                    self.push_event(
                        &mut out,
                        now,
                        EventLevel::Info,
                        None,
                        EventKind::LoggedOut { pilot_id: p.id },
                    );
                }
                self.session.logged_in = false;
                out.push(Effect::SessionChanged(Box::new(self.session_record())));
                out.extend(self.rejudge_all(now));
                out.push(ok(Done::LoggedOut));
                out
            }
            SessionRequest::OfferAuthorisation(a) => {
                let arrete = a.arrete.clone();
                self.session.authorisations.insert(arrete.clone(), *a);
                vec![ok(Done::AuthorisationOffered { arrete })]
            }
            SessionRequest::ImportAuthorisation { path } => {
                // Files are read by the actor, which offers the result; reaching the core with
                // a path means there was nobody to read it.
                vec![Effect::Reply {
                    request,
                    outcome: Outcome::failed(Failure::BadAuthorisation(format!(
                        "{}: authorisation files are read by the station's actor",
                        path.display()
                    ))),
                }]
            }
            SessionRequest::SelectAuthorisation { arrete } => {
                let other = self
                    .session
                    .authorisation
                    .as_ref()
                    .is_some_and(|a| a.arrete != arrete);
                if self.any_armed() && other {
                    return vec![Effect::Reply {
                        request,
                        outcome: Outcome::failed(Failure::InFlight("changing the authorisation")),
                    }];
                }
                let Some(a) = self.session.authorisations.get(&arrete).cloned() else {
                    return vec![Effect::Reply {
                        request,
                        outcome: Outcome::failed(Failure::UnknownAuthorisation(arrete)),
                    }];
                };
                // With a catalogue of bases, the basis follows the arrêté's finalité; without
                // one, the configured basis stays as it is.
                if self.session.legal_bases.is_some() {
                    self.session.legal_basis = self.session.legal_basis_for(&a);
                }
                self.session.authorisation = Some(a);
                let mut out = Vec::new();
                self.push_event(
                    &mut out,
                    now,
                    EventLevel::Info,
                    None,
                    EventKind::AuthorisationSelected {
                        arrete: arrete.clone(),
                    },
                );
                out.push(Effect::SessionChanged(Box::new(self.session_record())));
                out.extend(self.rejudge_all(now));
                out.push(ok(Done::AuthorisationSelected { arrete }));
                out
            }
            SessionRequest::ObserveHotspot {
                vehicle,
                observation,
            } => {
                let source = observation.source;
                let Some(id) = self.hotspots.observe(*observation) else {
                    return vec![Effect::Reply {
                        request,
                        outcome: Outcome::failed(Failure::BadHotspot),
                    }];
                };
                let mut out = Vec::new();
                // The first sighting, then each doubling of the count: a hot spot the camera
                // watches for ten minutes is a dozen events, not thousands (the snapshot and the
                // patrol report keep every refinement).
                if let Some(h) = self
                    .hotspots
                    .get(&id)
                    .filter(|h| h.observations.is_power_of_two())
                {
                    let kind = EventKind::HotspotObserved {
                        id: id.clone(),
                        pos: (h.pos.lat_deg, h.pos.lon_deg),
                        error_m: h.error_m,
                        source,
                        observations: h.observations,
                    };
                    self.push_event(&mut out, now, EventLevel::Info, vehicle, kind);
                }
                out.push(ok(Done::HotspotObserved { id }));
                out
            }
            SessionRequest::SetOperationArea(area) => {
                self.session.operation_area = area;
                self.dirty = true;
                vec![
                    Effect::SessionChanged(Box::new(self.session_record())),
                    ok(Done::OperationAreaSet),
                ]
            }
            // The recorder answers (`on_domicile`): only a flag that reached a segment is said.
            SessionRequest::FlagDomicile { vehicle, by } => vec![Effect::FlagDomicile {
                vehicle,
                by,
                request,
            }],
            SessionRequest::AnnotateHotspot { id, note } => {
                if !self.hotspots.annotate(&id, &note) {
                    return vec![Effect::Reply {
                        request,
                        outcome: Outcome::failed(Failure::UnknownHotspot(id)),
                    }];
                }
                self.dirty = true;
                vec![ok(Done::HotspotAnnotated { id })]
            }
            SessionRequest::AcknowledgeAlarm { alarm, by } => {
                let Some(a) = self.alarms.iter_mut().find(|a| a.id == alarm) else {
                    return vec![Effect::Reply {
                        request,
                        outcome: Outcome::failed(Failure::UnknownAlarm),
                    }];
                };
                a.acknowledged_by = Some(by.clone());
                let vehicle = a.vehicle;
                self.alarms.retain(Alarm::is_active);
                let mut out = Vec::new();
                self.push_event(
                    &mut out,
                    now,
                    EventLevel::Info,
                    vehicle,
                    EventKind::AlarmAcknowledged { alarm, by },
                );
                out.push(ok(Done::AlarmAcknowledged));
                out
            }
        }
    }

    /// `request` is None for the station's own actions (automatic RTL).
    pub fn on_vehicle_request(
        &mut self,
        now: DateTime<Utc>,
        request: Option<RequestId>,
        id: VehicleId,
        r: VehicleRequest,
    ) -> Vec<Effect> {
        let mut out = Vec::new();
        let reply = |out: &mut Vec<Effect>, outcome: Outcome| {
            if let Some(request) = request {
                out.push(Effect::Reply { request, outcome });
            }
        };
        let Some(v) = self.vehicles.get(&id) else {
            reply(&mut out, Outcome::failed(Failure::VehicleUnknown(id)));
            return out;
        };
        let t = &v.telemetry;
        let cx = PlanContext {
            rules: &self.rules,
            authorisation: self.session.authorisation.as_ref(),
            operation_area: self.session.operation_area.as_ref(),
            position: t
                .position
                .map(|p| flight_rules::LatLon::new(p.lat_deg, p.lon_deg)),
            home: t
                .home
                .map(|h| flight_rules::LatLon::new(h.lat_deg, h.lon_deg)),
            airborne: t.airborne(),
            terrain: self.terrain.as_deref(),
            home_amsl_m: self.home_amsl_m(Some(v)),
            now,
        };
        let steps = match interlock::plan(&r, &cx) {
            Ok(s) => s,
            Err(failure) => {
                self.push_event(
                    &mut out,
                    now,
                    EventLevel::Warning,
                    Some(id),
                    EventKind::RequestFailed {
                        request: r.name(),
                        failure: failure.clone(),
                    },
                );
                reply(&mut out, Outcome::failed(failure));
                return out;
            }
        };
        let situation = self.situation(id, now);
        let decision = interlock::judge_all(
            &self.rules,
            self.terrain.as_deref(),
            &situation,
            &steps,
            now,
        );
        let lane = if r.is_safety() {
            Lane::Safety
        } else if r.is_configuration() {
            Lane::Configuration
        } else {
            Lane::Motion
        };
        // The interlock: a refused request sends nothing. Safety requests are never refused
        // (`judge_step` downgrades their findings), so this branch cannot catch them.
        if decision.verdict == Verdict::Deny && lane != Lane::Safety {
            self.push_event(
                &mut out,
                now,
                EventLevel::Warning,
                Some(id),
                EventKind::Refused {
                    request: r.name(),
                    decision: decision.clone(),
                },
            );
            reply(&mut out, Outcome::Refused(decision));
            return out;
        }
        // Lanes: safety stops motion; the newest motion request wins; uploads one at a time.
        let superseded: Vec<(u64, Failure)> = {
            let Some(v) = self.vehicles.get(&id) else {
                return out;
            };
            match lane {
                Lane::Safety => v
                    .procedures
                    .iter()
                    .filter(|(_, p)| p.lane == Lane::Motion)
                    .map(|(k, _)| (*k, Failure::Preempted(r.name())))
                    .collect(),
                Lane::Motion => v
                    .procedures
                    .iter()
                    .filter(|(_, p)| p.lane == Lane::Motion)
                    .map(|(k, _)| (*k, Failure::Superseded(r.name())))
                    .collect(),
                Lane::Configuration => {
                    if v.lane_busy(Lane::Configuration).is_some() {
                        reply(&mut out, Outcome::failed(Failure::Busy));
                        return out;
                    }
                    vec![]
                }
            }
        };
        for (k, failure) in superseded {
            self.end_procedure(&mut out, now, id, k, End::Failed(failure));
        }
        let key = self.next_proc;
        self.next_proc += 1;
        let proc = Procedure {
            request,
            name: r.name(),
            mode: match &r {
                VehicleRequest::SetMode(m) => Some(*m),
                _ => None,
            },
            lane,
            steps: steps.into(),
            decision,
            current: None,
            fence_items: 0,
            fence_enabled: false,
            mission_items: 0,
            uploaded: Vec::new(),
        };
        if let Some(v) = self.vehicles.get_mut(&id) {
            v.procedures.insert(key, proc);
        }
        self.next_step(&mut out, now, id, key);
        out
    }

    /// Start the procedure's next step (judged again as things stand now), or finish it.
    fn next_step(&mut self, out: &mut Vec<Effect>, now: DateTime<Utc>, id: VehicleId, key: u64) {
        let situation = self.situation(id, now);
        let Some(p) = self
            .vehicles
            .get_mut(&id)
            .and_then(|v| v.procedures.get_mut(&key))
        else {
            return;
        };
        let Some(step) = p.steps.pop_front() else {
            self.end_procedure(out, now, id, key, End::Done);
            return;
        };
        let mut sit = situation;
        if let StepRole::MissionItems(m) = &step.role {
            sit.mission = Some(m.clone());
        }
        let d = interlock::judge_step(&self.rules, self.terrain.as_deref(), &sit, &step, now);
        if d.verdict == Verdict::Deny {
            // Things changed since the request was judged (the wind rose between arming and
            // take-off): stop here, nothing more is sent.
            p.decision = d.clone();
            let name = p.name;
            self.push_event(
                out,
                now,
                EventLevel::Warning,
                Some(id),
                EventKind::Refused {
                    request: name,
                    decision: d,
                },
            );
            self.end_procedure(out, now, id, key, End::Refused);
            return;
        }
        let op = OpId(self.next_op);
        self.next_op += 1;
        let work = step.work.clone();
        if let Some(v) = self.vehicles.get_mut(&id) {
            if step.role == StepRole::FenceItems {
                // The fence on board is in an unknown state until read back.
                v.fence = crate::snapshot::FenceStatus::default();
            }
            if let StepRole::MissionItems(_) = step.role {
                v.mission = Default::default();
            }
            if let Some(p) = v.procedures.get_mut(&key) {
                p.current = Some((op, step));
            }
        }
        self.ops.insert(op, OpPurpose::Procedure(id, key));
        out.push(Effect::Vehicle {
            op,
            vehicle: id,
            work,
        });
    }

    fn end_procedure(
        &mut self,
        out: &mut Vec<Effect>,
        now: DateTime<Utc>,
        id: VehicleId,
        key: u64,
        end: End,
    ) {
        let Some(p) = self
            .vehicles
            .get_mut(&id)
            .and_then(|v| v.procedures.remove(&key))
        else {
            return;
        };
        if let Some((op, _)) = p.current {
            self.ops.remove(&op);
        }
        let result = match end {
            End::Refused => {
                // Already recorded as a refusal when the step was judged.
                if let Some(request) = p.request {
                    out.push(Effect::Reply {
                        request,
                        outcome: Outcome::Refused(p.decision.clone()),
                    });
                }
                self.dirty = true;
                return;
            }
            End::Done => Ok(()),
            End::Failed(f) => Err(f),
        };
        let (outcome, kind, level) = match result {
            Ok(()) => {
                let (done, kind) = match p.lane {
                    Lane::Configuration if p.fence_items > 0 => (
                        Done::FenceUploaded {
                            items: p.fence_items,
                            enabled: p.fence_enabled,
                        },
                        EventKind::FenceUploaded {
                            items: p.fence_items,
                            enabled: p.fence_enabled,
                            uploaded: p.uploaded.clone(),
                        },
                    ),
                    Lane::Configuration => (
                        Done::MissionUploaded {
                            items: p.mission_items,
                        },
                        EventKind::MissionUploaded {
                            items: p.mission_items,
                            uploaded: p.uploaded.clone(),
                        },
                    ),
                    _ => (
                        Done::Acknowledged,
                        EventKind::Commanded {
                            request: p.name,
                            result: CommandResult::Accepted,
                            mode: p.mode,
                        },
                    ),
                };
                let level = if p.decision.verdict == Verdict::Warn {
                    EventLevel::Warning
                } else {
                    EventLevel::Info
                };
                (
                    Outcome::Done {
                        decision: p.decision.clone(),
                        done,
                    },
                    kind,
                    level,
                )
            }
            Err(failure) => (
                Outcome::Failed {
                    decision: Some(p.decision.clone()),
                    failure: failure.clone(),
                },
                match failure {
                    Failure::VehicleAnswered(result) => EventKind::Commanded {
                        request: p.name,
                        result,
                        mode: p.mode,
                    },
                    failure => EventKind::RequestFailed {
                        request: p.name,
                        failure,
                    },
                },
                EventLevel::Warning,
            ),
        };
        self.push_event(out, now, level, Some(id), kind);
        if let Some(request) = p.request {
            out.push(Effect::Reply { request, outcome });
        }
        self.dirty = true;
    }

    pub fn on_op_result(&mut self, now: DateTime<Utc>, op: OpId, result: OpResult) -> Vec<Effect> {
        let mut out = Vec::new();
        let (id, key) = match self.ops.remove(&op) {
            Some(OpPurpose::Procedure(id, key)) => (id, key),
            Some(OpPurpose::FailsafeParam(id, name)) => {
                if let (Some(v), OpResult::ParamValue(x)) = (self.vehicles.get_mut(&id), &result) {
                    match name {
                        "FS_GCS_ENABLE" => v.gcs_failsafe.enable = Some(*x),
                        _ => v.gcs_failsafe.timeout_s = Some(*x),
                    }
                }
                return out;
            }
            Some(OpPurpose::ReadBack(id, kind)) => {
                self.read_back(&mut out, now, id, kind, result);
                return out;
            }
            // The procedure was stopped meanwhile; the vehicle's answer changes nothing.
            None => return out,
        };
        self.dirty = true;
        let Some(v) = self.vehicles.get_mut(&id) else {
            return out;
        };
        let Some(p) = v.procedures.get_mut(&key) else {
            return out;
        };
        let Some((_, step)) = p.current.take() else {
            return out;
        };
        // The fence or mission on board may have changed: the verdict must follow.
        v.stale = true;
        let failed = match (&step.role, result) {
            (StepRole::FenceEnable, OpResult::Acked(r)) => {
                p.fence_enabled = r == CommandResult::Accepted;
                v.fence.enabled = p.fence_enabled;
                None
            }
            (_, OpResult::Acked(CommandResult::Accepted)) => None,
            (_, OpResult::Acked(r)) => Some(Failure::VehicleAnswered(r)),
            (StepRole::FenceItems, OpResult::Completed) => {
                if let VehicleWork::Upload { items, .. } = &step.work {
                    p.fence_items = items.len();
                    p.uploaded = items.clone();
                }
                v.fence.loaded = true;
                None
            }
            (StepRole::MissionItems(m), OpResult::Completed) => {
                if let VehicleWork::Upload { items, .. } = &step.work {
                    p.uploaded = items.clone();
                }
                p.mission_items = m.items.len();
                v.mission.mission = Some(m.clone());
                v.mission.items = m.items.len();
                None
            }
            (_, OpResult::Completed | OpResult::ParamValue(_) | OpResult::Downloaded(_)) => None,
            (_, OpResult::Failed(f)) => Some(f),
        };
        match failed {
            Some(f) => self.end_procedure(&mut out, now, id, key, End::Failed(f)),
            None => self.next_step(&mut out, now, id, key),
        }
        out
    }

    // ---------------------------------------------------------------- telemetry and link

    pub fn on_telemetry(
        &mut self,
        now: DateTime<Utc>,
        id: VehicleId,
        telemetry: VehicleTelemetry,
    ) -> Vec<Effect> {
        let mut out = Vec::new();
        self.dirty = true;
        let v = self
            .vehicles
            .entry(id)
            .or_insert_with(|| VehicleState::new(telemetry.clone()));
        v.telemetry = telemetry;
        if !self.orphans_known {
            // Until the register has said which flights a previous run left open, no flight is
            // opened nor resumed (the next telemetry comes within a second).
            v.stale = true;
            return out;
        }
        let heard = v.telemetry.last_heartbeat_at.is_some();
        // Ask the vehicle what it does without its station (said when the station stops).
        let ask_failsafe = heard && !v.failsafe_asked;
        if ask_failsafe {
            v.failsafe_asked = true;
        }
        // A flight a previous run left open: taken up again if the vehicle is still armed,
        // closed as ended while the station was away if it landed meanwhile.
        let orphan = if heard {
            self.orphans.remove(&id)
        } else {
            None
        };
        let Some(v) = self.vehicles.get_mut(&id) else {
            return out;
        };
        if let Some(o) = orphan {
            if v.telemetry.armed {
                v.was_armed = true;
                v.flight = FlightPhase::Recording {
                    flight_id: o.flight_id.clone(),
                    since: o.started_at,
                };
                let gap_s = (now - o.last_entry_at).num_milliseconds() as f64 / 1000.0;
                out.push(Effect::ResumeFlight {
                    vehicle: id,
                    flight_id: o.flight_id.clone(),
                    gap_s,
                    after_clean_stop: o.interrupted,
                });
                self.flight_vehicles.insert(o.flight_id.clone(), id);
                let e = StationEvent::new(
                    now,
                    EventLevel::Warning,
                    Some(id),
                    EventKind::FlightResumed {
                        flight_id: o.flight_id.clone(),
                        gap_s,
                    },
                );
                self.events.push_back(e.clone());
                out.push(Effect::Event(e));
                // What is on board, against what the record says was uploaded.
                for (kind, expected) in [
                    (vigie_link::MissionType::Fence, o.fence.clone()),
                    (vigie_link::MissionType::Mission, o.mission.clone()),
                ] {
                    let op = OpId(self.next_op);
                    self.next_op += 1;
                    self.ops.insert(op, OpPurpose::ReadBack(id, kind));
                    self.expected_digests.insert((id, kind_key(kind)), expected);
                    out.push(Effect::Vehicle {
                        op,
                        vehicle: id,
                        work: VehicleWork::Download { kind },
                    });
                }
            } else {
                let t = &v.telemetry;
                let report = format!(
                    "heard again disarmed, {}{}",
                    t.landed_state
                        .map_or("landed state unknown".to_string(), |l| format!("{l:?}")),
                    t.battery
                        .and_then(|b| b.remaining_pct)
                        .map(|b| format!(", battery {b:.0} %"))
                        .unwrap_or_default()
                );
                out.push(Effect::CloseFlightAway {
                    vehicle: id,
                    flight_id: o.flight_id.clone(),
                    at: now,
                    report: report.clone(),
                });
                let e = StationEvent::new(
                    now,
                    EventLevel::Warning,
                    Some(id),
                    EventKind::FlightEndedWhileAway {
                        flight_id: o.flight_id,
                        report,
                    },
                );
                self.events.push_back(e.clone());
                out.push(Effect::Event(e));
            }
        }
        if ask_failsafe {
            for name in ["FS_GCS_ENABLE", "FS_GCS_TIMEOUT"] {
                let op = OpId(self.next_op);
                self.next_op += 1;
                self.ops.insert(op, OpPurpose::FailsafeParam(id, name));
                out.push(Effect::Vehicle {
                    op,
                    vehicle: id,
                    work: VehicleWork::ReadParam { name },
                });
            }
        }
        let Some(v) = self.vehicles.get_mut(&id) else {
            return out;
        };
        // The flight lifecycle, from the armed flag (whatever event ordering the link had).
        let armed = v.telemetry.armed;
        let pos = v.telemetry.position.map(|p| (p.lat_deg, p.lon_deg));
        let mut landed = None;
        let mut close = None;
        let mut took_off = false;
        if armed && !v.was_armed {
            v.was_armed = true;
            v.track.clear();
            if self.recording {
                v.flight = FlightPhase::Opening { since: now };
                out.push(Effect::OpenFlight {
                    vehicle: id,
                    at: now,
                    takeoff: pos,
                });
            } else {
                v.flight = FlightPhase::Unrecorded { since: now };
            }
        } else if !armed && v.was_armed {
            v.was_armed = false;
            if std::mem::take(&mut v.took_off) {
                landed = Some(EventKind::Landed {
                    pos,
                    battery_pct: v.telemetry.battery.and_then(|b| b.remaining_pct),
                });
                v.closest_breach_s = None;
            }
            close = v.flight.flight_id().map(str::to_string);
            v.flight = FlightPhase::Idle;
        }
        if armed && !v.took_off && airborne_now(&v.telemetry) {
            v.took_off = true;
            took_off = true;
        }
        // The landing is recorded in the flight, before it is closed.
        if let Some(e) = landed {
            self.push_event(&mut out, now, EventLevel::Info, Some(id), e);
        }
        if let Some(flight_id) = close {
            out.push(Effect::CloseFlight {
                vehicle: id,
                flight_id,
                at: now,
            });
        }
        if took_off {
            self.push_event(
                &mut out,
                now,
                EventLevel::Info,
                Some(id),
                EventKind::TookOff { pos },
            );
        }
        let Some(v) = self.vehicles.get_mut(&id) else {
            return out;
        };
        if armed {
            v.extend_track();
            if let Some(flight_id) = v.flight.flight_id()
                && v.last_sample_at
                    .is_none_or(|t| (now - t).num_milliseconds() >= SAMPLE_EVERY_MS)
                && let Some(sample) = translate::track_sample(&v.telemetry, now)
            {
                v.last_sample_at = Some(now);
                out.push(Effect::Sample {
                    flight_id: flight_id.to_string(),
                    sample: Box::new(sample),
                });
            }
        }
        // Judged when the snapshot is next published ([`StationState::flush`]), so a burst of
        // telemetry costs one evaluation and a published verdict is never older than its data.
        v.stale = true;
        out
    }

    /// Re-judge every vehicle whose inputs changed since its last verdict. The actor calls it
    /// right before publishing a snapshot.
    pub fn flush(&mut self, now: DateTime<Utc>) -> Vec<Effect> {
        let ids: Vec<VehicleId> = self
            .vehicles
            .iter()
            .filter(|(_, v)| v.stale)
            .map(|(k, _)| *k)
            .collect();
        ids.into_iter().flat_map(|id| self.judge(now, id)).collect()
    }

    pub fn on_link_event(&mut self, now: DateTime<Utc>, ev: &LinkEventKind) -> Vec<Effect> {
        let mut out = Vec::new();
        self.dirty = true;
        match ev {
            LinkEventKind::VehicleAppeared { sysid, compid, .. } => {
                let id = VehicleId(*sysid);
                self.vehicles
                    .entry(id)
                    .or_insert_with(|| VehicleState::new(VehicleTelemetry::new(*sysid, *compid)));
                self.push_event(
                    &mut out,
                    now,
                    EventLevel::Info,
                    Some(id),
                    EventKind::VehicleConnected,
                );
            }
            LinkEventKind::VehicleLost { sysid, .. } => {
                let id = VehicleId(*sysid);
                self.raise(
                    &mut out,
                    now,
                    Some(id),
                    AlarmKind::LinkLost,
                    AlarmSeverity::Critical,
                    EventKind::LinkLost,
                );
            }
            LinkEventKind::VehicleRegained { sysid, .. } => {
                let id = VehicleId(*sysid);
                self.clear(&mut out, now, Some(id), &AlarmKind::LinkLost);
                self.push_event(
                    &mut out,
                    now,
                    EventLevel::Info,
                    Some(id),
                    EventKind::LinkRegained,
                );
            }
            LinkEventKind::LinkUp { link, detail } => self.push_event(
                &mut out,
                now,
                EventLevel::Info,
                None,
                EventKind::LinkUp {
                    link: link.clone(),
                    detail: detail.clone(),
                },
            ),
            LinkEventKind::LinkDown { link, reason } => self.push_event(
                &mut out,
                now,
                EventLevel::Warning,
                None,
                EventKind::LinkDown {
                    link: link.clone(),
                    reason: reason.clone(),
                },
            ),
            LinkEventKind::Telemetry { sysid, change } => {
                let id = VehicleId(*sysid);
                self.on_change(&mut out, now, id, change);
            }
            LinkEventKind::CommandDropped { link, message } => self.push_event(
                &mut out,
                now,
                EventLevel::Warning,
                None,
                EventKind::CommandDropped {
                    link: link.clone(),
                    message: message.clone(),
                },
            ),
            LinkEventKind::SigningRejected { link, sysid, why } => {
                // One alarm (and one register entry) while it lasts, not one per frame.
                let kind = AlarmKind::SigningRejected;
                let id = VehicleId(*sysid);
                if !self
                    .alarms
                    .iter()
                    .any(|a| a.kind == kind && a.vehicle == Some(id) && a.cleared_at.is_none())
                {
                    self.raise(
                        &mut out,
                        now,
                        Some(id),
                        kind,
                        AlarmSeverity::Warning,
                        EventKind::SigningRejected {
                            link: link.clone(),
                            why: why.clone(),
                        },
                    );
                }
            }
        }
        out
    }

    fn on_change(
        &mut self,
        out: &mut Vec<Effect>,
        now: DateTime<Utc>,
        id: VehicleId,
        c: &TelemetryChange,
    ) {
        match c {
            TelemetryChange::ArmedChanged(true) => {
                self.push_event(out, now, EventLevel::Info, Some(id), EventKind::Armed)
            }
            TelemetryChange::ArmedChanged(false) => {
                self.push_event(out, now, EventLevel::Info, Some(id), EventKind::Disarmed)
            }
            TelemetryChange::ModeChanged(m) => self.push_event(
                out,
                now,
                EventLevel::Info,
                Some(id),
                EventKind::ModeChanged(*m),
            ),
            TelemetryChange::StatusText(s) => {
                let kind = EventKind::VehicleSaid {
                    severity: s.severity,
                    text: s.text.clone(),
                };
                // Arming reasons repeat every 30 s: they show as the VEHICLE-PREARM finding.
                if s.severity <= 4 && !s.is_arming_reason() {
                    self.raise(
                        out,
                        now,
                        Some(id),
                        AlarmKind::VehicleWarning,
                        AlarmSeverity::Warning,
                        kind,
                    );
                } else if s.severity <= 6 {
                    self.push_event(out, now, EventLevel::Info, Some(id), kind);
                }
            }
            TelemetryChange::MissionItemReached(n) => self.push_event(
                out,
                now,
                EventLevel::Info,
                Some(id),
                EventKind::MissionItemReached(*n),
            ),
            TelemetryChange::FenceBreachChanged(true) => self.raise(
                out,
                now,
                Some(id),
                AlarmKind::FenceBreach,
                AlarmSeverity::Critical,
                EventKind::FenceBreach,
            ),
            TelemetryChange::FenceBreachChanged(false) => {
                self.clear(out, now, Some(id), &AlarmKind::FenceBreach);
                self.push_event(
                    out,
                    now,
                    EventLevel::Info,
                    Some(id),
                    EventKind::FenceCleared,
                );
            }
            TelemetryChange::ReadinessChanged(Some(r)) => self.push_event(
                out,
                now,
                EventLevel::Info,
                Some(id),
                EventKind::AutopilotReady(*r),
            ),
            TelemetryChange::ReadinessChanged(None) | TelemetryChange::VideoStream(_) => {}
        }
    }

    pub fn on_register(&mut self, now: DateTime<Utc>, f: RegisterFeedback) -> Vec<Effect> {
        let mut out = Vec::new();
        self.dirty = true;
        match f {
            RegisterFeedback::Login { token, result } => {
                let Some((request, pilot_id)) = self.pending_logins.remove(&token) else {
                    return out;
                };
                match result {
                    Ok(pilot) => {
                        self.session.pilot = Some(*pilot);
                        self.session.logged_in = true;
                        self.session.lockout_until = None;
                        self.push_event(
                            &mut out,
                            now,
                            EventLevel::Info,
                            None,
                            EventKind::LoggedIn {
                                pilot_id: pilot_id.clone(),
                            },
                        );
                        out.push(Effect::SessionChanged(Box::new(self.session_record())));
                        out.extend(self.rejudge_all(now));
                        out.push(Effect::Reply {
                            request,
                            outcome: Outcome::Done {
                                decision: Decision::from_findings(vec![]),
                                done: Done::LoggedIn { pilot_id },
                            },
                        });
                    }
                    Err(refused) => {
                        self.session.lockout_until = refused.locked_until;
                        self.push_event(
                            &mut out,
                            now,
                            EventLevel::Warning,
                            None,
                            EventKind::LoginRefused {
                                pilot_id,
                                reason: refused.reason.clone(),
                            },
                        );
                        out.push(Effect::Reply {
                            request,
                            outcome: Outcome::failed(Failure::LoginRefused {
                                reason: refused.reason,
                                locked_until: refused.locked_until,
                            }),
                        });
                    }
                }
            }
            RegisterFeedback::FlightOpened {
                vehicle, flight_id, ..
            } => {
                self.flight_vehicles.insert(flight_id.clone(), vehicle);
                if let Some(v) = self.vehicles.get_mut(&vehicle) {
                    if v.was_armed {
                        let since = match v.flight {
                            FlightPhase::Opening { since } => since,
                            _ => now,
                        };
                        v.flight = FlightPhase::Recording {
                            flight_id: flight_id.clone(),
                            since,
                        };
                    } else {
                        // Disarmed before the register answered: close it at once.
                        out.push(Effect::CloseFlight {
                            vehicle,
                            flight_id: flight_id.clone(),
                            at: now,
                        });
                    }
                }
                self.push_event(
                    &mut out,
                    now,
                    EventLevel::Info,
                    Some(vehicle),
                    EventKind::FlightOpened { flight_id },
                );
            }
            RegisterFeedback::FlightNotOpened { vehicle, why } => {
                if let Some(v) = self.vehicles.get_mut(&vehicle)
                    && v.was_armed
                {
                    v.flight = FlightPhase::Unrecorded { since: now };
                }
                self.raise(
                    &mut out,
                    now,
                    Some(vehicle),
                    AlarmKind::RegisterFault,
                    AlarmSeverity::Warning,
                    EventKind::RegisterFault { what: why },
                );
            }
            RegisterFeedback::FlightSealed { flight_id, .. } => {
                let vehicle = self.flight_vehicles.remove(&flight_id);
                self.push_event(
                    &mut out,
                    now,
                    EventLevel::Info,
                    vehicle,
                    EventKind::FlightSealed { flight_id },
                );
            }
            RegisterFeedback::Fault(what) => self.raise(
                &mut out,
                now,
                None,
                AlarmKind::RegisterFault,
                AlarmSeverity::Warning,
                EventKind::RegisterFault { what },
            ),
            RegisterFeedback::Note(what) => {
                tracing::info!("register: {what}");
            }
            RegisterFeedback::OpenFlights(flights) => {
                for f in &flights {
                    self.push_event(
                        &mut out,
                        now,
                        EventLevel::Warning,
                        Some(f.vehicle),
                        EventKind::FlightLeftOpen {
                            flight_id: f.flight_id.clone(),
                            clean_stop: f.interrupted,
                        },
                    );
                }
                self.on_open_flights(flights);
            }
        }
        out
    }

    /// Periodic: staleness, the authorisation window, the wind gate's hysteresis.
    pub fn on_tick(&mut self, now: DateTime<Utc>) -> Vec<Effect> {
        self.last_now = Some(now);
        let mut responses = self.incident_responses(now);
        let ids: Vec<VehicleId> = self
            .vehicles
            .iter()
            .filter(|(_, v)| {
                v.last_judged_at
                    .is_none_or(|t| (now - t).num_milliseconds() >= JUDGE_EVERY_MS)
            })
            .map(|(k, _)| *k)
            .collect();
        let mut out = Vec::new();
        out.append(&mut responses);
        for id in ids {
            out.extend(self.judge(now, id));
        }
        out
    }

    /// The response times of open incidents: alert → a vehicle airborne, alert → a vehicle
    /// within [`ON_SCENE_M`] of it; each recorded once.
    fn incident_responses(&mut self, now: DateTime<Utc>) -> Vec<Effect> {
        let mut out = Vec::new();
        let flying: Vec<(VehicleId, f64, f64)> = self
            .vehicles
            .iter()
            .filter(|(_, v)| v.telemetry.armed)
            .filter_map(|(id, v)| v.telemetry.position.map(|p| (*id, p)))
            .filter(|(_, p)| p.alt_rel_m > 2.0)
            .map(|(id, p)| (id, p.lat_deg, p.lon_deg))
            .collect();
        let mut found = Vec::new();
        for i in &mut self.incidents {
            let after = ((now - i.at).num_milliseconds() as f64 / 1000.0).max(0.0);
            if i.airborne_after_s.is_none()
                && let Some(&(v, _, _)) = flying.first()
            {
                i.airborne_after_s = Some(after);
                found.push((v, i.id.clone(), IncidentMilestone::Airborne, after));
            }
            let here = flight_rules::LatLon::new(i.lat_deg, i.lon_deg);
            let near = flying.iter().find(|&&(_, lat, lon)| {
                here.distance_m(&flight_rules::LatLon::new(lat, lon)) <= ON_SCENE_M
            });
            if i.on_scene_after_s.is_none()
                && let Some(&(v, _, _)) = near
            {
                i.on_scene_after_s = Some(after);
                found.push((v, i.id.clone(), IncidentMilestone::OnScene, after));
            }
        }
        // With the vehicle that responded: the times go into its flight's record.
        for (vehicle, id, what, after_s) in found {
            self.dirty = true;
            self.push_event(
                &mut out,
                now,
                EventLevel::Info,
                Some(vehicle),
                EventKind::IncidentResponse { id, what, after_s },
            );
        }
        out
    }

    fn rejudge_all(&mut self, now: DateTime<Utc>) -> Vec<Effect> {
        let ids: Vec<VehicleId> = self.vehicles.keys().copied().collect();
        ids.into_iter().flat_map(|id| self.judge(now, id)).collect()
    }

    /// Re-judge one vehicle: the pre-flight verdict ARM would get, the in-flight monitor, the
    /// wind gate (its changes are recorded) and the alarms for blocking in-flight findings.
    fn judge(&mut self, now: DateTime<Utc>, id: VehicleId) -> Vec<Effect> {
        let mut out = Vec::new();
        let s = self.situation(id, now);
        let airborne = s.vehicle.as_ref().is_some_and(|v| v.airborne);
        let Some(v) = self.vehicles.get(&id) else {
            return out;
        };
        let gate = flight_rules::wind_gate(
            &s.wind,
            &self.rules.limits,
            &self.airframe,
            airborne,
            v.wind_exceeded_at,
            now,
        );
        let exceeded_at = if gate.exceeded_now {
            Some(now)
        } else {
            v.wind_exceeded_at
        };
        let s = Situation {
            wind_last_exceeded_at: exceeded_at,
            ..s
        };
        let preflight = flight_rules::evaluate(&self.rules, &s, &Action::Arm, now);
        let monitor =
            airborne.then(|| flight_rules::evaluate(&self.rules, &s, &Action::Monitor, now));
        let status = gate.status;
        let changed_gate = v.last_gate_status != Some(status);
        // In flight, every alarmed finding (a warning too) raises an alarm; a blocking one, or
        // the wind at the limit, a critical one.
        let mut alarmed: BTreeMap<&'static str, (AlarmSeverity, Vec<flight_rules::Finding>)> =
            BTreeMap::new();
        for f in monitor.iter().flat_map(|m| m.findings.iter()) {
            if f.severity < Severity::Warning || !ALARMED.contains(&f.rule_id) {
                continue;
            }
            let sev = if f.severity == Severity::Blocking
                || (f.rule_id == flight_rules::rule_id::WIND_INFLIGHT
                    && status == flight_rules::WindStatus::AboveLimit)
            {
                AlarmSeverity::Critical
            } else {
                AlarmSeverity::Warning
            };
            let e = alarmed
                .entry(f.rule_id)
                .or_insert((AlarmSeverity::Warning, Vec::new()));
            e.0 = e.0.max(sev);
            e.1.push(f.clone());
        }
        let changed: Vec<(&'static str, AlarmSeverity, Decision)> = alarmed
            .iter()
            .filter(|(r, (sev, _))| v.monitor_alarmed.get(*r) != Some(sev))
            .map(|(r, (sev, fs))| (*r, *sev, Decision::from_findings(fs.clone())))
            .collect();
        let gone: Vec<&'static str> = v
            .monitor_alarmed
            .keys()
            .filter(|r| !alarmed.contains_key(*r))
            .copied()
            .collect();
        // The authorisation's window, counted down in flight (10 and 2 minutes by default).
        let auth_warnings: Vec<(i64, String, i64)> = match (&self.session.authorisation, airborne) {
            (Some(a), true) => {
                let left_s = (a.valid_until - now).num_seconds();
                self.policy
                    .authorisation_warn_s
                    .iter()
                    .filter(|t| left_s > 0 && left_s <= **t && !v.auth_warned.contains(t))
                    .map(|t| (*t, a.arrete.clone(), left_s))
                    .collect()
            }
            _ => vec![],
        };
        // The operator's automatic RTL.
        let auto = &self.policy.auto_rtl;
        let homing = matches!(
            v.telemetry.mode,
            vigie_link::CopterMode::Rtl
                | vigie_link::CopterMode::Land
                | vigie_link::CopterMode::SmartRtl
        );
        let rtl_due = !homing
            && airborne
            && v.last_auto_rtl_at
                .is_none_or(|t| (now - t).num_seconds() >= AUTO_RTL_EVERY_S);
        let breaches = if airborne {
            flight_rules::predicted_breaches(&self.rules, &s, now)
        } else {
            vec![]
        };
        // The closest call of the flight, each new low under a minute kept in the register.
        let closer = breaches
            .iter()
            .filter_map(|b| b.time_s.map(|t| (t, b)))
            .filter(|(t, _)| *t < BREACH_RECORD_UNDER_S)
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .filter(|(t, _)| v.closest_breach_s.is_none_or(|c| *t < c - 1.0))
            .map(|(t, b)| {
                (
                    t,
                    EventKind::BreachPredicted {
                        time_s: t,
                        distance_m: b.distance_m,
                        what: match &b.kind {
                            flight_rules::BreachKind::Zone { zone_name, .. } => {
                                format!("entering zone {zone_name}")
                            }
                            flight_rules::BreachKind::PerimeterExit => {
                                "leaving the authorised perimeter".to_string()
                            }
                        },
                    },
                )
            });
        let trigger: Option<&'static str> = if !rtl_due {
            None
        } else if auto.predicted_breach_under_s.is_some_and(|limit| {
            breaches
                .iter()
                .any(|b| b.time_s.is_some_and(|t| t > 0.0 && t < limit))
        }) {
            Some(flight_rules::rule_id::BREACH_PREDICTED)
        } else if auto.authorisation_expired
            && monitor.as_ref().is_some_and(|m| {
                m.blocks_on(flight_rules::rule_id::AUTH_WINDOW)
                    || m.blocks_on(flight_rules::rule_id::AUTH_REVOKED)
            })
        {
            Some(flight_rules::rule_id::AUTH_WINDOW)
        } else if auto.battery_reserve
            && monitor
                .as_ref()
                .is_some_and(|m| m.blocks_on(flight_rules::rule_id::BATTERY_RETURN))
        {
            Some(flight_rules::rule_id::BATTERY_RETURN)
        } else {
            None
        };
        let gate_event = EventKind::WindGate {
            status,
            gate_mps: gate.gate_mps,
            limit_mps: gate.limit_mps,
        };
        if let Some(v) = self.vehicles.get_mut(&id) {
            v.wind_exceeded_at = exceeded_at;
            v.wind_gate = Some(gate);
            v.last_gate_status = Some(status);
            v.preflight = Some(preflight);
            v.monitor = monitor.clone();
            v.monitor_alarmed = alarmed.iter().map(|(r, (sev, _))| (*r, *sev)).collect();
            v.last_judged_at = Some(now);
            v.stale = false;
            for (t, _, _) in &auth_warnings {
                v.auth_warned.insert(*t);
            }
            if !airborne {
                v.auth_warned.clear();
            }
            if trigger.is_some() {
                v.last_auto_rtl_at = Some(now);
            }
            if let Some((t, _)) = &closer {
                v.closest_breach_s = Some(*t);
            }
        }
        if let Some((_, e)) = closer {
            self.push_event(&mut out, now, EventLevel::Warning, Some(id), e);
        }
        if changed_gate {
            let level = match status {
                flight_rules::WindStatus::Ok => EventLevel::Info,
                _ => EventLevel::Warning,
            };
            self.push_event(&mut out, now, level, Some(id), gate_event);
        }
        for (rule, sev, decision) in changed {
            self.raise(
                &mut out,
                now,
                Some(id),
                AlarmKind::InFlight(rule),
                sev,
                EventKind::InFlightFinding { decision },
            );
        }
        for rule in gone {
            self.clear(&mut out, now, Some(id), &AlarmKind::InFlight(rule));
        }
        for (threshold, arrete, left_s) in auth_warnings {
            self.raise(
                &mut out,
                now,
                Some(id),
                AlarmKind::AuthorisationEnding { seconds: threshold },
                AlarmSeverity::Warning,
                EventKind::AuthorisationEnding { arrete, left_s },
            );
        }
        if let Some(rule_id) = trigger {
            self.push_event(
                &mut out,
                now,
                EventLevel::Alarm,
                Some(id),
                EventKind::AutomaticAction {
                    action: "rtl",
                    rule_id,
                },
            );
            out.extend(self.on_vehicle_request(now, None, id, VehicleRequest::Rtl));
        }
        self.dirty = true;
        out
    }

    /// The register found flights a previous run left open: wait for their vehicles.
    pub fn on_open_flights(&mut self, flights: Vec<OrphanFlight>) {
        self.orphans_known = true;
        for f in flights {
            self.orphans.insert(f.vehicle, f);
        }
    }

    /// Flights waiting for their vehicle to reappear.
    pub fn orphans(&self) -> impl Iterator<Item = &OrphanFlight> {
        self.orphans.values()
    }

    fn read_back(
        &mut self,
        out: &mut Vec<Effect>,
        now: DateTime<Utc>,
        id: VehicleId,
        kind: vigie_link::MissionType,
        result: OpResult,
    ) {
        let expected = self
            .expected_digests
            .remove(&(id, kind_key(kind)))
            .flatten();
        let what = match kind {
            vigie_link::MissionType::Fence => "fence",
            vigie_link::MissionType::Mission => "mission",
            vigie_link::MissionType::Rally => "rally points",
        };
        let OpResult::Downloaded(items) = result else {
            self.raise(
                out,
                now,
                Some(id),
                AlarmKind::ReadBack,
                AlarmSeverity::Warning,
                EventKind::RequestFailed {
                    request: "read-back",
                    failure: Failure::Link(format!("the {what} could not be read back")),
                },
            );
            return;
        };
        let Some(expected) = expected else {
            // Nothing recorded as uploaded: an empty fence or mission is what should be there.
            let empty = items.len() <= usize::from(kind == vigie_link::MissionType::Mission);
            if !empty {
                self.raise(
                    out,
                    now,
                    Some(id),
                    AlarmKind::ReadBack,
                    AlarmSeverity::Warning,
                    EventKind::ReadBack {
                        what,
                        matches: false,
                    },
                );
            }
            return;
        };
        let ardupilot = self
            .vehicles
            .get(&id)
            .is_some_and(|v| v.telemetry.autopilot == vigie_link::Autopilot::ArduPilot);
        let matches = vigie_link::mission::compare(&expected, &items, kind, ardupilot).is_ok();
        if let Some(v) = self.vehicles.get_mut(&id)
            && kind == vigie_link::MissionType::Fence
            && matches
        {
            v.fence.loaded = true;
            v.stale = true;
        }
        if matches {
            self.push_event(
                out,
                now,
                EventLevel::Info,
                Some(id),
                EventKind::ReadBack { what, matches },
            );
        } else {
            self.raise(
                out,
                now,
                Some(id),
                AlarmKind::ReadBack,
                AlarmSeverity::Critical,
                EventKind::ReadBack { what, matches },
            );
        }
    }

    /// The station stops: each open flight is recorded as interrupted (not sealed as if it had
    /// landed), and the report says who is in the air and what each will do without it.
    pub fn on_shutdown(
        &mut self,
        now: DateTime<Utc>,
        reason: &'static str,
    ) -> (Vec<Effect>, ShutdownReport) {
        let mut out = Vec::new();
        let mut report = ShutdownReport::default();
        let ids: Vec<VehicleId> = self.vehicles.keys().copied().collect();
        for id in ids {
            let Some(v) = self.vehicles.get_mut(&id) else {
                continue;
            };
            let airborne = v.telemetry.airborne();
            let failsafe = v.gcs_failsafe.describe();
            if airborne {
                report.airborne.push((id, failsafe.clone()));
            }
            let Some(flight_id) = v.flight.flight_id().map(str::to_string) else {
                continue;
            };
            v.flight = FlightPhase::Idle;
            v.was_armed = false;
            report.interrupted_flights.push(flight_id.clone());
            self.push_event(
                &mut out,
                now,
                EventLevel::Warning,
                Some(id),
                EventKind::FlightInterrupted {
                    flight_id: flight_id.clone(),
                    airborne,
                    failsafe: failsafe.clone(),
                },
            );
            out.push(Effect::InterruptFlight {
                vehicle: id,
                flight_id,
                at: now,
                reason,
                airborne,
                failsafe,
            });
        }
        (out, report)
    }

    /// A ground feed's value or trouble.
    pub fn on_feed(&mut self, now: DateTime<Utc>, input: FeedInput) -> Vec<Effect> {
        self.last_now = Some(now);
        self.dirty = true;
        let mut out = Vec::new();
        match input {
            FeedInput::Wind(w) => {
                self.session.add_wind(w);
                self.mark_all_stale();
            }
            FeedInput::Metar { reading, raw } => {
                self.session.add_wind(reading);
                self.mark_all_stale();
                self.push_event(
                    &mut out,
                    now,
                    EventLevel::Info,
                    None,
                    EventKind::MetarReceived { raw },
                );
            }
            FeedInput::Traffic(t) => {
                self.session.traffic = t;
                self.mark_all_stale();
            }
            FeedInput::Incident(i) => {
                let pos = (i.position.lat_deg, i.position.lon_deg);
                self.push_event(
                    &mut out,
                    now,
                    EventLevel::Warning,
                    None,
                    EventKind::IncidentReported {
                        id: i.id.clone(),
                        pos,
                        kind: i.kind.clone(),
                        note: i.note.clone(),
                        source: i.source.clone(),
                        alert_at: i.at,
                    },
                );
                self.incidents.push(IncidentView {
                    id: i.id,
                    at: i.at,
                    lat_deg: pos.0,
                    lon_deg: pos.1,
                    kind: i.kind,
                    note: i.note,
                    source: i.source,
                    airborne_after_s: None,
                    on_scene_after_s: None,
                });
                // The latest ones; the register has them all.
                if self.incidents.len() > INCIDENTS_KEPT {
                    self.incidents.remove(0);
                }
                out.extend(self.incident_responses(now));
            }
            FeedInput::Up { feed, detail } => {
                self.clear(&mut out, now, None, &AlarmKind::Feed(feed));
                self.push_event(
                    &mut out,
                    now,
                    EventLevel::Info,
                    None,
                    EventKind::FeedUp { feed, detail },
                );
            }
            FeedInput::Fault { feed, reason } => self.raise(
                &mut out,
                now,
                None,
                AlarmKind::Feed(feed),
                AlarmSeverity::Warning,
                EventKind::FeedFault { feed, reason },
            ),
        }
        out
    }

    /// A vehicle's video stream: lost and regained as an alarm, and a recording that stops.
    /// The domicile flag reached the vehicle's recording (`flagged`), or nothing of it was
    /// being recorded: the register and the pilot hear which.
    pub fn on_domicile(
        &mut self,
        now: DateTime<Utc>,
        vehicle: VehicleId,
        by: String,
        request: RequestId,
        flagged: bool,
    ) -> Vec<Effect> {
        let mut out = Vec::new();
        if !flagged {
            out.push(Effect::Reply {
                request,
                outcome: Outcome::failed(Failure::NothingRecorded(vehicle)),
            });
            return out;
        }
        self.push_event(
            &mut out,
            now,
            EventLevel::Info,
            Some(vehicle),
            EventKind::DomicileFlagged { by },
        );
        out.push(Effect::Reply {
            request,
            outcome: Outcome::Done {
                done: Done::DomicileFlagged,
                decision: Decision::from_findings(vec![]),
            },
        });
        out
    }

    pub fn on_video(
        &mut self,
        now: DateTime<Utc>,
        vehicle: VehicleId,
        h: crate::video::VideoHealth,
    ) -> Vec<Effect> {
        use crate::video::VideoHealth;
        let mut out = Vec::new();
        match h {
            VideoHealth::Up { stream } => {
                let was_lost = self.alarms.iter().any(|a| {
                    a.kind == AlarmKind::VideoLost
                        && a.vehicle == Some(vehicle)
                        && a.cleared_at.is_none()
                });
                if was_lost {
                    self.clear(&mut out, now, Some(vehicle), &AlarmKind::VideoLost);
                    self.push_event(
                        &mut out,
                        now,
                        EventLevel::Info,
                        Some(vehicle),
                        EventKind::VideoRegained { stream },
                    );
                }
            }
            VideoHealth::Lost { stream, reason } => self.raise(
                &mut out,
                now,
                Some(vehicle),
                AlarmKind::VideoLost,
                AlarmSeverity::Warning,
                EventKind::VideoLost { stream, reason },
            ),
            VideoHealth::RecordingStopped { stream, reason } => self.raise(
                &mut out,
                now,
                Some(vehicle),
                AlarmKind::RecordingStopped,
                AlarmSeverity::Critical,
                EventKind::RecordingStopped { stream, reason },
            ),
            VideoHealth::Announced { stream, source } => self.push_event(
                &mut out,
                now,
                EventLevel::Info,
                Some(vehicle),
                EventKind::VideoAnnounced { stream, source },
            ),
            VideoHealth::Unusable { stream, reason } => self.push_event(
                &mut out,
                now,
                EventLevel::Warning,
                Some(vehicle),
                EventKind::VideoUnusable { stream, reason },
            ),
        }
        out
    }

    /// Every manual item of the rules' checklist is ticked (automatic items are the rules' own).
    fn checklist_complete(&self) -> bool {
        self.rules
            .checklist
            .items
            .iter()
            .filter(|i| matches!(i.kind, flight_rules::ChecklistKind::Manual))
            .all(|i| self.session.checklist_ticks.contains(&i.id))
    }

    fn mark_all_stale(&mut self) {
        for v in self.vehicles.values_mut() {
            v.stale = true;
        }
    }

    // ---------------------------------------------------------------- events and alarms

    fn push_event(
        &mut self,
        out: &mut Vec<Effect>,
        now: DateTime<Utc>,
        level: EventLevel,
        vehicle: Option<VehicleId>,
        kind: EventKind,
    ) {
        let e = StationEvent::new(now, level, vehicle, kind);
        self.events.push_back(e.clone());
        while self.events.len() > EVENTS_KEPT {
            self.events.pop_front();
        }
        self.dirty = true;
        out.push(Effect::Event(e));
    }

    fn raise(
        &mut self,
        out: &mut Vec<Effect>,
        now: DateTime<Utc>,
        vehicle: Option<VehicleId>,
        kind: AlarmKind,
        severity: AlarmSeverity,
        event: EventKind,
    ) {
        let mut e = StationEvent::new(now, EventLevel::Alarm, vehicle, event);
        let detail = e.describe();
        if let Some(a) = self
            .alarms
            .iter_mut()
            .find(|a| a.kind == kind && a.vehicle == vehicle && a.cleared_at.is_none())
        {
            // The same condition again: one alarm, its latest detail, its worst severity.
            a.detail = detail;
            a.severity = a.severity.max(severity);
            e.alarm = Some(AlarmRef {
                id: a.id,
                severity: a.severity,
            });
        } else {
            let id = AlarmId(self.next_alarm);
            self.alarms.push(Alarm {
                id,
                kind,
                vehicle,
                severity,
                raised_at: now,
                detail,
                acknowledged_by: None,
                cleared_at: None,
            });
            self.next_alarm += 1;
            e.alarm = Some(AlarmRef { id, severity });
        }
        self.events.push_back(e.clone());
        while self.events.len() > EVENTS_KEPT {
            self.events.pop_front();
        }
        self.dirty = true;
        out.push(Effect::Event(e));
    }

    fn clear(
        &mut self,
        out: &mut Vec<Effect>,
        now: DateTime<Utc>,
        vehicle: Option<VehicleId>,
        kind: &AlarmKind,
    ) {
        let mut cleared = Vec::new();
        for a in &mut self.alarms {
            if &a.kind == kind && a.vehicle == vehicle && a.cleared_at.is_none() {
                a.cleared_at = Some(now);
                cleared.push(EventKind::AlarmCleared {
                    alarm: a.id,
                    what: a.detail.clone(),
                });
            }
        }
        self.alarms.retain(Alarm::is_active);
        self.dirty = true;
        for e in cleared {
            self.push_event(out, now, EventLevel::Info, vehicle, e);
        }
    }

    pub fn alarms(&self) -> &[Alarm] {
        &self.alarms
    }

    // ---------------------------------------------------------------- snapshot

    /// Something changed since the last snapshot (the actor publishes then).
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    pub fn snapshot(&mut self) -> StationSnapshot {
        self.dirty = false;
        self.version += 1;
        let s = &self.session;
        StationSnapshot {
            vehicles: self.vehicles.iter().map(|(k, v)| (*k, v.view())).collect(),
            session: SessionView {
                training: s.training,
                logged_in: s.logged_in,
                pilot_id: s.pilot.as_ref().map(|p| p.id.clone()),
                pilot_name: s.pilot.as_ref().map(|p| p.name.clone()),
                lockout_until: s.lockout_until,
                arrete: s.authorisation.as_ref().map(|a| a.arrete.clone()),
                finalite: s.authorisation.as_ref().map(|a| a.finalite.clone()),
                legal_basis: s.legal_basis.as_ref().map(|b| b.basis.id.clone()),
                authorisations: s
                    .authorisations
                    .values()
                    .map(|a| AuthorisationSummary {
                        arrete: a.arrete.clone(),
                        issuer: a.issuer.clone(),
                        finalite: a.finalite.clone(),
                        commune: a.commune.clone(),
                        valid_from: a.valid_from,
                        valid_until: a.valid_until,
                        revoked: a.revoked_at.is_some(),
                        valid_now: self.last_now.is_some_and(|n| {
                            n >= a.valid_from && n <= a.valid_until && !a.is_revoked_at(n)
                        }),
                    })
                    .collect(),
                checklist_ticks: s.checklist_ticks.clone(),
                ground_wind: s.ground_wind(),
                traffic: s.traffic.clone(),
            },
            events: self.events.clone(),
            alarms: self.alarms.clone(),
            hotspots: self.hotspots.hotspots().to_vec(),
            incidents: self.incidents.clone(),
            version: self.version,
        }
    }
}

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

pub use session::SessionState;
pub use vehicle::{Lane, OpId, Procedure, RequestId, VehicleState};

use crate::event::{Alarm, AlarmId, AlarmKind, AlarmSeverity, EventKind, EventLevel, StationEvent};
use crate::interlock::{self, PlanContext, StepRole, VehicleWork};
use crate::protocol::{
    Done, Failure, Outcome, Secret, SessionRequest, StationCommand, VehicleId, VehicleRequest,
};
use crate::register_thread::{RegisterFeedback, SessionRecord};
use crate::snapshot::{AuthorisationSummary, FlightPhase, SessionView, StationSnapshot};
use crate::translate;

/// Events kept for the snapshot (the register keeps them all).
const EVENTS_KEPT: usize = 200;
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
    Failed(Failure),
}

/// What a ground feed brought.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedInput {
    /// A launch-site anemometer reading (3-s gust, mean) or a METAR's wind.
    Wind(flight_rules::WindReading),
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
    /// Flights are recorded (a register thread runs).
    pub recording: bool,
    pub policy: crate::config::FlightPolicy,
}

pub struct StationState {
    rules: Arc<RuleSet>,
    airframe: String,
    ground_amsl_m: Option<f64>,
    recording: bool,
    policy: crate::config::FlightPolicy,
    pub session: SessionState,
    pub vehicles: BTreeMap<VehicleId, VehicleState>,
    /// Op → (vehicle, procedure key).
    ops: BTreeMap<OpId, (VehicleId, u64)>,
    next_op: u64,
    next_proc: u64,
    next_alarm: u64,
    events: VecDeque<StationEvent>,
    alarms: Vec<Alarm>,
    /// Logins waiting for the register: token → (request, pilot).
    pending_logins: BTreeMap<u64, (RequestId, String)>,
    next_token: u64,
    /// Which vehicle flew each open flight.
    flight_vehicles: BTreeMap<String, VehicleId>,
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
            recording: c.recording,
            policy: c.policy,
            session: c.session,
            vehicles: BTreeMap::new(),
            ops: BTreeMap::new(),
            next_op: 1,
            next_proc: 1,
            next_alarm: 1,
            events: VecDeque::new(),
            alarms: Vec::new(),
            pending_logins: BTreeMap::new(),
            next_token: 1,
            last_now: None,
            flight_vehicles: BTreeMap::new(),
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
        }
    }

    fn any_armed(&self) -> bool {
        self.vehicles.values().any(|v| v.telemetry.armed)
    }

    pub fn rules(&self) -> &Arc<RuleSet> {
        &self.rules
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
            ground_amsl_m: self.ground_amsl_m,
            geoid_undulation_m: None,
            checklist_ticks: self.session.checklist_ticks.clone(),
            cameras_in_use: None,
            traffic: self.session.traffic.clone(),
            legal_basis: self.session.legal_basis.clone(),
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
                self.session.checklist_ticks.insert(id);
                self.rejudge_all(now);
                vec![ok(Done::ChecklistChanged {
                    ticked: self.session.checklist_ticks.clone(),
                })]
            }
            SessionRequest::UntickChecklist(id) => {
                self.session.checklist_ticks.remove(&id);
                self.rejudge_all(now);
                vec![ok(Done::ChecklistChanged {
                    ticked: self.session.checklist_ticks.clone(),
                })]
            }
            SessionRequest::AddWind(w) => {
                self.session.add_wind(w);
                let mut out = self.rejudge_all(now);
                out.push(ok(Done::WindRecorded));
                out
            }
            SessionRequest::Login { pilot_id, pin } => {
                if self.any_armed() {
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
                if self.any_armed() {
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
            SessionRequest::AcknowledgeAlarm { alarm, by } => {
                let Some(a) = self.alarms.iter_mut().find(|a| a.id == alarm) else {
                    return vec![Effect::Reply {
                        request,
                        outcome: Outcome::failed(Failure::UnknownAlarm),
                    }];
                };
                a.acknowledged_by = Some(by);
                self.alarms.retain(Alarm::is_active);
                vec![ok(Done::AlarmAcknowledged)]
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
            position: t
                .position
                .map(|p| flight_rules::LatLon::new(p.lat_deg, p.lon_deg)),
            home: t
                .home
                .map(|h| flight_rules::LatLon::new(h.lat_deg, h.lon_deg)),
            airborne: t.airborne(),
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
        let decision = interlock::judge_all(&self.rules, &situation, &steps, now);
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
            lane,
            steps: steps.into(),
            decision,
            current: None,
            fence_items: 0,
            fence_enabled: false,
            mission_items: 0,
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
        let d = interlock::judge_step(&self.rules, &sit, &step, now);
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
        self.ops.insert(op, (id, key));
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
                        },
                    ),
                    Lane::Configuration => (
                        Done::MissionUploaded {
                            items: p.mission_items,
                        },
                        EventKind::MissionUploaded {
                            items: p.mission_items,
                        },
                    ),
                    _ => (
                        Done::Acknowledged,
                        EventKind::Commanded {
                            request: p.name,
                            result: CommandResult::Accepted,
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
        let Some((id, key)) = self.ops.remove(&op) else {
            // The procedure was stopped meanwhile; the vehicle's answer changes nothing.
            return out;
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
                }
                v.fence.loaded = true;
                None
            }
            (StepRole::MissionItems(m), OpResult::Completed) => {
                p.mission_items = m.items.len();
                v.mission.mission = Some(m.clone());
                v.mission.items = m.items.len();
                None
            }
            (_, OpResult::Completed) => None,
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
        // The flight lifecycle, from the armed flag (whatever event ordering the link had).
        let armed = v.telemetry.armed;
        if armed && !v.was_armed {
            v.was_armed = true;
            v.track.clear();
            let takeoff = v.telemetry.position.map(|p| (p.lat_deg, p.lon_deg));
            if self.recording {
                v.flight = FlightPhase::Opening { since: now };
                out.push(Effect::OpenFlight {
                    vehicle: id,
                    at: now,
                    takeoff,
                });
            } else {
                v.flight = FlightPhase::Unrecorded { since: now };
            }
        } else if !armed && v.was_armed {
            v.was_armed = false;
            if let Some(flight_id) = v.flight.flight_id() {
                out.push(Effect::CloseFlight {
                    vehicle: id,
                    flight_id: flight_id.to_string(),
                    at: now,
                });
            }
            v.flight = FlightPhase::Idle;
        }
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
                self.clear(now, Some(id), &AlarmKind::LinkLost);
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
                self.clear(now, Some(id), &AlarmKind::FenceBreach);
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
        }
        out
    }

    /// Periodic: staleness, the authorisation window, the wind gate's hysteresis.
    pub fn on_tick(&mut self, now: DateTime<Utc>) -> Vec<Effect> {
        self.last_now = Some(now);
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
        for id in ids {
            out.extend(self.judge(now, id));
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
        let trigger: Option<&'static str> = if !rtl_due {
            None
        } else if auto.predicted_breach_under_s.is_some_and(|limit| {
            flight_rules::predicted_breaches(&self.rules, &s, now)
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
            self.clear(now, Some(id), &AlarmKind::InFlight(rule));
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
            FeedInput::Up { feed, detail } => {
                self.clear(now, None, &AlarmKind::Feed(feed));
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
        let e = StationEvent::new(now, EventLevel::Alarm, vehicle, event);
        let detail = e.describe();
        if let Some(a) = self
            .alarms
            .iter_mut()
            .find(|a| a.kind == kind && a.vehicle == vehicle && a.cleared_at.is_none())
        {
            // The same condition again: one alarm, its latest detail, its worst severity.
            a.detail = detail;
            a.severity = a.severity.max(severity);
        } else {
            self.alarms.push(Alarm {
                id: AlarmId(self.next_alarm),
                kind,
                vehicle,
                severity,
                raised_at: now,
                detail,
                acknowledged_by: None,
                cleared_at: None,
            });
            self.next_alarm += 1;
        }
        self.events.push_back(e.clone());
        while self.events.len() > EVENTS_KEPT {
            self.events.pop_front();
        }
        self.dirty = true;
        out.push(Effect::Event(e));
    }

    fn clear(&mut self, now: DateTime<Utc>, vehicle: Option<VehicleId>, kind: &AlarmKind) {
        for a in &mut self.alarms {
            if &a.kind == kind && a.vehicle == vehicle && a.cleared_at.is_none() {
                a.cleared_at = Some(now);
            }
        }
        self.alarms.retain(Alarm::is_active);
        self.dirty = true;
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
            },
            events: self.events.clone(),
            alarms: self.alarms.clone(),
            version: self.version,
        }
    }
}

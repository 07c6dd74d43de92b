//! `vigie_station`: the headless heart of Vigie.
//!
//! One controller task owns the link and the rules: every outgoing action is judged by
//! [`flight_rules::evaluate`] against the situation built from live telemetry (the **interlock**)
//! before it reaches a vehicle, and a refusal comes back with its rule IDs and reasons. The UI and
//! the CLI read a [`StationSnapshot`] from a `watch` and send [`StationCommand`]s; they never touch
//! the link directly.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use flight_rules::{
    Action, Authorisation, Decision, FlightMode, LatLon, Pilot, RuleSet, Situation,
    VehicleSnapshot, Verdict, WindReading, WindSource,
};
use tokio::sync::{mpsc, oneshot, watch};
use vigie_link::mission::{MissionItem, MissionType};
use vigie_link::telemetry::{VehicleTelemetry, copter_mode_number};
use vigie_link::{CommandResult, Gcs, GcsConfig, LinkEventKind, VehicleCommand, VehicleHandle};

pub mod fence;
pub mod record;

/// What the station needs to start.
#[derive(Debug, Clone)]
pub struct StationConfig {
    pub gcs: GcsConfig,
    pub rules: RuleSet,
    pub authorisation: Option<Authorisation>,
    pub pilot: Option<Pilot>,
    /// Training flight: pilot rules warn instead of blocking; kept apart from the legal register.
    pub training: bool,
    /// Airframe type of the vehicles (matched against the pilot's qualifications).
    pub airframe: String,
    pub checklist_ticks: BTreeSet<String>,
    /// Terrain elevation at the take-off point when known (AMSL limits are judged with it).
    pub ground_amsl_m: Option<f64>,
    /// Where the register lives (the station's data directory); `None`: flights are not recorded.
    pub register_dir: Option<std::path::PathBuf>,
    /// Aircraft registration number, for the register.
    pub aircraft_registration: String,
}

/// What the pilot (or the demo) asks the station to do.
#[derive(Debug, Clone, PartialEq)]
pub enum StationCommand {
    Arm,
    Disarm,
    Takeoff {
        alt_rel_m: f64,
    },
    GoTo {
        lat_deg: f64,
        lon_deg: f64,
        alt_rel_m: f64,
    },
    Orbit {
        lat_deg: f64,
        lon_deg: f64,
        alt_rel_m: f64,
        radius_m: f64,
    },
    SetMode(String),
    Rtl,
    Land,
    /// Compute the fence from the zones and the authorisation, upload it, read it back, enable it.
    UploadFence,
    TickChecklist(String),
    AddWind(WindReading),
}

/// How a command ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A flight rule said no; nothing was sent.
    Refused(Decision),
    /// Sent; the vehicle answered.
    Done {
        decision: Decision,
        result: CommandResult,
    },
    /// Local change (checklist, wind) or fence upload that succeeded.
    Applied {
        decision: Decision,
        detail: String,
    },
    Failed(String),
}

impl Outcome {
    pub fn accepted(&self) -> bool {
        matches!(
            self,
            Outcome::Done {
                result: CommandResult::Accepted,
                ..
            } | Outcome::Applied { .. }
        )
    }
}

/// One vehicle as the UI sees it.
#[derive(Debug, Clone, Default)]
pub struct VehicleView {
    pub telemetry: VehicleTelemetry,
    /// The verdict ARM would get now, with its findings (shown before the pilot presses it).
    pub preflight: Option<Decision>,
    /// The in-flight evaluation (position, wind, window, breach prediction).
    pub monitor: Option<Decision>,
    pub fence_loaded: bool,
    pub fence_enabled: bool,
}

#[derive(Debug, Clone, Default)]
pub struct StationSnapshot {
    pub vehicles: BTreeMap<u8, VehicleView>,
    /// The latest events, newest last ("HH:MM:SS text").
    pub log: VecDeque<String>,
    pub training: bool,
    pub authorisation: Option<String>,
    pub pilot: Option<String>,
    /// Wind readings from the ground (anemometer, METAR) in force.
    pub ground_wind: Vec<WindReading>,
    /// The flight being recorded in the register, if any.
    pub recording_flight: Option<String>,
}

const LOG_LINES: usize = 200;

type Reply = oneshot::Sender<Outcome>;

/// Cheap to clone; the UI and the CLI each hold one.
#[derive(Clone)]
pub struct StationHandle {
    snapshot: watch::Receiver<StationSnapshot>,
    commands: mpsc::Sender<(u8, StationCommand, Reply)>,
    gcs: Gcs,
    rules: Arc<RuleSet>,
    authorisation: Option<Arc<Authorisation>>,
}

impl StationHandle {
    pub fn snapshot(&self) -> watch::Receiver<StationSnapshot> {
        self.snapshot.clone()
    }

    pub fn gcs(&self) -> &Gcs {
        &self.gcs
    }

    /// The rules and the authorisation in force (for maps and checklists).
    pub fn rules(&self) -> (Arc<RuleSet>, Option<Arc<Authorisation>>) {
        (self.rules.clone(), self.authorisation.clone())
    }

    /// Ask; the interlock judges, then the vehicle answers.
    pub async fn command(&self, sysid: u8, cmd: StationCommand) -> Outcome {
        let (tx, rx) = oneshot::channel();
        if self.commands.send((sysid, cmd, tx)).await.is_err() {
            return Outcome::Failed("the station has stopped".into());
        }
        rx.await
            .unwrap_or_else(|_| Outcome::Failed("the station has stopped".into()))
    }

    /// Send without waiting (from a UI thread); the outcome lands in the log.
    pub fn command_nowait(&self, sysid: u8, cmd: StationCommand) {
        let (tx, _rx) = oneshot::channel();
        let _ = self.commands.try_send((sysid, cmd, tx));
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StationError {
    #[error(transparent)]
    Link(#[from] vigie_link::GcsError),
    #[error("cannot start the register thread: {0}")]
    Register(#[from] std::io::Error),
}

pub async fn start(config: StationConfig) -> Result<StationHandle, StationError> {
    let gcs = Gcs::start(config.gcs.clone()).await?;
    let (snap_tx, snap_rx) = watch::channel(StationSnapshot {
        training: config.training,
        authorisation: config
            .authorisation
            .as_ref()
            .map(|a| format!("{} ({})", a.arrete, a.finalite)),
        pilot: config
            .pilot
            .as_ref()
            .map(|p| format!("{} ({})", p.name, p.certificate_number)),
        ..Default::default()
    });
    let (cmd_tx, cmd_rx) = mpsc::channel(64);
    let rules = Arc::new(config.rules.clone());
    let authorisation = config.authorisation.clone().map(Arc::new);
    let snap_tx = Arc::new(snap_tx);
    let recording = match &config.register_dir {
        Some(dir) => {
            let session = record::Session {
                data_dir: dir.clone(),
                training: config.training,
                pilot: config.pilot.clone(),
                authorisation: config.authorisation.clone(),
                aircraft: config.aircraft_registration.clone(),
            };
            let snap = snap_tx.clone();
            Some(record::start(session, move |line| push_log(&snap, line))?)
        }
        None => None,
    };
    let controller = Controller {
        config,
        gcs: gcs.clone(),
        snap: snap_tx,
        fence: BTreeMap::new(),
        wind_extra: Vec::new(),
        wind_exceeded_at: None,
        recording,
        flight: None,
    };
    tokio::spawn(controller.run(cmd_rx));
    Ok(StationHandle {
        snapshot: snap_rx,
        commands: cmd_tx,
        gcs,
        rules,
        authorisation,
    })
}

/// The flight being recorded: which vehicle, and where its tlog goes.
struct ActiveFlight {
    sysid: u8,
    tlog: Option<std::path::PathBuf>,
}

fn push_log(snap: &watch::Sender<StationSnapshot>, line: String) {
    let line = format!("{} {}", chrono::Local::now().format("%H:%M:%S"), line);
    tracing::info!("{line}");
    snap.send_modify(|s| {
        s.log.push_back(line);
        while s.log.len() > LOG_LINES {
            s.log.pop_front();
        }
    });
}

struct Controller {
    config: StationConfig,
    gcs: Gcs,
    snap: Arc<watch::Sender<StationSnapshot>>,
    recording: Option<record::Recording>,
    flight: Option<ActiveFlight>,
    /// Per vehicle: (fence uploaded and verified, fence enabled).
    fence: BTreeMap<u8, (bool, bool)>,
    /// Wind readings from outside the vehicle (anemometer, METAR).
    wind_extra: Vec<WindReading>,
    wind_exceeded_at: Option<DateTime<Utc>>,
}

fn utc(t: SystemTime) -> DateTime<Utc> {
    DateTime::<Utc>::from(t)
}

/// From link telemetry to the rules' view of the vehicle.
pub fn vehicle_snapshot(
    t: &VehicleTelemetry,
    airframe: &str,
    fence_loaded: bool,
    fence_enabled: bool,
) -> VehicleSnapshot {
    let alt = t.position.map(|p| p.alt_rel_m);
    VehicleSnapshot {
        airframe: airframe.to_string(),
        gps_fix_type: t.gps.map_or(0, |g| g.fix_type),
        satellites: t.gps.and_then(|g| g.satellites).unwrap_or(0),
        h_accuracy_m: t.gps.and_then(|g| g.hdop).map(|h| h * 2.5),
        position: t.position.map(|p| LatLon::new(p.lat_deg, p.lon_deg)),
        position_at: t.position_at.map(utc),
        alt_rel_home_m: alt,
        alt_amsl_m: t.position.map(|p| p.alt_amsl_m),
        ground_velocity_ne_mps: t.velocity_ned_mps.map(|v| [v[0], v[1]]),
        battery_pct: t.battery.and_then(|b| b.remaining_pct),
        home_set: t.home.is_some(),
        home: t.home.map(|h| LatLon::new(h.lat_deg, h.lon_deg)),
        fence_loaded,
        fence_enabled,
        armed: t.armed,
        airborne: match t.landed_state {
            Some(s) => s >= 2,
            None => t.armed && alt.is_some_and(|a| a > 1.0),
        },
    }
}

fn mode_of(name: &str) -> FlightMode {
    match name.to_ascii_uppercase().as_str() {
        "STABILIZE" => FlightMode::Stabilize,
        "ALT_HOLD" => FlightMode::AltHold,
        "LOITER" => FlightMode::Loiter,
        "POSHOLD" => FlightMode::PosHold,
        "GUIDED" => FlightMode::Guided,
        "AUTO" => FlightMode::Auto,
        "RTL" => FlightMode::Rtl,
        "LAND" => FlightMode::Land,
        "BRAKE" => FlightMode::Brake,
        other => FlightMode::Other(other.to_string()),
    }
}

impl Controller {
    fn log(&self, line: impl Into<String>) {
        let line = line.into();
        // During a flight, everything the pilot is told also goes to the flight's record.
        if self.flight.is_some()
            && let Some(r) = &self.recording
        {
            let alarm = line.contains("ALARM") || line.contains("REFUSED");
            let _ = r.tx.send(record::RecordMsg::Event {
                at: Utc::now(),
                alarm,
                text: line.clone(),
            });
        }
        push_log(&self.snap, line);
    }

    /// Open a flight at arming and seal it at disarming; sample the track while it flies.
    async fn track_flight(&mut self) {
        let Some(rec) = &self.recording else { return };
        let vehicles = self.gcs.vehicles().borrow().clone();
        match &self.flight {
            None => {
                let Some((sysid, t)) = vehicles
                    .iter()
                    .map(|(s, v)| (*s, v.snapshot()))
                    .find(|(_, t)| t.armed)
                else {
                    return;
                };
                let now = Utc::now();
                let flight_id = format!("{}-v{sysid}", now.format("%Y%m%dT%H%M%SZ"));
                let (tx, rx) = oneshot::channel();
                let takeoff = t.position.map(|p| (p.lat_deg, p.lon_deg));
                if rec
                    .tx
                    .send(record::RecordMsg::FlightStarted {
                        flight_id: flight_id.clone(),
                        at: now,
                        takeoff,
                        reply: tx,
                    })
                    .is_err()
                {
                    return;
                }
                let dir = rx.await.ok().flatten();
                let tlog = dir.map(|d| d.join("flight.tlog"));
                if let Some(path) = &tlog
                    && let Err(e) = self.gcs.set_tlog(Some(path.clone())).await
                {
                    self.log(format!("ALARM flight tlog not written: {e}"));
                }
                self.flight = Some(ActiveFlight { sysid, tlog });
                self.snap
                    .send_modify(|s| s.recording_flight = Some(flight_id));
            }
            Some(f) => {
                let sysid = f.sysid;
                let Some(t) = vehicles.get(&sysid).map(VehicleHandle::snapshot) else {
                    return;
                };
                if t.armed {
                    if let Some(p) = t.position {
                        let sample = vigie_register::TelemetrySample {
                            time: Utc::now(),
                            lat_deg: p.lat_deg,
                            lon_deg: p.lon_deg,
                            alt_agl_m: p.alt_rel_m,
                            ground_speed_mps: t.ground_speed_mps.unwrap_or(0.0),
                            battery_pct: t.battery.and_then(|b| b.remaining_pct),
                            wind_speed_mps: t.wind.map(|w| w.speed_mps),
                            wind_from_deg: t.wind.map(|w| w.from_deg),
                            roll_deg: t.roll_deg.unwrap_or(0.0),
                            pitch_deg: t.pitch_deg.unwrap_or(0.0),
                            yaw_deg: t.yaw_deg.unwrap_or(0.0),
                        };
                        let _ = rec.tx.send(record::RecordMsg::Sample(Box::new(sample)));
                    }
                    return;
                }
                // Disarmed: close the tlog first (flushed), then seal with its digest.
                let tlog = self.flight.take().and_then(|f| f.tlog);
                if tlog.is_some()
                    && let Err(e) = self.gcs.set_tlog(None).await
                {
                    self.log(format!("ALARM flight tlog not closed: {e}"));
                }
                if let Some(rec) = &self.recording {
                    let _ = rec.tx.send(record::RecordMsg::FlightEnded {
                        at: Utc::now(),
                        tlog,
                    });
                }
                self.snap.send_modify(|s| s.recording_flight = None);
            }
        }
    }

    fn situation(&self, t: &VehicleTelemetry) -> Situation {
        let (loaded, enabled) = self.fence.get(&t.sysid).copied().unwrap_or((false, false));
        let mut wind = self.wind_extra.clone();
        if let Some(w) = t.wind {
            wind.push(WindReading {
                source: WindSource::Vehicle,
                mean_mps: w.speed_mps,
                gust_mps: None,
                from_deg: Some(w.from_deg),
                observed_at: utc(w.received_at),
            });
        }
        Situation {
            pilot: self.config.pilot.clone(),
            training: self.config.training,
            authorisation: self.config.authorisation.clone(),
            vehicle: Some(vehicle_snapshot(t, &self.config.airframe, loaded, enabled)),
            wind,
            wind_last_exceeded_at: self.wind_exceeded_at,
            mission: None,
            takeoff_point: None,
            ground_amsl_m: self.config.ground_amsl_m,
            geoid_undulation_m: None,
            checklist_ticks: self.config.checklist_ticks.clone(),
            cameras_in_use: None,
        }
    }

    async fn run(mut self, mut commands: mpsc::Receiver<(u8, StationCommand, Reply)>) {
        let mut events = self.gcs.events();
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        loop {
            tokio::select! {
                c = commands.recv() => match c {
                    Some((sysid, cmd, reply)) => {
                        let outcome = self.handle(sysid, cmd.clone()).await;
                        // Routine wind updates would drown the log; refusals and actions never do.
                        if !matches!(cmd, StationCommand::AddWind(_)) {
                            self.log(describe(sysid, &cmd, &outcome));
                        }
                        // Publish the verdicts as they stand after this command, before replying.
                        self.refresh();
                        let _ = reply.send(outcome);
                    }
                    None => return,
                },
                e = events.recv() => match e {
                    Ok(ev) => self.on_event(ev.kind),
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => self.log(format!("{n} link events not shown (too many at once)")),
                    Err(_) => return,
                },
                _ = tick.tick() => {
                    self.refresh();
                    self.track_flight().await;
                }
            }
        }
    }

    fn on_event(&self, kind: LinkEventKind) {
        use vigie_link::telemetry::TelemetryChange as T;
        let line = match kind {
            LinkEventKind::VehicleAppeared { sysid, .. } => format!("vehicle {sysid} connected"),
            LinkEventKind::VehicleLost { sysid, .. } => format!("ALARM vehicle {sysid}: link lost"),
            LinkEventKind::VehicleRegained { sysid, .. } => {
                format!("vehicle {sysid}: link regained")
            }
            LinkEventKind::LinkUp { link, detail } => format!("link {link} up ({detail})"),
            LinkEventKind::LinkDown { link, reason } => format!("link {link} down: {reason}"),
            LinkEventKind::Telemetry { sysid, change } => match change {
                T::ArmedChanged(a) => {
                    format!("vehicle {sysid} {}", if a { "ARMED" } else { "disarmed" })
                }
                T::ModeChanged(m) => format!("vehicle {sysid} mode {m}"),
                T::StatusText(s) => format!("vehicle {sysid}: {}", s.text),
                T::MissionItemReached(n) => format!("vehicle {sysid} reached item {n}"),
                T::FenceBreachChanged(true) => format!("ALARM vehicle {sysid}: FENCE BREACH"),
                T::FenceBreachChanged(false) => format!("vehicle {sysid}: back inside the fence"),
                T::VideoStream(v) => format!(
                    "vehicle {sysid} video: {} {}x{}",
                    v.uri, v.width_px, v.height_px
                ),
            },
            LinkEventKind::CommandDropped { link, message } => {
                format!("dropped {message} from read-only output {link}")
            }
            LinkEventKind::SigningRejected { link, sysid, why } => {
                format!("ALARM rejected frames from {sysid} on {link}: {why}")
            }
        };
        self.log(line);
    }

    /// Re-judge every vehicle (preflight and in flight) and publish.
    fn refresh(&mut self) {
        let now = Utc::now();
        let vehicles = self.gcs.vehicles().borrow().clone();
        let mut views = BTreeMap::new();
        for (sysid, v) in vehicles {
            let t = v.snapshot();
            let s = self.situation(&t);
            // Remember when the wind was last above the limit: the gate's hysteresis needs it.
            let airborne = s.vehicle.as_ref().is_some_and(|v| v.airborne);
            let gate = flight_rules::wind_gate(
                &s.wind,
                &self.config.rules.limits,
                &self.config.airframe,
                airborne,
                self.wind_exceeded_at,
                now,
            );
            if gate.exceeded_now {
                self.wind_exceeded_at = Some(now);
            }
            let s = Situation {
                wind_last_exceeded_at: self.wind_exceeded_at,
                ..s
            };
            let preflight = flight_rules::evaluate(&self.config.rules, &s, &Action::Arm, now);
            let monitor = flight_rules::evaluate(&self.config.rules, &s, &Action::Monitor, now);
            let (fence_loaded, fence_enabled) =
                self.fence.get(&sysid).copied().unwrap_or((false, false));
            views.insert(
                sysid,
                VehicleView {
                    telemetry: t,
                    preflight: Some(preflight),
                    monitor: Some(monitor),
                    fence_loaded,
                    fence_enabled,
                },
            );
        }
        self.snap.send_modify(|s| s.vehicles = views);
    }

    async fn handle(&mut self, sysid: u8, cmd: StationCommand) -> Outcome {
        match &cmd {
            StationCommand::TickChecklist(id) => {
                self.config.checklist_ticks.insert(id.clone());
                return Outcome::Applied {
                    decision: Decision::from_findings(vec![]),
                    detail: format!("checklist item {id} ticked"),
                };
            }
            StationCommand::AddWind(w) => {
                self.wind_extra.retain(|x| x.source != w.source);
                self.wind_extra.push(*w);
                let readings = self.wind_extra.clone();
                self.snap.send_modify(|s| s.ground_wind = readings);
                return Outcome::Applied {
                    decision: Decision::from_findings(vec![]),
                    detail: format!("wind {:?} {:.1} m/s", w.source, w.peak_mps()),
                };
            }
            _ => {}
        }
        let Some(vehicle) = self.gcs.vehicles().borrow().get(&sysid).cloned() else {
            return Outcome::Failed(format!("vehicle {sysid} is not connected"));
        };
        let t = vehicle.snapshot();
        let action = match &cmd {
            StationCommand::Arm => Action::Arm,
            StationCommand::Disarm => Action::Disarm,
            StationCommand::Takeoff { alt_rel_m } => Action::Takeoff { alt_m: *alt_rel_m },
            StationCommand::GoTo {
                lat_deg,
                lon_deg,
                alt_rel_m,
            } => Action::GoTo {
                target: LatLon::new(*lat_deg, *lon_deg),
                alt: flight_rules::Altitude::rel_home(*alt_rel_m),
            },
            StationCommand::Orbit {
                lat_deg,
                lon_deg,
                alt_rel_m,
                radius_m,
            } => Action::Orbit {
                center: LatLon::new(*lat_deg, *lon_deg),
                radius_m: *radius_m,
                alt: flight_rules::Altitude::rel_home(*alt_rel_m),
            },
            StationCommand::SetMode(m) => Action::SetMode(mode_of(m)),
            StationCommand::Rtl => Action::Rtl,
            StationCommand::Land => Action::Land,
            StationCommand::UploadFence => Action::UploadFence,
            StationCommand::TickChecklist(_) | StationCommand::AddWind(_) => Action::Monitor,
        };
        // The interlock: nothing leaves without a verdict, and Deny stops it here.
        let decision =
            flight_rules::evaluate(&self.config.rules, &self.situation(&t), &action, Utc::now());
        if decision.verdict == Verdict::Deny {
            return Outcome::Refused(decision);
        }
        if cmd == StationCommand::UploadFence {
            return self.upload_fence(&vehicle, decision).await;
        }
        let vc = match cmd {
            StationCommand::Arm => VehicleCommand::Arm,
            StationCommand::Disarm => VehicleCommand::Disarm,
            StationCommand::Takeoff { alt_rel_m } => VehicleCommand::Takeoff {
                alt_rel_m: alt_rel_m as f32,
            },
            StationCommand::GoTo {
                lat_deg,
                lon_deg,
                alt_rel_m,
            } => VehicleCommand::Reposition {
                lat_deg,
                lon_deg,
                alt_rel_m: alt_rel_m as f32,
                ground_speed_mps: None,
            },
            StationCommand::Orbit {
                lat_deg,
                lon_deg,
                alt_rel_m,
                radius_m,
            } => VehicleCommand::Orbit {
                lat_deg,
                lon_deg,
                alt_rel_m: alt_rel_m as f32,
                radius_m: radius_m as f32,
                velocity_mps: 3.0,
            },
            StationCommand::SetMode(ref m) => match copter_mode_number(m) {
                Some(n) => VehicleCommand::SetMode { custom_mode: n },
                None => {
                    return Outcome::Failed(format!(
                        "unknown flight mode {m:?}; use e.g. GUIDED, LOITER, RTL, LAND"
                    ));
                }
            },
            StationCommand::Rtl => VehicleCommand::ReturnToLaunch,
            StationCommand::Land => VehicleCommand::Land,
            StationCommand::UploadFence
            | StationCommand::TickChecklist(_)
            | StationCommand::AddWind(_) => {
                return Outcome::Failed("not a vehicle command".into());
            }
        };
        match vehicle.command(vc).await {
            Ok(result) => Outcome::Done { decision, result },
            Err(e) => Outcome::Failed(e.to_string()),
        }
    }

    async fn upload_fence(&mut self, vehicle: &VehicleHandle, decision: Decision) -> Outcome {
        let Some(auth) = self.config.authorisation.clone() else {
            return Outcome::Failed(
                "no authorisation loaded: the fence's inclusion is its perimeter".into(),
            );
        };
        let plan = match flight_rules::fence_plan(
            &self.config.rules.zones,
            &auth,
            &self.config.rules.limits,
            fence::VERTEX_BUDGET,
            Utc::now(),
        ) {
            Ok(p) => p,
            Err(e) => return Outcome::Failed(format!("cannot build the fence: {e}")),
        };
        let items: Vec<MissionItem> = fence::items(&plan);
        let n = items.len();
        if let Err(e) = vehicle.upload_verified(MissionType::Fence, items).await {
            return Outcome::Failed(format!("fence upload: {e}"));
        }
        // Ceiling and action as parameters (fence items carry no altitude).
        for (name, value) in fence::params(&plan) {
            if let Err(e) = vehicle.param_set(name, value, 9).await {
                return Outcome::Failed(format!("fence parameter {name}: {e}"));
            }
        }
        let enabled = matches!(
            vehicle.command(VehicleCommand::FenceEnable(true)).await,
            Ok(CommandResult::Accepted)
        );
        self.fence.insert(vehicle.sysid(), (true, enabled));
        Outcome::Applied {
            decision,
            detail: format!(
                "fence of {n} items uploaded, read back identical{}",
                if enabled {
                    ", enabled"
                } else {
                    ", NOT enabled"
                }
            ),
        }
    }
}

fn describe(sysid: u8, cmd: &StationCommand, o: &Outcome) -> String {
    let reasons = |d: &Decision| {
        d.findings
            .iter()
            .map(|f| format!("{} {}", f.rule_id, f.reason))
            .collect::<Vec<_>>()
            .join("; ")
    };
    match o {
        Outcome::Refused(d) => format!("REFUSED {cmd:?} for vehicle {sysid}: {}", reasons(d)),
        Outcome::Done { result, decision } if decision.verdict == Verdict::Warn => {
            format!("{cmd:?} → {result:?} (warnings: {})", reasons(decision))
        }
        Outcome::Done { result, .. } => format!("{cmd:?} → {result:?}"),
        Outcome::Applied { detail, .. } => detail.clone(),
        Outcome::Failed(e) => format!("{cmd:?} failed: {e}"),
    }
}

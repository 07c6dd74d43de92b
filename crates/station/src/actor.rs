//! The station's one task: it owns the link hub and the register thread, feeds every input to
//! the pure [`StationState`] and carries out the effects it returns. It never waits on a vehicle
//! or a disk: link work runs in spawned tasks whose results come back as inputs, so a safety
//! command is served within microseconds whatever else is in progress.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use vigie_link::{LinkHub, VehicleHandle};

use crate::event::StationEvent;
use crate::handle::{Request, StationHandle, TelemetryMap};
use crate::interlock::VehicleWork;
use crate::protocol::{Failure, Outcome, SessionRequest, StationCommand, VehicleId};
use crate::register_thread::{self, RecordMsg, Recording, RegisterFeedback};
use crate::snapshot::StationSnapshot;
use crate::state::{
    CoreConfig, FeedInput, OpId, OpResult, RequestId, SessionState, ShutdownReport, StationState,
};
use crate::{Effect, StationConfig, StationError};

/// The snapshot is published on change, at most this often.
const PUBLISH_EVERY: Duration = Duration::from_millis(50);
/// The core's clock: staleness, windows, hysteresis.
const TICK_EVERY: Duration = Duration::from_millis(250);

enum Input {
    Telemetry(VehicleId, Box<vigie_link::VehicleTelemetry>),
    OpResult(OpId, OpResult),
    Feed(FeedInput),
    Video(VehicleId, crate::video::VideoHealth),
    /// A stream a vehicle announced was started (or not), off the actor.
    VideoStarted(Box<crate::video::StartedVideo>),
}

struct Actor {
    state: StationState,
    hub: LinkHub,
    vehicles: BTreeMap<VehicleId, VehicleHandle>,
    replies: HashMap<RequestId, oneshot::Sender<Outcome>>,
    next_request: u64,
    snap_tx: watch::Sender<StationSnapshot>,
    tel_tx: watch::Sender<TelemetryMap>,
    events_tx: broadcast::Sender<StationEvent>,
    inputs_tx: mpsc::Sender<Input>,
    results_tx: mpsc::UnboundedSender<Input>,
    /// Declared before `recording`: dropped first, so the video's last segments are filed and
    /// its senders to the register thread gone before that thread is joined.
    video: crate::video::Videos,
    recording: Option<Recording>,
    /// Each open flight's tlog, by flight id.
    tlogs: HashMap<String, PathBuf>,
    /// Where imported arrêtés are kept.
    authorisation_store: Option<PathBuf>,
    /// To validate an imported arrêté (its finalité, its validity).
    limits: flight_rules::Limits,
    /// Vehicles whose flight was interrupted at shutdown (their tlogs are closed before exit).
    interrupted: Vec<VehicleId>,
}

pub async fn start(config: StationConfig) -> Result<StationHandle, StationError> {
    let hub = LinkHub::start(config.link.clone()).await?;
    let (feedback_tx, feedback_rx) = mpsc::unbounded_channel();
    let recording = match &config.register_dir {
        Some(dir) => Some(register_thread::start(
            register_thread::RegisterConfig {
                data_dir: dir.clone(),
                training: config.training,
                aircraft: config.aircraft_registration.clone(),
                witnesses: config.witnesses.clone(),
                login: vigie_register::LoginPolicy::default(),
                training_counts_for_recency: config.policy.training_counts_for_recency,
                operator_registration: config
                    .operator_registration
                    .as_ref()
                    .map(ToString::to_string),
            },
            feedback_tx,
        )?),
        None => None,
    };
    let rules = Arc::new(config.rules);
    let state = StationState::new(CoreConfig {
        rules: rules.clone(),
        session: SessionState {
            logged_in: config.pilot.is_some(),
            pilot: config.pilot,
            authorisation: config.authorisation.clone(),
            legal_basis: config.legal_basis.clone(),
            training: config.training,
            checklist_ticks: config.checklist_ticks,
            authorisations: config
                .authorisations
                .iter()
                .chain(config.authorisation.iter())
                .map(|a| (a.arrete.clone(), a.clone()))
                .collect(),
            legal_bases: config.legal_bases.clone(),
            legal_basis_id: config.legal_basis_id.clone(),
            operation_area: config.operation_area.clone(),
            operator_registration: config.operator_registration.clone(),
            ..Default::default()
        },
        airframe: config.airframe,
        ground_amsl_m: config.ground_amsl_m,
        terrain: config.terrain.clone(),
        recording: recording.is_some(),
        policy: config.policy.clone(),
    });
    if let Some(r) = &recording {
        let _ =
            r.tx.send(RecordMsg::Session(Box::new(state.session_record())));
    }
    let authorisation_store = config.authorisation_store.clone();
    let feeds = config.feeds.clone();
    let limits = rules.limits.clone();
    let (snap_tx, snap_rx) = watch::channel(StationSnapshot::default());
    let mut feeds = feeds;
    if let Some(intake) = &mut feeds.incidents {
        // The CSU's wall asks which flight each vehicle is on (GET /flights), for its tiles.
        let snap = snap_rx.clone();
        intake.flights = Some(vigie_feeds::incidents::FlightsNow::new(move || {
            snap.borrow()
                .vehicles
                .iter()
                .filter_map(|(id, v)| v.flight.flight_id().map(|f| (id.0, f.to_string())))
                .collect()
        }));
    }
    let (tel_tx, tel_rx) = watch::channel(TelemetryMap::new());
    let (events_tx, _) = broadcast::channel(1024);
    let (cmd_tx, cmd_rx) = mpsc::channel(64);
    let (safety_tx, safety_rx) = mpsc::unbounded_channel();
    let (inputs_tx, inputs_rx) = mpsc::channel(64);
    let inputs_tx_feeds = inputs_tx.clone();
    let frame_slots = crate::video::FrameSlots::default();
    let rtsp_urls = crate::video::RtspUrls::default();
    let video = {
        let tx = inputs_tx.clone();
        // From a GStreamer thread: never wait on the actor; a full lane drops the report (the
        // stream's next report says the same).
        let health = Arc::new(move |v: VehicleId, h: crate::video::VideoHealth| {
            if tx.try_send(Input::Video(v, h)).is_err() {
                tracing::warn!("video health report dropped: the station is busy");
            }
        });
        crate::video::Videos::start(
            crate::video::VideoConfig {
                sources: &config.video,
                thermal: &config.thermal,
                rtsp: config.rtsp.clone(),
                use_announced: config.announced_video,
            },
            health,
            recording.as_ref().map(|r| r.tx.clone()),
            &frame_slots,
            &rtsp_urls,
        )
    };
    let (results_tx, results_rx) = mpsc::unbounded_channel();
    let (shutdown_tx, shutdown_rx) = mpsc::unbounded_channel();
    let actor = Actor {
        state,
        hub,
        vehicles: BTreeMap::new(),
        replies: HashMap::new(),
        next_request: 1,
        snap_tx,
        tel_tx,
        events_tx: events_tx.clone(),
        inputs_tx,
        results_tx,
        recording,
        tlogs: HashMap::new(),
        authorisation_store,
        limits,
        interrupted: Vec::new(),
        video,
    };
    spawn_feeds(&feeds, &inputs_tx_feeds).await?;
    tokio::spawn(actor.run(Lanes {
        commands: cmd_rx,
        safety: safety_rx,
        inputs: inputs_rx,
        results: results_rx,
        feedback: feedback_rx,
        shutdown: shutdown_rx,
    }));
    Ok(StationHandle {
        snapshot: snap_rx,
        telemetry: tel_rx,
        events: events_tx,
        commands: cmd_tx,
        safety: safety_tx,
        rules,
        authorisation: config.authorisation.map(Arc::new),
        shutdown: shutdown_tx,
        video: frame_slots,
        rtsp: rtsp_urls,
    })
}

/// Everything the actor listens to.
struct Lanes {
    commands: mpsc::Receiver<Request>,
    safety: mpsc::UnboundedReceiver<Request>,
    inputs: mpsc::Receiver<Input>,
    results: mpsc::UnboundedReceiver<Input>,
    feedback: mpsc::UnboundedReceiver<RegisterFeedback>,
    shutdown: mpsc::UnboundedReceiver<oneshot::Sender<ShutdownReport>>,
}

impl Actor {
    async fn run(mut self, lanes: Lanes) {
        let Lanes {
            mut commands,
            mut safety,
            mut inputs,
            mut results,
            mut feedback,
            mut shutdown,
        } = lanes;
        let mut link_events = self.hub.events();
        let mut hub_vehicles = self.hub.vehicles();
        let mut tick = tokio::time::interval(TICK_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_publish = tokio::time::Instant::now();
        let mut publish_at: Option<tokio::time::Instant> = None;
        let mut commands_open = true;
        let mut safety_open = true;
        loop {
            let effects = tokio::select! {
                biased;
                r = safety.recv(), if safety_open => match r {
                    Some(r) => self.command(r),
                    None => { safety_open = false; Vec::new() }
                },
                Some(i) = results.recv() => self.input(i),
                r = commands.recv(), if commands_open => match r {
                    Some(r) => self.command(r),
                    None => { commands_open = false; Vec::new() }
                },
                Some(f) = feedback.recv() => self.feedback(f),
                e = link_events.recv() => match e {
                    Ok(ev) => self.state.on_link_event(Utc::now(), &ev.kind),
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!("{n} link events not seen (too many at once)");
                        Vec::new()
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                Ok(()) = hub_vehicles.changed() => {
                    let map = hub_vehicles.borrow_and_update().clone();
                    self.attach(map);
                    Vec::new()
                },
                Some(i) = inputs.recv() => self.input(i),
                _ = tick.tick() => self.state.on_tick(Utc::now()),
                _ = sleep_until_opt(publish_at) => {
                    publish_at = None;
                    Vec::new()
                },
                Some(done) = shutdown.recv() => {
                    let report = self.stop().await;
                    let _ = done.send(report);
                    return;
                },
            };
            self.carry_out(effects);
            if !commands_open && !safety_open {
                // Every handle dropped: the station stops; the register thread seals what is open.
                self.video.shutdown();
                self.publish();
                if let Some(r) = self.recording.take() {
                    tokio::task::spawn_blocking(move || r.close());
                }
                return;
            }
            // Publish on change, at most every PUBLISH_EVERY: a change inside the window waits
            // for its end (the timer branch above wakes the loop then).
            if self.state.is_dirty() {
                let now = tokio::time::Instant::now();
                if now.duration_since(last_publish) >= PUBLISH_EVERY {
                    self.publish();
                    last_publish = now;
                    publish_at = None;
                } else if publish_at.is_none() {
                    publish_at = Some(last_publish + PUBLISH_EVERY);
                }
            }
        }
    }

    /// A clean stop: open flights recorded as interrupted (their tlogs closed and flushed
    /// first), the register closed.
    async fn stop(&mut self) -> ShutdownReport {
        let (effects, report) = self.state.on_shutdown(Utc::now(), "station-shutdown");
        self.carry_out(effects);
        for v in std::mem::take(&mut self.interrupted) {
            if let Err(e) = self.hub.set_tlog(v.0, None).await {
                tracing::error!("flight tlog not closed: {e}");
            }
        }
        self.video.shutdown();
        self.publish();
        if let Some(r) = self.recording.take() {
            let _ = tokio::task::spawn_blocking(move || r.close()).await;
        }
        report
    }

    fn publish(&mut self) {
        let effects = self.state.flush(Utc::now());
        self.carry_out(effects);
        let snap = self.state.snapshot();
        self.snap_tx.send_replace(snap);
    }

    fn command(&mut self, (cmd, reply): Request) -> Vec<Effect> {
        let id = RequestId(self.next_request);
        self.next_request += 1;
        if let Some(reply) = reply {
            self.replies.insert(id, reply);
        }
        // Reading a file is the actor's job: the core is offered the validated arrêté.
        let cmd = match cmd {
            StationCommand::Session(SessionRequest::ImportAuthorisation { path }) => {
                match self.import_authorisation(&path) {
                    Ok(a) => {
                        StationCommand::Session(SessionRequest::OfferAuthorisation(Box::new(a)))
                    }
                    Err(e) => {
                        return vec![Effect::Reply {
                            request: id,
                            outcome: Outcome::failed(Failure::BadAuthorisation(e)),
                        }];
                    }
                }
            }
            other => other,
        };
        self.state.on_command(Utc::now(), id, cmd)
    }

    /// Read and validate an arrêté file and keep a copy in the station's store.
    fn import_authorisation(
        &self,
        path: &std::path::Path,
    ) -> Result<flight_rules::Authorisation, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let a = flight_rules::Authorisation::from_toml(
            &text,
            &path.display().to_string(),
            &self.limits,
        )
        .map_err(|e| e.to_string())?;
        if let Some(dir) = &self.authorisation_store {
            let name: String = a
                .arrete
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            std::fs::create_dir_all(dir)
                .and_then(|_| std::fs::write(dir.join(format!("{name}.toml")), &text))
                .map_err(|e| format!("cannot keep {} in {}: {e}", path.display(), dir.display()))?;
        }
        Ok(a)
    }

    fn input(&mut self, i: Input) -> Vec<Effect> {
        match i {
            Input::Telemetry(id, t) => {
                let mut out = self.announce(id, &t.video_streams);
                out.extend(self.state.on_telemetry(Utc::now(), id, *t));
                out
            }
            Input::VideoStarted(s) => {
                let vehicle = s.vehicle();
                let h = self.video.started(*s);
                self.state.on_video(Utc::now(), vehicle, h)
            }
            Input::OpResult(op, r) => self.state.on_op_result(Utc::now(), op, r),
            Input::Feed(f) => self.state.on_feed(Utc::now(), f),
            Input::Video(v, h) => self.state.on_video(Utc::now(), v, h),
        }
    }

    /// The streams a vehicle announces (VIDEO_STREAM_INFORMATION) that the station should
    /// receive are started on a blocking thread; the result comes back as an input.
    fn announce(
        &mut self,
        vehicle: VehicleId,
        streams: &[vigie_link::VideoStreamInfo],
    ) -> Vec<Effect> {
        if streams.is_empty() {
            return Vec::new();
        }
        let announced = self.video.announced(vehicle, streams);
        for start in announced.start {
            let tx = self.results_tx.clone();
            tokio::task::spawn_blocking(move || {
                let _ = tx.send(Input::VideoStarted(Box::new(start.run())));
            });
        }
        let now = Utc::now();
        announced
            .refused
            .into_iter()
            .flat_map(|h| self.state.on_video(now, vehicle, h))
            .collect()
    }

    fn feedback(&mut self, f: RegisterFeedback) -> Vec<Effect> {
        if let RegisterFeedback::FlightOpened {
            vehicle,
            flight_id,
            dir,
        } = &f
        {
            self.video.flight_opened(*vehicle, flight_id, dir);
            let path = dir.join("flight.tlog");
            self.tlogs.insert(flight_id.clone(), path.clone());
            let hub = self.hub.clone();
            let sysid = vehicle.0;
            tokio::spawn(async move {
                if let Err(e) = hub.set_tlog(sysid, Some(path)).await {
                    tracing::error!("flight tlog not written: {e}");
                }
            });
        }
        self.state.on_register(Utc::now(), f)
    }

    /// New vehicles on the link: forward their telemetry into the core.
    fn attach(&mut self, map: BTreeMap<u8, VehicleHandle>) {
        let mut changed = false;
        for (sysid, handle) in map {
            let id = VehicleId(sysid);
            if self.vehicles.contains_key(&id) {
                continue;
            }
            let mut rx = handle.telemetry();
            let tx = self.inputs_tx.clone();
            tokio::spawn(async move {
                // Coalescing: while the actor is busy this waits on `send`, and the next round
                // takes the newest telemetry, so the core never falls behind the vehicle.
                loop {
                    let t = Box::new(rx.borrow_and_update().clone());
                    if tx.send(Input::Telemetry(id, t)).await.is_err() {
                        return;
                    }
                    if rx.changed().await.is_err() {
                        return;
                    }
                }
            });
            self.tel_tx.send_modify(|m| {
                m.insert(id, handle.telemetry());
            });
            self.vehicles.insert(id, handle);
            changed = true;
        }
        if changed {
            tracing::debug!("vehicles: {:?}", self.vehicles.keys().collect::<Vec<_>>());
        }
    }

    fn carry_out(&mut self, effects: Vec<Effect>) {
        let mut replies = Vec::new();
        for e in effects {
            match e {
                Effect::Reply { request, outcome } => replies.push((request, outcome)),
                Effect::Vehicle { op, vehicle, work } => self.run_work(op, vehicle, work),
                Effect::Event(ev) => {
                    tracing::debug!("{}", ev.describe());
                    let _ = self.events_tx.send(ev.clone());
                    self.record(RecordMsg::Event(Box::new(ev)));
                }
                Effect::OpenFlight {
                    vehicle,
                    at,
                    takeoff,
                } => self.record(RecordMsg::FlightStarted {
                    vehicle,
                    at,
                    takeoff,
                }),
                Effect::CloseFlight {
                    vehicle,
                    flight_id,
                    at,
                } => {
                    // Close the video's last segment and the tlog first (flushed), then seal
                    // with their digests; the segment goes to the register as it closes.
                    let tlog = self.tlogs.remove(&flight_id);
                    let hub = self.hub.clone();
                    let tx = self.recording.as_ref().map(|r| r.tx.clone());
                    let recorders = self.video.take_recorders(vehicle);
                    tokio::spawn(async move {
                        for r in recorders {
                            let _ = tokio::task::spawn_blocking(move || r.stop()).await;
                        }
                        if tlog.is_some()
                            && let Err(e) = hub.set_tlog(vehicle.0, None).await
                        {
                            tracing::error!("flight tlog not closed: {e}");
                        }
                        if let Some(tx) = tx {
                            let _ = tx.send(RecordMsg::FlightEnded {
                                flight_id,
                                at,
                                tlog,
                            });
                        }
                    });
                }
                Effect::Sample { flight_id, sample } => {
                    self.record(RecordMsg::Sample { flight_id, sample })
                }
                Effect::Login {
                    token,
                    pilot_id,
                    pin,
                } => {
                    if self.recording.is_some() {
                        self.record(RecordMsg::Login {
                            token,
                            pilot_id,
                            pin: pin.0,
                            at: Utc::now(),
                        });
                    } else {
                        // No register, no PIN hashes: nobody can log in (fail closed).
                        let f = RegisterFeedback::Login {
                            token,
                            result: Err(register_thread::LoginRefused {
                                reason: "no register on this station: PINs cannot be checked"
                                    .into(),
                                locked_until: None,
                            }),
                        };
                        let more = self.state.on_register(Utc::now(), f);
                        self.carry_out(more);
                    }
                }
                Effect::SessionChanged(s) => self.record(RecordMsg::Session(s)),
                Effect::FlagDomicile {
                    vehicle,
                    by,
                    request,
                } => {
                    let flagged = self.video.flag_domicile(vehicle);
                    let more = self
                        .state
                        .on_domicile(Utc::now(), vehicle, by, request, flagged);
                    self.carry_out(more);
                }
                Effect::ResumeFlight {
                    vehicle,
                    flight_id,
                    gap_s,
                    after_clean_stop,
                } => self.record(RecordMsg::Resume {
                    vehicle,
                    flight_id,
                    gap_s,
                    after_clean_stop,
                }),
                Effect::CloseFlightAway {
                    flight_id,
                    at,
                    report,
                    ..
                } => self.record(RecordMsg::CloseAway {
                    flight_id,
                    at,
                    report,
                }),
                Effect::InterruptFlight {
                    vehicle,
                    flight_id,
                    at,
                    reason,
                    airborne,
                    failsafe,
                } => {
                    self.tlogs.remove(&flight_id);
                    self.interrupted.push(vehicle);
                    // Only at shutdown: waiting for the last segment is what stopping means.
                    for r in self.video.take_recorders(vehicle) {
                        r.stop();
                    }
                    self.record(RecordMsg::Interrupt(Box::new(
                        vigie_register::FlightInterruption {
                            flight_id,
                            at,
                            reason: reason.into(),
                            airborne: Some(airborne),
                            vehicle_failsafe: failsafe,
                        },
                    )));
                }
            }
        }
        if !replies.is_empty() {
            // Whoever gets an answer then reads a snapshot that already shows its effect (the
            // fence enabled, the new verdict), never the picture from before.
            self.publish();
            for (request, outcome) in replies {
                if let Some(tx) = self.replies.remove(&request) {
                    let _ = tx.send(outcome);
                }
            }
        }
    }

    fn record(&self, msg: RecordMsg) {
        if let Some(r) = &self.recording {
            let _ = r.tx.send(msg);
        }
    }

    fn run_work(&self, op: OpId, vehicle: VehicleId, work: VehicleWork) {
        let results = self.results_tx.clone();
        let Some(handle) = self.vehicles.get(&vehicle).cloned() else {
            let _ = results.send(Input::OpResult(
                op,
                OpResult::Failed(Failure::VehicleUnknown(vehicle)),
            ));
            return;
        };
        tokio::spawn(async move {
            let link = |e: vigie_link::RequestError| OpResult::Failed(Failure::Link(e.to_string()));
            let result = match work {
                VehicleWork::Command(cmd) => match handle.command(cmd).await {
                    Ok(r) => OpResult::Acked(r),
                    Err(e) => link(e),
                },
                VehicleWork::Upload { kind, items } => {
                    match handle.upload_verified(kind, items).await {
                        Ok(()) => OpResult::Completed,
                        Err(vigie_link::RequestError::Mission(
                            e @ vigie_link::mission::MissionError::ReadBackMismatch(_),
                        )) => OpResult::Failed(Failure::ReadBack(e.to_string())),
                        Err(e) => link(e),
                    }
                }
                VehicleWork::SetParam {
                    name,
                    value,
                    param_type,
                } => match handle.param_set(name, value, param_type).await {
                    Ok(_) => OpResult::Completed,
                    Err(e) => link(e),
                },
                VehicleWork::ReadParam { name } => match handle.param_read(name).await {
                    Ok(p) => OpResult::ParamValue(p.value),
                    Err(e) => link(e),
                },
                VehicleWork::Download { kind } => match handle.download(kind).await {
                    Ok(items) => OpResult::Downloaded(items),
                    Err(e) => link(e),
                },
            };
            let _ = results.send(Input::OpResult(op, result));
        });
    }
}

/// Start the ground feeds; each one's values and faults become core inputs. A feed that cannot
/// start (a port in use, a METAR file missing) stops the station's start with its reason.
async fn spawn_feeds(
    f: &crate::config::Feeds,
    tx: &mpsc::Sender<Input>,
) -> Result<(), StationError> {
    use vigie_feeds::FeedEvent;
    fn forward<T: Send + 'static>(
        name: &'static str,
        mut feed: vigie_feeds::Feed<T>,
        tx: mpsc::Sender<Input>,
        map: impl Fn(T) -> FeedInput + Send + 'static,
    ) {
        tokio::spawn(async move {
            while let Some(ev) = feed.recv().await {
                let input = match ev {
                    FeedEvent::Data(v) => map(v),
                    FeedEvent::Up { source, detail } => FeedInput::Up {
                        feed: name,
                        detail: format!("{source}: {detail}"),
                    },
                    FeedEvent::Fault(fault) => FeedInput::Fault {
                        feed: name,
                        reason: fault.to_string(),
                    },
                };
                if tx.send(Input::Feed(input)).await.is_err() {
                    return;
                }
            }
        });
    }
    if let Some(a) = &f.anemometer {
        let feed = vigie_feeds::spawn_anemometer(a, Default::default()).await?;
        forward("anemometer", feed, tx.clone(), FeedInput::Wind);
    }
    if let Some(m) = &f.metar {
        let feed = vigie_feeds::spawn_metar(m, Default::default()).await?;
        forward("METAR", feed, tx.clone(), |r| FeedInput::Metar {
            reading: r.reading,
            raw: r.raw,
        });
    }
    if let Some(t) = &f.traffic {
        let feed = vigie_feeds::spawn_traffic(t, Default::default()).await?;
        forward("traffic", feed, tx.clone(), FeedInput::Traffic);
    }
    if let Some(i) = &f.incidents {
        let feed = vigie_feeds::spawn_incidents(i).await?;
        if let Some(a) = feed.local_addr() {
            tracing::info!("incidents taken at http://{a}/incidents");
        }
        forward("incidents", feed, tx.clone(), FeedInput::Incident);
    }
    Ok(())
}

async fn sleep_until_opt(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

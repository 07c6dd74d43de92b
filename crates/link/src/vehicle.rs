//! One actor per vehicle: folds its telemetry into a snapshot and runs the protocols one request
//! at a time, with the clock and the socket that the pure state machines leave out.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use tokio::sync::{broadcast, mpsc, oneshot, watch};

use crate::MavMessage;
use crate::command::{CommandResult, CommandTiming, CommandTx, ForbiddenCommand, VehicleCommand};
use crate::events::{LinkEvent, LinkEventKind};
use crate::mission::{
    ClearTx, DownloadTx, MissionError, MissionItem, MissionTiming, MissionType, UploadTx,
};
use crate::params::{
    Param, ParamEncoding, ParamError, ParamListTx, ParamReadTx, ParamSetTx, ParamTiming,
};
use crate::protocol::{Target, Transaction};
use crate::silence::StationVoice;
use crate::telemetry::VehicleTelemetry;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RequestError {
    #[error("the link to vehicle {0} is closed")]
    Closed(u8),
    #[error(transparent)]
    Forbidden(#[from] ForbiddenCommand),
    #[error(transparent)]
    Mission(#[from] MissionError),
    #[error(transparent)]
    Param(#[from] ParamError),
    /// Asked before (or just after) the station fell silent longer than a GCS failsafe waits:
    /// not sent, the vehicle may have acted alone (see [`crate::silence`]).
    #[error(
        "not sent: the station was silent for {:.1} s, long enough for the vehicle's own failsafe to act, and this was asked before its picture of the vehicle was fresh again; look at the vehicle and ask again",
        silent.as_secs_f64()
    )]
    StationSilent { silent: std::time::Duration },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timings {
    pub command: CommandTiming,
    /// RTL, LAND, BRAKE and disarm: resent sooner and more often, so one lost frame on a bad
    /// radio costs half a second, not a second and a half.
    pub safety_command: CommandTiming,
    pub mission: MissionTiming,
    pub param: ParamTiming,
}

impl Default for Timings {
    fn default() -> Self {
        Self {
            command: CommandTiming::default(),
            safety_command: CommandTiming {
                ack_timeout: std::time::Duration::from_millis(500),
                retries: 12,
                ..CommandTiming::default()
            },
            mission: MissionTiming::default(),
            param: ParamTiming::default(),
        }
    }
}

/// Whole-download attempts; each resumes where the previous one timed out.
const DOWNLOAD_ATTEMPTS: usize = 3;
/// Whole-upload attempts (uploads are not atomic on ArduPilot: a new MISSION_COUNT restarts it).
const UPLOAD_ATTEMPTS: usize = 2;

type Reply<T> = oneshot::Sender<Result<T, RequestError>>;

#[derive(Debug)]
pub(crate) enum Request {
    /// With the time it was asked (a command asked before a station silence is not sent).
    Command(VehicleCommand, Instant, Reply<CommandResult>),
    Upload(MissionType, Vec<MissionItem>, Reply<()>),
    Download(MissionType, Reply<Vec<MissionItem>>),
    Clear(MissionType, Reply<()>),
    ParamList(Reply<Vec<Param>>),
    ParamRead(String, Reply<Param>),
    ParamSet(String, f64, crate::values::ParamType, Reply<Param>),
}

/// A safety command waiting for its acknowledgement, beside whatever else the actor is doing.
struct SafetyTx {
    tx: CommandTx,
    reply: Reply<CommandResult>,
}

/// Talk to one vehicle. Cheap to clone; every method waits for the vehicle's answer.
///
/// Safety commands ([`VehicleCommand::is_safety`]: RTL, LAND, BRAKE, disarm) take their own
/// unbounded lane: they are never queued behind a mission upload or a parameter read, never
/// dropped, and their first frame leaves as soon as the actor sees them.
#[derive(Debug, Clone)]
pub struct VehicleHandle {
    sysid: u8,
    requests: mpsc::Sender<Request>,
    safety: mpsc::UnboundedSender<(VehicleCommand, Reply<CommandResult>)>,
    telemetry: watch::Receiver<VehicleTelemetry>,
    cancel: watch::Sender<u64>,
}

impl VehicleHandle {
    pub fn sysid(&self) -> u8 {
        self.sysid
    }

    /// The latest telemetry; `changed()` on the receiver wakes on every update.
    pub fn telemetry(&self) -> watch::Receiver<VehicleTelemetry> {
        self.telemetry.clone()
    }

    pub fn snapshot(&self) -> VehicleTelemetry {
        self.telemetry.borrow().clone()
    }

    async fn ask<T>(&self, make: impl FnOnce(Reply<T>) -> Request) -> Result<T, RequestError> {
        let (tx, rx) = oneshot::channel();
        self.requests
            .send(make(tx))
            .await
            .map_err(|_| RequestError::Closed(self.sysid))?;
        rx.await.map_err(|_| RequestError::Closed(self.sysid))?
    }

    pub async fn command(&self, cmd: VehicleCommand) -> Result<CommandResult, RequestError> {
        if cmd.is_safety() {
            let (tx, rx) = oneshot::channel();
            self.safety
                .send((cmd, tx))
                .map_err(|_| RequestError::Closed(self.sysid))?;
            return rx.await.map_err(|_| RequestError::Closed(self.sysid))?;
        }
        let asked = Instant::now();
        self.ask(|r| Request::Command(cmd, asked, r)).await
    }

    pub async fn upload(
        &self,
        t: MissionType,
        items: Vec<MissionItem>,
    ) -> Result<(), RequestError> {
        self.ask(|r| Request::Upload(t, items, r)).await
    }

    pub async fn download(&self, t: MissionType) -> Result<Vec<MissionItem>, RequestError> {
        self.ask(|r| Request::Download(t, r)).await
    }

    /// Upload, read back and compare by meaning (item 0 skipped for ArduPilot missions).
    pub async fn upload_verified(
        &self,
        t: MissionType,
        items: Vec<MissionItem>,
    ) -> Result<(), RequestError> {
        self.upload(t, items.clone()).await?;
        let back = self.download(t).await?;
        let ardupilot = self.snapshot().autopilot == crate::values::Autopilot::ArduPilot;
        crate::mission::compare(&items, &back, t, ardupilot)?;
        Ok(())
    }

    pub async fn clear(&self, t: MissionType) -> Result<(), RequestError> {
        self.ask(|r| Request::Clear(t, r)).await
    }

    pub async fn param_list(&self) -> Result<Vec<Param>, RequestError> {
        self.ask(Request::ParamList).await
    }

    pub async fn param_read(&self, name: &str) -> Result<Param, RequestError> {
        let name = name.to_string();
        self.ask(|r| Request::ParamRead(name, r)).await
    }

    /// Set and verify. `param_type` as the vehicle reports it (ArduPilot: real32 for most).
    pub async fn param_set(
        &self,
        name: &str,
        value: f64,
        param_type: crate::values::ParamType,
    ) -> Result<Param, RequestError> {
        let name = name.to_string();
        self.ask(|r| Request::ParamSet(name, value, param_type, r))
            .await
    }

    /// Cancel the request in progress (mission transfers tell the vehicle).
    pub fn cancel(&self) {
        self.cancel.send_modify(|n| *n += 1);
    }
}

pub(crate) struct VehicleActor {
    target: Target,
    gcs_sysid: u8,
    timings: Timings,
    encoding: ParamEncoding,
    inbound: mpsc::Receiver<(u8, u8, MavMessage)>,
    inbound_open: bool,
    requests: mpsc::Receiver<Request>,
    safety_rx: mpsc::UnboundedReceiver<(VehicleCommand, Reply<CommandResult>)>,
    safety: Vec<SafetyTx>,
    outbound: mpsc::Sender<(u8, MavMessage)>,
    telemetry: watch::Sender<VehicleTelemetry>,
    events: broadcast::Sender<LinkEvent>,
    cancel: watch::Receiver<u64>,
    startup: Vec<VehicleCommand>,
    voice: Arc<StationVoice>,
    /// Set by `drive` when it withheld a frame after a station silence.
    withheld: Option<std::time::Duration>,
}

pub(crate) struct Spawned {
    pub handle: VehicleHandle,
    pub inbound: mpsc::Sender<(u8, u8, MavMessage)>,
    pub telemetry: watch::Sender<VehicleTelemetry>,
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn spawn(
    target: Target,
    gcs_sysid: u8,
    timings: Timings,
    autopilot: crate::values::Autopilot,
    outbound: mpsc::Sender<(u8, MavMessage)>,
    events: broadcast::Sender<LinkEvent>,
    startup: Vec<VehicleCommand>,
    voice: Arc<StationVoice>,
) -> Spawned {
    let (in_tx, in_rx) = mpsc::channel(4096);
    let (req_tx, req_rx) = mpsc::channel(64);
    let (safety_tx, safety_rx) = mpsc::unbounded_channel();
    let (tel_tx, tel_rx) = watch::channel(VehicleTelemetry::new(target.sysid, target.compid));
    let (cancel_tx, cancel_rx) = watch::channel(0);
    // PX4 encodes integer parameters bytewise.
    let encoding = if autopilot == crate::values::Autopilot::Px4 {
        ParamEncoding::Bytewise
    } else {
        ParamEncoding::CCast
    };
    let actor = VehicleActor {
        target,
        gcs_sysid,
        timings,
        encoding,
        inbound: in_rx,
        inbound_open: true,
        requests: req_rx,
        safety_rx,
        safety: Vec::new(),
        outbound,
        telemetry: tel_tx.clone(),
        events,
        cancel: cancel_rx,
        startup,
        voice,
        withheld: None,
    };
    tokio::spawn(actor.run());
    Spawned {
        handle: VehicleHandle {
            sysid: target.sysid,
            requests: req_tx,
            safety: safety_tx,
            telemetry: tel_rx,
            cancel: cancel_tx,
        },
        inbound: in_tx,
        telemetry: tel_tx,
    }
}

impl VehicleActor {
    async fn run(mut self) {
        // Ask for the rates and one-off messages the station relies on; answers are not awaited
        // by anyone, but a vehicle that refuses them is told in the events.
        for cmd in std::mem::take(&mut self.startup) {
            let Ok(mut tx) = CommandTx::new(
                self.target,
                cmd.to_wire(),
                CommandTiming {
                    retries: 1,
                    ..self.timings.command
                },
            ) else {
                continue;
            };
            self.drive(&mut tx, None).await;
        }
        loop {
            let deadline = self.safety_deadline();
            tokio::select! {
                biased;
                s = self.safety_rx.recv() => match s {
                    Some((cmd, reply)) => self.start_safety(cmd, reply).await,
                    None => return,
                },
                m = self.inbound.recv(), if self.inbound_open => match m {
                    Some((sysid, compid, msg)) => {
                        self.apply(compid, &msg);
                        self.safety_on_message(sysid, &msg).await;
                    }
                    None => self.inbound_open = false,
                },
                _ = sleep_until_opt(deadline) => self.safety_on_timeout().await,
                r = self.requests.recv() => match r {
                    Some(r) => self.serve(r).await,
                    None => return,
                },
            }
        }
    }

    fn apply(&mut self, compid: u8, msg: &MavMessage) {
        let now = SystemTime::now();
        let mut changes = Vec::new();
        self.telemetry
            .send_modify(|t| changes = t.apply(compid, msg, now));
        for c in changes {
            let _ = self.events.send(LinkEvent {
                at: now,
                kind: LinkEventKind::Telemetry {
                    sysid: self.target.sysid,
                    change: c,
                },
            });
        }
    }

    async fn serve(&mut self, r: Request) {
        let t = self.target;
        let tm = self.timings;
        match r {
            Request::Command(cmd, asked, reply) => {
                let res = match CommandTx::new(t, cmd.to_wire(), tm.command) {
                    Ok(mut tx) => {
                        let r = self.drive(&mut tx, Some(asked)).await;
                        match self.withheld.take() {
                            Some(silent) => Err(RequestError::StationSilent { silent }),
                            None => Ok(r),
                        }
                    }
                    Err(e) => Err(e.into()),
                };
                let _ = reply.send(res);
            }
            Request::Upload(mt, items, reply) => {
                let mut res = Err(RequestError::Closed(t.sysid));
                for _attempt in 0..UPLOAD_ATTEMPTS {
                    res = match UploadTx::new(t, mt, &items, tm.mission) {
                        Ok(mut tx) => self.drive(&mut tx, None).await.map_err(Into::into),
                        Err(e) => Err(e.into()),
                    };
                    if !matches!(
                        res,
                        Err(RequestError::Mission(MissionError::Timeout { .. }))
                    ) {
                        break;
                    }
                }
                let _ = reply.send(res);
            }
            Request::Download(mt, reply) => {
                let mut partial = Vec::new();
                let mut res = Err(MissionError::Cancelled);
                for _attempt in 0..DOWNLOAD_ATTEMPTS {
                    let mut tx =
                        DownloadTx::resume(t, mt, tm.mission, std::mem::take(&mut partial));
                    res = self.drive(&mut tx, None).await;
                    match &res {
                        Err(MissionError::Timeout { .. }) => partial = tx.take_partial(),
                        _ => break,
                    }
                }
                let _ = reply.send(res.map_err(Into::into));
            }
            Request::Clear(mt, reply) => {
                let res = self
                    .drive(&mut ClearTx::new(t, mt, tm.mission), None)
                    .await
                    .map_err(Into::into);
                let _ = reply.send(res);
            }
            Request::ParamList(reply) => {
                let res = self
                    .drive(&mut ParamListTx::new(t, self.encoding, tm.param), None)
                    .await
                    .map_err(Into::into);
                let _ = reply.send(res);
            }
            Request::ParamRead(name, reply) => {
                let res = match ParamReadTx::new(t, &name, self.encoding, tm.param) {
                    Ok(mut tx) => self.drive(&mut tx, None).await.map_err(Into::into),
                    Err(e) => Err(e.into()),
                };
                let _ = reply.send(res);
            }
            Request::ParamSet(name, value, ty, reply) => {
                let res = match ParamSetTx::new(t, &name, value, ty, self.encoding, tm.param) {
                    Ok(mut tx) => self.drive(&mut tx, None).await.map_err(Into::into),
                    Err(e) => Err(e.into()),
                };
                let _ = reply.send(res);
            }
        }
    }

    async fn send(&self, msgs: Vec<MavMessage>) {
        for m in msgs {
            let _ = self.outbound.send((self.target.sysid, m)).await;
        }
    }

    /// Run one transaction to its end, still folding telemetry in as it arrives. With `asked`
    /// (a command's time), no frame of it leaves after a station silence that ended later:
    /// the transaction is cancelled instead and `withheld` says why.
    async fn drive<T: Transaction>(&mut self, tx: &mut T, asked: Option<Instant>) -> T::Output {
        let cancel_at_start = *self.cancel.borrow_and_update();
        let _ = cancel_at_start;
        let mut step = tx.start(Instant::now());
        if let Some(o) = self.hold_after_silence(tx, asked, &mut step) {
            return o;
        }
        self.send(step.send).await;
        if let Some(o) = step.outcome {
            return o;
        }
        loop {
            let deadline = tokio::time::Instant::from_std(tx.deadline());
            let safety_deadline = self.safety_deadline();
            let step = tokio::select! {
                biased;
                // A safety command preempts: its first frame leaves now, beside this transaction.
                s = self.safety_rx.recv() => {
                    if let Some((cmd, reply)) = s {
                        self.start_safety(cmd, reply).await;
                    }
                    continue;
                }
                _ = sleep_until_opt(safety_deadline) => {
                    self.safety_on_timeout().await;
                    continue;
                }
                m = self.inbound.recv(), if self.inbound_open => match m {
                    Some((sysid, compid, msg)) => {
                        self.apply(compid, &msg);
                        self.safety_on_message(sysid, &msg).await;
                        // Only the vehicle's answers, addressed to us or to everyone, count.
                        if sysid == self.target.sysid && addressed_to(&msg, self.gcs_sysid) {
                            tx.on_message(&msg, Instant::now())
                        } else {
                            continue;
                        }
                    }
                    None => { self.inbound_open = false; continue; }
                },
                _ = tokio::time::sleep_until(deadline) => tx.on_timeout(Instant::now()),
                c = self.cancel.changed() => {
                    if c.is_err() { continue; }
                    tx.cancel()
                }
            };
            let mut step = step;
            if let Some(o) = self.hold_after_silence(tx, asked, &mut step) {
                return o;
            }
            self.send(step.send).await;
            if let Some(o) = step.outcome {
                return o;
            }
        }
    }
}

impl VehicleActor {
    /// The frames of a step about to leave, withheld when the station fell silent after the
    /// request was asked (see [`crate::silence`]): the transaction's cancelled outcome instead.
    fn hold_after_silence<T: Transaction>(
        &mut self,
        tx: &mut T,
        asked: Option<Instant>,
        step: &mut crate::protocol::Step<T::Output>,
    ) -> Option<T::Output> {
        let asked = asked?;
        if step.send.is_empty() {
            return None;
        }
        let silent = self.voice.silent_since(asked, Instant::now())?;
        tracing::warn!(
            sysid = self.target.sysid,
            silent_s = silent.as_secs_f64(),
            "a command asked before the station fell silent is not sent"
        );
        // Commands end at once when cancelled (they tell the vehicle nothing): nothing leaves.
        let outcome = tx.cancel().outcome?;
        self.withheld = Some(silent);
        step.send.clear();
        Some(outcome)
    }

    async fn start_safety(&mut self, cmd: VehicleCommand, reply: Reply<CommandResult>) {
        let mut tx = match CommandTx::new(self.target, cmd.to_wire(), self.timings.safety_command) {
            Ok(tx) => tx,
            Err(e) => {
                let _ = reply.send(Err(e.into()));
                return;
            }
        };
        // The same command already waiting (RTL pressed twice): the new press restarts it.
        let step = tx.start(Instant::now());
        self.send(step.send).await;
        match step.outcome {
            Some(o) => {
                let _ = reply.send(Ok(o));
            }
            None => self.safety.push(SafetyTx { tx, reply }),
        }
    }

    fn safety_deadline(&self) -> Option<tokio::time::Instant> {
        self.safety
            .iter()
            .map(|s| s.tx.deadline())
            .min()
            .map(tokio::time::Instant::from_std)
    }

    async fn safety_on_message(&mut self, sysid: u8, msg: &MavMessage) {
        if self.safety.is_empty()
            || sysid != self.target.sysid
            || !addressed_to(msg, self.gcs_sysid)
        {
            return;
        }
        let now = Instant::now();
        let mut send = Vec::new();
        let mut i = 0;
        while i < self.safety.len() {
            let step = self.safety[i].tx.on_message(msg, now);
            send.extend(step.send);
            match step.outcome {
                Some(o) => {
                    let done = self.safety.remove(i);
                    let _ = done.reply.send(Ok(o));
                }
                None => i += 1,
            }
        }
        self.send(send).await;
    }

    async fn safety_on_timeout(&mut self) {
        let now = Instant::now();
        let mut send = Vec::new();
        let mut i = 0;
        while i < self.safety.len() {
            if self.safety[i].tx.deadline() > now {
                i += 1;
                continue;
            }
            let step = self.safety[i].tx.on_timeout(now);
            send.extend(step.send);
            match step.outcome {
                Some(o) => {
                    let done = self.safety.remove(i);
                    let _ = done.reply.send(Ok(o));
                }
                None => i += 1,
            }
        }
        self.send(send).await;
    }
}

async fn sleep_until_opt(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

fn addressed_to(msg: &MavMessage, gcs_sysid: u8) -> bool {
    match mavlink::Message::target_system_id(msg) {
        Some(t) => t == 0 || t == gcs_sysid,
        None => true,
    }
}

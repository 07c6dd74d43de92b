//! One actor per vehicle: folds its telemetry into a snapshot and runs the protocols one request
//! at a time, with the clock and the socket that the pure state machines leave out.

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
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Timings {
    pub command: CommandTiming,
    pub mission: MissionTiming,
    pub param: ParamTiming,
}

/// Whole-download attempts; each resumes where the previous one timed out.
const DOWNLOAD_ATTEMPTS: usize = 3;
/// Whole-upload attempts (uploads are not atomic on ArduPilot: a new MISSION_COUNT restarts it).
const UPLOAD_ATTEMPTS: usize = 2;

type Reply<T> = oneshot::Sender<Result<T, RequestError>>;

#[derive(Debug)]
pub(crate) enum Request {
    Command(VehicleCommand, Reply<CommandResult>),
    Upload(MissionType, Vec<MissionItem>, Reply<()>),
    Download(MissionType, Reply<Vec<MissionItem>>),
    Clear(MissionType, Reply<()>),
    ParamList(Reply<Vec<Param>>),
    ParamRead(String, Reply<Param>),
    ParamSet(String, f64, u8, Reply<Param>),
}

/// Talk to one vehicle. Cheap to clone; every method waits for the vehicle's answer.
#[derive(Debug, Clone)]
pub struct VehicleHandle {
    sysid: u8,
    requests: mpsc::Sender<Request>,
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
        self.ask(|r| Request::Command(cmd, r)).await
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
        let ardupilot = self.snapshot().autopilot == 3;
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

    /// Set and verify. `param_type` as the vehicle reports it (MAV_PARAM_TYPE; 9 = real32).
    pub async fn param_set(
        &self,
        name: &str,
        value: f64,
        param_type: u8,
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
    outbound: mpsc::Sender<(u8, MavMessage)>,
    telemetry: watch::Sender<VehicleTelemetry>,
    events: broadcast::Sender<LinkEvent>,
    cancel: watch::Receiver<u64>,
    startup: Vec<VehicleCommand>,
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
    autopilot: u8,
    outbound: mpsc::Sender<(u8, MavMessage)>,
    events: broadcast::Sender<LinkEvent>,
    startup: Vec<VehicleCommand>,
) -> Spawned {
    let (in_tx, in_rx) = mpsc::channel(4096);
    let (req_tx, req_rx) = mpsc::channel(64);
    let (tel_tx, tel_rx) = watch::channel(VehicleTelemetry::new(target.sysid, target.compid));
    let (cancel_tx, cancel_rx) = watch::channel(0);
    // MAV_AUTOPILOT_PX4 = 12 encodes parameters bytewise.
    let encoding = if autopilot == 12 {
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
        outbound,
        telemetry: tel_tx.clone(),
        events,
        cancel: cancel_rx,
        startup,
    };
    tokio::spawn(actor.run());
    Spawned {
        handle: VehicleHandle {
            sysid: target.sysid,
            requests: req_tx,
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
            self.drive(&mut tx).await;
        }
        loop {
            tokio::select! {
                m = self.inbound.recv(), if self.inbound_open => match m {
                    Some((sysid, compid, msg)) => self.apply(sysid, compid, &msg),
                    None => self.inbound_open = false,
                },
                r = self.requests.recv() => match r {
                    Some(r) => self.serve(r).await,
                    None => return,
                },
            }
        }
    }

    fn apply(&mut self, _sysid: u8, _compid: u8, msg: &MavMessage) {
        let now = SystemTime::now();
        let mut changes = Vec::new();
        self.telemetry.send_modify(|t| changes = t.apply(msg, now));
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
            Request::Command(cmd, reply) => {
                let res = match CommandTx::new(t, cmd.to_wire(), tm.command) {
                    Ok(mut tx) => Ok(self.drive(&mut tx).await),
                    Err(e) => Err(e.into()),
                };
                let _ = reply.send(res);
            }
            Request::Upload(mt, items, reply) => {
                let mut res = Err(RequestError::Closed(t.sysid));
                for _attempt in 0..UPLOAD_ATTEMPTS {
                    res = match UploadTx::new(t, mt, &items, tm.mission) {
                        Ok(mut tx) => self.drive(&mut tx).await.map_err(Into::into),
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
                    res = self.drive(&mut tx).await;
                    match &res {
                        Err(MissionError::Timeout { .. }) => partial = tx.take_partial(),
                        _ => break,
                    }
                }
                let _ = reply.send(res.map_err(Into::into));
            }
            Request::Clear(mt, reply) => {
                let res = self
                    .drive(&mut ClearTx::new(t, mt, tm.mission))
                    .await
                    .map_err(Into::into);
                let _ = reply.send(res);
            }
            Request::ParamList(reply) => {
                let res = self
                    .drive(&mut ParamListTx::new(t, self.encoding, tm.param))
                    .await
                    .map_err(Into::into);
                let _ = reply.send(res);
            }
            Request::ParamRead(name, reply) => {
                let res = match ParamReadTx::new(t, &name, self.encoding, tm.param) {
                    Ok(mut tx) => self.drive(&mut tx).await.map_err(Into::into),
                    Err(e) => Err(e.into()),
                };
                let _ = reply.send(res);
            }
            Request::ParamSet(name, value, ty, reply) => {
                let res = match ParamSetTx::new(t, &name, value, ty, self.encoding, tm.param) {
                    Ok(mut tx) => self.drive(&mut tx).await.map_err(Into::into),
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

    /// Run one transaction to its end, still folding telemetry in as it arrives.
    async fn drive<T: Transaction>(&mut self, tx: &mut T) -> T::Output {
        let cancel_at_start = *self.cancel.borrow_and_update();
        let _ = cancel_at_start;
        let step = tx.start(Instant::now());
        self.send(step.send).await;
        if let Some(o) = step.outcome {
            return o;
        }
        loop {
            let deadline = tokio::time::Instant::from_std(tx.deadline());
            let step = tokio::select! {
                m = self.inbound.recv(), if self.inbound_open => match m {
                    Some((sysid, compid, msg)) => {
                        self.apply(sysid, compid, &msg);
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
            self.send(step.send).await;
            if let Some(o) = step.outcome {
                return o;
            }
        }
    }
}

fn addressed_to(msg: &MavMessage, gcs_sysid: u8) -> bool {
    match mavlink::Message::target_system_id(msg) {
        Some(t) => t == 0 || t == gcs_sysid,
        None => true,
    }
}

//! The only door to the vehicles: a cloneable handle with the snapshot, each vehicle's
//! telemetry, the event stream, and commands answered with typed outcomes.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use flight_rules::{Authorisation, RuleSet};
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use vigie_link::VehicleTelemetry;

use crate::event::StationEvent;
use crate::protocol::{Failure, Outcome, StationCommand, VehicleId};
use crate::snapshot::StationSnapshot;

pub(crate) type Request = (StationCommand, Option<oneshot::Sender<Outcome>>);
pub(crate) type TelemetryMap = BTreeMap<VehicleId, watch::Receiver<VehicleTelemetry>>;

/// Cheap to clone; the UI, the CLI and scripts each hold one. Dropping every handle stops the
/// station (open flights are sealed by the register thread).
#[derive(Clone)]
pub struct StationHandle {
    pub(crate) snapshot: watch::Receiver<StationSnapshot>,
    pub(crate) telemetry: watch::Receiver<TelemetryMap>,
    pub(crate) events: broadcast::Sender<StationEvent>,
    pub(crate) commands: mpsc::Sender<Request>,
    /// RTL, LAND, BRAKE, disarm: unbounded, served before anything else, never dropped.
    pub(crate) safety: mpsc::UnboundedSender<Request>,
    pub(crate) rules: Arc<RuleSet>,
    pub(crate) authorisation: Option<Arc<Authorisation>>,
    pub(crate) shutdown: mpsc::UnboundedSender<oneshot::Sender<crate::state::ShutdownReport>>,
    pub(crate) video: crate::video::FrameSlots,
    pub(crate) rtsp: crate::video::RtspUrls,
}

impl StationHandle {
    /// The latest frames of a vehicle's video, when the station receives one (the UI shows
    /// them; it never starts a pipeline of its own).
    pub fn video(&self, vehicle: VehicleId) -> Option<vigie_video::FrameSlot> {
        self.camera(vehicle, crate::video::Camera::Visible)
    }

    /// The latest frames of one of a vehicle's cameras (visible or thermal).
    pub fn camera(
        &self,
        vehicle: VehicleId,
        camera: crate::video::Camera,
    ) -> Option<vigie_video::FrameSlot> {
        self.video.lock().ok()?.get(&(vehicle, camera)).cloned()
    }

    /// Where a vehicle's video is served over RTSP (`rtsp://HOST:PORT/drone-N`), when the
    /// station serves it.
    pub fn rtsp_url(&self, vehicle: VehicleId) -> Option<String> {
        self.rtsp.lock().ok()?.get(&vehicle).cloned()
    }

    pub fn snapshot(&self) -> watch::Receiver<StationSnapshot> {
        self.snapshot.clone()
    }

    /// Every event as it happens (a lagging receiver loses the oldest; the register has all).
    pub fn events(&self) -> broadcast::Receiver<StationEvent> {
        self.events.subscribe()
    }

    /// One vehicle's telemetry, updated on every message (for scripts that wait on a value).
    pub fn telemetry(&self, id: VehicleId) -> Option<watch::Receiver<VehicleTelemetry>> {
        self.telemetry.borrow().get(&id).cloned()
    }

    /// Wait until this vehicle has been heard.
    pub async fn wait_vehicle(
        &self,
        id: VehicleId,
        timeout: Duration,
    ) -> Option<watch::Receiver<VehicleTelemetry>> {
        let mut rx = self.telemetry.clone();
        let map = tokio::time::timeout(timeout, rx.wait_for(|m| m.contains_key(&id)))
            .await
            .ok()?
            .ok()?;
        map.get(&id).cloned()
    }

    /// The rules and the authorisation in force (for maps and checklists).
    pub fn rules(&self) -> (Arc<RuleSet>, Option<Arc<Authorisation>>) {
        (self.rules.clone(), self.authorisation.clone())
    }

    /// Ask; the interlock judges, then the vehicle answers.
    pub async fn command(&self, cmd: StationCommand) -> Outcome {
        let (tx, rx) = oneshot::channel();
        if !self.enqueue(cmd, Some(tx)).await {
            return Outcome::failed(Failure::Stopped);
        }
        rx.await.unwrap_or(Outcome::failed(Failure::Stopped))
    }

    /// Send without waiting (from a UI thread); the outcome arrives as an event. Safety
    /// commands are never dropped; another command is refused (false) only when 64 are
    /// already waiting.
    pub fn send(&self, cmd: StationCommand) -> bool {
        if cmd.is_safety() {
            return self.safety.send((cmd, None)).is_ok();
        }
        self.commands.try_send((cmd, None)).is_ok()
    }

    /// Stop the station cleanly: each open flight is recorded as interrupted by the station
    /// (not sealed as if it had landed), tlogs are closed, the register is closed; returns once
    /// it has, saying who is airborne and what each vehicle will do without its station. Every
    /// handle answers `Stopped` afterwards.
    pub async fn shutdown(&self) -> crate::state::ShutdownReport {
        let (tx, rx) = oneshot::channel();
        if self.shutdown.send(tx).is_ok() {
            rx.await.unwrap_or_default()
        } else {
            crate::state::ShutdownReport::default()
        }
    }

    async fn enqueue(&self, cmd: StationCommand, reply: Option<oneshot::Sender<Outcome>>) -> bool {
        if cmd.is_safety() {
            self.safety.send((cmd, reply)).is_ok()
        } else {
            self.commands.send((cmd, reply)).await.is_ok()
        }
    }
}

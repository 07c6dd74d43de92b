//! `vigie_station`: the headless heart of Vigie and the only door to a vehicle.
//!
//! - [`state`]: the pure core ([`StationState`]): per-vehicle state, the session, procedures,
//!   the flight lifecycle, alarms; every input returns [`Effect`]s.
//! - [`interlock`]: the one mapping from a request to the rules' `Action`s and the link's work;
//!   nothing is sent without a verdict, and RTL / LAND / BRAKE / disarm are never refused.
//! - [`actor`]: the task carrying the effects out against the link hub and the register thread.
//! - [`handle`]: [`StationHandle`], what the UI, the CLI and scripts hold: a typed
//!   [`StationSnapshot`], each vehicle's telemetry, events, and commands with typed outcomes.
//! - [`protocol`], [`event`], [`snapshot`]: the typed inputs and outputs; [`translate`]: link
//!   telemetry into the rules' types; [`fence`]: a fence plan as ArduPilot items;
//!   [`register_thread`]: the register's own thread; [`facts`]: what each event keeps in the
//!   register beside its sentence, and the training timeline read back from it.

pub mod actor;
pub mod config;
pub mod event;
pub mod facts;
pub mod fence;
pub mod handle;
pub mod interlock;
pub mod protocol;
pub mod register_thread;
pub mod snapshot;
pub mod state;
pub mod translate;
pub mod video;

pub use actor::start;
pub use config::{AutoRtl, Feeds, FlightPolicy, StationConfig};
pub use event::{
    Alarm, AlarmId, AlarmKind, AlarmRef, AlarmSeverity, EventKind, EventLevel, IncidentMilestone,
    StationEvent,
};
pub use handle::StationHandle;
pub use protocol::{
    Done, Failure, Outcome, SessionRequest, StationCommand, VehicleId, VehicleRequest,
};
pub use snapshot::{
    FenceStatus, FlightPhase, IncidentView, MissionStatus, ON_SCENE_M, SessionView,
    StationSnapshot, VehicleView,
};
pub use state::{Effect, OperationArea, ShutdownReport, StationState};
pub use translate::vehicle_snapshot;
/// What `Feeds::incidents` takes (the CLI builds it from its options).
pub use vigie_feeds::IncidentIntake;

#[derive(Debug, thiserror::Error)]
pub enum StationError {
    #[error(transparent)]
    Link(#[from] vigie_link::HubError),
    #[error("cannot start the register thread: {0}")]
    Register(#[from] std::io::Error),
    #[error(transparent)]
    Feed(#[from] vigie_feeds::FeedError),
}

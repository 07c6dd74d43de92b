//! `vigie_link`: MAVLink 2 between Vigie and its drones.
//!
//! - [`frame`]: byte-exact framing, CRC, errors counted and skipped;
//! - [`signing`]: MAVLink 2 signing with replay rejection;
//! - [`command`], [`mission`], [`params`]: the protocols as pure state machines ([`protocol`]);
//! - [`telemetry`]: messages translated once into values with units in their names;
//! - [`tracker`]: heartbeats → appeared / lost / regained;
//! - [`tlog`]: MAVProxy-compatible logs with signing keys redacted;
//! - [`gcs`]: the running hub (transports, routing, heartbeat, forwarder) and [`vehicle`] actors.
//!
//! Only this crate names `mavlink`; it re-exports the dialect for the few callers that must build
//! a raw message (tests, tools).

pub mod address;
pub mod command;
pub mod events;
pub mod forward;
pub mod frame;
pub mod gcs;
pub mod mission;
pub mod params;
pub mod protocol;
pub mod signing;
pub mod stats;
pub mod telemetry;
pub mod tlog;
pub mod tracker;
pub mod transport;
pub mod vehicle;

pub use mavlink::dialects::ardupilotmega;
pub use mavlink::dialects::ardupilotmega::MavMessage;

pub use address::LinkAddress;
pub use command::{CommandResult, VehicleCommand};
pub use events::{LinkEvent, LinkEventKind};
pub use gcs::{Gcs, GcsConfig, GcsError, LinkConfig, LinkRole};
pub use mission::{MissionItem, MissionType};
pub use signing::SigningKey;
pub use telemetry::VehicleTelemetry;
pub use vehicle::{RequestError, VehicleHandle};

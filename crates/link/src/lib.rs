//! `vigie_link`: MAVLink 2 between Vigie and its drones.
//!
//! - [`frame`]: byte-exact framing, CRC, errors counted and skipped;
//! - [`signing`]: MAVLink 2 signing with replay rejection;
//! - [`command`], [`mission`], [`params`]: the protocols as pure state machines ([`protocol`]);
//! - [`telemetry`]: messages translated once into values with units in their names;
//! - [`tracker`]: heartbeats → appeared / lost / regained;
//! - [`tlog`]: MAVProxy-compatible logs with signing keys redacted, and the one fast reader;
//! - [`keystore`], [`passphrase`]: signing keys on disk, and passphrases derived as MAVProxy,
//!   Mission Planner and QGroundControl do;
//! - [`reject`]: refused frames counted by kind, reported at a limited rate;
//! - [`adsb`], [`remote_id`]: manned traffic and Remote ID from the vehicle, as `flight_rules`
//!   types;
//! - [`values`]: MAVLink enumerations (fix, landed state, autopilot, flight mode, parameter type)
//!   as plain Rust types, and fence / mission item builders in [`mission`];
//! - [`hub`]: the running [`LinkHub`] (transports, routing, heartbeat, forwarder, tlogs) and the
//!   [`vehicle`] actors.
//!
//! Only this crate names `mavlink`; it re-exports the dialect for the few callers that must build
//! a raw message (tests, tools).

pub mod address;
pub mod adsb;
pub mod command;
pub mod events;
pub mod forward;
pub mod frame;
pub mod hub;
pub mod keystore;
pub mod mission;
pub mod params;
pub mod passphrase;
pub mod protocol;
pub mod reject;
pub mod remote_id;
pub mod signing;
pub mod silence;
pub mod stats;
pub mod telemetry;
pub mod tlog;
pub mod tracker;
pub mod transport;
pub mod values;
pub mod vehicle;

pub use mavlink::MavHeader;
pub use mavlink::dialects::ardupilotmega;
pub use mavlink::dialects::ardupilotmega::MavMessage;

pub use address::LinkAddress;
pub use command::{CommandResult, VehicleCommand};
pub use events::{LinkEvent, LinkEventKind};
pub use hub::{HubConfig, HubError, LinkConfig, LinkHub, LinkRole};
pub use keystore::{Assignment, KeyStore};
pub use mission::{MissionItem, MissionType};
pub use passphrase::PassphraseScheme;
pub use reject::{RejectCounts, RejectKind};
pub use signing::SigningKey;
pub use telemetry::{LinkSecurity, VehicleTelemetry, VideoStreamInfo};
pub use values::{Autopilot, CopterMode, GpsFix, LandedState, ParamType};
pub use vehicle::{RequestError, VehicleHandle};

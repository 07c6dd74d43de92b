//! `vigie_sim`: a multicopter simulator that speaks MAVLink like ArduCopter 4.x SITL.
//!
//! It depends on the `mavlink` crate and general libraries only, never on a station crate, so a
//! station bug cannot hide behind the same bug here. See `sim/README.md`.

pub mod camera;
pub mod ekf;
pub mod faults;
pub mod fence;
pub mod frame;
pub mod geo;
pub mod params;
pub mod physics;
pub mod received;
pub mod runtime;
pub mod scenario;
pub mod vehicle;
pub mod video;

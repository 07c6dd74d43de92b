//! The station's one integration-test binary: the pure core (tables and properties, no
//! runtime), and the running station against the real `vigie-sim` over real sockets.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test binary: a panic is the failure report

#[path = "integration/common.rs"]
mod common;
#[path = "integration/core.rs"]
mod core;
#[path = "integration/flights.rs"]
mod flights;
#[path = "integration/properties.rs"]
mod properties;
#[path = "integration/recency.rs"]
mod recency;
#[path = "integration/sim.rs"]
mod sim;

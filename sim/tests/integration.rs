//! Integration tests of `vigie-sim`: the real binary over real sockets, with the mavlink crate,
//! pymavlink and MAVProxy as independent peers, plus flight-model tests of the library.
// Test helpers panic on purpose: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_arguments)]

mod integration {
    mod boot;
    mod camera;
    pub mod common;
    mod failsafe;
    mod flight_model;
    mod peers;
    mod protocol;
    mod received;
    mod robustness;
    mod scenario_faults;
    mod video;
}

//! The one integration-test binary of flight_rules.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::type_complexity)] // tests may panic on setup

mod integration {
    pub mod common;
    mod config;
    mod fence;
    mod legal_basis;
    mod link_and_remote_id;
    mod plan;
    mod properties;
    mod rules;
    mod traffic;
    mod wind;
    mod zones;
}

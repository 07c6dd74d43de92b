//! The feeds crate's one integration-test binary: real sockets, a socat pty pair, a local HTTP
//! server, OpenSSL's s_server, and dump1090-mutability as the traffic peer.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test binary: a panic is the failure report

mod common;
mod df17;

mod anemometer;
mod metar;
mod traffic;

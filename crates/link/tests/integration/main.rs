//! The link crate's one integration-test binary: golden frames, real sockets, pymavlink peers.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test binary: a panic is the failure report

mod peer;
mod raw;

mod airspace;
mod cameras;
mod caps;
mod faults;
mod flood;
mod keys;
mod proxy;
mod pymavlink;
mod signing;
mod spoofer;
mod tlog;
mod transports;
mod vectors;

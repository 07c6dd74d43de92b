//! Integration tests of vigie_register: real SQLite files, a real PostgreSQL server, a real writer
//! process killed with SIGKILL, real Rerun recordings, and independent verifiers (sha256sum,
//! OpenSSL, Python `cryptography`).

// Helpers outside #[test] functions are test code too: a panic there is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "integration/common.rs"]
mod common;
#[path = "integration/crash.rs"]
mod crash;
#[path = "integration/faults.rs"]
mod faults;
#[path = "integration/hardening.rs"]
mod hardening;
#[path = "integration/login.rs"]
mod login;
#[path = "integration/peers.rs"]
mod peers;
#[path = "integration/pg.rs"]
mod pg;
#[path = "integration/recorder.rs"]
mod recorder;
#[path = "integration/report.rs"]
mod report;
#[path = "integration/suite.rs"]
mod suite;
#[path = "integration/witness.rs"]
mod witness;

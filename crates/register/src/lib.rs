//! `vigie_register`: the legal flight register of a Vigie station.
//!
//! - [`Register`]: append-only, hash-chained records (SQLite by default, PostgreSQL for a CSU),
//!   station signatures, journaled reads, `verify`, retention `purge`, legal holds, evidence bundles.
//! - [`FlightRecorder`]: the per-flight Rerun `.rrd`, from plain samples.
//! - [`verify_bundle`]: check an exported bundle with nothing but its files.
//!
//! Sync API: the station runs it on a dedicated thread or `spawn_blocking`. Every `now` that decides
//! retention is an argument.

mod bundle;
pub mod chain;
mod error;
pub mod keys;
mod purge;
mod recorder;
pub mod records;
mod register;
pub mod store;
mod training;
mod verify;

pub use bundle::{
    BundleInfo, BundleReport, BundleVerification, MANIFEST, MANIFEST_SIG, verify_bundle,
};
pub use chain::{Entry, GENESIS_HASH, entry_hash};
pub use error::{Error, Result};
pub use recorder::{
    EventLevel, FlightRecorder, RecordingSummary, RrdSummary, TelemetrySample, ZoneStyle,
    read_rrd_summary,
};
pub use records::*;
pub use register::{
    Appended, Break, FlightFilter, FlightSummary, FlightView, OpenOptions, PurgeReport, Register,
    RegisterKind, RetentionPolicy, VerifyReport, file_ref, file_sha256, kind,
};

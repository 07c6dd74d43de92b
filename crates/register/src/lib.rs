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
mod fsutil;
pub mod keys;
pub mod login;
mod purge;
mod recorder;
pub mod records;
mod register;
pub mod report;
pub mod store;
mod training;
pub mod transparency;
mod verify;
pub mod witness;

pub use bundle::{
    BundleInfo, BundleReport, BundleVerification, MANIFEST, MANIFEST_SIG, PinnedKey, verify_bundle,
    verify_bundle_with_key,
};
pub use chain::{Entry, GENESIS_HASH, entry_hash};
pub use error::{Error, Result};
pub use login::{LoginAttempt, LoginOutcome, LoginPolicy, LoginRefusal, hash_pin, verify_pin};
pub use purge::AUTOMATIC_PURGE;
pub use recorder::{
    EventLevel, FlightRecorder, RecordingSummary, RrdGeo, RrdSummary, TelemetrySample, ZoneStyle,
    read_rrd_geo, read_rrd_summary,
};
pub use records::*;
pub use register::{
    Appended, Break, ChainSummary, FlightFilter, FlightSummary, FlightView, OpenOptions,
    PurgeReport, Register, RegisterKind, RetentionPolicy, SealEntry, VerifyReport, file_ref,
    file_sha256, kind,
};
pub use report::{Report, ReportData, ReportZone};
pub use verify::VerifyOptions;
/// Write a file only its owner can read (recordings and reports hold personal data).
pub fn write_private_file(path: &std::path::Path, data: &[u8]) -> Result<()> {
    fsutil::write_private(path, data)
}
pub use witness::{DirWitness, PostgresWitness, SignedHead, Witness, WitnessReport, open_witness};

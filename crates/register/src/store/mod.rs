//! Storage behind one trait: SQLite (default, one file) and PostgreSQL (a département-wide CSU).
//!
//! A store only keeps rows. The chain fields are computed by [`crate::chain::build_entry`] inside the
//! store's write transaction, after it has read the station's head under a lock, so concurrent writers
//! (station + CSU viewer sessions, or several stations on PostgreSQL) never fork a chain.

pub mod pgconn;
pub mod postgres;
pub mod sqlite;

use crate::chain::{Entry, NewEntry};
use crate::error::Result;

/// Schema version this build writes. Migrations run in order up to it.
pub const SCHEMA_VERSION: i64 = 1;
/// PostgreSQL schema: 2 adds the append-only triggers and the witness table.
pub const PG_SCHEMA_VERSION: i64 = 2;

pub trait Store: Send {
    /// File path or connection description, for messages.
    fn location(&self) -> String;
    /// "sqlite" or "postgresql".
    fn backend(&self) -> &'static str;
    /// Append `batch` to `station`'s chain in ONE durable transaction, and tombstone the entries each
    /// new entry `erases`. All or nothing.
    fn append(
        &mut self,
        station: &str,
        recorded_at: &str,
        batch: &[NewEntry],
        sign: &dyn Fn(&str) -> String,
    ) -> Result<Vec<Entry>>;
    /// Entries with `id > after_id`, in id order, at most `limit`.
    fn scan(&mut self, after_id: i64, limit: usize) -> Result<Vec<Entry>>;
    fn get(&mut self, id: i64) -> Result<Option<Entry>>;
    fn by_subject(&mut self, subject: &str) -> Result<Vec<Entry>>;
    fn by_kind(&mut self, kind: &str) -> Result<Vec<Entry>>;
    /// Entries of one station's chain about `subject` (keys are station-scoped: two communes may
    /// both have a flight `F1` in a département register).
    fn by_station_subject(&mut self, station: &str, subject: &str) -> Result<Vec<Entry>>;
    /// Entries of one station's chain of `kind`.
    fn by_station_kind(&mut self, station: &str, kind: &str) -> Result<Vec<Entry>>;
    /// The last entry of a station's chain.
    fn head(&mut self, station: &str) -> Result<Option<Entry>>;
    /// The storage engine's own consistency check (SQLite `quick_check`); `Some(problem)` if broken.
    fn storage_check(&mut self) -> Result<Option<String>>;
}

pub(crate) const COLUMNS: &str = "id, station, station_seq, kind, subject, recorded_at, payload, payload_sha256, prev_hash, hash, signature, erased_by";

/// Reject values that would make the hashed text ambiguous.
pub(crate) fn check_fields(station: &str, new: &NewEntry) -> Result<()> {
    for (name, v) in [
        ("station", station),
        ("kind", new.kind.as_str()),
        ("subject", new.subject.as_str()),
    ] {
        if v.is_empty() || v.contains('\n') {
            return Err(crate::error::Error::BadInput(format!(
                "register entry {name} {v:?} must be non-empty and on one line"
            )));
        }
    }
    Ok(())
}

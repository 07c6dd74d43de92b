//! The hash chain: how an entry's hash is computed, so anyone can recompute it.
//!
//! `hash = SHA-256("vigie-register-entry-v1\n" id "\n" station "\n" station_seq "\n" kind "\n" subject
//! "\n" recorded_at "\n" payload_sha256 "\n" prev_hash)`, every value as UTF-8 text, hashes as lowercase
//! hex. The payload is covered through its digest, so erasing a payload (a tombstone) keeps the chain
//! verifiable. A signature is Ed25519 over the 64 ASCII characters of `hash`.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// `prev_hash` of the first entry of a station's chain.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One row of the register, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Storage order; hashed, because erasures and journal lines refer to entries by id.
    /// Increasing, not necessarily contiguous (PostgreSQL sequences may skip numbers).
    pub id: i64,
    pub station: String,
    /// 1, 2, 3 ... per station, without gaps.
    pub station_seq: i64,
    pub kind: String,
    /// What the entry is about, e.g. `flight:F-20261128-01`.
    pub subject: String,
    /// RFC 3339, UTC, microseconds.
    pub recorded_at: String,
    /// JSON of the record; `None` once erased (tombstone).
    pub payload: Option<String>,
    pub payload_sha256: String,
    pub prev_hash: String,
    pub hash: String,
    /// Ed25519 signature (hex) over `hash`, on sealed flights, day seals and station records.
    pub signature: Option<String>,
    /// Id of the erasure entry that tombstoned this one.
    pub erased_by: Option<i64>,
}

/// What the caller wants appended; the store fills in the chain fields.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub kind: String,
    pub subject: String,
    pub payload: String,
    pub signed: bool,
    /// Entries whose payload this entry erases, in the same transaction.
    pub erases: Vec<i64>,
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

#[allow(clippy::too_many_arguments)]
pub fn entry_hash(
    id: i64,
    station: &str,
    station_seq: i64,
    kind: &str,
    subject: &str,
    recorded_at: &str,
    payload_sha256: &str,
    prev_hash: &str,
) -> String {
    let mut h = Sha256::new();
    h.update(b"vigie-register-entry-v1\n");
    for part in [
        &id.to_string(),
        station,
        &station_seq.to_string(),
        kind,
        subject,
        recorded_at,
        payload_sha256,
    ] {
        h.update(part.as_bytes());
        h.update(b"\n");
    }
    h.update(prev_hash.as_bytes());
    hex::encode(h.finalize())
}

impl Entry {
    pub fn computed_hash(&self) -> String {
        entry_hash(
            self.id,
            &self.station,
            self.station_seq,
            &self.kind,
            &self.subject,
            &self.recorded_at,
            &self.payload_sha256,
            &self.prev_hash,
        )
    }
}

/// Build the next entry of a station's chain, to be stored under `id`. `head` is `(station_seq, hash)`
/// of the station's last entry.
pub(crate) fn build_entry(
    id: i64,
    station: &str,
    head: Option<(i64, String)>,
    recorded_at: &str,
    new: &NewEntry,
    sign: &dyn Fn(&str) -> String,
) -> Entry {
    let (prev_seq, prev_hash) = head.unwrap_or((0, GENESIS_HASH.to_string()));
    let payload_sha256 = sha256_hex(new.payload.as_bytes());
    let station_seq = prev_seq + 1;
    let hash = entry_hash(
        id,
        station,
        station_seq,
        &new.kind,
        &new.subject,
        recorded_at,
        &payload_sha256,
        &prev_hash,
    );
    let signature = new.signed.then(|| sign(&hash));
    Entry {
        id,
        station: station.to_string(),
        station_seq,
        kind: new.kind.clone(),
        subject: new.subject.clone(),
        recorded_at: recorded_at.to_string(),
        payload: Some(new.payload.clone()),
        payload_sha256,
        prev_hash,
        hash,
        signature,
        erased_by: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_matches_the_documented_recipe() {
        // Same bytes as the README recipe; Python's hashlib gives the same digest.
        let text = "vigie-register-entry-v1\n7\nst\n1\nevent\nflight:F1\n2026-11-28T10:00:00.000000Z\nabc\n";
        let expected = sha256_hex(format!("{text}{GENESIS_HASH}").as_bytes());
        let got = entry_hash(
            7,
            "st",
            1,
            "event",
            "flight:F1",
            "2026-11-28T10:00:00.000000Z",
            "abc",
            GENESIS_HASH,
        );
        assert_eq!(got, expected);
        assert_ne!(
            got,
            entry_hash(
                8,
                "st",
                1,
                "event",
                "flight:F1",
                "2026-11-28T10:00:00.000000Z",
                "abc",
                GENESIS_HASH
            )
        );
    }
}

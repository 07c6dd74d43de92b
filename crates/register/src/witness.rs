//! Witnesses: a copy of each station's signed chain head kept outside the station, so cutting the
//! newest entries off a register (which the chain alone cannot show) is caught by
//! `verify --witness`.
//!
//! A head is `(station, station_seq, entry id, hash, time)` signed with the station key. The station
//! sends it at every seal and at least every few minutes ([`Register::witness_if_due`]) to each
//! witness: an append-only file on a second disk ([`DirWitness`]), the département's PostgreSQL
//! register ([`PostgresWitness`]), or anything implementing [`Witness`] (the CSU relay, later).

use std::io::{BufRead as _, Write as _};
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::keys::verify_hex;

/// A station's chain head, signed by the station.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedHead {
    pub station: String,
    pub station_seq: i64,
    /// Storage id of the head entry (so a missing entry can be named).
    pub entry_id: i64,
    pub hash: String,
    /// When the station signed it (RFC 3339, UTC, microseconds).
    pub at: String,
    pub public_key_hex: String,
    /// Ed25519 (hex) over [`SignedHead::message`].
    pub signature: String,
}

impl SignedHead {
    /// The signed text: `vigie-register-head-v1\n` station `\n` station_seq `\n` entry_id `\n` hash
    /// `\n` at (UTF-8).
    pub fn message(station: &str, station_seq: i64, entry_id: i64, hash: &str, at: &str) -> String {
        format!("vigie-register-head-v1\n{station}\n{station_seq}\n{entry_id}\n{hash}\n{at}")
    }

    pub(crate) fn new(
        key: &crate::keys::StationKey,
        station: &str,
        station_seq: i64,
        entry_id: i64,
        hash: &str,
        at: DateTime<Utc>,
    ) -> SignedHead {
        let at = at.to_rfc3339_opts(SecondsFormat::Micros, true);
        let msg = Self::message(station, station_seq, entry_id, hash, &at);
        SignedHead {
            station: station.to_string(),
            station_seq,
            entry_id,
            hash: hash.to_string(),
            signature: key.sign_hex(msg.as_bytes()),
            public_key_hex: key.public_hex(),
            at,
        }
    }

    /// Check the signature with `public_hex` (the key the verifier trusts for that station).
    pub fn verify(&self, public_hex: &str) -> std::result::Result<(), String> {
        let msg = Self::message(
            &self.station,
            self.station_seq,
            self.entry_id,
            &self.hash,
            &self.at,
        );
        verify_hex(public_hex, msg.as_bytes(), &self.signature)
    }
}

/// Somewhere outside the station that keeps every head it is sent.
pub trait Witness: Send {
    /// For messages: the directory or the database.
    fn describe(&self) -> String;
    /// Keep `head` durably (fsynced file, committed row) before returning.
    fn record(&mut self, head: &SignedHead) -> Result<()>;
    /// Every head it holds, oldest first; unreadable records are returned as problems.
    fn heads(&mut self) -> Result<WitnessHeads>;
}

#[derive(Debug, Clone, Default)]
pub struct WitnessHeads {
    pub heads: Vec<SignedHead>,
    /// Records the witness holds but cannot read (named by line or row).
    pub problems: Vec<String>,
}

/// `DIR/vigie-witness.jsonl`: one JSON head per line, appended and fsynced, file 0600, directory
/// 0700. Put DIR on another disk than the register (and `chattr +a` the file where possible).
#[derive(Debug)]
pub struct DirWitness {
    dir: PathBuf,
}

pub const WITNESS_FILE: &str = "vigie-witness.jsonl";

impl DirWitness {
    pub fn new(dir: &Path) -> DirWitness {
        DirWitness {
            dir: dir.to_path_buf(),
        }
    }

    pub fn file(&self) -> PathBuf {
        self.dir.join(WITNESS_FILE)
    }
}

impl Witness for DirWitness {
    fn describe(&self) -> String {
        self.file().display().to_string()
    }

    fn record(&mut self, head: &SignedHead) -> Result<()> {
        let fresh = !self.dir.exists();
        crate::fsutil::create_private_dir(&self.dir)?;
        let path = self.file();
        let mut line = serde_json::to_string(head)
            .map_err(|e| Error::BadInput(format!("witness head: {e}")))?;
        line.push('\n');
        let existed = path.exists();
        let mut f = crate::fsutil::open_private(&path, false)?;
        // One write of a whole line in O_APPEND mode: a crash leaves at most a torn last line.
        f.write_all(line.as_bytes())
            .map_err(|e| Error::io(&path, e))?;
        f.sync_all().map_err(|e| Error::io(&path, e))?;
        if fresh || !existed {
            crate::fsutil::sync_dir(&self.dir);
        }
        Ok(())
    }

    fn heads(&mut self) -> Result<WitnessHeads> {
        let path = self.file();
        let f = std::fs::File::open(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::BadInput(format!(
                "witness {}: no such file (is {} the witness directory?)",
                path.display(),
                self.dir.display()
            )),
            _ => Error::io(&path, e),
        })?;
        let mut out = WitnessHeads::default();
        let lines: Vec<String> = std::io::BufReader::new(f)
            .lines()
            .collect::<std::io::Result<_>>()
            .map_err(|e| Error::io(&path, e))?;
        let n = lines.len();
        for (i, line) in lines.into_iter().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<SignedHead>(&line) {
                Ok(h) => out.heads.push(h),
                // A torn last line is what a crash during the append leaves; anything else is damage.
                Err(_) if i + 1 == n => {}
                Err(e) => out
                    .problems
                    .push(format!("{} line {}: {e}", path.display(), i + 1)),
            }
        }
        Ok(out)
    }
}

const WITNESS_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS witness_heads (
    id BIGSERIAL PRIMARY KEY,
    station TEXT NOT NULL,
    station_seq BIGINT NOT NULL,
    entry_id BIGINT NOT NULL,
    hash TEXT NOT NULL,
    at TEXT NOT NULL,
    public_key_hex TEXT NOT NULL,
    signature TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS witness_heads_station ON witness_heads (station, station_seq);
CREATE OR REPLACE FUNCTION vigie_witness_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'witnessed heads are never changed or deleted'; END $$;
DROP TRIGGER IF EXISTS witness_heads_append_only ON witness_heads;
CREATE TRIGGER witness_heads_append_only BEFORE UPDATE OR DELETE ON witness_heads
  FOR EACH ROW EXECUTE FUNCTION vigie_witness_append_only();
";

/// The département's PostgreSQL keeps the heads in `witness_heads` (append-only by trigger).
/// Connects on first use and again after an error, so a server restart costs one missed head.
pub struct PostgresWitness {
    conninfo: String,
    label: String,
    client: Option<postgres::Client>,
}

impl std::fmt::Debug for PostgresWitness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresWitness")
            .field("label", &self.label)
            .finish()
    }
}

impl PostgresWitness {
    pub fn new(conninfo: &str) -> Result<PostgresWitness> {
        let label = crate::store::pgconn::ConnInfo::parse(conninfo)?.label;
        Ok(PostgresWitness {
            conninfo: conninfo.to_string(),
            label: format!("witness {label}"),
            client: None,
        })
    }

    fn client(&mut self) -> Result<&mut postgres::Client> {
        if self.client.is_none() {
            let (mut c, _) = crate::store::pgconn::connect(&self.conninfo)?;
            c.batch_execute(&format!(
                "SELECT pg_advisory_xact_lock({});{WITNESS_SCHEMA}",
                0x5649_4749_4501_i64
            ))
            .map_err(|e| Error::postgres(&self.label, e))?;
            self.client = Some(c);
        }
        self.client
            .as_mut()
            .ok_or_else(|| Error::BadInput("witness connection".into()))
    }
}

impl Witness for PostgresWitness {
    fn describe(&self) -> String {
        self.label.clone()
    }

    fn record(&mut self, h: &SignedHead) -> Result<()> {
        let label = self.label.clone();
        let res = self.client()?.execute(
            "INSERT INTO witness_heads (station, station_seq, entry_id, hash, at, public_key_hex, signature) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &h.station,
                &h.station_seq,
                &h.entry_id,
                &h.hash,
                &h.at,
                &h.public_key_hex,
                &h.signature,
            ],
        );
        match res {
            Ok(_) => Ok(()),
            Err(e) => {
                self.client = None;
                Err(Error::postgres(&label, e))
            }
        }
    }

    fn heads(&mut self) -> Result<WitnessHeads> {
        let label = self.label.clone();
        let rows = self
            .client()?
            .query(
                "SELECT station, station_seq, entry_id, hash, at, public_key_hex, signature \
                 FROM witness_heads ORDER BY id",
                &[],
            )
            .map_err(|e| Error::postgres(&label, e))?;
        Ok(WitnessHeads {
            heads: rows
                .iter()
                .map(|r| SignedHead {
                    station: r.get(0),
                    station_seq: r.get(1),
                    entry_id: r.get(2),
                    hash: r.get(3),
                    at: r.get(4),
                    public_key_hex: r.get(5),
                    signature: r.get(6),
                })
                .collect(),
            problems: Vec::new(),
        })
    }
}

/// A witness from its description: a libpq conninfo (`host=… dbname=…`, `postgresql://…`) is the
/// PostgreSQL witness; anything else is a directory.
pub fn open_witness(spec: &str) -> Result<Box<dyn Witness>> {
    let s = spec.trim();
    if s.starts_with("postgres://") || s.starts_with("postgresql://") || s.contains('=') {
        return Ok(Box::new(PostgresWitness::new(s)?));
    }
    if s.is_empty() {
        return Err(Error::BadInput(
            "witness: give a directory or a PostgreSQL conninfo".into(),
        ));
    }
    Ok(Box::new(DirWitness::new(Path::new(s))))
}

/// What one round of witnessing did.
#[derive(Debug, Clone, Serialize)]
pub struct WitnessReport {
    pub head: SignedHead,
    /// Witnesses that hold the head now.
    pub delivered: Vec<String>,
    /// `(witness, why)` for those that could not be reached: the station raises an alarm and the
    /// next round retries.
    pub failed: Vec<(String, String)>,
}

impl WitnessReport {
    pub fn all_delivered(&self) -> bool {
        self.failed.is_empty()
    }
}

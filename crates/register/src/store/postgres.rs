//! PostgreSQL store for a département-wide register: several stations append to one database, each
//! to its own chain. A transaction-scoped advisory lock per station serialises appends to a chain.

use postgres::{Client, Row};

use super::{COLUMNS, PG_SCHEMA_VERSION as SCHEMA_VERSION, Store, check_fields};
use crate::chain::{Entry, NewEntry, build_entry};
use crate::error::{Error, Result};

const SCHEMA_V1: &str = "
CREATE TABLE IF NOT EXISTS register_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
    id BIGSERIAL PRIMARY KEY,
    station TEXT NOT NULL,
    station_seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    payload TEXT,
    payload_sha256 TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    signature TEXT,
    erased_by BIGINT,
    UNIQUE (station, station_seq)
);
CREATE INDEX IF NOT EXISTS entries_subject ON entries (subject);
CREATE INDEX IF NOT EXISTS entries_kind ON entries (kind);
";

/// Version 2: the same append-only rules as the SQLite triggers (a delete is refused; an update may
/// only tombstone a payload), and a station-scoped subject index.
const SCHEMA_V2: &str = "
CREATE INDEX IF NOT EXISTS entries_station_subject ON entries (station, subject);
CREATE OR REPLACE FUNCTION vigie_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'register entries are never deleted; purge tombstones them';
  END IF;
  IF NEW.payload IS NOT NULL OR OLD.erased_by IS NOT NULL OR NEW.erased_by IS NULL
     OR NEW.id IS DISTINCT FROM OLD.id OR NEW.station IS DISTINCT FROM OLD.station
     OR NEW.station_seq IS DISTINCT FROM OLD.station_seq OR NEW.kind IS DISTINCT FROM OLD.kind
     OR NEW.subject IS DISTINCT FROM OLD.subject OR NEW.recorded_at IS DISTINCT FROM OLD.recorded_at
     OR NEW.payload_sha256 IS DISTINCT FROM OLD.payload_sha256 OR NEW.prev_hash IS DISTINCT FROM OLD.prev_hash
     OR NEW.hash IS DISTINCT FROM OLD.hash OR NEW.signature IS DISTINCT FROM OLD.signature THEN
    RAISE EXCEPTION 'register entries are append-only; only a purge may tombstone a payload';
  END IF;
  RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS entries_append_only ON entries;
CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON entries
  FOR EACH ROW EXECUTE FUNCTION vigie_entries_append_only();
";

/// Advisory lock key for schema migration (any constant distinct from station keys).
const MIGRATION_LOCK: i64 = 0x5649_4749_4500;

pub struct PostgresStore {
    client: Client,
    label: String,
}

impl PostgresStore {
    /// `conninfo` as libpq takes it, e.g. `host=127.0.0.1 port=5432 user=vigie dbname=register`.
    pub fn connect(conninfo: &str) -> Result<PostgresStore> {
        let mut store = Self::connect_raw(conninfo)?;
        store.migrate()?;
        Ok(store)
    }

    fn connect_raw(conninfo: &str) -> Result<PostgresStore> {
        // TLS as `sslmode` says; the label never holds a password.
        let (client, label) = super::pgconn::connect(conninfo)?;
        Ok(PostgresStore { client, label })
    }

    /// Connect without creating or migrating anything (verification).
    pub fn connect_read_only(conninfo: &str) -> Result<PostgresStore> {
        let mut store = Self::connect_raw(conninfo)?;
        let label = store.label.clone();
        let row = store
            .client
            .query_opt(
                "SELECT value FROM register_meta WHERE key = 'schema_version'",
                &[],
            )
            .map_err(|e| Error::postgres(&label, e))?;
        let Some(row) = row else {
            return Err(Error::Corrupt {
                path: label,
                detail: "no register schema version".into(),
            });
        };
        let v: String = row.get(0);
        if v.parse::<i64>().map_or(true, |v| v > SCHEMA_VERSION) {
            return Err(Error::NewerSchema {
                path: label,
                found: v.parse().unwrap_or(-1),
                known: SCHEMA_VERSION,
            });
        }
        Ok(store)
    }

    fn migrate(&mut self) -> Result<()> {
        let label = self.label.clone();
        let e = |err| Error::postgres(&label, err);
        let mut tx = self.client.transaction().map_err(e)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .map_err(e)?;
        tx.batch_execute(SCHEMA_V1).map_err(e)?;
        let row = tx
            .query_opt(
                "SELECT value FROM register_meta WHERE key = 'schema_version'",
                &[],
            )
            .map_err(e)?;
        let version = match row {
            Some(r) => {
                let v: String = r.get(0);
                v.parse::<i64>().map_err(|_| Error::Corrupt {
                    path: label.clone(),
                    detail: format!("register_meta.schema_version is {v:?}, not a number"),
                })?
            }
            None => {
                tx.execute(
                    "INSERT INTO register_meta (key, value) VALUES ('schema_version', '1')",
                    &[],
                )
                .map_err(e)?;
                1
            }
        };
        if version > SCHEMA_VERSION {
            return Err(Error::NewerSchema {
                path: label,
                found: version,
                known: SCHEMA_VERSION,
            });
        }
        if version < 2 {
            tx.batch_execute(SCHEMA_V2).map_err(e)?;
        }
        tx.execute(
            "UPDATE register_meta SET value = $1 WHERE key = 'schema_version'",
            &[&SCHEMA_VERSION.to_string()],
        )
        .map_err(e)?;
        tx.commit().map_err(e)
    }

    fn query(
        &mut self,
        sql: &str,
        args: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Entry>> {
        let label = self.label.clone();
        let rows = self
            .client
            .query(sql, args)
            .map_err(|e| Error::postgres(&label, e))?;
        Ok(rows.iter().map(row_to_entry).collect())
    }
}

fn row_to_entry(r: &Row) -> Entry {
    Entry {
        id: r.get(0),
        station: r.get(1),
        station_seq: r.get(2),
        kind: r.get(3),
        subject: r.get(4),
        recorded_at: r.get(5),
        payload: r.get(6),
        payload_sha256: r.get(7),
        prev_hash: r.get(8),
        hash: r.get(9),
        signature: r.get(10),
        erased_by: r.get(11),
    }
}

/// Stable 63-bit key for a station's advisory lock.
fn station_lock_key(station: &str) -> i64 {
    let digest = crate::chain::sha256_hex(station.as_bytes());
    i64::from_str_radix(&digest[..15], 16).unwrap_or(1)
}

impl Store for PostgresStore {
    fn location(&self) -> String {
        self.label.clone()
    }

    fn backend(&self) -> &'static str {
        "postgresql"
    }

    fn append(
        &mut self,
        station: &str,
        recorded_at: &str,
        batch: &[NewEntry],
        sign: &dyn Fn(&str) -> String,
    ) -> Result<Vec<Entry>> {
        for new in batch {
            check_fields(station, new)?;
        }
        let label = self.label.clone();
        let e = |err| Error::postgres(&label, err);
        let mut tx = self.client.transaction().map_err(e)?;
        tx.execute(
            "SELECT pg_advisory_xact_lock($1)",
            &[&station_lock_key(station)],
        )
        .map_err(e)?;
        let mut head: Option<(i64, String)> = tx
            .query_opt(
                "SELECT station_seq, hash FROM entries WHERE station = $1 ORDER BY station_seq DESC LIMIT 1",
                &[&station],
            )
            .map_err(e)?
            .map(|r| (r.get(0), r.get(1)));
        let insert = tx
            .prepare(
                "INSERT INTO entries (id, station, station_seq, kind, subject, recorded_at, payload, payload_sha256, \
                 prev_hash, hash, signature) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .map_err(e)?;
        let mut out = Vec::with_capacity(batch.len());
        for new in batch {
            // The id is hashed, so it is drawn before the insert.
            let id: i64 = tx
                .query_one(
                    "SELECT nextval(pg_get_serial_sequence('entries', 'id'))",
                    &[],
                )
                .map_err(e)?
                .get(0);
            let entry = build_entry(id, station, head.take(), recorded_at, new, sign);
            tx.execute(
                &insert,
                &[
                    &entry.id,
                    &entry.station,
                    &entry.station_seq,
                    &entry.kind,
                    &entry.subject,
                    &entry.recorded_at,
                    &entry.payload,
                    &entry.payload_sha256,
                    &entry.prev_hash,
                    &entry.hash,
                    &entry.signature,
                ],
            )
            .map_err(e)?;
            for target in &new.erases {
                let n = tx
                    .execute(
                        "UPDATE entries SET payload = NULL, erased_by = $1 WHERE id = $2 AND erased_by IS NULL",
                        &[&entry.id, target],
                    )
                    .map_err(e)?;
                if n != 1 {
                    return Err(Error::BadInput(format!(
                        "cannot erase register entry {target}: it does not exist or is already erased"
                    )));
                }
            }
            head = Some((entry.station_seq, entry.hash.clone()));
            out.push(entry);
        }
        // PostgreSQL's default synchronous_commit=on: COMMIT returns after the WAL is flushed.
        tx.commit().map_err(e)?;
        Ok(out)
    }

    fn scan(&mut self, after_id: i64, limit: usize) -> Result<Vec<Entry>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.query(
            &format!("SELECT {COLUMNS} FROM entries WHERE id > $1 ORDER BY id LIMIT $2"),
            &[&after_id, &limit],
        )
    }

    fn get(&mut self, id: i64) -> Result<Option<Entry>> {
        Ok(self
            .query(
                &format!("SELECT {COLUMNS} FROM entries WHERE id = $1"),
                &[&id],
            )?
            .into_iter()
            .next())
    }

    fn by_subject(&mut self, subject: &str) -> Result<Vec<Entry>> {
        self.query(
            &format!("SELECT {COLUMNS} FROM entries WHERE subject = $1 ORDER BY id"),
            &[&subject],
        )
    }

    fn by_kind(&mut self, kind: &str) -> Result<Vec<Entry>> {
        self.query(
            &format!("SELECT {COLUMNS} FROM entries WHERE kind = $1 ORDER BY id"),
            &[&kind],
        )
    }

    fn by_station_subject(&mut self, station: &str, subject: &str) -> Result<Vec<Entry>> {
        self.query(
            &format!(
                "SELECT {COLUMNS} FROM entries WHERE station = $1 AND subject = $2 ORDER BY id"
            ),
            &[&station, &subject],
        )
    }

    fn by_station_kind(&mut self, station: &str, kind: &str) -> Result<Vec<Entry>> {
        self.query(
            &format!("SELECT {COLUMNS} FROM entries WHERE station = $1 AND kind = $2 ORDER BY id"),
            &[&station, &kind],
        )
    }

    fn head(&mut self, station: &str) -> Result<Option<Entry>> {
        Ok(self
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM entries WHERE station = $1 ORDER BY station_seq DESC LIMIT 1"
                ),
                &[&station],
            )?
            .into_iter()
            .next())
    }

    fn storage_check(&mut self) -> Result<Option<String>> {
        // PostgreSQL checks its pages itself (and with data checksums, if enabled at initdb).
        Ok(None)
    }
}

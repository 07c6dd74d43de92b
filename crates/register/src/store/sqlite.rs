//! SQLite store: WAL, `synchronous=FULL` (a committed entry survives power loss), schema by
//! `user_version`, triggers that refuse deletes and any update other than a tombstone.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, OptionalExtension as _, TransactionBehavior, params};

use super::{COLUMNS, SCHEMA_VERSION, Store, check_fields};
use crate::chain::{Entry, NewEntry, build_entry};
use crate::error::{Error, Result};

const SCHEMA_V1: &str = "
CREATE TABLE entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    station TEXT NOT NULL,
    station_seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    payload TEXT,
    payload_sha256 TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    signature TEXT,
    erased_by INTEGER,
    UNIQUE (station, station_seq)
);
CREATE INDEX entries_subject ON entries (subject);
CREATE INDEX entries_kind ON entries (kind);
CREATE TRIGGER entries_never_deleted BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'register entries are never deleted; purge tombstones them'); END;
CREATE TRIGGER entries_only_tombstoned BEFORE UPDATE ON entries
WHEN NEW.payload IS NOT NULL OR OLD.erased_by IS NOT NULL OR NEW.erased_by IS NULL
  OR NEW.id IS NOT OLD.id OR NEW.station IS NOT OLD.station OR NEW.station_seq IS NOT OLD.station_seq
  OR NEW.kind IS NOT OLD.kind OR NEW.subject IS NOT OLD.subject OR NEW.recorded_at IS NOT OLD.recorded_at
  OR NEW.payload_sha256 IS NOT OLD.payload_sha256 OR NEW.prev_hash IS NOT OLD.prev_hash
  OR NEW.hash IS NOT OLD.hash OR NEW.signature IS NOT OLD.signature
BEGIN SELECT RAISE(ABORT, 'register entries are append-only; only a purge may tombstone a payload'); END;
";

pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    label: String,
}

impl SqliteStore {
    /// Open or create the register file. `max_size_bytes` caps the file (a quota; beyond it appends
    /// fail with [`Error::DiskFull`]).
    pub fn open(path: &Path, max_size_bytes: Option<u64>) -> Result<SqliteStore> {
        let label = path.display().to_string();
        let e = |err| Error::sqlite(&label, err);
        // Created 0600 by us (an empty file is an empty database): SQLite would use the umask, and
        // its -wal and -shm files take the database file's mode.
        if !path.exists() {
            crate::fsutil::open_private(path, false)?;
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(e)?;
        // Another writer (CSU session recorder, purge) may hold the write lock briefly.
        conn.busy_timeout(Duration::from_secs(30)).map_err(e)?;
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
            .map_err(e)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Database {
                path: label,
                detail: format!("could not enable WAL (journal_mode={mode})"),
            });
        }
        conn.pragma_update(None, "synchronous", "FULL").map_err(e)?;
        if let Some(max) = max_size_bytes {
            let page: i64 = conn
                .pragma_query_value(None, "page_size", |r| r.get(0))
                .map_err(e)?;
            let pages = (max / page.max(512) as u64).max(1);
            let _: i64 = conn
                .pragma_update_and_check(None, "max_page_count", pages as i64, |r| r.get(0))
                .map_err(e)?;
        }
        let mut store = SqliteStore {
            conn,
            path: path.to_path_buf(),
            label,
        };
        store.migrate()?;
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            crate::fsutil::restrict(Path::new(&p))?;
        }
        Ok(store)
    }

    /// Open an existing register without writing anything (for verification of a seized copy).
    pub fn open_read_only(path: &Path) -> Result<SqliteStore> {
        let label = path.display().to_string();
        if !path.is_file() {
            return Err(Error::CannotOpen {
                path: label,
                detail: "no register file there".into(),
            });
        }
        let e = |err| Error::sqlite(&label, err);
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(e)?;
        conn.busy_timeout(Duration::from_secs(30)).map_err(e)?;
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(e)?;
        if version > SCHEMA_VERSION {
            return Err(Error::NewerSchema {
                path: label,
                found: version,
                known: SCHEMA_VERSION,
            });
        }
        if version < 1 {
            return Err(Error::Corrupt {
                path: label,
                detail: "no register schema in this file".into(),
            });
        }
        Ok(SqliteStore {
            conn,
            path: path.to_path_buf(),
            label,
        })
    }

    fn migrate(&mut self) -> Result<()> {
        let label = self.label.clone();
        let e = |err| Error::sqlite(&label, err);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(e)?;
        let version: i64 = tx
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(e)?;
        if version > SCHEMA_VERSION {
            return Err(Error::NewerSchema {
                path: label,
                found: version,
                known: SCHEMA_VERSION,
            });
        }
        if version == 0 {
            let tables: i64 = tx
                .query_row(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
                    [],
                    |r| r.get(0),
                )
                .map_err(e)?;
            if tables > 0 {
                return Err(Error::Corrupt {
                    path: label,
                    detail: "the file holds tables but no register schema version; it is not a Vigie register".into(),
                });
            }
            tx.execute_batch(SCHEMA_V1).map_err(e)?;
            tx.pragma_update(None, "user_version", 1).map_err(e)?;
        }
        // Future versions: `if version < 2 { ... }` here, each in this same transaction.
        let has_entries: Option<String> = tx
            .query_row(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'entries'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(e)?;
        if has_entries.is_none() {
            return Err(Error::Corrupt {
                path: label,
                detail: "table `entries` is missing".into(),
            });
        }
        tx.commit().map_err(e)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn query(&self, sql: &str, args: &[&dyn rusqlite::ToSql]) -> Result<Vec<Entry>> {
        let e = |err| Error::sqlite(&self.label, err);
        let mut stmt = self.conn.prepare_cached(sql).map_err(e)?;
        let rows = stmt.query_map(args, row_to_entry).map_err(e)?;
        rows.collect::<std::result::Result<Vec<_>, _>>().map_err(e)
    }
}

/// Lenient read: a tampered cell of the wrong type still comes back as text, so `verify` can name it.
fn text(row: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<String>> {
    Ok(match row.get_ref(i)? {
        ValueRef::Null => None,
        ValueRef::Integer(v) => Some(v.to_string()),
        ValueRef::Real(v) => Some(v.to_string()),
        ValueRef::Text(b) | ValueRef::Blob(b) => Some(String::from_utf8_lossy(b).into_owned()),
    })
}

fn int(row: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<i64>> {
    Ok(match row.get_ref(i)? {
        ValueRef::Null => None,
        ValueRef::Integer(v) => Some(v),
        // A non-integer where an integer belongs: report as an impossible value, `verify` flags it.
        _ => Some(i64::MIN),
    })
}

fn row_to_entry(row: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    Ok(Entry {
        id: int(row, 0)?.unwrap_or(i64::MIN),
        station: text(row, 1)?.unwrap_or_default(),
        station_seq: int(row, 2)?.unwrap_or(i64::MIN),
        kind: text(row, 3)?.unwrap_or_default(),
        subject: text(row, 4)?.unwrap_or_default(),
        recorded_at: text(row, 5)?.unwrap_or_default(),
        payload: text(row, 6)?,
        payload_sha256: text(row, 7)?.unwrap_or_default(),
        prev_hash: text(row, 8)?.unwrap_or_default(),
        hash: text(row, 9)?.unwrap_or_default(),
        signature: text(row, 10)?,
        erased_by: int(row, 11)?,
    })
}

impl Store for SqliteStore {
    fn location(&self) -> String {
        self.label.clone()
    }

    fn backend(&self) -> &'static str {
        "sqlite"
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
        let e = |err| Error::sqlite(&label, err);
        // IMMEDIATE takes the write lock before reading the head: no other writer can slip in between.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(e)?;
        let mut head: Option<(i64, String)> = tx
            .query_row(
                "SELECT station_seq, hash FROM entries WHERE station = ?1 ORDER BY station_seq DESC LIMIT 1",
                params![station],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(e)?;
        let mut out = Vec::with_capacity(batch.len());
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO entries (id, station, station_seq, kind, subject, recorded_at, payload, payload_sha256, \
                     prev_hash, hash, signature, erased_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, NULL)",
                )
                .map_err(e)?;
            let mut erase = tx
                .prepare_cached("UPDATE entries SET payload = NULL, erased_by = ?1 WHERE id = ?2 AND erased_by IS NULL")
                .map_err(e)?;
            // The id is hashed, so it is chosen before the insert; the write lock makes it safe.
            let first_id: i64 = tx
                .query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM entries", [], |r| {
                    r.get(0)
                })
                .map_err(e)?;
            for (id, new) in (first_id..).zip(batch) {
                let entry = build_entry(id, station, head.take(), recorded_at, new, sign);
                insert
                    .execute(params![
                        entry.id,
                        entry.station,
                        entry.station_seq,
                        entry.kind,
                        entry.subject,
                        entry.recorded_at,
                        entry.payload,
                        entry.payload_sha256,
                        entry.prev_hash,
                        entry.hash,
                        entry.signature,
                    ])
                    .map_err(e)?;
                for target in &new.erases {
                    if erase.execute(params![entry.id, target]).map_err(e)? != 1 {
                        return Err(Error::BadInput(format!(
                            "cannot erase register entry {target}: it does not exist or is already erased"
                        )));
                    }
                }
                head = Some((entry.station_seq, entry.hash.clone()));
                out.push(entry);
            }
        }
        tx.commit().map_err(e)?;
        Ok(out)
    }

    fn scan(&mut self, after_id: i64, limit: usize) -> Result<Vec<Entry>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.query(
            &format!("SELECT {COLUMNS} FROM entries WHERE id > ?1 ORDER BY id LIMIT ?2"),
            &[&after_id, &limit],
        )
    }

    fn get(&mut self, id: i64) -> Result<Option<Entry>> {
        Ok(self
            .query(
                &format!("SELECT {COLUMNS} FROM entries WHERE id = ?1"),
                &[&id],
            )?
            .into_iter()
            .next())
    }

    fn by_subject(&mut self, subject: &str) -> Result<Vec<Entry>> {
        self.query(
            &format!("SELECT {COLUMNS} FROM entries WHERE subject = ?1 ORDER BY id"),
            &[&subject],
        )
    }

    fn by_kind(&mut self, kind: &str) -> Result<Vec<Entry>> {
        self.query(
            &format!("SELECT {COLUMNS} FROM entries WHERE kind = ?1 ORDER BY id"),
            &[&kind],
        )
    }

    fn by_station_subject(&mut self, station: &str, subject: &str) -> Result<Vec<Entry>> {
        self.query(
            &format!(
                "SELECT {COLUMNS} FROM entries WHERE subject = ?1 AND station = ?2 ORDER BY id"
            ),
            &[&subject, &station],
        )
    }

    fn by_station_kind(&mut self, station: &str, kind: &str) -> Result<Vec<Entry>> {
        self.query(
            &format!("SELECT {COLUMNS} FROM entries WHERE kind = ?1 AND station = ?2 ORDER BY id"),
            &[&kind, &station],
        )
    }

    fn head(&mut self, station: &str) -> Result<Option<Entry>> {
        Ok(self
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM entries WHERE station = ?1 ORDER BY station_seq DESC LIMIT 1"
                ),
                &[&station],
            )?
            .into_iter()
            .next())
    }

    fn storage_check(&mut self) -> Result<Option<String>> {
        let label = self.label.clone();
        let mut stmt = self
            .conn
            .prepare("PRAGMA quick_check")
            .map_err(|e| Error::sqlite(&label, e))?;
        let rows: Vec<String> = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| Error::sqlite(&label, e))?
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| Error::sqlite(&label, e))?;
        Ok(if rows.len() == 1 && rows[0] == "ok" {
            None
        } else {
            Some(rows.join("; "))
        })
    }
}

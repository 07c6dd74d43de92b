//! Errors of the register. Each message names the file or record and what to do about it.

use std::path::Path;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "register database {path} is corrupt ({detail}); it was NOT repaired: keep the file as it is \
         for investigation, and restore the last verified copy (`vigie register verify` on it) to continue"
    )]
    Corrupt { path: String, detail: String },
    #[error(
        "register {path}: disk full while writing ({detail}); nothing already written is lost, the entry \
         being written was not recorded: free space on that disk (or raise the register size limit)"
    )]
    DiskFull { path: String, detail: String },
    #[error(
        "register {path} is read-only ({detail}): give the station's user write access to it and its directory"
    )]
    ReadOnly { path: String, detail: String },
    #[error(
        "cannot open register {path} ({detail}): check that the directory exists and is writable"
    )]
    CannotOpen { path: String, detail: String },
    #[error(
        "register {path} has schema version {found}, newer than this Vigie knows ({known}): use the Vigie \
         version that wrote it, or a newer one"
    )]
    NewerSchema {
        path: String,
        found: i64,
        known: i64,
    },
    #[error("register database {path}: {detail}")]
    Database { path: String, detail: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("station key {path}: {detail}")]
    Key { path: String, detail: String },
    /// The caller asked for something the register cannot do as asked (unknown flight, duplicate id...).
    #[error("{0}")]
    BadInput(String),
    #[error("register entry {id}: {detail}")]
    Record { id: i64, detail: String },
    #[error("flight recording {path}: {detail}")]
    Recording { path: String, detail: String },
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Error {
        if source.raw_os_error() == Some(28) {
            return Error::DiskFull {
                path: path.display().to_string(),
                detail: source.to_string(),
            };
        }
        Error::Io {
            path: path.display().to_string(),
            source,
        }
    }

    /// Classify a SQLite error so disk-full, read-only and corruption read as what they are.
    pub(crate) fn sqlite(path: &str, err: rusqlite::Error) -> Error {
        use rusqlite::ErrorCode as C;
        let detail = err.to_string();
        let path = path.to_string();
        match err.sqlite_error_code() {
            Some(C::DiskFull) => Error::DiskFull { path, detail },
            Some(C::DatabaseCorrupt | C::NotADatabase) => Error::Corrupt { path, detail },
            Some(C::ReadOnly) => Error::ReadOnly { path, detail },
            Some(C::CannotOpen | C::PermissionDenied) => Error::CannotOpen { path, detail },
            _ => Error::Database { path, detail },
        }
    }

    pub(crate) fn postgres(location: &str, err: postgres::Error) -> Error {
        // `{:#}`-like detail: the server's message lives in the source chain.
        let mut detail = err.to_string();
        if let Some(db) = err.as_db_error() {
            detail = format!("{} ({})", db.message(), db.code().code());
            if db.code() == &postgres::error::SqlState::DISK_FULL {
                return Error::DiskFull {
                    path: location.to_string(),
                    detail,
                };
            }
            if db.code() == &postgres::error::SqlState::DATA_CORRUPTED {
                return Error::Corrupt {
                    path: location.to_string(),
                    detail,
                };
            }
        }
        Error::Database {
            path: location.to_string(),
            detail,
        }
    }

    /// True for the errors a caller must treat as "the register is not writing": the station keeps
    /// flying and raises an alarm.
    pub fn is_storage_fault(&self) -> bool {
        matches!(
            self,
            Error::Corrupt { .. }
                | Error::DiskFull { .. }
                | Error::ReadOnly { .. }
                | Error::CannotOpen { .. }
                | Error::Database { .. }
                | Error::Io { .. }
        )
    }
}

//! The register: typed appends, journaled reads, verification, retention and legal holds.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, SecondsFormat, TimeDelta, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::chain::{Entry, NewEntry, sha256_hex};
use crate::error::{Error, Result};
use crate::keys::{StationKey, verify_hex};
use crate::records::*;
use crate::store::Store;
use crate::store::postgres::PostgresStore;
use crate::store::sqlite::SqliteStore;
use crate::witness::{SignedHead, Witness, WitnessReport, open_witness};

/// Entry kinds, as stored in the `kind` column.
pub mod kind {
    pub const STATION: &str = "station";
    pub const PILOT: &str = "pilot";
    pub const AIRCRAFT: &str = "aircraft";
    pub const AUTHORISATION: &str = "authorisation";
    pub const DEPLOYMENT: &str = "deployment";
    pub const DEPLOYMENT_END: &str = "deployment_end";
    pub const FLIGHT_START: &str = "flight_start";
    pub const FLIGHT_SEAL: &str = "flight_seal";
    pub const EVENT: &str = "event";
    pub const WIND: &str = "wind";
    pub const VIDEO_SEGMENT: &str = "video_segment";
    pub const VIEWER_START: &str = "viewer_session_start";
    pub const VIEWER_END: &str = "viewer_session_end";
    pub const ACCESS: &str = "access";
    pub const HOLD: &str = "hold";
    pub const HOLD_RELEASE: &str = "hold_release";
    pub const ERASURE: &str = "erasure";
    pub const JOURNAL_SEAL: &str = "journal_seal";
    /// A login attempt at a station (who, when, accepted or why not).
    pub const LOGIN: &str = "login";
    /// A chief's approval of a transparency export.
    pub const TRANSPARENCY_APPROVAL: &str = "transparency_approval";
    /// Kinds that form the access journal (R242-12), sealed daily.
    pub const JOURNAL: [&str; 6] = [
        ACCESS,
        VIEWER_START,
        VIEWER_END,
        HOLD,
        HOLD_RELEASE,
        ERASURE,
    ];
    /// Kinds that must carry the station's signature.
    pub const SIGNED: [&str; 3] = [STATION, FLIGHT_SEAL, JOURNAL_SEAL];
}

/// Legal register, or the separate training register (simulator and training flights).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegisterKind {
    Legal,
    Training,
}

impl RegisterKind {
    pub fn file_name(self) -> &'static str {
        match self {
            RegisterKind::Legal => "register.sqlite",
            RegisterKind::Training => "training-register.sqlite",
        }
    }
}

/// Retention durations: configuration data (DOMAIN.md §1), these are the legal defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct RetentionPolicy {
    /// Video and recordings, from the end of the deployment (R242-11 III): 7 days.
    pub recordings: TimeDelta,
    /// Segments flagged `domicile` (R242-11 II): 48 hours.
    pub domicile: TimeDelta,
    /// Access journal (R242-12): 3 years.
    pub journal: TimeDelta,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        RetentionPolicy {
            recordings: TimeDelta::days(7),
            domicile: TimeDelta::hours(48),
            journal: TimeDelta::days(3 * 365 + 1),
        }
    }
}

impl RetentionPolicy {
    /// What applies to a flight: its recorded legal basis, else this policy (the CSI defaults).
    pub fn for_basis(&self, basis: Option<&LegalBasisRecord>) -> RetentionPolicy {
        match basis {
            Some(b) => RetentionPolicy {
                recordings: TimeDelta::hours(i64::from(b.recordings_retention_h)),
                domicile: TimeDelta::hours(i64::from(
                    b.domicile_retention_h.min(b.recordings_retention_h),
                )),
                journal: self.journal,
            },
            None => self.clone(),
        }
    }
}

fn recordings_base(kind: RegisterKind) -> &'static str {
    match kind {
        RegisterKind::Legal => "recordings",
        RegisterKind::Training => "training-recordings",
    }
}

#[derive(Debug, Clone)]
pub struct OpenOptions {
    pub kind: RegisterKind,
    pub retention: RetentionPolicy,
    /// Size cap of the SQLite file; appends beyond it fail with [`Error::DiskFull`].
    pub max_size_bytes: Option<u64>,
    /// Use this PostgreSQL database (libpq conninfo) instead of the SQLite file.
    pub postgres: Option<String>,
    /// Open for verification only: nothing is created or written (no key, no schema, no station
    /// record), so a register seized as evidence can be verified as it is. Appends fail.
    pub read_only: bool,
    /// Witnesses of the chain head (a directory on another disk, or a PostgreSQL conninfo): the
    /// signed head goes to each at every seal and by [`Register::witness_if_due`].
    pub witnesses: Vec<String>,
    /// How often [`Register::witness_if_due`] sends the head when nothing was sealed: 5 minutes.
    pub witness_every: TimeDelta,
    /// The register's clock is the system clock plus this (zero in service). Tests and training
    /// scenarios use it to act "three years later"; a purge is never decided ahead of this clock.
    pub clock_offset: TimeDelta,
}

impl OpenOptions {
    pub fn new(kind: RegisterKind) -> OpenOptions {
        OpenOptions {
            kind,
            retention: RetentionPolicy::default(),
            max_size_bytes: None,
            postgres: None,
            read_only: false,
            witnesses: Vec::new(),
            witness_every: TimeDelta::minutes(5),
            clock_offset: TimeDelta::zero(),
        }
    }
}

/// Filters of `vigie register list`.
#[derive(Debug, Clone, Default)]
pub struct FlightFilter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub pilot_id: Option<String>,
    pub aircraft: Option<String>,
    pub arrete_number: Option<String>,
    pub finalite: Option<String>,
    /// Only this station's flights (a département register holds several).
    pub station: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlightSummary {
    /// Station whose chain holds the flight.
    pub station: String,
    pub flight_id: String,
    pub deployment_id: String,
    pub arrete_number: String,
    pub finalite: String,
    pub pilot_id: String,
    pub aircraft_registration: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub sealed: bool,
    pub on_hold: bool,
    /// Place or zone (commune) of the flight.
    pub place: String,
    /// Id of the legal basis recorded at the start (None: an older station recorded none).
    pub legal_basis: Option<String>,
    /// Purpose under that basis.
    pub purpose: Option<String>,
    pub anonymised_copy: bool,
}

/// Everything the register holds about one flight.
#[derive(Debug, Clone, Serialize)]
pub struct FlightView {
    /// Station whose chain holds the flight.
    pub station: String,
    pub start: FlightStart,
    /// The legal basis recorded at the start, if any.
    pub legal_basis: Option<LegalBasisRecord>,
    /// Entry id, hash and signature of the flight seal.
    pub seal_entry: Option<SealEntry>,
    pub seal: Option<FlightSeal>,
    pub deployment: Option<DeploymentRecord>,
    pub deployment_ended_at: Option<DateTime<Utc>>,
    pub authorisation: Option<AuthorisationRecord>,
    pub events: Vec<EventRecord>,
    pub wind: Vec<WindReading>,
    /// `(entry id, segment or None when erased)`.
    pub video_segments: Vec<(i64, Option<VideoSegment>)>,
    pub active_hold: Option<LegalHold>,
    /// Live and replay viewers of the flight (L242-4): `(start, end if recorded)`.
    pub viewer_sessions: Vec<(ViewerSessionStart, Option<ViewerSessionEnd>)>,
    /// Ids of all entries about this flight, in order.
    pub entry_ids: Vec<i64>,
}

/// Where the seal sits in the chain: what a report or a bundle cites.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SealEntry {
    pub id: i64,
    pub station_seq: i64,
    pub hash: String,
    pub signature: Option<String>,
    pub recorded_at: String,
}

/// One place where the chain or a file does not match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Break {
    /// Register entry id (0: the database itself).
    pub entry_id: i64,
    pub station: String,
    pub station_seq: i64,
    pub field: String,
    pub file: Option<String>,
    pub detail: String,
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "entry {} (station {} seq {}), field `{}`",
            self.entry_id, self.station, self.station_seq, self.field
        )?;
        if let Some(file) = &self.file {
            write!(f, ", file {file}")?;
        }
        write!(f, ": {}", self.detail)
    }
}

/// One station's chain as `verify` found it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChainSummary {
    pub station: String,
    pub entries: u64,
    pub last_seq: i64,
    pub last_id: i64,
    pub last_hash: String,
    pub last_recorded_at: String,
    /// Highest head a witness holds for this station (None: no witness given, or none for it).
    pub witnessed_seq: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct VerifyReport {
    /// Per station, in station order: the end of each chain, and how far a witness vouches for it.
    pub chains: Vec<ChainSummary>,
    /// Signed heads checked against the chains.
    pub witnessed_heads: u64,
    pub entries: u64,
    pub stations: usize,
    pub signatures: u64,
    pub files: u64,
    pub tombstones: u64,
    /// In entry order; the first is the earliest break.
    pub breaks: Vec<Break>,
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.breaks.is_empty()
    }
    pub fn first_break(&self) -> Option<&Break> {
        self.breaks.first()
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PurgeReport {
    /// Entries whose content was erased (tombstoned).
    pub erased_entries: Vec<i64>,
    pub deleted_files: Vec<String>,
    /// Flights whose due recordings were kept because of a legal hold.
    pub held_flights: Vec<String>,
    pub journal_days_sealed: Vec<NaiveDate>,
    /// Files that could not be deleted (the erasure is journaled; the next purge retries) and
    /// records that could not be read (the rest was purged; `verify` says what is wrong).
    pub failures: Vec<String>,
}

/// Receipt of an append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    pub id: i64,
    pub station_seq: i64,
    pub hash: String,
}

impl From<&Entry> for Appended {
    fn from(e: &Entry) -> Self {
        Appended {
            id: e.id,
            station_seq: e.station_seq,
            hash: e.hash.clone(),
        }
    }
}

pub struct Register {
    store: Box<dyn Store>,
    witnesses: Vec<Box<dyn Witness>>,
    witness_every: TimeDelta,
    /// `(when, station_seq)` of the last head every witness accepted.
    last_witnessed: Option<(DateTime<Utc>, i64)>,
    last_witness_report: Option<WitnessReport>,
    clock_offset: TimeDelta,
    /// `None` when opened read-only.
    key: Option<StationKey>,
    public_hex: Option<String>,
    station: String,
    kind: RegisterKind,
    dir: PathBuf,
    retention: RetentionPolicy,
}

impl std::fmt::Debug for Register {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Register")
            .field("store", &self.store.location())
            .field("station", &self.station)
            .field("kind", &self.kind)
            .finish()
    }
}

fn subject_flight(id: &str) -> String {
    format!("flight:{id}")
}

pub(crate) fn parse<T: DeserializeOwned>(e: &Entry) -> Result<T> {
    let Some(payload) = &e.payload else {
        return Err(Error::Record {
            id: e.id,
            detail: format!("{} entry was erased by the purge", e.kind),
        });
    };
    serde_json::from_str(payload).map_err(|err| Error::Record {
        id: e.id,
        detail: format!("{} payload does not parse: {err}", e.kind),
    })
}

impl Register {
    /// Open (or create) the register in the station's data directory: `register.sqlite` or
    /// `training-register.sqlite`, keys under `keys/`.
    pub fn open(dir: &Path, kind: RegisterKind) -> Result<Register> {
        Self::open_with(dir, OpenOptions::new(kind))
    }

    pub fn open_with(dir: &Path, options: OpenOptions) -> Result<Register> {
        if options.read_only {
            return Self::open_read_only(dir, options);
        }
        crate::fsutil::create_private_dir(dir)?;
        if options.postgres.is_none() {
            Self::check_writable(dir)?;
        }
        let keys_dir = dir.join("keys");
        let key = StationKey::load_or_create(&keys_dir)?;
        // Older versions left these world-readable; they hold personal data (R242-9).
        crate::fsutil::restrict(&keys_dir)?;
        for name in [
            crate::keys::PRIVATE_KEY_FILE,
            crate::keys::PUBLIC_KEY_FILE,
            crate::keys::PUBLIC_KEY_PEM_FILE,
        ] {
            crate::fsutil::restrict(&keys_dir.join(name))?;
        }
        let rec_base = dir.join(recordings_base(options.kind));
        crate::fsutil::create_private_dir(&rec_base)?;
        crate::fsutil::restrict(&rec_base)?;
        let mut witnesses = Vec::new();
        for w in &options.witnesses {
            witnesses.push(open_witness(w)?);
        }
        let store: Box<dyn Store> = match &options.postgres {
            Some(conninfo) => Box::new(PostgresStore::connect(conninfo)?),
            None => Box::new(SqliteStore::open(
                &dir.join(options.kind.file_name()),
                options.max_size_bytes,
            )?),
        };
        let station = key.station_id();
        let mut reg = Register {
            store,
            witnesses,
            witness_every: options.witness_every,
            last_witnessed: None,
            last_witness_report: None,
            clock_offset: options.clock_offset,
            public_hex: Some(key.public_hex()),
            key: Some(key),
            station,
            kind: options.kind,
            dir: dir.to_path_buf(),
            retention: options.retention,
        };
        reg.ensure_station_record()?;
        Ok(reg)
    }

    fn open_read_only(dir: &Path, options: OpenOptions) -> Result<Register> {
        let store: Box<dyn Store> = match &options.postgres {
            Some(conninfo) => Box::new(PostgresStore::connect_read_only(conninfo)?),
            None => Box::new(SqliteStore::open_read_only(
                &dir.join(options.kind.file_name()),
            )?),
        };
        // The public key, when this directory has one, lets `verify` check it is this station's chain.
        let pub_path = dir.join("keys").join(crate::keys::PUBLIC_KEY_FILE);
        let public_hex = std::fs::read_to_string(&pub_path)
            .ok()
            .map(|s| s.trim().to_string());
        let station = match &public_hex {
            Some(h) => match hex::decode(h) {
                Ok(bytes) => format!("st-{}", &crate::chain::sha256_hex(&bytes)[..12]),
                Err(e) => {
                    return Err(Error::Key {
                        path: pub_path.display().to_string(),
                        detail: format!("public key is not hex: {e}"),
                    });
                }
            },
            None => String::new(),
        };
        Ok(Register {
            store,
            witnesses: Vec::new(),
            witness_every: options.witness_every,
            last_witnessed: None,
            last_witness_report: None,
            clock_offset: options.clock_offset,
            key: None,
            public_hex,
            station,
            kind: options.kind,
            dir: dir.to_path_buf(),
            retention: options.retention,
        })
    }

    fn signing_key(&self) -> Result<&StationKey> {
        self.key
            .as_ref()
            .ok_or_else(|| read_only_error(&self.store.location()))
    }

    fn ensure_station_record(&mut self) -> Result<()> {
        let subject = format!("station:{}", self.station);
        let existing = self.store.by_station_subject(&self.station, &subject)?;
        let training = self.kind == RegisterKind::Training;
        if let Some(first) = existing.iter().find(|e| e.kind == kind::STATION) {
            let rec: StationRecord = parse(first)?;
            if Some(&rec.public_key_hex) != self.public_hex.as_ref() {
                return Err(Error::Key {
                    path: self.dir.join("keys").display().to_string(),
                    detail: format!(
                        "this key is not the one that started the chain of station {} in {}",
                        self.station,
                        self.store.location()
                    ),
                });
            }
            if rec.training != training {
                return Err(Error::BadInput(format!(
                    "{} is a {} register; training and legal registers are kept apart",
                    self.store.location(),
                    if rec.training { "training" } else { "legal" }
                )));
            }
            return Ok(());
        }
        let rec = StationRecord {
            station_id: self.station.clone(),
            public_key_hex: self.public_key_hex(),
            software: format!("vigie_register {}", env!("CARGO_PKG_VERSION")),
            training,
        };
        self.append(kind::STATION, subject, &rec, Vec::new())?;
        Ok(())
    }

    pub fn station_id(&self) -> &str {
        &self.station
    }
    pub fn kind(&self) -> RegisterKind {
        self.kind
    }
    pub fn dir(&self) -> &Path {
        &self.dir
    }
    pub fn location(&self) -> String {
        self.store.location()
    }
    /// The station's public key (hex); empty when opened read-only without a key directory.
    pub fn public_key_hex(&self) -> String {
        self.public_hex.clone().unwrap_or_default()
    }
    pub fn retention(&self) -> &RetentionPolicy {
        &self.retention
    }

    /// Fails with a clear error when the directory cannot be written (read-only medium, permissions).
    fn check_writable(dir: &Path) -> Result<()> {
        let probe = dir.join(".vigie-write-probe");
        match std::fs::write(&probe, b"probe") {
            Ok(()) => std::fs::remove_file(&probe).map_err(|e| Error::io(&probe, e)),
            Err(e) if e.raw_os_error() == Some(28) => Err(Error::io(dir, e)),
            Err(e) => Err(Error::ReadOnly {
                path: dir.display().to_string(),
                detail: e.to_string(),
            }),
        }
    }

    /// The register's clock: the system clock (plus `OpenOptions::clock_offset` in tests).
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.clock_offset
    }

    pub(crate) fn now_text(&self) -> String {
        self.now().to_rfc3339_opts(SecondsFormat::Micros, true)
    }

    /// Where the station should write a flight's tlog, .rrd and video segments.
    pub fn recordings_dir(&self, flight_id: &str) -> PathBuf {
        self.dir
            .join(recordings_base(self.kind))
            .join(sanitize(flight_id))
    }

    /// [`Register::recordings_dir`], created 0700 (recordings hold personal data).
    pub fn create_recordings_dir(&self, flight_id: &str) -> Result<PathBuf> {
        let dir = self.recordings_dir(flight_id);
        crate::fsutil::create_private_dir(&dir)?;
        crate::fsutil::restrict(&dir)?;
        Ok(dir)
    }

    /// Whether `path` (from the database) really lies inside this station's own recordings
    /// directory, symbolic links resolved. The purge deletes nothing else: in a département
    /// register, a row written by another station (or by whoever can write the database) could
    /// otherwise make it delete any file the station's user can.
    pub fn is_own_recording(&self, path: &Path) -> bool {
        let base = self.dir.join(recordings_base(self.kind));
        match (std::fs::canonicalize(&base), std::fs::canonicalize(path)) {
            (Ok(base), Ok(p)) => p.starts_with(&base) && p != base,
            _ => false,
        }
    }

    /// A flight id unique in a département register: UTC time, vehicle label and this station's id
    /// (`F-20261128T101500Z-drone-1-st-1a2b3c4d5e6f`), with `-2`, `-3`… if this station already
    /// used it. Two communes arming in the same second get two ids.
    pub fn new_flight_id(&mut self, at: DateTime<Utc>, vehicle_label: &str) -> Result<String> {
        let vehicle = sanitize(vehicle_label.trim());
        let vehicle = if vehicle.is_empty() {
            "vehicle".to_string()
        } else {
            vehicle.chars().take(32).collect()
        };
        let base = format!(
            "F-{}-{vehicle}-{}",
            at.format("%Y%m%dT%H%M%SZ"),
            self.station
        );
        let mut id = base.clone();
        for n in 2.. {
            if self
                .latest(&subject_flight(&id), kind::FLIGHT_START)?
                .is_none()
            {
                break;
            }
            id = format!("{base}-{n}");
        }
        Ok(id)
    }

    /// Resolve a stored path (relative paths are relative to the register's directory).
    pub fn resolve(&self, path: &str) -> PathBuf {
        let p = Path::new(path);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.dir.join(p)
        }
    }

    // ---- appends -------------------------------------------------------------------------------

    pub(crate) fn store_by_subject(&mut self, subject: &str) -> Result<Vec<Entry>> {
        self.store.by_subject(subject)
    }

    pub(crate) fn store_by_kind(&mut self, kind: &str) -> Result<Vec<Entry>> {
        self.store.by_kind(kind)
    }

    pub(crate) fn append_record(
        &mut self,
        kind: &str,
        subject: String,
        record: &impl Serialize,
    ) -> Result<Entry> {
        self.append(kind, subject, record, Vec::new())
    }

    pub(crate) fn flight_summaries(&mut self) -> Result<Vec<FlightSummary>> {
        self.summaries()
    }

    pub(crate) fn append(
        &mut self,
        kind: &str,
        subject: String,
        record: &impl Serialize,
        erases: Vec<i64>,
    ) -> Result<Entry> {
        let entry = self.append_batch(vec![(kind, subject, serialize(record)?, erases)])?;
        entry
            .into_iter()
            .next()
            .ok_or_else(|| Error::BadInput("empty append".into()))
    }

    /// Append a record and its access-journal line in one transaction; returns the record's entry.
    fn append_journaled(
        &mut self,
        k: &str,
        subject: String,
        payload: String,
        access: &AccessRecord,
    ) -> Result<Appended> {
        let out = self.append_batch(vec![
            (k, subject, payload, Vec::new()),
            (
                kind::ACCESS,
                "journal".into(),
                serialize(access)?,
                Vec::new(),
            ),
        ])?;
        out.first()
            .map(Appended::from)
            .ok_or_else(|| Error::BadInput("empty append".into()))
    }

    fn append_batch(&mut self, items: Vec<(&str, String, String, Vec<i64>)>) -> Result<Vec<Entry>> {
        let batch: Vec<NewEntry> = items
            .into_iter()
            .map(|(k, subject, payload, erases)| NewEntry {
                signed: kind::SIGNED.contains(&k),
                kind: k.to_string(),
                subject,
                payload,
                erases,
            })
            .collect();
        let at = self.now_text();
        let Some(key) = &self.key else {
            return Err(read_only_error(&self.store.location()));
        };
        self.store.append(&self.station, &at, &batch, &|h: &str| {
            key.sign_hex(h.as_bytes())
        })
    }

    /// Bulk import in one transaction (used to load large registers, e.g. by the benchmark).
    pub fn append_events_bulk(&mut self, events: &[EventRecord]) -> Result<usize> {
        let mut items = Vec::with_capacity(events.len());
        for ev in events {
            let subject = match &ev.flight_id {
                Some(f) => subject_flight(f),
                None => format!("station:{}", self.station),
            };
            items.push((kind::EVENT, subject, serialize(ev)?, Vec::new()));
        }
        Ok(self.append_batch(items)?.len())
    }

    pub fn add_pilot(&mut self, pilot: &PilotRecord) -> Result<Appended> {
        if let Some(h) = &pilot.pin_hash
            && !h.starts_with('$')
        {
            return Err(Error::BadInput(format!(
                "pilot {}: pin_hash must be a PHC hash string (e.g. `$argon2id$...`), never the PIN itself",
                pilot.pilot_id
            )));
        }
        if pilot.certificate_expires_on < pilot.certificate_issued_on {
            return Err(Error::BadInput(format!(
                "pilot {}: certificate_expires_on is before certificate_issued_on",
                pilot.pilot_id
            )));
        }
        Ok((&self.append(
            kind::PILOT,
            format!("pilot:{}", pilot.pilot_id),
            pilot,
            Vec::new(),
        )?)
            .into())
    }

    pub fn add_aircraft(&mut self, aircraft: &AircraftRecord) -> Result<Appended> {
        Ok((&self.append(
            kind::AIRCRAFT,
            format!("aircraft:{}", aircraft.registration),
            aircraft,
            Vec::new(),
        )?)
            .into())
    }

    pub fn add_authorisation(&mut self, auth: &AuthorisationRecord) -> Result<Appended> {
        if auth.valid_until <= auth.valid_from {
            return Err(Error::BadInput(format!(
                "authorisation {}: valid_until ({}) must be after valid_from ({})",
                auth.arrete_number, auth.valid_until, auth.valid_from
            )));
        }
        if let Some(h) = &auth.scan_sha256 {
            check_hex_digest(
                h,
                &format!("authorisation {} scan_sha256", auth.arrete_number),
            )?;
        }
        Ok((&self.append(
            kind::AUTHORISATION,
            format!("authorisation:{}", auth.arrete_number),
            auth,
            Vec::new(),
        )?)
            .into())
    }

    pub fn start_deployment(&mut self, dep: &DeploymentRecord) -> Result<Appended> {
        if dep.planned_end <= dep.planned_start {
            return Err(Error::BadInput(format!(
                "deployment {}: planned_end must be after planned_start (no permanent use, L242-4)",
                dep.deployment_id
            )));
        }
        if self
            .latest(
                &format!("authorisation:{}", dep.arrete_number),
                kind::AUTHORISATION,
            )?
            .is_none()
        {
            return Err(Error::BadInput(format!(
                "deployment {}: authorisation {} is not in the register; add it first",
                dep.deployment_id, dep.arrete_number
            )));
        }
        let subject = format!("deployment:{}", dep.deployment_id);
        if self.latest(&subject, kind::DEPLOYMENT)?.is_some() {
            return Err(Error::BadInput(format!(
                "deployment {} already exists",
                dep.deployment_id
            )));
        }
        Ok((&self.append(kind::DEPLOYMENT, subject, dep, Vec::new())?).into())
    }

    /// The retention clock starts here (R242-11).
    pub fn end_deployment(&mut self, end: &DeploymentEnd) -> Result<Appended> {
        let subject = format!("deployment:{}", end.deployment_id);
        if self.latest(&subject, kind::DEPLOYMENT)?.is_none() {
            return Err(Error::BadInput(format!(
                "deployment {} is not in the register",
                end.deployment_id
            )));
        }
        Ok((&self.append(kind::DEPLOYMENT_END, subject, end, Vec::new())?).into())
    }

    /// Open a flight without a recorded legal basis (stations older than issue 15). Prefer
    /// [`Register::start_flight_with_basis`]: without a basis, retention falls back to the
    /// register's [`RetentionPolicy`] and reports say "legal basis not recorded".
    pub fn start_flight(&mut self, start: &FlightStart) -> Result<Appended> {
        self.start_flight_entry(start, None)
    }

    /// Open a flight under its legal basis (DOMAIN.md §1b): the `flight_start` entry carries the
    /// basis id, version, purpose, documents and the retention it implies.
    pub fn start_flight_with_basis(
        &mut self,
        start: &FlightStart,
        basis: &LegalBasisRecord,
    ) -> Result<Appended> {
        if basis.id.trim().is_empty() || basis.version.trim().is_empty() {
            return Err(Error::BadInput(format!(
                "flight {}: legal basis id and version are required",
                start.flight_id
            )));
        }
        self.start_flight_entry(start, Some(basis))
    }

    fn start_flight_entry(
        &mut self,
        start: &FlightStart,
        basis: Option<&LegalBasisRecord>,
    ) -> Result<Appended> {
        if start.flight_id.is_empty() || start.flight_id.contains(['\n', '/', '\\']) {
            return Err(Error::BadInput(format!(
                "flight id {:?} must be one word without slashes",
                start.flight_id
            )));
        }
        if self
            .latest(
                &format!("deployment:{}", start.deployment_id),
                kind::DEPLOYMENT,
            )?
            .is_none()
        {
            return Err(Error::BadInput(format!(
                "flight {}: deployment {} is not in the register; start it first",
                start.flight_id, start.deployment_id
            )));
        }
        let subject = subject_flight(&start.flight_id);
        if self.latest(&subject, kind::FLIGHT_START)?.is_some() {
            return Err(Error::BadInput(format!(
                "flight {} already exists in station {}; use Register::new_flight_id for a fresh id",
                start.flight_id, self.station
            )));
        }
        let record = FlightStartEntry {
            start: start.clone(),
            legal_basis: basis.cloned(),
        };
        Ok((&self.append(kind::FLIGHT_START, subject, &record, Vec::new())?).into())
    }

    pub fn record_event(&mut self, event: &EventRecord) -> Result<Appended> {
        let subject = self.flight_or_station(event.flight_id.as_deref())?;
        Ok((&self.append(kind::EVENT, subject, event, Vec::new())?).into())
    }

    pub fn record_wind(&mut self, wind: &WindReading) -> Result<Appended> {
        let subject = self.flight_or_station(wind.flight_id.as_deref())?;
        Ok((&self.append(kind::WIND, subject, wind, Vec::new())?).into())
    }

    pub fn record_video_segment(&mut self, seg: &VideoSegment) -> Result<Appended> {
        check_hex_digest(
            &seg.file.sha256,
            &format!("video segment {} sha256", seg.file.path),
        )?;
        let subject = self.flight_or_station(Some(&seg.flight_id))?;
        Ok((&self.append(kind::VIDEO_SEGMENT, subject, seg, Vec::new())?).into())
    }

    /// Seal a flight: the entry lists the hash of every earlier entry of the flight and is signed.
    pub fn seal_flight(&mut self, seal: &FlightSeal) -> Result<Appended> {
        let subject = subject_flight(&seal.flight_id);
        let entries = self.store.by_station_subject(&self.station, &subject)?;
        if !entries.iter().any(|e| e.kind == kind::FLIGHT_START) {
            return Err(Error::BadInput(format!(
                "flight {} was never started in this register",
                seal.flight_id
            )));
        }
        if entries.iter().any(|e| e.kind == kind::FLIGHT_SEAL) {
            return Err(Error::BadInput(format!(
                "flight {} is already sealed",
                seal.flight_id
            )));
        }
        for f in seal.tlog.iter().chain(seal.rrd.iter()) {
            check_hex_digest(
                &f.sha256,
                &format!("flight {} file {} sha256", seal.flight_id, f.path),
            )?;
        }
        let mut seal = seal.clone();
        seal.covered_entries = entries
            .iter()
            .filter(|e| e.station == self.station)
            .map(|e| CoveredEntry {
                station_seq: e.station_seq,
                hash: e.hash.clone(),
            })
            .collect();
        let appended: Appended =
            (&self.append(kind::FLIGHT_SEAL, subject, &seal, Vec::new())?).into();
        // The seal is committed; a witness that cannot be reached does not undo it (the station
        // reads `last_witness_report` and raises an alarm; the timer retries).
        self.witness_after_seal();
        Ok(appended)
    }

    pub fn viewer_session_start(&mut self, s: &ViewerSessionStart) -> Result<Appended> {
        Ok((&self.append(
            kind::VIEWER_START,
            format!("viewer:{}", s.session_id),
            s,
            Vec::new(),
        )?)
            .into())
    }

    pub fn viewer_session_end(&mut self, s: &ViewerSessionEnd) -> Result<Appended> {
        let subject = format!("viewer:{}", s.session_id);
        if self.latest(&subject, kind::VIEWER_START)?.is_none() {
            return Err(Error::BadInput(format!(
                "viewer session {} was never started",
                s.session_id
            )));
        }
        Ok((&self.append(kind::VIEWER_END, subject, s, Vec::new())?).into())
    }

    /// Write one access-journal line. Read paths of this API call it themselves.
    pub fn journal(&mut self, access: &AccessRecord) -> Result<Appended> {
        Ok((&self.append(kind::ACCESS, "journal".into(), access, Vec::new())?).into())
    }

    /// Place a legal hold: the flight's recordings are not erased until it is lifted.
    pub fn place_hold(&mut self, hold: &LegalHold) -> Result<Appended> {
        if hold.procedure_ref.trim().is_empty() {
            return Err(Error::BadInput(
                "legal hold: procedure_ref (the procedure's reference) is required".into(),
            ));
        }
        if hold.flight_id.contains('/') {
            return Err(Error::BadInput(format!(
                "legal hold: give the flight id without its station ({}); a hold applies to that id in every station",
                hold.flight_id
            )));
        }
        // A CSU may hold another station's flight: the flight must exist in some station.
        self.resolve_flight(&hold.flight_id)?;
        let access = AccessRecord {
            at: hold.placed_at,
            actor: hold.placed_by.clone(),
            action: AccessAction::HoldPlaced,
            motive: hold.procedure_ref.clone(),
            recipient: None,
            flights: vec![hold.flight_id.clone()],
            entries: Vec::new(),
            cameras: Vec::new(),
        };
        self.append_journaled(
            kind::HOLD,
            subject_flight(&hold.flight_id),
            serialize(hold)?,
            &access,
        )
    }

    /// Lift the active hold on a flight; journaled.
    pub fn release_hold(&mut self, release: &HoldRelease) -> Result<Appended> {
        if self.active_hold(&release.flight_id)?.is_none() {
            return Err(Error::BadInput(format!(
                "flight {} has no active legal hold",
                release.flight_id
            )));
        }
        let access = AccessRecord {
            at: release.released_at,
            actor: release.released_by.clone(),
            action: AccessAction::HoldLifted,
            motive: release.motive.clone(),
            recipient: None,
            flights: vec![release.flight_id.clone()],
            entries: Vec::new(),
            cameras: Vec::new(),
        };
        self.append_journaled(
            kind::HOLD_RELEASE,
            subject_flight(&release.flight_id),
            serialize(release)?,
            &access,
        )
    }

    /// The active hold on a flight, if any (the last hold not followed by a release).
    pub fn active_hold(&mut self, flight_id: &str) -> Result<Option<LegalHold>> {
        let entries = self.store.by_subject(&subject_flight(flight_id))?;
        let last = entries
            .iter()
            .rev()
            .find(|e| e.kind == kind::HOLD || e.kind == kind::HOLD_RELEASE);
        match last {
            Some(e) if e.kind == kind::HOLD => match parse::<LegalHold>(e) {
                Ok(h) => Ok(Some(h)),
                // Fail closed: an unreadable hold still holds.
                Err(_) => Ok(Some(LegalHold {
                    flight_id: flight_id.to_string(),
                    procedure_ref: format!("(unreadable hold entry {})", e.id),
                    placed_by: Actor::system(),
                    placed_at: self.now(),
                })),
            },
            _ => Ok(None),
        }
    }

    /// Sign each finished day of the access journal that is not signed yet (days before `now`'s day).
    pub fn seal_journal_days(&mut self, now: DateTime<Utc>) -> Result<Vec<NaiveDate>> {
        let today = now.date_naive();
        let mut sealed: HashSet<NaiveDate> = HashSet::new();
        for e in self
            .store
            .by_station_kind(&self.station, kind::JOURNAL_SEAL)?
        {
            if let Some(day) = e
                .subject
                .strip_prefix("journal-day:")
                .and_then(|d| d.parse().ok())
            {
                sealed.insert(day);
            }
        }
        let mut days: BTreeMap<NaiveDate, Vec<CoveredEntry>> = BTreeMap::new();
        for k in kind::JOURNAL {
            for e in self.store.by_station_kind(&self.station, k)? {
                let Some(day) = DateTime::parse_from_rfc3339(&e.recorded_at)
                    .ok()
                    .map(|d| d.with_timezone(&Utc).date_naive())
                else {
                    continue;
                };
                if day < today && !sealed.contains(&day) {
                    days.entry(day).or_default().push(CoveredEntry {
                        station_seq: e.station_seq,
                        hash: e.hash,
                    });
                }
            }
        }
        let mut out = Vec::new();
        for (day, mut entries) in days {
            entries.sort_by_key(|c| c.station_seq);
            self.append(
                kind::JOURNAL_SEAL,
                format!("journal-day:{day}"),
                &JournalDaySeal { day, entries },
                Vec::new(),
            )?;
            out.push(day);
        }
        if !out.is_empty() {
            self.witness_after_seal();
        }
        Ok(out)
    }

    // ---- internal reads (not journaled: the station's own bookkeeping) -------------------------

    /// This station's latest entry of kind `k` about `subject` (keys are station-scoped).
    pub(crate) fn latest(&mut self, subject: &str, k: &str) -> Result<Option<Entry>> {
        Ok(self
            .store
            .by_station_subject(&self.station, subject)?
            .into_iter()
            .rev()
            .find(|e| e.kind == k))
    }

    fn flight_or_station(&mut self, flight: Option<&str>) -> Result<String> {
        match flight {
            Some(f) => {
                self.require_flight(f)?;
                Ok(subject_flight(f))
            }
            None => Ok(format!("station:{}", self.station)),
        }
    }

    fn require_flight(&mut self, flight_id: &str) -> Result<Entry> {
        self.latest(&subject_flight(flight_id), kind::FLIGHT_START)?
            .ok_or_else(|| self.not_found(flight_id))
    }

    fn not_found(&self, flight_id: &str) -> Error {
        Error::BadInput(format!(
            "flight {flight_id} is not in the {} register (see `vigie register list`)",
            match self.kind {
                RegisterKind::Legal => "legal",
                RegisterKind::Training => "training",
            }
        ))
    }

    /// Which station's flight a reader means: `STATION/FLIGHT`, else this station's flight of that
    /// id, else the one station that has it (a département register holds several; when two
    /// stations used the same id the reader must say which).
    pub fn resolve_flight(&mut self, flight_ref: &str) -> Result<(String, String)> {
        if let Some((station, flight)) = flight_ref.split_once('/') {
            let found = self
                .store
                .by_station_subject(station, &subject_flight(flight))?
                .iter()
                .any(|e| e.kind == kind::FLIGHT_START);
            return if found {
                Ok((station.to_string(), flight.to_string()))
            } else {
                Err(self.not_found(flight_ref))
            };
        }
        if self.require_flight(flight_ref).is_ok() {
            return Ok((self.station.clone(), flight_ref.to_string()));
        }
        let subject = subject_flight(flight_ref);
        let mut stations: Vec<String> = self
            .store
            .by_kind(kind::FLIGHT_START)?
            .into_iter()
            .filter(|e| e.subject == subject)
            .map(|e| e.station)
            .collect();
        stations.sort();
        stations.dedup();
        match stations.as_slice() {
            [one] => Ok((one.clone(), flight_ref.to_string())),
            [] => Err(self.not_found(flight_ref)),
            many => Err(Error::BadInput(format!(
                "flight {flight_ref} exists in stations {}: name it as STATION/{flight_ref}",
                many.join(", ")
            ))),
        }
    }

    /// Whether a flight exists and whether it is sealed: for the station's lifecycle, not journaled.
    pub fn flight_state(&mut self, flight_id: &str) -> Result<Option<bool>> {
        let entries = self
            .store
            .by_station_subject(&self.station, &subject_flight(flight_id))?;
        if !entries.iter().any(|e| e.kind == kind::FLIGHT_START) {
            return Ok(None);
        }
        Ok(Some(entries.iter().any(|e| e.kind == kind::FLIGHT_SEAL)))
    }

    /// Every entry of a flight, in its station's chain.
    pub(crate) fn flight_entries(&mut self, station: &str, flight_id: &str) -> Result<Vec<Entry>> {
        self.store
            .by_station_subject(station, &subject_flight(flight_id))
    }

    pub(crate) fn flight_view_unjournaled(&mut self, flight_ref: &str) -> Result<FlightView> {
        let (station, flight_id) = self.resolve_flight(flight_ref)?;
        let entries = self.flight_entries(&station, &flight_id)?;
        let Some(start_entry) = entries.iter().find(|e| e.kind == kind::FLIGHT_START) else {
            return Err(self.not_found(flight_ref));
        };
        let stored: FlightStartEntry = parse(start_entry)?;
        let start = stored.start;
        let mut view = FlightView {
            station: station.clone(),
            start: start.clone(),
            legal_basis: stored.legal_basis,
            seal_entry: None,
            seal: None,
            deployment: None,
            deployment_ended_at: None,
            authorisation: None,
            events: Vec::new(),
            wind: Vec::new(),
            video_segments: Vec::new(),
            active_hold: None,
            viewer_sessions: Vec::new(),
            entry_ids: entries.iter().map(|e| e.id).collect(),
        };
        for e in &entries {
            match e.kind.as_str() {
                kind::FLIGHT_SEAL => {
                    view.seal = Some(parse(e)?);
                    view.seal_entry = Some(SealEntry {
                        id: e.id,
                        station_seq: e.station_seq,
                        hash: e.hash.clone(),
                        signature: e.signature.clone(),
                        recorded_at: e.recorded_at.clone(),
                    });
                }
                kind::EVENT => view.events.push(parse(e)?),
                kind::WIND => view.wind.push(parse(e)?),
                kind::VIDEO_SEGMENT => view.video_segments.push((
                    e.id,
                    if e.payload.is_some() {
                        Some(parse(e)?)
                    } else {
                        None
                    },
                )),
                _ => {}
            }
        }
        let dep_subject = format!("deployment:{}", start.deployment_id);
        for e in self.store.by_station_subject(&station, &dep_subject)? {
            match e.kind.as_str() {
                kind::DEPLOYMENT => view.deployment = Some(parse(&e)?),
                kind::DEPLOYMENT_END => {
                    view.deployment_ended_at = Some(parse::<DeploymentEnd>(&e)?.ended_at)
                }
                _ => {}
            }
        }
        if let Some(a) = self
            .store
            .by_station_subject(&station, &format!("authorisation:{}", start.arrete_number))?
            .into_iter()
            .rev()
            .find(|e| e.kind == kind::AUTHORISATION)
        {
            view.authorisation = Some(parse(&a)?);
        }
        // Viewer sessions are journaled by whoever relayed the stream (the station itself, or the
        // CSU's register); another station's line counts only when the flight id names this station.
        for e in self.store.by_kind(kind::VIEWER_START)? {
            if e.payload.is_none() || (e.station != station && !flight_id.contains(&station)) {
                continue;
            }
            let Ok(s) = parse::<ViewerSessionStart>(&e) else {
                continue;
            };
            if s.flight_id.as_deref() != Some(flight_id.as_str()) {
                continue;
            }
            let end = self
                .store
                .by_station_subject(&e.station, &e.subject)?
                .iter()
                .find(|x| x.kind == kind::VIEWER_END)
                .and_then(|x| parse::<ViewerSessionEnd>(x).ok());
            view.viewer_sessions.push((s, end));
        }
        view.active_hold = self.active_hold(&flight_id)?;
        Ok(view)
    }

    fn summaries(&mut self) -> Result<Vec<FlightSummary>> {
        let mut out = Vec::new();
        let seals: HashMap<(String, String), FlightSeal> = self
            .store
            .by_kind(kind::FLIGHT_SEAL)?
            .iter()
            .filter_map(|e| {
                parse::<FlightSeal>(e)
                    .ok()
                    .map(|s| ((e.station.clone(), s.flight_id.clone()), s))
            })
            .collect();
        let mut held: HashMap<String, bool> = HashMap::new();
        for k in [kind::HOLD, kind::HOLD_RELEASE] {
            for e in self.store.by_kind(k)? {
                held.insert(e.subject.trim_start_matches("flight:").to_string(), false);
            }
        }
        let flights: Vec<String> = held.keys().cloned().collect();
        for f in flights {
            let on = self.active_hold(&f)?.is_some();
            held.insert(f, on);
        }
        for e in self.store.by_kind(kind::FLIGHT_START)? {
            let stored: FlightStartEntry = parse(&e)?;
            let s = stored.start;
            let seal = seals.get(&(e.station.clone(), s.flight_id.clone()));
            out.push(FlightSummary {
                station: e.station.clone(),
                on_hold: held.get(&s.flight_id).copied().unwrap_or(false),
                sealed: seal.is_some(),
                ended_at: seal.map(|x| x.ended_at),
                legal_basis: stored.legal_basis.as_ref().map(|b| b.id.clone()),
                purpose: stored.legal_basis.as_ref().map(|b| b.purpose.clone()),
                place: s.place,
                anonymised_copy: s.anonymised_copy,
                flight_id: s.flight_id,
                deployment_id: s.deployment_id,
                arrete_number: s.arrete_number,
                finalite: s.finalite,
                pilot_id: s.pilot_id,
                aircraft_registration: s.aircraft_registration,
                started_at: s.started_at,
            });
        }
        Ok(out)
    }

    // ---- journaled reads -----------------------------------------------------------------------

    /// List flights matching `filter`; writes a consultation line in the access journal first.
    pub fn list_flights(
        &mut self,
        filter: &FlightFilter,
        actor: &Actor,
        motive: &str,
    ) -> Result<Vec<FlightSummary>> {
        let all = self.summaries()?;
        let matching: Vec<FlightSummary> = all
            .into_iter()
            .filter(|f| filter.from.is_none_or(|t| f.started_at >= t))
            .filter(|f| filter.to.is_none_or(|t| f.started_at <= t))
            .filter(|f| filter.pilot_id.as_ref().is_none_or(|p| &f.pilot_id == p))
            .filter(|f| {
                filter
                    .aircraft
                    .as_ref()
                    .is_none_or(|a| &f.aircraft_registration == a)
            })
            .filter(|f| {
                filter
                    .arrete_number
                    .as_ref()
                    .is_none_or(|a| &f.arrete_number == a)
            })
            .filter(|f| filter.finalite.as_ref().is_none_or(|a| &f.finalite == a))
            .filter(|f| filter.station.as_ref().is_none_or(|a| &f.station == a))
            .collect();
        self.journal_access(
            actor,
            AccessAction::Consultation,
            motive,
            None,
            matching.iter().map(|f| f.flight_id.clone()).collect(),
            Vec::new(),
        )?;
        Ok(matching)
    }

    /// Everything about one flight; journaled as a consultation.
    pub fn show_flight(
        &mut self,
        flight_id: &str,
        actor: &Actor,
        motive: &str,
    ) -> Result<FlightView> {
        let view = self.flight_view_unjournaled(flight_id)?;
        self.journal_access(
            actor,
            AccessAction::Consultation,
            motive,
            None,
            vec![flight_id.to_string()],
            view.entry_ids.clone(),
        )?;
        Ok(view)
    }

    /// Events of the station between two instants (refusals with their rule IDs, wind-gate
    /// changes, alarms), whether or not a flight was open; journaled as a consultation.
    pub fn events(
        &mut self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        actor: &Actor,
        motive: &str,
    ) -> Result<Vec<EventRecord>> {
        let mut out = Vec::new();
        let mut ids = Vec::new();
        for e in self.store.by_kind(kind::EVENT)? {
            let Ok(ev) = parse::<EventRecord>(&e) else {
                continue; // erased (tombstone) or unreadable: verify reports those
            };
            if from.is_some_and(|f| ev.at < f) || to.is_some_and(|t| ev.at > t) {
                continue;
            }
            ids.push(e.id);
            out.push(ev);
        }
        let flights: std::collections::BTreeSet<String> =
            out.iter().filter_map(|e| e.flight_id.clone()).collect();
        self.journal_access(
            actor,
            AccessAction::Consultation,
            motive,
            None,
            flights.into_iter().collect(),
            ids,
        )?;
        Ok(out)
    }

    /// The flight's .rrd, checked against its sealed digest, for the viewer; journaled as a replay.
    pub fn replay(&mut self, flight_id: &str, actor: &Actor, motive: &str) -> Result<PathBuf> {
        let view = self.flight_view_unjournaled(flight_id)?;
        let Some(seal) = &view.seal else {
            return Err(Error::BadInput(format!(
                "flight {flight_id} is not sealed yet: no recording to replay"
            )));
        };
        let Some(rrd) = &seal.rrd else {
            return Err(Error::BadInput(format!(
                "flight {flight_id} has no .rrd recording"
            )));
        };
        let path = self.resolve(&rrd.path);
        let digest = file_sha256(&path).map_err(|e| match e {
            Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => Error::BadInput(format!(
                "flight {flight_id}: recording {} is gone (erased by the retention purge, or missing)",
                path.display()
            )),
            other => other,
        })?;
        if digest != rrd.sha256 {
            return Err(Error::Recording {
                path: path.display().to_string(),
                detail: format!(
                    "SHA-256 {digest} differs from the sealed {}; run `vigie register verify`",
                    rrd.sha256
                ),
            });
        }
        self.journal_access(
            actor,
            AccessAction::Replay,
            motive,
            None,
            vec![flight_id.to_string()],
            view.entry_ids.clone(),
        )?;
        Ok(path)
    }

    /// L242-4 register of processing as CSV: purpose, recording durations, who had access. Journaled.
    /// This station's flights only: the register of processing is the commune's (its controller's).
    pub fn processing_register_csv(&mut self, actor: &Actor, motive: &str) -> Result<String> {
        let station = self.station.clone();
        let flights: Vec<FlightSummary> = self
            .summaries()?
            .into_iter()
            .filter(|f| f.station == station)
            .collect();
        // Who had access to what: viewer sessions and journal lines, per flight.
        let mut access: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for e in self.store.by_station_kind(&station, kind::VIEWER_START)? {
            if let Ok(s) = parse::<ViewerSessionStart>(&e)
                && let Some(f) = s.flight_id
            {
                access.entry(f).or_default().push(format!(
                    "{} ({}, live {})",
                    s.viewer.name, s.viewer.role, s.stream
                ));
            }
        }
        for e in self.store.by_station_kind(&station, kind::ACCESS)? {
            if let Ok(a) = parse::<AccessRecord>(&e) {
                for f in &a.flights {
                    access.entry(f.clone()).or_default().push(format!(
                        "{} ({}, {:?} {})",
                        a.actor.name,
                        a.actor.role,
                        a.action,
                        a.at.format("%Y-%m-%d")
                    ));
                }
            }
        }
        let r = &self.retention;
        let durations = format!(
            "recordings {} h after deployment end; domicile {} h; journal {} days",
            r.recordings.num_hours(),
            r.domicile.num_hours(),
            r.journal.num_days()
        );
        let mut csv = String::from(
            "flight_id,finalite,arrete_number,deployment_id,pilot_id,aircraft,started_at,ended_at,recording_durations,legal_hold,who_had_access\n",
        );
        for f in &flights {
            let who = access
                .get(&f.flight_id)
                .map(|v| v.join("; "))
                .unwrap_or_default();
            let row = [
                f.flight_id.clone(),
                f.finalite.clone(),
                f.arrete_number.clone(),
                f.deployment_id.clone(),
                f.pilot_id.clone(),
                f.aircraft_registration.clone(),
                f.started_at.to_rfc3339(),
                f.ended_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                durations.clone(),
                f.on_hold.to_string(),
                who,
            ];
            csv.push_str(
                &row.iter()
                    .map(|c| csv_field(c))
                    .collect::<Vec<_>>()
                    .join(","),
            );
            csv.push('\n');
        }
        self.journal_access(
            actor,
            AccessAction::Consultation,
            motive,
            None,
            flights.iter().map(|f| f.flight_id.clone()).collect(),
            Vec::new(),
        )?;
        Ok(csv)
    }

    // ---- witnesses -----------------------------------------------------------------------------

    /// Add a witness (e.g. the CSU relay) besides those named in `OpenOptions::witnesses`.
    pub fn add_witness(&mut self, witness: Box<dyn Witness>) {
        self.witnesses.push(witness);
    }

    /// This station's chain head, signed now with the station key.
    pub fn signed_head(&mut self) -> Result<SignedHead> {
        let Some(head) = self.store.head(&self.station)? else {
            return Err(Error::BadInput(format!(
                "station {} has no entry in {} yet",
                self.station,
                self.store.location()
            )));
        };
        let now = self.now();
        let key = self.signing_key()?;
        Ok(SignedHead::new(
            key,
            &self.station,
            head.station_seq,
            head.id,
            &head.hash,
            now,
        ))
    }

    /// Send the signed head to every witness now. `Err` only when the head cannot be read or
    /// signed; a witness that cannot be reached is listed in `failed` (raise an alarm, retry).
    pub fn witness_now(&mut self) -> Result<WitnessReport> {
        let head = self.signed_head()?;
        let mut report = WitnessReport {
            head: head.clone(),
            delivered: Vec::new(),
            failed: Vec::new(),
        };
        for w in &mut self.witnesses {
            match w.record(&head) {
                Ok(()) => report.delivered.push(w.describe()),
                Err(e) => {
                    tracing::warn!("register head not witnessed by {}: {e}", w.describe());
                    report.failed.push((w.describe(), e.to_string()));
                }
            }
        }
        if report.failed.is_empty() {
            self.last_witnessed = Some((self.now(), head.station_seq));
        }
        self.last_witness_report = Some(report.clone());
        Ok(report)
    }

    /// The station's timer calls this (every minute, say): the head goes to the witnesses when
    /// `witness_every` has passed since the last delivered head and the chain has grown, or when
    /// the last round failed. `None` when nothing was due (or no witness is configured).
    pub fn witness_if_due(&mut self, now: DateTime<Utc>) -> Result<Option<WitnessReport>> {
        if self.witnesses.is_empty() {
            return Ok(None);
        }
        let seq = self.store.head(&self.station)?.map_or(0, |e| e.station_seq);
        let due = match self.last_witnessed {
            None => true,
            Some((at, witnessed_seq)) => seq > witnessed_seq && now - at >= self.witness_every,
        };
        if !due {
            return Ok(None);
        }
        self.witness_now().map(Some)
    }

    /// What the last round of witnessing did (after a seal, or from the timer).
    pub fn last_witness_report(&self) -> Option<&WitnessReport> {
        self.last_witness_report.as_ref()
    }

    /// How many witnesses the register sends its head to.
    pub fn witness_count(&self) -> usize {
        self.witnesses.len()
    }

    fn witness_after_seal(&mut self) {
        if self.witnesses.is_empty() {
            return;
        }
        if let Err(e) = self.witness_now() {
            tracing::warn!("register head not witnessed after a seal: {e}");
        }
    }

    pub(crate) fn journal_access(
        &mut self,
        actor: &Actor,
        action: AccessAction,
        motive: &str,
        recipient: Option<&str>,
        flights: Vec<String>,
        entries: Vec<i64>,
    ) -> Result<Appended> {
        if motive.trim().is_empty() {
            return Err(Error::BadInput(
                "access journal: a motive is required (R242-12)".into(),
            ));
        }
        if actor.id.trim().is_empty() {
            return Err(Error::BadInput(
                "access journal: who acts (actor id) is required (R242-12)".into(),
            ));
        }
        self.journal(&AccessRecord {
            at: self.now(),
            actor: actor.clone(),
            action,
            motive: motive.to_string(),
            recipient: recipient.map(str::to_string),
            flights,
            entries,
            cameras: Vec::new(),
        })
    }

    pub(crate) fn append_erasure(
        &mut self,
        subject: String,
        payload: String,
        erases: Vec<i64>,
    ) -> Result<Entry> {
        let out = self.append_batch(vec![(kind::ERASURE, subject, payload, erases)])?;
        out.into_iter()
            .next()
            .ok_or_else(|| Error::BadInput("empty append".into()))
    }

    pub(crate) fn store(&mut self) -> &mut dyn Store {
        self.store.as_mut()
    }

    pub(crate) fn key(&self) -> Result<&StationKey> {
        self.signing_key()
    }
}

fn read_only_error(location: &str) -> Error {
    Error::BadInput(format!(
        "register {location} is open read-only (for verification): it cannot be written"
    ))
}

pub(crate) fn serialize(record: &impl Serialize) -> Result<String> {
    serde_json::to_string(record)
        .map_err(|e| Error::BadInput(format!("record does not serialise to JSON: {e}")))
}

fn check_hex_digest(h: &str, what: &str) -> Result<()> {
    if h.len() == 64
        && h.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(Error::BadInput(format!(
            "{what}: {h:?} is not a lowercase hex SHA-256 (64 characters)"
        )))
    }
}

pub(crate) fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// SHA-256 of a file, streamed.
pub fn file_sha256(path: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    use std::io::Read as _;
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// A [`FileRef`] for a file as it is now.
pub fn file_ref(path: &Path) -> Result<FileRef> {
    let bytes = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .len();
    Ok(FileRef {
        path: path.display().to_string(),
        sha256: file_sha256(path)?,
        bytes,
    })
}

#[allow(dead_code)]
pub(crate) fn verify_sig(
    public_hex: &str,
    hash: &str,
    sig: &str,
) -> std::result::Result<(), String> {
    verify_hex(public_hex, hash.as_bytes(), sig)
}

#[allow(dead_code)]
pub(crate) fn digest_of(s: &str) -> String {
    sha256_hex(s.as_bytes())
}

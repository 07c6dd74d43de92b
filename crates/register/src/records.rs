//! The records the register keeps, as plain serde structs (JSON in the chain).
//!
//! Field names carry units (`_m`, `_mps`, `_deg`); times are UTC. These are the register's own types:
//! the station converts its domain values into them when it appends.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A file the register points to (tlog, .rrd, video segment) and the digest it had when recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    /// Absolute path, or relative to the register's directory.
    pub path: String,
    /// Lowercase hex SHA-256 of the whole file.
    pub sha256: String,
    pub bytes: u64,
}

/// Who acts on the register (R242-12: identifier, name, role).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub id: String,
    pub name: String,
    pub role: String,
}

impl Actor {
    /// The station itself (automatic purge, automatic actions).
    pub fn system() -> Actor {
        Actor {
            id: "system".into(),
            name: "Vigie station".into(),
            role: "automatic".into(),
        }
    }
}

/// First entry of each station's chain: who signs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StationRecord {
    pub station_id: String,
    /// Lowercase hex of the 32-byte Ed25519 public key.
    pub public_key_hex: String,
    pub software: String,
    #[serde(default)]
    pub training: bool,
}

/// Pilot certificate data. The PIN is never stored in plaintext: only the station's hash of it, if any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PilotRecord {
    pub pilot_id: String,
    pub name: String,
    /// Administrative identifier (matricule), R242-9.
    pub administrative_id: String,
    pub certificate_number: String,
    pub certificate_kind: String,
    pub certificate_issued_on: NaiveDate,
    pub certificate_expires_on: NaiveDate,
    /// PHC string (e.g. argon2id) of the PIN, computed by the station.
    #[serde(default)]
    pub pin_hash: Option<String>,
    /// Airframe types the pilot is qualified on (matched against the vehicle's airframe).
    #[serde(default)]
    pub airframes: Vec<String>,
    /// The last flight the chief recorded from the pilot's logbook (flights flown outside this
    /// station); recency is the later of it and the register's own flights.
    #[serde(default)]
    pub logbook_last_flight_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AircraftRecord {
    /// Registration number (R242-9).
    pub registration: String,
    pub model: String,
    #[serde(default)]
    pub serial: Option<String>,
    #[serde(default)]
    pub mass_g: Option<u32>,
}

/// The préfet's authorisation (CSI L242-5; DOMAIN.md §1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthorisationRecord {
    pub arrete_number: String,
    pub issuer: String,
    pub signed_on: NaiveDate,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    /// Finalité, as configured (R242-8 I, 1° to 6°).
    pub finalite: String,
    /// Perimeter polygons, each a ring of `[lat_deg, lon_deg]`.
    pub perimeter_lat_lon_deg: Vec<Vec<[f64; 2]>>,
    pub max_cameras: u32,
    /// Public-information modality, or the exception invoked (L242-3, R242-13).
    pub public_information: String,
    /// SHA-256 of the scanned arrêté (PDF), when there is one.
    #[serde(default)]
    pub scan_sha256: Option<String>,
    #[serde(default)]
    pub revoked: bool,
}

/// A deployment under an authorisation. It always has a planned end: no permanent use (L242-4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeploymentRecord {
    pub deployment_id: String,
    pub arrete_number: String,
    pub finalite: String,
    /// Place or zone (R242-9).
    pub place: String,
    pub planned_start: DateTime<Utc>,
    pub planned_end: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeploymentEnd {
    pub deployment_id: String,
    pub ended_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlightStart {
    pub flight_id: String,
    pub deployment_id: String,
    pub arrete_number: String,
    pub finalite: String,
    pub pilot_id: String,
    pub aircraft_registration: String,
    pub started_at: DateTime<Utc>,
    #[serde(default)]
    pub takeoff_lat_deg: Option<f64>,
    #[serde(default)]
    pub takeoff_lon_deg: Option<f64>,
    /// Place or zone (R242-9).
    pub place: String,
    /// Training flights belong to the training register; anonymised copies say so.
    #[serde(default)]
    pub anonymised_copy: bool,
    /// The vehicle that flew it (its MAVLink system id), so a restarted station can find the
    /// flight it left open when the same vehicle reappears.
    #[serde(default)]
    pub vehicle: Option<u8>,
    /// The UAS operator's registration number (EN 4709-002, as AlphaTango issues it), when the
    /// station is configured with one: the flight's operator, as Remote ID broadcasts it.
    #[serde(default)]
    pub operator_registration: Option<String>,
}

/// The legal basis a flight flies under (DOMAIN.md §1b), as the register keeps it: the id and
/// version of the configured basis, and what it implied for retention at the time of the flight,
/// so a later change of configuration never changes what applied to a past flight.
/// (The station converts `flight_rules::LegalBasis` into this.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LegalBasisRecord {
    /// e.g. `csi-l242`, `csi-l242-municipal`, `env-risques-naturels`, `aviation`.
    pub id: String,
    /// Version of the legal-bases configuration that defined it, e.g. `2026-02`.
    pub version: String,
    /// Human title with its sources, e.g. `CSI L242-1 … L242-8, R242-8 … R242-14`.
    pub title: String,
    /// Purpose the flight flies for (one of the basis' purposes).
    pub purpose: String,
    /// False for plain aviation: no processing of personal data.
    pub personal_data: bool,
    /// Video segments, tlog and .rrd are erased this many hours after the deployment ends
    /// (0: at the first purge after it ends — nothing kept beyond the register of processing).
    pub recordings_retention_h: u32,
    /// Segments flagged `domicile` (R242-11 II: 48 h).
    pub domicile_retention_h: u32,
    /// Public-information duty of the basis, as configured.
    pub public_information: String,
    /// Documents the basis requires, with the references the flight presented (kind → reference).
    #[serde(default)]
    pub documents: std::collections::BTreeMap<String, String>,
    /// Flown under the emergency procedure of the basis (public not informed beforehand).
    #[serde(default)]
    pub emergency: bool,
}

/// What is stored in a `flight_start` entry: the start and, since issue 15, its legal basis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct FlightStartEntry {
    #[serde(flatten)]
    pub start: FlightStart,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_basis: Option<LegalBasisRecord>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TrackSummary {
    pub points: u64,
    pub distance_m: f64,
    /// `[min_lat, min_lon, max_lat, max_lon]` in degrees, when the track has a point.
    #[serde(default)]
    pub bbox_deg: Option<[f64; 4]>,
}

/// The closing record of a flight; signed by the station key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlightSeal {
    pub flight_id: String,
    pub ended_at: DateTime<Utc>,
    pub track: TrackSummary,
    pub max_alt_agl_m: f64,
    #[serde(default)]
    pub tlog: Option<FileRef>,
    #[serde(default)]
    pub rrd: Option<FileRef>,
    /// Filled by the register: `(station_seq, hash)` of every earlier entry of this flight, so the
    /// seal's signature vouches for each of them.
    #[serde(default)]
    pub covered_entries: Vec<CoveredEntry>,
    /// How the flight ended when it did not end with the station watching it land (None: landed
    /// and disarmed with the station connected).
    #[serde(default)]
    pub ending: Option<FlightEnding>,
}

/// How a flight ended when the station was not there to see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FlightEnding {
    /// The vehicle landed and disarmed while the station was away (killed, closed, crashed);
    /// what the vehicle reported when it was heard again.
    EndedWhileStationAway {
        heard_again_at: DateTime<Utc>,
        vehicle_report: String,
    },
}

/// The station stopped (closed, signalled) while this flight was open: it is NOT sealed as if it
/// had landed; a restarted station resumes or closes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlightInterruption {
    pub flight_id: String,
    pub at: DateTime<Utc>,
    /// Why: `station-shutdown`, `station-signal`, `window-closed`.
    pub reason: String,
    /// Airborne when the station stopped, as far as it knew.
    #[serde(default)]
    pub airborne: Option<bool>,
    /// What the vehicle was going to do without its station (its GCS failsafe), when known.
    #[serde(default)]
    pub vehicle_failsafe: Option<String>,
}

/// A restarted station found the vehicle still armed and took the flight up again: one flight,
/// with the gap recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlightResumption {
    pub flight_id: String,
    pub at: DateTime<Utc>,
    /// Since the station last recorded anything of this flight.
    pub gap_s: f64,
    /// The station had stopped cleanly (an interruption entry) or not (killed, crashed).
    pub after_clean_stop: bool,
}

/// A flight started and not sealed, as a starting station finds it.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenFlight {
    pub start: FlightStart,
    pub interrupted: Option<FlightInterruption>,
    /// The last time anything of this flight was recorded (the gap starts there).
    pub last_entry_at: DateTime<Utc>,
    pub resumptions: usize,
    /// The last fence and mission the station recorded as uploaded to this vehicle (the
    /// FENCE-UPLOADED / MISSION-UPLOADED events' `data`), before or during the flight.
    pub last_fence: Option<serde_json::Value>,
    pub last_mission: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoveredEntry {
    pub station_seq: i64,
    pub hash: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A rule refused an action (rule IDs in `rule_ids`).
    Denial,
    Alarm,
    /// A command the station sent to the vehicle.
    Command,
    /// Something the station did by itself (RTL at the wind limit, ...).
    AutomaticAction,
    Info,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    #[serde(default)]
    pub flight_id: Option<String>,
    pub at: DateTime<Utc>,
    pub kind: EventKind,
    /// Short machine code, e.g. `wind.gate` or `cmd.rtl`.
    pub code: String,
    pub text: String,
    #[serde(default)]
    pub rule_ids: Vec<String>,
    /// What the event is about, when it is a thing (the fence or mission items the station
    /// uploaded), so a restarted station can compare what the vehicle holds with it.
    #[serde(default)]
    pub data: Option<serde_json::Value>,
    /// The vehicle it concerns (its MAVLink system id), flight or not.
    #[serde(default)]
    pub vehicle: Option<u8>,
}

/// A wind value a decision used (DOMAIN.md §4: record source, values and decision).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindReading {
    #[serde(default)]
    pub flight_id: Option<String>,
    pub at: DateTime<Utc>,
    pub source: String,
    pub speed_mps: f64,
    #[serde(default)]
    pub gust_mps: Option<f64>,
    #[serde(default)]
    pub wind_from_deg: Option<f64>,
    pub age_s: f64,
    pub decision: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoSegment {
    pub flight_id: String,
    pub camera: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub file: FileRef,
    /// Home interiors or their entrances could not be avoided: erased at 48 h (R242-11 II).
    #[serde(default)]
    pub domicile: bool,
}

/// A live viewer (CSU operator) watching a stream (L242-4: who had access, including live relay).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViewerSessionStart {
    pub session_id: String,
    #[serde(default)]
    pub flight_id: Option<String>,
    pub viewer: Actor,
    /// Network address or console the viewer watched from.
    pub from: String,
    pub stream: String,
    pub started_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViewerSessionEnd {
    pub session_id: String,
    pub ended_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessAction {
    Consultation,
    Replay,
    Extraction,
    Erasure,
    HoldPlaced,
    HoldLifted,
    Verification,
}

/// One line of the access journal (R242-12).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessRecord {
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub action: AccessAction,
    /// Why: judicial, administrative, disciplinary, training, and the reference.
    pub motive: String,
    #[serde(default)]
    pub recipient: Option<String>,
    /// Flights concerned (empty for a listing).
    #[serde(default)]
    pub flights: Vec<String>,
    /// Register entry ids concerned.
    #[serde(default)]
    pub entries: Vec<i64>,
    #[serde(default)]
    pub cameras: Vec<String>,
}

/// A legal hold suspends erasure of a flight's recordings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LegalHold {
    pub flight_id: String,
    /// Reference of the judicial, administrative or disciplinary procedure.
    pub procedure_ref: String,
    pub placed_by: Actor,
    pub placed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoldRelease {
    pub flight_id: String,
    pub released_by: Actor,
    pub released_at: DateTime<Utc>,
    pub motive: String,
}

/// What a purge erased; the entry keeps digests so the chain still verifies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErasureRecord {
    pub at: DateTime<Utc>,
    pub actor: Actor,
    /// Rule applied, e.g. `R242-11 III: 7 days after deployment end`.
    pub rule: String,
    #[serde(default)]
    pub flight_id: Option<String>,
    /// Entries whose content was erased (tombstoned).
    pub entries: Vec<i64>,
    /// Files deleted, with the digest they had.
    pub files: Vec<FileRef>,
    /// Why the purge ran (automatic retention, or the motive the actor gave).
    #[serde(default)]
    pub motive: Option<String>,
}

/// The daily signature over the access journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalDaySeal {
    pub day: NaiveDate,
    pub entries: Vec<CoveredEntry>,
}

/// A chief's approval of a transparency export (the aggregate's digest, so the approval covers
/// exactly what is published).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransparencyApproval {
    pub at: DateTime<Utc>,
    pub approved_by: Actor,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// SHA-256 of the canonical JSON of the aggregate that was approved.
    pub aggregate_sha256: String,
}

//! What the UI, the CLI and scripts read: a typed picture of the station, published on a
//! `watch` whenever it changes (throttled by the actor).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use chrono::{DateTime, Utc};
use flight_rules::{Decision, WindGate, WindReading};
use serde::Serialize;
use vigie_link::VehicleTelemetry;

use crate::event::{Alarm, StationEvent};
use crate::protocol::VehicleId;

/// Where a vehicle's flight record stands.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub enum FlightPhase {
    /// On the ground, no flight open.
    #[default]
    Idle,
    /// Armed: the flight is being opened in the register.
    Opening { since: DateTime<Utc> },
    /// Armed, recorded in the register.
    Recording {
        flight_id: String,
        since: DateTime<Utc>,
    },
    /// Armed but the register could not open the flight (an alarm says why).
    Unrecorded { since: DateTime<Utc> },
}

impl FlightPhase {
    pub fn flight_id(&self) -> Option<&str> {
        match self {
            FlightPhase::Recording { flight_id, .. } => Some(flight_id),
            _ => None,
        }
    }
}

/// The on-board fence as the station last saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct FenceStatus {
    /// Uploaded and read back identical.
    pub loaded: bool,
    /// FENCE_ENABLE acknowledged.
    pub enabled: bool,
}

/// The mission on board, as uploaded and verified, and how far the vehicle is along it.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct MissionStatus {
    pub mission: Option<flight_rules::Mission>,
    /// Items on board (what was uploaded, home excluded).
    pub items: usize,
    /// MISSION_CURRENT: the item flown now (ArduPilot numbering: 1 = first uploaded item).
    pub current_seq: Option<u16>,
    pub last_reached_seq: Option<u16>,
}

/// One vehicle as the UI sees it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VehicleView {
    pub telemetry: VehicleTelemetry,
    /// The verdict ARM would get now, with its findings (shown before the pilot presses it).
    pub preflight: Option<Decision>,
    /// The in-flight evaluation (position, wind, window, breach prediction).
    pub monitor: Option<Decision>,
    pub wind_gate: Option<WindGate>,
    pub fence: FenceStatus,
    pub mission: MissionStatus,
    pub flight: FlightPhase,
    /// Track points (lat, lon, alt above home) while armed, thinned.
    pub track: Vec<(f64, f64, f64)>,
    /// A procedure in progress (request name), if any.
    pub busy_with: Option<&'static str>,
}

/// One arrêté the session can fly under.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuthorisationSummary {
    pub arrete: String,
    pub issuer: String,
    pub finalite: String,
    pub commune: Option<String>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub revoked: bool,
    /// Valid now (window and not revoked).
    pub valid_now: bool,
}

/// The session: who flies, under which authorisation, with what on the checklist.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SessionView {
    pub training: bool,
    /// A pilot is logged in (or configured, in the demo).
    pub logged_in: bool,
    pub pilot_id: Option<String>,
    pub pilot_name: Option<String>,
    /// Set after repeated wrong PINs: the account accepts no PIN until then.
    pub lockout_until: Option<DateTime<Utc>>,
    pub arrete: Option<String>,
    pub finalite: Option<String>,
    /// The legal basis flights fly under now (id), if any.
    pub legal_basis: Option<String>,
    /// Arrêtés the session can pick from.
    pub authorisations: Vec<AuthorisationSummary>,
    pub checklist_ticks: BTreeSet<String>,
    /// Wind readings from the ground (anemometer, METAR) in force.
    pub ground_wind: Vec<WindReading>,
    /// Manned traffic from the ground feed (SBS-1); each vehicle's own ADS-B is in its telemetry.
    pub traffic: Vec<flight_rules::Traffic>,
}

/// An incident as the pilot sees it, with the response times measured so far.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentView {
    pub id: String,
    /// When the alert was raised.
    pub at: DateTime<Utc>,
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub kind: String,
    pub note: String,
    /// Who posted it (the token's name).
    pub source: String,
    /// Alert → a vehicle airborne (0 when one already was).
    pub airborne_after_s: Option<f64>,
    /// Alert → a vehicle within [`ON_SCENE_M`] of it.
    pub on_scene_after_s: Option<f64>,
}

/// How close a vehicle must be to an incident to be on scene (horizontally).
pub const ON_SCENE_M: f64 = 50.0;

#[derive(Debug, Clone, Default, Serialize)]
pub struct StationSnapshot {
    pub vehicles: BTreeMap<VehicleId, VehicleView>,
    pub session: SessionView,
    /// The latest events, newest last.
    pub events: VecDeque<StationEvent>,
    /// Every alarm not yet acknowledged and cleared, oldest first.
    pub alarms: Vec<Alarm>,
    /// The patrol's hot spots, in order of first sighting.
    pub hotspots: Vec<vigie_patrol::Hotspot>,
    /// Incidents posted by the CSU or an alert network, newest last.
    pub incidents: Vec<IncidentView>,
    /// Bumped on every publication (a script can tell two snapshots apart).
    pub version: u64,
}

impl StationSnapshot {
    pub fn vehicle(&self, id: VehicleId) -> Option<&VehicleView> {
        self.vehicles.get(&id)
    }
}

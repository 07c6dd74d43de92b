//! The session: who flies, under which authorisation, what the checklist says, the wind on the
//! ground. One per station.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use flight_rules::{Authorisation, FlightLegalBasis, LegalBases, Pilot, WindReading, WindSource};

#[derive(Debug, Clone, Default)]
pub struct SessionState {
    pub pilot: Option<Pilot>,
    pub authorisation: Option<Authorisation>,
    /// The legal basis flights fly under (None in training: plain aviation).
    pub legal_basis: Option<FlightLegalBasis>,
    /// Training flight: pilot rules warn instead of blocking; kept apart from the legal register.
    pub training: bool,
    pub checklist_ticks: BTreeSet<String>,
    /// The latest ground reading of each source (anemometer, METAR).
    pub ground_wind: BTreeMap<WindSourceKey, WindReading>,
    /// Arrêtés the session may fly under (imported or configured), by number.
    pub authorisations: BTreeMap<String, Authorisation>,
    /// The catalogue of legal bases, and the one this service flies under (its id); the flight's
    /// basis is re-derived with the selected arrêté's finalité as purpose.
    pub legal_bases: Option<LegalBases>,
    pub legal_basis_id: Option<String>,
    /// A pilot logged in with a PIN (or configured, in the demo).
    pub logged_in: bool,
    pub lockout_until: Option<DateTime<Utc>>,
    /// Manned traffic from the ground feed (SBS-1).
    pub traffic: Vec<flight_rules::Traffic>,
    /// Where the flight operates when no arrêté gives a perimeter (a basis that needs none,
    /// such as a forest-fire patrol): the fence is built from it.
    /// The UAS operator's registration number (EN 4709-002): Remote ID must broadcast it.
    pub operator_registration: Option<flight_rules::OperatorRegistration>,
    pub operation_area: Option<OperationArea>,
}

/// A named area (lon/lat polygon) the pilot operates in.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OperationArea {
    pub name: String,
    pub polygon: geo::Polygon<f64>,
}

/// `WindSource` as a map key (its derive has no `Ord`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct WindSourceKey(u8);

impl From<WindSource> for WindSourceKey {
    fn from(s: WindSource) -> Self {
        WindSourceKey(match s {
            WindSource::Anemometer => 0,
            WindSource::Metar => 1,
            WindSource::Vehicle => 2,
        })
    }
}

impl SessionState {
    pub fn add_wind(&mut self, w: WindReading) {
        self.ground_wind.insert(w.source.into(), w);
    }

    pub fn ground_wind(&self) -> Vec<WindReading> {
        self.ground_wind.values().copied().collect()
    }

    /// The basis a flight under `a` flies under: none in training (plain aviation), else the
    /// service's configured basis with the arrêté's finalité as purpose.
    pub fn legal_basis_for(&self, a: &Authorisation) -> Option<FlightLegalBasis> {
        if self.training {
            return None;
        }
        let id = self
            .legal_basis_id
            .clone()
            .or_else(|| self.legal_basis.as_ref().map(|b| b.basis.id.clone()))?;
        let bases = self.legal_bases.as_ref()?;
        let documents = self
            .legal_basis
            .as_ref()
            .map(|b| b.documents.clone())
            .unwrap_or_default();
        bases.select(&id, &a.finalite, documents, false).ok()
    }
}

//! The session: who flies, under which authorisation, what the checklist says, the wind on the
//! ground. One per station.

use std::collections::{BTreeMap, BTreeSet};

use flight_rules::{Authorisation, FlightLegalBasis, Pilot, WindReading, WindSource};

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
}

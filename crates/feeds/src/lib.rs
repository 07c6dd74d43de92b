//! `vigie_feeds`: the ground feeds a station meets besides the vehicle (DOMAIN.md §6) —
//! a launch-site anemometer speaking NMEA 0183 MWV (UDP, TCP, serial), a METAR (text, file or
//! URL), manned traffic from an SBS-1 / BaseStation server (dump1090, readsb), and incidents
//! posted over HTTP by the CSU or an alert network.
//!
//! Each feed is a pure decoder (table-tested: `nmea`, `gust`, `metar_doc`, `sbs`,
//! `traffic_table`) driven by a tokio task that does the I/O, stamps receive times and reports
//! by kind: values and faults on a channel (`FeedEvent`), counters in a `watch` (`FeedStats`).
//! Values are `flight_rules` types; the rules judge their age.

pub mod address;
pub mod anemometer;
pub mod feed;
pub mod gust;
pub mod incidents;
pub mod lines;
pub mod metar;
pub mod metar_doc;
pub mod nmea;
pub mod sbs;
mod source;
pub mod traffic;
pub mod traffic_table;

pub use address::{AddressError, DEFAULT_BAUD, FeedAddress, MetarSource, MetarSourceError};
pub use anemometer::{AnemometerConfig, AnemometerDecoder, spawn_anemometer};
pub use feed::{FaultKind, Feed, FeedError, FeedEvent, FeedFault, FeedStats, FeedTask};
pub use gust::{GustConfig, GustTracker};
pub use incidents::{Incident, IncidentIntake, spawn_incidents};
pub use metar::{MetarConfig, spawn_metar};
pub use metar_doc::{MetarDocError, MetarReport, parse_metar_document};
pub use nmea::{Mwv, MwvReference, NmeaError, Sentence, parse_sentence};
pub use sbs::{SbsError, SbsLine, SbsMessage, parse_sbs};
pub use traffic::{TrafficConfig, TrafficDecoder, spawn_traffic};
pub use traffic_table::TrafficTable;

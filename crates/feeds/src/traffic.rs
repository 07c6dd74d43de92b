//! The manned-traffic feed: an SBS-1 / BaseStation TCP server (dump1090, readsb: port 30003) →
//! the current `Vec<flight_rules::Traffic>`, sent whenever it changed (at most every
//! `publish_every`) and when aircraft expire.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use flight_rules::Traffic;

use crate::address::FeedAddress;
use crate::feed::{Feed, FeedError, FeedStats};
use crate::lines::{Line, LineSplitter};
use crate::sbs::{SbsLine, parse_sbs};
use crate::source::{Decoder, RunOpts, spawn};
use crate::traffic_table::TrafficTable;

/// SBS-1 lines are about 100 characters.
const MAX_LINE: usize = 512;

#[derive(Debug, Clone, PartialEq)]
pub struct TrafficConfig {
    /// An aircraft not heard for this long leaves the list.
    pub expire_after: Duration,
    /// The list is bounded (a spoofer inventing addresses cannot grow it).
    pub max_aircraft: usize,
    /// Changes are sent at most this often.
    pub publish_every: Duration,
    /// Reconnect after this long without a byte. dump1090 sends an empty line every 60 s when
    /// it has nothing else.
    pub silence_reconnect: Option<Duration>,
}

impl Default for TrafficConfig {
    fn default() -> Self {
        Self {
            expire_after: Duration::from_secs(60),
            max_aircraft: 2000,
            publish_every: Duration::from_millis(500),
            silence_reconnect: Some(Duration::from_secs(150)),
        }
    }
}

/// The pure part of the feed: lines → messages → table, with the counters.
pub struct TrafficDecoder {
    splitters: HashMap<u64, LineSplitter>,
    table: TrafficTable,
    dirty: bool,
    stats: FeedStats,
}

impl TrafficDecoder {
    pub fn new(cfg: &TrafficConfig) -> Self {
        Self {
            splitters: HashMap::new(),
            table: TrafficTable::new(cfg.expire_after, cfg.max_aircraft),
            dirty: false,
            stats: FeedStats::default(),
        }
    }

    pub fn table(&self) -> &TrafficTable {
        &self.table
    }

    fn line(&mut self, line: Line<'_>, now: DateTime<Utc>) {
        let text = match line {
            Line::Text(t) => t,
            Line::Overlong => {
                self.stats.lines += 1;
                self.stats.count_bad(
                    "overlong",
                    format!("line longer than {MAX_LINE} bytes: not SBS-1"),
                );
                return;
            }
        };
        match parse_sbs(text) {
            Ok(SbsLine::Heartbeat) => {}
            Ok(SbsLine::Msg(m)) => {
                self.stats.lines += 1;
                self.stats.data += 1;
                self.stats.last_data_at = Some(now);
                self.table.apply(&m, now);
                self.dirty = true;
            }
            Ok(SbsLine::Other(_)) => {
                self.stats.lines += 1;
                self.stats.ignored += 1;
            }
            Err(e) => {
                self.stats.lines += 1;
                self.stats.count_bad(e.kind(), e.to_string());
            }
        }
    }
}

impl Decoder for TrafficDecoder {
    type Out = Vec<Traffic>;

    fn bytes(&mut self, peer: u64, bytes: &[u8], now: DateTime<Utc>, _out: &mut Vec<Vec<Traffic>>) {
        let mut sp = self
            .splitters
            .remove(&peer)
            .unwrap_or_else(|| LineSplitter::new(MAX_LINE));
        sp.push(bytes, |l| self.line(l, now));
        self.splitters.insert(peer, sp);
    }

    fn reset(&mut self, peer: u64) {
        self.splitters.remove(&peer);
    }

    fn tick(&mut self, now: DateTime<Utc>, out: &mut Vec<Vec<Traffic>>) {
        let expired = self.table.expire(now);
        if self.dirty || expired > 0 {
            out.push(self.table.snapshot());
            self.dirty = false;
        }
    }

    fn stats(&mut self) -> &mut FeedStats {
        &mut self.stats
    }
}

/// Start reading SBS-1 traffic from `address` (`tcp://HOST:30003`), reconnecting.
pub async fn spawn_traffic(
    address: &FeedAddress,
    cfg: TrafficConfig,
) -> Result<Feed<Vec<Traffic>>, FeedError> {
    if !matches!(address, FeedAddress::Tcp { .. }) {
        return Err(FeedError::Unsupported {
            what: "SBS-1 traffic",
            needs: "a TCP server address such as tcp://127.0.0.1:30003 (dump1090, readsb)",
            address: address.to_string(),
        });
    }
    let opts = RunOpts {
        silence: cfg.silence_reconnect,
        tick: Some(cfg.publish_every),
    };
    spawn(address, TrafficDecoder::new(&cfg), opts).await
}

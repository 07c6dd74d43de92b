//! The launch-site anemometer feed: NMEA 0183 MWV over UDP, TCP or serial → `WindReading`s
//! (source `Anemometer`, mean over the window, gust = 3-s peak, time of the last sample).

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use flight_rules::WindReading;

use crate::address::FeedAddress;
use crate::feed::{Feed, FeedError, FeedStats};
use crate::gust::{GustConfig, GustTracker, Skipped};
use crate::lines::{Line, LineSplitter};
use crate::nmea::{Sentence, parse_sentence};
use crate::source::{Decoder, RunOpts, spawn};

/// NMEA allows 82 characters; real devices go a little over. Longer is not a sentence.
const MAX_SENTENCE: usize = 256;

#[derive(Debug, Clone, PartialEq)]
pub struct AnemometerConfig {
    pub gust: GustConfig,
    /// Refuse sentences without `*hh` (a checksum present is always verified).
    pub require_checksum: bool,
    /// TCP: reconnect after this long without a byte. A sensor at 1–4 Hz is never this quiet.
    pub silence_reconnect: Option<Duration>,
}

impl Default for AnemometerConfig {
    fn default() -> Self {
        Self {
            gust: GustConfig::default(),
            require_checksum: false,
            silence_reconnect: Some(Duration::from_secs(30)),
        }
    }
}

/// The pure part of the feed: lines → sentences → readings, with the counters.
pub struct AnemometerDecoder {
    splitters: HashMap<u64, LineSplitter>,
    require_checksum: bool,
    tracker: GustTracker,
    stats: FeedStats,
}

impl AnemometerDecoder {
    pub fn new(cfg: &AnemometerConfig) -> Self {
        Self {
            splitters: HashMap::new(),
            require_checksum: cfg.require_checksum,
            tracker: GustTracker::new(cfg.gust.clone()),
            stats: FeedStats::default(),
        }
    }

    fn line(&mut self, line: Line<'_>, now: DateTime<Utc>, out: &mut Vec<WindReading>) {
        let text = match line {
            Line::Text(t) if t.iter().all(u8::is_ascii_whitespace) => return,
            Line::Text(t) => t,
            Line::Overlong => {
                self.stats.lines += 1;
                self.stats.count_bad(
                    "overlong",
                    format!("line longer than {MAX_SENTENCE} bytes: not an NMEA sentence"),
                );
                return;
            }
        };
        self.stats.lines += 1;
        // `!` starts encapsulated sentences (AIS): well-formed, not ours.
        if text.first() == Some(&b'!') {
            self.stats.ignored += 1;
            return;
        }
        match parse_sentence(text, self.require_checksum) {
            Ok(Sentence::Mwv(m)) => match self.tracker.push(&m, now) {
                Ok(r) => {
                    self.stats.data += 1;
                    self.stats.last_data_at = Some(now);
                    out.push(r);
                }
                Err(Skipped::Void) => self.stats.void += 1,
                Err(Skipped::Flood) => self.stats.count_bad(
                    "flood",
                    format!(
                        "more than {} samples in the averaging window: refused",
                        self.tracker.config().max_samples
                    ),
                ),
            },
            Ok(Sentence::Other { .. }) => self.stats.ignored += 1,
            Err(e) => self.stats.count_bad(e.kind(), e.to_string()),
        }
    }
}

impl Decoder for AnemometerDecoder {
    type Out = WindReading;

    fn bytes(&mut self, peer: u64, bytes: &[u8], now: DateTime<Utc>, out: &mut Vec<WindReading>) {
        let mut sp = self
            .splitters
            .remove(&peer)
            .unwrap_or_else(|| LineSplitter::new(MAX_SENTENCE).with_start_byte(b'$'));
        sp.push(bytes, |l| self.line(l, now, out));
        self.splitters.insert(peer, sp);
    }

    fn reset(&mut self, peer: u64) {
        self.splitters.remove(&peer);
    }

    fn stats(&mut self) -> &mut FeedStats {
        &mut self.stats
    }
}

/// Start reading an anemometer at `address`. A UDP port is bound before this returns.
pub async fn spawn_anemometer(
    address: &FeedAddress,
    cfg: AnemometerConfig,
) -> Result<Feed<WindReading>, FeedError> {
    let opts = RunOpts {
        silence: cfg.silence_reconnect,
        tick: None,
    };
    spawn(address, AnemometerDecoder::new(&cfg), opts).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::type_complexity)]
    use super::*;
    use chrono::TimeZone;

    /// A stream as a serial line delivers it: CR/LF, a partial sentence split across reads,
    /// garbage, other sentences, a void and a corrupted one.
    #[test]
    fn a_real_stream_is_decoded_and_counted() {
        let mut d = AnemometerDecoder::new(&AnemometerConfig::default());
        let now = Utc.with_ymd_and_hms(2026, 7, 14, 12, 0, 0).unwrap();
        let mut out = vec![];
        let chunks: &[&[u8]] = &[
            b"\xff\x00noise\r\n$IIMWV,226.0,R,000.00,N,A*0B\r\n$WIXDR,C,036.5,C,,*52\r\n$WIMWV,04",
            b"5,R,011.63,N,A*09\r\n$IIMWV,,,,,V*36\r\n$WIMWV,045,R,12.5,N,A*27\n",
            b"!AIVDM,1,1,,A,13aEOK?P00PD2wVMdLDRhgvL289?,0*26\n\r\n",
            b"$WIMWV,045,R,011.63,N,A*09$IIMWV,226.0,R,000.00,N,A*0B\n",
        ];
        for c in chunks {
            d.bytes(1, c, now, &mut out);
        }
        assert_eq!(out.len(), 4, "{out:?}");
        let s = d.stats().clone();
        assert_eq!(s.data, 4);
        assert_eq!(s.void, 1);
        assert_eq!(s.ignored, 2, "XDR and AIS");
        assert_eq!(s.bad.get("checksum"), Some(&1));
        assert_eq!(s.bad.get("garbage"), Some(&1));
        assert_eq!(s.bad_total(), 2);
        assert!(s.last_bad.unwrap().contains("checksum"));
        let r = out[1];
        assert!(
            (r.gust_mps.unwrap() - (11.63 * 1852.0 / 3600.0 / 2.0)).abs() < 1e-6,
            "{r:?}"
        );
    }

    #[test]
    fn partial_lines_are_kept_per_peer() {
        let mut d = AnemometerDecoder::new(&AnemometerConfig::default());
        let now = Utc.with_ymd_and_hms(2026, 7, 14, 12, 0, 0).unwrap();
        let mut out = vec![];
        d.bytes(1, b"$WIMWV,045,R,01", now, &mut out);
        d.bytes(2, b"$WIMWV,214.8,R,0.1,K,A*28\r\n", now, &mut out);
        d.bytes(1, b"1.63,N,A*09\r\n", now, &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(d.stats().bad_total(), 0);
    }
}

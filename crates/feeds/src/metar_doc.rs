//! A METAR as a file or an HTTP body holds it: aviationweather.gov's `format=raw` (one report per
//! line, possibly several stations), NOAA tgftp `stations/XXXX.TXT` (a `YYYY/MM/DD HH:MM` line,
//! then the report), or a bare report. Pure: the wind comes from `flight_rules::parse_metar`, and
//! the reading keeps the report's own observation time.

use chrono::{DateTime, Utc};
use flight_rules::{MetarError, WindReading, parse_metar};

/// One usable report.
#[derive(Debug, Clone, PartialEq)]
pub struct MetarReport {
    /// The report's wind, observed at the report's time.
    pub reading: WindReading,
    /// The line it came from (for the register).
    pub raw: String,
    /// Its ICAO station id (`LFMI`), when one could be read.
    pub station: Option<String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MetarDocError {
    #[error(
        "no METAR in it (empty): the station id may be wrong, or the station has not reported recently"
    )]
    Empty,
    #[error("no report from station {station} in it (stations found: {found})")]
    NoStation { station: String, found: String },
    #[error("no usable METAR in it (first line {first:?}): {error}")]
    Unusable { first: String, error: MetarError },
}

/// The ICAO id of a report line: the first 4-letter token after an optional METAR/SPECI/COR.
fn station_of(line: &str) -> Option<String> {
    line.split_whitespace()
        .find(|t| !matches!(*t, "METAR" | "SPECI" | "COR"))
        .filter(|t| t.len() == 4 && t.bytes().all(|b| b.is_ascii_alphanumeric()))
        .map(str::to_ascii_uppercase)
}

/// tgftp's first line, `2026/11/28 14:00`.
fn is_timestamp_line(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() == 16
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'/',
            10 => *c == b' ',
            13 => *c == b':',
            _ => c.is_ascii_digit(),
        })
}

/// The newest usable report in `text` (of `station`, when given).
pub fn parse_metar_document(
    text: &str,
    station: Option<&str>,
    now: DateTime<Utc>,
) -> Result<MetarReport, MetarDocError> {
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.trim().trim_end_matches('='))
        .filter(|l| !l.is_empty() && !is_timestamp_line(l))
        .collect();
    let Some(first) = lines.first() else {
        return Err(MetarDocError::Empty);
    };
    let wanted: Vec<&&str> = match station {
        Some(id) => lines
            .iter()
            .filter(|l| station_of(l).is_some_and(|s| s.eq_ignore_ascii_case(id)))
            .collect(),
        None => lines.iter().collect(),
    };
    if let (Some(id), true) = (station, wanted.is_empty()) {
        let mut found: Vec<String> = lines.iter().filter_map(|l| station_of(l)).collect();
        found.dedup();
        return Err(MetarDocError::NoStation {
            station: id.to_ascii_uppercase(),
            found: if found.is_empty() {
                "none".into()
            } else {
                found.join(", ")
            },
        });
    }
    let mut best: Option<MetarReport> = None;
    let mut first_error = None;
    for line in wanted {
        match parse_metar(line, now) {
            Ok(reading) => {
                if best
                    .as_ref()
                    .is_none_or(|b| reading.observed_at > b.reading.observed_at)
                {
                    best = Some(MetarReport {
                        reading,
                        raw: line.to_string(),
                        station: station_of(line),
                    });
                }
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match (best, first_error) {
        (Some(b), _) => Ok(b),
        (None, Some(error)) => Err(MetarDocError::Unusable {
            first: first.chars().take(80).collect(),
            error,
        }),
        (None, None) => Err(MetarDocError::Empty),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::type_complexity)]
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 28, 14, 20, 0).unwrap()
    }

    #[test]
    fn documents_table() {
        let at = |h, m| Utc.with_ymd_and_hms(2026, 11, 28, h, m, 0).unwrap();
        let rows: &[(&str, &str, Option<&str>, DateTime<Utc>, f64)] = &[
            (
                "tgftp station file",
                "2026/11/28 14:00\nLFMI 281400Z 33025G38KT CAVOK 14/M02 Q1021\n",
                None,
                at(14, 0),
                38.0,
            ),
            (
                "aviationweather raw, one station",
                "METAR LFMI 281400Z AUTO 32018KT 9999 NCD 15/01 Q1019\n",
                None,
                at(14, 0),
                18.0,
            ),
            (
                "several stations, the one asked for",
                "LFML 281400Z 31030G45KT CAVOK 16/02 Q1018\nLFMI 281400Z 33012KT CAVOK 18/05 Q1015\n",
                Some("lfmi"),
                at(14, 0),
                12.0,
            ),
            (
                "two reports of one station: the newer",
                "LFMI 281330Z 33012KT CAVOK 18/05 Q1015=\nLFMI 281400Z 33020KT CAVOK 18/05 Q1015=\n",
                Some("LFMI"),
                at(14, 0),
                20.0,
            ),
            (
                "a SPECI with the European end mark",
                "SPECI LFMI 281412Z 34030G48KT CAVOK 14/M01 Q1022=",
                None,
                at(14, 12),
                48.0,
            ),
        ];
        for (name, text, station, observed, peak_kt) in rows {
            let r = parse_metar_document(text, *station, now()).unwrap();
            assert_eq!(r.reading.observed_at, *observed, "{name}");
            assert!(
                (r.reading.peak_mps() / flight_rules::types::MPS_PER_KT - peak_kt).abs() < 1e-6,
                "{name}: {r:?}"
            );
            assert!(r.raw.contains("Z "), "{name}");
        }
    }

    #[test]
    fn unusable_documents_say_why() {
        let e = parse_metar_document("", None, now()).unwrap_err();
        assert_eq!(e, MetarDocError::Empty);
        let e = parse_metar_document("2026/11/28 14:00\n\n", None, now()).unwrap_err();
        assert_eq!(e, MetarDocError::Empty);
        let e = parse_metar_document(
            "LFML 281400Z 31030KT CAVOK 16/02 Q1018",
            Some("LFMI"),
            now(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("LFMI") && e.contains("LFML"), "{e}");
        let e = parse_metar_document("<!DOCTYPE html><html>Not Found</html>", None, now())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("DOCTYPE") && e.contains("observation time"),
            "{e}"
        );
        let e = parse_metar_document("LFMI 281400Z NIL=", None, now())
            .unwrap_err()
            .to_string();
        assert!(e.contains("no wind group"), "{e}");
    }
}

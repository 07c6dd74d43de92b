//! NMEA 0183 sentences as launch-site anemometers send them, and MWV (wind speed and angle):
//! `$--MWV,<angle>,<R|T>,<speed>,<K|M|N|S>,<A|V>*hh`. Pure: a line in, a typed value out.

use flight_rules::types::{MPS_PER_KMH, MPS_PER_KT};

/// Statute mile per hour in m/s.
pub const MPS_PER_MPH: f64 = 0.447_04;
/// Foot per minute in m/s (Gill's `F` unit).
pub const MPS_PER_FPM: f64 = 0.005_08;

/// What MWV's angle is measured from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MwvReference {
    /// Relative to the sensor's north mark (a ship's bow in the standard): the station adds the
    /// mast's mounting offset.
    Relative,
    /// Already true (the sensor has a compass, or was aligned and configured so).
    True,
}

/// One MWV sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct Mwv {
    /// Talker id (`WI`, `II`, `IN`, …).
    pub talker: String,
    /// Direction the wind blows from, degrees, as sent; None in calm (Gill omits it below
    /// 0.05 m/s) or when void.
    pub angle_deg: Option<f64>,
    pub reference: MwvReference,
    /// Speed in m/s (converted from the sentence's unit); None when void.
    pub speed_mps: Option<f64>,
    /// Status A (or Gill's code 00): a measurement. V (or another Gill code): void, not wind.
    pub valid: bool,
}

/// A sentence that parsed: MWV, or another one (counted, ignored).
#[derive(Debug, Clone, PartialEq)]
pub enum Sentence {
    Mwv(Mwv),
    Other { address: String },
}

/// Why a line is not a usable sentence. `kind()` names it for the counters.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NmeaError {
    #[error("no sentence: a line must start with '$' (got {0:?})")]
    NoStart(String),
    #[error("non-ASCII byte in the sentence")]
    NonAscii,
    #[error("checksum mismatch: the sentence says {given:02X}, its characters give {computed:02X}")]
    Checksum { given: u8, computed: u8 },
    #[error("no checksum (*hh) and checksums are required for this feed")]
    ChecksumMissing,
    #[error("checksum {0:?} is not two hex digits")]
    ChecksumMalformed(String),
    #[error("address {0:?} is not a talker id and a sentence type (e.g. WIMWV)")]
    Address(String),
    #[error("MWV has 5 fields (angle, reference, speed, unit, status), this one has {0}")]
    FieldCount(usize),
    #[error("MWV field {index} ({name}) {value:?}: {problem}")]
    Field {
        index: usize,
        name: &'static str,
        value: String,
        problem: &'static str,
    },
}

impl NmeaError {
    /// A short stable name for counting bad lines by kind.
    pub fn kind(&self) -> &'static str {
        match self {
            NmeaError::NoStart(_) => "garbage",
            NmeaError::NonAscii => "non_ascii",
            NmeaError::Checksum { .. } => "checksum",
            NmeaError::ChecksumMissing => "checksum_missing",
            NmeaError::ChecksumMalformed(_) => "checksum_malformed",
            NmeaError::Address(_) => "address",
            NmeaError::FieldCount(_) | NmeaError::Field { .. } => "mwv_field",
        }
    }
}

/// XOR of the bytes between `$` and `*`.
pub fn checksum(body: &[u8]) -> u8 {
    body.iter().fold(0, |a, b| a ^ b)
}

/// Parse one line (terminator already removed). Junk before the `$` is skipped; a checksum, when
/// present, must match; `require_checksum` refuses sentences without one.
pub fn parse_sentence(line: &[u8], require_checksum: bool) -> Result<Sentence, NmeaError> {
    let Some(start) = line.iter().position(|&b| b == b'$') else {
        let shown: String = String::from_utf8_lossy(line).chars().take(40).collect();
        return Err(NmeaError::NoStart(shown));
    };
    let s = line.get(start + 1..).unwrap_or_default();
    if !s.is_ascii() {
        return Err(NmeaError::NonAscii);
    }
    let s = std::str::from_utf8(s)
        .map_err(|_| NmeaError::NonAscii)?
        .trim_end();
    let body = match s.rsplit_once('*') {
        Some((body, ck)) => {
            let ck = ck.trim();
            let given = (ck.len() == 2)
                .then(|| u8::from_str_radix(ck, 16).ok())
                .flatten()
                .ok_or_else(|| NmeaError::ChecksumMalformed(ck.to_string()))?;
            let computed = checksum(body.as_bytes());
            if given != computed {
                return Err(NmeaError::Checksum { given, computed });
            }
            body
        }
        None if require_checksum => return Err(NmeaError::ChecksumMissing),
        None => s,
    };
    let mut fields = body.split(',');
    let address = fields.next().unwrap_or_default();
    if address.len() < 4
        || address.len() > 6
        || !address
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return Err(NmeaError::Address(address.to_string()));
    }
    let (talker, kind) = address.split_at(address.len() - 3);
    if kind != "MWV" {
        return Ok(Sentence::Other {
            address: address.to_string(),
        });
    }
    let f: Vec<&str> = fields.map(str::trim).collect();
    if f.len() != 5 {
        return Err(NmeaError::FieldCount(f.len()));
    }
    let bad = |index: usize, name: &'static str, problem: &'static str| NmeaError::Field {
        index: index + 1,
        name,
        value: f.get(index).copied().unwrap_or_default().to_string(),
        problem,
    };
    // Status first: a void sentence carries no wind, whatever its other fields say.
    let valid = match f[4] {
        "A" => true,
        "V" => false,
        // Gill's "NMEA with Gill status codes": 00 is OK, anything else a fault.
        g if g.len() == 2 && g.bytes().all(|b| b.is_ascii_hexdigit()) => g == "00",
        _ => return Err(bad(4, "status", "must be A (valid) or V (void)")),
    };
    let reference = match f[1] {
        "R" => MwvReference::Relative,
        "T" => MwvReference::True,
        "" if !valid => MwvReference::Relative,
        _ => return Err(bad(1, "reference", "must be R (relative) or T (true)")),
    };
    if !valid {
        return Ok(Sentence::Mwv(Mwv {
            talker: talker.to_string(),
            angle_deg: None,
            reference,
            speed_mps: None,
            valid,
        }));
    }
    let number = |i: usize, name: &'static str| -> Result<Option<f64>, NmeaError> {
        let v = f[i];
        if v.is_empty() {
            return Ok(None);
        }
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() && x >= 0.0 => Ok(Some(x)),
            Ok(_) => Err(bad(i, name, "must not be negative")),
            Err(_) => Err(bad(i, name, "is not a number")),
        }
    };
    let angle_deg = number(0, "angle")?;
    if angle_deg.is_some_and(|a| a > 360.0) {
        return Err(bad(0, "angle", "must be 0 to 360 degrees"));
    }
    let Some(speed) = number(2, "speed")? else {
        return Err(bad(2, "speed", "is empty although the status says valid"));
    };
    let scale = match f[3] {
        "K" => MPS_PER_KMH,
        "M" => 1.0,
        "N" => MPS_PER_KT,
        // NMEA says S for statute mph; Gill writes P. F is Gill's feet per minute.
        "S" | "P" => MPS_PER_MPH,
        "F" => MPS_PER_FPM,
        _ => {
            return Err(bad(
                3,
                "unit",
                "must be K (km/h), M (m/s), N (knots) or S (mph)",
            ));
        }
    };
    Ok(Sentence::Mwv(Mwv {
        talker: talker.to_string(),
        angle_deg: angle_deg.map(|a| a % 360.0),
        reference,
        speed_mps: Some(speed * scale),
        valid,
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::type_complexity)]
    use super::*;

    fn mwv(line: &str) -> Mwv {
        match parse_sentence(line.as_bytes(), false) {
            Ok(Sentence::Mwv(m)) => m,
            other => panic!("{line}: {other:?}"),
        }
    }

    /// Real sentences, with where they come from, and what they mean.
    #[test]
    fn real_mwv_sentences() {
        use MwvReference::*;
        let kt = MPS_PER_KT;
        let rows: &[(&str, &str, Option<f64>, MwvReference, f64)] = &[
            // Vaisala WMT700 user's guide example (query answer).
            (
                "$WIMWV,045,R,011.63,N,A*09",
                "WI",
                Some(45.0),
                Relative,
                11.63 * kt,
            ),
            // LCJ Capteurs CV7 output, as captured by a sailing-robot project.
            (
                "$IIMWV,226.0,R,000.00,N,A*0B",
                "II",
                Some(226.0),
                Relative,
                0.0,
            ),
            // Airmar WeatherStation manual example (km/h).
            (
                "$WIMWV,214.8,R,0.1,K,A*28",
                "WI",
                Some(214.8),
                Relative,
                0.1 / 3.6,
            ),
            // An Airmar-type weather station log next to $WIMDA / $YXXDR.
            (
                "$WIMWV,311.8,R,0.7,N,A*2F",
                "WI",
                Some(311.8),
                Relative,
                0.7 * kt,
            ),
            // A masthead unit's log through kplex (true and relative in turn).
            (
                "$IIMWV,032,R,03.9,N,A*18",
                "II",
                Some(32.0),
                Relative,
                3.9 * kt,
            ),
            ("$IIMWV,032,T,03.9,N,A*1E", "II", Some(32.0), True, 3.9 * kt),
            // NASA (Clipper) wind meter strings.
            ("$WIMWV,65.0,R,0.0,N,A*10", "WI", Some(65.0), Relative, 0.0),
            // Signal K's converter output, m/s, talker IN.
            ("$INMWV,61.44,T,6.04,M,A*0A", "IN", Some(61.44), True, 6.04),
            (
                "$WIMWV,320,R,15.0,M,A*0B",
                "WI",
                Some(320.0),
                Relative,
                15.0,
            ),
            (
                "$IIMWV,247,T,7.05,N,A*16",
                "II",
                Some(247.0),
                True,
                7.05 * kt,
            ),
            // Without a checksum (allowed unless required).
            (
                "$WIMWV,30.0,R,18.52,K,A",
                "WI",
                Some(30.0),
                Relative,
                18.52 / 3.6,
            ),
            // Gill WindSonic below 0.05 m/s leaves the direction empty (calm).
            ("$IIMWV,,R,000.04,M,A", "II", None, Relative, 0.04),
            ("$WIMWV,90.0,T,10.0,S,A", "WI", Some(90.0), True, 4.4704),
            // 360 is north.
            ("$WIMWV,360.0,T,5.0,M,A", "WI", Some(0.0), True, 5.0),
        ];
        for (line, talker, angle, reference, speed) in rows {
            let m = mwv(line);
            assert!(m.valid, "{line}");
            assert_eq!(m.talker, *talker, "{line}");
            assert_eq!(m.reference, *reference, "{line}");
            match (m.angle_deg, angle) {
                (Some(a), Some(b)) => assert!((a - b).abs() < 1e-9, "{line}: {a}"),
                (a, b) => assert_eq!(a, *b, "{line}"),
            }
            assert!(
                (m.speed_mps.unwrap() - speed).abs() < 1e-6,
                "{line}: {:?}",
                m.speed_mps
            );
        }
    }

    #[test]
    fn void_sentences_are_not_wind() {
        for line in [
            // Vaisala: void readings leave speed and direction empty.
            "$IIMWV,,,,,V*36",
            "$WIMWV,39.20,T,29.93,N,V*3B",
            // Gill status code 01 (an axis failed).
            "$IIMWV,120,R,002.10,M,01",
        ] {
            let m = mwv(line);
            assert!(!m.valid, "{line}");
            assert_eq!(m.speed_mps, None, "{line}");
        }
        // Gill's code 00 is a good reading.
        assert!(mwv("$IIMWV,120,R,002.10,M,00").valid);
    }

    #[test]
    fn other_sentences_are_recognised_and_ignored() {
        for (line, addr) in [
            ("$WIXDR,C,036.5,C,,*52", "WIXDR"), // CV7 temperature
            ("$YXXDR,C,16,C*64", "YXXDR"),
            ("$IIHDG,097,,,00,E*1C", "IIHDG"),
            ("$IIMTW,+15.0,C*3C", "IIMTW"),
            (
                "$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47",
                "GPGGA",
            ),
        ] {
            assert_eq!(
                parse_sentence(line.as_bytes(), true).unwrap(),
                Sentence::Other {
                    address: addr.into()
                },
                "{line}"
            );
        }
    }

    #[test]
    fn bad_lines_say_why() {
        let rows: &[(&[u8], bool, &str)] = &[
            // A published example whose checksum is wrong (…*27 should be *0A).
            (b"$WIMWV,045,R,12.5,N,A*27", false, "checksum"),
            (b"$WIMWV,045,R,12.5,N,A*0Z", false, "checksum_malformed"),
            (b"$WIMWV,045,R,12.5,N,A", true, "checksum_missing"),
            (b"hello world", false, "garbage"),
            (b"$WIMWV,04\xc3\xa9,R,12.5,N,A", false, "non_ascii"),
            (b"$wimwv,045,R,12.5,N,A", false, "address"),
            // A non-standard variant with extra fields.
            (b"$IIMWV,5,T,7,N,3.6,M,A,*73", false, "mwv_field"),
            (b"$WIMWV,450,R,12.5,N,A", false, "mwv_field"),
            (b"$WIMWV,045,R,-2,N,A", false, "mwv_field"),
            (b"$WIMWV,045,R,,N,A", false, "mwv_field"),
            (b"$WIMWV,045,X,12.5,N,A", false, "mwv_field"),
            (b"$WIMWV,045,R,12.5,Q,A", false, "mwv_field"),
            (b"$WIMWV,045,R,12.5,N,Z", false, "mwv_field"),
        ];
        for (line, req, kind) in rows {
            let e = parse_sentence(line, *req).unwrap_err();
            assert_eq!(e.kind(), *kind, "{}: {e}", String::from_utf8_lossy(line));
        }
        let e = parse_sentence(b"$WIMWV,045,R,12.5,Q,A", false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "MWV field 4 (unit) \"Q\": must be K (km/h), M (m/s), N (knots) or S (mph)"
        );
    }

    #[test]
    fn junk_before_the_dollar_is_skipped() {
        let m = mwv("\u{0}\u{7f}xx$WIMWV,045,R,011.63,N,A*09  ");
        assert!((m.angle_deg.unwrap() - 45.0).abs() < 1e-9);
    }
}

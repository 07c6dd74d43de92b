//! SBS-1 / BaseStation lines as dump1090 and readsb serve them on TCP port 30003:
//! `MSG,<type>,<session>,<aircraft>,<ICAO hex>,<flight>,<date gen>,<time gen>,<date log>,
//! <time log>,<callsign>,<alt ft>,<ground speed kt>,<track>,<lat>,<lon>,<vertical rate ft/min>,
//! <squawk>,<alert>,<emergency>,<spi>,<on ground>`. Pure; units converted here, once.
//!
//! The altitude field is the **pressure altitude** (1013.25 hPa) the aircraft reports; dump1090
//! run with `--gnss` writes GNSS heights above the ellipsoid with an `H` suffix instead. The date
//! and time fields are the decoder's local clock without a zone, so they are not used: the
//! station stamps each line with its own receive time.

use flight_rules::types::{M_PER_FT, MPS_PER_KT};
use flight_rules::{IcaoAddress, LatLon, TrafficAltRef};

/// One `MSG` line, in SI units. Fields the message does not carry are `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct SbsMessage {
    /// 1 identification, 2 surface position, 3 airborne position, 4 velocity, 5 surveillance
    /// altitude, 6 surveillance ID (squawk), 7 air-to-air, 8 all-call reply.
    pub kind: u8,
    pub icao: IcaoAddress,
    pub callsign: Option<String>,
    /// Altitude in metres and what it is measured from.
    pub alt: Option<(f64, TrafficAltRef)>,
    pub ground_speed_mps: Option<f64>,
    pub track_deg: Option<f64>,
    pub position: Option<LatLon>,
    pub vertical_rate_mps: Option<f64>,
    pub squawk: Option<String>,
    pub emergency: Option<bool>,
    pub on_ground: Option<bool>,
}

/// A line that parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum SbsLine {
    Msg(SbsMessage),
    /// Another BaseStation record (`SEL`, `ID`, `AIR`, `STA`, `CLK`): counted, ignored.
    Other(String),
    /// An empty line: dump1090's heartbeat.
    Heartbeat,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SbsError {
    #[error("not an SBS-1 line (expected MSG,…; got {0:?})")]
    NotSbs(String),
    #[error("non-ASCII byte in the line")]
    NonAscii,
    #[error("MSG line with {0} fields; SBS-1 has 22 (at least 11 are needed)")]
    FieldCount(usize),
    #[error("field {index} ({name}) {value:?}: {problem}")]
    Field {
        index: usize,
        name: &'static str,
        value: String,
        problem: &'static str,
    },
}

impl SbsError {
    pub fn kind(&self) -> &'static str {
        match self {
            SbsError::NotSbs(_) => "not_sbs",
            SbsError::NonAscii => "non_ascii",
            SbsError::FieldCount(_) => "field_count",
            SbsError::Field { .. } => "field",
        }
    }
}

/// Record types of the BaseStation format other than MSG.
const OTHER_RECORDS: &[&str] = &["SEL", "ID", "AIR", "STA", "CLK"];

/// Parse one line (terminator removed).
pub fn parse_sbs(line: &[u8]) -> Result<SbsLine, SbsError> {
    let Ok(line) = std::str::from_utf8(line) else {
        return Err(SbsError::NonAscii);
    };
    if !line.is_ascii() {
        return Err(SbsError::NonAscii);
    }
    let line = line.trim();
    if line.is_empty() {
        return Ok(SbsLine::Heartbeat);
    }
    let f: Vec<&str> = line.split(',').map(str::trim).collect();
    let head = f.first().copied().unwrap_or_default();
    if head != "MSG" {
        if OTHER_RECORDS.contains(&head) {
            return Ok(SbsLine::Other(head.to_string()));
        }
        return Err(SbsError::NotSbs(line.chars().take(40).collect()));
    }
    if f.len() < 11 {
        return Err(SbsError::FieldCount(f.len()));
    }
    // Fields are 1-based in SBS-1 documentation; `get(i)` takes the 0-based index.
    let get = |i: usize| f.get(i).copied().unwrap_or_default();
    let bad = |i: usize, name: &'static str, problem: &'static str| SbsError::Field {
        index: i + 1,
        name,
        value: get(i).to_string(),
        problem,
    };
    let num = |i: usize, name: &'static str| -> Result<Option<f64>, SbsError> {
        let v = get(i);
        if v.is_empty() {
            return Ok(None);
        }
        v.parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .map(Some)
            .ok_or_else(|| bad(i, name, "is not a number"))
    };
    let flag = |i: usize, name: &'static str| -> Result<Option<bool>, SbsError> {
        match get(i) {
            "" => Ok(None),
            "-1" | "1" => Ok(Some(true)),
            "0" => Ok(Some(false)),
            _ => Err(bad(i, name, "must be -1 (true), 0 (false) or empty")),
        }
    };
    let kind = get(1)
        .parse::<u8>()
        .ok()
        .filter(|k| (1..=8).contains(k))
        .ok_or_else(|| bad(1, "transmission type", "must be 1 to 8"))?;
    let icao = get(4)
        .parse::<IcaoAddress>()
        .map_err(|_| bad(4, "hex ident", "must be a six-digit ICAO address"))?;
    let callsign = match get(10) {
        "" => None,
        c if c.len() <= 8
            && c.bytes().all(|b| {
                b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ' || b == b'-'
            }) =>
        {
            Some(c.trim().to_string()).filter(|c| !c.is_empty())
        }
        _ => return Err(bad(10, "callsign", "must be up to 8 letters or digits")),
    };
    let alt = match get(11) {
        "" => None,
        a => {
            let (digits, reference) = match a.strip_suffix('H') {
                Some(d) => (d, TrafficAltRef::Wgs84),
                None => (a, TrafficAltRef::PressureStd),
            };
            let ft = digits
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && (-2000.0..=100_000.0).contains(x))
                .ok_or_else(|| bad(11, "altitude", "must be feet, e.g. 1500 or 1500H"))?;
            Some((ft * M_PER_FT, reference))
        }
    };
    let ground_speed_mps = num(12, "ground speed")?
        .map(|kt| {
            (kt >= 0.0)
                .then_some(kt * MPS_PER_KT)
                .ok_or_else(|| bad(12, "ground speed", "must not be negative"))
        })
        .transpose()?;
    let track_deg = num(13, "track")?
        .map(|t| {
            (0.0..=360.0)
                .contains(&t)
                .then_some(t % 360.0)
                .ok_or_else(|| bad(13, "track", "must be 0 to 360 degrees"))
        })
        .transpose()?;
    let position = match (num(14, "latitude")?, num(15, "longitude")?) {
        (Some(lat), Some(lon)) => {
            let p = LatLon::new(lat, lon);
            if !p.is_valid() {
                return Err(bad(14, "latitude", "position out of range"));
            }
            Some(p)
        }
        (None, None) => None,
        _ => {
            return Err(bad(
                14,
                "latitude",
                "latitude and longitude must come together",
            ));
        }
    };
    let vertical_rate_mps = num(16, "vertical rate")?.map(|fpm| fpm * M_PER_FT / 60.0);
    let squawk = match get(17) {
        "" => None,
        s if s.len() == 4 && s.bytes().all(|b| (b'0'..=b'7').contains(&b)) => Some(s.to_string()),
        _ => return Err(bad(17, "squawk", "must be four octal digits")),
    };
    let emergency = flag(19, "emergency")?;
    let on_ground = flag(21, "on ground")?;
    Ok(SbsLine::Msg(SbsMessage {
        kind,
        icao,
        callsign,
        alt,
        ground_speed_mps,
        track_deg,
        position,
        vertical_rate_mps,
        squawk,
        emergency,
        on_ground,
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::type_complexity)]
    use super::*;

    fn msg(line: &str) -> SbsMessage {
        match parse_sbs(line.as_bytes()) {
            Ok(SbsLine::Msg(m)) => m,
            other => panic!("{line}: {other:?}"),
        }
    }

    /// Lines as dump1090-mutability 1.15 writes them (captured from the Debian package fed DF17
    /// frames; see the integration test), and from readsb / the BaseStation documentation.
    #[test]
    fn real_lines() {
        let m = msg(
            "MSG,1,1,1,39C4A5,1,2026/12/01,10:00:13.852,2026/12/01,10:00:14.052,DRAGON13,,,,,,,,,,,0",
        );
        assert_eq!((m.kind, m.icao), (1, IcaoAddress(0x39C4A5)));
        assert_eq!(m.callsign.as_deref(), Some("DRAGON13"));
        assert_eq!(m.on_ground, Some(false));
        assert_eq!(m.position, None);

        let m = msg(
            "MSG,3,1,1,39C4A5,1,2026/12/01,10:00:14.252,2026/12/01,10:00:14.252,,1500,,,43.51498,4.98897,,,,,,0",
        );
        assert_eq!(m.kind, 3);
        let (alt, r) = m.alt.unwrap();
        assert!((alt - 457.2).abs() < 1e-6);
        assert_eq!(r, TrafficAltRef::PressureStd);
        assert_eq!(m.position, Some(LatLon::new(43.51498, 4.98897)));

        let m = msg(
            "MSG,4,1,1,39C4A5,1,2026/12/01,10:00:14.453,2026/12/01,10:00:14.453,,,58,31,,,-640,,,,,0",
        );
        assert!((m.ground_speed_mps.unwrap() - 58.0 * MPS_PER_KT).abs() < 1e-9);
        assert_eq!(m.track_deg, Some(31.0));
        assert!((m.vertical_rate_mps.unwrap() + 640.0 * 0.3048 / 60.0).abs() < 1e-9);

        // Surveillance ID with squawk and flags (BaseStation style, -1 = true).
        let m = msg(
            "MSG,6,1,1,3C6586,1,2026/12/01,10:00:00.000,2026/12/01,10:00:00.000,,2300,,,,,,7700,0,-1,0,0",
        );
        assert_eq!(m.squawk.as_deref(), Some("7700"));
        assert_eq!(m.emergency, Some(true));
        // GNSS height with dump1090 --gnss.
        let m = msg("MSG,3,1,1,39C4A5,1,,,,,,1650H,,,43.5,4.9,,,,,,0");
        assert_eq!(m.alt.unwrap().1, TrafficAltRef::Wgs84);
        // Surface position on the ground.
        let m = msg("MSG,2,1,1,39C4A5,1,,,,,,,3,120,43.52,4.92,,,,,,-1");
        assert_eq!(m.on_ground, Some(true));
    }

    #[test]
    fn heartbeats_and_other_records() {
        assert_eq!(parse_sbs(b"").unwrap(), SbsLine::Heartbeat);
        assert_eq!(parse_sbs(b"  ").unwrap(), SbsLine::Heartbeat);
        assert_eq!(
            parse_sbs(b"AIR,,1,1,39C4A5,1,2026/12/01,10:00:00.000,2026/12/01,10:00:00.000")
                .unwrap(),
            SbsLine::Other("AIR".into())
        );
    }

    #[test]
    fn bad_lines_name_the_field() {
        let rows: &[(&str, &str, &str)] = &[
            ("GARBAGE", "not_sbs", "expected MSG"),
            ("MSG,3,1,1,39C4A5", "field_count", "5 fields"),
            (
                "MSG,9,1,1,39C4A5,1,,,,,,,,,,,,,,,,0",
                "field",
                "transmission type",
            ),
            ("MSG,3,1,1,~39C4A,1,,,,,,,,,,,,,,,,0", "field", "hex ident"),
            (
                "MSG,3,1,1,39C4A5,1,,,,,,high,,,,,,,,,,0",
                "field",
                "field 12 (altitude) \"high\"",
            ),
            (
                "MSG,3,1,1,39C4A5,1,,,,,,1500,,,43.5,,,,,,,0",
                "field",
                "latitude and longitude",
            ),
            (
                "MSG,3,1,1,39C4A5,1,,,,,,1500,,,95.0,4.9,,,,,,0",
                "field",
                "out of range",
            ),
            (
                "MSG,4,1,1,39C4A5,1,,,,,,,-5,31,,,,,,,,0",
                "field",
                "ground speed",
            ),
            ("MSG,4,1,1,39C4A5,1,,,,,,,5,400,,,,,,,,0", "field", "track"),
            ("MSG,6,1,1,39C4A5,1,,,,,,,,,,,,7800,,,,0", "field", "squawk"),
            (
                "MSG,1,1,1,39C4A5,1,,,,,dragon13,,,,,,,,,,,0",
                "field",
                "callsign",
            ),
            (
                "MSG,3,1,1,39C4A5,1,,,,,,1500,,,,,,,,,,yes",
                "field",
                "on ground",
            ),
        ];
        for (line, kind, text) in rows {
            let e = parse_sbs(line.as_bytes()).unwrap_err();
            assert_eq!(e.kind(), *kind, "{line}: {e}");
            assert!(e.to_string().contains(text), "{line}: {e}");
        }
        assert_eq!(parse_sbs(b"MSG,\xff").unwrap_err(), SbsError::NonAscii);
    }
}

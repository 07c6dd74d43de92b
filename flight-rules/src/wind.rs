//! METAR wind groups and the wind gate of DOMAIN.md §4.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::Serialize;

use crate::limits::Limits;
use crate::types::{MPS_PER_KMH, MPS_PER_KT, WindReading, WindSource};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MetarError {
    #[error(
        "METAR {0:?}: no wind group found (expected e.g. 33025G38KT, VRB03KT, 00000KT or 27008MPS)"
    )]
    NoWindGroup(String),
    #[error("METAR {0:?}: wind not available (/////)")]
    WindMissing(String),
    #[error("METAR {0:?}: no observation time group DDHHMMZ, so its freshness cannot be judged")]
    NoTime(String),
}

/// Parse the wind of a METAR (or SPECI) report. `now` resolves the day-of-month time group into a
/// full date (the report is taken to be at most ~a month old).
pub fn parse_metar(text: &str, now: DateTime<Utc>) -> Result<WindReading, MetarError> {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let observed_at = tokens
        .iter()
        .find_map(|t| parse_time_group(t, now))
        .ok_or_else(|| MetarError::NoTime(text.trim().to_string()))?;
    for t in &tokens {
        if t.starts_with("/////") {
            return Err(MetarError::WindMissing(text.trim().to_string()));
        }
        if let Some((from_deg, mean_mps, gust_mps)) = parse_wind_group(t) {
            return Ok(WindReading {
                source: WindSource::Metar,
                mean_mps,
                gust_mps,
                from_deg,
                observed_at,
            });
        }
    }
    Err(MetarError::NoWindGroup(text.trim().to_string()))
}

/// `dddff(f)(Gff(f))KT|MPS|KMH` or `VRBff…` → (from_deg, mean m/s, gust m/s).
pub fn parse_wind_group(t: &str) -> Option<(Option<f64>, f64, Option<f64>)> {
    let (body, scale) = if let Some(b) = t.strip_suffix("KT") {
        (b, MPS_PER_KT)
    } else if let Some(b) = t.strip_suffix("MPS") {
        (b, 1.0)
    } else if let Some(b) = t.strip_suffix("KMH") {
        (b, MPS_PER_KMH)
    } else {
        return None;
    };
    if body.len() < 5 || !body.is_ascii() {
        return None;
    }
    let (dir, rest) = body.split_at(3);
    let from_deg = if dir == "VRB" {
        None
    } else {
        let d: u16 = dir
            .parse()
            .ok()
            .filter(|_| dir.bytes().all(|b| b.is_ascii_digit()))?;
        if d > 360 {
            return None;
        }
        Some(f64::from(d))
    };
    let (speed, gust) = match rest.split_once('G') {
        Some((s, g)) => (s, Some(g)),
        None => (rest, None),
    };
    let digits = |s: &str| (2..=3).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(speed) || gust.is_some_and(|g| !digits(g)) {
        return None;
    }
    let mean = f64::from(speed.parse::<u16>().ok()?) * scale;
    let gust = match gust {
        Some(g) => Some(f64::from(g.parse::<u16>().ok()?) * scale),
        None => None,
    };
    // 00000KT is calm: direction meaningless.
    let from_deg = if mean == 0.0 { None } else { from_deg };
    Some((from_deg, mean, gust))
}

fn parse_time_group(t: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let b = t.strip_suffix('Z')?;
    if b.len() != 6 || !b.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let day: u32 = b[0..2].parse().ok()?;
    let hour: u32 = b[2..4].parse().ok()?;
    let minute: u32 = b[4..6].parse().ok()?;
    // Try this month, then the previous one; keep the latest candidate not in the future.
    let mut y = now.year();
    let mut m = now.month();
    for _ in 0..2 {
        if let Some(dt) =
            NaiveDate::from_ymd_opt(y, m, day).and_then(|d| d.and_hms_opt(hour, minute, 0))
        {
            let dt = dt.and_utc();
            if dt <= now + Duration::minutes(10) {
                return Some(dt);
            }
        }
        if m == 1 {
            m = 12;
            y -= 1;
        } else {
            m -= 1;
        }
    }
    None
}

/// Where the gate stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum WindStatus {
    /// Below the warning level (or below the limit on the ground).
    Ok,
    /// In flight, at or above `warn_fraction` of the limit.
    Warn,
    /// At or above the limit: refuse arm / take-off; recommend RTL in flight.
    AboveLimit,
    /// Below the limit, but it was exceeded recently: not re-allowed yet.
    Hysteresis,
    /// No fresh reading from any source: unknown, so refuse (fail closed).
    NoFreshSource,
}

/// The gate value and how it was reached (recorded in the register).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindGate {
    pub status: WindStatus,
    /// Highest fresh gust / mean, m/s; None when no fresh reading.
    pub gate_mps: Option<f64>,
    pub gate_source: Option<WindSource>,
    pub limit_mps: f64,
    /// True when the gate is above the limit now: the caller stores `now` as the last exceedance.
    pub exceeded_now: bool,
    pub fresh: Vec<WindReading>,
    pub stale: Vec<WindReading>,
}

/// How long an exceedance keeps the hysteresis band closed.
const HYSTERESIS_MEMORY_S: i64 = 3600;

/// gate = max(fresh anemometer gust, fresh METAR gust or mean, the vehicle's estimate when
/// airborne). `last_exceeded_at` is the caller's memory of the last time the gate was above the
/// limit (from a previous call's `exceeded_now`).
pub fn wind_gate(
    readings: &[WindReading],
    limits: &Limits,
    airframe: &str,
    airborne: bool,
    last_exceeded_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> WindGate {
    let w = &limits.wind;
    let limit_mps = limits.takeoff_wind_limit_mps(airframe);
    let mut fresh = vec![];
    let mut stale = vec![];
    for r in readings {
        let max_age = match r.source {
            WindSource::Anemometer => w.stale_anemometer_s,
            WindSource::Metar => w.stale_metar_s,
            WindSource::Vehicle => w.stale_vehicle_s,
        };
        let age = now - r.observed_at;
        // A reading from the future (clock skew) is as untrustworthy as an old one.
        let usable = age <= Duration::seconds(max_age)
            && age >= Duration::seconds(-5)
            && r.mean_mps.is_finite()
            && r.mean_mps >= 0.0
            && r.gust_mps.is_none_or(|g| g.is_finite() && g >= 0.0)
            && (airborne || r.source != WindSource::Vehicle);
        if usable {
            fresh.push(*r)
        } else {
            stale.push(*r)
        }
    }
    let top = fresh
        .iter()
        .map(|r| (r.peak_mps(), r.source))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let (gate_mps, gate_source) = match top {
        Some((v, s)) => (Some(v), Some(s)),
        None => (None, None),
    };
    let exceeded_now = gate_mps.is_some_and(|g| g >= limit_mps);
    let status = match gate_mps {
        None => WindStatus::NoFreshSource,
        Some(g) if g >= limit_mps => WindStatus::AboveLimit,
        Some(g) => {
            let since = last_exceeded_at.map(|t| now - t);
            let in_hold = since.is_some_and(|s| s < Duration::seconds(w.hysteresis_hold_s));
            let in_band = since.is_some_and(|s| s < Duration::seconds(HYSTERESIS_MEMORY_S))
                && g > limit_mps - w.hysteresis_kmh * MPS_PER_KMH;
            if in_hold || in_band {
                WindStatus::Hysteresis
            } else if airborne && g >= limit_mps * w.warn_fraction {
                WindStatus::Warn
            } else {
                WindStatus::Ok
            }
        }
    };
    WindGate {
        status,
        gate_mps,
        gate_source,
        limit_mps,
        exceeded_now,
        fresh,
        stale,
    }
}

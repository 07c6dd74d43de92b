//! The préfet's authorisation (L242-5) and the pilot record, parsed from TOML.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::ConfigError;
use crate::limits::Limits;
use crate::types::LatLon;
use crate::zone::polygon_from_latlon;
use crate::zonefile::parse_datetime_lenient;

/// A TOML date-time, local date, or string holding one.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum TomlTime {
    Toml(toml::value::Datetime),
    Text(String),
}

impl TomlTime {
    fn to_utc(&self) -> Option<DateTime<Utc>> {
        match self {
            TomlTime::Toml(d) => parse_datetime_lenient(&d.to_string()),
            TomlTime::Text(s) => parse_datetime_lenient(s),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPerimeter {
    name: Option<String>,
    /// [latitude, longitude] pairs (same order as the French arrêtés print them).
    points: Vec<[f64; 2]>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDerogations {
    ceiling_agl_m: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuthorisation {
    arrete: String,
    issuer: String,
    signed_on: Option<TomlTime>,
    valid_from: Option<TomlTime>,
    valid_until: Option<TomlTime>,
    /// Sample files only (`example = true`): valid from the start of the day it is loaded, for
    /// this many days, so the shipped example never goes stale.
    rolling_validity_days: Option<u32>,
    #[serde(default)]
    example: bool,
    /// The perimeter as GeoJSON text (Polygon, MultiPolygon, Feature or FeatureCollection of
    /// them), as a préfecture's GIS exports it; beside or instead of `[[perimeter]]` points.
    perimeter_geojson: Option<String>,
    finalite: String,
    commune: Option<String>,
    max_cameras: u32,
    public_information: Option<String>,
    pdf_sha256: Option<String>,
    revoked_at: Option<TomlTime>,
    #[serde(default)]
    unlocks_zones: Vec<String>,
    #[serde(default)]
    derogations: RawDerogations,
    #[serde(default)]
    perimeter: Vec<RawPerimeter>,
}

/// Derogations an authorisation carries.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Derogations {
    /// Ceiling above ground granted instead of the default (arrêté "espace" art. 9).
    pub ceiling_agl_m: Option<f64>,
}

/// Polygons of a GeoJSON text: Polygon, MultiPolygon, or Features / a FeatureCollection of them.
fn geojson_polygons(text: &str) -> Result<Vec<geo::Polygon<f64>>, String> {
    let gj: geojson::GeoJson = text.parse().map_err(|e| {
        format!("not GeoJSON ({e}): give a Polygon, MultiPolygon or a FeatureCollection of them")
    })?;
    let mut geoms = Vec::new();
    match gj {
        geojson::GeoJson::Geometry(g) => geoms.push(g),
        geojson::GeoJson::Feature(f) => geoms.extend(f.geometry),
        geojson::GeoJson::FeatureCollection(fc) => {
            geoms.extend(fc.features.into_iter().filter_map(|f| f.geometry));
        }
    }
    let mut out = Vec::new();
    for g in geoms {
        match geo::Geometry::<f64>::try_from(g) {
            Ok(geo::Geometry::Polygon(p)) => out.push(p),
            Ok(geo::Geometry::MultiPolygon(mp)) => out.extend(mp.0),
            Ok(other) => {
                return Err(format!(
                    "a perimeter is made of polygons, not {}",
                    match other {
                        geo::Geometry::Point(_) => "a point",
                        geo::Geometry::LineString(_) => "a line",
                        _ => "this geometry",
                    }
                ));
            }
            Err(e) => return Err(format!("bad geometry: {e}")),
        }
    }
    if out.is_empty() {
        return Err("no polygon in it".into());
    }
    Ok(out)
}

/// A validated authorisation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Authorisation {
    pub arrete: String,
    pub issuer: String,
    pub signed_on: Option<DateTime<Utc>>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    /// One of `limits.authorisation.finalites`.
    pub finalite: String,
    pub commune: Option<String>,
    pub max_cameras: u32,
    pub public_information: Option<String>,
    pub pdf_sha256: Option<String>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Identifiers of REQ_AUTHORISATION zones this authorisation (with its annexed agreements) covers.
    pub unlocks_zones: Vec<String>,
    pub derogations: Derogations,
    /// Named perimeter polygons (lon/lat); the operation must stay within their union.
    pub perimeter: Vec<(String, geo::Polygon<f64>)>,
}

impl Authorisation {
    /// Parse and validate; `finalites` come from the limits (R242-8 list, configurable).
    pub fn from_toml(text: &str, file: &str, limits: &Limits) -> Result<Self, ConfigError> {
        Self::from_toml_at(text, file, limits, None)
    }

    /// As [`Authorisation::from_toml`]; `now` resolves a sample file's rolling window (a real
    /// arrêté has fixed dates and never needs it).
    pub fn from_toml_at(
        text: &str,
        file: &str,
        limits: &Limits,
        now: Option<DateTime<Utc>>,
    ) -> Result<Self, ConfigError> {
        let raw: RawAuthorisation =
            toml::from_str(text).map_err(|e| ConfigError::toml(file, &e))?;
        let bad = |field: &str, problem: &str| ConfigError::field(file, field, problem);
        if raw.arrete.trim().is_empty() {
            return Err(bad("arrete", "the arrêté number must not be empty"));
        }
        let time = |t: &TomlTime, field: &str| {
            t.to_utc()
                .ok_or_else(|| bad(field, "not a date-time (use 2026-01-01T00:00:00Z)"))
        };
        let (valid_from, valid_until) = match (
            &raw.valid_from,
            &raw.valid_until,
            raw.rolling_validity_days,
        ) {
            (Some(f), Some(u), None) => (time(f, "valid_from")?, time(u, "valid_until")?),
            (None, None, Some(days)) => {
                if !raw.example {
                    return Err(bad(
                        "rolling_validity_days",
                        "only sample files (example = true) may have a rolling window: a real arrêté gives valid_from and valid_until",
                    ));
                }
                let Some(now) = now else {
                    return Err(bad(
                        "rolling_validity_days",
                        "a rolling window is resolved when the station loads the file",
                    ));
                };
                let start = now
                    .date_naive()
                    .and_hms_opt(0, 0, 0)
                    .map(|d| d.and_utc())
                    .unwrap_or(now);
                (
                    start,
                    start + chrono::Duration::days(i64::from(days.max(1))),
                )
            }
            (_, _, Some(_)) => {
                return Err(bad(
                    "rolling_validity_days",
                    "give either valid_from and valid_until, or a rolling window, not both",
                ));
            }
            (None, _, None) => {
                return Err(bad("valid_from", "missing (e.g. 2026-01-01T00:00:00Z)"));
            }
            (_, None, None) => {
                return Err(bad("valid_until", "missing (e.g. 2026-03-31T23:59:59Z)"));
            }
        };
        if valid_until <= valid_from {
            return Err(bad("valid_until", "must be after valid_from"));
        }
        let signed_on = raw
            .signed_on
            .as_ref()
            .map(|t| time(t, "signed_on"))
            .transpose()?;
        let revoked_at = raw
            .revoked_at
            .as_ref()
            .map(|t| time(t, "revoked_at"))
            .transpose()?;
        if !limits
            .authorisation
            .finalites
            .iter()
            .any(|f| f == &raw.finalite)
        {
            return Err(bad(
                "finalite",
                &format!(
                    "{:?} is not in the configured list (R242-8 I): {}",
                    raw.finalite,
                    limits.authorisation.finalites.join(", ")
                ),
            ));
        }
        if raw.max_cameras == 0 {
            return Err(bad("max_cameras", "must be at least 1"));
        }
        let mut perimeter = vec![];
        if let Some(gj) = &raw.perimeter_geojson {
            for (i, poly) in geojson_polygons(gj)
                .map_err(|e| bad("perimeter_geojson", &e))?
                .into_iter()
                .enumerate()
            {
                perimeter.push((format!("périmètre GeoJSON {}", i + 1), poly));
            }
        }
        if raw.perimeter.is_empty() && perimeter.is_empty() {
            return Err(bad(
                "perimeter",
                "at least one [[perimeter]] polygon (or perimeter_geojson) is required (L242-5 geographic perimeter)",
            ));
        }
        for (i, p) in raw.perimeter.iter().enumerate() {
            let pts: Vec<LatLon> = p
                .points
                .iter()
                .map(|[lat, lon]| LatLon::new(*lat, *lon))
                .collect();
            if let Some(j) = pts.iter().position(|q| !q.is_valid()) {
                return Err(bad(
                    &format!("perimeter[{i}].points[{j}]"),
                    "expected [latitude, longitude] in range",
                ));
            }
            let mut distinct = pts.clone();
            if distinct.len() > 1 && distinct.first() == distinct.last() {
                distinct.pop();
            }
            if distinct.len() < 3 {
                return Err(bad(
                    &format!("perimeter[{i}].points"),
                    "a perimeter needs at least 3 points",
                ));
            }
            let name = p
                .name
                .clone()
                .unwrap_or_else(|| format!("périmètre {}", i + 1));
            perimeter.push((name, polygon_from_latlon(&distinct)));
        }
        if let Some(c) = raw.derogations.ceiling_agl_m
            && !(c.is_finite() && c > 0.0)
        {
            return Err(bad(
                "derogations.ceiling_agl_m",
                "must be a positive number of metres",
            ));
        }
        Ok(Authorisation {
            arrete: raw.arrete,
            issuer: raw.issuer,
            signed_on,
            valid_from,
            valid_until,
            finalite: raw.finalite,
            commune: raw.commune,
            max_cameras: raw.max_cameras,
            public_information: raw.public_information,
            pdf_sha256: raw.pdf_sha256,
            revoked_at,
            unlocks_zones: raw.unlocks_zones,
            derogations: Derogations {
                ceiling_agl_m: raw.derogations.ceiling_agl_m,
            },
            perimeter,
        })
    }

    pub fn perimeter_polygons(&self) -> Vec<geo::Polygon<f64>> {
        self.perimeter.iter().map(|(_, p)| p.clone()).collect()
    }

    pub fn unlocks(&self, zone_id: &str) -> bool {
        self.unlocks_zones.iter().any(|z| z == zone_id)
    }

    /// Revoked at or before `now`?
    pub fn is_revoked_at(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_some_and(|r| r <= now)
    }

    /// The ceiling above ground in force: the derogation, else the limit.
    pub fn ceiling_agl_m(&self, limits: &Limits) -> f64 {
        self.derogations
            .ceiling_agl_m
            .unwrap_or(limits.ceiling.max_agl_m)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPilot {
    id: String,
    name: String,
    certificate_number: String,
    certificate_expires: TomlTime,
    #[serde(default)]
    airframes: Vec<String>,
    last_flight_at: Option<TomlTime>,
}

/// A pilot's qualification record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pilot {
    pub id: String,
    pub name: String,
    pub certificate_number: String,
    /// Last valid day of the certificate.
    pub certificate_expires: NaiveDate,
    /// Airframe types the pilot is qualified on (matched against `VehicleSnapshot::airframe`).
    pub airframes: Vec<String>,
    /// Last flight (training counts). The station fills it from the register.
    pub last_flight_at: Option<DateTime<Utc>>,
}

impl Pilot {
    pub fn from_toml(text: &str, file: &str) -> Result<Self, ConfigError> {
        let raw: RawPilot = toml::from_str(text).map_err(|e| ConfigError::toml(file, &e))?;
        let bad = |field: &str, problem: &str| ConfigError::field(file, field, problem);
        if raw.id.trim().is_empty() {
            return Err(bad("id", "must not be empty"));
        }
        if raw.certificate_number.trim().is_empty() {
            return Err(bad("certificate_number", "must not be empty"));
        }
        let certificate_expires = raw
            .certificate_expires
            .to_utc()
            .map(|d| d.date_naive())
            .ok_or_else(|| bad("certificate_expires", "not a date (use 2028-03-31)"))?;
        let last_flight_at = raw
            .last_flight_at
            .as_ref()
            .map(|t| {
                t.to_utc().ok_or_else(|| {
                    bad(
                        "last_flight_at",
                        "not a date-time (use 2026-11-20T10:00:00Z)",
                    )
                })
            })
            .transpose()?;
        Ok(Pilot {
            id: raw.id,
            name: raw.name,
            certificate_number: raw.certificate_number,
            certificate_expires,
            airframes: raw.airframes,
            last_flight_at,
        })
    }

    pub fn is_qualified_for(&self, airframe: &str) -> bool {
        self.airframes
            .iter()
            .any(|a| a.eq_ignore_ascii_case(airframe))
    }
}

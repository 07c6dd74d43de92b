//! ED-269 JSON, ED-318 GeoJSON and plain GeoJSON zone files → validated [`Zone`]s.
//!
//! Lenient on spelling (numbers as strings, nulls, `reason`/`reasons`, `UASZoneList`/`features`,
//! producer wrappers), strict on meaning: a zone that cannot be understood is reported with the
//! file, its identifier and the field, and never silently dropped.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc, Weekday};
use serde_json::{Map, Value};

use crate::types::{AltRef, Altitude, LatLon, M_PER_FT};
use crate::zone::{
    Applicability, ApplicabilityPeriod, DailySchedule, Restriction, Shape, Zone, ZoneAuthority,
    ZoneVolume,
};

/// One zone that could not be read: the file, the zone, the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}: zone {zone}: field `{field}`: {problem}")]
pub struct ZoneError {
    pub file: String,
    /// Identifier when it could be read, else `#N` (position in the list, from 1).
    pub zone: String,
    pub field: String,
    pub problem: String,
}

/// A zone file that cannot be read at all, or (in strict mode) that holds bad zones.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ZoneFileError {
    #[error("{file}: not valid JSON at line {line}, column {column}: {message}")]
    Json {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{file}: no zones found: expected an ED-269 `UASZoneList`, an ED-318 / GeoJSON `features` list, or a single Feature"
    )]
    NoZones { file: String },
    #[error("{}", describe_bad(.errors))]
    BadZones { errors: Vec<ZoneError> },
}

fn describe_bad(errors: &[ZoneError]) -> String {
    match errors {
        [] => "no error".to_string(),
        [one] => one.to_string(),
        [first, rest @ ..] => format!("{first} (and {} more bad zone(s) in this file)", rest.len()),
    }
}

/// Everything read from one file: the good zones and the bad ones. The caller chooses whether a
/// bad zone rejects the file ([`ZoneFileReport::strict`]) or is reported while the rest load.
#[derive(Debug, Clone, Default)]
pub struct ZoneFileReport {
    pub zones: Vec<Zone>,
    pub errors: Vec<ZoneError>,
}

impl ZoneFileReport {
    /// All zones, or the first error when any zone is bad.
    pub fn strict(self) -> Result<Vec<Zone>, ZoneFileError> {
        let mut errs = self.errors.into_iter();
        match errs.next() {
            None => Ok(self.zones),
            Some(first) => {
                let mut errors = vec![first];
                errors.extend(errs);
                Err(ZoneFileError::BadZones { errors })
            }
        }
    }
}

/// Parse a zone file (format detected from its content). `file` names it in messages.
pub fn parse_zone_file(text: &str, file: &str) -> Result<ZoneFileReport, ZoneFileError> {
    let root: Value = serde_json::from_str(text).map_err(|e| ZoneFileError::Json {
        file: file.to_string(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let items = find_zone_list(&root, 0).ok_or_else(|| ZoneFileError::NoZones {
        file: file.to_string(),
    })?;
    let mut report = ZoneFileReport::default();
    for (i, item) in items.iter().enumerate() {
        match parse_zone(item, file, i) {
            Ok(z) => report.zones.push(z),
            Err(e) => report.errors.push(*e),
        }
    }
    Ok(report)
}

/// Parse strictly: any bad zone rejects the file.
pub fn parse_zone_file_strict(text: &str, file: &str) -> Result<Vec<Zone>, ZoneFileError> {
    parse_zone_file(text, file)?.strict()
}

fn find_zone_list(v: &Value, depth: usize) -> Option<Vec<&Value>> {
    match v {
        Value::Array(a) => Some(a.iter().collect()),
        Value::Object(o) => {
            for key in [
                "UASZoneList",
                "uasZoneList",
                "UASZones",
                "features",
                "zones",
            ] {
                if let Some(Value::Array(a)) = o.get(key) {
                    return Some(a.iter().collect());
                }
            }
            if o.get("type").and_then(Value::as_str) == Some("Feature")
                || o.contains_key("identifier")
            {
                return Some(vec![v]);
            }
            if depth >= 3 {
                return None;
            }
            // Producer wrappers such as {"data": {"UASZoneList": [...]}}.
            o.values()
                .filter(|c| c.is_object())
                .find_map(|c| find_zone_list(c, depth + 1))
        }
        _ => None,
    }
}

struct Ctx<'a> {
    file: &'a str,
    zone: String,
}

impl Ctx<'_> {
    fn err(&self, field: &str, problem: impl Into<String>) -> Box<ZoneError> {
        Box::new(ZoneError {
            file: self.file.to_string(),
            zone: self.zone.clone(),
            field: field.to_string(),
            problem: problem.into(),
        })
    }
}

type R<T> = Result<T, Box<ZoneError>>;

fn parse_zone(item: &Value, file: &str, index: usize) -> R<Zone> {
    let mut ctx = Ctx {
        file,
        zone: format!("#{}", index + 1),
    };
    let Value::Object(obj) = item else {
        return Err(ctx.err("(zone)", "expected a JSON object"));
    };
    // A nested {"UASZone": {...}} wrapper.
    let obj = match obj.get("UASZone").or_else(|| obj.get("uasZone")) {
        Some(Value::Object(inner)) => inner,
        _ => obj,
    };
    // GeoJSON Feature: properties hold the zone, `geometry` the shape.
    let is_feature = obj.get("type").and_then(Value::as_str) == Some("Feature");
    let props: &Map<String, Value> = match (is_feature, obj.get("properties")) {
        (true, Some(Value::Object(p))) => p,
        (true, _) => return Err(ctx.err("properties", "a Feature needs a `properties` object")),
        _ => obj,
    };
    let identifier = text_field(props, &["identifier", "id", "code", "ident"])
        .or_else(|| {
            if is_feature {
                text_field(obj, &["id"])
            } else {
                None
            }
        })
        .ok_or_else(|| ctx.err("identifier", "missing; every zone needs an identifier"))?;
    ctx.zone = identifier.clone();

    // ED-269 says `restriction`; ED-318 moved it to `type` (where ED-269 keeps COMMON/CUSTOMIZED).
    const EXPECTED: &str =
        "expected PROHIBITED, REQ_AUTHORISATION, CONDITIONAL, NO_RESTRICTION or USPACE";
    let restriction = match (
        text_field(props, &["restriction"]),
        text_field(props, &["type"]),
    ) {
        (Some(t), _) => parse_restriction(&t)
            .ok_or_else(|| ctx.err("restriction", format!("unknown value {t:?} ({EXPECTED})")))?,
        (None, Some(t)) => match parse_restriction(&t) {
            Some(r) => r,
            None if is_feature => {
                return Err(ctx.err("type", format!("unknown value {t:?} ({EXPECTED})")));
            }
            None => {
                return Err(ctx.err(
                    "restriction",
                    format!("missing ({EXPECTED}); `type` holds {t:?}"),
                ));
            }
        },
        (None, None) => return Err(ctx.err("restriction", format!("missing ({EXPECTED})"))),
    };

    let name = text_field(props, &["name"]).unwrap_or_else(|| identifier.clone());
    let message = text_field(props, &["message"]);
    let country = text_field(props, &["country"]);
    let reasons = string_list(props, &["reason", "reasons"]);

    let volumes = if let Some(geom) = non_null(props, &["geometry"]).filter(|g| g.is_array()) {
        // ED-269: geometry[] with limits beside each horizontalProjection.
        parse_ed269_geometry(geom, &ctx)?
    } else {
        let geom = non_null(obj, &["geometry"])
            .or_else(|| non_null(props, &["geometry"]))
            .ok_or_else(|| ctx.err("geometry", "missing"))?;
        parse_geojson_geometry(geom, props, &ctx)?
    };
    if volumes.is_empty() {
        return Err(ctx.err("geometry", "no volume"));
    }

    let applicability = parse_applicability(props, &ctx)?;
    let authorities = parse_authorities(props);

    Ok(Zone {
        identifier,
        country,
        name,
        restriction,
        reasons,
        message,
        volumes,
        applicability,
        authorities,
        source: file.to_string(),
    })
}

fn parse_restriction(t: &str) -> Option<Restriction> {
    let t = t.trim().to_ascii_uppercase().replace(['-', ' '], "_");
    Some(match t.as_str() {
        "PROHIBITED" => Restriction::Prohibited,
        "REQ_AUTHORISATION"
        | "REQ_AUTHORIZATION"
        | "AUTHORISATION_REQUIRED"
        | "AUTHORIZATION_REQUIRED" => Restriction::ReqAuthorisation,
        "CONDITIONAL" => Restriction::Conditional,
        "NO_RESTRICTION" | "NONE" => Restriction::NoRestriction,
        "USPACE" | "U_SPACE" => Restriction::USpace,
        _ => return None,
    })
}

fn non_null<'a>(o: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().find_map(|k| o.get(*k).filter(|v| !v.is_null()))
}

/// A string, a number, or an ED-318 text list `[{"text": …, "lang": …}]` (French preferred).
fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(a) => {
            let pick = a
                .iter()
                .find(|e| {
                    e.get("lang")
                        .and_then(Value::as_str)
                        .is_some_and(|l| l.starts_with("fr"))
                })
                .or_else(|| a.first())?;
            match pick {
                Value::Object(o) => o.get("text").and_then(text_of),
                other => text_of(other),
            }
        }
        Value::Object(o) => o.get("text").and_then(text_of),
        _ => None,
    }
}

fn text_field(o: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| o.get(*k).and_then(text_of))
}

fn string_list(o: &Map<String, Value>, keys: &[&str]) -> Vec<String> {
    match non_null(o, keys) {
        Some(Value::Array(a)) => a.iter().filter_map(text_of).collect(),
        Some(v) => text_of(v).into_iter().collect(),
        None => vec![],
    }
}

/// A number, or a string holding one ("0", " 120.5 ").
fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|x| x.is_finite())
}

fn parse_unit(o: &Map<String, Value>, keys: &[&str], ctx: &Ctx, field: &str) -> R<f64> {
    match text_field(o, keys) {
        None => Ok(1.0),
        Some(u) => match u.to_ascii_uppercase().as_str() {
            "M" | "METER" | "METRE" | "METERS" | "METRES" => Ok(1.0),
            "FT" | "FEET" | "FOOT" => Ok(M_PER_FT),
            other => Err(ctx.err(field, format!("unknown unit {other:?} (expected M or FT)"))),
        },
    }
}

/// Vertical reference; `STD` (flight levels) is read as AMSL widened by `std_margin_m` by the caller.
fn parse_ref(o: &Map<String, Value>, keys: &[&str], ctx: &Ctx, field: &str) -> R<(AltRef, bool)> {
    match text_field(o, keys) {
        None => Ok((AltRef::Agl, false)),
        Some(r) => match r.to_ascii_uppercase().as_str() {
            "AGL" | "SFC" | "GND" => Ok((AltRef::Agl, false)),
            "AMSL" | "MSL" => Ok((AltRef::Amsl, false)),
            "WGS84" | "WGS-84" | "HAE" => Ok((AltRef::Wgs84, false)),
            "STD" => Ok((AltRef::Amsl, true)),
            other => Err(ctx.err(
                field,
                format!("unknown vertical reference {other:?} (expected AGL, AMSL or WGS84)"),
            )),
        },
    }
}

/// Pressure levels differ from AMSL by up to a few hundred feet: widen the zone outward.
const STD_MARGIN_M: f64 = 150.0;

struct Limits {
    lower: Altitude,
    upper: Altitude,
}

#[allow(clippy::too_many_arguments)]
fn read_limits(
    o: &Map<String, Value>,
    ctx: &Ctx,
    lower_keys: &[&str],
    lower_ref_keys: &[&str],
    upper_keys: &[&str],
    upper_ref_keys: &[&str],
    uom_keys: &[&str],
    prefix: &str,
) -> R<Limits> {
    let scale = parse_unit(o, uom_keys, ctx, &format!("{prefix}{}", uom_keys[0]))?;
    let (lref, lstd) = parse_ref(
        o,
        lower_ref_keys,
        ctx,
        &format!("{prefix}{}", lower_ref_keys[0]),
    )?;
    let (uref, ustd) = parse_ref(
        o,
        upper_ref_keys,
        ctx,
        &format!("{prefix}{}", upper_ref_keys[0]),
    )?;
    let lower = match non_null(o, lower_keys) {
        None => 0.0,
        Some(v) => {
            number(v).ok_or_else(|| {
                ctx.err(
                    &format!("{prefix}{}", lower_keys[0]),
                    format!("not a number: {v}"),
                )
            })? * scale
        }
    };
    let upper = match non_null(o, upper_keys) {
        None => f64::INFINITY,
        Some(v) => {
            let x = number(v).ok_or_else(|| {
                ctx.err(
                    &format!("{prefix}{}", upper_keys[0]),
                    format!("not a number: {v}"),
                )
            })?;
            // Some producers write -1 or 99999 for "unlimited".
            if !(0.0..99_999.0).contains(&x) {
                f64::INFINITY
            } else {
                x * scale
            }
        }
    };
    let lower = if lstd { lower - STD_MARGIN_M } else { lower };
    let upper = if ustd { upper + STD_MARGIN_M } else { upper };
    if lref == uref && lower > upper {
        return Err(ctx.err(
            &format!("{prefix}{}", lower_keys[0]),
            format!("lower limit {lower} m is above upper limit {upper} m"),
        ));
    }
    Ok(Limits {
        lower: Altitude {
            value_m: lower,
            reference: lref,
        },
        upper: Altitude {
            value_m: upper,
            reference: uref,
        },
    })
}

fn parse_ed269_geometry(geom: &Value, ctx: &Ctx) -> R<Vec<ZoneVolume>> {
    let list: Vec<&Value> = match geom {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let mut out = vec![];
    for (i, g) in list.iter().enumerate() {
        let prefix = format!("geometry[{i}].");
        let Value::Object(o) = g else {
            return Err(ctx.err(&format!("geometry[{i}]"), "expected an object"));
        };
        let limits = read_limits(
            o,
            ctx,
            &["lowerLimit"],
            &["lowerVerticalReference"],
            &["upperLimit"],
            &["upperVerticalReference"],
            &["uomDimensions", "uom"],
            &prefix,
        )?;
        let hp = non_null(o, &["horizontalProjection"])
            .ok_or_else(|| ctx.err(&format!("{prefix}horizontalProjection"), "missing"))?;
        for shape in parse_shape(hp, ctx, &format!("{prefix}horizontalProjection"))? {
            out.push(ZoneVolume {
                shape,
                lower: limits.lower,
                upper: limits.upper,
            });
        }
    }
    Ok(out)
}

fn parse_geojson_geometry(
    geom: &Value,
    props: &Map<String, Value>,
    ctx: &Ctx,
) -> R<Vec<ZoneVolume>> {
    let Value::Object(g) = geom else {
        return Err(ctx.err("geometry", "expected a GeoJSON geometry object"));
    };
    if g.get("type").and_then(Value::as_str) == Some("GeometryCollection") {
        let mut out = vec![];
        for (i, sub) in g
            .get("geometries")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            out.extend(
                parse_geojson_geometry(
                    sub,
                    props,
                    &Ctx {
                        file: ctx.file,
                        zone: ctx.zone.clone(),
                    },
                )
                .map_err(|mut e| {
                    e.field = format!(
                        "geometry.geometries[{i}].{}",
                        e.field.trim_start_matches("geometry.")
                    );
                    e
                })?,
            );
        }
        return Ok(out);
    }
    // ED-318: geometry.layer; plain GeoJSON: ED-269-style limits in properties (or none: GND–UNL).
    let limits = if let Some(Value::Object(layer)) =
        non_null(g, &["layer"]).or_else(|| non_null(props, &["layer"]))
    {
        read_limits(
            layer,
            ctx,
            &["lower"],
            &["lowerReference"],
            &["upper"],
            &["upperReference"],
            &["uom"],
            "geometry.layer.",
        )?
    } else {
        read_limits(
            props,
            ctx,
            &["lowerLimit", "lower"],
            &["lowerVerticalReference", "lowerReference"],
            &["upperLimit", "upper"],
            &["upperVerticalReference", "upperReference"],
            &["uomDimensions", "uom"],
            "",
        )?
    };
    Ok(parse_shape(geom, ctx, "geometry")?
        .into_iter()
        .map(|shape| ZoneVolume {
            shape,
            lower: limits.lower,
            upper: limits.upper,
        })
        .collect())
}

fn parse_shape(v: &Value, ctx: &Ctx, field: &str) -> R<Vec<Shape>> {
    let Value::Object(o) = v else {
        return Err(ctx.err(field, "expected a GeoJSON geometry object"));
    };
    let kind =
        text_field(o, &["type"]).ok_or_else(|| ctx.err(&format!("{field}.type"), "missing"))?;
    match kind.as_str() {
        "Polygon" => {
            let c = non_null(o, &["coordinates"]).ok_or_else(|| ctx.err(&format!("{field}.coordinates"), "missing"))?;
            Ok(vec![Shape::Polygon(parse_polygon(c, ctx, &format!("{field}.coordinates"))?)])
        }
        "MultiPolygon" => {
            let c = non_null(o, &["coordinates"])
                .and_then(Value::as_array)
                .ok_or_else(|| ctx.err(&format!("{field}.coordinates"), "missing or not a list"))?;
            c.iter()
                .enumerate()
                .map(|(i, p)| parse_polygon(p, ctx, &format!("{field}.coordinates[{i}]")).map(Shape::Polygon))
                .collect()
        }
        "Circle" | "Point" => {
            let (center_v, radius_v, cfield, rfield) = if kind == "Circle" {
                (non_null(o, &["center"]), non_null(o, &["radius"]), "center", "radius")
            } else {
                let ext = non_null(o, &["extent"]).and_then(Value::as_object);
                let sub = ext.and_then(|e| text_field(e, &["subType", "subtype"]));
                if ext.is_none() || !sub.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("circle")) {
                    return Err(ctx.err(
                        &format!("{field}.extent"),
                        "a Point zone needs `extent: {\"subType\": \"Circle\", \"radius\": …}`",
                    ));
                }
                (non_null(o, &["coordinates"]), ext.and_then(|e| non_null(e, &["radius"])), "coordinates", "extent.radius")
            };
            let center_v = center_v.ok_or_else(|| ctx.err(&format!("{field}.{cfield}"), "missing"))?;
            let center = parse_position(center_v).ok_or_else(|| {
                ctx.err(&format!("{field}.{cfield}"), format!("expected [longitude, latitude], got {center_v}"))
            })?;
            let radius_m = radius_v
                .and_then(number)
                .filter(|r| *r > 0.0)
                .ok_or_else(|| ctx.err(&format!("{field}.{rfield}"), "missing or not a positive number of metres"))?;
            Ok(vec![Shape::Circle { center, radius_m }])
        }
        other => Err(ctx.err(
            &format!("{field}.type"),
            format!("unsupported geometry {other:?} (expected Polygon, MultiPolygon, Circle or Point with extent)"),
        )),
    }
}

/// GeoJSON position [lon, lat(, alt)] → LatLon, lenient on strings.
fn parse_position(v: &Value) -> Option<LatLon> {
    let a = v.as_array()?;
    let p = LatLon::new(number(a.get(1)?)?, number(a.first()?)?);
    p.is_valid().then_some(p)
}

fn parse_ring(v: &Value, ctx: &Ctx, field: &str) -> R<geo::LineString<f64>> {
    let a = v
        .as_array()
        .ok_or_else(|| ctx.err(field, "expected a list of [longitude, latitude] positions"))?;
    let mut coords = Vec::with_capacity(a.len() + 1);
    for (i, p) in a.iter().enumerate() {
        let ll = parse_position(p).ok_or_else(|| {
            ctx.err(
                &format!("{field}[{i}]"),
                format!("expected [longitude, latitude] in range, got {p}"),
            )
        })?;
        coords.push(ll.to_coord());
    }
    if coords.first() != coords.last()
        && let Some(&f) = coords.first()
    {
        coords.push(f);
    }
    if coords.len() < 4 {
        return Err(ctx.err(
            field,
            format!(
                "a ring needs at least 3 distinct positions, got {}",
                coords.len().saturating_sub(1)
            ),
        ));
    }
    Ok(geo::LineString::new(coords))
}

fn parse_polygon(v: &Value, ctx: &Ctx, field: &str) -> R<geo::Polygon<f64>> {
    let rings = v
        .as_array()
        .ok_or_else(|| ctx.err(field, "expected a list of rings"))?;
    let Some(ext) = rings.first() else {
        return Err(ctx.err(field, "a polygon needs an exterior ring"));
    };
    let exterior = parse_ring(ext, ctx, &format!("{field}[0]"))?;
    let holes = rings
        .iter()
        .enumerate()
        .skip(1)
        .map(|(i, r)| parse_ring(r, ctx, &format!("{field}[{i}]")))
        .collect::<R<Vec<_>>>()?;
    Ok(geo::Polygon::new(exterior, holes))
}

fn parse_applicability(props: &Map<String, Value>, ctx: &Ctx) -> R<Applicability> {
    let (field, list) = match (
        non_null(props, &["applicability"]),
        non_null(props, &["limitedApplicability"]),
    ) {
        (Some(v), _) => ("applicability", v),
        (None, Some(v)) => ("limitedApplicability", v),
        (None, None) => return Ok(Applicability::permanent()),
    };
    let items: Vec<&Value> = match list {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let mut periods = vec![];
    for (i, it) in items.iter().enumerate() {
        let f = format!("{field}[{i}]");
        let Value::Object(o) = it else {
            return Err(ctx.err(&f, "expected an object"));
        };
        if text_field(o, &["permanent"])
            .is_some_and(|p| p.eq_ignore_ascii_case("YES") || p == "true")
        {
            return Ok(Applicability::permanent());
        }
        let start = opt_datetime(o, "startDateTime", ctx, &f)?;
        let end = opt_datetime(o, "endDateTime", ctx, &f)?;
        if let (Some(s), Some(e)) = (start, end)
            && e < s
        {
            return Err(ctx.err(&format!("{f}.endDateTime"), "ends before startDateTime"));
        }
        let mut schedule = vec![];
        let sched: Vec<&Value> = match non_null(o, &["schedule"]) {
            Some(Value::Array(a)) => a.iter().collect(),
            Some(other) => vec![other],
            None => vec![],
        };
        for (j, s) in sched.iter().enumerate() {
            let sf = format!("{f}.schedule[{j}]");
            let Value::Object(so) = s else {
                return Err(ctx.err(&sf, "expected an object"));
            };
            let days = parse_days(so, ctx, &sf)?;
            let start = time_field(so, "startTime", ctx, &sf)?.unwrap_or(NaiveTime::MIN);
            let end = time_field(so, "endTime", ctx, &sf)?
                .unwrap_or_else(|| NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN));
            schedule.push(DailySchedule { days, start, end });
        }
        periods.push(ApplicabilityPeriod {
            start,
            end,
            schedule,
        });
    }
    Ok(Applicability { periods })
}

fn opt_datetime(o: &Map<String, Value>, key: &str, ctx: &Ctx, f: &str) -> R<Option<DateTime<Utc>>> {
    let Some(t) = text_field(o, &[key]) else {
        return Ok(None);
    };
    parse_datetime_lenient(&t).map(Some).ok_or_else(|| {
        ctx.err(
            &format!("{f}.{key}"),
            format!("not a date-time: {t:?} (use RFC 3339, e.g. 2026-06-01T08:00:00Z)"),
        )
    })
}

/// RFC 3339, or a date-time without zone (taken as UTC), or a bare date (midnight UTC).
pub fn parse_datetime_lenient(t: &str) -> Option<DateTime<Utc>> {
    let t = t.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, fmt) {
            return Some(n.and_utc());
        }
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|n| n.and_utc())
}

fn time_field(o: &Map<String, Value>, key: &str, ctx: &Ctx, f: &str) -> R<Option<NaiveTime>> {
    let Some(t) = text_field(o, &[key]) else {
        return Ok(None);
    };
    let s = t.trim().trim_end_matches('Z').trim_end_matches("+00:00");
    for fmt in ["%H:%M:%S%.f", "%H:%M:%S", "%H:%M", "%H%M"] {
        if let Ok(x) = NaiveTime::parse_from_str(s, fmt) {
            return Ok(Some(x));
        }
    }
    if s == "24:00" || s == "24:00:00" {
        return Ok(NaiveTime::from_hms_opt(23, 59, 59));
    }
    Err(ctx.err(
        &format!("{f}.{key}"),
        format!("not a time of day: {t:?} (use HH:MM or HH:MM:SS, UTC)"),
    ))
}

fn parse_days(o: &Map<String, Value>, ctx: &Ctx, f: &str) -> R<Vec<Weekday>> {
    let mut out = vec![];
    for d in string_list(o, &["day", "days"]) {
        let w = match d.to_ascii_uppercase().get(..3).unwrap_or("") {
            "MON" => Weekday::Mon,
            "TUE" => Weekday::Tue,
            "WED" => Weekday::Wed,
            "THU" => Weekday::Thu,
            "FRI" => Weekday::Fri,
            "SAT" => Weekday::Sat,
            "SUN" => Weekday::Sun,
            "ANY" | "EVE" | "ALL" => return Ok(vec![]),
            _ => {
                return Err(ctx.err(
                    &format!("{f}.day"),
                    format!("unknown day {d:?} (MON … SUN or ANY)"),
                ));
            }
        };
        out.push(w);
    }
    Ok(out)
}

fn parse_authorities(props: &Map<String, Value>) -> Vec<ZoneAuthority> {
    let list: Vec<&Value> =
        match non_null(props, &["zoneAuthority", "zoneAuthorities", "authority"]) {
            Some(Value::Array(a)) => a.iter().collect(),
            Some(other) => vec![other],
            None => vec![],
        };
    list.into_iter()
        .filter_map(Value::as_object)
        .map(|o| ZoneAuthority {
            name: text_field(o, &["name", "contactName"]),
            service: text_field(o, &["service"]),
            email: text_field(o, &["email"]),
            phone: text_field(o, &["phone"]),
            site_url: text_field(o, &["siteURL", "siteUrl", "url"]),
            purpose: text_field(o, &["purpose"]),
        })
        .collect()
}

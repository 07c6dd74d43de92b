//! GeoJSON (RFC 7946): WGS84 longitude/latitude(/altitude), no `crs` member, polygon exteriors
//! counter-clockwise. One FeatureCollection; each feature's `kind` says what it is (`track`,
//! `planned`, `coverage`, `hotspot`), so QGIS can style by it.

use geo::orient::{Direction, Orient};
use serde_json::{Value, json};

use super::{PatrolReport, covered_ha, rfc3339};

fn ring(ls: &geo::LineString<f64>) -> Value {
    Value::Array(
        ls.0.iter()
            .map(|c| json!([round7(c.x), round7(c.y)]))
            .collect(),
    )
}

fn round7(x: f64) -> f64 {
    (x * 1e7).round() / 1e7
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

pub fn to_geojson(r: &PatrolReport) -> String {
    let mut features: Vec<Value> = Vec::new();
    if r.track.len() >= 2 {
        let coords: Vec<Value> = r
            .track
            .iter()
            .map(|p| {
                json!([
                    round7(p.pos.lon_deg),
                    round7(p.pos.lat_deg),
                    round1(p.alt_amsl_m)
                ])
            })
            .collect();
        let length_m: f64 = r
            .track
            .windows(2)
            .map(|w| w[0].pos.distance_m(&w[1].pos))
            .sum();
        features.push(json!({
            "type": "Feature",
            "id": "track",
            "geometry": {"type": "LineString", "coordinates": coords},
            "properties": {
                "kind": "track",
                "name": "Trace du vol / flight track",
                "start": r.track.first().map(|p| rfc3339(&p.at)),
                "end": r.track.last().map(|p| rfc3339(&p.at)),
                "length_m": length_m.round(),
                "flight_id": r.flight_id,
            }
        }));
    }
    if r.planned.len() >= 2 {
        let coords: Vec<Value> = r
            .planned
            .iter()
            .map(|p| json!([round7(p.lon_deg), round7(p.lat_deg)]))
            .collect();
        features.push(json!({
            "type": "Feature",
            "id": "planned",
            "geometry": {"type": "LineString", "coordinates": coords},
            "properties": {"kind": "planned", "name": "Patrouille prévue / planned patrol"}
        }));
    }
    if let Some(c) = &r.coverage {
        let polys: Vec<Value> =
            c.0.iter()
                .map(|p| {
                    let p = p.orient(Direction::Default);
                    let mut rings = vec![ring(p.exterior())];
                    rings.extend(p.interiors().iter().map(ring));
                    Value::Array(rings)
                })
                .collect();
        features.push(json!({
            "type": "Feature",
            "id": "coverage",
            "geometry": {"type": "MultiPolygon", "coordinates": polys},
            "properties": {
                "kind": "coverage",
                "name": "Zone couverte par la caméra / area covered",
                "area_ha": (covered_ha(Some(c)) * 100.0).round() / 100.0,
            }
        }));
    }
    for h in &r.hotspots {
        let mut coords = vec![json!(round7(h.pos.lon_deg)), json!(round7(h.pos.lat_deg))];
        if let Some(g) = h.ground_amsl_m {
            coords.push(json!(round1(g)));
        }
        features.push(json!({
            "type": "Feature",
            "id": h.id,
            "geometry": {"type": "Point", "coordinates": coords},
            "properties": {
                "kind": "hotspot",
                "id": h.id,
                "name": format!("Point chaud {} / hotspot", h.id),
                "first_seen": rfc3339(&h.first_seen),
                "last_seen": rfc3339(&h.last_seen),
                "error_m": round1(h.error_m),
                "observations": h.observations,
                "sources": h.sources.iter().map(|s| serde_json::to_value(s).unwrap_or(Value::Null)).collect::<Vec<_>>(),
                "peak": h.peak.map(round1),
                "snapshot": h.snapshot,
                "note": if h.notes.is_empty() { Value::Null } else { json!(h.notes.join(" — ")) },
            }
        }));
    }
    let doc = json!({
        "type": "FeatureCollection",
        "name": r.title,
        "properties": {
            "title": r.title,
            "flight_id": r.flight_id,
            "operator": r.operator,
            "pilot": r.pilot,
            "legal_basis": r.legal_basis,
            "started_at": rfc3339(&r.started_at),
            "ended_at": rfc3339(&r.ended_at),
            "hotspots": r.hotspots.len(),
        },
        "features": features,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into())
}

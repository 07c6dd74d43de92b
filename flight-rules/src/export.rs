//! GeoJSON export of zones (map layers, fire-service exchange). Circles are written as polygons
//! that contain them; limits go in ED-269-style properties, so `parse_zone_file` reads the export
//! back.

use serde_json::{Map, Value, json};

use crate::fence::circumscribed_polygon;
use crate::zone::{Shape, Zone};

/// One Feature per zone volume, as a FeatureCollection.
pub fn zones_to_geojson(zones: &[Zone]) -> geojson::FeatureCollection {
    let mut features = vec![];
    for z in zones {
        for (i, v) in z.volumes.iter().enumerate() {
            let poly = match &v.shape {
                Shape::Polygon(p) => p.clone(),
                Shape::Circle { center, radius_m } => {
                    crate::zone::polygon_from_latlon(&circumscribed_polygon(*center, *radius_m, 64))
                }
            };
            let id = if z.volumes.len() > 1 {
                format!("{}#{}", z.identifier, i + 1)
            } else {
                z.identifier.clone()
            };
            let mut props = Map::new();
            props.insert("identifier".into(), json!(id));
            props.insert("name".into(), json!(z.name));
            props.insert("restriction".into(), json!(z.restriction.to_string()));
            props.insert("reason".into(), json!(z.reasons));
            if let Some(m) = &z.message {
                props.insert("message".into(), json!(m));
            }
            props.insert("uomDimensions".into(), json!("M"));
            props.insert("lowerLimit".into(), finite(v.lower.value_m));
            props.insert(
                "lowerVerticalReference".into(),
                json!(v.lower.reference.to_string()),
            );
            props.insert("upperLimit".into(), finite(v.upper.value_m));
            props.insert(
                "upperVerticalReference".into(),
                json!(v.upper.reference.to_string()),
            );
            props.insert("source".into(), json!(z.source));
            features.push(geojson::Feature {
                bbox: None,
                geometry: Some(geojson::Geometry::new(geojson::GeometryValue::from(&poly))),
                id: Some(geojson::feature::Id::String(id)),
                properties: Some(props),
                foreign_members: None,
            });
        }
    }
    geojson::FeatureCollection {
        bbox: None,
        features,
        foreign_members: None,
    }
}

/// Unlimited bounds are written as null (read back as surface / unlimited).
fn finite(x: f64) -> Value {
    if x.is_finite() { json!(x) } else { Value::Null }
}

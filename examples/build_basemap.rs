//! Build the shipped offline basemap of Istres and the Étang de Berre from open data.
//!
//! Input: commune boundaries (IGN Admin Express COG, Licence Ouverte / Etalab, as simplified
//! GeoJSON by the france-geojson project). Land is every commune; water is what no commune
//! covers (the sea, the Étang de Berre, the Golfe de Fos). Output: an MBTiles file of 256-px
//! PNG tiles and a GeoJSON of place names (drawn by the app, so they stay crisp and legible).
//!
//! Run through `scripts/build-basemap.sh` (it names the input and the outputs).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // a build script

use std::path::PathBuf;

use geo::{Area, InteriorPoint, Intersects};
use tiny_skia::{Color, FillRule, Paint, PathBuilder, Pixmap, Stroke, StrokeDash, Transform};

/// lon/lat box of the basemap.
const WEST: f64 = 4.78;
const EAST: f64 = 5.30;
const SOUTH: f64 = 43.33;
const NORTH: f64 = 43.66;
/// Istres and the air base, one zoom level deeper.
const CORE: (f64, f64, f64, f64) = (4.88, 5.03, 43.47, 43.57);
const MIN_ZOOM: u8 = 8;
const MAX_ZOOM: u8 = 14;
const CORE_ZOOM: u8 = 15;

/// Water bodies and landmarks named by hand (positions read off the same data).
const EXTRA_PLACES: &[(&str, f64, f64, &str)] = &[
    ("Étang de Berre", 5.115, 43.46, "water"),
    ("Golfe de Fos", 4.88, 43.39, "water"),
    ("Étang de l'Olivier", 4.985, 43.520, "water"),
    ("Mer Méditerranée", 5.06, 43.345, "water"),
];

fn mercator(lon: f64, lat: f64, zoom: u8) -> (f64, f64) {
    let n = 256.0 * f64::from(1u32 << zoom);
    let x = (lon + 180.0) / 360.0 * n;
    let lat = lat.to_radians();
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n;
    (x, y)
}

fn tile_range(w: f64, e: f64, s: f64, n: f64, z: u8) -> (u32, u32, u32, u32) {
    let (x0, y0) = mercator(w, n, z);
    let (x1, y1) = mercator(e, s, z);
    (
        (x0 / 256.0).floor() as u32,
        (x1 / 256.0).floor() as u32,
        (y0 / 256.0).floor() as u32,
        (y1 / 256.0).floor() as u32,
    )
}

struct Commune {
    name: String,
    shape: geo::MultiPolygon<f64>,
}

fn load(path: &str) -> Vec<Commune> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let fc: geojson::FeatureCollection = text.parse().unwrap_or_else(|e| panic!("{path}: {e}"));
    let bbox = geo::Rect::new(
        geo::coord! { x: WEST - 0.05, y: SOUTH - 0.05 },
        geo::coord! { x: EAST + 0.05, y: NORTH + 0.05 },
    );
    let mut out = vec![];
    for f in fc.features {
        let name = f
            .property("nom")
            .and_then(|v| v.as_str())
            .unwrap_or("?")
            .to_string();
        let Some(g) = f.geometry else { continue };
        let shape: geo::MultiPolygon<f64> = match geo::Geometry::<f64>::try_from(g) {
            Ok(geo::Geometry::Polygon(p)) => p.into(),
            Ok(geo::Geometry::MultiPolygon(m)) => m,
            _ => continue,
        };
        if shape.intersects(&bbox) {
            out.push(Commune { name, shape });
        }
    }
    out
}

fn ring_path(pb: &mut PathBuilder, ring: &geo::LineString<f64>, z: u8, ox: f64, oy: f64) {
    for (i, c) in ring.coords().enumerate() {
        let (x, y) = mercator(c.x, c.y, z);
        let (x, y) = ((x - ox) as f32, (y - oy) as f32);
        if i == 0 {
            pb.move_to(x, y);
        } else {
            pb.line_to(x, y);
        }
    }
    pb.close();
}

fn render(communes: &[Commune], z: u8, tx: u32, ty: u32) -> Vec<u8> {
    let mut pix = Pixmap::new(256, 256).unwrap();
    // Water: a clear, saturated blue that stays blue in the sun.
    pix.fill(Color::from_rgba8(150, 196, 230, 255));
    let (ox, oy) = (f64::from(tx) * 256.0, f64::from(ty) * 256.0);
    let mut land = Paint::default();
    land.set_color_rgba8(244, 241, 232, 255);
    land.anti_alias = true;
    let mut pb = PathBuilder::new();
    for c in communes {
        for p in &c.shape {
            ring_path(&mut pb, p.exterior(), z, ox, oy);
            for hole in p.interiors() {
                ring_path(&mut pb, hole, z, ox, oy);
            }
        }
    }
    if let Some(path) = pb.finish() {
        pix.fill_path(&path, &land, FillRule::EvenOdd, Transform::identity(), None);
        // Commune borders, dashed grey, once zoomed in enough to be useful.
        let mut border = Paint::default();
        border.set_color_rgba8(120, 110, 100, 255);
        border.anti_alias = true;
        if z >= 11 {
            let stroke = Stroke {
                width: 1.2,
                dash: StrokeDash::new(vec![6.0, 4.0], 0.0),
                ..Stroke::default()
            };
            pix.stroke_path(&path, &border, &stroke, Transform::identity(), None);
        }
    }
    let mut png_bytes = vec![];
    {
        let mut enc = png::Encoder::new(&mut png_bytes, 256, 256);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::High);
        let mut w = enc.write_header().unwrap();
        let rgb: Vec<u8> = pix
            .data()
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect();
        w.write_image_data(&rgb).unwrap();
    }
    png_bytes
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(input), Some(mbtiles), Some(places)) = (args.next(), args.next(), args.next()) else {
        eprintln!("usage: build_basemap COMMUNES.geojson OUT.mbtiles OUT-places.geojson");
        std::process::exit(2);
    };
    let communes = load(&input);
    println!("{} communes in the box", communes.len());
    let out = PathBuf::from(&mbtiles);
    let _ = std::fs::remove_file(&out);
    let conn = rusqlite::Connection::open(&out).unwrap();
    conn.execute_batch(
        "CREATE TABLE metadata (name TEXT, value TEXT);
         CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
         CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);",
    )
    .unwrap();
    let meta = [
        ("name", "Istres – Étang de Berre"),
        ("format", "png"),
        ("type", "baselayer"),
        ("version", "1"),
        ("minzoom", &MIN_ZOOM.to_string()),
        ("maxzoom", &CORE_ZOOM.to_string()),
        ("bounds", &format!("{WEST},{SOUTH},{EAST},{NORTH}")),
        (
            "attribution",
            "Communes © IGN Admin Express COG 2018, Licence Ouverte (Etalab), via france-geojson",
        ),
    ];
    for (k, v) in meta {
        conn.execute("INSERT INTO metadata VALUES (?1, ?2)", [k, v])
            .unwrap();
    }
    let mut count = 0;
    let mut bytes = 0;
    let tx = conn.unchecked_transaction().unwrap();
    for z in MIN_ZOOM..=CORE_ZOOM {
        let (w, e, s, n) = if z > MAX_ZOOM {
            CORE
        } else {
            (WEST, EAST, SOUTH, NORTH)
        };
        let (x0, x1, y0, y1) = tile_range(w, e, s, n, z);
        for x in x0..=x1 {
            for y in y0..=y1 {
                let png = render(&communes, z, x, y);
                let tms_y = (1u32 << z) - 1 - y;
                bytes += png.len();
                tx.execute(
                    "INSERT INTO tiles VALUES (?1, ?2, ?3, ?4)",
                    rusqlite::params![z, x, tms_y, png],
                )
                .unwrap();
                count += 1;
            }
        }
    }
    tx.commit().unwrap();
    conn.execute_batch("VACUUM").unwrap();
    println!("{count} tiles, {} kB of PNG", bytes / 1024);

    // Place names: one point inside each commune, largest first (the app draws the big ones
    // at low zoom).
    let mut feats: Vec<(f64, serde_json::Value)> = communes
        .iter()
        .filter_map(|c| {
            let p = c.shape.interior_point()?;
            if p.x() < WEST || p.x() > EAST || p.y() < SOUTH || p.y() > NORTH {
                return None;
            }
            let area = c.shape.unsigned_area();
            Some((
                area,
                serde_json::json!({
                    "type": "Feature",
                    "properties": {"nom": c.name, "kind": "commune", "rank": 0},
                    "geometry": {"type": "Point", "coordinates": [
                        (p.x() * 1e5).round() / 1e5, (p.y() * 1e5).round() / 1e5]}
                }),
            ))
        })
        .collect();
    feats.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut list: Vec<serde_json::Value> = feats.into_iter().map(|(_, f)| f).collect();
    for (i, f) in list.iter_mut().enumerate() {
        f["properties"]["rank"] = serde_json::json!(i);
    }
    for (name, lon, lat, kind) in EXTRA_PLACES {
        list.insert(
            0,
            serde_json::json!({
                "type": "Feature",
                "properties": {"nom": name, "kind": kind, "rank": 0},
                "geometry": {"type": "Point", "coordinates": [lon, lat]}
            }),
        );
    }
    let fc = serde_json::json!({"type": "FeatureCollection", "features": list});
    std::fs::write(&places, serde_json::to_string_pretty(&fc).unwrap()).unwrap();
    println!(
        "{} place names",
        fc["features"].as_array().map_or(0, Vec::len)
    );
}

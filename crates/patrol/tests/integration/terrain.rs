//! Elevation grids: ESRI ASCII and GeoTIFF (written by GDAL itself), Lambert-93 checked against
//! GDAL's own transform, bilinear lookup, errors that name the file and the field.

use std::process::Command;

use flight_rules::LatLon;
use vigie_patrol::terrain::lambert;
use vigie_patrol::{ElevationGrid, GridCrs, parse_esri_ascii, parse_geotiff};

use crate::common::{forest_truth, run};

/// A plane in Lambert-93 metres: bilinear interpolation must reproduce it exactly.
fn plane(x: f64, y: f64) -> f64 {
    400.0 + 0.05 * (x - 908_000.0) + 0.12 * (y - 6_272_000.0)
}

/// The tile's corner and size (Lambert-93 metres): 3 km × 3 km over the south face.
const XLL: f64 = 907_000.0;
const YLL: f64 = 6_270_500.0;
const CELLS: usize = 120;

/// An RGE ALTI-like tile (Lambert-93, 25 m cells, NODATA -99999) over the Sainte-Victoire south
/// face, values from `plane`, one no-data cell.
fn rge_alti_asc() -> String {
    let (ncols, nrows, cell) = (CELLS, CELLS, 25.0);
    let (xll, yll) = (XLL, YLL);
    let mut s = format!(
        "ncols        {ncols}\nnrows        {nrows}\nxllcorner    {xll:.1}\nyllcorner    {yll:.1}\ncellsize     {cell:.1}\nNODATA_value -99999\n"
    );
    for r in 0..nrows {
        let y = yll + (nrows as f64 - r as f64 - 0.5) * cell;
        let row: Vec<String> = (0..ncols)
            .map(|c| {
                if r == 10 && c == 10 {
                    "-99999".to_string()
                } else {
                    format!("{:.2}", plane(xll + (c as f64 + 0.5) * cell, y))
                }
            })
            .collect();
        s.push(' ');
        s.push_str(&row.join(" "));
        s.push('\n');
    }
    s
}

#[test]
fn lambert93_agrees_with_gdal_on_real_places() {
    // Sainte-Victoire (Croix de Provence), Istres town hall, BA 125's reference point, Paris.
    let places = [
        (43.5318, 5.5842),
        (43.5150, 4.9890),
        (43.5225, 4.92417),
        (48.8530, 2.3499),
    ];
    let input: String = places
        .iter()
        .map(|(lat, lon)| format!("{lon} {lat}\n"))
        .collect();
    let mut cmd = Command::new("gdaltransform");
    cmd.args([
        "-s_srs",
        "+proj=longlat +datum=WGS84 +no_defs",
        "-t_srs",
        "EPSG:2154",
        "-output_xy",
    ]);
    let out = {
        use std::io::Write;
        let mut child = cmd
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("gdaltransform ({e}): run `cargo xtask setup` (gdal-bin)"));
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write");
        child.wait_with_output().expect("gdaltransform output")
    };
    assert!(
        out.status.success(),
        "gdaltransform: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for ((lat, lon), line) in places.iter().zip(text.lines()) {
        let v: Vec<f64> = line
            .split_whitespace()
            .filter_map(|t| t.parse().ok())
            .collect();
        let (x, y) = lambert::forward(*lat, *lon);
        assert!(
            (x - v[0]).abs() < 0.01 && (y - v[1]).abs() < 0.01,
            "{lat},{lon}: ours {x:.3} {y:.3}, GDAL {line}"
        );
        let (la, lo) = lambert::inverse(v[0], v[1]);
        assert!(
            (la - lat).abs() < 1e-8 && (lo - lon).abs() < 1e-8,
            "inverse of {line}: {la} {lo}"
        );
    }
}

#[test]
fn an_rge_alti_ascii_tile_is_read_in_lambert93_and_interpolated_exactly() {
    let text = rge_alti_asc();
    let g =
        parse_esri_ascii(&text, "RGEALTI_0914_6270_L93.asc", GridCrs::Lambert93).expect("parses");
    assert_eq!(g.size(), (CELLS, CELLS));
    assert!((g.cell_size_m() - 25.0).abs() < 1e-9);
    for (lat, lon) in [(43.515, 5.575), (43.520, 5.580), (43.5255, 5.5901)] {
        let (x, y) = lambert::forward(lat, lon);
        let got = g
            .elevation_m(LatLon::new(lat, lon))
            .expect("inside the tile");
        assert!(
            (got - plane(x, y)).abs() < 0.02,
            "{lat},{lon}: {got} vs {}",
            plane(x, y)
        );
    }
    // Next to the no-data cell (row 10, col 10) there is no elevation; outside the tile neither.
    let (x, y) = (XLL + 10.5 * 25.0, YLL + (CELLS as f64 - 10.5) * 25.0);
    let (lat, lon) = lambert::inverse(x, y);
    assert_eq!(g.elevation_m(LatLon::new(lat, lon)), None);
    assert_eq!(g.elevation_m(LatLon::new(43.60, 5.58)), None);
}

#[test]
fn ascii_grid_errors_name_the_file_and_the_field() {
    let good = rge_alti_asc();
    let cases: Vec<(String, GridCrs, &str)> = vec![
        (
            good.replacen("ncols        120\n", "", 1),
            GridCrs::Lambert93,
            "field `ncols`",
        ),
        (
            good.replacen("ncols        120", "ncols        eighty", 1),
            GridCrs::Lambert93,
            "not a positive integer",
        ),
        (
            good.lines().take(40).collect::<Vec<_>>().join("\n"),
            GridCrs::Lambert93,
            "cut short",
        ),
        (good.clone(), GridCrs::Wgs84, "looks projected"),
        (
            good.replacen("NODATA_value", "colour", 1),
            GridCrs::Lambert93,
            "unknown header key",
        ),
        (
            format!("{good} abc\n"),
            GridCrs::Lambert93,
            "not a number: \"abc\"",
        ),
    ];
    for (text, crs, want) in cases {
        let e = parse_esri_ascii(&text, "tile.asc", crs).expect_err(want);
        let msg = e.to_string();
        assert!(msg.starts_with("tile.asc: "), "{msg}");
        assert!(msg.contains(want), "want {want:?} in {msg}");
    }
}

fn gdal_translate(args: &[&str]) {
    let out = run(
        Command::new("gdal_translate").args(["-q"]).args(args),
        "gdal_translate",
    );
    assert!(
        out.status.success(),
        "gdal_translate {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn geotiff_tiles_written_by_gdal_read_like_their_source() {
    let dir = tempfile::tempdir().expect("tempdir");
    let asc = dir.path().join("rgealti.asc");
    std::fs::write(&asc, rge_alti_asc()).expect("write");
    let from_asc =
        parse_esri_ascii(&rge_alti_asc(), "rgealti.asc", GridCrs::Lambert93).expect("asc");
    // Float32, DEFLATE, Lambert-93 (what IGN's GeoTIFF tiles and gdalwarp outputs look like)
    // and Int16 LZW (SRTM-like integers).
    for (name, extra) in [
        (
            "f32-deflate.tif",
            vec!["-ot", "Float32", "-co", "COMPRESS=DEFLATE"],
        ),
        ("i16-lzw.tif", vec!["-ot", "Int16", "-co", "COMPRESS=LZW"]),
        (
            "f32-tiled.tif",
            vec![
                "-ot",
                "Float32",
                "-co",
                "TILED=YES",
                "-co",
                "BLOCKXSIZE=32",
                "-co",
                "BLOCKYSIZE=32",
            ],
        ),
    ] {
        let tif = dir.path().join(name);
        let mut args = vec!["-a_srs", "EPSG:2154"];
        args.extend(extra);
        let (a, t) = (
            asc.to_string_lossy().to_string(),
            tif.to_string_lossy().to_string(),
        );
        args.push(&a);
        args.push(&t);
        gdal_translate(&args);
        let bytes = std::fs::read(&tif).expect("tif");
        let g = parse_geotiff(&bytes, name, None).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(g.crs(), GridCrs::Lambert93, "{name}");
        for (lat, lon) in [(43.515, 5.575), (43.520, 5.580), (43.5255, 5.5901)] {
            let p = LatLon::new(lat, lon);
            let (a, b) = (
                g.elevation_m(p).expect("tif value"),
                from_asc.elevation_m(p).expect("asc value"),
            );
            let tol = if name.starts_with("i16") { 1.0 } else { 0.01 };
            assert!((a - b).abs() <= tol, "{name} at {p}: {a} vs {b}");
        }
    }
}

#[test]
fn an_srtm_like_wgs84_geotiff_with_nodata() {
    // One arc-second cells around Sainte-Victoire, Int16 with GDAL's no-data tag.
    let (ncols, nrows, cell) = (60usize, 40usize, 1.0 / 3600.0);
    let (xll, yll) = (5.56, 43.51);
    let mut s = format!(
        "ncols {ncols}\nnrows {nrows}\nxllcorner {xll}\nyllcorner {yll}\ncellsize {cell:.12}\nNODATA_value -32768\n"
    );
    for r in 0..nrows {
        let row: Vec<String> = (0..ncols)
            .map(|c| {
                if r < 2 && c < 2 {
                    "-32768".into()
                } else {
                    format!("{}", 300 + r * 10 + c)
                }
            })
            .collect();
        s.push_str(&row.join(" "));
        s.push('\n');
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let asc = dir.path().join("srtm.asc");
    let tif = dir.path().join("N43E005.tif");
    std::fs::write(&asc, &s).expect("write");
    gdal_translate(&[
        "-a_srs",
        "EPSG:4326",
        "-ot",
        "Int16",
        "-a_nodata",
        "-32768",
        &asc.to_string_lossy(),
        &tif.to_string_lossy(),
    ]);
    let g = parse_geotiff(&std::fs::read(&tif).expect("tif"), "N43E005.tif", None).expect("parses");
    assert_eq!(g.crs(), GridCrs::Wgs84);
    assert!((g.cell_size_m() - 22.4).abs() < 1.0, "{}", g.cell_size_m());
    // The centre of cell (row 20, col 30): 300 + 20·10 + 30.
    let p = LatLon::new(yll + (nrows as f64 - 20.5) * cell, xll + 30.5 * cell);
    assert!((g.elevation_m(p).expect("value") - 530.0).abs() < 1e-6);
    // The north-west corner is no-data.
    assert_eq!(
        g.elevation_m(LatLon::new(
            yll + (nrows as f64 - 0.5) * cell,
            xll + 0.5 * cell
        )),
        None
    );
}

#[test]
fn geotiff_errors_name_the_file_and_the_tag() {
    let dir = tempfile::tempdir().expect("tempdir");
    let asc = dir.path().join("t.asc");
    std::fs::write(&asc, rge_alti_asc()).expect("write");
    let utm = dir.path().join("utm.tif");
    gdal_translate(&[
        "-a_srs",
        "EPSG:32631",
        &asc.to_string_lossy(),
        &utm.to_string_lossy(),
    ]);
    let e = parse_geotiff(&std::fs::read(&utm).expect("tif"), "utm.tif", None)
        .expect_err("UTM refused");
    let msg = e.to_string();
    assert!(
        msg.starts_with("utm.tif: GeoKey ProjectedCSTypeGeoKey: EPSG:32631"),
        "{msg}"
    );
    assert!(msg.contains("gdalwarp"), "{msg}");
    // Telling the CRS explicitly overrides the keys.
    assert!(
        parse_geotiff(
            &std::fs::read(&utm).expect("tif"),
            "utm.tif",
            Some(GridCrs::Lambert93)
        )
        .is_ok()
    );
    let e = parse_geotiff(b"not a tiff at all", "junk.tif", None).expect_err("junk");
    assert!(e.to_string().starts_with("junk.tif: header: "), "{e}");
}

#[test]
fn the_sainte_victoire_scenario_grid() {
    let t = forest_truth();
    let g = t.terrain.clone().expect("forest-patrol has a terrain grid");
    // Node values exactly at the nodes (row 0 south, column 0 west, 400 m apart).
    let f = vigie_patrol::LocalFrame::with_radius(LatLon::new(43.51, 5.57), 6_378_137.0);
    for (row, col, want) in [(0, 0, 300.0), (5, 3, 1000.0), (4, 2, 850.0), (2, 5, 430.0)] {
        let p = f.to_latlon([col as f64 * 400.0, row as f64 * 400.0]);
        let got = g.elevation_m(p).expect("inside");
        assert!((got - want).abs() < 1e-6, "node ({row},{col}): {got}");
    }
    // The scenario's [home] says 380 m, but its own grid puts home at ≈ 517 m, where the
    // simulator really sets the vehicle down (it starts on the terrain): the truth is the grid's.
    let home = g.elevation_m(t.home).expect("home on the grid");
    assert!((home - 517.0).abs() < 3.0, "home {home}");
    assert_eq!(t.home_ground_amsl_m(), home);
    assert_eq!(t.home_amsl_m, 380.0);
    // The big fire burns 330 m above home; the third fire is beyond the grid (no elevation).
    let big = g
        .elevation_m(t.hotspots[0].pos)
        .expect("fire 1 on the grid");
    assert!((big - 843.0).abs() < 5.0, "{big}");
    assert_eq!(g.elevation_m(t.hotspots[2].pos), None);
    assert!(
        ElevationGrid::from_rows_south_first(
            "x",
            LatLon::new(43.5, 5.5),
            400.0,
            &[vec![1.0], vec![1.0, 2.0]]
        )
        .is_err()
    );
}

#[test]
fn a_prj_sidecar_names_the_crs() {
    let l93 = r#"PROJCS["RGF93_Lambert_93",GEOGCS["GCS_RGF_1993",DATUM["D_RGF_1993",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Lambert_Conformal_Conic"],PARAMETER["False_Easting",700000.0],PARAMETER["False_Northing",6600000.0],PARAMETER["Central_Meridian",3.0],PARAMETER["Standard_Parallel_1",44.0],PARAMETER["Standard_Parallel_2",49.0],PARAMETER["Latitude_Of_Origin",46.5],UNIT["Meter",1.0]]"#;
    assert_eq!(GridCrs::from_prj(l93), Some(GridCrs::Lambert93));
    let wgs = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
    assert_eq!(GridCrs::from_prj(wgs), Some(GridCrs::Wgs84));
    let utm = r#"PROJCS["WGS_1984_UTM_Zone_31N",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984"]],PROJECTION["Transverse_Mercator"]]"#;
    assert_eq!(GridCrs::from_prj(utm), None);
}

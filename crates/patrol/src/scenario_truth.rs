//! What a vigie-sim scenario file says is true on the ground (home, terrain grid, wind, the
//! fires), read leniently from its TOML — only these keys; the simulator owns the format and
//! validates the rest. For scoring hot spots against the truth and for tests and benchmarks.

use flight_rules::LatLon;
use serde::Serialize;
use toml::Value;

use crate::terrain::{ElevationGrid, TerrainError};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimHotspot {
    pub pos: LatLon,
    pub temp_c: f64,
    pub radius_m: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SimTruth {
    pub name: String,
    pub home: LatLon,
    /// `[home] ground_amsl_m` as declared (the simulator's vertical origin).
    pub home_amsl_m: f64,
    pub terrain: Option<ElevationGrid>,
    pub wind_from_deg: Option<f64>,
    pub wind_kmh: Option<f64>,
    pub gust_kmh: Option<f64>,
    pub hotspots: Vec<SimHotspot>,
}

fn bad(file: &str, field: &str, problem: &str) -> TerrainError {
    TerrainError::new(file, format!("field `{field}`"), problem)
}

fn num(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Float(f) => Some(*f),
        Value::Integer(i) => Some(*i as f64),
        _ => None,
    }
}

impl SimTruth {
    /// The ground at home: the terrain grid's value there when the scenario has one (the
    /// simulator sets the vehicle down on its terrain), else the declared `[home]` elevation.
    pub fn home_ground_amsl_m(&self) -> f64 {
        self.terrain
            .as_ref()
            .and_then(|g| g.elevation_m(self.home))
            .unwrap_or(self.home_amsl_m)
    }
}

/// Read a scenario's truth. `file` names it in errors.
pub fn parse_sim_truth(text: &str, file: &str) -> Result<SimTruth, TerrainError> {
    let root: Value = toml::from_str(text).map_err(|e| {
        TerrainError::new(file, "syntax", e.to_string().trim_end().replace('\n', " "))
    })?;
    let name = root
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let home = root
        .get("home")
        .ok_or_else(|| bad(file, "home", "missing"))?;
    let lat =
        num(home.get("lat")).ok_or_else(|| bad(file, "home.lat", "missing or not a number"))?;
    let lon =
        num(home.get("lon")).ok_or_else(|| bad(file, "home.lon", "missing or not a number"))?;
    let home_amsl_m = num(home.get("ground_amsl_m"))
        .ok_or_else(|| bad(file, "home.ground_amsl_m", "missing or not a number"))?;
    let terrain = match root.get("terrain") {
        None => None,
        Some(t) => {
            let olat = num(t.get("origin_lat"))
                .ok_or_else(|| bad(file, "terrain.origin_lat", "missing"))?;
            let olon = num(t.get("origin_lon"))
                .ok_or_else(|| bad(file, "terrain.origin_lon", "missing"))?;
            let spacing =
                num(t.get("spacing_m")).ok_or_else(|| bad(file, "terrain.spacing_m", "missing"))?;
            let rows: Vec<Vec<f64>> = t
                .get("rows")
                .and_then(Value::as_array)
                .ok_or_else(|| bad(file, "terrain.rows", "missing list of rows"))?
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    r.as_array()
                        .and_then(|a| a.iter().map(|v| num(Some(v))).collect::<Option<Vec<f64>>>())
                        .ok_or_else(|| {
                            bad(
                                file,
                                &format!("terrain.rows[{i}]"),
                                "a row is a list of numbers",
                            )
                        })
                })
                .collect::<Result<_, _>>()?;
            Some(ElevationGrid::from_rows_south_first(
                file,
                LatLon::new(olat, olon),
                spacing,
                &rows,
            )?)
        }
    };
    let wind = root.get("wind");
    let mut hotspots = Vec::new();
    for (i, h) in root
        .get("hotspots")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let f = |k: &str| format!("hotspots[{i}].{k}");
        let pos = LatLon::new(
            num(h.get("lat")).ok_or_else(|| bad(file, &f("lat"), "missing"))?,
            num(h.get("lon")).ok_or_else(|| bad(file, &f("lon"), "missing"))?,
        );
        hotspots.push(SimHotspot {
            pos,
            temp_c: num(h.get("temp_c")).ok_or_else(|| bad(file, &f("temp_c"), "missing"))?,
            radius_m: num(h.get("radius_m")).ok_or_else(|| bad(file, &f("radius_m"), "missing"))?,
        });
    }
    Ok(SimTruth {
        name,
        home: LatLon::new(lat, lon),
        home_amsl_m,
        terrain,
        wind_from_deg: num(wind.and_then(|w| w.get("from_deg"))),
        wind_kmh: num(wind.and_then(|w| w.get("speed_kmh"))),
        gust_kmh: num(wind.and_then(|w| w.get("gust_kmh"))),
        hotspots,
    })
}

//! Scenario files (TOML): home, terrain, vehicles, wind over time, faults over time, a preloaded
//! mission and thermal hotspots. Parsed into raw structs, then validated once into [`Scenario`];
//! every error names the file, the line and the field.

use std::path::Path;

use serde::Deserialize;

use crate::faults::{Direction, Fault};
use crate::geo::LatLon;
use crate::params::default_table;
use crate::physics::WindSetting;

/// The scenarios shipped in `sim/scenarios/`, embedded so `--scenario NAME` works anywhere.
pub const BUILTIN: &[(&str, &str)] = &[
    ("istres-calm", include_str!("../scenarios/istres-calm.toml")),
    (
        "istres-mistral",
        include_str!("../scenarios/istres-mistral.toml"),
    ),
    (
        "air-base-approach",
        include_str!("../scenarios/air-base-approach.toml"),
    ),
    (
        "forest-patrol",
        include_str!("../scenarios/forest-patrol.toml"),
    ),
    ("link-loss", include_str!("../scenarios/link-loss.toml")),
    (
        "night-patrol-gps-loss",
        include_str!("../scenarios/night-patrol-gps-loss.toml"),
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("{file}: cannot read the scenario: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}:{line}:{column}: field `{field}`: {message}")]
    Invalid {
        file: String,
        line: usize,
        column: usize,
        field: String,
        message: String,
    },
    #[error("unknown scenario `{name}`: give a path to a .toml file or one of: {known}")]
    UnknownName { name: String, known: String },
}

// ---------- raw (as written) ----------

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Option<String>,
    description: Option<String>,
    seed: Option<u64>,
    home: RawHome,
    terrain: Option<RawTerrain>,
    #[serde(default)]
    vehicles: RawVehicles,
    #[serde(default)]
    wind: RawWind,
    #[serde(default)]
    params: toml::Table,
    #[serde(default)]
    faults: Vec<RawFault>,
    #[serde(default)]
    mission: Vec<RawItem>,
    #[serde(default)]
    hotspots: Vec<RawHotspot>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawHome {
    lat: f64,
    lon: f64,
    ground_amsl_m: f64,
    #[serde(default)]
    heading_deg: f64,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawTerrain {
    origin_lat: f64,
    origin_lon: f64,
    spacing_m: f64,
    /// Elevations AMSL, row 0 is the southern row, column 0 the western column.
    rows: Vec<Vec<f64>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields, default)]
struct RawVehicles {
    count: u8,
    spacing_m: f64,
    battery_mah: f64,
    cells: u8,
    mass_kg: f64,
    drag_k: f64,
    hover_current_a: f64,
    ekf_settle_s: f64,
    camera_heartbeat: bool,
}

impl Default for RawVehicles {
    fn default() -> Self {
        Self {
            count: 1,
            spacing_m: 5.0,
            battery_mah: 5000.0,
            cells: 4,
            mass_kg: 1.6,
            drag_k: 0.014,
            hover_current_a: 13.0,
            ekf_settle_s: crate::ekf::DEFAULT_SETTLE_S,
            camera_heartbeat: false,
        }
    }
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields, default)]
struct RawWind {
    from_deg: f64,
    speed_kmh: f64,
    gust_kmh: Option<f64>,
    turbulence: Option<f64>,
    shear: Option<bool>,
    change: Vec<RawWindChange>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawWindChange {
    at_s: f64,
    from_deg: f64,
    speed_kmh: f64,
    gust_kmh: Option<f64>,
    #[serde(default)]
    ramp_s: f64,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawFault {
    at_s: f64,
    kind: String,
    duration_s: Option<f64>,
    vehicle: Option<u8>,
    percent: Option<f64>,
    direction: Option<String>,
    ms: Option<f64>,
    kmh: Option<f64>,
    from_deg: Option<f64>,
    gust_kmh: Option<f64>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawItem {
    cmd: String,
    lat: Option<f64>,
    lon: Option<f64>,
    alt_m: Option<f64>,
    #[serde(default)]
    param1: f64,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawHotspot {
    lat: f64,
    lon: f64,
    temp_c: f64,
    #[serde(default = "default_hotspot_radius")]
    radius_m: f64,
}

fn default_hotspot_radius() -> f64 {
    10.0
}

// ---------- validated ----------

#[derive(Clone, Debug)]
pub enum Terrain {
    Flat {
        amsl_m: f64,
    },
    Grid {
        origin: LatLon,
        spacing_m: f64,
        rows: Vec<Vec<f64>>,
    },
}

impl Terrain {
    /// Ground elevation AMSL at a point, bilinear inside the grid, clamped at its edges.
    pub fn elevation_m(&self, p: LatLon) -> f64 {
        match self {
            Terrain::Flat { amsl_m } => *amsl_m,
            Terrain::Grid {
                origin,
                spacing_m,
                rows,
            } => {
                let (n, e) = crate::geo::LocalFrame::new(*origin).to_ne(p);
                let nrows = rows.len();
                let ncols = rows.first().map_or(0, Vec::len);
                if nrows == 0 || ncols == 0 {
                    return 0.0;
                }
                let fy = (n / spacing_m).clamp(0.0, (nrows - 1) as f64);
                let fx = (e / spacing_m).clamp(0.0, (ncols - 1) as f64);
                let (y0, x0) = (fy.floor() as usize, fx.floor() as usize);
                let (y1, x1) = ((y0 + 1).min(nrows - 1), (x0 + 1).min(ncols - 1));
                let (ty, tx) = (fy - y0 as f64, fx - x0 as f64);
                let at = |y: usize, x: usize| rows[y][x];
                let south = at(y0, x0) * (1.0 - tx) + at(y0, x1) * tx;
                let north = at(y1, x0) * (1.0 - tx) + at(y1, x1) * tx;
                south * (1.0 - ty) + north * ty
            }
        }
    }
}

#[derive(Clone, Debug)]
pub struct VehicleSpec {
    pub count: u8,
    pub spacing_m: f64,
    pub battery_mah: f64,
    pub cells: u8,
    pub mass_kg: f64,
    pub drag_k_per_m: f64,
    pub hover_current_a: f64,
    /// The estimator's settling windows (gyro consistency, GPS good before the EKF uses it).
    pub ekf_settle_s: f64,
    /// The camera component sends its own HEARTBEAT (compid 100).
    pub camera_heartbeat: bool,
}

#[derive(Clone, Debug)]
pub struct WindChange {
    pub at_s: f64,
    pub ramp_s: f64,
    pub setting: WindSetting,
}

#[derive(Clone, Debug)]
pub struct FaultEvent {
    pub at_s: f64,
    /// Sysid addressed, or None for all vehicles.
    pub vehicle: Option<u8>,
    pub fault: Fault,
    /// When set, the fault is undone after this long.
    pub duration_s: Option<f64>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ItemKind {
    Takeoff,
    Waypoint,
    LoiterTime,
    Land,
    Rtl,
    Roi,
}

#[derive(Clone, Debug)]
pub struct PlannedItem {
    pub kind: ItemKind,
    pub at: LatLon,
    pub alt_rel_m: f64,
    pub param1: f64,
}

#[derive(Clone, Debug)]
pub struct Hotspot {
    pub at: LatLon,
    pub temp_c: f64,
    pub radius_m: f64,
}

#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub seed: u64,
    pub home: LatLon,
    pub ground_amsl_m: f64,
    pub heading_deg: f64,
    pub terrain: Terrain,
    pub vehicles: VehicleSpec,
    pub wind: WindSetting,
    pub wind_shear: bool,
    pub wind_changes: Vec<WindChange>,
    pub params: Vec<(String, f64)>,
    pub faults: Vec<FaultEvent>,
    pub mission: Vec<PlannedItem>,
    pub hotspots: Vec<Hotspot>,
}

impl Scenario {
    /// The default when no scenario is given: Istres town centre, calm.
    pub fn default_istres() -> Scenario {
        // The embedded file is tested to parse; fall back to a literal only if that ever broke.
        load_builtin("istres-calm").unwrap_or_else(|_| Scenario {
            name: "istres-calm".into(),
            description: String::new(),
            seed: 1,
            home: LatLon::new(43.5150, 4.9890),
            ground_amsl_m: 20.0,
            heading_deg: 0.0,
            terrain: Terrain::Flat { amsl_m: 20.0 },
            vehicles: VehicleSpec {
                count: 1,
                spacing_m: 5.0,
                battery_mah: 5000.0,
                cells: 4,
                mass_kg: 1.6,
                drag_k_per_m: 0.014,
                hover_current_a: 13.0,
                ekf_settle_s: crate::ekf::DEFAULT_SETTLE_S,
                camera_heartbeat: false,
            },
            wind: WindSetting::CALM,
            wind_shear: true,
            wind_changes: vec![],
            params: vec![],
            faults: vec![],
            mission: vec![],
            hotspots: vec![],
        })
    }

    /// The mean wind setting at scenario time `t_s` (changes ramp linearly).
    pub fn wind_at(&self, t_s: f64) -> WindSetting {
        let mut current = self.wind;
        for ch in &self.wind_changes {
            if t_s < ch.at_s {
                break;
            }
            let k = if ch.ramp_s > 0.0 {
                ((t_s - ch.at_s) / ch.ramp_s).clamp(0.0, 1.0)
            } else {
                1.0
            };
            let lerp = |a: f64, b: f64| a + (b - a) * k;
            let mut d = ch.setting.from_deg - current.from_deg;
            d = (d + 540.0).rem_euclid(360.0) - 180.0;
            current = WindSetting {
                from_deg: crate::geo::wrap_360(current.from_deg + d * k),
                mean_mps: lerp(current.mean_mps, ch.setting.mean_mps),
                gust_mps: lerp(current.gust_mps, ch.setting.gust_mps),
                turbulence: lerp(current.turbulence, ch.setting.turbulence),
            };
        }
        current
    }
}

/// Loads a scenario by built-in name or path.
pub fn load(name_or_path: &str) -> Result<Scenario, ScenarioError> {
    if BUILTIN.iter().any(|(n, _)| *n == name_or_path) {
        return load_builtin(name_or_path);
    }
    let path = Path::new(name_or_path);
    if !path.exists() && !name_or_path.ends_with(".toml") && !name_or_path.contains('/') {
        return Err(ScenarioError::UnknownName {
            name: name_or_path.to_string(),
            known: BUILTIN
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
        file: name_or_path.to_string(),
        source,
    })?;
    parse(&text, name_or_path)
}

pub fn load_builtin(name: &str) -> Result<Scenario, ScenarioError> {
    let (_, text) =
        BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| ScenarioError::UnknownName {
                name: name.to_string(),
                known: BUILTIN
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
    parse(text, &format!("sim/scenarios/{name}.toml"))
}

/// 1-based line and column of a byte offset.
fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rfind('\n').map_or(offset, |i| offset - i - 1) + 1;
    (line, col)
}

/// Finds the line of `key` inside table `table` (the n-th occurrence of an array table).
/// Falls back to the table header, then to line 1.
fn locate(src: &str, table: &str, nth: usize, key: &str) -> (usize, usize) {
    let mut in_table = table.is_empty();
    let mut seen = 0usize;
    let mut header_line = None;
    for (i, raw) in src.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with('[') {
            let name = line
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("")
                .trim();
            if name == table {
                in_table = seen == nth;
                if in_table {
                    header_line = Some(i + 1);
                }
                seen += 1;
            } else {
                in_table = false;
            }
            continue;
        }
        if in_table {
            let k = line.split('=').next().unwrap_or("").trim();
            if !key.is_empty() && k == key && line.contains('=') {
                let col = raw.find(key).map_or(1, |c| c + 1);
                return (i + 1, col);
            }
        }
    }
    (header_line.unwrap_or(1), 1)
}

/// Guesses the dotted field name for a TOML parse error at `offset`: the key on that line
/// inside the nearest table header above it.
fn field_at(src: &str, offset: usize, message: &str) -> String {
    // serde names the field itself for missing or unknown fields.
    for marker in ["missing field `", "unknown field `"] {
        if let Some(i) = message.find(marker) {
            let rest = &message[i + marker.len()..];
            if let Some(end) = rest.find('`') {
                let (line, _) = line_col(src, offset);
                let table = table_above(src, line);
                return if table.is_empty() {
                    rest[..end].to_string()
                } else {
                    format!("{table}.{}", &rest[..end])
                };
            }
        }
    }
    let (line, _) = line_col(src, offset);
    let text = src.lines().nth(line.saturating_sub(1)).unwrap_or("");
    let key = text
        .split('=')
        .next()
        .unwrap_or("")
        .trim()
        .trim_matches(['[', ']'])
        .trim();
    let table = table_above(src, line);
    match (
        table.is_empty(),
        key.is_empty() || text.trim_start().starts_with('['),
    ) {
        (_, true) => {
            if table.is_empty() {
                "(top level)".into()
            } else {
                table
            }
        }
        (true, false) => key.to_string(),
        (false, false) => format!("{table}.{key}"),
    }
}

fn table_above(src: &str, line: usize) -> String {
    src.lines()
        .take(line)
        .filter(|l| l.trim_start().starts_with('['))
        .last()
        .map(|l| l.trim().trim_matches(['[', ']']).trim().to_string())
        .unwrap_or_default()
}

/// Parses and validates a scenario text; `file` names it in errors.
pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
    let raw: RawScenario = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        let (line, column) = line_col(text, offset);
        let message = e.message().trim().to_string();
        ScenarioError::Invalid {
            file: file.to_string(),
            line,
            column,
            field: field_at(text, offset, &message),
            message,
        }
    })?;
    let err = |table: &str, nth: usize, key: &str, message: String| {
        let (line, column) = locate(text, table, nth, key);
        let field = match (table.is_empty(), table) {
            (true, _) => key.to_string(),
            (false, "faults" | "mission" | "hotspots" | "wind.change") => {
                format!("{table}[{nth}].{key}")
            }
            _ => format!("{table}.{key}"),
        };
        ScenarioError::Invalid {
            file: file.to_string(),
            line,
            column,
            field,
            message,
        }
    };
    let check_lat = |v: f64, table: &str, nth: usize, key: &str| {
        if v.is_finite() && (-90.0..=90.0).contains(&v) {
            Ok(v)
        } else {
            Err(err(
                table,
                nth,
                key,
                format!("latitude must be within -90..90 degrees, got {v}"),
            ))
        }
    };
    let check_lon = |v: f64, table: &str, nth: usize, key: &str| {
        if v.is_finite() && (-180.0..=180.0).contains(&v) {
            Ok(v)
        } else {
            Err(err(
                table,
                nth,
                key,
                format!("longitude must be within -180..180 degrees, got {v}"),
            ))
        }
    };
    let non_neg = |v: f64, table: &str, nth: usize, key: &str, unit: &str| {
        if v.is_finite() && v >= 0.0 {
            Ok(v)
        } else {
            Err(err(
                table,
                nth,
                key,
                format!("must be a positive number of {unit}, got {v}"),
            ))
        }
    };

    let home = LatLon::new(
        check_lat(raw.home.lat, "home", 0, "lat")?,
        check_lon(raw.home.lon, "home", 0, "lon")?,
    );
    if !(-500.0..=9000.0).contains(&raw.home.ground_amsl_m) {
        return Err(err(
            "home",
            0,
            "ground_amsl_m",
            format!(
                "ground elevation must be within -500..9000 m, got {}",
                raw.home.ground_amsl_m
            ),
        ));
    }
    let terrain = match raw.terrain {
        None => Terrain::Flat {
            amsl_m: raw.home.ground_amsl_m,
        },
        Some(t) => {
            let origin = LatLon::new(
                check_lat(t.origin_lat, "terrain", 0, "origin_lat")?,
                check_lon(t.origin_lon, "terrain", 0, "origin_lon")?,
            );
            if t.spacing_m.is_nan() || t.spacing_m <= 0.0 {
                return Err(err(
                    "terrain",
                    0,
                    "spacing_m",
                    "grid spacing must be > 0 m".into(),
                ));
            }
            let width = t.rows.first().map_or(0, Vec::len);
            if width == 0 || t.rows.iter().any(|r| r.len() != width) {
                return Err(err(
                    "terrain",
                    0,
                    "rows",
                    "rows must be non-empty and all the same length".into(),
                ));
            }
            Terrain::Grid {
                origin,
                spacing_m: t.spacing_m,
                rows: t.rows,
            }
        }
    };

    let v = raw.vehicles;
    if v.count == 0 || v.count > 64 {
        return Err(err(
            "vehicles",
            0,
            "count",
            format!("must be within 1..64, got {}", v.count),
        ));
    }
    if !(1..=14).contains(&v.cells) {
        return Err(err(
            "vehicles",
            0,
            "cells",
            format!("a LiPo pack has 1..14 cells, got {}", v.cells),
        ));
    }
    if !(0.0..=600.0).contains(&v.ekf_settle_s) {
        return Err(err(
            "vehicles",
            0,
            "ekf_settle_s",
            format!(
                "must be within 0..600 seconds (ArduPilot takes about 10), got {}",
                v.ekf_settle_s
            ),
        ));
    }
    let vehicles = VehicleSpec {
        count: v.count,
        spacing_m: non_neg(v.spacing_m, "vehicles", 0, "spacing_m", "metres")?,
        battery_mah: non_neg(v.battery_mah, "vehicles", 0, "battery_mah", "mAh")?.max(1.0),
        cells: v.cells,
        mass_kg: non_neg(v.mass_kg, "vehicles", 0, "mass_kg", "kg")?.max(0.1),
        drag_k_per_m: non_neg(v.drag_k, "vehicles", 0, "drag_k", "1/m")?,
        hover_current_a: non_neg(v.hover_current_a, "vehicles", 0, "hover_current_a", "A")?,
        ekf_settle_s: v.ekf_settle_s,
        camera_heartbeat: v.camera_heartbeat,
    };

    let kmh = 1.0 / 3.6;
    let w = raw.wind;
    let mean = non_neg(w.speed_kmh, "wind", 0, "speed_kmh", "km/h")?;
    let gust = non_neg(w.gust_kmh.unwrap_or(mean), "wind", 0, "gust_kmh", "km/h")?;
    if gust < mean {
        return Err(err(
            "wind",
            0,
            "gust_kmh",
            format!("gusts ({gust} km/h) cannot be below the mean wind ({mean} km/h)"),
        ));
    }
    let turbulence = w.turbulence.unwrap_or(0.1);
    if !(0.0..=1.0).contains(&turbulence) {
        return Err(err(
            "wind",
            0,
            "turbulence",
            format!("intensity is a fraction within 0..1, got {turbulence}"),
        ));
    }
    let wind = WindSetting {
        from_deg: crate::geo::wrap_360(w.from_deg),
        mean_mps: mean * kmh,
        gust_mps: gust * kmh,
        turbulence,
    };
    let mut wind_changes = Vec::new();
    let mut last_at = f64::NEG_INFINITY;
    for (i, c) in w.change.iter().enumerate() {
        let at_s = non_neg(c.at_s, "wind.change", i, "at_s", "seconds")?;
        if at_s < last_at {
            return Err(err(
                "wind.change",
                i,
                "at_s",
                "wind changes must be in time order".into(),
            ));
        }
        last_at = at_s;
        let m = non_neg(c.speed_kmh, "wind.change", i, "speed_kmh", "km/h")?;
        let g = non_neg(
            c.gust_kmh.unwrap_or(m),
            "wind.change",
            i,
            "gust_kmh",
            "km/h",
        )?
        .max(m);
        wind_changes.push(WindChange {
            at_s,
            ramp_s: non_neg(c.ramp_s, "wind.change", i, "ramp_s", "seconds")?,
            setting: WindSetting {
                from_deg: crate::geo::wrap_360(c.from_deg),
                mean_mps: m * kmh,
                gust_mps: g * kmh,
                turbulence,
            },
        });
    }

    let table = default_table();
    let mut params = Vec::new();
    for (name, value) in &raw.params {
        let v = match value {
            toml::Value::Integer(i) => *i as f64,
            toml::Value::Float(f) => *f,
            toml::Value::Boolean(b) => f64::from(u8::from(*b)),
            _ => {
                return Err(err(
                    "params",
                    0,
                    name,
                    "a parameter value must be a number".into(),
                ));
            }
        };
        if table.get(name).is_none() {
            return Err(err(
                "params",
                0,
                name,
                format!(
                    "`{name}` is not an ArduCopter parameter this simulator knows (check the spelling; names are upper case)"
                ),
            ));
        }
        params.push((name.clone(), v));
    }

    let mut faults = Vec::new();
    for (i, f) in raw.faults.iter().enumerate() {
        let at_s = non_neg(f.at_s, "faults", i, "at_s", "seconds")?;
        let need = |v: Option<f64>, key: &str| {
            v.ok_or_else(|| {
                err(
                    "faults",
                    i,
                    key,
                    format!("fault `{}` needs `{key}`", f.kind),
                )
            })
        };
        let percent = |v: Option<f64>| -> Result<f64, ScenarioError> {
            let p = need(v, "percent")?;
            if (0.0..=100.0).contains(&p) {
                Ok(p)
            } else {
                Err(err(
                    "faults",
                    i,
                    "percent",
                    format!("must be within 0..100, got {p}"),
                ))
            }
        };
        let fault = match f.kind.as_str() {
            "link_loss" => {
                let direction = match &f.direction {
                    None => Direction::Both,
                    Some(d) => Direction::parse(d).ok_or_else(|| {
                        err(
                            "faults",
                            i,
                            "direction",
                            format!("`{d}`: expected up, down or both"),
                        )
                    })?,
                };
                Fault::LinkLoss {
                    direction,
                    percent: if f.percent.is_some() {
                        percent(f.percent)?
                    } else {
                        100.0
                    },
                }
            }
            "latency" => Fault::Latency {
                ms: non_neg(need(f.ms, "ms")?, "faults", i, "ms", "milliseconds")?,
            },
            "gps_loss" => Fault::GpsLoss,
            "battery_drop" => Fault::BatteryDrop {
                percent: percent(f.percent)?,
            },
            "gust" => Fault::Gust {
                peak_kmh: non_neg(need(f.kmh, "kmh")?, "faults", i, "kmh", "km/h")?,
                duration_s: f.duration_s.unwrap_or(5.0),
            },
            "wind" => {
                let s = non_neg(need(f.kmh, "kmh")?, "faults", i, "kmh", "km/h")?;
                Fault::Wind {
                    from_deg: need(f.from_deg, "from_deg")?,
                    speed_kmh: s,
                    gust_kmh: f.gust_kmh.unwrap_or(s).max(s),
                }
            }
            "motor_weak" => Fault::MotorWeak {
                percent: percent(f.percent)?,
            },
            "video_loss" => Fault::VideoLoss,
            other => {
                return Err(err(
                    "faults",
                    i,
                    "kind",
                    format!(
                        "unknown fault `{other}`: expected one of link_loss, latency, gps_loss, battery_drop, gust, wind, motor_weak, video_loss"
                    ),
                ));
            }
        };
        if let Some(vh) = f.vehicle
            && (vh == 0 || vh > vehicles.count)
        {
            return Err(err(
                "faults",
                i,
                "vehicle",
                format!("vehicle {vh} does not exist (1..{})", vehicles.count),
            ));
        }
        let duration_s = match (&fault, f.duration_s) {
            (Fault::Gust { .. }, _) => None,
            (_, Some(d)) => Some(non_neg(d, "faults", i, "duration_s", "seconds")?),
            (_, None) => None,
        };
        faults.push(FaultEvent {
            at_s,
            vehicle: f.vehicle,
            fault,
            duration_s,
        });
    }

    let mut mission = Vec::new();
    for (i, it) in raw.mission.iter().enumerate() {
        let kind = match it.cmd.as_str() {
            "takeoff" => ItemKind::Takeoff,
            "waypoint" => ItemKind::Waypoint,
            "loiter_time" => ItemKind::LoiterTime,
            "land" => ItemKind::Land,
            "rtl" => ItemKind::Rtl,
            "roi" => ItemKind::Roi,
            other => {
                return Err(err(
                    "mission",
                    i,
                    "cmd",
                    format!(
                        "unknown item `{other}`: expected takeoff, waypoint, loiter_time, land, rtl or roi"
                    ),
                ));
            }
        };
        let needs_pos = matches!(
            kind,
            ItemKind::Waypoint | ItemKind::LoiterTime | ItemKind::Roi
        );
        let lat = match it.lat {
            Some(v) => check_lat(v, "mission", i, "lat")?,
            None if needs_pos => {
                return Err(err(
                    "mission",
                    i,
                    "lat",
                    format!("a `{}` item needs lat and lon", it.cmd),
                ));
            }
            None => 0.0,
        };
        let lon = match it.lon {
            Some(v) => check_lon(v, "mission", i, "lon")?,
            None if needs_pos => {
                return Err(err(
                    "mission",
                    i,
                    "lon",
                    format!("a `{}` item needs lat and lon", it.cmd),
                ));
            }
            None => 0.0,
        };
        let alt = it.alt_m.unwrap_or(0.0);
        if !(-100.0..=1000.0).contains(&alt) {
            return Err(err(
                "mission",
                i,
                "alt_m",
                format!("altitude above home must be within -100..1000 m, got {alt}"),
            ));
        }
        mission.push(PlannedItem {
            kind,
            at: LatLon::new(lat, lon),
            alt_rel_m: alt,
            param1: it.param1,
        });
    }

    let mut hotspots = Vec::new();
    for (i, h) in raw.hotspots.iter().enumerate() {
        hotspots.push(Hotspot {
            at: LatLon::new(
                check_lat(h.lat, "hotspots", i, "lat")?,
                check_lon(h.lon, "hotspots", i, "lon")?,
            ),
            temp_c: h.temp_c,
            radius_m: non_neg(h.radius_m, "hotspots", i, "radius_m", "metres")?,
        });
    }

    Ok(Scenario {
        name: raw.name.unwrap_or_else(|| {
            file.rsplit('/')
                .next()
                .unwrap_or(file)
                .trim_end_matches(".toml")
                .to_string()
        }),
        description: raw.description.unwrap_or_default(),
        seed: raw.seed.unwrap_or(1),
        home,
        ground_amsl_m: raw.home.ground_amsl_m,
        heading_deg: raw.home.heading_deg,
        terrain,
        vehicles,
        wind,
        wind_shear: w.shear.unwrap_or(true),
        wind_changes,
        params,
        faults,
        mission,
        hotspots,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_scenario_loads() {
        for (name, _) in BUILTIN {
            let s = load_builtin(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(&s.name, name);
        }
        let istres = load_builtin("istres-calm").unwrap();
        assert!(
            (istres.home.lat_deg - 43.5150).abs() < 1e-9
                && (istres.home.lon_deg - 4.9890).abs() < 1e-9
        );
        assert_eq!(istres.ground_amsl_m, 20.0);
        let mistral = load_builtin("istres-mistral").unwrap();
        assert!((mistral.wind.from_deg - 330.0).abs() < 1e-9);
        assert!(mistral.wind.mean_mps * 3.6 >= 40.0 && mistral.wind.gust_mps * 3.6 >= 90.0);
        assert!(!load_builtin("forest-patrol").unwrap().hotspots.is_empty());
        assert!(
            !load_builtin("air-base-approach")
                .unwrap()
                .mission
                .is_empty()
        );
        assert!(!load_builtin("link-loss").unwrap().faults.is_empty());
        let night = load_builtin("night-patrol-gps-loss").unwrap();
        assert_eq!(night.home, istres.home, "the same home as istres-calm");
        assert!(night.wind.mean_mps * 3.6 <= 15.0, "light wind");
        assert!(!night.mission.is_empty());
        assert!(matches!(
            night.faults.as_slice(),
            [FaultEvent {
                fault: Fault::GpsLoss,
                duration_s: Some(d),
                ..
            }] if (*d - 20.0).abs() < 1e-9
        ));
        let param = |n: &str| night.params.iter().find(|(k, _)| k == n).map(|p| p.1);
        assert_eq!(param("FS_GCS_ENABLE"), Some(1.0));
        assert_eq!(param("FS_EKF_ACTION"), Some(1.0));
        assert_eq!(param("FENCE_ALT_MAX"), Some(120.0));
    }

    #[test]
    fn the_estimator_settle_time_is_a_vehicles_key() {
        let base = "name = \"x\"\n[home]\nlat = 43.5\nlon = 4.9\nground_amsl_m = 20\n";
        let s = parse(
            &format!("{base}[vehicles]\nekf_settle_s = 2.5\ncamera_heartbeat = true\n"),
            "x.toml",
        )
        .unwrap();
        assert_eq!(s.vehicles.ekf_settle_s, 2.5);
        assert!(s.vehicles.camera_heartbeat);
        let d = parse(base, "x.toml").unwrap();
        assert_eq!(d.vehicles.ekf_settle_s, crate::ekf::DEFAULT_SETTLE_S);
        assert!(!d.vehicles.camera_heartbeat);
        let (line, field, msg) = invalid(&format!("{base}[vehicles]\nekf_settle_s = -1\n"));
        assert_eq!((line, field.as_str()), (7, "vehicles.ekf_settle_s"));
        assert!(msg.contains("0..600"), "{msg}");
    }

    fn invalid(text: &str) -> (usize, String, String) {
        match parse(text, "bad.toml") {
            Err(ScenarioError::Invalid {
                line,
                field,
                message,
                file,
                ..
            }) => {
                assert_eq!(file, "bad.toml");
                (line, field, message)
            }
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let base = "name = \"x\"\n[home]\nlat = 43.5\nlon = 4.9\nground_amsl_m = 20\n";
        // Type error on a line.
        let (line, field, _) =
            invalid("name = \"x\"\n[home]\nlat = \"north\"\nlon = 4.9\nground_amsl_m = 20\n");
        assert_eq!((line, field.as_str()), (3, "home.lat"));
        // Range error found after parsing.
        let (line, field, msg) =
            invalid("name = \"x\"\n[home]\nlat = 143.5\nlon = 4.9\nground_amsl_m = 20\n");
        assert_eq!((line, field.as_str()), (3, "home.lat"));
        assert!(msg.contains("-90..90"));
        // Unknown key (typo).
        let (line, field, _) = invalid(&format!("{base}[wind]\nfrom_deg = 330\nspeed_khm = 50\n"));
        assert_eq!((line, field.as_str()), (8, "wind.speed_khm"));
        // A bad fault kind in the second [[faults]].
        let (line, field, _) = invalid(&format!(
            "{base}[[faults]]\nat_s = 1\nkind = \"gps_loss\"\n[[faults]]\nat_s = 2\nkind = \"alien\"\n"
        ));
        assert_eq!((line, field.as_str()), (11, "faults[1].kind"));
        // An unknown parameter.
        let (line, field, _) = invalid(&format!("{base}[params]\nFENCE_ENABLED = 1\n"));
        assert_eq!((line, field.as_str()), (7, "params.FENCE_ENABLED"));
        // Missing required field.
        let (_, field, msg) = invalid("name = \"x\"\n[home]\nlat = 43.5\nlon = 4.9\n");
        assert!(field.ends_with("ground_amsl_m"), "{field} {msg}");
    }

    #[test]
    fn wind_profile_ramps() {
        let s = load_builtin("istres-mistral").unwrap();
        let first = s.wind_at(0.0);
        let late = s.wind_at(1e6);
        assert!(late.mean_mps >= first.mean_mps);
    }

    #[test]
    fn terrain_grid_interpolates() {
        let t = Terrain::Grid {
            origin: LatLon::new(43.0, 5.0),
            spacing_m: 100.0,
            rows: vec![vec![0.0, 100.0], vec![100.0, 200.0]],
        };
        let f = crate::geo::LocalFrame::new(LatLon::new(43.0, 5.0));
        let mid = f.to_latlon(50.0, 50.0);
        assert!((t.elevation_m(mid) - 100.0).abs() < 0.5);
        assert_eq!(t.elevation_m(f.to_latlon(-1000.0, -1000.0)), 0.0);
    }
}

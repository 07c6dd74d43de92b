//! Elevation grids: ESRI ASCII (`.asc`, as IGN's RGE ALTI and SRTM exports give them), GeoTIFF
//! tiles (single band, with their geotransform), and the simulator's scenario grid; bilinear
//! lookup. Files are parsed from bytes or text; the caller reads them and names them for errors.
//!
//! A point outside the grid, or next to a no-data cell, has **no** elevation (`None`): the
//! callers treat unknown terrain as unknown, never as flat.

mod asc;
mod geotiff;
pub mod lambert;

pub use asc::parse_esri_ascii;
pub use geotiff::parse_geotiff;

use flight_rules::LatLon;

use crate::local::LocalFrame;

/// A terrain file that cannot be used: the file, where in it (field or line) and the fix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}: {place}: {problem}")]
pub struct TerrainError {
    pub file: String,
    /// `field `ncols``, `line 7`, `tag ModelPixelScaleTag` …
    pub place: String,
    pub problem: String,
}

impl TerrainError {
    pub(crate) fn new(file: &str, place: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            file: file.to_string(),
            place: place.into(),
            problem: problem.into(),
        }
    }
}

/// The coordinate reference system of a grid's x/y.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GridCrs {
    /// Longitude (x) / latitude (y) in degrees, WGS84 (EPSG:4326; SRTM). ETRS89/RGF93
    /// geographic (EPSG:4258, 4171) agree with it to well under a metre.
    Wgs84,
    /// Lambert-93, metres (EPSG:2154; IGN RGE ALTI, BD ALTI).
    Lambert93,
    /// East (x) / north (y) metres from an origin, flat-earth with the WGS84 equatorial radius
    /// as ArduPilot and vigie-sim compute their offsets (the simulator's scenario grids).
    Local { origin: LatLon },
}

impl GridCrs {
    /// Reads the CRS of a `.prj` sidecar (ESRI WKT or OGC WKT): Lambert-93 or geographic WGS84 /
    /// RGF93 / ETRS89. Anything else is `None` (give the CRS explicitly, or reproject).
    pub fn from_prj(wkt: &str) -> Option<GridCrs> {
        let w = wkt.to_ascii_lowercase();
        let projected = w.contains("projcs") || w.contains("projcrs");
        if projected {
            let lambert = w.contains("lambert-93")
                || w.contains("lambert_93")
                || w.contains("lambert 93")
                || w.contains("\"2154\"")
                || w.contains("epsg\",2154")
                || (w.contains("lambert_conformal_conic")
                    && w.contains("44")
                    && w.contains("49")
                    && w.contains("700000")
                    && w.contains("6600000"));
            return lambert.then_some(GridCrs::Lambert93);
        }
        let geographic = w.contains("geogcs") || w.contains("geogcrs");
        let datum_ok = w.contains("wgs") || w.contains("rgf") || w.contains("etrs");
        (geographic && datum_ok).then_some(GridCrs::Wgs84)
    }

    fn to_grid(self, p: LatLon) -> (f64, f64) {
        match self {
            GridCrs::Wgs84 => (p.lon_deg, p.lat_deg),
            GridCrs::Lambert93 => lambert::forward(p.lat_deg, p.lon_deg),
            GridCrs::Local { origin } => {
                let [x, y] = LocalFrame::with_radius(origin, WGS84_A).to_xy(p);
                (x, y)
            }
        }
    }

    fn to_latlon(self, x: f64, y: f64) -> LatLon {
        match self {
            GridCrs::Wgs84 => LatLon::new(y, x),
            GridCrs::Lambert93 => {
                let (lat, lon) = lambert::inverse(x, y);
                LatLon::new(lat, lon)
            }
            GridCrs::Local { origin } => LocalFrame::with_radius(origin, WGS84_A).to_latlon([x, y]),
        }
    }

    /// Approximate metres per unit of x and y near `p`.
    fn metres_per_unit(self, p: LatLon) -> (f64, f64) {
        match self {
            GridCrs::Wgs84 => {
                let lat = flight_rules::types::EARTH_RADIUS_M.to_radians();
                (lat * p.lat_deg.to_radians().cos(), lat)
            }
            GridCrs::Lambert93 | GridCrs::Local { .. } => (1.0, 1.0),
        }
    }
}

const WGS84_A: f64 = 6_378_137.0;

/// A regular elevation grid (metres AMSL), values at cell centres (or at nodes for point grids).
#[derive(Debug, Clone, PartialEq)]
pub struct ElevationGrid {
    source: String,
    crs: GridCrs,
    ncols: usize,
    nrows: usize,
    /// x, y of the value at (column 0, row 0) — row 0 is the first stored row.
    x0: f64,
    y0: f64,
    /// Step per column and per row in CRS units (dy < 0 for north-up rasters).
    dx: f64,
    dy: f64,
    /// Row-major, NaN where there is no data.
    values: Vec<f32>,
    /// How far beyond the outermost values the grid still answers, in cells: 0.5 for cell
    /// grids (a value stands for its whole cell), 0 for point grids.
    extent_cells: f64,
    /// Vertical accuracy of the model, metres (1-sigma-ish), used in error budgets.
    pub vertical_accuracy_m: f64,
}

impl ElevationGrid {
    /// Internal constructor; validates shape and steps.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        source: &str,
        crs: GridCrs,
        ncols: usize,
        nrows: usize,
        x0: f64,
        y0: f64,
        dx: f64,
        dy: f64,
        values: Vec<f32>,
        extent_cells: f64,
    ) -> Result<Self, TerrainError> {
        if ncols == 0 || nrows == 0 {
            return Err(TerrainError::new(source, "size", "the grid has no cell"));
        }
        if values.len() != ncols * nrows {
            return Err(TerrainError::new(
                source,
                "values",
                format!("{} values for {ncols} × {nrows} cells", values.len()),
            ));
        }
        if !(dx.is_finite() && dy.is_finite() && dx != 0.0 && dy != 0.0) {
            return Err(TerrainError::new(
                source,
                "cell size",
                "must be a non-zero number",
            ));
        }
        if !(x0.is_finite() && y0.is_finite()) {
            return Err(TerrainError::new(source, "origin", "must be finite"));
        }
        if values.iter().all(|v| v.is_nan()) {
            return Err(TerrainError::new(source, "values", "every cell is no-data"));
        }
        Ok(Self {
            source: source.to_string(),
            crs,
            ncols,
            nrows,
            x0,
            y0,
            dx,
            dy,
            values,
            extent_cells,
            vertical_accuracy_m: 5.0,
        })
    }

    /// The simulator's scenario grid: nodes `spacing_m` apart, row 0 at `origin` going north,
    /// column 0 going east (vigie-sim `[terrain]`).
    pub fn from_rows_south_first(
        source: &str,
        origin: LatLon,
        spacing_m: f64,
        rows: &[Vec<f64>],
    ) -> Result<Self, TerrainError> {
        let ncols = rows.first().map_or(0, Vec::len);
        if rows.iter().any(|r| r.len() != ncols) {
            return Err(TerrainError::new(
                source,
                "field `rows`",
                "rows must all have the same length",
            ));
        }
        if !(spacing_m.is_finite() && spacing_m > 0.0) {
            return Err(TerrainError::new(
                source,
                "field `spacing_m`",
                "must be > 0 m",
            ));
        }
        let values = rows
            .iter()
            .flat_map(|r| r.iter().map(|v| *v as f32))
            .collect();
        Self::new(
            source,
            GridCrs::Local { origin },
            ncols,
            rows.len(),
            0.0,
            0.0,
            spacing_m,
            spacing_m,
            values,
            0.0,
        )
    }

    pub fn with_vertical_accuracy(mut self, m: f64) -> Self {
        self.vertical_accuracy_m = m.abs();
        self
    }

    pub fn source(&self) -> &str {
        &self.source
    }
    pub fn crs(&self) -> GridCrs {
        self.crs
    }
    pub fn size(&self) -> (usize, usize) {
        (self.ncols, self.nrows)
    }

    /// Ground distance between neighbouring values, metres (the smaller of the two axes).
    pub fn cell_size_m(&self) -> f64 {
        let c = self.center();
        let (mx, my) = self.crs.metres_per_unit(c);
        (self.dx.abs() * mx).min(self.dy.abs() * my)
    }

    /// The centre of the grid.
    pub fn center(&self) -> LatLon {
        let x = self.x0 + self.dx * (self.ncols as f64 - 1.0) / 2.0;
        let y = self.y0 + self.dy * (self.nrows as f64 - 1.0) / 2.0;
        self.crs.to_latlon(x, y)
    }

    /// Lowest and highest elevation in the grid.
    pub fn range_m(&self) -> (f64, f64) {
        self.values
            .iter()
            .filter(|v| !v.is_nan())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(f64::from(v)), hi.max(f64::from(v)))
            })
    }

    fn at(&self, col: usize, row: usize) -> Option<f64> {
        let v = *self.values.get(row * self.ncols + col)?;
        (!v.is_nan()).then_some(f64::from(v))
    }

    /// Bilinear elevation (m AMSL) at `p`; None outside the grid or next to a no-data cell.
    pub fn elevation_m(&self, p: LatLon) -> Option<f64> {
        if !p.is_valid() {
            return None;
        }
        let (x, y) = self.crs.to_grid(p);
        let fc = (x - self.x0) / self.dx;
        let fr = (y - self.y0) / self.dy;
        let (maxc, maxr) = ((self.ncols - 1) as f64, (self.nrows - 1) as f64);
        let e = self.extent_cells + 1e-9;
        if !(fc >= -e && fc <= maxc + e && fr >= -e && fr <= maxr + e) {
            return None;
        }
        // Within the outer half cell a value stands for its cell: clamp onto the outermost ones.
        let (fc, fr) = (fc.clamp(0.0, maxc), fr.clamp(0.0, maxr));
        let (c0, r0) = (fc.floor() as usize, fr.floor() as usize);
        let (c1, r1) = ((c0 + 1).min(self.ncols - 1), (r0 + 1).min(self.nrows - 1));
        let (tc, tr) = (fc - c0 as f64, fr - r0 as f64);
        let v00 = self.at(c0, r0)?;
        let v10 = self.at(c1, r0)?;
        let v01 = self.at(c0, r1)?;
        let v11 = self.at(c1, r1)?;
        let top = v00 * (1.0 - tc) + v10 * tc;
        let bottom = v01 * (1.0 - tc) + v11 * tc;
        Some(top * (1.0 - tr) + bottom * tr)
    }

    /// Lowest and highest elevation along the segment a→b, sampled at most `step_m` apart (half
    /// a cell when `step_m` is larger); None when any sample is unknown.
    pub fn profile_range_m(&self, a: LatLon, b: LatLon, step_m: f64) -> Option<(f64, f64)> {
        let step = step_m.min(self.cell_size_m() / 2.0).max(0.5);
        let n = ((a.distance_m(&b) / step).ceil() as usize).clamp(1, 100_000);
        let f = LocalFrame::new(a);
        let bb = f.to_xy(b);
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for i in 0..=n {
            let t = i as f64 / n as f64;
            let h = self.elevation_m(f.to_latlon([bb[0] * t, bb[1] * t]))?;
            lo = lo.min(h);
            hi = hi.max(h);
        }
        Some((lo, hi))
    }
}

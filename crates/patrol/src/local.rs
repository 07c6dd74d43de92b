//! A local east/north metric frame for planning. Equirectangular around an origin: linear in
//! longitude and latitude, so a straight zone edge in degrees (as GeoJSON and the rules take it)
//! stays straight in metres, and the rules' geometry and ours agree exactly.

use flight_rules::LatLon;
use flight_rules::types::EARTH_RADIUS_M;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalFrame {
    origin: LatLon,
    m_per_deg_lat: f64,
    m_per_deg_lon: f64,
}

impl LocalFrame {
    pub fn new(origin: LatLon) -> Self {
        Self::with_radius(origin, EARTH_RADIUS_M)
    }

    /// The same frame with another Earth radius (ArduPilot and vigie-sim use the WGS84
    /// equatorial radius, 6 378 137 m, for their flat-earth offsets).
    pub fn with_radius(origin: LatLon, radius_m: f64) -> Self {
        let m_per_deg_lat = radius_m * std::f64::consts::PI / 180.0;
        let m_per_deg_lon = m_per_deg_lat * origin.lat_deg.to_radians().cos().max(1e-6);
        Self {
            origin,
            m_per_deg_lat,
            m_per_deg_lon,
        }
    }

    pub fn origin(&self) -> LatLon {
        self.origin
    }

    /// [east, north] metres from the origin.
    pub fn to_xy(&self, p: LatLon) -> [f64; 2] {
        [
            (p.lon_deg - self.origin.lon_deg) * self.m_per_deg_lon,
            (p.lat_deg - self.origin.lat_deg) * self.m_per_deg_lat,
        ]
    }

    pub fn to_latlon(&self, xy: [f64; 2]) -> LatLon {
        LatLon::new(
            self.origin.lat_deg + xy[1] / self.m_per_deg_lat,
            self.origin.lon_deg + xy[0] / self.m_per_deg_lon,
        )
    }

    /// A lon/lat polygon (geo's x = lon, y = lat) in metres.
    pub fn polygon_to_xy(&self, p: &geo::Polygon<f64>) -> geo::Polygon<f64> {
        let ring = |ls: &geo::LineString<f64>| {
            geo::LineString::new(
                ls.0.iter()
                    .map(|c| {
                        let [x, y] = self.to_xy(LatLon::new(c.y, c.x));
                        geo::Coord { x, y }
                    })
                    .collect(),
            )
        };
        geo::Polygon::new(ring(p.exterior()), p.interiors().iter().map(ring).collect())
    }

    /// A polygon in metres back to lon/lat.
    pub fn polygon_to_lonlat(&self, p: &geo::Polygon<f64>) -> geo::Polygon<f64> {
        let ring = |ls: &geo::LineString<f64>| {
            geo::LineString::new(
                ls.0.iter()
                    .map(|c| self.to_latlon([c.x, c.y]).to_coord())
                    .collect(),
            )
        };
        geo::Polygon::new(ring(p.exterior()), p.interiors().iter().map(ring).collect())
    }
}

/// Vertices of a ring as [x, y] without the closing duplicate.
pub(crate) fn ring_points(ls: &geo::LineString<f64>) -> Vec<[f64; 2]> {
    let mut v: Vec<[f64; 2]> = ls.0.iter().map(|c| [c.x, c.y]).collect();
    if v.len() > 1 && v.first() == v.last() {
        v.pop();
    }
    v
}

pub(crate) fn sub(a: [f64; 2], b: [f64; 2]) -> [f64; 2] {
    [a[0] - b[0], a[1] - b[1]]
}
pub(crate) fn dot(a: [f64; 2], b: [f64; 2]) -> f64 {
    a[0] * b[0] + a[1] * b[1]
}
pub(crate) fn cross(a: [f64; 2], b: [f64; 2]) -> f64 {
    a[0] * b[1] - a[1] * b[0]
}
pub(crate) fn dist(a: [f64; 2], b: [f64; 2]) -> f64 {
    (a[0] - b[0]).hypot(a[1] - b[1])
}
pub(crate) fn lerp(a: [f64; 2], b: [f64; 2], t: f64) -> [f64; 2] {
    [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t]
}

/// Even-odd point-in-ring test.
pub(crate) fn ring_contains(ring: &[[f64; 2]], p: [f64; 2]) -> bool {
    let n = ring.len();
    if n < 3 {
        return false;
    }
    let mut inside = false;
    let mut j = n - 1;
    for i in 0..n {
        let (pi, pj) = (ring[i], ring[j]);
        if (pi[1] > p[1]) != (pj[1] > p[1]) {
            let x = pj[0] + (p[1] - pj[1]) * (pi[0] - pj[0]) / (pi[1] - pj[1]);
            if p[0] < x {
                inside = !inside;
            }
        }
        j = i;
    }
    inside
}

/// Andrew's monotone chain, counter-clockwise, no collinear points.
pub(crate) fn convex_hull(points: &[[f64; 2]]) -> Vec<[f64; 2]> {
    let mut pts: Vec<[f64; 2]> = points
        .iter()
        .copied()
        .filter(|p| p[0].is_finite() && p[1].is_finite())
        .collect();
    pts.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    pts.dedup();
    if pts.len() < 3 {
        return pts;
    }
    let orient = |a: [f64; 2], b: [f64; 2], c: [f64; 2]| cross(sub(b, a), sub(c, a));
    let mut lower: Vec<[f64; 2]> = Vec::new();
    for &p in &pts {
        while lower.len() >= 2 && orient(lower[lower.len() - 2], lower[lower.len() - 1], p) <= 0.0 {
            lower.pop();
        }
        lower.push(p);
    }
    let mut upper: Vec<[f64; 2]> = Vec::new();
    for &p in pts.iter().rev() {
        while upper.len() >= 2 && orient(upper[upper.len() - 2], upper[upper.len() - 1], p) <= 0.0 {
            upper.pop();
        }
        upper.push(p);
    }
    lower.pop();
    upper.pop();
    lower.extend(upper);
    lower
}

//! Small planar helpers. Zone edges are straight in longitude/latitude (as GeoJSON says), so
//! crossing tests run in degrees; distances run in a local equirectangular projection centred on
//! the thing being judged, where the error near the centre is negligible.

use crate::types::{EARTH_RADIUS_M, LatLon};

/// A local east/north metric frame around an origin.
#[derive(Debug, Clone, Copy)]
pub struct LocalFrame {
    origin: LatLon,
    m_per_deg_lat: f64,
    m_per_deg_lon: f64,
}

impl LocalFrame {
    pub fn new(origin: LatLon) -> Self {
        let m_per_deg_lat = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
        let m_per_deg_lon = m_per_deg_lat * origin.lat_deg.to_radians().cos().max(1e-6);
        Self {
            origin,
            m_per_deg_lat,
            m_per_deg_lon,
        }
    }
    pub fn to_xy(self, p: LatLon) -> [f64; 2] {
        [
            (p.lon_deg - self.origin.lon_deg) * self.m_per_deg_lon,
            (p.lat_deg - self.origin.lat_deg) * self.m_per_deg_lat,
        ]
    }
    pub fn to_latlon(self, xy: [f64; 2]) -> LatLon {
        LatLon::new(
            self.origin.lat_deg + xy[1] / self.m_per_deg_lat,
            self.origin.lon_deg + xy[0] / self.m_per_deg_lon,
        )
    }
}

pub fn sub(a: [f64; 2], b: [f64; 2]) -> [f64; 2] {
    [a[0] - b[0], a[1] - b[1]]
}
pub fn dot(a: [f64; 2], b: [f64; 2]) -> f64 {
    a[0] * b[0] + a[1] * b[1]
}
pub fn cross(a: [f64; 2], b: [f64; 2]) -> f64 {
    a[0] * b[1] - a[1] * b[0]
}
pub fn norm(a: [f64; 2]) -> f64 {
    a[0].hypot(a[1])
}

pub fn point_segment_distance(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let ab = sub(b, a);
    let len2 = dot(ab, ab);
    let t = if len2 > 0.0 {
        (dot(sub(p, a), ab) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    norm(sub(p, [a[0] + t * ab[0], a[1] + t * ab[1]]))
}

fn orient(a: [f64; 2], b: [f64; 2], c: [f64; 2]) -> f64 {
    cross(sub(b, a), sub(c, a))
}

fn on_segment(a: [f64; 2], b: [f64; 2], p: [f64; 2]) -> bool {
    p[0] >= a[0].min(b[0])
        && p[0] <= a[0].max(b[0])
        && p[1] >= a[1].min(b[1])
        && p[1] <= a[1].max(b[1])
}

/// Do closed segments ab and cd share a point (touching counts)?
pub fn segments_intersect(a: [f64; 2], b: [f64; 2], c: [f64; 2], d: [f64; 2]) -> bool {
    let (d1, d2) = (orient(c, d, a), orient(c, d, b));
    let (d3, d4) = (orient(a, b, c), orient(a, b, d));
    if ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0))
        && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0))
    {
        return true;
    }
    (d1 == 0.0 && on_segment(c, d, a))
        || (d2 == 0.0 && on_segment(c, d, b))
        || (d3 == 0.0 && on_segment(a, b, c))
        || (d4 == 0.0 && on_segment(a, b, d))
}

pub fn segment_segment_distance(a: [f64; 2], b: [f64; 2], c: [f64; 2], d: [f64; 2]) -> f64 {
    if segments_intersect(a, b, c, d) {
        return 0.0;
    }
    point_segment_distance(a, c, d)
        .min(point_segment_distance(b, c, d))
        .min(point_segment_distance(c, a, b))
        .min(point_segment_distance(d, a, b))
}

/// Even-odd test of a point against a closed ring given as (x, y) pairs (degrees or metres).
pub fn ring_contains(ring: &[[f64; 2]], p: [f64; 2]) -> bool {
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

/// Signed area (positive counter-clockwise) of a ring of (x, y).
pub fn ring_area(ring: &[[f64; 2]]) -> f64 {
    let n = ring.len();
    let mut s = 0.0;
    for i in 0..n {
        let (a, b) = (ring[i], ring[(i + 1) % n]);
        s += a[0] * b[1] - b[0] * a[1];
    }
    s / 2.0
}

/// Coordinates of a geo ring as (lon, lat) pairs without the closing duplicate.
pub fn ring_xy(ls: &geo::LineString<f64>) -> Vec<[f64; 2]> {
    let mut v: Vec<[f64; 2]> = ls.0.iter().map(|c| [c.x, c.y]).collect();
    if v.len() > 1 && v.first() == v.last() {
        v.pop();
    }
    v
}

/// Edges of a ring (closing edge included).
pub fn ring_edges(ring: &[[f64; 2]]) -> impl Iterator<Item = ([f64; 2], [f64; 2])> + '_ {
    let n = ring.len();
    (0..n).map(move |i| (ring[i], ring[(i + 1) % n]))
}

/// Andrew's monotone chain; counter-clockwise, no collinear points.
pub fn convex_hull(points: &[[f64; 2]]) -> Vec<[f64; 2]> {
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

/// Intersection of the infinite lines p1 + t·d1 and p2 + s·d2.
pub fn line_intersection(
    p1: [f64; 2],
    d1: [f64; 2],
    p2: [f64; 2],
    d2: [f64; 2],
) -> Option<[f64; 2]> {
    let den = cross(d1, d2);
    if den.abs() < 1e-12 {
        return None;
    }
    let t = cross(sub(p2, p1), d2) / den;
    Some([p1[0] + t * d1[0], p1[1] + t * d1[1]])
}

/// Distance along a ray (origin o, unit direction u) to the first crossing of segment ab.
pub fn ray_segment_hit(o: [f64; 2], u: [f64; 2], a: [f64; 2], b: [f64; 2]) -> Option<f64> {
    let e = sub(b, a);
    let den = cross(u, e);
    if den.abs() < 1e-12 {
        return None;
    }
    let ao = sub(a, o);
    let t = cross(ao, e) / den;
    let s = cross(ao, u) / den;
    (t >= 0.0 && (0.0..=1.0).contains(&s)).then_some(t)
}

//! Small geometry: a 3-vector, a local tangent plane and point-in-polygon.
//!
//! The simulator flies within a few kilometres of its origin, so a flat-earth (equirectangular)
//! projection around the origin is accurate to centimetres and much cheaper than geodesics.

use std::ops::{Add, AddAssign, Mul, Neg, Sub};

/// WGS84 equatorial radius, as ArduPilot's `Location` uses for its flat-earth offsets.
pub const EARTH_RADIUS_M: f64 = 6_378_137.0;
pub const GRAVITY_MSS: f64 = 9.80665;

/// A vector in the local North-East-Down frame (metres, metres per second, ...).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct V3 {
    pub n: f64,
    pub e: f64,
    pub d: f64,
}

impl V3 {
    pub const ZERO: V3 = V3 {
        n: 0.0,
        e: 0.0,
        d: 0.0,
    };
    pub const fn new(n: f64, e: f64, d: f64) -> Self {
        Self { n, e, d }
    }
    pub fn norm(self) -> f64 {
        (self.n * self.n + self.e * self.e + self.d * self.d).sqrt()
    }
    pub fn norm_h(self) -> f64 {
        (self.n * self.n + self.e * self.e).sqrt()
    }
    pub fn horizontal(self) -> V3 {
        V3::new(self.n, self.e, 0.0)
    }
    /// Limits the horizontal part to `max` keeping its direction.
    pub fn limit_h(self, max: f64) -> V3 {
        let h = self.norm_h();
        if h > max && h > 0.0 {
            let k = max / h;
            V3::new(self.n * k, self.e * k, self.d)
        } else {
            self
        }
    }
}

impl Add for V3 {
    type Output = V3;
    fn add(self, o: V3) -> V3 {
        V3::new(self.n + o.n, self.e + o.e, self.d + o.d)
    }
}
impl AddAssign for V3 {
    fn add_assign(&mut self, o: V3) {
        *self = *self + o;
    }
}
impl Sub for V3 {
    type Output = V3;
    fn sub(self, o: V3) -> V3 {
        V3::new(self.n - o.n, self.e - o.e, self.d - o.d)
    }
}
impl Mul<f64> for V3 {
    type Output = V3;
    fn mul(self, k: f64) -> V3 {
        V3::new(self.n * k, self.e * k, self.d * k)
    }
}
impl Neg for V3 {
    type Output = V3;
    fn neg(self) -> V3 {
        V3::new(-self.n, -self.e, -self.d)
    }
}

/// A WGS84 position in degrees.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LatLon {
    pub lat_deg: f64,
    pub lon_deg: f64,
}

impl LatLon {
    pub const fn new(lat_deg: f64, lon_deg: f64) -> Self {
        Self { lat_deg, lon_deg }
    }
    /// From MAVLink's degE7 integers.
    pub fn from_e7(lat: i32, lon: i32) -> Self {
        Self::new(f64::from(lat) * 1e-7, f64::from(lon) * 1e-7)
    }
    pub fn lat_e7(self) -> i32 {
        (self.lat_deg * 1e7).round() as i32
    }
    pub fn lon_e7(self) -> i32 {
        (self.lon_deg * 1e7).round() as i32
    }
    pub fn is_valid(self) -> bool {
        self.lat_deg.is_finite()
            && self.lon_deg.is_finite()
            && (-90.0..=90.0).contains(&self.lat_deg)
            && (-180.0..=180.0).contains(&self.lon_deg)
    }
}

/// Local tangent plane around an origin: converts between lat/lon and north/east metres.
#[derive(Clone, Copy, Debug)]
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
    pub fn origin(&self) -> LatLon {
        self.origin
    }
    /// North and east metres of `p` from the origin.
    pub fn to_ne(&self, p: LatLon) -> (f64, f64) {
        (
            (p.lat_deg - self.origin.lat_deg) * self.m_per_deg_lat,
            (p.lon_deg - self.origin.lon_deg) * self.m_per_deg_lon,
        )
    }
    pub fn to_latlon(&self, north_m: f64, east_m: f64) -> LatLon {
        LatLon::new(
            self.origin.lat_deg + north_m / self.m_per_deg_lat,
            self.origin.lon_deg + east_m / self.m_per_deg_lon,
        )
    }
}

/// Ground distance in metres between two positions (flat earth around `a`; exact enough below 50 km).
pub fn distance_m(a: LatLon, b: LatLon) -> f64 {
    let (n, e) = LocalFrame::new(a).to_ne(b);
    n.hypot(e)
}

/// Point-in-polygon by ray casting, in any planar coordinates (x, y). The polygon is implicitly
/// closed; fewer than three vertices contains nothing.
pub fn point_in_polygon(p: (f64, f64), poly: &[(f64, f64)]) -> bool {
    if poly.len() < 3 {
        return false;
    }
    let mut inside = false;
    let mut j = poly.len() - 1;
    for i in 0..poly.len() {
        let (xi, yi) = poly[i];
        let (xj, yj) = poly[j];
        if (yi > p.1) != (yj > p.1) && p.0 < (xj - xi) * (p.1 - yi) / (yj - yi) + xi {
            inside = !inside;
        }
        j = i;
    }
    inside
}

/// Distance from a point to the nearest polygon edge (metres in the same planar units).
pub fn distance_to_polygon_edge(p: (f64, f64), poly: &[(f64, f64)]) -> f64 {
    let mut best = f64::INFINITY;
    for i in 0..poly.len() {
        let a = poly[i];
        let b = poly[(i + 1) % poly.len()];
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len2 = dx * dx + dy * dy;
        let t = if len2 > 0.0 {
            (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let (cx, cy) = (a.0 + t * dx, a.1 + t * dy);
        best = best.min((p.0 - cx).hypot(p.1 - cy));
    }
    best
}

/// Wraps an angle in degrees to [0, 360).
pub fn wrap_360(deg: f64) -> f64 {
    let r = deg.rem_euclid(360.0);
    if r >= 360.0 { 0.0 } else { r }
}

/// Wraps an angle in radians to (-pi, pi].
pub fn wrap_pi(rad: f64) -> f64 {
    let mut r = rad.rem_euclid(std::f64::consts::TAU);
    if r > std::f64::consts::PI {
        r -= std::f64::consts::TAU;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_frame_round_trip_istres() {
        let f = LocalFrame::new(LatLon::new(43.5150, 4.9890));
        let p = f.to_latlon(1000.0, -500.0);
        let (n, e) = f.to_ne(p);
        assert!((n - 1000.0).abs() < 1e-6 && (e + 500.0).abs() < 1e-6);
        // Istres town centre to the BA 125 reference point is about 6 km (checked on a map).
        let d = distance_m(LatLon::new(43.5150, 4.9890), LatLon::new(43.52250, 4.92417));
        assert!((5_000.0..6_000.0).contains(&d), "{d}");
    }

    #[test]
    fn polygon_containment_table() {
        let square = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)];
        for (p, inside) in [
            ((5.0, 5.0), true),
            ((11.0, 5.0), false),
            ((-0.1, 5.0), false),
            ((9.9, 9.9), true),
        ] {
            assert_eq!(point_in_polygon(p, &square), inside, "{p:?}");
        }
        assert!((distance_to_polygon_edge((5.0, 5.0), &square) - 5.0).abs() < 1e-9);
        assert!(!point_in_polygon((0.0, 0.0), &square[..2]));
    }
}

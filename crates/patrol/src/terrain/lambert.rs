//! Lambert-93 (EPSG:2154, RGF93 / GRS80, conic conformal with two standard parallels): the
//! projection of IGN's RGE ALTI and BD ALTI. RGF93 and WGS84 agree to well under a metre, so
//! latitude/longitude are taken as WGS84. Formulas: Snyder, *Map Projections — A Working
//! Manual* (USGS PP 1395), §15.

use std::f64::consts::{FRAC_PI_2, FRAC_PI_4};

const A: f64 = 6_378_137.0;
const F: f64 = 1.0 / 298.257_222_101;
const LAT1: f64 = 44.0;
const LAT2: f64 = 49.0;
const LAT0: f64 = 46.5;
const LON0: f64 = 3.0;
const X0: f64 = 700_000.0;
const Y0: f64 = 6_600_000.0;

struct Consts {
    e: f64,
    n: f64,
    af: f64,
    rho0: f64,
}

fn consts() -> Consts {
    let e = (2.0 * F - F * F).sqrt();
    let m = |lat: f64| lat.cos() / (1.0 - e * e * lat.sin().powi(2)).sqrt();
    let t = |lat: f64| {
        let s = e * lat.sin();
        (FRAC_PI_4 - lat / 2.0).tan() / ((1.0 - s) / (1.0 + s)).powf(e / 2.0)
    };
    let (p1, p2, p0) = (LAT1.to_radians(), LAT2.to_radians(), LAT0.to_radians());
    let n = (m(p1).ln() - m(p2).ln()) / (t(p1).ln() - t(p2).ln());
    let af = A * m(p1) / (n * t(p1).powf(n));
    let rho0 = af * t(p0).powf(n);
    Consts { e, n, af, rho0 }
}

/// (lat, lon) degrees → (x, y) metres in Lambert-93.
pub fn forward(lat_deg: f64, lon_deg: f64) -> (f64, f64) {
    let c = consts();
    let lat = lat_deg.to_radians();
    let s = c.e * lat.sin();
    let t = (FRAC_PI_4 - lat / 2.0).tan() / ((1.0 - s) / (1.0 + s)).powf(c.e / 2.0);
    let rho = c.af * t.powf(c.n);
    let theta = c.n * (lon_deg - LON0).to_radians();
    (X0 + rho * theta.sin(), Y0 + c.rho0 - rho * theta.cos())
}

/// (x, y) metres in Lambert-93 → (lat, lon) degrees.
pub fn inverse(x: f64, y: f64) -> (f64, f64) {
    let c = consts();
    let dx = x - X0;
    let dy = c.rho0 - (y - Y0);
    let rho = dx.hypot(dy);
    let theta = dx.atan2(dy);
    let t = (rho / c.af).powf(1.0 / c.n);
    let mut lat = FRAC_PI_2 - 2.0 * t.atan();
    for _ in 0..12 {
        let s = c.e * lat.sin();
        let next = FRAC_PI_2 - 2.0 * (t * ((1.0 - s) / (1.0 + s)).powf(c.e / 2.0)).atan();
        if (next - lat).abs() < 1e-13 {
            lat = next;
            break;
        }
        lat = next;
    }
    (lat.to_degrees(), LON0 + (theta / c.n).to_degrees())
}

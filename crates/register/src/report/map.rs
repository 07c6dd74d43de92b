//! The map of a flight, as plain geometry both renderers draw: a local equirectangular projection
//! (metres east/north of the centre; enough over a few kilometres) fitted into a box, the
//! authorisation perimeter, the track, zones, a scale bar.

use serde::Serialize;

use crate::recorder::ZoneStyle;

/// A zone drawn on the map.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MapZone {
    pub name: String,
    pub style: ZoneStyle,
    pub ring_lat_lon_deg: Vec<[f64; 2]>,
}

/// Colours (RGB 0–1), the same in HTML and PDF.
pub(crate) const PERIMETER: [f32; 3] = [0.13, 0.55, 0.25];
pub(crate) const TRACK: [f32; 3] = [0.10, 0.35, 0.80];
pub(crate) const PROHIBITED: [f32; 3] = [0.80, 0.15, 0.15];
pub(crate) const RESTRICTED: [f32; 3] = [0.90, 0.55, 0.10];

pub(crate) fn zone_color(s: ZoneStyle) -> [f32; 3] {
    match s {
        ZoneStyle::Perimeter => PERIMETER,
        ZoneStyle::Prohibited => PROHIBITED,
        ZoneStyle::Restricted => RESTRICTED,
    }
}

pub(crate) fn css(c: [f32; 3]) -> String {
    format!(
        "#{:02x}{:02x}{:02x}",
        (c[0] * 255.0) as u8,
        (c[1] * 255.0) as u8,
        (c[2] * 255.0) as u8
    )
}

/// Maps `[lat, lon]` to box coordinates (x right, y DOWN, in the box's units).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Projection {
    lat0: f64,
    lon0: f64,
    cos_lat0: f64,
    /// Box units per metre.
    scale: f64,
    cx: f64,
    cy: f64,
}

const EARTH_M_PER_DEG: f64 = 111_195.0;

impl Projection {
    /// Fit what matters (perimeter and track; zones only when there is nothing else) into a
    /// `width` × `height` box with a margin.
    pub(crate) fn fit(points: &[[f64; 2]], width: f64, height: f64) -> Option<Projection> {
        let valid: Vec<&[f64; 2]> = points
            .iter()
            .filter(|p| p[0].is_finite() && p[1].is_finite() && p[0].abs() <= 90.0)
            .collect();
        let first = valid.first()?;
        let (mut min_lat, mut max_lat, mut min_lon, mut max_lon) =
            (first[0], first[0], first[1], first[1]);
        for p in &valid {
            min_lat = min_lat.min(p[0]);
            max_lat = max_lat.max(p[0]);
            min_lon = min_lon.min(p[1]);
            max_lon = max_lon.max(p[1]);
        }
        let lat0 = (min_lat + max_lat) / 2.0;
        let lon0 = (min_lon + max_lon) / 2.0;
        let cos_lat0 = lat0.to_radians().cos();
        // At least 300 m across, so a hover over one point still shows its surroundings.
        let span_e = ((max_lon - min_lon) * cos_lat0 * EARTH_M_PER_DEG).max(300.0);
        let span_n = ((max_lat - min_lat) * EARTH_M_PER_DEG).max(300.0);
        let scale = (width / (span_e * 1.15)).min(height / (span_n * 1.15));
        Some(Projection {
            lat0,
            lon0,
            cos_lat0,
            scale,
            cx: width / 2.0,
            cy: height / 2.0,
        })
    }

    pub(crate) fn xy(&self, p: [f64; 2]) -> (f64, f64) {
        let e = (p[1] - self.lon0) * self.cos_lat0 * EARTH_M_PER_DEG;
        let n = (p[0] - self.lat0) * EARTH_M_PER_DEG;
        (self.cx + e * self.scale, self.cy - n * self.scale)
    }

    /// A round scale-bar length (m) about a fifth of `width`, and its length in box units.
    pub(crate) fn scale_bar(&self, width: f64) -> (f64, f64) {
        let target_m = width / 5.0 / self.scale;
        let mut best = 10.0;
        for m in [
            10.0, 20.0, 50.0, 100.0, 200.0, 250.0, 500.0, 1000.0, 2000.0, 5000.0, 10_000.0,
        ] {
            if m <= target_m {
                best = m;
            }
        }
        (best, best * self.scale)
    }
}

/// The points the map is fitted to.
pub(crate) fn fit_points(
    perimeter: &[Vec<[f64; 2]>],
    track: &[[f64; 2]],
    zones: &[MapZone],
) -> Vec<[f64; 2]> {
    let mut pts: Vec<[f64; 2]> = perimeter.iter().flatten().copied().collect();
    pts.extend_from_slice(track);
    if pts.is_empty() {
        pts.extend(
            zones
                .iter()
                .flat_map(|z| z.ring_lat_lon_deg.iter().copied()),
        );
    }
    pts
}

pub(crate) fn scale_label(m: f64) -> String {
    if m >= 1000.0 {
        format!("{} km", m / 1000.0)
    } else {
        format!("{m} m")
    }
}

/// Keep at most `max` points of a track, evenly (the first and last always).
pub(crate) fn thin(track: &[[f64; 2]], max: usize) -> Vec<[f64; 2]> {
    if track.len() <= max || max < 2 {
        return track.to_vec();
    }
    let step = (track.len() - 1) as f64 / (max - 1) as f64;
    (0..max)
        .filter_map(|i| track.get((i as f64 * step).round() as usize).copied())
        .collect()
}

/// `Zones : A (dans le cadre) ; B (hors cadre, à 4,3 km)` — a zone outside the frame still counts.
pub(crate) fn zones_line(d: &super::ReportData) -> Option<String> {
    if d.zones.is_empty() {
        return None;
    }
    let pts = fit_points(&d.perimeter_lat_lon_deg, &d.track_lat_lon_deg, &d.zones);
    let proj = Projection::fit(&pts, 1000.0, 1000.0)?;
    let centre = pts.first().copied()?;
    let parts: Vec<String> = d
        .zones
        .iter()
        .map(|z| {
            let inside = z.ring_lat_lon_deg.iter().any(|q| {
                let (x, y) = proj.xy(*q);
                (0.0..=1000.0).contains(&x) && (0.0..=1000.0).contains(&y)
            });
            if inside {
                z.name.clone()
            } else {
                let nearest = z
                    .ring_lat_lon_deg
                    .iter()
                    .map(|q| {
                        let de =
                            (q[1] - centre[1]) * centre[0].to_radians().cos() * EARTH_M_PER_DEG;
                        let dn = (q[0] - centre[0]) * EARTH_M_PER_DEG;
                        (de * de + dn * dn).sqrt()
                    })
                    .fold(f64::INFINITY, f64::min);
                format!(
                    "{} (hors cadre, sommet le plus proche à {})",
                    z.name,
                    super::distance_text(nearest)
                )
            }
        })
        .collect();
    Some(format!("Zones : {}", parts.join(" ; ")))
}

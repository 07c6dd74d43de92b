//! The validated geozone model (ED-269 / ED-318 / GeoJSON all land here) and per-zone queries.

use chrono::{DateTime, Datelike, NaiveTime, Utc, Weekday};
use serde::Serialize;

use crate::geom::{self, LocalFrame};
use crate::types::{Altitude, Containment, LatLon, Position3d, VerticalContext};

/// What a zone restricts (ED-269 `restriction`, ED-318 `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Restriction {
    Prohibited,
    ReqAuthorisation,
    Conditional,
    NoRestriction,
    /// ED-318 U-space airspace: flying needs U-space services, treated like an authorisation.
    USpace,
}

impl Restriction {
    /// Does entering the zone block the action (unless an authorisation names the zone)?
    pub fn is_blocking(self) -> bool {
        matches!(
            self,
            Restriction::Prohibited | Restriction::ReqAuthorisation | Restriction::USpace
        )
    }
}

impl std::fmt::Display for Restriction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Restriction::Prohibited => "PROHIBITED",
            Restriction::ReqAuthorisation => "REQ_AUTHORISATION",
            Restriction::Conditional => "CONDITIONAL",
            Restriction::NoRestriction => "NO_RESTRICTION",
            Restriction::USpace => "USPACE",
        })
    }
}

/// Horizontal projection of a zone volume, in WGS84 degrees (x = lon, y = lat).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Shape {
    Polygon(geo::Polygon<f64>),
    Circle { center: LatLon, radius_m: f64 },
}

/// A 3-D volume: a shape between two altitudes (each with its own reference).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ZoneVolume {
    pub shape: Shape,
    pub lower: Altitude,
    /// `f64::INFINITY` when unlimited.
    pub upper: Altitude,
}

/// A daily time window (UTC), optionally restricted to some weekdays. `end < start` wraps midnight.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DailySchedule {
    /// Empty = every day.
    pub days: Vec<Weekday>,
    pub start: NaiveTime,
    pub end: NaiveTime,
}

/// One applicability period: a date range (open ends allowed) and optional daily schedules.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ApplicabilityPeriod {
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    /// Empty = all day.
    pub schedule: Vec<DailySchedule>,
}

/// When a zone applies. No period = permanent.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Applicability {
    pub periods: Vec<ApplicabilityPeriod>,
}

impl Applicability {
    pub fn permanent() -> Self {
        Self::default()
    }

    pub fn is_permanent(&self) -> bool {
        self.periods.is_empty()
    }

    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.periods.is_empty() || self.periods.iter().any(|p| p.is_active(now))
    }

    /// Could the zone be active at any moment of `[from, to]`? Schedules are ignored (conservative).
    pub fn may_be_active_during(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
        self.periods.is_empty()
            || self
                .periods
                .iter()
                .any(|p| p.start.is_none_or(|s| s <= to) && p.end.is_none_or(|e| e >= from))
    }
}

impl ApplicabilityPeriod {
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        if self.start.is_some_and(|s| now < s) || self.end.is_some_and(|e| now > e) {
            return false;
        }
        self.schedule.is_empty() || self.schedule.iter().any(|s| s.is_active(now))
    }
}

impl DailySchedule {
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        let t = now.time();
        let today = now.weekday();
        let day_ok = |d: Weekday| self.days.is_empty() || self.days.contains(&d);
        if self.start <= self.end {
            day_ok(today) && t >= self.start && t <= self.end
        } else {
            // Wraps midnight: the part after midnight belongs to the previous day's window.
            (day_ok(today) && t >= self.start) || (day_ok(today.pred()) && t <= self.end)
        }
    }
}

/// Who to contact about a zone.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ZoneAuthority {
    pub name: Option<String>,
    pub service: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub site_url: Option<String>,
    pub purpose: Option<String>,
}

/// A validated geozone.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Zone {
    pub identifier: String,
    pub country: Option<String>,
    pub name: String,
    pub restriction: Restriction,
    pub reasons: Vec<String>,
    pub message: Option<String>,
    pub volumes: Vec<ZoneVolume>,
    pub applicability: Applicability,
    pub authorities: Vec<ZoneAuthority>,
    /// File (or "embedded:…") the zone came from, for messages.
    pub source: String,
}

impl Zone {
    /// Tri-state containment of a 3-D fix, taking its horizontal accuracy into account.
    pub fn contains(&self, fix: &Position3d, ctx: &VerticalContext) -> Containment {
        self.volumes
            .iter()
            .map(|v| {
                v.horizontal_contains(fix.pos, fix.h_accuracy_m)
                    .and(v.vertical_contains(fix.alt, ctx))
            })
            .fold(Containment::Outside, Containment::or)
    }

    /// Tri-state: does the straight leg a→b (altitudes as given) enter the zone? Exact
    /// segment/polygon intersection, plus `margin_m` as the Indeterminate band.
    pub fn leg_crosses(
        &self,
        a: &Position3d,
        b: &Position3d,
        ctx: &VerticalContext,
        margin_m: f64,
    ) -> Containment {
        self.volumes
            .iter()
            .map(|v| {
                let h = v.leg_horizontal(
                    a.pos,
                    b.pos,
                    margin_m.max(a.h_accuracy_m).max(b.h_accuracy_m),
                );
                // Altitude varies linearly along the leg, so it meets the slab [lower, upper] iff
                // its higher end is ≥ lower and its lower end is ≤ upper.
                let above_lower = |p: &Position3d| {
                    p.alt
                        .interval_in(v.lower.reference, ctx)
                        .within(v.lower.value_m, f64::INFINITY)
                };
                let below_upper = |p: &Position3d| {
                    p.alt
                        .interval_in(v.upper.reference, ctx)
                        .within(f64::NEG_INFINITY, v.upper.value_m)
                };
                let vert = above_lower(a)
                    .or(above_lower(b))
                    .and(below_upper(a).or(below_upper(b)));
                h.and(vert)
            })
            .fold(Containment::Outside, Containment::or)
    }

    /// Horizontal distance from `p` to the nearest boundary of any volume (metres).
    pub fn distance_to_boundary_m(&self, p: LatLon) -> f64 {
        self.volumes
            .iter()
            .map(|v| v.boundary_distance_m(p))
            .fold(f64::INFINITY, f64::min)
    }

    /// Bounding box in degrees: [min_lon, min_lat], [max_lon, max_lat].
    pub fn bbox(&self) -> Option<([f64; 2], [f64; 2])> {
        self.volumes.iter().map(|v| v.shape.bbox()).reduce(|a, b| {
            (
                [a.0[0].min(b.0[0]), a.0[1].min(b.0[1])],
                [a.1[0].max(b.1[0]), a.1[1].max(b.1[1])],
            )
        })
    }

    /// Lowest lower limit, for filtering zones that start above the flight ceiling.
    pub fn lowest_lower(&self) -> Option<Altitude> {
        self.volumes
            .iter()
            .map(|v| v.lower)
            .min_by(|a, b| a.value_m.total_cmp(&b.value_m))
    }

    /// Could a flight at or below `ceiling` (AGL) reach this zone's volumes somewhere?
    pub fn reachable_below(&self, ceiling: Altitude, ctx: &VerticalContext) -> bool {
        self.volumes.iter().any(|v| {
            let ceiling_in_ref = ceiling.interval_in(v.lower.reference, ctx);
            ceiling_in_ref.hi >= v.lower.value_m || ceiling_in_ref.hi.is_nan()
        })
    }

    /// Number of points a fence needs for this zone when kept as-is (circles count 1).
    pub fn vertex_count(&self) -> usize {
        self.volumes
            .iter()
            .map(|v| match &v.shape {
                Shape::Circle { .. } => 1,
                Shape::Polygon(p) => geom::ring_xy(p.exterior()).len(),
            })
            .sum()
    }
}

impl ZoneVolume {
    pub fn horizontal_contains(&self, p: LatLon, accuracy_m: f64) -> Containment {
        let acc = if accuracy_m.is_finite() {
            accuracy_m.max(0.0)
        } else {
            return Containment::Indeterminate;
        };
        if !p.is_valid() {
            return Containment::Indeterminate;
        }
        let (inside, dist) = match &self.shape {
            Shape::Circle { center, radius_m } => {
                let d = center.distance_m(&p);
                (d <= *radius_m, (d - radius_m).abs())
            }
            Shape::Polygon(poly) => (polygon_contains(poly, p), self.boundary_distance_m(p)),
        };
        if dist <= acc {
            Containment::Indeterminate
        } else if inside {
            Containment::Inside
        } else {
            Containment::Outside
        }
    }

    pub fn vertical_contains(&self, alt: Altitude, ctx: &VerticalContext) -> Containment {
        let lower = alt
            .interval_in(self.lower.reference, ctx)
            .within(self.lower.value_m, f64::INFINITY);
        let upper = alt
            .interval_in(self.upper.reference, ctx)
            .within(f64::NEG_INFINITY, self.upper.value_m);
        lower.and(upper)
    }

    fn leg_horizontal(&self, a: LatLon, b: LatLon, margin_m: f64) -> Containment {
        if !a.is_valid() || !b.is_valid() {
            return Containment::Indeterminate;
        }
        let mid = LatLon::new((a.lat_deg + b.lat_deg) / 2.0, (a.lon_deg + b.lon_deg) / 2.0);
        let frame = LocalFrame::new(mid);
        let (pa, pb) = (frame.to_xy(a), frame.to_xy(b));
        match &self.shape {
            Shape::Circle { center, radius_m } => {
                let d = geom::point_segment_distance(frame.to_xy(*center), pa, pb);
                if d <= *radius_m {
                    Containment::Inside
                } else if d - radius_m <= margin_m {
                    Containment::Indeterminate
                } else {
                    Containment::Outside
                }
            }
            Shape::Polygon(poly) => {
                if polygon_contains(poly, a) || polygon_contains(poly, b) {
                    return Containment::Inside;
                }
                let (da, db) = ([a.lon_deg, a.lat_deg], [b.lon_deg, b.lat_deg]);
                let mut min_d = f64::INFINITY;
                for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                    let r = geom::ring_xy(ring);
                    for (c, d) in geom::ring_edges(&r) {
                        // Crossing test in degrees: zone edges are straight in lon/lat.
                        if geom::segments_intersect(da, db, c, d) {
                            return Containment::Inside;
                        }
                        let (mc, md) = (
                            frame.to_xy(LatLon::new(c[1], c[0])),
                            frame.to_xy(LatLon::new(d[1], d[0])),
                        );
                        min_d = min_d.min(geom::segment_segment_distance(pa, pb, mc, md));
                    }
                }
                if min_d <= margin_m {
                    Containment::Indeterminate
                } else {
                    Containment::Outside
                }
            }
        }
    }

    pub fn boundary_distance_m(&self, p: LatLon) -> f64 {
        match &self.shape {
            Shape::Circle { center, radius_m } => (center.distance_m(&p) - radius_m).abs(),
            Shape::Polygon(poly) => {
                let frame = LocalFrame::new(p);
                let mut best = f64::INFINITY;
                for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                    let r = geom::ring_xy(ring);
                    for (c, d) in geom::ring_edges(&r) {
                        let (mc, md) = (
                            frame.to_xy(LatLon::new(c[1], c[0])),
                            frame.to_xy(LatLon::new(d[1], d[0])),
                        );
                        best = best.min(geom::point_segment_distance([0.0, 0.0], mc, md));
                    }
                }
                best
            }
        }
    }
}

impl Shape {
    /// Bounding box in degrees ([min_lon, min_lat], [max_lon, max_lat]).
    pub fn bbox(&self) -> ([f64; 2], [f64; 2]) {
        match self {
            Shape::Circle { center, radius_m } => {
                let dlat = radius_m / 111_000.0 * 1.01;
                let dlon = dlat / center.lat_deg.to_radians().cos().max(1e-6);
                (
                    [center.lon_deg - dlon, center.lat_deg - dlat],
                    [center.lon_deg + dlon, center.lat_deg + dlat],
                )
            }
            Shape::Polygon(p) => {
                let mut lo = [f64::INFINITY; 2];
                let mut hi = [f64::NEG_INFINITY; 2];
                for c in p.exterior().0.iter() {
                    lo = [lo[0].min(c.x), lo[1].min(c.y)];
                    hi = [hi[0].max(c.x), hi[1].max(c.y)];
                }
                (lo, hi)
            }
        }
    }
}

/// Even-odd containment in degrees, holes included; boundary points count as inside.
pub fn polygon_contains(poly: &geo::Polygon<f64>, p: LatLon) -> bool {
    let q = [p.lon_deg, p.lat_deg];
    let ext = geom::ring_xy(poly.exterior());
    if geom::ring_edges(&ext).any(|(a, b)| geom::point_segment_distance(q, a, b) == 0.0) {
        return true;
    }
    if !geom::ring_contains(&ext, q) {
        return false;
    }
    !poly
        .interiors()
        .iter()
        .any(|h| geom::ring_contains(&geom::ring_xy(h), q))
}

/// Build a polygon from (lat, lon) vertices (open or closed ring).
pub fn polygon_from_latlon(points: &[LatLon]) -> geo::Polygon<f64> {
    let mut coords: Vec<geo::Coord<f64>> = points.iter().map(LatLon::to_coord).collect();
    if coords.first() != coords.last()
        && let Some(&f) = coords.first()
    {
        coords.push(f);
    }
    geo::Polygon::new(geo::LineString::new(coords), vec![])
}

/// Tri-state containment of a fix in a set of perimeter polygons (union), accuracy included.
pub fn perimeter_contains(
    perimeter: &[geo::Polygon<f64>],
    p: LatLon,
    accuracy_m: f64,
) -> Containment {
    perimeter
        .iter()
        .map(|poly| {
            ZoneVolume {
                shape: Shape::Polygon(poly.clone()),
                lower: Altitude::agl(f64::NEG_INFINITY),
                upper: Altitude::agl(f64::INFINITY),
            }
            .horizontal_contains(p, accuracy_m)
        })
        .fold(Containment::Outside, Containment::or)
}

/// Tri-state: does leg a→b stay within the union of perimeter polygons? Exact: a leg stays in a
/// polygon when both ends are inside and it crosses no edge; `margin_m` is the Indeterminate band.
pub fn perimeter_contains_leg(
    perimeter: &[geo::Polygon<f64>],
    a: LatLon,
    b: LatLon,
    margin_m: f64,
) -> Containment {
    if !a.is_valid() || !b.is_valid() {
        return Containment::Indeterminate;
    }
    let mut best = Containment::Outside;
    for poly in perimeter {
        if !polygon_contains(poly, a) || !polygon_contains(poly, b) {
            continue;
        }
        let (da, db) = ([a.lon_deg, a.lat_deg], [b.lon_deg, b.lat_deg]);
        let mid = LatLon::new((a.lat_deg + b.lat_deg) / 2.0, (a.lon_deg + b.lon_deg) / 2.0);
        let frame = LocalFrame::new(mid);
        let (pa, pb) = (frame.to_xy(a), frame.to_xy(b));
        let mut crosses = false;
        let mut min_d = f64::INFINITY;
        for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
            let r = geom::ring_xy(ring);
            for (c, d) in geom::ring_edges(&r) {
                if geom::segments_intersect(da, db, c, d) {
                    crosses = true;
                }
                let (mc, md) = (
                    frame.to_xy(LatLon::new(c[1], c[0])),
                    frame.to_xy(LatLon::new(d[1], d[0])),
                );
                min_d = min_d.min(geom::segment_segment_distance(pa, pb, mc, md));
            }
        }
        let this = if crosses {
            // Touching the boundary from inside (both ends inside) still leaves doubt.
            Containment::Indeterminate
        } else if min_d <= margin_m {
            Containment::Indeterminate
        } else {
            Containment::Inside
        };
        best = best.or(this);
    }
    if best == Containment::Outside {
        // Ends not both inside one polygon: Outside unless an end sits within the margin.
        let near =
            |p: LatLon| perimeter_contains(perimeter, p, margin_m) == Containment::Indeterminate;
        if near(a) || near(b) {
            return Containment::Indeterminate;
        }
    }
    best
}

//! A set of zones with an R-tree over the bounding boxes of their volumes.

use chrono::{DateTime, Utc};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use crate::types::{Containment, LatLon, Position3d, VerticalContext};
use crate::zone::Zone;

type Entry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// Zones plus a spatial index. Build once, query many times.
#[derive(Debug, Clone, Default)]
pub struct ZoneSet {
    zones: Vec<Zone>,
    index: RTree<Entry>,
}

/// One zone's answer to a point query.
#[derive(Debug, Clone, Copy)]
pub struct ZoneHit<'a> {
    pub zone: &'a Zone,
    pub containment: Containment,
    pub boundary_distance_m: f64,
}

impl ZoneSet {
    pub fn new(zones: Vec<Zone>) -> Self {
        let entries: Vec<Entry> = zones
            .iter()
            .enumerate()
            .filter_map(|(i, z)| {
                z.bbox()
                    .map(|(lo, hi)| GeomWithData::new(Rectangle::from_corners(lo, hi), i))
            })
            .collect();
        Self {
            zones,
            index: RTree::bulk_load(entries),
        }
    }

    /// Add zones (rebuilds the index).
    pub fn extend(&mut self, more: impl IntoIterator<Item = Zone>) {
        let mut zones = std::mem::take(&mut self.zones);
        zones.extend(more);
        *self = Self::new(zones);
    }

    pub fn zones(&self) -> &[Zone] {
        &self.zones
    }

    pub fn len(&self) -> usize {
        self.zones.len()
    }

    pub fn is_empty(&self) -> bool {
        self.zones.is_empty()
    }

    pub fn get(&self, identifier: &str) -> Option<&Zone> {
        self.zones.iter().find(|z| z.identifier == identifier)
    }

    /// Zones whose bounding box comes within `radius_m` of `p` (all of them, active or not).
    pub fn candidates_near(&self, p: LatLon, radius_m: f64) -> impl Iterator<Item = &Zone> + '_ {
        let dlat = (radius_m.max(0.0) / 111_000.0) * 1.01 + 1e-7;
        let dlon = dlat / p.lat_deg.to_radians().cos().max(1e-6);
        let env = AABB::from_corners(
            [p.lon_deg - dlon, p.lat_deg - dlat],
            [p.lon_deg + dlon, p.lat_deg + dlat],
        );
        self.located(env, p.is_valid() && radius_m.is_finite())
    }

    /// Zones in `env`, or every zone when the query itself is unusable (fail closed).
    fn located(&self, env: AABB<[f64; 2]>, usable: bool) -> impl Iterator<Item = &Zone> + '_ {
        let mut idx: Vec<usize> = if usable {
            self.index
                .locate_in_envelope_intersecting(&env)
                .map(|e| e.data)
                .collect()
        } else {
            (0..self.zones.len()).collect()
        };
        idx.sort_unstable();
        idx.dedup();
        idx.into_iter().filter_map(|i| self.zones.get(i))
    }

    /// Zones whose bounding box intersects the box around segment a–b widened by `margin_m`.
    pub fn candidates_along(
        &self,
        a: LatLon,
        b: LatLon,
        margin_m: f64,
    ) -> impl Iterator<Item = &Zone> + '_ {
        let dlat = (margin_m.max(0.0) / 111_000.0) * 1.01 + 1e-7;
        let lat = a.lat_deg.abs().max(b.lat_deg.abs());
        let dlon = dlat / lat.to_radians().cos().max(1e-6);
        let env = AABB::from_corners(
            [
                a.lon_deg.min(b.lon_deg) - dlon,
                a.lat_deg.min(b.lat_deg) - dlat,
            ],
            [
                a.lon_deg.max(b.lon_deg) + dlon,
                a.lat_deg.max(b.lat_deg) + dlat,
            ],
        );
        self.located(env, a.is_valid() && b.is_valid() && margin_m.is_finite())
    }

    /// Every zone active at `now` that the fix is inside of or may be inside of (Outside omitted).
    pub fn query_point(
        &self,
        fix: &Position3d,
        ctx: &VerticalContext,
        now: DateTime<Utc>,
    ) -> Vec<ZoneHit<'_>> {
        let radius = if fix.h_accuracy_m.is_finite() {
            fix.h_accuracy_m.max(0.0)
        } else {
            0.0
        };
        if !fix.pos.is_valid() {
            // No usable position: every active zone may contain it (fail closed).
            return self
                .zones
                .iter()
                .filter(|z| z.applicability.is_active(now))
                .map(|zone| ZoneHit {
                    zone,
                    containment: Containment::Indeterminate,
                    boundary_distance_m: f64::NAN,
                })
                .collect();
        }
        self.candidates_near(fix.pos, radius)
            .filter(|z| z.applicability.is_active(now))
            .map(|zone| ZoneHit {
                zone,
                containment: zone.contains(fix, ctx),
                boundary_distance_m: zone.distance_to_boundary_m(fix.pos),
            })
            .filter(|h| h.containment != Containment::Outside)
            .collect()
    }

    /// Zones active at `now` that the leg a→b enters or may enter.
    pub fn query_leg(
        &self,
        a: &Position3d,
        b: &Position3d,
        ctx: &VerticalContext,
        now: DateTime<Utc>,
        margin_m: f64,
    ) -> Vec<(&Zone, Containment)> {
        let m = margin_m.max(a.h_accuracy_m).max(b.h_accuracy_m);
        self.candidates_along(a.pos, b.pos, m)
            .filter(|z| z.applicability.is_active(now))
            .map(|z| (z, z.leg_crosses(a, b, ctx, margin_m)))
            .filter(|(_, c)| *c != Containment::Outside)
            .collect()
    }

    /// Nearest boundary of an active zone within `search_m`, with its distance in metres.
    pub fn nearest_boundary(
        &self,
        p: LatLon,
        now: DateTime<Utc>,
        search_m: f64,
    ) -> Option<(&Zone, f64)> {
        self.candidates_near(p, search_m)
            .filter(|z| z.applicability.is_active(now))
            .map(|z| (z, z.distance_to_boundary_m(p)))
            .filter(|(_, d)| *d <= search_m)
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }
}

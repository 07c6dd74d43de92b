//! On-board geofence like ArduPilot's AC_Fence: alt max / circle / polygon (inclusion and
//! exclusion polygons and circles from the fence plan) / alt min, checked from pure inputs.

use crate::geo::{LatLon, LocalFrame, distance_m, point_in_polygon};

/// FENCE_TYPE bits (AC_Fence).
pub const TYPE_ALT_MAX: u8 = 1;
pub const TYPE_CIRCLE: u8 = 2;
pub const TYPE_POLYGON: u8 = 4;
pub const TYPE_ALT_MIN: u8 = 8;

/// Mission commands of the fence plan.
pub const CMD_POLY_INCLUSION: u16 = 5001;
pub const CMD_POLY_EXCLUSION: u16 = 5002;
pub const CMD_CIRCLE_INCLUSION: u16 = 5003;
pub const CMD_CIRCLE_EXCLUSION: u16 = 5004;
pub const CMD_RETURN_POINT: u16 = 5000;

#[derive(Clone, Debug, PartialEq)]
pub enum Zone {
    InclusionPolygon(Vec<LatLon>),
    ExclusionPolygon(Vec<LatLon>),
    InclusionCircle { center: LatLon, radius_m: f64 },
    ExclusionCircle { center: LatLon, radius_m: f64 },
}

/// The fence as uploaded (the plan), validated.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FencePlan {
    pub zones: Vec<Zone>,
    pub return_point: Option<LatLon>,
}

/// One fence item as the mission protocol carries it.
#[derive(Clone, Copy, Debug)]
pub struct FenceItem {
    pub command: u16,
    pub param1: f32,
    pub at: LatLon,
}

impl FencePlan {
    /// Builds the plan from uploaded items; errors say which item is wrong.
    pub fn from_items(items: &[FenceItem]) -> Result<Self, String> {
        let mut plan = FencePlan::default();
        let mut i = 0;
        while i < items.len() {
            let it = items[i];
            if !it.at.is_valid() {
                return Err(format!("fence item {i}: invalid position"));
            }
            match it.command {
                CMD_POLY_INCLUSION | CMD_POLY_EXCLUSION => {
                    let n = it.param1 as usize;
                    if n < 3 || i + n > items.len() {
                        return Err(format!(
                            "fence item {i}: polygon needs at least 3 vertices and {n} items"
                        ));
                    }
                    let verts: Vec<LatLon> = items[i..i + n].iter().map(|v| v.at).collect();
                    if items[i..i + n]
                        .iter()
                        .any(|v| v.command != it.command || v.param1 as usize != n)
                    {
                        return Err(format!(
                            "fence item {i}: polygon vertices disagree on type or count"
                        ));
                    }
                    plan.zones.push(if it.command == CMD_POLY_INCLUSION {
                        Zone::InclusionPolygon(verts)
                    } else {
                        Zone::ExclusionPolygon(verts)
                    });
                    i += n;
                    continue;
                }
                CMD_CIRCLE_INCLUSION | CMD_CIRCLE_EXCLUSION => {
                    let r = f64::from(it.param1);
                    if r.is_nan() || r <= 0.0 {
                        return Err(format!("fence item {i}: circle radius must be > 0"));
                    }
                    plan.zones.push(if it.command == CMD_CIRCLE_INCLUSION {
                        Zone::InclusionCircle {
                            center: it.at,
                            radius_m: r,
                        }
                    } else {
                        Zone::ExclusionCircle {
                            center: it.at,
                            radius_m: r,
                        }
                    });
                }
                CMD_RETURN_POINT => plan.return_point = Some(it.at),
                other => {
                    return Err(format!(
                        "fence item {i}: command {other} is not a fence item"
                    ));
                }
            }
            i += 1;
        }
        Ok(plan)
    }

    pub fn has_polygon_zones(&self) -> bool {
        !self.zones.is_empty()
    }

    /// True when the position is outside any inclusion zone or inside any exclusion zone
    /// (AC_PolyFence_loader::breached).
    pub fn breached(&self, p: LatLon) -> bool {
        let frame = LocalFrame::new(p);
        let poly_contains = |verts: &[LatLon]| {
            let pts: Vec<(f64, f64)> = verts.iter().map(|v| frame.to_ne(*v)).collect();
            point_in_polygon((0.0, 0.0), &pts)
        };
        self.zones.iter().any(|z| match z {
            Zone::InclusionPolygon(v) => !poly_contains(v),
            Zone::ExclusionPolygon(v) => poly_contains(v),
            Zone::InclusionCircle { center, radius_m } => distance_m(*center, p) > *radius_m,
            Zone::ExclusionCircle { center, radius_m } => distance_m(*center, p) < *radius_m,
        })
    }
}

/// Fence parameters read at check time.
#[derive(Clone, Copy, Debug)]
pub struct FenceConfig {
    pub enabled: bool,
    pub types: u8,
    pub alt_max_m: f64,
    pub alt_min_m: f64,
    pub radius_m: f64,
    pub margin_m: f64,
}

/// Which fences a position breaches: a bitmask of TYPE_* values.
pub fn breaches(
    cfg: &FenceConfig,
    plan: &FencePlan,
    home: LatLon,
    p: LatLon,
    alt_rel_home_m: f64,
    airborne: bool,
) -> u8 {
    if !cfg.enabled {
        return 0;
    }
    let mut b = 0;
    if cfg.types & TYPE_ALT_MAX != 0 && alt_rel_home_m > cfg.alt_max_m {
        b |= TYPE_ALT_MAX;
    }
    if cfg.types & TYPE_CIRCLE != 0 && cfg.radius_m > 0.0 && distance_m(home, p) > cfg.radius_m {
        b |= TYPE_CIRCLE;
    }
    if cfg.types & TYPE_POLYGON != 0 && plan.breached(p) {
        b |= TYPE_POLYGON;
    }
    if cfg.types & TYPE_ALT_MIN != 0 && airborne && alt_rel_home_m < cfg.alt_min_m {
        b |= TYPE_ALT_MIN;
    }
    b
}

/// Human name of a breach mask, for STATUSTEXT.
pub fn describe(mask: u8) -> String {
    let mut parts = Vec::new();
    if mask & TYPE_ALT_MAX != 0 {
        parts.push("Max Alt");
    }
    if mask & TYPE_CIRCLE != 0 {
        parts.push("Circle");
    }
    if mask & TYPE_POLYGON != 0 {
        parts.push("Polygon");
    }
    if mask & TYPE_ALT_MIN != 0 {
        parts.push("Min Alt");
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(cmd: u16, c: LatLon, half_deg: f64) -> Vec<FenceItem> {
        let pts = [(-1.0, -1.0), (-1.0, 1.0), (1.0, 1.0), (1.0, -1.0)];
        pts.iter()
            .map(|(a, b)| FenceItem {
                command: cmd,
                param1: 4.0,
                at: LatLon::new(c.lat_deg + a * half_deg, c.lon_deg + b * half_deg),
            })
            .collect()
    }

    #[test]
    fn inclusion_exclusion_table() {
        let home = LatLon::new(43.5150, 4.9890);
        let mut items = square(CMD_POLY_INCLUSION, home, 0.01);
        items.push(FenceItem {
            command: CMD_CIRCLE_EXCLUSION,
            param1: 100.0,
            at: LatLon::new(43.5200, 4.9890),
        });
        let plan = FencePlan::from_items(&items).unwrap();
        let cfg = FenceConfig {
            enabled: true,
            types: TYPE_POLYGON | TYPE_ALT_MAX,
            alt_max_m: 100.0,
            alt_min_m: -10.0,
            radius_m: 300.0,
            margin_m: 2.0,
        };
        let rows = [
            (home, 50.0, 0),
            (LatLon::new(43.5300, 4.9890), 50.0, TYPE_POLYGON), // outside the inclusion square
            (LatLon::new(43.5200, 4.9890), 50.0, TYPE_POLYGON), // inside the exclusion circle
            (home, 120.0, TYPE_ALT_MAX),
        ];
        for (p, alt, want) in rows {
            assert_eq!(
                breaches(&cfg, &plan, home, p, alt, true),
                want,
                "{p:?} {alt}"
            );
        }
        let off = FenceConfig {
            enabled: false,
            ..cfg
        };
        assert_eq!(
            breaches(&off, &plan, home, LatLon::new(43.53, 4.989), 500.0, true),
            0
        );
    }

    #[test]
    fn malformed_plans_are_refused() {
        let home = LatLon::new(43.5150, 4.9890);
        let mut items = square(CMD_POLY_INCLUSION, home, 0.01);
        items.pop();
        assert!(FencePlan::from_items(&items).is_err());
        assert!(
            FencePlan::from_items(&[FenceItem {
                command: CMD_CIRCLE_INCLUSION,
                param1: 0.0,
                at: home
            }])
            .is_err()
        );
        assert!(
            FencePlan::from_items(&[FenceItem {
                command: 16,
                param1: 0.0,
                at: home
            }])
            .is_err()
        );
    }
}

//! A [`flight_rules::FencePlan`] as ArduPilot fence items and parameters.

use flight_rules::FencePlan;
use vigie_link::mission::MissionItem;

/// Fence items the station allows itself on an ArduPilot vehicle (FENCE_TOTAL is typically far
/// larger; a small fence uploads fast over a weak radio).
pub const VERTEX_BUDGET: usize = 70;

/// MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION/EXCLUSION and CIRCLE_INCLUSION/EXCLUSION.
const POLY_INCL: u16 = 5001;
const POLY_EXCL: u16 = 5002;
const CIRCLE_INCL: u16 = 5003;
const CIRCLE_EXCL: u16 = 5004;
const MAV_FRAME_GLOBAL: u8 = 0;

pub fn items(plan: &FencePlan) -> Vec<MissionItem> {
    let mut out = Vec::with_capacity(plan.item_count());
    for (group, poly) in plan.polygons.iter().enumerate() {
        let cmd = if poly.inclusion { POLY_INCL } else { POLY_EXCL };
        for v in &poly.vertices {
            let mut it = MissionItem::waypoint(out.len() as u16, v.lat_deg, v.lon_deg, 0.0);
            it.command = cmd;
            it.frame = MAV_FRAME_GLOBAL;
            it.param1 = poly.vertices.len() as f32;
            // Inclusion group: ArduPilot combines polygons of one group; each of ours stands alone.
            it.param2 = group as f32;
            out.push(it);
        }
    }
    for c in &plan.circles {
        let mut it =
            MissionItem::waypoint(out.len() as u16, c.center.lat_deg, c.center.lon_deg, 0.0);
        it.command = if c.inclusion {
            CIRCLE_INCL
        } else {
            CIRCLE_EXCL
        };
        it.frame = MAV_FRAME_GLOBAL;
        it.param1 = c.radius_m as f32;
        out.push(it);
    }
    out
}

/// Parameters that go with the items: the ceiling, RTL on breach, and FENCE_TYPE = altitude (1) +
/// polygon (4). Bit 2 ("circle") is ArduPilot's home-centred FENCE_RADIUS, not our uploaded
/// circles (those belong to the polygon fence), so it stays off.
pub fn params(plan: &FencePlan) -> Vec<(&'static str, f64)> {
    vec![
        ("FENCE_ALT_MAX", plan.alt_max_rel_home_m),
        ("FENCE_TYPE", 5.0),
        ("FENCE_ACTION", 1.0),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use flight_rules::{FenceCircle, FencePolygon, LatLon};

    #[test]
    fn items_are_numbered_and_typed() {
        let plan = FencePlan {
            polygons: vec![FencePolygon {
                inclusion: true,
                vertices: vec![
                    LatLon::new(43.51, 4.98),
                    LatLon::new(43.52, 4.98),
                    LatLon::new(43.52, 4.99),
                ],
            }],
            circles: vec![FenceCircle {
                inclusion: false,
                center: LatLon::new(43.5225, 4.924),
                radius_m: 500.0,
            }],
            alt_max_rel_home_m: 120.0,
            exclusions_from: vec![],
        };
        let it = items(&plan);
        assert_eq!(
            it.iter().map(|i| i.seq).collect::<Vec<_>>(),
            vec![0, 1, 2, 3]
        );
        assert_eq!(
            it.iter().map(|i| i.command).collect::<Vec<_>>(),
            vec![5001, 5001, 5001, 5004]
        );
        assert_eq!((it[0].param1, it[3].param1), (3.0, 500.0));
        assert_eq!(it[1].x, 435_200_000);
        assert!(params(&plan).contains(&("FENCE_ALT_MAX", 120.0)));
    }
}

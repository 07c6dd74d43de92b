//! A [`flight_rules::FencePlan`] as ArduPilot fence items (built by the link) and parameters.

use flight_rules::FencePlan;
use vigie_link::{MissionItem, ParamType};

/// Fence items the station allows itself on an ArduPilot vehicle (FENCE_TOTAL is typically far
/// larger; a small fence uploads fast over a weak radio).
pub const VERTEX_BUDGET: usize = 70;

pub fn items(plan: &FencePlan) -> Vec<MissionItem> {
    let mut out = Vec::with_capacity(plan.item_count());
    for (group, poly) in plan.polygons.iter().enumerate() {
        let n = u16::try_from(poly.vertices.len()).unwrap_or(u16::MAX);
        for v in &poly.vertices {
            out.push(MissionItem::fence_vertex(
                out.len() as u16,
                v.lat_deg,
                v.lon_deg,
                n,
                poly.inclusion,
                // Each inclusion polygon stands alone: ArduPilot combines polygons of one group.
                u8::try_from(group).unwrap_or(u8::MAX),
            ));
        }
    }
    for c in &plan.circles {
        out.push(MissionItem::fence_circle(
            out.len() as u16,
            c.center.lat_deg,
            c.center.lon_deg,
            c.radius_m as f32,
            c.inclusion,
        ));
    }
    out
}

/// Parameters that go with the items: the ceiling, RTL on breach, and FENCE_TYPE = altitude (1) +
/// polygon (4). Bit 2 ("circle") is ArduPilot's home-centred FENCE_RADIUS, not our uploaded
/// circles (those belong to the polygon fence), so it stays off.
pub fn params(plan: &FencePlan) -> Vec<(&'static str, f64, ParamType)> {
    vec![
        ("FENCE_ALT_MAX", plan.alt_max_rel_home_m, ParamType::Real32),
        ("FENCE_TYPE", 5.0, ParamType::I8),
        ("FENCE_ACTION", 1.0, ParamType::I8),
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
        assert!(
            params(&plan)
                .iter()
                .any(|p| p.0 == "FENCE_ALT_MAX" && p.1 == 120.0)
        );
    }
}

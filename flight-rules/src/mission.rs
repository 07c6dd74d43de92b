//! Missions (MAVLink mission items) and QGroundControl `.plan` files.

use serde::Serialize;
use serde_json::Value;

use crate::error::ConfigError;
use crate::fence::{FenceCircle, FencePolygon};
use crate::types::{AltRef, Altitude, LatLon};
use crate::zone::{Applicability, Restriction, Shape, Zone, ZoneVolume, polygon_from_latlon};

/// MAVLink MAV_CMD numbers the rules care about.
pub mod cmd {
    pub const NAV_WAYPOINT: u16 = 16;
    pub const NAV_LOITER_UNLIM: u16 = 17;
    pub const NAV_LOITER_TURNS: u16 = 18;
    pub const NAV_LOITER_TIME: u16 = 19;
    pub const NAV_RETURN_TO_LAUNCH: u16 = 20;
    pub const NAV_LAND: u16 = 21;
    pub const NAV_TAKEOFF: u16 = 22;
    pub const NAV_LOITER_TO_ALT: u16 = 31;
    pub const NAV_SPLINE_WAYPOINT: u16 = 82;
    pub const DO_CHANGE_SPEED: u16 = 178;
}

/// MAVLink MAV_FRAME numbers for global items.
pub mod frame {
    pub const GLOBAL: u8 = 0;
    pub const MISSION: u8 = 2;
    pub const GLOBAL_RELATIVE_ALT: u8 = 3;
    pub const GLOBAL_INT: u8 = 5;
    pub const GLOBAL_RELATIVE_ALT_INT: u8 = 6;
    pub const GLOBAL_TERRAIN_ALT: u8 = 10;
    pub const GLOBAL_TERRAIN_ALT_INT: u8 = 11;
}

/// One mission item, as uploaded (MISSION_ITEM_INT semantics; params 5/6/7 = lat/lon/alt for
/// navigation commands; NaN where QGroundControl wrote null).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MissionItem {
    pub seq: u16,
    pub command: u16,
    pub frame: u8,
    pub params: [f64; 7],
    pub autocontinue: bool,
}

impl MissionItem {
    /// A navigation waypoint at `pos`, `alt_rel_home_m` above home.
    pub fn waypoint(seq: u16, pos: LatLon, alt_rel_home_m: f64) -> Self {
        Self {
            seq,
            command: cmd::NAV_WAYPOINT,
            frame: frame::GLOBAL_RELATIVE_ALT,
            params: [
                0.0,
                0.0,
                0.0,
                f64::NAN,
                pos.lat_deg,
                pos.lon_deg,
                alt_rel_home_m,
            ],
            autocontinue: true,
        }
    }

    pub fn takeoff(seq: u16, alt_rel_home_m: f64) -> Self {
        Self {
            seq,
            command: cmd::NAV_TAKEOFF,
            frame: frame::GLOBAL_RELATIVE_ALT,
            params: [0.0, 0.0, 0.0, f64::NAN, 0.0, 0.0, alt_rel_home_m],
            autocontinue: true,
        }
    }

    /// The altitude reference of params[6], when the frame is global.
    pub fn alt_ref(&self) -> Option<AltRef> {
        match self.frame {
            frame::GLOBAL | frame::GLOBAL_INT => Some(AltRef::Amsl),
            frame::GLOBAL_RELATIVE_ALT | frame::GLOBAL_RELATIVE_ALT_INT => Some(AltRef::RelHome),
            frame::GLOBAL_TERRAIN_ALT | frame::GLOBAL_TERRAIN_ALT_INT => Some(AltRef::Agl),
            _ => None,
        }
    }

    pub fn altitude(&self) -> Option<Altitude> {
        let r = self.alt_ref()?;
        self.params[6].is_finite().then_some(Altitude {
            value_m: self.params[6],
            reference: r,
        })
    }

    /// Horizontal position, for commands that carry one (0,0 means "here" for take-off / land).
    pub fn position(&self) -> Option<LatLon> {
        let p = LatLon::new(self.params[4], self.params[5]);
        (self.alt_ref().is_some() && p.is_valid() && !(p.lat_deg == 0.0 && p.lon_deg == 0.0))
            .then_some(p)
    }

    fn is_path_point(&self) -> bool {
        matches!(
            self.command,
            cmd::NAV_WAYPOINT
                | cmd::NAV_LOITER_UNLIM
                | cmd::NAV_LOITER_TURNS
                | cmd::NAV_LOITER_TIME
                | cmd::NAV_LOITER_TO_ALT
                | cmd::NAV_SPLINE_WAYPOINT
                | cmd::NAV_LAND
                | cmd::NAV_TAKEOFF
                | cmd::NAV_RETURN_TO_LAUNCH
        )
    }
}

/// A point of the flown path derived from a mission.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PathPoint {
    /// Mission item it comes from (None for the start at home).
    pub seq: Option<u16>,
    pub pos: LatLon,
    pub alt: Altitude,
}

/// A mission: items in upload order (ArduPilot's item 0 = home is not included).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Mission {
    pub items: Vec<MissionItem>,
    /// Planned home (take-off point) and its elevation AMSL, when the plan gives one.
    pub planned_home: Option<(LatLon, f64)>,
    pub cruise_speed_mps: Option<f64>,
    pub hover_speed_mps: Option<f64>,
}

impl Mission {
    /// The path the vehicle flies: from `home` (on the ground), through every navigation item,
    /// with take-off climbing over home, LAND at 0,0 descending in place, RTL returning home.
    pub fn path(&self, home: LatLon) -> Vec<PathPoint> {
        let mut out = vec![PathPoint {
            seq: None,
            pos: home,
            alt: Altitude::agl(0.0), // on the ground at home
        }];
        for it in self.items.iter().filter(|i| i.is_path_point()) {
            let Some(&last) = out.last() else { continue };
            let pt = match it.command {
                cmd::NAV_TAKEOFF => PathPoint {
                    seq: Some(it.seq),
                    pos: it.position().unwrap_or(last.pos),
                    alt: it.altitude().unwrap_or(last.alt),
                },
                cmd::NAV_RETURN_TO_LAUNCH => PathPoint {
                    seq: Some(it.seq),
                    pos: home,
                    alt: last.alt,
                },
                cmd::NAV_LAND => {
                    let pos = it.position().unwrap_or(last.pos);
                    // Fly there at the current altitude, then descend.
                    out.push(PathPoint {
                        seq: Some(it.seq),
                        pos,
                        alt: last.alt,
                    });
                    PathPoint {
                        seq: Some(it.seq),
                        pos,
                        alt: Altitude::agl(0.0),
                    }
                }
                _ => PathPoint {
                    seq: Some(it.seq),
                    pos: it.position().unwrap_or(last.pos),
                    alt: it.altitude().unwrap_or(last.alt),
                },
            };
            out.push(pt);
        }
        out
    }

    /// Horizontal length of the path from `home`, metres.
    pub fn length_m(&self, home: LatLon) -> f64 {
        self.path(home)
            .windows(2)
            .map(|w| w[0].pos.distance_m(&w[1].pos))
            .sum()
    }

    /// Every navigation item with a usable altitude, and those without (bad frames).
    pub fn items_without_altitude(&self) -> Vec<u16> {
        self.items
            .iter()
            .filter(|i| {
                i.is_path_point()
                    && i.command != cmd::NAV_RETURN_TO_LAUNCH
                    && i.command != cmd::NAV_LAND
                    && i.altitude().is_none()
            })
            .map(|i| i.seq)
            .collect()
    }
}

/// The geoFence section of a plan.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct PlanFence {
    pub polygons: Vec<FencePolygon>,
    pub circles: Vec<FenceCircle>,
    pub breach_return: Option<(LatLon, f64)>,
}

impl PlanFence {
    /// Exclusion polygons and circles as PROHIBITED zones (surface to unlimited), so the zone
    /// queries apply to them too.
    pub fn exclusion_zones(&self, file: &str) -> Vec<Zone> {
        let mk = |i: usize, shape: Shape| Zone {
            identifier: format!("{file}#fence-exclusion-{}", i + 1),
            country: None,
            name: format!("exclusion fence {} of {file}", i + 1),
            restriction: Restriction::Prohibited,
            reasons: vec!["PLAN_FENCE".into()],
            message: None,
            volumes: vec![ZoneVolume {
                shape,
                lower: Altitude::agl(f64::NEG_INFINITY),
                upper: Altitude::agl(f64::INFINITY),
            }],
            applicability: Applicability::permanent(),
            authorities: vec![],
            source: file.to_string(),
        };
        let polys = self
            .polygons
            .iter()
            .filter(|p| !p.inclusion)
            .map(|p| Shape::Polygon(polygon_from_latlon(&p.vertices)));
        let circles = self
            .circles
            .iter()
            .filter(|c| !c.inclusion)
            .map(|c| Shape::Circle {
                center: c.center,
                radius_m: c.radius_m,
            });
        polys
            .chain(circles)
            .enumerate()
            .map(|(i, s)| mk(i, s))
            .collect()
    }
}

/// A rally point (altitude above home).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RallyPoint {
    pub pos: LatLon,
    pub alt_rel_home_m: f64,
}

/// A QGroundControl `.plan`: mission, geofence and rally points.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct QgcPlan {
    pub mission: Mission,
    pub fence: PlanFence,
    pub rally: Vec<RallyPoint>,
}

/// Parse a QGroundControl `.plan` (JSON, fileType "Plan"). `file` names it in errors.
pub fn parse_qgc_plan(text: &str, file: &str) -> Result<QgcPlan, ConfigError> {
    let root: Value = serde_json::from_str(text).map_err(|e| ConfigError::json(file, &e))?;
    let bad = |field: &str, problem: &str| ConfigError::field(file, field, problem);
    let Value::Object(o) = &root else {
        return Err(bad("(root)", "a .plan is a JSON object"));
    };
    match o.get("fileType").and_then(Value::as_str) {
        Some("Plan") => {}
        other => {
            return Err(bad(
                "fileType",
                &format!("expected \"Plan\", got {other:?}: is this a QGroundControl .plan?"),
            ));
        }
    }
    let mut plan = QgcPlan::default();
    if let Some(m) = o.get("mission").filter(|v| !v.is_null()) {
        let m = m
            .as_object()
            .ok_or_else(|| bad("mission", "expected an object"))?;
        if let Some(h) = m.get("plannedHomePosition").filter(|v| !v.is_null()) {
            let a = h.as_array().filter(|a| a.len() >= 3);
            let vals: Option<Vec<f64>> =
                a.and_then(|a| a.iter().take(3).map(num).collect::<Option<Vec<f64>>>());
            let Some(v) = vals else {
                return Err(bad(
                    "mission.plannedHomePosition",
                    "expected [latitude, longitude, altitude AMSL]",
                ));
            };
            let p = LatLon::new(v[0], v[1]);
            if !p.is_valid() {
                return Err(bad(
                    "mission.plannedHomePosition",
                    "latitude/longitude out of range",
                ));
            }
            plan.mission.planned_home = Some((p, v[2]));
        }
        plan.mission.cruise_speed_mps = m.get("cruiseSpeed").and_then(num).filter(|s| *s > 0.0);
        plan.mission.hover_speed_mps = m.get("hoverSpeed").and_then(num).filter(|s| *s > 0.0);
        let items = match m.get("items") {
            None | Some(Value::Null) => vec![],
            Some(Value::Array(a)) => a.clone(),
            Some(_) => return Err(bad("mission.items", "expected a list")),
        };
        let mut out = vec![];
        for (i, it) in items.iter().enumerate() {
            collect_items(it, &format!("mission.items[{i}]"), file, &mut out)?;
        }
        for (seq, it) in out.iter_mut().enumerate() {
            it.seq =
                u16::try_from(seq).map_err(|_| bad("mission.items", "more than 65535 items"))?;
        }
        plan.mission.items = out;
    }
    if let Some(g) = o.get("geoFence").filter(|v| !v.is_null()) {
        plan.fence = parse_fence(g, file)?;
    }
    if let Some(r) = o
        .get("rallyPoints")
        .and_then(|r| r.get("points"))
        .and_then(Value::as_array)
    {
        for (i, p) in r.iter().enumerate() {
            let f = format!("rallyPoints.points[{i}]");
            let v = p
                .as_array()
                .filter(|a| a.len() >= 3)
                .and_then(|a| a.iter().take(3).map(num).collect::<Option<Vec<f64>>>());
            let Some(v) = v else {
                return Err(bad(&f, "expected [latitude, longitude, altitude]"));
            };
            let pos = LatLon::new(v[0], v[1]);
            if !pos.is_valid() {
                return Err(bad(&f, "latitude/longitude out of range"));
            }
            plan.rally.push(RallyPoint {
                pos,
                alt_rel_home_m: v[2],
            });
        }
    }
    Ok(plan)
}

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn collect_items(
    it: &Value,
    field: &str,
    file: &str,
    out: &mut Vec<MissionItem>,
) -> Result<(), ConfigError> {
    let bad = |f: &str, problem: &str| ConfigError::field(file, f, problem);
    let Value::Object(o) = it else {
        return Err(bad(field, "expected an object"));
    };
    match o.get("type").and_then(Value::as_str) {
        Some("SimpleItem") => {
            let command = o
                .get("command")
                .and_then(Value::as_u64)
                .and_then(|c| u16::try_from(c).ok())
                .ok_or_else(|| {
                    bad(
                        &format!("{field}.command"),
                        "missing or not a MAV_CMD number",
                    )
                })?;
            let frame = o
                .get("frame")
                .and_then(Value::as_u64)
                .and_then(|c| u8::try_from(c).ok())
                .ok_or_else(|| {
                    bad(
                        &format!("{field}.frame"),
                        "missing or not a MAV_FRAME number",
                    )
                })?;
            let p = o
                .get("params")
                .and_then(Value::as_array)
                .filter(|a| a.len() == 7)
                .ok_or_else(|| {
                    bad(
                        &format!("{field}.params"),
                        "expected a list of 7 numbers (null allowed)",
                    )
                })?;
            let mut params = [f64::NAN; 7];
            for (k, v) in p.iter().enumerate() {
                params[k] = match v {
                    Value::Null => f64::NAN,
                    other => num(other)
                        .ok_or_else(|| bad(&format!("{field}.params[{k}]"), "not a number"))?,
                };
            }
            let item = MissionItem {
                seq: 0,
                command,
                frame,
                params,
                autocontinue: o
                    .get("autoContinue")
                    .and_then(Value::as_bool)
                    .unwrap_or(true),
            };
            if item.is_path_point() && item.alt_ref().is_some() {
                let p = LatLon::new(params[4], params[5]);
                let zero = params[4] == 0.0 && params[5] == 0.0;
                let allow_zero = matches!(
                    command,
                    cmd::NAV_TAKEOFF | cmd::NAV_LAND | cmd::NAV_RETURN_TO_LAUNCH
                );
                if !(p.is_valid() && (!zero || allow_zero)) && command != cmd::NAV_RETURN_TO_LAUNCH
                {
                    return Err(bad(
                        &format!("{field}.params[4]"),
                        "latitude/longitude missing or out of range",
                    ));
                }
            }
            out.push(item);
            Ok(())
        }
        Some("ComplexItem") => {
            // QGroundControl saves the generated items of surveys / corridor / structure scans.
            let generated = o
                .get("TransectStyleComplexItem")
                .and_then(|t| t.get("Items"))
                .or_else(|| o.get("Items"))
                .and_then(Value::as_array);
            let Some(g) = generated else {
                let kind = o
                    .get("complexItemType")
                    .and_then(Value::as_str)
                    .unwrap_or("?");
                return Err(bad(
                    field,
                    &format!(
                        "complex item {kind:?} has no generated items: open and re-save the plan in QGroundControl"
                    ),
                ));
            };
            for (j, sub) in g.iter().enumerate() {
                collect_items(sub, &format!("{field}.Items[{j}]"), file, out)?;
            }
            Ok(())
        }
        other => Err(bad(
            &format!("{field}.type"),
            &format!("expected SimpleItem or ComplexItem, got {other:?}"),
        )),
    }
}

fn parse_fence(g: &Value, file: &str) -> Result<PlanFence, ConfigError> {
    let bad = |f: &str, problem: &str| ConfigError::field(file, f, problem);
    let mut fence = PlanFence::default();
    for (i, p) in g
        .get("polygons")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let f = format!("geoFence.polygons[{i}]");
        let inclusion = p
            .get("inclusion")
            .and_then(Value::as_bool)
            .ok_or_else(|| bad(&format!("{f}.inclusion"), "missing true/false"))?;
        let pts = p
            .get("polygon")
            .and_then(Value::as_array)
            .ok_or_else(|| bad(&format!("{f}.polygon"), "missing list of [lat, lon]"))?;
        let mut vertices = vec![];
        for (k, q) in pts.iter().enumerate() {
            let v = q
                .as_array()
                .filter(|a| a.len() >= 2)
                .and_then(|a| Some((num(&a[0])?, num(&a[1])?)));
            let Some((lat, lon)) = v else {
                return Err(bad(
                    &format!("{f}.polygon[{k}]"),
                    "expected [latitude, longitude]",
                ));
            };
            let ll = LatLon::new(lat, lon);
            if !ll.is_valid() {
                return Err(bad(
                    &format!("{f}.polygon[{k}]"),
                    "latitude/longitude out of range",
                ));
            }
            vertices.push(ll);
        }
        if vertices.len() < 3 {
            return Err(bad(
                &format!("{f}.polygon"),
                "a fence polygon needs at least 3 vertices",
            ));
        }
        fence.polygons.push(FencePolygon {
            inclusion,
            vertices,
        });
    }
    for (i, c) in g
        .get("circles")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let f = format!("geoFence.circles[{i}]");
        let inclusion = c
            .get("inclusion")
            .and_then(Value::as_bool)
            .ok_or_else(|| bad(&format!("{f}.inclusion"), "missing true/false"))?;
        let circle = c
            .get("circle")
            .ok_or_else(|| bad(&format!("{f}.circle"), "missing"))?;
        let center = circle
            .get("center")
            .and_then(Value::as_array)
            .filter(|a| a.len() >= 2)
            .and_then(|a| Some(LatLon::new(num(&a[0])?, num(&a[1])?)))
            .filter(LatLon::is_valid)
            .ok_or_else(|| {
                bad(
                    &format!("{f}.circle.center"),
                    "expected [latitude, longitude]",
                )
            })?;
        let radius_m = circle
            .get("radius")
            .and_then(num)
            .filter(|r| *r > 0.0)
            .ok_or_else(|| {
                bad(
                    &format!("{f}.circle.radius"),
                    "expected a positive radius in metres",
                )
            })?;
        fence.circles.push(FenceCircle {
            inclusion,
            center,
            radius_m,
        });
    }
    if let Some(b) = g.get("breachReturn").and_then(Value::as_array)
        && b.len() >= 3
        && let (Some(lat), Some(lon), Some(alt)) = (num(&b[0]), num(&b[1]), num(&b[2]))
    {
        let p = LatLon::new(lat, lon);
        if p.is_valid() && !(lat == 0.0 && lon == 0.0) {
            fence.breach_return = Some((p, alt));
        }
    }
    Ok(fence)
}

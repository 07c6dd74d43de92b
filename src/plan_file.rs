//! QGroundControl `.plan` files, read and written with every field QGroundControl writes, so an
//! exported file opens in QGroundControl and re-imports identical.
//!
//! Format (QGroundControl's `PlanMasterController` / `MissionController` / `SimpleMissionItem`):
//! `{"fileType": "Plan", "version": 1, "groundStation", "mission": {"version": 2,
//! "firmwareType", "vehicleType", "cruiseSpeed", "hoverSpeed", "globalPlanAltitudeMode",
//! "plannedHomePosition": [lat, lon, alt AMSL], "items": [{"type": "SimpleItem", "command",
//! "frame", "params": [7 numbers, null for NaN], "autoContinue", "doJumpId", "Altitude",
//! "AltitudeMode", "AMSLAltAboveTerrain"}]}, "geoFence": {"version": 2, "polygons":
//! [{"inclusion", "polygon": [[lat, lon]…], "version": 1}], "circles": [{"inclusion",
//! "circle": {"center": [lat, lon], "radius"}, "version": 1}]}, "rallyPoints": {"version": 2,
//! "points": [[lat, lon, alt]…]}}`. Keys are written sorted, as QGroundControl's JSON writer
//! does. Validation of a file (fields, ranges) is `flight_rules::parse_qgc_plan`'s; this module
//! keeps what the rules do not need (altitude modes, vehicle and firmware types).

use flight_rules::{
    FenceCircle, FencePolygon, LatLon, Mission, MissionItem, QgcPlan, RallyPoint, parse_qgc_plan,
};
use serde_json::{Value, json};

/// QGroundControl's altitude modes (`QGroundControlQmlGlobal::AltMode`).
pub mod alt_mode {
    pub const MIXED: u8 = 0;
    pub const RELATIVE: u8 = 1;
    pub const ABSOLUTE: u8 = 2;
    pub const CALC_ABOVE_TERRAIN: u8 = 3;
    pub const TERRAIN_FRAME: u8 = 4;
}

/// MAV_AUTOPILOT_ARDUPILOTMEGA, MAV_TYPE_QUADROTOR.
pub const FIRMWARE_ARDUPILOT: u8 = 3;
pub const VEHICLE_QUADROTOR: u8 = 2;

/// One mission item with QGroundControl's own fields beside MAVLink's.
#[derive(Debug, Clone)]
pub struct PlanItem {
    pub command: u16,
    pub frame: u8,
    /// None where QGroundControl writes null (NaN in MAVLink).
    pub params: [Option<f64>; 7],
    pub auto_continue: bool,
    pub altitude_mode: u8,
    /// The altitude as the pilot typed it (QGroundControl's `Altitude`).
    pub altitude: Option<f64>,
    pub amsl_alt_above_terrain: Option<f64>,
}

/// Equal when every field is, with null equal to null (NaN never is).
impl PartialEq for PlanItem {
    fn eq(&self, o: &Self) -> bool {
        self.command == o.command
            && self.frame == o.frame
            && self.params == o.params
            && self.auto_continue == o.auto_continue
            && self.altitude_mode == o.altitude_mode
            && self.altitude == o.altitude
            && self.amsl_alt_above_terrain == o.amsl_alt_above_terrain
    }
}

impl PlanItem {
    /// A navigation item at `pos`, `alt_m` above home (GLOBAL_RELATIVE_ALT, mode Relative).
    pub fn nav(command: u16, pos: LatLon, alt_m: f64, p1: f64) -> Self {
        PlanItem {
            command,
            frame: flight_rules::mission::frame::GLOBAL_RELATIVE_ALT,
            params: [
                Some(p1),
                Some(0.0),
                Some(0.0),
                None,
                Some(pos.lat_deg),
                Some(pos.lon_deg),
                Some(alt_m),
            ],
            auto_continue: true,
            altitude_mode: alt_mode::RELATIVE,
            altitude: Some(alt_m),
            amsl_alt_above_terrain: None,
        }
    }

    pub fn position(&self) -> Option<LatLon> {
        let (lat, lon) = (self.params[4]?, self.params[5]?);
        let p = LatLon::new(lat, lon);
        (p.is_valid() && !(lat == 0.0 && lon == 0.0)).then_some(p)
    }

    pub fn set_position(&mut self, p: LatLon) {
        self.params[4] = Some(p.lat_deg);
        self.params[5] = Some(p.lon_deg);
    }

    pub fn alt_m(&self) -> Option<f64> {
        self.params[6]
    }

    pub fn set_alt_m(&mut self, alt: f64) {
        self.params[6] = Some(alt);
        self.altitude = Some(alt);
    }

    pub fn to_mission_item(&self, seq: u16) -> MissionItem {
        let mut params = [f64::NAN; 7];
        for (k, p) in self.params.iter().enumerate() {
            params[k] = p.unwrap_or(f64::NAN);
        }
        MissionItem {
            seq,
            command: self.command,
            frame: self.frame,
            params,
            autocontinue: self.auto_continue,
        }
    }
}

/// A whole plan as QGroundControl keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanFile {
    pub ground_station: String,
    pub firmware_type: u8,
    pub vehicle_type: u8,
    pub cruise_speed_mps: f64,
    pub hover_speed_mps: f64,
    pub global_alt_mode: u8,
    /// Planned home: position and altitude AMSL.
    pub planned_home: Option<(LatLon, f64)>,
    pub items: Vec<PlanItem>,
    pub fence_polygons: Vec<FencePolygon>,
    pub fence_circles: Vec<FenceCircle>,
    pub breach_return: Option<(LatLon, f64)>,
    pub rally: Vec<RallyPoint>,
}

impl Default for PlanFile {
    fn default() -> Self {
        PlanFile {
            ground_station: "Vigie".into(),
            firmware_type: FIRMWARE_ARDUPILOT,
            vehicle_type: VEHICLE_QUADROTOR,
            cruise_speed_mps: 10.0,
            hover_speed_mps: 5.0,
            global_alt_mode: alt_mode::RELATIVE,
            planned_home: None,
            items: vec![],
            fence_polygons: vec![],
            fence_circles: vec![],
            breach_return: None,
            rally: vec![],
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    /// The file's own problem, naming the file and the field (from `flight_rules`).
    #[error(transparent)]
    Invalid(#[from] flight_rules::ConfigError),
    #[error("{file}: field `{field}`: {problem}")]
    Field {
        file: String,
        field: String,
        problem: String,
    },
}

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn opt_num(v: Option<&Value>) -> Option<f64> {
    v.and_then(num)
}

fn u8_of(v: Option<&Value>) -> Option<u8> {
    v.and_then(Value::as_u64).and_then(|n| u8::try_from(n).ok())
}

/// The SimpleItems of a mission's `items`, surveys' generated items flattened in order (the
/// same walk as `flight_rules::parse_qgc_plan`, which has already validated them).
fn simple_items<'a>(items: &'a [Value], out: &mut Vec<&'a serde_json::Map<String, Value>>) {
    for it in items {
        let Some(o) = it.as_object() else { continue };
        match o.get("type").and_then(Value::as_str) {
            Some("SimpleItem") => out.push(o),
            Some("ComplexItem") => {
                if let Some(g) = o
                    .get("TransectStyleComplexItem")
                    .and_then(|t| t.get("Items"))
                    .or_else(|| o.get("Items"))
                    .and_then(Value::as_array)
                {
                    simple_items(g, out);
                }
            }
            _ => {}
        }
    }
}

impl PlanFile {
    /// Read a `.plan`; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<PlanFile, PlanFileError> {
        let checked: QgcPlan = parse_qgc_plan(text, file)?;
        let root: Value = serde_json::from_str(text).map_err(|e| PlanFileError::Field {
            file: file.into(),
            field: "(root)".into(),
            problem: e.to_string(),
        })?;
        let mission = root.get("mission");
        let mut raw = vec![];
        if let Some(items) = mission
            .and_then(|m| m.get("items"))
            .and_then(Value::as_array)
        {
            simple_items(items, &mut raw);
        }
        let items = checked
            .mission
            .items
            .iter()
            .zip(raw.iter().copied().chain(std::iter::repeat_with(|| {
                static EMPTY: std::sync::OnceLock<serde_json::Map<String, Value>> =
                    std::sync::OnceLock::new();
                EMPTY.get_or_init(serde_json::Map::new)
            })))
            .map(|(m, o)| {
                let mut params = [None; 7];
                for (k, p) in m.params.iter().enumerate() {
                    params[k] = p.is_finite().then_some(*p);
                }
                PlanItem {
                    command: m.command,
                    frame: m.frame,
                    params,
                    auto_continue: m.autocontinue,
                    altitude_mode: u8_of(o.get("AltitudeMode")).unwrap_or(alt_mode::RELATIVE),
                    altitude: opt_num(o.get("Altitude")),
                    amsl_alt_above_terrain: opt_num(o.get("AMSLAltAboveTerrain")),
                }
            })
            .collect();
        let mget = |k: &str| mission.and_then(|m| m.get(k));
        Ok(PlanFile {
            ground_station: root
                .get("groundStation")
                .and_then(Value::as_str)
                .unwrap_or("QGroundControl")
                .to_string(),
            firmware_type: u8_of(mget("firmwareType")).unwrap_or(FIRMWARE_ARDUPILOT),
            vehicle_type: u8_of(mget("vehicleType")).unwrap_or(VEHICLE_QUADROTOR),
            cruise_speed_mps: checked.mission.cruise_speed_mps.unwrap_or(10.0),
            hover_speed_mps: checked.mission.hover_speed_mps.unwrap_or(5.0),
            global_alt_mode: u8_of(mget("globalPlanAltitudeMode")).unwrap_or(alt_mode::RELATIVE),
            planned_home: checked.mission.planned_home,
            items,
            fence_polygons: checked.fence.polygons,
            fence_circles: checked.fence.circles,
            breach_return: checked.fence.breach_return,
            rally: checked.rally,
        })
    }

    /// The JSON QGroundControl writes (keys sorted, 4-space indentation like QGC).
    pub fn to_json(&self) -> String {
        let opt = |v: Option<f64>| v.map_or(Value::Null, |x| json!(x));
        let items: Vec<Value> = self
            .items
            .iter()
            .enumerate()
            .map(|(i, it)| {
                json!({
                    "AMSLAltAboveTerrain": opt(it.amsl_alt_above_terrain),
                    "Altitude": opt(it.altitude),
                    "AltitudeMode": it.altitude_mode,
                    "autoContinue": it.auto_continue,
                    "command": it.command,
                    "doJumpId": i + 1,
                    "frame": it.frame,
                    "params": it.params.iter().map(|p| opt(*p)).collect::<Vec<_>>(),
                    "type": "SimpleItem",
                })
            })
            .collect();
        let home = self.planned_home.map_or(json!([0.0, 0.0, 0.0]), |(p, a)| {
            json!([p.lat_deg, p.lon_deg, a])
        });
        let mut fence = json!({
            "circles": self.fence_circles.iter().map(|c| json!({
                "circle": {"center": [c.center.lat_deg, c.center.lon_deg], "radius": c.radius_m},
                "inclusion": c.inclusion,
                "version": 1,
            })).collect::<Vec<_>>(),
            "polygons": self.fence_polygons.iter().map(|p| json!({
                "inclusion": p.inclusion,
                "polygon": p.vertices.iter().map(|v| json!([v.lat_deg, v.lon_deg])).collect::<Vec<_>>(),
                "version": 1,
            })).collect::<Vec<_>>(),
            "version": 2,
        });
        if let Some((p, a)) = self.breach_return {
            fence["breachReturn"] = json!([p.lat_deg, p.lon_deg, a]);
        }
        let root = json!({
            "fileType": "Plan",
            "geoFence": fence,
            "groundStation": self.ground_station,
            "mission": {
                "cruiseSpeed": self.cruise_speed_mps,
                "firmwareType": self.firmware_type,
                "globalPlanAltitudeMode": self.global_alt_mode,
                "hoverSpeed": self.hover_speed_mps,
                "items": items,
                "plannedHomePosition": home,
                "vehicleType": self.vehicle_type,
                "version": 2,
            },
            "rallyPoints": {
                "points": self.rally.iter().map(|r| json!([r.pos.lat_deg, r.pos.lon_deg, r.alt_rel_home_m])).collect::<Vec<_>>(),
                "version": 2,
            },
            "version": 1,
        });
        let mut buf = Vec::new();
        let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
        match serde::Serialize::serialize(&root, &mut ser) {
            Ok(()) => {
                let mut s = String::from_utf8(buf).unwrap_or_default();
                s.push('\n');
                s
            }
            Err(_) => root.to_string(),
        }
    }

    /// The mission the rules judge and the station uploads.
    pub fn mission(&self) -> Mission {
        Mission {
            items: self
                .items
                .iter()
                .enumerate()
                .map(|(i, it)| it.to_mission_item(u16::try_from(i).unwrap_or(u16::MAX)))
                .collect(),
            planned_home: self.planned_home,
            cruise_speed_mps: Some(self.cruise_speed_mps),
            hover_speed_mps: Some(self.hover_speed_mps),
        }
    }
}

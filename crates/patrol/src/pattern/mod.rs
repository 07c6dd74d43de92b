//! Patrol patterns over a forest polygon — perimeter, survey grid, ridge line — and the mission
//! (MAVLink items) that flies one: take-off, waypoints at relative or terrain-frame altitudes,
//! RTL. Every leg, the way out and the way home included, goes round the blocking zones given as
//! [`Obstacle`]s; the result is still judged by the rules before upload (`crate::check`).

mod grid;
mod perimeter;
mod ridge;
mod route;

pub use grid::{GridOptions, survey_grid};
pub use perimeter::perimeter_pattern;
pub use ridge::{crest_line, ridge_line};
pub use route::{Obstacle, blocking_obstacles};

use flight_rules::mission::{cmd, frame};
use flight_rules::{LatLon, Mission, MissionItem};
use serde::{Deserialize, Serialize};

use crate::camera::CameraModel;
use crate::local::{LocalFrame, dist, lerp};
use crate::terrain::ElevationGrid;

/// How high the patrol flies.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum AltitudeMode {
    /// This height above home (MAV_FRAME_GLOBAL_RELATIVE_ALT), whatever the ground does.
    RelativeHome { alt_m: f64 },
    /// This height above the terrain, terrain-frame items (MAV_FRAME_GLOBAL_TERRAIN_ALT): the
    /// autopilot follows its own terrain data (ArduPilot TERRAIN_ENABLE).
    AboveTerrain { agl_m: f64 },
    /// This height above the terrain from the station's grid, sent as heights above home on
    /// legs cut short enough to follow the ground (no terrain data needed on board).
    TerrainFollowRelative { agl_m: f64 },
}

impl AltitudeMode {
    /// The height above the ground the pattern is designed for (flat ground for relative).
    pub fn nominal_agl_m(&self) -> f64 {
        match *self {
            AltitudeMode::RelativeHome { alt_m } => alt_m,
            AltitudeMode::AboveTerrain { agl_m }
            | AltitudeMode::TerrainFollowRelative { agl_m } => agl_m,
        }
    }
}

/// What every pattern needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatrolSettings {
    pub home: LatLon,
    /// Home's ground elevation, m AMSL (HOME_POSITION, or the terrain model there).
    pub home_amsl_m: f64,
    pub altitude: AltitudeMode,
    /// Take-off climb above home before the first leg.
    pub takeoff_alt_m: f64,
    /// Ground speed to fly at (DO_CHANGE_SPEED); None keeps the autopilot's.
    pub cruise_speed_mps: Option<f64>,
    pub camera: CameraModel,
    /// Point the gimbal at this pitch at the start (DO_GIMBAL_MANAGER_PITCHYAW; −90 = down).
    pub gimbal_pitch_deg: Option<f64>,
    /// Longest leg when following the terrain from the grid, metres.
    pub terrain_step_m: f64,
}

impl PatrolSettings {
    pub fn new(
        home: LatLon,
        home_amsl_m: f64,
        altitude: AltitudeMode,
        camera: CameraModel,
    ) -> Self {
        Self {
            home,
            home_amsl_m,
            altitude,
            takeoff_alt_m: 30.0,
            cruise_speed_mps: None,
            camera,
            gimbal_pitch_deg: Some(-90.0),
            terrain_step_m: 100.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PatternKind {
    /// A closed loop `inset_m` inside the forest's edge.
    Perimeter { inset_m: f64 },
    /// Parallel lines `spacing_m` apart along `heading_deg`.
    SurveyGrid {
        heading_deg: f64,
        spacing_m: f64,
        lines: usize,
    },
    /// Along a ridge at constant height above the terrain.
    RidgeLine,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PatternError {
    #[error("the forest polygon is not usable: {0}")]
    BadArea(String),
    #[error("{what} must be {expected}, got {got}")]
    BadSetting {
        what: &'static str,
        expected: &'static str,
        got: f64,
    },
    #[error("an inset of {inset_m:.0} m leaves nothing of the polygon: choose a smaller one")]
    InsetTooLarge { inset_m: f64 },
    #[error("the zones to avoid cover the whole area: no line left to fly")]
    NothingToFly,
    #[error("the terrain model {grid} has no elevation at {at}: {why}")]
    TerrainUnknown {
        grid: String,
        at: LatLon,
        why: &'static str,
    },
    #[error("this pattern needs a terrain model: {0}")]
    TerrainRequired(&'static str),
    #[error("more than 65 535 mission items")]
    TooManyItems,
}

/// A generated patrol: the route (without home) and what made it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatrolPlan {
    pub kind: PatternKind,
    pub settings: PatrolSettings,
    /// The patrol proper, in order; home and the way out and back are added by the mission.
    pub route: Vec<LatLon>,
    /// Width of ground the camera sees across the track at the nominal height, metres.
    pub swath_width_m: f64,
    /// Zones the legs go round.
    pub obstacles: Vec<Obstacle>,
}

/// MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW.
const DO_GIMBAL_MANAGER_PITCHYAW: u16 = 1000;

impl PatrolPlan {
    /// Length of the patrol route alone, metres.
    pub fn route_length_m(&self) -> f64 {
        self.route.windows(2).map(|w| w[0].distance_m(&w[1])).sum()
    }

    /// The mission flying the whole route from home and back.
    pub fn mission(&self, terrain: Option<&ElevationGrid>) -> Result<Mission, PatternError> {
        self.mission_through(&self.route, terrain)
    }

    /// A mission from home through `points` (a stretch of the route, a sortie) and back: take-off,
    /// speed, gimbal, the legs (round the obstacles, cut to follow the terrain when asked), RTL.
    pub fn mission_through(
        &self,
        points: &[LatLon],
        terrain: Option<&ElevationGrid>,
    ) -> Result<Mission, PatternError> {
        let s = &self.settings;
        let f = LocalFrame::new(s.home);
        let obstacles: Vec<Vec<[f64; 2]>> = self.obstacles.iter().map(|o| o.hull_xy(&f)).collect();
        let mut items: Vec<MissionItem> = Vec::new();
        let push =
            |mut it: MissionItem, items: &mut Vec<MissionItem>| -> Result<(), PatternError> {
                it.seq = u16::try_from(items.len()).map_err(|_| PatternError::TooManyItems)?;
                items.push(it);
                Ok(())
            };
        push(MissionItem::takeoff(0, s.takeoff_alt_m), &mut items)?;
        if let Some(v) = s.cruise_speed_mps {
            push(
                MissionItem {
                    seq: 0,
                    command: cmd::DO_CHANGE_SPEED,
                    frame: frame::MISSION,
                    // Speed type 1 = ground speed; −1 throttle = no change.
                    params: [1.0, v, -1.0, 0.0, 0.0, 0.0, 0.0],
                    autocontinue: true,
                },
                &mut items,
            )?;
        }
        if let Some(p) = s.gimbal_pitch_deg {
            push(
                MissionItem {
                    seq: 0,
                    command: DO_GIMBAL_MANAGER_PITCHYAW,
                    frame: frame::MISSION,
                    params: [p, 0.0, f64::NAN, f64::NAN, 0.0, 0.0, 0.0],
                    autocontinue: true,
                },
                &mut items,
            )?;
        }
        let mut prev = f.to_xy(s.home);
        let mut chain: Vec<[f64; 2]> = Vec::new();
        for p in points
            .iter()
            .map(|p| f.to_xy(*p))
            .chain(std::iter::once(f.to_xy(s.home)))
        {
            if let Some(via) = route::route(prev, p, &obstacles) {
                chain.extend(via);
            }
            chain.push(p);
            prev = p;
        }
        // The last point is home itself. At a height above home, the RTL flies that leg. Following
        // the terrain, the way home follows it too, to a waypoint over home: a bare RTL would keep
        // the altitude of the last waypoint (ArduPilot's RTL_ALT is above home), hundreds of metres
        // over the ceiling when the patrol ended on a ridge above home.
        if matches!(s.altitude, AltitudeMode::RelativeHome { .. }) {
            chain.pop();
        }
        let mut last = f.to_xy(s.home);
        for p in chain.iter().copied() {
            let cut = matches!(s.altitude, AltitudeMode::TerrainFollowRelative { .. });
            let n = if cut {
                (dist(last, p) / s.terrain_step_m.max(10.0)).ceil().max(1.0) as usize
            } else {
                1
            };
            for k in 1..=n {
                let q = lerp(last, p, k as f64 / n as f64);
                let pos = f.to_latlon(q);
                push(self.waypoint(pos, terrain)?, &mut items)?;
            }
            last = p;
        }
        push(
            MissionItem {
                seq: 0,
                command: cmd::NAV_RETURN_TO_LAUNCH,
                frame: frame::MISSION,
                params: [0.0; 7],
                autocontinue: true,
            },
            &mut items,
        )?;
        Ok(Mission {
            items,
            planned_home: Some((s.home, s.home_amsl_m)),
            cruise_speed_mps: s.cruise_speed_mps,
            hover_speed_mps: None,
        })
    }

    fn waypoint(
        &self,
        pos: LatLon,
        terrain: Option<&ElevationGrid>,
    ) -> Result<MissionItem, PatternError> {
        let s = &self.settings;
        Ok(match s.altitude {
            AltitudeMode::RelativeHome { alt_m } => MissionItem::waypoint(0, pos, alt_m),
            AltitudeMode::AboveTerrain { agl_m } => {
                let mut it = MissionItem::waypoint(0, pos, agl_m);
                it.frame = frame::GLOBAL_TERRAIN_ALT;
                it
            }
            AltitudeMode::TerrainFollowRelative { agl_m } => {
                let grid = terrain.ok_or(PatternError::TerrainRequired(
                    "terrain-following with relative altitudes computes them from the grid",
                ))?;
                let g = grid
                    .elevation_m(pos)
                    .ok_or_else(|| PatternError::TerrainUnknown {
                        grid: grid.source().to_string(),
                        at: pos,
                        why: "a waypoint of the patrol is outside the grid or on a no-data cell",
                    })?;
                MissionItem::waypoint(0, pos, g + agl_m - s.home_amsl_m)
            }
        })
    }
}

pub(crate) fn check_positive(what: &'static str, v: f64) -> Result<(), PatternError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(PatternError::BadSetting {
            what,
            expected: "a positive number",
            got: v,
        })
    }
}

pub(crate) fn check_settings(s: &PatrolSettings) -> Result<(), PatternError> {
    if !s.home.is_valid() {
        return Err(PatternError::BadArea(
            "home position is not a valid latitude/longitude".into(),
        ));
    }
    if !s.home_amsl_m.is_finite() {
        return Err(PatternError::BadSetting {
            what: "home_amsl_m",
            expected: "a finite elevation",
            got: s.home_amsl_m,
        });
    }
    check_positive("the patrol height", s.altitude.nominal_agl_m())?;
    check_positive("takeoff_alt_m", s.takeoff_alt_m)?;
    if let Some(v) = s.cruise_speed_mps {
        check_positive("cruise_speed_mps", v)?;
    }
    if !s.camera.is_valid() {
        return Err(PatternError::BadSetting {
            what: "the camera's field of view",
            expected: "between 0 and 179 degrees with a non-empty image",
            got: s.camera.hfov_deg,
        });
    }
    Ok(())
}

/// The area as a metric polygon around home, checked.
pub(crate) fn area_xy(
    area: &geo::Polygon<f64>,
    f: &LocalFrame,
) -> Result<geo::Polygon<f64>, PatternError> {
    use geo::Area;
    let pts = crate::local::ring_points(area.exterior());
    if pts.len() < 3 {
        return Err(PatternError::BadArea("fewer than 3 vertices".into()));
    }
    if pts.iter().any(|p| !LatLon::new(p[1], p[0]).is_valid()) {
        return Err(PatternError::BadArea(
            "a vertex is not a valid longitude/latitude (x = lon, y = lat)".into(),
        ));
    }
    let xy = f.polygon_to_xy(area);
    if xy.unsigned_area() < 1.0 {
        return Err(PatternError::BadArea("its area is zero".into()));
    }
    Ok(xy)
}

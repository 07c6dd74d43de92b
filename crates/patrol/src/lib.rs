//! `vigie_patrol`: forest-fire patrols and pilot training, the pure half of issue 13.
//!
//! - [`terrain`]: elevation grids (ESRI ASCII, GeoTIFF, the simulator's), bilinear lookup.
//! - [`pattern`]: perimeter, survey grid and ridge-line patterns over a forest polygon, and the
//!   `flight_rules::Mission` that flies one.
//! - [`check`]: each pattern judged before upload — `flight_rules::evaluate(UploadMission)`, the
//!   battery against a worst-case headwind, the real height above the terrain model.
//! - [`sortie`]: a patrol longer than one battery split into sorties with resume points.
//! - [`thermal`], [`project`], [`hotspot`]: hot pixels in a thermal frame, projected to the
//!   ground with an error estimate, merged into hot spots.
//! - [`report`]: GeoJSON and KML for the fire service (SDIS).
//! - [`scoring`]: training expectations judged on a flight's timeline, score sheets.
//!
//! No I/O, no async, no clock reads: `now` is an argument, files come in as bytes or text.

pub mod camera;
pub mod check;
pub mod hotspot;
mod local;
pub mod pattern;
pub mod project;
pub mod report;
pub mod scenario_truth;
pub mod scoring;
pub mod sortie;
pub mod synthetic;
pub mod terrain;
pub mod thermal;

pub use camera::{CameraModel, line_spacing_m};
pub use check::{CheckOptions, Endurance, PatrolCheck, TerrainClearance, check_mission, endurance};
pub use hotspot::{Hotspot, HotspotLog, HotspotSource, MergePolicy, Observation};
pub use local::LocalFrame;
pub use pattern::{
    AltitudeMode, GridOptions, Obstacle, PatrolPlan, PatrolSettings, PatternError, PatternKind,
    blocking_obstacles, crest_line, perimeter_pattern, ridge_line, survey_grid,
};
pub use project::{
    Attitude, CameraPose, Gimbal, Ground, GroundFix, PoseUncertainty, ProjectionError, YawFrame,
    footprint, ground_to_pixel, project_pixel,
};
pub use report::{PatrolReport, TrackPoint, coverage, to_geojson, to_kml};
pub use scenario_truth::{SimHotspot, SimTruth, parse_sim_truth};
pub use scoring::{ItemScore, Outcome, ScoreSheet, ScoringDefinition, Timeline, score};
pub use sortie::{ResumePoint, Sortie, SortieError, split_sorties};
pub use terrain::{ElevationGrid, GridCrs, TerrainError, parse_esri_ascii, parse_geotiff};
pub use thermal::{
    DetectorConfig, HotBlob, PixelRect, Pixels, ThermalImage, ThermalRange, Threshold,
    detect_hotspots, from_thermal_range,
};

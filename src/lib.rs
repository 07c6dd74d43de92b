//! The `vigie` library: the pilot's desktop app as a library of views (`app`, the CSU wall
//! among them), the wall's receive-only telemetry (`csu_telemetry`), the incidents the CSU sends a station
//! (`incident_post`) and the QGroundControl plan
//! file (`plan_file`), shared by the binary and the tests.

pub mod app;
pub mod csu_telemetry;
pub mod incident_post;
pub mod plan_file;

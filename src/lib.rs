//! The `vigie` library: the pilot's desktop app as a library of views (`app`) and the
//! QGroundControl plan file (`plan_file`), shared by the binary and the tests.

pub mod app;
pub mod plan_file;

//! vigie_patrol's one integration-test binary: real places, GDAL and Python `geojson` as peers.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test binary: a panic is the failure report

mod common;
mod patterns;
mod report;
mod scoring;
mod terrain;
mod thermal;

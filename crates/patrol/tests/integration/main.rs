//! vigie_patrol's one integration-test binary.

mod common;
mod patterns;
mod report;
mod scoring;
mod terrain;
mod thermal;

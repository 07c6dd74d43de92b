//! The `vigie` package's one integration-test binary: the CLI, the demo flying the real simulator,
//! the desktop app's views (egui_kittest, through the library), tile sources, plan files, the
//! catalogue, and a real window under Xvfb.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test binary: a panic is the failure report

mod cli_keys;
mod cli_register;
mod cli_rules;
mod cli_video;
mod csu;
mod demo;
mod fly;
mod i18n;
mod plan_file;
mod recovery;
mod tiles;
mod train;
mod ui;

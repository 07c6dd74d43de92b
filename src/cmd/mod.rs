//! One module per subcommand group; each owns its clap types and a `run` function.

pub mod app;
pub mod authorisation;
pub mod csu;
pub mod csu_serve;
pub mod demo;
pub mod fly;
pub mod incident;
pub mod keys;
pub mod pilots;
pub mod plan;
pub mod register;
pub mod replay;
pub mod stop;
pub mod tlog;
pub mod train;
pub mod video;
pub mod zones;

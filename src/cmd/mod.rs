//! One module per subcommand group; each owns its clap types and a `run` function.

pub mod authorisation;
pub mod demo;
pub mod fly;
pub mod pilots;
pub mod plan;
pub mod register;
pub mod replay;
pub mod tlog;
pub mod video;
pub mod zones;

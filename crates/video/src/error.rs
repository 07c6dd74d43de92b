//! Errors of the video crate. Each names the thing at fault and, where one exists, the fix.

use std::path::PathBuf;

use crate::plugins::MissingPlugin;

#[derive(Debug, thiserror::Error)]
pub enum VideoError {
    #[error("video URI `{uri}`: {reason}")]
    BadUri { uri: String, reason: String },
    #[error("{}", crate::plugins::describe_missing(.0))]
    MissingPlugins(Vec<MissingPlugin>),
    #[error("GStreamer could not be initialised: {0}")]
    Init(String),
    #[error("pipeline `{pipeline}`: {reason}")]
    Pipeline { pipeline: String, reason: String },
    #[error("RTSP server: {0}")]
    Rtsp(String),
    #[error("viewer accounts file {}: line {line}: {reason}", path.display())]
    UsersFile {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("viewer account: {0}")]
    BadAccount(String),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("recording: {0}")]
    Recording(String),
    /// A passphrase or password that cannot be used (the message never repeats it).
    #[error("{0}")]
    BadSecret(String),
    /// A configuration that would weaken a promise (an SRT listener without a passphrase, …).
    #[error("{0}")]
    Refused(String),
}

impl VideoError {
    pub(crate) fn pipeline(pipeline: &str, reason: impl std::fmt::Display) -> Self {
        VideoError::Pipeline {
            pipeline: pipeline.to_owned(),
            reason: reason.to_string(),
        }
    }
}

pub type Result<T, E = VideoError> = std::result::Result<T, E>;

//! Synthetic camera video (filled in below).
use std::net::SocketAddr;

use crate::runtime::Views;
use crate::scenario::Scenario;

/// A running video pipeline; dropping it stops the stream.
pub struct VideoStream;

pub fn start(
    _views: Views,
    _dest: SocketAddr,
    _w: u16,
    _h: u16,
    _scenario: &Scenario,
    _count: u8,
) -> Vec<VideoStream> {
    tracing::warn!("video not built yet");
    Vec::new()
}

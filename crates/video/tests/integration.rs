//! Integration tests of vigie_video with real pipelines, real sockets and real clients
//! (gst-launch-1.0, ffprobe, gst-discoverer-1.0), on 127.0.0.1 with ports picked at run time.

// Test helpers outside #[test] functions may panic: a failed setup is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod integration {
    pub mod common;
    mod crash;
    mod forward;
    mod ingest;
    mod plugins;
    mod record;
    mod restream;
}

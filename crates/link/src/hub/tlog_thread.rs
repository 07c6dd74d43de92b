//! Writes a tlog on its own thread so disk stalls never stall the hub, through a bounded queue:
//! when the disk cannot keep up, frames are dropped and counted, never queued without end.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError};
use std::time::SystemTime;

use crate::frame::{FrameRef, RawFrame};
use crate::tlog::TlogWriter;

/// Frames waiting for the disk, per tlog (about 3 s of a busy vehicle's telemetry).
pub const TLOG_QUEUE: usize = 16_384;

pub(crate) struct TlogThread {
    tx: SyncSender<TlogMsg>,
    handle: std::thread::JoinHandle<()>,
    dropped: Arc<AtomicU64>,
}

enum TlogMsg {
    Frame(SystemTime, RawFrame),
    Flush,
}

impl TlogThread {
    pub(crate) fn start(path: &Path, dropped: Arc<AtomicU64>) -> std::io::Result<Self> {
        let mut w = TlogWriter::create(path)?;
        let (tx, rx) = std::sync::mpsc::sync_channel::<TlogMsg>(TLOG_QUEUE);
        let shown = path.to_path_buf();
        let handle = std::thread::Builder::new()
            .name("vigie-tlog".into())
            .spawn(move || {
                let mut failed = false;
                for m in rx {
                    let r = match m {
                        TlogMsg::Frame(at, f) => w.write(at, &f),
                        TlogMsg::Flush => w.flush(),
                    };
                    if let Err(e) = r
                        && !failed
                    {
                        // Reported once; the link keeps running without its log.
                        tracing::error!("tlog {}: {e}", shown.display());
                        failed = true;
                    }
                }
                let _ = w.flush();
            })?;
        Ok(Self {
            tx,
            handle,
            dropped,
        })
    }

    /// Flush, close, and wait for the writer to finish.
    pub(crate) fn close(self) {
        drop(self.tx);
        let _ = self.handle.join();
    }

    pub(crate) fn write(&self, at: SystemTime, f: &FrameRef<'_>) {
        match self.tx.try_send(TlogMsg::Frame(at, f.to_owned())) {
            Ok(()) | Err(TrySendError::Disconnected(_)) => {}
            Err(TrySendError::Full(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    pub(crate) fn flush(&self) {
        let _ = self.tx.try_send(TlogMsg::Flush);
    }
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::io::Read;

    #[test]
    fn a_stalled_disk_drops_and_counts_frames_instead_of_queueing_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stalled.tlog");
        // A FIFO nobody reads stands for a disk that stopped answering.
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&path)
                .status()
                .unwrap()
                .success()
        );
        let reader_path = path.clone();
        let (open_tx, open_rx) = std::sync::mpsc::channel();
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let reader = std::thread::spawn(move || {
            let mut f = std::fs::File::open(&reader_path).unwrap();
            open_tx.send(()).unwrap();
            go_rx.recv().unwrap();
            let mut all = Vec::new();
            f.read_to_end(&mut all).unwrap();
            all.len()
        });
        let dropped = Arc::new(AtomicU64::new(0));
        let t = TlogThread::start(&path, dropped.clone()).unwrap();
        open_rx.recv().unwrap();
        let frame = crate::frame::encode_v2(
            mavlink::MavHeader {
                system_id: 1,
                component_id: 1,
                sequence: 0,
            },
            &crate::MavMessage::HEARTBEAT(Default::default()),
        );
        let n = TLOG_QUEUE + 20_000;
        for _ in 0..n {
            t.write(SystemTime::now(), &frame.as_ref());
        }
        let lost = dropped.load(Ordering::Relaxed);
        assert!(
            lost >= 10_000,
            "only {lost} of {n} frames counted as dropped"
        );
        // The disk comes back: what was queued is written, then the log closes.
        go_tx.send(()).unwrap();
        t.close();
        let written = reader.join().unwrap();
        assert!(written > 0 && written < n * frame.bytes.len());
    }
}

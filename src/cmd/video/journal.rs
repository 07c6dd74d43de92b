//! The relay's journal (CSI L242-4: who had access, live relay included): every viewer session
//! as a register entry (account, address, stream, flight when the uplink names it, start and
//! end), every recorded segment with its SHA-256, every uplink caller. One thread owns the
//! register (SQLite in the data directory, or the département's PostgreSQL); a viewer's PLAY is
//! answered only once its start is written (fail closed).

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use vigie_register::{
    EventKind, EventRecord, OpenOptions, Register, RegisterKind, ViewerSessionEnd,
    ViewerSessionStart,
};
use vigie_video::SegmentInfo;

enum Message {
    Start(ViewerSessionStart, mpsc::Sender<Result<(), String>>),
    End(ViewerSessionEnd),
    Event(EventRecord),
    Flush(mpsc::Sender<()>),
}

/// A handle on the journal thread (cloneable, usable from any thread).
#[derive(Clone)]
pub struct Journal {
    tx: mpsc::Sender<Message>,
    location: String,
}

fn at(unix_us: u64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_micros(i64::try_from(unix_us).unwrap_or(i64::MAX))
        .unwrap_or_else(Utc::now)
}

/// A segment the relay recorded, as an event of its register (the flight is another station's,
/// so it is named in the text, not as the entry's flight).
pub fn segment_event(seg: &SegmentInfo, flight_id: Option<&str>) -> EventRecord {
    let detail = serde_json::json!({
        "stream": seg.stream,
        "flight_id": flight_id,
        "session": seg.session,
        "index": seg.index,
        "path": seg.path,
        "sha256": seg.sha256_hex,
        "bytes": seg.bytes,
        "started_at": at(seg.start_unix_us),
        "ended_at": at(seg.end_unix_us),
        "flags": seg.flags,
        "closed_by": seg.closed_by,
    });
    EventRecord {
        flight_id: None,
        at: at(seg.end_unix_us),
        kind: EventKind::Info,
        code: "video.segment".into(),
        text: detail.to_string(),
        rule_ids: Vec::new(),
        data: Some(detail),
        vehicle: None,
    }
}

impl Journal {
    /// Open the register (creating it and the relay's key on first use) and start the thread.
    pub fn open(
        data_dir: &Path,
        postgres: Option<String>,
        training: bool,
    ) -> anyhow::Result<Journal> {
        let kind = if training {
            RegisterKind::Training
        } else {
            RegisterKind::Legal
        };
        let mut options = OpenOptions::new(kind);
        options.postgres = postgres;
        let mut register = Register::open_with(data_dir, options)
            .map_err(crate::cmd::register::to_anyhow)
            .map_err(|e| {
                e.context(format!(
                    "opening the relay's journal (the register in {})",
                    data_dir.display()
                ))
            })?;
        let location = register.location();
        let (tx, rx) = mpsc::channel::<Message>();
        std::thread::Builder::new()
            .name("relay-journal".into())
            .spawn(move || {
                for m in rx {
                    match m {
                        Message::Start(s, reply) => {
                            let r = register
                                .viewer_session_start(&s)
                                .map(|_| ())
                                .map_err(|e| e.to_string());
                            let _ = reply.send(r);
                        }
                        Message::End(e) => {
                            if let Err(err) = register.viewer_session_end(&e) {
                                tracing::error!(session = %e.session_id, error = %err, "viewer session end not journaled");
                                eprintln!("vigie: the end of viewer session {} could not be journaled: {err}", e.session_id);
                            }
                        }
                        Message::Flush(reply) => {
                            let _ = reply.send(());
                        }
                        Message::Event(ev) => {
                            if let Err(err) = register.record_event(&ev) {
                                tracing::error!(code = %ev.code, error = %err, "relay event not journaled");
                                eprintln!("vigie: {} could not be journaled: {err}", ev.code);
                            }
                        }
                    }
                }
            })?;
        Ok(Journal { tx, location })
    }

    pub fn location(&self) -> &str {
        &self.location
    }

    /// Write a viewer's start; Ok only once it is in the register.
    pub fn start(&self, s: ViewerSessionStart) -> Result<(), String> {
        let (reply, answer) = mpsc::channel();
        self.tx
            .send(Message::Start(s, reply))
            .map_err(|_| "the journal thread has stopped".to_owned())?;
        answer
            .recv_timeout(Duration::from_secs(5))
            .map_err(|_| "the journal did not answer within 5 s".to_owned())?
    }

    /// Wait until everything sent so far is written (before the relay exits).
    pub fn flush(&self) {
        let (reply, done) = mpsc::channel();
        if self.tx.send(Message::Flush(reply)).is_ok() {
            let _ = done.recv_timeout(Duration::from_secs(10));
        }
    }

    pub fn end(&self, e: ViewerSessionEnd) {
        let _ = self.tx.send(Message::End(e));
    }

    pub fn event(&self, e: EventRecord) {
        let _ = self.tx.send(Message::Event(e));
    }
}

/// The flight an uplink's SRT stream id names (`#!::…,s=FLIGHT`), when it is a plain id.
pub fn flight_of_stream_id(stream_id: &str) -> Option<String> {
    let body = stream_id.strip_prefix("#!::")?;
    let value = body
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "s")
        .map(|(_, v)| v)?;
    let ok = !value.is_empty()
        && value.len() <= 128
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    ok.then(|| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flight_comes_from_the_stream_id_or_not_at_all() {
        let rows = [
            (
                "#!::r=drone1,u=st-1,s=F-20261128T101500Z-drone-1",
                Some("F-20261128T101500Z-drone-1"),
            ),
            ("#!::r=drone1,u=st-1", None),
            ("#!::s=F 1", None),
            ("s=F1", None),
            ("#!::s=", None),
        ];
        for (id, expected) in rows {
            assert_eq!(flight_of_stream_id(id).as_deref(), expected, "{id}");
        }
    }
}

//! Telemetry logs as MAVProxy, QGroundControl and Mission Planner write them: each frame preceded
//! by its reception time, 8 bytes big-endian, microseconds since the Unix epoch.
//!
//! Signing keys never reach a tlog: SETUP_SIGNING frames are rewritten with the key set to 0xFF
//! (as MAVProxy does) before they are written.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::MavMessage;
use crate::frame::{FrameParser, Parsed, RawFrame, crc_x25};

const SETUP_SIGNING_ID: u32 = 256;

/// The frame as it may be written to a log: a SETUP_SIGNING's secret key replaced by 0xFF and its
/// CRC recomputed so readers still accept it. Other frames are returned unchanged.
pub fn redact(frame: &RawFrame) -> RawFrame {
    if frame.msgid != SETUP_SIGNING_ID {
        return frame.clone();
    }
    let mut out = frame.clone();
    // SETUP_SIGNING payload: initial_timestamp u64, target_system u8, target_component u8,
    // secret_key[32] (wire order: largest fields first).
    let header = match frame.version {
        mavlink::MavlinkVersion::V1 => 6,
        mavlink::MavlinkVersion::V2 => 10,
    };
    // A truncated payload carries fewer key bytes (trailing zeros dropped): restore the full payload.
    let mut payload = frame.payload().to_vec();
    payload.resize(42, 0);
    for b in &mut payload[10..42] {
        *b = 0xFF;
    }
    let mut bytes = frame.bytes[..header].to_vec();
    bytes[1] = 42;
    bytes.extend_from_slice(&payload);
    let extra = crate::frame::crc_extra(SETUP_SIGNING_ID).unwrap_or(0);
    let crc = crc_x25(&bytes[1..], extra);
    bytes.extend_from_slice(&crc.to_le_bytes());
    // A signature no longer matches the redacted bytes; keep it so the frame stays the same shape.
    if frame.signature().is_some() {
        bytes.extend_from_slice(&frame.bytes[frame.bytes.len() - crate::frame::SIGNATURE_LEN..]);
    }
    out.bytes = bytes;
    out
}

pub fn micros_since_epoch(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_micros() as u64
}

/// Appends frames to a tlog file.
pub struct TlogWriter {
    path: PathBuf,
    out: BufWriter<File>,
}

impl TlogWriter {
    /// Created readable by its owner only: a flight's tlog holds positions of people's homes.
    pub fn create(path: &Path) -> io::Result<Self> {
        let mut options = File::options();
        options.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options.open(path)?;
        Ok(Self {
            path: path.to_path_buf(),
            out: BufWriter::new(file),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn write(&mut self, at: SystemTime, frame: &RawFrame) -> io::Result<()> {
        let frame = redact(frame);
        self.out.write_all(&micros_since_epoch(at).to_be_bytes())?;
        self.out.write_all(&frame.bytes)
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()?;
        self.out.get_ref().sync_data()
    }
}

/// One entry of a tlog.
#[derive(Debug, Clone)]
pub struct TlogEntry {
    pub at_us: u64,
    pub frame: RawFrame,
}

/// Read a whole tlog. Bytes that are not frames are skipped and counted in the returned summary.
pub fn read_all(path: &Path) -> io::Result<(Vec<TlogEntry>, usize)> {
    let mut data = Vec::new();
    File::open(path)?.read_to_end(&mut data)?;
    Ok(parse(&data))
}

/// Parse tlog bytes: timestamp, then one frame, repeated. Resynchronises on damage.
pub fn parse(data: &[u8]) -> (Vec<TlogEntry>, usize) {
    let mut entries = Vec::new();
    let mut skipped = 0;
    let mut pos = 0;
    while pos + 8 < data.len() {
        let mut ts = [0u8; 8];
        ts.copy_from_slice(&data[pos..pos + 8]);
        let at_us = u64::from_be_bytes(ts);
        let rest = &data[pos + 8..];
        // The frame must start right after the timestamp.
        let mut parser = FrameParser::new();
        let take = rest.len().min(280);
        match parser.push(&rest[..take]).into_iter().next() {
            Some(Parsed::Frame(frame)) if rest.first() == frame.bytes.first() => {
                pos += 8 + frame.bytes.len();
                entries.push(TlogEntry { at_us, frame });
            }
            _ => {
                skipped += 1;
                pos += 1;
            }
        }
    }
    (entries, skipped)
}

/// What `vigie tlog summary` prints.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct TlogSummary {
    pub frames: usize,
    pub skipped_bytes: usize,
    pub first_us: Option<u64>,
    pub last_us: Option<u64>,
    /// Count per message name.
    pub by_type: BTreeMap<String, usize>,
    pub systems: BTreeMap<String, usize>,
}

pub fn summarise(entries: &[TlogEntry], skipped: usize) -> TlogSummary {
    let mut s = TlogSummary {
        frames: entries.len(),
        skipped_bytes: skipped,
        ..Default::default()
    };
    for e in entries {
        s.first_us = Some(s.first_us.map_or(e.at_us, |f| f.min(e.at_us)));
        s.last_us = Some(s.last_us.map_or(e.at_us, |l| l.max(e.at_us)));
        let name = match e.frame.decode() {
            Ok(m) => mavlink::Message::message_name(&m).to_string(),
            Err(_) => format!("UNDECODABLE({})", e.frame.msgid),
        };
        *s.by_type.entry(name).or_default() += 1;
        *s.systems
            .entry(format!("{}:{}", e.frame.sysid, e.frame.compid))
            .or_default() += 1;
    }
    s
}

/// Convenience for writing messages directly (tests, the simulator-less demo).
pub fn is_setup_signing(msg: &MavMessage) -> bool {
    matches!(msg, MavMessage::SETUP_SIGNING(_))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ardupilotmega as apm;
    use crate::frame::encode_v2;
    use mavlink::MavHeader;

    #[test]
    fn setup_signing_key_never_reaches_the_log() {
        let msg = MavMessage::SETUP_SIGNING(apm::SETUP_SIGNING_DATA {
            initial_timestamp: 5,
            target_system: 1,
            target_component: 1,
            secret_key: [0x2A; 32],
        });
        let f = encode_v2(
            MavHeader {
                system_id: 255,
                component_id: 190,
                sequence: 0,
            },
            &msg,
        );
        let r = redact(&f);
        let MavMessage::SETUP_SIGNING(got) = r.decode().unwrap() else {
            panic!()
        };
        assert_eq!(got.secret_key, [0xFF; 32]);
        assert_eq!(got.initial_timestamp, 5);
        // And it still parses as a valid frame.
        assert!(matches!(
            FrameParser::new().push(&r.bytes)[0],
            Parsed::Frame(_)
        ));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.tlog");
        let mut w = TlogWriter::create(&path).unwrap();
        w.write(SystemTime::now(), &f).unwrap();
        w.flush().unwrap();
        let raw = std::fs::read(&path).unwrap();
        assert!(!raw.windows(32).any(|w| w == [0x2A; 32]));
    }

    #[test]
    fn write_read_summary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.tlog");
        let mut w = TlogWriter::create(&path).unwrap();
        let t0 = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        for i in 0..10u8 {
            let hb = MavMessage::HEARTBEAT(apm::HEARTBEAT_DATA::default());
            w.write(
                t0 + Duration::from_millis(u64::from(i) * 100),
                &encode_v2(
                    MavHeader {
                        system_id: 1,
                        component_id: 1,
                        sequence: i,
                    },
                    &hb,
                ),
            )
            .unwrap();
        }
        w.flush().unwrap();
        let (entries, skipped) = read_all(&path).unwrap();
        let s = summarise(&entries, skipped);
        assert_eq!((s.frames, s.skipped_bytes), (10, 0));
        assert_eq!(s.by_type["HEARTBEAT"], 10);
        assert_eq!(s.last_us.unwrap() - s.first_us.unwrap(), 900_000);
    }
}

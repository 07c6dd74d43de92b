//! What reached a vehicle from its station, with the time it arrived: a bounded log of the
//! messages the vehicle handled (heartbeats only counted) and a count per message name, for the
//! control verb `received`. The runtime records; this file keeps and formats (times come in as
//! arguments, microseconds since the Unix epoch). The format is documented in sim/README.md.

// ArduCopter's GCSs still send the deprecated messages (MISSION_ITEM, SET_MODE, ...).
#![allow(deprecated)]

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;

use mavlink::MavHeader;
use mavlink::Message as _;
use mavlink::dialects::ardupilotmega::MavMessage;

/// Lines kept per vehicle; older ones are dropped (and counted).
pub const LOG_CAPACITY: usize = 20_000;

#[derive(Clone, Debug)]
pub struct ReceivedLog {
    capacity: usize,
    since_unix_us: u64,
    entries: VecDeque<(u64, String)>,
    dropped: u64,
    counts: BTreeMap<&'static str, u64>,
    total: u64,
}

impl ReceivedLog {
    pub fn new(now_unix_us: u64) -> ReceivedLog {
        ReceivedLog::with_capacity(LOG_CAPACITY, now_unix_us)
    }

    pub fn with_capacity(capacity: usize, now_unix_us: u64) -> ReceivedLog {
        ReceivedLog {
            capacity: capacity.max(1),
            since_unix_us: now_unix_us,
            entries: VecDeque::new(),
            dropped: 0,
            counts: BTreeMap::new(),
            total: 0,
        }
    }

    /// Records one message the vehicle received at `at_unix_us`.
    pub fn record(&mut self, at_unix_us: u64, from: &MavHeader, msg: &MavMessage) {
        *self.counts.entry(msg.message_name()).or_insert(0) += 1;
        self.total += 1;
        // Heartbeats arrive every second: counted, not logged, so the log stays readable.
        if matches!(msg, MavMessage::HEARTBEAT(_)) {
            return;
        }
        if self.entries.len() >= self.capacity {
            self.entries.pop_front();
            self.dropped += 1;
        }
        self.entries.push_back((at_unix_us, describe(from, msg)));
    }

    /// Forgets everything received so far.
    pub fn clear(&mut self, now_unix_us: u64) {
        *self = ReceivedLog::with_capacity(self.capacity, now_unix_us);
    }

    /// The answer to `received` for this vehicle: a header line, one line per logged message,
    /// one `count NAME=N` line per message name, and `total=N`.
    pub fn report(&self, sysid: u8) -> String {
        let mut out = format!(
            "received vehicle={sysid} since_unix_us={} entries={} dropped={}\n",
            self.since_unix_us,
            self.entries.len(),
            self.dropped
        );
        for (at, line) in &self.entries {
            let _ = writeln!(out, "{at} {line}");
        }
        for (name, n) in &self.counts {
            let _ = writeln!(out, "count {name}={n}");
        }
        let _ = write!(out, "total={}", self.total);
        out
    }
}

fn name16(id: &mavlink::types::CharArray<16>) -> String {
    let bytes: &[u8] = &id[..];
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end])
        .chars()
        .map(|c| if c.is_whitespace() { '_' } else { c })
        .collect()
}

fn floats(values: &[f32]) -> String {
    values
        .iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// One log line after the time: `NAME from=SYS/COMP` and the fields that say what it asked.
pub fn describe(from: &MavHeader, msg: &MavMessage) -> String {
    let mut s = format!(
        "{} from={}/{}",
        msg.message_name(),
        from.system_id,
        from.component_id
    );
    let _ = match msg {
        MavMessage::COMMAND_LONG(c) => write!(
            s,
            " target={}/{} command={} confirmation={} params={}",
            c.target_system,
            c.target_component,
            c.command as u32,
            c.confirmation,
            floats(&[
                c.param1, c.param2, c.param3, c.param4, c.param5, c.param6, c.param7
            ])
        ),
        MavMessage::COMMAND_INT(c) => write!(
            s,
            " target={}/{} command={} frame={} params={},{},{},{},{},{},{}",
            c.target_system,
            c.target_component,
            c.command as u32,
            c.frame as u32,
            c.param1,
            c.param2,
            c.param3,
            c.param4,
            c.x,
            c.y,
            c.z
        ),
        MavMessage::MISSION_COUNT(m) => write!(
            s,
            " mission_type={} count={}",
            m.mission_type as u32, m.count
        ),
        MavMessage::MISSION_ITEM_INT(m) => write!(
            s,
            " mission_type={} seq={} command={}",
            m.mission_type as u32, m.seq, m.command as u32
        ),
        MavMessage::MISSION_ITEM(m) => write!(
            s,
            " mission_type={} seq={} command={}",
            m.mission_type as u32, m.seq, m.command as u32
        ),
        MavMessage::MISSION_REQUEST_LIST(m) => {
            write!(s, " mission_type={}", m.mission_type as u32)
        }
        MavMessage::MISSION_REQUEST_INT(m) => {
            write!(s, " mission_type={} seq={}", m.mission_type as u32, m.seq)
        }
        MavMessage::MISSION_REQUEST(m) => {
            write!(s, " mission_type={} seq={}", m.mission_type as u32, m.seq)
        }
        MavMessage::MISSION_ACK(m) => write!(
            s,
            " mission_type={} result={}",
            m.mission_type as u32, m.mavtype as u32
        ),
        MavMessage::MISSION_CLEAR_ALL(m) => write!(s, " mission_type={}", m.mission_type as u32),
        MavMessage::MISSION_SET_CURRENT(m) => write!(s, " seq={}", m.seq),
        MavMessage::PARAM_SET(p) => write!(
            s,
            " name={} value={} type={}",
            name16(&p.param_id),
            p.param_value,
            p.param_type as u32
        ),
        MavMessage::PARAM_REQUEST_READ(p) => {
            write!(s, " name={} index={}", name16(&p.param_id), p.param_index)
        }
        MavMessage::SET_MODE(m) => write!(
            s,
            " mode={} base_mode={}",
            m.custom_mode,
            m.base_mode.bits()
        ),
        MavMessage::SET_POSITION_TARGET_GLOBAL_INT(t) => write!(
            s,
            " frame={} type_mask={} lat_int={} lon_int={} alt={}",
            t.coordinate_frame as u32,
            t.type_mask.bits(),
            t.lat_int,
            t.lon_int,
            t.alt
        ),
        MavMessage::REQUEST_DATA_STREAM(r) => write!(
            s,
            " stream={} rate={} start={}",
            r.req_stream_id as u32, r.req_message_rate, r.start_stop
        ),
        _ => Ok(()),
    };
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use mavlink::dialects::ardupilotmega::*;

    fn gcs() -> MavHeader {
        MavHeader {
            system_id: 255,
            component_id: 190,
            sequence: 0,
        }
    }

    #[test]
    fn lines_name_what_was_asked() {
        let arm = MavMessage::COMMAND_LONG(COMMAND_LONG_DATA {
            target_system: 1,
            target_component: 1,
            command: MavCmd::MAV_CMD_COMPONENT_ARM_DISARM,
            confirmation: 2,
            param1: 1.0,
            param2: 21196.0,
            ..Default::default()
        });
        assert_eq!(
            describe(&gcs(), &arm),
            "COMMAND_LONG from=255/190 target=1/1 command=400 confirmation=2 params=1,21196,0,0,0,0,0"
        );
        let mut id = [0u8; 16];
        id[..12].copy_from_slice(b"FENCE_ENABLE");
        let set = MavMessage::PARAM_SET(PARAM_SET_DATA {
            param_value: 1.0,
            target_system: 1,
            target_component: 1,
            param_id: id.into(),
            param_type: MavParamType::MAV_PARAM_TYPE_INT8,
        });
        assert_eq!(
            describe(&gcs(), &set),
            "PARAM_SET from=255/190 name=FENCE_ENABLE value=1 type=2"
        );
        let count = MavMessage::MISSION_COUNT(MISSION_COUNT_DATA {
            count: 7,
            mission_type: MavMissionType::MAV_MISSION_TYPE_FENCE,
            ..Default::default()
        });
        assert_eq!(
            describe(&gcs(), &count),
            "MISSION_COUNT from=255/190 mission_type=1 count=7"
        );
        let mode = MavMessage::SET_MODE(SET_MODE_DATA {
            custom_mode: 4,
            target_system: 1,
            base_mode: MavModeFlag::empty(),
        });
        assert_eq!(
            describe(&gcs(), &mode),
            "SET_MODE from=255/190 mode=4 base_mode=0"
        );
    }

    #[test]
    fn heartbeats_are_counted_not_logged_and_the_ring_is_bounded() {
        let mut log = ReceivedLog::with_capacity(3, 1_000);
        let hb = MavMessage::HEARTBEAT(HEARTBEAT_DATA::default());
        let ping = MavMessage::PARAM_REQUEST_LIST(PARAM_REQUEST_LIST_DATA::default());
        for i in 0..5 {
            log.record(2_000 + i, &gcs(), &hb);
            log.record(3_000 + i, &gcs(), &ping);
        }
        let report = log.report(1);
        let lines: Vec<&str> = report.lines().collect();
        assert_eq!(
            lines,
            vec![
                "received vehicle=1 since_unix_us=1000 entries=3 dropped=2",
                "3002 PARAM_REQUEST_LIST from=255/190",
                "3003 PARAM_REQUEST_LIST from=255/190",
                "3004 PARAM_REQUEST_LIST from=255/190",
                "count HEARTBEAT=5",
                "count PARAM_REQUEST_LIST=5",
                "total=10",
            ]
        );
        log.clear(9_000);
        assert_eq!(
            log.report(1),
            "received vehicle=1 since_unix_us=9000 entries=0 dropped=0\ntotal=0"
        );
    }
}

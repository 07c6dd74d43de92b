//! Link statistics: frames, bytes, sequence gaps, CRC and signature failures.

use std::collections::BTreeMap;

use crate::tracker::SystemId;

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct LinkStats {
    pub frames_rx: u64,
    pub bytes_rx: u64,
    pub frames_tx: u64,
    pub bytes_tx: u64,
    pub garbage_bytes: u64,
    pub crc_errors: u64,
    pub unknown_messages: u64,
    pub undecodable: u64,
    pub unsupported_flags: u64,
    pub bad_signatures: u64,
    pub replays: u64,
    pub unsigned_rejected: u64,
    /// Frames from a read-only output that would have commanded a vehicle.
    pub commands_dropped: u64,
    pub connected: bool,
    pub last_error: Option<String>,
}

/// Sequence accounting for one sender: frames received and frames missed (gaps).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct SeqStats {
    pub received: u64,
    pub lost: u64,
    #[serde(skip)]
    last_seq: Option<u8>,
}

impl SeqStats {
    pub fn on_seq(&mut self, seq: u8) {
        if let Some(last) = self.last_seq {
            let gap = seq.wrapping_sub(last).wrapping_sub(1);
            // A large "gap" is far more likely a reorder or a restart than 200 lost frames.
            if gap < 128 {
                self.lost += u64::from(gap);
            }
        }
        self.last_seq = Some(seq);
        self.received += 1;
    }

    pub fn loss_pct(&self) -> f64 {
        let total = self.received + self.lost;
        if total == 0 {
            0.0
        } else {
            100.0 * self.lost as f64 / total as f64
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct StatsSnapshot {
    /// By link name (its connection string).
    pub links: BTreeMap<String, LinkStats>,
    pub senders: BTreeMap<SystemId, SeqStats>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_count_as_loss_and_wrap() {
        let mut s = SeqStats::default();
        for seq in [250u8, 251, 254, 255, 0, 3] {
            s.on_seq(seq);
        }
        assert_eq!(s.received, 6);
        assert_eq!(s.lost, 2 + 2);
        assert!((s.loss_pct() - 40.0).abs() < 1e-9);
    }
}

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
    /// Frames with a vehicle's system id from another peer than the vehicle's (or any frame
    /// from a peer other than a pinned link's).
    pub foreign_peer: u64,
    /// Unsigned frames with the system id of a vehicle that had been signing.
    pub unsigned_after_signed: u64,
    /// Autopilot heartbeats of new system ids refused because the link already has its
    /// maximum of vehicles.
    pub vehicles_refused: u64,
    /// Peers turned away (UDP table full of routed peers, TCP clients beyond the cap), and
    /// peers forgotten (evicted, idle, closed).
    pub peers_refused: u64,
    pub peers_gone: u64,
    /// Frames not sent because the transport's queue was full.
    pub tx_dropped: u64,
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

/// How full the hub's tables are: each is bounded, and the flood test checks it.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct HubTables {
    /// One frame parser per peer heard (bounded by each link's peer cap).
    pub parsers: usize,
    pub vehicles: usize,
    /// Systems whose sequence numbers are followed ([`MAX_SENDERS`] at most).
    pub senders: usize,
    /// Frames from systems beyond that, counted but not followed.
    pub senders_untracked: u64,
    /// Rate-limit slots of refused-frame reports.
    pub reject_slots: usize,
    /// Frames a vehicle actor could not take (its queue full): telemetry only, replaced by the
    /// next message.
    pub inbound_dropped: u64,
    /// Frames a tlog writer could not take (the disk behind).
    pub tlog_dropped: u64,
}

/// Senders whose sequence numbers the statistics follow: a spoofer inventing 65 536
/// (system, component) pairs gets none of its own.
pub const MAX_SENDERS: usize = 64;

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct StatsSnapshot {
    /// By link name (its connection string).
    pub links: BTreeMap<String, LinkStats>,
    pub senders: BTreeMap<SystemId, SeqStats>,
    pub hub: HubTables,
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

//! Frames the hub refuses, counted by kind, and the rate limit on telling the station about them:
//! one report per kind, vehicle and link per period, carrying the count — a spoofer sending
//! 100 000 frames a second produces one event every few seconds, not 100 000 (pure: the caller
//! passes `now`).

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Why a frame claiming to be from a vehicle was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum RejectKind {
    /// No signature, from a vehicle that has a key.
    Unsigned,
    /// Signed, but not with the vehicle's key (a forgery, or another key).
    BadSignature,
    /// A good signature on a timestamp already seen on its stream, or more than a minute old.
    Replay,
    /// Unsigned frames with the system id of a vehicle that had been signing: a spoofer, or a
    /// vehicle that lost its key. Worth an alarm of its own.
    UnsignedAfterSigned,
    /// From another peer than the one the vehicle's link is bound to (a second sender with the
    /// same system id on an unsigned link, or any sender but the pinned one).
    ForeignPeer,
}

impl RejectKind {
    pub const ALL: [RejectKind; 5] = [
        RejectKind::Unsigned,
        RejectKind::BadSignature,
        RejectKind::Replay,
        RejectKind::UnsignedAfterSigned,
        RejectKind::ForeignPeer,
    ];

    /// Words for logs and the event's text; the typed kind is what callers match on.
    pub fn describe(self) -> &'static str {
        match self {
            RejectKind::Unsigned => "unsigned",
            RejectKind::BadSignature => "bad signature",
            RejectKind::Replay => "replayed timestamp",
            RejectKind::UnsignedAfterSigned => "unsigned after signed traffic",
            RejectKind::ForeignPeer => "from another peer than the vehicle's",
        }
    }
}

/// Refused frames of one vehicle, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct RejectCounts {
    pub unsigned: u64,
    pub bad_signature: u64,
    pub replay: u64,
    pub unsigned_after_signed: u64,
    pub foreign_peer: u64,
}

impl RejectCounts {
    pub fn add(&mut self, kind: RejectKind, n: u64) {
        let c = match kind {
            RejectKind::Unsigned => &mut self.unsigned,
            RejectKind::BadSignature => &mut self.bad_signature,
            RejectKind::Replay => &mut self.replay,
            RejectKind::UnsignedAfterSigned => &mut self.unsigned_after_signed,
            RejectKind::ForeignPeer => &mut self.foreign_peer,
        };
        *c = c.saturating_add(n);
    }

    pub fn get(&self, kind: RejectKind) -> u64 {
        match kind {
            RejectKind::Unsigned => self.unsigned,
            RejectKind::BadSignature => self.bad_signature,
            RejectKind::Replay => self.replay,
            RejectKind::UnsignedAfterSigned => self.unsigned_after_signed,
            RejectKind::ForeignPeer => self.foreign_peer,
        }
    }

    pub fn total(&self) -> u64 {
        RejectKind::ALL.iter().map(|k| self.get(*k)).sum()
    }
}

/// One report to the station: `count` frames of `kind` for `sysid` on `link` since the last one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RejectReport {
    pub kind: RejectKind,
    pub sysid: u8,
    pub link: usize,
    pub count: u64,
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    last_report: Instant,
    pending: u64,
}

/// At most one report per (kind, vehicle, link) per period.
#[derive(Debug)]
pub struct RejectLimiter {
    period: Duration,
    slots: HashMap<(RejectKind, u8, usize), Slot>,
}

impl RejectLimiter {
    pub fn new(period: Duration) -> Self {
        Self {
            period,
            slots: HashMap::new(),
        }
    }

    pub fn period(&self) -> Duration {
        self.period
    }

    /// One refused frame. The first of a burst is reported at once; the next ones are counted
    /// and reported by [`flush`](Self::flush) once the period has passed.
    pub fn on_reject(
        &mut self,
        kind: RejectKind,
        sysid: u8,
        link: usize,
        now: Instant,
    ) -> Option<RejectReport> {
        match self.slots.get_mut(&(kind, sysid, link)) {
            Some(slot) if now.saturating_duration_since(slot.last_report) < self.period => {
                slot.pending += 1;
                None
            }
            Some(slot) => {
                let count = slot.pending + 1;
                *slot = Slot {
                    last_report: now,
                    pending: 0,
                };
                Some(RejectReport {
                    kind,
                    sysid,
                    link,
                    count,
                })
            }
            None => {
                self.slots.insert(
                    (kind, sysid, link),
                    Slot {
                        last_report: now,
                        pending: 0,
                    },
                );
                Some(RejectReport {
                    kind,
                    sysid,
                    link,
                    count: 1,
                })
            }
        }
    }

    /// Reports for what was counted and not yet said, once its period has passed; quiet slots
    /// are forgotten, so the table stays as small as the set of active senders.
    pub fn flush(&mut self, now: Instant) -> Vec<RejectReport> {
        let mut out = Vec::new();
        let period = self.period;
        self.slots.retain(|&(kind, sysid, link), slot| {
            if now.saturating_duration_since(slot.last_report) < period {
                return true;
            }
            if slot.pending == 0 {
                return false;
            }
            out.push(RejectReport {
                kind,
                sysid,
                link,
                count: slot.pending,
            });
            *slot = Slot {
                last_report: now,
                pending: 0,
            };
            true
        });
        out.sort_by_key(|r| (r.sysid, r.kind, r.link));
        out
    }

    /// Slots held (bounded by kinds × vehicles × links; used by the flood test).
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_report_per_kind_vehicle_and_period() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut l = RejectLimiter::new(s(10));
        let first = l.on_reject(RejectKind::Unsigned, 1, 0, t0).unwrap();
        assert_eq!(first.count, 1);
        // 10 000 more in the same period: none reported now.
        for i in 0..10_000u64 {
            assert!(
                l.on_reject(
                    RejectKind::Unsigned,
                    1,
                    0,
                    t0 + Duration::from_micros(i * 100)
                )
                .is_none()
            );
        }
        // Another kind, another vehicle: their own first reports.
        assert!(l.on_reject(RejectKind::BadSignature, 1, 0, t0).is_some());
        assert!(l.on_reject(RejectKind::Unsigned, 2, 0, t0).is_some());
        assert!(l.flush(t0 + s(5)).is_empty(), "nothing before the period");
        let later = l.flush(t0 + s(10));
        assert_eq!(
            later,
            vec![RejectReport {
                kind: RejectKind::Unsigned,
                sysid: 1,
                link: 0,
                count: 10_000
            }]
        );
        // Quiet since: forgotten after a period without frames.
        assert!(l.flush(t0 + s(21)).is_empty());
        assert!(l.is_empty());
        // A frame after a quiet period is reported at once again.
        assert!(
            l.on_reject(RejectKind::Unsigned, 1, 0, t0 + s(30))
                .is_some()
        );
    }
}

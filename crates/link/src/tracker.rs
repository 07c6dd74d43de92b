//! Which systems are on the link, from their heartbeats; lost after a timeout, regained when they
//! come back (pure: the caller passes `now`).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// A MAVLink system and component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct SystemId {
    pub sysid: u8,
    pub compid: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// First heartbeat from this system.
    Appeared,
    /// No heartbeat within the timeout.
    Lost,
    /// Heartbeats again after being lost.
    Regained,
}

#[derive(Debug, Clone)]
struct Tracked {
    last_heartbeat: Instant,
    lost: bool,
}

#[derive(Debug)]
pub struct SystemTracker {
    timeout: Duration,
    systems: BTreeMap<SystemId, Tracked>,
}

impl SystemTracker {
    pub fn new(timeout: Duration) -> Self {
        Self {
            timeout,
            systems: BTreeMap::new(),
        }
    }

    pub fn on_heartbeat(&mut self, id: SystemId, now: Instant) -> Option<Presence> {
        match self.systems.get_mut(&id) {
            None => {
                self.systems.insert(
                    id,
                    Tracked {
                        last_heartbeat: now,
                        lost: false,
                    },
                );
                Some(Presence::Appeared)
            }
            Some(t) => {
                t.last_heartbeat = now;
                if t.lost {
                    t.lost = false;
                    Some(Presence::Regained)
                } else {
                    None
                }
            }
        }
    }

    /// Any other frame from a known system proves the link too (telemetry streams at several
    /// hertz, so a lost link is seen sooner than from heartbeats alone). Unknown systems are
    /// not created here: only a heartbeat makes a system appear.
    pub fn on_frame(&mut self, id: SystemId, now: Instant) -> Option<Presence> {
        let t = self.systems.get_mut(&id)?;
        t.last_heartbeat = now;
        if t.lost {
            t.lost = false;
            Some(Presence::Regained)
        } else {
            None
        }
    }

    /// Systems that crossed the timeout since the last call.
    pub fn tick(&mut self, now: Instant) -> Vec<(SystemId, Presence)> {
        let mut out = Vec::new();
        for (id, t) in &mut self.systems {
            if !t.lost && now.saturating_duration_since(t.last_heartbeat) > self.timeout {
                t.lost = true;
                out.push((*id, Presence::Lost));
            }
        }
        out
    }

    /// Every system not yet lost, marked lost: after the station itself stalled (suspended
    /// laptop, SIGSTOP, a frozen thread) nothing it heard before proves the link now.
    pub fn lose_all(&mut self) -> Vec<(SystemId, Presence)> {
        let mut out = Vec::new();
        for (id, t) in &mut self.systems {
            if !t.lost {
                t.lost = true;
                out.push((*id, Presence::Lost));
            }
        }
        out
    }

    pub fn is_lost(&self, id: SystemId) -> Option<bool> {
        self.systems.get(&id).map(|t| t.lost)
    }

    pub fn last_heartbeat(&self, id: SystemId) -> Option<Instant> {
        self.systems.get(&id).map(|t| t.last_heartbeat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_after_timeout_and_regained() {
        let t0 = Instant::now();
        let id = SystemId {
            sysid: 1,
            compid: 1,
        };
        let mut tr = SystemTracker::new(Duration::from_secs(3));
        assert_eq!(tr.on_heartbeat(id, t0), Some(Presence::Appeared));
        assert_eq!(tr.on_heartbeat(id, t0 + Duration::from_secs(1)), None);
        assert!(
            tr.tick(t0 + Duration::from_secs(3)).is_empty(),
            "2 s of silence is not lost"
        );
        assert_eq!(
            tr.tick(t0 + Duration::from_millis(4100)),
            vec![(id, Presence::Lost)]
        );
        assert!(
            tr.tick(t0 + Duration::from_secs(5)).is_empty(),
            "lost is reported once"
        );
        assert_eq!(
            tr.on_heartbeat(id, t0 + Duration::from_secs(6)),
            Some(Presence::Regained)
        );
        assert_eq!(tr.is_lost(id), Some(false));
    }
}

//! When the station last spoke to its vehicles (its heartbeat) and its last long silence.
//!
//! An autopilot acts alone when its ground station falls silent: ArduPilot's GCS failsafe
//! (FS_GCS_ENABLE, after FS_GCS_TIMEOUT, 5 s by default) takes it home. A command asked before
//! such a silence and sent after it would undo that decision — a go-to's DO_REPOSITION switches
//! an RTL back to GUIDED and the vehicle hovers where the pilot was sending it, out of contact
//! minutes earlier. So a command asked before a silence is not sent after it (RTL, LAND, BRAKE
//! and disarm are never held: they take the safety lane, which does not ask).

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Three heartbeats missed at 1 Hz: under the shortest default GCS failsafe of ArduPilot (5 s),
/// well over what a loaded machine delays a tick.
pub const SILENCE_LIMIT: Duration = Duration::from_secs(3);

/// After a silence the station reads a backlog of the vehicle's old frames (the socket buffer
/// held what it could, the newest may have been dropped): its picture of the vehicle is stale
/// for a moment, and a command judged on it is held too.
pub const SETTLE: Duration = Duration::from_secs(2);

#[derive(Debug)]
pub struct StationVoice {
    limit: Duration,
    inner: Mutex<Voice>,
}

#[derive(Debug, Clone, Copy)]
struct Voice {
    last_beat: Instant,
    /// The last silence longer than the limit: (last beat before it, first beat after it).
    last_silence: Option<(Instant, Instant)>,
}

impl StationVoice {
    pub fn new(now: Instant, limit: Duration) -> Self {
        Self {
            limit,
            inner: Mutex::new(Voice {
                last_beat: now,
                last_silence: None,
            }),
        }
    }

    fn voice(&self) -> Voice {
        // A poisoned lock still holds the last times written; they are plain copies.
        *self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The station's heartbeat went out at `now`.
    pub fn beat(&self, now: Instant) {
        let mut v = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if now.saturating_duration_since(v.last_beat) > self.limit {
            v.last_silence = Some((v.last_beat, now));
        }
        v.last_beat = now;
    }

    /// How long the station was silent around `asked` (a request's time), if longer than the
    /// limit: silent right now (just thawed, its heartbeat not yet out), or a silence that ended
    /// after the request was asked or less than [`SETTLE`] before it.
    pub fn silent_since(&self, asked: Instant, now: Instant) -> Option<Duration> {
        let v = self.voice();
        let current = now.saturating_duration_since(v.last_beat);
        if current > self.limit {
            return Some(current);
        }
        match v.last_silence {
            Some((from, to)) if to + SETTLE > asked => Some(to.saturating_duration_since(from)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_asked_before_or_just_after_a_silence_is_held_one_asked_later_is_not() {
        let t0 = Instant::now();
        let s = |x: u64| t0 + Duration::from_millis(x);
        let v = StationVoice::new(t0, SILENCE_LIMIT);
        for ms in [1000, 2000, 3000] {
            v.beat(s(ms));
        }
        assert_eq!(v.silent_since(s(2500), s(3100)), None, "beats every second");
        // Frozen from 3 s to 9 s; a request asked at 3.2 s.
        assert_eq!(
            v.silent_since(s(3200), s(9000)),
            Some(Duration::from_secs(6)),
            "thawed, no heartbeat out yet"
        );
        v.beat(s(9000));
        assert_eq!(
            v.silent_since(s(3200), s(9010)),
            Some(Duration::from_secs(6)),
            "the silence ended after the request was asked"
        );
        assert_eq!(
            v.silent_since(s(9500), s(9510)),
            Some(Duration::from_secs(6)),
            "asked while the backlog of old frames is read"
        );
        v.beat(s(10_000));
        v.beat(s(11_000));
        assert_eq!(
            v.silent_since(s(11_100), s(11_200)),
            None,
            "asked once settled"
        );
    }

    #[test]
    fn a_late_tick_under_load_is_not_a_silence() {
        let t0 = Instant::now();
        let v = StationVoice::new(t0, SILENCE_LIMIT);
        v.beat(t0 + Duration::from_millis(2900));
        assert_eq!(v.silent_since(t0, t0 + Duration::from_millis(2950)), None);
    }
}

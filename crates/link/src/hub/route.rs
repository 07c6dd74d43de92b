//! Where a vehicle's commands go, and which frames may speak for it (pure: the caller passes
//! what it knows). The route moves only on an authenticated frame from the vehicle's autopilot:
//! signed with its key, from anywhere; unsigned, only where the link itself vouches for the
//! sender (the one remote of a tcpout/udpout/serial link reconnecting) or once the route's
//! peer has gone silent. Any other sender claiming the vehicle's system id is refused, so a
//! frame that merely parses can neither take the command route nor change the picture.

use std::time::{Duration, Instant};

use crate::transport::PeerKey;

/// How a frame was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// A valid signature with the vehicle's key, fresh timestamp.
    Signed,
    /// No usable signature (an unkeyed vehicle, or unsigned frames accepted by policy).
    Unsigned,
}

/// The peer a vehicle is reached through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub link: usize,
    pub peer: PeerKey,
    /// Last frame accepted from this peer for the vehicle.
    pub last_heard: Instant,
    /// The transport said the peer is gone (TCP client closed, UDP peer dropped).
    pub gone: bool,
}

/// What the route says about one frame for the vehicle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteVerdict {
    /// Take the frame; `move_route`: commands go to its sender from now on.
    Accept { move_route: bool },
    /// Another sender with the vehicle's system id: refuse it.
    Foreign,
}

/// The facts about the frame's sender.
#[derive(Debug, Clone, Copy)]
pub struct Sender {
    pub link: usize,
    pub peer: PeerKey,
    pub auth: Auth,
    /// From the vehicle's autopilot component (only it moves the route).
    pub from_autopilot: bool,
    /// The frame's link has one remote at a time (tcpout, udpout, udpbcast, serial, file): a
    /// new peer there is the same remote reconnected.
    pub single_peer_link: bool,
}

impl Route {
    /// Silent longer than `stale_after`, or gone: the vehicle may have moved (a new radio, a
    /// restarted router), and an unsigned frame from elsewhere may take the route.
    pub fn is_stale(&self, now: Instant, stale_after: Duration) -> bool {
        self.gone || now.saturating_duration_since(self.last_heard) > stale_after
    }

    pub fn judge(&self, s: Sender, now: Instant, stale_after: Duration) -> RouteVerdict {
        if s.link == self.link && s.peer == self.peer {
            return RouteVerdict::Accept { move_route: false };
        }
        let moves = match s.auth {
            // The key proves the sender, wherever it speaks from.
            Auth::Signed => true,
            Auth::Unsigned if s.link == self.link && s.single_peer_link => true,
            Auth::Unsigned if s.from_autopilot && self.is_stale(now, stale_after) => true,
            Auth::Unsigned => return RouteVerdict::Foreign,
        };
        RouteVerdict::Accept {
            move_route: moves && s.from_autopilot,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_table() {
        let t0 = Instant::now();
        let stale = Duration::from_millis(2500);
        let route = Route {
            link: 0,
            peer: 7,
            last_heard: t0,
            gone: false,
        };
        let s = |link, peer, auth, from_autopilot, single_peer_link| Sender {
            link,
            peer,
            auth,
            from_autopilot,
            single_peer_link,
        };
        use Auth::*;
        use RouteVerdict::*;
        let later = t0 + Duration::from_millis(100);
        let much_later = t0 + Duration::from_secs(5);
        let cases = [
            (
                "the route's own peer",
                s(0, 7, Unsigned, true, false),
                later,
                Accept { move_route: false },
            ),
            (
                "a signed frame from a new peer moves it",
                s(0, 9, Signed, true, false),
                later,
                Accept { move_route: true },
            ),
            (
                "signed, but from the camera: accepted, no move",
                s(0, 9, Signed, false, false),
                later,
                Accept { move_route: false },
            ),
            (
                "signed, another link",
                s(1, 0, Signed, true, true),
                later,
                Accept { move_route: true },
            ),
            (
                "unsigned spoofer on the same udpin",
                s(0, 9, Unsigned, true, false),
                later,
                Foreign,
            ),
            (
                "unsigned spoofer's position, not autopilot",
                s(0, 9, Unsigned, false, false),
                much_later,
                Foreign,
            ),
            (
                "unsigned from another link",
                s(1, 0, Unsigned, true, true),
                later,
                Foreign,
            ),
            (
                "tcpout reconnected: same remote",
                s(0, 8, Unsigned, true, true),
                later,
                Accept { move_route: true },
            ),
            (
                "unsigned after the route went silent",
                s(0, 9, Unsigned, true, false),
                much_later,
                Accept { move_route: true },
            ),
        ];
        for (name, sender, now, want) in cases {
            assert_eq!(route.judge(sender, now, stale), want, "{name}");
        }
        let gone = Route {
            gone: true,
            ..route
        };
        assert_eq!(
            gone.judge(s(0, 9, Unsigned, true, false), later, stale),
            Accept { move_route: true },
            "the TCP client closed: its successor takes the route"
        );
    }
}

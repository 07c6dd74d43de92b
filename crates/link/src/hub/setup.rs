//! A key being installed with SETUP_SIGNING: the station keeps its previous policy until a frame
//! signed with the new key comes back from the vehicle's autopilot, resending meanwhile.

use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::HubError;
use crate::frame::FrameRef;
use crate::signing::{SignatureCheck, SigningKey, Verifier};

/// SETUP_SIGNING is resent this often until confirmed (a lost frame on a lossy bench cable).
pub(crate) const RESEND: Duration = Duration::from_secs(1);

pub(crate) struct PendingSetup {
    pub key: SigningKey,
    pub verifier: Verifier,
    pub started: Instant,
    pub deadline: Instant,
    pub next_resend: Instant,
    pub reply: oneshot::Sender<Result<(), HubError>>,
}

impl PendingSetup {
    pub fn new(
        key: SigningKey,
        now: Instant,
        timeout: Duration,
        reply: oneshot::Sender<Result<(), HubError>>,
    ) -> Self {
        Self {
            verifier: Verifier::new(key.clone()),
            key,
            started: now,
            deadline: now + timeout,
            next_resend: now + RESEND,
            reply,
        }
    }

    /// Whether this frame, from the vehicle's autopilot, proves it signs with the new key.
    pub fn confirmed_by(&mut self, frame: &FrameRef<'_>, autopilot: u8, local_ts: u64) -> bool {
        frame.compid == autopilot
            && frame.is_signed()
            && self.verifier.check(frame, local_ts) == SignatureCheck::Valid
    }

    /// Time to send SETUP_SIGNING again (and when the next one is due).
    pub fn resend_due(&mut self, now: Instant) -> bool {
        if now < self.next_resend || now >= self.deadline {
            return false;
        }
        self.next_resend = now + RESEND;
        true
    }
}

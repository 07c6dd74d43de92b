//! The shape every request/response exchange with a vehicle shares: a pure state machine that
//! says what to send and when it is done; the vehicle actor owns the clock and the socket.

use std::time::Instant;

use crate::MavMessage;

/// What one step of a transaction asks for.
#[derive(Debug)]
pub struct Step<T> {
    pub send: Vec<MavMessage>,
    /// `Some` when the transaction is over.
    pub outcome: Option<T>,
}

impl<T> Step<T> {
    pub fn send(send: Vec<MavMessage>) -> Self {
        Self {
            send,
            outcome: None,
        }
    }
    pub fn wait() -> Self {
        Self {
            send: Vec::new(),
            outcome: None,
        }
    }
    pub fn done(outcome: T) -> Self {
        Self {
            send: Vec::new(),
            outcome: Some(outcome),
        }
    }
    pub fn done_after(send: Vec<MavMessage>, outcome: T) -> Self {
        Self {
            send,
            outcome: Some(outcome),
        }
    }
}

/// A request/response exchange. `deadline` is when `on_timeout` must be called if nothing arrives.
pub trait Transaction {
    type Output;
    fn start(&mut self, now: Instant) -> Step<Self::Output>;
    fn on_message(&mut self, msg: &MavMessage, now: Instant) -> Step<Self::Output>;
    fn on_timeout(&mut self, now: Instant) -> Step<Self::Output>;
    fn deadline(&self) -> Instant;
    /// Stop now (the operator cancelled): what to tell the vehicle, and the outcome.
    fn cancel(&mut self) -> Step<Self::Output>;
}

/// Who we talk to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub sysid: u8,
    pub compid: u8,
}

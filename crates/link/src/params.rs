//! Parameter protocol: the full list (re-requesting missing indices), read one, set one and check
//! the echoed PARAM_VALUE.
//!
//! ArduPilot carries every value as the float it equals ("C cast"); PX4 and MAVSDK put the integer's
//! bytes in the float ("bytewise"). Both are supported; the caller picks per autopilot.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::MavMessage;
use crate::ardupilotmega as apm;
use crate::protocol::{Step, Target, Transaction};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub enum ParamEncoding {
    /// ArduPilot: the float holds the value.
    #[default]
    CCast,
    /// PX4 / MAVSDK: the float's bytes are the integer's bytes.
    Bytewise,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Param {
    pub name: String,
    pub value: f64,
    pub param_type: crate::values::ParamType,
    pub index: u16,
}

fn is_integer(t: apm::MavParamType) -> bool {
    !matches!(
        t,
        apm::MavParamType::MAV_PARAM_TYPE_REAL32 | apm::MavParamType::MAV_PARAM_TYPE_REAL64
    )
}

pub fn decode_value(raw: f32, t: apm::MavParamType, enc: ParamEncoding) -> f64 {
    if enc == ParamEncoding::CCast || !is_integer(t) {
        return f64::from(raw);
    }
    let b = raw.to_le_bytes();
    match t {
        apm::MavParamType::MAV_PARAM_TYPE_UINT8 => f64::from(b[0]),
        apm::MavParamType::MAV_PARAM_TYPE_INT8 => f64::from(b[0] as i8),
        apm::MavParamType::MAV_PARAM_TYPE_UINT16 => f64::from(u16::from_le_bytes([b[0], b[1]])),
        apm::MavParamType::MAV_PARAM_TYPE_INT16 => f64::from(i16::from_le_bytes([b[0], b[1]])),
        apm::MavParamType::MAV_PARAM_TYPE_UINT32 => f64::from(u32::from_le_bytes(b)),
        _ => f64::from(i32::from_le_bytes(b)),
    }
}

pub fn encode_value(value: f64, t: apm::MavParamType, enc: ParamEncoding) -> f32 {
    if enc == ParamEncoding::CCast || !is_integer(t) {
        return value as f32;
    }
    let v = value.round() as i64;
    let bytes = match t {
        apm::MavParamType::MAV_PARAM_TYPE_UINT8 => [v as u8, 0, 0, 0],
        apm::MavParamType::MAV_PARAM_TYPE_INT8 => [v as i8 as u8, 0, 0, 0],
        apm::MavParamType::MAV_PARAM_TYPE_UINT16 | apm::MavParamType::MAV_PARAM_TYPE_INT16 => {
            let x = (v as u16).to_le_bytes();
            [x[0], x[1], 0, 0]
        }
        _ => (v as i32).to_le_bytes(),
    };
    f32::from_le_bytes(bytes)
}

/// PARAM ids are 16 chars, NUL-padded, and not NUL-terminated when all 16 are used.
pub fn param_id_to_string(id: &[u8]) -> String {
    let end = id.iter().position(|&c| c == 0).unwrap_or(id.len());
    String::from_utf8_lossy(&id[..end]).into_owned()
}

pub fn param_id_from_str(name: &str) -> Result<[u8; 16], ParamError> {
    let b = name.as_bytes();
    if b.is_empty() || b.len() > 16 || !name.is_ascii() {
        return Err(ParamError::BadName(name.to_string()));
    }
    let mut id = [0u8; 16];
    id[..b.len()].copy_from_slice(b);
    Ok(id)
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParamError {
    #[error("parameter name {0:?} must be 1 to 16 ASCII characters")]
    BadName(String),
    #[error("no answer for parameter {0} after every retry")]
    NoAnswer(String),
    #[error("parameter list incomplete after every retry: {missing} of {count} missing")]
    Incomplete {
        missing: usize,
        count: u16,
        received: Vec<Param>,
    },
    #[error("cancelled by the operator")]
    Cancelled,
    #[error("{name} was set to {asked} but the vehicle reports {got}")]
    NotApplied { name: String, asked: f64, got: f64 },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamTiming {
    /// Silence in the PARAM_VALUE stream after which missing indices are re-requested.
    pub gap_timeout: Duration,
    pub timeout: Duration,
    pub retries: u8,
}

impl Default for ParamTiming {
    fn default() -> Self {
        Self {
            gap_timeout: Duration::from_millis(1000),
            timeout: Duration::from_millis(1500),
            retries: 5,
        }
    }
}

fn param_of(v: &apm::PARAM_VALUE_DATA, enc: ParamEncoding) -> Param {
    Param {
        name: param_id_to_string(&v.param_id[..]),
        value: decode_value(v.param_value, v.param_type, enc),
        param_type: crate::values::ParamType::from_mav(v.param_type),
        index: v.param_index,
    }
}

/// Fetch every parameter.
#[derive(Debug)]
pub struct ParamListTx {
    target: Target,
    enc: ParamEncoding,
    timing: ParamTiming,
    count: Option<u16>,
    got: BTreeMap<u16, Param>,
    rounds_without_progress: u8,
    received_at_last_round: usize,
    deadline: Instant,
}

impl ParamListTx {
    pub fn new(target: Target, enc: ParamEncoding, timing: ParamTiming) -> Self {
        Self {
            target,
            enc,
            timing,
            count: None,
            got: BTreeMap::new(),
            rounds_without_progress: 0,
            received_at_last_round: 0,
            deadline: Instant::now(),
        }
    }

    fn missing(&self) -> Vec<u16> {
        (0..self.count.unwrap_or(0))
            .filter(|i| !self.got.contains_key(i))
            .collect()
    }
}

impl Transaction for ParamListTx {
    type Output = Result<Vec<Param>, ParamError>;

    fn start(&mut self, now: Instant) -> Step<Self::Output> {
        self.deadline = now + self.timing.timeout;
        Step::send(vec![MavMessage::PARAM_REQUEST_LIST(
            apm::PARAM_REQUEST_LIST_DATA {
                target_system: self.target.sysid,
                target_component: self.target.compid,
            },
        )])
    }

    fn on_message(&mut self, msg: &MavMessage, now: Instant) -> Step<Self::Output> {
        let MavMessage::PARAM_VALUE(v) = msg else {
            return Step::wait();
        };
        // Index 65535 answers a by-name read; it is not part of the list.
        if v.param_index == u16::MAX {
            return Step::wait();
        }
        self.count.get_or_insert(v.param_count);
        self.got.insert(v.param_index, param_of(v, self.enc));
        if self.missing().is_empty() {
            return Step::done(Ok(std::mem::take(&mut self.got).into_values().collect()));
        }
        self.deadline = now + self.timing.gap_timeout;
        Step::wait()
    }

    fn on_timeout(&mut self, now: Instant) -> Step<Self::Output> {
        if self.got.len() == self.received_at_last_round {
            self.rounds_without_progress += 1;
        } else {
            self.rounds_without_progress = 0;
        }
        self.received_at_last_round = self.got.len();
        if self.rounds_without_progress > self.timing.retries {
            let missing = self.missing().len();
            return Step::done(Err(ParamError::Incomplete {
                missing,
                count: self.count.unwrap_or(0),
                received: std::mem::take(&mut self.got).into_values().collect(),
            }));
        }
        self.deadline = now + self.timing.timeout;
        if self.count.is_none() {
            return self.start(now);
        }
        // Ask for the holes one by one; a flood of requests is itself lossy, so cap a round.
        let reqs = self
            .missing()
            .into_iter()
            .take(64)
            .map(|i| {
                MavMessage::PARAM_REQUEST_READ(apm::PARAM_REQUEST_READ_DATA {
                    param_index: i as i16,
                    target_system: self.target.sysid,
                    target_component: self.target.compid,
                    param_id: [0u8; 16].into(),
                })
            })
            .collect();
        Step::send(reqs)
    }

    fn deadline(&self) -> Instant {
        self.deadline
    }
    fn cancel(&mut self) -> Step<Self::Output> {
        Step::done(Err(ParamError::Cancelled))
    }
}

/// Read one parameter by name.
#[derive(Debug)]
pub struct ParamReadTx {
    target: Target,
    name: String,
    id: [u8; 16],
    enc: ParamEncoding,
    timing: ParamTiming,
    retries_left: u8,
    deadline: Instant,
}

impl ParamReadTx {
    pub fn new(
        target: Target,
        name: &str,
        enc: ParamEncoding,
        timing: ParamTiming,
    ) -> Result<Self, ParamError> {
        Ok(Self {
            target,
            name: name.to_string(),
            id: param_id_from_str(name)?,
            enc,
            timing,
            retries_left: timing.retries,
            deadline: Instant::now(),
        })
    }
    fn msg(&self) -> MavMessage {
        MavMessage::PARAM_REQUEST_READ(apm::PARAM_REQUEST_READ_DATA {
            param_index: -1,
            target_system: self.target.sysid,
            target_component: self.target.compid,
            param_id: self.id.into(),
        })
    }
}

impl Transaction for ParamReadTx {
    type Output = Result<Param, ParamError>;
    fn start(&mut self, now: Instant) -> Step<Self::Output> {
        self.deadline = now + self.timing.timeout;
        Step::send(vec![self.msg()])
    }
    fn on_message(&mut self, msg: &MavMessage, _now: Instant) -> Step<Self::Output> {
        match msg {
            MavMessage::PARAM_VALUE(v) if *v.param_id == self.id => {
                Step::done(Ok(param_of(v, self.enc)))
            }
            _ => Step::wait(),
        }
    }
    fn on_timeout(&mut self, now: Instant) -> Step<Self::Output> {
        if self.retries_left == 0 {
            return Step::done(Err(ParamError::NoAnswer(self.name.clone())));
        }
        self.retries_left -= 1;
        self.start(now)
    }
    fn deadline(&self) -> Instant {
        self.deadline
    }
    fn cancel(&mut self) -> Step<Self::Output> {
        Step::done(Err(ParamError::Cancelled))
    }
}

/// Set one parameter and check the echo.
#[derive(Debug)]
pub struct ParamSetTx {
    target: Target,
    name: String,
    id: [u8; 16],
    value: f64,
    param_type: apm::MavParamType,
    enc: ParamEncoding,
    timing: ParamTiming,
    retries_left: u8,
    deadline: Instant,
}

impl ParamSetTx {
    /// `param_type` as the vehicle reported it (from the list or a read); ArduPilot checks it.
    pub fn new(
        target: Target,
        name: &str,
        value: f64,
        param_type: crate::values::ParamType,
        enc: ParamEncoding,
        timing: ParamTiming,
    ) -> Result<Self, ParamError> {
        let param_type = param_type.to_mav();
        Ok(Self {
            target,
            name: name.to_string(),
            id: param_id_from_str(name)?,
            value,
            param_type,
            enc,
            timing,
            retries_left: timing.retries,
            deadline: Instant::now(),
        })
    }
    fn msg(&self) -> MavMessage {
        MavMessage::PARAM_SET(apm::PARAM_SET_DATA {
            param_value: encode_value(self.value, self.param_type, self.enc),
            target_system: self.target.sysid,
            target_component: self.target.compid,
            param_id: self.id.into(),
            param_type: self.param_type,
        })
    }
}

impl Transaction for ParamSetTx {
    type Output = Result<Param, ParamError>;
    fn start(&mut self, now: Instant) -> Step<Self::Output> {
        self.deadline = now + self.timing.timeout;
        Step::send(vec![self.msg()])
    }
    fn on_message(&mut self, msg: &MavMessage, _now: Instant) -> Step<Self::Output> {
        match msg {
            MavMessage::PARAM_VALUE(v) if *v.param_id == self.id => {
                let p = param_of(v, self.enc);
                // Compare at the precision the wire carries.
                if (p.value as f32) == (self.value as f32)
                    || (is_integer(self.param_type) && p.value.round() == self.value.round())
                {
                    Step::done(Ok(p))
                } else {
                    Step::done(Err(ParamError::NotApplied {
                        name: self.name.clone(),
                        asked: self.value,
                        got: p.value,
                    }))
                }
            }
            _ => Step::wait(),
        }
    }
    fn on_timeout(&mut self, now: Instant) -> Step<Self::Output> {
        if self.retries_left == 0 {
            return Step::done(Err(ParamError::NoAnswer(self.name.clone())));
        }
        self.retries_left -= 1;
        self.start(now)
    }
    fn deadline(&self) -> Instant {
        self.deadline
    }
    fn cancel(&mut self) -> Step<Self::Output> {
        Step::done(Err(ParamError::Cancelled))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Target = Target {
        sysid: 1,
        compid: 1,
    };

    fn pv(name: &str, index: u16, count: u16, value: f32) -> MavMessage {
        MavMessage::PARAM_VALUE(apm::PARAM_VALUE_DATA {
            param_value: value,
            param_count: count,
            param_index: index,
            param_id: param_id_from_str(name).unwrap().into(),
            param_type: apm::MavParamType::MAV_PARAM_TYPE_REAL32,
        })
    }

    #[test]
    fn list_rerequests_only_the_missing_indices() {
        let now = Instant::now();
        let mut tx = ParamListTx::new(T, ParamEncoding::CCast, ParamTiming::default());
        tx.start(now);
        for i in [0u16, 1, 3] {
            assert!(
                tx.on_message(&pv(&format!("P{i}"), i, 5, 1.0), now)
                    .outcome
                    .is_none()
            );
        }
        let s = tx.on_timeout(tx.deadline());
        let asked: Vec<i16> = s
            .send
            .iter()
            .map(|m| match m {
                MavMessage::PARAM_REQUEST_READ(r) => r.param_index,
                _ => panic!(),
            })
            .collect();
        assert_eq!(asked, vec![2, 4]);
        tx.on_message(&pv("P2", 2, 5, 1.0), now);
        let done = tx.on_message(&pv("P4", 4, 5, 1.0), now);
        assert_eq!(done.outcome.unwrap().unwrap().len(), 5);
    }

    #[test]
    fn encodings() {
        let t = apm::MavParamType::MAV_PARAM_TYPE_INT32;
        assert_eq!(
            decode_value(
                encode_value(123456.0, t, ParamEncoding::Bytewise),
                t,
                ParamEncoding::Bytewise
            ),
            123456.0
        );
        assert_eq!(encode_value(3.0, t, ParamEncoding::CCast), 3.0);
        let t8 = apm::MavParamType::MAV_PARAM_TYPE_INT8;
        assert_eq!(
            decode_value(
                encode_value(-3.0, t8, ParamEncoding::Bytewise),
                t8,
                ParamEncoding::Bytewise
            ),
            -3.0
        );
        assert_eq!(
            param_id_to_string(b"FENCE_ALT_MAX_XY"),
            "FENCE_ALT_MAX_XY",
            "16 chars, no NUL"
        );
        assert!(param_id_from_str("THIS_NAME_IS_TOO_LONG").is_err());
    }

    #[test]
    fn set_reports_a_value_the_vehicle_did_not_take() {
        let now = Instant::now();
        let mut tx = ParamSetTx::new(
            T,
            "FENCE_ALT_MAX",
            120.0,
            crate::values::ParamType::Real32,
            ParamEncoding::CCast,
            ParamTiming::default(),
        )
        .unwrap();
        tx.start(now);
        let s = tx.on_message(&pv("FENCE_ALT_MAX", 3, 10, 100.0), now);
        assert!(matches!(
            s.outcome,
            Some(Err(ParamError::NotApplied { .. }))
        ));
    }
}

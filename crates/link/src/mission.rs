//! Mission, fence and rally transfer (MAVLink mission protocol) as pure state machines, and the
//! read-back comparison by meaning.
//!
//! ArduPilot specifics handled here (DOMAIN.md §3): it answers MISSION_COUNT with the deprecated
//! MISSION_REQUEST, so both requests are served with MISSION_ITEM_INT; items come back with the
//! non-`_INT` frame numbers; mission item 0 is home and is rewritten by the vehicle.
#![allow(deprecated)] // ArduPilot still speaks MISSION_REQUEST/MISSION_ITEM; we must too.

use std::time::{Duration, Instant};

use num_traits::FromPrimitive;

use crate::MavMessage;
use crate::ardupilotmega as apm;
use crate::protocol::{Step, Target, Transaction};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum MissionType {
    Mission,
    Fence,
    Rally,
}

impl MissionType {
    fn mav(self) -> apm::MavMissionType {
        match self {
            MissionType::Mission => apm::MavMissionType::MAV_MISSION_TYPE_MISSION,
            MissionType::Fence => apm::MavMissionType::MAV_MISSION_TYPE_FENCE,
            MissionType::Rally => apm::MavMissionType::MAV_MISSION_TYPE_RALLY,
        }
    }
    fn matches(self, t: apm::MavMissionType) -> bool {
        t == self.mav()
    }
}

/// One item, as numbers (MAV_CMD and MAV_FRAME values), so callers need not name the dialect.
/// `x`/`y` are latitude/longitude in 1e-7 degrees for global frames.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MissionItem {
    pub seq: u16,
    pub frame: u8,
    pub command: u16,
    pub current: u8,
    pub autocontinue: u8,
    pub param1: f32,
    pub param2: f32,
    pub param3: f32,
    pub param4: f32,
    pub x: i32,
    pub y: i32,
    pub z: f32,
}

impl MissionItem {
    /// A NAV_WAYPOINT at a position, altitude relative to home.
    pub fn waypoint(seq: u16, lat_deg: f64, lon_deg: f64, alt_rel_m: f32) -> Self {
        Self {
            seq,
            frame: apm::MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT_INT as u8,
            command: apm::MavCmd::MAV_CMD_NAV_WAYPOINT as u16,
            current: 0,
            autocontinue: 1,
            param1: 0.0,
            param2: 0.0,
            param3: 0.0,
            param4: 0.0,
            x: (lat_deg * 1e7).round() as i32,
            y: (lon_deg * 1e7).round() as i32,
            z: alt_rel_m,
        }
    }

    /// Any item with a global position: `params` 1–4 as MAVLink defines them for `command`;
    /// `frame` a MAV_FRAME number (3 relative to home, 0 AMSL, 10 terrain); NaN params stay NaN.
    #[allow(clippy::too_many_arguments)]
    pub fn global(
        seq: u16,
        frame: u8,
        command: u16,
        params: [f32; 4],
        lat_deg: f64,
        lon_deg: f64,
        alt_m: f32,
        autocontinue: bool,
    ) -> Self {
        Self {
            seq,
            frame,
            command,
            current: 0,
            autocontinue: u8::from(autocontinue),
            param1: params[0],
            param2: params[1],
            param3: params[2],
            param4: params[3],
            x: (lat_deg * 1e7).round() as i32,
            y: (lon_deg * 1e7).round() as i32,
            z: alt_m,
        }
    }

    /// One vertex of a fence polygon (MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION / _EXCLUSION):
    /// every vertex of a polygon carries the polygon's vertex count; inclusion polygons of one
    /// `group` are combined by ArduPilot. Fence items carry no altitude (the ceiling is
    /// FENCE_ALT_MAX).
    pub fn fence_vertex(
        seq: u16,
        lat_deg: f64,
        lon_deg: f64,
        vertex_count: u16,
        inclusion: bool,
        group: u8,
    ) -> Self {
        let command = if inclusion {
            apm::MavCmd::MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION
        } else {
            apm::MavCmd::MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION
        };
        let param2 = if inclusion { f32::from(group) } else { 0.0 };
        Self::global(
            seq,
            apm::MavFrame::MAV_FRAME_GLOBAL as u8,
            command as u16,
            [f32::from(vertex_count), param2, 0.0, 0.0],
            lat_deg,
            lon_deg,
            0.0,
            true,
        )
    }

    /// A fence circle (MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION / _EXCLUSION).
    pub fn fence_circle(
        seq: u16,
        lat_deg: f64,
        lon_deg: f64,
        radius_m: f32,
        inclusion: bool,
    ) -> Self {
        let command = if inclusion {
            apm::MavCmd::MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION
        } else {
            apm::MavCmd::MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION
        };
        Self::global(
            seq,
            apm::MavFrame::MAV_FRAME_GLOBAL as u8,
            command as u16,
            [radius_m, 0.0, 0.0, 0.0],
            lat_deg,
            lon_deg,
            0.0,
            true,
        )
    }

    /// A rally point (MAV_CMD_NAV_RALLY_POINT), altitude above home.
    pub fn rally_point(seq: u16, lat_deg: f64, lon_deg: f64, alt_rel_m: f32) -> Self {
        Self::global(
            seq,
            apm::MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT as u8,
            apm::MavCmd::MAV_CMD_NAV_RALLY_POINT as u16,
            [0.0; 4],
            lat_deg,
            lon_deg,
            alt_rel_m,
            true,
        )
    }

    fn to_message(
        self,
        target: Target,
        mission_type: MissionType,
    ) -> Result<MavMessage, MissionError> {
        let command = apm::MavCmd::from_u16(self.command)
            .ok_or(MissionError::UnknownCommand(self.command))?;
        let frame =
            apm::MavFrame::from_u8(self.frame).ok_or(MissionError::UnknownFrame(self.frame))?;
        Ok(MavMessage::MISSION_ITEM_INT(apm::MISSION_ITEM_INT_DATA {
            param1: self.param1,
            param2: self.param2,
            param3: self.param3,
            param4: self.param4,
            x: self.x,
            y: self.y,
            z: self.z,
            seq: self.seq,
            command,
            target_system: target.sysid,
            target_component: target.compid,
            frame,
            current: self.current,
            autocontinue: self.autocontinue,
            mission_type: mission_type.mav(),
        }))
    }

    fn from_int(m: &apm::MISSION_ITEM_INT_DATA) -> Self {
        Self {
            seq: m.seq,
            frame: m.frame as u8,
            command: m.command as u16,
            current: m.current,
            autocontinue: m.autocontinue,
            param1: m.param1,
            param2: m.param2,
            param3: m.param3,
            param4: m.param4,
            x: m.x,
            y: m.y,
            z: m.z,
        }
    }

    /// Legacy MISSION_ITEM carries degrees as float; convert to the _INT form.
    fn from_float(m: &apm::MISSION_ITEM_DATA) -> Self {
        Self {
            seq: m.seq,
            frame: m.frame as u8,
            command: m.command as u16,
            current: m.current,
            autocontinue: m.autocontinue,
            param1: m.param1,
            param2: m.param2,
            param3: m.param3,
            param4: m.param4,
            x: (f64::from(m.x) * 1e7).round() as i32,
            y: (f64::from(m.y) * 1e7).round() as i32,
            z: m.z,
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MissionError {
    #[error("the vehicle did not answer during {stage} after every retry")]
    Timeout { stage: String },
    #[error("the vehicle rejected the transfer: {0}")]
    Rejected(String),
    #[error("cancelled by the operator")]
    Cancelled,
    #[error("MAV_CMD {0} is not known to the ardupilotmega dialect")]
    UnknownCommand(u16),
    #[error("MAV_FRAME {0} is not known to the ardupilotmega dialect")]
    UnknownFrame(u8),
    #[error("items must be numbered 0..n in order; item {index} has seq {seq}")]
    BadNumbering { index: usize, seq: u16 },
    #[error("read-back differs from what was sent: {0:?}")]
    ReadBackMismatch(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MissionTiming {
    /// Waiting for the first answer (count, first request, ack).
    pub timeout: Duration,
    /// Waiting between items.
    pub item_timeout: Duration,
    pub retries: u8,
}

impl Default for MissionTiming {
    /// The spec's values: 1500 ms, 250 ms per item, 5 retries.
    fn default() -> Self {
        Self {
            timeout: Duration::from_millis(1500),
            item_timeout: Duration::from_millis(250),
            retries: 5,
        }
    }
}

fn ack(target: Target, t: MissionType, result: apm::MavMissionResult) -> MavMessage {
    MavMessage::MISSION_ACK(apm::MISSION_ACK_DATA {
        target_system: target.sysid,
        target_component: target.compid,
        mavtype: result,
        mission_type: t.mav(),
        opaque_id: 0,
    })
}

/// Upload items; done when the vehicle acknowledges.
#[derive(Debug)]
pub struct UploadTx {
    target: Target,
    mission_type: MissionType,
    items: Vec<MavMessage>,
    timing: MissionTiming,
    last_sent: Option<MavMessage>,
    retries_left: u8,
    deadline: Instant,
    stage: String,
    /// How many times each item was sent (for reporting retransmissions).
    pub resent: u32,
}

impl UploadTx {
    pub fn new(
        target: Target,
        mission_type: MissionType,
        items: &[MissionItem],
        timing: MissionTiming,
    ) -> Result<Self, MissionError> {
        let mut msgs = Vec::with_capacity(items.len());
        for (i, it) in items.iter().enumerate() {
            if usize::from(it.seq) != i {
                return Err(MissionError::BadNumbering {
                    index: i,
                    seq: it.seq,
                });
            }
            msgs.push(it.to_message(target, mission_type)?);
        }
        Ok(Self {
            target,
            mission_type,
            items: msgs,
            timing,
            last_sent: None,
            retries_left: timing.retries,
            deadline: Instant::now(),
            stage: "count".into(),
            resent: 0,
        })
    }
}

impl Transaction for UploadTx {
    type Output = Result<(), MissionError>;

    fn start(&mut self, now: Instant) -> Step<Self::Output> {
        let count = MavMessage::MISSION_COUNT(apm::MISSION_COUNT_DATA {
            count: self.items.len() as u16,
            target_system: self.target.sysid,
            target_component: self.target.compid,
            mission_type: self.mission_type.mav(),
            opaque_id: 0,
        });
        self.last_sent = Some(count.clone());
        self.deadline = now + self.timing.timeout;
        Step::send(vec![count])
    }

    fn on_message(&mut self, msg: &MavMessage, now: Instant) -> Step<Self::Output> {
        let requested = match msg {
            MavMessage::MISSION_REQUEST_INT(r) if self.mission_type.matches(r.mission_type) => {
                r.seq
            }
            MavMessage::MISSION_REQUEST(r) if self.mission_type.matches(r.mission_type) => r.seq,
            MavMessage::MISSION_ACK(a) if self.mission_type.matches(a.mission_type) => {
                return match a.mavtype {
                    apm::MavMissionResult::MAV_MISSION_ACCEPTED => Step::done(Ok(())),
                    other => Step::done(Err(MissionError::Rejected(format!("{other:?}")))),
                };
            }
            _ => return Step::wait(),
        };
        let Some(item) = self.items.get(usize::from(requested)).cloned() else {
            return Step::wait();
        };
        self.retries_left = self.timing.retries;
        self.stage = format!("item {requested}");
        self.last_sent = Some(item.clone());
        self.deadline = now + self.timing.item_timeout.max(self.timing.timeout / 6);
        Step::send(vec![item])
    }

    fn on_timeout(&mut self, now: Instant) -> Step<Self::Output> {
        if self.retries_left == 0 {
            return Step::done_after(
                vec![ack(
                    self.target,
                    self.mission_type,
                    apm::MavMissionResult::MAV_MISSION_OPERATION_CANCELLED,
                )],
                Err(MissionError::Timeout {
                    stage: self.stage.clone(),
                }),
            );
        }
        self.retries_left -= 1;
        self.resent += 1;
        self.deadline = now + self.timing.timeout;
        Step::send(self.last_sent.iter().cloned().collect())
    }

    fn deadline(&self) -> Instant {
        self.deadline
    }

    fn cancel(&mut self) -> Step<Self::Output> {
        Step::done_after(
            vec![ack(
                self.target,
                self.mission_type,
                apm::MavMissionResult::MAV_MISSION_OPERATION_CANCELLED,
            )],
            Err(MissionError::Cancelled),
        )
    }
}

/// Download every item of one type.
#[derive(Debug)]
pub struct DownloadTx {
    target: Target,
    mission_type: MissionType,
    timing: MissionTiming,
    count: Option<u16>,
    items: Vec<MissionItem>,
    retries_left: u8,
    deadline: Instant,
}

impl DownloadTx {
    pub fn new(target: Target, mission_type: MissionType, timing: MissionTiming) -> Self {
        Self::resume(target, mission_type, timing, Vec::new())
    }

    /// Start again after a timed-out attempt, keeping the items already received: the list is
    /// requested anew and, if its count is unchanged, reading goes on where it stopped. (A lossy
    /// radio link can defeat one item's retries now and then; the operator would press "retry";
    /// the station does it for them without re-reading what it already has.)
    pub fn resume(
        target: Target,
        mission_type: MissionType,
        timing: MissionTiming,
        partial: Vec<MissionItem>,
    ) -> Self {
        Self {
            target,
            mission_type,
            timing,
            count: None,
            items: partial,
            retries_left: timing.retries,
            deadline: Instant::now(),
        }
    }

    /// The items received so far (after a failure).
    pub fn take_partial(&mut self) -> Vec<MissionItem> {
        std::mem::take(&mut self.items)
    }

    fn request_list(&self) -> MavMessage {
        MavMessage::MISSION_REQUEST_LIST(apm::MISSION_REQUEST_LIST_DATA {
            target_system: self.target.sysid,
            target_component: self.target.compid,
            mission_type: self.mission_type.mav(),
        })
    }

    fn request_item(&self, seq: u16) -> MavMessage {
        MavMessage::MISSION_REQUEST_INT(apm::MISSION_REQUEST_INT_DATA {
            seq,
            target_system: self.target.sysid,
            target_component: self.target.compid,
            mission_type: self.mission_type.mav(),
        })
    }

    fn next_step(&mut self, now: Instant) -> Step<Result<Vec<MissionItem>, MissionError>> {
        let count = self.count.unwrap_or(0);
        if self.items.len() >= usize::from(count) {
            return Step::done_after(
                vec![ack(
                    self.target,
                    self.mission_type,
                    apm::MavMissionResult::MAV_MISSION_ACCEPTED,
                )],
                Ok(std::mem::take(&mut self.items)),
            );
        }
        self.retries_left = self.timing.retries;
        self.deadline = now + self.timing.item_timeout.max(self.timing.timeout / 6);
        Step::send(vec![self.request_item(self.items.len() as u16)])
    }
}

impl Transaction for DownloadTx {
    type Output = Result<Vec<MissionItem>, MissionError>;

    fn start(&mut self, now: Instant) -> Step<Self::Output> {
        self.deadline = now + self.timing.timeout;
        Step::send(vec![self.request_list()])
    }

    fn on_message(&mut self, msg: &MavMessage, now: Instant) -> Step<Self::Output> {
        match msg {
            MavMessage::MISSION_COUNT(c) if self.mission_type.matches(c.mission_type) => {
                if self.count.is_none() {
                    if self.items.len() > usize::from(c.count) {
                        self.items.clear(); // not the list we were reading
                    }
                    self.count = Some(c.count);
                    return self.next_step(now);
                }
                Step::wait()
            }
            MavMessage::MISSION_ITEM_INT(m) if self.mission_type.matches(m.mission_type) => {
                if self.count.is_some() && usize::from(m.seq) == self.items.len() {
                    self.items.push(MissionItem::from_int(m));
                    return self.next_step(now);
                }
                Step::wait()
            }
            MavMessage::MISSION_ITEM(m) if self.mission_type.matches(m.mission_type) => {
                if self.count.is_some() && usize::from(m.seq) == self.items.len() {
                    self.items.push(MissionItem::from_float(m));
                    return self.next_step(now);
                }
                Step::wait()
            }
            MavMessage::MISSION_ACK(a)
                if self.mission_type.matches(a.mission_type)
                    && a.mavtype != apm::MavMissionResult::MAV_MISSION_ACCEPTED =>
            {
                Step::done(Err(MissionError::Rejected(format!("{:?}", a.mavtype))))
            }
            _ => Step::wait(),
        }
    }

    fn on_timeout(&mut self, now: Instant) -> Step<Self::Output> {
        if self.retries_left == 0 {
            let stage = match self.count {
                None => "count".to_string(),
                Some(_) => format!("item {}", self.items.len()),
            };
            return Step::done(Err(MissionError::Timeout { stage }));
        }
        self.retries_left -= 1;
        self.deadline = now + self.timing.timeout;
        let msg = match self.count {
            None => self.request_list(),
            Some(_) => self.request_item(self.items.len() as u16),
        };
        Step::send(vec![msg])
    }

    fn deadline(&self) -> Instant {
        self.deadline
    }

    fn cancel(&mut self) -> Step<Self::Output> {
        Step::done_after(
            vec![ack(
                self.target,
                self.mission_type,
                apm::MavMissionResult::MAV_MISSION_OPERATION_CANCELLED,
            )],
            Err(MissionError::Cancelled),
        )
    }
}

/// MISSION_CLEAR_ALL for one type.
#[derive(Debug)]
pub struct ClearTx {
    target: Target,
    mission_type: MissionType,
    timing: MissionTiming,
    retries_left: u8,
    deadline: Instant,
}

impl ClearTx {
    pub fn new(target: Target, mission_type: MissionType, timing: MissionTiming) -> Self {
        Self {
            target,
            mission_type,
            timing,
            retries_left: timing.retries,
            deadline: Instant::now(),
        }
    }
    fn msg(&self) -> MavMessage {
        MavMessage::MISSION_CLEAR_ALL(apm::MISSION_CLEAR_ALL_DATA {
            target_system: self.target.sysid,
            target_component: self.target.compid,
            mission_type: self.mission_type.mav(),
        })
    }
}

impl Transaction for ClearTx {
    type Output = Result<(), MissionError>;
    fn start(&mut self, now: Instant) -> Step<Self::Output> {
        self.deadline = now + self.timing.timeout;
        Step::send(vec![self.msg()])
    }
    fn on_message(&mut self, msg: &MavMessage, _now: Instant) -> Step<Self::Output> {
        match msg {
            MavMessage::MISSION_ACK(a) if self.mission_type.matches(a.mission_type) => {
                match a.mavtype {
                    apm::MavMissionResult::MAV_MISSION_ACCEPTED => Step::done(Ok(())),
                    other => Step::done(Err(MissionError::Rejected(format!("{other:?}")))),
                }
            }
            _ => Step::wait(),
        }
    }
    fn on_timeout(&mut self, now: Instant) -> Step<Self::Output> {
        if self.retries_left == 0 {
            return Step::done(Err(MissionError::Timeout {
                stage: "clear".into(),
            }));
        }
        self.retries_left -= 1;
        self.deadline = now + self.timing.timeout;
        Step::send(vec![self.msg()])
    }
    fn deadline(&self) -> Instant {
        self.deadline
    }
    fn cancel(&mut self) -> Step<Self::Output> {
        Step::done(Err(MissionError::Cancelled))
    }
}

/// The frame without the `_INT` distinction (ArduPilot answers 3 for 6, 0 for 5, 10 for 11).
pub fn normalise_frame(frame: u8) -> u8 {
    match frame {
        5 => 0,
        6 => 3,
        11 => 10,
        f => f,
    }
}

fn same_f32(a: f32, b: f32) -> bool {
    (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-4 * a.abs().max(b.abs()).max(1.0)
}

/// Compare what was sent with what was read back, by meaning. `vehicle_rewrites_home`: ArduPilot
/// replaces mission item 0 with its home, so it is not compared.
pub fn compare(
    sent: &[MissionItem],
    got: &[MissionItem],
    mission_type: MissionType,
    vehicle_rewrites_home: bool,
) -> Result<(), MissionError> {
    let mut diffs = Vec::new();
    if sent.len() != got.len() {
        diffs.push(format!(
            "{} items sent, {} read back",
            sent.len(),
            got.len()
        ));
    }
    let skip = usize::from(vehicle_rewrites_home && mission_type == MissionType::Mission);
    for (a, b) in sent.iter().zip(got).skip(skip) {
        let mut d = Vec::new();
        if a.command != b.command {
            d.push(format!("command {} ≠ {}", a.command, b.command));
        }
        if normalise_frame(a.frame) != normalise_frame(b.frame) {
            d.push(format!("frame {} ≠ {}", a.frame, b.frame));
        }
        for (name, x, y) in [
            ("param1", a.param1, b.param1),
            ("param2", a.param2, b.param2),
            ("param3", a.param3, b.param3),
            ("param4", a.param4, b.param4),
            ("z", a.z, b.z),
        ] {
            if !same_f32(x, y) {
                d.push(format!("{name} {x} ≠ {y}"));
            }
        }
        // A vehicle answering with legacy MISSION_ITEM carries degrees as f32 (≈ 0.5 m at our
        // latitudes); allow exactly that precision and no more.
        let tol = |v: i32| {
            (f64::from(v).abs() * f64::from(f32::EPSILON))
                .ceil()
                .max(1.0) as i64
        };
        if (i64::from(a.x) - i64::from(b.x)).abs() > tol(a.x)
            || (i64::from(a.y) - i64::from(b.y)).abs() > tol(a.y)
        {
            d.push(format!("position {},{} ≠ {},{}", a.x, a.y, b.x, b.y));
        }
        if !d.is_empty() {
            diffs.push(format!("item {}: {}", a.seq, d.join(", ")));
        }
    }
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(MissionError::ReadBackMismatch(diffs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Target = Target {
        sysid: 1,
        compid: 1,
    };

    fn items(n: u16) -> Vec<MissionItem> {
        (0..n)
            .map(|i| MissionItem::waypoint(i, 43.515 + f64::from(i) * 1e-4, 4.989, 30.0))
            .collect()
    }

    fn req(seq: u16) -> MavMessage {
        // ArduCopter sends the deprecated MISSION_REQUEST.
        MavMessage::MISSION_REQUEST(apm::MISSION_REQUEST_DATA {
            seq,
            target_system: 255,
            target_component: 190,
            mission_type: apm::MavMissionType::MAV_MISSION_TYPE_MISSION,
        })
    }

    #[test]
    fn upload_serves_legacy_requests_with_item_int_and_ends_on_ack() {
        let now = Instant::now();
        let mut tx =
            UploadTx::new(T, MissionType::Mission, &items(3), MissionTiming::default()).unwrap();
        let s = tx.start(now);
        assert!(matches!(&s.send[0], MavMessage::MISSION_COUNT(c) if c.count == 3));
        for seq in [0, 1, 1, 2] {
            let s = tx.on_message(&req(seq), now);
            assert!(
                matches!(&s.send[0], MavMessage::MISSION_ITEM_INT(m) if m.seq == seq),
                "re-request of {seq} is served again"
            );
        }
        let done = tx.on_message(
            &ack(
                T,
                MissionType::Mission,
                apm::MavMissionResult::MAV_MISSION_ACCEPTED,
            ),
            now,
        );
        assert_eq!(done.outcome, Some(Ok(())));
    }

    #[test]
    fn upload_gives_up_after_the_spec_retries() {
        let now = Instant::now();
        let mut tx =
            UploadTx::new(T, MissionType::Fence, &items(2), MissionTiming::default()).unwrap();
        tx.start(now);
        for _ in 0..5 {
            let s = tx.on_timeout(tx.deadline());
            assert!(
                matches!(&s.send[0], MavMessage::MISSION_COUNT(_)),
                "the count is resent"
            );
            assert!(s.outcome.is_none());
        }
        let s = tx.on_timeout(tx.deadline());
        assert!(matches!(s.outcome, Some(Err(MissionError::Timeout { .. }))));
        assert!(
            matches!(&s.send[0], MavMessage::MISSION_ACK(a) if a.mavtype == apm::MavMissionResult::MAV_MISSION_OPERATION_CANCELLED)
        );
    }

    #[test]
    fn download_reads_legacy_float_items_and_acks() {
        let now = Instant::now();
        let mut tx = DownloadTx::new(T, MissionType::Mission, MissionTiming::default());
        tx.start(now);
        let s = tx.on_message(
            &MavMessage::MISSION_COUNT(apm::MISSION_COUNT_DATA {
                count: 1,
                ..Default::default()
            }),
            now,
        );
        assert!(matches!(&s.send[0], MavMessage::MISSION_REQUEST_INT(r) if r.seq == 0));
        let item = apm::MISSION_ITEM_DATA {
            seq: 0,
            x: 43.515,
            y: 4.989,
            z: 30.0,
            frame: apm::MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT,
            command: apm::MavCmd::MAV_CMD_NAV_WAYPOINT,
            ..Default::default()
        };
        let s = tx.on_message(&MavMessage::MISSION_ITEM(item), now);
        let Some(Ok(got)) = s.outcome else {
            panic!("{s:?}")
        };
        assert!(
            compare(&items(1), &got, MissionType::Mission, false).is_ok(),
            "frame 6 sent, 3 read back: same meaning"
        );
        assert!(matches!(&s.send[0], MavMessage::MISSION_ACK(_)));
    }

    #[test]
    fn compare_skips_home_only_for_missions_on_ardupilot() {
        let sent = items(3);
        let mut got = sent.clone();
        got[0].x += 1000;
        assert!(compare(&sent, &got, MissionType::Mission, true).is_ok());
        assert!(compare(&sent, &got, MissionType::Mission, false).is_err());
        assert!(compare(&sent, &got, MissionType::Fence, true).is_err());
        got[2].z = 31.0;
        assert!(compare(&sent, &got, MissionType::Mission, true).is_err());
    }

    #[test]
    fn misnumbered_items_are_refused_before_sending() {
        let mut it = items(2);
        it[1].seq = 5;
        assert!(matches!(
            UploadTx::new(T, MissionType::Mission, &it, MissionTiming::default()),
            Err(MissionError::BadNumbering { index: 1, seq: 5 })
        ));
    }
}

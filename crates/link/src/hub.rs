//! The link hub: every link, every peer, one parser per peer, signing policy, statistics, the
//! station's heartbeat, the read-only forwarder, the tlogs (one per vehicle), and routing to the
//! vehicle actors.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use mavlink::MavHeader;
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use crate::MavMessage;
use crate::address::LinkAddress;
use crate::ardupilotmega as apm;
use crate::command::VehicleCommand;
use crate::events::{LinkEvent, LinkEventKind};
use crate::forward::would_command;
use crate::frame::{FrameError, FrameParser, Parsed, RawFrame, encode_v2};
use crate::protocol::Target;
use crate::signing::{SignatureCheck, Signer, SigningKey, Verifier, timestamp_at};
use crate::stats::{LinkStats, StatsSnapshot};
use crate::tlog::TlogWriter;
use crate::tracker::{Presence, SystemId, SystemTracker};
use crate::transport::{self, Outgoing, PeerKey, TransportEvent};
use crate::values::{Autopilot, heartbeat_is_autopilot};
use crate::vehicle::{self, Timings, VehicleHandle};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRole {
    /// Vehicles are reached through this link.
    Vehicle,
    /// Telemetry is copied out (a CSU); nothing it sends reaches a vehicle.
    ReadOnlyOutput,
}

#[derive(Debug, Clone)]
pub struct LinkConfig {
    pub address: LinkAddress,
    pub role: LinkRole,
    /// A wired link on the bench: the only kind SETUP_SIGNING may travel on.
    pub secure: bool,
}

impl LinkConfig {
    pub fn vehicle(address: LinkAddress) -> Self {
        Self {
            address,
            role: LinkRole::Vehicle,
            secure: false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct HubConfig {
    pub sysid: u8,
    pub compid: u8,
    pub heartbeat_period: Duration,
    /// Silence (no frame at all from the autopilot) after which a vehicle is marked lost.
    pub lost_timeout: Duration,
    pub links: Vec<LinkConfig>,
    /// Signing keys by vehicle system id.
    pub keys: BTreeMap<u8, SigningKey>,
    /// Accept unsigned frames from a vehicle that has a key (off by default: fail closed).
    pub accept_unsigned_when_keyed: bool,
    /// Our link id in signatures.
    pub signing_link_id: u8,
    pub timings: Timings,
    /// Message rates (message id, Hz) asked of each new vehicle with SET_MESSAGE_INTERVAL, and
    /// messages requested once (REQUEST_MESSAGE).
    pub rates_hz: Vec<(u32, f32)>,
    pub request_once: Vec<u32>,
    /// A whole-hub tlog (tools and tests); flights get one per vehicle ([`LinkHub::set_tlog`]).
    pub tlog: Option<PathBuf>,
}

impl Default for HubConfig {
    fn default() -> Self {
        Self {
            sysid: 255,
            compid: 190,
            heartbeat_period: Duration::from_secs(1),
            // Judged on every frame from the autopilot, checked every 250 ms: a lost link is
            // reported within 3 s of the last frame.
            lost_timeout: Duration::from_millis(2500),
            links: Vec::new(),
            keys: BTreeMap::new(),
            accept_unsigned_when_keyed: false,
            signing_link_id: 0,
            timings: Timings::default(),
            // GLOBAL_POSITION_INT, ATTITUDE, VFR_HUD, SYS_STATUS, GPS_RAW_INT, BATTERY_STATUS,
            // WIND, FENCE_STATUS, EXTENDED_SYS_STATE, MISSION_CURRENT, EKF_STATUS_REPORT.
            rates_hz: vec![
                (33, 5.0),
                (30, 10.0),
                (74, 4.0),
                (1, 2.0),
                (24, 2.0),
                (147, 1.0),
                (168, 1.0),
                (162, 1.0),
                (245, 1.0),
                (42, 1.0),
                (193, 1.0),
            ],
            // HOME_POSITION, VIDEO_STREAM_INFORMATION.
            request_once: vec![242, 269],
            tlog: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error(transparent)]
    Transport(#[from] transport::TransportError),
    #[error("cannot create tlog {path}: {source}")]
    Tlog {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "SETUP_SIGNING refused: vehicle {sysid} is reached over {link}, which is not marked secure; install keys over a wired link"
    )]
    InsecureLink { sysid: u8, link: String },
    #[error("vehicle {0} has not been seen on any link")]
    UnknownVehicle(u8),
    #[error("the link hub has stopped")]
    Stopped,
}

enum Control {
    SetupSigning {
        sysid: u8,
        key: SigningKey,
        reply: oneshot::Sender<Result<(), HubError>>,
    },
    SetKey {
        sysid: u8,
        key: Option<SigningKey>,
    },
    SetTlog {
        sysid: u8,
        path: Option<PathBuf>,
        reply: oneshot::Sender<Result<(), HubError>>,
    },
    /// Send a raw message to a vehicle (tests, tools). Commands go through [`VehicleHandle`].
    Raw {
        sysid: u8,
        msg: Box<MavMessage>,
    },
}

/// The running link layer. Cheap to clone.
#[derive(Clone)]
pub struct LinkHub {
    control: mpsc::Sender<Control>,
    vehicles: watch::Receiver<BTreeMap<u8, VehicleHandle>>,
    events: broadcast::Sender<LinkEvent>,
    stats: watch::Receiver<StatsSnapshot>,
    /// Local addresses of listening links (for port 0 binds), by link index.
    pub local_addrs: Vec<Option<SocketAddr>>,
}

impl LinkHub {
    pub async fn start(config: HubConfig) -> Result<LinkHub, HubError> {
        let (tev_tx, tev_rx) = mpsc::channel(4096);
        let mut outs = Vec::new();
        let mut local_addrs = Vec::new();
        for (i, l) in config.links.iter().enumerate() {
            let (out, local) = transport::spawn(i, &l.address, tev_tx.clone()).await?;
            outs.push(out);
            local_addrs.push(local);
        }
        let tlog = match &config.tlog {
            Some(p) => Some(TlogThread::start(p)?),
            None => None,
        };
        let (control_tx, control_rx) = mpsc::channel(64);
        let (vehicles_tx, vehicles_rx) = watch::channel(BTreeMap::new());
        let (events_tx, _) = broadcast::channel(1024);
        let (stats_tx, stats_rx) = watch::channel(StatsSnapshot::default());
        let (vout_tx, vout_rx) = mpsc::channel(1024);
        let names: Vec<String> = config.links.iter().map(|l| l.address.to_string()).collect();
        let hub = Hub {
            stats: StatsSnapshot {
                links: names
                    .iter()
                    .map(|n| (n.clone(), LinkStats::default()))
                    .collect(),
                ..Default::default()
            },
            names,
            parsers: HashMap::new(),
            verifiers: config
                .keys
                .iter()
                .map(|(s, k)| (*s, Verifier::new(k.clone())))
                .collect(),
            signers: config
                .keys
                .iter()
                .map(|(s, k)| (*s, Signer::new(k.clone(), config.signing_link_id)))
                .collect(),
            tracker: SystemTracker::new(config.lost_timeout),
            routes: HashMap::new(),
            vehicles: HashMap::new(),
            seq: 0,
            outs,
            tlog,
            tlogs: HashMap::new(),
            last_liveness: None,
            config,
            vehicles_tx,
            events: events_tx.clone(),
            stats_tx,
            vout_tx,
        };
        tokio::spawn(hub.run(tev_rx, control_rx, vout_rx));
        Ok(LinkHub {
            control: control_tx,
            vehicles: vehicles_rx,
            events: events_tx,
            stats: stats_rx,
            local_addrs,
        })
    }

    pub fn vehicles(&self) -> watch::Receiver<BTreeMap<u8, VehicleHandle>> {
        self.vehicles.clone()
    }

    pub fn events(&self) -> broadcast::Receiver<LinkEvent> {
        self.events.subscribe()
    }

    pub fn stats(&self) -> watch::Receiver<StatsSnapshot> {
        self.stats.clone()
    }

    /// Wait until a vehicle with this system id (any, when `None`) has been heard.
    pub async fn wait_vehicle(
        &self,
        sysid: Option<u8>,
        timeout: Duration,
    ) -> Option<VehicleHandle> {
        let mut rx = self.vehicles.clone();
        let found = tokio::time::timeout(
            timeout,
            rx.wait_for(|m| match sysid {
                Some(s) => m.contains_key(&s),
                None => !m.is_empty(),
            }),
        )
        .await
        .ok()?
        .ok()?
        .clone();
        match sysid {
            Some(s) => found.get(&s).cloned(),
            None => found.values().next().cloned(),
        }
    }

    /// Install a signing key on the vehicle (SETUP_SIGNING, only over a secure link) and use it.
    pub async fn setup_signing(&self, sysid: u8, key: SigningKey) -> Result<(), HubError> {
        let (tx, rx) = oneshot::channel();
        self.control
            .send(Control::SetupSigning {
                sysid,
                key,
                reply: tx,
            })
            .await
            .map_err(|_| HubError::Stopped)?;
        rx.await.map_err(|_| HubError::Stopped)?
    }

    /// Use (or stop using) a key for a vehicle that already has it.
    pub async fn set_key(&self, sysid: u8, key: Option<SigningKey>) -> Result<(), HubError> {
        self.control
            .send(Control::SetKey { sysid, key })
            .await
            .map_err(|_| HubError::Stopped)
    }

    /// Start a new tlog for one vehicle (closing its previous one), or stop with `None`. It
    /// holds the frames from that system and the frames sent to it (heartbeats included).
    pub async fn set_tlog(&self, sysid: u8, path: Option<PathBuf>) -> Result<(), HubError> {
        let (tx, rx) = oneshot::channel();
        self.control
            .send(Control::SetTlog {
                sysid,
                path,
                reply: tx,
            })
            .await
            .map_err(|_| HubError::Stopped)?;
        rx.await.map_err(|_| HubError::Stopped)?
    }

    /// Send one message to a vehicle outside any protocol (tools and tests).
    pub async fn send_raw(&self, sysid: u8, msg: MavMessage) -> Result<(), HubError> {
        self.control
            .send(Control::Raw {
                sysid,
                msg: Box::new(msg),
            })
            .await
            .map_err(|_| HubError::Stopped)
    }
}

struct VehicleEntry {
    inbound: mpsc::Sender<(u8, u8, MavMessage)>,
    telemetry: watch::Sender<crate::telemetry::VehicleTelemetry>,
    compid: u8,
}

struct Hub {
    config: HubConfig,
    names: Vec<String>,
    parsers: HashMap<(usize, PeerKey), FrameParser>,
    verifiers: HashMap<u8, Verifier>,
    signers: HashMap<u8, Signer>,
    tracker: SystemTracker,
    /// Where each system was last heard: (link, peer).
    routes: HashMap<u8, (usize, PeerKey)>,
    vehicles: HashMap<u8, VehicleEntry>,
    seq: u8,
    outs: Vec<mpsc::Sender<Outgoing>>,
    tlog: Option<TlogThread>,
    /// Per-vehicle flight tlogs.
    tlogs: HashMap<u8, TlogThread>,
    /// When liveness was last checked (a long gap means the station itself stalled).
    last_liveness: Option<Instant>,
    vehicles_tx: watch::Sender<BTreeMap<u8, VehicleHandle>>,
    events: broadcast::Sender<LinkEvent>,
    stats: StatsSnapshot,
    stats_tx: watch::Sender<StatsSnapshot>,
    vout_tx: mpsc::Sender<(u8, MavMessage)>,
}

impl Hub {
    async fn run(
        mut self,
        mut tev: mpsc::Receiver<TransportEvent>,
        mut control: mpsc::Receiver<Control>,
        mut vout: mpsc::Receiver<(u8, MavMessage)>,
    ) {
        let mut beat = tokio::time::interval(self.config.heartbeat_period);
        beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut liveness = tokio::time::interval(Duration::from_millis(250));
        liveness.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut control_open = true;
        loop {
            tokio::select! {
                ev = tev.recv() => match ev {
                    Some(ev) => self.on_transport(ev),
                    None => return,
                },
                Some((sysid, msg)) = vout.recv() => self.send_to_vehicle(sysid, &msg),
                c = control.recv(), if control_open => match c {
                    Some(c) => self.on_control(c),
                    // Every handle dropped: keep serving the vehicles' actors until they stop too.
                    None => control_open = false,
                },
                _ = beat.tick() => self.on_tick(),
                _ = liveness.tick() => self.check_liveness(),
            }
        }
    }

    fn event(&self, kind: LinkEventKind) {
        let _ = self.events.send(LinkEvent {
            at: SystemTime::now(),
            kind,
        });
    }

    fn link_stats(&mut self, link: usize) -> &mut LinkStats {
        let name = self.names.get(link).cloned().unwrap_or_default();
        self.stats.links.entry(name).or_default()
    }

    fn on_transport(&mut self, ev: TransportEvent) {
        match ev {
            TransportEvent::Up { link, detail } => {
                let s = self.link_stats(link);
                s.connected = true;
                s.last_error = None;
                self.event(LinkEventKind::LinkUp {
                    link: self.names[link].clone(),
                    detail,
                });
            }
            TransportEvent::Down { link, reason } => {
                let s = self.link_stats(link);
                s.connected = false;
                s.last_error = Some(reason.clone());
                self.event(LinkEventKind::LinkDown {
                    link: self.names[link].clone(),
                    reason,
                });
            }
            TransportEvent::Data { link, peer, bytes } => {
                self.link_stats(link).bytes_rx += bytes.len() as u64;
                let parsed = self.parsers.entry((link, peer)).or_default().push(&bytes);
                for p in parsed {
                    match p {
                        Parsed::Frame(f) => self.on_frame(link, peer, f),
                        Parsed::Error(e) => {
                            let s = self.link_stats(link);
                            match e {
                                FrameError::Garbage { bytes } => s.garbage_bytes += bytes as u64,
                                FrameError::BadCrc { .. } => s.crc_errors += 1,
                                FrameError::UnknownMessage { .. } => s.unknown_messages += 1,
                                FrameError::UnsupportedFlags { .. } => s.unsupported_flags += 1,
                            }
                        }
                    }
                }
            }
        }
    }

    fn on_frame(&mut self, link: usize, peer: PeerKey, frame: RawFrame) {
        let now_wall = SystemTime::now();
        let role = self
            .config
            .links
            .get(link)
            .map_or(LinkRole::Vehicle, |l| l.role);
        self.link_stats(link).frames_rx += 1;
        self.stats
            .senders
            .entry(SystemId {
                sysid: frame.sysid,
                compid: frame.compid,
            })
            .or_default()
            .on_seq(frame.seq);

        // Signing policy, per sending system.
        if let Some(v) = self.verifiers.get_mut(&frame.sysid) {
            let verdict = v.check(&frame, timestamp_at(now_wall));
            let why = match verdict {
                SignatureCheck::Valid => None,
                SignatureCheck::Unsigned if self.config.accept_unsigned_when_keyed => None,
                SignatureCheck::Unsigned => Some("unsigned"),
                SignatureCheck::BadSignature => Some("bad signature"),
                SignatureCheck::Replay => Some("replayed timestamp"),
            };
            if let Some(why) = why {
                let s = self.link_stats(link);
                match verdict {
                    SignatureCheck::Unsigned => s.unsigned_rejected += 1,
                    SignatureCheck::Replay => s.replays += 1,
                    _ => s.bad_signatures += 1,
                }
                self.event(LinkEventKind::SigningRejected {
                    link: self.names[link].clone(),
                    sysid: frame.sysid,
                    why: why.into(),
                });
                return;
            }
        }

        if let Some(t) = &self.tlog {
            t.write(now_wall, &frame);
        }

        let decoded = frame.decode();
        if decoded.is_err() {
            self.link_stats(link).undecodable += 1;
        }

        if role == LinkRole::ReadOnlyOutput {
            if let Ok(m) = &decoded
                && would_command(m)
            {
                self.link_stats(link).commands_dropped += 1;
                self.event(LinkEventKind::CommandDropped {
                    link: self.names[link].clone(),
                    message: mavlink::Message::message_name(m).to_string(),
                });
            }
            return;
        }

        // Copy everything a vehicle says to the read-only outputs, byte for byte.
        let bytes: Arc<[u8]> = Arc::from(frame.bytes.as_slice());
        for (i, l) in self.config.links.iter().enumerate() {
            if l.role == LinkRole::ReadOnlyOutput
                && let Some(out) = self.outs.get(i)
            {
                let _ = out.try_send(Outgoing {
                    peer: None,
                    bytes: bytes.clone(),
                });
            }
        }

        let Ok(msg) = decoded else { return };
        if frame.sysid == self.config.sysid {
            return; // our own frames echoed back (udp broadcast setups)
        }
        if let Some(t) = self.tlogs.get(&frame.sysid) {
            t.write(now_wall, &frame);
        }
        let now = Instant::now();
        let known_compid = self.vehicles.get(&frame.sysid).map(|v| v.compid);
        match &msg {
            MavMessage::HEARTBEAT(hb)
                if known_compid.is_none_or(|c| c == frame.compid)
                    && heartbeat_is_autopilot(hb.mavtype, hb.autopilot) =>
            {
                let id = SystemId {
                    sysid: frame.sysid,
                    compid: frame.compid,
                };
                // Commands go where the autopilot was last heard, never where a camera or any
                // other component of the system speaks from.
                self.routes.insert(frame.sysid, (link, peer));
                match self.tracker.on_heartbeat(id, now) {
                    Some(Presence::Appeared) => {
                        let autopilot = Autopilot::from_mav(hb.autopilot);
                        self.spawn_vehicle(frame.sysid, frame.compid, autopilot);
                        self.event(LinkEventKind::VehicleAppeared {
                            sysid: id.sysid,
                            compid: id.compid,
                            vehicle_type: hb.mavtype as u8,
                            autopilot,
                        });
                    }
                    Some(Presence::Regained) => self.regained(id),
                    _ => {}
                }
            }
            _ if known_compid == Some(frame.compid) => {
                self.routes.insert(frame.sysid, (link, peer));
                let id = SystemId {
                    sysid: frame.sysid,
                    compid: frame.compid,
                };
                if self.tracker.on_frame(id, now) == Some(Presence::Regained) {
                    self.regained(id);
                }
            }
            _ => {}
        }
        if let Some(v) = self.vehicles.get(&frame.sysid) {
            // Never block the hub on a slow actor: telemetry is replaced by the next message anyway.
            let _ = v.inbound.try_send((frame.sysid, frame.compid, msg));
        }
    }

    fn regained(&mut self, id: SystemId) {
        if let Some(v) = self.vehicles.get(&id.sysid) {
            v.telemetry.send_modify(|t| t.lost = false);
        }
        self.event(LinkEventKind::VehicleRegained {
            sysid: id.sysid,
            compid: id.compid,
        });
    }

    fn check_liveness(&mut self) {
        let now = Instant::now();
        let stalled = self
            .last_liveness
            .is_some_and(|t| now.saturating_duration_since(t) > self.config.lost_timeout);
        self.last_liveness = Some(now);
        let changes = if stalled {
            tracing::warn!("the station stalled: every vehicle counts as lost until heard again");
            self.tracker.lose_all()
        } else {
            self.tracker.tick(now)
        };
        for (id, presence) in changes {
            if presence == Presence::Lost {
                if let Some(v) = self.vehicles.get(&id.sysid) {
                    v.telemetry.send_modify(|t| t.lost = true);
                }
                self.event(LinkEventKind::VehicleLost {
                    sysid: id.sysid,
                    compid: id.compid,
                });
            }
        }
    }

    fn spawn_vehicle(&mut self, sysid: u8, compid: u8, autopilot: Autopilot) {
        if self.vehicles.contains_key(&sysid) {
            return;
        }
        let mut startup: Vec<VehicleCommand> = self
            .config
            .rates_hz
            .iter()
            .map(|&(id, hz)| VehicleCommand::SetMessageInterval {
                message_id: id,
                interval_us: if hz > 0.0 { (1e6 / hz) as i32 } else { -1 },
            })
            .collect();
        startup.extend(
            self.config
                .request_once
                .iter()
                .map(|&id| VehicleCommand::RequestMessage { message_id: id }),
        );
        let s = vehicle::spawn(
            Target { sysid, compid },
            self.config.sysid,
            self.config.timings,
            autopilot,
            self.vout_tx.clone(),
            self.events.clone(),
            startup,
        );
        self.vehicles.insert(
            sysid,
            VehicleEntry {
                inbound: s.inbound,
                telemetry: s.telemetry,
                compid,
            },
        );
        self.vehicles_tx.send_modify(|m| {
            m.insert(sysid, s.handle);
        });
    }

    fn next_header(&mut self) -> MavHeader {
        let h = MavHeader {
            system_id: u32::from(self.config.sysid),
            component_id: self.config.compid,
            sequence: self.seq,
        };
        self.seq = self.seq.wrapping_add(1);
        h
    }

    fn encode_for(&mut self, sysid: Option<u8>, msg: &MavMessage) -> RawFrame {
        let header = self.next_header();
        match sysid.and_then(|s| self.signers.get_mut(&s)) {
            Some(signer) => signer.sign(header, msg, timestamp_at(SystemTime::now())),
            None => encode_v2(header, msg),
        }
    }

    /// Send one frame; `to` is the vehicle it is for (None: everyone on the link), whose flight
    /// tlog records it.
    fn transmit(&mut self, link: usize, peer: Option<PeerKey>, to: Option<u8>, frame: &RawFrame) {
        let Some(out) = self.outs.get(link) else {
            return;
        };
        if out
            .try_send(Outgoing {
                peer,
                bytes: Arc::from(frame.bytes.as_slice()),
            })
            .is_ok()
        {
            let s = self.link_stats(link);
            s.frames_tx += 1;
            s.bytes_tx += frame.bytes.len() as u64;
        }
        let now = SystemTime::now();
        if let Some(t) = &self.tlog {
            t.write(now, frame);
        }
        match to {
            Some(sysid) => {
                if let Some(t) = self.tlogs.get(&sysid) {
                    t.write(now, frame);
                }
            }
            None => {
                for (sysid, t) in &self.tlogs {
                    if self.routes.get(sysid).is_some_and(|(l, _)| *l == link) {
                        t.write(now, frame);
                    }
                }
            }
        }
    }

    fn send_to_vehicle(&mut self, sysid: u8, msg: &MavMessage) {
        let Some(&(link, peer)) = self.routes.get(&sysid) else {
            return;
        };
        let frame = self.encode_for(Some(sysid), msg);
        self.transmit(link, Some(peer), Some(sysid), &frame);
    }

    fn on_tick(&mut self) {
        let hb = MavMessage::HEARTBEAT(apm::HEARTBEAT_DATA {
            custom_mode: 0,
            mavtype: apm::MavType::MAV_TYPE_GCS,
            autopilot: apm::MavAutopilot::MAV_AUTOPILOT_INVALID,
            base_mode: apm::MavModeFlag::empty(),
            system_status: apm::MavState::MAV_STATE_ACTIVE,
            mavlink_version: 3,
        });
        for link in 0..self.outs.len() {
            if self.config.links[link].role != LinkRole::Vehicle {
                continue;
            }
            // Keyed vehicles get a heartbeat signed with their key, on their own peer; everyone
            // else on the link gets an unsigned one.
            let keyed: Vec<(u8, PeerKey)> = self
                .routes
                .iter()
                .filter(|(s, (l, _))| *l == link && self.signers.contains_key(s))
                .map(|(s, (_, p))| (*s, *p))
                .collect();
            for (sysid, peer) in &keyed {
                let f = self.encode_for(Some(*sysid), &hb);
                self.transmit(link, Some(*peer), Some(*sysid), &f);
            }
            let unkeyed: Vec<(u8, PeerKey)> = self
                .routes
                .iter()
                .filter(|(s, (l, _))| *l == link && !self.signers.contains_key(s))
                .map(|(s, (_, p))| (*s, *p))
                .collect();
            if keyed.is_empty() {
                let f = self.encode_for(None, &hb);
                self.transmit(link, None, None, &f);
            } else {
                for (sysid, p) in unkeyed {
                    let f = self.encode_for(None, &hb);
                    self.transmit(link, Some(p), Some(sysid), &f);
                }
            }
        }
        if let Some(t) = &self.tlog {
            t.flush();
        }
        for t in self.tlogs.values() {
            t.flush();
        }
        self.stats_tx.send_replace(self.stats.clone());
    }

    fn on_control(&mut self, c: Control) {
        match c {
            Control::SetKey { sysid, key } => self.install_key(sysid, key),
            Control::SetupSigning { sysid, key, reply } => {
                let res = self.setup_signing(sysid, key);
                let _ = reply.send(res);
            }
            Control::SetTlog { sysid, path, reply } => {
                let old = self.tlogs.remove(&sysid);
                let res = match path {
                    None => Ok(()),
                    Some(p) => TlogThread::start(&p).map(|t| {
                        self.tlogs.insert(sysid, t);
                    }),
                };
                // Answer once the old log is flushed and closed, without blocking the hub.
                tokio::task::spawn_blocking(move || {
                    if let Some(old) = old {
                        old.close();
                    }
                    let _ = reply.send(res);
                });
            }
            Control::Raw { sysid, msg } => self.send_to_vehicle(sysid, &msg),
        }
    }

    fn install_key(&mut self, sysid: u8, key: Option<SigningKey>) {
        match key {
            Some(k) => {
                self.verifiers.insert(sysid, Verifier::new(k.clone()));
                self.signers
                    .insert(sysid, Signer::new(k, self.config.signing_link_id));
            }
            None => {
                self.verifiers.remove(&sysid);
                self.signers.remove(&sysid);
            }
        }
    }

    fn setup_signing(&mut self, sysid: u8, key: SigningKey) -> Result<(), HubError> {
        let &(link, _) = self
            .routes
            .get(&sysid)
            .ok_or(HubError::UnknownVehicle(sysid))?;
        if !self.config.links.get(link).is_some_and(|l| l.secure) {
            return Err(HubError::InsecureLink {
                sysid,
                link: self.names[link].clone(),
            });
        }
        let compid = self.vehicles.get(&sysid).map_or(1, |v| v.compid);
        let msg = MavMessage::SETUP_SIGNING(apm::SETUP_SIGNING_DATA {
            initial_timestamp: timestamp_at(SystemTime::now()),
            target_system: sysid,
            target_component: compid,
            secret_key: *key.bytes(),
        });
        // The key travels in the clear on purpose (that is the protocol), hence secure links only.
        self.send_to_vehicle(sysid, &msg);
        self.install_key(sysid, Some(key));
        Ok(())
    }
}

/// Writes the tlog on its own thread so disk stalls never stall the hub.
struct TlogThread {
    tx: std::sync::mpsc::Sender<TlogMsg>,
    handle: std::thread::JoinHandle<()>,
}

enum TlogMsg {
    Frame(SystemTime, RawFrame),
    Flush,
}

impl TlogThread {
    fn start(path: &std::path::Path) -> Result<Self, HubError> {
        let mut w = TlogWriter::create(path).map_err(|source| HubError::Tlog {
            path: path.to_path_buf(),
            source,
        })?;
        let (tx, rx) = std::sync::mpsc::channel::<TlogMsg>();
        let shown = path.to_path_buf();
        let handle = std::thread::Builder::new()
            .name("vigie-tlog".into())
            .spawn(move || {
                let mut failed = false;
                for m in rx {
                    let r = match m {
                        TlogMsg::Frame(at, f) => w.write(at, &f),
                        TlogMsg::Flush => w.flush(),
                    };
                    if let Err(e) = r
                        && !failed
                    {
                        // Reported once; the link keeps running without its log.
                        tracing::error!("tlog {}: {e}", shown.display());
                        failed = true;
                    }
                }
                let _ = w.flush();
            })
            .map_err(|source| HubError::Tlog {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(Self { tx, handle })
    }

    /// Flush, close, and wait for the writer to finish.
    fn close(self) {
        drop(self.tx);
        let _ = self.handle.join();
    }

    fn write(&self, at: SystemTime, f: &RawFrame) {
        let _ = self.tx.send(TlogMsg::Frame(at, f.clone()));
    }

    fn flush(&self) {
        let _ = self.tx.send(TlogMsg::Flush);
    }
}

//! The hub's task: one loop over transport data, control requests, frames from the vehicle
//! actors, the heartbeat tick and the liveness tick. One frame's way through it is described in
//! ARCHITECTURE.md ("One frame of telemetry").

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use mavlink::MavHeader;
use tokio::sync::{broadcast, mpsc, watch};

use super::route::{Auth, Route, RouteVerdict, Sender};
use super::setup::PendingSetup;
use super::tlog_thread::TlogThread;
use super::{Control, HubConfig, HubError, LinkHub, LinkRole};
use crate::MavMessage;
use crate::ardupilotmega as apm;
use crate::command::VehicleCommand;
use crate::events::{LinkEvent, LinkEventKind};
use crate::forward::would_command;
use crate::frame::{FrameError, FrameParser, FrameRef, ParsedRef, RawFrame, encode_v2};
use crate::protocol::Target;
use crate::reject::{RejectCounts, RejectKind, RejectLimiter, RejectReport};
use crate::signing::{SignatureCheck, Signer, SigningKey, Verifier, timestamp_at};
use crate::silence::{SILENCE_LIMIT, StationVoice};
use crate::stats::{HubTables, LinkStats, MAX_SENDERS, StatsSnapshot};
use crate::telemetry::VehicleTelemetry;
use crate::tracker::{Presence, SystemId, SystemTracker};
use crate::transport::{self, Outgoing, PeerKey, TransportEvent, TransportOptions};
use crate::values::{Autopilot, heartbeat_is_autopilot};
use crate::vehicle::{self, VehicleHandle};

/// Added to the stored signing timestamp at start: it is written once a second, so the last
/// second before a crash may not be in it.
const TIMESTAMP_MARGIN: u64 = 10 * 100_000;

pub(super) async fn start(config: HubConfig) -> Result<LinkHub, HubError> {
    let (tev_tx, tev_rx) = mpsc::channel(4096);
    let mut outs = Vec::new();
    let mut local_addrs = Vec::new();
    let mut protected = Vec::new();
    for (i, l) in config.links.iter().enumerate() {
        let (ptx, prx) = watch::channel(BTreeSet::new());
        let options = TransportOptions {
            max_peers: l.max_peers,
            peer_idle: config.peer_idle,
            protected: prx,
        };
        let (out, local) = transport::spawn(i, &l.address, tev_tx.clone(), options).await?;
        outs.push(out);
        local_addrs.push(local);
        protected.push(ptx);
    }
    let tlog_dropped = Arc::new(AtomicU64::new(0));
    let tlog = match &config.tlog {
        Some(p) => Some(
            TlogThread::start(p, tlog_dropped.clone()).map_err(|source| HubError::Tlog {
                path: p.clone(),
                source,
            })?,
        ),
        None => None,
    };
    // Never sign below what a previous run sent, whatever the clock says now.
    let stored = match &config.timestamp_file {
        Some(p) => crate::keystore::load_timestamp(p).map_err(|e| HubError::TimestampFile {
            path: p.clone(),
            problem: e.to_string(),
        })?,
        None => 0,
    };
    let ts_floor = if stored > 0 {
        stored + TIMESTAMP_MARGIN
    } else {
        0
    };
    let (control_tx, control_rx) = mpsc::channel(64);
    let (vehicles_tx, vehicles_rx) = watch::channel(BTreeMap::new());
    let (events_tx, _) = broadcast::channel(1024);
    let (stats_tx, stats_rx) = watch::channel(StatsSnapshot::default());
    let (vout_tx, vout_rx) = mpsc::channel(1024);
    let names: Vec<String> = config.links.iter().map(|l| l.address.to_string()).collect();
    // Three heartbeats missed, and never less than the limit a 1 Hz heartbeat gives.
    let voice = Arc::new(StationVoice::new(
        Instant::now(),
        SILENCE_LIMIT.max(config.heartbeat_period * 3),
    ));
    let mut hub = Hub {
        stats: StatsSnapshot {
            links: names
                .iter()
                .map(|n| (n.clone(), LinkStats::default()))
                .collect(),
            ..Default::default()
        },
        links: config
            .links
            .iter()
            .map(|_| LinkState {
                pinned_peer: None,
                vehicles: 0,
            })
            .collect(),
        names,
        parsers: HashMap::new(),
        verifiers: HashMap::new(),
        signers: HashMap::new(),
        keys: config.keys.clone(),
        ts_floor,
        ts_stored: stored,
        ts_writing: false,
        pending: HashMap::new(),
        limiter: RejectLimiter::new(config.reject_report_period),
        sys: (0..=255).map(|_| SysState::default()).collect(),
        tracker: SystemTracker::new(config.lost_timeout),
        vehicles: HashMap::new(),
        spawned: 0,
        seq: 0,
        outs,
        protected,
        tlog,
        tlogs: HashMap::new(),
        tlog_dropped,
        last_liveness: None,
        config,
        vehicles_tx,
        events: events_tx.clone(),
        stats_tx,
        vout_tx,
        voice,
        ts_tx: None,
    };
    let (ts_tx, ts_rx) = mpsc::channel(1);
    hub.ts_tx = Some(ts_tx);
    tokio::spawn(hub.run(tev_rx, control_rx, vout_rx, ts_rx));
    Ok(LinkHub {
        control: control_tx,
        vehicles: vehicles_rx,
        events: events_tx,
        stats: stats_rx,
        local_addrs,
    })
}

/// Per link.
struct LinkState {
    /// A pinned link's one peer, once heard.
    pinned_peer: Option<PeerKey>,
    /// Vehicle actors created from this link.
    vehicles: usize,
}

/// Per MAVLink system id (all 256 exist: no table to grow).
#[derive(Default)]
struct SysState {
    rejected: RejectCounts,
    /// Frames from this system have been accepted signed at least once.
    ever_signed: bool,
    unsigned_after_signed_at: Option<SystemTime>,
    /// A peer whose frames carry a valid signature with a timestamp too old for a new stream
    /// (a vehicle whose clock is behind, freshly booted): it gets our signed heartbeat, whose
    /// newer timestamp it adopts, after which its frames pass.
    behind_peer: Option<(usize, PeerKey)>,
}

struct VehicleEntry {
    inbound: mpsc::Sender<(u8, u8, MavMessage)>,
    telemetry: watch::Sender<VehicleTelemetry>,
    compid: u8,
    route: Route,
    /// Whether the last frame accepted from the autopilot was signed (None: none yet).
    signed: Option<bool>,
    /// What the telemetry last showed, to publish only changes.
    published_rejected: RejectCounts,
    published_after_signed: Option<SystemTime>,
    /// Order of appearance (older vehicles keep their protected peer first).
    spawn_order: u64,
    /// This vehicle's camera components already asked for their streams.
    cameras_asked: BTreeSet<u8>,
}

struct Hub {
    config: HubConfig,
    names: Vec<String>,
    links: Vec<LinkState>,
    parsers: HashMap<(usize, PeerKey), FrameParser>,
    verifiers: HashMap<u8, Verifier>,
    signers: HashMap<u8, Signer>,
    /// Keys by vehicle (the fleet key covers the others).
    keys: BTreeMap<u8, SigningKey>,
    /// Lowest signing timestamp allowed (the stored one plus a margin).
    ts_floor: u64,
    /// The value last written to the timestamp file, and whether a write is under way.
    ts_stored: u64,
    ts_writing: bool,
    ts_tx: Option<mpsc::Sender<u64>>,
    pending: HashMap<u8, PendingSetup>,
    limiter: RejectLimiter,
    sys: Vec<SysState>,
    tracker: SystemTracker,
    vehicles: HashMap<u8, VehicleEntry>,
    /// Vehicles spawned so far.
    spawned: u64,
    seq: u8,
    outs: Vec<mpsc::Sender<Outgoing>>,
    /// Per link: the peers the transport must never evict (routes and the pinned peer).
    protected: Vec<watch::Sender<BTreeSet<PeerKey>>>,
    tlog: Option<TlogThread>,
    /// Per-vehicle flight tlogs.
    tlogs: HashMap<u8, TlogThread>,
    tlog_dropped: Arc<AtomicU64>,
    /// When liveness was last checked (a long gap means the station itself stalled).
    last_liveness: Option<Instant>,
    vehicles_tx: watch::Sender<BTreeMap<u8, VehicleHandle>>,
    events: broadcast::Sender<LinkEvent>,
    stats: StatsSnapshot,
    stats_tx: watch::Sender<StatsSnapshot>,
    vout_tx: mpsc::Sender<(u8, MavMessage)>,
    /// When our heartbeat last went out (the vehicles' actors hold commands after a silence).
    voice: Arc<StationVoice>,
}

impl Hub {
    async fn run(
        mut self,
        mut tev: mpsc::Receiver<TransportEvent>,
        mut control: mpsc::Receiver<Control>,
        mut vout: mpsc::Receiver<(u8, MavMessage)>,
        mut ts_done: mpsc::Receiver<u64>,
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
                Some(stored) = ts_done.recv() => {
                    self.ts_writing = false;
                    self.ts_stored = self.ts_stored.max(stored);
                }
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

    fn link_role(&self, link: usize) -> LinkRole {
        self.config
            .links
            .get(link)
            .map_or(LinkRole::Vehicle, |l| l.role)
    }

    fn on_transport(&mut self, ev: TransportEvent) {
        match ev {
            TransportEvent::Up { link, detail } => {
                let s = self.link_stats(link);
                s.connected = true;
                self.event(LinkEventKind::LinkUp {
                    link: self.names[link].clone(),
                    detail,
                });
            }
            TransportEvent::Down { link, reason } => {
                let s = self.link_stats(link);
                s.connected = false;
                s.last_error = Some(reason.clone());
                tracing::warn!("link {} down: {reason}", self.names[link]);
                self.event(LinkEventKind::LinkDown {
                    link: self.names[link].clone(),
                    reason,
                });
            }
            TransportEvent::PeerGone { link, peer } => self.peer_gone(link, peer),
            TransportEvent::PeersRefused { link, count } => {
                self.link_stats(link).peers_refused += count;
                tracing::warn!(
                    "link {}: {count} peer(s) turned away, the table is full",
                    self.names[link]
                );
            }
            TransportEvent::Data { link, peer, bytes } => self.on_data(link, peer, &bytes),
        }
    }

    fn peer_gone(&mut self, link: usize, peer: PeerKey) {
        self.parsers.remove(&(link, peer));
        self.link_stats(link).peers_gone += 1;
        for v in self.vehicles.values_mut() {
            if v.route.link == link && v.route.peer == peer {
                v.route.gone = true;
            }
        }
        // A pinned TCP client that hung up: the link waits for its next first peer.
        if let Some(l) = self.links.get_mut(link)
            && l.pinned_peer == Some(peer)
        {
            l.pinned_peer = None;
        }
        self.update_protected(link);
    }

    fn on_data(&mut self, link: usize, peer: PeerKey, bytes: &[u8]) {
        let foreign = self
            .links
            .get(link)
            .and_then(|l| l.pinned_peer)
            .is_some_and(|p| p != peer);
        let s = self.link_stats(link);
        s.bytes_rx += bytes.len() as u64;
        // A pinned link hears its peer only: the rest is not even parsed.
        if foreign {
            s.foreign_peer += 1;
            return;
        }
        let mut parser = self.parsers.remove(&(link, peer)).unwrap_or_default();
        parser.push_with(bytes, |p| match p {
            ParsedRef::Frame(f) => self.on_frame(link, peer, f),
            ParsedRef::Error(e) => self.on_frame_error(link, e),
        });
        self.parsers.insert((link, peer), parser);
    }

    fn on_frame_error(&mut self, link: usize, e: FrameError) {
        let s = self.link_stats(link);
        match e {
            FrameError::Garbage { bytes } => s.garbage_bytes += bytes as u64,
            FrameError::BadCrc { .. } => s.crc_errors += 1,
            FrameError::UnknownMessage { .. } => s.unknown_messages += 1,
            FrameError::UnsupportedFlags { .. } => s.unsupported_flags += 1,
        }
    }

    fn count_sender(&mut self, frame: &FrameRef<'_>) {
        let id = SystemId {
            sysid: frame.sysid,
            compid: frame.compid,
        };
        let room = self.stats.senders.len() < MAX_SENDERS;
        match self.stats.senders.get_mut(&id) {
            Some(s) => s.on_seq(frame.seq),
            None if room => self.stats.senders.entry(id).or_default().on_seq(frame.seq),
            None => self.stats.hub.senders_untracked += 1,
        }
    }

    fn key_for(&self, sysid: u8) -> Option<&SigningKey> {
        self.keys.get(&sysid).or(self.config.fleet_key.as_ref())
    }

    fn signer_for(&mut self, sysid: u8) -> Option<&mut Signer> {
        if !self.signers.contains_key(&sysid) {
            let key = self.key_for(sysid)?.clone();
            let floor = self.ts_floor;
            self.signers.insert(
                sysid,
                Signer::new(key, self.config.signing_link_id).starting_at(floor),
            );
        }
        self.signers.get_mut(&sysid)
    }

    /// The local signing timestamp for `sysid`: the clock, or what we already sign with.
    fn local_ts(&self, sysid: u8, now_wall: SystemTime) -> u64 {
        let clock = timestamp_at(now_wall).max(self.ts_floor);
        self.signers
            .get(&sysid)
            .map_or(clock, |s| s.last().max(clock))
    }

    /// The signing policy for one frame: `Ok(auth)` to go on, `Err(kind)` refused.
    fn authenticate(
        &mut self,
        frame: &FrameRef<'_>,
        link: usize,
        peer: PeerKey,
        now_wall: SystemTime,
    ) -> Result<Auth, RejectKind> {
        let sysid = frame.sysid;
        let local = self.local_ts(sysid, now_wall);
        // A key being installed: a frame signed with it is the confirmation.
        let autopilot = self.vehicles.get(&sysid).map(|v| v.compid);
        if let (Some(p), Some(ap)) = (self.pending.get_mut(&sysid), autopilot)
            && p.confirmed_by(frame, ap, local)
        {
            self.confirm_setup(sysid);
            if let (Some(sig), Some(s)) = (frame.signature(), self.signers.get_mut(&sysid)) {
                s.raise(sig.timestamp);
            }
            return Ok(Auth::Signed);
        }
        if self.key_for(sysid).is_none() {
            return Ok(Auth::Unsigned);
        }
        if !self.verifiers.contains_key(&sysid) {
            let Some(key) = self.key_for(sysid).cloned() else {
                return Ok(Auth::Unsigned);
            };
            self.verifiers.insert(sysid, Verifier::new(key));
        }
        let Some(v) = self.verifiers.get_mut(&sysid) else {
            return Ok(Auth::Unsigned);
        };
        match v.check(frame, local) {
            SignatureCheck::Valid => {
                if let (Some(sig), Some(s)) = (frame.signature(), self.signer_for(sysid)) {
                    // Spec: the next timestamp we send is at least the newest valid one
                    // received, so a vehicle whose clock is ahead accepts our frames.
                    s.raise(sig.timestamp);
                }
                Ok(Auth::Signed)
            }
            SignatureCheck::Unsigned if self.config.accept_unsigned_when_keyed => {
                Ok(Auth::Unsigned)
            }
            SignatureCheck::Unsigned => Err(if self.sys[sysid as usize].ever_signed {
                RejectKind::UnsignedAfterSigned
            } else {
                RejectKind::Unsigned
            }),
            SignatureCheck::BadSignature => Err(RejectKind::BadSignature),
            SignatureCheck::Replay => Err(RejectKind::Replay),
            SignatureCheck::TooOld => {
                self.sys[sysid as usize].behind_peer = Some((link, peer));
                Err(RejectKind::Replay)
            }
        }
    }

    fn reject(&mut self, kind: RejectKind, sysid: u8, link: usize, now: Instant) {
        let s = self.link_stats(link);
        match kind {
            RejectKind::Unsigned => s.unsigned_rejected += 1,
            RejectKind::BadSignature => s.bad_signatures += 1,
            RejectKind::Replay => s.replays += 1,
            RejectKind::UnsignedAfterSigned => {
                s.unsigned_rejected += 1;
                s.unsigned_after_signed += 1;
            }
            RejectKind::ForeignPeer => s.foreign_peer += 1,
        }
        let sys = &mut self.sys[sysid as usize];
        sys.rejected.add(kind, 1);
        if kind == RejectKind::UnsignedAfterSigned {
            sys.unsigned_after_signed_at = Some(SystemTime::now());
        }
        if let Some(r) = self.limiter.on_reject(kind, sysid, link, now) {
            self.report(r);
        }
    }

    fn report(&self, r: RejectReport) {
        let period = self.limiter.period().as_secs_f64();
        let why = if r.count == 1 {
            r.kind.describe().to_string()
        } else {
            format!(
                "{}: {} frames in the last {period:.0} s",
                r.kind.describe(),
                r.count
            )
        };
        tracing::warn!(
            "link {}: frames claiming system {} refused ({why})",
            self.names.get(r.link).map_or("?", String::as_str),
            r.sysid
        );
        self.event(LinkEventKind::SigningRejected {
            link: self.names.get(r.link).cloned().unwrap_or_default(),
            sysid: r.sysid,
            why,
        });
    }

    fn on_frame(&mut self, link: usize, peer: PeerKey, frame: FrameRef<'_>) {
        let now_wall = SystemTime::now();
        self.link_stats(link).frames_rx += 1;
        self.count_sender(&frame);

        // A read-only output (a CSU) reaches no vehicle, no tlog, no picture: it is only
        // watched for attempts to command.
        if self.link_role(link) == LinkRole::ReadOnlyOutput {
            if let Ok(m) = frame.decode()
                && would_command(&m)
            {
                self.link_stats(link).commands_dropped += 1;
                self.event(LinkEventKind::CommandDropped {
                    link: self.names[link].clone(),
                    message: mavlink::Message::message_name(&m).to_string(),
                });
            }
            return;
        }
        if frame.sysid == self.config.sysid {
            return; // our own frames echoed back (udp broadcast setups)
        }
        let now = Instant::now();
        let auth = match self.authenticate(&frame, link, peer, now_wall) {
            Ok(a) => a,
            Err(kind) => return self.reject(kind, frame.sysid, link, now),
        };

        let decoded = frame.decode();
        let Ok(msg) = decoded else {
            self.link_stats(link).undecodable += 1;
            return;
        };

        let sysid = frame.sysid;
        let single_peer = self.config.links.get(link).is_some_and(|l| l.single_peer());
        let stale_after = self.config.lost_timeout;
        let verdict = match self.vehicles.get(&sysid) {
            Some(v) => v.route.judge(
                Sender {
                    link,
                    peer,
                    auth,
                    from_autopilot: frame.compid == v.compid,
                    single_peer_link: single_peer,
                },
                now,
                stale_after,
            ),
            None => {
                let MavMessage::HEARTBEAT(hb) = &msg else {
                    return; // only an autopilot's heartbeat makes a vehicle appear
                };
                if !heartbeat_is_autopilot(hb.mavtype, hb.autopilot) {
                    return;
                }
                if self.links[link].vehicles >= self.config.max_vehicles_per_link {
                    self.link_stats(link).vehicles_refused += 1;
                    return;
                }
                self.spawn_vehicle(
                    sysid,
                    frame.compid,
                    Autopilot::from_mav(hb.autopilot),
                    (link, peer),
                    auth,
                    now,
                );
                let id = SystemId {
                    sysid,
                    compid: frame.compid,
                };
                if self.tracker.on_heartbeat(id, now) == Some(Presence::Appeared) {
                    self.event(LinkEventKind::VehicleAppeared {
                        sysid,
                        compid: frame.compid,
                        vehicle_type: hb.mavtype as u8,
                        autopilot: Autopilot::from_mav(hb.autopilot),
                    });
                }
                RouteVerdict::Accept { move_route: false }
            }
        };
        let move_route = match verdict {
            RouteVerdict::Foreign => return self.reject(RejectKind::ForeignPeer, sysid, link, now),
            RouteVerdict::Accept { move_route } => move_route,
        };

        // Accepted: from here the frame speaks for the vehicle.
        if let Some(t) = &self.tlog {
            t.write(now_wall, &frame);
        }
        self.forward_to_outputs(&frame);
        if let Some(t) = self.tlogs.get(&sysid) {
            t.write(now_wall, &frame);
        }
        if auth == Auth::Signed {
            self.sys[sysid as usize].ever_signed = true;
            self.sys[sysid as usize].behind_peer = None;
        } else if self.sys[sysid as usize].ever_signed {
            // Accepted unsigned (policy allows it) after signing: the station alarms on it.
            self.sys[sysid as usize].unsigned_after_signed_at = Some(now_wall);
            self.link_stats(link).unsigned_after_signed += 1;
        }
        let pin = self.config.links.get(link).is_some_and(|l| l.pinned);
        let Some(v) = self.vehicles.get_mut(&sysid) else {
            return;
        };
        let from_autopilot = frame.compid == v.compid;
        let mut route_changed = false;
        if move_route {
            let old = (v.route.link, v.route.peer);
            v.route = Route {
                link,
                peer,
                last_heard: now,
                gone: false,
            };
            route_changed = old != (link, peer);
        } else if v.route.link == link && v.route.peer == peer {
            v.route.last_heard = now;
        }
        let mut protect_changed = route_changed;
        if from_autopilot {
            let signed = auth == Auth::Signed;
            if v.signed != Some(signed) {
                protect_changed = true;
                v.signed = Some(signed);
                v.telemetry.send_modify(|t| {
                    t.link.signed = signed;
                    t.link.signed_since = signed.then_some(now_wall);
                });
            }
        }
        if route_changed {
            let route = format!("{} peer {peer}", self.names[link]);
            v.telemetry.send_modify(|t| {
                t.link.route = Some(route);
                t.link.pinned = pin;
            });
        }
        let compid = frame.compid;
        let known_compid = v.compid;
        let autopilot_heartbeat = matches!(&msg, MavMessage::HEARTBEAT(hb)
            if heartbeat_is_autopilot(hb.mavtype, hb.autopilot));
        // A camera of its own (a camera manager on the companion computer, a gimbal camera)
        // tells its streams only when asked, once: the autopilot was asked when it appeared.
        let new_camera = compid != known_compid
            && matches!(&msg, MavMessage::HEARTBEAT(hb)
                if hb.mavtype == apm::MavType::MAV_TYPE_CAMERA)
            && v.cameras_asked.insert(compid);
        // Never block the hub on a slow actor: telemetry is replaced by the next message anyway.
        if v.inbound.try_send((sysid, compid, msg)).is_err() {
            self.stats.hub.inbound_dropped += 1;
        }
        if protect_changed {
            self.update_protected(link);
        }
        if pin && self.links[link].pinned_peer.is_none() {
            self.links[link].pinned_peer = Some(peer);
            self.update_protected(link);
        }
        if new_camera {
            self.ask_for_video_streams(sysid, compid);
        }
        // Liveness from the autopilot only: a camera's heartbeat does not prove the aircraft.
        if compid == known_compid {
            let id = SystemId { sysid, compid };
            let presence = if autopilot_heartbeat {
                self.tracker.on_heartbeat(id, now)
            } else {
                self.tracker.on_frame(id, now)
            };
            if presence == Some(Presence::Regained) {
                self.regained(id);
            }
        }
    }

    fn forward_to_outputs(&mut self, frame: &FrameRef<'_>) {
        // Copy everything a vehicle says to the read-only outputs, byte for byte.
        let mut bytes: Option<Arc<[u8]>> = None;
        for (i, l) in self.config.links.iter().enumerate() {
            if l.role == LinkRole::ReadOnlyOutput
                && let Some(out) = self.outs.get(i)
            {
                let b = bytes.get_or_insert_with(|| Arc::from(frame.bytes)).clone();
                let _ = out.try_send(Outgoing {
                    peer: None,
                    bytes: b,
                });
            }
        }
    }

    /// The peers the link's transport must never evict: the pinned one, the routes of signed
    /// vehicles, then the oldest unsigned vehicles' routes up to half the table — the other half
    /// stays free to turn over, so vehicles invented by a flood cannot fill it and lock every
    /// newcomer out.
    fn update_protected(&mut self, link: usize) {
        let half = self
            .config
            .links
            .get(link)
            .map_or(1, |l| (l.max_peers / 2).max(1));
        let mut routes: Vec<(bool, u64, PeerKey)> = self
            .vehicles
            .values()
            .filter(|v| v.route.link == link && !v.route.gone)
            .map(|v| (v.signed != Some(true), v.spawn_order, v.route.peer))
            .collect();
        routes.sort();
        let mut set = BTreeSet::new();
        for (unsigned, _, peer) in routes {
            if !unsigned || set.len() < half {
                set.insert(peer);
            }
        }
        if let Some(p) = self.links.get(link).and_then(|l| l.pinned_peer) {
            set.insert(p);
        }
        if let Some(tx) = self.protected.get(link) {
            tx.send_if_modified(|old| {
                let changed = *old != set;
                *old = set;
                changed
            });
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
        self.check_pending(now);
    }

    fn spawn_vehicle(
        &mut self,
        sysid: u8,
        compid: u8,
        autopilot: Autopilot,
        (link, peer): (usize, PeerKey),
        auth: Auth,
        now: Instant,
    ) {
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
            self.voice.clone(),
        );
        let keyed = self.key_for(sysid).is_some();
        let pinned = self.config.links.get(link).is_some_and(|l| l.pinned);
        let route_name = format!("{} peer {peer}", self.names[link]);
        let signed = auth == Auth::Signed;
        let now_wall = SystemTime::now();
        // Before the handle is published: whoever sees the vehicle sees how its link stands.
        s.telemetry.send_modify(|t| {
            t.link.keyed = keyed;
            t.link.signed = signed;
            t.link.signed_since = signed.then_some(now_wall);
            t.link.route = Some(route_name);
            t.link.pinned = pinned;
        });
        self.vehicles.insert(
            sysid,
            VehicleEntry {
                inbound: s.inbound,
                telemetry: s.telemetry,
                compid,
                route: Route {
                    link,
                    peer,
                    last_heard: now,
                    gone: false,
                },
                signed: Some(signed),
                published_rejected: RejectCounts::default(),
                published_after_signed: None,
                spawn_order: self.spawned,
                cameras_asked: BTreeSet::new(),
            },
        );
        self.spawned += 1;
        if let Some(l) = self.links.get_mut(link) {
            l.vehicles += 1;
        }
        self.update_protected(link);
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
        let now_ts = timestamp_at(SystemTime::now());
        match sysid.and_then(|s| self.signer_for(s)) {
            Some(signer) => signer.sign(header, msg, now_ts),
            None => encode_v2(header, msg),
        }
    }

    /// Send one frame; `to` is the vehicle it is for (None: everyone on the link), whose flight
    /// tlog records it.
    fn transmit(&mut self, link: usize, peer: Option<PeerKey>, to: Option<u8>, frame: &RawFrame) {
        let Some(out) = self.outs.get(link) else {
            return;
        };
        let sent = out
            .try_send(Outgoing {
                peer,
                bytes: Arc::from(frame.bytes.as_slice()),
            })
            .is_ok();
        let s = self.link_stats(link);
        if sent {
            s.frames_tx += 1;
            s.bytes_tx += frame.bytes.len() as u64;
        } else {
            s.tx_dropped += 1;
        }
        let now = SystemTime::now();
        if let Some(t) = &self.tlog {
            t.write(now, &frame.as_ref());
        }
        match to {
            Some(sysid) => {
                if let Some(t) = self.tlogs.get(&sysid) {
                    t.write(now, &frame.as_ref());
                }
            }
            None => {
                for (sysid, t) in &self.tlogs {
                    if self
                        .vehicles
                        .get(sysid)
                        .is_some_and(|v| v.route.link == link)
                    {
                        t.write(now, &frame.as_ref());
                    }
                }
            }
        }
    }

    /// REQUEST_MESSAGE(VIDEO_STREAM_INFORMATION, all streams) to one component, unacknowledged:
    /// the answer is the message itself, and a camera that does not answer has no stream to tell.
    fn ask_for_video_streams(&mut self, sysid: u8, compid: u8) {
        let msg = MavMessage::COMMAND_LONG(apm::COMMAND_LONG_DATA {
            target_system: sysid,
            target_component: compid,
            command: apm::MavCmd::MAV_CMD_REQUEST_MESSAGE,
            confirmation: 0,
            param1: 269.0,
            param2: 0.0,
            param3: 0.0,
            param4: 0.0,
            param5: 0.0,
            param6: 0.0,
            param7: 0.0,
        });
        self.send_to_vehicle(sysid, &msg);
    }

    fn send_to_vehicle(&mut self, sysid: u8, msg: &MavMessage) {
        let Some(route) = self.vehicles.get(&sysid).map(|v| v.route) else {
            return;
        };
        let frame = self.encode_for(Some(sysid), msg);
        self.transmit(route.link, Some(route.peer), Some(sysid), &frame);
    }

    fn on_tick(&mut self) {
        self.voice.beat(Instant::now());
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
            // Each vehicle gets a heartbeat on its own peer, signed with its key when it has
            // one; with none routed here, everyone on the link gets an unsigned one.
            let routed: Vec<(u8, PeerKey, bool)> = self
                .vehicles
                .iter()
                .filter(|(_, v)| v.route.link == link)
                .map(|(s, v)| (*s, v.route.peer, self.key_for(*s).is_some()))
                .collect();
            for &(sysid, peer, keyed) in &routed {
                let f = self.encode_for(keyed.then_some(sysid), &hb);
                self.transmit(link, Some(peer), Some(sysid), &f);
            }
            if routed.is_empty() {
                let f = self.encode_for(None, &hb);
                self.transmit(link, None, None, &f);
            }
        }
        // Vehicles whose clock is behind ours: a signed heartbeat moves their timestamp forward.
        let behind: Vec<(u8, usize, PeerKey)> = self
            .sys
            .iter()
            .enumerate()
            .filter_map(|(s, st)| st.behind_peer.map(|(l, p)| (s as u8, l, p)))
            .filter(|(s, _, _)| !self.vehicles.contains_key(s))
            .collect();
        for (sysid, link, peer) in behind {
            let f = self.encode_for(Some(sysid), &hb);
            self.transmit(link, Some(peer), Some(sysid), &f);
        }
        if let Some(t) = &self.tlog {
            t.flush();
        }
        for t in self.tlogs.values() {
            t.flush();
        }
        for r in self.limiter.flush(Instant::now()) {
            self.report(r);
        }
        self.publish_link_security();
        self.persist_timestamp();
        self.stats.hub = HubTables {
            parsers: self.parsers.len(),
            vehicles: self.vehicles.len(),
            senders: self.stats.senders.len(),
            reject_slots: self.limiter.len(),
            tlog_dropped: self.tlog_dropped.load(Ordering::Relaxed),
            ..self.stats.hub.clone()
        };
        self.stats_tx.send_replace(self.stats.clone());
    }

    /// Refused-frame counts and the unsigned-after-signed time into each vehicle's telemetry,
    /// once a second and only when they changed.
    fn publish_link_security(&mut self) {
        for (sysid, v) in &mut self.vehicles {
            let st = &self.sys[*sysid as usize];
            if st.rejected != v.published_rejected
                || st.unsigned_after_signed_at != v.published_after_signed
            {
                v.published_rejected = st.rejected;
                v.published_after_signed = st.unsigned_after_signed_at;
                let (r, a) = (st.rejected, st.unsigned_after_signed_at);
                v.telemetry.send_modify(|t| {
                    t.link.rejected = r;
                    t.link.unsigned_after_signed_at = a;
                });
            }
        }
    }

    /// Store the newest signing timestamp when it moved (once a second at most, off the hub).
    fn persist_timestamp(&mut self) {
        let Some(path) = self.config.timestamp_file.clone() else {
            return;
        };
        let newest = self.signers.values().map(Signer::last).max().unwrap_or(0);
        if newest <= self.ts_stored || self.ts_writing {
            return;
        }
        let Some(done) = self.ts_tx.clone() else {
            return;
        };
        self.ts_writing = true;
        tokio::task::spawn_blocking(move || {
            let stored = match crate::keystore::store_timestamp(&path, newest) {
                Ok(()) => newest,
                Err(e) => {
                    tracing::error!("signing timestamp not stored: {e}");
                    0
                }
            };
            let _ = done.try_send(stored);
        });
    }

    fn on_control(&mut self, c: Control) {
        match c {
            Control::SetKey { sysid, key } => self.install_key(sysid, key),
            Control::SetupSigning { sysid, key, reply } => self.setup_signing(sysid, key, reply),
            Control::SetTlog { sysid, path, reply } => {
                let old = self.tlogs.remove(&sysid);
                let res = match path {
                    None => Ok(()),
                    Some(p) => match TlogThread::start(&p, self.tlog_dropped.clone()) {
                        Ok(t) => {
                            self.tlogs.insert(sysid, t);
                            Ok(())
                        }
                        Err(source) => Err(HubError::Tlog { path: p, source }),
                    },
                };
                // Answer once the old log is flushed and closed, without blocking the hub.
                tokio::task::spawn_blocking(move || {
                    if let Some(old) = old {
                        old.close();
                    }
                    let _ = reply.send(res);
                });
            }
            Control::Repin { link, reply } => {
                let res = match self.links.get_mut(link) {
                    Some(l) => {
                        l.pinned_peer = None;
                        Ok(())
                    }
                    None => Err(HubError::UnknownLink(link)),
                };
                if res.is_ok() {
                    // Vehicles there move to whoever is pinned next.
                    for v in self.vehicles.values_mut() {
                        if v.route.link == link {
                            v.route.gone = true;
                        }
                    }
                    self.update_protected(link);
                }
                let _ = reply.send(res);
            }
            Control::Raw { sysid, msg } => self.send_to_vehicle(sysid, &msg),
        }
    }

    fn install_key(&mut self, sysid: u8, key: Option<SigningKey>) {
        // Timestamps carry over: a new key does not reset the stream's clock.
        let last = self.signers.get(&sysid).map_or(0, Signer::last);
        self.verifiers.remove(&sysid);
        self.signers.remove(&sysid);
        match key {
            Some(k) => {
                self.keys.insert(sysid, k);
            }
            None => {
                self.keys.remove(&sysid);
            }
        }
        if let Some(s) = self.signer_for(sysid) {
            s.raise(last);
        }
        let keyed = self.key_for(sysid).is_some();
        if let Some(v) = self.vehicles.get(&sysid) {
            v.telemetry.send_modify(|t| t.link.keyed = keyed);
        }
    }

    fn setup_signing(
        &mut self,
        sysid: u8,
        key: SigningKey,
        reply: tokio::sync::oneshot::Sender<Result<(), HubError>>,
    ) {
        let Some(route) = self.vehicles.get(&sysid).map(|v| v.route) else {
            let _ = reply.send(Err(HubError::UnknownVehicle(sysid)));
            return;
        };
        if !self.config.links.get(route.link).is_some_and(|l| l.secure) {
            let _ = reply.send(Err(HubError::InsecureLink {
                sysid,
                link: self.names[route.link].clone(),
            }));
            return;
        }
        let now = Instant::now();
        self.pending.insert(
            sysid,
            PendingSetup::new(key, now, self.config.setup_signing_timeout, reply),
        );
        self.send_setup_signing(sysid);
    }

    fn send_setup_signing(&mut self, sysid: u8) {
        let Some(key) = self.pending.get(&sysid).map(|p| p.key.clone()) else {
            return;
        };
        let compid = self.vehicles.get(&sysid).map_or(1, |v| v.compid);
        let initial_timestamp = self.local_ts(sysid, SystemTime::now()) + 1;
        let msg = MavMessage::SETUP_SIGNING(apm::SETUP_SIGNING_DATA {
            initial_timestamp,
            target_system: sysid,
            target_component: compid,
            secret_key: *key.bytes(),
        });
        // The key travels in the clear on purpose (that is the protocol), hence secure links
        // only; signed with the current key when there is one (a key change). Tlogs get it
        // redacted.
        self.send_to_vehicle(sysid, &msg);
    }

    fn confirm_setup(&mut self, sysid: u8) {
        let Some(p) = self.pending.remove(&sysid) else {
            return;
        };
        let floor = self.local_ts(sysid, SystemTime::now());
        self.install_key(sysid, Some(p.key));
        // The confirming verifier already knows the vehicle's stream.
        self.verifiers.insert(sysid, p.verifier);
        if let Some(s) = self.signer_for(sysid) {
            s.raise(floor);
        }
        tracing::info!(
            "vehicle {sysid} confirmed its new signing key after {:?}",
            p.started.elapsed()
        );
        // The telemetry says so before the caller hears it.
        let now_wall = SystemTime::now();
        if let Some(v) = self.vehicles.get_mut(&sysid) {
            v.signed = Some(true);
            v.telemetry.send_modify(|t| {
                t.link.keyed = true;
                t.link.signed = true;
                t.link.signed_since = Some(now_wall);
            });
        }
        let _ = p.reply.send(Ok(()));
    }

    fn check_pending(&mut self, now: Instant) {
        let expired: Vec<u8> = self
            .pending
            .iter()
            .filter(|(_, p)| now >= p.deadline)
            .map(|(s, _)| *s)
            .collect();
        for sysid in expired {
            if let Some(p) = self.pending.remove(&sysid) {
                let _ = p.reply.send(Err(HubError::SigningNotConfirmed {
                    sysid,
                    waited: now.saturating_duration_since(p.started),
                }));
            }
        }
        let resend: Vec<u8> = self
            .pending
            .iter_mut()
            .filter_map(|(s, p)| p.resend_due(now).then_some(*s))
            .collect();
        for sysid in resend {
            self.send_setup_signing(sysid);
        }
    }
}

//! The running simulator: sockets (TCP listen like SITL's 5760, or UDP towards a station), the
//! sim loop with --speedup, scenario events, link faults (loss, latency), signing, control
//! commands, and the state feed for the video.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mavlink::Message as _;
use mavlink::dialects::ardupilotmega::MavMessage;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc;

use crate::camera::{CAMERA_COMPID, CameraHeartbeat};
use crate::faults::{ControlCommand, Direction, Fault, Target, parse_command};
use crate::frame::{CodecStats, Decoder, Encoder, Signing, Verdict};
use crate::physics::Airframe;
use crate::received::ReceivedLog;
use crate::scenario::Scenario;
use crate::vehicle::{Vehicle, VehicleSetup, VideoAnnounce};

/// Sim step: 100 Hz is plenty for a point-mass model and keeps 20 vehicles cheap.
pub const DT_S: f64 = 0.01;
/// The sim loop wakes this often (wall time) to read sockets and catch up on sim time.
const TICK: Duration = Duration::from_millis(2);
/// At most this many steps per tick, so a huge --speedup cannot starve the sockets.
const MAX_STEPS_PER_TICK: usize = 4000;
/// Frames queued towards one station at most.
const OUT_QUEUE: usize = 8192;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transport {
    /// Listen for one station at a time (SITL's tcp:5760).
    Tcp(SocketAddr),
    /// Send to a station listening there, answer whoever replies.
    Udp(SocketAddr),
}

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error(
        "cannot open {what} on {addr}: {source} (is the port in use? pick another with --tcp/--udp)"
    )]
    Bind {
        what: &'static str,
        addr: String,
        source: std::io::Error,
    },
}

#[derive(Clone, Debug)]
pub struct SimConfig {
    pub scenario: Scenario,
    pub transport: Transport,
    pub speedup: f64,
    /// Overrides the scenario's vehicle count.
    pub vehicles: Option<u8>,
    /// All vehicles on one link (sysid 1..N) instead of one port each (base + 10 * i).
    pub one_link: bool,
    pub seed: Option<u64>,
    pub signing_key: Option<[u8; 32]>,
    /// Treat the link like ArduPilot's first serial port: unsigned frames and SETUP_SIGNING accepted.
    pub secure_link: bool,
    /// Video announcements per vehicle (index = sysid - 1).
    pub video: Vec<Option<VideoAnnounce>>,
    /// Seconds of sim time before the GPS fix (SITL needs a few).
    pub gps_lock_s: f64,
    /// The estimator's settling windows; None = the scenario's (`vehicles.ekf_settle_s`).
    pub ekf_settle_s: Option<f64>,
    /// Every vehicle's camera sends its own HEARTBEAT (or the scenario asks for it).
    pub camera_heartbeat: bool,
}

/// Boot timing of the vehicles: GPS first fix and the estimator's settling windows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Boot {
    pub gps_lock_s: f64,
    pub ekf_settle_s: f64,
}

impl Boot {
    /// Ready at the first step (flight-model tests, the benchmark).
    pub const INSTANT: Boot = Boot {
        gps_lock_s: 0.0,
        ekf_settle_s: 0.0,
    };
}

/// Wall-clock time, microseconds since the Unix epoch (what `received` reports).
pub fn unix_now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// What the video renderer needs from a vehicle, updated every tick.
#[derive(Clone, Debug, Default)]
pub struct VehicleView {
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub alt_rel_m: f64,
    pub yaw_deg: f64,
    pub sim_time_s: f64,
    pub armed: bool,
    pub mode: String,
    pub video_lost: bool,
}

/// Shared, latest-value view of every vehicle (the video thread reads it).
pub type Views = Arc<Mutex<Vec<VehicleView>>>;

#[derive(Debug, Default, Clone)]
struct LinkFaults {
    loss_up_pct: f64,
    loss_down_pct: f64,
    latency_s: f64,
}

enum Event {
    Inbound {
        link: usize,
        bytes: Vec<u8>,
        /// When the socket delivered them (µs since the Unix epoch).
        at_unix_us: u64,
    },
    Control {
        line: String,
        reply: Option<mpsc::UnboundedSender<String>>,
    },
}

struct Link {
    /// Vehicle indices this link carries.
    vehicles: Vec<usize>,
    decoder: Decoder,
    encoder: Encoder,
    /// Bounded: a station that stops reading loses frames (like a radio) instead of growing memory.
    out: mpsc::Sender<Vec<u8>>,
    signing: Option<Signing>,
    faults: LinkFaults,
    /// Frames held back by the latency fault: (release wall time, bytes).
    delayed_out: VecDeque<(f64, Vec<u8>)>,
    delayed_in: VecDeque<(f64, Vec<u8>)>,
    rng: ChaCha8Rng,
    local: String,
    /// Bytes from the station dropped by the injected upward loss (they never reached a vehicle).
    lost_up_bytes: u64,
}

/// Ready information printed on stdout for whoever started the sim.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub sysids: Vec<u8>,
    pub kind: &'static str,
    pub addr: SocketAddr,
}

struct Scheduled {
    at_s: f64,
    target: Target,
    fault: Fault,
    revert: bool,
}

pub struct Simulator {
    cfg: SimConfig,
    vehicles: Vec<Vehicle>,
    links: Vec<Link>,
    events: mpsc::UnboundedReceiver<Event>,
    event_tx: mpsc::UnboundedSender<Event>,
    schedule: Vec<Scheduled>,
    wind_overridden: bool,
    /// What each vehicle received from its station (index = sysid - 1).
    received: Vec<ReceivedLog>,
    cameras: Vec<CameraHeartbeat>,
    views: Views,
    pub endpoints: Vec<Endpoint>,
    started: Instant,
}

fn wall(started: Instant) -> f64 {
    started.elapsed().as_secs_f64()
}

/// Builds the vehicles of a scenario (also used by the benchmark and the flight-model tests).
pub fn build_vehicles(scenario: &Scenario, count: u8, seed: u64, boot: Boot) -> Vec<Vehicle> {
    let spec = &scenario.vehicles;
    (0..count)
        .map(|i| {
            let airframe = Airframe {
                mass_kg: spec.mass_kg,
                drag_k_per_m: spec.drag_k_per_m,
                hover_current_a: spec.hover_current_a,
                ..Airframe::default()
            };
            Vehicle::new(VehicleSetup {
                sysid: i + 1,
                origin: scenario.home,
                origin_ground_amsl_m: scenario.ground_amsl_m,
                start_ne_m: (0.0, f64::from(i) * spec.spacing_m),
                heading_deg: scenario.heading_deg,
                terrain: scenario.terrain.clone(),
                airframe,
                battery_mah: spec.battery_mah,
                cells: spec.cells,
                seed,
                wind: scenario.wind_at(0.0),
                wind_shear: scenario.wind_shear,
                params: scenario.params.clone(),
                mission: scenario.mission.clone(),
                gps_lock_s: boot.gps_lock_s,
                ekf_settle_s: boot.ekf_settle_s,
            })
        })
        .collect()
}

impl Simulator {
    /// Binds the sockets and builds the vehicles; `run` then flies them.
    pub async fn start(cfg: SimConfig) -> Result<Simulator, RuntimeError> {
        let count = cfg.vehicles.unwrap_or(cfg.scenario.vehicles.count).max(1);
        let seed = cfg.seed.unwrap_or(cfg.scenario.seed);
        let boot = Boot {
            gps_lock_s: cfg.gps_lock_s,
            ekf_settle_s: cfg
                .ekf_settle_s
                .unwrap_or(cfg.scenario.vehicles.ekf_settle_s),
        };
        let mut vehicles = build_vehicles(&cfg.scenario, count, seed, boot);
        let camera_on = cfg.camera_heartbeat || cfg.scenario.vehicles.camera_heartbeat;
        let cameras = vec![CameraHeartbeat::new(camera_on); vehicles.len()];
        let received = vec![ReceivedLog::new(unix_now_us()); vehicles.len()];
        for (i, v) in vehicles.iter_mut().enumerate() {
            v.video = cfg.video.get(i).cloned().flatten();
        }
        let (event_tx, events) = mpsc::unbounded_channel();
        let groups: Vec<Vec<usize>> = if cfg.one_link {
            vec![(0..vehicles.len()).collect()]
        } else {
            (0..vehicles.len()).map(|i| vec![i]).collect()
        };
        let mut links = Vec::new();
        let mut endpoints = Vec::new();
        for (li, group) in groups.into_iter().enumerate() {
            let offset = (li as u16) * 10;
            let (out_tx, out_rx) = mpsc::channel::<Vec<u8>>(OUT_QUEUE);
            let (kind, addr) = match cfg.transport {
                Transport::Tcp(base) => {
                    let mut addr = base;
                    if base.port() != 0 {
                        addr.set_port(base.port().saturating_add(offset));
                    }
                    let listener =
                        TcpListener::bind(addr)
                            .await
                            .map_err(|source| RuntimeError::Bind {
                                what: "the TCP listener",
                                addr: addr.to_string(),
                                source,
                            })?;
                    let local = listener.local_addr().unwrap_or(addr);
                    tokio::spawn(tcp_link(listener, li, event_tx.clone(), out_rx));
                    ("tcp", local)
                }
                Transport::Udp(base) => {
                    let mut dest = base;
                    dest.set_port(base.port().saturating_add(offset));
                    let bind: SocketAddr = if dest.ip().is_loopback() {
                        SocketAddr::from(([127, 0, 0, 1], 0))
                    } else {
                        SocketAddr::from(([0, 0, 0, 0], 0))
                    };
                    let sock =
                        UdpSocket::bind(bind)
                            .await
                            .map_err(|source| RuntimeError::Bind {
                                what: "the UDP socket",
                                addr: bind.to_string(),
                                source,
                            })?;
                    tracing::info!(
                        "UDP link from {} to {dest}",
                        sock.local_addr().unwrap_or(bind)
                    );
                    tokio::spawn(udp_link(sock, dest, li, event_tx.clone(), out_rx));
                    ("udp", dest)
                }
            };
            endpoints.push(Endpoint {
                sysids: group.iter().map(|&i| (i + 1) as u8).collect(),
                kind,
                addr,
            });
            links.push(Link {
                vehicles: group,
                decoder: Decoder::default(),
                encoder: Encoder::default(),
                out: out_tx,
                signing: cfg.signing_key.map(|k| Signing::new(k, li as u8)),
                faults: LinkFaults::default(),
                delayed_out: VecDeque::new(),
                delayed_in: VecDeque::new(),
                rng: ChaCha8Rng::seed_from_u64(seed ^ (0xA5A5 + li as u64)),
                local: format!("{kind}:{addr}"),
                lost_up_bytes: 0,
            });
        }
        let mut schedule = Vec::new();
        for ev in &cfg.scenario.faults {
            let target = ev.vehicle.map_or(Target::All, Target::Vehicle);
            schedule.push(Scheduled {
                at_s: ev.at_s,
                target,
                fault: ev.fault.clone(),
                revert: false,
            });
            if let Some(d) = ev.duration_s {
                schedule.push(Scheduled {
                    at_s: ev.at_s + d,
                    target,
                    fault: ev.fault.clone(),
                    revert: true,
                });
            }
        }
        schedule.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));
        let views = Arc::new(Mutex::new(vec![VehicleView::default(); vehicles.len()]));
        Ok(Simulator {
            cfg,
            vehicles,
            links,
            events,
            event_tx,
            schedule,
            wind_overridden: false,
            received,
            cameras,
            views,
            endpoints,
            started: Instant::now(),
        })
    }

    pub fn views(&self) -> Views {
        self.views.clone()
    }

    /// A sender for control lines (stdin and the control socket use it).
    pub fn control_sender(&self) -> ControlHandle {
        ControlHandle {
            tx: self.event_tx.clone(),
        }
    }

    /// Runs until `until_sim_s` of sim time (None = forever).
    pub async fn run(mut self, until_sim_s: Option<f64>) {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let wall0 = wall(self.started);
        let mut sim_t = 0.0_f64;
        // Sim time is anchored to wall time; when a tick cannot keep up the anchor slides so the
        // sim never tries to "catch up" a backlog in one burst.
        let mut anchor_wall = wall0;
        let mut anchor_sim = 0.0;
        loop {
            tick.tick().await;
            let now = wall(self.started);
            while let Ok(ev) = self.events.try_recv() {
                self.on_event(ev, now);
            }
            self.release_delayed_inbound(now);
            let target = anchor_sim + (now - anchor_wall) * self.cfg.speedup;
            let mut steps = 0;
            while sim_t + DT_S <= target && steps < MAX_STEPS_PER_TICK {
                sim_t += DT_S;
                self.apply_schedule(sim_t);
                for v in &mut self.vehicles {
                    v.step(DT_S);
                }
                steps += 1;
                if steps % 50 == 0 {
                    self.flush(now);
                }
            }
            if steps == MAX_STEPS_PER_TICK {
                anchor_wall = now;
                anchor_sim = sim_t;
            }
            for v in &mut self.vehicles {
                v.poll(now);
            }
            self.flush(now);
            self.update_views();
            if until_sim_s.is_some_and(|u| sim_t >= u) {
                self.flush(now);
                tokio::time::sleep(Duration::from_millis(50)).await;
                return;
            }
        }
    }

    fn update_views(&mut self) {
        if let Ok(mut views) = self.views.lock() {
            for (i, v) in self.vehicles.iter().enumerate() {
                if let Some(view) = views.get_mut(i) {
                    let p = v.position();
                    view.lat_deg = p.lat_deg;
                    view.lon_deg = p.lon_deg;
                    view.alt_rel_m = v.alt_rel_home_m();
                    view.yaw_deg = v.body.yaw_rad.to_degrees();
                    view.sim_time_s = v.time_s();
                    view.armed = v.armed();
                    view.mode = v.mode().name().to_string();
                }
            }
        }
    }

    fn apply_schedule(&mut self, sim_t: f64) {
        // Scenario wind profile, unless an operator set the wind by hand.
        if !self.wind_overridden
            && !self.cfg.scenario.wind_changes.is_empty()
            && ((sim_t / DT_S).round() as u64).is_multiple_of(100)
        {
            let w = self.cfg.scenario.wind_at(sim_t);
            for v in &mut self.vehicles {
                v.set_wind(w);
            }
        }
        while self.schedule.first().is_some_and(|s| s.at_s <= sim_t) {
            let s = self.schedule.remove(0);
            tracing::info!(
                "scenario t={:.1}s: {}{:?} for {:?}",
                sim_t,
                if s.revert { "end of " } else { "" },
                s.fault,
                s.target
            );
            if s.revert {
                self.revert(s.target, &s.fault);
            } else {
                self.inject(s.target, &s.fault);
            }
        }
    }

    fn links_of(&self, target: Target) -> Vec<usize> {
        self.links
            .iter()
            .enumerate()
            .filter(|(_, l)| l.vehicles.iter().any(|&vi| target.matches((vi + 1) as u8)))
            .map(|(i, _)| i)
            .collect()
    }

    fn inject(&mut self, target: Target, fault: &Fault) {
        match fault {
            Fault::LinkLoss { direction, percent } => {
                for li in self.links_of(target) {
                    let f = &mut self.links[li].faults;
                    if direction.includes_up() {
                        f.loss_up_pct = *percent;
                    }
                    if direction.includes_down() {
                        f.loss_down_pct = *percent;
                    }
                    if *percent == 0.0 && *direction == Direction::Both {
                        f.latency_s = 0.0;
                    }
                }
            }
            Fault::Latency { ms } => {
                for li in self.links_of(target) {
                    self.links[li].faults.latency_s = ms / 1000.0;
                }
            }
            Fault::VideoLoss | Fault::VideoRestore => {
                if let Ok(mut views) = self.views.lock() {
                    for (i, view) in views.iter_mut().enumerate() {
                        if target.matches((i + 1) as u8) {
                            view.video_lost = matches!(fault, Fault::VideoLoss);
                        }
                    }
                }
            }
            Fault::Clear => {
                for li in self.links_of(target) {
                    self.links[li].faults = LinkFaults::default();
                }
                self.inject(target, &Fault::VideoRestore);
            }
            Fault::Wind { .. } => self.wind_overridden = true,
            _ => {}
        }
        for v in &mut self.vehicles {
            if target.matches(v.sysid) {
                v.inject(fault);
            }
        }
    }

    fn revert(&mut self, target: Target, fault: &Fault) {
        match fault {
            Fault::LinkLoss { direction, .. } => self.inject(
                target,
                &Fault::LinkLoss {
                    direction: *direction,
                    percent: 0.0,
                },
            ),
            Fault::Latency { .. } => self.inject(target, &Fault::Latency { ms: 0.0 }),
            Fault::VideoLoss => self.inject(target, &Fault::VideoRestore),
            _ => {
                for v in &mut self.vehicles {
                    if target.matches(v.sysid) {
                        v.revert(fault);
                    }
                }
            }
        }
    }

    fn on_event(&mut self, ev: Event, now: f64) {
        match ev {
            Event::Inbound {
                link,
                bytes,
                at_unix_us,
            } => {
                let Some(l) = self.links.get_mut(link) else {
                    return;
                };
                // Lost on the way up: these never reach the vehicle (nor `received`).
                if l.faults.loss_up_pct > 0.0
                    && l.rng.random_range(0.0..100.0) < l.faults.loss_up_pct
                {
                    l.lost_up_bytes += bytes.len() as u64;
                    return;
                }
                if l.faults.latency_s > 0.0 {
                    l.delayed_in.push_back((now + l.faults.latency_s, bytes));
                    return;
                }
                self.process_inbound(link, &bytes, now, at_unix_us);
            }
            Event::Control { line, reply } => {
                let answer = self.control(&line);
                match reply {
                    Some(tx) => {
                        let _ = tx.send(answer);
                    }
                    None => println!("{answer}"),
                }
            }
        }
    }

    fn release_delayed_inbound(&mut self, now: f64) {
        for li in 0..self.links.len() {
            while self.links[li]
                .delayed_in
                .front()
                .is_some_and(|(t, _)| *t <= now)
            {
                if let Some((_, bytes)) = self.links[li].delayed_in.pop_front() {
                    // Delayed frames reach the vehicle now.
                    self.process_inbound(li, &bytes, now, unix_now_us());
                }
            }
        }
    }

    fn process_inbound(&mut self, li: usize, bytes: &[u8], now: f64, at_unix_us: u64) {
        self.links[li].decoder.push(bytes);
        while let Some(frame) = self.links[li].decoder.next_frame() {
            let link = &mut self.links[li];
            if let Some(s) = &link.signing {
                match s.verdict(&frame, self.cfg.secure_link) {
                    Verdict::Accept => {}
                    Verdict::RejectUnsigned => {
                        link.decoder.stats.unsigned_rejected += 1;
                        continue;
                    }
                    Verdict::RejectSignature => {
                        link.decoder.stats.bad_signature += 1;
                        continue;
                    }
                }
            }
            let msg = match frame.decode() {
                Ok(m) => m,
                Err(e) => {
                    link.decoder.stats.malformed += 1;
                    tracing::debug!("malformed frame id {}: {e}", frame.msg_id);
                    self.ack_unknown_command(li, &frame);
                    continue;
                }
            };
            // Record what each vehicle of the link accepts (the target filter the vehicle uses).
            let target = msg.target_system_id().unwrap_or(0);
            for &vi in &self.links[li].vehicles {
                if target == 0 || target == self.vehicles[vi].sysid {
                    self.received[vi].record(at_unix_us, &frame.header, &msg);
                }
            }
            if let MavMessage::SETUP_SIGNING(s) = &msg {
                self.setup_signing(li, s, frame.signed);
                continue;
            }
            for &vi in &self.links[li].vehicles {
                self.vehicles[vi].handle(&frame.header, &msg, now);
            }
        }
    }

    /// A COMMAND_LONG / COMMAND_INT whose command number the dialect does not know still gets
    /// COMMAND_ACK UNSUPPORTED, as ArduPilot answers any command it does not handle.
    fn ack_unknown_command(&mut self, li: usize, frame: &crate::frame::RawFrame) {
        if !matches!(frame.msg_id, 75 | 76) {
            return;
        }
        let mut p = [0u8; 35];
        let payload = frame.payload();
        let n = payload.len().min(p.len());
        p[..n].copy_from_slice(&payload[..n]);
        let (command, target) = ([p[28], p[29]], p[30]);
        // Only when the command number itself is unknown (an ACK payload with it fails to parse).
        let probe = [command[0], command[1], 3, 0, 0, 0, 0, 0, 0, 0];
        if MavMessage::parse(mavlink::MavlinkVersion::V2, 77, &probe).is_ok() {
            return;
        }
        let link = &mut self.links[li];
        for &vi in &link.vehicles {
            let sysid = self.vehicles[vi].sysid;
            if target != 0 && target != sysid {
                continue;
            }
            let gcs = frame.header;
            // COMMAND_ACK: command u16, result u8 (3 = UNSUPPORTED), progress, result_param2 i32,
            // target_system, target_component.
            let ack = [
                command[0],
                command[1],
                3,
                0,
                0,
                0,
                0,
                0,
                gcs.system_id.min(255) as u8,
                gcs.component_id,
            ];
            let bytes = link
                .encoder
                .encode_raw(sysid, 1, 77, &ack, link.signing.as_ref());
            let _ = link.out.try_send(bytes);
        }
    }

    /// SETUP_SIGNING: accepted when disarmed and either on a secure link or itself validly
    /// signed (a key change). An all-zero key turns signing off (ArduPilot's convention).
    fn setup_signing(
        &mut self,
        li: usize,
        s: &mavlink::dialects::ardupilotmega::SETUP_SIGNING_DATA,
        was_signed: bool,
    ) {
        let vis = self.links[li].vehicles.clone();
        if !vis
            .iter()
            .any(|&vi| s.target_system == 0 || self.vehicles[vi].sysid == s.target_system)
        {
            return;
        }
        if vis.iter().any(|&vi| self.vehicles[vi].armed()) {
            tracing::warn!("SETUP_SIGNING ignored: armed");
            return;
        }
        let link_signed_ok = self.links[li].signing.is_some() && was_signed;
        if !(self.cfg.secure_link || link_signed_ok) {
            tracing::warn!(
                "SETUP_SIGNING ignored: link {} is not marked secure (--secure-link)",
                self.links[li].local
            );
            return;
        }
        if s.secret_key.iter().all(|&b| b == 0) {
            self.links[li].signing = None;
            tracing::info!("signing disabled on {}", self.links[li].local);
        } else {
            self.links[li].signing = Some(Signing::new(s.secret_key, li as u8));
            tracing::info!(
                "signing key installed on {} (key not logged)",
                self.links[li].local
            );
        }
    }

    /// Drains every vehicle's outbox onto its link, applying loss and latency.
    fn flush(&mut self, now: f64) {
        for li in 0..self.links.len() {
            let vis = self.links[li].vehicles.clone();
            for vi in vis {
                let sysid = self.vehicles[vi].sysid;
                let mut msgs: Vec<(u8, MavMessage)> =
                    self.vehicles[vi].drain().map(|m| (1, m)).collect();
                if let Some(hb) = self.cameras[vi].poll(self.vehicles[vi].time_s()) {
                    msgs.push((CAMERA_COMPID, hb));
                }
                let link = &mut self.links[li];
                for (compid, m) in &msgs {
                    if link.faults.loss_down_pct > 0.0
                        && link.rng.random_range(0.0..100.0) < link.faults.loss_down_pct
                    {
                        continue;
                    }
                    let bytes = link
                        .encoder
                        .encode(sysid, *compid, m, link.signing.as_ref());
                    if link.faults.latency_s > 0.0 {
                        link.delayed_out
                            .push_back((now + link.faults.latency_s, bytes));
                    } else {
                        let _ = link.out.try_send(bytes);
                    }
                }
            }
            let link = &mut self.links[li];
            while link.delayed_out.front().is_some_and(|(t, _)| *t <= now) {
                if let Some((_, b)) = link.delayed_out.pop_front() {
                    let _ = link.out.try_send(b);
                }
            }
        }
    }

    fn control(&mut self, line: &str) -> String {
        match parse_command(line) {
            Err(e) => format!("error: {e}"),
            Ok(ControlCommand::Help) => crate::faults::CONTROL_HELP.to_string(),
            Ok(ControlCommand::Status) => {
                let mut out: Vec<String> = self.vehicles.iter().map(Vehicle::status_line).collect();
                for l in &self.links {
                    let CodecStats {
                        frames_ok,
                        bad_crc,
                        unknown_id,
                        malformed,
                        unsigned_rejected,
                        bad_signature,
                        ..
                    } = l.decoder.stats;
                    out.push(format!(
                        "link {} frames_ok={frames_ok} bad_crc={bad_crc} unknown={unknown_id} malformed={malformed} unsigned_rejected={unsigned_rejected} bad_signature={bad_signature} loss_up={}% loss_down={}% latency={}ms signing={} lost_up_bytes={}",
                        l.local,
                        l.faults.loss_up_pct,
                        l.faults.loss_down_pct,
                        l.faults.latency_s * 1000.0,
                        l.signing.is_some(),
                        l.lost_up_bytes
                    ));
                }
                out.join("\n")
            }
            Ok(ControlCommand::Inject(target, fault)) => {
                if let Some(e) = self.no_such_vehicle(target) {
                    return e;
                }
                self.inject(target, &fault);
                format!("ok {fault:?}")
            }
            Ok(ControlCommand::Received { target, clear }) => {
                if let Some(e) = self.no_such_vehicle(target) {
                    return e;
                }
                let now_us = unix_now_us();
                let mut out = Vec::new();
                for (vi, log) in self.received.iter_mut().enumerate() {
                    let sysid = self.vehicles[vi].sysid;
                    if !target.matches(sysid) {
                        continue;
                    }
                    if clear {
                        log.clear(now_us);
                    } else {
                        out.push(log.report(sysid));
                    }
                }
                if clear {
                    "ok received cleared".into()
                } else {
                    out.join("\n")
                }
            }
            Ok(ControlCommand::CameraHeartbeat { target, on }) => {
                if let Some(e) = self.no_such_vehicle(target) {
                    return e;
                }
                for (vi, cam) in self.cameras.iter_mut().enumerate() {
                    if target.matches(self.vehicles[vi].sysid) {
                        cam.set_enabled(on, self.vehicles[vi].time_s());
                    }
                }
                format!("ok camera heartbeat {}", if on { "on" } else { "off" })
            }
        }
    }

    fn no_such_vehicle(&self, target: Target) -> Option<String> {
        match target {
            Target::Vehicle(id) if usize::from(id) > self.vehicles.len() => Some(format!(
                "error: there is no vehicle {id} (1..{})",
                self.vehicles.len()
            )),
            _ => None,
        }
    }
}

/// Sends control lines into a running simulator.
#[derive(Clone)]
pub struct ControlHandle {
    tx: mpsc::UnboundedSender<Event>,
}

impl ControlHandle {
    /// Fire-and-forget: the answer is printed on stdout.
    pub fn send_line(&self, line: String) {
        let _ = self.tx.send(Event::Control { line, reply: None });
    }

    /// Sends a line and waits for the answer.
    pub async fn ask(&self, line: String) -> String {
        let (tx, mut rx) = mpsc::unbounded_channel();
        if self
            .tx
            .send(Event::Control {
                line,
                reply: Some(tx),
            })
            .is_err()
        {
            return "error: simulator stopped".into();
        }
        rx.recv()
            .await
            .unwrap_or_else(|| "error: simulator stopped".into())
    }

    /// Serves the control protocol on a TCP socket: one command per line, one answer per line
    /// (multi-line answers end with an empty line).
    pub async fn serve_tcp(self, listener: TcpListener) {
        loop {
            let Ok((sock, peer)) = listener.accept().await else {
                continue;
            };
            // Stations poll the control socket: one connection per question is routine.
            tracing::debug!("control connection from {peer}");
            let me = self.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut lines = BufReader::new(r).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    if line.trim().is_empty() {
                        continue;
                    }
                    let answer = me.ask(line).await;
                    let framed = if answer.contains('\n') {
                        format!("{answer}\n\n")
                    } else {
                        format!("{answer}\n")
                    };
                    if w.write_all(framed.as_bytes()).await.is_err() {
                        break;
                    }
                }
            });
        }
    }

    /// Reads commands from stdin until it closes.
    pub async fn serve_stdin(self) {
        let mut lines = BufReader::new(tokio::io::stdin()).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if !line.trim().is_empty() {
                self.send_line(line);
            }
        }
    }
}

/// One TCP client at a time; a new connection replaces the old one.
async fn tcp_link(
    listener: TcpListener,
    link: usize,
    events: mpsc::UnboundedSender<Event>,
    mut out: mpsc::Receiver<Vec<u8>>,
) {
    let (client_tx, mut client_rx) = mpsc::unbounded_channel::<TcpStream>();
    tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((sock, peer)) => {
                    tracing::info!("station connected from {peer}");
                    let _ = sock.set_nodelay(true);
                    if client_tx.send(sock).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    });
    let mut writer: Option<tokio::net::tcp::OwnedWriteHalf> = None;
    let mut reader_task: Option<tokio::task::JoinHandle<()>> = None;
    loop {
        tokio::select! {
            sock = client_rx.recv() => {
                let Some(sock) = sock else { return };
                if let Some(t) = reader_task.take() { t.abort(); }
                let (mut r, w) = sock.into_split();
                writer = Some(w);
                let ev = events.clone();
                reader_task = Some(tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    loop {
                        match r.read(&mut buf).await {
                            Ok(0) | Err(_) => { tracing::info!("station disconnected"); return; }
                            Ok(n) => {
                                let at_unix_us = unix_now_us();
                                if ev.send(Event::Inbound { link, bytes: buf[..n].to_vec(), at_unix_us }).is_err() { return; }
                            }
                        }
                    }
                }));
            }
            bytes = out.recv() => {
                let Some(bytes) = bytes else { return };
                if let Some(w) = &mut writer
                    && w.write_all(&bytes).await.is_err()
                {
                    writer = None;
                }
            }
        }
    }
}

/// UDP: send to the station's address; once it replies, answer from where it replies.
async fn udp_link(
    sock: UdpSocket,
    dest: SocketAddr,
    link: usize,
    events: mpsc::UnboundedSender<Event>,
    mut out: mpsc::Receiver<Vec<u8>>,
) {
    let mut peer = dest;
    let mut buf = vec![0u8; 65_536];
    loop {
        tokio::select! {
            r = sock.recv_from(&mut buf) => {
                match r {
                    Ok((n, from)) => {
                        let at_unix_us = unix_now_us();
                        peer = from;
                        if events.send(Event::Inbound { link, bytes: buf[..n].to_vec(), at_unix_us }).is_err() { return; }
                    }
                    // ICMP port unreachable while the station is not up yet: keep going.
                    Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
                }
            }
            bytes = out.recv() => {
                let Some(bytes) = bytes else { return };
                let _ = sock.send_to(&bytes, peer).await;
            }
        }
    }
}

//! The link hub: every link, every peer, one parser per peer, signing policy, the command route
//! of each vehicle, statistics, the station's heartbeat, the read-only forwarder, the tlogs (one
//! per vehicle), and routing to the vehicle actors. This file is its configuration and handle;
//! [`engine`] runs it, [`route`] decides who may speak for a vehicle.

mod engine;
pub mod route;
mod setup;
mod tlog_thread;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, oneshot, watch};

use crate::MavMessage;
use crate::address::LinkAddress;
use crate::events::LinkEvent;
use crate::signing::SigningKey;
use crate::stats::StatsSnapshot;
use crate::transport;
use crate::vehicle::{Timings, VehicleHandle};

pub use tlog_thread::TLOG_QUEUE;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRole {
    /// Vehicles are reached through this link.
    Vehicle,
    /// Telemetry is copied out (a CSU); nothing it sends reaches a vehicle, nor any tlog.
    ReadOnlyOutput,
}

#[derive(Debug, Clone)]
pub struct LinkConfig {
    pub address: LinkAddress,
    pub role: LinkRole,
    /// A wired link on the bench: the only kind SETUP_SIGNING may travel on.
    pub secure: bool,
    /// Only the first peer heard on this link (the first whose autopilot heartbeat passes the
    /// signing policy) is ever listened to; frames from any other peer are dropped unread. For a
    /// UDP or TCP listener on a network the station does not control, when signing is not
    /// available. [`LinkHub::repin`] accepts a new first peer.
    pub pinned: bool,
    /// UDP source addresses or TCP clients held at once on a listening link.
    pub max_peers: usize,
}

/// Peers a listening link holds by default (a vehicle, a spare radio, a companion computer…).
pub const DEFAULT_MAX_PEERS: usize = 8;

impl LinkConfig {
    pub fn vehicle(address: LinkAddress) -> Self {
        Self {
            address,
            role: LinkRole::Vehicle,
            secure: false,
            pinned: false,
            max_peers: DEFAULT_MAX_PEERS,
        }
    }

    /// A read-only output (a CSU).
    pub fn read_only(address: LinkAddress) -> Self {
        Self {
            role: LinkRole::ReadOnlyOutput,
            ..Self::vehicle(address)
        }
    }

    /// Mark the link as wired (SETUP_SIGNING allowed).
    pub fn secure(mut self) -> Self {
        self.secure = true;
        self
    }

    /// Listen to the first peer only.
    pub fn pinned(mut self) -> Self {
        self.pinned = true;
        self
    }

    /// Whether the link has one remote at a time (a new peer there is the same remote).
    pub(crate) fn single_peer(&self) -> bool {
        !matches!(
            self.address,
            LinkAddress::UdpIn { .. } | LinkAddress::TcpIn { .. }
        )
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
    /// The key of every vehicle without one of its own (a fleet sharing one key). With it,
    /// unsigned frames from any system id are refused, so a spoofer cannot invent vehicles.
    pub fleet_key: Option<SigningKey>,
    /// Accept unsigned frames from a vehicle that has a key (off by default: fail closed).
    pub accept_unsigned_when_keyed: bool,
    /// Our link id in signatures.
    pub signing_link_id: u8,
    /// Where the newest signing timestamp is kept across restarts (the key store's
    /// `signing-timestamp`); without it, a restart starts from the clock.
    pub timestamp_file: Option<PathBuf>,
    /// How long SETUP_SIGNING waits for the vehicle's first frame signed with the new key.
    pub setup_signing_timeout: Duration,
    /// Vehicle actors one link may create: a spoofer inventing system ids gets no more.
    pub max_vehicles_per_link: usize,
    /// Refused frames are reported to the station at most once per kind, vehicle and link in
    /// this period (with their count).
    pub reject_report_period: Duration,
    /// A UDP peer silent this long is forgotten (unless a vehicle is routed through it).
    pub peer_idle: Duration,
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
            fleet_key: None,
            accept_unsigned_when_keyed: false,
            signing_link_id: 0,
            timestamp_file: None,
            setup_signing_timeout: Duration::from_secs(5),
            max_vehicles_per_link: 16,
            reject_report_period: Duration::from_secs(10),
            peer_idle: Duration::from_secs(30),
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
    #[error(
        "vehicle {sysid} did not confirm the new signing key: no frame signed with it within {waited:?} (an armed ArduPilot ignores SETUP_SIGNING); the station keeps the previous key"
    )]
    SigningNotConfirmed { sysid: u8, waited: Duration },
    #[error("the signing timestamp file {path}: {problem}")]
    TimestampFile { path: PathBuf, problem: String },
    #[error("vehicle {0} has not been seen on any link")]
    UnknownVehicle(u8),
    #[error("no link number {0}")]
    UnknownLink(usize),
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
    Repin {
        link: usize,
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
        engine::start(config).await
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

    /// Install a signing key on the vehicle and use it: SETUP_SIGNING, only over a link marked
    /// secure, resent each second, and the station switches to the key only once a frame signed
    /// with it comes back from the vehicle's autopilot. Without that confirmation within
    /// [`HubConfig::setup_signing_timeout`] it keeps the previous key and says so.
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

    /// A pinned link (by index in [`HubConfig::links`]) forgets its peer: the next one whose
    /// autopilot heartbeat passes the signing policy is pinned instead (a vehicle that came
    /// back from another address). An operator's decision, never automatic.
    pub async fn repin(&self, link: usize) -> Result<(), HubError> {
        let (tx, rx) = oneshot::channel();
        self.control
            .send(Control::Repin { link, reply: tx })
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

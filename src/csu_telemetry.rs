//! The CSU wall's picture of the drones: the MAVLink telemetry that each station forwards on its
//! read-only output (`vigie fly --csu-telemetry`), received on a UDP port and folded per vehicle.
//!
//! Receive-only by construction: the socket is read on its own thread and nothing here, nor in
//! the wall, ever writes to it — the wall holds no route on which a command could leave.

use std::collections::BTreeMap;
use std::net::{SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use vigie_link::frame::{FrameParser, Parsed};
use vigie_link::values::heartbeat_is_autopilot;
use vigie_link::{MavMessage, VehicleTelemetry};

/// One drone as the wall knows it.
#[derive(Debug, Clone)]
pub struct Heard {
    pub telemetry: VehicleTelemetry,
    pub last_heard: Instant,
    /// Where its frames came from (which station).
    pub from: SocketAddr,
    /// The flight the station's register files it under (the station's `GET /flights`).
    pub flight: Option<String>,
}

/// The drones heard so far, by system id.
pub type Picture = Arc<Mutex<BTreeMap<u8, Heard>>>;

/// What the listener counts (for the wall's status line and the tests).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub datagrams: u64,
    pub frames: u64,
    pub undecodable: u64,
}

pub struct Listener {
    pub local: SocketAddr,
    pub picture: Picture,
    pub counts: Arc<Mutex<Counts>>,
}

impl Listener {
    /// Bind `addr` and start reading it.
    pub fn start(addr: SocketAddr) -> std::io::Result<Listener> {
        let sock = UdpSocket::bind(addr)?;
        let local = sock.local_addr()?;
        sock.set_read_timeout(Some(Duration::from_millis(500)))?;
        let picture = Picture::default();
        let counts = Arc::new(Mutex::new(Counts::default()));
        let (p, c) = (picture.clone(), counts.clone());
        std::thread::Builder::new()
            .name("csu-telemetry".into())
            .spawn(move || read_loop(&sock, &p, &c))?;
        Ok(Listener {
            local,
            picture,
            counts,
        })
    }
}

fn read_loop(sock: &UdpSocket, picture: &Picture, counts: &Mutex<Counts>) {
    // One parser per sender: two stations' datagrams never mix inside a frame.
    let mut parsers: BTreeMap<SocketAddr, FrameParser> = BTreeMap::new();
    let mut buf = vec![0u8; 65536];
    loop {
        let (n, from) = match sock.recv_from(&mut buf) {
            Ok(x) => x,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue;
            }
            Err(e) => {
                tracing::warn!("CSU telemetry socket: {e}");
                std::thread::sleep(Duration::from_millis(200));
                continue;
            }
        };
        if parsers.len() > 64 && !parsers.contains_key(&from) {
            continue; // a flood of invented senders: the known stations keep their parsers
        }
        let parser = parsers.entry(from).or_default();
        let mut c = Counts {
            datagrams: 1,
            ..Counts::default()
        };
        for p in parser.push(&buf[..n]) {
            let Parsed::Frame(f) = p else { continue };
            let Ok(msg) = f.decode() else {
                c.undecodable += 1;
                continue;
            };
            c.frames += 1;
            fold(picture, f.sysid, f.compid, &msg, from);
        }
        if let Ok(mut k) = counts.lock() {
            k.datagrams += c.datagrams;
            k.frames += c.frames;
            k.undecodable += c.undecodable;
        }
    }
}

/// A frame into the picture: an autopilot's heartbeat makes a vehicle appear; then every message
/// of that system updates it, as a station's telemetry would.
pub fn fold(picture: &Picture, sysid: u8, compid: u8, msg: &MavMessage, from: SocketAddr) {
    let Ok(mut map) = picture.lock() else { return };
    if let std::collections::btree_map::Entry::Vacant(e) = map.entry(sysid) {
        let MavMessage::HEARTBEAT(hb) = msg else {
            return;
        };
        if !heartbeat_is_autopilot(hb.mavtype, hb.autopilot) {
            return;
        }
        e.insert(Heard {
            telemetry: VehicleTelemetry::new(sysid, compid),
            last_heard: Instant::now(),
            from,
            flight: None,
        });
    }
    if let Some(h) = map.get_mut(&sysid) {
        h.telemetry.apply(compid, msg, SystemTime::now());
        h.last_heard = Instant::now();
        h.from = from;
    }
}

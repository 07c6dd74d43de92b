//! Byte transports over tokio: UDP in/out/broadcast, TCP in/out, serial, and tlog replay. Each
//! runs as its own task, hands received bytes to the hub and writes what the hub gives it. A
//! dead socket or an unplugged port is reported with the OS reason and reopened with backoff
//! (tcpout, serial); nothing busy-loops.
//!
//! Every table is bounded: a UDP listener keeps at most `max_peers` source addresses (the least
//! recently heard unprotected one makes room; idle ones are pruned), a TCP listener at most
//! `max_peers` clients (more are refused and counted). The hub names the peers it routes to as
//! protected, so a flood from invented source ports never evicts the vehicle.

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{mpsc, watch};

use crate::address::{LinkAddress, ReplaySpeed};

/// Identifies one peer on one link: a UDP source address or one TCP connection.
pub type PeerKey = u64;

#[derive(Debug)]
pub enum TransportEvent {
    Data {
        link: usize,
        peer: PeerKey,
        bytes: Vec<u8>,
    },
    Up {
        link: usize,
        detail: String,
    },
    Down {
        link: usize,
        reason: String,
    },
    /// The peer is gone (TCP client closed, UDP address evicted or idle): its parser and any
    /// route through it can go.
    PeerGone {
        link: usize,
        peer: PeerKey,
    },
    /// Peers turned away since the last such event because the table was full (at most one
    /// event per second per link).
    PeersRefused {
        link: usize,
        count: u64,
    },
}

#[derive(Debug, Clone)]
pub struct Outgoing {
    /// `None`: every peer of the link.
    pub peer: Option<PeerKey>,
    pub bytes: Arc<[u8]>,
}

#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("cannot open {address}: {source}")]
    Open {
        address: String,
        source: std::io::Error,
    },
}

/// Limits and the hub's protected peers for one link's transport.
#[derive(Debug, Clone)]
pub struct TransportOptions {
    /// UDP source addresses or TCP clients held at once.
    pub max_peers: usize,
    /// A UDP peer silent this long is forgotten (unless protected).
    pub peer_idle: Duration,
    /// Peers the hub routes to: never evicted.
    pub protected: watch::Receiver<BTreeSet<PeerKey>>,
}

const BACKOFF_MIN: Duration = Duration::from_millis(250);
const BACKOFF_MAX: Duration = Duration::from_secs(8);
const OUT_QUEUE: usize = 1024;
/// Room for a burst of datagrams while the hub is busy (the kernel caps it at rmem_max).
const UDP_RECV_BUFFER: usize = 4 << 20;

fn next_backoff(b: Duration) -> Duration {
    (b * 2).min(BACKOFF_MAX)
}

/// Open the transport and start its task. Listening sockets are bound before this returns, so a
/// port already in use is an error here; outgoing connections retry in the background.
pub async fn spawn(
    link: usize,
    address: &LinkAddress,
    events: mpsc::Sender<TransportEvent>,
    options: TransportOptions,
) -> Result<(mpsc::Sender<Outgoing>, Option<SocketAddr>), TransportError> {
    let (out_tx, out_rx) = mpsc::channel(OUT_QUEUE);
    let open_err = |source| TransportError::Open {
        address: address.to_string(),
        source,
    };
    let local = match address {
        LinkAddress::UdpIn { bind } => {
            let sock = UdpSocket::bind(bind.as_str()).await.map_err(open_err)?;
            let _ = socket2::SockRef::from(&sock).set_recv_buffer_size(UDP_RECV_BUFFER);
            let local = sock.local_addr().ok();
            tokio::spawn(udp_in(link, sock, events, out_rx, options));
            local
        }
        LinkAddress::UdpOut { remote } | LinkAddress::UdpBcast { remote } => {
            let remote_addr = tokio::net::lookup_host(remote.as_str())
                .await
                .map_err(open_err)?
                .next()
                .ok_or_else(|| open_err(std::io::Error::other("host has no address")))?;
            let bind = if remote_addr.is_ipv4() {
                "0.0.0.0:0"
            } else {
                "[::]:0"
            };
            let sock = UdpSocket::bind(bind).await.map_err(open_err)?;
            let _ = socket2::SockRef::from(&sock).set_recv_buffer_size(UDP_RECV_BUFFER);
            let broadcast = matches!(address, LinkAddress::UdpBcast { .. });
            if broadcast {
                sock.set_broadcast(true).map_err(open_err)?;
            } else {
                sock.connect(remote_addr).await.map_err(open_err)?;
            }
            let local = sock.local_addr().ok();
            tokio::spawn(udp_out(link, sock, remote_addr, broadcast, events, out_rx));
            local
        }
        LinkAddress::TcpIn { bind } => {
            let listener = TcpListener::bind(bind.as_str()).await.map_err(open_err)?;
            let local = listener.local_addr().ok();
            tokio::spawn(tcp_in(link, listener, events, out_rx, options.max_peers));
            local
        }
        LinkAddress::TcpOut { remote } => {
            tokio::spawn(tcp_out(link, remote.clone(), events, out_rx));
            None
        }
        LinkAddress::Serial { path, baud } => {
            tokio::spawn(serial(link, path.clone(), *baud, events, out_rx));
            None
        }
        LinkAddress::File { path, speed } => {
            let data = tokio::fs::read(path).await.map_err(open_err)?;
            tokio::spawn(replay(link, path.clone(), data, *speed, events, out_rx));
            None
        }
    };
    Ok((out_tx, local))
}

/// What a UDP listener does with a datagram from `addr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    Known(PeerKey),
    /// A new peer; `evicted` made room for it.
    New {
        peer: PeerKey,
        evicted: Option<PeerKey>,
    },
    /// The table is full of protected peers: the datagram is dropped.
    Full,
}

#[derive(Debug, Clone, Copy)]
struct PeerSlot {
    addr: SocketAddr,
    last: Instant,
}

/// A UDP listener's peers: at most `max`, each with when it was last heard (pure: `now` and the
/// protected set are arguments).
#[derive(Debug)]
pub struct PeerTable {
    by_addr: HashMap<SocketAddr, PeerKey>,
    peers: HashMap<PeerKey, PeerSlot>,
    next: PeerKey,
    max: usize,
    idle: Duration,
}

impl PeerTable {
    pub fn new(max: usize, idle: Duration) -> Self {
        Self {
            by_addr: HashMap::new(),
            peers: HashMap::new(),
            next: 0,
            max: max.max(1),
            idle,
        }
    }

    pub fn admit(
        &mut self,
        addr: SocketAddr,
        now: Instant,
        protected: &BTreeSet<PeerKey>,
    ) -> Admit {
        if let Some(&peer) = self.by_addr.get(&addr) {
            if let Some(slot) = self.peers.get_mut(&peer) {
                slot.last = now;
            }
            return Admit::Known(peer);
        }
        let mut evicted = None;
        if self.peers.len() >= self.max {
            let oldest = self
                .peers
                .iter()
                .filter(|(k, _)| !protected.contains(k))
                .min_by_key(|(_, s)| s.last)
                .map(|(k, _)| *k);
            let Some(old) = oldest else {
                return Admit::Full;
            };
            self.remove(old);
            evicted = Some(old);
        }
        let peer = self.next;
        self.next += 1;
        self.by_addr.insert(addr, peer);
        self.peers.insert(peer, PeerSlot { addr, last: now });
        Admit::New { peer, evicted }
    }

    fn remove(&mut self, peer: PeerKey) {
        if let Some(slot) = self.peers.remove(&peer) {
            self.by_addr.remove(&slot.addr);
        }
    }

    /// Forget unprotected peers silent for longer than the idle time; returns them.
    pub fn prune(&mut self, now: Instant, protected: &BTreeSet<PeerKey>) -> Vec<PeerKey> {
        let idle = self.idle;
        let gone: Vec<PeerKey> = self
            .peers
            .iter()
            .filter(|(k, s)| !protected.contains(k) && now.saturating_duration_since(s.last) > idle)
            .map(|(k, _)| *k)
            .collect();
        for p in &gone {
            self.remove(*p);
        }
        gone
    }

    pub fn addr(&self, peer: PeerKey) -> Option<SocketAddr> {
        self.peers.get(&peer).map(|s| s.addr)
    }

    pub fn addrs(&self) -> impl Iterator<Item = SocketAddr> + '_ {
        self.peers.values().map(|s| s.addr)
    }

    pub fn len(&self) -> usize {
        self.peers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.peers.is_empty()
    }
}

/// Counts turned-away peers and says so at most once a second.
struct RefusedCounter {
    pending: u64,
    last: Option<Instant>,
}

impl RefusedCounter {
    fn new() -> Self {
        Self {
            pending: 0,
            last: None,
        }
    }

    fn refused(&mut self, now: Instant) -> Option<u64> {
        self.pending += 1;
        self.take(now)
    }

    fn take(&mut self, now: Instant) -> Option<u64> {
        if self.pending == 0
            || self
                .last
                .is_some_and(|t| now.saturating_duration_since(t) < Duration::from_secs(1))
        {
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.pending))
    }
}

async fn udp_in(
    link: usize,
    sock: UdpSocket,
    events: mpsc::Sender<TransportEvent>,
    mut out: mpsc::Receiver<Outgoing>,
    options: TransportOptions,
) {
    let TransportOptions {
        max_peers,
        peer_idle,
        protected,
    } = options;
    let mut peers = PeerTable::new(max_peers, peer_idle);
    let mut refused = RefusedCounter::new();
    let mut buf = vec![0u8; 65536];
    let mut prune = tokio::time::interval(Duration::from_secs(1));
    prune.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut up = false;
    loop {
        tokio::select! {
            r = sock.recv_from(&mut buf) => match r {
                Ok((n, from)) => {
                    let now = Instant::now();
                    let admit = peers.admit(from, now, &protected.borrow());
                    let peer = match admit {
                        Admit::Known(p) => p,
                        Admit::New { peer, evicted } => {
                            if let Some(old) = evicted
                                && events.send(TransportEvent::PeerGone { link, peer: old }).await.is_err()
                            {
                                return;
                            }
                            // The link is up with its first peer; later ones are not news.
                            if !up {
                                up = true;
                                let _ = events.send(TransportEvent::Up { link, detail: format!("peer {from}") }).await;
                            }
                            peer
                        }
                        Admit::Full => {
                            if let Some(count) = refused.refused(now) {
                                let _ = events.send(TransportEvent::PeersRefused { link, count }).await;
                            }
                            continue;
                        }
                    };
                    if events.send(TransportEvent::Data { link, peer, bytes: buf[..n].to_vec() }).await.is_err() {
                        return;
                    }
                }
                // ICMP port unreachable from a peer that went away shows up here on Linux; the
                // socket itself is fine.
                Err(e) => {
                    let _ = events.send(TransportEvent::Down { link, reason: e.to_string() }).await;
                    tokio::time::sleep(BACKOFF_MIN).await;
                }
            },
            o = out.recv() => {
                let Some(o) = o else { return };
                let targets: Vec<SocketAddr> = match o.peer {
                    Some(p) => peers.addr(p).into_iter().collect(),
                    None => peers.addrs().collect(),
                };
                for t in targets {
                    let _ = sock.send_to(&o.bytes, t).await;
                }
            }
            _ = prune.tick() => {
                let now = Instant::now();
                let gone = peers.prune(now, &protected.borrow());
                for peer in gone {
                    if events.send(TransportEvent::PeerGone { link, peer }).await.is_err() {
                        return;
                    }
                }
                if let Some(count) = refused.take(now) {
                    let _ = events.send(TransportEvent::PeersRefused { link, count }).await;
                }
            }
        }
    }
}

/// `udpout`: one remote. `udpbcast`: broadcast until the first answer, then that sender only.
async fn udp_out(
    link: usize,
    sock: UdpSocket,
    remote: SocketAddr,
    broadcast: bool,
    events: mpsc::Sender<TransportEvent>,
    mut out: mpsc::Receiver<Outgoing>,
) {
    let mut buf = vec![0u8; 65536];
    let mut up = false;
    // Where to send: the broadcast address until someone answers.
    let mut dest = remote;
    let mut locked = !broadcast;
    loop {
        tokio::select! {
            r = sock.recv_from(&mut buf) => match r {
                Ok((n, from)) => {
                    if !locked {
                        // As pymavlink: the first datagram's sender becomes the peer.
                        dest = from;
                        locked = true;
                        let _ = sock.connect(from).await;
                        let _ = events.send(TransportEvent::Up { link, detail: format!("answered by {from}") }).await;
                        up = true;
                    } else if broadcast && from != dest {
                        continue; // someone else on the subnet
                    }
                    if !up {
                        up = true;
                        let _ = events.send(TransportEvent::Up { link, detail: "replies received".into() }).await;
                    }
                    if events.send(TransportEvent::Data { link, peer: 0, bytes: buf[..n].to_vec() }).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    if up {
                        up = false;
                        let _ = events.send(TransportEvent::Down { link, reason: e.to_string() }).await;
                    }
                    tokio::time::sleep(BACKOFF_MIN).await;
                }
            },
            o = out.recv() => {
                let Some(o) = o else { return };
                let _ = sock.send_to(&o.bytes, dest).await;
            }
        }
    }
}

/// Pump one byte stream until it fails; returns the reason. `Ok` when the hub went away.
async fn pump<S: AsyncRead + AsyncWrite + Unpin>(
    link: usize,
    peer: PeerKey,
    stream: S,
    events: &mpsc::Sender<TransportEvent>,
    out: &mut mpsc::Receiver<Outgoing>,
) -> Result<(), String> {
    let (mut rd, mut wr) = tokio::io::split(stream);
    let mut buf = vec![0u8; 8192];
    loop {
        tokio::select! {
            r = rd.read(&mut buf) => match r {
                Ok(0) => return Err("connection closed by peer".into()),
                Ok(n) => {
                    if events.send(TransportEvent::Data { link, peer, bytes: buf[..n].to_vec() }).await.is_err() {
                        return Ok(());
                    }
                }
                Err(e) => return Err(e.to_string()),
            },
            o = out.recv() => {
                let Some(o) = o else { return Ok(()) };
                if o.peer.is_none_or(|p| p == peer) {
                    wr.write_all(&o.bytes).await.map_err(|e| e.to_string())?;
                }
            }
        }
    }
}

async fn tcp_out(
    link: usize,
    remote: String,
    events: mpsc::Sender<TransportEvent>,
    out: mpsc::Receiver<Outgoing>,
) {
    let label = remote.clone();
    reconnecting(link, &label, events, out, || async {
        let stream = TcpStream::connect(remote.as_str()).await?;
        let _ = stream.set_nodelay(true);
        Ok(stream)
    })
    .await;
}

/// Open, pump until it fails, report why, back off, open again; for links that can come back
/// (a vehicle's TCP port, an unplugged radio). Returns when the hub is gone.
async fn reconnecting<S, F, Fut>(
    link: usize,
    label: &str,
    events: mpsc::Sender<TransportEvent>,
    mut out: mpsc::Receiver<Outgoing>,
    open: F,
) where
    S: AsyncRead + AsyncWrite + Unpin,
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = std::io::Result<S>>,
{
    let mut backoff = BACKOFF_MIN;
    let mut peer: PeerKey = 0;
    loop {
        match open().await {
            Ok(stream) => {
                backoff = BACKOFF_MIN;
                let _ = events
                    .send(TransportEvent::Up {
                        link,
                        detail: format!("connected to {label}"),
                    })
                    .await;
                match pump(link, peer, stream, &events, &mut out).await {
                    Ok(()) => return,
                    Err(reason) => {
                        let _ = events
                            .send(TransportEvent::Down {
                                link,
                                reason: format!("{label}: {reason}"),
                            })
                            .await;
                        let _ = events.send(TransportEvent::PeerGone { link, peer }).await;
                    }
                }
                peer += 1;
            }
            Err(e) => {
                let _ = events
                    .send(TransportEvent::Down {
                        link,
                        reason: format!("connect to {label}: {e}"),
                    })
                    .await;
            }
        }
        // Drop what was queued while down: stale commands must not fire on reconnection.
        while out.try_recv().is_ok() {}
        if events.is_closed() {
            return;
        }
        tokio::time::sleep(backoff).await;
        backoff = next_backoff(backoff);
    }
}

async fn tcp_in(
    link: usize,
    listener: TcpListener,
    events: mpsc::Sender<TransportEvent>,
    mut out: mpsc::Receiver<Outgoing>,
    max_clients: usize,
) {
    let mut conns: HashMap<PeerKey, mpsc::Sender<Outgoing>> = HashMap::new();
    let mut next: PeerKey = 0;
    let mut refused = RefusedCounter::new();
    loop {
        tokio::select! {
            a = listener.accept() => match a {
                Ok((stream, from)) => {
                    conns.retain(|_, c| !c.is_closed());
                    if conns.len() >= max_clients.max(1) {
                        // Closed at once: a client that cannot be served must not hold a slot.
                        drop(stream);
                        if let Some(count) = refused.refused(Instant::now()) {
                            let _ = events.send(TransportEvent::PeersRefused { link, count }).await;
                        }
                        continue;
                    }
                    let _ = stream.set_nodelay(true);
                    let peer = next;
                    next += 1;
                    let (tx, mut rx) = mpsc::channel(OUT_QUEUE);
                    conns.insert(peer, tx);
                    let ev = events.clone();
                    let _ = events.send(TransportEvent::Up { link, detail: format!("client {from}") }).await;
                    tokio::spawn(async move {
                        if let Err(reason) = pump(link, peer, stream, &ev, &mut rx).await {
                            let _ = ev.send(TransportEvent::Down { link, reason: format!("client {from}: {reason}") }).await;
                        }
                        let _ = ev.send(TransportEvent::PeerGone { link, peer }).await;
                    });
                }
                Err(e) => {
                    let _ = events.send(TransportEvent::Down { link, reason: e.to_string() }).await;
                    tokio::time::sleep(BACKOFF_MIN).await;
                }
            },
            o = out.recv() => {
                let Some(o) = o else { return };
                conns.retain(|_, c| !c.is_closed());
                for (peer, c) in &conns {
                    if o.peer.is_none_or(|p| p == *peer) {
                        // A stalled client must not stall the others: drop for it when full.
                        let _ = c.try_send(o.clone());
                    }
                }
            }
        }
    }
}

async fn serial(
    link: usize,
    path: String,
    baud: u32,
    events: mpsc::Sender<TransportEvent>,
    out: mpsc::Receiver<Outgoing>,
) {
    use tokio_serial::SerialPortBuilderExt;
    let label = format!("{path} at {baud} baud");
    reconnecting(link, &label, events, out, || async {
        tokio_serial::new(&path, baud)
            .open_native_async()
            .map_err(std::io::Error::from)
    })
    .await;
}

/// Frames handed to the hub per event when replaying as fast as possible.
const REPLAY_BATCH: usize = 256;

/// `file:`: the tlog's frames at their recorded pace (or faster), then link down at the end.
async fn replay(
    link: usize,
    path: String,
    data: Vec<u8>,
    speed: ReplaySpeed,
    events: mpsc::Sender<TransportEvent>,
    mut out: mpsc::Receiver<Outgoing>,
) {
    let _ = events
        .send(TransportEvent::Up {
            link,
            detail: format!("replaying {path}"),
        })
        .await;
    // Anything the station sends goes nowhere: a log cannot answer.
    tokio::spawn(async move { while out.recv().await.is_some() {} });
    // A tlog starts with a timestamp and a frame right after it; a raw capture does not.
    let is_tlog = data.len() > 8
        && matches!(
            crate::frame::find_frame(&data[8..]),
            crate::frame::Found::Frame(_)
        );
    let reason = if is_tlog {
        let start = tokio::time::Instant::now();
        let mut first_us = None;
        let mut batch = Vec::new();
        for r in crate::tlog::TlogReader::new(&data) {
            if let ReplaySpeed::Factor(factor) = speed {
                let first = *first_us.get_or_insert(r.at_us);
                let offset_s = r.at_us.saturating_sub(first) as f64 / 1e6 / factor;
                let due = start + Duration::from_secs_f64(offset_s.min(1e9));
                if due > tokio::time::Instant::now() {
                    if !batch.is_empty() {
                        let bytes = std::mem::take(&mut batch);
                        if events
                            .send(TransportEvent::Data {
                                link,
                                peer: 0,
                                bytes,
                            })
                            .await
                            .is_err()
                        {
                            return;
                        }
                    }
                    tokio::time::sleep_until(due).await;
                }
            }
            batch.extend_from_slice(r.frame.bytes);
            if batch.len() >= REPLAY_BATCH * 64 {
                let bytes = std::mem::take(&mut batch);
                if events
                    .send(TransportEvent::Data {
                        link,
                        peer: 0,
                        bytes,
                    })
                    .await
                    .is_err()
                {
                    return;
                }
            }
        }
        if !batch.is_empty() {
            let _ = events
                .send(TransportEvent::Data {
                    link,
                    peer: 0,
                    bytes: batch,
                })
                .await;
        }
        format!("{path}: end of the log")
    } else {
        for chunk in data.chunks(REPLAY_BATCH * 64) {
            if events
                .send(TransportEvent::Data {
                    link,
                    peer: 0,
                    bytes: chunk.to_vec(),
                })
                .await
                .is_err()
            {
                return;
            }
        }
        format!("{path}: end of the file")
    };
    let _ = events.send(TransportEvent::Down { link, reason }).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn peer_table_is_bounded_and_keeps_protected_peers() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut t = PeerTable::new(4, Duration::from_secs(30));
        let none = BTreeSet::new();
        let vehicle = match t.admit(addr(14550), t0, &none) {
            Admit::New {
                peer,
                evicted: None,
            } => peer,
            other => panic!("{other:?}"),
        };
        let protected = BTreeSet::from([vehicle]);
        // A spoofer inventing 10 000 source ports, each heard after the vehicle.
        for i in 0..10_000u16 {
            let a = t.admit(addr(20_000 + i), t0 + ms(u64::from(i) + 1), &protected);
            assert!(matches!(a, Admit::New { .. }), "{a:?}");
            assert!(t.len() <= 4);
        }
        assert_eq!(
            t.addr(vehicle),
            Some(addr(14550)),
            "the vehicle was never evicted"
        );
        assert_eq!(
            t.admit(addr(14550), t0 + ms(20_000), &protected),
            Admit::Known(vehicle)
        );
        // Everything protected: a newcomer is turned away.
        let all: BTreeSet<PeerKey> = (0..100_000).collect();
        assert_eq!(t.admit(addr(1), t0 + ms(20_001), &all), Admit::Full);
        // Idle peers go, the protected one stays.
        let gone = t.prune(t0 + Duration::from_secs(120), &protected);
        assert_eq!(gone.len(), 3);
        assert_eq!(t.len(), 1);
    }
}

//! Byte transports over tokio: UDP in/out, TCP in/out, serial. Each runs as its own task, hands
//! received bytes to the hub and writes what the hub gives it. A dead socket or an unplugged port is
//! reported with the OS reason and reopened with backoff (tcpout, serial); nothing busy-loops.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc;

use crate::address::LinkAddress;

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

const BACKOFF_MIN: Duration = Duration::from_millis(250);
const BACKOFF_MAX: Duration = Duration::from_secs(8);
const OUT_QUEUE: usize = 1024;

fn next_backoff(b: Duration) -> Duration {
    (b * 2).min(BACKOFF_MAX)
}

/// Open the transport and start its task. Listening sockets are bound before this returns, so a
/// port already in use is an error here; outgoing connections retry in the background.
pub async fn spawn(
    link: usize,
    address: &LinkAddress,
    events: mpsc::Sender<TransportEvent>,
) -> Result<(mpsc::Sender<Outgoing>, Option<SocketAddr>), TransportError> {
    let (out_tx, out_rx) = mpsc::channel(OUT_QUEUE);
    let open_err = |source| TransportError::Open {
        address: address.to_string(),
        source,
    };
    let local = match address {
        LinkAddress::UdpIn { bind } => {
            let sock = UdpSocket::bind(bind.as_str()).await.map_err(open_err)?;
            let local = sock.local_addr().ok();
            tokio::spawn(udp_in(link, sock, events, out_rx));
            local
        }
        LinkAddress::UdpOut { remote } => {
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
            sock.connect(remote_addr).await.map_err(open_err)?;
            let local = sock.local_addr().ok();
            tokio::spawn(udp_out(link, sock, events, out_rx));
            local
        }
        LinkAddress::TcpIn { bind } => {
            let listener = TcpListener::bind(bind.as_str()).await.map_err(open_err)?;
            let local = listener.local_addr().ok();
            tokio::spawn(tcp_in(link, listener, events, out_rx));
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
    };
    Ok((out_tx, local))
}

async fn udp_in(
    link: usize,
    sock: UdpSocket,
    events: mpsc::Sender<TransportEvent>,
    mut out: mpsc::Receiver<Outgoing>,
) {
    let mut peers: HashMap<SocketAddr, PeerKey> = HashMap::new();
    let mut addrs: HashMap<PeerKey, SocketAddr> = HashMap::new();
    let mut buf = vec![0u8; 65536];
    loop {
        tokio::select! {
            r = sock.recv_from(&mut buf) => match r {
                Ok((n, from)) => {
                    let next = peers.len() as PeerKey;
                    let peer = *peers.entry(from).or_insert(next);
                    if addrs.insert(peer, from).is_none() {
                        let _ = events.send(TransportEvent::Up { link, detail: format!("peer {from}") }).await;
                    }
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
                    Some(p) => addrs.get(&p).copied().into_iter().collect(),
                    None => addrs.values().copied().collect(),
                };
                for t in targets {
                    let _ = sock.send_to(&o.bytes, t).await;
                }
            }
        }
    }
}

async fn udp_out(
    link: usize,
    sock: UdpSocket,
    events: mpsc::Sender<TransportEvent>,
    mut out: mpsc::Receiver<Outgoing>,
) {
    let mut buf = vec![0u8; 65536];
    let mut up = false;
    loop {
        tokio::select! {
            r = sock.recv(&mut buf) => match r {
                Ok(n) => {
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
                let _ = sock.send(&o.bytes).await;
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
) {
    let mut conns: HashMap<PeerKey, mpsc::Sender<Outgoing>> = HashMap::new();
    let mut next: PeerKey = 0;
    loop {
        tokio::select! {
            a = listener.accept() => match a {
                Ok((stream, from)) => {
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

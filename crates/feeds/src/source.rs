//! The byte sources of the line feeds (UDP listen, TCP client, serial port) and the loop that
//! drives a decoder with them. A dead socket or an unplugged port is a `Fault` with the OS's
//! reason, then a retry with backoff; a bad line is the decoder's business (counted); nothing
//! busy-loops and nothing panics.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, Interval, MissedTickBehavior};

use crate::address::FeedAddress;
use crate::feed::{
    EVENT_QUEUE, FaultKind, Feed, FeedError, FeedEvent, FeedFault, FeedStats, FeedTask,
};

/// Turns bytes into values. Pure state; the loop below does the I/O and stamps the time.
pub(crate) trait Decoder: Send + 'static {
    type Out: Send + 'static;
    /// Bytes from `peer` (a UDP source or one connection) arrived at `now`.
    fn bytes(&mut self, peer: u64, bytes: &[u8], now: DateTime<Utc>, out: &mut Vec<Self::Out>);
    /// `peer`'s connection ended: forget its partial line.
    fn reset(&mut self, peer: u64);
    /// Called every `RunOpts::tick`, connected or not.
    fn tick(&mut self, _now: DateTime<Utc>, _out: &mut Vec<Self::Out>) {}
    fn stats(&mut self) -> &mut FeedStats;
}

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RunOpts {
    /// TCP: reconnect after this long without a byte (a half-open connection, a hung bridge).
    pub silence: Option<Duration>,
    pub tick: Option<Duration>,
}

const BACKOFF_MIN: Duration = Duration::from_millis(250);
const BACKOFF_MAX: Duration = Duration::from_secs(8);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// UDP sources remembered for their partial lines; beyond this all are forgotten at once.
const MAX_UDP_PEERS: usize = 64;

enum Source {
    Udp(UdpSocket),
    Tcp(String),
    Serial { path: String, baud: u32 },
}

/// Open `address` (UDP is bound now, so a port in use is an error here; TCP and serial are
/// retried in the background) and start decoding.
pub(crate) async fn spawn<D: Decoder>(
    address: &FeedAddress,
    decoder: D,
    opts: RunOpts,
) -> Result<Feed<D::Out>, FeedError> {
    let label = address.to_string();
    let (source, local_addr) = match address {
        FeedAddress::Udp { bind } => {
            let sock = UdpSocket::bind(bind.as_str())
                .await
                .map_err(|source| FeedError::Bind {
                    address: label.clone(),
                    source,
                })?;
            let local = sock.local_addr().ok();
            (Source::Udp(sock), local)
        }
        FeedAddress::Tcp { remote } => (Source::Tcp(remote.clone()), None),
        FeedAddress::Serial { path, baud } => (
            Source::Serial {
                path: path.clone(),
                baud: *baud,
            },
            None,
        ),
    };
    let (tx, rx) = mpsc::channel(EVENT_QUEUE);
    let (stats_tx, stats_rx) = watch::channel(FeedStats::default());
    let mut runner = Runner {
        dec: decoder,
        events: tx,
        stats: stats_tx,
        label,
        out: Vec::new(),
    };
    let task = tokio::spawn(async move {
        let mut tick = opts.tick.map(|d| {
            let mut i = tokio::time::interval(d);
            i.set_missed_tick_behavior(MissedTickBehavior::Skip);
            i
        });
        match source {
            Source::Udp(sock) => runner.udp(sock, &mut tick).await,
            Source::Tcp(remote) => {
                let silence = opts.silence;
                runner
                    .reconnecting(&mut tick, FaultKind::Connect, silence, || async {
                        let s = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&remote))
                            .await
                            .map_err(|_| {
                                std::io::Error::new(
                                    std::io::ErrorKind::TimedOut,
                                    "no answer within 10 s",
                                )
                            })??;
                        let peer = s
                            .peer_addr()
                            .map_or_else(|_| remote.clone(), |a| a.to_string());
                        Ok((s, format!("connected to {peer}")))
                    })
                    .await
            }
            Source::Serial { path, baud } => {
                runner
                    .reconnecting(&mut tick, FaultKind::Open, None, || async {
                        use tokio_serial::SerialPortBuilderExt;
                        let s = tokio_serial::new(&path, baud)
                            .open_native_async()
                            .map_err(std::io::Error::from)?;
                        Ok((s, format!("opened {path} at {baud} baud")))
                    })
                    .await
            }
        }
    });
    Ok(Feed {
        events: rx,
        stats: stats_rx,
        local_addr,
        task: FeedTask::new(task),
    })
}

async fn next_tick(tick: &mut Option<Interval>) {
    match tick {
        Some(t) => {
            t.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// Why a connection's read loop ended.
enum End {
    /// The station dropped the feed.
    Stop,
    Fault(FaultKind, String),
}

struct Runner<D: Decoder> {
    dec: D,
    events: mpsc::Sender<FeedEvent<D::Out>>,
    stats: watch::Sender<FeedStats>,
    label: String,
    out: Vec<D::Out>,
}

impl<D: Decoder> Runner<D> {
    fn publish(&mut self) {
        self.stats.send_replace(self.dec.stats().clone());
    }

    /// Send what the decoder produced; false when the station dropped the feed.
    async fn flush(&mut self) -> bool {
        let out = std::mem::take(&mut self.out);
        self.publish();
        for o in out {
            if self.events.send(FeedEvent::Data(o)).await.is_err() {
                return false;
            }
        }
        true
    }

    async fn bytes(&mut self, peer: u64, bytes: &[u8]) -> bool {
        self.dec.bytes(peer, bytes, Utc::now(), &mut self.out);
        self.flush().await
    }

    async fn tick(&mut self) -> bool {
        self.dec.tick(Utc::now(), &mut self.out);
        self.flush().await
    }

    async fn up(&mut self, detail: String) -> bool {
        self.dec.stats().up = true;
        self.publish();
        let source = self.label.clone();
        self.events
            .send(FeedEvent::Up { source, detail })
            .await
            .is_ok()
    }

    async fn fault(&mut self, kind: FaultKind, reason: String, retry_in: Option<Duration>) -> bool {
        let st = self.dec.stats();
        st.up = false;
        st.faults += 1;
        self.publish();
        let fault = FeedFault {
            kind,
            source: self.label.clone(),
            reason,
            retry_in,
        };
        self.events.send(FeedEvent::Fault(fault)).await.is_ok()
    }

    /// Sleep `d`, still ticking; false when the station dropped the feed.
    async fn wait(&mut self, d: Duration, tick: &mut Option<Interval>) -> bool {
        let until = Instant::now() + d;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(until) => return !self.events.is_closed(),
                _ = next_tick(tick) => if !self.tick().await { return false },
            }
        }
    }

    async fn udp(&mut self, sock: UdpSocket, tick: &mut Option<Interval>) {
        let detail = match sock.local_addr() {
            Ok(a) => format!("listening on udp {a}"),
            Err(_) => "listening".to_string(),
        };
        if !self.up(detail).await {
            return;
        }
        let mut peers: HashMap<SocketAddr, u64> = HashMap::new();
        let mut next_peer = 0u64;
        let mut buf = vec![0u8; 65536];
        loop {
            tokio::select! {
                r = sock.recv_from(&mut buf) => match r {
                    Ok((n, from)) => {
                        if !peers.contains_key(&from) && peers.len() >= MAX_UDP_PEERS {
                            for p in peers.values() {
                                self.dec.reset(*p);
                            }
                            peers.clear();
                        }
                        let peer = *peers.entry(from).or_insert_with(|| {
                            next_peer += 1;
                            next_peer
                        });
                        let Some(bytes) = buf.get(..n) else { continue };
                        if !self.bytes(peer, bytes).await {
                            return;
                        }
                    }
                    Err(e) => {
                        // E.g. an ICMP error reported on the socket: say it, pause, go on.
                        if !self.fault(FaultKind::Io, e.to_string(), Some(BACKOFF_MIN)).await
                            || !self.wait(BACKOFF_MIN, tick).await
                        {
                            return;
                        }
                        if !self.up("listening again".into()).await {
                            return;
                        }
                    }
                },
                _ = next_tick(tick) => if !self.tick().await { return },
            }
        }
    }

    /// Open with `open`, read until it fails, say why, wait with backoff, open again.
    async fn reconnecting<S, F, Fut>(
        &mut self,
        tick: &mut Option<Interval>,
        open_fault: FaultKind,
        silence: Option<Duration>,
        open: F,
    ) where
        S: AsyncRead + Unpin,
        F: Fn() -> Fut,
        Fut: Future<Output = std::io::Result<(S, String)>>,
    {
        let mut backoff = BACKOFF_MIN;
        let mut peer = 0u64;
        loop {
            let connecting = open();
            tokio::pin!(connecting);
            // Keep ticking (traffic expiry) while a connect hangs.
            let opened = loop {
                tokio::select! {
                    r = &mut connecting => break r,
                    _ = next_tick(tick) => if !self.tick().await { return },
                }
            };
            let (kind, reason) = match opened {
                Ok((stream, detail)) => {
                    if !self.up(detail).await {
                        return;
                    }
                    peer += 1;
                    let before = self.dec.stats().lines;
                    let end = self.read(stream, peer, silence, tick).await;
                    self.dec.reset(peer);
                    if self.dec.stats().lines > before {
                        backoff = BACKOFF_MIN;
                    }
                    match end {
                        End::Stop => return,
                        End::Fault(k, r) => (k, r),
                    }
                }
                Err(e) => (open_fault, e.to_string()),
            };
            if !self.fault(kind, reason, Some(backoff)).await || !self.wait(backoff, tick).await {
                return;
            }
            backoff = (backoff * 2).min(BACKOFF_MAX);
        }
    }

    async fn read<S: AsyncRead + Unpin>(
        &mut self,
        mut stream: S,
        peer: u64,
        silence: Option<Duration>,
        tick: &mut Option<Interval>,
    ) -> End {
        let mut buf = vec![0u8; 16384];
        let quiet = silence.unwrap_or(Duration::from_secs(86_400 * 365));
        let mut deadline = Instant::now() + quiet;
        loop {
            tokio::select! {
                r = stream.read(&mut buf) => match r {
                    Ok(0) => return End::Fault(FaultKind::Closed, "closed by the other end".into()),
                    Ok(n) => {
                        deadline = Instant::now() + quiet;
                        let Some(bytes) = buf.get(..n) else { continue };
                        if !self.bytes(peer, bytes).await {
                            return End::Stop;
                        }
                    }
                    Err(e) => return End::Fault(FaultKind::Io, e.to_string()),
                },
                _ = tokio::time::sleep_until(deadline) => {
                    return End::Fault(
                        FaultKind::Silent,
                        format!("nothing received for {:.0} s", quiet.as_secs_f64()),
                    );
                }
                _ = next_tick(tick) => if !self.tick().await { return End::Stop },
            }
        }
    }
}

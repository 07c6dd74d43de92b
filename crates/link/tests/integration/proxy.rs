//! A lossy, reordering UDP proxy between a pymavlink vehicle and the station, and the mission
//! round trip through it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::net::UdpSocket;

use vigie_link::mission::{MissionItem, MissionType};

use crate::pymavlink::{gcs_on_udp, quiet_config};

/// xorshift64*: a seeded generator so the loss pattern is reproducible in kind.
struct Rng(u64);
impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Per direction: drops `loss` of the datagrams (never more than 2 in a row: six drops of the same
/// retransmission in a row is link loss, not a lossy link) and holds 10 % back to send after the
/// next one (reordering).
struct Lossy {
    rng: Rng,
    loss: f64,
    run: u32,
    held: Option<Vec<u8>>,
}

impl Lossy {
    fn pass(&mut self, pkt: Vec<u8>, dropped: &AtomicU64) -> Vec<Vec<u8>> {
        if self.run < 2 && self.rng.next_f64() < self.loss {
            self.run += 1;
            dropped.fetch_add(1, Ordering::Relaxed);
            return Vec::new();
        }
        self.run = 0;
        if self.held.is_none() && self.rng.next_f64() < 0.10 {
            self.held = Some(pkt);
            return Vec::new();
        }
        let mut out = vec![pkt];
        out.extend(self.held.take());
        out
    }
}

pub struct Stats {
    pub forwarded: AtomicU64,
    pub dropped: AtomicU64,
}

/// Start the proxy; the vehicle talks to the returned address, the proxy talks to `station`.
async fn start(station: SocketAddr, loss: f64, seed: u64) -> (SocketAddr, Arc<Stats>) {
    let front = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
    let back = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
    back.connect(station).await.unwrap();
    let addr = front.local_addr().unwrap();
    let stats = Arc::new(Stats {
        forwarded: AtomicU64::new(0),
        dropped: AtomicU64::new(0),
    });
    let vehicle: Arc<tokio::sync::Mutex<Option<SocketAddr>>> = Arc::default();
    {
        let (front, back, stats, vehicle) =
            (front.clone(), back.clone(), stats.clone(), vehicle.clone());
        tokio::spawn(async move {
            let mut l = Lossy {
                rng: Rng(seed),
                loss,
                run: 0,
                held: None,
            };
            let mut buf = vec![0u8; 65536];
            while let Ok((n, from)) = front.recv_from(&mut buf).await {
                *vehicle.lock().await = Some(from);
                for p in l.pass(buf[..n].to_vec(), &stats.dropped) {
                    stats.forwarded.fetch_add(1, Ordering::Relaxed);
                    let _ = back.send(&p).await;
                }
            }
        });
    }
    {
        let stats = stats.clone();
        tokio::spawn(async move {
            let mut l = Lossy {
                rng: Rng(seed ^ 0x9E37_79B9_7F4A_7C15),
                loss,
                run: 0,
                held: None,
            };
            let mut buf = vec![0u8; 65536];
            while let Ok(n) = back.recv(&mut buf).await {
                let Some(to) = *vehicle.lock().await else {
                    continue;
                };
                for p in l.pass(buf[..n].to_vec(), &stats.dropped) {
                    stats.forwarded.fetch_add(1, Ordering::Relaxed);
                    let _ = front.send_to(&p, to).await;
                }
            }
        });
    }
    (addr, stats)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mission_round_trip_through_20_percent_loss_and_reordering() {
    let (gcs, station) = gcs_on_udp(quiet_config(vec![])).await;
    let loss: f64 = std::env::var("PROXY_LOSS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.20);
    let (proxy, stats) = start(station, loss, 0x5EED_1234).await;
    let url = format!("udpout:{proxy}");
    let _p = crate::peer::Peer::spawn("link_vehicle.py", &["--connect", &url]);
    let v = gcs
        .wait_vehicle(Some(1), Duration::from_secs(30))
        .await
        .expect("vehicle through the proxy");
    let items: Vec<MissionItem> = (0..100)
        .map(|i| MissionItem::waypoint(i, 43.5 + f64::from(i) * 1e-4, 4.95, 40.0))
        .collect();
    v.upload(MissionType::Mission, items.clone())
        .await
        .expect("upload through loss");
    let back = v
        .download(MissionType::Mission)
        .await
        .expect("download through loss");
    assert_eq!(back, items);
    let (f, d) = (
        stats.forwarded.load(Ordering::Relaxed),
        stats.dropped.load(Ordering::Relaxed),
    );
    let loss = d as f64 / (f + d) as f64;
    eprintln!("proxy: {f} forwarded, {d} dropped ({:.1} %)", loss * 100.0);
    assert!(loss > 0.12, "the proxy really dropped frames: {loss}");
}

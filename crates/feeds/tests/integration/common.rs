//! Shared helpers: waiting on feed events with a bound, child processes that die with the test.

use std::fmt::Debug;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use vigie_feeds::{Feed, FeedEvent};

/// The first event `pick` accepts, within `secs`; every event seen is returned in `seen`.
pub async fn until<T: Debug>(
    feed: &mut Feed<T>,
    secs: u64,
    what: &str,
    mut pick: impl FnMut(&FeedEvent<T>) -> bool,
) -> FeedEvent<T> {
    let mut seen = vec![];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        match tokio::time::timeout_at(deadline, feed.recv()).await {
            Ok(Some(ev)) => {
                if pick(&ev) {
                    return ev;
                }
                seen.push(format!("{ev:?}"));
            }
            Ok(None) => panic!("feed stopped while waiting for {what}; seen: {seen:#?}"),
            Err(_) => panic!(
                "no {what} within {secs} s; seen: {:#?}",
                seen.iter().rev().take(20).collect::<Vec<_>>()
            ),
        }
    }
}

/// The next `Data`, within `secs`.
pub async fn next_data<T: Debug>(feed: &mut Feed<T>, secs: u64) -> T {
    match until(feed, secs, "data", |e| matches!(e, FeedEvent::Data(_))).await {
        FeedEvent::Data(d) => d,
        _ => unreachable!(),
    }
}

pub fn is_up<T>(e: &FeedEvent<T>) -> bool {
    matches!(e, FeedEvent::Up { .. })
}

/// A pair of connected pseudo-terminals made by socat; `a` and `b` are symlinks to them.
/// Killed on drop, even when the test panics.
pub struct PtyPair {
    child: Child,
    pub a: PathBuf,
    pub b: PathBuf,
}

impl PtyPair {
    pub fn new(dir: &Path) -> Self {
        let (a, b) = (dir.join("anemometer"), dir.join("sensor"));
        let mut child = Command::new("socat")
            .args(["-d", "-d"])
            .arg(format!("pty,raw,echo=0,link={}", a.display()))
            .arg(format!("pty,raw,echo=0,link={}", b.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run socat ({e}): `apt-get install socat` (cargo xtask setup does)")
            });
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std_mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // socat says so once both ends exist and their links are made.
        loop {
            match rx.recv_timeout(Duration::from_secs(10)) {
                Ok(l) if l.contains("starting data transfer loop") => break,
                Ok(_) => continue,
                Err(e) => panic!("socat did not start its pty pair: {e}"),
            }
        }
        Self { child, a, b }
    }
}

impl Drop for PtyPair {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free loopback TCP port (bound by the OS, then released for a peer that cannot take 0).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

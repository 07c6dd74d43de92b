//! Running the pymavlink peers of `tests/peers/` and reading what they report.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub fn python() -> String {
    std::env::var("VIGIE_PYTHON").unwrap_or_else(|_| "python3".into())
}

pub fn peers_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/peers")
}

/// Fail loudly (never skip) when the peer's Python modules are missing.
pub fn require_pymavlink() {
    let ok = Command::new(python())
        .args(["-c", "import pymavlink"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        ok,
        "pymavlink is not importable by {}: run `cargo xtask test` (it creates the venv) or set VIGIE_PYTHON",
        python()
    );
}

pub struct Peer {
    child: Child,
    lines: mpsc::Receiver<serde_json::Value>,
    pub seen: Vec<serde_json::Value>,
}

impl Peer {
    pub fn spawn(script: &str, args: &[&str]) -> Peer {
        require_pymavlink();
        let mut child = Command::new(python())
            .arg(peers_dir().join(script))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start python peer");
        let out = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
                    && tx.send(v).is_err()
                {
                    return;
                }
            }
        });
        Peer {
            child,
            lines: rx,
            seen: Vec::new(),
        }
    }

    /// Wait for an event matching `pred`, keeping every event seen.
    pub fn wait_for(
        &mut self,
        timeout: Duration,
        pred: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        if let Some(v) = self.seen.iter().find(|v| pred(v)) {
            return v.clone();
        }
        let end = Instant::now() + timeout;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(v) => {
                    self.seen.push(v.clone());
                    if pred(&v) {
                        return v;
                    }
                }
                Err(_) => panic!(
                    "peer event not seen within {timeout:?}; seen: {:?}",
                    self.seen
                ),
            }
        }
    }

    /// Everything reported so far (drains what arrived).
    pub fn drain(&mut self) -> &[serde_json::Value] {
        while let Ok(v) = self.lines.try_recv() {
            self.seen.push(v);
        }
        &self.seen
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

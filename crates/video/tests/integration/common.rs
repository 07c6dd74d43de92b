//! Helpers shared by the integration tests.

use std::net::{SocketAddr, UdpSocket};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use vigie_video::VideoEvent;

pub const PEER: &str = env!("CARGO_BIN_EXE_vigie-video-peer");

/// Small but stampable pictures keep the 2-core machine usable while tests run in parallel.
pub const W: u32 = 1024;
pub const H: u32 = 256;

pub fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn local(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// Wait for the first event matching `pred`; every event seen on the way is returned too.
pub fn wait_event(
    rx: &Receiver<VideoEvent>,
    timeout: Duration,
    what: &str,
    pred: impl Fn(&VideoEvent) -> bool,
) -> (VideoEvent, Vec<VideoEvent>) {
    let deadline = Instant::now() + timeout;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(e) if pred(&e) => return (e, seen),
            Ok(e) => seen.push(e),
            Err(_) => {
                panic!("timed out after {timeout:?} waiting for {what}; events seen: {seen:#?}")
            }
        }
    }
}

/// Poll `f` until it returns Some, or panic after `timeout`.
pub fn wait_until<T>(timeout: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Run a command to completion with an overall timeout (killed after it).
pub fn run_with_timeout(cmd: &mut Command, timeout: Duration) -> Output {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    wait_output(child, timeout)
}

pub fn wait_output(mut child: Child, timeout: Duration) -> Output {
    let deadline = Instant::now() + timeout;
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            return child.wait_with_output().unwrap();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `gst-launch-1.0 rtspsrc` reading `n` buffers of the restream (depayloaded and parsed).
pub fn rtspsrc_client(url: &str, n: u32) -> Command {
    rtspsrc_client_with(url, n, &[])
}

/// The same with extra `rtspsrc` properties.
pub fn rtspsrc_client_with(url: &str, n: u32, extra: &[&str]) -> Command {
    let mut c = Command::new("gst-launch-1.0");
    c.args([
        "rtspsrc",
        &format!("location={url}"),
        "latency=0",
        "protocols=tcp",
    ]);
    c.args(extra);
    c.args([
        "!",
        "rtph264depay",
        "!",
        "h264parse",
        "!",
        "fakesink",
        &format!("num-buffers={n}"),
    ]);
    c
}

/// A gst-launch-1.0 client got all the buffers it asked for (EOS). Its exit status is not used:
/// rtspsrc sometimes races its PAUSE against the TEARDOWN that closes the connection and then
/// exits 1 after a complete run.
pub fn got_eos(o: &Output) -> bool {
    text(o).contains("Got EOS from element")
}

/// gst-discoverer-1.0's report on a file.
pub fn discover(path: &std::path::Path) -> (bool, String) {
    let o = run_with_timeout(
        Command::new("gst-discoverer-1.0").arg(path),
        Duration::from_secs(30),
    );
    (o.status.success(), text(&o))
}

/// The first frame whose latency stamp reads back (a frame damaged by a lost packet on a loaded
/// machine may not carry one; the next keyframe repairs it).
pub fn wait_stamped_frame(
    slot: &vigie_video::FrameSlot,
    timeout: Duration,
) -> std::sync::Arc<vigie_video::Frame> {
    wait_stamped_frame_after(slot, None, timeout)
}

pub fn wait_stamped_frame_after(
    slot: &vigie_video::FrameSlot,
    after: Option<u64>,
    timeout: Duration,
) -> std::sync::Arc<vigie_video::Frame> {
    let deadline = Instant::now() + timeout;
    let mut last = after;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let f = slot
            .wait_newer(last, left)
            .unwrap_or_else(|| panic!("no stamped frame within {timeout:?}"));
        if f.capture_stamp_unix_us().is_some() {
            return f;
        }
        last = Some(f.seq);
    }
}

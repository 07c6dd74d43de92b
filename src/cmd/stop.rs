//! Stopping cleanly on SIGINT / SIGTERM: the first signal asks the flight to stop (the station
//! then records open flights as interrupted, closes tlogs and the register, and says what each
//! airborne vehicle will do without it); a second signal exits at once, killing the children
//! Vigie started (the simulator) first.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use tokio::sync::watch;

/// Children to kill on a second signal (their process ids).
#[derive(Clone, Default)]
pub struct Children(Arc<std::sync::Mutex<Vec<u32>>>);

impl Children {
    pub fn add(&self, pid: u32) {
        if let Ok(mut v) = self.0.lock() {
            v.push(pid);
        }
    }

    fn kill_all(&self) {
        if let Ok(v) = self.0.lock() {
            for pid in v.iter() {
                let _ = std::process::Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
            }
        }
    }
}

/// The number of the first stop signal received (0: none yet), for the exit status 128 + n.
pub static SIGNAL: AtomicU32 = AtomicU32::new(0);

/// Listen for SIGINT and SIGTERM on `rt`; the receiver changes at the first one.
pub fn install(rt: &tokio::runtime::Runtime, children: Children) -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    rt.spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut int), Ok(mut term)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            return;
        };
        let mut count = 0;
        loop {
            let n = tokio::select! {
                _ = int.recv() => 2,
                _ = term.recv() => 15,
            };
            count += 1;
            if count == 1 {
                SIGNAL.store(n, Ordering::SeqCst);
                eprintln!("vigie: stopping (again to stop at once)…");
                let _ = tx.send(true);
            } else {
                eprintln!("vigie: stopped at once");
                children.kill_all();
                std::process::exit(128 + n as i32);
            }
        }
    });
    rx
}

/// The exit status after a clean stop on a signal (None: no signal came).
pub fn exit_code() -> Option<std::process::ExitCode> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        n => Some(std::process::ExitCode::from(128 + n as u8)),
    }
}

/// Tell the pilot who is still in the air and what each vehicle will do now.
pub fn print_report(r: &vigie_station::ShutdownReport) {
    for (v, failsafe) in &r.airborne {
        println!(
            "station stopped: {v} is still airborne — {}",
            failsafe
                .as_deref()
                .unwrap_or("its GCS failsafe is unknown (FS_GCS_ENABLE not read): watch it")
        );
    }
    for f in &r.interrupted_flights {
        println!(
            "flight {f} is recorded as interrupted by the station; a station started again with the same data directory takes it up or closes it"
        );
    }
}

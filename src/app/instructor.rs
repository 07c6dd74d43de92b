//! The instructor's console (`vigie train` in the window): faults injected live into the
//! simulator through its control socket, while the trainee flies from the same window. Only
//! shown when the app flies the built-in simulator; a real drone has no control socket.

use std::net::SocketAddr;
use std::sync::mpsc;
use std::time::Duration;

use super::i18n::Tr;

/// The faults an instructor throws at a trainee, as the simulator's control lines.
pub const FAULTS: &[(&str, &str)] = &[
    ("instructor-link-loss", "link loss"),
    ("instructor-link-ok", "link ok"),
    ("instructor-gps-loss", "gps loss"),
    ("instructor-gps-ok", "gps ok"),
    ("instructor-gust", "gust 70 8"),
    ("instructor-battery-drop", "battery drop 30"),
    ("instructor-video-loss", "video loss"),
    ("instructor-video-ok", "video ok"),
    ("instructor-clear", "clear"),
];

pub struct Instructor {
    control: SocketAddr,
    /// The last line sent and the simulator's answer (or why it could not be sent).
    pub last: Option<(String, String)>,
    answers: Option<mpsc::Receiver<(String, String)>>,
}

impl Instructor {
    pub fn new(control: SocketAddr) -> Self {
        Self {
            control,
            last: None,
            answers: None,
        }
    }

    /// Send one line on a thread (the UI never waits on a socket); the answer comes back by
    /// `poll`.
    pub fn send(&mut self, line: &str) {
        let (tx, rx) = mpsc::channel();
        let (addr, line) = (self.control, line.to_string());
        std::thread::spawn(move || {
            let answer = ask(addr, &line).unwrap_or_else(|e| format!("not sent: {e}"));
            let _ = tx.send((line, answer));
        });
        self.answers = Some(rx);
    }

    pub fn poll(&mut self) {
        if let Some(a) = self.answers.as_ref().and_then(|rx| rx.try_recv().ok()) {
            self.last = Some(a);
            self.answers = None;
        }
    }
}

/// One control line and the simulator's one-line answer.
pub fn ask(addr: SocketAddr, line: &str) -> std::io::Result<String> {
    use std::io::{BufRead, BufReader, Write};
    let mut s = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(3)))?;
    s.write_all(format!("{line}\n").as_bytes())?;
    let mut answer = String::new();
    BufReader::new(s).read_line(&mut answer)?;
    Ok(answer.trim().to_string())
}

/// The console: a small window the instructor can move off the instruments.
pub fn window(ctx: &egui::Context, tr: &Tr, st: &mut Instructor) {
    st.poll();
    // Over the map's lower left, never over the controls: RTL and LAND stay in sight.
    egui::Window::new(tr.t("instructor-title"))
        .default_pos([430.0, 560.0])
        .resizable(false)
        .show(ctx, |ui| {
            ui.label(tr.t("instructor-hint"));
            egui::Grid::new("instructor-faults")
                .num_columns(2)
                .show(ui, |ui| {
                    for (i, (key, line)) in FAULTS.iter().enumerate() {
                        if ui.button(tr.t(key)).clicked() {
                            st.send(line);
                        }
                        if i % 2 == 1 {
                            ui.end_row();
                        }
                    }
                });
            if let Some((line, answer)) = &st.last {
                ui.separator();
                ui.monospace(format!("{line} → {answer}"));
            }
        });
}

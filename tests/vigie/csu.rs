//! `vigie csu`, the CSU's wall: a real window under Xvfb with four live streams of two simulated
//! drones and their telemetry; every stream shown is a viewer session in the CSU's register; a
//! wrong password is refused and journaled; and whatever is clicked, nothing reaches a drone —
//! the simulator, whose telemetry goes straight to the wall, counts every byte it receives.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cli_video::add_account;
use crate::recovery::{free_tcp, free_udp};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use vigie::app::csu_wall::{Grid, WallCommand, WallState, WallStream, WallView, csu_wall_ui};
use vigie::app::i18n::Lang;
use vigie::app::video::{VideoFeed, VideoPane};

const BIN: &str = env!("CARGO_BIN_EXE_vigie");

fn sim_bin() -> PathBuf {
    PathBuf::from(BIN).with_file_name("vigie-sim")
}

/// A UDP port P with P, P+1, P+10 and P+11 free: two drones' visible and thermal streams.
fn free_video_ports() -> u16 {
    for _ in 0..100 {
        let p = std::net::UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if p < 60_000
            && [1, 10, 11]
                .iter()
                .all(|d| std::net::UdpSocket::bind(("127.0.0.1", p + d)).is_ok())
        {
            return p;
        }
    }
    panic!("no free UDP ports for the simulated cameras");
}

/// Two quadcopters 600 m apart over Istres, a hot spot for the thermal cameras.
const TWO_DRONES: &str = r#"
name = "csu-two"
description = "Two quadcopters over Istres, one hot spot for the thermal streams."
seed = 3

[home]
lat = 43.5150
lon = 4.9890
ground_amsl_m = 20.0
heading_deg = 0.0

[vehicles]
count = 2
spacing_m = 600

[[hotspots]]
lat = 43.5160
lon = 4.9895
temp_c = 420
radius_m = 15
"#;

fn control(port: u16, line: &str) -> String {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    writeln!(s, "{line}").unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let mut text = String::new();
    let _ = s.read_to_string(&mut text);
    text
}

fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

struct Sim(std::process::Child);
impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_wall_shows_four_live_streams_and_two_drones_journals_each_and_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let users = dir.path().join("csu-users");
    add_account(&users, "csu.dupont", "operateur-csu-1");
    let scenario = dir.path().join("two.toml");
    std::fs::write(&scenario, TWO_DRONES).unwrap();
    let (telemetry, video, ctl) = (free_udp(), free_video_ports(), free_tcp());
    let _sim = Sim(Command::new(sim_bin())
        .arg("--scenario")
        .arg(&scenario)
        .args([
            "--one-link",
            "--udp",
            &format!("127.0.0.1:{telemetry}"),
            "--video",
            &format!("rtp://127.0.0.1:{video}"),
            "--control",
            &format!("127.0.0.1:{ctl}"),
        ])
        .env("RUST_LOG", "warn")
        .spawn()
        .unwrap());
    let shot = dir.path().join("csu-wall.png");
    let streams = [
        format!("1:EO=rtp://127.0.0.1:{video}"),
        format!("1:thermique=rtp://127.0.0.1:{}", video + 1),
        format!("2:EO=rtp://127.0.0.1:{}", video + 10),
        format!("2:thermique=rtp://127.0.0.1:{}", video + 11),
    ];
    let wall = format!(
        "{BIN} csu --operator csu.dupont --users {users} --telemetry 127.0.0.1:{telemetry} {streams} --duration 30",
        users = users.display(),
        streams = streams
            .iter()
            .map(|s| format!("--stream {s}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    // Once the window is there and the drones have a position (their estimators settle in
    // ~12 s), a screenshot; then clicks and double clicks over the whole screen and keys.
    let script = format!(
        "{wall} & pid=$!
         timeout 30 xdotool search --sync --name 'CSU' >/dev/null || {{ echo 'the wall window never appeared'; kill $pid; exit 1; }}
         sleep 16; import -window root {shot}
         for y in $(seq 20 70 880); do for x in $(seq 20 110 1580); do
           xdotool mousemove $x $y click 1; done; done
         for y in 150 450; do for x in 200 700; do xdotool mousemove $x $y click --repeat 2 1; done; done
         xdotool key Return space Escape r l b a t
         wait $pid",
        shot = shot.display()
    );
    let out = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1600x900x24", "sh", "-c", &script])
        .env("VIGIE_DATA_DIR", &data)
        .env("VIGIE_PASSWORD", "operateur-csu-1")
        .output()
        .expect("xvfb-run and xdotool (`cargo xtask setup` installs them)");
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    for l in said.lines().filter(|l| l.starts_with("csu:")) {
        eprintln!("{l}");
    }
    // Every stream was live on the wall, and both drones were heard.
    let report = said
        .lines()
        .find(|l| l.starts_with("csu: frames shown:"))
        .unwrap_or_else(|| panic!("the wall's exit report: {said}"));
    for s in [
        "drone-1 · EO",
        "drone-1 · thermique",
        "drone-2 · EO",
        "drone-2 · thermique",
    ] {
        let n: u64 = report
            .split(&format!("{s}="))
            .nth(1)
            .and_then(|r| r.split([',', ';']).next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        // Live: a stream that froze would show 1; under a loaded CI box 30 fps become a few.
        assert!(
            n >= 5,
            "{s} live on the wall: {report}\n{}",
            said.lines()
                .filter(|l| l.starts_with("csu:") || l.contains("WARN") || l.contains("ERROR"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    assert!(report.ends_with("drones heard: 1, 2"), "{report}");
    // Nothing at all reached either drone from the wall, whatever was clicked.
    let received = control(ctl, "received");
    assert_eq!(
        received.matches("total=0").count(),
        2,
        "no byte from the wall: {received}"
    );
    // Each stream shown is the operator's viewer session in the CSU's register, ended.
    let register = data.join("register.sqlite");
    let starts = crate::cli_video::register_payloads(&register, "viewer_session_start");
    assert_eq!(starts.len(), 4, "{starts:?}");
    for s in &starts {
        assert_eq!(s["viewer"]["id"], "csu.dupont", "{s}");
        assert!(
            s["from"].as_str().unwrap().starts_with("vigie csu on "),
            "{s}"
        );
    }
    let ends = crate::cli_video::register_payloads(&register, "viewer_session_end");
    assert_eq!(ends.len(), 4, "every session ended at close: {ends:?}");
    if let Ok(dir) = std::env::var("VIGIE_SCREENSHOT_DIR") {
        let _ = std::fs::copy(&shot, Path::new(&dir).join("csu-wall.png"));
    }
}

#[test]
fn a_wrong_password_opens_nothing_and_is_journaled() {
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("csu-users");
    add_account(&users, "csu.dupont", "operateur-csu-1");
    let out = Command::new(BIN)
        .args(["csu", "--operator", "csu.dupont", "--users"])
        .arg(&users)
        .args(["--stream", "1=rtp://127.0.0.1:5999"])
        .env("VIGIE_DATA_DIR", dir.path())
        .env("VIGIE_PASSWORD", "pas-le-bon-mot")
        .env_remove("DISPLAY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("login refused for csu.dupont"),
        "{}",
        text(&out)
    );
    let events = crate::cli_video::register_payloads(&dir.path().join("register.sqlite"), "event");
    assert!(
        events.iter().any(|e| e["code"] == "csu.login_refused"),
        "{events:?}"
    );
    assert!(
        crate::cli_video::register_payloads(
            &dir.path().join("register.sqlite"),
            "viewer_session_start"
        )
        .is_empty()
    );
}

struct WallHarness {
    ctx: vigie::app::Context,
    state: WallState,
    streams: Vec<WallStream>,
    basemap: vigie::app::tiles::Basemap,
    can_post: bool,
    /// Every command the wall's view returned.
    out: Vec<WallCommand>,
}

/// The wall's view with no drone heard, as the window runs it (its commands applied).
fn wall_harness(
    ctx: vigie::app::Context,
    streams: Vec<WallStream>,
    grid: Grid,
    can_post: bool,
) -> Harness<'static, WallHarness> {
    Harness::builder()
        .with_context_setup(vigie::app::theme::install_fonts)
        .with_size(egui::vec2(1600.0, 900.0))
        .build_ui_state(
            |ui, s: &mut WallHarness| {
                let drones = Default::default();
                let view = WallView {
                    ctx: &s.ctx,
                    operator: "csu.dupont",
                    drones: &drones,
                    counts: Default::default(),
                    streams: &s.streams,
                    can_post: s.can_post,
                    posted: None,
                };
                let out = csu_wall_ui(ui, &view, &mut s.basemap, &mut s.state);
                s.state.apply(out.clone());
                s.out.extend(out);
            },
            WallHarness {
                ctx,
                state: WallState::new(grid),
                streams,
                basemap: crate::ui::no_tiles(),
                can_post,
                out: vec![],
            },
        )
}

/// The wall's view through kittest: it reads as read-only, offers no command control, and
/// every button it has changes the layout and nothing else.
#[test]
fn the_wall_has_no_command_control_and_its_buttons_only_change_the_layout() {
    let (ctx, _dir) = crate::ui::context(Lang::Fr);
    // The fly view's command words ("ARMER", "RETOUR (RTL)", "ALLER ICI"…), from its catalogue.
    let forbidden: Vec<String> = [
        "btn-arm",
        "btn-takeoff",
        "btn-rtl",
        "btn-land",
        "btn-brake",
        "btn-fence",
        "btn-start-mission",
        "btn-altitude",
        "btn-rtl-all",
        "btn-go-here",
        "btn-orbit-here",
    ]
    .iter()
    .map(|k| {
        let t = ctx.tr.t(k);
        t.split(" — ").next().unwrap_or(&t).trim().to_string()
    })
    .collect();
    assert!(forbidden.iter().all(|f| f.len() >= 4), "{forbidden:?}");
    let streams = (1..=2u8)
        .map(|id| WallStream {
            label: format!("drone-{id} · EO"),
            vehicle: Some(id),
            pane: VideoPane::new(VideoFeed::from_slot(
                "test",
                vigie_video::FrameSlot::default(),
            )),
        })
        .collect();
    let mut h = wall_harness(ctx, streams, Grid::Four, false);
    h.run();
    let words = |h: &Harness<WallHarness>| -> Vec<String> {
        h.query_all(egui_kittest::kittest::by())
            .filter_map(|n| {
                let a = n.accesskit_node();
                a.label().or_else(|| a.value())
            })
            .collect()
    };
    let seen = words(&h);
    assert!(
        seen.iter().any(|w| w.contains("LECTURE SEULE")),
        "the wall says it is read-only: {seen:?}"
    );
    for w in &seen {
        for f in &forbidden {
            assert!(
                !w.contains(f.as_str()),
                "a command control `{f}` on the wall: {w}"
            );
        }
    }
    for label in ["1", "9", "4"] {
        h.get_by_label(label).click();
        h.run();
    }
    assert_eq!(h.state().state.grid, Grid::Four);
    assert_eq!(
        h.state().out,
        vec![
            WallCommand::SetGrid(Grid::One),
            WallCommand::SetGrid(Grid::Nine),
            WallCommand::SetGrid(Grid::Four)
        ]
    );
}

/// The operator places an incident on the map, says what it is, and sends it to the pilot: the
/// one thing the wall sends, and not a command (the pilot's station shows it; the pilot decides).
#[test]
fn an_operator_places_an_incident_and_sends_it_to_the_pilot() {
    let (ctx, _dir) = crate::ui::context(Lang::Fr);
    let mut h = wall_harness(ctx, vec![], Grid::One, true);
    h.run();
    h.get_by_label("SIGNALER UN INCIDENT AU PILOTE").click();
    h.run();
    h.get_by_label("Cliquez sur la carte à l'endroit de l'incident");
    // A map click, as the map reports it.
    h.state_mut().state.draft_at = Some(flight_rules::LatLon::new(43.5172, 4.9872));
    h.state_mut().state.draft_kind = "départ de feu".into();
    h.run();
    h.get_by_label("ENVOYER AU PILOTE").click();
    h.run();
    let sent: Vec<_> = h
        .state()
        .out
        .iter()
        .filter_map(|c| match c {
            WallCommand::PostIncident(p) => Some((p.lat, p.lon, p.kind.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(sent, vec![(43.5172, 4.9872, "départ de feu".to_string())]);
    assert!(!h.state().state.picking, "the form closes once sent");
}

/// A tile's label names the flight the drone's station files it under (its `GET /flights`).
#[test]
fn a_tile_names_the_flight_its_station_records() {
    let (ctx, _dir) = crate::ui::context(Lang::Fr);
    let mut heard = vigie::csu_telemetry::Heard {
        telemetry: vigie_link::VehicleTelemetry::new(1, 1),
        last_heard: std::time::Instant::now(),
        from: "127.0.0.1:14550".parse().unwrap(),
        flight: None,
    };
    let now = std::time::Instant::now();
    let line = vigie::app::csu_wall::drone_line(&ctx, &heard, now);
    assert!(!line.contains("vol "), "{line}");
    heard.flight = Some("20261201T101500Z-drone-1-3".into());
    let line = vigie::app::csu_wall::drone_line(&ctx, &heard, now);
    assert!(line.contains("vol 20261201T101500Z-drone-1-3"), "{line}");
}

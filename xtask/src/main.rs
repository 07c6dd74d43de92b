//! `cargo xtask demo` and `cargo xtask test`: Vigie's two commands.
//!
//! Each one makes a fresh Debian machine ready (system packages when run as root, a Python venv
//! with the independent MAVLink peers), builds, then runs the demo or every test. Without root it
//! prints the exact `apt-get install` line and stops. `cargo xtask check-deps` enforces the
//! dependency rules of ARCHITECTURE.md.
//!
//! No dependencies on purpose: this must build in seconds before anything else exists.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// Debian packages the build, the tests and the demo need.
const PACKAGES: &[&str] = &[
    "build-essential",
    "pkg-config",
    "libudev-dev",
    // GStreamer: development files, plugins, RTSP server, tools used by tests.
    "libgstreamer1.0-dev",
    "libgstreamer-plugins-base1.0-dev",
    "libgstreamer-plugins-bad1.0-dev",
    "libgstrtspserver-1.0-dev",
    "gstreamer1.0-plugins-base",
    "gstreamer1.0-plugins-good",
    "gstreamer1.0-plugins-bad",
    "gstreamer1.0-plugins-ugly",
    "gstreamer1.0-libav",
    "gstreamer1.0-rtsp",
    "gstreamer1.0-nice",
    "gstreamer1.0-plugins-base-apps",
    "gstreamer1.0-tools",
    "gstreamer1.0-x", // textoverlay (pango) for the simulator's HUD
    "ffmpeg",
    // A real window without a screen, and software rendering.
    "xvfb",
    "xauth",
    "libgl1-mesa-dri",
    "libegl-mesa0",
    "mesa-vulkan-drivers",
    "libxkbcommon-x11-0",
    // The register's PostgreSQL backend is tested against a real server.
    "postgresql",
    // Feed peers: a pseudo-terminal pair for serial anemometers, a real Mode S decoder serving
    // SBS-1, a TLS server for the METAR client.
    "socat",
    "dump1090-mutability",
    "openssl",
    // pdftoppm / pdftotext: the register's flight reports are rendered and read back by tests.
    "poppler-utils",
    // GDAL (ogrinfo, gdal_translate, gdaltransform): the patrol reports are opened as QGIS opens
    // them, elevation tiles are written by it, Lambert-93 is checked against it.
    "gdal-bin",
    // Screenshots of the app's real window under Xvfb (scripts/screenshots.sh, the Xvfb test).
    "imagemagick",
    "x11-apps",
    // Clicks on the CSU wall's real window (the test that no command ever leaves it).
    "xdotool",
    // The Python peers' venv.
    "python3-venv",
    "python3-pip",
];

/// Independent peers from PyPI, pinned so results are comparable run to run.
const PYTHON_PEERS: &[&str] = &[
    "pymavlink==2.4.50",
    "MAVProxy==1.8.75",
    "cryptography==50.0.2",
    "geojson==3.3.0",
    // InterUSS' EN 4709-002 operator registration numbers, against which the link's tests check
    // flight_rules' AlphaTango number check.
    "uas_standards==4.4.0",
    "implicitdict==5.0.0",
];
const PYTHON_CHECK: &str =
    "import pymavlink, MAVProxy, cryptography, geojson, uas_standards.en4709_02";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(&args[1..]),
        Some("demo") => demo(&args[1..]),
        Some("check-deps") => check_deps(),
        Some("setup") => setup().map(|_| ()),
        _ => {
            eprintln!(
                "usage: cargo xtask test [CARGO TEST ARGS]   set up, build and run every test\n       \
                 cargo xtask demo [VIGIE DEMO ARGS]   set up, build and run the demo (simulator + station)\n       \
                 cargo xtask check-deps               check the crate dependency rules\n       \
                 cargo xtask setup                    only install system packages and the Python venv"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

type Result<T> = std::result::Result<T, String>;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn target_dir() -> PathBuf {
    env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

fn run(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn missing_packages() -> Vec<&'static str> {
    PACKAGES
        .iter()
        .copied()
        .filter(|p| {
            let out = Command::new("dpkg-query").args(["-W", "-f=${Status}", p]).output();
            !matches!(out, Ok(o) if String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        })
        .collect()
}

fn ensure_packages() -> Result<()> {
    let missing = missing_packages();
    if missing.is_empty() {
        return Ok(());
    }
    let line = format!(
        "apt-get install -y --no-install-recommends {}",
        missing.join(" ")
    );
    if !is_root() {
        return Err(format!(
            "these Debian packages are missing: {}\nrun as root:\n  apt-get update && {line}\nthen run this command again",
            missing.join(" ")
        ));
    }
    eprintln!("xtask: installing {}", missing.join(" "));
    run(Command::new("apt-get")
        .arg("update")
        .env("DEBIAN_FRONTEND", "noninteractive"))?;
    run(Command::new("sh")
        .args(["-c", &line])
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

/// The venv with pymavlink, MAVProxy and cryptography; returns its python.
fn ensure_venv() -> Result<PathBuf> {
    let venv = env::var_os("VIGIE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("vigie-venv"));
    let python = venv.join("bin/python");
    let ready = Command::new(&python)
        .args(["-c", PYTHON_CHECK])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if ready {
        return Ok(python);
    }
    eprintln!(
        "xtask: creating the Python peers' venv in {}",
        venv.display()
    );
    let sys_python = if Command::new("python3").arg("--version").output().is_ok() {
        "python3"
    } else {
        "python"
    };
    run(Command::new(sys_python).args(["-m", "venv"]).arg(&venv))?;
    run(Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(PYTHON_PEERS))?;
    run(Command::new(&python).args(["-c", PYTHON_CHECK]))?;
    Ok(python)
}

fn setup() -> Result<PathBuf> {
    ensure_packages()?;
    ensure_venv()
}

fn has_display() -> bool {
    env::var_os("DISPLAY").is_some_and(|d| !d.is_empty())
        || env::var_os("WAYLAND_DISPLAY").is_some()
}

fn cargo() -> Command {
    let mut c = Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    c.current_dir(root());
    c
}

fn test(extra: &[String]) -> Result<()> {
    let python = setup()?;
    // Build first, so a compile error is not mistaken for a test failure under Xvfb.
    run(cargo().args(["build", "--workspace", "--all-targets", "--locked"]))?;
    let mut cmd = if has_display() {
        cargo()
    } else {
        // UI tests open a real window: give them a screen.
        let mut c = Command::new("xvfb-run");
        c.args(["-a", "-s", "-screen 0 1280x800x24"])
            .arg(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        c.current_dir(root());
        c
    };
    cmd.args(["test", "--workspace", "--locked"])
        .args(extra)
        .env("VIGIE_PYTHON", &python);
    run(&mut cmd)
}

fn demo(extra: &[String]) -> Result<()> {
    ensure_packages()?;
    run(cargo().args(["build", "--locked", "-p", "vigie", "-p", "vigie_sim"]))?;
    let bin = target_dir().join("debug");
    let mut cmd = Command::new(bin.join("vigie"));
    cmd.arg("demo").env("VIGIE_SIM_BIN", bin.join("vigie-sim"));
    if !has_display() && !extra.iter().any(|a| a == "--headless") {
        eprintln!("xtask: no display: running the demo headless (set DISPLAY for the window)");
        cmd.arg("--headless");
    }
    cmd.args(extra);
    run(&mut cmd)
}

/// What each crate may not depend on. `direct`: may not name it in its Cargo.toml (it may still
/// come through a crate that owns it); `anywhere`: not even transitively.
/// Our crates, and the only ones of them each may depend on directly (ARCHITECTURE.md). An
/// edge not listed here fails CI, and so does a listed edge that is no longer used.
const INTERNAL: &[(&str, &[&str])] = &[
    ("flight_rules", &[]),
    // The link hands out flight_rules values where the rules' type is the right one (manned
    // traffic, Remote ID), converted once at the edge.
    ("vigie_link", &["flight_rules"]),
    ("vigie_video", &[]),
    ("vigie_register", &[]),
    ("vigie_feeds", &["flight_rules"]),
    // Forest patrols and training scores: pure, over the rules only.
    ("vigie_patrol", &["flight_rules"]),
    (
        "vigie_station",
        &[
            "flight_rules",
            "vigie_link",
            "vigie_register",
            "vigie_feeds",
            "vigie_patrol",
            // Each vehicle's video: received, recorded with the flight, its frames to the UI.
            "vigie_video",
        ],
    ),
    (
        // The binary's CLI tools (zones, plan, register, tlog, video relay) use the crates
        // below the station directly; the flight path goes through the station.
        "vigie",
        &[
            "flight_rules",
            "vigie_link",
            "vigie_video",
            "vigie_register",
            "vigie_station",
            "vigie_patrol",
        ],
    ),
    // The simulator is an independent peer: no station crate at all.
    ("vigie_sim", &[]),
];

/// Third-party crates only one of ours may name in its Cargo.toml.
const OWNERS: &[(&str, &[&str])] = &[
    ("mavlink", &["vigie_link", "vigie_sim"]),
    ("gstreamer", &["vigie_video", "vigie_sim"]),
    ("gstreamer-app", &["vigie_video", "vigie_sim"]),
    ("gstreamer-video", &["vigie_video", "vigie_sim"]),
    ("gstreamer-rtsp", &["vigie_video"]),
    ("gstreamer-rtsp-server", &["vigie_video"]),
    ("rerun", &["vigie_register"]),
    // The app reads MBTiles basemaps (SQLite files, read-only); the register owns its database.
    ("rusqlite", &["vigie_register", "vigie"]),
    ("postgres", &["vigie_register"]),
    ("egui", &["vigie"]),
    ("eframe", &["vigie"]),
    ("walkers", &["vigie"]),
    ("egui_plot", &["vigie"]),
    ("tiff", &["vigie_patrol"]),
];

/// flight_rules and vigie_patrol are pure: none of these anywhere below them.
const PURE_FORBIDDEN: &[&str] = &[
    "tokio",
    "mavlink",
    "egui",
    "eframe",
    "gstreamer",
    "rusqlite",
    "rerun",
    "postgres",
];

fn deps_of(krate: &str, depth: Option<u32>) -> Result<Vec<String>> {
    let mut c = cargo();
    c.args([
        "tree", "--locked", "-p", krate, "-e", "normal", "--prefix", "none", "--format", "{p}",
    ]);
    if let Some(d) = depth {
        c.args(["--depth", &d.to_string()]);
    }
    let out = c.output().map_err(|e| format!("cargo tree: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo tree -p {krate}: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(1) // the crate itself
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect())
}

fn check_deps() -> Result<()> {
    let mut broken = Vec::new();
    let ours: Vec<&str> = INTERNAL.iter().map(|(k, _)| *k).collect();
    for (krate, allowed) in INTERNAL {
        let direct = deps_of(krate, Some(1))?;
        for d in direct.iter().filter(|d| ours.contains(&d.as_str())) {
            if !allowed.contains(&d.as_str()) {
                broken.push(format!("{krate} depends on {d}: not an allowed edge"));
            }
        }
        for a in *allowed {
            if !direct.iter().any(|d| d == a) {
                broken.push(format!(
                    "{krate} no longer depends on {a}: remove the edge from the allow-list"
                ));
            }
        }
        for (owned, owners) in OWNERS {
            if direct.iter().any(|d| d == owned) && !owners.contains(krate) {
                broken.push(format!(
                    "{krate} names {owned} in its Cargo.toml; only {} may",
                    owners.join(", ")
                ));
            }
        }
    }
    for pure in ["flight_rules", "vigie_patrol"] {
        for d in deps_of(pure, None)? {
            if PURE_FORBIDDEN.contains(&d.as_str()) {
                broken.push(format!(
                    "{pure} depends (directly or not) on {d}: it must stay pure"
                ));
            }
        }
    }
    for d in deps_of("vigie_sim", None)? {
        if ours.contains(&d.as_str()) {
            broken.push(format!(
                "vigie_sim depends on {d}: the simulator must share no code with the station"
            ));
        }
    }
    if broken.is_empty() {
        eprintln!(
            "xtask: dependency rules hold ({} crates checked)",
            INTERNAL.len()
        );
        Ok(())
    } else {
        Err(format!(
            "dependency rules broken (see ARCHITECTURE.md):\n  {}",
            broken.join("\n  ")
        ))
    }
}

//! Vigie's tlog reader against MAVLink's C reference implementation, on the same tlog, in the
//! same run, on this machine:
//!
//! 1. writes a 300 000-message tlog of a realistic ArduCopter telemetry mix;
//! 2. generates MAVLink's C headers with pymavlink's `mavgen --lang C` from the ardupilotmega XML
//!    pymavlink ships (`$VIGIE_PYTHON`), into a temporary directory (build artefacts, never
//!    committed);
//! 3. compiles `benches/c/parse_tlog.c` (`mavlink_parse_char` byte by byte) with the `cc` crate;
//! 4. times C's parse, Vigie's parse alone, Vigie's parse + decode + translate (the path replay
//!    and the link take), `vigie tlog summary`'s path, and pymavlink, best of 5 each, and prints
//!    the rates and the ratios. Goal: Vigie's parse + translate at least as fast as C's parse.
//!
//! Run with `cargo bench -p vigie_link --bench tlog_vs_c` (or `scripts/bench-link.sh`).
#![allow(clippy::expect_used)] // a benchmark: a panic is the failure report

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use vigie_link::telemetry::VehicleTelemetry;
use vigie_link::tlog::{TlogReader, TlogWriter};

#[path = "../examples/telemetry_stream.rs"]
#[allow(dead_code)]
mod stream;

const FRAMES: usize = 300_000;
const RUNS: usize = 5;

type Fail = Box<dyn std::error::Error>;

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut out = None;
    for _ in 0..runs {
        let t0 = Instant::now();
        let r = f();
        best = best.min(t0.elapsed());
        out = Some(r);
    }
    (best, out.expect("at least one run"))
}

fn python() -> String {
    std::env::var("VIGIE_PYTHON").unwrap_or_else(|_| "python3".into())
}

fn write_tlog(path: &Path) -> Result<(), Fail> {
    let mut w = TlogWriter::create(path)?;
    let t0 = UNIX_EPOCH + Duration::from_secs(1_795_000_000);
    for (i, f) in stream::sample_stream(FRAMES).iter().enumerate() {
        w.write(t0 + Duration::from_micros(i as u64 * 2_000), f)?;
    }
    w.flush()?;
    Ok(())
}

/// C headers from pymavlink's own mavgen and XML.
fn mavgen(out: &Path) -> Result<(), Fail> {
    let xml = Command::new(python())
        .args([
            "-c",
            "import os, pymavlink; print(os.path.join(os.path.dirname(pymavlink.__file__), 'dialects', 'v20', 'ardupilotmega.xml'))",
        ])
        .output()?;
    if !xml.status.success() {
        return Err(format!(
            "pymavlink is not importable by {}: set VIGIE_PYTHON (cargo xtask setup makes the venv)",
            python()
        )
        .into());
    }
    let xml = String::from_utf8(xml.stdout)?.trim().to_string();
    let st = Command::new(python())
        .args([
            "-m",
            "pymavlink.tools.mavgen",
            "--lang=C",
            "--wire-protocol=2.0",
        ])
        .arg(format!("--output={}", out.display()))
        .arg(&xml)
        .stdout(std::process::Stdio::null())
        .status()?;
    if !st.success() {
        return Err("mavgen --lang C failed".into());
    }
    Ok(())
}

/// Compile the C driver with the `cc` crate's view of the system compiler, -O2.
fn build_c(include: &Path, out_dir: &Path) -> Result<PathBuf, Fail> {
    let triple = format!(
        "{}-unknown-{}-gnu",
        std::env::consts::ARCH,
        std::env::consts::OS
    );
    let compiler = cc::Build::new()
        .target(&triple)
        .host(&triple)
        .opt_level(2)
        .debug(false)
        .cargo_metadata(false)
        .out_dir(out_dir)
        .try_get_compiler()?;
    let exe = out_dir.join("parse_tlog");
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/c/parse_tlog.c");
    let st = compiler
        .to_command()
        // The generated headers warn about packed members; they are not ours to fix.
        .arg("-w")
        .arg("-I")
        .arg(include)
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .status()?;
    if !st.success() {
        return Err(format!(
            "{} did not compile {}",
            compiler.path().display(),
            src.display()
        )
        .into());
    }
    Ok(exe)
}

/// "C mavlink_parse_char: N frames in S s = R msgs/s …" → (N, rate).
fn run_c(exe: &Path, tlog: &Path) -> Result<(usize, f64), Fail> {
    let out = Command::new(exe).arg(tlog).arg(RUNS.to_string()).output()?;
    let text = String::from_utf8(out.stdout)?;
    print!("{text}");
    let words: Vec<&str> = text.split_whitespace().collect();
    let n = words.get(2).ok_or("C output")?.parse()?;
    let rate = words
        .iter()
        .position(|w| *w == "=")
        .and_then(|i| words.get(i + 1))
        .ok_or("C output")?
        .parse()?;
    Ok((n, rate))
}

fn run_pymavlink(tlog: &Path) -> Option<f64> {
    let script = r#"
import os, sys, time
os.environ["MAVLINK20"] = "1"
from pymavlink import mavutil
best = None
for _ in range(3):
    m = mavutil.mavlink_connection(sys.argv[1], dialect="ardupilotmega")
    t0 = time.perf_counter(); n = 0
    while m.recv_msg() is not None:
        n += 1
    dt = time.perf_counter() - t0
    best = dt if best is None else min(best, dt)
print(n, n / best)
"#;
    let out = Command::new(python())
        .args(["-c", script])
        .arg(tlog)
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let mut w = text.split_whitespace();
    let n: usize = w.next()?.parse().ok()?;
    let rate: f64 = w.next()?.parse().ok()?;
    println!("pymavlink mavlogfile: {n} frames = {rate:.0} msgs/s");
    Some(rate)
}

fn main() -> Result<(), Fail> {
    if !std::env::args().any(|a| a == "--bench") {
        println!("tlog_vs_c: run it with `cargo bench -p vigie_link --bench tlog_vs_c`");
        return Ok(());
    }
    let dir = std::env::temp_dir().join(format!(
        "vigie-tlog-vs-c-{}",
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    std::fs::create_dir_all(&dir)?;
    let tlog = dir.join("telemetry.tlog");
    write_tlog(&tlog)?;
    let include = dir.join("include");
    mavgen(&include)?;
    let exe = build_c(&include, &dir)?;
    let data = std::fs::read(&tlog)?;
    println!(
        "tlog: {FRAMES} messages, {} bytes; best of {RUNS} runs each",
        data.len()
    );

    let (c_n, c_rate) = run_c(&exe, &tlog)?;
    assert_eq!(c_n, FRAMES, "C read every frame");

    let (t_parse, n) = best_of(RUNS, || TlogReader::new(&data).count());
    assert_eq!(n, FRAMES);
    let parse_rate = n as f64 / t_parse.as_secs_f64();
    println!(
        "vigie TlogReader (frame + CRC): {n} frames in {t_parse:.4?} = {parse_rate:.0} msgs/s"
    );

    let now = SystemTime::now();
    let (t_full, n) = best_of(RUNS, || {
        let mut tel = VehicleTelemetry::new(1, 1);
        let mut n = 0;
        for r in TlogReader::new(&data) {
            if let Ok(m) = r.frame.decode() {
                tel.apply(r.frame.compid, &m, now);
                n += 1;
            }
        }
        std::hint::black_box(&tel);
        n
    });
    assert_eq!(n, FRAMES);
    let full_rate = n as f64 / t_full.as_secs_f64();
    println!(
        "vigie parse + decode + translate (replay, the link): {n} in {t_full:.4?} = {full_rate:.0} msgs/s"
    );

    let (t_sum, s) = best_of(RUNS, || vigie_link::tlog::summarise_bytes(&data));
    assert_eq!(s.frames, FRAMES);
    let sum_rate = FRAMES as f64 / t_sum.as_secs_f64();
    println!(
        "vigie tlog summary (summarise_bytes): {FRAMES} in {t_sum:.4?} = {sum_rate:.0} msgs/s"
    );

    let (t_old, s) = best_of(RUNS, || {
        let (entries, skipped) = vigie_link::tlog::parse(&data);
        vigie_link::tlog::summarise(&entries, skipped)
    });
    assert_eq!(s.frames, FRAMES);
    let old_rate = FRAMES as f64 / t_old.as_secs_f64();
    println!(
        "vigie tlog summary (read_all + summarise, what the CLI calls): {FRAMES} in {t_old:.4?} = {old_rate:.0} msgs/s"
    );

    let py = run_pymavlink(&tlog);
    println!(
        "ratio vigie parse+translate / C parse: {:.2}x; vigie parse / C parse: {:.2}x",
        full_rate / c_rate,
        parse_rate / c_rate
    );
    if let Some(p) = py {
        println!(
            "ratio C / pymavlink: {:.0}x; vigie parse+translate / pymavlink: {:.0}x",
            c_rate / p,
            full_rate / p
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

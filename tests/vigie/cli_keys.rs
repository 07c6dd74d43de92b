//! `vigie keys`: keys made, imported from hex and from passphrases, listed by fingerprint,
//! assigned and removed; never taken from the command line, never printed.

use std::path::Path;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_vigie");

/// Run `vigie keys …` with its own data directory and the given environment; stdin is not a
/// terminal, so a missing secret is an error rather than a prompt.
fn keys(data_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut c = Command::new(BIN);
    c.arg("keys")
        .args(args)
        .env("VIGIE_DATA_DIR", data_dir)
        .env_remove("VIGIE_CONFIG")
        .env_remove("VIGIE_SIGNING_KEY")
        .env_remove("VIGIE_SIGNING_PASSPHRASE")
        .stdin(Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    let Output {
        status,
        stdout,
        stderr,
    } = c.output().expect("run vigie");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

const HEX: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

#[test]
fn keys_round_trip_without_a_secret_on_the_command_line_or_the_screen() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (code, _, err) = keys(d, &["new", "drone-1", "--vehicle", "1"], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("vehicle 1 uses key drone-1"), "{err}");
    let (code, _, err) = keys(
        d,
        &["import", "bench", "--hex"],
        &[("VIGIE_SIGNING_KEY", HEX)],
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = keys(
        d,
        &["import", "istres", "--passphrase", "mavproxy", "--fleet"],
        &[("VIGIE_SIGNING_PASSPHRASE", "istres2026")],
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = keys(d, &["list"], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("drone-1") && out.contains("vehicle 1"),
        "{out}"
    );
    assert!(
        out.contains("passphrase-mavproxy") && out.contains("fleet"),
        "{out}"
    );
    // The key itself never on the screen; its file private.
    let bench = std::fs::read_to_string(d.join("keys/bench.key")).unwrap();
    assert!(bench.contains(HEX));
    assert!(!out.contains(HEX) && !err.contains(HEX));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.join("keys/bench.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let (code, out, _) = keys(d, &["list", "--json"], &[]);
    assert_eq!(code, 0);
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 3);
    let (code, _, err) = keys(d, &["assign", "bench", "--vehicle", "1"], &[]);
    assert_eq!(code, 0);
    assert!(err.contains("was drone-1"), "{err}");
    let (code, _, err) = keys(d, &["remove", "bench"], &[]);
    assert_eq!(code, 0);
    assert!(err.contains("used by vehicle 1"), "{err}");
    let (code, _, err) = keys(d, &["unassign", "--fleet"], &[]);
    assert_eq!(code, 0);
    assert!(err.contains("no longer uses key istres"), "{err}");
}

#[test]
fn bad_keys_and_missing_secrets_are_refused_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // No secret in the environment and no terminal: refused, exit 2, naming the variable.
    let (code, _, err) = keys(d, &["import", "x", "--hex"], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("VIGIE_SIGNING_KEY"), "{err}");
    let (code, _, err) = keys(
        d,
        &["import", "x", "--hex"],
        &[("VIGIE_SIGNING_KEY", "abcd")],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("32 bytes"), "{err}");
    let (code, _, err) = keys(
        d,
        &["import", "x", "--passphrase", "mavproxy"],
        &[("VIGIE_SIGNING_PASSPHRASE", "two words")],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("one word"), "{err}");
    let (code, _, err) = keys(d, &["new", "../etc"], &[]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = keys(d, &["assign", "nope", "--vehicle", "3"], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("vigie keys list"), "{err}");
    // The key on the command line is not even an option.
    let (code, _, _) = keys(d, &["import", "x", "--hex", HEX], &[]);
    assert_eq!(code, 2);
}

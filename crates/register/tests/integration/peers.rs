//! An exported bundle verifies with independent tools only: `sha256sum`, OpenSSL, and a Python
//! verifier using `cryptography` (tests/peers/register_verify_bundle.py).

use std::process::Command;

use crate::common::*;

fn python_has_cryptography() {
    let out = Command::new(python())
        .args(["-c", "import cryptography"])
        .output();
    match out {
        Ok(o) if o.status.success() => {}
        _ => panic!(
            "{} cannot import `cryptography`: run `cargo xtask test` (it creates the venv), or set VIGIE_PYTHON",
            python()
        ),
    }
}

#[test]
fn bundle_verifies_with_sha256sum_openssl_and_python_cryptography() {
    python_has_cryptography();
    let b = Backend::sqlite();
    let mut reg = b.open();
    record_flight(&mut reg, "FP", t0(), &[false, true]);
    let out = b.dir.path().join("bundle");
    reg.export_bundle(
        "FP",
        "réquisition 2026/77",
        "Parquet d'Aix-en-Provence",
        &actor("chef"),
        &out,
    )
    .unwrap();
    let station_key = reg.public_key_hex();
    drop(reg);

    let sha = Command::new("sha256sum")
        .args(["-c", "--strict", "MANIFEST.sha256"])
        .current_dir(&out)
        .output()
        .unwrap();
    assert!(
        sha.status.success(),
        "sha256sum: {}{}",
        String::from_utf8_lossy(&sha.stdout),
        String::from_utf8_lossy(&sha.stderr)
    );
    let openssl = Command::new("openssl")
        .args([
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            "station-ed25519.pub.pem",
            "-rawin",
            "-in",
            "MANIFEST.sha256",
            "-sigfile",
            "MANIFEST.sha256.sig",
        ])
        .current_dir(&out)
        .output()
        .unwrap();
    assert!(
        openssl.status.success(),
        "openssl: {}{}",
        String::from_utf8_lossy(&openssl.stdout),
        String::from_utf8_lossy(&openssl.stderr)
    );
    let script = peers_dir().join("register_verify_bundle.py");
    let py = Command::new(python())
        .arg(&script)
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        py.status.success(),
        "python verifier: {}{}",
        String::from_utf8_lossy(&py.stdout),
        String::from_utf8_lossy(&py.stderr)
    );
    assert!(String::from_utf8_lossy(&py.stdout).contains("OK"));
    // Against the key the verifier pins: the station's passes, another is refused and named.
    let pinned = |key: &str| {
        Command::new(python())
            .arg(&script)
            .arg(&out)
            .args(["--key", key])
            .output()
            .unwrap()
    };
    let ok = pinned(&station_key);
    assert!(ok.status.success() && String::from_utf8_lossy(&ok.stdout).contains("(pinned)"));
    let other = pinned(&"cd".repeat(32));
    assert!(!other.status.success());
    assert!(String::from_utf8_lossy(&other.stdout).contains("not the pinned key"));

    // Forge an event in the chain and rebuild the manifest (without the key): the independent verifier
    // rejects it through the entry hash and the signed seal; sha256sum alone cannot.
    let chain = std::fs::read_to_string(out.join("chain.jsonl")).unwrap();
    std::fs::write(
        out.join("chain.jsonl"),
        chain.replace("NAV_TAKEOFF 40 m", "NAV_TAKEOFF 90 m"),
    )
    .unwrap();
    let py = Command::new(python())
        .arg(&script)
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        !py.status.success(),
        "forged chain accepted: {}",
        String::from_utf8_lossy(&py.stdout)
    );
    let text =
        String::from_utf8_lossy(&py.stdout).to_string() + &String::from_utf8_lossy(&py.stderr);
    assert!(text.contains("chain.jsonl"), "{text}");
    let openssl_after = Command::new("sha256sum")
        .args(["-c", "--strict", "MANIFEST.sha256"])
        .current_dir(&out)
        .output()
        .unwrap();
    assert!(
        !openssl_after.status.success(),
        "sha256sum accepted an edited file"
    );
}

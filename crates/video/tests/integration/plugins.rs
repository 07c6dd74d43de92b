//! A machine that lacks a plugin gets the element and the Debian package to install.

use std::process::Command;
use std::time::Duration;

use super::common::*;

#[test]
fn a_missing_plugin_is_reported_with_its_debian_package() {
    // A plugin directory holding every installed plugin but libav (the H.264 decoder).
    let system = [
        "/usr/lib/x86_64-linux-gnu/gstreamer-1.0",
        "/usr/lib/aarch64-linux-gnu/gstreamer-1.0",
    ]
    .into_iter()
    .map(std::path::Path::new)
    .find(|p| p.join("libgstlibav.so").exists())
    .expect("the system GStreamer plugin directory");
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir(&plugins).unwrap();
    for entry in std::fs::read_dir(system).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| n != "libgstlibav.so")
            && path.extension().is_some_and(|e| e == "so")
        {
            std::os::unix::fs::symlink(&path, plugins.join(path.file_name().unwrap())).unwrap();
        }
    }
    let run = |plugin_dir: &std::path::Path, registry: &str| {
        run_with_timeout(
            Command::new(PEER)
                .args(["check-plugins", "--uri", "udp://0.0.0.0:5600"])
                .env("GST_PLUGIN_SYSTEM_PATH_1_0", plugin_dir)
                .env("GST_PLUGIN_PATH_1_0", "")
                .env("GST_REGISTRY_1_0", dir.path().join(registry)),
            Duration::from_secs(120),
        )
    };
    let o = run(&plugins, "registry-missing.bin");
    let out = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(
        out.contains("`avdec_h264`") && out.contains("apt-get install gstreamer1.0-libav"),
        "{out}"
    );
    // Control: with every plugin the same check passes.
    let o = run(system, "registry-full.bin");
    assert!(
        o.status.success() && text(&o).contains("OK"),
        "{}",
        text(&o)
    );
}

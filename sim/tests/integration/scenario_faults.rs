//! Faults scheduled by a scenario happen at their sim time and end after their duration.

use std::time::{Duration, Instant};

use vigie_sim::runtime::{SimConfig, Simulator, Transport};

fn field(status: &str, key: &str) -> f64 {
    let i = status
        .find(key)
        .unwrap_or_else(|| panic!("{key} in {status}"));
    let rest = &status[i + key.len()..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    rest[..end]
        .parse()
        .unwrap_or_else(|_| panic!("{key} value in {status}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_link_loss_starts_and_ends_on_sim_time() {
    let text = "name = \"t\"\n[home]\nlat = 43.515\nlon = 4.989\nground_amsl_m = 20\n\
                [[faults]]\nat_s = 3\nkind = \"link_loss\"\ndirection = \"up\"\npercent = 100\nduration_s = 3\n\
                [[faults]]\nat_s = 4\nkind = \"gps_loss\"\nduration_s = 1\n";
    let scenario = vigie_sim::scenario::parse(text, "inline.toml").expect("scenario");
    let cfg = SimConfig {
        scenario,
        transport: Transport::Tcp("127.0.0.1:0".parse().expect("addr")),
        speedup: 5.0,
        vehicles: None,
        one_link: false,
        seed: None,
        signing_key: None,
        secure_link: false,
        video: vec![],
        gps_lock_s: 0.0,
        ekf_settle_s: Some(0.0),
        camera_heartbeat: false,
    };
    let sim = Simulator::start(cfg).await.expect("start");
    let control = sim.control_sender();
    let run = tokio::spawn(sim.run(Some(10.0)));
    let (mut saw_loss, mut saw_gps_lost, mut saw_restored) = (false, false, false);
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline && !saw_restored {
        let status = control.ask("status".into()).await;
        let t = field(&status, " t=");
        let loss = field(&status, "loss_up=");
        if t < 2.9 {
            assert_eq!(loss, 0.0, "too early: {status}");
        } else if (3.1..5.9).contains(&t) {
            assert_eq!(loss, 100.0, "during: {status}");
            saw_loss = true;
            if (4.1..4.9).contains(&t) && status.contains("gps=lost") {
                saw_gps_lost = true;
            }
        } else if t > 6.1 {
            assert_eq!(loss, 0.0, "after: {status}");
            assert!(
                status.contains("gps=3D"),
                "GPS back after its duration: {status}"
            );
            saw_restored = true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        saw_loss && saw_gps_lost && saw_restored,
        "loss {saw_loss} gps {saw_gps_lost} restored {saw_restored}"
    );
    run.await.expect("sim task");
}

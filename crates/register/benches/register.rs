#![allow(clippy::expect_used)] // a benchmark that cannot set up has nothing to measure
//! Appends per second with full durability (WAL + synchronous=FULL, one transaction per entry), and
//! `verify` time for a large register (VIGIE_BENCH_VERIFY_ENTRIES, default 1 000 000).

use std::time::Duration;

use chrono::Utc;
use criterion::{Criterion, criterion_group, criterion_main};
use vigie_register::*;

fn event(i: usize) -> EventRecord {
    EventRecord {
        flight_id: None,
        at: Utc::now(),
        kind: EventKind::Info,
        code: "bench".into(),
        text: format!("benchmark event {i} with a realistic amount of text in it"),
        rule_ids: vec!["R-WIND-01".into()],
        data: None,
        vehicle: None,
    }
}

fn appends(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut reg = Register::open(dir.path(), RegisterKind::Legal).expect("open");
    let mut i = 0;
    let mut g = c.benchmark_group("append");
    g.measurement_time(Duration::from_secs(10));
    g.bench_function("durable_event", |b| {
        b.iter(|| {
            i += 1;
            reg.record_event(&event(i)).expect("append")
        })
    });
    g.finish();
}

fn verify(c: &mut Criterion) {
    let n: usize = std::env::var("VIGIE_BENCH_VERIFY_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut reg = Register::open(dir.path(), RegisterKind::Legal).expect("open");
    let t = std::time::Instant::now();
    let mut done = 0;
    while done < n {
        let batch: Vec<EventRecord> = (done..(done + 10_000).min(n)).map(event).collect();
        done += reg.append_events_bulk(&batch).expect("bulk append");
    }
    eprintln!("loaded {n} entries in {:.1} s", t.elapsed().as_secs_f64());
    let mut g = c.benchmark_group("verify");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(30));
    g.bench_function(format!("verify_{n}_entries"), |b| {
        b.iter(|| {
            let r = reg.verify().expect("verify");
            assert!(r.is_ok(), "{:?}", r.first_break());
            r.entries
        })
    });
    g.finish();
}

criterion_group!(benches, appends, verify);
criterion_main!(benches);

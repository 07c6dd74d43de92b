//! Criterion: frame + decode + translate throughput (messages/s) on a realistic telemetry mix.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[path = "../examples/telemetry_stream.rs"]
#[allow(dead_code)]
mod stream;

fn bench(c: &mut Criterion) {
    let frames = stream::sample_stream(20_000);
    let bytes: Vec<u8> = frames
        .iter()
        .flat_map(|f| f.bytes.iter().copied())
        .collect();
    let mut g = c.benchmark_group("link");
    g.throughput(Throughput::Elements(frames.len() as u64));
    g.bench_function("parse_decode_translate", |b| {
        b.iter(|| stream::ingest(std::hint::black_box(&bytes)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Throughput of batched spiking inference against the batch size: the
//! few-spike SNN of `examples/snn_classifier` (64-64-10 trained on the
//! 8x8 digits, k = 10) classifies the 359 test images with the pipelined
//! `predict`; criterion reports the time per image (throughput in
//! images/s). Batch sizes 1, 16, 64, 256 on the CPU engine and, when an
//! adapter is there, on the GPU engine.
//!
//! `cargo bench --bench batch`

#[path = "../examples/snn_classifier/ann.rs"]
mod ann;

use cajal::convert::{few_spike, Alpha, Layer};
use cajal::prelude::*;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::time::Duration;

fn backends() -> Vec<(&'static str, Backend)> {
    let mut v = vec![("cpu", Backend::Cpu)];
    match cajal::engine::gpu::devices().first() {
        Some(d) => {
            eprintln!("GPU adapter: {} ({}, {})", d.name, d.backend, d.driver);
            v.push(("gpu", Backend::Gpu));
        }
        None => eprintln!("no GPU adapter: GPU benchmarks skipped"),
    }
    v
}

fn batch(c: &mut Criterion) {
    let digits = ann::load_digits().expect("data/digits");
    let (train, test) = ann::split(&digits, 0.2, 42);
    let mlp = ann::Mlp::train(&train, 64, 80, 42);
    let layers = [
        Layer::dense(mlp.w1.clone(), mlp.b1.clone()),
        Layer::dense(mlp.w2.clone(), mlp.b2.clone()),
    ];
    let snn = few_spike(&layers, 10, Alpha::Data(train.x.view())).expect("converts");
    let mut g = c.benchmark_group("few_spike_digits_predict");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(8))
        .warm_up_time(Duration::from_secs(1))
        .throughput(Throughput::Elements(test.len() as u64));
    for (name, backend) in backends() {
        for b in [1usize, 16, 64, 256] {
            let mut sim = snn.compile_batched(backend, b).expect("compiles");
            g.bench_function(BenchmarkId::new(name, b), |bench| {
                bench.iter(|| {
                    std::hint::black_box(snn.predict(&mut sim, test.x.view()).expect("runs"))
                })
            });
        }
    }
    g.finish();
}

// No HTML plots (see benches/conv.rs).
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = batch
}
criterion_main!(benches);

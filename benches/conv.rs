//! The convolution issue's benchmark on both engines: a 256 x 256 input of
//! rate neurons (r set), a bank of 8 3 x 3 filters into (256, 256, 8), then
//! 2 x 2 max pooling into (128, 128, 8). Each iteration simulates 10 ms at
//! dt = 1 ms and reads one value back (so the GPU has finished); the time
//! reported is per step (the iteration's time divided by 10). Without a GPU
//! adapter the GPU half is skipped with a message.
//!
//! `cargo bench --bench conv`

use cajal::prelude::*;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use ndarray::{ArrayD, IxDyn};
use std::time::{Duration, Instant};

const STEPS: u32 = 10;

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

/// The network, and the pooled population.
fn network() -> (Network, PopId) {
    let mut net = Network::new().dt(1.0);
    let input = net
        .population("input", [256, 256], &Neuron::rate().parameters("r = 0.0"))
        .expect("input");
    let features = net
        .population(
            "features",
            [256, 256, 8],
            &Neuron::rate().equations("r = sum(exc)"),
        )
        .expect("features");
    let pooled = net
        .population(
            "pooled",
            [128, 128, 8],
            &Neuron::rate().equations("r = sum(exc)"),
        )
        .expect("pooled");
    let mut x = 0x2545_f491_u32;
    let image = ArrayD::from_shape_fn(IxDyn(&[256, 256]), |_| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        (x % 1000) as f32 / 1000.0
    });
    net.set(input, "r", image).expect("sets r");
    // Eight oriented 3 x 3 filters.
    let filters = ArrayD::from_shape_fn(IxDyn(&[8, 3, 3]), |i| {
        let angle = i[0] as f32 * std::f32::consts::PI / 8.0;
        let (dy, dx) = (i[1] as f32 - 1.0, i[2] as f32 - 1.0);
        dx * angle.cos() + dy * angle.sin()
    });
    net.convolution(input, features, "exc")
        .connect_filters(&filters)
        .expect("bank of filters");
    net.pooling(features, pooled, "exc")
        .connect_pooling(None)
        .expect("max pooling");
    (net, pooled)
}

fn conv(c: &mut Criterion) {
    let (net, pooled) = network();
    let mut g = c.benchmark_group("conv_256x256_bank8_pool2_per_step");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(10))
        .warm_up_time(Duration::from_secs(1));
    for (name, backend) in backends() {
        let mut sim = net.compile(backend).expect("compiles");
        if backend == Backend::Gpu {
            eprintln!(
                "conv/{name}: {} dispatches per step",
                sim.dispatches_per_step()
            );
        }
        g.bench_function(BenchmarkId::new(name, "256x256x8"), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    sim.simulate(f64::from(STEPS)).expect("runs");
                    // A read-back waits for the GPU's queue.
                    std::hint::black_box(sim.get_neuron(pooled, 0, "r").expect("reads"));
                }
                start.elapsed() / STEPS
            })
        });
    }
    g.finish();
}

// No HTML plots: cajal's `plot` feature turns on plotters' ab_glyph text,
// which then needs a font registered, and criterion's plots register none.
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = conv
}
criterion_main!(benches);

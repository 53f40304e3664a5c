//! COBA (Vogels & Abbott 2005) on the CPU engine: seconds of wall time per
//! simulated second at N = 4000, 16000, 64000 (mean in-degree 80), and the
//! time to build and compile the network.
//!
//! `cargo bench --bench coba`; results are recorded in BENCHMARKS.md.

use cajal::prelude::*;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::time::Duration;

fn simulate(c: &mut Criterion) {
    let mut g = c.benchmark_group("coba_simulate_1s");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .warm_up_time(Duration::from_secs(1));
    for n in [4000usize, 16000, 64000] {
        let (net, _, _) = cajal::networks::coba(n, 42).expect("COBA builds");
        let mut sim = net.compile(Backend::Cpu).expect("COBA compiles");
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                sim.reset().expect("resets");
                sim.simulate(1000.0).expect("COBA runs");
            })
        });
    }
    g.finish();
}

fn build(c: &mut Criterion) {
    let mut g = c.benchmark_group("coba_build");
    g.sample_size(10);
    for n in [4000usize, 64000] {
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            b.iter(|| {
                let (net, _, _) = cajal::networks::coba(n, 42).expect("COBA builds");
                net.compile(Backend::Cpu).expect("COBA compiles")
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
    targets = simulate, build
}
criterion_main!(benches);

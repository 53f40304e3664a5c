//! Both engines on the scaling benchmarks of the GPU engine issue:
//! unconnected LIF neurons (4k, 64k, 1M) and COBA (4k, 16k, 64k, in-degree
//! 80), 100 ms simulated per iteration, and the time to build and compile.
//! Without a GPU adapter the GPU half is skipped with a message.
//!
//! `cargo bench --bench engines`; results are recorded in BENCHMARKS.md
//! with the machine and the adapter (`cajal::engine::gpu::devices()`).

use cajal::prelude::*;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
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

fn run(c: &mut Criterion, group: &str, cases: &[(usize, Network)]) {
    let mut g = c.benchmark_group(group);
    g.sample_size(10)
        .measurement_time(Duration::from_secs(10))
        .warm_up_time(Duration::from_secs(1));
    for (name, backend) in backends() {
        for (n, net) in cases {
            let mut sim = net.compile(backend).expect("compiles");
            if backend == Backend::Gpu {
                eprintln!(
                    "{group}/{name}/{n}: {} dispatches per step, 1 submission per chunk of steps",
                    sim.dispatches_per_step()
                );
            }
            g.bench_with_input(BenchmarkId::new(name, n), n, |b, _| {
                b.iter(|| {
                    sim.reset();
                    sim.simulate(100.0).expect("runs");
                })
            });
        }
    }
    g.finish();
}

fn lif(c: &mut Criterion) {
    let cases: Vec<(usize, Network)> = [4000usize, 64000, 1_000_000]
        .iter()
        .map(|&n| (n, cajal::networks::lif(n, 1).expect("builds").0))
        .collect();
    run(c, "lif_100ms", &cases);
}

fn coba(c: &mut Criterion) {
    let cases: Vec<(usize, Network)> = [4000usize, 16000, 64000]
        .iter()
        .map(|&n| (n, cajal::networks::coba(n, 42).expect("builds").0))
        .collect();
    run(c, "coba_100ms", &cases);
}

fn build(c: &mut Criterion) {
    let mut g = c.benchmark_group("coba_build_and_compile");
    g.sample_size(10);
    for (name, backend) in backends() {
        for n in [4000usize, 64000] {
            g.bench_with_input(BenchmarkId::new(name, n), &n, |b, &n| {
                b.iter(|| {
                    let (net, _, _) = cajal::networks::coba(n, 42).expect("builds");
                    net.compile(backend).expect("compiles")
                })
            });
        }
    }
    g.finish();
}

// No HTML plots: cajal's `plot` feature turns on plotters' ab_glyph text,
// which then needs a font registered, and criterion's plots register none.
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = lif, coba, build
}
criterion_main!(benches);

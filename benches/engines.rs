//! Both engines on the scaling benchmarks of the GPU engine issue:
//! unconnected LIF neurons (4k, 64k, 1M) and COBA (4k, 16k, 64k, in-degree
//! 80), 100 ms simulated per iteration, and the time to build and compile;
//! and a rate-coded stack of layers (15 projections) on the CPU engine and
//! the GPU engine with merged and with separate rate sums. Without a GPU
//! adapter the GPU half is skipped with a message.
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
                    sim.reset().expect("resets");
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

/// `layers` rate-coded layers of `n` leaky neurons, each driven by the
/// previous one (100 inputs a neuron) and inhibiting itself (50): 2 x
/// layers - 1 weighted sums a step, dt 1 ms.
fn rate_stack(layers: usize, n: usize) -> Network {
    let mut net = Network::new().dt(1.0).seed(3);
    let leaky = Neuron::rate()
        .parameters("tau = 10.0\nbase = 0.0")
        .equations("tau * dr/dt = -r + base + sum(exc) - sum(inh)");
    let mut prev: Option<PopId> = None;
    for l in 0..layers {
        let p = net.population(&format!("l{l}"), n, &leaky).expect("builds");
        if let Some(q) = prev {
            net.projection(q, p, "exc")
                .connect_fixed_number_pre(100, Weights::random(Dist::uniform(0.0, 0.02)))
                .expect("builds");
        } else {
            net.set(p, "base", 1.0).expect("builds");
        }
        net.projection(p, p, "inh")
            .connect_fixed_number_pre(50, Weights::random(Dist::uniform(0.0, 0.01)))
            .expect("builds");
        prev = Some(p);
    }
    net
}

fn rate_layers(c: &mut Criterion) {
    let mut g = c.benchmark_group("rate_layers_100ms");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(10))
        .warm_up_time(Duration::from_secs(1));
    let n = 4000;
    let net = rate_stack(8, n);
    let mut engines: Vec<(&str, Simulation)> =
        vec![("cpu", net.compile(Backend::Cpu).expect("compiles"))];
    if backends().len() > 1 {
        let separate = GpuOptions {
            merge: false,
            ..Default::default()
        };
        engines.push(("gpu", net.compile(Backend::Gpu).expect("compiles")));
        engines.push((
            "gpu-separate",
            net.compile_gpu(&separate).expect("compiles"),
        ));
    }
    for (name, mut sim) in engines {
        if name != "cpu" {
            eprintln!(
                "rate_layers_100ms/{name}: {} dispatches per step",
                sim.dispatches_per_step()
            );
        }
        g.bench_function(BenchmarkId::new(name, n), |b| {
            b.iter(|| {
                sim.reset().expect("resets");
                sim.simulate(100.0).expect("runs");
            })
        });
    }
    g.finish();
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
    targets = lif, coba, build, rate_layers
}
criterion_main!(benches);

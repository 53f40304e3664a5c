//! Model analysis (text -> IR) of large generated models, issue 22: about
//! 1 MB of parameters, of chained equations, of ODEs (exponential and a
//! midpoint block), and a synapse with as many parameters, event-driven
//! traces and pre-synaptic reads. Nothing is simulated.
//!
//! `cargo bench --bench analysis`; `ANALYSIS_SCALE=0.25` shrinks every
//! model (the quadratic analysis of before took minutes at full size);
//! `ANALYSIS_ONCE=1` times each model once instead of running criterion.
//! Results are in BENCHMARKS.md ("Model analysis: linear time").

use cajal::lang::analysis::Globals;
use cajal::lang::{analyse_neuron, analyse_synapse};
use cajal::prelude::*;
use criterion::{BenchmarkId, Criterion};
use std::time::{Duration, Instant};

/// A model to analyse.
enum Model {
    Neuron(Neuron),
    Synapse(Synapse),
}

/// A generated model, its name and the bytes of its text.
struct Case {
    name: &'static str,
    bytes: usize,
    model: Model,
}

impl Model {
    fn analyse(&self, g: &Globals) -> usize {
        match self {
            Model::Neuron(n) => analyse_neuron(n, g).expect("analyses").vars.len(),
            Model::Synapse(s) => analyse_synapse(s, g).expect("analyses").vars.len(),
        }
    }
}

/// `p{i} = ...`, one a line.
fn params(n: usize) -> String {
    (0..n).map(|i| format!("p{i} = {}.5\n", i % 100)).collect()
}

/// The models; `scale` sizes them (1.0: about 1 MB of text each).
fn models(scale: f64) -> Vec<Case> {
    let n = |full: usize| ((full as f64 * scale) as usize).max(2);
    let case = |name, texts: &[&str], model| Case {
        name,
        bytes: texts.iter().map(|t| t.len()).sum(),
        model,
    };
    let np = n(87_000);
    let (p, e) = (params(np), format!("r = p0 + p{}", np - 1));
    let parameters = case(
        "parameters",
        &[&p, &e],
        Model::Neuron(
            Neuron::rate()
                .name("parameters")
                .parameters(&p)
                .equations(&e),
        ),
    );
    let ne = n(25_000);
    let chain: String = (1..ne)
        .map(|i| format!("x{i} = x{} + p{i}\n", i - 1))
        .collect();
    let (p, e) = (params(ne), format!("x0 = p0\n{chain}r = x{}", ne - 1));
    let equations = case(
        "equations",
        &[&p, &e],
        Model::Neuron(
            Neuron::rate()
                .name("equations")
                .parameters(&p)
                .equations(&e),
        ),
    );
    let no = n(22_000);
    let e: String = (0..no)
        .map(|i| {
            format!(
                "tau * dv{i}/dt = p{} - v{i} + g_exc : exponential\n",
                i % 100
            )
        })
        .collect();
    let p = format!("tau = 10.0 : population\n{}", params(100));
    let odes = case(
        "odes",
        &[&p, &e],
        Model::Neuron(
            Neuron::spiking()
                .name("odes")
                .parameters(&p)
                .equations(&e)
                .spike("v0 > p1")
                .reset("v0 = p0")
                .refractory(2.0),
        ),
    );
    let nm = n(30_000);
    let block: String = (1..nm)
        .map(|i| format!("dv{i}/dt = v{} - v{i} : midpoint\n", i - 1))
        .collect();
    let e = format!("dv0/dt = -v0 : midpoint\n{block}r = v{}", nm - 1);
    let midpoint = case(
        "midpoint",
        &[&e],
        Model::Neuron(Neuron::rate().name("midpoint").equations(&e)),
    );
    let ns = n(12_000);
    let e: String = (0..ns)
        .map(|i| format!("tau * dx{i}/dt = -x{i} : event-driven\n"))
        .collect();
    let reads: String = (0..ns)
        .map(|i| format!("x{i} += pre.u{i} * p{i}\n"))
        .collect();
    let p = format!("tau = 10.0 : projection\n{}", params(ns));
    let pre = format!("g_target += w\n{reads}");
    let synapse = case(
        "synapse",
        &[&p, &e, &pre],
        Model::Synapse(
            Synapse::new()
                .name("synapse")
                .parameters(&p)
                .equations(&e)
                .pre_spike(&pre),
        ),
    );
    vec![parameters, equations, odes, midpoint, synapse]
}

fn main() {
    let scale: f64 = std::env::var("ANALYSIS_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let g = Globals::default();
    let models = models(scale);
    if std::env::var_os("ANALYSIS_ONCE").is_some() {
        for c in &models {
            let t = Instant::now();
            c.model.analyse(&g);
            eprintln!(
                "{}: {} bytes, {:.3} s",
                c.name,
                c.bytes,
                t.elapsed().as_secs_f64()
            );
        }
        return;
    }
    // No plots: plotters finds no font on a bare machine, and the numbers
    // are what BENCHMARKS.md records.
    let mut c = Criterion::default().without_plots().configure_from_args();
    let mut group = c.benchmark_group("analysis");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5));
    for case in &models {
        group.bench_with_input(
            BenchmarkId::new(case.name, case.bytes),
            &case.model,
            |b, m| b.iter(|| m.analyse(&g)),
        );
    }
    group.finish();
    c.final_summary();
}

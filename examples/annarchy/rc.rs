//! ANNarchy's RC notebook: an echo-state network (reservoir computing) of
//! 400 rate neurons `tau * dx/dt + x = sum(in) + g * sum(exc) + noise *
//! Uniform(-1, 1)`, `r = tanh(x)`, with recurrent weights Normal(0,
//! 1/sqrt(N)) scaled by g = 1.5 (the chaotic regime) and one input neuron
//! at 1 for 100 ms after 100 ms. Two trials of 3000 ms (dt = 1 ms) from the
//! same reset state differ only by the noise, and their difference grows:
//! the notebook's third plot. The notebook then fits a Lasso readout
//! (scikit-learn) on the first trial and predicts the second; that part is
//! not the simulator's and is left out.
//!
//! Weights and noise are random, so the example runs several seeds and
//! prints the activity and the trials' divergence beside ANNarchy
//! 5.0.4.1's mean and range over its seeds
//! (`tests/data/annarchy/notebooks/rc`).
//!
//! `cargo run --release --example nb_rc [cpu|gpu|auto] [SEEDS]` (5 seeds by
//! default).

#[path = "common.rs"]
mod common;

use cajal::prelude::*;
use ndarray::{s, ArrayView2};

/// ANNarchy 5.0.4.1, seeds 1..=5, `(mean, min, max)`
/// (tests/data/annarchy/notebooks/rc/rc.json, "summary").
const ANNARCHY: [(&str, (f64, f64, f64)); 6] = [
    ("mean |r|, trial 1", (0.4844, 0.4675, 0.5366)),
    ("mean |r| during the input", (0.3977, 0.3905, 0.4031)),
    ("mean |r|, last 1000 ms", (0.5058, 0.4817, 0.565)),
    ("sd of r, last 1000 ms", (0.5788, 0.5546, 0.6373)),
    ("mean |r1 - r2|, first 300 ms", (0.0021, 0.002, 0.0022)),
    ("mean |r1 - r2|, last 1000 ms", (0.1474, 0.001, 0.6961)),
];

const N: usize = 400;

fn mean_abs(x: ArrayView2<f32>) -> f64 {
    x.iter().map(|v| f64::from(v.abs())).sum::<f64>() / x.len() as f64
}

fn main() -> cajal::Result<()> {
    let backend = common::backend();
    let seeds = common::seeds(5);
    let esn_neuron = Neuron::rate()
        .name("ESN_Neuron")
        .parameters(
            "tau = 30.0 : population
             g = 1.0 : population
             noise = 0.01",
        )
        .equations(
            "tau * dx/dt + x = sum(in) + g * sum(exc) + noise * Uniform(-1, 1)

             r = tanh(x)",
        );
    let mut per_seed: Vec<[f64; 6]> = Vec::new();
    for seed in 1..=seeds {
        let mut net = Network::new().dt(1.0).seed(seed);
        let pop = net.population("pop", N, &esn_neuron)?;
        net.set(pop, "tau", 30.0)?;
        net.set(pop, "g", 1.4)?;
        net.set(pop, "noise", 0.01)?;
        let inp = net.input_array("inp", 1)?;
        net.projection(inp, pop, "in")
            .connect_all_to_all(Dist::uniform(-1.0, 1.0))?;
        net.projection(pop, pop, "exc")
            .connect_all_to_all(Dist::normal(0.0, 1.0 / (N as f64).sqrt()))?;
        let m = net.monitor(pop, &["r"])?;
        let mut sim = net.compile(backend)?;
        if seed == 1 {
            println!("engine: {:?}", sim.backend());
        }
        sim.set(pop, "g", 1.5)?;
        for _trial in 0..2 {
            sim.set(inp, "r", 0.0)?;
            sim.set(pop, "x", 0.0)?;
            sim.set(pop, "r", 0.0)?;
            sim.simulate(100.0)?;
            sim.set(inp, "r", 1.0)?;
            sim.simulate(100.0)?;
            sim.set(inp, "r", 0.0)?;
            sim.simulate(2800.0)?;
        }
        common::timings(&sim);
        let r = sim.recorded(m, "r")?;
        let (d1, d2) = (r.slice(s![..3000, ..]), r.slice(s![3000.., ..]));
        let diff = &d1 - &d2;
        let last = d1.slice(s![2000.., ..]);
        let mean = last.iter().map(|&v| f64::from(v)).sum::<f64>() / last.len() as f64;
        let sd = (last
            .iter()
            .map(|&v| (f64::from(v) - mean).powi(2))
            .sum::<f64>()
            / last.len() as f64)
            .sqrt();
        per_seed.push([
            mean_abs(d1),
            mean_abs(d1.slice(s![100..200, ..])),
            mean_abs(last),
            sd,
            mean_abs(diff.slice(s![..300, ..])),
            mean_abs(diff.slice(s![2000.., ..])),
        ]);
    }
    common::spread_table(&format!("{seeds} seeds"), &ANNARCHY, &per_seed);
    Ok(())
}

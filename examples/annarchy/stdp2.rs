//! ANNarchy's STDP II notebook (Song, Miller & Abbott 2000): 1000 Poisson
//! inputs at 15 Hz drive one integrate-and-fire neuron through ANNarchy's
//! STDP synapse (A_minus slightly above A_plus, w_max = 0.01), weights
//! from Uniform(0, 0.01); dt = 1 ms, 100 s. The output's rate falls as
//! the weights split into a bimodal distribution, at 0 and at w_max.
//!
//! The inputs are random, so the example runs several seeds and prints the
//! rates and the final weights' statistics beside ANNarchy 5.0.4.1's mean
//! and range over seeds 1, 2, 3 (`tests/data/annarchy/stdp2`, the data of
//! the engine tests, whose script runs this notebook; its 4.8.2 output
//! showed 26.99 Hz).
//!
//! `cargo run --release --example nb_stdp2 [cpu|gpu|auto] [SEEDS]` (6
//! seeds by default; 100 s of simulated time each).

#[path = "common.rs"]
mod common;

use cajal::prelude::*;

/// ANNarchy 5.0.4.1, seeds 1, 2, 3, `(mean, min, max)`
/// (tests/data/annarchy/stdp2/stdp2.json, over "runs").
const ANNARCHY: [(&str, (f64, f64, f64)); 7] = [
    ("input rate (Hz)", (14.99587, 14.98498, 15.00459)),
    ("output rate over 100 s (Hz)", (28.62333, 27.07, 30.24)),
    ("output rate, first 10 s (Hz)", (61.43333, 51.9, 68.5)),
    ("output rate, last 10 s (Hz)", (20.43333, 18.6, 22.2)),
    ("mean w / w_max", (0.43, 0.427, 0.434)),
    ("fraction of w > 0.9 w_max", (0.16933, 0.161, 0.175)),
    ("fraction of w < 0.1 w_max", (0.283, 0.275, 0.296)),
];

const F: f32 = 15.0;
const N: usize = 1000;
const GMAX: f32 = 0.01;
const DURATION: f64 = 100_000.0;

fn main() -> cajal::Result<()> {
    let backend = common::backend();
    let seeds = common::seeds(6);
    let if_neuron = Neuron::spiking()
        .name("IF")
        .parameters(
            "tau_m = 10.0
             tau_e = 5.0
             vt = -54.0
             vr = -60.0
             El = -74.0
             Ee = 0.0",
        )
        .equations(
            "tau_m * dv/dt = El - v + g_exc * (Ee - vr) : init = -60.0
             tau_e * dg_exc/dt = - g_exc",
        )
        .spike("v > vt")
        .reset("v = vr");
    let stdp = cajal::models::synapses::stdp(20.0, 20.0, 0.01, 0.0105, 0.0, GMAX);
    let mut per_seed: Vec<[f64; 7]> = Vec::new();
    for seed in 1..=seeds {
        let mut net = Network::new().dt(1.0).seed(seed);
        let input = net.poisson_population("Input", N, F, None)?;
        let output = net.population("Output", 1, &if_neuron)?;
        let proj = net
            .projection(input, output, "exc")
            .synapse(&stdp)
            .connect_all_to_all(Dist::uniform(0.0, f64::from(GMAX)))?;
        let mi = net.monitor(input, &["spike"])?;
        let mo = net.monitor(output, &["spike"])?;
        let mut sim = net.compile(backend)?;
        if seed == 1 {
            println!("engine: {:?}", sim.backend());
        }
        sim.simulate(DURATION)?;
        common::timings(&sim);
        let out: Vec<u64> = sim.spikes(mo)?.iter().map(|s| s.0).collect();
        let in_rate = sim.spikes(mi)?.len() as f64 / N as f64 / (DURATION / 1000.0);
        let in_window = |a: u64, b: u64| out.iter().filter(|&&s| s >= a && s < b).count() as f64;
        let w = sim.synapses(proj, "w")?.2;
        let frac = |f: &dyn Fn(f32) -> bool| w.iter().filter(|&&x| f(x)).count() as f64 / N as f64;
        per_seed.push([
            in_rate,
            out.len() as f64 / (DURATION / 1000.0),
            in_window(0, 10_000) / 10.0,
            in_window(90_000, 100_000) / 10.0,
            w.iter().map(|&x| f64::from(x / GMAX)).sum::<f64>() / N as f64,
            frac(&|x| x > 0.9 * GMAX),
            frac(&|x| x < 0.1 * GMAX),
        ]);
    }
    common::spread_table(&format!("{seeds} seeds"), &ANNARCHY, &per_seed);
    Ok(())
}

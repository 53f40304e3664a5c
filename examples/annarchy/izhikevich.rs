//! ANNarchy's Izhikevich notebook: Izhikevich's (2003) pulse-coupled
//! network, 800 excitatory and 200 inhibitory neurons with heterogeneous
//! parameters (c, d from re^2; a, b from ri), all to all with uniform
//! random weights, driven by Gaussian thalamic noise; 1000 ms at
//! ANNarchy's default dt = 1 ms with explicit Euler (the notebook's model,
//! not the paper's two half steps).
//!
//! Weights, parameters and noise are random, so the example runs several
//! seeds and prints the mean rates, the bursts of the notebook's "number of
//! spikes per step" plot and the mean membrane potential beside ANNarchy
//! 5.0.4.1's mean and range over its seeds
//! (`tests/data/annarchy/notebooks/izhikevich`).
//!
//! `cargo run --release --example nb_izhikevich [cpu|gpu|auto] [SEEDS]`
//! (5 seeds by default).

#[path = "common.rs"]
mod common;

use cajal::prelude::*;
use rand::{Rng, SeedableRng};

/// ANNarchy 5.0.4.1, seeds 1..=5, `(mean, min, max)`
/// (tests/data/annarchy/notebooks/izhikevich/izhikevich.json, "summary").
const ANNARCHY: [(&str, (f64, f64, f64)); 5] = [
    ("exc rate (Hz)", (9.1515, 8.9588, 9.3712)),
    ("inh rate (Hz)", (9.575, 9.085, 10.085)),
    ("max spikes in one step", (109.8, 74.0, 187.0)),
    ("steps with over 20 spikes", (64.0, 36.0, 86.0)),
    ("mean v of exc neurons (mV)", (-69.0409, -69.0961, -68.9927)),
];

fn main() -> cajal::Result<()> {
    let backend = common::backend();
    let seeds = common::seeds(5);
    let izhikevich = Neuron::spiking()
        .name("Izhikevich")
        .parameters(
            "noise = 5.0
             a = 0.02
             b = 0.2
             c = -65.0
             d = 2.0
             v_thresh = 30.0",
        )
        .equations(
            "# Input current
             I = g_exc - g_inh + noise * Normal(0.0, 1.0)

             # Membrane potential
             dv/dt = 0.04 * v^2 + 5.0 * v + 140.0 - u + I

             # Recovery variable
             du/dt = a * (b*v - u)",
        )
        .spike("v >= v_thresh")
        .reset("v = c\n u += d");
    let mut per_seed: Vec<[f64; 5]> = Vec::new();
    for seed in 1..=seeds {
        let mut net = Network::new().dt(1.0).seed(seed);
        let pop = net.population("pop", 1000, &izhikevich)?;
        let exc = net.slice(pop, 0..800)?;
        let inh = net.slice(pop, 800..1000)?;
        // The notebook draws re and ri with numpy, outside the simulator.
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let re: Vec<f32> = (0..800).map(|_| rng.random()).collect();
        let ri: Vec<f32> = (0..200).map(|_| rng.random()).collect();
        let map = |x: &[f32], f: fn(f32) -> f32| x.iter().map(|&v| f(v)).collect::<Vec<f32>>();
        net.set_view(&exc, "noise", 5.0)?;
        net.set_view(&inh, "noise", 2.0)?;
        net.set_view(&exc, "a", 0.02)?;
        net.set_view(&inh, "a", map(&ri, |r| 0.02 + 0.08 * r))?;
        net.set_view(&exc, "b", 0.2)?;
        let b_inh = map(&ri, |r| 0.25 - 0.05 * r);
        net.set_view(&inh, "b", b_inh.clone())?;
        net.set_view(&exc, "c", map(&re, |r| -65.0 + 15.0 * r * r))?;
        net.set_view(&inh, "c", -65.0)?;
        net.set_view(&exc, "d", map(&re, |r| 8.0 - 6.0 * r * r))?;
        net.set_view(&inh, "d", 2.0)?;
        net.set(pop, "v", -65.0)?;
        net.set_view(&exc, "u", -65.0 * 0.2)?;
        net.set_view(&inh, "u", map(&b_inh, |b| -65.0 * b))?;
        net.projection(&exc, pop, "exc")
            .connect_all_to_all(Dist::uniform(0.0, 0.5))?;
        net.projection(&inh, pop, "inh")
            .connect_all_to_all(Dist::uniform(0.0, 1.0))?;
        let m = net.monitor(pop, &["spike", "v"])?;
        let mut sim = net.compile(backend)?;
        if seed == 1 {
            println!("engine: {:?}", sim.backend());
        }
        sim.simulate(1000.0)?;
        common::timings(&sim);
        let spikes = sim.spikes(m)?;
        let exc_n = spikes.iter().filter(|s| s.1 < 800).count();
        let mut per_step = vec![0usize; 1000];
        for &(step, _) in &spikes {
            per_step[step as usize] += 1;
        }
        let v = sim.recorded(m, "v")?;
        let mean_v = v
            .slice(ndarray::s![.., ..800])
            .iter()
            .map(|&x| f64::from(x))
            .sum::<f64>()
            / (v.nrows() * 800) as f64;
        per_seed.push([
            exc_n as f64 / 800.0,
            (spikes.len() - exc_n) as f64 / 200.0,
            *per_step.iter().max().unwrap() as f64,
            per_step.iter().filter(|&&n| n > 20).count() as f64,
            mean_v,
        ]);
    }
    common::spread_table(&format!("{seeds} seeds"), &ANNARCHY, &per_seed);
    Ok(())
}

//! ANNarchy's COBA notebook: the COBA and CUBA networks of Vogels & Abbott
//! (2005) as ANNarchy's benchmark writes them, each 4000 LIF neurons (3200
//! excitatory, 800 inhibitory, connection probability 2 %), conductance-
//! and current-based, simulated side by side for 1 s at dt = 0.1 ms.
//!
//! The connectivity and the initial values are random, so the example runs
//! the notebook's network for several seeds and prints the mean firing
//! rates and the mean coefficient of variation of the inter-spike
//! intervals (the notebook's histograms) beside ANNarchy 5.0.4.1's mean and
//! range over its seeds (`tests/data/annarchy/notebooks/coba`).
//!
//! `cargo run --release --example nb_coba [cpu|gpu|auto] [SEEDS]` (10 seeds
//! by default).

#[path = "common.rs"]
mod common;

use cajal::prelude::*;
use std::time::Instant;

/// ANNarchy 5.0.4.1, seeds 1..=10, `(mean, min, max)`
/// (tests/data/annarchy/notebooks/coba/coba.json, "summary").
const ANNARCHY: [(&str, (f64, f64, f64)); 8] = [
    ("COBA rate (Hz)", (21.4175, 20.4267, 22.4785)),
    ("COBA exc rate (Hz)", (21.5199, 20.4469, 22.7475)),
    ("COBA inh rate (Hz)", (21.0077, 20.3463, 21.525)),
    ("COBA mean ISI CV", (1.5517, 1.5014, 1.5876)),
    ("CUBA rate (Hz)", (5.5826, 5.2665, 5.8965)),
    ("CUBA exc rate (Hz)", (5.5702, 5.1841, 5.9478)),
    ("CUBA inh rate (Hz)", (5.6319, 5.5187, 5.71)),
    ("CUBA mean ISI CV", (0.5191, 0.5028, 0.5361)),
];

fn coba_neuron() -> Neuron {
    Neuron::spiking()
        .name("COBA")
        .parameters(
            "El = -60.0          : population
             Vr = -60.0          : population
             Erev_exc = 0.0      : population
             Erev_inh = -80.0    : population
             Vt = -50.0          : population
             tau = 20.0          : population
             tau_exc = 5.0       : population
             tau_inh = 10.0      : population
             I = 20.0            : population",
        )
        .equations(
            "tau * dv/dt = (El - v) + g_exc * (Erev_exc - v) + g_inh * (Erev_inh - v ) + I

             tau_exc * dg_exc/dt = - g_exc
             tau_inh * dg_inh/dt = - g_inh",
        )
        .spike("v > Vt")
        .reset("v = Vr")
        .refractory(5.0)
}

fn cuba_neuron() -> Neuron {
    Neuron::spiking()
        .name("CUBA")
        .parameters(
            "El = -49.0      : population
             Vr = -60.0      : population
             Vt = -50.0      : population
             tau_m = 20.0    : population
             tau_exc = 5.0   : population
             tau_inh = 10.0  : population",
        )
        .equations(
            "tau_m * dv/dt = (El - v) + g_exc - g_inh

             tau_exc * dg_exc/dt = - g_exc
             tau_inh * dg_inh/dt = - g_inh",
        )
        .spike("v > Vt")
        .reset("v = Vr")
        .refractory(5.0)
}

/// Mean rate over 1 s of all neurons, of the excitatory and of the
/// inhibitory ones, and the mean ISI CV of the neurons with more than two
/// spikes (as the reference script computes them).
fn stats(spikes: &[(u64, u32)]) -> [f64; 4] {
    let mut trains = vec![Vec::new(); 4000];
    for &(step, i) in spikes {
        trains[i as usize].push(step as f64 * 0.1);
    }
    let count = |r: std::ops::Range<usize>| trains[r].iter().map(Vec::len).sum::<usize>() as f64;
    let cvs: Vec<f64> = trains
        .iter()
        .filter(|t| t.len() > 2)
        .map(|t| {
            let isi: Vec<f64> = t.windows(2).map(|w| w[1] - w[0]).collect();
            let m = isi.iter().sum::<f64>() / isi.len() as f64;
            let var = isi.iter().map(|x| (x - m).powi(2)).sum::<f64>() / isi.len() as f64;
            var.sqrt() / m
        })
        .collect();
    [
        count(0..4000) / 4000.0,
        count(0..3200) / 3200.0,
        count(3200..4000) / 800.0,
        cvs.iter().sum::<f64>() / cvs.len() as f64,
    ]
}

fn main() -> cajal::Result<()> {
    let backend = common::backend();
    let seeds = common::seeds(10);
    let mut per_seed: Vec<[f64; 8]> = Vec::new();
    let t0 = Instant::now();
    for seed in 1..=seeds {
        let mut net = Network::new().dt(0.1).seed(seed);
        let p_coba = net.population("P_COBA", 4000, &coba_neuron())?;
        let p_cuba = net.population("P_CUBA", 4000, &cuba_neuron())?;
        net.set(p_coba, "v", Dist::normal(-55.0, 5.0))?;
        net.set(p_coba, "g_exc", Dist::normal(4.0, 1.5))?;
        net.set(p_coba, "g_inh", Dist::normal(20.0, 12.0))?;
        net.set(p_cuba, "v", Dist::uniform(-60.0, -50.0))?;
        // The notebook's weights: CUBA's are COBA's conductances times the
        // driving force over the leak.
        for (pop, we, wi) in [
            (p_coba, 0.6, 6.7),
            (p_cuba, 0.27 * 60.0 / 10.0, 4.5 * 20.0 / 10.0),
        ] {
            let exc = net.slice(pop, 0..3200)?;
            let inh = net.slice(pop, 3200..4000)?;
            net.projection(&exc, pop, "exc")
                .connect_fixed_probability(0.02, we)?;
            net.projection(&inh, pop, "inh")
                .connect_fixed_probability(0.02, wi)?;
        }
        let m_coba = net.monitor(p_coba, &["spike"])?;
        let m_cuba = net.monitor(p_cuba, &["spike"])?;
        let mut sim = net.compile(backend)?;
        if seed == 1 {
            println!("engine: {:?}", sim.backend());
        }
        sim.simulate(1000.0)?;
        common::timings(&sim);
        let c = stats(&sim.spikes(m_coba)?);
        let u = stats(&sim.spikes(m_cuba)?);
        per_seed.push([c[0], c[1], c[2], c[3], u[0], u[1], u[2], u[3]]);
    }
    println!(
        "{seeds} seeds x 2 networks of 4000 neurons, 1 s each, in {:.1} s\n",
        t0.elapsed().as_secs_f64()
    );
    common::spread_table("seeds", &ANNARCHY, &per_seed);
    Ok(())
}

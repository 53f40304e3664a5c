//! ANNarchy's Multiple networks notebook: the Izhikevich pulse-coupled
//! network (800 + 200 neurons of the built-in Izhikevich model, all to
//! all) is built once and simulated 8 times in parallel (`parallel_run`),
//! each run drawing its own heterogeneous parameters (c, d of the
//! excitatory neurons; a, b, u of the inhibitory ones) and its own noise;
//! dt = 1 ms, 1000 ms each.
//!
//! The runs differ by their draws, so the example prints statistics over
//! the 8 runs (mean and range of their spike counts, rates and largest
//! synchronous bursts) beside ANNarchy 5.0.4.1's over its 8 runs
//! (`tests/data/annarchy/notebooks/multiple_networks`).
//!
//! `cargo run --release --example nb_multiple_networks [cpu|gpu|auto]`

#[path = "common.rs"]
mod common;

use cajal::prelude::*;
use rand::{Rng, SeedableRng};
use std::time::Instant;

/// ANNarchy 5.0.4.1, 8 runs of parallel_run, `(mean, min, max)`
/// (tests/data/annarchy/notebooks/multiple_networks/multiple_networks.json,
/// "summary").
const ANNARCHY: [(&str, (f64, f64, f64)); 4] = [
    ("spikes per run", (9182.375, 8883.0, 9428.0)),
    ("exc rate (Hz)", (9.07, 8.7525, 9.3688)),
    ("inh rate (Hz)", (9.6319, 9.38, 9.78)),
    ("max spikes in 1 ms", (99.375, 79.0, 112.0)),
];

fn main() -> cajal::Result<()> {
    let backend = common::backend();
    let mut net = Network::new().dt(1.0).seed(1);
    let p = net.population("P", 1000, &cajal::models::izhikevich())?;
    let exc = net.slice(p, 0..800)?;
    let inh = net.slice(p, 800..1000)?;
    // The notebook's first draws, replaced by each run's own.
    let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    let re: Vec<f32> = (0..800).map(|_| rng.random()).collect();
    let ri: Vec<f32> = (0..200).map(|_| rng.random()).collect();
    let b_inh: Vec<f32> = ri.iter().map(|r| 0.25 - 0.05 * r).collect();
    net.set_view(&exc, "noise", 5.0)?;
    net.set_view(&exc, "a", 0.02)?;
    net.set_view(&exc, "b", 0.2)?;
    net.set_view(
        &exc,
        "c",
        re.iter()
            .map(|r| -65.0 + 15.0 * r * r)
            .collect::<Vec<f32>>(),
    )?;
    net.set_view(
        &exc,
        "d",
        re.iter().map(|r| 8.0 - 6.0 * r * r).collect::<Vec<f32>>(),
    )?;
    net.set_view(&exc, "v", -65.0)?;
    net.set_view(&exc, "u", -65.0 * 0.2)?;
    net.set_view(&inh, "noise", 2.0)?;
    net.set_view(
        &inh,
        "a",
        ri.iter().map(|r| 0.02 + 0.08 * r).collect::<Vec<f32>>(),
    )?;
    net.set_view(&inh, "b", b_inh.clone())?;
    net.set_view(&inh, "c", -65.0)?;
    net.set_view(&inh, "d", 2.0)?;
    net.set_view(&inh, "v", -65.0)?;
    net.set_view(
        &inh,
        "u",
        b_inh.iter().map(|b| -65.0 * b).collect::<Vec<f32>>(),
    )?;
    net.projection(&exc, p, "exc")
        .connect_all_to_all(Dist::uniform(0.0, 0.5))?;
    net.projection(&inh, p, "inh")
        .connect_all_to_all(Dist::uniform(0.0, 1.0))?;
    let m = net.monitor(p, &["spike"])?;

    let t0 = Instant::now();
    let runs = net.parallel_run(backend, 8, |idx, sim| {
        // Each run: its own noise and its own parameters, as run_network.
        sim.set_seed(100 + idx as u64);
        let mut rng = rand::rngs::StdRng::seed_from_u64(idx as u64 + 1);
        let re: Vec<f32> = (0..800).map(|_| rng.random()).collect();
        let ri: Vec<f32> = (0..200).map(|_| rng.random()).collect();
        let b: Vec<f32> = ri.iter().map(|r| 0.25 - 0.05 * r).collect();
        let v = sim.get_view(&inh, "v")?;
        sim.set_view(
            &exc,
            "c",
            re.iter()
                .map(|r| -65.0 + 15.0 * r * r)
                .collect::<Vec<f32>>(),
        )?;
        sim.set_view(
            &exc,
            "d",
            re.iter().map(|r| 8.0 - 6.0 * r * r).collect::<Vec<f32>>(),
        )?;
        sim.set_view(&inh, "noise", 2.0)?;
        sim.set_view(
            &inh,
            "a",
            ri.iter().map(|r| 0.02 + 0.08 * r).collect::<Vec<f32>>(),
        )?;
        sim.set_view(&inh, "b", b.clone())?;
        sim.set_view(
            &inh,
            "u",
            v.iter().zip(&b).map(|(v, b)| v * b).collect::<Vec<f32>>(),
        )?;
        sim.simulate(1000.0)?;
        sim.spikes(m)
    })?;
    println!(
        "engine: {backend:?}; 8 runs of 1000 ms in parallel in {:.2} s",
        t0.elapsed().as_secs_f64()
    );
    let stats: Vec<[f64; 4]> = runs
        .iter()
        .map(|spikes| {
            let exc_n = spikes.iter().filter(|s| s.1 < 800).count();
            let mut per_ms = [0usize; 1000];
            for &(step, _) in spikes {
                per_ms[step as usize] += 1;
            }
            [
                spikes.len() as f64,
                exc_n as f64 / 800.0,
                (spikes.len() - exc_n) as f64 / 200.0,
                *per_ms.iter().max().unwrap() as f64,
            ]
        })
        .collect();
    let distinct: std::collections::BTreeSet<usize> = runs.iter().map(Vec::len).collect();
    println!(
        "the 8 runs have {} different spike counts (ANNarchy: 8)",
        distinct.len()
    );
    common::spread_table("8 runs", &ANNARCHY, &stats);
    Ok(())
}

//! ANNarchy's Gap junctions notebook: ten neurons (`tau*dv/dt = v0 - v +
//! g_gap`, v0 = 1.05 above the threshold 1, reset to 0) started at v = 0,
//! 1/9, ..., 1 and coupled all to all by gap junctions, a synapse whose
//! `psp = w * (pre.v - post.v)` (w = 0.02) is summed into `g_gap` at every
//! step, with no spike events. The coupling pulls the neurons together:
//! they drift towards synchrony. dt = 0.1 ms, 500 ms.
//!
//! Deterministic, so each neuron's spike count, first and last spike step
//! and the final v of neurons 0 and 5 (the notebook's two traces) are
//! printed beside ANNarchy 5.0.4.1's
//! (`tests/data/annarchy/notebooks/gap_junctions`).
//!
//! `cargo run --release --example nb_gap_junctions [cpu|gpu|auto]`

#[path = "common.rs"]
mod common;

use cajal::prelude::*;
use common::exact;

// ANNarchy 5.0.4.1 (tests/data/annarchy/notebooks/gap_junctions/gap_junctions.json).
const SPIKE_COUNT: [usize; 10] = [12, 12, 12, 12, 12, 12, 13, 13, 13, 13];
const FIRST_SPIKE_STEP: [i64; 10] = [454, 421, 389, 356, 323, 292, 260, 226, 186, 108];
const LAST_SPIKE_STEP: [i64; 10] = [4833, 4792, 4754, 4714, 4674, 4634, 4992, 4951, 4911, 4873];
const LAST_SPIKE_SPREAD: f64 = 358.0;
const V0_FINAL: f64 = 0.872065512050139;
const V5_FINAL: f64 = 0.9957029369068009;

fn main() -> cajal::Result<()> {
    let backend = common::backend();
    let neuron = Neuron::spiking()
        .parameters("v0 = 1.05: population; tau = 10.0: population")
        .equations("tau*dv/dt = v0 - v + g_gap")
        .spike("v >  1.")
        .reset("v = 0.");
    let gap_junction = Synapse::new().psp("w * (pre.v - post.v)");
    let mut net = Network::new().dt(0.1);
    let pop = net.population("pop", 10, &neuron)?;
    net.set(
        pop,
        "v",
        (0..10).map(|k| k as f32 / 9.0).collect::<Vec<f32>>(),
    )?;
    net.projection(pop, pop, "gap")
        .synapse(&gap_junction)
        .connect_all_to_all(0.02)?;
    // The notebook records pop[0] + pop[5].
    let pair = net.view(pop, &[0, 5])?;
    let trace = net.monitor(&pair, &["v"])?;
    let spk = net.monitor(pop, &["spike"])?;
    let mut sim = net.compile(backend)?;
    println!("engine: {:?}", sim.backend());
    sim.simulate(500.0)?;
    common::timings(&sim);

    let mut trains = vec![Vec::new(); 10];
    for (step, i) in sim.spikes(spk)? {
        trains[i as usize].push(step as i64);
    }
    println!(
        "{:<8} {:>14} {:>16} {:>16}",
        "neuron", "spikes", "first step", "last step"
    );
    println!(
        "{:<8} {:>14} {:>16} {:>16}",
        "", "cajal/ANN", "cajal/ANN", "cajal/ANN"
    );
    let mut same = 0;
    for (i, t) in trains.iter().enumerate() {
        let (f, l) = (t[0], t[t.len() - 1]);
        same += usize::from(
            t.len() == SPIKE_COUNT[i] && f == FIRST_SPIKE_STEP[i] && l == LAST_SPIKE_STEP[i],
        );
        println!(
            "{i:<8} {:>14} {:>16} {:>16}",
            format!("{}/{}", t.len(), SPIKE_COUNT[i]),
            format!("{f}/{}", FIRST_SPIKE_STEP[i]),
            format!("{l}/{}", LAST_SPIKE_STEP[i]),
        );
    }
    println!("{same} of 10 neurons spike exactly as in ANNarchy\n");
    let lasts: Vec<i64> = trains.iter().map(|t| t[t.len() - 1]).collect();
    let spread = lasts.iter().max().unwrap() - lasts.iter().min().unwrap();
    let v = sim.recorded(trace, "v")?;
    let end = v.nrows() - 1;
    println!("{:<40} {:>12}   ANNarchy 5.0.4.1", "quantity", "cajal");
    exact(
        "spread of the last spikes (steps)",
        spread as f64,
        LAST_SPIKE_SPREAD,
    );
    exact("v of neuron 0 at 500 ms", f64::from(v[[end, 0]]), V0_FINAL);
    exact("v of neuron 5 at 500 ms", f64::from(v[[end, 1]]), V5_FINAL);
    Ok(())
}

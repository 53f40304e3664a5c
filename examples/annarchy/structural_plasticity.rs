//! ANNarchy's "Structural plasticity" notebook: 100 leaky integrators
//! connected to themselves at random (10 %), with a synapse that counts the
//! steps since its two neurons were last active together (`age`), is
//! pruned when that passes T = 10 s (`pruning`, proba 0.2) and is created
//! between two neurons active together (`creating`, proba 0.1). Each trial
//! activates one half of the population for 1 s, then the other: synapses
//! grow within each half and die out between them. The model strings are
//! the notebook's.
//!
//! Prints, after some trials, the synapses within the halves and between
//! them beside ANNarchy 5.0.4.1's (three seeds each: the connectivity and
//! the `proba` draws are random; tests/data/annarchy/notebooks/structural_plasticity).
//!
//! `cargo run --release --example nb_structural_plasticity [cpu|gpu|auto] [SEEDS]`

mod common;

use cajal::prelude::*;
use common::{mean_min_max, spread};
use std::time::Instant;

/// The trials after which both sides count synapses.
const TRIALS: [usize; 4] = [1, 5, 10, 100];

/// ANNarchy 5.0.4.1, seeds 1, 2, 3: (within, between) after each of
/// `TRIALS`, and before the first (structural_plasticity.json).
const ANNARCHY_INITIAL: [(f64, f64); 3] = [(484.0, 492.0), (474.0, 476.0), (486.0, 484.0)];
const ANNARCHY: [[(f64, f64); 3]; 4] = [
    [(3415.0, 492.0), (3454.0, 476.0), (3390.0, 484.0)],
    [(4983.0, 38.0), (4980.0, 45.0), (4983.0, 54.0)],
    [(5000.0, 0.0), (5000.0, 0.0), (5000.0, 0.0)],
    [(5000.0, 0.0), (5000.0, 0.0), (5000.0, 0.0)],
];

fn leaky_integrator() -> Neuron {
    Neuron::rate()
        .name("LeakyIntegratorNeuron")
        .parameters(
            "tau = 10.0 : population
             baseline = 0.0 ",
        )
        .equations("tau * dr/dt + r = baseline + sum(exc) : min=0.0")
}

fn structural_plastic_synapse() -> Synapse {
    Synapse::new()
        .name("StructuralPlasticSynapse")
        .parameters(" T = 10000 : int, projection ")
        .equations(
            "age = if pre.r * post.r > 1.0 :
                    0
                  else :
                    age + 1 : init = 0, int",
        )
        .pruning("age > T : proba = 0.2")
        .creating("pre.r * post.r > 1.0 : proba = 0.1, w = 0.01")
}

/// Synapses within a half (pre and post on the same side, self-connections
/// included) and between the halves.
fn counts(sim: &Simulation, p: ProjId) -> cajal::Result<(f64, f64)> {
    let (post, pre, _) = sim.synapses(p, "w")?;
    let within = post
        .iter()
        .zip(&pre)
        .filter(|(&i, &j)| (i < 50) == (j < 50))
        .count();
    Ok((within as f64, (post.len() - within) as f64))
}

fn main() -> cajal::Result<()> {
    let backend = common::backend();
    let seeds = common::seeds(3);
    let mut initial = Vec::new();
    let mut after = vec![Vec::new(); TRIALS.len()];
    let t0 = Instant::now();
    for seed in 1..=seeds {
        let mut net = Network::new().dt(1.0).seed(seed);
        let pop = net.population("pop", 100, &leaky_integrator())?;
        let proj = net
            .projection(pop, pop, "exc")
            .synapse(&structural_plastic_synapse())
            .connect_fixed_probability(0.1, 0.01)?;
        let first = net.view(pop, &(0..50).collect::<Vec<_>>())?;
        let second = net.view(pop, &(50..100).collect::<Vec<_>>())?;
        let mut sim = net.compile(backend)?;
        initial.push(counts(&sim, proj)?);
        sim.start_creating(proj, Some(100.0))?;
        sim.start_pruning(proj, Some(100.0))?;
        for trial in 1..=*TRIALS.last().unwrap_or(&1) {
            sim.set_view(&first, "baseline", 1.0)?;
            sim.simulate(1000.0)?;
            sim.set(pop, "baseline", 0.0)?;
            sim.simulate(100.0)?;
            sim.set_view(&second, "baseline", 1.0)?;
            sim.simulate(1000.0)?;
            sim.set(pop, "baseline", 0.0)?;
            sim.simulate(100.0)?;
            if let Some(k) = TRIALS.iter().position(|&t| t == trial) {
                after[k].push(counts(&sim, proj)?);
            }
        }
        common::timings(&sim);
    }
    println!(
        "{seeds} seeds of 100 trials (220 s each) in {:.1} s on {backend:?}",
        t0.elapsed().as_secs_f64()
    );
    println!(
        "{:<40} {:>10} [{:^18}]   ANNarchy 5.0.4.1 (3 seeds)",
        "synapses", "cajal", "range"
    );
    let show = |label: &str, ours: &[(f64, f64)], theirs: &[(f64, f64); 3]| {
        let pick = |v: &[(f64, f64)], within: bool| -> Vec<f64> {
            v.iter().map(|&(a, b)| if within { a } else { b }).collect()
        };
        for (within, what) in [(true, "within the halves"), (false, "between the halves")] {
            spread(
                &format!("{label}, {what}"),
                mean_min_max(&pick(ours, within)),
                mean_min_max(&pick(theirs, within)),
            );
        }
    };
    show("compiled", &initial, &ANNARCHY_INITIAL);
    for (k, t) in TRIALS.iter().enumerate() {
        show(&format!("after trial {t}"), &after[k], &ANNARCHY[k]);
    }
    Ok(())
}

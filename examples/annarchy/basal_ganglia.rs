//! ANNarchy's Basal ganglia notebook (its model, without the tensorboard
//! logging): four cortical inputs A, B (answer left) and C, D (answer
//! right) reach ten noisy striatal rate neurons with mutual inhibition;
//! each half of the striatum inhibits one of two tonically active GPi
//! neurons. The cortico-striatal weights learn with a dopamine-modulated
//! rule `w += eta * (dopamine * pre.r * post.r - alpha * w * post.r^2)`
//! (w >= 0). A trial: 40 ms without input, 50 ms with the stimulus, the
//! answer is the GPi neuron with the lowest rate, and the reward (+1 or -1)
//! is given as dopamine for 10 ms. 100 trials, dt = 1 ms.
//!
//! Initial weights and noise are random, so the example runs several seeds
//! and prints how often the network answers right early and late in
//! training and the learned weight differences beside ANNarchy 5.0.4.1's
//! mean and range over its seeds
//! (`tests/data/annarchy/notebooks/basal_ganglia`).
//!
//! `cargo run --release --example nb_basal_ganglia [cpu|gpu|auto] [SEEDS]`
//! (5 seeds by default).

#[path = "common.rs"]
mod common;

use cajal::prelude::*;

/// ANNarchy 5.0.4.1, seeds 1..=5, `(mean, min, max)`
/// (tests/data/annarchy/notebooks/basal_ganglia/basal_ganglia.json, "summary").
const ANNARCHY: [(&str, (f64, f64, f64)); 6] = [
    ("correct, trials 1-20", (0.74, 0.55, 0.95)),
    ("correct, trials 81-100", (0.99, 0.95, 1.0)),
    ("correct, all 100 trials", (0.932, 0.89, 0.99)),
    ("w: left half, A,B minus C,D", (0.2908, 0.236, 0.3594)),
    ("w: right half, C,D minus A,B", (0.2209, 0.1524, 0.2951)),
    ("w: mean", (0.1854, 0.1507, 0.2173)),
];

/// The stimuli (one cortical neuron each) and the right answer (0 = left).
const STIMULI: [([f32; 4], usize); 4] = [
    ([1., 0., 0., 0.], 0),
    ([0., 1., 0., 0.], 0),
    ([0., 0., 1., 0.], 1),
    ([0., 0., 0., 1.], 1),
];

fn main() -> cajal::Result<()> {
    let backend = common::backend();
    let seeds = common::seeds(5);
    let msn = Neuron::rate()
        .name("msn")
        .parameters("tau = 10.0 : population; noise = 0.1 : population")
        .equations(
            "tau*dv/dt + v = sum(exc) - sum(inh) + noise * Uniform(-1, 1)
             r = clip(v, 0.0, 1.0)",
        );
    let gp_neuron = Neuron::rate()
        .name("gp_neuron")
        .parameters("tau = 10.0 : population; B = 1.0")
        .equations("tau*dv/dt + v = B - sum(inh); r= pos(v)");
    let corticostriatal = Synapse::new()
        .name("corticostriatal")
        .parameters(
            "eta = 0.1 : projection
             alpha = 0.5 : projection
             dopamine = 0.0 : projection",
        )
        .equations("w += eta*(dopamine * pre.r * post.r - alpha*w*post.r*post.r) : min=0.0");

    let mut per_seed: Vec<[f64; 6]> = Vec::new();
    for seed in 1..=seeds {
        let mut net = Network::new().dt(1.0).seed(seed);
        let cortex = net.population("cortex", 4, &Neuron::rate().parameters("r=0.0"))?;
        let striatum = net.population("striatum", 10, &msn)?;
        let gpi = net.population("gpi", 2, &gp_neuron)?;
        let cx_str = net
            .projection(cortex, striatum, "exc")
            .synapse(&corticostriatal)
            .connect_all_to_all(Dist::uniform(0.0, 0.5))?;
        net.projection(striatum, striatum, "inh")
            .connect_all_to_all(0.6)?;
        for (half, out) in [(0..5, 0..1), (5..10, 1..2)] {
            let pre = net.slice(striatum, half)?;
            let post = net.slice(gpi, out)?;
            net.projection(&pre, &post, "inh").connect_all_to_all(1.0)?;
        }
        let mut sim = net.compile(backend)?;
        if seed == 1 {
            println!("engine: {:?}", sim.backend());
        }
        let mut rewards = Vec::new();
        for trial in 0..100 {
            let (x, t) = STIMULI[trial % 4];
            sim.set(cortex, "r", 0.0)?;
            sim.set_synapses(cx_str, "dopamine", &[0.0])?;
            sim.simulate(40.0)?;
            sim.set(cortex, "r", x.to_vec())?;
            sim.simulate(50.0)?;
            let out = sim.get(gpi, "r")?;
            // np.argmin: the first of equal values.
            let answer = usize::from(out[1] < out[0]);
            let reward = if answer == t { 1.0 } else { -1.0 };
            sim.set_synapses(cx_str, "dopamine", &[reward])?;
            sim.simulate(10.0)?;
            rewards.push(reward);
        }
        common::timings(&sim);
        let w = sim.connectivity_matrix(cx_str, "w")?;
        let mean = |rows: std::ops::Range<usize>, a: [usize; 2], b: [usize; 2]| {
            rows.clone()
                .map(|i| f64::from(w[[i, a[0]]] + w[[i, a[1]]] - w[[i, b[0]]] - w[[i, b[1]]]) / 2.0)
                .sum::<f64>()
                / rows.len() as f64
        };
        let correct = |r: &[f32]| r.iter().filter(|&&x| x > 0.0).count() as f64 / r.len() as f64;
        per_seed.push([
            correct(&rewards[..20]),
            correct(&rewards[80..]),
            correct(&rewards),
            mean(0..5, [0, 1], [2, 3]),
            mean(5..10, [2, 3], [0, 1]),
            w.iter().map(|&v| f64::from(v)).sum::<f64>() / w.len() as f64,
        ]);
    }
    common::spread_table(&format!("{seeds} seeds"), &ANNARCHY, &per_seed);
    Ok(())
}

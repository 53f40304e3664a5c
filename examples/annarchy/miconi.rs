//! ANNarchy's "Reward-modulated recurrent network" notebook (Miconi 2017):
//! 200 rate-coded neurons with random recurrent weights learn the delayed
//! non-match-to-sample task (two inputs, A or B, 200 ms each with 200 ms
//! delays; neuron 100 must answer +0.98 when they differ and -0.98 when
//! they match) from a reward given at the end of each trial, through
//! exploratory perturbations and an eligibility trace. The model strings
//! are the notebook's (Python-style conditionals over several lines,
//! random draws, `power`, `fabs`, bounds on a synapse variable); the trial
//! is its `dnms_trial`, with the reward table as the notebook writes it
//! (`rewardBA` twice, where `rewardAB` was meant).
//!
//! Prints the mean reward of each condition after the trials beside
//! ANNarchy 5.0.4.1's (three seeds, the same number of trials:
//! tests/data/annarchy/notebooks/miconi). The notebook runs 10 000 trials;
//! this runs 200 by default.
//!
//! `cargo run --release --example nb_miconi [cpu|gpu|auto] [TRIALS]`

#[path = "common.rs"]
mod common;

use cajal::prelude::*;

/// ANNarchy 5.0.4.1 after 200 trials, seeds 1, 2, 3: the mean reward over
/// the four conditions (tests/data/annarchy/notebooks/miconi/miconi.json).
const ANNARCHY_MEAN_REWARD: [f64; 3] = [-0.601, -1.245, -0.842];

const N: usize = 200;
const OUTPUT_NEURON: usize = 100;
const D_STIM: f64 = 200.0;
const D_DELAY: f64 = 200.0;
const D_RESPONSE: f64 = 200.0;

fn neuron() -> Neuron {
    Neuron::rate()
        .parameters(
            "tau = 30.0 : population # Time constant
             constant = 0.0 # The four first neurons have constant rates
             alpha = 0.05 : population # To compute the sliding mean
             f = 3.0 : population # Frequency of the perturbation
             A = 16. : population # Perturbation amplitude. dt*A/tau should be 0.5...",
        )
        .equations(
            "# Perturbation
             perturbation = if Uniform(0.0, 1.0) < f/1000.: 1.0 else: 0.0
             noise = if perturbation > 0.5: A * Uniform(-1.0, 1.0) else: 0.0

             # ODE for x
             x += dt*(sum(in) + sum(exc) - x + noise)/tau

             # Output r
             rprev = r # store r at previous time step
             r = if constant == 0.0: tanh(x) else: tanh(constant)

             # Sliding mean
             delta_x = x - x_mean
             x_mean = alpha * x_mean + (1 - alpha) * x",
        )
}

fn synapse() -> Synapse {
    Synapse::new()
        .parameters(
            "eta = 0.5 : projection # Learning rate
             learning_phase = 0.0 : projection # Flag to allow learning only at the end of a trial
             reward = 0.0 : projection # Reward received
             mean_reward = 0.0 : projection # Mean Reward received
             max_weight_change = 0.0003 : projection # Clip the weight changes",
        )
        .equations(
            "# Trace
             trace += if learning_phase < 0.5:
                         power(pre.rprev * (post.delta_x), 3)
                      else:
                         0.0

             # Weight update only at the end of the trial
             delta_w = if learning_phase > 0.5:
                     eta * trace * fabs(mean_reward) * (reward - mean_reward)
                  else:
                      0.0 : min=-max_weight_change, max=max_weight_change
             w += delta_w",
        )
}

struct Task {
    sim: Simulation,
    inp: PopId,
    pop: PopId,
    wrec: ProjId,
    m: MonitorId,
}

impl Task {
    /// The notebook's `dnms_trial`: returns the reward.
    fn trial(
        &mut self,
        trial: usize,
        input: [usize; 2],
        target: f32,
        r_mean: f64,
    ) -> cajal::Result<f64> {
        let sim = &mut self.sim;
        // Reinitialise the network.
        sim.set(self.pop, "x", Dist::uniform(-0.1, 0.1))?;
        let x = sim.get(self.pop, "x")?;
        sim.set(self.pop, "r", x.mapv(f32::tanh))?;
        for (k, c) in [(0, 1.0f32), (1, 1.0), (2, -1.0)] {
            sim.set_neuron(self.pop, k, "r", c.tanh())?;
        }
        let set_input = |sim: &mut Simulation, k: Option<usize>| -> cajal::Result<()> {
            sim.set(self.inp, "r", 0.0)?;
            if let Some(k) = k {
                sim.set_neuron(self.inp, k, "r", 1.0)?;
            }
            Ok(())
        };
        set_input(sim, Some(input[0]))?;
        sim.simulate(D_STIM)?;
        set_input(sim, None)?;
        sim.simulate(D_DELAY)?;
        set_input(sim, Some(input[1]))?;
        sim.simulate(D_STIM)?;
        set_input(sim, None)?;
        sim.simulate(D_DELAY)?;
        // The response: recorded, then read and emptied (ANNarchy's get()).
        sim.resume(self.m)?;
        sim.simulate(D_RESPONSE)?;
        sim.pause(self.m)?;
        let rec = sim.take_recording(self.m)?;
        let r = rec.var("r")?;
        let output = r.column(OUTPUT_NEURON);
        let reward = -output
            .iter()
            .map(|&o| f64::from((target - o).abs()))
            .sum::<f64>()
            / output.len() as f64;
        // The first 25 trials do not learn, to let R_mean get realistic values.
        if trial > 25 {
            sim.set_projection(self.wrec, "learning_phase", 1.0)?;
            sim.set_projection(self.wrec, "reward", reward)?;
            sim.set_projection(self.wrec, "mean_reward", r_mean)?;
            sim.step()?;
            sim.set_projection(self.wrec, "learning_phase", 0.0)?;
            sim.set_projection(self.wrec, "trace", 0.0)?;
        }
        Ok(reward)
    }
}

fn run(backend: Backend, seed: u64, trials: usize) -> cajal::Result<[[f64; 2]; 2]> {
    let mut net = Network::new().dt(1.0).seed(seed);
    let inp = net.population("inp", 2, &Neuron::rate().parameters("r=0.0"))?;
    let pop = net.population("pop", N, &neuron())?;
    // Biases.
    let mut constant = vec![0.0f32; N];
    constant[..3].copy_from_slice(&[1.0, 1.0, -1.0]);
    net.set(pop, "constant", constant)?;
    net.projection(inp, pop, "in")
        .connect_all_to_all(Dist::uniform(-1.0, 1.0))?;
    let (g, sparseness) = (1.5f64, 0.1f64);
    let wrec = net
        .projection(pop, pop, "exc")
        .synapse(&synapse())
        .connect_fixed_probability(
            sparseness,
            Dist::normal(0.0, g / (sparseness * N as f64).sqrt()),
        )?;
    let m = net.monitor(pop, &["r"])?;
    let mut sim = net.compile(backend)?;
    sim.pause(m)?;
    let mut task = Task {
        sim,
        inp,
        pop,
        wrec,
        m,
    };
    let mut r_mean = [[-1.0f64; 2]; 2];
    let alpha = 0.75;
    for trial in 0..trials {
        let aa = task.trial(trial, [0, 0], -0.98, r_mean[0][0])?;
        let _ab = task.trial(trial, [0, 1], 0.98, r_mean[0][1])?;
        let ba = task.trial(trial, [1, 0], 0.98, r_mean[1][0])?;
        let bb = task.trial(trial, [1, 1], -0.98, r_mean[1][1])?;
        // The notebook's table, rewardBA in the place of rewardAB.
        let reward = [[aa, ba], [ba, bb]];
        for i in 0..2 {
            for j in 0..2 {
                r_mean[i][j] = alpha * r_mean[i][j] + (1.0 - alpha) * reward[i][j];
            }
        }
    }
    common::timings(&task.sim);
    Ok(r_mean)
}

fn main() -> cajal::Result<()> {
    let backend = common::backend();
    let trials: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    println!("{trials} trials of each condition on {backend:?}");
    let mut means = Vec::new();
    for seed in 1..=3u64 {
        let r = run(backend, seed, trials)?;
        let mean = (r[0][0] + r[0][1] + r[1][0] + r[1][1]) / 4.0;
        println!(
            "seed {seed}: AA {:.3} AB {:.3} BA {:.3} BB {:.3}, mean {mean:.3}",
            r[0][0], r[0][1], r[1][0], r[1][1]
        );
        means.push(mean);
    }
    let fmt = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.3}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!("mean reward after {trials} trials, cajal: {}", fmt(&means));
    println!(
        "ANNarchy 5.0.4.1 after 200 trials: {}",
        fmt(&ANNARCHY_MEAN_REWARD)
    );
    Ok(())
}

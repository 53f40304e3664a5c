//! ANNarchy's "Homeostatic STDP: ramp" notebook (Carlson et al. 2013):
//! 100 Poisson inputs with rates from 0.2 to 20 Hz drive two Izhikevich
//! RS neurons through AMPA and NMDA (one projection onto both targets),
//! one with nearest-neighbour STDP, the other with the same STDP under a
//! homeostatic regulation that reads the neuron's firing rate (`post.r`,
//! `compute_firing_rate(5000 ms)`) towards 35 Hz. The model strings are
//! the notebook's.
//!
//! Prints the mean firing rate of each neuron over the run and its mean
//! final weight beside ANNarchy 5.0.4.1's (three seeds, the Poisson inputs
//! are random: tests/data/annarchy/notebooks/ramp).
//!
//! `cargo run --release --example nb_ramp [cpu|gpu|auto] [SECONDS]`
//! (default: the notebook's 1000 s).

#[path = "common.rs"]
mod common;

use cajal::models::inputs::Rates;
use cajal::prelude::*;
use std::time::Instant;

/// ANNarchy 5.0.4.1, seeds 1, 2, 3 (tests/data/annarchy/notebooks/ramp/ramp.json):
/// the mean r over the run and the mean final weight of each neuron.
const ANNARCHY: [(&str, [f64; 3], [f64; 3]); 2] = [
    (
        "without homeostasis",
        [55.626, 55.575, 55.680],
        [0.029821, 0.029671, 0.029721],
    ),
    (
        "with homeostasis",
        [35.221, 35.237, 35.260],
        [0.015020, 0.014894, 0.014275],
    ),
];

fn rs_neuron() -> Neuron {
    Neuron::spiking()
        .name("RSNeuron")
        .parameters(
            "a = 0.02 : population
             b = 0.2 : population
             c = -65. : population
             d = 8. : population
             tau_ampa = 5. : population
             tau_nmda = 150. : population
             vrev = 0.0 : population",
        )
        .equations(
            "# Inputs
             I = g_ampa * (vrev - v) + g_nmda * nmda(v, -80.0, 60.0) * (vrev -v)
             # Membrane potential and recovery variable are solved using the midpoint method for stability
             dv/dt = (0.04 * v + 5.0) * v + 140.0 - u + I : init=-65., midpoint
             du/dt = a * (b*v - u) : init=-13., midpoint
             # AMPA and NMDA conductances
             tau_ampa * dg_ampa/dt = -g_ampa : exponential
             tau_nmda * dg_nmda/dt = -g_nmda : exponential",
        )
        .spike("v >= 30.")
        .reset("v = c\nu += d")
        .functions("nmda(v, t, s) = ((v-t)/(s))^2 / (1.0 + ((v-t)/(s))^2)")
}

fn nearest_neighbour_stdp() -> Synapse {
    Synapse::new()
        .name("nearest_neighbour_stdp")
        .parameters(
            "tau_plus = 20. : projection
             tau_minus = 60. : projection
             A_plus = 0.0002 : projection
             A_minus = 0.000066 : projection
             w_max = 0.03 : projection",
        )
        .equations(
            "# Traces
             tau_plus  * dltp/dt = -ltp : exponential
             tau_minus * dltd/dt = -ltd : exponential
             # Nearest-neighbour
             w += if t_post >= t_pre: ltp else: - ltd : min=0.0, max=w_max",
        )
        .pre_spike("g_target += w\nltp = A_plus")
        .post_spike("ltd = A_minus")
}

fn homeo_stdp() -> Synapse {
    Synapse::new()
        .name("homeo_stdp")
        .parameters(
            "# STDP
             tau_plus = 20. : projection
             tau_minus = 60. : projection
             A_plus = 0.0002 : projection
             A_minus = 0.000066 : projection
             w_min = 0.0 : projection
             w_max = 0.03 : projection

             # Homeostatic regulation
             alpha = 0.1 : projection
             beta = 1.0 : projection
             gamma = 50. : projection
             Rtarget = 35. : projection
             T = 5000. : projection",
        )
        .equations(
            "# Traces
             tau_plus  * dltp/dt = -ltp : exponential
             tau_minus * dltd/dt = -ltd : exponential
             # Homeostatic values
             R = post.r : postsynaptic
             K = R/(T*(1.+fabs(1. - R/Rtarget) * gamma)) : postsynaptic
             # Nearest-neighbour
             stdp = if t_post >= t_pre: ltp else: - ltd
             w += (alpha * w * (1- R/Rtarget) + beta * stdp ) * K : min=w_min, max=w_max",
        )
        .pre_spike("g_target += w\nltp = A_plus")
        .post_spike("ltd = A_minus")
}

fn mean(x: &[f32]) -> f64 {
    x.iter().map(|&v| f64::from(v)).sum::<f64>() / x.len().max(1) as f64
}

fn main() -> cajal::Result<()> {
    let mut args = std::env::args().skip(1);
    let backend = match args.next().as_deref() {
        Some("gpu") => Backend::Gpu,
        Some("auto") => Backend::Auto,
        _ => Backend::Cpu,
    };
    let seconds: f64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1000.0);
    let t0 = Instant::now();
    let mut net = Network::new().dt(1.0).seed(1);
    let rates: Vec<f32> = (0..100).map(|i| 0.2 + 19.8 * i as f32 / 99.0).collect();
    let inp = net.poisson_population("inp", 100, Rates::PerNeuron(rates), None)?;
    let pop1 = net.population("pop1", 1, &rs_neuron())?;
    let pop2 = net.population("pop2", 1, &rs_neuron())?;
    net.compute_firing_rate(pop1, 5000.0)?;
    net.compute_firing_rate(pop2, 5000.0)?;
    let proj1 = net
        .projection(inp, pop1, ["ampa", "nmda"])
        .synapse(&nearest_neighbour_stdp())
        .connect_all_to_all(Dist::uniform(0.01, 0.03))?;
    let proj2 = net
        .projection(inp, pop2, ["ampa", "nmda"])
        .synapse(&homeo_stdp())
        .connect_all_to_all(Dist::uniform(0.01, 0.03))?;
    let m1 = net.monitor(pop1, &["r"])?;
    let m2 = net.monitor(pop2, &["r"])?;
    let mut sim = net.compile(backend)?;
    println!(
        "built in {:.3} s on {:?}; simulating {seconds} s",
        t0.elapsed().as_secs_f64(),
        sim.backend()
    );
    let t1 = Instant::now();
    sim.simulate(seconds * 1000.0)?;
    println!("simulated in {:.1} s", t1.elapsed().as_secs_f64());
    common::timings(&sim);
    let results = [
        (sim.recorded(m1, "r")?, sim.synapses(proj1, "w")?.2),
        (sim.recorded(m2, "r")?, sim.synapses(proj2, "w")?.2),
    ];
    println!("| neuron | mean r (Hz), cajal | ANNarchy 5.0.4.1 (3 seeds) | mean final w, cajal | ANNarchy |");
    println!("|---|---|---|---|---|");
    let three = |x: &[f64; 3], digits: usize| {
        x.iter()
            .map(|v| format!("{v:.digits$}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for ((label, ann_r, ann_w), (r, w)) in ANNARCHY.iter().zip(&results) {
        let r: Vec<f32> = r.column(0).to_vec();
        println!(
            "| {label} | {:.2} | {} | {:.5} | {} |",
            mean(&r),
            three(ann_r, 2),
            mean(w),
            three(ann_w, 5)
        );
    }
    if seconds != 1000.0 {
        println!("(ANNarchy's runs are 1000 s long; this one is {seconds} s)");
    }
    Ok(())
}

//! ANNarchy's "PyNN and Brian examples" notebook, with the notebook's
//! models and parameters: an IF_cond_exp neuron driven by two
//! SpikeSourceArrays, the adaptive exponential neuron (AdEx, regular
//! spiking) under a 1 nA step, the 4000-neuron EIF network whose Poisson
//! inputs are written `if t < 200.0 : 2000.0 else : 0.0`, and the
//! 4000-neuron network of short-term plastic synapses.
//!
//! Prints each part's numbers beside ANNarchy 5.0.4.1's
//! (tests/data/annarchy/notebooks/pynn): the deterministic parts exactly
//! (membrane potential range, spike steps), the random networks as total
//! spike counts (ANNarchy over three seeds; their inputs, connectivity and
//! initial values are random, and the EIF network is bistable: a seed in
//! three or so stays active after its inputs stop, on either simulator),
//! and the non-linear NMDA synapse (`x += w` at a spike, `psp = g`): the
//! inputs' first spikes, the peak conductance of each synapse and the
//! integrator's peak v. Its inputs' threshold `v > 1.0` is met after ten
//! steps of 0.1, which is 1 + 1e-7 in single precision and 1 - 1e-16 in
//! double: cajal's inputs fire a step earlier and every 10 steps where
//! ANNarchy's fire every 11 (tests/annarchy/psp_events.rs checks the
//! synapse against ANNarchy step by step with a threshold of 1.05).
//!
//! `cargo run --release --example nb_pynn [cpu|gpu|auto]`

#[path = "common.rs"]
mod common;

use cajal::models::neurons::{eif_cond_exp_isfa_ista, if_cond_exp};
use cajal::prelude::*;

/// ANNarchy 5.0.4.1's numbers (tests/data/annarchy/notebooks/pynn/pynn.json).
mod annarchy {
    /// IF_cond_exp: min, max and final v (mV).
    pub const IF_COND_EXP_V: [f64; 3] = [-65.588976, -61.373177, -65.542013];
    /// AdEx: spike steps (dt 0.1 ms).
    pub const ADEX_SPIKES: &[u64] = &[318, 456, 616, 804, 1025];
    /// EIF network: total spikes in 500 ms, seeds 1, 2, 3. The network is
    /// bistable: after the inputs stop, some seeds keep a high activity.
    pub const EIF_SPIKES: [u64; 3] = [84647, 360851, 76539];
    /// STP network: total spikes in 1000 ms, seeds 1, 2, 3.
    pub const STP_SPIKES: [u64; 3] = [14236, 14530, 14724];
    /// NMDA synapse (tests/data/annarchy/nmda, run with the notebook's
    /// threshold): the inputs' first spike steps, the peak g of each
    /// synapse, the integrator's peak v.
    pub const NMDA: ([u64; 2], [f64; 2], f64) = ([10, 5], [0.504344, 1.0], 1.377572);
}

fn if_cond_exp_part(backend: Backend) -> cajal::Result<[f64; 3]> {
    let mut net = Network::new().dt(0.1);
    let exc_times = (5..105).step_by(10).map(f64::from).collect();
    let inh_times = (155..255).step_by(10).map(f64::from).collect();
    let spike_source_e = net.spike_source_array("spike_sourceE", vec![exc_times])?;
    let spike_source_i = net.spike_source_array("spike_sourceI", vec![inh_times])?;
    let ifcell = net.population("ifcell", 1, &if_cond_exp())?;
    for (name, value) in [
        ("i_offset", 0.1),
        ("tau_refrac", 3.0),
        ("v_thresh", -51.0),
        ("tau_syn_E", 2.0),
        ("tau_syn_I", 5.0),
        ("v_reset", -70.0),
        ("e_rev_E", 0.0),
        ("e_rev_I", -80.0),
    ] {
        net.set(ifcell, name, value)?;
    }
    net.projection(spike_source_e, ifcell, "exc")
        .delays(2.0)
        .connect_all_to_all(0.006)?;
    net.projection(spike_source_i, ifcell, "inh")
        .delays(4.0)
        .connect_all_to_all(0.02)?;
    let m = net.monitor(ifcell, &["v"])?;
    let mut sim = net.compile(backend)?;
    sim.simulate(200.0)?;
    common::timings(&sim);
    let v = sim.recorded(m, "v")?;
    let v: Vec<f64> = v.column(0).iter().map(|&x| f64::from(x)).collect();
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Ok([min, max, *v.last().unwrap_or(&f64::NAN)])
}

fn adex_part(backend: Backend) -> cajal::Result<Vec<u64>> {
    let mut net = Network::new().dt(0.1);
    let pop = net.population("pop", 1, &eif_cond_exp_isfa_ista())?;
    // Regular spiking (the paper's).
    for (name, value) in [
        ("tau_w", 144.0),
        ("a", 4.0),
        ("b", 0.0805),
        ("v_reset", -70.6),
    ] {
        net.set(pop, name, value)?;
    }
    let m = net.monitor(pop, &["spike"])?;
    let mut sim = net.compile(backend)?;
    sim.simulate(20.0)?;
    sim.set(pop, "i_offset", 1.0)?;
    sim.simulate(100.0)?;
    sim.set(pop, "i_offset", 0.0)?;
    sim.simulate(20.0)?;
    common::timings(&sim);
    Ok(sim.spikes(m)?.iter().map(|s| s.0).collect())
}

fn eif_part(backend: Backend, seed: u64) -> cajal::Result<usize> {
    let eif = Neuron::spiking()
        .name("EIF")
        .parameters(
            "v_rest = -70.0 : population
             cm = 0.2 : population
             tau_m = 10.0 : population
             tau_syn_E = 5.0 : population
             tau_syn_I = 10.0 : population
             e_rev_E = 0.0 : population
             e_rev_I = -80.0 : population
             delta_T = 3.0 : population
             v_thresh = -55.0 : population
             v_reset = -70.0 : population
             v_spike = -20.0 : population",
        )
        .equations(
            "dv/dt = (v_rest - v +  delta_T * exp( (v-v_thresh)/delta_T) )/tau_m + ( g_exc * (e_rev_E - v) + g_inh * (e_rev_I - v) )/cm

             tau_syn_E * dg_exc/dt = - g_exc
             tau_syn_I * dg_inh/dt = - g_inh",
        )
        .spike("v > v_spike")
        .reset("v = v_reset")
        .refractory(2.0);
    let mut net = Network::new().dt(0.1).seed(seed);
    let i_exc = net.poisson_population("i_exc", 200, "if t < 200.0 : 2000.0 else : 0.0", None)?;
    let i_inh = net.poisson_population("i_inh", 200, "if t < 100.0 : 2000.0 else : 0.0", None)?;
    let p = net.population("P", 4000, &eif)?;
    let pe = net.slice(p, 0..3200)?;
    let pi = net.slice(p, 3200..4000)?;
    let we = 1.5 / 1000.0;
    let wi = 2.5 * we;
    net.projection(pe, p, "exc")
        .connect_fixed_probability(0.05, we)?;
    net.projection(pi, p, "inh")
        .connect_fixed_probability(0.05, wi)?;
    let first = net.slice(p, 0..200)?;
    net.projection(i_exc, first, "exc").connect_one_to_one(we)?;
    let inh_part = net.slice(p, 3200..3400)?;
    net.projection(i_inh, inh_part, "exc")
        .connect_one_to_one(we)?;
    net.set(p, "v", Dist::uniform(-70.0, -60.0))?;
    net.set(p, "g_exc", Dist::normal(5.0 * we, 2.0 * we))?;
    net.set(p, "g_inh", Dist::normal(5.0 * wi, 2.0 * wi))?;
    let m = net.monitor(p, &["spike"])?;
    let mut sim = net.compile(backend)?;
    sim.simulate(500.0)?;
    common::timings(&sim);
    Ok(sim.spikes(m)?.len())
}

fn stp_part(backend: Backend, seed: u64) -> cajal::Result<usize> {
    let lif = Neuron::spiking()
        .name("LIF")
        .parameters(
            "tau_m = 20.0 : population
             tau_e = 5.0 : population
             tau_i = 10.0 : population
             E_rest = -49.0 : population
             E_thresh = -50.0 : population
             E_reset = -60.0 : population",
        )
        .equations(
            "tau_m * dv/dt = E_rest -v + g_exc - g_inh
             tau_e * dg_exc/dt = -g_exc
             tau_i * dg_inh/dt = -g_inh",
        )
        .spike("v > E_thresh")
        .reset("v = E_reset");
    let stp = Synapse::new()
        .name("STP")
        .parameters(
            "tau_rec = 200.0 : projection
             tau_facil = 20.0 : projection
             U = 0.2 : projection",
        )
        .equations(
            "dx/dt = (1 - x)/tau_rec : init = 1.0, event-driven
             du/dt = (U - u)/tau_facil : init = 0.2, event-driven",
        )
        .pre_spike(
            "g_target += w * u * x
             x *= (1 - u)
             u += U * (1 - u)",
        );
    let mut net = Network::new().dt(0.1).seed(seed);
    let p = net.population("P", 4000, &lif)?;
    net.set(p, "v", Dist::uniform(-60.0, -50.0))?;
    let pe = net.slice(p, 0..3200)?;
    let pi = net.slice(p, 3200..4000)?;
    net.projection(pe, p, "exc")
        .synapse(&stp)
        .connect_fixed_probability(0.02, 1.62)?;
    net.projection(pi, p, "inh")
        .connect_fixed_probability(0.02, 9.0)?;
    let m = net.monitor(p, &["spike"])?;
    let mut sim = net.compile(backend)?;
    sim.simulate(1000.0)?;
    common::timings(&sim);
    Ok(sim.spikes(m)?.len())
}

/// The non-linear synapses cell: the inputs' first spikes, each synapse's
/// peak g, the integrator's peak v.
fn nmda_part(backend: Backend) -> cajal::Result<([u64; 2], [f64; 2], f64)> {
    let mut net = Network::new().dt(1.0);
    let linear = Neuron::spiking()
        .equations("dv/dt = 0.1")
        .spike("v>1.0")
        .reset("v=0.0");
    let integrator = Neuron::spiking()
        .equations("dv/dt = 0.1*(g_exc -v)")
        .spike("v>2.0")
        .reset("v=0.0");
    let nmda = Synapse::new()
        .parameters("tau = 10.0 : projection")
        .equations(
            "tau * dx/dt = -x
             tau * dg/dt = -g +  x * (1 -g)",
        )
        .pre_spike("x += w")
        .psp("g");
    let input = net.population("input", 2, &linear)?;
    let pop = net.population("pop", 1, &integrator)?;
    let proj = net
        .projection(input, pop, "exc")
        .synapse(&nmda)
        .connect_from_matrix(ndarray::arr2(&[[1.0f32, 10.0]]))?;
    let m = net.monitor(pop, &["v"])?;
    let spikes = net.monitor(input, &["spike"])?;
    let w = net.monitor_projection(proj, Some(0), &["g"], 1.0)?;
    let mut sim = net.compile(backend)?;
    sim.set(input, "v", vec![0.0f32, 0.5])?;
    sim.simulate(100.0)?;
    common::timings(&sim);
    let s = sim.spikes(spikes)?;
    let first = |k: u32| s.iter().find(|x| x.1 == k).map_or(0, |x| x.0);
    let g = sim.recorded(w, "g")?;
    let peak = |c: usize| g.column(c).iter().fold(0.0f64, |a, &x| a.max(f64::from(x)));
    let v = sim.recorded(m, "v")?;
    let vmax = v.iter().fold(f64::MIN, |a, &x| a.max(f64::from(x)));
    Ok(([first(0), first(1)], [peak(0), peak(1)], vmax))
}

fn main() -> cajal::Result<()> {
    let backend = common::backend();
    println!("| part | quantity | cajal | ANNarchy 5.0.4.1 |");
    println!("|---|---|---|---|");
    let v = if_cond_exp_part(backend)?;
    for (k, name) in ["min v (mV)", "max v (mV)", "final v (mV)"]
        .iter()
        .enumerate()
    {
        println!(
            "| IF_cond_exp | {name} | {:.4} | {:.4} |",
            v[k],
            annarchy::IF_COND_EXP_V[k]
        );
    }
    let spikes = adex_part(backend)?;
    println!(
        "| AdEx | spike steps | {spikes:?} | {:?} |",
        annarchy::ADEX_SPIKES
    );
    let eif: Vec<usize> = (1..=3)
        .map(|seed| eif_part(backend, seed))
        .collect::<cajal::Result<_>>()?;
    println!(
        "| EIF network | spikes in 500 ms (3 seeds) | {eif:?} | {:?} |",
        annarchy::EIF_SPIKES
    );
    let stp: Vec<usize> = (1..=3)
        .map(|seed| stp_part(backend, seed))
        .collect::<cajal::Result<_>>()?;
    println!(
        "| STP network | spikes in 1000 ms (3 seeds) | {stp:?} | {:?} |",
        annarchy::STP_SPIKES
    );
    let (first, g, v) = nmda_part(backend)?;
    let (a_first, a_g, a_v) = annarchy::NMDA;
    println!("| NMDA synapse | first spikes of the inputs | {first:?} | {a_first:?} |");
    println!(
        "| NMDA synapse | peak g of the two synapses | {:.4}, {:.4} | {:.4}, {:.4} |",
        g[0], g[1], a_g[0], a_g[1]
    );
    println!("| NMDA synapse | peak v of the integrator | {v:.4} | {a_v:.4} |");
    Ok(())
}

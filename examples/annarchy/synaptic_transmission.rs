//! ANNarchy's Synaptic transmission notebook: one spike at 10 ms reaches a
//! LIF neuron through three projections (w = 1) whose conductances decay
//! differently: `g_a` has no equation (it lasts one step), `g_b` decays
//! exponentially and `g_c` drives an alpha-shaped `alpha_c` (both with the
//! exponential method; the factor `exp((tau_c - dt/2)/tau_c)` makes the
//! alpha function peak at 1). dt = 1 ms (ANNarchy's default), 100 ms.
//!
//! Deterministic, so each recorded trace's peak, peak sample, length and
//! value at 30 ms are printed beside ANNarchy 5.0.4.1's
//! (`tests/data/annarchy/notebooks/synaptic_transmission`).
//!
//! `cargo run --release --example nb_synaptic_transmission [cpu|gpu|auto]`

#[path = "common.rs"]
mod common;

use cajal::prelude::*;
use common::exact;

/// ANNarchy 5.0.4.1
/// (tests/data/annarchy/notebooks/synaptic_transmission/synaptic_transmission.json):
/// per variable, peak, peak sample, samples above 1e-6 (-1: not counted
/// for v), value at sample 30.
const ANNARCHY: [(&str, f64, f64, f64, f64); 4] = [
    ("g_a", 1.0, 11.0, 1.0, 0.0),
    ("g_b", 1.0, 11.0, 89.0, 0.14956861922263487),
    (
        "alpha_c",
        1.0004167187531001,
        20.0,
        89.0,
        0.7360654868669164,
    ),
    ("v", -69.19818231105533, 32.0, -1.0, -69.20295035763614),
];

fn main() -> cajal::Result<()> {
    let backend = common::backend();
    let lif = Neuron::spiking()
        .name("LIF")
        .parameters(
            "tau = 20.
             E_L = -70.
             v_T = 0.
             v_r = -58.
             tau_b = 10.0
             tau_c = 10.0",
        )
        .equations(
            "# Membrane potential
             tau * dv/dt = (E_L - v) + g_a + g_b + alpha_c : init=-70.

             # Exponentially decreasing
             tau_b * dg_b/dt = -g_b : exponential

             # Alpha-shaped
             tau_c * dg_c/dt = -g_c : exponential
             tau_c * dalpha_c/dt = exp((tau_c - dt/2.0)/tau_c) * g_c - alpha_c  : exponential",
        )
        .spike("v >= v_T")
        .reset("v = v_r")
        .refractory(2.0);
    let mut net = Network::new().dt(1.0);
    let inp = net.spike_source_array("inp", vec![vec![10.0]])?;
    let pop = net.population("pop", 1, &lif)?;
    for target in ["a", "b", "c"] {
        net.projection(inp, pop, target).connect_all_to_all(1.0)?;
    }
    let m = net.monitor(pop, &["g_a", "g_b", "alpha_c", "v"])?;
    let mut sim = net.compile(backend)?;
    println!("engine: {:?}", sim.backend());
    sim.simulate(100.0)?;
    common::timings(&sim);

    println!("{:<40} {:>12}   ANNarchy 5.0.4.1", "quantity", "cajal");
    for (var, peak, peak_sample, nonzero, at_30) in ANNARCHY {
        let x = sim.recorded(m, var)?.column(0).to_vec();
        let k = (0..x.len()).max_by(|&a, &b| x[a].total_cmp(&x[b])).unwrap();
        exact(&format!("{var}: peak"), f64::from(x[k]), peak);
        exact(&format!("{var}: peak sample"), k as f64, peak_sample);
        if nonzero >= 0.0 {
            let n = x.iter().filter(|v| v.abs() > 1e-6).count();
            exact(&format!("{var}: samples above 1e-6"), n as f64, nonzero);
        }
        exact(&format!("{var}: sample 30"), f64::from(x[30]), at_30);
    }
    Ok(())
}

//! ANNarchy's Hodgkin-Huxley notebook: one Hodgkin-Huxley neuron (the
//! midpoint method, dt = 0.01 ms), 100 ms at rest, a 200 uA/cm2 current
//! pulse for 1 ms, then 100 ms more: one action potential, its
//! after-hyperpolarisation and the return to rest. The spike is emitted
//! when V crosses 30 mV from below (`prev_V` keeps the last step's V); no
//! reset.
//!
//! Deterministic, so the spike step and the features of the V and n
//! traces are printed beside ANNarchy 5.0.4.1's
//! (`tests/data/annarchy/notebooks/hodgkin_huxley`).
//!
//! `cargo run --release --example nb_hodgkin_huxley [cpu|gpu|auto]`

#[path = "common.rs"]
mod common;

use cajal::prelude::*;
use common::exact;

// ANNarchy 5.0.4.1 (tests/data/annarchy/notebooks/hodgkin_huxley/hodgkin_huxley.json).
const SPIKE_STEP: f64 = 10045.0;
const V_AT_100MS: f64 = -69.99679049354881;
const V_PEAK: f64 = 42.36754290546245;
const V_PEAK_STEP: f64 = 10056.0;
const V_MIN: f64 = -80.92413282669338;
const V_MIN_STEP: f64 = 10263.0;
const N_PEAK: f64 = 0.7167765483836578;
const V_FINAL: f64 = -69.99679004433378;

fn main() -> cajal::Result<()> {
    let backend = common::backend();
    let dt = 0.01;
    let hh = Neuron::spiking()
        .name("HH")
        .parameters(
            "C = 1.0 # Capacitance
             VL = -59.387 # Leak voltage
             VK = -82.0 # Potassium reversal voltage
             VNa = 45.0 # Sodium reveral voltage
             gK = 36.0 # Maximal Potassium conductance
             gNa = 120.0 # Maximal Sodium conductance
             gL = 0.3 # Leak conductance
             vt = 30.0 # Threshold for spike emission
             I = 0.0 # External current",
        )
        .equations(
            "# Previous membrane potential
             prev_V = V

             # Voltage-dependency parameters
             an = 0.01 * (V + 60.0) / (1.0 - exp(-0.1* (V + 60.0) ) )
             am = 0.1 * (V + 45.0) / (1.0 - exp (- 0.1 * ( V + 45.0 )))
             ah = 0.07 * exp(- 0.05 * ( V + 70.0 ))

             bn = 0.125 * exp (- 0.0125 * (V + 70.0))
             bm = 4.0 *  exp (- (V + 70.0) / 80.0)
             bh = 1.0/(1.0 + exp (- 0.1 * ( V + 40.0 )) )

             # Alpha/Beta functions
             dn/dt = an * (1.0 - n) - bn * n : init = 0.3, midpoint
             dm/dt = am * (1.0 - m) - bm * m : init = 0.0, midpoint
             dh/dt = ah * (1.0 - h) - bh * h : init = 0.6, midpoint

             # Membrane equation
             C * dV/dt = gL * (VL - V ) + gK * n**4 * (VK - V) + gNa * m**3 * h * (VNa - V) + I : midpoint",
        )
        .spike(
            "# Spike is emitted when the membrane potential crosses the threshold from below
             (V > vt) and (prev_V <= vt)",
        )
        .reset("# Nothing to do, it is built-in...");
    let mut net = Network::new().dt(dt);
    let pop = net.population("pop", 1, &hh)?;
    net.set(pop, "V", -50.0)?;
    let mon = net.monitor(pop, &["spike", "V", "n", "m", "h"])?;
    let mut sim = net.compile(backend)?;
    println!("engine: {:?}", sim.backend());
    sim.simulate(100.0)?;
    sim.set(pop, "I", 200.0)?;
    sim.simulate(1.0)?;
    sim.set(pop, "I", 0.0)?;
    sim.simulate(100.0)?;
    common::timings(&sim);

    let v = sim.recorded(mon, "V")?.column(0).to_vec();
    let n = sim.recorded(mon, "n")?.column(0).to_vec();
    let spikes = sim.spikes(mon)?;
    // The pulse starts at sample 10000 (100 ms).
    let after = (100.0 / dt).round() as usize;
    let argmax = |x: &[f32]| (0..x.len()).max_by(|&a, &b| x[a].total_cmp(&x[b])).unwrap();
    let argmin = |x: &[f32]| (0..x.len()).min_by(|&a, &b| x[a].total_cmp(&x[b])).unwrap();
    let peak = after + argmax(&v[after..]);
    let low = after + argmin(&v[after..]);
    let n_peak = n[after..].iter().copied().fold(f32::MIN, f32::max);

    println!("{:<40} {:>12}   ANNarchy 5.0.4.1", "quantity", "cajal");
    println!("{:<40} {:>12}   1", "spikes", spikes.len());
    let first = spikes.first().map_or(-1.0, |s| s.0 as f64);
    exact("spike step", first, SPIKE_STEP);
    exact("V at 100 ms (mV)", f64::from(v[after - 1]), V_AT_100MS);
    exact("V peak after the pulse (mV)", f64::from(v[peak]), V_PEAK);
    exact("V peak sample", peak as f64, V_PEAK_STEP);
    exact("V minimum after the pulse (mV)", f64::from(v[low]), V_MIN);
    exact("V minimum sample", low as f64, V_MIN_STEP);
    exact("n peak after the pulse", f64::from(n_peak), N_PEAK);
    exact("V at the end (mV)", f64::from(v[v.len() - 1]), V_FINAL);
    Ok(())
}

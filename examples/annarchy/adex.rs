//! ANNarchy's AdEx notebook: the adaptive exponential integrate-and-fire
//! neuron (Brette & Gerstner 2005) with the eight parameter sets of Naud et
//! al. (2008), one neuron each: a) tonic spiking, b) adaptation, c) initial
//! burst, d) regular bursting, e) delayed accelerating, f) delayed regular
//! bursting, g) transient spiking, h) irregular spiking. 500 ms with the
//! current, 50 ms without, dt = 0.1 ms, explicit Euler.
//!
//! Deterministic, so each neuron's spike count, first and last spike step
//! and final v are printed beside ANNarchy 5.0.4.1's
//! (`tests/data/annarchy/notebooks/adex`).
//!
//! `cargo run --release --example nb_adex [cpu|gpu|auto]`

#[path = "common.rs"]
mod common;

use cajal::prelude::*;

/// ANNarchy 5.0.4.1 (tests/data/annarchy/notebooks/adex/adex.json):
/// spike count, first and last spike step (-1: none), final v (mV).
const ANNARCHY: [(usize, i64, i64, f64); 8] = [
    (42, 144, 5007, -70.6150),
    (10, 151, 4519, -87.6528),
    (10, 57, 4755, -70.7437),
    (9, 164, 4572, -72.2763),
    (30, 338, 4931, -57.1728),
    (0, -1, -1, -64.6189),
    (66, 82, 4971, -85.6157),
    (25, 159, 4779, -64.1424),
];

const PATTERNS: [&str; 8] = [
    "a) tonic spiking",
    "b) adaptation",
    "c) initial burst",
    "d) regular bursting",
    "e) delayed accelerating",
    "f) delayed regular bursting",
    "g) transient spiking",
    "h) irregular spiking",
];

fn main() -> cajal::Result<()> {
    let backend = common::backend();
    let adex = Neuron::spiking()
        .name("AdEx")
        .parameters(
            "C = 200.
             gL = 10. # not g_L! g_ is reserved for spike transmission
             E_L = -70.
             v_T = -50.
             delta_T = 2.0
             a = 2.0
             tau_w = 30.
             b = 0.
             v_r = -58.
             I = 500.
             v_spike = 0.0",
        )
        .equations(
            "C * dv/dt = - gL * (v - E_L) +  gL * delta_T * exp((v-v_T)/delta_T) + I - w : init=-70.0
             tau_w * dw/dt = a * (v - E_L) - w  : init=0.0",
        )
        .spike("v >= v_spike")
        .reset("v = v_r\n w += b")
        .refractory(2.0);
    let mut net = Network::new().dt(0.1);
    let pop = net.population("pop", 8, &adex)?;
    let m = net.monitor(pop, &["v", "spike"])?;
    let mut sim = net.compile(backend)?;
    println!("engine: {:?}", sim.backend());
    let params: [(&str, [f32; 8]); 10] = [
        ("C", [200., 200., 130., 200., 200., 200., 100., 100.]),
        ("gL", [10., 12., 18., 10., 12., 12., 10., 12.]),
        ("E_L", [-70., -70., -58., -58., -70., -70., -65., -60.]),
        ("v_T", [-50.; 8]),
        ("delta_T", [2.; 8]),
        ("a", [2., 2., 4., 2., -10., -6., -10., -11.]),
        ("tau_w", [30., 300., 150., 120., 300., 300., 90., 130.]),
        ("b", [0., 60., 120., 100., 0., 0., 30., 30.]),
        ("v_r", [-58., -58., -50., -46., -58., -58., -47., -48.]),
        ("I", [500., 500., 400., 210., 300., 110., 350., 160.]),
    ];
    for (name, values) in &params {
        sim.set(pop, name, values.to_vec())?;
    }
    sim.set(pop, "v", params[2].1.to_vec())?;
    sim.set(pop, "w", 0.0)?;
    sim.simulate(500.0)?;
    sim.set(pop, "I", 0.0)?;
    sim.simulate(50.0)?;
    common::timings(&sim);

    let v = sim.recorded(m, "v")?;
    let mut trains = vec![Vec::new(); 8];
    for (step, i) in sim.spikes(m)? {
        trains[i as usize].push(step as i64);
    }
    println!(
        "{:<28} {:>15} {:>15} {:>15} {:>19}",
        "pattern", "spikes", "first step", "last step", "final v (mV)"
    );
    println!(
        "{:<28} {:>15} {:>15} {:>15} {:>19}",
        "", "cajal/ANN", "cajal/ANN", "cajal/ANN", "cajal/ANNarchy"
    );
    let mut same = 0;
    for (i, (n, first, last, v_end)) in ANNARCHY.iter().enumerate() {
        let t = &trains[i];
        let (f, l) = (*t.first().unwrap_or(&-1), *t.last().unwrap_or(&-1));
        let v_final = f64::from(v[[v.nrows() - 1, i]]);
        same += usize::from(t.len() == *n && f == *first && l == *last);
        println!(
            "{:<28} {:>15} {:>15} {:>15} {:>19}",
            PATTERNS[i],
            format!("{}/{n}", t.len()),
            format!("{f}/{first}"),
            format!("{l}/{last}"),
            format!("{v_final:.3}/{v_end:.3}"),
        );
    }
    println!("{same} of 8 neurons spike exactly as in ANNarchy");
    Ok(())
}

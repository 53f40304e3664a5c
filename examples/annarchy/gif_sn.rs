//! ANNarchy's GIF_SN notebook: 500 unconnected generalized integrate-and-
//! fire neurons (ANNarchy 5's `GIF_curr` with `u_r = 25`, `u_th = 10`,
//! `c = 10`, `delta_u = 5`, no synaptic current), `u` set to 15, driven by
//! `I_ext = (15 - u_r) / R` for 300 ms and `(30 - u_r) / R` for 300 ms
//! (dt = 1 ms): the escape rate fires them about twice as often in the
//! second half, and the adaptive threshold `v` of neuron 15 follows.
//!
//! The draws are random, so the example runs several seeds and prints the
//! means beside ANNarchy 5.0.4.1's over its seeds
//! (`tests/data/annarchy/notebooks/gif_sn`).
//!
//! `cargo run --release --example nb_gif_sn [cpu|gpu|auto] [SEEDS]` (20
//! seeds by default).

#[path = "common.rs"]
mod common;

use cajal::prelude::*;

/// ANNarchy 5.0.4.1, seeds 1..=20: (mean, min, max).
const ANNARCHY: [(&str, (f64, f64, f64)); 4] = [
    ("rate, first 300 ms (Hz)", (21.8263, 21.3733, 22.2733)),
    ("rate, last 300 ms (Hz)", (43.244, 43.0067, 43.6467)),
    (
        "neuron 15's mean v, first 300 ms",
        (13.4607, 11.4975, 15.2742),
    ),
    (
        "neuron 15's mean v, last 300 ms",
        (22.032, 19.8788, 24.1341),
    ),
];

fn main() -> cajal::Result<()> {
    let backend = common::backend();
    let seeds = common::seeds(20);
    let mut per_seed: Vec<[f64; 4]> = Vec::new();
    for seed in 1..=seeds {
        let mut net = Network::new().seed(seed);
        let p = net.population("P", 500, &cajal::models::gif_curr_with(""))?;
        // GIF_curr(u_r=25, u_th=10, c=10, delta_u=5, I_ext=0): v starts at
        // u_th (`init = u_th`); the notebook then sets u to 15.
        for (k, v) in [
            ("u_r", 25.0),
            ("u_th", 10.0),
            ("c", 10.0),
            ("delta_u", 5.0),
            ("I_ext", 0.0),
        ] {
            net.set(p, k, v)?;
        }
        net.set(p, "u", 15.0)?;
        let one = net.slice(p, 15..16)?;
        let m = net.monitor(&one, &["v"])?;
        let spikes = net.monitor(p, &["spike"])?;
        let mut sim = net.compile(backend)?;
        if seed == 1 {
            println!("engine: {:?}", sim.backend());
        }
        let r = f64::from(sim.get_neuron(p, 0, "R")?);
        for mu in [15.0, 30.0] {
            sim.set(p, "I_ext", (mu - 25.0) / r)?;
            sim.simulate(300.0)?;
        }
        common::timings(&sim);
        let s = sim.spikes(spikes)?;
        let low = s.iter().filter(|(step, _)| *step < 300).count() as f64;
        let v = sim.recorded(m, "v")?;
        let mean = |rows: std::ops::Range<usize>| {
            let n = rows.len() as f64;
            rows.map(|k| f64::from(v[[k, 0]])).sum::<f64>() / n
        };
        per_seed.push([
            low / 500.0 / 0.3,
            (s.len() as f64 - low) / 500.0 / 0.3,
            mean(0..300),
            mean(300..600),
        ]);
    }
    common::spread_table("seeds", &ANNARCHY, &per_seed);
    Ok(())
}

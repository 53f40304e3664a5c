//! ANNarchy's GIF_CUBA notebook: the CUBA network of Vogels & Abbott
//! (2005) made of ANNarchy 5's generalized integrate-and-fire neurons
//! (`GIF_curr_exp`, spikes drawn with an escape rate): 4000 neurons, 3200
//! excitatory (w = 1.62) and 800 inhibitory (w = 9.0), connection
//! probability 2 %, dt = 0.1 ms, 1 s.
//!
//! The notebook also sets `P[:3200].Jv = 1500`, a name the model does not
//! have (its parameter is `J_v`, shared by the population); ANNarchy
//! keeps it as a plain Python attribute, so every neuron keeps `J_v =
//! 1000`, as here (cajal's `Network::set` refuses an unknown name).
//!
//! The draws are random, so the example runs several seeds and prints the
//! mean rate beside ANNarchy 5.0.4.1's over its seeds
//! (`tests/data/annarchy/gif`, `cuba_rates_hz`; the notebook printed
//! 5.788 Hz).
//!
//! `cargo run --release --example nb_gif_cuba [cpu|gpu|auto] [SEEDS]` (5
//! seeds by default).

#[path = "common.rs"]
mod common;

use cajal::prelude::*;
use common::{mean_min_max, spread};
use std::time::Instant;

/// ANNarchy 5.0.4.1, seeds 0..=4: mean, min, max of the rate (Hz).
const ANNARCHY: (f64, f64, f64) = (5.8215, 5.79, 5.85);

fn main() -> cajal::Result<()> {
    let backend = common::backend();
    let seeds = common::seeds(5);
    let t0 = Instant::now();
    let mut rates = Vec::new();
    for seed in 1..=seeds {
        let mut net = Network::new().dt(0.1).seed(seed);
        let p = net.population("P", 4000, &cajal::models::gif_curr_exp())?;
        let exc = net.slice(p, 0..3200)?;
        let inh = net.slice(p, 3200..4000)?;
        net.projection(&exc, p, "exc")
            .connect_fixed_probability(0.02, 1.62)?;
        net.projection(&inh, p, "inh")
            .connect_fixed_probability(0.02, 9.0)?;
        let m = net.monitor(p, &["spike"])?;
        let mut sim = net.compile(backend)?;
        if seed == 1 {
            println!("engine: {:?}", sim.backend());
        }
        sim.simulate(1000.0)?;
        common::timings(&sim);
        rates.push(sim.spikes(m)?.len() as f64 / 4000.0);
    }
    println!(
        "{seeds} seeds x 4000 GIF neurons, 1 s each, in {:.1} s\n",
        t0.elapsed().as_secs_f64()
    );
    println!(
        "{:<40} {:>10} [range over seeds]   ANNarchy mean [range]",
        "quantity", "cajal mean"
    );
    spread("mean rate (Hz)", mean_min_max(&rates), ANNARCHY);
    Ok(())
}

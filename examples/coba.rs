//! The COBA benchmark network (Vogels & Abbott 2005): 4000 conductance-based
//! LIF neurons, 1 s of simulated time, mean firing rate printed.
//!
//! `cargo run --release --example coba [N]`

use cajal::prelude::*;
use std::time::Instant;

fn main() -> cajal::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(4000);
    let t0 = Instant::now();
    let (mut net, exc, inh) = cajal::networks::coba(n, 42)?;
    let me = net.monitor(exc, &["spike"])?;
    let mi = net.monitor(inh, &["spike"])?;
    let mut sim = net.compile(Backend::Cpu)?;
    let build = t0.elapsed();
    let t1 = Instant::now();
    sim.simulate(1000.0)?;
    let run = t1.elapsed();
    let spikes = sim.spikes(me)?.len() + sim.spikes(mi)?.len();
    println!(
        "COBA N = {n}: built in {:.3} s, 1 s simulated in {:.3} s",
        build.as_secs_f64(),
        run.as_secs_f64()
    );
    println!(
        "{spikes} spikes, mean rate {:.2} Hz",
        spikes as f64 / n as f64
    );
    Ok(())
}

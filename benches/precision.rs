//! Double precision against single on the CPU engine: COBA 4000 and
//! 16000 (`networks::coba_in`) and 1000 Poisson inputs onto one neuron
//! through STDP synapses; wall seconds per simulated second, f32 and f64
//! interleaved, the minimum over rounds, and the spikes of each (so that
//! one sees the same thing was simulated).
//!
//! `cargo bench --bench precision [-- ROUNDS]`; results are recorded in
//! BENCHMARKS.md.
use cajal::prelude::*;
use cajal::real::Dtype;
use std::time::Instant;

fn coba(n: usize, dtype: Dtype) -> (Network, MonitorId) {
    let (mut net, exc, _) = cajal::networks::coba_in(dtype, n, 1).unwrap();
    let m = net.monitor(exc, &["spike"]).unwrap();
    (net, m)
}

fn stdp(dtype: Dtype) -> (Network, MonitorId) {
    let mut net = Network::new().dt(1.0).seed(3).dtype(dtype);
    let inp = net.poisson_population("in", 1000, 15.0, None).unwrap();
    let out = net
        .population("out", 1, &cajal::models::if_curr_exp())
        .unwrap();
    net.projection(inp, out, "exc")
        .synapse(&cajal::models::synapses::stdp(
            20.0, 20.0, 0.01, 0.0105, 0.0, 0.03,
        ))
        .connect_all_to_all(Weights::random(Dist::uniform(0.0, 0.03)))
        .unwrap();
    let m = net.monitor(out, &["spike"]).unwrap();
    (net, m)
}

fn time((net, m): &(Network, MonitorId), ms: f64) -> (f64, usize) {
    let mut sim = net.compile(Backend::Cpu).unwrap();
    let t = Instant::now();
    sim.simulate(ms).unwrap();
    let s = t.elapsed().as_secs_f64() / (ms / 1000.0);
    let spikes = sim.spikes(*m).map(|v| v.len()).unwrap_or(0);
    (s, spikes)
}

fn main() {
    // `cargo bench` passes `--bench`: the rounds are the first number.
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(3);
    for (name, build, ms) in [
        (
            "coba 4000",
            Box::new(|d| coba(4000, d)) as Box<dyn Fn(Dtype) -> (Network, MonitorId)>,
            1000.0,
        ),
        ("coba 16000", Box::new(|d| coba(16000, d)), 500.0),
        ("stdp 1000->1", Box::new(stdp), 20000.0),
    ] {
        let nets = [build(Dtype::F32), build(Dtype::F64)];
        let mut best = [f64::MAX; 2];
        let mut spikes = [0; 2];
        for _ in 0..rounds {
            for k in 0..2 {
                let (s, n) = time(&nets[k], ms);
                best[k] = best[k].min(s);
                spikes[k] = n;
            }
        }
        println!(
            "{name}: f32 {:.4} s/s ({} spikes), f64 {:.4} s/s ({} spikes), f64/f32 {:.2}",
            best[0],
            spikes[0],
            best[1],
            spikes[1],
            best[1] / best[0]
        );
    }
}

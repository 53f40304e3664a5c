//! One program over several MPI processes: a plastic network (Poisson
//! input through STDP synapses with delays onto COBA neurons) built and
//! run by every process, each owning a block of every population and the
//! synapses onto it. Rank 0 prints a digest of the spikes, the membrane
//! potentials and the learned weights, the same on any number of
//! processes as in one (tests/mpi/run compares them). With the argument
//! `gpu`, every process runs the GPU engine in ordered mode (the same
//! digests on any number of processes, those of one ordered GPU process).
//!
//! ```sh
//! cargo build --release --features mpi --example distributed
//! mpirun -np 3 target/release/examples/distributed
//! mpirun -np 2 target/release/examples/distributed gpu
//! mpirun -np 2 target/release/examples/distributed gpu 100   # 100 ms, not 300
//! ```

use cajal::models::synapses::stdp;
use cajal::prelude::*;

fn main() -> cajal::Result<()> {
    // First, so that the network built below keeps this process's part.
    let world = cajal::mpi::World::init()?;
    let mut net = Network::new().dt(0.1).seed(3);
    let input = net.poisson_population("input", 900, 15.0, None)?;
    let pop = net.population("pop", 800, &cajal::networks::coba_neuron())?;
    net.set(pop, "v", Dist::uniform(-60.0, -50.0))?;
    let plastic = net
        .projection(input, pop, "exc")
        .synapse(&stdp(20.0, 20.0, 0.01, 0.012, 0.0, 1.0))
        .delays(Delays::random(Dist::uniform(1.0, 4.0)))
        .connect_fixed_probability(0.1, Weights::random(Dist::uniform(0.1, 0.5)))?;
    net.projection(pop, pop, "inh")
        .connect_fixed_probability(0.05, 1.0)?;
    let m = net.monitor(pop, &["spike"])?;
    let mut sim = match std::env::args().nth(1).as_deref() {
        Some("gpu") => {
            let opts = cajal::engine::gpu::GpuOptions {
                deterministic: true,
                ..Default::default()
            };
            net.compile_distributed_gpu(world, &opts)?
        }
        _ => net.compile_distributed(world)?,
    };
    let ms: f64 = match std::env::args().nth(2) {
        Some(a) => a.parse().map_err(|_| cajal::Error::Invalid {
            owner: "examples/distributed".into(),
            message: format!("not a duration in ms: '{a}'"),
        })?,
        None => 300.0,
    };
    sim.simulate(ms)?;
    // Reads are collective: every process makes them.
    let spikes = sim.spikes(m)?;
    let v = sim.get(pop, "v")?;
    let (_, _, w) = sim.synapses(plastic, "w")?;
    let (exchange_s, exchanges) = sim.exchanges();
    if sim.rank() == 0 {
        let digest = |x: &[f32]| {
            x.iter()
                .fold(0u64, |h, v| h.rotate_left(5) ^ u64::from(v.to_bits()))
        };
        println!("spikes {}", spikes.len());
        println!(
            "spike digest {:016x}",
            spikes.iter().fold(0u64, |h, &(s, i)| h.rotate_left(7)
                ^ s
                ^ (u64::from(i) << 32))
        );
        println!("v digest {:016x}", digest(v.as_slice().unwrap_or(&[])));
        println!("w digest {:016x} over {} synapses", digest(&w), w.len());
        eprintln!(
            "{} processes: {exchanges} exchanges, {exchange_s:.3} s in them",
            sim.ranks()
        );
    }
    Ok(())
}

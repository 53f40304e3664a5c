//! The network of `tests/python/test_twin.py`, built with the Rust API:
//! the Python test builds the same network with `import cajal as ann`,
//! call for call, and checks that both give the same spikes, bit for bit,
//! on the CPU engine. Prints the spikes as JSON lines `[step, rank]` per
//! population.
//!
//! `cargo run --release --example python_twin [SEED]`

use cajal::prelude::*;

fn main() -> cajal::Result<()> {
    let seed = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);
    let lif = Neuron::spiking()
        .parameters(
            "tau = 20.0 : population
             tau_exc = 5.0 : population
             tau_inh = 10.0 : population
             El = -60.0 : population
             Vt = -50.0 : population
             Vr = -60.0 : population
             I = 20.0",
        )
        .equations(
            "tau * dv/dt = (El - v) + g_exc * (0.0 - v) + g_inh * (-80.0 - v) + I + Normal(0.0, 0.5)
             tau_exc * dg_exc/dt = - g_exc
             tau_inh * dg_inh/dt = - g_inh",
        )
        .spike("v > Vt")
        .reset("v = Vr")
        .refractory(5.0);
    let mut net = Network::new().dt(0.1).seed(seed);
    let pop = net.population("pop", 1000, &lif)?;
    let noise = net.poisson_population("noise", 200, 20.0, None)?;
    net.set(pop, "v", Dist::normal(-55.0, 5.0))?;
    net.set(pop, "I", Dist::uniform(15.0, 25.0))?;
    let exc = net.slice(pop, 0..800)?;
    let inh = net.slice(pop, 800..1000)?;
    net.projection(&exc, pop, "exc")
        .connect_fixed_probability(0.05, Dist::uniform(0.2, 0.8))?;
    net.projection(&inh, pop, "inh")
        .delays(Dist::uniform(0.5, 2.0))
        .connect_fixed_probability(0.05, 6.0)?;
    net.projection(noise, pop, "exc")
        .connect_fixed_number_pre(10, 0.5)?;
    let m = net.monitor(pop, &["spike"])?;
    let mn = net.monitor(noise, &["spike"])?;
    let mut sim = net.compile(Backend::Cpu)?;
    sim.simulate(200.0)?;
    for id in [m, mn] {
        let spikes = sim.spikes(id)?;
        let pairs: Vec<String> = spikes.iter().map(|(s, r)| format!("[{s},{r}]")).collect();
        println!("[{}]", pairs.join(","));
    }
    Ok(())
}

//! Networks the distributed tests of both engines run on 1 to 3 ranks
//! against one simulation (tests/engines/distributed.rs,
//! tests/gpu/distributed.rs): each with what it records and reads.

use cajal::models::synapses::oja;
use cajal::prelude::*;

/// A network, its monitors with the variables read of each, the
/// population variables and the projection variables read after a run.
pub type Built = (
    Network,
    Vec<(MonitorId, Vec<&'static str>)>,
    Vec<(PopId, &'static str)>,
    Vec<(ProjId, &'static str)>,
);

/// COBA with 1300 neurons: exc 1040 (5 chunks of 256, the last partial),
/// inh 260 (2 chunks), delays of one step; a view of scattered neurons.
pub fn coba_1300() -> cajal::Result<Built> {
    let (mut net, exc, inh) = cajal::networks::coba(1300, 3)?;
    let view = net.view(exc, &[0, 3, 300, 600, 1000, 1039])?;
    let m1 = net.monitor(exc, &["spike", "g_exc"])?;
    let m2 = net.monitor(&view, &["v", "spike"])?;
    let m3 = net.monitor(inh, &["spike"])?;
    Ok((
        net,
        vec![
            (m1, vec!["spike", "g_exc"]),
            (m2, vec!["v", "spike"]),
            (m3, vec!["spike"]),
        ],
        vec![(exc, "v"), (inh, "g_inh")],
        vec![],
    ))
}

/// Rate-coded: Oja's rule reads pre.r and post.r; the weighted sums read
/// pre.r of every rank's neurons, one projection 3 steps late; noise drawn
/// by key.
pub fn oja_rates() -> cajal::Result<Built> {
    let mut net = Network::new().dt(1.0).seed(2);
    let neuron = Neuron::rate()
        .parameters("tau = 10.0\nb = 0.0")
        .equations("tau * dr/dt + r = sum(exc) + b + Uniform(-0.1, 0.1) : min = 0.0");
    let a = net.population("a", 300, &neuron)?;
    let b = net.population("b", 600, &neuron)?;
    net.set(a, "b", Dist::uniform(0.0, 1.0))?;
    let q = net
        .projection(a, b, "exc")
        .synapse(&oja(0.01, 0.5))
        .connect_fixed_probability(0.2, Weights::random(Dist::uniform(0.0, 0.2)))?;
    net.projection(b, a, "exc")
        .delays(Delays::constant(3.0))
        .connect_fixed_probability(0.1, 0.01)?;
    let m = net.monitor(b, &["r"])?;
    Ok((net, vec![(m, vec!["r"])], vec![(a, "r")], vec![(q, "w")]))
}

//! COBA (Vogels & Abbott 2005, as in ANNarchy's and Brian2's examples):
//! 4000 neurons for 1 s give a mean rate of about 21 Hz in ANNarchy and
//! Brian2 (21.0-22.2 Hz at N = 4k-64k); cajal must lie within 15-30 Hz.

use crate::common::tests;
use cajal::prelude::*;

tests! {
    cpu: [
        coba_rate_is_in_the_published_range,
        coba_connectivity_has_the_requested_in_degree,
    ],
}

fn coba_rate_is_in_the_published_range() {
    let (mut net, exc, inh) = cajal::networks::coba(4000, 42).unwrap();
    let me = net.monitor(exc, &["spike"]).unwrap();
    let mi = net.monitor(inh, &["spike"]).unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    sim.simulate(1000.0).unwrap();
    let n = sim.spikes(me).unwrap().len() + sim.spikes(mi).unwrap().len();
    let rate = n as f64 / 4000.0;
    assert!(
        (15.0..=30.0).contains(&rate),
        "COBA mean rate {rate:.2} Hz outside 15-30 Hz"
    );
    // Both populations fire: the network is balanced, not silent on one side.
    assert!(sim.population_rate(me, 1000.0).unwrap() > 5.0);
    assert!(sim.population_rate(mi, 1000.0).unwrap() > 5.0);
}

fn coba_connectivity_has_the_requested_in_degree() {
    let (net, exc, _) = cajal::networks::coba(4000, 1).unwrap();
    let ee = net.find_projection("exc->exc:exc").unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    // p = 0.02 over 3200 pre-synaptic neurons gives 64 on average.
    let (post, _, w) = sim.synapses(ee, "w").unwrap();
    let mean = post.len() as f64 / 3200.0;
    assert!((mean - 64.0).abs() < 2.0, "mean exc in-degree {mean}");
    assert!(w.iter().all(|&x| x == 0.6));
    sim.simulate(1.0).unwrap();
    assert_eq!(sim.get(exc, "v").unwrap().len(), 3200);
}

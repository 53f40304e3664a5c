//! set_current_step and set_seed on both engines: the time follows the
//! step, draws follow the step and seed, delayed spikes in flight survive.

use crate::common::{backends, tests};
use cajal::prelude::*;

tests! {
    cpu: [
        the_network_lists_and_finds_its_objects,
    ],
    both: [
        set_current_step_moves_time_and_draws_and_keeps_spikes_in_flight,
        set_seed_changes_the_draws_as_a_network_with_that_seed,
    ],
}

/// Noisy spiking neurons driving a second population one to one through a
/// 3 ms delay, and a rate neuron showing the raw draws.
fn net(seed: u64) -> (Network, PopId, PopId, PopId) {
    let noisy = Neuron::spiking()
        .parameters("tau = 5.0 : population")
        .equations("tau * dv/dt = -v + 2.0 * Uniform(0.0, 1.0) : init = 0.0")
        .spike("v > 0.55")
        .reset("v = 0.0");
    let follower = Neuron::spiking()
        .equations("dv/dt = -v + g_exc : init = 0.0")
        .spike("v > 0.5")
        .reset("v = 0.0");
    let draws = Neuron::rate().equations("r = Uniform(0.0, 1.0)");
    let mut net = Network::new().dt(0.1).seed(seed);
    let a = net.population("a", 50, &noisy).unwrap();
    let b = net.population("b", 50, &follower).unwrap();
    let d = net.population("d", 16, &draws).unwrap();
    net.projection(a, b, "exc")
        .delays(3.0)
        .connect_one_to_one(Weights::constant(8.0))
        .unwrap();
    (net, a, b, d)
}

fn set_current_step_moves_time_and_draws_and_keeps_spikes_in_flight() {
    let mut runs = Vec::new();
    for be in backends() {
        let (mut n, a, b, d) = net(7);
        let ma = n.monitor(a, &["spike"]).unwrap();
        let mb = n.monitor(b, &["spike", "v"]).unwrap();
        let md = n.monitor(d, &["r"]).unwrap();
        let mut sim = n.compile(be).unwrap();
        sim.simulate(10.0).unwrap();
        sim.set_current_step(500);
        assert_eq!(sim.current_step(), 500);
        assert!((sim.time() - 50.0).abs() < 1e-9);
        sim.simulate(10.0).unwrap();
        assert_eq!(sim.current_step(), 600);
        assert!((sim.time() - 60.0).abs() < 1e-9);
        // The draws after the jump are those of steps 500.. of any run.
        let (n2, _, _, d2) = net(7);
        let mut fresh = n2.compile(Backend::Cpu).unwrap();
        fresh.simulate(50.0).unwrap();
        fresh.step().unwrap();
        let r = sim.recorded(md, "r").unwrap();
        assert_eq!(sim.sample_steps(md).unwrap()[100], 500);
        assert_eq!(
            r.row(100).to_vec(),
            fresh
                .get(d2, "r")
                .unwrap()
                .iter()
                .copied()
                .collect::<Vec<f32>>(),
            "{be:?}"
        );
        // Spikes of a in the last 3 ms before the jump arrive after it.
        let sa = sim.spikes(ma).unwrap();
        let sb = sim.spikes(mb).unwrap();
        let late: Vec<u32> = sa
            .iter()
            .filter(|(s, _)| (70..100).contains(s))
            .map(|&(_, i)| i)
            .collect();
        assert!(!late.is_empty());
        for i in late {
            assert!(
                sb.iter().any(|&(s, j)| j == i && (500..540).contains(&s)),
                "{be:?}: neuron {i}'s delayed spike was lost in the jump"
            );
        }
        runs.push((sa, sb, sim.recorded(mb, "v").unwrap()));
    }
    if runs.len() == 2 {
        assert_eq!(runs[0].0, runs[1].0);
        assert_eq!(runs[0].1, runs[1].1);
        assert_eq!(runs[0].2, runs[1].2);
    }
}

fn set_seed_changes_the_draws_as_a_network_with_that_seed() {
    for be in backends() {
        let (n, _, _, d) = net(7);
        let mut sim = n.compile(be).unwrap();
        sim.simulate(1.0).unwrap();
        sim.set_seed(99);
        sim.step().unwrap();
        let (n2, _, _, d2) = net(99);
        let mut other = n2.compile(Backend::Cpu).unwrap();
        other.simulate(1.1).unwrap();
        assert_eq!(
            sim.get(d, "r").unwrap(),
            other.get(d2, "r").unwrap(),
            "{be:?}"
        );
        let (n3, _, _, d3) = net(7);
        let mut same = n3.compile(Backend::Cpu).unwrap();
        same.simulate(1.1).unwrap();
        assert_ne!(sim.get(d, "r").unwrap(), same.get(d3, "r").unwrap());
    }
}

fn the_network_lists_and_finds_its_objects() {
    let (mut n, a, b, d) = net(1);
    let m = n.monitor(b, &["v"]).unwrap();
    assert_eq!(n.populations(), vec![a, b, d]);
    assert_eq!(n.projections().len(), 1);
    assert_eq!(n.monitors(), vec![m]);
    assert_eq!(n.get_population("b").unwrap(), b);
    assert_eq!(n.get_projection("a->b:exc").unwrap(), n.projections()[0]);
    let e = n.get_population("c").unwrap_err().to_string();
    assert!(e.contains("'c'") && e.contains("a, b, d"), "{e}");
    let dup = n.population("a", 3, &Neuron::rate().equations("r = 1.0"));
    assert!(dup.unwrap_err().to_string().contains("already exists"));
    n.clear();
    assert!(n.populations().is_empty() && n.projections().is_empty() && n.monitors().is_empty());
    assert!(n.pop(a).is_err());
    assert!(n.compile(Backend::Cpu).is_err(), "nothing to compile");
    n.population("a", 3, &Neuron::rate().equations("r = 1.0"))
        .unwrap();
}

//! A projection onto several targets (ANNarchy's `['ampa', 'nmda']`): each
//! `g_target += x` of its events adds to every target's conductance, with
//! other projections feeding those conductances too; and the errors for
//! what several targets cannot be.

use crate::common::{backends, periodic as clock, tests};
use cajal::prelude::*;

tests! {
    both: [each_spike_adds_to_every_target],
    cpu: [several_targets_errors_name_the_cause],
}

/// Copies its conductances each step, then empties them.
fn reader() -> Neuron {
    Neuron::spiking()
        .name("reader")
        .equations("a = g_a\nb = g_b\ng_a = 0.0\ng_b = 0.0")
        .spike("a > 1e9")
}

fn each_spike_adds_to_every_target() {
    for backend in backends() {
        let mut net = Network::new().dt(1.0);
        let two = net.population("two", 1, &clock(2.0)).unwrap();
        let three = net.population("three", 1, &clock(3.0)).unwrap();
        let post = net.population("post", 1, &reader()).unwrap();
        // pre_spike adds 2 w; w grows at every spike.
        let syn = Synapse::new()
            .parameters("k = 2.0")
            .pre_spike("g_target += k * w\nw += 1.0");
        let p = net
            .projection(two, post, ["a", "b"])
            .synapse(&syn)
            .connect_all_to_all(0.5)
            .unwrap();
        assert_eq!(net.proj(p).unwrap().name, "two->post:a+b");
        net.projection(three, post, "b")
            .connect_all_to_all(10.0)
            .unwrap();
        let m = net.monitor(post, &["a", "b"]).unwrap();
        let mut sim = net.compile(backend).unwrap();
        sim.simulate(12.0).unwrap();
        let (a, b) = (sim.recorded(m, "a").unwrap(), sim.recorded(m, "b").unwrap());
        let mut w = 0.5f32;
        for s in 0..12u64 {
            // `two` spikes at steps 1, 3, 5, ...: delivered one step later.
            let from_two = if s >= 2 && s % 2 == 0 {
                let v = 2.0 * w;
                w += 1.0;
                v
            } else {
                0.0
            };
            let from_three = if s >= 3 && s % 3 == 0 { 10.0 } else { 0.0 };
            assert_eq!(a[[s as usize, 0]], from_two, "{backend:?} a at step {s}");
            assert_eq!(
                b[[s as usize, 0]],
                from_two + from_three,
                "{backend:?} b at step {s}"
            );
        }
    }
}

fn several_targets_errors_name_the_cause() {
    let mut net = Network::new().dt(1.0);
    let pre = net.population("pre", 2, &clock(2.0)).unwrap();
    let post = net.population("post", 2, &reader()).unwrap();
    let e = net
        .projection(pre, post, ["a", "a"])
        .connect_all_to_all(1.0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("'a' is given twice"), "{e}");
    let e = net
        .projection(pre, post, ["a", "c"])
        .connect_all_to_all(1.0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("g_c"), "{e}");
    let rate = net
        .population("rate", 2, &Neuron::rate().equations("r = sum(x) + sum(y)"))
        .unwrap();
    let src = net
        .population("src", 2, &Neuron::rate().parameters("r = 1.0"))
        .unwrap();
    let e = net
        .projection(src, rate, ["x", "y"])
        .connect_all_to_all(1.0)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("several targets") && e.contains("spiking"),
        "{e}"
    );
    let e = net
        .projection(pre, post, ["a", "b"])
        .connect_fixed_probability_procedural(0.5, 1.0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("one target"), "{e}");
    // A psp between spiking populations is continuous: one conductance.
    net.projection(pre, post, ["a", "b"])
        .synapse(&Synapse::new().psp("w * pre.c"))
        .connect_all_to_all(1.0)
        .unwrap();
    let e = net
        .compile(Backend::Cpu)
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(e.contains("several targets"), "{e}");
}

//! ANNarchy 5.0.4.1 reference for when shared variables are updated
//! (tests/data/annarchy/shared_order: script, output, manifest): a
//! population's `: population` equations run before its per-neuron ones,
//! and a projection's `: projection` equations before its `: postsynaptic`
//! ones, before its per-synapse ones, whatever the written order; each
//! group's ODEs are integrated as blocks of their own. Every model reads a
//! shared variable above the equation that sets it, so running the
//! equations in written order reads last step's value and fails by far
//! more than the tolerance (f32 against ANNarchy's f64), on both engines.

use crate::common::compare::{assert_close, Tol};
use crate::common::{annarchy_json, backends, floats, tests};
use cajal::prelude::*;

tests! {
    both: [shared_variables_update_before_per_element_ones],
}

fn shared_variables_update_before_per_element_ones() {
    let doc = annarchy_json("shared_order/shared_order.json");
    let want = |key: &str, step: usize| -> Vec<f64> { floats(&doc[key][step]) };
    let steps = doc["steps"].as_u64().unwrap() as usize;
    let rate = Neuron::rate()
        .parameters("r0 = 0.0\nk = 0.3 : population\ntau = 4.0 : population")
        .equations(
            "dx/dt = (B + G - x) / tau
             B = t * 0.1 + k : population
             c = B * 2.0 + r
             dG/dt = (k - G) / tau : population
             dy/dt = (x - y) / tau
             r = r0 + x * 0.01 + G + 0.0 * sum(exc)",
        );
    let learn = Synapse::new()
        .parameters("eta = 0.5 : projection")
        .equations(
            "dx/dt = K + A - x
             c = K * 2.0 + w + A
             A = t * 0.1 + eta + z : projection
             dz/dt = (A - z) / 2.0 : projection
             dK/dt = post.r + A - K : postsynaptic
             dw/dt = K * 0.01 - x * 0.001",
        );
    let spiking = Neuron::spiking()
        .parameters("I = 0.0\ntau = 10.0 : population")
        .equations(
            "dv/dt = (I + M - v) / tau + g_exc
             M = 0.5 * sin(t / 5.0) : population",
        )
        .spike("v > 1.0")
        .reset("v = 0.0");
    let trace = Synapse::new()
        .parameters("tau_s = 5.0 : projection")
        .equations(
            "e = R * w + tr
             R = post.v * 2.0 : postsynaptic
             dtr/dt = (R - tr) / tau_s",
        )
        .pre_spike("g_target += w");
    let tol = Tol::abs_plus_rel(1e-5, 1e-5);
    for b in backends() {
        let mut net = Network::new().dt(1.0);
        let a = net.population("a", 3, &rate).unwrap();
        let bp = net.population("b", 2, &rate).unwrap();
        net.set(a, "r0", vec![1.0f32, 2.0, 3.0]).unwrap();
        net.set(bp, "r0", vec![0.5f32, -1.0]).unwrap();
        let p = net
            .projection(a, bp, "exc")
            .synapse(&learn)
            .connect_all_to_all(0.1)
            .unwrap();
        let s = net.population("s", 2, &spiking).unwrap();
        let q = net.population("q", 2, &spiking).unwrap();
        net.set(s, "I", vec![1.5f32, 1.2]).unwrap();
        net.set(q, "I", vec![1.4f32, 1.6]).unwrap();
        let sp = net
            .projection(s, q, "exc")
            .synapse(&trace)
            .connect_all_to_all(0.05)
            .unwrap();
        let mut sim = net.compile(b).unwrap();
        for step in 0..steps {
            sim.simulate(1.0).unwrap();
            let at = |what: &str| format!("{b:?} {what} after step {}", step + 1);
            for (pop, name) in [(a, "a"), (bp, "b"), (q, "q")] {
                let vars: &[&str] = match name {
                    "a" => &["c", "x", "y", "G", "B", "r"],
                    "b" => &["r"],
                    _ => &["v", "M"],
                };
                for v in vars {
                    let key = format!("{name}.{v}");
                    let got: Vec<f32> = sim.get(pop, v).unwrap().iter().copied().collect();
                    let w = want(&key, step);
                    // A population variable: ANNarchy keeps one value.
                    let got = if w.len() == 1 { vec![got[0]] } else { got };
                    assert_close::<f64>(&got, &w, tol, &at(&key));
                }
            }
            for (proj, name, vars) in [
                (p, "p", &["c", "x", "K", "z", "A", "w"][..]),
                (sp, "sp", &["e", "R", "tr"][..]),
            ] {
                for v in vars {
                    let key = format!("{name}.{v}");
                    let (post, _, got) = sim.synapses(proj, v).unwrap();
                    let w = want(&key, step);
                    // ANNarchy keeps one value per post neuron for a
                    // postsynaptic variable and one for a projection one.
                    let w: Vec<f64> = if w.len() == got.len() {
                        w
                    } else if w.len() == 1 {
                        vec![w[0]; got.len()]
                    } else {
                        post.iter().map(|&i| w[i as usize]).collect()
                    };
                    assert_close::<f64>(&got, &w, tol, &at(&key));
                }
            }
        }
    }
}

//! ANNarchy 5.0.4.1 reference for `enable_learning(period)`
//! (tests/data/annarchy/learning_period: script, output, manifest): a
//! projection's equations run at the period's steps and integrate over the
//! period (`dt` in them is `dt * period`); a spiking synapse's equations
//! keep that period while learning is off (off freezes only `w`), and its
//! `pre_spike` changes `w` at every spike while learning is on, whatever
//! the period. Within f32 of ANNarchy's f64, on both engines.

use crate::common::compare::{assert_close, Tol};
use crate::common::{annarchy_json, backends, floats, tests};
use cajal::prelude::*;

tests! {
    both: [learning_rules_run_and_integrate_over_their_period],
}

fn learning_rules_run_and_integrate_over_their_period() {
    let doc = annarchy_json("learning_period/learning_period.json");
    let want = |key: &str, step: usize| -> Vec<f64> { floats(&doc[key][step]) };
    let steps = doc["steps"].as_u64().unwrap() as usize;
    let rate = Neuron::rate()
        .parameters("r0 = 1.0")
        .equations("r = r0 + 0.0 * sum(exc)");
    let rate_rule = Synapse::new().equations(
        "dx/dt = r_post_like - x : init = 0.0
         r_post_like = post.r * 2.0
         dd = dt
         dw/dt = 0.01 * pre.r",
    );
    let spiking = Neuron::spiking()
        .parameters("I = 0.0")
        .equations("dv/dt = (I - v) / 10.0 + g_exc")
        .spike("v > 1.0")
        .reset("v = 0.0");
    let spike_rule = Synapse::new()
        .equations(
            "dtr/dt = (post.v - tr) / 5.0
             dw/dt = 0.002
             dd = dt",
        )
        .pre_spike("g_target += w\nw += 0.001");
    let tol = Tol::abs_plus_rel(1e-6, 1e-5);
    for b in backends() {
        let mut net = Network::new().dt(0.5);
        let a = net.population("a", 2, &rate).unwrap();
        let bp = net.population("b", 1, &rate).unwrap();
        net.set(a, "r0", vec![1.0f32, 2.0]).unwrap();
        net.set(bp, "r0", 0.5).unwrap();
        let p = net
            .projection(a, bp, "exc")
            .synapse(&rate_rule)
            .connect_all_to_all(0.1)
            .unwrap();
        let s = net.population("s", 1, &spiking).unwrap();
        let q = net.population("q", 2, &spiking).unwrap();
        net.set(s, "I", 3.0).unwrap();
        net.set(q, "I", vec![0.5f32, 0.8]).unwrap();
        let sp = net
            .projection(s, q, "exc")
            .synapse(&spike_rule)
            .connect_all_to_all(0.05)
            .unwrap();
        let q2 = net.population("q2", 2, &spiking).unwrap();
        net.set(q2, "I", vec![0.5f32, 0.8]).unwrap();
        let sp2 = net
            .projection(s, q2, "exc")
            .synapse(&spike_rule)
            .connect_all_to_all(0.05)
            .unwrap();
        let mut sim = net.compile(b).unwrap();
        sim.enable_learning(Some(p), Some(2.0), None).unwrap();
        sim.enable_learning(Some(sp), Some(1.5), None).unwrap();
        sim.enable_learning(Some(sp2), Some(1.5), None).unwrap();
        sim.disable_learning(Some(sp2)).unwrap();
        for step in 0..steps {
            sim.simulate(0.5).unwrap();
            let at = |what: &str| format!("{b:?} {what} after step {}", step + 1);
            for (pop, key) in [(q, "q.v"), (s, "s.v")] {
                let got: Vec<f32> = sim.get(pop, "v").unwrap().iter().copied().collect();
                assert_close::<f64>(&got, &want(key, step), tol, &at(key));
            }
            for (proj, name, vars) in [
                (p, "p", &["x", "dd", "w"][..]),
                (sp, "sp", &["tr", "w", "dd"][..]),
                (sp2, "sp2", &["tr", "w"][..]),
            ] {
                for v in vars {
                    let key = format!("{name}.{v}");
                    let (_, _, got) = sim.synapses(proj, v).unwrap();
                    assert_close::<f64>(&got, &want(&key, step), tol, &at(&key));
                }
            }
        }
    }
}

//! ANNarchy 5.0.4.1 reference for `t_last` in a spiking neuron's equations
//! (tests/data/annarchy/t_last: script, output, manifest): the time in ms
//! of the neuron's last spike, -10000 dt before any, read by the equations
//! of the step after a spike (the step of a spike still reads the previous
//! one). On both engines.

use crate::common::compare::{assert_close, Tol};
use crate::common::{annarchy_json, backends, floats, tests};
use cajal::prelude::*;

tests! {
    both: [t_last_is_the_time_of_the_last_spike],
    cpu: [t_last_needs_a_spiking_neuron],
}

fn t_last_is_the_time_of_the_last_spike() {
    let doc = annarchy_json("t_last/t_last.json");
    let model = Neuron::spiking()
        .parameters("I = 0.4")
        .equations("since = t - t_last\ndv/dt = I - 0.01 * since * v")
        .spike("v > 1.0")
        .reset("v = 0.0");
    // v swings to about 120 in the second step (explicit Euler on a leak
    // of 50 per ms): f32 against f64.
    let tol = Tol::abs_plus_rel(1e-5, 1e-5);
    for b in backends() {
        let mut net = Network::new().dt(0.5);
        let p = net.population("p", 3, &model).unwrap();
        net.set(p, "I", vec![0.43f32, 0.57, 0.91]).unwrap();
        let mut sim = net.compile(b).unwrap();
        for step in 0..doc["v"].as_array().unwrap().len() {
            sim.simulate(0.5).unwrap();
            for v in ["since", "v"] {
                let got: Vec<f32> = sim.get(p, v).unwrap().iter().copied().collect();
                let what = format!("{b:?} {v} after step {}", step + 1);
                assert_close::<f64>(&got, &floats(&doc[v][step]), tol, &what);
            }
        }
    }
}

fn t_last_needs_a_spiking_neuron() {
    let rate = Neuron::rate().equations("r = t - t_last");
    let e = Network::new()
        .population("p", 1, &rate)
        .unwrap_err()
        .to_string();
    assert!(e.contains("t_last") && e.contains("rate-coded"), "{e}");
}

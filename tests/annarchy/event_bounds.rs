//! ANNarchy 5.0.4.1 reference for `min` and `max` flags on event
//! statements (tests/data/annarchy/event_bounds: script, output,
//! manifest): `w += 0.1 : min = 0.0, max = wmax` in pre_spike and
//! `w -= 0.3 : min = 0.05` in post_spike bound the stored value, on both
//! engines. ANNarchy parses the same flags on a reset statement and
//! ignores them (its v goes below the min); cajal refuses them there.

use crate::common::{annarchy_json, backends, floats, tests};
use cajal::prelude::*;

tests! {
    both: [event_statements_bound_what_they_store],
    cpu: [a_reset_statement_refuses_the_flags_annarchy_ignores],
}

fn event_statements_bound_what_they_store() {
    let doc = annarchy_json("event_bounds/event_bounds.json");
    let want: Vec<f64> = floats(&doc["w"]);
    let syn = Synapse::new()
        .parameters("wmax = 0.25")
        .pre_spike("g_target += w\nw += 0.1 : min = 0.0, max = wmax")
        .post_spike("w -= 0.3 : min = 0.05");
    for b in backends() {
        let mut net = Network::new().dt(1.0);
        let src = net
            .spike_source_array("src", vec![vec![1.0, 3.0, 5.0, 7.0, 12.0]])
            .unwrap();
        let post = net
            .spike_source_array("post", vec![vec![8.0, 10.0]])
            .unwrap();
        let p = net
            .projection(src, post, "exc")
            .synapse(&syn)
            .connect_all_to_all(0.1)
            .unwrap();
        let mut sim = net.compile(b).unwrap();
        for (step, w) in want.iter().enumerate() {
            sim.simulate(1.0).unwrap();
            let (_, _, got) = sim.synapses(p, "w").unwrap();
            assert!(
                (f64::from(got[0]) - w).abs() < 1e-6,
                "{b:?} w after step {}: {} against ANNarchy's {w}",
                step + 1,
                got[0]
            );
        }
    }
}

fn a_reset_statement_refuses_the_flags_annarchy_ignores() {
    let n = Neuron::spiking()
        .parameters("I = 0.6")
        .equations("v += I")
        .spike("v > 1.0")
        .reset("v -= 2.5 : min = -1.2");
    let mut net = Network::new();
    let e = net.population("p", 1, &n).unwrap_err().to_string();
    assert!(
        e.contains("reset") && e.contains("ANNarchy ignores min and max"),
        "{e}"
    );
}

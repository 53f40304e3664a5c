//! ANNarchy's Python-style conditionals (`if c: a else: b`, nested, over
//! several lines as the notebooks write them) on both engines, against
//! values computed by hand; and a Poisson population whose rate is such a
//! conditional of `t` (the PyNN notebook's inputs).

use crate::common::{backends, tests};
use cajal::prelude::*;

tests! {
    both: [
        python_style_conditionals_pick_the_branch,
        a_poisson_rate_written_as_a_conditional_of_t,
    ],
}

fn python_style_conditionals_pick_the_branch() {
    // A rate-coded neuron written as the Miconi and Structural plasticity
    // notebooks write theirs: `if c:` with the branches on their own lines,
    // a nested conditional in a branch, flags after the else branch, and
    // cajal's older `then` spelling beside it.
    let neuron = Neuron::rate()
        .name("branches")
        .parameters("x = 0.0")
        .equations(
            "r = if x > 0.5:
                    2.0 * x
                 else:
                    if x < 0.0: 0.0 else: -x
             y = if x > 0.5 then 1.0 else 0.0
             z = if x >= 1.0 : 10.0 else : x + 1.0 : max = 1.5",
        );
    let xs = [-1.0f32, 0.25, 0.75, 1.0];
    for backend in backends() {
        let mut net = Network::new().dt(1.0);
        let p = net.population("p", xs.len(), &neuron).unwrap();
        let mut sim = net.compile(backend).unwrap();
        sim.set(p, "x", xs.to_vec()).unwrap();
        sim.simulate(1.0).unwrap();
        let get = |v: &str| sim.get(p, v).unwrap().iter().copied().collect::<Vec<f32>>();
        assert_eq!(get("r"), vec![0.0, -0.25, 1.5, 2.0], "{backend:?}");
        assert_eq!(get("y"), vec![0.0, 0.0, 1.0, 1.0], "{backend:?}");
        // 10 clipped to the max; x + 1 for the others, 1.75 clipped too.
        assert_eq!(get("z"), vec![0.0, 1.25, 1.5, 1.5], "{backend:?}");
    }
}

fn a_poisson_rate_written_as_a_conditional_of_t() {
    // PyNN notebook: `rates="if t < 200.0 : 2000.0 else : 0.0"`. At dt 0.1
    // a neuron fires with probability 0.2 a step while t < 200 ms (2000
    // steps), then never.
    let n = 50;
    let mut counts = Vec::new();
    for backend in backends() {
        let mut net = Network::new().dt(0.1).seed(5);
        let inp = net
            .poisson_population("i_exc", n, "if t < 200.0 : 2000.0 else : 0.0", None)
            .unwrap();
        let m = net.monitor(inp, &["spike"]).unwrap();
        let mut sim = net.compile(backend).unwrap();
        sim.simulate(400.0).unwrap();
        let spikes = sim.spikes(m).unwrap();
        // The rate is evaluated at the step's t: steps 0..=1999 have t < 200.
        assert!(spikes.iter().all(|&(s, _)| s < 2000), "{backend:?}");
        let total = spikes.len() as f64;
        let expected = n as f64 * 2000.0 * 0.2;
        let sd = (n as f64 * 2000.0 * 0.2 * 0.8).sqrt();
        assert!(
            (total - expected).abs() < 5.0 * sd,
            "{backend:?}: {total} spikes, expected {expected} +- {sd}"
        );
        counts.push(spikes);
    }
    if counts.len() == 2 {
        assert_eq!(counts[0], counts[1], "the engines draw the same spikes");
    }
}

//! `compute_firing_rate` against ANNarchy 5.0.4.1
//! (tests/data/annarchy/firing_rate): neurons that spike every 1, 2, 3, 7
//! and 40 steps, `r` at every step for a window of whole steps (10 ms at
//! dt 1) and one that truncates (2.55 ms at dt 0.5: 5 steps, 1000/2.55 Hz
//! a spike); the spike steps exactly, r to f32 rounding.

use crate::common::{backends, tests};
use cajal::prelude::*;

tests! {
    both: [
        firing_rate_as_annarchy,
    ],
}

const DATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/annarchy/firing_rate/firing_rate.json"
);

fn firing_rate_as_annarchy() {
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(DATA).unwrap()).unwrap();
    let periods = [1.0f32, 2.0, 3.0, 7.0, 40.0];
    for (dt, window, key) in [
        (1.0, 10.0, "dt=1.0,window=10.0"),
        (0.5, 2.55, "dt=0.5,window=2.55"),
    ] {
        let case = &doc[key];
        assert!(
            case.is_object(),
            "no reference for dt {dt}, window {window}"
        );
        for b in backends() {
            let clockwork = Neuron::spiking()
                .parameters("period = 3.0")
                .equations("c += 1.0")
                .spike("c >= period")
                .reset("c = 0.0");
            let mut net = Network::new().dt(dt);
            let pop = net.population("pop", periods.len(), &clockwork).unwrap();
            net.set(pop, "period", periods.to_vec()).unwrap();
            net.compute_firing_rate(pop, window).unwrap();
            let m = net.monitor(pop, &["spike", "r"]).unwrap();
            let mut sim = net.compile(b).unwrap();
            sim.simulate(60.0 * dt).unwrap();
            let spikes = sim.spikes(m).unwrap();
            for i in 0..periods.len() {
                let got: Vec<u64> = spikes
                    .iter()
                    .filter(|s| s.1 == i as u32)
                    .map(|s| s.0)
                    .collect();
                let want: Vec<u64> = case["spikes"][i.to_string()]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_u64().unwrap())
                    .collect();
                assert_eq!(got, want, "{b:?} dt {dt}: spikes of neuron {i}");
            }
            let r = sim.recorded(m, "r").unwrap();
            let rows = case["r"].as_array().unwrap();
            assert_eq!(r.nrows(), rows.len());
            for (s, row) in rows.iter().enumerate() {
                for (i, want) in row.as_array().unwrap().iter().enumerate() {
                    let want = want.as_f64().unwrap();
                    let got = f64::from(r[[s, i]]);
                    assert!(
                        (got - want).abs() <= 1e-6 * want.abs() + 1e-6,
                        "{b:?} dt {dt}: r of neuron {i} at step {s}: {got} vs ANNarchy {want}"
                    );
                }
            }
        }
    }
}

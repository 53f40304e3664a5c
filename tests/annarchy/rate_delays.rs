//! Delayed rate-coded projections against ANNarchy 5.0.4.1
//! (tests/data/annarchy/rate_delays): an input set to 1, then to 2 before
//! step 3, read one to one by `r = sum(exc)`. Without a delay, and with a
//! delay of one step, the sum reads the previous step's r; with D >= 2
//! steps, D steps before that (2 and 3 ms at dt 1, 1.5 ms at dt 0.5), on
//! both engines, exactly.

use crate::common::{backends, tests};
use cajal::prelude::*;

tests! {
    both: [rate_delays_are_annarchys],
}

/// A reference's key, and each output's name and delay (ms; none).
type Case<'a> = (f64, &'a str, &'a [(&'a str, Option<f64>)]);

const DATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/annarchy/rate_delays/rate_delays.json"
);

fn rate_delays_are_annarchys() {
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(DATA).unwrap()).unwrap();
    let cases: [Case; 2] = [
        (
            1.0,
            "dt=1.0",
            &[
                ("none", None),
                ("d1", Some(1.0)),
                ("d2", Some(2.0)),
                ("d3", Some(3.0)),
            ],
        ),
        (0.5, "dt=0.5", &[("none", None), ("d1.5", Some(1.5))]),
    ];
    for (dt, key, delays) in cases {
        for b in backends() {
            let mut net = Network::new().dt(dt);
            let inp = net.input_array("inp", 2).unwrap();
            let mut mons = Vec::new();
            for (name, d) in delays {
                let out = net
                    .population(name, 2, &Neuron::rate().equations("r = sum(exc)"))
                    .unwrap();
                let mut p = net.projection(inp, out, "exc");
                if let Some(ms) = d {
                    p = p.delays(*ms);
                }
                p.connect_one_to_one(1.0).unwrap();
                mons.push((*name, net.monitor(out, &["r"]).unwrap()));
            }
            let mut sim = net.compile(b).unwrap();
            sim.set(inp, "r", 1.0).unwrap();
            sim.simulate(3.0 * dt).unwrap();
            sim.set(inp, "r", 2.0).unwrap();
            sim.simulate(5.0 * dt).unwrap();
            for (name, m) in mons {
                let got = sim.recorded(m, "r").unwrap();
                let want = doc[key][name].as_array().unwrap();
                assert_eq!(got.nrows(), want.len(), "{b:?} {key} {name}");
                for (s, row) in want.iter().enumerate() {
                    for (i, w) in row.as_array().unwrap().iter().enumerate() {
                        assert_eq!(
                            f64::from(got[[s, i]]),
                            w.as_f64().unwrap(),
                            "{b:?} {key} delay {name}: output {i} at step {s}"
                        );
                    }
                }
            }
        }
    }
}

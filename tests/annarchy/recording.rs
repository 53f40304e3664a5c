//! When monitors sample, against ANNarchy 5.0.4.1 (tests/data/annarchy/
//! recording): conductances after the spikes of the step are delivered and
//! before the neurons update (ANNarchy's `record_targets`, cajal's
//! `record_inputs`), the other variables after the update. A conductance
//! with its own decay equation shows the delivered value at the arrival
//! step, not the value one decay step later; a plain one shows what was
//! delivered. Both engines, to f32 rounding.

use crate::common::{backends, tests};
use cajal::prelude::*;

tests! {
    both: [
        conductances_are_sampled_before_the_update_as_annarchy,
    ],
}

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/annarchy/recording");

fn conductances_are_sampled_before_the_update_as_annarchy() {
    let text = std::fs::read_to_string(format!("{DATA}/recording.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let series = |k: &str| -> Vec<f32> {
        doc[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap() as f32)
            .collect()
    };
    for b in backends() {
        let mut net = Network::new().dt(1.0);
        let src = net
            .population(
                "src",
                1,
                &Neuron::spiking().parameters("t1 = 10.0").spike("t == t1"),
            )
            .unwrap();
        let decaying = net
            .population(
                "decaying",
                1,
                &Neuron::spiking()
                    .parameters("tau_e = 5.0")
                    .equations(
                        "tau_e * dg_exc/dt = -g_exc
                         dv/dt = g_exc - v : init = 0.0",
                    )
                    .spike("v > 100.0")
                    .reset("v = 0.0"),
            )
            .unwrap();
        let plain = net
            .population(
                "plain",
                1,
                &Neuron::spiking()
                    .equations("dv/dt = g_exc - v : init = 0.0")
                    .spike("v > 100.0")
                    .reset("v = 0.0"),
            )
            .unwrap();
        net.projection(src, decaying, "exc")
            .connect_all_to_all(2.0)
            .unwrap();
        net.projection(src, plain, "exc")
            .connect_all_to_all(2.0)
            .unwrap();
        let md = net.monitor(decaying, &["g_exc", "v"]).unwrap();
        let mp = net.monitor(plain, &["v", "g_exc"]).unwrap();
        let mut sim = net.compile(b).unwrap();
        sim.simulate(16.0).unwrap();
        let same = |m, v: &str, key: &str| {
            let got = sim.recorded(m, v).unwrap().column(0).to_vec();
            let want = series(key);
            assert_eq!(got.len(), want.len(), "{b:?} {key}");
            for (k, (g, w)) in got.iter().zip(&want).enumerate() {
                assert!(
                    (g - w).abs() <= 1e-6 * w.abs(),
                    "{b:?} {key}[{k}]: cajal {g}, ANNarchy {w}"
                );
            }
        };
        same(md, "g_exc", "decaying_g_exc");
        same(md, "v", "decaying_v");
        same(mp, "g_exc", "plain_g_exc");
        same(mp, "v", "plain_v");
        // The state itself is the updated one: g decayed once more after
        // the last sample.
        let g = sim.get(decaying, "g_exc").unwrap()[[0]];
        assert!((g - 0.8192 * 0.8).abs() < 1e-6, "{b:?}: {g}");
    }
}

//! ANNarchy 5.0.4.1 reference for network constants and functions
//! (tests/data/annarchy/constants: script, output, manifest): constants
//! changed between two `simulate` calls act from the next step, a model
//! parameter hides a constant of its name, a network function gives in
//! the models and on the host what ANNarchy's gives, and reset leaves the
//! constants as they are (it restores parameters). ANNarchy computes in
//! f64, cajal in f32: values to a relative 1e-5, spike steps exactly.

use crate::common::{backends, tests};
use cajal::prelude::*;

tests! {
    both: [
        constants_changed_after_compile_match_annarchy,
    ],
}

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/annarchy/constants");

fn series(doc: &serde_json::Value, key: &str) -> Vec<f64> {
    doc[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} missing"))
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn assert_series(what: &str, got: &[f32], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        let err = (f64::from(*g) - w).abs();
        assert!(
            err <= 1e-5 * w.abs().max(1e-2),
            "{what}[{k}]: cajal {g}, ANNarchy {w}"
        );
    }
}

fn constants_changed_after_compile_match_annarchy() {
    let text = std::fs::read_to_string(format!("{DATA}/constants.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    for b in backends() {
        // The model strings of constants.py.
        let mut net = Network::new().dt(1.0);
        net.constant("tau", 10.0).unwrap();
        net.constant("gain", 2.0).unwrap();
        net.add_function("sig(x) = 1.0 / (1.0 + exp(-x))").unwrap();
        let relax = net
            .population(
                "relax",
                1,
                &Neuron::rate().equations("tau * dr/dt + r = gain"),
            )
            .unwrap();
        let own = net
            .population(
                "own",
                1,
                &Neuron::rate()
                    .parameters("tau = 5.0")
                    .equations("tau * dr/dt + r = gain"),
            )
            .unwrap();
        let lif = net
            .population(
                "lif",
                1,
                &Neuron::spiking()
                    .equations("tau * dv/dt = -v + gain * 0.8 : init = 0.0")
                    .spike("v > 1.0")
                    .reset("v = 0.0"),
            )
            .unwrap();
        let curve = net
            .population(
                "curve",
                1,
                &Neuron::rate().equations("r = sig(gain * (t / 10.0 - 1.0))"),
            )
            .unwrap();
        let m_relax = net.monitor(relax, &["r"]).unwrap();
        let m_own = net.monitor(own, &["r"]).unwrap();
        let m_lif = net.monitor(lif, &["v", "spike"]).unwrap();
        let m_curve = net.monitor(curve, &["r"]).unwrap();
        let sig = net.function("sig").unwrap();
        let mut sim = net.compile(b).unwrap();
        sim.simulate(20.0).unwrap();
        sim.set_constant("tau", 4.0).unwrap();
        sim.set_constant("gain", 3.0).unwrap();
        sim.simulate(20.0).unwrap();
        let col = |m, var| -> Vec<f32> { sim.recorded(m, var).unwrap().column(0).to_vec() };
        assert_series("relax r", &col(m_relax, "r"), &series(&doc, "relax_r"));
        assert_series("own r", &col(m_own, "r"), &series(&doc, "own_r"));
        assert_series("lif v", &col(m_lif, "v"), &series(&doc, "lif_v"));
        assert_series("curve r", &col(m_curve, "r"), &series(&doc, "curve_r"));
        let spikes: Vec<u64> = sim.spikes(m_lif).unwrap().iter().map(|s| s.0).collect();
        let want: Vec<u64> = series(&doc, "lif_spikes")
            .iter()
            .map(|&s| s as u64)
            .collect();
        assert_eq!(spikes, want, "{b:?}: spike steps");
        let xs = [-2.0f32, 0.0, 0.5, 3.0];
        let host = sig.call_arrays(&[&xs]).unwrap();
        assert_series("sig on the host", &host, &series(&doc, "sig_host"));
        assert_eq!(
            sim.get_constant("tau").unwrap(),
            doc["tau_after_change"].as_f64().unwrap()
        );
        // Reset restores the parameter, not the constants.
        sim.set(own, "tau", 7.0f32).unwrap();
        sim.reset().unwrap();
        assert_eq!(
            f64::from(sim.get(own, "tau").unwrap()[[0]]),
            doc["own_tau_after_reset"].as_f64().unwrap()
        );
        assert_eq!(
            sim.get_constant("tau").unwrap(),
            doc["tau_after_reset"].as_f64().unwrap()
        );
        sim.simulate(1.0).unwrap();
        assert_series(
            "relax r after reset",
            &[sim.get(relax, "r").unwrap()[[0]]],
            &[doc["relax_r_first_step_after_reset"].as_f64().unwrap()],
        );
    }
}

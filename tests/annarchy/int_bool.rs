//! ANNarchy 5.0.4.1 reference for `: int` and `: bool` on equation
//! variables (tests/data/annarchy/int_bool: script, output, manifest):
//! ANNarchy keeps them in C++ `int` and `bool`, so each store truncates
//! toward zero (positive and negative values, an assignment and an ODE)
//! or becomes 1 wherever the value is not 0, and a variable reading them
//! sees the stored values; an `: int` parameter's value and values set
//! into int parameters and variables are truncated too (2.7 is 2, -2.5 is
//! -2, where rounding would give 3 and -3); so are a synapse's int and
//! bool variables stored by its pre_spike and post_spike statements, at
//! the event itself (int_events: script and output beside int_bool's).
//! A C++ `int` has one zero: what an int holds of a value in (-1, 0), of
//! the negation or a product of its zero, is +0, whose reciprocal is
//! +inf (int_sign). Exact on both engines, the sign of zero included.

use crate::common::{backends, tests};
use cajal::prelude::*;

tests! {
    both: [
        int_and_bool_variables_store_as_annarchy,
        int_parameters_and_values_set_truncate,
        event_statements_store_int_and_bool_as_annarchy,
        a_zero_an_int_holds_is_positive_as_annarchys,
    ],
}

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/annarchy/int_bool");

fn int_and_bool_variables_store_as_annarchy() {
    let text = std::fs::read_to_string(format!("{DATA}/int_bool.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let vars = ["a", "b", "c", "d", "e", "f", "r"];
    for b in backends() {
        let mut net = Network::new().dt(1.0);
        let model = Neuron::rate().parameters("k = 0.7").equations(
            "a = k * t - 3.0 : int
             b = -k * t : int
             dc/dt = k : int, init = 0
             dd/dt = 0.4 * k * t : int, init = 1
             e = t - 4.5 : bool
             f = sin(t) : bool
             r = a + b + c + d + e + 0.5 * f",
        );
        let pop = net.population("pop", 2, &model).unwrap();
        net.set(pop, "k", vec![0.7, 2.9]).unwrap();
        let m = net.monitor(pop, &vars).unwrap();
        let mut sim = net.compile(b).unwrap();
        sim.simulate(12.0).unwrap();
        for v in vars {
            let got = sim.recorded(m, v).unwrap();
            let want = doc[v].as_array().unwrap();
            assert_eq!(got.nrows(), want.len(), "{v}");
            for (k, row) in want.iter().enumerate() {
                for (i, w) in row.as_array().unwrap().iter().enumerate() {
                    let w = w
                        .as_f64()
                        .unwrap_or_else(|| f64::from(u8::from(w.as_bool().unwrap())));
                    assert_eq!(f64::from(got[[k, i]]), w, "{b:?} {v} step {k} neuron {i}");
                }
            }
        }
    }
}

fn int_parameters_and_values_set_truncate() {
    let text = std::fs::read_to_string(format!("{DATA}/int_bool.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    for b in backends() {
        let mut net = Network::new().dt(1.0);
        let model = Neuron::rate()
            .parameters("n = 2.7 : int\nm = -2.5 : int\nq = 0.6 : bool")
            .equations("a = a : int\nr = a");
        let pop = net.population("pop", 1, &model).unwrap();
        let mut sim = net.compile(b).unwrap();
        for v in ["n", "m", "q", "a"] {
            let want = doc["compiled"][v].as_f64().unwrap();
            assert_eq!(
                f64::from(sim.get_neuron(pop, 0, v).unwrap()),
                want,
                "{b:?} {v}"
            );
        }
        for v in ["n", "m", "a"] {
            let pair = doc["set"][v].as_array().unwrap();
            let (value, want) = (pair[0].as_f64().unwrap(), pair[1].as_f64().unwrap());
            sim.set(pop, v, value).unwrap();
            assert_eq!(
                f64::from(sim.get_neuron(pop, 0, v).unwrap()),
                want,
                "{b:?} set {v}"
            );
            sim.set_neuron(pop, 0, v, value as f32).unwrap();
            assert_eq!(
                f64::from(sim.get_neuron(pop, 0, v).unwrap()),
                want,
                "{b:?} set_neuron {v}"
            );
        }
    }
}

/// A pre_spike `c = c + 1.6` and a post_spike `c = c - 2.7` into an int,
/// a pre_spike `b = 0.3` into a bool: the equations that read them later
/// in the step (`d = c * 10`, `e = b * 10`) see 1 and 2 (not 1.6 and
/// 2.6), then 0 (not -0.7), and 1 (not 0.3), as ANNarchy's.
fn event_statements_store_int_and_bool_as_annarchy() {
    let text = std::fs::read_to_string(format!("{DATA}/int_events.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let syn = Synapse::new()
        .equations(
            "d = c * 10.0
             e = b * 10.0
             c = c : int
             b = b : bool",
        )
        .pre_spike("g_target += w\nc = c + 1.6\nb = 0.3")
        .post_spike("c = c - 2.7");
    let post_model = Neuron::spiking()
        .equations("v = v + g_exc")
        .spike("v > 1.5")
        .reset("v = 0.0");
    for b in backends() {
        let mut net = Network::new().dt(1.0);
        let src = net
            .spike_source_array("src", vec![vec![1.0, 3.0, 4.0]])
            .unwrap();
        let post = net.population("post", 1, &post_model).unwrap();
        let spikes = net.monitor(post, &["spike"]).unwrap();
        let p = net
            .projection(src, post, "exc")
            .synapse(&syn)
            .connect_all_to_all(1.0)
            .unwrap();
        let mut sim = net.compile(b).unwrap();
        for step in 0..8 {
            sim.simulate(1.0).unwrap();
            for v in ["c", "b", "d", "e"] {
                let (_, _, got) = sim.synapses(p, v).unwrap();
                let want = doc[v][step].as_f64().unwrap();
                // Bit for bit: `c - 2.7` from 2 holds +0, as a C++ int.
                assert_eq!(
                    f64::from(got[0]).to_bits(),
                    want.to_bits(),
                    "{b:?} {v} after step {}",
                    step + 1
                );
            }
        }
        let fired: Vec<u64> = sim
            .spikes(spikes)
            .unwrap()
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        let want: Vec<u64> = doc["post_spikes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_u64().unwrap())
            .collect();
        assert_eq!(fired, want, "{b:?} post spikes");
    }
}

/// Every zero an `: int` holds is +0, as a C++ `int`'s: truncated from
/// -0.3 (`a`, and the ODE `d` stepping below 0), the negation `-a` and the
/// product `a * 2` of that zero (which need no truncation), a parameter
/// compiled from -0.5 and one set to -0.7 after compile. The `s*`
/// variables are 1 where 1 / x is +inf, -1 where it would be -inf; the
/// recorded zeros are compared bit for bit.
fn a_zero_an_int_holds_is_positive_as_annarchys() {
    let text = std::fs::read_to_string(format!("{DATA}/int_sign.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let names = ["a", "b", "c", "d", "sa", "sb", "sc", "sd", "sm"];
    for b in backends() {
        let mut net = Network::new().dt(1.0);
        let model = Neuron::rate()
            .parameters("k = -0.3\nm = -0.5 : int")
            .equations(
                "a = k : int
                 b = -a : int
                 c = a * 2.0 : int
                 dd/dt = k : int, init = 0
                 sa = ite(1.0 / a > 0.0, 1.0, -1.0)
                 sb = ite(1.0 / b > 0.0, 1.0, -1.0)
                 sc = ite(1.0 / c > 0.0, 1.0, -1.0)
                 sd = ite(1.0 / d > 0.0, 1.0, -1.0)
                 sm = ite(1.0 / m > 0.0, 1.0, -1.0)
                 r = 0.0",
            );
        let pop = net.population("pop", 1, &model).unwrap();
        let m = net.monitor(pop, &names).unwrap();
        let mut sim = net.compile(b).unwrap();
        let m_bits = sim.get_neuron(pop, 0, "m").unwrap().to_bits();
        assert_eq!(m_bits, 0.0f32.to_bits(), "{b:?} m compiled from -0.5");
        sim.simulate(3.0).unwrap();
        for v in names {
            let got = sim.recorded(m, v).unwrap();
            let want = doc[v].as_array().unwrap();
            assert_eq!(got.nrows(), want.len(), "{v}");
            for (k, w) in want.iter().enumerate() {
                let w = w.as_f64().unwrap() as f32;
                assert_eq!(
                    got[[k, 0]].to_bits(),
                    w.to_bits(),
                    "{b:?} {v} step {}",
                    k + 1
                );
            }
        }
        sim.set(pop, "m", -0.7).unwrap();
        let m_bits = sim.get_neuron(pop, 0, "m").unwrap().to_bits();
        assert_eq!(m_bits, 0.0f32.to_bits(), "{b:?} m set to -0.7");
        sim.set_neuron(pop, 0, "m", -0.7).unwrap();
        sim.simulate(1.0).unwrap();
        let want = doc["sm_after_set"].as_f64().unwrap() as f32;
        assert_eq!(
            sim.get_neuron(pop, 0, "sm").unwrap(),
            want,
            "{b:?} sm after set"
        );
    }
    // In double precision too (the CPU engine's native code and its
    // interpreter share the analysis that makes the zero +0).
    let mut net = Network::new().dt(1.0).dtype(cajal::real::Dtype::F64);
    let model = Neuron::rate()
        .parameters("k = -0.3\nm = -0.5 : int")
        .equations("a = k : int\nb = -a : int\nsa = ite(1.0 / a > 0.0, 1.0, -1.0)\nr = 0.0");
    let pop = net.population("pop", 1, &model).unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    sim.simulate(2.0).unwrap();
    for v in ["a", "b", "m"] {
        let x = sim.get_f64(pop, v).unwrap()[[0]];
        assert_eq!(x.to_bits(), 0.0f64.to_bits(), "f64 {v}");
    }
    assert_eq!(sim.get_f64(pop, "sa").unwrap()[[0]], 1.0, "f64 sa");
}

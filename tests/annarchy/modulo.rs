//! ANNarchy 5.0.4.1 reference for `modulo` (tests/data/annarchy/modulo:
//! script, output, manifest): ANNarchy's `modulo(a, b)` is
//! `long(a) % long(b)`, both operands truncated toward zero, the
//! remainder with the dividend's sign; `fmod` is C's floating-point
//! remainder. At dt = 0.25 `t` and `x * t` are fractional, so a float
//! remainder differs from ANNarchy's by the fraction. On both engines.

use crate::common::compare::{assert_close, Tol};
use crate::common::{annarchy_json, backends, floats, tests};
use cajal::prelude::*;

tests! {
    both: [modulo_truncates_its_operands_as_annarchy],
}

fn modulo_truncates_its_operands_as_annarchy() {
    let doc = annarchy_json("modulo/modulo.json");
    let model = Neuron::rate().parameters("x = 0.0\ny = 1.0").equations(
        "a = modulo(t, 3.0)
         b = modulo(x * t, y) + 0.5
         c = fmod(x * t, y)
         r = modulo(x - t, y) - 1.0",
    );
    // fmod of x * t, which f32 rounds: its last bits differ from f64's.
    let tol = Tol::abs_plus_rel(1e-5, 1e-5);
    for b in backends() {
        let mut net = Network::new().dt(0.25);
        let p = net.population("p", 4, &model).unwrap();
        net.set(p, "x", vec![2.5f32, -1.7, 0.93, 7.3]).unwrap();
        net.set(p, "y", vec![2.0f32, 3.5, -2.7, 1.9]).unwrap();
        let mut sim = net.compile(b).unwrap();
        for step in 0..doc["a"].as_array().unwrap().len() {
            sim.simulate(0.25).unwrap();
            for v in ["a", "b", "c", "r"] {
                let want: Vec<f64> = floats(&doc[v][step]);
                let got: Vec<f32> = sim.get(p, v).unwrap().iter().copied().collect();
                assert_close::<f64>(
                    &got,
                    &want,
                    tol,
                    &format!("{b:?} {v} after step {}", step + 1),
                );
            }
        }
    }
}

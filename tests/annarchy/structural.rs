//! Structural plasticity against ANNarchy 5.0.4.1
//! (tests/data/annarchy/structural): a rate-coded network whose synapses
//! are created and pruned by deterministic `creating` and `pruning`
//! conditions checked every few steps, then created and pruned by hand.
//! After each phase the connectivity (every dendrite's pre ranks, weights
//! and ages) is ANNarchy's exactly, and r at every step matches to f32
//! rounding, on both engines; in double precision (CPU engine), r and w
//! to 1e-12.

use crate::common::{backends, tests};
use cajal::prelude::*;
use cajal::real::Dtype;

tests! {
    both: [structural_plasticity_is_annarchys],
    cpu: [structural_plasticity_in_f64_is_annarchys_to_1e_12],
}

const DATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/annarchy/structural/structural.json"
);

fn leaky() -> Neuron {
    Neuron::rate()
        .parameters(
            "tau = 10.0 : population
             baseline = 0.0",
        )
        .equations("tau * dr/dt + r = baseline + sum(exc) : min=0.0")
}

fn structural_synapse() -> Synapse {
    Synapse::new()
        .parameters(" T = 12 : int, projection ")
        .equations(
            "age = if pre.r * post.r > 0.25 :
                    0
                  else :
                    age + 1 : init = 0, int",
        )
        .pruning("age > T")
        .creating("pre.r * post.r > 0.25 : w = 0.05")
}

/// Every dendrite as (pre ranks, w, age), from the simulation.
type Rows = Vec<(Vec<u32>, Vec<f64>, Vec<f64>)>;

fn rows(sim: &Simulation, p: ProjId, n: usize) -> Rows {
    let (post, pre, w) = sim.synapses_f64(p, "w").unwrap();
    let (_, _, age) = sim.synapses_f64(p, "age").unwrap();
    let mut out = vec![(Vec::new(), Vec::new(), Vec::new()); n];
    for k in 0..post.len() {
        let r = &mut out[post[k] as usize];
        r.0.push(pre[k]);
        r.1.push(w[k]);
        r.2.push(age[k]);
    }
    out
}

fn structural_plasticity_is_annarchys() {
    for b in backends() {
        structural_case(b, Dtype::F32, 1e-7, 1e-5);
    }
}

fn structural_plasticity_in_f64_is_annarchys_to_1e_12() {
    structural_case(Backend::Cpu, Dtype::F64, 1e-12, 1e-12);
}

/// The reference's phases on `b` in `dtype`: w within `tol_w`, r within
/// `tol_r` (relative, or absolute below 1).
fn structural_case(b: Backend, dtype: Dtype, tol_w: f64, tol_r: f64) {
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(DATA).unwrap()).unwrap();
    let snaps = doc["snapshots"].as_array().unwrap();
    {
        let mut net = Network::new().dtype(dtype);
        let pop = net.population("pop", 8, &leaky()).unwrap();
        let p = net
            .projection(pop, pop, "exc")
            .synapse(&structural_synapse())
            .connect_all_to_all(Weights::constant(0.1))
            .unwrap();
        let mon = net.monitor(pop, &["r"]).unwrap();
        let mut sim = net.compile(b).unwrap();
        let half = |first: bool| -> Vec<f32> {
            (0..8)
                .map(|i| if (i < 4) == first { 1.0 } else { 0.0 })
                .collect()
        };
        let mut got = Vec::new();
        sim.simulate(3.0).unwrap();
        sim.start_creating(p, Some(5.0)).unwrap();
        sim.start_pruning(p, Some(10.0)).unwrap();
        sim.set(pop, "baseline", half(true)).unwrap();
        sim.simulate(40.0).unwrap();
        got.push((sim.current_step(), rows(&sim, p, 8)));
        sim.set(pop, "baseline", 0.0).unwrap();
        sim.simulate(25.0).unwrap();
        got.push((sim.current_step(), rows(&sim, p, 8)));
        sim.set(pop, "baseline", half(false)).unwrap();
        sim.simulate(40.0).unwrap();
        got.push((sim.current_step(), rows(&sim, p, 8)));
        sim.stop_creating(p).unwrap();
        sim.stop_pruning(p).unwrap();
        let mut base = vec![0.0f32; 8];
        base[1] = 0.5;
        sim.set(pop, "baseline", base).unwrap();
        sim.create_synapse(p, 2, 1, 0.3, None).unwrap();
        let first = rows(&sim, p, 8)[6].0[0] as usize;
        sim.prune_synapse(p, 6, first).unwrap();
        got.push((sim.current_step(), rows(&sim, p, 8)));
        sim.simulate(20.0).unwrap();
        got.push((sim.current_step(), rows(&sim, p, 8)));

        for (snap, (step, rows)) in snaps.iter().zip(&got) {
            let label = snap["label"].as_str().unwrap();
            assert_eq!(snap["step"].as_u64().unwrap(), *step, "{b:?} {label}");
            for (i, row) in snap["rows"].as_array().unwrap().iter().enumerate() {
                let ints = |k: &str| -> Vec<f64> {
                    row[k]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|x| x.as_f64().unwrap())
                        .collect()
                };
                let (pre, w, age) = &rows[i];
                let pre: Vec<f64> = pre.iter().map(|&x| f64::from(x)).collect();
                assert_eq!(pre, ints("pre"), "{b:?} {label}: pre ranks onto {i}");
                assert_eq!(age, &ints("age"), "{b:?} {label}: ages onto {i}");
                for (a, e) in w.iter().zip(ints("w")) {
                    assert!(
                        (a - e).abs() < tol_w,
                        "{b:?} {label}: w onto {i}: {a} against {e}"
                    );
                }
            }
        }
        let r = sim.recorded_f64(mon, "r").unwrap();
        let want = doc["r"].as_array().unwrap();
        assert_eq!(r.shape()[0], want.len(), "{b:?}: samples");
        for (s, row) in want.iter().enumerate() {
            for (i, e) in row.as_array().unwrap().iter().enumerate() {
                let (a, e) = (r[[s, i]], e.as_f64().unwrap());
                assert!(
                    (a - e).abs() <= tol_r * e.abs().max(1.0),
                    "{b:?}: r of neuron {i} at step {s}: {a} against ANNarchy's {e}"
                );
            }
        }
    }
}

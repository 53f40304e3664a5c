//! The Gap junctions notebook against ANNarchy 5.0.4.1
//! (tests/data/annarchy/gap_junctions): a synapse with a psp between
//! spiking populations is continuous transmission, `w * (pre.v - post.v)`
//! summed into `g_gap` at every step from the values the previous step
//! left, with no spike events. Ten neurons started at v = 0, 1/9, ..., 1,
//! all to all, w = 0.02, dt = 0.1 ms, 500 ms: the coupling at the first
//! steps to f32 rounding, every spike step exactly, v of neurons 0 and 5
//! to 1e-3 (f32 against f64 over 5000 steps).

use crate::common::{backends, tests};
use cajal::prelude::*;

tests! {
    both: [
        gap_junctions_transmit_continuously_as_annarchy,
    ],
}

const DATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/annarchy/gap_junctions/gap_junctions.json"
);

fn gap_junctions_transmit_continuously_as_annarchy() {
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(DATA).unwrap()).unwrap();
    let floats = |v: &serde_json::Value| -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    for b in backends() {
        // The notebook's model strings.
        let neuron = Neuron::spiking()
            .parameters("v0 = 1.05: population; tau = 10.0: population")
            .equations("tau*dv/dt = v0 - v + g_gap")
            .spike("v >  1.")
            .reset("v = 0.");
        let gap_junction = Synapse::new().psp("w * (pre.v - post.v)");
        let mut net = Network::new().dt(0.1);
        let pop = net.population("pop", 10, &neuron).unwrap();
        let v0: Vec<f32> = (0..10).map(|k| k as f32 / 9.0).collect();
        net.set(pop, "v", v0).unwrap();
        net.projection(pop, pop, "gap")
            .synapse(&gap_junction)
            .connect_all_to_all(0.02)
            .unwrap();
        let m = net.monitor(pop, &["v", "spike", "g_gap"]).unwrap();
        let mut sim = net.compile(b).unwrap();
        sim.simulate(500.0).unwrap();
        let g = sim.recorded(m, "g_gap").unwrap();
        for (k, row) in doc["g_gap_first_10_steps"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
        {
            for (i, want) in floats(row).iter().enumerate() {
                let got = f64::from(g[[k, i]]);
                assert!(
                    (got - want).abs() <= 1e-6 + 1e-5 * want.abs(),
                    "{b:?}: g_gap at step {k}, neuron {i}: cajal {got}, ANNarchy {want}"
                );
            }
        }
        let mut trains = vec![Vec::new(); 10];
        for (step, i) in sim.spikes(m).unwrap() {
            trains[i as usize].push(step as i64);
        }
        for (i, got) in trains.iter().enumerate() {
            let want: Vec<i64> = doc["spike_steps"][i.to_string()]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_i64().unwrap())
                .collect();
            assert_eq!(
                got.len(),
                want.len(),
                "{b:?}: neuron {i}: {got:?} vs {want:?}"
            );
            assert_eq!(got, &want, "{b:?}: spike steps of neuron {i}");
        }
        let v = sim.recorded(m, "v").unwrap();
        for (col, key) in [(0, "v_0"), (5, "v_5")] {
            let want = floats(&doc[key]);
            let worst = want
                .iter()
                .enumerate()
                .map(|(k, w)| (f64::from(v[[k, col]]) - w).abs())
                .fold(0.0f64, f64::max);
            assert!(
                worst <= 1e-3,
                "{b:?}: v of neuron {col} differs by up to {worst}"
            );
        }
    }
}

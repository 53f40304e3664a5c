//! Monitors of synaptic variables against ANNarchy 5.0.4.1
//! (tests/data/annarchy/projection_monitor: script, output, manifest).
//! Six spike sources onto two neurons through ANNarchy's STDP, dt = 0.5
//! ms, 200 steps; `w` recorded as ANNarchy's `Monitor(proj[0], 'w',
//! period=5.0)` (read and emptied after 23 steps, then at the end),
//! `Monitor(proj[1], 'w')` (every step: a sample holds the step's
//! post-synaptic updates, as ANNarchy records at the end of the step),
//! `Monitor(proj, 'w', period=10.0)` and a dendrite monitor whose period
//! counts from step 23. Every sample to 1e-6, the sample counts exactly,
//! on both engines.

use crate::common::{backends, tests};
use cajal::models::synapses::stdp;
use cajal::prelude::*;

tests! {
    both: [
        synapse_monitors_sample_as_annarchy,
    ],
}

const DATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/annarchy/projection_monitor/projection_monitor.json"
);

fn rows(v: &serde_json::Value) -> Vec<Vec<f64>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect()
        })
        .collect()
}

fn assert_rows(what: &str, got: &ndarray::Array2<f32>, want: &[Vec<f64>]) {
    assert_eq!(got.nrows(), want.len(), "{what}: samples");
    for (k, w) in want.iter().enumerate() {
        assert_eq!(got.ncols(), w.len(), "{what}: synapses");
        for (j, &x) in w.iter().enumerate() {
            let g = f64::from(got[[k, j]]);
            assert!(
                (g - x).abs() <= 1e-6,
                "{what}: sample {k}, synapse {j}: cajal {g}, ANNarchy {x}"
            );
        }
    }
}

fn synapse_monitors_sample_as_annarchy() {
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(DATA).unwrap()).unwrap();
    let times = vec![
        vec![2.0, 20.0, 41.0, 60.5, 80.0],
        vec![3.0, 22.0, 43.0, 62.0],
        vec![5.0, 25.0, 45.0, 70.0, 90.0],
        vec![10.0, 30.0, 50.0],
        vec![12.5, 33.0, 52.0, 75.0],
        vec![15.0, 35.0, 55.0, 95.0],
    ];
    let nan = f32::NAN;
    let w = ndarray::arr2(&[
        [0.9, 0.8, 0.7, 0.85, 0.6, 0.75],
        [0.5, 0.95, nan, 0.7, 0.8, 0.65],
    ]);
    for b in backends() {
        let mut net = Network::new().dt(0.5);
        let pre = net.spike_source_array("pre", times.clone()).unwrap();
        let neuron = Neuron::spiking()
            .parameters("tau = 10.0 : population\ntau_e = 5.0 : population\nvt = 1.0")
            .equations("tau * dv/dt = -v + g_exc : init = 0.0\ntau_e * dg_exc/dt = -g_exc")
            .spike("v > vt")
            .reset("v = 0.0");
        let post = net.population("post", 2, &neuron).unwrap();
        net.set(post, "vt", vec![1.0f32, 0.8]).unwrap();
        let proj = net
            .projection(pre, post, "exc")
            .synapse(&stdp(20.0, 20.0, 0.05, 0.055, 0.0, 1.0))
            .connect_from_matrix(w.clone())
            .unwrap();
        let ms = net.monitor(post, &["spike"]).unwrap();
        let d0 = net.monitor_projection(proj, Some(0), &["w"], 5.0).unwrap();
        let d1 = net.monitor_projection(proj, Some(1), &["w"], 0.5).unwrap();
        let pj = net.monitor_projection(proj, None, &["w"], 10.0).unwrap();
        let late = net.monitor_projection(proj, Some(0), &["w"], 5.0).unwrap();
        let mut sim = net.compile(b).unwrap();
        // ANNarchy's `late` is made at step 23: paused until then here.
        sim.pause(late).unwrap();
        sim.simulate(11.5).unwrap();
        sim.resume(late).unwrap();
        let first = sim.take_recording(d0).unwrap();
        assert_eq!(first.sample_steps, vec![0, 10, 20], "{b:?}");
        assert_rows(
            "d0 (first get)",
            first.var("w").unwrap(),
            &rows(&doc["d0_first"]),
        );
        sim.simulate(88.5).unwrap();
        assert_eq!(sim.current_step(), 200);
        let second = sim.take_recording(d0).unwrap();
        assert_eq!(
            second.sample_steps,
            (3..20).map(|k| k * 10).collect::<Vec<_>>()
        );
        assert_rows(
            &format!("{b:?} d0 (second get)"),
            second.var("w").unwrap(),
            &rows(&doc["d0_second"]),
        );
        assert_eq!(sim.sample_steps(d1).unwrap(), (0..200).collect::<Vec<_>>());
        assert_rows(
            &format!("{b:?} d1"),
            &sim.recorded(d1, "w").unwrap(),
            &rows(&doc["d1"]),
        );
        // The whole projection: ANNarchy's list per post neuron, flattened
        // in (post, pre) order.
        let want: Vec<Vec<f64>> = doc["projection"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| rows(s).concat())
            .collect();
        assert_eq!(
            sim.sample_steps(pj).unwrap(),
            (0..10).map(|k| k * 20).collect::<Vec<_>>()
        );
        assert_rows(
            &format!("{b:?} projection"),
            &sim.recorded(pj, "w").unwrap(),
            &want,
        );
        assert_eq!(
            sim.sample_steps(late).unwrap(),
            (0..18).map(|k| 23 + k * 10).collect::<Vec<_>>()
        );
        assert_rows(
            &format!("{b:?} late"),
            &sim.recorded(late, "w").unwrap(),
            &rows(&doc["late"]),
        );
        // The run itself is ANNarchy's: the post spikes, and w moved.
        let mut trains = vec![Vec::new(); 2];
        for (s, i) in sim.spikes(ms).unwrap() {
            trains[i as usize].push(s as i64);
        }
        for (i, t) in trains.iter().enumerate() {
            let want: Vec<i64> = doc["post_spike_steps"][i.to_string()]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_i64().unwrap())
                .collect();
            assert_eq!(t, &want, "{b:?}: spike steps of post {i}");
        }
        let (_, last) = sim.dendrite(proj, 0, "w").unwrap();
        assert_ne!(last, vec![0.9, 0.8, 0.7, 0.85, 0.6, 0.75]);
    }
}

//! ml_genn's ways of feeding examples: set_input (per batch element, with
//! padding), input frames, SpikeInput (ceil to the step, one spike a step
//! per neuron, max_spikes), on both engines.

use crate::common::{backends, tests};
use cajal::models::mlgenn::IntegrateFireInput;
use cajal::prelude::*;
use ndarray::{array, Array3, ArrayD, IxDyn};

tests! {
    both: [
        spike_input_spikes_at_the_first_step_at_or_after_each_time,
        set_input_pads_the_batch_and_checks_shapes,
        input_frames_switch_every_frame_timesteps_and_hold_the_last,
    ],
}

fn spike_input_spikes_at_the_first_step_at_or_after_each_time() {
    for backend in backends() {
        let mut net = Network::new().dt(0.5);
        let inp = net.spike_input("in", 4, 8).unwrap();
        let m = net.monitor(inp, &["spike"]).unwrap();
        let mut sim = net.compile_batched(backend, 3).unwrap();
        // Element 0: 0.2 ms -> step 1 (t = 0.5); 1.0 ms exactly -> step 2;
        // three spikes of neuron 3 due at step 2 -> steps 2, 3, 4; 0.0 -> 0.
        // Element 1: 0.3 ms -> step 1 (0.3 / 0.5 = 0.6, up to 1); 2.0 -> 4.
        // Element 2: no example -> no spikes.
        let ex0 = vec![(0.2, 1), (1.0, 0), (1.0, 3), (0.9, 3), (1.0, 3), (0.0, 2)];
        let ex1 = vec![(0.3, 2), (2.0, 2)];
        sim.set_input_spikes(inp, &[ex0.clone(), ex1.clone()])
            .unwrap();
        sim.simulate(4.0).unwrap();
        let per = sim.spikes_batch(m).unwrap();
        assert_eq!(
            per[0],
            vec![(0, 2), (1, 1), (2, 0), (2, 3), (3, 3), (4, 3)],
            "{backend:?}"
        );
        assert_eq!(per[1], vec![(1, 2), (4, 2)], "{backend:?}");
        assert!(per[2].is_empty(), "{backend:?}");
        // A reset plays the example again; a new example replaces it.
        sim.reset().unwrap();
        sim.set_input_spikes(inp, &[vec![], vec![], vec![(1.5, 1)]])
            .unwrap();
        sim.simulate(4.0).unwrap();
        let per = sim.spikes_batch(m).unwrap();
        assert!(per[0].is_empty() && per[1].is_empty(), "{backend:?}");
        assert_eq!(per[2], vec![(3, 1)], "{backend:?}");

        // Errors name the population and leave the input as it was.
        let nine = vec![(1.0, 0); 9];
        let e = sim.set_input_spikes(inp, &[nine]).unwrap_err().to_string();
        assert!(e.contains("'in'") && e.contains("max_spikes = 8"), "{e}");
        let e = sim
            .set_input_spikes(inp, &[vec![(1.0, 4)]])
            .unwrap_err()
            .to_string();
        assert!(e.contains("neuron 4") && e.contains("out of range"), "{e}");
        let e = sim
            .set_input_spikes(inp, &[vec![(-1.0, 0)]])
            .unwrap_err()
            .to_string();
        assert!(e.contains("non-negative"), "{e}");
        let e = sim
            .set_input_spikes(inp, &[vec![], vec![], vec![], vec![]])
            .unwrap_err()
            .to_string();
        assert!(e.contains("4 examples for a batch of 3"), "{e}");
    }
}

fn set_input_pads_the_batch_and_checks_shapes() {
    for backend in backends() {
        let mut net = Network::new().dt(1.0);
        let model = IntegrateFireInput::default().neuron();
        let inp = net.population("in", [2, 2], &model).unwrap();
        let mut sim = net.compile_batched(backend, 3).unwrap();
        let two = array![[[0.5f32, 0.25], [0.0, 1.0]], [[0.1, 0.2], [0.3, 0.4]]];
        sim.set_input(inp, two.view().into_dyn()).unwrap();
        let got = sim.get(inp, "input").unwrap();
        assert_eq!(got.shape(), &[3, 2, 2]);
        assert_eq!(
            got.iter().copied().collect::<Vec<_>>(),
            vec![0.5, 0.25, 0.0, 1.0, 0.1, 0.2, 0.3, 0.4, 0.0, 0.0, 0.0, 0.0]
        );
        // v integrates the input: v = v + input each step (threshold 1).
        sim.simulate(1.0).unwrap();
        let v = sim.get(inp, "v").unwrap();
        assert_eq!(v[[1, 1, 1]], 0.4, "{backend:?}");
        assert_eq!(v[[2, 0, 0]], 0.0, "{backend:?}");

        let e = sim
            .set_input(inp, ArrayD::zeros(IxDyn(&[4, 2, 2])).view())
            .unwrap_err()
            .to_string();
        assert!(e.contains("4 examples for a batch of 3"), "{e}");
        let e = sim
            .set_input(inp, ArrayD::zeros(IxDyn(&[3, 4])).view())
            .unwrap_err()
            .to_string();
        assert!(e.contains("'in'") && e.contains("[2, 2]"), "{e}");
        let mut bad = ArrayD::zeros(IxDyn(&[2, 2]));
        bad[[0, 1]] = f32::NAN;
        assert!(sim.set_input(inp, bad.view()).is_err());
    }
    // A population without `input`.
    let mut net = Network::new().dt(1.0);
    let p = net
        .population("r", 2, &Neuron::rate().parameters("r = 0.0"))
        .unwrap();
    let e = net.input_frames(p, 2, 3).unwrap_err().to_string();
    assert!(e.contains("'r'") && e.contains("'input'"), "{e}");
    let mut sim = net.compile(Backend::Cpu).unwrap();
    let e = sim
        .set_input(p, ArrayD::zeros(IxDyn(&[2])).view())
        .unwrap_err()
        .to_string();
    assert!(e.contains("'input'"), "{e}");
}

fn input_frames_switch_every_frame_timesteps_and_hold_the_last() {
    for backend in backends() {
        let mut net = Network::new().dt(1.0);
        let model = IntegrateFireInput {
            v_thresh: 1e9,
            ..Default::default()
        }
        .neuron();
        let inp = net.population("in", 3, &model).unwrap();
        net.input_frames(inp, 3, 2).unwrap();
        let e = net.input_frames(inp, 3, 2).unwrap_err().to_string();
        assert!(e.contains("already"), "{e}");
        let m = net.monitor(inp, &["input", "v"]).unwrap();
        let mut sim = net.compile_batched(backend, 2).unwrap();
        // One example of 3 frames; element 1 gets zeros.
        let frames = Array3::from_shape_fn((1, 3, 3), |(_, f, i)| (f * 10 + i) as f32);
        sim.set_input(inp, frames.view().into_dyn()).unwrap();
        sim.simulate(8.0).unwrap();
        let rec = sim.recorded_batch(m, "input").unwrap();
        for s in 0..8 {
            let f = (s / 2).min(2);
            for i in 0..3 {
                assert_eq!(rec[[0, s, i]], (f * 10 + i) as f32, "{backend:?} step {s}");
                assert_eq!(rec[[1, s, i]], 0.0, "{backend:?} step {s}");
            }
        }
        // v integrated the frames: sum over the 8 steps.
        let v = sim.recorded_batch(m, "v").unwrap();
        let want: f32 = (0..8).map(|s| ((s / 2).min(2) * 10 + 1) as f32).sum();
        assert_eq!(v[[0, 7, 1]], want, "{backend:?}");
        // After a reset the frames play from the first again.
        sim.reset().unwrap();
        sim.simulate(1.0).unwrap();
        assert_eq!(sim.get(inp, "input").unwrap()[[0, 2]], 2.0, "{backend:?}");
        // The frame count is part of the shape.
        let e = sim
            .set_input(inp, ArrayD::zeros(IxDyn(&[1, 2, 3])).view())
            .unwrap_err()
            .to_string();
        assert!(e.contains("[3, 3]"), "{e}");
    }
}

//! Inputs given ahead of time, on both engines: TimedArray switching on the
//! right step (every-step, interval and list schedules, periods),
//! TimedPoissonPopulation rates following their schedule, SpikeSourceArray
//! spiking exactly at its times (replayed by reset, changed by
//! set_spike_times), InputArray, and the errors of bad inputs.

use crate::common::{backends, tests};
use cajal::models::timed::Schedule;
use cajal::prelude::*;
use ndarray::{array, Array2};

tests! {
    cpu: [
        timed_inputs_refuse_bad_input,
    ],
    both: [
        timed_array_switches_on_the_right_step,
        timed_array_shapes_reset_set_time_and_update,
        timed_poisson_rates_follow_the_schedule,
        spike_source_array_spikes_at_its_times_and_replays,
        input_array_values_come_from_the_host,
    ],
}

/// The row a schedule presents at `step` (the test's own reading of
/// ANNarchy's semantics): the last start <= step, modulo the period.
fn expected_row(starts: &[u64], period: u64, step: u64) -> Option<usize> {
    let s = if period > 0 { step % period } else { step };
    starts.iter().rposition(|&x| x <= s)
}

fn timed_array_switches_on_the_right_step() {
    let rows = array![[1.0f32, -1.0], [2.0, -2.0], [3.0, -3.0], [4.0, -4.0]];
    // (schedule, period ms, starts in steps, period in steps); dt = 0.5 ms.
    let cases: Vec<(Schedule, f64, Vec<u64>, u64)> = vec![
        (Schedule::Every(0.0), -1.0, vec![0, 1, 2, 3], 0),
        (Schedule::Every(5.0), -1.0, vec![0, 10, 20, 30], 0),
        (Schedule::Every(5.0), 30.0, vec![0, 10, 20, 30], 60),
        (
            Schedule::At(vec![2.0, 3.0, 10.0, 12.5]),
            20.0,
            vec![4, 6, 20, 25],
            40,
        ),
        (
            Schedule::At(vec![0.0, 0.5, 1.0, 40.0]),
            0.0,
            vec![0, 1, 2, 80],
            0,
        ),
    ];
    for b in backends() {
        for (sched, period, starts, period_steps) in &cases {
            let mut net = Network::new().dt(0.5);
            let inp = net
                .timed_array("inp", &rows, sched.clone(), *period)
                .unwrap();
            // A rate neuron reading it: one step later, as any rate projection.
            let out = net
                .population("out", 2, &Neuron::rate().equations("r = sum(exc)"))
                .unwrap();
            net.projection(inp, out, "exc")
                .connect_one_to_one(Weights::Constant(1.0))
                .unwrap();
            let m = net.monitor(inp, &["r"]).unwrap();
            let mo = net.monitor(out, &["r"]).unwrap();
            let mut sim = net.compile(b).unwrap();
            sim.simulate(100.0).unwrap();
            let r = sim.recorded(m, "r").unwrap();
            let ro = sim.recorded(mo, "r").unwrap();
            // Before the first start the variable keeps its value (the
            // last row, once a period has wrapped).
            let mut want = [0.0f32, 0.0];
            for step in 0..200u64 {
                if let Some(k) = expected_row(starts, *period_steps, step) {
                    want = [rows[[k, 0]], rows[[k, 1]]];
                }
                let got = [r[[step as usize, 0]], r[[step as usize, 1]]];
                assert_eq!(got, want, "{b:?} {sched:?}: step {step}");
                if step > 0 {
                    let prev = [r[[step as usize - 1, 0]], r[[step as usize - 1, 1]]];
                    let got = [ro[[step as usize, 0]], ro[[step as usize, 1]]];
                    assert_eq!(got, prev, "{b:?} {sched:?}: the reader at step {step}");
                }
            }
        }
    }
}

fn timed_array_shapes_reset_set_time_and_update() {
    for b in backends() {
        let mut net = Network::new().dt(1.0);
        // (T, 2, 3): a 2x3 population.
        let mut rates = ndarray::Array3::<f32>::zeros((3, 2, 3));
        for ((k, i, j), v) in rates.indexed_iter_mut() {
            *v = (100 * k + 10 * i + j) as f32;
        }
        let inp = net.timed_array("inp", &rates, 10.0, -1.0).unwrap();
        assert_eq!(net.pop(inp).unwrap().geometry.dims(), &[2, 3]);
        let mut sim = net.compile(b).unwrap();
        sim.simulate(25.0).unwrap();
        let r = sim.get(inp, "r").unwrap();
        assert_eq!(r.shape(), &[2, 3]);
        assert_eq!(r[[1, 2]], 212.0, "{b:?}");
        // Back to the start: row 0 again at the next step.
        sim.reset().unwrap();
        sim.simulate(1.0).unwrap();
        assert_eq!(sim.get(inp, "r").unwrap()[[1, 2]], 12.0, "{b:?}");
        // A jump in steps reads the row of the new step.
        sim.set_current_step(14);
        sim.simulate(1.0).unwrap();
        assert_eq!(sim.get(inp, "r").unwrap()[[0, 1]], 101.0, "{b:?}");
        // New rows and schedule from the next step on.
        let new = ndarray::Array3::<f32>::from_elem((2, 2, 3), 7.0);
        sim.update_timed(inp, &new, vec![0.0, 1000.0], -1.0)
            .unwrap();
        sim.simulate(1.0).unwrap();
        assert_eq!(sim.get(inp, "r").unwrap()[[0, 0]], 7.0, "{b:?}");
        let wrong = Array2::<f32>::zeros((2, 5));
        let e = sim.update_timed(inp, &wrong, 1.0, -1.0).unwrap_err();
        assert!(e.to_string().contains("inp"), "{e}");
    }
}

fn timed_inputs_refuse_bad_input() {
    let mut net = Network::new().dt(1.0);
    let rows = array![[1.0f32], [2.0]];
    let check = |e: cajal::Error, words: &[&str]| {
        let m = e.to_string();
        for w in words {
            assert!(m.contains(w), "'{m}' should mention '{w}'");
        }
    };
    check(
        net.timed_array("a", &rows, vec![0.0], -1.0).unwrap_err(),
        &["'a'", "1 schedule times for 2 rows"],
    );
    check(
        net.timed_array("b", &rows, vec![5.0, 5.2], -1.0)
            .unwrap_err(),
        &["'b'", "increase"],
    );
    check(
        net.timed_array("c", &rows, 10.0, 10.0).unwrap_err(),
        &["'c'", "period"],
    );
    check(
        net.timed_array("d", &Array2::<f32>::zeros((0, 3)), 1.0, -1.0)
            .unwrap_err(),
        &["'d'", "row"],
    );
    check(
        net.timed_array("e", &array![[f32::NAN]], 1.0, -1.0)
            .unwrap_err(),
        &["'e'", "finite"],
    );
    check(
        net.timed_poisson_population("f", 3, &Array2::<f32>::zeros((2, 2)), 1.0, -1.0)
            .unwrap_err(),
        &["'f'", "(2, 2)", "3 neurons"],
    );
    check(
        net.timed_poisson_population("g", 3, &array![[-1.0f32]], 1.0, -1.0)
            .unwrap_err(),
        &["'g'", "non-negative"],
    );
    check(
        net.spike_source_array("h", vec![vec![1.0, -2.0]])
            .unwrap_err(),
        &["'h'", "neuron 0", "-2"],
    );
    // Nothing that failed was added.
    assert!(net.populations().is_empty());
}

fn timed_poisson_rates_follow_the_schedule() {
    let n = 400;
    let mut all = Vec::new();
    for b in backends() {
        let mut net = Network::new().dt(0.1).seed(5);
        // Per neuron: neuron i at 50 + i/4 Hz in the middle phase.
        let mut rates = Array2::<f32>::zeros((3, n));
        for i in 0..n {
            rates[[1, i]] = 50.0 + i as f32 / 4.0;
        }
        let p = net
            .timed_poisson_population("p", n, &rates, vec![0.0, 100.0, 600.0], -1.0)
            .unwrap();
        let m = net.monitor(p, &["spike"]).unwrap();
        let mut sim = net.compile(b).unwrap();
        sim.simulate(800.0).unwrap();
        let spikes = sim.spikes(m).unwrap();
        assert!(
            spikes.iter().all(|&(s, _)| (1000..6000).contains(&s)),
            "{b:?}: spikes outside the active phase"
        );
        // Bernoulli per step: mean sum(p_i) * 5000 steps.
        let mean: f64 = (0..n)
            .map(|i| (50.0 + i as f64 / 4.0) * 1e-4 * 5000.0)
            .sum();
        let var: f64 = (0..n)
            .map(|i| {
                let p = (50.0 + i as f64 / 4.0) * 1e-4;
                5000.0 * p * (1.0 - p)
            })
            .sum();
        let c = spikes.len() as f64;
        assert!(
            (c - mean).abs() < 3.0 * var.sqrt(),
            "{b:?}: {c} spikes, expected {mean} +- {}",
            var.sqrt()
        );
        all.push(spikes);
    }
    if all.len() == 2 {
        assert_eq!(all[0], all[1], "the engines drew different spikes");
    }
}

fn spike_source_array_spikes_at_its_times_and_replays() {
    let times = vec![
        vec![0.0, 1.0, 1.04, 7.26],
        vec![],
        vec![3.0, 0.5],
        vec![9.9],
    ];
    // Rounded to the nearest step of 0.1 ms; two times in one step make one spike.
    let mut want: Vec<(u64, u32)> = vec![(0, 0), (10, 0), (73, 0), (30, 2), (5, 2), (99, 3)];
    want.sort_unstable();
    for b in backends() {
        let mut net = Network::new().dt(0.1);
        let src = net.spike_source_array("src", times.clone()).unwrap();
        // Delivered to a LIF-like counter: g_exc += w with a delay of 2 ms.
        let tgt = net
            .population(
                "tgt",
                4,
                &Neuron::spiking()
                    .equations("n = n + g_exc")
                    .spike("n > 1000.0"),
            )
            .unwrap();
        net.projection(src, tgt, "exc")
            .delays(2.0)
            .connect_one_to_one(Weights::Constant(1.0))
            .unwrap();
        let m = net.monitor(src, &["spike"]).unwrap();
        let mut sim = net.compile(b).unwrap();
        sim.simulate(12.0).unwrap();
        let mut got = sim.spikes(m).unwrap();
        got.sort_unstable();
        assert_eq!(got, want, "{b:?}");
        let n = sim.get(tgt, "n").unwrap();
        // Delivered 20 steps later: the spike of step 99 arrives at step 119, the last.
        assert_eq!(
            n.as_slice().unwrap(),
            &[3.0, 0.0, 2.0, 1.0],
            "{b:?}: delivered counts"
        );
        // A reset plays them again.
        sim.reset().unwrap();
        sim.simulate(12.0).unwrap();
        let mut again = sim.spikes(m).unwrap();
        again.sort_unstable();
        assert_eq!(again, want, "{b:?}: after reset");
        // New times from now on (t = 12 ms).
        sim.set_spike_times(src, vec![vec![12.5], vec![13.0, 20.0], vec![], vec![1.0]])
            .unwrap();
        let before = sim.spikes(m).unwrap().len();
        sim.simulate(10.0).unwrap();
        let mut new: Vec<(u64, u32)> = sim.spikes(m).unwrap()[before..].to_vec();
        new.sort_unstable();
        assert_eq!(new, vec![(125, 0), (130, 1), (200, 1)], "{b:?}: new times");
        let e = sim.set_spike_times(src, vec![vec![]]).unwrap_err();
        assert!(
            e.to_string()
                .contains("1 lists of spike times for 4 neurons"),
            "{e}"
        );
    }
}

fn input_array_values_come_from_the_host() {
    for b in backends() {
        let mut net = Network::new().dt(1.0);
        let inp = net.input_array("inp", 3).unwrap();
        let out = net
            .population("out", 1, &Neuron::rate().equations("r = sum(exc)"))
            .unwrap();
        net.projection(inp, out, "exc")
            .connect_all_to_all(Weights::Constant(2.0))
            .unwrap();
        let mut sim = net.compile(b).unwrap();
        sim.simulate(3.0).unwrap();
        assert_eq!(sim.get(out, "r").unwrap()[[0]], 0.0);
        sim.set(inp, "r", vec![1.0, 2.0, 4.0]).unwrap();
        sim.simulate(2.0).unwrap();
        assert_eq!(sim.get(out, "r").unwrap()[[0]], 14.0, "{b:?}");
        assert_eq!(sim.get(inp, "r").unwrap()[[2]], 4.0, "{b:?}");
    }
}

//! Hybrid rate/spiking networks on both engines: rate-coded projections
//! into spiking neurons (sum(target), PoissonPopulation driven by a
//! target), DecodingProjection against a hand computation, its state kept by
//! save/load, its errors, and the Vitay et al. 2015 hybrid network against
//! ANNarchy 5.0.4.1's decoding errors.

use crate::common::{backends, temp_path, tests};
use cajal::prelude::*;
use ndarray::{array, Array2};

tests! {
    cpu: [
        hybrid_connections_refuse_what_they_cannot_do,
        every_input_and_hybrid_kernel_validates_without_a_device,
    ],
    both: [
        decoding_projection_counts_spikes_over_its_window,
        poisson_population_follows_a_rate_coded_target,
        a_saved_decoding_window_continues_the_run,
        hybrid_network_decodes_as_annarchy_does,
        current_injection_sets_the_conductance_to_the_rate,
    ],
}

/// The decoded sums a DecodingProjection should give, computed here in f64
/// from the spike steps: at step s, post i gets the weighted count of its
/// pre neurons' spikes at steps s-1 .. s-W, * 1000 / (W dt) / n_pre(i).
fn expected_decoding(
    spikes: &[Vec<u64>],
    m: &Array2<f32>,
    window: u64,
    dt: f64,
    steps: u64,
) -> Array2<f64> {
    let n_post = m.nrows();
    let mut out = Array2::zeros((steps as usize, n_post));
    for s in 0..steps {
        for i in 0..n_post {
            let mut count = 0.0;
            let mut n_pre = 0;
            for (j, times) in spikes.iter().enumerate() {
                let w = m[[i, j]];
                if w.is_nan() {
                    continue;
                }
                n_pre += 1;
                let hits = times.iter().filter(|&&t| t < s && t + window >= s).count();
                count += f64::from(w) * hits as f64;
            }
            if n_pre > 0 {
                out[[s as usize, i]] = count * 1000.0 / (window as f64 * dt) / n_pre as f64;
            }
        }
    }
    out
}

fn decoding_projection_counts_spikes_over_its_window() {
    let dt = 0.5;
    // Spike steps per source neuron.
    let spikes: Vec<Vec<u64>> = vec![
        vec![0, 1, 2, 9, 10],
        vec![3, 4, 20],
        vec![],
        vec![5, 6, 7, 8],
    ];
    let times: Vec<Vec<f64>> = spikes
        .iter()
        .map(|v| v.iter().map(|&s| s as f64 * dt).collect())
        .collect();
    let nan = f32::NAN;
    // [post, pre]: post 0 reads 0 and 1, post 1 all four with weights, post 2 nothing.
    let m = array![
        [1.0, 1.0, nan, nan],
        [0.5, 2.0, 1.0, -1.0],
        [nan, nan, nan, nan]
    ];
    for window_ms in [0.0, 2.0, 3.0] {
        let window = ((window_ms / dt) as u64).max(1);
        let want = expected_decoding(&spikes, &m, window, dt, 30);
        for b in backends() {
            let mut net = Network::new().dt(dt);
            let src = net.spike_source_array("src", times.clone()).unwrap();
            let out = net
                .population("out", 3, &Neuron::rate().equations("r = sum(exc)"))
                .unwrap();
            net.decoding_projection(src, out, "exc", window_ms)
                .connect_from_matrix(m.clone())
                .unwrap();
            let mo = net.monitor(out, &["r"]).unwrap();
            let mut sim = net.compile(b).unwrap();
            sim.simulate(15.0).unwrap();
            let r = sim.recorded(mo, "r").unwrap();
            for ((s, i), &x) in r.indexed_iter() {
                let e = want[[s, i]];
                assert!(
                    (f64::from(x) - e).abs() <= 1e-5 * e.abs().max(1.0),
                    "{b:?} window {window_ms} ms: step {s} post {i}: {x} vs {e}"
                );
            }
        }
    }
}

fn poisson_population_follows_a_rate_coded_target() {
    let mut counts = Vec::new();
    for b in backends() {
        let mut net = Network::new().dt(0.1).seed(3);
        let inp = net.input_array("inp", 2).unwrap();
        let p = net
            .poisson_population(
                "p",
                500,
                cajal::models::inputs::Rates::Target("exc".into()),
                None,
            )
            .unwrap();
        // Each Poisson neuron gets 0.5 * (r0 + r1).
        net.projection(inp, p, "exc")
            .connect_all_to_all(Weights::constant(0.5))
            .unwrap();
        let m = net.monitor(p, &["spike"]).unwrap();
        let mut sim = net.compile(b).unwrap();
        sim.set(inp, "r", vec![30.0, 50.0]).unwrap();
        sim.simulate(1000.0).unwrap();
        let spikes = sim.spikes(m).unwrap();
        // 40 Hz from the first step (it reads the rates set before it):
        // 10000 steps of p = 0.004.
        let (n, steps, prob) = (500.0, 10000.0, 40.0 * 0.1 / 1000.0);
        let mean = n * steps * prob;
        let sd: f64 = n * steps * prob * (1.0 - prob);
        let c = spikes.len() as f64;
        assert!(
            (c - mean).abs() < 3.0 * sd.sqrt(),
            "{b:?}: {c} spikes, expected {mean} +- {}",
            sd.sqrt()
        );
        assert_eq!(
            sim.get(p, "rates").unwrap()[[0]],
            40.0,
            "{b:?}: the rate is sum(exc)"
        );
        counts.push(spikes);
    }
    if counts.len() == 2 {
        assert_eq!(counts[0], counts[1], "the engines drew different spikes");
    }
}

fn hybrid_connections_refuse_what_they_cannot_do() {
    let mut net = Network::new().dt(0.1);
    let rate = net.input_array("rate", 3).unwrap();
    let src = net.spike_source_array("src", vec![vec![1.0]; 3]).unwrap();
    let out = net
        .population("out", 3, &Neuron::rate().equations("r = sum(exc)"))
        .unwrap();
    let msg = |e: cajal::Error| e.to_string();
    // Decoding a rate-coded population.
    let e = net
        .decoding_projection(rate, out, "exc", 10.0)
        .connect_one_to_one(Weights::constant(1.0))
        .unwrap_err();
    assert!(msg(e).contains("rate-coded"));
    // A synapse model, a delay, a target the post does not read, a bad window.
    let syn = Synapse::new().psp("2.0 * w * pre.r");
    let e = net
        .decoding_projection(src, out, "exc", 10.0)
        .synapse(&syn)
        .connect_one_to_one(Weights::constant(1.0))
        .unwrap_err();
    assert!(msg(e).contains("no synapse model"));
    let e = net
        .decoding_projection(src, out, "exc", 10.0)
        .delays(2.0)
        .connect_one_to_one(Weights::constant(1.0))
        .unwrap_err();
    assert!(msg(e).contains("no delays"));
    let e = net
        .decoding_projection(src, out, "inh", 10.0)
        .connect_one_to_one(Weights::constant(1.0))
        .unwrap_err();
    assert!(msg(e).contains("sum(inh)"));
    let e = net
        .decoding_projection(src, out, "exc", -1.0)
        .connect_one_to_one(Weights::constant(1.0))
        .unwrap_err();
    assert!(msg(e).contains("window"));
    // Spikes onto a rate-coded population without decoding.
    let e = net
        .projection(src, out, "exc")
        .connect_one_to_one(Weights::constant(1.0))
        .unwrap_err();
    assert!(msg(e).contains("DecodingProjection"));
    assert!(net.projections().is_empty());
}

fn a_saved_decoding_window_continues_the_run() {
    for b in backends() {
        let build = || {
            let (mut net, h) = cajal::networks::hybrid(40, 9).unwrap();
            net.set(h.input, "baseline", 80.0).unwrap();
            (net, h)
        };
        let dir = temp_path(&format!("{b:?}"));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state.bin");
        let (net, h) = build();
        let mut sim = net.compile(b).unwrap();
        sim.simulate(13.0).unwrap();
        sim.save(&path).unwrap();
        sim.simulate(7.0).unwrap();
        let want = sim.get(h.decoded, "r").unwrap();
        let (net2, h2) = build();
        let mut sim2 = net2.compile(b).unwrap();
        sim2.load(&path).unwrap();
        sim2.simulate(7.0).unwrap();
        assert_eq!(sim2.get(h2.decoded, "r").unwrap(), want, "{b:?}");
        // The window is not empty at the save: a run that forgot it differs.
        let (net3, h3) = build();
        let mut sim3 = net3.compile(b).unwrap();
        sim3.simulate(13.0).unwrap();
        sim3.reset().unwrap();
        sim3.set_current_step(130);
        sim3.simulate(7.0).unwrap();
        assert_ne!(sim3.get(h3.decoded, "r").unwrap(), want, "{b:?}");
        std::fs::remove_dir_all(&dir).ok();
    }
}

/// ANNarchy 5.0.4.1 on the same protocol (mean of 5 seeds): the error of
/// the neuron decoding all 1000 Poisson neurons at 10, 50 and 100 Hz.
const ANNARCHY: [(f32, f64); 3] = [(10.0, 0.100), (50.0, 0.051), (100.0, 0.037)];

fn hybrid_network_decodes_as_annarchy_does() {
    let n = 1000;
    let level_steps = 2500;
    let mut outputs = Vec::new();
    for b in backends() {
        let (mut net, h) = cajal::networks::hybrid(n, 42).unwrap();
        let m = net.monitor(h.decoded, &["r"]).unwrap();
        let mut sim = net.compile(b).unwrap();
        sim.simulate(250.0).unwrap();
        for (level, annarchy) in ANNARCHY {
            sim.set(h.input, "baseline", level).unwrap();
            sim.simulate(250.0).unwrap();
            let r = sim.recorded(m, "r").unwrap();
            let from = r.nrows() - level_steps;
            // The error of neuron k over this level, written out here.
            let err = |k: usize| -> f64 {
                (from..r.nrows())
                    .map(|s| (f64::from(r[[s, k]]) - f64::from(level)).abs())
                    .sum::<f64>()
                    / level_steps as f64
                    / f64::from(level)
            };
            let e = err(n - 1);
            assert!(
                (e - annarchy).abs() <= 0.25 * annarchy,
                "{b:?} at {level} Hz: error {e:.4} with {n} neurons, ANNarchy {annarchy}"
            );
            // It falls with the number of neurons, roughly as 1/sqrt(k):
            // averages over bands of k so the test reads the trend, not noise.
            let band = |lo: usize, hi: usize| (lo..hi).map(err).sum::<f64>() / (hi - lo) as f64;
            let (e10, e100, e1000) = (band(5, 15), band(90, 110), band(900, 1000));
            assert!(
                e10 > 2.0 * e100 && e100 > 2.0 * e1000,
                "{b:?} at {level} Hz: errors {e10:.3} / {e100:.3} / {e1000:.3} at k ~ 10 / 100 / 1000"
            );
        }
        outputs.push(sim.recorded(m, "r").unwrap());
    }
    if outputs.len() == 2 {
        let d = (&outputs[0] - &outputs[1]).mapv(f32::abs);
        let worst = d.iter().cloned().fold(0.0f32, f32::max);
        assert!(
            worst <= 1e-3,
            "the engines decode differently by up to {worst} Hz"
        );
    }
}

fn current_injection_sets_the_conductance_to_the_rate() {
    for b in backends() {
        let mut net = Network::new().dt(1.0);
        // r of step k is k + 1 (neuron 0) and 2 (k + 1) (neuron 1).
        let rows = Array2::from_shape_fn((50, 2), |(k, i)| ((k + 1) * (i + 1)) as f32);
        let drive = net.timed_array("drive", &rows, 0.0, -1.0).unwrap();
        let counter = Neuron::spiking()
            .equations("n = n + g_exc\nlast = g_exc")
            .spike("n > 1e9");
        let post = net.population("post", 2, &counter).unwrap();
        net.current_injection(drive, post, "exc").unwrap();
        let mut sim = net.compile(b).unwrap();
        sim.simulate(10.0).unwrap();
        // Step k reads the rate step k - 1 left (0 before the first step):
        // n = sum over k = 1..9 of k (times 2 for neuron 1).
        assert_eq!(
            sim.get(post, "n").unwrap().as_slice().unwrap(),
            &[45.0, 90.0],
            "{b:?}"
        );
        assert_eq!(
            sim.get(post, "last").unwrap().as_slice().unwrap(),
            &[9.0, 18.0],
            "{b:?}"
        );
    }
    // What it refuses.
    let mut net = Network::new().dt(1.0);
    let rate = net.input_array("rate", 2).unwrap();
    let rate3 = net.input_array("rate3", 3).unwrap();
    let src = net.spike_source_array("src", vec![vec![]; 2]).unwrap();
    let lif = net
        .population("lif", 2, &cajal::models::if_curr_exp())
        .unwrap();
    let out = net
        .population("out", 2, &Neuron::rate().equations("r = sum(exc)"))
        .unwrap();
    let msg = |e: cajal::Error| e.to_string();
    assert!(msg(net.current_injection(src, lif, "exc").unwrap_err())
        .contains("rate-coded population to a spiking one"));
    assert!(msg(net.current_injection(rate, out, "exc").unwrap_err())
        .contains("rate-coded population to a spiking one"));
    assert!(msg(net.current_injection(rate3, lif, "exc").unwrap_err()).contains("3"));
    let e = msg(net.current_injection(rate, lif, "foo").unwrap_err());
    assert!(e.contains("g_foo"), "{e}");
    net.current_injection(rate, lif, "exc").unwrap();
    let e = net
        .projection(src, lif, "exc")
        .connect_one_to_one(Weights::constant(1.0))
        .unwrap_err();
    assert!(msg(e).contains("no other projection"));
    // A second injection into the same conductance (same default name).
    assert!(net.current_injection(rate, lif, "exc").is_err());
}

fn every_input_and_hybrid_kernel_validates_without_a_device() {
    let (mut net, h) = cajal::networks::hybrid(30, 1).unwrap();
    net.monitor(h.poisson, &["spike"]).unwrap();
    let ta = net
        .timed_array("ta", &Array2::<f32>::ones((3, 4)), 2.0, 10.0)
        .unwrap();
    let tp = net
        .timed_poisson_population("tp", 4, &Array2::<f32>::ones((2, 1)), 1.0, -1.0)
        .unwrap();
    let src = net
        .spike_source_array("src", vec![vec![1.0], vec![]])
        .unwrap();
    let lif = net
        .population("lif", 4, &cajal::models::if_curr_exp())
        .unwrap();
    net.current_injection(ta, lif, "exc").unwrap();
    net.projection(tp, lif, "inh")
        .connect_all_to_all(Weights::constant(1.0))
        .unwrap();
    let out = net
        .population("out", 1, &Neuron::rate().equations("r = sum(exc)"))
        .unwrap();
    net.decoding_projection(src, out, "exc", 5.0)
        .connect_all_to_all(Weights::constant(1.0))
        .unwrap();
    let kernels = crate::common::validate_all(&net);
    for name in [
        "decode[",
        "current_inject[",
        "neuron_update[population 'ta']",
    ] {
        assert!(
            kernels.iter().any(|k| k.starts_with(name)),
            "no {name} kernel"
        );
    }
}

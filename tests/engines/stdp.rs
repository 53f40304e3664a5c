//! Spiking plasticity on both engines: the STDP window against the
//! analytic exponentials, Tsodyks-Markram depression and facilitation
//! against the recursion written here, event-driven traces, learning
//! switched off, and the kernels validated without a device.

use crate::common::{backends, tests};
use cajal::models::synapses::{stdp, stp};
use cajal::prelude::*;

tests! {
    cpu: [
        spiking_plasticity_kernels_validate_and_errors_are_clear,
        a_psp_with_spike_events_is_refused_not_ignored,
    ],
    both: [
        the_stdp_window_is_the_analytic_one,
        learning_off_freezes_w_but_not_the_traces,
        stp_reproduces_depression_and_facilitation,
    ],
}

/// Spiking neurons that fire at the times (ms) of their parameters t1, t2
/// (-1: never) and keep what their conductance received in `last`.
fn clock() -> Neuron {
    Neuron::spiking()
        .parameters("t1 = -1.0\nt2 = -1.0")
        .equations("last = g_exc")
        .spike("(t == t1) or (t == t2)")
}

fn the_stdp_window_is_the_analytic_one() {
    // Pair k: pre fires at 100 ms, post at 100 + k - 40 ms (k = 0..81); the
    // spike arrives one step (1 ms) after it is emitted. As ANNarchy: the
    // arriving spike brings the traces to the step before its arrival
    // (100 ms), then stamps the arrival (101 ms), from which a later post
    // spike decays x (tests/data/annarchy/stdp_window has ANNarchy's own
    // window: tests/annarchy/stdp_window.rs).
    let n = 81usize;
    let (tau_p, tau_m, a_p, a_m, w_max) = (20.0f64, 30.0f64, 0.01f64, 0.012f64, 1.0f64);
    let w0 = 0.5f64;
    let pre_t: Vec<f32> = vec![100.0; n];
    let post_t: Vec<f32> = (0..n).map(|k| 100.0 + k as f32 - 40.0).collect();
    let want: Vec<f64> = (0..n)
        .map(|k| {
            let arrival = 101.0;
            let post = f64::from(post_t[k]);
            let dw = if post >= arrival {
                a_p * w_max * (-(post - arrival) / tau_p).exp()
            } else {
                -a_m * w_max * (-(arrival - 1.0 - post) / tau_m).exp()
            };
            (w0 + dw).clamp(0.0, w_max)
        })
        .collect();
    let mut runs = Vec::new();
    for b in backends() {
        let mut net = Network::new().dt(1.0);
        let pre = net.population("pre", n, &clock()).unwrap();
        let post = net.population("post", n, &clock()).unwrap();
        net.set(pre, "t1", pre_t.clone()).unwrap();
        net.set(post, "t1", post_t.clone()).unwrap();
        let p = net
            .projection(pre, post, "exc")
            .synapse(&stdp(
                tau_p as f32,
                tau_m as f32,
                a_p as f32,
                a_m as f32,
                0.0,
                1.0,
            ))
            .connect_one_to_one(Weights::constant(w0 as f32))
            .unwrap();
        let mut sim = net.compile(b).unwrap();
        sim.simulate(200.0).unwrap();
        let (_, _, w) = sim.synapses(p, "w").unwrap();
        for k in 0..n {
            let dt_pair = f64::from(post_t[k]) - 101.0;
            assert!(
                (f64::from(w[k]) - want[k]).abs() < 1e-6,
                "{b:?}: post - arrival = {dt_pair} ms: w = {} vs {}",
                w[k],
                want[k]
            );
        }
        // Potentiation for post after pre, depression before, largest near 0.
        assert!(w[41] > w[60] && w[60] > 0.5 && w[39] < 0.5, "{b:?}: {w:?}");
        runs.push(w);
    }
    if runs.len() == 2 {
        assert_eq!(runs[0], runs[1], "the engines learn differently");
    }
}

fn learning_off_freezes_w_but_not_the_traces() {
    for b in backends() {
        let mut net = Network::new().dt(1.0);
        let pre = net.population("pre", 1, &clock()).unwrap();
        let post = net.population("post", 1, &clock()).unwrap();
        net.set(pre, "t1", 10.0).unwrap();
        net.set(post, "t1", 15.0).unwrap();
        net.set(pre, "t2", 40.0).unwrap();
        net.set(post, "t2", 45.0).unwrap();
        let p = net
            .projection(pre, post, "exc")
            .synapse(&stdp(20.0, 20.0, 0.01, 0.01, 0.0, 1.0))
            .connect_one_to_one(Weights::constant(0.5))
            .unwrap();
        let mut sim = net.compile(b).unwrap();
        sim.disable_learning(Some(p)).unwrap();
        sim.simulate(30.0).unwrap();
        let (_, _, w) = sim.synapses(p, "w").unwrap();
        assert_eq!(w, vec![0.5], "{b:?}: w moved while learning was off");
        // The traces ran: x jumped at the pre spike (arrival 11 ms) and was
        // brought up to date at the post spike (15 ms).
        let (_, _, x) = sim.synapses(p, "x").unwrap();
        let x15 = 0.01 * (-4.0f64 / 20.0).exp();
        assert!(
            (f64::from(x[0]) - x15).abs() < 1e-8,
            "{b:?}: x = {x:?} vs {x15}"
        );
        sim.enable_learning(Some(p), None, None).unwrap();
        sim.simulate(30.0).unwrap();
        let (_, _, w) = sim.synapses(p, "w").unwrap();
        // Second pair: at the arrival (41 ms) the traces are brought to the
        // step before (40 ms), w += y, the post trace of the spike at 15 ms
        // (-0.01, decayed over 25 ms), and x gains 0.01 on what is left of
        // the first pre spike (stamped at 15 ms by the post spike); at the
        // post spike (45 ms, 4 ms after the arrival's stamp) w += x.
        let y41 = -0.01 * (-25.0f64 / 20.0).exp();
        let x41 = 0.01 * (-29.0f64 / 20.0).exp() + 0.01;
        let want = 0.5 + y41 + x41 * (-4.0f64 / 20.0).exp();
        assert!(
            (f64::from(w[0]) - want).abs() < 1e-6,
            "{b:?}: {w:?} vs {want}"
        );
    }
}

/// The conductance increments of a regular train through STP, by the
/// model's own recursion in f64, with ANNarchy's timing: an arriving spike
/// brings x and u to the step before its arrival, from the previous
/// arrival (so consecutive spikes ISI apart decay over ISI - dt; ANNarchy's
/// own increments: tests/data/annarchy/stp, tests/annarchy/event_driven.rs).
fn tm_curve(n: usize, isi: f64, tau_rec: f64, tau_f: f64, u0: f64, w: f64) -> Vec<f64> {
    let (mut x, mut u, mut last) = (1.0f64, u0, 0.0f64);
    (0..n)
        .map(|k| {
            let t = 1.0 + k as f64 * isi + 1.0; // emitted at 1 + k isi, arrives 1 ms later
            let d = (t - 1.0) - last;
            x = 1.0 + (x - 1.0) * (-d / tau_rec).exp();
            u = u0 + (u - u0) * (-d / tau_f).exp();
            let g = w * u * x;
            x *= 1.0 - u;
            u += u0 * (1.0 - u);
            last = t;
            g
        })
        .collect()
}

fn stp_reproduces_depression_and_facilitation() {
    let n = 8;
    let isi = 20.0;
    for (tau_rec, tau_f, u0) in [(100.0f32, 0.01f32, 0.5f32), (100.0, 1000.0, 0.1)] {
        let want = tm_curve(
            n,
            isi,
            f64::from(tau_rec),
            f64::from(tau_f),
            f64::from(u0),
            2.0,
        );
        let mut runs = Vec::new();
        for b in backends() {
            let mut net = Network::new().dt(1.0);
            // One pre neuron firing every 20 ms from 1 ms.
            let pre = net
                .population(
                    "pre",
                    1,
                    &Neuron::spiking()
                        .parameters("isi = 20.0")
                        .spike("modulo(t - 1.0, isi) == 0.0"),
                )
                .unwrap();
            let post = net.population("post", 1, &clock()).unwrap();
            net.projection(pre, post, "exc")
                .synapse(&stp(tau_rec, tau_f, u0))
                .connect_one_to_one(Weights::constant(2.0))
                .unwrap();
            let m = net.monitor(post, &["last"]).unwrap();
            let mut sim = net.compile(b).unwrap();
            sim.simulate(1.0 + n as f64 * isi).unwrap();
            let last = sim.recorded(m, "last").unwrap();
            let got: Vec<f32> = last
                .column(0)
                .iter()
                .copied()
                .filter(|&g| g != 0.0)
                .collect();
            assert_eq!(got.len(), n, "{b:?}: {got:?}");
            for (k, (g, w)) in got.iter().zip(&want).enumerate() {
                assert!(
                    (f64::from(*g) - w).abs() <= 1e-5 * w.abs(),
                    "{b:?} spike {k}: {g} vs {w}"
                );
            }
            runs.push(got);
        }
        // Depression falls, facilitation rises at first.
        if u0 == 0.5 {
            assert!(want[1] < want[0] && want[7] < want[1]);
        } else {
            assert!(want[1] > want[0]);
        }
        if runs.len() == 2 {
            for (a, b) in runs[0].iter().zip(&runs[1]) {
                assert!((a - b).abs() <= 1e-6 * a.abs(), "engines: {a} vs {b}");
            }
        }
    }
}

fn spiking_plasticity_kernels_validate_and_errors_are_clear() {
    let mut net = Network::new().dt(0.5);
    let a = net.population("a", 30, &clock()).unwrap();
    let b = net.population("b", 20, &clock()).unwrap();
    net.projection(a, b, "exc")
        .synapse(&stdp(20.0, 20.0, 0.01, 0.01, 0.0, 1.0))
        .delays(2.0)
        .connect_fixed_probability(0.3, Weights::constant(0.5))
        .unwrap();
    net.projection(a, a, "exc")
        .synapse(&stp(100.0, 50.0, 0.3))
        .connect_fixed_probability(0.3, Weights::constant(0.5))
        .unwrap();
    let names = crate::common::validate_all(&net);
    assert!(
        names.iter().any(|n| n.starts_with("post_spike[")),
        "{names:?}"
    );
    // Event-driven variables in a rate-coded projection; g_target in post_spike.
    let r = net.input_array("r", 2).unwrap();
    let s = net
        .population("s", 2, &Neuron::rate().equations("r = sum(exc)"))
        .unwrap();
    net.projection(r, s, "exc")
        .synapse(&Synapse::new().equations("dx/dt = -x : event-driven"))
        .connect_all_to_all(Weights::constant(1.0))
        .unwrap();
    let e = match net.compile(Backend::Cpu) {
        Ok(_) => panic!("compiled"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains("event-driven"), "{e}");
    let e = net
        .projection(a, b, "inh")
        .synapse(&Synapse::new().post_spike("g_target += 1.0"))
        .connect_all_to_all(Weights::constant(1.0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("post_spike") && e.contains("line 1"), "{e}");
    // A name post_spike reads must exist, as pre_spike's must: it was
    // bound to another variable of the population, silently.
    let e = net
        .projection(a, b, "exc")
        .synapse(&Synapse::new().name("Typo").post_spike("w += pre.tarce"))
        .connect_all_to_all(Weights::constant(1.0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("Typo") && e.contains("pre.tarce"), "{e}");
}

/// A psp between spiking populations is continuous transmission (the Gap
/// junctions notebook runs: tests/annarchy/gap_junctions.rs); with spike
/// events beside it the model is refused, naming what clashes, never run
/// half.
fn a_psp_with_spike_events_is_refused_not_ignored() {
    let neuron = Neuron::spiking()
        .parameters("v0 = 1.05: population; tau = 10.0: population")
        .equations("tau*dv/dt = v0 - v + g_gap")
        .spike("v >  1.")
        .reset("v = 0.");
    let both = Synapse::new()
        .name("gap and events")
        .psp("w * (pre.v - post.v)")
        .pre_spike("g_target += w");
    let mut net = Network::new().dt(0.1);
    let pop = net.population("pop", 10, &neuron).unwrap();
    net.projection(pop, pop, "gap")
        .synapse(&both)
        .connect_all_to_all(0.02)
        .unwrap();
    // The CPU engine, and the GPU engine's plan (no adapter needed).
    let cpu = net.compile(Backend::Cpu).err().expect("compiled");
    let gpu = cajal::engine::gpu::plan(&net, false)
        .err()
        .expect("planned");
    for (what, e) in [("CPU", cpu), ("GPU plan", gpu)] {
        let msg = e.to_string();
        assert!(
            msg.contains("'gap and events'")
                && msg.contains("continuous transmission")
                && msg.contains("pre_spike")
                && msg.contains("pop->pop:gap"),
            "{what}: {msg}"
        );
    }
}

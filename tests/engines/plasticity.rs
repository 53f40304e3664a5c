//! Rate-coded plasticity on both engines: the learning rules of ANNarchy's
//! Hebb, Oja and IBCM against updates computed here step by step, Oja's
//! bounded norm, learning switched off and on with a period, weights read
//! as a dense matrix and per dendrite, and the errors of rules the engines
//! cannot run.

use crate::common::{assert_close, backends, temp_path, tests, Tol};
use cajal::models::synapses::{hebb, ibcm, oja};
use cajal::prelude::*;

tests! {
    cpu: [
        rules_the_engines_cannot_run_are_refused,
    ],
    gpu: [
        learning_kernels_count_as_dispatches,
    ],
    both: [
        hebb_oja_and_ibcm_follow_their_equations,
        oja_keeps_the_weight_norm_bounded,
        learning_can_be_switched_off_and_on_with_a_period,
        weights_read_as_matrix_dendrite_and_list,
        learning_kernels_validate_and_saved_weights_continue,
        synapse_values_can_be_written,
        projection_wide_variables_are_one_value,
    ],
}

/// Two inputs (r set), two rate neurons `r = sum(exc)`, all to all.
fn net_with(syn: &Synapse, w0: f32, inputs: &[f32]) -> (Network, PopId, PopId, ProjId) {
    let mut net = Network::new().dt(1.0);
    let a = net.input_array("a", inputs.len()).unwrap();
    net.set(a, "r", inputs.to_vec()).unwrap();
    let b = net
        .population("b", 2, &Neuron::rate().equations("r = sum(exc)"))
        .unwrap();
    let p = net
        .projection(a, b, "exc")
        .synapse(syn)
        .connect_all_to_all(Weights::constant(w0))
        .unwrap();
    (net, a, b, p)
}

/// A learning rule in f64: (weights of one post neuron, its threshold,
/// its rate, the inputs).
type Rule = dyn Fn(&mut [f64], &mut f64, f64, &[f64]);

/// What the engines should compute, in f64: each step the post rates are
/// the weighted sums of the (constant) inputs through the weights left by
/// the previous step, then every weight takes its rule's update.
fn reference(steps: usize, w0: f64, x: &[f64], rule: &Rule) -> (Vec<Vec<f64>>, Vec<f64>) {
    let mut w = vec![vec![w0; x.len()]; 2];
    let mut theta = vec![0.0; 2];
    for _ in 0..steps {
        let post: Vec<f64> = w
            .iter()
            .map(|row| row.iter().zip(x).map(|(a, b)| a * b).sum())
            .collect();
        for i in 0..2 {
            rule(&mut w[i], &mut theta[i], post[i], x);
        }
    }
    (w, theta)
}

/// The tolerance of a weight against its reference:
/// `|got - want| <= 1e-5 * max(|want|, 1e-3)`.
const TOL: Tol<f64> = Tol::rel_floor(1e-5, 1e-3);

fn hebb_oja_and_ibcm_follow_their_equations() {
    let x = [0.5f32, 1.5, 1.0];
    let xs: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    let (eta, alpha, tau) = (0.01, 0.5, 20.0);
    let cases: Vec<(&str, Synapse, Box<Rule>)> = vec![
        (
            "Hebb",
            hebb(eta as f32),
            Box::new(move |w, _, post, x| {
                for (wj, xj) in w.iter_mut().zip(x) {
                    *wj = (*wj + eta * xj * post).max(0.0);
                }
            }),
        ),
        (
            "Oja",
            oja(eta as f32, alpha as f32),
            Box::new(move |w, _, post, x| {
                for (wj, xj) in w.iter_mut().zip(x) {
                    *wj = (*wj + eta * (xj * post - alpha * post * post * *wj)).max(0.0);
                }
            }),
        ),
        (
            "IBCM",
            ibcm(eta as f32, tau as f32),
            Box::new(move |w, theta, post, x| {
                // Exponential Euler of tau dtheta/dt = post^2 - theta, then w.
                *theta += (1.0 - (-1.0f64 / tau).exp()) * (post * post - *theta);
                for (wj, xj) in w.iter_mut().zip(x) {
                    *wj = (*wj + eta * post * (post - *theta) * xj).max(0.0);
                }
            }),
        ),
    ];
    for (name, syn, rule) in &cases {
        let (want, theta) = reference(25, 0.2, &xs, rule.as_ref());
        for b in backends() {
            let (net, _, _, p) = net_with(syn, 0.2, &x);
            let mut sim = net.compile(b).unwrap();
            sim.simulate(25.0).unwrap();
            let m = sim.connectivity_matrix(p, "w").unwrap();
            for i in 0..2 {
                for j in 0..3 {
                    assert_close(
                        &m[[i, j]],
                        &want[i][j],
                        TOL,
                        &format!("{b:?} {name} w[{i}][{j}]"),
                    );
                }
            }
            if *name == "IBCM" {
                // One threshold per post neuron, the same in all its synapses.
                for (i, want_theta) in theta.iter().enumerate() {
                    let (pre, th) = sim.dendrite(p, i, "theta").unwrap();
                    assert_eq!(pre, vec![0, 1, 2]);
                    for t in th {
                        assert_close(&t, want_theta, TOL, &format!("{b:?} theta[{i}]"));
                    }
                }
            }
        }
    }
}

fn oja_keeps_the_weight_norm_bounded() {
    // Inputs of norm ~2.2: pure Hebb would grow without bound; Oja's
    // weight vector converges to norm 1 / sqrt(alpha).
    let x = [1.0f32, 2.0];
    for b in backends() {
        let (net, _, _, p) = net_with(&oja(0.01, 1.0), 0.1, &x);
        let mut sim = net.compile(b).unwrap();
        let mut norms = Vec::new();
        for _ in 0..8 {
            sim.simulate(500.0).unwrap();
            let (_, w) = sim.dendrite(p, 0, "w").unwrap();
            norms.push(w.iter().map(|v| v * v).sum::<f32>().sqrt());
        }
        let last = *norms.last().unwrap();
        assert!((last - 1.0).abs() < 0.01, "{b:?}: norms {norms:?}");
        assert!(norms.iter().all(|n| *n < 1.05), "{b:?}: norms {norms:?}");
        let (net, _, _, p) = net_with(&hebb(0.01), 0.1, &x);
        let mut sim = net.compile(b).unwrap();
        sim.simulate(500.0).unwrap();
        let (_, w) = sim.dendrite(p, 0, "w").unwrap();
        assert!(
            w.iter().map(|v| v * v).sum::<f32>().sqrt() > 10.0,
            "{b:?}: Hebb {w:?}"
        );
    }
}

fn learning_can_be_switched_off_and_on_with_a_period() {
    let x = [1.0f32, 1.0, 1.0];
    for b in backends() {
        let (net, _, _, p) = net_with(&hebb(0.01), 0.1, &x);
        let mut sim = net.compile(b).unwrap();
        sim.disable_learning(None).unwrap();
        sim.simulate(10.0).unwrap();
        assert!(
            sim.connectivity_matrix(p, "w")
                .unwrap()
                .iter()
                .all(|&w| w == 0.1),
            "{b:?}"
        );
        // Every 3 ms, at steps where t % 3 == 1: steps 10 (no), 11 (no)...
        sim.enable_learning(Some(p), Some(3.0), Some(1.0)).unwrap();
        let mut changed = Vec::new();
        let mut last = sim.connectivity_matrix(p, "w").unwrap();
        for _ in 0..6 {
            let s = sim.current_step();
            sim.step().unwrap();
            let now = sim.connectivity_matrix(p, "w").unwrap();
            if now != last {
                changed.push(s);
            }
            last = now;
        }
        assert_eq!(changed, vec![10, 13], "{b:?}: steps where w changed");
        // Reset restores the weights; learning stays as set.
        sim.reset().unwrap();
        assert!(sim
            .connectivity_matrix(p, "w")
            .unwrap()
            .iter()
            .all(|&w| w == 0.1));
    }
}

fn weights_read_as_matrix_dendrite_and_list() {
    for b in backends() {
        let mut net = Network::new().dt(1.0);
        let a = net.input_array("a", 3).unwrap();
        let c = net
            .population("c", 2, &Neuron::rate().equations("r = sum(exc)"))
            .unwrap();
        let nan = f32::NAN;
        let m = ndarray::array![[1.0f32, nan, 3.0], [nan, 5.0, nan]];
        let p = net
            .projection(a, c, "exc")
            .connect_from_matrix(m.clone())
            .unwrap();
        let sim = net.compile(b).unwrap();
        let got = sim.connectivity_matrix(p, "w").unwrap();
        for (x, y) in got.iter().zip(m.iter()) {
            assert!(x == y || (x.is_nan() && y.is_nan()), "{b:?}: {got:?}");
        }
        assert_eq!(
            sim.dendrite(p, 0, "w").unwrap(),
            (vec![0, 2], vec![1.0, 3.0])
        );
        assert_eq!(sim.dendrite(p, 1, "w").unwrap(), (vec![1], vec![5.0]));
        assert!(sim.dendrite(p, 2, "w").is_err());
        assert!(sim.connectivity_matrix(p, "nope").is_err());
    }
}

fn rules_the_engines_cannot_run_are_refused() {
    let mut net = Network::new().dt(1.0);
    // A postsynaptic variable reading a pre-synaptic value.
    let bad = Synapse::new()
        .name("Bad")
        .equations("dw/dt = 0.1\nm = pre.r : postsynaptic");
    let a = net.input_array("a", 2).unwrap();
    let b = net
        .population("b", 2, &Neuron::rate().equations("r = sum(exc)"))
        .unwrap();
    let e = net
        .projection(a, b, "exc")
        .synapse(&bad)
        .connect_all_to_all(Weights::constant(1.0))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("Bad") && e.contains("line 2") && e.contains("pre.r"),
        "{e}"
    );
    // A synapse equation assigning a post-synaptic variable.
    let bad = Synapse::new().equations("post.r = 1.0");
    let e = net
        .projection(a, b, "exc")
        .synapse(&bad)
        .connect_all_to_all(Weights::constant(1.0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("post.r"), "{e}");
    // Equations between spiking populations run every step (they were
    // refused before; tests/engines/synapse_equations.rs tests them).
    let mut net = Network::new().dt(0.5);
    let lif = cajal::models::if_curr_exp();
    let s1 = net.population("s1", 2, &lif).unwrap();
    let s2 = net.population("s2", 2, &lif).unwrap();
    let p = net
        .projection(s1, s2, "exc")
        .synapse(&Synapse::new().equations("dw/dt = -w"))
        .connect_all_to_all(Weights::constant(1.0))
        .unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    sim.simulate(0.5).unwrap();
    assert_eq!(sim.synapses(p, "w").unwrap().2, vec![0.5; 4]);
    // enable_learning on a projection without a rule.
    let mut net = Network::new().dt(1.0);
    let a = net.input_array("a", 2).unwrap();
    let b = net
        .population("b", 2, &Neuron::rate().equations("r = sum(exc)"))
        .unwrap();
    let p = net
        .projection(a, b, "exc")
        .connect_all_to_all(Weights::constant(1.0))
        .unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    assert!(sim.enable_learning(Some(p), None, None).is_err());
    assert!(sim.enable_learning(None, Some(-1.0), None).is_err());
}

fn learning_kernels_validate_and_saved_weights_continue() {
    let (mut net, a, _, p0) = net_with(&ibcm(0.01, 20.0), 0.2, &[0.5, 1.5, 1.0]);
    let c = net
        .population("c", 3, &Neuron::rate().equations("r = sum(exc)"))
        .unwrap();
    net.projection(a, c, "exc")
        .synapse(&oja(0.01, 1.0))
        .delays(2.0)
        .connect_one_to_one(Weights::constant(0.3))
        .unwrap();
    // Two rules, and the dispatch that runs them together, each with and
    // without float atomics.
    let names = crate::common::validate_all(&net);
    let count = |prefix: &str| names.iter().filter(|n| n.starts_with(prefix)).count();
    assert_eq!(count("synapse_update["), 4);
    assert_eq!(count("synapse_update_merged["), 2);
    for b in backends() {
        let dir = temp_path(&format!("{b:?}"));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.bin");
        let mut sim = net.compile(b).unwrap();
        sim.simulate(7.0).unwrap();
        sim.save(&path).unwrap();
        sim.simulate(5.0).unwrap();
        let want = sim.connectivity_matrix(p0, "w").unwrap();
        let mut sim2 = net.compile(b).unwrap();
        sim2.load(&path).unwrap();
        sim2.simulate(5.0).unwrap();
        assert_eq!(sim2.connectivity_matrix(p0, "w").unwrap(), want, "{b:?}");
        std::fs::remove_dir_all(&dir).ok();
    }
}

fn synapse_values_can_be_written() {
    for b in backends() {
        let mut net = Network::new().dt(1.0);
        let a = net.input_array("a", 3).unwrap();
        net.set(a, "r", vec![1.0f32, 10.0, 100.0]).unwrap();
        let c = net
            .population("c", 2, &Neuron::rate().equations("r = sum(exc)"))
            .unwrap();
        let p = net
            .projection(a, c, "exc")
            .synapse(&hebb(0.0))
            .connect_all_to_all(Weights::constant(1.0))
            .unwrap();
        // Spiking, default synapse (weights kept in pre order on the GPU).
        let src = net
            .spike_source_array("src", vec![vec![0.0], vec![0.0]])
            .unwrap();
        let tgt = net
            .population(
                "tgt",
                2,
                &Neuron::spiking()
                    .equations("n = n + g_exc")
                    .spike("n > 1e9"),
            )
            .unwrap();
        let q = net
            .projection(src, tgt, "exc")
            .connect_all_to_all(Weights::constant(1.0))
            .unwrap();
        let mut sim = net.compile(b).unwrap();
        // Synapses are listed by (post, pre): post 0 from 0, 1, 2, then post 1.
        sim.set_synapses(p, "w", &[1.0, 2.0, 3.0, 0.5, 0.25, 0.0])
            .unwrap();
        sim.set_synapses(p, "eta", &[0.0]).unwrap();
        sim.set_synapses(q, "w", &[1.0, 2.0, 3.0, 4.0]).unwrap();
        sim.simulate(2.0).unwrap();
        assert_eq!(
            sim.get(c, "r").unwrap().as_slice().unwrap(),
            &[321.0, 3.0],
            "{b:?}"
        );
        assert_eq!(
            sim.get(tgt, "n").unwrap().as_slice().unwrap(),
            &[3.0, 7.0],
            "{b:?}"
        );
        assert_eq!(sim.dendrite(p, 1, "w").unwrap().1, vec![0.5, 0.25, 0.0]);
        assert!(sim.set_synapses(p, "w", &[1.0, 2.0]).is_err());
        assert!(sim.set_synapses(p, "eta", &[1.0, 2.0]).is_err());
        assert!(sim.set_synapses(p, "w", &[f32::NAN]).is_err());
        assert!(sim.set_synapses(p, "nope", &[1.0]).is_err());
    }
}

fn projection_wide_variables_are_one_value() {
    // A learning rate decaying for the whole projection (explicit Euler).
    let syn = Synapse::new()
        .name("Decaying")
        .equations("tau * deta/dt = -eta : projection, init = 0.1\ndw/dt = eta * pre.r * post.r")
        .parameters("tau = 10.0 : projection");
    for b in backends() {
        let (net, _, _, p) = net_with(&syn, 0.2, &[1.0, 2.0, 3.0]);
        let mut sim = net.compile(b).unwrap();
        sim.simulate(5.0).unwrap();
        let (_, _, eta) = sim.synapses(p, "eta").unwrap();
        let want = 0.1 * 0.9f64.powi(5);
        for e in &eta {
            assert_close(e, &want, TOL, &format!("{b:?} eta"));
        }
    }
    let mut net = Network::new().dt(1.0);
    let a = net.input_array("a", 2).unwrap();
    let b = net
        .population("b", 2, &Neuron::rate().equations("r = sum(exc)"))
        .unwrap();
    let bad = Synapse::new()
        .name("Bad")
        .equations("dw/dt = 0.0\nm = post.r : projection");
    let e = net
        .projection(a, b, "exc")
        .synapse(&bad)
        .connect_all_to_all(Weights::constant(1.0))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("projection-wide") && e.contains("post.r") && e.contains("line 2"),
        "{e}"
    );
    let bad = Synapse::new()
        .equations("m = 0.0 : postsynaptic")
        .pre_spike("g_target += w\nm = 1.0");
    let lif = cajal::models::if_curr_exp();
    let s1 = net.population("s1", 2, &lif).unwrap();
    let e = net
        .projection(s1, s1, "exc")
        .synapse(&bad)
        .connect_all_to_all(Weights::constant(1.0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("shared by several synapses"), "{e}");
}

fn learning_kernels_count_as_dispatches() {
    let (net, _, _, _) = net_with(&hebb(0.01), 0.1, &[1.0, 1.0]);
    let sim = net.compile(Backend::Gpu).unwrap();
    // clear_inputs of b, rate_sum, synapse_update, and one merged
    // neuron_update for a and b.
    assert_eq!(sim.dispatches_per_step(), 4);
}

//! Spiking synapses whose equations run at every step (ANNarchy's
//! `update_synapse` for spiking projections), on both engines, against a
//! hand computation: the equations run after the neurons (they read this
//! step's `pre.x`, `post.x` and spike times) and before `post_spike` (a
//! post event sees the step's update), `t_pre` and `t_post` are the times
//! of the last spikes in ms (-10000 dt before any), and the weight they
//! change is the one the spikes deliver.

use crate::common::{backends, tests};
use cajal::prelude::*;

tests! {
    both: [
        spiking_synapse_equations_run_every_step,
        equations_change_the_weights_the_spikes_deliver,
        while_learning_is_off_only_w_waits,
        a_pre_without_r_whose_first_slot_is_shared,
    ],
    cpu: [equations_are_refused_where_no_synapse_holds_them],
}

/// Neuron i spikes every `period_i` steps, from step `period_i - 1`; after
/// step s its `c` is `(s + 1) % period`.
fn clockwork() -> Neuron {
    Neuron::spiking()
        .name("clockwork")
        .parameters("period = 3.0")
        .equations("c += 1.0\ng_exc = 0.0")
        .spike("c >= period")
        .reset("c = 0.0")
}

const PRE: [f32; 2] = [3.0, 5.0];
const POST: f32 = 4.0;
const STEPS: u64 = 23;
const DT: f64 = 0.5;

/// The last spike step of a neuron of period `p` at or before step `s`.
fn last_spike(p: f32, s: u64) -> Option<u64> {
    let p = p as u64;
    (s + 1 >= p).then(|| (s + 1) / p * p - 1)
}

fn spiking_synapse_equations_run_every_step() {
    let syn = Synapse::new()
        .equations(
            "n += 1.0
             lag = t_post - t_pre
             tr = tr * 0.5 + pre.c
             m0 = 0.0",
        )
        .post_spike("m0 = n");
    // By hand.
    let t = |s: u64| (s as f64 * DT) as f32;
    let never = (-10000.0 * DT) as f32;
    let s_end = STEPS - 1;
    for backend in backends() {
        let mut net = Network::new().dt(DT);
        let pre = net.population("pre", PRE.len(), &clockwork()).unwrap();
        net.set(pre, "period", PRE.to_vec()).unwrap();
        let post = net.population("post", 1, &clockwork()).unwrap();
        net.set(post, "period", vec![POST]).unwrap();
        let proj = net
            .projection(pre, post, "exc")
            .synapse(&syn)
            .connect_all_to_all(0.0)
            .unwrap();
        let mut sim = net.compile(backend).unwrap();
        sim.simulate(STEPS as f64 * DT).unwrap();
        let val = |v: &str| sim.synapses(proj, v).unwrap().2;
        assert_eq!(val("n"), vec![STEPS as f32; 2], "{backend:?}");
        for (k, &p) in PRE.iter().enumerate() {
            let tp = last_spike(p, s_end).map_or(never, t);
            let tq = last_spike(POST, s_end).map_or(never, t);
            assert_eq!(val("lag")[k], tq - tp, "{backend:?} synapse {k}");
            let mut tr = 0.0f32;
            for s in 0..STEPS {
                tr = tr * 0.5 + ((s + 1) % p as u64) as f32;
            }
            assert_eq!(val("tr")[k], tr, "{backend:?} synapse {k}");
            // post_spike after the equations: at the post's last spike
            // step s, n had already counted s + 1 steps. The equations set
            // m0 to 0 at every later step.
            let s_post = last_spike(POST, s_end).unwrap();
            let want = if s_post == s_end {
                (s_post + 1) as f32
            } else {
                0.0
            };
            assert_eq!(val("m0")[k], want, "{backend:?} synapse {k}");
        }
        // And at a post spike step itself.
        let mut again = net.compile(backend).unwrap();
        again.simulate(8.0 * DT).unwrap(); // steps 0..=7: the post spikes at 3 and 7
        assert_eq!(
            again.synapses(proj, "m0").unwrap().2,
            vec![8.0; 2],
            "{backend:?}"
        );
    }
}

fn equations_change_the_weights_the_spikes_deliver() {
    // w grows by 0.25 every step; each pre spike adds the current w to
    // g_exc, which the post neuron copies into `seen` before resetting it.
    let syn = Synapse::new().equations("w += 0.25");
    let post_model = Neuron::spiking()
        .name("reader")
        .equations("seen = g_exc\ng_exc = 0.0")
        .spike("seen > 1e9");
    for backend in backends() {
        let mut net = Network::new().dt(1.0);
        let pre = net.population("pre", 1, &clockwork()).unwrap();
        net.set(pre, "period", vec![3.0]).unwrap();
        let post = net.population("post", 1, &post_model).unwrap();
        net.projection(pre, post, "exc")
            .synapse(&syn)
            .connect_all_to_all(1.0)
            .unwrap();
        let m = net.monitor(post, &["seen"]).unwrap();
        let mut sim = net.compile(backend).unwrap();
        sim.simulate(12.0).unwrap();
        let seen = sim.recorded(m, "seen").unwrap();
        for s in 0..12u64 {
            // A spike at step s - 1 arrives at step s, carrying w as the
            // equations of step s - 1 left it: 1 + 0.25 s.
            let want = if s >= 1 && (s - 1 + 1) % 3 == 0 {
                1.0 + 0.25 * s as f32
            } else {
                0.0
            };
            assert_eq!(seen[[s as usize, 0]], want, "{backend:?} step {s}");
        }
    }
}

fn while_learning_is_off_only_w_waits() {
    // ANNarchy's disable_learning on a spiking projection stops the
    // updates of w only; its other variables go on (a rate-coded rule
    // stops whole). `seen` reads w after its assignment: the old w while
    // learning is off.
    let syn = Synapse::new().equations("n += 1.0\nw += 0.5\nseen = w");
    for backend in backends() {
        let mut net = Network::new().dt(1.0);
        let pre = net.population("pre", 2, &clockwork()).unwrap();
        let post = net.population("post", 1, &clockwork()).unwrap();
        let p = net
            .projection(pre, post, "exc")
            .synapse(&syn)
            .connect_all_to_all(1.0)
            .unwrap();
        let mut sim = net.compile(backend).unwrap();
        let val = |sim: &Simulation, v: &str| sim.synapses(p, v).unwrap().2;
        sim.simulate(3.0).unwrap();
        assert_eq!(val(&sim, "w"), vec![2.5; 2], "{backend:?}");
        sim.disable_learning(Some(p)).unwrap();
        sim.simulate(4.0).unwrap();
        assert_eq!(val(&sim, "n"), vec![7.0; 2], "{backend:?}");
        assert_eq!(val(&sim, "w"), vec![2.5; 2], "{backend:?}");
        assert_eq!(val(&sim, "seen"), vec![2.5; 2], "{backend:?}");
        sim.enable_learning(Some(p), None, None).unwrap();
        sim.simulate(2.0).unwrap();
        assert_eq!(val(&sim, "n"), vec![9.0; 2], "{backend:?}");
        assert_eq!(val(&sim, "w"), vec![3.5; 2], "{backend:?}");
    }
}

fn equations_are_refused_where_no_synapse_holds_them() {
    let mut net = Network::new().dt(1.0);
    let a = net.population("a", 4, &clockwork()).unwrap();
    let b = net.population("b", 4, &clockwork()).unwrap();
    let syn = Synapse::new().equations("w += 0.1");
    let p = net
        .projection(a, b, "exc")
        .synapse(&syn)
        .connect_fixed_probability_procedural(0.5, 0.1);
    match p {
        Err(e) => assert!(e.to_string().contains("procedural"), "{e}"),
        Ok(_) => {
            let e = net
                .compile(Backend::Cpu)
                .map(|_| ())
                .unwrap_err()
                .to_string();
            assert!(e.contains("procedural") && e.contains("every step"), "{e}");
        }
    }
    // t_pre of a rate-coded population.
    let r = net
        .population("r", 2, &Neuron::rate().equations("r = 1.0"))
        .unwrap();
    let q = net
        .population("q", 2, &Neuron::rate().equations("r = sum(exc)"))
        .unwrap();
    let e = net
        .projection(r, q, "exc")
        .synapse(&Synapse::new().equations("x = t_pre"))
        .connect_all_to_all(1.0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("rate-coded") && e.contains("t_pre"), "{e}");
}

/// A spiking synapse with equations from a population without `r` whose
/// first variable is population-wide (the SORF notebook's RSNeuron
/// buffers): the default psp's unused `pre.r` once bound the CPU engine's
/// gather to that shared slot, which it read neuron by neuron past its one
/// value. Both engines run it and agree.
fn a_pre_without_r_whose_first_slot_is_shared() {
    let mut runs = Vec::new();
    for backend in backends() {
        let mut net = Network::new().dt(1.0);
        let pre_model = Neuron::spiking()
            .parameters("a = 0.5 : population")
            .equations("v += a")
            .spike("v > 2.0")
            .reset("v = 0.0");
        let post_model = Neuron::spiking().equations("v = g_exc").spike("v > 1e9");
        let pre = net.population("pre", 3, &pre_model).unwrap();
        let post = net.population("post", 2, &post_model).unwrap();
        let syn = Synapse::new()
            .equations("last = t_pre")
            .pre_spike("g_target += w");
        let p = net
            .projection(pre, post, "exc")
            .synapse(&syn)
            .connect_all_to_all(1.0)
            .unwrap();
        let m = net.monitor(post, &["v"]).unwrap();
        let mut sim = net.compile(backend).unwrap();
        sim.simulate(12.0).unwrap();
        let last = sim.synapses(p, "last").unwrap().2;
        // The pre neurons spike at steps 4 and 9: t_pre is 9 ms now.
        assert!(last.iter().all(|&x| x == 9.0), "{backend:?}: {last:?}");
        runs.push(sim.recorded(m, "v").unwrap());
    }
    if let [a, b] = &runs[..] {
        assert_eq!(a, b);
    }
}

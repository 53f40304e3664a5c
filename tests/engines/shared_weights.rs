//! Weights shared when constant: a default spiking projection whose
//! weights are all one value is delivered reading no weight per synapse
//! (the GPU engine stores that one value), becomes one a synapse again when
//! `set_synapses` makes them differ (in a merged group or alone, after a
//! reset, from a saved state), and delivers exactly what the CPU engine
//! does throughout.

use crate::common::{backends, lockstep, receiver_ei as receiver, temp_path, tests, validate_all};
use cajal::prelude::*;

tests! {
    gpu: [
        shared_weights_deliver_what_the_cpu_does_and_unshare_on_demand,
        a_saved_state_with_differing_weights_unshares_them,
    ],
    both: [
        constant_weights_are_shared_and_only_they,
    ],
}

/// Spikes at its own times t1, t2.
fn clock() -> Neuron {
    Neuron::spiking()
        .parameters("t1 = -1.0\nt2 = -1.0")
        .spike("(t == t1) or (t == t2) or (t == t1 + 6.0)")
}

/// Sources into `b`: constant weights (two into g_exc, one with delays),
/// drawn weights, a general synapse; one constant-weight projection into
/// `c`. Whole-number weights keep every sum exact in any order.
fn network() -> (Network, PopId, PopId, Vec<ProjId>) {
    let mut net = Network::new().dt(1.0).seed(12);
    let mut srcs = Vec::new();
    for (k, n) in [60usize, 45].into_iter().enumerate() {
        let s = net.population(&format!("s{k}"), n, &clock()).unwrap();
        let t1: Vec<f32> = (0..n).map(|i| ((i * (k + 2)) % 5) as f32).collect();
        net.set(s, "t1", t1).unwrap();
        srcs.push(s);
    }
    let b = net.population("b", 80, &receiver()).unwrap();
    let c = net.population("c", 30, &receiver()).unwrap();
    let projs = vec![
        net.projection(srcs[0], b, "exc")
            .connect_fixed_probability(0.3, Weights::constant(2.0))
            .unwrap(),
        net.projection(srcs[1], b, "exc")
            .delays(Delays::random(Dist::uniform(1.0, 3.0)))
            .connect_fixed_probability(0.4, Weights::constant(1.0))
            .unwrap(),
        net.projection(srcs[1], b, "inh")
            .connect_fixed_probability(0.5, Weights::random(Dist::discrete_uniform(1.0, 3.0)))
            .unwrap(),
        net.projection(srcs[0], b, "inh")
            .synapse(&Synapse::new().pre_spike("g_target += 2.0 * w"))
            .connect_fixed_probability(0.2, Weights::constant(1.0))
            .unwrap(),
        net.projection(srcs[0], c, "exc")
            .connect_all_to_all(Weights::constant(3.0))
            .unwrap(),
    ];
    (net, b, c, projs)
}

/// Steps `sims` together for `steps` steps ([`lockstep`]); what `b` and
/// `c` received each step must equal, in every one, what the first (the
/// CPU engine) received, exactly; returns the total received.
fn delivered_in_lockstep(
    sims: &mut [Simulation],
    b: PopId,
    c: PopId,
    steps: u64,
    what: &str,
) -> f32 {
    let vars = [(b, "e".to_string()), (b, "i".into()), (c, "e".into())];
    let mut total = 0.0;
    lockstep(sims, &vars, steps, false, |step, values| {
        for ((_, var), v) in vars.iter().zip(values) {
            let want = &v[0];
            for (k, got) in v.iter().enumerate().skip(1) {
                assert_eq!(got, want, "{what}: engine {k}, step {step}, {var}");
            }
            total += want.sum();
        }
    });
    total
}

fn constant_weights_are_shared_and_only_they() {
    let (net, _, _, p) = network();
    for backend in backends() {
        let sim = net.compile(backend).unwrap();
        let shared: Vec<bool> = p.iter().map(|&q| sim.shares_weight(q).unwrap()).collect();
        // Drawn weights and a general synapse are not shared.
        assert_eq!(shared, vec![true, true, false, false, true], "{backend:?}");
        let (post, _, w) = sim.synapses(p[0], "w").unwrap();
        assert!(post.len() > 500);
        assert!(w.iter().all(|&x| x == 2.0));
    }
    let names = validate_all(&net);
    assert!(names
        .iter()
        .any(|k| k.starts_with("spike_propagate_merged")));
}

fn shared_weights_deliver_what_the_cpu_does_and_unshare_on_demand() {
    let (net, b, c, p) = network();
    let separate = GpuOptions {
        merge: false,
        ..Default::default()
    };
    let mut sims = vec![
        net.compile(Backend::Cpu).unwrap(),
        net.compile(Backend::Gpu).unwrap(),
        net.compile_gpu(&separate).unwrap(),
    ];
    assert!(delivered_in_lockstep(&mut sims, b, c, 8, "shared") > 1000.0);
    // Weights that differ: p0 is merged with p1 and p2 into b (in the
    // merged engine), p4 is alone into c.
    for &q in &[p[0], p[4]] {
        let n = sims[0].synapses(q, "w").unwrap().0.len();
        let w: Vec<f32> = (0..n).map(|k| (k % 4) as f32).collect();
        for s in sims.iter_mut() {
            s.set_synapses(q, "w", &w).unwrap();
            assert!(!s.shares_weight(q).unwrap());
            assert_eq!(s.synapses(q, "w").unwrap().2, w);
        }
    }
    assert!(delivered_in_lockstep(&mut sims, b, c, 8, "unshared") > 1000.0);
    // One value for all again: shared again.
    for s in sims.iter_mut() {
        s.set_synapses(p[4], "w", &[5.0]).unwrap();
        assert!(s.shares_weight(p[4]).unwrap());
        assert!(s.synapses(p[4], "w").unwrap().2.iter().all(|&x| x == 5.0));
    }
    delivered_in_lockstep(&mut sims, b, c, 8, "one value again");
    // Reset: the weights shared at the start, shared again.
    for s in sims.iter_mut() {
        s.reset().unwrap();
        assert!(s.shares_weight(p[0]).unwrap());
        assert!(s.synapses(p[0], "w").unwrap().2.iter().all(|&x| x == 2.0));
    }
    assert!(delivered_in_lockstep(&mut sims, b, c, 8, "reset") > 1000.0);
}

fn a_saved_state_with_differing_weights_unshares_them() {
    let (net, b, c, p) = network();
    let dir = temp_path("dir");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("state.cajal");
    let mut cpu = net.compile(Backend::Cpu).unwrap();
    let n = cpu.synapses(p[1], "w").unwrap().0.len();
    let w: Vec<f32> = (0..n).map(|k| (k % 3 + 1) as f32).collect();
    cpu.set_synapses(p[1], "w", &w).unwrap();
    cpu.simulate(3.0).unwrap();
    cpu.save(&file).unwrap();
    let mut gpu = net.compile(Backend::Gpu).unwrap();
    assert!(gpu.shares_weight(p[1]).unwrap());
    gpu.load(&file).unwrap();
    assert!(!gpu.shares_weight(p[1]).unwrap());
    assert_eq!(gpu.synapses(p[1], "w").unwrap().2, w);
    let mut fresh = net.compile(Backend::Cpu).unwrap();
    fresh.load(&file).unwrap();
    let mut sims = vec![fresh, gpu];
    assert!(delivered_in_lockstep(&mut sims, b, c, 8, "loaded") > 500.0);
    std::fs::remove_dir_all(&dir).unwrap();
}

//! Structural plasticity on both engines (ANNarchy's reference is
//! tests/annarchy/structural.rs): spikes reach exactly the synapses that
//! exist when they arrive, with their delays; `proba` creates and prunes
//! the expected share of synapses, the same ones on both engines; learning
//! goes on across the changes; `reset` brings the compiled synapses back;
//! a saved state loads; and the errors.

use crate::common::{backends, periodic as clock, tests};
use cajal::prelude::*;

tests! {
    both: [spikes_reach_the_synapses_that_exist, proba_is_a_probability, plasticity_goes_on_across_changes],
    cpu: [reset_and_save_after_changes, structural_errors_name_the_cause],
}

/// Copies its conductance each step (ANNarchy empties an undriven g_a).
fn reader() -> Neuron {
    Neuron::spiking()
        .name("reader")
        .equations("a = g_a")
        .spike("a > 1e9")
}

/// Two clocks (periods 2 and 3) onto two readers, all to all, 3 ms
/// delays; one synapse pruned after step 5 and created again (weight 5,
/// delay 1 ms) after step 11. A spike is delivered by the synapses that
/// exist at its arrival, each with its own delay: computed here by hand
/// from the spike steps.
fn spikes_reach_the_synapses_that_exist() {
    for backend in backends() {
        let mut net = Network::new().dt(1.0);
        let two = net.population("two", 1, &clock(2.0)).unwrap();
        let three = net.population("three", 1, &clock(3.0)).unwrap();
        let post = net.population("post", 2, &reader()).unwrap();
        let pa = net
            .projection(two, post, "a")
            .delays(3.0)
            .connect_all_to_all(1.0)
            .unwrap();
        let pb = net
            .projection(three, post, "a")
            .delays(3.0)
            .connect_all_to_all(10.0)
            .unwrap();
        let m = net.monitor(post, &["a"]).unwrap();
        let mut sim = net.compile(backend).unwrap();
        sim.simulate(6.0).unwrap();
        sim.prune_synapse(pa, 0, 0).unwrap();
        sim.simulate(6.0).unwrap();
        sim.create_synapse(pa, 0, 0, 5.0, Some(1.0)).unwrap();
        sim.simulate(10.0).unwrap();
        let a = sim.recorded(m, "a").unwrap();
        // Clock of period p spikes at steps p-1, 2p-1, ...
        let spikes = |p: u64, s: i64| s >= 0 && (s as u64 + 1).is_multiple_of(p);
        for s in 0..22i64 {
            // Post 1: both projections unchanged, delay 3.
            let want1 = f32::from(u8::from(spikes(2, s - 3)))
                + 10.0 * f32::from(u8::from(spikes(3, s - 3)));
            // Post 0: the synapse from `two` exists at steps 0-5 (delay 3),
            // not at 6-11, then with weight 5 and delay 1 from step 12.
            let from_two = match s {
                0..=5 => f32::from(u8::from(spikes(2, s - 3))),
                6..=11 => 0.0,
                _ => 5.0 * f32::from(u8::from(spikes(2, s - 1))),
            };
            let want0 = from_two + 10.0 * f32::from(u8::from(spikes(3, s - 3)));
            assert_eq!(a[[s as usize, 1]], want1, "{backend:?} post 1 at step {s}");
            assert_eq!(a[[s as usize, 0]], want0, "{backend:?} post 0 at step {s}");
        }
        assert_eq!(sim.synapses(pb, "w").unwrap().0.len(), 2);
        assert_eq!(
            sim.synapses(pa, "w").unwrap(),
            (vec![0, 1], vec![0, 0], vec![5.0, 1.0])
        );
    }
}

/// Every synapse of a 60 x 60 projection meets the pruning condition;
/// with `proba = 0.3`, one check removes a binomial share of them (within
/// 5 standard deviations of 30 %); creating with `proba = 0.2` on the
/// pairs left fills a fifth of them. Both engines draw the same synapses.
fn proba_is_a_probability() {
    let mut seen: Vec<(Vec<u32>, Vec<u32>)> = Vec::new();
    for backend in backends() {
        let mut net = Network::new().dt(1.0).seed(7);
        let n = Neuron::rate().equations("r = 1.0 + 0.0 * sum(exc)");
        let pop = net.population("pop", 60, &n).unwrap();
        let s = Synapse::new()
            .pruning("w > 0.5 : proba = 0.3")
            .creating("pre.r > 0.5 : proba = 0.2, w = 0.25");
        let p = net
            .projection(pop, pop, "exc")
            .synapse(&s)
            .allow_self_connections(true)
            .connect_all_to_all(1.0)
            .unwrap();
        let mut sim = net.compile(backend).unwrap();
        let total = 3600.0f64;
        sim.start_pruning(p, None).unwrap();
        sim.simulate(1.0).unwrap();
        sim.stop_pruning(p).unwrap();
        let left = sim.synapses(p, "w").unwrap().0.len() as f64;
        let sd = (total * 0.3 * 0.7).sqrt();
        assert!(
            (total - left - 0.3 * total).abs() < 5.0 * sd,
            "{backend:?}: pruned {} of {total}",
            total - left
        );
        sim.start_creating(p, None).unwrap();
        sim.simulate(1.0).unwrap();
        let (post, pre, w) = sim.synapses(p, "w").unwrap();
        let free = total - left;
        let made = post.len() as f64 - left;
        let sd = (free * 0.2 * 0.8).sqrt();
        assert!(
            (made - 0.2 * free).abs() < 5.0 * sd,
            "{backend:?}: created {made} of {free}"
        );
        assert_eq!(w.iter().filter(|&&x| x == 0.25).count() as f64, made);
        seen.push((post, pre));
    }
    if let [a, b] = &seen[..] {
        assert_eq!(a, b, "the engines created and pruned other synapses");
    }
}

/// A plastic spiking projection (an STDP-like rule with an event-driven
/// trace and a per-step equation) keeps learning while its weakest
/// synapses are pruned: both engines agree on every spike, and every
/// synapse left obeys the rule's bound.
fn plasticity_goes_on_across_changes() {
    let mut runs = Vec::new();
    for backend in backends() {
        let mut net = Network::new().dt(1.0).seed(3);
        let src = net.poisson_population("src", 40, 50.0, None).unwrap();
        let lif = cajal::models::if_curr_exp();
        let post = net.population("post", 5, &lif).unwrap();
        let s = Synapse::new()
            .parameters("tau = 20.0 : projection\nA = 0.05 : projection")
            .equations("tau * dx/dt = -x : event-driven\nage = age + 1 : init = 0")
            .pre_spike("g_target += w\nx += A\nw = clip(w - 0.5 * A, 0.0, 1.0)")
            .post_spike("w = clip(w + x, 0.0, 1.0)")
            .pruning("w < 0.3 and age > 20 : proba = 0.5");
        let p = net
            .projection(src, post, "exc")
            .synapse(&s)
            .connect_all_to_all(Weights::random(Dist::uniform(0.2, 0.8)))
            .unwrap();
        let m = net.monitor(post, &["spike"]).unwrap();
        let mut sim = net.compile(backend).unwrap();
        sim.start_pruning(p, Some(10.0)).unwrap();
        sim.simulate(200.0).unwrap();
        let (posts, pres, w) = sim.synapses(p, "w").unwrap();
        assert!(posts.len() < 200, "{backend:?}: nothing was pruned");
        assert!(w.iter().all(|&x| (0.0..=1.0).contains(&x)));
        runs.push((sim.spikes(m).unwrap(), posts, pres, w));
    }
    if let [a, b] = &runs[..] {
        assert_eq!(a.0, b.0, "spikes differ between the engines");
        assert_eq!((&a.1, &a.2), (&b.1, &b.2), "synapses differ");
        for (x, y) in a.3.iter().zip(&b.3) {
            assert!((x - y).abs() < 1e-5, "weights differ: {x} {y}");
        }
    }
}

fn rate_net() -> (Network, PopId, ProjId) {
    let mut net = Network::new().dt(1.0);
    let n = Neuron::rate()
        .parameters("baseline = 0.0")
        .equations("r = baseline + sum(exc)");
    let pop = net.population("pop", 4, &n).unwrap();
    let s = Synapse::new()
        .equations("age = age + 1 : init = 0")
        .pruning("age > 2")
        .creating("pre.r > 0.5 : w = 0.5");
    let p = net
        .projection(pop, pop, "exc")
        .synapse(&s)
        .connect_one_to_one(0.1)
        .unwrap();
    (net, pop, p)
}

/// `reset` brings back the synapses the network was compiled with and
/// stops the rules; a state saved after changes loads into the same
/// simulation and goes on identically.
fn reset_and_save_after_changes() {
    let (net, pop, p) = rate_net();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    let compiled = sim.synapses(p, "w").unwrap();
    sim.start_pruning(p, None).unwrap();
    sim.simulate(5.0).unwrap();
    assert_eq!(sim.synapses(p, "w").unwrap().0.len(), 0);
    sim.reset().unwrap();
    assert_eq!(sim.synapses(p, "w").unwrap(), compiled);
    sim.simulate(5.0).unwrap();
    assert_eq!(sim.synapses(p, "w").unwrap(), compiled, "the rule stopped");
    // Several at once, all or nothing.
    sim.create_synapses(p, 2, &[0, 3], &[0.5, 0.75], None)
        .unwrap();
    assert!(sim.create_synapses(p, 2, &[1, 3], &[0.5], None).is_err());
    sim.prune_synapses(p, 2, &[2, 3]).unwrap();
    assert!(sim.prune_synapses(p, 2, &[0, 3]).is_err());
    let (post, pre, w) = sim.synapses(p, "w").unwrap();
    assert_eq!(
        (&post[..], &pre[..], &w[..]),
        (
            &[0, 1, 2, 3][..],
            &[0, 1, 0, 3][..],
            &[0.1, 0.1, 0.5, 0.1][..]
        )
    );
    sim.reset().unwrap();

    sim.set(pop, "baseline", vec![1.0f32, 0.0, 0.0, 0.0])
        .unwrap();
    sim.start_creating(p, Some(2.0)).unwrap();
    sim.simulate(3.0).unwrap();
    let dir = std::env::temp_dir().join(format!("cajal-structural-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("state.bin");
    sim.save(&file).unwrap();
    sim.simulate(4.0).unwrap();
    let (after, r_after) = (sim.synapses(p, "w").unwrap(), sim.get(pop, "r").unwrap());
    sim.load(&file).unwrap();
    sim.simulate(4.0).unwrap();
    assert_eq!(sim.synapses(p, "w").unwrap(), after);
    assert_eq!(sim.get(pop, "r").unwrap(), r_after);
    std::fs::remove_dir_all(&dir).ok();
}

fn structural_errors_name_the_cause() {
    let (net, _, p) = rate_net();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    let msg = |e: Error| e.to_string();
    let e = msg(sim.create_synapse(p, 1, 1, 1.0, None).unwrap_err());
    assert!(e.contains("exists already"), "{e}");
    let e = msg(sim.prune_synapse(p, 1, 2).unwrap_err());
    assert!(
        e.contains("no synapse from pre neuron 2 to post neuron 1"),
        "{e}"
    );
    let e = msg(sim.create_synapse(p, 9, 1, 1.0, None).unwrap_err());
    assert!(e.contains("below the populations' sizes"), "{e}");
    let e = msg(sim.create_synapse(p, 0, 1, 1.0, Some(5.0)).unwrap_err());
    assert!(e.contains("cannot exceed the longest delay"), "{e}");
    let e = msg(sim.start_pruning(p, Some(0.0)).unwrap_err());
    assert!(e.contains("positive number of ms"), "{e}");

    // A model without the condition.
    let mut net = Network::new();
    let n = Neuron::rate().equations("r = sum(exc)");
    let pop = net.population("pop", 3, &n).unwrap();
    let q = net
        .projection(pop, pop, "exc")
        .connect_all_to_all(1.0)
        .unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    let e = msg(sim.start_pruning(q, None).unwrap_err());
    assert!(e.contains("has no pruning condition"), "{e}");

    // Analysis errors name the section and line.
    let mut net = Network::new();
    let pop = net.population("pop", 3, &n).unwrap();
    let bad = |s: Synapse| -> String {
        let mut net = net.clone();
        msg(net
            .projection(pop, pop, "exc")
            .synapse(&s)
            .connect_all_to_all(1.0)
            .unwrap_err())
    };
    let e = bad(Synapse::new()
        .equations("age = age + 1")
        .creating("age > 3"));
    assert!(
        e.contains("creating") && e.contains("'age'") && e.contains("does not exist yet"),
        "{e}"
    );
    let e = bad(Synapse::new().pruning("w < 0.1 : p = 0.5"));
    assert!(e.contains("unknown flag 'p' of pruning"), "{e}");
    let e = bad(Synapse::new().pruning("w < 0.1 : proba = 1.5"));
    assert!(e.contains("between 0 and 1"), "{e}");
    let e = bad(Synapse::new().pruning("w = 0.1"));
    assert!(e.contains("not an assignment"), "{e}");
    let e = bad(Synapse::new().creating("pre.q > 1 : w = 1"));
    assert!(e.contains("pre.q"), "{e}");

    // Non-uniform delays need `d`.
    let mut net = Network::new().dt(1.0);
    let src = net.population("src", 2, &clock(2.0)).unwrap();
    let post = net.population("post", 2, &reader()).unwrap();
    let s = Synapse::new().creating("pre.c > 0.5 : w = 1.0");
    let p = net
        .projection(src, post, "a")
        .synapse(&s)
        .delays(Dist::uniform(1.0, 4.0))
        .connect_all_to_all(1.0)
        .unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    let e = msg(sim.start_creating(p, None).unwrap_err());
    assert!(e.contains("different delays"), "{e}");

    // A monitor of the projection's synapses.
    let mut net = Network::new();
    let pop = net.population("pop", 3, &n).unwrap();
    let s = Synapse::new().pruning("w < 0.5");
    let p = net
        .projection(pop, pop, "exc")
        .synapse(&s)
        .connect_all_to_all(1.0)
        .unwrap();
    net.monitor_projection(p, None, &["w"], 1.0).unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    let e = msg(sim.start_pruning(p, None).unwrap_err());
    assert!(e.contains("monitor of its synapses"), "{e}");
}

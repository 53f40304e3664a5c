//! Merged kernels: default-synapse spiking projections into one population
//! are delivered by one dispatch, which computes what the separate
//! dispatches computed (and what the CPU engine computes), with fewer
//! dispatches per step; groups respect the binding budget.

mod common;

use cajal::engine::gpu::{plan_with, MergedPlan};
use cajal::prelude::*;
use common::have_gpu;

/// Spikes at its own times t1, t2.
fn clock() -> Neuron {
    Neuron::spiking()
        .parameters("t1 = -1.0\nt2 = -1.0")
        .spike("(t == t1) or (t == t2)")
}

/// Keeps what each conductance received this step.
fn receiver() -> Neuron {
    Neuron::spiking()
        .equations("e = g_exc\ni = g_inh")
        .spike("e > 1e9")
}

/// Three sources into `b` (different sizes, delays, targets; one with a
/// general synapse, which stays on its own), and one into `c`.
fn network() -> (Network, PopId, PopId) {
    let mut net = Network::new().dt(1.0).seed(5);
    let mut srcs = Vec::new();
    for (k, n) in [40usize, 25, 60].into_iter().enumerate() {
        let s = net.population(&format!("s{k}"), n, &clock()).unwrap();
        let t1: Vec<f32> = (0..n).map(|i| ((i * (k + 2)) % 6) as f32).collect();
        let t2: Vec<f32> = (0..n)
            .map(|i| if i % 4 == k { 7.0 } else { -1.0 })
            .collect();
        net.set(s, "t1", t1).unwrap();
        net.set(s, "t2", t2).unwrap();
        srcs.push(s);
    }
    let b = net.population("b", 50, &receiver()).unwrap();
    let c = net.population("c", 30, &receiver()).unwrap();
    // Whole-number weights: every sum is exact, whatever order the atomics add in.
    let int = |lo: f64, hi: f64| Weights::random(Dist::uniform(lo, hi));
    net.projection(srcs[0], b, "exc")
        .connect_fixed_probability(0.3, int(1.0, 1.0), Delays::random(Dist::uniform(1.0, 3.0)))
        .unwrap();
    net.projection(srcs[1], b, "inh")
        .connect_fixed_probability(0.5, Weights::constant(2.0), Delays::constant(2.0))
        .unwrap();
    net.projection(srcs[2], b, "exc")
        .connect_fixed_probability(0.2, Weights::constant(3.0), Delays::none())
        .unwrap();
    net.projection(srcs[0], b, "inh")
        .connect_all_to_all(Weights::constant(1.0))
        .unwrap();
    let general = Synapse::new().pre_spike("g_target += 2.0 * w");
    net.projection(srcs[2], b, "inh")
        .synapse(&general)
        .connect_fixed_probability(0.1, Weights::constant(1.0), Delays::none())
        .unwrap();
    net.projection(srcs[1], c, "exc")
        .connect_all_to_all(Weights::constant(1.0))
        .unwrap();
    (net, b, c)
}

#[test]
fn merged_groups_follow_the_posts_and_the_binding_budget() {
    let (net, _, _) = network();
    let names =
        |m: &[MergedPlan]| -> Vec<Vec<usize>> { m.iter().map(|g| g.members.clone()).collect() };
    // Into b: the four default projections (the general one stays alone);
    // into c: one projection, nothing to merge.
    let p = plan_with(&net, true, Some(32)).unwrap();
    assert_eq!(names(&p.merged), vec![vec![0, 1, 2, 3]]);
    assert_eq!(p.merged[0].pres, vec![0, 1, 2]);
    // 1 + 2 per member + 2 per distinct pre: members 0, 1, 2 (three pres)
    // need 13, so 11 splits them; 3 (pre s0) joins 2 (pre s2) for 9.
    let p = plan_with(&net, true, Some(11)).unwrap();
    assert_eq!(names(&p.merged), vec![vec![0, 1], vec![2, 3]]);
    let p = plan_with(&net, true, Some(13)).unwrap();
    assert_eq!(names(&p.merged), vec![vec![0, 1, 2]]);
    // Two members of two pres need 9: with 8, nothing merges.
    let p = plan_with(&net, true, Some(8)).unwrap();
    assert!(p.merged.is_empty());
    let p = plan_with(&net, true, None).unwrap();
    assert!(p.merged.is_empty());
    for atomics in [true, false] {
        let p = plan_with(&net, atomics, Some(32)).unwrap();
        for k in p.kernels() {
            cajal::engine::gpu::codegen::validate(k, atomics).unwrap();
        }
    }
}

#[test]
fn a_merged_dispatch_delivers_what_separate_ones_do() {
    if !have_gpu("merged kernels") {
        return;
    }
    let (net, b, c) = network();
    let mut cpu = net.compile(Backend::Cpu).unwrap();
    let mut merged = net.compile(Backend::Gpu).unwrap();
    let separate = GpuOptions {
        merge: false,
        ..Default::default()
    };
    let mut apart = net.compile_gpu(&separate).unwrap();
    // 6 projections: 4 merged into one dispatch.
    assert_eq!(
        apart.dispatches_per_step() - merged.dispatches_per_step(),
        3
    );
    let mut total = 0.0;
    for step in 0..12 {
        for s in [&mut cpu, &mut merged, &mut apart] {
            s.step().unwrap();
        }
        for (pop, var) in [(b, "e"), (b, "i"), (c, "e")] {
            let want = cpu.get(pop, var).unwrap();
            assert_eq!(
                merged.get(pop, var).unwrap(),
                want,
                "merged, step {step}, {var}"
            );
            assert_eq!(
                apart.get(pop, var).unwrap(),
                want,
                "separate, step {step}, {var}"
            );
            total += want.sum();
        }
    }
    assert!(total > 500.0, "{total}");
}

#[test]
fn the_microcircuit_needs_fewer_dispatches() {
    let (net, _) =
        cajal::networks::microcircuit(0.02, cajal::networks::Background::Poisson, 0.1, 1).unwrap();
    let p = plan_with(&net, true, Some(32)).unwrap();
    let members: usize = p.merged.iter().map(|g| g.members.len()).sum();
    // Every connection (the Poisson background is part of the neuron
    // model) is merged, at most two groups a population within 32
    // bindings.
    assert_eq!(members, net.projections().len());
    assert!(net.projections().len() >= 40);
    assert!(p.merged.len() <= 16, "{} groups", p.merged.len());
    for k in p.merged.iter().map(|g| &g.kernel) {
        cajal::engine::gpu::codegen::validate(k, true).unwrap();
    }
}

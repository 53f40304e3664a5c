//! Merged kernels: spiking projections (default, general and plastic,
//! stored or procedural) are delivered by one dispatch, which computes what the separate
//! dispatches computed (and what the CPU engine computes), with fewer
//! dispatches per step; groups respect the binding budget.

use crate::common::{clock, gpu_trial, receiver_ei as receiver, tests};
use cajal::engine::gpu::codegen::MemberBinds;
use cajal::engine::gpu::{plan_with, MergedPlan};
use cajal::prelude::*;
use cajal::SpikeStrategy;

tests! {
    cpu: [
        merged_groups_follow_the_creation_order_and_the_binding_budget,
        the_microcircuit_needs_fewer_dispatches,
        merged_updates_group_by_the_binding_budget,
        rate_sums_merge_by_the_binding_budget_apart_from_other_sums,
        a_delivery_reading_a_conductance_stays_apart,
    ],
    gpu: [
        a_merged_dispatch_delivers_what_separate_ones_do,
        merged_updates_with_input_tables_histories_and_monitors,
        many_spikes_in_one_step_each_delivered_once,
        merged_rate_sums_compute_what_separate_ones_and_the_cpu_do,
    ],
    both: [
        procedural_deliveries_merge_with_stored_ones,
        both_spike_strategies_deliver_what_the_cpu_does,
        every_delay_block_is_delivered_whatever_the_grid,
        plastic_deliveries_merge_and_stay_merged_while_learning_is_off,
        learning_rules_merge_and_stay_merged_while_one_is_off,
        untiled_convolutions_and_pooling_merge_with_rate_sums,
    ],
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
        .delays(Delays::random(Dist::uniform(1.0, 3.0)))
        .connect_fixed_probability(0.3, int(1.0, 1.0))
        .unwrap();
    net.projection(srcs[1], b, "inh")
        .delays(2.0)
        .connect_fixed_probability(0.5, Weights::constant(2.0))
        .unwrap();
    net.projection(srcs[2], b, "exc")
        .connect_fixed_probability(0.2, Weights::constant(3.0))
        .unwrap();
    net.projection(srcs[0], b, "inh")
        .connect_all_to_all(Weights::constant(1.0))
        .unwrap();
    let general = Synapse::new().pre_spike("g_target += 2.0 * w");
    net.projection(srcs[2], b, "inh")
        .synapse(&general)
        .connect_fixed_probability(0.1, Weights::constant(1.0))
        .unwrap();
    net.projection(srcs[1], c, "exc")
        .connect_all_to_all(Weights::constant(1.0))
        .unwrap();
    (net, b, c)
}

fn merged_groups_follow_the_creation_order_and_the_binding_budget() {
    let (net, _, _) = network();
    let names =
        |m: &[MergedPlan]| -> Vec<Vec<usize>> { m.iter().map(|g| g.members.clone()).collect() };
    // All six: the four default projections into b, the general one
    // (which binds its values, its parameters and its pre's state too)
    // and the one into c.
    let p = plan_with(&net, true, Some(32)).unwrap();
    assert_eq!(names(&p.merged), vec![vec![0, 1, 2, 3, 4, 5]]);
    assert_eq!(p.merged[0].pres, vec![0, 1, 2]);
    assert_eq!(p.merged[0].pre_of, vec![0, 1, 2, 0, 2, 1]);
    assert_eq!(p.merged[0].posts, vec![3, 4]);
    assert_eq!(
        p.merged[0].binds[4],
        MemberBinds::General {
            stores: false,
            reads_pre: true
        }
    );
    // 1 per post + 2 per default member (4 for the general one) + 2 per
    // distinct pre: members 0, 1, 2 (three pres) need 13, so 11 splits
    // them; 3 (pre s0) joins 2 (pre s2) for 9, and 4 would make it 13;
    // 4 and 5 (two posts, two pres) need 12.
    let p = plan_with(&net, true, Some(11)).unwrap();
    assert_eq!(names(&p.merged), vec![vec![0, 1], vec![2, 3]]);
    let p = plan_with(&net, true, Some(12)).unwrap();
    assert_eq!(names(&p.merged), vec![vec![0, 1], vec![2, 3], vec![4, 5]]);
    // With 13: 0, 1, 2; then 3 and 4 (11), and 5 would make it 16.
    let p = plan_with(&net, true, Some(13)).unwrap();
    assert_eq!(names(&p.merged), vec![vec![0, 1, 2], vec![3, 4]]);
    assert_eq!(p.merged[1].posts, vec![3]);
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

/// The CPU engine, the GPU engine merged, and the GPU engine with a
/// dispatch per kernel.
fn three_engines(net: &Network) -> (Simulation, Simulation, Simulation) {
    let separate = GpuOptions {
        merge: false,
        ..Default::default()
    };
    (
        net.compile(Backend::Cpu).unwrap(),
        net.compile(Backend::Gpu).unwrap(),
        net.compile_gpu(&separate).unwrap(),
    )
}

fn a_merged_dispatch_delivers_what_separate_ones_do() {
    let (net, b, c) = network();
    let (mut cpu, mut merged, mut apart) = three_engines(&net);
    // Separate: 2 clears (b and c), 6 deliveries, 5 updates. Merged: the
    // clears are one dispatch, the 6 deliveries (into b and c) another,
    // the 5 updates a third.
    assert_eq!(apart.dispatches_per_step(), 13);
    assert_eq!(merged.dispatches_per_step(), 3);
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

fn the_microcircuit_needs_fewer_dispatches() {
    let (net, _) =
        cajal::networks::microcircuit(0.02, cajal::networks::Background::Poisson, 0.1, 1).unwrap();
    let p = plan_with(&net, true, Some(32)).unwrap();
    let members: usize = p.merged.iter().map(|g| g.members.len()).sum();
    // Every connection (the Poisson background is part of the neuron
    // model) is merged: 32 bindings take 8 to 10 members (the posts and
    // pres they need bind too); 256 take all but a few.
    assert_eq!(members, net.projections().len());
    assert!(net.projections().len() >= 40);
    assert!(p.merged.len() <= 8, "{} groups", p.merged.len());
    let wide = plan_with(&net, true, Some(256)).unwrap();
    assert_eq!(
        wide.merged.iter().map(|g| g.members.len()).sum::<usize>(),
        net.projections().len()
    );
    assert!(wide.merged.len() <= 2, "{} groups", wide.merged.len());
    for k in p.merged.iter().map(|g| &g.kernel) {
        cajal::engine::gpu::codegen::validate(k, true).unwrap();
    }
    // GeNN's procedural formulation: one group a population.
    let (net, _) = cajal::networks::microcircuit_with(
        0.02,
        cajal::networks::Background::Poisson,
        0.1,
        1,
        cajal::networks::Connectivity::Procedural,
    )
    .unwrap();
    let p = plan_with(&net, true, Some(256)).unwrap();
    let members: usize = p.merged.iter().map(|g| g.members.len()).sum();
    assert_eq!(members, net.projections().len());
    assert_eq!(p.merged.len(), 1);
    for k in p.merged.iter().map(|g| &g.kernel) {
        cajal::engine::gpu::codegen::validate(k, true).unwrap();
    }
}

fn procedural_deliveries_merge_with_stored_ones() {
    // Stored and procedural projections into b, some sharing a pre.
    let mut net = Network::new().dt(1.0).seed(9);
    let mut srcs = Vec::new();
    for (k, n) in [120usize, 90].into_iter().enumerate() {
        let s = net.population(&format!("s{k}"), n, &clock()).unwrap();
        let t1: Vec<f32> = (0..n).map(|i| ((i * (k + 3)) % 5) as f32).collect();
        net.set(s, "t1", t1).unwrap();
        srcs.push(s);
    }
    let b = net.population("b", 200, &receiver()).unwrap();
    net.projection(srcs[0], b, "exc")
        .delays(2.0)
        .connect_fixed_probability(0.2, Weights::constant(1.0))
        .unwrap();
    net.projection(srcs[0], b, "exc")
        .name("proc0")
        .delays(1.0)
        .connect_fixed_probability_procedural(0.1, Weights::constant(2.0))
        .unwrap();
    net.projection(srcs[1], b, "exc")
        .name("proc1")
        .delays(Delays::random(Dist::uniform(0.0, 5.0)))
        .connect_fixed_probability_procedural(0.3, Weights::constant(1.0))
        .unwrap();
    // Drawn weights: a GPU's cos may differ from the CPU's by an ulp.
    net.projection(srcs[1], b, "inh")
        .name("proc2")
        .delays(2.0)
        .connect_fixed_probability_procedural(0.2, Weights::random(Dist::normal(1.0, 0.3).min(0.0)))
        .unwrap();
    let plan = plan_with(&net, true, Some(32)).unwrap();
    assert_eq!(plan.merged.len(), 1);
    assert_eq!(plan.merged[0].members, vec![0, 1, 2, 3]);
    // The procedural members bind their table alone, or with their ring
    // of delayed inputs.
    use cajal::engine::gpu::codegen::MemberBinds;
    assert_eq!(
        plan.merged[0].binds,
        vec![
            MemberBinds::Weights,
            MemberBinds::Nothing,
            MemberBinds::Ring,
            MemberBinds::Nothing
        ]
    );
    if !gpu_trial() {
        return;
    }
    let (mut cpu, mut merged, mut apart) = three_engines(&net);
    // Separate: a clear, 4 deliveries, 3 updates; merged: one of each.
    assert_eq!(apart.dispatches_per_step(), 8);
    assert_eq!(merged.dispatches_per_step(), 3);
    let (mut e_total, mut i_total) = (0.0, 0.0);
    for step in 0..9 {
        for s in [&mut cpu, &mut merged, &mut apart] {
            s.step().unwrap();
        }
        let want = cpu.get(b, "e").unwrap();
        assert_eq!(merged.get(b, "e").unwrap(), want, "merged, step {step}");
        assert_eq!(apart.get(b, "e").unwrap(), want, "separate, step {step}");
        e_total += want.sum();
        let want = cpu.get(b, "i").unwrap();
        for got in [merged.get(b, "i").unwrap(), apart.get(b, "i").unwrap()] {
            for (g, w) in got.iter().zip(want.iter()) {
                assert!(
                    (g - w).abs() <= 1e-5 * (1.0 + w.abs()),
                    "step {step}: {g} vs {w}"
                );
            }
        }
        i_total += want.sum();
    }
    assert!(e_total > 1000.0 && i_total > 100.0, "{e_total} {i_total}");
}

fn merged_updates_group_by_the_binding_budget() {
    let (net, _, _) = network();
    let members = |b: usize| -> Vec<Vec<usize>> {
        plan_with(&net, true, Some(b))
            .unwrap()
            .merged_updates
            .iter()
            .map(|g| g.members.clone())
            .collect()
    };
    // s0..s2 bind state, parameters and a spike ring (4 each); b and c
    // state and parameters (2 each).
    assert_eq!(members(32), vec![vec![0, 1, 2, 3, 4]]);
    assert_eq!(members(8), vec![vec![0, 1], vec![2, 3, 4]]);
    assert_eq!(members(4), vec![vec![3, 4]]);
    // b and c clear their conductances: one buffer each.
    let clears = plan_with(&net, true, Some(32)).unwrap().merged_clears;
    assert_eq!(clears.len(), 1);
    assert_eq!(clears[0].members, vec![3, 4]);
    assert!(members(3).is_empty());
}

fn merged_updates_with_input_tables_histories_and_monitors() {
    let build = || {
        let mut net = Network::new().dt(1.0).seed(9);
        let rows = ndarray::array![[0.5f32, 1.0, 0.0], [2.0, 0.25, 1.5]];
        let ta = net.timed_array("ta", &rows, 3.0, 0.0).unwrap();
        let src = net
            .spike_source_array(
                "src",
                vec![vec![1.0, 4.0], vec![2.0], vec![], vec![3.0, 5.0]],
            )
            .unwrap();
        let out = net
            .population("out", 3, &Neuron::rate().equations("r = sum(exc)"))
            .unwrap();
        // Delayed: the history of ta's r.
        net.projection(ta, out, "exc")
            .delays(2.0)
            .connect_all_to_all(Weights::constant(1.0))
            .unwrap();
        let recv = net.population("recv", 4, &receiver()).unwrap();
        net.projection(src, recv, "exc")
            .connect_one_to_one(Weights::constant(1.0))
            .unwrap();
        let m = net.monitor(src, &["spike"]).unwrap();
        let ma = net.monitor(out, &["r"]).unwrap();
        (net, src, recv, out, m, ma)
    };
    let (net, src, recv, out, m, ma) = build();
    let mut runs = Vec::new();
    for backend in [Backend::Cpu, Backend::Gpu] {
        let mut sim = net.compile(backend).unwrap();
        if backend == Backend::Gpu {
            // ta, src, out, recv: one update dispatch.
            assert!(
                sim.dispatches_per_step() <= 5,
                "{}",
                sim.dispatches_per_step()
            );
        }
        sim.simulate(4.0).unwrap();
        // A new table after compiling rebinds the merged group.
        sim.set_spike_times(src, vec![vec![6.0], vec![5.0, 7.0], vec![6.0], vec![]])
            .unwrap();
        sim.simulate(5.0).unwrap();
        runs.push((
            sim.spikes(m).unwrap(),
            sim.recorded(ma, "r").unwrap(),
            sim.get(recv, "e").unwrap(),
            sim.get(out, "r").unwrap(),
        ));
    }
    assert_eq!(runs[0], runs[1]);
    // Steps 1, 2, 3 from the first table; 5, 6, 6, 7 from the second.
    assert_eq!(runs[0].0.len(), 7, "{:?}", runs[0].0);
}

fn both_spike_strategies_deliver_what_the_cpu_does() {
    use cajal::engine::gpu::plan_with_strategy;

    let (net, b, c) = network();
    // Auto: rows of s1 -> b (p 0.5 of 50: 25 a row) are long, s0 -> b
    // (p 0.3, 3 delays: 5 a row) short.
    let p = plan_with_strategy(&net, true, None, SpikeStrategy::Auto).unwrap();
    let per_thread: Vec<bool> = p
        .projs
        .iter()
        .map(|q| q.kernel.name.contains("thread per spike"))
        .collect();
    assert_eq!(per_thread[..2], [true, false]);
    if !gpu_trial() {
        return;
    }
    let mut cpu = net.compile(Backend::Cpu).unwrap();
    let mut sims: Vec<Simulation> = [
        SpikeStrategy::ThreadPerSpike,
        SpikeStrategy::WorkgroupPerSpike,
    ]
    .into_iter()
    .map(|s| {
        net.compile_gpu(&GpuOptions {
            spike_strategy: s,
            ..Default::default()
        })
        .unwrap()
    })
    .collect();
    for step in 0..12 {
        cpu.step().unwrap();
        for s in &mut sims {
            s.step().unwrap();
        }
        for (pop, var) in [(b, "e"), (b, "i"), (c, "e")] {
            let want = cpu.get(pop, var).unwrap();
            for (k, s) in sims.iter().enumerate() {
                assert_eq!(
                    s.get(pop, var).unwrap(),
                    want,
                    "strategy {k}, step {step}, {var}"
                );
            }
        }
    }
}

fn many_spikes_in_one_step_each_delivered_once() {
    // More spikes in a step than a dispatch has threads (1024 x 64), so
    // that both strategies loop over their share.
    let n = 70_000;
    let mut net = Network::new().dt(1.0);
    let a = net.population("a", n, &clock()).unwrap();
    net.set(a, "t1", 1.0).unwrap();
    let r = net.population("r", n, &receiver()).unwrap();
    net.projection(a, r, "exc")
        .connect_one_to_one(Weights::constant(1.0))
        .unwrap();
    for s in [
        SpikeStrategy::ThreadPerSpike,
        SpikeStrategy::WorkgroupPerSpike,
    ] {
        let mut sim = net
            .compile_gpu(&GpuOptions {
                spike_strategy: s,
                ..Default::default()
            })
            .unwrap();
        sim.simulate(3.0).unwrap();
        let e = sim.get(r, "e").unwrap();
        assert!(
            e.iter().all(|&x| x == 1.0),
            "{s:?}: {} wrong",
            e.iter().filter(|&&x| x != 1.0).count()
        );
    }
}

/// Rate-coded projections of every shape a weighted sum takes: two into
/// the same sum (their order matters), a recurrent one, a uniform and a
/// per-synapse delay, a mean, a psp reading post; a convolution into d's
/// `conv`, and a rate projection into the same sum, which stays apart.
fn rate_network() -> (Network, PopId, PopId, PopId) {
    let mut net = Network::new().dt(1.0).seed(17);
    let source = Neuron::rate()
        .parameters("base = 0.0")
        .equations("r = base * (1.0 + 0.1 * t)");
    let a = net.population("a", [6usize, 5], &source).unwrap();
    let b = net.population("b", 20, &source).unwrap();
    net.set(
        a,
        "base",
        (0..30).map(|i| 0.1 + 0.03 * i as f32).collect::<Vec<_>>(),
    )
    .unwrap();
    net.set(
        b,
        "base",
        (0..20).map(|i| 0.5 - 0.04 * i as f32).collect::<Vec<_>>(),
    )
    .unwrap();
    let leaky = Neuron::rate()
        .parameters("tau = 5.0")
        .equations("tau * dr/dt = -r + sum(exc) - sum(inh)");
    let c = net.population("c", 25, &leaky).unwrap();
    let d = net
        .population(
            "d",
            [6usize, 5],
            &Neuron::rate().equations("r = sum(exc) + 0.5 * sum(conv)"),
        )
        .unwrap();
    let w = |lo: f64, hi: f64| Weights::random(Dist::uniform(lo, hi));
    net.projection(a, c, "exc")
        .connect_fixed_probability(0.3, w(0.0, 0.5))
        .unwrap();
    net.projection(b, c, "exc")
        .connect_all_to_all(w(-0.2, 0.2))
        .unwrap();
    net.projection(c, c, "inh")
        .connect_fixed_number_pre(3, w(0.0, 0.3))
        .unwrap();
    net.projection(c, d, "exc")
        .delays(3.0)
        .connect_fixed_probability(0.4, w(-0.5, 0.5))
        .unwrap();
    net.projection(a, d, "exc")
        .synapse(&Synapse::new().operation(Operation::Mean))
        .delays(Delays::random(Dist::uniform(1.0, 4.0)))
        .connect_fixed_probability(0.5, w(0.0, 1.0))
        .unwrap();
    let filter = ndarray::Array::from_shape_fn((3, 2), |(i, j)| 0.1 * (i as f32) - 0.2 * j as f32)
        .into_dyn();
    net.convolution(a, d, "conv")
        .connect_filter(&filter)
        .unwrap();
    net.projection(b, d, "conv")
        .connect_all_to_all(w(0.0, 0.1))
        .unwrap();
    net.projection(d, c, "exc")
        .synapse(&Synapse::new().psp("w * pre.r * (1.0 + post.r)"))
        .connect_all_to_all(w(-0.1, 0.1))
        .unwrap();
    (net, a, c, d)
}

fn rate_sums_merge_by_the_binding_budget_apart_from_other_sums() {
    let (net, _, _, _) = rate_network();
    let groups = |b: usize| -> Vec<Vec<usize>> {
        plan_with(&net, true, Some(b))
            .unwrap()
            .merged_rates
            .iter()
            .map(|g| g.members.clone())
            .collect()
    };
    // 5 (the convolution) and 6 (its sum) stay apart. The group binds c,
    // d, a, b, the histories of c and a, and 3 buffers a member: 24.
    assert_eq!(groups(32), vec![vec![0, 1, 2, 3, 4, 7]]);
    let p = plan_with(&net, true, Some(32)).unwrap();
    let g = &p.merged_rates[0];
    assert_eq!((g.pops.clone(), g.posts), (vec![2, 3, 0, 1], 2));
    assert_eq!(g.hists, vec![2, 0]);
    cajal::engine::gpu::codegen::validate(&g.kernel, true).unwrap();
    // 0, 1, 2 bind a, b, c and 9: 12; 3 would add d, c's history and 3.
    // Then 3, 4, 7: d, c, a, two histories and 9 = 14.
    assert_eq!(groups(14), vec![vec![0, 1, 2], vec![3, 4, 7]]);
    assert_eq!(groups(13), vec![vec![0, 1, 2], vec![3, 4]]);
    assert!(groups(5).is_empty());
    assert!(plan_with(&net, true, None).unwrap().merged_rates.is_empty());
}

fn merged_rate_sums_compute_what_separate_ones_and_the_cpu_do() {
    let (net, a, c, d) = rate_network();
    for batch in [1, 2] {
        let separate = GpuOptions {
            merge: false,
            ..Default::default()
        };
        let mut sims = [
            net.compile_batched(Backend::Cpu, batch).unwrap(),
            net.compile_batched(Backend::Gpu, batch).unwrap(),
            net.compile_gpu_batched(&separate, batch).unwrap(),
        ];
        // The merged sum replaces six dispatches.
        assert!(
            sims[1].dispatches_per_step() + 5 <= sims[2].dispatches_per_step(),
            "{} vs {}",
            sims[1].dispatches_per_step(),
            sims[2].dispatches_per_step()
        );
        if batch == 2 {
            let other: Vec<f32> = (0..30).map(|i| 0.6 - 0.02 * i as f32).collect();
            for s in &mut sims {
                s.set_element(a, 1, "base", other.clone()).unwrap();
            }
        }
        for step in 0..15 {
            for s in &mut sims {
                s.step().unwrap();
            }
            for pop in [c, d] {
                let want = sims[0].get(pop, "r").unwrap();
                let merged = sims[1].get(pop, "r").unwrap();
                // Same sums in the same order on one device.
                assert_eq!(
                    merged,
                    sims[2].get(pop, "r").unwrap(),
                    "batch {batch}, step {step}"
                );
                for (g, w) in merged.iter().zip(want.iter()) {
                    assert!(
                        (g - w).abs() <= 1e-5 * w.abs().max(1.0),
                        "batch {batch}, step {step}: {g} vs {w}"
                    );
                }
                if step > 4 {
                    assert!(want.iter().any(|x| x.abs() > 0.05), "step {step}");
                }
            }
        }
    }
}

fn every_delay_block_is_delivered_whatever_the_grid() {
    // a: 3 neurons, 20 delays (so its own kernel has fewer workgroups
    // than delay blocks: each workgroup takes several blocks); b: 70
    // neurons, which size the merged grid (more workgroups than its 21
    // blocks: several split each block's spikes, a few idle).
    let mut net = Network::new().dt(1.0).seed(23);
    let a = net.population("a", 3, &clock()).unwrap();
    net.set(a, "t1", vec![0.0, 2.0, 5.0]).unwrap();
    net.set(a, "t2", vec![3.0, 4.0, 9.0]).unwrap();
    let b = net.population("b", 70, &clock()).unwrap();
    let t1: Vec<f32> = (0..70).map(|i| (i % 7) as f32).collect();
    net.set(b, "t1", t1).unwrap();
    let post = net.population("post", 40, &receiver()).unwrap();
    net.projection(a, post, "exc")
        .delays(Delays::random(Dist::uniform(1.0, 20.0)))
        .connect_all_to_all(Weights::random(Dist::uniform(1.0, 1.0)))
        .unwrap();
    net.projection(b, post, "inh")
        .delays(2.0)
        .connect_fixed_probability(0.3, Weights::constant(2.0))
        .unwrap();
    let delays = &net.proj(net.projections()[0]).unwrap().synapses.delay;
    for d in 1..=20 {
        assert!(delays.contains(&d), "delay {d}");
    }
    if !gpu_trial() {
        return;
    }
    let mut cpu = net.compile(Backend::Cpu).unwrap();
    let mut sims: Vec<(String, Simulation)> = Vec::new();
    for merge in [true, false] {
        for s in [
            SpikeStrategy::ThreadPerSpike,
            SpikeStrategy::WorkgroupPerSpike,
        ] {
            let opts = GpuOptions {
                merge,
                spike_strategy: s,
                ..Default::default()
            };
            sims.push((
                format!("merge {merge}, {s:?}"),
                net.compile_gpu(&opts).unwrap(),
            ));
        }
    }
    let mut e_total = 0.0;
    for step in 0..32 {
        cpu.step().unwrap();
        for (_, s) in &mut sims {
            s.step().unwrap();
        }
        for var in ["e", "i"] {
            let want = cpu.get(post, var).unwrap();
            if var == "e" {
                e_total += want.sum();
            }
            for (label, s) in &sims {
                assert_eq!(
                    s.get(post, var).unwrap(),
                    want,
                    "{label}, step {step}, {var}"
                );
            }
        }
    }
    // Every spike of a reaches every target once, by step 29 (t2 = 9,
    // delay 20): 6 spikes x 40 targets x weight 1.
    assert_eq!(e_total, 240.0);
}

/// Spiking neurons that fire at the times of their parameters t1, t2 and
/// keep in `last` what their conductance received.
fn timed() -> Neuron {
    Neuron::spiking()
        .parameters("t1 = -1.0\nt2 = -1.0")
        .equations("last = g_exc")
        .spike("(t == t1) or (t == t2)")
}

/// Plastic projections (STDP, STP) among default ones; the STDP from p
/// reads the state of p, which two other members write as their post.
fn plastic_network() -> (Network, PopId, PopId, Vec<ProjId>) {
    use cajal::models::synapses::{stdp, stp};
    let mut net = Network::new().dt(1.0).seed(29);
    let mut pop = |name: &str, n: usize, t1: &dyn Fn(usize) -> f32, t2: &dyn Fn(usize) -> f32| {
        let p = net.population(name, n, &timed()).unwrap();
        net.set(p, "t1", (0..n).map(t1).collect::<Vec<_>>())
            .unwrap();
        net.set(p, "t2", (0..n).map(t2).collect::<Vec<_>>())
            .unwrap();
        p
    };
    let s0 = pop("s0", 30, &|i| (i % 9) as f32, &|i| (12 + i % 11) as f32);
    let s1 = pop("s1", 20, &|i| (2 + i % 7) as f32, &|i| (20 + i % 5) as f32);
    let p = pop("p", 25, &|i| (3 + i % 8) as f32, &|i| (15 + i % 13) as f32);
    let q = pop("q", 15, &|i| (5 + i % 6) as f32, &|i| (18 + i % 9) as f32);
    let rule = stdp(10.0, 12.0, 0.05, 0.06, 0.0, 1.0);
    let w = |lo: f64, hi: f64| Weights::random(Dist::uniform(lo, hi));
    let projs = vec![
        net.projection(s0, p, "exc")
            .synapse(&rule)
            .delays(Delays::random(Dist::uniform(1.0, 3.0)))
            .connect_fixed_probability(0.5, w(0.2, 0.8))
            .unwrap(),
        net.projection(s1, p, "exc")
            .connect_fixed_probability(0.4, w(0.0, 1.0))
            .unwrap(),
        net.projection(s1, q, "exc")
            .synapse(&stp(50.0, 20.0, 0.3))
            .connect_all_to_all(w(0.5, 1.0))
            .unwrap(),
        net.projection(p, q, "exc")
            .synapse(&rule)
            .connect_fixed_probability(0.6, w(0.2, 0.8))
            .unwrap(),
        net.projection(s0, q, "exc")
            .delays(2.0)
            .connect_fixed_probability(0.3, w(0.0, 1.0))
            .unwrap(),
    ];
    (net, p, q, projs)
}

fn plastic_deliveries_merge_and_stay_merged_while_learning_is_off() {
    let (net, p, q, projs) = plastic_network();
    let plan = plan_with(&net, true, Some(32)).unwrap();
    let groups: Vec<Vec<usize>> = plan.merged.iter().map(|g| g.members.clone()).collect();
    // 3 reads p's state, which 0 and 1 write: it starts a group of its own.
    assert_eq!(groups, vec![vec![0, 1, 2], vec![3, 4]]);
    // The two STDP projections' post_spike (STP has none): one dispatch
    // reading the states of p, s0 and q, and the spikes of p and q.
    assert_eq!(plan.merged_posts.len(), 1);
    let mp = &plan.merged_posts[0];
    assert_eq!(mp.members, vec![0, 3]);
    assert_eq!(
        (mp.pops.clone(), mp.rings.clone()),
        (vec![2, 0, 3], vec![2, 3])
    );
    for k in plan.kernels() {
        cajal::engine::gpu::codegen::validate(k, true).unwrap();
    }
    if !gpu_trial() {
        return;
    }
    let (mut cpu, mut merged, mut apart) = three_engines(&net);
    // Separate: 4 clears, 5 deliveries, 4 updates, 2 post_spike. Merged:
    // 1, 2, 1 and 1.
    assert_eq!(apart.dispatches_per_step(), 15);
    assert_eq!(merged.dispatches_per_step(), 5);
    let close = |a: &[f32], b: &[f32], what: &str| {
        assert_eq!(a.len(), b.len(), "{what}");
        for (x, y) in a.iter().zip(b) {
            assert!(
                (x - y).abs() <= 1e-5 * y.abs().max(1.0),
                "{what}: {x} vs {y}"
            );
        }
    };
    let mut moved = 0.0f32;
    let w0: Vec<Vec<f32>> = projs
        .iter()
        .map(|&pr| cpu.synapses(pr, "w").unwrap().2)
        .collect();
    for step in 0..40 {
        // Learning of projection 0 off for steps 12 to 24: its group still
        // runs as one dispatch, 0 skipping its assignments to w.
        if step == 12 {
            for s in [&mut cpu, &mut merged, &mut apart] {
                s.disable_learning(Some(projs[0])).unwrap();
            }
        }
        if step == 25 {
            for s in [&mut cpu, &mut merged, &mut apart] {
                s.enable_learning(Some(projs[0]), None, None).unwrap();
            }
        }
        for s in [&mut cpu, &mut merged, &mut apart] {
            s.step().unwrap();
        }
        for pop in [p, q] {
            let want: Vec<f32> = cpu.get(pop, "last").unwrap().iter().copied().collect();
            for (label, s) in [("merged", &merged), ("separate", &apart)] {
                let got: Vec<f32> = s.get(pop, "last").unwrap().iter().copied().collect();
                close(&got, &want, &format!("{label}, step {step}"));
            }
        }
        if step == 24 {
            // Frozen since step 12 on every engine.
            let now = cpu.synapses(projs[0], "w").unwrap().2;
            let got = merged.synapses(projs[0], "w").unwrap().2;
            close(&got, &now, "frozen weights");
        }
    }
    for (k, &pr) in projs.iter().enumerate() {
        let want = cpu.synapses(pr, "w").unwrap().2;
        for (label, s) in [("merged", &merged), ("separate", &apart)] {
            close(
                &s.synapses(pr, "w").unwrap().2,
                &want,
                &format!("{label}, w of {k}"),
            );
        }
        moved += want
            .iter()
            .zip(&w0[k])
            .map(|(a, b)| (a - b).abs())
            .sum::<f32>();
    }
    assert!(moved > 0.5, "STDP moved the weights by {moved}");
}

fn a_delivery_reading_a_conductance_stays_apart() {
    let mut net = Network::new().dt(1.0);
    let s = net.population("s", 10, &clock()).unwrap();
    let b = net.population("b", 10, &receiver()).unwrap();
    let w = || Weights::constant(1.0);
    net.projection(s, b, "exc").connect_all_to_all(w()).unwrap();
    // Reads g_exc of b, which 0 and 2 add to: in one dispatch that read
    // would race with their additions.
    let reader = Synapse::new().pre_spike("g_target += w * (1.0 + post.g_exc)");
    net.projection(s, b, "inh")
        .synapse(&reader)
        .connect_all_to_all(w())
        .unwrap();
    net.projection(s, b, "exc")
        .name("second")
        .connect_one_to_one(w())
        .unwrap();
    let plan = plan_with(&net, true, Some(32)).unwrap();
    let groups: Vec<Vec<usize>> = plan.merged.iter().map(|g| g.members.clone()).collect();
    assert_eq!(groups, vec![vec![0, 2]]);
}

fn learning_rules_merge_and_stay_merged_while_one_is_off() {
    use cajal::models::synapses::{hebb, oja};
    let mut net = Network::new().dt(1.0).seed(31);
    let source = Neuron::rate()
        .parameters("base = 0.0")
        .equations("r = base * (1.0 + 0.05 * t)");
    let a = net.population("a", 12, &source).unwrap();
    net.set(
        a,
        "base",
        (0..12).map(|i| 0.1 + 0.05 * i as f32).collect::<Vec<_>>(),
    )
    .unwrap();
    let summer = Neuron::rate().equations("r = sum(exc)");
    let b = net.population("b", 6, &summer).unwrap();
    let c = net.population("c", 5, &summer).unwrap();
    let w = || Weights::random(Dist::uniform(0.0, 0.2));
    let projs = [
        net.projection(a, b, "exc")
            .synapse(&oja(0.01, 1.0))
            .connect_all_to_all(w())
            .unwrap(),
        net.projection(b, c, "exc")
            .synapse(&hebb(0.002))
            .connect_all_to_all(w())
            .unwrap(),
        net.projection(a, c, "exc")
            .synapse(&oja(0.02, 2.0))
            .connect_fixed_probability(0.5, w())
            .unwrap(),
    ];
    let plan = plan_with(&net, true, Some(32)).unwrap();
    assert_eq!(plan.merged_learns.len(), 1);
    assert_eq!(plan.merged_learns[0].members, vec![0, 1, 2]);
    assert_eq!(plan.merged_learns[0].pops, vec![1, 0, 2]);
    // 3 populations + 3 a member: 8 take the first two only.
    let narrow = plan_with(&net, true, Some(8)).unwrap();
    assert_eq!(narrow.merged_learns.len(), 0);
    let narrow = plan_with(&net, true, Some(9)).unwrap();
    assert_eq!(narrow.merged_learns[0].members, vec![0, 1]);
    if !gpu_trial() {
        return;
    }
    let (mut cpu, mut merged, mut apart) = three_engines(&net);
    // Apart: 2 clears, 3 sums, 3 updates, 3 rules; merged: one each.
    assert_eq!(apart.dispatches_per_step(), 11);
    assert_eq!(merged.dispatches_per_step(), 4);
    let mut at10 = Vec::new();
    let w0: Vec<Vec<f32>> = projs
        .iter()
        .map(|&p| cpu.synapses(p, "w").unwrap().2)
        .collect();
    for step in 0..30 {
        if step == 10 {
            for s in [&mut cpu, &mut merged, &mut apart] {
                s.disable_learning(Some(projs[1])).unwrap();
            }
            at10 = merged.synapses(projs[1], "w").unwrap().2;
        }
        if step == 20 {
            for s in [&mut cpu, &mut merged, &mut apart] {
                s.enable_learning(Some(projs[1]), None, None).unwrap();
            }
        }
        for s in [&mut cpu, &mut merged, &mut apart] {
            s.step().unwrap();
        }
        for (k, &p) in projs.iter().enumerate() {
            let want = cpu.synapses(p, "w").unwrap().2;
            for (label, s) in [("merged", &merged), ("separate", &apart)] {
                let got = s.synapses(p, "w").unwrap().2;
                for (x, y) in got.iter().zip(&want) {
                    assert!(
                        (x - y).abs() <= 1e-5 * y.abs().max(1.0),
                        "{label}, step {step}, projection {k}: {x} vs {y}"
                    );
                }
            }
            if step == 19 && k == 1 {
                // Off since step 10, while its group's others learn.
                assert_eq!(merged.synapses(p, "w").unwrap().2, at10);
            }
        }
    }
    let moved: f32 = projs
        .iter()
        .zip(&w0)
        .map(|(&p, w0)| {
            let w = cpu.synapses(p, "w").unwrap().2;
            w.iter().zip(w0).map(|(x, y)| (x - y).abs()).sum::<f32>()
        })
        .sum();
    assert!(moved > 0.05, "{moved}");
}

fn untiled_convolutions_and_pooling_merge_with_rate_sums() {
    let mut net = Network::new().dt(1.0).seed(37);
    let source = Neuron::rate()
        .parameters("base = 0.0")
        .equations("r = base * (1.0 + 0.1 * t)");
    let a = net.population("a", 20, &source).unwrap();
    net.set(
        a,
        "base",
        (0..20).map(|i| 0.05 * i as f32 - 0.4).collect::<Vec<_>>(),
    )
    .unwrap();
    let img = net.population("img", [8usize, 8], &source).unwrap();
    net.set(
        img,
        "base",
        (0..64)
            .map(|i| ((i * 7) % 11) as f32 * 0.1)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let c = net
        .population("c", 20, &Neuron::rate().equations("r = sum(exc)"))
        .unwrap();
    let d = net
        .population(
            "d",
            [4usize, 4],
            &Neuron::rate().equations("r = sum(pool) + sum(exc)"),
        )
        .unwrap();
    let w = || Weights::random(Dist::uniform(-0.5, 0.5));
    // Into c's exc: a rate sum, a 1-D convolution (not tiled), another
    // rate sum; their order is the order the sums add in.
    net.projection(a, c, "exc")
        .connect_fixed_probability(0.3, w())
        .unwrap();
    let filter =
        ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[3]), vec![0.25f32, -0.5, 1.0]).unwrap();
    net.convolution(a, c, "exc")
        .name("conv")
        .connect_filter(&filter)
        .unwrap();
    net.projection(c, c, "exc")
        .connect_fixed_number_pre(4, w())
        .unwrap();
    // Max pooling (not a weighted psp: not tiled) and a rate sum into d.
    net.pooling(img, d, "pool")
        .operation(Operation::Max)
        .connect_pooling(None)
        .unwrap();
    net.projection(a, d, "exc").connect_all_to_all(w()).unwrap();
    let plan = plan_with(&net, true, Some(32)).unwrap();
    assert!(plan.projs[1].tiles.is_none() && plan.projs[3].tiles.is_none());
    let groups: Vec<Vec<usize>> = plan
        .merged_rates
        .iter()
        .map(|g| g.members.clone())
        .collect();
    assert_eq!(groups, vec![vec![0, 1, 2, 3, 4]]);
    cajal::engine::gpu::codegen::validate(&plan.merged_rates[0].kernel, true).unwrap();
    if !gpu_trial() {
        return;
    }
    let (mut cpu, mut merged, mut apart) = three_engines(&net);
    assert!(merged.dispatches_per_step() + 4 <= apart.dispatches_per_step());
    for step in 0..8 {
        for s in [&mut cpu, &mut merged, &mut apart] {
            s.step().unwrap();
        }
        for pop in [c, d] {
            let want = cpu.get(pop, "r").unwrap();
            let got = merged.get(pop, "r").unwrap();
            assert_eq!(got, apart.get(pop, "r").unwrap(), "step {step}");
            for (g, w) in got.iter().zip(want.iter()) {
                assert!(
                    (g - w).abs() <= 1e-5 * w.abs().max(1.0),
                    "step {step}: {g} vs {w}"
                );
            }
        }
    }
    assert!(cpu.get(d, "r").unwrap().iter().any(|x| x.abs() > 0.1));
}

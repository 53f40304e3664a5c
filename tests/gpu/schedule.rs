//! The step as data: the schedule both engines run, what it holds and how
//! it prints; the order it states is the order both engines keep.

use crate::common::tests;
use cajal::engine::gpu::{plan, plan_with};
use cajal::engine::schedule::Stage;
use cajal::prelude::*;

tests! {
    cpu: [
        coba_schedule_on_the_cpu_engine,
        cpu_spike_deliveries_into_one_conductance_form_one_group,
        gpu_plan_schedule_is_the_merged_groups_and_groups_of_one,
        both_engines_schedule_the_same_phases_and_members,
        run_stage_runs_one_phase_and_keeps_the_step,
    ],
    both: [
        dispatches_per_step_count_the_schedule_groups,
    ],
}

/// Stages appear in step order, each member of a stage in exactly one of
/// its groups, groups ordered by their first members, members in creation
/// order within a group.
fn well_formed(s: &cajal::engine::schedule::Schedule, what: &str) {
    let order: Vec<usize> = s
        .phases
        .iter()
        .map(|p| Stage::ALL.iter().position(|&x| x == p.stage).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{what}: {order:?}");
    for p in &s.phases {
        let mut all: Vec<usize> = p.groups.iter().flat_map(|g| g.members.clone()).collect();
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n, "{what}: a member twice in {}", p.stage.name());
        assert!(p.groups.iter().all(|g| !g.members.is_empty()));
        assert!(p
            .groups
            .windows(2)
            .all(|w| w[0].members[0] < w[1].members[0]));
        assert!(p
            .groups
            .iter()
            .all(|g| g.members.windows(2).all(|w| w[0] < w[1])));
    }
}

fn coba_schedule_on_the_cpu_engine() {
    let (mut net, exc, _) = cajal::networks::coba(400, 1).unwrap();
    net.monitor(exc, &["v"]).unwrap();
    let sim = net.compile(Backend::Cpu).unwrap();
    let s = sim.schedule();
    well_formed(s, "coba, CPU");
    let stages: Vec<Stage> = s.phases.iter().map(|p| p.stage).collect();
    assert_eq!(
        stages,
        vec![Stage::SpikeDelivery, Stage::NeuronUpdate, Stage::Record]
    );
    // Deliveries are grouped by the conductance they feed: exc->exc and
    // exc->inh add to g_exc of two populations, inh->* to g_inh.
    let d = s.phase(Stage::SpikeDelivery).unwrap();
    assert_eq!(d.groups.len(), 4);
    assert!(d.groups.iter().all(|g| g.kernel == "spike_propagate"));
    let text = s.to_string();
    for want in [
        "1. spike delivery",
        "2. neuron_update",
        "3. record",
        "spike_propagate: exc->exc:exc",
        "monitor of exc",
    ] {
        assert!(text.contains(want), "{want} missing in\n{text}");
    }
}

fn cpu_spike_deliveries_into_one_conductance_form_one_group() {
    let mut net = Network::new();
    let lif = cajal::networks::coba_neuron();
    let a = net.population("a", 10, &lif).unwrap();
    let b = net.population("b", 10, &lif).unwrap();
    for (pre, target) in [(a, "exc"), (b, "inh"), (b, "exc")] {
        net.projection(pre, b, target)
            .connect_all_to_all(Weights::constant(0.1))
            .unwrap();
    }
    let sim = net.compile(Backend::Cpu).unwrap();
    let d = sim.schedule().phase(Stage::SpikeDelivery).unwrap();
    let groups: Vec<Vec<usize>> = d.groups.iter().map(|g| g.members.clone()).collect();
    assert_eq!(groups, vec![vec![0, 2], vec![1]]);
}

fn gpu_plan_schedule_is_the_merged_groups_and_groups_of_one() {
    for (name, net) in [
        ("coba", cajal::networks::coba(400, 1).unwrap().0),
        ("bar learning", cajal::networks::bar_learning(1).unwrap().0),
        ("edges", cajal::networks::edges(16, 1).unwrap().0),
        ("hybrid", cajal::networks::hybrid(100, 1).unwrap().0),
        (
            "microcircuit",
            cajal::networks::microcircuit(0.02, cajal::networks::Background::Poisson, 0.1, 1)
                .unwrap()
                .0,
        ),
    ] {
        for merge in [None, Some(32)] {
            let p = plan_with(&net, true, merge).unwrap();
            let s = &p.schedule;
            well_formed(s, name);
            for phase in &s.phases {
                let merged = p.merged_groups(phase.stage);
                for g in &phase.groups {
                    if g.members.len() > 1 {
                        assert!(
                            merged.iter().any(|(m, _)| *m == g.members.as_slice()),
                            "{name}: a group of {} with no merged kernel",
                            g.members.len()
                        );
                    } else {
                        let k = p.own_kernel(phase.stage, g.members[0]);
                        assert!(
                            k.is_some() || phase.stage == Stage::Record,
                            "{name}: {} member {} has no kernel",
                            phase.stage.name(),
                            g.members[0]
                        );
                    }
                }
                // Every merged group is in the schedule.
                for (m, _) in merged {
                    assert!(phase.groups.iter().any(|g| g.members.as_slice() == m));
                }
            }
            if merge.is_none() {
                assert!(s
                    .phases
                    .iter()
                    .all(|p| p.groups.iter().all(|g| g.members.len() == 1)));
            }
        }
    }
}

fn dispatches_per_step_count_the_schedule_groups() {
    let (net, _, _) = cajal::networks::coba(400, 1).unwrap();
    let p = plan(&net, true).unwrap();
    // Deliveries (merged), updates (merged); COBA's conductances decay by
    // their equations, so nothing is cleared.
    assert_eq!(p.schedule.dispatches_per_step(), 2);
    let apart = plan_with(&net, true, None).unwrap();
    // 4 deliveries, 2 updates.
    assert_eq!(apart.schedule.dispatches_per_step(), 6);
    if crate::common::gpu_trial() {
        let sim = net.compile(Backend::Gpu).unwrap();
        assert_eq!(
            sim.dispatches_per_step(),
            sim.schedule().dispatches_per_step()
        );
    }
}

/// Both engines run the same phases over the same members: they differ
/// only in how they group them.
fn both_engines_schedule_the_same_phases_and_members() {
    let nets = [
        cajal::networks::coba(400, 1).unwrap().0,
        cajal::networks::bar_learning(1).unwrap().0,
        cajal::networks::edges(16, 1).unwrap().0,
        cajal::networks::hybrid(100, 1).unwrap().0,
    ];
    for net in &nets {
        let cpu = net.compile(Backend::Cpu).unwrap();
        let gpu = plan(net, true).unwrap();
        let members = |s: &cajal::engine::schedule::Schedule| -> Vec<(Stage, Vec<usize>)> {
            s.phases
                .iter()
                .map(|p| {
                    let mut m: Vec<usize> =
                        p.groups.iter().flat_map(|g| g.members.clone()).collect();
                    m.sort_unstable();
                    (p.stage, m)
                })
                .collect()
        };
        assert_eq!(members(cpu.schedule()), members(&gpu.schedule));
    }
}

fn run_stage_runs_one_phase_and_keeps_the_step() {
    let (net, _, _) = cajal::networks::coba(100, 1).unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    sim.simulate(2.0).unwrap();
    let step = sim.current_step();
    sim.run_stage(Stage::NeuronUpdate).unwrap();
    assert_eq!(sim.current_step(), step);
}

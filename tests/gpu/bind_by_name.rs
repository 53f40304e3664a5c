//! The GPU engine binds each kernel's buffers by the names of the kernel's
//! binding table (`Kernel::bindings`), so that binding numbers are written
//! only where the kernel is generated. Building the engine resolves every
//! pass: a name the kernel does not declare, a declared binding left
//! unbound or bound twice, or an access that disagrees is an error, so a
//! build that succeeds bound every declared binding of every kernel of the
//! plan exactly once. Stepping it in lockstep with the CPU engine then
//! checks that each buffer went to the binding that reads it.
//!
//! Ready-made networks, merged and not; one with STDP and a monitor, and
//! procedural ones with and without per-synapse delays.

use crate::common::{tests, Tol};
use cajal::connect::Weights;
use cajal::engine::gpu::{GpuOptions, MERGE_BINDINGS};
use cajal::lang::ir::VarKind;
use cajal::models::synapses::stdp;
use cajal::networks::{self as nets, Background, Connectivity};
use cajal::prelude::*;
use ndarray::ArrayD;

tests! {
    gpu: [
        coba_with_stdp_and_a_monitor,
        procedural_microcircuits,
        spiking_networks,
        rate_coded_and_hybrid_networks,
    ],
}

/// Equal within a tolerance looser than the conformance tests' (a wrong
/// binding is off by far more), NaN equal to NaN.
fn close(a: f32, b: f32) -> bool {
    crate::common::close(a, b, Tol::abs_or_rel(1e-5, 1e-4).of_larger().specials())
}

/// The first value of `cpu` and `gpu` out of tolerance, as text.
fn mismatch(what: &str, cpu: &[f32], gpu: &[f32]) -> Option<String> {
    if cpu.len() != gpu.len() {
        return Some(format!("{what}: {} values vs {}", cpu.len(), gpu.len()));
    }
    let bad = cpu
        .iter()
        .zip(gpu)
        .filter(|(c, g)| !close(**c, **g))
        .count();
    let (i, (c, g)) = cpu
        .iter()
        .zip(gpu)
        .enumerate()
        .find(|(_, (c, g))| !close(**c, **g))?;
    Some(format!(
        "{what}: {bad} of {} values differ, first at {i}: CPU {c} vs GPU {g}",
        cpu.len()
    ))
}

fn flat(a: &ArrayD<f32>) -> Vec<f32> {
    a.iter().copied().collect()
}

/// The variables of a population that its equations change.
fn state_vars(net: &Network, pop: PopId) -> Vec<String> {
    net.pop(pop)
        .unwrap()
        .ir
        .vars
        .iter()
        .filter(|v| matches!(v.kind, VarKind::Variable | VarKind::Conductance))
        .map(|v| v.name.clone())
        .collect()
}

/// The names of the kernels the plan of `net` has, merged or not.
fn kernel_names(net: &Network, merge: bool) -> Vec<String> {
    let budget = merge.then_some(MERGE_BINDINGS);
    let plan = cajal::engine::gpu::plan_with(net, false, budget).unwrap();
    plan.kernels().iter().map(|k| k.name.clone()).collect()
}

/// Builds the GPU engine of `net`, merged and not, and runs `steps` steps
/// on it and on the CPU engine in lockstep: each step starts both from the
/// CPU's state, so only the step itself is compared. Then the synapse
/// variables `w` (where stored) and the monitors' spikes. Returns the
/// names of the kernels bound (merged and not).
fn check(what: &str, net: &Network, steps: u64) -> Vec<String> {
    let mut names = Vec::new();
    for merge in [true, false] {
        let what = format!("{what}, merge {merge}");
        let mut cpu = net.compile(Backend::Cpu).unwrap();
        let mut gpu = net
            .compile_gpu(&GpuOptions {
                merge,
                ..Default::default()
            })
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let pops = net.populations();
        let mut found = Vec::new();
        for _ in 0..steps {
            cpu.step().unwrap();
            gpu.step().unwrap();
            let step = cpu.current_step();
            for &p in &pops {
                let pop = &net.pop(p).unwrap().name;
                for var in state_vars(net, p) {
                    let c = cpu.get(p, &var).unwrap();
                    let g = gpu.get(p, &var).unwrap();
                    found.extend(mismatch(
                        &format!("step {step}, {pop}.{var}"),
                        &flat(&c),
                        &flat(&g),
                    ));
                    gpu.set(p, &var, c).unwrap();
                }
            }
        }
        for q in net.projections() {
            let proj = &net.proj(q).unwrap().name;
            if let Ok((_, _, c)) = cpu.synapses(q, "w") {
                let (_, _, g) = gpu.synapses(q, "w").unwrap();
                found.extend(mismatch(&format!("projection {proj}: w"), &c, &g));
            }
        }
        for m in net.monitors() {
            if let Ok(c) = cpu.spikes(m) {
                assert_eq!(c, gpu.spikes(m).unwrap(), "{what}: monitor spikes");
            }
        }
        assert!(found.is_empty(), "{what}:\n{}", found.join("\n"));
        names.extend(kernel_names(net, merge));
    }
    names
}

/// Whether some kernel's name starts with each of `kinds`.
fn assert_kinds(names: &[String], kinds: &[&str]) {
    for kind in kinds {
        assert!(
            names.iter().any(|n| n.starts_with(kind)),
            "no {kind} among {names:?}"
        );
    }
}

fn coba_with_stdp_and_a_monitor() {
    let (mut net, exc, inh) = nets::coba(200, 1).unwrap();
    for (name, pre, post, target, delay) in [
        ("plastic e->i", exc, inh, "exc", 1.0),
        ("plastic i->e", inh, exc, "inh", 2.0),
    ] {
        net.projection(pre, post, target)
            .name(name)
            .synapse(&stdp(10.0, 12.0, 0.05, 0.06, 0.0, 1.0))
            .delays(delay)
            .connect_fixed_probability(0.1, Weights::constant(0.1))
            .unwrap();
    }
    net.monitor(exc, &["spike", "v"]).unwrap();
    let names = check("COBA with STDP", &net, 40);
    if !names.is_empty() {
        assert_kinds(
            &names,
            &[
                "spike_propagate_merged",
                "post_spike_merged",
                "neuron_update_merged",
                "spike_propagate[",
                "post_spike[",
                "record",
            ],
        );
    }
}

fn procedural_microcircuits() {
    for c in [Connectivity::Procedural, Connectivity::ProceduralMeanDelays] {
        let (net, _) = nets::microcircuit_with(0.01, Background::Poisson, 0.1, 1, c).unwrap();
        let names = check(&format!("microcircuit {c:?}"), &net, 20);
        if !names.is_empty() {
            assert_kinds(&names, &["spike_procedural", "spike_propagate_merged"]);
        }
    }
}

fn spiking_networks() {
    let (net, _) = nets::izhikevich(80, 20, 1).unwrap();
    let names = check("Izhikevich", &net, 30);
    if !names.is_empty() {
        assert_kinds(&names, &["clear_inputs_merged", "clear_inputs["]);
    }
    let (net, _) = nets::brunel(0.02, nets::BrunelState::AsynchronousIrregular, 0.1, 1).unwrap();
    check("Brunel", &net, 30);
}

fn rate_coded_and_hybrid_networks() {
    let mut names = Vec::new();
    let (net, _) = nets::bar_learning(1).unwrap();
    names.extend(check("bar learning", &net, 10));
    let (net, _) = nets::edges(32, 1).unwrap();
    names.extend(check("edges", &net, 10));
    let (net, _) = nets::hybrid(100, 1).unwrap();
    names.extend(check("hybrid", &net, 20));
    if !names.is_empty() {
        assert_kinds(
            &names,
            &["synapse_update", "rate_sum", "convolve", "decode"],
        );
    }
}

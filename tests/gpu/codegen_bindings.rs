//! Each generated kernel's binding table (`Kernel::bindings`), which the
//! engine may bind by name, against the bindings naga finds in the kernel's
//! module: a table that drifted from the declarations would bind buffers
//! to the wrong slots. Every kernel of every plan: with float atomics, with
//! the compare-exchange fallback, and in the deterministic mode. No device
//! needed.

use crate::common::tests;
use cajal::connect::Weights;
use cajal::engine::gpu::codegen::{self, Access};
use cajal::engine::gpu::PlanOptions;
use cajal::models::synapses::stdp;
use cajal::networks::{self as nets, Background, Connectivity};
use cajal::prelude::*;

tests! {
    cpu: [
        coba_with_plasticity_and_monitors,
        microcircuit_stored_and_procedural,
        rate_coded_networks,
        spiking_networks,
    ],
}

/// (number, name, access) of every binding of group 0 naga finds.
fn naga_bindings(module: &naga::Module) -> Vec<(u32, String, Access)> {
    module
        .global_variables
        .iter()
        .filter_map(|(_, g)| {
            let b = g.binding.as_ref()?;
            assert_eq!(b.group, 0, "{:?}", g.name);
            let access = match g.space {
                naga::AddressSpace::Uniform => Access::Uniform,
                naga::AddressSpace::Storage { access } => {
                    if access.contains(naga::StorageAccess::STORE) {
                        Access::ReadWrite
                    } else {
                        Access::Read
                    }
                }
                other => panic!("{:?} in {other:?}", g.name),
            };
            Some((b.binding, g.name.clone().unwrap_or_default(), access))
        })
        .collect()
}

/// Checks every kernel of `net`'s plans, with and without float atomics,
/// and in the deterministic mode (ordered deliveries); returns how many.
fn check(net: &Network) -> usize {
    let mut count = 0;
    for (atomics, deterministic) in [(true, false), (false, false), (true, true), (false, true)] {
        let opts = PlanOptions {
            float_atomics: atomics,
            deterministic,
            ..PlanOptions::default()
        };
        let plan = cajal::engine::gpu::plan_for(net, &opts).unwrap();
        for k in plan.kernels() {
            let module = codegen::validate(k, atomics).unwrap_or_else(|e| panic!("{e}"));
            let mut found = naga_bindings(&module);
            let mut table: Vec<_> = k
                .bindings()
                .into_iter()
                .map(|b| (b.number, b.name, b.access))
                .collect();
            found.sort_by_key(|b| b.0);
            table.sort_by_key(|b| b.0);
            assert_eq!(table, found, "{}", k.name);
            assert!(table.windows(2).all(|w| w[0].0 < w[1].0), "{}", k.name);
            assert_eq!(k.binding("clk"), Some(0), "{}", k.name);
            for (number, name, _) in &table {
                assert_eq!(k.binding(name), Some(*number), "{}: {name}", k.name);
            }
            assert_eq!(k.binding("no_such_buffer"), None);
            count += 1;
        }
    }
    count
}

fn coba_with_plasticity_and_monitors() {
    let (mut net, exc, inh) = nets::coba(200, 1).unwrap();
    net.projection(exc, inh, "exc")
        .name("plastic e->i")
        .synapse(&stdp(10.0, 12.0, 0.05, 0.06, 0.0, 1.0))
        .delays(1.0)
        .connect_fixed_probability(0.1, Weights::constant(0.1))
        .unwrap();
    net.projection(inh, exc, "inh")
        .name("plastic i->e")
        .synapse(&stdp(10.0, 12.0, 0.05, 0.06, 0.0, 1.0))
        .delays(2.0)
        .connect_fixed_probability(0.1, Weights::constant(0.1))
        .unwrap();
    net.monitor(exc, &["spike", "v"]).unwrap();
    let names = check_names(&net);
    for kind in ["post_spike_merged", "record", "spike_propagate_merged"] {
        assert!(names.iter().any(|n| n.starts_with(kind)), "{kind}");
    }
}

/// [`check`], returning the kernels' names.
fn check_names(net: &Network) -> Vec<String> {
    assert!(check(net) > 0);
    let plan = cajal::engine::gpu::plan(net, true).unwrap();
    plan.kernels().iter().map(|k| k.name.clone()).collect()
}

fn microcircuit_stored_and_procedural() {
    for c in [
        Connectivity::Stored,
        Connectivity::Procedural,
        Connectivity::ProceduralMeanDelays,
    ] {
        let (net, _) = nets::microcircuit_with(0.01, Background::Poisson, 0.1, 1, c).unwrap();
        check(&net);
    }
}

fn rate_coded_networks() {
    let (net, _) = nets::bar_learning(1).unwrap();
    check(&net);
    let (net, _) = nets::edges(32, 1).unwrap();
    check(&net);
    let (net, _) = nets::hybrid(100, 1).unwrap();
    check(&net);
}

fn spiking_networks() {
    let (net, _) = nets::izhikevich(80, 20, 1).unwrap();
    check(&net);
    let (net, _) = nets::brunel(0.02, nets::BrunelState::AsynchronousIrregular, 0.1, 1).unwrap();
    check(&net);
}

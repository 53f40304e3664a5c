//! Distributed runs on the GPU engine (`Network::compile_distributed_gpu`)
//! over 1, 2 and 3 ranks of one process (`Threads`, every rank on the one
//! adapter): in ordered mode (`GpuOptions::deterministic`) every rank
//! reads, bit for bit, what one process's ordered GPU run reads (spikes,
//! recorded values, `get`, synapses), with spikes exchanged every step or
//! once per delay, stored, procedural and plastic projections, values that
//! projections read of other ranks' neurons exchanged at every step,
//! DecodingProjections and psp events (each neuron's last spike); with
//! float atomics, the same activity. The same over MPI processes: tests/mpi/run.

use std::sync::Arc;

use crate::common::distributed::{coba_1300, oja_rates, Built};
use crate::common::tests;
use cajal::engine::distributed::{Comm, Threads};
use cajal::engine::gpu::GpuOptions;
use cajal::models::synapses::stdp;
use cajal::networks::{microcircuit_with, Background, Connectivity};
use cajal::prelude::*;

tests! {
    gpu: [
        coba_is_the_same_on_any_number_of_gpu_ranks,
        plastic_delayed_synapses_are_the_same_on_gpu_ranks,
        procedural_delays_are_the_same_on_gpu_ranks,
        rate_coded_values_are_exchanged_between_gpu_ranks,
        float_atomics_ranks_fire_as_one_process,
        a_monitor_added_after_compiling_records_every_gpu_rank,
        decoded_spikes_are_the_same_on_gpu_ranks,
        psp_events_are_the_same_on_gpu_ranks,
        a_rank_takes_the_adapter_at_its_place,
    ],
}

fn ordered() -> GpuOptions {
    GpuOptions {
        deterministic: true,
        ..GpuOptions::default()
    }
}

/// Spikes of each spike monitor, then the bits of every recorded
/// variable, `get` and synapse value asked for.
type Reading = (Vec<Vec<(u64, u32)>>, Vec<Vec<u32>>);

fn read(sim: &Simulation, b: &Built) -> cajal::Result<Reading> {
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<u32>>();
    let (mut spikes, mut values) = (Vec::new(), Vec::new());
    for (m, vars) in &b.1 {
        for &v in vars {
            if v == "spike" {
                spikes.push(sim.spikes(*m)?);
            } else {
                let r: Vec<f32> = sim.recorded(*m, v)?.iter().copied().collect();
                values.push(bits(&r));
            }
        }
    }
    for &(p, v) in &b.2 {
        let g: Vec<f32> = sim.get(p, v)?.iter().copied().collect();
        values.push(bits(&g));
    }
    for &(q, v) in &b.3 {
        let (post, pre, w) = sim.synapses(q, v)?;
        values.push(post.iter().chain(&pre).copied().collect());
        values.push(bits(&w));
    }
    Ok((spikes, values))
}

/// Runs `build`'s network for `ms` (in two runs) in one ordered GPU
/// simulation and on 1, 2 and 3 ordered GPU ranks; every rank must read
/// what the one simulation reads, bit for bit. Returns that reading.
fn same_on_gpu_ranks(build: &(dyn Fn() -> cajal::Result<Built> + Sync), ms: f64) -> Reading {
    let b = build().unwrap();
    let mut sim = b.0.compile_gpu(&ordered()).unwrap();
    sim.simulate(ms / 2.0).unwrap();
    sim.simulate(ms / 2.0).unwrap();
    let alone = read(&sim, &b).unwrap();
    for ranks in 1..=3 {
        let runs = Threads::run(ranks, |comm: Arc<dyn Comm>| {
            let b = build()?;
            let mut sim = b.0.compile_distributed_gpu(comm, &ordered())?;
            sim.simulate(ms / 2.0)?;
            sim.simulate(ms / 2.0)?;
            read(&sim, &b)
        })
        .unwrap();
        for (r, run) in runs.iter().enumerate() {
            assert_eq!(run.0, alone.0, "{ranks} GPU ranks, rank {r}: spikes differ");
            for (k, (a, b)) in run.1.iter().zip(&alone.1).enumerate() {
                assert!(a == b, "{ranks} GPU ranks, rank {r}: reading {k} differs");
            }
        }
    }
    alone
}

fn coba_is_the_same_on_any_number_of_gpu_ranks() {
    // Delays of one step: spikes exchanged at every step.
    let alone = same_on_gpu_ranks(&coba_1300, 40.0);
    let n: usize = alone.0.iter().map(Vec::len).sum();
    assert!(n > 200, "the network should fire: {n} spikes");
}

fn plastic_delayed_synapses_are_the_same_on_gpu_ranks() {
    // STDP with delays of 2 to 4 ms at dt = 0.5: spikes exchanged every 4
    // steps; weights set before compiling; a monitor of synapses.
    let alone = same_on_gpu_ranks(
        &|| {
            let mut net = Network::new().dt(0.5).seed(5);
            let inp = net.poisson_population("in", 400, 20.0, None)?;
            let pop = net.population("pop", 520, &cajal::networks::coba_neuron())?;
            let q = net
                .projection(inp, pop, "exc")
                .synapse(&stdp(20.0, 20.0, 0.01, 0.012, 0.0, 1.0))
                .delays(Delays::random(Dist::uniform(2.0, 4.0)))
                .connect_fixed_probability(0.1, Weights::random(Dist::uniform(0.2, 0.6)))?;
            net.set_projection(q, "w", Dist::uniform(0.1, 0.5))?;
            net.projection(pop, pop, "inh")
                .delays(Delays::constant(2.0))
                .connect_fixed_probability(0.05, 2.0)?;
            let m = net.monitor(pop, &["spike", "v"])?;
            let mw = net.monitor_projection(q, None, &["w"], 10.0)?;
            Ok((
                net,
                vec![(m, vec!["spike", "v"]), (mw, vec!["w"])],
                vec![(pop, "v")],
                vec![(q, "w"), (q, "x")],
            ))
        },
        80.0,
    );
    assert!(alone.0[0].len() > 50, "{} spikes", alone.0[0].len());
}

fn procedural_delays_are_the_same_on_gpu_ranks() {
    // The microcircuit with procedural connectivity and per-synapse
    // delays: a delivery reads the last step's spikes (into a ring of
    // future inputs), every post-synaptic neuron computed on every rank.
    let alone = same_on_gpu_ranks(
        &|| {
            let (mut net, pops) =
                microcircuit_with(0.02, Background::Poisson, 0.1, 4, Connectivity::Procedural)?;
            let mut m = Vec::new();
            for &p in &pops[..4] {
                m.push((net.monitor(p, &["spike"])?, vec!["spike"]));
            }
            Ok((net, m, vec![(pops[0], "v")], vec![]))
        },
        40.0,
    );
    let n: usize = alone.0.iter().map(Vec::len).sum();
    assert!(n > 20, "the microcircuit should fire: {n} spikes");
}

fn rate_coded_values_are_exchanged_between_gpu_ranks() {
    // Oja's rule reads pre.r after the neurons' update of the same step:
    // each step in two submissions around the exchange.
    same_on_gpu_ranks(&oja_rates, 30.0);
}

fn float_atomics_ranks_fire_as_one_process() {
    // Float atomics add in the threads' order, which may differ between
    // runs on a hardware GPU: the activity is compared, within 3 %.
    let (mut net, exc, _) = cajal::networks::coba(2000, 7).unwrap();
    let m = net.monitor(exc, &["spike"]).unwrap();
    let mut sim = net.compile_gpu(&GpuOptions::default()).unwrap();
    sim.simulate(100.0).unwrap();
    let alone = sim.spikes(m).unwrap().len() as f64;
    assert!(alone > 500.0, "{alone} spikes");
    let counts = Threads::run(2, |comm| {
        let (mut net, exc, _) = cajal::networks::coba(2000, 7)?;
        let m = net.monitor(exc, &["spike"])?;
        let mut sim = net.compile_distributed_gpu(comm, &GpuOptions::default())?;
        sim.simulate(100.0)?;
        Ok(sim.spikes(m)?.len() as f64)
    })
    .unwrap();
    for c in counts {
        assert!(
            (c - alone).abs() <= 0.03 * alone,
            "{c} spikes against {alone}"
        );
    }
}

fn a_monitor_added_after_compiling_records_every_gpu_rank() {
    type Recorded = (Vec<(u64, u32)>, Vec<u32>);
    let run = |sim: &mut Simulation, exc: PopId| -> cajal::Result<Recorded> {
        sim.simulate(10.0)?;
        let m = sim.monitor(exc, &["spike", "v"])?;
        sim.simulate(20.0)?;
        let v: Vec<u32> = sim.recorded(m, "v")?.iter().map(|x| x.to_bits()).collect();
        Ok((sim.spikes(m)?, v))
    };
    let (net, exc, _) = cajal::networks::coba(900, 2).unwrap();
    let alone = run(&mut net.compile_gpu(&ordered()).unwrap(), exc).unwrap();
    assert!(!alone.0.is_empty());
    let ranks = Threads::run(2, |comm| {
        let (net, exc, _) = cajal::networks::coba(900, 2)?;
        run(&mut net.compile_distributed_gpu(comm, &ordered())?, exc)
    })
    .unwrap();
    for r in ranks {
        assert_eq!(r.0, alone.0);
        assert!(r.1 == alone.1, "recorded v differs");
    }
}

fn decoded_spikes_are_the_same_on_gpu_ranks() {
    // Vitay et al.'s hybrid network: a rate neuron drives Poisson neurons
    // whose spikes a DecodingProjection turns back into rates; it reads
    // each neuron's last spike (`lastspk`), exchanged after every step,
    // and the rate input's r.
    let alone = same_on_gpu_ranks(
        &|| {
            let (mut net, h) = cajal::networks::hybrid(700, 3)?;
            net.set(h.input, "baseline", 40.0)?;
            let m = net.monitor(h.decoded, &["r"])?;
            let s = net.monitor(h.poisson, &["spike"])?;
            Ok((
                net,
                vec![(s, vec!["spike"]), (m, vec!["r"])],
                vec![(h.decoded, "r")],
                vec![],
            ))
        },
        30.0,
    );
    assert!(alone.0[0].len() > 100, "{} spikes", alone.0[0].len());
}

fn psp_events_are_the_same_on_gpu_ranks() {
    // The PyNN/Brian notebook's NMDA synapse: `x += w` at a pre-synaptic
    // spike (read through `lastspk`), a psp integrated every step.
    let alone = same_on_gpu_ranks(
        &|| {
            let mut net = Network::new().dt(1.0).seed(8);
            let linear = Neuron::spiking()
                .equations("dv/dt = 0.1")
                .spike("v>1.05")
                .reset("v=0.0");
            let integrator = Neuron::spiking()
                .equations("dv/dt = 0.1*(g_exc -v)")
                .spike("v>2.0")
                .reset("v=0.0");
            let nmda = Synapse::new()
                .parameters("tau = 10.0 : projection")
                .equations("tau * dx/dt = -x\ntau * dg/dt = -g +  x * (1 -g)")
                .pre_spike("x += w")
                .psp("g");
            let inp = net.population("input", 600, &linear)?;
            let pop = net.population("pop", 520, &integrator)?;
            net.set(inp, "v", Dist::uniform(0.0, 1.0))?;
            let q = net
                .projection(inp, pop, "exc")
                .synapse(&nmda)
                .connect_fixed_probability(0.05, Weights::random(Dist::uniform(0.5, 5.0)))?;
            // Recurrent: the integrators' spikes depend on the input other
            // ranks deliver.
            net.projection(pop, pop, "exc")
                .synapse(&nmda)
                .connect_fixed_probability(0.05, Weights::random(Dist::uniform(0.5, 2.0)))?;
            let m = net.monitor(pop, &["spike", "v"])?;
            Ok((net, vec![(m, vec!["spike", "v"])], vec![], vec![(q, "g")]))
        },
        60.0,
    );
    assert!(alone.0[0].len() > 100, "{} spikes", alone.0[0].len());
}

fn a_rank_takes_the_adapter_at_its_place() {
    // `ordinal` counts among the adapters of the best kind, modulo their
    // number: on a machine with one, every rank takes it.
    let (net, _, _) = cajal::networks::coba(300, 1).unwrap();
    let first = net.compile_gpu(&GpuOptions::default()).unwrap();
    let best = cajal::engine::gpu::devices()[0].device_type.clone();
    let same: Vec<String> = cajal::engine::gpu::devices()
        .into_iter()
        .filter(|d| d.device_type == best)
        .map(|d| d.name)
        .collect();
    for k in 0..3 {
        let opts = GpuOptions {
            ordinal: Some(k),
            ..GpuOptions::default()
        };
        let sim = net.compile_gpu(&opts).unwrap();
        let name = &sim.device().unwrap().name;
        assert_eq!(name, &same[k % same.len()], "ordinal {k}");
    }
    assert_eq!(first.device().unwrap().name, same[0]);
}

//! Distributed runs (`Network::compile_distributed`) over 1, 2 and 3 ranks
//! of one process (`Threads`) give what one simulation gives, bit for bit:
//! spikes, recorded values, synapses, `get`, with spikes exchanged every
//! step or once per delay, values that projections read exchanged, and
//! learning; what they do not support is refused by name. The same over
//! MPI processes: tests/mpi/run.

use std::sync::Arc;

use crate::common::distributed::{coba_1300, oja_rates, Built};
use crate::common::tests;
use cajal::engine::distributed::{Comm, Partition, Threads};
use cajal::models::synapses::stdp;
use cajal::prelude::*;

tests! {
    cpu: [
        coba_is_the_same_on_any_number_of_ranks,
        delayed_spikes_are_exchanged_once_per_delay,
        an_exchange_overlaps_the_next_half_delay,
        plastic_synapses_learn_the_same_on_any_number_of_ranks,
        rate_coded_values_read_across_ranks_are_exchanged,
        values_set_after_compiling_act_on_every_rank,
        a_rank_builds_and_keeps_only_the_synapses_onto_its_neurons,
        a_monitor_added_after_compiling_records_every_rank,
        the_partition_deals_equal_blocks_and_every_synapse_once,
        what_a_distributed_run_does_not_support_is_refused,
    ],
}

/// What a run of `net` reads: every monitor's spikes and recorded
/// variables, then `get` of each population variable and each
/// projection's synapse variable asked for.
type Reading = (Vec<Vec<(u64, u32)>>, Vec<Vec<f32>>);

fn read(
    sim: &Simulation,
    monitors: &[(MonitorId, Vec<&str>)],
    pops: &[(PopId, &str)],
    projs: &[(ProjId, &str)],
) -> cajal::Result<Reading> {
    let mut spikes = Vec::new();
    let mut values = Vec::new();
    for (m, vars) in monitors {
        for &v in vars {
            if v == "spike" {
                spikes.push(sim.spikes(*m)?);
            } else {
                values.push(sim.recorded(*m, v)?.iter().copied().collect());
            }
        }
    }
    for &(p, v) in pops {
        values.push(sim.get(p, v)?.iter().copied().collect());
    }
    for &(q, v) in projs {
        let (post, pre, w) = sim.synapses(q, v)?;
        values.push(post.iter().chain(&pre).map(|&i| i as f32).collect());
        values.push(w);
    }
    Ok((spikes, values))
}

/// Runs `build`'s network for `ms` in one simulation and on 1, 2 and 3
/// ranks, and checks that every rank of every run reads what the single
/// simulation reads, bit for bit; returns that reading.
fn same_on_any_ranks(build: &(dyn Fn() -> cajal::Result<Built> + Sync), ms: f64) -> Reading {
    let (net, m, p, q) = build().unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    // Two runs: the exchange state carries over from one to the next.
    sim.simulate(ms / 2.0).unwrap();
    sim.simulate(ms / 2.0).unwrap();
    let alone = read(&sim, &m, &p, &q).unwrap();
    for ranks in 1..=3 {
        let runs = Threads::run(ranks, |comm: Arc<dyn Comm>| {
            let (net, m, p, q) = build()?;
            let mut sim = net.compile_distributed(comm)?;
            sim.simulate(ms / 2.0)?;
            sim.simulate(ms / 2.0)?;
            read(&sim, &m, &p, &q)
        })
        .unwrap();
        for (r, run) in runs.iter().enumerate() {
            assert_eq!(run.0, alone.0, "{ranks} ranks, rank {r}: spikes differ");
            for (k, (a, b)) in run.1.iter().zip(&alone.1).enumerate() {
                let same =
                    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits());
                assert!(same, "{ranks} ranks, rank {r}: reading {k} differs");
            }
        }
    }
    alone
}

fn coba_is_the_same_on_any_number_of_ranks() {
    // Run-time noise would show a draw keyed by a local index.
    let alone = same_on_any_ranks(&coba_1300, 40.0);
    let n: usize = alone.0.iter().map(Vec::len).sum();
    assert!(n > 200, "the network should fire: {n} spikes");
}

fn delayed_spikes_are_exchanged_once_per_delay() {
    // Delays of 2 to 4 ms at dt = 0.5: spikes exchanged every 4 steps, or
    // every 2 overlapping the next 2; a Poisson input drawn neuron by
    // neuron.
    for overlap in [false, true] {
        let alone = same_on_any_ranks(
            &|| {
                let mut net = Network::new().dt(0.5).seed(11).exchange_overlap(overlap);
                let inp = net.poisson_population("in", 700, 30.0, None)?;
                let pop = net.population("pop", 600, &cajal::networks::coba_neuron())?;
                net.set(pop, "v", Dist::uniform(-60.0, -50.0))?;
                net.projection(inp, pop, "exc")
                    .delays(Delays::random(Dist::uniform(2.0, 4.0)))
                    .connect_fixed_probability(0.05, 0.4)?;
                net.projection(pop, pop, "inh")
                    .delays(Delays::constant(2.0))
                    .connect_fixed_probability(0.05, 2.0)?;
                let m = net.monitor(pop, &["spike", "v"])?;
                let mi = net.monitor(inp, &["spike"])?;
                Ok((
                    net,
                    vec![(m, vec!["spike", "v"]), (mi, vec!["spike"])],
                    vec![(pop, "g_inh")],
                    vec![],
                ))
            },
            60.0,
        );
        assert!(alone.0[0].len() > 50, "{} spikes", alone.0[0].len());
    }
}

fn an_exchange_overlaps_the_next_half_delay() {
    // Overlap asked for, delays of at least 4 steps: an exchange every 2
    // steps, each made (by the exchange thread) while the next 2 are
    // computed; delays of one step: one exchange a step, waited for; not
    // asked for: one exchange a delay. The same spikes either way
    // (delayed_spikes_are_exchanged_once_per_delay, with and without).
    let counts = Threads::run(2, |comm| {
        let mut net = Network::new().dt(0.5).seed(11).exchange_overlap(true);
        let inp = net.poisson_population("in", 300, 30.0, None)?;
        let pop = net.population("pop", 300, &cajal::networks::coba_neuron())?;
        net.projection(inp, pop, "exc")
            .delays(Delays::random(Dist::uniform(2.0, 4.0)))
            .connect_fixed_probability(0.05, 0.4)?;
        let mut sim = net.compile_distributed(comm.clone())?;
        sim.simulate(60.0)?;
        let delayed = sim.exchanges().1;
        let (net, _, _) = cajal::networks::coba(300, 1)?;
        let mut sim = net.compile_distributed(comm)?;
        sim.simulate(1.0)?;
        Ok((delayed, sim.exchanges().1))
    })
    .unwrap();
    assert_eq!(
        counts[0],
        (60, 10),
        "exchanges: every 2 steps of 0.5 ms, then every step"
    );
}

fn plastic_synapses_learn_the_same_on_any_number_of_ranks() {
    let alone = same_on_any_ranks(
        &|| {
            // Overlapped exchanges (delays of 3 steps: every step, each
            // made while the next is computed).
            let mut net = Network::new().dt(0.5).seed(5).exchange_overlap(true);
            let inp = net.poisson_population("in", 400, 20.0, None)?;
            let pop = net.population("pop", 520, &cajal::networks::coba_neuron())?;
            let q = net
                .projection(inp, pop, "exc")
                .synapse(&stdp(20.0, 20.0, 0.01, 0.012, 0.0, 1.0))
                .delays(Delays::constant(1.5))
                .connect_fixed_probability(0.1, Weights::random(Dist::uniform(0.2, 0.6)))?;
            // Drawn for the whole list, as one process draws them, before
            // a rank keeps its part.
            net.set_projection(q, "w", Dist::uniform(0.1, 0.5))?;
            let m = net.monitor(pop, &["spike"])?;
            let mw = net.monitor_projection(q, None, &["w"], 10.0)?;
            Ok((
                net,
                vec![(m, vec!["spike"]), (mw, vec!["w"])],
                vec![(pop, "v")],
                vec![(q, "w"), (q, "x"), (q, "y")],
            ))
        },
        80.0,
    );
    assert!(!alone.0[0].is_empty());
}

fn rate_coded_values_read_across_ranks_are_exchanged() {
    same_on_any_ranks(&oja_rates, 30.0);
}

fn the_partition_deals_equal_blocks_and_every_synapse_once() {
    let (net, _, _) = cajal::networks::coba(3000, 1).unwrap();
    for size in 1..=5 {
        let parts: Vec<Partition> = (0..size)
            .map(|r| Partition::new(&net, r, size).unwrap())
            .collect();
        let pops = net.populations();
        // Every rank's neurons over both populations (2400 and 600) within
        // one of the others'.
        let load = |r: usize| parts[0].pops.iter().map(|b| b[r].len()).sum::<usize>();
        let loads: Vec<usize> = (0..size).map(load).collect();
        let spread = loads.iter().max().unwrap() - loads.iter().min().unwrap();
        assert!(spread <= 1, "{size} ranks: neurons {loads:?}");
        for (pi, pop) in pops.iter().enumerate() {
            let n = net.pop(*pop).unwrap().size();
            let mut blocks = parts[0].pops[pi].clone();
            blocks.retain(|b| !b.is_empty());
            blocks.sort_by_key(|r| r.start);
            // Contiguous, covering, as equal as can be.
            assert_eq!(blocks.first().unwrap().start, 0);
            assert_eq!(blocks.last().unwrap().end, n);
            for w in blocks.windows(2) {
                assert_eq!(w[0].end, w[1].start);
            }
            for b in &blocks {
                assert!(b.len() == n / size || b.len() == n.div_ceil(size), "{b:?}");
            }
            for (r, p) in parts.iter().enumerate() {
                assert_eq!(p.mine(pi), p.pops[pi][r]);
            }
        }
        for (qi, q) in net.projections().iter().enumerate() {
            let pr = net.proj(*q).unwrap();
            let mut ranges = parts[0].projs[qi].clone();
            ranges.sort_by_key(|r| r.start);
            assert_eq!(
                ranges.iter().map(|r| r.len()).sum::<usize>(),
                pr.synapse_count()
            );
            for (r, range) in parts[0].projs[qi].iter().enumerate() {
                let post = pops.iter().position(|&p| p == pr.post).unwrap();
                let mine = parts[0].pops[post][r].clone();
                assert!(pr.synapses.post[range.clone()]
                    .iter()
                    .all(|&i| mine.contains(&(i as usize))));
            }
        }
    }
    assert!(Partition::new(&net, 2, 2).is_err());
}

fn what_a_distributed_run_does_not_support_is_refused() {
    let err = |build: &(dyn Fn() -> cajal::Result<Network> + Sync)| -> String {
        let out = Threads::run(2, |comm| build()?.compile_distributed(comm).map(|_| ()));
        match out {
            Err(e) => e.to_string(),
            Ok(_) => panic!("accepted"),
        }
    };
    let noisy = err(&|| {
        let (mut net, exc, inh) = cajal::networks::coba(300, 1)?;
        let syn = Synapse::new()
            .name("Jitter")
            .pre_spike("g_target += w * Uniform(0.5, 1.5)");
        net.projection(exc, inh, "exc")
            .synapse(&syn)
            .connect_fixed_probability(0.1, 0.1)?;
        Ok(net)
    });
    assert!(
        noisy.contains("Jitter") && noisy.contains("random draws") && noisy.contains("distributed"),
        "{noisy}"
    );
    // Ranks that built different networks are told so, not left to
    // exchange what they cannot read.
    let other = Threads::run(2, |comm| {
        let n = if comm.rank() == 0 { 300 } else { 400 };
        cajal::networks::coba(n, 1)?
            .0
            .compile_distributed(comm)
            .map(|_| ())
    });
    match other {
        Err(e) => assert!(e.to_string().contains("same program"), "{e}"),
        Ok(_) => panic!("different networks accepted"),
    }
    let batch = err(&|| cajal::networks::coba(300, 1)?.0.batched(2));
    assert!(batch.contains("batch"), "{batch}");
    // Saving and loading are refused, not silently partial.
    let saved = Threads::run(2, |comm| {
        let (net, _, _) = cajal::networks::coba(300, 1)?;
        let sim = net.compile_distributed(comm)?;
        let path = std::env::temp_dir().join(format!("cajal-dist-{}.bin", std::process::id()));
        Ok(sim.save(&path).map_err(|e| e.to_string()))
    })
    .unwrap();
    for s in saved {
        let e = s.unwrap_err();
        assert!(e.contains("distributed"), "{e}");
    }
}

fn values_set_after_compiling_act_on_every_rank() {
    // Set through the simulation (every rank the same call): a neuron
    // variable, one neuron's value, and a projection's weights; then read
    // back whole, and run.
    let run = |sim: &mut Simulation, exc: PopId, q: ProjId| -> cajal::Result<Vec<Vec<f32>>> {
        sim.set(exc, "v", -52.0)?;
        sim.set_neuron(exc, 700, "v", -49.0)?;
        let (_, _, w) = sim.synapses(q, "w")?;
        // A different weight per synapse, so that a rank taking another
        // rank's part would deliver other weights.
        let doubled: Vec<f32> = w
            .iter()
            .enumerate()
            .map(|(i, x)| x * (1.5 + (i % 7) as f32 / 4.0))
            .collect();
        sim.set_synapses(q, "w", &doubled)?;
        let mut out = vec![sim.synapses(q, "w")?.2];
        sim.simulate(20.0)?;
        out.push(sim.get(exc, "v")?.iter().copied().collect());
        out.push(sim.get(exc, "g_exc")?.iter().copied().collect());
        Ok(out)
    };
    let (net, exc, _) = cajal::networks::coba(1100, 4).unwrap();
    let q = net.projections()[0];
    let alone = run(&mut net.compile(Backend::Cpu).unwrap(), exc, q).unwrap();
    for ranks in [2, 3] {
        let runs = Threads::run(ranks, |comm| {
            let (net, exc, _) = cajal::networks::coba(1100, 4)?;
            run(
                &mut net.compile_distributed(comm)?,
                exc,
                net.projections()[0],
            )
        })
        .unwrap();
        for (r, got) in runs.iter().enumerate() {
            for (k, (a, b)) in got.iter().zip(&alone).enumerate() {
                let same =
                    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits());
                assert!(same, "{ranks} ranks, rank {r}: value {k} differs");
            }
        }
    }
}

fn a_rank_builds_and_keeps_only_the_synapses_onto_its_neurons() {
    // Built on a rank, a stored projection keeps the synapses onto the
    // rank's neurons (the connector draws them all, as one process does),
    // counts the whole list, and refuses what only the whole list answers.
    let (whole, exc, _) = cajal::networks::coba(1300, 3).unwrap();
    let q = whole.projections()[0];
    let all = whole.proj(q).unwrap().synapses.clone();
    let held = Threads::run(3, |comm| {
        let (net, exc, _) = cajal::networks::coba(1300, 3)?;
        let pr = net.proj(q_of(&net))?;
        let (held, count) = (pr.synapses.as_ref().clone(), pr.synapse_count());
        let parts = pr.parts.clone().expect("a rank's network holds parts");
        assert_eq!(parts.rank, comm.rank());
        let refused = net.synapses(q_of(&net), "w").unwrap_err().to_string();
        assert!(refused.contains("rank"), "{refused}");
        let plain = match net.compile(Backend::Cpu) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("a rank's network compiled alone"),
        };
        assert!(plain.contains("compile_distributed"), "{plain}");
        let sim = net.compile_distributed(comm)?;
        let (post, pre, _) = sim.synapses(q_of(&net), "w")?;
        let _ = exc;
        Ok((held, count, parts.mine(), post, pre))
    })
    .unwrap();
    let mut joined: Vec<u32> = Vec::new();
    let mut ranges: Vec<_> = held.iter().map(|h| h.2.clone()).collect();
    ranges.sort_by_key(|r| r.start);
    assert_eq!(ranges.last().unwrap().end, all.post.len());
    for (r, (list, count, mine, post, pre)) in held.iter().enumerate() {
        assert_eq!(*count, all.post.len(), "rank {r} counts the whole list");
        assert!(list.post.len() < all.post.len(), "rank {r} holds a part");
        assert_eq!(list.post, all.post[mine.clone()], "rank {r}");
        assert_eq!(list.pre, all.pre[mine.clone()], "rank {r}");
        assert_eq!(list.delay, all.delay[mine.clone()], "rank {r}");
        // The simulation lists every rank's synapses.
        assert_eq!((post, pre), (&all.post, &all.pre), "rank {r}");
        joined.extend_from_slice(&list.post);
    }
    assert_eq!(joined.len(), all.post.len());
    let _ = exc;
    // Outside a rank, the same program builds the whole network.
    assert!(whole.proj(q).unwrap().parts.is_none());
}

/// The first projection of a network.
fn q_of(net: &Network) -> ProjId {
    net.projections()[0]
}

fn a_monitor_added_after_compiling_records_every_rank() {
    // As ANNarchy's scripts do: compile, run, add a monitor, run again
    // (every rank the same calls); the rebuilt engines keep their state.
    type Read = (Vec<(u64, u32)>, Vec<f32>);
    let run = |sim: &mut Simulation, exc: PopId| -> cajal::Result<Read> {
        sim.simulate(15.0)?;
        let m = sim.monitor(exc, &["spike", "v"])?;
        sim.simulate(25.0)?;
        Ok((
            sim.spikes(m)?,
            sim.recorded(m, "v")?.iter().copied().collect(),
        ))
    };
    let (net, exc, _) = cajal::networks::coba(1100, 6).unwrap();
    let alone = run(&mut net.compile(Backend::Cpu).unwrap(), exc).unwrap();
    assert!(!alone.0.is_empty());
    let runs = Threads::run(3, |comm| {
        let (net, exc, _) = cajal::networks::coba(1100, 6)?;
        run(&mut net.compile_distributed(comm)?, exc)
    })
    .unwrap();
    for (r, got) in runs.iter().enumerate() {
        assert_eq!(got.0, alone.0, "rank {r}: spikes");
        let same = got.1.len() == alone.1.len()
            && got
                .1
                .iter()
                .zip(&alone.1)
                .all(|(a, b)| a.to_bits() == b.to_bits());
        assert!(same, "rank {r}: v");
    }
}

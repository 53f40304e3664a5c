//! parallel_run: concurrent runs of one network give what sequential runs
//! give, each with its own seed unless told otherwise (ANNarchy's
//! `seeds`), on both engines.

use crate::common::{backends, tests};
use cajal::engine::Seeds;
use cajal::prelude::*;

tests! {
    both: [
        parallel_runs_equal_sequential_runs,
        parallel_runs_draw_with_their_own_seeds,
    ],
}

fn parallel_runs_draw_with_their_own_seeds() {
    let mut net = Network::new().seed(40);
    let p = net
        .population("p", 64, &Neuron::rate().equations("r = Uniform(0.0, 1.0)"))
        .unwrap();
    let draws = |_: usize, sim: &mut Simulation| -> cajal::Result<(u64, Vec<f32>)> {
        sim.simulate(3.0)?;
        Ok((sim.seed(), sim.get(p, "r")?.iter().copied().collect()))
    };
    // What one simulation with that seed draws.
    let alone = |b: Backend, seed: u64| {
        let mut sim = net.compile(b).unwrap();
        sim.set_seed(seed);
        draws(0, &mut sim).unwrap()
    };
    for b in backends() {
        // By default, as ANNarchy's seeds=None: a seed of its own per run,
        // and another one at the next call.
        let runs = net.parallel_run(b, 4, draws).unwrap();
        for (i, x) in runs.iter().enumerate() {
            assert_eq!(x, &alone(b, x.0), "{b:?}: run {i} is its seed's");
            for y in &runs[i + 1..] {
                assert_ne!(x.1, y.1, "{b:?}: two runs drew alike");
            }
        }
        let again = net.parallel_run(b, 4, draws).unwrap();
        assert_ne!(runs, again, "{b:?}");
        // A list reproduces, run by run.
        let listed = net
            .parallel_run_seeded(b, 3, Seeds::List(vec![7, 9, 7]), draws)
            .unwrap();
        assert_eq!(listed[0], listed[2]);
        assert_ne!(listed[0].1, listed[1].1);
        assert_eq!(listed[1], alone(b, 9), "{b:?}");
        let twice = net
            .parallel_run_seeded(b, 3, Seeds::List(vec![7, 9, 7]), draws)
            .unwrap();
        assert_eq!(listed, twice, "{b:?}");
        // 'same': the network's seed everywhere; 'sequential': seed + 1, 2...
        let same = net.parallel_run_seeded(b, 2, Seeds::Same, draws).unwrap();
        let plain = draws(0, &mut net.compile(b).unwrap()).unwrap();
        assert_eq!(same, vec![plain.clone(), plain], "{b:?}");
        let seq = net
            .parallel_run_seeded(b, 3, Seeds::Sequential, draws)
            .unwrap();
        let seeds: Vec<u64> = seq.iter().map(|x| x.0).collect();
        assert_eq!(seeds, vec![41, 42, 43]);
        assert_eq!(seq[2], alone(b, 43), "{b:?}");
    }
    let e = net
        .parallel_run_seeded(Backend::Cpu, 3, Seeds::List(vec![1, 2]), draws)
        .unwrap_err()
        .to_string();
    assert!(e.contains("2 seeds for 3 runs"), "{e}");
}

fn parallel_runs_equal_sequential_runs() {
    let model = Neuron::spiking()
        .parameters("tau = 10.0 : population\nI = 0.5")
        .equations("tau * dv/dt = -v + I + Uniform(0.0, 0.5) : init = 0.0")
        .spike("v > 0.5")
        .reset("v = 0.0");
    let mut net = Network::new().dt(0.1);
    let p = net.population("p", 200, &model).unwrap();
    let m = net.monitor(p, &["spike"]).unwrap();
    let run = |i: usize, sim: &mut Simulation| -> cajal::Result<Vec<(u64, u32)>> {
        sim.set_seed(100 + i as u64);
        sim.set(p, "I", 0.4 + 0.05 * i as f32)?;
        sim.simulate(50.0)?;
        sim.spikes(m)
    };
    for b in backends() {
        let together = net.parallel_run(b, 4, run).unwrap();
        let apart: Vec<_> = (0..4)
            .map(|i| {
                let mut sim = net.compile(b).unwrap();
                run(i, &mut sim).unwrap()
            })
            .collect();
        assert_eq!(together, apart, "{b:?}");
        // The runs differ from each other (seed and drive).
        assert!(together.windows(2).all(|w| w[0] != w[1]));
        assert!(together[3].len() > together[0].len());
    }
    // The first error is returned.
    let e = net
        .parallel_run(Backend::Cpu, 3, |i, sim| {
            if i == 1 {
                sim.set(p, "nope", 1.0)
            } else {
                Ok(())
            }
        })
        .unwrap_err();
    assert!(e.to_string().contains("nope"), "{e}");
}

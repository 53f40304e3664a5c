//! parallel_run: concurrent runs of one network give what sequential runs
//! give, on both engines.

use crate::common::{backends, tests};
use cajal::prelude::*;

tests! {
    both: [
        parallel_runs_equal_sequential_runs,
    ],
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

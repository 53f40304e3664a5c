//! ml_genn's readouts over an example window, on both engines, against
//! values computed by hand.

use crate::common::{backends, tests};
use cajal::engine::readout::Readout;
use cajal::prelude::*;

tests! {
    both: [
        readouts_of_spikes_and_variables,
    ],
}

fn readouts_of_spikes_and_variables() {
    for b in backends() {
        let mut net = Network::new().dt(1.0);
        // Neuron i spikes at t = 2, 5, 8, ... when i = 0; at 7 only when i = 1; never when i = 2.
        let model = Neuron::spiking()
            .parameters("kind = 0.0")
            .equations("x = t * (kind + 1.0)")
            .spike("(kind == 0.0 and modulo(t - 2.0, 3.0) == 0.0) or (kind == 1.0 and t == 7.0)");
        let p = net.population("p", 3, &model).unwrap();
        net.set(p, "kind", vec![0.0f32, 1.0, 2.0]).unwrap();
        let m = net.monitor(p, &["spike", "x"]).unwrap();
        let mut sim = net.compile(b).unwrap();
        sim.simulate(10.0).unwrap();
        // Whole run (steps 0..9): spikes at 2, 5, 8 for neuron 0.
        assert_eq!(
            sim.readout(m, &Readout::SpikeCount, 0).unwrap(),
            vec![3.0, 1.0, 0.0]
        );
        let first = sim.readout(m, &Readout::FirstSpikeTime, 0).unwrap();
        assert_eq!(&first[..2], &[2.0, 7.0]);
        assert!(first[2].is_infinite());
        // From step 6: neuron 0 spikes at 8 only.
        assert_eq!(
            sim.readout(m, &Readout::SpikeCount, 6).unwrap(),
            vec![1.0, 1.0, 0.0]
        );
        assert_eq!(sim.readout(m, &Readout::FirstSpikeTime, 6).unwrap()[0], 8.0);
        // x = t (kind + 1) at steps 0..9.
        let x = |r: Readout| sim.readout(m, &r, 5).unwrap();
        assert_eq!(x(Readout::Var("x".into())), vec![9.0, 18.0, 27.0], "{b:?}");
        assert_eq!(x(Readout::SumVar("x".into())), vec![35.0, 70.0, 105.0]);
        assert_eq!(x(Readout::AvgVar("x".into())), vec![7.0, 14.0, 21.0]);
        assert_eq!(x(Readout::MaxVar("x".into())), vec![9.0, 18.0, 27.0]);
        assert!(sim.readout(m, &Readout::AvgVar("x".into()), 100).is_err());
        assert!(sim.readout(m, &Readout::AvgVar("nope".into()), 0).is_err());
    }
}

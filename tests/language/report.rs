//! `Network::report()`: the Markdown description names every population,
//! model, projection, connector and initial value.

use crate::common::tests;
use cajal::prelude::*;

tests! {
    cpu: [
        the_report_describes_the_whole_network,
    ],
}

fn the_report_describes_the_whole_network() {
    let mut net = Network::new().dt(0.5).seed(3);
    net.constant("gain", 2.0).unwrap();
    let rate = Neuron::rate()
        .name("leaky")
        .parameters("tau = 10.0 : population\nb = 0.0")
        .equations("tau * dr/dt = -r + gain * sum(exc) + b");
    let lif = Neuron::spiking()
        .name("LIF")
        .parameters("tau = 20.0\nI = 1.0")
        .equations("tau * dv/dt = -v + I + g_exc")
        .spike("v > 1.0")
        .reset("v = 0.0")
        .refractory(2.0);
    let a = net.population("inputs", &[3usize, 4][..], &rate).unwrap();
    let b = net.population("cells", 5, &rate).unwrap();
    let s = net.population("spikers", 7, &lif).unwrap();
    net.set(b, "b", vec![0.0f32, 1.0, 2.0, 3.0, 4.0]).unwrap();
    net.projection(a, b, "exc")
        .synapse(
            &Synapse::new()
                .name("logsyn")
                .psp("w * log(1.0 + pre.r)")
                .operation(Operation::Max),
        )
        .delays(1.5)
        .connect_fixed_number_pre(2, Weights::random(Dist::uniform(0.0, 1.0).max(0.8)))
        .unwrap();
    net.projection(s, s, "exc")
        .connect_all_to_all(Weights::constant(0.25))
        .unwrap();
    net.monitor_with(s, &["spike", "v"], 2.0, false).unwrap();
    let md = net.report();
    for want in [
        "- time step: 0.5 ms",
        "- seed: 3",
        "gain = 2",
        "| inputs | 12 | [3, 4] | leaky | rate-coded |",
        "| spikers | 7 | [7] | LIF | spiking |",
        "### leaky",
        "tau * dr/dt = -r + gain * sum(exc) + b",
        "v > 1.0",
        "Refractory period: 2.0 ms",
        "| inputs->cells:exc | inputs | cells | exc | logsyn | fixed_number_pre(2), w = Uniform(0, 1), max 0.8, delay = 1.5 ms | 10 |",
        "| spikers->spikers:exc | spikers | spikers | exc | default synapse | all_to_all, w = 0.25, no delay (one step) | 42 |",
        "psp: `w * log(1.0 + pre.r)`, operation: max",
        "g_target += w",
        "| b | parameter | 0 .. 4 (mean 2.000000, per neuron) |",
        "| tau | parameter (population) | 10 |",
        "| spikers | spike, v | 2 ms | on resume |",
    ] {
        assert!(md.contains(want), "missing {want:?} in\n{md}");
    }
    // Hidden state (the refractory counter) is not a user's concern.
    assert!(!md.contains("_refractory"), "{md}");
}

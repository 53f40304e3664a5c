//! The STDP II notebook (Song, Miller & Abbott 2000) against ANNarchy
//! 5.0.4.1's own runs (tests/data/annarchy/stdp2: script, three seeds):
//! 1000 Poisson inputs at 15 Hz onto one integrate-and-fire neuron through
//! ANNarchy's STDP synapse for 100 s. The inputs are random, so the
//! comparison is of the statistics the notebook shows: the output's mean
//! rate and its late rate, and the bimodal weights (the mean, the
//! fractions near 0 and near the maximum). A window one step off on its
//! depression side (as cajal had it) tips the balance: the output runs away
//! to ~180 Hz with the weights piled at the maximum. CPU engine (100 000
//! steps); the engines' agreement is tested elsewhere.

use crate::common::tests;
use cajal::models::synapses::stdp;
use cajal::prelude::*;

tests! {
    cpu: [
        song_abbott_miller_steady_state_is_annarchys,
    ],
}

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/annarchy/stdp2");

/// (mean rate, rate of the last 50 s, mean w, fraction > 0.9 gmax,
/// fraction < 0.1 gmax) of one run.
type Stats = [f64; 5];

fn cajal_run(seed: u64) -> Stats {
    let (f, n, gmax) = (15.0f32, 1000usize, 0.01f64);
    // The notebook's model strings.
    let if_neuron = Neuron::spiking()
        .parameters(
            "tau_m = 10.0
             tau_e = 5.0
             vt = -54.0
             vr = -60.0
             El = -74.0
             Ee = 0.0",
        )
        .equations(
            "tau_m * dv/dt = El - v + g_exc * (Ee - vr) : init = -60.0
             tau_e * dg_exc/dt = - g_exc",
        )
        .spike("v > vt")
        .reset("v = vr");
    let mut net = Network::new().dt(1.0).seed(seed);
    let inp = net.poisson_population("Input", n, f, None).unwrap();
    let out = net.population("Output", 1, &if_neuron).unwrap();
    let p = net
        .projection(inp, out, "exc")
        .synapse(&stdp(20.0, 20.0, 0.01, 0.0105, 0.0, gmax as f32))
        .connect_all_to_all(Weights::random(Dist::uniform(0.0, gmax)))
        .unwrap();
    let m = net.monitor(out, &["spike"]).unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    sim.simulate(100_000.0).unwrap();
    let spikes = sim.spikes(m).unwrap();
    let late = spikes.iter().filter(|s| s.0 >= 50_000).count();
    let (_, _, w) = sim.synapses(p, "w").unwrap();
    let frac = |keep: &dyn Fn(f64) -> bool| {
        w.iter().filter(|&&x| keep(f64::from(x))).count() as f64 / n as f64
    };
    [
        spikes.len() as f64 / 100.0,
        late as f64 / 50.0,
        w.iter().map(|&x| f64::from(x)).sum::<f64>() / n as f64,
        frac(&|x| x > 0.9 * gmax),
        frac(&|x| x < 0.1 * gmax),
    ]
}

fn annarchy_runs() -> Vec<Stats> {
    let text = std::fs::read_to_string(format!("{DATA}/stdp2.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    doc["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let per10: Vec<f64> = r["output_rate_per_10s_hz"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            [
                r["output_rate_hz"].as_f64().unwrap(),
                per10[5..].iter().sum::<f64>() / 5.0,
                r["w_mean"].as_f64().unwrap(),
                r["w_fraction_above_0.9_gmax"].as_f64().unwrap(),
                r["w_fraction_below_0.1_gmax"].as_f64().unwrap(),
            ]
        })
        .collect()
}

fn song_abbott_miller_steady_state_is_annarchys() {
    let ann = annarchy_runs();
    let ours: Vec<Stats> = [1u64, 2].iter().map(|&s| cajal_run(s)).collect();
    let mean =
        |runs: &[Stats], k: usize| runs.iter().map(|r| r[k]).sum::<f64>() / runs.len() as f64;
    // ANNarchy's three seeds: mean rate 27.1-30.2 Hz, late rate ~21.5 Hz,
    // mean w 0.00427-0.00434, 16-18 % near the maximum, 28-30 % near 0.
    // The allowances are about twice the spread between ANNarchy's seeds.
    let names = [
        "mean rate (Hz)",
        "rate of the last 50 s (Hz)",
        "mean w",
        "fraction > 0.9 gmax",
        "fraction < 0.1 gmax",
    ];
    let allowed = [4.0, 4.0, 0.0002, 0.04, 0.05];
    for k in 0..5 {
        let (a, c) = (mean(&ann, k), mean(&ours, k));
        assert!(
            (a - c).abs() <= allowed[k],
            "{}: cajal {c:.5} (seeds 1, 2: {:?}), ANNarchy {a:.5} (3 seeds)",
            names[k],
            ours.iter().map(|r| r[k]).collect::<Vec<_>>()
        );
    }
}

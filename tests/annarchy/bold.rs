//! ANNarchy 5.0.4.1 reference for BOLD monitors (tests/data/annarchy/bold:
//! script, output, manifest): two populations whose rates are fixed
//! functions of time and rank, watched by a monitor per built-in balloon
//! model (balloon_RL at dt = 0.25 ms, where explicit Euler is stable for
//! it) and a custom BoldModel, some normalising their inputs over a
//! baseline window (one for all, one per population), some scaled; started
//! after 500 ms, recorded for 7 s. ANNarchy computes in f64, cajal in f32:
//! each recorded variable within 1e-4 of its largest magnitude (measured:
//! 2e-5 at most), the inputs within 1e-6 (measured: 1.3e-7; a constant
//! rate normalised by its own baseline gives 0 up to rounding, ANNarchy's
//! -1.3e-14).

use crate::common::{backends, tests};
use cajal::bold;
use cajal::prelude::*;

tests! {
    both: [
        bold_monitors_match_annarchy,
    ],
}

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/annarchy/bold");

/// The two driven populations of bold.py.
fn drives(dt: f64) -> (Network, PopId, PopId) {
    let mut net = Network::new().dt(dt);
    let drive = Neuron::rate()
        .parameters("base = 1.0\namp = 0.0")
        .equations("r = if (t > 2000.0) and (t < 5000.0): base + amp else: base");
    let a = net.population("a", 100, &drive).unwrap();
    let b = net.population("b", 40, &drive).unwrap();
    net.set(
        a,
        "base",
        (0..100).map(|i| 10.0 + 0.05 * i as f64).collect::<Vec<_>>(),
    )
    .unwrap();
    net.set(a, "amp", 6.0).unwrap();
    net.set(
        b,
        "base",
        (0..40).map(|i| 4.0 + 0.25 * i as f64).collect::<Vec<_>>(),
    )
    .unwrap();
    (net, a, b)
}

/// Compares every variable ANNarchy recorded (`want`, one sample in
/// `every`) with the monitor's; returns what it compared.
fn compare(
    b: Backend,
    name: &str,
    m: &bold::BoldMonitor,
    sim: &Simulation,
    want: &serde_json::Value,
    every: usize,
) -> Vec<Vec<f32>> {
    let keys: Vec<&String> = want.as_object().unwrap().keys().collect();
    let mut recorded: Vec<&String> = m.recorded_variables().iter().collect();
    recorded.sort();
    let mut keys_sorted = keys.clone();
    keys_sorted.sort();
    assert_eq!(recorded, keys_sorted, "{name}: recorded variables");
    let mut got = Vec::new();
    for var in keys {
        let series = m.get(sim, var).unwrap();
        let mine: Vec<f32> = series.iter().step_by(every).copied().collect();
        let theirs: Vec<f64> = want[var]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        assert_eq!(series.dim(), (theirs.len() * every, 1), "{name}.{var}");
        let scale = theirs.iter().fold(0.0f64, |a, x| a.max(x.abs()));
        let tol = if var.starts_with("I_") { 1e-6 } else { 1e-4 } * scale.max(1e-3);
        for (k, (g, w)) in mine.iter().zip(&theirs).enumerate() {
            assert!(
                (f64::from(*g) - w).abs() <= tol,
                "{b:?} {name}.{var}[{}]: cajal {g}, ANNarchy {w} (tolerance {tol:e})",
                k * every
            );
        }
        got.push(mine);
    }
    got
}

fn bold_monitors_match_annarchy() {
    let text = std::fs::read_to_string(format!("{DATA}/bold.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let every = doc["every"].as_u64().unwrap() as usize;
    let mut results = Vec::new();
    for b in backends() {
        let (mut net, a, bb) = drives(1.0);
        let custom = bold::BoldModel::new(
            "tau = 500.0\ngain = 0.02",
            "I_CBF = sum(I_CBF)\ntau * dx/dt = I_CBF - x : init=0\nBOLD = gain * x",
            &["I_CBF"],
        );
        let monitors = vec![
            (
                "RN",
                net.bold_monitor(&[a, bb])
                    .model(bold::balloon_rn())
                    .normalize_input(1000.0)
                    .recorded_variables(&["I_CBF", "BOLD", "s", "f_in", "v", "q"])
                    .build()
                    .unwrap(),
            ),
            (
                "CN",
                net.bold_monitor(&[a, bb])
                    .model(bold::balloon_cn())
                    .normalize_inputs(&[500.0, 1500.0])
                    .recorded_variables(&["I_CBF", "BOLD"])
                    .build()
                    .unwrap(),
            ),
            (
                "CL",
                net.bold_monitor(&[a])
                    .model(bold::balloon_cl())
                    .scale_factor(0.05)
                    .recorded_variables(&["I_CBF", "BOLD"])
                    .build()
                    .unwrap(),
            ),
            (
                "maith2021",
                net.bold_monitor(&[a, bb])
                    .model(bold::balloon_maith2021())
                    .normalize_input(1000.0)
                    .recorded_variables(&["I_CBF", "BOLD"])
                    .build()
                    .unwrap(),
            ),
            (
                "two_inputs",
                net.bold_monitor(&[a, bb])
                    .model(bold::balloon_two_inputs())
                    .mapping(&[("I_CBF", "r"), ("I_CMRO2", "r")])
                    .normalize_input(1000.0)
                    .scale_factors(&[1.0, 0.5])
                    .recorded_variables(&["I_CBF", "I_CMRO2", "BOLD"])
                    .build()
                    .unwrap(),
            ),
            (
                "custom",
                net.bold_monitor(&[bb])
                    .model(custom)
                    .scale_factors(&[0.1])
                    .recorded_variables(&["I_CBF", "BOLD"])
                    .build()
                    .unwrap(),
            ),
        ];
        let mut sim = net.compile(b).unwrap();
        sim.simulate(500.0).unwrap();
        for (_, m) in &monitors {
            m.start(&mut sim).unwrap();
        }
        sim.simulate(7000.0).unwrap();
        let mut got = Vec::new();
        for (name, m) in &monitors {
            got.extend(compare(b, name, m, &sim, &doc[*name], every));
        }
        // balloon_RL at dt = 0.25 ms (at 1 ms and at 0.5 ms its explicit
        // Euler step is unstable, in ANNarchy as here: see bold.py).
        let (mut net, a, bb) = drives(0.25);
        let rl = net
            .bold_monitor(&[a, bb])
            .model(bold::balloon_rl())
            .normalize_input(1000.0)
            .recorded_variables(&["I_CBF", "BOLD"])
            .build()
            .unwrap();
        let mut sim = net.compile(b).unwrap();
        sim.simulate(500.0).unwrap();
        rl.start(&mut sim).unwrap();
        sim.simulate(7000.0).unwrap();
        got.extend(compare(b, "RL", &rl, &sim, &doc["RL_dt0.25"], 4 * every));
        results.push(got);
    }
    // The GPU engine's run against the CPU engine's: within 1e-4 of each
    // series' largest magnitude (BOLD's 1 - q and 1 - v cancel digits, and
    // the adapter's pow and exp may differ from the CPU's by an ulp).
    if let [cpu, gpu] = &results[..] {
        for (c, g) in cpu.iter().zip(gpu) {
            let peak = c.iter().fold(1e-6f32, |a, x| a.max(x.abs()));
            for (x, y) in c.iter().zip(g) {
                assert!((x - y).abs() <= 1e-4 * peak, "CPU {x}, GPU {y}");
            }
        }
    }
}

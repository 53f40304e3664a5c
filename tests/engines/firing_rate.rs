//! The firing rate of spiking neurons (ANNarchy's `compute_firing_rate`)
//! on both engines: `r` at every step against the count of the recorded
//! spikes in the window, done by hand (a window that is not a whole number
//! of steps truncates, as ANNarchy's); a saved state, a reset and a state
//! moved from one engine to the other carry the window; the builder's errors.

use crate::common::{backends, temp_path, tests};
use cajal::prelude::*;

tests! {
    cpu: [firing_rate_errors_name_the_cause],
    both: [
        r_counts_the_spikes_of_the_window,
        saved_states_and_reset_carry_the_window,
    ],
}

/// Neuron i spikes every `period_i` steps, from step `period_i - 1`.
fn clockwork() -> Neuron {
    Neuron::spiking()
        .name("clockwork")
        .parameters("period = 3.0")
        .equations("c += 1.0")
        .spike("c >= period")
        .reset("c = 0.0")
}

const PERIODS: [f32; 5] = [1.0, 2.0, 3.0, 7.0, 40.0];

fn network(dt: f64, window: f64) -> (Network, PopId, MonitorId) {
    let mut net = Network::new().dt(dt);
    let p = net.population("p", PERIODS.len(), &clockwork()).unwrap();
    net.set(p, "period", PERIODS.to_vec()).unwrap();
    net.compute_firing_rate(p, window).unwrap();
    let m = net.monitor(p, &["spike", "r"]).unwrap();
    (net, p, m)
}

/// r of every neuron at every step, from the spike steps by hand.
fn by_hand(
    spikes: &[(u64, u32)],
    n_steps: usize,
    window_steps: u64,
    window_ms: f64,
) -> Vec<Vec<f32>> {
    let scale = (1000.0 / window_ms) as f32;
    (0..n_steps as u64)
        .map(|s| {
            (0..PERIODS.len() as u32)
                .map(|i| {
                    let count = spikes
                        .iter()
                        .filter(|&&(t, k)| k == i && t <= s && t + window_steps > s)
                        .count();
                    count as f32 * scale
                })
                .collect()
        })
        .collect()
}

fn r_counts_the_spikes_of_the_window() {
    // 2.55 ms at dt 0.5: trunc(5.1) = 5 steps, 1000 / 2.55 Hz a spike.
    for (dt, window, steps) in [(1.0, 10.0, 10u64), (0.5, 2.55, 5)] {
        for backend in backends() {
            let (net, _, m) = network(dt, window);
            let mut sim = net.compile(backend).unwrap();
            sim.simulate(60.0 * dt).unwrap();
            let spikes = sim.spikes(m).unwrap();
            assert!(!spikes.is_empty());
            let r = sim.recorded(m, "r").unwrap();
            let want = by_hand(&spikes, r.nrows(), steps, window);
            for (s, row) in want.iter().enumerate() {
                let got: Vec<f32> = r.row(s).to_vec();
                assert_eq!(&got, row, "{backend:?} dt {dt} window {window}: step {s}");
            }
        }
    }
}

fn saved_states_and_reset_carry_the_window() {
    let (net, p, _) = network(1.0, 25.0);
    let whole = {
        let mut sim = net.compile(Backend::Cpu).unwrap();
        sim.simulate(80.0).unwrap();
        sim.get(p, "r").unwrap()
    };
    for backend in backends() {
        // Saved at 40 ms, loaded into a fresh simulation of each engine.
        let path = temp_path(&format!("fr_{backend:?}.state"));
        let mut sim = net.compile(backend).unwrap();
        sim.simulate(40.0).unwrap();
        sim.save(&path).unwrap();
        for other in backends() {
            let mut again = net.compile(other).unwrap();
            again.load(&path).unwrap();
            again.simulate(40.0).unwrap();
            assert_eq!(
                again.get(p, "r").unwrap(),
                whole,
                "{backend:?} -> {other:?}"
            );
        }
        // A reset empties the window: the run replays.
        sim.simulate(40.0).unwrap();
        sim.reset().unwrap();
        assert!(sim.get(p, "r").unwrap().iter().all(|&x| x == 0.0));
        sim.simulate(80.0).unwrap();
        assert_eq!(sim.get(p, "r").unwrap(), whole, "{backend:?} after reset");
    }
}

fn firing_rate_errors_name_the_cause() {
    let mut net = Network::new().dt(0.5);
    let rate = net
        .population("rate", 2, &Neuron::rate().equations("r = 1.0"))
        .unwrap();
    let e = net.compute_firing_rate(rate, 10.0).unwrap_err().to_string();
    assert!(e.contains("'rate'") && e.contains("spiking"), "{e}");
    let p = net.population("p", 2, &clockwork()).unwrap();
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let e = net.compute_firing_rate(p, bad).unwrap_err().to_string();
        assert!(e.contains("positive"), "{bad}: {e}");
    }
    let e = net.compute_firing_rate(p, 0.3).unwrap_err().to_string();
    assert!(e.contains("shorter than one step"), "{e}");
    let big = net.population("big", 1_000_000, &clockwork()).unwrap();
    let e = net.compute_firing_rate(big, 1e6).unwrap_err().to_string();
    assert!(e.contains("GiB") && e.contains("'big'"), "{e}");
    // r written as a parameter cannot hold a rate.
    let with_r = clockwork().parameters("period = 3.0\nr = 0.0");
    let q = net.population("q", 2, &with_r).unwrap();
    let e = net.compute_firing_rate(q, 10.0).unwrap_err().to_string();
    assert!(e.contains("parameter"), "{e}");
    // Without a firing rate, a spiking population has no r.
    let fresh = net.population("fresh", 2, &clockwork()).unwrap();
    assert!(net.pop(fresh).unwrap().ir.slot("r").is_none());
    assert!(net.pop(p).unwrap().ir.slot("r").is_none());
}

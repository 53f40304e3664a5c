//! Callbacks (`Simulation::every`) on both engines: called at offset +
//! n * period before the step that starts then, their changes act from that
//! step on, identically on the CPU and GPU engines.

use std::sync::{Arc, Mutex};

use crate::common::{backends, tests};
use cajal::prelude::*;

tests! {
    both: [
        callbacks_run_on_schedule_and_act_alike_on_both_engines,
        callbacks_can_be_disabled_enabled_and_cleared,
        an_error_in_a_callback_stops_simulate,
        timings_count_steps_and_a_callbacks_call_once,
    ],
}

fn net() -> (Network, PopId, MonitorId) {
    let model = Neuron::spiking()
        .parameters("tau = 10.0 : population\nI = 0.4")
        .equations("tau * dv/dt = -v + I : init = 0.0")
        .spike("v > 0.5")
        .reset("v = 0.0");
    let mut net = Network::new().dt(0.1);
    let p = net.population("p", 20, &model).unwrap();
    let m = net.monitor(p, &["spike", "v"]).unwrap();
    (net, p, m)
}

fn callbacks_run_on_schedule_and_act_alike_on_both_engines() {
    let mut results = Vec::new();
    for b in backends() {
        let (net, p, m) = net();
        let mut sim = net.compile(b).unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = log.clone();
        // Below threshold (I = 0.4) until a callback raises the drive.
        sim.every(20.0, 5.0, move |sim, n| {
            seen.lock().unwrap().push((n, sim.current_step()));
            let drive: Vec<f32> = (0..20).map(|k| 0.6 + 0.05 * k as f32 * n as f32).collect();
            sim.set(p, "I", drive)
        })
        .unwrap();
        sim.simulate(33.3).unwrap();
        sim.simulate(40.0).unwrap();
        let calls = log.lock().unwrap().clone();
        // At 5, 25, 45, 65 ms: steps 50, 250, 450, 650.
        assert_eq!(calls, vec![(0, 50), (1, 250), (2, 450), (3, 650)], "{b:?}");
        let spikes = sim.spikes(m).unwrap();
        // Nothing fires before the first call, which acts from step 50 on.
        assert!(spikes.iter().all(|&(s, _)| s >= 50), "{b:?}");
        assert!(!spikes.is_empty());
        // v was 0.4-driven until step 49, then rises faster.
        let v = sim.recorded(m, "v").unwrap();
        assert!(v[[50, 0]] - v[[49, 0]] > v[[49, 0]] - v[[48, 0]]);
        results.push((spikes, v));
    }
    if results.len() == 2 {
        assert_eq!(results[0].0, results[1].0, "spikes differ between engines");
        assert_eq!(results[0].1, results[1].1, "v differs between engines");
    }
}

fn callbacks_can_be_disabled_enabled_and_cleared() {
    for b in backends() {
        let (net, _, _) = net();
        let mut sim = net.compile(b).unwrap();
        let count = Arc::new(Mutex::new(0u32));
        let c = count.clone();
        let id = sim
            .every(1.0, 0.0, move |_, _| {
                *c.lock().unwrap() += 1;
                Ok(())
            })
            .unwrap();
        sim.simulate(10.0).unwrap(); // t = 0, 1, ..., 9
        assert_eq!(*count.lock().unwrap(), 10);
        sim.disable_callback(id).unwrap();
        sim.simulate(10.0).unwrap();
        assert_eq!(*count.lock().unwrap(), 10);
        sim.enable_callback(id).unwrap();
        sim.simulate(5.0).unwrap(); // t = 20, ..., 24
        assert_eq!(*count.lock().unwrap(), 15);
        // step() runs the callbacks due, as simulate(dt) would.
        for _ in 0..10 {
            sim.step().unwrap();
        }
        assert_eq!(*count.lock().unwrap(), 16);
        sim.clear_all_callbacks();
        sim.simulate(10.0).unwrap();
        assert_eq!(*count.lock().unwrap(), 16);
        assert!(sim.enable_callback(id).is_err());
        assert!(
            sim.every(0.01, 0.0, |_, _| Ok(())).is_err(),
            "period under dt"
        );
    }
}

fn an_error_in_a_callback_stops_simulate() {
    for b in backends() {
        let (net, p, _) = net();
        let mut sim = net.compile(b).unwrap();
        sim.every(2.0, 1.0, move |sim, n| {
            if n == 2 {
                // Not a variable: the error stops the run at t = 5 ms.
                sim.set(p, "nope", 1.0)
            } else {
                Ok(())
            }
        })
        .unwrap();
        let e = sim.simulate(100.0).unwrap_err();
        assert!(e.to_string().contains("nope"), "{e}");
        assert_eq!(sim.current_step(), 50, "{b:?}");
    }
}

/// `Simulation::timings`: every step of `simulate`, `step` and
/// `simulate_until`, a callback's time inside `simulate`, and a call made
/// from a callback counted once (the sum never exceeds the wall-clock
/// time around the calls).
fn timings_count_steps_and_a_callbacks_call_once() {
    let nap = std::time::Duration::from_millis(15);
    for b in backends() {
        let (net, _, _) = net();
        let wall = std::time::Instant::now();
        let mut sim = net.compile(b).unwrap();
        let built = wall.elapsed();
        let t = sim.timings();
        assert!(
            t.build > std::time::Duration::ZERO && t.build <= built,
            "{t:?}"
        );
        assert_eq!((t.simulate, t.steps), (std::time::Duration::ZERO, 0));
        // Two calls of a callback, each running a step that naps.
        sim.every(2.0, 0.0, move |sim, _| {
            sim.simulate_until(1.0, |_| {
                std::thread::sleep(nap);
                true
            })
            .map(|_| ())
        })
        .unwrap();
        let t0 = std::time::Instant::now();
        sim.simulate(4.0).unwrap();
        sim.step().unwrap();
        sim.simulate_until(1.0, |sim| sim.current_step() == 43)
            .unwrap();
        let around = t0.elapsed();
        let t = sim.timings();
        assert_eq!(t.steps, 43, "{b:?}");
        assert_eq!(sim.current_step(), 43, "{b:?}");
        assert!(t.simulate >= 2 * nap, "{b:?}: {t:?}");
        assert!(
            t.simulate <= around,
            "{b:?}: {t:?} against {around:?} around the calls"
        );
        assert_eq!(t.build, sim.timings().build);
    }
}

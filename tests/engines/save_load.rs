//! Simulation::save / load on both engines: a run continues bit for bit in
//! a freshly compiled network; files from another network, truncated or
//! corrupted files are refused and change nothing.

use crate::common::{backends, temp_path, tests};
use cajal::prelude::*;

tests! {
    both: [
        a_loaded_run_continues_bit_for_bit,
        bad_state_files_are_refused_and_change_nothing,
        connectivity_round_trips_through_a_file,
        reset_after_a_load_returns_to_the_compiled_values,
    ],
}

fn tmp(name: &str) -> std::path::PathBuf {
    temp_path(name)
}

/// Noise, refractoriness, spiking projections with uniform and per-synapse
/// delays, a plastic weight (w += inc at each spike), a delayed rate
/// projection: everything a state holds.
fn net(n: usize) -> (Network, Vec<MonitorId>, PopId) {
    net_seeded(n, 5)
}

fn net_seeded(n: usize, seed: u64) -> (Network, Vec<MonitorId>, PopId) {
    let lif = Neuron::spiking()
        .parameters("tau = 10.0 : population\nI = 0.55")
        .equations("tau * dv/dt = -v + I + g_exc - g_inh + 0.5 * Normal(0.0, 1.0) : init = 0.0\ndg_exc/dt = -g_exc / 3.0 : exponential\ndg_inh/dt = -g_inh / 6.0 : exponential")
        .spike("v > 0.5")
        .reset("v = 0.0")
        .refractory(1.0);
    let rate = Neuron::rate()
        .parameters("tau = 4.0 : population")
        .equations("tau * dx/dt = -x + sum(exc) + Uniform(0.0, 0.2)\nr = x");
    let mut net = Network::new().dt(0.1).seed(seed);
    let s = net.population("s", n, &lif).unwrap();
    let r = net.population("r", 30, &rate).unwrap();
    net.set(s, "v", Dist::uniform(0.0, 0.5)).unwrap();
    net.projection(s, s, "exc")
        .synapse(
            &Synapse::new()
                .parameters("inc = 0.001 : projection")
                .pre_spike("g_target += w\nw += inc"),
        )
        .delays(Delays::random(Dist::uniform(0.1, 4.0)))
        .connect_fixed_probability(0.1, Weights::constant(0.05))
        .unwrap();
    net.projection(s, s, "inh")
        .delays(2.0)
        .connect_fixed_number_pre(3, Weights::constant(0.08))
        .unwrap();
    net.projection(r, r, "exc")
        .delays(Delays::random(Dist::uniform(0.1, 1.5)))
        .connect_fixed_number_pre(4, Weights::random(Dist::uniform(0.0, 0.3)))
        .unwrap();
    let ms = net.monitor(s, &["spike", "v", "g_exc"]).unwrap();
    let mr = net.monitor(r, &["r"]).unwrap();
    (net, vec![ms, mr], s)
}

fn a_loaded_run_continues_bit_for_bit() {
    for b in backends() {
        let path = tmp(&format!("state-{b:?}.bin"));
        let (n1, m, s) = net(60);
        let mut a = n1.compile(b).unwrap();
        a.simulate(25.0).unwrap();
        a.save(&path).unwrap();
        let (steps_before, spikes_before) = (a.current_step(), a.spikes(m[0]).unwrap().len());
        a.simulate(25.0).unwrap();
        let (n2, m2, _) = net(60);
        let mut c = n2.compile(b).unwrap();
        // Whatever it did before is overwritten, a late resume included.
        c.simulate(30.0).unwrap();
        c.pause(m2[1]).unwrap();
        c.resume(m2[1]).unwrap();
        let spikes_before_load = c.spikes(m2[0]).unwrap().len();
        c.load(&path).unwrap();
        assert_eq!(c.current_step(), steps_before);
        assert!((c.time() - 25.0).abs() < 1e-9);
        c.simulate(25.0).unwrap();
        // The second half of a equals c's recordings after the load.
        let tail: Vec<(u64, u32)> = a.spikes(m[0]).unwrap()[spikes_before..].to_vec();
        let cs: Vec<(u64, u32)> = c.spikes(m2[0]).unwrap()[spikes_before_load..].to_vec();
        assert!(!tail.is_empty(), "{b:?}: the network should spike");
        // On a hardware GPU float atomics add a step's spikes in an order
        // that varies from run to run, so two GPU runs agree only to the
        // last bits, loaded or not: there, the first 20 steps are compared
        // within rel 1e-5. Everywhere else (CPU, lavapipe), bit for bit.
        let exact = b == Backend::Cpu
            || c.device()
                .is_some_and(|d| d.device_type == "CPU (software)");
        if exact {
            assert_eq!(tail, cs, "{b:?}: spikes after the load");
        }
        for (mi, var) in [(0, "v"), (0, "g_exc"), (1, "r")] {
            let x = a.recorded(m[mi], var).unwrap();
            let y = c.recorded(m2[mi], var).unwrap();
            let xs = x.slice(ndarray::s![250.., ..]).to_owned();
            let skip = y.nrows() - 250;
            let ys = y.slice(ndarray::s![skip.., ..]).to_owned();
            if exact {
                assert_eq!(xs, ys, "{b:?}: {var} after the load");
            } else {
                for (p, q) in xs.iter().zip(ys.iter()).take(20 * xs.ncols()) {
                    assert!(
                        (p - q).abs() <= 1e-6f32.max(1e-5 * p.abs().max(q.abs())),
                        "{var}: {p} vs {q}"
                    );
                }
            }
        }
        let wa = a
            .synapses(n1.find_projection("s->s:exc").unwrap(), "w")
            .unwrap()
            .2;
        let wc = c
            .synapses(n2.find_projection("s->s:exc").unwrap(), "w")
            .unwrap()
            .2;
        if exact {
            assert_eq!(wa, wc, "{b:?}: plastic weights");
        }
        let _ = s;
        let _ = std::fs::remove_file(&path);
    }
}

fn bad_state_files_are_refused_and_change_nothing() {
    for b in backends() {
        let path = tmp(&format!("good-{b:?}.bin"));
        let (n1, _, s) = net(40);
        let mut a = n1.compile(b).unwrap();
        a.simulate(5.0).unwrap();
        a.save(&path).unwrap();
        let good = std::fs::read(&path).unwrap();
        let v_before = a.get(s, "v").unwrap();
        let step_before = a.current_step();
        let bad = tmp(&format!("bad-{b:?}.bin"));
        let mut cases: Vec<(Vec<u8>, &str)> = vec![
            (good[..good.len() / 2].to_vec(), "truncated"),
            (b"hello".to_vec(), "not a cajal state file"),
        ];
        let mut flipped = good.clone();
        let k = flipped.len() - 7;
        flipped[k] ^= 0x10;
        cases.push((flipped, "corrupted"));
        let mut version = good.clone();
        version[8] = 9;
        cases.push((version, "version"));
        for (data, expect) in cases {
            std::fs::write(&bad, &data).unwrap();
            let e = a.load(&bad).unwrap_err().to_string();
            assert!(e.contains(expect), "{b:?}: {expect}: {e}");
            assert_eq!(a.get(s, "v").unwrap(), v_before);
            assert_eq!(a.current_step(), step_before);
        }
        // Another network: one more neuron.
        let (other, _, _) = net(41);
        let mut o = other.compile(b).unwrap();
        let e = o.load(&path).unwrap_err().to_string();
        assert!(
            e.contains("different network") && e.contains("population s 41"),
            "{e}"
        );
        assert!(matches!(
            o.load(tmp("none.bin")).unwrap_err(),
            Error::Io { .. }
        ));
        // The same structure built with another seed: other synapses.
        let (reseeded, _, _) = net_seeded(40, 6);
        let e = reseeded
            .compile(b)
            .unwrap()
            .load(&path)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("different network") && e.contains("synapses"),
            "{e}"
        );
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_file(&bad);
    }
}

fn connectivity_round_trips_through_a_file() {
    for b in backends() {
        let (n1, _, _) = net(50);
        let proj = n1.find_projection("s->s:exc").unwrap();
        let mut a = n1.compile(b).unwrap();
        a.simulate(20.0).unwrap(); // the weights have changed (w += inc)
        let path = tmp(&format!("conn-{b:?}.bin"));
        a.save_connectivity(proj, &path).unwrap();
        let (post, pre, w) = a.synapses(proj, "w").unwrap();
        // Rebuild it from the file in a new network.
        let lif = Neuron::spiking()
            .equations("dv/dt = -v + g_exc")
            .spike("v > 1.0")
            .reset("v = 0.0");
        let mut n2 = Network::new().dt(0.1);
        let x = n2.population("x", 50, &lif).unwrap();
        let p2 = n2.projection(x, x, "exc").connect_from_file(&path).unwrap();
        let c = n2.compile(b).unwrap();
        assert_eq!(c.synapses(p2, "w").unwrap(), (post, pre, w), "{b:?}");
        assert_eq!(
            n2.proj(p2).unwrap().synapses.delay,
            n1.proj(proj).unwrap().synapses.delay
        );
        // Populations of other sizes are refused; so is a damaged file.
        let mut n3 = Network::new();
        let y = n3.population("y", 49, &lif).unwrap();
        let e = n3
            .projection(y, y, "exc")
            .connect_from_file(&path)
            .unwrap_err();
        assert!(e.to_string().contains("50 pre to 50 post"), "{e}");
        let mut data = std::fs::read(&path).unwrap();
        let k = data.len() - 3;
        data[k] ^= 1;
        std::fs::write(&path, data).unwrap();
        let mut n4 = Network::new();
        let z = n4.population("z", 50, &lif).unwrap();
        let e = n4
            .projection(z, z, "exc")
            .connect_from_file(&path)
            .unwrap_err();
        assert!(e.to_string().contains("corrupted"), "{e}");
        let _ = std::fs::remove_file(&path);
    }
}

fn reset_after_a_load_returns_to_the_compiled_values() {
    // Shared projection parameters are not part of the network's
    // signature: a state may carry other values, which reset must undo.
    for b in backends() {
        let path = tmp(&format!("shared-{b:?}.bin"));
        let (n1, _, _) = net(30);
        n1.compile(b).unwrap().save(&path).unwrap();
        let (mut n2, _, _) = net(30);
        let json = tmp(&format!("shared-{b:?}.json"));
        std::fs::write(&json, r#"{"projections": {"s->s:exc": {"inc": 0.5}}}"#).unwrap();
        n2.load_parameters(&json).unwrap();
        let proj = n2.find_projection("s->s:exc").unwrap();
        let mut sim = n2.compile(b).unwrap();
        sim.load(&path).unwrap();
        assert_eq!(sim.synapses(proj, "inc").unwrap().2[0], 0.001, "{b:?}");
        sim.reset().unwrap();
        assert_eq!(sim.synapses(proj, "inc").unwrap().2[0], 0.5, "{b:?}");
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_file(&json);
    }
}

//! Monitors: reading and emptying them between runs (`take_recording`),
//! and monitors of synapses (dendrites and whole projections), on both
//! engines.

use crate::common::{backends, temp_path, tests};
use cajal::prelude::*;

tests! {
    both: [
        take_recording_pieces_make_the_uninterrupted_recording,
        synapse_monitors_sample_what_the_synapses_hold_after_the_step,
        a_streamed_recording_is_the_one_in_memory,
        monitors_added_after_compiling_record_what_earlier_ones_record,
    ],
    cpu: [
        synapse_monitors_refuse_what_they_cannot_record,
    ],
}

/// Noisy neurons driving a second population through a conductance (a
/// variable recorded before the update), so that the recording has spikes,
/// an early variable and a late one.
fn noisy_net() -> (Network, PopId, PopId) {
    let noisy = Neuron::spiking()
        .parameters("tau = 5.0 : population")
        .equations("tau * dv/dt = -v + 2.0 * Uniform(0.0, 1.0) : init = 0.0")
        .spike("v > 0.55")
        .reset("v = 0.0");
    let follower = Neuron::spiking()
        .equations("dv/dt = -v + g_exc : init = 0.0")
        .spike("v > 0.5")
        .reset("v = 0.0");
    let mut net = Network::new().dt(0.5).seed(11);
    let a = net.population("a", 20, &noisy).unwrap();
    let b = net.population("b", 20, &follower).unwrap();
    net.projection(a, b, "exc")
        .connect_fixed_probability(0.3, Weights::constant(0.4))
        .unwrap();
    (net, a, b)
}

fn take_recording_pieces_make_the_uninterrupted_recording() {
    // Durations in ms (dt = 0.5): pieces that end off the period (3 steps).
    let pieces = [3.5, 5.5, 0.5, 10.0, 7.0];
    for be in backends() {
        let (mut net, a, b) = noisy_net();
        let ma = net.monitor(a, &["spike"]).unwrap();
        let mb = net
            .monitor_with(b, &["v", "g_exc", "spike"], 1.5, true)
            .unwrap();
        let mut whole = net.compile(be).unwrap();
        whole.simulate(pieces.iter().sum()).unwrap();

        let mut sim = net.compile(be).unwrap();
        let (mut steps, mut v, mut g, mut spikes_b, mut spikes_a) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for ms in pieces {
            sim.simulate(ms).unwrap();
            let r = sim.take_recording(mb).unwrap();
            assert_eq!(r.var("v").unwrap().nrows(), r.sample_steps.len());
            assert!(r.sample_steps.iter().all(|s| s % 3 == 0), "{be:?}: {r:?}");
            steps.extend(r.sample_steps.clone());
            v.extend(r.var("v").unwrap().iter().copied());
            g.extend(r.var("g_exc").unwrap().iter().copied());
            spikes_b.extend(r.spikes.clone());
            spikes_a.extend(sim.take_recording(ma).unwrap().spikes);
            // Emptied: the keeping readers see nothing until the next run.
            assert!(sim.sample_steps(mb).unwrap().is_empty());
            assert_eq!(sim.recorded(mb, "v").unwrap().nrows(), 0);
            assert!(sim.spikes(ma).unwrap().is_empty());
        }
        assert_eq!(steps, whole.sample_steps(mb).unwrap(), "{be:?}");
        assert_eq!(steps.len(), 18);
        let flat = |m, var| {
            whole
                .recorded(m, var)
                .unwrap()
                .iter()
                .copied()
                .collect::<Vec<_>>()
        };
        assert_eq!(v, flat(mb, "v"), "{be:?}");
        assert_eq!(g, flat(mb, "g_exc"), "{be:?}");
        assert_eq!(spikes_b, whole.spikes(mb).unwrap(), "{be:?}");
        assert_eq!(spikes_a, whole.spikes(ma).unwrap(), "{be:?}");
        assert!(!spikes_a.is_empty() && !spikes_b.is_empty());
        assert!(g.iter().any(|&x| x > 0.0));
        // A take after nothing ran is empty, with the variables' widths.
        let r = sim.take_recording(mb).unwrap();
        assert!(r.sample_steps.is_empty() && r.spikes.is_empty());
        assert_eq!(r.var("v").unwrap().dim(), (0, 20));
        let e = r.var("u").unwrap_err().to_string();
        assert!(e.contains("'u'") && e.contains("g_exc"), "{e}");
    }
}

/// Random rates through a Hebbian rate-coded projection (its rule runs in
/// the step's synapse update) and a spiking one with one weight for all.
fn hebbian_net() -> (Network, ProjId, ProjId) {
    let hebb = Synapse::new()
        .parameters("eta = 0.01 : projection")
        .equations("dw/dt = eta * pre.r * post.r");
    let mut net = Network::new().seed(3);
    let inp = net
        .population("in", 4, &Neuron::rate().equations("r = Uniform(0.0, 1.0)"))
        .unwrap();
    let out = net
        .population("out", 3, &Neuron::rate().equations("r = sum(exc)"))
        .unwrap();
    let q = net
        .projection(inp, out, "exc")
        .synapse(&hebb)
        .connect_from_matrix(ndarray::arr2(&[
            [0.1, 0.2, 0.3, 0.4],
            [0.5, f32::NAN, 0.6, 0.7],
            [0.1, 0.1, f32::NAN, f32::NAN],
        ]))
        .unwrap();
    let lif = cajal::models::if_curr_exp();
    let a = net.population("a", 5, &lif).unwrap();
    let s = net
        .projection(a, a, "exc")
        .connect_all_to_all(Weights::constant(0.25))
        .unwrap();
    (net, q, s)
}

fn synapse_monitors_sample_what_the_synapses_hold_after_the_step() {
    for be in backends() {
        let (mut net, q, s) = hebbian_net();
        let d1 = net
            .monitor_projection(q, Some(1), &["w", "eta"], 3.0)
            .unwrap();
        let all = net.monitor_projection(q, None, &["w"], 1.0).unwrap();
        let shared = net.monitor_projection(s, Some(4), &["w"], 2.0).unwrap();
        let mut sim = net.compile(be).unwrap();
        // What the synapses hold after each step, read by hand.
        let mut by_hand = net.compile(be).unwrap();
        let mut dendrite = Vec::new();
        let mut whole = Vec::new();
        for _ in 0..20 {
            by_hand.step().unwrap();
            dendrite.push(by_hand.dendrite(q, 1, "w").unwrap());
            whole.push(by_hand.synapses(q, "w").unwrap().2);
        }
        // Pieces of a run, one step, a pause: the samples stay on period.
        sim.simulate(7.0).unwrap();
        sim.pause(d1).unwrap();
        sim.step().unwrap();
        sim.simulate(2.0).unwrap();
        sim.resume(d1).unwrap(); // at step 10: 10, 13, 16, 19
        sim.simulate_until(10.0, |_| false).unwrap();
        assert_eq!(sim.current_step(), 20);
        let r = sim.take_recording(d1).unwrap();
        assert_eq!(r.sample_steps, vec![0, 3, 6, 10, 13, 16, 19], "{be:?}");
        let w = r.var("w").unwrap();
        assert_eq!(w.ncols(), 3, "post 1 has pre 0, 2, 3");
        for (row, &st) in r.sample_steps.iter().enumerate() {
            let (pre, want) = &dendrite[st as usize];
            assert_eq!(pre, &vec![0, 2, 3]);
            assert_eq!(w.row(row).to_vec(), *want, "{be:?}: step {st}");
        }
        // A projection-wide parameter: one column.
        assert_eq!(r.var("eta").unwrap().dim(), (7, 1));
        assert!(r.var("eta").unwrap().iter().all(|&x| x == 0.01));
        assert!(r.spikes.is_empty());
        // The whole projection, every step, in (post, pre) order.
        assert_eq!(sim.sample_steps(all).unwrap(), (0..20).collect::<Vec<_>>());
        let w = sim.recorded(all, "w").unwrap();
        assert_eq!(w.dim(), (20, 9));
        for (st, want) in whole.iter().enumerate() {
            assert_eq!(w.row(st).to_vec(), *want, "{be:?}: step {st}");
        }
        // It learnt: w grew between the first and the last sample.
        assert!(w[[19, 0]] > w[[0, 0]]);
        // One weight stored for all: a column per synapse all the same.
        assert!(sim.shares_weight(s).unwrap());
        let sw = sim.recorded(shared, "w").unwrap();
        assert_eq!(sw.dim(), (10, 4));
        assert!(sw.iter().all(|&x| x == 0.25));
        // Reset empties them and starts them again from step 0.
        sim.reset().unwrap();
        assert!(sim.sample_steps(all).unwrap().is_empty());
        sim.simulate(4.0).unwrap();
        assert_eq!(sim.sample_steps(d1).unwrap(), vec![0, 3]);
        assert_eq!(
            sim.recorded(d1, "w").unwrap().row(1).to_vec(),
            dendrite[3].1
        );
    }
}

fn synapse_monitors_refuse_what_they_cannot_record() {
    let (mut net, q, s) = hebbian_net();
    let msg = |r: cajal::Result<MonitorId>| r.unwrap_err().to_string();
    let e = msg(net.monitor_projection(q, Some(3), &["w"], 1.0));
    assert!(e.contains("in->out:exc") && e.contains("rank 3"), "{e}");
    let e = msg(net.monitor_projection(q, None, &["spike"], 1.0));
    assert!(e.contains("'spike'") && e.contains("eta"), "{e}");
    let e = msg(net.monitor_projection(q, None, &[], 1.0));
    assert!(e.contains("at least one"), "{e}");
    let e = msg(net.monitor_projection(s, None, &["w"], 0.0));
    assert!(e.contains("period"), "{e}");
    let m = net.monitor_projection(q, None, &["w"], 1.0).unwrap();
    assert_eq!(net.synapse_monitor_spec(m).unwrap().period, 1);
    assert!(net.monitor_spec(m).is_err());
    assert!(net.monitors().contains(&m));
    let report = net.report();
    assert!(
        report.contains("| in->out:exc | all | w | 1 ms |"),
        "{report}"
    );
    let mut sim = net.compile(Backend::Cpu).unwrap();
    sim.simulate(2.0).unwrap();
    let e = sim.spikes(m).unwrap_err().to_string();
    assert!(e.contains("records synapses"), "{e}");
    let e = sim.recorded(m, "eta").unwrap_err().to_string();
    assert!(e.contains("'eta'"), "{e}");
}

/// A monitor recording to `.npy` files (stream_to) writes what it would
/// have kept in memory: the same sample steps, rows and spikes, over runs
/// of several lengths, on both engines; its in-memory readers refuse it
/// meanwhile, and once it stops streaming it records in memory again.
fn a_streamed_recording_is_the_one_in_memory() {
    let pieces = [3.5, 5.5, 0.5, 10.0, 7.0];
    for be in backends() {
        let (mut net, a, b) = noisy_net();
        let ma = net.monitor(a, &["spike", "v"]).unwrap();
        let mb = net
            .monitor_with(b, &["v", "g_exc", "spike"], 1.5, true)
            .unwrap();
        let mut memory = net.compile(be).unwrap();
        let mut disk = net.compile(be).unwrap();
        let (da, db) = (temp_path("a"), temp_path("b"));
        // Streaming from the start of a run, and from a monitor that holds
        // samples already (they go to the files first).
        disk.stream_to(ma, &da).unwrap();
        memory.simulate(2.0).unwrap();
        disk.simulate(2.0).unwrap();
        disk.stream_to(mb, &db).unwrap();
        for ms in pieces {
            memory.simulate(ms).unwrap();
            disk.simulate(ms).unwrap();
        }
        for (m, dir) in [(ma, &da), (mb, &db)] {
            let got = cajal::io::read_recording(dir).unwrap();
            let want = memory.take_recording(m).unwrap();
            assert!(!want.sample_steps.is_empty() && !want.spikes.is_empty());
            assert_eq!(got.sample_steps, want.sample_steps, "{be:?}");
            assert_eq!(got.spikes, want.spikes, "{be:?}");
            assert_eq!(got.vars.len(), want.vars.len());
            for ((gn, gv), (wn, wv)) in got.vars.iter().zip(&want.vars) {
                assert_eq!(gn, wn);
                assert_eq!(gv, wv, "{be:?} {gn}");
            }
            let e = disk.recorded(m, "v").unwrap_err().to_string();
            assert!(e.contains("read_recording"), "{e}");
            assert!(disk.spikes(m).is_err() && disk.take_recording(m).is_err());
        }
        // The header counts the rows: a plain npy reader gets the shape.
        let bytes = std::fs::read(db.join("var_v.npy")).unwrap();
        let header = String::from_utf8_lossy(&bytes[10..128]).to_string();
        let rows = memory.network().monitor_spec(mb).unwrap();
        assert!(rows.period == 3, "{rows:?}");
        assert!(header.contains("'shape': (19, 20)"), "{header}");
        let value = memory.network().precision().size();
        assert_eq!(bytes.len(), 128 + 19 * 20 * value);
        // Stopped: the files stay whole, the monitor records in memory.
        disk.stop_streaming(mb).unwrap();
        disk.simulate(3.0).unwrap();
        assert_eq!(disk.sample_steps(mb).unwrap(), vec![57, 60]);
        assert_eq!(
            cajal::io::read_recording(&db).unwrap().sample_steps.len(),
            19
        );
        std::fs::remove_dir_all(&da).ok();
        std::fs::remove_dir_all(&db).ok();
    }
}

/// ANNarchy creates monitors after `compile()`: one added to a running
/// simulation records, from its step on, what a monitor added before
/// compiling records, and the run goes on as if nothing had been added.
fn monitors_added_after_compiling_record_what_earlier_ones_record() {
    for be in backends() {
        let (mut net, a, b) = noisy_net();
        let early_b = net.monitor(b, &["v", "g_exc", "spike"]).unwrap();
        let early_a = net.monitor_with(a, &["v"], 1.5, true).unwrap();
        let p = net.projections()[0];
        let mut sim = net.compile(be).unwrap();
        sim.simulate(7.0).unwrap(); // 14 steps
        let late_b = sim.monitor(b, &["v", "g_exc", "spike"]).unwrap();
        let late_a = sim.monitor_with(a, &["v"], 1.5, true).unwrap();
        let late_w = sim.monitor_projection(p, Some(3), &["w"], 1.0).unwrap();
        sim.simulate(10.0).unwrap();
        assert_eq!(
            sim.sample_steps(late_b).unwrap(),
            (14..34).collect::<Vec<u64>>()
        );
        for var in ["v", "g_exc"] {
            let early = sim.recorded(early_b, var).unwrap();
            let late = sim.recorded(late_b, var).unwrap();
            assert_eq!(late, early.slice(ndarray::s![14.., ..]), "{be:?} {var}");
        }
        let late_spikes = sim.spikes(late_b).unwrap();
        let early_spikes: Vec<_> = sim
            .spikes(early_b)
            .unwrap()
            .into_iter()
            .filter(|&(s, _)| s >= 14)
            .collect();
        assert!(!late_spikes.is_empty(), "{be:?}: no spikes to compare");
        assert_eq!(late_spikes, early_spikes, "{be:?}");
        // The period counts from the step the monitor was added.
        assert_eq!(
            sim.sample_steps(late_a).unwrap(),
            vec![14, 17, 20, 23, 26, 29, 32]
        );
        assert_eq!(
            sim.sample_steps(early_a).unwrap()[5..],
            [15, 18, 21, 24, 27, 30, 33]
        );
        assert_eq!(
            sim.sample_steps(late_w).unwrap(),
            (14..34).step_by(2).collect::<Vec<u64>>()
        );
        assert_eq!(sim.recorded(late_w, "w").unwrap().nrows(), 10);

        // The whole run equals one without the added monitors.
        let mut plain = net.compile(be).unwrap();
        plain.simulate(17.0).unwrap();
        assert_eq!(
            plain.spikes(early_b).unwrap(),
            sim.spikes(early_b).unwrap(),
            "{be:?}"
        );
        assert_eq!(
            plain.get(a, "v").unwrap(),
            sim.get(a, "v").unwrap(),
            "{be:?}"
        );

        // A wrong variable is refused and leaves the simulation as it was.
        let err = sim.monitor(b, &["nope"]).unwrap_err().to_string();
        assert!(err.contains("nope"), "{err}");
        sim.simulate(1.0).unwrap();
        assert_eq!(sim.sample_steps(late_b).unwrap().len(), 22);
    }
}

//! Event-driven synapses against ANNarchy 5.0.4.1's own output: the whole
//! STDP window of its STDP I notebook, with the default delay and with
//! 3 ms (tests/data/annarchy/stdp_window), and the conductance increments
//! of its Tsodyks-Markram STP model under a regular train, depressing and
//! facilitating (tests/data/annarchy/stp). Both depend on when an arriving
//! spike brings the `: event-driven` variables up to date (the step before
//! its arrival, as ANNarchy's generated code): one step off shifts the
//! depression side of the window by one step and every STP increment.
//! ANNarchy computes in f64, cajal in f32.

use crate::common::{annarchy_json, backends, floats, tests};
use cajal::models::synapses::stp;
use cajal::prelude::*;

tests! {
    both: [
        the_stdp_window_is_annarchys,
        the_stdp_window_between_spike_source_arrays_is_annarchys,
        stp_increments_are_annarchys,
    ],
}

/// Fires at its parameter t1 (ms) and keeps what its conductance received.
fn clock() -> Neuron {
    Neuron::spiking()
        .parameters("t1 = -1.0")
        .equations("last = g_exc")
        .spike("t == t1")
}

fn the_stdp_window_is_annarchys() {
    stdp_window(false);
}

/// As the reference itself (and the notebook): SpikeSourceArrays on both
/// sides, the post one without a conductance of its own (the spikes'
/// increments are dropped, their plasticity runs).
fn the_stdp_window_between_spike_source_arrays_is_annarchys() {
    stdp_window(true);
}

fn stdp_window(sources: bool) {
    let doc = annarchy_json("stdp_window/stdp_window.json");
    let pre_times = floats(&doc["pre_times"]);
    let n = pre_times.len();
    // The notebook's model strings.
    let stdp = Synapse::new()
        .parameters(
            "tau_plus = 20.0 : projection ; tau_minus = 20.0 : projection
             A_plus = 0.01 : projection   ; A_minus = 0.01 : projection
             w_min = 0.0 : projection     ; w_max = 2.0 : projection",
        )
        .equations(
            "tau_plus * dx/dt = -x : event-driven # pre-synaptic trace
             tau_minus * dy/dt = -y : event-driven # post-synaptic trace",
        )
        .pre_spike(
            "g_target += w
             x += A_plus * w_max
             w = clip(w - y, w_min , w_max) # LTD",
        )
        .post_spike(
            "y += A_minus * w_max
             w = clip(w + x, w_min , w_max) # LTP",
        );
    for (key, delay) in [("dw_default_delay", None), ("dw_delay_3ms", Some(3.0))] {
        let want = floats(&doc[key]);
        for b in backends() {
            let mut net = Network::new().dt(1.0);
            let (pre, post) = if sources {
                let pre_spikes = pre_times.iter().map(|&t| vec![t]).collect();
                (
                    net.spike_source_array("pre", pre_spikes).unwrap(),
                    net.spike_source_array("post", vec![vec![50.0]; n]).unwrap(),
                )
            } else {
                let pre = net.population("pre", n, &clock()).unwrap();
                let post = net.population("post", n, &clock()).unwrap();
                let t1: Vec<f32> = pre_times.iter().map(|&t| t as f32).collect();
                net.set(pre, "t1", t1).unwrap();
                net.set(post, "t1", vec![50.0f32; n]).unwrap();
                (pre, post)
            };
            let delays = delay.map_or(Delays::none(), Delays::constant);
            let p = net
                .projection(pre, post, "exc")
                .synapse(&stdp)
                .delays(delays)
                .connect_one_to_one(1.0)
                .unwrap();
            let mut sim = net.compile(b).unwrap();
            sim.simulate(110.0).unwrap();
            let (_, pre_rank, w) = sim.synapses(p, "w").unwrap();
            for (&j, &wj) in pre_rank.iter().zip(&w) {
                let j = j as usize;
                let (got, lag) = (f64::from(wj) - 1.0, 50.0 - pre_times[j]);
                assert!(
                    (got - want[j]).abs() < 1e-6,
                    "{b:?} {key} (sources: {sources}): t_post - t_pre = {lag} ms: cajal {got}, ANNarchy {}",
                    want[j]
                );
            }
        }
    }
}

fn stp_increments_are_annarchys() {
    let doc = annarchy_json("stp/stp.json");
    for (name, (tau_rec, tau_f, u)) in [
        ("depression", (100.0f32, 0.01f32, 0.5f32)),
        ("facilitation", (100.0, 1000.0, 0.1)),
    ] {
        let want = floats(&doc[name]["increments"]);
        let want_steps = floats(&doc[name]["increment_steps"]);
        for b in backends() {
            let mut net = Network::new().dt(1.0);
            let pre = net
                .population(
                    "pre",
                    1,
                    &Neuron::spiking()
                        .parameters("isi = 20.0")
                        .spike("modulo(t - 1.0, isi) == 0.0"),
                )
                .unwrap();
            let post = net
                .population(
                    "post",
                    1,
                    &Neuron::spiking()
                        .equations("last = g_exc")
                        .spike("last > 1e9"),
                )
                .unwrap();
            net.projection(pre, post, "exc")
                .synapse(&stp(tau_rec, tau_f, u))
                .connect_one_to_one(2.0)
                .unwrap();
            let m = net.monitor(post, &["last"]).unwrap();
            let mut sim = net.compile(b).unwrap();
            sim.simulate(161.0).unwrap();
            let last = sim.recorded(m, "last").unwrap();
            let got: Vec<(usize, f32)> = last
                .column(0)
                .iter()
                .copied()
                .enumerate()
                .filter(|&(_, g)| g != 0.0)
                .collect();
            let steps: Vec<f64> = got.iter().map(|&(k, _)| k as f64).collect();
            assert_eq!(steps, want_steps, "{b:?} {name}: steps");
            for ((_, g), w) in got.iter().zip(&want) {
                assert!(
                    (f64::from(*g) - w).abs() <= 1e-6 * w.abs(),
                    "{b:?} {name}: cajal {g}, ANNarchy {w}"
                );
            }
        }
    }
}

//! ANNarchy's STDP I notebook: one pre-synaptic and one post-synaptic
//! SpikeSourceArray joined by an online STDP synapse (a pre trace x and a
//! post trace y, integrated exactly between events; LTD at a pre spike,
//! LTP at a post spike; A_plus = A_minus = 0.01, w_max = 2, w = 1). The
//! notebook moves the pre spike from 100 ms to 0 ms across 101 trials of
//! 105 ms while the post spike stays at 50 ms, resets the traces before
//! each trial and plots the weight change against the lag: the STDP
//! window. dt = 1 ms.
//!
//! Deterministic, so each lag's weight change is compared with ANNarchy
//! 5.0.4.1's (`tests/data/annarchy/notebooks/stdp1`). In ANNarchy 5.0.4.1
//! the spike times given before a trial take effect one trial later (its
//! first trial replays the creation-time spike at 0 ms), so its weight
//! changes are keyed by the lag each trial's spikes really had; here every
//! trial gets its own times (cajal's spike times are absolute, so each
//! trial's are shifted by the trial's start).
//!
//! `cargo run --release --example nb_stdp1 [cpu|gpu|auto]`

#[path = "common.rs"]
mod common;

use cajal::prelude::*;

/// ANNarchy 5.0.4.1's weight change for lags (pre spike - post spike, ms)
/// -50, -49, ..., 50 (tests/data/annarchy/notebooks/stdp1/stdp1.json,
/// "dw_by_lag_pre_minus_post_ms").
const ANNARCHY_DW: [f64; 101] = [
    0.0017258717299875048,
    0.0018143590657881958,
    0.001907383244310945,
    0.002005176874456116,
    0.0021079844912372803,
    0.0022160631672466513,
    0.002329683155469886,
    0.002449128565059633,
    0.002574698071756032,
    0.0027067056647323007,
    0.0028454814317302457,
    0.002991372384452684,
    0.00314474332627257,
    0.0033059777644317556,
    0.0034754788690088967,
    0.003653670481054694,
    0.003840998172415122,
    0.004037930359893083,
    0.004244959476534915,
    0.004462603202968651,
    0.004691405761875989,
    0.004931939278832176,
    0.0051848052129178646,
    0.005450635860680286,
    0.00573009593720375,
    0.0060238842382440705,
    0.006332735387581057,
    0.00665742167396155,
    0.006998754982223132,
    0.007357588823428851,
    0.00773482046909002,
    0.008131393194811931,
    0.00854829863897455,
    0.008986579282344476,
    0.009447331054820318,
    0.009931706075828162,
    0.010440915535220308,
    0.01097623272188053,
    0.011538996207609786,
    0.012130613194252682,
    0.012752563032435438,
    0.013406400920712769,
    0.014093761794374271,
    0.01481636441363432,
    0.015576015661428078,
    0.016374615061559683,
    0.01721415952850114,
    0.018096748360719173,
    0.019024588490014316,
    0.020000000000000018,
    -0.020000000000000018,
    -0.019024588490014316,
    -0.018096748360719173,
    -0.01721415952850114,
    -0.016374615061559683,
    -0.015576015661428078,
    -0.01481636441363432,
    -0.014093761794374271,
    -0.013406400920712769,
    -0.012752563032435438,
    -0.012130613194252682,
    -0.011538996207609786,
    -0.01097623272188053,
    -0.010440915535220308,
    -0.009931706075828162,
    -0.009447331054820318,
    -0.008986579282344476,
    -0.00854829863897455,
    -0.008131393194811931,
    -0.00773482046909002,
    -0.007357588823428851,
    -0.006998754982223132,
    -0.00665742167396155,
    -0.006332735387581057,
    -0.0060238842382440705,
    -0.00573009593720375,
    -0.005450635860680286,
    -0.0051848052129178646,
    -0.004931939278832176,
    -0.004691405761875989,
    -0.004462603202968651,
    -0.004244959476534915,
    -0.004037930359893083,
    -0.003840998172415122,
    -0.003653670481054694,
    -0.0034754788690088967,
    -0.0033059777644317556,
    -0.00314474332627257,
    -0.002991372384452684,
    -0.0028454814317302457,
    -0.0027067056647323007,
    -0.002574698071756032,
    -0.002449128565059633,
    -0.002329683155469886,
    -0.0022160631672466513,
    -0.0021079844912372803,
    -0.002005176874456116,
    -0.001907383244310945,
    -0.0018143590657881958,
    -0.0017258717299873938,
    -0.0016416999724779835,
];

fn main() -> cajal::Result<()> {
    let backend = common::backend();
    let stdp = Synapse::new()
        .name("STDP")
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
    let mut net = Network::new().dt(1.0);
    let pre = net.spike_source_array("pre", vec![vec![0.0]])?;
    // The post side is a SpikeSourceArray too, as in the notebook: the
    // spikes' increments of g_exc are dropped, their plasticity runs.
    let post = net.spike_source_array("post", vec![vec![50.0]])?;
    let proj = net
        .projection(pre, post, "exc")
        .synapse(&stdp)
        .connect_all_to_all(1.0)?;
    let spikes = net.monitor(pre, &["spike"])?;
    let post_spikes = net.monitor(post, &["spike"])?;
    let mut sim = net.compile(backend)?;
    println!("engine: {:?}", sim.backend());

    // The notebook's order, pre at 100 ms down to 0 ms; each trial starts
    // afresh, so every lag is measured against the spikes it really had
    // (read back from the monitors).
    let mut dw = vec![f64::NAN; 101];
    for t_pre in (0..=100).rev() {
        let start = sim.time();
        let first = sim.current_step();
        sim.set_spike_times(pre, vec![vec![start + f64::from(t_pre)]])?;
        sim.set_spike_times(post, vec![vec![start + 50.0]])?;
        sim.set_synapses(proj, "x", &[0.0])?;
        sim.set_synapses(proj, "y", &[0.0])?;
        let before = sim.synapses(proj, "w")?.2[0];
        sim.simulate(105.0)?;
        let after = sim.synapses(proj, "w")?.2[0];
        let in_trial = |s: Vec<(u64, u32)>| -> Vec<i64> {
            s.iter()
                .filter(|&&(k, _)| k >= first)
                .map(|&(k, _)| (k - first) as i64)
                .collect()
        };
        let (p, q) = (
            in_trial(sim.spikes(spikes)?),
            in_trial(sim.spikes(post_spikes)?),
        );
        if let ([p], [q]) = (p.as_slice(), q.as_slice()) {
            dw[(p - q + 50) as usize] = f64::from(after - before);
        }
    }
    common::timings(&sim);

    println!(
        "{:<28} {:>12}   ANNarchy 5.0.4.1",
        "lag pre - post (ms)", "cajal dw"
    );
    for lag in [-50i32, -20, -10, -2, -1, 0, 1, 2, 10, 20, 50] {
        let k = (lag + 50) as usize;
        println!("{lag:<28} {:>12.6}   {:.6}", dw[k], ANNARCHY_DW[k]);
    }
    let worst = dw
        .iter()
        .zip(ANNARCHY_DW)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    let measured = dw.iter().filter(|x| !x.is_nan()).count();
    println!("largest difference over the {measured} of 101 lags measured: {worst:.2e}");
    Ok(())
}

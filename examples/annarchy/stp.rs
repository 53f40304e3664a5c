//! ANNarchy's STP notebook (Tsodyks, Uziel & Markram 2000): 400
//! excitatory and 100 inhibitory LIF neurons with slightly different
//! constant inputs, connected at random (p = 0.1) through the
//! Tsodyks-Markram short-term plasticity synapse: depressing between
//! excitatory neurons and onto them from the inhibitory ones, facilitating
//! onto the inhibitory neurons, with weights, U, tau_rec and tau_facil
//! drawn per synapse. The network fires in population bursts. dt = 0.25
//! ms, 10 s.
//!
//! Everything is drawn at random, so the example runs several seeds and
//! prints the mean rates, the spread of the excitatory rates (the
//! notebook's rate histogram) and the population bursts (its 1 ms
//! spike-count histogram) beside ANNarchy 5.0.4.1's mean and range over
//! its seeds (`tests/data/annarchy/notebooks/stp`). The largest 1 ms bin
//! is the first population burst's, which depends on where the
//! facilitating synapses' `u` (init 0.1, U = 0.04, tau_facil = 1 s) stands
//! at their first spike: as in ANNarchy 5.0.4.1, event-driven variables
//! relax from a last-event clock started at step -10000, so `u` is about U
//! there.
//!
//! `cargo run --release --example nb_stp [cpu|gpu|auto] [SEEDS]` (5 seeds
//! by default).

#[path = "common.rs"]
mod common;

use cajal::prelude::*;
use rand::rngs::StdRng;
use rand::SeedableRng;

/// ANNarchy 5.0.4.1, seeds 1..=5, `(mean, min, max)`
/// (tests/data/annarchy/notebooks/stp/stp.json, "summary").
const ANNARCHY: [(&str, (f64, f64, f64)); 5] = [
    ("exc rate (Hz)", (4.705, 4.3925, 5.4052)),
    ("inh rate (Hz)", (16.7204, 15.569, 18.322)),
    (
        "sd of the exc neurons' rates (Hz)",
        (4.4955, 4.1722, 4.7434),
    ),
    ("bursts per s (> 40 exc spikes in 1 ms)", (1.2, 1.0, 1.4)),
    ("max exc spikes in 1 ms", (144.2, 118.0, 158.0)),
];

const DT: f64 = 0.25;
const DURATION: f64 = 10000.0;

fn main() -> cajal::Result<()> {
    let backend = common::backend();
    let seeds = common::seeds(5);
    let lif = Neuron::spiking()
        .name("LIF")
        .parameters(
            "tau = 30.0 : population
             I = 15.0
             tau_I = 3.0 : population",
        )
        .equations(
            "tau * dv/dt = -v + g_exc - g_inh + I : init=13.5

             tau_I * dg_exc/dt = -g_exc
             tau_I * dg_inh/dt = -g_inh",
        )
        .spike("v > 15.0")
        .reset("v = 13.5")
        .refractory(3.0);
    let stp = Synapse::new()
        .name("STP")
        .parameters(
            "tau_rec = 1.0
             tau_facil = 1.0
             U = 0.1",
        )
        .equations(
            "dx/dt = (1 - x)/tau_rec : init = 1.0, event-driven
             du/dt = (U - u)/tau_facil : init = 0.1, event-driven",
        )
        .pre_spike(
            "g_target += w * u * x
             x *= (1 - u)
             u += U * (1 - u)",
        );
    // (amplitude, U and its bounds, tau_rec, tau_facil: None = dt) per
    // projection, as the notebook.
    type Params = (f64, (f64, f64, f64), f64, Option<f64>);
    let ee: Params = (1.8, (0.5, 0.1, 0.9), 800.0, None);
    let ei: Params = (5.4, (0.5, 0.1, 0.9), 800.0, None);
    let ie: Params = (7.2, (0.04, 0.001, 0.07), 100.0, Some(1000.0));
    let ii: Params = (7.2, (0.04, 0.001, 0.07), 100.0, Some(1000.0));

    let mut per_seed: Vec<[f64; 5]> = Vec::new();
    for seed in 1..=seeds {
        let mut net = Network::new().dt(DT).seed(seed);
        let p = net.population("P", 500, &lif)?;
        let mut rng = StdRng::seed_from_u64(seed);
        // The notebook sorts the input currents: the last neurons, the
        // inhibitory ones, get the strongest.
        let mut i_ext = Dist::uniform(14.625, 15.375).sample(&mut rng, 500, "I")?;
        i_ext.sort_by(f32::total_cmp);
        net.set(p, "I", i_ext)?;
        net.set(p, "v", Dist::uniform(0.0, 15.0))?;
        let exc = net.slice(p, 0..400)?;
        let inh = net.slice(p, 400..500)?;
        let mut projs = Vec::new();
        for (pre, post, target, params) in [
            (&exc, &exc, "exc", ee),
            (&inh, &exc, "inh", ei),
            (&exc, &inh, "exc", ie),
            (&inh, &inh, "inh", ii),
        ] {
            let a = params.0;
            let w = Dist::normal(a, a / 2.0).min(0.2 * a).max(2.0 * a);
            let proj = net
                .projection(pre, post, target)
                .synapse(&stp)
                .connect_fixed_probability(0.1, w)?;
            projs.push((proj, params));
        }
        let m = net.monitor(p, &["spike"])?;
        let mut sim = net.compile(backend)?;
        if seed == 1 {
            println!("engine: {:?}", sim.backend());
        }
        for (proj, (_, (u, lo, hi), tau_rec, tau_facil)) in projs {
            let n = sim.synapses(proj, "w")?.2.len();
            let draw = |d: Dist, rng: &mut StdRng| d.sample(rng, n, "STP");
            sim.set_synapses(
                proj,
                "U",
                &draw(Dist::normal(u, u / 2.0).min(lo).max(hi), &mut rng)?,
            )?;
            let rec = Dist::normal(tau_rec, tau_rec / 2.0).min(5.0);
            sim.set_synapses(proj, "tau_rec", &draw(rec, &mut rng)?)?;
            // tau_facil = dt: no facilitation ("cannot be 0!").
            let facil = match tau_facil {
                None => vec![DT as f32; n],
                Some(t) => draw(Dist::normal(t, t / 2.0).min(5.0), &mut rng)?,
            };
            sim.set_synapses(proj, "tau_facil", &facil)?;
        }
        sim.simulate(DURATION)?;
        common::timings(&sim);

        let spikes = sim.spikes(m)?;
        let mut counts = vec![0usize; 500];
        let mut per_ms = vec![0usize; DURATION as usize];
        for &(step, i) in &spikes {
            counts[i as usize] += 1;
            if i < 400 {
                per_ms[(step as f64 * DT) as usize] += 1;
            }
        }
        let secs = DURATION / 1000.0;
        let rates: Vec<f64> = counts[..400].iter().map(|&c| c as f64 / secs).collect();
        let mean = rates.iter().sum::<f64>() / 400.0;
        let sd = (rates.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / 400.0).sqrt();
        let above: Vec<bool> = per_ms.iter().map(|&n| n > 40).collect();
        let bursts = usize::from(above[0]) + above.windows(2).filter(|w| w[1] && !w[0]).count();
        per_seed.push([
            mean,
            counts[400..].iter().sum::<usize>() as f64 / 100.0 / secs,
            sd,
            bursts as f64 / secs,
            *per_ms.iter().max().unwrap() as f64,
        ]);
    }
    common::spread_table(&format!("{seeds} seeds"), &ANNARCHY, &per_seed);
    Ok(())
}

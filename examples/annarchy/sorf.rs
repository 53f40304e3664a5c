//! ANNarchy's "Homeostatic STDP: SORF" notebook (Carlson et al. 2013): two
//! 32x32 Poisson populations (On and Off) show the positive and negative
//! halves of a sine grating to two 32x32 layers of Izhikevich RS neurons
//! (AMPA + NMDA, one-to-one), which project all-to-all through a
//! homeostatic STDP rule (`post.r` of `compute_firing_rate(10 s)`, towards
//! 10 Hz) onto 4 excitatory neurons; these drive 4 inhibitory neurons
//! through the same rule with an anti-Hebbian STDP and a 75 Hz target, and
//! the inhibitory neurons inhibit them back (GABA-A + GABA-B). Each grating
//! (40 orientations) is shown for 2 s at 28 Hz, then 0.5 s at 1 Hz. The
//! model strings and the network are the notebook's.
//!
//! The protocol is shortened: the notebook runs 20 epochs of the 40
//! gratings (2000 s); this runs 4 (400 s), and each epoch shows the
//! gratings in a fixed order written below (the notebook shuffles them
//! with Python's random), the same as ANNarchy's reference script's.
//!
//! Prints, for each side's seeds, the mean r of the excitatory and
//! inhibitory neurons over the run and over the last epoch, the mean
//! firing rates of the four populations, the mean final weights of the
//! three plastic projections and an orientation selectivity (each
//! excitatory neuron's best correlation of its final On weights with the
//! 40 gratings' On halves), beside ANNarchy 5.0.4.1's
//! (tests/data/annarchy/notebooks/sorf).
//!
//! `cargo run --release --example nb_sorf [cpu|gpu|auto] [SEEDS] [GRATINGS]`
//! (3 seeds and the 160 gratings of 4 epochs by default; fewer gratings
//! make a quick run that is not comparable with ANNarchy's numbers).

#[path = "common.rs"]
mod common;

use cajal::prelude::*;
use std::time::Instant;

/// ANNarchy 5.0.4.1, seeds 1, 2, 3, `(mean, min, max)`
/// (tests/data/annarchy/notebooks/sorf/sorf.json).
const ANNARCHY: [(&str, (f64, f64, f64)); 12] = [
    ("mean r exc (Hz)", (15.2481, 14.6312, 16.2320)),
    ("mean r inh (Hz)", (38.2941, 36.3693, 40.6138)),
    ("mean r exc, last epoch (Hz)", (9.9088, 9.3543, 10.8114)),
    ("mean r inh, last epoch (Hz)", (38.4036, 36.0919, 41.7085)),
    ("exc rate (Hz)", (15.3688, 14.7581, 16.3481)),
    ("inh rate (Hz)", (38.7660, 36.8200, 41.1094)),
    ("On buffer rate (Hz)", (6.1731, 6.1660, 6.1797)),
    ("Off buffer rate (Hz)", (6.1666, 6.1457, 6.1878)),
    ("mean final w On -> exc (x 1000)", (5.7227, 5.4694, 5.9731)),
    ("mean final w Off -> exc (x 1000)", (5.7175, 5.4840, 5.9822)),
    ("mean final w exc -> inh", (4.7389, 3.5124, 5.9747)),
    ("orientation selectivity", (0.3060, 0.2427, 0.3610)),
];

const SIZE: usize = 32;
const NB_NEURON: usize = 4;
const NB_STIM: usize = 40;
const FREQ: f64 = 1.2;
const MAX_FREQ: f32 = 28.0;
const T: f64 = 10000.0;

/// Each epoch's order of the gratings: Python's `random.Random(e).shuffle`
/// of `range(40)` for e = 1, 2, 3, 4, as in sorf.py.
const ORDERS: [[usize; NB_STIM]; 4] = [
    [
        23, 2, 11, 1, 37, 32, 5, 9, 17, 29, 34, 20, 38, 21, 27, 22, 10, 33, 18, 35, 39, 14, 26, 19,
        13, 12, 0, 15, 3, 6, 25, 24, 30, 28, 31, 7, 16, 4, 36, 8,
    ],
    [
        26, 4, 39, 27, 34, 15, 29, 9, 35, 31, 30, 25, 6, 28, 7, 22, 0, 1, 8, 24, 14, 17, 11, 33,
        36, 12, 20, 32, 37, 21, 18, 2, 13, 16, 19, 10, 23, 38, 5, 3,
    ],
    [
        5, 14, 18, 3, 26, 31, 27, 35, 13, 9, 2, 1, 10, 32, 11, 21, 16, 19, 28, 33, 20, 12, 25, 24,
        29, 39, 22, 6, 7, 17, 36, 38, 0, 4, 30, 23, 8, 34, 37, 15,
    ],
    [
        28, 27, 26, 39, 23, 38, 22, 14, 2, 18, 21, 32, 35, 10, 13, 0, 37, 20, 3, 33, 8, 11, 29, 16,
        7, 31, 24, 36, 34, 17, 12, 1, 4, 5, 9, 30, 25, 6, 19, 15,
    ],
];

fn rs_neuron() -> Neuron {
    Neuron::spiking()
        .name("RSNeuron")
        .parameters(
            "a = 0.02 : population
             b = 0.2 : population
             c = -65. : population
             d = 8. : population
             tau_ampa = 5. : population
             tau_nmda = 150. : population
             tau_gabaa = 6. : population
             tau_gabab = 150. : population
             vrev_ampa = 0.0 : population
             vrev_nmda = 0.0 : population
             vrev_gabaa = -70.0 : population
             vrev_gabab = -90.0 : population",
        )
        .equations(
            "# Inputs
             I = g_ampa * (vrev_ampa - v) + g_nmda * nmda(v, -80.0, 60.0) * (vrev_nmda -v) + g_gabaa * (vrev_gabaa - v) + g_gabab * (vrev_gabab -v)
             # Midpoint scheme
             dv/dt = (0.04 * v + 5.0) * v + 140.0 - u + I : init=-65., min=-90., midpoint
             du/dt = a * (b*v - u) : init=-13., midpoint
             # Conductances
             tau_ampa * dg_ampa/dt = -g_ampa : exponential
             tau_nmda * dg_nmda/dt = -g_nmda : exponential
             tau_gabaa * dg_gabaa/dt = -g_gabaa : exponential
             tau_gabab * dg_gabab/dt = -g_gabab : exponential",
        )
        .spike("v >= 30.")
        .reset(
            "v = c
             u += d
             g_ampa = 0.0
             g_nmda = 0.0
             g_gabaa = 0.0
             g_gabab = 0.0",
        )
        .functions("nmda(v, t, s) = ((v-t)/(s))^2 / (1.0 + ((v-t)/(s))^2)")
        .refractory(1.0)
}

fn homeo_stdp() -> Synapse {
    Synapse::new()
        .name("homeo_stdp")
        .parameters(
            "# STDP
             tau_plus  = 60. : projection
             tau_minus = 90. : projection
             A_plus  = 0.000045 : projection
             A_minus = 0.00003 : projection

             # Homeostatic regulation
             alpha = 0.1 : projection
             beta = 50.0 : projection # <- Difference with the original implementation
             gamma = 50.0 : projection
             Rtarget = 10. : projection
             T = 10000. : projection",
        )
        .equations(
            "# Homeostatic values
             R = post.r : postsynaptic
             K = R/(T*(1.+fabs(1. - R/Rtarget) * gamma)) : postsynaptic
             # Nearest-neighbour
             stdp = if t_post >= t_pre: ltp else: - ltd
             w += (alpha * w * (1- R/Rtarget) + beta * stdp ) * K : min=0.0, max=10.0
             # Traces
             tau_plus  * dltp/dt = -ltp : exponential
             tau_minus * dltd/dt = -ltd : exponential",
        )
        .pre_spike("g_target += w\nltp = A_plus")
        .post_spike("ltd = A_minus")
}

/// The notebook's `get_grating`: the positive and negative halves of a
/// sine grating of orientation `theta`, in rank order (row y, column x).
fn grating(theta: f64) -> (Vec<f32>, Vec<f32>) {
    let lin = |i: usize| -1.0 + 2.0 * i as f64 / (SIZE - 1) as f64;
    let (mut on, mut off) = (Vec::new(), Vec::new());
    for i in 0..SIZE {
        for j in 0..SIZE {
            let z =
                (2.0 * std::f64::consts::PI * (theta.cos() * lin(j) + theta.sin() * lin(i)) * FREQ)
                    .sin();
            on.push(z.max(0.0) as f32);
            off.push((-z).max(0.0) as f32);
        }
    }
    (on, off)
}

fn mean(x: impl IntoIterator<Item = f32>) -> f64 {
    let (s, n) = x
        .into_iter()
        .fold((0.0, 0usize), |(s, n), v| (s + f64::from(v), n + 1));
    s / n.max(1) as f64
}

fn correlation(a: &[f32], b: &[f32]) -> f64 {
    let (ma, mb) = (mean(a.iter().copied()), mean(b.iter().copied()));
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (f64::from(x) - ma, f64::from(y) - mb);
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    ab / (aa * bb).sqrt()
}

fn run(backend: Backend, seed: u64, gratings: usize) -> cajal::Result<[f64; 12]> {
    let t0 = Instant::now();
    let size = [SIZE, SIZE];
    let mut net = Network::new().dt(1.0).seed(seed);
    let rs = rs_neuron();
    let on_poiss = net.poisson_population("OnPoiss", size, 1.0, None)?;
    let off_poiss = net.poisson_population("OffPoiss", size, 1.0, None)?;
    let on_buffer = net.population("OnBuffer", size, &rs)?;
    let off_buffer = net.population("OffBuffer", size, &rs)?;
    net.projection(on_poiss, on_buffer, ["ampa", "nmda"])
        .connect_one_to_one(Dist::uniform(0.2, 0.6))?;
    net.projection(off_poiss, off_buffer, ["ampa", "nmda"])
        .connect_one_to_one(Dist::uniform(0.2, 0.6))?;
    let exc = net.population("Exc", NB_NEURON, &rs)?;
    let inh = net.population("Inh", NB_NEURON, &rs)?;
    net.compute_firing_rate(exc, T)?;
    net.compute_firing_rate(inh, T)?;
    let on_exc = net
        .projection(on_buffer, exc, ["ampa", "nmda"])
        .synapse(&homeo_stdp())
        .connect_all_to_all(Dist::uniform(0.004, 0.015))?;
    let off_exc = net
        .projection(off_buffer, exc, ["ampa", "nmda"])
        .synapse(&homeo_stdp())
        .connect_all_to_all(Dist::uniform(0.004, 0.015))?;
    let exc_inh = net
        .projection(exc, inh, ["ampa", "nmda"])
        .synapse(&homeo_stdp())
        .connect_all_to_all(Dist::uniform(0.116, 0.403))?;
    for (param, value) in [
        ("Rtarget", 75.0),
        ("tau_plus", 51.0),
        ("tau_minus", 78.0),
        ("A_plus", -0.000041),
        ("A_minus", -0.000015),
    ] {
        net.set_projection(exc_inh, param, value)?;
    }
    net.projection(inh, exc, ["gabaa", "gabab"])
        .connect_all_to_all(Dist::uniform(0.065, 0.259))?;
    let m_exc = net.monitor(exc, &["r"])?;
    let m_inh = net.monitor(inh, &["r"])?;
    let mut spikes = Vec::new();
    for (pop, n) in [
        (exc, NB_NEURON),
        (inh, NB_NEURON),
        (on_buffer, SIZE * SIZE),
        (off_buffer, SIZE * SIZE),
    ] {
        spikes.push((net.monitor(pop, &["spike"])?, n));
    }
    let mut sim = net.compile(backend)?;
    let built = t0.elapsed().as_secs_f64();

    let t1 = Instant::now();
    for &stim in ORDERS.iter().flatten().take(gratings) {
        let (on, off) = grating(std::f64::consts::PI * stim as f64 / NB_STIM as f64);
        sim.set(
            on_poiss,
            "rates",
            on.iter().map(|x| MAX_FREQ * x).collect::<Vec<_>>(),
        )?;
        sim.set(
            off_poiss,
            "rates",
            off.iter().map(|x| MAX_FREQ * x).collect::<Vec<_>>(),
        )?;
        sim.simulate(2000.0)?;
        sim.set(on_poiss, "rates", 1.0)?;
        sim.set(off_poiss, "rates", 1.0)?;
        sim.simulate(500.0)?;
    }
    println!(
        "seed {seed}: {:?}, built in {built:.1} s, {gratings} gratings simulated in {:.1} s",
        sim.backend(),
        t1.elapsed().as_secs_f64()
    );
    common::timings(&sim);

    let duration_s = gratings as f64 * 2.5;
    let last = (gratings.min(NB_STIM) as f64 * 2500.0) as usize;
    let r_exc = sim.recorded(m_exc, "r")?;
    let r_inh = sim.recorded(m_inh, "r")?;
    let tail = |r: &ndarray::Array2<f32>| {
        let n = r.nrows();
        mean(r.slice(ndarray::s![n - last.min(n).., ..]).iter().copied())
    };
    let mut rates = Vec::new();
    for &(m, n) in &spikes {
        rates.push(sim.spikes(m)?.len() as f64 / n as f64 / duration_s);
    }
    let w_on = sim.connectivity_matrix(on_exc, "w")?;
    let ons: Vec<Vec<f32>> = (0..NB_STIM)
        .map(|s| grating(std::f64::consts::PI * s as f64 / NB_STIM as f64).0)
        .collect();
    let selectivity = w_on
        .rows()
        .into_iter()
        .map(|w| {
            let w = w.to_vec();
            ons.iter()
                .map(|g| correlation(&w, g))
                .fold(f64::NEG_INFINITY, f64::max)
        })
        .sum::<f64>()
        / NB_NEURON as f64;
    Ok([
        mean(r_exc.iter().copied()),
        mean(r_inh.iter().copied()),
        tail(&r_exc),
        tail(&r_inh),
        rates[0],
        rates[1],
        rates[2],
        rates[3],
        1000.0 * mean(w_on.iter().copied()),
        1000.0 * mean(sim.synapses(off_exc, "w")?.2),
        mean(sim.synapses(exc_inh, "w")?.2),
        selectivity,
    ])
}

fn main() -> cajal::Result<()> {
    let backend = common::backend();
    let mut args = std::env::args().skip(2);
    let seeds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(3);
    let full = ORDERS.len() * NB_STIM;
    let gratings: usize = args
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(full)
        .min(full);
    let per_seed = (1..=seeds)
        .map(|seed| run(backend, seed, gratings))
        .collect::<cajal::Result<Vec<_>>>()?;
    common::spread_table(&format!("{seeds} seeds"), &ANNARCHY, &per_seed);
    if gratings != full {
        println!("(ANNarchy's runs show {full} gratings; this one {gratings})");
    }
    Ok(())
}

//! ANNarchy's BayesianOptimization notebook ("Hyperparameter
//! optimization"): which excitatory and inhibitory weights make the COBA
//! network (4000 LIF neurons, 2 % connectivity) fire at 30 Hz, each trial
//! logged to TensorBoard with the tensorboard extension's `Logger`.
//!
//! The notebook searches with hyperopt's Bayesian optimisation (TPE, 100
//! trials) over w_exc in [0.1, 1] and w_inh in [1, 10], the loss
//! `0.001 * (rate - 30)^2`, and logs each trial's parameters and metrics
//! with `logger.add_parameters`. cajal has no hyperopt: this example runs a
//! random search over the same ranges (the notebook's "random search"),
//! 20 trials from a fixed seed, and logs what the notebook logs plus, per
//! trial, the loss and rate as scalars, the neurons' rates as a histogram
//! and as an image, and the best trial's raster plot as a figure. It also
//! runs the notebook's two printed trials, its default weights and
//! hyperopt's best, beside the rates the notebook printed.
//!
//! `cargo run --release --example nb_bayesian_optimization [cpu|gpu|auto] [TRIALS]`,
//! then `tensorboard --logdir runs` (the HPARAMS tab compares the trials).

#[path = "common.rs"]
mod common;

use cajal::prelude::*;
use cajal::tensorboard::Logger;
use rand::{Rng, SeedableRng};
use std::time::Instant;

/// The notebook's printed trials (ANNarchy, its Python output): the
/// default weights and hyperopt's best after 100 trials, with the mean
/// rate (Hz) they gave.
const NOTEBOOK: [(&str, f64, f64, f64); 2] = [
    ("default weights", 0.6, 6.7, 21.389999999999997),
    (
        "hyperopt's best",
        0.8752658685269741,
        6.989948034837044,
        30.0295,
    ),
];

/// ANNarchy 5.0.4.1's COBA rate at the default weights over 10 seeds,
/// mean [min, max] (tests/data/annarchy/notebooks/coba/coba.json).
const ANNARCHY_COBA: (f64, f64, f64) = (21.4175, 20.4267, 22.4785);

fn coba() -> Neuron {
    Neuron::spiking()
        .name("COBA")
        .parameters(
            "El = -60.0          : population
             Vr = -60.0          : population
             Erev_exc = 0.0      : population
             Erev_inh = -80.0    : population
             Vt = -50.0          : population
             tau = 20.0          : population
             tau_exc = 5.0       : population
             tau_inh = 10.0      : population
             I = 20.0            : population",
        )
        .equations(
            "tau * dv/dt = (El - v) + g_exc * (Erev_exc - v) + g_inh * (Erev_inh - v ) + I

             tau_exc * dg_exc/dt = - g_exc
             tau_inh * dg_inh/dt = - g_inh",
        )
        .spike("v > Vt")
        .reset("v = Vr")
        .refractory(5.0)
}

/// One trial's outcome.
struct Trial {
    rate: f64,
    loss: f64,
    spikes: Vec<(u64, u32)>,
}

fn main() -> cajal::Result<()> {
    let backend = common::backend();
    let trials: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let t0 = Instant::now();
    let mut net = Network::new().dt(0.1).seed(1);
    let p = net.population("P", 4000, &coba())?;
    let pe = net.slice(p, 0..3200)?;
    let pi = net.slice(p, 3200..4000)?;
    net.set(p, "v", Dist::normal(-55.0, 5.0))?;
    net.set(p, "g_exc", Dist::normal(4.0, 1.5))?;
    net.set(p, "g_inh", Dist::normal(20.0, 12.0))?;
    let ce = net
        .projection(&pe, p, "exc")
        .connect_fixed_probability(0.02, 0.6)?;
    let ci = net
        .projection(&pi, p, "inh")
        .connect_fixed_probability(0.02, 6.7)?;
    let m = net.monitor(p, &["spike"])?;
    let mut sim = net.compile(backend)?;
    println!("engine: {:?}", sim.backend());

    // The notebook's trial(): reset, set the weights, 1 s, the mean rate
    // and the loss around 30 Hz.
    let mut trial = |w_exc: f64, w_inh: f64| -> cajal::Result<Trial> {
        sim.reset()?;
        sim.set_projection(ce, "w", w_exc)?;
        sim.set_projection(ci, "w", w_inh)?;
        sim.simulate(1000.0)?;
        let spikes = sim.spikes(m)?;
        let rate = cajal::analysis::mean_fr(&spikes, 4000, 1000.0)?;
        Ok(Trial {
            rate,
            loss: 0.001 * (rate - 30.0).powi(2),
            spikes,
        })
    };

    let mut logger = Logger::new()?;
    println!("Logging in {}", logger.logdir().display());

    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let mut best: Option<(f64, f64, Trial)> = None;
    for k in 0..trials {
        let (w_exc, w_inh) = (rng.random_range(0.1..1.0), rng.random_range(1.0..10.0));
        let t = trial(w_exc, w_inh)?;
        let step = Some(k as i64);
        // What the notebook logs, then per trial what a search is watched by.
        logger.add_parameters(
            &[("w_exc", w_exc.into()), ("w_inh", w_inh.into())],
            &[("loss", t.loss), ("firing_rate", t.rate)],
        )?;
        logger.add_scalar("search/loss", t.loss, step)?;
        logger.add_scalar("search/firing_rate", t.rate, step)?;
        let mut per_neuron = vec![0f64; 4000];
        for &(_, i) in &t.spikes {
            per_neuron[i as usize] += 1.0;
        }
        logger.add_histogram("rates/neurons (Hz)", per_neuron.iter().copied(), step)?;
        let map = ndarray::Array2::from_shape_fn((40, 100), |(i, j)| per_neuron[i * 100 + j]);
        logger.add_image("rates/map", &map, step, true)?;
        println!(
            "trial {k:>2}: w_exc {w_exc:.4}, w_inh {w_inh:.4} -> {:>7.3} Hz, loss {:.5}",
            t.rate, t.loss
        );
        if best.as_ref().is_none_or(|b| t.loss < b.2.loss) {
            best = Some((w_exc, w_inh, t));
        }
        let best_loss = best.as_ref().map_or(f64::NAN, |b| b.2.loss);
        logger.add_scalar("search/best_loss", best_loss, step)?;
    }
    if let Some((w_exc, w_inh, t)) = &best {
        println!(
            "\nbest of {trials}: w_exc {w_exc:.4}, w_inh {w_inh:.4}: {:.3} Hz, loss {:.6}",
            t.rate, t.loss
        );
        let raster = cajal::plot::raster_pixels(
            &[cajal::plot::Group {
                name: "P",
                size: 4000,
                spikes: &t.spikes,
            }],
            0.1,
            1000.0,
            &format!(
                "best trial: w_exc {w_exc:.3}, w_inh {w_inh:.3}, {:.1} Hz",
                t.rate
            ),
        )?;
        logger.add_figure("best/raster", &raster, None)?;
    }

    println!(
        "\n{:<20} {:>8} {:>8} {:>12}   ANNarchy (notebook)",
        "trial", "w_exc", "w_inh", "cajal (Hz)"
    );
    for (what, w_exc, w_inh, annarchy) in NOTEBOOK {
        let t = trial(w_exc, w_inh)?;
        println!(
            "{what:<20} {w_exc:>8.4} {w_inh:>8.4} {:>12.3}   {annarchy:.3}",
            t.rate
        );
    }
    let (mean, lo, hi) = ANNARCHY_COBA;
    println!(
        "(ANNarchy 5.0.4.1 at the default weights, 10 seeds: {mean:.2} Hz [{lo:.2} .. {hi:.2}])"
    );
    logger.close()?;
    println!(
        "\n{} trials in {:.1} s; see them with: tensorboard --logdir runs",
        trials + 2,
        t0.elapsed().as_secs_f64()
    );
    common::timings(&sim);
    Ok(())
}

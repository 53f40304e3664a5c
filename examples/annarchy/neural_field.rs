//! ANNarchy's Neural field notebook (Rougier & Vitay 2005): a 20x20 input
//! (`InputArray`) feeds a 20x20 field of rate neurons `tau * dr/dt + r =
//! sum(exc) + sum(inh) + Uniform(-0.5, 0.5)`, r clipped to [0, 1], one to
//! one (w = 1, delay 20 ms), with difference-of-Gaussians lateral
//! connections (amp_pos 0.2, sigma_pos 0.1, amp_neg 0.1, sigma_neg 0.7).
//! A Gaussian bubble plus uniform noise, set from the host at every step,
//! turns once around a circle in 1000 steps (dt = 1 ms); the field keeps a
//! single bubble of activity that follows it. The notebook's first (tight)
//! loop; its later cells replay it for an animation.
//!
//! Noise is everywhere, so the example runs several seeds and prints the
//! field's activity and how far its centre of mass stays from the input
//! bubble beside ANNarchy 5.0.4.1's mean and range over its seeds
//! (`tests/data/annarchy/notebooks/neural_field`). The distance depends on
//! the delay's exact lag: 20 steps for 20 ms at dt 1, as ANNarchy 5.0.4.1's
//! (this example found cajal one step short; see
//! `tests/annarchy/rate_delays.rs`).
//!
//! `cargo run --release --example nb_neural_field [cpu|gpu|auto] [SEEDS]`
//! (5 seeds by default).

#[path = "common.rs"]
mod common;

use cajal::prelude::*;
use ndarray::{Array2, ArrayView2};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// ANNarchy 5.0.4.1, seeds 1..=5, `(mean, min, max)`
/// (tests/data/annarchy/notebooks/neural_field/neural_field.json, "summary").
const ANNARCHY: [(&str, (f64, f64, f64)); 5] = [
    ("mean r, last 500 ms", (0.0342, 0.0341, 0.0343)),
    ("max r, mean over the last 500 ms", (1.0, 0.9999, 1.0)),
    (
        "neurons with r > 0.5, last 500 ms",
        (12.8488, 12.69, 12.944),
    ),
    (
        "distance field - bubble centre (cells)",
        (0.6203, 0.6086, 0.6383),
    ),
    ("neurons with r > 0.5 at the end", (12.8, 12.0, 13.0)),
];

const N: usize = 20;
const T: usize = 1000;

/// The notebook's unnormalised Gaussian bubble at `angle` (turns) and its
/// centre (x = column, y = row).
fn gaussian(angle: f64) -> (Array2<f32>, f64, f64) {
    let n = N as f64;
    let cx = n / 2.0 * (1.0 + 0.5 * (2.0 * std::f64::consts::PI * angle).cos());
    let cy = n / 2.0 * (1.0 + 0.5 * (2.0 * std::f64::consts::PI * angle).sin());
    let bubble = Array2::from_shape_fn((N, N), |(y, x)| {
        (-((x as f64 - cx).powi(2) + (y as f64 - cy).powi(2)) / 8.0).exp() as f32
    });
    (bubble, cx, cy)
}

/// Centre of mass (x, y) of an activity map.
fn centre(r: ArrayView2<f32>) -> (f64, f64) {
    let (mut s, mut sx, mut sy) = (0.0, 0.0, 0.0);
    for ((y, x), &v) in r.indexed_iter() {
        let v = f64::from(v);
        s += v;
        sx += v * x as f64;
        sy += v * y as f64;
    }
    (sx / s, sy / s)
}

fn main() -> cajal::Result<()> {
    let backend = common::backend();
    let seeds = common::seeds(5);
    let neural_field_neuron = Neuron::rate()
        .name("NeuralFieldNeuron")
        .parameters("tau = 10.0")
        .equations("tau * dr/dt + r = sum(exc) + sum(inh) + Uniform(-0.5, 0.5) : min=0.0, max=1.0");
    let mut per_seed: Vec<[f64; 5]> = Vec::new();
    for seed in 1..=seeds {
        let mut net = Network::new().dt(1.0).seed(seed);
        let inp = net.input_array("Input", (N, N))?;
        let pop = net.population("Focus", (N, N), &neural_field_neuron)?;
        net.projection(inp, pop, "exc")
            .delays(20.0)
            .connect_one_to_one(1.0)?;
        // ANNarchy's dog() keeps weights above limit = 0.01 of the peak.
        net.projection(pop, pop, "inh")
            .connect_dog(0.2, 0.1, 0.1, 0.7, 0.01)?;
        let m = net.monitor(pop, &["r"])?;
        let mut sim = net.compile(backend)?;
        if seed == 1 {
            println!("engine: {:?}", sim.backend());
        }
        // The notebook adds numpy's noise to the bubble on the host.
        let mut rng = StdRng::seed_from_u64(seed);
        let mut centres = Vec::with_capacity(T);
        let mut angle = 0.0;
        for _ in 0..T {
            angle += 1.0 / T as f64;
            let (bubble, cx, cy) = gaussian(angle);
            let noisy = bubble.mapv(|b| b + rng.random_range(-0.5f32..0.5));
            sim.set(inp, "r", noisy)?;
            centres.push((cx, cy));
            sim.step()?;
        }
        common::timings(&sim);
        let r = sim.recorded(m, "r")?;
        let map = |k: usize| r.row(k).into_shape_with_order((N, N)).unwrap();
        // The field follows the bubble 20 ms (the delay) late.
        let dists: Vec<f64> = (200..T)
            .map(|k| {
                let (fx, fy) = centre(map(k));
                let (cx, cy) = centres[k - 20];
                (fx - cx).hypot(fy - cy)
            })
            .collect();
        let late = r.slice(ndarray::s![500.., ..]);
        let rows = late.nrows() as f64;
        per_seed.push([
            late.iter().map(|&v| f64::from(v)).sum::<f64>() / late.len() as f64,
            late.rows()
                .into_iter()
                .map(|row| f64::from(row.iter().copied().fold(0.0, f32::max)))
                .sum::<f64>()
                / rows,
            late.iter().filter(|&&v| v > 0.5).count() as f64 / rows,
            dists.iter().sum::<f64>() / dists.len() as f64,
            r.row(T - 1).iter().filter(|&&v| v > 0.5).count() as f64,
        ]);
    }
    common::spread_table(&format!("{seeds} seeds"), &ANNARCHY, &per_seed);
    Ok(())
}

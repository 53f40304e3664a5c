//! The bar learning problem (Földiák 1990), as ANNarchy's BarLearning
//! notebook: 8x8 images made of horizontal and vertical bars, each of the 16
//! present with probability 1/8, feed 32 leaky rate neurons
//! (`tau * dr/dt + r = sum(exc) - sum(inh)`, r >= 0) through all-to-all
//! Oja synapses; the same Oja rule, with a weaker decay (alpha = 0.3 instead
//! of 8), learns the lateral inhibition between the feature neurons. Each
//! trial sets a new image from the host and simulates 50 ms (dt = 1 ms).
//! Most feature neurons end up selective for a single bar.
//!
//! Prints each feature neuron's receptive field (8x8 feed-forward weights)
//! as ASCII art ('#' above half the neuron's maximum weight, '+' above a
//! quarter), how many became a single bar and how many of the 16 bars are
//! covered, and writes all 32 fields as one PNG grid.
//!
//! `cargo run --release --example bar_learning [cpu|gpu|auto] [TRIALS] [OUT.png] [SEED]`
//! (10000 trials by default, as the notebook; `bar_learning.png`; seed 42).

use cajal::prelude::*;
use ndarray::{Array2, ArrayView2};
use plotters::prelude::*;
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::time::Instant;

/// Side of the input image.
const N: usize = 8;
/// Feature neurons (the notebook's (8, 4) geometry).
const FEATURES: usize = 32;
/// A receptive field is a bar when the mean weight on its best row or
/// column is at least this many times the mean weight of every other row
/// and column (each counted over its pixels off the best line). Random
/// weights give about 1.2, two bars about 1, a learned bar 2 to 7 (the
/// other pixels keep a fifth to a third of the bar's weight: another bar
/// lights each of them with probability about 1/4 when the bar is there).
const BAR_RATIO: f32 = 2.0;

/// The mean of the pixels of line `l` (0..8 rows, 8..16 columns), leaving
/// out those of line `skip`.
fn line_mean(rf: ArrayView2<f32>, l: usize, skip: Option<usize>) -> f32 {
    let on = |l: usize, i: usize, j: usize| if l < N { i == l } else { j == l - N };
    let (mut s, mut n) = (0.0, 0);
    for ((i, j), &w) in rf.indexed_iter() {
        if on(l, i, j) && !skip.is_some_and(|k| on(k, i, j)) {
            s += w;
            n += 1;
        }
    }
    s / n as f32
}

/// The bar (0..8 row i, 8..16 column j) a receptive field is, if it is one.
fn bar_of(rf: ArrayView2<f32>) -> Option<usize> {
    let best = (0..2 * N)
        .max_by(|&a, &b| line_mean(rf, a, None).total_cmp(&line_mean(rf, b, None)))
        .unwrap();
    let top = line_mean(rf, best, None);
    let other = (0..2 * N)
        .filter(|&l| l != best)
        .map(|l| line_mean(rf, l, Some(best)))
        .fold(0.0, f32::max);
    (top > 0.0 && top >= BAR_RATIO * other).then_some(best)
}

fn bar_name(b: usize) -> String {
    if b < N {
        format!("row {b}")
    } else {
        format!("col {}", b - N)
    }
}

/// The receptive fields as a grid of 8 x 4 fields, each pixel a square of
/// `scale` pixels, grey levels scaled to each field's maximum.
fn write_png(
    path: &std::path::Path,
    fields: &[Array2<f32>],
) -> std::result::Result<(), Box<dyn std::error::Error>> {
    let (scale, gap, cols) = (8usize, 4usize, 8usize);
    let rows = fields.len().div_ceil(cols);
    let cell = N * scale + gap;
    let root = BitMapBackend::new(
        path,
        ((cols * cell + gap) as u32, (rows * cell + gap) as u32),
    )
    .into_drawing_area();
    root.fill(&RGBColor(96, 0, 0))?;
    for (k, rf) in fields.iter().enumerate() {
        let (x0, y0) = (gap + (k % cols) * cell, gap + (k / cols) * cell);
        let max = rf.iter().cloned().fold(f32::MIN_POSITIVE, f32::max);
        for ((i, j), &w) in rf.indexed_iter() {
            let g = (255.0 * (w / max).clamp(0.0, 1.0)) as u8;
            let (x, y) = ((x0 + j * scale) as i32, (y0 + i * scale) as i32);
            root.draw(&Rectangle::new(
                [(x, y), (x + scale as i32, y + scale as i32)],
                RGBColor(g, g, g).filled(),
            ))?;
        }
    }
    root.present()?;
    Ok(())
}

fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let backend = match args.next().as_deref() {
        Some("gpu") => Backend::Gpu,
        Some("auto") => Backend::Auto,
        _ => Backend::Cpu,
    };
    let trials: usize = args.next().map_or(Ok(10_000), |s| s.parse())?;
    let out = std::path::PathBuf::from(args.next().unwrap_or_else(|| "bar_learning.png".into()));
    let seed: u64 = args.next().map_or(Ok(42), |s| s.parse())?;

    let (net, b) = cajal::networks::bar_learning(seed)?;
    let (input, ff) = (b.input, b.feedforward);
    let mut sim = net.compile(backend)?;
    let mut rng = StdRng::seed_from_u64(seed);
    println!(
        "{trials} trials of 50 ms on {:?} (seed {seed})",
        sim.backend()
    );
    let t0 = Instant::now();
    for trial in 0..trials {
        sim.set(input, "r", cajal::networks::bar_image(&mut rng).into_dyn())?;
        sim.simulate(50.0)?;
        if (trial + 1) % (trials / 10).max(1) == 0 {
            let w = sim.connectivity_matrix(ff, "w")?;
            let n = (0..FEATURES)
                .filter(|&k| bar_of(w.row(k).into_shape_with_order((N, N)).unwrap()).is_some())
                .count();
            println!(
                "  trial {:>6}: {n:>2} bars ({:.1} s)",
                trial + 1,
                t0.elapsed().as_secs_f64()
            );
        }
    }
    let secs = t0.elapsed().as_secs_f64();

    let w = sim.connectivity_matrix(ff, "w")?;
    let fields: Vec<Array2<f32>> = (0..FEATURES)
        .map(|k| w.row(k).to_owned().into_shape_with_order((N, N)).unwrap())
        .collect();
    let found: Vec<Option<usize>> = fields.iter().map(|rf| bar_of(rf.view())).collect();
    // ASCII art, 8 fields a row.
    for chunk in (0..FEATURES).collect::<Vec<_>>().chunks(8) {
        println!();
        println!(
            "{}",
            chunk
                .iter()
                .map(|&k| format!(
                    "{:<9}",
                    format!(
                        "{k}:{}",
                        found[k].map_or("-".into(), bar_name).replace(' ', "")
                    )
                ))
                .collect::<Vec<_>>()
                .join(" ")
        );
        for i in 0..N {
            let line: Vec<String> = chunk
                .iter()
                .map(|&k| {
                    let rf = &fields[k];
                    let max = rf.iter().cloned().fold(f32::MIN_POSITIVE, f32::max);
                    let mut s: String = rf
                        .row(i)
                        .iter()
                        .map(|&v| {
                            if v > 0.5 * max {
                                '#'
                            } else if v > 0.25 * max {
                                '+'
                            } else {
                                '.'
                            }
                        })
                        .collect();
                    s.push(' ');
                    s
                })
                .collect();
            println!("{}", line.join(" "));
        }
    }
    let single = found.iter().flatten().count();
    let mut covered: Vec<usize> = found.iter().flatten().copied().collect();
    covered.sort_unstable();
    covered.dedup();
    println!();
    println!(
        "{single} of {FEATURES} feature neurons became a single bar \
         (best row/column mean >= {BAR_RATIO} x every other line's); \
         they cover {} of the 16 bars",
        covered.len()
    );
    println!("simulated {:.0} s in {secs:.1} s", trials as f64 * 0.05);
    write_png(&out, &fields)?;
    println!("wrote {}", out.display());
    Ok(())
}

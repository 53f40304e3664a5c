//! Few-spike conversion (`cajal::convert::few_spike`): a small ReLU network
//! (6 -> 8 -> 3, seeded random weights and biases) converted to a
//! few-spike SNN computes the ANN's outputs to within the k-step
//! quantisation, identically on both engines, and shape errors are clear.
//!
//! The bound: a sender with scale `alpha` floors its value to the step
//! `s = alpha 2^-k` (error in `[0, s)`) and sends nothing below 0; the ReLU
//! is 1-Lipschitz and a value the ANN keeps in range is never saturated by
//! more than its own error. So the input's error is below `e0 = s_in`, the
//! hidden activation `i`'s below `e1[i] = sum_j |W1[i, j]| e0 + s_hidden`,
//! and the output `o`'s (decoded exactly, not quantised) below
//! `sum_i |W2[o, i]| e1[i]`, plus f32 rounding.

use crate::common::{backends, tests};
use cajal::convert::{few_spike, Alpha, FewSpikeNet, Layer};
use cajal::prelude::*;
use ndarray::{Array1, Array2, Array4};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

tests! {
    cpu: [
        few_spike_shape_errors_are_clear,
    ],
    both: [
        few_spike_matches_the_ann_within_the_quantisation,
        few_spike_with_a_fixed_alpha,
        few_spike_convolutions,
    ],
}

const K: u32 = 10;
const N_IN: usize = 6;
const N_HIDDEN: usize = 8;
const N_OUT: usize = 3;
const EXAMPLES: usize = 20;

fn uniform(rng: &mut StdRng, shape: (usize, usize), lo: f32, hi: f32) -> Array2<f32> {
    Array2::from_shape_fn(shape, |_| rng.random_range(lo..hi))
}

/// The layers, and `[examples, inputs]` in [0, 1].
fn fixture() -> (Vec<Layer>, Array2<f32>) {
    let mut rng = StdRng::seed_from_u64(2021);
    let w1 = uniform(&mut rng, (N_HIDDEN, N_IN), -0.8, 0.8);
    let b1 = Array1::from_shape_fn(N_HIDDEN, |_| rng.random_range(-0.2..0.3f32));
    let w2 = uniform(&mut rng, (N_OUT, N_HIDDEN), -0.8, 0.8);
    let b2 = Array1::from_shape_fn(N_OUT, |_| rng.random_range(-0.2..0.2f32));
    let xs = uniform(&mut rng, (EXAMPLES, N_IN), 0.0, 1.0);
    (vec![Layer::dense(w1, b1), Layer::dense(w2, b2)], xs)
}

fn dense(layer: &Layer) -> (&Array2<f32>, &Array1<f32>) {
    match layer {
        Layer::Dense { w, b } => (w, b),
        _ => unreachable!(),
    }
}

/// `w a + b` in f64 (`a` flattened row-major), or `|w| a` with `abs`.
fn forward(layer: &Layer, a: &[f64], abs: bool) -> Vec<f64> {
    let wt = |w: f32| if abs { w.abs() as f64 } else { w as f64 };
    let bias = |b: f32| if abs { 0.0 } else { b as f64 };
    match layer {
        Layer::Dense { w, b } => w
            .outer_iter()
            .zip(b)
            .map(|(row, &bi)| {
                row.iter()
                    .zip(a)
                    .map(|(&wij, &aj)| wt(wij) * aj)
                    .sum::<f64>()
                    + bias(bi)
            })
            .collect(),
        // Zero padding, centred windows at s * y + (s - 1) / 2.
        Layer::Conv {
            w,
            b,
            input: (h, wd),
            stride,
        } => {
            let (nf, kh, kw, nc) = w.dim();
            let (h, wd, s) = (*h as i64, *wd as i64, *stride as i64);
            let mut out = Vec::new();
            for y in 0..h / s {
                for x in 0..wd / s {
                    for f in 0..nf {
                        let mut z = bias(b[f]);
                        for i in 0..kh {
                            for j in 0..kw {
                                let py = s * y + (s - 1) / 2 + i as i64 - kh as i64 / 2;
                                let px = s * x + (s - 1) / 2 + j as i64 - kw as i64 / 2;
                                if (0..h).contains(&py) && (0..wd).contains(&px) {
                                    for c in 0..nc {
                                        let r = ((py * wd + px) as usize) * nc + c;
                                        z += wt(w[[f, i, j, c]]) * a[r];
                                    }
                                }
                            }
                        }
                        out.push(z);
                    }
                }
            }
            out
        }
        _ => unreachable!(),
    }
}

/// The ANN: each hidden layer's activations (ReLU) and the outputs
/// (linear), in f64.
fn ann(layers: &[Layer], x: &[f32]) -> (Vec<Vec<f64>>, Vec<f64>) {
    let mut a: Vec<f64> = x.iter().map(|&v| v as f64).collect();
    let mut hidden = Vec::new();
    for l in &layers[..layers.len() - 1] {
        a = forward(l, &a, false)
            .into_iter()
            .map(|z| z.max(0.0))
            .collect();
        hidden.push(a.clone());
    }
    (hidden, forward(&layers[layers.len() - 1], &a, false))
}

/// The bound on each output's error (see the file's documentation):
/// `e_0 = s_in`, `e_l = |W_l| e_{l-1} + s_l`, outputs `|W_L| e_{L-1}`.
fn bound(layers: &[Layer], net: &FewSpikeNet) -> Vec<f64> {
    let step = |alpha: f32| alpha as f64 * 0.5f64.powi(K as i32);
    let mut e = vec![step(net.input_alpha); net.inputs()];
    for (l, layer) in layers.iter().enumerate() {
        e = forward(layer, &e, true);
        if l + 1 < layers.len() {
            let s = step(net.hidden_alpha[l]);
            e.iter_mut().for_each(|v| *v += s);
        }
    }
    e
}

/// Runs every example on every engine; checks the bound; returns the
/// outputs per engine and the largest error / bound.
fn check_against_ann(layers: &[Layer], xs: &Array2<f32>, net: &FewSpikeNet) -> Vec<Vec<f32>> {
    let bound = bound(layers, net);
    let n_out = bound.len();
    let top = 1.0 - 0.5f64.powi(K as i32);
    let mut per_engine = Vec::new();
    for b in backends() {
        let mut sim = net.compile(b).unwrap();
        let mut all = Vec::new();
        let (mut worst, mut worst_ratio) = (0.0f64, 0.0f64);
        for x in xs.outer_iter() {
            let x = x.to_vec();
            let (h, want) = ann(layers, &x);
            // The bound needs the ANN's values in range.
            assert!(x.iter().all(|&v| v as f64 <= net.input_alpha as f64 * top));
            for (h, &alpha) in h.iter().zip(&net.hidden_alpha) {
                assert!(h.iter().all(|&v| v <= alpha as f64 * top));
            }
            let got = net.run_one(&mut sim, &x).unwrap();
            assert_eq!(got.len(), n_out);
            for o in 0..n_out {
                let err = (got[o] as f64 - want[o]).abs();
                let tol = bound[o] + 1e-5 * (1.0 + want[o].abs());
                assert!(
                    err <= tol,
                    "{b:?}: output {o}: SNN {} vs ANN {} (error {err}, bound {})",
                    got[o],
                    want[o],
                    bound[o]
                );
                worst = worst.max(err);
                worst_ratio = worst_ratio.max(err / bound[o]);
            }
            all.extend(got);
        }
        eprintln!(
            "{b:?}: k = {K}, alpha in {} hidden {:?}: largest error {worst:.5}, \
             {worst_ratio:.3} of the bound (largest bound {:.5})",
            net.input_alpha,
            net.hidden_alpha,
            bound.iter().fold(0.0f64, |m, &v| m.max(v))
        );
        // Pipelined, one example a window: the same outputs, bit for bit.
        let piped = net.predict(&mut sim, xs.view()).unwrap();
        assert_eq!(piped.shape(), &[xs.nrows(), n_out]);
        assert_eq!(piped.iter().copied().collect::<Vec<_>>(), all, "{b:?}");
        // Batched, 3 examples a window (the last batch partial): the same
        // outputs (bit for bit on the CPU; the GPU's atomics add in any order).
        let mut batched = net.compile_batched(b, 3).unwrap();
        let got = net.predict(&mut batched, xs.view()).unwrap();
        assert_eq!(got.shape(), &[xs.nrows(), n_out]);
        for (g, w) in got.iter().zip(&all) {
            if b == Backend::Cpu {
                assert_eq!(g.to_bits(), w.to_bits(), "{b:?} batched");
            } else {
                assert!(
                    (g - w).abs() <= 1e-5 * (1.0 + w.abs()),
                    "{b:?} batched: {g} vs {w}"
                );
            }
        }
        per_engine.push(all);
    }
    // The same outputs on both engines, to the order in which the GPU's
    // atomics add a step's spikes (which a real GPU varies).
    for other in &per_engine[1..] {
        for (g, w) in other.iter().zip(&per_engine[0]) {
            assert!(
                (g - w).abs() <= 1e-5 * (1.0 + w.abs()),
                "the engines disagree: {g} vs {w}"
            );
        }
    }
    per_engine
}

fn few_spike_matches_the_ann_within_the_quantisation() {
    let (layers, xs) = fixture();
    let net = few_spike(&layers, K, Alpha::Data(xs.view())).unwrap();
    assert_eq!(net.k, K);
    assert_eq!(net.depth, 2);
    assert_eq!(net.steps_per_example, 2 * K as u64 + 1);
    assert_eq!(net.hidden.len(), 1);
    assert_eq!(net.inputs(), N_IN);
    assert!(net.bias.iter().all(Option::is_some));
    // ml_genn's data-based alpha: the largest input / activation seen,
    // divided by 1 - 2^-k (the smallest f32 at least that).
    let top = 1.0 - 0.5f64.powi(K as i32);
    let max_x = xs.iter().fold(0.0f32, |m, &v| m.max(v)) as f64;
    let smallest_above = |alpha: f32, m: f64| {
        let below = f32::from_bits(alpha.to_bits() - 1);
        alpha as f64 * top >= m && (below as f64) * top < m
    };
    assert!(smallest_above(net.input_alpha, max_x));
    let max_h = xs
        .outer_iter()
        .flat_map(|x| ann(&layers, &x.to_vec()).0.concat())
        .fold(0.0f64, f64::max);
    assert!(smallest_above(net.hidden_alpha[0], max_h));
    let outs = check_against_ann(&layers, &xs, &net);
    // Not all trivial: the outputs vary.
    assert!(outs[0].iter().any(|&v| v > 0.1) && outs[0].iter().any(|&v| v < -0.1));
}

fn few_spike_with_a_fixed_alpha() {
    let (layers, xs) = fixture();
    let net = few_spike(&layers, K, Alpha::Fixed(4.0)).unwrap();
    assert_eq!(net.input_alpha, 4.0);
    assert_eq!(net.hidden_alpha, vec![4.0]);
    check_against_ann(&layers, &xs, &net);
    // Per layer, and without biases: no bias neurons.
    let unbiased: Vec<Layer> = layers
        .iter()
        .map(|l| {
            let (w, b) = dense(l);
            Layer::dense(w.clone(), Array1::zeros(b.len()))
        })
        .collect();
    let net = few_spike(
        &unbiased,
        K,
        Alpha::PerLayer {
            input: 1.5,
            hidden: &[3.0],
        },
    )
    .unwrap();
    assert!(net.bias.iter().all(Option::is_none));
    assert_eq!(net.hidden_alpha, vec![3.0]);
    check_against_ann(&unbiased, &xs, &net);
}

fn few_spike_shape_errors_are_clear() {
    let (layers, xs) = fixture();
    let (w1, b1) = dense(&layers[0]);
    let (w2, b2) = dense(&layers[1]);
    let err = |layers: &[Layer], alpha: Alpha| few_spike(layers, K, alpha).unwrap_err().to_string();
    // The second layer takes 7 inputs, the first gives 8.
    let bad = [
        Layer::dense(w1.clone(), b1.clone()),
        Layer::dense(Array2::zeros((3, 7)), b2.clone()),
    ];
    let e = err(&bad, Alpha::Fixed(1.0));
    assert!(e.contains("shape mismatch") && e.contains("layer 1"), "{e}");
    assert!(e.contains("take 7 inputs") && e.contains("gives 8"), "{e}");
    // Biases not [out].
    let bad = [
        Layer::dense(w1.clone(), Array1::zeros(5)),
        Layer::dense(w2.clone(), b2.clone()),
    ];
    let e = err(&bad, Alpha::Fixed(1.0));
    assert!(e.contains("layer 0: 5 biases for 8 outputs"), "{e}");
    // No layers.
    let e = err(&[], Alpha::Fixed(1.0));
    assert!(e.contains("no layers"), "{e}");
    // Alphas: one per hidden layer; positive.
    let e = err(
        &layers,
        Alpha::PerLayer {
            input: 1.0,
            hidden: &[1.0, 2.0],
        },
    );
    assert!(e.contains("2 hidden alphas for 1 hidden layers"), "{e}");
    let e = err(&layers, Alpha::Fixed(0.0));
    assert!(e.contains("alpha") && e.contains("positive"), "{e}");
    // Data of the wrong width.
    let e = err(&layers, Alpha::Data(Array2::<f32>::zeros((4, 5)).view()));
    assert!(e.contains("[examples, 6]") && e.contains("[4, 5]"), "{e}");
    // k out of range.
    let e = few_spike(&layers, 0, Alpha::Fixed(1.0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("k = 0"), "{e}");
    // An example of the wrong length.
    let net = few_spike(&layers, K, Alpha::Data(xs.view())).unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    let e = net.run_one(&mut sim, &[0.5; 4]).unwrap_err().to_string();
    assert!(e.contains("4 values for 6 inputs"), "{e}");
}

fn few_spike_convolutions() {
    // [6, 6, 2] -> conv 3x3, 3 filters -> [6, 6, 3] -> conv 3x3 stride 2,
    // 4 filters -> [3, 3, 4] -> dense 36 -> 3.
    let mut rng = StdRng::seed_from_u64(7);
    let mut filters = |shape: (usize, usize, usize, usize), scale: f32| {
        Array4::from_shape_fn(shape, |_| rng.random_range(-scale..scale))
    };
    let c1 = filters((3, 3, 3, 2), 0.4);
    let c2 = filters((4, 3, 3, 3), 0.3);
    let mut rng = StdRng::seed_from_u64(8);
    let w3 = uniform(&mut rng, (3, 36), -0.5, 0.5);
    let layers = vec![
        Layer::conv(c1, Array1::from_vec(vec![0.1, -0.05, 0.0]), (6, 6), 1),
        Layer::conv(c2, Array1::from_vec(vec![0.0, 0.05, -0.1, 0.02]), (6, 6), 2),
        Layer::dense(w3, Array1::from_vec(vec![0.1, 0.0, -0.1])),
    ];
    let xs = uniform(&mut rng, (EXAMPLES, 72), 0.0, 1.0);
    let net = few_spike(&layers, K, Alpha::Data(xs.view())).unwrap();
    assert_eq!(net.depth, 3);
    assert_eq!(net.steps_per_example, 3 * K as u64 + 1);
    assert_eq!(net.inputs(), 72);
    let outs = check_against_ann(&layers, &xs, &net);
    assert!(outs[0].iter().any(|&v| v.abs() > 0.1));
    // A convolution must read the previous layer's [h, w, c].
    let bad = [
        layers[0].clone(),
        Layer::conv(Array4::zeros((4, 3, 3, 2)), Array1::zeros(4), (6, 6), 2),
    ];
    let e = few_spike(&bad, K, Alpha::Fixed(1.0))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("reads [6, 6, 2]") && e.contains("gives [6, 6, 3]"),
        "{e}"
    );
    let bad = [Layer::conv(
        Array4::zeros((4, 3, 3, 2)),
        Array1::zeros(4),
        (6, 6),
        4,
    )];
    let e = few_spike(&bad, K, Alpha::Fixed(1.0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("stride 4 must divide"), "{e}");
}

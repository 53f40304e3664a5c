//! A small trainer for bias-free ReLU networks of [`Layer`]s (dense,
//! convolution with "same" padding and stride 1, pooling), as ANNarchy's
//! ANN-to-SNN conversion wants them (Keras' `use_bias=False`): softmax
//! cross-entropy, minibatch Adam, on the CPU. It stands in for the
//! notebooks' Keras training, for the example and the tests.
#![allow(dead_code)]

use cajal::convert::{ann_forward, Layer, PoolOp};
use ndarray::{Array1, Array2, Array4, ArrayView2};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use super::ann;

// ("same", stride 1) and pooling layers: softmax cross-entropy, Adam.

/// Each layer's output for one example (ReLU after every layer but pooling
/// and the last), the input first.
pub fn forward(layers: &[Layer], x: &[f32]) -> Vec<Vec<f32>> {
    let x64: Vec<f64> = x.iter().map(|&v| v as f64).collect();
    let mut acts = vec![x.to_vec()];
    for a in ann_forward(layers, &x64) {
        acts.push(a.into_iter().map(|v| v as f32).collect());
    }
    acts
}

/// Gradients of each layer's weights (flattened as stored) for one
/// example, given d(loss)/d(last output).
pub fn backward(layers: &[Layer], acts: &[Vec<f32>], mut g: Vec<f32>) -> Vec<Vec<f32>> {
    let mut grads = vec![Vec::new(); layers.len()];
    for l in (0..layers.len()).rev() {
        let (a_in, a_out) = (&acts[l], &acts[l + 1]);
        if l + 1 < layers.len() && !matches!(layers[l], Layer::Pool { .. }) {
            for (gi, &o) in g.iter_mut().zip(a_out) {
                if o <= 0.0 {
                    *gi = 0.0;
                }
            }
        }
        let mut g_in = vec![0.0f32; a_in.len()];
        match &layers[l] {
            Layer::Dense { w, .. } => {
                let mut gw = vec![0.0f32; w.len()];
                let n_in = w.ncols();
                for (o, &go) in g.iter().enumerate() {
                    if go == 0.0 {
                        continue;
                    }
                    for i in 0..n_in {
                        gw[o * n_in + i] += go * a_in[i];
                        g_in[i] += go * w[[o, i]];
                    }
                }
                grads[l] = gw;
            }
            Layer::Conv {
                w, input: (h, wd), ..
            } => {
                let (nf, kh, kw, c) = w.dim();
                let mut gw = vec![0.0f32; w.len()];
                for y in 0..*h {
                    for x in 0..*wd {
                        for f in 0..nf {
                            let go = g[(y * wd + x) * nf + f];
                            if go == 0.0 {
                                continue;
                            }
                            for i in 0..kh {
                                let py = (y + i) as i64 - (kh / 2) as i64;
                                if py < 0 || py >= *h as i64 {
                                    continue;
                                }
                                for j in 0..kw {
                                    let px = (x + j) as i64 - (kw / 2) as i64;
                                    if px < 0 || px >= *wd as i64 {
                                        continue;
                                    }
                                    for ch in 0..c {
                                        let r = (py as usize * wd + px as usize) * c + ch;
                                        gw[((f * kh + i) * kw + j) * c + ch] += go * a_in[r];
                                        g_in[r] += go * w[[f, i, j, ch]];
                                    }
                                }
                            }
                        }
                    }
                }
                grads[l] = gw;
            }
            Layer::Pool { size, op, .. } => {
                let taps = (size.0 * size.1) as f32;
                // The synapses list each window's inputs by post neuron.
                for (post, pre, _) in layers[l].synapses() {
                    let (post, pre) = (post as usize, pre as usize);
                    match op {
                        PoolOp::Average => g_in[pre] += g[post] / taps,
                        // The first input holding the maximum takes it all.
                        PoolOp::Max => {
                            if a_in[pre] == a_out[post] && g[post] != 0.0 {
                                g_in[pre] += g[post];
                                g[post] = 0.0;
                            }
                        }
                    }
                }
            }
            // Layer is non-exhaustive: a kind added later has no gradient here.
            _ => unimplemented!("no gradient for this layer"),
        }
        g = g_in;
    }
    grads
}

fn weights_mut(layer: &mut Layer) -> Option<&mut [f32]> {
    match layer {
        Layer::Dense { w, .. } => w.as_slice_mut(),
        Layer::Conv { w, .. } => w.as_slice_mut(),
        _ => None,
    }
}

/// Trains `layers` in place: `epochs` passes of minibatch Adam.
pub fn train(layers: &mut [Layer], data: &ann::Digits, epochs: usize, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let (lr, b1, b2, eps) = (2e-3f32, 0.9f32, 0.999f32, 1e-8f32);
    let sizes: Vec<usize> = layers
        .iter_mut()
        .map(|l| weights_mut(l).map_or(0, |w| w.len()))
        .collect();
    let mut m: Vec<Vec<f32>> = sizes.iter().map(|&n| vec![0.0; n]).collect();
    let mut v = m.clone();
    let mut order: Vec<usize> = (0..data.len()).collect();
    let mut t = 0;
    for _ in 0..epochs {
        order.shuffle(&mut rng);
        for batch in order.chunks(32) {
            let mut sum: Vec<Vec<f32>> = sizes.iter().map(|&n| vec![0.0; n]).collect();
            for &k in batch {
                let acts = forward(layers, data.x.row(k).as_slice().unwrap());
                let z = acts.last().unwrap();
                let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let e: Vec<f32> = z.iter().map(|&v| (v - max).exp()).collect();
                let total: f32 = e.iter().sum();
                let mut g: Vec<f32> = e.iter().map(|&v| v / total / batch.len() as f32).collect();
                g[data.y[k]] -= 1.0 / batch.len() as f32;
                for (s, gl) in sum.iter_mut().zip(backward(layers, &acts, g)) {
                    for (a, b) in s.iter_mut().zip(gl) {
                        *a += b;
                    }
                }
            }
            t += 1;
            let (c1, c2) = (1.0 - b1.powi(t), 1.0 - b2.powi(t));
            for (l, layer) in layers.iter_mut().enumerate() {
                let Some(w) = weights_mut(layer) else {
                    continue;
                };
                for i in 0..w.len() {
                    let g = sum[l][i];
                    m[l][i] = b1 * m[l][i] + (1.0 - b1) * g;
                    v[l][i] = b2 * v[l][i] + (1.0 - b2) * g * g;
                    w[i] -= lr * (m[l][i] / c1) / ((v[l][i] / c2).sqrt() + eps);
                }
            }
        }
    }
}

pub fn he(rng: &mut StdRng, n: usize, fan_in: usize) -> Vec<f32> {
    let limit = (6.0 / fan_in as f32).sqrt();
    (0..n).map(|_| rng.random_range(-limit..limit)).collect()
}

pub fn ann_accuracy(layers: &[Layer], x: ArrayView2<f32>, y: &[usize]) -> f64 {
    let mut logits = Array2::zeros((x.nrows(), 10));
    for (k, row) in x.outer_iter().enumerate() {
        let out = forward(layers, row.as_slice().unwrap());
        logits
            .row_mut(k)
            .assign(&Array1::from(out.last().unwrap().clone()));
    }
    ann::accuracy(logits.view(), y)
}

/// A 64-`hidden`-10 perceptron without biases (the MLP notebook's shape,
/// one hidden layer), He-uniform initial weights.
pub fn mlp(hidden: usize, seed: u64) -> Vec<Layer> {
    let mut rng = StdRng::seed_from_u64(seed);
    vec![
        Layer::dense(
            Array2::from_shape_vec((hidden, 64), he(&mut rng, hidden * 64, 64)).unwrap(),
            Array1::zeros(hidden),
        ),
        Layer::dense(
            Array2::from_shape_vec((10, hidden), he(&mut rng, 10 * hidden, hidden)).unwrap(),
            Array1::zeros(10),
        ),
    ]
}

/// The CNN notebook's pattern on 8x8 images, without biases: a 3x3
/// convolution ("same") of `filters` filters, 2x2 max pooling, a dense
/// read-out of the flattened 4x4 maps.
pub fn cnn(filters: usize, seed: u64) -> Vec<Layer> {
    let mut rng = StdRng::seed_from_u64(seed);
    vec![
        Layer::conv(
            Array4::from_shape_vec((filters, 3, 3, 1), he(&mut rng, filters * 9, 9)).unwrap(),
            Array1::zeros(filters),
            (8, 8),
            1,
        ),
        Layer::pool((8, 8, filters), (2, 2), PoolOp::Max),
        Layer::dense(
            Array2::from_shape_vec(
                (10, 16 * filters),
                he(&mut rng, 160 * filters, 16 * filters),
            )
            .unwrap(),
            Array1::zeros(10),
        ),
    ]
}

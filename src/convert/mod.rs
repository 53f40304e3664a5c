//! ANN-to-SNN conversion: a trained ReLU network ([`Layer`]s: dense,
//! convolution, pooling) turned into a spiking [`Network`](crate::network::Network).
//!
//! Two converters share the layers and their loading:
//!
//! * [`few_spike`](fn@few_spike) (module [`few_spike`](mod@few_spike)): ml_genn's
//!   few-spike coding (Stöckl & Maass 2021), a few spikes per value in
//!   windows of `k` steps;
//! * [`AnnToSnnConverter`] (module [`ann_to_snn`]): ANNarchy's
//!   `ANNtoSNNConverter`, rate coding with integrate-and-fire neurons
//!   (Diehl et al. 2015): Poisson, bursting or phase-coded inputs, weights
//!   normalised layer by layer, a read-out by spike count, time to the
//!   first (or `k`-th) spike or membrane potential.
//!
//! # Loading a trained network
//!
//! [`load_layers`] reads a layer list written as JSON beside the `.npy`
//! files of the weights (paths relative to the JSON file):
//!
//! ```json
//! {
//!   "layout": "keras",
//!   "input_shape": [8, 8, 1],
//!   "layers": [
//!     {"name": "conv", "kind": "Conv2D", "weights": "conv_w.npy",
//!      "strides": [1, 1], "padding": "same"},
//!     {"name": "pool", "kind": "MaxPooling2D", "pool_size": [2, 2]},
//!     {"name": "flatten", "kind": "Flatten"},
//!     {"name": "out", "kind": "Dense", "weights": "out_w.npy", "bias": "out_b.npy"}
//!   ]
//! }
//! ```
//!
//! * `layout`: how the weight arrays are laid out, `"keras"` (a `Dense`
//!   kernel `[in, out]`, a `Conv2D` kernel `[kh, kw, channels, filters]`,
//!   maps flattened channels last) or `"torch"` (`Linear.weight` `[out,
//!   in]`, `Conv2d.weight` `[filters, channels, kh, kw]`, maps flattened
//!   channels first: the columns of a `Linear` after a convolution are
//!   reordered to cajal's channels-last order when loaded).
//! * `input_shape`: `[n]` or `[h, w, channels]` (channels last whatever the
//!   layout: an example is given flattened in that order, `y, x, c`).
//! * `kind` (case, `_` and `-` ignored): `dense`/`linear`,
//!   `conv2d`, `maxpooling2d`/`maxpool2d`, `averagepooling2d`/`avgpool2d`;
//!   layers that compute nothing at inference are skipped: `flatten`,
//!   `dropout`, `activation`, `relu`, `softmax`, `inputlayer`. Any other
//!   kind (a `BatchNormalization` would change the values) is refused.
//! * `weights` (dense and convolution), `bias` (optional: none means 0),
//!   float32 or float64 `.npy` files.
//! * convolutions: `strides` (a number or two equal numbers, default 1) and
//!   `padding`: `"same"` (the default), or torch's `[kh / 2, kw / 2]`, for
//!   odd kernels (`"valid"` is refused: see [`Layer::Conv`]).
//! * pooling: `pool_size` (a number or two; the stride is the pool size, as
//!   Keras' and torch's defaults; a `strides` that differs is refused);
//!   windows that do not fit whole are dropped (Keras' `"valid"`).
//!
//! Errors name the JSON file and the layer (its name and position), and the
//! `.npy` file where it is the cause: a missing file, a kind not supported,
//! a weight array whose shape does not fit the layer before.
//!
//! From Keras (the model's `layers`, functional or sequential):
//!
//! ```python
//! import json, numpy as np
//! layers = []
//! for l in model.layers:
//!     e = {"name": l.name, "kind": type(l).__name__}
//!     ws = l.get_weights()
//!     if ws:
//!         np.save(f"{l.name}_w.npy", ws[0]); e["weights"] = f"{l.name}_w.npy"
//!     if len(ws) > 1:
//!         np.save(f"{l.name}_b.npy", ws[1]); e["bias"] = f"{l.name}_b.npy"
//!     if hasattr(l, "strides"): e["strides"] = list(l.strides)
//!     if hasattr(l, "padding"): e["padding"] = l.padding
//!     if hasattr(l, "pool_size"): e["pool_size"] = list(l.pool_size)
//!     layers.append(e)
//! json.dump({"layout": "keras", "input_shape": list(model.input_shape[1:]),
//!            "layers": layers}, open("model.json", "w"))
//! ```
//!
//! From PyTorch (an `nn.Sequential`; images `[1, h, w]` become
//! `input_shape` `[h, w, 1]`):
//!
//! ```python
//! import json, numpy as np, torch.nn as nn
//! layers = []
//! for name, m in model.named_children():
//!     e = {"name": name, "kind": type(m).__name__}
//!     if isinstance(m, (nn.Linear, nn.Conv2d)):
//!         np.save(f"{name}_w.npy", m.weight.detach().numpy()); e["weights"] = f"{name}_w.npy"
//!         if m.bias is not None:
//!             np.save(f"{name}_b.npy", m.bias.detach().numpy()); e["bias"] = f"{name}_b.npy"
//!     if isinstance(m, nn.Conv2d):
//!         e["strides"] = list(m.stride); e["padding"] = m.padding if isinstance(m.padding, str) else list(m.padding)
//!     if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
//!         e["pool_size"] = m.kernel_size; e["strides"] = m.stride
//!     layers.append(e)
//! json.dump({"layout": "torch", "input_shape": [28, 28, 1], "layers": layers},
//!           open("model.json", "w"))
//! ```

pub mod ann_to_snn;
pub mod few_spike;
mod load;

pub use ann_to_snn::{
    AnnToSnnConverter, AnnToSnnNet, HiddenNeuron, InputEncoding, ReadOut, ScaleFactor,
};
pub use few_spike::{few_spike, few_spike_readout, Alpha, FewSpikeNet};
pub use load::load_layers;

use ndarray::{Array1, Array2, Array4};

use crate::error::{Error, Result};

/// The pooling operation of a [`Layer::Pool`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolOp {
    /// The largest value of each window (Keras' `MaxPooling2D`).
    Max,
    /// The mean of each window (Keras' `AveragePooling2D`).
    Average,
}

/// One layer of the ANN.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Layer {
    /// A dense layer `a' = relu(w a + b)` (no ReLU for the last layer).
    Dense {
        /// Weights `[out, in]`.
        w: Array2<f32>,
        /// Biases `[out]`.
        b: Array1<f32>,
    },
    /// A 2-D convolution (a bank of filters, channels last, zero padding,
    /// output `[h / stride, w / stride, filters]`) followed by a ReLU (none
    /// for the last layer), as [`Network::convolution`](crate::network::Network::convolution)
    /// computes it between spiking populations (event-driven: a spike adds
    /// the weights of the taps that read it):
    ///
    /// ```text
    /// out[y, x, f] = b[f] + sum_{i, j, c} w[f, i, j, c] in[s y + (s - 1) / 2 - kh / 2 + i,
    ///                                                     s x + (s - 1) / 2 - kw / 2 + j, c]
    /// ```
    ///
    /// (`s` the stride, integer divisions; out-of-bounds inputs are 0: for
    /// odd kernels and stride 1, Keras' `padding="same"`). Its input is the
    /// `[h, w, c]` image: the network's input (then shaped `[h, w, c]`) or
    /// the output of a `Conv` or `Pool` layer of that shape. A `Dense`
    /// layer after it reads its output flattened row-major (`y, x, f`:
    /// Keras' `Flatten` of channels-last maps).
    Conv {
        /// Filters `[filters, kh, kw, channels]`.
        w: Array4<f32>,
        /// Biases `[filters]`.
        b: Array1<f32>,
        /// The input's height and width (its channels are `w`'s last
        /// dimension).
        input: (usize, usize),
        /// Stride along both dimensions (it must divide `h` and `w`).
        stride: usize,
    },
    /// 2-D pooling of `[h, w, c]` maps in windows of `size`, channel by
    /// channel, the stride being the window (Keras' defaults, `"valid"`):
    /// `out[y, x, c] = op_{i < sh, j < sw} in[sh y + i, sw x + j, c]`, of
    /// shape `[h / sh, w / sw, c]` (rows and columns beyond the last
    /// whole window are dropped). No weights, no ReLU (its inputs are
    /// already rectified).
    Pool {
        /// The input's `(h, w, channels)`.
        input: (usize, usize, usize),
        /// The window `(sh, sw)`.
        size: (usize, usize),
        /// Max or average.
        op: PoolOp,
    },
}

impl Layer {
    /// A dense layer from its `[out, in]` weights and `[out]` biases.
    pub fn dense(w: Array2<f32>, b: Array1<f32>) -> Layer {
        Layer::Dense { w, b }
    }

    /// A convolution layer (see [`Layer::Conv`]).
    pub fn conv(w: Array4<f32>, b: Array1<f32>, input: (usize, usize), stride: usize) -> Layer {
        Layer::Conv {
            w,
            b,
            input,
            stride,
        }
    }

    /// A pooling layer of `[h, w, c]` maps (see [`Layer::Pool`]).
    pub fn pool(input: (usize, usize, usize), size: (usize, usize), op: PoolOp) -> Layer {
        Layer::Pool { input, size, op }
    }

    /// Neurons in, neurons out.
    pub fn shape(&self) -> (usize, usize) {
        let (i, o) = self.dims();
        (i.iter().product(), o.iter().product())
    }

    /// The input's and the output's dimensions (a stride or a window of 0
    /// counts as 1 here; the converters reject them).
    pub fn dims(&self) -> (Vec<usize>, Vec<usize>) {
        match self {
            Layer::Dense { w, .. } => (vec![w.ncols()], vec![w.nrows()]),
            Layer::Conv {
                w, input, stride, ..
            } => {
                let s = (*stride).max(1);
                let (f, c) = (w.dim().0, w.dim().3);
                (vec![input.0, input.1, c], vec![input.0 / s, input.1 / s, f])
            }
            Layer::Pool {
                input: (h, w, c),
                size: (sh, sw),
                ..
            } => (
                vec![*h, *w, *c],
                vec![h / (*sh).max(1), w / (*sw).max(1), *c],
            ),
        }
    }

    /// The biases (`None` for a pooling layer).
    pub fn bias(&self) -> Option<&Array1<f32>> {
        match self {
            Layer::Dense { b, .. } | Layer::Conv { b, .. } => Some(b),
            Layer::Pool { .. } => None,
        }
    }

    /// The layer as synapses `(post, pre, weight)` between the flattened
    /// input and output (ranks row-major: `y, x, channel`), sorted by post:
    /// every tap of a convolution inside the input (weight `w[f, i, j, c]`),
    /// every input of a pooling window (weight 1), every pair of a dense
    /// layer.
    pub fn synapses(&self) -> Vec<(u32, u32, f32)> {
        let mut out = Vec::new();
        match self {
            Layer::Dense { w, .. } => {
                for ((post, pre), &v) in w.indexed_iter() {
                    out.push((post as u32, pre as u32, v));
                }
            }
            Layer::Conv {
                w,
                input: (h, wd),
                stride,
                ..
            } => {
                let (nf, kh, kw, c) = w.dim();
                let s = (*stride).max(1);
                let (oh, ow) = (h / s, wd / s);
                for y in 0..oh {
                    for x in 0..ow {
                        for f in 0..nf {
                            let post = ((y * ow + x) * nf + f) as u32;
                            for i in 0..kh {
                                let py = (s * y + (s - 1) / 2 + i) as i64 - (kh / 2) as i64;
                                if py < 0 || py >= *h as i64 {
                                    continue;
                                }
                                for j in 0..kw {
                                    let px = (s * x + (s - 1) / 2 + j) as i64 - (kw / 2) as i64;
                                    if px < 0 || px >= *wd as i64 {
                                        continue;
                                    }
                                    let base = (py as usize * wd + px as usize) * c;
                                    for ch in 0..c {
                                        out.push((post, (base + ch) as u32, w[[f, i, j, ch]]));
                                    }
                                }
                            }
                        }
                    }
                }
            }
            Layer::Pool {
                input: (_, wd, c),
                size: (sh, sw),
                ..
            } => {
                let (oh, ow, _) = {
                    let o = self.dims().1;
                    (o[0], o[1], o[2])
                };
                for y in 0..oh {
                    for x in 0..ow {
                        for ch in 0..*c {
                            let post = ((y * ow + x) * c + ch) as u32;
                            for i in 0..*sh {
                                for j in 0..*sw {
                                    let pre = ((sh * y + i) * wd + sw * x + j) * c + ch;
                                    out.push((post, pre as u32, 1.0));
                                }
                            }
                        }
                    }
                }
            }
        }
        out
    }

    /// The ANN's output of the layer for one example `a` (flattened), in
    /// f64: the pre-activation `w a + b` of a dense or convolution layer
    /// (no ReLU), the pooled values of a pooling layer.
    pub fn forward(&self, a: &[f64]) -> Vec<f64> {
        match self {
            Layer::Dense { w, b } => w
                .outer_iter()
                .zip(b.iter())
                .map(|(row, &bi)| {
                    row.iter()
                        .zip(a)
                        .map(|(&wij, &aj)| wij as f64 * aj)
                        .sum::<f64>()
                        + bi as f64
                })
                .collect(),
            Layer::Conv { b, w, .. } => {
                let nf = w.dim().0;
                let mut out: Vec<f64> = (0..self.shape().1).map(|r| b[r % nf] as f64).collect();
                for (post, pre, v) in self.synapses() {
                    out[post as usize] += v as f64 * a[pre as usize];
                }
                out
            }
            Layer::Pool { size, op, .. } => {
                let n = self.shape().1;
                let taps = (size.0 * size.1) as f64;
                let mut out = vec![
                    match op {
                        PoolOp::Max => f64::NEG_INFINITY,
                        PoolOp::Average => 0.0,
                    };
                    n
                ];
                for (post, pre, _) in self.synapses() {
                    let o = &mut out[post as usize];
                    match op {
                        PoolOp::Max => *o = o.max(a[pre as usize]),
                        PoolOp::Average => *o += a[pre as usize] / taps,
                    }
                }
                out
            }
        }
    }

    /// What the layer is, for messages.
    fn kind(&self) -> &'static str {
        match self {
            Layer::Dense { .. } => "dense",
            Layer::Conv { .. } => "convolution",
            Layer::Pool { .. } => "pooling",
        }
    }
}

/// The ANN's output for one example: each layer's ReLU, none after the
/// last (its pre-activation: the logits), and none after a pooling layer
/// (its inputs are rectified already). Returns every layer's output.
pub fn ann_forward(layers: &[Layer], x: &[f64]) -> Vec<Vec<f64>> {
    let mut a = x.to_vec();
    let mut out = Vec::with_capacity(layers.len());
    for (i, layer) in layers.iter().enumerate() {
        a = layer.forward(&a);
        if i + 1 < layers.len() && !matches!(layer, Layer::Pool { .. }) {
            a.iter_mut().for_each(|v| *v = v.max(0.0));
        }
        out.push(a.clone());
    }
    out
}

/// Checks that the layers chain and their values are finite; returns the
/// input's dimensions. `owner` names the converter in errors.
pub(crate) fn check_layers(layers: &[Layer], owner: &str) -> Result<Vec<usize>> {
    let shape_err = |message: String| Error::Shape {
        owner: owner.into(),
        message,
    };
    let first = layers
        .first()
        .ok_or_else(|| Error::invalid(owner, "no layers: give at least one Layer"))?;
    let input = first.dims().0;
    let mut prev = input.clone();
    for (i, layer) in layers.iter().enumerate() {
        let (dims_in, dims_out) = layer.dims();
        match layer {
            Layer::Dense { w, b } => {
                let (n_in, n_out) = (w.ncols(), w.nrows());
                if n_in == 0 || n_out == 0 {
                    return Err(shape_err(format!(
                        "layer {i}: weights of shape [{n_out}, {n_in}] (out, in) are empty"
                    )));
                }
                let n_prev: usize = prev.iter().product();
                if n_in != n_prev {
                    return Err(shape_err(format!(
                        "layer {i}: weights [{n_out}, {n_in}] (out, in) take {n_in} inputs, \
                         but the layer before gives {n_prev} ({prev:?})"
                    )));
                }
                if b.len() != n_out {
                    return Err(shape_err(format!(
                        "layer {i}: {} biases for {n_out} outputs (weights [{n_out}, {n_in}])",
                        b.len()
                    )));
                }
            }
            Layer::Conv {
                w,
                b,
                input: (h, wd),
                stride,
            } => {
                let shape = w.shape();
                if w.is_empty() {
                    return Err(shape_err(format!(
                        "layer {i}: the filters [filters, kh, kw, channels] {shape:?} are empty"
                    )));
                }
                if *stride == 0 || h % stride != 0 || wd % stride != 0 || *h == 0 || *wd == 0 {
                    return Err(shape_err(format!(
                        "layer {i}: the stride {stride} must divide the input's height {h} and \
                         width {wd} (both positive)"
                    )));
                }
                if dims_in != prev {
                    return Err(shape_err(format!(
                        "layer {i}: a convolution of {h} x {wd} inputs with {} channels \
                         (filters {shape:?}) reads {dims_in:?}, \
                         but the layer before gives {prev:?}",
                        shape[3]
                    )));
                }
                if b.len() != shape[0] {
                    return Err(shape_err(format!(
                        "layer {i}: {} biases for {} filters",
                        b.len(),
                        shape[0]
                    )));
                }
            }
            Layer::Pool {
                input: (h, wd, c),
                size: (sh, sw),
                ..
            } => {
                if *sh == 0 || *sw == 0 || sh > h || sw > wd || *c == 0 {
                    return Err(shape_err(format!(
                        "layer {i}: a pooling window {sh} x {sw} must be positive and fit in \
                         its {h} x {wd} x {c} input"
                    )));
                }
                if dims_in != prev {
                    return Err(shape_err(format!(
                        "layer {i}: a pooling of {dims_in:?} inputs, but the layer before \
                         gives {prev:?}"
                    )));
                }
            }
        }
        let finite = match layer {
            Layer::Dense { w, b } => w.iter().chain(b.iter()).all(|x| x.is_finite()),
            Layer::Conv { w, b, .. } => w.iter().chain(b.iter()).all(|x| x.is_finite()),
            Layer::Pool { .. } => true,
        };
        if !finite {
            return Err(Error::invalid(
                owner,
                format!(
                    "layer {i} ({}): weights and biases must be finite",
                    layer.kind()
                ),
            ));
        }
        prev = dims_out;
    }
    Ok(input)
}

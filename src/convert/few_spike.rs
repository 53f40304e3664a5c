//! ANN-to-SNN conversion: few-spike coding (Stöckl & Maass 2021, "Optimized
//! spiking neurons can classify images with high accuracy through temporal
//! coding with two spikes"), as ml_genn's `FewSpike` converter
//! (`ml_genn_tf/converters/few_spike.py`, with its `FewSpikeCompiler`).
//!
//! [`few_spike`] takes a small ReLU network (dense and convolution layers
//! given as ndarray weights and biases, [`Layer`]) and builds the spiking
//! network that computes it with the neurons of [`crate::models::mlgenn`]:
//!
//! * the input: a [`FewSpikeReluInput`] population whose `input` parameter
//!   holds the example (set by [`FewSpikeNet::run_one`] and
//!   [`FewSpikeNet::predict`]);
//! * one [`FewSpikeRelu`] population per hidden layer (each layer but the
//!   last; its activation is the ReLU);
//! * the last layer: a non-spiking accumulator ([`few_spike_readout`]) that
//!   decodes the spikes of the last hidden layer exactly as a `FewSpikeRelu`
//!   does and keeps the decoded sum in `v`: the output is the last layer's
//!   **pre-activation** `W a + b`, not quantised and not rectified (the
//!   logits; apply a ReLU yourself if the ANN has one there). ml_genn makes
//!   its output layer a `FewSpikeRelu` too, read through a variable; the
//!   accumulator gives the same decoded sum without the output layer's own
//!   `alpha 2^-k` quantisation, its saturation or its ReLU.
//!
//! Each layer is a projection (target `"exc"`, delay one step) carrying the
//! ANN's weights unchanged: a dense one (`connect_from_matrix`, `[out, in]`)
//! or a convolution ([`Network::convolution`] with the bank of filters;
//! event-driven between spiking populations); a convolution's populations
//! are `[h, w, channels]` (examples are given flattened row-major). A
//! spike at the sender's window step `j` stands for `alpha_sender 2^-(j+1)`,
//! and the receiver decodes it with `source_alpha = alpha_sender` (ml_genn's
//! `post_convert` gives each layer's sources the largest `alpha` among them;
//! in a chain, the previous layer's).
//!
//! # `alpha`
//!
//! Each sender encodes values in `[0, alpha (1 - 2^-k)]` in steps of
//! `alpha 2^-k` ([`Alpha`]): one `alpha` for every layer (ml_genn's
//! `alpha`, default 25), one per layer, or computed from example inputs as
//! ml_genn's `norm_data` does (`pre_convert`): the input's `alpha` is
//! `max(x) / (1 - 2^-k)` and each hidden layer's `max(activation) /
//! (1 - 2^-k)` over the examples, so the largest value seen is sent
//! exactly and nothing seen saturates.
//!
//! # Biases
//!
//! ml_genn's converter refuses biases (`validate_tf_layer`: "Bias tensors
//! not supported"). Here a layer with a non-zero bias gets one more
//! neuron: a `FewSpikeReluInput` with the layer's `source_alpha` and
//! `input = source_alpha / 2`, which spikes once, at the first step of every
//! window, and so is decoded as `w source_alpha / 2`; its weights are
//! `2 b / source_alpha`, so the layer receives `b` once per window, in the
//! same window as the activations (the bias neuron sends the same value in
//! every window, so it needs no pipeline stage).
//!
//! # Timing
//!
//! Time goes in windows of `k` steps (starting at step 0). The input sends
//! its value in every window; the `l`-th layer (1-based) decodes during a
//! window what the layer before it sent and sends it on in the next one,
//! so each layer adds one window of latency (ml_genn's pipeline depth). The
//! readout of an `L`-layer network holds the output of the example sent in
//! window `w` from the first step of window `w + L` to the end of that
//! window: one example alone needs `L k + 1` steps
//! ([`FewSpikeNet::steps_per_example`]); a stream of `n` examples, one a
//! window, needs `(n + L) k` ([`FewSpikeNet::predict`], as ml_genn's
//! `predict`).
//!
//! # Accuracy
//!
//! A sender floors its value to the step `s = alpha 2^-k` (error in
//! `[0, s)`), saturates at `alpha (1 - 2^-k)` and sends nothing for a
//! negative value (the ReLU). With `e_0 = s_0` the input's error bound,
//! a hidden layer's activation is within `e_l = |W_l| e_{l-1} + s_l` of the
//! ANN's (`|W|` the element-wise absolute weights, neuron by neuron: the
//! ReLU and the saturation, when the ANN's value itself is in range, add
//! nothing), and the output within `|W_L| e_{L-1}`, up to f32 rounding.
//!
//! Not done: signed inputs (`FewSpikeReluInput { signed_input: true }`,
//! ml_genn's `signed_input`), pooling and `Add` layers, and a
//! `FewSpikeRelu` output layer as ml_genn's.

use ndarray::{s, Array2, ArrayView1, ArrayView2, Axis, IxDyn};

use crate::connect::Delays;
use crate::engine::{Backend, Simulation};
use crate::error::{Error, Result};
use crate::models::mlgenn::{FewSpikeRelu, FewSpikeReluInput};
use crate::network::model::Neuron;
use crate::network::{Network, PopId, ProjId};

use super::{check_layers, Layer};

/// How each sender's `alpha` (the scale of its thresholds: it sends values
/// up to `alpha (1 - 2^-k)` in steps of `alpha 2^-k`) is chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Alpha<'a> {
    /// The same `alpha` for the input and every hidden layer (ml_genn's
    /// `FewSpike(alpha=...)`, default 25).
    Fixed(f32),
    /// The input's `alpha`, then one per hidden layer (every layer but the
    /// last).
    PerLayer {
        /// The input's.
        input: f32,
        /// One per hidden layer.
        hidden: &'a [f32],
    },
    /// From example inputs `[examples, inputs]`, as ml_genn's `norm_data`:
    /// the largest input and the largest activation of each hidden layer
    /// (ANN computed in f64), divided by `1 - 2^-k` (rounded up to an f32).
    /// A layer that is never active gets `alpha = 1` (it sends nothing
    /// anyway).
    Data(ArrayView2<'a, f32>),
}

/// The converted network: the [`Network`], its populations and its timing.
#[derive(Debug, Clone)]
pub struct FewSpikeNet {
    /// The spiking network (compile it with [`FewSpikeNet::compile`] or
    /// [`Network::compile`]).
    pub network: Network,
    /// The `FewSpikeReluInput` population; per-neuron parameter `input`.
    pub input: PopId,
    /// The `FewSpikeRelu` population of each hidden layer.
    pub hidden: Vec<PopId>,
    /// The readout ([`few_spike_readout`]): the output is its `v`.
    pub output: PopId,
    /// The projection of each layer's weights, in layer order.
    pub projections: Vec<ProjId>,
    /// The bias neuron of each layer (`None` where all its biases are 0).
    pub bias: Vec<Option<PopId>>,
    /// Steps of a window.
    pub k: u32,
    /// The input's `alpha`.
    pub input_alpha: f32,
    /// The `alpha` of each hidden layer.
    pub hidden_alpha: Vec<f32>,
    /// Windows of latency: the number of layers `L`.
    pub depth: usize,
    /// Steps to simulate for one example alone: `L k + 1`.
    pub steps_per_example: u64,
}

/// The readout of a few-spike network: it decodes the spikes of an
/// upstream [`FewSpikeRelu`] (or [`FewSpikeReluInput`]) as `FewSpikeRelu`
/// does, and at the first step of each window sets `v` to the sum decoded
/// during the window before (`w a + bias`, unrectified). It never spikes.
///
/// ```text
/// pt = (pt + 1) mod k;  q = (pt + k - 1) mod k
/// d  = q == 0 ? source_alpha / 2 : d / 2
/// fx = fx + Isyn * d
/// v  = pt == 0 ? fx : v;   fx = pt == 0 ? 0 : fx
/// ```
///
/// Parameters (population): `k` (int), `source_alpha`. Variables: `pt`,
/// `q`, `d` (population), `fx`, `v`. `Isyn` is `g_exc`.
pub fn few_spike_readout(k: u32, source_alpha: f32) -> Neuron {
    Neuron::spiking()
        .name("FewSpikeReadout")
        .parameters(&format!(
            "k = {k} : population, int\nsource_alpha = {source_alpha:?} : population"
        ))
        .equations(
            "pt = modulo(pt + 1.0, k) : population, init = -1.0
q = modulo(pt + k - 1.0, k) : population
d = if q == 0.0 then 0.5 * source_alpha else 0.5 * d : population
fx = fx + g_exc * d
v = if pt == 0.0 then fx else v
fx = if pt == 0.0 then 0.0 else fx",
        )
        .spike("false")
}

fn shape_err(message: String) -> Error {
    Error::Shape {
        owner: "few_spike".into(),
        message,
    }
}

fn invalid(message: impl Into<String>) -> Error {
    Error::invalid("few_spike", message.into())
}

/// The ANN's hidden activations for one example, in f64.
fn hidden_activations(layers: &[Layer], x: &[f64]) -> Vec<Vec<f64>> {
    let mut out = super::ann_forward(layers, x);
    out.pop();
    out
}

/// The `alpha` of the input and of each hidden layer.
fn alphas(layers: &[Layer], k: u32, n_in: usize, alpha: Alpha) -> Result<(f32, Vec<f32>)> {
    let n_hidden = layers.len() - 1;
    let check = |what: &str, a: f32| {
        if a.is_finite() && a > 0.0 {
            Ok(a)
        } else {
            Err(invalid(format!(
                "alpha of {what} must be positive and finite, got {a}"
            )))
        }
    };
    match alpha {
        Alpha::Fixed(a) => Ok((check("every layer", a)?, vec![a; n_hidden])),
        Alpha::PerLayer { input, hidden } => {
            if hidden.len() != n_hidden {
                return Err(shape_err(format!(
                    "Alpha::PerLayer has {} hidden alphas for {n_hidden} hidden layers \
                     (every layer but the last)",
                    hidden.len()
                )));
            }
            let input = check("the input", input)?;
            let hidden = hidden
                .iter()
                .enumerate()
                .map(|(i, &a)| check(&format!("layer {i}"), a))
                .collect::<Result<Vec<_>>>()?;
            Ok((input, hidden))
        }
        Alpha::Data(data) => {
            if data.ncols() != n_in || data.nrows() == 0 {
                return Err(shape_err(format!(
                    "Alpha::Data needs [examples, {n_in}] inputs, got [{}, {}]",
                    data.nrows(),
                    data.ncols()
                )));
            }
            if data.iter().any(|x| !x.is_finite()) {
                return Err(invalid("Alpha::Data: inputs must be finite"));
            }
            let top = 1.0 - 0.5f64.powi(k as i32);
            let mut max_in = 0.0f64;
            let mut max_hidden = vec![0.0f64; n_hidden];
            for row in data.axis_iter(Axis(0)) {
                let x: Vec<f64> = row.iter().map(|&v| v as f64).collect();
                max_in = x.iter().fold(max_in, |m, &v| m.max(v));
                for (m, a) in max_hidden.iter_mut().zip(hidden_activations(layers, &x)) {
                    *m = a.iter().fold(*m, |m, &v| m.max(v));
                }
            }
            // The smallest f32 with alpha (1 - 2^-k) >= m, so that m is in
            // range after the rounding to f32.
            let to_alpha = |m: f64| {
                if m <= 0.0 {
                    return 1.0;
                }
                let mut a = (m / top) as f32;
                while (a as f64) * top < m {
                    a = f32::from_bits(a.to_bits() + 1);
                }
                a
            };
            Ok((
                to_alpha(max_in),
                max_hidden.into_iter().map(to_alpha).collect(),
            ))
        }
    }
}

/// Converts a ReLU network to a few-spike SNN with windows of `k` steps
/// (see the [module documentation](self)).
///
/// Errors: no layers, shapes that do not chain (a layer's `in` is not the
/// previous `out`, biases not `[out]`), non-finite weights, a `k` outside
/// `1..=24`, a non-positive `alpha`, data of the wrong width.
pub fn few_spike(layers: &[Layer], k: u32, alpha: Alpha) -> Result<FewSpikeNet> {
    let input_dims = check_layers(layers, "few_spike")?;
    let no_pooling = |i: usize| Error::Unsupported {
        owner: "few_spike".into(),
        message: format!(
            "layer {i}: pooling layers are not converted to few-spike coding (ml_genn's \
             AvgPool2D is not implemented here); ann_to_snn converts them"
        ),
    };
    if let Some(i) = layers.iter().position(|l| matches!(l, Layer::Pool { .. })) {
        return Err(no_pooling(i));
    }
    let n_in: usize = input_dims.iter().product();
    if !(1..=24).contains(&k) {
        return Err(invalid(format!(
            "k = {k}: a window needs 1 to 24 steps (f32 thresholds alpha 2^-k)"
        )));
    }
    let (input_alpha, hidden_alpha) = alphas(layers, k, n_in, alpha)?;
    let mut net = Network::new().dt(1.0);
    let one_step = Delays::constant(1.0);
    let input_neuron = FewSpikeReluInput {
        k,
        alpha: input_alpha,
        signed_input: false,
    }
    .neuron();
    let input = net.population("fs_input", &input_dims[..], &input_neuron)?;
    let mut source = input;
    let mut source_alpha = input_alpha;
    let mut hidden = Vec::new();
    let mut projections = Vec::new();
    let mut bias = Vec::new();
    let mut output = input;
    for (i, layer) in layers.iter().enumerate() {
        let b = layer.bias().ok_or_else(|| no_pooling(i))?;
        let last = i + 1 == layers.len();
        let neuron = if last {
            few_spike_readout(k, source_alpha)
        } else {
            FewSpikeRelu {
                k,
                alpha: hidden_alpha[i],
                source_alpha: Some(source_alpha),
                source_signed: false,
            }
            .neuron()
        };
        let name = if last {
            "fs_output".to_string()
        } else {
            format!("fs_hidden{i}")
        };
        let pop = net.population(&name, &layer.dims().1[..], &neuron)?;
        projections.push(match layer {
            Layer::Dense { w, .. } => net
                .projection(source, pop, "exc")
                .delays(one_step.clone())
                .connect_from_matrix(w.clone())?,
            // The default delay: one step.
            Layer::Conv { w, .. } => net
                .convolution(source, pop, "exc")
                .connect_filters(&w.clone().into_dyn())?,
            Layer::Pool { .. } => return Err(no_pooling(i)),
        });
        if b.iter().any(|&x| x != 0.0) {
            // One spike at the first step of every window, worth
            // w source_alpha / 2: weights 2 b / source_alpha.
            let bias_neuron = FewSpikeReluInput {
                k,
                alpha: source_alpha,
                signed_input: false,
            }
            .neuron();
            let bp = net.population(&format!("fs_bias{i}"), 1, &bias_neuron)?;
            net.set(bp, "input", vec![0.5 * source_alpha])?;
            let scale = 2.0 / source_alpha;
            // Post neurons in rank order: a conv's filter index is last.
            let n_post = layer.shape().1;
            let wb = Array2::from_shape_fn((n_post, 1), |(r, _)| b[r % b.len()] * scale);
            net.projection(bp, pop, "exc")
                .delays(one_step.clone())
                .connect_from_matrix(wb)?;
            bias.push(Some(bp));
        } else {
            bias.push(None);
        }
        if last {
            output = pop;
        } else {
            hidden.push(pop);
            source = pop;
            source_alpha = hidden_alpha[i];
        }
    }
    let depth = layers.len();
    Ok(FewSpikeNet {
        network: net,
        input,
        hidden,
        output,
        projections,
        bias,
        k,
        input_alpha,
        hidden_alpha,
        depth,
        steps_per_example: depth as u64 * k as u64 + 1,
    })
}

impl FewSpikeNet {
    /// Compiles the network for a backend.
    pub fn compile(&self, backend: Backend) -> Result<Simulation> {
        self.network.compile(backend)
    }

    /// Compiles `batch` copies of the network ([`Network::compile_batched`]):
    /// [`predict`](Self::predict) then runs `batch` examples a window.
    pub fn compile_batched(&self, backend: Backend, batch: usize) -> Result<Simulation> {
        self.network.compile_batched(backend, batch)
    }

    /// The number of inputs.
    pub fn inputs(&self) -> usize {
        self.network.pop(self.input).map(|p| p.size()).unwrap_or(0)
    }

    fn check_input(&self, x: &[f32]) -> Result<()> {
        let n = self.inputs();
        if x.len() != n {
            return Err(shape_err(format!(
                "an example has {} values for {n} inputs",
                x.len()
            )));
        }
        if x.iter().any(|v| !v.is_finite()) {
            return Err(invalid("inputs must be finite"));
        }
        Ok(())
    }

    /// The outputs of every batch element, one after the other.
    fn read_output(&self, sim: &Simulation) -> Result<Vec<f32>> {
        Ok(sim.get(self.output, "v")?.iter().copied().collect())
    }

    /// Runs one example from the initial state: resets `sim` (compiled from
    /// this network), sets the input, simulates
    /// [`steps_per_example`](Self::steps_per_example) steps and returns
    /// the output (the last layer's pre-activation). Negative inputs are
    /// sent as 0 (unsigned input, as ml_genn's default).
    pub fn run_one(&self, sim: &mut Simulation, x: &[f32]) -> Result<Vec<f32>> {
        self.check_input(x)?;
        sim.reset()?;
        // In a batch every element runs the example; element 0 answers.
        sim.set(self.input, "input", x.to_vec())?;
        sim.simulate(self.steps_per_example as f64 * sim.dt())?;
        let mut y = self.read_output(sim)?;
        y.truncate(self.network.pop(self.output)?.size());
        Ok(y)
    }

    /// Runs examples `[examples, inputs]` pipelined, one batch a window
    /// (ml_genn's `predict`): resets `sim` (compiled from this network, with
    /// a batch of `B`, 1 by default), then for each window `w` gives the
    /// elements examples `w B ..` (while there are; a last partial batch is
    /// padded with zeros), simulates `k` steps and, from window `L` on,
    /// reads the outputs of the batch sent `L` windows before: `(n / B + L)
    /// k` steps for `n` examples. Returns `[examples, outputs]`.
    pub fn predict(&self, sim: &mut Simulation, xs: ArrayView2<f32>) -> Result<Array2<f32>> {
        let n = xs.nrows();
        let n_out = self.network.pop(self.output)?.size();
        let mut out = Array2::zeros((n, n_out));
        for row in xs.axis_iter(Axis(0)) {
            self.check_input(&row.to_vec())?;
        }
        let b = sim.batch_size();
        let batches = n.div_ceil(b);
        let mut dims = vec![0];
        dims.extend_from_slice(self.network.pop(self.input)?.geometry.dims());
        sim.reset()?;
        let window = self.k as f64 * sim.dt();
        for w in 0..batches + self.depth {
            if w < batches {
                let rows = xs.slice(s![w * b..((w + 1) * b).min(n), ..]);
                dims[0] = rows.nrows();
                let x = rows
                    .as_standard_layout()
                    .into_owned()
                    .into_shape_with_order(IxDyn(&dims))
                    .map_err(|e| shape_err(e.to_string()))?;
                sim.set_input(self.input, x.view())?;
            }
            sim.simulate(window)?;
            if w >= self.depth {
                let y = self.read_output(sim)?;
                let first = (w - self.depth) * b;
                for (e, yo) in y.chunks(n_out).take(n - first.min(n)).enumerate() {
                    out.row_mut(first + e).assign(&ArrayView1::from(yo));
                }
            }
        }
        Ok(out)
    }
}

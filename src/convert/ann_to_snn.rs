//! ANNarchy's ANN-to-SNN conversion (`ANNarchy.extensions.ann_to_snn_conversion`,
//! `ANNtoSNNConverter`): a ReLU network without biases, rate coded with
//! integrate-and-fire neurons (Diehl et al. 2015).
//!
//! [`AnnToSnnConverter::convert`] (ANNarchy's `load_keras_model`; from a
//! file: [`AnnToSnnConverter::load`], the format of [`super::load_layers`])
//! builds, with a step of 1 ms:
//!
//! * an input population with the input's shape, of the encoding's neuron
//!   ([`InputEncoding`]: Poisson `CPN`, bursting `IB`, phase coding `PSO`),
//!   whose per-neuron parameter `rates` is the example times `max_f`
//!   (100 by default);
//! * one population per layer: the hidden neuron ([`HiddenNeuron`], by
//!   default [`iaf`]: `dv/dt = g_exc`, spike when `v > vt`, reset to
//!   `vr = 0`) with its threshold lowered to `vt - 0.05 l` for the `l`-th
//!   layer (1-based: ANNarchy's `pop.vt - 0.05 * idx`, the Input layer
//!   being Keras' layer 0), and for the last layer the read-out's neuron
//!   ([`ReadOut`]) with its threshold unchanged;
//! * between them: a dense layer as spikes (a spike adds `w` to `g_exc`
//!   one step later), a convolution as the continuous psp `w * pre.mask`
//!   and a pooling as `pre.mask` reduced by max or mean over the window,
//!   each summed into `g_exc` at every step, as ANNarchy's `Convolution`
//!   and `Pooling` with `psp="pre.mask * w"` and `psp="pre.mask"` do.
//!   `mask` is each neuron's trace of its spikes (`dmask/dt = -mask /
//!   mask_tau`, `+1 / mask_tau` at a spike, `mask_tau = 20`): on average
//!   its firing probability per step, and a spike's mask sums to 1 over
//!   the steps that follow, as a spike through a dense projection adds 1.
//!
//! # Weight normalisation
//!
//! Diehl et al.'s model-based normalisation, ANNarchy's
//! `_normalize_weights`: the weights of layer `l` (0-based, pooling layers
//! counted) are multiplied by `scale[l] / max_j sum_i max(w_ji, 0)`, the
//! largest input a post neuron (a filter, for a convolution) can receive
//! from inputs at most 1; `scale[l]` is `l + 2` by default (ANNarchy's
//! `np.arange(2, n + 2)`, [`ScaleFactor::Depth`]), or one value for all, or
//! one per layer. ANNarchy 5.0.3 assigns the scaled matrices to an
//! attribute of the populations, not to the projections, so its
//! conversions (and its notebooks' numbers) run with the weights as
//! trained: [`ScaleFactor::Unnormalised`] does that (see DECISIONS.md).
//!
//! # Predicting
//!
//! [`AnnToSnnNet::predict`] presents each example alone for
//! `duration_per_sample` ms from the initial state (ANNarchy resets the
//! populations and monitors, not the projections, before each example) and
//! returns the class the read-out chooses; a simulation compiled with a
//! batch ([`AnnToSnnNet::compile_batched`]) presents `B` examples at a time,
//! each element as it would run alone. The random draws of the Poisson
//! input differ from one batch to the next (the seed of batch `j` is the
//! simulation's seed plus `j`; it is restored at the end, so a prediction
//! repeats exactly).
//!
//! The read-outs ([`ReadOut`]): the number of spikes of each output
//! neuron; the time to the first (or `k`-th) spike, which stops a sample at
//! the end of the step in which an output neuron reached it (ANNarchy's
//! `simulate_until` with `stop_condition`) and counts the spikes up to
//! there (here computed from the recorded spikes, so a batch need not
//! stop); or the membrane potential of non-spiking accumulators at the end.
//! The class is the neuron with the largest score; ties are returned whole
//! by [`AnnToSnnNet::predict_multiple`] (ANNarchy's `multiple=True`) and
//! drawn uniformly by [`AnnToSnnNet::predict`] (ANNarchy's
//! `np.random.choice`), from a generator seeded with the simulation's seed.
//!
//! # Constraints (ANNarchy's)
//!
//! Layers have no biases (Keras' `use_bias=False`; ANNarchy ignores
//! them, here non-zero biases are refused), the last layer is dense (the
//! read-out), convolutions are `"same"` with odd kernels, pooling windows
//! are their own stride.
//!
//! ```
//! use cajal::convert::{AnnToSnnConverter, HiddenNeuron, InputEncoding, Layer, ReadOut, ScaleFactor};
//! use cajal::prelude::*;
//! use ndarray::array;
//!
//! // 2 inputs -> 2 hidden -> 2 outputs, no biases.
//! let layers = [
//!     Layer::dense(array![[1.0, 0.0], [0.0, 1.0]], array![0.0, 0.0]),
//!     Layer::dense(array![[1.0, 0.0], [0.0, 1.0]], array![0.0, 0.0]),
//! ];
//! let converter = AnnToSnnConverter::new(InputEncoding::Ib, HiddenNeuron::IaF, ReadOut::SpikeCount);
//! let snn = converter.convert(&layers, &ScaleFactor::Depth)?;
//! let mut sim = snn.compile(Backend::Cpu)?;
//! let classes = snn.predict(&mut sim, array![[1.0, 0.0], [0.0, 1.0]].view(), 50.0)?;
//! assert_eq!(classes, vec![0, 1]);
//! # Ok::<(), cajal::Error>(())
//! ```

use std::path::Path;

use ndarray::{s, Array2, ArrayD, ArrayView2, IxDyn};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::{check_layers, load_layers, Layer, PoolOp};
use crate::engine::{Backend, Simulation};
use crate::error::{Error, Result};
use crate::network::model::{Neuron, Operation, Synapse};
use crate::network::{slot_of, MonitorId, Network, PopId, ProjId};

const OWNER: &str = "ann_to_snn";

/// ANNarchy's `CPN` ("custom Poisson neuron"): spikes with probability
/// `rates dt / 1000` per step (`p = Uniform(0, 1) 1000 / dt`, spike when
/// `p < rates`), with the spike trace `mask`.
pub fn cpn() -> Neuron {
    Neuron::spiking()
        .name("custom poisson neuron")
        .parameters("rates = 0.0\nmask_tau = 20.0")
        .equations(
            "p = (Uniform(0.0, 1.0) * 1000.0) / dt
dmask/dt = -mask/mask_tau : init = 0.0",
        )
        .spike("p < rates")
        .reset("mask += 1.0/mask_tau")
}

/// ANNarchy's `IB`: an Izhikevich (2003) neuron with intrinsically
/// bursting parameters (`c = -55`, `d = 4`) driven by the current `rates`.
pub fn ib() -> Neuron {
    Neuron::spiking()
        .name("intrinsically bursting")
        .parameters(
            "a = 0.02
b = 0.2
c = -55.0
d = 4.0
v_thresh = 30.0
rates = 0.0
mask_tau = 20",
        )
        .equations(
            "dv/dt = 0.04 * v^2 + 5.0 * v + 140.0 - u + rates : init = -55.0
du/dt = a * (b*v - u) : init = -13.0
dmask/dt = -mask/mask_tau : init = 0.0",
        )
        .spike("v > v_thresh")
        .reset("v = c\nu += d\nmask += 1.0/mask_tau")
}

/// ANNarchy's `PSO` (phase shift oscillation, Kim et al. 2018): `v =
/// rates`, spike when `v` exceeds the threshold `vt 2^(-1 + mod(t - 1,
/// k))` (`k = 8`: 0.5, 1, ... 64 times `vt` over 8 steps; `mod` of `t`
/// in ms, with a step of 1 ms as ANNarchy's integer `modulo`). No reset of
/// `v`.
pub fn pso() -> Neuron {
    Neuron::spiking()
        .name("phase shift oscillation")
        .parameters("k = 8\nvt = 1\nrates = 0\nmask_tau = 20.0")
        .equations(
            "p = pow(2, (-1 + (modulo(t - 1, k))))
vt_new = p*vt
v = rates : init = 0
dmask/dt = -mask/mask_tau : init = 0.0",
        )
        .spike("v > vt_new")
        .reset("mask += 1.0/mask_tau")
}

/// ANNarchy's `IaF`, the hidden neuron: `dv/dt = g_exc` (`v >= -2`),
/// spike when `v > vt` (`vt = 1`), reset `v = vr` (`vr = 0`), and the
/// spike trace `mask` the next layer's convolution or pooling reads.
pub fn iaf() -> Neuron {
    Neuron::spiking()
        .name("IaF neuron")
        .parameters(
            "vt = 1 : population
vr = 0 : population
mask_tau = 20.0 : population",
        )
        .equations(
            "dv/dt = g_exc : init = 0.0, min = -2.0
dmask/dt = -mask/mask_tau : init = 0.0",
        )
        .spike("v > vt")
        .reset("v = vr\nmask += 1.0/mask_tau")
}

/// ANNarchy's `IaF_TTKS`, the read-out of [`ReadOut::TimeToKSpikes`]:
/// [`iaf`] without the trace, counting its spikes in `sc`.
pub fn iaf_ttks(k: u32) -> Neuron {
    Neuron::spiking()
        .name("IaF neuron")
        .parameters(&format!(
            "k = {k} : population
vt = 1 : population
vr = 0 : population"
        ))
        // ANNarchy declares sc among the parameters; here a reset may
        // change only variables, so it is one that no equation changes.
        .equations("dv/dt = g_exc : init = 0.0, min = -2.0\nsc = sc : init = 0.0")
        .spike("v > vt")
        .reset("v = vr\nsc += 1")
}

/// ANNarchy's `IaF_Acc`, the read-out of [`ReadOut::MembranePotential`]:
/// `dv/dt = g_exc` (`v >= -2`), never spikes.
pub fn iaf_acc() -> Neuron {
    Neuron::spiking()
        .name("IaF_Acc")
        .equations("dv/dt = g_exc : init = 0.0, min = -2.0")
        .spike("v < -10000")
}

/// How examples become spikes (ANNarchy's `input_encoding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputEncoding {
    /// `"CPN"` or `"poisson"`: [`cpn`] (the default).
    Cpn,
    /// `"IB"`: [`ib`].
    Ib,
    /// `"PSO"`: [`pso`].
    Pso,
}

impl InputEncoding {
    /// ANNarchy's name: `"CPN"` (or `"poisson"`), `"IB"`, `"PSO"`.
    pub fn from_name(name: &str) -> Result<InputEncoding> {
        match name {
            "CPN" | "poisson" => Ok(InputEncoding::Cpn),
            "IB" => Ok(InputEncoding::Ib),
            "PSO" => Ok(InputEncoding::Pso),
            _ => Err(Error::invalid(
                OWNER,
                format!(
                    "unknown input encoding '{name}': \"CPN\" (\"poisson\"), \"IB\" or \"PSO\""
                ),
            )),
        }
    }

    /// The input population's neuron.
    pub fn neuron(&self) -> Neuron {
        match self {
            InputEncoding::Cpn => cpn(),
            InputEncoding::Ib => ib(),
            InputEncoding::Pso => pso(),
        }
    }
}

/// The neuron of the hidden layers (ANNarchy's `hidden_neuron`).
#[derive(Debug, Clone)]
pub enum HiddenNeuron {
    /// `"IaF"`: [`iaf`] (the default).
    IaF,
    /// A spiking model of your own: it must read `g_exc`, have a
    /// threshold parameter `vt` (lowered layer by layer) and a variable
    /// `mask` (what convolutions and pooling layers read).
    Custom(Neuron),
}

impl HiddenNeuron {
    fn neuron(&self) -> Neuron {
        match self {
            HiddenNeuron::IaF => iaf(),
            HiddenNeuron::Custom(n) => n.clone(),
        }
    }
}

/// How the class is read from the last layer (ANNarchy's `read_out`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadOut {
    /// `"spike_count"`: the most spikes over the sample (the last layer
    /// is the hidden neuron, threshold 1). The default.
    SpikeCount,
    /// `"time_to_first_spike"`: the first neuron to spike ([`iaf`]); the
    /// sample ends at the end of that step.
    TimeToFirstSpike,
    /// `"time_to_k_spikes"`: the first neuron to spike `k` times
    /// ([`iaf_ttks`]).
    TimeToKSpikes(u32),
    /// `"membrane_potential"`: the largest `v` of non-spiking accumulators
    /// ([`iaf_acc`]) at the end of the sample.
    MembranePotential,
}

impl ReadOut {
    /// ANNarchy's name (`k` for `"time_to_k_spikes"`, which needs it).
    pub fn from_name(name: &str, k: Option<u32>) -> Result<ReadOut> {
        match (name, k) {
            ("spike_count", _) => Ok(ReadOut::SpikeCount),
            ("time_to_first_spike", _) => Ok(ReadOut::TimeToFirstSpike),
            ("time_to_k_spikes", Some(k)) => Ok(ReadOut::TimeToKSpikes(k)),
            ("time_to_k_spikes", None) => Err(Error::invalid(
                OWNER,
                "when read_out is 'time_to_k_spikes', k must be given",
            )),
            ("membrane_potential", _) => Ok(ReadOut::MembranePotential),
            _ => Err(Error::invalid(
                OWNER,
                format!(
                    "unknown read-out '{name}': spike_count, time_to_first_spike, \
                     time_to_k_spikes or membrane_potential"
                ),
            )),
        }
    }
}

/// The scale of each layer's normalised weights (ANNarchy's
/// `scale_factor`; see the [module documentation](self)).
#[derive(Debug, Clone, PartialEq)]
pub enum ScaleFactor {
    /// `l + 2` for the `l`-th layer (0-based): ANNarchy's default (`None`).
    Depth,
    /// The same for every layer.
    Fixed(f32),
    /// One per layer (pooling layers included; their value is unused).
    PerLayer(Vec<f32>),
    /// No normalisation: the weights as trained (what ANNarchy 5.0.3's
    /// code runs, see the module documentation).
    Unnormalised,
}

/// ANNarchy's `ANNtoSNNConverter`: the choices of a conversion.
#[derive(Debug, Clone)]
pub struct AnnToSnnConverter {
    /// The input encoding.
    pub input_encoding: InputEncoding,
    /// The hidden layers' neuron.
    pub hidden_neuron: HiddenNeuron,
    /// The read-out.
    pub read_out: ReadOut,
    /// The input rate of a value of 1, in Hz (ANNarchy's `max_f`, 100).
    pub max_f: f32,
}

impl Default for AnnToSnnConverter {
    /// ANNarchy's defaults: `CPN`, `IaF`, `spike_count`, `max_f = 100`.
    fn default() -> Self {
        AnnToSnnConverter::new(InputEncoding::Cpn, HiddenNeuron::IaF, ReadOut::SpikeCount)
    }
}

impl AnnToSnnConverter {
    /// A converter (`max_f = 100`).
    pub fn new(
        input_encoding: InputEncoding,
        hidden_neuron: HiddenNeuron,
        read_out: ReadOut,
    ) -> AnnToSnnConverter {
        AnnToSnnConverter {
            input_encoding,
            hidden_neuron,
            read_out,
            max_f: 100.0,
        }
    }

    /// Sets `max_f`, the input rate (or current) of a value of 1.
    pub fn max_f(mut self, max_f: f32) -> AnnToSnnConverter {
        self.max_f = max_f;
        self
    }

    /// Loads a trained network ([`load_layers`]) and converts it
    /// (ANNarchy's `load_keras_model`).
    pub fn load(&self, path: impl AsRef<Path>, scale: &ScaleFactor) -> Result<AnnToSnnNet> {
        self.convert(&load_layers(path)?, scale)
    }

    /// Converts the layers (see the [module documentation](self)).
    ///
    /// Errors: the shapes do not chain, non-zero biases, a last layer
    /// that is not dense, a layer without positive weights (nothing to
    /// normalise by), a scale that is not positive or not one per layer,
    /// a `max_f` that is negative or not finite, a hidden neuron without
    /// `vt`, `mask` or `g_exc`, `TimeToKSpikes(0)`.
    pub fn convert(&self, layers: &[Layer], scale: &ScaleFactor) -> Result<AnnToSnnNet> {
        let input_dims = check_layers(layers, OWNER)?;
        for (i, layer) in layers.iter().enumerate() {
            if layer.bias().is_some_and(|b| b.iter().any(|&x| x != 0.0)) {
                return Err(Error::Unsupported {
                    owner: OWNER.into(),
                    message: format!(
                        "layer {i} has biases: ANNarchy's conversion takes layers without \
                         them (Keras' use_bias=False)"
                    ),
                });
            }
        }
        if !matches!(layers.last(), Some(Layer::Dense { .. })) {
            return Err(Error::Unsupported {
                owner: OWNER.into(),
                message: "the last layer (the read-out) must be dense".into(),
            });
        }
        if !(self.max_f.is_finite() && self.max_f >= 0.0) {
            return Err(Error::invalid(
                OWNER,
                format!(
                    "max_f = {}: a rate in Hz, finite and not negative",
                    self.max_f
                ),
            ));
        }
        if self.read_out == ReadOut::TimeToKSpikes(0) {
            return Err(Error::invalid(OWNER, "time_to_k_spikes needs k >= 1"));
        }
        let factors = normalisation_factors(layers, scale)?;
        let mut net = Network::new().dt(1.0);
        let input = net.population("input", &input_dims[..], &self.input_encoding.neuron())?;
        let hidden = self.hidden_neuron.neuron();
        let mut source = input;
        let mut populations = Vec::new();
        let mut projections = Vec::new();
        for (i, (layer, &factor)) in layers.iter().zip(&factors).enumerate() {
            let last = i + 1 == layers.len();
            let neuron = match (last, self.read_out) {
                (false, _) | (true, ReadOut::SpikeCount) => hidden.clone(),
                (true, ReadOut::TimeToFirstSpike) => iaf(),
                (true, ReadOut::TimeToKSpikes(k)) => iaf_ttks(k),
                (true, ReadOut::MembranePotential) => iaf_acc(),
            };
            let pop = net.population(&format!("layer{i}"), &layer.dims().1[..], &neuron)?;
            if !last {
                check_hidden(&net, pop)?;
                // ANNarchy: pop.vt = pop.vt - 0.05 * idx, idx the Keras
                // layer's index (the Input layer is 0).
                let p = net.pop(pop)?;
                let vt = p.init[slot_of(p, "vt")?].get(0);
                let vt = match net.precision() {
                    crate::real::Dtype::F32 => f64::from(vt as f32 - 0.05 * (i + 1) as f32),
                    crate::real::Dtype::F64 => vt - 0.05 * (i + 1) as f64,
                };
                net.set(pop, "vt", vt)?;
            }
            let name = format!("layer{i}_in");
            let proj = match layer {
                Layer::Dense { w, .. } => net
                    .projection(source, pop, "exc")
                    .name(&name)
                    .connect_from_matrix(w.mapv(|v| v * factor))?,
                Layer::Conv { .. } | Layer::Pool { .. } => {
                    let syn = match layer {
                        Layer::Pool { op, .. } => Synapse::new()
                            .name("ann_to_snn pooling")
                            .psp("pre.mask")
                            .operation(match op {
                                PoolOp::Max => Operation::Max,
                                PoolOp::Average => Operation::Mean,
                            }),
                        _ => Synapse::new()
                            .name("ann_to_snn convolution")
                            .psp("w * pre.mask"),
                    };
                    let synapses = layer.synapses();
                    let post = synapses.iter().map(|s| s.0).collect();
                    let pre = synapses.iter().map(|s| s.1).collect();
                    let w = synapses.iter().map(|s| s.2 * factor).collect();
                    net.projection(source, pop, "exc")
                        .name(&name)
                        .synapse(&syn)
                        .connect_from_sparse(post, pre, w, None)?
                }
            };
            projections.push(proj);
            populations.push(pop);
            source = pop;
        }
        let output = source;
        let monitor = match self.read_out {
            ReadOut::MembranePotential => None,
            _ => Some(net.monitor(output, &["spike"])?),
        };
        Ok(AnnToSnnNet {
            network: net,
            input,
            layers: populations,
            output,
            projections,
            monitor,
            factors,
            read_out: self.read_out,
            max_f: self.max_f,
        })
    }
}

/// Checks that a hidden population's model has what the conversion uses.
fn check_hidden(net: &Network, pop: PopId) -> Result<()> {
    let p = net.pop(pop)?;
    let model = p.ir.name.clone();
    let missing = |what: &str| {
        Err(Error::Model {
            model: model.clone(),
            message: format!(
                "a hidden neuron of the ANN-to-SNN conversion needs {what} (see HiddenNeuron::Custom)"
            ),
        })
    };
    if !p.ir.spiking {
        return missing("to be spiking");
    }
    if slot_of(p, "vt").is_err() {
        return missing("a threshold parameter 'vt'");
    }
    if slot_of(p, "mask").is_err() {
        return missing("a spike trace 'mask'");
    }
    if !p.ir.conductances.iter().any(|c| c.0 == "exc") {
        return missing("to read g_exc");
    }
    Ok(())
}

/// ANNarchy's `_normalize_weights`: `scale[l] / max_j sum_i max(w_ji, 0)`
/// per layer, 1 for a pooling layer.
fn normalisation_factors(layers: &[Layer], scale: &ScaleFactor) -> Result<Vec<f32>> {
    let n = layers.len();
    let scales: Vec<f32> = match scale {
        ScaleFactor::Unnormalised => return Ok(vec![1.0; n]),
        ScaleFactor::Depth => (0..n).map(|l| (l + 2) as f32).collect(),
        ScaleFactor::Fixed(s) => vec![*s; n],
        ScaleFactor::PerLayer(v) => {
            if v.len() != n {
                return Err(Error::Shape {
                    owner: OWNER.into(),
                    message: format!(
                        "ScaleFactor::PerLayer has {} values for {n} layers (pooling layers count)",
                        v.len()
                    ),
                });
            }
            v.clone()
        }
    };
    let mut out = Vec::with_capacity(n);
    for (l, (layer, &s)) in layers.iter().zip(&scales).enumerate() {
        let rows: Vec<f64> = match layer {
            Layer::Pool { .. } => {
                out.push(1.0);
                continue;
            }
            Layer::Dense { w, .. } => w
                .outer_iter()
                .map(|r| r.iter().map(|&v| v.max(0.0) as f64).sum())
                .collect(),
            Layer::Conv { w, .. } => w
                .outer_iter()
                .map(|f| f.iter().map(|&v| v.max(0.0) as f64).sum())
                .collect(),
        };
        if !(s.is_finite() && s > 0.0) {
            return Err(Error::invalid(
                OWNER,
                format!("layer {l}: the scale factor {s} must be positive and finite"),
            ));
        }
        let max = rows.into_iter().fold(0.0f64, f64::max);
        if max <= 0.0 {
            return Err(Error::invalid(
                OWNER,
                format!(
                    "layer {l} has no positive weight: its normalisation (scale / the largest \
                     sum of a neuron's positive weights) is undefined"
                ),
            ));
        }
        out.push((s as f64 / max) as f32);
    }
    Ok(out)
}

/// The converted network.
#[derive(Debug, Clone)]
pub struct AnnToSnnNet {
    /// The spiking network (step 1 ms).
    pub network: Network,
    /// The input population (per-neuron parameter `rates`).
    pub input: PopId,
    /// One population per layer, the last being the read-out.
    pub layers: Vec<PopId>,
    /// The read-out population.
    pub output: PopId,
    /// The projection into each layer.
    pub projections: Vec<ProjId>,
    /// The monitor of the read-out's spikes (none for the membrane
    /// potential read-out).
    pub monitor: Option<MonitorId>,
    /// The factor each layer's weights were multiplied by.
    pub factors: Vec<f32>,
    /// The read-out.
    pub read_out: ReadOut,
    /// The input rate of a value of 1.
    pub max_f: f32,
}

impl AnnToSnnNet {
    /// Compiles the network for a backend.
    pub fn compile(&self, backend: Backend) -> Result<Simulation> {
        self.network.compile(backend)
    }

    /// Compiles `batch` copies ([`Network::compile_batched`]): the
    /// predictions then run `batch` examples at a time.
    pub fn compile_batched(&self, backend: Backend, batch: usize) -> Result<Simulation> {
        self.network.compile_batched(backend, batch)
    }

    /// The number of inputs of an example.
    pub fn inputs(&self) -> Result<usize> {
        Ok(self.network.pop(self.input)?.size())
    }

    /// The read-out's score of every class for every example `[examples,
    /// inputs]`, `[examples, classes]`: the spike counts (up to the stop
    /// of a time-to-spike read-out) or the membrane potentials at the end.
    /// `sim` is compiled from this network, batched or not.
    pub fn scores(
        &self,
        sim: &mut Simulation,
        samples: ArrayView2<f32>,
        duration_per_sample: f64,
    ) -> Result<Array2<f32>> {
        let n_in = self.inputs()?;
        let n = samples.nrows();
        if samples.ncols() != n_in {
            return Err(Error::Shape {
                owner: OWNER.into(),
                message: format!(
                    "samples [{n}, {}] for {n_in} inputs: give [examples, {n_in}]",
                    samples.ncols()
                ),
            });
        }
        if samples.iter().any(|v| !v.is_finite()) {
            return Err(Error::invalid(OWNER, "samples must be finite"));
        }
        if !(duration_per_sample.is_finite() && duration_per_sample >= 1.0) {
            return Err(Error::invalid(
                OWNER,
                format!("duration_per_sample = {duration_per_sample}: at least one step (1 ms)"),
            ));
        }
        let b = sim.batch_size();
        let n_out = self.network.pop(self.output)?.size();
        let in_dims = self.network.pop(self.input)?.geometry.dims().to_vec();
        let mut dims = vec![b];
        dims.extend_from_slice(&in_dims);
        let base = sim.seed();
        let mut out = Array2::zeros((n, n_out));
        let result = (|| -> Result<()> {
            for (j, start) in (0..n).step_by(b).enumerate() {
                let rows = samples.slice(s![start..(start + b).min(n), ..]);
                sim.reset()?;
                sim.set_seed(base.wrapping_add(j as u64));
                // A last partial batch leaves its other elements at 0.
                let mut flat = vec![0.0f32; b * n_in];
                for (dst, row) in flat.chunks_mut(n_in).zip(rows.outer_iter()) {
                    for (d, &x) in dst.iter_mut().zip(row) {
                        *d = x * self.max_f;
                    }
                }
                let shape = if b == 1 { &in_dims } else { &dims };
                let rates =
                    ArrayD::from_shape_vec(IxDyn(shape), flat).map_err(|e| Error::Shape {
                        owner: OWNER.into(),
                        message: e.to_string(),
                    })?;
                sim.set(self.input, "rates", rates)?;
                sim.simulate(duration_per_sample)?;
                let scores = self.read(sim, b)?;
                for e in 0..rows.nrows() {
                    out.row_mut(start + e).assign(&ndarray::ArrayView1::from(
                        &scores[e * n_out..(e + 1) * n_out],
                    ));
                }
            }
            Ok(())
        })();
        sim.set_seed(base);
        result.map(|_| out)
    }

    /// The scores of the elements of the batch just run, one after the other.
    fn read(&self, sim: &Simulation, b: usize) -> Result<Vec<f32>> {
        let n_out = self.network.pop(self.output)?.size();
        let stop_at = match self.read_out {
            ReadOut::MembranePotential => {
                return Ok(sim.get(self.output, "v")?.iter().copied().collect());
            }
            ReadOut::SpikeCount => None,
            ReadOut::TimeToFirstSpike => Some(1),
            ReadOut::TimeToKSpikes(k) => Some(k),
        };
        let monitor = self
            .monitor
            .ok_or_else(|| Error::invalid(OWNER, "a spike read-out without its monitor"))?;
        let spikes = sim.spikes_batch(monitor)?;
        let mut out = vec![0.0f32; b * n_out];
        for (e, mut list) in spikes.into_iter().enumerate().take(b) {
            list.sort_unstable();
            let counts = &mut out[e * n_out..(e + 1) * n_out];
            let mut i = 0;
            while i < list.len() {
                // All the spikes of one step, then the stop condition.
                let step = list[i].0;
                while i < list.len() && list[i].0 == step {
                    counts[list[i].1 as usize] += 1.0;
                    i += 1;
                }
                if stop_at.is_some_and(|k| counts.iter().any(|&c| c >= k as f32)) {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// The classes whose score is the largest, for every example (ANNarchy's
    /// `predict(..., multiple=True)`): several where they tie.
    pub fn predict_multiple(
        &self,
        sim: &mut Simulation,
        samples: ArrayView2<f32>,
        duration_per_sample: f64,
    ) -> Result<Vec<Vec<usize>>> {
        let scores = self.scores(sim, samples, duration_per_sample)?;
        scores
            .outer_iter()
            .enumerate()
            .map(|(e, row)| {
                let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let best: Vec<usize> = row
                    .iter()
                    .enumerate()
                    .filter(|(_, &v)| v == max)
                    .map(|(i, _)| i)
                    .collect();
                if best.is_empty() {
                    return Err(Error::invalid(
                        OWNER,
                        format!("example {e}: the read-out's scores are not numbers ({row})"),
                    ));
                }
                Ok(best)
            })
            .collect()
    }

    /// The class of every example (ANNarchy's `predict`): the largest
    /// score, ties drawn uniformly (seeded with the simulation's seed).
    pub fn predict(
        &self,
        sim: &mut Simulation,
        samples: ArrayView2<f32>,
        duration_per_sample: f64,
    ) -> Result<Vec<usize>> {
        let mut rng = StdRng::seed_from_u64(sim.seed() ^ 0xA22_5AA);
        Ok(self
            .predict_multiple(sim, samples, duration_per_sample)?
            .into_iter()
            .map(|c| c[rng.random_range(0..c.len())])
            .collect())
    }
}

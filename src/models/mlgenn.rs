//! ml_genn's neuron models (`ml_genn.neurons`, the spiking-ML library built
//! on GeNN), written in the equation language with ml_genn's class names,
//! parameter names and defaults, so that both engines run them.
//!
//! Each model is a struct whose fields are ml_genn's constructor arguments,
//! with ml_genn's defaults in its [`Default`]; [`neuron`](LeakyIntegrateFire::neuron)
//! writes the [`Neuron`]. The structs deserialise (serde) from their
//! fields by name, as the Python package builds them from keyword
//! arguments: a field left out keeps its default, an unknown one is an
//! error naming it. A free function gives the default instance:
//!
//! ```
//! use cajal::models::mlgenn::{self, LeakyIntegrateFire};
//! let hidden = LeakyIntegrateFire { tau_mem: 10.0, tau_refrac: Some(5.0), ..Default::default() }.neuron();
//! assert_eq!(hidden.model_name(), "LeakyIntegrateFire");
//! assert_eq!(mlgenn::leaky_integrate().model_name(), "LeakyIntegrate");
//! ```
//!
//! # How the models run
//!
//! ml_genn computes every neuron with GeNN's "sim code": plain assignments
//! run once a step, with the exact exponential factors
//! `Alpha = exp(-dt / tau_mem)` (and `Rho = exp(-dt / tau_adapt)`) that
//! ml_genn computes on the host. Here the same assignments are equations
//! (no ODE, no integration method), and the factors are equations of `dt`
//! and the parameters (`alpha = exp(-dt / tau_mem)`), computed in f32 with
//! the engines' shared `exp`, so both engines compute the same bits and a
//! parameter changed with `set` takes effect (ml_genn computes `Alpha` once,
//! in double precision, then rounds it: the two can differ by an ulp).
//!
//! The parameters given to the struct are the defaults of per-neuron
//! parameters (`Network::set` / `Simulation::set` change them, neuron by
//! neuron); the booleans (`relative_reset`, `integrate_during_refrac`,
//! `scale_i`, `signed_*`) and `tau_refrac: None` choose the equations, as
//! they choose GeNN's code in ml_genn. The initial values (`v`, `a`) are the
//! variables' `init`.
//!
//! # Input current: `Isyn` is `g_exc`
//!
//! GeNN gives a neuron its synaptic input as `Isyn`, the sum of what its
//! post-synaptic models add; ml_genn's default synapse is `Delta`: a spike
//! adds the weight to `Isyn` for one step. In cajal a spiking projection
//! adds `w` to the conductance `g_target` of the post neuron, and a
//! conductance that no equation governs is zeroed at the start of each step.
//! So these models read **`Isyn = g_exc`** (target `"exc"`), ungoverned,
//! which is exactly the delta synapse: a spike emitted at step `s` adds `w`
//! at step `s + d` (`d` at least one step, as GeNN's spikes reach `Isyn` the
//! step after they are emitted) and is gone the step after. Signed weights
//! all go to `"exc"`, as ml_genn's single connection per layer pair.
//! `Network::current_injection(drive, pop, "exc")` sets `g_exc` to a rate
//! every step (a constant current).
//!
//! # Inputs
//!
//! ml_genn's input neurons read `Input`, a per-neuron value the host writes
//! for each example (`set_input`). Here it is the per-neuron parameter
//! **`input`**: `net.set(pop, "input", values)` before compiling or
//! `sim.set(pop, "input", values)` between runs, or ml_genn's
//! `Simulation::set_input` (one example per batch element). ml_genn's
//! time-varying inputs (`Network::input_frames`) and `SpikeInput`
//! (`Network::spike_input`, pre-processed spike trains per example) are in
//! [`super::mlgenn_input`].
//!
//! Signed spikes (`signed_spikes` of [`PoissonInput`] and
//! [`BinarySpikeInput`]): GeNN emits a "negative spike" event that ml_genn's
//! signed synapse turns into `-w`. Here a negative spike is a spike with
//! the neuron's variable `spike_sign` at -1 (1 for a positive one); connect
//! such a population with [`signed_spike_synapse`] (`g_target += w *
//! pre.spike_sign`). Spike monitors see both kinds as spikes.
//!
//! Sources: ml_genn's `ml_genn/neurons/*.py` (the current ones, GeNN 5
//! syntax), cited per model.

use crate::network::model::{Neuron, Synapse};

/// A number in the equation language (Debug of f32: always with a `.` or
/// an exponent, and the shortest text that reads back to the same f32).
fn num(x: f32) -> String {
    format!("{x:?}")
}

/// The reset of `v`: relative (`v -= v_thresh - v_reset`) or to `v_reset`.
fn v_reset_stmt(relative: bool) -> &'static str {
    if relative {
        "v -= v_thresh - v_reset"
    } else {
        "v = v_reset"
    }
}

/// The LIF-style update shared by `LeakyIntegrateFire`,
/// `AdaptiveLeakyIntegrateFire` and `LeakyIntegrateFireInput`.
struct Lif<'a> {
    name: &'a str,
    params: String,
    /// Equations before the update of `v` (`alpha`, ...).
    pre: String,
    /// The new value of `v`.
    v_update: String,
    v_init: f32,
    /// Equations after the update of `v` (adaptation).
    post: String,
    threshold: String,
    reset: String,
    tau_refrac: Option<f32>,
    integrate_during_refrac: bool,
}

impl Lif<'_> {
    fn neuron(self) -> Neuron {
        let mut params = self.params;
        let mut eqs = self.pre;
        let mut spike = self.threshold;
        let mut reset = self.reset;
        let v_init = num(self.v_init);
        match self.tau_refrac {
            None => {
                eqs += &format!("v = {} : init = {v_init}\n", self.v_update);
            }
            Some(tr) => {
                // ml_genn's RefracTime: set to tau_refrac by a spike, counted
                // down by dt at each step; no spike while it is above 0.
                params += &format!("\ntau_refrac = {}", num(tr));
                if self.integrate_during_refrac {
                    eqs += &format!("v = {} : init = {v_init}\n", self.v_update);
                } else {
                    eqs += &format!(
                        "v = if refrac_time > 0.0 then v else {} : init = {v_init}\n",
                        self.v_update
                    );
                }
                eqs +=
                    "refrac_time = if refrac_time > 0.0 then refrac_time - dt else refrac_time\n";
                spike = format!("({spike}) and refrac_time <= 0.0");
                reset += "\nrefrac_time = tau_refrac";
            }
        }
        eqs += &self.post;
        Neuron::spiking()
            .name(self.name)
            .parameters(&params)
            .equations(eqs.trim_end())
            .spike(&spike)
            .reset(&reset)
    }
}

/// ml_genn's `LeakyIntegrateFire` (`ml_genn/neurons/leaky_integrate_fire.py`):
/// a leaky integrate-and-fire neuron with exact exponential decay and a
/// delta-current input.
///
/// ```text
/// alpha = exp(-dt / tau_mem)
/// v = alpha * v + Isyn                 (scale_i: alpha * v + (1 - alpha) * Isyn)
/// spike: v >= v_thresh                 (and refrac_time <= 0 with a tau_refrac)
/// reset: v -= v_thresh - v_reset       (relative_reset; otherwise v = v_reset)
/// ```
///
/// With `tau_refrac: Some(ms)`, a spike sets `refrac_time = tau_refrac`,
/// each step then subtracts `dt` while it is above 0, and the neuron cannot
/// spike until it is 0 again: `ceil(tau_refrac / dt)` silent steps. With
/// `integrate_during_refrac: false`, `v` is held while `refrac_time > 0` at
/// the start of the step (ml_genn's order: the step that counts down to 0
/// still holds `v`). `Isyn` is `g_exc` (see the module documentation).
///
/// Parameters: `v_thresh`, `v_reset`, `tau_mem` (ms) and `tau_refrac`
/// (ms; only with `Some`), per neuron. Variables: `alpha`, `v`,
/// `refrac_time` (with a `tau_refrac`).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LeakyIntegrateFire {
    /// Firing threshold (default 1.0).
    pub v_thresh: f32,
    /// Reset: subtracted as `v_thresh - v_reset` (relative) or the value
    /// `v` is set to (default 0.0).
    pub v_reset: f32,
    /// Initial membrane voltage (default 0.0).
    pub v: f32,
    /// Membrane time constant in ms (default 20.0).
    pub tau_mem: f32,
    /// Refractory period in ms; `None` (the default): no refractoriness.
    pub tau_refrac: Option<f32>,
    /// Subtract `v_thresh - v_reset` at a spike instead of setting `v_reset`
    /// (default true).
    pub relative_reset: bool,
    /// Integrate the input during the refractory period (default true).
    pub integrate_during_refrac: bool,
    /// Scale the input by `1 - alpha` (default false).
    pub scale_i: bool,
}

impl Default for LeakyIntegrateFire {
    fn default() -> Self {
        LeakyIntegrateFire {
            v_thresh: 1.0,
            v_reset: 0.0,
            v: 0.0,
            tau_mem: 20.0,
            tau_refrac: None,
            relative_reset: true,
            integrate_during_refrac: true,
            scale_i: false,
        }
    }
}

impl LeakyIntegrateFire {
    /// The neuron model.
    pub fn neuron(&self) -> Neuron {
        self.model("LeakyIntegrateFire", "g_exc", "")
    }

    fn model(&self, name: &str, input: &str, extra_params: &str) -> Neuron {
        let v_update = if self.scale_i {
            format!("alpha * v + (1.0 - alpha) * {input}")
        } else {
            format!("alpha * v + {input}")
        };
        Lif {
            name,
            params: format!(
                "v_thresh = {}\nv_reset = {}\ntau_mem = {}  # ms{extra_params}",
                num(self.v_thresh),
                num(self.v_reset),
                num(self.tau_mem)
            ),
            pre: "alpha = exp(-dt / tau_mem)\n".into(),
            v_update,
            v_init: self.v,
            post: String::new(),
            threshold: "v >= v_thresh".into(),
            reset: v_reset_stmt(self.relative_reset).into(),
            tau_refrac: self.tau_refrac,
            integrate_during_refrac: self.integrate_during_refrac,
        }
        .neuron()
    }
}

/// ml_genn's `LeakyIntegrateFire` with its defaults (`v_thresh = 1`,
/// `v_reset = 0`, `tau_mem = 20` ms, relative reset, no refractoriness).
pub fn leaky_integrate_fire() -> Neuron {
    LeakyIntegrateFire::default().neuron()
}

/// ml_genn's `AdaptiveLeakyIntegrateFire`
/// (`ml_genn/neurons/adaptive_leaky_integrate_fire.py`): the LIF neuron with
/// an adaptive threshold of Bellec et al. (2018, "Long short-term memory and
/// learning-to-learn in networks of spiking neurons").
///
/// ```text
/// alpha = exp(-dt / tau_mem); rho = exp(-dt / tau_adapt)
/// v = alpha * v + Isyn
/// a = rho * a
/// spike: v >= v_thresh + beta * a      (and refrac_time <= 0 with a tau_refrac)
/// reset: v -= v_thresh - v_reset (relative_reset; otherwise v = v_reset); a += 1
/// ```
///
/// Refractoriness as [`LeakyIntegrateFire`]'s (`a` decays during it). ml_genn
/// has no `scale_i` for this model. `Isyn` is `g_exc`.
///
/// Parameters: `v_thresh`, `v_reset`, `beta`, `tau_mem`, `tau_adapt` (ms),
/// `tau_refrac` (with `Some`). Variables: `alpha`, `rho`, `v`, `a`,
/// `refrac_time`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdaptiveLeakyIntegrateFire {
    /// Base firing threshold (default 1.0).
    pub v_thresh: f32,
    /// Reset value (default 0.0), as [`LeakyIntegrateFire::v_reset`].
    pub v_reset: f32,
    /// Initial membrane voltage (default 0.0).
    pub v: f32,
    /// Initial adaptation (default 0.0).
    pub a: f32,
    /// Strength of the adaptation: the threshold is `v_thresh + beta * a`
    /// (default 0.0174).
    pub beta: f32,
    /// Membrane time constant in ms (default 20.0).
    pub tau_mem: f32,
    /// Refractory period in ms (default `None`).
    pub tau_refrac: Option<f32>,
    /// Time constant of the adaptation in ms (default 2000.0).
    pub tau_adapt: f32,
    /// Relative reset (default true).
    pub relative_reset: bool,
    /// Integrate the input during the refractory period (default true).
    pub integrate_during_refrac: bool,
}

impl Default for AdaptiveLeakyIntegrateFire {
    fn default() -> Self {
        AdaptiveLeakyIntegrateFire {
            v_thresh: 1.0,
            v_reset: 0.0,
            v: 0.0,
            a: 0.0,
            beta: 0.0174,
            tau_mem: 20.0,
            tau_refrac: None,
            tau_adapt: 2000.0,
            relative_reset: true,
            integrate_during_refrac: true,
        }
    }
}

impl AdaptiveLeakyIntegrateFire {
    /// The neuron model.
    pub fn neuron(&self) -> Neuron {
        Lif {
            name: "AdaptiveLeakyIntegrateFire",
            params: format!(
                "v_thresh = {}\nv_reset = {}\nbeta = {}\ntau_mem = {}  # ms\ntau_adapt = {}  # ms",
                num(self.v_thresh),
                num(self.v_reset),
                num(self.beta),
                num(self.tau_mem),
                num(self.tau_adapt)
            ),
            pre: "alpha = exp(-dt / tau_mem)\nrho = exp(-dt / tau_adapt)\n".into(),
            v_update: "alpha * v + g_exc".into(),
            v_init: self.v,
            post: format!("a = rho * a : init = {}\n", num(self.a)),
            threshold: "v >= v_thresh + beta * a".into(),
            reset: format!("{}\na += 1.0", v_reset_stmt(self.relative_reset)),
            tau_refrac: self.tau_refrac,
            integrate_during_refrac: self.integrate_during_refrac,
        }
        .neuron()
    }
}

/// ml_genn's `AdaptiveLeakyIntegrateFire` with its defaults.
pub fn adaptive_leaky_integrate_fire() -> Neuron {
    AdaptiveLeakyIntegrateFire::default().neuron()
}

/// ml_genn's `IntegrateFire` (`ml_genn/neurons/integrate_fire.py`): a
/// non-leaky integrate-and-fire neuron.
///
/// ```text
/// v = v + Isyn
/// spike: v >= v_thresh     reset: v = v_reset
/// ```
///
/// Parameters: `v_thresh`, `v_reset`. Variable: `v`. `Isyn` is `g_exc`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IntegrateFire {
    /// Firing threshold (default 1.0).
    pub v_thresh: f32,
    /// Value `v` is set to after a spike (default 0.0).
    pub v_reset: f32,
    /// Initial membrane voltage (default 0.0).
    pub v: f32,
}

impl Default for IntegrateFire {
    fn default() -> Self {
        IntegrateFire {
            v_thresh: 1.0,
            v_reset: 0.0,
            v: 0.0,
        }
    }
}

impl IntegrateFire {
    /// The neuron model.
    pub fn neuron(&self) -> Neuron {
        self.model("IntegrateFire", "g_exc", "")
    }

    fn model(&self, name: &str, input: &str, extra_params: &str) -> Neuron {
        Neuron::spiking()
            .name(name)
            .parameters(&format!(
                "v_thresh = {}\nv_reset = {}{extra_params}",
                num(self.v_thresh),
                num(self.v_reset)
            ))
            .equations(&format!("v = v + {input} : init = {}", num(self.v)))
            .spike("v >= v_thresh")
            .reset("v = v_reset")
    }
}

/// ml_genn's `IntegrateFire` with its defaults.
pub fn integrate_fire() -> Neuron {
    IntegrateFire::default().neuron()
}

/// ml_genn's `LeakyIntegrate` (`ml_genn/neurons/leaky_integrate.py`): the
/// leaky integrator used as an output layer; it never spikes.
///
/// ```text
/// alpha = exp(-dt / tau_mem)
/// v = alpha * v + Isyn + bias          (scale_i: alpha * v + (1 - alpha) * Isyn + bias)
/// ```
///
/// It is a spiking-kind model (so that spiking projections reach its
/// `g_exc`) whose spike condition is `false`; read its `v` (a monitor, or
/// `Simulation::get`). ml_genn's readouts (sum, max, `var`) are computed
/// from `v` by the caller.
///
/// Parameters: `bias`, `tau_mem` (ms). Variables: `alpha`, `v`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LeakyIntegrate {
    /// Initial membrane voltage (default 0.0).
    pub v: f32,
    /// Bias current added every step (default 0.0).
    pub bias: f32,
    /// Membrane time constant in ms (default 20.0).
    pub tau_mem: f32,
    /// Scale the input by `1 - alpha` (default false).
    pub scale_i: bool,
}

impl Default for LeakyIntegrate {
    fn default() -> Self {
        LeakyIntegrate {
            v: 0.0,
            bias: 0.0,
            tau_mem: 20.0,
            scale_i: false,
        }
    }
}

impl LeakyIntegrate {
    /// The neuron model.
    pub fn neuron(&self) -> Neuron {
        let input = if self.scale_i {
            "(1.0 - alpha) * g_exc"
        } else {
            "g_exc"
        };
        Neuron::spiking()
            .name("LeakyIntegrate")
            .parameters(&format!(
                "bias = {}\ntau_mem = {}  # ms",
                num(self.bias),
                num(self.tau_mem)
            ))
            .equations(&format!(
                "alpha = exp(-dt / tau_mem)\nv = alpha * v + {input} + bias : init = {}",
                num(self.v)
            ))
            .spike("false")
    }
}

/// ml_genn's `LeakyIntegrate` with its defaults.
pub fn leaky_integrate() -> Neuron {
    LeakyIntegrate::default().neuron()
}

/// The step counter of the few-spike models: `pt` is the step within the
/// current window of `k` steps (0 at steps 0, k, 2k, ... of the
/// simulation), ml_genn's `pipeTimestep`.
const FS_STEP: &str = "pt = modulo(pt + 1.0, k) : population, init = -1.0";

/// The thresholds of a few-spike sender: `h = alpha * 2^-(j+1)` at its
/// `j`-th threshold step, halved exactly from `alpha / 2`.
fn fs_threshold(signed: bool) -> &'static str {
    if signed {
        // Positive and negative steps interleaved: the threshold halves
        // every second step.
        "h = if pt == 0.0 then 0.5 * alpha else (if modulo(pt, 2.0) == 0.0 then 0.5 * h else h) : population"
    } else {
        "h = if pt == 0.0 then 0.5 * alpha else 0.5 * h : population"
    }
}

/// ml_genn's `FewSpikeRelu` (`ml_genn/neurons/few_spike_relu.py`): the
/// few-spike (FS) neuron of Stöckl & Maass (2021, "Optimized spiking
/// neurons can classify images with high accuracy through temporal coding
/// with two spikes") for a ReLU activation, pipelined over windows of `k`
/// steps.
///
/// During a window the neuron encodes the value `v` it took at the
/// window's first step: at its step `j` (0..k) it spikes when `v >= h_j`,
/// `h_j = alpha * 2^-(j+1)`, and then subtracts `h_j`. A value `x` in
/// `[0, alpha * (1 - 2^-k)]` is sent as the binary digits of `x / alpha`,
/// to within `alpha * 2^-k`; a negative value sends nothing (the ReLU),
/// a larger one saturates. Meanwhile it decodes its input: a spike sent by
/// an upstream FS neuron at its step `j` arrives one step later and adds
/// `w * source_alpha * 2^-(j+1)` to `fx`; at the first step of the next
/// window `v = fx` and `fx = 0`. A layer thus adds one window of latency.
///
/// ```text
/// pt = (pt + 1) mod k                       step in the window (0 at step 0)
/// q  = (pt + k - 1) mod k                   step at which the arriving spikes were sent
/// h  = pt == 0 ? alpha / 2 : h / 2          threshold alpha * 2^-(pt+1)
/// d  = q == 0 ? source_alpha / 2 : d / 2    weight of an arriving spike
/// fx = fx + Isyn * d
/// v  = pt == 0 ? fx : v;   fx = pt == 0 ? 0 : fx
/// spike: v >= h            reset: v -= h
/// ```
///
/// This is ml_genn's code with its `hT = Scale * (1 << (K - 1 - pipeTimestep))`
/// (`Scale = alpha * 2^-K`) and `d = SrcScale * (1 << ((K - pipeTimestep) % K))`
/// written as exact halvings (no `pow`, whose GPU twin may differ by an ulp).
/// With `source_signed` (upstream [`FewSpikeReluInput`] with `signed_input`),
/// the spikes sent at even steps are positive and those at odd steps
/// negative, and the weight halves every second step (ml_genn's
/// `genn_model_upstream_signed`).
///
/// ml_genn reads `alpha` and the signedness of the upstream FS layer from
/// the incoming connections; here they are `source_alpha` (default: the
/// neuron's own `alpha`) and `source_signed`. The window starts at step 0
/// of the simulation (ml_genn's `t / dt`); `Simulation::reset` restarts it.
/// `Isyn` is `g_exc`; connect FS layers with delay one step (the default).
///
/// Parameters (population): `k` (int), `alpha`, `source_alpha`.
/// Variables: `pt`, `q`, `h`, `d` (population), `fx`, `v`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FewSpikeRelu {
    /// Steps of a window (default 10).
    pub k: u32,
    /// Largest activation encoded (scale of the thresholds, default 25.0).
    pub alpha: f32,
    /// `alpha` of the upstream FS layer (default `None`: the same as `alpha`).
    pub source_alpha: Option<f32>,
    /// The upstream layer is a signed [`FewSpikeReluInput`] (default false).
    pub source_signed: bool,
}

impl Default for FewSpikeRelu {
    fn default() -> Self {
        FewSpikeRelu {
            k: 10,
            alpha: 25.0,
            source_alpha: None,
            source_signed: false,
        }
    }
}

impl FewSpikeRelu {
    /// The neuron model.
    pub fn neuron(&self) -> Neuron {
        let decode = if self.source_signed {
            "d = if q == 0.0 then 0.5 * source_alpha else (if modulo(q, 2.0) == 0.0 then 0.5 * d else d) : population
fx = fx + (if modulo(q, 2.0) == 0.0 then g_exc else -g_exc) * d"
        } else {
            "d = if q == 0.0 then 0.5 * source_alpha else 0.5 * d : population
fx = fx + g_exc * d"
        };
        Neuron::spiking()
            .name("FewSpikeRelu")
            .parameters(&format!(
                "k = {} : population, int\nalpha = {} : population\nsource_alpha = {} : population",
                self.k,
                num(self.alpha),
                num(self.source_alpha.unwrap_or(self.alpha))
            ))
            .equations(&format!(
                "{FS_STEP}
q = modulo(pt + k - 1.0, k) : population
{}
{decode}
v = if pt == 0.0 then fx else v
fx = if pt == 0.0 then 0.0 else fx",
                fs_threshold(false)
            ))
            .spike("v >= h")
            .reset("v -= h")
    }
}

/// ml_genn's `FewSpikeRelu` with its defaults (`k = 10`, `alpha = 25`).
pub fn few_spike_relu() -> Neuron {
    FewSpikeRelu::default().neuron()
}

/// ml_genn's `IntegrateFireInput` (`ml_genn/neurons/integrate_fire_input.py`):
/// [`IntegrateFire`] driven by the host's `input` instead of `Isyn`
/// (`v = v + input`).
///
/// Parameters: `v_thresh`, `v_reset`, `input` (default 0). Variable: `v`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IntegrateFireInput {
    /// Firing threshold (default 1.0).
    pub v_thresh: f32,
    /// Value `v` is set to after a spike (default 0.0).
    pub v_reset: f32,
    /// Initial membrane voltage (default 0.0).
    pub v: f32,
}

impl Default for IntegrateFireInput {
    fn default() -> Self {
        let d = IntegrateFire::default();
        IntegrateFireInput {
            v_thresh: d.v_thresh,
            v_reset: d.v_reset,
            v: d.v,
        }
    }
}

impl IntegrateFireInput {
    /// The neuron model.
    pub fn neuron(&self) -> Neuron {
        IntegrateFire {
            v_thresh: self.v_thresh,
            v_reset: self.v_reset,
            v: self.v,
        }
        .model("IntegrateFireInput", "input", "\ninput = 0.0")
    }
}

/// ml_genn's `IntegrateFireInput` with its defaults.
pub fn integrate_fire_input() -> Neuron {
    IntegrateFireInput::default().neuron()
}

/// ml_genn's `LeakyIntegrateFireInput`
/// (`ml_genn/neurons/leaky_integrate_fire_input.py`): [`LeakyIntegrateFire`]
/// driven by the host's `input` instead of `Isyn`
/// (`v = alpha * v + input`, or `+ (1 - alpha) * input` with `scale_i`).
///
/// The fields, defaults, parameters and variables are those of
/// [`LeakyIntegrateFire`], with the parameter `input` (default 0).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LeakyIntegrateFireInput {
    /// Firing threshold (default 1.0).
    pub v_thresh: f32,
    /// Reset (default 0.0), as [`LeakyIntegrateFire::v_reset`].
    pub v_reset: f32,
    /// Initial membrane voltage (default 0.0).
    pub v: f32,
    /// Membrane time constant in ms (default 20.0).
    pub tau_mem: f32,
    /// Refractory period in ms (default `None`).
    pub tau_refrac: Option<f32>,
    /// Relative reset (default true).
    pub relative_reset: bool,
    /// Integrate the input during the refractory period (default true).
    pub integrate_during_refrac: bool,
    /// Scale the input by `1 - alpha` (default false).
    pub scale_i: bool,
}

impl Default for LeakyIntegrateFireInput {
    fn default() -> Self {
        let d = LeakyIntegrateFire::default();
        LeakyIntegrateFireInput {
            v_thresh: d.v_thresh,
            v_reset: d.v_reset,
            v: d.v,
            tau_mem: d.tau_mem,
            tau_refrac: d.tau_refrac,
            relative_reset: d.relative_reset,
            integrate_during_refrac: d.integrate_during_refrac,
            scale_i: d.scale_i,
        }
    }
}

impl LeakyIntegrateFireInput {
    /// The neuron model.
    pub fn neuron(&self) -> Neuron {
        LeakyIntegrateFire {
            v_thresh: self.v_thresh,
            v_reset: self.v_reset,
            v: self.v,
            tau_mem: self.tau_mem,
            tau_refrac: self.tau_refrac,
            relative_reset: self.relative_reset,
            integrate_during_refrac: self.integrate_during_refrac,
            scale_i: self.scale_i,
        }
        .model("LeakyIntegrateFireInput", "input", "\ninput = 0.0")
    }
}

/// ml_genn's `LeakyIntegrateFireInput` with its defaults.
pub fn leaky_integrate_fire_input() -> Neuron {
    LeakyIntegrateFireInput::default().neuron()
}

/// ml_genn's `FewSpikeReluInput` (`ml_genn/neurons/few_spike_relu_input.py`):
/// the first layer of a few-spike network, which encodes the host's
/// `input` with the thresholds of [`FewSpikeRelu`].
///
/// ```text
/// pt = (pt + 1) mod k
/// h  = pt == 0 ? alpha / 2 : h / 2              (signed: halved every second step)
/// v  = pt == 0 ? input : v
/// spike: v >= h                                  reset: v -= h
/// signed: spike: (pt even and v >= h) or (pt odd and v < -h)
///         reset: v -= h at even steps, v += h at odd steps
/// ```
///
/// Unsigned, `input` in `[0, alpha * (1 - 2^-k)]` is sent to within
/// `alpha * 2^-k`; signed, `k / 2` positive steps (even `pt`) and `k / 2`
/// negative ones (odd `pt`) with thresholds `alpha * 2^-(pt/2 + 1)` send
/// `|input|` up to `alpha * (1 - 2^-(k/2))` to within `alpha * 2^-(k/2)`
/// (ml_genn's `Scale = alpha * 2^(-K // 2)`). A spike at an odd step is an
/// ordinary spike: the next layer, `FewSpikeRelu { source_signed: true, .. }`
/// with the default synapse, takes its sign from the step's parity.
///
/// ml_genn writes the input into `V` once per example; here `v` takes
/// `input` at the first step of every window, so a constant `input` is sent
/// again every `k` steps and a new one (`Simulation::set`) from the next
/// window. For an odd `k`, signed, ml_genn's sender and receiver scales
/// disagree (and its shift goes negative at the last step); here both use
/// `alpha * 2^-(j/2 + 1)`, the same as ml_genn's for an even `k`.
///
/// Parameters: `k` (int), `alpha` (population), `input`. Variables: `pt`,
/// `h` (population), `v`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FewSpikeReluInput {
    /// Steps of a window (default 10).
    pub k: u32,
    /// Largest input encoded (default 25.0).
    pub alpha: f32,
    /// Inputs may be negative (default false).
    pub signed_input: bool,
}

impl Default for FewSpikeReluInput {
    fn default() -> Self {
        FewSpikeReluInput {
            k: 10,
            alpha: 25.0,
            signed_input: false,
        }
    }
}

impl FewSpikeReluInput {
    /// The neuron model.
    pub fn neuron(&self) -> Neuron {
        let n = Neuron::spiking()
            .name("FewSpikeReluInput")
            .parameters(&format!(
                "k = {} : population, int\nalpha = {} : population\ninput = 0.0",
                self.k,
                num(self.alpha)
            ))
            .equations(&format!(
                "{FS_STEP}\n{}\nv = if pt == 0.0 then input else v",
                fs_threshold(self.signed_input)
            ));
        if self.signed_input {
            n.spike("(modulo(pt, 2.0) == 0.0 and v >= h) or (modulo(pt, 2.0) == 1.0 and v < -h)")
                .reset("v = if modulo(pt, 2.0) == 0.0 then v - h else v + h")
        } else {
            n.spike("v >= h").reset("v -= h")
        }
    }
}

/// ml_genn's `FewSpikeReluInput` with its defaults (`k = 10`, `alpha = 25`,
/// unsigned).
pub fn few_spike_relu_input() -> Neuron {
    FewSpikeReluInput::default().neuron()
}

/// ml_genn's `PoissonInput` (`ml_genn/neurons/poisson_input.py`): at each
/// step a neuron spikes with probability `1 - exp(-|input| * dt)` (`input`
/// a rate in spikes per ms, e.g. a pixel intensity), if `input > 0`.
///
/// ```text
/// u = Uniform(0, 1)
/// spike: input > 0 and u >= exp(-abs(input) * dt)
/// signed_spikes: spike: input != 0 and u >= exp(-abs(input) * dt);
///                spike_sign = input < 0 ? -1 : 1
/// ```
///
/// The draw is Philox's, so both engines give the same spikes for a seed.
/// Signed spikes need [`signed_spike_synapse`] downstream.
///
/// Parameter: `input`. Variables: `u`, `spike_sign` (signed).
#[derive(Debug, Clone, PartialEq, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PoissonInput {
    /// Emit negative spikes for negative inputs (default false).
    pub signed_spikes: bool,
}

impl PoissonInput {
    /// The neuron model.
    pub fn neuron(&self) -> Neuron {
        let n = Neuron::spiking()
            .name("PoissonInput")
            .parameters("input = 0.0");
        if self.signed_spikes {
            n.equations(
                "u = Uniform(0.0, 1.0)\nspike_sign = if input < 0.0 then -1.0 else 1.0 : init = 1.0",
            )
            .spike("input != 0.0 and u >= exp(-abs(input) * dt)")
        } else {
            n.equations("u = Uniform(0.0, 1.0)")
                .spike("input > 0.0 and u >= exp(-abs(input) * dt)")
        }
    }
}

/// ml_genn's `PoissonInput` with its defaults (unsigned).
pub fn poisson_input() -> Neuron {
    PoissonInput::default().neuron()
}

/// ml_genn's `BinarySpikeInput` (`ml_genn/neurons/binary_spike_input.py`):
/// a neuron spikes at every step while its `input` is above 0 (with
/// `signed_spikes`, a negative spike while it is below 0).
///
/// ```text
/// spike: input > 0                     (signed_spikes: input != 0;
///                                       spike_sign = input < 0 ? -1 : 1)
/// ```
///
/// Parameter: `input`. Variable: `spike_sign` (signed).
#[derive(Debug, Clone, PartialEq, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BinarySpikeInput {
    /// Emit negative spikes for negative inputs (default false).
    pub signed_spikes: bool,
}

impl BinarySpikeInput {
    /// The neuron model.
    pub fn neuron(&self) -> Neuron {
        let n = Neuron::spiking()
            .name("BinarySpikeInput")
            .parameters("input = 0.0");
        if self.signed_spikes {
            n.equations("spike_sign = if input < 0.0 then -1.0 else 1.0 : init = 1.0")
                .spike("input != 0.0")
        } else {
            n.spike("input > 0.0")
        }
    }
}

/// ml_genn's `BinarySpikeInput` with its defaults (unsigned).
pub fn binary_spike_input() -> Neuron {
    BinarySpikeInput::default().neuron()
}

/// The synapse that carries signed spikes (ml_genn's signed static pulse):
/// a spike adds `w * pre.spike_sign` to `g_target`, so a negative spike of
/// a [`PoissonInput`] or [`BinarySpikeInput`] with `signed_spikes` adds
/// `-w`. The sign is read when the spike is delivered (the value the
/// pre-synaptic neuron holds then): with constant inputs, its sign.
pub fn signed_spike_synapse() -> Synapse {
    Synapse::new()
        .name("SignedStaticPulse")
        .pre_spike("g_target += w * pre.spike_sign")
}

/// ml_genn's class names of the models here.
const NAMES: &[&str] = &[
    "LeakyIntegrateFire",
    "AdaptiveLeakyIntegrateFire",
    "IntegrateFire",
    "LeakyIntegrate",
    "FewSpikeRelu",
    "IntegrateFireInput",
    "LeakyIntegrateFireInput",
    "FewSpikeReluInput",
    "PoissonInput",
    "BinarySpikeInput",
];

/// The model of the given ml_genn class name (e.g. `"LeakyIntegrateFire"`),
/// with ml_genn's defaults; `None` for an unknown name.
pub fn model(name: &str) -> Option<Neuron> {
    Some(match name {
        "LeakyIntegrateFire" => leaky_integrate_fire(),
        "AdaptiveLeakyIntegrateFire" => adaptive_leaky_integrate_fire(),
        "IntegrateFire" => integrate_fire(),
        "LeakyIntegrate" => leaky_integrate(),
        "FewSpikeRelu" => few_spike_relu(),
        "IntegrateFireInput" => integrate_fire_input(),
        "LeakyIntegrateFireInput" => leaky_integrate_fire_input(),
        "FewSpikeReluInput" => few_spike_relu_input(),
        "PoissonInput" => poisson_input(),
        "BinarySpikeInput" => binary_spike_input(),
        _ => return None,
    })
}

/// The ml_genn class names that [`model`] knows.
pub fn model_names() -> &'static [&'static str] {
    NAMES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_model_is_found_by_its_name() {
        for name in model_names() {
            let n = model(name).unwrap_or_else(|| panic!("{name} not found"));
            assert_eq!(n.model_name(), *name);
        }
        assert!(model("SpikeInput").is_none());
    }

    #[test]
    fn defaults_are_ml_genns() {
        let lif = leaky_integrate_fire();
        for p in ["v_thresh = 1.0", "v_reset = 0.0", "tau_mem = 20.0"] {
            assert!(lif.parameters.contains(p), "{p}");
        }
        assert!(!lif.parameters.contains("tau_refrac"));
        assert!(lif.reset.contains("v -= v_thresh - v_reset"));
        let alif = adaptive_leaky_integrate_fire();
        assert!(alif.parameters.contains("beta = 0.0174"));
        assert!(alif.parameters.contains("tau_adapt = 2000.0"));
        let fs = few_spike_relu();
        assert!(fs.parameters.contains("k = 10"));
        assert!(fs.parameters.contains("alpha = 25.0"));
        assert!(fs.parameters.contains("source_alpha = 25.0"));
    }

    #[test]
    fn flags_choose_the_equations() {
        let lif = LeakyIntegrateFire {
            tau_refrac: Some(2.5),
            relative_reset: false,
            integrate_during_refrac: false,
            scale_i: true,
            ..Default::default()
        }
        .neuron();
        assert!(lif.parameters.contains("tau_refrac = 2.5"));
        assert!(lif.reset.contains("v = v_reset"));
        assert!(lif.reset.contains("refrac_time = tau_refrac"));
        assert!(lif.equations.contains("if refrac_time > 0.0 then v else"));
        assert!(lif.equations.contains("(1.0 - alpha) * g_exc"));
        assert!(lif.spike.contains("refrac_time <= 0.0"));
    }
}

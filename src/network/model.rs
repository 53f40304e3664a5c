//! Neuron and synapse model descriptions, written in the equation language.
//!
//! A model is only text here; it is parsed and analysed into the IR
//! ([`crate::lang::ir`]) when a population or projection uses it, so that
//! an error names the population or projection that brought it in.

/// Whether a neuron model is rate-coded or spiking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NeuronKind {
    /// Rate-coded: the output is the variable `r`.
    Rate,
    /// Spiking: the model has a spike condition.
    Spiking,
}

/// A neuron model: parameters, equations and, for spiking neurons, the spike
/// condition, reset and refractory period.
///
/// ```
/// use cajal::prelude::*;
/// let lif = Neuron::spiking()
///     .name("LIF")
///     .parameters("tau = 20.0 : population\n v_rest = -65.0\n v_thresh = -50.0")
///     .equations("tau * dv/dt = v_rest - v + g_exc : init = -65.0")
///     .spike("v > v_thresh")
///     .reset("v = v_rest")
///     .refractory(5.0);
/// assert_eq!(lif.kind(), NeuronKind::Spiking);
/// ```
#[derive(Debug, Clone)]
pub struct Neuron {
    pub(crate) kind: NeuronKind,
    pub(crate) name: String,
    pub(crate) parameters: String,
    pub(crate) equations: String,
    pub(crate) functions: String,
    pub(crate) spike: String,
    pub(crate) reset: String,
    pub(crate) refractory: Option<String>,
    /// Whether a rate-coded model must define `r` (a BOLD model, whose
    /// output is its own, need not).
    pub(crate) needs_r: bool,
}

impl Neuron {
    fn new(kind: NeuronKind, name: &str) -> Self {
        Neuron {
            kind,
            name: name.to_string(),
            parameters: String::new(),
            equations: String::new(),
            functions: String::new(),
            spike: String::new(),
            reset: String::new(),
            refractory: None,
            needs_r: true,
        }
    }

    /// A rate-coded neuron model (its output is `r`).
    pub fn rate() -> Self {
        Self::new(NeuronKind::Rate, "rate neuron")
    }

    /// A spiking neuron model; give it a [`spike`](Self::spike) condition.
    pub fn spiking() -> Self {
        Self::new(NeuronKind::Spiking, "spiking neuron")
    }

    /// Names the model (used in error messages and reports).
    pub fn name(mut self, name: &str) -> Self {
        self.name = name.to_string();
        self
    }

    /// Parameters, one `name = value : flags` a line (or separated by `;`).
    pub fn parameters(mut self, text: &str) -> Self {
        self.parameters = text.to_string();
        self
    }

    /// Equations: assignments, `+=` updates and ODEs, in order.
    pub fn equations(mut self, text: &str) -> Self {
        self.equations = text.to_string();
        self
    }

    /// User functions, one `name(a, b) = expression` a line.
    pub fn functions(mut self, text: &str) -> Self {
        self.functions = text.to_string();
        self
    }

    /// The spike condition (spiking neurons), e.g. `v > v_thresh`.
    pub fn spike(mut self, text: &str) -> Self {
        self.spike = text.to_string();
        self
    }

    /// The statements executed after a spike, e.g. `v = v_reset`.
    pub fn reset(mut self, text: &str) -> Self {
        self.reset = text.to_string();
        self
    }

    /// A constant refractory period in ms.
    pub fn refractory(mut self, ms: f64) -> Self {
        // Written so that the analysis reads back the same number, and
        // refuses NaN, infinities and negative periods by their value.
        self.refractory = Some(if ms.is_nan() {
            "0.0 / 0.0".to_string()
        } else if ms.is_infinite() {
            format!("{}1.0 / 0.0", if ms < 0.0 { "-" } else { "" })
        } else {
            format!("{ms:?}")
        });
        self
    }

    /// A refractory period given by an expression, usually a parameter name
    /// such as `tau_refrac`; evaluated per neuron at each spike.
    pub fn refractory_expr(mut self, expr: &str) -> Self {
        self.refractory = Some(expr.to_string());
        self
    }

    /// Rate-coded or spiking.
    pub fn kind(&self) -> NeuronKind {
        self.kind
    }

    /// The model's name.
    pub fn model_name(&self) -> &str {
        &self.name
    }
}

/// How a rate-coded projection combines the `psp` of the synapses of one
/// post-synaptic neuron into `sum(target)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Sum of the psp (the default).
    Sum,
    /// Largest psp (0 for a neuron without synapses).
    Max,
    /// Smallest psp (0 for a neuron without synapses).
    Min,
    /// Mean psp (0 for a neuron without synapses).
    Mean,
}

/// A synapse model: parameters, per-synapse variables (`w` at least), the
/// `psp` of rate-coded projections and the `pre_spike` statements of spiking
/// ones. [`Synapse::default`] is ANNarchy's default synapse: `psp = w * pre.r`
/// and `pre_spike: g_target += w`.
///
/// ```
/// use cajal::prelude::*;
/// let syn = Synapse::new()
///     .name("scaled")
///     .parameters("gain = 2.0 : projection")
///     .psp("gain * w * pre.r");
/// assert_eq!(syn.model_name(), "scaled");
/// ```
#[derive(Debug, Clone)]
pub struct Synapse {
    pub(crate) name: String,
    pub(crate) parameters: String,
    pub(crate) equations: String,
    pub(crate) psp: String,
    pub(crate) operation: Operation,
    pub(crate) pre_spike: String,
    pub(crate) post_spike: String,
    pub(crate) functions: String,
    pub(crate) pruning: String,
    pub(crate) creating: String,
}

impl Default for Synapse {
    fn default() -> Self {
        Synapse::new()
    }
}

impl Synapse {
    /// The default synapse; customise it with the builder methods.
    pub fn new() -> Self {
        Synapse {
            name: "default synapse".to_string(),
            parameters: String::new(),
            equations: String::new(),
            psp: String::new(),
            operation: Operation::Sum,
            pre_spike: String::new(),
            post_spike: String::new(),
            functions: String::new(),
            pruning: String::new(),
            creating: String::new(),
        }
    }

    /// Whether this is the default synapse with nothing changed but its name.
    pub fn is_default(&self) -> bool {
        let d = Synapse::new();
        self.parameters.trim().is_empty()
            && self.equations.trim().is_empty()
            && self.psp.trim().is_empty()
            && self.operation == d.operation
            && self.pre_spike.trim().is_empty()
            && self.post_spike.trim().is_empty()
            && self.functions.trim().is_empty()
            && self.pruning.trim().is_empty()
            && self.creating.trim().is_empty()
    }

    /// Names the model.
    pub fn name(mut self, name: &str) -> Self {
        self.name = name.to_string();
        self
    }

    /// Parameters (`: projection` for one value per projection).
    pub fn parameters(mut self, text: &str) -> Self {
        self.parameters = text.to_string();
        self
    }

    /// Per-synapse equations, evaluated every step.
    pub fn equations(mut self, text: &str) -> Self {
        self.equations = text.to_string();
        self
    }

    /// The post-synaptic potential of a rate-coded synapse (default `w * pre.r`).
    pub fn psp(mut self, text: &str) -> Self {
        self.psp = text.to_string();
        self
    }

    /// How the psp are combined per post-synaptic neuron.
    pub fn operation(mut self, op: Operation) -> Self {
        self.operation = op;
        self
    }

    /// Statements run when the pre-synaptic neuron spikes (default `g_target += w`).
    pub fn pre_spike(mut self, text: &str) -> Self {
        self.pre_spike = text.to_string();
        self
    }

    /// Statements run when the post-synaptic neuron spikes.
    pub fn post_spike(mut self, text: &str) -> Self {
        self.post_spike = text.to_string();
        self
    }

    /// User functions, one `name(a, b) = expression` a line.
    pub fn functions(mut self, text: &str) -> Self {
        self.functions = text.to_string();
        self
    }

    /// Structural plasticity, ANNarchy's `pruning`: a condition under which
    /// an existing synapse is removed, `cond : proba = p` (removed with
    /// probability `p`, default 1). It may read the synapse's variables,
    /// `pre.x` and `post.x`. It is checked once
    /// [`Simulation::start_pruning`](crate::engine::Simulation::start_pruning)
    /// is called.
    ///
    /// ```
    /// let s = cajal::prelude::Synapse::new()
    ///     .parameters("T = 10000 : int, projection")
    ///     .equations("age = if pre.r * post.r > 1.0 : 0 else : age + 1 : init = 0, int")
    ///     .pruning("age > T : proba = 0.2")
    ///     .creating("pre.r * post.r > 1.0 : proba = 0.1, w = 0.01");
    /// ```
    pub fn pruning(mut self, text: &str) -> Self {
        self.pruning = text.to_string();
        self
    }

    /// Structural plasticity, ANNarchy's `creating`: a condition under which
    /// a synapse that does not exist is created, `cond : proba = p, w = x,
    /// d = ms` (with probability `p`, default 1; weight `x`, default 0; delay
    /// `ms`, default the projection's). It may read `pre.x`, `post.x` and
    /// the projection's shared parameters, not per-synapse variables (the
    /// synapse does not exist yet). Checked once
    /// [`Simulation::start_creating`](crate::engine::Simulation::start_creating)
    /// is called; a created synapse's other variables take their initial
    /// values.
    pub fn creating(mut self, text: &str) -> Self {
        self.creating = text.to_string();
        self
    }

    /// The model's name.
    pub fn model_name(&self) -> &str {
        &self.name
    }
}

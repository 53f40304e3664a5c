//! BOLD monitoring (ANNarchy's `ANNarchy.extensions.bold`): the
//! haemodynamic response to the activity of populations, computed by a
//! model written in the equation language (a [`BoldModel`]) while the
//! network runs, on the same engine.
//!
//! [`Network::bold_monitor`] watches populations: their variable (`r` by
//! default: a rate, or the firing rate of spiking neurons from
//! [`Network::compute_firing_rate`]) is averaged over each population and
//! drives the model's input (`I_CBF` by default). As ANNarchy's
//! `AccProjection`, each population contributes at every step
//!
//! * `scale * (sum of var) / size` without normalisation, where `scale`
//!   is the population's `scale_factor` (by default its share of all the
//!   watched neurons, `size / total size`);
//! * with `normalize_input = T` ms: nothing during the `T / dt` steps
//!   after [`BoldMonitor::start`] (the baseline: the mean `mu` of the
//!   population average is taken over them, and over the baselines of
//!   earlier starts, as ANNarchy keeps them), then `scale * (m - mu) /
//!   (|mu| + 1e-7)`, the relative change of the average `m`.
//!
//! The model is a rate-coded population of one neuron, recorded by a
//! monitor; as ANNarchy's, it is frozen (not integrated) until
//! [`BoldMonitor::start`] and after [`BoldMonitor::stop`]. Its
//! parameters are those of a population: `net.set(bold.population(),
//! "kappa", 0.7)` is ANNarchy's `m_bold.kappa = 0.7`.
//!
//! The built-in models are ANNarchy's, with its equations and defaults:
//! [`balloon_rn`] (the default), [`balloon_rl`], [`balloon_cn`],
//! [`balloon_cl`] (the balloon model of Buxton et al. 1998 in the
//! variants of Stephan et al. 2007: revised or classical coefficients,
//! non-linear or linear BOLD equation), [`balloon_maith2021`] and
//! [`balloon_two_inputs`] (inputs `I_CBF` and `I_CMRO2`).
//!
//! ```
//! use cajal::prelude::*;
//! use cajal::bold;
//!
//! let mut net = Network::new();
//! let drive = Neuron::rate().parameters("base = 10.0").equations(
//!     "r = if t > 1000.0: 2.0 * base else: base",
//! );
//! let pop = net.population("pop", 50, &drive)?;
//! let m = net
//!     .bold_monitor(&[pop])
//!     .model(bold::balloon_rn())
//!     .normalize_input(500.0)
//!     .recorded_variables(&["I_CBF", "BOLD"])
//!     .build()?;
//! let mut sim = net.compile(Backend::Cpu)?;
//! m.start(&mut sim)?;
//! sim.simulate(5000.0)?;
//! let b = m.get(&sim, "BOLD")?; // [5000, 1]
//! let peak = b.iter().cloned().fold(f32::MIN, f32::max);
//! assert!(peak > 0.01 && peak < 0.05, "{peak}");
//! # Ok::<(), cajal::Error>(())
//! ```

use ndarray::Array2;

use crate::engine::Simulation;
use crate::error::{Error, Result};
use crate::lang::ir::{Expr, Stmt};
use crate::network::model::{Neuron, Synapse};
use crate::network::{slot_of, MonitorId, Network, Part, PopId};

/// Prefix of the names the monitor adds to the model (reserved there).
const HIDDEN: &str = "bold__";

/// A BOLD model: a rate-coded neuron model whose inputs are sums
/// (`I_CBF = sum(I_CBF)`) fed by a [`BoldMonitor`], and whose outputs
/// (`BOLD` by default) are recorded (ANNarchy's `BoldModel`).
///
/// ```
/// use cajal::bold::BoldModel;
/// let m = BoldModel::new(
///     "tau = 1000.0",
///     "I_CBF = sum(I_CBF)\ntau * dBOLD/dt = I_CBF - BOLD",
///     &["I_CBF"],
/// );
/// assert_eq!(m.outputs(), ["BOLD"]);
/// ```
#[derive(Debug, Clone)]
pub struct BoldModel {
    name: String,
    parameters: String,
    equations: String,
    inputs: Vec<String>,
    outputs: Vec<String>,
}

impl BoldModel {
    /// A model of `parameters` and `equations` (the equation language of
    /// rate-coded neurons) reading the sums named in `inputs`; its output
    /// is `BOLD` ([`output`](Self::output) changes it), its name "Custom
    /// BOLD model" as ANNarchy's.
    pub fn new(parameters: &str, equations: &str, inputs: &[&str]) -> BoldModel {
        BoldModel {
            name: "Custom BOLD model".into(),
            parameters: parameters.into(),
            equations: equations.into(),
            inputs: inputs.iter().map(|s| s.to_string()).collect(),
            outputs: vec!["BOLD".into()],
        }
    }

    /// Names the model (the monitor's population takes the name).
    pub fn name(mut self, name: &str) -> Self {
        self.name = name.into();
        self
    }

    /// The output variables, always recorded.
    pub fn output(mut self, outputs: &[&str]) -> Self {
        self.outputs = outputs.iter().map(|s| s.to_string()).collect();
        self
    }

    /// The model's name.
    pub fn model_name(&self) -> &str {
        &self.name
    }

    /// The input sums a monitor may feed.
    pub fn inputs(&self) -> &[String] {
        &self.inputs
    }

    /// The output variables.
    pub fn outputs(&self) -> &[String] {
        &self.outputs
    }

    /// The model as a rate-coded neuron, as written.
    pub fn neuron(&self) -> Neuron {
        let mut n = Neuron::rate()
            .name(&self.name)
            .parameters(&self.parameters)
            .equations(&self.equations);
        n.needs_r = false;
        n
    }
}

// The balloon models' shared part: ANNarchy's PredefinedModels.py, its
// default arguments written as Python prints them.
const BALLOON_PARAMETERS: &str = "
second    = 1000.0 : population
phi       = 1.0 : population
kappa     = 0.6493506493506493 : population
gamma     = 0.4065040650406504 : population
E_0       = 0.34 : population
tau       = 0.98 : population
alpha     = 0.33 : population
V_0       = 0.02 : population
v_0       = 40.3 : population
TE        = 0.04 : population
epsilon   = 1.43 : population
";

const BALLOON_FLOW: &str = "
I_CBF          = sum(I_CBF)                                                : init=0
ds/dt          = (phi * I_CBF - kappa * s - gamma * (f_in - 1))/second     : init=0
df_in/dt       = s / second                                                : init=1, min=0.01
E              = 1 - (1 - E_0)**(1 / f_in)                                 : init=0.3424
";

const BALLOON_VOLUME: &str = "
dq/dt          = (f_in * E / E_0 - (q / v) * f_out)/(tau*second)           : init=1, min=0.01
dv/dt          = (f_in - f_out)/(tau*second)                               : init=1, min=0.01
f_out          = v**(1 / alpha)                                            : init=1, min=0.01
";

const CLASSIC: &str = "
k_1            = (1 - V_0) * 4.3 * v_0 * E_0 * TE
k_2            = 2 * E_0
k_3            = 1 - epsilon
";

const REVISED: &str = "
k_1            = 4.3 * v_0 * E_0 * TE
k_2            = epsilon * r_0 * E_0 * TE
k_3            = 1 - epsilon
";

const NON_LINEAR: &str = "
BOLD           = V_0 * (k_1 * (1 - q) + k_2 * (1 - (q / v)) + k_3 * (1 - v))  : init=0
";

const LINEAR: &str = "
BOLD           = V_0 * ((k_1 + k_2) * (1 - q) + (k_3 - k_2) * (1 - v))        : init=0
";

fn balloon(name: &str, revised: bool, volume: &str, bold: &str) -> BoldModel {
    let mut parameters = BALLOON_PARAMETERS.to_string();
    if revised {
        parameters.push_str("r_0       = 25 : population\n");
    }
    let coefficients = if revised { REVISED } else { CLASSIC };
    BoldModel::new(
        &parameters,
        &format!("{BALLOON_FLOW}{volume}{coefficients}{bold}"),
        &["I_CBF"],
    )
    .name(name)
}

/// The balloon model with revised coefficients and the non-linear BOLD
/// equation (Stephan et al. 2007): ANNarchy's `balloon_RN`, the default
/// model of a [`BoldMonitor`].
pub fn balloon_rn() -> BoldModel {
    balloon("BOLD model RN", true, BALLOON_VOLUME, NON_LINEAR)
}

/// The balloon model with revised coefficients and the linear BOLD
/// equation: ANNarchy's `balloon_RL`. As there, its `q` and `v` equations
/// are `tau * dq/dt = ...` without the division by `second` of the other
/// models: `tau` = 0.98 ms, not 0.98 s, so they follow their inputs a
/// thousand times faster (ANNarchy 5.0.4.1's definition, kept so that
/// results match; write a [`BoldModel`] for the other reading).
pub fn balloon_rl() -> BoldModel {
    let volume = "
tau*dq/dt      = f_in * E / E_0 - (q / v) * f_out                              : init=1, min=0.01
tau*dv/dt      = f_in - f_out                                                  : init=1, min=0.01
f_out          = v**(1 / alpha)                                                : init=1, min=0.01
";
    balloon("BOLD model RL", true, volume, LINEAR)
}

/// The balloon model with classical coefficients and the non-linear BOLD
/// equation: ANNarchy's `balloon_CN`.
pub fn balloon_cn() -> BoldModel {
    balloon("BoldNeuron CN", false, BALLOON_VOLUME, NON_LINEAR)
}

/// The balloon model with classical coefficients and the linear BOLD
/// equation: ANNarchy's `balloon_CL`.
pub fn balloon_cl() -> BoldModel {
    balloon("BoldNeuron CL", false, BALLOON_VOLUME, LINEAR)
}

/// The model of Maith et al. (2021): ANNarchy's `balloon_maith2021`.
pub fn balloon_maith2021() -> BoldModel {
    BoldModel::new(
        "
second    = 1000.0
phi       = 1.0
kappa     = 0.665
gamma     = 0.412
E_0       = 0.3424
tau       = 1.0368
alpha     = 0.3215
V_0       = 0.02
",
        &format!(
            "{BALLOON_FLOW}{BALLOON_VOLUME}
k_1            = 7 * E_0
k_2            = 2
k_3            = 2 * E_0 - 0.2
{NON_LINEAR}"
        ),
        &["I_CBF"],
    )
    .name("Maith2021 BOLD model")
}

/// The model with a blood-flow and an oxygen-metabolism input (Maith et
/// al. 2022): ANNarchy's `balloon_two_inputs`, inputs `I_CBF` and
/// `I_CMRO2`.
pub fn balloon_two_inputs() -> BoldModel {
    BoldModel::new(
        "
kappa_CBF   = 0.7650920556760059
gamma_CBF   = 1/2.46
kappa_CMRO2 = 4.032389192727559
gamma_CMRO2 = 10/2.46
phi_CBF     = 1.0
phi_CMRO2   = 1.0
E_0         = 0.34
tau         = 0.98
alpha       = 0.33
V_0         = 0.02
v_0         = 40.3
TE          = 40/1000.
epsilon     = 1
r_0         = 25
tau_out1    = 0
tau_out2    = 20
second      = 1000
",
        "
I_CBF               = sum(I_CBF)                                                   : init=0
second*ds_CBF/dt    = phi_CBF * I_CBF - kappa_CBF * s_CBF - gamma_CBF * (f_in - 1) : init=0
second*df_in/dt     = s_CBF                                                        : init=1, min=0.01
I_CMRO2             = sum(I_CMRO2)                                                 : init=0
second*ds_CMRO2/dt  = phi_CMRO2 * I_CMRO2 * (gamma_CMRO2 / gamma_CBF) - kappa_CMRO2 * s_CMRO2 - gamma_CMRO2 * (r - 1) : init=0
second*dr/dt        = s_CMRO2                                                      : init=1, min=0.01
dv                  = f_in - v**(1 / alpha)
tau_out             = if dv>0: tau_out1 else: tau_out2
f_out               = v**(1/alpha) + tau_out * dv / (tau + tau_out)              : init=1, min=0.01
dq/dt               = (r - (q / v) * f_out)  / (second*tau)                        : init=1, min=0.01
dv/dt               = dv / (tau + tau_out)  / second                             : init=1, min=0.01
k_1                 = 4.3 * v_0 * E_0 * TE
k_2                 = epsilon * r_0 * E_0 * TE
k_3                 = 1 - epsilon
BOLD                = V_0 * (k_1 * (1 - q) + k_2 * (1 - (q / v)) + k_3 * (1 - v))  : init=0
",
        &["I_CBF", "I_CMRO2"],
    )
    .name("BOLD model with two inputs")
}

/// A BOLD monitor being described ([`Network::bold_monitor`]); `build`
/// adds it to the network.
pub struct BoldMonitorBuilder<'a> {
    net: &'a mut Network,
    populations: Vec<Part>,
    model: BoldModel,
    mapping: Vec<(String, String)>,
    scale_factor: Vec<f64>,
    normalize_input: Vec<f64>,
    recorded: Vec<String>,
    start: bool,
}

impl Network {
    /// A BOLD monitor of `populations` (or views of them): ANNarchy's
    /// `Network.boldmonitor`. Describe it with the builder's methods
    /// (ANNarchy's arguments and defaults: model [`balloon_rn`], mapping
    /// `I_CBF` from `r`, no normalisation, scale factors the populations'
    /// shares of the watched neurons, the model's outputs recorded, not
    /// started) and finish with [`BoldMonitorBuilder::build`]. See
    /// [`crate::bold`].
    pub fn bold_monitor<P: Into<Part> + Clone>(
        &mut self,
        populations: &[P],
    ) -> BoldMonitorBuilder<'_> {
        BoldMonitorBuilder {
            net: self,
            populations: populations.iter().cloned().map(Into::into).collect(),
            model: balloon_rn(),
            mapping: vec![("I_CBF".into(), "r".into())],
            scale_factor: Vec::new(),
            normalize_input: Vec::new(),
            recorded: Vec::new(),
            start: false,
        }
    }
}

impl BoldMonitorBuilder<'_> {
    /// The BOLD model (default [`balloon_rn`]).
    pub fn model(mut self, model: BoldModel) -> Self {
        self.model = model;
        self
    }

    /// Which population variable feeds which input of the model, as
    /// `(input, variable)` pairs (default `[("I_CBF", "r")]`).
    pub fn mapping(mut self, mapping: &[(&str, &str)]) -> Self {
        self.mapping = mapping
            .iter()
            .map(|(i, v)| (i.to_string(), v.to_string()))
            .collect();
        self
    }

    /// One scale factor for every population.
    pub fn scale_factor(mut self, scale: f64) -> Self {
        self.scale_factor = vec![scale; self.populations.len()];
        self
    }

    /// A scale factor per population, in order.
    pub fn scale_factors(mut self, scales: &[f64]) -> Self {
        self.scale_factor = scales.to_vec();
        self
    }

    /// One baseline window (ms) for every population: its input is
    /// normalised by the mean over that window after each start.
    pub fn normalize_input(mut self, ms: f64) -> Self {
        self.normalize_input = vec![ms; self.populations.len()];
        self
    }

    /// A baseline window (ms) per population, in order (0: none).
    pub fn normalize_inputs(mut self, ms: &[f64]) -> Self {
        self.normalize_input = ms.to_vec();
        self
    }

    /// The model's variables to record besides its outputs (the outputs
    /// alone by default; as ANNarchy, the recorded names are then sorted).
    pub fn recorded_variables(mut self, vars: &[&str]) -> Self {
        self.recorded = vars.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Whether it starts recording (and integrating) at step 0; with a
    /// baseline window, the window then starts at step 0 too.
    pub fn start(mut self, start: bool) -> Self {
        self.start = start;
        self
    }

    /// Adds the monitor's population, its input projections and its
    /// monitor to the network.
    pub fn build(self) -> Result<BoldMonitor> {
        let BoldMonitorBuilder {
            net,
            populations,
            model,
            mapping,
            mut scale_factor,
            normalize_input,
            recorded,
            start,
        } = self;
        let owner = format!("BOLD monitor (model '{}')", model.name);
        if populations.is_empty() {
            return Err(Error::invalid(
                owner,
                "give at least one population to watch",
            ));
        }
        if net.batch > 1 {
            return Err(Error::Unsupported {
                owner,
                message: "a BOLD monitor watches one network, not a batch".into(),
            });
        }
        let mut sizes = Vec::new();
        for part in &populations {
            let p = net.pop(part.pop)?;
            sizes.push(part.ranks.as_ref().map_or(p.size(), |r| r.len()));
        }
        if sizes.contains(&0) {
            return Err(Error::invalid(owner, "a watched view has no neurons"));
        }
        let n_pops = populations.len();
        for (what, list) in [
            ("scale factors", &scale_factor),
            ("baseline windows", &normalize_input),
        ] {
            if !list.is_empty() && list.len() != n_pops {
                return Err(Error::invalid(
                    owner,
                    format!(
                        "{} {what} for {n_pops} populations: give one per population",
                        list.len()
                    ),
                ));
            }
        }
        if let Some(bad) = scale_factor.iter().find(|s| !s.is_finite()) {
            return Err(Error::invalid(
                owner,
                format!("a scale factor must be a finite number, got {bad}"),
            ));
        }
        if scale_factor.is_empty() {
            let total: usize = sizes.iter().sum();
            scale_factor = sizes.iter().map(|&n| n as f64 / total as f64).collect();
        }
        // Baseline windows in steps, as ANNarchy's int(normalize / dt).
        let mut periods = Vec::new();
        for &ms in &normalize_input {
            if !(ms.is_finite() && ms >= 0.0) {
                return Err(Error::invalid(
                    owner,
                    format!("a baseline window must be a number of ms >= 0, got {ms}"),
                ));
            }
            let steps = (ms / net.dt).trunc();
            // The step counter of the window is an f32 variable: exact to 2^24.
            if steps >= f64::from(1u32 << 24) {
                return Err(Error::invalid(
                    owner,
                    format!("a baseline window of {ms} ms is {steps} steps: at most 2^24 - 1"),
                ));
            }
            periods.push(steps as u64);
        }
        if periods.is_empty() {
            periods = vec![0; n_pops];
        }
        if model.inputs.is_empty() {
            return Err(Error::invalid(owner, "the BOLD model names no input"));
        }
        if mapping.is_empty() {
            return Err(Error::invalid(
                owner,
                "the mapping is empty: map an input to a variable",
            ));
        }
        for (input, var) in &mapping {
            if !model.inputs.contains(input) {
                return Err(Error::invalid(
                    owner,
                    format!(
                        "the mapping's key '{input}' is not an input of the BOLD model (inputs: {})",
                        model.inputs.join(", ")
                    ),
                ));
            }
            for part in &populations {
                let p = net.pop(part.pop)?;
                let slot = slot_of(p, var).map_err(|e| {
                    Error::invalid(&owner, format!("mapping '{input}' <- '{var}': {e}"))
                })?;
                // Refused here, not by the projection once the model's
                // population is added: a refused monitor adds nothing.
                if p.ir.vars[slot].locality == crate::lang::ir::Locality::Global {
                    return Err(Error::invalid(
                        owner,
                        format!(
                            "mapping '{input}' <- '{var}': '{var}' is shared by population '{}'; the monitor averages a per-neuron variable",
                            p.name
                        ),
                    ));
                }
            }
        }
        // The model as written first, so that its errors are in its own
        // lines and columns.
        let ir = crate::lang::analyse_neuron(&model.neuron(), &net.globals)?;
        if let Some(v) = ir.vars.iter().find(|v| v.name.starts_with(HIDDEN)) {
            return Err(Error::invalid(
                owner,
                format!(
                    "'{}': names starting with '{HIDDEN}' are the monitor's",
                    v.name
                ),
            ));
        }
        for input in &model.inputs {
            if !ir.targets.contains(input) {
                return Err(Error::invalid(
                    owner,
                    format!("the BOLD model does not read its input: it has no sum({input})"),
                ));
            }
        }
        for out in &model.outputs {
            if ir.slot(out).is_none() {
                return Err(Error::invalid(
                    owner,
                    format!("the BOLD model has no output variable '{out}'"),
                ));
            }
        }
        let mut vars: Vec<String> = model.outputs.clone();
        if !recorded.is_empty() {
            vars.extend(recorded);
            vars.sort();
            vars.dedup();
        }
        // Checked before anything is added: a refused monitor leaves the
        // network as it was.
        if let Some(v) = vars.iter().find(|v| ir.slot(v).is_none()) {
            return Err(Error::unknown(
                owner,
                "recorded variable",
                v,
                &ir.public_names(),
            ));
        }

        // The accumulation of each (input, population) pair, ANNarchy's
        // AccProjection, written as equations run before the model's own.
        let mut eq = String::new();
        let mut pairs = Vec::new();
        for (input, var) in &mapping {
            for (j, part) in populations.iter().enumerate() {
                let k = pairs.len();
                let (n, scale, p) = (sizes[j], scale_factor[j], periods[j]);
                let value = if p == 0 {
                    // ANNarchy: scale * lsum / size, in that order.
                    format!("{scale:?} * sum({HIDDEN}acc{k}) / {n}.0")
                } else {
                    // The baseline's mean by Welford's recurrence: no
                    // running sum to lose digits over a long window.
                    let m = format!("{HIDDEN}m{k}");
                    eq.push_str(&format!("{m} = sum({HIDDEN}acc{k}) / {n}.0\n"));
                    let (c, nn, mu, mean) = (
                        format!("{HIDDEN}c"),
                        format!("{HIDDEN}n{k}"),
                        format!("{HIDDEN}mu{k}"),
                        format!("{HIDDEN}mean{k}"),
                    );
                    eq.push_str(&format!(
                        "{nn} = if {c} < {p}.0: {nn} + 1.0 else: {nn}\n\
                         {mu} = if {c} < {p}.0: {mu} + ({m} - {mu}) / {nn} else: {mu}\n\
                         {mean} = if {c} == {p}.0: {mu} else: {mean}\n"
                    ));
                    format!(
                        "if {c} < {p}.0: 0.0 else: {scale:?} * (({m} - {mean}) / (abs({mean}) + 0.0000001))"
                    )
                };
                eq.push_str(&format!("{HIDDEN}in{k} = {value}\n"));
                pairs.push((input.clone(), var.clone(), part.clone()));
            }
        }
        for input in &model.inputs {
            let terms: Vec<String> = pairs
                .iter()
                .enumerate()
                .filter(|(_, (i, _, _))| i == input)
                .map(|(k, _)| format!("{HIDDEN}in{k}"))
                .collect();
            let sum = if terms.is_empty() {
                "0.0".to_string()
            } else {
                terms.join(" + ")
            };
            eq.push_str(&format!("{HIDDEN}{input} = {sum}\n"));
        }
        eq.push_str(&format!("{HIDDEN}c = {HIDDEN}c + 1.0\n"));
        eq.push_str(&replace_sums(&model.equations, &model.inputs));
        let on = if start { 1.0 } else { 0.0 };
        let params = format!("{}\n{HIDDEN}on = {on:?} : population\n", model.parameters);
        let mut neuron = Neuron::rate()
            .name(&model.name)
            .parameters(&params)
            .equations(&eq);
        neuron.needs_r = false;

        let mut name = model.name.clone();
        let mut k = 2;
        while net.find(&name).is_ok() {
            name = format!("{} ({k})", model.name);
            k += 1;
        }
        let pop = net.population(&name, 1, &neuron)?;
        freeze_unless_on(net, pop);
        for (k, (_, var, part)) in pairs.iter().enumerate() {
            net.projection(part.clone(), pop, format!("{HIDDEN}acc{k}").as_str())
                .name(&format!("{name}: {HIDDEN}acc{k}"))
                .synapse(
                    &Synapse::new()
                        .name("BOLD accumulation")
                        .psp(&format!("pre.{var}")),
                )
                .connect_all_to_all(1.0)?;
        }
        let names: Vec<&str> = vars.iter().map(String::as_str).collect();
        let monitor = net.monitor_with(pop, &names, net.dt, start)?;
        Ok(BoldMonitor {
            pop,
            monitor,
            recorded: vars,
        })
    }
}

/// `sum(input)` of the model's equations, for each of its inputs, read
/// from the monitor's sum of the pairs instead.
fn replace_sums(text: &str, inputs: &[String]) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    while i < b.len() {
        if text[i..].starts_with("sum") && (i == 0 || !ident(b[i - 1])) {
            let mut j = i + 3;
            while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
                j += 1;
            }
            if j < b.len() && b[j] == b'(' {
                let mut k = j + 1;
                while k < b.len() && (b[k] == b' ' || b[k] == b'\t') {
                    k += 1;
                }
                let start = k;
                while k < b.len() && ident(b[k]) {
                    k += 1;
                }
                let name = &text[start..k];
                while k < b.len() && (b[k] == b' ' || b[k] == b'\t') {
                    k += 1;
                }
                if k < b.len() && b[k] == b')' && inputs.iter().any(|x| x == name) {
                    out.push_str(HIDDEN);
                    out.push_str(name);
                    i = k + 1;
                    continue;
                }
            }
        }
        let c = text[i..].chars().next().expect("in bounds");
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// Makes every store of the monitor's population conditional on its
/// `on` parameter: a stopped BOLD model keeps its state, as ANNarchy's
/// disabled population.
fn freeze_unless_on(net: &mut Network, pop: PopId) {
    let p = &mut net.pops[pop.0];
    let mut ir = (*p.ir).clone();
    let on = ir
        .slot(&format!("{HIDDEN}on"))
        .expect("declared by the monitor");
    for s in &mut ir.update {
        if let Stmt::Store { var, expr, .. } = s {
            let old = std::mem::replace(expr, Expr::Const(0.0));
            *expr = Expr::Select(
                Box::new(Expr::Var(on)),
                Box::new(old),
                Box::new(Expr::Var(*var)),
            );
        }
    }
    p.ir = std::sync::Arc::new(ir);
}

/// A BOLD monitor in a network ([`Network::bold_monitor`]): a handle to
/// its population and monitor, used with the compiled simulation.
#[derive(Debug, Clone)]
pub struct BoldMonitor {
    pop: PopId,
    monitor: MonitorId,
    recorded: Vec<String>,
}

impl BoldMonitor {
    /// The population of one neuron that runs the BOLD model (its
    /// parameters are set as any population's).
    pub fn population(&self) -> PopId {
        self.pop
    }

    /// The monitor recording the model's variables.
    pub fn monitor(&self) -> MonitorId {
        self.monitor
    }

    /// The recorded variables.
    pub fn recorded_variables(&self) -> &[String] {
        &self.recorded
    }

    /// Starts integrating and recording from the next step; a baseline
    /// window starts too (ANNarchy's `BoldMonitor.start`).
    pub fn start(&self, sim: &mut Simulation) -> Result<()> {
        sim.set(self.pop, &format!("{HIDDEN}on"), 1.0)?;
        sim.set(self.pop, &format!("{HIDDEN}c"), 0.0)?;
        sim.resume(self.monitor)
    }

    /// Stops integrating (the model keeps its state) and recording.
    pub fn stop(&self, sim: &mut Simulation) -> Result<()> {
        sim.set(self.pop, &format!("{HIDDEN}on"), 0.0)?;
        sim.pause(self.monitor)
    }

    /// A recorded variable as `[samples, 1]` (ANNarchy's `get`; the
    /// recording is kept: [`Simulation::take_recording`] of
    /// [`monitor`](Self::monitor) empties it).
    pub fn get(&self, sim: &Simulation, var: &str) -> Result<Array2<f32>> {
        sim.recorded(self.monitor, var)
    }
}

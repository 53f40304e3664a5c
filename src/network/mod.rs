//! The network builder: populations, projections, monitors.

pub mod batch;
pub mod conv;
pub mod feed;
pub mod geometry;
pub mod globals;
pub mod model;
pub mod params;
pub mod procedural;
pub mod rate;
pub mod report;
pub mod view;

use std::sync::Arc;

use ndarray::{Array, Array2, ArrayD};
use rand::rngs::StdRng;

use crate::connect::{self, ConnectSpec, Connector, Delays, Lil, SynapseList, Weights};
use crate::error::{Error, Result};
use crate::lang::analysis::Globals;
use crate::lang::ir::{Locality, NeuronIr, SynapseIr, ValueType, VarKind};
use crate::lang::{analyse_neuron, analyse_synapse};
use crate::random::{rng_for, Dist};
use geometry::{Geometry, IntoGeometry};
pub use globals::Function;
use model::{Neuron, Operation, Synapse};
pub use view::{Part, View};

/// Handle of a population in its network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PopId(pub(crate) usize);

/// Handle of a projection in its network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProjId(pub(crate) usize);

impl ProjId {
    /// The projection's position in its network (creation order), which
    /// keys its random streams.
    pub fn index(self) -> usize {
        self.0
    }
}

/// Handle of a monitor in its network: of a population
/// ([`Network::monitor`]) or of synapses ([`Network::monitor_projection`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MonitorId(pub(crate) MonitorRef);

/// Which list of its network a monitor is in, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum MonitorRef {
    /// A population monitor (`Network::monitors`, run by the engines).
    Neurons(usize),
    /// A synapse monitor (`Network::synapse_monitors`, sampled by the
    /// simulation between engine runs).
    Synapses(usize),
}

/// A value to give a variable or parameter.
#[derive(Debug, Clone)]
pub enum Value {
    /// The same value everywhere.
    Scalar(f32),
    /// One value per neuron, shaped like the geometry (or flat).
    Array(ArrayD<f32>),
    /// One draw per neuron from a distribution (seeded by the network).
    Random(Dist),
}

impl From<f32> for Value {
    fn from(v: f32) -> Self {
        Value::Scalar(v)
    }
}

/// `-65.0` is an `f64` unless written `-65.0f32`; values are stored in
/// `f32`, so it is converted, as ANNarchy's `float` is.
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Scalar(v as f32)
    }
}

/// An integer parameter (`: int`) or a whole number.
impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Scalar(v as f32)
    }
}

/// A flag (`: bool`): 1 or 0.
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Scalar(if v { 1.0 } else { 0.0 })
    }
}

impl From<Dist> for Value {
    fn from(d: Dist) -> Self {
        Value::Random(d)
    }
}

impl<D: ndarray::Dimension> From<Array<f32, D>> for Value {
    fn from(a: Array<f32, D>) -> Self {
        Value::Array(a.into_dyn())
    }
}

impl<D: ndarray::Dimension> From<Array<f64, D>> for Value {
    fn from(a: Array<f64, D>) -> Self {
        Value::Array(a.mapv(|x| x as f32).into_dyn())
    }
}

impl From<Vec<f32>> for Value {
    fn from(v: Vec<f32>) -> Self {
        Value::Array(Array::from_vec(v).into_dyn())
    }
}

impl From<Vec<f64>> for Value {
    fn from(v: Vec<f64>) -> Self {
        Value::from(Array::from_vec(v))
    }
}

impl From<&[f32]> for Value {
    fn from(v: &[f32]) -> Self {
        Value::from(v.to_vec())
    }
}

impl From<&[f64]> for Value {
    fn from(v: &[f64]) -> Self {
        Value::from(v.to_vec())
    }
}

/// A population as the builder holds it.
#[derive(Debug, Clone)]
pub struct Population {
    /// Unique name.
    pub name: String,
    /// Shape.
    pub geometry: Geometry,
    /// Analysed neuron model.
    pub ir: Arc<NeuronIr>,
    /// Initial values of every slot (length 1 for population-wide parameters).
    pub init: Vec<Vec<f32>>,
    /// The model as written (for reports).
    pub model: Neuron,
    /// An input table written into one variable each step (TimedArray,
    /// SpikeSourceArray, ...).
    pub feed: Option<feed::Feed>,
    /// The firing-rate window in ms and the slot of `r`
    /// ([`Network::compute_firing_rate`]).
    pub firing_rate: Option<(f64, u32)>,
}

impl Population {
    /// The firing-rate window as the engines run it, at `dt`.
    pub fn firing_rate(&self, dt: f64) -> Option<rate::FiringRate> {
        self.firing_rate
            .map(|(w, slot)| rate::FiringRate::new(w, dt, slot))
    }
}

impl Population {
    /// Number of neurons.
    pub fn size(&self) -> usize {
        self.geometry.size()
    }
}

/// A projection as the builder holds it.
#[derive(Debug, Clone)]
pub struct Projection {
    /// Unique name (`pre->post:target` unless given).
    pub name: String,
    /// Pre-synaptic population.
    pub pre: PopId,
    /// Post-synaptic population.
    pub post: PopId,
    /// Target (`exc`, `inh`...); the first, when there are several.
    pub target: String,
    /// The other targets of a projection onto several (ANNarchy's
    /// `['ampa', 'nmda']`): each `g_target += x` adds to every target's
    /// conductance.
    pub more_targets: Vec<String>,
    /// Analysed synapse model.
    pub ir: Arc<SynapseIr>,
    /// How psp are combined (rate-coded).
    pub operation: Operation,
    /// The synapses, sorted by (post, pre); shared (not copied) by the
    /// clones of the network a compiled simulation keeps.
    pub synapses: Arc<SynapseList>,
    /// Values of every synapse slot (`w` from the connector; length 1 for
    /// projection-wide parameters).
    pub values: Vec<Vec<f32>>,
    /// The connector, as a report writes it.
    pub connector: String,
    /// The synapse model as written (for reports).
    pub model: Synapse,
    /// A DecodingProjection: its sliding window in steps.
    pub window: Option<u32>,
    /// A CurrentInjection: post's `g_target` is set to pre's `r`, one to one.
    pub inject: bool,
    /// A convolution or pooling (shared weights, no synapse list).
    pub conv: Option<Arc<conv::ConvProjection>>,
    /// Procedural connectivity: the synapses are drawn again at each spike
    /// (no synapse list).
    pub procedural: Option<Arc<crate::connect::procedural::Procedural>>,
}

impl Projection {
    /// Its synapses: the stored ones, or for procedural connectivity the
    /// expected number `p n_pre n_post` (rounded; they are drawn at each
    /// spike, and [`Simulation::synapses`](crate::engine::Simulation::synapses)
    /// lists them exactly).
    pub fn synapse_count(&self) -> usize {
        match &self.procedural {
            Some(g) => (g.p * f64::from(g.n_pre) * f64::from(g.n_post)).round() as usize,
            None => self.synapses.len(),
        }
    }
}

/// When and what a monitor records.
#[derive(Debug, Clone)]
pub struct Monitor {
    /// Population recorded.
    pub pop: PopId,
    /// Variables recorded (slot names); `spike` is handled apart.
    pub vars: Vec<String>,
    /// Whether spikes are recorded.
    pub spikes: bool,
    /// Record every `period` steps.
    pub period: u64,
    /// Whether it records from the start.
    pub start: bool,
    /// The neurons of a view, or `None` for the whole population.
    pub ranks: Option<Vec<u32>>,
}

/// What a monitor of synapses records ([`Network::monitor_projection`]).
#[derive(Debug, Clone)]
pub struct SynapseMonitor {
    /// The projection recorded.
    pub proj: ProjId,
    /// The post-synaptic neuron whose synapses (a dendrite) are recorded,
    /// or `None` for all the projection's synapses.
    pub post: Option<u32>,
    /// Variables recorded (per synapse, or projection-wide).
    pub vars: Vec<String>,
    /// Record every `period` steps.
    pub period: u64,
}

/// A network under construction.
///
/// ```
/// use cajal::prelude::*;
/// # fn main() -> cajal::Result<()> {
/// let mut net = Network::new().dt(1.0).seed(7);
/// let inp = net.population("in", 3, &Neuron::rate().parameters("r = 0.0"))?;
/// let out = net.population("out", 2, &Neuron::rate().equations("r = sum(exc)"))?;
/// net.projection(inp, out, "exc").connect_all_to_all(Weights::constant(0.5))?;
/// let mut sim = net.compile(Backend::Cpu)?;
/// sim.set(inp, "r", Value::Scalar(1.0))?;
/// sim.simulate(2.0)?; // one step to reach `out`
/// assert_eq!(sim.get(out, "r")?[[0]], 1.5);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Network {
    pub(crate) dt: f64,
    pub(crate) seed: u64,
    /// Constants and functions every model may read.
    pub(crate) globals: Globals,
    pub(crate) pops: Vec<Population>,
    pub(crate) projs: Vec<Projection>,
    pub(crate) monitors: Vec<Monitor>,
    pub(crate) synapse_monitors: Vec<SynapseMonitor>,
    /// Elements of a batch (1 unless batched: see [`batch`]).
    pub(crate) batch: usize,
    // Random draws for initial values use their own stream per call.
    init_draws: u64,
}

impl Default for Network {
    fn default() -> Self {
        Self::new()
    }
}

/// Name of the spike pseudo-variable of monitors.
pub const SPIKE: &str = "spike";

impl Network {
    /// An empty network with dt = 1 ms and seed 0.
    pub fn new() -> Self {
        Network {
            dt: 1.0,
            seed: 0,
            globals: Globals::default(),
            pops: Vec::new(),
            projs: Vec::new(),
            monitors: Vec::new(),
            synapse_monitors: Vec::new(),
            batch: 1,
            init_draws: 0,
        }
    }

    /// Sets the time step in ms (set it before adding projections with delays).
    pub fn dt(mut self, dt: f64) -> Self {
        self.dt = dt;
        self
    }

    /// Sets the seed of every random draw (set it before adding anything).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The time step in ms.
    pub fn time_step(&self) -> f64 {
        self.dt
    }

    fn check_dt(&self) -> Result<()> {
        if !(self.dt.is_finite() && self.dt > 0.0) {
            return Err(Error::invalid(
                "network",
                format!("dt must be a positive number of ms, got {}", self.dt),
            ));
        }
        Ok(())
    }

    /// Adds a population of neurons with a model; `geometry` is a size or
    /// an array of up to 4 dimensions.
    pub fn population(
        &mut self,
        name: &str,
        geometry: impl IntoGeometry,
        neuron: &Neuron,
    ) -> Result<PopId> {
        self.check_dt()?;
        let geometry = geometry.into_geometry().map_err(|e| match e {
            Error::Invalid { message, .. } => {
                Error::invalid(format!("population '{name}'"), message)
            }
            e => e,
        })?;
        if self.pops.iter().any(|p| p.name == name) {
            return Err(Error::invalid(
                "network",
                format!("a population named '{name}' already exists"),
            ));
        }
        let ir = analyse_neuron(neuron, &self.globals)?;
        let n = geometry.size();
        let init = ir
            .vars
            .iter()
            .map(|v| vec![v.init; if v.locality == Locality::Global { 1 } else { n }])
            .collect();
        self.pops.push(Population {
            name: name.to_string(),
            geometry,
            ir: Arc::new(ir),
            init,
            model: neuron.clone(),
            feed: None,
            firing_rate: None,
        });
        Ok(PopId(self.pops.len() - 1))
    }

    /// The delay in ms of `steps` stored steps of a projection from `pre`
    /// (see [`Delays`]: a rate-coded projection stores one more from two
    /// steps up, and 1 for none).
    pub(crate) fn delay_ms(&self, pre: PopId, steps: u32) -> f64 {
        let d = if self.pops[pre.0].ir.spiking || steps <= 1 {
            steps
        } else {
            steps - 1
        };
        f64::from(d) * self.dt
    }

    /// A projection's delays in ms, as its connector was given them.
    pub(crate) fn delays_ms(&self, pr: &Projection) -> Vec<f64> {
        pr.synapses
            .delay
            .iter()
            .map(|&d| self.delay_ms(pr.pre, d))
            .collect()
    }

    /// A monitor's period in steps (at least one), or an error naming
    /// `owner` for a period that is not a positive number of ms.
    fn period_steps(&self, owner: impl Into<String>, period_ms: f64) -> Result<u64> {
        if !(period_ms.is_finite() && period_ms > 0.0) {
            return Err(Error::invalid(
                owner,
                format!("the period must be a positive number of ms, got {period_ms}"),
            ));
        }
        Ok(((period_ms / self.dt).round() as u64).max(1))
    }

    /// The population behind a handle.
    pub fn pop(&self, id: PopId) -> Result<&Population> {
        self.pops.get(id.0).ok_or_else(|| {
            Error::invalid(
                "network",
                format!("population handle {} does not belong to this network", id.0),
            )
        })
    }

    /// Removes every population, projection, monitor, constant and network
    /// function (ANNarchy's `clear()`); dt and the seed stay. Handles taken before no longer
    /// belong to the network.
    pub fn clear(&mut self) {
        self.pops.clear();
        self.projs.clear();
        self.monitors.clear();
        self.synapse_monitors.clear();
        self.globals = Globals::default();
    }

    /// The populations, in creation order.
    pub fn populations(&self) -> Vec<PopId> {
        (0..self.pops.len()).map(PopId).collect()
    }

    /// The projections, in creation order.
    pub fn projections(&self) -> Vec<ProjId> {
        (0..self.projs.len()).map(ProjId).collect()
    }

    /// The monitors: those of populations in creation order, then those
    /// of synapses ([`monitor_projection`](Self::monitor_projection)) in
    /// creation order.
    pub fn monitors(&self) -> Vec<MonitorId> {
        let neurons = (0..self.monitors.len()).map(MonitorRef::Neurons);
        let synapses = (0..self.synapse_monitors.len()).map(MonitorRef::Synapses);
        neurons.chain(synapses).map(MonitorId).collect()
    }

    /// ANNarchy's name for [`find`](Self::find).
    pub fn get_population(&self, name: &str) -> Result<PopId> {
        self.find(name)
    }

    /// ANNarchy's name for [`find_projection`](Self::find_projection).
    pub fn get_projection(&self, name: &str) -> Result<ProjId> {
        self.find_projection(name)
    }

    /// Finds a population by name.
    pub fn find(&self, name: &str) -> Result<PopId> {
        self.pops
            .iter()
            .position(|p| p.name == name)
            .map(PopId)
            .ok_or_else(|| {
                let names: Vec<&str> = self.pops.iter().map(|p| p.name.as_str()).collect();
                Error::unknown("network", "population", name, &names)
            })
    }

    /// Sets an initial value before compiling (scalar, array shaped like the
    /// geometry, or a distribution drawn from the network seed).
    pub fn set(&mut self, pop: PopId, var: &str, value: impl Into<Value>) -> Result<()> {
        let stream = self.init_draws;
        self.init_draws += 1;
        let mut rng = rng_for(self.seed, 0x1000_0000 + stream);
        let p = self
            .pops
            .get_mut(pop.0)
            .ok_or_else(|| Error::invalid("network", "unknown population handle"))?;
        let values = assign_values(p, var, &value.into(), &mut rng)?;
        let slot = slot_of(p, var)?;
        p.init[slot] = values;
        Ok(())
    }

    /// Sets a synaptic variable or parameter of a projection before
    /// compiling (ANNarchy's `proj.U = Normal(0.5, 0.1)`): a scalar for
    /// all, one value per synapse in the order
    /// [`Simulation::synapses`](crate::engine::Simulation::synapses) lists
    /// them ((post, pre)), or a distribution, one draw per synapse from
    /// the network's seed (the same network and seed draw the same
    /// values). A projection-wide parameter (`: projection`) takes one
    /// value, not an array or a distribution. After compiling:
    /// [`Simulation::set_projection`](crate::engine::Simulation::set_projection).
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// let mut net = Network::new().seed(3);
    /// let lif = cajal::models::if_curr_exp();
    /// let a = net.population("a", 10, &lif)?;
    /// let stp = cajal::models::synapses::stp(100.0, 50.0, 0.5);
    /// let p = net.projection(a, a, "exc").synapse(&stp).connect_all_to_all(0.1)?;
    /// net.set_projection(p, "U", Dist::normal(0.5, 0.1).min(0.0))?;
    /// net.set_projection(p, "tau_rec", 80.0)?;
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn set_projection(
        &mut self,
        proj: ProjId,
        var: &str,
        value: impl Into<Value>,
    ) -> Result<()> {
        let stream = self.init_draws;
        self.init_draws += 1;
        let mut rng = rng_for(self.seed, 0x1000_0000 + stream);
        let pr = self.proj(proj)?;
        let (slot, values) = synapse_values(pr, var, &value.into(), &mut rng)?;
        self.projs[proj.0].values[slot] = values;
        Ok(())
    }

    /// Starts a projection from `pre` to `post` on `target`; finish it with a
    /// `connect_*` method.
    /// `pre` and `post` are populations or views ([`View`]): a connector
    /// between views sees them as 1-D populations of the views' sizes, and
    /// its synapses join the views' neurons.
    pub fn projection(
        &mut self,
        pre: impl Into<Part>,
        post: impl Into<Part>,
        target: impl Into<Targets>,
    ) -> ProjectionBuilder<'_> {
        let (pre, post) = (pre.into(), post.into());
        let mut targets = target.into().0.into_iter();
        ProjectionBuilder {
            net: self,
            pre: pre.pop,
            post: post.pop,
            pre_ranks: pre.ranks,
            post_ranks: post.ranks,
            target: targets.next().unwrap_or_default(),
            more_targets: targets.collect(),
            synapse: Synapse::default(),
            name: None,
            allow_self: false,
            window_ms: None,
            inject: false,
            delays: Delays::none(),
        }
    }

    /// ANNarchy's `CurrentInjection` (connected with `connect_current`): at
    /// each step the conductance `g_target` of each neuron of the spiking
    /// population `post` is set to the rate `r` of the neuron of the same
    /// rank in the rate-coded population `pre` (as it was at the end of the
    /// previous step). Nothing else may feed that conductance.
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// let mut net = Network::new().dt(0.1);
    /// let drive = net.input_array("drive", 10)?;
    /// let lif = net.population("lif", 10, &cajal::models::if_curr_exp())?;
    /// net.current_injection(drive, lif, "exc")?;
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn current_injection(
        &mut self,
        pre: impl Into<Part>,
        post: impl Into<Part>,
        target: &str,
    ) -> Result<ProjId> {
        let mut b = self.projection(pre, post, target);
        b.inject = true;
        b.connect_one_to_one(Weights::Constant(1.0))
    }

    /// ANNarchy's `DecodingProjection`, from a spiking population to a
    /// rate-coded one: each step, the post-synaptic neuron's `sum(target)`
    /// is the weighted count of its pre-synaptic neurons' spikes over the
    /// last `window_ms` (0: one step), in Hz per pre-synaptic neuron:
    /// `sum_{steps in window} sum_{pre spiking} w / W * 1000 / dt / n_pre`.
    /// Spikes count from the step after they are emitted; synapses take no
    /// delay and no synapse model (only `w`).
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// let mut net = Network::new().dt(0.1);
    /// let pre = net.poisson_population("pre", 100, 50.0, None)?;
    /// let out = net.population("out", 1, &Neuron::rate().equations("r = sum(exc)"))?;
    /// net.decoding_projection(pre, out, "exc", 10.0)
    ///     .connect_all_to_all(Weights::Constant(1.0))?;
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn decoding_projection(
        &mut self,
        pre: impl Into<Part>,
        post: impl Into<Part>,
        target: &str,
        window_ms: f64,
    ) -> ProjectionBuilder<'_> {
        let mut b = self.projection(pre, post, target);
        b.window_ms = Some(window_ms);
        b
    }

    /// The projection behind a handle.
    pub fn proj(&self, id: ProjId) -> Result<&Projection> {
        self.projs.get(id.0).ok_or_else(|| {
            Error::invalid(
                "network",
                format!("projection handle {} does not belong to this network", id.0),
            )
        })
    }

    /// The monitor of a population behind a handle: what it records, and
    /// how often (a monitor of synapses: [`synapse_monitor_spec`](Self::synapse_monitor_spec)).
    pub fn monitor_spec(&self, id: MonitorId) -> Result<&Monitor> {
        match id.0 {
            MonitorRef::Neurons(i) => self.monitors.get(i),
            MonitorRef::Synapses(_) => {
                return Err(Error::invalid(
                    "network",
                    "this monitor records synapses: its spec is synapse_monitor_spec's",
                ))
            }
        }
        .ok_or_else(|| {
            Error::invalid(
                "network",
                "the monitor handle does not belong to this network",
            )
        })
    }

    /// The monitor of synapses behind a handle: what it records, and how
    /// often.
    pub fn synapse_monitor_spec(&self, id: MonitorId) -> Result<&SynapseMonitor> {
        match id.0 {
            MonitorRef::Synapses(i) => self.synapse_monitors.get(i),
            MonitorRef::Neurons(_) => {
                return Err(Error::invalid(
                    "network",
                    "this monitor records a population: its spec is monitor_spec's",
                ))
            }
        }
        .ok_or_else(|| {
            Error::invalid(
                "network",
                "the monitor handle does not belong to this network",
            )
        })
    }

    /// Finds a projection by name (`pre->post:target` unless named).
    pub fn find_projection(&self, name: &str) -> Result<ProjId> {
        self.projs
            .iter()
            .position(|p| p.name == name)
            .map(ProjId)
            .ok_or_else(|| {
                let names: Vec<&str> = self.projs.iter().map(|p| p.name.as_str()).collect();
                Error::unknown("network", "projection", name, &names)
            })
    }

    /// Records variables (and `spike`) of a population at every step.
    /// `what` is a population or a [`View`] (then only its neurons are
    /// recorded, in view order).
    pub fn monitor(&mut self, what: impl Into<Part>, vars: &[&str]) -> Result<MonitorId> {
        self.monitor_with(what, vars, self.dt, true)
    }

    /// Records variables every `period_ms` (rounded to steps, at least one);
    /// with `start = false` the monitor waits for [`crate::engine::Simulation::resume`].
    pub fn monitor_with(
        &mut self,
        what: impl Into<Part>,
        vars: &[&str],
        period_ms: f64,
        start: bool,
    ) -> Result<MonitorId> {
        self.check_dt()?;
        let Part { pop, ranks } = what.into();
        let p = self.pop(pop)?;
        if let Some(bad) = ranks.iter().flatten().find(|&&r| r as usize >= p.size()) {
            return Err(Error::invalid(
                format!("monitor of population '{}'", p.name),
                format!("the view has rank {bad}, out of range (size {})", p.size()),
            ));
        }
        let owner = format!("monitor of population '{}'", p.name);
        if vars.is_empty() {
            return Err(Error::invalid(
                owner,
                "name at least one variable (or \"spike\")",
            ));
        }
        let mut spikes = false;
        let mut names = Vec::new();
        for v in vars {
            if *v == SPIKE {
                if !p.ir.spiking {
                    return Err(Error::invalid(
                        owner,
                        format!("population '{}' is rate-coded: it has no spikes", p.name),
                    ));
                }
                spikes = true;
            } else {
                slot_of(p, v)?;
                if !names.iter().any(|n: &String| n == v) {
                    names.push(v.to_string());
                }
            }
        }
        let period = self.period_steps(owner, period_ms)?;
        self.monitors.push(Monitor {
            pop,
            vars: names,
            spikes,
            period,
            start,
            ranks,
        });
        Ok(MonitorId(MonitorRef::Neurons(self.monitors.len() - 1)))
    }

    /// Records synaptic variables (ANNarchy's `Monitor(proj[post], 'w',
    /// period=...)` with `dendrite = Some(post)`, `Monitor(proj, 'w')` with
    /// `None`) every `period_ms` (rounded to steps, at least one), from the
    /// start. A sample at step `s` holds the values after step `s`: after
    /// the learning rules and the post-synaptic events of that step, as
    /// ANNarchy's recorders, which run at the end of the step. The
    /// samples are taken at the steps `s` with `(s - start) % period ==
    /// 0`, `start` being 0 (or the step of the last
    /// [`resume`](crate::engine::Simulation::resume)).
    ///
    /// [`recorded`](crate::engine::Simulation::recorded) returns
    /// `[samples, synapses]`: the dendrite's synapses by pre-synaptic rank
    /// (ANNarchy's order), or all the projection's in (post, pre) order as
    /// [`synapses`](crate::engine::Simulation::synapses) lists them; one
    /// column for a projection-wide parameter.
    /// [`sample_steps`](crate::engine::Simulation::sample_steps),
    /// [`take_recording`](crate::engine::Simulation::take_recording),
    /// [`pause`](crate::engine::Simulation::pause) and
    /// [`resume`](crate::engine::Simulation::resume) work as for a
    /// population. The simulation reads the values from the engine after
    /// each sample step, so a run stops there (on the GPU engine a
    /// submission ends at each sample): sample sparsely, as ANNarchy
    /// advises for whole projections.
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// let mut net = Network::new();
    /// let lif = cajal::models::if_curr_exp();
    /// let a = net.population("a", 10, &lif)?;
    /// let p = net.projection(a, a, "exc").connect_all_to_all(0.1)?;
    /// let m = net.monitor_projection(p, Some(0), &["w"], 100.0)?;
    /// let mut sim = net.compile(Backend::Cpu)?;
    /// sim.simulate(250.0)?;
    /// assert_eq!(sim.sample_steps(m)?, vec![0, 100, 200]);
    /// assert_eq!(sim.recorded(m, "w")?.dim(), (3, 9)); // no self-connection
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn monitor_projection(
        &mut self,
        proj: ProjId,
        dendrite: Option<usize>,
        vars: &[&str],
        period_ms: f64,
    ) -> Result<MonitorId> {
        self.check_dt()?;
        let pr = self.proj(proj)?;
        let owner = format!("monitor of projection '{}'", pr.name);
        if pr.conv.is_some() {
            return Err(Error::invalid(
                owner,
                "a convolution or pooling stores no synapses: its shared weights are in `net.proj(id)?.conv`",
            ));
        }
        if pr.procedural.is_some() {
            return Err(Error::invalid(
                owner,
                "procedural connectivity stores no synapses (they are drawn at each spike)",
            ));
        }
        if let Some(post) = dendrite {
            let n_post = self.pop(pr.post)?.size();
            if post >= n_post {
                return Err(Error::invalid(
                    owner,
                    format!("post-synaptic rank {post} is out of range (size {n_post})"),
                ));
            }
        }
        if vars.is_empty() {
            return Err(Error::invalid(owner, "name at least one variable"));
        }
        let mut names: Vec<String> = Vec::new();
        for v in vars {
            let known = || -> Vec<&str> {
                pr.ir
                    .vars
                    .iter()
                    .filter(|d| d.kind != VarKind::Hidden)
                    .map(|d| d.name.as_str())
                    .collect()
            };
            match pr.ir.slot(v) {
                Some(s) if pr.ir.vars[s as usize].kind != VarKind::Hidden => {}
                _ => return Err(Error::unknown(owner, "synapse variable", v, &known())),
            }
            if !names.iter().any(|n| n == v) {
                names.push(v.to_string());
            }
        }
        let period = self.period_steps(owner, period_ms)?;
        self.synapse_monitors.push(SynapseMonitor {
            proj,
            post: dendrite.map(|p| p as u32),
            vars: names,
            period,
        });
        Ok(MonitorId(MonitorRef::Synapses(
            self.synapse_monitors.len() - 1,
        )))
    }
}

/// The slot of a public variable, or an error listing what exists.
pub(crate) fn slot_of(p: &Population, var: &str) -> Result<usize> {
    match p.ir.slot(var) {
        Some(s) if p.ir.vars[s as usize].kind != VarKind::Hidden => Ok(s as usize),
        _ => Err(Error::unknown(
            format!("population '{}' (model '{}')", p.name, p.ir.name),
            "variable",
            var,
            &p.ir.public_names(),
        )),
    }
}

/// The storage `value` gives a projection's variable or parameter `var`,
/// and its slot: one value per synapse in (post, pre) order, or one for a
/// projection-wide slot; shapes, names and kinds checked.
pub(crate) fn synapse_values(
    pr: &Projection,
    var: &str,
    value: &Value,
    rng: &mut StdRng,
) -> Result<(usize, Vec<f32>)> {
    let owner = format!("projection '{}'", pr.name);
    if pr.conv.is_some() {
        return Err(Error::invalid(
            owner,
            "a convolution or pooling stores no synapses: its shared weights are in `net.proj(id)?.conv`",
        ));
    }
    if pr.procedural.is_some() {
        return Err(Error::invalid(
            owner,
            "procedural connectivity stores no synapses: its weights are fixed when it is built",
        ));
    }
    let public = || -> Vec<&str> {
        pr.ir
            .vars
            .iter()
            .filter(|d| d.kind != VarKind::Hidden)
            .map(|d| d.name.as_str())
            .collect()
    };
    let slot = match pr.ir.slot(var) {
        Some(s) if pr.ir.vars[s as usize].kind != VarKind::Hidden => s as usize,
        _ => {
            return Err(Error::unknown(
                format!("{owner} (synapse '{}')", pr.ir.name),
                "variable",
                var,
                &public(),
            ))
        }
    };
    let decl = &pr.ir.vars[slot];
    let owner = format!("{owner}, '{var}'");
    let n = pr.synapses.post.len();
    let wide = decl.locality == Locality::Global;
    let one_only = || {
        Error::invalid(
            owner.clone(),
            format!("'{var}' is projection-wide (: projection): it takes a single value, not one per synapse"),
        )
    };
    let mut v = match value {
        Value::Scalar(x) => vec![*x; if wide { 1 } else { n }],
        Value::Array(a) if wide => {
            if a.len() != 1 {
                return Err(one_only());
            }
            a.iter().copied().collect()
        }
        Value::Array(a) => {
            if a.ndim() != 1 || a.len() != n {
                return Err(Error::Shape {
                    owner,
                    message: format!(
                        "expected {n} values, one per synapse in (post, pre) order, got an array of shape {:?}",
                        a.shape()
                    ),
                });
            }
            a.iter().copied().collect()
        }
        Value::Random(_) if wide => return Err(one_only()),
        Value::Random(d) => d.sample(rng, n, &owner)?,
    };
    if let Some(bad) = v.iter().find(|x| !x.is_finite()) {
        return Err(Error::invalid(owner, format!("'{var}' cannot be {bad}")));
    }
    // A `: postsynaptic` variable keeps one copy per synapse, equal over a
    // dendrite (synapses are sorted by post).
    let post = &pr.synapses.post;
    if decl.shared
        && !wide
        && (1..n).any(|k| post[k] == post[k - 1] && v[k].to_bits() != v[k - 1].to_bits())
    {
        return Err(Error::invalid(
            owner,
            format!("'{var}' is postsynaptic (: postsynaptic): the synapses of a post-synaptic neuron take one value, not one each"),
        ));
    }
    match decl.ty {
        ValueType::Int => v.iter_mut().for_each(|x| *x = x.round()),
        ValueType::Bool => v
            .iter_mut()
            .for_each(|x| *x = if *x != 0.0 { 1.0 } else { 0.0 }),
        ValueType::Float => {}
    }
    Ok((slot, v))
}

/// Turns a [`Value`] into the storage of one slot, checking shapes.
pub(crate) fn assign_values(
    p: &Population,
    var: &str,
    value: &Value,
    rng: &mut StdRng,
) -> Result<Vec<f32>> {
    assign_to(p, var, value, rng, None)
}

/// The values `value` gives a slot: for the whole population, or for the
/// `view_len` neurons of a view (per-neuron slots only).
pub(crate) fn assign_to(
    p: &Population,
    var: &str,
    value: &Value,
    rng: &mut StdRng,
    view_len: Option<usize>,
) -> Result<Vec<f32>> {
    let slot = slot_of(p, var)?;
    let decl = &p.ir.vars[slot];
    let owner = format!("population '{}', variable '{var}'", p.name);
    if view_len.is_some() && (decl.locality == Locality::Global || decl.shared) {
        return Err(Error::invalid(
            owner,
            format!("'{var}' is shared by the population: set it for the whole population"),
        ));
    }
    let n = if decl.locality == Locality::Global {
        1
    } else {
        view_len.unwrap_or(p.size())
    };
    let mut v = match value {
        Value::Scalar(x) => vec![*x; n],
        Value::Array(a) => {
            let ok = if decl.locality == Locality::Global {
                a.len() == 1
            } else if view_len.is_some() {
                a.len() == n
            } else {
                a.shape() == p.geometry.dims() || (a.ndim() == 1 && a.len() == n)
            };
            if !ok {
                let expected = if decl.locality == Locality::Global {
                    "a single value (it is shared by the population)".to_string()
                } else if view_len.is_some() {
                    format!("{n} values, one per neuron of the view")
                } else {
                    format!("{:?}", p.geometry.dims())
                };
                return Err(Error::Shape {
                    owner,
                    message: format!("expected {expected}, got an array of shape {:?}", a.shape()),
                });
            }
            a.iter().copied().collect()
        }
        Value::Random(d) => d.sample(rng, n, &owner)?,
    };
    // A `: population` variable keeps one copy per neuron, all equal.
    if decl.shared && v.iter().any(|x| x.to_bits() != v[0].to_bits()) {
        return Err(Error::invalid(
            owner,
            format!("'{var}' is shared by the population (: population): it takes a single value, not one per neuron"),
        ));
    }
    match decl.ty {
        ValueType::Int => v.iter_mut().for_each(|x| *x = x.round()),
        ValueType::Bool => v
            .iter_mut()
            .for_each(|x| *x = if *x != 0.0 { 1.0 } else { 0.0 }),
        ValueType::Float => {}
    }
    Ok(v)
}

/// The target or targets of a projection: a name (`"exc"`), or several
/// (`["ampa", "nmda"]`, ANNarchy's list), each conductance of which
/// `g_target += w` increments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Targets(pub Vec<String>);

impl From<&str> for Targets {
    fn from(t: &str) -> Self {
        Targets(vec![t.to_string()])
    }
}

impl From<&String> for Targets {
    fn from(t: &String) -> Self {
        Targets(vec![t.clone()])
    }
}

impl From<String> for Targets {
    fn from(t: String) -> Self {
        Targets(vec![t])
    }
}

impl From<&[&str]> for Targets {
    fn from(t: &[&str]) -> Self {
        Targets(t.iter().map(|s| s.to_string()).collect())
    }
}

impl<const N: usize> From<[&str; N]> for Targets {
    fn from(t: [&str; N]) -> Self {
        Targets(t.iter().map(|s| s.to_string()).collect())
    }
}

impl<const N: usize> From<&[&str; N]> for Targets {
    fn from(t: &[&str; N]) -> Self {
        Targets(t.iter().map(|s| s.to_string()).collect())
    }
}

impl From<Vec<String>> for Targets {
    fn from(t: Vec<String>) -> Self {
        Targets(t)
    }
}

/// Builds one projection; created by [`Network::projection`].
pub struct ProjectionBuilder<'a> {
    net: &'a mut Network,
    pre: PopId,
    post: PopId,
    pre_ranks: Option<Vec<u32>>,
    post_ranks: Option<Vec<u32>>,
    target: String,
    more_targets: Vec<String>,
    synapse: Synapse,
    name: Option<String>,
    allow_self: bool,
    window_ms: Option<f64>,
    inject: bool,
    delays: Delays,
}

impl<'a> ProjectionBuilder<'a> {
    /// Uses a synapse model (default: [`Synapse::default`]).
    pub fn synapse(mut self, syn: &Synapse) -> Self {
        self.synapse = syn.clone();
        self
    }

    /// Names the projection (default `pre->post:target`, then
    /// `pre->post:target#2`, `#3`, ... for more projections with the same
    /// ends and target); a name given twice is an error.
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_string());
        self
    }

    /// Allows a neuron to connect to itself when pre and post are the same population.
    pub fn allow_self_connections(mut self, allow: bool) -> Self {
        self.allow_self = allow;
        self
    }

    /// The synapses' delays in ms: a number (one for all) or
    /// `Delays::random(dist)` (one draw per synapse, at least one step).
    /// Without it a spike arrives one step later, as ANNarchy's default.
    /// Every connector takes them from here, those that give their own
    /// per-synapse delays ([`connect_from_sparse`](Self::connect_from_sparse),
    /// [`connect_with_func`](Self::connect_with_func)) for the synapses
    /// they leave without one.
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// let mut net = Network::new().dt(0.1);
    /// let pop = net.population("pop", 100, &cajal::models::if_cond_exp())?;
    /// net.projection(pop, pop, "exc")
    ///     .delays(1.5)
    ///     .connect_fixed_probability(0.1, 0.5)?;
    /// net.projection(pop, pop, "inh")
    ///     .delays(Delays::random(Dist::uniform(1.0, 3.0)))
    ///     .connect_fixed_probability(0.1, Dist::normal(0.5, 0.1).min(0.0))?;
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn delays(mut self, delays: impl Into<Delays>) -> Self {
        self.delays = delays.into();
        self
    }

    /// Every pre-synaptic neuron to every post-synaptic one.
    pub fn connect_all_to_all(self, weights: impl Into<Weights>) -> Result<ProjId> {
        self.connect(Connector::AllToAll, weights)
    }

    /// Neuron i to neuron i (equal sizes).
    pub fn connect_one_to_one(self, weights: impl Into<Weights>) -> Result<ProjId> {
        self.connect(Connector::OneToOne, weights)
    }

    /// Each pair connected with probability `p`.
    pub fn connect_fixed_probability(self, p: f64, weights: impl Into<Weights>) -> Result<ProjId> {
        self.connect(Connector::FixedProbability(p), weights)
    }

    /// Each post-synaptic neuron receives exactly `n` synapses.
    pub fn connect_fixed_number_pre(self, n: usize, weights: impl Into<Weights>) -> Result<ProjId> {
        self.connect(Connector::FixedNumberPre(n), weights)
    }

    /// Each pre-synaptic neuron sends exactly `n` synapses.
    pub fn connect_fixed_number_post(
        self,
        n: usize,
        weights: impl Into<Weights>,
    ) -> Result<ProjId> {
        self.connect(Connector::FixedNumberPost(n), weights)
    }

    /// A dense weight matrix `[post, pre]`; NaN means no synapse.
    pub fn connect_from_matrix(self, matrix: Array2<f32>) -> Result<ProjId> {
        self.connect(Connector::FromMatrix(matrix), Weights::Constant(0.0))
    }

    /// Synapses as (post, pre, weight) triplets, optional delays in ms
    /// (without them, the builder's [`delays`](Self::delays)).
    pub fn connect_from_sparse(
        self,
        post: Vec<u32>,
        pre: Vec<u32>,
        w: Vec<f32>,
        delays_ms: Option<Vec<f64>>,
    ) -> Result<ProjId> {
        self.connect(
            Connector::FromSparse {
                post,
                pre,
                w,
                delay: delays_ms,
            },
            Weights::Constant(0.0),
        )
    }

    /// The synapses (ranks, weights, delays) saved by
    /// [`Simulation::save_connectivity`](crate::engine::Simulation::save_connectivity),
    /// for populations of the same sizes (delays keep their duration in ms).
    pub fn connect_from_file(self, path: impl AsRef<std::path::Path>) -> Result<ProjId> {
        let path = path.as_ref();
        let s = crate::io::connectivity::read(path)?;
        let (pre, post) = (
            self.net.pop(self.pre)?.size(),
            self.net.pop(self.post)?.size(),
        );
        if (s.pre_size, s.post_size) != (pre, post) {
            return Err(Error::Shape {
                owner: path.display().to_string(),
                message: format!(
                    "the file connects {} pre to {} post neurons, these populations have {pre} and {post}",
                    s.pre_size, s.post_size
                ),
            });
        }
        let delays = s.delays_ms();
        self.connect_from_sparse(s.post, s.pre, s.w, Some(delays))
    }

    /// Synapses returned by a function of the geometries (a LIL).
    pub fn connect_with_func(
        self,
        f: impl Fn(&Geometry, &Geometry, &mut StdRng) -> Lil + Send + Sync + 'static,
    ) -> Result<ProjId> {
        self.connect(Connector::WithFunc(Arc::new(f)), Weights::Constant(0.0))
    }

    /// Gaussian weights of the normalised distance (ANNarchy's connect_gaussian).
    pub fn connect_gaussian(self, amp: f32, sigma: f64, limit: f64) -> Result<ProjId> {
        self.connect(
            Connector::Gaussian { amp, sigma, limit },
            Weights::Constant(0.0),
        )
    }

    /// Difference of Gaussians (ANNarchy's connect_dog).
    pub fn connect_dog(
        self,
        amp_pos: f32,
        sigma_pos: f64,
        amp_neg: f32,
        sigma_neg: f64,
        limit: f64,
    ) -> Result<ProjId> {
        self.connect(
            Connector::Dog {
                amp_pos,
                sigma_pos,
                amp_neg,
                sigma_neg,
                limit,
            },
            Weights::Constant(0.0),
        )
    }

    /// Any connector, with the builder's delays.
    pub fn connect(self, connector: Connector, weights: impl Into<Weights>) -> Result<ProjId> {
        let delays = self.delays.clone();
        self.build(connector, weights.into(), delays)
    }

    fn build(self, connector: Connector, weights: Weights, delays: Delays) -> Result<ProjId> {
        let net = self.net;
        net.check_dt()?;
        let pre = net.pop(self.pre)?.clone();
        let post = net.pop(self.post)?.clone();
        let taken = |n: &str| net.projs.iter().any(|p| p.name == n);
        let name = self.name.unwrap_or_else(|| {
            // ANNarchy allows several projections with the same ends and
            // target (two views of one population, two synapse types):
            // their default names are numbered.
            let targets = std::iter::once(self.target.as_str())
                .chain(self.more_targets.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join("+");
            let base = format!("{}->{}:{}", pre.name, post.name, targets);
            let mut name = base.clone();
            let mut k = 2;
            while taken(&name) {
                name = format!("{base}#{k}");
                k += 1;
            }
            name
        });
        if taken(&name) {
            return Err(Error::invalid(
                "network",
                format!("a projection named '{name}' already exists"),
            ));
        }
        let conn_err = |m: String| Error::Connector {
            projection: name.clone(),
            message: m,
        };
        for t in std::iter::once(&self.target).chain(&self.more_targets) {
            if t.is_empty() || !t.chars().all(|c| c.is_alphanumeric() || c == '_') {
                return Err(conn_err(format!("'{t}' is not a valid target name")));
            }
        }
        if !self.more_targets.is_empty() {
            let all: Vec<&str> = std::iter::once(self.target.as_str())
                .chain(self.more_targets.iter().map(String::as_str))
                .collect();
            if let Some(t) = all.iter().enumerate().find(|(i, t)| all[..*i].contains(t)) {
                return Err(conn_err(format!("the target '{}' is given twice", t.1)));
            }
            if self.window_ms.is_some() || self.inject || !pre.ir.spiking || !post.ir.spiking {
                return Err(Error::Unsupported {
                    owner: format!("projection '{name}'"),
                    message: format!(
                        "several targets ({}) are for spiking projections, whose spikes add to each target's conductance; make one projection a target",
                        all.join(", ")
                    ),
                });
            }
            for t in &self.more_targets {
                if !post.ir.conductances.iter().any(|(c, _, _)| c == t) {
                    return Err(conn_err(format!(
                        "population '{}' (model '{}') does not use the conductance g_{t}: add it to its equations",
                        post.name, post.ir.name
                    )));
                }
            }
        }
        let window = match self.window_ms {
            None => None,
            Some(w) => {
                let owner = format!("projection '{name}'");
                if !pre.ir.spiking {
                    return Err(Error::invalid(
                        owner,
                        format!(
                            "a DecodingProjection decodes spikes: population '{}' is rate-coded",
                            pre.name
                        ),
                    ));
                }
                if !(w.is_finite() && w >= 0.0) {
                    return Err(Error::invalid(
                        owner,
                        format!("the window must be a non-negative duration in ms, got {w}"),
                    ));
                }
                if !self.synapse.is_default() {
                    return Err(Error::invalid(
                        owner,
                        "a DecodingProjection counts spikes weighted by w: it takes no synapse model",
                    ));
                }
                if !post.ir.targets.contains(&self.target) {
                    return Err(conn_err(format!(
                        "population '{}' (model '{}') does not read sum({}) in its equations",
                        post.name, post.ir.name, self.target
                    )));
                }
                let steps = (w / net.dt).round().max(1.0);
                if steps > 1e6 {
                    return Err(Error::invalid(
                        owner,
                        format!("a window of {w} ms is over a million steps"),
                    ));
                }
                Some(steps as u32)
            }
        };
        // A CurrentInjection sets its conductance: nothing else may add to it.
        let fed = |inject: bool| {
            net.projs
                .iter()
                .any(|p| p.post == self.post && p.target == self.target && (inject || p.inject))
        };
        if fed(self.inject) {
            return Err(Error::invalid(
                format!("projection '{name}'"),
                format!(
                    "a CurrentInjection sets g_{} of population '{}': no other projection may feed it",
                    self.target, post.name
                ),
            ));
        }
        if self.inject {
            let owner = format!("projection '{name}'");
            if pre.ir.spiking || !post.ir.spiking {
                return Err(Error::invalid(
                    owner,
                    format!(
                        "a CurrentInjection goes from a rate-coded population to a spiking one ('{}' is {}, '{}' is {})",
                        pre.name,
                        if pre.ir.spiking { "spiking" } else { "rate-coded" },
                        post.name,
                        if post.ir.spiking { "spiking" } else { "rate-coded" }
                    ),
                ));
            }
            let r = slot_of(&pre, "r")?;
            if pre.ir.vars[r].locality == Locality::Global {
                return Err(Error::invalid(
                    owner,
                    "pre.r is population-wide: it must be per neuron",
                ));
            }
        }
        if pre.ir.spiking && !post.ir.spiking && window.is_none() {
            return Err(Error::Unsupported {
                owner: format!("projection '{name}'"),
                message: format!("population '{}' is spiking and '{}' is rate-coded: spikes reach a rate-coded population through a DecodingProjection (Network::decoding_projection)", pre.name, post.name),
            });
        }
        let mut ir = analyse_synapse(&self.synapse, &net.globals)?;
        // ANNarchy's last-event clock starts at step -10000: event-driven
        // variables relax from there to the first event, not from t = 0.
        if let Some(s) = ir.slot("_t_last") {
            ir.vars[s as usize].init = (-10000.0 * net.dt) as f32;
        }
        // t_pre / t_post: the populations keep their neurons' spike times.
        let spike_time = crate::lang::analysis::SPIKE_TIME.to_string();
        let (pre, post) = {
            if ir.pre_refs.contains(&spike_time) {
                net.keep_spike_times(self.pre, &name)?;
            }
            if ir.post_refs.contains(&spike_time) {
                net.keep_spike_times(self.post, &name)?;
            }
            if pre.ir.spiking && !self.inject && window.is_none() {
                for t in std::iter::once(&self.target).chain(&self.more_targets) {
                    net.input_conductance(self.post, t);
                }
            }
            (net.pop(self.pre)?.clone(), net.pop(self.post)?.clone())
        };
        // Check the target against the post-synaptic model: spikes feed a
        // conductance, rates feed sum(target) (of a rate-coded neuron, or of a
        // spiking one in a hybrid network).
        if window.is_some() {
            // Checked above.
        } else if pre.ir.spiking || self.inject {
            if !post
                .ir
                .conductances
                .iter()
                .any(|(t, _, _)| *t == self.target)
            {
                return Err(conn_err(format!(
                    "population '{}' (model '{}') does not use the conductance g_{}: add it to its equations",
                    post.name, post.ir.name, self.target
                )));
            }
        } else if !post.ir.targets.contains(&self.target) {
            let hint = if post.ir.spiking {
                " (a rate-coded population feeds a spiking one through sum(target), as a PoissonPopulation driven by a target reads it; to drive a conductance with a rate use a CurrentInjection)"
            } else {
                ""
            };
            return Err(conn_err(format!(
                "population '{}' (model '{}') does not read sum({}) in its equations{hint}",
                post.name, post.ir.name, self.target
            )));
        }
        let (pre_used, post_used) = ir.refs_used(pre.ir.spiking);
        let hidden_ok = |p: &Population, r: &str| r == spike_time && p.ir.slot(r).is_some();
        for r in pre_used {
            if slot_of(&pre, r).is_err() && !hidden_ok(&pre, r) {
                return Err(conn_err(format!("synapse '{}' reads pre.{r} but population '{}' (model '{}') has no '{r}' (it has: {})", ir.name, pre.name, pre.ir.name, pre.ir.public_names().join(", "))));
            }
        }
        for r in post_used {
            if slot_of(&post, r).is_err() && !hidden_ok(&post, r) {
                return Err(conn_err(format!("synapse '{}' reads post.{r} but population '{}' (model '{}') has no '{r}' (it has: {})", ir.name, post.name, post.ir.name, post.ir.public_names().join(", "))));
            }
        }
        let mut rng = rng_for(net.seed, net.projs.len() as u64);
        // A view is a 1-D population of its own size to the connector.
        let side = |ranks: &Option<Vec<u32>>, p: &Population| -> Result<Geometry> {
            match ranks {
                None => Ok(p.geometry.clone()),
                Some(r) => {
                    if let Some(&bad) = r.iter().find(|&&x| x as usize >= p.size()) {
                        return Err(conn_err(format!(
                            "a view of population '{}' has rank {bad}, out of range (size {})",
                            p.name,
                            p.size()
                        )));
                    }
                    Geometry::new(&[r.len()])
                }
            }
        };
        let (pre_geo, post_geo) = (side(&self.pre_ranks, &pre)?, side(&self.post_ranks, &post)?);
        let views = self.pre_ranks.is_some() || self.post_ranks.is_some();
        let spec = ConnectSpec {
            projection: &name,
            pre: &pre_geo,
            post: &post_geo,
            same_population: self.pre == self.post && !views,
            allow_self_connections: self.allow_self,
            weights: &weights,
            delays: &delays,
            dt: net.dt,
            rate_coded: !pre.ir.spiking,
        };
        let mut synapses = connect::build(&connector, &spec, &mut rng)?;
        if window.is_some() && synapses.delay.iter().any(|&d| d != 1) {
            return Err(conn_err(
                "a DecodingProjection takes no delays (spikes count from the next step)".into(),
            ));
        }
        if views {
            synapses = synapses.on_views(
                self.pre_ranks.as_deref(),
                self.post_ranks.as_deref(),
                self.pre == self.post && !self.allow_self,
            );
        }
        let nsyn = synapses.post.len();
        let values = ir
            .vars
            .iter()
            .map(|v| {
                if v.name == "w" {
                    synapses.w.clone()
                } else {
                    vec![
                        v.init;
                        if v.locality == Locality::Global {
                            1
                        } else {
                            nsyn
                        }
                    ]
                }
            })
            .collect();
        net.projs.push(Projection {
            name,
            pre: self.pre,
            post: self.post,
            target: self.target,
            more_targets: self.more_targets,
            ir: Arc::new(ir),
            operation: self.synapse.operation,
            synapses: Arc::new(synapses),
            values,
            connector: crate::network::report::connector(&connector, &weights, &delays),
            model: self.synapse,
            window,
            inject: self.inject,
            conv: None,
            procedural: None,
        });
        Ok(ProjId(net.projs.len() - 1))
    }
}

//! The network builder: populations, projections, monitors.

pub mod batch;
mod builder;
pub use builder::{ProjectionBuilder, Targets};
pub mod conv;
pub mod feed;
pub mod geometry;
pub mod globals;
pub mod model;
mod monitor;
pub mod params;
pub mod procedural;
pub mod rate;
pub mod report;
mod values;
pub mod view;
pub(crate) use values::{assign_to, assign_values, slot_of, synapse_values};

use std::sync::Arc;

use ndarray::{Array, Array2, ArrayD};
use rand::rngs::StdRng;

use crate::connect::{self, ConnectSpec, Connector, Delays, Lil, SynapseList, Weights};
use crate::error::{Error, Result};
use crate::lang::analysis::Globals;
use crate::lang::ir::{Locality, NeuronIr, SynapseIr, VarKind};
use crate::lang::{analyse_neuron, analyse_synapse};
use crate::random::{rng_for, Dist};
use crate::real::{Dtype, Reals};
use geometry::{Geometry, IntoGeometry};
pub use globals::Function;
use model::{Neuron, Operation, Synapse};
pub use view::{Part, View};

/// The identity of a network, carried by its handles so that a handle
/// used on another network is refused instead of silently reading the
/// object at the same index (generational handles, as rapier's). A clone
/// of a network (a compiled [`Simulation`](crate::Simulation), a batch, a
/// run of `parallel_run`) keeps it: the objects are the same.
/// [`Network::clear`] takes a new one, so handles from before are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct NetTag(u64);

impl NetTag {
    pub(crate) fn fresh() -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        NetTag(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    }
}

/// Handle of a population in its network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PopId(pub(crate) usize, pub(crate) NetTag);

/// Handle of a projection in its network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProjId(pub(crate) usize, pub(crate) NetTag);

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
pub struct MonitorId(pub(crate) MonitorRef, pub(crate) NetTag);

/// Which list of its network a monitor is in, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum MonitorRef {
    /// A population monitor (`Network::monitors`, run by the engines).
    Neurons(usize),
    /// A synapse monitor (`Network::synapse_monitors`, sampled by the
    /// simulation between engine runs).
    Synapses(usize),
}

/// A value to give a variable or parameter. Numbers are kept as given
/// (f64) and narrowed to the engines' f32 when assigned: one that does not
/// fit (beyond 3.4e38, or non-zero below 1.4e-45) is an error naming the
/// variable, not an infinity or a 0.
#[derive(Debug, Clone)]
pub enum Value {
    /// The same value everywhere.
    Scalar(f64),
    /// One value per neuron, shaped like the geometry (or flat).
    Array(ArrayD<f64>),
    /// One draw per neuron from a distribution (seeded by the network).
    Random(Dist),
}

impl From<f32> for Value {
    fn from(v: f32) -> Self {
        Value::Scalar(f64::from(v))
    }
}

/// `-65.0` is an `f64` unless written `-65.0f32`; values are stored in
/// `f32`, so it is rounded to f32 when assigned (an error if it does not
/// fit).
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Scalar(v)
    }
}

/// An integer parameter (`: int`) or a whole number.
impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Scalar(f64::from(v))
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
        Value::Array(a.mapv(f64::from).into_dyn())
    }
}

impl<D: ndarray::Dimension> From<Array<f64, D>> for Value {
    fn from(a: Array<f64, D>) -> Self {
        Value::Array(a.into_dyn())
    }
}

impl From<Vec<f32>> for Value {
    fn from(v: Vec<f32>) -> Self {
        Value::from(Array::from_vec(v))
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
    /// Initial values of every slot (length 1 for population-wide
    /// parameters), in the network's precision.
    pub init: Vec<Reals>,
    /// The model as written (for reports).
    pub model: Neuron,
    /// An input table written into one variable each step (TimedArray,
    /// SpikeSourceArray, ...).
    pub feed: Option<feed::Feed>,
    /// The firing-rate window in ms and the slot of `r`
    /// ([`Network::compute_firing_rate`]).
    pub firing_rate: Option<(f64, u32)>,
    /// The slots whose initial values were set (`Network::set`, ...): a
    /// variable whose `init` names a parameter follows that parameter's
    /// values until it is set itself ([`VarDecl::init_from`](crate::lang::ir::VarDecl::init_from)).
    pub(crate) set_slots: std::collections::HashSet<usize>,
}

/// Records that the values of `slot` were set (in `set`), and gives the
/// variables of `vars` whose `init` names it, and that were not set
/// themselves, its values (one for each element where it holds one for
/// all): ANNarchy resolves such an init when the network is compiled.
fn follow_init(
    vars: &[crate::lang::ir::VarDecl],
    values: &mut [Reals],
    set: &mut std::collections::HashSet<usize>,
    slot: usize,
) {
    set.insert(slot);
    for (v, decl) in vars.iter().enumerate() {
        if decl.init_from != Some(slot as u32) || set.contains(&v) {
            continue;
        }
        let from = &values[slot];
        let followed = (0..values[v].len())
            .map(|k| decl.ty.hold(from.get(if from.len() == 1 { 0 } else { k })));
        values[v] = Reals::of(from.dtype(), followed);
    }
}

impl Population {
    /// Records that the initial values of `slot` were set, and gives the
    /// variables whose `init` names it, and that were not set themselves,
    /// its values (one for each neuron where it holds one for all).
    pub(crate) fn assigned(&mut self, slot: usize) {
        follow_init(&self.ir.vars, &mut self.init, &mut self.set_slots, slot);
    }

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
    /// clones of the network a compiled simulation keeps. In a network
    /// built as one rank of a distributed run, only those onto the rank's
    /// neurons ([`parts`](Self::parts)).
    pub synapses: Arc<SynapseList>,
    /// In a network built as one rank of a distributed run
    /// ([`engine::distributed`](crate::engine::distributed)): which
    /// synapses of the whole list each rank holds, and this rank's.
    pub parts: Option<Arc<crate::engine::distributed::Parts>>,
    /// Values of every synapse slot (`w` from the connector; length 1 for
    /// projection-wide parameters), in the network's precision.
    pub values: Vec<Reals>,
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
    /// The slots whose values were set (`Network::set_projection`): a
    /// variable whose `init` names a parameter follows it until set itself.
    pub(crate) set_slots: std::collections::HashSet<usize>,
}

impl Projection {
    /// Records that the values of `slot` were set, as
    /// [`Population::assigned`].
    pub(crate) fn assigned(&mut self, slot: usize) {
        follow_init(&self.ir.vars, &mut self.values, &mut self.set_slots, slot);
    }

    /// That it stores its synapses (a setter, a monitor or an array of
    /// values needs them), or an error for `owner` saying where the
    /// weights of a convolution or procedural connectivity are.
    pub(crate) fn stores_synapses(&self, owner: &str) -> Result<()> {
        if self.conv.is_some() {
            return Err(Error::invalid(
                owner,
                "a convolution or pooling stores no synapses: its shared weights are in `net.proj(id)?.conv`",
            ));
        }
        if self.procedural.is_some() {
            return Err(Error::invalid(
                owner,
                "procedural connectivity stores no synapses: they are drawn at each spike, with weights fixed when it is built",
            ));
        }
        Ok(())
    }

    /// Its synapses: the stored ones, or for procedural connectivity the
    /// expected number `p n_pre n_post` (rounded; they are drawn at each
    /// spike, and [`Simulation::synapses`](crate::engine::Simulation::synapses)
    /// lists them exactly).
    pub fn synapse_count(&self) -> usize {
        match &self.procedural {
            Some(g) => (g.p * f64::from(g.n_pre) * f64::from(g.n_post)).round() as usize,
            None => match &self.parts {
                Some(p) => p.total(),
                None => self.synapses.len(),
            },
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
    /// The identity its handles carry.
    pub(crate) tag: NetTag,
    /// Built as this rank of that many in a distributed run: its stored
    /// projections keep the synapses onto the rank's neurons.
    pub(crate) rank: Option<(usize, usize)>,
    /// In a distributed run on the CPU engine, overlap each exchange with
    /// the next half interval's computation ([`Network::exchange_overlap`]).
    pub(crate) overlap: bool,
    /// The precision was changed after populations or constants were
    /// made in the old one: compiling refuses the mix.
    pub(crate) late_dtype: bool,
    /// `CAJAL_PRECISION` held a value that names no precision: compiling
    /// says so.
    pub(crate) bad_precision: Option<String>,
    /// The CPU engine computes with subnormal numbers flushed to zero
    /// ([`Network::flush_subnormals`]).
    pub(crate) flush_subnormals: bool,
}

/// The precision a new network computes in: f32, or what the environment's
/// `CAJAL_PRECISION` names (`double`/`f64`, `float`/`f32`, as ANNarchy's
/// `setup(precision=...)` for a whole script); an unknown value is kept to
/// be refused when compiling.
fn default_precision() -> (Dtype, Option<String>) {
    match std::env::var("CAJAL_PRECISION") {
        Err(_) => (Dtype::F32, None),
        Ok(v) => match v.trim() {
            "double" | "f64" | "float64" => (Dtype::F64, None),
            "float" | "f32" | "float32" | "single" | "" => (Dtype::F32, None),
            _ => (Dtype::F32, Some(v)),
        },
    }
}

impl Default for Network {
    fn default() -> Self {
        Self::new()
    }
}

/// Name of the spike pseudo-variable of monitors.
pub const SPIKE: &str = "spike";

impl Network {
    /// An empty network with dt = 1 ms and seed 0, in f32 (or in the
    /// precision the environment's `CAJAL_PRECISION` names: `double`).
    pub fn new() -> Self {
        let mut globals = Globals::default();
        let (dtype, bad) = default_precision();
        globals.dtype = dtype;
        Network {
            dt: 1.0,
            seed: 0,
            globals,
            pops: Vec::new(),
            projs: Vec::new(),
            monitors: Vec::new(),
            synapse_monitors: Vec::new(),
            batch: 1,
            init_draws: 0,
            tag: NetTag::fresh(),
            rank: crate::engine::distributed::building_rank(),
            overlap: false,
            late_dtype: false,
            bad_precision: bad,
            flush_subnormals: false,
        }
    }

    /// In a distributed run on the CPU engine, whether each rank's spike
    /// exchange overlaps computation (default `false`; the environment's
    /// `CAJAL_EXCHANGE_OVERLAP=1` or `0` overrides it, for `cajal run`).
    /// Where every delay with which spikes are read is two steps or more
    /// and projections read no values of pre-synaptic neurons, a rank then
    /// exchanges every half of the shortest delay and computes the next
    /// half while a thread of its own makes the collective. The spikes are
    /// the same either way. It pays where each rank has a core to spare
    /// for that thread; on a machine whose every core computes, the thread
    /// takes time from the computation (BENCHMARKS.md, "Exchanges
    /// overlapping computation").
    ///
    /// ```
    /// use cajal::prelude::*;
    /// let net = Network::new().dt(0.1).exchange_overlap(true);
    /// # let _ = net;
    /// ```
    pub fn exchange_overlap(mut self, on: bool) -> Self {
        self.overlap = on;
        self
    }

    /// Whether the CPU engine flushes subnormal numbers to zero (default
    /// `false`: IEEE 754 arithmetic, subnormals kept, as ANNarchy's
    /// generated code, compiled without `-ffast-math`, keeps them). A
    /// subnormal is a number below 2^-126 in magnitude (1.2e-38; 2^-1022,
    /// 2.2e-308, in double precision): an exponentially decaying trace
    /// that no spike resets reaches that range after some 87 time
    /// constants and stays there (`x + (1 - e) * (0 - x)` rounds back to
    /// the smallest subnormal), and x86 processors compute an operation on
    /// a subnormal through microcode, a hundred cycles or more instead of
    /// one. A plastic network with many silent inputs can spend most of
    /// its time there (ANNarchy's SORF notebook, 2.2 times slower than
    /// flushed: BENCHMARKS.md). With `true`, every operation of the
    /// engine's step reads a subnormal as 0 and writes 0 for a subnormal
    /// result (the processor's flush-to-zero and denormals-are-zero modes,
    /// on the threads the engine's steps run on, x86-64 only; elsewhere
    /// the option changes nothing). Values then differ from an IEEE
    /// computation's where one meets that range: such a trace stops just
    /// above 2^-126 (its decrement, subnormal, flushed) instead of going
    /// on down through the subnormals, and a sum of subnormals is 0. The
    /// GPU engine computes as its adapter does (WGSL lets an adapter flush
    /// subnormals, and many do).
    ///
    /// ```
    /// use cajal::prelude::*;
    /// let net = Network::new().flush_subnormals(true);
    /// assert!(net.flushes_subnormals());
    /// ```
    pub fn flush_subnormals(mut self, on: bool) -> Self {
        self.flush_subnormals = on;
        self
    }

    /// Whether the CPU engine flushes subnormals to zero
    /// ([`flush_subnormals`](Self::flush_subnormals)).
    pub fn flushes_subnormals(&self) -> bool {
        self.flush_subnormals
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

    /// Sets the precision the network computes in (ANNarchy's
    /// `precision`): [`Dtype::F32`] (the default, every engine) or
    /// [`Dtype::F64`] (double precision, as ANNarchy, Brian2 and NEST
    /// compute by default). Set it before adding anything: the models'
    /// numbers, initial values and weights are made in it. An f64 network
    /// runs on the CPU engine; where a number does not fit f32, the error
    /// says to use f64. (`CAJAL_PRECISION=double` in the environment makes
    /// f64 every new network's default.)
    ///
    /// ```
    /// use cajal::prelude::*;
    /// use cajal::real::Dtype;
    /// # fn main() -> cajal::Result<()> {
    /// let mut net = Network::new().dtype(Dtype::F64);
    /// let p = net.population("p", 1, &Neuron::rate().parameters("tiny = 1e-300\nr = 0.0"))?;
    /// let sim = net.compile(Backend::Cpu)?;
    /// assert_eq!(sim.get_f64(p, "tiny")?[[0]], 1e-300);
    /// # Ok(()) }
    /// ```
    pub fn dtype(mut self, dtype: Dtype) -> Self {
        if !self.pops.is_empty() || !self.globals.constants().is_empty() {
            self.late_dtype = true;
        }
        self.globals.dtype = dtype;
        self
    }

    /// The precision the network computes in.
    pub fn precision(&self) -> Dtype {
        self.globals.dtype
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
        // A step the kernels read as 0 (or as a subnormal, which drivers
        // may flush) would never advance time.
        let (normal, least, name) = match self.precision() {
            Dtype::F32 => (
                (self.dt as f32).is_normal(),
                f64::from(f32::MIN_POSITIVE),
                "single",
            ),
            Dtype::F64 => (self.dt.is_normal(), f64::MIN_POSITIVE, "double"),
        };
        if !normal {
            return Err(Error::invalid(
                "network",
                format!(
                    "dt = {:e} ms is too small for the engines' {name} precision (at least {least:e} ms)",
                    self.dt
                ),
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
        let owner = format!("population '{name}'");
        // The initial values here, and later the simulation's copy and the
        // engine's state: refused now rather than when compiling.
        crate::memory::check(
            &owner,
            &format!("{n} neurons of {} variables", ir.vars.len()),
            n as f64 * ir.vars.len() as f64 * self.precision().size() as f64 * 3.0,
            "use fewer neurons",
        )?;
        // The time of the last spike (`t_last`) depends on dt.
        let t_last = self.globals.dtype.round(rate::before_any_spike(self.dt));
        let dtype = self.globals.dtype;
        let init = ir
            .vars
            .iter()
            .map(|v| {
                let len = if v.locality == Locality::Global { 1 } else { n };
                let x = if v.name == crate::lang::analysis::SPIKE_TIME {
                    t_last
                } else {
                    v.init
                };
                Ok(match dtype {
                    Dtype::F32 => Reals::F32(crate::memory::try_vec(
                        len,
                        x as f32,
                        &owner,
                        "initial values",
                    )?),
                    Dtype::F64 => {
                        Reals::F64(crate::memory::try_vec(len, x, &owner, "initial values")?)
                    }
                })
            })
            .collect::<Result<_>>()?;
        self.pops.push(Population {
            name: name.to_string(),
            geometry,
            ir: Arc::new(ir),
            init,
            model: neuron.clone(),
            feed: None,
            firing_rate: None,
            set_slots: Default::default(),
        });
        Ok(PopId(self.pops.len() - 1, self.tag))
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
        self.owns(id.1, "population")?;
        self.pops.get(id.0).ok_or_else(|| {
            Error::invalid(
                "network",
                format!("population handle {} does not belong to this network", id.0),
            )
        })
    }

    /// Refuses a handle of another network, or one taken before
    /// [`clear`](Self::clear).
    pub(crate) fn owns(&self, tag: NetTag, what: &str) -> Result<()> {
        if tag == self.tag {
            return Ok(());
        }
        Err(Error::invalid(
            "network",
            format!(
                "this {what} handle belongs to another network (or to this one before clear()): \
                 take handles from the network they are used on, or find the object by name"
            ),
        ))
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
        self.tag = NetTag::fresh();
    }

    /// The populations, in creation order.
    pub fn populations(&self) -> Vec<PopId> {
        (0..self.pops.len()).map(|i| PopId(i, self.tag)).collect()
    }

    /// The projections, in creation order.
    pub fn projections(&self) -> Vec<ProjId> {
        (0..self.projs.len()).map(|i| ProjId(i, self.tag)).collect()
    }

    /// The monitors: those of populations in creation order, then those
    /// of synapses ([`monitor_projection`](Self::monitor_projection)) in
    /// creation order.
    pub fn monitors(&self) -> Vec<MonitorId> {
        let neurons = (0..self.monitors.len()).map(MonitorRef::Neurons);
        let synapses = (0..self.synapse_monitors.len()).map(MonitorRef::Synapses);
        neurons
            .chain(synapses)
            .map(|r| MonitorId(r, self.tag))
            .collect()
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
            .map(|i| PopId(i, self.tag))
            .ok_or_else(|| {
                let names: Vec<&str> = self.pops.iter().map(|p| p.name.as_str()).collect();
                Error::unknown("network", "population", name, &names)
            })
    }

    /// Sets an initial value before compiling (scalar, array shaped like the
    /// geometry, or a distribution drawn from the network seed).
    pub fn set(&mut self, pop: PopId, var: &str, value: impl Into<Value>) -> Result<()> {
        self.owns(pop.1, "population")?;
        let stream = self.init_draws;
        self.init_draws += 1;
        let mut rng = rng_for(self.seed, 0x1000_0000 + stream);
        let dtype = self.precision();
        let p = self
            .pops
            .get_mut(pop.0)
            .ok_or_else(|| Error::invalid("network", "unknown population handle"))?;
        let values = assign_values(p, var, &value.into(), &mut rng, dtype)?;
        let slot = slot_of(p, var)?;
        p.init[slot] = values;
        p.assigned(slot);
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
        let (slot, values) = synapse_values(pr, var, &value.into(), &mut rng, self.precision())?;
        self.projs[proj.0].values[slot] = values;
        self.projs[proj.0].assigned(slot);
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
        self.owns(id.1, "projection")?;
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
        self.owns(id.1, "monitor")?;
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
        self.owns(id.1, "monitor")?;
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
            .map(|i| ProjId(i, self.tag))
            .ok_or_else(|| {
                let names: Vec<&str> = self.projs.iter().map(|p| p.name.as_str()).collect();
                Error::unknown("network", "projection", name, &names)
            })
    }
}

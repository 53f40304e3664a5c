//! Engines and the compiled [`Simulation`].

mod access;
pub mod batch;
mod compile;
pub mod cpu;
pub mod distributed;
mod footprint;
pub mod gpu;
mod interface;
mod kind;
mod monitors;
mod persist;
mod rank;
pub mod readout;
pub mod schedule;
mod simulation;
mod structural;
mod synapses;
mod threads;

use ndarray::{Array2, ArrayD, IxDyn};

use crate::real::Reals;

use crate::error::{Error, Result};
use crate::lang::ir::Locality;
pub use crate::network::Value;
use crate::network::{
    assign_values, slot_of, Monitor, MonitorId, MonitorRef, NetTag, Network, PopId, ProjId,
    SynapseMonitor,
};
use crate::random::rng_for;
use gpu::{DeviceInfo, GpuEngine, GpuOptions};
use interface::Engine;
pub(crate) use kind::{more_conductances, projection_kind, Input, ProjectionKind};
pub use monitors::Recording;
use schedule::Schedule;

/// Where a network runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Backend {
    /// The CPU reference engine (multi-threaded).
    Cpu,
    /// WGSL compute shaders through wgpu on the best adapter (or the one
    /// `CAJAL_ADAPTER` names); an error if there is none.
    Gpu,
    /// The GPU engine on a hardware adapter that can run the network,
    /// otherwise the CPU engine, with one line on stderr saying why (a
    /// software adapter such as lavapipe counts only if `CAJAL_ADAPTER`
    /// names it: the CPU engine is faster on the same cores).
    Auto,
}

/// When a projection's learning rule runs (ANNarchy's
/// `enable_learning(period, offset)`): at the steps `s` with
/// `s >= offset` and `(s - offset) % period == 0` (the rule's steps), a
/// rate-coded rule while on; a spiking synapse's equations at the rule's
/// steps whether on or off, off leaving `w` alone; its events at every
/// spike, off leaving `w` alone. The equations integrate over the period:
/// their `dt` is `dt * period` (ANNarchy's `_dt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Learning {
    pub(crate) on: bool,
    pub(crate) period: u64,
    pub(crate) offset: u64,
}

impl Default for Learning {
    fn default() -> Self {
        Learning {
            on: true,
            period: 1,
            offset: 0,
        }
    }
}

impl Learning {
    /// Whether a rate-coded rule runs at step `s`: on, at one of the
    /// rule's steps.
    pub(crate) fn due(&self, s: u64) -> bool {
        self.on && self.periodic(s)
    }

    /// Whether `s` is one of the rule's steps, on or off.
    pub(crate) fn periodic(&self, s: u64) -> bool {
        s >= self.offset && (s - self.offset).is_multiple_of(self.period)
    }

    /// The step the equations integrate over: `dt` times the period, in
    /// f32 as the GPU kernels compute it.
    pub(crate) fn dt<R: crate::real::Real>(&self, dt: R) -> R {
        dt * R::of(self.period as f64)
    }
}

pub(crate) struct MonitorState {
    pub(crate) spec: Monitor,
    /// For a view: which neurons of the population it records.
    pub(crate) member: Option<Vec<bool>>,
    /// Per recorded variable: per neuron (or shared by the population).
    pub(crate) local: Vec<bool>,
    slots: Vec<usize>,
    /// Per recorded variable: sampled by `record_inputs`, before the
    /// update (a conductance), not by `record`.
    pub(crate) early: Vec<bool>,
    /// The CPU engine's samples of the early variables at a step, kept
    /// until `record` appends the step's row.
    pub(crate) pending: Option<(u64, Vec<Reals>)>,
    /// Values per sample of each recorded variable (n, or 1 if population-wide).
    pub(crate) lens: Vec<usize>,
    pub(crate) active: bool,
    pub(crate) start_step: u64,
    /// Per recorded variable, its samples in the network's precision.
    pub(crate) buffers: Vec<Reals>,
    pub(crate) sample_steps: Vec<u64>,
    pub(crate) spikes: Vec<(u64, u32)>,
    /// The files it records to, once [`Simulation::stream_to`] is called:
    /// the buffers above then hold only what the last engine run recorded.
    pub(crate) stream: Option<crate::io::stream::Stream>,
}

impl MonitorState {
    /// The same monitor with nothing recorded and no files: what another
    /// rank of one process records its neurons into during a run.
    pub(crate) fn blank(&self) -> MonitorState {
        MonitorState {
            spec: self.spec.clone(),
            member: self.member.clone(),
            local: self.local.clone(),
            slots: self.slots.clone(),
            early: self.early.clone(),
            pending: self.pending.clone(),
            lens: self.lens.clone(),
            active: self.active,
            start_step: self.start_step,
            buffers: self
                .buffers
                .iter()
                .map(|b| Reals::empty(b.dtype()))
                .collect(),
            sample_steps: Vec::new(),
            spikes: Vec::new(),
            stream: None,
        }
    }
}

/// A monitor of synapses: sampled by the simulation, which reads the
/// values from the engine after each sample step (engine-independent).
pub(crate) struct SynapseMonitorState {
    pub(crate) spec: SynapseMonitor,
    /// The slot of each recorded variable.
    pub(crate) slots: Vec<usize>,
    /// Per recorded variable: one value per synapse (or one for the
    /// projection).
    pub(crate) local: Vec<bool>,
    /// The recorded synapses: this range of the (post, pre) order.
    pub(crate) range: std::ops::Range<usize>,
    pub(crate) active: bool,
    pub(crate) start_step: u64,
    pub(crate) buffers: Vec<Reals>,
    pub(crate) sample_steps: Vec<u64>,
}

impl SynapseMonitorState {
    /// Whether it samples at step `s` (not before its start).
    fn due(&self, s: u64) -> bool {
        self.active
            && s >= self.start_step
            && (s - self.start_step).is_multiple_of(self.spec.period)
    }

    /// Its first sample step at or after `s`.
    fn next_from(&self, s: u64) -> Option<u64> {
        if !self.active {
            return None;
        }
        let p = self.spec.period;
        let from = s.max(self.start_step);
        Some(from + (p - (from - self.start_step) % p) % p)
    }

    /// Values per sample of each recorded variable.
    fn width(&self, var: usize) -> usize {
        if self.local[var] {
            self.range.len()
        } else {
            1
        }
    }
}

/// The dynamic state of an engine, for save and load: every slot of every
/// population and projection, and the histories delays read, newest first.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Snapshot {
    pub(crate) pops: Vec<PopSnapshot>,
    /// Per projection, per slot, values in (post, pre) order (1 if shared).
    pub(crate) projs: Vec<Vec<Reals>>,
    /// Per projection, the inputs waiting in its delay ring (procedural
    /// connectivity with per-synapse delays; empty for the others): row
    /// `k` holds what the `k`-th next step receives (row 0: the next one),
    /// whatever row the engine keeps it in.
    pub(crate) rings: Vec<Reals>,
    /// The network's constants as they are now, in declaration order.
    pub(crate) constants: Vec<f64>,
}

/// Turns a delay ring of `depth` rows whose row `pos` is due next into
/// the order of [`Snapshot::rings`] (due next first), or back
/// (`back`).
pub(crate) fn ring_rows<T: Copy + Default>(ring: &[T], depth: u32, pos: u32, back: bool) -> Vec<T> {
    let depth = depth as usize;
    let np = ring.len() / depth.max(1);
    let mut out = vec![T::default(); ring.len()];
    for k in 0..depth {
        let at = (pos as usize + k) % depth;
        let (from, to) = if back { (k, at) } else { (at, k) };
        out[to * np..(to + 1) * np].copy_from_slice(&ring[from * np..(from + 1) * np]);
    }
    out
}

/// One population's part of a [`Snapshot`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PopSnapshot {
    /// Every slot, hidden ones included.
    pub(crate) vars: Vec<Reals>,
    /// Spikes of the last steps, newest first (as many as the longest delay).
    pub(crate) spikes: Vec<Vec<u32>>,
    /// Per delayed slot: its values one step older than the current ones,
    /// two steps older..., newest first.
    pub(crate) hist: Vec<(u32, Vec<Reals>)>,
}

/// The seeds of the runs of [`Network::parallel_run_seeded`] (ANNarchy's
/// `parallel_run(seeds=...)`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Seeds {
    /// A seed of its own for each run, from the operating system's entropy
    /// (ANNarchy's `None`, the default of [`Network::parallel_run`]).
    Random,
    /// The network's seed for every run (ANNarchy's `'same'`).
    Same,
    /// The network's seed plus 1, 2, ... (ANNarchy's `'sequential'`).
    Sequential,
    /// One seed per run, in order.
    List(Vec<u64>),
}

/// Where a simulation's wall-clock time went ([`Simulation::timings`]):
/// what NEST calls `time_construction` and `time_simulate`, and what
/// ANNarchy's `measure_time` prints.
///
/// ```
/// let (net, _, _) = cajal::networks::coba(100, 1)?;
/// let mut sim = net.compile(cajal::engine::Backend::Cpu)?;
/// sim.simulate(10.0)?;
/// let t = sim.timings();
/// assert_eq!(t.steps, 100);
/// assert!(t.simulate > std::time::Duration::ZERO);
/// println!("built in {:?}, 10 ms simulated in {:?}", t.build, t.simulate);
/// # Ok::<(), cajal::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timings {
    /// Building the engine in [`Network::compile`] (or its distributed
    /// and GPU forms): kernels generated and compiled, synapses laid out,
    /// state allocated. Making the network (populations, connectors) is
    /// the caller's and not counted.
    pub build: std::time::Duration,
    /// Inside the calls that advance the simulation (`simulate`,
    /// `simulate_until`, `step`, `run_stage`), callbacks and the engine
    /// rebuilds of structural plasticity included; summed over calls, a
    /// call made from a callback counted once.
    pub simulate: std::time::Duration,
    /// Steps run by those calls.
    pub steps: u64,
}

/// A compiled network, ready to run.
///
/// Obtained from [`Network::compile`]; runs steps, reads and writes any
/// variable, and holds what monitors recorded.
pub struct Simulation {
    net: Network,
    engine: Box<dyn Engine>,
    step: u64,
    // t = t_origin + (step - step_origin) * dt: no drift from adding dt.
    t_origin: f64,
    step_origin: u64,
    monitors: Vec<MonitorState>,
    synapse_monitors: Vec<SynapseMonitorState>,
    draws: u64,
    callbacks: Vec<Option<Callback>>,
    /// The identity the callbacks' handles carry (not the network's: two
    /// simulations of one network have callbacks of their own).
    callback_tag: NetTag,
    /// The whole-network switch of the callbacks (each has its own too).
    callbacks_on: bool,
    /// The GPU engine's options (`None`: the CPU engine), to build the
    /// engine anew when synapses are created or pruned.
    gpu: Option<GpuOptions>,
    /// Per projection: its learning switch as last set, which a rebuilt
    /// engine takes over.
    learning: Vec<Learning>,
    /// Per projection: its structural rules running.
    structural: Vec<structural::StructuralRun>,
    /// Per projection whose synapses were created or pruned: the synapses
    /// and values it was compiled with, for `reset`.
    pristine: Vec<Option<structural::Compiled>>,
    /// The videos open for video populations (population index, frames).
    pub(crate) videos: Vec<(usize, crate::image::Video)>,
    /// Where the wall-clock time went.
    timings: Timings,
    /// When the outermost call that advances the simulation began (a
    /// callback's call is inside it).
    stepping_since: Option<std::time::Instant>,
}

/// A function called during `simulate` with the simulation and the number
/// of the period (0, 1, 2, ...).
type CallbackFn = Box<dyn FnMut(&mut Simulation, u64) -> Result<()> + Send>;

struct Callback {
    period: u64,
    offset: u64,
    enabled: bool,
    f: CallbackFn,
}

impl Callback {
    /// Whether it is due before step `s`, and the number of its period.
    fn due(&self, s: u64) -> Option<u64> {
        (self.enabled && s >= self.offset && (s - self.offset).is_multiple_of(self.period))
            .then(|| (s - self.offset) / self.period)
    }

    /// The first step after `s` at which it is due.
    fn next_after(&self, s: u64) -> Option<u64> {
        if !self.enabled {
            return None;
        }
        if s < self.offset {
            return Some(self.offset);
        }
        Some(self.offset + ((s - self.offset) / self.period + 1) * self.period)
    }
}

/// A callback registered with [`Simulation::every`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallbackId(usize, NetTag);

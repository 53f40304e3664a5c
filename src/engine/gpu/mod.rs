//! The GPU engine: the step of the CPU engine as WGSL compute shaders on
//! wgpu, many steps per submission.
//!
//! Buffers: per population one state buffer (the per-neuron slots, then
//! the `sum(target)` arrays, SoA), a parameter buffer, a spike ring (counts
//! and lists) when spiking projections read it, spike bitmasks when a
//! monitor records spikes, and a rate history when delayed rate
//! projections read it; per projection a CSR (by post for rate-coded
//! pulls, by (delay, pre) for spike pushes), its per-synapse values and its
//! projection-wide parameters; per monitor a sample buffer.

mod access;
mod bind;
mod build;
pub mod codegen;
pub mod context;
mod dist;
mod encode;
mod merge;
mod plan;
mod state;

use crate::real::{Dtype, Reals};
use std::borrow::Cow;

use bytemuck::{Pod, Zeroable};

use context::Gpu;
pub use context::{devices, DeviceInfo, GpuOptions, SpikeStrategy};

use crate::engine::cpu::PROJ_OBJECT;
use crate::engine::schedule::{Group, Schedule, Stage};
use crate::engine::{projection_kind, MonitorState, ProjectionKind};
use crate::error::{Error, Result};
use crate::lang::ir::EventStmt;
use crate::network::Network;
use codegen::{Ends, Kernel, PopLayout, ProjLayout, Recorded, WORKGROUP};
use merge::*;
pub use plan::{
    plan, plan_for, plan_with, plan_with_strategy, MergedLearn, MergedPlan, MergedPost,
    MergedRates, MergedUpdate, MonPlan, Plan, PlanOptions, PopPlan, ProjPlan, SpikePlan,
    LAVAPIPE_LOOP_LIMIT, MAX_MERGE_BINDINGS, MERGE_BINDINGS,
};

/// The per-step block the kernels read (WGSL twin: `Clock` in
/// shaders/clock.wgsl). `#[repr(C)]`, shared with WGSL: a test checks the
/// layouts agree.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct Clock {
    /// Step number.
    pub step: u32,
    /// Step index in the chunk.
    pub row: u32,
    /// Time (ms) at the start of the step.
    pub t: f32,
    /// Padding.
    pub pad0: u32,
    /// Philox key (seed low, high).
    pub key: [u32; 2],
    /// Ring position: steps the engine has run.
    pub ring: u32,
    /// Padding.
    pub pad1: u32,
}

/// Bytes of a step's clock block with `n_consts` constants in `dtype`:
/// the [`Clock`], then the constants four to a vec4 (at least one, as the
/// WGSL declares). In f64 the [`Clock`] is followed by the time in f64 and
/// the vec4s of f64 start at [`CLOCK64_CONSTS`], their 32-byte alignment
/// (`codegen::clock`).
pub fn clock_block(n_consts: usize, dtype: Dtype) -> u64 {
    let vec4s = n_consts.div_ceil(4).max(1);
    match dtype {
        Dtype::F32 => (std::mem::size_of::<Clock>() + 16 * vec4s) as u64,
        Dtype::F64 => (CLOCK64_CONSTS + 32 * vec4s) as u64,
    }
}

/// Where an f64 clock block's time (an f64 after the [`Clock`]) and
/// constants start.
pub const CLOCK64_T: usize = std::mem::size_of::<Clock>();
/// See [`CLOCK64_T`].
pub const CLOCK64_CONSTS: usize = 64;

/// The monitor sampling block (WGSL twin: `Sampling` in shaders/record.wgsl).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct Sampling {
    /// First sample step of the chunk.
    pub first: u32,
    /// Steps between samples.
    pub period: u32,
}

/// Most steps encoded into one submission.
const MAX_CHUNK: u32 = 2048;
/// Memory a monitor's or bitmask's chunk buffer may take.
const MONITOR_BUDGET: u64 = 128 << 20;
/// Most workgroups a spike propagation kernel runs (each loops over spikes).
const SPIKE_GROUPS: u32 = 1024;

/// The workgroups of a spike delivery reading the spikes of a population
/// of `n` neurons (the largest, for a merged one). The plan deals the
/// kernel's delay blocks to them (`codegen::block_lanes`) and the engine
/// dispatches them: both call this.
pub fn spike_groups(n: u32) -> u32 {
    n.clamp(1, SPIKE_GROUPS)
}

struct Pass {
    pipeline: wgpu::ComputePipeline,
    group: wgpu::BindGroup,
    grid: (u32, u32),
    /// Passes dispatched right after this one, in order (`ProjPlan::parts`).
    then: Vec<Pass>,
}

struct GPop {
    layout: PopLayout,
    state: wgpu::Buffer,
    params: wgpu::Buffer,
    params_host: Reals,
    spk_count: Option<wgpu::Buffer>,
    spk_list: Option<wgpu::Buffer>,
    bits: Option<wgpu::Buffer>,
    hist: Option<wgpu::Buffer>,
    clear: Option<Pass>,
    update: Option<Pass>,
    /// The `neuron_update` kernel (rebound when the input table changes).
    update_kernel: Kernel,
    /// The input table (`feed` of `neuron_update`), if any.
    feed: Option<wgpu::Buffer>,
    /// Ring number + 2 of each neuron's last spike (`lastspk`), for
    /// DecodingProjections.
    last: Option<wgpu::Buffer>,
    /// The firing-rate window (`frate`), when the population computes one.
    frate: Option<wgpu::Buffer>,
    init_state: Reals,
    init_params: Reals,
}

struct GProj {
    layout: ProjLayout,
    /// Its CSR (or table), kept for a merged kernel's bindings.
    csr: wgpu::Buffer,
    syn: wgpu::Buffer,
    sparams: wgpu::Buffer,
    /// For the default spike path, the synapse (post order) at each
    /// position of the pre-ordered weights.
    perm: Option<Vec<u32>>,
    pass: Option<Pass>,
    init_syn: Reals,
    init_sparams: Reals,
    /// The projection-wide values now (a load may change them; reset
    /// restores `init_sparams`).
    sparams_host: Reals,
    /// Spiking plasticity: post_spike.
    post: Option<Pass>,
    /// A plastic projection: where its learning flags are in `csr`.
    flags: Option<u32>,
    /// The learning rule's pass, and when it runs.
    learn: Option<Pass>,
    /// Whether `learn` runs while learning is off (a spiking synapse's
    /// equations: its kernel then leaves only `w` alone).
    learn_always: bool,
    learning: crate::engine::Learning,
    /// A DecodingProjection: its window ring (`window` rows of post size).
    win: Option<wgpu::Buffer>,
    window: u32,
    n_post: u32,
    /// A default spike projection whose kernel takes its weights as one
    /// shared value or one per synapse: the kernel, to bind it again
    /// when the weights stop being shared, its populations, and the
    /// threads of an ordered delivery (`SpikePlan::ordered`).
    shareable: Option<(Kernel, usize, usize, Option<u32>)>,
    /// `syn` holds the one weight all synapses share.
    shared: bool,
    /// Procedural with per-synapse delays: `syn` is its ring of future
    /// inputs, this many rows of post size (row `clk.ring % depth` is due
    /// at that step).
    delay_ring: Option<u32>,
}

struct GMon {
    pop: usize,
    row_len: u32,
    cap_rows: u32,
    buf: Option<wgpu::Buffer>,
    sampling: Option<wgpu::Buffer>,
    pass: Option<Pass>,
    /// `record_inputs`: the conductances of the row, before the update.
    inputs: Option<Pass>,
}

/// The GPU engine of one compiled network.
pub struct GpuEngine {
    gpu: Gpu,
    seed: u64,
    pops: Vec<GPop>,
    projs: Vec<GProj>,
    mons: Vec<GMon>,
    clock: wgpu::Buffer,
    /// Bytes of one step's block: the [`Clock`], then the constants.
    block: u64,
    /// Bytes between two steps' blocks (`block`, aligned for dynamic offsets).
    stride: u64,
    chunk: u32,
    /// The network's constants as the next steps read them.
    consts: Vec<f64>,
    /// The network's precision: of its values in every buffer, its
    /// kernels' arithmetic, its clock's time and constants.
    dtype: Dtype,
    /// Steps run since the engine was built (the rings' position).
    ring: u64,
    /// Dispatches encoded per step (without monitors), for benchmarks.
    pub dispatches_per_step: usize,
    /// The step: its phases and their groups.
    schedule: Schedule,
    /// Per phase of the schedule, per group: the merged pass of a group of
    /// two or more (a group of one runs its member's own pass).
    merged: Vec<Vec<Option<MergedPass>>>,
    /// Mapped staging buffers of earlier chunks, for the next ones.
    staging_pool: std::sync::Mutex<Vec<wgpu::Buffer>>,
    /// Its part in a distributed run, if it is one rank of one.
    rank: Option<Box<crate::engine::rank::Rank>>,
    /// The options it was built with (a rank's rebuild takes them).
    options: GpuOptions,
}

/// The pass of a merged group, with what binding it again needs.
struct MergedPass {
    pass: Pass,
    rebind: Rebind,
}

/// What a merged group is bound from, where a change after the build
/// binds it again (a member's weight buffer, a population's input table).
enum Rebind {
    /// A merged spike delivery.
    Spikes(MergedPlan),
    /// A merged `neuron_update`.
    Updates(MergedUpdate),
    /// Bound once.
    Never,
}

/// A buffer bound to a kernel, and how the kernel must declare it.
enum Bind<'a> {
    /// The clock, at the step's offset.
    Clock,
    Uniform(&'a wgpu::Buffer),
    Read(&'a wgpu::Buffer),
    Write(&'a wgpu::Buffer),
}

impl Bind<'_> {
    /// The access the kernel must declare for it.
    fn access(&self) -> codegen::Access {
        match self {
            Bind::Clock | Bind::Uniform(_) => codegen::Access::Uniform,
            Bind::Read(_) => codegen::Access::Read,
            Bind::Write(_) => codegen::Access::ReadWrite,
        }
    }
}

fn grid(n: u32) -> (u32, u32) {
    let groups = n.div_ceil(WORKGROUP).max(1);
    if groups <= 65535 {
        (groups, 1)
    } else {
        (65535, groups.div_ceil(65535))
    }
}

/// A rank's values of population `pop`, gathered from every rank.
fn gather_neurons(r: &crate::engine::rank::Rank, pop: usize, v: Reals) -> Result<Reals> {
    match v {
        Reals::F32(v) => r.gather_neurons(pop, v).map(Reals::F32),
        Reals::F64(v) => r.gather_neurons(pop, v).map(Reals::F64),
    }
}

/// Per-synapse values as the buffer holds them: for the default spike
/// path, the weights in CSR order (`perm[e]` is the synapse at position e).
fn in_buffer_order(perm: Option<&[u32]>, values: &Reals) -> Reals {
    // One weight shared by all synapses has no order.
    if values.len() == 1 {
        return values.clone();
    }
    match perm {
        Some(perm) => values.pick(perm.iter().map(|&j| j as usize)),
        None => values.clone(),
    }
}

fn bytes_of(v: &Reals) -> Vec<u8> {
    // Bindings may not be empty.
    if v.is_empty() {
        return Reals::filled(v.dtype(), 0.0, 1).bytes().to_vec();
    }
    v.bytes().to_vec()
}

impl crate::engine::interface::Engine for GpuEngine {
    fn backend(&self) -> crate::engine::Backend {
        crate::engine::Backend::Gpu
    }

    fn device(&self) -> Option<&DeviceInfo> {
        Some(GpuEngine::device(self))
    }

    fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    fn ranks(&self) -> (usize, usize) {
        self.rank().map_or((0, 1), |r| (r.part.rank, r.part.size))
    }

    fn rank_engine(
        &self,
        net: &Network,
    ) -> Option<Result<Box<dyn crate::engine::interface::Engine>>> {
        let comm = self.comm()?;
        Some(crate::engine::distributed::rank_engine(
            net,
            comm,
            Some(&self.options),
        ))
    }

    fn gather_synapse_ranks(&self, proj: usize, local: Vec<u32>) -> Result<Vec<u32>> {
        match self.rank() {
            Some(r) => r.gather_ranks(proj, self.projs[proj].layout.nsyn as usize, local, 1),
            None => Ok(local),
        }
    }

    fn exchanges(&self) -> (f64, u64) {
        self.rank()
            .map_or((0.0, 0), |r| (r.spent.0.as_secs_f64(), r.spent.1))
    }

    fn dispatches_per_step(&self) -> usize {
        self.dispatches_per_step
    }

    fn run(
        &mut self,
        step0: u64,
        n: u64,
        time: &(dyn Fn(u64) -> f64 + Sync),
        monitors: &mut [MonitorState],
    ) -> Result<()> {
        GpuEngine::run(self, step0, n, time, monitors)
    }

    fn run_stage(
        &mut self,
        stage: Stage,
        step: u64,
        t: f64,
        monitors: &mut [MonitorState],
    ) -> Result<()> {
        self.chunk_run(
            step,
            1,
            self.philox_key(),
            &|_| t,
            monitors,
            encode::Part::Stage(stage),
        )?;
        self.wait()
    }

    // Values go out and come in in the network's precision.
    fn slot_values(&self, pop: usize, slot: usize) -> Result<Reals> {
        let v = GpuEngine::slot_values(self, pop, slot)?;
        match self.rank() {
            Some(r) => gather_neurons(r, pop, v),
            None => Ok(v),
        }
    }

    fn sum_values(&self, pop: usize, target: usize) -> Result<Reals> {
        let v = GpuEngine::sum_values(self, pop, target)?;
        match self.rank() {
            Some(r) => gather_neurons(r, pop, v),
            None => Ok(v),
        }
    }

    fn set_slot(&mut self, pop: usize, slot: usize, values: Reals) {
        let values = values.to_dtype(self.dtype);
        GpuEngine::set_slot(self, pop, slot, &values);
    }

    fn set_one(&mut self, pop: usize, slot: usize, rank: usize, value: f64) {
        GpuEngine::set_one(self, pop, slot, rank, value);
    }

    fn synapse_values(&self, proj: usize, slot: usize) -> Result<Reals> {
        let v = GpuEngine::synapse_values(self, proj, slot)?;
        let Some(r) = self.rank() else {
            return Ok(v);
        };
        let local = self.projs[proj].layout.nsyn as usize;
        match v {
            Reals::F32(v) => r.gather_values(proj, local, v).map(Reals::F32),
            Reals::F64(v) => r.gather_values(proj, local, v).map(Reals::F64),
        }
    }

    fn set_synapse_values(&mut self, proj: usize, slot: usize, values: Reals) -> Result<()> {
        let values = match (self.rank(), values.to_dtype(self.dtype)) {
            (Some(r), Reals::F32(v)) => Reals::F32(r.own_slot(proj, slot, v)),
            (Some(r), Reals::F64(v)) => Reals::F64(r.own_slot(proj, slot, v)),
            (None, v) => v,
        };
        GpuEngine::set_synapse_values(self, proj, slot, &values)
    }

    fn shares_weight(&self, proj: usize) -> bool {
        GpuEngine::shares_weight(self, proj)
    }

    fn set_learning(&mut self, proj: usize, learning: crate::engine::Learning) {
        GpuEngine::set_learning(self, proj, learning);
    }

    fn set_feed(&mut self, pop: usize, feed: &crate::network::feed::Feed) -> Result<()> {
        GpuEngine::set_feed(self, pop, feed)
    }

    fn set_seed(&mut self, seed: u64) {
        GpuEngine::set_seed(self, seed);
    }

    fn snapshot(&self) -> Result<crate::engine::Snapshot> {
        GpuEngine::snapshot(self)
    }

    fn restore(&mut self, snapshot: &crate::engine::Snapshot) -> Result<()> {
        GpuEngine::restore(self, snapshot)
    }

    fn history_shape(&self) -> Vec<(usize, Vec<(u32, usize)>)> {
        GpuEngine::history_shape(self)
    }

    fn constants(&self) -> Vec<f64> {
        self.consts.clone()
    }

    fn set_constants(&mut self, values: &[f64]) {
        self.consts = values.to_vec();
    }

    fn reset(&mut self, _net: &Network) {
        GpuEngine::reset(self);
        if let Some(r) = self.rank.as_mut() {
            r.reset();
        }
    }
}

/// The words of a projection's learning flags as its kernels read them
/// (`cj_learns`): on, period, offset. The kernels count steps in u32 as
/// `Clock::step` does, so they agree with `Learning::due` for the first
/// 2^32 steps (a period or offset past u32 saturates).
pub(crate) fn learning_words(l: &crate::engine::Learning) -> [u32; 3] {
    let fit = |x: u64| u32::try_from(x).unwrap_or(u32::MAX);
    [u32::from(l.on), fit(l.period), fit(l.offset)]
}

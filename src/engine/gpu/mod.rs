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

pub mod codegen;
pub mod context;

use std::borrow::Cow;

use bytemuck::{Pod, Zeroable};

use context::Gpu;
pub use context::{devices, DeviceInfo, GpuOptions, SpikeStrategy};

use crate::engine::cpu::{shared_weight, PROJ_OBJECT};
use crate::engine::{projection_kind, MonitorState, ProjectionKind};
use crate::error::{Error, Result};
use crate::lang::ir::EventStmt;
use crate::network::Network;
use codegen::{Ends, Kernel, PopLayout, ProjLayout, Recorded, WORKGROUP};

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
}

struct GPop {
    layout: PopLayout,
    state: wgpu::Buffer,
    params: wgpu::Buffer,
    params_host: Vec<f32>,
    spk_count: Option<wgpu::Buffer>,
    spk_list: Option<wgpu::Buffer>,
    bits: Option<wgpu::Buffer>,
    hist: Option<wgpu::Buffer>,
    clear: Option<Pass>,
    update: Option<Pass>,
    /// The `neuron_update` kernel (rebound when the input table changes).
    update_kernel: Kernel,
    /// The input table (binding 7), if any.
    feed: Option<wgpu::Buffer>,
    /// Ring number + 2 of each neuron's last spike (binding 8), for
    /// DecodingProjections.
    last: Option<wgpu::Buffer>,
    init_state: Vec<f32>,
    init_params: Vec<f32>,
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
    init_syn: Vec<f32>,
    init_sparams: Vec<f32>,
    /// The projection-wide values now (a load may change them; reset
    /// restores `init_sparams`).
    sparams_host: Vec<f32>,
    /// Spiking plasticity: the spike pass without assignments to w
    /// (learning off), post_spike, and post_spike without them.
    frozen: Option<Pass>,
    post: Option<Pass>,
    post_frozen: Option<Pass>,
    /// The learning rule's pass, and when it runs.
    learn: Option<Pass>,
    learning: crate::engine::Learning,
    /// A DecodingProjection: its window ring (`window` rows of post size).
    win: Option<wgpu::Buffer>,
    window: u32,
    n_post: u32,
    /// A default spike projection whose kernel takes its weights as one
    /// shared value or one per synapse: the kernel, to bind it again
    /// when the weights stop being shared, and its populations.
    shareable: Option<(Kernel, usize, usize)>,
    /// `syn` holds the one weight all synapses share.
    shared: bool,
    /// The merged delivery it is a member of.
    group: Option<usize>,
    /// The merged `post_spike` it is a member of.
    post_group: Option<usize>,
    /// The merged learning rule it is a member of.
    learn_group: Option<usize>,
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
}

/// The kernels of one population.
pub struct PopPlan {
    /// `clear_inputs`, when there is something to clear.
    pub clear: Option<Kernel>,
    /// `neuron_update`.
    pub update: Kernel,
}

/// What a spike-propagation kernel binds beyond the fixed bindings.
#[derive(Debug, Clone, Copy)]
pub struct SpikePlan {
    /// `pre_spike` assigns synapse variables (binding 3 writable).
    pub stores: bool,
    /// `pre_spike` reads pre-synaptic variables (binding 7).
    pub reads_pre: bool,
    /// The variant without assignments to w still assigns other variables.
    pub frozen_stores: bool,
    /// The kernel takes the weights bound as one shared value or one per
    /// synapse (`init_syn` of length 1 when they start shared).
    pub shareable: bool,
    /// Delay blocks of a stored delivery ([`codegen::block_lanes`]; 0 for
    /// procedural and convolution kernels).
    pub blocks: u32,
}

/// The kernel and connectivity of one projection.
pub struct ProjPlan {
    /// `rate_sum` or `spike_propagate`.
    pub kernel: Kernel,
    /// Where its values live.
    pub layout: ProjLayout,
    /// The CSR as uploaded (by post for rate-coded, by (delay, pre) for spiking).
    pub csr: Vec<u32>,
    /// Per-synapse values in (post, pre) order, slot after slot.
    pub init_syn: Vec<f32>,
    /// Projection-wide values.
    pub init_sparams: Vec<f32>,
    /// Default spike path: the synapse at each position of the pre-ordered weights.
    pub perm: Option<Vec<u32>>,
    /// Spiking projections: their extra bindings.
    pub spike: Option<SpikePlan>,
    /// A rate-coded projection reading the pre-synaptic history.
    pub uses_hist: bool,
    /// A DecodingProjection: its window in steps.
    pub window: Option<u32>,
    /// A CurrentInjection (binds only the two states).
    pub inject: bool,
    /// Workgroups of a tiled `convolve` (one per tile), instead of one
    /// thread per post neuron.
    pub tiles: Option<u32>,
    /// The learning rule (`synapse_update`), if any.
    pub learn: Option<Kernel>,
    /// Spiking plasticity: `spike_propagate` without the assignments to w
    /// (run while learning is off), `post_spike`, and `post_spike` without
    /// the assignments to w.
    pub frozen: Option<Kernel>,
    /// See `frozen`.
    pub post: Option<Kernel>,
    /// See `frozen`.
    pub post_frozen: Option<Kernel>,
}

/// The kernel of one monitor recording variables.
pub struct MonPlan {
    /// `record`.
    pub kernel: Kernel,
    /// Values per sample.
    pub row_len: u32,
}

/// Everything the GPU engine computes on the host before it touches a
/// device: layouts, generated kernels and connectivity. Building a plan
/// needs no adapter, so the code generator is tested everywhere.
pub struct Plan {
    /// Per population.
    pub layouts: Vec<PopLayout>,
    /// Per population.
    pub pops: Vec<PopPlan>,
    /// Per projection.
    pub projs: Vec<ProjPlan>,
    /// Per monitor (`None` for spike-only monitors).
    pub mons: Vec<Option<MonPlan>>,
    /// Spiking projections delivered together, one dispatch a group.
    pub merged: Vec<MergedPlan>,
    /// Populations updated together, one dispatch a group.
    pub merged_updates: Vec<MergedUpdate>,
    /// Populations whose inputs are cleared together, one dispatch a group.
    pub merged_clears: Vec<MergedUpdate>,
    /// Rate-coded projections summed together, one dispatch a group.
    pub merged_rates: Vec<MergedRates>,
    /// Plastic projections whose `post_spike` runs together.
    pub merged_posts: Vec<MergedPost>,
    /// Rate-coded projections whose learning rules run together.
    pub merged_learns: Vec<MergedLearn>,
}

/// Rate-coded projections whose learning rules run as one dispatch
/// ([`codegen::synapse_update_merged`]).
#[derive(Debug, Clone)]
pub struct MergedLearn {
    /// The projections, in creation order.
    pub members: Vec<usize>,
    /// The populations whose states it reads, once each.
    pub pops: Vec<usize>,
    /// Its threads: the members' synapses.
    pub threads: u32,
    /// The kernel.
    pub kernel: Kernel,
}

/// Plastic spiking projections whose `post_spike` kernels run as one
/// dispatch ([`codegen::post_spike_merged`]).
#[derive(Debug, Clone)]
pub struct MergedPost {
    /// The projections, in creation order.
    pub members: Vec<usize>,
    /// The populations whose states it reads, once each.
    pub pops: Vec<usize>,
    /// The posts whose spike rings it reads.
    pub rings: Vec<usize>,
    /// Its workgroups ([`spike_groups`] of the largest post).
    pub groups: u32,
    /// The kernel.
    pub kernel: Kernel,
}

/// Rate-coded projections (and untiled convolutions) whose weighted sums
/// run as one dispatch ([`codegen::rate_sum_merged`]).
#[derive(Debug, Clone)]
pub struct MergedRates {
    /// The projections, in creation order.
    pub members: Vec<usize>,
    /// The populations it binds, once each: the `posts` posts first (in
    /// the order their members come), then the pres that are no post.
    pub pops: Vec<usize>,
    /// See `pops`.
    pub posts: usize,
    /// The populations whose rate histories it reads.
    pub hists: Vec<usize>,
    /// The kernel.
    pub kernel: Kernel,
}

/// Populations whose `neuron_update` runs as one dispatch
/// ([`codegen::neuron_update_merged`]).
#[derive(Debug, Clone)]
pub struct MergedUpdate {
    /// The populations, in creation order.
    pub members: Vec<usize>,
    /// Per member, the binding number of each of its buffers.
    pub binds: Vec<Vec<(codegen::PopBuf, u32)>>,
    /// The kernel.
    pub kernel: Kernel,
}

impl ProjPlan {
    /// A spiking delivery kernel that stores no synapse (convolution,
    /// procedural): its table or window in `csr`, its shared weights.
    fn event(
        kernel: Kernel,
        layout: ProjLayout,
        csr: Vec<u32>,
        init_syn: Vec<f32>,
        init_sparams: Vec<f32>,
    ) -> ProjPlan {
        ProjPlan {
            kernel,
            layout,
            csr,
            init_syn,
            init_sparams,
            perm: None,
            spike: Some(SpikePlan {
                stores: false,
                reads_pre: false,
                frozen_stores: false,
                shareable: false,
                blocks: 0,
            }),
            uses_hist: false,
            window: None,
            inject: false,
            tiles: None,
            learn: None,
            frozen: None,
            post: None,
            post_frozen: None,
        }
    }
}

/// Default-synapse spiking projections (stored or procedural), delivered
/// by one dispatch ([`codegen::spike_propagate_merged`]).
#[derive(Debug, Clone)]
pub struct MergedPlan {
    /// The distinct post-synaptic populations whose conductances it adds to.
    pub posts: Vec<usize>,
    /// Per member: what it binds after its CSR or table (stored weights;
    /// nothing, for a procedural projection, which draws or knows its
    /// weights; its delay ring, for per-synapse procedural delays).
    pub binds: Vec<codegen::MemberBinds>,
    /// The projections, in creation order.
    pub members: Vec<usize>,
    /// The distinct pre-synaptic populations whose spike rings it reads.
    pub pres: Vec<usize>,
    /// Per member, its pre among `pres`.
    pub pre_of: Vec<usize>,
    /// Its workgroups ([`spike_groups`] of the largest pre).
    pub groups: u32,
    /// The kernel.
    pub kernel: Kernel,
}

/// The most storage buffers a merged kernel binds, whatever the device
/// allows.
pub const MAX_MERGE_BINDINGS: usize = 256;

/// Storage buffers a merged kernel may bind when the device is not known
/// (the WebGPU minimum is 8; desktop adapters give 32 or more).
pub const MERGE_BINDINGS: usize = 32;

impl Plan {
    /// Every generated kernel.
    pub fn kernels(&self) -> Vec<&Kernel> {
        let mut v = Vec::new();
        for p in &self.pops {
            v.extend(p.clear.iter());
            v.push(&p.update);
        }
        v.extend(self.projs.iter().map(|p| &p.kernel));
        for p in &self.projs {
            v.extend(
                p.learn
                    .iter()
                    .chain(&p.frozen)
                    .chain(&p.post)
                    .chain(&p.post_frozen),
            );
        }
        v.extend(self.mons.iter().flatten().map(|m| &m.kernel));
        v.extend(self.merged.iter().map(|m| &m.kernel));
        v.extend(self.merged_updates.iter().map(|m| &m.kernel));
        v.extend(self.merged_clears.iter().map(|m| &m.kernel));
        v.extend(self.merged_rates.iter().map(|m| &m.kernel));
        v.extend(self.merged_posts.iter().map(|m| &m.kernel));
        v.extend(self.merged_learns.iter().map(|m| &m.kernel));
        v
    }
}

/// Plans a network for the GPU engine (`float_atomics`: whether spike
/// delivery may add floats atomically).
///
/// ```
/// # use cajal::prelude::*;
/// let (net, _, _) = cajal::networks::coba(100, 1)?;
/// let plan = cajal::engine::gpu::plan(&net, true)?;
/// for k in plan.kernels() {
///     cajal::engine::gpu::codegen::validate(k, true)?;
/// }
/// # Ok::<(), cajal::Error>(())
/// ```
pub fn plan(net: &Network, float_atomics: bool) -> Result<Plan> {
    plan_with(net, float_atomics, Some(MERGE_BINDINGS))
}

/// [`plan`], merging spiking projections into groups that bind at most
/// `merge` storage buffers (`None`: one dispatch per projection).
pub fn plan_with(net: &Network, float_atomics: bool, merge: Option<usize>) -> Result<Plan> {
    plan_with_strategy(net, float_atomics, merge, SpikeStrategy::Auto)
}

/// [`plan_with`], with the way spikes are spread over threads.
pub fn plan_with_strategy(
    net: &Network,
    float_atomics: bool,
    merge: Option<usize>,
    strategy: SpikeStrategy,
) -> Result<Plan> {
    let dt = net.dt as f32;
    // Layouts first: rings and histories depend on the projections.
    let mut layouts: Vec<PopLayout> = net
        .pops
        .iter()
        .map(|p| PopLayout::new(&p.ir, p.size()))
        .collect();
    let mut kinds = Vec::new();
    for pr in &net.projs {
        let kind = projection_kind(net, pr)?;
        let max_d = match (&pr.conv, &pr.procedural) {
            (Some(c), _) => c.delay,
            (_, Some(gen)) => gen.spike_delay(),
            _ => pr.synapses.delay.iter().copied().max().unwrap_or(1),
        };
        let pre = &mut layouts[pr.pre.0];
        match kind {
            ProjectionKind::Spike { .. } => pre.ring = pre.ring.max(max_d + 1),
            ProjectionKind::Rate { .. } | ProjectionKind::Conv { .. } if max_d > 1 => {
                pre.hist_ring = pre.hist_ring.max(max_d - 1);
                for r in &pr.ir.pre_refs {
                    let slot = net.pops[pr.pre.0].ir.slot(r).unwrap_or(0);
                    if pre.local[slot as usize].is_some() && !pre.hist_slots.contains(&slot) {
                        pre.hist_slots.push(slot);
                    }
                }
            }
            ProjectionKind::Rate { .. } | ProjectionKind::Conv { .. } => {}
            ProjectionKind::ConvSpike { .. } | ProjectionKind::Procedural { .. } => {
                pre.ring = pre.ring.max(max_d + 1)
            }
            // The spikes of the previous step: `lastspk` to test them, the
            // ring so that a saved state keeps them.
            ProjectionKind::Decode { .. } => {
                pre.ring = pre.ring.max(2);
                pre.last = true;
            }
            ProjectionKind::Current { .. } => {}
        }
        // post_spike reads this step's spikes of post (a ring of at least
        // 2, so that neuron_update's clearing of the next slot is another).
        if !pr.ir.post_spike.is_empty() {
            let l = &mut layouts[pr.post.0];
            l.ring = l.ring.max(2);
        }
        kinds.push(kind);
    }
    for m in &net.monitors {
        if m.spikes && net.pops[m.pop.0].ir.spiking {
            layouts[m.pop.0].bits = true;
        }
    }
    let pops: Vec<PopPlan> = net
        .pops
        .iter()
        .zip(&layouts)
        .enumerate()
        .map(|(pi, (p, l))| PopPlan {
            clear: codegen::needs_clear(&p.ir).then(|| codegen::clear_inputs(&p.name, &p.ir, l)),
            update: codegen::neuron_update(
                &p.name,
                &p.ir,
                l,
                p.feed.as_ref(),
                dt,
                (pi as u32) << 12,
            ),
        })
        .collect();
    let mut projs = Vec::new();
    for (qi, (pr, kind)) in net.projs.iter().zip(&kinds).enumerate() {
        let owner = format!("projection '{}'", pr.name);
        let (pre, post) = (pr.pre.0, pr.post.0);
        let s = &pr.synapses;
        let nsyn = s.post.len();
        let layout = ProjLayout::new(&pr.ir, nsyn);
        let (init_syn, init_sparams) = codegen::pack_values(&pr.values, &layout.local, nsyn, 0);
        let slots = |refs: &[String], ir: &crate::lang::ir::NeuronIr| -> Vec<u32> {
            refs.iter().map(|r| ir.slot(r).unwrap_or(0)).collect()
        };
        let ends = Ends {
            pre: &layouts[pre],
            post: &layouts[post],
            same: pre == post,
            pre_slots: slots(&pr.ir.pre_refs, &net.pops[pre].ir),
            post_slots: slots(&pr.ir.post_refs, &net.pops[post].ir),
            batch: net.batch as u32,
        };
        let object = PROJ_OBJECT | ((qi as u32) << 12);
        let mut delays: Vec<u32> = s.delay.clone();
        delays.sort_unstable();
        delays.dedup();
        match *kind {
            ProjectionKind::Rate { sum } => {
                let mut csr = s.post_row_ptr(layouts[post].n as usize / net.batch);
                csr.extend_from_slice(&s.pre);
                let uniform = (delays.len() <= 1).then(|| delays.first().copied().unwrap_or(1));
                if uniform.is_none() {
                    csr.extend_from_slice(&s.delay);
                }
                // The learning rule finds each synapse's post rank here.
                let learn = (!pr.ir.update.is_empty()).then(|| {
                    let posts = csr.len() as u32;
                    csr.extend_from_slice(&s.post);
                    codegen::synapse_update(&pr.name, &pr.ir, &layout, &ends, posts, dt, object)
                });
                let uses_hist = uniform.is_none_or(|d| d > 1);
                if uses_hist && layouts[pre].hist_slots.is_empty() {
                    return Err(Error::Unsupported {
                        owner,
                        message: "a delayed psp that reads no per-neuron pre-synaptic variable"
                            .into(),
                    });
                }
                let kernel = codegen::rate_sum(
                    &pr.name,
                    &pr.ir,
                    pr.operation,
                    &layout,
                    &ends,
                    sum as u32,
                    uniform,
                    dt,
                    object,
                );
                projs.push(ProjPlan {
                    kernel,
                    layout,
                    csr,
                    init_syn,
                    init_sparams,
                    perm: None,
                    spike: None,
                    uses_hist,
                    window: None,
                    inject: false,
                    tiles: None,
                    learn,
                    frozen: None,
                    post: None,
                    post_frozen: None,
                });
            }
            ProjectionKind::Procedural { g } => {
                let gen = pr
                    .procedural
                    .as_ref()
                    .expect("a procedural projection has its generator");
                let kernel = codegen::spike_procedural(
                    &pr.name,
                    gen,
                    crate::engine::cpu::procedural_object(qi),
                    &ends,
                    g as u32,
                    float_atomics,
                );
                // The gap thresholds, then the delay thresholds.
                let mut table = gen.table.clone();
                table.extend_from_slice(&gen.delay_table);
                // Binding 3: the ring of future inputs for per-synapse
                // delays (zeros at the start and after a reset), else
                // unused (the weights are in the kernel).
                let delayed = gen.per_synapse_delays();
                let ring = if delayed {
                    vec![0.0; gen.delay as usize * layouts[post].n as usize]
                } else {
                    vec![0.0]
                };
                let mut plan = ProjPlan::event(kernel, layout, table, ring, init_sparams);
                if let Some(sp) = plan.spike.as_mut() {
                    sp.stores = delayed;
                }
                projs.push(plan);
            }
            ProjectionKind::ConvSpike { g } => {
                let cp = pr.conv.as_ref().expect("a convolution has its window");
                let kernel = codegen::spike_convolve(
                    &pr.name,
                    &cp.conv,
                    cp.delay,
                    &ends,
                    g as u32,
                    float_atomics,
                );
                projs.push(ProjPlan::event(
                    kernel,
                    layout,
                    vec![0],
                    cp.conv.weights.clone(),
                    init_sparams,
                ));
            }
            ProjectionKind::Conv { sum } => {
                let cp = pr.conv.as_ref().expect("a convolution has its window");
                let csr = match &cp.conv.window.starts {
                    Some(st) => st.iter().map(|&x| x as u32).collect(),
                    None => vec![0],
                };
                let kernel = if cp.transposed {
                    codegen::convolve_transposed(&pr.name, &cp.conv, &ends, sum as u32)
                } else {
                    codegen::convolve(
                        &pr.name,
                        &pr.ir,
                        pr.operation,
                        &cp.conv,
                        cp.delay,
                        &ends,
                        sum as u32,
                        dt,
                    )
                };
                projs.push(ProjPlan {
                    kernel,
                    layout,
                    csr,
                    init_syn: cp.conv.weights.clone(),
                    init_sparams,
                    perm: None,
                    spike: None,
                    uses_hist: cp.delay > 1,
                    window: None,
                    inject: false,
                    tiles: if cp.transposed {
                        None
                    } else {
                        codegen::convolve_tiles(&cp.conv, cp.delay, pr.ir.psp_is_weighted_rate)
                    },
                    learn: None,
                    frozen: None,
                    post: None,
                    post_frozen: None,
                });
            }
            ProjectionKind::Current { g, r } => {
                let kernel = codegen::current_inject(
                    &pr.name,
                    &layouts[pre],
                    &layouts[post],
                    g as u32,
                    r as u32,
                );
                projs.push(ProjPlan {
                    kernel,
                    layout,
                    csr: vec![0],
                    init_syn,
                    init_sparams,
                    perm: None,
                    spike: None,
                    uses_hist: false,
                    window: None,
                    inject: true,
                    tiles: None,
                    learn: None,
                    frozen: None,
                    post: None,
                    post_frozen: None,
                });
            }
            ProjectionKind::Decode { sum, window } => {
                let row_ptr = s.post_row_ptr(layouts[post].n as usize);
                let inv = crate::engine::cpu::decode::inverse_counts(&row_ptr);
                let mut csr = row_ptr;
                csr.extend_from_slice(&s.pre);
                csr.extend(inv.iter().map(|x| x.to_bits()));
                let kernel = codegen::decode(
                    &pr.name,
                    &pr.ir,
                    &layout,
                    &layouts[post],
                    sum as u32,
                    window,
                    crate::engine::cpu::decode::scale(net.dt, window),
                );
                projs.push(ProjPlan {
                    kernel,
                    layout,
                    csr,
                    init_syn,
                    init_sparams,
                    perm: None,
                    spike: None,
                    uses_hist: false,
                    window: Some(window),
                    inject: false,
                    tiles: None,
                    learn: None,
                    frozen: None,
                    post: None,
                    post_frozen: None,
                });
            }
            ProjectionKind::Spike { g } => {
                if !pr.ir.pre_spike_is_default && ends.post_slots.contains(&(g as u32)) {
                    return Err(Error::Unsupported {
                        owner,
                        message: format!(
                            "pre_spike reads post.{} while adding to it: on the GPU engine the events of one step add concurrently, so the value read is not defined; read another variable",
                            net.pops[post].ir.vars[g].name
                        ),
                    });
                }
                for st in &pr.ir.pre_spike {
                    if let EventStmt::Store { var, .. } = st {
                        if layout.local[*var as usize].is_none() {
                            return Err(Error::Unsupported {
                                owner,
                                message: format!(
                                    "pre_spike assigns the projection-wide '{}': concurrent events would race on the GPU engine; make it per synapse",
                                    pr.ir.vars[*var as usize].name
                                ),
                            });
                        }
                    }
                }
                let n_pre = layouts[pre].n as usize / net.batch;
                let rows = n_pre * delays.len();
                // Counting sort of the (post-ordered) synapses by (delay
                // index, pre): stable, so each row keeps post order.
                let key: Vec<usize> = (0..nsyn)
                    .map(|j| {
                        let di = delays.binary_search(&s.delay[j]).unwrap_or(0);
                        di * n_pre + s.pre[j] as usize
                    })
                    .collect();
                let mut ptr = vec![0u32; rows + 1];
                for &k in &key {
                    ptr[k + 1] += 1;
                }
                for i in 0..rows {
                    ptr[i + 1] += ptr[i];
                }
                let mut next = ptr.clone();
                let mut col = vec![0u32; nsyn];
                let mut sid = vec![0u32; nsyn];
                for (j, &k) in key.iter().enumerate() {
                    let at = next[k] as usize;
                    next[k] += 1;
                    col[at] = s.post[j];
                    sid[at] = j as u32;
                }
                let default = pr.ir.pre_spike_is_default;
                // 16-bit post ranks where they fit (the default path reads
                // nothing else per synapse but the weight): two a word, half
                // the index traffic of a synaptic event.
                let narrow = default && layouts[post].n as usize / net.batch <= 1 << 16;
                let mut csr = ptr;
                if narrow {
                    csr.extend(
                        col.chunks(2)
                            .map(|c| c[0] | (c.get(1).copied().unwrap_or(0) << 16)),
                    );
                } else {
                    csr.extend_from_slice(&col);
                }
                let perm = if default {
                    Some(sid)
                } else {
                    csr.extend_from_slice(&sid);
                    None
                };
                // The delays, which the kernel reads by block.
                let delay_table = csr.len() as u32;
                csr.extend_from_slice(&delays);
                // Mean synapses a row (one row per pre neuron and delay).
                let mean_row = nsyn as f64 / (n_pre * delays.len()).max(1) as f64;
                let per_thread = match strategy {
                    SpikeStrategy::ThreadPerSpike => true,
                    SpikeStrategy::WorkgroupPerSpike => false,
                    SpikeStrategy::Auto => mean_row < 16.0,
                };
                // One weight for all synapses where they share it: the
                // default synapse, w its only per-synapse variable, nothing
                // that changes it but the user (set_synapses, which
                // gives it a buffer of one a synapse if it must).
                let shareable = default
                    && pr.ir.post_spike.is_empty()
                    && pr.ir.update.is_empty()
                    && layout.local.iter().flatten().count() == 1
                    && layout.local[0] == Some(0);
                let shared = shareable && nsyn > 1 && shared_weight(&init_syn).is_some();
                // The kernel for these events (the model's, or the variant
                // without assignments to w).
                let deliver = |ir: &crate::lang::ir::SynapseIr| {
                    codegen::spike_propagate(
                        &pr.name,
                        ir,
                        &layout,
                        &ends,
                        g as u32,
                        &delays,
                        dt,
                        object,
                        float_atomics,
                        per_thread,
                        narrow,
                        shareable,
                        delay_table,
                        spike_groups(layouts[pre].n),
                    )
                };
                let kernel = deliver(&pr.ir);
                let mut spike = SpikePlan {
                    stores: pr
                        .ir
                        .pre_spike
                        .iter()
                        .any(|s| matches!(s, EventStmt::Store { .. })),
                    reads_pre: !default && !ends.pre_slots.is_empty(),
                    frozen_stores: false,
                    shareable,
                    blocks: delays.len() as u32,
                };
                // Spiking plasticity: the variants without assignments to w
                // (learning off), and post_spike over the rows by post.
                let w_slot = pr.ir.slot("w").unwrap_or(0);
                let assigns_w = |v: &[EventStmt]| {
                    v.iter()
                        .any(|s| matches!(s, EventStmt::Store { var, .. } if *var == w_slot))
                };
                let mut frozen_ir = (*pr.ir).clone();
                frozen_ir
                    .pre_spike
                    .retain(|s| !matches!(s, EventStmt::Store { var, .. } if *var == w_slot));
                frozen_ir
                    .post_spike
                    .retain(|s| !matches!(s, EventStmt::Store { var, .. } if *var == w_slot));
                spike.frozen_stores = frozen_ir
                    .pre_spike
                    .iter()
                    .any(|s| matches!(s, EventStmt::Store { .. }));
                let frozen = assigns_w(&pr.ir.pre_spike).then(|| deliver(&frozen_ir));
                let (post_k, post_frozen) = if pr.ir.post_spike.is_empty() {
                    (None, None)
                } else {
                    let rows = csr.len() as u32;
                    csr.extend(s.post_row_ptr(layouts[post].n as usize));
                    csr.extend_from_slice(&s.pre);
                    let k = |ir: &crate::lang::ir::SynapseIr| {
                        codegen::post_spike(&pr.name, ir, &layout, &ends, rows, dt, object)
                    };
                    (
                        Some(k(&pr.ir)),
                        assigns_w(&pr.ir.post_spike).then(|| k(&frozen_ir)),
                    )
                };
                projs.push(ProjPlan {
                    kernel,
                    layout,
                    csr,
                    init_syn: if shared {
                        init_syn[..1].to_vec()
                    } else {
                        init_syn
                    },
                    init_sparams,
                    perm,
                    spike: Some(spike),
                    uses_hist: false,
                    window: None,
                    inject: false,
                    tiles: None,
                    learn: None,
                    frozen,
                    post: post_k,
                    post_frozen,
                });
            }
        }
    }
    let mut mons = Vec::new();
    for m in &net.monitors {
        let p = &net.pops[m.pop.0];
        let l = &layouts[m.pop.0];
        let vars: Vec<Recorded> = m
            .vars
            .iter()
            .map(|v| {
                let slot = crate::network::slot_of(p, v)? as u32;
                Ok(match l.offset(slot) {
                    Some(o) => Recorded::Local(o),
                    None => Recorded::Global(l.global[slot as usize].unwrap_or(0)),
                })
            })
            .collect::<Result<_>>()?;
        if vars.is_empty() {
            mons.push(None);
            continue;
        }
        let row_len = vars
            .iter()
            .map(|v| match v {
                Recorded::Local(_) => l.n,
                Recorded::Global(_) => 1,
            })
            .sum();
        mons.push(Some(MonPlan {
            kernel: codegen::record(&p.name, l.n, &vars),
            row_len,
        }));
    }
    let merged_learns = merge.map_or_else(Vec::new, |b| merge_learns(net, &projs, b));
    let (merged, merged_updates, merged_clears, merged_rates, merged_posts) = match merge {
        Some(budget) => (
            merge_spikes(net, &kinds, &projs, &layouts, budget, float_atomics),
            merge_updates(net, &layouts, &pops, budget),
            merge_clears(net, &layouts, &pops, budget),
            merge_rates(net, &kinds, &projs, &layouts, budget),
            merge_posts(net, &projs, &layouts, budget),
        ),
        None => (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new()),
    };
    Ok(Plan {
        layouts,
        pops,
        projs,
        mons,
        merged,
        merged_updates,
        merged_clears,
        merged_rates,
        merged_posts,
        merged_learns,
    })
}

/// Groups the populations that clear inputs, `budget` a dispatch (one
/// buffer each); groups of one are left alone.
fn merge_clears(
    net: &Network,
    layouts: &[PopLayout],
    pops: &[PopPlan],
    budget: usize,
) -> Vec<MergedUpdate> {
    let with: Vec<usize> = (0..pops.len())
        .filter(|&p| pops[p].clear.is_some())
        .collect();
    with.chunks(budget.max(1))
        .filter(|g| g.len() >= 2)
        .map(|g| {
            let parts: Vec<(&str, &Kernel, &PopLayout)> = g
                .iter()
                .map(|&p| {
                    (
                        net.pops[p].name.as_str(),
                        pops[p].clear.as_ref().expect("filtered on clear"),
                        &layouts[p],
                    )
                })
                .collect();
            let (kernel, binds) = codegen::clear_inputs_merged(&parts);
            MergedUpdate {
                members: g.to_vec(),
                binds,
                kernel,
            }
        })
        .collect()
}

/// Groups the populations, in creation order, into `neuron_update`
/// dispatches binding at most `budget` storage buffers each; groups of one
/// are left alone.
fn merge_updates(
    net: &Network,
    layouts: &[PopLayout],
    pops: &[PopPlan],
    budget: usize,
) -> Vec<MergedUpdate> {
    let cost = |p: usize| codegen::pop_buffers(&layouts[p], net.pops[p].feed.is_some()).len();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut cur: Vec<usize> = Vec::new();
    let mut used = 0;
    for p in 0..net.pops.len() {
        let c = cost(p);
        if used + c > budget
            || cur.iter().map(|&q| layouts[q].n as u64).sum::<u64>() + u64::from(layouts[p].n)
                > u64::from(u32::MAX)
        {
            groups.push(std::mem::take(&mut cur));
            used = 0;
        }
        cur.push(p);
        used += c;
    }
    groups.push(cur);
    groups
        .into_iter()
        .filter(|g| g.len() >= 2)
        .map(|members| {
            let parts: Vec<(&str, &Kernel, &PopLayout, bool)> = members
                .iter()
                .map(|&p| {
                    (
                        net.pops[p].name.as_str(),
                        &pops[p].update,
                        &layouts[p],
                        net.pops[p].feed.is_some(),
                    )
                })
                .collect();
            let (kernel, binds) = codegen::neuron_update_merged(&parts);
            MergedUpdate {
                members,
                binds,
                kernel,
            }
        })
        .collect()
}

/// Groups the default-synapse spiking projections (stored or procedural),
/// whatever their populations, in creation order, each group binding at
/// most `budget` storage buffers (a state per distinct post, 2 per member
/// or 1 per procedural one, 2 per distinct pre); groups of one are left
/// alone.
fn merge_spikes(
    net: &Network,
    kinds: &[ProjectionKind],
    projs: &[ProjPlan],
    layouts: &[PopLayout],
    budget: usize,
    float_atomics: bool,
) -> Vec<MergedPlan> {
    // Any spiking delivery but a convolution's; a plastic one too (its
    // post_spike and its variant without the assignments to w stay passes
    // of their own).
    // A `pre_spike` that reads a conductance of its post (which other
    // members may be adding to) stays apart: separate dispatches read it
    // in creation order, as the CPU engine does, a merged one would race.
    let reads_a_conductance = |qi: usize| {
        let pr = &net.projs[qi];
        let post = &net.pops[pr.post.0].ir;
        pr.ir.post_refs.iter().any(|name| {
            post.slot(name)
                .is_some_and(|s| post.conductances.iter().any(|c| c.1 == s))
        })
    };
    let mergeable = |qi: usize| {
        matches!(
            kinds[qi],
            ProjectionKind::Spike { .. } | ProjectionKind::Procedural { .. }
        ) && projs[qi].learn.is_none()
            && !reads_a_conductance(qi)
    };
    let member_binds = |q: usize| {
        let pr = &net.projs[q];
        match &pr.procedural {
            Some(g) if g.per_synapse_delays() => codegen::MemberBinds::Ring,
            Some(_) => codegen::MemberBinds::Nothing,
            None if pr.ir.pre_spike_is_default => codegen::MemberBinds::Weights,
            None => {
                let sp = projs[q].spike.as_ref();
                codegen::MemberBinds::General {
                    stores: sp.is_some_and(|s| s.stores),
                    reads_pre: sp.is_some_and(|s| s.reads_pre) && pr.pre != pr.post,
                }
            }
        }
    };
    // The state a general member reads of its pre (another population).
    let reads_state = |q: usize| match member_binds(q) {
        codegen::MemberBinds::General {
            reads_pre: true, ..
        } => Some(net.projs[q].pre.0),
        _ => None,
    };
    let mut groups: Vec<MergedPlan> = Vec::new();
    let mut flush = |cur: &mut Vec<usize>, posts: &mut Vec<usize>, pres: &mut Vec<usize>| {
        if cur.len() >= 2 {
            groups.push(MergedPlan {
                binds: cur.iter().map(|&q| member_binds(q)).collect(),
                posts: posts.clone(),
                members: cur.clone(),
                pres: pres.clone(),
                pre_of: Vec::new(),
                groups: 0,
                kernel: Kernel {
                    name: String::new(),
                    source: String::new(),
                    body: String::new(),
                },
            });
        }
        cur.clear();
        posts.clear();
        pres.clear();
    };
    // Storage buffers bound: a state per post, per member its CSR (or
    // table) and what `MemberBinds::bindings` says, a spike ring (counts,
    // lists) per pre.
    let member_cost = |q: usize| 1 + member_binds(q).bindings();
    let (mut cur, mut posts, mut pres) = (Vec::new(), Vec::new(), Vec::new());
    for qi in (0..net.projs.len()).filter(|&q| mergeable(q)) {
        let (pre, post) = (net.projs[qi].pre.0, net.projs[qi].post.0);
        let with_posts = posts.len() + usize::from(!posts.contains(&post));
        let with_pres = pres.len() + usize::from(!pres.contains(&pre));
        let members: usize = cur.iter().map(|&q| member_cost(q)).sum::<usize>() + member_cost(qi);
        // A state read plainly by one member and written (atomically) as
        // another's post would be bound twice, which wgpu refuses.
        let aliased = reads_state(qi).is_some_and(|p| posts.contains(&p) || p == post)
            || cur.iter().any(|&q| reads_state(q) == Some(post));
        if with_posts + members + 2 * with_pres > budget || aliased {
            flush(&mut cur, &mut posts, &mut pres);
        }
        cur.push(qi);
        if !posts.contains(&post) {
            posts.push(post);
        }
        if !pres.contains(&pre) {
            pres.push(pre);
        }
    }
    flush(&mut cur, &mut posts, &mut pres);
    for g in &mut groups {
        let at = index_of;
        let members: Vec<codegen::SpikeMember> = g
            .members
            .iter()
            .zip(&g.binds)
            .map(|(&q, &binds)| {
                let pr = &net.projs[q];
                codegen::SpikeMember {
                    name: &pr.name,
                    kernel: &projs[q].kernel,
                    binds,
                    pre: at(&g.pres, pr.pre.0),
                    post: at(&g.posts, pr.post.0),
                    blocks: projs[q].spike.as_ref().map_or(0, |sp| sp.blocks),
                }
            })
            .collect();
        g.pre_of = members.iter().map(|m| m.pre).collect();
        let post_names: Vec<&str> = g.posts.iter().map(|&p| net.pops[p].name.as_str()).collect();
        g.groups = spike_groups(g.pres.iter().map(|&p| layouts[p].n).max().unwrap_or(1));
        g.kernel = codegen::spike_propagate_merged(
            &post_names,
            &members,
            g.pres.len(),
            g.groups,
            float_atomics,
        );
    }
    groups
}

/// `p` appended to `list` unless it is there already.
fn add_distinct(list: &mut Vec<usize>, p: usize) {
    if !list.contains(&p) {
        list.push(p);
    }
}

/// Where population `p` is among a group's (every member's are listed).
fn index_of(list: &[usize], p: usize) -> usize {
    list.iter()
        .position(|&x| x == p)
        .expect("every member's populations are listed")
}

/// The candidates, in order, grouped greedily: a group takes the next
/// candidate while it still `fits`, else the candidate starts the next
/// one; groups of fewer than two are dropped (they gain nothing).
fn greedy_groups(
    candidates: impl Iterator<Item = usize>,
    fits: impl Fn(&[usize]) -> bool,
) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut cur: Vec<usize> = Vec::new();
    for q in candidates {
        cur.push(q);
        if !fits(&cur) {
            cur.pop();
            groups.push(std::mem::replace(&mut cur, vec![q]));
        }
    }
    groups.push(cur);
    groups.retain(|g| g.len() >= 2);
    groups
}

/// Groups the rate-coded projections and the untiled convolutions, in
/// creation order, each group binding at most `budget` storage buffers (a
/// state per distinct population, a history per distinct delayed pre, a
/// CSR, values and parameters per member); groups of one are left alone.
/// A projection stays out when one that cannot join (a tiled or
/// transposed convolution, a decoding projection) adds into the same
/// `sum(target)`: the merged sum runs where its first member ran, which
/// would change the order of the additions.
fn merge_rates(
    net: &Network,
    kinds: &[ProjectionKind],
    projs: &[ProjPlan],
    layouts: &[PopLayout],
    budget: usize,
) -> Vec<MergedRates> {
    let sum_of = |q: usize| match kinds[q] {
        ProjectionKind::Rate { sum }
        | ProjectionKind::Conv { sum }
        | ProjectionKind::Decode { sum, .. } => Some((net.projs[q].post.0, sum)),
        _ => None,
    };
    // A rate sum, or a convolution or pooling with the thread per post
    // neuron and the bindings of a rate sum (not tiled, not transposed).
    let kind_fits = |q: usize| match kinds[q] {
        ProjectionKind::Rate { .. } => true,
        ProjectionKind::Conv { .. } => {
            projs[q].tiles.is_none() && net.projs[q].conv.as_ref().is_some_and(|c| !c.transposed)
        }
        _ => false,
    };
    let mergeable = |q: usize| {
        kind_fits(q) && (0..net.projs.len()).all(|o| kind_fits(o) || sum_of(o) != sum_of(q))
    };
    // A group's populations (its posts first), how many are posts, and
    // the delayed pres whose histories it reads.
    let lists = |g: &[usize]| {
        let (mut pops, mut hists) = (Vec::new(), Vec::new());
        for &q in g {
            add_distinct(&mut pops, net.projs[q].post.0);
        }
        let posts = pops.len();
        for &q in g {
            let pre = net.projs[q].pre.0;
            add_distinct(&mut pops, pre);
            if projs[q].uses_hist {
                add_distinct(&mut hists, pre);
            }
        }
        (pops, posts, hists)
    };
    let fits = |g: &[usize]| {
        let (pops, posts, hists) = lists(g);
        let threads: u64 = pops[..posts].iter().map(|&p| u64::from(layouts[p].n)).sum();
        pops.len() + hists.len() + 3 * g.len() <= budget && threads <= u64::from(u32::MAX)
    };
    greedy_groups((0..net.projs.len()).filter(|&q| mergeable(q)), fits)
        .into_iter()
        .map(|members| {
            let (pops, posts, hists) = lists(&members);
            let at = index_of;
            let parts: Vec<codegen::RateMember> = members
                .iter()
                .map(|&q| {
                    let pr = &net.projs[q];
                    codegen::RateMember {
                        name: &pr.name,
                        kernel: &projs[q].kernel,
                        post: at(&pops, pr.post.0),
                        pre: at(&pops, pr.pre.0),
                        hist: projs[q].uses_hist.then(|| at(&hists, pr.pre.0)),
                    }
                })
                .collect();
            let named: Vec<(&str, u32)> = pops
                .iter()
                .map(|&p| (net.pops[p].name.as_str(), layouts[p].n))
                .collect();
            let kernel = codegen::rate_sum_merged(&named, posts, hists.len(), &parts);
            MergedRates {
                members,
                pops,
                posts,
                hists,
                kernel,
            }
        })
        .collect()
}

/// Groups the `post_spike` kernels of plastic projections, in creation
/// order, each group binding at most `budget` storage buffers (a state per
/// distinct population read, a spike ring (2) per distinct post, a CSR,
/// values and parameters per member); groups of one are left alone.
fn merge_posts(
    net: &Network,
    projs: &[ProjPlan],
    layouts: &[PopLayout],
    budget: usize,
) -> Vec<MergedPost> {
    // The populations whose states a group reads (posts and pres, once
    // each) and the posts whose spike rings it reads.
    let lists = |g: &[usize]| {
        let (mut pops, mut rings) = (Vec::new(), Vec::new());
        for &q in g {
            let pr = &net.projs[q];
            add_distinct(&mut pops, pr.post.0);
            add_distinct(&mut pops, pr.pre.0);
            add_distinct(&mut rings, pr.post.0);
        }
        (pops, rings)
    };
    let fits = |g: &[usize]| {
        let (pops, rings) = lists(g);
        pops.len() + 2 * rings.len() + 3 * g.len() <= budget
    };
    greedy_groups(
        (0..net.projs.len()).filter(|&q| projs[q].post.is_some()),
        fits,
    )
    .into_iter()
    .map(|members| {
        let (pops, rings) = lists(&members);
        let at = index_of;
        let parts: Vec<codegen::PostMember> = members
            .iter()
            .map(|&q| {
                let pr = &net.projs[q];
                codegen::PostMember {
                    name: &pr.name,
                    kernel: projs[q].post.as_ref().expect("filtered on post"),
                    post: at(&pops, pr.post.0),
                    pre: at(&pops, pr.pre.0),
                    ring: at(&rings, pr.post.0),
                }
            })
            .collect();
        let names: Vec<&str> = pops.iter().map(|&p| net.pops[p].name.as_str()).collect();
        let kernel = codegen::post_spike_merged(&names, rings.len(), &parts);
        let groups = spike_groups(rings.iter().map(|&p| layouts[p].n).max().unwrap_or(1));
        MergedPost {
            members,
            pops,
            rings,
            groups,
            kernel,
        }
    })
    .collect()
}

/// Groups the learning rules of rate-coded projections, in creation
/// order, each group binding at most `budget` storage buffers (a state per
/// distinct population, a CSR, values and parameters per member) and
/// running at most `u32::MAX` threads; groups of one are left alone.
fn merge_learns(net: &Network, projs: &[ProjPlan], budget: usize) -> Vec<MergedLearn> {
    let pops_of = |g: &[usize]| {
        let mut pops = Vec::new();
        for &q in g {
            add_distinct(&mut pops, net.projs[q].post.0);
            add_distinct(&mut pops, net.projs[q].pre.0);
        }
        pops
    };
    let threads = |g: &[usize]| -> u64 { g.iter().map(|&q| u64::from(projs[q].layout.nsyn)).sum() };
    let fits =
        |g: &[usize]| pops_of(g).len() + 3 * g.len() <= budget && threads(g) <= u64::from(u32::MAX);
    greedy_groups(
        (0..net.projs.len()).filter(|&q| projs[q].learn.is_some()),
        fits,
    )
    .into_iter()
    .map(|members| {
        let pops = pops_of(&members);
        let at = |p: usize| index_of(&pops, p);
        let parts: Vec<codegen::LearnMember> = members
            .iter()
            .map(|&q| codegen::LearnMember {
                name: &net.projs[q].name,
                kernel: projs[q].learn.as_ref().expect("filtered on learn"),
                post: at(net.projs[q].post.0),
                pre: at(net.projs[q].pre.0),
                nsyn: projs[q].layout.nsyn,
            })
            .collect();
        let names: Vec<&str> = pops.iter().map(|&p| net.pops[p].name.as_str()).collect();
        MergedLearn {
            kernel: codegen::synapse_update_merged(&names, &parts),
            threads: threads(&members) as u32,
            members,
            pops,
        }
    })
    .collect()
}

/// The GPU engine of one compiled network.
pub struct GpuEngine {
    gpu: Gpu,
    seed: u64,
    pops: Vec<GPop>,
    projs: Vec<GProj>,
    mons: Vec<GMon>,
    clock: wgpu::Buffer,
    stride: u64,
    chunk: u32,
    /// Steps run since the engine was built (the rings' position).
    ring: u64,
    /// Dispatches encoded per step (without monitors), for benchmarks.
    pub dispatches_per_step: usize,
    /// Merged spike deliveries, each encoded where its first member was.
    merged: Vec<Pass>,
    /// Their plans, to bind them again (a member's weight buffer changed).
    merged_plans: Vec<MergedPlan>,
    /// Per projection: the merged pass encoded in its place.
    merged_at: Vec<Option<usize>>,
    /// Merged neuron updates: the plan (to rebind) and the pass.
    merged_updates: Vec<(MergedUpdate, Pass)>,
    /// Per population: the merged update encoded in its place.
    update_at: Vec<Option<usize>>,
    /// Merged input clearing, and per population the one in its place.
    merged_clears: Vec<Pass>,
    /// Merged `post_spike` passes (their members, the pass), each
    /// encoded where its first member's was.
    merged_posts: Vec<(Vec<usize>, Pass)>,
    /// Per projection: the merged `post_spike` encoded in its place.
    posts_at: Vec<Option<usize>>,
    /// Merged learning rules (their members, the pass), each encoded
    /// where its first member's was.
    merged_learns: Vec<(Vec<usize>, Pass)>,
    /// Per projection: the merged learning rule encoded in its place.
    learns_at: Vec<Option<usize>>,
    /// Merged rate sums, each encoded where its first member was.
    merged_rates: Vec<Pass>,
    /// Per projection: the merged rate sum encoded in its place.
    rates_at: Vec<Option<usize>>,
    clear_at: Vec<Option<usize>>,
}

enum Bind<'a> {
    Clock,
    Uniform(&'a wgpu::Buffer),
    Read(&'a wgpu::Buffer),
    Write(&'a wgpu::Buffer),
}

/// The bindings of a spike delivery kernel: clock, post state, CSR (or
/// table), synapse values (written when `stores`), parameters, the spike
/// ring of `pre`, and its state where the kernel reads it (`reads_pre`,
/// another population).
#[allow(clippy::too_many_arguments)]
fn spike_binds<'a>(
    owner: &str,
    post: &'a GPop,
    pre: &'a GPop,
    csr: &'a wgpu::Buffer,
    syn: &'a wgpu::Buffer,
    sparams: &'a wgpu::Buffer,
    stores: bool,
    reads_pre: bool,
) -> Result<Vec<(u32, Bind<'a>)>> {
    let (Some(count), Some(list)) = (&pre.spk_count, &pre.spk_list) else {
        return Err(Error::invalid(owner, "spike ring missing"));
    };
    let mut b = vec![
        (0, Bind::Clock),
        (1, Bind::Write(&post.state)),
        (2, Bind::Read(csr)),
        (
            3,
            if stores {
                Bind::Write(syn)
            } else {
                Bind::Read(syn)
            },
        ),
        (4, Bind::Read(sparams)),
        (5, Bind::Read(count)),
        (6, Bind::Read(list)),
    ];
    if reads_pre {
        b.push((7, Bind::Read(&pre.state)));
    }
    Ok(b)
}

fn grid(n: u32) -> (u32, u32) {
    let groups = n.div_ceil(WORKGROUP).max(1);
    if groups <= 65535 {
        (groups, 1)
    } else {
        (65535, groups.div_ceil(65535))
    }
}

/// Per-synapse values as the buffer holds them: for the default spike
/// path, the weights in CSR order (`perm[e]` is the synapse at position e).
fn in_buffer_order(perm: Option<&[u32]>, values: &[f32]) -> Vec<f32> {
    // One weight shared by all synapses has no order.
    if values.len() == 1 {
        return values.to_vec();
    }
    match perm {
        Some(perm) => perm.iter().map(|&j| values[j as usize]).collect(),
        None => values.to_vec(),
    }
}

fn bytes_of(v: &[f32]) -> Vec<u8> {
    let mut v = v.to_vec();
    // Bindings may not be empty.
    if v.is_empty() {
        v.push(0.0);
    }
    bytemuck::cast_slice(&v).to_vec()
}

impl GpuEngine {
    /// Builds buffers and kernels for a network on the device `opts` picks.
    pub fn new(net: &Network, opts: &GpuOptions) -> Result<Self> {
        let gpu = context::gpu(opts)?;
        // Capped so that a merged kernel stays a size drivers compile
        // quickly; desktop drivers allow far more.
        let budget = (gpu.info.max_storage_buffers as usize).min(MAX_MERGE_BINDINGS);
        let plan = plan_with_strategy(
            net,
            gpu.info.float_atomics,
            opts.merge.then_some(budget),
            opts.spike_strategy,
        )?;
        let align = gpu.limits.min_uniform_buffer_offset_alignment as u64;
        let stride = (std::mem::size_of::<Clock>() as u64).div_ceil(align) * align;
        let mut chunk = MAX_CHUNK;
        for l in &plan.layouts {
            if l.bits {
                let words = u64::from(l.n.div_ceil(32)) * 4;
                chunk = chunk.min((MONITOR_BUDGET / words).clamp(1, MAX_CHUNK as u64) as u32);
            }
        }
        let mut e = GpuEngine {
            clock: gpu.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("clock"),
                size: stride * chunk as u64,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }),
            gpu,
            seed: net.seed,
            pops: Vec::new(),
            projs: Vec::new(),
            mons: Vec::new(),
            stride,
            chunk,
            ring: 0,
            dispatches_per_step: 0,
            merged: Vec::new(),
            merged_plans: Vec::new(),
            merged_at: vec![None; net.projs.len()],
            merged_updates: Vec::new(),
            update_at: vec![None; net.pops.len()],
            merged_clears: Vec::new(),
            merged_rates: Vec::new(),
            rates_at: vec![None; net.projs.len()],
            merged_posts: Vec::new(),
            posts_at: vec![None; net.projs.len()],
            merged_learns: Vec::new(),
            learns_at: vec![None; net.projs.len()],
            clear_at: vec![None; net.pops.len()],
        };

        for ((p, l), pp) in net.pops.iter().zip(&plan.layouts).zip(&plan.pops) {
            let owner = format!("population '{}'", p.name);
            let n = l.n as usize;
            let (init_state, init_params) =
                codegen::pack_values(&p.init, &l.local, n, p.ir.targets.len());
            let state = e.storage(&format!("{owner}: state"), &bytes_of(&init_state))?;
            let params = e.storage(&format!("{owner}: parameters"), &bytes_of(&init_params))?;
            let ring = u64::from(l.ring);
            let spk_count = (ring > 0)
                .then(|| e.zeroed(&format!("{owner}: spike counts"), ring * 4))
                .transpose()?;
            let spk_list = (ring > 0)
                .then(|| e.zeroed(&format!("{owner}: spike lists"), ring * n as u64 * 4))
                .transpose()?;
            let words = u64::from(l.n.div_ceil(32));
            let bits = l
                .bits
                .then(|| {
                    e.zeroed(
                        &format!("{owner}: spike bitmasks"),
                        chunk as u64 * words * 4,
                    )
                })
                .transpose()?;
            let hist_len = u64::from(l.hist_ring) * l.hist_slots.len() as u64 * n as u64 * 4;
            let hist = (!l.hist_slots.is_empty())
                .then(|| e.zeroed(&format!("{owner}: rate history"), hist_len))
                .transpose()?;
            let feed = p
                .feed
                .as_ref()
                .map(|f| {
                    e.storage(
                        &format!("{owner}: input table"),
                        bytemuck::cast_slice(&f.words()),
                    )
                })
                .transpose()?;
            let last = l
                .last
                .then(|| e.zeroed(&format!("{owner}: last spikes"), n as u64 * 4))
                .transpose()?;
            let mut gp = GPop {
                layout: l.clone(),
                state,
                params,
                params_host: init_params.clone(),
                spk_count,
                spk_list,
                bits,
                hist,
                clear: None,
                update: None,
                update_kernel: pp.update.clone(),
                feed,
                last,
                init_state,
                init_params,
            };
            if let Some(k) = &pp.clear {
                let b = vec![(0, Bind::Clock), (1, Bind::Write(&gp.state))];
                gp.clear = Some(e.pass(k, &b, grid(l.n))?);
            }
            gp.update = Some(e.update_pass(&gp)?);
            e.pops.push(gp);
        }
        e.reset_history();

        for (pr, qp) in net.projs.iter().zip(plan.projs) {
            let owner = format!("projection '{}'", pr.name);
            let (pre, post) = (pr.pre.0, pr.post.0);
            let csr = e.storage(&format!("{owner}: CSR"), bytemuck::cast_slice(&qp.csr))?;
            let upload = in_buffer_order(qp.perm.as_deref(), &qp.init_syn);
            let syn = e.storage(&format!("{owner}: synapses"), &bytes_of(&upload))?;
            let sparams =
                e.storage(&format!("{owner}: parameters"), &bytes_of(&qp.init_sparams))?;
            let n_post = plan.layouts[post].n;
            let win = qp
                .window
                .map(|w| {
                    e.zeroed(
                        &format!("{owner}: window"),
                        u64::from(w) * u64::from(n_post) * 4,
                    )
                })
                .transpose()?;
            let mut frozen = None;
            let pass = match qp.spike {
                None if qp.inject => {
                    let b = vec![
                        (0, Bind::Clock),
                        (1, Bind::Write(&e.pops[post].state)),
                        (2, Bind::Read(&e.pops[pre].state)),
                    ];
                    e.pass(&qp.kernel, &b, grid(n_post))?
                }
                None if qp.window.is_some() => {
                    let (Some(last), Some(win)) = (&e.pops[pre].last, &win) else {
                        return Err(Error::invalid(owner, "decoding buffers missing"));
                    };
                    let b = vec![
                        (0, Bind::Clock),
                        (1, Bind::Write(&e.pops[post].state)),
                        (2, Bind::Read(&csr)),
                        (3, Bind::Read(&syn)),
                        (4, Bind::Read(&sparams)),
                        (5, Bind::Read(last)),
                        (6, Bind::Write(win)),
                    ];
                    e.pass(&qp.kernel, &b, grid(n_post))?
                }
                None => {
                    let mut b = vec![
                        (0, Bind::Clock),
                        (1, Bind::Write(&e.pops[post].state)),
                        (2, Bind::Read(&csr)),
                        (3, Bind::Read(&syn)),
                        (4, Bind::Read(&sparams)),
                    ];
                    if pre != post {
                        b.push((5, Bind::Read(&e.pops[pre].state)));
                    }
                    if let (true, Some(h)) = (qp.uses_hist, &e.pops[pre].hist) {
                        b.push((6, Bind::Read(h)));
                    }
                    let threads = match qp.tiles {
                        Some(t) => t * WORKGROUP,
                        None => plan.layouts[post].n,
                    };
                    e.pass(&qp.kernel, &b, grid(threads))?
                }
                Some(SpikePlan {
                    stores,
                    reads_pre,
                    frozen_stores,
                    ..
                }) => {
                    let binds = |stores: bool| {
                        spike_binds(
                            &owner,
                            &e.pops[post],
                            &e.pops[pre],
                            &csr,
                            &syn,
                            &sparams,
                            stores,
                            reads_pre && pre != post,
                        )
                    };
                    let groups = spike_groups(plan.layouts[pre].n);
                    if let Some(k) = &qp.frozen {
                        frozen = Some(e.pass(k, &binds(frozen_stores)?, (groups, 1))?);
                    }
                    e.pass(&qp.kernel, &binds(stores)?, (groups, 1))?
                }
            };
            // post_spike: a workgroup per post spike of this step.
            let mut post_passes = (None, None);
            if let Some(k) = &qp.post {
                let po = &e.pops[post];
                let (Some(count), Some(list)) = (&po.spk_count, &po.spk_list) else {
                    return Err(Error::invalid(owner, "post spike ring missing"));
                };
                let mut b = vec![
                    (0, Bind::Clock),
                    (1, Bind::Read(&po.state)),
                    (2, Bind::Read(&csr)),
                    (3, Bind::Write(&syn)),
                    (4, Bind::Read(&sparams)),
                    (5, Bind::Read(count)),
                    (6, Bind::Read(list)),
                ];
                if pre != post {
                    b.push((7, Bind::Read(&e.pops[pre].state)));
                }
                let groups = spike_groups(plan.layouts[post].n);
                post_passes.0 = Some(e.pass(k, &b, (groups, 1))?);
                if let Some(f) = &qp.post_frozen {
                    post_passes.1 = Some(e.pass(f, &b, (groups, 1))?);
                }
            }
            let learn = match &qp.learn {
                Some(k) => {
                    let mut b = vec![
                        (0, Bind::Clock),
                        (1, Bind::Read(&e.pops[post].state)),
                        (2, Bind::Read(&csr)),
                        (3, Bind::Write(&syn)),
                        (4, Bind::Read(&sparams)),
                    ];
                    if pre != post {
                        b.push((5, Bind::Read(&e.pops[pre].state)));
                    }
                    Some(e.pass(k, &b, grid(qp.layout.nsyn))?)
                }
                None => None,
            };
            let shareable = qp
                .spike
                .is_some_and(|s| s.shareable)
                .then(|| (qp.kernel.clone(), pre, post));
            e.projs.push(GProj {
                shared: shareable.is_some() && qp.init_syn.len() == 1 && qp.layout.nsyn > 1,
                shareable,
                csr: csr.clone(),
                frozen,
                post: post_passes.0,
                post_frozen: post_passes.1,
                learn,
                learning: crate::engine::Learning::default(),
                layout: qp.layout,
                syn,
                sparams,
                perm: qp.perm,
                pass: Some(pass),
                init_syn: qp.init_syn,
                sparams_host: qp.init_sparams.clone(),
                init_sparams: qp.init_sparams,
                win,
                window: qp.window.unwrap_or(0),
                n_post,
                group: None,
                post_group: None,
                learn_group: None,
                delay_ring: pr
                    .procedural
                    .as_ref()
                    .filter(|g| g.per_synapse_delays())
                    .map(|g| g.delay),
            });
        }

        for (m, mp) in net.monitors.iter().zip(plan.mons) {
            let l = &plan.layouts[m.pop.0];
            let Some(mp) = mp else {
                e.mons.push(GMon {
                    pop: m.pop.0,
                    row_len: 0,
                    cap_rows: 0,
                    buf: None,
                    sampling: None,
                    pass: None,
                });
                continue;
            };
            let row_bytes = u64::from(mp.row_len) * 4;
            let want = (chunk as u64).div_ceil(m.period) + 1;
            let cap_rows = want.min((MONITOR_BUDGET / row_bytes).max(1)) as u32;
            let buf = e.zeroed(
                &format!("monitor of population '{}'", net.pops[m.pop.0].name),
                u64::from(cap_rows) * row_bytes,
            )?;
            let sampling = e.gpu.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("sampling"),
                size: std::mem::size_of::<Sampling>() as u64,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            let b = vec![
                (0, Bind::Clock),
                (1, Bind::Read(&e.pops[m.pop.0].state)),
                (2, Bind::Read(&e.pops[m.pop.0].params)),
                (3, Bind::Write(&buf)),
                (4, Bind::Uniform(&sampling)),
            ];
            let pass = e.pass(&mp.kernel, &b, grid(mp.row_len.max(l.n)))?;
            e.mons.push(GMon {
                pop: m.pop.0,
                row_len: mp.row_len,
                cap_rows,
                buf: Some(buf),
                sampling: Some(sampling),
                pass: Some(pass),
            });
        }
        for (mi, mg) in plan.merged.iter().enumerate() {
            let pass = e.merged_spike_pass(mg)?;
            e.merged_plans.push(mg.clone());
            e.merged.push(pass);
            e.merged_at[mg.members[0]] = Some(mi);
            // Members keep their own passes: a step on which a plastic
            // member's learning is off runs them instead.
            for &q in &mg.members {
                e.projs[q].group = Some(mi);
            }
        }
        for (ui, mu) in plan.merged_updates.into_iter().enumerate() {
            let pass = e.merged_update_pass(&mu)?;
            for &p in &mu.members {
                e.pops[p].update = None;
            }
            e.update_at[mu.members[0]] = Some(ui);
            e.merged_updates.push((mu, pass));
        }
        for (ci, mc) in plan.merged_clears.iter().enumerate() {
            let pass = e.merged_update_pass(mc)?;
            for &p in &mc.members {
                e.pops[p].clear = None;
            }
            e.clear_at[mc.members[0]] = Some(ci);
            e.merged_clears.push(pass);
        }
        for (pi, mp) in plan.merged_posts.iter().enumerate() {
            let pass = e.merged_post_pass(mp)?;
            for &q in &mp.members {
                e.projs[q].post_group = Some(pi);
            }
            e.posts_at[mp.members[0]] = Some(pi);
            e.merged_posts.push((mp.members.clone(), pass));
        }
        for (li, ml) in plan.merged_learns.iter().enumerate() {
            let mut b = vec![(0, Bind::Clock)];
            for (k, &p) in ml.pops.iter().enumerate() {
                b.push((1 + k as u32, Bind::Read(&e.pops[p].state)));
            }
            let mut next = 1 + ml.pops.len() as u32;
            for &q in &ml.members {
                let g = &e.projs[q];
                b.push((next, Bind::Read(&g.csr)));
                b.push((next + 1, Bind::Write(&g.syn)));
                b.push((next + 2, Bind::Read(&g.sparams)));
                next += 3;
            }
            let pass = e.pass(&ml.kernel, &b, grid(ml.threads))?;
            for &q in &ml.members {
                e.projs[q].learn_group = Some(li);
            }
            e.learns_at[ml.members[0]] = Some(li);
            e.merged_learns.push((ml.members.clone(), pass));
        }
        for (ri, mr) in plan.merged_rates.iter().enumerate() {
            let pass = e.merged_rate_pass(mr)?;
            for &q in &mr.members {
                e.projs[q].pass = None;
            }
            e.rates_at[mr.members[0]] = Some(ri);
            e.merged_rates.push(pass);
        }
        // Learning rules count as they run by default, every step.
        e.dispatches_per_step = e.pops.iter().filter(|p| p.clear.is_some()).count()
            + e.merged_clears.len()
            + e.projs
                .iter()
                .filter(|q| q.pass.is_some() && q.group.is_none())
                .count()
            + e.merged.len()
            + e.merged_rates.len()
            + e.pops.iter().filter(|p| p.update.is_some()).count()
            + e.merged_updates.len()
            + e.projs
                .iter()
                .filter(|q| q.learn.is_some() && q.learn_group.is_none())
                .count()
            + e.merged_learns.len()
            + e.projs
                .iter()
                .filter(|q| q.post.is_some() && q.post_group.is_none())
                .count()
            + e.merged_posts.len();
        Ok(e)
    }

    /// The `neuron_update` pass of a population, bound to its buffers.
    fn update_pass(&self, gp: &GPop) -> Result<Pass> {
        let mut b = vec![
            (0, Bind::Clock),
            (1, Bind::Write(&gp.state)),
            (2, Bind::Read(&gp.params)),
        ];
        if let (Some(c), Some(li)) = (&gp.spk_count, &gp.spk_list) {
            b.push((3, Bind::Write(c)));
            b.push((4, Bind::Write(li)));
        }
        if let Some(bits) = &gp.bits {
            b.push((5, Bind::Write(bits)));
        }
        if let Some(h) = &gp.hist {
            b.push((6, Bind::Write(h)));
        }
        if let Some(f) = &gp.feed {
            b.push((7, Bind::Read(f)));
        }
        if let Some(f) = &gp.last {
            b.push((8, Bind::Write(f)));
        }
        self.pass(&gp.update_kernel, &b, grid(gp.layout.n))
    }

    /// Per merged group (its members), whether it runs as one dispatch at
    /// step `st`: it does when every member whose pass changes while its
    /// learning is off (`switchable`) learns at that step; otherwise the
    /// members run their own passes.
    fn whole_groups<'a>(
        &self,
        groups: impl Iterator<Item = &'a [usize]>,
        st: u64,
        switchable: impl Fn(&GProj) -> bool,
    ) -> Vec<bool> {
        groups
            .map(|members| {
                members.iter().all(|&q| {
                    let q = &self.projs[q];
                    !switchable(q) || q.learning.due(st)
                })
            })
            .collect()
    }

    /// The pass of a merged `post_spike`, bound to its members' buffers
    /// (in the order of [`codegen::post_spike_merged`]).
    fn merged_post_pass(&self, mp: &MergedPost) -> Result<Pass> {
        let mut b = vec![(0, Bind::Clock)];
        for (k, &p) in mp.pops.iter().enumerate() {
            b.push((1 + k as u32, Bind::Read(&self.pops[p].state)));
        }
        let mut next = 1 + mp.pops.len() as u32;
        for &p in &mp.rings {
            let pp = &self.pops[p];
            let (Some(count), Some(list)) = (&pp.spk_count, &pp.spk_list) else {
                return Err(Error::invalid(&mp.kernel.name, "post spike ring missing"));
            };
            b.push((next, Bind::Read(count)));
            b.push((next + 1, Bind::Read(list)));
            next += 2;
        }
        for &q in &mp.members {
            let g = &self.projs[q];
            b.push((next, Bind::Read(&g.csr)));
            b.push((next + 1, Bind::Write(&g.syn)));
            b.push((next + 2, Bind::Read(&g.sparams)));
            next += 3;
        }
        self.pass(&mp.kernel, &b, (mp.groups, 1))
    }

    /// The pass of a merged rate sum, bound to its members' buffers
    /// (in the order of [`codegen::rate_sum_merged`]).
    fn merged_rate_pass(&self, mr: &MergedRates) -> Result<Pass> {
        let mut b = vec![(0, Bind::Clock)];
        for (k, &p) in mr.pops.iter().enumerate() {
            let st = &self.pops[p].state;
            b.push((
                1 + k as u32,
                if k < mr.posts {
                    Bind::Write(st)
                } else {
                    Bind::Read(st)
                },
            ));
        }
        let mut next = 1 + mr.pops.len() as u32;
        for &p in &mr.hists {
            let h = self.pops[p]
                .hist
                .as_ref()
                .ok_or_else(|| Error::invalid(&mr.kernel.name, "a rate history is missing"))?;
            b.push((next, Bind::Read(h)));
            next += 1;
        }
        for &q in &mr.members {
            let g = &self.projs[q];
            for buf in [&g.csr, &g.syn, &g.sparams] {
                b.push((next, Bind::Read(buf)));
                next += 1;
            }
        }
        let threads: u32 = mr.pops[..mr.posts]
            .iter()
            .map(|&p| self.pops[p].layout.n)
            .sum();
        self.pass(&mr.kernel, &b, grid(threads))
    }

    /// The pass of a merged spike delivery, bound to its members' buffers.
    fn merged_spike_pass(&self, mg: &MergedPlan) -> Result<Pass> {
        let mut b = vec![(0, Bind::Clock)];
        for (k, &post) in mg.posts.iter().enumerate() {
            b.push((1 + k as u32, Bind::Write(&self.pops[post].state)));
        }
        // Members and pres follow the posts (codegen::spike_propagate_merged).
        let mut next = 1 + mg.posts.len() as u32;
        for (i, (&q, &binds)) in mg.members.iter().zip(&mg.binds).enumerate() {
            b.push((next, Bind::Read(&self.projs[q].csr)));
            next += 1;
            let g = &self.projs[q];
            match binds {
                codegen::MemberBinds::Weights => b.push((next, Bind::Read(&g.syn))),
                codegen::MemberBinds::Ring => b.push((next, Bind::Write(&g.syn))),
                codegen::MemberBinds::General { stores, reads_pre } => {
                    b.push((
                        next,
                        if stores {
                            Bind::Write(&g.syn)
                        } else {
                            Bind::Read(&g.syn)
                        },
                    ));
                    b.push((next + 1, Bind::Read(&g.sparams)));
                    if reads_pre {
                        let pre = mg.pres[mg.pre_of[i]];
                        b.push((next + 2, Bind::Read(&self.pops[pre].state)));
                    }
                }
                codegen::MemberBinds::Nothing => {}
            }
            next += binds.bindings() as u32;
        }
        for (p, &pre) in mg.pres.iter().enumerate() {
            let pp = &self.pops[pre];
            let (Some(count), Some(list)) = (&pp.spk_count, &pp.spk_list) else {
                return Err(Error::invalid(&mg.kernel.name, "spike ring missing"));
            };
            b.push((next + 2 * p as u32, Bind::Read(count)));
            b.push((next + 1 + 2 * p as u32, Bind::Read(list)));
        }
        self.pass(&mg.kernel, &b, (mg.groups, 1))
    }

    /// Gives a shareable projection a weight buffer of one value (`shared`)
    /// or of one a synapse (zeroed: the caller writes the weights) and binds
    /// the passes that read it (its own or its merged group's) to it.
    fn rebind_weights(&mut self, qi: usize, shared: bool) -> Result<()> {
        let Some((kernel, pre, post)) = self.projs[qi].shareable.clone() else {
            return Ok(());
        };
        let bytes = if shared {
            4
        } else {
            u64::from(self.projs[qi].layout.nsyn) * 4
        };
        let syn = self.zeroed(&format!("{}: synapses", kernel.name), bytes)?;
        // All or nothing: should a pass fail, the old buffer and passes stay.
        let old = std::mem::replace(&mut self.projs[qi].syn, syn);
        let merged = self
            .merged_plans
            .iter()
            .position(|m| m.members.contains(&qi));
        let passes = (|| -> Result<(Option<Pass>, Option<Pass>)> {
            let own = match self.projs[qi].pass {
                Some(_) => {
                    let q = &self.projs[qi];
                    let b = spike_binds(
                        &kernel.name,
                        &self.pops[post],
                        &self.pops[pre],
                        &q.csr,
                        &q.syn,
                        &q.sparams,
                        false,
                        false,
                    )?;
                    let groups = spike_groups(self.pops[pre].layout.n);
                    Some(self.pass(&kernel, &b, (groups, 1))?)
                }
                None => None,
            };
            let group = match merged {
                Some(mi) => Some(self.merged_spike_pass(&self.merged_plans[mi])?),
                None => None,
            };
            Ok((own, group))
        })();
        match passes {
            Ok((own, group)) => {
                if own.is_some() {
                    self.projs[qi].pass = own;
                }
                if let (Some(mi), Some(g)) = (merged, group) {
                    self.merged[mi] = g;
                }
                self.projs[qi].shared = shared;
                Ok(())
            }
            Err(e) => {
                self.projs[qi].syn = old;
                Err(e)
            }
        }
    }

    /// Writes a projection's per-synapse values (post order, all local
    /// slots, or one value for all): a shareable projection's weights go
    /// to a buffer of one value when they all are one, of one a synapse
    /// otherwise (allocated and bound again when that changes).
    fn write_synapses(&mut self, qi: usize, values: &[f32]) -> Result<()> {
        let q = &self.projs[qi];
        if q.shareable.is_some() {
            let one = shared_weight(values).filter(|_| q.layout.nsyn > 1);
            if one.is_some() != q.shared {
                self.rebind_weights(qi, one.is_some())?;
            }
            if let Some(v) = one {
                self.gpu
                    .queue
                    .write_buffer(&self.projs[qi].syn, 0, bytemuck::bytes_of(&v));
                return Ok(());
            }
        }
        let q = &self.projs[qi];
        let upload = if values.len() == 1 && q.shareable.is_some() {
            vec![values[0]; q.layout.nsyn as usize]
        } else {
            in_buffer_order(q.perm.as_deref(), values)
        };
        // Nothing to put back is nothing to write: `bytes_of` pads an
        // empty array to one value, which would land on a convolution's
        // first shared weight (its synapse buffer holds the filters).
        if !upload.is_empty() {
            self.gpu.queue.write_buffer(&q.syn, 0, &bytes_of(&upload));
        }
        Ok(())
    }

    /// Whether a projection's weights are bound as the one value all its
    /// synapses share (no per-synapse weight storage).
    pub fn shares_weight(&self, proj: usize) -> bool {
        self.projs[proj].shared
    }

    /// The pass of a merged `neuron_update`, bound to its members' buffers.
    fn merged_update_pass(&self, mu: &MergedUpdate) -> Result<Pass> {
        use codegen::PopBuf;
        let mut b = vec![(0, Bind::Clock)];
        let mut threads = 0u32;
        for (&p, binds) in mu.members.iter().zip(&mu.binds) {
            let gp = &self.pops[p];
            threads += gp.layout.n;
            for &(buf, at) in binds {
                let missing = || Error::invalid(&mu.kernel.name, "a population buffer is missing");
                b.push((
                    at,
                    match buf {
                        PopBuf::State => Bind::Write(&gp.state),
                        PopBuf::Params => Bind::Read(&gp.params),
                        PopBuf::SpikeCount => {
                            Bind::Write(gp.spk_count.as_ref().ok_or_else(missing)?)
                        }
                        PopBuf::SpikeList => Bind::Write(gp.spk_list.as_ref().ok_or_else(missing)?),
                        PopBuf::Bits => Bind::Write(gp.bits.as_ref().ok_or_else(missing)?),
                        PopBuf::Hist => Bind::Write(gp.hist.as_ref().ok_or_else(missing)?),
                        PopBuf::Feed => Bind::Read(gp.feed.as_ref().ok_or_else(missing)?),
                        PopBuf::Last => Bind::Write(gp.last.as_ref().ok_or_else(missing)?),
                    },
                ));
            }
        }
        self.pass(&mu.kernel, &b, grid(threads))
    }

    /// Sets when a projection's learning rule runs.
    pub(crate) fn set_learning(&mut self, proj: usize, l: crate::engine::Learning) {
        self.projs[proj].learning = l;
    }

    /// Replaces a population's input table (same kind, same variable).
    pub(crate) fn set_feed(&mut self, pop: usize, feed: &crate::network::feed::Feed) -> Result<()> {
        let name = format!("population {pop}: input table");
        let buf = self.storage(&name, bytemuck::cast_slice(&feed.words()))?;
        self.pops[pop].feed = Some(buf);
        // A merged update binds the table too: rebind the whole group.
        if let Some(ui) = self
            .merged_updates
            .iter()
            .position(|(mu, _)| mu.members.contains(&pop))
        {
            let pass = self.merged_update_pass(&self.merged_updates[ui].0)?;
            self.merged_updates[ui].1 = pass;
            return Ok(());
        }
        let pass = self.update_pass(&self.pops[pop])?;
        self.pops[pop].update = Some(pass);
        Ok(())
    }

    /// The dynamic state, for saving (spike lists sorted by rank).
    pub(crate) fn snapshot(&self) -> Result<crate::engine::Snapshot> {
        let mut pops = Vec::new();
        for p in &self.pops {
            let l = &p.layout;
            let n = l.n as usize;
            let state: Vec<f32> =
                bytemuck::pod_collect_to_vec(&self.read(&p.state, 0, p.state.size())?);
            let vars = (0..l.local.len())
                .map(|slot| match (l.local[slot], l.global[slot]) {
                    (Some(li), _) => state[li as usize * n..(li as usize + 1) * n].to_vec(),
                    (None, Some(g)) => vec![p.params_host[g as usize]],
                    _ => Vec::new(),
                })
                .collect();
            let mut spikes = Vec::new();
            if let (Some(c), Some(li)) = (&p.spk_count, &p.spk_list) {
                let r = u64::from(l.ring);
                let counts: Vec<u32> = bytemuck::pod_collect_to_vec(&self.read(c, 0, c.size())?);
                let lists: Vec<u32> = bytemuck::pod_collect_to_vec(&self.read(li, 0, li.size())?);
                for age in 1..r {
                    let slot = ((self.ring + r * age - age) % r) as usize;
                    let k = counts[slot] as usize;
                    let mut v = lists[slot * n..slot * n + k].to_vec();
                    v.sort_unstable();
                    spikes.push(v);
                }
            }
            let mut hist = Vec::new();
            if let Some(h) = &p.hist {
                let rh = i64::from(l.hist_ring);
                let k = l.hist_slots.len();
                let all: Vec<f32> = bytemuck::pod_collect_to_vec(&self.read(h, 0, h.size())?);
                for (j, &slot) in l.hist_slots.iter().enumerate() {
                    let rows = (0..rh)
                        .map(|age| {
                            let row = (self.ring as i64 - 2 - age).rem_euclid(rh) as usize;
                            let at = (row * k + j) * n;
                            all[at..at + n].to_vec()
                        })
                        .collect();
                    hist.push((slot, rows));
                }
            }
            pops.push(crate::engine::PopSnapshot { vars, spikes, hist });
        }
        let (mut projs, mut rings) = (Vec::new(), Vec::new());
        for (qi, q) in self.projs.iter().enumerate() {
            let mut v = (0..q.layout.local.len())
                .map(|slot| self.synapse_values(qi, slot))
                .collect::<Result<Vec<_>>>()?;
            if let Some(b) = &q.win {
                let all: Vec<f32> = bytemuck::pod_collect_to_vec(&self.read(b, 0, b.size())?);
                let (w, n) = (i64::from(q.window), q.n_post as usize);
                for age in 0..w {
                    let row = (self.ring as i64 - 1 - age).rem_euclid(w) as usize;
                    v.push(all[row * n..(row + 1) * n].to_vec());
                }
            }
            projs.push(v);
            rings.push(match q.delay_ring {
                Some(depth) => {
                    let all: Vec<f32> =
                        bytemuck::pod_collect_to_vec(&self.read(&q.syn, 0, q.syn.size())?);
                    crate::engine::ring_rows(&all, depth, self.ring_pos(depth), false)
                }
                None => Vec::new(),
            });
        }
        Ok(crate::engine::Snapshot { pops, projs, rings })
    }

    /// Puts back a state taken from an engine of the same network (checked
    /// by the caller).
    pub(crate) fn restore(&mut self, s: &crate::engine::Snapshot) -> Result<()> {
        let q = &self.gpu.queue;
        for (p, ps) in self.pops.iter_mut().zip(&s.pops) {
            let l = &p.layout;
            let n = l.n as usize;
            let (state, params) = codegen::pack_values(&ps.vars, &l.local, n, 0);
            q.write_buffer(&p.state, 0, &bytes_of(&state));
            q.write_buffer(&p.params, 0, &bytes_of(&params));
            p.params_host = params;
            if let (Some(c), Some(li)) = (&p.spk_count, &p.spk_list) {
                let r = u64::from(l.ring);
                let mut counts = vec![0u32; r as usize];
                let mut lists = vec![0u32; r as usize * n];
                for (i, v) in ps.spikes.iter().enumerate() {
                    let age = i as u64 + 1;
                    let slot = ((self.ring + r * age - age) % r) as usize;
                    counts[slot] = v.len() as u32;
                    lists[slot * n..slot * n + v.len()].copy_from_slice(v);
                }
                q.write_buffer(c, 0, bytemuck::cast_slice(&counts));
                q.write_buffer(li, 0, bytemuck::cast_slice(&lists));
            }
            if let Some(b) = &p.last {
                // The previous step's spikes, as its neuron_update wrote them.
                let mut last = vec![0u32; n];
                for &i in ps.spikes.first().map(Vec::as_slice).unwrap_or(&[]) {
                    last[i as usize] = (self.ring + 1) as u32;
                }
                q.write_buffer(b, 0, bytemuck::cast_slice(&last));
            }
            if let Some(h) = &p.hist {
                let rh = i64::from(l.hist_ring);
                let k = l.hist_slots.len();
                let mut all = vec![0.0f32; rh as usize * k * n];
                for (j, (_, rows)) in ps.hist.iter().enumerate() {
                    for (age, v) in rows.iter().enumerate() {
                        let row = (self.ring as i64 - 2 - age as i64).rem_euclid(rh) as usize;
                        let at = (row * k + j) * n;
                        all[at..at + n].copy_from_slice(v);
                    }
                }
                q.write_buffer(h, 0, bytemuck::cast_slice(&all));
            }
        }
        let mut synapses = Vec::with_capacity(self.projs.len());
        for (g, vals) in self.projs.iter_mut().zip(&s.projs) {
            let nsyn = g.layout.nsyn as usize;
            let (vals, window) = vals.split_at(g.layout.local.len());
            if let Some(b) = &g.win {
                let (w, n) = (i64::from(g.window), g.n_post as usize);
                let mut all = vec![0.0f32; w as usize * n];
                for (age, v) in window.iter().enumerate() {
                    let row = (self.ring as i64 - 1 - age as i64).rem_euclid(w) as usize;
                    all[row * n..(row + 1) * n].copy_from_slice(v);
                }
                q.write_buffer(b, 0, bytemuck::cast_slice(&all));
            }
            let (syn, shared) = codegen::pack_values(vals, &g.layout.local, nsyn, 0);
            synapses.push(syn);
            if !shared.is_empty() {
                q.write_buffer(&g.sparams, 0, &bytes_of(&shared));
            }
            g.sparams_host = shared;
        }
        for (qi, syn) in synapses.iter().enumerate() {
            self.write_synapses(qi, syn)?;
        }
        for (g, rows) in self.projs.iter().zip(&s.rings) {
            if let Some(depth) = g.delay_ring {
                let all = crate::engine::ring_rows(rows, depth, self.ring_pos(depth), true);
                self.gpu
                    .queue
                    .write_buffer(&g.syn, 0, bytemuck::cast_slice(&all));
            }
        }
        Ok(())
    }

    /// The row of a delay ring of `depth` rows the next step flushes, as
    /// the kernel computes it from the clock's (32-bit) ring counter.
    fn ring_pos(&self, depth: u32) -> u32 {
        (self.ring as u32) % depth
    }

    /// The shape of the histories, as `CpuEngine::history_shape`.
    pub(crate) fn history_shape(&self) -> Vec<(usize, Vec<(u32, usize)>)> {
        self.pops
            .iter()
            .map(|p| {
                let l = &p.layout;
                (
                    l.ring.saturating_sub(1) as usize,
                    l.hist_slots
                        .iter()
                        .map(|s| (*s, l.hist_ring as usize))
                        .collect(),
                )
            })
            .collect()
    }

    /// Changes the seed of run-time random draws.
    pub fn set_seed(&mut self, seed: u64) {
        self.seed = seed;
    }

    /// The device this engine runs on.
    pub fn device(&self) -> &DeviceInfo {
        &self.gpu.info
    }

    fn check_size(&self, what: &str, size: u64) -> Result<()> {
        let l = &self.gpu.limits;
        if size > l.max_buffer_size {
            return Err(Error::Limit {
                buffer: what.to_string(),
                size,
                limit: l.max_buffer_size,
                limit_name: "max_buffer_size".into(),
            });
        }
        if size > l.max_storage_buffer_binding_size {
            return Err(Error::Limit {
                buffer: what.to_string(),
                size,
                limit: l.max_storage_buffer_binding_size,
                limit_name: "max_storage_buffer_binding_size".into(),
            });
        }
        Ok(())
    }

    fn storage(&self, what: &str, data: &[u8]) -> Result<wgpu::Buffer> {
        self.check_size(what, data.len() as u64)?;
        let size = (data.len() as u64).max(4).div_ceil(4) * 4;
        let b = self.zeroed(what, size)?;
        self.gpu.queue.write_buffer(&b, 0, data);
        Ok(b)
    }

    fn zeroed(&self, what: &str, size: u64) -> Result<wgpu::Buffer> {
        self.check_size(what, size)?;
        self.gpu.checked(&format!("allocating {what}"), || {
            self.gpu.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(what),
                size: size.max(4),
                usage: wgpu::BufferUsages::STORAGE
                    | wgpu::BufferUsages::COPY_SRC
                    | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        })
    }

    fn pass(&self, k: &Kernel, binds: &[(u32, Bind)], grid: (u32, u32)) -> Result<Pass> {
        let atomics = self.gpu.info.float_atomics;
        let module = codegen::validate(k, atomics)?;
        let d = &self.gpu.device;
        self.gpu
            .checked(&format!("creating kernel {}", k.name), || {
                let entries: Vec<wgpu::BindGroupLayoutEntry> = binds
                    .iter()
                    .map(|(i, b)| wgpu::BindGroupLayoutEntry {
                        binding: *i,
                        visibility: wgpu::ShaderStages::COMPUTE,
                        ty: match b {
                            Bind::Clock => wgpu::BindingType::Buffer {
                                ty: wgpu::BufferBindingType::Uniform,
                                has_dynamic_offset: true,
                                min_binding_size: None,
                            },
                            Bind::Uniform(_) => wgpu::BindingType::Buffer {
                                ty: wgpu::BufferBindingType::Uniform,
                                has_dynamic_offset: false,
                                min_binding_size: None,
                            },
                            Bind::Read(_) => wgpu::BindingType::Buffer {
                                ty: wgpu::BufferBindingType::Storage { read_only: true },
                                has_dynamic_offset: false,
                                min_binding_size: None,
                            },
                            Bind::Write(_) => wgpu::BindingType::Buffer {
                                ty: wgpu::BufferBindingType::Storage { read_only: false },
                                has_dynamic_offset: false,
                                min_binding_size: None,
                            },
                        },
                        count: None,
                    })
                    .collect();
                let bgl = d.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                    label: Some(&k.name),
                    entries: &entries,
                });
                let group_entries: Vec<wgpu::BindGroupEntry> = binds
                    .iter()
                    .map(|(i, b)| wgpu::BindGroupEntry {
                        binding: *i,
                        resource: match b {
                            Bind::Clock => wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                                buffer: &self.clock,
                                offset: 0,
                                size: wgpu::BufferSize::new(std::mem::size_of::<Clock>() as u64),
                            }),
                            Bind::Uniform(x) | Bind::Read(x) | Bind::Write(x) => {
                                x.as_entire_binding()
                            }
                        },
                    })
                    .collect();
                let group = d.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some(&k.name),
                    layout: &bgl,
                    entries: &group_entries,
                });
                let layout = d.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                    label: Some(&k.name),
                    bind_group_layouts: &[Some(&bgl)],
                    immediate_size: 0,
                });
                let sm = d.create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some(&k.name),
                    source: wgpu::ShaderSource::Naga(Cow::Owned(module)),
                });
                let pipeline = d.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                    label: Some(&k.name),
                    layout: Some(&layout),
                    module: &sm,
                    entry_point: Some("main"),
                    compilation_options: Default::default(),
                    cache: None,
                });
                Pass {
                    pipeline,
                    group,
                    grid,
                }
            })
    }

    fn reset_history(&mut self) {
        for q in &self.projs {
            if let Some(b) = &q.win {
                self.gpu
                    .queue
                    .write_buffer(b, 0, &vec![0u8; b.size() as usize]);
            }
        }
        for p in &self.pops {
            if let Some(b) = &p.last {
                self.gpu
                    .queue
                    .write_buffer(b, 0, &vec![0u8; b.size() as usize]);
            }
            if let Some(c) = &p.spk_count {
                self.gpu
                    .queue
                    .write_buffer(c, 0, &vec![0u8; p.layout.ring as usize * 4]);
            }
            if let Some(h) = &p.hist {
                let n = p.layout.n as usize;
                let mut v = Vec::new();
                for _ in 0..p.layout.hist_ring {
                    for &s in &p.layout.hist_slots {
                        let li = p.layout.local[s as usize].unwrap_or(0) as usize;
                        v.extend_from_slice(&p.init_state[li * n..(li + 1) * n]);
                    }
                }
                self.gpu.queue.write_buffer(h, 0, bytemuck::cast_slice(&v));
            }
        }
    }

    /// Back to the values at compile time; histories emptied.
    pub fn reset(&mut self) {
        for p in &mut self.pops {
            self.gpu
                .queue
                .write_buffer(&p.state, 0, &bytes_of(&p.init_state));
            self.gpu
                .queue
                .write_buffer(&p.params, 0, &bytes_of(&p.init_params));
            p.params_host.clone_from(&p.init_params);
        }
        for qi in 0..self.projs.len() {
            let init = std::mem::take(&mut self.projs[qi].init_syn);
            // Weights shared at the start are shared again; should binding
            // fail (the buffer then stays one a synapse), every synapse
            // gets the shared value.
            if self.write_synapses(qi, &init).is_err() {
                let q = &self.projs[qi];
                let all = vec![init[0]; q.layout.nsyn as usize];
                self.gpu.queue.write_buffer(&q.syn, 0, &bytes_of(&all));
            }
            self.projs[qi].init_syn = init;
        }
        for q in &mut self.projs {
            self.gpu
                .queue
                .write_buffer(&q.sparams, 0, &bytes_of(&q.init_sparams));
            q.sparams_host.clone_from(&q.init_sparams);
        }
        self.reset_history();
    }

    fn read(&self, buf: &wgpu::Buffer, offset: u64, len: u64) -> Result<Vec<u8>> {
        if len == 0 {
            return Ok(Vec::new());
        }
        let d = &self.gpu.device;
        let staging = d.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size: len,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut enc = d.create_command_encoder(&Default::default());
        enc.copy_buffer_to_buffer(buf, offset, &staging, 0, len);
        self.gpu.queue.submit([enc.finish()]);
        self.map(&[&staging]).map(|mut v| v.remove(0))
    }

    /// Maps staging buffers after the last submission and returns their bytes.
    fn map(&self, bufs: &[&wgpu::Buffer]) -> Result<Vec<Vec<u8>>> {
        let (tx, rx) = std::sync::mpsc::channel();
        for (i, b) in bufs.iter().enumerate() {
            let tx = tx.clone();
            b.slice(..).map_async(wgpu::MapMode::Read, move |r| {
                let _ = tx.send((i, r));
            });
        }
        drop(tx);
        self.gpu
            .device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| Error::Gpu {
                context: "waiting for the GPU".into(),
                message: e.to_string(),
            })?;
        for (_, r) in rx.iter() {
            r.map_err(|e| Error::Gpu {
                context: "reading results back".into(),
                message: e.to_string(),
            })?;
        }
        let mut out = Vec::with_capacity(bufs.len());
        for b in bufs {
            let v = b
                .slice(..)
                .get_mapped_range()
                .map_err(|e| Error::Gpu {
                    context: "reading results back".into(),
                    message: e.to_string(),
                })?
                .to_vec();
            b.unmap();
            out.push(v);
        }
        Ok(out)
    }

    /// The values of a population slot (length n, or 1 if population-wide).
    pub fn slot_values(&self, pop: usize, slot: usize) -> Result<Vec<f32>> {
        let p = &self.pops[pop];
        match p.layout.offset(slot as u32) {
            Some(o) => {
                let bytes = self.read(&p.state, o as u64 * 4, p.layout.n as u64 * 4)?;
                Ok(bytemuck::pod_collect_to_vec(&bytes))
            }
            None => Ok(vec![
                p.params_host[p.layout.global[slot].unwrap_or(0) as usize],
            ]),
        }
    }

    /// Writes a population slot (length n, or 1 if population-wide).
    pub fn set_slot(&mut self, pop: usize, slot: usize, values: &[f32]) {
        let p = &mut self.pops[pop];
        match p.layout.offset(slot as u32) {
            Some(o) => {
                self.gpu
                    .queue
                    .write_buffer(&p.state, o as u64 * 4, bytemuck::cast_slice(values))
            }
            None => {
                let g = p.layout.global[slot].unwrap_or(0) as usize;
                p.params_host[g] = values[0];
                self.gpu.queue.write_buffer(
                    &p.params,
                    g as u64 * 4,
                    bytemuck::cast_slice(&values[..1]),
                );
            }
        }
    }

    /// Writes one neuron's value of a per-neuron slot.
    pub fn set_one(&mut self, pop: usize, slot: usize, rank: usize, value: f32) {
        let p = &self.pops[pop];
        if let Some(o) = p.layout.offset(slot as u32) {
            self.gpu.queue.write_buffer(
                &p.state,
                (o as u64 + rank as u64) * 4,
                bytemuck::bytes_of(&value),
            );
        }
    }

    /// Per-synapse values of a projection slot in (post, pre) order (length
    /// 1 for projection-wide ones).
    pub fn synapse_values(&self, proj: usize, slot: usize) -> Result<Vec<f32>> {
        let q = &self.projs[proj];
        let nsyn = q.layout.nsyn as u64;
        match (q.layout.local[slot], q.layout.global[slot]) {
            (Some(_), _) if q.shared => {
                let v: Vec<f32> = bytemuck::pod_collect_to_vec(&self.read(&q.syn, 0, 4)?);
                Ok(vec![v[0]; nsyn as usize])
            }
            (Some(li), _) => {
                let v: Vec<f32> = bytemuck::pod_collect_to_vec(&self.read(
                    &q.syn,
                    li as u64 * nsyn * 4,
                    nsyn * 4,
                )?);
                Ok(match &q.perm {
                    Some(perm) => {
                        let mut out = vec![0.0; v.len()];
                        for (e, &j) in perm.iter().enumerate() {
                            out[j as usize] = v[e];
                        }
                        out
                    }
                    None => v,
                })
            }
            (None, Some(g)) => Ok(vec![q.sparams_host[g as usize]]),
            _ => Ok(Vec::new()),
        }
    }

    /// Writes a projection slot: one value per synapse in (post, pre)
    /// order, or one value for a projection-wide slot.
    pub fn set_synapse_values(&mut self, proj: usize, slot: usize, values: &[f32]) -> Result<()> {
        // The weights of a shareable projection (its only per-synapse
        // slot): shared if they all are one value and the buffer holds one.
        if self.projs[proj].shareable.is_some() && self.projs[proj].layout.local[slot].is_some() {
            return self.write_synapses(proj, values);
        }
        let q = &mut self.projs[proj];
        let nsyn = q.layout.nsyn as u64;
        match (q.layout.local[slot], q.layout.global[slot]) {
            (Some(li), _) if nsyn > 0 => {
                let v = in_buffer_order(q.perm.as_deref(), values);
                self.gpu.queue.write_buffer(
                    &q.syn,
                    u64::from(li) * nsyn * 4,
                    bytemuck::cast_slice(&v),
                );
            }
            (None, Some(g)) => {
                q.sparams_host[g as usize] = values[0];
                self.gpu
                    .queue
                    .write_buffer(&q.sparams, 0, bytemuck::cast_slice(&q.sparams_host));
            }
            _ => {}
        }
        Ok(())
    }

    /// Runs `n` steps from `step0`; `time(s)` is the time of step `s`.
    /// Active monitors get their samples and spikes.
    pub(crate) fn run(
        &mut self,
        step0: u64,
        n: u64,
        time: &dyn Fn(u64) -> f64,
        monitors: &mut [MonitorState],
    ) -> Result<()> {
        let key = [self.seed as u32, (self.seed >> 32) as u32];
        let mut done = 0u64;
        while done < n {
            let first = step0 + done;
            let mut k = (n - done).min(self.chunk as u64);
            for (m, gm) in monitors.iter().zip(&self.mons) {
                if m.active && gm.cap_rows > 0 {
                    k = k.min((gm.cap_rows as u64 - 1) * m.spec.period + 1);
                }
            }
            self.chunk_run(first, k, key, time, monitors)?;
            done += k;
        }
        // `simulate` returns when the steps are done (timings and errors
        // mean what they say), not when they are queued.
        self.gpu
            .device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| Error::Gpu {
                context: "waiting for the GPU".into(),
                message: e.to_string(),
            })?;
        Ok(())
    }

    fn chunk_run(
        &mut self,
        first: u64,
        k: u64,
        key: [u32; 2],
        time: &dyn Fn(u64) -> f64,
        monitors: &mut [MonitorState],
    ) -> Result<()> {
        let g = self.gpu.clone();
        let stride = self.stride as usize;
        let mut clocks = vec![0u8; stride * k as usize];
        for r in 0..k {
            let c = Clock {
                step: (first + r) as u32,
                row: r as u32,
                t: time(first + r) as f32,
                pad0: 0,
                key,
                ring: (self.ring + r) as u32,
                pad1: 0,
            };
            let at = r as usize * stride;
            clocks[at..at + std::mem::size_of::<Clock>()].copy_from_slice(bytemuck::bytes_of(&c));
        }
        g.queue.write_buffer(&self.clock, 0, &clocks);
        // Sample steps of each monitor in this chunk.
        let mut samples: Vec<Vec<u64>> = Vec::with_capacity(monitors.len());
        for (m, gm) in monitors.iter().zip(&self.mons) {
            let mut s = Vec::new();
            if m.active && gm.pass.is_some() {
                for st in first..first + k {
                    if (st - m.start_step).is_multiple_of(m.spec.period) {
                        s.push(st);
                    }
                }
            }
            if let (Some(&f), Some(u)) = (s.first(), &gm.sampling) {
                let smp = Sampling {
                    first: f as u32,
                    period: m.spec.period as u32,
                };
                g.queue.write_buffer(u, 0, bytemuck::bytes_of(&smp));
            }
            samples.push(s);
        }
        let spike_mons: Vec<bool> = monitors.iter().map(|m| m.active && m.spec.spikes).collect();
        let mut enc = g.device.create_command_encoder(&Default::default());
        for p in &self.pops {
            if let Some(b) = &p.bits {
                enc.clear_buffer(b, 0, None);
            }
        }
        {
            let mut pass = enc.begin_compute_pass(&Default::default());
            let run = |pass: &mut wgpu::ComputePass, p: &Pass, off: u32| {
                pass.set_pipeline(&p.pipeline);
                pass.set_bind_group(0, &p.group, &[off]);
                pass.dispatch_workgroups(p.grid.0, p.grid.1, 1);
            };
            for r in 0..k {
                let off = (r as usize * stride) as u32;
                let st = first + r;
                for (pi, p) in self.pops.iter().enumerate() {
                    if let Some(ci) = self.clear_at[pi] {
                        run(&mut pass, &self.merged_clears[ci], off);
                    }
                    if let Some(c) = &p.clear {
                        run(&mut pass, c, off);
                    }
                }
                // A merged delivery runs when every plastic member learns
                // this step; otherwise its members run their own passes.
                let whole = self.whole_groups(
                    self.merged_plans.iter().map(|m| m.members.as_slice()),
                    st,
                    |q| q.frozen.is_some(),
                );
                for (qi, q) in self.projs.iter().enumerate() {
                    if let Some(mi) = self.merged_at[qi] {
                        if whole[mi] {
                            run(&mut pass, &self.merged[mi], off);
                        }
                    }
                    if q.group.is_some_and(|mi| whole[mi]) {
                        continue;
                    }
                    if let Some(ri) = self.rates_at[qi] {
                        run(&mut pass, &self.merged_rates[ri], off);
                    }
                    let x = match (&q.frozen, q.learning.due(st)) {
                        (Some(f), false) => Some(f),
                        _ => q.pass.as_ref(),
                    };
                    if let Some(x) = x {
                        run(&mut pass, x, off);
                    }
                }
                for (pi, p) in self.pops.iter().enumerate() {
                    if let Some(ui) = self.update_at[pi] {
                        run(&mut pass, &self.merged_updates[ui].1, off);
                    }
                    if let Some(u) = &p.update {
                        run(&mut pass, u, off);
                    }
                }
                // As for deliveries: a merged post_spike runs when every
                // member whose learning can be off learns this step.
                let whole_post = self.whole_groups(
                    self.merged_posts.iter().map(|(m, _)| m.as_slice()),
                    st,
                    |q| q.post_frozen.is_some(),
                );
                // A rule runs only while its learning is on.
                let whole_learn = self.whole_groups(
                    self.merged_learns.iter().map(|(m, _)| m.as_slice()),
                    st,
                    |_| true,
                );
                for (qi, q) in self.projs.iter().enumerate() {
                    let due = q.learning.due(st);
                    if let Some(li) = self.learns_at[qi] {
                        if whole_learn[li] {
                            run(&mut pass, &self.merged_learns[li].1, off);
                        }
                    }
                    let merged_learn = q.learn_group.is_some_and(|li| whole_learn[li]);
                    if let (Some(l), true, false) = (&q.learn, due, merged_learn) {
                        run(&mut pass, l, off);
                    }
                    if let Some(pi) = self.posts_at[qi] {
                        if whole_post[pi] {
                            run(&mut pass, &self.merged_posts[pi].1, off);
                        }
                    }
                    if q.post_group.is_some_and(|pi| whole_post[pi]) {
                        continue;
                    }
                    let post = match (&q.post_frozen, due) {
                        (Some(f), false) => Some(f),
                        _ => q.post.as_ref(),
                    };
                    if let Some(p) = post {
                        run(&mut pass, p, off);
                    }
                }
                for (gm, s) in self.mons.iter().zip(&samples) {
                    if let Some(x) = &gm.pass {
                        if s.binary_search(&st).is_ok() {
                            run(&mut pass, x, off);
                        }
                    }
                }
            }
        }
        // Copy what monitors need into staging buffers.
        let mut staging: Vec<(usize, bool, wgpu::Buffer)> = Vec::new();
        for (mi, (gm, s)) in self.mons.iter().zip(&samples).enumerate() {
            if let (Some(buf), false) = (&gm.buf, s.is_empty()) {
                let len = s.len() as u64 * gm.row_len as u64 * 4;
                let st = g.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("monitor readback"),
                    size: len,
                    usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                });
                enc.copy_buffer_to_buffer(buf, 0, &st, 0, len);
                staging.push((mi, false, st));
            }
        }
        let mut bit_pops: Vec<usize> = Vec::new();
        for (mi, on) in spike_mons.iter().enumerate() {
            let p = self.mons[mi].pop;
            if *on && self.pops[p].bits.is_some() && !bit_pops.contains(&p) {
                bit_pops.push(p);
            }
        }
        for &p in &bit_pops {
            let words = u64::from(self.pops[p].layout.n.div_ceil(32));
            let len = k * words * 4;
            let st = g.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("spike readback"),
                size: len,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            if let Some(b) = &self.pops[p].bits {
                enc.copy_buffer_to_buffer(b, 0, &st, 0, len);
            }
            staging.push((p, true, st));
        }
        g.checked("running a chunk of steps", || {
            g.queue.submit([enc.finish()]);
        })?;
        self.ring += k;
        if staging.is_empty() {
            return Ok(());
        }
        let bufs: Vec<&wgpu::Buffer> = staging.iter().map(|s| &s.2).collect();
        let data = self.map(&bufs)?;
        for ((idx, is_bits, _), bytes) in staging.iter().zip(data) {
            let words: Vec<u32> = bytemuck::pod_collect_to_vec(&bytes);
            if *is_bits {
                let p = *idx;
                let w = self.pops[p].layout.n.div_ceil(32) as usize;
                for (mi, m) in monitors.iter_mut().enumerate() {
                    if !spike_mons[mi] || self.mons[mi].pop != p {
                        continue;
                    }
                    for r in 0..k as usize {
                        for (wi, &word) in words[r * w..(r + 1) * w].iter().enumerate() {
                            let mut bits = word;
                            while bits != 0 {
                                let b = bits.trailing_zeros();
                                bits &= bits - 1;
                                let i = wi as u32 * 32 + b;
                                if m.member.as_ref().is_none_or(|v| v[i as usize]) {
                                    m.spikes.push((first + r as u64, i));
                                }
                            }
                        }
                    }
                }
            } else {
                let mi = *idx;
                let m = &mut monitors[mi];
                let vals: Vec<f32> = bytemuck::cast_slice(&words).to_vec();
                let row_len = self.mons[mi].row_len as usize;
                for (ri, &st) in samples[mi].iter().enumerate() {
                    let row = &vals[ri * row_len..(ri + 1) * row_len];
                    // The kernel records whole populations; a view keeps
                    // its neurons.
                    let mut off = 0;
                    let n = self.pops[m.spec.pop.0].layout.n as usize;
                    for (vi, buf) in m.buffers.iter_mut().enumerate() {
                        let len = if m.local[vi] { n } else { 1 };
                        crate::engine::cpu::record::append(
                            &row[off..off + len],
                            m.spec.ranks.as_deref(),
                            buf,
                        );
                        off += len;
                    }
                    m.sample_steps.push(st);
                }
            }
        }
        Ok(())
    }
}

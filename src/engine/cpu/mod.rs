//! The CPU reference engine: the same step as the GPU engine, kernel by
//! kernel, in R (each kernel in its own file, named after its WGSL twin).

mod build;
pub mod clear_inputs;
pub mod convolve;
pub mod current_inject;
pub mod decode;
mod dist;
mod flush;
pub mod jit;
pub mod jit_events;
pub mod neuron_update;
pub mod post_spike;
pub mod rate_sum;
pub mod record;
pub mod spike_convolve;
pub mod spike_convolve_gather;
pub mod spike_gather;
pub mod spike_procedural;
pub mod spike_procedural_ordered;
pub mod spike_propagate;
mod step;
pub mod synapse_update;
pub mod vm;
mod wide;

use std::collections::VecDeque;

use std::sync::Arc;

use crate::engine::schedule::{Group, Schedule, Stage};
use crate::engine::{MonitorState, ProjectionKind};
use crate::error::Result;
use crate::lang::ir::{Locality, NeuronIr, SynapseIr};
use crate::network::model::Operation;
use crate::network::Network;
use crate::real::{Real, Reals};
use neuron_update::{lane_room, NeuronKernel};
use rate_sum::PspKernel;
use spike_propagate::{EventCtx, PreCsr};
use vm::VmReal;

/// Random-stream objects: populations use `pop << 12`, projections
/// `PROJ_OBJECT | proj << 12`, so that streams never collide.
pub const PROJ_OBJECT: u32 = 1 << 31;

/// The stream of a procedural projection's synapses: the last of the
/// projection's 4096 (synapse models number theirs from 0).
pub fn procedural_object(proj: usize) -> u32 {
    PROJ_OBJECT | ((proj as u32) << 12) | 0xFFF
}

/// The arrays of a population's `slots`, in order (what `pre.x` and
/// `post.x` of a synapse read), in `list`'s allocation.
fn slices<'a, R>(list: Vec<&'static [R]>, vars: &'a [Vec<R>], slots: &[usize]) -> Vec<&'a [R]> {
    let mut list = relist(list);
    list.extend(slots.iter().map(|&s| vars[s].as_slice()));
    list
}

/// A projection's values as its kernels take them: the per-synapse slots
/// appended to `arrays`, the projection-wide ones to `scalars`.
#[inline]
fn value_args<'a, R: Copy>(
    arrays: &mut Vec<&'a mut [R]>,
    values: &'a mut [Vec<R>],
    vars: &[crate::lang::ir::VarDecl],
    scalars: &mut Vec<R>,
) {
    arrays.reserve(values.len());
    scalars.reserve(values.len());
    for (v, decl) in values.iter_mut().zip(vars) {
        if decl.locality == Locality::Local {
            arrays.push(v.as_mut_slice());
        } else {
            scalars.push(v[0]);
        }
    }
}

/// The weight all of `w` share (bit for bit), if they do and there are any.
pub fn shared_weight<R: Real>(w: &[R]) -> Option<R> {
    let v = *w.first()?;
    w.iter().all(|x| x.bits() == v.bits()).then_some(v)
}

/// Values where functions and comparisons have their edge cases (signed
/// zeros, halves, subnormals, overflow of `exp`, infinities, NaN), which
/// the tests of native code run against the interpreter and `eval`.
#[cfg(test)]
pub(crate) const HOSTILE: [f32; 29] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    -0.5,
    1.5,
    -2.5,
    2.5,
    3.0,
    1e-39,
    -1e-39,
    1e30,
    -1e30,
    88.0,
    89.0,
    -104.0,
    -103.0,
    f32::INFINITY,
    f32::NEG_INFINITY,
    f32::NAN,
    1e-7,
    0.499_999_97,
    8_388_609.0,
    7.3,
    -0.3,
    2.0,
    0.1,
    -7.9,
];

/// [`HOSTILE`] in precision `R`, and in f64 also the edge cases of f64
/// itself (its subnormals, the overflow and underflow of its `exp`,
/// halves and integers at the end of its mantissa, a decimal that f32
/// rounds otherwise).
#[cfg(test)]
pub(crate) fn hostile<R: Real>() -> Vec<R> {
    let mut v: Vec<R> = HOSTILE.iter().map(|&x| R::of32(x)).collect();
    if R::DTYPE == crate::real::Dtype::F64 {
        v.extend(
            [
                1e-310,
                -1e-310,
                1e300,
                -1e300,
                709.0,
                710.0,
                -745.0,
                -746.0,
                0.499_999_999_999_999_94,
                4_503_599_627_370_497.0,
                0.1,
            ]
            .map(R::of),
        );
    }
    v
}

/// The scalars every kernel's frame starts with: t, dt, then the
/// network's constants (what `Expr::Constant(k)` reads: scalar `2 + k`);
/// the kernel's own population- or projection-wide values follow.
fn frame_scalars<R: Copy>(t: R, dt: R, consts: &[R]) -> Vec<R> {
    let mut s = Vec::new();
    frame_scalars_into(&mut s, t, dt, consts);
    s
}

/// [`frame_scalars`] into a buffer kept from kernel to kernel (its old
/// content replaced).
fn frame_scalars_into<R: Copy>(s: &mut Vec<R>, t: R, dt: R, consts: &[R]) {
    s.clear();
    // From a slice: extending by an array's iterator took eleven
    // instructions a call (callgrind, gap junctions).
    s.extend_from_slice(&[t, dt]);
    // Element by element: a network has a handful of constants, often
    // none, where a memcpy call would cost more.
    s.extend(consts.iter().copied());
}

/// Buffers the step reuses rather than allocating anew at every step
/// (a small network's step is short enough for allocations to count).
pub(crate) struct Scratch<R: 'static> {
    /// The frame's scalars of the kernel being run.
    scalars: Vec<R>,
    /// Each population's spikes of the step being run.
    spiked: Vec<Vec<u32>>,
    /// Spike delivery: the (population, conductance slot) each group
    /// feeds, and those conductances, out of their populations meanwhile.
    fed: Vec<(usize, usize)>,
    gvs: Vec<Vec<R>>,
    /// The arrays a kernel call binds: empty between calls, kept for its
    /// allocation ([`relist`]).
    arrays: Vec<&'static mut [R]>,
    /// The arrays a kernel call only reads, likewise.
    reads: Vec<&'static [R]>,
}

impl<R: 'static> Default for Scratch<R> {
    fn default() -> Self {
        Scratch {
            scalars: Vec::new(),
            spiked: Vec::new(),
            fed: Vec::new(),
            gvs: Vec::new(),
            arrays: Vec::new(),
            reads: Vec::new(),
        }
    }
}

/// `list` emptied, as a list of another item type in the same allocation
/// where the two have the same layout (references of two lifetimes). A
/// step builds a list of borrowed arrays for each kernel call; on a small
/// network an allocation and a free per list cost as much as the kernel,
/// so the lists wait in [`Scratch`] between calls as `'static` lists,
/// always empty there. A collect from a map over a vector's own items
/// reuses its allocation, and the map never runs: the list is empty.
fn relist<A, B>(mut list: Vec<A>) -> Vec<B> {
    list.clear();
    list.into_iter()
        .map(|_| unreachable!("the list is empty"))
        .collect()
}

/// What the step's event-driven code reads besides the state: time, dt,
/// the network's constants, the random key and the step.
struct Now<'a, R> {
    t: R,
    dt: R,
    consts: &'a [R],
    seed: u64,
    step: u32,
}

/// Runs one spiking projection's delivery into the conductance `gv` of its
/// post-synaptic population (taken out of that population meanwhile).
fn deliver<R: VmReal>(pr: &mut ProjState<R>, pops: &[PopState<R>], gv: &mut [R], now: &Now<R>) {
    let uniform = pr.delays.len() <= 1;
    let object = PROJ_OBJECT | ((pr.index as u32) << 12);
    // While learning is off, events leave w alone (at every spike,
    // whatever the period).
    let frozen = (!pr.learning.on).then(|| pr.ir.slot("w").unwrap_or(0));
    if let ProjKind::Procedural { gen, ring, pos, .. } = &mut pr.kind {
        let spikes = &pops[pr.pre].spike_hist[gen.spike_delay() as usize - 1];
        let element = (
            (pops[pr.pre].n / pr.batch) as u32,
            (pops[pr.post].n / pr.batch) as u32,
        );
        let object = procedural_object(pr.index);
        if gen.per_synapse_delays() {
            spike_procedural::spike_procedural_delayed(
                gen, object, spikes, element, *pos, ring, gv,
            );
            *pos = (*pos + 1) % gen.delay;
        } else {
            spike_procedural::spike_procedural(gen, object, spikes, element, gv);
        }
        return;
    }
    let g_slot = match &mut pr.kind {
        ProjKind::Spike { g, more, scratch } => {
            if !more.is_empty() {
                // Several targets: the events of this step add into the
                // scratch, which the caller adds to every target.
                let mut into = std::mem::take(scratch);
                into.fill(R::ZERO);
                let g = *g;
                deliver_into(pr, pops, &mut into, now, g, frozen, uniform, object);
                gv.iter_mut().zip(&into).for_each(|(a, b)| *a += *b);
                if let ProjKind::Spike { scratch, .. } = &mut pr.kind {
                    *scratch = into;
                }
                return;
            }
            *g
        }
        ProjKind::ConvSpike { conv, .. } => {
            for &d in &pr.delays {
                let spikes = &pops[pr.pre].spike_hist[d as usize - 1];
                spike_convolve::spike_convolve(&conv.conv, spikes, gv);
            }
            return;
        }
        ProjKind::Procedural { .. } => unreachable!("delivered above"),
        ProjKind::Rate { .. }
        | ProjKind::Decode { .. }
        | ProjKind::Current { .. }
        | ProjKind::Conv { .. } => return,
    };
    deliver_into(pr, pops, gv, now, g_slot, frozen, uniform, object);
}

/// The spike events of a stored spiking projection into `gv`, the
/// conductance `g_slot` of its post-synaptic population.
#[allow(clippy::too_many_arguments)]
fn deliver_into<R: VmReal>(
    pr: &mut ProjState<R>,
    pops: &[PopState<R>],
    gv: &mut [R],
    now: &Now<R>,
    g_slot: usize,
    frozen: Option<u32>,
    uniform: bool,
    object: u32,
) {
    let (t, dt, seed, step) = (now.t, now.dt, now.seed, now.step);
    let element = (
        (pops[pr.pre].n / pr.batch) as u32,
        (pops[pr.post].n / pr.batch) as u32,
    );
    for &d in &pr.delays {
        let pre = &pops[pr.pre];
        let spikes = &pre.spike_hist[d as usize - 1];
        if spikes.is_empty() {
            continue;
        }
        if pr.ir.pre_spike_is_default {
            spike_propagate::deliver_default(&pr.csr, spikes, d, uniform, &pr.w_pre, element, gv);
        } else {
            let post = &pops[pr.post];
            // The conductance being incremented is out of its population:
            // a statement reading it (post.g_x) reads its value before this
            // delay's events.
            let snapshot: Vec<R> = if pr.post_ref_slots.contains(&g_slot) {
                gv.to_vec()
            } else {
                Vec::new()
            };
            let (pre_list, post_list) = std::mem::take(&mut pr.event_lists);
            let mut post_list = relist(post_list);
            post_list.extend(pr.post_ref_slots.iter().map(|&s| {
                if s == g_slot {
                    snapshot.as_slice()
                } else {
                    post.vars[s].as_slice()
                }
            }));
            let mut c = EventCtx {
                syn: &mut pr.values,
                pre: slices(pre_list, &pre.vars, &pr.pre_ref_slots),
                post: post_list,
                t,
                dt,
                consts: now.consts,
                seed,
                step,
                object,
            };
            spike_propagate::deliver_events(
                &pr.csr,
                spikes,
                d,
                (&pr.ir.pre_spike, pr.pre_events.as_ref()),
                &pr.syn.pre,
                frozen,
                element,
                &mut c,
                gv,
            );
            pr.event_lists = (relist(c.pre), relist(c.post));
        }
    }
}

/// State of one population.
pub struct PopState<R = f32> {
    /// Model.
    pub ir: Arc<NeuronIr>,
    /// Number of neurons.
    pub n: usize,
    /// Slot values (len n, or 1 for population-wide parameters).
    pub vars: Vec<Vec<R>>,
    /// `sum(target)` inputs.
    pub sums: Vec<Vec<R>>,
    kernel: NeuronKernel,
    /// Spikes of past steps, most recent first.
    pub spike_hist: VecDeque<Vec<u32>>,
    hist_depth: usize,
    /// Past values of slots read with delays: (slot, values after step k-2, k-3, ...).
    rate_hist: Vec<(usize, VecDeque<Vec<R>>)>,
    zero_each_step: Vec<usize>,
    /// The input table, if any (written before the equations).
    pub feed: Option<crate::network::feed::Feed>,
    /// The firing-rate window and each neuron's spike count in it
    /// (`neuron_update::firing_rate`).
    fr: Option<(crate::network::rate::FiringRate, Vec<u32>)>,
}

/// How a projection acts on its post-synaptic population.
enum ProjKind<R> {
    /// Rate-coded: adds into `sums[target]`.
    Rate {
        into: crate::engine::Input,
        psp: Option<PspKernel>,
    },
    /// Spiking: increments a conductance slot `g`, and the slots `more`
    /// of the other targets (then the events add into `scratch`, which
    /// is added to each target after the step's deliveries).
    Spike {
        g: usize,
        more: Vec<usize>,
        scratch: Vec<R>,
    },
    /// DecodingProjection: windowed spike counts into `sums[target]`.
    Decode { sum: usize, scale: R },
    /// CurrentInjection: sets conductance slot `g` to the pre slot `r`.
    Current { g: usize, r: usize },
    /// Convolution between spiking populations into conductance slot `g`.
    ConvSpike {
        g: usize,
        conv: Arc<crate::network::conv::ConvProjection>,
    },
    /// Procedural connectivity into conductance slot `g`.
    Procedural {
        g: usize,
        gen: Arc<crate::connect::procedural::Procedural>,
        /// Per-synapse delays: the inputs due at each of the next `delay`
        /// deliveries (row `pos % delay` now), post ranks across.
        ring: Vec<R>,
        /// The ring row the next delivery flushes. It counts deliveries,
        /// not the user's step number, which `set_current_step` may move.
        pos: u32,
    },
    /// Convolution or pooling into `sums[target]`.
    Conv {
        sum: usize,
        psp: Option<PspKernel>,
        conv: Arc<crate::network::conv::ConvProjection>,
        geo: convolve::ConvGeometry,
    },
}

/// State of one projection.
pub struct ProjState<R: 'static = f32> {
    index: usize,
    /// Elements of a batch: the synapse list connects neuron `i` of pre to
    /// neuron `j` of post within each element (ranks `b n + i`).
    batch: usize,
    pre: usize,
    post: usize,
    kind: ProjKind<R>,
    ir: Arc<SynapseIr>,
    op: Operation,
    row_ptr: jit::RowPtr,
    /// Every post-synaptic neuron receives from every pre-synaptic one:
    /// row position `j` is pre neuron `j` (rows are sorted by pre, no pair
    /// repeats).
    dense: bool,
    /// Which pre-synaptic neuron each row position is, where the weighted
    /// sum can tell without the indices.
    rows_are: rate_sum::Rows,
    /// The synapses (post, pre, delay by synapse), shared with the network.
    syn: Arc<crate::connect::SynapseList>,
    /// The synapses' pre-synaptic ranks as row code reads them (checked
    /// once), where a learning rule or a psp runs as row code.
    ranks: jit::Ranks,
    delays: Vec<u32>,
    /// Slot values (len nsyn, or 1 for projection-wide parameters).
    pub values: Vec<Vec<R>>,
    /// The `pre_spike` and `post_spike` statements as native code.
    pre_events: Option<jit_events::NativeEvents>,
    post_events: Option<jit_events::NativeEvents>,
    csr: PreCsr,
    /// Weights in `csr` order, for the default `g_target += w`; rebuilt
    /// whenever the weights may have changed.
    w_pre: Vec<R>,
    pre_ref_slots: Vec<usize>,
    post_ref_slots: Vec<usize>,
    out: Vec<R>,
    psp: Vec<R>,
    /// DecodingProjection: counts of the last steps, newest first.
    window: VecDeque<Vec<R>>,
    /// DecodingProjection: `1 / n_pre` per post-synaptic neuron.
    inv_n: Vec<R>,
    /// The learning rule, if the synapse model has one.
    learn: Option<synapse_update::LearnKernel>,
    /// The learning rule's gathered `pre.x` and `post.x`, one per synapse,
    /// kept from step to step for their allocations.
    gathered: Vec<Vec<R>>,
    /// The learning rule's arrays of one element a row (its shared
    /// variables' equations), kept likewise.
    row_scratch: Vec<Vec<R>>,
    /// The lists of pre- and post-synaptic arrays its events read, empty
    /// between deliveries ([`relist`]): per projection, as projections
    /// deliver on several threads at once.
    event_lists: (Vec<&'static [R]>, Vec<&'static [R]>),
    /// When it runs.
    pub(crate) learning: crate::engine::Learning,
}

/// A CPU engine for `net`, in the network's precision.
pub(crate) fn boxed(net: &Network) -> Result<Box<dyn crate::engine::interface::Engine>> {
    Ok(match net.precision() {
        crate::real::Dtype::F32 => Box::new(CpuEngine::<f32>::new(net)?),
        crate::real::Dtype::F64 => Box::new(CpuEngine::<f64>::new(net)?),
    })
}

/// A CPU engine for `net` (one rank's part of a network) as `rank` of a
/// distributed run, in the network's precision.
pub(crate) fn boxed_rank(
    net: &Network,
    rank: crate::engine::rank::Rank,
) -> Result<Box<dyn crate::engine::interface::Engine>> {
    fn made<R: VmReal>(
        net: &Network,
        rank: crate::engine::rank::Rank,
    ) -> Result<Box<dyn crate::engine::interface::Engine>> {
        let mut e = CpuEngine::<R>::new(net)?;
        e.distribute(rank);
        Ok(Box::new(e))
    }
    match net.precision() {
        crate::real::Dtype::F32 => made::<f32>(net, rank),
        crate::real::Dtype::F64 => made::<f64>(net, rank),
    }
}

/// The CPU engine, computing in `R` (the network's precision).
pub struct CpuEngine<R: 'static = f32> {
    /// Network seed (random draws).
    pub seed: u64,
    /// Time step.
    pub dt: R,
    /// Populations.
    pub pops: Vec<PopState<R>>,
    /// Projections.
    pub projs: Vec<ProjState<R>>,
    /// The network's constants, as they are now (`Expr::Constant`).
    pub consts: Vec<R>,
    /// The step: its phases and their groups (spike deliveries grouped by
    /// the population and conductance slot they feed); shared, so that a
    /// step holds it while its phases borrow the engine mutably.
    pub(crate) schedule: Arc<Schedule>,
    /// Buffers reused from step to step.
    pub(crate) scratch: Scratch<R>,
    /// Its part in a distributed run, if it is one rank of one.
    pub(crate) dist: Option<Box<crate::engine::rank::Rank>>,
    /// The network flushes subnormals to zero ([`flush`]): then the
    /// threads its steps run on, chosen at the first run (when the engine
    /// knows whether it is a rank, and in what pool it is called).
    flush_subnormals: bool,
    flush: Option<std::sync::Arc<rayon::ThreadPool>>,
}

impl<R: VmReal> CpuEngine<R> {
    /// The dynamic state, for saving.
    pub(crate) fn snapshot(&self) -> crate::engine::Snapshot {
        crate::engine::Snapshot {
            pops: self
                .pops
                .iter()
                .map(|p| crate::engine::PopSnapshot {
                    vars: p.vars.iter().cloned().map(Reals::from_vec).collect(),
                    spikes: p.spike_hist.iter().cloned().collect(),
                    hist: p
                        .rate_hist
                        .iter()
                        .map(|(s, h)| (*s as u32, h.iter().cloned().map(Reals::from_vec).collect()))
                        .collect(),
                })
                .collect(),
            projs: self
                .projs
                .iter()
                .map(|p| {
                    let mut v: Vec<Reals> = p.values.iter().cloned().map(Reals::from_vec).collect();
                    v.extend(p.window.iter().cloned().map(Reals::from_vec));
                    v
                })
                .collect(),
            rings: self
                .projs
                .iter()
                .map(|p| match &p.kind {
                    ProjKind::Procedural { gen, ring, pos, .. } if !ring.is_empty() => {
                        Reals::from_vec(crate::engine::ring_rows(ring, gen.delay, *pos, false))
                    }
                    _ => Reals::empty(R::DTYPE),
                })
                .collect(),
            constants: self.consts.iter().map(|c| c.f64()).collect(),
        }
    }

    /// Puts back a state taken by [`snapshot`](Self::snapshot) from an
    /// engine of the same network (checked by the caller).
    pub(crate) fn restore(&mut self, s: &crate::engine::Snapshot) {
        self.consts = s.constants.iter().map(|&c| R::of(c)).collect();
        for (p, q) in self.pops.iter_mut().zip(&s.pops) {
            p.vars = q.vars.iter().map(|v| lane_room(v.to())).collect();
            p.spike_hist = q.spikes.iter().cloned().collect();
            if let Some((f, counts)) = &mut p.fr {
                neuron_update::count_window(counts, &p.spike_hist, f.steps as usize);
            }
            for ((_, h), (_, v)) in p.rate_hist.iter_mut().zip(&q.hist) {
                *h = v.iter().map(Reals::to).collect();
            }
        }
        for (p, v) in self.projs.iter_mut().zip(&s.projs) {
            let n = p.values.len();
            p.values = v[..n].iter().map(Reals::to).collect();
            p.window = v[n..].iter().map(Reals::to).collect();
        }
        for (p, rows) in self.projs.iter_mut().zip(&s.rings) {
            if let ProjKind::Procedural { gen, ring, pos, .. } = &mut p.kind {
                if !ring.is_empty() {
                    *ring = crate::engine::ring_rows(&rows.to::<R>(), gen.delay, *pos, true);
                }
            }
        }
        self.sync_weights();
    }

    /// The shape of the histories (spike depth, then (slot, depth) of each
    /// rate history) per population: a snapshot fits only an engine with
    /// the same.
    pub(crate) fn history_shape(&self) -> Vec<(usize, Vec<(u32, usize)>)> {
        self.pops
            .iter()
            .map(|p| {
                (
                    p.hist_depth,
                    p.rate_hist
                        .iter()
                        .map(|(s, h)| (*s as u32, h.len()))
                        .collect(),
                )
            })
            .collect()
    }

    /// Clears spike and value histories (at start and after a reset).
    pub fn reset_history(&mut self) {
        self.sync_weights();
        for p in &mut self.projs {
            p.window.iter_mut().for_each(|w| w.fill(R::ZERO));
            if let ProjKind::Procedural { ring, .. } = &mut p.kind {
                ring.fill(R::ZERO);
            }
        }
        for p in &mut self.pops {
            p.spike_hist = VecDeque::from(vec![Vec::new(); p.hist_depth]);
            if let Some((_, counts)) = &mut p.fr {
                counts.fill(0);
            }
            for (slot, h) in &mut p.rate_hist {
                for v in h.iter_mut() {
                    *v = p.vars[*slot].clone();
                }
            }
        }
    }

    /// One simulation step at time `t` (ms) and step number `step`; returns
    /// nothing, spikes of this step are in each population's `spike_hist[0]`
    /// The CPU engine's dispatches of a stage: spike deliveries grouped by
    /// the conductance they feed; every other member alone, named after
    /// its kernel's CPU twin.
    fn groups(&self, stage: Stage, members: &[usize]) -> Vec<Group> {
        let twin = |q: usize| match self.projs[q].kind {
            ProjKind::Rate { .. } => "rate_sum",
            ProjKind::Decode { .. } => "decode",
            ProjKind::Current { .. } => "current_inject",
            ProjKind::Conv { .. } => "convolve",
            ProjKind::Spike { .. } => "spike_propagate",
            ProjKind::ConvSpike { .. } => "spike_convolve",
            ProjKind::Procedural { .. } => "spike_procedural",
        };
        let mut groups: Vec<Group> = Vec::new();
        for &m in members {
            if stage == Stage::SpikeDelivery {
                let fed = self.conductance_of(m);
                if let Some(g) = groups
                    .iter_mut()
                    .find(|g| self.conductance_of(g.members[0]) == fed)
                {
                    g.members.push(m);
                    continue;
                }
            }
            groups.push(Group {
                members: vec![m],
                kernel: match stage {
                    Stage::RateInputs | Stage::SpikeDelivery => twin(m).to_string(),
                    _ => stage.name().to_string(),
                },
            });
        }
        for g in groups.iter_mut().filter(|g| g.members.len() > 1) {
            g.kernel = "spike deliveries into one conductance".to_string();
        }
        groups
    }

    /// Runs `n` steps from `step0`; `time(s)` is the time of step `s`.
    /// Active monitors get their samples and spikes.
    pub(crate) fn run(
        &mut self,
        step0: u64,
        n: u64,
        time: &(dyn Fn(u64) -> f64 + Sync),
        monitors: &mut [MonitorState],
    ) -> Result<()> {
        let marks: Vec<crate::engine::rank::Mark> = match self.dist {
            Some(_) => monitors.iter().map(crate::engine::rank::Mark::of).collect(),
            None => Vec::new(),
        };
        // Where a step forks, the loop runs on a pool worker, so that the
        // per-step fork-joins of large populations are joins inside the
        // pool rather than injections from outside it, which put the
        // calling thread to sleep and wake it at every step. Where no
        // kernel can fork, moving the loop there would be the same hand-over
        // once a run: tens of microseconds, as much as a hundred steps of a
        // small network simulated in short runs (a trial at a time).
        let fork = self.may_fork();
        self.computing(|e| {
            let mut steps = |e: &mut Self| {
                for s in step0..step0 + n {
                    e.step(R::of(time(s)), s, monitors);
                }
            };
            if fork {
                rayon::scope(|_| steps(e))
            } else {
                steps(e)
            }
        })?;
        self.end_run(monitors, &marks)
    }

    /// Runs `f`, which computes steps or stages, on the threads the
    /// network's arithmetic asks for: where it flushes subnormals, those of
    /// its flushing pool (chosen at the first call: [`flush`]), else the
    /// caller's.
    fn computing<T: Send>(&mut self, f: impl FnOnce(&mut Self) -> T + Send) -> Result<T> {
        if self.flush_subnormals && self.flush.is_none() {
            self.flush = flush::pool(rayon::current_num_threads(), self.dist.is_some())?;
        }
        Ok(match self.flush.clone() {
            Some(pool) => pool.install(|| f(self)),
            None => f(self),
        })
    }

    /// Refreshes the pre-ordered copies of the weights after a change: one
    /// value where all the weights are one (the delivery then reads no
    /// weight per synapse, as the GPU engine's).
    pub fn sync_weights(&mut self) {
        for p in &mut self.projs {
            if matches!(p.kind, ProjKind::Spike { .. }) && p.ir.pre_spike_is_default {
                let w = &p.values[p.ir.slot("w").unwrap_or(0) as usize];
                p.w_pre = match shared_weight(w) {
                    Some(v) => vec![v],
                    None => p.csr.permute(w),
                };
            }
        }
    }

    /// Whether the delivery of a projection reads one weight for all its
    /// synapses.
    pub fn shares_weight(&self, proj: usize) -> bool {
        let p = &self.projs[proj];
        p.w_pre.len() == 1 && p.syn.post.len() > 1
    }

    /// Per-synapse values of a projection slot, in (post, pre) order.
    pub fn synapse_values(&self, proj: usize, slot: usize) -> &[R] {
        &self.projs[proj].values[slot]
    }
}

impl<R: VmReal> crate::engine::interface::Engine for CpuEngine<R> {
    fn backend(&self) -> crate::engine::Backend {
        crate::engine::Backend::Cpu
    }

    fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    fn ranks(&self) -> (usize, usize) {
        self.dist
            .as_ref()
            .map_or((0, 1), |d| (d.part.rank, d.part.size))
    }

    fn rank_engine(
        &self,
        net: &Network,
    ) -> Option<Result<Box<dyn crate::engine::interface::Engine>>> {
        let d = self.dist.as_ref()?;
        Some(crate::engine::distributed::rank_engine(
            net,
            d.comm.clone(),
            None,
        ))
    }

    fn gather_synapse_ranks(&self, proj: usize, local: Vec<u32>) -> Result<Vec<u32>> {
        self.gather_ranks(proj, local)
    }

    fn exchanges(&self) -> (f64, u64) {
        self.dist
            .as_ref()
            .map_or((0.0, 0), |d| (d.spent.0.as_secs_f64(), d.spent.1))
    }

    fn run(
        &mut self,
        step0: u64,
        n: u64,
        time: &(dyn Fn(u64) -> f64 + Sync),
        monitors: &mut [MonitorState],
    ) -> Result<()> {
        CpuEngine::run(self, step0, n, time, monitors)
    }

    fn run_stage(
        &mut self,
        stage: Stage,
        step: u64,
        t: f64,
        monitors: &mut [MonitorState],
    ) -> Result<()> {
        self.computing(|e| e.run_phases(R::of(t), step, monitors, Some(stage)))
    }

    fn slot_values(&self, pop: usize, slot: usize) -> Result<Reals> {
        self.gather_neurons(pop, self.pops[pop].vars[slot].clone())
            .map(Reals::from_vec)
    }

    fn sum_values(&self, pop: usize, target: usize) -> Result<Reals> {
        self.gather_neurons(pop, self.pops[pop].sums[target].clone())
            .map(Reals::from_vec)
    }

    fn set_slot(&mut self, pop: usize, slot: usize, values: Reals) {
        self.pops[pop].vars[slot] = lane_room(values.into_vec());
    }

    fn set_one(&mut self, pop: usize, slot: usize, rank: usize, value: f64) {
        self.pops[pop].vars[slot][rank] = R::of(value);
    }

    fn synapse_values(&self, proj: usize, slot: usize) -> Result<Reals> {
        self.gather_synapses(proj, CpuEngine::synapse_values(self, proj, slot).to_vec())
            .map(Reals::from_vec)
    }

    fn set_synapse_values(&mut self, proj: usize, slot: usize, values: Reals) -> Result<()> {
        let values = self.own_slot(proj, slot, values.into_vec());
        self.projs[proj].values[slot] = values;
        self.sync_weights();
        Ok(())
    }

    fn shares_weight(&self, proj: usize) -> bool {
        CpuEngine::shares_weight(self, proj)
    }

    fn set_learning(&mut self, proj: usize, learning: crate::engine::Learning) {
        self.projs[proj].learning = learning;
    }

    fn set_feed(&mut self, pop: usize, feed: &crate::network::feed::Feed) -> Result<()> {
        self.pops[pop].feed = Some(feed.clone());
        Ok(())
    }

    fn set_seed(&mut self, seed: u64) {
        self.seed = seed;
    }

    // A rank's snapshot is its part (its rebuild for a monitor added
    // after compiling restores it); files of a distributed run's state
    // are refused by `Simulation::save` and `load`.
    fn snapshot(&self) -> Result<crate::engine::Snapshot> {
        Ok(CpuEngine::snapshot(self))
    }

    fn restore(&mut self, snapshot: &crate::engine::Snapshot) -> Result<()> {
        CpuEngine::restore(self, snapshot);
        Ok(())
    }

    fn history_shape(&self) -> Vec<(usize, Vec<(u32, usize)>)> {
        CpuEngine::history_shape(self)
    }

    fn constants(&self) -> Vec<f64> {
        self.consts.iter().map(|c| c.f64()).collect()
    }

    fn set_constants(&mut self, values: &[f64]) {
        self.consts = values.iter().map(|&c| R::of(c)).collect();
    }

    fn reset(&mut self, net: &Network) {
        for (p, init) in self.pops.iter_mut().zip(&net.pops) {
            p.vars = init.init.iter().map(|v| lane_room(v.to())).collect();
        }
        for q in 0..self.projs.len() {
            let values = net.projs[q].values.iter().enumerate();
            self.projs[q].values = values.map(|(k, v)| self.own_slot(q, k, v.to())).collect();
        }
        if let Some(d) = &mut self.dist {
            d.reset();
        }
        self.reset_history();
    }
}

#[cfg(test)]
mod tests {
    use super::relist;

    /// A list moved between lifetimes keeps its allocation (what keeps a
    /// small network's step off the allocator) and comes back empty.
    #[test]
    fn a_relisted_list_keeps_its_allocation() {
        let mut a = [1.0f32, 2.0];
        let mut b = [3.0f32];
        let mut list: Vec<&mut [f32]> = Vec::with_capacity(8);
        list.push(&mut a);
        list.push(&mut b);
        let (at, capacity) = (list.as_ptr() as usize, list.capacity());
        let kept: Vec<&'static mut [f32]> = relist(list);
        assert!(kept.is_empty());
        assert_eq!((kept.as_ptr() as usize, kept.capacity()), (at, capacity));
        let mut c = [4.0f32];
        let mut again: Vec<&mut [f32]> = relist(kept);
        again.push(&mut c);
        assert_eq!((again.as_ptr() as usize, again.capacity()), (at, capacity));
        assert_eq!(again[0], [4.0]);
    }
}

//! The plan: layouts, generated kernels and connectivity, computed on
//! the host before a device is touched.

use super::*;

mod projection;
use projection::{plan_projection, ProjInput};

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
    /// `pre_spike` assigns synapse variables (its values bound writable).
    pub stores: bool,
    /// `pre_spike` reads pre-synaptic variables (the pre state bound).
    pub reads_pre: bool,
    /// The kernel takes the weights bound as one shared value or one per
    /// synapse (`init_syn` of length 1 when they start shared).
    pub shareable: bool,
    /// Delay blocks of a stored delivery ([`codegen::block_lanes`]; 0 for
    /// procedural and convolution kernels).
    pub blocks: u32,
    /// An ordered delivery (`GpuOptions::deterministic`: `spike_gather`,
    /// `spike_procedural_ordered`, `spike_convolve_gather`): its threads
    /// (a post neuron or a chunk of post neurons each), which read the
    /// pre's spike bitmasks, not its lists. `None`: a push delivery,
    /// [`spike_groups`] workgroups over the pre's spikes.
    pub ordered: Option<u32>,
}

/// The kernel and connectivity of one projection.
pub struct ProjPlan {
    /// `rate_sum` or `spike_propagate`.
    pub kernel: Kernel,
    /// Kernels dispatched after `kernel`, in order, with its bindings and
    /// threads: the further pre ranges of an ordered procedural delivery
    /// split for lavapipe ([`PlanOptions::loop_limit`]).
    pub parts: Vec<Kernel>,
    /// Where its values live.
    pub layout: ProjLayout,
    /// The CSR as uploaded (by post for rate-coded, by (delay, pre) for spiking).
    pub csr: Vec<u32>,
    /// Per-synapse values in (post, pre) order, slot after slot.
    pub init_syn: Reals,
    /// Projection-wide values.
    pub init_sparams: Reals,
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
    /// Spiking plasticity: `post_spike`.
    pub post: Option<Kernel>,
    /// A plastic projection: where its learning flags (on, period, offset)
    /// are in its CSR, which its kernels check at each step.
    pub flags: Option<u32>,
    /// A psp with pre_spike statements (PyNN's NMDA synapse): its
    /// `rate_sum` writes synapse values and tests the pre's `lastspk`.
    pub events: bool,
}

/// The kernel of one monitor recording variables.
pub struct MonPlan {
    /// `record`.
    pub kernel: Kernel,
    /// `record_inputs`, if the monitor records a conductance.
    pub inputs: Option<Kernel>,
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
    /// The step: every phase's groups, each one dispatch (the merged
    /// groups above, and a group of one for every other member).
    pub schedule: Schedule,
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
    /// A projection's kernel and connectivity, with nothing else: no
    /// permutation, no spike bindings, history, window, tiles or
    /// plasticity.
    fn new(
        kernel: Kernel,
        layout: ProjLayout,
        csr: Vec<u32>,
        init_syn: Reals,
        init_sparams: Reals,
    ) -> ProjPlan {
        ProjPlan {
            kernel,
            parts: Vec::new(),
            layout,
            csr,
            init_syn,
            init_sparams,
            perm: None,
            spike: None,
            uses_hist: false,
            window: None,
            inject: false,
            tiles: None,
            learn: None,
            post: None,
            flags: None,
            events: false,
        }
    }

    /// A spiking delivery kernel that stores no synapse (convolution,
    /// procedural): its table or window in `csr`, its shared weights.
    fn event(
        kernel: Kernel,
        layout: ProjLayout,
        csr: Vec<u32>,
        init_syn: Reals,
        init_sparams: Reals,
    ) -> ProjPlan {
        ProjPlan {
            spike: Some(SpikePlan {
                stores: false,
                reads_pre: false,
                shareable: false,
                blocks: 0,
                ordered: None,
            }),
            ..ProjPlan::new(kernel, layout, csr, init_syn, init_sparams)
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
    /// Its workgroups ([`spike_groups`] of the largest pre), or with
    /// `gather` its threads (the posts' neurons).
    pub groups: u32,
    /// A merged `spike_gather` ([`codegen::spike_gather_merged`]): a
    /// thread per post neuron, binding each pre's spike counts and
    /// bitmasks but not its lists.
    pub gather: bool,
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
        v.extend(
            self.projs
                .iter()
                .flat_map(|p| std::iter::once(&p.kernel).chain(&p.parts)),
        );
        for p in &self.projs {
            v.extend(p.learn.iter().chain(&p.post));
        }
        v.extend(self.mons.iter().flatten().map(|m| &m.kernel));
        v.extend(self.mons.iter().flatten().filter_map(|m| m.inputs.as_ref()));
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
    plan_for(
        net,
        &PlanOptions {
            float_atomics,
            merge,
            strategy,
            deterministic: false,
            loop_limit: None,
        },
    )
}

/// What a plan is made for: the device's float atomics and the engine's
/// options ([`GpuOptions`] as the device allows them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanOptions {
    /// Whether spike deliveries may add floats atomically.
    pub float_atomics: bool,
    /// Merged groups binding at most this many storage buffers (`None`:
    /// one dispatch per member).
    pub merge: Option<usize>,
    /// How push deliveries spread spikes over threads.
    pub strategy: SpikeStrategy,
    /// Ordered deliveries ([`GpuOptions::deterministic`]).
    pub deterministic: bool,
    /// The loop iterations after which the adapter ends a thread's loops
    /// (lavapipe's, [`DeviceInfo::loop_limit`](super::DeviceInfo::loop_limit)):
    /// a network one of whose threads the plan knows to walk further is
    /// refused, and an ordered procedural delivery is split into
    /// dispatches whose threads stay within it. `None`: no such limit.
    pub loop_limit: Option<u64>,
}

impl Default for PlanOptions {
    /// As [`plan`]: float atomics, merged within [`MERGE_BINDINGS`],
    /// `Auto` strategy, not deterministic.
    fn default() -> Self {
        PlanOptions {
            float_atomics: true,
            merge: Some(MERGE_BINDINGS),
            strategy: SpikeStrategy::Auto,
            deterministic: false,
            loop_limit: None,
        }
    }
}

/// Plans a network for the GPU engine with `opts`.
///
/// ```
/// # use cajal::prelude::*;
/// use cajal::engine::gpu::{plan_for, PlanOptions};
/// let (net, _, _) = cajal::networks::coba(100, 1)?;
/// let opts = PlanOptions { deterministic: true, ..PlanOptions::default() };
/// let plan = plan_for(&net, &opts)?;
/// assert!(plan.kernels().iter().any(|k| k.name.starts_with("spike_gather")));
/// # Ok::<(), cajal::Error>(())
/// ```
pub fn plan_for(net: &Network, opts: &PlanOptions) -> Result<Plan> {
    plan_for_rings(net, opts, &[])
}

/// [`plan_for`] with spike rings of at least `rings[p]` slots for
/// population `p` (a distributed run's rank keeps a whole exchange
/// interval of spikes, whatever delays its own synapses have).
pub(crate) fn plan_for_rings(net: &Network, opts: &PlanOptions, rings: &[u32]) -> Result<Plan> {
    let PlanOptions {
        float_atomics,
        merge,
        strategy,
        deterministic,
        loop_limit,
    } = *opts;
    // WGSL has no f64 atomics: an f64 network's spikes are delivered in
    // order (pulled by each post neuron), never pushed.
    let deterministic = deterministic || net.precision() == Dtype::F64;
    let (mut layouts, kinds) = plan_layouts(net, deterministic)?;
    if let Some(limit) = loop_limit {
        check_loop_limit(net, &kinds, deterministic, limit)?;
    }
    for (l, &r) in layouts.iter_mut().zip(rings) {
        if l.ring > 0 {
            l.ring = l.ring.max(r);
        }
    }
    let pops = plan_pops(net, &layouts);
    let projs = net
        .projs
        .iter()
        .zip(&kinds)
        .enumerate()
        .map(|(qi, (pr, &kind))| {
            let input = ProjInput::new(net, pr, qi, &layouts, float_atomics, strategy);
            plan_projection(input.deterministic(deterministic, loop_limit), kind)
        })
        .collect::<Result<Vec<_>>>()?;
    let mons = net
        .monitors
        .iter()
        .map(|m| plan_monitor(net, m, &layouts[m.pop.0]))
        .collect::<Result<Vec<_>>>()?;
    let merged_learns = merge.map_or_else(Vec::new, |b| merge_learns(net, &projs, b));
    let (merged, merged_updates, merged_clears, merged_rates, merged_posts) = match merge {
        Some(budget) => (
            merge_spikes(
                net,
                &kinds,
                &projs,
                &layouts,
                budget,
                float_atomics,
                deterministic,
            ),
            merge_updates(net, &layouts, &pops, budget),
            merge_clears(net, &layouts, &pops, budget),
            merge_rates(net, &kinds, &projs, &layouts, budget),
            merge_posts(net, &projs, &layouts, budget),
        ),
        None => (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new()),
    };
    let mut plan = Plan {
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
        schedule: Schedule::default(),
    };
    plan.schedule = plan.schedule_of(net, &kinds);
    Ok(plan)
}

/// The populations' layouts and the projections' kinds. The layouts come
/// first, but their rings and histories depend on the projections that
/// read them; `deterministic`: the spike rings that deliveries read keep
/// bitmasks.
fn plan_layouts(
    net: &Network,
    deterministic: bool,
) -> Result<(Vec<PopLayout>, Vec<ProjectionKind>)> {
    let mut layouts: Vec<PopLayout> = net
        .pops
        .iter()
        .map(|p| {
            let mut l = PopLayout::new(&p.ir, p.size());
            // The spike ring holds the whole firing-rate window, so that a
            // snapshot carries it as the CPU engine's history does.
            l.fr = p.firing_rate(net.dt);
            if let Some(f) = l.fr {
                l.ring = l.ring.max(f.steps + 1);
            }
            l
        })
        .collect();
    let mut kinds = Vec::new();
    for pr in &net.projs {
        let kind = projection_kind(net, pr)?;
        fit_layouts(net, pr, kind, &mut layouts);
        if deterministic
            && matches!(
                kind,
                ProjectionKind::Spike { .. }
                    | ProjectionKind::ConvSpike { .. }
                    | ProjectionKind::Procedural { .. }
            )
        {
            layouts[pr.pre.0].ring_bits = true;
        }
        kinds.push(kind);
    }
    for m in &net.monitors {
        if m.spikes && net.pops[m.pop.0].ir.spiking {
            layouts[m.pop.0].bits = true;
        }
    }
    Ok((layouts, kinds))
}

/// Grows the spike rings and rate histories of `pr`'s populations to what
/// a projection of `kind` reads of them.
fn fit_layouts(
    net: &Network,
    pr: &crate::network::Projection,
    kind: ProjectionKind,
    layouts: &mut [PopLayout],
) {
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
        ProjectionKind::Rate { .. } if crate::engine::kind::psp_events(net, pr) => {
            pre.ring = pre.ring.max(2);
            pre.last = true;
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
}

/// Loop iterations after which Mesa's llvmpipe (lavapipe) ends every loop
/// of a shader invocation, all loops counted together
/// (`LP_MAX_TGSI_LOOP_ITERATIONS`, a guard against endless shaders): a
/// kernel whose thread walks more has its last iterations skipped,
/// silently.
pub const LAVAPIPE_LOOP_LIMIT: u64 = 65_535;

/// The refusal of what `owner` does on an adapter that ends a thread's
/// loops after `limit` iterations (lavapipe): `walk` says how far one
/// thread would go.
fn loop_limit_error(owner: String, limit: u64, walk: String) -> Error {
    Error::Unsupported {
        owner,
        message: format!(
            "lavapipe (Mesa's software Vulkan) ends a shader thread's loops after {limit} \
             iterations, and {walk}: its inputs would silently miss the rest. Run it on the \
             CPU engine (Backend::Cpu or Backend::Auto) or a hardware GPU"
        ),
    }
}

/// Refuses, on an adapter that ends an invocation's loops after `limit`
/// iterations (lavapipe, [`PlanOptions::loop_limit`]), a network of
/// projections of `kinds` whose kernels make one thread walk more
/// elements than that in one step: the synapses of a post neuron in a
/// rate sum, a decoding or an ordered (`deterministic`) spike gather
/// (merged or not, a thread walks every projection into its neuron), a
/// convolution's taps. Ordered procedural deliveries, which walk the
/// step's spikes, are split to fit instead; pushing deliveries walk one
/// spike's row a thread and are not checked.
fn check_loop_limit(
    net: &Network,
    kinds: &[ProjectionKind],
    deterministic: bool,
    limit: u64,
) -> Result<()> {
    // The most synapses a post neuron of `pr` has.
    let in_degree = |pr: &crate::network::Projection| {
        let rows = pr.synapses.post_row_ptr(net.pops[pr.post.0].size());
        rows.windows(2)
            .map(|w| u64::from(w[1] - w[0]))
            .max()
            .unwrap_or(0)
    };
    // Per post population: the walk of each projection into it.
    let mut walks: Vec<Vec<(String, u64)>> = vec![Vec::new(); net.pops.len()];
    for (pr, kind) in net.projs.iter().zip(kinds) {
        let walk = match kind {
            ProjectionKind::Rate { .. } | ProjectionKind::Decode { .. } => in_degree(pr),
            ProjectionKind::Spike { .. } if deterministic => in_degree(pr),
            ProjectionKind::Conv { .. } | ProjectionKind::ConvSpike { .. } => {
                pr.conv.as_ref().map_or(0, |c| {
                    let w = &c.conv.window;
                    (w.taps() * if c.transposed { w.filters() } else { 1 }) as u64
                })
            }
            _ => 0,
        };
        if walk > 0 {
            walks[pr.post.0].push((pr.name.clone(), walk));
        }
    }
    for (p, w) in walks.iter().enumerate() {
        let total: u64 = w.iter().map(|x| x.1).sum();
        if total > limit {
            let names: Vec<String> = w.iter().map(|(n, k)| format!("'{n}' ({k})")).collect();
            return Err(loop_limit_error(
                format!("population '{}'", net.pops[p].name),
                limit,
                format!(
                    "a thread of this population's inputs walks {total} synapses or taps a \
                     step (projections {})",
                    names.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// Each population's `clear_inputs` (if it needs one) and `neuron_update`.
fn plan_pops(net: &Network, layouts: &[PopLayout]) -> Vec<PopPlan> {
    let num = codegen::Num::new(net.precision(), net.dt);
    net.pops
        .iter()
        .zip(layouts)
        .enumerate()
        .map(|(pi, (p, l))| PopPlan {
            clear: codegen::needs_clear(&p.ir)
                .then(|| codegen::clear_inputs(&p.name, &p.ir, l, num.dtype)),
            update: codegen::neuron_update(
                &p.name,
                &p.ir,
                l,
                p.feed.as_ref(),
                num,
                (pi as u32) << 12,
            ),
        })
        .collect()
}

/// A monitor's `record` kernel, or `None` when it records only spikes.
fn plan_monitor(
    net: &Network,
    m: &crate::network::Monitor,
    l: &PopLayout,
) -> Result<Option<MonPlan>> {
    let p = &net.pops[m.pop.0];
    let mut early = Vec::new();
    let vars: Vec<Recorded> = m
        .vars
        .iter()
        .map(|v| {
            let slot = crate::network::slot_of(p, v)? as u32;
            early.push(p.ir.is_conductance(slot));
            Ok(match l.offset(slot) {
                Some(o) => Recorded::Local(o),
                None => Recorded::Global(l.global[slot as usize].unwrap_or(0)),
            })
        })
        .collect::<Result<_>>()?;
    if vars.is_empty() {
        return Ok(None);
    }
    let row_len = vars
        .iter()
        .map(|v| match v {
            Recorded::Local(_) => l.n,
            Recorded::Global(_) => 1,
        })
        .sum();
    Ok(Some(MonPlan {
        kernel: codegen::record(&p.name, l.n, &vars, &early, net.precision()),
        inputs: early
            .contains(&true)
            .then(|| codegen::record_inputs(&p.name, l.n, &vars, &early, net.precision())),
        row_len,
    }))
}

/// A kernel's name without what it runs over (`rate_sum[projection 'p']`
/// is a `rate_sum`), for the schedule.
fn kernel_label(k: &Kernel) -> String {
    match (k.name.find('['), k.name.rfind(']')) {
        (Some(a), Some(b)) if a < b => format!("{}{}", &k.name[..a], &k.name[b + 1..]),
        _ => k.name.clone(),
    }
}

impl Plan {
    /// The merged groups of a stage: their members and kernels.
    pub fn merged_groups(&self, stage: Stage) -> Vec<(&[usize], &Kernel)> {
        fn of<'a, T>(
            v: &'a [T],
            f: impl Fn(&'a T) -> (&'a [usize], &'a Kernel),
        ) -> Vec<(&'a [usize], &'a Kernel)> {
            v.iter().map(f).collect()
        }
        match stage {
            Stage::ClearInputs => of(&self.merged_clears, |m| (&m.members, &m.kernel)),
            Stage::RateInputs => of(&self.merged_rates, |m| (&m.members, &m.kernel)),
            Stage::SpikeDelivery => of(&self.merged, |m| (&m.members, &m.kernel)),
            Stage::NeuronUpdate => of(&self.merged_updates, |m| (&m.members, &m.kernel)),
            Stage::PostSpike => of(&self.merged_posts, |m| (&m.members, &m.kernel)),
            Stage::SynapseUpdate => of(&self.merged_learns, |m| (&m.members, &m.kernel)),
            _ => Vec::new(),
        }
    }

    /// The kernel a member of a stage runs alone (a group of one).
    pub fn own_kernel(&self, stage: Stage, member: usize) -> Option<&Kernel> {
        match stage {
            Stage::ClearInputs => self.pops[member].clear.as_ref(),
            Stage::NeuronUpdate => Some(&self.pops[member].update),
            Stage::RateInputs | Stage::SpikeDelivery => Some(&self.projs[member].kernel),
            Stage::PostSpike => self.projs[member].post.as_ref(),
            Stage::SynapseUpdate => self.projs[member].learn.as_ref(),
            Stage::RecordInputs => self.mons.get(member)?.as_ref()?.inputs.as_ref(),
            _ => self.mons.get(member)?.as_ref().map(|m| &m.kernel),
        }
    }

    /// The schedule: the merged groups, and every other member alone.
    fn schedule_of(&self, net: &Network, kinds: &[ProjectionKind]) -> Schedule {
        let mut s = Schedule::build(net, kinds, |stage, _| {
            self.merged_groups(stage)
                .into_iter()
                .map(|(members, k)| Group {
                    members: members.to_vec(),
                    kernel: kernel_label(k),
                })
                .collect()
        });
        for phase in &mut s.phases {
            for g in phase.groups.iter_mut().filter(|g| g.members.len() == 1) {
                if let Some(k) = self.own_kernel(phase.stage, g.members[0]) {
                    g.kernel = kernel_label(k);
                }
            }
        }
        s
    }
}

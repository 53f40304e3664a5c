//! The plan: layouts, generated kernels and connectivity, computed on
//! the host before a device is touched.

use super::*;

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
            spike: None,
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
            spike: Some(SpikePlan {
                stores: false,
                reads_pre: false,
                frozen_stores: false,
                shareable: false,
                blocks: 0,
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
    let (layouts, kinds) = plan_layouts(net)?;
    let pops = plan_pops(net, &layouts);
    let projs = net
        .projs
        .iter()
        .zip(&kinds)
        .enumerate()
        .map(|(qi, (pr, &kind))| {
            let input = ProjInput::new(net, pr, qi, &layouts, float_atomics, strategy);
            plan_projection(input, kind)
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
            merge_spikes(net, &kinds, &projs, &layouts, budget, float_atomics),
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
    plan.schedule = plan.schedule_of(net)?;
    Ok(plan)
}

/// The populations' layouts and the projections' kinds. The layouts come
/// first, but their rings and histories depend on the projections that
/// read them.
fn plan_layouts(net: &Network) -> Result<(Vec<PopLayout>, Vec<ProjectionKind>)> {
    let mut layouts: Vec<PopLayout> = net
        .pops
        .iter()
        .map(|p| PopLayout::new(&p.ir, p.size()))
        .collect();
    let mut kinds = Vec::new();
    for pr in &net.projs {
        let kind = projection_kind(net, pr)?;
        fit_layouts(net, pr, kind, &mut layouts);
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

/// Each population's `clear_inputs` (if it needs one) and `neuron_update`.
fn plan_pops(net: &Network, layouts: &[PopLayout]) -> Vec<PopPlan> {
    let dt = net.dt as f32;
    net.pops
        .iter()
        .zip(layouts)
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
        .collect()
}

/// What planning a projection starts from, whatever its kind.
struct ProjInput<'a> {
    net: &'a Network,
    pr: &'a crate::network::Projection,
    /// Its index among the network's projections.
    qi: usize,
    layouts: &'a [PopLayout],
    /// Its pre- and post-synaptic populations.
    pre: usize,
    /// See `pre`.
    post: usize,
    /// Who errors name.
    owner: String,
    layout: ProjLayout,
    init_syn: Vec<f32>,
    init_sparams: Vec<f32>,
    ends: Ends<'a>,
    /// The random stream id of its kernels.
    object: u32,
    /// Its distinct delays, ascending.
    delays: Vec<u32>,
    dt: f32,
    float_atomics: bool,
    strategy: SpikeStrategy,
}

impl<'a> ProjInput<'a> {
    fn new(
        net: &'a Network,
        pr: &'a crate::network::Projection,
        qi: usize,
        layouts: &'a [PopLayout],
        float_atomics: bool,
        strategy: SpikeStrategy,
    ) -> Self {
        let (pre, post) = (pr.pre.0, pr.post.0);
        let nsyn = pr.synapses.post.len();
        let layout = ProjLayout::new(&pr.ir, nsyn);
        let (init_syn, init_sparams) = codegen::pack_values(&pr.values, &layout.local, nsyn, 0);
        let ends = Ends {
            pre: &layouts[pre],
            post: &layouts[post],
            same: pre == post,
            pre_slots: slots_of(&pr.ir.pre_refs, &net.pops[pre].ir),
            post_slots: slots_of(&pr.ir.post_refs, &net.pops[post].ir),
            batch: net.batch as u32,
        };
        let mut delays: Vec<u32> = pr.synapses.delay.clone();
        delays.sort_unstable();
        delays.dedup();
        ProjInput {
            net,
            pr,
            qi,
            layouts,
            pre,
            post,
            owner: format!("projection '{}'", pr.name),
            layout,
            init_syn,
            init_sparams,
            ends,
            object: PROJ_OBJECT | ((qi as u32) << 12),
            delays,
            dt: net.dt as f32,
            float_atomics,
            strategy,
        }
    }

    /// Neurons of one batch element of population `p`.
    fn element(&self, p: usize) -> usize {
        self.layouts[p].n as usize / self.net.batch
    }
}

/// The state-buffer slot of each named variable of a population.
fn slots_of(refs: &[String], ir: &crate::lang::ir::NeuronIr) -> Vec<u32> {
    refs.iter().map(|r| ir.slot(r).unwrap_or(0)).collect()
}

/// A projection's kernels and connectivity, by its kind.
fn plan_projection(input: ProjInput, kind: ProjectionKind) -> Result<ProjPlan> {
    match kind {
        ProjectionKind::Rate { sum } => plan_rate(input, sum),
        ProjectionKind::Procedural { g } => Ok(plan_procedural(input, g)),
        ProjectionKind::ConvSpike { g } => Ok(plan_spike_convolution(input, g)),
        ProjectionKind::Conv { sum } => Ok(plan_convolution(input, sum)),
        ProjectionKind::Current { g, r } => Ok(plan_current(input, g, r)),
        ProjectionKind::Decode { sum, window } => Ok(plan_decode(input, sum, window)),
        ProjectionKind::Spike { g } => plan_spiking(input, g),
    }
}

/// A rate-coded projection: `rate_sum` over its CSR by post (row
/// pointers, pres, then the per-synapse delays unless they are one), and
/// its learning rule.
fn plan_rate(c: ProjInput, sum: usize) -> Result<ProjPlan> {
    let (pr, s) = (c.pr, &c.pr.synapses);
    let mut csr = s.post_row_ptr(c.element(c.post));
    csr.extend_from_slice(&s.pre);
    let uniform = (c.delays.len() <= 1).then(|| c.delays.first().copied().unwrap_or(1));
    if uniform.is_none() {
        csr.extend_from_slice(&s.delay);
    }
    // The learning rule finds each synapse's post rank here.
    let learn = (!pr.ir.update.is_empty()).then(|| {
        let posts = csr.len() as u32;
        csr.extend_from_slice(&s.post);
        codegen::synapse_update(&pr.name, &pr.ir, &c.layout, &c.ends, posts, c.dt, c.object)
    });
    let uses_hist = uniform.is_none_or(|d| d > 1);
    if uses_hist && c.layouts[c.pre].hist_slots.is_empty() {
        return Err(Error::Unsupported {
            owner: c.owner,
            message: "a delayed psp that reads no per-neuron pre-synaptic variable".into(),
        });
    }
    let kernel = codegen::rate_sum(
        &pr.name,
        &pr.ir,
        pr.operation,
        &c.layout,
        &c.ends,
        sum as u32,
        uniform,
        c.dt,
        c.object,
    );
    Ok(ProjPlan {
        uses_hist,
        learn,
        ..ProjPlan::new(kernel, c.layout, csr, c.init_syn, c.init_sparams)
    })
}

/// A procedural projection: `spike_procedural` draws its synapses again
/// at each spike, from the thresholds in its table.
fn plan_procedural(c: ProjInput, g: usize) -> ProjPlan {
    let gen =
        c.pr.procedural
            .as_ref()
            .expect("a procedural projection has its generator");
    let kernel = codegen::spike_procedural(
        &c.pr.name,
        gen,
        crate::engine::cpu::procedural_object(c.qi),
        &c.ends,
        g as u32,
        c.float_atomics,
    );
    // The gap thresholds, then the delay thresholds.
    let mut table = gen.table.clone();
    table.extend_from_slice(&gen.delay_table);
    // Binding 3: the ring of future inputs for per-synapse
    // delays (zeros at the start and after a reset), else
    // unused (the weights are in the kernel).
    let delayed = gen.per_synapse_delays();
    let ring = if delayed {
        vec![0.0; gen.delay as usize * c.layouts[c.post].n as usize]
    } else {
        vec![0.0]
    };
    let mut plan = ProjPlan::event(kernel, c.layout, table, ring, c.init_sparams);
    if let Some(sp) = plan.spike.as_mut() {
        sp.stores = delayed;
    }
    plan
}

/// A convolution between spiking populations (`spike_convolve`): its
/// kernel's weights, no table.
fn plan_spike_convolution(c: ProjInput, g: usize) -> ProjPlan {
    let cp = c.pr.conv.as_ref().expect("a convolution has its window");
    let kernel = codegen::spike_convolve(
        &c.pr.name,
        &cp.conv,
        cp.delay,
        &c.ends,
        g as u32,
        c.float_atomics,
    );
    ProjPlan::event(
        kernel,
        c.layout,
        vec![0],
        cp.conv.weights.clone(),
        c.init_sparams,
    )
}

/// A rate-coded convolution or pooling (`convolve`, tiled where that
/// pays, or `convolve_transposed`): the window starts as its table.
fn plan_convolution(c: ProjInput, sum: usize) -> ProjPlan {
    let (pr, dt) = (c.pr, c.dt);
    let cp = pr.conv.as_ref().expect("a convolution has its window");
    let csr = match &cp.conv.window.starts {
        Some(st) => st.iter().map(|&x| x as u32).collect(),
        None => vec![0],
    };
    let kernel = if cp.transposed {
        codegen::convolve_transposed(&pr.name, &cp.conv, &c.ends, sum as u32)
    } else {
        codegen::convolve(
            &pr.name,
            &pr.ir,
            pr.operation,
            &cp.conv,
            cp.delay,
            &c.ends,
            sum as u32,
            dt,
        )
    };
    ProjPlan {
        uses_hist: cp.delay > 1,
        tiles: if cp.transposed {
            None
        } else {
            codegen::convolve_tiles(&cp.conv, cp.delay, pr.ir.psp_is_weighted_rate)
        },
        ..ProjPlan::new(
            kernel,
            c.layout,
            csr,
            cp.conv.weights.clone(),
            c.init_sparams,
        )
    }
}

/// A CurrentInjection (`current_inject`): binds only the two states.
fn plan_current(c: ProjInput, g: usize, r: usize) -> ProjPlan {
    let kernel = codegen::current_inject(
        &c.pr.name,
        &c.layouts[c.pre],
        &c.layouts[c.post],
        g as u32,
        r as u32,
    );
    ProjPlan {
        inject: true,
        ..ProjPlan::new(kernel, c.layout, vec![0], c.init_syn, c.init_sparams)
    }
}

/// A DecodingProjection (`decode`): its CSR by post, then each post's
/// inverse count of pres.
fn plan_decode(c: ProjInput, sum: usize, window: u32) -> ProjPlan {
    let (pr, s) = (c.pr, &c.pr.synapses);
    let row_ptr = s.post_row_ptr(c.layouts[c.post].n as usize);
    let inv = crate::engine::cpu::decode::inverse_counts(&row_ptr);
    let mut csr = row_ptr;
    csr.extend_from_slice(&s.pre);
    csr.extend(inv.iter().map(|x| x.to_bits()));
    let kernel = codegen::decode(
        &pr.name,
        &pr.ir,
        &c.layout,
        &c.layouts[c.post],
        sum as u32,
        window,
        crate::engine::cpu::decode::scale(c.net.dt, window),
    );
    ProjPlan {
        window: Some(window),
        ..ProjPlan::new(kernel, c.layout, csr, c.init_syn, c.init_sparams)
    }
}

/// A spiking projection with stored synapses: `spike_propagate` over its
/// rows by (delay, pre), and where it learns, its variants without the
/// assignments to w and its `post_spike`.
fn plan_spiking(c: ProjInput, g: usize) -> Result<ProjPlan> {
    check_spike_events(&c, g)?;
    let pr = c.pr;
    let nsyn = pr.synapses.post.len();
    let default = pr.ir.pre_spike_is_default;
    // 16-bit post ranks where they fit (the default path reads
    // nothing else per synapse but the weight): two a word, half
    // the index traffic of a synaptic event.
    let narrow = default && c.element(c.post) <= 1 << 16;
    let rows = c.element(c.pre) * c.delays.len();
    let SpikeCsr {
        mut csr,
        perm,
        delay_table,
    } = spike_csr(&pr.synapses, &c.delays, c.element(c.pre), default, narrow);
    let per_thread = thread_per_spike(c.strategy, nsyn, rows);
    let shareable = shareable_weight(&pr.ir, &c.layout);
    let shared = shareable && nsyn > 1 && shared_weight(&c.init_syn).is_some();
    // The kernel for these events (the model's, or the variant
    // without assignments to w).
    let deliver = |ir: &crate::lang::ir::SynapseIr| {
        codegen::spike_propagate(
            &pr.name,
            ir,
            &c.layout,
            &c.ends,
            g as u32,
            &c.delays,
            c.dt,
            c.object,
            c.float_atomics,
            per_thread,
            narrow,
            shareable,
            delay_table,
            spike_groups(c.layouts[c.pre].n),
        )
    };
    let kernel = deliver(&pr.ir);
    // Spiking plasticity: the variants without assignments to w
    // (learning off), and post_spike over the rows by post.
    let w_slot = pr.ir.slot("w").unwrap_or(0);
    let frozen_ir = without_stores_to(&pr.ir, w_slot);
    let frozen = stores_to(&pr.ir.pre_spike, w_slot).then(|| deliver(&frozen_ir));
    let spike = SpikePlan {
        stores: stores_any(&pr.ir.pre_spike),
        reads_pre: !default && !c.ends.pre_slots.is_empty(),
        frozen_stores: stores_any(&frozen_ir.pre_spike),
        shareable,
        blocks: c.delays.len() as u32,
    };
    let (post, post_frozen) = plan_post_spike(&c, &frozen_ir, w_slot, &mut csr);
    let init_syn = if shared {
        c.init_syn[..1].to_vec()
    } else {
        c.init_syn
    };
    Ok(ProjPlan {
        perm,
        spike: Some(spike),
        frozen,
        post,
        post_frozen,
        ..ProjPlan::new(kernel, c.layout, csr, init_syn, c.init_sparams)
    })
}

/// Refuses the `pre_spike` statements whose concurrent events would race
/// on the GPU: reading the conductance they add to, assigning a
/// projection-wide variable.
fn check_spike_events(c: &ProjInput, g: usize) -> Result<()> {
    let pr = c.pr;
    if !pr.ir.pre_spike_is_default && c.ends.post_slots.contains(&(g as u32)) {
        return Err(Error::Unsupported {
            owner: c.owner.clone(),
            message: format!(
                "pre_spike reads post.{} while adding to it: on the GPU engine the events of one step add concurrently, so the value read is not defined; read another variable",
                c.net.pops[c.post].ir.vars[g].name
            ),
        });
    }
    for st in &pr.ir.pre_spike {
        if let EventStmt::Store { var, .. } = st {
            if c.layout.local[*var as usize].is_none() {
                return Err(Error::Unsupported {
                    owner: c.owner.clone(),
                    message: format!(
                        "pre_spike assigns the projection-wide '{}': concurrent events would race on the GPU engine; make it per synapse",
                        pr.ir.vars[*var as usize].name
                    ),
                });
            }
        }
    }
    Ok(())
}

/// The CSR of a spike delivery as uploaded.
struct SpikeCsr {
    /// Row pointers (a row per delay and pre), post ranks (16-bit pairs
    /// when narrow), synapse ids (non-default synapses), the delays.
    csr: Vec<u32>,
    /// The default synapse's: the synapse at each position of the rows,
    /// by which its weights are uploaded.
    perm: Option<Vec<u32>>,
    /// Where the delays start in `csr`.
    delay_table: u32,
}

/// The rows of a spike delivery: its synapses by (delay, pre), `n_pre`
/// pres an element; `default`: the default synapse, `narrow`: its post
/// ranks fit in 16 bits.
fn spike_csr(
    s: &crate::connect::SynapseList,
    delays: &[u32],
    n_pre: usize,
    default: bool,
    narrow: bool,
) -> SpikeCsr {
    let (ptr, col, sid) = rows_by_delay_and_pre(s, delays, n_pre);
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
    csr.extend_from_slice(delays);
    SpikeCsr {
        csr,
        perm,
        delay_table,
    }
}

/// Counting sort of the (post-ordered) synapses by (delay index, pre):
/// the row pointers, each position's post rank and synapse. Stable, so
/// each row keeps post order.
fn rows_by_delay_and_pre(
    s: &crate::connect::SynapseList,
    delays: &[u32],
    n_pre: usize,
) -> (Vec<u32>, Vec<u32>, Vec<u32>) {
    let nsyn = s.post.len();
    let rows = n_pre * delays.len();
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
    (ptr, col, sid)
}

/// Whether a delivery gives each spike a thread of its own rather than
/// a workgroup: short rows (`nsyn` synapses over `rows` rows) do not
/// fill a workgroup.
fn thread_per_spike(strategy: SpikeStrategy, nsyn: usize, rows: usize) -> bool {
    // Mean synapses a row (one row per pre neuron and delay).
    let mean_row = nsyn as f64 / rows.max(1) as f64;
    match strategy {
        SpikeStrategy::ThreadPerSpike => true,
        SpikeStrategy::WorkgroupPerSpike => false,
        SpikeStrategy::Auto => mean_row < 16.0,
    }
}

/// Whether the synapses may share one weight where they start with one:
/// the default synapse, w its only per-synapse variable, nothing that
/// changes it but the user (set_synapses, which gives it a buffer of one
/// a synapse if it must).
fn shareable_weight(ir: &crate::lang::ir::SynapseIr, layout: &ProjLayout) -> bool {
    ir.pre_spike_is_default
        && ir.post_spike.is_empty()
        && ir.update.is_empty()
        && layout.local.iter().flatten().count() == 1
        && layout.local[0] == Some(0)
}

/// Whether the statements assign a variable.
fn stores_any(v: &[EventStmt]) -> bool {
    v.iter().any(|s| matches!(s, EventStmt::Store { .. }))
}

/// Whether the statements assign slot `slot`.
fn stores_to(v: &[EventStmt], slot: u32) -> bool {
    v.iter()
        .any(|s| matches!(s, EventStmt::Store { var, .. } if *var == slot))
}

/// The synapse with its events' assignments to slot `slot` (w) removed:
/// what runs while its learning is off.
fn without_stores_to(ir: &crate::lang::ir::SynapseIr, slot: u32) -> crate::lang::ir::SynapseIr {
    let mut frozen = ir.clone();
    frozen
        .pre_spike
        .retain(|s| !matches!(s, EventStmt::Store { var, .. } if *var == slot));
    frozen
        .post_spike
        .retain(|s| !matches!(s, EventStmt::Store { var, .. } if *var == slot));
    frozen
}

/// A spiking projection's `post_spike` and its variant without the
/// assignments to w (`frozen_ir`, slot `w_slot`), if it has one; they
/// read the rows by post, appended to `csr`.
fn plan_post_spike(
    c: &ProjInput,
    frozen_ir: &crate::lang::ir::SynapseIr,
    w_slot: u32,
    csr: &mut Vec<u32>,
) -> (Option<Kernel>, Option<Kernel>) {
    let pr = c.pr;
    if pr.ir.post_spike.is_empty() {
        return (None, None);
    }
    let rows = csr.len() as u32;
    csr.extend(pr.synapses.post_row_ptr(c.layouts[c.post].n as usize));
    csr.extend_from_slice(&pr.synapses.pre);
    let k = |ir: &crate::lang::ir::SynapseIr| {
        codegen::post_spike(&pr.name, ir, &c.layout, &c.ends, rows, c.dt, c.object)
    };
    (
        Some(k(&pr.ir)),
        stores_to(&pr.ir.post_spike, w_slot).then(|| k(frozen_ir)),
    )
}

/// A monitor's `record` kernel, or `None` when it records only spikes.
fn plan_monitor(
    net: &Network,
    m: &crate::network::Monitor,
    l: &PopLayout,
) -> Result<Option<MonPlan>> {
    let p = &net.pops[m.pop.0];
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
        kernel: codegen::record(&p.name, l.n, &vars),
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
            _ => self.mons.get(member)?.as_ref().map(|m| &m.kernel),
        }
    }

    /// The schedule: the merged groups, and every other member alone.
    fn schedule_of(&self, net: &Network) -> Result<Schedule> {
        let mut s = Schedule::build(net, |stage, _| {
            self.merged_groups(stage)
                .into_iter()
                .map(|(members, k)| Group {
                    members: members.to_vec(),
                    kernel: kernel_label(k),
                })
                .collect()
        })?;
        for phase in &mut s.phases {
            for g in phase.groups.iter_mut().filter(|g| g.members.len() == 1) {
                if let Some(k) = self.own_kernel(phase.stage, g.members[0]) {
                    g.kernel = kernel_label(k);
                }
            }
        }
        Ok(s)
    }
}

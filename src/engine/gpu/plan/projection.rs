//! Planning one projection: a function per projection kind, each
//! returning its kernels and connectivity.

use super::*;
use crate::engine::Input;
use crate::real::{Dtype, Reals};
use codegen::{Atomics, CsrByPre, Num, PostRanks, Rows, SpikeEvent, WeightBuffer};

/// What planning a projection starts from, whatever its kind.
pub(super) struct ProjInput<'a> {
    net: &'a Network,
    pr: &'a crate::network::Projection,
    /// Its index among the network's projections.
    qi: usize,
    layouts: &'a [PopLayout],
    /// Its pre- and post-synaptic populations.
    pre: usize,
    /// See `pre`.
    post: usize,
    /// How errors name it.
    owner: String,
    layout: ProjLayout,
    init_syn: Reals,
    init_sparams: Reals,
    ends: Ends<'a>,
    /// The random stream id of its kernels.
    object: u32,
    /// Its distinct delays, ascending.
    delays: Vec<u32>,
    /// The network's precision and step, as its kernels write them.
    num: Num,
    float_atomics: bool,
    strategy: SpikeStrategy,
    /// Ordered deliveries (`GpuOptions::deterministic`).
    deterministic: bool,
    /// The adapter's limit of a thread's loop iterations
    /// ([`PlanOptions::loop_limit`]).
    loop_limit: Option<u64>,
}

impl<'a> ProjInput<'a> {
    /// The same, delivering spikes in order where `on`, on an adapter
    /// whose threads' loops end after `loop_limit` iterations.
    pub(super) fn deterministic(self, on: bool, loop_limit: Option<u64>) -> Self {
        ProjInput {
            deterministic: on,
            loop_limit,
            ..self
        }
    }

    /// Everything the kinds share: its layout, values, ends, delays.
    pub(super) fn new(
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
        let (init_syn, init_sparams) =
            codegen::pack_values(&pr.values, &layout.local, nsyn, 0, net.precision());
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
            num: Num::new(net.precision(), net.dt),
            float_atomics,
            strategy,
            deterministic: false,
            loop_limit: None,
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
pub(super) fn plan_projection(input: ProjInput, kind: ProjectionKind) -> Result<ProjPlan> {
    match kind {
        ProjectionKind::Rate { into } => plan_rate(input, into),
        ProjectionKind::Procedural { g } => plan_procedural(input, g),
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
fn plan_rate(c: ProjInput, into: Input) -> Result<ProjPlan> {
    let (pr, s) = (c.pr, &c.pr.synapses);
    let mut csr = s.post_row_ptr(c.element(c.post));
    csr.extend_from_slice(&s.pre);
    let uniform = (c.delays.len() <= 1).then(|| c.delays.first().copied().unwrap_or(1));
    if uniform.is_none() {
        csr.extend_from_slice(&s.delay);
    }
    // The learning rule finds each synapse's post rank here, and its
    // learning flags after them.
    let mut flags = None;
    let learn = (!pr.ir.update.is_empty()).then(|| {
        let posts = csr.len() as u32;
        csr.extend_from_slice(&s.post);
        let at = append_learning(&mut csr);
        flags = Some(at);
        let pres = c.element(c.post) as u32 + 1;
        codegen::synapse_update(
            &pr.name, &pr.ir, &c.layout, &c.ends, pres, posts, at, false, c.num, c.object,
        )
    });
    let uses_hist = uniform.is_none_or(|d| d > 1);
    if uses_hist && c.layouts[c.pre].hist_slots.is_empty() {
        return Err(Error::Unsupported {
            owner: c.owner,
            message: "a delayed psp that reads no per-neuron pre-synaptic variable".into(),
        });
    }
    // The state offset the sums add into.
    let into = match into {
        Input::Sum(k) => c.ends.post.sum_offset(k as u32),
        Input::Conductance(g) => c
            .ends
            .post
            .offset(g as u32)
            .ok_or_else(|| Error::invalid(&c.owner, "its conductance is not per neuron"))?,
    };
    let events = crate::engine::kind::psp_events(c.net, pr);
    let kernel = codegen::rate_sum(
        &pr.name,
        &pr.ir,
        pr.operation,
        &c.layout,
        &c.ends,
        into,
        (uniform, events),
        c.num,
        c.object,
    );
    Ok(ProjPlan {
        uses_hist,
        learn,
        flags,
        events,
        ..ProjPlan::new(kernel, c.layout, csr, c.init_syn, c.init_sparams)
    })
}

/// A procedural projection: `spike_procedural` draws its synapses again
/// at each spike, from the thresholds in its table. Ordered, on an
/// adapter that ends a thread's loops (lavapipe), its delivery is as many
/// dispatches as its pre neurons need ([`codegen::procedural_ordered_parts`]).
fn plan_procedural(c: ProjInput, g: usize) -> Result<ProjPlan> {
    let gen =
        c.pr.procedural
            .as_ref()
            .expect("a procedural projection has its generator");
    let object = crate::engine::cpu::procedural_object(c.qi);
    let ordered = |pres| {
        codegen::spike_procedural_ordered(
            &c.pr.name,
            gen,
            object,
            &c.ends,
            g as u32,
            c.num.dtype,
            pres,
        )
    };
    let mut parts = Vec::new();
    let kernel = if c.deterministic {
        match c.loop_limit {
            Some(limit) => {
                let ranges = codegen::procedural_ordered_parts(gen, limit).ok_or_else(|| {
                    loop_limit_error(
                        c.owner.clone(),
                        limit,
                        format!(
                            "an ordered delivery of one spike through this projection may \
                             take {} (its targets in a chunk of {} post neurons)",
                            codegen::procedural_ordered_spike_walk(gen),
                            gen.chunk
                        ),
                    )
                })?;
                if ranges.len() == 1 {
                    ordered(None)
                } else {
                    parts = ranges[1..].iter().map(|&r| ordered(Some(r))).collect();
                    ordered(Some(ranges[0]))
                }
            }
            None => ordered(None),
        }
    } else {
        codegen::spike_procedural(
            &c.pr.name,
            gen,
            object,
            &c.ends,
            g as u32,
            Atomics::new(c.float_atomics),
            codegen::procedural_strategy(&Rows::procedural(gen)),
        )
    };
    let threads = c
        .deterministic
        .then(|| codegen::procedural_ordered_threads(gen, &c.ends));
    // The gap thresholds, then the delay thresholds.
    let mut table = gen.table.clone();
    table.extend_from_slice(&gen.delay_table);
    // Binding 3: the ring of future inputs for per-synapse
    // delays (zeros at the start and after a reset), else
    // unused (the weights are in the kernel).
    let delayed = gen.per_synapse_delays();
    let ring = if delayed {
        Reals::filled(
            c.num.dtype,
            0.0,
            gen.delay as usize * c.layouts[c.post].n as usize,
        )
    } else {
        Reals::filled(c.num.dtype, 0.0, 1)
    };
    let mut plan = ProjPlan::event(kernel, c.layout, table, ring, c.init_sparams);
    plan.parts = parts;
    if let Some(sp) = plan.spike.as_mut() {
        sp.stores = delayed;
        sp.ordered = threads;
    }
    Ok(plan)
}

/// A convolution between spiking populations (`spike_convolve`): its
/// kernel's weights, no table.
fn plan_spike_convolution(c: ProjInput, g: usize) -> ProjPlan {
    let cp = c.pr.conv.as_ref().expect("a convolution has its window");
    let kernel = if c.deterministic {
        codegen::spike_convolve_gather(
            &c.pr.name,
            &cp.conv,
            cp.delay,
            &c.ends,
            g as u32,
            c.num.dtype,
        )
    } else {
        codegen::spike_convolve(
            &c.pr.name,
            &cp.conv,
            cp.delay,
            &c.ends,
            g as u32,
            c.float_atomics,
        )
    };
    let mut plan = ProjPlan::event(
        kernel,
        c.layout,
        vec![0],
        Reals::of(c.num.dtype, cp.conv.weights.iter().map(|&w| f64::from(w))),
        c.init_sparams,
    );
    if let Some(sp) = plan.spike.as_mut() {
        sp.ordered = c.deterministic.then_some(c.layouts[c.post].n);
    }
    plan
}

/// A rate-coded convolution or pooling (`convolve`, tiled where that
/// pays, or `convolve_transposed`): the window starts as its table.
fn plan_convolution(c: ProjInput, sum: usize) -> ProjPlan {
    let (pr, num) = (c.pr, c.num);
    let cp = pr.conv.as_ref().expect("a convolution has its window");
    let csr = match &cp.conv.window.starts {
        Some(st) => st.iter().map(|&x| x as u32).collect(),
        None => vec![0],
    };
    let kernel = if cp.transposed {
        codegen::convolve_transposed(&pr.name, &cp.conv, &c.ends, sum as u32, num.dtype)
    } else {
        codegen::convolve(
            &pr.name,
            &pr.ir,
            pr.operation,
            &cp.conv,
            cp.delay,
            &c.ends,
            sum as u32,
            num,
        )
    };
    ProjPlan {
        uses_hist: cp.delay > 1,
        tiles: if cp.transposed {
            None
        } else {
            codegen::convolve_tiles(&cp.conv, cp.delay, pr.ir.psp_is_weighted_rate, num.dtype)
        },
        ..ProjPlan::new(
            kernel,
            c.layout,
            csr,
            // The filters are f32 (`Conv`), widened in f64.
            Reals::of(num.dtype, cp.conv.weights.iter().map(|&w| f64::from(w))),
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
        c.num.dtype,
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
    let inv = match c.num.dtype {
        Dtype::F32 => Reals::from_vec(crate::engine::cpu::decode::inverse_counts::<f32>(&row_ptr)),
        Dtype::F64 => Reals::from_vec(crate::engine::cpu::decode::inverse_counts::<f64>(&row_ptr)),
    };
    let mut csr = row_ptr;
    csr.extend_from_slice(&s.pre);
    for i in 0..inv.len() {
        inv.put_words(i, &mut csr);
    }
    let kernel = codegen::decode(
        &pr.name,
        &pr.ir,
        &c.layout,
        &c.layouts[c.post],
        sum as u32,
        window,
        c.num,
    );
    ProjPlan {
        window: Some(window),
        ..ProjPlan::new(kernel, c.layout, csr, c.init_syn, c.init_sparams)
    }
}

/// A spiking projection with stored synapses: `spike_propagate` over its
/// rows by (delay, pre), and where it learns, its `post_spike`.
fn plan_spiking(c: ProjInput, g: usize) -> Result<ProjPlan> {
    let pr = c.pr;
    let more: Vec<u32> = crate::engine::more_conductances(c.net, pr)
        .into_iter()
        .map(|g| g as u32)
        .collect();
    for &slot in std::iter::once(&(g as u32)).chain(&more) {
        check_spike_events(&c, slot as usize)?;
    }
    let nsyn = pr.synapses.post.len();
    let default = pr.ir.pre_spike_is_default;
    // 16-bit post ranks where they fit (the default path reads
    // nothing else per synapse but the weight): two a word, half
    // the index traffic of a synaptic event.
    let posts = if default && c.element(c.post) <= 1 << 16 {
        PostRanks::Halves
    } else {
        PostRanks::Words
    };
    let SpikeCsr {
        mut csr,
        perm,
        delay_table,
        by_post,
    } = if c.deterministic {
        gather_csr(&pr.synapses, &c.delays, c.element(c.post))
    } else {
        spike_csr(&pr.synapses, &c.delays, c.element(c.pre), default, posts)
    };
    let rows = Rows::stored(nsyn, c.element(c.pre) * c.delays.len());
    let strategy = codegen::stored_strategy(c.strategy, &rows);
    let shareable = shareable_weight(&pr.ir, &c.layout);
    let shared = shareable && nsyn > 1 && c.init_syn.shared().is_some();
    let weights = if shareable {
        WeightBuffer::Shareable
    } else {
        WeightBuffer::PerSynapse
    };
    let layout = CsrByPre {
        delays: &c.delays,
        delay_table,
        posts,
    };
    // Spiking plasticity: its events' assignments to w check its learning
    // flags, and post_spike reads the rows by post.
    let w_slot = pr.ir.slot("w").unwrap_or(0);
    let plastic = stores_to(&pr.ir.pre_spike, w_slot)
        || stores_to(&pr.ir.post_spike, w_slot)
        || !pr.ir.update.is_empty();
    let flags = plastic.then(|| append_learning(&mut csr));
    let learn = flags.map(|at| (at, w_slot));
    let kernel = {
        let event = SpikeEvent {
            ir: &pr.ir,
            layout: &c.layout,
            ends: &c.ends,
            g: g as u32,
            more: &more,
            num: c.num,
            object: c.object,
            learn,
        };
        match by_post {
            Some(rows) => codegen::spike_gather(&pr.name, &event, &rows.layout(&c.delays), weights),
            None => codegen::spike_propagate(
                &pr.name,
                &event,
                &layout,
                weights,
                Atomics::new(c.float_atomics),
                strategy,
            ),
        }
    };
    let spike = SpikePlan {
        stores: stores_any(&pr.ir.pre_spike),
        reads_pre: !default && !c.ends.pre_slots.is_empty(),
        shareable,
        blocks: c.delays.len() as u32,
        ordered: by_post.map(|_| c.layouts[c.post].n),
    };
    let post = plan_post_spike(&c, learn, &mut csr);
    let update = plan_spiking_update(&c, flags, &mut csr);
    let init_syn = if shared {
        c.init_syn.slice(0..1)
    } else {
        c.init_syn
    };
    Ok(ProjPlan {
        perm,
        spike: Some(spike),
        post,
        flags,
        learn: update,
        ..ProjPlan::new(kernel, c.layout, csr, init_syn, c.init_sparams)
    })
}

/// The equations of a spiking projection's synapses, run every step
/// (`synapse_update`, as a rate-coded projection's learning rule): they
/// find each synapse's pre and post ranks in (post, pre) order after the
/// CSR by pre (sharing `post_spike`'s rows by post when it has them).
fn plan_spiking_update(c: &ProjInput, flags: Option<u32>, csr: &mut Vec<u32>) -> Option<Kernel> {
    let pr = c.pr;
    let at = flags.filter(|_| !pr.ir.update.is_empty())?;
    // plan_post_spike appended the rows by post, then the pres.
    if pr.ir.post_spike.is_empty() {
        csr.extend_from_slice(&pr.synapses.pre);
    }
    let pres = csr.len() - pr.synapses.pre.len();
    let posts = csr.len() as u32;
    csr.extend_from_slice(&pr.synapses.post);
    Some(codegen::synapse_update(
        &pr.name,
        &pr.ir,
        &c.layout,
        &c.ends,
        pres as u32,
        posts,
        at,
        true,
        c.num,
        c.object,
    ))
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
    /// when narrow), synapse ids (non-default synapses), the delays; or,
    /// for `spike_gather` (`by_post`), rows by (post, delay).
    csr: Vec<u32>,
    /// The default synapse's: the synapse at each position of the rows,
    /// by which its weights are uploaded.
    perm: Option<Vec<u32>>,
    /// Where the delays start in `csr`.
    delay_table: u32,
    /// Rows by post for `spike_gather`: where its parts start.
    by_post: Option<GatherRows>,
}

/// Where the parts of `spike_gather`'s CSR by post start.
#[derive(Debug, Clone, Copy)]
struct GatherRows {
    pres: u32,
    ids: Option<u32>,
    delay_table: u32,
}

impl GatherRows {
    fn layout<'a>(&self, delays: &'a [u32]) -> codegen::CsrByPost<'a> {
        codegen::CsrByPost {
            delays,
            pres: self.pres,
            ids: self.ids,
            delay_table: self.delay_table,
        }
    }
}

/// The rows of `spike_gather` (its CPU twin's [`GatherCsr`]: by (post,
/// delay), each keeping the synapses' order, the order in which the CPU
/// engine adds a post's events). The weights stay in synapse order (no
/// permutation).
///
/// [`GatherCsr`]: crate::engine::cpu::spike_gather::GatherCsr
fn gather_csr(s: &crate::connect::SynapseList, delays: &[u32], n_post: usize) -> SpikeCsr {
    let rows = crate::engine::cpu::spike_gather::GatherCsr::new(s, delays, n_post);
    SpikeCsr {
        perm: None,
        delay_table: rows.delay_table,
        by_post: Some(GatherRows {
            pres: rows.pres,
            ids: rows.ids,
            delay_table: rows.delay_table,
        }),
        csr: rows.words,
    }
}

/// The rows of a spike delivery: its synapses by (delay, pre), `n_pre`
/// pres an element; `default`: the default synapse, `posts`: how its post
/// ranks are stored.
fn spike_csr(
    s: &crate::connect::SynapseList,
    delays: &[u32],
    n_pre: usize,
    default: bool,
    posts: PostRanks,
) -> SpikeCsr {
    let (ptr, col, sid) = rows_by_delay_and_pre(s, delays, n_pre);
    let mut csr = ptr;
    if posts == PostRanks::Halves {
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
        by_post: None,
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
    s.rows_by(
        n_pre * delays.len(),
        |j| {
            let di = delays.binary_search(&s.delay[j]).unwrap_or(0);
            di * n_pre + s.pre[j] as usize
        },
        |j| s.post[j],
    )
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

/// Appends a projection's learning flags (on, period, offset: learning
/// by default, as `Learning::default`) to its CSR; returns where they
/// are. `GpuEngine::set_learning` rewrites them.
fn append_learning(csr: &mut Vec<u32>) -> u32 {
    let at = csr.len() as u32;
    csr.extend_from_slice(&crate::engine::gpu::learning_words(
        &crate::engine::Learning::default(),
    ));
    at
}

/// A spiking projection's `post_spike`, if it has one, its assignments
/// to w guarded by its learning flags (`learn`, as `SpikeEvent::learn`);
/// it reads the rows by post, appended to `csr`.
fn plan_post_spike(c: &ProjInput, learn: Option<(u32, u32)>, csr: &mut Vec<u32>) -> Option<Kernel> {
    let pr = c.pr;
    if pr.ir.post_spike.is_empty() {
        return None;
    }
    let rows = csr.len() as u32;
    csr.extend(pr.synapses.post_row_ptr(c.layouts[c.post].n as usize));
    csr.extend_from_slice(&pr.synapses.pre);
    Some(codegen::post_spike(
        &pr.name, &pr.ir, &c.layout, &c.ends, rows, learn, c.num, c.object,
    ))
}

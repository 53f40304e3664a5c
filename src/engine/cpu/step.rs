//! The CPU engine's executor of the schedule: one step, phase by phase,
//! each phase calling its kernel's CPU twin on every member.

use rayon::prelude::*;

use super::jit::Bound;
use super::*;
use crate::engine::schedule::{Group, Stage};
use crate::engine::Input;
use crate::engine::MonitorState;

/// Below this many synaptic events in a step, spike delivery stays on
/// one thread.
const PARALLEL_EVENTS: usize = 4096;

/// The least population size at which a kernel forks (neuron updates,
/// rate sums' reductions, convolutions): below it in every population,
/// and with few synapses, a step runs on one thread
/// ([`CpuEngine::may_fork`]).
const FORK_NEURONS: usize = {
    let (a, b, c) = (
        neuron_update::PARALLEL_MIN,
        rate_sum::PARALLEL_MIN,
        convolve::PARALLEL_MIN,
    );
    let ab = if a < b { a } else { b };
    if ab < c {
        ab
    } else {
        c
    }
};

// may_fork bounds every kernel's events by the least threshold.
const _: () = assert!(
    PARALLEL_EVENTS <= rate_sum::PARALLEL_SYNAPSES
        && PARALLEL_EVENTS as f64 <= spike_procedural::PARALLEL_EVENTS
);

impl<R: VmReal> CpuEngine<R> {
    /// Whether a step of this network can fork work over the thread pool:
    /// a bound, false only where no kernel reaches its threshold (a
    /// population of [`FORK_NEURONS`] or more: neuron updates, rate sums,
    /// convolutions; as many possible synaptic events a step as
    /// [`PARALLEL_EVENTS`]: spike deliveries; a rate-coded projection of
    /// [`rate_sum::PARALLEL_SYNAPSES`] synapses). Only speed depends on
    /// it: a kernel that forks from outside the pool still runs, at the
    /// price of a hand-over.
    pub(super) fn may_fork(&self) -> bool {
        if self.pops.iter().any(|p| p.n >= FORK_NEURONS) {
            return true;
        }
        let mut events = 0.0;
        for pr in &self.projs {
            let pre = self.pops[pr.pre].n as f64;
            let synapses = (pr.syn.pre.len() * pr.batch) as f64;
            // A delivery's events are its pre neurons' spikes in each
            // delay's history times their fan-out (deliver_spikes): at
            // most, every pre neuron spiking in every delay.
            let delays = pr.delays.len().max(1) as f64;
            match &pr.kind {
                ProjKind::Rate { .. } => {
                    if synapses >= rate_sum::PARALLEL_SYNAPSES as f64 {
                        return true;
                    }
                }
                ProjKind::Procedural { gen, .. } => {
                    events += (gen.p * f64::from(gen.n_post) * pre + pre) * delays
                }
                // Counted whether or not the kind delivers events: a bound.
                _ => events += (synapses + pre) * delays,
            }
        }
        events >= PARALLEL_EVENTS as f64
    }

    /// One step: the phases of the schedule in order (the GPU engine runs
    /// the same schedule); monitors record at the end.
    pub(crate) fn step(&mut self, t: R, step: u64, monitors: &mut [MonitorState]) {
        self.run_phases(t, step, monitors, None);
    }

    /// The phases of step `step` in order, or only that of `only`.
    pub(crate) fn run_phases(
        &mut self,
        t: R,
        step: u64,
        monitors: &mut [MonitorState],
        only: Option<Stage>,
    ) {
        // Read apart from the engine, so that phases may borrow it mutably:
        // through the pointer, not a clone of the `Arc`, whose count's
        // atomic increment and decrement were a tenth of the schedule
        // loop's own time in a small network (Ramp).
        // SAFETY: the schedule is the `Arc`'s allocation, apart from the
        // engine's fields, and lives while `self.schedule` holds it; only
        // `CpuEngine::new` assigns `self.schedule`, never a phase, so it
        // outlives this call, and nothing writes to it.
        let schedule: &Schedule = unsafe { &*Arc::as_ptr(&self.schedule) };
        let step32 = step as u32;
        // Every population's list, empty unless it updates in this call.
        let mut spikes = std::mem::take(&mut self.scratch.spiked);
        spikes.resize_with(self.pops.len(), Vec::new);
        spikes.iter_mut().for_each(Vec::clear);
        for phase in schedule
            .phases
            .iter()
            .filter(|p| only.is_none_or(|s| s == p.stage))
        {
            // Each member of the phase's groups, in two plain loops: an
            // iterator flattening the groups was set up at every phase
            // (about 20 instructions of gap junctions' step, callgrind).
            macro_rules! each {
                ($m:ident => $body:expr) => {
                    for g in &phase.groups {
                        for &$m in &g.members {
                            $body;
                        }
                    }
                };
            }
            match phase.stage {
                Stage::ClearInputs => each!(p => {
                    let p = &mut self.pops[p];
                    clear_inputs::clear_inputs(&mut p.vars, &mut p.sums, &p.zero_each_step);
                }),
                Stage::RateInputs => each!(q => self.rate_input(q, t, step32)),
                Stage::SpikeDelivery => self.deliver_spikes(&phase.groups, t, step32),
                Stage::NeuronUpdate => {
                    each!(p => self.update_population(p, t, step32, &mut spikes[p]));
                    // A distributed run's ranks tell each other what they
                    // computed before anything reads it.
                    if self.dist.is_some() && only.is_none() {
                        self.exchange_step();
                    }
                }
                Stage::PostSpike => each!(q => self.post_spike(q, t, step)),
                Stage::SynapseUpdate => each!(q => {
                    // A rate-coded rule waits for learning whole; a
                    // spiking synapse's equations run at the rule's
                    // steps and leave only w alone while off, as
                    // ANNarchy's.
                    let learning = self.projs[q].learning;
                    let spiking = matches!(self.projs[q].kind, ProjKind::Spike { .. });
                    if learning.due(step) || (spiking && learning.periodic(step)) {
                        self.learn(q, t, step32, !learning.on);
                    }
                }),
                // Run alone (`run_stage`), record_inputs keeps nothing:
                // record then samples every variable, as on the GPU.
                Stage::RecordInputs if only.is_none() => {
                    each!(m => record::record_inputs(&mut monitors[m], &self.pops, step))
                }
                Stage::RecordInputs => {}
                Stage::Record => {
                    each!(m => record::record(&mut monitors[m], &self.pops, &spikes, step))
                }
            }
        }
        self.scratch.spiked = spikes;
    }

    /// The input of a rate-coded projection, a convolution, a decoding
    /// projection or a current injection, from what the previous step left.
    fn rate_input(&mut self, pi: usize, t: R, step32: u32) {
        let (seed, dt) = (self.seed, self.dt);
        let pr = &mut self.projs[pi];
        let object = PROJ_OBJECT | ((pi as u32) << 12);
        match &pr.kind {
            ProjKind::Rate { into, psp } => {
                let into = *into;
                match psp {
                    None => weighted_sum(pr, &self.pops[pr.pre]),
                    Some(_) => {
                        frame_scalars_into(&mut self.scratch.scalars, t, dt, &self.consts);
                        general_psp(pr, &self.pops, &mut self.scratch, (seed, step32, object));
                    }
                }
                let post = &mut self.pops[pr.post];
                let dest = match into {
                    Input::Sum(k) => &mut post.sums[k],
                    Input::Conductance(g) => &mut post.vars[g],
                };
                add_into(dest, &pr.out);
            }
            ProjKind::Decode { sum, scale } => {
                // Out of its population meanwhile: pre may be post.
                let mut sums = std::mem::take(&mut self.pops[pr.post].sums[*sum]);
                let w = &pr.values[pr.ir.slot("w").unwrap_or(0) as usize];
                decode::decode(
                    &pr.csr,
                    w,
                    &self.pops[pr.pre].spike_hist[0],
                    &mut pr.window,
                    &pr.inv_n,
                    *scale,
                    &mut sums,
                );
                self.pops[pr.post].sums[*sum] = sums;
            }
            ProjKind::Conv {
                sum,
                psp,
                conv,
                geo,
            } => {
                let pre = &self.pops[pr.pre];
                let vals: Vec<&[R]> = pr
                    .pre_ref_slots
                    .iter()
                    .map(|&slot| delayed(pre, slot, conv.delay))
                    .collect();
                if conv.transposed {
                    convolve::convolve_transposed(&conv.conv, vals[0], &mut pr.out);
                } else {
                    convolve::convolve(
                        &conv.conv,
                        geo,
                        &vals,
                        psp.as_ref(),
                        pr.op,
                        &frame_scalars(t, dt, &self.consts),
                        &mut pr.out,
                    );
                }
                add_into(&mut self.pops[pr.post].sums[*sum], &pr.out);
            }
            ProjKind::Current { g, r } => {
                // Pre is rate-coded and post spiking: two populations.
                let mut gv = std::mem::take(&mut self.pops[pr.post].vars[*g]);
                current_inject::current_inject(&mut gv, &self.pops[pr.pre].vars[*r]);
                self.pops[pr.post].vars[*g] = gv;
            }
            // Spiking projections are delivered by `deliver_spikes`.
            ProjKind::Spike { .. } | ProjKind::ConvSpike { .. } | ProjKind::Procedural { .. } => {}
        }
    }

    /// `neuron_update` of one population (with its prologue: the rate
    /// histories shift, the input table's value of this step); `spikes`
    /// gets the neurons that spiked.
    fn update_population(&mut self, pi: usize, t: R, step32: u32, spikes: &mut Vec<u32>) {
        let (seed, dt) = (self.seed, self.dt);
        let scalars = &mut self.scratch.scalars;
        // A distributed run's rank updates its own neurons.
        let mine = self.dist.as_ref().map(|d| d.part.mine(pi));
        let p = &mut self.pops[pi];
        let mine = mine.unwrap_or(0..p.n);
        for (slot, h) in &mut p.rate_hist {
            if let Some(mut old) = h.pop_back() {
                old.clear();
                old.extend_from_slice(&p.vars[*slot]);
                h.push_front(old);
            }
        }
        // The neuron_update prologue: the input table's value of this step.
        if let Some(f) = &p.feed {
            f.apply(step32, &mut p.vars[f.slot()]);
        }
        frame_scalars_into(scalars, t, dt, &self.consts);
        let key = (seed, step32, (pi as u32) << 12);
        let in_place = neuron_update::update_in_place(
            &p.kernel,
            &mut p.vars,
            &mut p.sums,
            scalars,
            key,
            mine.clone(),
            spikes,
        );
        if !in_place {
            self.update_bound(pi, mine, key, spikes);
        }
        let p = &mut self.pops[pi];
        if let Some((f, counts)) = &mut p.fr {
            // Before the push: the list leaving the window is the one
            // `steps` steps old at the end of this step.
            let leaving = &p.spike_hist[f.steps as usize - 1];
            neuron_update::firing_rate(
                counts,
                &mut p.vars[f.slot as usize],
                spikes,
                leaving,
                R::of32(f.scale),
            );
        }
        if p.hist_depth > 0 {
            if let Some(mut old) = p.spike_hist.pop_back() {
                old.clear();
                old.extend_from_slice(spikes);
                p.spike_hist.push_front(old);
            }
        }
    }

    /// [`update_population`](Self::update_population)'s kernel where it
    /// does not run in place (interpreted, or forking over the pool):
    /// over a list of the bound arrays' parts `mine`, the frame's scalars
    /// already in the scratch.
    fn update_bound(
        &mut self,
        pi: usize,
        mine: std::ops::Range<usize>,
        key: (u64, u32, u32),
        spikes: &mut Vec<u32>,
    ) {
        let scalars = &mut self.scratch.scalars;
        let p = &mut self.pops[pi];
        let mut arrays: Vec<&mut [R]> = relist(std::mem::take(&mut self.scratch.arrays));
        arrays.reserve(p.vars.len() + p.sums.len());
        scalars.reserve(p.vars.len());
        for (v, decl) in p.vars.iter_mut().zip(&p.ir.vars) {
            if decl.locality == Locality::Local {
                arrays.push(&mut v[mine.clone()]);
            } else {
                scalars.push(v[0]);
            }
        }
        arrays.extend(p.sums.iter_mut().map(|s| &mut s[mine.clone()]));
        neuron_update::neuron_update_from(
            &p.kernel,
            &mut arrays,
            scalars,
            key,
            mine.start,
            mine.len(),
            spikes,
        );
        self.scratch.arrays = relist(arrays);
    }

    /// `post_spike` statements of a plastic projection for the post
    /// neurons that spiked this step.
    fn post_spike(&mut self, pi: usize, t: R, step: u64) {
        let (seed, dt, step32) = (self.seed, self.dt, step as u32);
        let pr = &mut self.projs[pi];
        // While learning is off, events leave w alone (at every spike,
        // whatever the period).
        let frozen = (!pr.learning.on).then(|| pr.ir.slot("w").unwrap_or(0));
        let (pre, post) = (&self.pops[pr.pre], &self.pops[pr.post]);
        let spikes = &post.spike_hist[0];
        if spikes.is_empty() {
            return;
        }
        let (pre_list, post_list) = std::mem::take(&mut pr.event_lists);
        let mut c = EventCtx {
            syn: &mut pr.values,
            pre: slices(pre_list, &pre.vars, &pr.pre_ref_slots),
            post: slices(post_list, &post.vars, &pr.post_ref_slots),
            t,
            dt,
            consts: &self.consts,
            seed,
            step: step32,
            object: PROJ_OBJECT | ((pi as u32) << 12),
        };
        post_spike::post_spike(
            &pr.row_ptr,
            spikes,
            (&pr.ir.post_spike, pr.post_events.as_ref()),
            &pr.syn.pre,
            frozen,
            &mut c,
        );
        pr.event_lists = (relist(c.pre), relist(c.post));
    }

    /// A learning rule, reading what the neurons have just computed; with
    /// `freeze_w` its assignments to `w` are skipped.
    fn learn(&mut self, pi: usize, t: R, step32: u32, freeze_w: bool) {
        let (seed, dt) = (self.seed, self.dt);
        let pr = &mut self.projs[pi];
        if freeze_w {
            if let Some(k) = &mut pr.learn {
                k.prepare_frozen(&pr.ir);
            }
        }
        let Some(k) = &pr.learn else { return };
        let (pre, post) = (&self.pops[pr.pre], &self.pops[pr.post]);
        let refs = pr.pre_ref_slots.len() + pr.post_ref_slots.len();
        pr.gathered.resize_with(refs, Vec::new);
        // The gathered arrays are bound after the per-synapse slots.
        let first = k.reads.len() - refs;
        let nsyn = pr.syn.pre.len();
        // Row code reads some in place: those need no gathering.
        let native = k.native.is_some();
        let n_pre = pr.pre_ref_slots.len();
        for (i, g) in pr.gathered.iter_mut().enumerate() {
            if native && k.layout[first + i] != Bound::Each {
                continue;
            }
            // Bound whether read or not, at their length.
            g.resize(nsyn, R::ZERO);
            if k.reads[first + i] {
                let (values, pre_ranks) = match i.checked_sub(n_pre) {
                    None => (&pre.vars[pr.pre_ref_slots[i]], Some(&pr.syn.pre)),
                    Some(j) => (&post.vars[pr.post_ref_slots[j]], None),
                };
                gather(g, values, &pr.row_ptr, pre_ranks, pr.dense);
            }
        }
        let scalars = &mut self.scratch.scalars;
        frame_scalars_into(scalars, t, pr.learning.dt(dt), &self.consts);
        let mut arrays = relist(std::mem::take(&mut self.scratch.arrays));
        value_args(&mut arrays, &mut pr.values, &pr.ir.vars, scalars);
        let object = PROJ_OBJECT | ((pi as u32) << 12);
        if native {
            let mut reads = relist(std::mem::take(&mut self.scratch.reads));
            reads.extend((0..refs).map(|i| match k.layout[first + i] {
                Bound::Each => pr.gathered[i].as_slice(),
                Bound::Column
                | Bound::ColumnButSelf
                | Bound::AtPre
                | Bound::Consecutive
                | Bound::Row => match i.checked_sub(n_pre) {
                    None => &pre.vars[pr.pre_ref_slots[i]],
                    Some(j) => &post.vars[pr.post_ref_slots[j]],
                },
            }));
            synapse_update::synapse_rows(
                k,
                freeze_w,
                &mut arrays,
                &reads,
                &pr.ranks,
                &pr.row_ptr,
                scalars,
                seed,
                step32,
                object,
            );
            self.scratch.reads = relist(reads);
            self.scratch.arrays = relist(arrays);
            return;
        }
        arrays.extend(pr.gathered.iter_mut().map(|g| g.as_mut_slice()));
        synapse_update::synapse_update(
            k,
            freeze_w,
            &mut arrays,
            &pr.row_ptr,
            &mut pr.row_scratch,
            scalars,
            seed,
            step32,
            object,
        );
        self.scratch.arrays = relist(arrays);
    }

    /// Delivers the spikes of earlier steps. The schedule's groups are the
    /// projections feeding one conductance of one population, run in
    /// creation order (so sums are always added in the same order);
    /// distinct groups write distinct arrays and run in parallel when there
    /// is enough work.
    fn deliver_spikes(&mut self, groups: &[Group], t: R, step: u32) {
        let mut fed = std::mem::take(&mut self.scratch.fed);
        fed.clear();
        fed.extend(groups.iter().map(|g| self.conductance_of(g.members[0])));
        let mut gvs = std::mem::take(&mut self.scratch.gvs);
        gvs.clear();
        gvs.extend(
            fed.iter()
                .map(|&(post, g)| std::mem::take(&mut self.pops[post].vars[g])),
        );
        // Counted only where the deliveries could fork: a bound of the
        // step's synaptic events.
        let fork = gvs.len() > 1
            && rayon::current_num_threads() > 1
            && self.events_bound(groups) >= PARALLEL_EVENTS;
        let now = Now {
            t,
            dt: self.dt,
            consts: &self.consts,
            seed: self.seed,
            step,
        };
        let pops = &self.pops;
        if fork {
            let mut slots: Vec<Option<&mut ProjState<R>>> =
                self.projs.iter_mut().map(Some).collect();
            let work: Vec<(Vec<&mut ProjState<R>>, &mut Vec<R>)> = groups
                .iter()
                .zip(gvs.iter_mut())
                .map(|(group, gv)| {
                    let prs = group.members.iter().filter_map(|&i| slots[i].take());
                    (prs.collect(), gv)
                })
                .collect();
            work.into_par_iter().for_each(|(prs, gv)| {
                for pr in prs {
                    deliver(pr, pops, gv, &now);
                }
            });
        } else {
            // In order, without the lists the parallel case needs: a small
            // network's step is short enough for their allocations to count.
            for (group, gv) in groups.iter().zip(gvs.iter_mut()) {
                for &i in &group.members {
                    deliver(&mut self.projs[i], pops, gv, &now);
                }
            }
        }
        for (&(post, g), gv) in fed.iter().zip(gvs.drain(..)) {
            self.pops[post].vars[g] = gv;
        }
        self.scratch.fed = fed;
        self.scratch.gvs = gvs;
        // The other targets of projections onto several, in creation order.
        for group in groups {
            for &q in &group.members {
                let pr = &self.projs[q];
                if let ProjKind::Spike { more, scratch, .. } = &pr.kind {
                    for &g in more {
                        add_into(&mut self.pops[pr.post].vars[g], scratch);
                    }
                }
            }
        }
    }

    /// The synaptic events the deliveries of `groups` can make this step:
    /// each pre neuron's spikes in each delay's history times its
    /// projection's fan-out.
    fn events_bound(&self, groups: &[Group]) -> usize {
        let mut events = 0usize;
        for &i in groups.iter().flat_map(|g| &g.members) {
            let pr = &self.projs[i];
            let pre = &self.pops[pr.pre];
            let fan = match &pr.kind {
                ProjKind::Procedural { gen, .. } => (gen.p * f64::from(gen.n_post)) as usize + 1,
                _ => pr.syn.pre.len() / pre.n.max(1) + 1,
            };
            events += pr
                .delays
                .iter()
                .map(|&d| pre.spike_hist[d as usize - 1].len())
                .sum::<usize>()
                * fan;
        }
        events
    }

    /// The population and conductance slot a spiking projection feeds.
    pub(super) fn conductance_of(&self, q: usize) -> (usize, usize) {
        let pr = &self.projs[q];
        match pr.kind {
            ProjKind::Spike { g, .. }
            | ProjKind::ConvSpike { g, .. }
            | ProjKind::Procedural { g, .. } => (pr.post, g),
            _ => (pr.post, usize::MAX),
        }
    }
}

/// Each synapse's value of a pre-synaptic (`pre`: the synapses' pre
/// ranks) or post-synaptic neuron array `values`, for synapses stored by
/// post-synaptic row (`row_ptr`): a post value fills its row; the pre
/// values of a full row (`dense`: pre ranks 0, 1, ... in order) are
/// copied whole.
fn gather<R: Copy>(
    g: &mut [R],
    values: &[R],
    row_ptr: &[u32],
    pre: Option<&Vec<u32>>,
    dense: bool,
) {
    let rows = row_ptr.windows(2).map(|w| w[0] as usize..w[1] as usize);
    match pre {
        None => rows.zip(values).for_each(|(row, &v)| g[row].fill(v)),
        Some(_) if dense => rows.for_each(|row| {
            let n = row.len();
            g[row].copy_from_slice(&values[..n]);
        }),
        Some(ranks) => {
            for (x, &j) in g.iter_mut().zip(ranks.iter()) {
                *x = values[j as usize];
            }
        }
    }
}

/// The delay at which every synapse of a projection of distinct delays
/// `delays` reads its pre-synaptic values, where they share one (delays of
/// 0 and 1 both read the current values, [`delayed`]'s).
pub(super) fn one_delay(delays: &[u32]) -> Option<u32> {
    // A projection's distinct delays: one, nearly always, told at once
    // (the loop over them was set up at every step).
    match delays {
        [] => Some(1),
        [d] => Some((*d).max(1)),
        [first, rest @ ..] => {
            let d = (*first).max(1);
            rest.iter().all(|&e| e.max(1) == d).then_some(d)
        }
    }
}

/// A slot's values as they were `d` steps ago (`d <= 1`: the previous
/// step's, the current ones), from the population's rate history.
fn delayed<R>(pre: &PopState<R>, slot: usize, d: u32) -> &[R] {
    if d <= 1 {
        &pre.vars[slot]
    } else {
        &pre.rate_hist
            .iter()
            .find(|(s, _)| *s == slot)
            .expect("history allocated at build")
            .1[d as usize - 2]
    }
}

/// `target += out`, element by element.
fn add_into<R: Real>(target: &mut [R], out: &[R]) {
    target.iter_mut().zip(out).for_each(|(s, o)| *s += *o);
}

/// `rate_sum` with the default psp `w * pre.r` and a sum: each post
/// neuron's row of weights times the delayed rates, into `pr.out`.
fn weighted_sum<R: Real>(pr: &mut ProjState<R>, pre: &PopState<R>) {
    let one = one_delay(&pr.delays);
    let (uniform, d0) = (one.is_some(), one.unwrap_or(1));
    let r = pr.pre_ref_slots[pr.ir.pre_refs.iter().position(|x| x == "r").unwrap_or(0)];
    let w = &pr.values[pr.ir.slot("w").unwrap_or(0) as usize];
    let (n_pre, n_post) = (pre.n / pr.batch, pr.out.len() / pr.batch);
    for (b, out) in pr.out.chunks_mut(n_post).enumerate() {
        let vals =
            |d: u32| &delayed(pre, r, if uniform { d0 } else { d })[b * n_pre..(b + 1) * n_pre];
        rate_sum::weighted_sum(
            &pr.row_ptr,
            &pr.syn.pre,
            w,
            if uniform { None } else { Some(&pr.syn.delay) },
            pr.rows_are,
            &vals,
            out,
        );
    }
}

/// The pre_spike statements of a spiking synapse with a psp (PyNN's NMDA
/// synapse), for the synapses whose pre neuron spiked at the previous
/// step (their delay is one step, checked by `projection_kind`), in
/// (post, pre) order, before the psp is summed: the `rate_sum` kernel runs
/// them in the same place. They change only the synapse's own variables.
fn psp_events<R: Real>(
    pr: &mut ProjState<R>,
    pre: &PopState<R>,
    post: &PopState<R>,
    (pre_off, post_off): (usize, usize),
    scalars: &[R],
    (seed, step32, object): (u64, u32, u32),
) {
    let Some(spikes) = pre.spike_hist.front() else {
        return;
    };
    let mut spiked = vec![false; pre.n];
    spikes.iter().for_each(|&r| spiked[r as usize] = true);
    let n_consts = scalars.len() - 2;
    let mut ctx = EventCtx {
        syn: &mut pr.values,
        pre: slices(Vec::new(), &pre.vars, &pr.pre_ref_slots),
        post: slices(Vec::new(), &post.vars, &pr.post_ref_slots),
        t: scalars[0],
        dt: scalars[1],
        consts: &scalars[2..2 + n_consts],
        seed,
        step: step32,
        object,
    };
    for (s, (&i, &j)) in pr.syn.post.iter().zip(&pr.syn.pre).enumerate() {
        let (i, j) = (post_off + i as usize, pre_off + j as usize);
        if spiked[j] {
            spike_propagate::run_event(&pr.ir.pre_spike, &mut ctx, s, j, i, None, &mut []);
        }
    }
}

/// `rate_sum` with a general psp: the psp of every synapse from the pre
/// (delayed) and post values, reduced by the projection's operation into
/// `pr.out`, element by element of a batch; `scratch.scalars` holds the
/// frame's (`frame_scalars`). The psp's row code reads in place what its
/// layout says, the interpreter every `pre.x` and `post.x` gathered.
fn general_psp<R: VmReal>(
    pr: &mut ProjState<R>,
    pops: &[PopState<R>],
    scratch: &mut Scratch<R>,
    (seed, step32, object): (u64, u32, u32),
) {
    let (pre, post) = (&pops[pr.pre], &pops[pr.post]);
    let (n_pre, n_post) = (pre.n / pr.batch, post.n / pr.batch);
    if pre.ir.spiking && !pr.ir.pre_spike.is_empty() {
        for b in 0..pr.batch {
            let offs = (b * n_pre, b * n_post);
            psp_events(
                pr,
                pre,
                post,
                offs,
                &scratch.scalars,
                (seed, step32, object),
            );
        }
    }
    let ProjKind::Rate { psp: Some(k), .. } = &pr.kind else {
        return;
    };
    let nsyn = pr.syn.pre.len();
    let n_pre_refs = pr.pre_ref_slots.len();
    let refs = n_pre_refs + pr.post_ref_slots.len();
    // Where the row code finds each `pre.x` and `post.x` (the psp and the
    // synapse's own arrays come before them).
    let ref_bounds = match &k.native {
        Some(_) => &k.layout[1 + k.binding.pre as usize..],
        None => &[],
    };
    let bound = |r: usize| ref_bounds.get(r).copied().unwrap_or(Bound::Each);
    let one_delay = one_delay(&pr.delays);
    pr.gathered.resize_with(refs, Vec::new);
    let frame = scratch.scalars.len();
    for b in 0..pr.batch {
        let (pre_off, post_off) = (b * n_pre, b * n_post);
        for (r, g) in pr.gathered.iter_mut().enumerate() {
            if bound(r) != Bound::Each {
                continue;
            }
            g.resize(nsyn, R::ZERO);
            match r.checked_sub(n_pre_refs) {
                None => {
                    let slot = pr.pre_ref_slots[r];
                    gather_pre(g, pre, slot, &pr.syn, one_delay, pre_off);
                }
                Some(q) => {
                    let values = &post.vars[pr.post_ref_slots[q]][post_off..post_off + n_post];
                    gather(g, values, &pr.row_ptr, None, false);
                }
            }
        }
        let scalars = &mut scratch.scalars;
        scalars.truncate(frame);
        let mut arrays = relist(std::mem::take(&mut scratch.arrays));
        match &k.native {
            Some(native) => {
                // Code that folds the rows writes each row's value
                // (`reduce`'s) where the psps would have gone.
                arrays.push(match k.folds {
                    true => &mut pr.out[post_off..post_off + n_post],
                    false => pr.psp.as_mut_slice(),
                });
                value_args(&mut arrays, &mut pr.values, &pr.ir.vars, scalars);
                let mut reads = relist(std::mem::take(&mut scratch.reads));
                for (r, g) in pr.gathered.iter().enumerate() {
                    reads.push(match (bound(r), r.checked_sub(n_pre_refs)) {
                        (Bound::Each, _) => g.as_slice(),
                        (_, None) => {
                            let d = one_delay.unwrap_or(1);
                            &delayed(pre, pr.pre_ref_slots[r], d)[pre_off..pre_off + n_pre]
                        }
                        (_, Some(q)) => {
                            &post.vars[pr.post_ref_slots[q]][post_off..post_off + n_post]
                        }
                    });
                }
                native.run_rows(
                    &mut arrays,
                    &reads,
                    &pr.ranks,
                    scalars,
                    &pr.row_ptr,
                    (seed, step32, object, 0),
                );
                scratch.reads = relist(reads);
            }
            None => {
                value_args(&mut arrays, &mut pr.values, &pr.ir.vars, scalars);
                arrays.extend(pr.gathered.iter_mut().map(|g| g.as_mut_slice()));
                rate_sum::eval_psp(k, &mut arrays, scalars, seed, step32, object, &mut pr.psp);
            }
        }
        scratch.arrays = relist(arrays);
        if !(k.folds && k.native.is_some()) {
            rate_sum::reduce(
                &pr.row_ptr,
                &pr.psp,
                pr.op,
                &mut pr.out[post_off..post_off + n_post],
            );
        }
    }
    scratch.scalars.truncate(frame);
}

/// Each synapse's value of the pre-synaptic array `slot` (neurons from
/// `off`), as it was its delay ago: from one array where every synapse has
/// the same delay (`one_delay`), else synapse by synapse.
fn gather_pre<R: Copy>(
    g: &mut [R],
    pre: &PopState<R>,
    slot: usize,
    syn: &crate::connect::SynapseList,
    one_delay: Option<u32>,
    off: usize,
) {
    match one_delay {
        Some(d) => {
            let values = &delayed(pre, slot, d)[off..];
            for (x, &j) in g.iter_mut().zip(&syn.pre) {
                *x = values[j as usize];
            }
        }
        None => {
            for ((x, &j), &d) in g.iter_mut().zip(&syn.pre).zip(&syn.delay) {
                *x = delayed(pre, slot, d)[off + j as usize];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{CpuEngine, FORK_NEURONS};
    use crate::prelude::{Network, Neuron};

    /// Which networks run their steps on a pool worker: not one whose
    /// every kernel stays on one thread; one with a population, or a
    /// projection's possible events, at a kernel's threshold.
    #[test]
    fn only_a_network_that_can_fork_moves_its_steps_to_the_pool() {
        let fork = |spiking: bool, n: usize, pre: usize, p: f64| -> bool {
            let model = match spiking {
                true => Neuron::spiking()
                    .equations("dv/dt = g_exc")
                    .spike("v > 1.0"),
                false => Neuron::rate().equations("r = sum(exc)"),
            };
            let mut net = Network::new();
            let a = net.population("a", pre, &model).unwrap();
            let b = net.population("b", n, &model).unwrap();
            net.projection(a, b, "exc")
                .connect_fixed_probability(p, 0.5)
                .unwrap();
            CpuEngine::<f32>::new(&net).unwrap().may_fork()
        };
        // Bar learning's feed-forward weights; Miconi's recurrent ones.
        assert!(!fork(false, 64, 32, 1.0));
        assert!(!fork(false, 200, 200, 0.1));
        assert!(!fork(false, FORK_NEURONS - 1, 10, 0.0));
        assert!(fork(false, FORK_NEURONS, 10, 0.0));
        // 90 000 rate-coded synapses.
        assert!(fork(false, 300, 300, 1.0));
        // Spikes: 100 inputs onto two neurons (Ramp); 4 000 synapses.
        assert!(!fork(true, 2, 100, 1.0));
        assert!(fork(true, 40, 100, 1.0));
    }
}

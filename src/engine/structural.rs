//! Structural plasticity: synapses created and pruned while the network
//! runs (ANNarchy's `creating` and `pruning` conditions,
//! `start_creating`/`start_pruning`, and a dendrite's `create_synapse` and
//! `prune_synapse`).
//!
//! Both engines store a projection's synapses in arrays sized at build
//! time, so a change of connectivity is a change of the network: the
//! simulation edits its copy of the projection's synapse list, builds the
//! engine anew from it and restores the state it had (the same path as
//! `save` then `load`, in memory). The conditions are evaluated on the
//! host, from the engine's current values, with the CPU engine's
//! expression evaluator and Philox draws keyed by (seed, projection, step,
//! synapse): both engines create and prune the same synapses.

use crate::real::Real;
use std::sync::Arc;

use super::cpu::spike_propagate::{eval_all, EventCtx, Idx, Places};
use super::cpu::PROJ_OBJECT;
use super::*;
use crate::connect::SynapseList;
use crate::lang::ir::{Expr, StructuralRule};
use crate::network::ProjId;

/// When a structural rule runs: at the steps `s >= offset` with
/// `(s - offset) % period == 0` (ANNarchy counts the period from the step
/// at which `start_*` was called).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Every {
    period: u64,
    offset: u64,
}

impl Every {
    fn due(&self, s: u64) -> bool {
        s >= self.offset && (s - self.offset).is_multiple_of(self.period)
    }

    /// Its first step at or after `s`.
    fn next_from(&self, s: u64) -> u64 {
        let from = s.max(self.offset);
        from + (self.period - (from - self.offset) % self.period) % self.period
    }
}

/// Which structural rules of a projection run, and since when.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct StructuralRun {
    pub(crate) creating: Option<Every>,
    pub(crate) pruning: Option<Every>,
}

/// Values per slot (or per variable), one array each.
type Arrays<R> = Vec<Vec<R>>;

/// A projection's connectivity and values as compiled.
pub(crate) type Compiled = (Arc<SynapseList>, Vec<crate::real::Reals>);

/// Philox streams of the draws of `proba`: the last but one and last but
/// two of the projection's 4096 (the last is procedural connectivity's).
const CREATE_STREAM: u32 = 0xFFE;
const PRUNE_STREAM: u32 = 0xFFD;

/// A projection's synapses and values being edited: (post, pre) order,
/// each per-synapse slot beside them.
/// The values are in `R`: the network's precision where rules are
/// evaluated, f64 (exact for both) for the changes a user asks for.
struct Edit<R> {
    post: Vec<u32>,
    pre: Vec<u32>,
    delay: Vec<u32>,
    /// Per slot: per synapse, or one value for the projection.
    values: Vec<Vec<R>>,
    changed: bool,
}

impl<R: Real> Edit<R> {
    /// Synapses of post neuron `i`: a range of the (post, pre) order.
    fn row(&self, i: u32) -> std::ops::Range<usize> {
        self.post.partition_point(|&p| p < i)..self.post.partition_point(|&p| p <= i)
    }

    /// Where synapse (post `i`, pre `j`) is, or would be inserted.
    fn find(&self, i: u32, j: u32) -> std::result::Result<usize, usize> {
        let row = self.row(i);
        match self.pre[row.clone()].binary_search(&j) {
            Ok(k) => Ok(row.start + k),
            Err(k) => Err(row.start + k),
        }
    }

    fn insert(&mut self, at: usize, i: u32, j: u32, delay: u32, fresh: &[(bool, R)]) {
        self.post.insert(at, i);
        self.pre.insert(at, j);
        self.delay.insert(at, delay);
        for (v, &(local, x)) in self.values.iter_mut().zip(fresh) {
            if local {
                v.insert(at, x);
            }
        }
        self.changed = true;
    }

    /// Removes the synapses at the indices `doomed`, in one pass.
    fn remove_all(&mut self, doomed: &[usize], local: &[bool]) {
        if doomed.is_empty() {
            return;
        }
        let mut gone = vec![false; self.post.len()];
        doomed.iter().for_each(|&k| gone[k] = true);
        fn keep<T>(v: &mut Vec<T>, gone: &[bool]) {
            let mut k = 0;
            v.retain(|_| {
                k += 1;
                !gone[k - 1]
            });
        }
        keep(&mut self.post, &gone);
        keep(&mut self.pre, &gone);
        keep(&mut self.delay, &gone);
        for (v, &l) in self.values.iter_mut().zip(local) {
            if l {
                keep(v, &gone);
            }
        }
        self.changed = true;
    }

    fn remove(&mut self, at: usize, local: &[bool]) {
        self.post.remove(at);
        self.pre.remove(at);
        self.delay.remove(at);
        for (v, &l) in self.values.iter_mut().zip(local) {
            if l {
                v.remove(at);
            }
        }
        self.changed = true;
    }
}

impl Simulation {
    /// Starts checking the projection's `pruning` condition every
    /// `period_ms` (default: every step), from the next step on (ANNarchy's
    /// `start_pruning`): each existing synapse whose condition holds is
    /// removed, with the probability of its `proba` flag. The check comes
    /// at the end of a step, after the learning rules and before the
    /// monitors sample; creating comes before pruning.
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// let mut net = Network::new();
    /// let n = Neuron::rate().equations("tau * dr/dt + r = baseline + sum(exc) : min = 0.0")
    ///     .parameters("tau = 10.0 : population\nbaseline = 0.0");
    /// let pop = net.population("pop", 10, &n)?;
    /// let s = Synapse::new()
    ///     .equations("age = if pre.r * post.r > 0.25 : 0 else : age + 1 : init = 0, int")
    ///     .pruning("age > 10");
    /// let p = net.projection(pop, pop, "exc").synapse(&s)
    ///     .connect_all_to_all(Weights::constant(0.1))?;
    /// let mut sim = net.compile(Backend::Cpu)?;
    /// sim.start_pruning(p, Some(5.0))?;
    /// sim.simulate(20.0)?; // nothing active: every age passes 10
    /// assert_eq!(sim.synapses(p, "w")?.0.len(), 0);
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn start_pruning(&mut self, proj: ProjId, period_ms: Option<f64>) -> Result<()> {
        let every = self.structural_every(proj, "pruning", period_ms)?;
        self.structural[proj.0].pruning = Some(every);
        Ok(())
    }

    /// Stops checking the pruning condition (ANNarchy's `stop_pruning`).
    pub fn stop_pruning(&mut self, proj: ProjId) -> Result<()> {
        self.structural_rule(proj, "pruning")?;
        self.structural[proj.0].pruning = None;
        Ok(())
    }

    /// Starts checking the projection's `creating` condition every
    /// `period_ms` (default: every step), from the next step on (ANNarchy's
    /// `start_creating`): for every pair of a post and a pre neuron without
    /// a synapse (a neuron and itself included, as ANNarchy's) whose
    /// condition holds, a synapse is created with the probability of the
    /// `proba` flag, the weight of `w` and the delay of `d`; its other
    /// variables take their initial values.
    pub fn start_creating(&mut self, proj: ProjId, period_ms: Option<f64>) -> Result<()> {
        let every = self.structural_every(proj, "creating", period_ms)?;
        let rule = self.structural_rule(proj, "creating")?.clone();
        self.created_delay(proj.0, rule.delay_ms)?;
        self.structural[proj.0].creating = Some(every);
        Ok(())
    }

    /// Stops checking the creating condition (ANNarchy's `stop_creating`).
    pub fn stop_creating(&mut self, proj: ProjId) -> Result<()> {
        self.structural_rule(proj, "creating")?;
        self.structural[proj.0].creating = None;
        Ok(())
    }

    /// Creates the synapse from pre neuron `pre` to post neuron `post` with
    /// weight `w` and a delay (default: the projection's), its other
    /// variables at their initial values (ANNarchy's
    /// `proj.dendrite(post).create_synapse(pre, w, delay)`). An existing
    /// synapse is an error.
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// let mut net = Network::new();
    /// let pop = net.population("pop", 3, &Neuron::rate().equations("r = sum(exc)"))?;
    /// let p = net.projection(pop, pop, "exc").connect_one_to_one(1.0)?;
    /// let mut sim = net.compile(Backend::Cpu)?;
    /// sim.create_synapse(p, 0, 2, 0.5, None)?;
    /// sim.prune_synapse(p, 1, 1)?;
    /// assert_eq!(sim.synapses(p, "w")?, (vec![0, 0, 2], vec![0, 2, 2], vec![1.0, 0.5, 1.0]));
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn create_synapse(
        &mut self,
        proj: ProjId,
        post: usize,
        pre: usize,
        w: impl Into<f64>,
        delay_ms: Option<f64>,
    ) -> Result<()> {
        self.create_synapses(proj, post, &[pre], &[w.into()], delay_ms)
    }

    /// Creates the synapses from the pre neurons `pre` to post neuron
    /// `post`, weights `w` (one, or one per synapse), in one change
    /// (ANNarchy's `dendrite.create_synapses`). Nothing is created if one
    /// of them exists.
    pub fn create_synapses<W: Into<f64> + Copy>(
        &mut self,
        proj: ProjId,
        post: usize,
        pre: &[usize],
        w: &[W],
        delay_ms: Option<f64>,
    ) -> Result<()> {
        self.structural_allowed(proj)?;
        if w.len() != 1 && w.len() != pre.len() {
            return Err(Error::Shape {
                owner: format!(
                    "create_synapses of projection '{}'",
                    self.net.projs[proj.0].name
                ),
                message: format!(
                    "{} weights for {} synapses: give one, or one per synapse",
                    w.len(),
                    pre.len()
                ),
            });
        }
        let delay = self.created_delay(proj.0, delay_ms)?;
        let mut edit = self.edit::<f64>(proj.0)?;
        for (k, &j) in pre.iter().enumerate() {
            let (i, j) = self.synapse_ranks(proj, post, j, "create_synapse")?;
            let w = self.net.precision().round(w[k.min(w.len() - 1)].into());
            let fresh = self.fresh_values(proj.0, w);
            match edit.find(i, j) {
                Ok(_) => {
                    return Err(Error::invalid(
                        format!("projection '{}'", self.net.projs[proj.0].name),
                        format!("the synapse from pre neuron {j} to post neuron {post} exists already: nothing was created"),
                    ))
                }
                Err(at) => edit.insert(at, i, j, delay, &fresh),
            }
        }
        self.commit(proj.0, edit)
    }

    /// Removes the synapses from the pre neurons `pre` to post neuron
    /// `post` in one change (ANNarchy's `dendrite.prune_synapses`). Nothing
    /// is removed if one of them does not exist.
    pub fn prune_synapses(&mut self, proj: ProjId, post: usize, pre: &[usize]) -> Result<()> {
        self.structural_allowed(proj)?;
        let local = self.local_slots(proj.0);
        let mut edit = self.edit::<f64>(proj.0)?;
        for &j in pre {
            let (i, j) = self.synapse_ranks(proj, post, j, "prune_synapse")?;
            match edit.find(i, j) {
                Ok(at) => edit.remove(at, &local),
                Err(_) => {
                    return Err(Error::invalid(
                        format!("projection '{}'", self.net.projs[proj.0].name),
                        format!("there is no synapse from pre neuron {j} to post neuron {post}: nothing was pruned"),
                    ))
                }
            }
        }
        self.commit(proj.0, edit)
    }

    /// Removes the synapse from pre neuron `pre` to post neuron `post`
    /// (ANNarchy's `proj.dendrite(post).prune_synapse(pre)`). A synapse
    /// that does not exist is an error.
    pub fn prune_synapse(&mut self, proj: ProjId, post: usize, pre: usize) -> Result<()> {
        self.prune_synapses(proj, post, &[pre])
    }

    /// The first step at or after `s` at which a structural rule runs.
    pub(super) fn next_structural(&self, s: u64) -> Option<u64> {
        self.structural
            .iter()
            .flat_map(|r| [r.creating, r.pruning])
            .flatten()
            .map(|e| e.next_from(s))
            .min()
    }

    /// Runs the structural rules due at step `s`, which just ran: creating
    /// then pruning, projection by projection, as ANNarchy's step does.
    pub(super) fn structural_step(&mut self, s: u64) -> Result<()> {
        match self.net.precision() {
            crate::real::Dtype::F32 => self.structural_step_in::<f32>(s),
            crate::real::Dtype::F64 => self.structural_step_in::<f64>(s),
        }
    }

    /// [`structural_step`](Self::structural_step), the rules evaluated
    /// in `R`, the network's precision.
    fn structural_step_in<R: Real>(&mut self, s: u64) -> Result<()> {
        for p in 0..self.structural.len() {
            let run = self.structural[p];
            let creating = run.creating.filter(|e| e.due(s));
            let pruning = run.pruning.filter(|e| e.due(s));
            if creating.is_none() && pruning.is_none() {
                continue;
            }
            let ir = self.net.projs[p].ir.clone();
            // Both rules read the neurons as the step left them. The
            // synapses are copied out to be edited only where a rule
            // changes them (most checks of a grown network change
            // nothing, and the copy was most of their cost).
            let sides = self.side_values(p)?;
            let mut edit: Option<Edit<R>> = None;
            if let (Some(_), Some(rule)) = (creating, &ir.creating) {
                let delay = self.created_delay(p, rule.delay_ms)?;
                let fresh = self.fresh_values(p, rule.w);
                let new = self.create_by_rule(p, s, rule, &sides)?;
                if !new.is_empty() {
                    let mut e = self.edit::<R>(p)?;
                    // At their places before any was inserted, in order.
                    for (k, &(at, i, j)) in new.iter().enumerate() {
                        e.insert(at + k, i, j, delay, &fresh);
                    }
                    edit = Some(e);
                }
            }
            if let (Some(_), Some(rule)) = (pruning, &ir.pruning) {
                let doomed = match &mut edit {
                    Some(e) => {
                        let mut values = std::mem::take(&mut e.values);
                        let doomed =
                            self.prune_by_rule(p, s, rule, &sides, (&e.post, &e.pre), &mut values);
                        e.values = values;
                        doomed
                    }
                    None => {
                        let mut values = self.rule_values::<R>(p, &rule.cond)?;
                        let pr = &self.net.projs[p];
                        let (post, pre) = (&pr.synapses.post, &pr.synapses.pre);
                        self.prune_by_rule(p, s, rule, &sides, (post, pre), &mut values)
                    }
                };
                if !doomed.is_empty() {
                    let local = self.local_slots(p);
                    let e = match &mut edit {
                        Some(e) => e,
                        None => edit.insert(self.edit::<R>(p)?),
                    };
                    e.remove_all(&doomed, &local);
                }
            }
            if let Some(e) = edit {
                self.commit(p, e)?;
            }
        }
        Ok(())
    }

    /// The pairs without a synapse whose condition holds that get one
    /// (with probability `proba`): each as (where it goes in the
    /// projection's synapses as they are, post rank, pre rank), in order.
    fn create_by_rule<R: Real>(
        &self,
        p: usize,
        s: u64,
        rule: &StructuralRule,
        (pre_vals, post_vals): &(Arrays<R>, Arrays<R>),
    ) -> Result<Vec<(usize, u32, u32)>> {
        let pr = &self.net.projs[p];
        let n_pre = self.net.pops[pr.pre.0].size() as u32;
        let n_post = self.net.pops[pr.post.0].size() as u32;
        // The condition reads no per-synapse slot (checked by the
        // analysis): the projection-wide values it names are all it needs.
        let mut syn = self.rule_values::<R>(p, &rule.cond)?;
        let consts = self.consts_in::<R>();
        let ctx = self.event_ctx(p, s, &mut syn, (pre_vals, post_vals), &consts);
        let object = PROJ_OBJECT | ((p as u32) << 12) | CREATE_STREAM;
        let (post, pre) = (&pr.synapses.post, &pr.synapses.pre);
        let mut new = Vec::new();
        // A post neuron's row of pairs at a time: the condition over the
        // row, then a walk along the row's synapses (sorted by pre rank).
        // A pair is numbered `i * n_pre + j` in 32 bits (its draws' key):
        // consecutive along a row unless the numbers wrap.
        let mut pairs = Vec::new();
        let mut row_start = 0;
        for i in 0..n_post {
            let first = i.wrapping_mul(n_pre);
            let syn = match first.checked_add(n_pre) {
                Some(_) => Idx::From(first as usize),
                None => {
                    pairs.clear();
                    pairs.extend((0..n_pre).map(|j| first.wrapping_add(j) as usize));
                    Idx::Each(&pairs)
                }
            };
            let at = Places {
                syn,
                pre: Idx::From(0),
                post: Idx::One(i as usize),
            };
            let holds = eval_all(&rule.cond, &ctx, &at, n_pre as usize);
            // The rows in order: each starts where the last ended (a
            // binary search a row was a sixth of a check).
            let end = row_start + post[row_start..].iter().take_while(|&&p| p == i).count();
            let row = row_start..end;
            row_start = end;
            let mut c = row.start;
            // Eight pairs at a time past those where it holds nowhere
            // (most: one comparison of eight, not a branch each).
            for (at, eight) in holds.chunks(8).enumerate() {
                if !eight.iter().fold(false, |any, &h| any | (h != R::ZERO)) {
                    continue;
                }
                for (k, &h) in eight.iter().enumerate() {
                    if h == R::ZERO {
                        continue;
                    }
                    let j = (8 * at + k) as u32;
                    while c < row.end && pre[c] < j {
                        c += 1;
                    }
                    if c < row.end && pre[c] == j {
                        continue;
                    }
                    let pair = first.wrapping_add(j);
                    if !chance::<R>(rule.proba, ctx.seed, object, s, pair) {
                        continue;
                    }
                    new.push((c, i, j));
                }
            }
        }
        Ok(new)
    }

    /// The synapses (`post`, `pre`, per-synapse `values`) whose condition
    /// holds that are removed (with probability `proba`), by index.
    #[allow(clippy::too_many_arguments)]
    fn prune_by_rule<R: Real>(
        &self,
        p: usize,
        s: u64,
        rule: &StructuralRule,
        (pre_vals, post_vals): &(Arrays<R>, Arrays<R>),
        (post, pre): (&[u32], &[u32]),
        values: &mut [Vec<R>],
    ) -> Vec<usize> {
        let n_pre = self.net.pops[self.net.projs[p].pre.0].size() as u32;
        let object = PROJ_OBJECT | ((p as u32) << 12) | PRUNE_STREAM;
        // Decide on the values as they are: a removal does not change
        // what the others read.
        let mut doomed = Vec::new();
        let consts = self.consts_in::<R>();
        let ctx = self.event_ctx(p, s, values, (pre_vals, post_vals), &consts);
        let n = post.len();
        let at = Places {
            syn: Idx::From(0),
            pre: Idx::Each32(pre),
            post: Idx::Each32(post),
        };
        let holds = if n == 0 {
            Vec::new()
        } else {
            eval_all(&rule.cond, &ctx, &at, n)
        };
        for (k, &h) in holds.iter().enumerate() {
            if h == R::ZERO {
                continue;
            }
            let pair = post[k].wrapping_mul(n_pre).wrapping_add(pre[k]);
            if !chance::<R>(rule.proba, ctx.seed, object, s, pair) {
                continue;
            }
            doomed.push(k);
        }
        doomed
    }

    /// The projection's values that a condition `cond` reads, each slot
    /// as stored (per synapse or one for the projection); the slots it
    /// does not read are empty (creating's and pruning's alike).
    fn rule_values<R: Real>(&self, p: usize, cond: &Expr) -> Result<Vec<Vec<R>>> {
        let n = self.net.projs[p].ir.vars.len();
        let mut read = vec![false; n];
        cond.walk(&mut |e| {
            if let Expr::Var(v) = e {
                if let Some(r) = read.get_mut(*v as usize) {
                    *r = true;
                }
            }
        });
        (0..n)
            .map(|k| match read[k] {
                true => self
                    .engine
                    .synapse_values(p, k)
                    .map(crate::real::Reals::into_vec),
                false => Ok(Vec::new()),
            })
            .collect()
    }

    /// The constants as the conditions read them.
    fn consts_in<R: Real>(&self) -> Vec<R> {
        self.engine.constants().iter().map(|&c| R::of(c)).collect()
    }

    /// What the conditions read: `syn` the synapse slots, the pre- and
    /// post-synaptic arrays of the model's `pre.x` and `post.x`.
    fn event_ctx<'a, R: Real>(
        &'a self,
        p: usize,
        s: u64,
        syn: &'a mut [Vec<R>],
        (pre, post): (&'a [Vec<R>], &'a [Vec<R>]),
        consts: &'a [R],
    ) -> EventCtx<'a, R> {
        EventCtx {
            syn,
            pre: pre.iter().map(Vec::as_slice).collect(),
            post: post.iter().map(Vec::as_slice).collect(),
            t: R::of(self.time_of(s)),
            dt: R::of(self.net.dt),
            consts,
            seed: self.net.seed,
            step: s as u32,
            object: PROJ_OBJECT | ((p as u32) << 12),
        }
    }

    /// The current values of the model's `pre.x` and `post.x` (NaN for a
    /// name the population lacks: read only by sections that do not run).
    fn side_values<R: Real>(&self, p: usize) -> Result<(Arrays<R>, Arrays<R>)> {
        let pr = &self.net.projs[p];
        let read = |pop: PopId, names: &[String]| -> Result<Arrays<R>> {
            let ppl = &self.net.pops[pop.0];
            names
                .iter()
                .map(|n| match ppl.ir.slot(n) {
                    Some(slot) => self
                        .engine
                        .slot_values(pop.0, slot as usize)
                        .map(crate::real::Reals::into_vec),
                    None => Ok(vec![R::NAN; ppl.size()]),
                })
                .collect()
        };
        Ok((
            read(pr.pre, &pr.ir.pre_refs)?,
            read(pr.post, &pr.ir.post_refs)?,
        ))
    }

    /// The projection's synapses and current values, to edit.
    fn edit<R: Real>(&self, p: usize) -> Result<Edit<R>> {
        let pr = &self.net.projs[p];
        let values = (0..pr.ir.vars.len())
            .map(|k| {
                self.engine
                    .synapse_values(p, k)
                    .map(crate::real::Reals::into_vec)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Edit {
            post: pr.synapses.post.clone(),
            pre: pr.synapses.pre.clone(),
            delay: pr.synapses.delay.clone(),
            values,
            changed: false,
        })
    }

    /// Per slot: whether it is per synapse.
    fn local_slots(&self, p: usize) -> Vec<bool> {
        let pr = &self.net.projs[p];
        pr.ir
            .vars
            .iter()
            .map(|v| v.locality == Locality::Local)
            .collect()
    }

    /// Per slot: whether it is per synapse, and a new synapse's value
    /// (its initial value; `w` for the weight).
    fn fresh_values<R: Real>(&self, p: usize, w: f64) -> Vec<(bool, R)> {
        let pr = &self.net.projs[p];
        pr.ir
            .vars
            .iter()
            .map(|v| {
                let local = v.locality == Locality::Local;
                (local, R::of(if v.name == "w" { w } else { v.init }))
            })
            .collect()
    }

    /// The stored delay (steps) of a created synapse: `delay_ms` or the
    /// projection's one delay. It may not exceed the projection's longest
    /// delay as compiled (as ANNarchy): the engines keep the spikes and
    /// rates of as many steps as the compiled delays need.
    fn created_delay(&self, p: usize, delay_ms: Option<f64>) -> Result<u32> {
        let pr = &self.net.projs[p];
        let owner = || format!("projection '{}'", pr.name);
        let rate_coded = !self.net.pops[pr.pre.0].ir.spiking;
        let compiled = self.pristine[p].as_ref().map_or(&pr.synapses, |(s, _)| s);
        let longest = compiled.delay.iter().copied().max().unwrap_or(1);
        let d = match delay_ms {
            Some(ms) => {
                if !(ms.is_finite() && ms >= 0.0) {
                    return Err(Error::invalid(
                        owner(),
                        format!("a delay must be a non-negative number of ms, got {ms}"),
                    ));
                }
                crate::connect::rate_or_spike_steps((ms / self.net.dt).round() as u32, rate_coded)
            }
            None => {
                let mut d = compiled.delay.iter().copied();
                let first = d.next().unwrap_or(1);
                if d.any(|x| x != first) {
                    return Err(Error::invalid(
                        owner(),
                        "its synapses have different delays: give the delay of a created synapse (the 'd = ms' flag of creating, or create_synapse's delay)",
                    ));
                }
                first
            }
        };
        if d > longest {
            return Err(Error::invalid(
                owner(),
                format!(
                    "a created synapse's delay ({} ms) cannot exceed the longest delay the projection was compiled with ({} ms)",
                    f64::from(d) * self.net.dt,
                    f64::from(longest) * self.net.dt
                ),
            ));
        }
        Ok(d)
    }

    /// Checks the projection and the ranks of a synapse to create or prune.
    fn synapse_ranks(
        &self,
        proj: ProjId,
        post: usize,
        pre: usize,
        what: &str,
    ) -> Result<(u32, u32)> {
        self.structural_allowed(proj)?;
        let pr = &self.net.projs[proj.0];
        let (n_pre, n_post) = (
            self.net.pops[pr.pre.0].size(),
            self.net.pops[pr.post.0].size(),
        );
        if post >= n_post || pre >= n_pre {
            return Err(Error::invalid(
                format!("projection '{}'", pr.name),
                format!("{what}: post neuron {post} and pre neuron {pre} must be below the populations' sizes ({n_post} and {n_pre})"),
            ));
        }
        Ok((post as u32, pre as u32))
    }

    /// Whether the projection's synapses can change: stored one by one,
    /// and recorded by no monitor of synapses (whose samples have one
    /// width).
    fn structural_allowed(&self, proj: ProjId) -> Result<()> {
        let pr = self.net.proj(proj)?;
        let owner = format!("projection '{}'", pr.name);
        if pr.conv.is_some() || pr.procedural.is_some() || pr.window.is_some() || pr.inject {
            return Err(Error::Unsupported {
                owner,
                message: "its synapses are not stored one by one (convolution, pooling, procedural connectivity, decoding or current injection): they cannot be created or pruned".into(),
            });
        }
        if let Some(m) = self
            .synapse_monitors
            .iter()
            .find(|m| m.spec.proj == proj && m.local.iter().any(|&l| l))
        {
            return Err(Error::invalid(
                owner,
                format!("a monitor of its synapses records {:?} of a fixed set of synapses: record what you need with Simulation::synapses or a callback instead, or stop creating and pruning", m.spec.vars),
            ));
        }
        Ok(())
    }

    /// The projection's rule of `section`, or ANNarchy's error.
    fn structural_rule(&self, proj: ProjId, section: &str) -> Result<&StructuralRule> {
        self.structural_allowed(proj)?;
        let pr = &self.net.projs[proj.0];
        let rule = if section == "pruning" {
            &pr.ir.pruning
        } else {
            &pr.ir.creating
        };
        rule.as_ref().ok_or_else(|| {
            Error::invalid(
                format!("projection '{}'", pr.name),
                format!(
                    "its synapse model '{}' has no {section} condition (Synapse::{section})",
                    pr.ir.name
                ),
            )
        })
    }

    fn structural_every(
        &self,
        proj: ProjId,
        section: &str,
        period_ms: Option<f64>,
    ) -> Result<Every> {
        self.structural_rule(proj, section)?;
        let dt = self.net.dt;
        let ms = period_ms.unwrap_or(dt);
        if !(ms.is_finite() && ms > 0.0) {
            return Err(Error::invalid(
                format!("start_{section}"),
                format!("the period must be a positive number of ms, got {ms}"),
            ));
        }
        Ok(Every {
            period: ((ms / dt).round() as u64).max(1),
            offset: self.step,
        })
    }

    /// Puts the edited synapses in place: the network's copy of the
    /// projection changes and the engine is built anew from it, with the
    /// state it had. On an error nothing changes.
    fn commit<R: Real>(&mut self, p: usize, edit: Edit<R>) -> Result<()> {
        if !edit.changed {
            return Ok(());
        }
        let mut snap = self.engine.snapshot()?;
        let mut net = self.net.clone();
        let dtype = net.precision();
        let pr = &mut net.projs[p];
        let w_slot = pr.ir.slot("w").unwrap_or(0) as usize;
        // In the network's precision (exact: the values are its own).
        let values: Vec<crate::real::Reals> = edit
            .values
            .into_iter()
            .map(|v| crate::real::Reals::of(dtype, v.into_iter().map(Real::f64)))
            .collect();
        let list = SynapseList {
            w: values[w_slot].clone(),
            post: edit.post,
            pre: edit.pre,
            delay: edit.delay,
        };
        snap.projs[p] = values.clone();
        let old = (pr.synapses.clone(), pr.values.clone());
        pr.synapses = Arc::new(list);
        pr.values = values;
        self.rebuild(net, snap)?;
        self.pristine[p].get_or_insert(old);
        Ok(())
    }

    /// Builds the engine anew for `net` (a changed copy of this
    /// simulation's network) and carries `snap`, the old engine's state,
    /// and the learning switches over; on an error nothing changes.
    pub(super) fn rebuild(&mut self, net: Network, mut snap: Snapshot) -> Result<()> {
        let mut engine = self.new_engine(&net)?;
        fit_history(&mut snap, &engine.history_shape());
        engine.restore(&snap)?;
        for (i, l) in self.learning.iter().enumerate() {
            engine.set_learning(i, *l);
        }
        self.net = net;
        self.engine = engine;
        Ok(())
    }

    /// The CPU engine's threads as ranks made one engine with the same
    /// state (what runs one stage alone).
    pub(super) fn one_engine(&mut self) -> Result<()> {
        let mut snap = self.engine.snapshot()?;
        let mut engine: Box<dyn Engine> = crate::engine::cpu::boxed(&self.net)?;
        fit_history(&mut snap, &engine.history_shape());
        engine.restore(&snap)?;
        for (i, l) in self.learning.iter().enumerate() {
            engine.set_learning(i, *l);
        }
        self.engine = engine;
        Ok(())
    }

    /// An engine of this simulation's kind for `net`.
    pub(super) fn new_engine(&self, net: &Network) -> Result<Box<dyn Engine>> {
        // A rank's engine is rebuilt as a rank (every rank rebuilds: the
        // same calls on every rank).
        if let Some(built) = self.engine.rank_engine(net) {
            return built;
        }
        Ok(match &self.gpu {
            None => crate::engine::cpu::boxed(net)?,
            Some(o) => Box::new(GpuEngine::new(net, o)?),
        })
    }

    /// Back to the synapses the network was compiled with (for `reset`);
    /// whether any had changed.
    pub(super) fn restore_compiled_synapses(&mut self) -> Result<bool> {
        let mut any = false;
        for (p, old) in self.pristine.iter_mut().enumerate() {
            if let Some((synapses, values)) = old.take() {
                self.net.projs[p].synapses = synapses;
                self.net.projs[p].values = values;
                any = true;
            }
        }
        self.structural
            .iter_mut()
            .for_each(|r| *r = StructuralRun::default());
        if any {
            let engine = self.new_engine(&self.net)?;
            let consts = self.engine.constants();
            self.engine = engine;
            self.engine.set_constants(&consts);
            for (i, l) in self.learning.iter().enumerate() {
                self.engine.set_learning(i, *l);
            }
        }
        Ok(any)
    }
}

/// Whether a candidate passes its `proba` (always without one): a
/// uniform Philox draw keyed by (seed, stream, step, pair) below it.
fn chance<R: Real>(proba: Option<f64>, seed: u64, object: u32, step: u64, pair: u32) -> bool {
    proba.is_none_or(|p| {
        let bits = crate::random::philox::draw(seed, object, step as u32, pair);
        R::u01(bits[0]) < R::of(p)
    })
}

/// Fits a snapshot's spike and value histories to an engine's depths
/// (newest first): pruning the synapses of the longest delay shortens
/// them, and the oldest rows, which no synapse reads any more, go.
pub(crate) fn fit_history(snap: &mut Snapshot, shape: &[(usize, Vec<(u32, usize)>)]) {
    for (ps, (depth, hist)) in snap.pops.iter_mut().zip(shape) {
        ps.spikes.resize(*depth, Vec::new());
        for ((_, rows), (_, d)) in ps.hist.iter_mut().zip(hist) {
            let last = rows.last().cloned().unwrap_or_default();
            rows.resize(*d, last);
        }
    }
}

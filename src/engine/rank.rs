//! What either engine does as one rank of a distributed run
//! (`engine::distributed`), whatever holds its state: what it exchanges and
//! how often ([`Rank::new`], decided from the whole network so that every
//! rank decides the same), the words of an exchange and their merge
//! ([`Rank::exchange`]), the monitors' merge at the end of a run, and the
//! collective reads. The engines read and write their own buffers around
//! it: the CPU engine its spike histories and state vectors
//! (`cpu/dist.rs`), the GPU engine its spike rings and state buffers
//! (`gpu/dist.rs`).

use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use crate::engine::distributed::{cut_slot, Comm, Partition};
use crate::engine::kind::{projection_kind, psp_events, ProjectionKind};
use crate::engine::MonitorState;
use crate::error::{Error, Result};
use crate::lang::ir::{Locality, VarDecl};
use crate::network::Network;

/// Longest exchange interval, in steps, when no projection reads spikes:
/// the run's end exchanges anyway.
const MAX_INTERVAL: usize = 1 << 12;

/// One rank's part in a distributed run.
pub(crate) struct Rank {
    pub(crate) comm: Arc<dyn Comm>,
    pub(crate) part: Partition,
    /// Per population: the per-neuron slots that projections read of it
    /// (`pre.x`, rates), exchanged at every step.
    pub(crate) slots: Vec<Vec<usize>>,
    /// Per population: whether each neuron's last spike is carried by
    /// every exchange ([`Rank::carry_last_spikes`]).
    last: Vec<bool>,
    /// Per population whose spikes a projection reads: the number its
    /// neuron 0 has in the exchanged lists (the read populations' neurons
    /// numbered one after the other).
    pub(crate) first: Vec<Option<u32>>,
    /// Per population: its number of neurons.
    sizes: Vec<usize>,
    /// 32-bit words a value of a slot takes in the exchanges (1 for f32,
    /// 2 for f64: the network's precision).
    width: usize,
    /// Per population: the ranks in the order of their blocks (the order
    /// in which their spikes are merged).
    order: Vec<Vec<usize>>,
    /// Per monitor: the rank of each neuron it records.
    owners: Vec<Vec<usize>>,
    /// Steps between spike exchanges: the shortest delay with which a
    /// projection reads spikes (1 when values are exchanged).
    pub(crate) interval: usize,
    /// Steps run since the last exchange (their spikes, in each read
    /// population's history, are this rank's alone).
    pub(crate) pending: usize,
    /// Per projection: whether its synapses are cut between the ranks
    /// (stored lists are; convolutions and procedural ones are computed
    /// whole on every rank), and their number in the network.
    sliced: Vec<Option<usize>>,
    /// Per projection, its slots' declarations (which are per synapse).
    decls: Vec<Vec<VarDecl>>,
    /// Time spent in the exchanges of the steps (waiting for the other
    /// ranks included), and their number.
    pub(crate) spent: (Duration, u64),
    /// The first failure of an exchange made where no error can be
    /// returned (inside the CPU engine's step), returned at the end of
    /// the run.
    pub(crate) failed: Option<Error>,
    /// Whether an interval's exchange overlaps the next interval's
    /// computation (the interval is then half the shortest delay).
    pub(crate) overlap: bool,
    /// The thread that makes the overlapped exchanges, once one was made.
    courier: Option<Courier>,
    /// The number of steps of the exchange in flight, if one is.
    in_flight: Option<usize>,
}

/// A thread of the rank that makes the collective of an exchange while
/// the engine computes: words in, every rank's words out, one at a time
/// and in order (so a rank's collectives keep their order: the engine
/// makes its own only after taking the result of the one in flight).
struct Courier {
    jobs: std::sync::mpsc::Sender<Vec<u32>>,
    results: std::sync::mpsc::Receiver<Result<Vec<Vec<u32>>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Courier {
    fn new(comm: Arc<dyn Comm>) -> Result<Courier> {
        let (jobs, inbox) = std::sync::mpsc::channel::<Vec<u32>>();
        let (outbox, results) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("cajal-exchange".into())
            .spawn(move || {
                for words in inbox {
                    if outbox.send(comm.all_gather(&words)).is_err() {
                        break;
                    }
                }
            })
            .map_err(|e| Error::Distributed {
                rank: 0,
                message: format!("cannot start the exchange thread: {e}"),
            })?;
        Ok(Courier {
            jobs,
            results,
            thread: Some(thread),
        })
    }
}

impl Drop for Courier {
    fn drop(&mut self) {
        // Closing the channel ends the thread; joined, so that it lets go
        // of the communicator (MPI is finalized with its last handle).
        let (dead, _) = std::sync::mpsc::channel();
        drop(std::mem::replace(&mut self.jobs, dead));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Rank {
    fn drop(&mut self) {
        // An exchange still in flight (a run cut short) may never complete:
        // its thread is left to the process rather than waited for.
        if self.in_flight.is_some() {
            if let Some(mut c) = self.courier.take() {
                c.thread.take();
            }
        }
    }
}

/// The exchange thread of `rank` is gone (it panicked).
fn courier_gone(rank: usize) -> Error {
    Error::Distributed {
        rank,
        message: "the rank's exchange thread stopped".into(),
    }
}

/// A per-neuron array an exchange carries: each rank's block, put
/// together into every rank's whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Carried {
    /// A slot of the population's state that projections read (`pre.x`,
    /// rates).
    Slot(usize),
    /// Each neuron's last spike (the GPU engine's `lastspk`, read by
    /// DecodingProjections and psp events).
    LastSpike,
}

/// What an exchange brought every rank.
pub(crate) struct Exchanged {
    /// Per step of the exchange (in the order the engine gave them), per
    /// population: every rank's spikes merged in neuron order (empty for a
    /// population whose spikes are not exchanged).
    pub(crate) spikes: Vec<Vec<Vec<u32>>>,
    /// Per carried array (population, which), in [`Rank::carried`]'s
    /// order: the whole population's values, as bits.
    pub(crate) values: Vec<(usize, Carried, Vec<u32>)>,
}

impl Rank {
    /// The rank `part.rank` of a run of `net`: what it exchanges, decided
    /// from the whole network (the interval agreed with the other ranks,
    /// whose parts may hold other delays).
    /// With `overlap` (an engine that can compute while the exchange is in
    /// flight) and the network's [`Network::exchange_overlap`] on every
    /// rank, a network whose shortest delay is at least two steps and with
    /// no values exchanged exchanges every half of the shortest delay, each
    /// overlapping the next half.
    pub(crate) fn new(
        comm: Arc<dyn Comm>,
        part: Partition,
        net: &Network,
        overlap: bool,
    ) -> Result<Rank> {
        let plan = plan(net);
        // Every rank takes part in the agreement, a rank whose plan failed
        // too (with 0, which no interval is), so that none waits for it.
        let wanted = match std::env::var("CAJAL_EXCHANGE_OVERLAP").as_deref() {
            Ok("1") => true,
            Ok("0") => false,
            _ => net.overlap,
        };
        let word = plan.as_ref().map_or(0, |p| p.2 as u32);
        let all = comm.all_gather(&[word, u32::from(overlap && wanted)])?;
        let (slots, read, _) = plan?;
        if let Some(r) = all.iter().position(|w| w.first().is_none_or(|&i| i == 0)) {
            return Err(Error::Distributed {
                rank: r,
                message: "its network has a projection that cannot be run (see that rank's error)"
                    .into(),
            });
        }
        let mut interval = all
            .iter()
            .filter_map(|w| w.first())
            .min()
            .map_or(1, |&i| i as usize);
        // Every rank's choice, so that all exchange alike.
        let everyone = all.iter().all(|w| w.get(1) == Some(&1));
        let overlap = everyone && interval >= 2 && slots.iter().all(|s| s.is_empty());
        if overlap {
            interval /= 2;
        }
        let n = net.pops.len();
        let mut first = vec![None; n];
        let mut next = 0u64;
        for ((p, &r), f) in net.pops.iter().zip(&read).zip(&mut first) {
            if r {
                *f = Some(next as u32);
                next += p.size() as u64;
            }
        }
        if next > u64::from(u32::MAX) {
            return Err(Error::Unsupported {
                owner: "distributed run".into(),
                message: format!(
                    "{next} neurons whose spikes projections read: the exchange numbers them with 32 bits"
                ),
            });
        }
        let sliced = net
            .projs
            .iter()
            .map(|pr| (pr.conv.is_none() && pr.procedural.is_none()).then(|| pr.synapse_count()))
            .collect();
        let order = (0..n).map(|p| part.in_order(p)).collect();
        Ok(Rank {
            comm,
            part,
            slots,
            last: vec![false; n],
            first,
            sizes: net.pops.iter().map(|p| p.size()).collect(),
            width: net.precision().words(),
            order,
            owners: Vec::new(),
            interval,
            pending: 0,
            sliced,
            decls: net.projs.iter().map(|pr| pr.ir.vars.clone()).collect(),
            spent: Default::default(),
            failed: None,
            overlap,
            courier: None,
            in_flight: None,
        })
    }

    /// Whether the spikes of population `p` are exchanged.
    pub(crate) fn reads(&self, p: usize) -> bool {
        self.first[p].is_some()
    }

    /// Makes every exchange carry each neuron's last spike of population
    /// `p` too (a GPU rank's `lastspk`, read at the next step; the
    /// interval is then one step already).
    pub(crate) fn carry_last_spikes(&mut self, p: usize) {
        self.last[p] = true;
    }

    /// The per-neuron arrays of population `p` an exchange carries, in
    /// the order of its words.
    pub(crate) fn carried(&self, p: usize) -> impl Iterator<Item = Carried> + '_ {
        let last = self.last[p].then_some(Carried::LastSpike);
        self.slots[p].iter().map(|&s| Carried::Slot(s)).chain(last)
    }

    /// Forgets the steps since the last exchange (at a reset, which
    /// clears the histories).
    pub(crate) fn reset(&mut self) {
        self.pending = 0;
    }

    /// The exchange of the pending steps' spikes and of this step's
    /// values: `mine[k][p]`, this rank's spikes of population `p` (its own
    /// neurons only) at the `k`-th pending step, and `values(p, c, block)`,
    /// this rank's `block` of the carried array `c` of `p` ([`carried`]),
    /// as bits. Every rank gets what one process would hold: the spikes of
    /// a step merged in neuron order (each rank's block in turn), the
    /// values of the whole population.
    ///
    /// [`carried`]: Self::carried
    pub(crate) fn exchange(
        &mut self,
        mine: &[Vec<Vec<u32>>],
        values: impl Fn(usize, Carried, Range<usize>) -> Vec<u32>,
    ) -> Result<Exchanged> {
        let words = self.words(mine, values);
        let start = std::time::Instant::now();
        let all = self.comm.all_gather(&words)?;
        self.pending = 0;
        self.spent.0 += start.elapsed();
        self.spent.1 += 1;
        self.merge(&all, mine.len())
    }

    /// Hands the exchange of the pending steps' spikes (`mine`, as for
    /// [`exchange`](Self::exchange); no values) to the rank's exchange
    /// thread, which gathers them while the engine computes the next
    /// interval; [`finish`](Self::finish) takes the result.
    pub(crate) fn start(&mut self, mine: &[Vec<Vec<u32>>]) -> Result<()> {
        let words = self.words(mine, |_, _, _| Vec::new());
        let start = std::time::Instant::now();
        if self.courier.is_none() {
            self.courier = Some(Courier::new(self.comm.clone())?);
        }
        if let Some(c) = &self.courier {
            c.jobs
                .send(words)
                .map_err(|_| courier_gone(self.part.rank))?;
        }
        self.in_flight = Some(mine.len());
        self.pending = 0;
        self.spent.0 += start.elapsed();
        self.spent.1 += 1;
        Ok(())
    }

    /// The exchange in flight, if any, once every rank's words are there
    /// (waiting for them if need be), merged as
    /// [`exchange`](Self::exchange) merges.
    pub(crate) fn finish(&mut self) -> Result<Option<Exchanged>> {
        let Some(steps) = self.in_flight.take() else {
            return Ok(None);
        };
        let start = std::time::Instant::now();
        let all = match &self.courier {
            Some(c) => c
                .results
                .recv()
                .map_err(|_| courier_gone(self.part.rank))??,
            None => return Err(courier_gone(self.part.rank)),
        };
        self.spent.0 += start.elapsed();
        self.merge(&all, steps).map(Some)
    }

    /// Steps a rank's spikes may wait before every rank has them: an
    /// interval, two while one exchange overlaps the next interval.
    pub(crate) fn unexchanged(&self) -> usize {
        self.interval * (1 + usize::from(self.overlap))
    }

    /// The words this rank contributes to an exchange.
    fn words(
        &self,
        mine: &[Vec<Vec<u32>>],
        values: impl Fn(usize, Carried, Range<usize>) -> Vec<u32>,
    ) -> Vec<u32> {
        let n = self.sizes.len();
        // Spikes as one list a step of numbers across the read populations
        // (`first[p]` + rank): one word a spike and one a step, however
        // many populations (the multi-area model has 254), ascending.
        let mut words = Vec::new();
        for step in mine {
            let at = words.len();
            words.push(0);
            for (p, list) in step.iter().enumerate() {
                if let Some(first) = self.first[p] {
                    let from = words.len();
                    words.extend(list.iter().map(|&i| first + i));
                    words[from..].sort_unstable();
                }
            }
            words[at] = (words.len() - at - 1) as u32;
        }
        for p in 0..n {
            for c in self.carried(p) {
                words.extend(values(p, c, self.part.mine(p)));
            }
        }
        words
    }

    /// Every rank's words (`all`) of an exchange of `steps` steps, merged.
    fn merge(&self, all: &[Vec<u32>], steps: usize) -> Result<Exchanged> {
        let n = self.sizes.len();
        let mut at = vec![0usize; all.len()];
        let mut spikes = Vec::with_capacity(steps);
        // Each rank's list of the step, what is left of it.
        let mut lists: Vec<&[u32]> = Vec::with_capacity(all.len());
        for _ in 0..steps {
            lists.clear();
            for (r, w) in all.iter().enumerate() {
                lists.push(counted(w, &mut at[r]).ok_or_else(|| malformed(r))?);
            }
            // A rank's list holds the read populations one after the other
            // (their numbers ascend): each population's part is cut off
            // its front, and the ranks' parts go in block order.
            let mut step = vec![Vec::new(); n];
            for (p, merged) in step.iter_mut().enumerate() {
                let Some(first) = self.first[p] else { continue };
                let end = first + self.sizes[p] as u32;
                let cut = |list: &[u32]| list.partition_point(|&x| x < end);
                merged.reserve(lists.iter().map(|l| cut(l)).sum());
                for &r in &self.order[p] {
                    let (mine, rest) = lists[r].split_at(cut(lists[r]));
                    merged.extend(mine.iter().map(|&x| x - first));
                    lists[r] = rest;
                }
            }
            spikes.push(step);
        }
        let mut vals = Vec::new();
        for p in 0..n {
            for c in self.carried(p) {
                // A slot's values take the precision's words; a last
                // spike's step, one.
                let k = match c {
                    Carried::Slot(_) => self.width,
                    Carried::LastSpike => 1,
                };
                let mut whole = vec![0u32; self.sizes[p] * k];
                for (r, words) in all.iter().enumerate() {
                    let block = self.part.pops[p][r].clone();
                    let len = block.len() * k;
                    let src = words.get(at[r]..at[r] + len).ok_or_else(|| malformed(r))?;
                    whole[block.start * k..block.end * k].copy_from_slice(src);
                    at[r] += len;
                }
                vals.push((p, c, whole));
            }
        }
        Ok(Exchanged {
            spikes,
            values: vals,
        })
    }

    /// The end of a run: the monitors' recordings of the run (from
    /// `marks`, their lengths before it) merged, so that every rank holds
    /// all of them. Each rank recorded every neuron's row of a sampled
    /// variable, its own neurons' values right; and its own neurons'
    /// spikes.
    pub(crate) fn merge_monitors(
        &mut self,
        monitors: &mut [MonitorState],
        marks: &[Mark],
    ) -> Result<()> {
        let me = self.part.rank;
        // Each recorded neuron's rank, worked out once per monitor (a
        // monitor added after compiling rebuilds the engine, and this).
        if self.owners.len() != monitors.len() {
            let part = &self.part;
            self.owners = monitors
                .iter()
                .map(|m| {
                    let pop = m.spec.pop.0;
                    match &m.spec.ranks {
                        Some(ranks) => ranks.iter().map(|&i| part.owner(pop, i as usize)).collect(),
                        None => (0..self.sizes[pop]).map(|i| part.owner(pop, i)).collect(),
                    }
                })
                .collect();
        }
        let owners = &self.owners;
        let mut words = Vec::new();
        for ((m, mark), own) in monitors.iter().zip(marks).zip(owners) {
            let new = &m.spikes[mark.spikes..];
            words.push(new.len() as u32);
            for &(s, i) in new {
                words.extend([s as u32, (s >> 32) as u32, i]);
            }
            for ((b, &len), &b0) in m.buffers.iter().zip(&m.lens).zip(&mark.rows) {
                if len > 1 {
                    for row in (b0..b.len()).step_by(len) {
                        for (k, _) in own.iter().enumerate().filter(|(_, &o)| o == me) {
                            b.put_words(row + k, &mut words);
                        }
                    }
                }
            }
        }
        let all = self.comm.all_gather(&words)?;
        let mut at = vec![0usize; all.len()];
        for ((m, mark), own) in monitors.iter_mut().zip(marks).zip(owners) {
            let mut lists = Vec::with_capacity(all.len());
            for (r, w) in all.iter().enumerate() {
                let n = w.get(at[r]).copied().ok_or_else(|| malformed(r))? as usize;
                let triples = w
                    .get(at[r] + 1..at[r] + 1 + 3 * n)
                    .ok_or_else(|| malformed(r))?;
                lists.push(
                    triples
                        .chunks(3)
                        .map(|t| (u64::from(t[0]) | u64::from(t[1]) << 32, t[2]))
                        .peekable(),
                );
                at[r] += 1 + 3 * n;
            }
            // One process records a step's spikes in neuron order: each
            // rank's are (its own neurons', step by step), so a merge puts
            // them in that order, as a sort would, in one pass.
            m.spikes.truncate(mark.spikes);
            m.spikes.reserve(lists.iter().map(|l| l.len()).sum());
            let from = m.spikes.len();
            loop {
                let next = lists
                    .iter_mut()
                    .filter_map(|l| l.peek().copied().map(|x| (x, l)))
                    .min_by_key(|(x, _)| *x);
                let Some((x, l)) = next else { break };
                l.next();
                m.spikes.push(x);
            }
            if !m.spikes[from..].is_sorted() {
                // Not sorted lists (never seen): sorting still gives one
                // process's order.
                m.spikes[from..].sort_unstable();
            }
            for ((b, &len), &b0) in m.buffers.iter_mut().zip(&m.lens).zip(&mark.rows) {
                if len <= 1 {
                    continue;
                }
                let k = b.words();
                for (r, w) in all.iter().enumerate() {
                    for row in (b0..b.len()).step_by(len) {
                        for (i, _) in own.iter().enumerate().filter(|(_, &o)| o == r) {
                            let src = w.get(at[r]..at[r] + k).ok_or_else(|| malformed(r))?;
                            b.set_words(row + i, src);
                            at[r] += k;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Every rank's block of `values` (one value per neuron of population
    /// `pop`) put together: the whole population's values; `values` itself
    /// if it is not one per neuron (a population-wide value).
    pub(crate) fn gather_neurons<R: crate::real::Real>(
        &self,
        pop: usize,
        values: Vec<R>,
    ) -> Result<Vec<R>> {
        let n = self.sizes[pop];
        if values.len() != n {
            return Ok(values);
        }
        let mut mine = Vec::with_capacity(self.part.mine(pop).len() * R::WORDS);
        values[self.part.mine(pop)]
            .iter()
            .for_each(|v| v.put_words(&mut mine));
        let all = gather_blocks(&*self.comm, &self.part.pops[pop], &mine, n, R::WORDS)?;
        Ok(all.chunks(R::WORDS).map(R::of_words).collect())
    }

    /// Every rank's `words` (`width` a synapse of projection `proj` it
    /// holds: `local` synapses) put together, in the network's (post, pre)
    /// order; `words` itself if the projection is not cut between ranks or
    /// `words` is not one value per synapse (a projection-wide value).
    pub(crate) fn gather_ranks(
        &self,
        proj: usize,
        local: usize,
        words: Vec<u32>,
        width: usize,
    ) -> Result<Vec<u32>> {
        let Some(total) = self.sliced[proj] else {
            return Ok(words);
        };
        if words.len() != local * width || total == 0 {
            return Ok(words);
        }
        gather_blocks(&*self.comm, &self.part.projs[proj], &words, total, width)
    }

    /// [`gather_ranks`](Self::gather_ranks) of values (`local` of them
    /// here), each carried as its [`Real::WORDS`](crate::real::Real::WORDS)
    /// words.
    pub(crate) fn gather_values<R: crate::real::Real>(
        &self,
        proj: usize,
        local: usize,
        values: Vec<R>,
    ) -> Result<Vec<R>> {
        let mut words = Vec::with_capacity(values.len() * R::WORDS);
        values.iter().for_each(|v| v.put_words(&mut words));
        let all = self.gather_ranks(proj, local, words, R::WORDS)?;
        Ok(all.chunks(R::WORDS).map(R::of_words).collect())
    }

    /// The rank's part of the values of slot `slot` of projection `proj`
    /// given for the whole network (a setter's, a reset's).
    pub(crate) fn own_slot<R: crate::real::Real>(
        &self,
        proj: usize,
        slot: usize,
        values: Vec<R>,
    ) -> Vec<R> {
        match (self.sliced[proj], self.decls[proj].get(slot)) {
            (Some(total), Some(decl)) => {
                let range = self.part.projs[proj][self.part.rank].clone();
                cut_slot(crate::real::Reals::from_vec(values), decl, &range, total).into_vec()
            }
            _ => values,
        }
    }
}

/// What a rank of a run of `net` exchanges, from its own part: per
/// population the slots read of it and whether its spikes are read, and
/// the interval its own synapses allow.
#[allow(clippy::type_complexity)]
fn plan(net: &Network) -> Result<(Vec<Vec<usize>>, Vec<bool>, usize)> {
    let n = net.pops.len();
    let mut slots: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut read = vec![false; n];
    let mut interval = MAX_INTERVAL;
    for pr in &net.projs {
        let pre = pr.pre.0;
        let pre_ir = &net.pops[pre].ir;
        let kind = projection_kind(net, pr)?;
        // What the synapse model reads of its pre-synaptic neurons
        // (`SynapseIr::refs_used`), and a current injection's source.
        let mut names = pr.ir.refs_used(pre_ir.spiking).0;
        if let ProjectionKind::Current { r, .. } = kind {
            names.push(&pre_ir.vars[r].name);
        }
        for name in names {
            if let Some(s) = pre_ir.slot(name) {
                let s = s as usize;
                if pre_ir.vars[s].locality == Locality::Local && !slots[pre].contains(&s) {
                    slots[pre].push(s);
                }
            }
        }
        let spikes_after = match kind {
            // A rank's part may hold none of the shortest delays, or
            // no synapse: the ranks agree on the interval below.
            ProjectionKind::Spike { .. } => Some(
                pr.synapses
                    .delay
                    .iter()
                    .min()
                    .copied()
                    .unwrap_or(MAX_INTERVAL as u32),
            ),
            ProjectionKind::ConvSpike { .. } => pr.conv.as_ref().map(|c| c.delay),
            ProjectionKind::Procedural { .. } => pr.procedural.as_ref().map(|g| g.spike_delay()),
            ProjectionKind::Decode { .. } => Some(1),
            ProjectionKind::Rate { .. } if psp_events(net, pr) => Some(1),
            _ => None,
        };
        if let Some(d) = spikes_after {
            read[pre] = true;
            interval = interval.min(d.max(1) as usize);
        }
    }
    if slots.iter().any(|s| !s.is_empty()) {
        interval = 1;
    }
    Ok((slots, read, interval))
}

/// The whole of `total` words of which each rank holds one block (rank
/// `r` the words `blocks[r]`), from this rank's `mine`.
fn gather_blocks(
    comm: &dyn Comm,
    blocks: &[Range<usize>],
    mine: &[u32],
    total: usize,
    width: usize,
) -> Result<Vec<u32>> {
    let all = comm.all_gather(mine)?;
    let mut out = vec![0; total * width];
    for (r, w) in all.iter().enumerate() {
        let block = blocks[r].start * width..blocks[r].end * width;
        if w.len() != block.len() || block.end > total * width {
            return Err(malformed(r));
        }
        out[block].copy_from_slice(w);
    }
    Ok(out)
}

/// The list that starts at `at` in `w` (its length, then its words),
/// `at` moved past it; `None` if `w` is too short.
fn counted<'a>(w: &'a [u32], at: &mut usize) -> Option<&'a [u32]> {
    let n = *w.get(*at)? as usize;
    let list = w.get(*at + 1..*at + 1 + n)?;
    *at += 1 + n;
    Some(list)
}

/// What rank `r` sent was not what this rank expected: the ranks run
/// different programs (a compile checks the network, not what each rank
/// does with its simulation afterwards).
fn malformed(r: usize) -> Error {
    Error::Distributed {
        rank: r,
        message: "it sent an exchange this rank cannot read: every rank must make the same calls \
                  (simulate, get, set...) in the same order"
            .into(),
    }
}

/// A monitor's recording lengths before a run: its spikes and the values
/// of each variable.
pub(crate) struct Mark {
    spikes: usize,
    rows: Vec<usize>,
}

impl Mark {
    /// The lengths of `m`'s recording now.
    pub(crate) fn of(m: &MonitorState) -> Mark {
        Mark {
            spikes: m.spikes.len(),
            rows: m.buffers.iter().map(crate::real::Reals::len).collect(),
        }
    }
}

//! The CPU engine's threads as ranks of one process.
//!
//! With several threads, the CPU engine used to fork and join inside each
//! kernel of a step: the neurons' update split in chunks, deliveries split
//! by the conductance they feed. On a network of a few thousand neurons a
//! step is a few microseconds and the fork-joins cost more than they save
//! (COBA 16,000 took 0.355 s per simulated second on two threads, 0.253
//! on one), where two MPI processes, each owning a block of every
//! population and the synapses onto it, took 0.164 (BENCHMARKS.md,
//! "Distributed runs over MPI"). [`ThreadRanks`] runs that partition
//! inside one process: one CPU engine a thread, each a rank of a
//! distributed run (`engine::distributed`) that exchanges through memory
//! ([`Threads`]), so that a step costs one barrier, not one a kernel.
//!
//! It is an engine like the others to the simulation, which sees one
//! process: every call goes to every rank at once (what each rank of an
//! MPI job does), reads come back whole from rank 0, and a state is
//! merged from the ranks' parts and cut back into them. The results are
//! those of one engine, bit for bit (the distributed runs' guarantee,
//! tested in tests/engines/distributed.rs).

use crate::real::Reals;
use std::sync::{Arc, Mutex};

use crate::engine::distributed::{self, Comm, Partition, Threads};
use crate::engine::interface::Engine;
use crate::engine::schedule::{Schedule, Stage};
use crate::engine::{Backend, Learning, MonitorState, PopSnapshot, ProjectionKind, Snapshot};
use crate::error::{Error, Result};
use crate::lang::ir::Locality;
use crate::network::feed::Feed;
use crate::network::Network;

/// Neurons a rank must have at the least for threads to run as ranks:
/// below, a step is too short for its exchange to pay. Since the
/// exchange takes no locks (`distributed::Threads`), COBA 3,000 and
/// 4,000 run about 20 % faster on two ranks than on one thread, COBA
/// 2,048 about as fast (BENCHMARKS.md, "Thread ranks from 1,024 neurons
/// a rank").
const NEURONS_PER_RANK: usize = 1024;

/// The CPU engine of a network as ranks on threads of this process.
pub(crate) struct ThreadRanks {
    /// One engine a rank; a call locks each on its rank's thread.
    ranks: Vec<Mutex<Box<dyn Engine>>>,
    /// One thread a rank, whose pool the rank's engine runs in (its
    /// kernels then run on that thread alone).
    pools: Vec<rayon::ThreadPool>,
    /// As many threads as ranks: each hands one call to its rank's pool.
    driver: rayon::ThreadPool,
    /// The ranks' ends of their exchanges: a rank that panics in a call
    /// releases the others from waiting for it (`Threads::guard`), and
    /// the call fails rather than hangs.
    comms: Vec<Arc<Threads>>,
    /// Every rank's neurons and synapses.
    part: Partition,
    /// Per projection and slot: one value per synapse.
    local: Vec<Vec<bool>>,
    /// Per projection: the slot of `w`.
    w_slot: Vec<Option<usize>>,
    schedule: Schedule,
    constants: Vec<f64>,
}

/// How many ranks `net` runs as on the CPU engine: the thread pool's
/// threads (no more than the machine's cores), if there are several, the
/// network is one a distributed run supports with stored synapses only,
/// every rank gets enough neurons, and `CAJAL_THREAD_RANKS` is not `0`.
pub(crate) fn ranks_for(net: &Network) -> Option<usize> {
    if std::env::var("CAJAL_THREAD_RANKS").is_ok_and(|v| v.trim() == "0") {
        return None;
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let size = rayon::current_num_threads().min(cores);
    if size < 2 || net.rank.is_some() || distributed::check(net).is_err() {
        return None;
    }
    let neurons: usize = net.pops.iter().map(|p| p.size()).sum();
    if neurons < size * NEURONS_PER_RANK {
        return None;
    }
    for pr in &net.projs {
        if pr.conv.is_some() || pr.procedural.is_some() || pr.parts.is_some() {
            return None;
        }
        match crate::engine::kind::projection_kind(net, pr) {
            Ok(ProjectionKind::Spike { .. }) | Ok(ProjectionKind::Rate { .. }) => {}
            _ => return None,
        }
    }
    Some(size)
}

impl ThreadRanks {
    /// `net` on `size` ranks, each built on its own thread.
    pub(crate) fn new(net: &Network, size: usize) -> Result<ThreadRanks> {
        let pool = |n: usize, name: String| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .thread_name(move |i| format!("{name}{i}"))
                .build()
                .map_err(|e| Error::invalid("CPU engine threads", e.to_string()))
        };
        let pools = (0..size)
            .map(|r| pool(1, format!("cajal-rank-{r}-")))
            .collect::<Result<Vec<_>>>()?;
        let driver = pool(size, "cajal-ranks-driver-".into())?;
        let comms = Threads::group(size);
        let built = driver.broadcast(|ctx| {
            let i = ctx.index();
            let _guard = comms[i].guard();
            pools[i]
                .install(|| distributed::rank_engine(net, comms[i].clone() as Arc<dyn Comm>, None))
        });
        let ranks = built
            .into_iter()
            .map(|e| e.map(Mutex::new))
            .collect::<Result<Vec<_>>>()?;
        let first = ranks[0].lock().map_err(|_| poisoned())?;
        let (schedule, constants) = (first.schedule().clone(), first.constants().to_vec());
        drop(first);
        Ok(ThreadRanks {
            ranks,
            pools,
            driver,
            part: Partition::new(net, 0, size)?,
            local: net
                .projs
                .iter()
                .map(|pr| {
                    pr.ir
                        .vars
                        .iter()
                        .map(|d| d.locality == Locality::Local)
                        .collect()
                })
                .collect(),
            w_slot: net
                .projs
                .iter()
                .map(|pr| pr.ir.slot("w").map(|s| s as usize))
                .collect(),
            schedule,
            constants,
            comms,
        })
    }

    /// `f` on every rank at once, each on its own thread (a collective
    /// inside waits for the others); what each returned, in rank order.
    fn each<R: Send>(&self, f: impl Fn(&mut dyn Engine) -> R + Sync) -> Result<Vec<R>> {
        self.each_rank(|_, e| f(e))
    }

    /// [`each`](Self::each), `f` told the rank's number.
    fn each_rank<R: Send>(&self, f: impl Fn(usize, &mut dyn Engine) -> R + Sync) -> Result<Vec<R>> {
        self.comms[0].rejoin();
        let out = self.driver.broadcast(|ctx| {
            let i = ctx.index();
            let _guard = self.comms[i].guard();
            let mut held = self.ranks[i].lock().map_err(|_| poisoned())?;
            let e: &mut dyn Engine = &mut **held;
            Ok(self.pools[i].install(|| f(i, e)))
        });
        out.into_iter().collect()
    }

    /// `f` on every rank; rank 0's result, or an error: the first that
    /// is a rank's own rather than another's leaving it waiting.
    fn whole<R: Send>(&self, f: impl Fn(&mut dyn Engine) -> Result<R> + Sync) -> Result<R> {
        let mut all = self.each(f)?;
        let own = all
            .iter()
            .position(|r| matches!(r, Err(e) if !matches!(e, Error::Distributed { .. })));
        match own.or_else(|| all.iter().position(Result::is_err)) {
            Some(k) => all.swap_remove(k),
            None => all.swap_remove(0),
        }
    }

    /// `f` on every rank, for a call that cannot fail (one that does:
    /// a rank's thread panicked, and the next call says so).
    fn every(&self, f: impl Fn(&mut dyn Engine) + Sync) {
        let _ = self.each(f);
    }

    /// The whole network's state from the ranks' states: each rank's
    /// neurons and synapses from it, the spike lists put together.
    fn merge(&self, snaps: Vec<Snapshot>) -> Snapshot {
        let part = &self.part;
        let mut out = snaps[0].clone();
        for (p, pop) in out.pops.iter_mut().enumerate() {
            let blocks = &part.pops[p];
            let n = blocks.iter().map(|b| b.end).max().unwrap_or(0);
            for (s, v) in pop.vars.iter_mut().enumerate() {
                for (r, snap) in snaps.iter().enumerate().skip(1) {
                    take_block(v, &snap.pops[p].vars[s], &blocks[r], n);
                }
            }
            pop.spikes = merge_spikes(snaps.iter().map(|s| &s.pops[p]));
            for (h, (_, rows)) in pop.hist.iter_mut().enumerate() {
                let deepest = snaps
                    .iter()
                    .map(|s| s.pops[p].hist[h].1.len())
                    .max()
                    .unwrap_or(0);
                for k in 0..deepest {
                    let mut row = snaps
                        .iter()
                        .find_map(|s| s.pops[p].hist[h].1.get(k))
                        .cloned()
                        .unwrap_or_default();
                    for (r, snap) in snaps.iter().enumerate() {
                        if let Some(theirs) = snap.pops[p].hist[h].1.get(k) {
                            take_block(&mut row, theirs, &blocks[r], n);
                        }
                    }
                    match rows.get_mut(k) {
                        Some(old) => *old = row,
                        None => rows.push(row),
                    }
                }
            }
        }
        for (q, slots) in out.projs.iter_mut().enumerate() {
            for (s, v) in slots.iter_mut().enumerate() {
                if self.local.get(q).and_then(|l| l.get(s)) == Some(&true) {
                    let total = part.projs[q].iter().map(|r| r.end).max().unwrap_or(0);
                    let mut whole = Reals::filled(v.dtype(), 0.0, total);
                    for (r, snap) in snaps.iter().enumerate() {
                        whole.copy_at(part.projs[q][r].start, &snap.projs[q][s]);
                    }
                    *v = whole;
                }
            }
        }
        out
    }

    /// Rank `r`'s part of a whole network's state: its synapses' values,
    /// histories as deep as its engine keeps them.
    fn cut(&self, whole: &Snapshot, r: usize, shape: &[(usize, Vec<(u32, usize)>)]) -> Snapshot {
        let mut s = whole.clone();
        for (q, slots) in s.projs.iter_mut().enumerate() {
            for (k, v) in slots.iter_mut().enumerate() {
                if self.local.get(q).and_then(|l| l.get(k)) == Some(&true) {
                    *v = v.slice(self.part.projs[q][r].clone());
                }
            }
        }
        crate::engine::structural::fit_history(&mut s, shape);
        s
    }
}

/// A rank's neurons' values (`block`) from its `theirs` into `v`, where
/// both hold one value a neuron of a population of `n`; a
/// population-wide value (one, of more neurons) is left as it is. A
/// population of one neuron has its value from the rank that owns it.
fn take_block(v: &mut Reals, theirs: &Reals, block: &std::ops::Range<usize>, n: usize) {
    if v.len() == n && theirs.len() == n && !block.is_empty() {
        v.copy_range(theirs, block.clone());
    }
}

/// Spike lists of a population over the ranks: at each age, every
/// rank's list (a rank holds its own neurons' spikes, and every neuron's
/// where a projection reads them), put together without repeats.
fn merge_spikes<'a>(pops: impl Iterator<Item = &'a PopSnapshot>) -> Vec<Vec<u32>> {
    let mut out: Vec<Vec<u32>> = Vec::new();
    for pop in pops {
        if out.len() < pop.spikes.len() {
            out.resize(pop.spikes.len(), Vec::new());
        }
        for (all, mine) in out.iter_mut().zip(&pop.spikes) {
            all.extend_from_slice(mine);
        }
    }
    for list in &mut out {
        list.sort_unstable();
        list.dedup();
    }
    out
}

/// Ok if every rank's call was; else a rank's own error, before one saying
/// another rank left it waiting.
fn first_own_error(out: Vec<Result<()>>) -> Result<()> {
    let mut errors: Vec<Error> = out.into_iter().filter_map(Result::err).collect();
    match errors
        .iter()
        .position(|e| !matches!(e, Error::Distributed { .. }))
    {
        Some(k) => Err(errors.swap_remove(k)),
        None => errors.into_iter().next().map_or(Ok(()), Err),
    }
}

fn poisoned() -> Error {
    Error::Distributed {
        rank: 0,
        message: "a thread of the CPU engine panicked".into(),
    }
}

impl Engine for ThreadRanks {
    fn backend(&self) -> Backend {
        Backend::Cpu
    }

    fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    fn thread_ranks(&self) -> usize {
        self.ranks.len()
    }

    fn rank_engine(&self, net: &Network) -> Option<Result<Box<dyn Engine>>> {
        // A rebuild (a monitor added, synapses changed) stays on the
        // ranks while the network still suits them.
        let size = ranks_for(net).filter(|&n| n == self.ranks.len())?;
        Some(ThreadRanks::new(net, size).map(|e| Box::new(e) as Box<dyn Engine>))
    }

    fn exchanges(&self) -> (f64, u64) {
        self.ranks[0].lock().map_or((0.0, 0), |e| e.exchanges())
    }

    fn run(
        &mut self,
        step0: u64,
        n: u64,
        time: &(dyn Fn(u64) -> f64 + Sync),
        monitors: &mut [MonitorState],
    ) -> Result<()> {
        // Rank 0 records into the simulation's monitors; the others into
        // empty copies (each rank records its neurons, and the end of the
        // run gives every rank all of them).
        let mut copies: Vec<Vec<MonitorState>> = (1..self.ranks.len())
            .map(|_| monitors.iter().map(MonitorState::blank).collect())
            .collect();
        let cells: Vec<Mutex<&mut [MonitorState]>> = std::iter::once(monitors)
            .chain(copies.iter_mut().map(Vec::as_mut_slice))
            .map(Mutex::new)
            .collect();
        let out = self.each_rank(|i, e| {
            let mut cell = cells[i].lock().map_err(|_| poisoned())?;
            e.run(step0, n, time, &mut cell)
        })?;
        first_own_error(out)
    }

    fn run_stage(
        &mut self,
        _stage: Stage,
        _step: u64,
        _t: f64,
        _monitors: &mut [MonitorState],
    ) -> Result<()> {
        // The simulation runs one stage on one engine (`thread_ranks`).
        Err(Error::Unsupported {
            owner: "CPU engine".into(),
            message: "one stage alone runs on one engine, not on threads as ranks".into(),
        })
    }

    fn slot_values(&self, pop: usize, slot: usize) -> Result<Reals> {
        self.whole(|e| e.slot_values(pop, slot))
    }

    fn sum_values(&self, pop: usize, target: usize) -> Result<Reals> {
        self.whole(|e| e.sum_values(pop, target))
    }

    fn set_slot(&mut self, pop: usize, slot: usize, values: Reals) {
        self.every(|e| e.set_slot(pop, slot, values.clone()));
    }

    fn set_one(&mut self, pop: usize, slot: usize, rank: usize, value: f64) {
        self.every(|e| e.set_one(pop, slot, rank, value));
    }

    fn synapse_values(&self, proj: usize, slot: usize) -> Result<Reals> {
        self.whole(|e| e.synapse_values(proj, slot))
    }

    fn set_synapse_values(&mut self, proj: usize, slot: usize, values: Reals) -> Result<()> {
        self.whole(|e| e.set_synapse_values(proj, slot, values.clone()))
    }

    fn shares_weight(&self, proj: usize) -> bool {
        // A rank's part may share its weights where the whole does not.
        let Some(w) = self.w_slot[proj] else {
            return false;
        };
        self.synapse_values(proj, w)
            .is_ok_and(|w| w.len() > 1 && w.shared().is_some())
    }

    fn set_learning(&mut self, proj: usize, learning: Learning) {
        self.every(|e| e.set_learning(proj, learning));
    }

    fn set_feed(&mut self, pop: usize, feed: &Feed) -> Result<()> {
        self.whole(|e| e.set_feed(pop, feed))
    }

    fn set_seed(&mut self, seed: u64) {
        self.every(|e| e.set_seed(seed));
    }

    fn constants(&self) -> Vec<f64> {
        self.constants.clone()
    }

    fn set_constants(&mut self, values: &[f64]) {
        self.constants = values.to_vec();
        self.every(|e| e.set_constants(values));
    }

    fn snapshot(&self) -> Result<Snapshot> {
        let snaps = self
            .each(|e| e.snapshot())?
            .into_iter()
            .collect::<Result<Vec<_>>>()?;
        Ok(self.merge(snaps))
    }

    fn restore(&mut self, snapshot: &Snapshot) -> Result<()> {
        self.constants.clone_from(&snapshot.constants);
        let parts = self
            .each(|e| e.history_shape())?
            .iter()
            .enumerate()
            .map(|(r, shape)| self.cut(snapshot, r, shape))
            .collect::<Vec<_>>();
        let out = self.each_rank(|i, e| e.restore(&parts[i]))?;
        first_own_error(out)
    }

    fn history_shape(&self) -> Vec<(usize, Vec<(u32, usize)>)> {
        // The deepest of the ranks' (a rank keeps its own spikes until
        // they are exchanged; one engine keeps what its delays need).
        let Ok(shapes) = self.each(|e| e.history_shape()) else {
            return Vec::new();
        };
        let mut out = shapes[0].clone();
        for shape in &shapes[1..] {
            for ((d, hist), (d2, hist2)) in out.iter_mut().zip(shape) {
                *d = (*d).max(*d2);
                for ((_, a), (_, b)) in hist.iter_mut().zip(hist2) {
                    *a = (*a).max(*b);
                }
            }
        }
        out
    }

    fn reset(&mut self, net: &Network) {
        self.every(|e| e.reset(net));
    }
}

//! Distributed simulation: one network over several processes (MPI ranks)
//! or threads, with the same spikes whatever their number.
//!
//! Every rank runs the same program, builds the same [`Network`] from the
//! same seed and compiles it with [`Network::compile_distributed`]. The
//! [`Partition`] then gives each rank a block of every population's
//! neurons (run-time draws are keyed by a neuron's index in its
//! population, whatever rank draws them) and the synapses onto them; a
//! rank updates only
//! its neurons and delivers only into them. After the neurons' update the
//! ranks gather each other's spikes (once per exchange interval: the
//! shortest delay with which any projection reads them) and the values
//! that projections read of pre-synaptic neurons (`pre.x`, rates), every
//! step. Spikes are merged in neuron order and values land where they
//! belong, so every rank holds, when it reads them, exactly what one
//! process would: the runs are bit-identical to a single-process run for
//! any number of ranks. Monitors are merged at the end of each run, so
//! every rank reads the whole recording.
//!
//! The ranks talk through a [`Comm`]: [`Threads`] runs them as threads of
//! one process (tests, checking a model's partition-independence without
//! MPI); the `mpi` feature's `cajal::mpi::World` over MPI.

use std::cell::Cell;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};

use crate::connect::SynapseList;
use crate::engine::gpu::{GpuEngine, GpuOptions};
use crate::engine::interface::Engine;
use crate::engine::rank::Rank;
use crate::error::{Error, Result};
use crate::lang::ir::{Locality, VarDecl};
use crate::network::Network;

/// How the ranks of a distributed run talk: one collective operation,
/// which every rank calls in the same order.
pub trait Comm: Send + Sync {
    /// This rank, from 0.
    fn rank(&self) -> usize;
    /// The number of ranks.
    fn size(&self) -> usize;
    /// Every rank's `mine`, in rank order (MPI's `Allgatherv`).
    fn all_gather(&self, mine: &[u32]) -> Result<Vec<Vec<u32>>>;
    /// Ends every rank of the run at once, after an error this rank alone
    /// met in the middle of a run (the others would wait for it at their
    /// next exchange): MPI's `MPI_Abort` with `code`. The default, for
    /// transports whose ranks end with their caller (threads), returns.
    fn abort(&self, code: i32) {
        let _ = code;
    }
}

thread_local! {
    /// The rank a thread of [`Threads`] builds its network as.
    static BUILDING: Cell<Option<(usize, usize)>> = const { Cell::new(None) };
}

/// The rank this process is in an MPI job (set by `mpi::World::init`).
static PROCESS: OnceLock<(usize, usize)> = OnceLock::new();

/// The (rank, number of ranks) a network built now belongs to, if it is
/// one rank of several: the thread's ([`Threads`]), else the process's
/// (MPI).
pub(crate) fn building_rank() -> Option<(usize, usize)> {
    BUILDING
        .get()
        .or_else(|| PROCESS.get().copied())
        .filter(|&(_, n)| n > 1)
}

/// Makes this process `rank` of `size`: networks built from now on keep
/// that rank's synapses.
#[cfg_attr(not(feature = "mpi"), allow(dead_code))]
pub(crate) fn set_process_rank(rank: usize, size: usize) {
    let _ = PROCESS.set((rank, size));
}

/// Which synapses of a projection's whole (post, pre)-sorted list each
/// rank of a distributed run holds (those onto its neurons: one range a
/// rank), in a network built as one of the ranks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parts {
    /// The rank whose network this is.
    pub rank: usize,
    /// Each rank's range of the whole list.
    pub ranges: Vec<Range<usize>>,
}

impl Parts {
    /// This rank's range.
    pub fn mine(&self) -> Range<usize> {
        self.ranges[self.rank].clone()
    }

    /// The number of synapses of the whole list.
    pub fn total(&self) -> usize {
        self.ranges.iter().map(|r| r.end).max().unwrap_or(0)
    }

    /// The parts of `syn` (sorted by post) for the blocks of the
    /// post-synaptic population `pop` (of populations of `sizes`) over
    /// `size` ranks, seen from `rank`.
    pub(crate) fn of(
        syn: &SynapseList,
        sizes: &[usize],
        pop: usize,
        (rank, size): (usize, usize),
    ) -> Parts {
        let post = &syn.post;
        let ranges = blocks(sizes, pop, size)
            .iter()
            .map(|r| {
                let lo = post.partition_point(|&p| (p as usize) < r.start);
                let hi = post.partition_point(|&p| (p as usize) < r.end);
                lo..hi
            })
            .collect();
        Parts { rank, ranges }
    }
}

impl Parts {
    /// The parts of a projection onto population number `pop` (of
    /// populations of `sizes`) whose post-synaptic neuron `i` has
    /// `counts[i]` synapses, seen from `rank` of `size`: what a rank knows
    /// without drawing the other ranks' synapses.
    pub(crate) fn from_counts(
        counts: &[u32],
        sizes: &[usize],
        pop: usize,
        (rank, size): (usize, usize),
    ) -> Parts {
        let mut starts = Vec::with_capacity(counts.len() + 1);
        let mut at = 0usize;
        starts.push(0);
        for &c in counts {
            at += c as usize;
            starts.push(at);
        }
        let ranges = blocks(sizes, pop, size)
            .iter()
            .map(|r| starts[r.start]..starts[r.end])
            .collect();
        Parts { rank, ranges }
    }
}

/// The block of the neurons of population `pop` (of populations of
/// `sizes`) that `rank` of `size` owns.
pub(crate) fn block_of(sizes: &[usize], pop: usize, (rank, size): (usize, usize)) -> Range<usize> {
    blocks(sizes, pop, size)[rank].clone()
}

/// Which neurons and synapses each rank owns.
///
/// A population of `n` neurons is cut into contiguous blocks of nearly
/// equal size, the larger ones to the ranks with fewer neurons so far (so
/// that populations smaller than the ranks land on different ranks).
/// Blocks rather than round-robin: a rank's neurons are
/// one range of every array (its update is the single-process update of
/// that range), and the synapses onto them, sorted by post-synaptic
/// neuron, are one range of the projection's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partition {
    /// This rank.
    pub rank: usize,
    /// The number of ranks.
    pub size: usize,
    /// Per population, each rank's neurons.
    pub pops: Vec<Vec<Range<usize>>>,
    /// Per projection, each rank's synapses (ranges of its (post, pre)
    /// list; empty for projections without a list).
    pub projs: Vec<Vec<Range<usize>>>,
}

impl Partition {
    /// The partition of `net` over `size` ranks, seen from `rank`.
    ///
    /// ```
    /// # use cajal::engine::distributed::Partition;
    /// let (net, _, _) = cajal::networks::coba(1000, 1)?;
    /// let p = Partition::new(&net, 1, 2)?;
    /// // 800 excitatory neurons: 400 each.
    /// assert_eq!(p.pops[0], vec![0..400, 400..800]);
    /// // 200 inhibitory ones: 100 each.
    /// assert_eq!(p.pops[1], vec![0..100, 100..200]);
    /// // Two populations of three neurons: the larger piece of each goes
    /// // to the rank with fewer neurons so far.
    /// # let mut net = net;
    /// # let izhikevich = cajal::models::neurons::izhikevich();
    /// # net.population("a", 3, &izhikevich)?;
    /// # net.population("b", 3, &izhikevich)?;
    /// let p = Partition::new(&net, 1, 2)?;
    /// assert_eq!(p.pops[2], vec![0..2, 2..3]);
    /// assert_eq!(p.pops[3], vec![2..3, 0..2]);
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn new(net: &Network, rank: usize, size: usize) -> Result<Self> {
        if size == 0 || rank >= size {
            return Err(Error::invalid(
                "distributed run",
                format!(
                    "rank {rank} of {size} ranks: a run needs at least one rank, numbered from 0"
                ),
            ));
        }
        let sizes: Vec<usize> = net.pops.iter().map(|p| p.size()).collect();
        let pops = (0..sizes.len())
            .map(|i| blocks(&sizes, i, size))
            .collect::<Vec<_>>();
        let projs = net
            .projs
            .iter()
            .map(|pr| match &pr.parts {
                Some(p) => p.ranges.clone(),
                None => Parts::of(&pr.synapses, &sizes, pr.post.0, (rank, size)).ranges,
            })
            .collect();
        Ok(Partition {
            rank,
            size,
            pops,
            projs,
        })
    }

    /// This rank's neurons of population `pop`.
    pub fn mine(&self, pop: usize) -> Range<usize> {
        self.pops[pop][self.rank].clone()
    }

    /// The ranks in the order of their blocks of population `pop`.
    pub(crate) fn in_order(&self, pop: usize) -> Vec<usize> {
        let mut ranks: Vec<usize> = (0..self.size).collect();
        ranks.sort_by_key(|&r| (self.pops[pop][r].start, self.pops[pop][r].end));
        ranks
    }

    /// The rank that owns neuron `i` of population `pop`.
    pub(crate) fn owner(&self, pop: usize, i: usize) -> usize {
        self.pops[pop]
            .iter()
            .position(|r| r.contains(&i))
            .unwrap_or(0)
    }
}

/// Each rank's block of population `pop` (of the populations whose sizes
/// are `sizes`).
///
/// Every population is cut into `size` pieces as equal as can be (at the
/// neuron nearest each `k n / size`): neurons of a population are alike,
/// so equal pieces are equal work, where the populations differ
/// (in-degree, rates, plastic synapses). Pieces were whole chunks of the
/// CPU engine's 256 neurons: a population of 4 neurons with 4,096 plastic
/// synapses each (ANNarchy's SORF notebook) then went whole to one rank,
/// and two threads ran it no faster than one. What is left uneven (a
/// neuron) is evened out over the populations: the largest piece goes to
/// the rank with the fewest neurons so far, so a population smaller than
/// the ranks goes to other ranks than the one before it. A population's blocks depend
/// on the populations before it only: a rank building its part computes
/// them when a projection is made, before later populations exist.
fn blocks(sizes: &[usize], pop: usize, size: usize) -> Vec<Range<usize>> {
    let mut load = vec![0usize; size];
    let mut out = vec![0..0; size];
    for &n in &sizes[..=pop] {
        // The neuron nearest k n / size.
        let bound = |k: usize| ((2 * n * k + size) / (2 * size)).min(n);
        let pieces: Vec<Range<usize>> = (0..size)
            .map(|k| {
                let (c0, c1) = (bound(k), if k + 1 == size { n } else { bound(k + 1) });
                match c1 > c0 {
                    true => c0..c1,
                    false => 0..0,
                }
            })
            .collect();
        let mut largest: Vec<usize> = (0..size).collect();
        largest.sort_by_key(|&k| (std::cmp::Reverse(pieces[k].len()), k));
        let mut emptiest: Vec<usize> = (0..size).collect();
        emptiest.sort_by_key(|&r| (load[r], r));
        for (k, r) in largest.into_iter().zip(emptiest) {
            out[r] = pieces[k].clone();
            load[r] += out[r].len();
        }
    }
    out
}

/// What a distributed run does not support yet, as an error naming the
/// first such part of `net`.
pub(crate) fn check(net: &Network) -> Result<()> {
    net.check_precision()?;
    let unsupported = |owner: String, message: &str| Error::Unsupported {
        owner,
        message: format!("{message} in a distributed run (not supported yet)"),
    };
    if net.batch > 1 {
        return Err(unsupported(
            "network".into(),
            "batches of inputs (Network::batch)",
        ));
    }
    for m in &net.synapse_monitors {
        let pr = &net.projs[m.proj.0];
        if m.post.is_some() && pr.parts.is_some() {
            // Its synapses' place in the whole list is known to one rank.
            return Err(unsupported(
                format!("monitor of projection '{}'", pr.name),
                "a monitor of one post-synaptic neuron's synapses",
            ));
        }
    }
    for pr in &net.projs {
        let owner = || format!("projection '{}' (synapse '{}')", pr.name, pr.ir.name);
        if pr.ir.pruning.is_some() || pr.ir.creating.is_some() {
            return Err(unsupported(
                owner(),
                "structural plasticity (pruning, creating)",
            ));
        }
        if pr.ir.n_random > 0 {
            // Their draws are keyed by the synapse's index in the list,
            // which a rank's part of the list does not keep.
            return Err(unsupported(
                owner(),
                "random draws in a synapse model's equations, psp or events",
            ));
        }
    }
    Ok(())
}

/// A copy of the synapses `range` of `syn`.
pub(crate) fn slice_list(syn: &SynapseList, range: Range<usize>) -> SynapseList {
    SynapseList {
        post: syn.post[range.clone()].to_vec(),
        pre: syn.pre[range.clone()].to_vec(),
        w: if range.end <= syn.w.len() {
            syn.w.slice(range.clone())
        } else {
            crate::real::Reals::empty(syn.w.dtype())
        },
        delay: syn.delay[range].to_vec(),
    }
}

/// A projection slot's values (`decl`) restricted to the synapses `range`
/// of its `total`: values of the whole list are cut, others (a rank's part
/// already, a projection-wide value) kept.
pub(crate) fn cut_slot(
    v: crate::real::Reals,
    decl: &VarDecl,
    range: &Range<usize>,
    total: usize,
) -> crate::real::Reals {
    if decl.locality == Locality::Local && v.len() == total {
        v.slice(range.clone())
    } else {
        v
    }
}

/// The network one rank's engine is built from: every projection keeps
/// only the synapses onto the rank's neurons (indices stay the network's).
fn local_network(net: &Network, part: &Partition) -> Network {
    let mut local = net.clone();
    for (q, pr) in local.projs.iter_mut().enumerate() {
        // Built as this rank: its part already.
        if pr.conv.is_some() || pr.procedural.is_some() || pr.parts.is_some() {
            continue;
        }
        let range = part.projs[q][part.rank].clone();
        let total = pr.synapses.len();
        let values = std::mem::take(&mut pr.values);
        pr.values = values
            .into_iter()
            .zip(&pr.ir.vars)
            .map(|(v, d)| cut_slot(v, d, &range, total))
            .collect();
        pr.synapses = Arc::new(slice_list(&pr.synapses, range));
    }
    local
}

impl Network {
    /// Compiles the network for one rank of a distributed run on the CPU
    /// engine: every rank calls it with its [`Comm`], after building the
    /// same network (same program, same seed). The rank stores and
    /// updates its part ([`Partition`]); reads (`get`, monitors,
    /// synapses) return the whole network's values on every rank, and are
    /// collective: every rank makes the same calls in the same order.
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// use cajal::engine::distributed::Threads;
    /// let spikes = Threads::run(2, |comm| {
    ///     let (mut net, exc, _) = cajal::networks::coba(600, 1)?;
    ///     let m = net.monitor(exc, &["spike"])?;
    ///     let mut sim = net.compile_distributed(comm)?;
    ///     sim.simulate(20.0)?;
    ///     Ok(sim.spikes(m)?.len())
    /// })?;
    /// assert_eq!(spikes[0], spikes[1]); // every rank reads every spike
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn compile_distributed(&self, comm: Arc<dyn Comm>) -> Result<crate::engine::Simulation> {
        let t0 = std::time::Instant::now();
        self.check_rank(&comm)?;
        let engine = rank_engine(self, comm, None)?;
        self.simulation(engine, None, t0)
    }

    /// [`compile_distributed`](Self::compile_distributed) on the GPU
    /// engine: every rank runs the GPU engine with `opts`, each on its own
    /// adapter where the machine has several of the best kind (a rank's
    /// place among the machine's ranks, as the MPI launcher says it, picks
    /// it), unless `opts` or `CAJAL_ADAPTER` names one. Spikes travel
    /// through host memory once per exchange interval. Ranks on one
    /// adapter share it.
    ///
    /// With [`GpuOptions::deterministic`], the run is bit-identical to one
    /// process's deterministic run on the same adapter; otherwise the
    /// float atomics' order of addition varies as in any GPU run.
    ///
    /// ```no_run
    /// # use cajal::prelude::*;
    /// use cajal::engine::distributed::Threads;
    /// use cajal::engine::gpu::GpuOptions;
    /// let opts = GpuOptions { deterministic: true, ..GpuOptions::default() };
    /// let counts = Threads::run(2, |comm| {
    ///     let (mut net, exc, _) = cajal::networks::coba(600, 1)?;
    ///     let m = net.monitor(exc, &["spike"])?;
    ///     let mut sim = net.compile_distributed_gpu(comm, &opts)?;
    ///     sim.simulate(20.0)?;
    ///     Ok(sim.spikes(m)?.len())
    /// })?;
    /// assert_eq!(counts[0], counts[1]);
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn compile_distributed_gpu(
        &self,
        comm: Arc<dyn Comm>,
        opts: &GpuOptions,
    ) -> Result<crate::engine::Simulation> {
        let t0 = std::time::Instant::now();
        self.check_rank(&comm)?;
        let engine = rank_engine(self, comm, Some(opts))?;
        self.simulation(engine, Some(opts), t0)
    }

    /// That a network built as a rank is compiled as that rank.
    fn check_rank(&self, comm: &Arc<dyn Comm>) -> Result<()> {
        if let Some((rank, size)) = self.rank {
            if (rank, size) != (comm.rank(), comm.size()) {
                return Err(Error::invalid(
                    "distributed run",
                    format!(
                        "the network was built as rank {rank} of {size}, compiled as rank {} of {}",
                        comm.rank(),
                        comm.size()
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// This rank's engine of `net` (the CPU engine, or the GPU engine with
/// `gpu`'s options): what it exchanges agreed, its part built, the ranks
/// agreeing that every one built the same network (or failing with the
/// first rank's error), then made a rank.
pub(crate) fn rank_engine(
    net: &Network,
    comm: Arc<dyn Comm>,
    gpu: Option<&GpuOptions>,
) -> Result<Box<dyn Engine>> {
    let part = Partition::new(net, comm.rank(), comm.size())?;
    // A collective: a rank whose network has a projection neither engine
    // runs fails here with the others.
    // The CPU engine computes the next interval while an exchange is in
    // flight; the GPU engine's exchange waits for its read-backs.
    let rank = Rank::new(comm.clone(), part, net, gpu.is_none())?;
    let built = check(net).and_then(|()| -> Result<Box<dyn Engine>> {
        let local = local_network(net, &rank.part);
        local.check_memory()?;
        Ok(match gpu {
            None => crate::engine::cpu::boxed_rank(&local, rank)?,
            Some(o) => {
                let opts = rank_adapter(o, comm.rank());
                let rings = GpuEngine::rank_rings(&rank, net.pops.len());
                let mut e = GpuEngine::with_rings(&local, &opts, &rings)?;
                e.distribute(rank);
                Box::new(e)
            }
        })
    });
    // A rank that failed tells the others, which fail with its error,
    // rather than waiting for it at the first exchange; a rank that
    // built another network (another program, seed or size) is named
    // rather than exchanging what the others cannot read.
    let words: Vec<u32> = match &built {
        Ok(_) => std::iter::once(0).chain(fingerprint(net)).collect(),
        Err(e) => std::iter::once(1)
            .chain(e.to_string().bytes().map(u32::from))
            .collect(),
    };
    let all = comm.all_gather(&words)?;
    if let Some((r, msg)) = all.iter().enumerate().find(|(_, m)| m.first() != Some(&0)) {
        let bytes: Vec<u8> = msg.iter().skip(1).map(|&w| w as u8).collect();
        return Err(match built {
            Err(e) if r == comm.rank() => e,
            _ => Error::Distributed {
                rank: r,
                message: String::from_utf8_lossy(&bytes).into_owned(),
            },
        });
    }
    if let Some(r) = all.iter().position(|m| m != &all[0]) {
        return Err(Error::Distributed {
            rank: r,
            message: "it built another network than rank 0 (populations, their sizes, \
                          projections, synapses, monitors, dt or seed differ): every rank must \
                          run the same program with the same seed"
                .into(),
        });
    }
    built
}

/// The options of a rank's GPU engine: one adapter a rank on a machine
/// with several of the best kind (the rank's place among the machine's
/// ranks picks it), unless the options or `CAJAL_ADAPTER` name one.
fn rank_adapter(opts: &GpuOptions, rank: usize) -> GpuOptions {
    let mut opts = opts.clone();
    let named = std::env::var("CAJAL_ADAPTER").is_ok_and(|s| !s.is_empty());
    if opts.adapter.is_none() && !named {
        opts.ordinal = Some(local_rank().unwrap_or(rank));
    }
    opts
}

/// This process's place among the ranks on its machine, as the MPI
/// launcher says it (Open MPI, MPICH, Slurm).
fn local_rank() -> Option<usize> {
    [
        "OMPI_COMM_WORLD_LOCAL_RANK",
        "MPI_LOCALRANKID",
        "SLURM_LOCALID",
    ]
    .iter()
    .find_map(|v| std::env::var(v).ok()?.trim().parse().ok())
}

/// What every rank of a run must have built alike: dt, seed, populations'
/// sizes, projections' ends and synapse counts, monitors.
fn fingerprint(net: &Network) -> Vec<u32> {
    let mut w = Vec::new();
    let wide = |w: &mut Vec<u32>, x: u64| w.extend([x as u32, (x >> 32) as u32]);
    wide(&mut w, net.dt.to_bits());
    wide(&mut w, net.seed);
    w.push(net.pops.len() as u32);
    for p in &net.pops {
        wide(&mut w, p.size() as u64);
    }
    w.push(net.projs.len() as u32);
    for pr in &net.projs {
        w.extend([pr.pre.0 as u32, pr.post.0 as u32]);
        wide(&mut w, pr.synapse_count() as u64);
    }
    w.extend([net.monitors.len() as u32, net.synapse_monitors.len() as u32]);
    w
}

/// The ranks of a distributed run as threads of this process, each with
/// its own thread pool for the CPU engine, exchanging through memory.
///
/// A collective is one barrier: each rank writes its part into the
/// round's buffer (two alternate, so a rank that has passed round `g`
/// writes round `g + 1` while slower ranks still read round `g`), counts
/// itself in and waits until every rank has. The wait spins first, as MPI
/// does in shared memory: a step's exchange between threads on their own
/// cores takes a microsecond or two, where waking a sleeping thread takes
/// tens. It then yields, then sleeps, so that ranks sharing cores (more
/// ranks than cores, several runs at once) still get theirs.
pub struct Threads {
    rank: usize,
    shared: Arc<Shared>,
}

struct Shared {
    size: usize,
    /// Per rank: the next round it takes part in.
    rounds: Vec<AtomicU64>,
    /// Each rank's part of the rounds in flight: round `g` in `parts[g % 2]`.
    parts: [Vec<Part>; 2],
    /// Arrivals over all rounds: round `g` is complete at `size * (g + 1)`.
    arrived: AtomicU64,
    /// A rank's thread panicked: the others stop waiting for it.
    broken: AtomicBool,
    /// Ranks that have left (their function or call returned): one
    /// still waiting for an exchange they did not make never gets it.
    left: AtomicUsize,
    /// Ranks asleep on `wake`, or about to be: the last rank of a round
    /// wakes them only if there are any (a wake-up is a system call, a
    /// microsecond or two, which the last rank would otherwise pay every
    /// round and so arrive last at the next one too).
    sleepers: AtomicUsize,
    sleep: Mutex<()>,
    wake: Condvar,
}

/// How long a wait spins before it yields, and yields before it sleeps:
/// longer than the usual difference between ranks within a step of a
/// large network (a step of 100-200 us), shorter than anything a user
/// would see.
const SPIN: std::time::Duration = std::time::Duration::from_micros(300);
const YIELD: std::time::Duration = std::time::Duration::from_millis(2);

/// A rank's words of a round, written by that rank alone before it
/// arrives and read by every rank after all have arrived: the arrivals
/// order the accesses, so no lock is taken (two ranks' locks of the same
/// parts cost a step's exchange a few cache-line transfers between cores).
#[derive(Default)]
struct Part(std::cell::UnsafeCell<Vec<u32>>);

// SAFETY: `Threads::all_gather` writes a part only while no rank reads it
// and reads it only while no rank writes it (see there).
unsafe impl Sync for Part {}

impl Part {
    /// # Safety
    /// No other thread reads or writes this part meanwhile.
    unsafe fn write(&self, words: &[u32]) {
        let v = &mut *self.0.get();
        v.clear();
        v.extend_from_slice(words);
    }

    /// # Safety
    /// No thread writes this part meanwhile.
    unsafe fn read(&self) -> &[u32] {
        &*self.0.get()
    }
}

/// A rank counted in `Shared::sleepers` until it drops this (woken, or
/// leaving the wait with an error).
struct Awake<'a>(&'a AtomicUsize);

impl Drop for Awake<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Threads {
    /// `size` connected ranks, to hand one to each thread.
    pub fn group(size: usize) -> Vec<Arc<Threads>> {
        let parts = || (0..size).map(|_| Part::default()).collect();
        let shared = Arc::new(Shared {
            size,
            rounds: (0..size).map(|_| AtomicU64::new(0)).collect(),
            parts: [parts(), parts()],
            arrived: AtomicU64::new(0),
            broken: AtomicBool::new(false),
            left: AtomicUsize::new(0),
            sleepers: AtomicUsize::new(0),
            sleep: Mutex::new(()),
            wake: Condvar::new(),
        });
        (0..size)
            .map(|rank| {
                Arc::new(Threads {
                    rank,
                    shared: shared.clone(),
                })
            })
            .collect()
    }

    /// Runs `f` on `size` ranks, each a thread with a one-thread pool for
    /// the CPU engine (so that no rank waits for a worker another rank
    /// holds), and returns what each returned, in rank order; the first
    /// error (by rank) if any failed.
    pub fn run<T: Send>(
        size: usize,
        f: impl Fn(Arc<dyn Comm>) -> Result<T> + Sync,
    ) -> Result<Vec<T>> {
        let comms = Threads::group(size);
        let f = &f;
        let results: Vec<Result<T>> = std::thread::scope(|s| {
            let handles: Vec<_> = comms
                .into_iter()
                .map(|c| {
                    s.spawn(move || {
                        let _guard = c.guard();
                        let pool = rayon::ThreadPoolBuilder::new()
                            .num_threads(1)
                            .build()
                            .map_err(|e| Error::invalid("distributed run", e.to_string()))?;
                        let rank = (c.rank, size);
                        pool.install(|| {
                            // Networks built on this rank keep its part.
                            BUILDING.set(Some(rank));
                            let out = f(c.clone());
                            BUILDING.set(None);
                            out
                        })
                    })
                })
                .collect();
            handles
                .into_iter()
                .enumerate()
                .map(|(r, h)| {
                    h.join().unwrap_or_else(|_| {
                        Err(Error::Distributed {
                            rank: r,
                            message: "the rank's thread panicked".into(),
                        })
                    })
                })
                .collect()
        });
        results.into_iter().collect()
    }

    /// A guard for a rank's function (or call): dropped, it tells the
    /// other ranks that this one has left, so that one waiting for an
    /// exchange this rank did not make (it returned an error first, or
    /// panicked) fails instead of waiting forever.
    pub(crate) fn guard(&self) -> impl Drop + '_ {
        struct Guard<'a>(&'a Shared);
        impl Drop for Guard<'_> {
            fn drop(&mut self) {
                if std::thread::panicking() {
                    self.0.broken.store(true, Ordering::Release);
                }
                self.0.left.fetch_add(1, Ordering::AcqRel);
                let _held = self.0.sleep.lock();
                self.0.wake.notify_all();
            }
        }
        Guard(&self.shared)
    }

    /// Every rank back in: the start of a call that every rank makes
    /// (while none is in one).
    pub(crate) fn rejoin(&self) {
        let sh = &*self.shared;
        // A failed call can leave the ranks at different rounds (one left
        // before an exchange that the others made): the next call starts
        // every rank at the same round, none in flight, so that no rank
        // takes another's stale words for a round's, nor writes a part
        // that another still reads.
        let g = sh.rounds.iter().map(|r| r.load(Ordering::SeqCst)).max();
        let g = g.unwrap_or(0);
        for r in &sh.rounds {
            r.store(g, Ordering::SeqCst);
        }
        sh.arrived.store(sh.size as u64 * g, Ordering::SeqCst);
        sh.left.store(0, Ordering::SeqCst);
    }

    /// Waits until `arrived` reaches `target`: spinning, then yielding,
    /// then sleeping until the last rank's wake-up.
    fn wait(&self, target: u64) -> Result<()> {
        let sh = &*self.shared;
        // Sequentially consistent: a rank about to sleep counts itself in
        // `sleepers` first, and the last rank reads `sleepers` after its
        // arrival, so one of them sees the other.
        let done = || sh.arrived.load(Ordering::SeqCst) >= target;
        let broken = || Error::Distributed {
            rank: self.rank,
            message: "another rank's thread panicked".into(),
        };
        // A rank that has left without this exchange will not make it
        // (one that left after making it has counted itself in first).
        let deserted = || {
            (sh.broken.load(Ordering::Acquire) || sh.left.load(Ordering::Acquire) > 0) && !done()
        };
        let deserter = || match sh.broken.load(Ordering::Acquire) {
            true => broken(),
            false => Error::Distributed {
                rank: self.rank,
                message: "another rank returned without taking part in an exchange (it failed \
                          where this one did not)"
                    .into(),
            },
        };
        // The clock only once a first spin did not do (a step's exchange
        // between busy ranks mostly does).
        let mut start = None;
        loop {
            for _ in 0..64 {
                if done() {
                    return Ok(());
                }
                std::hint::spin_loop();
            }
            if deserted() {
                return Err(deserter());
            }
            let waited = start.get_or_insert_with(std::time::Instant::now).elapsed();
            if waited > YIELD {
                break;
            }
            if waited > SPIN {
                std::thread::yield_now();
            }
        }
        let mut held = sh.sleep.lock().map_err(|_| broken())?;
        sh.sleepers.fetch_add(1, Ordering::SeqCst);
        let _awake = Awake(&sh.sleepers);
        while !done() {
            if deserted() {
                return Err(deserter());
            }
            // The last rank counts itself in before it takes the lock to
            // wake the others, so a wake-up is not missed; the timeout is
            // a second line of defence.
            held = sh
                .wake
                .wait_timeout(held, std::time::Duration::from_millis(1))
                .map_err(|_| broken())?
                .0;
        }
        Ok(())
    }
}

impl Comm for Threads {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.shared.size
    }

    fn all_gather(&self, mine: &[u32]) -> Result<Vec<Vec<u32>>> {
        let sh = &*self.shared;
        let g = sh.rounds[self.rank].fetch_add(1, Ordering::Relaxed);
        let parts = &sh.parts[(g % 2) as usize];
        // SAFETY: no rank reads this buffer now: its last readers (round
        // g - 2) have all arrived at round g - 1 since, and only this rank
        // writes its part.
        unsafe { parts[self.rank].write(mine) };
        let target = sh.size as u64 * (g + 1);
        if sh.arrived.fetch_add(1, Ordering::SeqCst) + 1 == target {
            // A rank counts itself a sleeper before it checks `arrived`
            // (both sequentially consistent): either it sees this arrival
            // or this sees it.
            if sh.sleepers.load(Ordering::SeqCst) > 0 {
                // A poisoned lock still wakes: the data it guards is nothing.
                let _held = sh.sleep.lock();
                sh.wake.notify_all();
            }
        } else {
            self.wait(target)?;
        }
        // SAFETY: every rank has written its part of round g (their
        // arrivals, which `wait` acquired, came after), and none writes it
        // again before this rank has arrived at round g + 1.
        Ok(parts.iter().map(|p| unsafe { p.read() }.to_vec()).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each rank's words of `rounds` exchanges made at once, one thread a
    /// rank (rank r sends `[100 r + k]` at round k).
    fn exchanges(comms: &[Arc<Threads>], rounds: u32) -> Vec<Vec<Result<Vec<Vec<u32>>>>> {
        std::thread::scope(|s| {
            let handles: Vec<_> = comms
                .iter()
                .map(|c| {
                    s.spawn(move || {
                        let _guard = c.guard();
                        (0..rounds)
                            .map(|k| c.all_gather(&[100 * c.rank() as u32 + k]))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        })
    }

    #[test]
    fn every_rank_gets_every_ranks_words_round_after_round() {
        let comms = Threads::group(3);
        for (r, got) in exchanges(&comms, 5).into_iter().enumerate() {
            for (k, all) in got.into_iter().enumerate() {
                let k = k as u32;
                assert_eq!(
                    all.unwrap(),
                    vec![vec![k], vec![100 + k], vec![200 + k]],
                    "rank {r}"
                );
            }
        }
    }

    #[test]
    fn a_call_after_a_rank_left_an_exchange_starts_the_ranks_in_step() {
        let comms = Threads::group(2);
        // A call in which rank 1 returns (fails) before the exchange that
        // rank 0 makes: rank 0 is told so.
        std::thread::scope(|s| {
            let c0 = comms[0].clone();
            let zero = s.spawn(move || {
                let _guard = c0.guard();
                c0.all_gather(&[7])
            });
            drop(comms[1].guard());
            assert!(matches!(
                zero.join().unwrap(),
                Err(Error::Distributed { rank: 0, .. })
            ));
        });
        // The next call: both ranks get both ranks' words of each round,
        // not rank 0's words of the failed call.
        comms[0].rejoin();
        for (r, got) in exchanges(&comms, 3).into_iter().enumerate() {
            for (k, all) in got.into_iter().enumerate() {
                let k = k as u32;
                assert_eq!(all.unwrap(), vec![vec![k], vec![100 + k]], "rank {r}");
            }
        }
    }
}

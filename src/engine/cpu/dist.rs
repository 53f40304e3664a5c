//! The CPU engine as one rank of a distributed run
//! (`engine::distributed`): what it exchanges after the neurons' update,
//! how it merges the monitors' recordings, and its collective reads.

use super::*;
use crate::engine::distributed::{cut_slot, Comm, Partition};
use crate::error::Error;

/// Longest exchange interval, in steps, when no projection reads spikes:
/// the run's end exchanges anyway.
const MAX_INTERVAL: usize = 1 << 12;

/// One rank's part in a distributed run.
pub(crate) struct Dist {
    pub(crate) comm: Arc<dyn Comm>,
    pub(crate) part: Partition,
    /// Per population: the per-neuron slots that projections read of it
    /// (`pre.x`, rates), exchanged at every step.
    slots: Vec<Vec<usize>>,
    /// Per population whose spikes a projection reads: the number its
    /// neuron 0 has in the exchanged lists (the read populations' neurons
    /// numbered one after the other).
    first: Vec<Option<u32>>,
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
    pending: usize,
    /// Per projection: whether its synapses are cut between the ranks
    /// (stored lists are; convolutions and procedural ones are computed
    /// whole on every rank), and their number in the network.
    sliced: Vec<Option<usize>>,
    /// The first failure of an exchange, returned at the end of the run.
    failed: Option<Error>,
    /// Time spent in the exchanges of the steps (waiting for the other
    /// ranks included), and their number.
    pub(crate) spent: (std::time::Duration, u64),
}

impl Dist {
    /// Forgets the steps since the last exchange (at a reset, which
    /// clears the histories).
    pub(crate) fn reset(&mut self) {
        self.pending = 0;
    }
}

impl CpuEngine {
    /// Makes this engine (built from the rank's part of `net`) one rank of
    /// a distributed run: what it exchanges and how often, decided from
    /// the whole network, so that every rank decides the same.
    pub(crate) fn distribute(
        &mut self,
        comm: Arc<dyn Comm>,
        part: Partition,
        net: &Network,
    ) -> Result<()> {
        let n = self.pops.len();
        let mut slots: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut read = vec![false; n];
        let mut interval = MAX_INTERVAL;
        for (pr, ps) in net.projs.iter().zip(&self.projs) {
            let pre = pr.pre.0;
            let pre_ir = &net.pops[pre].ir;
            // What the synapse model reads of its pre-synaptic neurons
            // (`SynapseIr::refs_used`), and a current injection's source.
            let mut names = pr.ir.refs_used(pre_ir.spiking).0;
            if let ProjKind::Current { r, .. } = ps.kind {
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
            let spikes_after = match &ps.kind {
                // A rank's part may hold none of the shortest delays, or
                // no synapse: the ranks agree on the interval below.
                ProjKind::Spike { .. } => Some(
                    pr.synapses
                        .delay
                        .iter()
                        .min()
                        .copied()
                        .unwrap_or(MAX_INTERVAL as u32),
                ),
                ProjKind::ConvSpike { conv, .. } => Some(conv.delay),
                ProjKind::Procedural { gen, .. } => Some(gen.spike_delay()),
                ProjKind::Decode { .. } => Some(1),
                ProjKind::Rate { .. } if crate::engine::kind::psp_events(net, pr) => Some(1),
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
        let all = comm.all_gather(&[interval as u32])?;
        interval = all
            .iter()
            .filter_map(|w| w.first())
            .min()
            .map_or(1, |&i| i as usize);
        let mut first = vec![None; n];
        let mut next = 0u64;
        for ((p, &r), f) in self.pops.iter_mut().zip(&read).zip(&mut first) {
            if r {
                // A rank keeps its own spikes until the exchange, whatever
                // delays its own synapses have.
                p.hist_depth = p.hist_depth.max(interval);
                *f = Some(next as u32);
                next += p.n as u64;
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
        self.dist = Some(Box::new(Dist {
            comm,
            part,
            slots,
            first,
            order,
            owners: Vec::new(),
            interval,
            pending: 0,
            sliced,
            failed: None,
            spent: Default::default(),
        }));
        self.reset_history();
        Ok(())
    }

    /// After the neurons' update of a step: the values other ranks read,
    /// and the spikes once per interval.
    pub(super) fn exchange_step(&mut self) {
        let Some(d) = self.dist.as_mut() else { return };
        d.pending += 1;
        if d.pending >= d.interval {
            self.exchange();
        }
    }

    /// Gathers the spikes of the steps since the last exchange and this
    /// step's exchanged values from every rank: spikes merged in neuron
    /// order (each rank's block in turn), values into each rank's block.
    fn exchange(&mut self) {
        let Some(d) = self.dist.as_mut() else { return };
        if d.failed.is_some() {
            return;
        }
        let me = d.part.rank;
        // Spikes as one list a step of numbers across the read populations
        // (`first[p]` + rank): one word a spike and one a step, however
        // many populations (the multi-area model has 254).
        let mut words = Vec::new();
        for k in 0..d.pending {
            let at = words.len();
            words.push(0);
            for (p, pop) in self.pops.iter().enumerate() {
                if let Some(first) = d.first[p] {
                    let list = pop.spike_hist.get(k).map_or(&[][..], |l| l.as_slice());
                    words.extend(list.iter().map(|&i| first + i));
                }
            }
            words[at] = (words.len() - at - 1) as u32;
        }
        for (p, pop) in self.pops.iter().enumerate() {
            for &s in &d.slots[p] {
                words.extend(pop.vars[s][d.part.mine(p)].iter().map(|v| v.to_bits()));
            }
        }
        let start = std::time::Instant::now();
        let all = match d.comm.all_gather(&words) {
            Ok(a) => a,
            Err(e) => {
                d.failed = Some(e);
                return;
            }
        };
        let mut at = vec![0usize; all.len()];
        // Each rank's list of step k, cut by population: its spikes of
        // every population in rank order, merged below in block order.
        let read: Vec<usize> = (0..self.pops.len())
            .filter(|&p| d.first[p].is_some())
            .collect();
        for k in 0..d.pending {
            let mut cut: Vec<Vec<&[u32]>> = vec![Vec::with_capacity(all.len()); self.pops.len()];
            for (r, w) in all.iter().enumerate() {
                let Some(mut list) = counted(w, &mut at[r]) else {
                    d.failed = Some(malformed(r));
                    return;
                };
                for &p in &read {
                    let end = d.first[p].unwrap_or(0) + self.pops[p].n as u32;
                    let split = list.partition_point(|&x| x < end);
                    cut[p].push(&list[..split]);
                    list = &list[split..];
                }
            }
            for &p in &read {
                let first = d.first[p].unwrap_or(0);
                let pop = &mut self.pops[p];
                if let Some(list) = pop.spike_hist.get_mut(k) {
                    list.clear();
                    for &r in &d.order[p] {
                        list.extend(cut[p][r].iter().map(|&x| x - first));
                    }
                }
            }
        }
        for (p, pop) in self.pops.iter_mut().enumerate() {
            for &s in &d.slots[p] {
                for (r, words) in all.iter().enumerate() {
                    let block = d.part.pops[p][r].clone();
                    let len = block.len();
                    let Some(src) = words.get(at[r]..at[r] + len) else {
                        d.failed = Some(malformed(r));
                        return;
                    };
                    if r != me {
                        pop.vars[s][block]
                            .iter_mut()
                            .zip(src)
                            .for_each(|(v, &w)| *v = f32::from_bits(w));
                    }
                    at[r] += len;
                }
            }
        }
        d.pending = 0;
        d.spent.0 += start.elapsed();
        d.spent.1 += 1;
    }

    /// The end of a run: the last spikes exchanged, the monitors'
    /// recordings of the run (from `marks`, their lengths before it)
    /// merged, so that every rank holds all of them; the first failure.
    pub(super) fn end_run(&mut self, monitors: &mut [MonitorState], marks: &[Mark]) -> Result<()> {
        if self.dist.as_ref().is_some_and(|d| d.pending > 0) {
            self.exchange();
        }
        let Some(d) = self.dist.as_mut() else {
            return Ok(());
        };
        if let Some(e) = d.failed.take() {
            return Err(e);
        }
        let me = d.part.rank;
        // Each recorded neuron's rank, worked out once per monitor (a
        // monitor added after compiling rebuilds the engine, and this).
        if d.owners.len() != monitors.len() {
            d.owners = monitors
                .iter()
                .map(|m| {
                    let pop = m.spec.pop.0;
                    match &m.spec.ranks {
                        Some(ranks) => ranks
                            .iter()
                            .map(|&i| d.part.owner(pop, i as usize))
                            .collect(),
                        None => (0..self.pops[pop].n)
                            .map(|i| d.part.owner(pop, i))
                            .collect(),
                    }
                })
                .collect();
        }
        let owners = &d.owners;
        let mut words = Vec::new();
        for ((m, mark), own) in monitors.iter().zip(marks).zip(owners) {
            let new = &m.spikes[mark.spikes..];
            words.push(new.len() as u32);
            for &(s, i) in new {
                words.extend([s as u32, (s >> 32) as u32, i]);
            }
            for ((b, &len), &b0) in m.buffers.iter().zip(&m.lens).zip(&mark.rows) {
                if len > 1 {
                    for row in b[b0..].chunks(len) {
                        let mine = row.iter().zip(own).filter(|(_, &o)| o == me);
                        words.extend(mine.map(|(v, _)| v.to_bits()));
                    }
                }
            }
        }
        let all = d.comm.all_gather(&words)?;
        let mut at = vec![0usize; all.len()];
        for ((m, mark), own) in monitors.iter_mut().zip(marks).zip(owners) {
            let mut spikes = Vec::new();
            for (r, w) in all.iter().enumerate() {
                let n = w.get(at[r]).copied().ok_or_else(|| malformed(r))? as usize;
                let triples = w
                    .get(at[r] + 1..at[r] + 1 + 3 * n)
                    .ok_or_else(|| malformed(r))?;
                for t in triples.chunks(3) {
                    spikes.push((u64::from(t[0]) | u64::from(t[1]) << 32, t[2]));
                }
                at[r] += 1 + 3 * n;
            }
            // One process records a step's spikes in neuron order.
            spikes.sort_unstable();
            m.spikes.truncate(mark.spikes);
            m.spikes.extend(spikes);
            for ((b, &len), &b0) in m.buffers.iter_mut().zip(&m.lens).zip(&mark.rows) {
                if len <= 1 {
                    continue;
                }
                for (r, w) in all.iter().enumerate() {
                    for row in b[b0..].chunks_mut(len) {
                        for (v, _) in row.iter_mut().zip(own).filter(|(_, &o)| o == r) {
                            *v = f32::from_bits(*w.get(at[r]).ok_or_else(|| malformed(r))?);
                            at[r] += 1;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Every rank's block of `values` (one value per neuron of population
    /// `pop`) put together: the whole population's values.
    pub(super) fn gather_neurons(&self, pop: usize, values: Vec<f32>) -> Result<Vec<f32>> {
        let Some(d) = &self.dist else {
            return Ok(values);
        };
        let n = self.pops[pop].n;
        if values.len() != n {
            return Ok(values);
        }
        let mine: Vec<u32> = values[d.part.mine(pop)]
            .iter()
            .map(|v| v.to_bits())
            .collect();
        let all = gather_blocks(&*d.comm, &d.part.pops[pop], &mine, n)?;
        Ok(all.into_iter().map(f32::from_bits).collect())
    }

    /// Every rank's synapses' `values` of projection `proj` put together,
    /// in the network's (post, pre) order.
    pub(super) fn gather_synapses(&self, proj: usize, values: Vec<f32>) -> Result<Vec<f32>> {
        let words = values.iter().map(|v| v.to_bits()).collect();
        let all = self.gather_ranks(proj, words)?;
        Ok(all.into_iter().map(f32::from_bits).collect())
    }

    /// Every rank's `words` (one per synapse of projection `proj` it
    /// holds) put together, in the network's (post, pre) order; `words`
    /// itself if the projection is not cut between ranks or `words` is
    /// not one per synapse (a projection-wide value).
    pub(super) fn gather_ranks(&self, proj: usize, words: Vec<u32>) -> Result<Vec<u32>> {
        let Some(d) = &self.dist else {
            return Ok(words);
        };
        let Some(total) = d.sliced[proj] else {
            return Ok(words);
        };
        let local = self.projs[proj].syn.post.len();
        if words.len() != local || total == 0 {
            return Ok(words);
        }
        gather_blocks(&*d.comm, &d.part.projs[proj], &words, total)
    }

    /// The rank's part of a projection slot's values given for the whole
    /// network (a setter's, a reset's).
    pub(super) fn own_slot(&self, proj: usize, slot: usize, values: Vec<f32>) -> Vec<f32> {
        match self.dist.as_ref().and_then(|d| Some((d, d.sliced[proj]?))) {
            Some((d, total)) => {
                let range = d.part.projs[proj][d.part.rank].clone();
                cut_slot(values, &self.projs[proj].ir.vars[slot], &range, total)
            }
            None => values,
        }
    }
}

/// The whole of `total` words of which each rank holds one block (rank
/// `r` the words `blocks[r]`), from this rank's `mine`.
fn gather_blocks(
    comm: &dyn Comm,
    blocks: &[std::ops::Range<usize>],
    mine: &[u32],
    total: usize,
) -> Result<Vec<u32>> {
    let all = comm.all_gather(mine)?;
    let mut out = vec![0; total];
    for (r, w) in all.iter().enumerate() {
        let block = blocks[r].clone();
        if w.len() != block.len() || block.end > total {
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
            rows: m.buffers.iter().map(Vec::len).collect(),
        }
    }
}

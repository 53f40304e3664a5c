//! The GPU engine as one rank of a distributed run
//! (`engine::distributed`): its spike rings around the exchange of
//! `engine::rank`.
//!
//! The kernels are those of one process. The engine is built from the
//! rank's part of the network and runs every neuron of every population:
//! the others' neurons receive no input from stored projections and their
//! spikes are wrong, but nothing reads them. After each exchange
//! interval's chunk of steps, the host reads back the interval's ring
//! slots of the populations whose spikes projections read, keeps its own
//! neurons' spikes, gathers every rank's, and writes the merged lists (and
//! the ordered mode's bitmasks) back into the same slots. A delivery reads
//! a slot at least one interval after it was written, so it reads the
//! merged list, as one process's delivery reads its own. Each neuron's
//! last spike (`lastspk`, for DecodingProjections and psp events) is
//! gathered the same way, and the values projections read of
//! pre-synaptic neurons after the neurons' update of each step (which
//! then runs in two submissions around the exchange). Recorded spikes are
//! kept for the rank's neurons and merged at the end of each run, as the
//! CPU engine's.

use std::sync::Arc;

use super::*;
use crate::engine::distributed::Comm;
use crate::engine::rank::{Carried, Mark, Rank};
use encode::Part;

impl GpuEngine {
    /// The least spike ring each population needs as a rank: a whole
    /// interval, and the slot the next step empties.
    pub(crate) fn rank_rings(rank: &Rank, pops: usize) -> Vec<u32> {
        (0..pops)
            .map(|p| match rank.reads(p) {
                true => rank.unexchanged() as u32 + 1,
                false => 0,
            })
            .collect()
    }

    /// Makes this engine (built from the rank's part of the network, with
    /// [`rank_rings`](Self::rank_rings)) one rank of a distributed run.
    pub(crate) fn distribute(&mut self, mut rank: Rank) {
        for (p, gp) in self.pops.iter().enumerate() {
            if gp.last.is_some() {
                rank.carry_last_spikes(p);
            }
        }
        self.rank = Some(Box::new(rank));
    }

    /// This rank's place in the run, if it is a rank.
    pub(super) fn rank(&self) -> Option<&Rank> {
        self.rank.as_deref()
    }

    /// The communicator, for a rebuild.
    pub(super) fn comm(&self) -> Option<Arc<dyn Comm>> {
        self.rank.as_ref().map(|r| r.comm.clone())
    }

    /// [`run`](Self::run) as a rank: chunks of at most an interval, each
    /// followed by the exchange of its spikes once an interval is
    /// complete; the monitors merged at the end.
    pub(super) fn run_ranked(
        &mut self,
        step0: u64,
        n: u64,
        time: &dyn Fn(u64) -> f64,
        monitors: &mut [MonitorState],
    ) -> Result<()> {
        let marks: Vec<Mark> = monitors.iter().map(Mark::of).collect();
        let key = self.philox_key();
        // Values read of other ranks' neurons are exchanged at every step
        // between the neurons' update and what reads them in the same
        // step (learning rules, post_spike): each step in two parts.
        let split = self
            .rank()
            .is_some_and(|r| r.slots.iter().any(|s| !s.is_empty()));
        let mut done = 0u64;
        while done < n {
            let (interval, pending) = match self.rank() {
                Some(r) => (r.interval, r.pending),
                None => return Ok(()),
            };
            if split {
                let (first, through) = (step0 + done, Part::Through(Stage::NeuronUpdate));
                self.chunk_run(first, 1, key, time, monitors, through)?;
                if let Some(r) = self.rank.as_mut() {
                    r.pending += 1;
                }
                // The step's ring position is not passed yet.
                self.exchange(self.ring + 1)?;
                let after = Part::After(Stage::NeuronUpdate);
                self.chunk_run(first, 1, key, time, monitors, after)?;
                done += 1;
                continue;
            }
            let k = self
                .chunk_steps(n - done, monitors)
                .min((interval - pending) as u64);
            self.chunk_run(step0 + done, k, key, time, monitors, Part::Whole)?;
            done += k;
            if let Some(r) = self.rank.as_mut() {
                r.pending += k as usize;
                if r.pending >= r.interval {
                    self.exchange(self.ring)?;
                }
            }
        }
        if self.rank().is_some_and(|r| r.pending > 0) {
            self.exchange(self.ring)?;
        }
        self.wait()?;
        match self.rank.as_mut() {
            Some(r) => r.merge_monitors(monitors, &marks),
            None => Ok(()),
        }
    }

    /// Exchanges the spikes of the pending steps and this step's values:
    /// the ring slots of the steps before ring position `ring_end` read
    /// back (counts, then the lists) with this rank's blocks of the
    /// carried arrays, this rank's neurons' spikes kept, every rank's
    /// merged and written back into the same slots, the carried arrays
    /// whole.
    fn exchange(&mut self, ring_end: u64) -> Result<()> {
        let Some(rank) = self.rank.as_deref() else {
            return Ok(());
        };
        let pending = rank.pending as u64;
        let read: Vec<usize> = (0..self.pops.len())
            .filter(|&p| rank.reads(p) && self.pops[p].spk_list.is_some())
            .collect();
        let ring0 = ring_end - pending;
        let rings: Vec<u64> = self.pops.iter().map(|p| u64::from(p.layout.ring)).collect();
        let slot = |p: usize, k: u64| ((ring0 + k) % rings[p].max(1)) as u32;
        // Where each carried array lives (its buffer and first element),
        // in the order the exchange carries them.
        let mut carried = Vec::new();
        for (p, gp) in self.pops.iter().enumerate() {
            for c in rank.carried(p) {
                let place = match c {
                    Carried::Slot(s) => gp.layout.offset(s as u32).map(|o| (&gp.state, o)),
                    Carried::LastSpike => gp.last.as_ref().map(|b| (b, 0)),
                };
                if let Some((buf, at)) = place {
                    carried.push((p, c, buf, u64::from(at)));
                }
            }
        }
        // One read-back: each pending slot's count, then this rank's block
        // of each carried array.
        let mut first_at = Vec::new();
        for &p in &read {
            if let Some(c) = &self.pops[p].spk_count {
                first_at.extend((0..pending).map(|k| (c, u64::from(slot(p, k)) * 4, 4)));
            }
        }
        let counted = first_at.len();
        for &(p, c, buf, at) in &carried {
            let block = rank.part.mine(p);
            let z = self.carried_size(c);
            first_at.push((buf, (at + block.start as u64) * z, block.len() as u64 * z));
        }
        let first = self.read_ranges(&first_at)?;
        let mut counts = first[..counted]
            .iter()
            .map(|b| bytemuck::pod_read_unaligned::<u32>(&b[..4]));
        // Then as many words of each slot's list.
        let mut lists_at = Vec::new();
        for &p in &read {
            let (Some(l), n) = (&self.pops[p].spk_list, u64::from(self.pops[p].layout.n)) else {
                continue;
            };
            for k in 0..pending {
                let c = counts.next().map_or(0, |c| u64::from(c).min(n));
                lists_at.push((l, u64::from(slot(p, k)) * n * 4, c * 4));
            }
        }
        let mut lists = self.read_ranges(&lists_at)?.into_iter();
        let mut mine = vec![vec![Vec::new(); self.pops.len()]; pending as usize];
        for &p in &read {
            let own = rank.part.mine(p);
            for step in mine.iter_mut() {
                let words: Vec<u32> = lists
                    .next()
                    .map(|b| bytemuck::pod_collect_to_vec(&b))
                    .unwrap_or_default();
                step[p] = words
                    .into_iter()
                    .filter(|&i| own.contains(&(i as usize)))
                    .collect();
            }
        }
        let own_values = &first[counted..];
        let values = |p: usize, c: Carried, _| -> Vec<u32> {
            carried
                .iter()
                .position(|&(q, d, _, _)| (q, d) == (p, c))
                .map(|i| bytemuck::pod_collect_to_vec(&own_values[i]))
                .unwrap_or_default()
        };
        let Some(rank) = self.rank.as_deref_mut() else {
            return Ok(());
        };
        let got = rank.exchange(&mine, values)?;
        let q = &self.gpu.queue;
        for &p in &read {
            let gp = &self.pops[p];
            let (Some(c), Some(l)) = (&gp.spk_count, &gp.spk_list) else {
                continue;
            };
            let (n, r, w) = (gp.layout.n, gp.layout.ring, gp.layout.bit_words());
            for (k, step) in got.spikes.iter().enumerate() {
                let s = slot(p, k as u64);
                let list = &step[p];
                q.write_buffer(
                    c,
                    u64::from(s) * 4,
                    bytemuck::bytes_of(&(list.len() as u32)),
                );
                if !list.is_empty() {
                    q.write_buffer(
                        l,
                        u64::from(s) * u64::from(n) * 4,
                        bytemuck::cast_slice(list),
                    );
                }
                if gp.layout.ring_bits {
                    let mut bits = vec![0u32; w as usize];
                    for &i in list {
                        bits[(i >> 5) as usize] |= 1 << (i & 31);
                    }
                    let at = (u64::from(r) + u64::from(s) * u64::from(w)) * 4;
                    q.write_buffer(c, at, bytemuck::cast_slice(&bits));
                }
            }
        }
        for (&(_, c, buf, at), (_, _, whole)) in carried.iter().zip(&got.values) {
            q.write_buffer(buf, at * self.carried_size(c), bytemuck::cast_slice(whole));
        }
        Ok(())
    }

    /// Bytes of one element of a carried array: a value in the network's
    /// precision (the exchange carries it as that many words), or a last
    /// spike's ring number.
    fn carried_size(&self, c: Carried) -> u64 {
        match c {
            Carried::Slot(_) => self.size(),
            Carried::LastSpike => 4,
        }
    }
}

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
//! merged list, as one process's delivery reads its own. Recorded spikes
//! are kept for the rank's neurons and merged at the end of each run, as
//! the CPU engine's.

use std::sync::Arc;

use super::*;
use crate::engine::distributed::Comm;
use crate::engine::kind::psp_events;
use crate::engine::rank::{Mark, Rank};

impl GpuEngine {
    /// What a rank's GPU engine cannot do yet, as an error naming the
    /// first such part of `net`.
    pub(crate) fn rank_refusal(net: &Network, rank: &Rank) -> Result<()> {
        let unsupported = |owner: String, message: &str| Error::Unsupported {
            owner,
            message: format!(
                "{message} in a distributed run on the GPU engine (not supported yet; \
                 the CPU engine runs it distributed)"
            ),
        };
        for pr in &net.projs {
            let owner = || format!("projection '{}'", pr.name);
            if pr.window.is_some() {
                // It reads each neuron's last spike (`lastspk`), which the
                // exchange does not rewrite.
                return Err(unsupported(owner(), "a DecodingProjection"));
            }
            if psp_events(net, pr) {
                return Err(unsupported(
                    owner(),
                    "a psp reading pre-synaptic spikes (events of a continuous synapse)",
                ));
            }
        }
        if let Some(p) = rank.slots.iter().position(|s| !s.is_empty()) {
            return Err(unsupported(
                format!("population '{}'", net.pops[p].name),
                "values of pre-synaptic neurons read by projections (pre.x, a rate-coded \
                 projection's r, a current injection's source)",
            ));
        }
        Ok(())
    }

    /// The least spike ring each population needs as a rank: a whole
    /// interval, and the slot the next step empties.
    pub(crate) fn rank_rings(rank: &Rank, pops: usize) -> Vec<u32> {
        (0..pops)
            .map(|p| match rank.reads(p) {
                true => rank.interval as u32 + 1,
                false => 0,
            })
            .collect()
    }

    /// Makes this engine (built from the rank's part of the network, with
    /// [`rank_rings`](Self::rank_rings)) one rank of a distributed run.
    pub(crate) fn distribute(&mut self, rank: Rank) {
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
        let mut done = 0u64;
        while done < n {
            let (interval, pending) = match self.rank() {
                Some(r) => (r.interval, r.pending),
                None => return Ok(()),
            };
            let mut k = (n - done)
                .min(self.chunk as u64)
                .min((interval - pending) as u64);
            for (m, gm) in monitors.iter().zip(&self.mons) {
                if m.active && gm.cap_rows > 0 {
                    k = k.min((gm.cap_rows as u64 - 1) * m.spec.period + 1);
                }
            }
            self.chunk_run(step0 + done, k, key, time, monitors, None)?;
            done += k;
            if let Some(r) = self.rank.as_mut() {
                r.pending += k as usize;
                if r.pending >= r.interval {
                    self.exchange()?;
                }
            }
        }
        if self.rank().is_some_and(|r| r.pending > 0) {
            self.exchange()?;
        }
        self.wait()?;
        match self.rank.as_mut() {
            Some(r) => r.merge_monitors(monitors, &marks),
            None => Ok(()),
        }
    }

    /// Exchanges the spikes of the pending steps: their ring slots read
    /// back (counts, then the lists), this rank's neurons kept, every
    /// rank's merged and written back into the same slots.
    fn exchange(&mut self) -> Result<()> {
        let Some(rank) = self.rank.as_deref() else {
            return Ok(());
        };
        let pending = rank.pending as u64;
        let read: Vec<usize> = (0..self.pops.len()).filter(|&p| rank.reads(p)).collect();
        // The ring number of the first pending step: the engine has run
        // `self.ring` steps, the last `pending` of them not exchanged.
        let ring0 = self.ring - pending;
        let rings: Vec<u64> = self.pops.iter().map(|p| u64::from(p.layout.ring)).collect();
        let slot = |p: usize, k: u64| ((ring0 + k) % rings[p].max(1)) as u32;
        let mut counts_at = Vec::new();
        for &p in &read {
            let Some(c) = &self.pops[p].spk_count else {
                continue;
            };
            for k in 0..pending {
                counts_at.push((c, u64::from(slot(p, k)) * 4, 4));
            }
        }
        let counts: Vec<u32> = self
            .read_ranges(&counts_at)?
            .iter()
            .map(|b| bytemuck::pod_read_unaligned(&b[..4]))
            .collect();
        let mut lists_at = Vec::new();
        let mut ci = 0;
        for &p in &read {
            let (Some(_), Some(l)) = (&self.pops[p].spk_count, &self.pops[p].spk_list) else {
                continue;
            };
            let n = u64::from(self.pops[p].layout.n);
            for k in 0..pending {
                let c = u64::from(counts[ci]).min(n);
                ci += 1;
                lists_at.push((l, u64::from(slot(p, k)) * n * 4, c * 4));
            }
        }
        let lists = self.read_ranges(&lists_at)?;
        let mut mine = vec![vec![Vec::new(); self.pops.len()]; pending as usize];
        let mut li = 0;
        for &p in &read {
            if self.pops[p].spk_list.is_none() {
                continue;
            }
            let own = rank.part.mine(p);
            for step in mine.iter_mut() {
                let words: Vec<u32> = bytemuck::pod_collect_to_vec(&lists[li]);
                li += 1;
                step[p] = words
                    .into_iter()
                    .filter(|&i| own.contains(&(i as usize)))
                    .collect();
            }
        }
        let Some(rank) = self.rank.as_deref_mut() else {
            return Ok(());
        };
        let got = rank.exchange(&mine, |_, _, _| Vec::new())?;
        for &p in &read {
            let gp = &self.pops[p];
            let (Some(c), Some(l)) = (&gp.spk_count, &gp.spk_list) else {
                continue;
            };
            let (n, r, w) = (gp.layout.n, gp.layout.ring, gp.layout.bit_words());
            for (k, step) in got.spikes.iter().enumerate() {
                let s = slot(p, k as u64);
                let list = &step[p];
                let q = &self.gpu.queue;
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
        Ok(())
    }

    /// The bytes of each `(buffer, offset, length)`, read back together
    /// (one copy each into one staging buffer, one submission).
    fn read_ranges(&self, ranges: &[(&wgpu::Buffer, u64, u64)]) -> Result<Vec<Vec<u8>>> {
        let total: u64 = ranges.iter().map(|r| r.2).sum();
        if total == 0 {
            return Ok(vec![Vec::new(); ranges.len()]);
        }
        let d = &self.gpu.device;
        let staging = d.create_buffer(&wgpu::BufferDescriptor {
            label: Some("exchange readback"),
            size: total,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut enc = d.create_command_encoder(&Default::default());
        let mut at = 0;
        for &(b, off, len) in ranges {
            if len > 0 {
                enc.copy_buffer_to_buffer(b, off, &staging, at, len);
            }
            at += len;
        }
        self.gpu.queue.submit([enc.finish()]);
        let bytes = self.map(&[&staging])?.remove(0);
        let mut out = Vec::with_capacity(ranges.len());
        let mut at = 0usize;
        for &(_, _, len) in ranges {
            out.push(bytes[at..at + len as usize].to_vec());
            at += len as usize;
        }
        Ok(out)
    }
}

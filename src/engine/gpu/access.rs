//! Reading and writing variables of populations and projections.

use super::*;

impl GpuEngine {
    /// Gives a shareable projection a weight buffer of one value (`shared`)
    /// or of one a synapse (zeroed: the caller writes the weights) and binds
    /// the passes that read it (its own or its merged group's) to it.
    pub(super) fn rebind_weights(&mut self, qi: usize, shared: bool) -> Result<()> {
        let Some((kernel, pre, post, ordered)) = self.projs[qi].shareable.clone() else {
            return Ok(());
        };
        let bytes = if shared {
            self.size()
        } else {
            u64::from(self.projs[qi].layout.nsyn) * self.size()
        };
        let syn = self.zeroed(&format!("{}: synapses", kernel.name), bytes)?;
        // All or nothing: should a pass fail, the old buffer and passes stay.
        let old = std::mem::replace(&mut self.projs[qi].syn, syn);
        let merged = self
            .merged_group(Stage::SpikeDelivery, qi)
            .and_then(|(ph, gi)| match &self.merged[ph][gi] {
                Some(MergedPass {
                    rebind: Rebind::Spikes(mg),
                    ..
                }) => Some((ph, gi, mg.clone())),
                _ => None,
            });
        let passes = (|| -> Result<(Option<Pass>, Option<Pass>)> {
            let own = match self.projs[qi].pass {
                Some(_) => {
                    let q = &self.projs[qi];
                    let b = super::bind::spike_binds(
                        &kernel.name,
                        &self.pops[post],
                        &self.pops[pre],
                        super::bind::spike_names(None),
                        &q.csr,
                        &q.syn,
                        &q.sparams,
                        (false, false, ordered.is_some()),
                    )?;
                    let dispatch = match ordered {
                        Some(threads) => grid(threads),
                        None => (spike_groups(self.pops[pre].layout.n), 1),
                    };
                    Some(self.pass(&kernel, &b, dispatch)?)
                }
                None => None,
            };
            let group = match &merged {
                Some((_, _, mg)) => Some(self.merged_spike_pass(mg)?),
                None => None,
            };
            Ok((own, group))
        })();
        match passes {
            Ok((own, group)) => {
                if own.is_some() {
                    self.projs[qi].pass = own;
                }
                if let (Some((ph, gi, _)), Some(g)) = (merged, group) {
                    if let Some(m) = self.merged[ph][gi].as_mut() {
                        m.pass = g;
                    }
                }
                self.projs[qi].shared = shared;
                Ok(())
            }
            Err(e) => {
                self.projs[qi].syn = old;
                Err(e)
            }
        }
    }

    /// Writes a projection's per-synapse values (post order, all local
    /// slots, or one value for all): a shareable projection's weights go
    /// to a buffer of one value when they all are one, of one a synapse
    /// otherwise (allocated and bound again when that changes).
    pub(super) fn write_synapses(&mut self, qi: usize, values: &Reals) -> Result<()> {
        let q = &self.projs[qi];
        if q.shareable.is_some() {
            let one = values.shared().filter(|_| q.layout.nsyn > 1);
            if one.is_some() != q.shared {
                self.rebind_weights(qi, one.is_some())?;
            }
            if let Some(v) = one {
                let v = Reals::filled(self.dtype, v, 1);
                self.gpu
                    .queue
                    .write_buffer(&self.projs[qi].syn, 0, v.bytes());
                return Ok(());
            }
        }
        let q = &self.projs[qi];
        let upload = if values.len() == 1 && q.shareable.is_some() {
            values.repeat(q.layout.nsyn as usize)
        } else {
            in_buffer_order(q.perm.as_deref(), values)
        };
        // Nothing to put back is nothing to write: `bytes_of` pads an
        // empty array to one value, which would land on a convolution's
        // first shared weight (its synapse buffer holds the filters).
        if !upload.is_empty() {
            self.gpu.queue.write_buffer(&q.syn, 0, &bytes_of(&upload));
        }
        Ok(())
    }

    /// Whether a projection's weights are bound as the one value all its
    /// synapses share (no per-synapse weight storage).
    pub fn shares_weight(&self, proj: usize) -> bool {
        self.projs[proj].shared
    }

    pub(super) fn read(&self, buf: &wgpu::Buffer, offset: u64, len: u64) -> Result<Vec<u8>> {
        Ok(self.read_ranges(&[(buf, offset, len)])?.remove(0))
    }

    /// The bytes of each `(buffer, offset, length)`, read back together
    /// (one copy each into one staging buffer, one submission).
    pub(super) fn read_ranges(&self, ranges: &[(&wgpu::Buffer, u64, u64)]) -> Result<Vec<Vec<u8>>> {
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

    /// Maps staging buffers after the last submission and returns their bytes.
    pub(super) fn map(&self, bufs: &[&wgpu::Buffer]) -> Result<Vec<Vec<u8>>> {
        let mut out = Vec::with_capacity(bufs.len());
        self.map_each(bufs, None, |_, bytes| out.push(bytes.to_vec()))?;
        Ok(out)
    }

    /// Maps staging buffers once submission `until` has run (the last one
    /// if `None`), hands each one's bytes in place to `f` with its index,
    /// and unmaps them.
    pub(super) fn map_each(
        &self,
        bufs: &[&wgpu::Buffer],
        until: Option<wgpu::SubmissionIndex>,
        mut f: impl FnMut(usize, &[u8]),
    ) -> Result<()> {
        let gpu_err = |e: &dyn std::fmt::Display| Error::Gpu {
            context: "reading results back".into(),
            message: e.to_string(),
        };
        let (tx, rx) = std::sync::mpsc::channel();
        for (i, b) in bufs.iter().enumerate() {
            let tx = tx.clone();
            b.slice(..).map_async(wgpu::MapMode::Read, move |r| {
                let _ = tx.send((i, r));
            });
        }
        drop(tx);
        self.gpu
            .device
            .poll(wgpu::PollType::Wait {
                submission_index: until,
                timeout: None,
            })
            .map_err(|e| gpu_err(&e))?;
        for (_, r) in rx.iter() {
            r.map_err(|e| gpu_err(&e))?;
        }
        for (i, b) in bufs.iter().enumerate() {
            {
                let view = b.slice(..).get_mapped_range().map_err(|e| gpu_err(&e))?;
                f(i, &view);
            }
            b.unmap();
        }
        Ok(())
    }

    /// The values of a population slot (length n, or 1 if population-wide).
    pub fn slot_values(&self, pop: usize, slot: usize) -> Result<Reals> {
        let p = &self.pops[pop];
        let z = self.size();
        match p.layout.offset(slot as u32) {
            Some(o) => {
                let bytes = self.read(&p.state, o as u64 * z, p.layout.n as u64 * z)?;
                Ok(Reals::from_bytes(self.dtype, &bytes))
            }
            None => {
                let g = p.layout.global[slot].unwrap_or(0) as usize;
                Ok(p.params_host.slice(g..g + 1))
            }
        }
    }

    /// A population's `sum(target)` number `target` (length n).
    pub fn sum_values(&self, pop: usize, target: usize) -> Result<Reals> {
        let l = &self.pops[pop].layout;
        let z = self.size();
        let bytes = self.read(
            &self.pops[pop].state,
            u64::from(l.sum_offset(target as u32)) * z,
            u64::from(l.n) * z,
        )?;
        Ok(Reals::from_bytes(self.dtype, &bytes))
    }

    /// Writes a population slot (length n, or 1 if population-wide), in
    /// the network's precision.
    pub fn set_slot(&mut self, pop: usize, slot: usize, values: &Reals) {
        let z = self.size();
        let p = &mut self.pops[pop];
        match p.layout.offset(slot as u32) {
            Some(o) => self
                .gpu
                .queue
                .write_buffer(&p.state, o as u64 * z, values.bytes()),
            None => {
                let g = p.layout.global[slot].unwrap_or(0) as usize;
                let first = values.slice(0..1);
                p.params_host.copy_at(g, &first);
                self.gpu
                    .queue
                    .write_buffer(&p.params, g as u64 * z, first.bytes());
            }
        }
    }

    /// Writes one neuron's value of a per-neuron slot.
    pub fn set_one(&mut self, pop: usize, slot: usize, rank: usize, value: f64) {
        let z = self.size();
        let p = &self.pops[pop];
        if let Some(o) = p.layout.offset(slot as u32) {
            self.gpu.queue.write_buffer(
                &p.state,
                (o as u64 + rank as u64) * z,
                Reals::filled(self.dtype, value, 1).bytes(),
            );
        }
    }

    /// Per-synapse values of a projection slot in (post, pre) order (length
    /// 1 for projection-wide ones).
    pub fn synapse_values(&self, proj: usize, slot: usize) -> Result<Reals> {
        let q = &self.projs[proj];
        let nsyn = q.layout.nsyn as u64;
        let z = self.size();
        match (q.layout.local[slot], q.layout.global[slot]) {
            (Some(_), _) if q.shared => {
                let v = Reals::from_bytes(self.dtype, &self.read(&q.syn, 0, z)?);
                Ok(v.repeat(nsyn as usize))
            }
            (Some(li), _) => {
                let v = Reals::from_bytes(
                    self.dtype,
                    &self.read(&q.syn, li as u64 * nsyn * z, nsyn * z)?,
                );
                Ok(match &q.perm {
                    Some(perm) => {
                        // Synapse j sits at position e where perm[e] == j.
                        let mut at = vec![0usize; v.len()];
                        for (e, &j) in perm.iter().enumerate() {
                            at[j as usize] = e;
                        }
                        v.pick(at)
                    }
                    None => v,
                })
            }
            (None, Some(g)) => Ok(q.sparams_host.slice(g as usize..g as usize + 1)),
            _ => Ok(Reals::empty(self.dtype)),
        }
    }

    /// Writes a projection slot: one value per synapse in (post, pre)
    /// order, or one value for a projection-wide slot.
    pub fn set_synapse_values(&mut self, proj: usize, slot: usize, values: &Reals) -> Result<()> {
        // The weights of a shareable projection (its only per-synapse
        // slot): shared if they all are one value and the buffer holds one.
        if self.projs[proj].shareable.is_some() && self.projs[proj].layout.local[slot].is_some() {
            return self.write_synapses(proj, values);
        }
        let z = self.size();
        let q = &mut self.projs[proj];
        let nsyn = q.layout.nsyn as u64;
        match (q.layout.local[slot], q.layout.global[slot]) {
            (Some(li), _) if nsyn > 0 => {
                let v = in_buffer_order(q.perm.as_deref(), values);
                self.gpu
                    .queue
                    .write_buffer(&q.syn, u64::from(li) * nsyn * z, v.bytes());
            }
            (None, Some(g)) => {
                q.sparams_host.copy_at(g as usize, &values.slice(0..1));
                self.gpu
                    .queue
                    .write_buffer(&q.sparams, 0, q.sparams_host.bytes());
            }
            _ => {}
        }
        Ok(())
    }
}

//! The dynamic state: snapshots, restore, reset, seeds, learning and inputs.

use super::*;
use crate::real::Reals;

impl GpuEngine {
    /// Sets when a projection's learning rule runs.
    pub(crate) fn set_learning(&mut self, proj: usize, l: crate::engine::Learning) {
        // Its kernels read when it learns from its CSR (see
        // `learning_words`): written once here, not at each step.
        if let Some(at) = self.projs[proj].flags {
            let words = learning_words(&l);
            self.gpu.queue.write_buffer(
                &self.projs[proj].csr,
                u64::from(at) * 4,
                bytemuck::cast_slice(&words),
            );
        }
        self.projs[proj].learning = l;
    }

    /// Replaces a population's input table (same kind, same variable).
    pub(crate) fn set_feed(&mut self, pop: usize, feed: &crate::network::feed::Feed) -> Result<()> {
        let name = format!("population {pop}: input table");
        let buf = self.storage(&name, bytemuck::cast_slice(&feed.words()))?;
        self.pops[pop].feed = Some(buf);
        // A merged update binds the table too: rebind the whole group.
        if let Some((ph, gi)) = self.merged_group(Stage::NeuronUpdate, pop) {
            if let Some(MergedPass {
                rebind: Rebind::Updates(mu),
                ..
            }) = &self.merged[ph][gi]
            {
                let pass = self.merged_update_pass(mu)?;
                if let Some(m) = self.merged[ph][gi].as_mut() {
                    m.pass = pass;
                }
                return Ok(());
            }
        }
        let pass = self.update_pass(&self.pops[pop])?;
        self.pops[pop].update = Some(pass);
        Ok(())
    }

    /// The dynamic state, for saving (spike lists sorted by rank).
    pub(crate) fn snapshot(&self) -> Result<crate::engine::Snapshot> {
        let mut pops = Vec::new();
        for p in &self.pops {
            let l = &p.layout;
            let n = l.n as usize;
            let state = Reals::from_bytes(self.dtype, &self.read(&p.state, 0, p.state.size())?);
            let vars = (0..l.local.len())
                .map(|slot| match (l.local[slot], l.global[slot]) {
                    (Some(li), _) => state.slice(li as usize * n..(li as usize + 1) * n),
                    (None, Some(g)) => p.params_host.slice(g as usize..g as usize + 1),
                    _ => Reals::empty(self.dtype),
                })
                .collect();
            let mut spikes = Vec::new();
            if let (Some(c), Some(li)) = (&p.spk_count, &p.spk_list) {
                let r = u64::from(l.ring);
                let counts: Vec<u32> = bytemuck::pod_collect_to_vec(&self.read(c, 0, c.size())?);
                let lists: Vec<u32> = bytemuck::pod_collect_to_vec(&self.read(li, 0, li.size())?);
                for age in 1..r {
                    let slot = ((self.ring + r * age - age) % r) as usize;
                    let k = counts[slot] as usize;
                    let mut v = lists[slot * n..slot * n + k].to_vec();
                    v.sort_unstable();
                    spikes.push(v);
                }
            }
            let mut hist = Vec::new();
            if let Some(h) = &p.hist {
                let rh = i64::from(l.hist_ring);
                let k = l.hist_slots.len();
                let all = Reals::from_bytes(self.dtype, &self.read(h, 0, h.size())?);
                for (j, &slot) in l.hist_slots.iter().enumerate() {
                    let rows = (0..rh)
                        .map(|age| {
                            let row = (self.ring as i64 - 2 - age).rem_euclid(rh) as usize;
                            let at = (row * k + j) * n;
                            all.slice(at..at + n)
                        })
                        .collect();
                    hist.push((slot, rows));
                }
            }
            pops.push(crate::engine::PopSnapshot { vars, spikes, hist });
        }
        let (mut projs, mut rings) = (Vec::new(), Vec::new());
        for (qi, q) in self.projs.iter().enumerate() {
            let mut v = (0..q.layout.local.len())
                .map(|slot| GpuEngine::synapse_values(self, qi, slot))
                .collect::<Result<Vec<_>>>()?;
            if let Some(b) = &q.win {
                let all = Reals::from_bytes(self.dtype, &self.read(b, 0, b.size())?);
                let (w, n) = (i64::from(q.window), q.n_post as usize);
                for age in 0..w {
                    let row = (self.ring as i64 - 1 - age).rem_euclid(w) as usize;
                    v.push(all.slice(row * n..(row + 1) * n));
                }
            }
            projs.push(v);
            rings.push(match q.delay_ring {
                Some(depth) => {
                    let all = Reals::from_bytes(self.dtype, &self.read(&q.syn, 0, q.syn.size())?);
                    ring_rows(&all, depth, self.ring_pos(depth), false)
                }
                None => Reals::empty(self.dtype),
            });
        }
        Ok(crate::engine::Snapshot {
            pops,
            projs,
            rings,
            constants: self.consts.clone(),
        })
    }

    /// Puts back a state taken from an engine of the same network (checked
    /// by the caller).
    pub(crate) fn restore(&mut self, s: &crate::engine::Snapshot) -> Result<()> {
        self.consts = s.constants.clone();
        let q = &self.gpu.queue;
        for (p, ps) in self.pops.iter_mut().zip(&s.pops) {
            let l = &p.layout;
            let n = l.n as usize;
            let (state, params) = codegen::pack_values(&ps.vars, &l.local, n, 0, self.dtype);
            q.write_buffer(&p.state, 0, &bytes_of(&state));
            q.write_buffer(&p.params, 0, &bytes_of(&params));
            p.params_host = params;
            if let (Some(c), Some(li)) = (&p.spk_count, &p.spk_list) {
                let r = u64::from(l.ring);
                let mut counts = vec![0u32; l.count_words() as usize];
                let mut lists = vec![0u32; r as usize * n];
                let words = l.bit_words() as usize;
                for (i, v) in ps.spikes.iter().enumerate() {
                    let age = i as u64 + 1;
                    let slot = ((self.ring + r * age - age) % r) as usize;
                    counts[slot] = v.len() as u32;
                    lists[slot * n..slot * n + v.len()].copy_from_slice(v);
                    if l.ring_bits {
                        let mask = r as usize + slot * words;
                        for &k in v {
                            counts[mask + k as usize / 32] |= 1 << (k % 32);
                        }
                    }
                }
                q.write_buffer(c, 0, bytemuck::cast_slice(&counts));
                q.write_buffer(li, 0, bytemuck::cast_slice(&lists));
            }
            if let (Some(b), Some(f)) = (&p.frate, l.fr) {
                q.write_buffer(
                    b,
                    0,
                    bytemuck::cast_slice(&window_bits(f, n, self.ring, &ps.spikes)),
                );
            }
            if let Some(b) = &p.last {
                // The previous step's spikes, as its neuron_update wrote them.
                let mut last = vec![0u32; n];
                for &i in ps.spikes.first().map(Vec::as_slice).unwrap_or(&[]) {
                    last[i as usize] = (self.ring + 1) as u32;
                }
                q.write_buffer(b, 0, bytemuck::cast_slice(&last));
            }
            if let Some(h) = &p.hist {
                let rh = i64::from(l.hist_ring);
                let k = l.hist_slots.len();
                let mut all = Reals::filled(self.dtype, 0.0, rh as usize * k * n);
                for (j, (_, rows)) in ps.hist.iter().enumerate() {
                    for (age, v) in rows.iter().enumerate() {
                        let row = (self.ring as i64 - 2 - age as i64).rem_euclid(rh) as usize;
                        all.copy_at((row * k + j) * n, v);
                    }
                }
                q.write_buffer(h, 0, all.bytes());
            }
        }
        let mut synapses = Vec::with_capacity(self.projs.len());
        for (g, vals) in self.projs.iter_mut().zip(&s.projs) {
            let nsyn = g.layout.nsyn as usize;
            let (vals, window) = vals.split_at(g.layout.local.len());
            if let Some(b) = &g.win {
                let (w, n) = (i64::from(g.window), g.n_post as usize);
                let mut all = Reals::filled(self.dtype, 0.0, w as usize * n);
                for (age, v) in window.iter().enumerate() {
                    let row = (self.ring as i64 - 1 - age as i64).rem_euclid(w) as usize;
                    all.copy_at(row * n, v);
                }
                q.write_buffer(b, 0, all.bytes());
            }
            let (syn, shared) = codegen::pack_values(vals, &g.layout.local, nsyn, 0, self.dtype);
            synapses.push(syn);
            if !shared.is_empty() {
                q.write_buffer(&g.sparams, 0, &bytes_of(&shared));
            }
            g.sparams_host = shared;
        }
        for (qi, syn) in synapses.iter().enumerate() {
            self.write_synapses(qi, syn)?;
        }
        for (g, rows) in self.projs.iter().zip(&s.rings) {
            if let Some(depth) = g.delay_ring {
                let all = ring_rows(
                    &rows.clone().to_dtype(self.dtype),
                    depth,
                    self.ring_pos(depth),
                    true,
                );
                self.gpu.queue.write_buffer(&g.syn, 0, all.bytes());
            }
        }
        Ok(())
    }

    /// The row of a delay ring of `depth` rows the next step flushes, as
    /// the kernel computes it from the clock's (32-bit) ring counter.
    pub(super) fn ring_pos(&self, depth: u32) -> u32 {
        (self.ring as u32) % depth
    }

    /// The shape of the histories, as `CpuEngine::history_shape`.
    pub(crate) fn history_shape(&self) -> Vec<(usize, Vec<(u32, usize)>)> {
        self.pops
            .iter()
            .map(|p| {
                let l = &p.layout;
                (
                    l.ring.saturating_sub(1) as usize,
                    l.hist_slots
                        .iter()
                        .map(|s| (*s, l.hist_ring as usize))
                        .collect(),
                )
            })
            .collect()
    }

    /// Changes the seed of run-time random draws.
    pub fn set_seed(&mut self, seed: u64) {
        self.seed = seed;
    }

    /// The device this engine runs on.
    pub fn device(&self) -> &DeviceInfo {
        &self.gpu.info
    }

    pub(super) fn reset_history(&mut self) {
        for q in &self.projs {
            if let Some(b) = &q.win {
                self.gpu
                    .queue
                    .write_buffer(b, 0, &vec![0u8; b.size() as usize]);
            }
        }
        for p in &self.pops {
            for b in p.last.iter().chain(&p.frate) {
                self.gpu
                    .queue
                    .write_buffer(b, 0, &vec![0u8; b.size() as usize]);
            }
            if let Some(c) = &p.spk_count {
                self.gpu
                    .queue
                    .write_buffer(c, 0, &vec![0u8; p.layout.count_words() as usize * 4]);
            }
            if let Some(h) = &p.hist {
                let n = p.layout.n as usize;
                let mut v = Reals::empty(self.dtype);
                for _ in 0..p.layout.hist_ring {
                    for &s in &p.layout.hist_slots {
                        let li = p.layout.local[s as usize].unwrap_or(0) as usize;
                        v.extend_reals(&p.init_state.slice(li * n..(li + 1) * n));
                    }
                }
                self.gpu.queue.write_buffer(h, 0, v.bytes());
            }
        }
    }

    /// Back to the values at compile time; histories emptied.
    pub fn reset(&mut self) {
        for p in &mut self.pops {
            self.gpu
                .queue
                .write_buffer(&p.state, 0, &bytes_of(&p.init_state));
            self.gpu
                .queue
                .write_buffer(&p.params, 0, &bytes_of(&p.init_params));
            p.params_host.clone_from(&p.init_params);
        }
        for qi in 0..self.projs.len() {
            let init = std::mem::take(&mut self.projs[qi].init_syn);
            // Weights shared at the start are shared again; should binding
            // fail (the buffer then stays one a synapse), every synapse
            // gets the shared value.
            if self.write_synapses(qi, &init).is_err() {
                let q = &self.projs[qi];
                let all = init.slice(0..1).repeat(q.layout.nsyn as usize);
                self.gpu.queue.write_buffer(&q.syn, 0, &bytes_of(&all));
            }
            self.projs[qi].init_syn = init;
        }
        for q in &mut self.projs {
            self.gpu
                .queue
                .write_buffer(&q.sparams, 0, &bytes_of(&q.init_sparams));
            q.sparams_host.clone_from(&q.init_sparams);
        }
        self.reset_history();
    }
}

/// The `frate` buffer of a population of `n` neurons whose last spikes are
/// `spikes` (the previous step's first), before step number `ring` of the
/// engine: the counts over the window, and each list's bits at the
/// position its step had (`ring - age` modulo the window).
fn window_bits(
    f: crate::network::rate::FiringRate,
    n: usize,
    ring: u64,
    spikes: &[Vec<u32>],
) -> Vec<u32> {
    let (steps, words) = (u64::from(f.steps), f.steps.div_ceil(32) as usize);
    let mut out = vec![0u32; n * (1 + words)];
    for (i, list) in spikes.iter().enumerate().take(f.steps as usize) {
        let age = i as u64 + 1;
        let pos = ((ring + steps * age - age) % steps) as usize;
        for &k in list {
            out[k as usize] += 1;
            out[n + k as usize * words + pos / 32] |= 1 << (pos % 32);
        }
    }
    out
}

/// [`crate::engine::ring_rows`] of values in either precision.
fn ring_rows(ring: &Reals, depth: u32, pos: u32, back: bool) -> Reals {
    match ring {
        Reals::F32(v) => Reals::F32(crate::engine::ring_rows(v, depth, pos, back)),
        Reals::F64(v) => Reals::F64(crate::engine::ring_rows(v, depth, pos, back)),
    }
}

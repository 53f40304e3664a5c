//! Running the schedule: a chunk of steps encoded into one submission,
//! and what monitors read back.

use super::*;

impl GpuEngine {
    /// Per merged group (its members), whether it runs as one dispatch at
    /// step `st`: it does when every member whose pass changes while its
    /// learning is off (`switchable`) learns at that step; otherwise the
    /// members run their own passes.
    pub(super) fn whole_groups<'a>(
        &self,
        groups: impl Iterator<Item = &'a [usize]>,
        st: u64,
        switchable: impl Fn(&GProj) -> bool,
    ) -> Vec<bool> {
        groups
            .map(|members| {
                members.iter().all(|&q| {
                    let q = &self.projs[q];
                    !switchable(q) || q.learning.due(st)
                })
            })
            .collect()
    }

    /// Runs `n` steps from `step0`; `time(s)` is the time of step `s`.
    /// Active monitors get their samples and spikes.
    pub(crate) fn run(
        &mut self,
        step0: u64,
        n: u64,
        time: &dyn Fn(u64) -> f64,
        monitors: &mut [MonitorState],
    ) -> Result<()> {
        let key = [self.seed as u32, (self.seed >> 32) as u32];
        let mut done = 0u64;
        while done < n {
            let first = step0 + done;
            let mut k = (n - done).min(self.chunk as u64);
            for (m, gm) in monitors.iter().zip(&self.mons) {
                if m.active && gm.cap_rows > 0 {
                    k = k.min((gm.cap_rows as u64 - 1) * m.spec.period + 1);
                }
            }
            self.chunk_run(first, k, key, time, monitors)?;
            done += k;
        }
        // `simulate` returns when the steps are done (timings and errors
        // mean what they say), not when they are queued.
        self.gpu
            .device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| Error::Gpu {
                context: "waiting for the GPU".into(),
                message: e.to_string(),
            })?;
        Ok(())
    }

    pub(super) fn chunk_run(
        &mut self,
        first: u64,
        k: u64,
        key: [u32; 2],
        time: &dyn Fn(u64) -> f64,
        monitors: &mut [MonitorState],
    ) -> Result<()> {
        let g = self.gpu.clone();
        let stride = self.stride as usize;
        let mut clocks = vec![0u8; stride * k as usize];
        for r in 0..k {
            let c = Clock {
                step: (first + r) as u32,
                row: r as u32,
                t: time(first + r) as f32,
                pad0: 0,
                key,
                ring: (self.ring + r) as u32,
                pad1: 0,
            };
            let at = r as usize * stride;
            clocks[at..at + std::mem::size_of::<Clock>()].copy_from_slice(bytemuck::bytes_of(&c));
        }
        g.queue.write_buffer(&self.clock, 0, &clocks);
        // Sample steps of each monitor in this chunk.
        let mut samples: Vec<Vec<u64>> = Vec::with_capacity(monitors.len());
        for (m, gm) in monitors.iter().zip(&self.mons) {
            let mut s = Vec::new();
            if m.active && gm.pass.is_some() {
                for st in first..first + k {
                    if (st - m.start_step).is_multiple_of(m.spec.period) {
                        s.push(st);
                    }
                }
            }
            if let (Some(&f), Some(u)) = (s.first(), &gm.sampling) {
                let smp = Sampling {
                    first: f as u32,
                    period: m.spec.period as u32,
                };
                g.queue.write_buffer(u, 0, bytemuck::bytes_of(&smp));
            }
            samples.push(s);
        }
        let spike_mons: Vec<bool> = monitors.iter().map(|m| m.active && m.spec.spikes).collect();
        let mut enc = g.device.create_command_encoder(&Default::default());
        for p in &self.pops {
            if let Some(b) = &p.bits {
                enc.clear_buffer(b, 0, None);
            }
        }
        {
            let mut pass = enc.begin_compute_pass(&Default::default());
            let run = |pass: &mut wgpu::ComputePass, p: &Pass, off: u32| {
                pass.set_pipeline(&p.pipeline);
                pass.set_bind_group(0, &p.group, &[off]);
                pass.dispatch_workgroups(p.grid.0, p.grid.1, 1);
            };
            for r in 0..k {
                let off = (r as usize * stride) as u32;
                let st = first + r;
                for (pi, p) in self.pops.iter().enumerate() {
                    if let Some(ci) = self.clear_at[pi] {
                        run(&mut pass, &self.merged_clears[ci], off);
                    }
                    if let Some(c) = &p.clear {
                        run(&mut pass, c, off);
                    }
                }
                // A merged delivery runs when every plastic member learns
                // this step; otherwise its members run their own passes.
                let whole = self.whole_groups(
                    self.merged_plans.iter().map(|m| m.members.as_slice()),
                    st,
                    |q| q.frozen.is_some(),
                );
                for (qi, q) in self.projs.iter().enumerate() {
                    if let Some(mi) = self.merged_at[qi] {
                        if whole[mi] {
                            run(&mut pass, &self.merged[mi], off);
                        }
                    }
                    if q.group.is_some_and(|mi| whole[mi]) {
                        continue;
                    }
                    if let Some(ri) = self.rates_at[qi] {
                        run(&mut pass, &self.merged_rates[ri], off);
                    }
                    let x = match (&q.frozen, q.learning.due(st)) {
                        (Some(f), false) => Some(f),
                        _ => q.pass.as_ref(),
                    };
                    if let Some(x) = x {
                        run(&mut pass, x, off);
                    }
                }
                for (pi, p) in self.pops.iter().enumerate() {
                    if let Some(ui) = self.update_at[pi] {
                        run(&mut pass, &self.merged_updates[ui].1, off);
                    }
                    if let Some(u) = &p.update {
                        run(&mut pass, u, off);
                    }
                }
                // As for deliveries: a merged post_spike runs when every
                // member whose learning can be off learns this step.
                let whole_post = self.whole_groups(
                    self.merged_posts.iter().map(|(m, _)| m.as_slice()),
                    st,
                    |q| q.post_frozen.is_some(),
                );
                // A rule runs only while its learning is on.
                let whole_learn = self.whole_groups(
                    self.merged_learns.iter().map(|(m, _)| m.as_slice()),
                    st,
                    |_| true,
                );
                for (qi, q) in self.projs.iter().enumerate() {
                    let due = q.learning.due(st);
                    if let Some(li) = self.learns_at[qi] {
                        if whole_learn[li] {
                            run(&mut pass, &self.merged_learns[li].1, off);
                        }
                    }
                    let merged_learn = q.learn_group.is_some_and(|li| whole_learn[li]);
                    if let (Some(l), true, false) = (&q.learn, due, merged_learn) {
                        run(&mut pass, l, off);
                    }
                    if let Some(pi) = self.posts_at[qi] {
                        if whole_post[pi] {
                            run(&mut pass, &self.merged_posts[pi].1, off);
                        }
                    }
                    if q.post_group.is_some_and(|pi| whole_post[pi]) {
                        continue;
                    }
                    let post = match (&q.post_frozen, due) {
                        (Some(f), false) => Some(f),
                        _ => q.post.as_ref(),
                    };
                    if let Some(p) = post {
                        run(&mut pass, p, off);
                    }
                }
                for (gm, s) in self.mons.iter().zip(&samples) {
                    if let Some(x) = &gm.pass {
                        if s.binary_search(&st).is_ok() {
                            run(&mut pass, x, off);
                        }
                    }
                }
            }
        }
        // Copy what monitors need into staging buffers.
        let mut staging: Vec<(usize, bool, wgpu::Buffer)> = Vec::new();
        for (mi, (gm, s)) in self.mons.iter().zip(&samples).enumerate() {
            if let (Some(buf), false) = (&gm.buf, s.is_empty()) {
                let len = s.len() as u64 * gm.row_len as u64 * 4;
                let st = g.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("monitor readback"),
                    size: len,
                    usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                });
                enc.copy_buffer_to_buffer(buf, 0, &st, 0, len);
                staging.push((mi, false, st));
            }
        }
        let mut bit_pops: Vec<usize> = Vec::new();
        for (mi, on) in spike_mons.iter().enumerate() {
            let p = self.mons[mi].pop;
            if *on && self.pops[p].bits.is_some() && !bit_pops.contains(&p) {
                bit_pops.push(p);
            }
        }
        for &p in &bit_pops {
            let words = u64::from(self.pops[p].layout.n.div_ceil(32));
            let len = k * words * 4;
            let st = g.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("spike readback"),
                size: len,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            if let Some(b) = &self.pops[p].bits {
                enc.copy_buffer_to_buffer(b, 0, &st, 0, len);
            }
            staging.push((p, true, st));
        }
        g.checked("running a chunk of steps", || {
            g.queue.submit([enc.finish()]);
        })?;
        self.ring += k;
        if staging.is_empty() {
            return Ok(());
        }
        let bufs: Vec<&wgpu::Buffer> = staging.iter().map(|s| &s.2).collect();
        let data = self.map(&bufs)?;
        for ((idx, is_bits, _), bytes) in staging.iter().zip(data) {
            let words: Vec<u32> = bytemuck::pod_collect_to_vec(&bytes);
            if *is_bits {
                let p = *idx;
                let w = self.pops[p].layout.n.div_ceil(32) as usize;
                for (mi, m) in monitors.iter_mut().enumerate() {
                    if !spike_mons[mi] || self.mons[mi].pop != p {
                        continue;
                    }
                    for r in 0..k as usize {
                        for (wi, &word) in words[r * w..(r + 1) * w].iter().enumerate() {
                            let mut bits = word;
                            while bits != 0 {
                                let b = bits.trailing_zeros();
                                bits &= bits - 1;
                                let i = wi as u32 * 32 + b;
                                if m.member.as_ref().is_none_or(|v| v[i as usize]) {
                                    m.spikes.push((first + r as u64, i));
                                }
                            }
                        }
                    }
                }
            } else {
                let mi = *idx;
                let m = &mut monitors[mi];
                let vals: Vec<f32> = bytemuck::cast_slice(&words).to_vec();
                let row_len = self.mons[mi].row_len as usize;
                for (ri, &st) in samples[mi].iter().enumerate() {
                    let row = &vals[ri * row_len..(ri + 1) * row_len];
                    // The kernel records whole populations; a view keeps
                    // its neurons.
                    let mut off = 0;
                    let n = self.pops[m.spec.pop.0].layout.n as usize;
                    for (vi, buf) in m.buffers.iter_mut().enumerate() {
                        let len = if m.local[vi] { n } else { 1 };
                        crate::engine::cpu::record::append(
                            &row[off..off + len],
                            m.spec.ranks.as_deref(),
                            buf,
                        );
                        off += len;
                    }
                    m.sample_steps.push(st);
                }
            }
        }
        Ok(())
    }
}

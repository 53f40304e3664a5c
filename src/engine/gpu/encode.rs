//! Running the schedule: a chunk of steps encoded into one submission,
//! and what monitors read back.

use super::*;

/// Which stages of its steps a submission runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Part {
    /// Whole steps.
    Whole,
    /// One stage alone (`run_stage`): the rings stay where they were and
    /// no spikes are recorded.
    Stage(Stage),
    /// The stages up to this one, in step order: the first part of a
    /// step cut around a distributed run's exchange.
    Through(Stage),
    /// The stages after this one: the rest of such a step.
    After(Stage),
}

impl Part {
    /// Whether stage `s` runs.
    fn runs(self, s: Stage) -> bool {
        let at = |x: Stage| Stage::ALL.iter().position(|&y| y == x);
        match self {
            Part::Whole => true,
            Part::Stage(x) => x == s,
            Part::Through(x) => at(s) <= at(x),
            Part::After(x) => at(s) > at(x),
        }
    }

    /// Whether the steps end with it (the rings move on).
    fn ends_steps(self) -> bool {
        matches!(self, Part::Whole | Part::After(_))
    }
}

impl GpuEngine {
    /// The phase and group of `stage` holding `member` when that group is
    /// merged (two or more members).
    pub(super) fn merged_group(&self, stage: Stage, member: usize) -> Option<(usize, usize)> {
        let ph = self.schedule.phases.iter().position(|p| p.stage == stage)?;
        let gi = self.schedule.phases[ph].group_of(member)?;
        self.merged[ph][gi].as_ref().map(|_| (ph, gi))
    }

    /// The pass a member of `stage` runs alone at step `st`, if any: a
    /// learning rule only while its learning is due (its kernel checks
    /// that too, for when it runs merged), a monitor's only at its sample
    /// steps (`sampled`).
    fn own_pass(&self, stage: Stage, m: usize, st: u64, sampled: &[Vec<u64>]) -> Option<&Pass> {
        match stage {
            Stage::ClearInputs => self.pops[m].clear.as_ref(),
            Stage::NeuronUpdate => self.pops[m].update.as_ref(),
            Stage::RateInputs | Stage::SpikeDelivery => self.projs[m].pass.as_ref(),
            Stage::PostSpike => self.projs[m].post.as_ref(),
            Stage::SynapseUpdate => self.projs[m]
                .learn
                .as_ref()
                .filter(|_| self.projs[m].learn_always || self.projs[m].learning.due(st)),
            Stage::RecordInputs | Stage::Record => {
                let gm = &self.mons[m];
                let pass = match stage {
                    Stage::RecordInputs => &gm.inputs,
                    _ => &gm.pass,
                };
                pass.as_ref()
                    .filter(|_| sampled[m].binary_search(&st).is_ok())
            }
        }
    }

    /// The dispatches of step `st` in schedule order, `off` its clock's
    /// offset.
    fn encode_step(
        &self,
        pass: &mut wgpu::ComputePass,
        st: u64,
        off: u32,
        sampled: &[Vec<u64>],
        part: Part,
    ) {
        fn dispatch(pass: &mut wgpu::ComputePass, p: &Pass, off: u32) {
            pass.set_pipeline(&p.pipeline);
            pass.set_bind_group(0, &p.group, &[off]);
            pass.dispatch_workgroups(p.grid.0, p.grid.1, 1);
            for q in &p.then {
                dispatch(pass, q, off);
            }
        }
        let mut run = |p: &Pass| dispatch(pass, p, off);
        let phases = self.schedule.phases.iter().zip(&self.merged);
        for (phase, merged) in phases.filter(|(p, _)| part.runs(p.stage)) {
            // `record` run alone writes the whole row: its conductances
            // too, as they are now (the CPU engine's `record` does the same).
            if part == Part::Stage(Stage::Record) {
                for &x in phase.groups.iter().flat_map(|g| &g.members) {
                    if let Some(p) = self.own_pass(Stage::RecordInputs, x, st, sampled) {
                        run(p);
                    }
                }
            }
            for (g, m) in phase.groups.iter().zip(merged) {
                match m {
                    // Its members check their own learning flags: a
                    // merged group runs whole at every step.
                    Some(m) => run(&m.pass),
                    None => {
                        for &x in &g.members {
                            if let Some(p) = self.own_pass(phase.stage, x, st, sampled) {
                                run(p);
                            }
                        }
                    }
                }
            }
        }
    }

    /// Runs `n` steps from `step0`; `time(s)` is the time of step `s`.
    /// Active monitors get their samples and spikes.
    ///
    /// Chunks are pipelined: chunk `c + 1` is encoded and submitted before
    /// what chunk `c` recorded is read back, so that the GPU runs while the
    /// host maps and decodes (the rings, clocks and monitor buffers a chunk
    /// overwrites are ordered after the previous chunk's reads by the
    /// queue).
    pub(crate) fn run(
        &mut self,
        step0: u64,
        n: u64,
        time: &dyn Fn(u64) -> f64,
        monitors: &mut [MonitorState],
    ) -> Result<()> {
        if self.rank.is_some() {
            return self.run_ranked(step0, n, time, monitors);
        }
        let key = self.philox_key();
        let mut done = 0u64;
        let mut pending: Option<Pending> = None;
        while done < n {
            let first = step0 + done;
            let k = self.chunk_steps(n - done, monitors);
            let next = self.chunk_submit(first, k, key, time, monitors, Part::Whole)?;
            if let Some(p) = pending.take() {
                self.read_back(p, monitors)?;
            }
            pending = next;
            done += k;
        }
        if let Some(p) = pending {
            self.read_back(p, monitors)?;
        }
        // `simulate` returns when the steps are done (timings and errors
        // mean what they say), not when they are queued.
        self.wait()
    }

    /// The steps of the next chunk, at most `left`: as many as a
    /// submission takes and the active monitors' buffers hold.
    pub(super) fn chunk_steps(&self, left: u64, monitors: &[MonitorState]) -> u64 {
        let mut k = left.min(self.chunk as u64);
        for (m, gm) in monitors.iter().zip(&self.mons) {
            if m.active && gm.cap_rows > 0 {
                k = k.min((gm.cap_rows as u64 - 1) * m.spec.period + 1);
            }
        }
        k
    }

    /// The Philox key of run-time draws, as the clock carries it: the
    /// seed's low and high words.
    pub(super) fn philox_key(&self) -> [u32; 2] {
        [self.seed as u32, (self.seed >> 32) as u32]
    }

    /// Waits until the GPU has run what was submitted.
    pub(super) fn wait(&self) -> Result<()> {
        self.gpu
            .device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| Error::Gpu {
                context: "waiting for the GPU".into(),
                message: e.to_string(),
            })?;
        Ok(())
    }

    /// Runs the `k` steps from `first` as one submission; active monitors
    /// get their samples and spikes.
    pub(super) fn chunk_run(
        &mut self,
        first: u64,
        k: u64,
        key: [u32; 2],
        time: &dyn Fn(u64) -> f64,
        monitors: &mut [MonitorState],
        part: Part,
    ) -> Result<()> {
        match self.chunk_submit(first, k, key, time, monitors, part)? {
            Some(p) => self.read_back(p, monitors),
            None => Ok(()),
        }
    }

    /// Encodes and submits the `k` steps from `first`; returns what the
    /// monitors will read back from them, if anything.
    fn chunk_submit(
        &mut self,
        first: u64,
        k: u64,
        key: [u32; 2],
        time: &dyn Fn(u64) -> f64,
        monitors: &[MonitorState],
        part: Part,
    ) -> Result<Option<Pending>> {
        self.write_clocks(first, k, key, time);
        let samples = self.sample_steps(first, k, monitors, part);
        // Spikes are recorded by the part of full steps that updates the
        // neurons (a phase run alone has no step's spikes to record, as on
        // the CPU engine).
        let steps_spikes = match part {
            Part::Whole => true,
            Part::Through(_) => part.runs(Stage::NeuronUpdate),
            Part::Stage(_) | Part::After(_) => false,
        };
        let spike_mons: Vec<bool> = monitors
            .iter()
            .map(|m| m.active && m.spec.spikes && steps_spikes)
            .collect();
        let mut enc = self.gpu.device.create_command_encoder(&Default::default());
        for p in &self.pops {
            if let Some(b) = &p.bits {
                enc.clear_buffer(b, 0, None);
            }
        }
        {
            let mut pass = enc.begin_compute_pass(&Default::default());
            for r in 0..k {
                let off = (r as usize * self.stride as usize) as u32;
                self.encode_step(&mut pass, first + r, off, &samples, part);
            }
        }
        // Samples are read back once the step's `record` has run.
        let read_samples = match part.runs(Stage::Record) {
            true => samples,
            false => vec![Vec::new(); samples.len()],
        };
        let staging = self.stage_readbacks(&mut enc, k, &read_samples, &spike_mons);
        let index = self.gpu.checked("running a chunk of steps", || {
            self.gpu.queue.submit([enc.finish()])
        })?;
        // A phase run alone, or the first part of a step, leaves the rings
        // where they were.
        if part.ends_steps() {
            self.ring += k;
        }
        if staging.is_empty() {
            return Ok(None);
        }
        Ok(Some(Pending {
            staging,
            first,
            k,
            samples: read_samples,
            spike_mons,
            index,
        }))
    }

    /// Maps the staging buffers of a submitted chunk once it has run and
    /// hands their samples and spikes to the monitors, reading the mapped
    /// memory in place; the buffers go back to the pool.
    fn read_back(&self, p: Pending, monitors: &mut [MonitorState]) -> Result<()> {
        let bufs: Vec<&wgpu::Buffer> = p.staging.iter().map(|s| &s.1).collect();
        self.map_each(&bufs, Some(p.index), |i, bytes| {
            // A mapping is aligned far beyond 4 bytes; copied only if a
            // driver ever gives one that is not.
            let copy;
            let words: &[u32] = match bytemuck::try_cast_slice(bytes) {
                Ok(w) => w,
                Err(_) => {
                    copy = bytemuck::pod_collect_to_vec::<u8, u32>(bytes);
                    &copy
                }
            };
            match p.staging[i].0 {
                Readback::Spikes(pop) => {
                    self.append_spikes(pop, words, p.first, p.k, &p.spike_mons, monitors)
                }
                Readback::Samples(mi) => {
                    self.append_samples(mi, words, &p.samples[mi], &mut monitors[mi])
                }
            }
        })?;
        let mut pool = self.staging_pool.lock().unwrap_or_else(|e| e.into_inner());
        pool.extend(p.staging.into_iter().map(|(_, b)| b));
        // The last few sizes in use: a chunk's, the last chunk's, a
        // monitor's.
        let excess = pool.len().saturating_sub(STAGING_KEPT);
        pool.drain(..excess);
        Ok(())
    }

    /// The clocks of the `k` steps from `first`, one a stride of the
    /// clock buffer (the dispatches of step `r` bind row `r`), each with
    /// the constants' current values.
    fn write_clocks(&self, first: u64, k: u64, key: [u32; 2], time: &dyn Fn(u64) -> f64) {
        let stride = self.stride as usize;
        let mut clocks = vec![0u8; stride * k as usize];
        // The same constants in every step's block.
        let consts = Reals::of(self.dtype, self.consts.iter().copied());
        let consts = consts.bytes();
        for r in 0..k {
            let t = time(first + r);
            let c = Clock {
                step: (first + r) as u32,
                row: r as u32,
                t: t as f32,
                pad0: 0,
                key,
                ring: (self.ring + r) as u32,
                pad1: 0,
            };
            let at = r as usize * stride;
            let head = std::mem::size_of::<Clock>();
            clocks[at..at + head].copy_from_slice(bytemuck::bytes_of(&c));
            let from = match self.dtype {
                Dtype::F32 => at + head,
                Dtype::F64 => {
                    let t = t.to_le_bytes();
                    clocks[at + CLOCK64_T..at + CLOCK64_T + 8].copy_from_slice(&t);
                    at + CLOCK64_CONSTS
                }
            };
            clocks[from..from + consts.len()].copy_from_slice(consts);
        }
        self.gpu.queue.write_buffer(&self.clock, 0, &clocks);
    }

    /// The sample steps of each monitor among the `k` steps from `first`;
    /// tells each monitor's `record` pass where its samples start.
    fn sample_steps(
        &self,
        first: u64,
        k: u64,
        monitors: &[MonitorState],
        part: Part,
    ) -> Vec<Vec<u64>> {
        let records = match part {
            Part::Stage(s) => s == Stage::Record,
            _ => true,
        };
        let mut samples: Vec<Vec<u64>> = Vec::with_capacity(monitors.len());
        for (m, gm) in monitors.iter().zip(&self.mons) {
            let mut s = Vec::new();
            if m.active && gm.pass.is_some() && records {
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
                self.gpu.queue.write_buffer(u, 0, bytemuck::bytes_of(&smp));
            }
            samples.push(s);
        }
        samples
    }

    /// Copies what monitors read back into staging buffers: the samples of
    /// each monitor with some, then the `k` steps' spike bitmasks of each
    /// population a spike monitor (`spike_mons`) records.
    fn stage_readbacks(
        &self,
        enc: &mut wgpu::CommandEncoder,
        k: u64,
        samples: &[Vec<u64>],
        spike_mons: &[bool],
    ) -> Vec<(Readback, wgpu::Buffer)> {
        // From the pool when one of the size is there: a large mapped
        // buffer is costly to create (pinned host memory) at every chunk.
        let staging_buffer = |label: &str, size: u64| {
            let mut pool = self.staging_pool.lock().unwrap_or_else(|e| e.into_inner());
            match pool.iter().position(|b| b.size() == size) {
                Some(i) => pool.remove(i),
                None => self.gpu.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some(label),
                    size,
                    usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                }),
            }
        };
        let mut staging = Vec::new();
        for (mi, (gm, s)) in self.mons.iter().zip(samples).enumerate() {
            if let (Some(buf), false) = (&gm.buf, s.is_empty()) {
                let len = s.len() as u64 * gm.row_len as u64 * self.size();
                let st = staging_buffer("monitor readback", len);
                enc.copy_buffer_to_buffer(buf, 0, &st, 0, len);
                staging.push((Readback::Samples(mi), st));
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
            let st = staging_buffer("spike readback", len);
            if let Some(b) = &self.pops[p].bits {
                enc.copy_buffer_to_buffer(b, 0, &st, 0, len);
            }
            staging.push((Readback::Spikes(p), st));
        }
        staging
    }

    /// Appends the spikes in population `p`'s bitmasks (`words`, a row of
    /// them for each of the `k` steps from `first`) to each spike monitor
    /// of `p`, the neurons of its view.
    fn append_spikes(
        &self,
        p: usize,
        words: &[u32],
        first: u64,
        k: u64,
        spike_mons: &[bool],
        monitors: &mut [MonitorState],
    ) {
        let w = self.pops[p].layout.n.div_ceil(32) as usize;
        // A rank records its own neurons' spikes (the others' are not
        // theirs); the run's end merges every rank's.
        let own = self.rank().map(|r| r.part.mine(p));
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
                        if m.member.as_ref().is_none_or(|v| v[i as usize])
                            && own.as_ref().is_none_or(|o| o.contains(&(i as usize)))
                        {
                            m.spikes.push((first + r as u64, i));
                        }
                    }
                }
            }
        }
    }

    /// Appends monitor `mi`'s samples (`words`, a row for each step of
    /// `steps`) to its buffers.
    fn append_samples(&self, mi: usize, words: &[u32], steps: &[u64], m: &mut MonitorState) {
        match self.dtype {
            Dtype::F32 => self.append_rows::<f32>(mi, bytemuck::cast_slice(words), steps, m),
            // Mapped words need not be 8-byte aligned: copied.
            Dtype::F64 => {
                let vals: Vec<f64> = bytemuck::pod_collect_to_vec(words);
                self.append_rows(mi, &vals, steps, m)
            }
        }
    }

    /// [`append_samples`](Self::append_samples) of values in the network's
    /// precision.
    fn append_rows<R: crate::real::Real>(
        &self,
        mi: usize,
        vals: &[R],
        steps: &[u64],
        m: &mut MonitorState,
    ) {
        let row_len = self.mons[mi].row_len as usize;
        for (ri, &st) in steps.iter().enumerate() {
            let row = &vals[ri * row_len..(ri + 1) * row_len];
            // The kernel records whole populations; a view keeps
            // its neurons.
            let mut off = 0;
            let n = self.pops[m.spec.pop.0].layout.n as usize;
            for (vi, buf) in m.buffers.iter_mut().enumerate() {
                let len = if m.local[vi] { n } else { 1 };
                buf.append_from(&row[off..off + len], m.spec.ranks.as_deref());
                off += len;
            }
            m.sample_steps.push(st);
        }
    }
}

/// Staging buffers kept for the next chunks.
const STAGING_KEPT: usize = 6;

/// A submitted chunk whose monitors' data is still to be read back.
struct Pending {
    staging: Vec<(Readback, wgpu::Buffer)>,
    first: u64,
    k: u64,
    samples: Vec<Vec<u64>>,
    spike_mons: Vec<bool>,
    index: wgpu::SubmissionIndex,
}

/// What a staging buffer of a chunk holds.
#[derive(Debug, Clone, Copy)]
enum Readback {
    /// The samples of a monitor.
    Samples(usize),
    /// The spike bitmasks of a population.
    Spikes(usize),
}

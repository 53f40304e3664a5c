//! Building the GPU engine: buffers, generated kernels bound to them
//! (passes), merged passes.

use super::bind::{spike_binds, spike_names};
use super::*;

/// A projection's own buffers, which its passes bind.
pub(super) struct ProjBuffers {
    /// Its CSR or table.
    csr: wgpu::Buffer,
    /// Its per-synapse values (or shared weight, or delay ring).
    syn: wgpu::Buffer,
    /// Its projection-wide values.
    sparams: wgpu::Buffer,
    /// A DecodingProjection's window ring.
    win: Option<wgpu::Buffer>,
}

impl GpuEngine {
    /// Builds buffers and kernels for a network on the device `opts` picks.
    pub fn new(net: &Network, opts: &GpuOptions) -> Result<Self> {
        Self::with_rings(net, opts, &[])
    }

    /// [`new`](Self::new) with spike rings of at least `rings[p]` slots
    /// for population `p` (`plan::plan_for_rings`).
    pub(crate) fn with_rings(net: &Network, opts: &GpuOptions, rings: &[u32]) -> Result<Self> {
        let gpu = context::gpu_for(opts, net.precision())?;
        // Capped so that a merged kernel stays a size drivers compile
        // quickly; desktop drivers allow far more.
        let budget = (gpu.info.max_storage_buffers as usize).min(MAX_MERGE_BINDINGS);
        let mut plan = plan::plan_for_rings(
            net,
            &PlanOptions {
                float_atomics: gpu.info.float_atomics,
                merge: opts.merge.then_some(budget),
                strategy: opts.spike_strategy,
                deterministic: opts.deterministic,
                loop_limit: gpu.info.loop_limit(),
            },
            rings,
        )?;
        let consts = net.globals.constant_values();
        let block = clock_block(consts.len(), net.precision());
        let max_block = gpu.limits.max_uniform_buffer_binding_size;
        if block > max_block {
            return Err(Error::Limit {
                buffer: format!(
                    "clock (the step's block with the network's {} constants)",
                    consts.len()
                ),
                size: block,
                limit: max_block,
                limit_name: "max_uniform_buffer_binding_size".into(),
            });
        }
        let align = gpu.limits.min_uniform_buffer_offset_alignment as u64;
        let stride = block.div_ceil(align) * align;
        let mut chunk = MAX_CHUNK;
        for l in &plan.layouts {
            if l.bits {
                let words = u64::from(l.n.div_ceil(32)) * 4;
                chunk = chunk.min((MONITOR_BUDGET / words).clamp(1, MAX_CHUNK as u64) as u32);
            }
        }
        let mut e = GpuEngine {
            clock: gpu.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("clock"),
                size: stride * chunk as u64,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }),
            gpu,
            seed: net.seed,
            pops: Vec::new(),
            projs: Vec::new(),
            mons: Vec::new(),
            block,
            stride,
            chunk,
            consts: consts.to_vec(),
            dtype: net.precision(),
            ring: 0,
            dispatches_per_step: 0,
            schedule: plan.schedule.clone(),
            merged: Vec::new(),
            staging_pool: Default::default(),
            rank: None,
            options: opts.clone(),
        };

        for ((p, l), pp) in net.pops.iter().zip(&plan.layouts).zip(&plan.pops) {
            e.add_population(p, l, pp)?;
        }
        e.reset_history();
        for (pr, qp) in net.projs.iter().zip(std::mem::take(&mut plan.projs)) {
            e.add_projection(pr, qp, &plan.layouts)?;
        }
        for (m, mp) in net.monitors.iter().zip(std::mem::take(&mut plan.mons)) {
            e.add_monitor(net, m, mp, &plan.layouts[m.pop.0])?;
        }
        e.bind_merged(&plan)?;
        e.dispatches_per_step = e.schedule.dispatches_per_step();
        Ok(e)
    }

    /// A population's buffers and its own passes.
    pub(super) fn add_population(
        &mut self,
        p: &crate::network::Population,
        l: &PopLayout,
        pp: &PopPlan,
    ) -> Result<()> {
        let owner = format!("population '{}'", p.name);
        let n = l.n as usize;
        let (init_state, init_params) =
            codegen::pack_values(&p.init, &l.local, n, p.ir.targets.len(), self.dtype);
        let state = self.storage(&format!("{owner}: state"), &bytes_of(&init_state))?;
        let params = self.storage(&format!("{owner}: parameters"), &bytes_of(&init_params))?;
        let ring = u64::from(l.ring);
        let spk_count = (ring > 0)
            .then(|| self.zeroed(&format!("{owner}: spike counts"), l.count_words() * 4))
            .transpose()?;
        let spk_list = (ring > 0)
            .then(|| self.zeroed(&format!("{owner}: spike lists"), ring * n as u64 * 4))
            .transpose()?;
        let words = u64::from(l.n.div_ceil(32));
        let bits = l
            .bits
            .then(|| {
                self.zeroed(
                    &format!("{owner}: spike bitmasks"),
                    self.chunk as u64 * words * 4,
                )
            })
            .transpose()?;
        let hist_len = u64::from(l.hist_ring) * l.hist_slots.len() as u64 * n as u64 * self.size();
        let hist = (!l.hist_slots.is_empty())
            .then(|| self.zeroed(&format!("{owner}: rate history"), hist_len))
            .transpose()?;
        let feed = p
            .feed
            .as_ref()
            .map(|f| {
                self.storage(
                    &format!("{owner}: input table"),
                    bytemuck::cast_slice(&f.words()),
                )
            })
            .transpose()?;
        let last = l
            .last
            .then(|| self.zeroed(&format!("{owner}: last spikes"), n as u64 * 4))
            .transpose()?;
        let frate = l
            .fr_words()
            .map(|w| self.zeroed(&format!("{owner}: firing-rate window"), w * 4))
            .transpose()?;
        let mut gp = GPop {
            frate,
            layout: l.clone(),
            state,
            params,
            params_host: init_params.clone(),
            spk_count,
            spk_list,
            bits,
            hist,
            clear: None,
            update: None,
            update_kernel: pp.update.clone(),
            feed,
            last,
            init_state,
            init_params,
        };
        if let Some(k) = &pp.clear {
            let state = codegen::pop_buffer_name(codegen::PopBuf::State);
            let b = [("clk", Bind::Clock), (state, Bind::Write(&gp.state))];
            gp.clear = Some(self.pass(k, &b, grid(l.n))?);
        }
        gp.update = Some(self.update_pass(&gp)?);
        self.pops.push(gp);
        Ok(())
    }

    /// A projection's buffers and its own passes.
    pub(super) fn add_projection(
        &mut self,
        pr: &crate::network::Projection,
        qp: ProjPlan,
        layouts: &[PopLayout],
    ) -> Result<()> {
        let owner = format!("projection '{}'", pr.name);
        let (pre, post) = (pr.pre.0, pr.post.0);
        let n_post = layouts[post].n;
        let b = self.projection_buffers(&owner, &qp, n_post)?;
        let pass = self.delivery_pass(&owner, pr, &qp, &b, layouts)?;
        let post_pass = self.post_spike_pass(&owner, pr, &qp, &b, layouts)?;
        let learn = self.learn_pass(pr, &qp, &b)?;
        let shareable = qp.spike.is_some_and(|s| s.shareable).then(|| {
            let ordered = qp.spike.and_then(|s| s.ordered);
            (qp.kernel.clone(), pre, post, ordered)
        });
        self.projs.push(GProj {
            shared: shareable.is_some() && qp.init_syn.len() == 1 && qp.layout.nsyn > 1,
            shareable,
            csr: b.csr,
            post: post_pass,
            flags: qp.flags,
            learn,
            // A spiking synapse's equations run while learning is off too
            // (only w waits), as ANNarchy's.
            learn_always: qp.spike.is_some(),
            learning: crate::engine::Learning::default(),
            layout: qp.layout,
            syn: b.syn,
            sparams: b.sparams,
            perm: qp.perm,
            pass: Some(pass),
            init_syn: qp.init_syn,
            sparams_host: qp.init_sparams.clone(),
            init_sparams: qp.init_sparams,
            win: b.win,
            window: qp.window.unwrap_or(0),
            n_post,
            delay_ring: pr
                .procedural
                .as_ref()
                .filter(|g| g.per_synapse_delays())
                .map(|g| g.delay),
        });
        Ok(())
    }

    /// A projection's own buffers: its CSR (or table), synapse values in
    /// the order its kernel reads them, parameters, and a decoding
    /// projection's window (`n_post` neurons).
    pub(super) fn projection_buffers(
        &self,
        owner: &str,
        qp: &ProjPlan,
        n_post: u32,
    ) -> Result<ProjBuffers> {
        let csr = self.storage(&format!("{owner}: CSR"), bytemuck::cast_slice(&qp.csr))?;
        let upload = in_buffer_order(qp.perm.as_deref(), &qp.init_syn);
        let syn = self.storage(&format!("{owner}: synapses"), &bytes_of(&upload))?;
        let sparams = self.storage(&format!("{owner}: parameters"), &bytes_of(&qp.init_sparams))?;
        let win = qp
            .window
            .map(|w| {
                self.zeroed(
                    &format!("{owner}: window"),
                    u64::from(w) * u64::from(n_post) * self.size(),
                )
            })
            .transpose()?;
        Ok(ProjBuffers {
            csr,
            syn,
            sparams,
            win,
        })
    }

    /// The pass that delivers a projection's input to its post (a current
    /// injection, a decoding, a rate sum or convolution, a spike
    /// delivery).
    pub(super) fn delivery_pass(
        &self,
        owner: &str,
        pr: &crate::network::Projection,
        qp: &ProjPlan,
        b: &ProjBuffers,
        layouts: &[PopLayout],
    ) -> Result<Pass> {
        if let Some(sp) = qp.spike {
            return self.spike_pass(owner, pr, qp, sp, b, layouts);
        }
        let (pre, post) = (pr.pre.0, pr.post.0);
        let n_post = layouts[post].n;
        let pass = if qp.inject {
            let binds = [
                ("clk", Bind::Clock),
                ("post", Bind::Write(&self.pops[post].state)),
                ("pre", Bind::Read(&self.pops[pre].state)),
            ];
            self.pass(&qp.kernel, &binds, grid(n_post))?
        } else if qp.window.is_some() {
            let (Some(last), Some(win)) = (&self.pops[pre].last, &b.win) else {
                return Err(Error::invalid(owner, "decoding buffers missing"));
            };
            let binds = [
                ("clk", Bind::Clock),
                ("post", Bind::Write(&self.pops[post].state)),
                ("csr", Bind::Read(&b.csr)),
                ("syn", Bind::Read(&b.syn)),
                ("sparams", Bind::Read(&b.sparams)),
                ("lastspk", Bind::Read(last)),
                ("win", Bind::Write(win)),
            ];
            self.pass(&qp.kernel, &binds, grid(n_post))?
        } else {
            self.rate_pass(pr, qp, b, layouts)?
        };
        Ok(pass)
    }

    /// A spike delivery's pass, a workgroup (or thread) per spike of pre.
    pub(super) fn spike_pass(
        &self,
        owner: &str,
        pr: &crate::network::Projection,
        qp: &ProjPlan,
        sp: SpikePlan,
        b: &ProjBuffers,
        layouts: &[PopLayout],
    ) -> Result<Pass> {
        let (pre, post) = (pr.pre.0, pr.post.0);
        let binds = |stores: bool| {
            spike_binds(
                owner,
                &self.pops[post],
                &self.pops[pre],
                spike_names(pr.procedural.as_deref()),
                &b.csr,
                &b.syn,
                &b.sparams,
                (stores, sp.reads_pre && pre != post, sp.ordered.is_some()),
            )
        };
        let dispatch = match sp.ordered {
            Some(threads) => grid(threads),
            None => (spike_groups(layouts[pre].n), 1),
        };
        let mut pass = self.pass(&qp.kernel, &binds(sp.stores)?, dispatch)?;
        for k in &qp.parts {
            pass.then.push(self.pass(k, &binds(sp.stores)?, dispatch)?);
        }
        Ok(pass)
    }

    /// A rate sum's or convolution's pass: a thread per post neuron, or a
    /// workgroup per tile of a tiled convolution.
    pub(super) fn rate_pass(
        &self,
        pr: &crate::network::Projection,
        qp: &ProjPlan,
        b: &ProjBuffers,
        layouts: &[PopLayout],
    ) -> Result<Pass> {
        let (pre, post) = (pr.pre.0, pr.post.0);
        // A rate sum writes its post's sums and reads its synapses.
        let mut binds = self.synapse_binds(pr, b, true, qp.events);
        if let (true, Some(h)) = (qp.uses_hist, &self.pops[pre].hist) {
            binds.push(("phist", Bind::Read(h)));
        }
        if qp.events {
            let Some(last) = &self.pops[pre].last else {
                return Err(Error::invalid(
                    &pr.name,
                    "the pre-synaptic spikes' buffer is missing",
                ));
            };
            binds.push(("lastspk", Bind::Read(last)));
        }
        let threads = match qp.tiles {
            Some(t) => t * WORKGROUP,
            None => layouts[post].n,
        };
        self.pass(&qp.kernel, &binds, grid(threads))
    }

    /// A plastic projection's `post_spike` pass (a workgroup per post
    /// spike of this step).
    pub(super) fn post_spike_pass(
        &self,
        owner: &str,
        pr: &crate::network::Projection,
        qp: &ProjPlan,
        b: &ProjBuffers,
        layouts: &[PopLayout],
    ) -> Result<Option<Pass>> {
        let Some(k) = &qp.post else {
            return Ok(None);
        };
        let (pre, post) = (pr.pre.0, pr.post.0);
        let po = &self.pops[post];
        let (Some(count), Some(list)) = (&po.spk_count, &po.spk_list) else {
            return Err(Error::invalid(owner, "post spike ring missing"));
        };
        let mut binds = vec![
            ("clk", Bind::Clock),
            ("post", Bind::Read(&po.state)),
            ("csr", Bind::Read(&b.csr)),
            ("syn", Bind::Write(&b.syn)),
            ("sparams", Bind::Read(&b.sparams)),
            ("post_count", Bind::Read(count)),
            ("post_list", Bind::Read(list)),
        ];
        if pre != post {
            binds.push(("pstate", Bind::Read(&self.pops[pre].state)));
        }
        let groups = spike_groups(layouts[post].n);
        Ok(Some(self.pass(k, &binds, (groups, 1))?))
    }

    /// A rate-coded projection's learning rule pass, a thread per synapse.
    pub(super) fn learn_pass(
        &self,
        pr: &crate::network::Projection,
        qp: &ProjPlan,
        b: &ProjBuffers,
    ) -> Result<Option<Pass>> {
        let Some(k) = &qp.learn else {
            return Ok(None);
        };
        // A learning rule reads its post and writes its synapses.
        let binds = self.synapse_binds(pr, b, false, true);
        Ok(Some(self.pass(k, &binds, grid(qp.layout.nsyn))?))
    }

    /// The bindings of a kernel over a projection's synapses (rate sum,
    /// learning rule): clock, post state (written when `post_written`),
    /// CSR, synapse values (written when `syn_written`), parameters, and
    /// the pre state when pre is another population.
    fn synapse_binds<'a>(
        &'a self,
        pr: &crate::network::Projection,
        b: &'a ProjBuffers,
        post_written: bool,
        syn_written: bool,
    ) -> Vec<(&'static str, Bind<'a>)> {
        let (pre, post) = (pr.pre.0, pr.post.0);
        let access = |buf, written| {
            if written {
                Bind::Write(buf)
            } else {
                Bind::Read(buf)
            }
        };
        let mut binds = vec![
            ("clk", Bind::Clock),
            ("post", access(&self.pops[post].state, post_written)),
            ("csr", Bind::Read(&b.csr)),
            ("syn", access(&b.syn, syn_written)),
            ("sparams", Bind::Read(&b.sparams)),
        ];
        if pre != post {
            binds.push(("pstate", Bind::Read(&self.pops[pre].state)));
        }
        binds
    }

    /// A monitor's sample buffer and its `record` pass.
    pub(super) fn add_monitor(
        &mut self,
        net: &Network,
        m: &crate::network::Monitor,
        mp: Option<MonPlan>,
        l: &PopLayout,
    ) -> Result<()> {
        let Some(mp) = mp else {
            self.mons.push(GMon {
                pop: m.pop.0,
                row_len: 0,
                cap_rows: 0,
                buf: None,
                sampling: None,
                pass: None,
                inputs: None,
            });
            return Ok(());
        };
        let row_bytes = u64::from(mp.row_len) * self.size();
        let want = (self.chunk as u64).div_ceil(m.period) + 1;
        let cap_rows = want.min((MONITOR_BUDGET / row_bytes).max(1)) as u32;
        let buf = self.zeroed(
            &format!("monitor of population '{}'", net.pops[m.pop.0].name),
            u64::from(cap_rows) * row_bytes,
        )?;
        let sampling = self.gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("sampling"),
            size: std::mem::size_of::<Sampling>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let b = [
            ("clk", Bind::Clock),
            ("state", Bind::Read(&self.pops[m.pop.0].state)),
            ("params", Bind::Read(&self.pops[m.pop.0].params)),
            ("mon", Bind::Write(&buf)),
            ("sampling", Bind::Uniform(&sampling)),
        ];
        let pass = self.pass(&mp.kernel, &b, grid(mp.row_len.max(l.n)))?;
        let inputs = match &mp.inputs {
            Some(k) => Some(self.pass(k, &b, grid(mp.row_len.max(l.n)))?),
            None => None,
        };
        self.mons.push(GMon {
            pop: m.pop.0,
            row_len: mp.row_len,
            cap_rows,
            buf: Some(buf),
            sampling: Some(sampling),
            pass: Some(pass),
            inputs,
        });
        Ok(())
    }

    /// The merged pass of every group of two or more in the schedule.
    pub(super) fn bind_merged(&mut self, plan: &Plan) -> Result<()> {
        let schedule = self.schedule.clone();
        for phase in &schedule.phases {
            let mut passes = Vec::with_capacity(phase.groups.len());
            for g in &phase.groups {
                passes.push(match g.members.len() {
                    1 => None,
                    _ => Some(self.merged_pass(plan, phase.stage, &g.members)?),
                });
            }
            self.merged.push(passes);
        }
        Ok(())
    }

    /// The pass of the merged group of `stage` whose members are `members`.
    pub(super) fn merged_pass(
        &mut self,
        plan: &Plan,
        stage: Stage,
        members: &[usize],
    ) -> Result<MergedPass> {
        let missing = || Error::invalid(stage.name(), "a merged group has no plan");
        let (pass, rebind) = match stage {
            Stage::SpikeDelivery => {
                let mg = group_plan(&plan.merged, members, |m| &m.members).ok_or_else(missing)?;
                (self.merged_spike_pass(mg)?, Rebind::Spikes(mg.clone()))
            }
            Stage::NeuronUpdate => {
                let mu = group_plan(&plan.merged_updates, members, |m| &m.members)
                    .ok_or_else(missing)?;
                // Members run only as the group: their own passes go.
                members.iter().for_each(|&p| self.pops[p].update = None);
                (self.merged_update_pass(mu)?, Rebind::Updates(mu.clone()))
            }
            Stage::ClearInputs => {
                let mc =
                    group_plan(&plan.merged_clears, members, |m| &m.members).ok_or_else(missing)?;
                members.iter().for_each(|&p| self.pops[p].clear = None);
                (self.merged_update_pass(mc)?, Rebind::Never)
            }
            Stage::RateInputs => {
                let mr =
                    group_plan(&plan.merged_rates, members, |m| &m.members).ok_or_else(missing)?;
                members.iter().for_each(|&q| self.projs[q].pass = None);
                (self.merged_rate_pass(mr)?, Rebind::Never)
            }
            Stage::PostSpike => {
                let mp =
                    group_plan(&plan.merged_posts, members, |m| &m.members).ok_or_else(missing)?;
                (self.merged_post_pass(mp)?, Rebind::Never)
            }
            Stage::SynapseUpdate => {
                let ml =
                    group_plan(&plan.merged_learns, members, |m| &m.members).ok_or_else(missing)?;
                (self.merged_learn_pass(ml)?, Rebind::Never)
            }
            Stage::RecordInputs | Stage::Record => return Err(missing()),
        };
        Ok(MergedPass { pass, rebind })
    }

    pub(super) fn check_size(&self, what: &str, size: u64) -> Result<()> {
        let l = &self.gpu.limits;
        if size > l.max_buffer_size {
            return Err(Error::Limit {
                buffer: what.to_string(),
                size,
                limit: l.max_buffer_size,
                limit_name: "max_buffer_size".into(),
            });
        }
        if size > l.max_storage_buffer_binding_size {
            return Err(Error::Limit {
                buffer: what.to_string(),
                size,
                limit: l.max_storage_buffer_binding_size,
                limit_name: "max_storage_buffer_binding_size".into(),
            });
        }
        Ok(())
    }

    /// Bytes of one of the network's values (f32 or f64).
    pub(super) fn size(&self) -> u64 {
        self.dtype.size() as u64
    }

    pub(super) fn storage(&self, what: &str, data: &[u8]) -> Result<wgpu::Buffer> {
        self.check_size(what, data.len() as u64)?;
        let size = (data.len() as u64).max(4).div_ceil(4) * 4;
        let b = self.zeroed(what, size)?;
        self.gpu.queue.write_buffer(&b, 0, data);
        Ok(b)
    }

    pub(super) fn zeroed(&self, what: &str, size: u64) -> Result<wgpu::Buffer> {
        self.check_size(what, size)?;
        self.gpu.checked(&format!("allocating {what}"), || {
            self.gpu.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(what),
                size: size.max(4),
                usage: wgpu::BufferUsages::STORAGE
                    | wgpu::BufferUsages::COPY_SRC
                    | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        })
    }
}

/// The plan, among a stage's merged groups, of the group of `members`.
fn group_plan<'a, T>(
    groups: &'a [T],
    members: &[usize],
    members_of: impl Fn(&T) -> &Vec<usize>,
) -> Option<&'a T> {
    groups.iter().find(|g| members_of(g).as_slice() == members)
}

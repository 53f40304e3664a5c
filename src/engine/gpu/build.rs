//! Building the GPU engine: buffers, generated kernels bound to them
//! (passes), merged passes.

use super::*;

/// The names a spike delivery kernel gives its CSR (or threshold table)
/// and its synapse values (or ring of future inputs): a procedural
/// projection's kernel (`procedural`) reads a table, and writes a ring
/// where a stored one reads weights when its synapses have delays of
/// their own.
pub(super) fn spike_names(
    procedural: Option<&crate::connect::procedural::Procedural>,
) -> (&'static str, &'static str) {
    match procedural {
        None => ("csr", "syn"),
        Some(g) if g.per_synapse_delays() => ("table", "dring"),
        Some(_) => ("table", "syn"),
    }
}

/// The bindings of a spike delivery kernel: clock, post state, CSR (or
/// table), synapse values (written when `stores`), parameters, the spike
/// ring of `pre`, and its state where the kernel reads it (`reads_pre`,
/// another population); `names` as [`spike_names`] says.
#[allow(clippy::too_many_arguments)]
pub(super) fn spike_binds<'a>(
    owner: &str,
    post: &'a GPop,
    pre: &'a GPop,
    names: (&'static str, &'static str),
    csr: &'a wgpu::Buffer,
    syn: &'a wgpu::Buffer,
    sparams: &'a wgpu::Buffer,
    stores: bool,
    reads_pre: bool,
) -> Result<Vec<(&'static str, Bind<'a>)>> {
    let (Some(count), Some(list)) = (&pre.spk_count, &pre.spk_list) else {
        return Err(Error::invalid(owner, "spike ring missing"));
    };
    let (csr_name, syn_name) = names;
    let mut b = vec![
        ("clk", Bind::Clock),
        ("post", Bind::Write(&post.state)),
        (csr_name, Bind::Read(csr)),
        (
            syn_name,
            if stores {
                Bind::Write(syn)
            } else {
                Bind::Read(syn)
            },
        ),
        ("sparams", Bind::Read(sparams)),
        ("pre_count", Bind::Read(count)),
        ("pre_list", Bind::Read(list)),
    ];
    if reads_pre {
        b.push(("pstate", Bind::Read(&pre.state)));
    }
    Ok(b)
}

/// A population's buffer `buf`, bound as its `neuron_update` (and
/// `clear_inputs`) reaches it; `None` if the population has none.
fn pop_bind(gp: &GPop, buf: codegen::PopBuf) -> Option<Bind<'_>> {
    use codegen::PopBuf;
    Some(match buf {
        PopBuf::State => Bind::Write(&gp.state),
        PopBuf::Params => Bind::Read(&gp.params),
        PopBuf::SpikeCount => Bind::Write(gp.spk_count.as_ref()?),
        PopBuf::SpikeList => Bind::Write(gp.spk_list.as_ref()?),
        PopBuf::Bits => Bind::Write(gp.bits.as_ref()?),
        PopBuf::Hist => Bind::Write(gp.hist.as_ref()?),
        PopBuf::Feed => Bind::Read(gp.feed.as_ref()?),
        PopBuf::Last => Bind::Write(gp.last.as_ref()?),
    })
}

/// The binding numbers, in kernel `k`, of the buffers `binds` names, in
/// their order. Each name must be one `k` declares, with the access it
/// declares, and every binding `k` declares must be named exactly once.
/// A disagreement between the engine and the generator is then an error
/// that names the kernel and the binding, not a wgpu validation failure
/// far from its cause.
pub(super) fn resolve<N: AsRef<str>>(
    k: &Kernel,
    binds: &[(N, codegen::Access)],
) -> Result<Vec<u32>> {
    let table = k.bindings();
    let fail = |message: String| Error::Codegen {
        kernel: k.name.clone(),
        message,
        source_code: k
            .source
            .lines()
            .enumerate()
            .map(|(i, l)| format!("{:4} {l}", i + 1))
            .collect::<Vec<_>>()
            .join("\n"),
    };
    let mut bound = vec![false; table.len()];
    let mut numbers = Vec::with_capacity(binds.len());
    for (name, access) in binds {
        let name = name.as_ref();
        let Some(i) = table.iter().position(|b| b.name == name) else {
            let declared: Vec<&str> = table.iter().map(|b| b.name.as_str()).collect();
            return Err(fail(format!(
                "the engine binds '{name}', which the kernel does not declare (it declares {})",
                declared.join(", ")
            )));
        };
        let b = &table[i];
        if std::mem::replace(&mut bound[i], true) {
            return Err(fail(format!(
                "the engine binds '{name}' (binding {}) twice",
                b.number
            )));
        }
        if b.access != *access {
            return Err(fail(format!(
                "the engine binds '{name}' (binding {}) as {access:?}, the kernel declares it {:?}",
                b.number, b.access
            )));
        }
        numbers.push(b.number);
    }
    let unbound: Vec<String> = table
        .iter()
        .zip(&bound)
        .filter(|(_, &done)| !done)
        .map(|(b, _)| format!("'{}' (binding {})", b.name, b.number))
        .collect();
    if !unbound.is_empty() {
        return Err(fail(format!(
            "the engine binds nothing to {}",
            unbound.join(", ")
        )));
    }
    Ok(numbers)
}

/// A projection's own buffers, which its passes bind.
struct ProjBuffers {
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
        let gpu = context::gpu(opts)?;
        // Capped so that a merged kernel stays a size drivers compile
        // quickly; desktop drivers allow far more.
        let budget = (gpu.info.max_storage_buffers as usize).min(MAX_MERGE_BINDINGS);
        let mut plan = plan_with_strategy(
            net,
            gpu.info.float_atomics,
            opts.merge.then_some(budget),
            opts.spike_strategy,
        )?;
        let align = gpu.limits.min_uniform_buffer_offset_alignment as u64;
        let stride = (std::mem::size_of::<Clock>() as u64).div_ceil(align) * align;
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
            stride,
            chunk,
            ring: 0,
            dispatches_per_step: 0,
            schedule: plan.schedule.clone(),
            merged: Vec::new(),
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
    fn add_population(
        &mut self,
        p: &crate::network::Population,
        l: &PopLayout,
        pp: &PopPlan,
    ) -> Result<()> {
        let owner = format!("population '{}'", p.name);
        let n = l.n as usize;
        let (init_state, init_params) =
            codegen::pack_values(&p.init, &l.local, n, p.ir.targets.len());
        let state = self.storage(&format!("{owner}: state"), &bytes_of(&init_state))?;
        let params = self.storage(&format!("{owner}: parameters"), &bytes_of(&init_params))?;
        let ring = u64::from(l.ring);
        let spk_count = (ring > 0)
            .then(|| self.zeroed(&format!("{owner}: spike counts"), ring * 4))
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
        let hist_len = u64::from(l.hist_ring) * l.hist_slots.len() as u64 * n as u64 * 4;
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
        let mut gp = GPop {
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
    fn add_projection(
        &mut self,
        pr: &crate::network::Projection,
        qp: ProjPlan,
        layouts: &[PopLayout],
    ) -> Result<()> {
        let owner = format!("projection '{}'", pr.name);
        let (pre, post) = (pr.pre.0, pr.post.0);
        let n_post = layouts[post].n;
        let b = self.projection_buffers(&owner, &qp, n_post)?;
        let (pass, frozen) = self.delivery_passes(&owner, pr, &qp, &b, layouts)?;
        let (post_pass, post_frozen) = self.post_spike_passes(&owner, pr, &qp, &b, layouts)?;
        let learn = self.learn_pass(pr, &qp, &b)?;
        let shareable = qp
            .spike
            .is_some_and(|s| s.shareable)
            .then(|| (qp.kernel.clone(), pre, post));
        self.projs.push(GProj {
            shared: shareable.is_some() && qp.init_syn.len() == 1 && qp.layout.nsyn > 1,
            shareable,
            csr: b.csr,
            frozen,
            post: post_pass,
            post_frozen,
            learn,
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
    fn projection_buffers(&self, owner: &str, qp: &ProjPlan, n_post: u32) -> Result<ProjBuffers> {
        let csr = self.storage(&format!("{owner}: CSR"), bytemuck::cast_slice(&qp.csr))?;
        let upload = in_buffer_order(qp.perm.as_deref(), &qp.init_syn);
        let syn = self.storage(&format!("{owner}: synapses"), &bytes_of(&upload))?;
        let sparams = self.storage(&format!("{owner}: parameters"), &bytes_of(&qp.init_sparams))?;
        let win = qp
            .window
            .map(|w| {
                self.zeroed(
                    &format!("{owner}: window"),
                    u64::from(w) * u64::from(n_post) * 4,
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
    /// delivery), and a plastic spike delivery's variant without the
    /// assignments to w.
    fn delivery_passes(
        &self,
        owner: &str,
        pr: &crate::network::Projection,
        qp: &ProjPlan,
        b: &ProjBuffers,
        layouts: &[PopLayout],
    ) -> Result<(Pass, Option<Pass>)> {
        if let Some(sp) = qp.spike {
            return self.spike_passes(owner, pr, qp, sp, b, layouts);
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
        Ok((pass, None))
    }

    /// A spike delivery's pass, a workgroup (or thread) per spike of pre,
    /// and a plastic one's variant without the assignments to w.
    fn spike_passes(
        &self,
        owner: &str,
        pr: &crate::network::Projection,
        qp: &ProjPlan,
        sp: SpikePlan,
        b: &ProjBuffers,
        layouts: &[PopLayout],
    ) -> Result<(Pass, Option<Pass>)> {
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
                stores,
                sp.reads_pre && pre != post,
            )
        };
        let groups = spike_groups(layouts[pre].n);
        let frozen = match &qp.frozen {
            Some(k) => Some(self.pass(k, &binds(sp.frozen_stores)?, (groups, 1))?),
            None => None,
        };
        let pass = self.pass(&qp.kernel, &binds(sp.stores)?, (groups, 1))?;
        Ok((pass, frozen))
    }

    /// A rate sum's or convolution's pass: a thread per post neuron, or a
    /// workgroup per tile of a tiled convolution.
    fn rate_pass(
        &self,
        pr: &crate::network::Projection,
        qp: &ProjPlan,
        b: &ProjBuffers,
        layouts: &[PopLayout],
    ) -> Result<Pass> {
        let (pre, post) = (pr.pre.0, pr.post.0);
        let mut binds = vec![
            ("clk", Bind::Clock),
            ("post", Bind::Write(&self.pops[post].state)),
            ("csr", Bind::Read(&b.csr)),
            ("syn", Bind::Read(&b.syn)),
            ("sparams", Bind::Read(&b.sparams)),
        ];
        if pre != post {
            binds.push(("pstate", Bind::Read(&self.pops[pre].state)));
        }
        if let (true, Some(h)) = (qp.uses_hist, &self.pops[pre].hist) {
            binds.push(("phist", Bind::Read(h)));
        }
        let threads = match qp.tiles {
            Some(t) => t * WORKGROUP,
            None => layouts[post].n,
        };
        self.pass(&qp.kernel, &binds, grid(threads))
    }

    /// A plastic projection's `post_spike` pass (a workgroup per post
    /// spike of this step) and its variant without the assignments to w.
    fn post_spike_passes(
        &self,
        owner: &str,
        pr: &crate::network::Projection,
        qp: &ProjPlan,
        b: &ProjBuffers,
        layouts: &[PopLayout],
    ) -> Result<(Option<Pass>, Option<Pass>)> {
        let Some(k) = &qp.post else {
            return Ok((None, None));
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
        let pass = self.pass(k, &binds, (groups, 1))?;
        let frozen = match &qp.post_frozen {
            Some(f) => Some(self.pass(f, &binds, (groups, 1))?),
            None => None,
        };
        Ok((Some(pass), frozen))
    }

    /// A rate-coded projection's learning rule pass, a thread per synapse.
    fn learn_pass(
        &self,
        pr: &crate::network::Projection,
        qp: &ProjPlan,
        b: &ProjBuffers,
    ) -> Result<Option<Pass>> {
        let Some(k) = &qp.learn else {
            return Ok(None);
        };
        let (pre, post) = (pr.pre.0, pr.post.0);
        let mut binds = vec![
            ("clk", Bind::Clock),
            ("post", Bind::Read(&self.pops[post].state)),
            ("csr", Bind::Read(&b.csr)),
            ("syn", Bind::Write(&b.syn)),
            ("sparams", Bind::Read(&b.sparams)),
        ];
        if pre != post {
            binds.push(("pstate", Bind::Read(&self.pops[pre].state)));
        }
        Ok(Some(self.pass(k, &binds, grid(qp.layout.nsyn))?))
    }

    /// A monitor's sample buffer and its `record` pass.
    fn add_monitor(
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
            });
            return Ok(());
        };
        let row_bytes = u64::from(mp.row_len) * 4;
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
        self.mons.push(GMon {
            pop: m.pop.0,
            row_len: mp.row_len,
            cap_rows,
            buf: Some(buf),
            sampling: Some(sampling),
            pass: Some(pass),
        });
        Ok(())
    }

    /// The merged pass of every group of two or more in the schedule.
    fn bind_merged(&mut self, plan: &Plan) -> Result<()> {
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
    fn merged_pass(&mut self, plan: &Plan, stage: Stage, members: &[usize]) -> Result<MergedPass> {
        let missing = || Error::invalid(stage.name(), "a merged group has no plan");
        let (pass, rebind) = match stage {
            Stage::SpikeDelivery => {
                let mg = plan
                    .merged
                    .iter()
                    .find(|m| m.members == members)
                    .ok_or_else(missing)?;
                (self.merged_spike_pass(mg)?, Rebind::Spikes(mg.clone()))
            }
            Stage::NeuronUpdate | Stage::ClearInputs => {
                let list = if stage == Stage::NeuronUpdate {
                    &plan.merged_updates
                } else {
                    &plan.merged_clears
                };
                let mu = list
                    .iter()
                    .find(|m| m.members == members)
                    .ok_or_else(missing)?;
                // Members run only as the group: their own passes go.
                for &p in members {
                    if stage == Stage::NeuronUpdate {
                        self.pops[p].update = None;
                    } else {
                        self.pops[p].clear = None;
                    }
                }
                let pass = self.merged_update_pass(mu)?;
                (
                    pass,
                    if stage == Stage::NeuronUpdate {
                        Rebind::Updates(mu.clone())
                    } else {
                        Rebind::Never
                    },
                )
            }
            Stage::RateInputs => {
                let mr = plan
                    .merged_rates
                    .iter()
                    .find(|m| m.members == members)
                    .ok_or_else(missing)?;
                for &q in members {
                    self.projs[q].pass = None;
                }
                (self.merged_rate_pass(mr)?, Rebind::Never)
            }
            Stage::PostSpike => {
                let mp = plan
                    .merged_posts
                    .iter()
                    .find(|m| m.members == members)
                    .ok_or_else(missing)?;
                (self.merged_post_pass(mp)?, Rebind::Never)
            }
            Stage::SynapseUpdate => {
                let ml = plan
                    .merged_learns
                    .iter()
                    .find(|m| m.members == members)
                    .ok_or_else(missing)?;
                (self.merged_learn_pass(ml)?, Rebind::Never)
            }
            _ => return Err(missing()),
        };
        Ok(MergedPass { pass, rebind })
    }

    /// The `neuron_update` pass of a population, bound to its buffers.
    pub(super) fn update_pass(&self, gp: &GPop) -> Result<Pass> {
        let k = &gp.update_kernel;
        let mut b = vec![("clk", Bind::Clock)];
        for (buf, _, _) in codegen::pop_buffers(&gp.layout, gp.feed.is_some()) {
            let bind = pop_bind(gp, buf)
                .ok_or_else(|| Error::invalid(&k.name, "a population buffer is missing"))?;
            b.push((codegen::pop_buffer_name(buf), bind));
        }
        self.pass(k, &b, grid(gp.layout.n))
    }

    /// The bindings of merged kernels' populations `pops`: each one's
    /// state as `st_k`, the first `written` of them written.
    fn merged_states<'a>(&'a self, pops: &[usize], written: usize) -> Vec<(String, Bind<'a>)> {
        pops.iter()
            .enumerate()
            .map(|(k, &p)| {
                let st = &self.pops[p].state;
                let bind = if k < written {
                    Bind::Write(st)
                } else {
                    Bind::Read(st)
                };
                (codegen::member_name("st", k), bind)
            })
            .collect()
    }

    /// The bindings of member `m` of a merged kernel, projection `q`: its
    /// CSR, synapse values (written if `writes`) and parameters.
    fn merged_member(&self, m: usize, q: usize, writes: bool) -> [(String, Bind<'_>); 3] {
        let g = &self.projs[q];
        let syn = if writes {
            Bind::Write(&g.syn)
        } else {
            Bind::Read(&g.syn)
        };
        [
            (codegen::member_name("csr", m), Bind::Read(&g.csr)),
            (codegen::member_name("syn", m), syn),
            (codegen::member_name("sp", m), Bind::Read(&g.sparams)),
        ]
    }

    /// The bindings of spike ring `r` of a merged kernel, population `p`'s
    /// counts and lists (`kernel` names the kernel, for the error when it
    /// has none).
    fn merged_ring(&self, kernel: &str, r: usize, p: usize) -> Result<[(String, Bind<'_>); 2]> {
        let pp = &self.pops[p];
        let (Some(count), Some(list)) = (&pp.spk_count, &pp.spk_list) else {
            return Err(Error::invalid(kernel, "spike ring missing"));
        };
        Ok([
            (codegen::member_name("cnt", r), Bind::Read(count)),
            (codegen::member_name("lst", r), Bind::Read(list)),
        ])
    }

    /// The pass of a merged learning rule, bound to its members' buffers
    /// (as [`codegen::synapse_update_merged`] names them).
    pub(super) fn merged_learn_pass(&self, ml: &MergedLearn) -> Result<Pass> {
        let mut b = vec![("clk".to_string(), Bind::Clock)];
        b.extend(self.merged_states(&ml.pops, 0));
        for (m, &q) in ml.members.iter().enumerate() {
            b.extend(self.merged_member(m, q, true));
        }
        self.pass(&ml.kernel, &b, grid(ml.threads))
    }

    /// The pass of a merged `post_spike`, bound to its members' buffers
    /// (as [`codegen::post_spike_merged`] names them).
    pub(super) fn merged_post_pass(&self, mp: &MergedPost) -> Result<Pass> {
        let mut b = vec![("clk".to_string(), Bind::Clock)];
        b.extend(self.merged_states(&mp.pops, 0));
        for (r, &p) in mp.rings.iter().enumerate() {
            b.extend(self.merged_ring(&mp.kernel.name, r, p)?);
        }
        for (m, &q) in mp.members.iter().enumerate() {
            b.extend(self.merged_member(m, q, true));
        }
        self.pass(&mp.kernel, &b, (mp.groups, 1))
    }

    /// The pass of a merged rate sum, bound to its members' buffers
    /// (as [`codegen::rate_sum_merged`] names them).
    pub(super) fn merged_rate_pass(&self, mr: &MergedRates) -> Result<Pass> {
        let mut b = vec![("clk".to_string(), Bind::Clock)];
        b.extend(self.merged_states(&mr.pops, mr.posts));
        for (h, &p) in mr.hists.iter().enumerate() {
            let hist = self.pops[p]
                .hist
                .as_ref()
                .ok_or_else(|| Error::invalid(&mr.kernel.name, "a rate history is missing"))?;
            b.push((codegen::member_name("hist", h), Bind::Read(hist)));
        }
        for (m, &q) in mr.members.iter().enumerate() {
            b.extend(self.merged_member(m, q, false));
        }
        let threads: u32 = mr.pops[..mr.posts]
            .iter()
            .map(|&p| self.pops[p].layout.n)
            .sum();
        self.pass(&mr.kernel, &b, grid(threads))
    }

    /// The pass of a merged spike delivery, bound to its members' buffers
    /// (as [`codegen::spike_propagate_merged`] names them).
    pub(super) fn merged_spike_pass(&self, mg: &MergedPlan) -> Result<Pass> {
        use codegen::{member_name, MemberBinds};
        let mut b = vec![("clk".to_string(), Bind::Clock)];
        for (k, &post) in mg.posts.iter().enumerate() {
            b.push((member_name("post", k), Bind::Write(&self.pops[post].state)));
        }
        for (m, (&q, &binds)) in mg.members.iter().zip(&mg.binds).enumerate() {
            let g = &self.projs[q];
            // A procedural member's table is bound where a CSR would be.
            b.push((member_name("csr", m), Bind::Read(&g.csr)));
            match binds {
                MemberBinds::Weights => b.push((member_name("syn", m), Bind::Read(&g.syn))),
                MemberBinds::Ring => b.push((member_name("dring", m), Bind::Write(&g.syn))),
                MemberBinds::General { stores, reads_pre } => {
                    let syn = if stores {
                        Bind::Write(&g.syn)
                    } else {
                        Bind::Read(&g.syn)
                    };
                    b.push((member_name("syn", m), syn));
                    b.push((member_name("sp", m), Bind::Read(&g.sparams)));
                    if reads_pre {
                        let pre = mg.pres[mg.pre_of[m]];
                        b.push((member_name("pst", m), Bind::Read(&self.pops[pre].state)));
                    }
                }
                MemberBinds::Nothing => {}
            }
        }
        for (r, &pre) in mg.pres.iter().enumerate() {
            b.extend(self.merged_ring(&mg.kernel.name, r, pre)?);
        }
        self.pass(&mg.kernel, &b, (mg.groups, 1))
    }

    /// The pass of a merged `neuron_update` (or `clear_inputs`), bound to
    /// its members' buffers, member `m`'s named as
    /// [`codegen::member_name`] says.
    pub(super) fn merged_update_pass(&self, mu: &MergedUpdate) -> Result<Pass> {
        let mut b = vec![("clk".to_string(), Bind::Clock)];
        let mut threads = 0u32;
        for (m, (&p, binds)) in mu.members.iter().zip(&mu.binds).enumerate() {
            let gp = &self.pops[p];
            threads += gp.layout.n;
            for &(buf, _) in binds {
                let bind = pop_bind(gp, buf).ok_or_else(|| {
                    Error::invalid(&mu.kernel.name, "a population buffer is missing")
                })?;
                let name = codegen::member_name(codegen::pop_buffer_name(buf), m);
                b.push((name, bind));
            }
        }
        self.pass(&mu.kernel, &b, grid(threads))
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

    /// Kernel `k` bound to the buffers `binds` names (by the names of its
    /// binding table: see [`resolve`]), dispatched over `grid`.
    pub(super) fn pass<N: AsRef<str>>(
        &self,
        k: &Kernel,
        binds: &[(N, Bind)],
        grid: (u32, u32),
    ) -> Result<Pass> {
        let wants: Vec<(&str, codegen::Access)> = binds
            .iter()
            .map(|(n, b)| (n.as_ref(), b.access()))
            .collect();
        let numbers = resolve(k, &wants)?;
        let binds: Vec<(u32, &Bind)> = numbers
            .into_iter()
            .zip(binds.iter().map(|b| &b.1))
            .collect();
        let atomics = self.gpu.info.float_atomics;
        let module = codegen::validate(k, atomics)?;
        let d = &self.gpu.device;
        self.gpu
            .checked(&format!("creating kernel {}", k.name), || {
                let entries: Vec<wgpu::BindGroupLayoutEntry> = binds
                    .iter()
                    .map(|&(i, b)| wgpu::BindGroupLayoutEntry {
                        binding: i,
                        visibility: wgpu::ShaderStages::COMPUTE,
                        ty: match b {
                            Bind::Clock => wgpu::BindingType::Buffer {
                                ty: wgpu::BufferBindingType::Uniform,
                                has_dynamic_offset: true,
                                min_binding_size: None,
                            },
                            Bind::Uniform(_) => wgpu::BindingType::Buffer {
                                ty: wgpu::BufferBindingType::Uniform,
                                has_dynamic_offset: false,
                                min_binding_size: None,
                            },
                            Bind::Read(_) => wgpu::BindingType::Buffer {
                                ty: wgpu::BufferBindingType::Storage { read_only: true },
                                has_dynamic_offset: false,
                                min_binding_size: None,
                            },
                            Bind::Write(_) => wgpu::BindingType::Buffer {
                                ty: wgpu::BufferBindingType::Storage { read_only: false },
                                has_dynamic_offset: false,
                                min_binding_size: None,
                            },
                        },
                        count: None,
                    })
                    .collect();
                let bgl = d.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                    label: Some(&k.name),
                    entries: &entries,
                });
                let group_entries: Vec<wgpu::BindGroupEntry> = binds
                    .iter()
                    .map(|&(i, b)| wgpu::BindGroupEntry {
                        binding: i,
                        resource: match b {
                            Bind::Clock => wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                                buffer: &self.clock,
                                offset: 0,
                                size: wgpu::BufferSize::new(std::mem::size_of::<Clock>() as u64),
                            }),
                            Bind::Uniform(x) | Bind::Read(x) | Bind::Write(x) => {
                                x.as_entire_binding()
                            }
                        },
                    })
                    .collect();
                let group = d.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some(&k.name),
                    layout: &bgl,
                    entries: &group_entries,
                });
                let layout = d.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                    label: Some(&k.name),
                    bind_group_layouts: &[Some(&bgl)],
                    immediate_size: 0,
                });
                let sm = d.create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some(&k.name),
                    source: wgpu::ShaderSource::Naga(Cow::Owned(module)),
                });
                let pipeline = d.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                    label: Some(&k.name),
                    layout: Some(&layout),
                    module: &sm,
                    entry_point: Some("main"),
                    compilation_options: Default::default(),
                    cache: None,
                });
                Pass {
                    pipeline,
                    group,
                    grid,
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use codegen::{Access, Binding};

    /// A kernel declaring the clock, a written state and read parameters.
    fn kernel() -> Kernel {
        let table = [
            Binding::new(0, "clk", Access::Uniform, "Clock"),
            Binding::new(1, "state", Access::ReadWrite, "array<f32>"),
            Binding::new(2, "params", Access::Read, "array<f32>"),
        ];
        let source: String = table.iter().map(|b| b.declaration() + "\n").collect();
        Kernel {
            name: "test_kernel".into(),
            body: String::new(),
            source,
        }
    }

    /// The message of a resolver error, which must name the kernel.
    fn message(binds: &[(&str, Access)]) -> String {
        match resolve(&kernel(), binds) {
            Err(Error::Codegen {
                kernel, message, ..
            }) => {
                assert_eq!(kernel, "test_kernel");
                message
            }
            other => panic!("{binds:?}: {other:?}"),
        }
    }

    #[test]
    fn names_resolve_to_the_declared_numbers() {
        let binds = [
            ("params", Access::Read),
            ("clk", Access::Uniform),
            ("state", Access::ReadWrite),
        ];
        assert_eq!(resolve(&kernel(), &binds).unwrap(), vec![2, 0, 1]);
    }

    #[test]
    fn an_unknown_name_is_an_error() {
        let m = message(&[
            ("clk", Access::Uniform),
            ("state", Access::ReadWrite),
            ("params", Access::Read),
            ("syn_3", Access::Read),
        ]);
        assert!(
            m.contains("'syn_3'") && m.contains("does not declare"),
            "{m}"
        );
    }

    #[test]
    fn a_declared_binding_left_unbound_is_an_error() {
        let m = message(&[("clk", Access::Uniform), ("state", Access::ReadWrite)]);
        assert!(m.contains("nothing to 'params' (binding 2)"), "{m}");
    }

    #[test]
    fn a_binding_bound_twice_or_with_the_wrong_access_is_an_error() {
        let m = message(&[
            ("clk", Access::Uniform),
            ("state", Access::ReadWrite),
            ("params", Access::Read),
            ("params", Access::Read),
        ]);
        assert!(m.contains("'params' (binding 2) twice"), "{m}");
        let m = message(&[
            ("clk", Access::Uniform),
            ("state", Access::Read),
            ("params", Access::Read),
        ]);
        assert!(m.contains("'state' (binding 1) as Read"), "{m}");
    }
}

//! Binding kernels to buffers by the names of their binding tables: the
//! resolver, the bindings of each kind of pass, and pass creation.

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
/// ring of `pre` (its counts, and its lists unless the delivery is
/// `ordered`, which reads the bitmasks after the counts), and its state
/// where the kernel reads it (`reads_pre`, another population); `names`
/// as [`spike_names`] says.
#[allow(clippy::too_many_arguments)]
pub(super) fn spike_binds<'a>(
    owner: &str,
    post: &'a GPop,
    pre: &'a GPop,
    names: (&'static str, &'static str),
    csr: &'a wgpu::Buffer,
    syn: &'a wgpu::Buffer,
    sparams: &'a wgpu::Buffer,
    (stores, reads_pre, ordered): (bool, bool, bool),
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
    ];
    if !ordered {
        b.push(("pre_list", Bind::Read(list)));
    }
    if reads_pre {
        b.push(("pstate", Bind::Read(&pre.state)));
    }
    Ok(b)
}

/// A population's buffer `buf`, bound as its `neuron_update` (and
/// `clear_inputs`) reaches it; `None` if the population has none.
pub(super) fn pop_bind(gp: &GPop, buf: codegen::PopBuf) -> Option<Bind<'_>> {
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
        PopBuf::Rate => Bind::Write(gp.frate.as_ref()?),
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

impl GpuEngine {
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
    pub(super) fn merged_states<'a>(
        &'a self,
        pops: &[usize],
        written: usize,
    ) -> Vec<(String, Bind<'a>)> {
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
    pub(super) fn merged_member(
        &self,
        m: usize,
        q: usize,
        writes: bool,
    ) -> [(String, Bind<'_>); 3] {
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
    pub(super) fn merged_ring(
        &self,
        kernel: &str,
        r: usize,
        p: usize,
    ) -> Result<[(String, Bind<'_>); 2]> {
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
            let ring = self.merged_ring(&mg.kernel.name, r, pre)?;
            if mg.gather {
                // The counts and bitmasks only.
                let [counts, _] = ring;
                b.push(counts);
            } else {
                b.extend(ring);
            }
        }
        let grid = if mg.gather {
            grid(mg.groups)
        } else {
            (mg.groups, 1)
        };
        self.pass(&mg.kernel, &b, grid)
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
                                size: wgpu::BufferSize::new(self.block),
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
                    then: Vec::new(),
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
            dtype: crate::real::Dtype::F32,
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

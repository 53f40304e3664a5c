//! Compiling a network into a simulation on an engine.

use super::*;

impl Network {
    /// Compiles the network for a backend: analysis is already done, this
    /// builds the engine state and kernels.
    pub fn compile(&self, backend: Backend) -> Result<Simulation> {
        match backend {
            Backend::Cpu => self.build(None),
            Backend::Gpu => self.build(Some(&GpuOptions::default())),
            Backend::Auto => {
                if let Some(d) = gpu::context::auto_passes_over() {
                    let s = self.build(None)?;
                    eprintln!(
                        "cajal: running on the CPU engine: the only GPU adapter, '{}', is a software renderer",
                        d.name
                    );
                    return Ok(s);
                }
                self.auto()
            }
        }
    }

    fn auto(&self) -> Result<Simulation> {
        match self.build(Some(&GpuOptions::default())) {
            Ok(s) => Ok(s),
            Err(gpu_err) => {
                let s = self.build(None)?;
                eprintln!("cajal: running on the CPU engine: {gpu_err}");
                Ok(s)
            }
        }
    }

    /// Compiles for the GPU engine with explicit options (adapter, float
    /// atomics).
    pub fn compile_gpu(&self, opts: &GpuOptions) -> Result<Simulation> {
        self.build(Some(opts))
    }

    /// Runs `runs` simulations of this network at once, each on its own
    /// thread with its own freshly compiled [`Simulation`] (on the GPU
    /// engine they share the device), and returns what `f(index, sim)`
    /// returns for each, in order. `f` sets what differs between runs
    /// (parameters, seed) and simulates; each run is independent, so the
    /// results are those of running them one after the other. The first
    /// error is returned.
    ///
    /// As ANNarchy's `parallel_run` (`seeds=None`), each run draws with a
    /// seed of its own, taken from the operating system's entropy: the
    /// runs differ, and they differ from one call to the next. A run reads
    /// its seed with [`Simulation::seed`];
    /// [`parallel_run_seeded`](Self::parallel_run_seeded) chooses them.
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// let (net, pop) = cajal::networks::lif(20, 1)?;
    /// let rates = net.parallel_run(Backend::Cpu, 3, |i, sim| {
    ///     sim.set(pop, "I", 1.0 + 0.2 * i as f32)?;
    ///     sim.simulate(100.0)?;
    ///     Ok(sim.get_neuron(pop, 0, "v")?)
    /// })?;
    /// assert_eq!(rates.len(), 3);
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn parallel_run<T: Send>(
        &self,
        backend: Backend,
        runs: usize,
        f: impl Fn(usize, &mut Simulation) -> Result<T> + Sync,
    ) -> Result<Vec<T>> {
        self.parallel_run_seeded(backend, runs, Seeds::Random, f)
    }

    /// [`parallel_run`](Self::parallel_run) with the runs' seeds chosen
    /// (ANNarchy's `seeds` argument): each run's simulation gets its seed
    /// ([`Simulation::set_seed`]) before `f` is called. A seed drives the
    /// run-time draws (`Uniform`, `Poisson` inputs... in equations) and the
    /// distributions given to the simulation's setters; the network is
    /// built once, so what was drawn while building it (connectivity,
    /// initial values from [`Network::set`]) is the same in every run,
    /// where ANNarchy builds the network again in each process. A list
    /// must have one seed per run.
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// # use cajal::engine::Seeds;
    /// let (net, _) = cajal::networks::lif(20, 1)?;
    /// let seeds = net.parallel_run_seeded(Backend::Cpu, 3, Seeds::Sequential, |_, sim| Ok(sim.seed()))?;
    /// assert_eq!(seeds, vec![2, 3, 4]); // the network's seed is 1
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn parallel_run_seeded<T: Send>(
        &self,
        backend: Backend,
        runs: usize,
        seeds: Seeds,
        f: impl Fn(usize, &mut Simulation) -> Result<T> + Sync,
    ) -> Result<Vec<T>> {
        let seeds: Vec<u64> = match seeds {
            Seeds::Random => (0..runs).map(|_| rand::random()).collect(),
            Seeds::Same => vec![self.seed; runs],
            Seeds::Sequential => (1..=runs as u64)
                .map(|i| self.seed.wrapping_add(i))
                .collect(),
            Seeds::List(list) => {
                if list.len() != runs {
                    return Err(Error::invalid(
                        "parallel_run",
                        format!(
                            "{} seeds for {runs} runs: give one seed per run",
                            list.len()
                        ),
                    ));
                }
                list
            }
        };
        let f = &f;
        std::thread::scope(|scope| {
            let handles: Vec<_> = seeds
                .into_iter()
                .enumerate()
                .map(|(i, seed)| {
                    scope.spawn(move || {
                        // The runs share the cores: each on one engine.
                        let mut sim = match backend {
                            Backend::Cpu => self.build_with(None, false)?,
                            _ => self.compile(backend)?,
                        };
                        sim.set_seed(seed);
                        f(i, &mut sim)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(Error::invalid("parallel_run", "a run panicked")))
                })
                .collect()
        })
    }

    /// What a simulation keeps of a monitor of neurons: its slots, sizes
    /// and empty buffers.
    pub(super) fn monitor_state(&self, m: &Monitor) -> Result<MonitorState> {
        let p = &self.pops[m.pop.0];
        let slots = m
            .vars
            .iter()
            .map(|v| slot_of(p, v))
            .collect::<Result<Vec<_>>>()?;
        let n = m.ranks.as_ref().map_or(p.size(), Vec::len);
        let lens = slots
            .iter()
            .map(|&s| {
                if p.ir.vars[s].locality == Locality::Local {
                    n
                } else {
                    1
                }
            })
            .collect();
        let member = m.ranks.as_ref().map(|r| {
            let mut v = vec![false; p.size()];
            r.iter().for_each(|&i| v[i as usize] = true);
            v
        });
        let local = slots
            .iter()
            .map(|&s| p.ir.vars[s].locality == Locality::Local)
            .collect();
        let early = slots
            .iter()
            .map(|&s| p.ir.is_conductance(s as u32))
            .collect();
        Ok(MonitorState {
            member,
            local,
            spec: m.clone(),
            buffers: vec![crate::real::Reals::empty(self.precision()); slots.len()],
            slots,
            early,
            pending: None,
            lens,
            active: m.start,
            start_step: 0,
            sample_steps: Vec::new(),
            spikes: Vec::new(),
            stream: None,
        })
    }

    /// What a simulation keeps of a monitor of synapses.
    pub(super) fn synapse_monitor_state(&self, m: &SynapseMonitor) -> Result<SynapseMonitorState> {
        let pr = &self.projs[m.proj.0];
        let slots = m
            .vars
            .iter()
            .map(|v| {
                pr.ir.slot(v).map(|s| s as usize).ok_or_else(|| {
                    let owner = format!("monitor of projection '{}'", pr.name);
                    Error::unknown(owner, "synapse variable", v, &[] as &[&str])
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let local = slots
            .iter()
            .map(|&s| pr.ir.vars[s].locality == Locality::Local)
            .collect();
        // Synapses are sorted by (post, pre): a dendrite is a range.
        let post = &pr.synapses.post;
        let range = match m.post {
            Some(i) => post.partition_point(|&p| p < i)..post.partition_point(|&p| p <= i),
            None => 0..pr.parts.as_ref().map_or(post.len(), |p| p.total()),
        };
        Ok(SynapseMonitorState {
            spec: m.clone(),
            buffers: vec![crate::real::Reals::empty(self.precision()); slots.len()],
            slots,
            local,
            range,
            active: true,
            start_step: 0,
            sample_steps: Vec::new(),
        })
    }

    fn build(&self, gpu: Option<&GpuOptions>) -> Result<Simulation> {
        self.build_with(gpu, true)
    }

    /// [`build`](Self::build); the CPU engine's threads run as ranks
    /// where `threads_as_ranks` and the network suits them
    /// (`engine::threads`).
    fn build_with(&self, gpu: Option<&GpuOptions>, threads_as_ranks: bool) -> Result<Simulation> {
        if self.pops.is_empty() {
            return Err(Error::invalid(
                "network",
                "add at least one population before compiling",
            ));
        }
        if let Some((rank, size)) = self.rank {
            return Err(Error::invalid(
                "network",
                format!(
                    "it was built as rank {rank} of a distributed run of {size} (its projections \
                     hold that rank's synapses): compile it with compile_distributed"
                ),
            ));
        }
        let t0 = std::time::Instant::now();
        self.check_memory()?;
        self.check_precision()?;
        let engine: Box<dyn Engine> = match gpu {
            None if threads_as_ranks => match threads::ranks_for(self) {
                Some(size) => Box::new(threads::ThreadRanks::new(self, size)?),
                None => crate::engine::cpu::boxed(self)?,
            },
            None => crate::engine::cpu::boxed(self)?,
            Some(o) => Box::new(GpuEngine::new(self, o)?),
        };
        self.simulation(engine, gpu, t0)
    }

    /// Refuses a precision set after populations or constants were made
    /// in another, or named wrongly.
    pub(crate) fn check_precision(&self) -> Result<()> {
        if let Some(v) = &self.bad_precision {
            return Err(Error::invalid(
                "CAJAL_PRECISION",
                format!("'{v}' is no precision: give double (f64) or float (f32)"),
            ));
        }
        if self.late_dtype {
            return Err(Error::invalid(
                "network",
                "its precision was changed after populations or constants were added: set                  Network::dtype first, before adding anything",
            ));
        }
        Ok(())
    }

    /// The simulation of this network on a built engine.
    pub(super) fn simulation(
        &self,
        engine: Box<dyn Engine>,
        gpu: Option<&GpuOptions>,
        started: std::time::Instant,
    ) -> Result<Simulation> {
        let monitors = self
            .monitors
            .iter()
            .map(|m| self.monitor_state(m))
            .collect::<Result<Vec<_>>>()?;
        let synapse_monitors = self
            .synapse_monitors
            .iter()
            .map(|m| self.synapse_monitor_state(m))
            .collect::<Result<Vec<_>>>()?;
        Ok(Simulation {
            net: self.clone(),
            engine,
            step: 0,
            t_origin: 0.0,
            step_origin: 0,
            monitors,
            synapse_monitors,
            draws: 0,
            callbacks: Vec::new(),
            callback_tag: crate::network::NetTag::fresh(),
            callbacks_on: true,
            gpu: gpu.cloned(),
            learning: vec![Learning::default(); self.projs.len()],
            structural: vec![Default::default(); self.projs.len()],
            pristine: vec![None; self.projs.len()],
            videos: Vec::new(),
            timings: Timings {
                build: started.elapsed(),
                ..Timings::default()
            },
            stepping_since: None,
        })
    }
}

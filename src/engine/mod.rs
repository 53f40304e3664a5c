//! Engines and the compiled [`Simulation`].

pub mod batch;
pub mod cpu;
pub mod gpu;
mod interface;
pub mod readout;
pub mod schedule;

use ndarray::{Array2, ArrayD, IxDyn};

use crate::error::{Error, Result};
use crate::lang::ir::{Locality, ValueType};
pub use crate::network::Value;
use crate::network::{assign_values, slot_of, Monitor, MonitorId, Network, PopId, ProjId};
use crate::random::rng_for;
use cpu::CpuEngine;
use gpu::{DeviceInfo, GpuEngine, GpuOptions};
use interface::Engine;
use schedule::Schedule;

/// Where a network runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Backend {
    /// The CPU reference engine (multi-threaded).
    Cpu,
    /// WGSL compute shaders through wgpu on the best adapter (or the one
    /// `CAJAL_ADAPTER` names); an error if there is none.
    Gpu,
    /// The GPU engine on a hardware adapter that can run the network,
    /// otherwise the CPU engine, with one line on stderr saying why (a
    /// software adapter such as lavapipe counts only if `CAJAL_ADAPTER`
    /// names it: the CPU engine is faster on the same cores).
    Auto,
}

/// When a projection's learning rule runs (ANNarchy's
/// `enable_learning(period, offset)`): at the steps `s` with
/// `s >= offset` and `(s - offset) % period == 0`, while on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Learning {
    pub(crate) on: bool,
    pub(crate) period: u64,
    pub(crate) offset: u64,
}

impl Default for Learning {
    fn default() -> Self {
        Learning {
            on: true,
            period: 1,
            offset: 0,
        }
    }
}

impl Learning {
    /// Whether the rule runs at step `s`.
    pub(crate) fn due(&self, s: u64) -> bool {
        self.on && s >= self.offset && (s - self.offset).is_multiple_of(self.period)
    }
}

/// How a projection acts on its post-synaptic population (both engines).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProjectionKind {
    /// Rate-coded: adds into `sum(target)` number `sum`.
    Rate { sum: usize },
    /// Spiking: increments the conductance slot `g`.
    Spike { g: usize },
    /// DecodingProjection: spike counts over `window` steps into
    /// `sum(target)` number `sum`.
    Decode { sum: usize, window: u32 },
    /// CurrentInjection: sets conductance slot `g` of post to slot `r` of pre.
    Current { g: usize, r: usize },
    /// Convolution or pooling into `sum(target)` number `sum`.
    Conv { sum: usize },
    /// Convolution between spiking populations into conductance slot `g`.
    ConvSpike { g: usize },
    /// Procedural fixed-probability connectivity into conductance slot `g`.
    Procedural { g: usize },
}

/// What a projection does, or why neither engine can run it.
pub(crate) fn projection_kind(
    net: &Network,
    pr: &crate::network::Projection,
) -> Result<ProjectionKind> {
    let owner = format!("projection '{}'", pr.name);
    let pre_ir = &net.pops[pr.pre.0].ir;
    let post_ir = &net.pops[pr.post.0].ir;
    let (pre_used, post_used) = pr.ir.refs_used(pre_ir.spiking);
    for (side, names, ir) in [("pre", pre_used, pre_ir), ("post", post_used, post_ir)] {
        for name in names {
            if let Some(slot) = ir.slot(name) {
                if ir.vars[slot as usize].locality == Locality::Global {
                    return Err(Error::Unsupported {
                        owner,
                        message: format!(
                            "{side}.{name} is shared by the population ('{name}' is a population-wide parameter); \
                             synapses read per-neuron values: make it a per-neuron parameter"
                        ),
                    });
                }
            }
        }
    }
    let spiking_or_special =
        pre_ir.spiking || pr.conv.is_some() || pr.window.is_some() || pr.inject;
    if !pre_ir.spiking && (pr.ir.event_driven || !pr.ir.post_spike.is_empty()) {
        return Err(Error::invalid(
            owner,
            "event-driven variables and post_spike belong to synapses between spiking populations",
        ));
    }
    if !pr.ir.post_spike.is_empty() && !post_ir.spiking {
        return Err(Error::invalid(
            owner,
            "post_spike needs a spiking post-synaptic population",
        ));
    }
    if !pr.ir.update.is_empty() && spiking_or_special {
        return Err(Error::Unsupported {
            owner,
            message: "between spiking populations, synapse variables change at events (pre_spike, post_spike) and through ': event-driven' equations; equations run every step only for rate-coded projections in this version".into(),
        });
    }
    let sum_of = || {
        post_ir
            .targets
            .iter()
            .position(|t| *t == pr.target)
            .ok_or_else(|| Error::invalid(&owner, "target not read by the post-synaptic model"))
    };
    let g_of = || {
        post_ir
            .conductances
            .iter()
            .find(|c| c.0 == pr.target)
            .map(|c| c.1 as usize)
            .ok_or_else(|| {
                Error::invalid(&owner, "conductance not used by the post-synaptic model")
            })
    };
    if pr.procedural.is_some() {
        return Ok(ProjectionKind::Procedural { g: g_of()? });
    }
    if pr.conv.is_some() {
        return Ok(if pre_ir.spiking {
            ProjectionKind::ConvSpike { g: g_of()? }
        } else {
            ProjectionKind::Conv { sum: sum_of()? }
        });
    }
    if pr.inject {
        let r = pre_ir
            .slot("r")
            .ok_or_else(|| Error::invalid(&owner, "the pre-synaptic model has no r"))?;
        return Ok(ProjectionKind::Current {
            g: g_of()?,
            r: r as usize,
        });
    }
    if let Some(window) = pr.window {
        return Ok(ProjectionKind::Decode {
            sum: sum_of()?,
            window,
        });
    }
    match (pre_ir.spiking, post_ir.spiking) {
        (false, false) => Ok(ProjectionKind::Rate { sum: sum_of()? }),
        (true, true) => Ok(ProjectionKind::Spike { g: g_of()? }),
        (true, false) => Err(Error::Unsupported {
            owner,
            message: "spikes reach a rate-coded population through a DecodingProjection (Network::decoding_projection)".into(),
        }),
        // Hybrid: a rate-coded projection feeds sum(target) of a spiking
        // neuron (e.g. a PoissonPopulation driven by a target).
        (false, true) => {
            let sum = post_ir
                .targets
                .iter()
                .position(|t| *t == pr.target)
                .ok_or_else(|| {
                    Error::invalid(
                        &owner,
                        format!(
                            "a rate-coded population projects onto a spiking one: the post-synaptic model must read sum({}) (as a PoissonPopulation driven by a target does); to drive a conductance with a rate use a CurrentInjection",
                            pr.target
                        ),
                    )
                })?;
            Ok(ProjectionKind::Rate { sum })
        }
    }
}

pub(crate) struct MonitorState {
    pub(crate) spec: Monitor,
    /// For a view: which neurons of the population it records.
    pub(crate) member: Option<Vec<bool>>,
    /// Per recorded variable: per neuron (or shared by the population).
    pub(crate) local: Vec<bool>,
    slots: Vec<usize>,
    /// Values per sample of each recorded variable (n, or 1 if population-wide).
    pub(crate) lens: Vec<usize>,
    pub(crate) active: bool,
    pub(crate) start_step: u64,
    pub(crate) buffers: Vec<Vec<f32>>,
    pub(crate) sample_steps: Vec<u64>,
    pub(crate) spikes: Vec<(u64, u32)>,
}

/// The dynamic state of an engine, for save and load: every slot of every
/// population and projection, and the histories delays read, newest first.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Snapshot {
    pub(crate) pops: Vec<PopSnapshot>,
    /// Per projection, per slot, values in (post, pre) order (1 if shared).
    pub(crate) projs: Vec<Vec<Vec<f32>>>,
    /// Per projection, the inputs waiting in its delay ring (procedural
    /// connectivity with per-synapse delays; empty for the others): row
    /// `k` holds what the `k`-th next step receives (row 0: the next one),
    /// whatever row the engine keeps it in.
    pub(crate) rings: Vec<Vec<f32>>,
}

/// Turns a delay ring of `depth` rows whose row `pos` is due next into
/// the order of [`Snapshot::rings`] (due next first), or back
/// (`back`).
pub(crate) fn ring_rows(ring: &[f32], depth: u32, pos: u32, back: bool) -> Vec<f32> {
    let depth = depth as usize;
    let np = ring.len() / depth.max(1);
    let mut out = vec![0.0; ring.len()];
    for k in 0..depth {
        let at = (pos as usize + k) % depth;
        let (from, to) = if back { (k, at) } else { (at, k) };
        out[to * np..(to + 1) * np].copy_from_slice(&ring[from * np..(from + 1) * np]);
    }
    out
}

/// One population's part of a [`Snapshot`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PopSnapshot {
    /// Every slot, hidden ones included.
    pub(crate) vars: Vec<Vec<f32>>,
    /// Spikes of the last steps, newest first (as many as the longest delay).
    pub(crate) spikes: Vec<Vec<u32>>,
    /// Per delayed slot: its values one step older than the current ones,
    /// two steps older..., newest first.
    pub(crate) hist: Vec<(u32, Vec<Vec<f32>>)>,
}

/// A compiled network, ready to run.
///
/// Obtained from [`Network::compile`]; runs steps, reads and writes any
/// variable, and holds what monitors recorded.
pub struct Simulation {
    net: Network,
    engine: Box<dyn Engine>,
    step: u64,
    // t = t_origin + (step - step_origin) * dt: no drift from adding dt.
    t_origin: f64,
    step_origin: u64,
    monitors: Vec<MonitorState>,
    draws: u64,
    callbacks: Vec<Option<Callback>>,
}

/// A function called during `simulate` with the simulation and the number
/// of the period (0, 1, 2, ...).
type CallbackFn = Box<dyn FnMut(&mut Simulation, u64) -> Result<()> + Send>;

struct Callback {
    period: u64,
    offset: u64,
    enabled: bool,
    f: CallbackFn,
}

impl Callback {
    /// Whether it is due before step `s`, and the number of its period.
    fn due(&self, s: u64) -> Option<u64> {
        (self.enabled && s >= self.offset && (s - self.offset).is_multiple_of(self.period))
            .then(|| (s - self.offset) / self.period)
    }

    /// The first step after `s` at which it is due.
    fn next_after(&self, s: u64) -> Option<u64> {
        if !self.enabled {
            return None;
        }
        if s < self.offset {
            return Some(self.offset);
        }
        Some(self.offset + ((s - self.offset) / self.period + 1) * self.period)
    }
}

/// A callback registered with [`Simulation::every`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallbackId(usize);

impl Network {
    /// Compiles the network for a backend: analysis is already done, this
    /// builds the engine state and kernels.
    pub fn compile(&self, backend: Backend) -> Result<Simulation> {
        match backend {
            Backend::Cpu => self.build(None),
            Backend::Gpu => self.build(Some(&GpuOptions::default())),
            Backend::Auto => {
                // A software adapter (lavapipe, WARP) is many times slower
                // than the CPU engine on the same cores: Auto wants hardware
                // unless CAJAL_ADAPTER names an adapter.
                let named = std::env::var("CAJAL_ADAPTER").is_ok_and(|s| !s.is_empty());
                if !named {
                    if let Some(d) = gpu::devices().first() {
                        if d.device_type == gpu::context::SOFTWARE {
                            let s = self.build(None)?;
                            eprintln!(
                                "cajal: running on the CPU engine: the only GPU adapter, '{}', is a software renderer",
                                d.name
                            );
                            return Ok(s);
                        }
                    }
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
        let f = &f;
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..runs)
                .map(|i| {
                    scope.spawn(move || {
                        let mut sim = self.compile(backend)?;
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

    fn build(&self, gpu: Option<&GpuOptions>) -> Result<Simulation> {
        if self.pops.is_empty() {
            return Err(Error::invalid(
                "network",
                "add at least one population before compiling",
            ));
        }
        let engine: Box<dyn Engine> = match gpu {
            None => Box::new(CpuEngine::new(self)?),
            Some(o) => Box::new(GpuEngine::new(self, o)?),
        };
        let monitors = self
            .monitors
            .iter()
            .map(|m| {
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
                Ok(MonitorState {
                    member,
                    local,
                    spec: m.clone(),
                    buffers: vec![Vec::new(); slots.len()],
                    slots,
                    lens,
                    active: m.start,
                    start_step: 0,
                    sample_steps: Vec::new(),
                    spikes: Vec::new(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Simulation {
            net: self.clone(),
            engine,
            step: 0,
            t_origin: 0.0,
            step_origin: 0,
            monitors,
            draws: 0,
            callbacks: Vec::new(),
        })
    }
}

impl Simulation {
    /// The network this simulation was compiled from.
    pub fn network(&self) -> &Network {
        &self.net
    }

    /// Replaces a population's input table on the engine and in the
    /// network description (same kind and variable, checked by the caller).
    pub(crate) fn replace_feed(
        &mut self,
        pop: PopId,
        feed: crate::network::feed::Feed,
    ) -> Result<()> {
        self.engine.set_feed(pop.0, &feed)?;
        self.net.pops[pop.0].feed = Some(feed);
        Ok(())
    }

    /// The engine this simulation runs on (`Cpu` or `Gpu`, never `Auto`).
    pub fn backend(&self) -> Backend {
        self.engine.backend()
    }

    /// The GPU adapter, on the GPU engine.
    pub fn device(&self) -> Option<&DeviceInfo> {
        self.engine.device()
    }

    /// Kernel dispatches per step on the GPU engine (monitors aside;
    /// learning rules counted as running every step); 0 on the CPU.
    pub fn dispatches_per_step(&self) -> usize {
        self.engine.dispatches_per_step()
    }

    /// The step as this simulation's engine runs it: its phases in order,
    /// each with its dispatches (groups) and their members.
    ///
    /// ```
    /// let (net, _, _) = cajal::networks::coba(100, 1)?;
    /// let sim = net.compile(cajal::engine::Backend::Cpu)?;
    /// println!("{}", sim.schedule());
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn schedule(&self) -> &Schedule {
        self.engine.schedule()
    }

    /// Current time in ms.
    pub fn time(&self) -> f64 {
        self.t_origin + (self.step - self.step_origin) as f64 * self.net.dt
    }

    /// Steps done since the start (or the last reset).
    pub fn current_step(&self) -> u64 {
        self.step
    }

    /// The time step in ms.
    pub fn dt(&self) -> f64 {
        self.net.dt
    }

    /// Sets the step counter (ANNarchy's `set_current_step`): the time
    /// becomes `step * dt`, random draws continue from that step's keys,
    /// monitors take their next sample now and count their periods from
    /// it, callbacks follow the new numbering. Spikes and values in flight
    /// (delays) are kept.
    pub fn set_current_step(&mut self, step: u64) {
        self.step = step;
        self.step_origin = step;
        self.t_origin = step as f64 * self.net.dt;
        for m in &mut self.monitors {
            m.start_step = step;
        }
    }

    /// Changes the seed of the random draws from now on: run-time draws
    /// (`Uniform`, `Normal`... in equations) and distributions given to
    /// [`set`](Self::set). The same seed and step give the same draws on
    /// both engines.
    pub fn set_seed(&mut self, seed: u64) {
        self.net.seed = seed;
        self.draws = 0;
        self.engine.set_seed(seed);
    }

    /// Saves the whole dynamic state (every variable of every population
    /// and projection, the spikes and values still travelling through
    /// delays, the inputs waiting in procedural delay rings, the step,
    /// time, seed) to a file; [`load`](Self::load) into a
    /// freshly compiled network of the same structure on the same engine
    /// continues the run bit for bit. Recordings and callbacks are not
    /// part of the state.
    pub fn save(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        let path = path.as_ref();
        let snap = self.engine.snapshot()?;
        let clock = crate::io::state::Clock {
            step: self.step,
            t_origin: self.t_origin,
            step_origin: self.step_origin,
            seed: self.net.seed,
            draws: self.draws,
        };
        let file = path.display().to_string();
        let bytes =
            crate::io::state::encode(&file, &crate::io::state::signature(&self.net), clock, &snap)?;
        std::fs::write(path, bytes).map_err(|source| Error::Io { path: file, source })
    }

    /// Loads a state written by [`save`](Self::save). The file is read and
    /// checked whole first (format version, checksum, the network's
    /// structure, the shape of every array): a file from another network,
    /// a truncated or a corrupted one is an error and changes nothing.
    pub fn load(&mut self, path: impl AsRef<std::path::Path>) -> Result<()> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let data = std::fs::read(path).map_err(|source| Error::Io {
            path: file.clone(),
            source,
        })?;
        let sig = crate::io::state::signature(&self.net);
        let (clock, snap) = crate::io::state::decode(&file, &data, &sig)?;
        let shape = self.engine.history_shape();
        let bad = |what: String| {
            Error::invalid(
                &file,
                format!("{what} (was the state saved by the other engine?)"),
            )
        };
        let ok_pops = snap.pops.len() == self.net.pops.len()
            && snap.projs.len() == self.net.projs.len()
            && snap.rings.len() == self.net.projs.len();
        if !ok_pops {
            return Err(bad(
                "the numbers of populations and projections differ".into()
            ));
        }
        for ((p, ps), (depth, hist)) in self.net.pops.iter().zip(&snap.pops).zip(&shape) {
            let n = p.size();
            let lens_ok = ps.vars.len() == p.ir.vars.len()
                && ps
                    .vars
                    .iter()
                    .zip(&p.ir.vars)
                    .all(|(v, d)| v.len() == if d.locality == Locality::Local { n } else { 1 });
            let spikes_ok = ps.spikes.len() == *depth
                && ps
                    .spikes
                    .iter()
                    .all(|s| s.len() <= n && s.iter().all(|&i| (i as usize) < n));
            let hist_ok = ps.hist.len() == hist.len()
                && ps.hist.iter().zip(hist).all(|((s, rows), (s2, d))| {
                    s == s2 && rows.len() == *d && rows.iter().all(|r| r.len() == n)
                });
            if !(lens_ok && spikes_ok && hist_ok) {
                return Err(bad(format!(
                    "the state of population '{}' does not fit it",
                    p.name
                )));
            }
        }
        for ((pr, vals), rows) in self.net.projs.iter().zip(&snap.projs).zip(&snap.rings) {
            let nsyn = pr.synapses.post.len();
            // A DecodingProjection's window follows its values.
            let n_post = self.net.pops[pr.post.0].size();
            let window = pr.window.unwrap_or(0) as usize;
            let ok = vals.len() == pr.ir.vars.len() + window
                && vals[pr.ir.vars.len()..].iter().all(|v| v.len() == n_post)
                && vals.iter().zip(&pr.ir.vars).all(|(v, d)| {
                    v.len()
                        == if d.locality == Locality::Local {
                            nsyn
                        } else {
                            1
                        }
                });
            let ring = pr
                .procedural
                .as_ref()
                .filter(|g| g.per_synapse_delays())
                .map_or(0, |g| g.delay as usize * n_post);
            if !(ok && rows.len() == ring) {
                return Err(bad(format!(
                    "the state of projection '{}' does not fit it",
                    pr.name
                )));
            }
        }
        self.engine.restore(&snap)?;
        self.step = clock.step;
        self.t_origin = clock.t_origin;
        self.step_origin = clock.step_origin;
        self.draws = clock.draws;
        // A monitor (re)started after the loaded step counts its period
        // from it; one started before keeps its phase.
        for m in &mut self.monitors {
            m.start_step = m.start_step.min(clock.step);
        }
        if clock.seed != self.net.seed {
            self.set_seed(clock.seed);
            self.draws = clock.draws;
        }
        Ok(())
    }

    /// Saves a projection's synapses (ranks, current weights, delays) to a
    /// file that [`connect_from_file`](crate::network::ProjectionBuilder::connect_from_file)
    /// reads back.
    pub fn save_connectivity(&self, proj: ProjId, path: impl AsRef<std::path::Path>) -> Result<()> {
        let pr = self.net.proj(proj)?;
        let (post, pre, w) = self.synapses(proj, "w")?;
        let saved = crate::io::connectivity::Saved {
            pre_size: self.net.pops[pr.pre.0].size(),
            post_size: self.net.pops[pr.post.0].size(),
            dt: self.net.dt,
            post,
            pre,
            w,
            delay: pr.synapses.delay.clone(),
        };
        crate::io::connectivity::write(path.as_ref(), &saved)
    }

    /// Sets the current time (the step counter is kept).
    pub fn set_time(&mut self, t_ms: f64) -> Result<()> {
        if !t_ms.is_finite() {
            return Err(Error::invalid(
                "simulation",
                format!("time must be finite, got {t_ms}"),
            ));
        }
        self.t_origin = t_ms;
        self.step_origin = self.step;
        Ok(())
    }

    /// Runs one step.
    pub fn step(&mut self) -> Result<()> {
        self.fire_callbacks()?;
        self.run_steps(1)
    }

    fn time_of(&self, step: u64) -> f64 {
        self.t_origin + (step as f64 - self.step_origin as f64) * self.net.dt
    }

    fn run_steps(&mut self, n: u64) -> Result<()> {
        let (t0, s0, dt) = (self.t_origin, self.step_origin, self.net.dt);
        let time = move |s: u64| t0 + (s as f64 - s0 as f64) * dt;
        self.engine.run(self.step, n, &time, &mut self.monitors)?;
        self.step += n;
        Ok(())
    }

    /// Runs the phase of `stage` of the current step alone: the step
    /// counter, the time and the rings of past spikes stay where they are,
    /// and monitors record no spikes. For comparing one kernel on both
    /// engines from the same state (load the same saved state into both,
    /// run one stage, compare): a divergence then names its kernel.
    ///
    /// ```
    /// use cajal::engine::schedule::Stage;
    /// let (net, _, _) = cajal::networks::coba(100, 1)?;
    /// let mut sim = net.compile(cajal::engine::Backend::Cpu)?;
    /// sim.simulate(5.0)?;
    /// sim.run_stage(Stage::SpikeDelivery)?;
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn run_stage(&mut self, stage: schedule::Stage) -> Result<()> {
        let t = self.time_of(self.step);
        self.engine
            .run_stage(stage, self.step, t, &mut self.monitors)
    }

    fn steps_for(&self, ms: f64) -> Result<u64> {
        if !(ms.is_finite() && ms >= 0.0) {
            return Err(Error::invalid(
                "simulation",
                format!("a duration must be a non-negative number of ms, got {ms}"),
            ));
        }
        Ok((ms / self.net.dt).round() as u64)
    }

    /// Runs for a duration in ms (rounded to whole steps).
    pub fn simulate(&mut self, ms: f64) -> Result<()> {
        let n = self.steps_for(ms)?;
        let end = self.step + n;
        while self.step < end {
            self.fire_callbacks()?;
            // Run to the next callback (on the GPU engine, a chunk ends there).
            let next = self
                .callbacks
                .iter()
                .flatten()
                .filter_map(|c| c.next_after(self.step))
                .min()
                .unwrap_or(end)
                .min(end);
            let k = next - self.step;
            self.run_steps(k)?;
        }
        Ok(())
    }

    /// Calls the callbacks due before the current step, in registration order.
    fn fire_callbacks(&mut self) -> Result<()> {
        for i in 0..self.callbacks.len() {
            let Some(n) = self.callbacks[i].as_ref().and_then(|c| c.due(self.step)) else {
                continue;
            };
            if let Some(mut c) = self.callbacks[i].take() {
                let r = (c.f)(self, n);
                // A callback may have cleared the callbacks meanwhile.
                if i < self.callbacks.len() && self.callbacks[i].is_none() {
                    self.callbacks[i] = Some(c);
                }
                r?;
            }
        }
        Ok(())
    }

    /// Calls `f(sim, n)` during [`simulate`](Self::simulate) each time the
    /// time reaches `offset_ms + n * period_ms` (n = 0, 1, ...), before the
    /// step that starts then, as ANNarchy's `@every`: `f` may read and set
    /// variables, and what it sets acts from that step on. Times count in
    /// steps from the start (or the last reset), so they do not move with
    /// [`set_time`](Self::set_time). An error returned by `f` stops
    /// `simulate` and is returned. On the GPU engine a chunk of steps ends
    /// at each callback.
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// let (net, pop) = cajal::networks::lif(10, 1)?;
    /// let mut sim = net.compile(Backend::Cpu)?;
    /// let times = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    /// let seen = times.clone();
    /// sim.every(100.0, 50.0, move |sim, n| {
    ///     seen.lock().unwrap().push((n, sim.time()));
    ///     sim.set(pop, "I", 1.0 + n as f32 * 0.1)
    /// })?;
    /// sim.simulate(300.0)?;
    /// assert_eq!(*times.lock().unwrap(), vec![(0, 50.0), (1, 150.0), (2, 250.0)]);
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn every(
        &mut self,
        period_ms: f64,
        offset_ms: f64,
        f: impl FnMut(&mut Simulation, u64) -> Result<()> + Send + 'static,
    ) -> Result<CallbackId> {
        let period = self.steps_for(period_ms)?;
        let offset = self.steps_for(offset_ms)?;
        if period == 0 {
            return Err(Error::invalid(
                "callback",
                format!(
                    "the period must be at least one step ({} ms), got {period_ms} ms",
                    self.net.dt
                ),
            ));
        }
        self.callbacks.push(Some(Callback {
            period,
            offset,
            enabled: true,
            f: Box::new(f),
        }));
        Ok(CallbackId(self.callbacks.len() - 1))
    }

    fn callback(&mut self, id: CallbackId) -> Result<&mut Callback> {
        self.callbacks
            .get_mut(id.0)
            .and_then(|c| c.as_mut())
            .ok_or_else(|| {
                Error::invalid(
                    "callback",
                    format!(
                        "no callback {}: it was cleared or belongs to another simulation",
                        id.0
                    ),
                )
            })
    }

    /// Stops calling a callback until [`enable_callback`](Self::enable_callback).
    pub fn disable_callback(&mut self, id: CallbackId) -> Result<()> {
        self.callback(id)?.enabled = false;
        Ok(())
    }

    /// Calls a disabled callback again, on its original schedule.
    pub fn enable_callback(&mut self, id: CallbackId) -> Result<()> {
        self.callback(id)?.enabled = true;
        Ok(())
    }

    /// Removes every callback.
    pub fn clear_callbacks(&mut self) {
        self.callbacks.clear();
    }

    /// Runs until `stop` returns true (checked after every step) or `max_ms`
    /// has passed; returns the time simulated in ms.
    pub fn simulate_until(
        &mut self,
        max_ms: f64,
        mut stop: impl FnMut(&Simulation) -> bool,
    ) -> Result<f64> {
        let n = self.steps_for(max_ms)?;
        for i in 0..n {
            self.step()?;
            if stop(self) {
                return Ok((i + 1) as f64 * self.net.dt);
            }
        }
        Ok(n as f64 * self.net.dt)
    }

    /// Back to the initial state (values at compile time, time 0), without
    /// rebuilding; monitors are emptied.
    pub fn reset(&mut self) {
        self.engine.reset(&self.net);
        self.step = 0;
        self.t_origin = 0.0;
        self.step_origin = 0;
        for m in &mut self.monitors {
            m.buffers.iter_mut().for_each(Vec::clear);
            m.sample_steps.clear();
            m.spikes.clear();
            m.active = m.spec.start;
            m.start_step = 0;
        }
    }

    fn slot_values(&self, pop: usize, slot: usize) -> Result<Vec<f32>> {
        self.engine.slot_values(pop, slot)
    }

    fn pop_checked(&self, pop: PopId) -> Result<&crate::network::Population> {
        self.net.pop(pop)
    }

    /// A variable or parameter of a population, shaped like its geometry
    /// (a 0-dimensional array for population-wide parameters).
    pub fn get(&self, pop: PopId, var: &str) -> Result<ArrayD<f32>> {
        let p = self.pop_checked(pop)?;
        let slot = slot_of(p, var)?;
        let v = self.slot_values(pop.0, slot)?;
        let shape: Vec<usize> = if p.ir.vars[slot].locality == Locality::Global {
            vec![]
        } else {
            p.geometry.dims().to_vec()
        };
        Ok(ArrayD::from_shape_vec(IxDyn(&shape), v).expect("storage matches the geometry"))
    }

    /// The weighted sum `sum(target)` of a population as the last step
    /// computed it, shaped as the population (ANNarchy's
    /// `pop.sum(target)`); zeros for a target no projection feeds.
    ///
    /// ```
    /// use cajal::prelude::*;
    /// let (net, b) = cajal::networks::bar_learning(1)?;
    /// let mut sim = net.compile(Backend::Cpu)?;
    /// sim.step()?;
    /// assert_eq!(sim.sum(b.feature, "exc")?.shape(), &[8, 4]);
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn sum(&self, pop: PopId, target: &str) -> Result<ArrayD<f32>> {
        let p = self.pop_checked(pop)?;
        let Some(t) = p.ir.targets.iter().position(|x| x == target) else {
            return Err(Error::unknown(
                format!("population '{}' (model '{}')", p.name, p.ir.name),
                "target",
                target,
                &p.ir.targets,
            ));
        };
        let v = self.engine.sum_values(pop.0, t)?;
        Ok(ArrayD::from_shape_vec(IxDyn(p.geometry.dims()), v)
            .expect("storage matches the geometry"))
    }

    /// The value of one neuron, by rank.
    pub fn get_neuron(&self, pop: PopId, rank: usize, var: &str) -> Result<f32> {
        let p = self.pop_checked(pop)?;
        let slot = slot_of(p, var)?;
        if rank >= p.size() {
            return Err(Error::invalid(
                format!("population '{}'", p.name),
                format!("rank {rank} is out of range (size {})", p.size()),
            ));
        }
        let v = self.slot_values(pop.0, slot)?;
        Ok(if v.len() == 1 { v[0] } else { v[rank] })
    }

    /// The value of one neuron, by coordinates.
    pub fn get_at(&self, pop: PopId, coords: &[usize], var: &str) -> Result<f32> {
        let rank = self.pop_checked(pop)?.geometry.rank(coords)?;
        self.get_neuron(pop, rank, var)
    }

    /// Sets a variable or parameter: a scalar, an array shaped like the
    /// geometry, or a distribution (drawn from the network seed). In a
    /// batch, an array shaped like one element sets every element.
    pub fn set(&mut self, pop: PopId, var: &str, value: impl Into<Value>) -> Result<()> {
        let value = self.broadcast(pop, var, value.into())?;
        let p = self.net.pop(pop)?;
        self.draws += 1;
        let mut rng = rng_for(self.net.seed, 0x2000_0000 + self.draws);
        let values = assign_values(p, var, &value, &mut rng)?;
        let slot = slot_of(p, var)?;
        self.engine.set_slot(pop.0, slot, values);
        Ok(())
    }

    /// The values of the neurons of a view, in view order (a shared
    /// parameter's value repeated).
    pub fn get_view(&self, view: &crate::network::View, var: &str) -> Result<Vec<f32>> {
        let p = self.pop_checked(view.population())?;
        let slot = slot_of(p, var)?;
        let v = self.slot_values(view.population().0, slot)?;
        view.ranks()
            .iter()
            .map(|&r| {
                v.get(if v.len() == 1 { 0 } else { r as usize })
                    .copied()
                    .ok_or_else(|| Error::invalid("view", format!("rank {r} is out of range")))
            })
            .collect()
    }

    /// Sets a per-neuron variable or parameter for the neurons of a view: a
    /// scalar, one value per neuron of the view (in view order) or a
    /// distribution.
    pub fn set_view(
        &mut self,
        view: &crate::network::View,
        var: &str,
        value: impl Into<Value>,
    ) -> Result<()> {
        let pop = view.population();
        let p = self.net.pop(pop)?;
        if let Some(bad) = view.ranks().iter().find(|&&r| r as usize >= p.size()) {
            return Err(Error::invalid(
                format!("population '{}'", p.name),
                format!("the view has rank {bad}, out of range (size {})", p.size()),
            ));
        }
        self.draws += 1;
        let mut rng = rng_for(self.net.seed, 0x2000_0000 + self.draws);
        let values = crate::network::assign_to(p, var, &value.into(), &mut rng, Some(view.len()))?;
        let slot = slot_of(p, var)?;
        let mut all = self.slot_values(pop.0, slot)?;
        for (&r, v) in view.ranks().iter().zip(values) {
            all[r as usize] = v;
        }
        self.engine.set_slot(pop.0, slot, all);
        Ok(())
    }

    /// Sets one neuron's value, by rank.
    pub fn set_neuron(&mut self, pop: PopId, rank: usize, var: &str, value: f32) -> Result<()> {
        let p = self.pop_checked(pop)?;
        let slot = slot_of(p, var)?;
        let owner = format!("population '{}'", p.name);
        if rank >= p.size() {
            return Err(Error::invalid(
                owner,
                format!("rank {rank} is out of range (size {})", p.size()),
            ));
        }
        let decl = &p.ir.vars[slot];
        if decl.locality == Locality::Global {
            return Err(Error::invalid(
                owner,
                format!("'{var}' is shared by the population: set it with set()"),
            ));
        }
        // Same conversion as set(): int rounds, bool is 0 or 1.
        let value = match decl.ty {
            ValueType::Int => value.round(),
            ValueType::Bool => f32::from(u8::from(value != 0.0)),
            ValueType::Float => value,
        };
        self.engine.set_one(pop.0, slot, rank, value);
        Ok(())
    }

    /// Sets one neuron's value, by coordinates.
    pub fn set_at(&mut self, pop: PopId, coords: &[usize], var: &str, value: f32) -> Result<()> {
        let rank = self.pop_checked(pop)?.geometry.rank(coords)?;
        self.set_neuron(pop, rank, var, value)
    }

    /// Whether the engine delivers a projection's spikes with one weight
    /// for all its synapses, reading none per synapse: a spiking projection
    /// of the default synapse whose weights are all one value (on the GPU
    /// engine its weight buffer then holds that value alone). Automatic:
    /// [`set_synapses`](Self::set_synapses) with weights that differ makes
    /// it one a synapse again (the GPU engine allocates them then), one
    /// value for all (or [`reset`](Self::reset)) shares it again, and the
    /// results are the same either way.
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// let mut net = Network::new();
    /// let lif = cajal::models::if_curr_exp();
    /// let a = net.population("a", 100, &lif)?;
    /// let p = net.projection(a, a, "exc")
    ///     .connect_fixed_probability(0.1, Weights::constant(0.5), Delays::none())?;
    /// let mut sim = net.compile(Backend::Cpu)?;
    /// assert!(sim.shares_weight(p)?);
    /// let (post, _, _) = sim.synapses(p, "w")?;
    /// let w: Vec<f32> = (0..post.len()).map(|k| k as f32 * 0.01).collect();
    /// sim.set_synapses(p, "w", &w)?;
    /// assert!(!sim.shares_weight(p)?);
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn shares_weight(&self, proj: ProjId) -> Result<bool> {
        self.net.proj(proj)?;
        Ok(self.engine.shares_weight(proj.0))
    }

    /// The values of a synapse variable (`w`...) in (post, pre) order, with
    /// the post and pre ranks of each synapse.
    pub fn synapses(&self, proj: ProjId, var: &str) -> Result<(Vec<u32>, Vec<u32>, Vec<f32>)> {
        let pr = self.net.proj(proj)?;
        if pr.conv.is_some() {
            return Err(Error::invalid(
                format!("projection '{}'", pr.name),
                "a convolution or pooling stores no synapses: its shared weights and window are in `net.proj(id)?.conv`",
            ));
        }
        let slot = pr.ir.slot(var).ok_or_else(|| {
            let names: Vec<&str> = pr.ir.vars.iter().map(|v| v.name.as_str()).collect();
            Error::unknown(format!("projection '{}'", pr.name), "variable", var, &names)
        })? as usize;
        if let Some(gen) = &pr.procedural {
            // Drawn for the asking: the same draws the engines make.
            let object = cpu::procedural_object(proj.0);
            let pairs = gen.materialize(object);
            let v = if var == "w" {
                pairs
                    .iter()
                    .map(|&(t, j)| gen.weight_at(object, j, t))
                    .collect()
            } else {
                vec![pr.values[slot].first().copied().unwrap_or(0.0); pairs.len()]
            };
            let (post, pre): (Vec<u32>, Vec<u32>) = pairs.into_iter().unzip();
            return Ok((post, pre, v));
        }
        let v = self.engine.synapse_values(proj.0, slot)?;
        let n = pr.synapses.post.len();
        let v = if v.len() == 1 {
            vec![v[0]; n]
        } else {
            v.to_vec()
        };
        Ok((pr.synapses.post.clone(), pr.synapses.pre.clone(), v))
    }

    /// Sets a synapse variable or parameter of a projection: one value per
    /// synapse in the order [`synapses`](Self::synapses) lists them, or a
    /// single value for all (the only form for a projection-wide one).
    pub fn set_synapses(&mut self, proj: ProjId, var: &str, values: &[f32]) -> Result<()> {
        let pr = self.net.proj(proj)?;
        let owner = format!("projection '{}'", pr.name);
        if pr.conv.is_some() {
            return Err(Error::invalid(
                owner,
                "a convolution or pooling stores no synapses",
            ));
        }
        if pr.procedural.is_some() {
            return Err(Error::invalid(
                owner,
                "procedural connectivity stores no synapses: its weights are fixed when it is built",
            ));
        }
        let slot = pr.ir.slot(var).ok_or_else(|| {
            let names: Vec<&str> = pr.ir.vars.iter().map(|v| v.name.as_str()).collect();
            Error::unknown(owner.clone(), "variable", var, &names)
        })? as usize;
        let decl = &pr.ir.vars[slot];
        if decl.kind == crate::lang::ir::VarKind::Hidden {
            return Err(Error::invalid(owner, format!("'{var}' is internal")));
        }
        let n = pr.synapses.post.len();
        let local = decl.locality == Locality::Local;
        let v: Vec<f32> = match (values.len(), local) {
            (1, true) => vec![values[0]; n],
            (1, false) => values.to_vec(),
            (k, true) if k == n => values.to_vec(),
            (k, _) => {
                return Err(Error::Shape {
                    owner,
                    message: format!(
                        "{k} values for '{var}': give one, or one per synapse ({n}){}",
                        if local {
                            ""
                        } else {
                            " (it is projection-wide: one)"
                        }
                    ),
                })
            }
        };
        if let Some(bad) = v.iter().find(|x| !x.is_finite()) {
            return Err(Error::invalid(owner, format!("'{var}' cannot be {bad}")));
        }
        self.engine.set_synapse_values(proj.0, slot, v)?;
        Ok(())
    }

    /// A projection's variable as a dense `[post, pre]` matrix, NaN where
    /// there is no synapse (ANNarchy's `connectivity_matrix`).
    pub fn connectivity_matrix(&self, proj: ProjId, var: &str) -> Result<Array2<f32>> {
        let (post, pre, v) = self.synapses(proj, var)?;
        let pr = self.net.proj(proj)?;
        // One batch element's matrix: the elements share the synapses.
        let b = self.net.batch;
        let (n_post, n_pre) = (
            self.net.pop(pr.post)?.size() / b,
            self.net.pop(pr.pre)?.size() / b,
        );
        let cells = n_post.checked_mul(n_pre).filter(|&c| c <= 1 << 31).ok_or_else(|| {
            Error::invalid(
                format!("projection '{}'", pr.name),
                format!("a dense {n_post} x {n_pre} matrix is too large: read the synapses (COO) or a dendrite"),
            )
        })?;
        let mut m = Array2::from_elem((n_post, n_pre), f32::NAN);
        debug_assert!(cells == m.len());
        for ((&i, &j), &x) in post.iter().zip(&pre).zip(&v) {
            m[[i as usize, j as usize]] = x;
        }
        Ok(m)
    }

    /// The synapses of one post-synaptic neuron (ANNarchy's `Dendrite`):
    /// its pre-synaptic ranks and their values of `var`.
    pub fn dendrite(&self, proj: ProjId, post: usize, var: &str) -> Result<(Vec<u32>, Vec<f32>)> {
        let pr = self.net.proj(proj)?;
        let n_post = self.net.pop(pr.post)?.size();
        if post >= n_post {
            return Err(Error::invalid(
                format!("projection '{}'", pr.name),
                format!("post-synaptic rank {post} is out of range (size {n_post})"),
            ));
        }
        let (posts, pre, v) = self.synapses(proj, var)?;
        // Synapses are sorted by (post, pre).
        let a = posts.partition_point(|&p| (p as usize) < post);
        let b = posts.partition_point(|&p| (p as usize) <= post);
        Ok((pre[a..b].to_vec(), v[a..b].to_vec()))
    }

    /// Turns learning on (ANNarchy's `enable_learning`) for one projection
    /// or, with `None`, every projection that has a learning rule: the rule
    /// runs every `period_ms` (default: every step) at the steps whose time
    /// modulo the period is `offset_ms` (default 0).
    pub fn enable_learning(
        &mut self,
        proj: Option<ProjId>,
        period_ms: Option<f64>,
        offset_ms: Option<f64>,
    ) -> Result<()> {
        let dt = self.net.dt;
        let steps = |what: &str, ms: f64| -> Result<u64> {
            if !(ms.is_finite() && ms >= 0.0) {
                return Err(Error::invalid(
                    "enable_learning",
                    format!("the {what} must be a non-negative number of ms, got {ms}"),
                ));
            }
            Ok((ms / dt).round() as u64)
        };
        let period = steps("period", period_ms.unwrap_or(dt))?.max(1);
        let offset = steps("offset", offset_ms.unwrap_or(0.0))? % period;
        self.set_learning(
            proj,
            Learning {
                on: true,
                period,
                offset,
            },
        )
    }

    /// Turns learning off for one projection or, with `None`, all of them
    /// (ANNarchy's `disable_learning`); weights keep their values.
    pub fn disable_learning(&mut self, proj: Option<ProjId>) -> Result<()> {
        self.set_learning(
            proj,
            Learning {
                on: false,
                ..Learning::default()
            },
        )
    }

    fn set_learning(&mut self, proj: Option<ProjId>, l: Learning) -> Result<()> {
        let ids: Vec<usize> = match proj {
            Some(p) => {
                let pr = self.net.proj(p)?;
                let learns = !pr.ir.update.is_empty()
                    || !pr.ir.post_spike.is_empty()
                    || pr
                        .ir
                        .pre_spike
                        .iter()
                        .any(|s| matches!(s, crate::lang::ir::EventStmt::Store { .. }));
                if !learns {
                    return Err(Error::invalid(
                        format!("projection '{}'", pr.name),
                        format!(
                            "its synapse model '{}' has no learning rule (no equations, no assignments in pre_spike or post_spike)",
                            pr.ir.name
                        ),
                    ));
                }
                vec![p.0]
            }
            None => (0..self.net.projs.len()).collect(),
        };
        for i in ids {
            self.engine.set_learning(i, l);
        }
        Ok(())
    }

    fn mon(&self, m: MonitorId) -> Result<&MonitorState> {
        self.monitors.get(m.0).ok_or_else(|| {
            Error::invalid(
                "simulation",
                format!("monitor handle {} does not belong to this network", m.0),
            )
        })
    }

    /// Spikes recorded by a monitor, as (step, neuron rank), sorted by step then rank.
    pub fn spikes(&self, m: MonitorId) -> Result<Vec<(u64, u32)>> {
        let s = self.mon(m)?;
        if !s.spec.spikes {
            return Err(Error::invalid(
                "monitor",
                "this monitor does not record \"spike\"",
            ));
        }
        Ok(s.spikes.clone())
    }

    /// A recorded variable as `[samples, neurons]`.
    pub fn recorded(&self, m: MonitorId, var: &str) -> Result<Array2<f32>> {
        let s = self.mon(m)?;
        let i = s
            .spec
            .vars
            .iter()
            .position(|v| v == var)
            .ok_or_else(|| Error::unknown("monitor", "recorded variable", var, &s.spec.vars))?;
        let n = s.lens[i];
        let buf = &s.buffers[i];
        Ok(Array2::from_shape_vec((buf.len() / n, n), buf.clone())
            .expect("whole samples are recorded"))
    }

    /// The steps at which a monitor took its samples.
    pub fn sample_steps(&self, m: MonitorId) -> Result<Vec<u64>> {
        Ok(self.mon(m)?.sample_steps.clone())
    }

    /// Stops a monitor from recording until [`resume`](Self::resume).
    pub fn pause(&mut self, m: MonitorId) -> Result<()> {
        self.mon(m)?;
        self.monitors[m.0].active = false;
        Ok(())
    }

    /// (Re)starts a monitor; its period counts from now.
    pub fn resume(&mut self, m: MonitorId) -> Result<()> {
        self.mon(m)?;
        let s = &mut self.monitors[m.0];
        if !s.active {
            s.active = true;
            s.start_step = self.step;
        }
        Ok(())
    }

    /// Mean firing rate (Hz) of the spikes a monitor recorded over `duration_ms`.
    pub fn population_rate(&self, m: MonitorId, duration_ms: f64) -> Result<f64> {
        let s = self.spikes(m)?;
        let n = self.net.pops[self.mon(m)?.spec.pop.0].size();
        if duration_ms <= 0.0 {
            return Err(Error::invalid("monitor", "the duration must be positive"));
        }
        Ok(s.len() as f64 / n as f64 / (duration_ms / 1000.0))
    }
}

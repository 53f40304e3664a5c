//! Running a compiled network: time, steps, callbacks, reset.

use super::*;

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

    /// This simulation's rank in a distributed run
    /// ([`Network::compile_distributed`]); 0 in a single process.
    pub fn rank(&self) -> usize {
        self.engine.ranks().0
    }

    /// The number of ranks of a distributed run; 1 in a single process.
    pub fn ranks(&self) -> usize {
        self.engine.ranks().1
    }

    /// How many ranks the CPU engine runs as on this process's threads:
    /// with several threads (rayon's pool: `RAYON_NUM_THREADS`, the cores
    /// by default), a network of at least 1024 neurons a thread is cut
    /// into as many blocks, each updated by its own thread with the
    /// synapses onto it, which exchange spikes and values through memory
    /// (the partition of a distributed run, with the same results bit for
    /// bit); 1 where one engine runs it (one thread, a small network,
    /// what distributed runs do not support yet, the GPU engine,
    /// `CAJAL_THREAD_RANKS=0`). The runs of
    /// [`Network::parallel_run`] take one engine each.
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// let (net, _, _) = cajal::networks::coba(4000, 1)?;
    /// let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    /// let sim = pool.install(|| net.compile(Backend::Cpu))?;
    /// assert_eq!(sim.thread_ranks(), 1);
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn thread_ranks(&self) -> usize {
        self.engine.thread_ranks()
    }

    /// An error naming `what`, which a distributed run does not support
    /// yet (files of the whole network's state, which a rank holds a part
    /// of; one stage alone, which runs no exchange).
    pub(crate) fn not_distributed(&self, what: &str) -> Result<()> {
        if self.ranks() > 1 {
            return Err(Error::Unsupported {
                owner: format!("distributed run ({} ranks)", self.ranks()),
                message: format!("{what} is not supported yet in a distributed run"),
            });
        }
        Ok(())
    }

    /// A distributed run's time so far in exchanging spikes and values
    /// with the other ranks (seconds, waiting for them included: the
    /// slowest rank's lead shows here) and the number of exchanges; (0, 0)
    /// in a single process. The interval between exchanges is the
    /// shortest delay with which a projection reads spikes, one step when
    /// projections read other values of the neurons.
    pub fn exchanges(&self) -> (f64, u64) {
        self.engine.exchanges()
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
        for m in &mut self.synapse_monitors {
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

    /// The seed of the random draws now: the network's, or the last
    /// [`set_seed`](Self::set_seed)'s.
    pub fn seed(&self) -> u64 {
        self.net.seed
    }

    /// Changes a network constant (ANNarchy's `Constant.set`) without a
    /// rebuild: the next step of every population and projection that
    /// reads it uses `value`, on either engine, exactly as a network
    /// compiled with that value. [`save`](Self::save) and
    /// [`load`](Self::load) carry the current value, and so does
    /// [`reset`](Self::reset), as ANNarchy's (which resets parameters but
    /// not constants; the compiled value is
    /// [`Network::get_constant`]'s). A model with a parameter or variable of
    /// the same name reads its own, not the constant. An unknown name is
    /// an error listing the constants.
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// let mut net = Network::new();
    /// net.constant("gain", 2.0)?;
    /// let pop = net.population("p", 1, &Neuron::rate().equations("r = gain * t"))?;
    /// let mut sim = net.compile(Backend::Cpu)?;
    /// sim.simulate(3.0)?; // t = 2 ms in the last step
    /// assert_eq!(sim.get(pop, "r")?[[0]], 4.0);
    /// sim.set_constant("gain", -1.0)?;
    /// sim.simulate(1.0)?;
    /// assert_eq!(sim.get(pop, "r")?[[0]], -3.0);
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn set_constant(&mut self, name: &str, value: impl Into<f64>) -> Result<()> {
        let k = self.constant_index(name)?;
        let value =
            self.net.precision().fit(value.into()).map_err(|why| {
                Error::invalid("network", format!("the constant '{name}': {why}"))
            })?;
        let mut values = self.engine.constants();
        values[k] = value;
        self.engine.set_constants(&values);
        Ok(())
    }

    /// The current value of a network constant (ANNarchy's
    /// `get_constant`); an unknown name is an error listing the constants.
    pub fn get_constant(&self, name: &str) -> Result<f64> {
        Ok(self.engine.constants()[self.constant_index(name)?])
    }

    fn constant_index(&self, name: &str) -> Result<usize> {
        self.net
            .globals
            .constant_index(name)
            .ok_or_else(|| self.net.unknown_constant(name))
    }

    /// The network constants' names and current values, in declaration
    /// order.
    pub fn constants(&self) -> Vec<(String, f64)> {
        let names = self
            .net
            .globals
            .constant_names()
            .into_iter()
            .map(String::from);
        names.zip(self.engine.constants()).collect()
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
        if self.step == u64::MAX {
            return Err(Error::invalid(
                "simulation",
                "the step counter is at its last value: no step can follow",
            ));
        }
        self.timed(|s| {
            s.fire_callbacks()?;
            s.run_steps(1)
        })
    }

    /// Where this simulation's wall-clock time went so far: building its
    /// engine, and the calls that advanced it (see [`Timings`]).
    pub fn timings(&self) -> Timings {
        self.timings
    }

    /// `f(self)`, its wall-clock time added to [`Timings::simulate`]
    /// unless an outer call (a callback's caller) counts it.
    fn timed<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let outer = self.stepping_since.is_none();
        if outer {
            self.stepping_since = Some(std::time::Instant::now());
        }
        let out = f(self);
        if outer {
            if let Some(t0) = self.stepping_since.take() {
                self.timings.simulate += t0.elapsed();
            }
        }
        out
    }

    pub(super) fn time_of(&self, step: u64) -> f64 {
        self.t_origin + (step as f64 - self.step_origin as f64) * self.net.dt
    }

    pub(super) fn run_steps(&mut self, n: u64) -> Result<()> {
        self.check_recording(n)?;
        let end = self.step + n;
        while self.step < end {
            // A monitor of synapses reads them after its sample step: the
            // engine's run (on the GPU, its submission) ends there.
            // Structural plasticity edits the synapses after its steps,
            // before monitors of synapses sample (as ANNarchy's step).
            let next = self
                .synapse_monitors
                .iter()
                .filter_map(|m| m.next_from(self.step))
                .chain(self.next_structural(self.step))
                .min()
                .map_or(end, |s| (s + 1).min(end))
                .min(self.step.saturating_add(self.stream_piece()));
            let (t0, s0, dt) = (self.t_origin, self.step_origin, self.net.dt);
            let time = move |s: u64| t0 + (s as f64 - s0 as f64) * dt;
            self.engine
                .run(self.step, next - self.step, &time, &mut self.monitors)?;
            self.timings.steps += next - self.step;
            self.step = next;
            self.drain_streams()?;
            self.structural_step(next - 1)?;
            self.sample_synapses(next - 1)?;
        }
        Ok(())
    }

    /// The monitors of synapses due at `step` (just run) take their sample.
    fn sample_synapses(&mut self, step: u64) -> Result<()> {
        for m in &mut self.synapse_monitors {
            if !m.due(step) {
                continue;
            }
            for (k, &slot) in m.slots.iter().enumerate() {
                let v = self.engine.synapse_values(m.spec.proj.0, slot)?;
                let (local, range) = (m.local[k], m.range.clone());
                let b = &mut m.buffers[k];
                match (local, v.len()) {
                    // One weight stored for all the synapses.
                    (true, 1) => b.extend_reals(&v.repeat(range.len())),
                    (true, _) => b.extend_reals(&v.slice(range)),
                    (false, _) => b.extend_reals(&v.slice(0..1)),
                }
            }
            m.sample_steps.push(step);
        }
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
        self.not_distributed("running one stage alone")?;
        if self.engine.thread_ranks() > 1 {
            self.one_engine()?;
        }
        let t = self.time_of(self.step);
        self.timed(|s| s.engine.run_stage(stage, s.step, t, &mut s.monitors))
    }

    pub(super) fn steps_for(&self, ms: f64) -> Result<u64> {
        if !(ms.is_finite() && ms >= 0.0) {
            return Err(Error::invalid(
                "simulation",
                format!("a duration must be a non-negative number of ms, got {ms}"),
            ));
        }
        Ok((ms / self.net.dt).round() as u64)
    }

    /// The steps of a run of `ms`: a positive duration that rounds to no
    /// step, or one that would carry the step counter past its end, is an
    /// error rather than a run that silently does nothing.
    pub(super) fn run_length(&self, ms: f64) -> Result<u64> {
        self.steps_for(ms)?;
        let n = (ms / self.net.dt).round();
        if ms > 0.0 && n < 1.0 {
            return Err(Error::invalid(
                "simulation",
                format!(
                    "a duration of {ms} ms is less than half a step (dt = {} ms): it would run no step",
                    self.net.dt
                ),
            ));
        }
        if n >= 2f64.powi(53) || self.step.checked_add(n as u64).is_none() {
            return Err(Error::invalid(
                "simulation",
                format!(
                    "{ms} ms from step {} is {n} steps: past the last step the counter can hold",
                    self.step
                ),
            ));
        }
        Ok(n as u64)
    }

    /// Runs for a duration in ms (rounded to whole steps; a positive
    /// duration shorter than half a step is an error, not a run of none).
    pub fn simulate(&mut self, ms: f64) -> Result<()> {
        let n = self.run_length(ms)?;
        // The whole run's recording at once: callbacks split it into
        // shorter engine runs, each too small to refuse alone.
        self.check_recording(n)?;
        self.timed(|s| {
            let end = s.step + n;
            while s.step < end {
                s.fire_callbacks()?;
                // Run to the next callback (on the GPU engine, a chunk ends there).
                let next = s
                    .callbacks
                    .iter()
                    .flatten()
                    .filter(|_| s.callbacks_on)
                    .filter_map(|c| c.next_after(s.step))
                    .min()
                    .unwrap_or(end)
                    .min(end);
                let k = next - s.step;
                s.run_steps(k)?;
            }
            Ok(())
        })
    }

    /// Calls the callbacks due before the current step, in registration
    /// order (none while they are switched off as a whole).
    pub(super) fn fire_callbacks(&mut self) -> Result<()> {
        for i in 0..self.callbacks.len() {
            // A callback may switch them all off for the ones after it.
            if !self.callbacks_on {
                break;
            }
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
        Ok(CallbackId(self.callbacks.len() - 1, self.callback_tag))
    }

    pub(super) fn callback(&mut self, id: CallbackId) -> Result<&mut Callback> {
        let tag = self.callback_tag;
        self.callbacks
            .get_mut(id.0)
            .filter(|_| id.1 == tag)
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

    /// Removes every callback (ANNarchy's `clear_all_callbacks`); it cannot
    /// be undone. Their [`CallbackId`]s no longer name anything.
    pub fn clear_all_callbacks(&mut self) {
        self.callbacks.clear();
    }

    /// Whether callbacks are called at all (ANNarchy's
    /// `callbacks_enabled`): true unless
    /// [`disable_callbacks`](Self::disable_callbacks) switched them off.
    pub fn callbacks_enabled(&self) -> bool {
        self.callbacks_on
    }

    /// Stops calling every callback (ANNarchy's `disable_callbacks`), the
    /// whole-network switch beside each callback's own
    /// ([`disable_callback`](Self::disable_callback)): `simulate` and
    /// `step` then run as if none were registered. Each keeps its own
    /// switch and its schedule.
    pub fn disable_callbacks(&mut self) {
        self.callbacks_on = false;
    }

    /// Calls the callbacks again (ANNarchy's `enable_callbacks`), each on
    /// its original schedule, those disabled one by one staying disabled.
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// let (net, _) = cajal::networks::lif(10, 1)?;
    /// let mut sim = net.compile(Backend::Cpu)?;
    /// let calls = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    /// let c = calls.clone();
    /// sim.every(10.0, 0.0, move |_, _| {
    ///     c.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    ///     Ok(())
    /// })?;
    /// sim.disable_callbacks();
    /// sim.simulate(50.0)?; // none of t = 0, 10, ..., 40
    /// sim.enable_callbacks();
    /// sim.simulate(50.0)?; // t = 50, 60, ..., 90
    /// assert_eq!(calls.load(std::sync::atomic::Ordering::Relaxed), 5);
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn enable_callbacks(&mut self) {
        self.callbacks_on = true;
    }

    /// Runs until `stop` returns true (checked after every step) or `max_ms`
    /// has passed; returns the time simulated in ms.
    pub fn simulate_until(
        &mut self,
        max_ms: f64,
        mut stop: impl FnMut(&Simulation) -> bool,
    ) -> Result<f64> {
        let n = self.run_length(max_ms)?;
        self.timed(|s| {
            for i in 0..n {
                s.step()?;
                if stop(s) {
                    return Ok((i + 1) as f64 * s.net.dt);
                }
            }
            Ok(n as f64 * s.net.dt)
        })
    }

    /// Back to the initial state (values at compile time, time 0), without
    /// rebuilding; monitors are emptied. Network constants keep their
    /// current values, as in ANNarchy. Synapses created or pruned since
    /// compilation are undone (as ANNarchy's `reset(synapses=True)`), and
    /// structural plasticity stops: the engine is then built anew, which
    /// on the GPU engine can fail.
    pub fn reset(&mut self) -> Result<()> {
        self.restore_compiled_synapses()?;
        self.engine.reset(&self.net);
        self.step = 0;
        self.t_origin = 0.0;
        self.step_origin = 0;
        for m in &mut self.monitors {
            m.buffers.iter_mut().for_each(crate::real::Reals::clear);
            m.sample_steps.clear();
            m.spikes.clear();
            m.active = m.spec.start;
            m.start_step = 0;
        }
        for m in &mut self.synapse_monitors {
            m.buffers.iter_mut().for_each(crate::real::Reals::clear);
            m.sample_steps.clear();
            m.active = true;
            m.start_step = 0;
        }
        Ok(())
    }
}

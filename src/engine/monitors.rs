//! What monitors recorded.

use super::*;
use crate::network::Part;

/// What a monitor recorded since the last
/// [`take_recording`](Simulation::take_recording) (or since the start),
/// handed over by that call, which empties the monitor.
/// Its values are f32 ([`take_recording`](Simulation::take_recording)) or
/// f64 ([`take_recording_f64`](Simulation::take_recording_f64)).
#[derive(Debug, Clone, PartialEq)]
pub struct Recording<T = f32> {
    /// The steps at which the samples were taken, one per row of each
    /// variable.
    pub sample_steps: Vec<u64>,
    /// Each recorded variable (in the monitor's order) as `[samples,
    /// values]`, as [`recorded`](Simulation::recorded) shapes it.
    pub vars: Vec<(String, Array2<T>)>,
    /// The spikes, as (step, rank) sorted by step then rank (empty unless
    /// the monitor records `spike`).
    pub spikes: Vec<(u64, u32)>,
}

impl<T> Recording<T> {
    /// One recorded variable; an unknown name is an error listing those
    /// recorded.
    pub fn var(&self, name: &str) -> Result<&Array2<T>> {
        self.vars
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, a)| a)
            .ok_or_else(|| {
                let names: Vec<&str> = self.vars.iter().map(|(n, _)| n.as_str()).collect();
                Error::unknown("recording", "recorded variable", name, &names)
            })
    }
}

/// The error for a handle of another network's monitor.
fn foreign() -> Error {
    Error::invalid(
        "simulation",
        "the monitor handle does not belong to this network",
    )
}

impl Simulation {
    /// Adds a monitor of neurons to a compiled simulation, as ANNarchy's
    /// `Monitor(pop, vars)` created after `compile()`: it records every
    /// step from the current step on. The engine is built anew around it
    /// with its state carried over (on the GPU engine its kernels are
    /// compiled again), so adding monitors before compiling is cheaper.
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// let (net, pop) = cajal::networks::lif(10, 1)?;
    /// let mut sim = net.compile(Backend::Cpu)?;
    /// sim.simulate(5.0)?;
    /// let m = sim.monitor(pop, &["v"])?;
    /// sim.simulate(3.0)?;
    /// assert_eq!(sim.recorded(m, "v")?.dim(), (30, 10)); // dt = 0.1
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn monitor(&mut self, what: impl Into<Part>, vars: &[&str]) -> Result<MonitorId> {
        let dt = self.net.dt;
        self.monitor_with(what, vars, dt, true)
    }

    /// [`monitor`](Self::monitor) with a period and a start switch, as
    /// [`Network::monitor_with`]; the period counts from the current step.
    pub fn monitor_with(
        &mut self,
        what: impl Into<Part>,
        vars: &[&str],
        period_ms: f64,
        start: bool,
    ) -> Result<MonitorId> {
        let mut net = self.net.clone();
        let id = net.monitor_with(what, vars, period_ms, start)?;
        let spec = net.monitors.last().cloned().ok_or_else(|| {
            Error::invalid("monitor", "the monitor was not added (internal error)")
        })?;
        let mut state = net.monitor_state(&spec)?;
        state.start_step = self.step;
        let snap = self.engine.snapshot()?;
        self.rebuild(net, snap)?;
        self.monitors.push(state);
        Ok(id)
    }

    /// Adds a monitor of synapses to a compiled simulation, as
    /// [`Network::monitor_projection`] before compiling; its period counts
    /// from the current step. The engine is not rebuilt: the simulation
    /// reads synapses itself.
    pub fn monitor_projection(
        &mut self,
        proj: ProjId,
        dendrite: Option<usize>,
        vars: &[&str],
        period_ms: f64,
    ) -> Result<MonitorId> {
        let mut net = self.net.clone();
        let id = net.monitor_projection(proj, dendrite, vars, period_ms)?;
        let spec = net.synapse_monitors.last().cloned().ok_or_else(|| {
            Error::invalid("monitor", "the monitor was not added (internal error)")
        })?;
        let mut state = net.synapse_monitor_state(&spec)?;
        state.start_step = self.step;
        self.net = net;
        self.synapse_monitors.push(state);
        Ok(id)
    }

    /// Where a monitor's handle points, once it is known to be this
    /// network's.
    fn mon_ref(&self, m: MonitorId) -> Result<MonitorRef> {
        self.net.owns(m.1, "monitor")?;
        Ok(m.0)
    }

    pub(super) fn mon(&self, m: MonitorId) -> Result<&MonitorState> {
        match self.mon_ref(m)? {
            MonitorRef::Neurons(i) => self.monitors.get(i).ok_or_else(foreign),
            MonitorRef::Synapses(i) => {
                let s = self.synapse_monitors.get(i).ok_or_else(foreign)?;
                let pr = self.net.proj(s.spec.proj)?;
                Err(Error::invalid(
                    format!("monitor of projection '{}'", pr.name),
                    "it records synapses: it has no spikes, neurons or readouts",
                ))
            }
        }
    }

    /// A monitor whose recording is in memory: one that streams to disk
    /// is read from its files.
    fn mon_in_memory(&self, m: MonitorId) -> Result<&MonitorState> {
        let s = self.mon(m)?;
        if let Some(st) = &s.stream {
            return Err(Error::invalid(
                format!("monitor of population '{}'", self.net.pops[s.spec.pop.0].name),
                format!(
                    "it records to the files in {} (stream_to): read them with cajal::io::read_recording, or numpy.load",
                    st.dir.display()
                ),
            ));
        }
        Ok(s)
    }

    /// Records a monitor of a population to `.npy` files in `dir` (created
    /// if needed; files of an earlier stream there are replaced) instead
    /// of memory, from now on and with what it holds already, so that a
    /// long run keeps its memory flat whatever it records: each engine run
    /// appends its samples and spikes (long runs are cut into pieces of at
    /// most about 16 MiB of recording). The files (see
    /// [`io::stream`](crate::io::stream)) are whole after every call that
    /// returns, readable with `numpy.load` or
    /// [`read_recording`](crate::io::read_recording); the monitor's
    /// readers in memory ([`recorded`](Self::recorded),
    /// [`spikes`](Self::spikes)...) refuse it until
    /// [`stop_streaming`](Self::stop_streaming).
    ///
    /// Unlike the files cajal writes whole, these grow in place: a write
    /// that fails (disk full) is an error, and the samples it could not
    /// write stay in memory and are written by the next run's append.
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// let mut net = Network::new();
    /// let p = net.population("p", 3, &Neuron::rate().equations("r = t"))?;
    /// let m = net.monitor(p, &["r"])?;
    /// let mut sim = net.compile(Backend::Cpu)?;
    /// let dir = std::env::temp_dir().join(format!("cajal-doc-stream-{}", std::process::id()));
    /// sim.stream_to(m, &dir)?;
    /// sim.simulate(4.0)?;
    /// let rec = cajal::io::read_recording(&dir)?;
    /// assert_eq!(rec.sample_steps, vec![0, 1, 2, 3]);
    /// assert_eq!(rec.var("r")?.row(3).to_vec(), vec![3.0; 3]);
    /// # std::fs::remove_dir_all(&dir).ok();
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn stream_to(&mut self, m: MonitorId, dir: impl AsRef<std::path::Path>) -> Result<()> {
        let i = match self.mon_ref(m)? {
            MonitorRef::Neurons(i) => i,
            MonitorRef::Synapses(_) => {
                return Err(Error::Unsupported {
                    owner: "monitor".into(),
                    message: "a monitor of synapses records in memory only".into(),
                })
            }
        };
        self.not_distributed("streaming a monitor to files")?;
        self.stop_streaming(m)?;
        let s = &self.monitors[i];
        let stream = crate::io::stream::Stream::create(
            dir.as_ref(),
            &s.spec.vars,
            &s.lens,
            s.spec.spikes,
            self.net.precision(),
        )?;
        self.monitors[i].stream = Some(stream);
        self.drain_streams()
    }

    /// Ends a monitor's streaming ([`stream_to`](Self::stream_to)): its
    /// files are complete, and it records in memory again. Nothing
    /// happens to a monitor that does not stream.
    pub fn stop_streaming(&mut self, m: MonitorId) -> Result<()> {
        let MonitorRef::Neurons(i) = self.mon_ref(m)? else {
            return Ok(());
        };
        self.mon(m)?;
        self.drain_streams()?;
        self.monitors[i].stream = None;
        Ok(())
    }

    /// Appends what the streaming monitors hold to their files, and
    /// empties them; what could not be written stays.
    pub(super) fn drain_streams(&mut self) -> Result<()> {
        for s in &mut self.monitors {
            let Some(st) = &mut s.stream else { continue };
            st.append(&s.sample_steps, &s.buffers, &s.spikes)?;
            s.sample_steps.clear();
            s.buffers.iter_mut().for_each(Reals::clear);
            s.spikes.clear();
        }
        Ok(())
    }

    /// How many steps one engine run may take while monitors stream: about
    /// 16 MiB of recording (spikes reckoned at one neuron in a hundred a
    /// step), so that memory stays flat; `u64::MAX` when none streams.
    pub(super) fn stream_piece(&self) -> u64 {
        let mut per_step = 0.0;
        let mut any = false;
        for s in self.monitors.iter().filter(|s| s.stream.is_some()) {
            any = true;
            let width: usize = s.lens.iter().sum();
            per_step +=
                (width as f64 * self.net.precision().size() as f64 + 8.0) / s.spec.period as f64;
            if s.spec.spikes {
                per_step += self.net.pops[s.spec.pop.0].size() as f64 * 16.0 / 100.0;
            }
        }
        if !any {
            return u64::MAX;
        }
        ((16.0 * 1024.0 * 1024.0 / per_step.max(1.0)) as u64).clamp(10, 1_000_000)
    }

    fn synapse_mon(&self, i: usize) -> Result<&SynapseMonitorState> {
        self.synapse_monitors.get(i).ok_or_else(foreign)
    }

    /// Spikes recorded by a monitor, as (step, neuron rank), sorted by step then rank.
    pub fn spikes(&self, m: MonitorId) -> Result<Vec<(u64, u32)>> {
        let s = self.mon_in_memory(m)?;
        if !s.spec.spikes {
            return Err(Error::invalid(
                "monitor",
                "this monitor does not record \"spike\"",
            ));
        }
        Ok(s.spikes.clone())
    }

    /// A recorded variable as `[samples, neurons]` (a monitor of
    /// synapses: `[samples, synapses]`, see
    /// [`Network::monitor_projection`](crate::network::Network::monitor_projection)).
    /// An f64 network's samples are rounded to f32:
    /// [`recorded_f64`](Self::recorded_f64) gives them whole.
    pub fn recorded(&self, m: MonitorId, var: &str) -> Result<Array2<f32>> {
        let (n, buf) = self.recorded_buffer(m, var)?;
        Ok(
            Array2::from_shape_vec((buf.len() / n.max(1), n), buf.to_f32())
                .expect("whole samples are recorded"),
        )
    }

    /// [`recorded`](Self::recorded) in f64: the samples exactly as the
    /// engine computed them (an f32 network's widened).
    pub fn recorded_f64(&self, m: MonitorId, var: &str) -> Result<Array2<f64>> {
        let (n, buf) = self.recorded_buffer(m, var)?;
        Ok(
            Array2::from_shape_vec((buf.len() / n.max(1), n), buf.to_f64())
                .expect("whole samples are recorded"),
        )
    }

    /// A recorded variable's values a sample and its samples.
    fn recorded_buffer(&self, m: MonitorId, var: &str) -> Result<(usize, &Reals)> {
        if let MonitorRef::Synapses(i) = self.mon_ref(m)? {
            let s = self.synapse_mon(i)?;
            let k =
                s.spec.vars.iter().position(|v| v == var).ok_or_else(|| {
                    Error::unknown("monitor", "recorded variable", var, &s.spec.vars)
                })?;
            return Ok((s.width(k), &s.buffers[k]));
        }
        let s = self.mon_in_memory(m)?;
        let i = s
            .spec
            .vars
            .iter()
            .position(|v| v == var)
            .ok_or_else(|| Error::unknown("monitor", "recorded variable", var, &s.spec.vars))?;
        Ok((s.lens[i], &s.buffers[i]))
    }

    /// Hands over everything a monitor recorded since the last call (or
    /// the start) and empties it (ANNarchy's `Monitor.get()`, whose
    /// default `keep=False` empties the buffers), so that a loop of trials
    /// reading a monitor each trial keeps no more than a trial in memory.
    /// All of the monitor's variables, their sample steps and its spikes
    /// go together, so the rows always match their steps; the monitor goes
    /// on sampling on its period (counted from its start, not from the
    /// call). The readers that keep what they read
    /// ([`recorded`](Self::recorded), [`spikes`](Self::spikes),
    /// [`sample_steps`](Self::sample_steps)) then see only what came after.
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// let mut net = Network::new(); // dt = 1 ms
    /// let pop = net.population("p", 10, &Neuron::rate().equations("r = t"))?;
    /// let m = net.monitor_with(pop, &["r"], 2.0, true)?;
    /// let mut sim = net.compile(Backend::Cpu)?;
    /// sim.simulate(5.0)?;
    /// let a = sim.take_recording(m)?;
    /// sim.simulate(5.0)?;
    /// let b = sim.take_recording(m)?;
    /// assert_eq!(a.sample_steps, vec![0, 2, 4]);
    /// assert_eq!(b.sample_steps, vec![6, 8]);
    /// assert_eq!(b.var("r")?.dim(), (2, 10));
    /// assert!(sim.sample_steps(m)?.is_empty());
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn take_recording(&mut self, m: MonitorId) -> Result<Recording> {
        self.take_recording_in(m, Reals::into_f32)
    }

    /// [`take_recording`](Self::take_recording) in f64: the samples
    /// exactly as the engine computed them (an f32 network's widened).
    pub fn take_recording_f64(&mut self, m: MonitorId) -> Result<Recording<f64>> {
        self.take_recording_in(m, Reals::into_f64)
    }

    fn take_recording_in<T>(
        &mut self,
        m: MonitorId,
        to: fn(Reals) -> Vec<T>,
    ) -> Result<Recording<T>> {
        let take = |names: &[String], bufs: &mut [Reals], lens: &[usize]| {
            names
                .iter()
                .zip(bufs)
                .zip(lens)
                .map(|((name, buf), &n)| {
                    let buf = to(std::mem::replace(buf, Reals::empty(buf.dtype())));
                    let a = Array2::from_shape_vec((buf.len() / n.max(1), n), buf)
                        .expect("whole samples are recorded");
                    (name.clone(), a)
                })
                .collect()
        };
        let i = match self.mon_ref(m)? {
            MonitorRef::Neurons(i) => i,
            MonitorRef::Synapses(i) => {
                self.synapse_mon(i)?;
                let s = &mut self.synapse_monitors[i];
                let lens: Vec<usize> = (0..s.slots.len()).map(|k| s.width(k)).collect();
                return Ok(Recording {
                    sample_steps: std::mem::take(&mut s.sample_steps),
                    vars: take(&s.spec.vars, &mut s.buffers, &lens),
                    spikes: Vec::new(),
                });
            }
        };
        self.mon_in_memory(m)?;
        let s = &mut self.monitors[i];
        Ok(Recording {
            sample_steps: std::mem::take(&mut s.sample_steps),
            vars: take(&s.spec.vars, &mut s.buffers, &s.lens),
            spikes: std::mem::take(&mut s.spikes),
        })
    }

    /// The steps at which a monitor took its samples.
    pub fn sample_steps(&self, m: MonitorId) -> Result<Vec<u64>> {
        match self.mon_ref(m)? {
            MonitorRef::Synapses(i) => Ok(self.synapse_mon(i)?.sample_steps.clone()),
            MonitorRef::Neurons(_) => Ok(self.mon_in_memory(m)?.sample_steps.clone()),
        }
    }

    /// Stops a monitor from recording until [`resume`](Self::resume).
    pub fn pause(&mut self, m: MonitorId) -> Result<()> {
        match self.mon_ref(m)? {
            MonitorRef::Synapses(i) => {
                self.synapse_mon(i)?;
                self.synapse_monitors[i].active = false;
            }
            MonitorRef::Neurons(i) => {
                self.mon(m)?;
                self.monitors[i].active = false;
            }
        }
        Ok(())
    }

    /// (Re)starts a monitor; its period counts from now.
    pub fn resume(&mut self, m: MonitorId) -> Result<()> {
        let step = self.step;
        let (active, start) = match self.mon_ref(m)? {
            MonitorRef::Synapses(i) => {
                self.synapse_mon(i)?;
                let s = &mut self.synapse_monitors[i];
                (&mut s.active, &mut s.start_step)
            }
            MonitorRef::Neurons(i) => {
                self.mon(m)?;
                let s = &mut self.monitors[i];
                (&mut s.active, &mut s.start_step)
            }
        };
        if !*active {
            *active = true;
            *start = step;
        }
        Ok(())
    }

    /// Refuses a run of `n` steps whose recording would not fit in the
    /// memory available (spikes aside, which cannot be known before), naming
    /// the monitor that records the most.
    pub(super) fn check_recording(&self, n: u64) -> Result<()> {
        // Bytes of each active monitor, and whose (formatted only where
        // the memory is read: a trial-at-a-time program checks before
        // every short call).
        // A sample: its values at 4 bytes and its step at 8.
        let bytes =
            |period: u64, width: usize| (n / period + 1) as f64 * (width as f64 * 4.0 + 8.0);
        let populations = (self.monitors.iter())
            .filter(|m| m.active && m.stream.is_none())
            .map(|m| {
                let width = m.lens.iter().sum();
                (bytes(m.spec.period, width), Owner::Pop(m.spec.pop.0))
            });
        let projections = (self.synapse_monitors.iter())
            .filter(|m| m.active)
            .map(|m| {
                let width = (0..m.slots.len()).map(|k| m.width(k)).sum();
                (bytes(m.spec.period, width), Owner::Proj(m.spec.proj.0))
            });
        let mut total = 0.0;
        let mut big: Option<(f64, Owner)> = None;
        for (bytes, owner) in populations.chain(projections) {
            total += bytes;
            if big.as_ref().is_none_or(|(b, _)| bytes > *b) {
                big = Some((bytes, owner));
            }
        }
        let Some((bytes, owner)) = big else {
            return Ok(());
        };
        if crate::memory::surely_fits(total) {
            return Ok(());
        }
        let owner = match owner {
            Owner::Pop(p) => format!("monitor of population '{}'", self.net.pops[p].name),
            Owner::Proj(p) => format!("monitor of projection '{}'", self.net.projs[p].name),
        };
        crate::memory::check(
            &owner,
            &format!(
                "recording {n} steps: {} for this monitor, {} for all",
                crate::memory::human(bytes as u64),
                crate::memory::human(total as u64)
            ),
            total,
            "record every k-th step (monitor_with's period), fewer neurons or variables, \
             or run shorter pieces and read and empty the monitor between them (take_recording)",
        )
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

/// The object a monitor records, by index (named only in an error).
enum Owner {
    Pop(usize),
    Proj(usize),
}

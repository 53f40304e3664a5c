//! Engines and the compiled [`Simulation`].

pub mod cpu;

use ndarray::{Array2, ArrayD, IxDyn};

use crate::error::{Error, Result};
use crate::lang::ir::{Locality, ValueType};
pub use crate::network::Value;
use crate::network::{assign_values, slot_of, Monitor, MonitorId, Network, PopId, ProjId};
use crate::random::rng_for;
use cpu::CpuEngine;

/// Where a network runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Backend {
    /// The CPU reference engine (multi-threaded).
    Cpu,
}

struct MonitorState {
    spec: Monitor,
    slots: Vec<usize>,
    active: bool,
    start_step: u64,
    buffers: Vec<Vec<f32>>,
    sample_steps: Vec<u64>,
    spikes: Vec<(u64, u32)>,
}

/// A compiled network, ready to run.
///
/// Obtained from [`Network::compile`]; runs steps, reads and writes any
/// variable, and holds what monitors recorded.
pub struct Simulation {
    net: Network,
    engine: CpuEngine,
    step: u64,
    // t = t_origin + (step - step_origin) * dt: no drift from adding dt.
    t_origin: f64,
    step_origin: u64,
    initial: Vec<Vec<Vec<f32>>>,
    initial_syn: Vec<Vec<Vec<f32>>>,
    monitors: Vec<MonitorState>,
    draws: u64,
}

impl Network {
    /// Compiles the network for a backend: analysis is already done, this
    /// builds the engine state and kernels.
    pub fn compile(&self, backend: Backend) -> Result<Simulation> {
        match backend {
            Backend::Cpu => {}
        }
        if self.pops.is_empty() {
            return Err(Error::invalid(
                "network",
                "add at least one population before compiling",
            ));
        }
        let engine = CpuEngine::new(self)?;
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
                Ok(MonitorState {
                    spec: m.clone(),
                    buffers: vec![Vec::new(); slots.len()],
                    slots,
                    active: m.start,
                    start_step: 0,
                    sample_steps: Vec::new(),
                    spikes: Vec::new(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Simulation {
            initial: engine.pops.iter().map(|p| p.vars.clone()).collect(),
            initial_syn: engine.projs.iter().map(|p| p.values.clone()).collect(),
            net: self.clone(),
            engine,
            step: 0,
            t_origin: 0.0,
            step_origin: 0,
            monitors,
            draws: 0,
        })
    }
}

impl Simulation {
    /// The network this simulation was compiled from.
    pub fn network(&self) -> &Network {
        &self.net
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
        let spikes = self.engine.step(self.time() as f32, self.step);
        for m in &mut self.monitors {
            if !m.active {
                continue;
            }
            let pop = &self.engine.pops[m.spec.pop.0];
            if m.spec.spikes {
                m.spikes
                    .extend(spikes[m.spec.pop.0].iter().map(|&i| (self.step, i)));
            }
            if !m.slots.is_empty() && (self.step - m.start_step).is_multiple_of(m.spec.period) {
                cpu::record::record(&pop.vars, &m.slots, &mut m.buffers);
                m.sample_steps.push(self.step);
            }
        }
        self.step += 1;
        Ok(())
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
        // The loop runs on a pool worker, so that the per-step fork-joins of
        // large populations are joins inside the pool rather than
        // injections from outside it, which put the calling thread to sleep
        // and wake it at every step.
        rayon::scope(|_| {
            for _ in 0..n {
                self.step()?;
            }
            Ok(())
        })
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
        for (p, init) in self.engine.pops.iter_mut().zip(&self.initial) {
            p.vars.clone_from(init);
        }
        for (p, init) in self.engine.projs.iter_mut().zip(&self.initial_syn) {
            p.values.clone_from(init);
        }
        self.engine.reset_history();
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

    fn pop_checked(&self, pop: PopId) -> Result<&crate::network::Population> {
        self.net.pop(pop)
    }

    /// A variable or parameter of a population, shaped like its geometry
    /// (a 0-dimensional array for population-wide parameters).
    pub fn get(&self, pop: PopId, var: &str) -> Result<ArrayD<f32>> {
        let p = self.pop_checked(pop)?;
        let slot = slot_of(p, var)?;
        let v = self.engine.pops[pop.0].vars[slot].clone();
        let shape: Vec<usize> = if p.ir.vars[slot].locality == Locality::Global {
            vec![]
        } else {
            p.geometry.dims().to_vec()
        };
        Ok(ArrayD::from_shape_vec(IxDyn(&shape), v).expect("storage matches the geometry"))
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
        let v = &self.engine.pops[pop.0].vars[slot];
        Ok(if v.len() == 1 { v[0] } else { v[rank] })
    }

    /// The value of one neuron, by coordinates.
    pub fn get_at(&self, pop: PopId, coords: &[usize], var: &str) -> Result<f32> {
        let rank = self.pop_checked(pop)?.geometry.rank(coords)?;
        self.get_neuron(pop, rank, var)
    }

    /// Sets a variable or parameter: a scalar, an array shaped like the
    /// geometry, or a distribution (drawn from the network seed).
    pub fn set(&mut self, pop: PopId, var: &str, value: impl Into<Value>) -> Result<()> {
        let p = self.net.pop(pop)?;
        self.draws += 1;
        let mut rng = rng_for(self.net.seed, 0x2000_0000 + self.draws);
        let values = assign_values(p, var, &value.into(), &mut rng)?;
        let slot = slot_of(p, var)?;
        self.engine.pops[pop.0].vars[slot] = values;
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
        self.engine.pops[pop.0].vars[slot][rank] = value;
        Ok(())
    }

    /// Sets one neuron's value, by coordinates.
    pub fn set_at(&mut self, pop: PopId, coords: &[usize], var: &str, value: f32) -> Result<()> {
        let rank = self.pop_checked(pop)?.geometry.rank(coords)?;
        self.set_neuron(pop, rank, var, value)
    }

    /// The values of a synapse variable (`w`...) in (post, pre) order, with
    /// the post and pre ranks of each synapse.
    pub fn synapses(&self, proj: ProjId, var: &str) -> Result<(Vec<u32>, Vec<u32>, Vec<f32>)> {
        let pr = self.net.proj(proj)?;
        let slot = pr.ir.slot(var).ok_or_else(|| {
            let names: Vec<&str> = pr.ir.vars.iter().map(|v| v.name.as_str()).collect();
            Error::unknown(format!("projection '{}'", pr.name), "variable", var, &names)
        })? as usize;
        let v = self.engine.synapse_values(proj.0, slot);
        let n = pr.synapses.post.len();
        let v = if v.len() == 1 {
            vec![v[0]; n]
        } else {
            v.to_vec()
        };
        Ok((pr.synapses.post.clone(), pr.synapses.pre.clone(), v))
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
        let n = self.engine.pops[s.spec.pop.0].vars[s.slots[i]].len();
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

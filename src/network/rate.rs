//! The firing rate of spiking neurons (ANNarchy's
//! `Population.compute_firing_rate(window)`), and the times of their last
//! spikes (`t_pre`, `t_post`).

use std::sync::Arc;

use super::{Network, PopId};
use crate::error::{Error, Result};
use crate::lang::ir::{Expr, Guard, Locality, Stmt, ValueType, VarDecl, VarKind};

/// Largest spike history a firing-rate window may keep, in bytes: the GPU
/// engine keeps `steps + 1` spike lists of the whole population.
const MAX_HISTORY_BYTES: u64 = 1 << 30;

/// A population's firing-rate window, as the engines run it: at each step,
/// after the spikes, `r = scale * (spikes of the neuron in the last
/// `steps` steps, this one included)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FiringRate {
    /// Steps in the window: `trunc(window / dt)`, as ANNarchy's
    /// `_mean_fr_window`.
    pub steps: u32,
    /// `1000 / window` (Hz per spike), computed in f64 as ANNarchy's
    /// `_mean_fr_rate`, then rounded to f32.
    pub scale: f32,
    /// The slot of `r`.
    pub slot: u32,
}

impl FiringRate {
    /// The window of `window_ms` at `dt`, writing slot `slot`.
    pub(crate) fn new(window_ms: f64, dt: f64, slot: u32) -> FiringRate {
        FiringRate {
            steps: (window_ms / dt) as u32,
            scale: (1000.0 / window_ms) as f32,
            slot,
        }
    }
}

impl Network {
    /// Makes the spiking population `pop` compute its firing rate `r` (Hz)
    /// over a sliding window of `window_ms`, as ANNarchy's
    /// `compute_firing_rate(window)`: at every step, after the spikes, each
    /// neuron's `r` is `1000 / window` times the number of its spikes in
    /// the last `trunc(window / dt)` steps, the current one included. `r`
    /// is then a variable of the population (added if its model has none)
    /// that synapses read as `pre.r` / `post.r` and monitors record. Call it
    /// before the projections that read `r`; calling it again changes the
    /// window.
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// let mut net = Network::new().dt(1.0);
    /// let pop = net.poisson_population("p", 10, 50.0, None)?;
    /// net.compute_firing_rate(pop, 1000.0)?;
    /// let mut sim = net.compile(Backend::Cpu)?;
    /// sim.simulate(2000.0)?;
    /// let r = sim.get(pop, "r")?; // about 50 Hz each
    /// # assert!(r.iter().all(|&x| x > 20.0 && x < 90.0));
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn compute_firing_rate(&mut self, pop: PopId, window_ms: f64) -> Result<()> {
        self.pop(pop)?;
        let (dt, dtype) = (self.dt, self.precision());
        let p = &mut self.pops[pop.0];
        let owner = format!("population '{}'", p.name);
        if !p.ir.spiking {
            return Err(Error::invalid(
                owner,
                "compute_firing_rate is for spiking populations (a rate-coded one has its own r)",
            ));
        }
        if !(window_ms.is_finite() && window_ms > 0.0) {
            return Err(Error::invalid(
                owner,
                format!("the firing-rate window must be a positive number of ms, got {window_ms}"),
            ));
        }
        if window_ms / dt < 1.0 {
            return Err(Error::invalid(
                owner,
                format!("a firing-rate window of {window_ms} ms is shorter than one step (dt = {dt} ms)"),
            ));
        }
        let steps = (window_ms / dt).trunc();
        let bytes = (steps + 1.0) * p.size() as f64 * 4.0;
        if steps > f64::from(u32::MAX - 1) || bytes > MAX_HISTORY_BYTES as f64 {
            return Err(Error::invalid(
                owner,
                format!(
                    "a firing-rate window of {window_ms} ms ({steps} steps) keeps {:.1} GiB of spike history for {} neurons (at most 1 GiB): use a shorter window or a larger dt",
                    bytes / f64::from(1u32 << 30),
                    p.size()
                ),
            ));
        }
        let slot = match p.ir.slot("r") {
            Some(s) => {
                let v = &p.ir.vars[s as usize];
                if v.locality != Locality::Local || v.kind == VarKind::Parameter {
                    return Err(Error::invalid(
                        owner,
                        "the model's 'r' is a parameter or population-wide: the firing rate needs a per-neuron variable r (or none, and it is added)",
                    ));
                }
                s
            }
            None => append_slot(p, dtype, "r", VarKind::Variable, 0.0, |_, _| {}),
        };
        p.firing_rate = Some((window_ms, slot));
        Ok(())
    }

    /// Makes population `pop` keep the time (ms) of each neuron's last
    /// spike in a hidden slot, for the synapses of `projection` that read
    /// `t_pre` or `t_post`: set to `t` when the neuron spikes, after its
    /// reset; before any spike it is `-10000 * dt`, as ANNarchy's
    /// `last_spike` starts at step -10000.
    pub(crate) fn keep_spike_times(&mut self, pop: PopId, projection: &str) -> Result<()> {
        let (dt, dtype) = (self.dt, self.precision());
        let p = &mut self.pops[pop.0];
        let name = crate::lang::analysis::SPIKE_TIME;
        if p.ir.slot(name).is_some() {
            return Ok(());
        }
        if !p.ir.spiking {
            return Err(Error::invalid(
                format!("projection '{projection}'"),
                format!(
                    "t_pre and t_post are the times of spikes: population '{}' is rate-coded",
                    p.name
                ),
            ));
        }
        append_slot(
            p,
            dtype,
            name,
            VarKind::Hidden,
            before_any_spike(dt),
            |ir, slot| {
                ir.reset.push(Stmt::Store {
                    var: slot,
                    expr: Expr::Time,
                    guard: Guard::Always,
                });
            },
        );
        Ok(())
    }

    /// Gives population `pop`, whose spikes an input table sets (a
    /// SpikeSourceArray), a conductance `g_target` that nothing reads, so
    /// that a spiking projection may end on it as in ANNarchy (the STDP I
    /// notebook's pre and post SpikeSourceArrays): the spikes' increments
    /// are dropped, their events (plasticity) run.
    pub(crate) fn input_conductance(&mut self, pop: PopId, target: &str) {
        let dtype = self.precision();
        let p = &mut self.pops[pop.0];
        let g = format!("g_{target}");
        let driven = p.feed.is_some() && p.ir.spiking && p.ir.update.is_empty();
        if !driven || p.ir.slot(&g).is_some() {
            return;
        }
        append_slot(p, dtype, &g, VarKind::Conductance, 0.0, |ir, slot| {
            ir.conductances.push((target.to_string(), slot, false));
        });
    }
}

/// The spike time (`t_pre`, `t_post`, `t_last`) of a neuron that has not
/// spiked: ANNarchy's `last_spike` starts at step -10000.
pub(crate) fn before_any_spike(dt: f64) -> f64 {
    -10000.0 * dt
}

/// Appends a per-neuron slot `name` of `kind`, starting at `init`, to
/// population `p`'s model (after the existing slots, so that those
/// projections already read stay where they are); `more` completes the
/// model with it (a reset statement, a conductance entry). Returns the
/// slot.
fn append_slot(
    p: &mut super::Population,
    dtype: crate::real::Dtype,
    name: &str,
    kind: VarKind,
    init: f64,
    more: impl FnOnce(&mut crate::lang::ir::NeuronIr, u32),
) -> u32 {
    let mut ir = (*p.ir).clone();
    let init = dtype.round(init);
    ir.vars.push(VarDecl {
        name: name.into(),
        kind,
        locality: Locality::Local,
        shared: false,
        ty: ValueType::Float,
        init,
        init_from: None,
    });
    let slot = ir.vars.len() as u32 - 1;
    more(&mut ir, slot);
    p.ir = Arc::new(ir);
    let init = dtype.round(init);
    p.init
        .push(crate::real::Reals::filled(dtype, init, p.size()));
    slot
}

//! What `Simulation` asks of an engine: the one interface both engines
//! implement, so that the façade never reaches into an engine's fields.

use crate::engine::schedule::{Schedule, Stage};
use crate::engine::{Backend, Learning, MonitorState, Snapshot};
use crate::error::Result;
use crate::network::feed::Feed;
use crate::network::Network;
use crate::real::Reals;

use super::gpu::DeviceInfo;

/// An engine that runs a compiled network: the CPU engine or the GPU
/// engine. Indices are the network's (populations, projections, slots).
pub(crate) trait Engine: Send {
    /// Which engine this is.
    fn backend(&self) -> Backend;

    /// The GPU adapter, on the GPU engine.
    fn device(&self) -> Option<&DeviceInfo> {
        None
    }

    /// The step as this engine runs it.
    fn schedule(&self) -> &Schedule;

    /// (rank, number of ranks) in a distributed run; (0, 1) otherwise.
    fn ranks(&self) -> (usize, usize) {
        (0, 1)
    }

    /// Every rank's `local` (one value per synapse of projection `proj`
    /// that this rank holds: its post or pre ranks) put together, in a
    /// distributed run; `local` itself otherwise.
    fn gather_synapse_ranks(&self, _proj: usize, local: Vec<u32>) -> Result<Vec<u32>> {
        Ok(local)
    }

    /// In a distributed run, a new engine for this rank of `net` (a
    /// rebuild: a monitor added after compiling); `None` otherwise.
    fn rank_engine(&self, _net: &Network) -> Option<Result<Box<dyn Engine>>> {
        None
    }

    /// The ranks this engine runs as on threads of this process: more
    /// than one for the CPU engine's threads as ranks
    /// (`engine::threads`), which runs no stage alone; 1 otherwise.
    fn thread_ranks(&self) -> usize {
        1
    }

    /// A distributed run's time in its exchanges so far (seconds, waiting
    /// for the other ranks included) and their number; (0, 0) otherwise.
    fn exchanges(&self) -> (f64, u64) {
        (0.0, 0)
    }

    /// Kernel dispatches per step (monitors aside; learning rules counted
    /// as running every step); 0 on the CPU engine, which has none.
    fn dispatches_per_step(&self) -> usize {
        0
    }

    /// Runs `n` steps from `step0` (`time(s)`: the time of step `s`);
    /// active monitors get their samples and spikes.
    fn run(
        &mut self,
        step0: u64,
        n: u64,
        time: &(dyn Fn(u64) -> f64 + Sync),
        monitors: &mut [MonitorState],
    ) -> Result<()>;

    /// Runs the phase of `stage` of step `step` (at time `t`) alone,
    /// without moving the step counter or the histories' position: for
    /// comparing one kernel on both engines from the same state.
    fn run_stage(
        &mut self,
        stage: Stage,
        step: u64,
        t: f64,
        monitors: &mut [MonitorState],
    ) -> Result<()>;

    /// A population slot's values (length n, or 1 if population-wide).
    fn slot_values(&self, pop: usize, slot: usize) -> Result<Reals>;

    /// A population's `sum(target)` number `target` as the last step (or
    /// phase) left it (length n).
    fn sum_values(&self, pop: usize, target: usize) -> Result<Reals>;

    /// Writes a population slot (length n, or 1 if population-wide), in
    /// the network's precision.
    fn set_slot(&mut self, pop: usize, slot: usize, values: Reals);

    /// Writes one neuron's value of a per-neuron slot.
    fn set_one(&mut self, pop: usize, slot: usize, rank: usize, value: f64);

    /// Per-synapse values of a projection slot in (post, pre) order
    /// (length 1 for projection-wide ones).
    fn synapse_values(&self, proj: usize, slot: usize) -> Result<Reals>;

    /// Writes a projection slot (one value per synapse in (post, pre)
    /// order, or one for a projection-wide slot).
    fn set_synapse_values(&mut self, proj: usize, slot: usize, values: Reals) -> Result<()>;

    /// Whether a projection's delivery reads one weight for all synapses.
    fn shares_weight(&self, proj: usize) -> bool;

    /// Sets when a projection's learning rule runs.
    fn set_learning(&mut self, proj: usize, learning: Learning);

    /// Replaces a population's input table (same kind and variable).
    fn set_feed(&mut self, pop: usize, feed: &Feed) -> Result<()>;

    /// Changes the seed of run-time random draws.
    fn set_seed(&mut self, seed: u64);

    /// The network's constants as the next step reads them, in
    /// declaration order.
    fn constants(&self) -> Vec<f64>;

    /// Replaces the constants' values (all of them, in declaration order),
    /// for the next step on.
    fn set_constants(&mut self, values: &[f64]);

    /// The dynamic state, for saving.
    fn snapshot(&self) -> Result<Snapshot>;

    /// Puts back a state of the same network (checked by the caller).
    fn restore(&mut self, snapshot: &Snapshot) -> Result<()>;

    /// Per population: the spike history's depth and the delayed slots'
    /// history depths, to check a snapshot against.
    fn history_shape(&self) -> Vec<(usize, Vec<(u32, usize)>)>;

    /// Back to the values at compile time (`net`'s); histories emptied.
    /// The constants keep their current values, as ANNarchy's.
    fn reset(&mut self, net: &Network);
}

//! How ml_genn gives a network its examples: `set_input` on an input
//! population (one value per neuron, or a sequence of frames with
//! `input_frames` / `input_frame_timesteps`), and `SpikeInput` (pre-processed
//! spike trains per example, at most `max_spikes` in a batch). Each works per
//! batch element ([`Network::compile_batched`]).
//!
//! Frames use an input table (as a TimedArray): frame `f` is the neuron's
//! `input` from step `f * input_frame_timesteps` on, and the last frame
//! stays after the sequence (ml_genn's `min(t / (frame_timesteps dt),
//! frames - 1)`). Steps count from the start of the run or the last reset,
//! as ml_genn's `t` counts from the start of each batch.

use ndarray::{ArrayD, ArrayViewD, IxDyn};

use crate::engine::Simulation;
use crate::error::{Error, Result};
use crate::lang::ir::Locality;
use crate::network::feed::Feed;
use crate::network::geometry::IntoGeometry;
use crate::network::model::Neuron;
use crate::network::{slot_of, Network, PopId};

/// ml_genn's `SpikeInput` neuron: it spikes when its input table says so
/// (`emit`); `max_spikes` (population-wide) is the capacity of the spike
/// buffer that [`Simulation::set_input_spikes`] fills.
pub fn spike_input_neuron(max_spikes: u32) -> Neuron {
    Neuron::spiking()
        .name("SpikeInput")
        .parameters(&format!(
            "emit = 0.0\nmax_spikes = {max_spikes}.0 : population, int"
        ))
        .spike("emit > 0.5")
}

impl Network {
    /// ml_genn's `SpikeInput(max_spikes)`: a population that emits the
    /// spikes [`Simulation::set_input_spikes`] gives it, example by example
    /// (none until then). `max_spikes` (ml_genn's default is 1 000 000)
    /// bounds the spikes of one call, all batch elements together.
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// let mut net = Network::new().dt(1.0);
    /// let inp = net.spike_input("in", 3, 100)?;
    /// let m = net.monitor(inp, &["spike"])?;
    /// let mut sim = net.compile(Backend::Cpu)?;
    /// // (time in ms, neuron): a spike at the first step with t >= time.
    /// sim.set_input_spikes(inp, &[vec![(0.0, 2), (2.5, 0), (2.5, 0)]])?;
    /// sim.simulate(5.0)?;
    /// // Two spikes of neuron 0 due in one step leave in consecutive steps.
    /// assert_eq!(sim.spikes(m)?, vec![(0, 2), (3, 0), (4, 0)]);
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn spike_input(
        &mut self,
        name: &str,
        geometry: impl IntoGeometry,
        max_spikes: usize,
    ) -> Result<PopId> {
        let owner = format!("population '{name}'");
        if max_spikes == 0 || max_spikes > (1 << 24) {
            return Err(Error::invalid(
                owner,
                format!("max_spikes must be between 1 and 2^24, got {max_spikes}"),
            ));
        }
        let pop = self.population(name, geometry, &spike_input_neuron(max_spikes as u32))?;
        let p = &self.pops[pop.0];
        let (slot, n) = (slot_of(p, "emit")?, p.size());
        self.pops[pop.0].feed = Some(Feed::Events {
            slot,
            ptr: vec![0; n + 1],
            steps: Vec::new(),
        });
        Ok(pop)
    }

    /// ml_genn's `input_frames` and `input_frame_timesteps` for an input
    /// population (a model with the per-neuron parameter `input`:
    /// [`PoissonInput`](super::mlgenn::PoissonInput),
    /// [`IntegrateFireInput`](super::mlgenn::IntegrateFireInput), ...):
    /// the input becomes a sequence of `frames` frames, each held for
    /// `frame_timesteps` steps, given by [`Simulation::set_input`]. Frames
    /// start all zero.
    pub fn input_frames(&mut self, pop: PopId, frames: usize, frame_timesteps: u32) -> Result<()> {
        let p = self.pop(pop)?;
        let owner = format!("population '{}'", p.name);
        let slot = input_slot(&owner, p)?;
        if p.feed.is_some() {
            return Err(Error::invalid(owner, "it already has an input table"));
        }
        if frames == 0 || frame_timesteps == 0 {
            return Err(Error::invalid(
                owner,
                format!(
                    "input_frames and input_frame_timesteps must be at least 1, got {frames} and {frame_timesteps}"
                ),
            ));
        }
        let n = p.size();
        let starts = frame_starts(&owner, frames, frame_timesteps)?;
        self.pops[pop.0].feed = Some(Feed::Rows {
            slot,
            width: n,
            values: vec![0.0; frames * n],
            starts,
            period: 0,
        });
        Ok(())
    }
}

fn input_slot(owner: &str, p: &crate::network::Population) -> Result<usize> {
    match p.ir.slot("input") {
        Some(s) if p.ir.vars[s as usize].locality == Locality::Local => Ok(s as usize),
        _ => Err(Error::invalid(
            owner,
            format!(
                "model '{}' has no per-neuron parameter 'input' (ml_genn's input neurons have it)",
                p.model.model_name()
            ),
        )),
    }
}

fn frame_starts(owner: &str, frames: usize, frame_timesteps: u32) -> Result<Vec<u32>> {
    (0..frames as u64)
        .map(|f| {
            u32::try_from(f * u64::from(frame_timesteps))
                .map_err(|_| Error::invalid(owner, "the frames last more than 2^32 steps"))
        })
        .collect()
}

impl Simulation {
    /// ml_genn's `set_input`: the examples of an input population, one per
    /// batch element. `input` has the shape of one element (`geometry`,
    /// batch of 1 only) or `[examples, geometry...]` with at most
    /// `batch_size` examples (the elements without one get zeros); with
    /// [`Network::input_frames`], `[frames, geometry...]` or `[examples,
    /// frames, geometry...]`. Written into the neurons' `input`.
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// use cajal::models::mlgenn::IntegrateFireInput;
    /// let mut net = Network::new().dt(1.0);
    /// let inp = net.population("in", 2, &IntegrateFireInput::default().neuron())?;
    /// let mut sim = net.compile_batched(Backend::Cpu, 3)?;
    /// sim.set_input(inp, ndarray::array![[0.5f32, 1.0], [0.25, 0.0]].view().into_dyn())?;
    /// assert_eq!(sim.get(inp, "input")?.as_slice().unwrap(), &[0.5, 1.0, 0.25, 0.0, 0.0, 0.0]);
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn set_input(&mut self, pop: PopId, input: ArrayViewD<f32>) -> Result<()> {
        let p = self.network().pop(pop)?;
        let owner = format!("population '{}'", p.name);
        let slot = input_slot(&owner, p)?;
        let batch = self.batch_size();
        let element: Vec<usize> = p.geometry.dims()[usize::from(batch > 1)..].to_vec();
        let n: usize = element.iter().product();
        let frames = match &p.feed {
            Some(Feed::Rows {
                slot: s, starts, ..
            }) if *s == slot => Some((starts.clone(), starts.len())),
            _ => None,
        };
        let per_example: Vec<usize> = match &frames {
            Some((_, f)) => std::iter::once(*f).chain(element.iter().copied()).collect(),
            None => element.clone(),
        };
        let shape = input.shape();
        let examples = if shape == per_example.as_slice() {
            1
        } else if shape.len() == per_example.len() + 1 && shape[1..] == per_example[..] {
            shape[0]
        } else {
            return Err(Error::Shape {
                owner,
                message: format!(
                    "expected {per_example:?} or [examples, {}], got {shape:?}",
                    per_example
                        .iter()
                        .map(|d| d.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        };
        if examples > batch {
            return Err(Error::Shape {
                owner,
                message: format!("{examples} examples for a batch of {batch}"),
            });
        }
        if let Some(v) = input.iter().find(|v| !v.is_finite()) {
            return Err(Error::invalid(
                owner,
                format!("an input is not finite ({v})"),
            ));
        }
        let flat: Vec<f32> = input.iter().copied().collect();
        match frames {
            None => {
                let mut all = flat;
                all.resize(batch * n, 0.0);
                let dims = p.geometry.dims().to_vec();
                self.set(
                    pop,
                    "input",
                    ArrayD::from_shape_vec(IxDyn(&dims), all).expect("the batched shape"),
                )
            }
            Some((starts, f)) => {
                // Row `k` holds frame `k` of every element, one after the other.
                let mut values = vec![0.0; f * batch * n];
                for (e, example) in flat.chunks(f * n).enumerate() {
                    for (k, frame) in example.chunks(n).enumerate() {
                        let at = (k * batch + e) * n;
                        values[at..at + n].copy_from_slice(frame);
                    }
                }
                let feed = Feed::Rows {
                    slot,
                    width: batch * n,
                    values,
                    starts,
                    period: 0,
                };
                self.replace_feed(pop, feed)
            }
        }
    }

    /// ml_genn's `set_input` of a [`SpikeInput`](Network::spike_input): one
    /// example per batch element (at most `batch_size`; the others get no
    /// spikes), each a list of `(time in ms, neuron rank)`. A neuron spikes
    /// at the first step whose time is at least the spike's time (ml_genn's
    /// `t >= SpikeTimes[StartSpike]`); several spikes of one neuron due in
    /// the same step leave in consecutive steps, one a step, as ml_genn's
    /// queue of spike times. Steps count from the last reset. Errors: more
    /// spikes than `max_spikes` in all, a rank out of range, a negative or
    /// non-finite time.
    pub fn set_input_spikes(&mut self, pop: PopId, examples: &[Vec<(f64, u32)>]) -> Result<()> {
        let p = self.network().pop(pop)?;
        let owner = format!("population '{}'", p.name);
        let (Some(Feed::Events { slot, .. }), Some(_)) = (&p.feed, p.ir.slot("max_spikes")) else {
            return Err(Error::invalid(
                owner,
                "set_input_spikes applies to a SpikeInput (Network::spike_input)",
            ));
        };
        let slot = *slot;
        let max_spikes = self
            .get(pop, "max_spikes")?
            .iter()
            .next()
            .copied()
            .unwrap_or(0.0) as usize;
        let batch = self.batch_size();
        let n = p.size() / batch;
        if examples.len() > batch {
            return Err(Error::Shape {
                owner,
                message: format!("{} examples for a batch of {batch}", examples.len()),
            });
        }
        let total: usize = examples.iter().map(Vec::len).sum();
        if total > max_spikes {
            return Err(Error::invalid(
                owner,
                format!("{total} spikes do not fit in max_spikes = {max_spikes}"),
            ));
        }
        let dt = self.dt();
        let mut per_neuron: Vec<Vec<u32>> = vec![Vec::new(); batch * n];
        for (e, ex) in examples.iter().enumerate() {
            for &(t, i) in ex {
                if i as usize >= n {
                    return Err(Error::invalid(
                        owner,
                        format!("example {e} has a spike of neuron {i}, out of range (size {n})"),
                    ));
                }
                // The first step with step * dt >= t (a relative tolerance
                // keeps 0.3 / 0.1 from becoming 4).
                let s = (t / dt * (1.0 - 1e-9)).ceil();
                if !(t.is_finite() && t >= 0.0 && s < f64::from(u32::MAX) - total as f64) {
                    return Err(Error::invalid(
                        owner,
                        format!(
                            "example {e}: spike times must be finite and non-negative, got {t}"
                        ),
                    ));
                }
                per_neuron[e * n + i as usize].push(s as u32);
            }
        }
        let mut ptr = Vec::with_capacity(batch * n + 1);
        let mut steps = Vec::with_capacity(total);
        ptr.push(0);
        for mut own in per_neuron {
            own.sort_unstable();
            // One spike a step: a spike due while another leaves waits.
            let mut next = 0u32;
            for s in own {
                let s = s.max(next);
                steps.push(s);
                next = s + 1;
            }
            ptr.push(steps.len() as u32);
        }
        self.replace_feed(pop, Feed::Events { slot, ptr, steps })
    }
}

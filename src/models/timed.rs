//! Inputs given ahead of time, as ANNarchy's: `TimedArray` (a sequence of
//! rates presented on a schedule), `TimedPoissonPopulation` (Poisson
//! neurons whose rates follow a schedule), `SpikeSourceArray` (spike times
//! per neuron) and `InputArray` (values set from the host).
//!
//! The first three are ordinary neuron models whose driving variable is
//! written each step from an input table ([`Feed`]) by the neuron update
//! itself, on the GPU as on the CPU: no host round trip per switch, and
//! reset, `set_time` and load replay the table from the right step.

use ndarray::{Array, Array2, Dimension};

use crate::engine::Simulation;
use crate::error::{Error, Result};
use crate::network::feed::Feed;
use crate::network::geometry::{Geometry, IntoGeometry};
use crate::network::model::Neuron;
use crate::network::{Network, PopId};

/// When the rows of a timed input are presented.
#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    /// Row `k` from `k * interval` ms on; 0 means every step (ANNarchy's
    /// default).
    Every(f64),
    /// Row `k` from the `k`-th time (ms, increasing), one time per row.
    At(Vec<f64>),
}

impl From<f64> for Schedule {
    fn from(interval: f64) -> Self {
        Schedule::Every(interval)
    }
}

impl From<Vec<f64>> for Schedule {
    fn from(times: Vec<f64>) -> Self {
        Schedule::At(times)
    }
}

impl Schedule {
    /// Start time (ms) of each of `rows` rows.
    fn starts(&self, owner: &str, rows: usize, dt: f64) -> Result<Vec<f64>> {
        match self {
            Schedule::Every(x) if x.is_finite() && *x >= 0.0 => {
                let x = if *x == 0.0 { dt } else { *x };
                Ok((0..rows).map(|k| k as f64 * x).collect())
            }
            Schedule::Every(x) => Err(Error::invalid(
                owner,
                format!("the schedule interval must be a non-negative number of ms, got {x}"),
            )),
            Schedule::At(t) if t.len() == rows => Ok(t.clone()),
            Schedule::At(t) => Err(Error::Shape {
                owner: owner.to_string(),
                message: format!("{} schedule times for {rows} rows of inputs", t.len()),
            }),
        }
    }
}

/// ANNarchy's `TimedArray` neuron: a rate-coded neuron whose `r` the input
/// table sets.
pub fn timed_array_neuron() -> Neuron {
    Neuron::rate().name("TimedArray").parameters("r = 0.0")
}

/// ANNarchy's `TimedPoissonPopulation` neuron: Poisson spikes at `rates`
/// (Hz), which the input table sets.
pub fn timed_poisson_neuron() -> Neuron {
    Neuron::spiking()
        .name("TimedPoisson")
        .parameters("rates = 0.0")
        .equations("p = Uniform(0.0, 1.0) * 1000.0 / dt")
        .spike("p < rates")
}

/// ANNarchy's `SpikeSourceArray` neuron: spikes when the input table says
/// so (`emit` is 1 at a listed step).
pub fn spike_source_neuron() -> Neuron {
    Neuron::spiking()
        .name("SpikeSourceArray")
        .parameters("emit = 0.0")
        .spike("emit > 0.5")
}

/// ANNarchy's `InputArray` neuron: a rate-coded neuron whose `r` only the
/// host changes (`Simulation::set`).
pub fn input_array_neuron() -> Neuron {
    Neuron::rate().name("InputArray").parameters("r = 0.0")
}

fn slot(net: &Network, pop: PopId, var: &str) -> Result<usize> {
    let p = net.pop(pop)?;
    crate::network::slot_of(p, var)
}

/// Rows of a `(time, neurons...)` array: (geometry of one row, values).
fn split_rows<D: Dimension>(
    owner: &str,
    rates: &Array<f32, D>,
) -> Result<(usize, Geometry, Vec<f32>)> {
    let shape = rates.shape();
    if shape.is_empty() || shape[0] == 0 {
        return Err(Error::Shape {
            owner: owner.to_string(),
            message: format!(
                "the inputs must have a first (time) dimension with at least one row, got shape {shape:?}"
            ),
        });
    }
    let geometry = if shape.len() == 1 {
        Geometry::new(&[1])?
    } else {
        Geometry::new(&shape[1..])?
    };
    Ok((shape[0], geometry, rates.iter().copied().collect()))
}

impl Network {
    /// ANNarchy's `TimedArray`: a rate-coded population whose `r` takes the
    /// rows of `rates` (shape `(T, geometry...)`; a 1-D array is one neuron)
    /// in turn, on `schedule`; after the last row it keeps it, unless
    /// `period_ms` (> 0; 0 or -1: none) starts the schedule over.
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// use ndarray::array;
    /// let mut net = Network::new().dt(1.0);
    /// // Two neurons, three rows, each for 10 ms, repeated every 50 ms.
    /// let inp = net.timed_array("inp", &array![[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]], 10.0, 50.0)?;
    /// let mut sim = net.compile(Backend::Cpu)?;
    /// sim.simulate(15.0)?;
    /// assert_eq!(sim.get(inp, "r")?.as_slice().unwrap(), &[2.0, 3.0]);
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn timed_array<D: Dimension>(
        &mut self,
        name: &str,
        rates: &Array<f32, D>,
        schedule: impl Into<Schedule>,
        period_ms: f64,
    ) -> Result<PopId> {
        let owner = format!("population '{name}'");
        let (rows, geometry, values) = split_rows(&owner, rates)?;
        let feed_of = |slot| -> Result<Feed> {
            let starts = schedule.into().starts(&owner, rows, self.dt)?;
            Feed::rows(
                &owner,
                slot,
                geometry.size(),
                values,
                &starts,
                period_ms,
                self.dt,
            )
        };
        // Checked before the population exists, so that a bad input adds nothing.
        let feed = feed_of(0)?;
        let pop = self.population(name, geometry, &timed_array_neuron())?;
        let slot = slot(self, pop, "r")?;
        self.pops[pop.0].feed = Some(feed.with_slot(slot));
        Ok(pop)
    }

    /// ANNarchy's `TimedPoissonPopulation`: Poisson neurons whose rates
    /// (Hz) take the rows of `rates` (shape `(T, n)`, or `(T, 1)` for one
    /// rate shared by all) in turn, on `schedule`, repeated every
    /// `period_ms` if > 0.
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// use ndarray::array;
    /// let mut net = Network::new().dt(0.1);
    /// // 100 neurons: silent for 100 ms, then 50 Hz, then 10 Hz from 300 ms on.
    /// let p = net.timed_poisson_population("p", 100, &array![[0.0], [50.0], [10.0]], vec![0.0, 100.0, 300.0], -1.0)?;
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn timed_poisson_population(
        &mut self,
        name: &str,
        geometry: impl IntoGeometry,
        rates: &Array2<f32>,
        schedule: impl Into<Schedule>,
        period_ms: f64,
    ) -> Result<PopId> {
        let owner = format!("population '{name}'");
        let geometry = geometry.into_geometry()?;
        let feed = timed_rates(
            &owner,
            geometry.size(),
            rates,
            schedule.into(),
            period_ms,
            self.dt,
        )?;
        let pop = self.population(name, geometry, &timed_poisson_neuron())?;
        let slot = slot(self, pop, "rates")?;
        self.pops[pop.0].feed = Some(feed.with_slot(slot));
        Ok(pop)
    }

    /// ANNarchy's `SpikeSourceArray`: neuron `i` spikes at the times (ms)
    /// of `spike_times[i]`, each rounded to the nearest step. A reset plays
    /// them again from the start; [`Simulation::set_spike_times`] changes them.
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// let mut net = Network::new().dt(0.1);
    /// let src = net.spike_source_array("src", vec![vec![1.0, 5.0], vec![], vec![2.5]])?;
    /// let m = net.monitor(src, &["spike"])?;
    /// let mut sim = net.compile(Backend::Cpu)?;
    /// sim.simulate(10.0)?;
    /// assert_eq!(sim.spikes(m)?.len(), 3);
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn spike_source_array(&mut self, name: &str, spike_times: Vec<Vec<f64>>) -> Result<PopId> {
        let owner = format!("population '{name}'");
        if spike_times.is_empty() {
            return Err(Error::Shape {
                owner,
                message: "a SpikeSourceArray needs at least one neuron (one list of times each)"
                    .into(),
            });
        }
        let feed = Feed::events(&owner, 0, &spike_times, self.dt)?;
        let pop = self.population(name, spike_times.len(), &spike_source_neuron())?;
        let slot = slot(self, pop, "emit")?;
        self.pops[pop.0].feed = Some(feed.with_slot(slot));
        Ok(pop)
    }

    /// ANNarchy's `InputArray`: a rate-coded population whose `r` the host
    /// sets (`Simulation::set(pop, "r", ...)`) and no equation changes.
    pub fn input_array(&mut self, name: &str, geometry: impl IntoGeometry) -> Result<PopId> {
        self.population(name, geometry, &input_array_neuron())
    }
}

/// The input table of a rate schedule (`rates`: `(T, n)` or `(T, 1)`).
fn timed_rates(
    owner: &str,
    n: usize,
    rates: &Array2<f32>,
    schedule: Schedule,
    period_ms: f64,
    dt: f64,
) -> Result<Feed> {
    let (rows, width) = rates.dim();
    if rows == 0 || (width != n && width != 1) {
        return Err(Error::Shape {
            owner: owner.to_string(),
            message: format!(
                "rates of shape ({rows}, {width}): expected (rows >= 1, {n}) or (rows >= 1, 1) for {n} neurons"
            ),
        });
    }
    if let Some(r) = rates.iter().find(|r| !(r.is_finite() && **r >= 0.0)) {
        return Err(Error::invalid(
            owner,
            format!("rates must be finite and non-negative, got {r}"),
        ));
    }
    let starts = schedule.starts(owner, rows, dt)?;
    Feed::rows(
        owner,
        0,
        width,
        rates.iter().copied().collect(),
        &starts,
        period_ms,
        dt,
    )
}

/// A SpikeSourceArray's new table of spike times, in the slot of its
/// `old` one, with as many lists as it has neurons.
fn events_like(
    owner: String,
    old: Option<&Feed>,
    spike_times: &[Vec<f64>],
    dt: f64,
) -> Result<Feed> {
    let Some(Feed::Events { slot, ptr, .. }) = old else {
        return Err(Error::invalid(
            owner,
            "set_spike_times applies to a SpikeSourceArray",
        ));
    };
    if spike_times.len() + 1 != ptr.len() {
        return Err(Error::Shape {
            owner,
            message: format!(
                "{} lists of spike times for {} neurons",
                spike_times.len(),
                ptr.len() - 1
            ),
        });
    }
    Feed::events(&owner, *slot, spike_times, dt)
}

impl Network {
    /// Replaces the spike times of a SpikeSourceArray before compiling
    /// (one list per neuron, ms), as ANNarchy's `pop.spike_times = ...`.
    pub fn set_spike_times(&mut self, pop: PopId, spike_times: Vec<Vec<f64>>) -> Result<()> {
        let p = self.pop(pop)?;
        let owner = format!("population '{}'", p.name);
        let feed = events_like(owner, p.feed.as_ref(), &spike_times, self.dt)?;
        self.pops[pop.0].feed = Some(feed);
        Ok(())
    }
}

impl Simulation {
    /// Replaces the spike times of a SpikeSourceArray (one list per
    /// neuron, ms), from the next step on; times already past are not
    /// replayed unless the simulation is reset.
    pub fn set_spike_times(&mut self, pop: PopId, spike_times: Vec<Vec<f64>>) -> Result<()> {
        let (owner, old) = self.feed_of(pop)?;
        let feed = events_like(owner, Some(&old), &spike_times, self.network().dt)?;
        self.replace_feed(pop, feed)
    }

    /// Replaces the rows of a TimedArray (`rates`: `(T, geometry...)`) or
    /// of a TimedPoissonPopulation (`(T, n)` or `(T, 1)`), their schedule
    /// and period, as ANNarchy's `update()`.
    pub fn update_timed<D: Dimension>(
        &mut self,
        pop: PopId,
        rates: &Array<f32, D>,
        schedule: impl Into<Schedule>,
        period_ms: f64,
    ) -> Result<()> {
        let (owner, old) = self.feed_of(pop)?;
        let Feed::Rows { slot, .. } = old else {
            return Err(Error::invalid(
                owner,
                "update_timed applies to a TimedArray or a TimedPoissonPopulation",
            ));
        };
        let dt = self.network().dt;
        let n = self.network().pop(pop)?.size();
        let rate_coded = !self.network().pop(pop)?.ir.spiking;
        let feed = if rate_coded {
            let (rows, geometry, values) = split_rows(&owner, rates)?;
            if geometry.size() != n {
                return Err(Error::Shape {
                    owner,
                    message: format!("rows of {} values for {n} neurons", geometry.size()),
                });
            }
            let starts = schedule.into().starts(&owner, rows, dt)?;
            Feed::rows(&owner, slot, n, values, &starts, period_ms, dt)?
        } else {
            let shape = rates.shape();
            let rows = shape.first().copied().unwrap_or(0);
            let rest = shape.iter().skip(1).product::<usize>();
            let two = Array2::from_shape_vec((rows, rest), rates.iter().copied().collect())
                .map_err(|e| Error::Shape {
                    owner: owner.clone(),
                    message: e.to_string(),
                })?;
            timed_rates(&owner, n, &two, schedule.into(), period_ms, dt)?.with_slot(slot)
        };
        self.replace_feed(pop, feed)
    }

    fn feed_of(&self, pop: PopId) -> Result<(String, Feed)> {
        let p = self.network().pop(pop)?;
        let owner = format!("population '{}'", p.name);
        match &p.feed {
            Some(f) => Ok((owner, f.clone())),
            None => Err(Error::invalid(
                owner,
                "it has no input table (not a timed input)",
            )),
        }
    }
}

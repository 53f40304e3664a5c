//! Input tables: values the host gives a population ahead of time, which
//! the neuron update writes into one of its variables at the start of each
//! step (before the equations). TimedArray, TimedPoissonPopulation and
//! SpikeSourceArray are built on them.
//!
//! A table lookup is a pure function of the step number, so reset,
//! `set_time`, `set_current_step` and load need nothing more: the next step
//! reads the right row. Both engines run the same lookup (CPU:
//! [`Feed::value`]; GPU: the prologue of the generated `neuron_update`,
//! which reads [`Feed::words`]).

use crate::error::{Error, Result};

/// One population's input table.
#[derive(Debug, Clone, PartialEq)]
pub enum Feed {
    /// Rows presented in turn: from step `starts[k]` on, the variable takes
    /// row `k` (one value per neuron, or one for all). Before `starts[0]`
    /// the variable keeps its value; after the last start it keeps the last
    /// row, unless `period` (steps, > 0) makes the schedule start over.
    Rows {
        /// The variable written.
        slot: usize,
        /// Values per row: the population size, or 1 (shared by all).
        width: usize,
        /// Rows, one after the other.
        values: Vec<f32>,
        /// First step of each row, strictly increasing.
        starts: Vec<u32>,
        /// Steps after which the schedule repeats; 0: never.
        period: u32,
    },
    /// Spike steps per neuron: the variable is 1 at a listed step, 0
    /// otherwise (the model spikes on it).
    Events {
        /// The variable written.
        slot: usize,
        /// Neuron `i`'s steps are `steps[ptr[i]..ptr[i + 1]]`.
        ptr: Vec<u32>,
        /// Sorted, distinct steps of each neuron.
        steps: Vec<u32>,
    },
}

impl Feed {
    /// The variable the table writes.
    pub fn slot(&self) -> usize {
        match self {
            Feed::Rows { slot, .. } | Feed::Events { slot, .. } => *slot,
        }
    }

    /// The same table writing another variable.
    pub(crate) fn with_slot(mut self, s: usize) -> Feed {
        match &mut self {
            Feed::Rows { slot, .. } | Feed::Events { slot, .. } => *slot = s,
        }
        self
    }

    /// Rows from per-row values and start times in ms (`dt` the step):
    /// `starts_ms` strictly increasing, `period_ms` 0 or after the last
    /// start.
    pub(crate) fn rows(
        owner: &str,
        slot: usize,
        width: usize,
        values: Vec<f32>,
        starts_ms: &[f64],
        period_ms: f64,
        dt: f64,
    ) -> Result<Feed> {
        let bad = |m: String| Error::invalid(owner, m);
        if starts_ms.is_empty() {
            return Err(bad("no rows to present".into()));
        }
        if values.len() != starts_ms.len() * width {
            return Err(Error::Shape {
                owner: owner.to_string(),
                message: format!(
                    "{} values for {} rows of {width}",
                    values.len(),
                    starts_ms.len()
                ),
            });
        }
        if let Some(v) = values.iter().find(|v| !v.is_finite()) {
            return Err(bad(format!("a value is not finite ({v})")));
        }
        let starts = starts_ms
            .iter()
            .map(|&t| to_step(owner, "a start time", t, dt))
            .collect::<Result<Vec<u32>>>()?;
        if let Some(k) = starts.windows(2).position(|w| w[1] <= w[0]) {
            return Err(bad(format!(
                "start times must increase by at least one step (dt = {dt} ms): {} ms then {} ms",
                starts_ms[k],
                starts_ms[k + 1]
            )));
        }
        let period = if period_ms > 0.0 {
            to_step(owner, "the period", period_ms, dt)?
        } else if period_ms == 0.0 || period_ms == -1.0 {
            0
        } else {
            return Err(bad(format!(
                "the period must be positive (or 0 / -1: none), got {period_ms} ms"
            )));
        };
        if period > 0 && period <= *starts.last().unwrap_or(&0) {
            return Err(bad(format!(
                "the period ({period_ms} ms) must end after the last row starts ({} ms)",
                starts_ms.last().copied().unwrap_or(0.0)
            )));
        }
        Ok(Feed::Rows {
            slot,
            width,
            values,
            starts,
            period,
        })
    }

    /// Spike events from spike times in ms per neuron (any order; a time
    /// is rounded to the nearest step, and two times in one step make one
    /// spike).
    pub(crate) fn events(owner: &str, slot: usize, times: &[Vec<f64>], dt: f64) -> Result<Feed> {
        let mut ptr = Vec::with_capacity(times.len() + 1);
        let mut steps = Vec::new();
        ptr.push(0);
        for (i, ts) in times.iter().enumerate() {
            let mut s = ts
                .iter()
                .map(|&t| to_step(owner, &format!("spike time of neuron {i}"), t, dt))
                .collect::<Result<Vec<u32>>>()?;
            s.sort_unstable();
            s.dedup();
            steps.extend(s);
            if steps.len() > u32::MAX as usize {
                return Err(Error::invalid(owner, "too many spike times"));
            }
            ptr.push(steps.len() as u32);
        }
        Ok(Feed::Events { slot, ptr, steps })
    }

    /// The row presented at `step`, if any.
    pub fn row(&self, step: u32) -> Option<usize> {
        match self {
            Feed::Rows { starts, period, .. } => {
                let s = if *period > 0 { step % period } else { step };
                starts.partition_point(|&x| x <= s).checked_sub(1)
            }
            Feed::Events { .. } => None,
        }
    }

    /// The value the table gives neuron `i` at `step` (`None`: the variable
    /// keeps its value). The CPU twin of the `neuron_update` prologue.
    pub fn value(&self, step: u32, i: usize) -> Option<f32> {
        match self {
            Feed::Rows { width, values, .. } => {
                self.row(step).map(|k| values[k * width + i.min(width - 1)])
            }
            Feed::Events { ptr, steps, .. } => {
                let own = &steps[ptr[i] as usize..ptr[i + 1] as usize];
                Some(if own.binary_search(&step).is_ok() {
                    1.0
                } else {
                    0.0
                })
            }
        }
    }

    /// Writes the step's values into the variable (CPU engine).
    pub fn apply<R: crate::real::Real>(&self, step: u32, var: &mut [R]) {
        match self {
            Feed::Rows { width, values, .. } => {
                if let Some(k) = self.row(step) {
                    let row = &values[k * width..(k + 1) * width];
                    if *width == 1 {
                        var.fill(R::of32(row[0]));
                    } else {
                        var.iter_mut().zip(row).for_each(|(v, &x)| *v = R::of32(x));
                    }
                }
            }
            Feed::Events { .. } => {
                for (i, v) in var.iter_mut().enumerate() {
                    *v = R::of32(self.value(step, i).unwrap_or(0.0));
                }
            }
        }
    }

    /// The table as the GPU kernel reads it (`array<u32>`).
    ///
    /// Rows: `[period, number of rows, width, starts..., values as f32 bits...]`.
    /// Events: `[ptr (n + 1 entries, offsets into the steps)..., steps...]`.
    pub fn words(&self) -> Vec<u32> {
        match self {
            Feed::Rows {
                width,
                values,
                starts,
                period,
                ..
            } => {
                let mut w = vec![*period, starts.len() as u32, *width as u32];
                w.extend_from_slice(starts);
                w.extend(values.iter().map(|v| v.to_bits()));
                w
            }
            Feed::Events { ptr, steps, .. } => {
                let mut w = ptr.clone();
                w.extend_from_slice(steps);
                // WGSL storage arrays cannot be empty.
                w.push(0);
                w
            }
        }
    }
}

/// A time in ms as a step number (rounded to the nearest step).
fn to_step(owner: &str, what: &str, t: f64, dt: f64) -> Result<u32> {
    let s = (t / dt).round();
    if !(t.is_finite() && t >= 0.0 && s <= u32::MAX as f64) {
        return Err(Error::invalid(
            owner,
            format!("{what} must be a finite, non-negative time in ms, got {t}"),
        ));
    }
    Ok(s as u32)
}

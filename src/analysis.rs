//! Spike-train analysis, as ANNarchy's `Monitor` helpers provide it:
//! [`raster_plot`], [`histogram`], [`inter_spike_interval`],
//! [`coefficient_of_variation`], [`population_rate`], [`smoothed_rate`] and
//! [`mean_fr`].
//!
//! Every function is pure and works on spikes as
//! [`Simulation::spikes`](crate::engine::Simulation::spikes) returns them:
//! `(step, neuron rank)` pairs sorted by step, a step lasting `dt` ms.
//! Times and intervals come back in ms, rates in Hz. Invalid arguments
//! (`dt <= 0`, a bin shorter than half a step, a rank `>= n_neurons`,
//! spikes out of order) are an [`Error::Invalid`], never a panic.
//!
//! Where ANNarchy's offline functions measure time from the first recorded
//! spike, these measure it from step 0, the start of the simulation, so that
//! index `k` of a per-step result is step `k` (ANNarchy's `Monitor` methods
//! do the same when the recording started at step 0).

use ndarray::Array2;

use crate::error::{Error, Result};

/// Inter-spike intervals (ms), as [`inter_spike_interval`] returns them.
#[derive(Debug, Clone, PartialEq)]
pub enum Isi {
    /// All intervals of all neurons, neuron after neuron in rank order.
    Flat(Vec<f64>),
    /// One vector per neuron, indexed by rank; empty for a neuron with fewer
    /// than two spikes.
    PerNeuron(Vec<Vec<f64>>),
}

impl Isi {
    /// All intervals in one vector, neuron after neuron in rank order.
    pub fn into_flat(self) -> Vec<f64> {
        match self {
            Isi::Flat(v) => v,
            Isi::PerNeuron(v) => v.into_iter().flatten().collect(),
        }
    }
}

/// Coefficients of variation, as [`coefficient_of_variation`] returns them.
#[derive(Debug, Clone, PartialEq)]
pub enum Cv {
    /// The CV of every neuron that has one (at least two intervals), in rank
    /// order, without the ranks.
    Flat(Vec<f64>),
    /// One entry per neuron, indexed by rank: `None` for a neuron with fewer
    /// than two intervals (three spikes).
    PerNeuron(Vec<Option<f64>>),
}

impl Cv {
    /// The defined coefficients in rank order, without the ranks.
    pub fn into_flat(self) -> Vec<f64> {
        match self {
            Cv::Flat(v) => v,
            Cv::PerNeuron(v) => v.into_iter().flatten().collect(),
        }
    }
}

fn check_dt(owner: &str, dt: f64) -> Result<()> {
    if dt.is_finite() && dt > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(
            owner,
            format!("dt must be a positive number of ms, got {dt}"),
        ))
    }
}

fn check_smooth(owner: &str, smooth_ms: f64) -> Result<()> {
    if smooth_ms.is_finite() && smooth_ms >= 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(
            owner,
            format!(
                "the smoothing time constant must be a non-negative number of ms, got {smooth_ms}"
            ),
        ))
    }
}

/// A number of ms as a whole number of steps (nearest), checked.
fn to_steps(owner: &str, what: &str, ms: f64, dt: f64) -> Result<u64> {
    if !(ms.is_finite() && ms >= 0.0) {
        return Err(Error::invalid(
            owner,
            format!("{what} must be a non-negative number of ms, got {ms}"),
        ));
    }
    let steps = (ms / dt).round();
    if steps > u64::MAX as f64 / 2.0 {
        return Err(Error::invalid(
            owner,
            format!("{what} of {ms} ms is too long"),
        ));
    }
    Ok(steps as u64)
}

/// Splits the spikes into one sorted train of steps per neuron, checking the
/// ranks, the order by step and that no neuron spikes twice in one step.
fn trains(owner: &str, spikes: &[(u64, u32)], n_neurons: usize) -> Result<Vec<Vec<u64>>> {
    let mut out = vec![Vec::new(); n_neurons];
    let mut prev = 0;
    for &(step, rank) in spikes {
        if step < prev {
            return Err(Error::invalid(
                owner,
                format!("spikes must be sorted by step: step {step} comes after step {prev}"),
            ));
        }
        prev = step;
        let train: &mut Vec<u64> = out.get_mut(rank as usize).ok_or_else(|| {
            Error::invalid(
                owner,
                format!("neuron rank {rank} is out of range for {n_neurons} neurons"),
            )
        })?;
        if train.last() == Some(&step) {
            return Err(Error::invalid(
                owner,
                format!("neuron {rank} spikes twice at step {step}"),
            ));
        }
        train.push(step);
    }
    Ok(out)
}

/// Exponential smoothing in place, as ANNarchy does it:
/// `s[0] = r[0]`, `s[k+1] = s[k] + (r[k+1] - s[k]) * dt / smooth`.
fn smooth_in_place<'a>(values: impl Iterator<Item = &'a mut f64>, delta: f64) {
    let mut s: Option<f64> = None;
    for v in values {
        let next = match s {
            None => *v,
            Some(s) => s + (*v - s) * delta,
        };
        *v = next;
        s = Some(next);
    }
}

/// The spike times (ms, `step * dt`) and neuron ranks of every spike, ready
/// for a scatter plot, as ANNarchy's `raster_plot`.
///
/// The spikes keep their input order (by step); ANNarchy lists them neuron
/// after neuron, which a plot does not show.
///
/// ```
/// use cajal::analysis::raster_plot;
/// let (t, n) = raster_plot(&[(3, 0), (5, 2)], 0.5)?;
/// assert_eq!(t, vec![1.5, 2.5]);
/// assert_eq!(n, vec![0, 2]);
/// # Ok::<(), cajal::Error>(())
/// ```
pub fn raster_plot(spikes: &[(u64, u32)], dt: f64) -> Result<(Vec<f64>, Vec<u32>)> {
    check_dt("raster_plot", dt)?;
    Ok(spikes
        .iter()
        .map(|&(step, rank)| (step as f64 * dt, rank))
        .unzip())
}

/// Spike counts of all neurons together in bins of `bin_ms`, as ANNarchy's
/// `histogram` (without `per_neuron`).
///
/// Bin `i` counts the spikes of steps `[i * b, (i + 1) * b)`, where the bin
/// holds `b = round(bin_ms / dt)` steps (ANNarchy truncates `bins / dt`,
/// which turns 0.3 / 0.1 into 2; rounding keeps the bin the user meant).
/// Bins start at step 0. With `duration_ms`, the histogram covers steps
/// `[0, round(duration_ms / dt))` in `ceil(steps / b)` bins and ignores
/// later spikes (ANNarchy's `recording_window`); without it, the bins run to
/// the one holding the last spike (ANNarchy: up to the last spike, which
/// gives an empty histogram here when there is no spike at all).
///
/// Errors: `dt <= 0`, `bin_ms` not positive or shorter than half a step,
/// `duration_ms` negative.
///
/// ```
/// use cajal::analysis::histogram;
/// // dt = 1 ms, 2 ms bins: steps 0-1, 2-3, 4-5.
/// let h = histogram(&[(0, 0), (1, 1), (1, 2), (4, 0)], 1.0, 2.0, None)?;
/// assert_eq!(h, vec![3, 0, 1]);
/// # Ok::<(), cajal::Error>(())
/// ```
pub fn histogram(
    spikes: &[(u64, u32)],
    dt: f64,
    bin_ms: f64,
    duration_ms: Option<f64>,
) -> Result<Vec<u32>> {
    const OWNER: &str = "histogram";
    check_dt(OWNER, dt)?;
    if !(bin_ms.is_finite() && bin_ms > 0.0) {
        return Err(Error::invalid(
            OWNER,
            format!("the bin must be a positive number of ms, got {bin_ms}"),
        ));
    }
    let bin = to_steps(OWNER, "the bin", bin_ms, dt)?;
    if bin == 0 {
        return Err(Error::invalid(
            OWNER,
            format!("a bin of {bin_ms} ms is shorter than half a step of {dt} ms"),
        ));
    }
    let (n_bins, end) = match duration_ms {
        Some(d) => {
            let steps = to_steps(OWNER, "the duration", d, dt)?;
            (steps.div_ceil(bin), steps)
        }
        None => match spikes.iter().map(|s| s.0).max() {
            Some(last) => (last / bin + 1, u64::MAX),
            None => (0, 0),
        },
    };
    let mut h = vec![0u32; n_bins as usize];
    for &(step, _) in spikes {
        if step < end {
            h[(step / bin) as usize] += 1;
        }
    }
    Ok(h)
}

/// The inter-spike intervals (ms) of every neuron, as ANNarchy's
/// `inter_spike_interval`: the differences between a neuron's consecutive
/// spike times. A neuron with fewer than two spikes has none.
///
/// `per_neuron = false` gives [`Isi::Flat`], all intervals neuron after
/// neuron in rank order; `true` gives [`Isi::PerNeuron`], one vector per
/// rank (ANNarchy leaves the neurons without intervals out of its
/// dictionary; here their vector is empty).
///
/// Errors: `dt <= 0`, a rank `>= n_neurons`, spikes not sorted by step, a
/// neuron spiking twice in one step.
///
/// ```
/// use cajal::analysis::{inter_spike_interval, Isi};
/// // Neuron 0 spikes at steps 2, 5, 9; neuron 1 once. dt = 0.5 ms.
/// let spikes = [(2, 0), (4, 1), (5, 0), (9, 0)];
/// let isi = inter_spike_interval(&spikes, 0.5, 2, true)?;
/// assert_eq!(isi, Isi::PerNeuron(vec![vec![1.5, 2.0], vec![]]));
/// # Ok::<(), cajal::Error>(())
/// ```
pub fn inter_spike_interval(
    spikes: &[(u64, u32)],
    dt: f64,
    n_neurons: usize,
    per_neuron: bool,
) -> Result<Isi> {
    const OWNER: &str = "inter_spike_interval";
    check_dt(OWNER, dt)?;
    let per: Vec<Vec<f64>> = trains(OWNER, spikes, n_neurons)?
        .iter()
        .map(|t| t.windows(2).map(|w| (w[1] - w[0]) as f64 * dt).collect())
        .collect();
    Ok(if per_neuron {
        Isi::PerNeuron(per)
    } else {
        Isi::Flat(per.into_iter().flatten().collect())
    })
}

/// The coefficient of variation of each neuron's inter-spike intervals, as
/// ANNarchy's `coefficient_of_variation`: population standard deviation over
/// mean (numpy's `std / mean`, divisor `n`), about 1 for a Poisson train and
/// 0 for a regular one.
///
/// As in ANNarchy, a neuron with fewer than two intervals (three spikes) has
/// no CV: it is left out of [`Cv::Flat`] (which lists the defined CVs in rank
/// order, one per neuron, not the CV of the pooled intervals) and is `None`
/// in [`Cv::PerNeuron`] (`per_neuron = true`, indexed by rank).
///
/// Errors: those of [`inter_spike_interval`].
pub fn coefficient_of_variation(
    spikes: &[(u64, u32)],
    dt: f64,
    n_neurons: usize,
    per_neuron: bool,
) -> Result<Cv> {
    const OWNER: &str = "coefficient_of_variation";
    check_dt(OWNER, dt)?;
    let cvs: Vec<Option<f64>> = trains(OWNER, spikes, n_neurons)?
        .iter()
        .map(|t| {
            if t.len() < 3 {
                return None;
            }
            let isi: Vec<f64> = t.windows(2).map(|w| (w[1] - w[0]) as f64 * dt).collect();
            let n = isi.len() as f64;
            let mean = isi.iter().sum::<f64>() / n;
            let var = isi.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
            Some(var.sqrt() / mean)
        })
        .collect();
    Ok(if per_neuron {
        Cv::PerNeuron(cvs)
    } else {
        Cv::Flat(cvs.into_iter().flatten().collect())
    })
}

/// The firing rate (Hz) of the whole population at every step, as ANNarchy's
/// `population_rate`: the number of spikes in step `k` divided by
/// `n_neurons * dt / 1000`, then, when `smooth_ms > dt`, smoothed by the
/// first-order filter `s[0] = r[0]`, `s[k+1] = s[k] + (r[k+1] - s[k]) * dt /
/// smooth_ms` (ANNarchy returns the raw rate when `smooth <= dt`, and so
/// does this).
///
/// Index `k` is step `k`: the result runs from step 0 to the step of the last
/// spike (ANNarchy's offline function starts at the first spike); no spike
/// gives an empty vector. Averaged over the steps of a whole run, the
/// unsmoothed rate is [`mean_fr`] over that run, what
/// [`Simulation::population_rate`](crate::engine::Simulation::population_rate)
/// returns.
///
/// Errors: `dt <= 0`, `n_neurons == 0`, a rank `>= n_neurons`, `smooth_ms`
/// negative.
pub fn population_rate(
    spikes: &[(u64, u32)],
    dt: f64,
    n_neurons: usize,
    smooth_ms: f64,
) -> Result<Vec<f64>> {
    const OWNER: &str = "population_rate";
    check_dt(OWNER, dt)?;
    check_smooth(OWNER, smooth_ms)?;
    if n_neurons == 0 {
        return Err(Error::invalid(OWNER, "the population has no neuron"));
    }
    let Some(last) = spikes.iter().map(|s| s.0).max() else {
        return Ok(Vec::new());
    };
    let len = usize::try_from(last)
        .ok()
        .and_then(|l| l.checked_add(1))
        .ok_or_else(|| Error::invalid(OWNER, format!("step {last} is too far")))?;
    let mut counts = vec![0u32; len];
    for &(step, rank) in spikes {
        if rank as usize >= n_neurons {
            return Err(Error::invalid(
                OWNER,
                format!("neuron rank {rank} is out of range for {n_neurons} neurons"),
            ));
        }
        counts[step as usize] += 1;
    }
    let per_spike = 1000.0 / (dt * n_neurons as f64);
    let mut rates: Vec<f64> = counts.into_iter().map(|c| c as f64 * per_spike).collect();
    if smooth_ms > dt {
        smooth_in_place(rates.iter_mut(), dt / smooth_ms);
    }
    Ok(rates)
}

/// The firing rate (Hz) of every neuron at every step, as ANNarchy's
/// `smoothed_rate`: an array `[n_neurons, n_steps]` (first axis the neuron,
/// second the step, as in ANNarchy).
///
/// The instantaneous rate between two consecutive spikes of a neuron at steps
/// `a < b` is `1000 / ((b - a) * dt)` for the steps `[a, b)`; it is 0 before
/// the first spike and from the last spike on. Spikes at or after `n_steps`
/// still close the interval that runs into the window. When `smooth_ms >
/// dt`, each row is then smoothed as in [`population_rate`]:
/// `s[k+1] = s[k] + (r[k+1] - s[k]) * dt / smooth_ms`, `s[0] = r[0]`.
///
/// Differences from ANNarchy, where its code has quirks: ANNarchy ignores the
/// interval that starts with a spike at the very first recorded step (here
/// it counts like any other), and smooths for any `smooth > 0`, which with
/// `smooth < dt` overshoots (here `smooth_ms <= dt` means no smoothing, as in
/// ANNarchy's `population_rate`).
///
/// Errors: those of [`inter_spike_interval`], and `smooth_ms` negative.
pub fn smoothed_rate(
    spikes: &[(u64, u32)],
    dt: f64,
    n_neurons: usize,
    n_steps: usize,
    smooth_ms: f64,
) -> Result<Array2<f64>> {
    const OWNER: &str = "smoothed_rate";
    check_dt(OWNER, dt)?;
    check_smooth(OWNER, smooth_ms)?;
    let trains = trains(OWNER, spikes, n_neurons)?;
    let mut rates = Array2::<f64>::zeros((n_neurons, n_steps));
    let n = n_steps as u64;
    for (mut row, train) in rates.rows_mut().into_iter().zip(&trains) {
        for w in train.windows(2) {
            let (a, b) = (w[0], w[1]);
            if a >= n {
                break;
            }
            let r = 1000.0 / ((b - a) as f64 * dt);
            for k in a..b.min(n) {
                row[k as usize] = r;
            }
        }
        if smooth_ms > dt {
            smooth_in_place(row.iter_mut(), dt / smooth_ms);
        }
    }
    Ok(rates)
}

/// The mean firing rate (Hz) of the population over `duration_ms`, as
/// ANNarchy's `mean_fr`: the number of spikes divided by `n_neurons` and by
/// the duration in seconds. This is what
/// [`Simulation::population_rate`](crate::engine::Simulation::population_rate)
/// computes from a monitor.
///
/// Errors: `duration_ms <= 0`, `n_neurons == 0`.
pub fn mean_fr(spikes: &[(u64, u32)], n_neurons: usize, duration_ms: f64) -> Result<f64> {
    const OWNER: &str = "mean_fr";
    if !(duration_ms.is_finite() && duration_ms > 0.0) {
        return Err(Error::invalid(
            OWNER,
            format!("the duration must be a positive number of ms, got {duration_ms}"),
        ));
    }
    if n_neurons == 0 {
        return Err(Error::invalid(OWNER, "the population has no neuron"));
    }
    Ok(spikes.len() as f64 / n_neurons as f64 / (duration_ms / 1000.0))
}

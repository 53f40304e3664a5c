//! ANNarchy's `HomogeneousCorrelatedSpikeTrains`: Poisson-like spike trains
//! whose common rate follows an Ornstein-Uhlenbeck process, written in the
//! equation language (the rate is a `: population` variable, see
//! [`VarDecl::shared`](crate::lang::ir::VarDecl::shared)), so that both
//! engines draw the same spikes.
//!
//! The method is that of Brette, R. (2009), *Generation of correlated spike
//! trains*, Neural Computation 21(1), as implemented in Brian 1
//! (`brian/correlatedspikes.py`) and taken over by ANNarchy 5
//! (`ANNarchy/inputs/HomogeneousCorrelatedSpikeTrains.py`: the neuron, and
//! `_rectify`, which `_correction` calls for mu and sigma). The code here is
//! written anew from those formulas.
//!
//! ## What `corr` yields: the documentation, not ANNarchy 5.0.4.1's code
//!
//! The correction assumes that the rate `x` has the stationary standard
//! deviation `sigma`, so that the trains have the total correlation `corr`
//! (the integral of the cross-covariance function divided by the rate) and
//! the mean rate `rates`, as ANNarchy's documentation says. ANNarchy's
//! (and Brian 1's) noise term, `sqrt(dt/tau) * sigma * Normal(0, 1)`,
//! gives `x` the standard deviation `sigma / sqrt(2)` instead: its trains
//! have a total correlation of `corr / 2`, and under strong rectification
//! (small `rates * tau / corr`) a mean rate below `rates` (about 8 Hz for
//! its own example `rates = 10`, `corr = 0.3`, `tau = 10`). cajal follows
//! the documentation with `sqrt(2 dt / tau)`, the Euler form of the
//! Ornstein-Uhlenbeck process of standard deviation `sigma`;
//! `tests/engines/correlated.rs` measures the correlation and both rates.

use crate::error::{Error, Result};
use crate::network::geometry::IntoGeometry;
use crate::network::model::Neuron;
use crate::network::{Network, PopId};

/// `1 - erf(x)`, accurate to about 1e-13 relative (a power series below
/// 2.5 in magnitude, a continued fraction above).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    if z < 2.5 {
        // erf(z) = 2/sqrt(pi) * sum_n (-1)^n z^(2n+1) / (n! (2n+1))
        let (mut term, mut sum, mut n) = (z, z, 0.0);
        while term.abs() > 1e-17 * sum.abs() {
            n += 1.0;
            term *= -z * z / n;
            sum += term / (2.0 * n + 1.0);
        }
        let erf = sum * std::f64::consts::FRAC_2_SQRT_PI;
        return if x >= 0.0 { 1.0 - erf } else { 1.0 + erf };
    }
    // erfc(z) = exp(-z^2)/sqrt(pi) / (z + (1/2)/(z + 1/(z + (3/2)/(z + ...)))),
    // evaluated from the tail (60 terms are plenty for z >= 2.5).
    let mut f = z;
    for k in (1..=60).rev() {
        f = z + (k as f64 / 2.0) / f;
    }
    let c = (-z * z).exp() / std::f64::consts::PI.sqrt() / f;
    if x >= 0.0 {
        c
    } else {
        2.0 - c
    }
}

/// The standard normal density.
fn phi(y: f64) -> f64 {
    (-0.5 * y * y).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Mean and standard deviation of `max(X, 0)` for `X ~ N(y, 1)`
/// (Brette 2009, appendix A; `_rectified_gaussian` in ANNarchy).
fn rectified_unit(y: f64) -> (f64, f64) {
    let a = erfc(-y / std::f64::consts::SQRT_2); // 1 + erf(y / sqrt 2)
    let mean = phi(y) + 0.5 * y * a;
    let sd = ((y - mean) * mean + 0.5 * a).max(0.0).sqrt();
    (mean, sd)
}

/// ANNarchy's correction (`_rectify`, after Brian 1's
/// `inv_rectified_gaussian`): the mean `mu` and standard deviation `sigma`
/// (Hz) of the Gaussian whose rectification `max(x, 0)` has the mean
/// `rates` and the standard deviation `sqrt(corr * rates / (2 tau))`
/// (tau in seconds). With `corr = 0` (or `rates = 0`) it is
/// `(rates, 0)`. ANNarchy solves for `y = mu / sigma` with SciPy's secant
/// method; this solves the same equation by bisection (the ratio
/// mean / sd of the rectified Gaussian grows with `y`), which gives the
/// same root and does not fail to converge.
///
/// ```
/// use cajal::models::correlated::correction;
/// let (mu, sigma) = correction(50.0, 0.1, 10.0)?;
/// // Little rectification: mu and sigma are within 0.1% of the rate and of
/// // sqrt(0.1 * 50 / 0.02).
/// assert!((mu / 50.0 - 1.0).abs() < 1e-3 && (sigma / 250f64.sqrt() - 1.0).abs() < 1e-3);
/// assert_eq!(correction(20.0, 0.0, 10.0)?, (20.0, 0.0));
/// # Ok::<(), cajal::Error>(())
/// ```
pub fn correction(rates: f64, corr: f64, tau_ms: f64) -> Result<(f64, f64)> {
    check(rates, corr, tau_ms, "HomogeneousCorrelatedSpikeTrains")?;
    let sd = (corr * rates / (2.0 * tau_ms / 1000.0)).sqrt();
    if sd == 0.0 {
        return Ok((rates, 0.0));
    }
    let target = rates / sd;
    let ratio = |y: f64| {
        let (m, s) = rectified_unit(y);
        m / s
    };
    // Below -10 the rectified moments lose their digits to cancellation;
    // a target under ratio(-10) ~ 1e-11 needs rates under ~1e-20 Hz.
    let mut lo = -10.0;
    if ratio(lo) >= target {
        return Err(Error::invalid(
            "HomogeneousCorrelatedSpikeTrains",
            format!("rates = {rates:e} Hz is too small for corr = {corr} and tau = {tau_ms} ms: the rate process cannot be corrected for rectification"),
        ));
    }
    // ratio(y) > y for y > 0, so the root lies below max(target, 0) + 1.
    let mut hi = target.max(0.0) + 1.0;
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if ratio(mid) < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let y = 0.5 * (lo + hi);
    let sigma = rates / rectified_unit(y).0;
    Ok((y * sigma, sigma))
}

fn check(rates: f64, corr: f64, tau_ms: f64, owner: &str) -> Result<()> {
    if !(rates.is_finite() && rates >= 0.0) {
        return Err(Error::invalid(
            owner,
            format!("rates must be a finite, non-negative rate in Hz, got {rates}"),
        ));
    }
    if !(0.0..=1.0).contains(&corr) {
        return Err(Error::invalid(
            owner,
            format!("corr is a total correlation strength in [0, 1], got {corr}"),
        ));
    }
    if !(tau_ms.is_finite() && tau_ms > 0.0) {
        return Err(Error::invalid(
            owner,
            format!("tau is a positive time constant in ms, got {tau_ms}"),
        ));
    }
    Ok(())
}

/// The neuron of ANNarchy's `HomogeneousCorrelatedSpikeTrains` (model name
/// `HomogeneousCorrelated`), with `mu` and `sigma` computed by
/// [`correction`]:
///
/// ```text
/// parameters: tau, mu, sigma : population
/// equations:  x += dt*(mu - x)/tau + sqrt(2.0*dt/tau) * sigma * Normal(0.0, 1.0) : population, init = mu
///             p = Uniform(0.0, 1.0) * 1000.0 / dt
/// spike:      p < x
/// ```
///
/// The rate `x` (Hz) is shared by the population: its normal draw is the
/// same for every neuron, and each neuron spikes with probability
/// `x * dt / 1000` per step given `x`. Errors: `rates` negative or not
/// finite, `corr` outside [0, 1], `tau` not positive.
///
/// ```
/// use cajal::models::correlated::homogeneous_correlated_neuron;
/// let n = homogeneous_correlated_neuron(10.0, 0.3, 10.0)?;
/// assert_eq!(n.model_name(), "HomogeneousCorrelated");
/// assert!(homogeneous_correlated_neuron(10.0, 1.5, 10.0).is_err());
/// # Ok::<(), cajal::Error>(())
/// ```
pub fn homogeneous_correlated_neuron(rates: f32, corr: f32, tau: f32) -> Result<Neuron> {
    let (mu, sigma) = correction(rates as f64, corr as f64, tau as f64)?;
    // `{:?}` of an f64 reads back as the same f64, hence as the same f32.
    let (tau, mu, sigma) = (tau as f64, mu as f32 as f64, sigma as f32 as f64);
    Ok(Neuron::spiking()
        .name("HomogeneousCorrelated")
        .parameters(&format!(
            "tau = {tau:?} : population\nmu = {mu:?} : population\nsigma = {sigma:?} : population"
        ))
        .equations(
            "x += dt*(mu - x)/tau + sqrt(2.0*dt/tau) * sigma * Normal(0.0, 1.0) : population, init = mu\n\
             p = Uniform(0.0, 1.0) * 1000.0 / dt",
        )
        .spike("p < x"))
}

impl Network {
    /// ANNarchy's `HomogeneousCorrelatedSpikeTrains`: spiking neurons whose
    /// common firing rate `x` (Hz) follows an Ornstein-Uhlenbeck process
    /// around the rate `rates` (Hz) with the time constant `tau` (ms); the
    /// shared fluctuations correlate the spike trains with a strength set by
    /// `corr` (in [0, 1]; see [`homogeneous_correlated_neuron`] for the
    /// model, and the [module](crate::models::correlated) page for what
    /// `corr` yields: the correlation ANNarchy documents, which its code
    /// halves). The draws are Philox, so both
    /// engines produce the same spikes for the same seed. The population
    /// has the population-wide parameters `tau`, `mu`, `sigma` and the
    /// variables `x` (the same in every neuron) and `p`.
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// let mut net = Network::new().dt(0.1).seed(1);
    /// let inputs = net.homogeneous_correlated_spike_trains("inputs", 200, 10.0, 0.3, 10.0)?;
    /// let m = net.monitor(inputs, &["spike"])?;
    /// let mut sim = net.compile(Backend::Cpu)?;
    /// sim.simulate(100.0)?;
    /// let x = sim.get(inputs, "x")?;
    /// assert!(x.iter().all(|v| *v == x[0]), "x is shared by the population");
    /// assert!(net.homogeneous_correlated_spike_trains("bad", 10, 10.0, -0.1, 10.0).is_err());
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn homogeneous_correlated_spike_trains(
        &mut self,
        name: &str,
        geometry: impl IntoGeometry,
        rates: f32,
        corr: f32,
        tau: f32,
    ) -> Result<PopId> {
        let owner = format!("population '{name}'");
        check(rates as f64, corr as f64, tau as f64, &owner)?;
        let neuron = homogeneous_correlated_neuron(rates, corr, tau).map_err(|e| match e {
            Error::Invalid { message, .. } => Error::invalid(owner.clone(), message),
            e => e,
        })?;
        self.population(name, geometry, &neuron)
    }
}

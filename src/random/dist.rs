//! Random distributions for initial values, weights and delays (ANNarchy's
//! `Uniform`, `DiscreteUniform`, `Normal`, `LogNormal`, `Exponential`,
//! `Gamma` and `Binomial`).

use crate::error::{Error, Result};
use rand::rngs::StdRng;
use rand::Rng;
use rand_distr::Distribution;

/// Largest integer below which every f64 integer is exact.
const MAX_EXACT_INT: f64 = 9_007_199_254_740_992.0;

/// A probability distribution to draw values from.
///
/// Build one with the constructors; [`min`](Dist::min) and [`max`](Dist::max)
/// clip the drawn values as ANNarchy's `Normal(mu, sigma, min, max)` does
/// (values below `min` become `min`; nothing is redrawn).
///
/// ```
/// use cajal::random::{rng_for, Dist};
/// let w = Dist::normal(0.5, 0.1).min(0.0);
/// let v = w.sample(&mut rng_for(1, 0), 100, "example").unwrap();
/// assert!(v.iter().all(|&x| x >= 0.0));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Dist {
    /// Uniform on [min, max).
    Uniform {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// Uniform over the integers min..=max.
    DiscreteUniform {
        /// Smallest value, an integer.
        min: f64,
        /// Largest value, an integer.
        max: f64,
    },
    /// Normal with mean `mu` and standard deviation `sigma`.
    Normal {
        /// Mean.
        mu: f64,
        /// Standard deviation, >= 0.
        sigma: f64,
    },
    /// exp(X) with X normal(mu, sigma).
    LogNormal {
        /// Mean of the underlying normal.
        mu: f64,
        /// Standard deviation of the underlying normal, >= 0.
        sigma: f64,
    },
    /// Exponential with rate `lambda` (mean 1 / lambda).
    Exponential {
        /// Rate, > 0.
        lambda: f64,
    },
    /// Gamma with shape `alpha` and scale `beta` (mean alpha * beta).
    Gamma {
        /// Shape, > 0.
        alpha: f64,
        /// Scale, > 0.
        beta: f64,
    },
    /// Number of successes in `n` trials of probability `p`.
    Binomial {
        /// Number of trials, a non-negative integer.
        n: f64,
        /// Success probability in [0, 1].
        p: f64,
    },
    /// Another distribution whose values are clipped to [min, max].
    Clipped {
        /// The distribution drawn from.
        dist: Box<Dist>,
        /// Values below become `min`.
        min: Option<f64>,
        /// Values above become `max`.
        max: Option<f64>,
    },
}

impl Dist {
    /// Uniform on [min, max).
    pub fn uniform(min: f64, max: f64) -> Self {
        Dist::Uniform { min, max }
    }

    /// Uniform over the integers `min..=max` (both ends included).
    pub fn discrete_uniform(min: f64, max: f64) -> Self {
        Dist::DiscreteUniform { min, max }
    }

    /// Normal with mean `mu` and standard deviation `sigma`.
    pub fn normal(mu: f64, sigma: f64) -> Self {
        Dist::Normal { mu, sigma }
    }

    /// Log-normal: exp of a normal(mu, sigma).
    pub fn log_normal(mu: f64, sigma: f64) -> Self {
        Dist::LogNormal { mu, sigma }
    }

    /// Exponential with rate `lambda`.
    pub fn exponential(lambda: f64) -> Self {
        Dist::Exponential { lambda }
    }

    /// Gamma with shape `alpha` and scale `beta`, as ANNarchy's `Gamma(alpha, beta)`.
    pub fn gamma(alpha: f64, beta: f64) -> Self {
        Dist::Gamma { alpha, beta }
    }

    /// Binomial: successes in `n` trials of probability `p`.
    pub fn binomial(n: f64, p: f64) -> Self {
        Dist::Binomial { n, p }
    }

    /// Clips drawn values from below: any value under `x` becomes `x`.
    pub fn min(self, x: f64) -> Self {
        match self {
            Dist::Clipped { dist, max, .. } => Dist::Clipped {
                dist,
                min: Some(x),
                max,
            },
            d => Dist::Clipped {
                dist: Box::new(d),
                min: Some(x),
                max: None,
            },
        }
    }

    /// Clips drawn values from above: any value over `x` becomes `x`.
    pub fn max(self, x: f64) -> Self {
        match self {
            Dist::Clipped { dist, min, .. } => Dist::Clipped {
                dist,
                min,
                max: Some(x),
            },
            d => Dist::Clipped {
                dist: Box::new(d),
                min: None,
                max: Some(x),
            },
        }
    }

    /// Checks the parameters; `owner` names who uses the distribution in the error.
    pub fn validate(&self, owner: &str) -> Result<()> {
        let bad = |m: String| Err(Error::invalid(owner, m));
        let finite = |name: &str, v: f64| -> Result<()> {
            if v.is_finite() {
                Ok(())
            } else {
                Err(Error::invalid(
                    owner,
                    format!("{name} must be finite, got {v}"),
                ))
            }
        };
        match self {
            Dist::Uniform { min, max } => {
                finite("uniform min", *min)?;
                finite("uniform max", *max)?;
                if min > max {
                    return bad(format!(
                        "uniform needs min <= max, got min {min} > max {max}"
                    ));
                }
            }
            Dist::DiscreteUniform { min, max } => {
                for (name, v) in [("min", *min), ("max", *max)] {
                    if !v.is_finite() || v.fract() != 0.0 || v.abs() > MAX_EXACT_INT {
                        return bad(format!(
                            "discrete uniform {name} must be an integer (|x| <= 2^53), got {v}"
                        ));
                    }
                }
                if min > max {
                    return bad(format!(
                        "discrete uniform needs min <= max, got min {min} > max {max}"
                    ));
                }
            }
            Dist::Normal { mu, sigma } | Dist::LogNormal { mu, sigma } => {
                let name = if matches!(self, Dist::Normal { .. }) {
                    "normal"
                } else {
                    "log-normal"
                };
                finite(&format!("{name} mu"), *mu)?;
                finite(&format!("{name} sigma"), *sigma)?;
                if *sigma < 0.0 {
                    return bad(format!("{name} sigma must be >= 0, got {sigma}"));
                }
            }
            Dist::Exponential { lambda } => {
                if !lambda.is_finite() || *lambda <= 0.0 {
                    return bad(format!(
                        "exponential lambda must be finite and > 0, got {lambda}"
                    ));
                }
            }
            Dist::Gamma { alpha, beta } => {
                if !alpha.is_finite() || *alpha <= 0.0 {
                    return bad(format!(
                        "gamma alpha (shape) must be finite and > 0, got {alpha}"
                    ));
                }
                if !beta.is_finite() || *beta <= 0.0 {
                    return bad(format!(
                        "gamma beta (scale) must be finite and > 0, got {beta}"
                    ));
                }
            }
            Dist::Binomial { n, p } => {
                if !n.is_finite() || *n < 0.0 || n.fract() != 0.0 || *n > MAX_EXACT_INT {
                    return bad(format!(
                        "binomial n must be a non-negative integer (<= 2^53), got {n}"
                    ));
                }
                if !(0.0..=1.0).contains(p) {
                    return bad(format!("binomial p must lie in [0, 1], got {p}"));
                }
            }
            Dist::Clipped { dist, min, max } => {
                if matches!(**dist, Dist::Clipped { .. }) {
                    return bad("clipping of a clipped distribution; use .min().max()".into());
                }
                dist.validate(owner)?;
                if let Some(lo) = min {
                    if lo.is_nan() {
                        return bad("clipping min is NaN".into());
                    }
                }
                if let Some(hi) = max {
                    if hi.is_nan() {
                        return bad("clipping max is NaN".into());
                    }
                }
                if let (Some(lo), Some(hi)) = (min, max) {
                    if lo > hi {
                        return bad(format!(
                            "clipping needs min <= max, got min {lo} > max {hi}"
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// `n` values drawn in order from `rng`, as f32; an error naming `owner`
    /// if the parameters are invalid or a draw does not fit f32 (a uniform
    /// up to 1e39 would otherwise give infinite values).
    pub fn sample(&self, rng: &mut StdRng, n: usize, owner: &str) -> Result<Vec<f32>> {
        let draws = self.sample_f64(rng, n, owner)?;
        crate::error::narrow_all(draws, || format!("{owner}, a draw of {self:?}"))
    }

    /// As [`sample`](Self::sample) in f64, for delays that are divided by dt
    /// before rounding.
    pub(crate) fn sample_f64(&self, rng: &mut StdRng, n: usize, owner: &str) -> Result<Vec<f64>> {
        self.validate(owner)?;
        let (dist, lo, hi) = match self {
            Dist::Clipped { dist, min, max } => (&**dist, *min, *max),
            d => (d, None, None),
        };
        // Parameters were validated above, so the rand_distr constructors cannot fail;
        // map their errors anyway rather than unwrap.
        let err = |e: &dyn std::fmt::Display| Error::invalid(owner, e.to_string());
        let mut v: Vec<f64> = match dist {
            Dist::Uniform { min, max } => {
                let w = max - min;
                (0..n).map(|_| min + w * rng.random::<f64>()).collect()
            }
            Dist::DiscreteUniform { min, max } => {
                let (a, b) = (*min as i64, *max as i64);
                (0..n).map(|_| rng.random_range(a..=b) as f64).collect()
            }
            Dist::Normal { mu, sigma } => {
                let d = rand_distr::Normal::new(*mu, *sigma).map_err(|e| err(&e))?;
                (0..n).map(|_| d.sample(rng)).collect()
            }
            Dist::LogNormal { mu, sigma } => {
                let d = rand_distr::LogNormal::new(*mu, *sigma).map_err(|e| err(&e))?;
                (0..n).map(|_| d.sample(rng)).collect()
            }
            Dist::Exponential { lambda } => {
                let d = rand_distr::Exp::new(*lambda).map_err(|e| err(&e))?;
                (0..n).map(|_| d.sample(rng)).collect()
            }
            Dist::Gamma { alpha, beta } => {
                let d = rand_distr::Gamma::new(*alpha, *beta).map_err(|e| err(&e))?;
                (0..n).map(|_| d.sample(rng)).collect()
            }
            Dist::Binomial { n: trials, p } => {
                let d = rand_distr::Binomial::new(*trials as u64, *p).map_err(|e| err(&e))?;
                (0..n).map(|_| d.sample(rng) as f64).collect()
            }
            Dist::Clipped { .. } => unreachable!("nested clipping is rejected by validate"),
        };
        if lo.is_some() || hi.is_some() {
            let lo = lo.unwrap_or(f64::NEG_INFINITY);
            let hi = hi.unwrap_or(f64::INFINITY);
            for x in &mut v {
                *x = x.clamp(lo, hi);
            }
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::rng_for;

    const N: usize = 200_000;

    fn moments(d: &Dist) -> (f64, f64) {
        let v = d.sample(&mut rng_for(7, 1), N, "test").unwrap();
        assert_eq!(v.len(), N);
        let m = v.iter().map(|&x| f64::from(x)).sum::<f64>() / N as f64;
        let var = v.iter().map(|&x| (f64::from(x) - m).powi(2)).sum::<f64>() / (N - 1) as f64;
        (m, var)
    }

    /// Mean within 5 standard errors; variance within 5% (10% for heavy tails).
    fn check(d: Dist, mean: f64, var: f64, var_tol: f64) {
        let (m, v) = moments(&d);
        let se = (var / N as f64).sqrt();
        assert!(
            (m - mean).abs() < 5.0 * se + 1e-9,
            "{d:?}: mean {m}, expected {mean}"
        );
        assert!(
            (v - var).abs() <= var_tol * var + 1e-9,
            "{d:?}: variance {v}, expected {var}"
        );
    }

    #[test]
    fn moments_match_the_analytic_ones() {
        check(Dist::uniform(-1.0, 3.0), 1.0, 16.0 / 12.0, 0.05);
        // Integers 2..=7: variance ((7-2+1)^2 - 1) / 12.
        check(Dist::discrete_uniform(2.0, 7.0), 4.5, 35.0 / 12.0, 0.05);
        check(Dist::normal(2.0, 0.5), 2.0, 0.25, 0.05);
        let (mu, s) = (0.1f64, 0.4f64);
        check(
            Dist::log_normal(mu, s),
            (mu + s * s / 2.0).exp(),
            ((s * s).exp() - 1.0) * (2.0 * mu + s * s).exp(),
            0.1,
        );
        check(Dist::exponential(4.0), 0.25, 1.0 / 16.0, 0.05);
        check(Dist::gamma(3.0, 2.0), 6.0, 12.0, 0.05);
        check(Dist::binomial(20.0, 0.3), 6.0, 20.0 * 0.3 * 0.7, 0.05);
    }

    #[test]
    fn discrete_uniform_hits_both_ends_only() {
        let v = Dist::discrete_uniform(-1.0, 1.0)
            .sample(&mut rng_for(1, 1), 1000, "t")
            .unwrap();
        for k in [-1.0f32, 0.0, 1.0] {
            assert!(v.contains(&k));
        }
        assert!(v.iter().all(|x| [-1.0, 0.0, 1.0].contains(x)));
    }

    #[test]
    fn degenerate_parameters_are_constants() {
        let v = Dist::uniform(2.0, 2.0)
            .sample(&mut rng_for(1, 1), 10, "t")
            .unwrap();
        assert!(v.iter().all(|&x| x == 2.0));
        let v = Dist::normal(-1.0, 0.0)
            .sample(&mut rng_for(1, 1), 10, "t")
            .unwrap();
        assert!(v.iter().all(|&x| x == -1.0));
        let v = Dist::binomial(5.0, 1.0)
            .sample(&mut rng_for(1, 1), 10, "t")
            .unwrap();
        assert!(v.iter().all(|&x| x == 5.0));
    }

    #[test]
    fn clipping() {
        let d = Dist::normal(0.0, 1.0).min(-0.5).max(0.5);
        assert_eq!(
            d,
            Dist::Clipped {
                dist: Box::new(Dist::normal(0.0, 1.0)),
                min: Some(-0.5),
                max: Some(0.5)
            }
        );
        let v = d.sample(&mut rng_for(3, 3), 10_000, "t").unwrap();
        assert!(v.iter().all(|&x| (-0.5..=0.5).contains(&x)));
        // P(X < -0.5) = 0.3085: clipped values pile up at the bound, not redrawn.
        let at_min = v.iter().filter(|&&x| x == -0.5).count() as f64 / 1e4;
        assert!((at_min - 0.3085).abs() < 0.03, "{at_min}");
        assert!(v.iter().filter(|&&x| x == 0.5).count() > 2500);
        let v = Dist::exponential(1.0)
            .max(1.0)
            .sample(&mut rng_for(3, 3), 1000, "t")
            .unwrap();
        assert!(v.iter().all(|&x| (0.0..=1.0).contains(&x)));
    }

    #[test]
    fn same_rng_same_values() {
        let d = Dist::gamma(2.0, 1.0);
        let a = d.sample(&mut rng_for(9, 9), 100, "t").unwrap();
        let b = d.sample(&mut rng_for(9, 9), 100, "t").unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn bad_arguments_are_errors() {
        let bad = [
            (Dist::uniform(1.0, 0.0), "min <= max"),
            (Dist::uniform(0.0, f64::INFINITY), "finite"),
            (Dist::discrete_uniform(0.5, 3.0), "integer"),
            (Dist::discrete_uniform(3.0, 1.0), "min <= max"),
            (Dist::normal(0.0, -1.0), "sigma must be >= 0"),
            (Dist::normal(f64::NAN, 1.0), "finite"),
            (Dist::log_normal(0.0, -0.1), "sigma must be >= 0"),
            (Dist::exponential(0.0), "lambda"),
            (Dist::exponential(-2.0), "lambda"),
            (Dist::gamma(0.0, 1.0), "alpha"),
            (Dist::gamma(1.0, -1.0), "beta"),
            (Dist::binomial(-1.0, 0.5), "non-negative integer"),
            (Dist::binomial(2.5, 0.5), "non-negative integer"),
            (Dist::binomial(3.0, 1.5), "[0, 1]"),
            (Dist::binomial(3.0, f64::NAN), "[0, 1]"),
            (Dist::normal(0.0, 1.0).min(1.0).max(0.0), "min <= max"),
            (Dist::normal(0.0, 1.0).min(f64::NAN), "NaN"),
            (Dist::normal(0.0, -1.0).max(1.0), "sigma"),
        ];
        for (d, needle) in bad {
            let e = d
                .sample(&mut rng_for(0, 0), 3, "proj 'p' weights")
                .unwrap_err();
            let msg = e.to_string();
            assert!(msg.contains("proj 'p' weights"), "{msg}");
            assert!(msg.contains(needle), "{d:?}: {msg}");
            assert!(d.validate("x").is_err());
        }
        assert!(Dist::normal(0.0, 1.0).validate("x").is_ok());
    }
}

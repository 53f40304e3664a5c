//! Gaussian and difference-of-Gaussians connectors over normalised positions
//! (the formula is documented on [`build`](super::build)).

use super::{Ctx, Pattern, MAX_SYNAPSES};
use crate::error::Result;

/// Normalised coordinate: `c / (n - 1)`, 0 in a dimension of size 1 (ANNarchy).
fn norm(c: usize, n: usize) -> f64 {
    if n > 1 {
        c as f64 / (n - 1) as f64
    } else {
        0.0
    }
}

/// Squared distance beyond which no synapse can pass the threshold: the
/// profile is bounded by `bound * exp(-d2 / (2 sigma^2))`, so only
/// `d2 < -2 sigma^2 ln(threshold / bound)` can give `|w| > threshold`.
fn reach2(threshold: f64, bound: f64, sigma: f64) -> f64 {
    if bound == 0.0 {
        return 0.0; // every weight is 0
    }
    let ratio = threshold / bound;
    if ratio > 0.0 {
        (-2.0 * sigma * sigma * ratio.ln()).max(0.0)
    } else {
        f64::INFINITY
    }
}

impl Ctx<'_> {
    pub(super) fn gaussian(&self, amp: f32, sigma: f64, limit: f64) -> Result<Pattern> {
        self.check_finite("gaussian", &[("amp", f64::from(amp))])?;
        self.check_positive("gaussian", &[("sigma", sigma)])?;
        self.check_limit("gaussian", limit)?;
        let a = f64::from(amp);
        let two_s2 = 2.0 * sigma * sigma;
        let threshold = limit * a.abs();
        let r2 = reach2(threshold, a.abs(), sigma);
        self.spatial("gaussian", r2, threshold, |d2| a * (-d2 / two_s2).exp())
    }

    pub(super) fn dog(
        &self,
        amp_pos: f32,
        sigma_pos: f64,
        amp_neg: f32,
        sigma_neg: f64,
        limit: f64,
    ) -> Result<Pattern> {
        let (ap, an) = (f64::from(amp_pos), f64::from(amp_neg));
        self.check_finite("dog", &[("amp_pos", ap), ("amp_neg", an)])?;
        self.check_positive("dog", &[("sigma_pos", sigma_pos), ("sigma_neg", sigma_neg)])?;
        self.check_limit("dog", limit)?;
        let (tp, tn) = (2.0 * sigma_pos * sigma_pos, 2.0 * sigma_neg * sigma_neg);
        let threshold = limit * (ap - an).abs();
        let r2 = reach2(threshold, ap.abs() + an.abs(), sigma_pos.max(sigma_neg));
        self.spatial("dog", r2, threshold, |d2| {
            ap * (-d2 / tp).exp() - an * (-d2 / tn).exp()
        })
    }

    fn check_finite(&self, what: &str, args: &[(&str, f64)]) -> Result<()> {
        for (name, v) in args {
            if !v.is_finite() {
                return Err(self.err(format!("{what}: {name} must be finite, got {v}")));
            }
        }
        Ok(())
    }

    fn check_positive(&self, what: &str, args: &[(&str, f64)]) -> Result<()> {
        for (name, v) in args {
            if !(v.is_finite() && *v > 0.0) {
                return Err(self.err(format!("{what}: {name} must be finite and > 0, got {v}")));
            }
        }
        Ok(())
    }

    fn check_limit(&self, what: &str, limit: f64) -> Result<()> {
        if !(limit.is_finite() && limit >= 0.0) {
            return Err(self.err(format!(
                "{what}: limit must be finite and >= 0, got {limit}"
            )));
        }
        Ok(())
    }

    /// For each post, visits the pre neurons within normalised distance
    /// `sqrt(r2)` in every dimension (a box, in increasing rank order) and keeps
    /// those whose weight `kernel(d2)` has `|w| > threshold`.
    fn spatial(
        &self,
        what: &str,
        r2: f64,
        threshold: f64,
        kernel: impl Fn(f64) -> f64,
    ) -> Result<Pattern> {
        let (pd, qd) = (self.spec.pre.dims(), self.spec.post.dims());
        if pd.len() != qd.len() {
            return Err(self.err(format!(
                "{what} needs pre and post of the same number of dimensions, got pre {pd:?} and post {qd:?}"
            )));
        }
        let nd = pd.len();
        let r = r2.sqrt();
        let mut stride = vec![1usize; nd];
        for k in (0..nd.saturating_sub(1)).rev() {
            stride[k] = stride[k + 1] * pd[k + 1];
        }
        // Normalised pre coordinates, per dimension.
        let xs: Vec<Vec<f64>> = pd
            .iter()
            .map(|&n| (0..n).map(|c| norm(c, n)).collect())
            .collect();

        let mut p = Pattern::with_capacity(self, 0)?;
        let mut w = Vec::new();
        let (mut lo, mut hi, mut idx) = (vec![0; nd], vec![0; nd], vec![0; nd]);
        let mut y = vec![0.0; nd];
        'posts: for post in 0..self.n_post {
            let coords = self.spec.post.coords(post);
            for k in 0..nd {
                y[k] = norm(coords[k], qd[k]);
                let last = pd[k] - 1;
                if !r.is_finite() || last == 0 {
                    (lo[k], hi[k]) = (0, last);
                    continue;
                }
                // One index of margin on each side: the exact test below decides.
                let s = last as f64;
                let a = ((y[k] - r) * s).floor() - 1.0;
                let b = ((y[k] + r) * s).ceil() + 1.0;
                if a > s || b < 0.0 {
                    continue 'posts;
                }
                (lo[k], hi[k]) = (a.max(0.0) as usize, b.min(s) as usize);
            }
            idx.copy_from_slice(&lo);
            loop {
                let pre: usize = (0..nd).map(|k| idx[k] * stride[k]).sum();
                if !(self.no_self && pre == post) {
                    let d2: f64 = (0..nd).map(|k| (xs[k][idx[k]] - y[k]).powi(2)).sum();
                    let v = kernel(d2);
                    if v.abs() > threshold {
                        if w.len() >= MAX_SYNAPSES {
                            return Err(self.err(format!(
                                "{what} creates more than the limit of {MAX_SYNAPSES} synapses; raise limit or lower sigma"
                            )));
                        }
                        if w.len() == w.capacity() {
                            self.grow(what, &mut p, &mut w)?;
                        }
                        p.post.push(post as u32);
                        p.pre.push(pre as u32);
                        w.push(self.spec.dtype.round(v));
                    }
                }
                // Row-major odometer: the last dimension moves fastest, so ranks increase.
                let mut k = nd;
                loop {
                    if k == 0 {
                        continue 'posts;
                    }
                    k -= 1;
                    if idx[k] < hi[k] {
                        idx[k] += 1;
                        break;
                    }
                    idx[k] = lo[k];
                }
            }
        }
        p.w = Some(w);
        Ok(p)
    }

    /// Doubles the room of the synapses found so far, once the doubled
    /// count is known to fit in memory: the number a spatial connector
    /// finds is known only at the end, and a kernel that covers most pairs
    /// would otherwise grow its vectors until an allocation aborts.
    fn grow(&self, what: &str, p: &mut Pattern, w: &mut Vec<f64>) -> Result<()> {
        let n = (2 * w.len()).max(1024);
        crate::memory::check(
            &format!("projection '{}'", self.spec.projection),
            &format!("{what} has found {} synapses and goes on", w.len()),
            n as f64 * 32.0,
            "raise limit or lower sigma, or connect fewer neurons",
        )?;
        let refused = |_| self.err(format!("cannot allocate memory for {n} synapses"));
        p.post
            .try_reserve_exact(n - p.post.len())
            .map_err(refused)?;
        p.pre.try_reserve_exact(n - p.pre.len()).map_err(refused)?;
        w.try_reserve_exact(n - w.len()).map_err(refused)
    }
}

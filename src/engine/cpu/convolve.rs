//! `convolve`: a convolution or pooling projection (CPU twin of the GPU
//! kernel of the same name, shaders/convolve.wgsl). Each post-synaptic
//! neuron combines one psp per tap of its window, taps in row-major kernel
//! order, and adds the result to `sum(target)`.
//!
//! Bindings, in order: the window and shared weights, the pre-synaptic
//! values of each `pre.x` (as the delay sees them), the compiled psp (or
//! `None` for the plain `w * pre.r`), the operation, t and dt, then the
//! output.

use rayon::prelude::*;

use super::rate_sum::{self, PspKernel};
use super::vm::VmReal;
use crate::network::conv::{Conv, Padding};
use crate::network::model::Operation;
use crate::real::Real;

/// What the window of each post neuron is, computed once per projection:
/// the start of its window in each pre dimension, its filter, and the
/// kernel coordinates of each tap.
#[derive(Debug, Clone)]
pub struct ConvGeometry {
    start: Vec<i64>,
    filter: Vec<usize>,
    taps: Vec<Vec<usize>>,
}

/// The [`ConvGeometry`] of a convolution or pooling.
pub fn geometry(conv: &Conv) -> ConvGeometry {
    let w = &conv.window;
    let n_post: usize = w.post.iter().product();
    let mut start = Vec::with_capacity(n_post * w.pre.len());
    let mut filter = Vec::with_capacity(n_post);
    let mut p = vec![0usize; w.post.len()];
    for rank in 0..n_post {
        let mut r = rank;
        for d in (0..w.post.len()).rev() {
            p[d] = r % w.post[d];
            r /= w.post[d];
        }
        start.extend(w.start(rank, &p));
        filter.push(w.filter(&p));
    }
    ConvGeometry {
        start,
        filter,
        taps: (0..w.taps()).map(|t| w.tap(t)).collect(),
    }
}

/// Below this many post neurons the plain path stays on one thread.
pub(super) const PARALLEL_MIN: usize = 4096;

/// The combined psp of every post neuron into `out` (overwritten);
/// `frame`: the psp's scalars (t, dt, the constants: `super::frame_scalars`).
pub fn convolve<R: VmReal>(
    conv: &Conv,
    geo: &ConvGeometry,
    pre: &[&[R]],
    psp: Option<&PspKernel>,
    op: Operation,
    frame: &[R],
    out: &mut [R],
) {
    let w = &conv.window;
    let d = w.pre.len();
    let taps = geo.taps.len();
    let pad = match w.padding {
        Padding::Value(v) => R::of32(v),
        Padding::Border => R::ZERO,
    };
    let init = match op {
        Operation::Sum | Operation::Mean => R::ZERO,
        Operation::Max => -R::of(f64::INFINITY),
        Operation::Min => R::of(f64::INFINITY),
    };
    let combine = |o: R, v: R| match op {
        Operation::Sum | Operation::Mean => o + v,
        Operation::Max => o.max(v),
        Operation::Min => o.min(v),
    };
    let n = out.len();
    match psp {
        // The plain `w * pre.r`: post neuron by post neuron, taps in order.
        None => {
            let r = pre[0];
            let one = |i: usize| -> R {
                let start = &geo.start[i * d..(i + 1) * d];
                let wf = &conv.weights[geo.filter[i] * taps..(geo.filter[i] + 1) * taps];
                let mut acc = init;
                for (k, &wt) in geo.taps.iter().zip(wf) {
                    let x = w.pre_rank(start, k).map_or(pad, |q| r[q]);
                    acc = combine(acc, R::of32(wt) * x);
                }
                acc
            };
            if n >= PARALLEL_MIN {
                out.par_chunks_mut(1024).enumerate().for_each(|(c, chunk)| {
                    for (j, o) in chunk.iter_mut().enumerate() {
                        *o = one(c * 1024 + j);
                    }
                });
            } else {
                out.iter_mut().enumerate().for_each(|(i, o)| *o = one(i));
            }
        }
        // Any psp: one tap at a time over all post neurons, so that the
        // program runs array-at-a-time.
        Some(kernel) => {
            out.fill(init);
            let mut wt = vec![R::ZERO; n];
            let mut gathered: Vec<Vec<R>> = vec![vec![R::ZERO; n]; pre.len()];
            let mut value = vec![R::ZERO; n];
            for (tap, k) in geo.taps.iter().enumerate() {
                for (g, src) in gathered.iter_mut().zip(pre) {
                    for (i, x) in g.iter_mut().enumerate() {
                        *x = w
                            .pre_rank(&geo.start[i * d..(i + 1) * d], k)
                            .map_or(pad, |q| src[q]);
                    }
                }
                for (i, x) in wt.iter_mut().enumerate() {
                    *x = R::of32(conv.weights[geo.filter[i] * taps + tap]);
                }
                let mut arrays: Vec<&mut [R]> = vec![wt.as_mut_slice()];
                arrays.extend(gathered.iter_mut().map(|g| g.as_mut_slice()));
                rate_sum::eval_psp(kernel, arrays, frame, 0, 0, 0, &mut value);
                for (o, v) in out.iter_mut().zip(&value) {
                    *o = combine(*o, *v);
                }
            }
        }
    }
    if op == Operation::Mean {
        let k = R::of_u32(taps as u32);
        out.iter_mut().for_each(|o| *o /= k);
    }
}

/// ANNarchy's Transpose of a convolution: each neuron of the original's
/// pre (`out`, overwritten) sums `w * r` over the (filter, tap) pairs
/// through which the original's post neurons (`r`) read it, filters then
/// taps in order (CPU twin of `convolve_transposed`).
pub fn convolve_transposed<R: Real>(conv: &Conv, r: &[R], out: &mut [R]) {
    let w = &conv.window;
    let taps = w.taps();
    let tap_coords: Vec<Vec<usize>> = (0..taps).map(|t| w.tap(t)).collect();
    let mut q = vec![0i64; w.pre.len()];
    for (rank, o) in out.iter_mut().enumerate() {
        let mut x = rank;
        for d in (0..w.pre.len()).rev() {
            q[d] = (x % w.pre[d]) as i64;
            x /= w.pre[d];
        }
        let mut acc = R::ZERO;
        for f in 0..w.filters() {
            for (t, k) in tap_coords.iter().enumerate() {
                if let Some(p) = super::spike_convolve::target(conv, &q, k, f) {
                    acc += R::of32(conv.weights[f * taps + t]) * r[p];
                }
            }
        }
        *o = acc;
    }
}

//! `convolve`: a convolution or pooling projection (CPU twin of the GPU
//! kernel of the same name, shaders/convolve.wgsl). Each post-synaptic
//! neuron combines one psp per tap of its window, taps in row-major kernel
//! order, and adds the result to `sum(target)`.
//!
//! Bindings, in order: the window and shared weights, the pre-synaptic
//! values of each `pre.x` (as the delay sees them), the compiled psp (or
//! `None` for the plain `w * pre.r`), the operation, t and dt, then the
//! output.

use super::rate_sum::{self, PspKernel};
use crate::network::conv::{Conv, Padding};
use crate::network::model::Operation;

/// Per post neuron: the start of its window in each pre dimension, and its
/// filter.
fn starts(conv: &Conv) -> (Vec<i64>, Vec<usize>) {
    let w = &conv.window;
    let n_post: usize = w.post.iter().product();
    let mut s = Vec::with_capacity(n_post * w.pre.len());
    let mut f = Vec::with_capacity(n_post);
    let mut p = vec![0usize; w.post.len()];
    for rank in 0..n_post {
        let mut r = rank;
        for d in (0..w.post.len()).rev() {
            p[d] = r % w.post[d];
            r /= w.post[d];
        }
        s.extend(w.start(rank, &p));
        f.push(w.filter(&p));
    }
    (s, f)
}

/// The combined psp of every post neuron into `out` (overwritten).
#[allow(clippy::too_many_arguments)]
pub fn convolve(
    conv: &Conv,
    pre: &[&[f32]],
    psp: Option<&PspKernel>,
    op: Operation,
    t: f32,
    dt: f32,
    out: &mut [f32],
) {
    let w = &conv.window;
    let d = w.pre.len();
    let taps = w.taps();
    let (start, filter) = starts(conv);
    let pad = match w.padding {
        Padding::Value(v) => v,
        Padding::Border => 0.0,
    };
    let init = match op {
        Operation::Sum | Operation::Mean => 0.0,
        Operation::Max => f32::NEG_INFINITY,
        Operation::Min => f32::INFINITY,
    };
    out.fill(init);
    let n = out.len();
    // One tap at a time over all post neurons, so that the general psp runs
    // array-at-a-time.
    let mut ranks: Vec<Option<usize>> = vec![None; n];
    let mut wt = vec![0.0f32; n];
    let mut gathered: Vec<Vec<f32>> = vec![vec![0.0; n]; pre.len()];
    let mut value = vec![0.0f32; n];
    for tap in 0..taps {
        let k = w.tap(tap);
        for i in 0..n {
            ranks[i] = w.pre_rank(&start[i * d..(i + 1) * d], &k);
            wt[i] = conv.weights[filter[i] * taps + tap];
        }
        match psp {
            None => {
                let r = pre[0];
                for i in 0..n {
                    value[i] = wt[i] * ranks[i].map_or(pad, |q| r[q]);
                }
            }
            Some(kernel) => {
                for (g, src) in gathered.iter_mut().zip(pre) {
                    for i in 0..n {
                        g[i] = ranks[i].map_or(pad, |q| src[q]);
                    }
                }
                let mut arrays: Vec<&mut [f32]> = vec![wt.as_mut_slice()];
                arrays.extend(gathered.iter_mut().map(|g| g.as_mut_slice()));
                rate_sum::eval_psp(kernel, arrays, &[t, dt], 0, 0, 0, &mut value);
            }
        }
        for (o, v) in out.iter_mut().zip(&value) {
            *o = match op {
                Operation::Sum | Operation::Mean => *o + v,
                Operation::Max => o.max(*v),
                Operation::Min => o.min(*v),
            };
        }
    }
    if op == Operation::Mean {
        let k = taps as f32;
        out.iter_mut().for_each(|o| *o /= k);
    }
}

/// ANNarchy's Transpose of a convolution: each neuron of the original's
/// pre (`out`, overwritten) sums `w * r` over the (filter, tap) pairs
/// through which the original's post neurons (`r`) read it, filters then
/// taps in order (CPU twin of `convolve_transposed`).
pub fn convolve_transposed(conv: &Conv, r: &[f32], out: &mut [f32]) {
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
        let mut acc = 0.0f32;
        for f in 0..w.filters() {
            for (t, k) in tap_coords.iter().enumerate() {
                if let Some(p) = super::spike_convolve::target(conv, &q, k, f) {
                    acc += conv.weights[f * taps + t] * r[p];
                }
            }
        }
        *o = acc;
    }
}

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
/// kernel coordinates of each tap; for a window that lies wholly inside
/// the pre-synaptic population, the rank of its first tap, from which
/// every tap's rank is a fixed offset.
#[derive(Debug, Clone)]
pub struct ConvGeometry {
    start: Vec<i64>,
    filter: Vec<usize>,
    taps: Vec<Vec<usize>>,
    /// Per post neuron: the pre rank of the window's origin, or
    /// [`usize::MAX`] where the window reaches past an edge (its taps go
    /// through [`Window::pre_rank`](crate::network::conv::Window::pre_rank)).
    inside: Vec<usize>,
    /// Per tap: its rank's offset from the origin's, inside.
    offsets: Vec<usize>,
}

impl ConvGeometry {
    /// The pre rank that tap `t` of post neuron `i` reads, or `None` for
    /// the padding value.
    #[inline]
    fn rank(&self, conv: &Conv, i: usize, t: usize) -> Option<usize> {
        match self.inside[i] {
            usize::MAX => {
                let d = conv.window.pre.len();
                conv.window
                    .pre_rank(&self.start[i * d..(i + 1) * d], &self.taps[t])
            }
            origin => Some(origin + self.offsets[t]),
        }
    }
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
    let taps: Vec<Vec<usize>> = (0..w.taps()).map(|t| w.tap(t)).collect();
    // Row-major strides of the pre-synaptic population, and how far the
    // taps reach along each dimension.
    let d = w.pre.len();
    let mut stride = vec![1usize; d];
    for k in (0..d.saturating_sub(1)).rev() {
        stride[k] = stride[k + 1] * w.pre[k + 1];
    }
    let reach: Vec<usize> = (0..d)
        .map(|k| taps.iter().map(|t| t[k] + 1).max().unwrap_or(0))
        .collect();
    let offsets = taps
        .iter()
        .map(|t| t.iter().zip(&stride).map(|(k, s)| k * s).sum())
        .collect();
    let inside = (0..n_post)
        .map(|i| &start[i * d..(i + 1) * d])
        .map(|s| {
            let within = s
                .iter()
                .zip(&reach)
                .zip(&w.pre)
                .all(|((&x, &r), &n)| x >= 0 && x + r as i64 <= n as i64);
            match within {
                true => s.iter().zip(&stride).map(|(&x, k)| x as usize * k).sum(),
                false => usize::MAX,
            }
        })
        .collect();
    ConvGeometry {
        start,
        filter,
        taps,
        inside,
        offsets,
    }
}

/// Below this many post neurons the plain path stays on one thread.
pub(super) const PARALLEL_MIN: usize = 4096;

/// Each post neuron's taps in order, `tap(w, x)` of each combined by
/// `combine` from `init`, into `out`: `args` are the convolution, its
/// geometry, the pre-synaptic values, the padding value and `init`.
fn windows<R: VmReal>(
    (conv, geo, r, pad, init): (&Conv, &ConvGeometry, &[R], R, R),
    combine: impl Fn(R, R) -> R + Sync,
    tap: impl Fn(f32, R) -> R + Sync,
    out: &mut [R],
) {
    let taps = geo.taps.len();
    let one = |i: usize| -> R {
        let wf = &conv.weights[geo.filter[i] * taps..(geo.filter[i] + 1) * taps];
        let mut acc = init;
        match geo.inside[i] {
            usize::MAX => {
                for (t, &wt) in wf.iter().enumerate() {
                    let x = geo.rank(conv, i, t).map_or(pad, |q| r[q]);
                    acc = combine(acc, tap(wt, x));
                }
            }
            origin => {
                let r = &r[origin..];
                for (&off, &wt) in geo.offsets.iter().zip(wf) {
                    acc = combine(acc, tap(wt, r[off]));
                }
            }
        }
        acc
    };
    // LANES windows inside the population at once, each combining its
    // taps in order as `one` does (the same bits): one window's taps
    // form a chain of dependent operations, and independent chains side
    // by side keep the processor's units busy instead of waiting on each.
    let lanes = |first: usize, out: &mut [R; LANES]| {
        let origin: [usize; LANES] = std::array::from_fn(|k| geo.inside[first + k]);
        let wf: [&[f32]; LANES] = std::array::from_fn(|k| {
            &conv.weights[geo.filter[first + k] * taps..(geo.filter[first + k] + 1) * taps]
        });
        let mut acc = [init; LANES];
        for (t, &off) in geo.offsets.iter().enumerate() {
            for k in 0..LANES {
                acc[k] = combine(acc[k], tap(wf[k][t], r[origin[k] + off]));
            }
        }
        *out = acc;
    };
    let run = |first: usize, chunk: &mut [R]| {
        let mut i = 0;
        while i < chunk.len() {
            let at = first + i;
            let all_inside = i + LANES <= chunk.len()
                && geo.inside[at..at + LANES].iter().all(|&o| o != usize::MAX);
            if all_inside {
                let block: &mut [R; LANES] = (&mut chunk[i..i + LANES]).try_into().expect("LANES");
                lanes(at, block);
                i += LANES;
            } else {
                chunk[i] = one(at);
                i += 1;
            }
        }
    };
    if out.len() >= PARALLEL_MIN {
        out.par_chunks_mut(1024)
            .enumerate()
            .for_each(|(c, chunk)| run(c * 1024, chunk));
    } else {
        run(0, out);
    }
}

/// Windows [`windows`] combines side by side.
const LANES: usize = 8;

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
        // The plain `w * pre.r`, or a pre-synaptic value as it is: post
        // neuron by post neuron, taps in order.
        None | Some(PspKernel { as_is: Some(_), .. }) => {
            // A psp that is a pre-synaptic value as it is (pooling's
            // `pre.r`) combines that value: what its program computes.
            let (r, weighted) = match psp.and_then(|k| k.as_is) {
                Some(x) => (pre[x as usize], false),
                None => (pre[0], true),
            };
            // One loop for each operation and kind of psp: the choice
            // made once, not at every tap.
            let add = |o: R, v: R| o + v;
            let (wtd, as_is) = (|wt: f32, x: R| R::of32(wt) * x, |_: f32, x: R| x);
            let args = (conv, geo, r, pad, init);
            match (op, weighted) {
                (Operation::Sum | Operation::Mean, true) => windows(args, add, wtd, out),
                (Operation::Sum | Operation::Mean, false) => windows(args, add, as_is, out),
                (Operation::Max, true) => windows(args, R::max, wtd, out),
                (Operation::Max, false) => windows(args, R::max, as_is, out),
                (Operation::Min, true) => windows(args, R::min, wtd, out),
                (Operation::Min, false) => windows(args, R::min, as_is, out),
            }
        }
        // Any psp: one tap at a time over all post neurons, so that the
        // program runs array-at-a-time.
        Some(kernel) => {
            out.fill(init);
            let mut wt = vec![R::ZERO; n];
            let mut gathered: Vec<Vec<R>> = vec![vec![R::ZERO; n]; pre.len()];
            let mut value = vec![R::ZERO; n];
            for tap in 0..taps {
                for (g, src) in gathered.iter_mut().zip(pre) {
                    for (i, x) in g.iter_mut().enumerate() {
                        *x = geo.rank(conv, i, tap).map_or(pad, |q| src[q]);
                    }
                }
                for (i, x) in wt.iter_mut().enumerate() {
                    *x = R::of32(conv.weights[geo.filter[i] * taps + tap]);
                }
                let mut arrays: Vec<&mut [R]> = vec![wt.as_mut_slice()];
                arrays.extend(gathered.iter_mut().map(|g| g.as_mut_slice()));
                rate_sum::eval_psp(kernel, &mut arrays, frame, 0, 0, 0, &mut value);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;
    use ndarray::{ArrayD, IxDyn};

    /// Each window combined alone, tap by tap in order, from the geometry's
    /// ranks: what `windows` must give, side by side or not.
    fn one_by_one(conv: &Conv, geo: &ConvGeometry, r: &[f32], op: Operation, pad: f32) -> Vec<f32> {
        let taps = geo.taps.len();
        (0..geo.filter.len())
            .map(|i| {
                let mut acc = match op {
                    Operation::Max => f32::NEG_INFINITY,
                    Operation::Min => f32::INFINITY,
                    _ => 0.0,
                };
                for t in 0..taps {
                    let x = geo.rank(conv, i, t).map_or(pad, |q| r[q]);
                    let v = conv.weights[geo.filter[i] * taps + t] * x;
                    acc = match op {
                        Operation::Max => acc.max(v),
                        Operation::Min => acc.min(v),
                        _ => acc + v,
                    };
                }
                match op {
                    Operation::Mean => acc / taps as f32,
                    _ => acc,
                }
            })
            .collect()
    }

    #[test]
    fn windows_side_by_side_give_the_bits_of_one_at_a_time() {
        // Two filters over three channels with a padding value: windows
        // at the edges and inside, consecutive windows of both filters;
        // pre values of mixed signs and magnitudes.
        let rate = Neuron::rate().equations("r = sum(exc)");
        let values: Vec<f32> = (0..54)
            .map(|k| ((k * 37 % 23) as f32 - 11.0) / 7.0)
            .collect();
        let bank = ArrayD::from_shape_vec(IxDyn(&[2, 3, 3, 3]), values).unwrap();
        for op in [
            Operation::Sum,
            Operation::Max,
            Operation::Min,
            Operation::Mean,
        ] {
            let mut net = Network::new();
            let pre = net.population("pre", (13, 21, 3), &rate).unwrap();
            let post = net.population("post", (13, 21, 2), &rate).unwrap();
            let proj = net
                .convolution(pre, post, "exc")
                .operation(op)
                .padding(0.25)
                .connect_filters(&bank)
                .unwrap();
            let conv = &net.proj(proj).unwrap().conv.as_ref().unwrap().conv;
            let geo = geometry(conv);
            assert!(geo
                .inside
                .windows(LANES)
                .any(|w| w.iter().all(|&o| o != usize::MAX)));
            let r: Vec<f32> = (0..13 * 21 * 3)
                .map(|k| ((k * 7919 % 1009) as f32 - 500.0) * 1.0e-3 * (1 + k % 5) as f32)
                .collect();
            let mut out = vec![0.0f32; 13 * 21 * 2];
            convolve(conv, &geo, &[&r], None, op, &[], &mut out);
            let want = one_by_one(conv, &geo, &r, op, 0.25);
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&out), bits(&want), "{op:?}");
        }
    }
}

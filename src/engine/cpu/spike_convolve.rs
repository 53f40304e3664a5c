//! `spike_convolve`: a convolution between spiking populations,
//! event-driven (CPU twin of the GPU kernel of the same name,
//! shaders/spike_convolve.wgsl): each spike adds the filter weights to the
//! conductances of the post neurons whose window holds it.
//!
//! Bindings, in order: the window and shared weights, the spikes emitted
//! `d` steps ago, the post-synaptic conductance.

use crate::network::conv::Conv;

/// For pre coordinates `q`, tap `k` and filter `f`: the post rank whose
/// window reads `q` at `k`, if any.
pub fn target(conv: &Conv, q: &[i64], k: &[usize], f: usize) -> Option<usize> {
    let w = &conv.window;
    let mut p = vec![0usize; w.post.len()];
    for ((a, &qd), &kd) in w.axes.iter().zip(q).zip(k) {
        match a.post_dim {
            Some(pd) => {
                let num = qd - a.offset - kd as i64;
                if num < 0 || num % a.stride != 0 {
                    return None;
                }
                let pv = num / a.stride;
                if pv >= w.post[pd] as i64 {
                    return None;
                }
                p[pd] = pv as usize;
            }
            None => {
                if qd != kd as i64 {
                    return None;
                }
            }
        }
    }
    if let Some(bd) = w.bank {
        p[bd] = f;
    }
    Some(p.iter().zip(&w.post).fold(0, |r, (&x, &n)| r * n + x))
}

/// Adds the weights of every (spike, filter, tap) into `g`, spikes in the
/// given (ascending) order, then filters, then taps.
pub fn spike_convolve<R: crate::real::Real>(conv: &Conv, spikes: &[u32], g: &mut [R]) {
    let w = &conv.window;
    let taps = w.taps();
    let tap_coords: Vec<Vec<usize>> = (0..taps).map(|t| w.tap(t)).collect();
    let mut q = vec![0i64; w.pre.len()];
    for &s in spikes {
        let mut r = s as usize;
        for d in (0..w.pre.len()).rev() {
            q[d] = (r % w.pre[d]) as i64;
            r /= w.pre[d];
        }
        for f in 0..w.filters() {
            for (t, k) in tap_coords.iter().enumerate() {
                if let Some(p) = target(conv, &q, k, f) {
                    g[p] += R::of32(conv.weights[f * taps + t]);
                }
            }
        }
    }
}

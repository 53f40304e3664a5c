//! `spike_convolve_gather`: the deterministic delivery of a convolution
//! between spiking populations (CPU twin of the GPU kernel of the same
//! name, shaders/spike_convolve_gather.wgsl, which the GPU engine runs
//! with `GpuOptions::deterministic`): a post neuron at a time, the taps
//! of its window in ascending order, adding the filter weight of each tap
//! whose pre neuron spiked.
//!
//! The CPU engine runs [`spike_convolve`](super::spike_convolve), a spike
//! at a time in ascending rank. A spike reaches a post neuron through one
//! tap at most (one filter: the post's own in a bank), and a tap's pre
//! coordinates grow with its own along every axis, so ascending taps
//! (row-major) are ascending pre ranks: each conductance is added to in
//! the same order, to the same bits (tests below).
//!
//! Bindings, in order: the post-synaptic conductance, (the table,
//! unused), the shared weights, (the parameters, unused), the spike
//! ring's counts and bitmasks.

use super::spike_gather::SpikeBits;
use crate::network::conv::Conv;

/// `g[p] += weights[f, k]` for each post neuron `p` (filter `f`) and
/// each tap `k` of its window whose pre neuron spiked `delay` steps ago,
/// taps ascending. Tap `k` of post coordinates `p` reads pre coordinate
/// `offset + stride p + k` along an axis that moves with a post
/// dimension and `k` along the others: the inverse of
/// [`target`](super::spike_convolve::target).
pub fn spike_convolve_gather<R: crate::real::Real>(
    g: &mut [R],
    conv: &Conv,
    spikes: &SpikeBits,
    delay: u32,
) {
    let w = &conv.window;
    let taps = w.taps();
    if !spikes.any(delay) {
        return;
    }
    let mut p = vec![0usize; w.post.len()];
    for (rank, gp) in g.iter_mut().enumerate() {
        let mut r = rank;
        for d in (0..w.post.len()).rev() {
            p[d] = r % w.post[d];
            r /= w.post[d];
        }
        let f = w.bank.map_or(0, |bd| p[bd]);
        let mut acc = *gp;
        for t in 0..taps {
            let k = w.tap(t);
            let mut q = 0usize;
            let mut inside = true;
            for ((a, &kd), &n) in w.axes.iter().zip(&k).zip(&w.pre) {
                let qd = match a.post_dim {
                    Some(pd) => a.offset + a.stride * p[pd] as i64 + kd as i64,
                    None => kd as i64,
                };
                inside &= qd >= 0 && qd < n as i64;
                q = q * n + qd.max(0) as usize;
            }
            if inside && spikes.spiked(delay, q as u32) {
                acc += R::of32(conv.weights[f * taps + t]);
            }
        }
        *gp = acc;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::cpu::spike_convolve::spike_convolve;
    use crate::network::conv::{Axis, Padding, Window};

    /// A bank of 3 filters of 3 x 3 x 2 (the last axis the channels) over
    /// 7 x 6 x 2 pre neurons, `stride` apart with a border of 1.
    fn conv(stride: i64) -> Conv {
        let along = |pd: usize| Axis {
            kernel: 3,
            post_dim: Some(pd),
            stride,
            offset: -1,
        };
        let post = [
            7usize.div_ceil(stride as usize),
            6usize.div_ceil(stride as usize),
            3,
        ];
        let window = Window {
            pre: vec![7, 6, 2],
            post: post.to_vec(),
            axes: vec![
                along(0),
                along(1),
                Axis {
                    kernel: 2,
                    post_dim: None,
                    stride: 1,
                    offset: 0,
                },
            ],
            starts: None,
            bank: Some(2),
            padding: Padding::Value(0.0),
        };
        let n = 3 * window.taps();
        Conv {
            window,
            // Magnitudes far apart: the order of the additions shows.
            weights: (0..n)
                .map(|i| 10f32.powi(i as i32 % 7 - 3) * (1.0 + i as f32 / 7.0))
                .collect(),
            pooling: false,
        }
    }

    #[test]
    fn gathers_the_sums_spike_convolve_pushes_bit_for_bit() {
        for stride in [1, 2] {
            let c = conv(stride);
            let n_post: usize = c.window.post.iter().product();
            let spikes: Vec<u32> = (0..84u32).filter(|j| (j * 37) % 3 != 0).collect();
            let start: Vec<f32> = (0..n_post).map(|i| 0.3 * i as f32).collect();
            let mut pushed = start.clone();
            spike_convolve(&c, &spikes, &mut pushed);
            let words = SpikeBits::ring_of(std::slice::from_ref(&spikes), 3, 84, 4);
            let bits = SpikeBits {
                words: &words,
                ring: 3,
                n: 84,
                pos: 4,
            };
            let mut gathered = start.clone();
            spike_convolve_gather(&mut gathered, &c, &bits, 1);
            assert!(pushed != start, "stride {stride}: nothing delivered");
            for (i, (a, b)) in pushed.iter().zip(&gathered).enumerate() {
                assert_eq!(
                    a.to_bits(),
                    b.to_bits(),
                    "stride {stride}, post {i}: {a} vs {b}"
                );
            }
        }
    }
}

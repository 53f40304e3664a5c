//! `decode`: one step of a DecodingProjection (CPU twin of the GPU kernel
//! of the same name, shaders/decode.wgsl).
//!
//! Bindings, in order: the synapses by pre (the GPU twin reads them by
//! post), the weights (per synapse, or one shared), the pre-synaptic
//! neurons that spiked at the previous step, the window of past counts
//! (newest first), the per-post `1 / n_pre`, and the post-synaptic sums it
//! adds to.

use std::collections::VecDeque;

use super::spike_propagate::PreCsr;
use crate::real::Real;

/// The rate scale of a window of `window` steps of `dt` ms: counts per
/// step summed over the window, times this, are Hz.
pub fn scale<R: Real>(dt: f64, window: u32) -> R {
    R::of(1000.0 / (dt * f64::from(window)))
}

/// `1 / n_pre` of each post-synaptic neuron (0 for one with no synapse),
/// computed once on the host so that both engines multiply by the same value.
pub fn inverse_counts<R: Real>(row_ptr: &[u32]) -> Vec<R> {
    row_ptr
        .windows(2)
        .map(|r| {
            let n = r[1] - r[0];
            if n == 0 {
                R::ZERO
            } else {
                R::ONE / R::of_u32(n)
            }
        })
        .collect()
}

/// Counts this step's weighted spikes per post-synaptic neuron, pushes
/// them into the window in place of the oldest counts, and adds `sum over
/// the window (newest first) * scale * inv_n` to `sums`.
///
/// The GPU kernel pulls: each post neuron walks its row (ascending pre
/// ranks) and adds the weights of those that spiked. Here the spikes are
/// pushed through the pre-ordered view, in ascending rank, so each count
/// receives the same additions in the same order, at a cost proportional
/// to the spikes rather than to the synapses.
#[allow(clippy::too_many_arguments)]
pub fn decode<R: Real>(
    csr: &PreCsr,
    w: &[R],
    spikes: &[u32],
    window: &mut VecDeque<Vec<R>>,
    inv_n: &[R],
    scale: R,
    sums: &mut [R],
) {
    debug_assert!(spikes.is_sorted());
    let shared = w.len() == 1;
    let mut counts = window.pop_back().unwrap_or_default();
    counts.clear();
    counts.resize(sums.len(), R::ZERO);
    for &k in spikes {
        let (a, b) = (
            csr.ptr[k as usize] as usize,
            csr.ptr[k as usize + 1] as usize,
        );
        for e in a..b {
            let wj = if shared {
                w[0]
            } else {
                w[csr.syn()[e] as usize]
            };
            counts[csr.post()[e] as usize] += wj;
        }
    }
    window.push_front(counts);
    // Row by row, newest first: each total adds its window in the order the
    // GPU kernel does, while the rows are read contiguously (a neuron at a
    // time strode across all of them, most of the model's time).
    let mut totals = vec![R::ZERO; sums.len()];
    for past in window.iter() {
        totals.iter_mut().zip(past).for_each(|(t, &c)| *t += c);
    }
    for ((s, total), inv) in sums.iter_mut().zip(totals).zip(inv_n) {
        *s += total * scale * *inv;
    }
}

//! `spike_procedural`: delivery through a procedural projection (CPU twin
//! of the GPU kernel of the same name, shaders/spike_procedural.wgsl): for
//! each spike of `delay` steps ago, the neuron's row is drawn again chunk by
//! chunk ([`Procedural::chunk_row`]) and each synapse's weight (a constant
//! or drawn again, [`Procedural::weight_at`]) added to its target.
//!
//! Bindings, in order: the threshold table and the weight, the spikes
//! emitted `delay` steps ago, the post-synaptic conductance.

use rayon::prelude::*;

use super::spike_propagate::Element;
use crate::connect::procedural::Procedural;

/// Below this many expected synaptic events, one thread delivers.
pub(super) const PARALLEL_EVENTS: f64 = 16384.0;

/// `g[target] += w(pre, target)` for every target of every spike. Each
/// target receives its spikes in ascending rank order, whether one thread
/// delivers or (with enough events) one thread a chunk of post neurons:
/// chunks cover disjoint targets, so the sums are the same bit for bit.
pub fn spike_procedural<R: crate::real::Real>(
    gen: &Procedural,
    object: u32,
    spikes: &[u32],
    (n_pre, n_post): Element,
    g: &mut [R],
) {
    let deliver = |c: u32, j: u32, out: &mut [R]| {
        // `out` starts at the chunk's first target.
        let base = c * gen.chunk;
        match gen.weight.constant() {
            Some(w) => {
                let w = R::of32(w);
                gen.chunk_row(object, j, c, |t| out[(t - base) as usize] += w)
            }
            None => gen.chunk_row(object, j, c, |t| {
                out[(t - base) as usize] += gen.weight_at::<R>(object, j, t)
            }),
        }
    };
    let chunks = gen.chunks();
    let events = spikes.len() as f64 * gen.p * f64::from(n_post);
    if events < PARALLEL_EVENTS || chunks < 2 {
        for &k in spikes {
            let b = k / n_pre;
            let j = k - b * n_pre;
            let g = &mut g[(b * n_post) as usize..((b + 1) * n_post) as usize];
            for c in 0..chunks {
                deliver(c, j, &mut g[(c * gen.chunk) as usize..]);
            }
        }
        return;
    }
    // Per chunk, its slice of every batch element.
    let mut parts: Vec<Vec<&mut [R]>> = (0..chunks).map(|_| Vec::new()).collect();
    for element in g.chunks_mut(n_post as usize) {
        for (c, s) in element.chunks_mut(gen.chunk as usize).enumerate() {
            parts[c].push(s);
        }
    }
    parts
        .into_par_iter()
        .enumerate()
        .for_each(|(c, mut slices)| {
            for &k in spikes {
                let b = k / n_pre;
                deliver(c as u32, k - b * n_pre, &mut *slices[b as usize]);
            }
        });
}

/// [`spike_procedural`] with per-synapse delays (GeNN's dendritic delays):
/// at ring position `pos` (the GPU kernel's `clk.ring`: steps delivered
/// since the engine was built, never the user's step number), the inputs
/// due now (row `pos % D` of `ring`, `D` = the longest delay) join `g` and
/// the row is emptied; then each synapse of a spike of the previous step
/// adds its weight to `g` if its delay is one step, else to the row of the
/// position it is due, `pos + delay - 1`.
/// Each target gets its inputs in the order of the spikes, whether one
/// thread delivers or (with enough events) one thread a chunk of post
/// neurons, which owns those columns of `g` and of every ring row.
pub fn spike_procedural_delayed<R: crate::real::Real>(
    gen: &Procedural,
    object: u32,
    spikes: &[u32],
    (n_pre, n_post): Element,
    pos: u32,
    ring: &mut [R],
    g: &mut [R],
) {
    let d_max = gen.delay;
    let chunk = gen.chunk as usize;
    // `gs[b]` and `rows[r][b]`: element b's part of g and of ring row r,
    // starting at chunk c's first target.
    let deliver = |c: u32, gs: &mut [&mut [R]], rows: &mut [Vec<&mut [R]>]| {
        let now = (pos % d_max) as usize;
        for (x, r) in gs.iter_mut().zip(rows[now].iter_mut()) {
            for (x, r) in x.iter_mut().zip(r.iter_mut()) {
                *x += *r;
                *r = R::ZERO;
            }
        }
        let base = c * gen.chunk;
        for &k in spikes {
            let b = (k / n_pre) as usize;
            let j = k - b as u32 * n_pre;
            gen.chunk_row(object, j, c, |t| {
                let w = gen.weight_at::<R>(object, j, t);
                let at = (t - base) as usize;
                match gen.delay_at(object, j, t) {
                    1 => gs[b][at] += w,
                    d => rows[((pos + d - 1) % d_max) as usize][b][at] += w,
                }
            });
        }
    };
    let chunks = gen.chunks() as usize;
    let (np, elements) = (g.len(), g.len() / n_post as usize);
    let events = spikes.len() as f64 * gen.p * f64::from(n_post);
    if events < PARALLEL_EVENTS || chunks < 2 {
        // One thread, no partitioning: the same sums in the same order.
        let now = (pos % d_max) as usize * np;
        for (x, r) in g.iter_mut().zip(&mut ring[now..now + np]) {
            *x += *r;
            *r = R::ZERO;
        }
        for &k in spikes {
            let b = k / n_pre;
            let j = k - b * n_pre;
            let off = (b * n_post) as usize;
            gen.row(object, j, |t| {
                let w = gen.weight_at::<R>(object, j, t);
                let at = off + t as usize;
                match gen.delay_at(object, j, t) {
                    1 => g[at] += w,
                    d => ring[((pos + d - 1) % d_max) as usize * np + at] += w,
                }
            });
        }
        return;
    }
    // Per chunk: its part of every element of g, and of every ring row.
    let mut gparts: Vec<Vec<&mut [R]>> = (0..chunks).map(|_| Vec::new()).collect();
    for element in g.chunks_mut(n_post as usize) {
        for (c, s) in element.chunks_mut(chunk).enumerate() {
            gparts[c].push(s);
        }
    }
    let mut rparts: Vec<Vec<Vec<&mut [R]>>> = (0..chunks)
        .map(|_| (0..d_max).map(|_| Vec::with_capacity(elements)).collect())
        .collect();
    for (r, row) in ring.chunks_mut(np).enumerate() {
        for element in row.chunks_mut(n_post as usize) {
            for (c, s) in element.chunks_mut(chunk).enumerate() {
                rparts[c][r].push(s);
            }
        }
    }
    gparts
        .into_iter()
        .zip(rparts)
        .collect::<Vec<_>>()
        .into_par_iter()
        .enumerate()
        .for_each(|(c, (mut gs, mut rows))| deliver(c as u32, &mut gs, &mut rows));
}

//! `spike_procedural`: delivery through a procedural projection (CPU twin
//! of the GPU kernel of the same name, shaders/spike_procedural.wgsl): for
//! each spike of `delay` steps ago, the neuron's row is drawn again chunk by
//! chunk ([`Procedural::chunk_row`]) and the weight added to each target.
//!
//! Bindings, in order: the threshold table and the weight, the spikes
//! emitted `delay` steps ago, the post-synaptic conductance.

use super::spike_propagate::Element;
use crate::connect::procedural::Procedural;

/// `g[target] += weight` for every target of every spike (ascending spike
/// ranks, then chunks, then targets).
pub fn spike_procedural(
    gen: &Procedural,
    object: u32,
    spikes: &[u32],
    (n_pre, n_post): Element,
    g: &mut [f32],
) {
    for &k in spikes {
        let b = k / n_pre;
        let j = k - b * n_pre;
        let g = &mut g[(b * n_post) as usize..((b + 1) * n_post) as usize];
        gen.row(object, j, |t| g[t as usize] += gen.weight);
    }
}

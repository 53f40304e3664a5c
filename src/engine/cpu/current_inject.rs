//! `current_inject`: a CurrentInjection sets each post-synaptic neuron's
//! conductance to the rate of the pre-synaptic neuron of the same rank
//! (CPU twin of the GPU kernel of the same name, shaders/current_inject.wgsl).
//!
//! Bindings, in order: the post-synaptic conductance, the pre-synaptic `r`.

/// Copies `r` (as the previous step left it) into the conductance.
pub fn current_inject<R: Copy>(g: &mut [R], r: &[R]) {
    g.copy_from_slice(r);
}

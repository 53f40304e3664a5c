//! `clear_inputs`: zero a population's `sum(target)` arrays and the
//! conductances no equation governs at the start of a step (CPU twin of
//! the GPU kernel of the same name).
//!
//! Bindings, in order: the population's slots, its sums; the slots to zero.

/// Zeroes the sums and the listed conductance slots.
pub fn clear_inputs(vars: &mut [Vec<f32>], sums: &mut [Vec<f32>], zero: &[usize]) {
    sums.iter_mut().for_each(|s| s.fill(0.0));
    for &g in zero {
        vars[g].fill(0.0);
    }
}

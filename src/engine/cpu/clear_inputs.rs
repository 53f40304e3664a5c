//! `clear_inputs`: zero a population's `sum(target)` arrays and the
//! conductances no equation governs at the start of a step (CPU twin of
//! the GPU kernel of the same name).
//!
//! Bindings, in order: the population's slots, its sums; the slots to zero.

/// Zeroes the sums and the listed conductance slots.
pub fn clear_inputs<R: crate::real::Real>(
    vars: &mut [Vec<R>],
    sums: &mut [Vec<R>],
    zero: &[usize],
) {
    sums.iter_mut().for_each(|s| s.fill(R::ZERO));
    for &g in zero {
        vars[g].fill(R::ZERO);
    }
}

//! `record`: monitors copy the recorded variables after the populations
//! have updated (CPU twin of the GPU kernel of the same name).

/// Appends the current values of the recorded slots to their buffers.
pub fn record(vars: &[Vec<f32>], slots: &[usize], buffers: &mut [Vec<f32>]) {
    for (s, b) in slots.iter().zip(buffers.iter_mut()) {
        b.extend_from_slice(&vars[*s]);
    }
}

//! `record`: monitors copy the recorded variables after the populations
//! have updated (CPU twin of the GPU kernel of the same name).

/// Appends the current values of the recorded slots to their buffers:
/// all of them, or those of the neurons `ranks` (a view) for per-neuron slots.
pub fn record(vars: &[Vec<f32>], slots: &[usize], ranks: Option<&[u32]>, buffers: &mut [Vec<f32>]) {
    for (s, b) in slots.iter().zip(buffers.iter_mut()) {
        append(&vars[*s], ranks, b);
    }
}

/// Appends `values` (or those at `ranks`, unless `values` is one shared value).
pub fn append(values: &[f32], ranks: Option<&[u32]>, out: &mut Vec<f32>) {
    match ranks {
        Some(r) if values.len() > 1 => out.extend(r.iter().map(|&i| values[i as usize])),
        _ => out.extend_from_slice(values),
    }
}

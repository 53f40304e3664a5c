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

/// What an active monitor records at step `step`: the spikes of its
/// population (`spikes`, per population, this step's), and its variables
/// at its sample steps.
pub(crate) fn monitor(
    m: &mut crate::engine::MonitorState,
    pops: &[super::PopState],
    spikes: &[Vec<u32>],
    step: u64,
) {
    if !m.active {
        return;
    }
    let pop = m.spec.pop.0;
    if m.spec.spikes {
        let member = &m.member;
        m.spikes.extend(
            spikes[pop]
                .iter()
                .filter(|&&i| member.as_ref().is_none_or(|v| v[i as usize]))
                .map(|&i| (step, i)),
        );
    }
    if !m.slots.is_empty() && (step - m.start_step).is_multiple_of(m.spec.period) {
        record(
            &pops[pop].vars,
            &m.slots,
            m.spec.ranks.as_deref(),
            &mut m.buffers,
        );
        m.sample_steps.push(step);
    }
}

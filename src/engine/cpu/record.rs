//! `record` and `record_inputs`: monitors copy the recorded variables
//! after the populations have updated, and the conductances they record
//! before, as the inputs left them (CPU twins of the GPU kernels of the
//! same names: one template, `shaders/record.wgsl`).

/// Appends `values` (or those at `ranks`, unless `values` is one shared value).
pub fn append<R: Copy>(values: &[R], ranks: Option<&[u32]>, out: &mut Vec<R>) {
    match ranks {
        Some(r) if values.len() > 1 => out.extend(r.iter().map(|&i| values[i as usize])),
        _ => out.extend_from_slice(values),
    }
}

/// Whether an active monitor samples at `step`.
fn samples_at(m: &crate::engine::MonitorState, step: u64) -> bool {
    // Most monitors sample every step: no division.
    m.active && (m.spec.period == 1 || (step - m.start_step).is_multiple_of(m.spec.period))
}

/// `record_inputs`: at a sample step of an active monitor, the values of
/// the conductances it records (before the update), kept for `record`.
pub(crate) fn record_inputs<R: crate::real::Real>(
    m: &mut crate::engine::MonitorState,
    pops: &[super::PopState<R>],
    step: u64,
) {
    if !samples_at(m, step) {
        return;
    }
    let vars = &pops[m.spec.pop.0].vars;
    let ranks = m.spec.ranks.as_deref();
    let rows = m
        .slots
        .iter()
        .zip(&m.early)
        .filter(|(_, &e)| e)
        .map(|(&s, _)| {
            let mut v = crate::real::Reals::of(R::DTYPE, []);
            v.append_from(&vars[s], ranks);
            v
        })
        .collect();
    m.pending = Some((step, rows));
}

/// What an active monitor records at step `step`: the spikes of its
/// population (`spikes`, per population, this step's), and its variables
/// at its sample steps (the conductances as `record_inputs` kept them at
/// this step; without, as they are now: `record` run alone).
pub(crate) fn record<R: crate::real::Real>(
    m: &mut crate::engine::MonitorState,
    pops: &[super::PopState<R>],
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
    if !m.slots.is_empty() && samples_at(m, step) {
        let vars = &pops[pop].vars;
        let ranks = m.spec.ranks.as_deref();
        match m.pending.take() {
            Some((s, rows)) if s == step => {
                let mut kept = rows.into_iter();
                for ((&s, &early), b) in m.slots.iter().zip(&m.early).zip(&mut m.buffers) {
                    match if early { kept.next() } else { None } {
                        Some(row) => b.extend_reals(&row),
                        None => b.append_from(&vars[s], ranks),
                    }
                }
            }
            // Nothing kept before the update (the usual monitor, of no
            // conductance): every variable as it is now.
            _ => {
                for (&s, b) in m.slots.iter().zip(&mut m.buffers) {
                    b.append_from(&vars[s], ranks);
                }
            }
        }
        m.sample_steps.push(step);
    }
}

//! `clear_inputs` (template `shaders/clear_inputs.wgsl`, CPU twin
//! `cpu/clear_inputs.rs`) and its merged variant.

use std::fmt::Write;

use super::layout::PopLayout;
use super::merged::merged_over_ranges;
use super::neuron_update::PopBuf;
use super::{assemble, declare, Dtype, Kernel};
use crate::lang::ir::NeuronIr;

const CLEAR_INPUTS: &str = include_str!("../../../../shaders/clear_inputs.wgsl");

/// `clear_inputs` of a population: zero its sums and ungoverned
/// conductances.
pub fn clear_inputs(pop_name: &str, ir: &NeuronIr, l: &PopLayout, dtype: Dtype) -> Kernel {
    let mut body = String::new();
    let _ = writeln!(body, "    if (i < {}u) {{", l.n);
    for t in 0..ir.targets.len() as u32 {
        let _ = writeln!(body, "        state[{}u + i] = 0.0;", l.sum_offset(t));
    }
    for (_, slot, governed) in &ir.conductances {
        if !governed {
            if let Some(o) = l.offset(*slot) {
                let _ = writeln!(body, "        state[{o}u + i] = 0.0;");
            }
        }
    }
    body.push_str("    }\n");
    assemble(
        format!("clear_inputs[population '{pop_name}']"),
        CLEAR_INPUTS,
        &declare(&[PopBuf::State.own()]),
        &body,
        dtype,
    )
}

/// Whether clear_inputs has anything to do for this population.
pub fn needs_clear(ir: &NeuronIr) -> bool {
    !ir.targets.is_empty() || ir.conductances.iter().any(|c| !c.2)
}

/// One dispatch for the `clear_inputs` of several populations (as
/// [`neuron_update_merged`](super::neuron_update_merged); each binds its
/// state only).
pub fn clear_inputs_merged(
    members: &[(&str, &Kernel, &PopLayout)],
) -> (Kernel, Vec<Vec<(PopBuf, u32)>>) {
    let parts: Vec<_> = members
        .iter()
        .map(|(name, k, l)| (*name, *k, l.n, vec![PopBuf::State]))
        .collect();
    merged_over_ranges("clear_inputs_merged", &parts)
}

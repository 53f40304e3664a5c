//! `record` and `record_inputs` (one template, `shaders/record.wgsl`; CPU
//! twins in `cpu/record.rs`).

use std::fmt::Write;

use super::{assemble, declare, Access, Binding, Dtype, Kernel, REAL};

const RECORD: &str = include_str!("../../../../shaders/record.wgsl");

/// One recorded variable: its state offset (per neuron) or parameter index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Per-neuron slot at this state offset.
    Local(u32),
    /// Population-wide slot at this parameter index.
    Global(u32),
}

/// `record` of a monitor: each sample row holds the variables one after
/// the other (n values each, or 1 for population-wide ones); this kernel
/// writes those not `early` (`record_inputs` writes the others).
pub fn record(name: &str, n: u32, vars: &[Recorded], early: &[bool], dtype: Dtype) -> Kernel {
    let late: Vec<bool> = early.iter().map(|e| !e).collect();
    record_columns(
        format!("record[monitor of '{name}']"),
        n,
        vars,
        &late,
        dtype,
    )
}

/// `record_inputs` of a monitor: the `early` variables of its rows (the
/// conductances, sampled before the update), where `record` leaves them.
pub fn record_inputs(
    name: &str,
    n: u32,
    vars: &[Recorded],
    early: &[bool],
    dtype: Dtype,
) -> Kernel {
    record_columns(
        format!("record_inputs[monitor of '{name}']"),
        n,
        vars,
        early,
        dtype,
    )
}

/// A kernel writing the variables `write` of a monitor's sample row.
fn record_columns(
    kernel: String,
    n: u32,
    vars: &[Recorded],
    write: &[bool],
    dtype: Dtype,
) -> Kernel {
    let row_len: u32 = vars
        .iter()
        .map(|v| match v {
            Recorded::Local(_) => n,
            Recorded::Global(_) => 1,
        })
        .sum();
    let mut body = String::new();
    let mut off = 0;
    for (v, &w) in vars.iter().zip(write) {
        match v {
            Recorded::Local(o) => {
                if w {
                    let _ = writeln!(
                        body,
                        "    if (i < {n}u) {{ mon[row * {row_len}u + {off}u + i] = state[{o}u + i]; }}"
                    );
                }
                off += n;
            }
            Recorded::Global(g) => {
                if w {
                    let _ = writeln!(
                        body,
                        "    if (i == 0u) {{ mon[row * {row_len}u + {off}u] = params[{g}]; }}"
                    );
                }
                off += 1;
            }
        }
    }
    let table = [
        Binding::new(1, "state", Access::Read, REAL),
        Binding::new(2, "params", Access::Read, REAL),
        Binding::new(3, "mon", Access::ReadWrite, REAL),
        Binding::new(4, "sampling", Access::Uniform, "Sampling"),
    ];
    assemble(kernel, RECORD, &declare(&table), &body, dtype)
}

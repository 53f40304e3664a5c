//! `record` (template `shaders/record.wgsl`, CPU twin `cpu/record.rs`).

use std::fmt::Write;

use super::{assemble, declare, Access, Binding, Kernel, F32};

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
/// the other (n values each, or 1 for population-wide ones).
pub fn record(name: &str, n: u32, vars: &[Recorded]) -> Kernel {
    let row_len: u32 = vars
        .iter()
        .map(|v| match v {
            Recorded::Local(_) => n,
            Recorded::Global(_) => 1,
        })
        .sum();
    let mut body = String::new();
    let mut off = 0;
    for v in vars {
        match v {
            Recorded::Local(o) => {
                let _ = writeln!(
                    body,
                    "    if (i < {n}u) {{ mon[row * {row_len}u + {off}u + i] = state[{o}u + i]; }}"
                );
                off += n;
            }
            Recorded::Global(g) => {
                let _ = writeln!(
                    body,
                    "    if (i == 0u) {{ mon[row * {row_len}u + {off}u] = params[{g}]; }}"
                );
                off += 1;
            }
        }
    }
    let table = [
        Binding::new(1, "state", Access::Read, F32),
        Binding::new(2, "params", Access::Read, F32),
        Binding::new(3, "mon", Access::ReadWrite, F32),
        Binding::new(4, "sampling", Access::Uniform, "Sampling"),
    ];
    assemble(
        format!("record[monitor of '{name}']"),
        RECORD,
        &declare(&table),
        &body,
    )
}

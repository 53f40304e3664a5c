//! `spike_convolve` (template `shaders/spike_convolve.wgsl`, CPU twin
//! `cpu/spike_convolve.rs`): event-driven convolution of spikes.

use std::fmt::Write;

use super::layout::Ends;
use super::{assemble, atomic_add, atomic_f32, declare, Access, Binding, Dtype, Kernel, REAL, U32};
use crate::network::conv::{Conv, Window};

const SPIKE_CONVOLVE: &str = include_str!("../../../../shaders/spike_convolve.wgsl");

/// `spike_convolve` of a convolution between spiking populations into
/// conductance slot `g`, delivering the spikes of `delay` steps ago.
pub fn spike_convolve(
    name: &str,
    conv: &Conv,
    delay: u32,
    ends: &Ends,
    g: u32,
    float_atomics: bool,
) -> Kernel {
    let w = &conv.window;
    let taps = w.taps();
    let pairs = taps * w.filters();
    let n_pre = ends.pre.n;
    let ring = ends.pre.ring;
    let table = [
        Binding::new(1, "post", Access::ReadWrite, atomic_f32(float_atomics)),
        Binding::new(2, "csr", Access::Read, U32),
        Binding::new(3, "syn", Access::Read, REAL),
        Binding::new(4, "sparams", Access::Read, REAL),
        Binding::new(5, "pre_count", Access::Read, U32),
        Binding::new(6, "pre_list", Access::Read, U32),
    ];
    let go = ends.post.offset(g).unwrap_or(0);
    let add = atomic_add(&format!("post[{go}u + tgt]"), "syn[e]", float_atomics);
    let kernel: Vec<usize> = w.axes.iter().map(|a| a.kernel).collect();
    let mut body = String::new();
    let _ = writeln!(
        body,
        "    let slot = (clk.ring + {ring}u - {delay}u) % {ring}u;"
    );
    let _ = writeln!(body, "    let count = pre_count[slot];");
    let _ = writeln!(
        body,
        "    for (var n = group; n < count; n = n + groups) {{"
    );
    body.push_str(&coords(
        &w.pre,
        &format!("pre_list[slot * {n_pre}u + n]"),
        "q",
        "i32",
        "        ",
    ));
    let _ = writeln!(
        body,
        "        for (var e = lid; e < {pairs}u; e = e + 64u) {{"
    );
    let _ = writeln!(body, "            let f = e / {taps}u;");
    body.push_str(&coords(
        &kernel,
        &format!("e % {taps}u"),
        "k",
        "i32",
        "            ",
    ));
    body.push_str(&window_target(w, "            "));
    let _ = writeln!(body, "            if (ok) {{ {add} }}");
    body.push_str("        }\n    }\n");
    assemble(
        format!("spike_convolve[projection '{name}']"),
        SPIKE_CONVOLVE,
        &declare(&table),
        &body,
        // Atomic delivery is f32's: an f64 network's spikes go through
        // spike_convolve_gather (WGSL has no f64 atomics).
        Dtype::F32,
    )
}

/// WGSL finding the post neuron whose window reads pre coordinates
/// `q{d}` (i32) at tap `k{d}` (i32) of filter `f`: sets `ok` and, when
/// true, `tgt` (CPU twin: `cpu::spike_convolve::target`).
pub(super) fn window_target(w: &Window, ind: &str) -> String {
    let mut body = String::new();
    let _ = writeln!(body, "{ind}var ok = true;");
    let mut p_of = vec![String::from("0u"); w.post.len()];
    for (d, a) in w.axes.iter().enumerate() {
        match a.post_dim {
            Some(pd) => {
                let _ = writeln!(body, "{ind}let num{d} = q{d} - ({}i) - k{d};", a.offset);
                let _ = writeln!(
                    body,
                    "{ind}if (num{d} < 0i || num{d} % {s}i != 0i || num{d} / {s}i >= {n}i) {{ ok = false; }}",
                    s = a.stride,
                    n = w.post[pd]
                );
                p_of[pd] = format!("u32(max(num{d}, 0i) / {}i)", a.stride);
            }
            None => {
                let _ = writeln!(body, "{ind}if (k{d} != q{d}) {{ ok = false; }}");
            }
        }
    }
    if let Some(bd) = w.bank {
        p_of[bd] = "f".into();
    }
    let mut rank = String::from("0u");
    for (pd, &n) in w.post.iter().enumerate() {
        rank = format!("({rank} * {n}u + {})", p_of[pd]);
    }
    let _ = writeln!(body, "{ind}let tgt = {rank};");
    body
}

/// WGSL of the coordinates `{name}{d}` (converted with `ty`) of the
/// row-major `rank` (a u32 expression) in `dims`.
pub(super) fn coords(dims: &[usize], rank: &str, name: &str, ty: &str, ind: &str) -> String {
    let mut body = format!("{ind}var {name}r = {rank};\n");
    for (d, &n) in dims.iter().enumerate().rev() {
        let _ = writeln!(
            body,
            "{ind}let {name}{d} = {ty}({name}r % {n}u);\n{ind}{name}r = {name}r / {n}u;"
        );
    }
    body
}

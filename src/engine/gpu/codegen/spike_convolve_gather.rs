//! `spike_convolve_gather` (template `shaders/spike_convolve_gather.wgsl`,
//! CPU twin `cpu/spike_convolve_gather.rs`): the deterministic delivery
//! of a convolution between spiking populations
//! (`GpuOptions::deterministic`), a thread per post neuron over its
//! window's taps.

use std::fmt::Write;

use super::layout::Ends;
use super::spike_convolve::coords;
use super::{assemble, declare, Access, Binding, Dtype, Kernel, REAL, U32};
use crate::network::conv::Conv;

const SPIKE_CONVOLVE_GATHER: &str = include_str!("../../../../shaders/spike_convolve_gather.wgsl");

/// `spike_convolve_gather` of a convolution between spiking populations
/// into conductance slot `g`, delivering the spikes of `delay` steps ago.
/// Tap `k` of post neuron `p` reads pre coordinates `offset + stride p +
/// k` along the axes that move with a post dimension and `k` along the
/// others (the twin of `cpu::spike_convolve::target`, inverted); each
/// coordinate grows with its tap's, so ascending taps (row-major) are
/// ascending pre ranks.
pub fn spike_convolve_gather(
    name: &str,
    conv: &Conv,
    delay: u32,
    ends: &Ends,
    g: u32,
    dtype: Dtype,
) -> Kernel {
    let w = &conv.window;
    let taps = w.taps();
    let (n_post, ring, words) = (ends.post.n, ends.pre.ring, ends.pre.bit_words());
    let table = [
        Binding::new(1, "post", Access::ReadWrite, REAL),
        Binding::new(2, "csr", Access::Read, U32),
        Binding::new(3, "syn", Access::Read, REAL),
        Binding::new(4, "sparams", Access::Read, REAL),
        Binding::new(5, "pre_count", Access::Read, U32),
    ];
    let go = ends.post.offset(g).unwrap_or(0);
    let kernel: Vec<usize> = w.axes.iter().map(|a| a.kernel).collect();
    let mut body = String::new();
    let _ = writeln!(body, "    if (i >= {n_post}u) {{ return; }}");
    let _ = writeln!(
        body,
        "    let slot = (clk.ring + {ring}u - {delay}u) % {ring}u;"
    );
    let _ = writeln!(body, "    if (pre_count[slot] == 0u) {{ return; }}");
    let _ = writeln!(body, "    let mask_at = {ring}u + slot * {words}u;");
    body.push_str(&coords(&w.post, "i", "p", "i32", "    "));
    // The filter of a bank is the post neuron's coordinate along it.
    let f = w
        .bank
        .map_or_else(|| "0u".to_string(), |bd| format!("u32(p{bd})"));
    let _ = writeln!(body, "    let f = {f};");
    let _ = writeln!(body, "    var acc = post[{go}u + i];");
    let _ = writeln!(body, "    for (var e = 0u; e < {taps}u; e = e + 1u) {{");
    body.push_str(&coords(&kernel, "e", "k", "i32", "        "));
    let _ = writeln!(body, "        var ok = true;");
    let mut rank = String::from("0u");
    for (d, a) in w.axes.iter().enumerate() {
        let q = match a.post_dim {
            Some(pd) => format!("{}i + {}i * p{pd} + k{d}", a.offset, a.stride),
            None => format!("k{d}"),
        };
        let _ = writeln!(body, "        let q{d} = {q};");
        let _ = writeln!(
            body,
            "        if (q{d} < 0i || q{d} >= {}i) {{ ok = false; }}",
            w.pre[d]
        );
        rank = format!("({rank} * {}u + u32(max(q{d}, 0i)))", w.pre[d]);
    }
    let _ = writeln!(body, "        let pj = {rank};");
    let _ = writeln!(
        body,
        "        if (ok && (pre_count[mask_at + (pj >> 5u)] & (1u << (pj & 31u))) != 0u) {{"
    );
    let _ = writeln!(
        body,
        "            acc = cj_keep(acc + syn[f * {taps}u + e]);"
    );
    body.push_str("        }\n    }\n");
    let _ = writeln!(body, "    post[{go}u + i] = acc;");
    assemble(
        format!("spike_convolve_gather[projection '{name}']"),
        SPIKE_CONVOLVE_GATHER,
        &declare(&table),
        &body,
        dtype,
    )
}

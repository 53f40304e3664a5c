//! `decode` (template `shaders/decode.wgsl`, CPU twin `cpu/decode.rs`).

use super::layout::{PopLayout, ProjLayout};
use super::printer::lit;
use super::{assemble, declare, Access, Binding, Kernel, F32, U32};
use crate::lang::ir::SynapseIr;

const DECODE: &str = include_str!("../../../../shaders/decode.wgsl");

/// `decode` of a DecodingProjection into `sum(target)` number `sum`, with
/// a window of `window` steps and the rate scale `scale`
/// (`cpu::decode::scale`).
pub fn decode(
    name: &str,
    ir: &SynapseIr,
    pl: &ProjLayout,
    post: &PopLayout,
    sum: u32,
    window: u32,
    scale: f32,
) -> Kernel {
    let n_post = post.n;
    let nsyn = pl.nsyn;
    let w = match ir.slot("w").and_then(|s| pl.var(s, "j")) {
        Some((v, _)) => v,
        None => "1.0f".into(),
    };
    let so = post.sum_offset(sum);
    let body = format!(
        "    if (i >= {n_post}u) {{ return; }}
    let a = csr[i];
    let b = csr[i + 1u];
    var c = 0.0f;
    for (var j = a; j < b; j = j + 1u) {{
        if (lastspk[csr[{pre}u + j]] == clk.ring + 1u) {{ c = cj_keep(c + {w}); }}
    }}
    let pos = clk.ring % {window}u;
    win[pos * {n_post}u + i] = c;
    var total = 0.0f;
    for (var k = 0u; k < {window}u; k = k + 1u) {{
        total = cj_keep(total + win[((pos + {window}u - k) % {window}u) * {n_post}u + i]);
    }}
    let inv = bitcast<f32>(csr[{inv}u + i]);
    post[{so}u + i] = post[{so}u + i] + cj_keep(cj_keep(total * {scale}) * inv);
",
        pre = n_post + 1,
        inv = n_post + 1 + nsyn,
        scale = lit(scale),
    );
    let table = [
        Binding::new(1, "post", Access::ReadWrite, F32),
        Binding::new(2, "csr", Access::Read, U32),
        Binding::new(3, "syn", Access::Read, F32),
        Binding::new(4, "sparams", Access::Read, F32),
        Binding::new(5, "lastspk", Access::Read, U32),
        Binding::new(6, "win", Access::ReadWrite, F32),
    ];
    assemble(
        format!("decode[projection '{name}']"),
        DECODE,
        &declare(&table),
        &body,
    )
}

//! `decode` (template `shaders/decode.wgsl`, CPU twin `cpu/decode.rs`).

use super::layout::{PopLayout, ProjLayout};
use super::{assemble, declare, real_of_words, Access, Binding, Kernel, Num, REAL, U32};
use crate::lang::ir::SynapseIr;

const DECODE: &str = include_str!("../../../../shaders/decode.wgsl");

/// `decode` of a DecodingProjection into `sum(target)` number `sum`, with
/// a window of `window` steps (whose rate scale is `cpu::decode::scale`'s,
/// in the network's precision).
pub fn decode(
    name: &str,
    ir: &SynapseIr,
    pl: &ProjLayout,
    post: &PopLayout,
    sum: u32,
    window: u32,
    num: Num,
) -> Kernel {
    let scale = crate::engine::cpu::decode::scale::<f64>(num.dt, window);
    let n_post = post.n;
    let nsyn = pl.nsyn;
    let w = match ir.slot("w").and_then(|s| pl.var(s, "j")) {
        Some((v, _)) => v,
        None => num.lit(1.0),
    };
    let so = post.sum_offset(sum);
    let body = format!(
        "    if (i >= {n_post}u) {{ return; }}
    let a = csr[i];
    let b = csr[i + 1u];
    var c: real = 0.0;
    for (var j = a; j < b; j = j + 1u) {{
        if (lastspk[csr[{pre}u + j]] == clk.ring + 1u) {{ c = cj_keep(c + {w}); }}
    }}
    let pos = clk.ring % {window}u;
    win[pos * {n_post}u + i] = c;
    var total: real = 0.0;
    for (var k = 0u; k < {window}u; k = k + 1u) {{
        total = cj_keep(total + win[((pos + {window}u - k) % {window}u) * {n_post}u + i]);
    }}
    let inv = {inv};
    post[{so}u + i] = post[{so}u + i] + cj_keep(cj_keep(total * {scale}) * inv);
",
        pre = n_post + 1,
        inv = real_of_words("csr", &format!("{}u", n_post + 1 + nsyn), "i", num.dtype),
        scale = num.lit(scale),
    );
    let table = [
        Binding::new(1, "post", Access::ReadWrite, REAL),
        Binding::new(2, "csr", Access::Read, U32),
        Binding::new(3, "syn", Access::Read, REAL),
        Binding::new(4, "sparams", Access::Read, REAL),
        Binding::new(5, "lastspk", Access::Read, U32),
        Binding::new(6, "win", Access::ReadWrite, REAL),
    ];
    assemble(
        format!("decode[projection '{name}']"),
        DECODE,
        &declare(&table),
        &body,
        num.dtype,
    )
}

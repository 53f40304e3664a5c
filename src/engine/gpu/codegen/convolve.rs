//! `convolve` (template `shaders/convolve.wgsl`, CPU twin
//! `cpu/convolve.rs`): convolution and pooling of rate-coded populations,
//! general, tiled or transposed.

use std::fmt::Write;

use super::layout::Ends;
use super::printer::{lit, Printer};
use super::rate_sum::{past_value, rate_bindings, reduce, reduce_init};
use super::spike_convolve::{coords, window_target};
use super::{assemble, declare, Dtype, Kernel, Num};
use crate::lang::ir::{Expr, SynapseIr};
use crate::network::conv::{Conv, Padding, Window};
use crate::network::model::Operation;

const CONVOLVE: &str = include_str!("../../../../shaders/convolve.wgsl");

/// `convolve` of a convolution or pooling projection into `sum(target)`
/// number `sum`, reading the pre-synaptic values `delay` steps back.
#[allow(clippy::too_many_arguments)]
pub fn convolve(
    name: &str,
    ir: &SynapseIr,
    op: Operation,
    conv: &Conv,
    delay: u32,
    ends: &Ends,
    sum: u32,
    num: Num,
) -> Kernel {
    let w = &conv.window;
    if let Some(k) = convolve_tiled(name, ir, op, conv, delay, ends, sum, num) {
        return k;
    }
    let taps = w.taps();
    let mut body = String::new();
    window_starts(&mut body, w);
    let f = w.bank.map_or("0u".to_string(), |pd| format!("p{pd}"));
    let _ = writeln!(body, "    let fbase = {f} * {taps}u;");
    let _ = writeln!(body, "    var acc: real = {};", reduce_init(op));
    let _ = writeln!(body, "    for (var t = 0u; t < {taps}u; t = t + 1u) {{");
    tap_inputs(&mut body, w, ends, delay, num);
    let _ = writeln!(body, "        let wv = syn[fbase + t];");
    let w_slot = ir.slot("w");
    let leaf = |e: &Expr| -> Option<(String, bool)> {
        match e {
            Expr::Var(v) if Some(*v) == w_slot => Some(("wv".into(), false)),
            Expr::Pre(k) => Some((format!("pv{k}"), false)),
            Expr::Time => Some(("clk.t".into(), true)),
            Expr::Dt => Some((num.dt(), true)),
            _ => None,
        }
    };
    let mut p = Printer::new(&leaf, 0, "t", num.dtype);
    p.indent = "        ".into();
    let v = p.expr(&ir.psp);
    body.push_str(&p.out);
    let _ = writeln!(body, "        acc = {};", reduce(op, &v));
    body.push_str("    }\n");
    if op == Operation::Mean {
        let _ = writeln!(body, "    acc = cj_div(acc, {});", num.lit(taps as f64));
    }
    let so = ends.post.sum_offset(sum);
    let _ = writeln!(body, "    post[{so}u + i] = post[{so}u + i] + acc;");
    // The range guard returns: it stays out of the body, which a merged
    // rate sum runs among others (`rate_sum_merged`).
    let mut k = assemble(
        format!("convolve[projection '{name}']"),
        CONVOLVE,
        &declare(&rate_bindings(ends.same, delay > 1)),
        &format!("    if (i >= {}u) {{ return; }}\n{body}", ends.post.n),
        num.dtype,
    );
    k.body = body;
    k
}

/// The window of post neuron `i`: its coordinates `p{d}` (row-major) and
/// where its window starts on each pre axis, `s{q}` (i32).
fn window_starts(body: &mut String, w: &Window) {
    let d = w.pre.len();
    let _ = writeln!(body, "    var r = i;");
    for (pd, &n) in w.post.iter().enumerate().rev() {
        let _ = writeln!(body, "    let p{pd} = r % {n}u;\n    r = r / {n}u;");
    }
    for (q, a) in w.axes.iter().enumerate() {
        match &w.starts {
            Some(_) => {
                let _ = writeln!(body, "    let s{q} = bitcast<i32>(csr[i * {d}u + {q}u]);");
            }
            None => {
                let p = a
                    .post_dim
                    .map_or("0".to_string(), |pd| format!("i32(p{pd})"));
                let _ = writeln!(body, "    let s{q} = {}i + {}i * {p};", a.offset, a.stride);
            }
        }
    }
}

/// The pre-synaptic values `pv{j}` tap `t` reads, `delay` steps back: the
/// tap's kernel coordinates `k{q}`, the pre coordinates `q{q}` (clamped
/// to the edge, or flagged out of bounds for the padding value) and rank
/// `pj`.
fn tap_inputs(body: &mut String, w: &Window, ends: &Ends, delay: u32, num: Num) {
    let pre_buf = if ends.same { "post" } else { "pstate" };
    let pad = match w.padding {
        Padding::Value(v) => num.lit(f64::from(v)),
        Padding::Border => num.lit(0.0),
    };
    let _ = writeln!(body, "        var tt = t;");
    for (q, a) in w.axes.iter().enumerate().rev() {
        let _ = writeln!(
            body,
            "        let k{q} = tt % {k}u;\n        tt = tt / {k}u;",
            k = a.kernel
        );
    }
    let _ = writeln!(body, "        var inb = true;");
    let mut rank = String::from("0u");
    for (q, &n) in w.pre.iter().enumerate() {
        let _ = writeln!(body, "        var q{q} = s{q} + i32(k{q});");
        match w.padding {
            Padding::Value(_) => {
                let _ = writeln!(
                    body,
                    "        if (q{q} < 0i || q{q} >= {n}i) {{ inb = false; q{q} = 0i; }}"
                );
            }
            Padding::Border => {
                let _ = writeln!(body, "        q{q} = clamp(q{q}, 0i, {}i);", n - 1);
            }
        }
        rank = format!("({rank} * {n}u + u32(q{q}))");
    }
    let _ = writeln!(body, "        let pj = {rank};");
    for (j, slot) in ends.pre_slots.iter().enumerate() {
        let src = match ends.pre.offset(*slot) {
            Some(o) if delay <= 1 => format!("{pre_buf}[{o}u + pj]"),
            Some(_) => past_value(ends.pre, *slot, &format!("{delay}u")),
            None => num.lit(0.0),
        };
        let _ = writeln!(body, "        var pv{j} = {pad};");
        let _ = writeln!(body, "        if (inb) {{ pv{j} = {src}; }}");
    }
}

/// Side of the square of post neurons a tiled `convolve` workgroup computes.
pub const TILE: usize = 8;

/// Most values a tiled `convolve` keeps in workgroup memory (16 KiB,
/// WebGPU's guaranteed minimum, of f32; f64 windows take the general
/// kernel).
const TILE_WORDS: usize = 4096;

/// The number of workgroups a tiled `convolve` of this window runs, or
/// `None` when the window takes the general kernel.
pub fn convolve_tiles(conv: &Conv, delay: u32, plain_psp: bool, dtype: Dtype) -> Option<u32> {
    if dtype != Dtype::F32 {
        return None;
    }
    let w = &conv.window;
    let two_d = w.pre.len() == 2
        && w.axes[0].post_dim == Some(0)
        && w.axes[1].post_dim == Some(1)
        && w.post.len() == 2 + usize::from(w.bank.is_some());
    if !(two_d && plain_psp && w.starts.is_none() && delay <= 1) {
        return None;
    }
    let (th, tw) = tile_box(w);
    if th * tw > TILE_WORDS {
        return None;
    }
    Some((w.post[0].div_ceil(TILE) * w.post[1].div_ceil(TILE)) as u32)
}

/// The box of pre-synaptic values a tile's post neurons read: (rows,
/// columns).
fn tile_box(w: &Window) -> (usize, usize) {
    let (a0, a1) = (w.axes[0], w.axes[1]);
    (
        (TILE - 1) * a0.stride as usize + a0.kernel,
        (TILE - 1) * a1.stride as usize + a1.kernel,
    )
}

/// The tiled `convolve` of a 2-D window with the plain psp `w * pre.r`: a
/// workgroup copies the pre-synaptic box its 8 x 8 post neurons read into
/// workgroup memory once (padding or edge included), then each thread
/// computes its neuron for every filter from there. Same taps, same order,
/// same results as the general kernel.
#[allow(clippy::too_many_arguments)]
fn convolve_tiled(
    name: &str,
    ir: &SynapseIr,
    op: Operation,
    conv: &Conv,
    delay: u32,
    ends: &Ends,
    sum: u32,
    num: Num,
) -> Option<Kernel> {
    let w = &conv.window;
    let tiles = convolve_tiles(conv, delay, ir.psp_is_weighted_rate, num.dtype)?;
    let (th, tw) = tile_box(w);
    let decls = format!(
        "{}var<workgroup> tile: array<f32, {}>;\n",
        declare(&rate_bindings(ends.same, false)),
        th * tw
    );
    // The template's thread index is unused here.
    let body = format!(
        "    _ = i;\n{}{}",
        fill_tile(w, ends, tiles),
        sum_tile(w, op, ends.post.sum_offset(sum))
    );
    Some(assemble(
        format!("convolve[projection '{name}'] (tiled)"),
        CONVOLVE,
        &decls,
        &body,
        Dtype::F32,
    ))
}

/// The workgroup's tile of the `tiles`: its corner post neuron (`y0`,
/// `x0`), and the pre box its neurons read copied to `tile`.
fn fill_tile(w: &Window, ends: &Ends, tiles: u32) -> String {
    let (a0, a1) = (w.axes[0], w.axes[1]);
    let (h, wd) = (w.pre[0], w.pre[1]);
    let (th, tw) = tile_box(w);
    let tx_tiles = w.post[1].div_ceil(TILE);
    let pre_buf = if ends.same { "post" } else { "pstate" };
    let r_off = ends
        .pre
        .offset(ends.pre_slots.first().copied().unwrap_or(0))
        .unwrap_or(0);
    let load = match w.padding {
        Padding::Value(v) => format!(
            "var x = {};\n            if (q0 >= 0i && q0 < {h}i && q1 >= 0i && q1 < {wd}i) {{ x = {pre_buf}[{r_off}u + u32(q0) * {wd}u + u32(q1)]; }}",
            lit(v)
        ),
        Padding::Border => format!(
            "let x = {pre_buf}[{r_off}u + u32(clamp(q0, 0i, {}i)) * {wd}u + u32(clamp(q1, 0i, {}i))];",
            h - 1,
            wd - 1
        ),
    };
    format!(
        "    // A workgroup per 8 x 8 square of post neurons (uniform: from the
    // workgroup id), a thread per neuron of the square.
    let t = wg.y * nwg.x + wg.x;
    if (t >= {tiles}u) {{ return; }}
    let y0 = (t / {tx_tiles}u) * {TILE}u;
    let x0 = (t % {tx_tiles}u) * {TILE}u;
    let b0 = {o0}i + {s0}i * i32(y0);
    let b1 = {o1}i + {s1}i * i32(x0);
    for (var e = lid; e < {n_tile}u; e = e + 64u) {{
        let q0 = b0 + i32(e / {tw}u);
        let q1 = b1 + i32(e % {tw}u);
        {{
            {load}
            tile[e] = x;
        }}
    }}
    workgroupBarrier();
",
        o0 = a0.offset,
        s0 = a0.stride,
        o1 = a1.offset,
        s1 = a1.stride,
        n_tile = th * tw,
    )
}

/// Each thread's post neuron of the tile, for every filter: the `op` of
/// its taps, read from `tile`, added to `sum(target)` (at state offset
/// `so`).
fn sum_tile(w: &Window, op: Operation, so: u32) -> String {
    let (a0, a1) = (w.axes[0], w.axes[1]);
    let (ph, pw) = (w.post[0], w.post[1]);
    let (_, tw) = tile_box(w);
    let taps = w.taps();
    let filters = w.filters();
    let out_rank = if w.bank.is_some() {
        format!("(py * {pw}u + px) * {filters}u + f")
    } else {
        format!("py * {pw}u + px")
    };
    let mean = if op == Operation::Mean {
        format!("\n            acc = cj_div(acc, {});", lit(taps as f32))
    } else {
        String::new()
    };
    format!(
        "    let ly = lid / {TILE}u;
    let lx = lid % {TILE}u;
    let py = y0 + ly;
    let px = x0 + lx;
    if (py >= {ph}u || px >= {pw}u) {{ return; }}
    for (var f = 0u; f < {filters}u; f = f + 1u) {{
        var acc: f32 = {init};
        for (var k0 = 0u; k0 < {k0}u; k0 = k0 + 1u) {{
            for (var k1 = 0u; k1 < {k1}u; k1 = k1 + 1u) {{
                let x = tile[(ly * {s0}u + k0) * {tw}u + lx * {s1}u + k1];
                let v = cj_keep(syn[f * {taps}u + k0 * {k1}u + k1] * x);
                acc = {combine};
            }}
        }}{mean}
        let o = {so}u + {out_rank};
        post[o] = post[o] + acc;
    }}
",
        init = reduce_init(op),
        combine = reduce(op, "v"),
        s0 = a0.stride,
        s1 = a1.stride,
        k0 = a0.kernel,
        k1 = a1.kernel,
    )
}

/// `convolve_transposed`: ANNarchy's Transpose of a convolution: each
/// neuron of the original's pre (the post here) sums `w * r` over the
/// (filter, tap) pairs through which the original's post neurons read it
/// (CPU twin: `cpu::convolve::convolve_transposed`).
pub fn convolve_transposed(name: &str, conv: &Conv, ends: &Ends, sum: u32, dtype: Dtype) -> Kernel {
    let w = &conv.window;
    let taps = w.taps();
    let pairs = taps * w.filters();
    let table = rate_bindings(ends.same, false);
    let pre_buf = if ends.same { "post" } else { "pstate" };
    let r_off = ends
        .pre
        .offset(ends.pre_slots.first().copied().unwrap_or(0))
        .unwrap_or(0);
    let kernel: Vec<usize> = w.axes.iter().map(|a| a.kernel).collect();
    let mut body = String::new();
    let _ = writeln!(body, "    if (i >= {}u) {{ return; }}", ends.post.n);
    // The post here is the original's pre: q are its coordinates.
    body.push_str(&coords(&w.pre, "i", "q", "i32", "    "));
    let _ = writeln!(body, "    var acc: real = 0.0;");
    let _ = writeln!(body, "    for (var e = 0u; e < {pairs}u; e = e + 1u) {{");
    let _ = writeln!(body, "        let f = e / {taps}u;");
    body.push_str(&coords(
        &kernel,
        &format!("e % {taps}u"),
        "k",
        "i32",
        "        ",
    ));
    body.push_str(&window_target(w, "        "));
    let _ = writeln!(
        body,
        "        if (ok) {{ acc = cj_keep(acc + cj_keep(syn[e] * {pre_buf}[{r_off}u + tgt])); }}"
    );
    body.push_str("    }\n");
    let so = ends.post.sum_offset(sum);
    let _ = writeln!(body, "    post[{so}u + i] = post[{so}u + i] + acc;");
    assemble(
        format!("convolve_transposed[projection '{name}']"),
        CONVOLVE,
        &declare(&table),
        &body,
        dtype,
    )
}

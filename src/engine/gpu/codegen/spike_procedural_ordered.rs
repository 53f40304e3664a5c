//! `spike_procedural_ordered` (template
//! `shaders/spike_procedural_ordered.wgsl`, CPU twin
//! `cpu/spike_procedural_ordered.rs`): the deterministic delivery of a
//! procedural projection (`GpuOptions::deterministic`), a thread per
//! chunk of post neurons walking the spikes in ascending rank.

use std::fmt::Write;

use super::layout::Ends;
use super::spike_procedural::{deposit, draw_targets};
use super::{assemble, declare, Access, Binding, Dtype, Kernel, REAL, U32};
use crate::connect::procedural::Procedural;

const SPIKE_PROCEDURAL_ORDERED: &str =
    include_str!("../../../../shaders/spike_procedural_ordered.wgsl");

/// The threads of a `spike_procedural_ordered` dispatch: one per chunk of
/// each batch element.
pub fn procedural_ordered_threads(gen: &Procedural, ends: &Ends) -> u32 {
    ends.batch * gen.chunks()
}

/// `spike_procedural_ordered` of a procedural projection into
/// conductance slot `g`.
pub fn spike_procedural_ordered(
    name: &str,
    gen: &Procedural,
    object: u32,
    ends: &Ends,
    g: u32,
    dtype: Dtype,
) -> Kernel {
    let delayed = gen.per_synapse_delays();
    let table = [
        Binding::new(1, "post", Access::ReadWrite, REAL),
        Binding::new(2, "table", Access::Read, U32),
        if delayed {
            Binding::new(3, "dring", Access::ReadWrite, REAL)
        } else {
            Binding::new(3, "syn", Access::Read, REAL)
        },
        Binding::new(4, "sparams", Access::Read, REAL),
        Binding::new(5, "pre_count", Access::Read, U32),
    ];
    let go = ends.post.offset(g).unwrap_or(0);
    let (el_pre, el_post) = ends.element();
    let (np, ring, words) = (ends.post.n, ends.pre.ring, ends.pre.bit_words());
    let chunks = gen.chunks();
    let mut body = String::new();
    let _ = writeln!(
        body,
        "    if (item >= {}u) {{ return; }}",
        procedural_ordered_threads(gen, ends)
    );
    let _ = writeln!(body, "    let bi = item / {chunks}u;");
    let _ = writeln!(body, "    let c = item - bi * {chunks}u;");
    let _ = writeln!(body, "    let off = bi * {el_post}u;");
    let _ = writeln!(body, "    let base = c * {}u;", gen.chunk);
    let _ = writeln!(
        body,
        "    let len = i32(min({}u, {el_post}u - base));",
        gen.chunk
    );
    if delayed {
        // This step's inputs, waiting in its row of the ring, join the
        // conductances first (all of them, as the CPU twin's `+=`).
        let _ = writeln!(body, "    let fr = (clk.ring % {}u) * {np}u;", gen.delay);
        let _ = writeln!(
            body,
            "    for (var x = 0u; x < u32(len); x = x + 1u) {{
        let at = off + base + x;
        post[{go}u + at] = cj_keep(post[{go}u + at] + dring[fr + at]);
        dring[fr + at] = 0.0;
    }}"
        );
    }
    let _ = writeln!(
        body,
        "    let slot = (clk.ring + {ring}u - {}u) % {ring}u;",
        gen.spike_delay()
    );
    let _ = writeln!(body, "    if (pre_count[slot] == 0u) {{ return; }}");
    let _ = writeln!(body, "    let mask_at = {ring}u + slot * {words}u;");
    // The element's pre ranks `[lo, hi)`, word by word, bit by bit: in
    // ascending rank.
    let _ = writeln!(body, "    let lo = bi * {el_pre}u;");
    let _ = writeln!(body, "    let hi = lo + {el_pre}u;");
    let _ = writeln!(
        body,
        "    for (var wd = lo >> 5u; wd < ((hi + 31u) >> 5u); wd = wd + 1u) {{"
    );
    let _ = writeln!(body, "      var m = pre_count[mask_at + wd];");
    let _ = writeln!(body, "      loop {{");
    let _ = writeln!(body, "        if (m == 0u) {{ break; }}");
    let _ = writeln!(body, "        let pk = wd * 32u + countTrailingZeros(m);");
    let _ = writeln!(body, "        m = m & (m - 1u);");
    let _ = writeln!(body, "        if (pk < lo || pk >= hi) {{ continue; }}");
    let _ = writeln!(body, "        let j = pk - lo;");
    draw_targets(&mut body, gen, object);
    // In ascending rank, one thread a post chunk: plain adds, in order.
    let add = |place: &str| format!("{place} = cj_keep({place} + wt);");
    deposit(&mut body, gen, object, np, go, &add, dtype);
    // The draw loop, the bits of a word, the words.
    body.push_str("        }\n      }\n    }\n");
    assemble(
        format!("spike_procedural_ordered[projection '{name}']"),
        SPIKE_PROCEDURAL_ORDERED,
        &declare(&table),
        &body,
        dtype,
    )
}

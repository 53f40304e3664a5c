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

/// The most loop iterations a thread of `spike_procedural_ordered` makes
/// for one spike: the spike's bit, the draw loop's end, and per target
/// (binomial in a chunk: at most six standard deviations above the mean,
/// which one spike in 10^8 exceeds) the draw and the two corrections of
/// the gap's guess with their ends (the delay's lookup has no loop).
pub fn procedural_ordered_spike_walk(gen: &Procedural) -> u64 {
    let (chunk, p) = (f64::from(gen.chunk), gen.p);
    let targets = (chunk * p + 6.0 * (chunk * p * (1.0 - p)).sqrt() + 1.0)
        .min(chunk)
        .ceil() as u64;
    2 + targets * 4
}

/// The pre ranks (of one batch element) of each dispatch of an ordered
/// procedural delivery on an adapter that ends a thread's loops after
/// `limit` iterations (lavapipe): consecutive ranges, ascending, each
/// small enough that a thread stays within the limit when every pre
/// neuron of its range spikes ([`procedural_ordered_spike_walk`] a spike,
/// the bitmask's words, the ring's row of the chunk). Dispatched in order,
/// they add each target's inputs in ascending pre rank, as one dispatch
/// does. One range where one dispatch fits; `None` where not even one
/// pre neuron a dispatch does.
pub fn procedural_ordered_parts(gen: &Procedural, limit: u64) -> Option<Vec<(u32, u32)>> {
    let ring = if gen.per_synapse_delays() {
        u64::from(gen.chunk)
    } else {
        0
    };
    // The words' loop and its end, and a margin for the kernel's own
    // small loops.
    let budget = limit.checked_sub(ring + 64)?;
    let per_spike = procedural_ordered_spike_walk(gen);
    // `len` pres cost `len * per_spike + len / 32 + 2` at most.
    let len = budget.saturating_sub(2) * 32 / (32 * per_spike + 1);
    if len == 0 {
        return None;
    }
    let n = u64::from(gen.n_pre);
    Some(
        (0..n.div_ceil(len).max(1))
            .map(|k| ((k * len) as u32, ((k + 1) * len).min(n) as u32))
            .collect(),
    )
}

/// `spike_procedural_ordered` of a procedural projection into
/// conductance slot `g`; with `pres`, only the spikes of the pre ranks
/// `pres.0..pres.1` of each batch element ([`procedural_ordered_parts`]),
/// the first range also moving this step's row of the delay ring.
pub fn spike_procedural_ordered(
    name: &str,
    gen: &Procedural,
    object: u32,
    ends: &Ends,
    g: u32,
    dtype: Dtype,
    pres: Option<(u32, u32)>,
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
    if delayed && pres.is_none_or(|(lo, _)| lo == 0) {
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
    let (first, last) = pres.unwrap_or((0, el_pre));
    let _ = writeln!(body, "    let e0 = bi * {el_pre}u;");
    let _ = writeln!(body, "    let lo = e0 + {first}u;");
    let _ = writeln!(body, "    let hi = e0 + {last}u;");
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
    let _ = writeln!(body, "        let j = pk - e0;");
    draw_targets(&mut body, gen, object);
    // In ascending rank, one thread a post chunk: plain adds, in order.
    let add = |place: &str| format!("{place} = cj_keep({place} + wt);");
    deposit(&mut body, gen, object, np, go, &add, dtype);
    // The draw loop, the bits of a word, the words.
    body.push_str("        }\n      }\n    }\n");
    let part = match pres {
        Some((lo, hi)) => format!(", pres {lo}..{hi}"),
        None => String::new(),
    };
    assemble(
        format!("spike_procedural_ordered[projection '{name}'{part}]"),
        SPIKE_PROCEDURAL_ORDERED,
        &declare(&table),
        &body,
        dtype,
    )
}

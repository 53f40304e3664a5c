//! `spike_procedural` (template `shaders/spike_procedural.wgsl`, CPU twin
//! `cpu/spike_procedural.rs`): spike delivery through procedural
//! connectivity. It merges with stored deliveries:
//! [`spike_propagate_merged`](super::spike_propagate_merged).

use std::fmt::Write;

use super::layout::Ends;
use super::printer::{lit, real_lit};
use super::strategy::ProceduralDelivery;
use super::{
    assemble, atomic_add, atomic_f32, declare, Access, Atomics, Binding, Dtype, Kernel, REAL, U32,
};
use crate::connect::procedural::Procedural;
use crate::lang::ir::RandomKind;

const SPIKE_PROCEDURAL: &str = include_str!("../../../../shaders/spike_procedural.wgsl");

/// `spike_procedural` of a procedural projection into conductance slot
/// `g`: its rows drawn again, spread over the threads as `strategy` says,
/// adding atomically with `atomics`.
pub fn spike_procedural(
    name: &str,
    gen: &Procedural,
    object: u32,
    ends: &Ends,
    g: u32,
    atomics: Atomics,
    strategy: &dyn ProceduralDelivery,
) -> Kernel {
    let float_atomics = atomics.float();
    let go = ends.post.offset(g).unwrap_or(0);
    let mut body = String::new();
    if gen.per_synapse_delays() {
        drain_ring(&mut body, gen, ends.post.n, go, float_atomics);
    }
    strategy.open_rows(&mut body, gen, ends);
    draw_targets(&mut body, gen, object);
    let add = |place: &str| atomic_add(place, "wt", float_atomics);
    deposit(&mut body, gen, object, ends.post.n, go, &add, Dtype::F32);
    body.push_str("        }\n    }\n");
    assemble(
        format!("spike_procedural[projection '{name}']"),
        SPIKE_PROCEDURAL,
        &declare(&bindings(gen.per_synapse_delays(), float_atomics)),
        &body,
        // As spike_procedural_ordered: f32 networks only.
        Dtype::F32,
    )
}

/// The binding table of `spike_procedural`; `delayed`: per-synapse delays.
fn bindings(delayed: bool, float_atomics: bool) -> [Binding; 6] {
    let atomic = atomic_f32(float_atomics);
    [
        Binding::new(1, "post", Access::ReadWrite, atomic),
        Binding::new(2, "table", Access::Read, U32),
        // The ring of future inputs (per-synapse delays) where a stored
        // projection's weights would be, else an unused weight buffer.
        if delayed {
            Binding::new(3, "dring", Access::ReadWrite, atomic)
        } else {
            Binding::new(3, "syn", Access::Read, REAL)
        },
        Binding::new(4, "sparams", Access::Read, REAL),
        Binding::new(5, "pre_count", Access::Read, U32),
        Binding::new(6, "pre_list", Access::Read, U32),
    ]
}

/// Moves the inputs due this step from the ring of future inputs into the
/// conductance (at `go`) of the `np` post neurons, and clears them there:
/// nothing else touches this row now, deposits go to later steps' rows.
fn drain_ring(body: &mut String, gen: &Procedural, np: u32, go: u32, float_atomics: bool) {
    let d_max = gen.delay;
    let _ = writeln!(body, "    let fr = (clk.ring % {d_max}u) * {np}u;");
    let _ = writeln!(
        body,
        "    for (var i = group * 64u + lid; i < {np}u; i = i + groups * 64u) {{"
    );
    let (zero, val) = if float_atomics {
        ("0.0f", "v")
    } else {
        ("0u", "bitcast<f32>(v)")
    };
    let _ = writeln!(body, "        let v = atomicLoad(&dring[fr + i]);");
    let _ = writeln!(
        body,
        "        if (v != {zero}) {{ atomicStore(&dring[fr + i], {zero}); {} }}",
        atomic_add(&format!("post[{go}u + i]"), val, float_atomics)
    );
    body.push_str("    }\n");
}

/// Opens the loop over the chunk's targets `t`, drawn again as when the
/// projection was built: geometric gaps from Philox words.
pub(super) fn draw_targets(body: &mut String, gen: &Procedural, object: u32) {
    let chunk = gen.chunk;
    // The seed the synapses were drawn with when built (not clk.key,
    // which Simulation::set_seed changes).
    let _ = writeln!(
        body,
        "        let key = vec2<u32>({}u, {}u);",
        gen.seed as u32,
        (gen.seed >> 32) as u32
    );
    let _ = writeln!(body, "        var pos = -1;");
    let _ = writeln!(body, "        var k = 0u;");
    let _ = writeln!(body, "        var bits = vec4<u32>(0u);");
    let _ = writeln!(body, "        loop {{");
    let _ = writeln!(
        body,
        "            if ((k & 3u) == 0u) {{ bits = cj_draw(key, {object}u, j, (c << 16u) | (k >> 2u)); }}"
    );
    let _ = writeln!(body, "            let u = bits[k & 3u];");
    let _ = writeln!(body, "            k = k + 1u;");
    // The gap: the number of thresholds above u (the table decreases). The
    // logarithm only guesses (its rounding is this GPU's); the table
    // decides, so the gap is the CPU twin's exactly. Inline rather than a
    // function, because WGSL cannot pass a storage buffer to one and a
    // merged kernel renames `table` per member.
    let _ = writeln!(body, "            var gap = {chunk}u;");
    let _ = writeln!(body, "            if (u != 0u) {{");
    let _ = writeln!(
        body,
        "                gap = u32(clamp(log(f32(u) * 2.3283064e-10f) * {}, 0.0f, {}));",
        lit(gen.inv_log_q as f32),
        lit(chunk as f32)
    );
    let _ = writeln!(body, "            }}");
    let _ = writeln!(
        body,
        "            loop {{ if (gap >= {chunk}u || table[gap] <= u) {{ break; }} gap = gap + 1u; }}"
    );
    let _ = writeln!(
        body,
        "            loop {{ if (gap == 0u || table[gap - 1u] > u) {{ break; }} gap = gap - 1u; }}"
    );
    let _ = writeln!(body, "            pos = pos + i32(gap) + 1;");
    let _ = writeln!(body, "            if (pos >= len) {{ break; }}");
    let _ = writeln!(body, "            let t = base + u32(pos);");
    if gen.skip_self {
        let _ = writeln!(body, "            if (t == j) {{ continue; }}");
    }
}

/// Adds the weight `wt` of synapse (`j`, `t`) to its target's
/// conductance (at `go` among the `np` post neurons), now or, with
/// per-synapse delays, into the ring of future inputs; `add(place)` is
/// the statement that adds `wt` to a place (an atomic add, or the ordered
/// kernel's plain one).
pub(super) fn deposit(
    body: &mut String,
    gen: &Procedural,
    object: u32,
    np: u32,
    go: u32,
    add: &dyn Fn(&str) -> String,
    dtype: Dtype,
) {
    let (chunk, d_max) = (gen.chunk, gen.delay);
    let _ = writeln!(body, "            let wt = {};", weight(gen, object, dtype));
    let later = add(&format!(
        "dring[((clk.ring + dd - 1u) % {d_max}u) * {np}u + off + t]"
    ));
    let add = add(&format!("post[{go}u + off + t]"));
    if !gen.per_synapse_delays() {
        let _ = writeln!(body, "            {add}");
        return;
    }
    // The twin of Procedural::delay_at: thresholds after the gap table.
    let dobj = Procedural::delay_object(object);
    let _ = writeln!(body, "            let du = cj_draw(key, {dobj}u, j, t).x;");
    // The delay is one more than the thresholds at or below du (the table
    // increases): found by halving, in as many steps as the table's size
    // has bits, written out rather than looped, since lavapipe ends a
    // thread's loops after 65535 iterations of all of them together and a
    // walk of a long table at every target would take most of them.
    let _ = writeln!(body, "            var dd = 1u;");
    let _ = writeln!(body, "            var dn = {}u;", d_max - 1);
    for _ in 0..u32::BITS - (d_max - 1).leading_zeros() {
        let _ = writeln!(
            body,
            "            if (dn > 0u) {{ let h = dn / 2u; if (table[{chunk}u + dd - 1u + h] <= du) {{ dd = dd + h + 1u; dn = dn - h - 1u; }} else {{ dn = h; }} }}"
        );
    }
    let _ = writeln!(
        body,
        "            if (dd == 1u) {{ {add} }} else {{ {later} }}"
    );
}

/// The weight of synapse (`j`, `t`) in `dtype`: a literal, or the twin of
/// Procedural::weight_at, drawn from the weight stream and clipped.
pub(super) fn weight(gen: &Procedural, object: u32, dtype: Dtype) -> String {
    let w = &gen.weight;
    let lit = |x: f32| real_lit(f64::from(x), dtype);
    let Some(kind) = w.kind else {
        return lit(w.a);
    };
    let wo = Procedural::weight_object(object);
    let (a, b) = (lit(w.a), lit(w.b));
    let mut x = match kind {
        RandomKind::Uniform => format!("cj_uniform(key, {wo}u, j, t, {a}, {b})"),
        RandomKind::Normal => format!("cj_normal_draw(key, {wo}u, j, t, {a}, {b})"),
        RandomKind::LogNormal => format!("cj_lognormal_draw(key, {wo}u, j, t, {a}, {b})"),
        RandomKind::Exponential => format!("cj_exponential_draw(key, {wo}u, j, t, {a})"),
    };
    if let Some(lo) = w.min {
        x = format!("max({x}, {})", lit(lo));
    }
    if let Some(hi) = w.max {
        x = format!("min({x}, {})", lit(hi));
    }
    x
}

//! `neuron_update` (template `shaders/neuron_update.wgsl`, CPU twin
//! `cpu/neuron_update.rs`) and its merged variant.

use std::fmt::Write;

use super::layout::PopLayout;
use super::merged::merged_over_ranges;
use super::printer::{lit, Printer};
use super::{assemble, Kernel};
use crate::lang::ir::{BinOp, Expr, Func, Guard, NeuronIr, Stmt};
use crate::network::feed::Feed;

const NEURON_UPDATE: &str = include_str!("../../../../shaders/neuron_update.wgsl");

/// Binding numbers of the optional buffers of `neuron_update`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NeuronBindings {
    /// Spike counts and lists (3, 4).
    pub ring: bool,
    /// Spike bitmasks (5).
    pub bits: bool,
    /// Rate history (6).
    pub hist: bool,
}

/// `neuron_update` of a population; `object` is its random object (`pop << 12`).
pub fn neuron_update(
    pop_name: &str,
    ir: &NeuronIr,
    l: &PopLayout,
    feed: Option<&Feed>,
    dt: f32,
    object: u32,
) -> Kernel {
    let n = l.n;
    let mut b = String::new();
    if feed.is_some() {
        b.push_str("@group(0) @binding(7) var<storage, read> feed: array<u32>;\n");
    }
    if l.ring > 0 {
        b.push_str(
            "@group(0) @binding(3) var<storage, read_write> spk_count: array<atomic<u32>>;\n",
        );
        b.push_str("@group(0) @binding(4) var<storage, read_write> spk_list: array<u32>;\n");
    }
    if l.bits {
        b.push_str(
            "@group(0) @binding(5) var<storage, read_write> spk_bits: array<atomic<u32>>;\n",
        );
    }
    if !l.hist_slots.is_empty() {
        b.push_str("@group(0) @binding(6) var<storage, read_write> hist: array<f32>;\n");
    }
    if l.last {
        b.push_str("@group(0) @binding(8) var<storage, read_write> lastspk: array<u32>;\n");
    }
    let leaf = |e: &Expr| -> Option<(String, bool)> {
        match e {
            Expr::Var(v) => match (l.local.get(*v as usize)?, l.global.get(*v as usize)?) {
                (Some(_), _) => Some((format!("s{v}"), false)),
                (None, Some(g)) => Some((format!("params[{g}]"), true)),
                _ => None,
            },
            Expr::Sum(t) => Some((format!("state[{}u + i]", l.sum_offset(*t)), false)),
            Expr::Time => Some(("clk.t".into(), true)),
            Expr::Dt => Some((lit(dt), true)),
            _ => None,
        }
    };
    let mut p = Printer::new(&leaf, object, "i");
    if l.ring > 0 {
        // Empty the next step's slot: it holds the spikes of `ring - 1`
        // steps ago, which the projections read earlier in this step, and
        // no thread of this dispatch writes it (they append to this
        // step's slot), so no separate clearing dispatch is needed.
        let _ = writeln!(
            p.out,
            "    if (i == 0u) {{ atomicStore(&spk_count[(clk.ring + 1u) % {}u], 0u); }}",
            l.ring
        );
    }
    let _ = writeln!(p.out, "    if (i >= {n}u) {{ return; }}");
    for (slot, loc) in l.local.iter().enumerate() {
        if let Some(li) = loc {
            let _ = writeln!(p.out, "    var s{slot}: f32 = state[{}u + i];", li * n);
        }
    }
    for t in 0..ir.n_temps {
        let _ = writeln!(p.out, "    var t{t}: f32 = bitcast<f32>(0x7fc00000u);");
    }
    // The values left by the previous step, for delayed rate projections.
    let k = l.hist_slots.len() as u32;
    if k > 0 {
        let rh = l.hist_ring;
        let _ = writeln!(
            p.out,
            "    let hrow = ((clk.ring + {}u) % {rh}u) * {k}u;",
            rh - 1
        );
        for (j, s) in l.hist_slots.iter().enumerate() {
            let _ = writeln!(p.out, "    hist[(hrow + {j}u) * {n}u + i] = s{s};");
        }
    }
    // The input table's value of this step (CPU twin: Feed::apply), after
    // the history kept the previous step's value.
    match feed {
        Some(Feed::Rows { slot, .. }) => {
            let _ = write!(
                p.out,
                "    {{
        let period = feed[0];
        let rows = feed[1];
        let width = feed[2];
        var s = clk.step;
        if (period > 0u) {{ s = s % period; }}
        var lo = 0u;
        var hi = rows;
        while (lo < hi) {{
            let mid = (lo + hi) / 2u;
            if (feed[3u + mid] <= s) {{ lo = mid + 1u; }} else {{ hi = mid; }}
        }}
        if (lo > 0u) {{
            s{slot} = bitcast<f32>(feed[3u + rows + (lo - 1u) * width + min(i, width - 1u)]);
        }}
    }}
"
            );
        }
        Some(Feed::Events { slot, .. }) => {
            let _ = write!(
                p.out,
                "    {{
        let end = feed[i + 1u];
        var lo = feed[i];
        var hi = end;
        while (lo < hi) {{
            let mid = (lo + hi) / 2u;
            if (feed[{base}u + mid] < clk.step) {{ lo = mid + 1u; }} else {{ hi = mid; }}
        }}
        s{slot} = select(0.0f, 1.0f, lo < end && feed[{base}u + min(lo, end - 1u)] == clk.step);
    }}
",
                base = n + 1
            );
        }
        None => {}
    }
    let counter = ir.refractory.as_ref().map(|(_, c)| *c);
    if let Some(c) = counter {
        p.stmt(&format!("let nr = s{c} <= 0.0f;"));
    }
    for s in &ir.update {
        match s {
            Stmt::Let { temp, expr } => {
                let v = p.expr(expr);
                p.stmt(&format!("t{temp} = {v};"));
            }
            Stmt::Store { var, expr, guard } => {
                let v = p.expr(expr);
                if *guard == Guard::NotRefractory && counter.is_some() {
                    p.stmt(&format!("s{var} = select(s{var}, {v}, nr);"));
                } else {
                    p.stmt(&format!("s{var} = {v};"));
                }
            }
        }
    }
    if let Some(c) = counter {
        p.stmt(&format!("s{c} = max(s{c} - 1.0f, 0.0f);"));
    }
    if let Some(cond) = &ir.spike {
        let v = p.expr(cond);
        match counter {
            Some(c) => p.stmt(&format!("let spiked = {v} != 0.0f && s{c} <= 0.0f;")),
            None => p.stmt(&format!("let spiked = {v} != 0.0f;")),
        }
        for s in &ir.reset {
            match s {
                Stmt::Let { temp, expr } => {
                    let v = p.expr(expr);
                    p.stmt(&format!("t{temp} = {v};"));
                }
                Stmt::Store { var, expr, .. } => {
                    let v = p.expr(expr);
                    p.stmt(&format!("s{var} = select(s{var}, {v}, spiked);"));
                }
            }
        }
        if let Some((refr, c)) = &ir.refractory {
            let steps = Expr::Call(
                Func::Round,
                vec![Expr::bin(BinOp::Div, refr.clone(), Expr::Dt)],
            );
            let v = p.expr(&steps);
            p.stmt(&format!("s{c} = select(s{c}, {v}, spiked);"));
        }
        if l.ring > 0 || l.bits || l.last {
            p.stmt("if (spiked) {");
            if l.ring > 0 {
                let r = l.ring;
                p.stmt(&format!("    let slot = clk.ring % {r}u;"));
                p.stmt("    let k = atomicAdd(&spk_count[slot], 1u);");
                p.stmt(&format!("    spk_list[slot * {n}u + k] = i;"));
            }
            if l.last {
                // Read by decode at the next step (ring + 1 there); 0 never matches.
                p.stmt("    lastspk[i] = clk.ring + 2u;");
            }
            if l.bits {
                let words = n.div_ceil(32);
                p.stmt(&format!(
                    "    atomicOr(&spk_bits[clk.row * {words}u + i / 32u], 1u << (i % 32u));"
                ));
            }
            p.stmt("}");
        }
    }
    for (slot, loc) in l.local.iter().enumerate() {
        if let Some(li) = loc {
            // Parameters do not change, except the one an input table writes.
            if ir.vars[slot].kind != crate::lang::ir::VarKind::Parameter
                || feed.is_some_and(|f| f.slot() == slot)
            {
                let _ = writeln!(p.out, "    state[{}u + i] = s{slot};", li * n);
            }
        }
    }
    assemble(
        format!("neuron_update[population '{pop_name}']"),
        NEURON_UPDATE,
        &b,
        &p.out,
    )
}

/// A buffer of a population that `neuron_update` binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PopBuf {
    /// Per-neuron slots and sums (binding 1 alone).
    State,
    /// Population-wide slots (2).
    Params,
    /// Spike ring counts (3).
    SpikeCount,
    /// Spike ring lists (4).
    SpikeList,
    /// Spike bitmasks for monitors (5).
    Bits,
    /// Rate history (6).
    Hist,
    /// Input table (7).
    Feed,
    /// Last spike per neuron (8).
    Last,
}

/// The buffers `neuron_update` of a population binds, with the names and
/// types its body uses, in binding order.
pub fn pop_buffers(l: &PopLayout, feed: bool) -> Vec<(PopBuf, &'static str, &'static str)> {
    let mut v = vec![
        (PopBuf::State, "state", "read_write> STATE: array<f32>"),
        (PopBuf::Params, "params", "read> STATE: array<f32>"),
    ];
    if l.ring > 0 {
        v.push((
            PopBuf::SpikeCount,
            "spk_count",
            "read_write> STATE: array<atomic<u32>>",
        ));
        v.push((
            PopBuf::SpikeList,
            "spk_list",
            "read_write> STATE: array<u32>",
        ));
    }
    if l.bits {
        v.push((
            PopBuf::Bits,
            "spk_bits",
            "read_write> STATE: array<atomic<u32>>",
        ));
    }
    if !l.hist_slots.is_empty() {
        v.push((PopBuf::Hist, "hist", "read_write> STATE: array<f32>"));
    }
    if feed {
        v.push((PopBuf::Feed, "feed", "read> STATE: array<u32>"));
    }
    if l.last {
        v.push((PopBuf::Last, "lastspk", "read_write> STATE: array<u32>"));
    }
    v
}

/// One dispatch for the `neuron_update` of several populations: thread
/// `gi` runs the body of the member whose range `[start, start + n)` holds
/// it, with `i = gi - start` and the member's buffers renamed (`state` ->
/// `state_m`...). Populations update independently (each writes only its
/// own buffers), so the order does not matter. `members`: (population
/// name, its kernel, its layout, whether it has an input table). Returns
/// the kernel and, per member, the binding number of each of its buffers.
pub fn neuron_update_merged(
    members: &[(&str, &Kernel, &PopLayout, bool)],
) -> (Kernel, Vec<Vec<(PopBuf, u32)>>) {
    let parts: Vec<_> = members
        .iter()
        .map(|(name, k, l, feed)| (*name, *k, l.n, pop_buffers(l, *feed)))
        .collect();
    merged_over_ranges("neuron_update_merged", &parts)
}

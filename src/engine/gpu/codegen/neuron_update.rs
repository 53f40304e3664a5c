//! `neuron_update` (template `shaders/neuron_update.wgsl`, CPU twin
//! `cpu/neuron_update.rs`) and its merged variant.

use std::fmt::Write;

use super::layout::PopLayout;
use super::merged::merged_over_ranges;
use super::printer::Printer;
use super::{assemble, declare, Access, Binding, Kernel, Num, REAL, U32};
use crate::lang::ir::{BinOp, Expr, Func, Guard, NeuronIr, Stmt};
use crate::network::feed::Feed;

const NEURON_UPDATE: &str = include_str!("../../../../shaders/neuron_update.wgsl");

/// `neuron_update` of a population; `object` is its random object (`pop << 12`).
pub fn neuron_update(
    pop_name: &str,
    ir: &NeuronIr,
    l: &PopLayout,
    feed: Option<&Feed>,
    num: Num,
    object: u32,
) -> Kernel {
    let table: Vec<Binding> = pop_buffers(l, feed.is_some())
        .into_iter()
        .map(|(buf, ..)| buf.own())
        .collect();
    let leaf = |e: &Expr| -> Option<(String, bool)> {
        match e {
            Expr::Var(v) => match (l.local.get(*v as usize)?, l.global.get(*v as usize)?) {
                (Some(_), _) => Some((format!("s{v}"), false)),
                (None, Some(g)) => Some((format!("params[{g}]"), true)),
                _ => None,
            },
            Expr::Sum(t) => Some((format!("state[{}u + i]", l.sum_offset(*t)), false)),
            Expr::Time => Some(("clk.t".into(), true)),
            Expr::Dt => Some((num.dt(), true)),
            _ => None,
        }
    };
    let mut p = Printer::new(&leaf, object, "i", num.dtype);
    load(&mut p.out, ir, l);
    keep_history(&mut p.out, l);
    // After the history kept the previous step's value.
    if let Some(f) = feed {
        read_feed(&mut p.out, f, l.n);
    }
    let counter = ir.refractory.as_ref().map(|(_, c)| *c);
    integrate(&mut p, ir, counter);
    if let Some(cond) = &ir.spike {
        spike(&mut p, ir, l, cond, counter);
    }
    store(&mut p.out, ir, l, feed);
    assemble(
        format!("neuron_update[population '{pop_name}']"),
        NEURON_UPDATE,
        &declare(&table),
        &p.out,
        num.dtype,
    )
}

/// The start of `main`: the next step's spike slot emptied, the range
/// guard, the neuron's slots and the temporaries in registers.
fn load(out: &mut String, ir: &NeuronIr, l: &PopLayout) {
    let n = l.n;
    if l.ring > 0 {
        // Empty the next step's slot: it holds the spikes of `ring - 1`
        // steps ago, which the projections read earlier in this step, and
        // no thread of this dispatch writes it (they append to this
        // step's slot), so no separate clearing dispatch is needed.
        let _ = writeln!(
            out,
            "    if (i == 0u) {{ atomicStore(&spk_count[(clk.ring + 1u) % {}u], 0u); }}",
            l.ring
        );
    }
    let _ = writeln!(out, "    if (i >= {n}u) {{ return; }}");
    if l.ring_bits {
        // The next slot's bitmask, a word for every 32 neurons, emptied by
        // its first neuron's thread, for the same reason.
        let (r, w) = (l.ring, l.bit_words());
        let _ = writeln!(
            out,
            "    if ((i & 31u) == 0u) {{ atomicStore(&spk_count[{r}u + ((clk.ring + 1u) % {r}u) * {w}u + (i >> 5u)], 0u); }}"
        );
    }
    for (slot, loc) in l.local.iter().enumerate() {
        if let Some(li) = loc {
            let _ = writeln!(out, "    var s{slot}: real = state[{}u + i];", li * n);
        }
    }
    for t in 0..ir.n_temps {
        let _ = writeln!(out, "    var t{t}: real = cj_nan();");
    }
}

/// Writes the values left by the previous step into the rate history,
/// for delayed rate projections.
fn keep_history(out: &mut String, l: &PopLayout) {
    let k = l.hist_slots.len() as u32;
    if k == 0 {
        return;
    }
    let (n, rh) = (l.n, l.hist_ring);
    let _ = writeln!(
        out,
        "    let hrow = ((clk.ring + {}u) % {rh}u) * {k}u;",
        rh - 1
    );
    for (j, s) in l.hist_slots.iter().enumerate() {
        let _ = writeln!(out, "    hist[(hrow + {j}u) * {n}u + i] = s{s};");
    }
}

/// Sets the slot an input table writes to its value of this step (CPU
/// twin: Feed::apply), found by binary search.
fn read_feed(out: &mut String, feed: &Feed, n: u32) {
    match feed {
        Feed::Rows { slot, .. } => {
            let _ = write!(
                out,
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
            s{slot} = real(bitcast<f32>(feed[3u + rows + (lo - 1u) * width + min(i, width - 1u)]));
        }}
    }}
"
            );
        }
        Feed::Events { slot, .. } => {
            let _ = write!(
                out,
                "    {{
        let end = feed[i + 1u];
        var lo = feed[i];
        var hi = end;
        while (lo < hi) {{
            let mid = (lo + hi) / 2u;
            if (feed[{base}u + mid] < clk.step) {{ lo = mid + 1u; }} else {{ hi = mid; }}
        }}
        s{slot} = select(real(0.0), real(1.0), lo < end && feed[{base}u + min(lo, end - 1u)] == clk.step);
    }}
",
                base = n + 1
            );
        }
    }
}

/// The update statements, those guarded by refractoriness skipped while
/// the refractory `counter` runs, which then counts down.
fn integrate(p: &mut Printer, ir: &NeuronIr, counter: Option<u32>) {
    if let Some(c) = counter {
        p.stmt(&format!("let nr = s{c} <= 0.0;"));
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
        p.stmt(&format!("s{c} = max(s{c} - 1.0, 0.0);"));
    }
}

/// The spike condition `cond` (not while refractory), the reset and the
/// refractory period of a neuron that spiked, and the record of its
/// spike where the projections and monitors read it.
fn spike(p: &mut Printer, ir: &NeuronIr, l: &PopLayout, cond: &Expr, counter: Option<u32>) {
    let v = p.expr(cond);
    match counter {
        // NaN counts as true, as on the CPU (see the printer's `Ne`).
        Some(c) => p.stmt(&format!("let spiked = !({v} == 0.0) && s{c} <= 0.0;")),
        None => p.stmt(&format!("let spiked = !({v} == 0.0);")),
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
    if let Some(f) = l.fr {
        firing_rate(p, l, f);
    }
    if !(l.ring > 0 || l.bits || l.last) {
        return;
    }
    let n = l.n;
    p.stmt("if (spiked) {");
    if l.ring > 0 {
        let r = l.ring;
        p.stmt(&format!("    let slot = clk.ring % {r}u;"));
        p.stmt("    let k = atomicAdd(&spk_count[slot], 1u);");
        p.stmt(&format!("    spk_list[slot * {n}u + k] = i;"));
        if l.ring_bits {
            p.stmt(&format!(
                "    atomicOr(&spk_count[{r}u + slot * {}u + (i >> 5u)], 1u << (i & 31u));",
                l.bit_words()
            ));
        }
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

/// The firing rate (CPU twin: `cpu::neuron_update::firing_rate`): the
/// neuron's bit of the window's oldest step, which this step's replaces,
/// leaves the count; this step's spike joins it; `r = scale * count`. The
/// bit position is the ring position modulo the window, which every step
/// advances by one.
fn firing_rate(p: &mut Printer, l: &PopLayout, f: crate::network::rate::FiringRate) {
    let (n, steps, words) = (l.n, f.steps, f.steps.div_ceil(32));
    p.stmt("{");
    p.stmt(&format!("    let pos = clk.ring % {steps}u;"));
    p.stmt(&format!("    let at = {n}u + i * {words}u + pos / 32u;"));
    p.stmt("    let bit = 1u << (pos % 32u);");
    p.stmt("    var count = frate[i];");
    p.stmt("    if ((frate[at] & bit) != 0u) { count -= 1u; }");
    p.stmt("    if (spiked) {");
    p.stmt("        count += 1u;");
    p.stmt("        frate[at] = frate[at] | bit;");
    p.stmt("    } else {");
    p.stmt("        frate[at] = frate[at] & ~bit;");
    p.stmt("    }");
    p.stmt("    frate[i] = count;");
    let scale = p.lit(f64::from(f.scale));
    p.stmt(&format!("    s{} = real(count) * {scale};", f.slot));
    p.stmt("}");
}

/// Writes the neuron's slots back to the state.
fn store(out: &mut String, ir: &NeuronIr, l: &PopLayout, feed: Option<&Feed>) {
    for (slot, loc) in l.local.iter().enumerate() {
        if let Some(li) = loc {
            // Parameters do not change, except the one an input table writes.
            if ir.vars[slot].kind != crate::lang::ir::VarKind::Parameter
                || feed.is_some_and(|f| f.slot() == slot)
            {
                let _ = writeln!(out, "    state[{}u + i] = s{slot};", li * l.n);
            }
        }
    }
}

/// A buffer of a population that `neuron_update` binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PopBuf {
    /// Per-neuron slots and sums (the only one `clear_inputs` binds).
    State,
    /// Population-wide slots.
    Params,
    /// Spike ring counts.
    SpikeCount,
    /// Spike ring lists.
    SpikeList,
    /// Spike bitmasks for monitors.
    Bits,
    /// Rate history.
    Hist,
    /// Input table.
    Feed,
    /// Last spike per neuron.
    Last,
    /// Firing-rate counts and window bits.
    Rate,
}

/// Every buffer `neuron_update` may bind, in binding order: its number in
/// the population's own kernel, its name, access and type. A merged
/// update binds each member's buffers in this order too, numbered on from
/// the previous member's.
const POP_BUFFERS: [(PopBuf, u32, &str, Access, &str); 9] = [
    (PopBuf::State, 1, "state", Access::ReadWrite, REAL),
    (PopBuf::Params, 2, "params", Access::Read, REAL),
    (
        PopBuf::SpikeCount,
        3,
        "spk_count",
        Access::ReadWrite,
        "array<atomic<u32>>",
    ),
    (PopBuf::SpikeList, 4, "spk_list", Access::ReadWrite, U32),
    (
        PopBuf::Bits,
        5,
        "spk_bits",
        Access::ReadWrite,
        "array<atomic<u32>>",
    ),
    (PopBuf::Hist, 6, "hist", Access::ReadWrite, REAL),
    (PopBuf::Feed, 7, "feed", Access::Read, U32),
    (PopBuf::Last, 8, "lastspk", Access::ReadWrite, U32),
    (PopBuf::Rate, 9, "frate", Access::ReadWrite, U32),
];

impl PopBuf {
    fn row(self) -> &'static (PopBuf, u32, &'static str, Access, &'static str) {
        POP_BUFFERS
            .iter()
            .find(|r| r.0 == self)
            .expect("every population buffer has a row")
    }

    /// Its binding number in the population's own `neuron_update`.
    pub fn binding(self) -> u32 {
        self.row().1
    }

    /// How `neuron_update` reaches it.
    pub fn access(self) -> Access {
        self.row().3
    }

    /// The name the kernels' bodies give it.
    pub(super) fn name(self) -> &'static str {
        self.row().2
    }

    /// Its binding in the population's own kernels.
    pub(super) fn own(self) -> Binding {
        let &(_, number, name, access, ty) = self.row();
        Binding::new(number, name, access, ty)
    }

    /// Its binding as a buffer of member `m` of a merged kernel, at `number`.
    pub(super) fn member(self, m: usize, number: u32) -> Binding {
        let &(_, _, name, access, ty) = self.row();
        Binding::new(number, super::merged::member_name(name, m), access, ty)
    }
}

/// The buffers `neuron_update` of a population binds, with the names and
/// WGSL types its body uses, in binding order.
pub fn pop_buffers(l: &PopLayout, feed: bool) -> Vec<(PopBuf, &'static str, &'static str)> {
    let has = |buf: PopBuf| match buf {
        PopBuf::State | PopBuf::Params => true,
        PopBuf::SpikeCount | PopBuf::SpikeList => l.ring > 0,
        PopBuf::Bits => l.bits,
        PopBuf::Hist => !l.hist_slots.is_empty(),
        PopBuf::Feed => feed,
        PopBuf::Last => l.last,
        PopBuf::Rate => l.fr.is_some(),
    };
    POP_BUFFERS
        .iter()
        .filter(|r| has(r.0))
        .map(|&(buf, _, name, _, ty)| (buf, name, ty))
        .collect()
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
        .map(|(name, k, l, feed)| {
            let bufs = pop_buffers(l, *feed).into_iter().map(|b| b.0).collect();
            (*name, *k, l.n, bufs)
        })
        .collect();
    merged_over_ranges("neuron_update_merged", &parts)
}

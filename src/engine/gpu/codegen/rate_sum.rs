//! `rate_sum` (template `shaders/rate_sum.wgsl`, CPU twin
//! `cpu/rate_sum/`) and its merged variant, which untiled convolutions
//! join.

use std::fmt::Write;

use super::layout::{split_element, Ends, PopLayout, ProjLayout};
use super::merged::member_name;
use super::merged::{member_bindings, member_body, merged_kernel, state_bindings};
use super::printer::Printer;
use super::{assemble, declare, Access, Binding, Kernel, Num, REAL, U32};
use crate::lang::ir::{EventStmt, Expr, SynapseIr};
use crate::network::model::Operation;

const RATE_SUM: &str = include_str!("../../../../shaders/rate_sum.wgsl");

/// The bindings of a rate sum, which convolutions share (so that the
/// untiled ones merge with rate sums): the post's state (its sums
/// written), the CSR, the synapse values and the parameters, then the
/// pre's state unless the pre is the post (`same`), and its rate history
/// when `hist`.
pub(super) fn rate_bindings(same: bool, hist: bool) -> Vec<Binding> {
    let mut table = vec![
        Binding::new(1, "post", Access::ReadWrite, REAL),
        Binding::new(2, "csr", Access::Read, U32),
        Binding::new(3, "syn", Access::Read, REAL),
        Binding::new(4, "sparams", Access::Read, REAL),
    ];
    if !same {
        table.push(Binding::new(5, "pstate", Access::Read, REAL));
    }
    if hist {
        table.push(Binding::new(6, "phist", Access::Read, REAL));
    }
    table
}

/// `rate_sum` of a projection summing its psp at every step into the post
/// state at element offset `into` (a `sum(target)`, or a conductance for
/// continuous transmission between spiking populations).
/// `uniform_delay`: `None` when the synapses' delays differ; `events`:
/// the synapse model's pre_spike statements run first for the synapses
/// whose pre neuron spiked at the previous step (a spiking synapse with a
/// psp, PyNN's NMDA synapse; `projection_kind` checked that they only
/// change the synapse's own variables and that the delay is one step).
#[allow(clippy::too_many_arguments)]
pub fn rate_sum(
    name: &str,
    ir: &SynapseIr,
    op: Operation,
    pl: &ProjLayout,
    ends: &Ends,
    into: u32,
    (uniform_delay, events): (Option<u32>, bool),
    num: Num,
    object: u32,
) -> Kernel {
    let n_post = ends.post.n;
    let nsyn = pl.nsyn;
    let pre_buf = if ends.same { "post" } else { "pstate" };
    let mut table = rate_bindings(ends.same, uniform_delay.is_none_or(|d| d > 1));
    if events {
        if let Some(syn) = table.iter_mut().find(|b| b.name == "syn") {
            syn.access = Access::ReadWrite;
        }
        table.push(Binding::new(7, "lastspk", Access::Read, U32));
    }
    let pre_value = |k: u32| -> String {
        let slot = ends.pre_slots[k as usize];
        let now = match ends.pre.offset(slot) {
            Some(o) => format!("{pre_buf}[{o}u + pj]"),
            None => return num.lit(0.0),
        };
        match uniform_delay {
            Some(d) if d <= 1 => now,
            Some(d) => past_value(ends.pre, slot, &format!("{d}u")),
            None => format!(
                "select({}, {now}, d <= 1u)",
                past_value(ends.pre, slot, "d")
            ),
        }
    };
    let leaf = |e: &Expr| -> Option<(String, bool)> {
        match e {
            Expr::Var(v) => pl.var(*v, "j"),
            Expr::Pre(k) => Some((pre_value(*k), false)),
            Expr::Post(k) => {
                let slot = ends.post_slots[*k as usize];
                match ends.post.offset(slot) {
                    Some(o) => Some((format!("post[{o}u + i]"), false)),
                    None => Some((num.lit(0.0), false)),
                }
            }
            Expr::Time => Some(("clk.t".into(), true)),
            Expr::Dt => Some((num.dt(), true)),
            _ => None,
        }
    };
    let mut p = Printer::new(&leaf, object, "j", num.dtype);
    p.indent = "        ".into();
    let mut body = String::new();
    let (el_pre, el_post) = ends.element();
    // Batched: post `i` is neuron `il` of element `bi`; the rows are those
    // of one element, the pre ranks offset to the same element.
    let (row, pre_off) = split_element(&mut body, "    ", ends.batch, "i", "il", el_post, el_pre);
    let _ = writeln!(
        body,
        "    let a = csr[{row}];\n    let b = csr[{row} + 1u];"
    );
    let _ = writeln!(body, "    var acc: real = {};", reduce_init(op));
    let _ = writeln!(body, "    for (var j = a; j < b; j = j + 1u) {{");
    let _ = writeln!(body, "        let pj = csr[{}u + j]{pre_off};", el_post + 1);
    if uniform_delay.is_none() {
        let _ = writeln!(body, "        let d = csr[{}u + j];", el_post + 1 + nsyn);
    }
    if events {
        // `lastspk` holds the ring number of a neuron's last spike plus 2:
        // the previous step's spike reads `clk.ring + 1`.
        let mut e = Printer::new(&leaf, object, "j", num.dtype);
        e.indent = "            ".into();
        for st in &ir.pre_spike {
            if let EventStmt::Store { var, expr } = st {
                let v = e.expr(expr);
                if let Some((place, false)) = pl.var(*var, "j") {
                    e.stmt(&format!("{place} = {v};"));
                }
            }
        }
        let _ = writeln!(body, "        if (lastspk[pj] == clk.ring + 1u) {{");
        body.push_str(&e.out);
        let _ = writeln!(body, "        }}");
    }
    let v = p.expr(&ir.psp);
    body.push_str(&p.out);
    let _ = writeln!(body, "        acc = {};", reduce(op, &v));
    body.push_str("    }\n    var out: real = 0.0;\n");
    let _ = match op {
        Operation::Mean => writeln!(body, "    if (b > a) {{ out = cj_div(acc, real(b - a)); }}"),
        _ => writeln!(body, "    if (b > a) {{ out = acc; }}"),
    };
    let _ = writeln!(body, "    post[{into}u + i] = post[{into}u + i] + out;");
    // The range guard returns, so it stays out of the body a merged
    // kernel runs among others (which guards each range itself).
    let mut k = assemble(
        format!("rate_sum[projection '{name}']"),
        RATE_SUM,
        &declare(&table),
        &format!("    if (i >= {n_post}u) {{ return; }}\n{body}"),
        num.dtype,
    );
    k.body = body;
    k
}

/// The value of pre `pj`'s slot `slot` `delay` steps ago (a WGSL u32), in
/// its population's rate history `phist`.
pub(super) fn past_value(pre: &PopLayout, slot: u32, delay: &str) -> String {
    let (n_pre, rh) = (pre.n, pre.hist_ring.max(1));
    let kh = pre.hist_slots.len() as u32;
    let hpos = pre.hist_slots.iter().position(|s| *s == slot).unwrap_or(0) as u32;
    format!(
        "phist[((((clk.ring + {}u - {delay}) % {rh}u) * {kh}u) + {hpos}u) * {n_pre}u + pj]",
        2 * rh
    )
}

/// The value an `op` reduction starts from.
pub(super) fn reduce_init(op: Operation) -> &'static str {
    match op {
        Operation::Sum | Operation::Mean => "real(0.0)",
        Operation::Max => "-cj_inf()",
        Operation::Min => "cj_inf()",
    }
}

/// The `op` reduction `acc` takes in the value `v`.
pub(super) fn reduce(op: Operation, v: &str) -> String {
    match op {
        Operation::Sum | Operation::Mean => format!("cj_keep(acc + {v})"),
        Operation::Max => format!("max(acc, {v})"),
        Operation::Min => format!("min(acc, {v})"),
    }
}

/// A member of a merged rate-sum dispatch ([`rate_sum_merged`]).
#[derive(Debug, Clone, Copy)]
pub struct RateMember<'a> {
    /// The projection's name.
    pub name: &'a str,
    /// Its own `rate_sum` kernel (the body is taken from it).
    pub kernel: &'a Kernel,
    /// Its post- and pre-synaptic populations, numbered among the
    /// group's populations (a post is among the first `posts`).
    pub post: usize,
    /// See `post`.
    pub pre: usize,
    /// Its pre's rate history, numbered among the group's histories.
    pub hist: Option<usize>,
}

/// One dispatch for several `rate_sum` kernels, and untiled `convolve`
/// ones, which bind the same way (`members`, in creation order), into any
/// post-synaptic populations. Each population the group
/// touches is bound once (`pops`: name and size), so a population that is
/// one member's post and another's pre (or both, for a recurrent one) is
/// not bound twice: the first `posts` are posts, written (their sums); the
/// rest only read. Then the `hists` histories, then each member's CSR,
/// values and parameters. Threads cover the posts one after the other
/// (one a neuron); the thread of neuron `i` of a post runs every member
/// into it, in creation order, so each `sum(target)` is added to in the
/// order of the separate dispatches (and of the CPU engine). A member
/// writes only sums and reads only variables, histories and its own
/// buffers, none of which another member writes.
pub fn rate_sum_merged(
    pops: &[(&str, u32)],
    posts: usize,
    hists: usize,
    members: &[RateMember],
) -> Kernel {
    let mut table = Vec::new();
    let mut next = state_bindings(&mut table, pops.len(), posts);
    for h in 0..hists {
        table.push(Binding::new(
            next as u32,
            member_name("hist", h),
            Access::Read,
            REAL,
        ));
        next += 1;
    }
    for m in 0..members.len() {
        next = member_bindings(&mut table, next, m, Access::Read);
    }
    let mut body = String::from("    let gi = cj_index(wg, nwg, lid);\n");
    let mut start = 0u32;
    for (k, (name, n)) in pops.iter().enumerate().take(posts) {
        let _ = writeln!(
            body,
            "    // into population '{name}'\n    if (gi >= {start}u && gi < {}u) {{\n    let i = gi - {start}u;",
            start + n
        );
        for (m, mem) in members.iter().enumerate().filter(|(_, x)| x.post == k) {
            let mut more = Vec::new();
            if let Some(h) = mem.hist {
                more.push(("phist", member_name("hist", h)));
            }
            more.push(("pstate", format!("st_{}", mem.pre)));
            more.push(("post", member_name("st", k)));
            let x = member_body(&mem.kernel.body, m, &more);
            let _ = writeln!(body, "    // projection '{}'\n    {{\n{x}    }}", mem.name);
        }
        body.push_str("    }\n");
        start += n;
    }
    let who = pops[..posts]
        .iter()
        .map(|(n, _)| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ");
    merged_kernel(
        format!("rate_sum_merged[into {who}, {} projections]", members.len()),
        &table,
        false,
        &body,
        members[0].kernel.dtype,
    )
}

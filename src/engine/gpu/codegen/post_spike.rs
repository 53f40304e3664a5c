//! `post_spike` (template `shaders/post_spike.wgsl`, CPU twin: post_spike
//! in `cpu/spike_propagate.rs`) and its merged variant.

use std::fmt::Write;

use super::layout::{neuron_leaf, Ends, ProjLayout};
use super::merged::{member_bindings, member_body, merged_kernel, ring_bindings, state_bindings};
use super::printer::Printer;
use super::{assemble, declare, Access, Binding, Kernel, Num, REAL, U32};
use crate::lang::ir::{EventStmt, Expr, SynapseIr};

const POST_SPIKE: &str = include_str!("../../../../shaders/post_spike.wgsl");

/// `post_spike` of a spiking synapse model (`ir.post_spike` not empty);
/// `rows` is where the row pointers by post start in the CSR (the pre
/// ranks follow them); `learn` is where its learning flags are in the
/// CSR and the slot (w) whose assignments they guard.
#[allow(clippy::too_many_arguments)]
pub fn post_spike(
    name: &str,
    ir: &SynapseIr,
    pl: &ProjLayout,
    ends: &Ends,
    rows: u32,
    learn: Option<(u32, u32)>,
    num: Num,
    object: u32,
) -> Kernel {
    let n_post = ends.post.n;
    let ring = ends.post.ring;
    let pranks = rows + n_post + 1;
    let mut table = vec![
        Binding::new(1, "post", Access::Read, REAL),
        Binding::new(2, "csr", Access::Read, U32),
        Binding::new(3, "syn", Access::ReadWrite, REAL),
        Binding::new(4, "sparams", Access::Read, REAL),
        Binding::new(5, "post_count", Access::Read, U32),
        Binding::new(6, "post_list", Access::Read, U32),
    ];
    if !ends.same {
        table.push(Binding::new(7, "pstate", Access::Read, REAL));
    }
    let pre_buf = if ends.same { "post" } else { "pstate" };
    let leaf = |e: &Expr| -> Option<(String, bool)> {
        match e {
            Expr::Var(v) => pl.var(*v, "s"),
            _ => neuron_leaf(e, ends, pre_buf, num),
        }
    };
    let mut p = Printer::new(&leaf, object, "s", num.dtype);
    p.reciprocal = false;
    p.indent = "            ".into();
    for st in &ir.post_spike {
        if let EventStmt::Store { var, expr } = st {
            let guard = learn.filter(|l| l.1 == *var);
            if guard.is_some() {
                p.stmt("if (cj_learn) {");
            }
            let v = p.expr(expr);
            if let Some((place, false)) = pl.var(*var, "s") {
                p.stmt(&format!("{place} = {v};"));
            }
            if guard.is_some() {
                p.stmt("}");
            }
        }
    }
    // Once a thread, not at each synapse.
    let learn = learn.map_or_else(String::new, |(at, _)| {
        format!(
            "    let cj_learn = {};\n",
            super::spike_propagate::learning_on(at)
        )
    });
    let body = format!(
        "{learn}    let slot = clk.ring % {ring}u;
    let count = post_count[slot];
    for (var n = group; n < count; n = n + groups) {{
        let pi = post_list[slot * {n_post}u + n];
        for (var s = csr[{rows}u + pi] + lid; s < csr[{rows}u + pi + 1u]; s = s + 64u) {{
            let pj = csr[{pranks}u + s];
            _ = pj;
{}        }}
    }}
",
        p.out
    );
    assemble(
        format!("post_spike[projection '{name}']"),
        POST_SPIKE,
        &declare(&table),
        &body,
        num.dtype,
    )
}

/// A member of a merged `post_spike` dispatch ([`post_spike_merged`]).
#[derive(Debug, Clone, Copy)]
pub struct PostMember<'a> {
    /// The projection's name.
    pub name: &'a str,
    /// Its own `post_spike` kernel (the body is taken from it).
    pub kernel: &'a Kernel,
    /// Its post- and pre-synaptic populations, numbered among the group's
    /// populations.
    pub post: usize,
    /// See `post`.
    pub pre: usize,
    /// Its post's spike ring, numbered among the group's rings.
    pub ring: usize,
}

/// One dispatch for the `post_spike` kernels of several plastic
/// projections: the states of the `pops` populations they read (bound
/// once each, read-only: `post_spike` writes only synapses), the spike
/// rings (counts, lists) of the `rings` posts, then each member's CSR,
/// synapse values (written) and parameters. Each member's body runs in a
/// block of its own over the spikes of its post; members write distinct
/// synapses and read what none writes, so one dispatch does what the
/// separate ones did.
pub fn post_spike_merged(pops: &[&str], rings: usize, members: &[PostMember]) -> Kernel {
    let mut table = Vec::new();
    let mut next = state_bindings(&mut table, pops.len(), 0);
    for r in 0..rings {
        next = ring_bindings(&mut table, next, r);
    }
    let mut body = String::new();
    for (m, mem) in members.iter().enumerate() {
        next = member_bindings(&mut table, next, m, Access::ReadWrite);
        let x = member_body(
            &mem.kernel.body,
            m,
            &[
                ("post_count", format!("cnt_{}", mem.ring)),
                ("post_list", format!("lst_{}", mem.ring)),
                ("pstate", format!("st_{}", mem.pre)),
                ("post", format!("st_{}", mem.post)),
            ],
        );
        let _ = writeln!(body, "    // projection '{}'\n    {{\n{x}    }}", mem.name);
    }
    merged_kernel(
        format!("post_spike_merged[{} projections]", members.len()),
        &table,
        true,
        &body,
        members[0].kernel.dtype,
    )
}

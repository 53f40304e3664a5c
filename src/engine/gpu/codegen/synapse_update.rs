//! `synapse_update` (template `shaders/synapse_update.wgsl`, CPU twin
//! `cpu/synapse_update.rs`): the equations of synapses run every step
//! (rate-coded learning rules, spiking synapses' equations), and their
//! merged variant.

use std::fmt::Write;

use super::layout::{neuron_leaf, Ends, ProjLayout};
use super::merged::{member_bindings, member_body, merged_kernel, state_bindings};
use super::printer::Printer;
use super::{assemble, declare, Access, Binding, Kernel, Num, REAL, U32};
use crate::lang::ir::{Expr, Stmt, SynapseIr};

const SYNAPSE_UPDATE: &str = include_str!("../../../../shaders/synapse_update.wgsl");

/// `synapse_update`: the equations of a projection's synapses, run at the
/// steps of its learning period (`Learning`); `pres` and `posts` are where
/// the pre and post ranks of its synapses (in (post, pre) order) start in
/// its CSR, `learn` where its learning flags are. While learning is off a
/// rate-coded rule does not run at all; with `freeze_w` (spiking synapses,
/// as ANNarchy's) the rule runs and only its assignments to `w` wait for
/// learning. The equations' `dt` is the period's, `dt * period`.
#[allow(clippy::too_many_arguments)]
pub fn synapse_update(
    name: &str,
    ir: &SynapseIr,
    pl: &ProjLayout,
    ends: &Ends,
    pres: u32,
    posts: u32,
    learn: u32,
    freeze_w: bool,
    num: Num,
    object: u32,
) -> Kernel {
    let nsyn = pl.nsyn;
    let mut table = vec![
        Binding::new(1, "post", Access::Read, REAL),
        Binding::new(2, "csr", Access::Read, U32),
        Binding::new(3, "syn", Access::ReadWrite, REAL),
        Binding::new(4, "sparams", Access::Read, REAL),
    ];
    if !ends.same {
        table.push(Binding::new(5, "pstate", Access::Read, REAL));
    }
    let pre_buf = if ends.same { "post" } else { "pstate" };
    let leaf = |e: &Expr| -> Option<(String, bool)> {
        match e {
            Expr::Var(v) => match (pl.local.get(*v as usize)?, pl.global.get(*v as usize)?) {
                (Some(_), _) => Some((format!("y{v}"), false)),
                (None, Some(g)) => Some((format!("sparams[{g}]"), true)),
                _ => None,
            },
            // The rule integrates over its period (`Learning::dt`).
            Expr::Dt => Some((
                format!("cj_keep({} * real(csr[{learn}u + 1u]))", num.dt()),
                true,
            )),
            _ => neuron_leaf(e, ends, pre_buf, num),
        }
    };
    let w_slot = ir.slot("w");
    let mut p = Printer::new(&leaf, object, "j", num.dtype);
    let _ = writeln!(p.out, "    let pj = csr[{pres}u + j];");
    let _ = writeln!(p.out, "    let pi = csr[{posts}u + j];");
    for (slot, loc) in pl.local.iter().enumerate() {
        if let Some(li) = loc {
            let _ = writeln!(p.out, "    var y{slot}: real = syn[{}u + j];", li * nsyn);
        }
    }
    let temps = ir
        .update
        .iter()
        .filter_map(|s| match s {
            Stmt::Let { temp, .. } => Some(*temp + 1),
            Stmt::Store { .. } => None,
        })
        .max()
        .unwrap_or(0);
    for t in 0..temps {
        let _ = writeln!(p.out, "    var t{t}: real = 0.0;");
    }
    let mut stored = Vec::new();
    for s in &ir.update {
        match s {
            Stmt::Let { temp, expr } => {
                let v = p.expr(expr);
                p.stmt(&format!("t{temp} = {v};"));
            }
            Stmt::Store { var, expr, .. } => {
                let v = p.expr(expr);
                if freeze_w && Some(*var) == w_slot {
                    let on = super::spike_propagate::learning_on(learn);
                    p.stmt(&format!("if ({on}) {{ y{var} = {v}; }}"));
                } else {
                    p.stmt(&format!("y{var} = {v};"));
                }
                if !stored.contains(var) {
                    stored.push(*var);
                }
            }
        }
    }
    for var in stored {
        if let Some(li) = pl.local[var as usize] {
            let _ = writeln!(p.out, "    syn[{}u + j] = y{var};", li * nsyn);
        }
    }
    // The rule runs only where its learning is due, checked here rather
    // than by the host so that a merged dispatch never splits up.
    let body = if freeze_w {
        format!(
            "    if ({}) {{\n{}    _ = pi;\n    _ = pj;\n    }}\n",
            super::spike_propagate::periodic(learn),
            p.out
        )
    } else {
        format!(
            "    if ({}) {{\n{}    _ = pi;\n    _ = pj;\n    }}\n",
            super::spike_propagate::learns(learn),
            p.out
        )
    };
    // The range guard returns: it stays out of the body a merged kernel
    // runs among others.
    let mut k = assemble(
        format!("synapse_update[projection '{name}']"),
        SYNAPSE_UPDATE,
        &declare(&table),
        &format!("    if (j >= {nsyn}u) {{ return; }}\n{body}"),
        num.dtype,
    );
    k.body = body;
    k
}

/// A member of a merged learning-rule dispatch ([`synapse_update_merged`]).
#[derive(Debug, Clone, Copy)]
pub struct LearnMember<'a> {
    /// The projection's name.
    pub name: &'a str,
    /// Its own `synapse_update` kernel (the body is taken from it).
    pub kernel: &'a Kernel,
    /// Its post- and pre-synaptic populations, numbered among the group's.
    pub post: usize,
    /// See `post`.
    pub pre: usize,
    /// Its synapses (its threads).
    pub nsyn: u32,
}

/// One dispatch for the learning rules (`synapse_update`) of several
/// rate-coded projections: the states of `pops` (read once each: a rule
/// writes only its synapses), then each member's CSR, values (written)
/// and parameters. Threads cover the members' synapses one member after
/// the other; thread `gj` runs the rule of the member whose range holds
/// it, with `j = gj - start`.
pub fn synapse_update_merged(pops: &[&str], members: &[LearnMember]) -> Kernel {
    let mut table = Vec::new();
    let mut next = state_bindings(&mut table, pops.len(), 0);
    let mut body = String::from("    let gj = cj_index(wg, nwg, lid);\n");
    let mut start = 0u32;
    for (m, mem) in members.iter().enumerate() {
        next = member_bindings(&mut table, next, m, Access::ReadWrite);
        let x = member_body(
            &mem.kernel.body,
            m,
            &[
                ("pstate", format!("st_{}", mem.pre)),
                ("post", format!("st_{}", mem.post)),
            ],
        );
        let _ = writeln!(
            body,
            "    // projection '{}'\n    if (gj >= {start}u && gj < {}u) {{\n    let j = gj - {start}u;\n{x}    }}",
            mem.name,
            start + mem.nsyn
        );
        start += mem.nsyn;
    }
    merged_kernel(
        format!("synapse_update_merged[{} projections]", members.len()),
        &table,
        false,
        &body,
        members[0].kernel.dtype,
    )
}

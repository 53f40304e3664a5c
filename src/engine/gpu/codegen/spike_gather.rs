//! `spike_gather` (template `shaders/spike_gather.wgsl`, CPU twin
//! `cpu/spike_gather.rs`) and its merged variant: the deterministic
//! delivery of stored spiking projections (`GpuOptions::deterministic`),
//! a thread per post neuron adding its arriving events in the CPU
//! engine's order, where `spike_propagate` pushes each spike's row with
//! atomics.

use std::fmt::Write;

use super::layout::{split_element, Ends};
use super::merged::{member_body, member_name, merged_kernel};
use super::spike_propagate::{delivery_member_bindings, learning_on, Accumulate, SpikeEvent};
use super::{assemble, declare, Access, Binding, Kernel, MemberBinds, WeightBuffer, REAL, U32};
use crate::lang::ir::EventStmt;

const SPIKE_GATHER: &str = include_str!("../../../../shaders/spike_gather.wgsl");

/// The layout of a spiking projection's CSR by post, as uploaded for
/// `spike_gather`: row pointers by (post, delay index) (`n_post * delays
/// + 1` words from 0, post-major), each position's pre rank (from
/// `pres`), each position's synapse id (from `ids`, where the delays
/// differ: with one delay the rows are the synapses' own (post, pre)
/// order, so a position is its synapse), then the delays (from
/// `delay_table`).
#[derive(Debug, Clone, Copy)]
pub struct CsrByPost<'a> {
    /// Its distinct delays in steps, ascending.
    pub delays: &'a [u32],
    /// Where the pre ranks start.
    pub pres: u32,
    /// Where the synapse ids start, if stored.
    pub ids: Option<u32>,
    /// Where the delays start.
    pub delay_table: u32,
}

/// The binding table of `spike_gather`: `spike_propagate`'s, but the post
/// state plain (the thread owns its neuron) and no spike lists (it reads
/// the bitmasks after the counts).
fn bindings(event: &SpikeEvent) -> Vec<Binding> {
    let (ir, ends) = (event.ir, event.ends);
    let stores = ir
        .pre_spike
        .iter()
        .any(|s| matches!(s, EventStmt::Store { .. }));
    let syn_access = if stores {
        Access::ReadWrite
    } else {
        Access::Read
    };
    let mut table = vec![
        Binding::new(1, "post", Access::ReadWrite, REAL),
        Binding::new(2, "csr", Access::Read, U32),
        Binding::new(3, "syn", syn_access, REAL),
        Binding::new(4, "sparams", Access::Read, REAL),
        Binding::new(5, "pre_count", Access::Read, U32),
    ];
    if !ir.pre_spike_is_default && !ends.pre_slots.is_empty() && !ends.same {
        table.push(Binding::new(7, "pstate", Access::Read, REAL));
    }
    table
}

/// `spike_gather` of a stored spiking projection: for post neuron `i`,
/// `event` at each of its synapses whose pre spiked its delay ago, in
/// (delay, pre) order, added into a register. One target: the register
/// starts from the conductance and is written back, as the CPU engine's
/// `g[post] += w` adds one event after another; several targets: it
/// starts from zero and is added to each, as the CPU engine's scratch
/// array is.
pub fn spike_gather(
    name: &str,
    event: &SpikeEvent,
    csr: &CsrByPost,
    weights: WeightBuffer,
) -> Kernel {
    let body = gather_body(event, csr, weights);
    let mut k = assemble(
        format!("spike_gather[projection '{name}']"),
        SPIKE_GATHER,
        &declare(&bindings(event)),
        &format!("    if (i >= {}u) {{ return; }}\n{body}", event.ends.post.n),
        event.num.dtype,
    );
    // A merged kernel guards each post's range itself.
    k.body = body;
    k
}

/// The body of `spike_gather` for post neuron `i`.
fn gather_body(event: &SpikeEvent, csr: &CsrByPost, weights: WeightBuffer) -> String {
    let ends: &Ends = event.ends;
    let (el_pre, el_post) = ends.element();
    let (ring, words) = (ends.pre.ring, ends.pre.bit_words());
    let nd = csr.delays.len() as u32;
    let go = ends.post.offset(event.g).unwrap_or(0);
    let mut body = String::new();
    if let Some((at, _)) = event.learn {
        let _ = writeln!(body, "    let cj_learn = {};", learning_on(at));
    }
    // Batched: post `i` is neuron `il` of element `bi`, whose pres are
    // that element's.
    let (local, pre_off) = split_element(&mut body, "    ", ends.batch, "i", "il", el_post, el_pre);
    let _ = writeln!(body, "    let tgt = i;");
    if event.more.is_empty() {
        let _ = writeln!(body, "    var acc = post[{go}u + i];");
    } else {
        let _ = writeln!(body, "    var acc: real = 0.0;");
    }
    if nd == 1 {
        let _ = writeln!(
            body,
            "    {{\n        let di = 0u;\n        let d = {}u;",
            csr.delays[0]
        );
    } else {
        let _ = writeln!(
            body,
            "    for (var di = 0u; di < {nd}u; di = di + 1u) {{\n        let d = csr[{}u + di];",
            csr.delay_table
        );
    }
    let _ = writeln!(
        body,
        "        let slot = (clk.ring + {ring}u - d) % {ring}u;"
    );
    // No spike that step: nothing to walk.
    let _ = writeln!(body, "        if (pre_count[slot] != 0u) {{");
    let _ = writeln!(body, "        let bits = {ring}u + slot * {words}u;");
    let _ = writeln!(body, "        let row = {local} * {nd}u + di;");
    let _ = writeln!(
        body,
        "        for (var k = csr[row]; k < csr[row + 1u]; k = k + 1u) {{"
    );
    let _ = writeln!(
        body,
        "            let pj = csr[{}u + k]{pre_off};",
        csr.pres
    );
    let _ = writeln!(
        body,
        "            if ((pre_count[bits + (pj >> 5u)] & (1u << (pj & 31u))) != 0u) {{"
    );
    match csr.ids {
        Some(at) => {
            let _ = writeln!(body, "                let s = csr[{at}u + k];");
        }
        None => {
            let _ = writeln!(body, "                let s = k;");
        }
    }
    // The default synapse's weights are in synapse order here.
    let _ = writeln!(body, "                let e = s;");
    body.push_str(&event.code(weights, Accumulate::Ordered));
    body.push_str("            }\n        }\n        }\n    }\n");
    if event.more.is_empty() {
        let _ = writeln!(body, "    post[{go}u + i] = acc;");
    } else {
        for &g in std::iter::once(&event.g).chain(event.more) {
            let o = ends.post.offset(g).unwrap_or(0);
            let _ = writeln!(body, "    post[{o}u + i] = cj_keep(post[{o}u + i] + acc);");
        }
    }
    body
}

/// A member of a merged gather ([`spike_gather_merged`]).
#[derive(Debug, Clone, Copy)]
pub struct GatherMember<'a> {
    /// The projection's name.
    pub name: &'a str,
    /// Its own `spike_gather` kernel (the body is taken from it).
    pub kernel: &'a Kernel,
    /// What it binds after its CSR: its weights, or a general synapse's
    /// values, parameters and pre state.
    pub binds: MemberBinds,
    /// Its pre- and post-synaptic populations, numbered among the group's
    /// distinct pres and posts.
    pub pre: usize,
    /// See `pre`.
    pub post: usize,
}

/// One dispatch for several `spike_gather` kernels (`members`, in
/// creation order) into any post-synaptic populations (`posts`: name and
/// size): the states of the posts at bindings `1..=P` (written), each
/// member's CSR and what its `binds` says, then the spike counts and
/// bitmasks `cnt_r` of each of the `pres` distinct pres. Threads cover
/// the posts one after the other, a thread a neuron; the thread of a
/// post neuron runs every member into it in creation order, so each
/// conductance is added to in the order the separate dispatches (and the
/// CPU engine) add to it. A member writes its post's conductances and its
/// own synapses and reads nothing another member writes (the plan keeps
/// a member whose pre state is another's post apart).
pub fn spike_gather_merged(posts: &[(&str, u32)], members: &[GatherMember], pres: usize) -> Kernel {
    let mut table = Vec::new();
    for k in 0..posts.len() {
        table.push(Binding::new(
            1 + k as u32,
            member_name("post", k),
            Access::ReadWrite,
            REAL,
        ));
    }
    let mut next = 1 + posts.len();
    for (m, mem) in members.iter().enumerate() {
        next = delivery_member_bindings(&mut table, next, m, mem.binds, REAL);
    }
    for r in 0..pres {
        table.push(Binding::new(
            next as u32,
            member_name("cnt", r),
            Access::Read,
            U32,
        ));
        next += 1;
    }
    let mut body = String::from("    let gi = cj_index(wg, nwg, lid);\n");
    let mut start = 0u32;
    for (k, (name, n)) in posts.iter().enumerate() {
        let _ = writeln!(
            body,
            "    // into population '{name}'\n    if (gi >= {start}u && gi < {}u) {{\n    let i = gi - {start}u;",
            start + n
        );
        for (m, mem) in members.iter().enumerate().filter(|(_, x)| x.post == k) {
            let x = member_body(
                &mem.kernel.body,
                m,
                &[
                    ("pstate", member_name("pst", m)),
                    ("pre_count", member_name("cnt", mem.pre)),
                    ("post", member_name("post", k)),
                ],
            )
            .replace(
                "arrayLength(&syn)",
                &format!("arrayLength(&{})", member_name("syn", m)),
            );
            let _ = writeln!(body, "    // projection '{}'\n    {{\n{x}    }}", mem.name);
        }
        body.push_str("    }\n");
        start += n;
    }
    let who = posts
        .iter()
        .map(|(n, _)| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ");
    merged_kernel(
        format!(
            "spike_gather_merged[into {who}, {} projections]",
            members.len()
        ),
        &table,
        false,
        &body,
        members[0].kernel.dtype,
    )
}

//! `spike_propagate` (template `shaders/spike_propagate.wgsl`, CPU twin
//! `cpu/spike_propagate.rs`) and the merged spike delivery, which
//! procedural projections join.

use std::fmt::Write;

use super::layout::{split_element, Ends, ProjLayout};
use super::merged::member_name;
use super::merged::{member_body, merged_kernel, ring_bindings, MemberBinds};
use super::printer::Printer;
use super::strategy::{StoredDelivery, Strides};
use super::{assemble, atomic_add, atomic_f32, declare, Access, Binding, Kernel, Num, REAL, U32};
use crate::lang::ir::{EventStmt, Expr, SynapseIr};

const SPIKE_PROPAGATE: &str = include_str!("../../../../shaders/spike_propagate.wgsl");

/// `spike_propagate` of a spiking projection: `event` at each synapse of
/// the rows of `csr` of this step's spikes, spread over the threads as
/// `strategy` says, adding atomically with `atomics`.
pub fn spike_propagate(
    name: &str,
    event: &SpikeEvent,
    csr: &CsrByPre,
    weights: WeightBuffer,
    atomics: Atomics,
    strategy: &dyn StoredDelivery,
) -> Kernel {
    let (ir, ends) = (event.ir, event.ends);
    let mut body = String::new();
    if let Some((at, _)) = event.learn {
        // Once a thread, not at each synapse; events change w whenever
        // learning is on, whatever the period.
        let _ = writeln!(body, "    let cj_learn = {};", learning_on(at));
    }
    if csr.delays.is_empty() {
        // Unused names are fine in WGSL, but say so for readers of dumps.
        body.push_str("    _ = group; _ = groups;\n");
    } else {
        let rows = StoredRows {
            csr,
            nsyn: event.layout.nsyn,
            ids: !ir.pre_spike_is_default,
        };
        deliver(
            &mut body,
            ends,
            &rows,
            strategy.strides(),
            &event.code(weights, Accumulate::Atomic(atomics)),
        );
    }
    let groups = strategy.workgroups(ends.pre.n);
    let mut k = assemble(
        format!("spike_propagate[projection '{name}', {}]", strategy.name()),
        SPIKE_PROPAGATE,
        &declare(&bindings(ir, ends, atomics)),
        &format!(
            "{}    let cj_base = 0u;\n{body}",
            block_lanes(csr.delays.len() as u32, groups)
        ),
        event.num.dtype,
    );
    // A merged kernel deals its blocks itself (its own `block_lanes` and
    // each member's `cj_base`).
    k.body = body;
    k
}

/// How spike deliveries add into conductances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Atomics {
    /// `atomicAdd` on f32 (SHADER_FLOAT32_ATOMIC).
    Float,
    /// A compare-exchange loop on the f32's bits, where float atomics are
    /// missing.
    CompareExchange,
}

impl Atomics {
    /// Float atomics where `float_atomics`, else compare-exchange.
    pub fn new(float_atomics: bool) -> Atomics {
        if float_atomics {
            Atomics::Float
        } else {
            Atomics::CompareExchange
        }
    }

    /// Whether they add floats.
    pub fn float(self) -> bool {
        self == Atomics::Float
    }
}

/// How an event adds into a conductance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Accumulate {
    /// Atomically into each of its places (the post's conductances): a
    /// push from the spike's row, concurrent with other spikes'.
    Atomic(Atomics),
    /// Into the thread's `acc`, in the order the thread runs its events
    /// (a gather: the thread owns its post neuron, whose state it reads
    /// plainly), which writes it back to the conductances itself.
    Ordered,
}

/// How a stored delivery's weights are bound, for the default synapse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightBuffer {
    /// One weight a synapse (or another synapse model's values).
    PerSynapse,
    /// One a synapse or, where they all start with one, that one: a
    /// default synapse whose only per-synapse variable is `w` and which
    /// nothing but the user changes. The kernel reads the buffer's length,
    /// so the engine can switch without a new kernel.
    Shareable,
}

/// How the post ranks of a CSR by pre are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostRanks {
    /// A word each.
    Words,
    /// 16 bits each, two a word (low half first): half the index traffic,
    /// where the posts of an element fit.
    Halves,
}

/// The layout of a spiking projection's CSR by pre, as uploaded: the row
/// pointers by (delay index, pre), the post ranks, then the synapse ids
/// (a model's own `pre_spike`, which reads synapse values by id) and,
/// from `delay_table`, the `delays`.
#[derive(Debug, Clone, Copy)]
pub struct CsrByPre<'a> {
    /// Its distinct delays in steps, ascending: the blocks of rows.
    pub delays: &'a [u32],
    /// Where the delays start.
    pub delay_table: u32,
    /// How its post ranks are stored.
    pub posts: PostRanks,
}

/// What a spike does at each synapse of its row: its synapse's
/// `pre_spike`, adding into conductance slot `g` of the post.
#[derive(Clone, Copy)]
pub struct SpikeEvent<'a> {
    /// The synapse model.
    pub ir: &'a SynapseIr,
    /// Where the projection's values live.
    pub layout: &'a ProjLayout,
    /// Its pre- and post-synaptic populations.
    pub ends: &'a Ends<'a>,
    /// The conductance slot it adds into.
    pub g: u32,
    /// The conductance slots of its other targets, which it adds into too.
    pub more: &'a [u32],
    /// The network's precision and step.
    pub num: Num,
    /// The random stream id of its draws.
    pub object: u32,
    /// Where it learns: the CSR word of its learning flags
    /// (`learns`) and the slot (w) whose assignments they guard.
    pub learn: Option<(u32, u32)>,
}

/// The binding table of `spike_propagate`: the pre-synaptic state only
/// where `pre_spike` reads a pre that is not the post.
fn bindings(ir: &SynapseIr, ends: &Ends, atomics: Atomics) -> Vec<Binding> {
    let stores = ir
        .pre_spike
        .iter()
        .any(|s| matches!(s, EventStmt::Store { .. }));
    let reads_pre = !ir.pre_spike_is_default && !ends.pre_slots.is_empty();
    let syn_access = if stores {
        Access::ReadWrite
    } else {
        Access::Read
    };
    let mut table = vec![
        Binding::new(1, "post", Access::ReadWrite, atomic_f32(atomics.float())),
        Binding::new(2, "csr", Access::Read, U32),
        Binding::new(3, "syn", syn_access, REAL),
        Binding::new(4, "sparams", Access::Read, REAL),
        Binding::new(5, "pre_count", Access::Read, U32),
        Binding::new(6, "pre_list", Access::Read, U32),
    ];
    if reads_pre && !ends.same {
        table.push(Binding::new(7, "pstate", Access::Read, REAL));
    }
    table
}

/// The rows a stored delivery walks.
struct StoredRows<'a> {
    csr: &'a CsrByPre<'a>,
    /// Synapses in the CSR.
    nsyn: u32,
    /// Whether the synapse ids are stored.
    ids: bool,
}

impl SpikeEvent<'_> {
    /// The statements run for synapse `s` (the default synapse's weight
    /// at position `e` of the weights) of a spike of pre `pj` to post
    /// `tgt`, with the default event's weights bound as `weights` says,
    /// adding as `how` says.
    pub(super) fn code(&self, weights: WeightBuffer, how: Accumulate) -> String {
        let (ir, pl, ends) = (self.ir, self.layout, self.ends);
        let load = |o: u32, idx: &str| -> String {
            match how {
                Accumulate::Atomic(Atomics::Float) => format!("atomicLoad(&post[{o}u + {idx}])"),
                Accumulate::Atomic(Atomics::CompareExchange) => {
                    format!("bitcast<f32>(atomicLoad(&post[{o}u + {idx}]))")
                }
                Accumulate::Ordered => format!("post[{o}u + {idx}]"),
            }
        };
        let leaf = |e: &Expr| -> Option<(String, bool)> {
            match e {
                Expr::Var(v) => pl.var(*v, "s"),
                Expr::Pre(k) => {
                    let slot = ends.pre_slots[*k as usize];
                    match ends.pre.offset(slot) {
                        Some(o) if ends.same => Some((load(o, "pj"), false)),
                        Some(o) => Some((format!("pstate[{o}u + pj]"), false)),
                        None => Some((self.num.lit(0.0), false)),
                    }
                }
                Expr::Post(k) => {
                    let slot = ends.post_slots[*k as usize];
                    match ends.post.offset(slot) {
                        Some(o) => Some((load(o, "tgt"), false)),
                        None => Some((self.num.lit(0.0), false)),
                    }
                }
                Expr::Time => Some(("clk.t".into(), true)),
                Expr::Dt => Some((self.num.dt(), true)),
                _ => None,
            }
        };
        let mut p = Printer::new(&leaf, self.object, "s", self.num.dtype);
        p.reciprocal = false;
        p.indent = "                ".into();
        // Each target's conductance gets the same value, as ANNarchy's
        // `g_target += w` onto ['ampa', 'nmda'].
        let places: Vec<String> = std::iter::once(self.g)
            .chain(self.more.iter().copied())
            .map(|g| format!("post[{}u + tgt]", ends.post.offset(g).unwrap_or(0)))
            .collect();
        let add = |v: &str| match how {
            Accumulate::Atomic(a) => places
                .iter()
                .map(|place| atomic_add(place, v, a.float()))
                .collect::<Vec<_>>()
                .join(" "),
            Accumulate::Ordered => format!("acc = cj_keep(acc + {v});"),
        };
        if ir.pre_spike_is_default && weights == WeightBuffer::Shareable {
            // The weight buffer holds one per synapse, or the one they all
            // share (no per-synapse storage): its length says which, so the
            // engine can switch without a new kernel.
            p.stmt(&add("syn[min(e, arrayLength(&syn) - 1u)]"));
        } else if ir.pre_spike_is_default {
            let w = pl.var(0, "e").map_or_else(|| self.num.lit(0.0), |x| x.0);
            p.stmt(&add(&w));
        } else {
            for st in &ir.pre_spike {
                match st {
                    EventStmt::AddConductance(x) => {
                        let v = p.expr(x);
                        p.stmt(&add(&v));
                    }
                    EventStmt::Store { var, expr } => {
                        let guard = self.learn.filter(|l| l.1 == *var);
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
            }
        }
        p.out
    }
}

/// The delivery loops, running `event` for each synapse of the rows of
/// this workgroup's spikes.
fn deliver(body: &mut String, ends: &Ends, rows: &StoredRows, strides: Strides, event: &str) {
    let (n_pre, ring) = (ends.pre.n, ends.pre.ring);
    let (el_pre, el_post) = ends.element();
    let csr = rows.csr;
    let n_rows = el_pre * csr.delays.len() as u32;
    let Strides {
        first_spike: first,
        spike_step: stride,
        first_synapse: e0,
        synapse_step: step,
    } = strides;
    open_delay_blocks(body, csr.delays, csr.delay_table);
    let _ = writeln!(
        body,
        "        let slot = (clk.ring + {ring}u - d) % {ring}u;"
    );
    let _ = writeln!(body, "        let count = pre_count[slot];");
    let _ = writeln!(
        body,
        "        for (var k = {first}; k < count; k = k + {stride}) {{"
    );
    let _ = writeln!(body, "            let pj = pre_list[slot * {n_pre}u + k];");
    // Batched: the spike of pre rank `pj` (element `bi`) takes the row
    // of its neuron within the element, to post ranks of that element.
    let (local, post_off) = split_element(
        body,
        "            ",
        ends.batch,
        "pj",
        "pl",
        el_pre,
        el_post,
    );
    let _ = writeln!(body, "            let row = di * {el_pre}u + {local};");
    let _ = writeln!(
        body,
        "            for (var e = {e0}; e < csr[row + 1u]; e = e + {step}) {{"
    );
    if csr.posts == PostRanks::Halves {
        let _ = writeln!(
            body,
            "                let tgt = ((csr[{}u + (e >> 1u)] >> ((e & 1u) * 16u)) & 0xFFFFu){post_off};",
            n_rows + 1
        );
    } else {
        let _ = writeln!(
            body,
            "                let tgt = csr[{}u + e]{post_off};",
            n_rows + 1
        );
    }
    if rows.ids {
        let _ = writeln!(
            body,
            "                let s = csr[{}u + e];",
            n_rows + 1 + rows.nsyn
        );
    }
    body.push_str(event);
    body.push_str("            }\n        }\n    }\n");
}

/// Opens the loop over this workgroup's delay blocks, setting the delay
/// index `di` and the delay `d`. One block a delay, dealt to the
/// workgroups by [`block_lanes`]: this workgroup takes the delays of the
/// blocks of its lane (the kernel's blocks are numbered from `cj_base`)
/// and, within each, the spikes of its place among the workgroups of that
/// lane.
fn open_delay_blocks(body: &mut String, delays: &[u32], delay_table: u32) {
    let nd = delays.len();
    if nd == 1 {
        // One block: no loop, the delay a constant.
        let _ = writeln!(
            body,
            "    if (cj_base % cj_lanes == cj_me && cj_k0 < cj_sub) {{\n        let di = 0u;\n        let d = {}u;",
            delays[0]
        );
    } else {
        let _ = writeln!(
            body,
            "    for (var di = (cj_me + cj_lanes - cj_base % cj_lanes) % cj_lanes; di < {nd}u && cj_k0 < cj_sub; di = di + cj_lanes) {{"
        );
        let _ = writeln!(body, "        let d = csr[{delay_table}u + di];");
    }
}

/// How the `groups` workgroups of a delivery kernel (the number it is
/// dispatched with) share its `blocks` (a block is one delay of one
/// stored projection): they form `L = min(blocks, groups)` lanes; lane
/// `cj_me` takes the blocks `b` with `b % L == cj_me`, and its
/// `cj_sub = groups / L` workgroups split each block's spikes (`cj_k0`:
/// this one's place; the `groups % L` left over idle). `L` is a constant
/// of the kernel, so the divisions compile to multiplications. Every
/// thread used to run every block, most of them finding no spike of
/// theirs: with the microcircuit's ~30 delays a projection and 50
/// projections a kernel, that was 1 500 blocks a thread a step, nearly
/// all empty.
pub fn block_lanes(blocks: u32, groups: u32) -> String {
    let lanes = blocks.min(groups).max(1);
    format!(
        "    let cj_lanes = {lanes}u;
    let cj_sub = {}u;
    let cj_me = group % {lanes}u;
    let cj_k0 = group / {lanes}u;
",
        (groups / lanes).max(1)
    )
}

/// Adds member `m` of a merged spike delivery from binding `next`: its CSR
/// (or threshold table) and what `binds` says; returns the next binding.
pub(super) fn delivery_member_bindings(
    table: &mut Vec<Binding>,
    next: usize,
    m: usize,
    binds: MemberBinds,
    atomic: &str,
) -> usize {
    let at = next as u32;
    table.push(Binding::new(at, member_name("csr", m), Access::Read, U32));
    match binds {
        MemberBinds::Weights => {
            table.push(Binding::new(
                at + 1,
                member_name("syn", m),
                Access::Read,
                REAL,
            ));
        }
        MemberBinds::Ring => {
            table.push(Binding::new(
                at + 1,
                member_name("dring", m),
                Access::ReadWrite,
                atomic,
            ));
        }
        MemberBinds::General { stores, reads_pre } => {
            let access = if stores {
                Access::ReadWrite
            } else {
                Access::Read
            };
            table.push(Binding::new(at + 1, member_name("syn", m), access, REAL));
            table.push(Binding::new(
                at + 2,
                member_name("sp", m),
                Access::Read,
                REAL,
            ));
            if reads_pre {
                table.push(Binding::new(
                    at + 3,
                    member_name("pst", m),
                    Access::Read,
                    REAL,
                ));
            }
        }
        MemberBinds::Nothing => {}
    }
    next + 1 + binds.bindings()
}

/// A member of a merged spike delivery ([`spike_propagate_merged`]).
#[derive(Debug, Clone, Copy)]
pub struct SpikeMember<'a> {
    /// The projection's name.
    pub name: &'a str,
    /// Its own `spike_propagate` or `spike_procedural` kernel (the body is
    /// taken from it).
    pub kernel: &'a Kernel,
    /// What it binds after its CSR or table.
    pub binds: MemberBinds,
    /// Its pre- and post-synaptic populations, numbered among the group's
    /// distinct pres and posts.
    pub pre: usize,
    /// See `pre`.
    pub post: usize,
    /// The delays of a stored member (0 for a procedural one), which the
    /// workgroups share as [`block_lanes`] says.
    pub blocks: u32,
}

/// One dispatch for several default-synapse `spike_propagate` and
/// `spike_procedural` kernels (`members`), into any post-synaptic
/// populations (GeNN's merged groups): each member keeps its body, in a
/// block of its own, adding into the state of its post (among the `P`
/// distinct ones, at bindings `1..=P`), reading its CSR (or threshold
/// table) and what its `binds` says (its weights or its delay ring) at
/// the next bindings, member after member, and then the spike ring
/// (counts, lists) of each of the `pres` distinct pres. The members only
/// add into conductances, which commute, and read nothing another member
/// writes, so one dispatch computes what they did one after the other.
/// `groups`: the workgroups it is dispatched with.
pub fn spike_propagate_merged(
    post_names: &[&str],
    members: &[SpikeMember],
    pres: usize,
    groups: u32,
    float_atomics: bool,
) -> Kernel {
    let m_count = members.len();
    let posts = post_names.len();
    let atomic = atomic_f32(float_atomics);
    let mut table = Vec::new();
    for k in 0..posts {
        let number = 1 + k as u32;
        table.push(Binding::new(
            number,
            member_name("post", k),
            Access::ReadWrite,
            atomic,
        ));
    }
    let mut next = 1 + posts;
    for (m, binds) in members.iter().map(|x| x.binds).enumerate() {
        next = delivery_member_bindings(&mut table, next, m, binds, atomic);
    }
    for p in 0..pres {
        next = ring_bindings(&mut table, next, p);
    }
    // The stored members' delays are the blocks the workgroups share.
    let mut body = block_lanes(members.iter().map(|x| x.blocks).sum(), groups);
    let mut base = 0u32;
    for (m, mem) in members.iter().enumerate() {
        let (name, p, q) = (mem.name, mem.pre, mem.post);
        let x = member_body(
            &mem.kernel.body,
            m,
            &[
                ("dring", member_name("dring", m)),
                ("pstate", member_name("pst", m)),
                // A procedural member's threshold table sits where a CSR
                // would.
                ("table", member_name("csr", m)),
                ("pre_count", member_name("cnt", p)),
                ("pre_list", member_name("lst", p)),
                ("post", member_name("post", q)),
            ],
        )
        .replace(
            "arrayLength(&syn)",
            &format!("arrayLength(&{})", member_name("syn", m)),
        );
        let _ = writeln!(body, "    // projection '{name}'");
        let nb = mem.blocks;
        if nb > 0 {
            let _ = writeln!(body, "    {{\n    let cj_base = {base}u;\n{x}    }}");
            base += nb;
        } else {
            let _ = writeln!(body, "    {{\n{x}    }}");
        }
    }
    let who = post_names
        .iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ");
    merged_kernel(
        format!("spike_propagate_merged[into {who}, {m_count} projections]"),
        &table,
        true,
        &body,
        members[0].kernel.dtype,
    )
}

/// Whether the projection whose learning flags are at word `at` of its
/// CSR learns at this step (`cj_learns`).
pub fn learns(at: u32) -> String {
    format!("cj_learns(csr[{at}u], csr[{at}u + 1u], csr[{at}u + 2u])")
}

/// Whether learning is on (`Learning::on`), from the flags at `at` in the
/// `csr` binding: what lets events and a spiking synapse's equations
/// change `w`, at any step.
pub fn learning_on(at: u32) -> String {
    format!("(csr[{at}u] != 0u)")
}

/// Whether this step is one of the learning rule's steps, on or off
/// (`Learning::periodic`), from the flags at `at` in the `csr` binding.
pub fn periodic(at: u32) -> String {
    format!("cj_periodic(csr[{at}u + 1u], csr[{at}u + 2u])")
}

//! IR -> WGSL: the generated kernels, assembled from the templates in
//! `shaders/`, and their validation with naga.
//!
//! The printer mirrors the CPU engine's evaluation exactly: the same
//! constant folding, a division of a per-neuron value by a uniform one as a
//! multiplication by the reciprocal (as `vm.rs`), both sides of a select
//! evaluated, comparisons as 0.0/1.0, `round` half away from zero, small
//! integer powers as products, random draws keyed as on the CPU.

use std::fmt::Write;

use crate::error::{Error, Result};
use crate::lang::analysis::binop;
use crate::lang::ir::{
    BinOp, EventStmt, Expr, Func, Guard, Locality, NeuronIr, RandomKind, Stmt, SynapseIr, UnOp,
};
use crate::network::feed::Feed;
use crate::network::model::Operation;

/// Functions every kernel includes (Philox, rounding, powers).
pub const COMMON: &str = include_str!("../../../shaders/common.wgsl");
/// The per-step clock block and the thread index.
pub const CLOCK: &str = include_str!("../../../shaders/clock.wgsl");
const CLEAR_INPUTS: &str = include_str!("../../../shaders/clear_inputs.wgsl");
const NEURON_UPDATE: &str = include_str!("../../../shaders/neuron_update.wgsl");
const RATE_SUM: &str = include_str!("../../../shaders/rate_sum.wgsl");
const SPIKE_PROPAGATE: &str = include_str!("../../../shaders/spike_propagate.wgsl");
const RECORD: &str = include_str!("../../../shaders/record.wgsl");
const DECODE: &str = include_str!("../../../shaders/decode.wgsl");
const CONVOLVE: &str = include_str!("../../../shaders/convolve.wgsl");
const SYNAPSE_UPDATE: &str = include_str!("../../../shaders/synapse_update.wgsl");
const POST_SPIKE: &str = include_str!("../../../shaders/post_spike.wgsl");
const SPIKE_CONVOLVE: &str = include_str!("../../../shaders/spike_convolve.wgsl");
const SPIKE_PROCEDURAL: &str = include_str!("../../../shaders/spike_procedural.wgsl");
const CURRENT_INJECT: &str = include_str!("../../../shaders/current_inject.wgsl");

/// Threads per workgroup of every kernel.
pub const WORKGROUP: u32 = 64;

/// Numbers the per-element slots and the shared ones separately: for each
/// slot, its index among the per-element slots or among the shared ones.
pub fn split_slots(vars: &[crate::lang::ir::VarDecl]) -> (Vec<Option<u32>>, Vec<Option<u32>>) {
    let (mut l, mut g) = (0u32, 0u32);
    let (mut local, mut global) = (Vec::new(), Vec::new());
    for v in vars {
        if v.locality == Locality::Local {
            local.push(Some(l));
            global.push(None);
            l += 1;
        } else {
            local.push(None);
            global.push(Some(g));
            g += 1;
        }
    }
    (local, global)
}

/// Packs slot values (length `n` or 1) as uploaded: the per-element slots
/// one after the other (`extra` zeroed arrays of `n` after them), and the
/// shared ones.
pub fn pack_values(
    values: &[Vec<f32>],
    local: &[Option<u32>],
    n: usize,
    extra: usize,
) -> (Vec<f32>, Vec<f32>) {
    let n_local = local.iter().flatten().count();
    let mut per = vec![0.0f32; (n_local + extra) * n];
    let mut shared = Vec::new();
    for (slot, v) in values.iter().enumerate() {
        match local[slot] {
            Some(li) => per[li as usize * n..(li as usize + 1) * n].copy_from_slice(v),
            None => shared.push(v[0]),
        }
    }
    (per, shared)
}

/// Where a population's values live on the GPU.
#[derive(Debug, Clone, PartialEq)]
pub struct PopLayout {
    /// Neurons.
    pub n: u32,
    /// Per slot: its index among the per-neuron slots (offset `index * n`
    /// in the state buffer), or `None` for population-wide ones.
    pub local: Vec<Option<u32>>,
    /// Per slot: its index in the parameter buffer, for population-wide ones.
    pub global: Vec<Option<u32>>,
    /// Number of per-neuron slots (the sums follow them).
    pub n_local: u32,
    /// Depth of the spike ring (0: no spiking projection reads it).
    pub ring: u32,
    /// Whether a spike monitor reads the bitmasks.
    pub bits: bool,
    /// Slots whose past values delayed rate projections read.
    pub hist_slots: Vec<u32>,
    /// Depth of the rate history ring.
    pub hist_ring: u32,
    /// Whether a DecodingProjection reads which neurons spiked last step
    /// (the `lastspk` array: ring number of the last spike, plus 2).
    pub last: bool,
}

impl PopLayout {
    /// The layout of a population of `n` neurons of model `ir`.
    pub fn new(ir: &NeuronIr, n: usize) -> Self {
        let (local, global) = split_slots(&ir.vars);
        let l = local.iter().flatten().count() as u32;
        PopLayout {
            n: n as u32,
            local,
            global,
            n_local: l,
            ring: 0,
            bits: false,
            hist_slots: Vec::new(),
            hist_ring: 0,
            last: false,
        }
    }

    /// Element offset of a per-neuron slot in the state buffer.
    pub fn offset(&self, slot: u32) -> Option<u32> {
        self.local[slot as usize].map(|l| l * self.n)
    }

    /// Element offset of `sum(target)` number `t`.
    pub fn sum_offset(&self, t: u32) -> u32 {
        (self.n_local + t) * self.n
    }

    /// Number of population-wide slots.
    pub fn n_global(&self) -> u32 {
        self.global.iter().flatten().count() as u32
    }
}

/// A WGSL f32 literal that parses back to exactly `x`.
pub fn lit(x: f32) -> String {
    if x.is_finite() {
        let s = format!("{x:?}");
        if x.is_sign_negative() {
            format!("({s}f)")
        } else {
            format!("{s}f")
        }
    } else {
        format!("bitcast<f32>({}u)", x.to_bits())
    }
}

/// What an expression's value is, for the CPU engine's folding rules.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Const(f32),
    Uniform,
    Varying,
}

/// Prints IR expressions as WGSL statements (one `let` per operation, so
/// nesting depth stays flat whatever the size of the expression).
pub struct Printer<'a> {
    /// WGSL for a leaf (variable, sum, pre/post reference, t, dt) and
    /// whether it is the same for every thread.
    pub leaf: &'a dyn Fn(&Expr) -> Option<(String, bool)>,
    /// Division by a uniform value as a multiplication by its reciprocal
    /// (the register programs of the CPU engine); `false` for the
    /// tree-walking evaluation of spike events.
    pub reciprocal: bool,
    /// Random object of stream 0.
    pub object: u32,
    /// WGSL of the random index (neuron or synapse).
    pub index: String,
    /// Statements emitted so far.
    pub out: String,
    /// Indentation of emitted statements.
    pub indent: String,
    next: usize,
}

impl<'a> Printer<'a> {
    /// A printer resolving leaves with `leaf`.
    pub fn new(
        leaf: &'a dyn Fn(&Expr) -> Option<(String, bool)>,
        object: u32,
        index: &str,
    ) -> Self {
        Printer {
            leaf,
            reciprocal: true,
            object,
            index: index.to_string(),
            out: String::new(),
            indent: "    ".into(),
            next: 0,
        }
    }

    fn emit(&mut self, code: String, kind: Kind) -> (String, Kind) {
        let name = format!("e{}", self.next);
        self.next += 1;
        let _ = writeln!(self.out, "{}let {name} = {code};", self.indent);
        (name, kind)
    }

    /// Emits a raw statement.
    pub fn stmt(&mut self, s: &str) {
        let _ = writeln!(self.out, "{}{s}", self.indent);
    }

    /// Prints `e`; returns a WGSL expression (a name or a literal) of type f32.
    pub fn expr(&mut self, e: &Expr) -> String {
        self.go(e).0
    }

    fn go(&mut self, e: &Expr) -> (String, Kind) {
        if let Some((code, uniform)) = (self.leaf)(e) {
            return (
                code,
                if uniform {
                    Kind::Uniform
                } else {
                    Kind::Varying
                },
            );
        }
        match e {
            Expr::Const(c) => (lit(*c), Kind::Const(*c)),
            // An unset temporary reads as NaN on the CPU too.
            Expr::Temp(t) => (format!("t{t}"), Kind::Varying),
            Expr::Unary(op, a) => {
                let (a, k) = self.go(a);
                if let Kind::Const(x) = k {
                    let v = match op {
                        UnOp::Neg => -x,
                        UnOp::Not => (x == 0.0) as i32 as f32,
                    };
                    return (lit(v), Kind::Const(v));
                }
                let code = match op {
                    UnOp::Neg => format!("-({a})"),
                    UnOp::Not => format!("cj_b({a} == 0.0f)"),
                };
                self.emit(code, uniform_or(k, k))
            }
            Expr::Binary(op, x, y) => {
                let (a, ka) = self.go(x);
                let (b, kb) = self.go(y);
                if let (Kind::Const(p), Kind::Const(q)) = (ka, kb) {
                    let v = binop(*op, p, q);
                    return (lit(v), Kind::Const(v));
                }
                let both_uniform = ka != Kind::Varying && kb != Kind::Varying;
                if *op == BinOp::Div && self.reciprocal && !both_uniform && kb != Kind::Varying {
                    let r = match kb {
                        Kind::Const(q) => lit(1.0 / q),
                        _ => self.emit(format!("cj_keep(1.0f / {b})"), Kind::Uniform).0,
                    };
                    return self.emit(format!("cj_keep({a} * {r})"), Kind::Varying);
                }
                let code = match op {
                    BinOp::Add => format!("cj_keep({a} + {b})"),
                    BinOp::Sub => format!("cj_keep({a} - {b})"),
                    BinOp::Mul => format!("cj_keep({a} * {b})"),
                    BinOp::Div => format!("cj_keep({a} / {b})"),
                    BinOp::Pow => format!("cj_keep(cj_pow({a}, {b}))"),
                    BinOp::Rem => format!("cj_mod({a}, {b})"),
                    BinOp::Lt => format!("cj_b({a} < {b})"),
                    BinOp::Gt => format!("cj_b({a} > {b})"),
                    BinOp::Le => format!("cj_b({a} <= {b})"),
                    BinOp::Ge => format!("cj_b({a} >= {b})"),
                    BinOp::Eq => format!("cj_b({a} == {b})"),
                    BinOp::Ne => format!("cj_b({a} != {b})"),
                    BinOp::And => format!("cj_b({a} != 0.0f && {b} != 0.0f)"),
                    BinOp::Or => format!("cj_b({a} != 0.0f || {b} != 0.0f)"),
                };
                self.emit(code, uniform_or(ka, kb))
            }
            Expr::Call(f, args) => {
                let printed: Vec<(String, Kind)> = args.iter().map(|a| self.go(a)).collect();
                let consts: Vec<f32> = printed
                    .iter()
                    .filter_map(|(_, k)| match k {
                        Kind::Const(c) => Some(*c),
                        _ => None,
                    })
                    .collect();
                if consts.len() == printed.len() {
                    let g = |i: usize| consts.get(i).copied().unwrap_or(0.0);
                    let v = f.apply(g(0), g(1), g(2));
                    return (lit(v), Kind::Const(v));
                }
                let a = |i: usize| {
                    printed
                        .get(i)
                        .map(|p| p.0.clone())
                        .unwrap_or_else(|| "0.0f".into())
                };
                let code = match f {
                    Func::Exp => format!("cj_exp({})", a(0)),
                    Func::Log => format!("log({})", a(0)),
                    Func::Sqrt => format!("sqrt({})", a(0)),
                    Func::Abs => format!("abs({})", a(0)),
                    Func::Sin => format!("sin({})", a(0)),
                    Func::Cos => format!("cos({})", a(0)),
                    Func::Tan => format!("tan({})", a(0)),
                    Func::Tanh => format!("tanh({})", a(0)),
                    Func::Asin => format!("asin({})", a(0)),
                    Func::Acos => format!("acos({})", a(0)),
                    Func::Atan => format!("atan({})", a(0)),
                    Func::Sinh => format!("sinh({})", a(0)),
                    Func::Cosh => format!("cosh({})", a(0)),
                    Func::Pos => format!("max({}, 0.0f)", a(0)),
                    Func::Neg => format!("min({}, 0.0f)", a(0)),
                    Func::Round => format!("cj_round({})", a(0)),
                    Func::Floor => format!("floor({})", a(0)),
                    Func::Ceil => format!("ceil({})", a(0)),
                    Func::Sign => format!("cj_sign({})", a(0)),
                    Func::Min => format!("min({}, {})", a(0), a(1)),
                    Func::Max => format!("max({}, {})", a(0), a(1)),
                    Func::Pow => format!("cj_keep(cj_pow({}, {}))", a(0), a(1)),
                    Func::Modulo => format!("cj_mod({}, {})", a(0), a(1)),
                    Func::Clip => format!("min(max({}, {}), {})", a(0), a(1), a(2)),
                };
                let kind = if printed.iter().all(|(_, k)| *k != Kind::Varying) {
                    Kind::Uniform
                } else {
                    Kind::Varying
                };
                self.emit(code, kind)
            }
            Expr::Select(c, x, y) => {
                let (c, kc) = self.go(c);
                let (a, ka) = self.go(x);
                let (b, kb) = self.go(y);
                if let (Kind::Const(c), Kind::Const(p), Kind::Const(q)) = (kc, ka, kb) {
                    let v = if c != 0.0 { p } else { q };
                    return (lit(v), Kind::Const(v));
                }
                let kind = if [kc, ka, kb].iter().all(|k| *k != Kind::Varying) {
                    Kind::Uniform
                } else {
                    Kind::Varying
                };
                self.emit(format!("select({b}, {a}, {c} != 0.0f)"), kind)
            }
            Expr::Random {
                kind,
                stream,
                args,
                shared,
            } => {
                let a: Vec<String> = args.iter().map(|x| self.go(x).0).collect();
                let g = |i: usize| a.get(i).cloned().unwrap_or_else(|| "0.0f".into());
                // A draw shared by the population uses index 0 in every
                // thread, as the CPU engine (vm.rs, Op::Rand).
                let index = if *shared { "0u" } else { self.index.as_str() };
                let key = format!(
                    "clk.key, {}u, clk.step, {index}",
                    self.object.wrapping_add(*stream),
                );
                let code = match kind {
                    RandomKind::Uniform => format!("cj_uniform({key}, {}, {})", g(0), g(1)),
                    RandomKind::Normal => format!("cj_normal_draw({key}, {}, {})", g(0), g(1)),
                    RandomKind::LogNormal => {
                        format!("cj_lognormal_draw({key}, {}, {})", g(0), g(1))
                    }
                    RandomKind::Exponential => format!("cj_exponential_draw({key}, {})", g(0)),
                };
                self.emit(code, Kind::Varying)
            }
            // Unbound leaves are a generator bug; NaN makes it loud, as on the CPU.
            _ => (lit(f32::NAN), Kind::Const(f32::NAN)),
        }
    }
}

fn uniform_or(a: Kind, b: Kind) -> Kind {
    if a == Kind::Varying || b == Kind::Varying {
        Kind::Varying
    } else {
        Kind::Uniform
    }
}

/// A generated kernel: its name (for errors) and source.
#[derive(Debug, Clone)]
pub struct Kernel {
    /// e.g. `neuron_update[pop 'exc']`.
    pub name: String,
    /// The whole WGSL module.
    pub source: String,
    /// The generated part of `main`, which merged kernels are made of:
    /// without the range guard that returns (a merged kernel guards each
    /// member's range itself) or the lanes of a delivery's delay blocks
    /// (a merged delivery deals its own).
    pub body: String,
}

fn assemble(name: String, template: &str, bindings: &str, body: &str) -> Kernel {
    let main = template
        .replace("//{{BINDINGS}}\n", bindings)
        .replace("//{{BODY}}\n", body);
    Kernel {
        name,
        source: format!("{COMMON}\n{CLOCK}\n{main}"),
        body: body.to_string(),
    }
}

/// `text` with every array access `from[` (not part of a longer name)
/// made `to[`.
fn rename_array(text: &str, from: &str, to: &str) -> String {
    let pat = format!("{from}[");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(&pat) {
        let before = rest[..at].chars().next_back();
        let whole = !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        out.push_str(&rest[..at]);
        out.push_str(if whole { to } else { from });
        out.push('[');
        rest = &rest[at + pat.len()..];
    }
    out.push_str(rest);
    out
}

/// A merged kernel's module: its bindings, then `main` (with `group` and
/// `groups` defined first where the members stride over workgroups)
/// running `body`.
fn merged_kernel(name: String, bindings: &str, workgroups: bool, body: &str) -> Kernel {
    let prelude = if workgroups {
        "    let groups = nwg.x * nwg.y;\n    let group = wg.y * nwg.x + wg.x;\n"
    } else {
        ""
    };
    let main = format!(
        "{bindings}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {{
{prelude}{body}}}
"
    );
    Kernel {
        name,
        source: format!("{COMMON}\n{CLOCK}\n{main}"),
        body: body.to_string(),
    }
}

/// Declares the states `st_0 .. st_{n-1}` at bindings `1..=n`, the first
/// `written` of them read_write; returns the next binding.
fn state_bindings(b: &mut String, n: usize, written: usize) -> usize {
    for k in 0..n {
        let access = if k < written { "read_write" } else { "read" };
        let _ = writeln!(
            b,
            "@group(0) @binding({}) var<storage, {access}> st_{k}: array<f32>;",
            1 + k
        );
    }
    1 + n
}

/// Declares member `m`'s CSR, synapse values (`syn_access`) and
/// projection-wide parameters from binding `next`; returns the next one.
fn member_bindings(b: &mut String, next: usize, m: usize, syn_access: &str) -> usize {
    let _ = writeln!(
        b,
        "@group(0) @binding({next}) var<storage, read> csr_{m}: array<u32>;\n@group(0) @binding({}) var<storage, {syn_access}> syn_{m}: array<f32>;\n@group(0) @binding({}) var<storage, read> sp_{m}: array<f32>;",
        next + 1,
        next + 2
    );
    next + 3
}

/// Member `m`'s body with its buffers renamed for a merged kernel: its
/// CSR, values and parameters to `csr_m`, `syn_m`, `sp_m`, then each
/// `(from, to)` of `more` in order.
fn member_body(body: &str, m: usize, more: &[(&str, String)]) -> String {
    let mut x = rename_array(body, "csr", &format!("csr_{m}"));
    x = rename_array(&x, "syn", &format!("syn_{m}"));
    x = rename_array(&x, "sparams", &format!("sp_{m}"));
    for (from, to) in more {
        x = rename_array(&x, from, to);
    }
    x
}

/// What a member of a merged spike delivery binds after its CSR or table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberBinds {
    /// Its weights (stored synapses).
    Weights,
    /// Nothing (procedural: the weights are drawn or in the code).
    Nothing,
    /// Its ring of future inputs, written (procedural with per-synapse
    /// delays).
    Ring,
    /// A model's own `pre_spike` (plasticity, say): its synapse values
    /// (written if it `stores`), its projection-wide parameters and, if
    /// it `reads_pre` of another population, that population's state.
    General {
        /// `pre_spike` assigns synapse variables.
        stores: bool,
        /// `pre_spike` reads variables of a pre that is not the post.
        reads_pre: bool,
    },
}

impl MemberBinds {
    /// The storage buffers it binds after its CSR or table.
    pub fn bindings(self) -> usize {
        match self {
            MemberBinds::Nothing => 0,
            MemberBinds::Weights | MemberBinds::Ring => 1,
            MemberBinds::General { reads_pre, .. } => 2 + usize::from(reads_pre),
        }
    }
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
    let atomic_ty = if float_atomics { "f32" } else { "u32" };
    let mut b = String::new();
    for k in 0..posts {
        let _ = writeln!(
            b,
            "@group(0) @binding({}) var<storage, read_write> post_{k}: array<atomic<{atomic_ty}>>;",
            1 + k
        );
    }
    let mut next = 1 + posts;
    for (m, w) in members.iter().map(|x| x.binds).enumerate() {
        let _ = writeln!(
            b,
            "@group(0) @binding({next}) var<storage, read> csr_{m}: array<u32>;"
        );
        next += 1;
        match w {
            MemberBinds::Weights => {
                let _ = writeln!(
                    b,
                    "@group(0) @binding({next}) var<storage, read> syn_{m}: array<f32>;"
                );
                next += 1;
            }
            MemberBinds::Ring => {
                let _ = writeln!(
                    b,
                    "@group(0) @binding({next}) var<storage, read_write> dring_{m}: array<atomic<{atomic_ty}>>;"
                );
                next += 1;
            }
            MemberBinds::General { stores, reads_pre } => {
                let access = if stores { "read_write" } else { "read" };
                let _ = writeln!(
                    b,
                    "@group(0) @binding({next}) var<storage, {access}> syn_{m}: array<f32>;\n@group(0) @binding({}) var<storage, read> sp_{m}: array<f32>;",
                    next + 1
                );
                next += 2;
                if reads_pre {
                    let _ = writeln!(
                        b,
                        "@group(0) @binding({next}) var<storage, read> pst_{m}: array<f32>;"
                    );
                    next += 1;
                }
            }
            MemberBinds::Nothing => {}
        }
    }
    for p in 0..pres {
        let _ = writeln!(
            b,
            "@group(0) @binding({}) var<storage, read> cnt_{p}: array<u32>;",
            next + 2 * p
        );
        let _ = writeln!(
            b,
            "@group(0) @binding({}) var<storage, read> lst_{p}: array<u32>;",
            next + 1 + 2 * p
        );
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
                ("dring", format!("dring_{m}")),
                ("pstate", format!("pst_{m}")),
                // A procedural member's threshold table sits where a CSR
                // would.
                ("table", format!("csr_{m}")),
                ("pre_count", format!("cnt_{p}")),
                ("pre_list", format!("lst_{p}")),
                ("post", format!("post_{q}")),
            ],
        )
        .replace("arrayLength(&syn)", &format!("arrayLength(&syn_{m})"));
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
        &b,
        true,
        &body,
    )
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
    let mut b = String::new();
    let mut next = state_bindings(&mut b, pops.len(), posts);
    for h in 0..hists {
        let _ = writeln!(
            b,
            "@group(0) @binding({next}) var<storage, read> hist_{h}: array<f32>;"
        );
        next += 1;
    }
    for m in 0..members.len() {
        next = member_bindings(&mut b, next, m, "read");
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
                more.push(("phist", format!("hist_{h}")));
            }
            more.push(("pstate", format!("st_{}", mem.pre)));
            more.push(("post", format!("st_{k}")));
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
        &b,
        false,
        &body,
    )
}

/// The capabilities generated kernels may use.
pub fn capabilities(float_atomics: bool) -> naga::valid::Capabilities {
    if float_atomics {
        naga::valid::Capabilities::SHADER_FLOAT32_ATOMIC
    } else {
        naga::valid::Capabilities::empty()
    }
}

/// Parses and validates a kernel with naga; an error carries the numbered source.
pub fn validate(k: &Kernel, float_atomics: bool) -> Result<naga::Module> {
    let numbered = || {
        k.source
            .lines()
            .enumerate()
            .map(|(i, l)| format!("{:4} {l}", i + 1))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let module = naga::front::wgsl::parse_str(&k.source).map_err(|e| Error::Codegen {
        kernel: k.name.clone(),
        message: e.emit_to_string(&k.source),
        source_code: numbered(),
    })?;
    naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        capabilities(float_atomics),
    )
    .validate(&module)
    .map_err(|e| Error::Codegen {
        kernel: k.name.clone(),
        message: e.emit_to_string(&k.source),
        source_code: numbered(),
    })?;
    Ok(module)
}

/// `clear_inputs` of a population: zero its sums and ungoverned
/// conductances.
pub fn clear_inputs(pop_name: &str, ir: &NeuronIr, l: &PopLayout) -> Kernel {
    let mut body = String::new();
    let _ = writeln!(body, "    if (i < {}u) {{", l.n);
    for t in 0..ir.targets.len() as u32 {
        let _ = writeln!(body, "        state[{}u + i] = 0.0f;", l.sum_offset(t));
    }
    for (_, slot, governed) in &ir.conductances {
        if !governed {
            if let Some(o) = l.offset(*slot) {
                let _ = writeln!(body, "        state[{o}u + i] = 0.0f;");
            }
        }
    }
    body.push_str("    }\n");
    assemble(
        format!("clear_inputs[population '{pop_name}']"),
        CLEAR_INPUTS,
        "",
        &body,
    )
}

/// Whether clear_inputs has anything to do for this population.
pub fn needs_clear(ir: &NeuronIr) -> bool {
    !ir.targets.is_empty() || ir.conductances.iter().any(|c| !c.2)
}

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

/// One dispatch for the `clear_inputs` of several populations (as
/// [`neuron_update_merged`]; each binds its state only).
pub fn clear_inputs_merged(
    members: &[(&str, &Kernel, &PopLayout)],
) -> (Kernel, Vec<Vec<(PopBuf, u32)>>) {
    let parts: Vec<_> = members
        .iter()
        .map(|(name, k, l)| {
            (
                *name,
                *k,
                l.n,
                vec![(PopBuf::State, "state", "read_write> STATE: array<f32>")],
            )
        })
        .collect();
    merged_over_ranges("clear_inputs_merged", &parts)
}

/// Kernels with a thread per neuron, run as one: thread `gi` runs the body
/// of the member whose range holds it, with `i = gi - start` and the
/// member's buffers (name, declaration with `STATE` for the name) renamed.
#[allow(clippy::type_complexity)]
fn merged_over_ranges(
    title: &str,
    members: &[(
        &str,
        &Kernel,
        u32,
        Vec<(PopBuf, &'static str, &'static str)>,
    )],
) -> (Kernel, Vec<Vec<(PopBuf, u32)>>) {
    let mut b = String::new();
    let mut body = String::from("    let gi = cj_index(wg, nwg, lid);\n");
    let mut binds = Vec::new();
    let mut next = 1u32;
    let mut start = 0u32;
    let mut names = Vec::new();
    for (m, (name, k, n, bufs)) in members.iter().enumerate() {
        let mut x = k.body.clone();
        let mut mine = Vec::new();
        for &(buf, var, decl) in bufs {
            let renamed = format!("{var}_{m}");
            let _ = writeln!(
                b,
                "@group(0) @binding({next}) var<storage, {};",
                decl.replace("STATE", &renamed)
            );
            x = rename_array(&x, var, &renamed);
            mine.push((buf, next));
            next += 1;
        }
        binds.push(mine);
        let _ = writeln!(body, "    // population '{name}'");
        let _ = writeln!(
            body,
            "    if (gi >= {start}u && gi < {}u) {{\n    let i = gi - {start}u;\n{x}    }}",
            start + n
        );
        start += n;
        names.push(*name);
    }
    (
        merged_kernel(
            format!("{title}[populations {}]", names.join(", ")),
            &b,
            false,
            &body,
        ),
        binds,
    )
}

/// Where a projection's values live on the GPU.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjLayout {
    /// Synapses.
    pub nsyn: u32,
    /// Per slot: index among per-synapse slots (offset `index * nsyn`).
    pub local: Vec<Option<u32>>,
    /// Per slot: index among projection-wide slots.
    pub global: Vec<Option<u32>>,
}

impl ProjLayout {
    /// The layout of `nsyn` synapses of model `ir`.
    pub fn new(ir: &SynapseIr, nsyn: usize) -> Self {
        let (local, global) = split_slots(&ir.vars);
        ProjLayout {
            nsyn: nsyn as u32,
            local,
            global,
        }
    }

    fn var(&self, v: u32, index: &str) -> Option<(String, bool)> {
        match (self.local.get(v as usize)?, self.global.get(v as usize)?) {
            (Some(li), _) => Some((format!("syn[{}u + {index}]", li * self.nsyn), false)),
            (None, Some(g)) => Some((format!("sparams[{g}]"), true)),
            _ => None,
        }
    }
}

/// What a rate or spike kernel needs to know of its two populations.
pub struct Ends<'a> {
    /// Pre-synaptic layout.
    pub pre: &'a PopLayout,
    /// Post-synaptic layout.
    pub post: &'a PopLayout,
    /// Whether pre and post are the same population (one binding).
    pub same: bool,
    /// State-buffer slot of each `pre.x`.
    pub pre_slots: Vec<u32>,
    /// State-buffer slot of each `post.x`.
    pub post_slots: Vec<u32>,
    /// Elements of a batch: the synapses connect the neurons of each
    /// element (`n / batch` of each population) to the same element.
    pub batch: u32,
}

impl Ends<'_> {
    /// Neurons of one batch element: (pre, post).
    fn element(&self) -> (u32, u32) {
        (self.pre.n / self.batch, self.post.n / self.batch)
    }
}

/// In a batched kernel, splits rank `rank` (of a population of `el`
/// neurons an element) into element `bi` and the rank `local` within it,
/// and returns that local name with the offset (` + bi * other`) that moves
/// a rank of the other side into the same element; unbatched, the rank
/// itself and no offset.
fn split_element(
    body: &mut String,
    indent: &str,
    batch: u32,
    rank: &'static str,
    local: &'static str,
    el: u32,
    other: u32,
) -> (&'static str, String) {
    if batch > 1 {
        let _ = writeln!(
            body,
            "{indent}let bi = {rank} / {el}u;\n{indent}let {local} = {rank} - bi * {el}u;"
        );
        (local, format!(" + bi * {other}u"))
    } else {
        (rank, String::new())
    }
}

/// `rate_sum` of a rate-coded projection into `sum(target)` number `sum`.
/// `delays`: `None` when all synapses share `uniform_delay`.
#[allow(clippy::too_many_arguments)]
pub fn rate_sum(
    name: &str,
    ir: &SynapseIr,
    op: Operation,
    pl: &ProjLayout,
    ends: &Ends,
    sum: u32,
    uniform_delay: Option<u32>,
    dt: f32,
    object: u32,
) -> Kernel {
    let n_post = ends.post.n;
    let n_pre = ends.pre.n;
    let nsyn = pl.nsyn;
    let mut b = String::new();
    let pre_buf = if ends.same { "post" } else { "pstate" };
    if !ends.same {
        b.push_str("@group(0) @binding(5) var<storage, read> pstate: array<f32>;\n");
    }
    let uses_hist = uniform_delay.is_none_or(|d| d > 1);
    if uses_hist {
        b.push_str("@group(0) @binding(6) var<storage, read> phist: array<f32>;\n");
    }
    let pre = ends.pre;
    let rh = pre.hist_ring.max(1);
    let kh = pre.hist_slots.len() as u32;
    let pre_value = |k: u32| -> String {
        let slot = ends.pre_slots[k as usize];
        let now = match pre.offset(slot) {
            Some(o) => format!("{pre_buf}[{o}u + pj]"),
            None => return "0.0f".into(),
        };
        let hpos = pre.hist_slots.iter().position(|s| *s == slot).unwrap_or(0) as u32;
        let past = |d: &str| {
            format!(
                "phist[((((clk.ring + {}u - {d}) % {rh}u) * {kh}u) + {hpos}u) * {n_pre}u + pj]",
                2 * rh
            )
        };
        match uniform_delay {
            Some(d) if d <= 1 => now,
            Some(d) => past(&format!("{d}u")),
            None => format!("select({}, {now}, d <= 1u)", past("d")),
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
                    None => Some(("0.0f".into(), false)),
                }
            }
            Expr::Time => Some(("clk.t".into(), true)),
            Expr::Dt => Some((lit(dt), true)),
            _ => None,
        }
    };
    let mut p = Printer::new(&leaf, object, "j");
    p.indent = "        ".into();
    let init = match op {
        Operation::Sum | Operation::Mean => "0.0f",
        Operation::Max => "bitcast<f32>(0xff800000u)",
        Operation::Min => "bitcast<f32>(0x7f800000u)",
    };
    let mut body = String::new();
    let (el_pre, el_post) = ends.element();
    // Batched: post `i` is neuron `il` of element `bi`; the rows are those
    // of one element, the pre ranks offset to the same element.
    let (row, pre_off) = split_element(&mut body, "    ", ends.batch, "i", "il", el_post, el_pre);
    let _ = writeln!(
        body,
        "    let a = csr[{row}];\n    let b = csr[{row} + 1u];"
    );
    let _ = writeln!(body, "    var acc: f32 = {init};");
    let _ = writeln!(body, "    for (var j = a; j < b; j = j + 1u) {{");
    let _ = writeln!(body, "        let pj = csr[{}u + j]{pre_off};", el_post + 1);
    if uniform_delay.is_none() {
        let _ = writeln!(body, "        let d = csr[{}u + j];", el_post + 1 + nsyn);
    }
    let v = p.expr(&ir.psp);
    body.push_str(&p.out);
    let _ = match op {
        Operation::Sum | Operation::Mean => writeln!(body, "        acc = cj_keep(acc + {v});"),
        Operation::Max => writeln!(body, "        acc = max(acc, {v});"),
        Operation::Min => writeln!(body, "        acc = min(acc, {v});"),
    };
    body.push_str("    }\n    var out = 0.0f;\n");
    let _ = match op {
        Operation::Mean => writeln!(body, "    if (b > a) {{ out = acc / f32(b - a); }}"),
        _ => writeln!(body, "    if (b > a) {{ out = acc; }}"),
    };
    let so = ends.post.sum_offset(sum);
    let _ = writeln!(body, "    post[{so}u + i] = post[{so}u + i] + out;");
    // The range guard returns, so it stays out of the body a merged
    // kernel runs among others (which guards each range itself).
    let mut k = assemble(
        format!("rate_sum[projection '{name}']"),
        RATE_SUM,
        &b,
        &format!("    if (i >= {n_post}u) {{ return; }}\n{body}"),
    );
    k.body = body;
    k
}

/// `convolve` of a convolution or pooling projection into `sum(target)`
/// number `sum`, reading the pre-synaptic values `delay` steps back.
#[allow(clippy::too_many_arguments)]
pub fn convolve(
    name: &str,
    ir: &SynapseIr,
    op: Operation,
    conv: &crate::network::conv::Conv,
    delay: u32,
    ends: &Ends,
    sum: u32,
    dt: f32,
) -> Kernel {
    use crate::network::conv::Padding;
    let w = &conv.window;
    if let Some(k) = convolve_tiled(name, ir, op, conv, delay, ends, sum) {
        return k;
    }
    let n_post = ends.post.n;
    let n_pre = ends.pre.n;
    let d = w.pre.len();
    let taps = w.taps();
    let mut b = String::new();
    let pre_buf = if ends.same { "post" } else { "pstate" };
    if !ends.same {
        b.push_str("@group(0) @binding(5) var<storage, read> pstate: array<f32>;\n");
    }
    if delay > 1 {
        b.push_str("@group(0) @binding(6) var<storage, read> phist: array<f32>;\n");
    }
    let pre = ends.pre;
    let rh = pre.hist_ring.max(1);
    let kh = pre.hist_slots.len() as u32;
    let pad = match w.padding {
        Padding::Value(v) => lit(v),
        Padding::Border => "0.0f".into(),
    };
    let mut body = String::new();
    // Post coordinates, row-major.
    let _ = writeln!(body, "    var r = i;");
    for (pd, &n) in w.post.iter().enumerate().rev() {
        let _ = writeln!(body, "    let p{pd} = r % {n}u;\n    r = r / {n}u;");
    }
    for (q, a) in w.axes.iter().enumerate() {
        match &w.starts {
            Some(_) => {
                let _ = writeln!(body, "    let s{q} = bitcast<i32>(csr[i * {d}u + {q}u]);");
            }
            None => {
                let p = a
                    .post_dim
                    .map_or("0".to_string(), |pd| format!("i32(p{pd})"));
                let _ = writeln!(body, "    let s{q} = {}i + {}i * {p};", a.offset, a.stride);
            }
        }
    }
    let f = w.bank.map_or("0u".to_string(), |pd| format!("p{pd}"));
    let init = match op {
        Operation::Sum | Operation::Mean => "0.0f",
        Operation::Max => "bitcast<f32>(0xff800000u)",
        Operation::Min => "bitcast<f32>(0x7f800000u)",
    };
    let _ = writeln!(body, "    let fbase = {f} * {taps}u;");
    let _ = writeln!(body, "    var acc: f32 = {init};");
    let _ = writeln!(body, "    for (var t = 0u; t < {taps}u; t = t + 1u) {{");
    let _ = writeln!(body, "        var tt = t;");
    for (q, a) in w.axes.iter().enumerate().rev() {
        let _ = writeln!(
            body,
            "        let k{q} = tt % {k}u;\n        tt = tt / {k}u;",
            k = a.kernel
        );
    }
    let _ = writeln!(body, "        var inb = true;");
    let mut rank = String::from("0u");
    for (q, &n) in w.pre.iter().enumerate() {
        let _ = writeln!(body, "        var q{q} = s{q} + i32(k{q});");
        match w.padding {
            Padding::Value(_) => {
                let _ = writeln!(
                    body,
                    "        if (q{q} < 0i || q{q} >= {n}i) {{ inb = false; q{q} = 0i; }}"
                );
            }
            Padding::Border => {
                let _ = writeln!(body, "        q{q} = clamp(q{q}, 0i, {}i);", n - 1);
            }
        }
        rank = format!("({rank} * {n}u + u32(q{q}))");
    }
    let _ = writeln!(body, "        let pj = {rank};");
    for (j, slot) in ends.pre_slots.iter().enumerate() {
        let src = match pre.offset(*slot) {
            Some(o) if delay <= 1 => format!("{pre_buf}[{o}u + pj]"),
            Some(_) => {
                let hpos = pre.hist_slots.iter().position(|s| s == slot).unwrap_or(0) as u32;
                format!(
                    "phist[((((clk.ring + {}u - {delay}u) % {rh}u) * {kh}u) + {hpos}u) * {n_pre}u + pj]",
                    2 * rh
                )
            }
            None => "0.0f".into(),
        };
        let _ = writeln!(body, "        var pv{j} = {pad};");
        let _ = writeln!(body, "        if (inb) {{ pv{j} = {src}; }}");
    }
    let _ = writeln!(body, "        let wv = syn[fbase + t];");
    let w_slot = ir.slot("w");
    let leaf = |e: &Expr| -> Option<(String, bool)> {
        match e {
            Expr::Var(v) if Some(*v) == w_slot => Some(("wv".into(), false)),
            Expr::Pre(k) => Some((format!("pv{k}"), false)),
            Expr::Time => Some(("clk.t".into(), true)),
            Expr::Dt => Some((lit(dt), true)),
            _ => None,
        }
    };
    let mut p = Printer::new(&leaf, 0, "t");
    p.indent = "        ".into();
    let v = p.expr(&ir.psp);
    body.push_str(&p.out);
    let _ = match op {
        Operation::Sum | Operation::Mean => writeln!(body, "        acc = cj_keep(acc + {v});"),
        Operation::Max => writeln!(body, "        acc = max(acc, {v});"),
        Operation::Min => writeln!(body, "        acc = min(acc, {v});"),
    };
    body.push_str("    }\n");
    if op == Operation::Mean {
        let _ = writeln!(body, "    acc = acc / {};", lit(taps as f32));
    }
    let so = ends.post.sum_offset(sum);
    let _ = writeln!(body, "    post[{so}u + i] = post[{so}u + i] + acc;");
    // The range guard returns: it stays out of the body, which a merged
    // rate sum runs among others (`rate_sum_merged`).
    let mut k = assemble(
        format!("convolve[projection '{name}']"),
        CONVOLVE,
        &b,
        &format!("    if (i >= {n_post}u) {{ return; }}\n{body}"),
    );
    k.body = body;
    k
}

/// WGSL finding the post neuron whose window reads pre coordinates
/// `q{d}` (i32) at tap `k{d}` (i32) of filter `f`: sets `ok` and, when
/// true, `tgt` (CPU twin: `cpu::spike_convolve::target`).
fn window_target(w: &crate::network::conv::Window, ind: &str) -> String {
    let mut body = String::new();
    let _ = writeln!(body, "{ind}var ok = true;");
    let mut p_of = vec![String::from("0u"); w.post.len()];
    for (d, a) in w.axes.iter().enumerate() {
        match a.post_dim {
            Some(pd) => {
                let _ = writeln!(body, "{ind}let num{d} = q{d} - ({}i) - k{d};", a.offset);
                let _ = writeln!(
                    body,
                    "{ind}if (num{d} < 0i || num{d} % {s}i != 0i || num{d} / {s}i >= {n}i) {{ ok = false; }}",
                    s = a.stride,
                    n = w.post[pd]
                );
                p_of[pd] = format!("u32(max(num{d}, 0i) / {}i)", a.stride);
            }
            None => {
                let _ = writeln!(body, "{ind}if (k{d} != q{d}) {{ ok = false; }}");
            }
        }
    }
    if let Some(bd) = w.bank {
        p_of[bd] = "f".into();
    }
    let mut rank = String::from("0u");
    for (pd, &n) in w.post.iter().enumerate() {
        rank = format!("({rank} * {n}u + {})", p_of[pd]);
    }
    let _ = writeln!(body, "{ind}let tgt = {rank};");
    body
}

/// WGSL of the coordinates `{name}{d}` (converted with `ty`) of the
/// row-major `rank` (a u32 expression) in `dims`.
fn coords(dims: &[usize], rank: &str, name: &str, ty: &str, ind: &str) -> String {
    let mut body = format!("{ind}var {name}r = {rank};\n");
    for (d, &n) in dims.iter().enumerate().rev() {
        let _ = writeln!(
            body,
            "{ind}let {name}{d} = {ty}({name}r % {n}u);\n{ind}{name}r = {name}r / {n}u;"
        );
    }
    body
}

/// Side of the square of post neurons a tiled `convolve` workgroup computes.
pub const TILE: usize = 8;
/// Most f32 values a tiled `convolve` keeps in workgroup memory (16 KiB,
/// WebGPU's guaranteed minimum).
const TILE_WORDS: usize = 4096;

/// The number of workgroups a tiled `convolve` of this window runs, or
/// `None` when the window takes the general kernel.
pub fn convolve_tiles(
    conv: &crate::network::conv::Conv,
    delay: u32,
    plain_psp: bool,
) -> Option<u32> {
    let w = &conv.window;
    let two_d = w.pre.len() == 2
        && w.axes[0].post_dim == Some(0)
        && w.axes[1].post_dim == Some(1)
        && w.post.len() == 2 + usize::from(w.bank.is_some());
    if !(two_d && plain_psp && w.starts.is_none() && delay <= 1) {
        return None;
    }
    let th = (TILE - 1) * w.axes[0].stride as usize + w.axes[0].kernel;
    let tw = (TILE - 1) * w.axes[1].stride as usize + w.axes[1].kernel;
    if th * tw > TILE_WORDS {
        return None;
    }
    Some((w.post[0].div_ceil(TILE) * w.post[1].div_ceil(TILE)) as u32)
}

/// The tiled `convolve` of a 2-D window with the plain psp `w * pre.r`: a
/// workgroup copies the pre-synaptic box its 8 x 8 post neurons read into
/// workgroup memory once (padding or edge included), then each thread
/// computes its neuron for every filter from there. Same taps, same order,
/// same results as the general kernel.
fn convolve_tiled(
    name: &str,
    ir: &SynapseIr,
    op: Operation,
    conv: &crate::network::conv::Conv,
    delay: u32,
    ends: &Ends,
    sum: u32,
) -> Option<Kernel> {
    use crate::network::conv::Padding;
    let w = &conv.window;
    let tiles = convolve_tiles(conv, delay, ir.psp_is_weighted_rate)?;
    let (a0, a1) = (w.axes[0], w.axes[1]);
    let (h, wd) = (w.pre[0], w.pre[1]);
    let (ph, pw) = (w.post[0], w.post[1]);
    let th = (TILE - 1) * a0.stride as usize + a0.kernel;
    let tw = (TILE - 1) * a1.stride as usize + a1.kernel;
    let taps = w.taps();
    let filters = w.filters();
    let tx_tiles = pw.div_ceil(TILE);
    let mut b = format!("var<workgroup> tile: array<f32, {}>;\n", th * tw);
    let pre_buf = if ends.same { "post" } else { "pstate" };
    if !ends.same {
        b.push_str("@group(0) @binding(5) var<storage, read> pstate: array<f32>;\n");
    }
    let r_off = ends
        .pre
        .offset(ends.pre_slots.first().copied().unwrap_or(0))
        .unwrap_or(0);
    let init = match op {
        Operation::Sum | Operation::Mean => "0.0f",
        Operation::Max => "bitcast<f32>(0xff800000u)",
        Operation::Min => "bitcast<f32>(0x7f800000u)",
    };
    let combine = match op {
        Operation::Sum | Operation::Mean => "cj_keep(acc + v)",
        Operation::Max => "max(acc, v)",
        Operation::Min => "min(acc, v)",
    };
    let load = match w.padding {
        Padding::Value(v) => format!(
            "var x = {};\n            if (q0 >= 0i && q0 < {h}i && q1 >= 0i && q1 < {wd}i) {{ x = {pre_buf}[{r_off}u + u32(q0) * {wd}u + u32(q1)]; }}",
            lit(v)
        ),
        Padding::Border => format!(
            "let x = {pre_buf}[{r_off}u + u32(clamp(q0, 0i, {}i)) * {wd}u + u32(clamp(q1, 0i, {}i))];",
            h - 1,
            wd - 1
        ),
    };
    let so = ends.post.sum_offset(sum);
    let out_rank = if w.bank.is_some() {
        format!("(py * {pw}u + px) * {filters}u + f")
    } else {
        "py * {pw}u + px".replace("{pw}", &pw.to_string())
    };
    let mean = if op == Operation::Mean {
        format!("\n            acc = acc / {};", lit(taps as f32))
    } else {
        String::new()
    };
    let body = format!(
        "    // A workgroup per 8 x 8 square of post neurons (uniform: from the
    // workgroup id), a thread per neuron of the square.
    let t = wg.y * nwg.x + wg.x;
    if (t >= {tiles}u) {{ return; }}
    let y0 = (t / {tx_tiles}u) * {TILE}u;
    let x0 = (t % {tx_tiles}u) * {TILE}u;
    let b0 = {o0}i + {s0}i * i32(y0);
    let b1 = {o1}i + {s1}i * i32(x0);
    for (var e = lid; e < {n_tile}u; e = e + 64u) {{
        let q0 = b0 + i32(e / {tw}u);
        let q1 = b1 + i32(e % {tw}u);
        {{
            {load}
            tile[e] = x;
        }}
    }}
    workgroupBarrier();
    let ly = lid / {TILE}u;
    let lx = lid % {TILE}u;
    let py = y0 + ly;
    let px = x0 + lx;
    if (py >= {ph}u || px >= {pw}u) {{ return; }}
    for (var f = 0u; f < {filters}u; f = f + 1u) {{
        var acc: f32 = {init};
        for (var k0 = 0u; k0 < {k0}u; k0 = k0 + 1u) {{
            for (var k1 = 0u; k1 < {k1}u; k1 = k1 + 1u) {{
                let x = tile[(ly * {s0}u + k0) * {tw}u + lx * {s1}u + k1];
                let v = cj_keep(syn[f * {taps}u + k0 * {k1}u + k1] * x);
                acc = {combine};
            }}
        }}{mean}
        let o = {so}u + {out_rank};
        post[o] = post[o] + acc;
    }}
",
        o0 = a0.offset,
        s0 = a0.stride,
        o1 = a1.offset,
        s1 = a1.stride,
        n_tile = th * tw,
        k0 = a0.kernel,
        k1 = a1.kernel,
    );
    // The template's thread index is unused here.
    let body = format!("    _ = i;\n{body}");
    Some(assemble(
        format!("convolve[projection '{name}'] (tiled)"),
        CONVOLVE,
        &b,
        &body,
    ))
}

/// `convolve_transposed`: ANNarchy's Transpose of a convolution: each
/// neuron of the original's pre (the post here) sums `w * r` over the
/// (filter, tap) pairs through which the original's post neurons read it
/// (CPU twin: `cpu::convolve::convolve_transposed`).
pub fn convolve_transposed(
    name: &str,
    conv: &crate::network::conv::Conv,
    ends: &Ends,
    sum: u32,
) -> Kernel {
    let w = &conv.window;
    let taps = w.taps();
    let pairs = taps * w.filters();
    let mut b = String::new();
    let pre_buf = if ends.same { "post" } else { "pstate" };
    if !ends.same {
        b.push_str("@group(0) @binding(5) var<storage, read> pstate: array<f32>;\n");
    }
    let r_off = ends
        .pre
        .offset(ends.pre_slots.first().copied().unwrap_or(0))
        .unwrap_or(0);
    let kernel: Vec<usize> = w.axes.iter().map(|a| a.kernel).collect();
    let mut body = String::new();
    let _ = writeln!(body, "    if (i >= {}u) {{ return; }}", ends.post.n);
    // The post here is the original's pre: q are its coordinates.
    body.push_str(&coords(&w.pre, "i", "q", "i32", "    "));
    let _ = writeln!(body, "    var acc = 0.0f;");
    let _ = writeln!(body, "    for (var e = 0u; e < {pairs}u; e = e + 1u) {{");
    let _ = writeln!(body, "        let f = e / {taps}u;");
    body.push_str(&coords(
        &kernel,
        &format!("e % {taps}u"),
        "k",
        "i32",
        "        ",
    ));
    body.push_str(&window_target(w, "        "));
    let _ = writeln!(
        body,
        "        if (ok) {{ acc = cj_keep(acc + cj_keep(syn[e] * {pre_buf}[{r_off}u + tgt])); }}"
    );
    body.push_str("    }\n");
    let so = ends.post.sum_offset(sum);
    let _ = writeln!(body, "    post[{so}u + i] = post[{so}u + i] + acc;");
    assemble(
        format!("convolve_transposed[projection '{name}']"),
        CONVOLVE,
        &b,
        &body,
    )
}

/// WGSL adding `v` to the atomic f32 `place`: `atomicAdd` with
/// SHADER_FLOAT32_ATOMIC, otherwise a compare-exchange loop on its bits.
fn atomic_add(place: &str, v: &str, float_atomics: bool) -> String {
    if float_atomics {
        format!("atomicAdd(&{place}, {v});")
    } else {
        format!(
            "loop {{ let old = atomicLoad(&{place}); \
             let r = atomicCompareExchangeWeak(&{place}, old, bitcast<u32>(bitcast<f32>(old) + {v})); \
             if (r.exchanged) {{ break; }} }}"
        )
    }
}

/// `spike_convolve` of a convolution between spiking populations into
/// conductance slot `g`, delivering the spikes of `delay` steps ago.
pub fn spike_convolve(
    name: &str,
    conv: &crate::network::conv::Conv,
    delay: u32,
    ends: &Ends,
    g: u32,
    float_atomics: bool,
) -> Kernel {
    let w = &conv.window;
    let taps = w.taps();
    let pairs = taps * w.filters();
    let n_pre = ends.pre.n;
    let ring = ends.pre.ring;
    let atomic_ty = if float_atomics { "f32" } else { "u32" };
    let b = format!(
        "@group(0) @binding(1) var<storage, read_write> post: array<atomic<{atomic_ty}>>;\n"
    );
    let go = ends.post.offset(g).unwrap_or(0);
    let add = atomic_add(&format!("post[{go}u + tgt]"), "syn[e]", float_atomics);
    let kernel: Vec<usize> = w.axes.iter().map(|a| a.kernel).collect();
    let mut body = String::new();
    let _ = writeln!(
        body,
        "    let slot = (clk.ring + {ring}u - {delay}u) % {ring}u;"
    );
    let _ = writeln!(body, "    let count = pre_count[slot];");
    let _ = writeln!(
        body,
        "    for (var n = group; n < count; n = n + groups) {{"
    );
    body.push_str(&coords(
        &w.pre,
        &format!("pre_list[slot * {n_pre}u + n]"),
        "q",
        "i32",
        "        ",
    ));
    let _ = writeln!(
        body,
        "        for (var e = lid; e < {pairs}u; e = e + 64u) {{"
    );
    let _ = writeln!(body, "            let f = e / {taps}u;");
    body.push_str(&coords(
        &kernel,
        &format!("e % {taps}u"),
        "k",
        "i32",
        "            ",
    ));
    body.push_str(&window_target(w, "            "));
    let _ = writeln!(body, "            if (ok) {{ {add} }}");
    body.push_str("        }\n    }\n");
    assemble(
        format!("spike_convolve[projection '{name}']"),
        SPIKE_CONVOLVE,
        &b,
        &body,
    )
}

/// `spike_procedural` of a procedural projection into conductance slot
/// `g`: a thread per (spike, chunk) pair draws the chunk's targets again.
pub fn spike_procedural(
    name: &str,
    gen: &crate::connect::procedural::Procedural,
    object: u32,
    ends: &Ends,
    g: u32,
    float_atomics: bool,
) -> Kernel {
    let n_pre = ends.pre.n;
    let (el_pre, el_post) = ends.element();
    let ring = ends.pre.ring;
    let (delay, chunk, chunks) = (gen.spike_delay(), gen.chunk, gen.chunks());
    let delayed = gen.per_synapse_delays();
    let atomic_ty = if float_atomics { "f32" } else { "u32" };
    let mut b = format!(
        "@group(0) @binding(1) var<storage, read_write> post: array<atomic<{atomic_ty}>>;\n"
    );
    // Binding 3: the ring of future inputs (per-synapse delays), else an
    // unused weight buffer.
    if delayed {
        let _ = writeln!(
            b,
            "@group(0) @binding(3) var<storage, read_write> dring: array<atomic<{atomic_ty}>>;"
        );
    } else {
        b.push_str("@group(0) @binding(3) var<storage, read> syn: array<f32>;\n");
    }
    let go = ends.post.offset(g).unwrap_or(0);
    let (np, d_max) = (ends.post.n, gen.delay);
    let w = &gen.weight;
    // The weight: a literal, or the twin of Procedural::weight_at, drawn
    // from the weight stream at (pre j, post t) and clipped.
    let weight = match w.kind {
        None => lit(w.a),
        Some(kind) => {
            let wo = crate::connect::procedural::Procedural::weight_object(object);
            let (a, b) = (lit(w.a), lit(w.b));
            let mut x = match kind {
                RandomKind::Uniform => format!("cj_uniform(key, {wo}u, j, t, {a}, {b})"),
                RandomKind::Normal => format!("cj_normal_draw(key, {wo}u, j, t, {a}, {b})"),
                RandomKind::LogNormal => {
                    format!("cj_lognormal_draw(key, {wo}u, j, t, {a}, {b})")
                }
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
    };
    let add = atomic_add(&format!("post[{go}u + off + t]"), "wt", float_atomics);
    let mut body = String::new();
    if delayed {
        // The inputs due this step join the conductance and leave the
        // ring (nothing else touches this row now: deposits go to later
        // steps' rows).
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
    let _ = writeln!(
        body,
        "    let slot = (clk.ring + {ring}u - {delay}u) % {ring}u;"
    );
    let _ = writeln!(body, "    let total = pre_count[slot] * {chunks}u;");
    let _ = writeln!(
        body,
        "    for (var item = group * 64u + lid; item < total; item = item + groups * 64u) {{"
    );
    let _ = writeln!(body, "        let n = item / {chunks}u;");
    let _ = writeln!(body, "        let c = item - n * {chunks}u;");
    let _ = writeln!(body, "        let pk = pre_list[slot * {n_pre}u + n];");
    // Batched: element `bi`'s neuron `j`, its targets in the same element.
    let _ = writeln!(body, "        let bi = pk / {el_pre}u;");
    let _ = writeln!(body, "        let j = pk - bi * {el_pre}u;");
    let _ = writeln!(body, "        let off = bi * {el_post}u;");
    let _ = writeln!(body, "        let base = c * {chunk}u;");
    let _ = writeln!(
        body,
        "        let len = i32(min({chunk}u, {el_post}u - base));"
    );
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
    let _ = writeln!(body, "            let wt = {weight};");
    if delayed {
        // The twin of Procedural::delay_at: thresholds after the gap table.
        let dobj = crate::connect::procedural::Procedural::delay_object(object);
        let _ = writeln!(body, "            let du = cj_draw(key, {dobj}u, j, t).x;");
        let _ = writeln!(body, "            var dd = 1u;");
        let _ = writeln!(
            body,
            "            loop {{ if (dd >= {d_max}u || table[{chunk}u + dd - 1u] > du) {{ break; }} dd = dd + 1u; }}"
        );
        let later = atomic_add(
            &format!("dring[((clk.ring + dd - 1u) % {d_max}u) * {np}u + off + t]"),
            "wt",
            float_atomics,
        );
        let _ = writeln!(
            body,
            "            if (dd == 1u) {{ {add} }} else {{ {later} }}"
        );
    } else {
        let _ = writeln!(body, "            {add}");
    }
    body.push_str("        }\n    }\n");
    assemble(
        format!("spike_procedural[projection '{name}']"),
        SPIKE_PROCEDURAL,
        &b,
        &body,
    )
}

/// A leaf of the per-synapse kernels (`synapse_update`, `post_spike`)
/// other than a synapse variable: `pre.x` at rank `pj`, `post.x` at rank
/// `pi`, t, dt.
fn neuron_leaf(e: &Expr, ends: &Ends, pre_buf: &str, dt: f32) -> Option<(String, bool)> {
    let at = |l: &PopLayout, slot: u32, buf: &str, idx: &str| match l.offset(slot) {
        Some(o) => (format!("{buf}[{o}u + {idx}]"), false),
        None => ("0.0f".into(), false),
    };
    match e {
        Expr::Pre(k) => Some(at(ends.pre, ends.pre_slots[*k as usize], pre_buf, "pj")),
        Expr::Post(k) => Some(at(ends.post, ends.post_slots[*k as usize], "post", "pi")),
        Expr::Time => Some(("clk.t".into(), true)),
        Expr::Dt => Some((lit(dt), true)),
        _ => None,
    }
}

/// `synapse_update`: the learning rule of a rate-coded projection; `posts`
/// is where the post ranks start in its CSR.
pub fn synapse_update(
    name: &str,
    ir: &SynapseIr,
    pl: &ProjLayout,
    ends: &Ends,
    posts: u32,
    dt: f32,
    object: u32,
) -> Kernel {
    let nsyn = pl.nsyn;
    let n_post = ends.post.n;
    let mut b = String::new();
    let pre_buf = if ends.same { "post" } else { "pstate" };
    if !ends.same {
        b.push_str("@group(0) @binding(5) var<storage, read> pstate: array<f32>;\n");
    }
    let leaf = |e: &Expr| -> Option<(String, bool)> {
        match e {
            Expr::Var(v) => match (pl.local.get(*v as usize)?, pl.global.get(*v as usize)?) {
                (Some(_), _) => Some((format!("y{v}"), false)),
                (None, Some(g)) => Some((format!("sparams[{g}]"), true)),
                _ => None,
            },
            _ => neuron_leaf(e, ends, pre_buf, dt),
        }
    };
    let mut p = Printer::new(&leaf, object, "j");
    let _ = writeln!(p.out, "    let pj = csr[{}u + j];", n_post + 1);
    let _ = writeln!(p.out, "    let pi = csr[{posts}u + j];");
    for (slot, loc) in pl.local.iter().enumerate() {
        if let Some(li) = loc {
            let _ = writeln!(p.out, "    var y{slot}: f32 = syn[{}u + j];", li * nsyn);
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
        let _ = writeln!(p.out, "    var t{t}: f32 = 0.0f;");
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
                p.stmt(&format!("y{var} = {v};"));
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
    let body = format!("{}    _ = pi;\n    _ = pj;\n", p.out);
    // The range guard returns: it stays out of the body a merged kernel
    // runs among others.
    let mut k = assemble(
        format!("synapse_update[projection '{name}']"),
        SYNAPSE_UPDATE,
        &b,
        &format!("    if (j >= {nsyn}u) {{ return; }}\n{body}"),
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
    let mut b = String::new();
    let mut next = state_bindings(&mut b, pops.len(), 0);
    let mut body = String::from("    let gj = cj_index(wg, nwg, lid);\n");
    let mut start = 0u32;
    for (m, mem) in members.iter().enumerate() {
        next = member_bindings(&mut b, next, m, "read_write");
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
        &b,
        false,
        &body,
    )
}

/// `post_spike` of a spiking synapse model (`ir.post_spike` not empty);
/// `rows` is where the row pointers by post start in the CSR (the pre
/// ranks follow them).
pub fn post_spike(
    name: &str,
    ir: &SynapseIr,
    pl: &ProjLayout,
    ends: &Ends,
    rows: u32,
    dt: f32,
    object: u32,
) -> Kernel {
    let n_post = ends.post.n;
    let ring = ends.post.ring;
    let pranks = rows + n_post + 1;
    let mut b = String::new();
    let pre_buf = if ends.same { "post" } else { "pstate" };
    if !ends.same {
        b.push_str("@group(0) @binding(7) var<storage, read> pstate: array<f32>;\n");
    }
    let leaf = |e: &Expr| -> Option<(String, bool)> {
        match e {
            Expr::Var(v) => pl.var(*v, "s"),
            _ => neuron_leaf(e, ends, pre_buf, dt),
        }
    };
    let mut p = Printer::new(&leaf, object, "s");
    p.reciprocal = false;
    p.indent = "            ".into();
    for st in &ir.post_spike {
        if let EventStmt::Store { var, expr } = st {
            let v = p.expr(expr);
            if let Some((place, false)) = pl.var(*var, "s") {
                p.stmt(&format!("{place} = {v};"));
            }
        }
    }
    let body = format!(
        "    let slot = clk.ring % {ring}u;
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
        &b,
        &body,
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
    let mut b = String::new();
    let mut next = state_bindings(&mut b, pops.len(), 0);
    for r in 0..rings {
        let _ = writeln!(
            b,
            "@group(0) @binding({next}) var<storage, read> cnt_{r}: array<u32>;\n@group(0) @binding({}) var<storage, read> lst_{r}: array<u32>;",
            next + 1
        );
        next += 2;
    }
    let mut body = String::new();
    for (m, mem) in members.iter().enumerate() {
        next = member_bindings(&mut b, next, m, "read_write");
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
        &b,
        true,
        &body,
    )
}

/// `current_inject` of a CurrentInjection: post's conductance slot `g`
/// takes pre's slot `r`, rank by rank.
pub fn current_inject(name: &str, pre: &PopLayout, post: &PopLayout, g: u32, r: u32) -> Kernel {
    let body = format!(
        "    if (i < {n}u) {{ post[{go}u + i] = pre[{ro}u + i]; }}\n",
        n = post.n,
        go = post.offset(g).unwrap_or(0),
        ro = pre.offset(r).unwrap_or(0),
    );
    assemble(
        format!("current_inject[projection '{name}']"),
        CURRENT_INJECT,
        "",
        &body,
    )
}

/// `decode` of a DecodingProjection into `sum(target)` number `sum`, with
/// a window of `window` steps and the rate scale `scale`
/// (`cpu::decode::scale`).
pub fn decode(
    name: &str,
    ir: &SynapseIr,
    pl: &ProjLayout,
    post: &PopLayout,
    sum: u32,
    window: u32,
    scale: f32,
) -> Kernel {
    let n_post = post.n;
    let nsyn = pl.nsyn;
    let w = match ir.slot("w").and_then(|s| pl.var(s, "j")) {
        Some((v, _)) => v,
        None => "1.0f".into(),
    };
    let so = post.sum_offset(sum);
    let body = format!(
        "    if (i >= {n_post}u) {{ return; }}
    let a = csr[i];
    let b = csr[i + 1u];
    var c = 0.0f;
    for (var j = a; j < b; j = j + 1u) {{
        if (lastspk[csr[{pre}u + j]] == clk.ring + 1u) {{ c = cj_keep(c + {w}); }}
    }}
    let pos = clk.ring % {window}u;
    win[pos * {n_post}u + i] = c;
    var total = 0.0f;
    for (var k = 0u; k < {window}u; k = k + 1u) {{
        total = cj_keep(total + win[((pos + {window}u - k) % {window}u) * {n_post}u + i]);
    }}
    let inv = bitcast<f32>(csr[{inv}u + i]);
    post[{so}u + i] = post[{so}u + i] + cj_keep(cj_keep(total * {scale}) * inv);
",
        pre = n_post + 1,
        inv = n_post + 1 + nsyn,
        scale = lit(scale),
    );
    assemble(format!("decode[projection '{name}']"), DECODE, "", &body)
}

/// `spike_propagate` of a spiking projection into conductance slot `g`;
/// `delays` are its distinct delays in steps (rows of the CSR by
/// (delay index, pre)), `ring` the pre-synaptic spike ring depth.
/// `shareable`: a default synapse whose only per-synapse variable is `w`,
/// which may be bound as one weight shared by all synapses.
#[allow(clippy::too_many_arguments)]
pub fn spike_propagate(
    name: &str,
    ir: &SynapseIr,
    pl: &ProjLayout,
    ends: &Ends,
    g: u32,
    delays: &[u32],
    dt: f32,
    object: u32,
    float_atomics: bool,
    per_thread: bool,
    narrow: bool,
    shareable: bool,
    delay_table: u32,
    groups: u32,
) -> Kernel {
    let n_pre = ends.pre.n;
    let (el_pre, el_post) = ends.element();
    let n_rows = el_pre * delays.len() as u32;
    let nsyn = pl.nsyn;
    let default = ir.pre_spike_is_default;
    let stores = ir
        .pre_spike
        .iter()
        .any(|s| matches!(s, EventStmt::Store { .. }));
    let mut b = String::new();
    let atomic_ty = if float_atomics { "f32" } else { "u32" };
    let _ = writeln!(
        b,
        "@group(0) @binding(1) var<storage, read_write> post: array<atomic<{atomic_ty}>>;"
    );
    let access = if stores { "read_write" } else { "read" };
    let _ = writeln!(
        b,
        "@group(0) @binding(3) var<storage, {access}> syn: array<f32>;"
    );
    let reads_pre = !default && !ends.pre_slots.is_empty();
    if reads_pre && !ends.same {
        b.push_str("@group(0) @binding(7) var<storage, read> pstate: array<f32>;\n");
    }
    let load = |o: u32, idx: &str| -> String {
        if float_atomics {
            format!("atomicLoad(&post[{o}u + {idx}])")
        } else {
            format!("bitcast<f32>(atomicLoad(&post[{o}u + {idx}]))")
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
                    None => Some(("0.0f".into(), false)),
                }
            }
            Expr::Post(k) => {
                let slot = ends.post_slots[*k as usize];
                match ends.post.offset(slot) {
                    Some(o) => Some((load(o, "tgt"), false)),
                    None => Some(("0.0f".into(), false)),
                }
            }
            Expr::Time => Some(("clk.t".into(), true)),
            Expr::Dt => Some((lit(dt), true)),
            _ => None,
        }
    };
    let mut p = Printer::new(&leaf, object, "s");
    p.reciprocal = false;
    p.indent = "                ".into();
    let go = ends.post.offset(g).unwrap_or(0);
    let place = format!("post[{go}u + tgt]");
    let add = |v: &str| atomic_add(&place, v, float_atomics);
    if default && shareable {
        // The weight buffer holds one per synapse, or the one they all
        // share (no per-synapse storage): its length says which, so the
        // engine can switch without a new kernel.
        p.stmt(&add("syn[min(e, arrayLength(&syn) - 1u)]"));
    } else if default {
        let w = pl.var(0, "e").map(|x| x.0).unwrap_or_else(|| "0.0f".into());
        p.stmt(&add(&w));
    } else {
        for st in &ir.pre_spike {
            match st {
                EventStmt::AddConductance(x) => {
                    let v = p.expr(x);
                    p.stmt(&add(&v));
                }
                EventStmt::Store { var, expr } => {
                    let v = p.expr(expr);
                    if let Some((place, false)) = pl.var(*var, "s") {
                        p.stmt(&format!("{place} = {v};"));
                    }
                }
            }
        }
    }
    let ring = ends.pre.ring;
    let mut body = String::new();
    if delays.is_empty() {
        // Unused names are fine in WGSL, but say so for readers of dumps.
        body.push_str("    _ = group; _ = groups;\n");
    } else {
        // One block a delay, dealt to the workgroups by `block_lanes`:
        // this workgroup takes the delays of the blocks of its lane (the
        // kernel's blocks are numbered from `cj_base`) and, within each,
        // the spikes of its place among the workgroups of that lane.
        // Two strategies: a workgroup per spike whose threads share its
        // row (long rows), or a thread per spike walking its row alone
        // (short rows, where most of a workgroup would idle).
        let (first, stride, e0, step) = if per_thread {
            ("cj_k0 * 64u + lid", "cj_sub * 64u", "csr[row]", "1u")
        } else {
            ("cj_k0", "cj_sub", "csr[row] + lid", "64u")
        };
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
            &mut body,
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
        if narrow {
            // Post ranks as 16-bit halves of words (low half first).
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
        if !default {
            let _ = writeln!(
                body,
                "                let s = csr[{}u + e];",
                n_rows + 1 + nsyn
            );
        }
        body.push_str(&p.out);
        body.push_str("            }\n        }\n    }\n");
    }
    let how = if per_thread { ", thread per spike" } else { "" };
    let mut k = assemble(
        format!("spike_propagate[projection '{name}'{how}]"),
        SPIKE_PROPAGATE,
        &b,
        &format!(
            "{}    let cj_base = 0u;\n{body}",
            block_lanes(delays.len() as u32, groups)
        ),
    );
    // A merged kernel deals its blocks itself (its own `block_lanes` and
    // each member's `cj_base`).
    k.body = body;
    k
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

/// One recorded variable: its state offset (per neuron) or parameter index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Per-neuron slot at this state offset.
    Local(u32),
    /// Population-wide slot at this parameter index.
    Global(u32),
}

/// `record` of a monitor: each sample row holds the variables one after
/// the other (n values each, or 1 for population-wide ones).
pub fn record(name: &str, n: u32, vars: &[Recorded]) -> Kernel {
    let row_len: u32 = vars
        .iter()
        .map(|v| match v {
            Recorded::Local(_) => n,
            Recorded::Global(_) => 1,
        })
        .sum();
    let mut body = String::new();
    let mut off = 0;
    for v in vars {
        match v {
            Recorded::Local(o) => {
                let _ = writeln!(
                    body,
                    "    if (i < {n}u) {{ mon[row * {row_len}u + {off}u + i] = state[{o}u + i]; }}"
                );
                off += n;
            }
            Recorded::Global(g) => {
                let _ = writeln!(
                    body,
                    "    if (i == 0u) {{ mon[row * {row_len}u + {off}u] = params[{g}]; }}"
                );
                off += 1;
            }
        }
    }
    assemble(format!("record[monitor of '{name}']"), RECORD, "", &body)
}

//! The machinery of merged kernels: several kernels' bodies run by one
//! dispatch, each member's buffers renamed and bound after the others'.

use std::fmt::Write;

use super::neuron_update::PopBuf;
use super::{declare, prelude, Access, Binding, Dtype, Kernel, REAL, U32};

/// The name a merged kernel gives buffer `name` of its member `m`: `syn`
/// of member 3 is `syn_3`. Its populations (`st_0`, `post_1`), spike
/// rings (`cnt_0`, `lst_0`) and histories (`hist_2`) are numbered the
/// same way. The engine binds merged kernels by these names, so both
/// sides build them here.
pub fn member_name(name: &str, m: usize) -> String {
    format!("{name}_{m}")
}

/// The name of a population's buffer `buf` in its own `neuron_update`
/// and `clear_inputs` (`state`, `spk_count`...); a merged one's member
/// `m` binds it as [`member_name`]`(name, m)`.
pub fn pop_buffer_name(buf: PopBuf) -> &'static str {
    buf.name()
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
pub(super) fn merged_kernel(
    name: String,
    table: &[Binding],
    workgroups: bool,
    body: &str,
    dtype: Dtype,
) -> Kernel {
    let start = if workgroups {
        "    let groups = nwg.x * nwg.y;\n    let group = wg.y * nwg.x + wg.x;\n"
    } else {
        ""
    };
    let main = format!(
        "{}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {{
{start}{body}}}
",
        declare(table)
    );
    Kernel {
        name,
        source: prelude(main, dtype),
        body: body.to_string(),
        dtype,
    }
}

/// Adds the states `st_0 .. st_{n-1}` at bindings `1..=n`, the first
/// `written` of them written; returns the next binding.
pub(super) fn state_bindings(table: &mut Vec<Binding>, n: usize, written: usize) -> usize {
    for k in 0..n {
        let access = if k < written {
            Access::ReadWrite
        } else {
            Access::Read
        };
        table.push(Binding::new(
            1 + k as u32,
            member_name("st", k),
            access,
            REAL,
        ));
    }
    1 + n
}

/// Adds member `m`'s CSR, synapse values (`syn_access`) and
/// projection-wide parameters from binding `next`; returns the next one.
pub(super) fn member_bindings(
    table: &mut Vec<Binding>,
    next: usize,
    m: usize,
    syn_access: Access,
) -> usize {
    let at = next as u32;
    table.push(Binding::new(at, member_name("csr", m), Access::Read, U32));
    table.push(Binding::new(
        at + 1,
        member_name("syn", m),
        syn_access,
        REAL,
    ));
    table.push(Binding::new(
        at + 2,
        member_name("sp", m),
        Access::Read,
        REAL,
    ));
    next + 3
}

/// Adds spike ring `r` of a merged kernel (its counts `cnt_r` and lists
/// `lst_r`, read) from binding `next`; returns the next one.
pub(super) fn ring_bindings(table: &mut Vec<Binding>, next: usize, r: usize) -> usize {
    let at = next as u32;
    table.push(Binding::new(at, member_name("cnt", r), Access::Read, U32));
    table.push(Binding::new(
        at + 1,
        member_name("lst", r),
        Access::Read,
        U32,
    ));
    next + 2
}

/// Member `m`'s body with its buffers renamed for a merged kernel: its
/// CSR, values and parameters to `csr_m`, `syn_m`, `sp_m`, then each
/// `(from, to)` of `more` in order.
pub(super) fn member_body(body: &str, m: usize, more: &[(&str, String)]) -> String {
    let mut x = rename_array(body, "csr", &member_name("csr", m));
    x = rename_array(&x, "syn", &member_name("syn", m));
    x = rename_array(&x, "sparams", &member_name("sp", m));
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

/// Kernels with a thread per neuron, run as one: thread `gi` runs the body
/// of the member whose range holds it, with `i = gi - start` and the
/// member's buffers renamed. `members`: (population name, its kernel, its
/// neurons, the buffers it binds).
pub(super) fn merged_over_ranges(
    title: &str,
    members: &[(&str, &Kernel, u32, Vec<PopBuf>)],
) -> (Kernel, Vec<Vec<(PopBuf, u32)>>) {
    let mut table = Vec::new();
    let mut body = String::from("    let gi = cj_index(wg, nwg, lid);\n");
    let mut binds = Vec::new();
    let mut start = 0u32;
    let mut names = Vec::new();
    for (m, (name, k, n, bufs)) in members.iter().enumerate() {
        let mut x = k.body.clone();
        let mut mine = Vec::new();
        for &buf in bufs {
            let b = buf.member(m, 1 + table.len() as u32);
            x = rename_array(&x, buf.name(), &b.name);
            mine.push((buf, b.number));
            table.push(b);
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
            &table,
            false,
            &body,
            members[0].1.dtype,
        ),
        binds,
    )
}

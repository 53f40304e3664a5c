//! `current_inject` (template `shaders/current_inject.wgsl`, CPU twin
//! `cpu/current_inject.rs`).

use super::layout::PopLayout;
use super::{assemble, declare, Access, Binding, Dtype, Kernel, REAL};

const CURRENT_INJECT: &str = include_str!("../../../../shaders/current_inject.wgsl");

/// `current_inject` of a CurrentInjection: post's conductance slot `g`
/// takes pre's slot `r`, rank by rank.
pub fn current_inject(
    name: &str,
    pre: &PopLayout,
    post: &PopLayout,
    g: u32,
    r: u32,
    dtype: Dtype,
) -> Kernel {
    let body = format!(
        "    if (i < {n}u) {{ post[{go}u + i] = pre[{ro}u + i]; }}\n",
        n = post.n,
        go = post.offset(g).unwrap_or(0),
        ro = pre.offset(r).unwrap_or(0),
    );
    assemble(
        format!("current_inject[projection '{name}']"),
        CURRENT_INJECT,
        &declare(&[
            Binding::new(1, "post", Access::ReadWrite, REAL),
            Binding::new(2, "pre", Access::Read, REAL),
        ]),
        &body,
        dtype,
    )
}

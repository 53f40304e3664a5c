//! Forward Euler: `x + dt * f(x)`.

use super::{euler, let_temp, Ode, Steps};
use crate::lang::analysis::Ctx;
use crate::lang::ir::{Expr, Stmt};

/// Forward Euler steps of `block`.
pub(super) fn integrate<'a>(ctx: &mut Ctx, block: &'a [Ode], out: &mut Vec<Stmt>) -> Steps<'a> {
    block.iter().map(|o| (o, step(ctx, o, out))).collect()
}

/// The forward Euler step of one ODE; also what the linear methods do for
/// an equation that does not depend on its variable.
pub(super) fn step(ctx: &mut Ctx, o: &Ode, out: &mut Vec<Stmt>) -> Expr {
    let k = let_temp(ctx, out, o.f.clone());
    euler(o, k)
}

//! Backward Euler of an equation linear in its variable, solved exactly.

use super::{explicit, linear, x, Ode, Steps};
use crate::error::Result;
use crate::lang::analysis::Ctx;
use crate::lang::ast::BinOp;
use crate::lang::ir::{Expr, Stmt};

/// Backward Euler steps of `block`; an error for an ODE not linear in its variable.
pub(super) fn integrate<'a>(
    ctx: &mut Ctx,
    block: &'a [Ode],
    out: &mut Vec<Stmt>,
) -> Result<Steps<'a>> {
    let mut steps = Vec::new();
    for o in block {
        let new = match linear(ctx, o, "implicit")? {
            (None, _) => explicit::step(ctx, o, out),
            (Some(b), a) => {
                // f = a + b x: x' = x + dt (a + b x') = (x + dt a) / (1 - dt b).
                let k = ctx.temp();
                let num = match a {
                    Some(a) => Expr::bin(BinOp::Add, x(o), Expr::bin(BinOp::Mul, Expr::Dt, a)),
                    None => x(o),
                };
                let den = Expr::bin(
                    BinOp::Sub,
                    Expr::Const(1.0),
                    Expr::bin(BinOp::Mul, Expr::Dt, b),
                );
                out.push(Stmt::Let {
                    temp: k,
                    expr: Expr::bin(BinOp::Div, num, den),
                });
                Expr::Temp(k)
            }
        };
        steps.push((o, new));
    }
    Ok(steps)
}

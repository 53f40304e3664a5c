//! Exponential Euler: exact for `f = a + b x` with `a` and `b` held over
//! the step, as ANNarchy's `exponential`.

use super::{explicit, linear, x, Ode, Steps};
use crate::error::Result;
use crate::lang::analysis::algebra::{div, neg};
use crate::lang::analysis::Ctx;
use crate::lang::ast::BinOp;
use crate::lang::ir::{Expr, Func, Stmt};

/// Exponential steps of `block`; an error for an ODE not linear in its variable.
pub(super) fn integrate<'a>(
    ctx: &mut Ctx,
    block: &'a [Ode],
    out: &mut Vec<Stmt>,
) -> Result<Steps<'a>> {
    let mut steps = Vec::new();
    for o in block {
        let new = match linear(ctx, o, "exponential")? {
            (None, _) => explicit::step(ctx, o, out),
            (Some(b), a) => relax(ctx, o, b, a, out),
        };
        steps.push((o, new));
    }
    Ok(steps)
}

/// `f = a + b x`: x relaxes to x_inf = -a/b with tau = -1/b.
fn relax(ctx: &mut Ctx, o: &Ode, b: Expr, a: Option<Expr>, out: &mut Vec<Stmt>) -> Expr {
    let k = ctx.temp();
    let x_inf = match &a {
        Some(a) => neg(div(a.clone(), b.clone())),
        None => Expr::Const(0.0),
    };
    let kd = ctx.temp();
    out.push(Stmt::Let {
        temp: kd,
        expr: Expr::bin(
            BinOp::Sub,
            Expr::Const(1.0),
            Expr::Call(Func::Exp, vec![Expr::bin(BinOp::Mul, Expr::Dt, b)]),
        ),
    });
    let step = Expr::bin(
        BinOp::Mul,
        Expr::Temp(kd),
        Expr::bin(BinOp::Sub, x_inf, x(o)),
    );
    // Where dt * b is 0 in f32 (b = 0: a conductance at rest, say), x_inf
    // is 0/0 or overflows and the step would be NaN: there the solution is
    // x + dt * a.
    let euler = a.map_or(Expr::Const(0.0), |a| Expr::bin(BinOp::Mul, Expr::Dt, a));
    out.push(Stmt::Let {
        temp: k,
        expr: Expr::Select(
            Box::new(Expr::bin(BinOp::Ne, Expr::Temp(kd), Expr::Const(0.0))),
            Box::new(step),
            Box::new(euler),
        ),
    });
    Expr::bin(BinOp::Add, x(o), Expr::Temp(k))
}

//! The midpoint method (second-order Runge-Kutta): the slope at half a
//! step, taken for all the ODEs of the block together.

use std::collections::HashMap;

use super::{euler, let_temp, subst, x, Ode, Steps};
use crate::lang::analysis::Ctx;
use crate::lang::ast::BinOp;
use crate::lang::ir::{Expr, Stmt};

/// Midpoint steps of `block`.
pub(super) fn integrate<'a>(ctx: &mut Ctx, block: &'a [Ode], out: &mut Vec<Stmt>) -> Steps<'a> {
    let k1: Vec<u32> = block
        .iter()
        .map(|o| let_temp(ctx, out, o.f.clone()))
        .collect();
    let mut map = HashMap::new();
    for (o, k) in block.iter().zip(&k1) {
        let half = Expr::bin(
            BinOp::Add,
            x(o),
            Expr::bin(
                BinOp::Mul,
                Expr::bin(BinOp::Mul, Expr::Const(0.5), Expr::Dt),
                Expr::Temp(*k),
            ),
        );
        map.insert(o.var, let_temp(ctx, out, half));
    }
    block
        .iter()
        .map(|o| {
            let k2 = let_temp(ctx, out, subst(&o.f, &map));
            (o, euler(o, k2))
        })
        .collect()
}

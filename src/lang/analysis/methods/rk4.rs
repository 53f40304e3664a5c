//! Classic fourth-order Runge-Kutta, its stages taken for all the ODEs of
//! the block together.

use std::collections::HashMap;

use super::{let_temp, subst, x, Ode, Steps};
use crate::lang::analysis::Ctx;
use crate::lang::ast::BinOp;
use crate::lang::ir::{Expr, Stmt};

/// RK4 steps of `block`.
pub(super) fn integrate<'a>(ctx: &mut Ctx, block: &'a [Ode], out: &mut Vec<Stmt>) -> Steps<'a> {
    // ks[stage][i]: the slope of ODE i at that stage.
    let mut ks: Vec<Vec<u32>> = Vec::new();
    let mut map: HashMap<u32, u32> = HashMap::new();
    for stage in 0..4 {
        let k_stage: Vec<u32> = block
            .iter()
            .map(|o| {
                let f = if stage == 0 {
                    o.f.clone()
                } else {
                    subst(&o.f, &map)
                };
                let_temp(ctx, out, f)
            })
            .collect();
        if stage < 3 {
            let h = if stage < 2 {
                Expr::bin(BinOp::Mul, Expr::Const(0.5), Expr::Dt)
            } else {
                Expr::Dt
            };
            map = block
                .iter()
                .zip(&k_stage)
                .map(|(o, k)| {
                    let s = Expr::bin(
                        BinOp::Add,
                        x(o),
                        Expr::bin(BinOp::Mul, h.clone(), Expr::Temp(*k)),
                    );
                    (o.var, let_temp(ctx, out, s))
                })
                .collect();
        }
        ks.push(k_stage);
    }
    block
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let t = |s: usize| Expr::Temp(ks[s][i]);
            let sum = Expr::bin(
                BinOp::Add,
                Expr::bin(
                    BinOp::Add,
                    Expr::bin(
                        BinOp::Add,
                        t(0),
                        Expr::bin(BinOp::Mul, Expr::Const(2.0), t(1)),
                    ),
                    Expr::bin(BinOp::Mul, Expr::Const(2.0), t(2)),
                ),
                t(3),
            );
            let new = Expr::bin(
                BinOp::Add,
                x(o),
                Expr::bin(
                    BinOp::Mul,
                    Expr::bin(BinOp::Div, Expr::Dt, Expr::Const(6.0)),
                    sum,
                ),
            );
            (o, new)
        })
        .collect()
}

//! Random draws: hoisted before integration, numbered into streams,
//! marked as shared by a population.

use std::cell::RefCell;

use super::Ctx;
use crate::lang::ir::{Expr, Stmt};

/// Moves every random variable of `f` into a temporary computed before it.
pub(super) fn hoist_random(ctx: &mut Ctx, f: &Expr, out: &mut Vec<Stmt>) -> Expr {
    if !f.any(&|e| matches!(e, Expr::Random { .. })) {
        return f.clone();
    }
    let found = RefCell::new(Vec::new());
    let base = ctx.n_temps;
    let g = f.map(&|e| match e {
        Expr::Random { .. } => {
            let mut v = found.borrow_mut();
            v.push(e.clone());
            Some(Expr::Temp(base + v.len() as u32 - 1))
        }
        _ => None,
    });
    for r in found.into_inner() {
        let k = ctx.temp();
        out.push(Stmt::Let { temp: k, expr: r });
    }
    g
}

/// Gives every random variable its own stream number, in program order.
pub(super) fn number_random(stmts: &mut [Stmt], next: &mut u32) {
    for s in stmts.iter_mut() {
        let e = match s {
            Stmt::Let { expr, .. } | Stmt::Store { expr, .. } => expr,
        };
        *e = number_expr(e, next);
    }
}

/// Numbers the random variables of `e` from `next`, each before those of
/// its arguments.
pub(super) fn number_expr(e: &Expr, next: &mut u32) -> Expr {
    let cell = std::cell::Cell::new(*next);
    let out = e.map(&|x| match x {
        Expr::Random {
            kind, args, shared, ..
        } => {
            let s = cell.get();
            cell.set(s + 1);
            Some(Expr::Random {
                kind: *kind,
                shared: *shared,
                stream: s,
                args: args
                    .iter()
                    .map(|a| {
                        let mut n = cell.get();
                        let r = number_expr(a, &mut n);
                        cell.set(n);
                        r
                    })
                    .collect(),
            })
        }
        _ => None,
    });
    *next = cell.get();
    out
}

/// Marks every random variable of `e` (arguments included) as shared.
pub(super) fn mark_shared(e: &Expr) -> Expr {
    e.map(&|x| match x {
        Expr::Random {
            kind, stream, args, ..
        } => Some(Expr::Random {
            kind: *kind,
            stream: *stream,
            args: args.iter().map(mark_shared).collect(),
            shared: true,
        }),
        _ => None,
    })
}

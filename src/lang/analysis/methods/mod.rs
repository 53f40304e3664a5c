//! Numerical integration of the ODEs of a model.

use super::algebra::{clamp, div, neg, split_linear};
use super::random::hoist_random;
use super::Ctx;
use crate::error::Result;
use crate::lang::ast::BinOp;
use crate::lang::ir::{Expr, Func, Guard, Stmt};

/// The integration method of an ODE (its flag).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Method {
    Explicit,
    Exponential,
    Midpoint,
    Rk4,
    Implicit,
}

/// An ODE `d var/dt = f`, ready to integrate.
pub(super) struct Ode {
    pub(super) var: u32,
    pub(super) f: Expr,
    pub(super) method: Method,
    pub(super) guard: Guard,
    pub(super) line: usize,
    pub(super) col: usize,
    pub(super) min: Option<Expr>,
    pub(super) max: Option<Expr>,
}

/// Integrates a block of consecutive ODEs with one method: all derivatives
/// are taken from the values at the start of the block, then all stored.
pub(super) fn integrate_block(ctx: &mut Ctx, block: &[Ode], out: &mut Vec<Stmt>) -> Result<()> {
    let method = block[0].method;
    let x = |o: &Ode| Expr::Var(o.var);
    let dt = || Expr::Dt;
    let subst = |f: &Expr, map: &[(u32, u32)]| {
        f.map(&|e| match e {
            Expr::Var(v) => map
                .iter()
                .find(|(a, _)| a == v)
                .map(|(_, t)| Expr::Temp(*t)),
            _ => None,
        })
    };
    // A random variable is drawn once per step: the stages of midpoint and
    // rk4 (and the two uses of the linear split) must all see the same draw.
    let hoisted: Vec<Ode> = block
        .iter()
        .map(|o| Ode {
            f: hoist_random(ctx, &o.f, out),
            min: o.min.clone(),
            max: o.max.clone(),
            ..*o
        })
        .collect();
    let block = hoisted.as_slice();
    let mut stores = Vec::new();
    match method {
        Method::Explicit => {
            for o in block {
                let k = ctx.temp();
                out.push(Stmt::Let {
                    temp: k,
                    expr: o.f.clone(),
                });
                stores.push((
                    o,
                    Expr::bin(BinOp::Add, x(o), Expr::bin(BinOp::Mul, dt(), Expr::Temp(k))),
                ));
            }
        }
        Method::Exponential | Method::Implicit => {
            for o in block {
                let var = o.var;
                let (b, a) = split_linear(&o.f, &|e| *e == Expr::Var(var)).ok_or_else(|| {
                    ctx.err(
                        o.line,
                        o.col,
                        format!(
                            "the {} method needs an equation linear in '{}'",
                            if method == Method::Implicit {
                                "implicit"
                            } else {
                                "exponential"
                            },
                            ctx.vars[var as usize].name
                        ),
                    )
                })?;
                let k = ctx.temp();
                let new = match (method, b) {
                    // No dependence on x: both methods reduce to x + dt * f.
                    (_, None) => {
                        out.push(Stmt::Let {
                            temp: k,
                            expr: o.f.clone(),
                        });
                        Expr::bin(BinOp::Add, x(o), Expr::bin(BinOp::Mul, dt(), Expr::Temp(k)))
                    }
                    (Method::Exponential, Some(b)) => {
                        // f = a + b x: x relaxes to x_inf = -a/b with tau = -1/b.
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
                                Expr::Call(Func::Exp, vec![Expr::bin(BinOp::Mul, dt(), b)]),
                            ),
                        });
                        let step = Expr::bin(
                            BinOp::Mul,
                            Expr::Temp(kd),
                            Expr::bin(BinOp::Sub, x_inf, x(o)),
                        );
                        // Where dt * b is 0 in f32 (b = 0: a conductance at
                        // rest, say), x_inf is 0/0 or overflows and the step
                        // would be NaN: there the solution is x + dt * a.
                        let euler = a.map_or(Expr::Const(0.0), |a| Expr::bin(BinOp::Mul, dt(), a));
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
                    (_, Some(b)) => {
                        // Backward Euler of a linear equation: (x + dt a) / (1 - dt b).
                        let num = match a {
                            Some(a) => Expr::bin(BinOp::Add, x(o), Expr::bin(BinOp::Mul, dt(), a)),
                            None => x(o),
                        };
                        let den =
                            Expr::bin(BinOp::Sub, Expr::Const(1.0), Expr::bin(BinOp::Mul, dt(), b));
                        out.push(Stmt::Let {
                            temp: k,
                            expr: Expr::bin(BinOp::Div, num, den),
                        });
                        Expr::Temp(k)
                    }
                };
                stores.push((o, new));
            }
        }
        Method::Midpoint => {
            let k1: Vec<u32> = block
                .iter()
                .map(|o| {
                    let k = ctx.temp();
                    out.push(Stmt::Let {
                        temp: k,
                        expr: o.f.clone(),
                    });
                    k
                })
                .collect();
            let mut map = Vec::new();
            for (o, k) in block.iter().zip(&k1) {
                let m = ctx.temp();
                out.push(Stmt::Let {
                    temp: m,
                    expr: Expr::bin(
                        BinOp::Add,
                        x(o),
                        Expr::bin(
                            BinOp::Mul,
                            Expr::bin(BinOp::Mul, Expr::Const(0.5), dt()),
                            Expr::Temp(*k),
                        ),
                    ),
                });
                map.push((o.var, m));
            }
            for o in block {
                let k2 = ctx.temp();
                out.push(Stmt::Let {
                    temp: k2,
                    expr: subst(&o.f, &map),
                });
                stores.push((
                    o,
                    Expr::bin(
                        BinOp::Add,
                        x(o),
                        Expr::bin(BinOp::Mul, dt(), Expr::Temp(k2)),
                    ),
                ));
            }
        }
        Method::Rk4 => {
            let mut ks: Vec<Vec<u32>> = Vec::new();
            let mut map: Vec<(u32, u32)> = Vec::new();
            for stage in 0..4 {
                let mut k_stage = Vec::new();
                for o in block {
                    let k = ctx.temp();
                    let f = if stage == 0 {
                        o.f.clone()
                    } else {
                        subst(&o.f, &map)
                    };
                    out.push(Stmt::Let { temp: k, expr: f });
                    k_stage.push(k);
                }
                if stage < 3 {
                    let h = if stage < 2 {
                        Expr::bin(BinOp::Mul, Expr::Const(0.5), dt())
                    } else {
                        dt()
                    };
                    let mut new_map = Vec::new();
                    for (o, k) in block.iter().zip(&k_stage) {
                        let s = ctx.temp();
                        out.push(Stmt::Let {
                            temp: s,
                            expr: Expr::bin(
                                BinOp::Add,
                                x(o),
                                Expr::bin(BinOp::Mul, h.clone(), Expr::Temp(*k)),
                            ),
                        });
                        new_map.push((o.var, s));
                    }
                    map = new_map;
                }
                ks.push(k_stage);
            }
            for (i, o) in block.iter().enumerate() {
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
                stores.push((
                    o,
                    Expr::bin(
                        BinOp::Add,
                        x(o),
                        Expr::bin(
                            BinOp::Mul,
                            Expr::bin(BinOp::Div, dt(), Expr::Const(6.0)),
                            sum,
                        ),
                    ),
                ));
            }
        }
    }
    for (o, e) in stores {
        out.push(Stmt::Store {
            var: o.var,
            expr: clamp(e, &o.min, &o.max),
            guard: o.guard,
        });
    }
    Ok(())
}

//! Symbolic helpers: constant folding, linear splits, solving an ODE for
//! its derivative.

use std::collections::HashMap;

use super::resolve::Arg;
use super::Ctx;
use crate::error::Result;
use crate::lang::ast::{AssignOp, Ast, BinOp, Pos, Statement, UnOp};
use crate::lang::ir::{Expr, Func, VarDecl};
use crate::real::Real;

// Marks the derivative inside an ODE while it is solved for; never escapes.
const DERIV_MARK: u32 = u32::MAX;

/// Folds an expression of numbers, parameter initial values and network
/// constants (their values at analysis: a parameter's value is fixed when
/// it is declared, as ANNarchy's), in the network's precision `dtype`.
pub(super) fn eval_const(
    e: &Expr,
    vars: &[VarDecl],
    consts: &[(String, f64)],
    dtype: crate::real::Dtype,
) -> f64 {
    match dtype {
        crate::real::Dtype::F32 => fold::<f32>(e, vars, consts).f64(),
        crate::real::Dtype::F64 => fold::<f64>(e, vars, consts),
    }
}

fn fold<R: Real>(e: &Expr, vars: &[VarDecl], consts: &[(String, f64)]) -> R {
    let f = |e: &Expr| fold::<R>(e, vars, consts);
    match e {
        Expr::Const(c) => R::of(*c),
        Expr::Var(v) => R::of(vars[*v as usize].init),
        Expr::Constant(k) => consts.get(*k as usize).map_or(R::NAN, |c| R::of(c.1)),
        Expr::Dt => R::NAN,
        Expr::Unary(op, a) => R::unop(*op, f(a)),
        Expr::Binary(op, a, b) => R::binop(*op, f(a), f(b)),
        Expr::Call(func, a) => {
            let v: Vec<R> = a.iter().map(f).collect();
            R::apply(
                *func,
                v[0],
                v.get(1).copied().unwrap_or(R::ZERO),
                v.get(2).copied().unwrap_or(R::ZERO),
            )
        }
        Expr::Select(c, a, b) => {
            if f(c) != R::ZERO {
                f(a)
            } else {
                f(b)
            }
        }
        _ => R::NAN,
    }
}

/// A binary operation in f32, as both engines define it.
pub fn binop(op: BinOp, a: f32, b: f32) -> f32 {
    <f32 as Real>::binop(op, a, b)
}

// The helpers below simplify as they build (no `1 * x`, no `--x`), so that
// an ODE solved for its derivative stays about as small as it was written.

/// `a + b`, a missing term being 0.
fn add_opt(a: Option<Expr>, b: Option<Expr>) -> Option<Expr> {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some(a), Some(b)) => Some(Expr::bin(BinOp::Add, a, b)),
    }
}

/// `a - b`, a missing term being 0.
pub(super) fn sub_opt(a: Option<Expr>, b: Option<Expr>) -> Option<Expr> {
    match (a, b) {
        (a, None) => a,
        (None, Some(b)) => Some(neg(b)),
        (Some(a), Some(b)) => Some(Expr::bin(BinOp::Sub, a, b)),
    }
}

/// `-e`.
pub(super) fn neg(e: Expr) -> Expr {
    match e {
        Expr::Const(c) => Expr::Const(-c),
        Expr::Unary(UnOp::Neg, a) => *a,
        e => Expr::Unary(UnOp::Neg, Box::new(e)),
    }
}

/// `a * b`.
fn mul(a: Expr, b: Expr) -> Expr {
    match (&a, &b) {
        (Expr::Const(x), _) if *x == 1.0 => b,
        (_, Expr::Const(x)) if *x == 1.0 => a,
        (Expr::Const(x), _) if *x == -1.0 => neg(b),
        (_, Expr::Const(x)) if *x == -1.0 => neg(a),
        _ => Expr::bin(BinOp::Mul, a, b),
    }
}

/// `a / b`.
pub(super) fn div(a: Expr, b: Expr) -> Expr {
    match &b {
        Expr::Const(x) if *x == 1.0 => a,
        _ => Expr::bin(BinOp::Div, a, b),
    }
}

/// `(coef, rest)` of `coef * X + rest`; `None` stands for 0.
type Linear = (Option<Expr>, Option<Expr>);

/// Splits `e` into `coef * X + rest` where X is what `is_x` matches;
/// `None` when `e` is not linear in X.
pub(super) fn split_linear(e: &Expr, is_x: &dyn Fn(&Expr) -> bool) -> Option<Linear> {
    if is_x(e) {
        return Some((Some(Expr::Const(1.0)), None));
    }
    if !e.any(is_x) {
        return Some((None, Some(e.clone())));
    }
    match e {
        Expr::Binary(BinOp::Add, a, b) => {
            let (ca, ra) = split_linear(a, is_x)?;
            let (cb, rb) = split_linear(b, is_x)?;
            Some((add_opt(ca, cb), add_opt(ra, rb)))
        }
        Expr::Binary(BinOp::Sub, a, b) => {
            let (ca, ra) = split_linear(a, is_x)?;
            let (cb, rb) = split_linear(b, is_x)?;
            Some((sub_opt(ca, cb), sub_opt(ra, rb)))
        }
        Expr::Unary(UnOp::Neg, a) => {
            let (c, r) = split_linear(a, is_x)?;
            Some((c.map(neg), r.map(neg)))
        }
        Expr::Binary(BinOp::Mul, a, b) if !a.any(is_x) => {
            let (c, r) = split_linear(b, is_x)?;
            Some((
                c.map(|c| mul((**a).clone(), c)),
                r.map(|r| mul((**a).clone(), r)),
            ))
        }
        Expr::Binary(BinOp::Mul, a, b) if !b.any(is_x) => {
            let (c, r) = split_linear(a, is_x)?;
            Some((
                c.map(|c| mul(c, (**b).clone())),
                r.map(|r| mul(r, (**b).clone())),
            ))
        }
        Expr::Binary(BinOp::Div, a, b) if !b.any(is_x) => {
            let (c, r) = split_linear(a, is_x)?;
            Some((
                c.map(|c| div(c, (**b).clone())),
                r.map(|r| div(r, (**b).clone())),
            ))
        }
        _ => None,
    }
}

/// `e` within the `min` and `max` flags of its equation.
pub(super) fn clamp(e: Expr, min: &Option<Expr>, max: &Option<Expr>) -> Expr {
    let mut e = e;
    if let Some(m) = min {
        e = Expr::Call(Func::Max, vec![e, m.clone()]);
    }
    if let Some(m) = max {
        e = Expr::Call(Func::Min, vec![e, m.clone()]);
    }
    e
}

/// The derivative of `name` in the ODE statement `st`, written in any form
/// linear in `d<name>/dt`.
pub(super) fn derivative(ctx: &Ctx, st: &Statement, name: &str, at: Pos) -> Result<Expr> {
    let mark = |a: &Ast| -> Result<Expr> {
        // Resolve with the derivative replaced by a marker slot.
        let mut args = HashMap::new();
        args.insert(format!("\u{0}d{name}"), Arg::new(Expr::Temp(DERIV_MARK)));
        let a = replace_deriv(a, name);
        ctx.resolve(&a, st.pos, &args)
    };
    let lhs = st
        .lhs
        .as_ref()
        .map(&mark)
        .transpose()?
        .unwrap_or(Expr::Const(0.0));
    let rhs = mark(&st.rhs)?;
    let is_d = |e: &Expr| *e == Expr::Temp(DERIV_MARK);
    let not_linear = || ctx.err_at(at, format!("the equation is not linear in d{name}/dt"));
    let (cl, rl) = split_linear(&lhs, &is_d).ok_or_else(not_linear)?;
    let (cr, rr) = split_linear(&rhs, &is_d).ok_or_else(not_linear)?;
    let den = sub_opt(cl, cr).ok_or_else(not_linear)?;
    let num = sub_opt(rr, rl).unwrap_or(Expr::Const(0.0));
    Ok(div(num, den))
}

/// The new value of `x` in `x op= rhs`.
pub(super) fn combine(op: AssignOp, x: Expr, rhs: Expr) -> Expr {
    match op {
        AssignOp::Set => rhs,
        AssignOp::Add => Expr::bin(BinOp::Add, x, rhs),
        AssignOp::Sub => Expr::bin(BinOp::Sub, x, rhs),
        AssignOp::Mul => Expr::bin(BinOp::Mul, x, rhs),
        AssignOp::Div => Expr::bin(BinOp::Div, x, rhs),
    }
}

/// `a` with `d<var>/dt` as a name that `derivative` binds to its marker.
fn replace_deriv(a: &Ast, var: &str) -> Ast {
    match a {
        Ast::Deriv(v, c) if v == var => Ast::Name(format!("\u{0}d{var}"), *c),
        Ast::Unary(op, x) => Ast::Unary(*op, Box::new(replace_deriv(x, var))),
        Ast::Binary(op, x, y) => Ast::Binary(
            *op,
            Box::new(replace_deriv(x, var)),
            Box::new(replace_deriv(y, var)),
        ),
        Ast::Call(n, args, c) => Ast::Call(
            n.clone(),
            args.iter().map(|x| replace_deriv(x, var)).collect(),
            *c,
        ),
        Ast::If(x, y, z) => Ast::If(
            Box::new(replace_deriv(x, var)),
            Box::new(replace_deriv(y, var)),
            Box::new(replace_deriv(z, var)),
        ),
        a => a.clone(),
    }
}

//! Numerical integration of the ODEs of a model, one method a file (as
//! Brian2's state updaters). Each method turns a block of ODEs into the
//! statements computing their new values; [`integrate_block`] stores them.

pub(super) mod event_driven;
mod explicit;
mod exponential;
mod implicit;
mod midpoint;
mod rk4;

use std::collections::HashMap;

use super::algebra::{clamp, split_linear};
use super::random::hoist_random;
use super::Ctx;
use crate::error::Result;
use crate::lang::ast::{BinOp, Pos};
use crate::lang::ir::{Expr, Guard, Stmt};

/// The integration method of an ODE (its flag).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Method {
    /// Forward Euler (`explicit`, `euler`).
    Explicit,
    /// Exact for an equation linear in its variable (`exponential`).
    Exponential,
    /// Second-order Runge-Kutta (`midpoint`).
    Midpoint,
    /// Fourth-order Runge-Kutta (`rk4`).
    Rk4,
    /// Backward Euler of an equation linear in its variable (`implicit`).
    Implicit,
}

/// An ODE `d var/dt = f`, ready to integrate.
pub(super) struct Ode {
    /// The slot of the variable.
    pub(super) var: u32,
    /// Its derivative.
    pub(super) f: Expr,
    /// How it is integrated.
    pub(super) method: Method,
    /// When its new value is stored.
    pub(super) guard: Guard,
    /// Where the variable is named in its equation, for errors.
    pub(super) at: Pos,
    /// The `min` flag: the new value is clamped to it.
    pub(super) min: Option<Expr>,
    /// The `max` flag: the new value is clamped to it.
    pub(super) max: Option<Expr>,
}

/// The new value of each ODE of a block, before clamping.
type Steps<'a> = Vec<(&'a Ode, Expr)>;

/// Integrates a block of consecutive ODEs with one method: all derivatives
/// are taken from the values at the start of the block, then all stored.
pub(super) fn integrate_block(ctx: &mut Ctx, block: &[Ode], out: &mut Vec<Stmt>) -> Result<()> {
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
    let steps = match block[0].method {
        Method::Explicit => explicit::integrate(ctx, block, out),
        Method::Exponential => exponential::integrate(ctx, block, out)?,
        Method::Midpoint => midpoint::integrate(ctx, block, out),
        Method::Rk4 => rk4::integrate(ctx, block, out),
        Method::Implicit => implicit::integrate(ctx, block, out)?,
    };
    for (o, e) in steps {
        out.push(Stmt::Store {
            var: o.var,
            expr: clamp(e, &o.min, &o.max),
            guard: o.guard,
        });
    }
    Ok(())
}

/// The current value of the variable of `o`.
fn x(o: &Ode) -> Expr {
    Expr::Var(o.var)
}

/// `x + dt * k`: a step of the variable of `o` along the slope held by temporary `k`.
fn euler(o: &Ode, k: u32) -> Expr {
    Expr::bin(
        BinOp::Add,
        x(o),
        Expr::bin(BinOp::Mul, Expr::Dt, Expr::Temp(k)),
    )
}

/// Computes `expr` into a new temporary.
fn let_temp(ctx: &mut Ctx, out: &mut Vec<Stmt>, expr: Expr) -> u32 {
    let temp = ctx.temp();
    out.push(Stmt::Let { temp, expr });
    temp
}

/// `f` with the variables of `map` read from their temporaries instead (an
/// intermediate stage).
fn subst(f: &Expr, map: &HashMap<u32, u32>) -> Expr {
    f.map(&|e| match e {
        Expr::Var(v) => map.get(v).map(|t| Expr::Temp(*t)),
        _ => None,
    })
}

/// Splits the derivative of `o` into `(b, a)` of `f = b x + a`, as the
/// methods for linear equations (named `method` in the error) need.
fn linear(ctx: &Ctx, o: &Ode, method: &str) -> Result<(Option<Expr>, Option<Expr>)> {
    let var = o.var;
    split_linear(&o.f, &|e| *e == Expr::Var(var)).ok_or_else(|| {
        ctx.err_at(
            o.at,
            format!(
                "the {method} method needs an equation linear in '{}'",
                ctx.vars[var as usize].name
            ),
        )
    })
}

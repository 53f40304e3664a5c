//! The translation of the equations into update statements, shared by
//! neurons and synapses (what differs is a [`Rules`]).

use std::collections::HashMap;

use super::algebra::{clamp, combine, derivative};
use super::declare::{Lhs, Rules};
use super::methods::{integrate_block, Method, Ode};
use super::Ctx;
use crate::error::Result;
use crate::lang::ast::{AssignOp, Ast, BinOp, Flag, Pos, Statement, UnOp};
use crate::lang::ir::{Expr, Func, Guard, Stmt, ValueType, VarDecl, VarKind};

/// The flags of an equation, but for those that share its variable (read
/// by [`Rules::share`]).
struct EqFlags {
    init: Option<f64>,
    /// The parameter `init` names, if it is a parameter's name alone.
    init_from: Option<u32>,
    min: Option<Expr>,
    max: Option<Expr>,
    method: Method,
    /// Where the method is named, if it is.
    method_at: Option<Pos>,
    /// `: int` or `: bool` (C++ storage in ANNarchy).
    ty: ValueType,
}

/// Reads the flags of an equation.
fn eq_flags(ctx: &Ctx, st: &Statement) -> Result<EqFlags> {
    let mut fl = EqFlags {
        init: None,
        init_from: None,
        min: None,
        max: None,
        method: Method::Explicit,
        method_at: None,
        ty: ValueType::Float,
    };
    for f in &st.flags {
        match f {
            Flag::Value(n, v, at) => match n.as_str() {
                "init" => {
                    fl.init = Some(ctx.constant(v, *at)?);
                    if let Ast::Name(name, _) = v {
                        fl.init_from = ctx
                            .slot(name)
                            .filter(|&s| ctx.vars[s as usize].kind == VarKind::Parameter);
                    }
                }
                "min" => fl.min = Some(ctx.resolve(v, *at, &HashMap::new())?),
                "max" => fl.max = Some(ctx.resolve(v, *at, &HashMap::new())?),
                _ => {
                    return Err(ctx.err_at(
                        *at,
                        format!("unknown flag '{n} = ...' (allowed: init, min, max)"),
                    ))
                }
            },
            Flag::Word(w, at) => {
                let method = match w.as_str() {
                    "explicit" | "euler" => Method::Explicit,
                    "exponential" => Method::Exponential,
                    "midpoint" => Method::Midpoint,
                    "rk4" => Method::Rk4,
                    "implicit" => Method::Implicit,
                    // Recorded when the variable is declared (VarDecl::shared).
                    "population" if !ctx.synapse => continue,
                    "postsynaptic" if ctx.synapse => continue,
                    // Handled by the synapse analysis (integrated at events).
                    "event-driven" if ctx.synapse => continue,
                    "population" => {
                        return Err(ctx.err_at(*at, "'population' is a flag of neuron models; a synapse variable shared by the synapses of a post-synaptic neuron takes 'postsynaptic'"))
                    }
                    "projection" if ctx.synapse => continue,
                    "projection" | "postsynaptic" => {
                        return Err(ctx.err_at(*at, format!("'{w}' is a flag of synapse models; a neuron variable shared by the whole population takes 'population'")))
                    }
                    "int" | "bool" | "float" => {
                        fl.ty = match w.as_str() {
                            "int" => ValueType::Int,
                            "bool" => ValueType::Bool,
                            _ => ValueType::Float,
                        };
                        continue;
                    }
                    _ => return Err(ctx.err_at(*at, format!("unknown flag '{w}' (allowed: init, min, max, population, explicit, exponential, midpoint, rk4, implicit)"))),
                };
                fl.method = method;
                fl.method_at = Some(*at);
            }
        }
    }
    Ok(fl)
}

/// Translates the equations (declared by [`declare`](super::declare::declare),
/// which returned `lhs`) into update statements, group by group
/// ([`Rules::group`]) and in order within a group; consecutive ODEs of a
/// group with the same method are integrated as one block. Sets the `init`
/// values.
pub(super) fn translate(
    ctx: &mut Ctx,
    eqs: &[Statement],
    lhs: &[Lhs],
    rules: &mut dyn Rules,
) -> Result<Vec<Stmt>> {
    let mut ordered = Vec::with_capacity(eqs.len());
    for (st, l) in eqs.iter().zip(lhs) {
        let slot = ctx
            .slot(&l.name)
            .ok_or_else(|| ctx.err_at(l.at, "internal: undeclared variable"))?;
        ordered.push((rules.group(ctx, slot), slot, st, l));
    }
    // Stable: the written order stays within a group.
    ordered.sort_by_key(|o| o.0);
    let mut update = Vec::new();
    let mut pending: Vec<Ode> = Vec::new();
    let mut group = ordered.first().map_or(0, |o| o.0);
    for (g, slot, st, l) in ordered {
        // An ODE block never spans two groups: each group is integrated
        // from the values the groups before it stored.
        if g != group && !pending.is_empty() {
            integrate_block(ctx, &std::mem::take(&mut pending), &mut update)?;
        }
        group = g;
        let fl = eq_flags(ctx, st)?;
        if let Some(i) = fl.init {
            ctx.vars[slot as usize].init = i;
            ctx.vars[slot as usize].init_from = fl.init_from;
        }
        if fl.ty != ValueType::Float {
            let v = &mut ctx.vars[slot as usize];
            v.ty = fl.ty;
            v.init = fl.ty.hold(v.init);
        }
        if rules.take(ctx, st, l, slot)? {
            continue;
        }
        let shared = ctx.vars[slot as usize].shared;
        let rules = &*rules;
        let check = |ctx: &Ctx, e: Expr| {
            if shared {
                rules.shared(ctx, e, st, l, slot)
            } else {
                Ok(e)
            }
        };
        let min = fl.min.map(|e| check(ctx, e)).transpose()?;
        let max = fl.max.map(|e| check(ctx, e)).transpose()?;
        if l.is_ode {
            if st.op != AssignOp::Set {
                return Err(ctx.err_at(l.at, "an ODE is written with '='"));
            }
            let f = check(ctx, derivative(ctx, st, &l.name, l.at)?)?;
            if !pending.is_empty() && pending[0].method != fl.method {
                integrate_block(ctx, &std::mem::take(&mut pending), &mut update)?;
            }
            pending.push(Ode {
                var: slot,
                f,
                method: fl.method,
                guard: rules.guard(ctx, slot),
                at: l.at,
                min,
                max,
            });
        } else {
            if !pending.is_empty() {
                integrate_block(ctx, &std::mem::take(&mut pending), &mut update)?;
            }
            if let Some(at) = fl.method_at.filter(|_| fl.method != Method::Explicit) {
                return Err(ctx.err_at(at, "an integration method only applies to ODEs"));
            }
            let rhs = check(ctx, ctx.resolve(&st.rhs, st.pos, &HashMap::new())?)?;
            let e = combine(st.op, Expr::Var(slot), rhs);
            update.push(Stmt::Store {
                var: slot,
                expr: clamp(e, &min, &max),
                guard: Guard::Always,
            });
        }
    }
    if !pending.is_empty() {
        integrate_block(ctx, &pending, &mut update)?;
    }
    Ok(typed_stores(ctx, update))
}

/// `x` as a slot of type `ty` holds it ([`ValueType::hold`]): truncated
/// toward zero for `: int` (unless [`integral`] already), 1 wherever it is
/// not 0 for `: bool`, as it is for `: float`. `x` is read once. An int's
/// zero may still be -0 here: [`one_zero`] of the value makes it +0.
pub(super) fn held(ty: ValueType, x: Expr, vars: &[VarDecl]) -> Expr {
    match ty {
        ValueType::Int if integral(&x, vars) => x,
        // Toward zero, as C's cast to int (one instruction in native
        // code, where floor or ceil by the sign took four, with the same
        // values).
        ValueType::Int => Expr::Call(Func::Trunc, vec![x]),
        ValueType::Bool => Expr::Select(
            Box::new(x),
            Box::new(Expr::Const(1.0)),
            Box::new(Expr::Const(0.0)),
        ),
        ValueType::Float => x,
    }
}

/// The whole number `u` (read twice: a temporary or a slot) with a zero
/// made +0, as a C++ int has one zero: what ANNarchy's int holds of -0.3
/// truncated, of `-n` or `2 * n` with n = 0, reads as +0 through `1 / x`
/// or a sign test. A selection, not `u + 0`: GPU compilers may take `u +
/// 0` for `u` (WGSL lets them ignore the sign of a zero; lavapipe does),
/// where the selection of the constant 0 gives +0 on both engines.
pub(super) fn one_zero(u: Expr) -> Expr {
    Expr::Select(
        Box::new(Expr::bin(BinOp::Eq, u.clone(), Expr::Const(0.0))),
        Box::new(Expr::Const(0.0)),
        Box::new(u),
    )
}

/// Whether every value of `x` is a whole number (or infinite, or NaN),
/// which truncating leaves as it is, bit for bit: made of whole constants,
/// `: int` and `: bool` slots of the model (which hold whole numbers:
/// every store and every value set is held), comparisons, and sums,
/// differences, products, minima, maxima, selections and roundings of
/// such. A counter's `n + 1` stores without the truncation (an instruction
/// a vector of synapses in native code, in a short rule a tenth of it).
pub(super) fn integral(x: &Expr, vars: &[VarDecl]) -> bool {
    let all = |xs: &[Expr]| xs.iter().all(|x| integral(x, vars));
    match x {
        Expr::Const(c) => *c == c.trunc(),
        Expr::Var(v) => vars
            .get(*v as usize)
            .is_some_and(|d| d.ty != ValueType::Float),
        Expr::Unary(_, a) => integral(a, vars),
        Expr::Binary(op, a, b) => match op {
            BinOp::Add | BinOp::Sub | BinOp::Mul => integral(a, vars) && integral(b, vars),
            BinOp::Div | BinOp::Pow | BinOp::Rem => false,
            // 1 or 0.
            _ => true,
        },
        Expr::Select(_, a, b) => integral(a, vars) && integral(b, vars),
        Expr::Call(f, args) => match f {
            Func::Round | Func::Floor | Func::Ceil | Func::Trunc | Func::Sign => true,
            Func::Abs | Func::Pos | Func::Neg | Func::Min | Func::Max | Func::Clip => all(args),
            _ => false,
        },
        _ => false,
    }
}

/// Whether `x` is never -0, with every `: int` and `: bool` slot holding
/// no -0 ([`held`] makes sure of it): constants other than -0, those
/// slots, comparisons, and sums, differences, minima, maxima, absolute
/// values and selections of such (under rounding to nearest, a sum is -0
/// only where both terms are, a difference only where its first term
/// is). A product or a negation of a zero is -0 by its sign, a rounding
/// of a negative fraction too: those are not.
fn never_negative_zero(x: &Expr, vars: &[VarDecl]) -> bool {
    let never = |x: &Expr| never_negative_zero(x, vars);
    match x {
        Expr::Const(c) => !(*c == 0.0 && c.is_sign_negative()),
        Expr::Var(v) => vars
            .get(*v as usize)
            .is_some_and(|d| d.ty != ValueType::Float),
        Expr::Unary(UnOp::Not, _) => true,
        Expr::Binary(op, a, b) => match op {
            BinOp::Add | BinOp::Sub => never(a) && never(b),
            BinOp::Mul | BinOp::Div | BinOp::Pow | BinOp::Rem => false,
            // 1 or 0.
            _ => true,
        },
        Expr::Select(_, a, b) => never(a) && never(b),
        Expr::Call(f, args) => match f {
            Func::Abs => true,
            Func::Min | Func::Max | Func::Clip | Func::Pos => args.iter().all(never),
            _ => false,
        },
        _ => false,
    }
}

/// Whether an `: int` slot holds `x` as it is: whole ([`integral`]) and
/// never -0 ([`never_negative_zero`]), as a counter's `n + 1`, so its
/// store needs neither a truncation nor [`one_zero`]. A truncation of a
/// negative fraction is -0.
pub(super) fn int_holds_as_is(x: &Expr, vars: &[VarDecl]) -> bool {
    integral(x, vars) && never_negative_zero(x, vars)
}

/// The stores of `stmts` into `: int` and `: bool` variables made to
/// store what [`ValueType::hold`] gives (the value computed once, into a temporary,
/// so that a random draw in it is drawn once).
pub(super) fn typed_stores(ctx: &mut Ctx, stmts: Vec<Stmt>) -> Vec<Stmt> {
    let mut out = Vec::with_capacity(stmts.len());
    for s in stmts {
        match s {
            Stmt::Store { var, expr, guard } if ctx.vars[var as usize].ty != ValueType::Float => {
                let ty = ctx.vars[var as usize].ty;
                if ty == ValueType::Int && int_holds_as_is(&expr, &ctx.vars) {
                    out.push(Stmt::Store { var, expr, guard });
                    continue;
                }
                let t = ctx.temp();
                let expr = match ty {
                    // Truncated where not whole, once; the value read
                    // twice by the selection.
                    ValueType::Int => {
                        let expr = held(ty, expr, &ctx.vars);
                        out.push(Stmt::Let { temp: t, expr });
                        one_zero(Expr::Temp(t))
                    }
                    _ => {
                        out.push(Stmt::Let { temp: t, expr });
                        held(ty, Expr::Temp(t), &ctx.vars)
                    }
                };
                out.push(Stmt::Store { var, expr, guard });
            }
            s => out.push(s),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use crate::lang::analysis::{analyse_neuron, analyse_synapse, Globals};
    use crate::lang::ast::BinOp;
    use crate::lang::ir::{EventStmt, Expr, Func, Stmt};
    use crate::network::model::{Neuron, Synapse};

    /// Whether `e` truncates anywhere, through the temporaries `lets` it
    /// reads too.
    fn truncates(e: &Expr, lets: &HashMap<u32, Expr>) -> bool {
        let mut found = false;
        e.walk(&mut |e| match e {
            Expr::Call(Func::Trunc, _) => found = true,
            Expr::Temp(t) => found |= lets.get(t).is_some_and(|x| truncates(x, lets)),
            _ => {}
        });
        found
    }

    /// Whether `e` is `one_zero`'s selection: a zero made +0.
    fn makes_zero_plus(e: &Expr) -> bool {
        matches!(e, Expr::Select(c, z, _)
            if matches!(**c, Expr::Binary(BinOp::Eq, _, _)) && **z == Expr::Const(0.0))
    }

    /// The stores of a model's update (`update`) or events, by slot name:
    /// whether each truncates, whether it makes a zero +0.
    fn stores<'a>(
        stmts: impl Iterator<Item = (u32, &'a Expr)>,
        lets: &HashMap<u32, Expr>,
        names: &[String],
    ) -> Vec<(String, bool, bool)> {
        stmts
            .map(|(v, e)| {
                let name = names[v as usize].clone();
                (name, truncates(e, lets), makes_zero_plus(e))
            })
            .collect()
    }

    /// An int store truncates unless its value is whole already: a
    /// counter (`n + 1`, a reset to 0, a choice between whole values, a
    /// bool read) keeps it as it is, a product by 0.5, time or a random
    /// draw is truncated; events likewise. A store whose value may be -0
    /// (a truncation, a product, a rounding) makes its zero +0; a
    /// counter's does not need to.
    #[test]
    fn int_stores_truncate_only_what_may_not_be_whole() {
        let globals = Globals::default();
        let neuron = Neuron::rate().parameters("k = 3 : int\nh = 0.5").equations(
            "b = r > 1.0 : bool
                 n = n + 1 : int
                 m = if r > 1.0: 0 else: m + k : int
                 c = n * 2 - b + max(m, 1) : int
                 q = n * 0.5 : int
                 u = n + t : int
                 v = round(h) + clip(n, -2, 2) : int
                 x = Uniform(0.0, 3.0) : int
                 r = h",
        );
        let ir = analyse_neuron(&neuron, &globals).unwrap();
        let names: Vec<String> = ir.vars.iter().map(|v| v.name.clone()).collect();
        let lets: HashMap<u32, Expr> = ir
            .update
            .iter()
            .filter_map(|s| match s {
                Stmt::Let { temp, expr } => Some((*temp, expr.clone())),
                Stmt::Store { .. } => None,
            })
            .collect();
        let got = stores(
            ir.update.iter().filter_map(|s| match s {
                Stmt::Store { var, expr, .. } => Some((*var, expr)),
                Stmt::Let { .. } => None,
            }),
            &lets,
            &names,
        );
        let want = [
            ("n", false, false),
            ("m", false, false),
            ("c", false, true),
            ("q", true, true),
            ("u", true, true),
            ("v", false, true),
            ("x", true, true),
        ];
        for (name, trunc, plus) in want {
            assert!(
                got.contains(&(name.to_string(), trunc, plus)),
                "{name} should{} truncate and{} make its zero +0: {got:?}",
                if trunc { "" } else { " not" },
                if plus { "" } else { " not" }
            );
        }
        let synapse = Synapse::new()
            .equations("c = c : int\nd = d : int")
            .pre_spike("g_target += w\nc += 1\nd += 0.5");
        let ir = analyse_synapse(&synapse, &globals).unwrap();
        let names: Vec<String> = ir.vars.iter().map(|v| v.name.clone()).collect();
        let got = stores(
            ir.pre_spike.iter().filter_map(|s| match s {
                EventStmt::Store { var, expr } => Some((*var, expr)),
                EventStmt::AddConductance(_) => None,
            }),
            &HashMap::new(),
            &names,
        );
        // d's truncation, then the selection that reads it back.
        let want = [("c", false, false), ("d", true, false), ("d", false, true)];
        assert_eq!(got, want.map(|(n, t, p)| (n.to_string(), t, p)));
    }
}

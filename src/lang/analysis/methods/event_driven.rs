//! Event-driven ODEs of a synapse (`: event-driven`), linear in their
//! variable: integrated exactly from the last event, when one comes.

use crate::lang::ast::BinOp;
use crate::lang::ir::{EventStmt, Expr, Func};

/// An event-driven ODE `dx/dt = a + b x`.
pub(in crate::lang::analysis) struct Decay {
    /// The slot of x.
    pub(in crate::lang::analysis) var: u32,
    /// The constant term (none: 0).
    pub(in crate::lang::analysis) a: Option<Expr>,
    /// The coefficient of x (none: 0).
    pub(in crate::lang::analysis) b: Option<Expr>,
}

/// Brings the event-driven variables up to date at the start of the
/// pre_spike statements (and of the post_spike ones, if any), then stamps
/// the time of the event into `t_last`.
///
/// When, as ANNarchy 5.0.4.1's generated code does it: a pre-synaptic
/// event handled at step s (the spike's step plus its delay, before the
/// neurons update) brings the variables to the step before, (s - 1) dt,
/// whatever the delay; a post-synaptic one (after the update) to s dt; both
/// then stamp s dt. So a post spike and a pre spike of the same step leave
/// the post trace undecayed when the pre spike arrives a step later
/// (tests/data/annarchy/stdp_window holds ANNarchy's whole window).
pub(in crate::lang::analysis) fn integrate(
    decays: &[Decay],
    t_last: u32,
    pre_spike: &mut Vec<EventStmt>,
    post_spike: &mut Vec<EventStmt>,
) {
    let bring_to = |now: Expr| -> Vec<EventStmt> {
        let elapsed = Expr::bin(BinOp::Sub, now, Expr::Var(t_last));
        decays
            .iter()
            .map(|d| EventStmt::Store {
                var: d.var,
                expr: solution(d, &elapsed),
            })
            .collect()
    };
    let stamp = EventStmt::Store {
        var: t_last,
        expr: Expr::Time,
    };
    let with = |first: Vec<EventStmt>, stmts: Vec<EventStmt>| -> Vec<EventStmt> {
        first
            .into_iter()
            .chain(stmts)
            .chain([stamp.clone()])
            .collect()
    };
    let step_before = Expr::bin(BinOp::Sub, Expr::Time, Expr::Dt);
    *pre_spike = with(bring_to(step_before), std::mem::take(pre_spike));
    if !post_spike.is_empty() {
        *post_spike = with(bring_to(Expr::Time), std::mem::take(post_spike));
    }
}

/// x after `elapsed`: x + a D if b is 0, else x e^(b D) + a / b (e^(b D) - 1).
fn solution(d: &Decay, elapsed: &Expr) -> Expr {
    let x = Expr::Var(d.var);
    let Some(b) = &d.b else {
        return Expr::bin(
            BinOp::Add,
            x,
            Expr::bin(
                BinOp::Mul,
                d.a.clone().unwrap_or(Expr::Const(0.0)),
                elapsed.clone(),
            ),
        );
    };
    let e = Expr::Call(
        Func::Exp,
        vec![Expr::bin(BinOp::Mul, b.clone(), elapsed.clone())],
    );
    let decayed = Expr::bin(BinOp::Mul, x, e.clone());
    match &d.a {
        None => decayed,
        Some(a) => Expr::bin(
            BinOp::Add,
            decayed,
            Expr::bin(
                BinOp::Mul,
                Expr::bin(BinOp::Div, a.clone(), b.clone()),
                Expr::bin(BinOp::Sub, e, Expr::Const(1.0)),
            ),
        ),
    }
}

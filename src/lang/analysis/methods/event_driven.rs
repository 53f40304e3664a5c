//! Event-driven ODEs of a synapse (`: event-driven`), linear in their
//! variable: integrated exactly from the last event, when one comes.

use crate::lang::analysis::algebra::{div, neg};
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

/// x after `elapsed`: x + a D if b is 0, else, as ANNarchy 5.0.4.1's
/// generated code, x_inf + (x - x_inf) e^(b D) with x_inf = -a/b the
/// steady state.
///
/// An ODE written `tau * dx/dt = x_inf - x` (or `dx/dt = (x_inf - x)/tau`)
/// gives `a = x_inf/tau` and `b = -1/tau`: there the steady state is read
/// off as written and the exponent is `-D/tau`, as ANNarchy's standardised
/// form has them, rather than `(x_inf/tau)/(-1/tau)` and `(-1/tau) D`:
/// two divisions and a rounding fewer an event, and `tau = inf` leaves x
/// where it is rather than making it NaN.
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
    let (steady, exponent) = match standard(d.a.as_ref(), b) {
        Some((steady, tau)) => (steady, div(neg(elapsed.clone()), tau)),
        // The exponential method's x_inf (`exponential::relax`).
        None => (
            d.a.clone().map(|a| neg(div(a, b.clone()))),
            Expr::bin(BinOp::Mul, b.clone(), elapsed.clone()),
        ),
    };
    let e = Expr::Call(Func::Exp, vec![exponent]);
    match steady {
        None => Expr::bin(BinOp::Mul, x, e),
        Some(s) => Expr::bin(
            BinOp::Add,
            s.clone(),
            Expr::bin(BinOp::Mul, Expr::bin(BinOp::Sub, x, s), e),
        ),
    }
}

/// `(x_inf, tau)` where `b = -1/tau` and `a` is none (x_inf none: 0) or
/// `x_inf/tau`, the same `tau`.
fn standard(a: Option<&Expr>, b: &Expr) -> Option<(Option<Expr>, Expr)> {
    let Expr::Binary(BinOp::Div, minus_one, tau) = b else {
        return None;
    };
    if **minus_one != Expr::Const(-1.0) {
        return None;
    }
    match a {
        None => Some((None, (**tau).clone())),
        Some(Expr::Binary(BinOp::Div, steady, t)) if t == tau => {
            Some((Some((**steady).clone()), (**tau).clone()))
        }
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::ast::UnOp;

    /// `e` in f64 with `vars` the slots' values, at time `t` and step `dt`.
    fn value(e: &Expr, vars: &[f64], t: f64, dt: f64) -> f64 {
        let v = |e: &Expr| value(e, vars, t, dt);
        match e {
            Expr::Const(c) => *c,
            Expr::Var(i) => vars[*i as usize],
            Expr::Time => t,
            Expr::Dt => dt,
            Expr::Unary(UnOp::Neg, a) => -v(a),
            Expr::Binary(op, a, b) => {
                let (a, b) = (v(a), v(b));
                match op {
                    BinOp::Add => a + b,
                    BinOp::Sub => a - b,
                    BinOp::Mul => a * b,
                    BinOp::Div => a / b,
                    op => panic!("{op:?}"),
                }
            }
            Expr::Call(Func::Exp, args) => v(&args[0]).exp(),
            e => panic!("{e:?}"),
        }
    }

    fn divisions(e: &Expr) -> usize {
        let mut n = 0;
        e.walk(&mut |e| n += matches!(e, Expr::Binary(BinOp::Div, ..)) as usize);
        n
    }

    /// Each form of `dx/dt = a + b x` against its exact solution
    /// `x_inf + (x0 - x_inf) e^(b D)`, `x_inf = -a/b`, over 7 ms; the
    /// standard forms (`(x_inf - x)/tau`, `-x/tau`) with one division, the
    /// exponent's, and with `tau = inf` leaving x as it was (it was NaN
    /// when x_inf was `(x_inf/tau)/(-1/tau)`).
    #[test]
    fn decays_relax_to_their_steady_state() {
        // Slots: x, tau, x_inf, k, c.
        let (x, tau, x_inf, k, c) = (0, 1, 2, 3, 4);
        let var = |i: u32| Expr::Var(i);
        let over_tau = |e: Expr| Expr::bin(BinOp::Div, e, var(tau));
        let forms: [(Option<Expr>, Expr, usize); 4] = [
            // (x_inf - x)/tau
            (Some(over_tau(var(x_inf))), over_tau(Expr::Const(-1.0)), 1),
            // -x/tau
            (None, over_tau(Expr::Const(-1.0)), 1),
            // c - k x: -c/(-k) written twice (native code computes it once)
            (Some(var(c)), Expr::Unary(UnOp::Neg, Box::new(var(k))), 2),
            // -k x
            (None, Expr::Unary(UnOp::Neg, Box::new(var(k))), 0),
        ];
        let elapsed = Expr::bin(BinOp::Sub, Expr::Time, Expr::Const(3.0));
        let (t, x0) = (10.0, 0.25);
        for (i, (a, b, divs)) in forms.into_iter().enumerate() {
            let d = Decay {
                var: x,
                a,
                b: Some(b),
            };
            let e = solution(&d, &elapsed);
            assert_eq!(divisions(&e), divs, "form {i}: {e:?}");
            for (tau_v, xi, kv, cv) in [(20.0, 1.5, 0.05, 0.2), (3.0, -2.0, 1.0, 0.0)] {
                let vars = [x0, tau_v, xi, kv, cv];
                let (rate, steady) = match i {
                    0 => (1.0 / tau_v, xi),
                    1 => (1.0 / tau_v, 0.0),
                    2 => (kv, cv / kv),
                    _ => (kv, 0.0),
                };
                let want = steady + (x0 - steady) * (-rate * 7.0f64).exp();
                let got = value(&e, &vars, t, 1.0);
                assert!((got - want).abs() < 1e-12, "form {i}: {got} != {want}");
            }
            if i < 2 {
                let vars = [x0, f64::INFINITY, 1.5, 0.0, 0.0];
                assert_eq!(value(&e, &vars, t, 1.0), x0, "form {i}, tau = inf");
            }
        }
    }
}

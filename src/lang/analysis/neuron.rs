//! The analysis of a neuron model.

use std::collections::{HashMap, HashSet};

use super::algebra::combine;
use super::declare::{collect_names, declare, has_flag, lhs_name, written_at, Lhs, Rules};
use super::equations::translate;
use super::random::{mark_shared, number_expr, number_random};
use super::{Ctx, Globals, Names, REFRACTORY_COUNTER, SPIKE_TIME};
use crate::error::Result;
use crate::lang::ast::{Ast, Pos, Statement};
use crate::lang::ir::{Expr, Func, Guard, Locality, NeuronIr, Stmt, VarDecl, VarKind};
use crate::network::model::{Neuron, NeuronKind};

/// Analyses a neuron model into its IR; `globals` are the network's
/// constants and functions.
pub fn analyse_neuron(model: &Neuron, globals: &Globals) -> Result<NeuronIr> {
    let spiking = model.kind == NeuronKind::Spiking;
    let mut ctx = Ctx::new(&model.name, globals, false);
    ctx.parse_functions(&model.functions)?;
    ctx.parse_parameters(&model.parameters)?;
    ctx.section = "equations";
    let eqs = ctx.statements(&model.equations, false)?;
    ctx.section = "reset";
    let resets = ctx.statements(&model.reset, false)?;
    ctx.section = "equations";
    let mut rules = NeuronRules {
        spiking,
        refractory: false,
    };
    let lhs = declare(&mut ctx, &eqs, &mut rules)?;
    let (spike_ast, refr_ast) = spike_sections(&mut ctx, model)?;
    let mut read: Vec<&Ast> = Vec::new();
    for st in eqs.iter().chain(&resets) {
        read.push(&st.rhs);
        read.extend(&st.lhs);
    }
    read.extend(spike_ast.as_ref().map(|(_, a)| a));
    if spiking {
        declare_conductances(&mut ctx, &read);
    }
    // sum(target) in a spiking neuron is what rate-coded projections
    // (hybrid networks) add up, as in a rate-coded one.
    declare_targets(&mut ctx, &read);
    if !spiking && model.needs_r && ctx.slot("r").is_none() {
        return Err(ctx.model_err(
            "a rate-coded neuron must define its output 'r' (as a parameter or in the equations)",
        ));
    }
    let refr_slot = refr_ast
        .is_some()
        .then(|| ctx.push_var(REFRACTORY_COUNTER, VarKind::Hidden));
    // `t_last`, the time of the neuron's last spike (ANNarchy's
    // last_spike * dt): the hidden slot t_pre and t_post read, which the
    // reset sets to t after its own statements (so it reads the previous
    // spike), and the network starts at -10000 dt.
    let mut reads_t_last = false;
    for a in &read {
        a.walk(&mut |n| reads_t_last |= matches!(n, Ast::Name(s, _) if s == "t_last"));
    }
    let t_last_slot = (spiking && reads_t_last && ctx.slot(SPIKE_TIME).is_none())
        .then(|| ctx.push_var(SPIKE_TIME, VarKind::Hidden));
    rules.refractory = refr_slot.is_some();
    ctx.section = "equations";
    let mut update = translate(&mut ctx, &eqs, &lhs, &mut rules)?;
    let mut n_random = 0;
    number_random(&mut update, &mut n_random);
    let spike = spike_condition(&mut ctx, spike_ast, &mut n_random)?;
    let reset = reset_statements(&mut ctx, &resets, &mut n_random)?;
    let mut reset = super::equations::typed_stores(&mut ctx, reset);
    if let Some(slot) = t_last_slot {
        reset.push(Stmt::Store {
            var: slot,
            expr: Expr::Time,
            guard: Guard::Always,
        });
    }
    let refractory = match (refr_ast, refr_slot) {
        (Some(r), Some(slot)) => Some((refractory_period(&mut ctx, r)?, slot)),
        _ => None,
    };
    Ok(NeuronIr {
        name: ctx.model.clone(),
        spiking,
        conductances: conductances(&ctx.vars, &update),
        vars: ctx.vars,
        targets: ctx.targets.list,
        update,
        spike,
        reset,
        refractory,
        n_temps: ctx.n_temps,
        n_random,
    })
}

/// The equations of a neuron: `g_` variables of a spiking neuron are
/// conductances, `: population` shares a variable by the population, and
/// the ODEs of a refractory neuron are held while it is refractory.
struct NeuronRules {
    /// Whether the neuron is spiking (else rate-coded).
    spiking: bool,
    /// Whether the neuron has a refractory period.
    refractory: bool,
}

impl Rules for NeuronRules {
    fn dotted(&self, name: &str) -> String {
        format!("'{name}': a neuron cannot assign pre./post. variables")
    }

    fn kind(&self, name: &str) -> VarKind {
        if self.spiking && name.starts_with("g_") {
            VarKind::Conductance
        } else {
            VarKind::Variable
        }
    }

    fn share(&mut self, ctx: &mut Ctx, st: &Statement, lhs: &Lhs, slot: usize) -> Result<()> {
        // `: population`: one value for the whole population (see VarDecl::shared).
        if has_flag(st, "population") {
            if ctx.vars[slot].kind == VarKind::Conductance {
                return Err(ctx.err_at(
                    lhs.at,
                    format!("'{}' is a conductance: it receives spikes neuron by neuron and cannot be shared by the population", lhs.name),
                ));
            }
            ctx.vars[slot].shared = true;
        }
        Ok(())
    }

    fn group(&self, ctx: &Ctx, slot: u32) -> u8 {
        // `: population` equations, then the per-neuron ones.
        u8::from(!ctx.vars[slot as usize].shared)
    }

    fn guard(&self, ctx: &Ctx, slot: u32) -> Guard {
        let v = &ctx.vars[slot as usize];
        // A population variable is not held by the refractoriness of single
        // neurons (as ANNarchy, which updates it outside the neuron loop):
        // masked per neuron, its copies would differ.
        if self.refractory && v.kind != VarKind::Conductance && !v.shared {
            Guard::NotRefractory
        } else {
            Guard::Always
        }
    }

    fn shared(&self, ctx: &Ctx, e: Expr, st: &Statement, lhs: &Lhs, _: u32) -> Result<Expr> {
        shared_expr(ctx, &e, st, &lhs.name, lhs.at)
    }
}

/// Checks the equation of a population variable (`: population`, see
/// [`VarDecl::shared`]) and marks its random variables as drawn once for
/// the whole population. It may read population-wide parameters, other
/// population variables, constants, `t`, `dt` and itself; anything per
/// neuron is an error at the name that reads it.
fn shared_expr(ctx: &Ctx, e: &Expr, st: &Statement, name: &str, at: Pos) -> Result<Expr> {
    let mut bad: Option<(String, bool)> = None;
    e.walk(&mut |x| {
        if bad.is_some() {
            return;
        }
        match x {
            Expr::Var(v) => {
                let d = &ctx.vars[*v as usize];
                if d.locality != Locality::Global && !d.shared {
                    bad = Some((d.name.clone(), false));
                }
            }
            Expr::Sum(t) => bad = Some((ctx.targets.list[*t as usize].clone(), true)),
            _ => {}
        }
    });
    if let Some((read, is_sum)) = bad {
        let what = if is_sum {
            format!("sum({read}), which is per neuron")
        } else {
            let d = ctx.vars.iter().find(|d| d.name == read);
            match d.map(|d| d.kind) {
                Some(VarKind::Parameter) => {
                    format!("the per-neuron parameter '{read}' (declare it ': population')")
                }
                Some(VarKind::Conductance) => {
                    format!("the conductance '{read}', which is per neuron")
                }
                _ => format!("the per-neuron variable '{read}'"),
            }
        };
        return Err(ctx.err_at(
            written_at(st, &read, is_sum).unwrap_or(at),
            format!("'{name}' is shared by the population (: population): its equation can read only population-wide parameters, population variables, constants, t and dt, not {what}"),
        ));
    }
    Ok(mark_shared(e))
}

/// An expression section with where it starts.
type Section = Option<(Pos, Ast)>;

/// Parses the spike condition and the refractory period; neither is
/// allowed in a rate-coded neuron, and a spiking one needs the condition.
fn spike_sections(ctx: &mut Ctx, model: &Neuron) -> Result<(Section, Section)> {
    let refractory = model.refractory.as_deref().filter(|r| !r.trim().is_empty());
    let spike = if model.kind == NeuronKind::Spiking {
        ctx.section = "spike";
        if model.spike.trim().is_empty() {
            return Err(ctx.model_err(
                "a spiking neuron needs a spike condition, e.g. .spike(\"v > v_thresh\")",
            ));
        }
        Some(ctx.single_expression(&model.spike)?)
    } else {
        if !model.spike.trim().is_empty() || !model.reset.trim().is_empty() || refractory.is_some()
        {
            return Err(ctx.model_err("a rate-coded neuron has no spike, reset or refractory period (use Neuron::spiking())"));
        }
        None
    };
    let refractory = match refractory {
        Some(r) => {
            ctx.section = "refractory";
            Some(ctx.single_expression(r)?)
        }
        None => None,
    };
    Ok((spike, refractory))
}

/// Declares the `g_` names that a spiking neuron reads but no equation
/// governs: conductances that only spikes change.
fn declare_conductances(ctx: &mut Ctx, read: &[&Ast]) {
    let mut gs = Names::default();
    let slots = &ctx.slots;
    collect_names(
        read,
        &|n| (n.starts_with("g_") && n.len() > 2 && !slots.contains_key(n)).then(|| n.to_string()),
        &mut gs,
    );
    for g in gs.list {
        ctx.push_var(&g, VarKind::Conductance);
    }
}

/// Declares the targets of the `sum(target)` calls read, in order.
fn declare_targets(ctx: &mut Ctx, read: &[&Ast]) {
    for a in read {
        a.walk(&mut |n| {
            if let Ast::Call(f, args, _) = n {
                if f == "sum" {
                    if let [Ast::Name(t, _)] = args.as_slice() {
                        ctx.targets.add(t);
                    }
                }
            }
        });
    }
}

/// The spike condition, its random draws numbered after the equations'.
fn spike_condition(ctx: &mut Ctx, ast: Section, n_random: &mut u32) -> Result<Option<Expr>> {
    let Some((at, a)) = ast else {
        return Ok(None);
    };
    ctx.section = "spike";
    let e = ctx.resolve(&a, at, &HashMap::new())?;
    Ok(Some(number_expr(&e, n_random)))
}

/// The reset statements: assignments to variables that are neither
/// parameters nor shared by the population.
fn reset_statements(ctx: &mut Ctx, resets: &[Statement], n_random: &mut u32) -> Result<Vec<Stmt>> {
    ctx.section = "reset";
    let mut reset = Vec::new();
    for st in resets {
        let Lhs { name, at, is_ode } = lhs_name(ctx, st)?;
        if is_ode {
            return Err(ctx.err_at(at, "a reset cannot contain an ODE"));
        }
        let slot = ctx
            .slot(&name)
            .ok_or_else(|| ctx.err_at(at, format!("unknown variable '{name}' in the reset")))?;
        if ctx.vars[slot as usize].kind == VarKind::Parameter {
            return Err(ctx.err_at(
                at,
                format!("'{name}' is a parameter; a reset cannot change it"),
            ));
        }
        if ctx.vars[slot as usize].shared {
            return Err(ctx.err_at(
                at,
                format!("'{name}' is shared by the population (: population); a reset, which runs for the neurons that spiked, cannot change it"),
            ));
        }
        // ANNarchy 5.0.4.1 parses min and max here but stores the value
        // unbounded: a flag that does nothing is refused instead.
        if let Some(f) = st.flags.first() {
            return Err(ctx.err_at(
                f.pos(),
                "a reset statement takes no flags (ANNarchy ignores min and max there: bound the value with clip())",
            ));
        }
        let rhs = ctx.resolve(&st.rhs, st.pos, &HashMap::new())?;
        reset.push(Stmt::Store {
            var: slot,
            expr: combine(st.op, Expr::Var(slot), rhs),
            guard: Guard::Always,
        });
    }
    number_random(&mut reset, n_random);
    Ok(reset)
}

/// The refractory period, which cannot be random.
fn refractory_period(ctx: &mut Ctx, (at, a): (Pos, Ast)) -> Result<Expr> {
    ctx.section = "refractory";
    let e = ctx.resolve(&a, at, &HashMap::new())?;
    if e.any(&|x| matches!(x, Expr::Random { .. })) {
        // At the draw if it is written here, else at the call of the
        // function that draws.
        let mut draw = None;
        a.walk(&mut |n| match (draw, n) {
            (None, Ast::Call(f, _, p)) if Func::lookup(f).is_none() => {
                let r = ctx.resolve(n, *p, &HashMap::new());
                if r.is_ok_and(|e| e.any(&|x| matches!(x, Expr::Random { .. }))) {
                    draw = Some(*p);
                }
            }
            _ => {}
        });
        return Err(ctx.err_at(draw.unwrap_or(at), "the refractory period cannot be random"));
    }
    // A constant period is checked now (a parameter's at each spike).
    let fixed = !e.any(&|x| {
        matches!(
            x,
            Expr::Var(_)
                | Expr::Temp(_)
                | Expr::Sum(_)
                | Expr::Pre(_)
                | Expr::Post(_)
                | Expr::Time
                | Expr::Constant(_)
        )
    });
    if fixed {
        let ms =
            super::algebra::eval_const(&e, &ctx.vars, ctx.globals.constants(), ctx.globals.dtype);
        if !(ms.is_finite() && ms >= 0.0) {
            return Err(ctx.err_at(
                at,
                format!("the refractory period must be a non-negative number of ms, got {ms}"),
            ));
        }
    }
    Ok(e)
}

/// Each conductance `g_<target>`: its target, slot, and whether an
/// equation governs it.
fn conductances(vars: &[VarDecl], update: &[Stmt]) -> Vec<(String, u32, bool)> {
    let stored: HashSet<u32> = update
        .iter()
        .filter_map(|s| match s {
            Stmt::Store { var, .. } => Some(*var),
            Stmt::Let { .. } => None,
        })
        .collect();
    vars.iter()
        .enumerate()
        .filter(|(_, v)| v.kind == VarKind::Conductance)
        .map(|(i, v)| {
            (
                v.name[2..].to_string(),
                i as u32,
                stored.contains(&(i as u32)),
            )
        })
        .collect()
}

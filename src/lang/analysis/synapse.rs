//! The analysis of a synapse model.

use std::collections::{HashMap, HashSet};

use super::algebra::{clamp, combine, derivative, neg, split_linear};
use super::declare::{bounds, collect_names, declare, flag_pos, has_flag, written_at, Lhs, Rules};
use super::equations::translate;
use super::methods::event_driven::{self, Decay};
use super::random::{number_expr, number_random};
use super::resolve::ast_pos;
use super::{local_var, Ctx, Globals};
use crate::error::Result;
use crate::lang::ast::{AssignOp, Ast, BinOp, Flag, Pos, Statement};
use crate::lang::ir::{EventStmt, Expr, Locality, StructuralRule, SynapseIr, ValueType, VarKind};
use crate::network::model::Synapse;

/// The hidden per-neuron slot holding the time (ms) of a neuron's last
/// spike, which `t_pre` and `t_post` read: added to a population by the
/// first projection whose synapse reads it.
pub const SPIKE_TIME: &str = "_t_spike";

/// Analyses a synapse model into its IR; `globals` are the network's
/// constants and functions.
pub fn analyse_synapse(model: &Synapse, globals: &Globals) -> Result<SynapseIr> {
    let mut ctx = Ctx::new(&model.name, globals, true);
    ctx.parse_functions(&model.functions)?;
    ctx.parse_parameters(&model.parameters)?;
    declare_weight(&mut ctx);
    // The learning rule: per-synapse variables declared by the equations
    // (w is one already), then translated as a neuron's are.
    ctx.section = "equations";
    let eqs = ctx.statements(&model.equations, false)?;
    let mut rules = SynapseRules::default();
    let lhs = declare(&mut ctx, &eqs, &mut rules)?;
    let sections = Sections::parse(&mut ctx, model)?;
    let mut read: Vec<&Ast> = vec![&sections.psp.1];
    for s in sections.pre.iter().chain(&sections.post).chain(&eqs) {
        read.push(&s.rhs);
    }
    for s in sections.pruning.iter().chain(&sections.creating) {
        read.push(&s.rhs);
    }
    // `t_pre` and `t_post` (ANNarchy's times of the last spikes, in ms)
    // read a hidden per-neuron slot of each side that the network adds
    // (`SPIKE_TIME`), unless the model declares a name of its own.
    let own = |n: &str| ctx.slot(n).is_some();
    let (own_pre, own_post) = (own("t_pre"), own("t_post"));
    collect_names(
        &read,
        &|n| match n {
            "t_pre" if !own_pre => Some(SPIKE_TIME.to_string()),
            _ => n.strip_prefix("pre.").map(str::to_string),
        },
        &mut ctx.pre_refs,
    );
    collect_names(
        &read,
        &|n| match n {
            "t_post" if !own_post => Some(SPIKE_TIME.to_string()),
            _ => n.strip_prefix("post.").map(str::to_string),
        },
        &mut ctx.post_refs,
    );
    let mut n_random = 0;
    let psp = psp(&mut ctx, &sections.psp, &mut n_random)?;
    let w = ctx.slot("w").unwrap_or(0);
    let r = ctx.pre_refs.get("r");
    let psp_is_weighted_rate = r.is_some_and(|r| {
        psp == Expr::bin(BinOp::Mul, Expr::Var(w), Expr::Pre(r))
            || psp == Expr::bin(BinOp::Mul, Expr::Pre(r), Expr::Var(w))
    });
    let (pre_spike, post_spike) = events(&mut ctx, &sections, &mut n_random)?;
    ctx.section = "equations";
    let mut update = translate(&mut ctx, &eqs, &lhs, &mut rules)?;
    number_random(&mut update, &mut n_random);
    // An event's store into an `: int` or `: bool` variable (typed by the
    // equations' flags, read just above) is held as the slot holds it at
    // the event itself, as in ANNarchy's C++ int and bool: an equation
    // reading it later in the step sees the stored value.
    // An int's zero is made +0 by a second store that reads the first
    // (`one_zero`): the value, which may draw a random number, is
    // computed once.
    let hold = |stmts: Vec<EventStmt>| -> Vec<EventStmt> {
        let mut out = Vec::with_capacity(stmts.len());
        for s in stmts {
            let EventStmt::Store { var, expr } = s else {
                out.push(s);
                continue;
            };
            let ty = ctx.vars[var as usize].ty;
            let signed =
                ty == ValueType::Int && !super::equations::int_holds_as_is(&expr, &ctx.vars);
            let expr = super::equations::held(ty, expr, &ctx.vars);
            out.push(EventStmt::Store { var, expr });
            if signed {
                let expr = super::equations::one_zero(Expr::Var(var));
                out.push(EventStmt::Store { var, expr });
            }
        }
        out
    };
    let (mut pre_spike, mut post_spike) = (hold(pre_spike), hold(post_spike));
    // The default path keeps weights in pre order: post_spike walks them
    // in post order, so a model with post_spike takes the general path.
    // Nor can a model whose equations change w at every step: the copy
    // in pre order would fall behind.
    let pre_spike_is_default = pre_spike == vec![EventStmt::AddConductance(Expr::Var(w))]
        && rules.decays.is_empty()
        && post_spike.is_empty()
        && update.is_empty();
    let event_driven = !rules.decays.is_empty();
    if event_driven {
        let t_last = ctx.push_var("_t_last", VarKind::Hidden);
        event_driven::integrate(&rules.decays, t_last, &mut pre_spike, &mut post_spike);
    }
    let pruning = structural(&mut ctx, "pruning", &sections.pruning, &mut n_random)?;
    let creating = structural(&mut ctx, "creating", &sections.creating, &mut n_random)?;
    Ok(SynapseIr {
        pruning,
        creating,
        post_spike,
        event_driven,
        update,
        name: ctx.model.clone(),
        vars: ctx.vars,
        pre_refs: ctx.pre_refs.list,
        post_refs: ctx.post_refs.list,
        psp,
        psp_is_weighted_rate,
        psp_given: !model.psp.trim().is_empty(),
        pre_spike,
        pre_spike_is_default,
        n_random,
    })
}

/// Makes `w` a per-synapse variable, slot 0 unless declared as a
/// parameter (which `parse_parameters` keeps per synapse).
fn declare_weight(ctx: &mut Ctx) {
    match ctx.slot("w") {
        Some(s) => ctx.vars[s as usize].kind = VarKind::Variable,
        None => ctx.add_first_var(local_var("w", VarKind::Variable)),
    }
}

/// The psp, pre_spike and post_spike sections, parsed (defaults filled in).
struct Sections {
    /// The psp expression and where it starts.
    psp: (Pos, Ast),
    /// The pre_spike statements.
    pre: Vec<Statement>,
    /// The post_spike statements.
    post: Vec<Statement>,
    /// The pruning condition, a bare expression with flags.
    pruning: Option<Statement>,
    /// The creating condition.
    creating: Option<Statement>,
}

impl Sections {
    fn parse(ctx: &mut Ctx, model: &Synapse) -> Result<Self> {
        ctx.section = "psp";
        let psp_text = if model.psp.trim().is_empty() {
            "w * pre.r"
        } else {
            model.psp.as_str()
        };
        let psp = ctx.single_expression(psp_text)?;
        ctx.section = "pre_spike";
        // A model with a psp transmits through it: its pre_spike, if any,
        // only changes synapse variables (PyNN's NMDA synapse, `x += w`).
        let pre_text = if !model.pre_spike.trim().is_empty() {
            model.pre_spike.as_str()
        } else if model.psp.trim().is_empty() {
            "g_target += w"
        } else {
            ""
        };
        let pre = ctx.statements(pre_text, false)?;
        ctx.section = "post_spike";
        let post = ctx.statements(&model.post_spike, false)?;
        let pruning = Self::condition(ctx, "pruning", &model.pruning)?;
        let creating = Self::condition(ctx, "creating", &model.creating)?;
        Ok(Sections {
            psp,
            pre,
            post,
            pruning,
            creating,
        })
    }

    /// A structural-plasticity section: one condition with its flags, or
    /// nothing.
    fn condition(ctx: &mut Ctx, section: &'static str, text: &str) -> Result<Option<Statement>> {
        ctx.section = section;
        let mut stmts = ctx.statements(text, true)?;
        if let Some(second) = stmts.get(1) {
            return Err(ctx.err_at(
                second.pos,
                format!("{section} holds one condition (join several with 'and' / 'or')"),
            ));
        }
        match stmts.pop() {
            Some(st) if st.lhs.is_some() => Err(ctx.err_at(
                st.pos,
                format!(
                    "{section} is a condition (e.g. 'age > T : proba = 0.5'), not an assignment"
                ),
            )),
            st => Ok(st),
        }
    }
}

/// The IR of a `pruning` or `creating` condition: its expression and its
/// flags (`proba`; `w` and `d` for creating). Creating reads no
/// per-synapse variable: the synapse it would create does not exist.
fn structural(
    ctx: &mut Ctx,
    section: &'static str,
    st: &Option<Statement>,
    n_random: &mut u32,
) -> Result<Option<StructuralRule>> {
    let Some(st) = st else { return Ok(None) };
    ctx.section = section;
    let cond = ctx.resolve(&st.rhs, st.pos, &HashMap::new())?;
    if section == "creating" {
        let mut local = None;
        cond.walk(&mut |e| {
            if let Expr::Var(v) = e {
                if ctx.vars[*v as usize].locality == Locality::Local && local.is_none() {
                    local = Some(ctx.vars[*v as usize].name.clone());
                }
            }
        });
        if let Some(name) = local {
            return Err(ctx.err_at(
                written_at(st, &name, false).unwrap_or(st.pos),
                format!("the creating condition reads '{name}', a variable of each synapse, but the synapse it would create does not exist yet (use pre.x, post.x and the projection's parameters)"),
            ));
        }
    }
    let cond = number_expr(&cond, n_random);
    let mut rule = StructuralRule {
        cond,
        proba: None,
        w: 0.0,
        delay_ms: None,
    };
    for f in &st.flags {
        let (name, value, at) = match f {
            Flag::Value(n, v, at) => (n.as_str(), Some(v), *at),
            Flag::Word(n, at) => (n.as_str(), None, *at),
        };
        let allowed = match section {
            "creating" => matches!(name, "proba" | "w" | "d"),
            _ => name == "proba",
        };
        let Some(value) = value.filter(|_| allowed) else {
            let known = if section == "creating" {
                "'proba = p', 'w = weight' and 'd = delay in ms'"
            } else {
                "'proba = p'"
            };
            return Err(ctx.err_at(
                at,
                format!("unknown flag '{name}' of {section}: the flags are {known}"),
            ));
        };
        let x = ctx.constant(value, ast_pos(value).unwrap_or(at))?;
        match name {
            "proba" if !(0.0..=1.0).contains(&x) => {
                return Err(ctx.err_at(
                    at,
                    format!("proba is a probability, between 0 and 1; got {x}"),
                ))
            }
            "proba" => rule.proba = Some(x),
            "w" => rule.w = x,
            _ if !(x.is_finite() && x >= 0.0) => {
                return Err(ctx.err_at(at, format!("d is a delay in ms, 0 or more; got {x}")))
            }
            _ => rule.delay_ms = Some(x),
        }
    }
    Ok(Some(rule))
}

/// The psp expression; its random draws are numbered first.
fn psp(ctx: &mut Ctx, (at, ast): &(Pos, Ast), n_random: &mut u32) -> Result<Expr> {
    ctx.section = "psp";
    let psp = ctx.resolve(ast, *at, &HashMap::new())?;
    Ok(number_expr(&psp, n_random))
}

/// The pre_spike and post_spike statements, their random draws numbered
/// after the psp's.
fn events(
    ctx: &mut Ctx,
    sections: &Sections,
    n_random: &mut u32,
) -> Result<(Vec<EventStmt>, Vec<EventStmt>)> {
    ctx.section = "pre_spike";
    let mut pre_spike = event_statements(ctx, &sections.pre, true)?;
    ctx.section = "post_spike";
    let mut post_spike = event_statements(ctx, &sections.post, false)?;
    for s in pre_spike.iter_mut().chain(post_spike.iter_mut()) {
        let e = match s {
            EventStmt::AddConductance(e) | EventStmt::Store { expr: e, .. } => e,
        };
        *e = number_expr(e, n_random);
    }
    Ok((pre_spike, post_spike))
}

/// The `pre_spike` (`allow_g`) or `post_spike` statements of a synapse:
/// `g_target += ...` (pre_spike only) or assignments to synapse variables.
fn event_statements(ctx: &Ctx, stmts: &[Statement], allow_g: bool) -> Result<Vec<EventStmt>> {
    let section = if allow_g { "pre_spike" } else { "post_spike" };
    let mut out = Vec::new();
    for st in stmts {
        let (name, at) = match &st.lhs {
            Some(Ast::Name(n, at)) => (n.clone(), *at),
            _ => {
                return Err(ctx.err_at(
                    st.pos,
                    if allow_g {
                        "expected 'g_target += ...' or an assignment to a synapse variable"
                    } else {
                        "expected an assignment to a synapse variable"
                    },
                ))
            }
        };
        let (min, max) = bounds(ctx, st, &format!("a {section} statement"))?;
        let rhs = ctx.resolve(&st.rhs, st.pos, &HashMap::new())?;
        if name == "g_target" || name == "post.g_target" {
            if !allow_g {
                return Err(ctx.err_at(
                    at,
                    "post_spike cannot change g_target (a post-synaptic spike transmits nothing)",
                ));
            }
            if min.is_some() || max.is_some() {
                return Err(ctx.err_at(
                    at,
                    "g_target takes no min or max: it adds to the post-synaptic conductance",
                ));
            }
            let e = match st.op {
                AssignOp::Add => rhs,
                AssignOp::Sub => neg(rhs),
                _ => return Err(ctx.err_at(at, "g_target can only be changed with '+=' or '-='")),
            };
            out.push(EventStmt::AddConductance(e));
        } else if let Some(s) = ctx.slot(&name) {
            if ctx.vars[s as usize].kind == VarKind::Parameter {
                return Err(ctx.err_at(
                    at,
                    format!("'{name}' is a parameter; {section} cannot change it"),
                ));
            }
            if ctx.vars[s as usize].shared {
                return Err(ctx.err_at(
                    at,
                    format!("'{name}' is shared by several synapses; {section}, which runs for one synapse, cannot change it"),
                ));
            }
            out.push(EventStmt::Store {
                var: s,
                expr: clamp(combine(st.op, Expr::Var(s), rhs), &min, &max),
            });
        } else {
            return Err(ctx.err_at(
                at,
                format!(
                    "unknown variable '{name}' in {section}{}",
                    if allow_g {
                        " (use g_target for the post-synaptic conductance)"
                    } else {
                        ""
                    }
                ),
            ));
        }
    }
    Ok(out)
}

/// The equations of a synapse: `: postsynaptic` and `: projection` share a
/// variable among synapses, `: event-driven` ODEs are integrated at events.
#[derive(Default)]
struct SynapseRules {
    /// `: projection` variables (also `shared`; stricter reads).
    projection_vars: HashSet<u32>,
    /// The event-driven ODEs.
    decays: Vec<Decay>,
}

impl Rules for SynapseRules {
    fn dotted(&self, name: &str) -> String {
        format!("'{name}': a synapse's equations change its own variables, not pre- or post-synaptic ones")
    }

    fn kind(&self, _: &str) -> VarKind {
        VarKind::Variable
    }

    fn share(&mut self, ctx: &mut Ctx, st: &Statement, lhs: &Lhs, slot: usize) -> Result<()> {
        let postsynaptic = has_flag(st, "postsynaptic");
        let projection = has_flag(st, "projection");
        if postsynaptic || projection {
            // At the flag that shares it (the second, for both).
            let flag = st
                .flags
                .iter()
                .filter(
                    |f| matches!(f, Flag::Word(w, _) if w == "postsynaptic" || w == "projection"),
                )
                .nth(usize::from(postsynaptic && projection))
                .map_or(lhs.at, |f| f.pos());
            if lhs.name == "w" {
                return Err(ctx.err_at(
                    flag,
                    "'w' is the weight of each synapse: it cannot be shared",
                ));
            }
            if postsynaptic && projection {
                return Err(ctx.err_at(
                    flag,
                    "a variable is postsynaptic or projection-wide, not both",
                ));
            }
            ctx.vars[slot].shared = true;
            if projection {
                self.projection_vars.insert(slot as u32);
            }
        }
        Ok(())
    }

    fn take(&mut self, ctx: &Ctx, st: &Statement, lhs: &Lhs, slot: u32) -> Result<bool> {
        if !has_flag(st, "event-driven") {
            return Ok(false);
        }
        if !lhs.is_ode {
            return Err(ctx.err_at(
                flag_pos(st, "event-driven").unwrap_or(lhs.at),
                "only an ODE can be event-driven",
            ));
        }
        let f = derivative(ctx, st, &lhs.name, lhs.at)?;
        let is_x = |e: &Expr| *e == Expr::Var(slot);
        let (b, a) = split_linear(&f, &is_x).ok_or_else(|| {
            ctx.err_at(
                lhs.at,
                format!(
                    "an event-driven ODE must be linear in {}, as dx/dt = A + B x",
                    lhs.name
                ),
            )
        })?;
        self.decays.push(Decay { var: slot, a, b });
        Ok(true)
    }

    fn group(&self, ctx: &Ctx, slot: u32) -> u8 {
        // `: projection`, then `: postsynaptic`, then per-synapse equations.
        if self.projection_vars.contains(&slot) {
            0
        } else if ctx.vars[slot as usize].shared {
            1
        } else {
            2
        }
    }

    fn shared(&self, ctx: &Ctx, e: Expr, st: &Statement, lhs: &Lhs, slot: u32) -> Result<Expr> {
        let whole = self.projection_vars.contains(&slot);
        shared_synapse_expr(ctx, &e, st, &lhs.name, lhs.at, whole, &self.projection_vars)
    }
}

/// Checks that the equation of a shared synapse variable reads only what
/// is the same for all the synapses that share it, so that every copy
/// stays equal: for a `: postsynaptic` one, post-synaptic variables,
/// projection-wide parameters and variables, other postsynaptic variables,
/// constants, t and dt; for a `: projection` one (`whole`), only
/// projection-wide values, constants, t and dt. Never a pre-synaptic value,
/// a per-synapse variable or a random draw.
fn shared_synapse_expr(
    ctx: &Ctx,
    e: &Expr,
    st: &Statement,
    name: &str,
    at: Pos,
    whole: bool,
    projection_vars: &HashSet<u32>,
) -> Result<Expr> {
    // What is read, and the name it is written with.
    let mut bad: Option<(String, String)> = None;
    e.walk(&mut |x| {
        if bad.is_some() {
            return;
        }
        match x {
            Expr::Pre(k) => {
                let r = format!("pre.{}", ctx.pre_refs.list[*k as usize]);
                bad = Some((format!("the pre-synaptic '{r}'"), r))
            }
            Expr::Post(k) if whole => {
                let r = format!("post.{}", ctx.post_refs.list[*k as usize]);
                bad = Some((format!("the post-synaptic '{r}'"), r))
            }
            Expr::Var(v) => {
                let d = &ctx.vars[*v as usize];
                if d.locality == Locality::Local && !d.shared {
                    bad = Some((format!("the per-synapse '{}'", d.name), d.name.clone()));
                } else if whole && d.shared && !projection_vars.contains(v) {
                    bad = Some((format!("the postsynaptic '{}'", d.name), d.name.clone()));
                }
            }
            Expr::Random { .. } => bad = Some(("a random draw".into(), String::new())),
            _ => {}
        }
    });
    let what = if whole {
        "projection-wide (one value for the projection)"
    } else {
        "postsynaptic (one value per post-synaptic neuron)"
    };
    match bad {
        Some((b, read)) => Err(ctx.err_at(
            written_at(st, &read, false).unwrap_or(at),
            format!("'{name}' is {what}: its equation cannot read {b}"),
        )),
        None => Ok(e.clone()),
    }
}

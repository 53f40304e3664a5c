//! Declarations: the parameters, then the variables the equations assign,
//! in one pass shared by neurons and synapses ([`declare`]; what differs
//! between them is a [`Rules`]).

use std::collections::HashMap;

use super::resolve::{ast_pos, check_name};
use super::{Ctx, Names};
use crate::error::Result;
use crate::lang::ast::{AssignOp, Ast, Flag, Pos, Statement};
use crate::lang::ir::{Expr, Guard, Locality, ValueType, VarDecl, VarKind};

impl Ctx<'_> {
    /// Declares the parameters (`name = value : flags`); a neuron's
    /// population-wide ones take `population`, a synapse's projection-wide
    /// ones `projection` (or `postsynaptic`).
    pub(super) fn parse_parameters(&mut self, text: &str) -> Result<()> {
        let synapse = self.synapse;
        self.section = "parameters";
        for st in self.statements(text, false)? {
            let (name, at) = match &st.lhs {
                Some(Ast::Name(n, at)) if !n.contains('.') => (n.clone(), *at),
                _ => {
                    return Err(self.err_at(st.pos, "a parameter is written 'name = value : flags'"))
                }
            };
            if st.op != AssignOp::Set {
                return Err(self.err_at(at, "a parameter is set with '='"));
            }
            check_name(self, &name, at)?;
            if self.slot(&name).is_some() {
                return Err(self.err_at(at, format!("'{name}' is declared twice")));
            }
            let mut locality = Locality::Local;
            let mut ty = ValueType::Float;
            for f in &st.flags {
                match f {
                    Flag::Word(w, _) if w == "population" && !synapse => {
                        locality = Locality::Global
                    }
                    Flag::Word(w, _) if (w == "projection" || w == "postsynaptic") && synapse => {
                        locality = Locality::Global
                    }
                    Flag::Word(w, _) if w == "int" => ty = ValueType::Int,
                    Flag::Word(w, _) if w == "bool" => ty = ValueType::Bool,
                    Flag::Word(w, _) if w == "float" => ty = ValueType::Float,
                    Flag::Word(w, at) | Flag::Value(w, _, at) => {
                        let allowed = if synapse {
                            "projection, int, bool, float"
                        } else {
                            "population, int, bool, float"
                        };
                        return Err(self.err_at(
                            *at,
                            format!("unknown flag '{w}' for a parameter (allowed: {allowed})"),
                        ));
                    }
                }
            }
            // The weight of a synapse is its own (checked here, where the
            // flag is written).
            if synapse && name == "w" && locality == Locality::Global {
                let flag = st
                    .flags
                    .iter()
                    .find(|f| matches!(f.name(), "projection" | "postsynaptic"));
                return Err(self.err_at(
                    flag.map_or(at, |f| f.pos()),
                    "'w' is the weight of each synapse: it cannot be shared by the projection",
                ));
            }
            let init = ty.hold(self.constant(&st.rhs, ast_pos(&st.rhs).unwrap_or(st.pos))?);
            self.add_var(VarDecl {
                name,
                kind: VarKind::Parameter,
                locality,
                ty,
                init,
                shared: false,
                init_from: None,
            });
        }
        Ok(())
    }
}

/// What an equation assigns.
pub(super) struct Lhs {
    /// The variable.
    pub(super) name: String,
    /// Where it is named, for errors.
    pub(super) at: Pos,
    /// Whether the equation is an ODE (holds `d<name>/dt`).
    pub(super) is_ode: bool,
}

/// What an equation or reset statement assigns: a plain name, or the
/// variable whose derivative it holds (on either side).
pub(super) fn lhs_name(ctx: &Ctx, st: &Statement) -> Result<Lhs> {
    let lhs = match &st.lhs {
        Some(Ast::Name(n, at)) => {
            return Ok(Lhs {
                name: n.clone(),
                at: *at,
                is_ode: false,
            })
        }
        Some(lhs) => lhs,
        None => return Err(ctx.err_at(st.pos, "expected an assignment")),
    };
    let mut derivs = Vec::new();
    for side in [lhs, &st.rhs] {
        side.walk(&mut |a| {
            if let Ast::Deriv(v, at) = a {
                derivs.push((v.clone(), *at))
            }
        });
    }
    match derivs.first() {
        Some((v, at)) => {
            // `dW/dt` where `dW` is a name known here (a parameter, an
            // earlier variable, a constant, dt) is a division, which the
            // resolver reads as such (`dv/dt = -v + dist / dt`).
            let division = |w: &str| {
                let num = format!("d{w}");
                num == "dt"
                    || ctx.slot(&num).is_some()
                    || ctx.globals.constant_index(&num).is_some()
            };
            if let Some((w, at2)) = derivs.iter().find(|(w, _)| w != v && !division(w)) {
                return Err(ctx.err_at(*at2, format!("an equation holds the derivative of one variable, found d{v}/dt and d{w}/dt")));
            }
            Ok(Lhs {
                name: v.clone(),
                at: *at,
                is_ode: true,
            })
        }
        None => Err(ctx.err_at(
            st.pos,
            "the left-hand side must be a variable name or contain dX/dt",
        )),
    }
}

/// What the equations of a neuron and of a synapse do differently; the
/// passes over them ([`declare`] and
/// [`translate`](super::equations::translate)) are shared.
pub(super) trait Rules {
    /// The error for an equation that assigns `name`, a `pre.`/`post.` name.
    fn dotted(&self, name: &str) -> String;

    /// The kind of a variable first declared by an equation.
    fn kind(&self, name: &str) -> VarKind;

    /// Reads the flags that share the variable of `st` (declared in `slot`)
    /// among neurons or synapses.
    fn share(&mut self, ctx: &mut Ctx, st: &Statement, lhs: &Lhs, slot: usize) -> Result<()>;

    /// Translates an equation that the shared pass leaves out (a synapse's
    /// event-driven ODEs); true when it did.
    fn take(&mut self, _ctx: &Ctx, _st: &Statement, _lhs: &Lhs, _slot: u32) -> Result<bool> {
        Ok(false)
    }

    /// When the integrated value of the ODE of `slot` is stored.
    fn guard(&self, _ctx: &Ctx, _slot: u32) -> Guard {
        Guard::Always
    }

    /// Checks an expression (value, min or max) of the equation of a shared
    /// variable, which must be the same for all that share it.
    fn shared(&self, ctx: &Ctx, e: Expr, st: &Statement, lhs: &Lhs, slot: u32) -> Result<Expr>;

    /// When the equation of `slot` runs within a step: equations run group
    /// by group, lowest first, and in their written order within a group.
    /// ANNarchy updates the variables shared by the whole population or
    /// projection first, then (synapses) those shared by a post-synaptic
    /// neuron's synapses, then the per-element ones, each group in a loop
    /// of its own; so a per-neuron equation reads a population variable's
    /// value of this step even when that variable's equation is written
    /// below it.
    fn group(&self, ctx: &Ctx, slot: u32) -> u8;
}

/// Declares every variable the equations assign before any is translated,
/// so that an equation may read a variable defined further down (it sees
/// that variable's value from the previous step); returns what each
/// equation assigns.
pub(super) fn declare(ctx: &mut Ctx, eqs: &[Statement], rules: &mut dyn Rules) -> Result<Vec<Lhs>> {
    let mut all = Vec::new();
    for st in eqs {
        let lhs = lhs_name(ctx, st)?;
        let (name, at) = (&lhs.name, lhs.at);
        if name.contains('.') {
            return Err(ctx.err_at(at, rules.dotted(name)));
        }
        check_name(ctx, name, at)?;
        let slot = match ctx.slot(name) {
            Some(s) if ctx.vars[s as usize].kind == VarKind::Parameter => {
                return Err(ctx.err_at(
                    at,
                    format!("'{name}' is a parameter; it cannot be assigned in the equations"),
                ))
            }
            Some(s) => s as usize,
            None => ctx.push_var(name, rules.kind(name)) as usize,
        };
        rules.share(ctx, st, &lhs, slot)?;
        all.push(lhs);
    }
    Ok(all)
}

/// Whether `st` has the flag `word`.
pub(super) fn has_flag(st: &Statement, word: &str) -> bool {
    flag_pos(st, word).is_some()
}

/// Where `st` has the flag `word`, if it has.
pub(super) fn flag_pos(st: &Statement, word: &str) -> Option<Pos> {
    st.flags.iter().find_map(|f| match f {
        Flag::Word(w, at) if w == word => Some(*at),
        _ => None,
    })
}

/// The `min` and `max` flags of `st`, an event statement (`w += 0.1 :
/// min = 0.0, max = w_max`), which bound the value it stores as ANNarchy's
/// do; any other flag is an error naming `what` the statement is.
pub(super) fn bounds(
    ctx: &Ctx,
    st: &Statement,
    what: &str,
) -> Result<(Option<Expr>, Option<Expr>)> {
    let (mut min, mut max) = (None, None);
    for f in &st.flags {
        match f {
            Flag::Value(n, v, at) if n == "min" || n == "max" => {
                let e = Some(ctx.resolve(v, *at, &HashMap::new())?);
                if n == "min" {
                    min = e;
                } else {
                    max = e;
                }
            }
            f => return Err(ctx.err_at(f.pos(), format!("{what} takes no flags but min and max"))),
        }
    }
    Ok((min, max))
}

/// Adds to `out` (once each) what `pred` makes of the names in `asts`.
pub(super) fn collect_names(asts: &[&Ast], pred: &dyn Fn(&str) -> Option<String>, out: &mut Names) {
    for a in asts {
        a.walk(&mut |n| {
            if let Ast::Name(s, _) = n {
                if let Some(v) = pred(s) {
                    out.add(&v);
                }
            }
        });
    }
}

/// Where `read` (a name, or the target of a sum) is written in `st`, if
/// there rather than inside a user function.
pub(super) fn written_at(st: &Statement, read: &str, is_sum: bool) -> Option<Pos> {
    let mut at = None;
    let mut asts: Vec<&Ast> = st.lhs.iter().chain([&st.rhs]).collect();
    for f in &st.flags {
        if let Flag::Value(_, v, _) = f {
            asts.push(v);
        }
    }
    for a in asts {
        a.walk(&mut |n| match n {
            Ast::Name(s, c) if !is_sum && at.is_none() && *s == read => at = Some(*c),
            Ast::Call(f, args, c) if is_sum && at.is_none() && f == "sum" => {
                if matches!(args.as_slice(), [Ast::Name(t, _)] if *t == read) {
                    at = Some(*c)
                }
            }
            _ => {}
        });
    }
    at
}

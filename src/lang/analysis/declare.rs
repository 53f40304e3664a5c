//! Declarations: the parameters, then the variables the equations assign,
//! in one pass shared by neurons and synapses ([`declare`]; what differs
//! between them is a [`Rules`]).

use super::resolve::{ast_col, check_name};
use super::{Ctx, Names};
use crate::error::Result;
use crate::lang::ast::{AssignOp, Ast, Flag, Statement};
use crate::lang::ir::{Expr, Guard, Locality, ValueType, VarDecl, VarKind};

impl Ctx<'_> {
    /// Declares the parameters (`name = value : flags`); a neuron's
    /// population-wide ones take `population`, a synapse's projection-wide
    /// ones `projection` (or `postsynaptic`).
    pub(super) fn parse_parameters(&mut self, text: &str) -> Result<()> {
        let synapse = self.synapse;
        self.section = "parameters";
        for st in self.statements(text, false)? {
            let (name, col) = match &st.lhs {
                Some(Ast::Name(n, c)) if !n.contains('.') => (n.clone(), *c),
                _ => {
                    return Err(self.err(
                        st.line,
                        1,
                        "a parameter is written 'name = value : flags'",
                    ))
                }
            };
            if st.op != AssignOp::Set {
                return Err(self.err(st.line, col, "a parameter is set with '='"));
            }
            check_name(self, &name, st.line, col)?;
            if self.slot(&name).is_some() {
                return Err(self.err(st.line, col, format!("'{name}' is declared twice")));
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
                    Flag::Word(w, c) | Flag::Value(w, _, c) => {
                        let allowed = if synapse {
                            "projection, int, bool, float"
                        } else {
                            "population, int, bool, float"
                        };
                        return Err(self.err(
                            st.line,
                            *c,
                            format!("unknown flag '{w}' for a parameter (allowed: {allowed})"),
                        ));
                    }
                }
            }
            let mut init = self.constant(&st.rhs, st.line, ast_col(&st.rhs))?;
            match ty {
                ValueType::Int => init = init.round(),
                ValueType::Bool => init = if init != 0.0 { 1.0 } else { 0.0 },
                ValueType::Float => {}
            }
            self.add_var(VarDecl {
                name,
                kind: VarKind::Parameter,
                locality,
                ty,
                init,
                shared: false,
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
    pub(super) col: usize,
    /// Whether the equation is an ODE (holds `d<name>/dt`).
    pub(super) is_ode: bool,
}

/// What an equation or reset statement assigns: a plain name, or the
/// variable whose derivative it holds (on either side).
pub(super) fn lhs_name(ctx: &Ctx, st: &Statement) -> Result<Lhs> {
    let lhs = match &st.lhs {
        Some(Ast::Name(n, c)) => {
            return Ok(Lhs {
                name: n.clone(),
                col: *c,
                is_ode: false,
            })
        }
        Some(lhs) => lhs,
        None => return Err(ctx.err(st.line, 1, "expected an assignment")),
    };
    let mut derivs = Vec::new();
    for side in [lhs, &st.rhs] {
        side.walk(&mut |a| {
            if let Ast::Deriv(v, c) = a {
                derivs.push((v.clone(), *c))
            }
        });
    }
    match derivs.first() {
        Some((v, c)) => {
            if let Some((w, c2)) = derivs.iter().find(|(w, _)| w != v) {
                return Err(ctx.err(st.line, *c2, format!("an equation holds the derivative of one variable, found d{v}/dt and d{w}/dt")));
            }
            Ok(Lhs {
                name: v.clone(),
                col: *c,
                is_ode: true,
            })
        }
        None => Err(ctx.err(
            st.line,
            1,
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
}

/// Declares every variable the equations assign before any is translated,
/// so that an equation may read a variable defined further down (it sees
/// that variable's value from the previous step); returns what each
/// equation assigns.
pub(super) fn declare(ctx: &mut Ctx, eqs: &[Statement], rules: &mut dyn Rules) -> Result<Vec<Lhs>> {
    let mut all = Vec::new();
    for st in eqs {
        let lhs = lhs_name(ctx, st)?;
        let (name, col) = (&lhs.name, lhs.col);
        if name.contains('.') {
            return Err(ctx.err(st.line, col, rules.dotted(name)));
        }
        check_name(ctx, name, st.line, col)?;
        let slot = match ctx.slot(name) {
            Some(s) if ctx.vars[s as usize].kind == VarKind::Parameter => {
                return Err(ctx.err(
                    st.line,
                    col,
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
    st.flags
        .iter()
        .any(|f| matches!(f, Flag::Word(w, _) if w == word))
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

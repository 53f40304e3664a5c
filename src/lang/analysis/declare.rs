//! Declarations: parameters, the variables the equations assign, and the
//! flags of an equation.

use std::collections::HashMap;

use super::methods::Method;
use super::resolve::{ast_col, check_name};
use super::Ctx;
use crate::error::Result;
use crate::lang::ast::{AssignOp, Ast, Flag, Statement};
use crate::lang::ir::{Expr, Locality, ValueType, VarDecl, VarKind};

impl Ctx<'_> {
    pub(super) fn parse_parameters(&mut self, text: &str, synapse: bool) -> Result<()> {
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
            self.vars.push(VarDecl {
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

pub(super) fn lhs_name(ctx: &Ctx, st: &Statement) -> Result<(String, usize, bool)> {
    // Returns (variable, column, is_ode).
    match &st.lhs {
        Some(Ast::Name(n, c)) => Ok((n.clone(), *c, false)),
        Some(lhs) => {
            let mut derivs = Vec::new();
            lhs.walk(&mut |a| {
                if let Ast::Deriv(v, c) = a {
                    derivs.push((v.clone(), *c))
                }
            });
            st.rhs.walk(&mut |a| {
                if let Ast::Deriv(v, c) = a {
                    derivs.push((v.clone(), *c))
                }
            });
            match derivs.first() {
                Some((v, c)) => {
                    if let Some((w, c2)) = derivs.iter().find(|(w, _)| w != v) {
                        return Err(ctx.err(st.line, *c2, format!("an equation holds the derivative of one variable, found d{v}/dt and d{w}/dt")));
                    }
                    Ok((v.clone(), *c, true))
                }
                None => Err(ctx.err(
                    st.line,
                    1,
                    "the left-hand side must be a variable name or contain dX/dt",
                )),
            }
        }
        None => Err(ctx.err(st.line, 1, "expected an assignment")),
    }
}

pub(super) struct EqFlags {
    pub(super) init: Option<f32>,
    pub(super) min: Option<Expr>,
    pub(super) max: Option<Expr>,
    pub(super) method: Method,
}

pub(super) fn eq_flags(ctx: &Ctx, st: &Statement, default: Method) -> Result<EqFlags> {
    let mut fl = EqFlags {
        init: None,
        min: None,
        max: None,
        method: default,
    };
    for f in &st.flags {
        match f {
            Flag::Value(n, v, c) => match n.as_str() {
                "init" => fl.init = Some(ctx.constant(v, st.line, *c)?),
                "min" => fl.min = Some(ctx.resolve(v, st.line, &HashMap::new())?),
                "max" => fl.max = Some(ctx.resolve(v, st.line, &HashMap::new())?),
                _ => {
                    return Err(ctx.err(
                        st.line,
                        *c,
                        format!("unknown flag '{n} = ...' (allowed: init, min, max)"),
                    ))
                }
            },
            Flag::Word(w, c) => {
                fl.method = match w.as_str() {
                    "explicit" | "euler" => Method::Explicit,
                    "exponential" => Method::Exponential,
                    "midpoint" => Method::Midpoint,
                    "rk4" => Method::Rk4,
                    "implicit" => Method::Implicit,
                    // Recorded when the variable is declared (VarDecl::shared).
                    "population" if !ctx.synapse => fl.method,
                    "postsynaptic" if ctx.synapse => fl.method,
                    // Handled by the synapse analysis (integrated at events).
                    "event-driven" if ctx.synapse => fl.method,
                    "population" => {
                        return Err(ctx.err(st.line, *c, "'population' is a flag of neuron models; a synapse variable shared by the synapses of a post-synaptic neuron takes 'postsynaptic'"))
                    }
                    "projection" if ctx.synapse => fl.method,
                    "projection" | "postsynaptic" => {
                        return Err(ctx.err(st.line, *c, format!("'{w}' is a flag of synapse models; a neuron variable shared by the whole population takes 'population'")))
                    }
                    "int" | "bool" | "float" => fl.method,
                    _ => return Err(ctx.err(st.line, *c, format!("unknown flag '{w}' (allowed: init, min, max, population, explicit, exponential, midpoint, rk4, implicit)"))),
                };
            }
        }
    }
    Ok(fl)
}

pub(super) fn collect_names(
    asts: &[&Ast],
    pred: &dyn Fn(&str) -> Option<String>,
    out: &mut Vec<String>,
) {
    for a in asts {
        a.walk(&mut |n| {
            if let Ast::Name(s, _) = n {
                if let Some(v) = pred(s) {
                    if !out.contains(&v) {
                        out.push(v);
                    }
                }
            }
        });
    }
}

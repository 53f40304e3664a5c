//! What every model of a network may read besides its own names: the
//! network's constants (ANNarchy's `Constant`) and functions (its
//! `add_function`).
//!
//! A constant resolves to [`Expr::Constant`], an index the engines look
//! up at run time, so that changing its value after compilation needs no
//! rebuild. A network function is inlined at each call, as a model's own
//! functions are; it may read only its arguments, so that it means the
//! same in every model and can be evaluated on the host.

use std::collections::HashMap;

use super::resolve::{Arg, UserFn};
use super::Ctx;
use crate::error::{Error, Result};
use crate::lang::ast::Ast;
use crate::lang::ir::{Expr, Func, RandomKind};

/// Owner named in errors about the network's functions and constants.
const OWNER: &str = "network";

/// The most constants a network may declare: the engines read them from
/// every kernel's scalar frame (u16 indices on the CPU) and every step's
/// clock block (a uniform binding of at least 16 KiB on any adapter).
pub const MAX_CONSTANTS: usize = 2048;

/// The network's constants and functions, as the analysis reads them.
#[derive(Debug, Clone, Default)]
pub struct Globals {
    /// Name and compiled value of each constant, in declaration order (the
    /// index is what [`Expr::Constant`] holds).
    constants: Vec<(String, f64)>,
    /// The index of each constant by name (every name a model does not
    /// declare is looked up here).
    constant_index: HashMap<String, usize>,
    /// The functions, in declaration order.
    functions: Vec<GlobalFn>,
    /// The precision the network computes in: every number of a model is
    /// one it holds (checked where it is written).
    pub(crate) dtype: crate::real::Dtype,
}

/// One network function.
#[derive(Debug, Clone)]
struct GlobalFn {
    name: String,
    args: Vec<String>,
    body: Ast,
    /// The body with argument `i` as `Expr::Var(i)`.
    expr: Expr,
}

impl Globals {
    /// Declares a constant, or changes the value of one already declared
    /// (models read the value at run time, so every model sees the last
    /// one given before compilation). Returns its index.
    pub fn set_constant(&mut self, name: &str, value: f64) -> Result<usize> {
        let valid = name.chars().next().is_some_and(|c| c.is_alphabetic())
            && name.chars().all(|c| c.is_alphanumeric() || c == '_');
        if !valid {
            return Err(Error::invalid(
                OWNER,
                format!(
                    "'{name}' is not a valid constant name (a letter, then letters, digits or '_')"
                ),
            ));
        }
        if super::resolve::is_reserved(name) {
            return Err(Error::invalid(
                OWNER,
                format!("'{name}' is a reserved name and cannot be a constant"),
            ));
        }
        let value = self
            .dtype
            .fit(value)
            .map_err(|why| Error::invalid(OWNER, format!("the constant '{name}': {why}")))?;
        if let Some(i) = self.constant_index(name) {
            self.constants[i].1 = value;
            return Ok(i);
        }
        if self.constants.len() >= MAX_CONSTANTS {
            return Err(Error::invalid(
                OWNER,
                format!("cannot declare '{name}': a network has at most {MAX_CONSTANTS} constants (every kernel's frame holds them all)"),
            ));
        }
        self.constants.push((name.to_string(), value));
        self.constant_index
            .insert(name.to_string(), self.constants.len() - 1);
        Ok(self.constants.len() - 1)
    }

    /// The index of a constant.
    pub fn constant_index(&self, name: &str) -> Option<usize> {
        self.constant_index.get(name).copied()
    }

    /// The constants' names and values, in declaration order.
    pub fn constants(&self) -> &[(String, f64)] {
        &self.constants
    }

    /// The constants' names, in declaration order.
    pub fn constant_names(&self) -> Vec<&str> {
        self.constants.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// The constants' values, in declaration order.
    pub fn constant_values(&self) -> Vec<f64> {
        self.constants.iter().map(|(_, v)| *v).collect()
    }

    /// Names of the functions, in declaration order.
    pub fn function_names(&self) -> Vec<&str> {
        self.functions.iter().map(|f| f.name.as_str()).collect()
    }

    /// A function's arguments and body (argument `i` is `Expr::Var(i)`).
    pub fn function(&self, name: &str) -> Option<(&[String], &Expr)> {
        self.functions
            .iter()
            .find(|f| f.name == name)
            .map(|f| (f.args.as_slice(), &f.expr))
    }

    /// Declares functions, one `name(x, y) = expression` a line, as a
    /// model's `functions` section. Each may call the built-in functions
    /// and the network functions declared before it (or above it in the
    /// same text), and read only its arguments. Nothing is declared if
    /// any line is wrong. Returns the names declared.
    pub fn add_functions(&mut self, text: &str) -> Result<Vec<String>> {
        let mut ctx = Ctx::new(OWNER, self, false);
        ctx.section = "functions";
        let mut added: Vec<GlobalFn> = Vec::new();
        for st in ctx.statements(text, false)? {
            let (name, uf, at) = ctx.function_of(&st)?;
            if ctx.functions.contains_key(&name) {
                return Err(
                    ctx.err_at(at, format!("network function '{name}' is already declared"))
                );
            }
            check_reads(&ctx, &name, &uf, &uf.body)?;
            let args: HashMap<String, Arg> = uf
                .args
                .iter()
                .enumerate()
                .map(|(i, a)| (a.clone(), Arg::new(Expr::Var(i as u32))))
                .collect();
            let expr = ctx.resolve(&uf.body, st.pos, &args)?;
            if expr.any(&|e| matches!(e, Expr::Random { .. })) {
                return Err(ctx.err_at(
                    at,
                    format!("network function '{name}' draws random numbers; a network function is a pure function of its arguments (draw in the model instead)"),
                ));
            }
            added.push(GlobalFn {
                name: name.clone(),
                args: uf.args.clone(),
                body: uf.body.clone(),
                expr,
            });
            ctx.functions.insert(name, uf);
        }
        drop(ctx);
        let names = added.iter().map(|f| f.name.clone()).collect();
        self.functions.extend(added);
        Ok(names)
    }

    /// The functions as a model's context holds them.
    pub(super) fn user_functions(&self) -> HashMap<String, UserFn> {
        self.functions
            .iter()
            .map(|f| {
                (
                    f.name.clone(),
                    UserFn {
                        args: f.args.clone(),
                        body: f.body.clone(),
                        own: false,
                    },
                )
            })
            .collect()
    }
}

/// An error if the body of function `name` reads a name other than its
/// arguments (and `pi`, `true`, `false`): in a model it would otherwise
/// read that model's variable of the name, a different meaning in each.
fn check_reads(ctx: &Ctx, name: &str, uf: &UserFn, a: &Ast) -> Result<()> {
    match a {
        Ast::Num(..) => Ok(()),
        Ast::Name(n, at) => {
            let fixed = ["pi", "true", "false", "True", "False"];
            if uf.args.iter().any(|x| x == n) || fixed.contains(&n.as_str()) {
                Ok(())
            } else {
                Err(ctx.err_at(
                    *at,
                    format!("network function '{name}' reads '{n}', which is not one of its arguments ({}); a network function reads only its arguments", uf.args.join(", ")),
                ))
            }
        }
        Ast::Deriv(v, at) => Err(ctx.err_at(*at, format!("d{v}/dt cannot appear in a function"))),
        Ast::Unary(_, x) => check_reads(ctx, name, uf, x),
        Ast::Binary(_, x, y) => {
            check_reads(ctx, name, uf, x)?;
            check_reads(ctx, name, uf, y)
        }
        Ast::If(c, x, y) => {
            check_reads(ctx, name, uf, c)?;
            check_reads(ctx, name, uf, x)?;
            check_reads(ctx, name, uf, y)
        }
        Ast::Call(f, args, at) => {
            if f == "sum" {
                return Err(ctx.err_at(
                    *at,
                    format!("network function '{name}' reads sum(); a network function reads only its arguments"),
                ));
            }
            let known = Func::lookup(f).is_some()
                || RandomKind::lookup(f).is_some()
                || ctx.functions.contains_key(f);
            if !known {
                return Err(ctx.err_at(
                    *at,
                    format!("unknown function '{f}' (a network function may call the built-in functions and the network functions declared before it)"),
                ));
            }
            args.iter().try_for_each(|x| check_reads(ctx, name, uf, x))
        }
    }
}

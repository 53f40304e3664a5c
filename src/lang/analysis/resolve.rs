//! Name and call resolution: AST -> IR expressions, user functions inlined.

use std::collections::HashMap;

use super::algebra::eval_const;
use super::Ctx;
use crate::error::{Error, Result};
use crate::lang::ast::{Ast, BinOp, Pos, Statement};
use crate::lang::ir::{Expr, Func, RandomKind, VarKind};

// User functions may call each other, up to this depth.
const MAX_INLINE_DEPTH: usize = 32;
// Limits on one resolved expression, so that the recursive passes over it
// (here and in the engines) cannot overflow the stack, and user functions
// calling each other cannot expand exponentially.
const MAX_EXPR_HEIGHT: usize = 256;
pub(super) const MAX_EXPR_NODES: usize = 100_000;

/// A user function: `name(args) = body`.
pub(super) struct UserFn {
    pub(super) args: Vec<String>,
    pub(super) body: Ast,
    /// Whether the model declares it (its body is the model's functions
    /// section), rather than the network.
    pub(super) own: bool,
}

impl Ctx<'_> {
    /// Parses `name(a, b) = body` lines; a model's function hides a
    /// network function of the same name.
    pub(super) fn parse_functions(&mut self, text: &str) -> Result<()> {
        self.section = "functions";
        for st in self.statements(text, false)? {
            let (name, mut uf, _) = self.function_of(&st)?;
            uf.own = true;
            self.functions.insert(name, uf);
        }
        Ok(())
    }

    /// The function a `name(a, b) = body` statement defines (a network's
    /// until the caller says otherwise), with where its name is written.
    pub(super) fn function_of(&self, st: &Statement) -> Result<(String, UserFn, Pos)> {
        let (name, args, at) = match &st.lhs {
            Some(Ast::Call(n, args, at)) => (n.clone(), args, *at),
            _ => return Err(self.err_at(st.pos, "a function is written 'name(x, y) = expression'")),
        };
        let mut names: Vec<String> = Vec::new();
        for a in args {
            match a {
                Ast::Name(n, pos) if names.contains(n) => {
                    return Err(self.err_at(
                        *pos,
                        format!("function '{name}' names its argument '{n}' twice"),
                    ))
                }
                Ast::Name(n, _) => names.push(n.clone()),
                a => {
                    return Err(self.err_at(
                        ast_pos(a).unwrap_or(at),
                        format!("the arguments of function '{name}' must be plain names"),
                    ))
                }
            }
        }
        if Func::lookup(&name).is_some() || RandomKind::lookup(&name).is_some() || name == "sum" {
            return Err(self.err_at(
                at,
                format!("'{name}' is a built-in function and cannot be redefined"),
            ));
        }
        let uf = UserFn {
            args: names,
            body: st.rhs.clone(),
            own: false,
        };
        Ok((name, uf, at))
    }

    /// Evaluates a constant expression (parameter values, init flags)
    /// written at `at`.
    pub(super) fn constant(&self, ast: &Ast, at: Pos) -> Result<f64> {
        let e = self.resolve(ast, at, &HashMap::new())?;
        if !is_constant(&e) {
            return Err(self.err_at(
                self.first_variable(ast).unwrap_or(at),
                "a constant value is expected here (numbers, constants and parameters only)",
            ));
        }
        Ok(eval_const(
            &e,
            &self.vars,
            self.globals.constants(),
            self.globals.dtype,
        ))
    }

    /// Where `ast` first reads something that is not constant (a name such
    /// as `t`, a random draw, a sum, a call of a function that reads one).
    fn first_variable(&self, ast: &Ast) -> Option<Pos> {
        let mut found = None;
        ast.walk(&mut |a| {
            if found.is_some() {
                return;
            }
            let (at, lone) = match a {
                Ast::Name(_, at) => (*at, a),
                Ast::Call(f, _, at) if Func::lookup(f).is_none() => (*at, a),
                _ => return,
            };
            let bad = self
                .resolve(lone, at, &HashMap::new())
                .map_or(true, |e| !is_constant(&e));
            if bad {
                found = Some(at);
            }
        });
        found
    }

    /// Resolves an expression of a statement written at `at` (where an
    /// error is reported when no name of the expression tells better);
    /// `args` maps user-function arguments to values.
    pub(super) fn resolve(&self, ast: &Ast, at: Pos, args: &HashMap<String, Arg>) -> Result<Expr> {
        self.nodes.set(0);
        self.calls.borrow_mut().clear();
        self.relocated.set(false);
        self.resolve_inner(ast, at, args, 0)
    }

    fn too_big(&self, at: Pos, ast: &Ast) -> Error {
        self.err_at(ast_pos(ast).unwrap_or(at), format!("expression too large (more than {MAX_EXPR_HEIGHT} levels or {MAX_EXPR_NODES} terms once user functions are expanded)"))
    }

    /// Recursive part of [`resolve`](Self::resolve); `level` is the height of
    /// the expression being built above this node. The arms that do not
    /// recurse through operators live in their own functions so that this
    /// frame stays small.
    fn resolve_inner(
        &self,
        ast: &Ast,
        at: Pos,
        args: &HashMap<String, Arg>,
        level: usize,
    ) -> Result<Expr> {
        self.nodes.set(self.nodes.get() + 1);
        if level >= MAX_EXPR_HEIGHT || self.nodes.get() > MAX_EXPR_NODES {
            return Err(self.too_big(at, ast));
        }
        let l = level + 1;
        Ok(match ast {
            Ast::Num(v, pos) => {
                // A number the network's precision cannot hold is refused
                // where it is written, not folded into a wrong model.
                let v = self
                    .globals
                    .dtype
                    .fit(*v)
                    .map_err(|why| self.err_at(*pos, format!("the number '{v:e}': {why}")))?;
                Expr::Const(v)
            }
            Ast::Name(n, pos) => return self.resolve_name(n, *pos, args, level),
            Ast::Deriv(v, pos) => {
                // Outside the equation of `v`, `dX / dt` where `dX` is a
                // name the model knows is a division (`dist / dt`, `dt /
                // dt`), as ANNarchy reads it; the parser cannot tell.
                let num = format!("d{v}");
                let known = args.contains_key(&num)
                    || num == "dt"
                    || self.slot(&num).is_some()
                    || self.globals.constant_index(&num).is_some();
                if known {
                    let n = self.resolve_name(&num, *pos, args, l)?;
                    return Ok(Expr::bin(BinOp::Div, n, Expr::Dt));
                }
                return Err(self.err_at(
                    *pos,
                    format!("d{v}/dt can only appear in an equation of '{v}'"),
                ));
            }
            Ast::Unary(op, a) => Expr::Unary(*op, Box::new(self.resolve_inner(a, at, args, l)?)),
            Ast::Binary(op, a, b) => Expr::bin(
                *op,
                self.resolve_inner(a, at, args, l)?,
                self.resolve_inner(b, at, args, l)?,
            ),
            Ast::If(c, a, b) => Expr::Select(
                Box::new(self.resolve_inner(c, at, args, l)?),
                Box::new(self.resolve_inner(a, at, args, l)?),
                Box::new(self.resolve_inner(b, at, args, l)?),
            ),
            Ast::Call(name, call_args, pos) => {
                return self.resolve_call(name, call_args, *pos, args, level)
            }
        })
    }

    #[inline(never)]
    fn resolve_name(
        &self,
        n: &str,
        at: Pos,
        args: &HashMap<String, Arg>,
        level: usize,
    ) -> Result<Expr> {
        if let Some(a) = args.get(n) {
            self.nodes.set(self.nodes.get() + a.size);
            if level + a.height > MAX_EXPR_HEIGHT || self.nodes.get() > MAX_EXPR_NODES {
                return Err(self.err_at(at, format!("expression too large (more than {MAX_EXPR_HEIGHT} levels or {MAX_EXPR_NODES} terms once user functions are expanded)")));
            }
            return Ok(a.expr.clone());
        }
        match n {
            "t" => return Ok(Expr::Time),
            "dt" => return Ok(Expr::Dt),
            "pi" => return Ok(Expr::Const(self.globals.dtype.round(std::f64::consts::PI))),
            "true" | "True" => return Ok(Expr::Const(1.0)),
            "false" | "False" => return Ok(Expr::Const(0.0)),
            _ => {}
        }
        if let Some(s) = self.slot(n) {
            return Ok(Expr::Var(s));
        }
        if n == "t_last" && !self.synapse {
            // Declared by the analysis of a spiking neuron that reads it.
            return match self.slot(super::SPIKE_TIME) {
                Some(s) => Ok(Expr::Var(s)),
                None => Err(self.err_at(
                    at,
                    "t_last is the time of a spiking neuron's last spike: a rate-coded neuron has none",
                )),
            };
        }
        if let Some(k) = self.globals.constant_index(n) {
            return Ok(Expr::Constant(k as u32));
        }
        if self.synapse {
            let spike_time = match n {
                "t_pre" => Some((&self.pre_refs, true)),
                "t_post" => Some((&self.post_refs, false)),
                _ => None,
            };
            if let Some((refs, pre)) = spike_time {
                if let Some(i) = refs.get(super::synapse::SPIKE_TIME) {
                    return Ok(if pre { Expr::Pre(i) } else { Expr::Post(i) });
                }
            }
            if let Some(v) = n.strip_prefix("pre.") {
                let i = self.pre_refs.get(v).ok_or_else(|| {
                    self.err_at(at, format!("pre.{v} can only be read in psp and pre_spike"))
                })?;
                return Ok(Expr::Pre(i));
            }
            if let Some(v) = n.strip_prefix("post.") {
                let i = self.post_refs.get(v).ok_or_else(|| {
                    self.err_at(
                        at,
                        format!("post.{v} can only be read in psp and pre_spike"),
                    )
                })?;
                return Ok(Expr::Post(i));
            }
        }
        let known: Vec<&str> = self
            .vars
            .iter()
            .filter(|v| v.kind != VarKind::Hidden)
            .map(|v| v.name.as_str())
            .collect();
        Err(self.err_at(
            at,
            format!(
                "unknown name '{n}' (the model has: {})",
                if known.is_empty() {
                    "nothing".to_string()
                } else {
                    crate::error::list(&known)
                }
            ),
        ))
    }

    fn resolve_args(
        &self,
        call_args: &[Ast],
        at: Pos,
        args: &HashMap<String, Arg>,
        level: usize,
    ) -> Result<Vec<Expr>> {
        call_args
            .iter()
            .map(|x| self.resolve_inner(x, at, args, level + 1))
            .collect()
    }

    /// `sum(target)`: what the projections of that target add up.
    fn resolve_sum(&self, call_args: &[Ast], at: Pos) -> Result<Expr> {
        if self.synapse {
            return Err(self.err_at(at, "sum(target) is only available in neuron models (a synapse's psp is what the sum adds up)"));
        }
        match call_args {
            [Ast::Name(t, _)] => {
                let i = self.targets.get(t).ok_or_else(|| {
                    self.err_at(
                        at,
                        format!("sum({t}) cannot be used here (only in the equations)"),
                    )
                })?;
                Ok(Expr::Sum(i))
            }
            _ => Err(self.err_at(at, "sum() takes one target name, e.g. sum(exc)")),
        }
    }

    /// Checks a call of the user function `uf` (its arity, recursion and
    /// depth); returns whether it is the outermost one being expanded.
    fn check_call(&self, name: &str, uf: &UserFn, n_args: usize, at: Pos) -> Result<bool> {
        if n_args != uf.args.len() {
            return Err(self.err_at(
                at,
                format!("{name}() takes {} argument(s), got {n_args}", uf.args.len()),
            ));
        }
        let calls = self.calls.borrow();
        if calls.iter().any(|c| c == name) {
            let chain: Vec<&str> = calls.iter().map(String::as_str).chain([name]).collect();
            return Err(self.err_at(
                at,
                format!(
                    "function '{name}' calls itself ({}); user functions cannot be recursive",
                    chain.join(" -> ")
                ),
            ));
        }
        if calls.len() >= MAX_INLINE_DEPTH {
            return Err(self.err_at(
                at,
                format!("user functions call each other more than {MAX_INLINE_DEPTH} levels deep"),
            ));
        }
        Ok(calls.is_empty())
    }

    #[inline(never)]
    fn resolve_call(
        &self,
        name: &str,
        call_args: &[Ast],
        at: Pos,
        args: &HashMap<String, Arg>,
        level: usize,
    ) -> Result<Expr> {
        if name == "sum" {
            return self.resolve_sum(call_args, at);
        }
        let arity_err = |arity: usize| {
            self.err_at(
                at,
                format!(
                    "{name}() takes {arity} argument(s), got {}",
                    call_args.len()
                ),
            )
        };
        if let Some((f, arity)) = Func::lookup(name) {
            if call_args.len() != arity {
                return Err(arity_err(arity));
            }
            let mut a = self.resolve_args(call_args, at, args, level)?;
            return Ok(match f {
                Func::Pow => {
                    let e = a.pop().unwrap_or(Expr::Const(f64::NAN));
                    let b = a.pop().unwrap_or(Expr::Const(f64::NAN));
                    Expr::bin(BinOp::Pow, b, e)
                }
                // ANNarchy's `modulo(a, b)` is `long(a) % long(b)`: both
                // truncated toward zero (`fmod` and `mod` keep C's `fmod`).
                Func::Modulo if name == "modulo" => Expr::Call(
                    f,
                    a.into_iter()
                        .map(|x| Expr::Call(Func::Trunc, vec![x]))
                        .collect(),
                ),
                _ => Expr::Call(f, a),
            });
        }
        if let Some((kind, arity)) = RandomKind::lookup(name) {
            if call_args.len() != arity {
                return Err(arity_err(arity));
            }
            let a = self.resolve_args(call_args, at, args, level)?;
            // The stream is patched by `number_random` once the program is final.
            return Ok(Expr::Random {
                kind,
                stream: 0,
                args: a,
                shared: false,
            });
        }
        if let Some(uf) = self.functions.get(name) {
            if self.check_call(name, uf, call_args.len(), at)? {
                self.call_site.set(at);
            }
            let mut inner = HashMap::new();
            for (a, v) in uf.args.iter().zip(call_args) {
                let before = self.nodes.get();
                let expr = self.resolve_inner(v, at, args, level + 1)?;
                let size = self.nodes.get() - before;
                inner.insert(
                    a.clone(),
                    Arg {
                        height: expr_height(&expr),
                        size,
                        expr,
                    },
                );
            }
            self.calls.borrow_mut().push(name.to_string());
            let r = self.resolve_inner(&uf.body, at, &inner, level);
            self.calls.borrow_mut().pop();
            return r.map_err(|e| self.body_error(e, name, uf, at));
        }
        Err(self.err_at(at, format!("unknown function '{name}'")))
    }

    /// An error `e` from the body of function `name`, called at `at`. A
    /// model's function is written in its functions section: the error
    /// stays where it is in there, naming the function and where the
    /// outermost call is. A network function's body is not the model's
    /// text: the error moves to the call, naming the function and the
    /// place in its own text.
    fn body_error(&self, e: Error, name: &str, uf: &UserFn, at: Pos) -> Error {
        let Error::Equation {
            model,
            section,
            line,
            column,
            message,
        } = e
        else {
            return e;
        };
        if !uf.own {
            return self.err_at(
                at,
                format!("in function '{name}' (functions line {line}, column {column}): {message}"),
            );
        }
        if self.relocated.replace(true) {
            return Error::Equation {
                model,
                section,
                line,
                column,
                message,
            };
        }
        let site = self.call_site.get();
        Error::Equation {
            model,
            section: "functions".to_string(),
            line,
            column,
            message: format!(
                "{message} (in function '{name}', called from {} line {}, column {})",
                self.section, site.line, site.column
            ),
        }
    }
}

/// A value bound to an argument of a user function while its body is expanded.
pub(super) struct Arg {
    expr: Expr,
    height: usize,
    size: usize,
}

impl Arg {
    pub(super) fn new(expr: Expr) -> Self {
        Arg {
            height: expr_height(&expr),
            size: 1,
            expr,
        }
    }
}

/// Height of an expression tree (bounded by [`MAX_EXPR_HEIGHT`] by construction).
fn expr_height(e: &Expr) -> usize {
    match e {
        Expr::Unary(_, a) => 1 + expr_height(a),
        Expr::Binary(_, a, b) => 1 + expr_height(a).max(expr_height(b)),
        Expr::Call(_, a) | Expr::Random { args: a, .. } => {
            1 + a.iter().map(expr_height).max().unwrap_or(0)
        }
        Expr::Select(c, a, b) => 1 + expr_height(c).max(expr_height(a)).max(expr_height(b)),
        _ => 1,
    }
}

/// Where the first name of an expression (in reading order) is written,
/// if it has one.
pub(super) fn ast_pos(a: &Ast) -> Option<Pos> {
    let mut found = None;
    a.walk(&mut |n| {
        if let (None, Ast::Name(_, p) | Ast::Deriv(_, p) | Ast::Call(_, _, p)) = (found, n) {
            found = Some(*p);
        }
    });
    found
}

/// Whether a resolved expression can be evaluated when the model is
/// analysed (numbers, network constants, parameters' values).
fn is_constant(e: &Expr) -> bool {
    !e.any(&|x| {
        !matches!(
            x,
            Expr::Const(_)
                | Expr::Constant(_)
                | Expr::Var(_)
                | Expr::Unary(..)
                | Expr::Binary(..)
                | Expr::Call(..)
                | Expr::Select(..)
        )
    })
}

/// Whether `name` is reserved (keywords, built-in names, a leading `_`).
pub(super) fn is_reserved(name: &str) -> bool {
    let reserved = [
        "t", "dt", "pi", "sum", "if", "then", "else", "and", "or", "not", "true", "false", "True",
        "False", "pre", "post",
    ];
    reserved.contains(&name)
        || Func::lookup(name).is_some()
        || RandomKind::lookup(name).is_some()
        || name.starts_with('_')
}

/// An error if `name`, written at `at`, is reserved ([`is_reserved`]).
pub(super) fn check_name(ctx: &Ctx, name: &str, at: Pos) -> Result<()> {
    if is_reserved(name) {
        return Err(ctx.err_at(at, format!("'{name}' is a reserved name")));
    }
    Ok(())
}

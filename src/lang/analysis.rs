//! Name resolution and integration: model text -> IR.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use super::ast::{AssignOp, Ast, BinOp, Flag, Statement, UnOp};
use super::ir::{
    EventStmt, Expr, Func, Guard, Locality, NeuronIr, RandomKind, Stmt, SynapseIr, ValueType,
    VarDecl, VarKind,
};
use super::parser::{parse_expression, parse_statement, split_statements, SyntaxError};
use crate::error::{Error, Result};
use crate::network::model::{Neuron, NeuronKind, Synapse};

/// Name of the hidden per-neuron refractory counter (steps left).
pub const REFRACTORY_COUNTER: &str = "_refractory_remaining";

// Marks the derivative inside an ODE while it is solved for; never escapes.
const DERIV_MARK: u32 = u32::MAX;
// User functions may call each other, up to this depth.
const MAX_INLINE_DEPTH: usize = 32;
// Limits on one resolved expression, so that the recursive passes over it
// (here and in the engines) cannot overflow the stack, and user functions
// calling each other cannot expand exponentially.
const MAX_EXPR_HEIGHT: usize = 256;
const MAX_EXPR_NODES: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Explicit,
    Exponential,
    Midpoint,
    Rk4,
    Implicit,
}

struct UserFn {
    args: Vec<String>,
    body: Ast,
    line: usize,
}

/// Everything needed to resolve names and report errors in one model.
struct Ctx<'a> {
    model: String,
    section: &'static str,
    constants: &'a HashMap<String, f32>,
    functions: HashMap<String, UserFn>,
    vars: Vec<VarDecl>,
    targets: Vec<String>,
    pre_refs: Vec<String>,
    post_refs: Vec<String>,
    synapse: bool,
    n_temps: u32,
    /// Nodes built by the current `resolve` (see [`MAX_EXPR_NODES`]).
    nodes: Cell<usize>,
    /// User functions being expanded, outermost first.
    calls: RefCell<Vec<String>>,
}

impl<'a> Ctx<'a> {
    fn new(model: &str, constants: &'a HashMap<String, f32>, synapse: bool) -> Self {
        Ctx {
            model: model.to_string(),
            section: "parameters",
            constants,
            functions: HashMap::new(),
            vars: Vec::new(),
            targets: Vec::new(),
            pre_refs: Vec::new(),
            post_refs: Vec::new(),
            synapse,
            n_temps: 0,
            nodes: Cell::new(0),
            calls: RefCell::new(Vec::new()),
        }
    }

    fn err(&self, line: usize, column: usize, message: impl Into<String>) -> Error {
        Error::Equation {
            model: self.model.clone(),
            section: self.section.to_string(),
            line,
            column,
            message: message.into(),
        }
    }

    fn syntax(&self, e: SyntaxError) -> Error {
        self.err(e.line, e.column, e.message)
    }

    fn model_err(&self, message: impl Into<String>) -> Error {
        Error::Model {
            model: self.model.clone(),
            message: message.into(),
        }
    }

    fn slot(&self, name: &str) -> Option<u32> {
        self.vars
            .iter()
            .position(|v| v.name == name)
            .map(|i| i as u32)
    }

    fn temp(&mut self) -> u32 {
        self.n_temps += 1;
        self.n_temps - 1
    }

    fn statements(&self, text: &str, allow_bare: bool) -> Result<Vec<Statement>> {
        split_statements(text)
            .into_iter()
            .map(|(line, col, s)| {
                parse_statement(&s, line, col, allow_bare).map_err(|e| self.syntax(e))
            })
            .collect()
    }

    /// Parses a section holding one expression (spike condition, psp,
    /// refractory period); returns it with its line.
    fn single_expression(&self, text: &str) -> Result<(usize, Ast)> {
        let parts = split_statements(text);
        if let Some((line, col, _)) = parts.get(1) {
            return Err(self.err(*line, *col, "this section holds a single expression"));
        }
        match parts.into_iter().next() {
            Some((line, col, s)) => Ok((
                line,
                parse_expression(&s, line, col).map_err(|e| self.syntax(e))?,
            )),
            None => Err(self.err(
                1,
                1,
                "an expression is expected (the text is empty or only a comment)",
            )),
        }
    }

    /// Parses `name(a, b) = body` lines.
    fn parse_functions(&mut self, text: &str) -> Result<()> {
        self.section = "functions";
        for st in self.statements(text, false)? {
            let (name, args, col) = match &st.lhs {
                Some(Ast::Call(n, args, col)) => (n.clone(), args, *col),
                _ => {
                    return Err(self.err(
                        st.line,
                        1,
                        "a function is written 'name(x, y) = expression'",
                    ))
                }
            };
            let mut names = Vec::new();
            for a in args {
                match a {
                    Ast::Name(n, _) => names.push(n.clone()),
                    _ => {
                        return Err(self.err(
                            st.line,
                            col,
                            format!("the arguments of function '{name}' must be plain names"),
                        ))
                    }
                }
            }
            if Func::lookup(&name).is_some() || RandomKind::lookup(&name).is_some() || name == "sum"
            {
                return Err(self.err(
                    st.line,
                    col,
                    format!("'{name}' is a built-in function and cannot be redefined"),
                ));
            }
            self.functions.insert(
                name,
                UserFn {
                    args: names,
                    body: st.rhs,
                    line: st.line,
                },
            );
        }
        Ok(())
    }

    /// Evaluates a constant expression (parameter values, init flags).
    fn constant(&self, ast: &Ast, line: usize, col: usize) -> Result<f32> {
        let e = self.resolve(ast, line, &HashMap::new())?;
        let bad = e.any(&|x| {
            !matches!(
                x,
                Expr::Const(_)
                    | Expr::Var(_)
                    | Expr::Unary(..)
                    | Expr::Binary(..)
                    | Expr::Call(..)
                    | Expr::Select(..)
            )
        });
        if bad {
            return Err(self.err(
                line,
                col,
                "a constant value is expected here (numbers, constants and parameters only)",
            ));
        }
        Ok(eval_const(&e, &self.vars))
    }

    fn parse_parameters(&mut self, text: &str, synapse: bool) -> Result<()> {
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

    /// Resolves an expression; `args` maps user-function arguments to values.
    fn resolve(&self, ast: &Ast, line: usize, args: &HashMap<String, Arg>) -> Result<Expr> {
        self.nodes.set(0);
        self.calls.borrow_mut().clear();
        self.resolve_inner(ast, line, args, 0)
    }

    fn too_big(&self, line: usize, ast: &Ast) -> Error {
        self.err(line, ast_col(ast), format!("expression too large (more than {MAX_EXPR_HEIGHT} levels or {MAX_EXPR_NODES} terms once user functions are expanded)"))
    }

    /// Recursive part of [`resolve`](Self::resolve); `level` is the height of
    /// the expression being built above this node. The arms that do not
    /// recurse through operators live in their own functions so that this
    /// frame stays small.
    fn resolve_inner(
        &self,
        ast: &Ast,
        line: usize,
        args: &HashMap<String, Arg>,
        level: usize,
    ) -> Result<Expr> {
        self.nodes.set(self.nodes.get() + 1);
        if level >= MAX_EXPR_HEIGHT || self.nodes.get() > MAX_EXPR_NODES {
            return Err(self.too_big(line, ast));
        }
        let l = level + 1;
        Ok(match ast {
            Ast::Num(v) => Expr::Const(*v as f32),
            Ast::Name(n, col) => return self.resolve_name(n, *col, line, args, level),
            Ast::Deriv(v, col) => {
                return Err(self.err(
                    line,
                    *col,
                    format!("d{v}/dt can only appear in an equation of '{v}'"),
                ))
            }
            Ast::Unary(op, a) => Expr::Unary(*op, Box::new(self.resolve_inner(a, line, args, l)?)),
            Ast::Binary(op, a, b) => Expr::bin(
                *op,
                self.resolve_inner(a, line, args, l)?,
                self.resolve_inner(b, line, args, l)?,
            ),
            Ast::If(c, a, b) => Expr::Select(
                Box::new(self.resolve_inner(c, line, args, l)?),
                Box::new(self.resolve_inner(a, line, args, l)?),
                Box::new(self.resolve_inner(b, line, args, l)?),
            ),
            Ast::Call(name, call_args, col) => {
                return self.resolve_call(name, call_args, *col, line, args, level)
            }
        })
    }

    #[inline(never)]
    fn resolve_name(
        &self,
        n: &str,
        col: usize,
        line: usize,
        args: &HashMap<String, Arg>,
        level: usize,
    ) -> Result<Expr> {
        if let Some(a) = args.get(n) {
            self.nodes.set(self.nodes.get() + a.size);
            if level + a.height > MAX_EXPR_HEIGHT || self.nodes.get() > MAX_EXPR_NODES {
                return Err(self.err(line, col, format!("expression too large (more than {MAX_EXPR_HEIGHT} levels or {MAX_EXPR_NODES} terms once user functions are expanded)")));
            }
            return Ok(a.expr.clone());
        }
        match n {
            "t" => return Ok(Expr::Time),
            "dt" => return Ok(Expr::Dt),
            "pi" => return Ok(Expr::Const(std::f32::consts::PI)),
            "true" | "True" => return Ok(Expr::Const(1.0)),
            "false" | "False" => return Ok(Expr::Const(0.0)),
            _ => {}
        }
        if let Some(s) = self.slot(n) {
            return Ok(Expr::Var(s));
        }
        if let Some(c) = self.constants.get(n) {
            return Ok(Expr::Const(*c));
        }
        if self.synapse {
            if let Some(v) = n.strip_prefix("pre.") {
                let i = self.pre_refs.iter().position(|x| x == v).ok_or_else(|| {
                    self.err(
                        line,
                        col,
                        format!("pre.{v} can only be read in psp and pre_spike"),
                    )
                })?;
                return Ok(Expr::Pre(i as u32));
            }
            if let Some(v) = n.strip_prefix("post.") {
                let i = self.post_refs.iter().position(|x| x == v).ok_or_else(|| {
                    self.err(
                        line,
                        col,
                        format!("post.{v} can only be read in psp and pre_spike"),
                    )
                })?;
                return Ok(Expr::Post(i as u32));
            }
        }
        let known: Vec<&str> = self
            .vars
            .iter()
            .filter(|v| v.kind != VarKind::Hidden)
            .map(|v| v.name.as_str())
            .collect();
        Err(self.err(
            line,
            col,
            format!(
                "unknown name '{n}' (the model has: {})",
                if known.is_empty() {
                    "nothing".to_string()
                } else {
                    known.join(", ")
                }
            ),
        ))
    }

    fn resolve_args(
        &self,
        call_args: &[Ast],
        line: usize,
        args: &HashMap<String, Arg>,
        level: usize,
    ) -> Result<Vec<Expr>> {
        call_args
            .iter()
            .map(|x| self.resolve_inner(x, line, args, level + 1))
            .collect()
    }

    #[inline(never)]
    fn resolve_call(
        &self,
        name: &str,
        call_args: &[Ast],
        col: usize,
        line: usize,
        args: &HashMap<String, Arg>,
        level: usize,
    ) -> Result<Expr> {
        if name == "sum" {
            if self.synapse {
                return Err(self.err(line, col, "sum(target) is only available in neuron models (a synapse's psp is what the sum adds up)"));
            }
            return match call_args {
                [Ast::Name(t, _)] => {
                    let i = self.targets.iter().position(|x| x == t).ok_or_else(|| {
                        self.err(
                            line,
                            col,
                            format!("sum({t}) cannot be used here (only in the equations)"),
                        )
                    })?;
                    Ok(Expr::Sum(i as u32))
                }
                _ => Err(self.err(line, col, "sum() takes one target name, e.g. sum(exc)")),
            };
        }
        let arity_err = |arity: usize| {
            self.err(
                line,
                col,
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
            let mut a = self.resolve_args(call_args, line, args, level)?;
            return Ok(match f {
                Func::Pow => {
                    let e = a.pop().unwrap_or(Expr::Const(f32::NAN));
                    let b = a.pop().unwrap_or(Expr::Const(f32::NAN));
                    Expr::bin(BinOp::Pow, b, e)
                }
                _ => Expr::Call(f, a),
            });
        }
        if let Some((kind, arity)) = RandomKind::lookup(name) {
            if call_args.len() != arity {
                return Err(arity_err(arity));
            }
            let a = self.resolve_args(call_args, line, args, level)?;
            // The stream is patched by `number_random` once the program is final.
            return Ok(Expr::Random {
                kind,
                stream: 0,
                args: a,
                shared: false,
            });
        }
        if let Some(uf) = self.functions.get(name) {
            if call_args.len() != uf.args.len() {
                return Err(self.err(
                    line,
                    col,
                    format!(
                        "{name}() takes {} argument(s), got {}",
                        uf.args.len(),
                        call_args.len()
                    ),
                ));
            }
            let outermost = {
                let calls = self.calls.borrow();
                if calls.iter().any(|c| c == name) {
                    let chain: Vec<&str> = calls.iter().map(String::as_str).chain([name]).collect();
                    return Err(self.err(line, col, format!("function '{name}' calls itself ({}); user functions cannot be recursive", chain.join(" -> "))));
                }
                if calls.len() >= MAX_INLINE_DEPTH {
                    return Err(self.err(line, col, format!("user functions call each other more than {MAX_INLINE_DEPTH} levels deep")));
                }
                calls.is_empty()
            };
            let mut inner = HashMap::new();
            for (a, v) in uf.args.iter().zip(call_args) {
                let before = self.nodes.get();
                let expr = self.resolve_inner(v, line, args, level + 1)?;
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
            let r = self.resolve_inner(&uf.body, line, &inner, level);
            self.calls.borrow_mut().pop();
            return match r {
                // Inside the body, columns are those of the function's text:
                // report at the call, naming the function.
                Err(Error::Equation {
                    message, column, ..
                }) if outermost => Err(self.err(
                    line,
                    col,
                    format!(
                        "in function '{name}' (functions line {}, column {column}): {message}",
                        uf.line
                    ),
                )),
                r => r,
            };
        }
        Err(self.err(line, col, format!("unknown function '{name}'")))
    }
}

/// A value bound to an argument of a user function while its body is expanded.
struct Arg {
    expr: Expr,
    height: usize,
    size: usize,
}

impl Arg {
    fn new(expr: Expr) -> Self {
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

/// The column of the leftmost name of an expression (1 if it has none).
fn ast_col(a: &Ast) -> usize {
    let mut a = a;
    loop {
        match a {
            Ast::Name(_, c) | Ast::Deriv(_, c) | Ast::Call(_, _, c) => return *c,
            Ast::Unary(_, x) | Ast::Binary(_, x, _) | Ast::If(x, _, _) => a = x,
            Ast::Num(_) => return 1,
        }
    }
}

fn check_name(ctx: &Ctx, name: &str, line: usize, col: usize) -> Result<()> {
    let reserved = [
        "t", "dt", "pi", "sum", "if", "then", "else", "and", "or", "not", "true", "false", "True",
        "False", "pre", "post",
    ];
    if reserved.contains(&name)
        || Func::lookup(name).is_some()
        || RandomKind::lookup(name).is_some()
        || name.starts_with('_')
    {
        return Err(ctx.err(line, col, format!("'{name}' is a reserved name")));
    }
    Ok(())
}

/// Folds an expression of constants and parameter initial values.
fn eval_const(e: &Expr, vars: &[VarDecl]) -> f32 {
    match e {
        Expr::Const(c) => *c,
        Expr::Var(v) => vars[*v as usize].init,
        Expr::Dt => f32::NAN,
        Expr::Unary(UnOp::Neg, a) => -eval_const(a, vars),
        Expr::Unary(UnOp::Not, a) => (eval_const(a, vars) == 0.0) as i32 as f32,
        Expr::Binary(op, a, b) => binop(*op, eval_const(a, vars), eval_const(b, vars)),
        Expr::Call(f, a) => {
            let v: Vec<f32> = a.iter().map(|x| eval_const(x, vars)).collect();
            f.apply(
                v[0],
                v.get(1).copied().unwrap_or(0.0),
                v.get(2).copied().unwrap_or(0.0),
            )
        }
        Expr::Select(c, a, b) => {
            if eval_const(c, vars) != 0.0 {
                eval_const(a, vars)
            } else {
                eval_const(b, vars)
            }
        }
        _ => f32::NAN,
    }
}

/// A binary operation in f32, as both engines define it.
pub fn binop(op: BinOp, a: f32, b: f32) -> f32 {
    match op {
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mul => a * b,
        BinOp::Div => a / b,
        BinOp::Pow => crate::lang::ir::pow(a, b),
        BinOp::Rem => a % b,
        BinOp::Lt => (a < b) as i32 as f32,
        BinOp::Gt => (a > b) as i32 as f32,
        BinOp::Le => (a <= b) as i32 as f32,
        BinOp::Ge => (a >= b) as i32 as f32,
        BinOp::Eq => (a == b) as i32 as f32,
        BinOp::Ne => (a != b) as i32 as f32,
        BinOp::And => (a != 0.0 && b != 0.0) as i32 as f32,
        BinOp::Or => (a != 0.0 || b != 0.0) as i32 as f32,
    }
}

// ---- linear algebra on expressions (solving ODEs for their derivative) ----

fn add_opt(a: Option<Expr>, b: Option<Expr>) -> Option<Expr> {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some(a), Some(b)) => Some(Expr::bin(BinOp::Add, a, b)),
    }
}

fn sub_opt(a: Option<Expr>, b: Option<Expr>) -> Option<Expr> {
    match (a, b) {
        (a, None) => a,
        (None, Some(b)) => Some(neg(b)),
        (Some(a), Some(b)) => Some(Expr::bin(BinOp::Sub, a, b)),
    }
}

fn neg(e: Expr) -> Expr {
    match e {
        Expr::Const(c) => Expr::Const(-c),
        Expr::Unary(UnOp::Neg, a) => *a,
        e => Expr::Unary(UnOp::Neg, Box::new(e)),
    }
}

fn mul(a: Expr, b: Expr) -> Expr {
    match (&a, &b) {
        (Expr::Const(x), _) if *x == 1.0 => b,
        (_, Expr::Const(x)) if *x == 1.0 => a,
        (Expr::Const(x), _) if *x == -1.0 => neg(b),
        (_, Expr::Const(x)) if *x == -1.0 => neg(a),
        _ => Expr::bin(BinOp::Mul, a, b),
    }
}

fn div(a: Expr, b: Expr) -> Expr {
    match &b {
        Expr::Const(x) if *x == 1.0 => a,
        _ => Expr::bin(BinOp::Div, a, b),
    }
}

type Linear = (Option<Expr>, Option<Expr>);

/// Splits `e` into `coef * X + rest` where X is what `is_x` matches;
/// `None` when `e` is not linear in X.
fn split_linear(e: &Expr, is_x: &dyn Fn(&Expr) -> bool) -> Option<Linear> {
    if is_x(e) {
        return Some((Some(Expr::Const(1.0)), None));
    }
    if !e.any(is_x) {
        return Some((None, Some(e.clone())));
    }
    match e {
        Expr::Binary(BinOp::Add, a, b) => {
            let (ca, ra) = split_linear(a, is_x)?;
            let (cb, rb) = split_linear(b, is_x)?;
            Some((add_opt(ca, cb), add_opt(ra, rb)))
        }
        Expr::Binary(BinOp::Sub, a, b) => {
            let (ca, ra) = split_linear(a, is_x)?;
            let (cb, rb) = split_linear(b, is_x)?;
            Some((sub_opt(ca, cb), sub_opt(ra, rb)))
        }
        Expr::Unary(UnOp::Neg, a) => {
            let (c, r) = split_linear(a, is_x)?;
            Some((c.map(neg), r.map(neg)))
        }
        Expr::Binary(BinOp::Mul, a, b) if !a.any(is_x) => {
            let (c, r) = split_linear(b, is_x)?;
            Some((
                c.map(|c| mul((**a).clone(), c)),
                r.map(|r| mul((**a).clone(), r)),
            ))
        }
        Expr::Binary(BinOp::Mul, a, b) if !b.any(is_x) => {
            let (c, r) = split_linear(a, is_x)?;
            Some((
                c.map(|c| mul(c, (**b).clone())),
                r.map(|r| mul(r, (**b).clone())),
            ))
        }
        Expr::Binary(BinOp::Div, a, b) if !b.any(is_x) => {
            let (c, r) = split_linear(a, is_x)?;
            Some((
                c.map(|c| div(c, (**b).clone())),
                r.map(|r| div(r, (**b).clone())),
            ))
        }
        _ => None,
    }
}

struct Ode {
    var: u32,
    f: Expr,
    method: Method,
    guard: Guard,
    line: usize,
    col: usize,
    min: Option<Expr>,
    max: Option<Expr>,
}

fn clamp(e: Expr, min: &Option<Expr>, max: &Option<Expr>) -> Expr {
    let mut e = e;
    if let Some(m) = min {
        e = Expr::Call(Func::Max, vec![e, m.clone()]);
    }
    if let Some(m) = max {
        e = Expr::Call(Func::Min, vec![e, m.clone()]);
    }
    e
}

/// Integrates a block of consecutive ODEs with one method: all derivatives
/// are taken from the values at the start of the block, then all stored.
fn integrate_block(ctx: &mut Ctx, block: &[Ode], out: &mut Vec<Stmt>) -> Result<()> {
    let method = block[0].method;
    let x = |o: &Ode| Expr::Var(o.var);
    let dt = || Expr::Dt;
    let subst = |f: &Expr, map: &[(u32, u32)]| {
        f.map(&|e| match e {
            Expr::Var(v) => map
                .iter()
                .find(|(a, _)| a == v)
                .map(|(_, t)| Expr::Temp(*t)),
            _ => None,
        })
    };
    // A random variable is drawn once per step: the stages of midpoint and
    // rk4 (and the two uses of the linear split) must all see the same draw.
    let hoisted: Vec<Ode> = block
        .iter()
        .map(|o| Ode {
            f: hoist_random(ctx, &o.f, out),
            min: o.min.clone(),
            max: o.max.clone(),
            ..*o
        })
        .collect();
    let block = hoisted.as_slice();
    let mut stores = Vec::new();
    match method {
        Method::Explicit => {
            for o in block {
                let k = ctx.temp();
                out.push(Stmt::Let {
                    temp: k,
                    expr: o.f.clone(),
                });
                stores.push((
                    o,
                    Expr::bin(BinOp::Add, x(o), Expr::bin(BinOp::Mul, dt(), Expr::Temp(k))),
                ));
            }
        }
        Method::Exponential | Method::Implicit => {
            for o in block {
                let var = o.var;
                let (b, a) = split_linear(&o.f, &|e| *e == Expr::Var(var)).ok_or_else(|| {
                    ctx.err(
                        o.line,
                        o.col,
                        format!(
                            "the {} method needs an equation linear in '{}'",
                            if method == Method::Implicit {
                                "implicit"
                            } else {
                                "exponential"
                            },
                            ctx.vars[var as usize].name
                        ),
                    )
                })?;
                let k = ctx.temp();
                let new = match (method, b) {
                    // No dependence on x: both methods reduce to x + dt * f.
                    (_, None) => {
                        out.push(Stmt::Let {
                            temp: k,
                            expr: o.f.clone(),
                        });
                        Expr::bin(BinOp::Add, x(o), Expr::bin(BinOp::Mul, dt(), Expr::Temp(k)))
                    }
                    (Method::Exponential, Some(b)) => {
                        // f = a + b x: x relaxes to x_inf = -a/b with tau = -1/b.
                        let x_inf = match &a {
                            Some(a) => neg(div(a.clone(), b.clone())),
                            None => Expr::Const(0.0),
                        };
                        let kd = ctx.temp();
                        out.push(Stmt::Let {
                            temp: kd,
                            expr: Expr::bin(
                                BinOp::Sub,
                                Expr::Const(1.0),
                                Expr::Call(Func::Exp, vec![Expr::bin(BinOp::Mul, dt(), b)]),
                            ),
                        });
                        let step = Expr::bin(
                            BinOp::Mul,
                            Expr::Temp(kd),
                            Expr::bin(BinOp::Sub, x_inf, x(o)),
                        );
                        // Where dt * b is 0 in f32 (b = 0: a conductance at
                        // rest, say), x_inf is 0/0 or overflows and the step
                        // would be NaN: there the solution is x + dt * a.
                        let euler = a.map_or(Expr::Const(0.0), |a| Expr::bin(BinOp::Mul, dt(), a));
                        out.push(Stmt::Let {
                            temp: k,
                            expr: Expr::Select(
                                Box::new(Expr::bin(BinOp::Ne, Expr::Temp(kd), Expr::Const(0.0))),
                                Box::new(step),
                                Box::new(euler),
                            ),
                        });
                        Expr::bin(BinOp::Add, x(o), Expr::Temp(k))
                    }
                    (_, Some(b)) => {
                        // Backward Euler of a linear equation: (x + dt a) / (1 - dt b).
                        let num = match a {
                            Some(a) => Expr::bin(BinOp::Add, x(o), Expr::bin(BinOp::Mul, dt(), a)),
                            None => x(o),
                        };
                        let den =
                            Expr::bin(BinOp::Sub, Expr::Const(1.0), Expr::bin(BinOp::Mul, dt(), b));
                        out.push(Stmt::Let {
                            temp: k,
                            expr: Expr::bin(BinOp::Div, num, den),
                        });
                        Expr::Temp(k)
                    }
                };
                stores.push((o, new));
            }
        }
        Method::Midpoint => {
            let k1: Vec<u32> = block
                .iter()
                .map(|o| {
                    let k = ctx.temp();
                    out.push(Stmt::Let {
                        temp: k,
                        expr: o.f.clone(),
                    });
                    k
                })
                .collect();
            let mut map = Vec::new();
            for (o, k) in block.iter().zip(&k1) {
                let m = ctx.temp();
                out.push(Stmt::Let {
                    temp: m,
                    expr: Expr::bin(
                        BinOp::Add,
                        x(o),
                        Expr::bin(
                            BinOp::Mul,
                            Expr::bin(BinOp::Mul, Expr::Const(0.5), dt()),
                            Expr::Temp(*k),
                        ),
                    ),
                });
                map.push((o.var, m));
            }
            for o in block {
                let k2 = ctx.temp();
                out.push(Stmt::Let {
                    temp: k2,
                    expr: subst(&o.f, &map),
                });
                stores.push((
                    o,
                    Expr::bin(
                        BinOp::Add,
                        x(o),
                        Expr::bin(BinOp::Mul, dt(), Expr::Temp(k2)),
                    ),
                ));
            }
        }
        Method::Rk4 => {
            let mut ks: Vec<Vec<u32>> = Vec::new();
            let mut map: Vec<(u32, u32)> = Vec::new();
            for stage in 0..4 {
                let mut k_stage = Vec::new();
                for o in block {
                    let k = ctx.temp();
                    let f = if stage == 0 {
                        o.f.clone()
                    } else {
                        subst(&o.f, &map)
                    };
                    out.push(Stmt::Let { temp: k, expr: f });
                    k_stage.push(k);
                }
                if stage < 3 {
                    let h = if stage < 2 {
                        Expr::bin(BinOp::Mul, Expr::Const(0.5), dt())
                    } else {
                        dt()
                    };
                    let mut new_map = Vec::new();
                    for (o, k) in block.iter().zip(&k_stage) {
                        let s = ctx.temp();
                        out.push(Stmt::Let {
                            temp: s,
                            expr: Expr::bin(
                                BinOp::Add,
                                x(o),
                                Expr::bin(BinOp::Mul, h.clone(), Expr::Temp(*k)),
                            ),
                        });
                        new_map.push((o.var, s));
                    }
                    map = new_map;
                }
                ks.push(k_stage);
            }
            for (i, o) in block.iter().enumerate() {
                let t = |s: usize| Expr::Temp(ks[s][i]);
                let sum = Expr::bin(
                    BinOp::Add,
                    Expr::bin(
                        BinOp::Add,
                        Expr::bin(
                            BinOp::Add,
                            t(0),
                            Expr::bin(BinOp::Mul, Expr::Const(2.0), t(1)),
                        ),
                        Expr::bin(BinOp::Mul, Expr::Const(2.0), t(2)),
                    ),
                    t(3),
                );
                stores.push((
                    o,
                    Expr::bin(
                        BinOp::Add,
                        x(o),
                        Expr::bin(
                            BinOp::Mul,
                            Expr::bin(BinOp::Div, dt(), Expr::Const(6.0)),
                            sum,
                        ),
                    ),
                ));
            }
        }
    }
    for (o, e) in stores {
        out.push(Stmt::Store {
            var: o.var,
            expr: clamp(e, &o.min, &o.max),
            guard: o.guard,
        });
    }
    Ok(())
}

/// Moves every random variable of `f` into a temporary computed before it.
fn hoist_random(ctx: &mut Ctx, f: &Expr, out: &mut Vec<Stmt>) -> Expr {
    if !f.any(&|e| matches!(e, Expr::Random { .. })) {
        return f.clone();
    }
    let found = RefCell::new(Vec::new());
    let base = ctx.n_temps;
    let g = f.map(&|e| match e {
        Expr::Random { .. } => {
            let mut v = found.borrow_mut();
            v.push(e.clone());
            Some(Expr::Temp(base + v.len() as u32 - 1))
        }
        _ => None,
    });
    for r in found.into_inner() {
        let k = ctx.temp();
        out.push(Stmt::Let { temp: k, expr: r });
    }
    g
}

/// Gives every random variable its own stream number, in program order.
fn number_random(stmts: &mut [Stmt], next: &mut u32) {
    for s in stmts.iter_mut() {
        let e = match s {
            Stmt::Let { expr, .. } | Stmt::Store { expr, .. } => expr,
        };
        *e = number_expr(e, next);
    }
}

fn number_expr(e: &Expr, next: &mut u32) -> Expr {
    let cell = std::cell::Cell::new(*next);
    let out = e.map(&|x| match x {
        Expr::Random {
            kind, args, shared, ..
        } => {
            let s = cell.get();
            cell.set(s + 1);
            Some(Expr::Random {
                kind: *kind,
                shared: *shared,
                stream: s,
                args: args
                    .iter()
                    .map(|a| {
                        let mut n = cell.get();
                        let r = number_expr(a, &mut n);
                        cell.set(n);
                        r
                    })
                    .collect(),
            })
        }
        _ => None,
    });
    *next = cell.get();
    out
}

fn lhs_name(ctx: &Ctx, st: &Statement) -> Result<(String, usize, bool)> {
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

struct EqFlags {
    init: Option<f32>,
    min: Option<Expr>,
    max: Option<Expr>,
    method: Method,
}

fn eq_flags(ctx: &Ctx, st: &Statement, default: Method) -> Result<EqFlags> {
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

/// Checks the equation of a population variable (`: population`, see
/// [`VarDecl::shared`]) and marks its random variables as drawn once for
/// the whole population. It may read population-wide parameters, other
/// population variables, constants, `t`, `dt` and itself; anything per
/// neuron is an error at the name that reads it.
fn shared_expr(ctx: &Ctx, e: &Expr, st: &Statement, name: &str, col: usize) -> Result<Expr> {
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
            Expr::Sum(t) => bad = Some((ctx.targets[*t as usize].clone(), true)),
            _ => {}
        }
    });
    if let Some((read, is_sum)) = bad {
        // The column of the offending name, if written in this statement
        // (not inside a user function).
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
        return Err(ctx.err(
            st.line,
            at.unwrap_or(col),
            format!("'{name}' is shared by the population (: population): its equation can read only population-wide parameters, population variables, constants, t and dt, not {what}"),
        ));
    }
    Ok(mark_shared(e))
}

/// Marks every random variable of `e` (arguments included) as shared.
fn mark_shared(e: &Expr) -> Expr {
    e.map(&|x| match x {
        Expr::Random {
            kind, stream, args, ..
        } => Some(Expr::Random {
            kind: *kind,
            stream: *stream,
            args: args.iter().map(mark_shared).collect(),
            shared: true,
        }),
        _ => None,
    })
}

fn collect_names(asts: &[&Ast], pred: &dyn Fn(&str) -> Option<String>, out: &mut Vec<String>) {
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

/// Analyses a neuron model into its IR. `constants` are the network's constants.
pub fn analyse_neuron(model: &Neuron, constants: &HashMap<String, f32>) -> Result<NeuronIr> {
    let spiking = model.kind == NeuronKind::Spiking;
    let mut ctx = Ctx::new(&model.name, constants, false);
    ctx.parse_functions(&model.functions)?;
    ctx.parse_parameters(&model.parameters, false)?;
    let refractory = model.refractory.as_deref().filter(|r| !r.trim().is_empty());

    // Declare every variable first so that an equation may read a variable
    // defined further down (it sees that variable's value from the previous step).
    ctx.section = "equations";
    let eqs = ctx.statements(&model.equations, false)?;
    ctx.section = "reset";
    let resets = ctx.statements(&model.reset, false)?;
    ctx.section = "equations";
    let mut lhs_info = Vec::new();
    for st in &eqs {
        let (name, col, is_ode) = lhs_name(&ctx, st)?;
        if name.contains('.') {
            return Err(ctx.err(
                st.line,
                col,
                format!("'{name}': a neuron cannot assign pre./post. variables"),
            ));
        }
        check_name(&ctx, &name, st.line, col)?;
        // `: population`: one value for the whole population (see VarDecl::shared).
        let shared = st
            .flags
            .iter()
            .any(|f| matches!(f, Flag::Word(w, _) if w == "population"));
        let slot = match ctx.slot(&name) {
            Some(s) => {
                if ctx.vars[s as usize].kind == VarKind::Parameter {
                    return Err(ctx.err(
                        st.line,
                        col,
                        format!("'{name}' is a parameter; it cannot be assigned in the equations"),
                    ));
                }
                s as usize
            }
            None => {
                let kind = if spiking && name.starts_with("g_") {
                    VarKind::Conductance
                } else {
                    VarKind::Variable
                };
                ctx.vars.push(VarDecl {
                    name: name.clone(),
                    kind,
                    locality: Locality::Local,
                    ty: ValueType::Float,
                    init: 0.0,
                    shared: false,
                });
                ctx.vars.len() - 1
            }
        };
        if shared {
            if ctx.vars[slot].kind == VarKind::Conductance {
                return Err(ctx.err(
                    st.line,
                    col,
                    format!("'{name}' is a conductance: it receives spikes neuron by neuron and cannot be shared by the population"),
                ));
            }
            ctx.vars[slot].shared = true;
        }
        lhs_info.push((name, col, is_ode));
    }
    // Conductances read but not governed, and targets of sum().
    let mut all: Vec<&Ast> = Vec::new();
    for st in eqs.iter().chain(&resets) {
        all.push(&st.rhs);
        if let Some(l) = &st.lhs {
            all.push(l);
        }
    }
    let spike_ast = if spiking {
        ctx.section = "spike";
        let text = model.spike.trim();
        if text.is_empty() {
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
    let refr_ast = match refractory {
        Some(r) => {
            ctx.section = "refractory";
            Some(ctx.single_expression(r)?)
        }
        None => None,
    };
    if let Some((_, s)) = &spike_ast {
        all.push(s);
    }
    if spiking {
        let mut gs = Vec::new();
        let vars = &ctx.vars;
        collect_names(
            &all,
            &|n| {
                (n.starts_with("g_") && n.len() > 2 && !vars.iter().any(|v| v.name == n))
                    .then(|| n.to_string())
            },
            &mut gs,
        );
        for g in gs {
            ctx.vars.push(VarDecl {
                name: g,
                kind: VarKind::Conductance,
                locality: Locality::Local,
                ty: ValueType::Float,
                init: 0.0,
                shared: false,
            });
        }
    }
    // sum(target) in a spiking neuron is what rate-coded projections
    // (hybrid networks) add up, as in a rate-coded one.
    for a in &all {
        a.walk(&mut |n| {
            if let Ast::Call(f, args, _) = n {
                if f == "sum" {
                    if let [Ast::Name(t, _)] = args.as_slice() {
                        if !ctx.targets.contains(t) {
                            ctx.targets.push(t.clone());
                        }
                    }
                }
            }
        });
    }
    if !spiking && ctx.slot("r").is_none() {
        return Err(ctx.model_err(
            "a rate-coded neuron must define its output 'r' (as a parameter or in the equations)",
        ));
    }
    let refr_slot = if refr_ast.is_some() {
        ctx.vars.push(VarDecl {
            name: REFRACTORY_COUNTER.into(),
            kind: VarKind::Hidden,
            locality: Locality::Local,
            ty: ValueType::Float,
            init: 0.0,
            shared: false,
        });
        Some(ctx.vars.len() as u32 - 1)
    } else {
        None
    };

    // Flags (init) before translating, since init values do not depend on order.
    let mut update = Vec::new();
    let mut pending: Vec<Ode> = Vec::new();
    for (st, (name, col, is_ode)) in eqs.iter().zip(&lhs_info) {
        let slot = ctx
            .slot(name)
            .ok_or_else(|| ctx.err(st.line, *col, "internal: undeclared variable"))?;
        let fl = eq_flags(&ctx, st, Method::Explicit)?;
        if let Some(i) = fl.init {
            ctx.vars[slot as usize].init = i;
        }
        let is_cond = ctx.vars[slot as usize].kind == VarKind::Conductance;
        let shared = ctx.vars[slot as usize].shared;
        // A population variable is not held by the refractoriness of single
        // neurons (as ANNarchy, which updates it outside the neuron loop):
        // masked per neuron, its copies would differ.
        let guard = if refr_slot.is_some() && !is_cond && !shared {
            Guard::NotRefractory
        } else {
            Guard::Always
        };
        let (min, max) = if shared {
            let m = |e: &Option<Expr>| {
                e.as_ref()
                    .map(|e| shared_expr(&ctx, e, st, name, *col))
                    .transpose()
            };
            (m(&fl.min)?, m(&fl.max)?)
        } else {
            (fl.min.clone(), fl.max.clone())
        };
        if *is_ode {
            if st.op != AssignOp::Set {
                return Err(ctx.err(st.line, *col, "an ODE is written with '='"));
            }
            let mut f = derivative(&ctx, st, name, *col)?;
            if shared {
                f = shared_expr(&ctx, &f, st, name, *col)?;
            }
            if !pending.is_empty() && pending[0].method != fl.method {
                integrate_block(&mut ctx, &std::mem::take(&mut pending), &mut update)?;
            }
            pending.push(Ode {
                var: slot,
                f,
                method: fl.method,
                guard,
                line: st.line,
                col: *col,
                min,
                max,
            });
        } else {
            if !pending.is_empty() {
                integrate_block(&mut ctx, &std::mem::take(&mut pending), &mut update)?;
            }
            if fl.method != Method::Explicit {
                return Err(ctx.err(st.line, *col, "an integration method only applies to ODEs"));
            }
            let mut rhs = ctx.resolve(&st.rhs, st.line, &HashMap::new())?;
            if shared {
                rhs = shared_expr(&ctx, &rhs, st, name, *col)?;
            }
            let e = combine(st.op, Expr::Var(slot), rhs);
            update.push(Stmt::Store {
                var: slot,
                expr: clamp(e, &min, &max),
                guard: Guard::Always,
            });
        }
    }
    if !pending.is_empty() {
        integrate_block(&mut ctx, &pending, &mut update)?;
    }
    let mut n_random = 0;
    number_random(&mut update, &mut n_random);

    let spike = match spike_ast {
        Some((line, a)) => {
            ctx.section = "spike";
            let mut e = vec![Stmt::Let {
                temp: 0,
                expr: ctx.resolve(&a, line, &HashMap::new())?,
            }];
            number_random(&mut e, &mut n_random);
            match e.pop() {
                Some(Stmt::Let { expr, .. }) => Some(expr),
                _ => None,
            }
        }
        None => None,
    };
    ctx.section = "reset";
    let mut reset = Vec::new();
    for st in &resets {
        let (name, col, is_ode) = lhs_name(&ctx, st)?;
        if is_ode {
            return Err(ctx.err(st.line, col, "a reset cannot contain an ODE"));
        }
        let slot = ctx.slot(&name).ok_or_else(|| {
            ctx.err(
                st.line,
                col,
                format!("unknown variable '{name}' in the reset"),
            )
        })?;
        if ctx.vars[slot as usize].kind == VarKind::Parameter {
            return Err(ctx.err(
                st.line,
                col,
                format!("'{name}' is a parameter; a reset cannot change it"),
            ));
        }
        if ctx.vars[slot as usize].shared {
            return Err(ctx.err(
                st.line,
                col,
                format!("'{name}' is shared by the population (: population); a reset, which runs for the neurons that spiked, cannot change it"),
            ));
        }
        if !st.flags.is_empty() {
            return Err(ctx.err(st.line, col, "a reset statement takes no flags"));
        }
        let rhs = ctx.resolve(&st.rhs, st.line, &HashMap::new())?;
        reset.push(Stmt::Store {
            var: slot,
            expr: combine(st.op, Expr::Var(slot), rhs),
            guard: Guard::Always,
        });
    }
    number_random(&mut reset, &mut n_random);
    let refractory = match (refr_ast, refr_slot) {
        (Some((line, a)), Some(slot)) => {
            ctx.section = "refractory";
            let e = ctx.resolve(&a, line, &HashMap::new())?;
            if e.any(&|x| matches!(x, Expr::Random { .. })) {
                return Err(ctx.model_err("the refractory period cannot be random"));
            }
            Some((e, slot))
        }
        _ => None,
    };
    let conductances = ctx
        .vars
        .iter()
        .enumerate()
        .filter(|(_, v)| v.kind == VarKind::Conductance)
        .map(|(i, v)| {
            let governed = update
                .iter()
                .any(|s| matches!(s, Stmt::Store { var, .. } if *var == i as u32));
            (v.name[2..].to_string(), i as u32, governed)
        })
        .collect();
    Ok(NeuronIr {
        name: ctx.model.clone(),
        spiking,
        vars: ctx.vars,
        targets: ctx.targets,
        conductances,
        update,
        spike,
        reset,
        refractory,
        n_temps: ctx.n_temps,
        n_random,
    })
}

/// The `pre_spike` (`allow_g`) or `post_spike` statements of a synapse:
/// `g_target += ...` (pre_spike only) or assignments to synapse variables.
fn event_statements(ctx: &Ctx, stmts: &[Statement], allow_g: bool) -> Result<Vec<EventStmt>> {
    let section = if allow_g { "pre_spike" } else { "post_spike" };
    let mut out = Vec::new();
    for st in stmts {
        let (name, col) = match &st.lhs {
            Some(Ast::Name(n, c)) => (n.clone(), *c),
            _ => {
                return Err(ctx.err(
                    st.line,
                    1,
                    if allow_g {
                        "expected 'g_target += ...' or an assignment to a synapse variable"
                    } else {
                        "expected an assignment to a synapse variable"
                    },
                ))
            }
        };
        let rhs = ctx.resolve(&st.rhs, st.line, &HashMap::new())?;
        if name == "g_target" || name == "post.g_target" {
            if !allow_g {
                return Err(ctx.err(
                    st.line,
                    col,
                    "post_spike cannot change g_target (a post-synaptic spike transmits nothing)",
                ));
            }
            let e = match st.op {
                AssignOp::Add => rhs,
                AssignOp::Sub => neg(rhs),
                _ => {
                    return Err(ctx.err(
                        st.line,
                        col,
                        "g_target can only be changed with '+=' or '-='",
                    ))
                }
            };
            out.push(EventStmt::AddConductance(e));
        } else if let Some(s) = ctx.slot(&name) {
            if ctx.vars[s as usize].kind == VarKind::Parameter {
                return Err(ctx.err(
                    st.line,
                    col,
                    format!("'{name}' is a parameter; {section} cannot change it"),
                ));
            }
            if ctx.vars[s as usize].shared {
                return Err(ctx.err(
                    st.line,
                    col,
                    format!("'{name}' is shared by several synapses; {section}, which runs for one synapse, cannot change it"),
                ));
            }
            out.push(EventStmt::Store {
                var: s,
                expr: combine(st.op, Expr::Var(s), rhs),
            });
        } else {
            return Err(ctx.err(
                st.line,
                col,
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
    col: usize,
    whole: bool,
    projection_vars: &[u32],
) -> Result<Expr> {
    let mut bad: Option<String> = None;
    e.walk(&mut |x| {
        if bad.is_some() {
            return;
        }
        match x {
            Expr::Pre(k) => {
                bad = Some(format!(
                    "the pre-synaptic 'pre.{}'",
                    ctx.pre_refs[*k as usize]
                ))
            }
            Expr::Post(k) if whole => {
                bad = Some(format!(
                    "the post-synaptic 'post.{}'",
                    ctx.post_refs[*k as usize]
                ))
            }
            Expr::Var(v) => {
                let d = &ctx.vars[*v as usize];
                if d.locality == Locality::Local && !d.shared {
                    bad = Some(format!("the per-synapse '{}'", d.name));
                } else if whole && d.shared && !projection_vars.contains(v) {
                    bad = Some(format!("the postsynaptic '{}'", d.name));
                }
            }
            Expr::Random { .. } => bad = Some("a random draw".into()),
            _ => {}
        }
    });
    let what = if whole {
        "projection-wide (one value for the projection)"
    } else {
        "postsynaptic (one value per post-synaptic neuron)"
    };
    match bad {
        Some(b) => Err(ctx.err(
            st.line,
            col,
            format!("'{name}' is {what}: its equation cannot read {b}"),
        )),
        None => Ok(e.clone()),
    }
}

/// The derivative of `name` in the ODE statement `st`, written in any form
/// linear in `d<name>/dt`.
fn derivative(ctx: &Ctx, st: &Statement, name: &str, col: usize) -> Result<Expr> {
    let mark = |a: &Ast| -> Result<Expr> {
        // Resolve with the derivative replaced by a marker slot.
        let mut args = HashMap::new();
        args.insert(format!("\u{0}d{name}"), Arg::new(Expr::Temp(DERIV_MARK)));
        let a = replace_deriv(a, name);
        ctx.resolve(&a, st.line, &args)
    };
    let lhs = st
        .lhs
        .as_ref()
        .map(&mark)
        .transpose()?
        .unwrap_or(Expr::Const(0.0));
    let rhs = mark(&st.rhs)?;
    let is_d = |e: &Expr| *e == Expr::Temp(DERIV_MARK);
    let not_linear = || {
        ctx.err(
            st.line,
            col,
            format!("the equation is not linear in d{name}/dt"),
        )
    };
    let (cl, rl) = split_linear(&lhs, &is_d).ok_or_else(not_linear)?;
    let (cr, rr) = split_linear(&rhs, &is_d).ok_or_else(not_linear)?;
    let den = sub_opt(cl, cr).ok_or_else(not_linear)?;
    let num = sub_opt(rr, rl).unwrap_or(Expr::Const(0.0));
    Ok(div(num, den))
}

fn combine(op: AssignOp, x: Expr, rhs: Expr) -> Expr {
    match op {
        AssignOp::Set => rhs,
        AssignOp::Add => Expr::bin(BinOp::Add, x, rhs),
        AssignOp::Sub => Expr::bin(BinOp::Sub, x, rhs),
        AssignOp::Mul => Expr::bin(BinOp::Mul, x, rhs),
        AssignOp::Div => Expr::bin(BinOp::Div, x, rhs),
    }
}

fn replace_deriv(a: &Ast, var: &str) -> Ast {
    match a {
        Ast::Deriv(v, c) if v == var => Ast::Name(format!("\u{0}d{var}"), *c),
        Ast::Unary(op, x) => Ast::Unary(*op, Box::new(replace_deriv(x, var))),
        Ast::Binary(op, x, y) => Ast::Binary(
            *op,
            Box::new(replace_deriv(x, var)),
            Box::new(replace_deriv(y, var)),
        ),
        Ast::Call(n, args, c) => Ast::Call(
            n.clone(),
            args.iter().map(|x| replace_deriv(x, var)).collect(),
            *c,
        ),
        Ast::If(x, y, z) => Ast::If(
            Box::new(replace_deriv(x, var)),
            Box::new(replace_deriv(y, var)),
            Box::new(replace_deriv(z, var)),
        ),
        a => a.clone(),
    }
}

/// Analyses a synapse model into its IR.
pub fn analyse_synapse(model: &Synapse, constants: &HashMap<String, f32>) -> Result<SynapseIr> {
    let mut ctx = Ctx::new(&model.name, constants, true);
    ctx.parse_functions(&model.functions)?;
    ctx.parse_parameters(&model.parameters, true)?;
    match ctx.slot("w") {
        Some(s) => {
            if ctx.vars[s as usize].locality == Locality::Global {
                return Err(ctx.model_err(
                    "'w' is the weight of each synapse: it cannot be shared by the projection",
                ));
            }
            ctx.vars[s as usize].kind = VarKind::Variable;
        }
        None => ctx.vars.insert(
            0,
            VarDecl {
                name: "w".into(),
                kind: VarKind::Variable,
                locality: Locality::Local,
                ty: ValueType::Float,
                init: 0.0,
                shared: false,
            },
        ),
    }
    // The learning rule: per-synapse variables declared by the equations
    // (w is one already), then translated as a neuron's are.
    ctx.section = "equations";
    let eqs = ctx.statements(&model.equations, false)?;
    let mut lhs_info = Vec::new();
    // `: projection` variables (also `shared`; stricter reads).
    let mut projection_vars: Vec<u32> = Vec::new();
    for st in &eqs {
        let (name, col, is_ode) = lhs_name(&ctx, st)?;
        if name.contains('.') {
            return Err(ctx.err(
                st.line,
                col,
                format!("'{name}': a synapse's equations change its own variables, not pre- or post-synaptic ones"),
            ));
        }
        check_name(&ctx, &name, st.line, col)?;
        let postsynaptic = st
            .flags
            .iter()
            .any(|f| matches!(f, Flag::Word(w, _) if w == "postsynaptic"));
        let projection = st
            .flags
            .iter()
            .any(|f| matches!(f, Flag::Word(w, _) if w == "projection"));
        let slot = match ctx.slot(&name) {
            Some(s) if ctx.vars[s as usize].kind == VarKind::Parameter => {
                return Err(ctx.err(
                    st.line,
                    col,
                    format!("'{name}' is a parameter; it cannot be assigned in the equations"),
                ))
            }
            Some(s) => s as usize,
            None => {
                ctx.vars.push(VarDecl {
                    name: name.clone(),
                    kind: VarKind::Variable,
                    locality: Locality::Local,
                    ty: ValueType::Float,
                    init: 0.0,
                    shared: false,
                });
                ctx.vars.len() - 1
            }
        };
        if postsynaptic || projection {
            if name == "w" {
                return Err(ctx.err(
                    st.line,
                    col,
                    "'w' is the weight of each synapse: it cannot be shared",
                ));
            }
            if postsynaptic && projection {
                return Err(ctx.err(
                    st.line,
                    col,
                    "a variable is postsynaptic or projection-wide, not both",
                ));
            }
            ctx.vars[slot].shared = true;
            if projection {
                projection_vars.push(slot as u32);
            }
        }
        lhs_info.push((name, col, is_ode));
    }
    ctx.section = "psp";
    let psp_text = if model.psp.trim().is_empty() {
        "w * pre.r"
    } else {
        model.psp.as_str()
    };
    let (pl, psp_ast) = ctx.single_expression(psp_text)?;
    ctx.section = "pre_spike";
    let pre_text = if model.pre_spike.trim().is_empty() {
        "g_target += w"
    } else {
        model.pre_spike.as_str()
    };
    let pre_stmts = ctx.statements(pre_text, false)?;
    ctx.section = "post_spike";
    let post_stmts = ctx.statements(&model.post_spike, false)?;
    let mut asts: Vec<&Ast> = vec![&psp_ast];
    for s in pre_stmts.iter().chain(&post_stmts).chain(&eqs) {
        asts.push(&s.rhs);
    }
    let mut pre_refs = Vec::new();
    let mut post_refs = Vec::new();
    collect_names(
        &asts,
        &|n| n.strip_prefix("pre.").map(str::to_string),
        &mut pre_refs,
    );
    collect_names(
        &asts,
        &|n| n.strip_prefix("post.").map(str::to_string),
        &mut post_refs,
    );
    ctx.pre_refs = pre_refs;
    ctx.post_refs = post_refs;
    ctx.section = "psp";
    let mut psp = vec![Stmt::Let {
        temp: 0,
        expr: ctx.resolve(&psp_ast, pl, &HashMap::new())?,
    }];
    let mut n_random = 0;
    number_random(&mut psp, &mut n_random);
    let psp = match psp.pop() {
        Some(Stmt::Let { expr, .. }) => expr,
        _ => Expr::Const(0.0),
    };
    let w = ctx.slot("w").unwrap_or(0);
    let r = ctx.pre_refs.iter().position(|x| x == "r").map(|i| i as u32);
    let psp_is_weighted_rate = r.is_some_and(|r| {
        psp == Expr::bin(BinOp::Mul, Expr::Var(w), Expr::Pre(r))
            || psp == Expr::bin(BinOp::Mul, Expr::Pre(r), Expr::Var(w))
    });
    ctx.section = "pre_spike";
    let mut pre_spike = event_statements(&ctx, &pre_stmts, true)?;
    ctx.section = "post_spike";
    let mut post_spike = event_statements(&ctx, &post_stmts, false)?;
    for s in pre_spike.iter_mut().chain(post_spike.iter_mut()) {
        let e = match s {
            EventStmt::AddConductance(e) | EventStmt::Store { expr: e, .. } => e,
        };
        *e = number_expr(e, &mut n_random);
    }
    ctx.section = "equations";
    let mut update = Vec::new();
    let mut pending: Vec<Ode> = Vec::new();
    // Event-driven variables: (slot, A, B) of dx/dt = A + B x.
    let mut decays: Vec<(u32, Option<Expr>, Option<Expr>)> = Vec::new();
    for (st, (name, col, is_ode)) in eqs.iter().zip(&lhs_info) {
        let slot = ctx
            .slot(name)
            .ok_or_else(|| ctx.err(st.line, *col, "internal: undeclared variable"))?;
        let fl = eq_flags(&ctx, st, Method::Explicit)?;
        if let Some(i) = fl.init {
            ctx.vars[slot as usize].init = i;
        }
        let event_driven = st
            .flags
            .iter()
            .any(|f| matches!(f, Flag::Word(w, _) if w == "event-driven"));
        if event_driven {
            // Integrated exactly from the last event: x' = A + B x gives
            // x(t) = x e^(B D) + A / B (e^(B D) - 1), D = t - t_last.
            if !*is_ode {
                return Err(ctx.err(st.line, *col, "only an ODE can be event-driven"));
            }
            let f = derivative(&ctx, st, name, *col)?;
            let is_x = |e: &Expr| *e == Expr::Var(slot);
            let (b, a) = split_linear(&f, &is_x).ok_or_else(|| {
                ctx.err(
                    st.line,
                    *col,
                    format!("an event-driven ODE must be linear in {name}, as dx/dt = A + B x"),
                )
            })?;
            decays.push((slot, a, b));
            continue;
        }
        let per_post = ctx.vars[slot as usize].shared;
        let whole = projection_vars.contains(&slot);
        let check = |ctx: &Ctx, e: Expr| -> Result<Expr> {
            if per_post {
                shared_synapse_expr(ctx, &e, st, name, *col, whole, &projection_vars)
            } else {
                Ok(e)
            }
        };
        let (min, max) = (
            fl.min.clone().map(|e| check(&ctx, e)).transpose()?,
            fl.max.clone().map(|e| check(&ctx, e)).transpose()?,
        );
        if *is_ode {
            if st.op != AssignOp::Set {
                return Err(ctx.err(st.line, *col, "an ODE is written with '='"));
            }
            let f = check(&ctx, derivative(&ctx, st, name, *col)?)?;
            if !pending.is_empty() && pending[0].method != fl.method {
                integrate_block(&mut ctx, &std::mem::take(&mut pending), &mut update)?;
            }
            pending.push(Ode {
                var: slot,
                f,
                method: fl.method,
                guard: Guard::Always,
                line: st.line,
                col: *col,
                min,
                max,
            });
        } else {
            if !pending.is_empty() {
                integrate_block(&mut ctx, &std::mem::take(&mut pending), &mut update)?;
            }
            if fl.method != Method::Explicit {
                return Err(ctx.err(st.line, *col, "an integration method only applies to ODEs"));
            }
            let rhs = check(&ctx, ctx.resolve(&st.rhs, st.line, &HashMap::new())?)?;
            let e = combine(st.op, Expr::Var(slot), rhs);
            update.push(Stmt::Store {
                var: slot,
                expr: clamp(e, &min, &max),
                guard: Guard::Always,
            });
        }
    }
    if !pending.is_empty() {
        integrate_block(&mut ctx, &pending, &mut update)?;
    }
    number_random(&mut update, &mut n_random);
    // The default path keeps weights in pre order: post_spike walks them
    // in post order, so a model with post_spike takes the general path.
    let pre_spike_is_default = pre_spike == vec![EventStmt::AddConductance(Expr::Var(w))]
        && decays.is_empty()
        && post_spike.is_empty();
    let event_driven = !decays.is_empty();
    if event_driven {
        ctx.vars.push(VarDecl {
            name: "_t_last".into(),
            kind: VarKind::Hidden,
            locality: Locality::Local,
            ty: ValueType::Float,
            init: 0.0,
            shared: false,
        });
        let t_last = ctx.vars.len() as u32 - 1;
        let elapsed = Expr::bin(BinOp::Sub, Expr::Time, Expr::Var(t_last));
        let mut first = Vec::new();
        for (slot, a, b) in &decays {
            let x = Expr::Var(*slot);
            let expr = match b {
                None => Expr::bin(
                    BinOp::Add,
                    x,
                    Expr::bin(
                        BinOp::Mul,
                        a.clone().unwrap_or(Expr::Const(0.0)),
                        elapsed.clone(),
                    ),
                ),
                Some(b) => {
                    let e = Expr::Call(
                        Func::Exp,
                        vec![Expr::bin(BinOp::Mul, b.clone(), elapsed.clone())],
                    );
                    let decayed = Expr::bin(BinOp::Mul, x, e.clone());
                    match a {
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
            };
            first.push(EventStmt::Store { var: *slot, expr });
        }
        let stamp = EventStmt::Store {
            var: t_last,
            expr: Expr::Time,
        };
        let with = |stmts: Vec<EventStmt>| -> Vec<EventStmt> {
            first
                .iter()
                .cloned()
                .chain(stmts)
                .chain([stamp.clone()])
                .collect()
        };
        pre_spike = with(pre_spike);
        if !post_spike.is_empty() {
            post_spike = with(post_spike);
        }
    }
    Ok(SynapseIr {
        post_spike,
        event_driven,
        update,
        name: ctx.model.clone(),
        vars: ctx.vars,
        pre_refs: ctx.pre_refs,
        post_refs: ctx.post_refs,
        psp,
        psp_is_weighted_rate,
        pre_spike,
        pre_spike_is_default,
        n_random,
    })
}

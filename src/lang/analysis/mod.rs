//! Name resolution and integration: model text -> IR.
//!
//! [`analyse_neuron`] (`neuron`) and [`analyse_synapse`] (`synapse`) fill
//! one context, `Ctx`, in the same passes: `declare` reads the parameters
//! and declares what the equations assign, `equations` translates them
//! (what differs between neurons and synapses is a `declare::Rules`).
//! `globals` holds what every model of a network may read: its constants
//! and functions. Below them, `resolve` turns expressions into IR (user functions
//! inlined), `algebra` solves an ODE for its derivative, `methods`
//! integrates it (one method a file) and `random` numbers the draws.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use super::ast::{Ast, Statement};
use super::ir::{Locality, ValueType, VarDecl, VarKind};
use super::parser::{parse_expression, parse_statement, split_statements, SyntaxError};
use crate::error::{Error, Result};
use resolve::UserFn;

mod algebra;
mod declare;
mod equations;
mod globals;
mod methods;
mod neuron;
mod random;
mod resolve;
mod synapse;

pub use algebra::binop;
pub use globals::Globals;
pub use neuron::analyse_neuron;
pub use synapse::analyse_synapse;
pub use synapse::SPIKE_TIME;

/// Name of the hidden per-neuron refractory counter (steps left).
pub const REFRACTORY_COUNTER: &str = "_refractory_remaining";

/// Everything needed to resolve names and report errors in one model.
struct Ctx<'a> {
    /// The model's name, for errors.
    model: String,
    /// The section being read, for errors.
    section: &'static str,
    /// The network's constants and functions.
    globals: &'a Globals,
    /// User functions, by name.
    functions: HashMap<String, UserFn>,
    /// The slots of the model, in order.
    vars: Vec<VarDecl>,
    /// The targets of a neuron's `sum(target)`, in order.
    targets: Vec<String>,
    /// The `pre.x` a synapse reads, in order.
    pre_refs: Vec<String>,
    /// The `post.x` a synapse reads, in order.
    post_refs: Vec<String>,
    /// Whether the model is a synapse.
    synapse: bool,
    /// Temporaries used so far.
    n_temps: u32,
    /// Nodes built by the current `resolve` (see [`resolve::MAX_EXPR_NODES`]).
    nodes: Cell<usize>,
    /// User functions being expanded, outermost first.
    calls: RefCell<Vec<String>>,
}

impl<'a> Ctx<'a> {
    fn new(model: &str, globals: &'a Globals, synapse: bool) -> Self {
        Ctx {
            model: model.to_string(),
            section: "parameters",
            globals,
            functions: globals.user_functions(),
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
            message: crate::error::clip_quoted(&message.into()),
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

    /// Declares a per-element float variable starting at 0; returns its slot.
    fn push_var(&mut self, name: &str, kind: VarKind) -> u32 {
        self.vars.push(local_var(name, kind));
        self.vars.len() as u32 - 1
    }

    fn temp(&mut self) -> u32 {
        self.n_temps += 1;
        self.n_temps - 1
    }

    fn statements(&self, text: &str, allow_bare: bool) -> Result<Vec<Statement>> {
        split_statements(text)
            .iter()
            .map(|src| parse_statement(src, allow_bare).map_err(|e| self.syntax(e)))
            .collect()
    }

    /// Parses a section holding one expression (spike condition, psp,
    /// refractory period); returns it with its line.
    fn single_expression(&self, text: &str) -> Result<(usize, Ast)> {
        let parts = split_statements(text);
        if let Some(src) = parts.get(1) {
            return Err(self.err(
                src.line(),
                src.col(),
                "this section holds a single expression",
            ));
        }
        match parts.first() {
            Some(src) => Ok((
                src.line(),
                parse_expression(src).map_err(|e| self.syntax(e))?,
            )),
            None => Err(self.err(
                1,
                1,
                "an expression is expected (the text is empty or only a comment)",
            )),
        }
    }
}

/// A per-element float variable starting at 0.
fn local_var(name: &str, kind: VarKind) -> VarDecl {
    VarDecl {
        name: name.to_string(),
        kind,
        locality: Locality::Local,
        ty: ValueType::Float,
        init: 0.0,
        shared: false,
    }
}

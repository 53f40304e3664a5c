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

use super::ast::{Ast, Pos, Statement};
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
    /// The slots of the model, in order (added with [`Ctx::add_var`], so
    /// that `slots` stays their index).
    vars: Vec<VarDecl>,
    /// The slot of each name of `vars`: a model of tens of thousands of
    /// lines looks its names up in constant time, not along `vars`.
    slots: HashMap<String, u32>,
    /// The targets of a neuron's `sum(target)`, in order.
    targets: Names,
    /// The `pre.x` a synapse reads, in order.
    pre_refs: Names,
    /// The `post.x` a synapse reads, in order.
    post_refs: Names,
    /// Whether the model is a synapse.
    synapse: bool,
    /// Temporaries used so far.
    n_temps: u32,
    /// Nodes built by the current `resolve` (see [`resolve::MAX_EXPR_NODES`]).
    nodes: Cell<usize>,
    /// User functions being expanded, outermost first.
    calls: RefCell<Vec<String>>,
    /// Where the outermost of them is called (in `section`).
    call_site: Cell<Pos>,
    /// Whether the error coming out of the expansion has been moved to
    /// the model's functions section already (by the innermost model
    /// function it arose in).
    relocated: Cell<bool>,
}

impl<'a> Ctx<'a> {
    fn new(model: &str, globals: &'a Globals, synapse: bool) -> Self {
        Ctx {
            model: model.to_string(),
            section: "parameters",
            globals,
            functions: globals.user_functions(),
            vars: Vec::new(),
            slots: HashMap::new(),
            targets: Names::default(),
            pre_refs: Names::default(),
            post_refs: Names::default(),
            synapse,
            n_temps: 0,
            nodes: Cell::new(0),
            calls: RefCell::new(Vec::new()),
            call_site: Cell::new(Pos::default()),
            relocated: Cell::new(false),
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

    fn err_at(&self, pos: Pos, message: impl Into<String>) -> Error {
        self.err(pos.line, pos.column, message)
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
        self.slots.get(name).copied()
    }

    /// Declares a variable in the next slot; returns the slot. A name
    /// declared twice keeps its first slot (the callers refuse that
    /// before, with an error at the name).
    fn add_var(&mut self, decl: VarDecl) -> u32 {
        let slot = self.vars.len() as u32;
        self.slots.entry(decl.name.clone()).or_insert(slot);
        self.vars.push(decl);
        slot
    }

    /// Declares a variable in slot 0, moving the others up by one.
    fn add_first_var(&mut self, decl: VarDecl) {
        self.vars.insert(0, decl);
        self.slots.clear();
        for (i, v) in self.vars.iter().enumerate() {
            self.slots.entry(v.name.clone()).or_insert(i as u32);
        }
    }

    /// Declares a per-element float variable starting at 0; returns its slot.
    fn push_var(&mut self, name: &str, kind: VarKind) -> u32 {
        self.add_var(local_var(name, kind))
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
    /// refractory period); returns it with where it starts.
    fn single_expression(&self, text: &str) -> Result<(Pos, Ast)> {
        let parts = split_statements(text);
        if let Some(src) = parts.get(1) {
            return Err(self.err_at(src.start(), "this section holds a single expression"));
        }
        match parts.first() {
            Some(src) => Ok((
                src.start(),
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

/// Names in the order they were first added, each with its index.
#[derive(Default)]
struct Names {
    /// The names, in order.
    list: Vec<String>,
    /// The index of each name in `list`.
    index: HashMap<String, u32>,
}

impl Names {
    /// The index of `name`, if added.
    fn get(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }

    /// Adds `name` at the end unless it is there already.
    fn add(&mut self, name: &str) {
        if !self.index.contains_key(name) {
            self.index.insert(name.to_string(), self.list.len() as u32);
            self.list.push(name.to_string());
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
        init_from: None,
    }
}

//! Syntax tree of one statement of the equation language.

/// Binary operators. Comparisons and logic produce 1.0 (true) or 0.0 (false).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `^` or `**`
    Pow,
    /// `%` (truncated remainder, as WGSL's `%` on f32)
    Rem,
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `and`
    And,
    /// `or`
    Or,
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnOp {
    /// `-x`
    Neg,
    /// `not x`
    Not,
}

/// An expression as written, with the column of each name for error messages.
#[derive(Debug, Clone, PartialEq)]
pub enum Ast {
    /// A number literal.
    Num(f64),
    /// A name, possibly dotted (`pre.r`), with its 1-based column.
    Name(String, usize),
    /// `dX/dt`: the derivative of X, with its column.
    Deriv(String, usize),
    /// A unary operation.
    Unary(UnOp, Box<Ast>),
    /// A binary operation.
    Binary(BinOp, Box<Ast>, Box<Ast>),
    /// A function call (also `sum(target)` and random variables), with the column.
    Call(String, Vec<Ast>, usize),
    /// `if c then a else b` / `ite(c, a, b)`.
    If(Box<Ast>, Box<Ast>, Box<Ast>),
}

impl Ast {
    /// Visits every node, parents first.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Ast)) {
        f(self);
        match self {
            Ast::Num(_) | Ast::Name(..) | Ast::Deriv(..) => {}
            Ast::Unary(_, a) => a.walk(f),
            Ast::Binary(_, a, b) => {
                a.walk(f);
                b.walk(f);
            }
            Ast::Call(_, args, _) => args.iter().for_each(|a| a.walk(f)),
            Ast::If(c, a, b) => {
                c.walk(f);
                a.walk(f);
                b.walk(f);
            }
        }
    }
}

/// The assignment operator of a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignOp {
    /// `=`
    Set,
    /// `+=`
    Add,
    /// `-=`
    Sub,
    /// `*=`
    Mul,
    /// `/=`
    Div,
}

/// One flag after the `:` of a statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Flag {
    /// A bare word: `population`, `int`, `exponential`...
    Word(String, usize),
    /// `init = expr`, `min = expr`, `max = expr`.
    Value(String, Ast, usize),
}

/// One statement: `lhs op rhs : flags`, or a bare expression (spike conditions).
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// 1-based line within its section.
    pub line: usize,
    /// Left-hand side; `None` for a bare expression.
    pub lhs: Option<Ast>,
    /// The assignment operator.
    pub op: AssignOp,
    /// Right-hand side (or the bare expression).
    pub rhs: Ast,
    /// Flags after `:`.
    pub flags: Vec<Flag>,
}

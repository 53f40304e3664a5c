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

/// A place in the text of a section: 1-based line and column (in
/// characters), where a token starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// 1-based line within the section.
    pub line: usize,
    /// 1-based column within the line.
    pub column: usize,
}

/// An expression as written, with the place of each name for error
/// messages (a statement may go on over several lines).
#[derive(Debug, Clone, PartialEq)]
pub enum Ast {
    /// A number literal, where it is written.
    Num(f64, Pos),
    /// A name, possibly dotted (`pre.r`), where it is written.
    Name(String, Pos),
    /// `dX/dt`: the derivative of X, where it is written.
    Deriv(String, Pos),
    /// A unary operation.
    Unary(UnOp, Box<Ast>),
    /// A binary operation.
    Binary(BinOp, Box<Ast>, Box<Ast>),
    /// A function call (also `sum(target)` and random variables), where
    /// its name is written.
    Call(String, Vec<Ast>, Pos),
    /// `if c then a else b` / `ite(c, a, b)`.
    If(Box<Ast>, Box<Ast>, Box<Ast>),
}

impl Ast {
    /// Visits every node, parents first.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Ast)) {
        f(self);
        match self {
            Ast::Num(..) | Ast::Name(..) | Ast::Deriv(..) => {}
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
    /// A bare word: `population`, `int`, `exponential`..., where it is written.
    Word(String, Pos),
    /// `init = expr`, `min = expr`, `max = expr`, where the name is written.
    Value(String, Ast, Pos),
}

impl Flag {
    /// The flag's name.
    pub fn name(&self) -> &str {
        match self {
            Flag::Word(n, _) | Flag::Value(n, _, _) => n,
        }
    }

    /// Where the flag is written.
    pub fn pos(&self) -> Pos {
        match self {
            Flag::Word(_, p) | Flag::Value(_, _, p) => *p,
        }
    }
}

/// One statement: `lhs op rhs : flags`, or a bare expression (spike conditions).
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// Where its first token is written (the line it starts on).
    pub pos: Pos,
    /// Left-hand side; `None` for a bare expression.
    pub lhs: Option<Ast>,
    /// The assignment operator.
    pub op: AssignOp,
    /// Right-hand side (or the bare expression).
    pub rhs: Ast,
    /// Flags after `:`.
    pub flags: Vec<Flag>,
}

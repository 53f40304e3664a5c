//! Lexer and recursive-descent parser for one section of model text.

use super::ast::{AssignOp, Ast, BinOp, Flag, Pos, Statement, UnOp};

/// A syntax error at a position of a section (1-based line and column).
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    /// 1-based line in the section.
    pub line: usize,
    /// 1-based column in the line.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Name(String),
    Op(&'static str),
    End,
}

// Longest operators first so that `**` wins over `*` and `<=` over `<`.
const OPS: &[&str] = &[
    "**", "<=", ">=", "==", "!=", "+=", "-=", "*=", "/=", "+", "-", "*", "/", "^", "%", "<", ">",
    "=", "(", ")", ",", ":",
];

fn lex(text: &str, line: usize, col0: usize) -> Result<Vec<(Tok, usize, usize)>, SyntaxError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = col0 + i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                let mut j = i + 1;
                if j < chars.len() && (chars[j] == '+' || chars[j] == '-') {
                    j += 1;
                }
                if j < chars.len() && chars[j].is_ascii_digit() {
                    i = j;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let s: String = chars[start..i].iter().collect();
            let v: f64 = s.parse().map_err(|_| SyntaxError {
                line,
                column: col,
                message: format!("malformed number '{s}'"),
            })?;
            // Whether it fits the network's precision is checked where
            // the model is analysed (`resolve`), at this literal's place.
            if !v.is_finite() {
                return Err(SyntaxError {
                    line,
                    column: col,
                    message: format!("the number '{s}': {s} does not fit even double precision"),
                });
            }
            out.push((Tok::Num(v), line, col));
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric()
                    || chars[i] == '_'
                    || (chars[i] == '.'
                        && chars
                            .get(i + 1)
                            .is_some_and(|d| d.is_alphabetic() || *d == '_')))
            {
                i += 1;
            }
            out.push((Tok::Name(chars[start..i].iter().collect()), line, col));
            continue;
        }
        let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
        match OPS.iter().find(|op| rest.starts_with(**op)) {
            Some(op) => {
                out.push((Tok::Op(op), line, col));
                i += op.len();
            }
            None => {
                return Err(SyntaxError {
                    line,
                    column: col,
                    message: format!("unexpected character '{c}'"),
                })
            }
        }
    }
    out.push((Tok::End, line, col0 + chars.len()));
    Ok(out)
}

struct Parser {
    /// Tokens with the line and column where each starts (a statement may be
    /// continued over several lines).
    toks: Vec<(Tok, usize, usize)>,
    pos: usize,
    /// Nesting of the recursive descent (parentheses, unary operators, ...).
    depth: usize,
    /// An upper bound of the height of the tree being built: nesting plus the
    /// operators of the chains (`a + b + c ...`) still open.
    height: usize,
}

// Deep nesting and very long chains are legal but a fuzzer can build them;
// past these the parser reports an error instead of overflowing the stack
// (of the parser here, or of the recursive passes over the tree later,
// also in debug builds with 2 MiB thread stacks).
const MAX_DEPTH: usize = 64;
// Largest height of an expression tree (see `Parser::height`).
const MAX_HEIGHT: usize = 200;
const TOO_DEEP: &str = "expression nested too deeply or too long (split it into several equations)";

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos].0
    }
    fn col(&self) -> usize {
        self.toks[self.pos].2
    }
    fn line(&self) -> usize {
        self.toks[self.pos].1
    }
    /// Where the next token starts.
    fn here(&self) -> Pos {
        Pos {
            line: self.line(),
            column: self.col(),
        }
    }
    fn next(&mut self) -> Tok {
        let t = self.toks[self.pos].0.clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }
    fn err<T>(&self, message: impl Into<String>) -> Result<T, SyntaxError> {
        Err(SyntaxError {
            line: self.line(),
            column: self.col(),
            message: message.into(),
        })
    }
    /// Enters one level of recursion.
    fn enter(&mut self) -> Result<(), SyntaxError> {
        self.depth += 1;
        self.height += 1;
        if self.depth > MAX_DEPTH || self.height > MAX_HEIGHT {
            return self.err(TOO_DEEP);
        }
        Ok(())
    }
    fn leave(&mut self) {
        self.depth -= 1;
        self.height -= 1;
    }
    /// One more operator in a left-associative chain (undone by the caller
    /// with `height -= n` when the chain ends).
    fn chain(&mut self) -> Result<(), SyntaxError> {
        self.height += 1;
        if self.height > MAX_HEIGHT {
            return self.err(TOO_DEEP);
        }
        Ok(())
    }
    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Tok::Op(o) if *o == op)
    }
    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Tok::Name(n) if n == w)
    }
    fn expect_op(&mut self, op: &str) -> Result<(), SyntaxError> {
        if self.is_op(op) {
            self.next();
            Ok(())
        } else {
            let found = describe(self.peek());
            self.err(format!("expected '{op}', found {found}"))
        }
    }

    fn expr(&mut self) -> Result<Ast, SyntaxError> {
        self.enter()?;
        let r = if self.is_word("if") {
            self.next();
            let c = self.expr()?;
            // ANNarchy writes `if c: a else: b`; `if c then a else b` is
            // cajal's older spelling. Either is accepted.
            if !(self.is_word("then") || self.is_op(":")) {
                let found = describe(self.peek());
                return self.err(format!(
                    "expected ':' (or 'then') after the condition of 'if', found {found}"
                ));
            }
            self.next();
            let a = self.expr()?;
            if !self.is_word("else") {
                let found = describe(self.peek());
                return self.err(format!(
                    "expected 'else' in 'if condition: a else: b', found {found}"
                ));
            }
            self.next();
            if self.is_op(":") {
                self.next();
            }
            let b = self.expr()?;
            Ok(Ast::If(Box::new(c), Box::new(a), Box::new(b)))
        } else {
            self.or()
        };
        self.leave();
        r
    }

    fn or(&mut self) -> Result<Ast, SyntaxError> {
        let mut a = self.and()?;
        let h = self.height;
        while self.is_word("or") {
            self.chain()?;
            self.next();
            let b = self.and()?;
            a = Ast::Binary(BinOp::Or, Box::new(a), Box::new(b));
        }
        self.height = h;
        Ok(a)
    }

    fn and(&mut self) -> Result<Ast, SyntaxError> {
        let mut a = self.not()?;
        let h = self.height;
        while self.is_word("and") {
            self.chain()?;
            self.next();
            let b = self.not()?;
            a = Ast::Binary(BinOp::And, Box::new(a), Box::new(b));
        }
        self.height = h;
        Ok(a)
    }

    fn not(&mut self) -> Result<Ast, SyntaxError> {
        if self.is_word("not") {
            self.next();
            self.enter()?;
            let a = self.not()?;
            self.leave();
            return Ok(Ast::Unary(UnOp::Not, Box::new(a)));
        }
        self.cmp()
    }

    fn cmp(&mut self) -> Result<Ast, SyntaxError> {
        let a = self.add()?;
        let op = match self.peek() {
            Tok::Op("<") => BinOp::Lt,
            Tok::Op(">") => BinOp::Gt,
            Tok::Op("<=") => BinOp::Le,
            Tok::Op(">=") => BinOp::Ge,
            Tok::Op("==") => BinOp::Eq,
            Tok::Op("!=") => BinOp::Ne,
            _ => return Ok(a),
        };
        self.next();
        self.chain()?;
        let b = self.add()?;
        self.height -= 1;
        Ok(Ast::Binary(op, Box::new(a), Box::new(b)))
    }

    fn add(&mut self) -> Result<Ast, SyntaxError> {
        let mut a = self.mul()?;
        let h = self.height;
        loop {
            let op = match self.peek() {
                Tok::Op("+") => BinOp::Add,
                Tok::Op("-") => BinOp::Sub,
                _ => {
                    self.height = h;
                    return Ok(a);
                }
            };
            self.chain()?;
            self.next();
            let b = self.mul()?;
            a = Ast::Binary(op, Box::new(a), Box::new(b));
        }
    }

    fn mul(&mut self) -> Result<Ast, SyntaxError> {
        let mut a = self.unary()?;
        let h = self.height;
        loop {
            let op = match self.peek() {
                Tok::Op("*") => BinOp::Mul,
                Tok::Op("/") => BinOp::Div,
                Tok::Op("%") => BinOp::Rem,
                _ => {
                    self.height = h;
                    return Ok(a);
                }
            };
            self.chain()?;
            self.next();
            let b = self.unary()?;
            a = Ast::Binary(op, Box::new(a), Box::new(b));
        }
    }

    fn unary(&mut self) -> Result<Ast, SyntaxError> {
        if self.is_op("-") || self.is_op("+") {
            let neg = self.is_op("-");
            self.next();
            self.enter()?;
            let a = self.unary()?;
            self.leave();
            return Ok(if neg {
                Ast::Unary(UnOp::Neg, Box::new(a))
            } else {
                a
            });
        }
        self.power()
    }

    fn power(&mut self) -> Result<Ast, SyntaxError> {
        let base = self.primary()?;
        if self.is_op("^") || self.is_op("**") {
            self.next();
            // Right-associative, and binds tighter than a unary minus on its left:
            // -x^2 is -(x^2), as in Python.
            self.enter()?;
            let e = self.unary()?;
            self.leave();
            return Ok(Ast::Binary(BinOp::Pow, Box::new(base), Box::new(e)));
        }
        Ok(base)
    }

    fn primary(&mut self) -> Result<Ast, SyntaxError> {
        let col = self.col();
        let line = self.line();
        let at = self.here();
        match self.next() {
            Tok::Num(v) => Ok(Ast::Num(v, at)),
            Tok::Op("(") => {
                let e = self.expr()?;
                self.expect_op(")")?;
                Ok(e)
            }
            Tok::Name(n) => {
                if is_keyword(&n) {
                    self.pos -= 1;
                    return self.err(format!("'{n}' cannot start an expression"));
                }
                // dX/dt: a derivative.
                if n.len() > 1 && n.starts_with('d') && self.is_op("/") {
                    let save = self.pos;
                    self.next();
                    if self.is_word("dt") {
                        self.next();
                        return Ok(Ast::Deriv(n[1..].to_string(), at));
                    }
                    self.pos = save;
                }
                if self.is_op("(") {
                    self.next();
                    let mut args = Vec::new();
                    if !self.is_op(")") {
                        loop {
                            args.push(self.expr()?);
                            if self.is_op(",") {
                                self.next();
                                continue;
                            }
                            break;
                        }
                    }
                    self.expect_op(")")?;
                    if n == "ite" {
                        if args.len() != 3 {
                            return Err(SyntaxError {
                                line,
                                column: col,
                                message: format!("ite() takes 3 arguments, got {}", args.len()),
                            });
                        }
                        let b = args.pop();
                        let a = args.pop();
                        let c = args.pop();
                        if let (Some(c), Some(a), Some(b)) = (c, a, b) {
                            return Ok(Ast::If(Box::new(c), Box::new(a), Box::new(b)));
                        }
                        unreachable!("arity checked above");
                    }
                    return Ok(Ast::Call(n, args, at));
                }
                Ok(Ast::Name(n, at))
            }
            t => {
                self.pos = self.pos.saturating_sub(1);
                let found = describe(&t);
                Err(SyntaxError {
                    line,
                    column: col,
                    message: format!("expected a number, a name or '(', found {found}"),
                })
            }
        }
    }
}

fn is_keyword(n: &str) -> bool {
    matches!(n, "if" | "then" | "else" | "and" | "or" | "not")
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Num(v) => format!("number {v}"),
        Tok::Name(n) => format!("'{n}'"),
        Tok::Op(o) => format!("'{o}'"),
        Tok::End => "the end of the line".to_string(),
    }
}

/// One statement of a section: the pieces of text it spans, each with the
/// 1-based line and column where it starts (a statement continued over
/// several lines has one piece a line).
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// (line, column, text) of each piece, in order.
    pub pieces: Vec<(usize, usize, String)>,
}

impl Source {
    /// A statement written on one line.
    pub fn one(line: usize, col: usize, text: &str) -> Source {
        Source {
            pieces: vec![(line, col, text.to_string())],
        }
    }
    /// The line where the statement starts.
    pub fn line(&self) -> usize {
        self.pieces[0].0
    }
    /// The column where the statement's piece on its first line starts
    /// (after a `;`, or at 1), blanks before its first token included.
    pub fn col(&self) -> usize {
        self.pieces[0].1
    }
    /// Where the statement's first token is written.
    pub fn start(&self) -> Pos {
        let (line, col, text) = &self.pieces[0];
        let blanks = text.chars().take_while(|c| c.is_whitespace()).count();
        Pos {
            line: *line,
            column: col + blanks,
        }
    }
    /// The statement's text, its pieces joined by a space.
    pub fn text(&self) -> String {
        let parts: Vec<&str> = self.pieces.iter().map(|p| p.2.trim()).collect();
        parts.join(" ")
    }
}

/// How many more parentheses `text` opens than it closes.
fn paren_balance(text: &str) -> i64 {
    text.chars()
        .map(|c| match c {
            '(' => 1,
            ')' => -1,
            _ => 0,
        })
        .sum()
}

/// Whether a statement cannot end after `last`, its last piece, with
/// `depth` parentheses open over all its pieces: an open parenthesis, or a
/// last word that needs something after it (`if c:`, `else:`, `a +`).
fn is_open(depth: i64, last: &str) -> bool {
    if depth > 0 {
        return true;
    }
    let last = last.trim_end();
    if last.ends_with([':', '+', '-', '*', '/', '^', '%', '=', '<', '>', ',']) {
        return true;
    }
    let word = last
        .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
        .next()
        .unwrap_or("");
    matches!(word, "if" | "then" | "else" | "and" | "or" | "not")
}

/// Whether a line continues the statement before it: it starts with `else`
/// or `then` (ANNarchy's multi-line conditionals) or with a binary operator.
fn continues(text: &str) -> bool {
    let t = text.trim_start();
    if t.starts_with(['+', '-', '*', '/', '^', '%', ')']) && !t.starts_with("->") {
        return true;
    }
    let word: String = t
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    matches!(word.as_str(), "else" | "then" | "and" | "or")
}

/// Splits a section into statements: one a line, or separated by `;`.
/// `#` starts a comment. A statement goes on over the next lines while it
/// cannot end (an open parenthesis, a trailing `:` or operator) or when the
/// next line starts with `else` or an operator, as ANNarchy's
/// ```text
/// age = if pre.r * post.r > 1.0 :
///         0
///       else :
///         age + 1 : init = 0
/// ```
pub fn split_statements(text: &str) -> Vec<Source> {
    let mut out: Vec<Source> = Vec::new();
    // The parentheses open in the last statement, kept as pieces are added
    // (not counted again over all its pieces at each line).
    let mut depth = 0;
    for (li, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("");
        let mut col = 1;
        for part in line.split(';') {
            let n = part.chars().count();
            if !part.trim().is_empty() {
                let piece = (li + 1, col, part.to_string());
                let balance = paren_balance(part);
                match out.last_mut() {
                    Some(prev)
                        if prev.pieces.last().is_some_and(|p| is_open(depth, &p.2))
                            || continues(part) =>
                    {
                        prev.pieces.push(piece);
                        depth += balance;
                    }
                    _ => {
                        out.push(Source {
                            pieces: vec![piece],
                        });
                        depth = balance;
                    }
                }
            }
            col += n + 1;
        }
    }
    out
}

/// The tokens of every piece of a statement, with one end token.
fn lex_source(src: &Source) -> Result<Vec<(Tok, usize, usize)>, SyntaxError> {
    let mut toks = Vec::new();
    for (line, col, text) in &src.pieces {
        toks.extend(lex(text, *line, *col)?);
        toks.pop(); // the piece's end
    }
    let (line, col, text) = src.pieces.last().cloned().unwrap_or((1, 1, String::new()));
    toks.push((Tok::End, line, col + text.chars().count()));
    Ok(toks)
}

/// Parses one expression standing alone (a spike condition, a refractory period).
pub fn parse_expression(src: &Source) -> Result<Ast, SyntaxError> {
    let mut p = Parser {
        toks: lex_source(src)?,
        pos: 0,
        depth: 0,
        height: 0,
    };
    let e = p.expr()?;
    if !matches!(p.peek(), Tok::End) {
        let found = describe(p.peek());
        return p.err(format!("unexpected {found} after the expression"));
    }
    Ok(e)
}

/// Parses one statement `lhs op rhs : flags` (or a bare expression when
/// `allow_bare` is set).
pub fn parse_statement(src: &Source, allow_bare: bool) -> Result<Statement, SyntaxError> {
    let mut p = Parser {
        toks: lex_source(src)?,
        pos: 0,
        depth: 0,
        height: 0,
    };
    let start = p.here();
    let first = p.expr()?;
    let op = match p.peek() {
        Tok::Op("=") => Some(AssignOp::Set),
        Tok::Op("+=") => Some(AssignOp::Add),
        Tok::Op("-=") => Some(AssignOp::Sub),
        Tok::Op("*=") => Some(AssignOp::Mul),
        Tok::Op("/=") => Some(AssignOp::Div),
        _ => None,
    };
    let (lhs, op, rhs) = match op {
        Some(op) => {
            p.next();
            let rhs = p.expr()?;
            (Some(first), op, rhs)
        }
        None if allow_bare => (None, AssignOp::Set, first),
        None => {
            let found = describe(p.peek());
            return p.err(format!("expected '=' (or '+=', '-=', ...), found {found}"));
        }
    };
    let mut flags = Vec::new();
    if p.is_op(":") {
        p.next();
        loop {
            let at = p.here();
            let name = match p.next() {
                Tok::Name(n) => n,
                t => {
                    p.pos = p.pos.saturating_sub(1);
                    let found = describe(&t);
                    return p.err(format!("expected a flag after ':', found {found}"));
                }
            };
            // `event-driven` is lexed as event - driven.
            let name = if name == "event" && p.is_op("-") {
                p.next();
                match p.next() {
                    Tok::Name(d) if d == "driven" => "event-driven".to_string(),
                    _ => return p.err("expected 'event-driven'"),
                }
            } else {
                name
            };
            if p.is_op("=") {
                p.next();
                let v = p.expr()?;
                flags.push(Flag::Value(name, v, at));
            } else {
                flags.push(Flag::Word(name, at));
            }
            if p.is_op(",") {
                p.next();
                continue;
            }
            break;
        }
    }
    if !matches!(p.peek(), Tok::End) {
        let found = describe(p.peek());
        return p.err(format!("unexpected {found}"));
    }
    Ok(Statement {
        pos: start,
        lhs,
        op,
        rhs,
        flags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_statement(
        s: &str,
        line: usize,
        col: usize,
        bare: bool,
    ) -> Result<Statement, SyntaxError> {
        super::parse_statement(&Source::one(line, col, s), bare)
    }

    fn rhs(s: &str) -> Ast {
        parse_statement(s, 1, 1, false).unwrap().rhs
    }

    #[test]
    fn precedence_and_derivatives() {
        let st = parse_statement(
            "tau * dv/dt = -v + 2^3^2 : init = -65.0, exponential",
            1,
            1,
            false,
        )
        .unwrap();
        assert!(
            matches!(st.lhs, Some(Ast::Binary(BinOp::Mul, _, ref d)) if matches!(**d, Ast::Deriv(ref n, _) if n == "v"))
        );
        assert_eq!(st.flags.len(), 2);
        // 2^3^2 is right associative: 2^(3^2)
        match rhs("x = 2^3^2") {
            Ast::Binary(BinOp::Pow, a, b) => {
                assert!(matches!(*a, Ast::Num(x, _) if x == 2.0));
                assert!(matches!(*b, Ast::Binary(BinOp::Pow, _, _)));
            }
            e => panic!("{e:?}"),
        }
        // -x^2 == -(x^2)
        assert!(matches!(rhs("y = -x^2"), Ast::Unary(UnOp::Neg, _)));
        assert!(matches!(rhs("y = if a > 1 then 2 else 3"), Ast::If(..)));
        assert!(matches!(rhs("y = ite(a, 2, 3)"), Ast::If(..)));
        assert!(matches!(
            rhs("y = a and not b or c"),
            Ast::Binary(BinOp::Or, _, _)
        ));
        // `dx / dtau` is a division, not a derivative.
        assert!(matches!(
            rhs("y = dx / dtau"),
            Ast::Binary(BinOp::Div, _, _)
        ));
        assert!(
            matches!(rhs("y = pre.r * w"), Ast::Binary(BinOp::Mul, ref a, _) if matches!(**a, Ast::Name(ref n, _) if n == "pre.r"))
        );
        assert!(matches!(rhs("y = 1.5e-3"), Ast::Num(x, _) if x == 1.5e-3));
    }

    #[test]
    fn errors_have_columns() {
        let e = parse_statement("v = 3 + * 2", 4, 1, false).unwrap_err();
        assert_eq!((e.line, e.column), (4, 9));
        let e = parse_statement("v = (3 + 2", 1, 1, false).unwrap_err();
        assert!(e.message.contains("')'"), "{}", e.message);
        let e = parse_statement("v = 3 $ 2", 1, 1, false).unwrap_err();
        assert_eq!(e.column, 7);
        assert!(parse_statement("v > 3", 1, 1, false).is_err());
        assert!(parse_statement("v > 3", 1, 1, true).is_ok());
    }

    #[test]
    fn statements_split_on_lines_and_semicolons() {
        let s = split_statements("a = 1; b = 2\n\n# c\nd = 3 # tail");
        let lines: Vec<usize> = s.iter().map(|x| x.line()).collect();
        assert_eq!(lines, vec![1, 1, 4]);
        assert_eq!(s[1].col(), 7);
    }

    #[test]
    fn python_style_conditionals() {
        // ANNarchy's form, with and without spaces before the colons, and
        // flags after the else branch.
        for text in [
            "y = if a > 1: 2 else: 3",
            "y = if a > 1 : 2 else : 3 : min = 0",
            "y = if a > 1 then 2 else 3",
        ] {
            let st = parse_statement(text, 1, 1, false).unwrap();
            assert!(matches!(st.rhs, Ast::If(..)), "{text}");
        }
        let st =
            parse_statement("y = if a > 1 : 2 else : 3 : min = 0, init = 1", 1, 1, false).unwrap();
        assert_eq!(st.flags.len(), 2);
        // Nested in either branch.
        let st = parse_statement("y = if a: if b: 1 else: 2 else: 3", 1, 1, false).unwrap();
        match st.rhs {
            Ast::If(_, a, _) => assert!(matches!(*a, Ast::If(..))),
            e => panic!("{e:?}"),
        }
        let e = parse_statement("y = if a > 1: 2", 1, 1, false).unwrap_err();
        assert!(e.message.contains("'else'"), "{}", e.message);
        let e = parse_statement("y = if a > 1 2 else 3", 1, 1, false).unwrap_err();
        assert!(e.message.contains("':'"), "{}", e.message);
    }

    #[test]
    fn statements_continue_over_lines() {
        // The Structural plasticity notebook's synapse.
        let text = "age = if pre.r * post.r > 1.0 :\n        0\n      else :\n        age + 1 : init = 0, int\nx = 1";
        let s = split_statements(text);
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!(s[0].pieces.len(), 4);
        let st = super::parse_statement(&s[0], false).unwrap();
        assert!(matches!(st.rhs, Ast::If(..)));
        assert_eq!(st.flags.len(), 2);
        // Miconi's trace: the else on its own line.
        let text = "trace += if learning_phase < 0.5:\n    power(pre.rprev * (post.delta_x), 3)\n  else:\n    0.0\n";
        let s = split_statements(text);
        assert_eq!(s.len(), 1);
        assert!(super::parse_statement(&s[0], false).is_ok());
        // An open parenthesis or a leading operator continues a line.
        let s = split_statements("dv/dt = (a\n  + b)\nu = v\n   * 2");
        assert_eq!(s.len(), 2);
        // An error on a continued line names that line and its column.
        let s = split_statements("y = if a > 1:\n   2 $ 3\n else: 4");
        let e = super::parse_statement(&s[0], false).unwrap_err();
        assert_eq!((e.line, e.column), (2, 6), "{e:?}");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let s = format!("x = {}1{}", "(".repeat(5000), ")".repeat(5000));
        assert!(parse_statement(&s, 1, 1, false).is_err());
        let s = format!("x = {}1", "-".repeat(5000));
        assert!(parse_statement(&s, 1, 1, false).is_err());
    }
}

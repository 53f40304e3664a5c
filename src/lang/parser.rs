//! Lexer and recursive-descent parser for one section of model text.

use super::ast::{AssignOp, Ast, BinOp, Flag, Statement, UnOp};

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

fn lex(text: &str, line: usize, col0: usize) -> Result<Vec<(Tok, usize)>, SyntaxError> {
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
            out.push((Tok::Num(v), col));
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
            out.push((Tok::Name(chars[start..i].iter().collect()), col));
            continue;
        }
        let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
        match OPS.iter().find(|op| rest.starts_with(**op)) {
            Some(op) => {
                out.push((Tok::Op(op), col));
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
    out.push((Tok::End, col0 + chars.len()));
    Ok(out)
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    line: usize,
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
        self.toks[self.pos].1
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
            line: self.line,
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
            if !self.is_word("then") {
                return self.err("expected 'then' after the condition of 'if'");
            }
            self.next();
            let a = self.expr()?;
            if !self.is_word("else") {
                return self.err("expected 'else' in 'if ... then ... else ...'");
            }
            self.next();
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
        match self.next() {
            Tok::Num(v) => Ok(Ast::Num(v)),
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
                        return Ok(Ast::Deriv(n[1..].to_string(), col));
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
                                line: self.line,
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
                    return Ok(Ast::Call(n, args, col));
                }
                Ok(Ast::Name(n, col))
            }
            t => {
                self.pos = self.pos.saturating_sub(1);
                let found = describe(&t);
                Err(SyntaxError {
                    line: self.line,
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

/// Splits a section into statements: one a line, or separated by `;`.
/// `#` starts a comment. Returns (line, starting column, text).
pub fn split_statements(text: &str) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    for (li, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("");
        let mut col = 1;
        for part in line.split(';') {
            let n = part.chars().count();
            if !part.trim().is_empty() {
                out.push((li + 1, col, part.to_string()));
            }
            col += n + 1;
        }
    }
    out
}

/// Parses one expression standing alone (a spike condition, a refractory period).
pub fn parse_expression(text: &str, line: usize, col0: usize) -> Result<Ast, SyntaxError> {
    let toks = lex(text, line, col0)?;
    let mut p = Parser {
        toks,
        pos: 0,
        line,
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
pub fn parse_statement(
    text: &str,
    line: usize,
    col0: usize,
    allow_bare: bool,
) -> Result<Statement, SyntaxError> {
    let toks = lex(text, line, col0)?;
    let mut p = Parser {
        toks,
        pos: 0,
        line,
        depth: 0,
        height: 0,
    };
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
            let col = p.col();
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
                flags.push(Flag::Value(name, v, col));
            } else {
                flags.push(Flag::Word(name, col));
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
        line,
        lhs,
        op,
        rhs,
        flags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
                assert_eq!(*a, Ast::Num(2.0));
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
        assert_eq!(rhs("y = 1.5e-3"), Ast::Num(1.5e-3));
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
        let lines: Vec<usize> = s.iter().map(|x| x.0).collect();
        assert_eq!(lines, vec![1, 1, 4]);
        assert_eq!(s[1].1, 7);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let s = format!("x = {}1{}", "(".repeat(5000), ")".repeat(5000));
        assert!(parse_statement(&s, 1, 1, false).is_err());
        let s = format!("x = {}1", "-".repeat(5000));
        assert!(parse_statement(&s, 1, 1, false).is_err());
    }
}

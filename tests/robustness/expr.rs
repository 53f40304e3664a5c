//! The expressions of the generated models, built here rather than parsed
//! from cajal: a seeded generator ([`Gen`]), a printer that writes them as
//! model text with the fewest parentheses Python's precedence needs
//! ([`Printer`]), and an f64 evaluator that also bounds how far any f32
//! evaluation of the same operations, in the same order, can land from
//! the f64 value ([`eval`]).
//!
//! The bound is a running forward error analysis, not a fixed relative
//! tolerance: every value is an [`Iv`] `(v, e)`, the f64 value of the
//! expression over the f32 inputs and a bound `e` on the distance of the
//! engine's f32 result from it. Inputs read from the engine are exact
//! (`e = 0`); each rounded operation adds `u (|v| + e)` (u = 2^-24) and an
//! absolute `tiny` for underflow; a function's `e` is propagated through
//! the function itself (its values at both ends of `[v - e, v + e]` for a
//! monotonic one, Lipschitz 1 for sine and cosine), plus the accuracy of
//! the engine's implementation ([`Profile`]). So the tolerance follows the
//! condition of the expression: large where cancellation or a steep
//! function amplifies the rounding of the inputs, a few ulps elsewhere.
//!
//! What cannot be decided in f32 is skipped, each reason counted
//! ([`Skip`]): a comparison, a truth value, `floor`/`ceil`/`round`/
//! `sign`, a modulo's quotient or a pole whose outcome the bound leaves
//! open (`Ambiguous`); a value beyond f32's range (`NonFinite`); an input
//! outside a function's domain (`Domain`).
//!
//! The semantics relied on (DECISIONS.md, the language's README table):
//! comparisons and `and`/`or`/`not` give 0 or 1, a non-zero value is true;
//! `if c: a else: b`, `if c then a else b` and `ite(c, a, b)` are one
//! selection; `%`, `mod` and `fmod` are the truncated remainder (the sign
//! of the dividend), exact in f32, and `modulo` is ANNarchy's, the same of
//! its operands truncated toward zero; `round` rounds half away from
//! zero; `x ^ 1`, `x ^ 2` and `x ^ 3` are products (defined for negative
//! x), `x ^ 0` is 1, other exponents `powf`; a division by a uniform value
//! may be a multiplication by a reciprocal (two roundings, allowed for
//! every division); `exp` is cajal's own (within 2 ulps); `-x ^ 2` is
//! `-(x ^ 2)` and `^` is right-associative, as in Python.

use std::fmt::Write;

/// SplitMix64: a generator of our own, so that the models (and the counts
/// the README records) do not change with a dependency's algorithm.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    pub fn range(&mut self, a: f64, b: f64) -> f64 {
        a + (b - a) * self.unit()
    }
    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
}

/// A number as a model's text writes it, and the f32 cajal reads from that
/// text (the decimal parsed to f64, then rounded to f32, as its parser does).
pub fn literal(text: &str) -> f32 {
    text.parse::<f64>().expect("a literal the generator wrote") as f32
}

/// A short decimal in about [lo, hi]: 1 to 3 significant digits, as a
/// person writes constants.
pub fn short_decimal(rng: &mut Rng, lo: f64, hi: f64) -> String {
    let x = rng.range(lo, hi);
    let digits = rng.pick(&[0usize, 1, 2, 3]);
    let s = format!("{x:.digits$}");
    // "-0", "-0.00": a plain zero.
    if s.parse::<f64>().is_ok_and(|v| v == 0.0) {
        "0".into()
    } else {
        s
    }
}

/// A name an expression reads.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Leaf {
    /// A parameter of the model.
    Param(usize),
    /// A variable of the model (which value, this step's or the previous
    /// one, is the evaluator's [`Env`]'s business).
    Var(usize),
    /// The time step.
    Dt,
    /// The time at the start of the step.
    T,
    /// A network constant.
    Const(usize),
    /// An argument of the function being defined.
    Arg(usize),
}

/// Binary operators, with their spellings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
    /// `%`, or `modulo(a, b)`, `mod(a, b)`, `fmod(a, b)`.
    Rem(&'static str),
    /// `^`, `**`, or `pow(a, b)`, `power(a, b)`.
    Pow(&'static str),
    Lt,
    Gt,
    Le,
    Ge,
    Eq,
    Ne,
    And,
    Or,
}

/// Built-in functions (those of `Op` aside).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fun {
    Exp,
    Log,
    Sqrt,
    Abs,
    Sin,
    Cos,
    Tan,
    Tanh,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Pos,
    Neg,
    Round,
    Floor,
    Ceil,
    Sign,
    Min,
    Max,
    Clip,
}

impl Fun {
    fn name(self) -> &'static str {
        use Fun::*;
        match self {
            Exp => "exp",
            Log => "log",
            Sqrt => "sqrt",
            Abs => "abs",
            Sin => "sin",
            Cos => "cos",
            Tan => "tan",
            Tanh => "tanh",
            Asin => "asin",
            Acos => "acos",
            Atan => "atan",
            Sinh => "sinh",
            Cosh => "cosh",
            Pos => "pos",
            Neg => "neg",
            Round => "round",
            Floor => "floor",
            Ceil => "ceil",
            Sign => "sign",
            Min => "min",
            Max => "max",
            Clip => "clip",
        }
    }
    /// The functions whose accuracy is the engine's library's (the others
    /// are exact, or one rounding).
    fn is_library(self) -> bool {
        use Fun::*;
        matches!(
            self,
            Exp | Log | Sqrt | Sin | Cos | Tan | Tanh | Asin | Acos | Atan | Sinh | Cosh
        )
    }
}

/// How a selection is written.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum IfStyle {
    /// `if c: a else: b` (ANNarchy's, Python-like).
    Colon,
    /// `if c then a else b`.
    Then,
    /// `ite(c, a, b)`.
    Ite,
}

/// An expression of a generated model.
#[derive(Clone, Debug)]
pub enum Ex {
    /// A number: its text and the f32 cajal reads.
    Lit(String, f32),
    Leaf(Leaf),
    Neg(Box<Ex>),
    Not(Box<Ex>),
    Bin(Op, Box<Ex>, Box<Ex>),
    Call(Fun, Vec<Ex>),
    If(IfStyle, Box<Ex>, Box<Ex>, Box<Ex>),
    /// A call of the model's function number k.
    User(usize, Vec<Ex>),
}

impl Ex {
    pub fn lit(text: &str) -> Ex {
        Ex::Lit(text.to_string(), literal(text))
    }
    pub fn bin(op: Op, a: Ex, b: Ex) -> Ex {
        Ex::Bin(op, Box::new(a), Box::new(b))
    }
    pub fn call(f: Fun, args: Vec<Ex>) -> Ex {
        Ex::Call(f, args)
    }
}

/// The names a printed expression uses for its leaves.
pub trait Names {
    fn leaf(&self, l: Leaf) -> String;
    fn function(&self, k: usize) -> String;
}

/// Binding strength of what an expression prints as, as cajal's parser
/// (and Python) rank them: a child weaker than its place requires is
/// parenthesised.
mod prec {
    pub const IF: u8 = 0;
    pub const OR: u8 = 1;
    pub const AND: u8 = 2;
    pub const NOT: u8 = 3;
    pub const CMP: u8 = 4;
    pub const ADD: u8 = 5;
    pub const MUL: u8 = 6;
    pub const UNARY: u8 = 7;
    pub const POW: u8 = 8;
    pub const ATOM: u8 = 9;
}

/// Writes expressions as model text.
pub struct Printer<'a> {
    pub names: &'a dyn Names,
}

impl Printer<'_> {
    pub fn print(&self, e: &Ex) -> String {
        self.go(e).0
    }

    fn at_least(&self, e: &Ex, p: u8) -> String {
        let (s, q) = self.go(e);
        if q < p {
            format!("({s})")
        } else {
            s
        }
    }

    fn args(&self, args: &[Ex]) -> String {
        args.iter()
            .map(|a| self.print(a))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn go(&self, e: &Ex) -> (String, u8) {
        use prec::*;
        match e {
            Ex::Lit(t, _) => (t.clone(), if t.starts_with('-') { UNARY } else { ATOM }),
            Ex::Leaf(l) => (self.names.leaf(*l), ATOM),
            Ex::Neg(a) => (format!("-{}", self.at_least(a, UNARY)), UNARY),
            Ex::Not(a) => (format!("not {}", self.at_least(a, NOT)), NOT),
            Ex::Bin(op, a, b) => {
                let (sym, p, lp, rp) = match op {
                    Op::Add => ("+", ADD, ADD, ADD + 1),
                    Op::Sub => ("-", ADD, ADD, ADD + 1),
                    Op::Mul => ("*", MUL, MUL, MUL + 1),
                    Op::Div => ("/", MUL, MUL, MUL + 1),
                    Op::Rem("%") => ("%", MUL, MUL, MUL + 1),
                    Op::Rem(name) | Op::Pow(name) if name.chars().all(char::is_alphabetic) => {
                        return (
                            format!("{name}({}, {})", self.print(a), self.print(b)),
                            ATOM,
                        )
                    }
                    // The base is a primary; the exponent a unary (so
                    // `a ^ -b` and `a ^ b ^ c` = `a ^ (b ^ c)`).
                    Op::Pow(s) => (*s, POW, ATOM, UNARY),
                    Op::Rem(s) => (*s, MUL, MUL, MUL + 1),
                    Op::Lt => ("<", CMP, ADD, ADD),
                    Op::Gt => (">", CMP, ADD, ADD),
                    Op::Le => ("<=", CMP, ADD, ADD),
                    Op::Ge => (">=", CMP, ADD, ADD),
                    Op::Eq => ("==", CMP, ADD, ADD),
                    Op::Ne => ("!=", CMP, ADD, ADD),
                    Op::And => ("and", AND, AND, NOT),
                    Op::Or => ("or", OR, OR, AND),
                };
                (
                    format!("{} {sym} {}", self.at_least(a, lp), self.at_least(b, rp)),
                    p,
                )
            }
            Ex::Call(f, args) => (format!("{}({})", f.name(), self.args(args)), ATOM),
            Ex::User(k, args) => (
                format!("{}({})", self.names.function(*k), self.args(args)),
                ATOM,
            ),
            Ex::If(style, c, a, b) => match style {
                IfStyle::Ite => (
                    format!(
                        "ite({}, {}, {})",
                        self.print(c),
                        self.print(a),
                        self.print(b)
                    ),
                    ATOM,
                ),
                IfStyle::Colon => (
                    format!(
                        "if {}: {} else: {}",
                        self.at_least(c, OR),
                        self.print(a),
                        self.print(b)
                    ),
                    IF,
                ),
                IfStyle::Then => (
                    format!(
                        "if {} then {} else {}",
                        self.at_least(c, OR),
                        self.print(a),
                        self.print(b)
                    ),
                    IF,
                ),
            },
        }
    }
}

/// What the generator may read.
pub struct Scope {
    /// Leaves an expression may name (parameters, variables, dt, t,
    /// constants, arguments).
    pub leaves: Vec<Leaf>,
    /// Arity of each function of the model that may be called.
    pub functions: Vec<usize>,
    /// Leaves that are true/false values (bool parameters), for conditions.
    pub bools: Vec<Leaf>,
    /// Whether the engines' GPU functions are in play: then no `tan`,
    /// whose error near its poles no bound of the GPU's sine and cosine
    /// covers usefully.
    pub gpu: bool,
}

/// The seeded expression generator. Shapes are chosen to keep most values
/// within a few orders of magnitude (arguments of exp clipped now and
/// then, logarithms of `abs(x) + c`...), so that most checks are not
/// skipped, but raw forms that overflow or leave a domain are generated
/// too (and counted as skipped).
pub struct Gen<'a> {
    pub rng: &'a mut Rng,
    pub scope: &'a Scope,
}

impl Gen<'_> {
    pub fn lit(&mut self, lo: f64, hi: f64) -> Ex {
        let r = &mut *self.rng;
        let text = match r.below(10) {
            0 => r.pick(&["0", "1", "2", "0.5", "2.5", "3"]).to_string(),
            1 => format!("{}", r.below(7)),
            _ => short_decimal(r, lo.max(0.0), hi),
        };
        Ex::lit(&text)
    }

    fn leaf(&mut self) -> Ex {
        if self.scope.leaves.is_empty() || self.rng.chance(0.3) {
            let l = self.lit(0.0, 4.0);
            return if self.rng.chance(0.25) {
                Ex::Neg(Box::new(l))
            } else {
                l
            };
        }
        Ex::Leaf(self.rng.pick(&self.scope.leaves))
    }

    /// A positive value: `abs(e) + c`, c > 0.
    fn positive(&mut self, d: u32) -> Ex {
        let e = self.expr(d);
        let c = Ex::lit(self.rng.pick(&["0.5", "1", "0.25", "2", "0.1"]));
        Ex::bin(Op::Add, Ex::call(Fun::Abs, vec![e]), c)
    }

    /// `clip(e, -c, c)`.
    fn clipped(&mut self, d: u32, c: &str) -> Ex {
        let e = self.expr(d);
        Ex::call(
            Fun::Clip,
            vec![e, Ex::Neg(Box::new(Ex::lit(c))), Ex::lit(c)],
        )
    }

    /// A truth value.
    pub fn cond(&mut self, d: u32) -> Ex {
        let d1 = d.saturating_sub(1);
        match self.rng.below(10) {
            0 if !self.scope.bools.is_empty() => Ex::Leaf(self.rng.pick(&self.scope.bools)),
            0 | 1 => {
                let op = self.rng.pick(&[Op::And, Op::Or]);
                let a = self.cond(d1);
                let b = self.cond(d1);
                Ex::bin(op, a, b)
            }
            2 => Ex::Not(Box::new(self.cond(d1))),
            // A number as a truth value.
            3 => self.expr(d1),
            _ => {
                let op = self
                    .rng
                    .pick(&[Op::Lt, Op::Gt, Op::Le, Op::Ge, Op::Eq, Op::Ne]);
                let a = self.expr(d1);
                let b = if self.rng.chance(0.4) {
                    self.lit(-2.0, 2.0)
                } else {
                    self.expr(d1)
                };
                Ex::bin(op, a, b)
            }
        }
    }

    /// An expression of height at most `d` (about).
    pub fn expr(&mut self, d: u32) -> Ex {
        if d == 0 || self.rng.chance(0.2) {
            return self.leaf();
        }
        let d1 = d - 1;
        let r = self.rng.below(100);
        match r {
            0..=29 => {
                let op = self
                    .rng
                    .pick(&[Op::Add, Op::Sub, Op::Mul, Op::Add, Op::Sub]);
                let a = self.expr(d1);
                let b = self.expr(d1);
                Ex::bin(op, a, b)
            }
            30..=35 => {
                let a = self.expr(d1);
                let b = match self.rng.below(4) {
                    0 => self.positive(d1.saturating_sub(1)),
                    1 => self.lit(0.5, 4.0),
                    _ => self.expr(d1),
                };
                Ex::bin(Op::Div, a, b)
            }
            36..=38 => Ex::Neg(Box::new(self.expr(d1))),
            39..=43 => {
                let style = self.rng.pick(&["^", "**", "pow", "power"]);
                let exp = self.rng.pick(&[
                    "2", "3", "1", "0", "2", "0.5", "1.5", "-1", "-2", "4", "2.5", "-0.5",
                ]);
                let e = literal(exp.trim_start_matches('-'));
                let integer = e.fract() == 0.0;
                let base = if integer {
                    self.expr(d1)
                } else {
                    self.positive(d1.saturating_sub(1))
                };
                let exp = match exp.strip_prefix('-') {
                    Some(m) => Ex::Neg(Box::new(Ex::lit(m))),
                    None => Ex::lit(exp),
                };
                Ex::bin(Op::Pow(style), base, exp)
            }
            44..=47 => {
                let a = self.expr(d1);
                let b = if self.rng.chance(0.5) {
                    self.lit(0.5, 3.0)
                } else {
                    self.expr(d1)
                };
                let style = self.rng.pick(&["%", "%", "modulo", "mod", "fmod"]);
                Ex::bin(Op::Rem(style), a, b)
            }
            48..=51 => {
                let arg = if self.rng.chance(0.6) {
                    let c = self.scope_clip();
                    self.clipped(d1, c)
                } else {
                    self.expr(d1)
                };
                Ex::call(Fun::Exp, vec![arg])
            }
            52..=54 => {
                let arg = if self.rng.chance(0.8) {
                    self.positive(d1.saturating_sub(1))
                } else {
                    self.expr(d1)
                };
                Ex::call(Fun::Log, vec![arg])
            }
            55..=56 => {
                let arg = if self.rng.chance(0.7) {
                    Ex::call(Fun::Abs, vec![self.expr(d1)])
                } else {
                    self.expr(d1)
                };
                Ex::call(Fun::Sqrt, vec![arg])
            }
            57..=62 => {
                let f = if self.scope.gpu {
                    self.rng
                        .pick(&[Fun::Sin, Fun::Cos, Fun::Tanh, Fun::Atan, Fun::Sin, Fun::Cos])
                } else {
                    self.rng
                        .pick(&[Fun::Sin, Fun::Cos, Fun::Tan, Fun::Tanh, Fun::Atan, Fun::Sin])
                };
                Ex::call(f, vec![self.expr(d1)])
            }
            63..=65 => {
                let f = self.rng.pick(&[Fun::Sinh, Fun::Cosh]);
                let arg = self.clipped(d1, "5");
                Ex::call(f, vec![arg])
            }
            66..=67 => {
                let f = self.rng.pick(&[Fun::Asin, Fun::Acos]);
                let arg = if self.rng.chance(0.8) {
                    self.clipped(d1, "1")
                } else {
                    Ex::bin(Op::Mul, self.expr(d1), Ex::lit("0.25"))
                };
                Ex::call(f, vec![arg])
            }
            68..=74 => {
                let f = self.rng.pick(&[
                    Fun::Abs,
                    Fun::Pos,
                    Fun::Neg,
                    Fun::Round,
                    Fun::Floor,
                    Fun::Ceil,
                    Fun::Sign,
                    Fun::Round,
                ]);
                Ex::call(f, vec![self.expr(d1)])
            }
            75..=79 => {
                let f = self.rng.pick(&[Fun::Min, Fun::Max]);
                let a = self.expr(d1);
                let b = self.expr(d1);
                Ex::call(f, vec![a, b])
            }
            80..=81 => {
                let x = self.expr(d1);
                let lo = self.lit(0.0, 2.0);
                let hi = self.lit(0.0, 3.0);
                Ex::call(Fun::Clip, vec![x, Ex::Neg(Box::new(lo)), hi])
            }
            82..=89 => {
                let style = self
                    .rng
                    .pick(&[IfStyle::Colon, IfStyle::Then, IfStyle::Ite]);
                let c = self.cond(d1);
                let a = self.expr(d1);
                let b = self.expr(d1);
                Ex::If(style, Box::new(c), Box::new(a), Box::new(b))
            }
            90..=93 => {
                // A truth value used as a number.
                let c = self.cond(d1);
                let k = self.lit(0.5, 3.0);
                Ex::bin(Op::Mul, c, k)
            }
            94..=97 if !self.scope.functions.is_empty() => {
                let k = self.rng.below(self.scope.functions.len());
                let args = (0..self.scope.functions[k])
                    .map(|_| self.expr(d1))
                    .collect();
                Ex::User(k, args)
            }
            _ => self.leaf(),
        }
    }

    fn scope_clip(&mut self) -> &'static str {
        self.rng.pick(&["3", "10", "20"])
    }
}

/// A value of the f64 evaluation and the bound on the f32 one's distance
/// from it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Iv {
    pub v: f64,
    pub e: f64,
}

impl Iv {
    pub fn exact(v: f32) -> Iv {
        Iv {
            v: f64::from(v),
            e: 0.0,
        }
    }
    fn lo(self) -> f64 {
        self.v - self.e
    }
    fn hi(self) -> f64 {
        self.v + self.e
    }
}

/// Why a value was not checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Skip {
    /// A decision (comparison, truth value, floor, round, sign, modulo's
    /// quotient, a pole, a divisor that may be 0) the bound leaves open.
    Ambiguous,
    /// A value beyond f32's range.
    NonFinite,
    /// A function's argument outside its domain.
    Domain,
}

/// The accuracy of an engine beyond IEEE rounding of `+ - *`.
#[derive(Clone, Copy, Debug)]
pub struct Profile {
    /// Relative error of the reciprocal (or quotient) a division takes.
    pub div_rel: f64,
    /// A library function's error: `rel * |value| + abs`.
    pub fn_rel: f64,
    pub fn_abs: f64,
    /// `exp`, cajal's own on both engines: `rel * |value| + abs`.
    pub exp_rel: f64,
    pub exp_abs: f64,
    /// Absolute error a rounding may add (underflow, or a flush to zero).
    pub tiny: f64,
}

/// u = 2^-24, f32's unit roundoff.
pub const U: f64 = 1.0 / 16_777_216.0;

impl Profile {
    /// The CPU engine: Rust's f32 `+ - * /` (IEEE), the platform's libm
    /// for f32 functions (glibc: within 2 ulps for all of them), cajal's
    /// `exp` (within 2 ulps): 4 ulps allowed (an ulp is at most 2u |x|).
    pub const CPU: Profile = Profile {
        div_rel: U,
        fn_rel: 8.0 * U,
        fn_abs: 4.0 * 1.401_298_464_324_817e-45,
        exp_rel: 8.0 * U,
        exp_abs: 4.0 * 1.401_298_464_324_817e-45,
        tiny: 7.006_492_321_624_085e-46,
    };
    /// The GPU engine under Vulkan's precision rules: a division within
    /// 2.5 ulps (3 allowed); `sin`, `cos` within 2^-11 absolute in [-pi,
    /// pi] (the bound Vulkan gives; it grows with |x| / pi beyond), which is also allowed relative and absolute
    /// for the other library functions, whose bounds Vulkan derives from
    /// those; `exp` is cajal's twin (as on the CPU), `pow` the GPU's;
    /// subnormals may flush to zero.
    pub const GPU: Profile = Profile {
        div_rel: 6.0 * U,
        fn_rel: 1.0 / 2048.0,
        fn_abs: 1.0 / 2048.0,
        exp_rel: 8.0 * U,
        exp_abs: 4.0 * 1.401_298_464_324_817e-45,
        tiny: 1.175_494_350_822_287_5e-38,
    };
}

const F32_MAX: f64 = f32::MAX as f64;

/// One rounding to f32 of a value whose inputs carry `e`.
fn rounded(v: f64, e: f64, p: &Profile) -> Result<Iv, Skip> {
    let e = e + U * (v.abs() + e) + p.tiny;
    finite(Iv { v, e })
}

fn finite(x: Iv) -> Result<Iv, Skip> {
    if x.v.is_finite() && x.e.is_finite() && x.v.abs() + x.e <= F32_MAX {
        Ok(x)
    } else {
        Err(Skip::NonFinite)
    }
}

/// Whether an f64 result of exact f32 inputs is the f32 result exactly
/// (representable, and normal or 0, so that no flush can change it).
fn representable(v: f64) -> bool {
    (v as f32) as f64 == v && (v == 0.0 || v.abs() >= f64::from(f32::MIN_POSITIVE))
}

/// A truth value: definite, or `Ambiguous`.
pub fn truth(x: Iv) -> Result<bool, Skip> {
    if x.e == 0.0 {
        Ok(x.v != 0.0)
    } else if x.v.abs() <= x.e {
        Err(Skip::Ambiguous)
    } else {
        Ok(true)
    }
}

fn bool_iv(b: bool) -> Iv {
    Iv {
        v: if b { 1.0 } else { 0.0 },
        e: 0.0,
    }
}

/// What [`eval`] reads.
pub trait Env {
    /// The value of a leaf (arguments are the evaluator's own).
    fn leaf(&self, l: Leaf) -> Result<Iv, Skip>;
    /// The body of the model's function number k.
    fn function(&self, k: usize) -> &Ex;
}

/// The f64 value of `e` and the bound on any f32 evaluation's distance
/// from it, or why there is none.
pub fn eval(e: &Ex, env: &dyn Env, args: &[Iv], p: &Profile) -> Result<Iv, Skip> {
    match e {
        Ex::Lit(_, x) => Ok(Iv::exact(*x)),
        Ex::Leaf(Leaf::Arg(i)) => Ok(args[*i]),
        Ex::Leaf(l) => env.leaf(*l),
        Ex::Neg(a) => {
            let a = eval(a, env, args, p)?;
            Ok(Iv { v: -a.v, e: a.e })
        }
        Ex::Not(a) => Ok(bool_iv(!truth(eval(a, env, args, p)?)?)),
        Ex::Bin(Op::And | Op::Or, a, b) => {
            let is_and = matches!(e, Ex::Bin(Op::And, ..));
            // Both sides are evaluated (no short circuit in the engines),
            // but one definite side may decide what the other leaves open.
            let ta = truth(eval(a, env, args, p)?);
            let tb = truth(eval(b, env, args, p)?);
            // `false` decides an `and`, `true` an `or`.
            let decides = !is_and;
            if ta == Ok(decides) || tb == Ok(decides) {
                Ok(bool_iv(decides))
            } else if ta.is_ok() && tb.is_ok() {
                Ok(bool_iv(!decides))
            } else {
                Err(Skip::Ambiguous)
            }
        }
        Ex::Bin(op, a, b) => {
            let a = eval(a, env, args, p)?;
            let b = eval(b, env, args, p)?;
            binary(*op, a, b, p)
        }
        Ex::Call(f, xs) => {
            let xs: Vec<Iv> = xs
                .iter()
                .map(|x| eval(x, env, args, p))
                .collect::<Result<_, _>>()?;
            call(*f, &xs, p)
        }
        Ex::If(_, c, a, b) => {
            if truth(eval(c, env, args, p)?)? {
                eval(a, env, args, p)
            } else {
                eval(b, env, args, p)
            }
        }
        Ex::User(k, xs) => {
            let xs: Vec<Iv> = xs
                .iter()
                .map(|x| eval(x, env, args, p))
                .collect::<Result<_, _>>()?;
            eval(env.function(*k), env, &xs, p)
        }
    }
}

pub fn binary(op: Op, a: Iv, b: Iv, p: &Profile) -> Result<Iv, Skip> {
    // ANNarchy's `modulo` is `long(a) % long(b)`: both operands truncated
    // toward zero first, which a box across an integer leaves undecided.
    let (a, b) = if op == Op::Rem("modulo") {
        let trunc = |x: Iv| {
            if x.lo().trunc() != x.hi().trunc() {
                Err(Skip::Ambiguous)
            } else {
                Ok(Iv {
                    v: x.v.trunc(),
                    e: 0.0,
                })
            }
        };
        (trunc(a)?, trunc(b)?)
    } else {
        (a, b)
    };
    let exact = a.e == 0.0 && b.e == 0.0;
    match op {
        Op::Add | Op::Sub => {
            let b = if op == Op::Sub {
                Iv { v: -b.v, e: b.e }
            } else {
                b
            };
            let s = a.v + b.v;
            // Two-sum: whether the f64 sum is exact.
            let bb = s - a.v;
            let err = (a.v - (s - bb)) + (b.v - bb);
            if exact && err == 0.0 && representable(s) {
                return finite(Iv { v: s, e: 0.0 });
            }
            rounded(s, a.e + b.e, p)
        }
        Op::Mul => {
            let v = a.v * b.v;
            // A product of two f32 is exact in f64.
            if exact && representable(v) {
                return finite(Iv { v, e: 0.0 });
            }
            let e = a.v.abs() * b.e + b.v.abs() * a.e + a.e * b.e;
            rounded(v, e, p)
        }
        Op::Div => {
            if b.v == 0.0 && b.e == 0.0 {
                return Err(Skip::NonFinite);
            }
            if b.e >= b.v.abs() {
                return Err(Skip::Ambiguous);
            }
            // The scaled reciprocal of a tiny uniform divisor (DECISIONS.md)
            // can lose a subnormal product's bits: out of scope.
            if b.v.abs() < 2f64.powi(-75) {
                return Err(Skip::Ambiguous);
            }
            let v = a.v / b.v;
            let prop = (a.v.abs() * b.e + b.v.abs() * a.e) / (b.v.abs() * (b.v.abs() - b.e));
            let m = v.abs() + prop;
            // Reciprocal then product: two roundings, and a reciprocal that
            // may be subnormal (|b| > 2^126) loses up to `tiny` absolute.
            let e = prop
                + m * (p.div_rel + U + p.div_rel * U)
                + (a.v.abs() + a.e) * p.tiny * 2.0
                + p.tiny;
            finite(Iv { v, e })
        }
        Op::Rem(_) => {
            if b.e >= b.v.abs() {
                return Err(Skip::Ambiguous);
            }
            if !exact {
                // The truncated quotient must be the same over the whole
                // box; where it is 0 the remainder is a itself, continuous
                // through a = 0.
                let mut qs = Vec::new();
                for x in [a.lo(), a.hi()] {
                    for y in [b.lo(), b.hi()] {
                        qs.push(x / y);
                    }
                }
                let n = qs[0].trunc();
                let near = |q: f64| (q - q.round()).abs() < 1e-9 && q.round() != 0.0;
                if qs.iter().any(|q| q.trunc() != n || near(*q)) {
                    return Err(Skip::Ambiguous);
                }
            }
            let n = (a.v / b.v).trunc();
            // fmod is exact, in f32 as in f64.
            let v = a.v % b.v;
            finite(Iv {
                v,
                e: a.e + n.abs() * b.e,
            })
        }
        Op::Pow(_) => pow(a, b, p),
        Op::Lt | Op::Gt | Op::Le | Op::Ge | Op::Eq | Op::Ne => {
            let (x, y) = (a.v, b.v);
            let res = match op {
                Op::Lt => x < y,
                Op::Gt => x > y,
                Op::Le => x <= y,
                Op::Ge => x >= y,
                Op::Eq => x == y,
                _ => x != y,
            };
            if !exact && (x - y).abs() <= a.e + b.e {
                return Err(Skip::Ambiguous);
            }
            Ok(bool_iv(res))
        }
        Op::And | Op::Or => unreachable!("handled by eval"),
    }
}

/// `a ^ b` for a literal exponent `b` (the generator writes no other).
fn pow(a: Iv, b: Iv, p: &Profile) -> Result<Iv, Skip> {
    assert_eq!(b.e, 0.0, "the generator writes literal exponents");
    let y = b.v;
    if y == 1.0 {
        return Ok(a);
    }
    if y == 0.0 {
        return Ok(Iv::exact(1.0));
    }
    if y == 2.0 {
        return binary(Op::Mul, a, a, p);
    }
    if y == 3.0 {
        let sq = binary(Op::Mul, a, a, p)?;
        return binary(Op::Mul, sq, a, p);
    }
    let integer = y.fract() == 0.0;
    let f = |x: f64| x.powf(y);
    let (lo, hi) = (a.lo(), a.hi());
    if a.e == 0.0 && a.v == 0.0 && y > 0.0 {
        return Ok(Iv::exact(0.0));
    }
    if !integer && lo <= 0.0 {
        return Err(Skip::Domain);
    }
    if y < 0.0 && lo <= 0.0 && hi >= 0.0 {
        return Err(Skip::Ambiguous);
    }
    let v = f(a.v);
    let mut prop = (f(lo) - v).abs().max((f(hi) - v).abs());
    if lo < 0.0 && hi > 0.0 {
        // An even power's minimum, 0, inside.
        prop = prop.max(v.abs());
    }
    library(v, prop, p.fn_rel, p.fn_abs, p)
}

/// A library function's result: its propagated error plus its own.
fn library(v: f64, prop: f64, rel: f64, abs: f64, p: &Profile) -> Result<Iv, Skip> {
    finite(Iv { v, e: prop })?;
    let m = v.abs() + prop;
    finite(Iv {
        v,
        e: prop + rel * m + abs + p.tiny,
    })
}

pub fn call(f: Fun, xs: &[Iv], p: &Profile) -> Result<Iv, Skip> {
    use Fun::*;
    let a = xs[0];
    // Monotonic (non-decreasing) in every argument: the result's range is
    // the function of the lower ends to that of the upper ends.
    let monotone = |g: &dyn Fn(&[f64]) -> f64| -> Result<Iv, Skip> {
        let at = |pick: &dyn Fn(Iv) -> f64| g(&xs.iter().map(|x| pick(*x)).collect::<Vec<_>>());
        let v = at(&|x| x.v);
        let (l, h) = (at(&|x| x.lo()), at(&|x| x.hi()));
        finite(Iv {
            v,
            e: (v - l).max(h - v),
        })
    };
    let (lo, hi) = (a.lo(), a.hi());
    // A step function: the same value at both ends, or undecided.
    let step = |g: fn(f64) -> f64| -> Result<Iv, Skip> {
        if a.e == 0.0 {
            return finite(Iv { v: g(a.v), e: 0.0 });
        }
        let (x, y) = (g(lo), g(hi));
        if x != y || g(a.v) != x {
            return Err(Skip::Ambiguous);
        }
        finite(Iv { v: x, e: 0.0 })
    };
    match f {
        Abs => Ok(Iv {
            v: a.v.abs(),
            e: a.e,
        }),
        Pos => monotone(&|x| x[0].max(0.0)),
        Neg => monotone(&|x| x[0].min(0.0)),
        Min => monotone(&|x| x[0].min(x[1])),
        Max => monotone(&|x| x[0].max(x[1])),
        Clip => monotone(&|x| x[0].max(x[1]).min(x[2])),
        // f64's round is half away from zero, as cajal's.
        Round => step(f64::round),
        Floor => step(f64::floor),
        Ceil => step(f64::ceil),
        Sign => step(|x| {
            if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                0.0
            }
        }),
        _ => {
            debug_assert!(f.is_library());
            let g: fn(f64) -> f64 = match f {
                Exp => f64::exp,
                Log => f64::ln,
                Sqrt => f64::sqrt,
                Sin => f64::sin,
                Cos => f64::cos,
                Tan => f64::tan,
                Tanh => f64::tanh,
                Asin => f64::asin,
                Acos => f64::acos,
                Atan => f64::atan,
                Sinh => f64::sinh,
                Cosh => f64::cosh,
                _ => unreachable!(),
            };
            let outside = match f {
                Log => lo <= 0.0,
                Sqrt => lo < 0.0,
                Asin | Acos => lo < -1.0 || hi > 1.0,
                _ => false,
            };
            if outside {
                return Err(Skip::Domain);
            }
            if f == Tan {
                // A pole (pi/2 + k pi) inside, or too near to bound.
                let k = |x: f64| ((x - std::f64::consts::FRAC_PI_2) / std::f64::consts::PI).floor();
                if k(lo - 1e-3) != k(hi + 1e-3) {
                    return Err(Skip::Ambiguous);
                }
            }
            let v = g(a.v);
            let prop = match f {
                // Lipschitz 1.
                Sin | Cos => a.e.min(2.0),
                Cosh if lo < 0.0 && hi > 0.0 => {
                    (g(lo) - v).abs().max((g(hi) - v).abs()).max(v - 1.0)
                }
                // Monotonic on the interval.
                _ => (g(lo) - v).abs().max((g(hi) - v).abs()),
            };
            match f {
                Exp => library(v, prop, p.exp_rel, p.exp_abs, p),
                // Vulkan bounds sine and cosine in [-pi, pi] only; beyond,
                // the range reduction's error grows with the argument
                // (lavapipe's sin(-43053368) is 1.5e-3 off).
                Sin | Cos => {
                    let far = (a.v.abs() / std::f64::consts::PI).max(1.0);
                    library(v, prop, p.fn_rel, p.fn_abs * far, p)
                }
                _ => library(v, prop, p.fn_rel, p.fn_abs, p),
            }
        }
    }
}

/// Writes `x` so that cajal's parser reads exactly `x` back (the shortest
/// f64 text of an f32 value is that value).
pub fn exact_text(x: f32) -> String {
    let mut s = String::new();
    write!(s, "{:?}", f64::from(x)).unwrap();
    s
}

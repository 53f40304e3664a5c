//! The IR -> WGSL expression printer, and WGSL literals.

use std::fmt::Write;

use crate::lang::ir::{BinOp, Expr, Func, RandomKind, UnOp};
use crate::real::Dtype;

/// A WGSL f32 literal that parses back to exactly `x`.
pub fn lit(x: f32) -> String {
    if x.is_finite() {
        let s = format!("{x:?}");
        if x.is_sign_negative() {
            format!("({s}f)")
        } else {
            format!("{s}f")
        }
    } else {
        format!("bitcast<f32>({}u)", x.to_bits())
    }
}

/// A WGSL literal of type `real` in `dtype` that parses back to exactly
/// `x` rounded to `dtype` (an f64 literal takes naga's `lf` suffix).
pub fn real_lit(x: f64, dtype: Dtype) -> String {
    match dtype {
        Dtype::F32 => lit(x as f32),
        Dtype::F64 if x.is_finite() => {
            if x.is_sign_negative() {
                format!("({x:?}lf)")
            } else {
                format!("{x:?}lf")
            }
        }
        Dtype::F64 => format!("bitcast<f64>({}lu)", x.to_bits()),
    }
}

/// What an expression's value is, for the CPU engine's folding rules.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// A folded constant, a value of the printer's dtype.
    Const(f64),
    Uniform,
    Varying,
}

/// Prints IR expressions as WGSL statements (one `let` per operation, so
/// nesting depth stays flat whatever the size of the expression).
pub struct Printer<'a> {
    /// WGSL for a leaf (variable, sum, pre/post reference, t, dt) and
    /// whether it is the same for every thread.
    pub leaf: &'a dyn Fn(&Expr) -> Option<(String, bool)>,
    /// Division by a uniform value as a multiplication by its reciprocal
    /// (the register programs of the CPU engine); `false` for the
    /// tree-walking evaluation of spike events.
    pub reciprocal: bool,
    /// Random object of stream 0.
    pub object: u32,
    /// WGSL of the random index (neuron or synapse).
    pub index: String,
    /// Statements emitted so far.
    pub out: String,
    /// Indentation of emitted statements.
    pub indent: String,
    /// The network's precision: the type constants are folded and
    /// written in.
    pub dtype: Dtype,
    next: usize,
}

impl<'a> Printer<'a> {
    /// A printer resolving leaves with `leaf`.
    pub fn new(
        leaf: &'a dyn Fn(&Expr) -> Option<(String, bool)>,
        object: u32,
        index: &str,
        dtype: Dtype,
    ) -> Self {
        Printer {
            leaf,
            reciprocal: true,
            object,
            index: index.to_string(),
            out: String::new(),
            indent: "    ".into(),
            dtype,
            next: 0,
        }
    }

    /// The literal of `x` (a value of the printer's dtype).
    pub fn lit(&self, x: f64) -> String {
        real_lit(x, self.dtype)
    }

    /// A constant: its literal and kind.
    fn constant(&self, x: f64) -> (String, Kind) {
        (self.lit(x), Kind::Const(x))
    }

    fn emit(&mut self, code: String, kind: Kind) -> (String, Kind) {
        let name = format!("e{}", self.next);
        self.next += 1;
        let _ = writeln!(self.out, "{}let {name} = {code};", self.indent);
        (name, kind)
    }

    /// Emits a raw statement.
    pub fn stmt(&mut self, s: &str) {
        let _ = writeln!(self.out, "{}{s}", self.indent);
    }

    /// Prints `e`; returns a WGSL expression (a name or a literal) of type `real`.
    pub fn expr(&mut self, e: &Expr) -> String {
        self.go(e).0
    }

    fn go(&mut self, e: &Expr) -> (String, Kind) {
        if let Some((code, uniform)) = (self.leaf)(e) {
            return (
                code,
                if uniform {
                    Kind::Uniform
                } else {
                    Kind::Varying
                },
            );
        }
        match e {
            // The IR's numbers fit the network's precision (resolve
            // checks them); rounding is the identity then.
            Expr::Const(c) => self.constant(self.dtype.round(*c)),
            // The clock block holds the constants (shaders/clock.wgsl); the
            // same for every thread, like a population-wide parameter.
            Expr::Constant(k) => (format!("clk.consts[{}u][{}u]", k / 4, k % 4), Kind::Uniform),
            // An unset temporary reads as NaN on the CPU too.
            Expr::Temp(t) => (format!("t{t}"), Kind::Varying),
            Expr::Unary(op, a) => self.unary(*op, a),
            Expr::Binary(op, x, y) => self.binary(*op, x, y),
            Expr::Call(f, args) => self.call(*f, args),
            Expr::Select(c, x, y) => self.select(c, x, y),
            Expr::Random {
                kind,
                stream,
                args,
                shared,
            } => self.random(*kind, *stream, args, *shared),
            // Unbound leaves are a generator bug; NaN makes it loud, as on the CPU.
            _ => self.constant(f64::NAN),
        }
    }

    fn unary(&mut self, op: UnOp, a: &Expr) -> (String, Kind) {
        let (a, k) = self.go(a);
        if let Kind::Const(x) = k {
            return self.constant(self.dtype.unop(op, x));
        }
        let code = match op {
            UnOp::Neg => format!("-({a})"),
            UnOp::Not => format!("cj_b({a} == 0.0)"),
        };
        self.emit(code, uniform_or(k, k))
    }

    fn binary(&mut self, op: BinOp, x: &Expr, y: &Expr) -> (String, Kind) {
        let (a, ka) = self.go(x);
        let (b, kb) = self.go(y);
        if let (Kind::Const(p), Kind::Const(q)) = (ka, kb) {
            return self.constant(self.dtype.binop(op, p, q));
        }
        let both_uniform = ka != Kind::Varying && kb != Kind::Varying;
        if op == BinOp::Div && self.reciprocal && !both_uniform && kb != Kind::Varying {
            // As the CPU VM: a reciprocal, scaled by 2^64 (exactly) where
            // the divisor is so small that its square underflows, since its
            // reciprocal alone would overflow where the quotient need not
            // (vm.rs, `scaled_quotient`).
            if let Kind::Const(q) = kb {
                let r = self.dtype.binop(BinOp::Div, 1.0, q);
                if r.is_finite() {
                    return self.emit(format!("cj_keep({a} * {})", self.lit(r)), Kind::Varying);
                }
            }
            let big = self.lit(f64::from(crate::engine::cpu::vm::TINY_DIVISOR_SCALE));
            let one = self.lit(1.0);
            let (sq, _) = self.emit(format!("cj_keep({b} * {b})"), Kind::Uniform);
            let (s, _) = self.emit(format!("select({one}, {big}, {sq} == 0.0)"), Kind::Uniform);
            // y * s built from y's bits where it is scaled: an adapter
            // that flushes a subnormal y to zero in arithmetic (NVIDIA)
            // still gets the CPU's finite quotient.
            let (ys, _) = self.emit(
                format!("select({b}, cj_times_2_64({b}), {sq} == 0.0)"),
                Kind::Uniform,
            );
            let (r, _) = self.emit(format!("cj_div({one}, {ys})"), Kind::Uniform);
            let (t, _) = self.emit(format!("cj_keep({a} * {r})"), Kind::Varying);
            return self.emit(format!("cj_keep({t} * {s})"), Kind::Varying);
        }
        let code = match op {
            BinOp::Add => format!("cj_keep({a} + {b})"),
            BinOp::Sub => format!("cj_keep({a} - {b})"),
            BinOp::Mul => format!("cj_keep({a} * {b})"),
            BinOp::Div => format!("cj_div({a}, {b})"),
            BinOp::Pow => format!("cj_keep(cj_pow({a}, {b}))"),
            BinOp::Rem => format!("cj_mod({a}, {b})"),
            BinOp::Lt => format!("cj_b({a} < {b})"),
            BinOp::Gt => format!("cj_b({a} > {b})"),
            BinOp::Le => format!("cj_b({a} <= {b})"),
            BinOp::Ge => format!("cj_b({a} >= {b})"),
            BinOp::Eq => format!("cj_b({a} == {b})"),
            // `!(a == b)`, not `a != b`: naga writes a float `!=` as
            // SPIR-V's ordered not-equal, false where a value is NaN,
            // where the CPU's `!=` is true (so are And, Or and select's
            // condition there: NaN counts as true).
            BinOp::Ne => format!("cj_b(!({a} == {b}))"),
            BinOp::And => format!("cj_b(!({a} == 0.0) && !({b} == 0.0))"),
            BinOp::Or => format!("cj_b(!({a} == 0.0) || !({b} == 0.0))"),
        };
        self.emit(code, uniform_or(ka, kb))
    }

    fn call(&mut self, f: Func, args: &[Expr]) -> (String, Kind) {
        let printed: Vec<(String, Kind)> = args.iter().map(|a| self.go(a)).collect();
        let consts: Vec<f64> = printed
            .iter()
            .filter_map(|(_, k)| match k {
                Kind::Const(c) => Some(*c),
                _ => None,
            })
            .collect();
        if consts.len() == printed.len() {
            let g = |i: usize| consts.get(i).copied().unwrap_or(0.0);
            return self.constant(self.dtype.apply(f, g(0), g(1), g(2)));
        }
        let a: Vec<String> = printed.iter().map(|p| p.0.clone()).collect();
        let kind = if printed.iter().all(|(_, k)| *k != Kind::Varying) {
            Kind::Uniform
        } else {
            Kind::Varying
        };
        self.emit(call_code(f, &a, self.dtype), kind)
    }

    fn select(&mut self, c: &Expr, x: &Expr, y: &Expr) -> (String, Kind) {
        let (c, kc) = self.go(c);
        let (a, ka) = self.go(x);
        let (b, kb) = self.go(y);
        if let (Kind::Const(c), Kind::Const(p), Kind::Const(q)) = (kc, ka, kb) {
            return self.constant(if c != 0.0 { p } else { q });
        }
        let kind = if [kc, ka, kb].iter().all(|k| *k != Kind::Varying) {
            Kind::Uniform
        } else {
            Kind::Varying
        };
        self.emit(format!("select({b}, {a}, !({c} == 0.0))"), kind)
    }

    fn random(
        &mut self,
        kind: RandomKind,
        stream: u32,
        args: &[Expr],
        shared: bool,
    ) -> (String, Kind) {
        let a: Vec<String> = args.iter().map(|x| self.go(x).0).collect();
        let zero = self.lit(0.0);
        let g = |i: usize| a.get(i).cloned().unwrap_or_else(|| zero.clone());
        // A draw shared by the population uses index 0 in every
        // thread, as the CPU engine (vm.rs, Op::Rand): written min(index,
        // clk.pad0), which is 0 (pad0 always is) but that no compiler can
        // know. Lavapipe took 8 s to compile a kernel whose normal draw
        // had the literal 0u (40 s with clk.pad0 alone), against 0.1 s
        // for one whose index varies across threads, as this one seems
        // to.
        let index = match shared {
            true => format!("min({}, clk.pad0)", self.index),
            false => self.index.clone(),
        };
        let key = format!(
            "clk.key, {}u, clk.step, {index}",
            self.object.wrapping_add(stream),
        );
        let code = match kind {
            RandomKind::Uniform => format!("cj_uniform({key}, {}, {})", g(0), g(1)),
            RandomKind::Normal => format!("cj_normal_draw({key}, {}, {})", g(0), g(1)),
            RandomKind::LogNormal => {
                format!("cj_lognormal_draw({key}, {}, {})", g(0), g(1))
            }
            RandomKind::Exponential => format!("cj_exponential_draw({key}, {})", g(0)),
        };
        self.emit(code, Kind::Varying)
    }
}

fn uniform_or(a: Kind, b: Kind) -> Kind {
    if a == Kind::Varying || b == Kind::Varying {
        Kind::Varying
    } else {
        Kind::Uniform
    }
}

/// The WGSL call of `f` on the printed arguments `a` (missing ones 0) in
/// `dtype`. Vulkan has no f64 square root or transcendental held to more
/// than f32's accuracy (GLSL.std.450's take 32-bit floats), so an f64
/// network calls fdlibm's twins (`shaders/math64.wgsl`) where an f32 one
/// calls the adapter's, but for the CPU's own twins (`cj_exp`, `cj_log`,
/// `cj_sin`, `cj_cos`, `cj_tanh`, ...).
fn call_code(f: Func, a: &[String], dtype: Dtype) -> String {
    let zero = real_lit(0.0, dtype);
    let a = |i: usize| a.get(i).cloned().unwrap_or_else(|| zero.clone());
    if dtype == Dtype::F64 {
        let own = match f {
            Func::Sqrt => Some("cj64_sqrt"),
            Func::Tan => Some("cj64_tan"),
            Func::Tanh => Some("cj64_tanh"),
            Func::Asin => Some("cj64_asin"),
            Func::Acos => Some("cj64_acos"),
            Func::Atan => Some("cj64_atan"),
            Func::Sinh => Some("cj64_sinh"),
            Func::Cosh => Some("cj64_cosh"),
            _ => None,
        };
        if let Some(name) = own {
            return format!("{name}({})", a(0));
        }
    }
    match f {
        Func::Exp => format!("cj_exp({})", a(0)),
        Func::Log => format!("cj_log({})", a(0)),
        Func::Sqrt => format!("sqrt({})", a(0)),
        Func::Abs => format!("abs({})", a(0)),
        Func::Sin => format!("cj_sin({})", a(0)),
        Func::Cos => format!("cj_cos({})", a(0)),
        Func::Tan => format!("tan({})", a(0)),
        Func::Tanh => format!("cj_tanh({})", a(0)),
        Func::Asin => format!("asin({})", a(0)),
        Func::Acos => format!("acos({})", a(0)),
        Func::Atan => format!("atan({})", a(0)),
        Func::Sinh => format!("sinh({})", a(0)),
        Func::Cosh => format!("cosh({})", a(0)),
        Func::Pos => format!("max({}, 0.0)", a(0)),
        Func::Neg => format!("min({}, 0.0)", a(0)),
        Func::Round => format!("cj_round({})", a(0)),
        Func::Floor => format!("floor({})", a(0)),
        Func::Ceil => format!("ceil({})", a(0)),
        Func::Trunc => format!("trunc({})", a(0)),
        Func::Sign => format!("cj_sign({})", a(0)),
        Func::Min => format!("min({}, {})", a(0), a(1)),
        Func::Max => format!("max({}, {})", a(0), a(1)),
        Func::Pow => format!("cj_keep(cj_pow({}, {}))", a(0), a(1)),
        Func::Modulo => format!("cj_mod({}, {})", a(0), a(1)),
        Func::Clip => format!("min(max({}, {}), {})", a(0), a(1), a(2)),
    }
}

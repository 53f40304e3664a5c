//! The intermediate representation shared by both engines.
//!
//! Analysis turns a model's text into straight-line update programs over
//! resolved variable slots. Integration methods are already applied here
//! (an ODE becomes plain arithmetic), so both engines evaluate exactly the
//! same operations in the same order: the CPU engine interprets the IR,
//! the GPU engine prints it as WGSL.

pub use super::ast::{BinOp, UnOp};

/// Built-in functions of the language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Func {
    /// e^x
    Exp,
    /// natural logarithm
    Log,
    /// square root
    Sqrt,
    /// |x|
    Abs,
    /// sine
    Sin,
    /// cosine
    Cos,
    /// tangent
    Tan,
    /// hyperbolic tangent
    Tanh,
    /// arc sine
    Asin,
    /// arc cosine
    Acos,
    /// arc tangent
    Atan,
    /// hyperbolic sine
    Sinh,
    /// hyperbolic cosine
    Cosh,
    /// max(x, 0)
    Pos,
    /// min(x, 0)
    Neg,
    /// round half away from zero (C's `round`, as ANNarchy's generated code)
    Round,
    /// floor
    Floor,
    /// ceiling
    Ceil,
    /// toward zero (C's `trunc`)
    Trunc,
    /// -1, 0 or 1
    Sign,
    /// min(a, b)
    Min,
    /// max(a, b)
    Max,
    /// a^b
    Pow,
    /// a % b (truncated)
    Modulo,
    /// clip(x, lo, hi)
    Clip,
}

impl Func {
    /// Looks up a function by its name in the language; returns it and its arity.
    pub fn lookup(name: &str) -> Option<(Func, usize)> {
        use Func::*;
        Some(match name {
            "exp" => (Exp, 1),
            "log" => (Log, 1),
            "sqrt" => (Sqrt, 1),
            "abs" | "fabs" => (Abs, 1),
            "sin" => (Sin, 1),
            "cos" => (Cos, 1),
            "tan" => (Tan, 1),
            "tanh" => (Tanh, 1),
            "asin" => (Asin, 1),
            "acos" => (Acos, 1),
            "atan" => (Atan, 1),
            "sinh" => (Sinh, 1),
            "cosh" => (Cosh, 1),
            "pos" | "positive" => (Pos, 1),
            "neg" | "negative" => (Neg, 1),
            "round" => (Round, 1),
            "floor" => (Floor, 1),
            "ceil" => (Ceil, 1),
            "trunc" => (Trunc, 1),
            "sign" => (Sign, 1),
            "min" => (Min, 2),
            "max" => (Max, 2),
            "pow" | "power" => (Pow, 2),
            "modulo" | "mod" | "fmod" => (Modulo, 2),
            "clip" => (Clip, 3),
            _ => return None,
        })
    }

    /// Applies the function in f32, exactly as both engines define it
    /// ([`Real::apply`](crate::real::Real::apply): the twins of the WGSL
    /// for exp, ln, sin, cos and pow, Rust's f32 functions otherwise).
    pub fn apply(self, a: f32, b: f32, c: f32) -> f32 {
        <f32 as crate::real::Real>::apply(self, a, b, c)
    }
}

/// `x^y` as both engines compute it: whole exponents from 1 to 16 are
/// products by binary exponentiation (defined for negative bases, within
/// an ulp or two, and the same bits on a GPU, whose own `pow` is
/// `exp2(y log2 x)`: the H200's `n**4` in Hodgkin-Huxley differed), others
/// `powf`.
#[inline(always)]
pub fn pow(x: f32, y: f32) -> f32 {
    if (1.0..=16.0).contains(&y) && y.fract() == 0.0 {
        return whole_power(x, y as u32, 1.0);
    }
    x.powf(y)
}

/// `x^k` for a whole `k >= 1`, by binary exponentiation from `one`: the
/// products [`pow`] (f32) and [`math64::pow`](super::math64::pow) (f64)
/// make for a whole exponent, in the order their WGSL twins make them.
#[inline(always)]
pub(crate) fn whole_power<T: Copy + std::ops::MulAssign>(x: T, mut k: u32, one: T) -> T {
    let (mut base, mut acc) = (x, one);
    loop {
        if k & 1 == 1 {
            acc *= base;
        }
        k >>= 1;
        if k == 0 {
            return acc;
        }
        base *= base;
    }
}

/// `e^x` as both engines compute it (WGSL twin: `cj_exp` in
/// shaders/clock.wgsl): Cody-Waite reduction by ln 2 and Cephes' degree-7
/// polynomial, in f32 operations that IEEE 754 defines exactly, so the GPU
/// engine gets the same bits (a GPU's own `exp` is a few ulps from any
/// libm's, and exponential Euler's `1 - exp(dt*B)` magnifies that). Within
/// 2 ulps of the exact value for normal results.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const C1: f32 = 0.693_359_4;
    const C2: f32 = -2.121_944_4e-4;
    if x.is_nan() {
        return x;
    }
    if x > 88.722_84 {
        return f32::INFINITY;
    }
    if x < -103.972_08 {
        return 0.0;
    }
    let k = (LOG2E * x + 0.5).floor();
    let r = x - k * C1;
    let r = r - k * C2;
    let z = r * r;
    let p = ((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 1.666_666_5e-1)
        * r
        + 0.5;
    let y = p * z + r + 1.0;
    // y * 2^k in two exact halves, so that k in [-150, 128] never leaves
    // the range of normal powers of two.
    let k = k as i32;
    let k1 = k / 2;
    let k2 = k - k1;
    y * f32::from_bits(((k1 + 127) as u32) << 23) * f32::from_bits(((k2 + 127) as u32) << 23)
}

/// `ln x` as both engines compute it (WGSL twin: `cj_ln` in
/// shaders/common.wgsl): musl's `logf` (FreeBSD's), within 1 ulp, in
/// operations IEEE 754 defines exactly (the GPU divides with `cj_div`), so
/// the GPU engine gets the same bits; a GPU's own `log` is only held to an
/// absolute 2^-21 near 1. Zero, subnormal, negative, infinite and NaN
/// arguments go to each engine's own logarithm (IEEE's special values; an
/// adapter that flushes subnormals gives -inf for one).
#[inline(always)]
pub fn ln(x: f32) -> f32 {
    if !(f32::MIN_POSITIVE..=f32::MAX).contains(&x) {
        return x.ln();
    }
    ln_normal(x)
}

/// [`ln`] of a positive, normal, finite `x` (every `u01_open` value):
/// `x = 2^k (1 + f)` with `1 + f` in `[sqrt(2)/2, sqrt(2))`.
#[inline(always)]
pub fn ln_normal(x: f32) -> f32 {
    let ln2_hi = f32::from_bits(0x3f31_7180);
    let ln2_lo = f32::from_bits(0x3717_f7d1);
    let lg1 = f32::from_bits(0x3f2a_aaaa);
    let lg2 = f32::from_bits(0x3ecc_ce13);
    let lg3 = f32::from_bits(0x3e91_e9ee);
    let lg4 = f32::from_bits(0x3e78_9e26);
    let mut ix = x.to_bits().wrapping_add(0x3F80_0000 - 0x3F35_04F3);
    let k = ((ix >> 23) as i32 - 0x7F) as f32;
    ix = (ix & 0x007F_FFFF) + 0x3F35_04F3;
    let f = f32::from_bits(ix) - 1.0;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (lg2 + w * lg4);
    let t2 = z * (lg1 + w * lg3);
    let r = t2 + t1;
    let hfsq = 0.5 * f * f;
    s * (hfsq + r) + k * ln2_lo - hfsq + f + k * ln2_hi
}

/// `tanh x` as both engines compute it (WGSL twin: `cj_tanh` in
/// shaders/common.wgsl): Cephes' `tanhf`, an odd polynomial below
/// |x| = 0.625 and `1 - 2 / (e^2|x| + 1)` above, with [`exp`], and +-1
/// past half the largest logarithm. Vulkan holds a GPU's own `tanh` only
/// to the error of its exponentials' quotient, which leaves no digit
/// near 0, where a rate-coded network's tanh spends its time. Within 2
/// ulps of the exact value (tested against f64), -0 kept.
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    let a = x.abs();
    if a > TANH_UNIT {
        return if x > 0.0 { 1.0 } else { -1.0 };
    }
    if a >= TANH_WIDE {
        let z = 1.0 - 2.0 / (exp(a + a) + 1.0);
        return if x < 0.0 { -z } else { z };
    }
    if x == 0.0 {
        return x;
    }
    let z = x * x;
    let p = TANH_POLY[1..].iter().fold(TANH_POLY[0], |p, &c| p * z + c);
    p * z * x + x
}

/// [`tanh`]'s polynomial in x^2 below [`TANH_WIDE`], highest power first
/// (Cephes' `tanhf`); the native code's `tanh_of` reads the same numbers.
pub(crate) const TANH_POLY: [f32; 5] = [
    -5.704_988_7e-3,
    2.063_909e-2,
    -5.373_971_5e-2,
    1.333_144_2e-1,
    -3.333_328e-1,
];
/// From this |x| up, [`tanh`] is `1 - 2 / (e^2|x| + 1)`.
pub(crate) const TANH_WIDE: f32 = 0.625;
/// Past this |x| (half the largest logarithm), [`tanh`] is +-1.
pub(crate) const TANH_UNIT: f32 = 44.361_42;

/// `sin x` as both engines compute it (WGSL twin: `cj_sin` in
/// shaders/common.wgsl): Cephes' `sinf`, reduction by pi/4 in three exact
/// parts and a degree-7 polynomial, for |x| <= 8192, where its reduction
/// is exact; beyond, Payne and Hanek's reduction in integers
/// (`reduce_pio2`) and the same polynomials. A GPU's own `sin` is held
/// only to an absolute 2^-11 in Vulkan (the H200's was 0.12 off at 1e5).
#[inline(always)]
pub fn sin(x: f32) -> f32 {
    sin_cos(x, false)
}

/// `cos x` as both engines compute it (WGSL twin: `cj_cos`); see [`sin`].
#[inline(always)]
pub fn cos(x: f32) -> f32 {
    sin_cos(x, true)
}

/// 4/pi, and pi/4 in three parts whose products by an octant's number
/// are exact (Cephes' `sinf` reduction).
const FOPI: f32 = f32::from_bits(0x3fa2_f983);
const PIO4: [f32; 3] = [
    f32::from_bits(0x3f49_0000),
    f32::from_bits(0x397d_a000),
    f32::from_bits(0x3322_2169),
];

/// Cephes' `sinf` and `cosf`, operation for operation as `cj_sin_cos`;
/// past 8192, the quadrant and remainder of [`reduce_pio2`].
fn sin_cos(xx: f32, cos: bool) -> f32 {
    let x = xx.abs();
    if !x.is_finite() {
        return if cos { xx.cos() } else { xx.sin() };
    }
    if x > 8192.0 {
        // cos x = sin(x + pi/2): one quadrant on.
        let (q, r) = reduce_pio2(x);
        let q = if cos { q + 1 } else { q };
        let v = if q & 1 == 0 { sin_poly(r) } else { cos_poly(r) };
        return if (q & 2 != 0) != (!cos && xx < 0.0) {
            -v
        } else {
            v
        };
    }
    let (fopi, [dp1, dp2, dp3]) = (FOPI, PIO4);
    // The octant, made even (zeros of the reduced argument at 0).
    let mut j = (fopi * x) as u32;
    let mut y = j as f32;
    if j & 1 == 1 {
        j += 1;
        y += 1.0;
    }
    j &= 7;
    let mut neg = !cos && xx < 0.0;
    if j > 3 {
        neg = !neg;
        j -= 4;
    }
    if cos && j > 1 {
        neg = !neg;
    }
    let r = x - y * dp1;
    let r = r - y * dp2;
    let r = r - y * dp3;
    let v = if (j == 1 || j == 2) != cos {
        cos_poly(r)
    } else {
        sin_poly(r)
    };
    if neg {
        -v
    } else {
        v
    }
}

/// [`cos`] of a finite `x` in `[0, 8192]` (a normal draw's angle, `2 pi`
/// times a uniform), the same operations without a branch, so that a loop
/// of draws vectorises: the octant's corrections and the choice of
/// polynomial are selections, both polynomials computed. The same bits
/// as [`cos`] there (tested over every angle a draw makes).
#[inline(always)]
pub fn cos_small(x: f32) -> f32 {
    let (fopi, [dp1, dp2, dp3]) = (FOPI, PIO4);
    // fopi * x < 2^31: the i32 conversion is sin_cos's u32 one.
    let j = (fopi * x) as i32 as u32;
    let odd = j & 1;
    // y + 0.0 is y for y >= 0.
    let y = j as f32 + odd as f32;
    let j = (j + odd) & 7;
    let neg = (j > 3) != ((j & 3) > 1);
    let j = j & 3;
    let r = x - y * dp1;
    let r = r - y * dp2;
    let r = r - y * dp3;
    let (c, s) = (cos_poly(r), sin_poly(r));
    let v = if j == 1 || j == 2 { s } else { c };
    if neg {
        -v
    } else {
        v
    }
}

/// Cephes' sine polynomial on [-pi/4, pi/4].
#[inline(always)]
fn sin_poly(r: f32) -> f32 {
    let z = r * r;
    let p = f32::from_bits(0xb94c_a1f9) * z + f32::from_bits(0x3c08_839e);
    let p = p * z + f32::from_bits(0xbe2a_aaa3);
    let p = p * (z * r);
    p + r
}

/// Cephes' cosine polynomial on [-pi/4, pi/4].
#[inline(always)]
fn cos_poly(r: f32) -> f32 {
    let z = r * r;
    let p = f32::from_bits(0x37cc_f5ce) * z + f32::from_bits(0xbab6_061a);
    let p = p * z + f32::from_bits(0x3d2a_aaa5);
    let p = p * (z * z);
    let p = p - 0.5 * z;
    p + 1.0
}

/// The bits of 2/pi after the binary point, a zero word before them (the
/// window of a small argument starts before the point): 320 bits, enough
/// for every finite f32.
const TWO_OVER_PI: [u32; 11] = [
    0,
    0xa2f9_836e,
    0x4e44_1529,
    0xfc27_57d1,
    0xf534_ddc0,
    0xdb62_9599,
    0x3c43_9041,
    0xfe51_63ab,
    0xdebb_c561,
    0xb724_6e3a,
    0x424d_d2e0,
];

/// `x = (4k + q) pi/2 + r` for a finite `x > 8192`: the quadrant `q` and
/// `r` in [-pi/4, pi/4] (Payne and Hanek's reduction, in integers: the
/// mantissa times the 96 bits of 2/pi its exponent selects, whose product
/// holds the quadrant and 64 bits of the fraction; the WGSL twin,
/// `cj_reduce_pio2`, does the same with 32-bit words).
fn reduce_pio2(x: f32) -> (u32, f32) {
    let u = x.to_bits();
    let e = ((u >> 23) & 0xff) as i32 - 150;
    let m = (u & 0x7f_ffff) | 0x80_0000;
    let bits = |p: u32| -> u32 {
        let (w, s) = ((p / 32) as usize, p % 32);
        if s == 0 {
            TWO_OVER_PI[w]
        } else {
            (TWO_OVER_PI[w] << s) | (TWO_OVER_PI[w + 1] >> (32 - s))
        }
    };
    // Bit e - 1 of 2/pi first: the ones before it add multiples of 4.
    let p = (e + 30) as u32;
    let mul = |w: u32| {
        let v = u64::from(m) * u64::from(w);
        ((v >> 32) as u32, v as u32)
    };
    let (_, l0) = mul(bits(p));
    let (h1, l1) = mul(bits(p + 32));
    let (h2, l2) = mul(bits(p + 64));
    // The product's words below the top one (which holds multiples of 4);
    // the binary point is 2 bits below the top of `w2`.
    let (w1, c1) = l1.overflowing_add(h2);
    let w2 = l0.wrapping_add(h1).wrapping_add(u32::from(c1));
    let mut q = w2 >> 30;
    let mut hi = (w2 << 2) | (w1 >> 30);
    let mut lo = (w1 << 2) | (l2 >> 30);
    // A fraction of a half or more is the next quadrant less 1 - f.
    let neg = hi >= 0x8000_0000;
    if neg {
        q = (q + 1) & 3;
        lo = (!lo).wrapping_add(1);
        hi = (!hi).wrapping_add(u32::from(lo == 0));
    }
    if hi == 0 && lo == 0 {
        return (q, 0.0);
    }
    let lz = if hi != 0 {
        hi.leading_zeros()
    } else {
        32 + lo.leading_zeros()
    };
    let n = if lz == 0 {
        hi
    } else if lz < 32 {
        (hi << lz) | (lo >> (32 - lz))
    } else {
        lo << (lz - 32)
    };
    // f = n 2^-(32 + lz), in two exact parts, times pi/2 in two.
    let a = (n >> 8) as f32 * f32::from_bits((127 - 24 - lz) << 23);
    let b = (n & 0xff) as f32 * f32::from_bits((127 - 32 - lz) << 23);
    let pio2_hi = f32::from_bits(0x3fc9_0fdb);
    let pio2_lo = f32::from_bits(0xb33b_bd2e);
    let r = a * pio2_hi + (a * pio2_lo + b * pio2_hi);
    (q, if neg { -r } else { r })
}

/// Distributions of random variables drawn at run time (Philox, keyed by
/// seed, stream, step and index, so that both engines draw the same numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RandomKind {
    /// Uniform(a, b)
    Uniform,
    /// Normal(mu, sigma)
    Normal,
    /// LogNormal(mu, sigma)
    LogNormal,
    /// Exponential(lambda)
    Exponential,
}

impl RandomKind {
    /// Looks up a random variable by name; returns it and its arity.
    pub fn lookup(name: &str) -> Option<(RandomKind, usize)> {
        Some(match name {
            "Uniform" => (RandomKind::Uniform, 2),
            "Normal" => (RandomKind::Normal, 2),
            "LogNormal" => (RandomKind::LogNormal, 2),
            "Exponential" => (RandomKind::Exponential, 1),
            _ => return None,
        })
    }
}

/// An expression over resolved slots.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A number: one the network's precision holds exactly (in an f32
    /// network, an f32), so that each engine's conversion is exact.
    Const(f64),
    /// A variable or parameter of the model itself (index into `vars`).
    Var(u32),
    /// A temporary of the update program.
    Temp(u32),
    /// `sum(target)` of a rate-coded neuron (index into `targets`).
    Sum(u32),
    /// A pre-synaptic variable in a synapse model (index into `pre_refs`).
    Pre(u32),
    /// A post-synaptic variable in a synapse model (index into `post_refs`).
    Post(u32),
    /// Current time in ms (start of the step).
    Time,
    /// The time step in ms.
    Dt,
    /// A network constant (index into the network's constants, in
    /// declaration order): read at run time, so that changing it after
    /// compilation needs no rebuild.
    Constant(u32),
    /// A unary operation.
    Unary(UnOp, Box<Expr>),
    /// A binary operation.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// A built-in function.
    Call(Func, Vec<Expr>),
    /// `cond ? a : b`; both sides are evaluated (as WGSL's `select`).
    Select(Box<Expr>, Box<Expr>, Box<Expr>),
    /// A random variable; `stream` numbers the occurrences in the model.
    Random {
        /// The distribution.
        kind: RandomKind,
        /// Occurrence number inside the model.
        stream: u32,
        /// Its arguments.
        args: Vec<Expr>,
        /// Drawn once per step for the whole population (in the equation
        /// of a `: population` variable): the Philox key uses index 0 for
        /// every neuron, so that every neuron draws the same value.
        shared: bool,
    },
}

impl Expr {
    /// Shorthand for a binary node.
    pub fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
        Expr::Binary(op, Box::new(a), Box::new(b))
    }

    /// Visits every node, parents first.
    pub fn walk(&self, f: &mut dyn FnMut(&Expr)) {
        f(self);
        match self {
            Expr::Unary(_, a) => a.walk(f),
            Expr::Binary(_, a, b) => {
                a.walk(f);
                b.walk(f);
            }
            Expr::Call(_, args) | Expr::Random { args, .. } => args.iter().for_each(|a| a.walk(f)),
            Expr::Select(c, a, b) => {
                c.walk(f);
                a.walk(f);
                b.walk(f);
            }
            _ => {}
        }
    }

    /// Whether any node satisfies the predicate.
    pub fn any(&self, pred: &dyn Fn(&Expr) -> bool) -> bool {
        let mut found = false;
        self.walk(&mut |e| found |= pred(e));
        found
    }

    /// Replaces every node for which `f` returns `Some`, bottom-up.
    pub fn map(&self, f: &dyn Fn(&Expr) -> Option<Expr>) -> Expr {
        if let Some(e) = f(self) {
            return e;
        }
        match self {
            Expr::Unary(op, a) => Expr::Unary(*op, Box::new(a.map(f))),
            Expr::Binary(op, a, b) => Expr::bin(*op, a.map(f), b.map(f)),
            Expr::Call(func, args) => Expr::Call(*func, args.iter().map(|a| a.map(f)).collect()),
            Expr::Random {
                kind,
                stream,
                args,
                shared,
            } => Expr::Random {
                kind: *kind,
                stream: *stream,
                args: args.iter().map(|a| a.map(f)).collect(),
                shared: *shared,
            },
            Expr::Select(c, a, b) => {
                Expr::Select(Box::new(c.map(f)), Box::new(a.map(f)), Box::new(b.map(f)))
            }
            e => e.clone(),
        }
    }
}

/// When a store takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// Every step.
    Always,
    /// Only when the neuron is not refractory (ODE variables of spiking neurons).
    NotRefractory,
}

/// One statement of an update program.
#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    /// `temp = expr`.
    Let {
        /// Temporary slot.
        temp: u32,
        /// Value.
        expr: Expr,
    },
    /// `var = expr` when the guard holds.
    Store {
        /// Variable slot.
        var: u32,
        /// Value (min/max flags already applied).
        expr: Expr,
        /// When the store happens.
        guard: Guard,
    },
}

/// Where a variable's value lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locality {
    /// One value per neuron (or per synapse).
    Local,
    /// One value for the whole population (or projection).
    Global,
}

/// What a slot is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarKind {
    /// A parameter: set by the user, never by the equations.
    Parameter,
    /// A state variable: governed by an equation.
    Variable,
    /// A conductance `g_target` incremented by spiking projections.
    Conductance,
    /// Internal state (the refractory counter).
    Hidden,
}

/// The value type declared by flags; everything is stored as f32.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    /// Floating point (default).
    Float,
    /// Integer (`: int`): every value stored or set is truncated toward zero
    /// (ANNarchy keeps it in a C++ `int`).
    Int,
    /// Boolean (`: bool`); 0 or 1.
    Bool,
}

impl ValueType {
    /// A value as a slot of this type holds it: ANNarchy keeps `: int` and
    /// `: bool` in a C++ `int` and `bool`, so a value is truncated toward
    /// zero (to +0 from (-1, 0): an int has one zero), or is 1 where it is
    /// not 0 (NaN included).
    pub fn hold(self, x: f64) -> f64 {
        match self {
            ValueType::Int => x.trunc() + 0.0,
            ValueType::Bool => f64::from(u8::from(x != 0.0)),
            ValueType::Float => x,
        }
    }
}

/// One slot of a model.
#[derive(Debug, Clone, PartialEq)]
pub struct VarDecl {
    /// Name as written.
    pub name: String,
    /// Parameter, variable, conductance or hidden.
    pub kind: VarKind,
    /// Per neuron or per population.
    pub locality: Locality,
    /// A `: population` variable: its equation is the same for the whole
    /// population (it reads only population-wide values and draws shared
    /// random numbers), so every neuron holds the same value. It is still
    /// stored per neuron (identical copies), with `locality` `Local`. In a
    /// synapse model, a `: postsynaptic` variable, the same for every
    /// synapse of a post-synaptic neuron, stored per synapse likewise.
    pub shared: bool,
    /// Declared type.
    pub ty: ValueType,
    /// Initial value (one the network's precision holds).
    pub init: f64,
    /// The parameter whose value the variable starts at, where its `init`
    /// names one (`init = u_r`): as in ANNarchy, which resolves such an
    /// init when the network is compiled, the variable follows the
    /// parameter's values set before compiling until it is set itself.
    /// `init` holds the parameter's default.
    pub init_from: Option<u32>,
}

/// The analysed form of a neuron model.
#[derive(Debug, Clone, PartialEq)]
pub struct NeuronIr {
    /// Model name.
    pub name: String,
    /// Whether it spikes.
    pub spiking: bool,
    /// All slots: parameters, variables, conductances, hidden.
    pub vars: Vec<VarDecl>,
    /// Targets read with `sum(target)` (rate-coded inputs).
    pub targets: Vec<String>,
    /// Conductances: (target, slot, governed by an equation).
    pub conductances: Vec<(String, u32, bool)>,
    /// The per-step update, in order.
    pub update: Vec<Stmt>,
    /// Spike condition.
    pub spike: Option<Expr>,
    /// Statements executed for neurons that spiked (guard is `Always`).
    pub reset: Vec<Stmt>,
    /// Refractory period in ms, evaluated at each spike, with the slot of the counter.
    pub refractory: Option<(Expr, u32)>,
    /// Number of temporaries used by `update` and `reset`.
    pub n_temps: u32,
    /// Number of random-variable streams.
    pub n_random: u32,
}

impl NeuronIr {
    /// The slot of a variable by name.
    pub fn slot(&self, name: &str) -> Option<u32> {
        self.vars
            .iter()
            .position(|v| v.name == name)
            .map(|i| i as u32)
    }

    /// Whether a slot is a conductance (`g_target`), with or without an
    /// equation of its own: monitors sample these before the update.
    pub fn is_conductance(&self, slot: u32) -> bool {
        self.conductances.iter().any(|c| c.1 == slot)
    }

    /// Names of the slots a user may read and write (hidden ones excluded).
    pub fn public_names(&self) -> Vec<&str> {
        self.vars
            .iter()
            .filter(|v| v.kind != VarKind::Hidden)
            .map(|v| v.name.as_str())
            .collect()
    }
}

/// One statement run for each synapse of a spiking neuron that fires.
#[derive(Debug, Clone, PartialEq)]
pub enum EventStmt {
    /// `g_target += expr` on the post-synaptic neuron (negated for `-=`).
    AddConductance(Expr),
    /// `x = expr` on a variable of the synapse itself.
    Store {
        /// Synapse slot.
        var: u32,
        /// Value.
        expr: Expr,
    },
}

/// The analysed form of a synapse model.
#[derive(Debug, Clone, PartialEq)]
pub struct SynapseIr {
    /// Model name.
    pub name: String,
    /// Slots: `w` first, then parameters and variables.
    pub vars: Vec<VarDecl>,
    /// Names of the pre-synaptic variables read with `pre.x`.
    pub pre_refs: Vec<String>,
    /// Names of the post-synaptic variables read with `post.x`.
    pub post_refs: Vec<String>,
    /// The post-synaptic potential of rate-coded projections.
    pub psp: Expr,
    /// Whether `psp` is the plain product `w * pre.r` (engines take a fast path).
    pub psp_is_weighted_rate: bool,
    /// Whether the model writes its psp (not the default `w * pre.r`):
    /// between spiking populations that is continuous transmission, the
    /// psp summed into the target's conductance at every step (gap
    /// junctions), in place of spike events.
    pub psp_given: bool,
    /// Statements at a pre-synaptic spike.
    pub pre_spike: Vec<EventStmt>,
    /// Whether `pre_spike` is the plain `g_target += w` (fast path).
    pub pre_spike_is_default: bool,
    /// Number of random streams.
    pub n_random: u32,
    /// The learning rule: statements run for every synapse at each step
    /// learning is on (rate-coded plasticity), after the neurons updated.
    pub update: Vec<Stmt>,
    /// Statements at a post-synaptic spike, for each synapse of the neuron
    /// that spiked (spiking plasticity).
    pub post_spike: Vec<EventStmt>,
    /// Whether the model has `: event-driven` variables (integrated
    /// exactly at each event: the first statements of `pre_spike` and
    /// `post_spike`).
    pub event_driven: bool,
    /// Structural plasticity: when an existing synapse is removed.
    pub pruning: Option<StructuralRule>,
    /// Structural plasticity: when a missing synapse is created.
    pub creating: Option<StructuralRule>,
}

/// A `pruning` or `creating` condition of a synapse model (ANNarchy's
/// structural plasticity), checked on the host every period once started.
#[derive(Debug, Clone, PartialEq)]
pub struct StructuralRule {
    /// The condition (non-zero: true).
    pub cond: Expr,
    /// `proba = p`: the change happens with probability `p` (a uniform
    /// draw per candidate synapse); `None`: always, and nothing is drawn.
    pub proba: Option<f64>,
    /// `w = x` of `creating`: the created synapse's weight (default 0).
    pub w: f64,
    /// `d = ms` of `creating`: the created synapse's delay in ms; `None`:
    /// the projection's (which must then be one delay for all synapses).
    pub delay_ms: Option<f64>,
}

impl SynapseIr {
    /// The `pre.x` and `post.x` names read when the pre-synaptic population
    /// spikes (`pre_spike`, `post_spike`) or not (`psp`), and by the
    /// equations and structural rules: only those must exist.
    pub fn refs_used(&self, spiking_pre: bool) -> (Vec<&str>, Vec<&str>) {
        let mut pre = Vec::new();
        let mut post = Vec::new();
        let mut visit = |e: &Expr| match e {
            Expr::Pre(i) => pre.push(self.pre_refs[*i as usize].as_str()),
            Expr::Post(i) => post.push(self.post_refs[*i as usize].as_str()),
            _ => {}
        };
        if spiking_pre {
            for s in self.pre_spike.iter().chain(&self.post_spike) {
                match s {
                    EventStmt::AddConductance(e) | EventStmt::Store { expr: e, .. } => {
                        e.walk(&mut visit)
                    }
                }
            }
        }
        if !spiking_pre || self.psp_given {
            self.psp.walk(&mut visit);
        }
        for s in &self.update {
            match s {
                Stmt::Let { expr, .. } | Stmt::Store { expr, .. } => expr.walk(&mut visit),
            }
        }
        for r in self.pruning.iter().chain(&self.creating) {
            r.cond.walk(&mut visit);
        }
        pre.sort_unstable();
        pre.dedup();
        post.sort_unstable();
        post.dedup();
        (pre, post)
    }

    /// The slot of a variable by name.
    pub fn slot(&self, name: &str) -> Option<u32> {
        self.vars
            .iter()
            .position(|v| v.name == name)
            .map(|i| i as u32)
    }
}

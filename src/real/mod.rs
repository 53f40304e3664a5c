//! The precision a network computes in ([`Dtype`]) and the number type
//! the CPU engine is generic over ([`Real`]: `f32` or `f64`).
//!
//! A network of [`Dtype::F32`] (the default) runs exactly as it always
//! has: every operation in single precision, the same bits as the GPU
//! engine's. One of [`Dtype::F64`] (ANNarchy's `precision="double"`, the
//! default of ANNarchy, Brian2 and NEST) computes every value, parameter,
//! weight and sum in double precision. The model's numbers are held in
//! f64 from the text on ([`Expr::Const`](crate::lang::ir::Expr::Const));
//! in an f32 network each is one an f32 holds exactly (a number that does
//! not fit is refused where it is written), so the engines' conversion to
//! their own type never rounds.

use std::fmt::Debug;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Rem, Sub, SubAssign};

use crate::lang::ir::{BinOp, Func, RandomKind, UnOp};
use crate::lang::math64 as m64;
use crate::random::philox;

mod reals;

pub use reals::Reals;

/// The floating-point type a network computes in.
///
/// ```
/// use cajal::prelude::*;
/// use cajal::real::Dtype;
/// let net = Network::new().dtype(Dtype::F64);
/// assert_eq!(net.precision(), Dtype::F64);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Dtype {
    /// Single precision (the default; every engine).
    #[default]
    F32,
    /// Double precision (the CPU engine).
    F64,
}

impl Dtype {
    /// Its name as numpy spells it (`float32`, `float64`).
    pub fn name(self) -> &'static str {
        match self {
            Dtype::F32 => "float32",
            Dtype::F64 => "float64",
        }
    }

    /// Bytes a value.
    pub fn size(self) -> usize {
        match self {
            Dtype::F32 => 4,
            Dtype::F64 => 8,
        }
    }

    /// 32-bit words a value takes in a distributed run's exchanges
    /// ([`Real::WORDS`]).
    pub fn words(self) -> usize {
        self.size() / 4
    }

    /// `x` rounded to this precision, or why it does not fit (see
    /// [`narrow`](crate::error::narrow)): in f64 every f64 fits.
    pub(crate) fn fit(self, x: f64) -> std::result::Result<f64, String> {
        match self {
            Dtype::F32 => crate::error::narrow(x).map(f64::from),
            Dtype::F64 => Ok(x),
        }
    }

    /// `x` rounded to this precision (NaN and infinities unchanged; a
    /// value beyond the range becomes infinite or 0, as a cast does).
    pub(crate) fn round(self, x: f64) -> f64 {
        match self {
            Dtype::F32 => f64::from(x as f32),
            Dtype::F64 => x,
        }
    }

    /// `op x` computed in this precision, for values of it: how both
    /// engines' code generators fold constants.
    pub(crate) fn unop(self, op: UnOp, x: f64) -> f64 {
        match self {
            Dtype::F32 => f64::from(f32::unop(op, x as f32)),
            Dtype::F64 => f64::unop(op, x),
        }
    }

    /// `x op y` computed in this precision (see [`unop`](Self::unop)).
    pub(crate) fn binop(self, op: BinOp, x: f64, y: f64) -> f64 {
        match self {
            Dtype::F32 => f64::from(f32::binop(op, x as f32, y as f32)),
            Dtype::F64 => f64::binop(op, x, y),
        }
    }

    /// `f(a, b, c)` computed in this precision (see [`unop`](Self::unop)).
    pub(crate) fn apply(self, f: Func, a: f64, b: f64, c: f64) -> f64 {
        match self {
            Dtype::F32 => f64::from(f32::apply(f, a as f32, b as f32, c as f32)),
            Dtype::F64 => f64::apply(f, a, b, c),
        }
    }
}

impl std::fmt::Display for Dtype {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A number type the CPU engine computes in: its arithmetic, the
/// functions and random draws of the language as the engines define them
/// (in f32 the twins of the GPU's WGSL in [`crate::lang::ir`]; in f64
/// those of `shaders/math64.wgsl` in [`crate::lang::math64`], fdlibm's
/// algorithms in exact operations), and the conversions at the engine's
/// edges.
pub trait Real:
    Copy
    + Send
    + Sync
    + 'static
    + Default
    + Debug
    + PartialEq
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Rem<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + std::iter::Sum
    + bytemuck::Pod
{
    /// Which precision this is.
    const DTYPE: Dtype;
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// Not a number.
    const NAN: Self;
    /// The largest finite value.
    const MAX: Self;
    /// 2^64, the scale of a tiny divisor's reciprocal
    /// ([`TINY_DIVISOR_SCALE`](crate::engine::cpu::vm::TINY_DIVISOR_SCALE)).
    const TWO_64: Self;

    /// `x` rounded to this type.
    fn of(x: f64) -> Self;
    /// `x` in this type (exact).
    fn of32(x: f32) -> Self;
    /// A count or index as a value.
    fn of_u32(x: u32) -> Self;
    /// The value as an f64 (exact).
    fn f64(self) -> f64;
    /// The value rounded to f32.
    fn f32(self) -> f32;
    /// 1 or 0.
    fn truth(b: bool) -> Self;
    /// `c != 0 ? a : b` without a branch (NaN counts as true).
    fn pick(c: Self, a: Self, b: Self) -> Self;
    /// Whether finite.
    fn is_finite(self) -> bool;
    /// Whether NaN.
    fn is_nan(self) -> bool;
    /// The bits, widened (equality of values bit for bit).
    fn bits(self) -> u64;

    /// `e^x` as the engines define it.
    fn exp(self) -> Self;
    /// `ln x` as the engines define it.
    fn ln(self) -> Self;
    /// `ln x` of a positive normal finite `x` (random draws).
    fn ln_normal(self) -> Self;
    /// `sin x`.
    fn sin(self) -> Self;
    /// `cos x`.
    fn cos(self) -> Self;
    /// `x^y` as the engines define it.
    fn pow(self, y: Self) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// Absolute value.
    fn abs(self) -> Self;
    /// Hyperbolic tangent.
    fn tanh(self) -> Self;
    /// Rounding half away from zero.
    fn round(self) -> Self;
    /// Floor.
    fn floor(self) -> Self;
    /// Toward zero.
    fn trunc(self) -> Self;
    /// IEEE minimum (a NaN operand gives the other).
    fn min(self, y: Self) -> Self;
    /// IEEE maximum (a NaN operand gives the other).
    fn max(self, y: Self) -> Self;
    /// Tangent.
    fn tan(self) -> Self;
    /// Arc sine.
    fn asin(self) -> Self;
    /// Arc cosine.
    fn acos(self) -> Self;
    /// Arc tangent.
    fn atan(self) -> Self;
    /// Hyperbolic sine.
    fn sinh(self) -> Self;
    /// Hyperbolic cosine.
    fn cosh(self) -> Self;
    /// Ceiling.
    fn ceil(self) -> Self;

    /// A function of the language, as both engines define it.
    fn apply(f: Func, a: Self, b: Self, c: Self) -> Self {
        use Func::*;
        let z = Self::ZERO;
        match f {
            Exp => a.exp(),
            Log => a.ln(),
            Sqrt => a.sqrt(),
            Abs => a.abs(),
            Sin => a.sin(),
            Cos => a.cos(),
            Tan => a.tan(),
            Tanh => a.tanh(),
            Asin => a.asin(),
            Acos => a.acos(),
            Atan => a.atan(),
            Sinh => a.sinh(),
            Cosh => a.cosh(),
            Pos => a.max(z),
            Neg => a.min(z),
            Round => a.round(),
            Floor => a.floor(),
            Ceil => a.ceil(),
            Trunc => a.trunc(),
            Sign => {
                if a > z {
                    Self::ONE
                } else if a < z {
                    -Self::ONE
                } else {
                    z
                }
            }
            Min => a.min(b),
            Max => a.max(b),
            Pow => a.pow(b),
            Modulo => a % b,
            Clip => a.max(b).min(c),
        }
    }

    /// 32-bit words a value takes in a distributed run's exchanges.
    const WORDS: usize;
    /// Appends the value's bits as [`WORDS`](Self::WORDS) words.
    fn put_words(self, out: &mut Vec<u32>);
    /// The value of [`WORDS`](Self::WORDS) words (missing ones 0).
    fn of_words(w: &[u32]) -> Self;

    /// A view of f32 values as they are, if this is f32 (copied into f32
    /// storage without a conversion).
    fn as_f32(x: &[Self]) -> Option<&[f32]>;

    /// A uniform value in [0, 1) from a Philox word.
    fn u01(w: u32) -> Self;
    /// A uniform value in (0, 1] from a Philox word.
    fn u01_open(w: u32) -> Self;
    /// The largest value below `b` (for `b` = 0, the largest normal
    /// negative one): where a uniform draw rounds up to its bound.
    fn below(b: Self) -> Self;

    /// A binary operation, as both engines define it.
    #[inline(always)]
    fn binop(op: BinOp, a: Self, b: Self) -> Self {
        let t = Self::truth;
        match op {
            BinOp::Add => a + b,
            BinOp::Sub => a - b,
            BinOp::Mul => a * b,
            BinOp::Div => a / b,
            BinOp::Pow => a.pow(b),
            BinOp::Rem => a % b,
            BinOp::Lt => t(a < b),
            BinOp::Gt => t(a > b),
            BinOp::Le => t(a <= b),
            BinOp::Ge => t(a >= b),
            BinOp::Eq => t(a == b),
            BinOp::Ne => t(a != b),
            BinOp::And => t(a != Self::ZERO && b != Self::ZERO),
            BinOp::Or => t(a != Self::ZERO || b != Self::ZERO),
        }
    }

    /// A unary operation.
    #[inline(always)]
    fn unop(op: UnOp, x: Self) -> Self {
        match op {
            UnOp::Neg => -x,
            UnOp::Not => Self::truth(x == Self::ZERO),
        }
    }

    /// Two standard normal values by Box-Muller from two Philox words
    /// (the f32 one is [`philox::normal_pair`]'s first).
    #[inline(always)]
    fn normal(w0: u32, w1: u32) -> Self {
        let two = Self::of(2.0);
        let r = (-(two * Self::u01_open(w0).ln_normal())).sqrt();
        let theta = Self::of(std::f64::consts::TAU) * Self::u01(w1);
        r * theta.cos()
    }

    /// A draw of `kind` with parameters `a`, `b` from the first two words
    /// of its Philox output: the same words in both precisions, so that an
    /// f64 network draws the f32 one's numbers, more finely.
    #[inline(always)]
    fn random_from_words(kind: RandomKind, w0: u32, w1: u32, a: Self, b: Self) -> Self {
        match kind {
            RandomKind::Uniform => {
                let x = a + (b - a) * Self::u01(w0);
                // (b - a) u rounds up to b - a for u within an ulp or so
                // of 1: keep [a, b).
                if x >= b && b > a {
                    Self::below(b)
                } else {
                    x
                }
            }
            RandomKind::Normal => a + b * Self::normal(w0, w1),
            RandomKind::LogNormal => (a + b * Self::normal(w0, w1)).exp(),
            RandomKind::Exponential => -Self::u01_open(w0).ln_normal() / a,
        }
    }
}

impl Real for f32 {
    const DTYPE: Dtype = Dtype::F32;
    const WORDS: usize = 1;
    fn put_words(self, out: &mut Vec<u32>) {
        out.push(self.to_bits());
    }
    fn of_words(w: &[u32]) -> f32 {
        f32::from_bits(w.first().copied().unwrap_or(0))
    }
    const ZERO: f32 = 0.0;
    const ONE: f32 = 1.0;
    const NAN: f32 = f32::NAN;
    const MAX: f32 = f32::MAX;
    const TWO_64: f32 = 18_446_744_073_709_551_616.0;

    #[inline(always)]
    fn of(x: f64) -> f32 {
        x as f32
    }
    #[inline(always)]
    fn of32(x: f32) -> f32 {
        x
    }
    #[inline(always)]
    fn of_u32(x: u32) -> f32 {
        x as f32
    }
    #[inline(always)]
    fn f64(self) -> f64 {
        f64::from(self)
    }
    #[inline(always)]
    fn f32(self) -> f32 {
        self
    }
    #[inline(always)]
    fn truth(b: bool) -> f32 {
        b as i32 as f32
    }
    #[inline(always)]
    fn pick(c: f32, a: f32, b: f32) -> f32 {
        let keep = ((c != 0.0) as u32).wrapping_neg();
        f32::from_bits((a.to_bits() & keep) | (b.to_bits() & !keep))
    }
    #[inline(always)]
    fn is_finite(self) -> bool {
        f32::is_finite(self)
    }
    #[inline(always)]
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
    #[inline(always)]
    fn bits(self) -> u64 {
        u64::from(self.to_bits())
    }
    #[inline(always)]
    fn exp(self) -> f32 {
        crate::lang::ir::exp(self)
    }
    #[inline(always)]
    fn ln(self) -> f32 {
        crate::lang::ir::ln(self)
    }
    #[inline(always)]
    fn ln_normal(self) -> f32 {
        crate::lang::ir::ln_normal(self)
    }
    #[inline(always)]
    fn sin(self) -> f32 {
        crate::lang::ir::sin(self)
    }
    #[inline(always)]
    fn cos(self) -> f32 {
        crate::lang::ir::cos(self)
    }
    #[inline(always)]
    fn pow(self, y: f32) -> f32 {
        crate::lang::ir::pow(self, y)
    }
    #[inline(always)]
    fn sqrt(self) -> f32 {
        f32::sqrt(self)
    }
    #[inline(always)]
    fn abs(self) -> f32 {
        f32::abs(self)
    }
    #[inline(always)]
    fn tanh(self) -> f32 {
        crate::lang::ir::tanh(self)
    }
    #[inline(always)]
    fn round(self) -> f32 {
        f32::round(self)
    }
    #[inline(always)]
    fn floor(self) -> f32 {
        f32::floor(self)
    }
    #[inline(always)]
    fn trunc(self) -> f32 {
        f32::trunc(self)
    }
    #[inline(always)]
    fn min(self, y: f32) -> f32 {
        f32::min(self, y)
    }
    #[inline(always)]
    fn max(self, y: f32) -> f32 {
        f32::max(self, y)
    }
    fn tan(self) -> f32 {
        f32::tan(self)
    }
    fn asin(self) -> f32 {
        f32::asin(self)
    }
    fn acos(self) -> f32 {
        f32::acos(self)
    }
    fn atan(self) -> f32 {
        f32::atan(self)
    }
    fn sinh(self) -> f32 {
        f32::sinh(self)
    }
    fn cosh(self) -> f32 {
        f32::cosh(self)
    }
    fn ceil(self) -> f32 {
        f32::ceil(self)
    }
    #[inline(always)]
    fn as_f32(x: &[f32]) -> Option<&[f32]> {
        Some(x)
    }
    #[inline(always)]
    fn u01(w: u32) -> f32 {
        philox::u01(w)
    }
    #[inline(always)]
    fn u01_open(w: u32) -> f32 {
        philox::u01_open(w)
    }
    fn below(b: f32) -> f32 {
        // For b = 0 the largest normal negative value: a GPU may flush a
        // subnormal result to zero (the WGSL twin, `cj_below`).
        if b > 0.0 {
            f32::from_bits(b.to_bits() - 1)
        } else if b == 0.0 {
            -f32::MIN_POSITIVE
        } else {
            f32::from_bits(b.to_bits() + 1)
        }
    }
    #[inline(always)]
    fn normal(w0: u32, w1: u32) -> f32 {
        // `normal_pair(w0, w1).0`, its cosine without branches (the angle
        // is in [0, 2 pi)): a run of draws vectorises.
        let (r, theta) = philox::polar(w0, w1);
        r * crate::lang::ir::cos_small(theta)
    }
}

/// 2^-32: a Philox word as a fraction, every bit kept (f64 holds 53).
const INV_2_32: f64 = 1.0 / 4_294_967_296.0;

impl Real for f64 {
    const DTYPE: Dtype = Dtype::F64;
    const WORDS: usize = 2;
    fn put_words(self, out: &mut Vec<u32>) {
        let b = self.to_bits();
        out.extend([b as u32, (b >> 32) as u32]);
    }
    fn of_words(w: &[u32]) -> f64 {
        let at = |i: usize| u64::from(w.get(i).copied().unwrap_or(0));
        f64::from_bits(at(0) | (at(1) << 32))
    }
    const ZERO: f64 = 0.0;
    const ONE: f64 = 1.0;
    const NAN: f64 = f64::NAN;
    const MAX: f64 = f64::MAX;
    const TWO_64: f64 = 18_446_744_073_709_551_616.0;

    #[inline(always)]
    fn of(x: f64) -> f64 {
        x
    }
    #[inline(always)]
    fn of32(x: f32) -> f64 {
        f64::from(x)
    }
    #[inline(always)]
    fn of_u32(x: u32) -> f64 {
        f64::from(x)
    }
    #[inline(always)]
    fn f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn f32(self) -> f32 {
        self as f32
    }
    #[inline(always)]
    fn truth(b: bool) -> f64 {
        b as i32 as f64
    }
    #[inline(always)]
    fn pick(c: f64, a: f64, b: f64) -> f64 {
        let keep = ((c != 0.0) as u64).wrapping_neg();
        f64::from_bits((a.to_bits() & keep) | (b.to_bits() & !keep))
    }
    #[inline(always)]
    fn is_finite(self) -> bool {
        f64::is_finite(self)
    }
    #[inline(always)]
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
    #[inline(always)]
    fn bits(self) -> u64 {
        self.to_bits()
    }
    #[inline(always)]
    fn exp(self) -> f64 {
        m64::exp(self)
    }
    #[inline(always)]
    fn ln(self) -> f64 {
        m64::ln(self)
    }
    #[inline(always)]
    fn ln_normal(self) -> f64 {
        m64::ln(self)
    }
    #[inline(always)]
    fn sin(self) -> f64 {
        m64::sin(self)
    }
    #[inline(always)]
    fn cos(self) -> f64 {
        m64::cos(self)
    }
    #[inline(always)]
    fn pow(self, y: f64) -> f64 {
        m64::pow(self, y)
    }
    #[inline(always)]
    fn sqrt(self) -> f64 {
        f64::sqrt(self)
    }
    #[inline(always)]
    fn abs(self) -> f64 {
        f64::abs(self)
    }
    #[inline(always)]
    fn tanh(self) -> f64 {
        m64::tanh(self)
    }
    #[inline(always)]
    fn round(self) -> f64 {
        f64::round(self)
    }
    #[inline(always)]
    fn floor(self) -> f64 {
        f64::floor(self)
    }
    #[inline(always)]
    fn trunc(self) -> f64 {
        f64::trunc(self)
    }
    #[inline(always)]
    fn min(self, y: f64) -> f64 {
        f64::min(self, y)
    }
    #[inline(always)]
    fn max(self, y: f64) -> f64 {
        f64::max(self, y)
    }
    fn tan(self) -> f64 {
        m64::tan(self)
    }
    fn asin(self) -> f64 {
        m64::asin(self)
    }
    fn acos(self) -> f64 {
        m64::acos(self)
    }
    fn atan(self) -> f64 {
        m64::atan(self)
    }
    fn sinh(self) -> f64 {
        m64::sinh(self)
    }
    fn cosh(self) -> f64 {
        m64::cosh(self)
    }
    fn ceil(self) -> f64 {
        f64::ceil(self)
    }
    #[inline(always)]
    fn as_f32(_: &[f64]) -> Option<&[f32]> {
        None
    }
    #[inline(always)]
    fn u01(w: u32) -> f64 {
        f64::from(w) * INV_2_32
    }
    #[inline(always)]
    fn u01_open(w: u32) -> f64 {
        (f64::from(w) + 1.0) * INV_2_32
    }
    fn below(b: f64) -> f64 {
        if b > 0.0 {
            f64::from_bits(b.to_bits() - 1)
        } else if b == 0.0 {
            -f64::MIN_POSITIVE
        } else {
            f64::from_bits(b.to_bits() + 1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_precisions_draw_from_the_same_words() {
        for w in [0u32, 1, 255, 256, 0x8000_0000, u32::MAX] {
            let (a, b) = (f32::u01(w), f64::u01(w));
            assert!((f64::from(a) - b).abs() <= 2f64.powi(-24), "{w}");
            assert!((0.0..1.0).contains(&b) && f64::u01_open(w) > 0.0 && f64::u01_open(w) <= 1.0);
        }
        // The same words, so the same draw but for the finer resolution
        // (far in the tail, where the 24 bits of f32 are a coarse grid of
        // small numbers, the two part more).
        let (w0, w1) = (0x9E37_79B9, 0x7F4A_7C15);
        let f = <f32 as Real>::random_from_words(RandomKind::Normal, w0, w1, 0.0, 1.0);
        let d = <f64 as Real>::random_from_words(RandomKind::Normal, w0, w1, 0.0, 1.0);
        assert!((f64::from(f) - d).abs() < 1e-6, "{f} {d}");
    }

    #[test]
    fn selections_and_truths_in_both_precisions() {
        assert_eq!(f32::pick(f32::NAN, 1.0, 2.0), 1.0);
        assert_eq!(f64::pick(0.0, 1.0, 2.0), 2.0);
        assert_eq!(<f64 as Real>::binop(BinOp::Le, 1.0, 1.0), 1.0);
        assert_eq!(<f64 as Real>::below(0.0), -f64::MIN_POSITIVE);
        assert_eq!(<f64 as Real>::pow(-3.0, 3.0), -27.0);
        assert_eq!(Dtype::F32.fit(1e39).map_err(|_| ()), Err(()));
        assert_eq!(Dtype::F64.fit(1e39), Ok(1e39));
    }
}

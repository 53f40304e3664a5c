//! Double-precision (f64) elementary functions that both engines compute
//! bit for bit: the CPU engine calls these, the GPU engine their WGSL
//! twins in `shaders/math64.wgsl` (`cj64_exp`, `cj64_ln`, ..., the same
//! operations in the same order).
//!
//! A GPU has no usable f64 transcendental: SPIR-V's GLSL.std.450 `Exp`,
//! `Log`, `Sin`, `Pow`... take only 16- and 32-bit floats, and Vulkan holds
//! f64 arithmetic beyond +, - and * only to single precision. So every
//! function here is built from operations IEEE 754 rounds exactly (+, -, *,
//! /, `sqrt`, `floor`), conversions, bit casts and integer work; no
//! `mul_add` (a GPU twin may not fuse either: `cj64_keep` stops it) and no
//! std transcendental. On the GPU, division and square root are rebuilt so
//! that they round as IEEE does (`cj64_div`, `cj64_sqrt`); here they are
//! Rust's `/` and `f64::sqrt`, which do.
//!
//! The algorithms are FreeBSD msun's (Sun's fdlibm, as musl and the `libm`
//! crate carry them), each within 1 ulp of the exact result, with one
//! change: arguments of `sin`, `cos` and `tan` past 2^20 pi/2 are reduced by
//! Payne and Hanek's method in integers (`rem_pio2`), as the f32
//! `lang::ir::sin` does, instead of fdlibm's `__rem_pio2_large`. Special
//! values (zeros, infinities, NaN, overflow and underflow) are C's.

// The constants keep fdlibm's published digits, which round to its
// intended bits; the WGSL twin's literals are the same digits.
#![allow(clippy::excessive_precision, clippy::approx_constant)]

/// 2^k for a k in [-1022, 1023], built from its bits.
#[inline(always)]
fn pow2(k: i32) -> f64 {
    f64::from_bits(((k + 0x3ff) as u64) << 52)
}

/// y * 2^k for k in [-2044, 2046], in two halves, each a normal power of
/// two: the first product is exact for the y in use (about 1), so the
/// result rounds once, also where it is subnormal (no double rounding).
#[inline(always)]
fn scale(y: f64, k: i32) -> f64 {
    let k1 = k / 2;
    y * pow2(k1) * pow2(k - k1)
}

/// The high 32 bits of x.
#[inline(always)]
fn high(x: f64) -> u32 {
    (x.to_bits() >> 32) as u32
}

/// x with its low 32 bits cleared.
#[inline(always)]
fn zero_low(x: f64) -> f64 {
    f64::from_bits(x.to_bits() & 0xffff_ffff_0000_0000)
}

/// x with its high 32 bits replaced by h.
#[inline(always)]
fn with_high(x: f64, h: u32) -> f64 {
    f64::from_bits((u64::from(h) << 32) | (x.to_bits() & 0xffff_ffff))
}

const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-1; // 0x3fe62e42_fee00000
const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10; // 0x3dea39ef_35793c76
const INV_LN2: f64 = 1.442_695_040_888_963_387_00e0; // 0x3ff71547_652b82fe

mod exp;
mod hyperbolic;
mod trig;

pub use exp::{exp, expm1, ln, pow};
pub use hyperbolic::{acos, asin, atan, cosh, sinh, tanh};
pub use trig::{cos, sin, tan};

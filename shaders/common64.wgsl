// cajal: the f64 functions shared by every generated GPU kernel of an f64
// network (common.wgsl holds an f32 network's), with common.wgsl's names,
// so that the generated code calls them unchanged.
//
// This file is included verbatim in every generated kernel of an f64
// network, after philox.wgsl (cj_draw, cj_word) and math64.wgsl (the
// cj64_* functions this file wraps), and before the clock (whose clk.pad0
// cj64_keep reads); so it declares no bindings and no entry points, and
// every name starts with `cj_` (or `CJ_`). Needs what math64.wgsl needs:
// f64 and 64-bit integers (naga's FLOAT64 and SHADER_INT64), no `enable`.
//
// Each function has a Rust twin that the CPU engine runs in f64 (`impl
// Real for f64` in src/real.rs and the trait's default methods), and the
// two engines agree bit for bit: every +, - and * is pinned by cj_keep,
// every division goes through cj_div and every square root through
// cj64_sqrt (IEEE's results), in the Rust order, and the rest is integer
// work. tests/gpu/common64.rs checks each pair.
//
//   cj_keep, cj_div     Rust's f64 +, -, * kept apart, and `/`
//   cj_exp              lang::math64::exp (Real::exp)
//   cj_ln, cj_log       lang::math64::ln (Real::ln_normal and Real::ln,
//                       the same function in f64)
//   cj_sin, cj_cos      lang::math64::{sin, cos}
//   cj_pow              lang::math64::pow (Real::pow)
//   cj_round, cj_sign, cj_mod
//                       Real::apply (Round, Sign, Modulo): f64::round,
//                       the sign, Rust's f64 `%`
//   cj_b                Real::truth, the VM's comparisons' 1.0 or 0.0
//   cj_times_2_64       the scale of a tiny divisor (`vm::TINY_DIVISOR_SCALE`)
//   cj_u01, cj_u01_open Real::{u01, u01_open} for f64
//   cj_normal           Real::normal (the trait's default, in f64)
//   cj_below            Real::below for f64
//   cj_uniform, cj_normal_draw, cj_lognormal_draw, cj_exponential_draw
//                       engine::cpu::vm::random_value::<f64> (Uniform,
//                       Normal, LogNormal, Exponential), which is
//                       Real::random_from_words of philox::word (the
//                       one-word kinds) or philox::draw's first two words
//   cj_nan, cj_inf      f64::NAN, f64::INFINITY (no constant NaN in WGSL)

// The type of a network's values: f64 here, f32 in common.wgsl. The
// generated code declares its values, buffers and conversions with it.
alias real = f64;

// 2^-32: a power of two, so scaling by it is exact (src/real.rs INV_2_32).
const CJ_INV_2_32: f64 = 2.3283064365386962890625e-10lf;

// std::f64::consts::TAU written out as its exact f64 value (0x401921fb54442d18),
// so that no decimal-to-f64 rounding choice of the shader compiler can
// change it.
const CJ_TAU: f64 = 6.28318530717958623199592693708837032318115234375lf;

// 2^64, the scale of a tiny divisor (exact).
const CJ_TWO_64: f64 = 18446744073709551616.0lf;

// An identity the compiler cannot see through (math64.wgsl's cj64_keep):
// the code generator wraps every +, - and * in it.
fn cj_keep(x: f64) -> f64 {
    return cj64_keep(x);
}

// a / b rounded as IEEE 754 rounds it (math64.wgsl's cj64_div).
fn cj_div(a: f64, b: f64) -> f64 {
    return cj64_div(a, b);
}

// Not a number and +inf, built at run time: a constant NaN (or an
// overflowing constant) is a shader-creation error in WGSL.
fn cj_nan() -> f64 {
    return cj64_nan();
}

fn cj_inf() -> f64 {
    return cj64_inf();
}

// e^x (math64::exp).
fn cj_exp(x: f64) -> f64 {
    return cj64_exp(x);
}

// ln x of a positive normal finite x (Real::ln_normal, the random draws):
// in f64 the same function as cj_log, math64::ln.
fn cj_ln(x: f64) -> f64 {
    return cj64_ln(x);
}

// ln x for any x (Real::ln: math64::ln, C's special values).
fn cj_log(x: f64) -> f64 {
    return cj64_ln(x);
}

fn cj_sin(x: f64) -> f64 {
    return cj64_sin(x);
}

fn cj_cos(x: f64) -> f64 {
    return cj64_cos(x);
}

// x^y as Real::pow = math64::pow: whole exponents 1 to 16 by binary
// exponentiation (lang::ir::whole_power), others fdlibm's pow. cj64_pow
// is exactly that.
fn cj_pow(x: f64, y: f64) -> f64 {
    return cj64_pow(x, y);
}

// Round half away from zero, like Rust's f64::round (WGSL's round() goes
// to even), in integers: adding half of the last whole unit to the
// magnitude and clearing the fraction rounds half away from zero (a carry
// into the exponent is the next power of two, as it should be). Keeps the
// sign of zero (round(-0.3) is -0.0); NaN, infinities and |x| >= 2^52
// (all whole) come back unchanged.
fn cj_round(x: f64) -> f64 {
    let u = bitcast<u64>(x);
    let e = i32(u32(u >> 52u) & 0x7ffu);
    if (e >= 1075) {
        return x;
    }
    let sign = u & 0x8000000000000000lu;
    if (e < 1022) {
        // |x| < 0.5.
        return bitcast<f64>(sign);
    }
    if (e == 1022) {
        // 0.5 <= |x| < 1.
        return bitcast<f64>(sign | 0x3ff0000000000000lu);
    }
    // 1 <= |x| < 2^52: f fraction bits, 1 to 52.
    let f = u32(1075 - e);
    let mask = (1lu << f) - 1lu;
    return bitcast<f64>((u + (1lu << (f - 1u))) & ~mask);
}

// 1, -1, or +0.0 for both zeros and NaN (NaN compares false both ways),
// as Real::apply's Sign. Computed in integers: Mesa (lavapipe 22.3)
// rewrites select(0.0, -1.0, c) as -float(c), which is -0.0 when c is
// false (see common.wgsl's cj_sign).
fn cj_sign(x: f64) -> f64 {
    return f64(i32(x > 0.0lf) - i32(x < 0.0lf));
}

// Rust's f64 `%` is C's fmod: the truncated remainder, with the sign of
// a, and always exact (the true remainder is representable). WGSL's `%`
// on f64 is a driver's a - b * trunc(a / b) (off whenever a / b rounds),
// so this is musl's integer fmod in u64: long division on the mantissas,
// one step per binade between a and b, bit-identical to the CPU for all
// inputs, NaN where the CPU gives NaN. (countLeadingZeros takes no u64
// in naga: cj64_clz builds it from the halves.)
fn cj_mod(a: f64, b: f64) -> f64 {
    let ux = bitcast<u64>(a);
    let uy = bitcast<u64>(b);
    let sx = ux & 0x8000000000000000lu;
    let ax = ux << 1u; // |a| and |b| shifted: compare as integers
    let ay = uy << 1u;
    var ex = i32(u32(ax >> 53u));
    var ey = i32(u32(ay >> 53u));
    if (ay == 0lu || ay > 0xffe0000000000000lu || ex == 0x7ff) {
        // b zero or NaN, a infinite or NaN: NaN, built at run time.
        return bitcast<f64>(sx | 0x7ff8000000000000lu);
    }
    if (ax <= ay) {
        if (ax == ay) {
            return bitcast<f64>(sx);
        }
        return a;
    }
    // Mantissas with the implicit bit at bit 52 (subnormals normalised).
    var mx: u64;
    if (ex == 0) {
        let lz = i32(cj64_clz(ux << 12u));
        ex = -lz;
        mx = ux << u32(lz + 1);
    } else {
        mx = (ux & 0x000ffffffffffffflu) | 0x0010000000000000lu;
    }
    var my: u64;
    if (ey == 0) {
        let lz = i32(cj64_clz(uy << 12u));
        ey = -lz;
        my = uy << u32(lz + 1);
    } else {
        my = (uy & 0x000ffffffffffffflu) | 0x0010000000000000lu;
    }
    for (; ex > ey; ex--) {
        let d = mx - my;
        if ((d >> 63u) == 0lu) {
            if (d == 0lu) {
                return bitcast<f64>(sx);
            }
            mx = d;
        }
        mx <<= 1u;
    }
    let d = mx - my;
    if ((d >> 63u) == 0lu) {
        if (d == 0lu) {
            return bitcast<f64>(sx);
        }
        mx = d;
    }
    let shift = i32(cj64_clz(mx)) - 11;
    mx <<= u32(shift);
    ex -= shift;
    if (ex > 0) {
        mx = (mx - 0x0010000000000000lu) | (u64(u32(ex)) << 52u);
    } else {
        mx >>= u32(1 - ex);
    }
    return bitcast<f64>(mx | sx);
}

// Comparisons produce real in the IR (Real::truth: 1.0 or +0.0).
fn cj_b(c: bool) -> f64 {
    return f64(select(0u, 1u, c));
}

// y * 2^64 exactly, also for a subnormal y where the adapter flushes
// subnormal operands to zero: built from its bits (m 2^-1074 * 2^64 = m
// 2^-1010, m < 2^52 exact in f64, the product normal). The scale of a
// tiny divisor (`vm::TINY_DIVISOR_SCALE`).
fn cj_times_2_64(y: f64) -> f64 {
    let u = bitcast<u64>(y);
    if ((u & 0x7ff0000000000000lu) == 0lu) {
        let m = cj64_mul(f64(u & 0x000ffffffffffffflu), cj64_pow2(-1010));
        return select(m, cj64_neg(m), (u >> 63u) != 0lu);
    }
    return cj64_mul(y, CJ_TWO_64);
}

// ---------------------------------------------------------------- random

// A Philox word as a fraction in [0, 1): all 32 bits kept (f64 holds 53),
// the conversion and the scaling by a power of two exact.
fn cj_u01(bits: u32) -> f64 {
    return cj64_mul(f64(bits), CJ_INV_2_32);
}

// In (0, 1]: (w + 1) 2^-32, exact (w + 1 <= 2^32 is exact in f64).
fn cj_u01_open(bits: u32) -> f64 {
    return cj64_mul(cj64_add(f64(bits), 1.0lf), CJ_INV_2_32);
}

// The first value of the Box-Muller pair (Real::normal's default): r =
// sqrt(-(2 ln u)), theta = TAU u', r cos theta, in the Rust order. The
// negation is the sign bit (cj64_neg: u = 1 gives -0.0 on both engines,
// whose root is -0.0); the root is cj64_sqrt, correctly rounded.
fn cj_normal(b0: u32, b1: u32) -> f64 {
    let r = cj64_sqrt(cj64_neg(cj64_mul(2.0lf, cj64_ln(cj_u01_open(b0)))));
    let theta = cj64_mul(CJ_TAU, cj_u01(b1));
    return cj64_mul(r, cj64_cos(theta));
}

// a + (b - a) u01(w) with w = cj_word(...) (vm::random_value: a one-word
// draw), kept in [a, b) as Real::random_from_words keeps it.
fn cj_uniform(key: vec2<u32>, object: u32, step: u32, index: u32, a: f64, b: f64) -> f64 {
    let u = cj_u01(cj_word(key, object, step, index));
    let x = cj64_add(a, cj64_mul(cj64_sub(b, a), u));
    if (x >= b && b > a) {
        return cj_below(b);
    }
    return x;
}

// The largest f64 below b (for b = 0 the largest normal negative one,
// -f64::MIN_POSITIVE, which no driver flushes to zero), as Real::below.
fn cj_below(b: f64) -> f64 {
    if (b > 0.0lf) {
        return bitcast<f64>(bitcast<u64>(b) - 1lu);
    }
    if (b == 0.0lf) {
        return bitcast<f64>(0x8010000000000000lu);
    }
    return bitcast<f64>(bitcast<u64>(b) + 1lu);
}

// mu + sigma normal(w0, w1) from the first two words of the element's own
// Philox call (vm::random_value: philox::draw).
fn cj_normal_draw(key: vec2<u32>, object: u32, step: u32, index: u32, mu: f64, sigma: f64) -> f64 {
    let bits = cj_draw(key, object, step, index);
    return cj64_add(mu, cj64_mul(sigma, cj_normal(bits.x, bits.y)));
}

fn cj_lognormal_draw(key: vec2<u32>, object: u32, step: u32, index: u32, mu: f64, sigma: f64) -> f64 {
    let bits = cj_draw(key, object, step, index);
    return cj64_exp(cj64_add(mu, cj64_mul(sigma, cj_normal(bits.x, bits.y))));
}

// -ln(u01_open(w)) / lambda with w = cj_word(...) (a one-word draw).
fn cj_exponential_draw(key: vec2<u32>, object: u32, step: u32, index: u32, lambda: f64) -> f64 {
    let u = cj_u01_open(cj_word(key, object, step, index));
    return cj64_div(cj64_neg(cj64_ln(u)), lambda);
}

// cajal: f64 elementary functions, the twins of `cajal::lang::math64`.
//
// Vulkan has no f64 transcendental: SPIR-V's GLSL.std.450 Exp, Log, Sin,
// Cos, Pow, Tan... take only 16- and 32-bit floats (naga emits them for
// f64 all the same, and a driver may reject or botch them), and Vulkan
// holds f64 arithmetic past +, - and * only to single precision. So each
// function below is the Rust twin's operations in the Rust twin's order:
// every +, - and * pinned by cj64_keep (no fused multiply-add, no
// reassociation), every division by cj64_div and square root by cj64_sqrt
// (IEEE's correctly rounded results, as the CPU's `/` and `f64::sqrt`),
// floor, conversions, bit casts and integer work; both engines get the
// same bits. tests/gpu/math64.rs checks each pair.
//
// Needs f64 and 64-bit integers (wgpu::Features::SHADER_F64 and
// SHADER_INT64; naga's Capabilities::FLOAT64 and SHADER_INT64: naga's
// `bitcast` keeps the width, so an f64's bits are a u64, never a
// vec2<u32>) and clock.wgsl (cj64_keep reads clk.pad0). No `enable`
// directive: naga gates f64 by capability alone.
//
//   cj64_exp, cj64_expm1, cj64_ln      lang::math64::{exp, expm1, ln}
//   cj64_pow                           lang::math64::pow
//   cj64_sin, cj64_cos, cj64_tan       lang::math64::{sin, cos, tan}
//   cj64_tanh, cj64_sinh, cj64_cosh    lang::math64::{tanh, sinh, cosh}
//   cj64_asin, cj64_acos, cj64_atan    lang::math64::{asin, acos, atan}
//   cj64_div, cj64_sqrt                Rust's f64 `/` and `f64::sqrt`

// An identity the compiler cannot see through (pad0 is 0 at run time but
// not known to be), as cj_keep is for f32: it neither reassociates a sum
// across it nor fuses a product into a multiply-add.
fn cj64_keep(x: f64) -> f64 {
    return bitcast<f64>(bitcast<u64>(x) | u64(clk.pad0));
}

fn cj64_add(a: f64, b: f64) -> f64 {
    return cj64_keep(a + b);
}

fn cj64_sub(a: f64, b: f64) -> f64 {
    return cj64_keep(a - b);
}

fn cj64_mul(a: f64, b: f64) -> f64 {
    return cj64_keep(a * b);
}

// ---------------------------------------------------------------- bits

fn cj64_high(x: f64) -> u32 {
    return u32(bitcast<u64>(x) >> 32u);
}

fn cj64_zero_low(x: f64) -> f64 {
    return bitcast<f64>(bitcast<u64>(x) & 0xffffffff00000000lu);
}

fn cj64_with_high(x: f64, h: u32) -> f64 {
    return bitcast<f64>((u64(h) << 32u) | (bitcast<u64>(x) & 0xfffffffflu));
}

fn cj64_is_nan(x: f64) -> bool {
    return (bitcast<u64>(x) & 0x7ffffffffffffffflu) > 0x7ff0000000000000lu;
}

fn cj64_abs(x: f64) -> f64 {
    return bitcast<f64>(bitcast<u64>(x) & 0x7ffffffffffffffflu);
}

fn cj64_neg(x: f64) -> f64 {
    return bitcast<f64>(bitcast<u64>(x) ^ 0x8000000000000000lu);
}

// +inf and a quiet NaN (naga cannot bitcast in a const expression).
fn cj64_inf() -> f64 {
    return bitcast<f64>(0x7ff0000000000000lu);
}

fn cj64_nan() -> f64 {
    return bitcast<f64>(0x7ff8000000000000lu);
}

// s * v for s = ±1, by the sign bit: a compiler need not keep the sign
// of a zero product (lavapipe's -1 * 0 was +0).
fn cj64_signed(s: f64, v: f64) -> f64 {
    return select(v, cj64_neg(v), s < 0.0lf);
}

// 2^k for k in [-1022, 1023].
fn cj64_pow2(k: i32) -> f64 {
    return bitcast<f64>(u64(u32(k + 1023)) << 52u);
}

// y * 2^k in two normal halves (math64::scale): one rounding.
fn cj64_scale(y: f64, k: i32) -> f64 {
    let k1 = k / 2;
    return cj64_mul(cj64_mul(y, cj64_pow2(k1)), cj64_pow2(k - k1));
}

// ---------------------------------------------------------------- division

// a / b rounded as IEEE 754 rounds it, as the CPU's division does (f64's
// cj_div): Vulkan holds f64 division only to single precision, so the
// quotient of the mantissas is estimated, corrected twice from its exact
// residual (each correction multiplies the error by the estimate's, 2^-22
// at worst), checked against the half-ulp bound, then scaled by the
// exponents' difference, which is exact. Zeros, subnormals, infinities,
// NaN and quotients outside the normal range go to the driver's division.
fn cj64_div(a: f64, b: f64) -> f64 {
    let ua = bitcast<u64>(a);
    let ub = bitcast<u64>(b);
    let ea = i32(u32(ua >> 52u) & 0x7ffu);
    let eb = i32(u32(ub >> 52u) & 0x7ffu);
    let d = ea - eb;
    if (ea == 0 || ea == 2047 || eb == 0 || eb == 2047 || d < -1022 || d > 1024) {
        return cj64_keep(a / b);
    }
    let ma = bitcast<f64>((ua & 0x800ffffffffffffflu) | 0x3ff0000000000000lu);
    let mb = bitcast<f64>((ub & 0x800ffffffffffffflu) | 0x3ff0000000000000lu);
    let q = cj64_quot(ma, mb, cj64_keep(ma / mb));
    let d1 = d / 2;
    return cj64_mul(cj64_mul(q, cj64_pow2(d1)), cj64_pow2(d - d1));
}

// The float nearest a / b for a, b in ±[1, 2), from an estimate q0: two
// corrections by the residual, which leave q within an ulp (so that its
// residual is exact), then one step to the neighbour if the exact
// quotient q + r / b lies more than half a gap away (no ties: a quotient
// of two floats is never half-way).
fn cj64_quot(a: f64, b: f64, q0: f64) -> f64 {
    var q = cj64_add(q0, cj64_keep(cj64_residual(a, q0, b) / b));
    q = cj64_add(q, cj64_keep(cj64_residual(a, q, b) / b));
    let r = cj64_residual(a, q, b);
    let bits = bitcast<u64>(q);
    let inward = ((r > 0.0lf) == (b > 0.0lf)) != (q > 0.0lf);
    let ulp = bitcast<f64>((bits & 0x7ff0000000000000lu) - 0x0340000000000000lu);
    let gap = select(ulp, cj64_mul(0.5lf, ulp), inward && (bits & 0x000ffffffffffffflu) == 0lu);
    if (cj64_mul(2.0lf, abs(r)) > cj64_mul(abs(b), gap)) {
        q = bitcast<f64>(select(bits + 1lu, bits - 1lu, inward));
    }
    return q;
}

// x as hi + lo, each of at most 26 significant bits (Veltkamp's split;
// math64::split).
fn cj64_split(x: f64) -> vec2<f64> {
    let c = cj64_mul(134217729.0lf, x);
    let hi = cj64_sub(c, cj64_sub(c, x));
    return vec2<f64>(hi, cj64_sub(x, hi));
}

// a - q * b, exactly whenever it is a float (q within an ulp of a / b),
// for a, b in ±[1, 2): q * b = p + e exactly (Dekker), a - p exact.
fn cj64_residual(a: f64, q: f64, b: f64) -> f64 {
    let p = cj64_mul(q, b);
    let qs = cj64_split(q);
    let bs = cj64_split(b);
    var e = cj64_sub(cj64_mul(qs.x, bs.x), p);
    e = cj64_add(e, cj64_mul(qs.x, bs.y));
    e = cj64_add(e, cj64_mul(qs.y, bs.x));
    e = cj64_add(e, cj64_mul(qs.y, bs.y));
    return cj64_sub(cj64_sub(a, p), e);
}

// ---------------------------------------------------------------- sqrt

// sqrt(x) rounded as IEEE 754 rounds it (Rust's f64::sqrt), in integers,
// whatever the driver's square root: the root of the mantissa, scaled to
// 54 bits, digit by digit; the 54th bit rounds (never a tie: a square
// root is never half-way between two floats).
fn cj64_sqrt(x: f64) -> f64 {
    let u = bitcast<u64>(x);
    if ((u & 0x7ffffffffffffffflu) == 0lu) {
        return x;
    }
    if (u >= 0x8000000000000000lu) {
        return cj64_nan();
    }
    if (u >= 0x7ff0000000000000lu) {
        return x;
    }
    var e = i32(u32(u >> 52u));
    var m = u & 0x000ffffffffffffflu;
    if (e == 0) {
        // Subnormal: normalize the mantissa.
        e = 1;
        while ((m & 0x0010000000000000lu) == 0lu) {
            m = m << 1u;
            e -= 1;
        }
    } else {
        m = m | 0x0010000000000000lu;
    }
    // x = m 2^p, p even, m in [2^52, 2^54).
    var p = e - 1075;
    if ((p & 1) != 0) {
        m = m << 1u;
        p -= 1;
    }
    // root = floor(sqrt(N)), N = m 2^54 < 2^108, 54 bits: the driver's
    // square root as an estimate, one Newton step on the residual, then
    // exact checks of root^2 <= N < (root + 1)^2 in 128-bit integers. No
    // loop: lavapipe ends an invocation's loops after 65535 iterations of
    // all of them together, which a digit-by-digit root (54 a call) in a
    // kernel's loop over synapses would reach.
    let n = vec2<u64>(m >> 10u, m << 54u);
    var root = u64(sqrt(f64(m)) * 134217728.0lf);
    let d = cj64_wide_minus(n, cj64_mul_wide(root, root)) / (2.0lf * f64(root));
    root = u64(i64(root) + i64(floor(d + 0.5lf)));
    if (!cj64_wide_le(cj64_mul_wide(root, root), n)) {
        root -= 1lu;
    }
    if (!cj64_wide_le(cj64_mul_wide(root, root), n)) {
        root -= 1lu;
    }
    if (cj64_wide_le(cj64_mul_wide(root + 1lu, root + 1lu), n)) {
        root += 1lu;
    }
    if (cj64_wide_le(cj64_mul_wide(root + 1lu, root + 1lu), n)) {
        root += 1lu;
    }
    let r = (root >> 1u) + (root & 1lu);
    // sqrt(x) = r 2^(p/2 - 26), a normal float.
    return cj64_mul(f64(r), cj64_pow2(p / 2 - 26));
}

// a <= b for 128-bit (high, low) integers.
fn cj64_wide_le(a: vec2<u64>, b: vec2<u64>) -> bool {
    return a.x < b.x || (a.x == b.x && a.y <= b.y);
}

// a - b for 128-bit (high, low) integers, as an f64 (rounded: an
// estimate's correction, checked exactly after).
fn cj64_wide_minus(a: vec2<u64>, b: vec2<u64>) -> f64 {
    let ge = cj64_wide_le(b, a);
    let big = select(a, b, !ge);
    let small = select(b, a, !ge);
    let borrow = select(0lu, 1lu, big.y < small.y);
    let v = f64(big.x - small.x - borrow) * 18446744073709551616.0lf + f64(big.y - small.y);
    return select(-v, v, ge);
}

// ---------------------------------------------------------------- exp, ln

const CJ64_LN2_HI: f64 = 6.93147180369123816490e-01lf;
const CJ64_LN2_LO: f64 = 1.90821492927058770002e-10lf;
const CJ64_INV_LN2: f64 = 1.44269504088896338700e+00lf;

// e^x (math64::exp: fdlibm's exp).
fn cj64_exp(x: f64) -> f64 {
    let hx = cj64_high(x) & 0x7fffffffu;
    let neg = (bitcast<u64>(x) >> 63u) != 0lu;
    if (hx >= 0x4086232bu) {
        if (cj64_is_nan(x)) {
            return x;
        }
        if (x > 709.782712893383973096lf) {
            return cj64_inf();
        }
        if (x < -745.13321910194110842lf) {
            return 0.0lf;
        }
    }
    var hi: f64;
    var lo: f64;
    var k: i32;
    if (hx > 0x3fd62e42u) {
        if (hx >= 0x3ff0a2b2u) {
            k = i32(cj64_add(cj64_mul(CJ64_INV_LN2, x), select(0.5lf, -0.5lf, neg)));
        } else {
            k = select(1, -1, neg);
        }
        let kf = f64(k);
        hi = cj64_sub(x, cj64_mul(kf, CJ64_LN2_HI));
        lo = cj64_mul(kf, CJ64_LN2_LO);
    } else if (hx > 0x3e300000u) {
        k = 0;
        hi = x;
        lo = 0.0lf;
    } else {
        return cj64_add(1.0lf, x);
    }
    let r = cj64_sub(hi, lo);
    let rr = cj64_mul(r, r);
    var p = cj64_add(-1.65339022054652515390e-06lf, cj64_mul(rr, 4.13813679705723846039e-08lf));
    p = cj64_add(6.61375632143793436117e-05lf, cj64_mul(rr, p));
    p = cj64_add(-2.77777777770155933842e-03lf, cj64_mul(rr, p));
    p = cj64_add(1.66666666666666019037e-01lf, cj64_mul(rr, p));
    let c = cj64_sub(r, cj64_mul(rr, p));
    let q = cj64_div(cj64_mul(r, c), cj64_sub(2.0lf, c));
    let y = cj64_add(1.0lf, cj64_add(cj64_sub(q, lo), hi));
    if (k == 0) {
        return y;
    }
    return cj64_scale(y, k);
}

// ln x (math64::ln: fdlibm's log).
fn cj64_ln(x0: f64) -> f64 {
    var x = x0;
    var ui = bitcast<u64>(x);
    var hx = u32(ui >> 32u);
    var k = 0;
    if (hx < 0x00100000u || (hx >> 31u) != 0u) {
        if ((ui << 1u) == 0lu) {
            return cj64_neg(cj64_inf());
        }
        if ((hx >> 31u) != 0u) {
            return cj64_nan();
        }
        k -= 54;
        x = cj64_mul(x, cj64_pow2(54));
        ui = bitcast<u64>(x);
        hx = u32(ui >> 32u);
    } else if (hx >= 0x7ff00000u) {
        return x;
    } else if (hx == 0x3ff00000u && (ui << 32u) == 0lu) {
        return 0.0lf;
    }
    hx += 0x3ff00000u - 0x3fe6a09eu;
    k += i32(hx >> 20u) - 0x3ff;
    hx = (hx & 0x000fffffu) + 0x3fe6a09eu;
    let xr = bitcast<f64>((u64(hx) << 32u) | (ui & 0xfffffffflu));
    let f = cj64_sub(xr, 1.0lf);
    let hfsq = cj64_mul(cj64_mul(0.5lf, f), f);
    let s = cj64_div(f, cj64_add(2.0lf, f));
    let z = cj64_mul(s, s);
    let w = cj64_mul(z, z);
    let t1 = cj64_mul(w, cj64_add(3.999999999940941908e-01lf,
        cj64_mul(w, cj64_add(2.222219843214978396e-01lf,
        cj64_mul(w, 1.531383769920937332e-01lf)))));
    let t2 = cj64_mul(z, cj64_add(6.666666666666735130e-01lf,
        cj64_mul(w, cj64_add(2.857142874366239149e-01lf,
        cj64_mul(w, cj64_add(1.818357216161805012e-01lf,
        cj64_mul(w, 1.479819860511658591e-01lf)))))));
    let r = cj64_add(t2, t1);
    let dk = f64(k);
    var y = cj64_mul(s, cj64_add(hfsq, r));
    y = cj64_add(y, cj64_mul(dk, CJ64_LN2_LO));
    y = cj64_sub(y, hfsq);
    y = cj64_add(y, f);
    return cj64_add(y, cj64_mul(dk, CJ64_LN2_HI));
}

// e^x - 1 (math64::expm1: fdlibm's expm1).
fn cj64_expm1(x0: f64) -> f64 {
    let hx = cj64_high(x0) & 0x7fffffffu;
    let neg = (bitcast<u64>(x0) >> 63u) != 0lu;
    if (hx >= 0x4043687au) {
        if (cj64_is_nan(x0)) {
            return x0;
        }
        if (neg) {
            return -1.0lf;
        }
        if (x0 > 7.09782712893383973096e+02lf) {
            return cj64_inf();
        }
    }
    var x: f64;
    var c: f64;
    var k: i32;
    if (hx > 0x3fd62e42u) {
        var hi: f64;
        var lo: f64;
        if (hx < 0x3ff0a2b2u) {
            if (neg) {
                hi = cj64_add(x0, CJ64_LN2_HI);
                lo = -CJ64_LN2_LO;
                k = -1;
            } else {
                hi = cj64_sub(x0, CJ64_LN2_HI);
                lo = CJ64_LN2_LO;
                k = 1;
            }
        } else {
            k = i32(cj64_add(cj64_mul(CJ64_INV_LN2, x0), select(0.5lf, -0.5lf, neg)));
            let t = f64(k);
            hi = cj64_sub(x0, cj64_mul(t, CJ64_LN2_HI));
            lo = cj64_mul(t, CJ64_LN2_LO);
        }
        let r = cj64_sub(hi, lo);
        c = cj64_sub(cj64_sub(hi, r), lo);
        x = r;
    } else if (hx < 0x3c900000u) {
        return x0;
    } else {
        c = 0.0lf;
        k = 0;
        x = x0;
    }
    let hfx = cj64_mul(0.5lf, x);
    let hxs = cj64_mul(x, hfx);
    var p = cj64_add(4.00821782732936239552e-06lf, cj64_mul(hxs, -2.01099218183624371326e-07lf));
    p = cj64_add(-7.93650757867487942473e-05lf, cj64_mul(hxs, p));
    p = cj64_add(1.58730158725481460165e-03lf, cj64_mul(hxs, p));
    p = cj64_add(-3.33333333333331316428e-02lf, cj64_mul(hxs, p));
    let r1 = cj64_add(1.0lf, cj64_mul(hxs, p));
    let t = cj64_sub(3.0lf, cj64_mul(r1, hfx));
    var e = cj64_mul(hxs, cj64_div(cj64_sub(r1, t), cj64_sub(6.0lf, cj64_mul(x, t))));
    if (k == 0) {
        return cj64_sub(x, cj64_sub(cj64_mul(x, e), hxs));
    }
    e = cj64_sub(cj64_mul(x, cj64_sub(e, c)), c);
    e = cj64_sub(e, hxs);
    if (k == -1) {
        return cj64_sub(cj64_mul(0.5lf, cj64_sub(x, e)), 0.5lf);
    }
    if (k == 1) {
        if (x < -0.25lf) {
            return cj64_mul(-2.0lf, cj64_sub(e, cj64_add(x, 0.5lf)));
        }
        return cj64_add(1.0lf, cj64_mul(2.0lf, cj64_sub(x, e)));
    }
    if (k < 0 || k > 56) {
        let y = cj64_add(cj64_sub(x, e), 1.0lf);
        return cj64_sub(cj64_scale(y, k), 1.0lf);
    }
    let twopk = cj64_pow2(k);
    let uf = cj64_pow2(-k);
    if (k < 20) {
        return cj64_mul(cj64_add(cj64_sub(x, e), cj64_sub(1.0lf, uf)), twopk);
    }
    return cj64_mul(cj64_add(cj64_sub(x, cj64_add(e, uf)), 1.0lf), twopk);
}

// ---------------------------------------------------------------- pow

// x^y (math64::pow): whole exponents 1 to 16 by binary exponentiation,
// others fdlibm's pow.
fn cj64_pow(x: f64, y: f64) -> f64 {
    if (y >= 1.0lf && y <= 16.0lf && floor(y) == y) {
        var k = u32(y);
        var base = x;
        var acc = 1.0lf;
        loop {
            if ((k & 1u) == 1u) {
                acc = cj64_mul(acc, base);
            }
            k = k >> 1u;
            if (k == 0u) {
                return acc;
            }
            base = cj64_mul(base, base);
        }
    }
    return cj64_pow_fdlibm(x, y);
}

fn cj64_pow_fdlibm(x: f64, y: f64) -> f64 {
    let hx = i32(u32(bitcast<u64>(x) >> 32u));
    let lx = u32(bitcast<u64>(x) & 0xfffffffflu);
    let hy = i32(u32(bitcast<u64>(y) >> 32u));
    let ly = u32(bitcast<u64>(y) & 0xfffffffflu);
    var ix = hx & 0x7fffffff;
    let iy = hy & 0x7fffffff;
    if ((u32(iy) | ly) == 0u || (hx == 0x3ff00000 && lx == 0u)) {
        return 1.0lf;
    }
    if (ix > 0x7ff00000 || (ix == 0x7ff00000 && lx != 0u) || iy > 0x7ff00000
        || (iy == 0x7ff00000 && ly != 0u)) {
        return cj64_nan();
    }
    var yisint = 0;
    if (hx < 0) {
        if (iy >= 0x43400000) {
            yisint = 2;
        } else if (iy >= 0x3ff00000) {
            let k = (iy >> 20u) - 0x3ff;
            if (k > 20) {
                let j = i32(ly >> u32(52 - k));
                if (u32(j << u32(52 - k)) == ly) {
                    yisint = 2 - (j & 1);
                }
            } else if (ly == 0u) {
                let j = iy >> u32(20 - k);
                if ((j << u32(20 - k)) == iy) {
                    yisint = 2 - (j & 1);
                }
            }
        }
    }
    if (ly == 0u) {
        if (iy == 0x7ff00000) {
            if (((ix - 0x3ff00000) | i32(lx)) == 0) {
                return 1.0lf;
            } else if (ix >= 0x3ff00000) {
                return select(0.0lf, y, hy >= 0);
            }
            return select(cj64_neg(y), 0.0lf, hy >= 0);
        }
        if (iy == 0x3ff00000) {
            return select(cj64_div(1.0lf, x), x, hy >= 0);
        }
        if (hy == 0x3fe00000 && hx >= 0) {
            return cj64_sqrt(x);
        }
    }
    var ax = cj64_abs(x);
    if (lx == 0u && (ix == 0x7ff00000 || ix == 0 || ix == 0x3ff00000)) {
        var z = ax;
        if (hy < 0) {
            z = cj64_div(1.0lf, z);
        }
        if (hx < 0) {
            if (((ix - 0x3ff00000) | yisint) == 0) {
                return cj64_nan();
            } else if (yisint == 1) {
                z = cj64_neg(z);
            }
        }
        return z;
    }
    var s = 1.0lf;
    if (hx < 0) {
        if (yisint == 0) {
            return cj64_nan();
        }
        if (yisint == 1) {
            s = -1.0lf;
        }
    }
    var t1: f64;
    var t2: f64;
    if (iy > 0x41e00000) {
        if (iy > 0x43f00000) {
            if (ix <= 0x3fefffff) {
                return select(0.0lf, cj64_inf(), hy < 0);
            }
            if (ix >= 0x3ff00000) {
                return select(0.0lf, cj64_inf(), hy > 0);
            }
        }
        if (ix < 0x3fefffff) {
            return select(cj64_signed(s, 0.0lf), cj64_signed(s, cj64_inf()), hy < 0);
        }
        if (ix > 0x3ff00000) {
            return select(cj64_signed(s, 0.0lf), cj64_signed(s, cj64_inf()), hy > 0);
        }
        let t = cj64_sub(ax, 1.0lf);
        let w = cj64_mul(cj64_mul(t, t), cj64_sub(0.5lf,
            cj64_mul(t, cj64_sub(0.3333333333333333333333lf, cj64_mul(t, 0.25lf)))));
        let u = cj64_mul(1.44269502162933349609e+00lf, t);
        let v = cj64_sub(cj64_mul(t, 1.92596299112661746887e-08lf),
            cj64_mul(w, 1.44269504088896338700e+00lf));
        t1 = cj64_zero_low(cj64_add(u, v));
        t2 = cj64_sub(v, cj64_sub(t1, u));
    } else {
        var n = 0;
        if (ix < 0x00100000) {
            ax = cj64_mul(ax, cj64_pow2(53));
            n -= 53;
            ix = i32(cj64_high(ax));
        }
        n += (ix >> 20u) - 0x3ff;
        let j = ix & 0x000fffff;
        var k: i32;
        ix = j | 0x3ff00000;
        if (j <= 0x3988e) {
            k = 0;
        } else if (j < 0xbb67a) {
            k = 1;
        } else {
            k = 0;
            n += 1;
            ix -= 0x00100000;
        }
        ax = cj64_with_high(ax, u32(ix));
        let one = k == 1;
        let bp = select(1.0lf, 1.5lf, one);
        let dp_h = select(0.0lf, 5.84962487220764160156e-01lf, one);
        let dp_l = select(0.0lf, 1.35003920212974897128e-08lf, one);
        let u = cj64_sub(ax, bp);
        let v = cj64_div(1.0lf, cj64_add(ax, bp));
        let ss = cj64_mul(u, v);
        let s_h = cj64_zero_low(ss);
        let t_h = cj64_with_high(0.0lf,
            ((u32(ix) >> 1u) | 0x20000000u) + 0x00080000u + (u32(k) << 18u));
        let t_l = cj64_sub(ax, cj64_sub(t_h, bp));
        let s_l = cj64_mul(v, cj64_sub(cj64_sub(u, cj64_mul(s_h, t_h)), cj64_mul(s_h, t_l)));
        let s2 = cj64_mul(ss, ss);
        var q = cj64_add(2.30660745775561754067e-01lf, cj64_mul(s2, 2.06975017800338417784e-01lf));
        q = cj64_add(2.72728123808534006489e-01lf, cj64_mul(s2, q));
        q = cj64_add(3.33333329818377432918e-01lf, cj64_mul(s2, q));
        q = cj64_add(4.28571428578550184252e-01lf, cj64_mul(s2, q));
        q = cj64_add(5.99999999999994648725e-01lf, cj64_mul(s2, q));
        var r = cj64_mul(cj64_mul(s2, s2), q);
        r = cj64_add(r, cj64_mul(s_l, cj64_add(s_h, ss)));
        let s2h = cj64_mul(s_h, s_h);
        let t_h2 = cj64_zero_low(cj64_add(cj64_add(3.0lf, s2h), r));
        let t_l2 = cj64_sub(r, cj64_sub(cj64_sub(t_h2, 3.0lf), s2h));
        let u2 = cj64_mul(s_h, t_h2);
        let v2 = cj64_add(cj64_mul(s_l, t_h2), cj64_mul(t_l2, ss));
        let p_h = cj64_zero_low(cj64_add(u2, v2));
        let p_l = cj64_sub(v2, cj64_sub(p_h, u2));
        let z_h = cj64_mul(9.61796700954437255859e-01lf, p_h);
        let z_l = cj64_add(cj64_add(cj64_mul(-7.02846165095275826516e-09lf, p_h),
            cj64_mul(p_l, 9.61796693925975554329e-01lf)), dp_l);
        let t = f64(n);
        t1 = cj64_zero_low(cj64_add(cj64_add(cj64_add(z_h, z_l), dp_h), t));
        t2 = cj64_sub(z_l, cj64_sub(cj64_sub(cj64_sub(t1, t), dp_h), z_h));
    }
    let y1 = cj64_zero_low(y);
    let p_l = cj64_add(cj64_mul(cj64_sub(y, y1), t1), cj64_mul(y, t2));
    var p_h = cj64_mul(y1, t1);
    let z = cj64_add(p_l, p_h);
    let j = i32(cj64_high(z));
    let i = u32(bitcast<u64>(z) & 0xfffffffflu);
    if (j >= 0x40900000) {
        if ((u32(j - 0x40900000) | i) != 0u
            || cj64_add(p_l, 8.0085662595372944372e-17lf) > cj64_sub(z, p_h)) {
            return cj64_signed(s, cj64_inf());
        }
    } else if ((j & 0x7fffffff) >= 0x4090cc00) {
        if (((u32(j) - 0xc090cc00u) | i) != 0u || p_l <= cj64_sub(z, p_h)) {
            return cj64_signed(s, 0.0lf);
        }
    }
    let ii = j & 0x7fffffff;
    var k = (ii >> 20u) - 0x3ff;
    var n = 0;
    if (ii > 0x3fe00000) {
        n = j + (0x00100000 >> u32(k + 1));
        k = ((n & 0x7fffffff) >> 20u) - 0x3ff;
        let t = cj64_with_high(0.0lf, u32(n & ~(0x000fffff >> u32(k))));
        n = ((n & 0x000fffff) | 0x00100000) >> u32(20 - k);
        if (j < 0) {
            n = -n;
        }
        p_h = cj64_sub(p_h, t);
    }
    let t = cj64_zero_low(cj64_add(p_l, p_h));
    let u = cj64_mul(t, 6.93147182464599609375e-01lf);
    let v = cj64_add(cj64_mul(cj64_sub(p_l, cj64_sub(t, p_h)), 6.93147180559945286227e-01lf),
        cj64_mul(t, -1.90465429995776804525e-09lf));
    let zz = cj64_add(u, v);
    let w = cj64_sub(v, cj64_sub(zz, u));
    let tt = cj64_mul(zz, zz);
    var pp = cj64_add(-1.65339022054652515390e-06lf, cj64_mul(tt, 4.13813679705723846039e-08lf));
    pp = cj64_add(6.61375632143793436117e-05lf, cj64_mul(tt, pp));
    pp = cj64_add(-2.77777777770155933842e-03lf, cj64_mul(tt, pp));
    pp = cj64_add(1.66666666666666019037e-01lf, cj64_mul(tt, pp));
    let tt1 = cj64_sub(zz, cj64_mul(tt, pp));
    let r = cj64_sub(cj64_div(cj64_mul(zz, tt1), cj64_sub(tt1, 2.0lf)),
        cj64_add(w, cj64_mul(zz, w)));
    let z2 = cj64_sub(1.0lf, cj64_sub(r, zz));
    let jj = i32(cj64_high(z2)) + (n << 20u);
    var z3: f64;
    if ((jj >> 20u) <= 0) {
        z3 = cj64_scale(z2, n);
    } else {
        z3 = cj64_with_high(z2, u32(jj));
    }
    return cj64_signed(s, z3);
}

// ---------------------------------------------------------------- sin, cos, tan

fn cj64_k_sin(x: f64, y: f64, iy: i32) -> f64 {
    let z = cj64_mul(x, x);
    let w = cj64_mul(z, z);
    let r = cj64_add(cj64_add(8.33333333332248946124e-03lf,
        cj64_mul(z, cj64_add(-1.98412698298579493134e-04lf,
        cj64_mul(z, 2.75573137070700676789e-06lf)))),
        cj64_mul(cj64_mul(z, w), cj64_add(-2.50507602534068634195e-08lf,
        cj64_mul(z, 1.58969099521155010221e-10lf))));
    let v = cj64_mul(z, x);
    if (iy == 0) {
        return cj64_add(x, cj64_mul(v, cj64_add(-1.66666666666666324348e-01lf, cj64_mul(z, r))));
    }
    return cj64_sub(x, cj64_sub(cj64_sub(cj64_mul(z, cj64_sub(cj64_mul(0.5lf, y),
        cj64_mul(v, r))), y), cj64_mul(v, -1.66666666666666324348e-01lf)));
}

fn cj64_k_cos(x: f64, y: f64) -> f64 {
    let z = cj64_mul(x, x);
    let w = cj64_mul(z, z);
    let r = cj64_add(cj64_mul(z, cj64_add(4.16666666666666019037e-02lf,
        cj64_mul(z, cj64_add(-1.38888888888741095749e-03lf,
        cj64_mul(z, 2.48015872894767294178e-05lf))))),
        cj64_mul(cj64_mul(w, w), cj64_add(-2.75573143513906633035e-07lf,
        cj64_mul(z, cj64_add(2.08757232129817482790e-09lf,
        cj64_mul(z, -1.13596475577881948265e-11lf))))));
    let hz = cj64_mul(0.5lf, z);
    let w1 = cj64_sub(1.0lf, hz);
    return cj64_add(w1, cj64_add(cj64_sub(cj64_sub(1.0lf, w1), hz),
        cj64_sub(cj64_mul(z, r), cj64_mul(x, y))));
}

fn cj64_k_tan(x0: f64, y0: f64, odd: i32) -> f64 {
    let hx = cj64_high(x0);
    let big = (hx & 0x7fffffffu) >= 0x3fe59428u;
    let neg = (hx >> 31u) != 0u;
    var x = x0;
    var y = y0;
    if (big) {
        if (neg) {
            x = cj64_neg(x);
            y = cj64_neg(y);
        }
        x = cj64_add(cj64_sub(7.85398163397448278999e-01lf, x),
            cj64_sub(3.06161699786838301793e-17lf, y));
        y = 0.0lf;
    }
    let z = cj64_mul(x, x);
    let w = cj64_mul(z, z);
    // T[1] + w (T[3] + ... w T[11]) and z (T[2] + w (T[4] + ... w T[12])).
    var r = cj64_add(7.81794442939557092300e-05lf, cj64_mul(w, -1.85586374855275456654e-05lf));
    r = cj64_add(5.88041240820264096874e-04lf, cj64_mul(w, r));
    r = cj64_add(3.59207910759131235356e-03lf, cj64_mul(w, r));
    r = cj64_add(2.18694882948595424599e-02lf, cj64_mul(w, r));
    r = cj64_add(1.33333333333201242699e-01lf, cj64_mul(w, r));
    var v = cj64_add(7.14072491382608190305e-05lf, cj64_mul(w, 2.59073051863633712884e-05lf));
    v = cj64_add(2.46463134818469906812e-04lf, cj64_mul(w, v));
    v = cj64_add(1.45620945432529025516e-03lf, cj64_mul(w, v));
    v = cj64_add(8.86323982359930005737e-03lf, cj64_mul(w, v));
    v = cj64_add(5.39682539762260521377e-02lf, cj64_mul(w, v));
    v = cj64_mul(z, v);
    let s = cj64_mul(z, x);
    let r2 = cj64_add(cj64_add(y, cj64_mul(z, cj64_add(cj64_mul(s, cj64_add(r, v)), y))),
        cj64_mul(s, 3.33333333333334091986e-01lf));
    let w2 = cj64_add(x, r2);
    if (big) {
        let sg = cj64_sub(1.0lf, cj64_mul(2.0lf, f64(odd)));
        let vv = cj64_sub(sg, cj64_mul(2.0lf, cj64_add(x, cj64_sub(r2,
            cj64_div(cj64_mul(w2, w2), cj64_add(w2, sg))))));
        return select(vv, cj64_neg(vv), neg);
    }
    if (odd == 0) {
        return w2;
    }
    let w0 = cj64_zero_low(w2);
    let v0 = cj64_sub(r2, cj64_sub(w0, x));
    let a = cj64_div(-1.0lf, w2);
    let a0 = cj64_zero_low(a);
    return cj64_add(a0, cj64_mul(a, cj64_add(cj64_add(1.0lf, cj64_mul(a0, w0)), cj64_mul(a0, v0))));
}

// 32 bits of 2/pi from bit p (math64::TWO_OVER_PI, two zero words first).
fn cj64_two_over_pi(p: u32) -> u32 {
    var t = array<u32, 40>(0u, 0u, 0xa2f9836eu, 0x4e441529u, 0xfc2757d1u, 0xf534ddc0u,
        0xdb629599u, 0x3c439041u, 0xfe5163abu, 0xdebbc561u, 0xb7246e3au, 0x424dd2e0u,
        0x06492eeau, 0x09d1921cu, 0xfe1deb1cu, 0xb129a73eu, 0xe88235f5u, 0x2ebb4484u,
        0xe99c7026u, 0xb45f7e41u, 0x3991d639u, 0x835339f4u, 0x9c845f8bu, 0xbdf9283bu,
        0x1ff897ffu, 0xde05980fu, 0xef2f118bu, 0x5a0a6d1fu, 0x6d367ecfu, 0x27cb09b7u,
        0x4f463f66u, 0x9e5fea2du, 0x7527bac7u, 0xebe5f17bu, 0x3d0739f7u, 0x8a5292eau,
        0x6bfb5fb1u, 0x1f8d5d08u, 0x56033046u, 0xfc7b6babu);
    let w = p / 32u;
    let s = p % 32u;
    if (s == 0u) {
        return t[w];
    }
    return (t[w] << s) | (t[w + 1u] >> (32u - s));
}

fn cj64_two_over_pi_64(p: u32) -> u64 {
    return (u64(cj64_two_over_pi(p)) << 32u) | u64(cj64_two_over_pi(p + 32u));
}

// The 128-bit product a * b as (high, low) words, from 32-bit halves.
fn cj64_mul_wide(a: u64, b: u64) -> vec2<u64> {
    let a0 = a & 0xfffffffflu;
    let a1 = a >> 32u;
    let b0 = b & 0xfffffffflu;
    let b1 = b >> 32u;
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let mid = (p00 >> 32u) + (p01 & 0xfffffffflu) + (p10 & 0xfffffffflu);
    let hi = p11 + (p01 >> 32u) + (p10 >> 32u) + (mid >> 32u);
    return vec2<u64>(hi, (mid << 32u) | (p00 & 0xfffffffflu));
}

fn cj64_clz(v: u64) -> u32 {
    let h = u32(v >> 32u);
    if (h != 0u) {
        return countLeadingZeros(h);
    }
    return 32u + countLeadingZeros(u32(v & 0xfffffffflu));
}

// Reduced argument of x: (n, y0, y1), x = n pi/2 + y0 + y1.
struct Cj64Reduced {
    n: i32,
    y0: f64,
    y1: f64,
}

// math64::rem_pio2: fdlibm's medium case below 2^20 pi/2.
fn cj64_rem_pio2(x: f64) -> Cj64Reduced {
    let ix = cj64_high(x) & 0x7fffffffu;
    if (ix >= 0x413921fbu) {
        return cj64_rem_pio2_large(x);
    }
    let f_n = cj64_sub(cj64_add(cj64_mul(x, 6.36619772367581382433e-01lf), 6755399441055744.0lf),
        6755399441055744.0lf);
    let n = i32(f_n);
    var r = cj64_sub(x, cj64_mul(f_n, 1.57079632673412561417e+00lf));
    var w = cj64_mul(f_n, 6.07710050650619224932e-11lf);
    var y0 = cj64_sub(r, w);
    let ex = i32(ix >> 20u);
    let ey = i32(u32(bitcast<u64>(y0) >> 52u) & 0x7ffu);
    if (ex - ey > 16) {
        let t = r;
        w = cj64_mul(f_n, 6.07710050630396597660e-11lf);
        r = cj64_sub(t, w);
        w = cj64_sub(cj64_mul(f_n, 2.02226624879595063154e-21lf), cj64_sub(cj64_sub(t, r), w));
        y0 = cj64_sub(r, w);
        let ey2 = i32(u32(bitcast<u64>(y0) >> 52u) & 0x7ffu);
        if (ex - ey2 > 49) {
            let t2 = r;
            w = cj64_mul(f_n, 2.02226624871116645580e-21lf);
            r = cj64_sub(t2, w);
            w = cj64_sub(cj64_mul(f_n, 8.47842766036889956997e-32lf), cj64_sub(cj64_sub(t2, r), w));
            y0 = cj64_sub(r, w);
        }
    }
    let y1 = cj64_sub(cj64_sub(r, y0), w);
    return Cj64Reduced(n, y0, y1);
}

// math64::rem_pio2_large: Payne and Hanek's reduction, the same integers
// from 32-bit halves.
fn cj64_rem_pio2_large(x: f64) -> Cj64Reduced {
    let u = bitcast<u64>(x);
    let e = i32(u32(u >> 52u) & 0x7ffu) - 1075;
    let m = (u & 0x000ffffffffffffflu) | 0x0010000000000000lu;
    let g = u32(e + 62);
    let w0 = cj64_two_over_pi_64(g);
    let w1 = cj64_two_over_pi_64(g + 64u);
    let w2 = cj64_two_over_pi_64(g + 128u);
    let a2 = cj64_mul_wide(m, w2);
    let a1 = cj64_mul_wide(m, w1);
    let a0 = cj64_mul_wide(m, w0);
    let low = a2.y;
    let mid = a2.x + a1.y;
    let carry = select(0lu, 1lu, mid < a2.x);
    let top = a1.x + a0.y + carry;
    var q = i32(u32(top >> 62u));
    var fh = (top << 2u) | (mid >> 62u);
    var fl = (mid << 2u) | (low >> 62u);
    let flip = (fh >> 63u) != 0lu;
    if (flip) {
        q += 1;
        fl = ~fl + 1lu;
        fh = ~fh + select(0lu, 1lu, fl == 0lu);
    }
    var lz: u32;
    if (fh != 0lu) {
        lz = cj64_clz(fh);
    } else {
        lz = 64u + cj64_clz(fl);
    }
    var nh = 0lu;
    var nl = 0lu;
    if (lz == 0u) {
        nh = fh;
        nl = fl;
    } else if (lz < 64u) {
        nh = (fh << lz) | (fl >> (64u - lz));
        nl = fl << lz;
    } else if (lz < 128u) {
        nh = fl << (lz - 64u);
    }
    let lzi = i32(lz);
    let a = cj64_mul(f64(nh >> 11u), cj64_pow2(-53 - lzi));
    let b = cj64_mul(f64(((nh << 42u) | (nl >> 22u)) & 0x001ffffffffffffflu), cj64_pow2(-106 - lzi));
    let pio2_h = 1.57079632679489655800e+00lf;
    let pio2_l = 6.12323399573676603587e-17lf;
    let ph = cj64_mul(a, pio2_h);
    let as_ = cj64_split(a);
    let bs = cj64_split(pio2_h);
    let pe = cj64_add(cj64_add(cj64_add(cj64_sub(cj64_mul(as_.x, bs.x), ph),
        cj64_mul(as_.x, bs.y)), cj64_mul(as_.y, bs.x)), cj64_mul(as_.y, bs.y));
    let t = cj64_add(pe, cj64_add(cj64_mul(a, pio2_l), cj64_mul(b, pio2_h)));
    var y0 = cj64_add(ph, t);
    var y1 = cj64_sub(t, cj64_sub(y0, ph));
    if (flip) {
        y0 = cj64_neg(y0);
        y1 = cj64_neg(y1);
    }
    if ((u >> 63u) != 0lu) {
        return Cj64Reduced(-q, cj64_neg(y0), cj64_neg(y1));
    }
    return Cj64Reduced(q, y0, y1);
}

// sin x (math64::sin).
fn cj64_sin(x: f64) -> f64 {
    let ix = cj64_high(x) & 0x7fffffffu;
    if (ix <= 0x3fe921fbu) {
        if (ix < 0x3e500000u) {
            return x;
        }
        return cj64_k_sin(x, 0.0lf, 0);
    }
    if (ix >= 0x7ff00000u) {
        return cj64_nan();
    }
    let r = cj64_rem_pio2(x);
    switch (r.n & 3) {
        case 0: {
            return cj64_k_sin(r.y0, r.y1, 1);
        }
        case 1: {
            return cj64_k_cos(r.y0, r.y1);
        }
        case 2: {
            return cj64_neg(cj64_k_sin(r.y0, r.y1, 1));
        }
        default: {
            return cj64_neg(cj64_k_cos(r.y0, r.y1));
        }
    }
}

// cos x (math64::cos).
fn cj64_cos(x: f64) -> f64 {
    let ix = cj64_high(x) & 0x7fffffffu;
    if (ix <= 0x3fe921fbu) {
        if (ix < 0x3e46a09eu) {
            return 1.0lf;
        }
        return cj64_k_cos(x, 0.0lf);
    }
    if (ix >= 0x7ff00000u) {
        return cj64_nan();
    }
    let r = cj64_rem_pio2(x);
    switch (r.n & 3) {
        case 0: {
            return cj64_k_cos(r.y0, r.y1);
        }
        case 1: {
            return cj64_neg(cj64_k_sin(r.y0, r.y1, 1));
        }
        case 2: {
            return cj64_neg(cj64_k_cos(r.y0, r.y1));
        }
        default: {
            return cj64_k_sin(r.y0, r.y1, 1);
        }
    }
}

// tan x (math64::tan).
fn cj64_tan(x: f64) -> f64 {
    let ix = cj64_high(x) & 0x7fffffffu;
    if (ix <= 0x3fe921fbu) {
        if (ix < 0x3e400000u) {
            return x;
        }
        return cj64_k_tan(x, 0.0lf, 0);
    }
    if (ix >= 0x7ff00000u) {
        return cj64_nan();
    }
    let r = cj64_rem_pio2(x);
    return cj64_k_tan(r.y0, r.y1, r.n & 1);
}

// ---------------------------------------------------------------- hyperbolic

// tanh x (math64::tanh).
fn cj64_tanh(x: f64) -> f64 {
    let neg = (bitcast<u64>(x) >> 63u) != 0lu;
    let ax = cj64_abs(x);
    let w = cj64_high(ax);
    var t: f64;
    if (w > 0x3fe193eau) {
        if (w > 0x40340000u) {
            if (cj64_is_nan(ax)) {
                return x;
            }
            t = 1.0lf;
        } else {
            let e = cj64_expm1(cj64_mul(2.0lf, ax));
            t = cj64_sub(1.0lf, cj64_div(2.0lf, cj64_add(e, 2.0lf)));
        }
    } else if (w > 0x3fd058aeu) {
        let e = cj64_expm1(cj64_mul(2.0lf, ax));
        t = cj64_div(e, cj64_add(e, 2.0lf));
    } else if (w >= 0x00100000u) {
        let e = cj64_expm1(cj64_mul(-2.0lf, ax));
        t = cj64_div(cj64_neg(e), cj64_add(e, 2.0lf));
    } else {
        return x;
    }
    return select(t, cj64_neg(t), neg);
}

// e^x for x past exp's overflow (math64::expo2).
fn cj64_expo2(x: f64) -> f64 {
    let sc = cj64_pow2(1021);
    return cj64_mul(cj64_mul(cj64_exp(cj64_sub(x, 1416.0996898839683lf)), sc), sc);
}

// sinh x (math64::sinh).
fn cj64_sinh(x: f64) -> f64 {
    let h = select(0.5lf, -0.5lf, (bitcast<u64>(x) >> 63u) != 0lu);
    let ax = cj64_abs(x);
    let w = cj64_high(ax);
    if (w < 0x40862e42u) {
        let t = cj64_expm1(ax);
        if (w < 0x3ff00000u) {
            if (w < 0x3ff00000u - (26u << 20u)) {
                return x;
            }
            return cj64_mul(h, cj64_sub(cj64_mul(2.0lf, t),
                cj64_div(cj64_mul(t, t), cj64_add(t, 1.0lf))));
        }
        return cj64_mul(h, cj64_add(t, cj64_div(t, cj64_add(t, 1.0lf))));
    }
    if (cj64_is_nan(ax)) {
        return x;
    }
    return cj64_mul(cj64_mul(2.0lf, h), cj64_expo2(ax));
}

// cosh x (math64::cosh).
fn cj64_cosh(x: f64) -> f64 {
    let ax = cj64_abs(x);
    let w = cj64_high(ax);
    if (w < 0x3fe62e42u) {
        if (w < 0x3ff00000u - (26u << 20u)) {
            return 1.0lf;
        }
        let t = cj64_expm1(ax);
        return cj64_add(1.0lf, cj64_div(cj64_mul(t, t), cj64_mul(2.0lf, cj64_add(1.0lf, t))));
    }
    if (w < 0x40862e42u) {
        let t = cj64_exp(ax);
        return cj64_mul(0.5lf, cj64_add(t, cj64_div(1.0lf, t)));
    }
    if (cj64_is_nan(ax)) {
        return ax;
    }
    return cj64_expo2(ax);
}

// ---------------------------------------------------------------- inverse trigonometric

const CJ64_PIO2_HI: f64 = 1.57079632679489655800e+00lf;
const CJ64_PIO2_LO: f64 = 6.12323399573676603587e-17lf;

fn cj64_asin_r(z: f64) -> f64 {
    var p = cj64_add(7.91534994289814532176e-04lf, cj64_mul(z, 3.47933107596021167570e-05lf));
    p = cj64_add(-4.00555345006794114027e-02lf, cj64_mul(z, p));
    p = cj64_add(2.01212532134862925881e-01lf, cj64_mul(z, p));
    p = cj64_add(-3.25565818622400915405e-01lf, cj64_mul(z, p));
    p = cj64_add(1.66666666666666657415e-01lf, cj64_mul(z, p));
    p = cj64_mul(z, p);
    var q = cj64_add(-6.88283971605453293030e-01lf, cj64_mul(z, 7.70381505559019352791e-02lf));
    q = cj64_add(2.02094576023350569471e+00lf, cj64_mul(z, q));
    q = cj64_add(-2.40339491173441421878e+00lf, cj64_mul(z, q));
    q = cj64_add(1.0lf, cj64_mul(z, q));
    return cj64_div(p, q);
}

// asin x (math64::asin).
fn cj64_asin(x: f64) -> f64 {
    let hx = cj64_high(x);
    let ix = hx & 0x7fffffffu;
    if (ix >= 0x3ff00000u) {
        if (((ix - 0x3ff00000u) | u32(bitcast<u64>(x) & 0xfffffffflu)) == 0u) {
            return cj64_mul(x, CJ64_PIO2_HI);
        }
        return cj64_nan();
    }
    if (ix < 0x3fe00000u) {
        if (ix < 0x3e500000u) {
            return x;
        }
        return cj64_add(x, cj64_mul(x, cj64_asin_r(cj64_mul(x, x))));
    }
    let z = cj64_mul(cj64_sub(1.0lf, cj64_abs(x)), 0.5lf);
    let s = cj64_sqrt(z);
    let r = cj64_asin_r(z);
    var v: f64;
    if (ix >= 0x3fef3333u) {
        v = cj64_sub(CJ64_PIO2_HI, cj64_sub(cj64_mul(2.0lf, cj64_add(s, cj64_mul(s, r))), CJ64_PIO2_LO));
    } else {
        let f = cj64_zero_low(s);
        let c = cj64_div(cj64_sub(z, cj64_mul(f, f)), cj64_add(s, f));
        v = cj64_sub(cj64_mul(0.5lf, CJ64_PIO2_HI),
            cj64_sub(cj64_sub(cj64_mul(cj64_mul(2.0lf, s), r),
            cj64_sub(CJ64_PIO2_LO, cj64_mul(2.0lf, c))),
            cj64_sub(cj64_mul(0.5lf, CJ64_PIO2_HI), cj64_mul(2.0lf, f))));
    }
    return select(v, cj64_neg(v), (hx >> 31u) != 0u);
}

// acos x (math64::acos).
fn cj64_acos(x: f64) -> f64 {
    let hx = cj64_high(x);
    let ix = hx & 0x7fffffffu;
    if (ix >= 0x3ff00000u) {
        if (((ix - 0x3ff00000u) | u32(bitcast<u64>(x) & 0xfffffffflu)) == 0u) {
            return select(0.0lf, cj64_mul(2.0lf, CJ64_PIO2_HI), (hx >> 31u) != 0u);
        }
        return cj64_nan();
    }
    if (ix < 0x3fe00000u) {
        if (ix <= 0x3c600000u) {
            return CJ64_PIO2_HI;
        }
        return cj64_sub(CJ64_PIO2_HI, cj64_sub(x, cj64_sub(CJ64_PIO2_LO,
            cj64_mul(x, cj64_asin_r(cj64_mul(x, x))))));
    }
    if ((hx >> 31u) != 0u) {
        let z = cj64_mul(cj64_add(1.0lf, x), 0.5lf);
        let s = cj64_sqrt(z);
        let w = cj64_sub(cj64_mul(cj64_asin_r(z), s), CJ64_PIO2_LO);
        return cj64_mul(2.0lf, cj64_sub(CJ64_PIO2_HI, cj64_add(s, w)));
    }
    let z = cj64_mul(cj64_sub(1.0lf, x), 0.5lf);
    let s = cj64_sqrt(z);
    let df = cj64_zero_low(s);
    let c = cj64_div(cj64_sub(z, cj64_mul(df, df)), cj64_add(s, df));
    let w = cj64_add(cj64_mul(cj64_asin_r(z), s), c);
    return cj64_mul(2.0lf, cj64_add(df, w));
}

// atan x (math64::atan).
fn cj64_atan(x: f64) -> f64 {
    var atanhi = array<f64, 4>(4.63647609000806093515e-01lf, 7.85398163397448278999e-01lf,
        9.82793723247329054082e-01lf, 1.57079632679489655800e+00lf);
    var atanlo = array<f64, 4>(2.26987774529616870924e-17lf, 3.06161699786838301793e-17lf,
        1.39033110312309984516e-17lf, 6.12323399573676603587e-17lf);
    let hx = cj64_high(x);
    let neg = (hx >> 31u) != 0u;
    let ix = hx & 0x7fffffffu;
    if (ix >= 0x44100000u) {
        if (cj64_is_nan(x)) {
            return x;
        }
        return select(atanhi[3], cj64_neg(atanhi[3]), neg);
    }
    var t: f64;
    var id: i32;
    if (ix < 0x3fdc0000u) {
        if (ix < 0x3e400000u) {
            return x;
        }
        t = x;
        id = -1;
    } else {
        let a = cj64_abs(x);
        if (ix < 0x3ff30000u) {
            if (ix < 0x3fe60000u) {
                t = cj64_div(cj64_sub(cj64_mul(2.0lf, a), 1.0lf), cj64_add(2.0lf, a));
                id = 0;
            } else {
                t = cj64_div(cj64_sub(a, 1.0lf), cj64_add(a, 1.0lf));
                id = 1;
            }
        } else if (ix < 0x40038000u) {
            t = cj64_div(cj64_sub(a, 1.5lf), cj64_add(1.0lf, cj64_mul(1.5lf, a)));
            id = 2;
        } else {
            t = cj64_div(-1.0lf, a);
            id = 3;
        }
    }
    let z = cj64_mul(t, t);
    let w = cj64_mul(z, z);
    var s1 = cj64_add(4.97687799461593236017e-02lf, cj64_mul(w, 1.62858201153657823623e-02lf));
    s1 = cj64_add(6.66107313738753120669e-02lf, cj64_mul(w, s1));
    s1 = cj64_add(9.09088713343650656196e-02lf, cj64_mul(w, s1));
    s1 = cj64_add(1.42857142725034663711e-01lf, cj64_mul(w, s1));
    s1 = cj64_add(3.33333333333329318027e-01lf, cj64_mul(w, s1));
    s1 = cj64_mul(z, s1);
    var s2 = cj64_add(-5.83357013379057348645e-02lf, cj64_mul(w, -3.65315727442169155270e-02lf));
    s2 = cj64_add(-7.69187620504482999495e-02lf, cj64_mul(w, s2));
    s2 = cj64_add(-1.11111104054623557880e-01lf, cj64_mul(w, s2));
    s2 = cj64_add(-1.99999999998764832476e-01lf, cj64_mul(w, s2));
    s2 = cj64_mul(w, s2);
    if (id < 0) {
        return cj64_sub(t, cj64_mul(t, cj64_add(s1, s2)));
    }
    let zz = cj64_sub(atanhi[id], cj64_sub(cj64_sub(cj64_mul(t, cj64_add(s1, s2)), atanlo[id]), t));
    return select(zz, cj64_neg(zz), neg);
}

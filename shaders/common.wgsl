// cajal: the f32 functions shared by every generated GPU kernel of an f32
// network (common64.wgsl holds an f64 network's).
//
// This file is included verbatim at the top of every generated kernel, after
// philox.wgsl, so it declares no bindings and no entry points, and every
// name starts with `cj_` (or `CJ_`) to stay clear of generated code.
//
// Each function has a Rust twin that the CPU engine runs; the two engines
// must agree bit for bit wherever the GPU's arithmetic allows it (integer
// work, add/sub/mul pinned by cj_keep, division by cj_div, both below;
// cj_keep reads clock.wgsl's clk, which every kernel includes too), and to
// a few ulps where it goes through the adapter's square root or pow.
// tests/gpu/wgsl_common.rs checks each pair.
//
//   cj_u01, cj_u01_open random::philox::{u01, u01_open}
//   cj_ln, cj_log       lang::ir::{ln_normal, ln}
//   cj_sin, cj_cos      lang::ir::{sin, cos}
//   cj_tanh             lang::ir::tanh
//   cj_normal           random::philox::normal_pair(..).0
//   cj_uniform, cj_normal_draw, cj_lognormal_draw, cj_exponential_draw
//                       engine::cpu::vm::random_value (RandomKind::Uniform,
//                       Normal, LogNormal, Exponential)
//   cj_pow              engine::cpu::vm::pow
//   cj_round, cj_sign, cj_mod
//                       lang::ir::Func::apply (Round, Sign, Modulo)
//   cj_b                the VM's comparisons, which yield 1.0 or 0.0

// The type of a network's values: f32 here, f64 in common64.wgsl. The
// generated code declares its values, buffers and conversions with it.
alias real = f32;

// 2^-24: a power of two, so scaling by it is exact.
const CJ_INV_2_24: f32 = 5.9604644775390625e-8;
// The smallest normal f32, 2^-126.
const CJ_MIN_NORMAL: f32 = 0x1p-126f;

// std::f32::consts::TAU written out as its exact f32 value, so that no
// decimal-to-f32 rounding choice of the shader compiler can change it.
const CJ_TAU: f32 = 6.283185482025146484375;

// 24 bits convert to f32 exactly and the scaling is by a power of two, so
// these are bit-identical to the CPU on any conforming GPU.
fn cj_u01(bits: u32) -> f32 {
    return f32(bits >> 8u) * CJ_INV_2_24;
}

fn cj_u01_open(bits: u32) -> f32 {
    return f32((bits >> 8u) + 1u) * CJ_INV_2_24;
}

// Natural log for positive, normal, finite x (every u01_open value), the
// twin of lang::ir::ln_normal: musl's (FreeBSD's) logf, within 1 ulp, each
// operation pinned by cj_keep and the division by cj_div (below), so
// that both engines get the same bits. WGSL's log() is only held to an
// absolute 2^-21 near 1: it may return 0 or even a positive number for u
// just below 1, and -2 ln(u) < 0 would make a NaN normal.
const CJ_LN2_HI: f32 = 0x1.62e3p-1f; // 0x3f317180
const CJ_LN2_LO: f32 = 0x1.2fefa2p-17f; // 0x3717f7d1
const CJ_LG1: f32 = 0x1.555554p-1f;
const CJ_LG2: f32 = 0x1.999c26p-2f;
const CJ_LG3: f32 = 0x1.23d3dcp-2f;
const CJ_LG4: f32 = 0x1.f13c4cp-3f;

fn cj_ln(x: f32) -> f32 {
    // x = 2^k (1 + f) with 1 + f in [sqrt(2)/2, sqrt(2)).
    var ix = bitcast<u32>(x) + (0x3F800000u - 0x3F3504F3u);
    let k = f32(i32(ix >> 23u) - 0x7F);
    ix = (ix & 0x007FFFFFu) + 0x3F3504F3u;
    let f = cj_keep(bitcast<f32>(ix) - 1.0);
    let s = cj_div(f, cj_keep(2.0 + f));
    let z = cj_keep(s * s);
    let w = cj_keep(z * z);
    let t1 = cj_keep(w * cj_keep(CJ_LG2 + cj_keep(w * CJ_LG4)));
    let t2 = cj_keep(z * cj_keep(CJ_LG1 + cj_keep(w * CJ_LG3)));
    let r = cj_keep(t2 + t1);
    let hfsq = cj_keep(cj_keep(0.5 * f) * f);
    var y = cj_keep(s * cj_keep(hfsq + r));
    y = cj_keep(y + cj_keep(k * CJ_LN2_LO));
    y = cj_keep(y - hfsq);
    y = cj_keep(y + f);
    return cj_keep(y + cj_keep(k * CJ_LN2_HI));
}

// ln x for any x (the twin of `lang::ir::ln`): cj_ln for positive normal
// finite x, the adapter's log() for the special values.
fn cj_log(x: f32) -> f32 {
    if (!(x >= 0x1p-126f && x <= 0x1.fffffep127f)) {
        return log(x);
    }
    return cj_ln(x);
}

// sin x and cos x, the twins of `lang::ir::sin` and `cos`: Cephes' sinf and
// cosf (reduction by pi/4 in three exact parts, degree-7 polynomials) for
// |x| <= 8192; beyond, Payne and Hanek's reduction in integers
// (cj_reduce_pio2) and the same polynomials. Vulkan holds a GPU's own to an
// absolute 2^-11 only (the H200's was 0.12 off at 1e5).
fn cj_sin(x: f32) -> f32 {
    return cj_sin_cos(x, false);
}

fn cj_cos(x: f32) -> f32 {
    return cj_sin_cos(x, true);
}

fn cj_sin_cos(xx: f32, want_cos: bool) -> f32 {
    let x = abs(xx);
    if ((bitcast<u32>(x) >> 23u) == 255u) {
        return select(sin(xx), cos(xx), want_cos);
    }
    if (x > 8192.0f) {
        // cos x = sin(x + pi/2): one quadrant on.
        let red = cj_reduce_pio2(x);
        let q = red.x + select(0u, 1u, want_cos);
        let r = bitcast<f32>(red.y);
        var v = cj_sin_poly(r);
        if ((q & 1u) == 1u) {
            v = cj_cos_poly(r);
        }
        return select(v, -v, ((q & 2u) != 0u) != (!want_cos && xx < 0.0f));
    }
    var j = u32(cj_keep(bitcast<f32>(0x3fa2f983u) * x));
    var y = f32(j);
    if ((j & 1u) == 1u) {
        j += 1u;
        y = cj_keep(y + 1.0f);
    }
    j &= 7u;
    var neg = !want_cos && xx < 0.0f;
    if (j > 3u) {
        neg = !neg;
        j -= 4u;
    }
    if (want_cos && j > 1u) {
        neg = !neg;
    }
    var r = cj_keep(x - cj_keep(y * bitcast<f32>(0x3f490000u)));
    r = cj_keep(r - cj_keep(y * bitcast<f32>(0x397da000u)));
    r = cj_keep(r - cj_keep(y * bitcast<f32>(0x33222169u)));
    var v = cj_sin_poly(r);
    if ((j == 1u || j == 2u) != want_cos) {
        v = cj_cos_poly(r);
    }
    return select(v, -v, neg);
}

fn cj_sin_poly(r: f32) -> f32 {
    let z = cj_keep(r * r);
    var p = cj_keep(cj_keep(bitcast<f32>(0xb94ca1f9u) * z) + bitcast<f32>(0x3c08839eu));
    p = cj_keep(cj_keep(p * z) + bitcast<f32>(0xbe2aaaa3u));
    p = cj_keep(p * cj_keep(z * r));
    return cj_keep(p + r);
}

fn cj_cos_poly(r: f32) -> f32 {
    let z = cj_keep(r * r);
    var p = cj_keep(cj_keep(bitcast<f32>(0x37ccf5ceu) * z) + bitcast<f32>(0xbab6061au));
    p = cj_keep(cj_keep(p * z) + bitcast<f32>(0x3d2aaaa5u));
    p = cj_keep(p * cj_keep(z * z));
    p = cj_keep(p - cj_keep(0.5f * z));
    return cj_keep(p + 1.0f);
}

// 32 bits of 2/pi from bit p (0: the first bit of a zero word before the
// point), the table of `lang::ir::TWO_OVER_PI`.
fn cj_two_over_pi(p: u32) -> u32 {
    var t = array<u32, 11>(0u, 0xa2f9836eu, 0x4e441529u, 0xfc2757d1u, 0xf534ddc0u,
        0xdb629599u, 0x3c439041u, 0xfe5163abu, 0xdebbc561u, 0xb7246e3au, 0x424dd2e0u);
    let w = p / 32u;
    let s = p % 32u;
    if (s == 0u) {
        return t[w];
    }
    return (t[w] << s) | (t[w + 1u] >> (32u - s));
}

// For a finite x > 8192: (q, bits of r) with x = (4k + q) pi/2 + r and r in
// [-pi/4, pi/4], the twin of `lang::ir::reduce_pio2`.
fn cj_reduce_pio2(x: f32) -> vec2<u32> {
    let u = bitcast<u32>(x);
    let e = i32((u >> 23u) & 0xffu) - 150;
    let m = (u & 0x7fffffu) | 0x800000u;
    let p = u32(e + 30);
    let w0 = cj_two_over_pi(p);
    let w1 = cj_two_over_pi(p + 32u);
    let w2 = cj_two_over_pi(p + 64u);
    let l0 = m * w0;
    let h1 = cj_mulhi(m, w1);
    let l1 = m * w1;
    let h2 = cj_mulhi(m, w2);
    let l2 = m * w2;
    let s1 = l1 + h2;
    let c1 = select(0u, 1u, s1 < l1);
    let s2 = l0 + h1 + c1;
    var q = s2 >> 30u;
    var hi = (s2 << 2u) | (s1 >> 30u);
    var lo = (s1 << 2u) | (l2 >> 30u);
    let neg = hi >= 0x80000000u;
    if (neg) {
        q = (q + 1u) & 3u;
        lo = ~lo + 1u;
        hi = ~hi + select(0u, 1u, lo == 0u);
    }
    if (hi == 0u && lo == 0u) {
        return vec2<u32>(q, 0u);
    }
    var lz: u32;
    var n: u32;
    if (hi != 0u) {
        lz = countLeadingZeros(hi);
        n = hi;
        if (lz > 0u) {
            n = (hi << lz) | (lo >> (32u - lz));
        }
    } else {
        lz = 32u + countLeadingZeros(lo);
        n = lo << (lz - 32u);
    }
    let a = cj_keep(f32(n >> 8u) * bitcast<f32>((127u - 24u - lz) << 23u));
    let b = cj_keep(f32(n & 0xffu) * bitcast<f32>((127u - 32u - lz) << 23u));
    let t1 = cj_keep(a * bitcast<f32>(0x3fc90fdbu));
    let t2 = cj_keep(a * bitcast<f32>(0xb33bbd2eu));
    let t3 = cj_keep(b * bitcast<f32>(0x3fc90fdbu));
    let r = cj_keep(t1 + cj_keep(t2 + t3));
    return vec2<u32>(q, bitcast<u32>(select(r, -r, neg)));
}

// First value of the Box-Muller pair, in the Rust twin's operation order,
// with the twins of ln and cos. The square root is the adapter's: exact
// (IEEE) on lavapipe, where the two engines' normal draws are the same
// bits; Vulkan allows a few ulps.
fn cj_normal(b0: u32, b1: u32) -> f32 {
    let r = sqrt(cj_keep(-2.0 * cj_ln(cj_u01_open(b0))));
    let theta = cj_keep(CJ_TAU * cj_u01(b1));
    return cj_keep(r * cj_cos(theta));
}

// a + (b - a) * u01(bits) with u01(bits) = m * 2^-24, each operation kept:
// scaling by 2^-24 last makes the product that feeds the add exact, so that
// round((b - a) * m) * 2^-24 == round((b - a) * u) for 2^-102 < |b - a| <
// 2^104, but NVIDIA's compiler, given constant bounds, folds (b - a) * 2^-24
// into one constant and fuses m * c + a into an fma, which rounds once
// where the CPU rounds twice.
fn cj_uniform(key: vec2<u32>, object: u32, step: u32, index: u32, a: f32, b: f32) -> f32 {
    let m = f32(cj_word(key, object, step, index) >> 8u);
    let x = cj_keep(a + cj_keep(cj_keep(cj_keep(b - a) * m) * CJ_INV_2_24));
    // The interval is half-open, as vm::random_from_words keeps it.
    if (x >= b && b > a) {
        return cj_below(b);
    }
    return x;
}

// The largest f32 below b (for b = 0 the largest normal one, which no
// driver flushes to zero), as vm::below.
fn cj_below(b: f32) -> f32 {
    if (b > 0.0) {
        return bitcast<f32>(bitcast<u32>(b) - 1u);
    }
    if (b == 0.0) {
        return -CJ_MIN_NORMAL;
    }
    return bitcast<f32>(bitcast<u32>(b) + 1u);
}

fn cj_normal_draw(key: vec2<u32>, object: u32, step: u32, index: u32, mu: f32, sigma: f32) -> f32 {
    let bits = cj_draw(key, object, step, index);
    return cj_keep(mu + cj_keep(sigma * cj_normal(bits.x, bits.y)));
}

fn cj_lognormal_draw(key: vec2<u32>, object: u32, step: u32, index: u32, mu: f32, sigma: f32) -> f32 {
    let bits = cj_draw(key, object, step, index);
    return cj_exp(cj_keep(mu + cj_keep(sigma * cj_normal(bits.x, bits.y))));
}

fn cj_exponential_draw(key: vec2<u32>, object: u32, step: u32, index: u32, lambda: f32) -> f32 {
    return cj_div(-cj_ln(cj_u01_open(cj_word(key, object, step, index))), lambda);
}

// Round half away from zero, like Rust's f32::round (WGSL's round() goes to
// even). trunc(x + 0.5) would be wrong where x + 0.5 rounds up, e.g.
// 0.49999997; x - trunc(x) is exact, so this compare is exact. Keeps the sign
// of zero (round(-0.3) is -0.0) because trunc does.
fn cj_round(x: f32) -> f32 {
    let t = trunc(x);
    if (abs(x - t) >= 0.5) {
        return t + select(-1.0, 1.0, x > 0.0);
    }
    return t;
}

// The CPU's pow takes whole exponents 1 to 16 as products, so that models'
// powers are the same bits on both engines; any other exponent goes to powf. WGSL's pow() is
// undefined for a negative or zero base (typically exp2(y * log2(x)), hence
// NaN), whereas powf follows IEEE pown rules there, so those are rebuilt from
// pow(|x|, y) and the parity of y.
fn cj_pow(x: f32, y: f32) -> f32 {
    // Whole exponents 1 to 16: binary exponentiation, as lang::ir::pow.
    if (y >= 1.0 && y <= 16.0 && trunc(y) == y) {
        var k = u32(y);
        var base = x;
        var acc = 1.0f;
        loop {
            if ((k & 1u) == 1u) {
                acc = cj_keep(acc * base);
            }
            k = k >> 1u;
            if (k == 0u) {
                return acc;
            }
            base = cj_keep(base * base);
        }
    }
    // powf(x, 0) is 1 for every x, NaN included.
    if (y == 0.0) {
        return 1.0;
    }
    let ax = abs(x);
    var r: f32;
    if (ax == 0.0) {
        // 1 / ax is +inf at run time; naga rejects a constant 1.0 / 0.0.
        r = select(0.0, 1.0 / ax, y < 0.0);
    } else {
        r = pow(ax, y);
    }
    if ((bitcast<u32>(x) & 0x80000000u) != 0u) {
        if (trunc(y) != y && ax != 0.0 && ax <= 0x1.fffffep127f) {
            // Finite negative base, fractional exponent (or NaN): NaN, as on
            // the CPU. Built from x's bits (the sign bit, set here) because
            // the WGSL spec makes a constant NaN a shader-creation error
            // (naga 30 lets bitcast<f32>(0x7FC00000u) through, Tint would
            // not). -inf falls through: IEEE gives pow(inf, y) there.
            return bitcast<f32>(bitcast<u32>(x) | 0x7FC00000u);
        }
        // |y| >= 2^24 are all even integers in f32.
        let odd = abs(y) < 16777216.0 && (i32(y) & 1) != 0;
        if (odd) {
            return -r;
        }
    }
    return r;
}

// 0 for NaN too, like the CPU (NaN compares false both ways), and +0.0 for
// both zeros. Computed in integers: Mesa (lavapipe 22.3) rewrites
// select(0.0, -1.0, c) as -f32(c), which is -0.0 when c is false, so every
// float-constant form of this (if/else, select, even selecting the bit
// patterns as u32) returned -0.0 for +0.0 there.
fn cj_sign(x: f32) -> f32 {
    return f32(i32(x > 0.0) - i32(x < 0.0));
}

// Rust's f32 `%` is C's fmodf: the truncated remainder, with the sign of a,
// and always exact (the true remainder is representable). WGSL's `%` on f32
// is truncated too (naga emits SPIR-V OpFRem), but drivers compute it as
// a - b * trunc(a / b), which is off whenever a / b rounds (about 1 in 1000
// random pairs on lavapipe) and garbage once a / b > 2^24. So this is
// musl's integer fmodf: long division on the mantissas, one step per binade
// between a and b (a handful for model-sized operands), bit-identical to the
// CPU for all inputs, NaN where the CPU gives NaN.
fn cj_mod(a: f32, b: f32) -> f32 {
    let ux = bitcast<u32>(a);
    let uy = bitcast<u32>(b);
    let sx = ux & 0x80000000u;
    let ax = ux << 1u; // |a| and |b| shifted: compare as integers
    let ay = uy << 1u;
    var ex = i32(ax >> 24u);
    var ey = i32(ay >> 24u);
    if (ay == 0u || ay > 0xFF000000u || ex == 0xFF) {
        // b zero or NaN, a infinite or NaN: NaN, built from a run-time
        // value so that no constant NaN appears (see cj_pow).
        return bitcast<f32>(sx | 0x7FC00000u);
    }
    if (ax <= ay) {
        if (ax == ay) {
            return bitcast<f32>(sx);
        }
        return a;
    }
    // Mantissas with the implicit bit at bit 23 (subnormals normalised).
    var mx: u32;
    if (ex == 0) {
        let lz = i32(countLeadingZeros(ux << 9u));
        ex = -lz;
        mx = ux << u32(lz + 1);
    } else {
        mx = (ux & 0x007FFFFFu) | 0x00800000u;
    }
    var my: u32;
    if (ey == 0) {
        let lz = i32(countLeadingZeros(uy << 9u));
        ey = -lz;
        my = uy << u32(lz + 1);
    } else {
        my = (uy & 0x007FFFFFu) | 0x00800000u;
    }
    for (; ex > ey; ex--) {
        let d = mx - my;
        if ((d >> 31u) == 0u) {
            if (d == 0u) {
                return bitcast<f32>(sx);
            }
            mx = d;
        }
        mx <<= 1u;
    }
    let d = mx - my;
    if ((d >> 31u) == 0u) {
        if (d == 0u) {
            return bitcast<f32>(sx);
        }
        mx = d;
    }
    let shift = i32(countLeadingZeros(mx)) - 8;
    mx <<= u32(shift);
    ex -= shift;
    if (ex > 0) {
        mx = (mx - 0x00800000u) | (u32(ex) << 23u);
    } else {
        mx >>= u32(1 - ex);
    }
    return bitcast<f32>(mx | sx);
}

// Comparisons produce f32 in the IR.
fn cj_b(c: bool) -> f32 {
    return select(0.0, 1.0, c);
}

// An identity the compiler cannot see through (pad0 is 0 at run time but
// not known to be): it neither reassociates a sum across it nor fuses a
// product into a multiply-add, so each operation rounds as the CPU
// engine's does. The code generator wraps every +, -, * and / in it.
fn cj_keep(x: f32) -> f32 {
    return bitcast<f32>(bitcast<u32>(x) | clk.pad0);
}

// a / b rounded as IEEE 754 rounds it, as the CPU's division does. Vulkan
// holds a GPU's division only to 2.5 ulps (NVIDIA's is an approximate
// reciprocal and a product: a few percent of quotients differ in the last
// bit), so the quotient of the mantissas is estimated, corrected once from
// its exact residual and checked against the half-ulp bound (cj_quot), then
// scaled by the exponents' difference, which is exact. Zeros, subnormals,
// infinities, NaN and quotients outside the normal range go to the
// driver's division unchanged.
fn cj_div(a: f32, b: f32) -> f32 {
    let ua = bitcast<u32>(a);
    let ub = bitcast<u32>(b);
    let ea = i32((ua >> 23u) & 0xffu);
    let eb = i32((ub >> 23u) & 0xffu);
    let d = ea - eb;
    if (ea == 0 || ea == 255 || eb == 0 || eb == 255 || d < -126 || d > 128) {
        return cj_keep(a / b);
    }
    let ma = bitcast<f32>((ua & 0x807fffffu) | 0x3f800000u);
    let mb = bitcast<f32>((ub & 0x807fffffu) | 0x3f800000u);
    let q = cj_quot(ma, mb, cj_keep(ma / mb));
    // 2^d in two normal halves (d = 128, a quotient just under the
    // largest float or over it, and d = -126 have no single one); each
    // product is exact unless the last one overflows, where IEEE's
    // quotient does too, or goes subnormal (flushed, or rounded twice).
    let d1 = d / 2;
    let s1 = bitcast<f32>(u32(d1 + 127) << 23u);
    let s2 = bitcast<f32>(u32(d - d1 + 127) << 23u);
    return cj_keep(cj_keep(q * s1) * s2);
}

// The float nearest a / b for a, b in ±[1, 2), from an estimate q0 a few
// ulps off: one correction by the residual, which leaves q within an ulp
// (so that its residual is exact), then one step to the neighbour if the
// exact quotient q + r / b lies more than half a gap away. A quotient of
// two floats is never exactly half-way, so there are no ties.
fn cj_quot(a: f32, b: f32, q0: f32) -> f32 {
    var q = cj_keep(q0 + cj_keep(cj_residual(a, q0, b) / b));
    let r = cj_residual(a, q, b);
    let bits = bitcast<u32>(q);
    // Whether the exact quotient is nearer zero than q.
    let inward = ((r > 0.0f) == (b > 0.0f)) != (q > 0.0f);
    // The gap to the neighbour on that side: an ulp of q, half one below a
    // power of two. q is in (0.5, 2), so the gap is a normal float.
    let ulp = bitcast<f32>((bits & 0x7f800000u) - 0x0b800000u);
    let gap = select(ulp, cj_keep(0.5f * ulp), inward && (bits & 0x007fffffu) == 0u);
    if (cj_keep(2.0f * abs(r)) > cj_keep(abs(b) * gap)) {
        q = bitcast<f32>(select(bits + 1u, bits - 1u, inward));
    }
    return q;
}

// a - q * b, exactly whenever it is a float (q within an ulp of a / b), for
// a, b in ±[1, 2): q * b = p + e exactly (Dekker's product of Veltkamp's
// halves), and a - p is exact (p is within a factor 2 of a).
fn cj_residual(a: f32, q: f32, b: f32) -> f32 {
    let p = cj_keep(q * b);
    let qs = cj_split(q);
    let bs = cj_split(b);
    var e = cj_keep(cj_keep(qs.x * bs.x) - p);
    e = cj_keep(e + cj_keep(qs.x * bs.y));
    e = cj_keep(e + cj_keep(qs.y * bs.x));
    e = cj_keep(e + cj_keep(qs.y * bs.y));
    return cj_keep(cj_keep(a - p) - e);
}

// x as hi + lo, each with at most 12 significant bits (Veltkamp's split).
fn cj_split(x: f32) -> vec2<f32> {
    let c = cj_keep(4097.0f * x);
    let hi = cj_keep(c - cj_keep(c - x));
    return vec2<f32>(hi, cj_keep(x - hi));
}

// y * 2^64 exactly, also for a subnormal y where the adapter flushes
// subnormal operands to zero (NVIDIA does): built from its bits. The
// scale of a tiny uniform divisor (`vm::TINY_DIVISOR_SCALE`).
fn cj_times_2_64(y: f32) -> f32 {
    let u = bitcast<u32>(y);
    if ((u & 0x7f800000u) == 0u) {
        let m = cj_keep(f32(u & 0x007fffffu) * 0x1p-85f);
        return select(m, -m, (u & 0x80000000u) != 0u);
    }
    return cj_keep(y * 18446744073709551616.0f);
}

// e^x, the twin of `cajal::lang::ir::exp` (Cody-Waite reduction, Cephes'
// polynomial), operation for operation, so both engines get the same bits.
fn cj_exp(x: f32) -> f32 {
    if (x != x) {
        return x;
    }
    if (x > 88.72284f) {
        return bitcast<f32>(0x7f800000u);
    }
    if (x < -103.97208f) {
        return 0.0f;
    }
    let k = floor(cj_keep(cj_keep(1.442695f * x) + 0.5f));
    var r = cj_keep(x - cj_keep(k * 0.6933594f));
    r = cj_keep(r - cj_keep(k * -2.1219444e-4f));
    let z = cj_keep(r * r);
    var p = cj_keep(cj_keep(1.9875691e-4f * r) + 1.3981999e-3f);
    p = cj_keep(cj_keep(p * r) + 8.333452e-3f);
    p = cj_keep(cj_keep(p * r) + 4.1665796e-2f);
    p = cj_keep(cj_keep(p * r) + 1.6666665e-1f);
    p = cj_keep(cj_keep(p * r) + 0.5f);
    let y = cj_keep(cj_keep(cj_keep(p * z) + r) + 1.0f);
    let ki = i32(k);
    let k1 = ki / 2;
    let k2 = ki - k1;
    let s1 = bitcast<f32>(u32(k1 + 127) << 23u);
    let s2 = bitcast<f32>(u32(k2 + 127) << 23u);
    return cj_keep(cj_keep(y * s1) * s2);
}

// tanh x, the twin of `cajal::lang::ir::tanh` (Cephes' tanhf over cj_exp
// and cj_div), operation for operation.
fn cj_tanh(x: f32) -> f32 {
    let a = abs(x);
    if (a > 44.36142f) {
        return select(-1.0f, 1.0f, x > 0.0f);
    }
    if (a >= 0.625f) {
        let z = cj_keep(1.0f - cj_div(2.0f, cj_keep(cj_exp(cj_keep(a + a)) + 1.0f)));
        return select(z, -z, x < 0.0f);
    }
    if (x == 0.0f) {
        return x;
    }
    let z = cj_keep(x * x);
    var p = cj_keep(cj_keep(-5.7049887e-3f * z) + 2.063909e-2f);
    p = cj_keep(cj_keep(p * z) + -5.3739715e-2f);
    p = cj_keep(cj_keep(p * z) + 1.3331442e-1f);
    p = cj_keep(cj_keep(p * z) + -3.333328e-1f);
    return cj_keep(cj_keep(cj_keep(p * z) * x) + x);
}

// NaN (an unset temporary) and +inf (a reduction's start), built at run
// time: the WGSL spec makes a constant NaN or infinity a shader-creation
// error (naga lets these bitcasts through, Tint would fold them).
fn cj_nan() -> f32 {
    return bitcast<f32>(0x7fc00000u | clk.pad0);
}

fn cj_inf() -> f32 {
    return bitcast<f32>(0x7f800000u | clk.pad0);
}

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

/// `e^x` as both engines compute it (WGSL twin: `cj64_exp`): fdlibm's
/// `exp`, a reduction by ln 2 in two parts and a rational approximation,
/// within 1 ulp. Overflows to infinity above 709.782712893383973096 and
/// underflows to 0 below -745.13321910194110842, as C's does.
pub fn exp(x: f64) -> f64 {
    const P1: f64 = 1.666_666_666_666_660_190_37e-1;
    const P2: f64 = -2.777_777_777_701_559_338_42e-3;
    const P3: f64 = 6.613_756_321_437_934_361_17e-5;
    const P4: f64 = -1.653_390_220_546_525_153_90e-6;
    const P5: f64 = 4.138_136_797_057_238_460_39e-8;
    let hx = high(x) & 0x7fff_ffff;
    let neg = x.to_bits() >> 63 != 0;
    if hx >= 0x4086_232b {
        // |x| >= 708.39: NaN, overflow, or near underflow.
        if x.is_nan() {
            return x;
        }
        if x > 709.782_712_893_383_973_096 {
            return f64::INFINITY;
        }
        if x < -745.133_219_101_941_108_42 {
            return 0.0;
        }
    }
    let (hi, lo, k);
    if hx > 0x3fd6_2e42 {
        // |x| > ln2 / 2: x = k ln2 + hi - lo, k ln2_hi exact.
        k = if hx >= 0x3ff0_a2b2 {
            (INV_LN2 * x + if neg { -0.5 } else { 0.5 }) as i32
        } else if neg {
            -1
        } else {
            1
        };
        let kf = k as f64;
        hi = x - kf * LN2_HI;
        lo = kf * LN2_LO;
    } else if hx > 0x3e30_0000 {
        // 2^-28 < |x| <= ln2 / 2.
        k = 0;
        hi = x;
        lo = 0.0;
    } else {
        return 1.0 + x;
    }
    let r = hi - lo;
    let rr = r * r;
    let c = r - rr * (P1 + rr * (P2 + rr * (P3 + rr * (P4 + rr * P5))));
    let y = 1.0 + (r * c / (2.0 - c) - lo + hi);
    if k == 0 {
        y
    } else {
        scale(y, k)
    }
}

/// `ln x` as both engines compute it (WGSL twin: `cj64_ln`): fdlibm's
/// `log`, `x = 2^k (1 + f)` with `1 + f` in [sqrt(2)/2, sqrt(2)) and
/// `s = f / (2 + f)`, within 1 ulp. Subnormals are scaled by 2^54 first;
/// ln(±0) = -inf, ln(x < 0) = NaN, ln(inf) = inf, ln(NaN) = NaN.
pub fn ln(x: f64) -> f64 {
    const LG1: f64 = 6.666_666_666_666_735_130e-1;
    const LG2: f64 = 3.999_999_999_940_941_908e-1;
    const LG3: f64 = 2.857_142_874_366_239_149e-1;
    const LG4: f64 = 2.222_219_843_214_978_396e-1;
    const LG5: f64 = 1.818_357_216_161_805_012e-1;
    const LG6: f64 = 1.531_383_769_920_937_332e-1;
    const LG7: f64 = 1.479_819_860_511_658_591e-1;
    let mut x = x;
    let mut ui = x.to_bits();
    let mut hx = (ui >> 32) as u32;
    let mut k = 0i32;
    if hx < 0x0010_0000 || hx >> 31 != 0 {
        if ui << 1 == 0 {
            return f64::NEG_INFINITY;
        }
        if hx >> 31 != 0 {
            return f64::NAN;
        }
        // Subnormal: scaled by 2^54, exactly.
        k -= 54;
        x *= pow2(54);
        ui = x.to_bits();
        hx = (ui >> 32) as u32;
    } else if hx >= 0x7ff0_0000 {
        return x;
    } else if hx == 0x3ff0_0000 && ui << 32 == 0 {
        return 0.0;
    }
    // 1 + f in [sqrt(2)/2, sqrt(2)).
    hx += 0x3ff0_0000 - 0x3fe6_a09e;
    k += (hx >> 20) as i32 - 0x3ff;
    hx = (hx & 0x000f_ffff) + 0x3fe6_a09e;
    let x = f64::from_bits((u64::from(hx) << 32) | (ui & 0xffff_ffff));
    let f = x - 1.0;
    let hfsq = 0.5 * f * f;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG2 + w * (LG4 + w * LG6));
    let t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    let r = t2 + t1;
    let dk = k as f64;
    s * (hfsq + r) + dk * LN2_LO - hfsq + f + dk * LN2_HI
}

/// `e^x - 1` (fdlibm's `expm1`, within 1 ulp), for [`tanh`], [`sinh`] and
/// [`cosh`] (WGSL twin: `cj64_expm1`).
pub fn expm1(x: f64) -> f64 {
    const Q1: f64 = -3.333_333_333_333_313_164_28e-2;
    const Q2: f64 = 1.587_301_587_254_814_601_65e-3;
    const Q3: f64 = -7.936_507_578_674_879_424_73e-5;
    const Q4: f64 = 4.008_217_827_329_362_395_52e-6;
    const Q5: f64 = -2.010_992_181_836_243_713_26e-7;
    let hx = high(x) & 0x7fff_ffff;
    let neg = x.to_bits() >> 63 != 0;
    if hx >= 0x4043_687a {
        // |x| >= 56 ln2.
        if x.is_nan() {
            return x;
        }
        if neg {
            return -1.0;
        }
        if x > 7.097_827_128_933_839_730_96e2 {
            return f64::INFINITY;
        }
    }
    let (xr, c, k);
    if hx > 0x3fd6_2e42 {
        // |x| > ln2 / 2.
        let (hi, lo);
        if hx < 0x3ff0_a2b2 {
            if neg {
                hi = x + LN2_HI;
                lo = -LN2_LO;
                k = -1;
            } else {
                hi = x - LN2_HI;
                lo = LN2_LO;
                k = 1;
            }
        } else {
            k = (INV_LN2 * x + if neg { -0.5 } else { 0.5 }) as i32;
            let t = k as f64;
            hi = x - t * LN2_HI;
            lo = t * LN2_LO;
        }
        let r = hi - lo;
        c = (hi - r) - lo;
        xr = r;
    } else if hx < 0x3c90_0000 {
        // |x| < 2^-54.
        return x;
    } else {
        c = 0.0;
        k = 0;
        xr = x;
    }
    let x = xr;
    let hfx = 0.5 * x;
    let hxs = x * hfx;
    let r1 = 1.0 + hxs * (Q1 + hxs * (Q2 + hxs * (Q3 + hxs * (Q4 + hxs * Q5))));
    let t = 3.0 - r1 * hfx;
    let e = hxs * ((r1 - t) / (6.0 - x * t));
    if k == 0 {
        return x - (x * e - hxs);
    }
    let e = x * (e - c) - c;
    let e = e - hxs;
    if k == -1 {
        return 0.5 * (x - e) - 0.5;
    }
    if k == 1 {
        if x < -0.25 {
            return -2.0 * (e - (x + 0.5));
        }
        return 1.0 + 2.0 * (x - e);
    }
    if !(0..=56).contains(&k) {
        let y = x - e + 1.0;
        // k = 1024: 2^k in two halves.
        return scale(y, k) - 1.0;
    }
    let twopk = pow2(k);
    let uf = pow2(-k);
    if k < 20 {
        (x - e + (1.0 - uf)) * twopk
    } else {
        (x - (e + uf) + 1.0) * twopk
    }
}

/// `x^y` as both engines compute it (WGSL twin: `cj64_pow`): whole
/// exponents from 1 to 16 are products by binary exponentiation, as in the
/// f32 `lang::ir::pow` (exact for small integers, the same bits on both
/// engines); others fdlibm's `pow`, log2 x in extra precision times y
/// split in two, then 2^z, within 1 ulp. Negative bases with integer
/// exponents, zeros, infinities and NaN as C's `pow`.
pub fn pow(x: f64, y: f64) -> f64 {
    if (1.0..=16.0).contains(&y) && y.floor() == y {
        return super::ir::whole_power(x, y as u32, 1.0);
    }
    pow_fdlibm(x, y)
}

/// fdlibm's `pow`, operation for operation as `cj64_pow_fdlibm`.
fn pow_fdlibm(x: f64, y: f64) -> f64 {
    const DP_H1: f64 = 5.849_624_872_207_641_601_56e-1;
    const DP_L1: f64 = 1.350_039_202_129_748_971_28e-8;
    const L1: f64 = 5.999_999_999_999_946_487_25e-1;
    const L2: f64 = 4.285_714_285_785_501_842_52e-1;
    const L3: f64 = 3.333_333_298_183_774_329_18e-1;
    const L4: f64 = 2.727_281_238_085_340_064_89e-1;
    const L5: f64 = 2.306_607_457_755_617_540_67e-1;
    const L6: f64 = 2.069_750_178_003_384_177_84e-1;
    const P1: f64 = 1.666_666_666_666_660_190_37e-1;
    const P2: f64 = -2.777_777_777_701_559_338_42e-3;
    const P3: f64 = 6.613_756_321_437_934_361_17e-5;
    const P4: f64 = -1.653_390_220_546_525_153_90e-6;
    const P5: f64 = 4.138_136_797_057_238_460_39e-8;
    const LG2: f64 = 6.931_471_805_599_452_862_27e-1;
    const LG2_H: f64 = 6.931_471_824_645_996_093_75e-1;
    const LG2_L: f64 = -1.904_654_299_957_768_045_25e-9;
    const OVT: f64 = 8.008_566_259_537_294_437_2e-17;
    const CP: f64 = 9.617_966_939_259_755_543_29e-1;
    const CP_H: f64 = 9.617_967_009_544_372_558_59e-1;
    const CP_L: f64 = -7.028_461_650_952_758_265_16e-9;
    const IVLN2: f64 = 1.442_695_040_888_963_387_00e0;
    const IVLN2_H: f64 = 1.442_695_021_629_333_496_09e0;
    const IVLN2_L: f64 = 1.925_962_991_126_617_468_87e-8;

    let (hx, lx) = ((x.to_bits() >> 32) as i32, x.to_bits() as u32);
    let (hy, ly) = ((y.to_bits() >> 32) as i32, y.to_bits() as u32);
    let mut ix = hx & 0x7fff_ffff;
    let iy = hy & 0x7fff_ffff;
    // x^0 = 1, 1^y = 1, even for a NaN.
    if (iy as u32 | ly) == 0 || (hx == 0x3ff0_0000 && lx == 0) {
        return 1.0;
    }
    if ix > 0x7ff0_0000
        || (ix == 0x7ff0_0000 && lx != 0)
        || iy > 0x7ff0_0000
        || (iy == 0x7ff0_0000 && ly != 0)
    {
        return f64::NAN;
    }
    // For x < 0: whether y is an odd (1) or even (2) integer, or none (0).
    let mut yisint = 0i32;
    if hx < 0 {
        if iy >= 0x4340_0000 {
            yisint = 2;
        } else if iy >= 0x3ff0_0000 {
            let k = (iy >> 20) - 0x3ff;
            if k > 20 {
                let j = (ly >> (52 - k)) as i32;
                if (j << (52 - k)) as u32 == ly {
                    yisint = 2 - (j & 1);
                }
            } else if ly == 0 {
                let j = iy >> (20 - k);
                if (j << (20 - k)) == iy {
                    yisint = 2 - (j & 1);
                }
            }
        }
    }
    if ly == 0 {
        if iy == 0x7ff0_0000 {
            // y = ±inf.
            return if ((ix - 0x3ff0_0000) | lx as i32) == 0 {
                1.0
            } else if ix >= 0x3ff0_0000 {
                if hy >= 0 {
                    y
                } else {
                    0.0
                }
            } else if hy >= 0 {
                0.0
            } else {
                -y
            };
        }
        if iy == 0x3ff0_0000 {
            // y = ±1 (y = 1 took the products).
            return if hy >= 0 { x } else { 1.0 / x };
        }
        if hy == 0x3fe0_0000 && hx >= 0 {
            // y = 0.5, x >= +0.
            return x.sqrt();
        }
    }
    let mut ax = x.abs();
    if lx == 0 && (ix == 0x7ff0_0000 || ix == 0 || ix == 0x3ff0_0000) {
        // x = ±0, ±inf, ±1.
        let mut z = ax;
        if hy < 0 {
            z = 1.0 / z;
        }
        if hx < 0 {
            if ((ix - 0x3ff0_0000) | yisint) == 0 {
                // (-1)^non-integer.
                return f64::NAN;
            } else if yisint == 1 {
                z = -z;
            }
        }
        return z;
    }
    let mut s = 1.0;
    if hx < 0 {
        if yisint == 0 {
            return f64::NAN;
        }
        if yisint == 1 {
            s = -1.0;
        }
    }
    let (t1, t2);
    if iy > 0x41e0_0000 {
        // |y| > 2^31.
        if iy > 0x43f0_0000 {
            // |y| > 2^64: over- or underflows.
            if ix <= 0x3fef_ffff {
                return if hy < 0 { f64::INFINITY } else { 0.0 };
            }
            if ix >= 0x3ff0_0000 {
                return if hy > 0 { f64::INFINITY } else { 0.0 };
            }
        }
        if ix < 0x3fef_ffff {
            return if hy < 0 { s * f64::INFINITY } else { s * 0.0 };
        }
        if ix > 0x3ff0_0000 {
            return if hy > 0 { s * f64::INFINITY } else { s * 0.0 };
        }
        // |1 - x| <= 2^-20: log2 x by its series.
        let t = ax - 1.0;
        let w = (t * t) * (0.5 - t * (0.333_333_333_333_333_333_333_3 - t * 0.25));
        let u = IVLN2_H * t;
        let v = t * IVLN2_L - w * IVLN2;
        t1 = zero_low(u + v);
        t2 = v - (t1 - u);
    } else {
        let mut n = 0i32;
        if ix < 0x0010_0000 {
            // Subnormal x, scaled by 2^53.
            ax *= pow2(53);
            n -= 53;
            ix = high(ax) as i32;
        }
        n += (ix >> 20) - 0x3ff;
        let j = ix & 0x000f_ffff;
        // ax in [1, sqrt(3/2)) (k = 0) or [sqrt(3/2), sqrt(3)) (k = 1).
        let k: i32;
        ix = j | 0x3ff0_0000;
        if j <= 0x3988e {
            k = 0;
        } else if j < 0xbb67a {
            k = 1;
        } else {
            k = 0;
            n += 1;
            ix -= 0x0010_0000;
        }
        ax = with_high(ax, ix as u32);
        let (bp, dp_h, dp_l) = if k == 1 {
            (1.5, DP_H1, DP_L1)
        } else {
            (1.0, 0.0, 0.0)
        };
        // ss = s_h + s_l = (x - bp) / (x + bp).
        let u = ax - bp;
        let v = 1.0 / (ax + bp);
        let ss = u * v;
        let s_h = zero_low(ss);
        let t_h = with_high(
            0.0,
            (((ix as u32) >> 1) | 0x2000_0000) + 0x0008_0000 + ((k as u32) << 18),
        );
        let t_l = ax - (t_h - bp);
        let s_l = v * ((u - s_h * t_h) - s_h * t_l);
        // log(ax).
        let s2 = ss * ss;
        let mut r = s2 * s2 * (L1 + s2 * (L2 + s2 * (L3 + s2 * (L4 + s2 * (L5 + s2 * L6)))));
        r += s_l * (s_h + ss);
        let s2 = s_h * s_h;
        let t_h = zero_low(3.0 + s2 + r);
        let t_l = r - ((t_h - 3.0) - s2);
        let u = s_h * t_h;
        let v = s_l * t_h + t_l * ss;
        // 2 / (3 ln2) (ss + ...).
        let p_h = zero_low(u + v);
        let p_l = v - (p_h - u);
        let z_h = CP_H * p_h;
        let z_l = CP_L * p_h + p_l * CP + dp_l;
        // log2(ax) = n + dp_h + z_h + z_l.
        let t = n as f64;
        t1 = zero_low(((z_h + z_l) + dp_h) + t);
        t2 = z_l - (((t1 - t) - dp_h) - z_h);
    }
    // (y1 + y2) (t1 + t2).
    let y1 = zero_low(y);
    let p_l = (y - y1) * t1 + y * t2;
    let mut p_h = y1 * t1;
    let z = p_l + p_h;
    let j = (z.to_bits() >> 32) as i32;
    let i = z.to_bits() as u32;
    if j >= 0x4090_0000 {
        // z >= 1024.
        if ((j - 0x4090_0000) as u32 | i) != 0 || p_l + OVT > z - p_h {
            return s * f64::INFINITY;
        }
    } else if (j & 0x7fff_ffff) >= 0x4090_cc00 {
        // z <= -1075.
        if (((j as u32).wrapping_sub(0xc090_cc00)) | i) != 0 || p_l <= z - p_h {
            return s * 0.0;
        }
    }
    // 2^(p_h + p_l).
    let i = j & 0x7fff_ffff;
    let mut k = (i >> 20) - 0x3ff;
    let mut n = 0i32;
    if i > 0x3fe0_0000 {
        // |z| > 0.5: n = [z + 0.5].
        n = j + (0x0010_0000 >> (k + 1));
        k = ((n & 0x7fff_ffff) >> 20) - 0x3ff;
        let t = with_high(0.0, (n & !(0x000f_ffff >> k)) as u32);
        n = ((n & 0x000f_ffff) | 0x0010_0000) >> (20 - k);
        if j < 0 {
            n = -n;
        }
        p_h -= t;
    }
    let t = zero_low(p_l + p_h);
    let u = t * LG2_H;
    let v = (p_l - (t - p_h)) * LG2 + t * LG2_L;
    let z = u + v;
    let w = v - (z - u);
    let t = z * z;
    let t1 = z - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
    let r = (z * t1) / (t1 - 2.0) - (w + z * w);
    let z = 1.0 - (r - z);
    let j = (high(z) as i32) + (n << 20);
    let z = if (j >> 20) <= 0 {
        // Subnormal result.
        scale(z, n)
    } else {
        with_high(z, j as u32)
    };
    s * z
}

/// fdlibm's sine polynomial on [-pi/4, pi/4], for `x + y` (`y` the tail
/// of a reduced argument; `iy == 0`: no tail).
fn k_sin(x: f64, y: f64, iy: i32) -> f64 {
    const S1: f64 = -1.666_666_666_666_663_243_48e-1;
    const S2: f64 = 8.333_333_333_322_489_461_24e-3;
    const S3: f64 = -1.984_126_982_985_794_931_34e-4;
    const S4: f64 = 2.755_731_370_707_006_767_89e-6;
    const S5: f64 = -2.505_076_025_340_686_341_95e-8;
    const S6: f64 = 1.589_690_995_211_550_102_21e-10;
    let z = x * x;
    let w = z * z;
    let r = S2 + z * (S3 + z * S4) + z * w * (S5 + z * S6);
    let v = z * x;
    if iy == 0 {
        x + v * (S1 + z * r)
    } else {
        x - ((z * (0.5 * y - v * r) - y) - v * S1)
    }
}

/// fdlibm's cosine polynomial on [-pi/4, pi/4], for `x + y`.
fn k_cos(x: f64, y: f64) -> f64 {
    const C1: f64 = 4.166_666_666_666_660_190_37e-2;
    const C2: f64 = -1.388_888_888_887_410_957_49e-3;
    const C3: f64 = 2.480_158_728_947_672_941_78e-5;
    const C4: f64 = -2.755_731_435_139_066_330_35e-7;
    const C5: f64 = 2.087_572_321_298_174_827_90e-9;
    const C6: f64 = -1.135_964_755_778_819_482_65e-11;
    let z = x * x;
    let w = z * z;
    let r = z * (C1 + z * (C2 + z * C3)) + w * w * (C4 + z * (C5 + z * C6));
    let hz = 0.5 * z;
    let w = 1.0 - hz;
    w + (((1.0 - w) - hz) + (z * r - x * y))
}

/// fdlibm's tangent on [-pi/4, pi/4] for `x + y`: `tan` (`odd == 0`) or
/// `-1 / tan` (`odd == 1`).
fn k_tan(x: f64, y: f64, odd: i32) -> f64 {
    const T: [f64; 13] = [
        3.333_333_333_333_340_919_86e-1,
        1.333_333_333_332_012_426_99e-1,
        5.396_825_397_622_605_213_77e-2,
        2.186_948_829_485_954_245_99e-2,
        8.863_239_823_599_300_057_37e-3,
        3.592_079_107_591_312_353_56e-3,
        1.456_209_454_325_290_255_16e-3,
        5.880_412_408_202_640_968_74e-4,
        2.464_631_348_184_699_068_12e-4,
        7.817_944_429_395_570_923_00e-5,
        7.140_724_913_826_081_903_05e-5,
        -1.855_863_748_552_754_566_54e-5,
        2.590_730_518_636_337_128_84e-5,
    ];
    const PIO4: f64 = 7.853_981_633_974_482_789_99e-1;
    const PIO4_LO: f64 = 3.061_616_997_868_383_017_93e-17;
    let hx = high(x);
    // |x| >= 0.6744: tan(pi/4 - x) instead.
    let big = (hx & 0x7fff_ffff) >= 0x3fe5_9428;
    let neg = hx >> 31 != 0;
    let (mut x, mut y) = (x, y);
    if big {
        if neg {
            x = -x;
            y = -y;
        }
        x = (PIO4 - x) + (PIO4_LO - y);
        y = 0.0;
    }
    let z = x * x;
    let w = z * z;
    let r = T[1] + w * (T[3] + w * (T[5] + w * (T[7] + w * (T[9] + w * T[11]))));
    let v = z * (T[2] + w * (T[4] + w * (T[6] + w * (T[8] + w * (T[10] + w * T[12])))));
    let s = z * x;
    let r = y + z * (s * (r + v) + y) + s * T[0];
    let w = x + r;
    if big {
        let s = 1.0 - 2.0 * odd as f64;
        let v = s - 2.0 * (x + (r - w * w / (w + s)));
        return if neg { -v } else { v };
    }
    if odd == 0 {
        return w;
    }
    // -1 / (x + r), accurately: w0 + v = x + r, a0 the head of -1 / w.
    let w0 = zero_low(w);
    let v = r - (w0 - x);
    let a = -1.0 / w;
    let a0 = zero_low(a);
    a0 + a * (1.0 + a0 * w0 + a0 * v)
}

/// The bits of 2/pi after the binary point, two zero words before them
/// (a window may start up to 34 bits before the point): 1216 bits, enough
/// for every finite f64 (the f32 table, `lang::ir::TWO_OVER_PI`, is its
/// start).
const TWO_OVER_PI: [u32; 40] = [
    0,
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
    0x0649_2eea,
    0x09d1_921c,
    0xfe1d_eb1c,
    0xb129_a73e,
    0xe882_35f5,
    0x2ebb_4484,
    0xe99c_7026,
    0xb45f_7e41,
    0x3991_d639,
    0x8353_39f4,
    0x9c84_5f8b,
    0xbdf9_283b,
    0x1ff8_97ff,
    0xde05_980f,
    0xef2f_118b,
    0x5a0a_6d1f,
    0x6d36_7ecf,
    0x27cb_09b7,
    0x4f46_3f66,
    0x9e5f_ea2d,
    0x7527_bac7,
    0xebe5_f17b,
    0x3d07_39f7,
    0x8a52_92ea,
    0x6bfb_5fb1,
    0x1f8d_5d08,
    0x5603_3046,
    0xfc7b_6bab,
];

/// pi/2 = PIO2_H + PIO2_L, to 107 bits.
const PIO2_H: f64 = 1.570_796_326_794_896_558_00e0; // 0x3ff921fb_54442d18
const PIO2_L: f64 = 6.123_233_995_736_766_035_87e-17; // 0x3c91a626_33145c07

/// `x = n pi/2 + y0 + y1`, `|y0 + y1| <= pi/4` (about), `y1` below an ulp
/// of `y0`: fdlibm's reduction (`__rem_pio2`'s "medium" case, pi/2 in
/// three parts of 33 bits, as many as cancellation needs) for |x| < 2^20
/// pi/2, Payne and Hanek's ([`rem_pio2_large`]) beyond. `x` is finite.
fn rem_pio2(x: f64) -> (i32, f64, f64) {
    const TO_INT: f64 = 6_755_399_441_055_744.0; // 1.5 * 2^52
    const INV_PIO2: f64 = 6.366_197_723_675_813_824_33e-1;
    const PIO2_1: f64 = 1.570_796_326_734_125_614_17e0;
    const PIO2_1T: f64 = 6.077_100_506_506_192_249_32e-11;
    const PIO2_2: f64 = 6.077_100_506_303_965_976_60e-11;
    const PIO2_2T: f64 = 2.022_266_248_795_950_631_54e-21;
    const PIO2_3: f64 = 2.022_266_248_711_166_455_80e-21;
    const PIO2_3T: f64 = 8.478_427_660_368_899_569_97e-32;
    let ix = high(x) & 0x7fff_ffff;
    if ix >= 0x4139_21fb {
        return rem_pio2_large(x);
    }
    // n = rint(x / (pi/2)): adding 1.5 * 2^52 rounds to an integer.
    let f_n = x * INV_PIO2 + TO_INT - TO_INT;
    let n = f_n as i32;
    let mut r = x - f_n * PIO2_1;
    let mut w = f_n * PIO2_1T;
    let mut y0 = r - w;
    let ex = (ix >> 20) as i32;
    let ey = ((y0.to_bits() >> 52) & 0x7ff) as i32;
    if ex - ey > 16 {
        // Cancellation: a second part of pi/2, good to 118 bits.
        let t = r;
        w = f_n * PIO2_2;
        r = t - w;
        w = f_n * PIO2_2T - ((t - r) - w);
        y0 = r - w;
        let ey = ((y0.to_bits() >> 52) & 0x7ff) as i32;
        if ex - ey > 49 {
            // And a third, good to 151 bits.
            let t = r;
            w = f_n * PIO2_3;
            r = t - w;
            w = f_n * PIO2_3T - ((t - r) - w);
            y0 = r - w;
        }
    }
    let y1 = (r - y0) - w;
    (n, y0, y1)
}

/// 32 bits of [`TWO_OVER_PI`] from bit `p` (0: the first word's top bit).
fn two_over_pi_bits(p: u32) -> u32 {
    let (w, s) = ((p / 32) as usize, p % 32);
    if s == 0 {
        TWO_OVER_PI[w]
    } else {
        (TWO_OVER_PI[w] << s) | (TWO_OVER_PI[w + 1] >> (32 - s))
    }
}

/// x as hi + lo, each with at most 26 significant bits (Veltkamp's
/// split), so that products of the halves are exact.
#[inline(always)]
fn split(x: f64) -> (f64, f64) {
    let c = 134_217_729.0 * x; // 2^27 + 1
    let hi = c - (c - x);
    (hi, x - hi)
}

/// `rem_pio2` for |x| >= 2^20 pi/2, finite: Payne and Hanek's reduction
/// in integers. x = m 2^e (m of 53 bits, e >= -32) times the 192 bits of
/// 2/pi from bit e - 1 on (the bits before it add multiples of 4) is a
/// 245-bit product whose bits 191 and 190 are the quadrant and whose 128
/// bits below them the fraction, to 2^-137 (the fraction of any f64 is
/// more than 2^-62 from an integer, so 75 bits of it stay); the fraction,
/// in two floats, times pi/2 in two floats gives y0 + y1. The WGSL twin,
/// `cj64_rem_pio2_large`, gets the same integers from 32-bit halves.
fn rem_pio2_large(x: f64) -> (i32, f64, f64) {
    let u = x.to_bits();
    let e = ((u >> 52) & 0x7ff) as i32 - 1075;
    let m = (u & 0x000f_ffff_ffff_ffff) | 0x0010_0000_0000_0000;
    // Bit i of 2/pi (i >= 1 after the point) is bit i + 63 of the table.
    let g = (e + 62) as u32;
    let word =
        |p: u32| (u64::from(two_over_pi_bits(p)) << 32) | u64::from(two_over_pi_bits(p + 32));
    let (w0, w1, w2) = (word(g), word(g + 64), word(g + 128));
    let a2 = u128::from(m) * u128::from(w2);
    let a1 = u128::from(m) * u128::from(w1);
    let a0 = u128::from(m) * u128::from(w0);
    // Bits 0-63 (low), 64-127 (mid) and 128-191 (top) of the product.
    let low = a2 as u64;
    let (mid, carry) = ((a2 >> 64) as u64).overflowing_add(a1 as u64);
    let top = ((a1 >> 64) as u64)
        .wrapping_add(a0 as u64)
        .wrapping_add(u64::from(carry));
    let mut q = (top >> 62) as i32;
    let mut fh = (top << 2) | (mid >> 62);
    let mut fl = (mid << 2) | (low >> 62);
    // A fraction of a half or more is the next quadrant less 1 - f.
    let flip = fh >> 63 != 0;
    if flip {
        q += 1;
        fl = (!fl).wrapping_add(1);
        fh = (!fh).wrapping_add(u64::from(fl == 0));
    }
    let lz = if fh != 0 {
        fh.leading_zeros()
    } else {
        64 + fl.leading_zeros()
    };
    // The fraction f = (fh, fl) 2^-128, normalized: nh, nl.
    let (nh, nl) = if lz == 0 {
        (fh, fl)
    } else if lz < 64 {
        ((fh << lz) | (fl >> (64 - lz)), fl << lz)
    } else if lz < 128 {
        (fl << (lz - 64), 0)
    } else {
        (0, 0)
    };
    let lz = lz as i32;
    // f = a + b exactly: its top 53 bits and the next 53.
    let a = (nh >> 11) as f64 * pow2(-53 - lz);
    let b = (((nh << 42) | (nl >> 22)) & 0x001f_ffff_ffff_ffff) as f64 * pow2(-106 - lz);
    // (a + b) (PIO2_H + PIO2_L): a PIO2_H = ph + pe exactly (Dekker).
    let ph = a * PIO2_H;
    let (ah, al) = split(a);
    let (bh, bl) = split(PIO2_H);
    let pe = ((ah * bh - ph) + ah * bl + al * bh) + al * bl;
    let t = pe + (a * PIO2_L + b * PIO2_H);
    let y0 = ph + t;
    let y1 = t - (y0 - ph);
    let (y0, y1) = if flip { (-y0, -y1) } else { (y0, y1) };
    if u >> 63 != 0 {
        (-q, -y0, -y1)
    } else {
        (q, y0, y1)
    }
}

/// `sin x` as both engines compute it (WGSL twin: `cj64_sin`): fdlibm's
/// `sin`, within 1 ulp, also for large |x| (exact reduction by pi/2).
pub fn sin(x: f64) -> f64 {
    let ix = high(x) & 0x7fff_ffff;
    if ix <= 0x3fe9_21fb {
        // |x| <= pi/4.
        if ix < 0x3e50_0000 {
            return x;
        }
        return k_sin(x, 0.0, 0);
    }
    if ix >= 0x7ff0_0000 {
        return f64::NAN;
    }
    let (n, y0, y1) = rem_pio2(x);
    match n & 3 {
        0 => k_sin(y0, y1, 1),
        1 => k_cos(y0, y1),
        2 => -k_sin(y0, y1, 1),
        _ => -k_cos(y0, y1),
    }
}

/// `cos x` as both engines compute it (WGSL twin: `cj64_cos`): fdlibm's
/// `cos`, within 1 ulp, also for large |x|.
pub fn cos(x: f64) -> f64 {
    let ix = high(x) & 0x7fff_ffff;
    if ix <= 0x3fe9_21fb {
        if ix < 0x3e46_a09e {
            // |x| < 2^-27 sqrt(2).
            return 1.0;
        }
        return k_cos(x, 0.0);
    }
    if ix >= 0x7ff0_0000 {
        return f64::NAN;
    }
    let (n, y0, y1) = rem_pio2(x);
    match n & 3 {
        0 => k_cos(y0, y1),
        1 => -k_sin(y0, y1, 1),
        2 => -k_cos(y0, y1),
        _ => k_sin(y0, y1, 1),
    }
}

/// `tan x` as both engines compute it (WGSL twin: `cj64_tan`): fdlibm's
/// `tan`, within 1 ulp, also for large |x|.
pub fn tan(x: f64) -> f64 {
    let ix = high(x) & 0x7fff_ffff;
    if ix <= 0x3fe9_21fb {
        if ix < 0x3e40_0000 {
            return x;
        }
        return k_tan(x, 0.0, 0);
    }
    if ix >= 0x7ff0_0000 {
        return f64::NAN;
    }
    let (n, y0, y1) = rem_pio2(x);
    k_tan(y0, y1, n & 1)
}

/// `tanh x` as both engines compute it (WGSL twin: `cj64_tanh`): musl's,
/// from [`expm1`]; ±1 past |x| = 20, x itself for a subnormal.
pub fn tanh(x: f64) -> f64 {
    let neg = x.to_bits() >> 63 != 0;
    let ax = x.abs();
    let w = high(ax);
    let t = if w > 0x3fe1_93ea {
        // |x| > ln(3)/2, or NaN.
        if w > 0x4034_0000 {
            // |x| > 20, or NaN.
            if ax.is_nan() {
                return x;
            }
            1.0
        } else {
            let t = expm1(2.0 * ax);
            1.0 - 2.0 / (t + 2.0)
        }
    } else if w > 0x3fd0_58ae {
        // |x| > ln(5/3)/2.
        let t = expm1(2.0 * ax);
        t / (t + 2.0)
    } else if w >= 0x0010_0000 {
        let t = expm1(-2.0 * ax);
        -t / (t + 2.0)
    } else {
        // Subnormal or zero.
        return x;
    };
    if neg {
        -t
    } else {
        t
    }
}

/// `exp(x - 2043 ln2) 2^1021 2^1021`: e^x for x past the overflow
/// threshold of [`exp`] (`sinh`, `cosh` near 710), musl's `__expo2` with
/// the factor 2 folded in.
fn expo2(x: f64) -> f64 {
    let kln2 = f64::from_bits(0x4096_2066_151a_dd8b);
    let sc = pow2(1021);
    exp(x - kln2) * sc * sc
}

/// `sinh x` as both engines compute it (WGSL twin: `cj64_sinh`): musl's,
/// from [`expm1`], and [`exp`] scaled near overflow.
pub fn sinh(x: f64) -> f64 {
    let h = if x.to_bits() >> 63 != 0 { -0.5 } else { 0.5 };
    let ax = x.abs();
    let w = high(ax);
    if w < 0x4086_2e42 {
        // |x| < ln(DBL_MAX).
        let t = expm1(ax);
        if w < 0x3ff0_0000 {
            if w < 0x3ff0_0000 - (26 << 20) {
                return x;
            }
            return h * (2.0 * t - t * t / (t + 1.0));
        }
        return h * (t + t / (t + 1.0));
    }
    if ax.is_nan() {
        return x;
    }
    // expo2 is e^|x| / 2 (the 2043 ln2 shift leaves a power of 2 out).
    2.0 * h * expo2(ax)
}

/// `cosh x` as both engines compute it (WGSL twin: `cj64_cosh`): musl's,
/// from [`expm1`] and [`exp`].
pub fn cosh(x: f64) -> f64 {
    let ax = x.abs();
    let w = high(ax);
    if w < 0x3fe6_2e42 {
        // |x| < ln 2.
        if w < 0x3ff0_0000 - (26 << 20) {
            return 1.0;
        }
        let t = expm1(ax);
        return 1.0 + t * t / (2.0 * (1.0 + t));
    }
    if w < 0x4086_2e42 {
        let t = exp(ax);
        return 0.5 * (t + 1.0 / t);
    }
    if ax.is_nan() {
        return ax;
    }
    expo2(ax)
}

const ASIN_PIO2_HI: f64 = 1.570_796_326_794_896_558_00e0;
const ASIN_PIO2_LO: f64 = 6.123_233_995_736_766_035_87e-17;

/// fdlibm's rational approximation R(z) of (asin(sqrt z) - sqrt z) /
/// (z sqrt z), shared by [`asin`] and [`acos`].
fn asin_r(z: f64) -> f64 {
    const PS0: f64 = 1.666_666_666_666_666_574_15e-1;
    const PS1: f64 = -3.255_658_186_224_009_154_05e-1;
    const PS2: f64 = 2.012_125_321_348_629_258_81e-1;
    const PS3: f64 = -4.005_553_450_067_941_140_27e-2;
    const PS4: f64 = 7.915_349_942_898_145_321_76e-4;
    const PS5: f64 = 3.479_331_075_960_211_675_70e-5;
    const QS1: f64 = -2.403_394_911_734_414_218_78e0;
    const QS2: f64 = 2.020_945_760_233_505_694_71e0;
    const QS3: f64 = -6.882_839_716_054_532_930_30e-1;
    const QS4: f64 = 7.703_815_055_590_193_527_91e-2;
    let p = z * (PS0 + z * (PS1 + z * (PS2 + z * (PS3 + z * (PS4 + z * PS5)))));
    let q = 1.0 + z * (QS1 + z * (QS2 + z * (QS3 + z * QS4)));
    p / q
}

/// `asin x` as both engines compute it (WGSL twin: `cj64_asin`): fdlibm's,
/// within 1 ulp; NaN outside [-1, 1].
pub fn asin(x: f64) -> f64 {
    let hx = high(x);
    let ix = hx & 0x7fff_ffff;
    if ix >= 0x3ff0_0000 {
        // |x| >= 1, or NaN.
        if (ix - 0x3ff0_0000) | (x.to_bits() as u32) == 0 {
            return x * ASIN_PIO2_HI;
        }
        return f64::NAN;
    }
    if ix < 0x3fe0_0000 {
        // |x| < 0.5.
        if ix < 0x3e50_0000 {
            return x;
        }
        return x + x * asin_r(x * x);
    }
    // 0.5 <= |x| < 1: asin x = pi/2 - 2 asin(sqrt((1 - |x|) / 2)).
    let z = (1.0 - x.abs()) * 0.5;
    let s = z.sqrt();
    let r = asin_r(z);
    let v = if ix >= 0x3fef_3333 {
        // |x| > 0.975.
        ASIN_PIO2_HI - (2.0 * (s + s * r) - ASIN_PIO2_LO)
    } else {
        // f + c = sqrt(z), f exact in 26 bits.
        let f = zero_low(s);
        let c = (z - f * f) / (s + f);
        0.5 * ASIN_PIO2_HI
            - (2.0 * s * r - (ASIN_PIO2_LO - 2.0 * c) - (0.5 * ASIN_PIO2_HI - 2.0 * f))
    };
    if hx >> 31 != 0 {
        -v
    } else {
        v
    }
}

/// `acos x` as both engines compute it (WGSL twin: `cj64_acos`): fdlibm's,
/// within 1 ulp; NaN outside [-1, 1].
pub fn acos(x: f64) -> f64 {
    let hx = high(x);
    let ix = hx & 0x7fff_ffff;
    if ix >= 0x3ff0_0000 {
        if (ix - 0x3ff0_0000) | (x.to_bits() as u32) == 0 {
            return if hx >> 31 != 0 {
                2.0 * ASIN_PIO2_HI
            } else {
                0.0
            };
        }
        return f64::NAN;
    }
    if ix < 0x3fe0_0000 {
        // |x| < 0.5.
        if ix <= 0x3c60_0000 {
            return ASIN_PIO2_HI;
        }
        return ASIN_PIO2_HI - (x - (ASIN_PIO2_LO - x * asin_r(x * x)));
    }
    if hx >> 31 != 0 {
        // x <= -0.5.
        let z = (1.0 + x) * 0.5;
        let s = z.sqrt();
        let w = asin_r(z) * s - ASIN_PIO2_LO;
        return 2.0 * (ASIN_PIO2_HI - (s + w));
    }
    // x >= 0.5.
    let z = (1.0 - x) * 0.5;
    let s = z.sqrt();
    let df = zero_low(s);
    let c = (z - df * df) / (s + df);
    let w = asin_r(z) * s + c;
    2.0 * (df + w)
}

/// `atan x` as both engines compute it (WGSL twin: `cj64_atan`): fdlibm's,
/// a reduction to |x| < 7/16 around atan(1/2), atan(1), atan(3/2) or
/// atan(inf), then a polynomial; within 1 ulp.
pub fn atan(x: f64) -> f64 {
    const AT: [f64; 11] = [
        3.333_333_333_333_293_180_27e-1,
        -1.999_999_999_987_648_324_76e-1,
        1.428_571_427_250_346_637_11e-1,
        -1.111_111_040_546_235_578_80e-1,
        9.090_887_133_436_506_561_96e-2,
        -7.691_876_205_044_829_994_95e-2,
        6.661_073_137_387_531_206_69e-2,
        -5.833_570_133_790_573_486_45e-2,
        4.976_877_994_615_932_360_17e-2,
        -3.653_157_274_421_691_552_70e-2,
        1.628_582_011_536_578_236_23e-2,
    ];
    const ATANHI: [f64; 4] = [
        4.636_476_090_008_060_935_15e-1,
        7.853_981_633_974_482_789_99e-1,
        9.827_937_232_473_290_540_82e-1,
        1.570_796_326_794_896_558_00e0,
    ];
    const ATANLO: [f64; 4] = [
        2.269_877_745_296_168_709_24e-17,
        3.061_616_997_868_383_017_93e-17,
        1.390_331_103_123_099_845_16e-17,
        6.123_233_995_736_766_035_87e-17,
    ];
    let hx = high(x);
    let neg = hx >> 31 != 0;
    let ix = hx & 0x7fff_ffff;
    if ix >= 0x4410_0000 {
        // |x| >= 2^66, or NaN.
        if x.is_nan() {
            return x;
        }
        return if neg { -ATANHI[3] } else { ATANHI[3] };
    }
    let (t, id) = if ix < 0x3fdc_0000 {
        // |x| < 0.4375.
        if ix < 0x3e40_0000 {
            return x;
        }
        (x, -1)
    } else {
        let a = x.abs();
        if ix < 0x3ff3_0000 {
            if ix < 0x3fe6_0000 {
                // 7/16 <= |x| < 11/16.
                ((2.0 * a - 1.0) / (2.0 + a), 0)
            } else {
                // 11/16 <= |x| < 19/16.
                ((a - 1.0) / (a + 1.0), 1)
            }
        } else if ix < 0x4003_8000 {
            // |x| < 2.4375.
            ((a - 1.5) / (1.0 + 1.5 * a), 2)
        } else {
            (-1.0 / a, 3)
        }
    };
    let z = t * t;
    let w = z * z;
    let s1 = z * (AT[0] + w * (AT[2] + w * (AT[4] + w * (AT[6] + w * (AT[8] + w * AT[10])))));
    let s2 = w * (AT[1] + w * (AT[3] + w * (AT[5] + w * (AT[7] + w * AT[9]))));
    if id < 0 {
        return t - t * (s1 + s2);
    }
    let id = id as usize;
    let z = ATANHI[id] - (t * (s1 + s2) - ATANLO[id] - t);
    if neg {
        -z
    } else {
        z
    }
}

//! `exp`, `ln`, `expm1` and `pow` in f64 (fdlibm's), twins of
//! `shaders/math64.wgsl`'s `cj64_exp`, `cj64_ln`, `cj64_expm1`, `cj64_pow`.

use super::*;

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
        return crate::lang::ir::whole_power(x, y as u32, 1.0);
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

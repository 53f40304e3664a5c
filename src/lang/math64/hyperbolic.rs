//! `tanh`, `sinh`, `cosh` (musl's, from `exp` and `expm1`) and the
//! inverse functions `asin`, `acos`, `atan` (fdlibm's) in f64, twins of
//! `shaders/math64.wgsl`'s `cj64_tanh`, ..., `cj64_atan`.

use super::*;

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

//! `sin`, `cos` and `tan` in f64 (fdlibm's kernels), with the argument
//! reduction by pi/2 (Payne and Hanek's in integers past 2^20 pi/2),
//! twins of `shaders/math64.wgsl`'s `cj64_sin`, `cj64_cos`, `cj64_tan`.

use super::*;

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

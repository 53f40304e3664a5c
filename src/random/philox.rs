//! Philox4x32-10, the counter-based generator of Salmon et al. (2011, Random123).
//!
//! A counter-based generator has no state to carry between steps: the bits of
//! draw `(seed, object, step, index)` are a pure function of those four numbers,
//! so the CPU engine and a GPU shader (a WGSL twin of this file) produce the
//! same stream whatever order or thread computes them in.

const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

/// 2^-24, exact in f32.
const INV_2_24: f32 = 1.0 / 16_777_216.0;

#[inline]
fn mulhilo(a: u32, b: u32) -> (u32, u32) {
    let p = u64::from(a) * u64::from(b);
    ((p >> 32) as u32, p as u32)
}

/// Philox4x32 with 10 rounds: four 32-bit words of output for a 128-bit counter
/// and a 64-bit key.
///
/// ```
/// use cajal::random::philox::philox4x32_10;
/// assert_eq!(philox4x32_10([0; 4], [0; 2]), [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
/// ```
pub fn philox4x32_10(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let mut c = counter;
    let mut k = key;
    for round in 0..10 {
        if round > 0 {
            k[0] = k[0].wrapping_add(W0);
            k[1] = k[1].wrapping_add(W1);
        }
        let (hi0, lo0) = mulhilo(M0, c[0]);
        let (hi1, lo1) = mulhilo(M1, c[2]);
        c = [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0];
    }
    c
}

/// The four random words of one draw, addressed by what they are for.
///
/// Counter = `[index, step, object, 0]`, key = `[seed as u32, (seed >> 32) as u32]`:
/// `object` tells populations/projections apart, `step` is the simulation step
/// and `index` the neuron or synapse.
pub fn draw(seed: u64, object: u32, step: u32, index: u32) -> [u32; 4] {
    philox4x32_10([index, step, object, 0], [seed as u32, (seed >> 32) as u32])
}

/// Lanes of [`draw_run`]: as many u32 as two AVX2 registers hold, so the
/// rounds compile to vector multiplies.
const LANES: usize = 8;

/// The first two words of [`draw`] for consecutive indices `index0`,
/// `index0 + 1`, ... (as many as `w0` holds; `w1` as long), bit for bit,
/// computed eight draws at a time in lanes the compiler vectorises: a
/// population's per-neuron draws of one step, several times faster than
/// one call per neuron.
/// On x86-64 with AVX2, written with its intrinsics (`draw_run_avx2`):
/// the compiler's own vectorisation of the lanes shuffles each 64-bit
/// product apart and back, at about three times the instructions.
#[inline(always)]
pub fn draw_run(seed: u64, object: u32, step: u32, index0: u32, w0: &mut [u32], w1: &mut [u32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        unsafe { draw_run_avx2(seed, object, step, index0, w0, w1) };
        return;
    }
    draw_run_lanes(seed, object, step, index0, w0, w1);
}

/// [`draw_run`] with AVX2: the even and the odd counters of eight in two
/// registers through [`rounds`] side by side, and a blend puts their low
/// halves back in index order.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn draw_run_avx2(
    seed: u64,
    object: u32,
    step: u32,
    index0: u32,
    w0: &mut [u32],
    w1: &mut [u32],
) {
    use std::arch::x86_64::*;
    let n = w0.len().min(w1.len());
    let full = n / LANES * LANES;
    let keys = round_keys(seed);
    let (even, odd) = (
        _mm256_setr_epi64x(0, 2, 4, 6),
        _mm256_setr_epi64x(1, 3, 5, 7),
    );
    for base in (0..full).step_by(LANES) {
        // Only the low halves matter: the carry of the add into the high
        // half is such a bit.
        let start = _mm256_set1_epi64x(i64::from(index0.wrapping_add(base as u32)));
        let a = rounds(&keys, _mm256_add_epi64(start, even), step, object);
        let b = rounds(&keys, _mm256_add_epi64(start, odd), step, object);
        let out0 = _mm256_blend_epi32::<0b1010_1010>(a[0], _mm256_slli_epi64::<32>(b[0]));
        let out1 = _mm256_blend_epi32::<0b1010_1010>(a[1], _mm256_slli_epi64::<32>(b[1]));
        // SAFETY: base + LANES <= full <= both lengths.
        _mm256_storeu_si256(w0.as_mut_ptr().add(base).cast(), out0);
        _mm256_storeu_si256(w1.as_mut_ptr().add(base).cast(), out1);
    }
    draw_run_lanes(
        seed,
        object,
        step,
        index0.wrapping_add(full as u32),
        &mut w0[full..n],
        &mut w1[full..n],
    );
}

/// Element `index`'s word of a one-word draw (a uniform or an exponential
/// value): word `index % 4` of [`draw`] at `index / 4`, so that four
/// consecutive elements share one Philox call and every word it makes is
/// used. Draws that need two words (the normal ones) keep one call an
/// element.
///
/// ```
/// use cajal::random::philox::{draw, word};
/// assert_eq!(word(42, 7, 3, 9), draw(42, 7, 3, 2)[1]);
/// ```
#[inline]
pub fn word(seed: u64, object: u32, step: u32, index: u32) -> u32 {
    draw(seed, object, step, index >> 2)[(index & 3) as usize]
}

/// The calls of [`word`] are `index >> 2`, below 2^30.
const CALLS: u32 = u32::MAX >> 2;

/// [`word`] for the consecutive elements `index0`, `index0 + 1`, ... (as
/// many as `out` holds), bit for bit: a quarter as many Philox calls as
/// elements, eight calls at a time on x86-64 with AVX2.
pub fn word_run(seed: u64, object: u32, step: u32, index0: u32, out: &mut [u32]) {
    word_run_on(Lanes::widest(), seed, object, step, index0, out);
}

/// The vector instructions a run of Philox calls is made with, narrowest
/// first (the derived order is their width).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd)]
enum Lanes {
    /// One call at a time.
    Scalar,
    /// Eight calls at a time (x86-64 with AVX2).
    Avx2,
    /// Sixteen calls at a time (x86-64 with AVX-512F).
    Avx512,
}

impl Lanes {
    /// The widest this CPU has.
    fn widest() -> Lanes {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                return Lanes::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                return Lanes::Avx2;
            }
        }
        Lanes::Scalar
    }

    /// Every one this CPU has, narrowest first (for tests of each path).
    #[cfg(test)]
    fn all() -> Vec<Lanes> {
        [Lanes::Scalar, Lanes::Avx2, Lanes::Avx512]
            .into_iter()
            .filter(|&l| l <= Lanes::widest())
            .collect()
    }
}

/// [`word_run`] with the instructions `lanes` (which the CPU must have).
fn word_run_on(lanes: Lanes, seed: u64, object: u32, step: u32, index0: u32, out: &mut [u32]) {
    // Up to the first element that starts a call.
    let head = ((4 - (index0 & 3)) & 3).min(out.len() as u32) as usize;
    for (i, w) in out[..head].iter_mut().enumerate() {
        *w = word(seed, object, step, index0.wrapping_add(i as u32));
    }
    let rest = &mut out[head..];
    // Calls are numbered modulo 2^30 (`CALLS`), so that indices that wrap
    // past u32::MAX get `word`'s words too.
    let ctr0 = index0.wrapping_add(head as u32) >> 2;
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    {
        if lanes == Lanes::Avx512 {
            // SAFETY: the CPU supports AVX-512F (`Lanes::widest`).
            done = unsafe { word_run_avx512(seed, object, step, ctr0, rest) };
        }
        if lanes >= Lanes::Avx2 {
            // SAFETY: the CPU supports AVX2 (`Lanes::widest`; AVX-512F
            // implies it). It takes the whole 32-word blocks left.
            let next = ctr0.wrapping_add((done / 4) as u32);
            done += unsafe { word_run_avx2(seed, object, step, next, &mut rest[done..]) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = lanes;
    for (c, chunk) in rest[done..].chunks_mut(4).enumerate() {
        let ctr = ctr0.wrapping_add((done / 4 + c) as u32) & CALLS;
        let bits = draw(seed, object, step, ctr);
        chunk.copy_from_slice(&bits[..chunk.len()]);
    }
}

/// The whole 32-word blocks of [`word_run`] from call `ctr0` on: eight
/// calls in the lanes of [`draw_run_avx2`], their four words transposed
/// into element order. Returns how many words it wrote.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn word_run_avx2(seed: u64, object: u32, step: u32, ctr0: u32, out: &mut [u32]) -> usize {
    use std::arch::x86_64::*;
    let full = out.len() / 32 * 32;
    let keys = round_keys(seed);
    let (even, odd) = (
        _mm256_setr_epi64x(0, 2, 4, 6),
        _mm256_setr_epi64x(1, 3, 5, 7),
    );
    let calls = _mm256_set1_epi64x(i64::from(CALLS));
    for base in (0..full).step_by(32) {
        let start = _mm256_set1_epi64x(i64::from(ctr0.wrapping_add((base / 4) as u32)));
        let a = _mm256_and_si256(_mm256_add_epi64(start, even), calls);
        let b = _mm256_and_si256(_mm256_add_epi64(start, odd), calls);
        let (a, b) = (
            rounds(&keys, a, step, object),
            rounds(&keys, b, step, object),
        );
        // SAFETY: base + 32 <= full <= out.len().
        store_words(a, b, out.as_mut_ptr().add(base));
    }
    full
}

/// The whole 64-word blocks of [`word_run`] from call `ctr0` on: sixteen
/// calls in the lanes of 512-bit vectors (even calls in one set, odd ones
/// in the other, as [`word_run_avx2`]'s), whose 256-bit halves are two of
/// `word_run_avx2`'s blocks. Returns how many words it wrote.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn word_run_avx512(seed: u64, object: u32, step: u32, ctr0: u32, out: &mut [u32]) -> usize {
    use std::arch::x86_64::*;
    let full = out.len() / 64 * 64;
    let mut keys = [[_mm512_setzero_si512(); 2]; 10];
    let (mut k0, mut k1) = (seed as u32, (seed >> 32) as u32);
    for (round, k) in keys.iter_mut().enumerate() {
        if round > 0 {
            k0 = k0.wrapping_add(W0);
            k1 = k1.wrapping_add(W1);
        }
        *k = [
            _mm512_set1_epi64(i64::from(k0)),
            _mm512_set1_epi64(i64::from(k1)),
        ];
    }
    let (even, odd) = (
        _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14),
        _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15),
    );
    let calls = _mm512_set1_epi64(i64::from(CALLS));
    let (m0, m1) = (
        _mm512_set1_epi64(i64::from(M0)),
        _mm512_set1_epi64(i64::from(M1)),
    );
    // As `rounds`, with the two XORs of a word in one ternary operation
    // (0x96: a ^ b ^ c).
    let rounds = |c0: __m512i| {
        let mut c = [
            c0,
            _mm512_set1_epi64(i64::from(step)),
            _mm512_set1_epi64(i64::from(object)),
            _mm512_setzero_si512(),
        ];
        for [k0, k1] in &keys {
            let p0 = _mm512_mul_epu32(c[0], m0);
            let p1 = _mm512_mul_epu32(c[2], m1);
            c = [
                _mm512_ternarylogic_epi64::<0x96>(_mm512_srli_epi64::<32>(p1), c[1], *k0),
                p1,
                _mm512_ternarylogic_epi64::<0x96>(_mm512_srli_epi64::<32>(p0), c[3], *k1),
                p0,
            ];
        }
        c
    };
    for base in (0..full).step_by(64) {
        let start = _mm512_set1_epi64(i64::from(ctr0.wrapping_add((base / 4) as u32)));
        let a = rounds(_mm512_and_si512(_mm512_add_epi64(start, even), calls));
        let b = rounds(_mm512_and_si512(_mm512_add_epi64(start, odd), calls));
        let p = out.as_mut_ptr().add(base);
        // SAFETY: base + 64 <= full <= out.len().
        store_words(
            a.map(|v| _mm512_castsi512_si256(v)),
            b.map(|v| _mm512_castsi512_si256(v)),
            p,
        );
        store_words(
            a.map(|v| _mm512_extracti64x4_epi64::<1>(v)),
            b.map(|v| _mm512_extracti64x4_epi64::<1>(v)),
            p.add(32),
        );
    }
    full
}

/// Stores eight Philox calls' words in element order at `p` (32 words):
/// `a` holds the four words of calls 0, 2, 4, 6 and `b` those of calls 1,
/// 3, 5, 7, each in the low half of a 64-bit lane (as `rounds` leaves
/// them).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn store_words(
    a: [std::arch::x86_64::__m256i; 4],
    b: [std::arch::x86_64::__m256i; 4],
    p: *mut u32,
) {
    use std::arch::x86_64::*;
    {
        // Word k of calls 0..8 in order, then 4 x 8 transposed to calls.
        let w: [__m256i; 4] = std::array::from_fn(|k| {
            _mm256_blend_epi32::<0b1010_1010>(a[k], _mm256_slli_epi64::<32>(b[k]))
        });
        let t0 = _mm256_unpacklo_epi32(w[0], w[1]);
        let t1 = _mm256_unpacklo_epi32(w[2], w[3]);
        let t2 = _mm256_unpackhi_epi32(w[0], w[1]);
        let t3 = _mm256_unpackhi_epi32(w[2], w[3]);
        // Calls 0 and 4, 1 and 5, 2 and 6, 3 and 7 (128-bit halves).
        let c04 = _mm256_unpacklo_epi64(t0, t1);
        let c15 = _mm256_unpackhi_epi64(t0, t1);
        let c26 = _mm256_unpacklo_epi64(t2, t3);
        let c37 = _mm256_unpackhi_epi64(t2, t3);
        // SAFETY: the caller's `p` has room for 32 words.
        _mm256_storeu_si256(p.cast(), _mm256_permute2x128_si256::<0x20>(c04, c15));
        _mm256_storeu_si256(p.add(8).cast(), _mm256_permute2x128_si256::<0x20>(c26, c37));
        _mm256_storeu_si256(
            p.add(16).cast(),
            _mm256_permute2x128_si256::<0x31>(c04, c15),
        );
        _mm256_storeu_si256(
            p.add(24).cast(),
            _mm256_permute2x128_si256::<0x31>(c26, c37),
        );
    }
}

/// The ten round keys of `seed`, each in the low half of every 64-bit lane.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn round_keys(seed: u64) -> [[std::arch::x86_64::__m256i; 2]; 10] {
    use std::arch::x86_64::*;
    let mut keys = [[_mm256_setzero_si256(); 2]; 10];
    let (mut k0, mut k1) = (seed as u32, (seed >> 32) as u32);
    for (round, k) in keys.iter_mut().enumerate() {
        if round > 0 {
            k0 = k0.wrapping_add(W0);
            k1 = k1.wrapping_add(W1);
        }
        *k = [
            _mm256_set1_epi64x(i64::from(k0)),
            _mm256_set1_epi64x(i64::from(k1)),
        ];
    }
    keys
}

/// Philox's ten rounds on four counters `[c0, step, object, 0]`, each word
/// in the low half of a 64-bit lane: `vpmuludq` reads only those low
/// halves and gives the whole product, its low word in place and its high
/// word one shift away, so a round is two multiplies, two shifts and four
/// XORs (the high halves fill with bits no multiply reads).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn rounds(
    keys: &[[std::arch::x86_64::__m256i; 2]; 10],
    c0: std::arch::x86_64::__m256i,
    step: u32,
    object: u32,
) -> [std::arch::x86_64::__m256i; 4] {
    use std::arch::x86_64::*;
    let (m0, m1) = (
        _mm256_set1_epi64x(i64::from(M0)),
        _mm256_set1_epi64x(i64::from(M1)),
    );
    let mut c = [
        c0,
        _mm256_set1_epi64x(i64::from(step)),
        _mm256_set1_epi64x(i64::from(object)),
        _mm256_setzero_si256(),
    ];
    for [k0, k1] in keys {
        let p0 = _mm256_mul_epu32(c[0], m0);
        let p1 = _mm256_mul_epu32(c[2], m1);
        c = [
            _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64::<32>(p1), c[1]), *k0),
            p1,
            _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64::<32>(p0), c[3]), *k1),
            p0,
        ];
    }
    c
}

/// [`draw_run`] in plain lanes, for any CPU (and the tail of the AVX2 run).
#[inline(always)]
fn draw_run_lanes(seed: u64, object: u32, step: u32, index0: u32, w0: &mut [u32], w1: &mut [u32]) {
    let key = [seed as u32, (seed >> 32) as u32];
    for (chunk, (o0, o1)) in w0.chunks_mut(LANES).zip(w1.chunks_mut(LANES)).enumerate() {
        let base = index0.wrapping_add((chunk * LANES) as u32);
        let mut c0: [u32; LANES] = std::array::from_fn(|l| base.wrapping_add(l as u32));
        let mut c1 = [step; LANES];
        let mut c2 = [object; LANES];
        let mut c3 = [0u32; LANES];
        let mut k = key;
        for round in 0..10 {
            if round > 0 {
                k[0] = k[0].wrapping_add(W0);
                k[1] = k[1].wrapping_add(W1);
            }
            for l in 0..LANES {
                let p0 = u64::from(M0) * u64::from(c0[l]);
                let p1 = u64::from(M1) * u64::from(c2[l]);
                let (hi0, lo0) = ((p0 >> 32) as u32, p0 as u32);
                let (hi1, lo1) = ((p1 >> 32) as u32, p1 as u32);
                c0[l] = hi1 ^ c1[l] ^ k[0];
                c1[l] = lo1;
                c2[l] = hi0 ^ c3[l] ^ k[1];
                c3[l] = lo0;
            }
        }
        let n = o0.len();
        o0.copy_from_slice(&c0[..n]);
        o1.copy_from_slice(&c1[..n]);
    }
}

/// A uniform f32 in [0, 1): `(bits >> 8) as f32 * 2^-24`.
///
/// The top 24 bits fit the f32 mantissa exactly, so the conversion and the
/// multiply by a power of two are exact: a GPU gets the very same value.
#[inline]
pub fn u01(bits: u32) -> f32 {
    (bits >> 8) as f32 * INV_2_24
}

/// A uniform f32 in (0, 1]: `((bits >> 8) + 1) as f32 * 2^-24`.
///
/// Never 0, so its logarithm is finite. Exact for the same reason as [`u01`].
#[inline]
pub fn u01_open(bits: u32) -> f32 {
    ((bits >> 8) + 1) as f32 * INV_2_24
}

/// Two independent standard normal f32 by Box-Muller:
/// `r = sqrt(-2 ln u01_open(b0))`, `(r cos(2 pi u01(b1)), r sin(2 pi u01(b1)))`,
/// all in f32.
///
/// The uniforms are bit-exact across CPU and GPU; `ln`, `cos` and `sin` are
/// only as close as the two platforms' f32 functions (a few ulps).
pub fn normal_pair(b0: u32, b1: u32) -> (f32, f32) {
    // The engines' own cos and sin (lang::ir), which the GPU twin computes
    // with the same operations.
    let (r, theta) = polar(b0, b1);
    (
        r * crate::lang::ir::cos(theta),
        r * crate::lang::ir::sin(theta),
    )
}

/// [`normal_pair`]'s radius `sqrt(-2 ln u01_open(b0))` (the engines' own
/// `ln`) and angle `2 pi u01(b1)`, in `[0, 2 pi)`.
#[inline(always)]
pub fn polar(b0: u32, b1: u32) -> (f32, f32) {
    let r = (-2.0 * crate::lang::ir::ln_normal(u01_open(b0))).sqrt();
    (r, std::f32::consts::TAU * u01(b1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers_random123() {
        assert_eq!(
            philox4x32_10([0; 4], [0; 2]),
            [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
        );
        assert_eq!(
            philox4x32_10([u32::MAX; 4], [u32::MAX; 2]),
            [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]
        );
        assert_eq!(
            philox4x32_10(
                [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
                [0xa4093822, 0x299f31d0]
            ),
            [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]
        );
    }

    /// (seed, object, step, first index, count): runs of each length
    /// class, aligned or not, and runs whose indices wrap past u32::MAX.
    const RUNS: [(u64, u32, u32, u32, usize); 8] = [
        (0, 0, 0, 0, 1),
        (7, 1, 2, 3, 1),
        (0x0123_4567_89ab_cdef, 7, 11, 13, 8),
        (42, 0x8000_0001, 99_999, 1000, 37),
        (42, 5, 6, 2, 71),
        (u64::MAX, u32::MAX, u32::MAX, u32::MAX - 5, 20),
        (3, 4, 5, u32::MAX - 40, 80),
        (0xdead_beef_f00d, 3, 5, 1, 1003),
    ];

    #[test]
    fn a_run_of_draws_is_the_draws_one_by_one() {
        for (seed, object, step, index0, n) in RUNS {
            // Both paths: the AVX2 one where the CPU has it.
            for run in [draw_run, draw_run_lanes] {
                let (mut w0, mut w1) = (vec![0u32; n], vec![0u32; n]);
                run(seed, object, step, index0, &mut w0, &mut w1);
                for i in 0..n {
                    let want = draw(seed, object, step, index0.wrapping_add(i as u32));
                    assert_eq!((w0[i], w1[i]), (want[0], want[1]), "{index0} + {i}");
                }
            }
        }
    }

    #[test]
    fn a_run_of_words_is_the_words_one_by_one() {
        let lanes = Lanes::all();
        eprintln!("paths tested: {lanes:?}");
        for (lanes, (seed, object, step, index0, n)) in
            lanes.into_iter().flat_map(|l| RUNS.map(|r| (l, r)))
        {
            let mut out = vec![0u32; n];
            word_run_on(lanes, seed, object, step, index0, &mut out);
            for (i, &w) in out.iter().enumerate() {
                let index = index0.wrapping_add(i as u32);
                let want = draw(seed, object, step, index / 4)[(index % 4) as usize];
                assert_eq!(w, want, "{lanes:?}: {index0} + {i}");
                assert_eq!(w, word(seed, object, step, index));
            }
        }
    }

    #[test]
    fn draw_layout() {
        let seed = 0x0123_4567_89ab_cdefu64;
        assert_eq!(
            draw(seed, 7, 11, 13),
            philox4x32_10([13, 11, 7, 0], [0x89ab_cdef, 0x0123_4567])
        );
        assert_ne!(draw(seed, 7, 11, 13), draw(seed, 7, 11, 14));
    }

    #[test]
    fn uniform_bounds() {
        assert_eq!(u01(0), 0.0);
        assert_eq!(u01(u32::MAX), 1.0 - INV_2_24);
        assert!(u01(u32::MAX) < 1.0);
        assert_eq!(u01_open(0), INV_2_24);
        assert_eq!(u01_open(u32::MAX), 1.0);
        assert_eq!(u01(0x8000_0000), 0.5);
    }

    /// The normal draw's branch-free cosine is the engines' cosine over
    /// every angle a draw makes (2 pi times each of the 2^24 uniforms),
    /// and an f32 draw is the first of the pair.
    #[test]
    fn the_draws_cosine_is_cos_at_every_angle() {
        for b in 0..1u32 << 24 {
            let theta = std::f32::consts::TAU * u01(b << 8);
            let (x, y) = (
                crate::lang::ir::cos_small(theta),
                crate::lang::ir::cos(theta),
            );
            assert_eq!(
                x.to_bits(),
                y.to_bits(),
                "cos({theta:e}): {x:e} against {y:e}"
            );
        }
        for (w0, w1) in [
            (0, 0),
            (1, 0xffff_ffff),
            (0x1234_5678, 0x9abc_def0),
            (u32::MAX, 77 << 8),
        ] {
            let a = <f32 as crate::real::Real>::normal(w0, w1);
            assert_eq!(a.to_bits(), normal_pair(w0, w1).0.to_bits());
        }
    }

    #[test]
    fn normal_pair_moments() {
        let n = 200_000u32;
        let (mut s, mut s2) = (0.0f64, 0.0f64);
        for i in 0..n {
            let b = draw(42, 1, 0, i);
            for x in [normal_pair(b[0], b[1]), normal_pair(b[2], b[3])] {
                for v in [x.0, x.1] {
                    assert!(v.is_finite());
                    s += f64::from(v);
                    s2 += f64::from(v) * f64::from(v);
                }
            }
        }
        let m = f64::from(4 * n);
        let mean = s / m;
        let var = s2 / m - mean * mean;
        // Standard errors: 1/sqrt(m) ~ 1.1e-3 for the mean, sqrt(2/m) ~ 1.6e-3 for the variance.
        assert!(mean.abs() < 6e-3, "mean {mean}");
        assert!((var - 1.0).abs() < 1e-2, "variance {var}");
    }
}

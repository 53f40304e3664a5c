//! [`super::same_inputs`]'s and [`super::scattered`]'s vectors: SSE and
//! SSE2, which every x86-64 has; [`runs_of_one_length`] in AVX, which
//! its caller checks the CPU for.

use super::WIDE;
use std::arch::x86_64::*;

/// Positions `0..head` of [`super::same_inputs`] in f32, `head` the
/// largest multiple of four in `x.len()`, which it gives.
pub(super) fn transposed(s: &mut [f32], ws: [&[f32]; WIDE], x: &[f32]) -> usize {
    let head = head(s, &ws, x, 4);
    // SAFETY: SSE is part of x86-64. Each load is of four values from
    // position `j`, `j + 4 <= head`, of `x` or a row (all of which
    // hold `head` or more); `s` holds WIDE = 8 values, two vectors.
    unsafe {
        let mut lo = _mm_loadu_ps(s.as_ptr());
        let mut hi = _mm_loadu_ps(s.as_ptr().add(4));
        for j in (0..head).step_by(4) {
            let v = _mm_loadu_ps(x.as_ptr().add(j));
            let p = |q: usize| _mm_mul_ps(_mm_loadu_ps(ws[q].as_ptr().add(j)), v);
            lo = add_positions(lo, [p(0), p(1), p(2), p(3)]);
            hi = add_positions(hi, [p(4), p(5), p(6), p(7)]);
        }
        _mm_storeu_ps(s.as_mut_ptr(), lo);
        _mm_storeu_ps(s.as_mut_ptr().add(4), hi);
    }
    head
}

/// [`super::scattered`] in f32: positions `0..head` of the four rows
/// (`head` the largest multiple of four in the first's length, which
/// it gives) added into `s`.
///
/// # Safety
///
/// Every index of `idx` is below `r.len()`.
pub(super) unsafe fn scattered(
    s: &mut [f32],
    ws: [&[f32]; 4],
    idx: [&[u32]; 4],
    r: &[f32],
) -> usize {
    let head = four_rows_head(s, &ws, idx.map(<[u32]>::len));
    // SAFETY: SSE is part of x86-64. Each load of indices is of four
    // from position `j`, `j + 4 <= head`, of a row (each holds `head` or
    // more); each read of `r` is at an index below its length (the
    // caller's promise).
    let gathered = |q: usize, j: usize| unsafe {
        let i = idx[q].as_ptr().add(j);
        let x = |k: usize| *r.get_unchecked(*i.add(k) as usize);
        _mm_setr_ps(x(0), x(1), x(2), x(3))
    };
    four_rows(s, &ws, head, gathered);
    head
}

/// [`super::runs`] in f32: positions `0..head` of the four rows (`head`
/// the largest multiple of four in the first's values, which it gives),
/// four at a time, each row's products one load of its weights times one
/// of its own values, added position after position as in
/// [`transposed`].
pub(super) fn runs(s: &mut [f32], ws: [&[f32]; 4], xs: [&[f32]; 4]) -> usize {
    let head = four_rows_head(s, &ws, xs.map(<[f32]>::len));
    // SAFETY: SSE is part of x86-64. Each load is of four values from
    // position `j`, `j + 4 <= head`, of a row's values (each holds
    // `head` or more).
    let loaded = |q: usize, j: usize| unsafe { _mm_loadu_ps(xs[q].as_ptr().add(j)) };
    four_rows(s, &ws, head, loaded);
    head
}

/// [`super::runs_of_one_length`]: eight rows of `len` synapses, row
/// `q`'s weights from `w.add(ws[q])` and its values from `x.add(xs[q])`,
/// each summed from +0 in its own order. Four positions at a time: rows
/// 0-3 in the low lane of each 256-bit vector, rows 4-7 in the high
/// one, their products turned into positions by [`add_positions`]'
/// transpose in both lanes at once; the last positions one at a time.
///
/// # Safety
///
/// The CPU has AVX, and each of the rows' weights and values holds `len`
/// elements from where it starts.
#[target_feature(enable = "avx")]
pub(super) unsafe fn runs_of_one_length(
    w: *const f32,
    ws: [usize; WIDE],
    x: *const f32,
    xs: [usize; WIDE],
    len: usize,
) -> [f32; WIDE] {
    let head = len / 4 * 4;
    let mut s = [0f32; WIDE];
    // SAFETY: every read is of a row's weights or values at a position
    // below `len` (the caller's promise).
    unsafe {
        let mut acc = _mm256_setzero_ps();
        for j in (0..head).step_by(4) {
            let p = |q: usize| {
                let wv = _mm256_loadu2_m128(w.add(ws[q + 4] + j), w.add(ws[q] + j));
                let xv = _mm256_loadu2_m128(x.add(xs[q + 4] + j), x.add(xs[q] + j));
                _mm256_mul_ps(wv, xv)
            };
            let (p0, p1, p2, p3) = (p(0), p(1), p(2), p(3));
            let t0 = _mm256_unpacklo_ps(p0, p1);
            let t1 = _mm256_unpacklo_ps(p2, p3);
            let t2 = _mm256_unpackhi_ps(p0, p1);
            let t3 = _mm256_unpackhi_ps(p2, p3);
            // Position j, j + 1, j + 2, j + 3 of every row, in order.
            acc = _mm256_add_ps(acc, _mm256_shuffle_ps::<0x44>(t0, t1));
            acc = _mm256_add_ps(acc, _mm256_shuffle_ps::<0xEE>(t0, t1));
            acc = _mm256_add_ps(acc, _mm256_shuffle_ps::<0x44>(t2, t3));
            acc = _mm256_add_ps(acc, _mm256_shuffle_ps::<0xEE>(t2, t3));
        }
        _mm256_storeu_ps(s.as_mut_ptr(), acc);
        for j in head..len {
            for q in 0..WIDE {
                s[q] += *w.add(ws[q] + j) * *x.add(xs[q] + j);
            }
        }
    }
    s
}

/// The positions four rows of these lengths (`lens`, their values') take
/// a vector at a time: the largest multiple of four in the first's,
/// checked to lie in every row's weights and values, `s` holding a sum
/// for each row.
fn four_rows_head(s: &[f32], ws: &[&[f32]; 4], lens: [usize; 4]) -> usize {
    let head = lens[0] / 4 * 4;
    assert!(
        s.len() == 4 && (0..4).all(|q| ws[q].len() >= head && lens[q] >= head),
        "rows of another length"
    );
    head
}

/// `s[q] += ws[q][j] * x(q, j)[j]` over positions `0..head` of four rows,
/// four positions at a time (`x(q, j)`: row `q`'s four values from `j`),
/// each row adding in its own order ([`add_positions`]).
#[inline(always)]
fn four_rows(s: &mut [f32], ws: &[&[f32]; 4], head: usize, x: impl Fn(usize, usize) -> __m128) {
    assert!(
        s.len() == 4 && ws.iter().all(|w| w.len() >= head),
        "rows shorter than head"
    );
    // SAFETY: SSE is part of x86-64. Each load of weights is of four from
    // position `j`, `j + 4 <= head`, of a row that holds `head` or more
    // (checked above); `s` holds four values.
    unsafe {
        let mut sum = _mm_loadu_ps(s.as_ptr());
        for j in (0..head).step_by(4) {
            let p = |q: usize| _mm_mul_ps(_mm_loadu_ps(ws[q].as_ptr().add(j)), x(q, j));
            sum = add_positions(sum, [p(0), p(1), p(2), p(3)]);
        }
        _mm_storeu_ps(s.as_mut_ptr(), sum);
    }
}

/// [`transposed`] in f64: positions `0..head` (`head` the largest even
/// number in `x.len()`, which it gives), two at a time, the rows in
/// pairs: a pair's two products at a position are one vector, added
/// to the pair's running sums.
pub(super) fn transposed64(s: &mut [f64], ws: [&[f64]; WIDE], x: &[f64]) -> usize {
    let head = head(s, &ws, x, 2);
    // SAFETY: SSE2 is part of x86-64. Each load is of two values from
    // position `j`, `j + 2 <= head`, of `x` or a row (all of which
    // hold `head` or more); `s` holds WIDE = 8 values, four vectors.
    unsafe {
        let mut acc: [__m128d; WIDE / 2] =
            std::array::from_fn(|k| _mm_loadu_pd(s.as_ptr().add(2 * k)));
        for j in (0..head).step_by(2) {
            let v = _mm_loadu_pd(x.as_ptr().add(j));
            let p = |q: usize| _mm_mul_pd(_mm_loadu_pd(ws[q].as_ptr().add(j)), v);
            for (k, a) in acc.iter_mut().enumerate() {
                let (p0, p1) = (p(2 * k), p(2 * k + 1));
                *a = _mm_add_pd(*a, _mm_unpacklo_pd(p0, p1));
                *a = _mm_add_pd(*a, _mm_unpackhi_pd(p0, p1));
            }
        }
        for (k, a) in acc.iter().enumerate() {
            _mm_storeu_pd(s.as_mut_ptr().add(2 * k), *a);
        }
    }
    head
}

/// The positions of `x` the vectors of `lanes` take (the largest
/// multiple of `lanes` in its length), checked to lie in every row of
/// `ws`, `s` holding a sum for each.
fn head<T>(s: &[T], ws: &[&[T]; WIDE], x: &[T], lanes: usize) -> usize {
    let head = x.len() / lanes * lanes;
    assert!(
        s.len() == WIDE && ws.iter().all(|w| w.len() >= head),
        "rows shorter than their values"
    );
    head
}

/// `acc` plus four rows' products at four positions (`p[q]` row `q`'s),
/// a position at a time: lane `q` of `acc` adds `p[q][0]`, then
/// `p[q][1]`, ... in that order.
#[inline(always)]
fn add_positions(acc: __m128, p: [__m128; 4]) -> __m128 {
    // SAFETY: SSE is part of x86-64; no memory is touched.
    unsafe {
        let t0 = _mm_unpacklo_ps(p[0], p[1]); // p0[0] p1[0] p0[1] p1[1]
        let t1 = _mm_unpacklo_ps(p[2], p[3]); // p2[0] p3[0] p2[1] p3[1]
        let t2 = _mm_unpackhi_ps(p[0], p[1]); // p0[2] p1[2] p0[3] p1[3]
        let t3 = _mm_unpackhi_ps(p[2], p[3]); // p2[2] p3[2] p2[3] p3[3]
        let acc = _mm_add_ps(acc, _mm_movelh_ps(t0, t1));
        let acc = _mm_add_ps(acc, _mm_movehl_ps(t1, t0));
        let acc = _mm_add_ps(acc, _mm_movelh_ps(t2, t3));
        _mm_add_ps(acc, _mm_movehl_ps(t3, t2))
    }
}

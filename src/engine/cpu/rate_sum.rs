//! `rate_sum`: the weighted sums of a rate-coded projection (CPU twin of the
//! GPU kernel of the same name). One value per post-synaptic neuron, from the
//! pre-synaptic values left by the previous step (or `delay` steps back).
//!
//! Bindings of the general psp program, in order: the synapse's per-synapse
//! slots, then one gathered array per `pre.x`, then one per `post.x`;
//! scalars: t, dt, the network's constants (`super::frame_scalars`), then
//! the projection-wide parameters.

use rayon::prelude::*;

use super::jit::{Bound, Native, RowKinds};
use super::vm::{self, Binder, Program, Src, VmReal};
use crate::lang::ir::{Expr, Locality, SynapseIr};
use crate::network::model::Operation;
use crate::real::{Dtype, Real};

/// The post-synaptic neurons below this count are summed on one thread.
pub(super) const PARALLEL_MIN: usize = 2048;

/// Synapses above which a weighted sum is split across the pool whatever
/// its number of rows (an echo-state reservoir: few rows, long ones).
pub(super) const PARALLEL_SYNAPSES: usize = 1 << 16;

/// Rows of a weighted sum computed side by side.
const ROWS: usize = 4;

/// Rows side by side where they read the same values in order
/// ([`Rows::Dense`], [`Rows::AllButSelf`]): two vectors of four, so that
/// each vector's chain of additions waits on the other's less.
const WIDE: usize = 8;

/// Slot bindings of a synapse model for per-synapse programs.
#[derive(Debug, Clone)]
pub struct SynapseBinding {
    slot: Vec<Src>,
    n_scalars: usize,
    /// The first `pre.x` array (the synapse's own come before).
    pub pre: u16,
    /// The first `post.x` array (the `pre.x` come before).
    pub post: u16,
    /// Number of bound arrays.
    pub n_arrays: usize,
}

impl SynapseBinding {
    /// The binding order documented at the top of this file, in a
    /// network of `n_consts` constants.
    pub fn new(ir: &SynapseIr, n_consts: usize) -> Self {
        let mut slot = Vec::new();
        let (mut a, mut s) = (0u16, 2 + n_consts as u16);
        for v in &ir.vars {
            if v.locality == Locality::Local {
                slot.push(Src::Arr(a));
                a += 1;
            } else {
                slot.push(Src::Scalar(s));
                s += 1;
            }
        }
        let pre = a;
        let post = a + ir.pre_refs.len() as u16;
        SynapseBinding {
            slot,
            n_scalars: s as usize,
            pre,
            post,
            n_arrays: post as usize + ir.post_refs.len(),
        }
    }

    /// Where row code finds each bound array: the synapse's own slots one
    /// a synapse, each `pre.x` as `pre` says, each `post.x` at the row.
    pub fn layout(&self, pre: Bound) -> Vec<Bound> {
        (0..self.n_arrays)
            .map(|a| match a {
                a if a < self.pre as usize => Bound::Each,
                a if a < self.post as usize => pre,
                _ => Bound::Row,
            })
            .collect()
    }
}

impl Binder for SynapseBinding {
    fn leaf(&self, e: &Expr) -> Option<Src> {
        match e {
            Expr::Var(v) => self.slot.get(*v as usize).copied(),
            Expr::Pre(i) => Some(Src::Arr(self.pre + *i as u16)),
            Expr::Post(i) => Some(Src::Arr(self.post + *i as u16)),
            Expr::Time => Some(Src::Scalar(0)),
            Expr::Dt => Some(Src::Scalar(1)),
            Expr::Constant(k) => Some(Src::Scalar(2 + *k as u16)),
            _ => None,
        }
    }

    fn n_scalars(&self) -> usize {
        self.n_scalars
    }
}

/// The compiled psp of a synapse model.
#[derive(Debug, Clone)]
pub struct PspKernel {
    /// Bindings.
    pub binding: SynapseBinding,
    /// The program; its result is in `out`.
    pub prog: Program,
    /// Register with the psp.
    pub out: u16,
    /// The psp as native row code ([`Native::compile_rows`]), where it can
    /// be made ([`PspKernel::compile_rows`]): it stores each synapse's psp
    /// into its first bound array, the program's arrays following it.
    pub native: Option<Native>,
    /// Where the row code finds each of its bound arrays (the psp first).
    pub layout: Vec<Bound>,
    /// The psp's `pre.x`, where the psp is that value as it is (pooling's
    /// `pre.r`): its index among the synapse's `pre.x`.
    pub as_is: Option<u16>,
}

/// Compiles the psp of a synapse model.
pub fn compile_psp(ir: &SynapseIr, n_consts: usize, dtype: Dtype) -> PspKernel {
    let binding = SynapseBinding::new(ir, n_consts);
    let mut prog = Program::in_dtype(dtype);
    let out = prog.to_reg(&ir.psp, &binding);
    PspKernel {
        binding,
        prog,
        out,
        native: None,
        layout: Vec::new(),
        as_is: match ir.psp {
            Expr::Pre(x) => Some(x as u16),
            _ => None,
        },
    }
}

/// The binding of a program that writes one more array, first: the
/// others move up by one.
struct AfterOne<'a>(&'a SynapseBinding);

impl Binder for AfterOne<'_> {
    fn leaf(&self, e: &Expr) -> Option<Src> {
        match self.0.leaf(e)? {
            Src::Arr(a) => Some(Src::Arr(a + 1)),
            other => Some(other),
        }
    }

    fn n_scalars(&self) -> usize {
        self.0.n_scalars()
    }
}

impl PspKernel {
    /// Makes the psp's native row code, which reads each `post.x` at the
    /// row's neuron and each `pre.x` as `pre_bound` says: in place at the
    /// synapse's place in its row ([`Bound::Column`],
    /// [`Bound::ColumnButSelf`]) or at its rank ([`Bound::AtPre`]), all
    /// read at one delay, or gathered into an array a synapse
    /// ([`Bound::Each`]), over rows of the kinds `kinds`
    /// ([`RowKinds::of`] the projection's rows). The same operations as
    /// the interpreted program: the same bits. Left without where native
    /// code cannot be made (`CAJAL_JIT=0`).
    pub fn compile_rows(&mut self, ir: &SynapseIr, pre_bound: Bound, kinds: RowKinds) {
        let b = &self.binding;
        let mut layout = vec![Bound::Each];
        layout.extend(b.layout(pre_bound));
        let mut prog = Program::in_dtype(self.prog.dtype);
        prog.store(0, &ir.psp, None, &AfterOne(b));
        self.native = Native::compile_rows(&prog, &layout, kinds);
        self.layout = layout;
    }
}

/// Evaluates the psp of every synapse into `psp` (general path).
pub fn eval_psp<R: VmReal>(
    k: &PspKernel,
    arrays: &mut [&mut [R]],
    scalars: &[R],
    seed: u64,
    step: u32,
    object: u32,
    psp: &mut [R],
) {
    vm::run_chunks(
        &k.prog,
        arrays,
        scalars,
        seed,
        step,
        object,
        0,
        |regs, off, m| {
            psp[off..off + m].copy_from_slice(&regs.get(k.out)[..m]);
        },
    );
}

/// Combines per-synapse psp into one value per post-synaptic neuron.
pub fn reduce<R: Real>(row_ptr: &[u32], psp: &[R], op: Operation, out: &mut [R]) {
    // One loop for each operation, chosen once.
    match op {
        Operation::Sum | Operation::Mean => reduce_with(row_ptr, psp, op, out, |a, x| a + x),
        Operation::Max => reduce_with(row_ptr, psp, op, out, R::max),
        Operation::Min => reduce_with(row_ptr, psp, op, out, R::min),
    }
}

/// [`reduce`] with `op`'s combination `combine`: each row folded in
/// order from `op`'s start ([`reduce_start`]), [`ROWS`] rows side by
/// side (one row's additions wait on each other; different rows' need
/// not), an empty row 0.
fn reduce_with<R: Real>(
    row_ptr: &[u32],
    psp: &[R],
    op: Operation,
    out: &mut [R],
    combine: impl Fn(R, R) -> R + Sync,
) {
    let start = reduce_start::<R>(op);
    let row = |i: usize| &psp[row_ptr[i] as usize..row_ptr[i + 1] as usize];
    let finish = |acc: R, len: usize| match (len, op) {
        (0, _) => R::ZERO,
        (_, Operation::Mean) => acc / R::of_u32(len as u32),
        _ => acc,
    };
    let f = |(k, o): (usize, &mut [R])| {
        let first = k * ROWS;
        if o.len() == ROWS {
            let rows: [&[R]; ROWS] = std::array::from_fn(|q| row(first + q));
            let common = rows.iter().map(|r| r.len()).min().unwrap_or(0);
            // Cut to the common length, so that the loop's reads need no
            // bounds checks.
            let cut: [&[R]; ROWS] = rows.map(|r| &r[..common]);
            let mut acc = [start; ROWS];
            // `j` is a position in four rows at once.
            #[allow(clippy::needless_range_loop)]
            for j in 0..common {
                for q in 0..ROWS {
                    acc[q] = combine(acc[q], cut[q][j]);
                }
            }
            for q in 0..ROWS {
                for &x in &rows[q][common..] {
                    acc[q] = combine(acc[q], x);
                }
                o[q] = finish(acc[q], rows[q].len());
            }
        } else {
            for (q, o) in o.iter_mut().enumerate() {
                let r = row(first + q);
                *o = finish(r.iter().fold(start, |a, &x| combine(a, x)), r.len());
            }
        }
    };
    if out.len() >= PARALLEL_MIN {
        out.par_chunks_mut(ROWS).enumerate().for_each(f);
    } else {
        out.chunks_mut(ROWS).enumerate().for_each(f);
    }
}

/// Where `op` folds a row from: -0 for a sum (as Rust's `Sum` of floats,
/// so that a row of -0 sums to -0), -inf for a max, +inf for a min.
fn reduce_start<R: Real>(op: Operation) -> R {
    match op {
        Operation::Sum | Operation::Mean => -R::ZERO,
        Operation::Max => -R::of(f64::INFINITY),
        Operation::Min => R::of(f64::INFINITY),
    }
}

/// How a projection's rows hold their pre-synaptic neurons, where the
/// weighted sum need not read the synapses' indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    /// Any neurons: row position `j` is pre neuron `pre_idx[j]`.
    Indexed,
    /// Any neurons, all below this count (checked when made): row
    /// position `j` is pre neuron `pre_idx[j]`, read without a bounds
    /// check from values that hold as many (a random projection's sum:
    /// a third of its loop's instructions were the checks).
    Below(u32),
    /// Every pre-synaptic neuron in order (all-to-all): row position `j` is
    /// pre neuron `j`.
    Dense,
    /// Every neuron of the population but the row's own, in order (an
    /// all-to-all projection of a population onto itself without
    /// self-connections, ANNarchy's default): row `i`'s position `j` is
    /// neuron `j` below `i`, `j + 1` from `i` on.
    AllButSelf,
}

impl Rows {
    /// What the rows `row_ptr` of pre-synaptic neurons `pre_idx` (of a
    /// population of `n_pre`; `onto_itself` where it projects onto itself)
    /// hold, given whether every row holds every neuron (`dense`, as the
    /// engine works it out for its gathers too); checked synapse by synapse
    /// for [`Rows::AllButSelf`]: a sum that skips the indices must read the
    /// same neurons.
    pub fn of(
        dense: bool,
        row_ptr: &[u32],
        pre_idx: &[u32],
        n_pre: usize,
        onto_itself: bool,
    ) -> Rows {
        if dense {
            return Rows::Dense;
        }
        let rows = row_ptr
            .windows(2)
            .map(|r| &pre_idx[r[0] as usize..r[1] as usize]);
        let all_but_self = onto_itself
            && row_ptr.len() == n_pre + 1
            && rows.enumerate().all(|(i, row)| {
                row.len() + 1 == n_pre
                    && row
                        .iter()
                        .enumerate()
                        .all(|(j, &p)| p as usize == if j < i { j } else { j + 1 })
            });
        if all_but_self {
            Rows::AllButSelf
        } else if pre_idx.iter().all(|&p| (p as usize) < n_pre) {
            Rows::Below(n_pre as u32)
        } else {
            Rows::Indexed
        }
    }
}

/// The fast path `sum(w * pre.r)`: `pre_vals(d)` gives the pre-synaptic
/// values seen with a delay of `d` steps. Where `rows` says which
/// pre-synaptic neuron each row position is, the indices are not read:
/// half the memory traffic, and each pre-synaptic value is read once for
/// the rows summed side by side (a reservoir of 1 000 neurons without
/// self-connections: 0.59 s instead of 1.81 for 2 000 steps).
pub fn weighted_sum<'a, R: Real>(
    row_ptr: &[u32],
    pre_idx: &[u32],
    w: &[R],
    delay: Option<&[u32]>,
    rows_are: Rows,
    pre_vals: &(dyn Fn(u32) -> &'a [R] + Sync),
    out: &mut [R],
) {
    let row = |i: usize| row_ptr[i] as usize..row_ptr[i + 1] as usize;
    // `s` plus the synapses `at` of one row, in order, each read through
    // its index: a short last group of rows, and what a row holds past
    // the rows beside it.
    let through_indices = |at: std::ops::Range<usize>, r: &[R], s: R| {
        w[at.clone()]
            .iter()
            .zip(&pre_idx[at])
            .fold(s, |s, (&wt, &j)| s + wt * r[j as usize])
    };
    // Rows that read the pre-synaptic values in order (all but a band of
    // positions, for rows without their own neuron) go `WIDE` at a time
    // through `same_inputs`.
    let in_order = delay.is_none() && matches!(rows_are, Rows::Dense | Rows::AllButSelf);
    let ordered = |(k, o): (usize, &mut [R])| {
        let first = k * WIDE;
        let r = pre_vals(1);
        if o.len() < WIDE {
            for (q, o) in o.iter_mut().enumerate() {
                *o = through_indices(row(first + q), r, R::ZERO);
            }
            return;
        }
        let rows: [_; WIDE] = std::array::from_fn(|q| row(first + q));
        let common = rows.iter().map(|x| x.len()).min().unwrap_or(0);
        let ws: [&[R]; WIDE] = std::array::from_fn(|q| &w[rows[q].start..rows[q].start + common]);
        let mut s = [R::ZERO; WIDE];
        if rows_are == Rows::Dense {
            same_inputs(&mut s, ws, &r[..common]);
        } else {
            // Rows `first..first + WIDE` miss neurons `first..`: below
            // `first` every row reads neuron `j`, from `first + WIDE` on
            // neuron `j + 1`, and in between each row as its own diagonal
            // says; each row still adds in its own order.
            let (lo, hi) = (first.min(common), (first + WIDE).min(common));
            same_inputs(&mut s, ws.map(|x| &x[..lo]), &r[..lo]);
            // `j` is a position in every row at once.
            #[allow(clippy::needless_range_loop)]
            for j in lo..hi {
                for q in 0..WIDE {
                    let p = if j < first + q { j } else { j + 1 };
                    s[q] += ws[q][j] * r[p];
                }
            }
            same_inputs(&mut s, ws.map(|x| &x[hi..]), &r[hi + 1..common + 1]);
        }
        for q in 0..WIDE {
            s[q] = through_indices(rows[q].start + common..rows[q].end, r, s[q]);
        }
        o.copy_from_slice(&s);
    };
    // Each sum runs in synapse order, one addition after the other (the
    // GPU twin's order); four rows side by side let the additions of
    // different rows overlap, where one row alone waits on each.
    let f = |(k, o): (usize, &mut [R])| {
        let first = k * ROWS;
        match delay {
            None => {
                let r = pre_vals(1);
                if o.len() == ROWS {
                    let rows: [_; ROWS] = std::array::from_fn(|q| row(first + q));
                    let common = rows.iter().map(|x| x.len()).min().unwrap_or(0);
                    let mut s = [R::ZERO; ROWS];
                    let ws: [&[R]; ROWS] =
                        std::array::from_fn(|q| &w[rows[q].start..rows[q].start + common]);
                    // Slices of one length: no bounds checks but the
                    // pre-synaptic value's, and not those where every
                    // index is known to be within `r`.
                    let idx: [&[u32]; ROWS] =
                        std::array::from_fn(|q| &pre_idx[rows[q].start..rows[q].start + common]);
                    match rows_are {
                        Rows::Below(n) if r.len() >= n as usize => {
                            // SAFETY (both): every index of `pre_idx` is
                            // below `n` (checked when `rows_are` was made
                            // for these rows), and `r` holds `n` values.
                            let head = unsafe { scattered(&mut s, ws, idx, r) };
                            let at = |j: u32| unsafe { *r.get_unchecked(j as usize) };
                            sum_rows(&mut s, &ws, &idx, head, at);
                        }
                        _ => sum_rows(&mut s, &ws, &idx, 0, |j| r[j as usize]),
                    }
                    for q in 0..ROWS {
                        s[q] = through_indices(rows[q].start + common..rows[q].end, r, s[q]);
                    }
                    o.copy_from_slice(&s);
                } else {
                    for (q, o) in o.iter_mut().enumerate() {
                        *o = through_indices(row(first + q), r, R::ZERO);
                    }
                }
            }
            Some(d) => {
                for (q, o) in o.iter_mut().enumerate() {
                    let mut s = R::ZERO;
                    for at in row(first + q) {
                        s += w[at] * pre_vals(d[at])[pre_idx[at] as usize];
                    }
                    *o = s;
                }
            }
        }
    };
    // Parallel when there are many rows or much to add.
    let work = row_ptr.last().copied().unwrap_or(0) as usize;
    let parallel = out.len() >= PARALLEL_MIN || work >= PARALLEL_SYNAPSES;
    match (in_order, parallel) {
        (true, true) => out.par_chunks_mut(WIDE).enumerate().for_each(ordered),
        (true, false) => out.chunks_mut(WIDE).enumerate().for_each(ordered),
        (false, true) => out.par_chunks_mut(ROWS).enumerate().for_each(f),
        (false, false) => out.chunks_mut(ROWS).enumerate().for_each(f),
    }
}

/// `WIDE` rows' weighted sums of the same values `x` in order: `s[q] +=
/// ws[q][j] * x[j]` for each position `j` of `x` (every row holding as
/// many), each row adding in its own order. On x86-64 four positions of
/// four rows at a time in f32 (two of two in f64): their products are
/// made a row at a time (a load of each row's weights, one of `x`) and
/// turned into a position at a time by a 4x4 (2x2) transpose, so that
/// each row's additions stay in order (the same bits as one at a time)
/// with a vector's rows added at once; the values at `j` are not gathered
/// from eight places (in a neural field's rows, a third of the
/// instructions a synapse).
#[inline]
fn same_inputs<R: Real>(s: &mut [R; WIDE], ws: [&[R]; WIDE], x: &[R]) {
    let n = x.len();
    let ws = ws.map(|w| &w[..n]);
    let head = transposed(s, ws, x);
    for (j, &xj) in x.iter().enumerate().skip(head) {
        for q in 0..WIDE {
            s[q] += ws[q][j] * xj;
        }
    }
}

/// The first positions of [`same_inputs`] through the transposes,
/// giving how many (none but on x86-64).
#[inline]
fn transposed<R: Real>(s: &mut [R; WIDE], ws: [&[R]; WIDE], x: &[R]) -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        let s: &mut [R] = s.as_mut_slice();
        match R::DTYPE {
            Dtype::F32 => sse::transposed(
                bytemuck::cast_slice_mut(s),
                ws.map(bytemuck::cast_slice),
                bytemuck::cast_slice(x),
            ),
            Dtype::F64 => sse::transposed64(
                bytemuck::cast_slice_mut(s),
                ws.map(bytemuck::cast_slice),
                bytemuck::cast_slice(x),
            ),
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (s, ws, x);
        0
    }
}

/// [`same_inputs`]'s and [`scattered`]'s vectors (SSE and SSE2, which
/// every x86-64 has).
#[cfg(target_arch = "x86_64")]
mod sse {
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
        let head = idx[0].len() / 4 * 4;
        assert!(
            s.len() == 4 && (0..4).all(|q| ws[q].len() >= head && idx[q].len() >= head),
            "rows of another length"
        );
        // SAFETY: SSE is part of x86-64. Each load of weights or indices
        // is of four from position `j`, `j + 4 <= head`, of a row (each
        // holds `head` or more); each read of `r` is at an index below its
        // length (the caller's promise); `s` holds four values.
        unsafe {
            let mut sum = _mm_loadu_ps(s.as_ptr());
            for j in (0..head).step_by(4) {
                let p = |q: usize| {
                    let i = idx[q].as_ptr().add(j);
                    let x = |k: usize| *r.get_unchecked(*i.add(k) as usize);
                    let v = _mm_setr_ps(x(0), x(1), x(2), x(3));
                    _mm_mul_ps(_mm_loadu_ps(ws[q].as_ptr().add(j)), v)
                };
                sum = add_positions(sum, [p(0), p(1), p(2), p(3)]);
            }
            _mm_storeu_ps(s.as_mut_ptr(), sum);
        }
        head
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
}

/// The first positions of [`sum_rows`] over four rows of one length
/// (`ws` and `idx` alike), read without bounds checks, giving how many: in
/// f32 on x86-64 four positions at a time, each row's four values
/// gathered into a vector, their products with the row's four weights
/// added a position at a time through [`same_inputs`]'s transpose (a
/// random projection's rows: four rows' weights loaded as four vectors,
/// not sixteen values); elsewhere none.
///
/// # Safety
///
/// Every index of `idx` is below `r.len()`.
#[inline]
unsafe fn scattered<R: Real>(
    s: &mut [R; ROWS],
    ws: [&[R]; ROWS],
    idx: [&[u32]; ROWS],
    r: &[R],
) -> usize {
    #[cfg(target_arch = "x86_64")]
    if R::DTYPE == Dtype::F32 {
        // SAFETY: the caller's promise.
        return unsafe {
            sse::scattered(
                bytemuck::cast_slice_mut(s.as_mut_slice()),
                ws.map(bytemuck::cast_slice),
                idx,
                bytemuck::cast_slice(r),
            )
        };
    }
    let _ = (s, ws, idx, r);
    0
}

/// Four rows' weighted sums side by side over their common length from
/// position `from`, each in its own order: `s[q] += ws[q][j] *
/// r(idx[q][j])`.
#[inline(always)]
fn sum_rows<R: Real>(
    s: &mut [R; ROWS],
    ws: &[&[R]; ROWS],
    idx: &[&[u32]; ROWS],
    from: usize,
    r: impl Fn(u32) -> R,
) {
    for j in from..idx[0].len() {
        for q in 0..ROWS {
            s[q] += ws[q][j] * r(idx[q][j]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{compile_psp, eval_psp, weighted_sum, Rows};
    use crate::engine::cpu::hostile;
    use crate::engine::cpu::jit::{Bound, Ranks, RowKinds};
    use crate::engine::cpu::vm::VmReal;
    use crate::prelude::{Network, Neuron, Synapse, Weights};
    use crate::real::Real;

    /// Sums and means of long rows side by side (groups of four rows of 4
    /// to 13 values, and shorter ones), against each row folded alone
    /// from -0: the same values, in both precisions, over values whose
    /// sums round (so that another order gives other bits) with hostile
    /// ones among them (one in 31: most rows stay finite).
    #[test]
    fn long_rows_reduced_side_by_side_give_each_rows_own_fold() {
        fn check<R: Real>() {
            use crate::network::model::Operation;
            let lens = [9usize, 9, 9, 9, 4, 13, 7, 8, 12, 12, 5, 6, 9, 2];
            let mut row_ptr = vec![0u32];
            for &l in &lens {
                row_ptr.push(row_ptr.last().unwrap() + l as u32);
            }
            let n = *row_ptr.last().unwrap() as usize;
            let psp = rounding::<R>(n, 0x9e37_79b9_7f4a_7c15, 31);
            for op in [Operation::Sum, Operation::Mean] {
                let mut out = vec![R::of(7.0); lens.len()];
                super::reduce(&row_ptr, &psp, op, &mut out);
                for (i, &got) in out.iter().enumerate() {
                    let row = &psp[row_ptr[i] as usize..row_ptr[i + 1] as usize];
                    let sum = row.iter().fold(-R::ZERO, |a, &x| a + x);
                    let want = match op {
                        Operation::Mean => sum / R::of_u32(row.len() as u32),
                        _ => sum,
                    };
                    assert!(
                        same(got, want),
                        "{:?} {op:?} row {i}: {got:?}, alone {want:?}",
                        R::DTYPE
                    );
                }
            }
        }
        check::<f32>();
        check::<f64>();
    }

    /// Rows folded side by side give each row's fold alone, in order, as
    /// Rust's iterators fold it (a sum from -0, so that a row of -0 sums
    /// to -0), bit for bit, over hostile values, rows of every length
    /// from 0, in both precisions.
    #[test]
    fn rows_reduced_side_by_side_give_each_rows_own_fold() {
        fn check<R: Real + VmReal>() {
            use crate::network::model::Operation;
            let values = hostile::<R>();
            let lens = [3usize, 0, 7, 1, 5, 5, 2, 9, 0, 4, 6, 1, 8];
            let mut row_ptr = vec![0u32];
            for &l in &lens {
                row_ptr.push(row_ptr.last().unwrap() + l as u32);
            }
            let n = *row_ptr.last().unwrap() as usize;
            for shift in 0..values.len() {
                let psp: Vec<R> = (0..n)
                    .map(|k| values[(k * 7 + shift) % values.len()])
                    .collect();
                let mut zeros = psp.clone();
                zeros.iter_mut().for_each(|x| *x = -R::ZERO);
                for psp in [&psp, &zeros] {
                    for op in [
                        Operation::Sum,
                        Operation::Mean,
                        Operation::Max,
                        Operation::Min,
                    ] {
                        let mut out = vec![R::of(7.0); lens.len()];
                        super::reduce(&row_ptr, psp, op, &mut out);
                        for (i, &got) in out.iter().enumerate() {
                            let row = &psp[row_ptr[i] as usize..row_ptr[i + 1] as usize];
                            let want = match op {
                                _ if row.is_empty() => R::ZERO,
                                Operation::Sum => row.iter().copied().sum(),
                                Operation::Mean => {
                                    row.iter().copied().sum::<R>() / R::of_u32(row.len() as u32)
                                }
                                Operation::Max => {
                                    row.iter().copied().fold(-R::of(f64::INFINITY), R::max)
                                }
                                Operation::Min => {
                                    row.iter().copied().fold(R::of(f64::INFINITY), R::min)
                                }
                            };
                            assert_eq!(got.bits(), want.bits(), "{op:?} row {i}: {row:?}");
                        }
                    }
                }
            }
        }
        check::<f32>();
        check::<f64>();
    }

    /// Rows are told to hold every neuron but their own only where each
    /// does, in order, of a population onto itself; others hold neurons
    /// below the population's size, or any.
    #[test]
    fn rows_without_the_diagonal_are_told_only_where_they_are() {
        // Three neurons: row i misses neuron i.
        let row_ptr = [0u32, 2, 4, 6];
        let all_but_self = [1u32, 2, 0, 2, 0, 1];
        assert_eq!(
            Rows::of(false, &row_ptr, &all_but_self, 3, true),
            Rows::AllButSelf
        );
        assert_eq!(
            Rows::of(false, &row_ptr, &all_but_self, 3, false),
            Rows::Below(3)
        );
        // An index past the population: read with its bounds checked.
        assert_eq!(
            Rows::of(false, &row_ptr, &all_but_self, 2, false),
            Rows::Indexed
        );
        assert_eq!(
            Rows::of(true, &row_ptr, &all_but_self, 3, true),
            Rows::Dense
        );
        // Row 1 misses neuron 0 instead, or holds its neurons out of order.
        let other = [1u32, 2, 1, 2, 0, 1];
        assert_eq!(Rows::of(false, &row_ptr, &other, 3, true), Rows::Below(3));
        let swapped = [1u32, 2, 2, 0, 0, 1];
        assert_eq!(Rows::of(false, &row_ptr, &swapped, 3, true), Rows::Below(3));
        // A missing row.
        assert_eq!(
            Rows::of(false, &row_ptr[..3], &all_but_self[..4], 3, true),
            Rows::Below(3)
        );
    }

    /// `n_syn` weights and `n` rates from the hostile `values`, mixed with
    /// ordinary ones.
    fn weights_and_rates(values: &[f32], n_syn: usize, n: usize) -> (Vec<f32>, Vec<f32>) {
        let w = (0..n_syn)
            .map(|k| values[(3 * k + 1) % values.len()] * 0.5 + (k % 7) as f32)
            .collect();
        let r = (0..n)
            .map(|i| values[(5 * i) % values.len()] - i as f32)
            .collect();
        (w, r)
    }

    /// Rows that read every pre-synaptic neuron in order (`Rows::Dense`,
    /// `n_pre` of them, rectangular) or every one but their own
    /// (`Rows::AllButSelf`), summed eight side by side, against each row
    /// folded alone from +0 in synapse order: the same values, in both
    /// precisions, over weights and rates whose sums round with hostile
    /// ones among them, for row lengths that leave 0 to 3 positions past
    /// the vectors and groups of rows that leave 0 to 7 past the last
    /// eight.
    #[test]
    fn rows_of_the_same_values_sum_as_each_row_alone() {
        fn check<R: Real>() {
            for (n_post, n_pre) in [
                (1usize, 1usize),
                (3, 5),
                (8, 4),
                (9, 9),
                (16, 13),
                (23, 37),
                (40, 40),
            ] {
                for all_but_self in [false, true] {
                    if all_but_self && n_pre != n_post {
                        continue;
                    }
                    let mut row_ptr = vec![0u32];
                    let mut pre = Vec::new();
                    for i in 0..n_post {
                        pre.extend((0..n_pre as u32).filter(|&j| !all_but_self || j as usize != i));
                        row_ptr.push(pre.len() as u32);
                    }
                    let w = rounding::<R>(pre.len(), 0x2545_f491_4f6c_dd1d, 11);
                    let r = rounding::<R>(n_pre, 3, 11);
                    let rows = Rows::of(!all_but_self, &row_ptr, &pre, n_pre, all_but_self);
                    let want_rows = if all_but_self {
                        Rows::AllButSelf
                    } else {
                        Rows::Dense
                    };
                    assert_eq!(rows, want_rows);
                    sums_as_rows_alone(&row_ptr, &pre, &w, &r, rows, &format!("{n_post}x{n_pre}"));
                }
            }
        }
        check::<f32>();
        check::<f64>();
    }

    /// `weighted_sum` of rows `row_ptr` (pre-synaptic neurons `pre`,
    /// weights `w`, values `r`) read as `rows` says gives each row folded
    /// alone from +0 in synapse order (`what` names the case).
    fn sums_as_rows_alone<R: Real>(
        row_ptr: &[u32],
        pre: &[u32],
        w: &[R],
        r: &[R],
        rows: Rows,
        what: &str,
    ) {
        let vals = |_: u32| r;
        let mut got = vec![R::of(7.0); row_ptr.len() - 1];
        weighted_sum(row_ptr, pre, w, None, rows, &vals, &mut got);
        for (i, g) in got.iter().enumerate() {
            let at = row_ptr[i] as usize..row_ptr[i + 1] as usize;
            let want = w[at.clone()]
                .iter()
                .zip(&pre[at])
                .fold(R::ZERO, |s, (&wt, &j)| s + wt * r[j as usize]);
            assert!(
                same(*g, want),
                "{:?} {rows:?} {what}, row {i}: {g:?} side by side, {want:?} alone",
                R::DTYPE
            );
        }
    }

    /// The same value: the same bits, or both NaN (which NaN an operation
    /// of two NaNs gives depends on the order the compiler puts its
    /// operands in, which Rust leaves open).
    #[allow(clippy::eq_op)]
    fn same<R: Real>(a: R, b: R) -> bool {
        a.bits() == b.bits() || (a != a && b != b)
    }

    /// `count` values whose sums round (of one scale, so that adding them
    /// in another order gives other bits), a hostile one at every
    /// position `k` with `k % every == every - 1`; `seed` picks them.
    fn rounding<R: Real>(count: usize, seed: u64, every: usize) -> Vec<R> {
        let values = hostile::<R>();
        let mut state = seed;
        (0..count)
            .map(|k| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                if k % every == every - 1 {
                    values[(k / every) % values.len()]
                } else {
                    R::of(((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 3.0)
                }
            })
            .collect()
    }

    /// Scattered rows (`Rows::Below`, and the same rows read through
    /// checked indices) of 2 to 20 synapses, groups of four of one length
    /// and of several, repeated neurons among them, against each row
    /// folded alone in synapse order: the same values, in both precisions.
    #[test]
    fn scattered_rows_sum_as_each_row_alone() {
        fn check<R: Real>() {
            let n = 23usize;
            let lengths = [
                9usize, 9, 9, 9, 4, 13, 7, 8, 12, 12, 5, 6, 17, 16, 19, 20, 2,
            ];
            let mut row_ptr = vec![0u32];
            let mut pre = Vec::new();
            for (i, len) in lengths.iter().enumerate() {
                pre.extend((0..*len).map(|k| ((k * 7 + i * 3 + k * k) % n) as u32));
                row_ptr.push(pre.len() as u32);
            }
            let w = rounding::<R>(pre.len(), 17, 29);
            let r = rounding::<R>(n, 5, 11);
            let below = Rows::of(false, &row_ptr, &pre, n, false);
            assert_eq!(below, Rows::Below(n as u32));
            for rows in [below, Rows::Indexed] {
                sums_as_rows_alone(&row_ptr, &pre, &w, &r, rows, "scattered");
            }
        }
        check::<f32>();
        check::<f64>();
    }

    /// The sums of rows that hold every neuron but their own, read without
    /// the indices, against the same rows read through them: the same bits,
    /// for populations that leave a partial last group of rows, hostile
    /// values among the rates and weights.
    #[test]
    fn rows_without_the_diagonal_sum_as_through_their_indices() {
        let values = hostile::<f32>();
        for n in [1usize, 2, 3, 4, 5, 7, 9, 37, 64] {
            let mut row_ptr = vec![0u32];
            let mut pre = Vec::new();
            for i in 0..n {
                pre.extend((0..n as u32).filter(|&j| j as usize != i));
                row_ptr.push(pre.len() as u32);
            }
            let (w, r) = weights_and_rates(&values, pre.len(), n);
            let vals = |_: u32| r.as_slice();
            let (mut fast, mut slow) = (vec![0.0f32; n], vec![0.0f32; n]);
            weighted_sum(&row_ptr, &pre, &w, None, Rows::AllButSelf, &vals, &mut fast);
            weighted_sum(&row_ptr, &pre, &w, None, Rows::Indexed, &vals, &mut slow);
            for (i, (a, b)) in fast.iter().zip(&slow).enumerate() {
                assert!(
                    same(*a, *b),
                    "{n} neurons, row {i}: {a} without indices, {b} with"
                );
            }
        }
    }

    /// Scattered rows read without bounds checks (`Rows::Below`) sum as
    /// with them, bit for bit, rows of 0 to 9 synapses side by side; and
    /// values shorter than the rows were told (the check made for other
    /// values) are read with the checks: an index past them panics.
    #[test]
    fn rows_below_a_size_sum_as_with_their_checks() {
        let values = hostile::<f32>();
        let n = 13usize;
        let lengths = [3usize, 0, 6, 1, 5, 9, 9, 9, 2, 7, 4];
        let mut row_ptr = vec![0u32];
        let mut pre = Vec::new();
        for (i, len) in lengths.iter().enumerate() {
            pre.extend((0..*len).map(|k| ((k * 5 + i * 3) % n) as u32));
            row_ptr.push(pre.len() as u32);
        }
        let (w, r) = weights_and_rates(&values, pre.len(), n);
        let rows = Rows::of(false, &row_ptr, &pre, n, false);
        assert_eq!(rows, Rows::Below(n as u32));
        let vals = |_: u32| r.as_slice();
        let out = lengths.len();
        let (mut fast, mut slow) = (vec![0.0f32; out], vec![0.0f32; out]);
        weighted_sum(&row_ptr, &pre, &w, None, rows, &vals, &mut fast);
        weighted_sum(&row_ptr, &pre, &w, None, Rows::Indexed, &vals, &mut slow);
        for (i, (a, b)) in fast.iter().zip(&slow).enumerate() {
            assert_eq!(a.bits(), b.bits(), "row {i}: {a} unchecked, {b} checked");
        }
        // Four rows of one length (read side by side, no rest), the last
        // neuron in the first.
        let (row_ptr, pre) = (
            [0u32, 3, 6, 9, 12],
            [0u32, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        );
        let short = |_: u32| &r[..n - 1];
        let read = std::panic::catch_unwind(|| {
            let mut o = vec![0.0f32; 4];
            weighted_sum(&row_ptr, &pre, &w[..12], None, rows, &short, &mut o);
        });
        assert!(read.is_err(), "an index past the values must panic");
    }

    /// A psp reading a synapse's own value, `pre.x`, `post.x`, a parameter
    /// and a draw, as native row code and interpreted over gathered
    /// arrays, on hostile values: rows of every pre-synaptic neuron in
    /// order, of every one but the row's own, and of scattered ones (rows
    /// of 3, 0, 6, 1, 5 and 9), `pre.x` read in place, at the synapses'
    /// ranks or gathered as the layout says: every psp must agree bit for bit, in both precisions.
    #[test]
    fn psp_row_code_matches_the_interpreter_bit_for_bit() {
        for (bound, n) in [
            (Bound::Column, 7),
            (Bound::ColumnButSelf, 4),
            (Bound::ColumnButSelf, 10),
            (Bound::Each, 9),
            (Bound::AtPre, 9),
        ] {
            psp_rows_agree::<f32>(bound, n);
            psp_rows_agree::<f64>(bound, n);
        }
    }

    fn psp_rows_agree<R: VmReal>(bound: Bound, n: u32) {
        let syn = Synapse::new()
            .parameters("k = 0.5 : projection")
            .psp("w * (pre.v - post.v) * k + Uniform(0.0, 1e-3) * pre.u");
        let neuron = Neuron::rate()
            .parameters("u = 1.0")
            .equations("v = sum(gap)\n r = v");
        let mut net = Network::new();
        let p = net.population("p", n as usize, &neuron).unwrap();
        net.projection(p, p, "gap")
            .synapse(&syn)
            .connect_all_to_all(Weights::constant(0.25))
            .unwrap();
        let ir = net.projs[0].ir.clone();
        let (row_ptr, pre): (Vec<u32>, Vec<u32>) = match bound {
            Bound::Column => (
                (0..=n).map(|i| i * n).collect(),
                (0..n * n).map(|k| k % n).collect(),
            ),
            Bound::ColumnButSelf => (
                (0..=n).map(|i| i * (n - 1)).collect(),
                (0..n)
                    .flat_map(|i| (0..n).filter(move |&j| j != i))
                    .collect(),
            ),
            _ => (
                vec![0, 3, 3, 9, 10, 15, 24],
                (0..24).map(|k| (k * 5 + 2) % n).collect(),
            ),
        };
        let rows = row_ptr.len() - 1;
        let n_syn = pre.len();
        let row_of = |s: usize| {
            row_ptr
                .windows(2)
                .position(|w| (w[1] as usize) > s)
                .unwrap()
        };
        let mut k = compile_psp(&ir, 0, R::DTYPE);
        k.compile_rows(&ir, bound, RowKinds::of(&row_ptr, R::DTYPE));
        let native = k.native.as_ref().expect("native row code for the psp");
        let b = &k.binding;
        assert_eq!(b.post - b.pre, 2, "pre.v and pre.u");
        let values = hostile::<R>();
        let value = |at: usize, a: usize| values[(at * (a + 2) + a) % values.len()];
        let mut w: Vec<R> = (0..n_syn).map(|s| value(s, 0)).collect();
        let pre_vals: Vec<Vec<R>> = (0..2)
            .map(|a| (0..n as usize).map(|j| value(j, a + 3)).collect())
            .collect();
        let post_v: Vec<R> = (0..rows).map(|i| value(i, 5)).collect();
        let mut gathered: Vec<Vec<R>> = pre_vals
            .iter()
            .map(|v| pre.iter().map(|&j| v[j as usize]).collect())
            .collect();
        gathered.push((0..n_syn).map(|s| post_v[row_of(s)]).collect());
        let scalars = [3.0, 0.1, 0.5].map(R::of);
        let mut fast = vec![R::ZERO; n_syn];
        let mut reads: Vec<&[R]> = Vec::new();
        for (a, v) in pre_vals.iter().enumerate() {
            reads.push(if bound == Bound::Each {
                &gathered[a]
            } else {
                v
            });
        }
        reads.push(&post_v);
        let ranks = Ranks::of(pre.clone());
        native.run_rows(
            &mut [&mut fast, &mut w.clone()],
            &reads,
            &ranks,
            &scalars,
            &row_ptr,
            (9, 2, 4, 0),
        );
        let mut slow = vec![R::ZERO; n_syn];
        let mut arrays: Vec<&mut [R]> = vec![&mut w];
        arrays.extend(gathered.iter_mut().map(|g| g.as_mut_slice()));
        eval_psp(&k, &mut arrays, &scalars, 9, 2, 4, &mut slow);
        for (s, (a, b)) in fast.iter().zip(&slow).enumerate() {
            assert_eq!(
                a.bits(),
                b.bits(),
                "{:?}, {bound:?} of {n}: synapse {s}: {a:?} native, {b:?} interpreted",
                R::DTYPE
            );
        }
    }
}

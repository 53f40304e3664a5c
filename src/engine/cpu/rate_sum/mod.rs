//! `rate_sum`: the weighted sums of a rate-coded projection (CPU twin of the
//! GPU kernel of the same name). One value per post-synaptic neuron, from the
//! pre-synaptic values left by the previous step (or `delay` steps back).
//!
//! Bindings of the general psp program, in order: the synapse's per-synapse
//! slots, then one gathered array per `pre.x`, then one per `post.x`;
//! scalars: t, dt, the network's constants (`super::frame_scalars`), then
//! the projection-wide parameters.

use rayon::prelude::*;

use super::jit::{Bound, Native, RowFold, RowKinds};
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

// A group of `WIDE` rows that does not go eight at a time goes as groups
// of `ROWS` (`weighted_sum`).
const _: () = assert!(WIDE.is_multiple_of(ROWS));

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
    /// into its first bound array, the program's arrays following it; or,
    /// where [`folds`](Self::folds), each row's sum or mean of them.
    pub native: Option<Native>,
    /// The native code folds each row's psps into the row's value itself
    /// ([`Native::compile_row_folds`]): its first bound array is the
    /// rows' output, and [`reduce`] has nothing left to do.
    pub folds: bool,
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
        folds: false,
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
    ///
    /// With `fold` (a sum or a mean, over rows short enough that one
    /// row's additions one after the other cost less than a pass of
    /// [`reduce`] over every psp), the code folds each row's psps into its
    /// value itself, where it can.
    pub fn compile_rows(
        &mut self,
        ir: &SynapseIr,
        pre_bound: Bound,
        kinds: RowKinds,
        fold: Option<RowFold>,
    ) {
        let b = &self.binding;
        let mut layout = vec![Bound::Each];
        layout.extend(b.layout(pre_bound));
        let mut prog = Program::in_dtype(self.prog.dtype);
        prog.store(0, &ir.psp, None, &AfterOne(b));
        let folded = fold.and_then(|f| {
            let mut rows = layout.clone();
            rows[0] = Bound::Row;
            Some((Native::compile_row_folds(&prog, &rows, kinds, f)?, rows))
        });
        self.folds = folded.is_some();
        (self.native, self.layout) = match folded {
            Some((native, rows)) => (Some(native), rows),
            None => (Native::compile_rows(&prog, &layout, kinds), layout),
        };
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

/// The widest row whose psps the native code folds as it computes them
/// ([`fold_of`]): one row's additions wait on each other, where
/// [`reduce`] adds four rows side by side, so long rows keep the pass.
/// Gap junctions' rows of nine spent more in that pass, a tenth of the
/// notebook's step, than in their additions.
pub const FOLD_ROWS: u32 = 32;

/// How the native psp code folds the rows of `row_ptr` for `op`
/// ([`PspKernel::compile_rows`]): a sum or a mean where no row is wider
/// than [`FOLD_ROWS`]; `None` otherwise, and for a max or a min.
pub fn fold_of(op: Operation, row_ptr: &[u32]) -> Option<RowFold> {
    let fold = match op {
        Operation::Sum => RowFold::Sum,
        Operation::Mean => RowFold::Mean,
        Operation::Max | Operation::Min => return None,
    };
    let narrow = row_ptr
        .windows(2)
        .all(|w| w[1].wrapping_sub(w[0]) <= FOLD_ROWS);
    narrow.then_some(fold)
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
    /// Consecutive neurons from each row's first, all below this count
    /// (checked when made): row position `j` is pre neuron `pre_idx[j]`,
    /// which is the row's first plus `j`, so a row's values are read in
    /// order, without their indices (a projection from a slice of a
    /// population; structural plasticity's rows once they fill their
    /// half of the population: the weighted sum was 4.5 instructions a
    /// synapse, most of them the gather).
    Runs(u32),
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
        let runs = || {
            row_ptr.windows(2).all(|r| {
                let row = &pre_idx[r[0] as usize..r[1] as usize];
                row.windows(2).all(|p| p[0].checked_add(1) == Some(p[1]))
                    && row.last().is_none_or(|&p| (p as usize) < n_pre)
            })
        };
        if all_but_self {
            Rows::AllButSelf
        } else if !pre_idx.is_empty() && runs() {
            Rows::Runs(n_pre as u32)
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
                        Rows::Runs(n) if r.len() >= n as usize => {
                            // Each row's values in order from its first
                            // neuron's (every one below `n`, checked when
                            // `rows_are` was made).
                            let xs: [&[R]; ROWS] = std::array::from_fn(|q| {
                                let from = idx[q].first().map_or(0, |&j| j as usize);
                                &r[from..from + idx[q].len()]
                            });
                            let head = runs(&mut s, ws, xs);
                            // SAFETY: as for `Rows::Below`.
                            let at = |j: u32| unsafe { *r.get_unchecked(j as usize) };
                            sum_rows(&mut s, &ws, &idx, head, at);
                        }
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
    // Eight rows of consecutive neurons, all of one length, go through
    // `runs_of_one_length` where it runs; any others four by four.
    let r1 = (delay.is_none() && matches!(rows_are, Rows::Runs(_))).then(|| pre_vals(1));
    let wide = |(k, o): (usize, &mut [R])| {
        let first = k * WIDE;
        if let (Some(r), WIDE) = (r1, o.len()) {
            let rows: [_; WIDE] = std::array::from_fn(|q| row(first + q));
            if let Some(s) = runs_of_one_length(rows_are, &rows, w, pre_idx, r) {
                o.copy_from_slice(&s);
                return;
            }
        }
        for (h, o) in o.chunks_mut(ROWS).enumerate() {
            f((first / ROWS + h, o));
        }
    };
    // Parallel when there are many rows or much to add.
    let work = row_ptr.last().copied().unwrap_or(0) as usize;
    let parallel = out.len() >= PARALLEL_MIN || work >= PARALLEL_SYNAPSES;
    match (in_order, parallel) {
        (true, true) => out.par_chunks_mut(WIDE).enumerate().for_each(ordered),
        (true, false) => out.chunks_mut(WIDE).enumerate().for_each(ordered),
        (false, true) => out.par_chunks_mut(WIDE).enumerate().for_each(wide),
        (false, false) => out.chunks_mut(WIDE).enumerate().for_each(wide),
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

#[cfg(target_arch = "x86_64")]
mod sse;

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

/// The first positions of four rows of [`Rows::Runs`] side by side
/// (`s[q] += ws[q][j] * xs[q][j]`, each row in its own order), giving
/// how many: on x86-64 in f32 four positions of the four rows at a time,
/// [`sse::transposed`]'s way with a load of each row's own values; none
/// elsewhere.
#[inline]
fn runs<R: Real>(s: &mut [R; ROWS], ws: [&[R]; ROWS], xs: [&[R]; ROWS]) -> usize {
    #[cfg(target_arch = "x86_64")]
    if R::DTYPE == Dtype::F32 {
        return sse::runs(
            bytemuck::cast_slice_mut(s.as_mut_slice()),
            ws.map(bytemuck::cast_slice),
            xs.map(bytemuck::cast_slice),
        );
    }
    let _ = (s, ws, xs);
    0
}

/// The sums of eight rows of [`Rows::Runs`] (`rows_are`) of one length,
/// `rows` their synapses, where the CPU has AVX and the precision is f32:
/// four positions of the eight at a time, in two lanes of four rows
/// (`sse::runs_of_one_length`), each row adding in its own order (the
/// same bits as four rows at a time): structural plasticity's full rows
/// (fifty synapses) in 0.080 ns a synapse where four rows of SSE took
/// 0.096, on the 2-core Zen 5 VM of BENCHMARKS.md. `None`
/// elsewhere, and for rows of several lengths.
#[inline]
fn runs_of_one_length<R: Real>(
    rows_are: Rows,
    rows: &[std::ops::Range<usize>; WIDE],
    w: &[R],
    pre_idx: &[u32],
    r: &[R],
) -> Option<[R; WIDE]> {
    #[cfg(target_arch = "x86_64")]
    if let (Dtype::F32, Rows::Runs(n)) = (R::DTYPE, rows_are) {
        let len = rows[0].len();
        if !std::arch::is_x86_feature_detected!("avx")
            || r.len() < n as usize
            || rows.iter().any(|x| x.len() != len || x.end > w.len())
        {
            return None;
        }
        // Each row's values from its first neuron's (in `r`: checked).
        // In a loop: an array's `map` here was a call of its own, a
        // seventh of the sums' time.
        let (mut starts, mut firsts) = ([0usize; WIDE], [0usize; WIDE]);
        for q in 0..WIDE {
            starts[q] = rows[q].start;
            if len > 0 {
                firsts[q] = pre_idx[rows[q].start] as usize;
            }
            if firsts[q] + len > r.len() {
                return None;
            }
        }
        // SAFETY: the CPU has AVX (checked); each row's `len` weights
        // from its start lie in `w` and its `len` values from its first
        // in `r` (both checked above).
        let s = unsafe {
            sse::runs_of_one_length(
                bytemuck::cast_slice(w).as_ptr(),
                starts,
                bytemuck::cast_slice(r).as_ptr(),
                firsts,
                len,
            )
        };
        let mut out = [R::ZERO; WIDE];
        for (o, x) in out.iter_mut().zip(s) {
            *o = R::of32(x);
        }
        return Some(out);
    }
    let _ = (rows_are, rows, w, pre_idx, r);
    None
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
mod tests;

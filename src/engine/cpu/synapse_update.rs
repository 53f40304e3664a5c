//! `synapse_update`: the learning rule of a rate-coded projection, run for
//! every synapse after the neurons updated (CPU twin of the GPU kernel of
//! the same name).
//!
//! Bindings, as the psp program's (`rate_sum/`): the synapse's
//! per-synapse slots, then one array per `pre.x` and per `post.x` (the
//! values the neurons have just computed); scalars: t, dt, the network's
//! constants, then the projection-wide parameters.
//!
//! Native code runs the rule row by row ([`Native::compile_rows`]): a
//! `post.x` is read at the row's neuron and a `pre.x` of a projection
//! whose rows hold every pre-synaptic neuron in order (or every one but
//! the row's own) at the synapse's place in its row, from the neurons' own
//! arrays; other `pre.x` are gathered into an array a synapse first. What depends only on the row
//! (the equations of `: projection` and `: postsynaptic` variables) is
//! computed once a row, as ANNarchy computes them once a post-synaptic
//! neuron, and every synapse keeps its copy, as on the GPU, which computes
//! them at every synapse: the same operations on the same values, the same
//! bits.
//!
//! The interpreter reads every `pre.x` and `post.x` gathered an element a
//! synapse; where rows are long enough ([`ROW_MIN`]) it runs the shared
//! variables' equations on each row's first synapse and copies their
//! values over the row, then the rest of the rule at every synapse.

use super::jit::{Bound, Native, Ranks, RowKinds, RowPtr};
use super::rate_sum::SynapseBinding;
use super::vm::{self, Binder, Program, Src, VmReal};
use crate::lang::ir::{Expr, Stmt, SynapseIr};
use crate::real::Dtype;

/// The compiled learning rule of a synapse model.
#[derive(Debug, Clone)]
pub struct LearnKernel {
    /// Bindings.
    pub binding: SynapseBinding,
    /// The program (what runs at every synapse).
    pub prog: Program,
    /// The program without its assignments to `w` (a spiking synapse's
    /// equations while learning is off).
    pub frozen: Program,
    /// The programs as native row code ([`Native::compile_rows`]), where
    /// it can be made: run by [`synapse_rows`], else the programs are
    /// interpreted by [`synapse_update`].
    pub native: Option<RowCode>,
    /// Per bound array: whether any of the programs reads it (the gathered
    /// `pre.x` and `post.x` that only events read need no gathering).
    pub reads: Vec<bool>,
    /// The equations run once a row, where the rule has shared variables
    /// and is interpreted.
    pub rows: Option<RowPart>,
    /// Where the native code finds each bound array: a `pre.x` or `post.x`
    /// it reads in place ([`Bound::Column`], [`Bound::Row`]) is not
    /// gathered.
    pub layout: Vec<Bound>,
    /// What the kernel was made from besides the rule, to make it again
    /// interpreted ([`LearnKernel::prepare_frozen`]).
    made: (usize, bool, Bound),
}

/// A rule's native row code.
#[derive(Debug, Clone)]
pub struct RowCode {
    /// The whole rule.
    pub all: Native,
    /// The rule without its assignments to `w`: made the first time
    /// learning is off at a step ([`LearnKernel::prepare_frozen`]), as
    /// most runs never turn it off and each program's code costs as much
    /// compiling.
    pub without_w: Option<Native>,
    /// The kinds of rows the code runs.
    pub kinds: RowKinds,
}

impl LearnKernel {
    /// Makes the rule's code without its assignments to `w` where the
    /// kernel is native and has none yet: to be called before a step that
    /// runs [`synapse_rows`] with `freeze_w`. Where that code cannot be
    /// made, the kernel becomes interpreted as a whole (`ir` is the rule's,
    /// as given to [`compile`]).
    pub fn prepare_frozen(&mut self, ir: &SynapseIr) {
        let Some(code) = &mut self.native else {
            return;
        };
        if code.without_w.is_some() {
            return;
        }
        code.without_w = Native::compile_rows(&self.frozen, &self.layout, code.kinds);
        if code.without_w.is_none() {
            let (n_consts, by_row, pre) = self.made;
            *self = interpreted(ir, n_consts, self.prog.dtype, by_row, pre);
        }
    }
}

/// The equations of a rule's `: projection` and `: postsynaptic`
/// variables, run once a row of synapses (those onto one post-synaptic
/// neuron) before the rest.
#[derive(Debug, Clone)]
pub struct RowPart {
    /// The program, over one element a row.
    pub prog: Program,
    /// The bound arrays it reads or writes: one element a row of each is
    /// made for it.
    pub used: Vec<u16>,
    /// The bound arrays it writes (the shared variables' slots), copied
    /// over their rows afterwards.
    pub written: Vec<u16>,
}

/// Synapses a row must have on average for a rule's shared equations to
/// run once a row by the interpreter: below, the extra call and copies
/// cost more than the arithmetic they save (measured with the native code
/// of before row code: Ramp's rows of 100 synapses took 1.90 us a step
/// instead of 1.80; SORF's of 1 024 gained).
pub const ROW_MIN: usize = 256;

/// Compiles the learning rule (`ir.update`, not empty) for a projection
/// whose rows hold pre-synaptic neurons as `pre` says ([`Bound::Column`]
/// where each holds every one in order, [`Bound::ColumnButSelf`] every one
/// but its own, else [`Bound::Each`]): as row code where native code can
/// be made (a row's shared values computed once, `pre.x` of those first
/// two and every `post.x` read in place; `pre.x` of others at the
/// synapses' ranks) for rows of the kinds `kinds` ([`RowKinds::of`] the
/// projection's rows), else with `by_row` its shared variables' equations
/// once a row where the rule allows it (see [`ROW_MIN`]), else every
/// equation at every synapse.
pub fn compile(
    ir: &SynapseIr,
    n_consts: usize,
    dtype: Dtype,
    by_row: bool,
    pre: Bound,
    kinds: RowKinds,
) -> LearnKernel {
    make(ir, n_consts, dtype, by_row, pre, Some(kinds))
}

/// As [`compile`], without native code (the interpreter's kernel, which
/// [`compile`] makes where no native code can be made).
pub fn interpreted(
    ir: &SynapseIr,
    n_consts: usize,
    dtype: Dtype,
    by_row: bool,
    pre: Bound,
) -> LearnKernel {
    make(ir, n_consts, dtype, by_row, pre, None)
}

fn make(
    ir: &SynapseIr,
    n_consts: usize,
    dtype: Dtype,
    by_row: bool,
    pre_in_place: Bound,
    native: Option<RowKinds>,
) -> LearnKernel {
    let made = (n_consts, by_row, pre_in_place);
    let binding = SynapseBinding::new(ir, n_consts);
    let n = binding.n_arrays;
    let layout = binding.layout(pre_in_place);
    let slot_array = |var: u32| match binding.leaf(&Expr::Var(var)) {
        Some(Src::Arr(a)) => a,
        // Analysis declares every assigned synapse variable per synapse.
        _ => unreachable!("store to a projection-wide slot"),
    };
    let program = |stmts: &[Stmt], skip: Option<u32>| {
        let mut prog = Program::in_dtype(dtype);
        for s in stmts {
            match s {
                Stmt::Let { temp, expr } => prog.let_temp(*temp, expr, &binding),
                Stmt::Store { var, .. } if Some(*var) == skip => {}
                Stmt::Store { var, expr, .. } => prog.store(slot_array(*var), expr, None, &binding),
            }
        }
        prog
    };
    let reads_of = |progs: &[&Program]| -> Vec<bool> {
        let mut reads = vec![false; n];
        for p in progs {
            for (x, y) in reads.iter_mut().zip(vm::arrays_read(p, n)) {
                *x |= y;
            }
        }
        reads
    };
    let (prog, frozen) = (program(&ir.update, None), program(&ir.update, ir.slot("w")));
    let rows_code = |kinds| {
        Native::compile_rows(&prog, &layout, kinds).map(|all| RowCode {
            all,
            without_w: None,
            kinds,
        })
    };
    if let Some(native) = native.and_then(rows_code) {
        return LearnKernel {
            reads: reads_of(&[&prog, &frozen]),
            prog,
            frozen,
            native: Some(native),
            rows: None,
            layout,
            binding,
            made,
        };
    }
    // Interpreted: the shared equations once a row where worth it.
    let split = if by_row { row_split(ir) } else { 0 };
    let (head, tail) = ir.update.split_at(split);
    let rows = (split > 0).then(|| {
        let prog = program(head, None);
        let written: Vec<u16> = head
            .iter()
            .filter_map(|s| match s {
                Stmt::Store { var, .. } => Some(slot_array(*var)),
                Stmt::Let { .. } => None,
            })
            .collect();
        let used = vm::arrays_read(&prog, n)
            .into_iter()
            .enumerate()
            .filter(|&(a, read)| read || written.contains(&(a as u16)))
            .map(|(a, _)| a as u16)
            .collect();
        RowPart {
            prog,
            used,
            written,
        }
    });
    let (prog, frozen) = (program(tail, None), program(tail, ir.slot("w")));
    let mut parts = vec![&prog, &frozen];
    parts.extend(rows.as_ref().map(|r| &r.prog));
    LearnKernel {
        reads: reads_of(&parts),
        prog,
        frozen,
        native: None,
        rows,
        layout,
        binding,
        made,
    }
}

/// How many of the rule's first statements compute its shared variables
/// and can run once a row: up to the first store to a per-synapse variable
/// (the temporaries just before it are its own), none if the rest reads
/// one of their temporaries or stores a shared variable itself (analysis
/// orders the shared equations first; this keeps the rule whole if not).
fn row_split(ir: &SynapseIr) -> usize {
    let shared = |s: &Stmt| matches!(s, Stmt::Store { var, .. } if ir.vars[*var as usize].shared);
    let stmts = &ir.update;
    let mut split = stmts
        .iter()
        .position(|s| matches!(s, Stmt::Store { .. }) && !shared(s))
        .unwrap_or(stmts.len());
    while split > 0 && matches!(stmts[split - 1], Stmt::Let { .. }) {
        split -= 1;
    }
    let (head, tail) = stmts.split_at(split);
    let temps: Vec<u32> = head
        .iter()
        .filter_map(|s| match s {
            Stmt::Let { temp, .. } => Some(*temp),
            Stmt::Store { .. } => None,
        })
        .collect();
    let mut reads_temp = false;
    for s in tail {
        let (Stmt::Let { expr, .. } | Stmt::Store { expr, .. }) = s;
        expr.walk(&mut |e| reads_temp |= matches!(e, Expr::Temp(t) if temps.contains(t)));
    }
    if !head.iter().any(shared) || reads_temp || tail.iter().any(shared) {
        return 0;
    }
    split
}

/// Interprets the rule over every synapse (`arrays` bound as documented above,
/// the synapses sorted by post-synaptic neuron, row `i` from `row_ptr[i]`
/// to `row_ptr[i + 1]`); with `freeze_w`, all but its assignments to `w`.
/// `scratch` keeps the arrays of one element a row between calls.
#[allow(clippy::too_many_arguments)]
pub fn synapse_update<R: VmReal>(
    k: &LearnKernel,
    freeze_w: bool,
    arrays: &mut [&mut [R]],
    row_ptr: &[u32],
    scratch: &mut Vec<Vec<R>>,
    scalars: &[R],
    seed: u64,
    step: u32,
    object: u32,
) {
    if let Some(rows) = &k.rows {
        by_row(
            rows,
            arrays,
            row_ptr,
            scratch,
            scalars,
            (seed, step, object),
        );
    }
    let prog = if freeze_w { &k.frozen } else { &k.prog };
    vm::run_chunks(prog, arrays, scalars, seed, step, object, 0, |_, _, _| {});
}

/// Runs the rule's native row code (`k.native`) over every row of
/// `row_ptr`: `own` the synapse's per-synapse slots, `reads` its `pre.x`
/// and `post.x` bound as `k.layout` says (in place or gathered); with
/// `freeze_w`, all but its assignments to `w`.
#[allow(clippy::too_many_arguments)]
pub fn synapse_rows<R: VmReal>(
    k: &LearnKernel,
    freeze_w: bool,
    own: &mut [&mut [R]],
    reads: &[&[R]],
    ranks: &Ranks,
    row_ptr: &RowPtr,
    scalars: &[R],
    seed: u64,
    step: u32,
    object: u32,
) {
    let code = k.native.as_ref().expect("row code is native");
    let native = match freeze_w {
        true => code.without_w.as_ref().expect("prepare_frozen before"),
        false => &code.all,
    };
    native.run_rows(own, reads, ranks, scalars, row_ptr, (seed, step, object, 0));
}

/// The shared variables' equations on each non-empty row's first synapse,
/// their values then copied over the row.
fn by_row<R: VmReal>(
    rows: &RowPart,
    arrays: &mut [&mut [R]],
    row_ptr: &[u32],
    scratch: &mut Vec<Vec<R>>,
    scalars: &[R],
    (seed, step, object): (u64, u32, u32),
) {
    let firsts = row_ptr
        .windows(2)
        .filter(|w| w[1] > w[0])
        .map(|w| w[0] as usize);
    let n = firsts.clone().count();
    if n == 0 {
        return;
    }
    // Every bound array has a row copy (the code is given all of them);
    // only those the part uses are filled.
    scratch.resize_with(arrays.len(), Vec::new);
    for v in scratch.iter_mut() {
        v.resize(n, R::ZERO);
    }
    for &a in &rows.used {
        let (src, dst) = (&arrays[a as usize], &mut scratch[a as usize]);
        for (d, i) in dst.iter_mut().zip(firsts.clone()) {
            *d = src[i];
        }
    }
    let mut compact: Vec<&mut [R]> = scratch.iter_mut().map(|v| &mut v[..n]).collect();
    // Shared variables draw no random numbers (analysis refuses them):
    // the key is the rows' own.
    vm::run_chunks(
        &rows.prog,
        &mut compact,
        scalars,
        seed,
        step,
        object,
        0,
        |_, _, _| {},
    );
    for &a in &rows.written {
        let (src, dst) = (&compact[a as usize], &mut arrays[a as usize]);
        let filled = row_ptr.windows(2).filter(|w| w[1] > w[0]);
        for (&x, w) in src.iter().zip(filled) {
            dst[w[0] as usize..w[1] as usize].fill(x);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Bound, RowKinds, RowPtr};
    use crate::connect::Weights;
    use crate::engine::cpu::hostile;
    use crate::engine::cpu::vm::VmReal;
    use crate::lang::ir::Locality;
    use crate::network::model::{Neuron, Synapse};
    use crate::network::Network;

    /// A learning rule over hostile values as native row code and
    /// interpreted at every synapse, with `w` learning and frozen: on a
    /// dense projection (rows of 7 pre-synaptic neurons read in place: a
    /// partial last vector a row), on rows of every neuron but the row's
    /// own (ANNarchy's all-to-all onto itself: rows of 1, 3, 6 and 9, read
    /// in place, skipping the row's neuron) and on rows of 3, 0, 6, 1, 5
    /// and 9 synapses from scattered pre-synaptic neurons (gathered, or
    /// read at their ranks),
    /// `post.x` read at the row's neuron: every value must agree bit for
    /// bit, in both precisions. The rule has shared variables (computed
    /// once a row by the row code; one an ODE reading its own slot), a
    /// draw, a condition and bounds.
    #[test]
    fn row_code_matches_the_interpreter_bit_for_bit() {
        let cases = [
            (Bound::Column, 7),
            (Bound::Each, 0),
            (Bound::AtPre, 0),
            (Bound::Consecutive, 0),
            (Bound::ColumnButSelf, 2),
            (Bound::ColumnButSelf, 4),
            (Bound::ColumnButSelf, 7),
            (Bound::ColumnButSelf, 10),
        ];
        for (pre_bound, n_pre) in cases {
            // Code that loads the table's values at each vector, and once.
            // The plain code and the wide (`engine::cpu::wide`).
            for hoist in [false, true] {
                for wide in [false, true] {
                    rows_agree::<f32>(pre_bound, n_pre, hoist, wide);
                    rows_agree::<f64>(pre_bound, n_pre, hoist, wide);
                }
            }
        }
    }

    fn rows_agree<R: VmReal>(pre_bound: Bound, n_pre: usize, hoist: bool, wide: bool) {
        let syn = Synapse::new()
            .parameters("eta = 0.01 : projection\ntau = 20.0 : projection\nRt = 0.4 : projection")
            .equations(
                "c = eta * t + dt : projection
                 tau * dtheta/dt = post.r^2 - theta : postsynaptic, exponential
                 R = post.r * 2.0 : postsynaptic
                 K = R / (tau * (1.0 + fabs(1.0 - R / Rt) * c)) : postsynaptic
                 tau * dx/dt = pre.r * post.r - x : exponential
                 dw/dt = if x > K: eta * pre.r * (post.r - theta) * K + c else: -eta * w + Uniform(0.0, 1e-3) : min = 0.0, max = 1.0",
            );
        let neuron = Neuron::rate().equations("r = sum(exc)");
        let mut net = Network::new();
        let p = net.population("p", 9, &neuron).unwrap();
        let q = net.population("q", 6, &neuron).unwrap();
        net.projection(p, q, "exc")
            .synapse(&syn)
            .connect_all_to_all(Weights::constant(0.25))
            .unwrap();
        let ir = net.projs[0].ir.clone();
        let (row_ptr, pre): (Vec<u32>, Vec<u32>) = match pre_bound {
            Bound::Column => {
                let rows = (0..=6).map(|i| i * n_pre as u32).collect();
                (
                    rows,
                    (0..6 * n_pre as u32).map(|k| k % n_pre as u32).collect(),
                )
            }
            Bound::ColumnButSelf => {
                let rows = (0..=n_pre as u32).map(|i| i * (n_pre as u32 - 1)).collect();
                let pre = (0..n_pre as u32)
                    .flat_map(|i| (0..n_pre as u32).filter(move |&j| j != i))
                    .collect();
                (rows, pre)
            }
            Bound::Consecutive => {
                // Rows of 3, 0, 6, 1, 5 and 9 neurons in a row, from
                // their first.
                let rows: Vec<u32> = vec![0, 3, 3, 9, 10, 15, 24];
                let firsts = [2, 0, 0, 7, 4, 0];
                let pre = rows
                    .windows(2)
                    .zip(firsts)
                    .flat_map(|(w, f)| (0..w[1] - w[0]).map(move |k| f + k))
                    .collect();
                (rows, pre)
            }
            _ => {
                let rows = vec![0, 3, 3, 9, 10, 15, 24];
                (rows, (0..24).map(|k| (k * 5 + 2) % 9).collect())
            }
        };
        let kinds = RowKinds {
            hoist,
            ..RowKinds::of(&row_ptr, R::DTYPE)
        };
        let mut k = super::compile(&ir, 0, R::DTYPE, true, pre_bound, kinds);
        assert!(k.native.is_some(), "native row code for the rule");
        k.prepare_frozen(&ir);
        if let Some(code) = k.native.as_mut().filter(|_| wide) {
            code.all = code.all.pinned_wide().expect("wide code");
            code.without_w = code.without_w.take().and_then(|c| c.pinned_wide());
            assert!(code.without_w.is_some(), "wide code without w");
        }
        let first = k.binding.pre as usize;
        assert!(k.layout[first..k.binding.post as usize]
            .iter()
            .all(|&b| b == pre_bound));
        assert!(k.layout[k.binding.post as usize..]
            .iter()
            .all(|&b| b == Bound::Row));
        let whole = super::interpreted(&ir, 0, R::DTYPE, false, pre_bound);
        assert!(whole.native.is_none() && whole.rows.is_none());
        let n_syn = pre.len();
        let ranks = crate::engine::cpu::jit::Ranks::of(pre.clone());
        let row_of = |s: usize| {
            row_ptr
                .windows(2)
                .position(|w| (w[1] as usize) > s)
                .unwrap()
        };
        let values = hostile::<R>();
        let value = |at: usize, a: usize| values[(at * (a + 2) + a) % values.len()];
        let (n_pre_refs, n_post_refs) = (ir.pre_refs.len(), ir.post_refs.len());
        // The neurons' own values, and the same gathered a synapse.
        let pre_vals: Vec<Vec<R>> = (0..n_pre_refs)
            .map(|a| (0..10).map(|j| value(j, a + 3)).collect())
            .collect();
        let post_vals: Vec<Vec<R>> = (0..n_post_refs)
            .map(|a| (0..10).map(|i| value(i, a + 5)).collect())
            .collect();
        let mut gathered: Vec<Vec<R>> = pre_vals
            .iter()
            .map(|v| pre.iter().map(|&j| v[j as usize]).collect())
            .collect();
        gathered.extend(
            post_vals
                .iter()
                .map(|v| (0..n_syn).map(|s| v[row_of(s)]).collect()),
        );
        let mut reads: Vec<&[R]> = Vec::new();
        for (a, v) in pre_vals.iter().enumerate() {
            reads.push(match pre_bound {
                Bound::Each => &gathered[a],
                Bound::AtPre | Bound::Consecutive => v,
                _ => &v[..n_pre],
            });
        }
        reads.extend(post_vals.iter().map(|v| v.as_slice()));
        let own = || -> Vec<Vec<R>> {
            (0..first)
                .map(|a| (0..n_syn).map(|s| value(s, a)).collect())
                .collect()
        };
        for freeze_w in [false, true] {
            let (mut a, mut b) = (own(), own());
            for step in 0..3u32 {
                let scalars = [f64::from(step), 0.5, 0.01, 20.0, 0.4].map(R::of);
                let mut va: Vec<_> = a.iter_mut().map(|x| x.as_mut_slice()).collect();
                super::synapse_rows(
                    &k,
                    freeze_w,
                    &mut va,
                    &reads,
                    &ranks,
                    &RowPtr::new(row_ptr.to_vec()),
                    &scalars,
                    9,
                    step,
                    4,
                );
                let mut refs = gathered.clone();
                let mut vb: Vec<_> = b.iter_mut().map(|x| x.as_mut_slice()).collect();
                vb.extend(refs.iter_mut().map(|x| x.as_mut_slice()));
                let s = &mut Vec::new();
                super::synapse_update(&whole, freeze_w, &mut vb, &row_ptr, s, &scalars, 9, step, 4);
                for (v, (x, y)) in a.iter().zip(&b).enumerate() {
                    for (s, (x, y)) in x.iter().zip(y).enumerate() {
                        assert_eq!(
                            x.bits(),
                            y.bits(),
                            "{:?}, {pre_bound:?} of {n_pre}: array {v}, synapse {s}, step {step}, frozen {freeze_w}: {x:?} native, {y:?} interpreted",
                            R::DTYPE
                        );
                    }
                }
            }
        }
    }

    /// A rule with `: projection` and `: postsynaptic` variables (an ODE
    /// among them, reading its own value), its shared equations once a row
    /// against the whole rule at every synapse, interpreted,
    /// over rows of different lengths (an empty one among them), from
    /// values that are equal within a row where the rule makes them so:
    /// every value must agree bit for bit, in both precisions.
    #[test]
    fn shared_equations_once_a_row_match_the_rule_at_every_synapse() {
        by_row_agrees::<f32>();
        by_row_agrees::<f64>();
    }

    fn by_row_agrees<R: VmReal>() {
        let syn = Synapse::new()
            .parameters("eta = 0.01 : projection\ntau = 20.0 : projection\nRt = 0.4 : projection")
            .equations(
                "c = eta * t + dt : projection
                 tau * dtheta/dt = post.r^2 - theta : postsynaptic, exponential
                 R = post.r * 2.0 : postsynaptic
                 K = R / (tau * (1.0 + fabs(1.0 - R / Rt) * c)) : postsynaptic
                 dw/dt = eta * pre.r * (post.r - theta) * K + c : min = 0.0, max = 1.0",
            );
        let neuron = Neuron::rate().equations("r = sum(exc)");
        let mut net = Network::new();
        let p = net.population("p", 6, &neuron).unwrap();
        let q = net.population("q", 5, &neuron).unwrap();
        net.projection(p, q, "exc")
            .synapse(&syn)
            .connect_all_to_all(Weights::constant(0.25))
            .unwrap();
        let ir = net.projs[0].ir.clone();
        let split = super::interpreted(&ir, 0, R::DTYPE, true, Bound::Column);
        let rows = split
            .rows
            .as_ref()
            .expect("the shared equations run once a row");
        assert_eq!(rows.written.len(), 4, "c, theta, R and K");
        let whole = super::interpreted(&ir, 0, R::DTYPE, false, Bound::Column);
        assert!(whole.rows.is_none());
        // Rows of 3, 0, 6, 1 and 5 synapses.
        let row_ptr = [0u32, 3, 3, 9, 10, 15];
        let n_syn = 15;
        let row_of = |s: usize| {
            row_ptr
                .windows(2)
                .position(|w| (w[0] as usize..w[1] as usize).contains(&s))
                .unwrap()
        };
        // Per synapse: a slot of a shared variable or a post.x holds its
        // row's value (as the engine's arrays do), the others their own.
        let local = ir.vars.iter().filter(|v| v.locality == Locality::Local);
        let row_wide: Vec<bool> = local
            .map(|v| v.shared)
            .chain(ir.pre_refs.iter().map(|_| false))
            .chain(ir.post_refs.iter().map(|_| true))
            .collect();
        assert_eq!(row_wide.len(), split.binding.n_arrays);
        let values = hostile::<R>();
        let arrays = || -> Vec<Vec<R>> {
            row_wide
                .iter()
                .enumerate()
                .map(|(a, &wide)| {
                    (0..n_syn)
                        .map(|s| {
                            let at = if wide { row_of(s) } else { s };
                            values[(at * (a + 2) + a) % values.len()]
                        })
                        .collect()
                })
                .collect()
        };
        for freeze_w in [false, true] {
            let mut runs = [arrays(), arrays()];
            for step in 0..3u32 {
                let scalars = [f64::from(step), 0.5, 0.01, 20.0, 0.4].map(R::of);
                for (k, a) in [&whole, &split].into_iter().zip(runs.iter_mut()) {
                    let mut v: Vec<_> = a.iter_mut().map(|x| x.as_mut_slice()).collect();
                    let s = &mut Vec::new();
                    super::synapse_update(k, freeze_w, &mut v, &row_ptr, s, &scalars, 9, step, 4);
                }
                for (r, run) in runs.iter().enumerate().skip(1) {
                    for (v, (x, y)) in run.iter().zip(&runs[0]).enumerate() {
                        for (s, (x, y)) in x.iter().zip(y).enumerate() {
                            assert_eq!(
                                x.bits(),
                                y.bits(),
                                "{:?}: run {r}, array {v}, synapse {s}, step {step}, frozen {freeze_w}: {x:?}, whole rule {y:?}",
                                R::DTYPE
                            );
                        }
                    }
                }
            }
        }
    }
}

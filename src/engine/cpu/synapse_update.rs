//! `synapse_update`: the learning rule of a rate-coded projection, run for
//! every synapse after the neurons updated (CPU twin of the GPU kernel of
//! the same name).
//!
//! Bindings, as the psp program's (`rate_sum.rs`): the synapse's
//! per-synapse slots, then one gathered array per `pre.x` and per `post.x`
//! (the values the neurons have just computed); scalars: t, dt, the
//! network's constants, then the projection-wide parameters.
//!
//! The equations of `: projection` and `: postsynaptic` variables come
//! first in a rule and give every synapse of a post-synaptic neuron the
//! same value (they read nothing of a synapse's own or of its pre-synaptic
//! neuron): they run once a row, on the row's first synapse, and their
//! values are copied over the row (each synapse keeps its copy, as on the
//! GPU, which computes them at every synapse: the same operations on the
//! same values, the same bits). ANNarchy computes them once a post-synaptic
//! neuron too. The rest of the rule then runs at every synapse.

use super::jit::Native;
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
    /// The two programs as native code, where it can be made.
    pub native: Option<(Native, Native)>,
    /// Per bound array: whether any of the programs reads it (the gathered
    /// `pre.x` and `post.x` that only events read need no gathering).
    pub reads: Vec<bool>,
    /// The equations run once a row, where the rule has shared variables.
    pub rows: Option<RowPart>,
}

/// The equations of a rule's `: projection` and `: postsynaptic`
/// variables, run once a row of synapses (those onto one post-synaptic
/// neuron) before the rest.
#[derive(Debug, Clone)]
pub struct RowPart {
    /// The program, over one element a row.
    pub prog: Program,
    /// As native code, where it can be made.
    pub native: Option<Native>,
    /// The bound arrays it reads or writes: one element a row of each is
    /// made for it.
    pub used: Vec<u16>,
    /// The bound arrays it writes (the shared variables' slots), copied
    /// over their rows afterwards.
    pub written: Vec<u16>,
}

/// Synapses a row must have on average for a rule's shared equations to
/// run once a row: below, the extra call and copies cost more than the
/// arithmetic they save (Ramp's rows of 100 synapses took 1.90 us a step
/// instead of 1.80; SORF's of 1 024 gain).
pub const ROW_MIN: usize = 256;

/// Compiles the learning rule (`ir.update`, not empty): with `by_row`, its
/// shared variables' equations once a row where the rule allows it (see
/// [`ROW_MIN`]), else every equation at every synapse.
pub fn compile(ir: &SynapseIr, n_consts: usize, dtype: Dtype, by_row: bool) -> LearnKernel {
    let binding = SynapseBinding::new(ir, n_consts);
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
        let used = vm::arrays_read(&prog, binding.n_arrays)
            .into_iter()
            .enumerate()
            .filter(|&(a, read)| read || written.contains(&(a as u16)))
            .map(|(a, _)| a as u16)
            .collect();
        RowPart {
            native: Native::compile(&prog, binding.n_arrays, None),
            prog,
            used,
            written,
        }
    });
    let (prog, frozen) = (program(tail, None), program(tail, ir.slot("w")));
    let native = Native::compile(&prog, binding.n_arrays, None).zip(Native::compile(
        &frozen,
        binding.n_arrays,
        None,
    ));
    let n = binding.n_arrays;
    let mut reads: Vec<bool> = vm::arrays_read(&prog, n)
        .into_iter()
        .zip(vm::arrays_read(&frozen, n))
        .map(|(a, b)| a || b)
        .collect();
    if let Some(r) = &rows {
        for (x, y) in reads.iter_mut().zip(vm::arrays_read(&r.prog, n)) {
            *x |= y;
        }
    }
    LearnKernel {
        prog,
        frozen,
        native,
        reads,
        rows,
        binding,
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

/// Runs the rule over every synapse (`arrays` bound as documented above,
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
    if let Some((all, without_w)) = k.native.as_ref().filter(|(n, _)| n.runs::<R>()) {
        let native = if freeze_w { without_w } else { all };
        native.run_padded(arrays, scalars, (seed, step, object, 0), &mut Vec::new());
        return;
    }
    vm::run_chunks(prog, arrays, scalars, seed, step, object, 0, |_, _, _| {});
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
    match rows.native.as_ref().filter(|x| x.runs::<R>()) {
        Some(native) => native.run_padded(
            &mut compact,
            scalars,
            (seed, step, object, 0),
            &mut Vec::new(),
        ),
        None => vm::run_chunks(
            &rows.prog,
            &mut compact,
            scalars,
            seed,
            step,
            object,
            0,
            |_, _, _| {},
        ),
    }
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
    use crate::connect::Weights;
    use crate::engine::cpu::hostile;
    use crate::engine::cpu::vm::VmReal;
    use crate::lang::ir::Locality;
    use crate::network::model::{Neuron, Synapse};
    use crate::network::Network;

    /// A learning rule over hostile values, natively and interpreted, with
    /// `w` learning and frozen, over a synapse count that leaves a partial
    /// last vector: every value must agree bit for bit, in both precisions.
    #[test]
    fn native_learning_rule_matches_the_interpreter_bit_for_bit() {
        agree::<f32>();
        agree::<f64>();
    }

    fn agree<R: VmReal>() {
        let syn = Synapse::new()
            .parameters("eta = 0.01 : projection\ntau = 20.0 : projection")
            .equations(
                "tau * dc/dt = pre.r * post.r - c : exponential
                 dw/dt = eta * (c - w * post.r^2) + Uniform(0.0, 1e-3) : min = 0.0, max = 1.0",
            );
        let neuron = Neuron::rate().equations("r = sum(exc)");
        let mut net = Network::new();
        let (n_pre, n_post) = (5, 7);
        let p = net.population("p", n_pre, &neuron).unwrap();
        let q = net.population("q", n_post, &neuron).unwrap();
        net.projection(p, q, "exc")
            .synapse(&syn)
            .connect_all_to_all(Weights::constant(0.25))
            .unwrap();
        let ir = net.projs[0].ir.clone();
        let k = super::compile(&ir, 0, R::DTYPE, true);
        assert!(k.native.is_some(), "native code for the rule");
        let mut interpreted = k.clone();
        interpreted.native = None;
        let n_syn = n_pre * n_post;
        assert_ne!(n_syn % k.native.as_ref().map_or(1, |n| n.0.lanes()), 0);
        let values = hostile::<R>();
        let arrays = |k: usize| -> Vec<Vec<R>> {
            (0..k)
                .map(|a| {
                    (0..n_syn)
                        .map(|s| values[(s * (a + 2) + a) % values.len()])
                        .collect()
                })
                .collect()
        };
        let n_arrays = k.binding.n_arrays;
        for freeze_w in [false, true] {
            let (mut a, mut b) = (arrays(n_arrays), arrays(n_arrays));
            for step in 0..3u32 {
                let scalars = [f64::from(step), 0.5, 0.01, 20.0].map(R::of);
                let rows: Vec<u32> = (0..=n_post as u32).map(|i| i * n_pre as u32).collect();
                let mut va: Vec<_> = a.iter_mut().map(|x| x.as_mut_slice()).collect();
                let s = &mut Vec::new();
                super::synapse_update(&k, freeze_w, &mut va, &rows, s, &scalars, 9, step, 4);
                let mut vb: Vec<_> = b.iter_mut().map(|x| x.as_mut_slice()).collect();
                let (k, s) = (&interpreted, &mut Vec::new());
                super::synapse_update(k, freeze_w, &mut vb, &rows, s, &scalars, 9, step, 4);
                for (v, (x, y)) in a.iter().zip(&b).enumerate() {
                    for (s, (x, y)) in x.iter().zip(y).enumerate() {
                        assert_eq!(
                            x.bits(),
                            y.bits(),
                            "{:?}: array {v}, synapse {s}, step {step}, frozen {freeze_w}: {x:?} native, {y:?} interpreted",
                            R::DTYPE
                        );
                    }
                }
            }
        }
    }

    /// A rule with `: projection` and `: postsynaptic` variables (an ODE
    /// among them, reading its own value), its shared equations once a row
    /// against the whole rule at every synapse, natively and interpreted,
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
        let split = super::compile(&ir, 0, R::DTYPE, true);
        let rows = split
            .rows
            .as_ref()
            .expect("the shared equations run once a row");
        assert_eq!(rows.written.len(), 4, "c, theta, R and K");
        let whole = super::compile(&ir, 0, R::DTYPE, false);
        assert!(whole.rows.is_none());
        assert!(split.native.is_some() && rows.native.is_some() && whole.native.is_some());
        let strip = |k: &super::LearnKernel| {
            let mut k = k.clone();
            k.native = None;
            if let Some(r) = &mut k.rows {
                r.native = None;
            }
            k
        };
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
        let kernels = [split.clone(), strip(&split), strip(&whole)];
        for freeze_w in [false, true] {
            let mut runs = [arrays(), arrays(), arrays(), arrays()];
            for step in 0..3u32 {
                let scalars = [f64::from(step), 0.5, 0.01, 20.0, 0.4].map(R::of);
                for (k, a) in [&whole].into_iter().chain(&kernels).zip(runs.iter_mut()) {
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

//! `neuron_update`: integrate, spike, reset and refractoriness of one
//! population (CPU twin of the GPU kernel of the same name).
//!
//! Bindings, in order: the population's per-neuron slots (in slot order),
//! then its `sum(target)` arrays; scalars: t, dt, the network's constants
//! (`super::frame_scalars`), then the population-wide parameters in slot
//! order.

use rayon::prelude::*;

use super::jit::Native;
use super::vm::{self, Binder, Program, Src, VmReal, CHUNK};
use crate::lang::ir::{BinOp, Expr, Func, Guard, Locality, NeuronIr, Stmt};
use crate::real::{Dtype, Real};

/// Below this many neurons a population is updated on one thread: the
/// fork-join cost would exceed the work.
pub(super) const PARALLEL_MIN: usize = 8192;

/// Where each slot of a neuron model is bound.
#[derive(Debug, Clone)]
pub struct NeuronBinding {
    /// For each slot: its array index (local) or scalar index (global).
    pub slot: Vec<Src>,
    /// Array index of each `sum(target)`.
    pub sums: Vec<u16>,
    /// Number of bound arrays.
    pub n_arrays: usize,
    /// Number of scalars (t, dt, constants, then globals).
    pub n_scalars: usize,
    /// The slot of each bound array but the sums, in order.
    pub locals: Vec<u16>,
    /// The slot of each population-wide scalar, in order.
    pub globals: Vec<u16>,
}

impl NeuronBinding {
    /// The binding order documented at the top of this file, in a
    /// network of `n_consts` constants.
    pub fn new(ir: &NeuronIr, n_consts: usize) -> Self {
        let mut slot = Vec::new();
        let (mut locals, mut globals) = (Vec::new(), Vec::new());
        let (mut a, mut s) = (0u16, 2 + n_consts as u16);
        for (i, v) in ir.vars.iter().enumerate() {
            match v.locality {
                Locality::Local => {
                    slot.push(Src::Arr(a));
                    locals.push(i as u16);
                    a += 1;
                }
                Locality::Global => {
                    slot.push(Src::Scalar(s));
                    globals.push(i as u16);
                    s += 1;
                }
            }
        }
        let sums = (0..ir.targets.len()).map(|i| a + i as u16).collect();
        NeuronBinding {
            slot,
            sums,
            n_arrays: a as usize + ir.targets.len(),
            n_scalars: s as usize,
            locals,
            globals,
        }
    }
}

impl Binder for NeuronBinding {
    fn leaf(&self, e: &Expr) -> Option<Src> {
        match e {
            Expr::Var(v) => self.slot.get(*v as usize).copied(),
            Expr::Sum(t) => self.sums.get(*t as usize).map(|a| Src::Arr(*a)),
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

/// The compiled update of one neuron model.
#[derive(Debug, Clone)]
pub struct NeuronKernel {
    /// Slot bindings.
    pub binding: NeuronBinding,
    /// The program.
    pub prog: Program,
    /// Register holding 1.0 for neurons that spiked (spiking models).
    pub spike_reg: Option<u16>,
    /// The program as native code, where it can be made.
    pub native: Option<Native>,
}

fn arr(b: &NeuronBinding, slot: u32) -> u16 {
    match b.slot[slot as usize] {
        Src::Arr(a) => a,
        // Analysis only lets equations store to per-neuron slots.
        _ => unreachable!("store to a population-wide slot"),
    }
}

/// Compiles the step of a neuron model:
/// 1. `nr = counter <= 0` (not refractory at the start of the step);
/// 2. the update statements, ODE stores masked by `nr`;
/// 3. `counter = max(counter - 1, 0)`;
/// 4. `spiked = spike && counter <= 0`;
/// 5. the reset statements and `counter = round(refractory / dt)`, masked by `spiked`.
pub fn compile(ir: &NeuronIr, n_consts: usize, dtype: Dtype) -> NeuronKernel {
    compile_for(ir, n_consts, dtype, 0)
}

/// [`compile`] for a population of `n` neurons, whose native code is
/// made for that many ([`Native::compile_for`]).
pub fn compile_for(ir: &NeuronIr, n_consts: usize, dtype: Dtype, n: usize) -> NeuronKernel {
    let b = NeuronBinding::new(ir, n_consts);
    let mut p = Program::in_dtype(dtype);
    let counter = ir.refractory.as_ref().map(|(_, s)| *s);
    let not_ref = counter.map(|c| {
        let r = p.to_reg(&Expr::bin(BinOp::Le, Expr::Var(c), Expr::Const(0.0)), &b);
        p.pin(r);
        r
    });
    for s in &ir.update {
        match s {
            Stmt::Let { temp, expr } => p.let_temp(*temp, expr, &b),
            Stmt::Store { var, expr, guard } => {
                let mask = if *guard == Guard::NotRefractory {
                    not_ref
                } else {
                    None
                };
                p.store(arr(&b, *var), expr, mask, &b);
            }
        }
    }
    if let Some(c) = counter {
        let dec = Expr::Call(
            Func::Max,
            vec![
                Expr::bin(BinOp::Sub, Expr::Var(c), Expr::Const(1.0)),
                Expr::Const(0.0),
            ],
        );
        p.store(arr(&b, c), &dec, None, &b);
    }
    let spike_reg = ir.spike.as_ref().map(|cond| {
        let cond = match counter {
            Some(c) => Expr::bin(
                BinOp::And,
                cond.clone(),
                Expr::bin(BinOp::Le, Expr::Var(c), Expr::Const(0.0)),
            ),
            None => cond.clone(),
        };
        let r = p.to_reg(&cond, &b);
        p.pin(r);
        r
    });
    if let Some(spk) = spike_reg {
        for s in &ir.reset {
            match s {
                Stmt::Let { temp, expr } => p.let_temp(*temp, expr, &b),
                Stmt::Store { var, expr, .. } => p.store(arr(&b, *var), expr, Some(spk), &b),
            }
        }
        if let Some((refr, c)) = &ir.refractory {
            let steps = Expr::Call(
                Func::Round,
                vec![Expr::bin(BinOp::Div, refr.clone(), Expr::Dt)],
            );
            p.store(arr(&b, *c), &steps, Some(spk), &b);
        }
    }
    let native = Native::compile_for(&p, b.n_arrays, spike_reg, n);
    NeuronKernel {
        binding: b,
        native,
        prog: p,
        spike_reg,
    }
}

/// Runs one step over all neurons; `spikes` gets the ranks that spiked,
/// sorted (its old content cleared, its allocation kept from step to
/// step). `arrays` are the full bound arrays (see the binding order).
#[allow(clippy::too_many_arguments)]
pub fn neuron_update<R: VmReal>(
    k: &NeuronKernel,
    mut arrays: Vec<&mut [R]>,
    scalars: &[R],
    seed: u64,
    step: u32,
    object: u32,
    n: usize,
    spikes: &mut Vec<u32>,
) {
    neuron_update_from(k, &mut arrays, scalars, (seed, step, object), 0, n, spikes);
}

/// [`neuron_update`] of the `n` neurons from rank `start` (any: run-time
/// draws are keyed by a neuron's rank in its population, `start + i`):
/// `arrays` are those neurons' parts of the bound arrays, and `spikes`
/// gets population ranks. A distributed run's rank updates its neurons
/// so.
pub fn neuron_update_from<R: VmReal>(
    k: &NeuronKernel,
    arrays: &mut Vec<&mut [R]>,
    scalars: &[R],
    (seed, step, object): (u64, u32, u32),
    start: usize,
    n: usize,
    spikes: &mut Vec<u32>,
) {
    spikes.clear();
    if n == 0 {
        return;
    }
    let tasks = if n >= PARALLEL_MIN {
        rayon::current_num_threads().max(1) * 4
    } else {
        1
    };
    if tasks == 1 {
        return run_task(k, arrays, scalars, (seed, step, object), start, spikes);
    }
    // Task boundaries on chunk multiples so random indices stay global ranks.
    let per = n.div_ceil(tasks).div_ceil(CHUNK) * CHUNK;
    let mut bounds = vec![0];
    while *bounds.last().unwrap_or(&n) < n {
        let last = *bounds.last().unwrap_or(&n);
        bounds.push((last + per).min(n));
    }
    let mut split: Vec<Vec<&mut [R]>> = (0..bounds.len() - 1)
        .map(|_| Vec::with_capacity(arrays.len()))
        .collect();
    for a in arrays.drain(..) {
        let mut rest = a;
        for (t, w) in bounds.windows(2).enumerate() {
            let (head, tail) = rest.split_at_mut(w[1] - w[0]);
            split[t].push(head);
            rest = tail;
        }
    }
    let run = |(start, mut task): (usize, Vec<&mut [R]>)| -> Vec<u32> {
        let mut part = Vec::new();
        run_task(
            k,
            &mut task,
            scalars,
            (seed, step, object),
            start,
            &mut part,
        );
        part
    };
    let starts: Vec<usize> = bounds[..bounds.len() - 1]
        .iter()
        .map(|b| start + b)
        .collect();
    let parts: Vec<Vec<u32>> = starts
        .into_par_iter()
        .zip(split.into_par_iter())
        .map(run)
        .collect();
    parts.iter().for_each(|p| spikes.extend_from_slice(p));
}

/// `v` with room past its end for the lanes of a vector, holding copies
/// of its last element: a population's arrays are made so, and its last
/// partial vector then runs in place ([`update_in_place`]), each lane past
/// the population computing on what the code left there at the step
/// before (lanes are independent; no result of theirs is read). Written
/// here once, not before each run: the values there need only be
/// numbers. An array without the room (set anew with other capacity)
/// runs that vector in copies.
pub(super) fn lane_room<R: Copy + Default>(mut v: Vec<R>) -> Vec<R> {
    v.reserve_exact(ROOM);
    let last = v.last().copied().unwrap_or_default();
    if let Some(room) = v.spare_capacity_mut().first_chunk_mut::<ROOM>() {
        *room = [std::mem::MaybeUninit::new(last); ROOM];
    }
    v
}

/// The elements of [`lane_room`]: those a vector can hold past the last
/// element of an array.
const ROOM: usize = super::jit::MAX_LANES - 1;

/// [`neuron_update_from`] of neurons `range` of a population whose
/// slots are `vars` (each the whole population's) and whose inputs are
/// `sums`, natively and on one thread, binding the arrays in place:
/// `false`, and nothing done, where the kernel has no native code in `R`,
/// the range is long enough to fork, or the code declines (a tiny
/// divisor: [`Native::run`](super::jit::Native::run)). `scalars` holds
/// the frame's scalars; the population-wide values are appended here
/// (and removed again where it returns `false`).
#[inline]
pub(super) fn update_in_place<R: VmReal>(
    k: &NeuronKernel,
    vars: &mut [Vec<R>],
    sums: &mut [Vec<R>],
    scalars: &mut Vec<R>,
    (seed, step, object): (u64, u32, u32),
    range: std::ops::Range<usize>,
    spikes: &mut Vec<u32>,
) -> bool {
    let Some(native) = k.native.as_ref().filter(|n| n.runs::<R>()) else {
        return false;
    };
    if range.len() >= PARALLEL_MIN {
        return false;
    }
    spikes.clear();
    if range.is_empty() {
        return true;
    }
    let b = &k.binding;
    let frame = scalars.len();
    // A mapped extend of a slice's length: one reservation, no check a
    // value (a push a value cost Ramp's two neurons of seven parameters
    // 266 instructions a step, callgrind).
    scalars.extend(b.globals.iter().map(|&s| vars[s as usize][0]));
    let (start, end) = (range.start, range.end);
    // One check for all the arrays after the loop (none is read before
    // the code runs), and `start` and `end` held in registers: a small
    // population's update binds a dozen arrays or more at every step.
    let bind = |ptrs: &mut Vec<*mut u8>, whole: usize| {
        // A vector's lanes past `end` fit the room (fewer than its lanes).
        debug_assert!(start + whole - end <= ROOM);
        let mut short = false;
        let mut at = |v: &mut Vec<R>| -> *mut u8 {
            short |= v.len() < end;
            v.as_mut_ptr().wrapping_add(start).cast()
        };
        ptrs.extend(b.locals.iter().map(|&s| at(&mut vars[s as usize])));
        ptrs.extend(sums.iter_mut().map(&mut at));
        assert!(!short, "a bound array shorter than its population");
        // The last partial vector runs in place where every array ends at
        // `end` and has the room past it (`lane_room`): its lanes past the
        // population compute on what the room holds, and their results
        // (spikes included) are never read. Checked apart, and only where
        // there is such a vector: checked in the loop above (then pushes,
        // not this mapped extend), it made AdEx's update of a dozen
        // arrays 14 % slower.
        let room = |v: &Vec<R>| v.len() == end && v.capacity() >= end + ROOM;
        start + whole == end
            || (b.locals.iter().all(|&s| room(&vars[s as usize])) && sums.iter().all(room))
    };
    // SAFETY: each pointer is of a distinct array (the binding's slots
    // are distinct, the sums other arrays), checked above to hold the
    // range (and, where `bind` says so, the whole vectors' elements, those
    // past the range in its allocation's spare capacity), and `vars` and
    // `sums` stay borrowed for the whole call.
    let ran = unsafe {
        native.execute_raw(
            bind,
            scalars,
            range.len(),
            (seed, step, object, start as u32),
            spikes,
        )
    };
    // Declined (a tiny divisor): the caller binds the frame again.
    if !ran {
        scalars.truncate(frame);
    }
    ran
}

/// One task's part of [`neuron_update`]: the elements of `task` (element 0
/// being the population's `start`), appending their spikes to `spikes`:
/// natively where the program has native code (a last, partial vector
/// padded), else interpreted.
fn run_task<R: VmReal>(
    k: &NeuronKernel,
    task: &mut [&mut [R]],
    scalars: &[R],
    (seed, step, object): (u64, u32, u32),
    start: usize,
    spikes: &mut Vec<u32>,
) {
    if let Some(native) = k.native.as_ref().filter(|n| n.runs::<R>()) {
        let key = (seed, step, object, start as u32);
        // Declined where a tiny divisor's quotient is scaled: interpreted.
        if native.run_padded(task, scalars, key, spikes) {
            return;
        }
    }
    vm::run_chunks(
        &k.prog,
        task,
        scalars,
        seed,
        step,
        object,
        start as u32,
        |regs, off, m| {
            if let Some(r) = k.spike_reg {
                for (i, v) in regs.get(r)[..m].iter().enumerate() {
                    if *v != R::ZERO {
                        spikes.push((start + off + i) as u32);
                    }
                }
            }
        },
    );
}

/// The end of `neuron_update` for a population that computes its firing
/// rate (ANNarchy's `compute_firing_rate`): each neuron's count of spikes
/// in the window gains this step's spike and loses the one that leaves the
/// window (`leaving`: the spikes of `steps` steps ago), and `r = scale *
/// count` for every neuron. The GPU kernel keeps the window as one bit a
/// step per neuron and does the same.
pub fn firing_rate<R: Real>(
    counts: &mut [u32],
    r: &mut [R],
    spiked: &[u32],
    leaving: &[u32],
    scale: R,
) {
    for &i in leaving {
        counts[i as usize] = counts[i as usize].saturating_sub(1);
    }
    for &i in spiked {
        counts[i as usize] += 1;
    }
    for (r, &c) in r.iter_mut().zip(counts.iter()) {
        *r = R::of_u32(c) * scale;
    }
}

/// Each neuron's count of spikes in the `steps` most recent lists of
/// `history` (after a restore).
pub fn count_window(
    counts: &mut [u32],
    history: &std::collections::VecDeque<Vec<u32>>,
    steps: usize,
) {
    counts.fill(0);
    for list in history.iter().take(steps) {
        for &i in list {
            counts[i as usize] += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::vm::{Op, Src};
    use crate::real::{Dtype, Reals};
    use std::mem::MaybeUninit;

    /// What a lane past the population holds before the first step: far
    /// above the threshold, so that a padding lane spikes at once.
    const SENTINEL: f32 = 1234.5;

    #[test]
    fn a_last_partial_vector_in_the_room_gives_the_copies_bits() {
        let neuron = crate::prelude::Neuron::spiking()
            .parameters("tau = 10.0")
            .equations("tau*dv/dt = 1.05 - v + g_exc + Uniform(-0.5, 0.5)")
            .spike("v > 1.0")
            .reset("v = 0.0");
        for n in 1..=9 {
            let mut net = crate::prelude::Network::new().dt(0.1);
            net.population("p", n, &neuron).unwrap();
            let p = &net.pops[0];
            let k = super::compile_for(&p.ir, 0, Dtype::F32, n);
            if k.native.is_none() {
                // No native code on this host: nothing runs in place.
                return;
            }
            let v = p.ir.slot("v").unwrap() as usize;
            let start: Vec<Reals> = p
                .init
                .iter()
                .enumerate()
                .map(|(s, x)| match s == v {
                    true => Reals::F32((0..n).map(|i| i as f32 / n as f32).collect()),
                    // The conductance: an input that differs by neuron.
                    false if Some(s as u32) == p.ir.slot("g_exc") => {
                        Reals::F32((0..n).map(|i| 0.01 * i as f32).collect())
                    }
                    false => x.clone(),
                })
                .collect();
            // In the room (`lane_room`, then the sentinel past each
            // array), and in exact arrays, which run the last partial
            // vector in copies of the last element.
            let arrays = |room: bool| {
                let fit = |a: Vec<f32>| match room {
                    true => super::lane_room(a),
                    false => a.into_iter().collect::<Box<[f32]>>().into_vec(),
                };
                let mut vars: Vec<Vec<f32>> = start.iter().map(|x| fit(x.to())).collect();
                let mut sums: Vec<Vec<f32>> = (0..p.ir.targets.len())
                    .map(|_| fit((0..n).map(|i| 0.01 * i as f32).collect()))
                    .collect();
                for a in vars.iter_mut().chain(sums.iter_mut()) {
                    if room {
                        a.spare_capacity_mut()[..super::ROOM].fill(MaybeUninit::new(SENTINEL));
                    } else {
                        assert_eq!(a.capacity(), n, "an exact array");
                    }
                }
                (vars, sums)
            };
            let (mut va, mut sa) = arrays(true);
            let (mut vb, mut sb) = arrays(false);
            let (mut spa, mut spb) = (Vec::new(), Vec::new());
            for step in 0..200u32 {
                let t = step as f32 * 0.1;
                let key = (7, step, 0);
                let mut scalars = vec![t, 0.1];
                assert!(super::update_in_place(
                    &k,
                    &mut va,
                    &mut sa,
                    &mut scalars,
                    key,
                    0..n,
                    &mut spa
                ));
                let mut scalars = vec![t, 0.1];
                assert!(super::update_in_place(
                    &k,
                    &mut vb,
                    &mut sb,
                    &mut scalars,
                    key,
                    0..n,
                    &mut spb
                ));
                let bits = |x: &[Vec<f32>]| -> Vec<Vec<u32>> {
                    x.iter()
                        .map(|a| a.iter().map(|x| x.to_bits()).collect())
                        .collect()
                };
                assert_eq!(bits(&va), bits(&vb), "n = {n}, step {step}");
                assert_eq!(spa, spb, "n = {n}, step {step}");
                assert!(spa.iter().all(|&i| (i as usize) < n), "{spa:?}");
            }
            // The code ran in place: it wrote v past the population (the
            // copies' run leaves the room alone).
            // SAFETY: the room was written above (the sentinel), and the
            // code writes only values of the array's type there.
            let past = unsafe { va[v].spare_capacity_mut()[0].assume_init() };
            assert_eq!(n % 4 == 0, past == SENTINEL, "n = {n}: {past}");
        }
    }

    fn uniform(s: &Src) -> bool {
        matches!(s, Src::Scalar(_) | Src::Const(_))
    }

    #[test]
    fn uniform_subexpressions_are_hoisted_out_of_the_vector_loops() {
        let (net, _, _) = crate::networks::coba(100, 1).unwrap();
        let k = super::compile(&net.pops[0].ir, 0, crate::real::Dtype::F32);
        for op in &k.prog.ops {
            let all_uniform = match op {
                Op::Bin(_, _, a, b) => uniform(a) && uniform(b),
                Op::Un(_, _, a) => uniform(a),
                Op::Call(_, _, a) => a.iter().all(uniform),
                Op::Sel(_, c, a, b) => uniform(c) && uniform(a) && uniform(b),
                _ => false,
            };
            assert!(!all_uniform, "vector op over uniform operands: {op:?}");
            // Division by a parameter became a multiplication by its reciprocal.
            assert!(
                !matches!(
                    op,
                    Op::Bin(crate::lang::ir::BinOp::Div, _, _, Src::Scalar(_))
                ),
                "{op:?}"
            );
        }
        assert!(k.spike_reg.is_some());
    }
}

//! Native code for the register programs of [`super::vm`], made with
//! Cranelift when a network is compiled.
//!
//! The interpreter runs each operation over a chunk of 256 elements: every
//! operation reads its operands from memory and writes its result back, so
//! a neuron's update costs a load and a store per operation. The native
//! loop takes a vector of neurons at a time (four in `f32x4`, two in
//! `f64x2`: the program's precision) through the whole program,
//! its registers in machine registers, and touches memory only where the
//! program reads or writes a neuron's state.
//!
//! Results are those of the interpreter, bit for bit: the same operations
//! in the same precision and order (an elementwise program gives each
//! element the same operations whether it runs an operation at a time or
//! an element at a time), IEEE arithmetic with no fusion, f32's `exp` as
//! [`crate::lang::ir::exp`] computes it, `min`, `max` and `round` as Rust's,
//! and every other function (f64's `exp` too) by calling the very Rust
//! function the interpreter calls, one lane at a time. Run-time random
//! draws are made before the loop by the interpreter's own code, into
//! arrays the loop reads; a draw whose parameters vary across elements
//! keeps its program with the interpreter ([`Native::compile`] returns
//! `None`), as does every program where the host is not one Cranelift
//! generates code for, or `CAJAL_JIT=0` is set.

use std::sync::Arc;

use cranelift_codegen::ir::{types, Type};
use cranelift_module::Module;

use super::vm::{self, Op, Program, Src, VmReal};
use super::wide::{Entered, Wide};
use crate::lang::ir::RandomKind;
use crate::real::{Dtype, Real};
use gen::{build, Gen, Over};
pub(super) use lanes::{lane_pow, lane_rem};
pub use rows::{Bound, Ranks, RowFold, RowKinds, RowPtr, ACROSS_UNROLL_MAX, ROWS_HOIST_MIN};
use scalars::{ScalarOps, SlotCache};

mod across;
mod gen;
mod lanes;
mod rows;
mod scalars;
mod shared;

pub(super) use shared::{
    exp_of, fdiv_of, fmul_of, four_pointer_function, host_bytes, isa, max_of, min_of, pick_of,
    sqrt_of, tanh_of, Code, Made, Widen, Widening,
};

/// The most elements a vector holds (f32's four): a run of any precision
/// fits a padded vector of this many.
pub(super) const MAX_LANES: usize = 4;

/// Bytes of a vector register: every precision's vector, and each entry of
/// the uniform table, is this wide.
const VECTOR_BYTES: usize = 16;

/// The elements from which code over elements loads the table's values
/// once before its loop ([`Native::compile_for`]): 16 vectors. Below, a
/// run of one to three vectors paid the loads and their spills at every
/// call (Hodgkin-Huxley's one neuron: 1.5 % more instructions).
pub const HOIST_MIN: usize = 64;

/// The types native code of one precision computes with.
#[derive(Debug, Clone, Copy)]
struct Shape {
    /// A value.
    elem: Type,
    /// A vector of values.
    vec: Type,
    /// A comparison's mask over a vector, and the integer lanes its bits
    /// are worked on as.
    mask: Type,
    /// Elements per vector: the loop's step.
    lanes: usize,
    /// log2 of a value's bytes.
    shift: i64,
}

impl Shape {
    fn of(dtype: Dtype) -> Shape {
        match dtype {
            Dtype::F32 => Shape {
                elem: types::F32,
                vec: types::F32X4,
                mask: types::I32X4,
                lanes: 4,
                shift: 2,
            },
            Dtype::F64 => Shape {
                elem: types::F64,
                vec: types::F64X2,
                mask: types::I64X2,
                lanes: 2,
                shift: 3,
            },
        }
    }

    /// log2 of [`lanes`](Self::lanes).
    fn lane_shift(&self) -> i64 {
        self.lanes.trailing_zeros() as i64
    }
}

/// `fn(arrays, uniforms, n, flags)`: runs the program over elements `0..n`
/// of the bound arrays (`arrays[k]` is array `k`'s first element), with
/// `uniforms` its uniform operands, each repeated in a vector's lanes (read
/// where used, so that x86 folds the load into the arithmetic: a value
/// splatted once before the loop would be spilled and splatted again at
/// every use, for want of registers), and writes into `flags[i / lanes]` a
/// bit per element `i` whose flag register is non-zero.
type Entry = unsafe extern "C" fn(*const *mut u8, *const u8, usize, *mut u8);

/// A make's uniform operands (the order of its table) and its number of
/// sites (products, quotients and roots: [`super::wide`]).
type Table = (Vec<Src>, usize);

/// A random draw of the program, made on the host before the loop (as the
/// interpreter makes it: `vm::draws`).
#[derive(Debug, Clone, Copy)]
struct Draw {
    kind: RandomKind,
    stream: u32,
    args: [Src; 2],
    shared: bool,
}

/// A program compiled to native code.
#[derive(Clone)]
pub struct Native {
    entry: Entry,
    /// The program's precision: the element type of the arrays it runs on.
    dtype: Dtype,
    n_arrays: usize,
    /// The program's random draws, in order: arrays `n_arrays..` of the
    /// code, filled before each run.
    draws: Arc<[Draw]>,
    /// The uniform operands (scalar slots and constants) in the order of
    /// the table the code reads them from.
    uniforms: Arc<[Src]>,
    /// The places in that table of the uniforms that read t (refreshed at
    /// every run; the others kept while the frame's other scalars are).
    timed: Arc<[usize]>,
    /// The program's scalar operations, computed before each run.
    scalars: Arc<ScalarOps>,
    /// Whether the code writes flags (a neuron's spike register).
    flags: bool,
    /// Row code's reading of each bound array and the kinds of rows it
    /// runs ([`Native::compile_rows`]); `None` for code over elements.
    rows: Option<(Arc<[Bound]>, RowKinds)>,
    /// Whether row code reads an array at the synapses' pre ranks
    /// ([`Bound::AtPre`]): the ranks are then bound after the draws.
    at_pre: bool,
    /// The bound arrays before the last one the code writes, and it.
    writes: usize,
    /// Code over elements: the scalar slots of its tiny divisors' scales
    /// (`Op::Rescale`), which the code leaves out. It runs only where
    /// every one is 1, else declines (the interpreter then runs).
    scales: Arc<[u16]>,
    /// Its census and wide makes (f32 products, quotients and roots that
    /// meet subnormals through f64), and which make runs
    /// ([`super::wide`]).
    wide: Arc<Wide<Entry>>,
    _code: Arc<Code>,
}

impl std::fmt::Debug for Native {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Native({} arrays)", self.n_arrays)
    }
}

impl Native {
    /// Compiles `prog` over `n_arrays` bound arrays, with `flag` the
    /// register whose non-zero elements are reported (a neuron's spike).
    /// `None` where a random draw's parameters vary across elements or no
    /// native code can be made on this host.
    pub fn compile(prog: &Program, n_arrays: usize, flag: Option<u16>) -> Option<Native> {
        Self::compile_for(prog, n_arrays, flag, 0)
    }

    /// [`compile`](Self::compile) for runs over `n` elements: code for
    /// [`HOIST_MIN`] or more loads each parameter and constant once a
    /// run rather than once a vector (STP's LIF: 15 of the 67
    /// instructions a vector were those loads).
    pub fn compile_for(
        prog: &Program,
        n_arrays: usize,
        flag: Option<u16>,
        n: usize,
    ) -> Option<Native> {
        Self::make(prog, n_arrays, Over::Elements(flag, n >= HOIST_MIN))
    }

    fn make(prog: &Program, n_arrays: usize, over: Over) -> Option<Native> {
        static MADE: Made<Native> = Made::new(|n| &n._code);
        // The code is a function of these alone (and of the host).
        let key = format!("{prog:?} {n_arrays} {over:?}");
        MADE.get_or_make(key, || Self::make_new(prog, n_arrays, over))
    }

    fn make_new(prog: &Program, n_arrays: usize, over: Over) -> Option<Native> {
        // Draws are made before the loop, as arrays; that needs the same
        // parameters for every element.
        let mut draws = Vec::new();
        for op in &prog.ops {
            if let Op::Rand(kind, stream, _, args, shared) = op {
                if !args
                    .iter()
                    .all(|a| matches!(a, Src::Scalar(_) | Src::Const(_)))
                {
                    return None;
                }
                draws.push(Draw {
                    kind: *kind,
                    stream: *stream,
                    args: *args,
                    shared: *shared,
                });
            }
        }
        // Named after the kernel it runs, for profilers (a learning rule is
        // row code; code over elements is a neuron update, spiking or not).
        let name = match over {
            Over::Rows(..) => "synapse_update",
            Over::Elements(..) => "neuron_update",
        };
        // Row code holds a copy of the program a way of finishing a row.
        let copies = match over {
            // Rows side by side: one copy a place without a loop, one in
            // a loop.
            Over::Rows(_, kinds, Some(_)) if kinds.uniform => (kinds.places as usize).max(1),
            Over::Rows(_, kinds, _) => 1 + usize::from(kinds.long_tail) + usize::from(kinds.short),
            Over::Elements(..) => 1,
        };
        let ops = prog.ops.len() * copies;
        let n_draws = draws.len();
        let (code, entry, (uniforms, sites)) =
            Self::code(name, ops, prog, (n_arrays, n_draws), over, Widen::None)?;
        let wide = {
            let (prog, plain) = (prog.clone(), uniforms.clone());
            // `over` owned by the closure.
            let (layout, kind): (Arc<[Bound]>, _) = match over {
                Over::Rows(layout, kinds, fold) => (layout.into(), Err((kinds, fold))),
                Over::Elements(flag, hoist) => (Arc::from([]), Ok((flag, hoist))),
            };
            Wide::new(sites, move |widen| {
                let over = match kind {
                    Ok((flag, hoist)) => Over::Elements(flag, hoist),
                    Err((kinds, fold)) => Over::Rows(&layout, kinds, fold),
                };
                let (code, entry, (uniforms, _)) =
                    Self::code(name, ops, &prog, (n_arrays, n_draws), over, widen)?;
                // Every make reads one table of uniforms.
                (uniforms == plain).then_some((entry, code))
            })
        };
        let scalars = ScalarOps::new(prog);
        Some(Native {
            entry,
            dtype: prog.dtype,
            n_arrays,
            draws: draws.into(),
            timed: (0..uniforms.len())
                .filter(|&i| scalars.timed(uniforms[i]))
                .collect(),
            uniforms: uniforms.into(),
            scalars: Arc::new(scalars),
            flags: matches!(over, Over::Elements(Some(_), _)),
            writes: prog
                .ops
                .iter()
                .filter_map(|op| match op {
                    Op::Store(a, ..) => Some(*a as usize + 1),
                    _ => None,
                })
                .max()
                .unwrap_or(0),
            at_pre: matches!(over, Over::Rows(layout, ..) if layout.iter().any(|b| b.by_rank())),
            scales: match over {
                Over::Elements(..) => prog
                    .ops
                    .iter()
                    .filter_map(|op| match op {
                        Op::Rescale(_, s) => Some(*s),
                        _ => None,
                    })
                    .collect(),
                Over::Rows(..) => Arc::from([]),
            },
            rows: match over {
                Over::Rows(layout, kinds, _) => Some((layout.into(), kinds)),
                Over::Elements(..) => None,
            },
            wide: Arc::new(wide),
            _code: code,
        })
    }

    /// The code of `prog` over `n_arrays` bound arrays and `n_draws`
    /// drawn ones (plain, or wide as `widen` says: see [`super::wide`]),
    /// its entry point, the uniform operands its table holds and its
    /// number of sites (products, quotients and roots).
    fn code(
        name: &'static str,
        ops: usize,
        prog: &Program,
        (n_arrays, n_draws): (usize, usize),
        over: Over,
        widen: Widen,
    ) -> Option<(Arc<Code>, Entry, Table)> {
        let (code, at, uniforms) = four_pointer_function(name, ops, |b, module| {
            build(
                b,
                prog,
                (n_arrays, n_draws),
                over,
                widen,
                module.target_config(),
                module.make_signature(),
            )
        })?;
        // SAFETY: the function has `Entry`'s signature (four pointer-sized
        // arguments, no result) in the host's calling convention.
        let entry = unsafe { std::mem::transmute::<*const u8, Entry>(at) };
        Some((code, entry, uniforms))
    }

    /// The entry point to call, plain or wide ([`super::wide`]), and
    /// what to give [`leave`](Self::leave) after the call.
    #[inline(always)]
    fn enter(&self) -> (Entry, Entered) {
        self.wide.enter(self.entry)
    }

    /// After a call of what [`enter`](Self::enter) gave.
    #[inline(always)]
    fn leave(&self, entered: Entered) {
        self.wide.leave(entered)
    }

    /// Whether the code has met subnormals lately: its plain and wide
    /// makes are timed and the quicker runs ([`super::wide`]).
    #[cfg(test)]
    pub(crate) fn is_contested(&self) -> bool {
        self.wide.is_contested()
    }

    /// A copy that runs the make `widen` says at every call: `None` where
    /// it cannot be made.
    #[cfg(test)]
    pub(in crate::engine::cpu) fn pinned(&self, widen: Widen) -> Option<Native> {
        let mut copy = self.clone();
        copy.wide = Arc::new(self.wide.pinned(widen)?);
        Some(copy)
    }

    /// [`pinned`](Self::pinned) to every site through f64.
    #[cfg(test)]
    pub(crate) fn pinned_wide(&self) -> Option<Native> {
        self.pinned(Widen::Sites(vec![true; self.sites()].into()))
    }

    /// The code's sites: its products, quotients and square roots.
    #[cfg(test)]
    pub(crate) fn sites(&self) -> usize {
        self.wide.sites()
    }

    /// Whether the code runs on arrays of `R` (its program's precision).
    pub fn runs<R: Real>(&self) -> bool {
        R::DTYPE == self.dtype
    }

    /// Elements a vector of the code holds: a run's length is a multiple.
    pub fn lanes(&self) -> usize {
        Shape::of(self.dtype).lanes
    }

    /// Runs over the first `n` elements (a multiple of
    /// [`lanes`](Self::lanes)) of `arrays`, with the frame's `scalars` (the
    /// program's scalar operations are computed here, once) and `key` =
    /// (seed, step, object of stream 0, index of element 0) for random
    /// draws, and appends to `flagged` the indices (element 0 being
    /// `key.3`) of the elements whose flag register is non-zero, in
    /// increasing order. `R` must be the program's precision
    /// ([`runs`](Self::runs)).
    ///
    /// Returns false, having run nothing, where a uniform divisor is so
    /// tiny (|y| < 2^-75, or 0) that its quotient is scaled: the code
    /// leaves the scaling out, and the interpreter must run instead.
    #[must_use]
    pub fn run<R: VmReal>(
        &self,
        arrays: &mut [&mut [R]],
        scalars: &[R],
        n: usize,
        key: (u64, u32, u32, u32),
        flagged: &mut Vec<u32>,
    ) -> bool {
        let lanes = self.lanes();
        assert!(
            n.is_multiple_of(lanes),
            "run length {n} is not a multiple of {lanes}"
        );
        self.execute(arrays, scalars, n, key, flagged)
    }

    /// As [`run`](Self::run), over every element of `arrays` whatever
    /// their length: the last `len mod lanes` elements are padded to a
    /// whole vector with copies of the last one. Lanes are independent and
    /// draws are keyed by element, so the real lanes get the interpreter's
    /// bits and the copies are dropped (their flags too). False, having
    /// run nothing, as [`run`](Self::run).
    #[must_use]
    pub fn run_padded<R: VmReal>(
        &self,
        arrays: &mut [&mut [R]],
        scalars: &[R],
        key: (u64, u32, u32, u32),
        flagged: &mut Vec<u32>,
    ) -> bool {
        let len = arrays.first().map_or(0, |a| a.len());
        self.execute(arrays, scalars, len, key, flagged)
    }

    /// [`run_padded`](Self::run_padded) over the first `len` elements:
    /// whole vectors in place, then the last partial one (if any) in
    /// copies, in one set-up of the scalars and draws (a population of one
    /// neuron runs at every step, and its set-up is most of its cost).
    fn execute<R: VmReal>(
        &self,
        arrays: &mut [&mut [R]],
        scalars: &[R],
        len: usize,
        key: (u64, u32, u32, u32),
        flagged: &mut Vec<u32>,
    ) -> bool {
        assert_eq!(arrays.len(), self.n_arrays, "bound arrays");
        assert!(
            arrays.iter().all(|a| a.len() >= len),
            "bound arrays shorter than the run"
        );
        // SAFETY: each pointer is that of a distinct `&mut` slice of at
        // least `len` elements, borrowed for the whole call.
        unsafe {
            self.execute_raw(
                |ptrs, _| {
                    ptrs.extend(arrays.iter_mut().map(|a| a.as_mut_ptr().cast()));
                    false
                },
                scalars,
                len,
                key,
                flagged,
            )
        }
    }

    /// [`execute`](Self::execute) over arrays given as pointers: `bind`
    /// appends the bound arrays' first elements to the list it is given.
    /// A small population's update is a few hundred instructions, and a
    /// list of slices made for it (then checked and turned into this list)
    /// cost as much again. False, having run nothing, as
    /// [`run`](Self::run).
    ///
    /// `bind` is given the elements the code would run in whole vectors
    /// (`len` rounded up to the lanes) and says whether every array it
    /// bound holds that many in place, the ones past `len` copies of the
    /// last: then the last partial vector runs in place with the others,
    /// with no copies made and no second call of the code.
    ///
    /// # Safety
    ///
    /// `bind` appends exactly the program's number of bound arrays, each
    /// the first of at least `len` elements of `R` (of the whole vectors'
    /// elements where it returns true), valid for reads and writes and
    /// overlapping no other for the whole call.
    #[must_use]
    pub(crate) unsafe fn execute_raw<R: VmReal>(
        &self,
        bind: impl FnOnce(&mut Vec<*mut u8>, usize) -> bool,
        scalars: &[R],
        len: usize,
        key: (u64, u32, u32, u32),
        flagged: &mut Vec<u32>,
    ) -> bool {
        // The code reads and writes elements of its program's precision.
        assert!(self.runs::<R>(), "native code run in another precision");
        assert!(self.rows.is_none(), "row code run over elements");
        let lanes = self.lanes();
        let whole = len.next_multiple_of(lanes);
        let index0 = key.3;
        let n = self.n_arrays;
        R::native_scratch().with(|s| {
            let Scratch {
                flags,
                drawn,
                words,
                ptrs,
                cache,
                padded: heap,
            } = &mut *s.borrow_mut();
            ptrs.clear();
            let in_place = bind(ptrs, whole);
            assert_eq!(ptrs.len(), n, "bound arrays");
            let head = if in_place { whole } else { len / lanes * lanes };
            let (slots, table) = self
                .scalars
                .slots(scalars, &self.uniforms, &self.timed, cache);
            // The code multiplies by no scale: a scale of 1 leaves a
            // product as it is, bit for bit (the interpreter skips it too),
            // and a tiny divisor's 2^64, which a population's parameter
            // gets only by mistake, is left to the interpreter. Every
            // `x / tau` of a model paid a multiplication at every vector
            // (COBA 7 % of its time).
            if self.scales.iter().any(|&k| slots[k as usize] != R::ONE) {
                return false;
            }
            // Drawn for the padding too: draws are keyed by element.
            let drawn = self.draw(drawn, words, slots, whole, key);
            // Code that flags writes every flag byte of its run: no
            // clearing, and none to read after code that does not.
            let groups = if self.flags { whole / lanes } else { 0 };
            if flags.len() < groups {
                flags.resize(groups, 0);
            }
            // Both calls (the whole vectors, the last partial one) of one
            // make, watched as one ([`super::wide`]).
            let (entry, entered) = self.enter();
            if head > 0 {
                ptrs.truncate(n);
                ptrs.extend(drawn.iter_mut().map(|d| d.as_mut_ptr().cast()));
                // SAFETY: every array (bound or drawn) holds at least
                // `head` elements of the program's precision (the
                // caller's promise, `whole` where `bind` said so; drawn
                // ones sized here), the table
                // holds a vector for each uniform operand the code reads,
                // and code that flags writes one flag byte per vector, of
                // which there are `groups`.
                unsafe {
                    entry(
                        ptrs.as_ptr(),
                        table.as_ptr().cast(),
                        head,
                        flags.as_mut_ptr(),
                    )
                };
            }
            if head < len {
                // On the stack for the usual handful of arrays.
                let mut stack = [[R::ZERO; MAX_LANES]; 16];
                let padded: &mut [[R; MAX_LANES]] = if n <= stack.len() {
                    &mut stack[..n]
                } else {
                    heap.resize(n, [R::ZERO; MAX_LANES]);
                    &mut heap[..n]
                };
                // Lane by lane, a fixed four each (the lanes past the
                // population repeat its last element), where a loop or a
                // memcpy call of the population's 1 to 3 cost more than a
                // small population's update.
                let part = len - head;
                // SAFETY (of each read): elements head..len of each bound
                // array (the caller's promise), read before the code runs.
                let bound = padded.iter_mut().zip(ptrs[..n].iter());
                if part == 1 {
                    // A population of one neuron (the usual case): one
                    // value into every lane, one store.
                    bound.for_each(|(v, &a)| *v = [unsafe { *a.cast::<R>().add(head) }; MAX_LANES]);
                } else {
                    for (v, &a) in bound {
                        let src =
                            unsafe { std::slice::from_raw_parts(a.cast::<R>().add(head), part) };
                        let last = src[part - 1];
                        *v = std::array::from_fn(|l| src.get(l).copied().unwrap_or(last));
                    }
                }
                ptrs.truncate(n);
                ptrs.extend(padded.iter_mut().map(|v| v.as_mut_ptr().cast()));
                ptrs.extend(drawn.iter_mut().map(|d| d[head..].as_mut_ptr().cast()));
                let tail_flags = flags[groups.min(head / lanes)..].as_mut_ptr();
                // SAFETY: as above, over one vector: the copies hold
                // MAX_LANES >= lanes elements, the drawn arrays `whole -
                // head` = lanes after `head`, and the flag byte of this
                // vector is the last of the `groups` (where the code flags).
                unsafe { entry(ptrs[n..].as_ptr(), table.as_ptr().cast(), lanes, tail_flags) };
                // Back only what the code may have written.
                for (&a, v) in ptrs[..self.writes].iter().zip(padded.iter()) {
                    // SAFETY: as the reads above; the copies are no longer
                    // borrowed by the code.
                    let dst =
                        unsafe { std::slice::from_raw_parts_mut(a.cast::<R>().add(head), part) };
                    dst.iter_mut().zip(v).for_each(|(x, v)| *x = *v);
                }
            }
            self.leave(entered);
            let flags = &flags[..groups];
            // Eight flag bytes at a time, a set bit at a time: flags are
            // rare (spikes), and a branch a byte cost more than the code
            // that set them. Byte g holds the flags of elements g * lanes
            // onwards, one bit each; the padding's are dropped.
            let mut push = |first_group: usize, mut word: u64| {
                while word != 0 {
                    let bit = word.trailing_zeros() as usize;
                    let element = (first_group + bit / 8) * lanes + bit % 8;
                    if element < len {
                        flagged.push(index0 + element as u32);
                    }
                    word &= word - 1;
                }
            };
            let mut groups = flags.chunks_exact(8);
            for (c, bytes) in groups.by_ref().enumerate() {
                push(
                    8 * c,
                    u64::from_le_bytes(bytes.try_into().unwrap_or_default()),
                );
            }
            let done = flags.len() / 8 * 8;
            // The last bytes shifted into a word in registers: copied into
            // a word in memory and read back at once, the wider read
            // waited for the narrow writes to reach the cache (a fifth of
            // a small population's time in this function).
            let last = groups
                .remainder()
                .iter()
                .enumerate()
                .fold(0u64, |w, (i, &b)| w | u64::from(b) << (8 * i));
            push(done, last);
            true
        })
    }

    /// The program's draws for elements `0..whole` (element 0 being
    /// `key.3`), into `drawn`'s first arrays, with the run's scalar slots.
    #[inline]
    fn draw<'d, R: VmReal>(
        &self,
        drawn: &'d mut Vec<Vec<R>>,
        words: &mut Vec<u32>,
        slots: &[R],
        whole: usize,
        key: (u64, u32, u32, u32),
    ) -> &'d mut [Vec<R>] {
        // Most programs draw nothing: no call for them.
        if self.draws.is_empty() {
            return &mut [];
        }
        self.draw_all(drawn, words, slots, whole, key)
    }

    /// [`draw`](Self::draw) of a program that draws.
    fn draw_all<'d, R: VmReal>(
        &self,
        drawn: &'d mut Vec<Vec<R>>,
        words: &mut Vec<u32>,
        slots: &[R],
        whole: usize,
        (seed, step, object, index0): (u64, u32, u32, u32),
    ) -> &'d mut [Vec<R>] {
        let uniform = |u: Src| scalars::uniform_value(slots, u);
        if drawn.len() < self.draws.len() {
            drawn.resize_with(self.draws.len(), Vec::new);
        }
        let drawn = &mut drawn[..self.draws.len()];
        for (d, out) in self.draws.iter().zip(drawn.iter_mut()) {
            out.resize(whole, R::ZERO);
            let object = object.wrapping_add(d.stream);
            let ab = (uniform(d.args[0]), uniform(d.args[1]));
            if d.shared {
                let x = vm::random_value(d.kind, seed, object, step, 0, ab.0, ab.1);
                out.fill(x);
            } else {
                vm::draws(d.kind, seed, object, step, index0, ab, out, words);
            }
        }
        drawn
    }
}

/// A uniform operand in every lane of a vector, aligned as one (the code's
/// loads from the table say so).
#[derive(Clone, Copy)]
#[repr(C, align(16))]
struct Lanes([u8; VECTOR_BYTES]);

impl Lanes {
    /// `x` in every lane of its precision's vector.
    #[inline]
    fn splat<R: Real>(x: R) -> Lanes {
        let (bytes, n) = host_bytes(x);
        Lanes(std::array::from_fn(|i| bytes[i % n]))
    }
}

/// A worker's scratch for [`Native::run`] in precision `R`, kept between
/// steps ([`VmReal::native_scratch`]).
pub struct Scratch<R> {
    flags: Vec<u8>,
    /// Each draw's values.
    drawn: Vec<Vec<R>>,
    /// Philox words.
    words: Vec<u32>,
    /// The code's array pointers (bound arrays, then drawn ones), kept
    /// between runs for their allocation only: cleared before each.
    ptrs: Vec<*mut u8>,
    /// Scalar slots and uniform tables of the programs this thread ran.
    cache: SlotCache<R>,
    /// A partial last vector's copies, past the stack's room for them.
    padded: Vec<[R; MAX_LANES]>,
}

impl<R> Scratch<R> {
    /// Empty, in a constant: a thread's scratch is then a `const`
    /// thread-local, whose every access skips the check of a lazy one.
    pub(crate) const fn new() -> Self {
        Scratch {
            flags: Vec::new(),
            drawn: Vec::new(),
            words: Vec::new(),
            ptrs: Vec::new(),
            cache: SlotCache::new(),
            padded: Vec::new(),
        }
    }
}

impl<R> Default for Scratch<R> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests;

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

use std::collections::HashMap;
use std::sync::Arc;

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    types, AbiParam, Block, Endianness, InstBuilder, MemFlagsData, SigRef, Signature, StackSlot,
    Type, Value,
};
use cranelift_codegen::isa::TargetFrontendConfig;
use cranelift_frontend::FunctionBuilder;
use cranelift_module::Module;

use super::vm::{self, Op, Program, Src, VmReal};
use crate::lang::ir::{BinOp, Func, RandomKind, UnOp};
use crate::real::{Dtype, Real};
use lanes::LaneFns;
pub(super) use lanes::{lane_pow, lane_rem};
pub use rows::{Bound, Ranks, RowKinds};
use scalars::{ScalarOps, SlotCache};

mod lanes;
mod rows;
mod scalars;
mod shared;

pub(super) use shared::{
    exp_of, four_pointer_function, host_bytes, isa, max_of, min_of, pick_of, tanh_of, Code, Made,
};

/// The most elements a vector holds (f32's four): a run of any precision
/// fits a padded vector of this many.
const MAX_LANES: usize = 4;

/// Bytes of a vector register: every precision's vector, and each entry of
/// the uniform table, is this wide.
const VECTOR_BYTES: usize = 16;

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
    /// The bound arrays before the last one the code writes, and it.
    writes: usize,
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
        Self::make(prog, n_arrays, Over::Elements(flag))
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
            Over::Elements(_) => "neuron_update",
        };
        // Row code holds a copy of the program a way of finishing a row.
        let copies = match over {
            Over::Rows(_, kinds) => 1 + usize::from(kinds.long_tail) + usize::from(kinds.short),
            Over::Elements(_) => 1,
        };
        let ops = prog.ops.len() * copies;
        let (code, at, uniforms) = four_pointer_function(name, ops, |b, module| {
            build(
                b,
                prog,
                n_arrays,
                draws.len(),
                over,
                module.target_config(),
                module.make_signature(),
            )
        })?;
        // SAFETY: the function has `Entry`'s signature (four pointer-sized
        // arguments, no result) in the host's calling convention.
        let entry = unsafe { std::mem::transmute::<*const u8, Entry>(at) };
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
            flags: matches!(over, Over::Elements(Some(_))),
            writes: prog
                .ops
                .iter()
                .filter_map(|op| match op {
                    Op::Store(a, ..) => Some(*a as usize + 1),
                    _ => None,
                })
                .max()
                .unwrap_or(0),
            rows: match over {
                Over::Rows(layout, kinds) => Some((layout.into(), kinds)),
                Over::Elements(_) => None,
            },
            _code: code,
        })
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
    pub fn run<R: VmReal>(
        &self,
        arrays: &mut [&mut [R]],
        scalars: &[R],
        n: usize,
        key: (u64, u32, u32, u32),
        flagged: &mut Vec<u32>,
    ) {
        let lanes = self.lanes();
        assert!(
            n.is_multiple_of(lanes),
            "run length {n} is not a multiple of {lanes}"
        );
        self.execute(arrays, scalars, n, key, flagged);
    }

    /// As [`run`](Self::run), over every element of `arrays` whatever
    /// their length: the last `len mod lanes` elements are padded to a
    /// whole vector with copies of the last one. Lanes are independent and
    /// draws are keyed by element, so the real lanes get the interpreter's
    /// bits and the copies are dropped (their flags too).
    pub fn run_padded<R: VmReal>(
        &self,
        arrays: &mut [&mut [R]],
        scalars: &[R],
        key: (u64, u32, u32, u32),
        flagged: &mut Vec<u32>,
    ) {
        let len = arrays.first().map_or(0, |a| a.len());
        self.execute(arrays, scalars, len, key, flagged);
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
    ) {
        // The code reads and writes elements of its program's precision.
        assert!(self.runs::<R>(), "native code run in another precision");
        assert_eq!(arrays.len(), self.n_arrays, "bound arrays");
        assert!(
            arrays.iter().all(|a| a.len() >= len),
            "bound arrays shorter than the run"
        );
        assert!(self.rows.is_none(), "row code run over elements");
        let lanes = self.lanes();
        let head = len / lanes * lanes;
        let whole = len.next_multiple_of(lanes);
        let index0 = key.3;
        R::native_scratch().with(|s| {
            let Scratch {
                flags,
                drawn,
                words,
                ptrs,
                cache,
                padded: heap,
            } = &mut *s.borrow_mut();
            let (slots, table) = self
                .scalars
                .slots(scalars, &self.uniforms, &self.timed, cache);
            // Drawn for the padding too: draws are keyed by element.
            let drawn = self.draw(drawn, words, slots, whole, key);
            // Code that flags writes every flag byte of its run: no
            // clearing, and none to read after code that does not.
            let groups = if self.flags { whole / lanes } else { 0 };
            if flags.len() < groups {
                flags.resize(groups, 0);
            }
            if head > 0 {
                // Two extends of known length rather than one of a chain
                // (a capacity check per element).
                ptrs.clear();
                ptrs.extend(arrays.iter_mut().map(|a| a.as_mut_ptr().cast()));
                ptrs.extend(drawn.iter_mut().map(|d| d.as_mut_ptr().cast()));
                // SAFETY: every array (bound or drawn) holds at least
                // `head` elements of the program's precision (checked
                // above; drawn ones sized here), the table holds a vector
                // for each uniform operand the code reads, and code that
                // flags writes one flag byte per vector, of which there
                // are `groups`.
                unsafe {
                    (self.entry)(
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
                let padded: &mut [[R; MAX_LANES]] = if arrays.len() <= stack.len() {
                    &mut stack[..arrays.len()]
                } else {
                    heap.resize(arrays.len(), [R::ZERO; MAX_LANES]);
                    &mut heap[..arrays.len()]
                };
                // Lane by lane, a fixed four each (the lanes past the
                // population repeat its last element), where a loop or a
                // memcpy call of the population's 1 to 3 cost more than a
                // small population's update.
                let part = len - head;
                for (v, a) in padded.iter_mut().zip(arrays.iter()) {
                    let src = &a[head..len];
                    let last = src[part - 1];
                    *v = std::array::from_fn(|l| src.get(l).copied().unwrap_or(last));
                }
                ptrs.clear();
                ptrs.extend(padded.iter_mut().map(|v| v.as_mut_ptr().cast()));
                ptrs.extend(drawn.iter_mut().map(|d| d[head..].as_mut_ptr().cast()));
                let tail_flags = flags[groups.min(head / lanes)..].as_mut_ptr();
                // SAFETY: as above, over one vector: the copies hold
                // MAX_LANES >= lanes elements, the drawn arrays `whole -
                // head` = lanes after `head`, and the flag byte of this
                // vector is the last of the `groups` (where the code flags).
                unsafe { (self.entry)(ptrs.as_ptr(), table.as_ptr().cast(), lanes, tail_flags) };
                // Back only what the code may have written.
                for (a, v) in arrays[..self.writes].iter_mut().zip(padded.iter()) {
                    for (l, x) in a[head..len].iter_mut().enumerate() {
                        *x = v[l];
                    }
                }
            }
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
            let mut last = [0u8; 8];
            last[..groups.remainder().len()].copy_from_slice(groups.remainder());
            push(done, u64::from_le_bytes(last));
        });
    }

    /// The program's draws for elements `0..whole` (element 0 being
    /// `key.3`), into `drawn`'s first arrays, with the run's scalar slots.
    fn draw<'d, R: VmReal>(
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

impl<R> Default for Scratch<R> {
    fn default() -> Self {
        Scratch {
            flags: Vec::new(),
            drawn: Vec::new(),
            words: Vec::new(),
            ptrs: Vec::new(),
            cache: SlotCache::default(),
            padded: Vec::new(),
        }
    }
}

/// What the code loops over.
#[derive(Debug, Clone, Copy)]
enum Over<'a> {
    /// Elements `0..n`, with the register whose non-zero elements are
    /// flagged, if any.
    Elements(Option<u16>),
    /// Rows of synapses ([`Native::compile_rows`]), each bound array read
    /// as its layout says, of the kinds given.
    Rows(&'a [Bound], RowKinds),
}

/// The code generator of one program: the loop body's values and where
/// its uniform operands are.
struct Gen<'a> {
    b: FunctionBuilder<'a>,
    /// Each bound array's base address.
    bases: Vec<Value>,
    /// Row code: where each bound array is read ([`Bound::Column`] and
    /// [`Bound::ColumnButSelf`] at `col_off` rather than `off`).
    columns: Vec<Bound>,
    /// Row code: this vector's byte offset from its row's start.
    col_off: Value,
    /// Row code: the row's byte offset (its index times a value's bytes),
    /// where [`Bound::ColumnButSelf`] skips an element.
    row_off: Value,
    /// Row code: the address of the synapses' pre-synaptic ranks (`u32`
    /// each), where a [`Bound::AtPre`] array is read.
    ranks: Option<Value>,
    /// Row code: the row's value of each [`Bound::Row`] array it reads,
    /// while the row's part is computed; then where it waits in
    /// `row_slot`, by byte offset.
    row_values: Vec<Option<Value>>,
    row_at: Vec<Option<i32>>,
    row_slot: Option<StackSlot>,
    /// Row code's last partial vector: each lane's byte offset, and from
    /// its row's start.
    tail: Option<Vec<(Value, Value)>>,
    /// Row code's last vector of a row: the lanes that are the row's to
    /// write (the others keep what is stored).
    blend: Option<Value>,
    /// This iteration's byte offset.
    off: Value,
    /// Each register's current value.
    regs: Vec<Option<Value>>,
    /// Each array's current value at this iteration (what was loaded or
    /// last stored).
    arrays: Vec<Option<Value>>,
    /// Bound arrays (the draws' arrays follow).
    n_arrays: usize,
    /// Draws met so far.
    drawn: usize,
    /// The uniform table's address.
    table: Value,
    /// Each uniform operand's place in the table (scalar slots, and
    /// constants by their bits in the program's precision).
    uniform: HashMap<(bool, u64), usize>,
    /// Values that are a comparison's 1.0 or 0.0, with its mask: testing
    /// one for non-zero is that mask. (A register holding a comparison
    /// holds its mask, made a value only where one is read: most are
    /// read as conditions alone.)
    truths: HashMap<Value, Value>,
    /// Element code: the store being generated is not its array's last
    /// of the iteration, and is left to that one (a reset stores again
    /// what the equations stored; nothing reads memory in between, since
    /// an array's value is kept once loaded or stored). The last stays in
    /// its place: stores all at the end would leave the loads of the
    /// table's operands before all the arithmetic, and their values in
    /// registers, or spilled, all that while.
    overwritten: bool,
    sig1: SigRef,
    sig2: SigRef,
    ptr: Type,
    /// The program's types.
    shape: Shape,
    /// The program's precision.
    dtype: Dtype,
    /// The functions called a lane at a time.
    fns: LaneFns,
}

fn build(
    mut b: FunctionBuilder,
    prog: &Program,
    n_arrays: usize,
    n_draws: usize,
    over: Over,
    target: TargetFrontendConfig,
    base_sig: Signature,
) -> Option<Vec<Src>> {
    let ptr = target.pointer_type();
    let shape = Shape::of(prog.dtype);
    let mut sig1 = base_sig.clone();
    sig1.params.push(AbiParam::new(shape.elem));
    sig1.returns.push(AbiParam::new(shape.elem));
    let mut sig2 = sig1.clone();
    sig2.params.push(AbiParam::new(shape.elem));
    let (sig1, sig2) = (b.import_signature(sig1), b.import_signature(sig2));

    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let [arrays_p, table, n, flags_p] = b.block_params(entry)[..] else {
        return None;
    };
    let mem = MemFlagsData::new().with_notrap();
    let bases: Vec<Value> = (0..n_arrays + n_draws)
        .map(|k| {
            b.ins()
                .load(ptr, mem, arrays_p, (k * ptr.bytes() as usize) as i32)
        })
        .collect();
    // Row code reading arrays at the synapses' pre-synaptic ranks finds
    // them after the draws.
    let ranks = match over {
        Over::Rows(layout, _) if layout.contains(&Bound::AtPre) => {
            let at = (n_arrays + n_draws) * ptr.bytes() as usize;
            Some(b.ins().load(ptr, mem, arrays_p, at as i32))
        }
        _ => None,
    };
    // Every scalar and constant the loop reads, with the constants the
    // generator itself uses (`konst`).
    let mut uniforms = vec![
        Src::Const(0.0),
        Src::Const(1.0),
        Src::Const(-1.0),
        Src::Const(0.5),
        // Its bits are the sign bit alone: `-x` is `x ^ -0.0`.
        Src::Const(-0.0),
    ];
    for op in &prog.ops {
        // Scalar operations (run before the loop, on the host) have none.
        op.operands(&mut uniforms);
    }
    let mut uniform = HashMap::new();
    uniforms.retain(|u| {
        let key = match *u {
            Src::Scalar(k) => (true, u64::from(k)),
            Src::Const(c) => (false, prog.dtype.round(c).to_bits()),
            Src::Reg(_) | Src::Arr(_) => return false,
        };
        let fresh = !uniform.contains_key(&key);
        let next = uniform.len();
        uniform.entry(key).or_insert(next);
        fresh
    });
    let mut g = Gen {
        b,
        columns: match over {
            Over::Rows(layout, _) => layout.to_vec(),
            Over::Elements(_) => Vec::new(),
        },
        col_off: n,
        row_off: n,
        ranks,
        bases,
        row_values: vec![None; n_arrays + n_draws],
        row_at: vec![None; n_arrays + n_draws],
        row_slot: None,
        tail: None,
        blend: None,
        off: n,
        regs: vec![None; prog.n_regs],
        arrays: vec![None; n_arrays + n_draws],
        n_arrays,
        drawn: 0,
        table,
        uniform,
        truths: HashMap::new(),
        overwritten: false,
        sig1,
        sig2,
        ptr,
        shape,
        dtype: prog.dtype,
        fns: LaneFns::of(prog.dtype),
    };
    let exit = g.b.create_block();
    match over {
        Over::Elements(flag) => g.elements(prog, n, flag, flags_p, exit)?,
        Over::Rows(layout, kinds) => g.rows(prog, layout, kinds, n, flags_p, exit)?,
    }
    g.b.switch_to_block(exit);
    g.b.ins().return_(&[]);
    g.b.seal_all_blocks();
    g.b.finalize(target);
    Some(uniforms)
}

impl Gen<'_> {
    /// The loop over elements `0..n`, a vector at a time, then `exit`.
    fn elements(
        &mut self,
        prog: &Program,
        n: Value,
        flag: Option<u16>,
        flags_p: Value,
        exit: Block,
    ) -> Option<()> {
        let (shape, mem) = (self.shape, MemFlagsData::new().with_notrap());
        let g = self;
        let header = g.b.create_block();
        let body = g.b.create_block();
        let i = g.b.append_block_param(header, g.ptr);
        let zero = g.b.ins().iconst(g.ptr, 0);
        g.b.ins().jump(header, &[zero.into()]);

        g.b.switch_to_block(header);
        let more = g.b.ins().icmp(IntCC::UnsignedLessThan, i, n);
        g.b.ins().brif(more, body, &[], exit, &[]);

        g.b.switch_to_block(body);
        g.off = g.b.ins().ishl_imm_u(i, shape.shift);
        let mut last_store = HashMap::new();
        for (k, op) in prog.ops.iter().enumerate() {
            if let Op::Store(a, ..) = op {
                last_store.insert(*a, k);
            }
        }
        for (k, op) in prog.ops.iter().enumerate() {
            g.overwritten = matches!(op, Op::Store(a, ..) if last_store.get(a) != Some(&k));
            g.op(op)?;
        }
        g.overwritten = false;
        if let Some(r) = flag {
            let m = g.reg_cond(r)?;
            let bits = g.b.ins().vhigh_bits(types::I8, m);
            let at = g.b.ins().ushr_imm_u(i, shape.lane_shift());
            let at = g.b.ins().iadd(flags_p, at);
            g.b.ins().store(mem, bits, at, 0);
        }
        let next = g.b.ins().iadd_imm_u(i, shape.lanes as i64);
        g.b.ins().jump(header, &[next.into()]);
        Some(())
    }

    fn konst(&mut self, c: f64) -> Value {
        self.uniform_at((false, c.to_bits()))
            .expect("the generator's constants are in the table")
    }

    fn uniform_at(&mut self, key: (bool, u64)) -> Option<Value> {
        let k = *self.uniform.get(&key)?;
        let at = (k * VECTOR_BYTES) as i32;
        let vec = self.shape.vec;
        Some(
            self.b
                .ins()
                .load(vec, MemFlagsData::trusted().with_readonly(), self.table, at),
        )
    }

    /// Register `r`'s value (a comparison's 1.0 or 0.0 made from its
    /// mask here).
    fn reg(&mut self, r: u16) -> Option<Value> {
        let v = self.reg_raw(r)?;
        Some(match self.is_mask(v) {
            true => self.truth_value(v),
            false => v,
        })
    }

    /// Register `r` as it is held: a value, or a comparison's mask.
    fn reg_raw(&self, r: u16) -> Option<Value> {
        self.regs.get(r as usize).copied().flatten()
    }

    /// Register `r`'s non-zero lanes, as a mask.
    fn reg_cond(&mut self, r: u16) -> Option<Value> {
        let v = self.reg_raw(r)?;
        Some(match self.is_mask(v) {
            true => v,
            false => self.nonzero(v),
        })
    }

    /// Operand `s`'s non-zero lanes, as a mask.
    fn src_cond(&mut self, s: Src) -> Option<Value> {
        match s {
            Src::Reg(r) => self.reg_cond(r),
            _ => {
                let v = self.src(s)?;
                Some(self.nonzero(v))
            }
        }
    }

    /// Whether `v` is a comparison's mask (an integer vector; values
    /// are float vectors).
    fn is_mask(&self, v: Value) -> bool {
        self.b.func.dfg.value_type(v) == self.shape.mask
    }

    fn array(&mut self, a: u16) -> Option<Value> {
        let k = a as usize;
        if let Some(v) = *self.arrays.get(k)? {
            return Some(v);
        }
        if let Some(v) = *self.row_values.get(k)? {
            return Some(v);
        }
        if let Some(at) = *self.row_at.get(k)? {
            let v = self
                .b
                .ins()
                .stack_load(self.ptr, self.shape.vec, self.row_slot?, at);
            self.arrays[k] = Some(v);
            return Some(v);
        }
        let base = *self.bases.get(k)?;
        let bound = self.columns.get(k).copied().unwrap_or(Bound::Each);
        let mem = MemFlagsData::new().with_notrap();
        let v = match self.tail.clone() {
            // Lane by lane, each at its own synapse.
            Some(offs) => {
                let mut lane_offs = Vec::with_capacity(offs.len());
                for (off, col) in offs {
                    lane_offs.push(match bound {
                        Bound::Column => col,
                        Bound::ColumnButSelf => self.past_self(col),
                        Bound::AtPre => self.at_rank(off, 0)?,
                        Bound::Each | Bound::Row => off,
                    });
                }
                self.lanes_at(base, &lane_offs)?
            }
            // Lane by lane, each at its synapse's rank.
            None if bound == Bound::AtPre => {
                let mut lane_offs = Vec::with_capacity(self.shape.lanes);
                for lane in 0..self.shape.lanes {
                    lane_offs.push(self.at_rank(self.off, lane as i32)?);
                }
                self.lanes_at(base, &lane_offs)?
            }
            None if bound == Bound::ColumnButSelf => {
                // The lanes from the row's neuron on read one further:
                // two loads, blended.
                let at = self.b.ins().iadd(base, self.col_off);
                let below = self.b.ins().load(self.shape.vec, mem, at, 0);
                let elem = 1 << self.shape.shift;
                let above = self.b.ins().load(self.shape.vec, mem, at, elem as i32);
                let lane_int = self.shape.mask.lane_type();
                let narrow = |b: &mut FunctionBuilder, x: Value| {
                    if lane_int.bits() < b.func.dfg.value_type(x).bits() {
                        b.ins().ireduce(lane_int, x)
                    } else {
                        x
                    }
                };
                let lane_offs = self.lane_ints(elem);
                let col = narrow(&mut self.b, self.col_off);
                let col = self.b.ins().splat(self.shape.mask, col);
                let places = self.b.ins().iadd(lane_offs, col);
                let row = narrow(&mut self.b, self.row_off);
                let row = self.b.ins().splat(self.shape.mask, row);
                let past = self
                    .b
                    .ins()
                    .icmp(IntCC::SignedGreaterThanOrEqual, places, row);
                self.pick(past, above, below)
            }
            None => {
                let off = match bound {
                    Bound::Column => self.col_off,
                    _ => self.off,
                };
                let at = self.b.ins().iadd(base, off);
                self.b.ins().load(self.shape.vec, mem, at, 0)
            }
        };
        self.arrays[k] = Some(v);
        Some(v)
    }

    /// The vector whose lane `l` is the value at byte offset `offs[l]`
    /// from `base`.
    fn lanes_at(&mut self, base: Value, offs: &[Value]) -> Option<Value> {
        let mem = MemFlagsData::new().with_notrap();
        let mut v = None;
        for (lane, &off) in offs.iter().enumerate() {
            let at = self.b.ins().iadd(base, off);
            let x = self.b.ins().load(self.shape.elem, mem, at, 0);
            v = Some(match v {
                None => self.b.ins().splat(self.shape.vec, x),
                Some(v) => self.b.ins().insertlane(v, x, lane as u8),
            });
        }
        v
    }

    /// The mask-typed vector whose lane `l` is `l * scale`.
    fn lane_ints(&mut self, scale: i64) -> Value {
        let lane_int = self.shape.mask.lane_type();
        let bytes: Vec<u8> = (0..self.shape.lanes as i64)
            .flat_map(|l| match lane_int.bits() {
                32 => ((l * scale) as i32).to_le_bytes().to_vec(),
                _ => (l * scale).to_le_bytes().to_vec(),
            })
            .collect();
        let k = self.b.func.dfg.constants.insert(bytes.into());
        self.b.ins().vconst(self.shape.mask, k)
    }

    /// A [`Bound::AtPre`] array's byte offset for synapse `lane` after
    /// the one at byte offset `off`: its rank times a value's bytes.
    fn at_rank(&mut self, off: Value, lane: i32) -> Option<Value> {
        // The synapse's rank is at 4 bytes a synapse.
        let shift = self.shape.shift;
        let word = match shift {
            2 => off,
            _ => self.b.ins().ushr_imm_u(off, shift - 2),
        };
        let at = self.b.ins().iadd(self.ranks?, word);
        let words = MemFlagsData::trusted().with_readonly();
        let rank = self.b.ins().uload32(words, at, 4 * lane);
        Some(self.b.ins().ishl_imm_u(rank, shift))
    }

    /// A [`Bound::ColumnButSelf`] array's byte offset for the synapse at
    /// byte offset `col` from its row's start: one value further from the
    /// row's neuron on.
    fn past_self(&mut self, col: Value) -> Value {
        let past = self
            .b
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, col, self.row_off);
        let further = self.b.ins().iadd_imm_u(col, 1 << self.shape.shift);
        self.b.ins().select(past, further, col)
    }

    fn src(&mut self, s: Src) -> Option<Value> {
        match s {
            Src::Reg(r) => self.reg(r),
            Src::Arr(a) => self.array(a),
            Src::Scalar(k) => self.uniform_at((true, u64::from(k))),
            Src::Const(c) => self.uniform_at((false, self.dtype.round(c).to_bits())),
        }
    }

    fn as_vec(&mut self, m: Value) -> Value {
        let little = MemFlagsData::new().with_endianness(Endianness::Little);
        self.b.ins().bitcast(self.shape.vec, little, m)
    }

    /// `m ? x : y` lane by lane, for a comparison's mask `m`.
    fn pick(&mut self, m: Value, x: Value, y: Value) -> Value {
        pick_of(&mut self.b, m, x, y)
    }

    /// The lanes that are not 0 (NaN included), as a mask.
    fn nonzero(&mut self, v: Value) -> Value {
        if let Some(&m) = self.truths.get(&v) {
            return m;
        }
        let z = self.konst(0.0);
        self.b.ins().fcmp(FloatCC::NotEqual, v, z)
    }

    /// A comparison's mask as 1.0 or 0.0: the bits of 1.0 where the mask's
    /// are all set, +0 where none are (what selecting 1.0 or 0.0 gives).
    fn truth_value(&mut self, m: Value) -> Value {
        let one = self.konst(1.0);
        let bits = self.as_vec(m);
        let v = self.b.ins().band(bits, one);
        self.truths.insert(v, m);
        v
    }

    fn lanes(&mut self, sig: SigRef, f: *const (), args: &[Value]) -> Value {
        let callee = self.b.ins().iconst(self.ptr, f as usize as i64);
        let mut out: Option<Value> = None;
        for lane in 0..self.shape.lanes as u8 {
            let xs: Vec<Value> = args
                .iter()
                .map(|&a| self.b.ins().extractlane(a, lane))
                .collect();
            let call = self.b.ins().call_indirect(sig, callee, &xs);
            let r = self.b.inst_results(call)[0];
            out = Some(match out {
                None => self.b.ins().splat(self.shape.vec, r),
                Some(v) => self.b.ins().insertlane(v, r, lane),
            });
        }
        out.expect("at least one lane")
    }

    /// Rust's `round`: half-way cases away from zero.
    fn round(&mut self, x: Value) -> Value {
        let t = self.b.ins().trunc(x);
        let d = self.b.ins().fsub(x, t);
        let d = self.b.ins().fabs(d);
        let half = self.konst(0.5);
        let up = self.b.ins().fcmp(FloatCC::GreaterThanOrEqual, d, half);
        // copysign(1, x), from the bits (no vector copysign on x86).
        let little = MemFlagsData::new().with_endianness(Endianness::Little);
        let mask = self.shape.mask;
        let int = mask.lane_type();
        let (sign, one) = match self.dtype {
            Dtype::F32 => (i64::from(i32::MIN), i64::from(1.0f32.to_bits())),
            Dtype::F64 => (i64::MIN, 1.0f64.to_bits() as i64),
        };
        let bits = self.b.ins().bitcast(mask, little, x);
        let sign = self.b.ins().iconst(int, sign);
        let sign = self.b.ins().splat(mask, sign);
        let sign = self.b.ins().band(bits, sign);
        let one = self.b.ins().iconst(int, one);
        let one = self.b.ins().splat(mask, one);
        let s = self.b.ins().bor(sign, one);
        let s = self.as_vec(s);
        let away = self.b.ins().fadd(t, s);
        self.pick(up, away, t)
    }

    /// `exp` as the interpreter computes it: f32's
    /// ([`crate::lang::ir::exp`]) the same operations in the same order,
    /// f64's a lane at a time.
    fn exp(&mut self, x: Value) -> Option<Value> {
        match self.dtype {
            Dtype::F32 => Some(exp_of(&mut self.b, x, types::F32X4)),
            Dtype::F64 => {
                let f = (self.fns.one)(Func::Exp)?;
                Some(self.lanes(self.sig1, f, &[x]))
            }
        }
    }

    fn bin(&mut self, op: BinOp, x: Value, y: Value, exponent: Option<f64>) -> Value {
        let cmp = |g: &mut Self, cc: FloatCC| {
            // Its mask, held as such until read as a value (`truth_value`).
            g.b.ins().fcmp(cc, x, y)
        };
        match op {
            BinOp::Add => self.b.ins().fadd(x, y),
            BinOp::Sub => self.b.ins().fsub(x, y),
            BinOp::Mul => self.b.ins().fmul(x, y),
            BinOp::Div => self.b.ins().fdiv(x, y),
            // `pow`'s products for whole exponents 1 to 16, in its order
            // (its first `1.0 * base` is `base` exactly).
            BinOp::Pow
                if exponent.is_some_and(|e| (1.0..=16.0).contains(&e) && e.fract() == 0.0) =>
            {
                let mut k = exponent.unwrap_or(1.0) as u32;
                let (mut base, mut acc) = (x, None);
                loop {
                    if k & 1 == 1 {
                        acc = Some(match acc {
                            None => base,
                            Some(a) => self.b.ins().fmul(a, base),
                        });
                    }
                    k >>= 1;
                    if k == 0 {
                        break acc.unwrap_or(x);
                    }
                    base = self.b.ins().fmul(base, base);
                }
            }
            BinOp::Pow => self.lanes(self.sig2, self.fns.pow, &[x, y]),
            BinOp::Rem => self.lanes(self.sig2, self.fns.rem, &[x, y]),
            BinOp::Lt => cmp(self, FloatCC::LessThan),
            BinOp::Gt => cmp(self, FloatCC::GreaterThan),
            BinOp::Le => cmp(self, FloatCC::LessThanOrEqual),
            BinOp::Ge => cmp(self, FloatCC::GreaterThanOrEqual),
            BinOp::Eq => cmp(self, FloatCC::Equal),
            BinOp::Ne => cmp(self, FloatCC::NotEqual),
            // Their operands are read as masks (`op`), not as values.
            BinOp::And | BinOp::Or => unreachable!("conditions combined in `op`"),
        }
    }

    fn call(&mut self, f: Func, a: Value, b: Value, c: Value) -> Option<Value> {
        Some(match f {
            Func::Exp => self.exp(a)?,
            // f64's is called, as the other functions.
            Func::Tanh if self.dtype == Dtype::F32 => tanh_of(&mut self.b, a, types::F32X4),
            Func::Sqrt => self.b.ins().sqrt(a),
            Func::Abs => self.b.ins().fabs(a),
            Func::Floor => self.b.ins().floor(a),
            Func::Ceil => self.b.ins().ceil(a),
            Func::Trunc => self.b.ins().trunc(a),
            Func::Round => self.round(a),
            // Against a constant 0, LLVM compares directly: `a > 0 ? a : 0`.
            Func::Pos => {
                let zero = self.konst(0.0);
                let m = self.b.ins().fcmp(FloatCC::GreaterThan, a, zero);
                self.pick(m, a, zero)
            }
            Func::Neg => {
                let zero = self.konst(0.0);
                let m = self.b.ins().fcmp(FloatCC::LessThan, a, zero);
                self.pick(m, a, zero)
            }
            Func::Min => min_of(&mut self.b, a, b),
            Func::Max => max_of(&mut self.b, a, b),
            Func::Clip => {
                let m = max_of(&mut self.b, a, b);
                min_of(&mut self.b, m, c)
            }
            Func::Sign => {
                let (one, minus, zero) = (self.konst(1.0), self.konst(-1.0), self.konst(0.0));
                let neg = self.b.ins().fcmp(FloatCC::LessThan, a, zero);
                let s = self.pick(neg, minus, zero);
                let pos = self.b.ins().fcmp(FloatCC::GreaterThan, a, zero);
                self.pick(pos, one, s)
            }
            Func::Pow => self.lanes(self.sig2, self.fns.pow, &[a, b]),
            Func::Modulo => self.lanes(self.sig2, self.fns.rem, &[a, b]),
            f => {
                let f = (self.fns.one)(f)?;
                self.lanes(self.sig1, f, &[a])
            }
        })
    }

    fn op(&mut self, op: &Op) -> Option<()> {
        let (d, v) = match op {
            Op::Scalar(_) | Op::Recip(..) => return Some(()),
            Op::Rand(_, _, d, _, _) => {
                let at = (self.n_arrays + self.drawn) as u16;
                self.drawn += 1;
                (*d, self.array(at)?)
            }
            Op::Bin(o @ (BinOp::And | BinOp::Or), d, a, b) => {
                let (x, y) = (self.src_cond(*a)?, self.src_cond(*b)?);
                let m = match o {
                    BinOp::And => self.b.ins().band(x, y),
                    _ => self.b.ins().bor(x, y),
                };
                (*d, m)
            }
            Op::Bin(o, d, a, b) => {
                let exponent = match b {
                    Src::Const(c) => Some(self.dtype.round(*c)),
                    _ => None,
                };
                let (x, y) = (self.src(*a)?, self.src(*b)?);
                (*d, self.bin(*o, x, y, exponent))
            }
            Op::Un(o, d, a) => {
                let x = self.src(*a)?;
                let v = match o {
                    // One instruction with the sign bit from the table,
                    // where `fneg` makes its mask in two more (the same
                    // bits: only the sign flips, NaNs' too).
                    UnOp::Neg => {
                        let sign = self.konst(-0.0);
                        self.b.ins().bxor(x, sign)
                    }
                    UnOp::Not => {
                        let z = self.konst(0.0);
                        self.b.ins().fcmp(FloatCC::Equal, x, z)
                    }
                };
                (*d, v)
            }
            Op::Call(f, d, args) => {
                let (a, b, c) = (self.src(args[0])?, self.src(args[1])?, self.src(args[2])?);
                (*d, self.call(*f, a, b, c)?)
            }
            Op::Sel(d, c, a, b) => {
                let m = self.src_cond(*c)?;
                let (x, y) = (self.src(*a)?, self.src(*b)?);
                (*d, self.pick(m, x, y))
            }
            Op::Mov(d, Src::Reg(r)) => (*d, self.reg_raw(*r)?),
            Op::Mov(d, a) => (*d, self.src(*a)?),
            // The interpreter multiplies only where the scale is not 1, but
            // its operand is always a product just computed, never a
            // signalling NaN, so multiplying by 1 returns it bit for bit.
            Op::Rescale(d, s) => {
                let x = self.reg(*d)?;
                let k = self.src(Src::Scalar(*s))?;
                (*d, self.b.ins().fmul(x, k))
            }
            Op::Store(arr, r, mask) => {
                let mut v = self.reg(*r)?;
                if let Some(m) = mask {
                    let old = self.array(*arr)?;
                    let m = self.reg_cond(*m)?;
                    v = self.pick(m, v, old);
                }
                let base = *self.bases.get(*arr as usize)?;
                let mem = MemFlagsData::new().with_notrap();
                match self.tail.clone() {
                    // From the last lane to the first: a row's own lane
                    // writes its last synapse after the lanes past the row.
                    // (Row code writes only arrays of one element a
                    // synapse: never a column.)
                    Some(offs) => {
                        for (lane, (off, _)) in offs.into_iter().enumerate().rev() {
                            let x = self.b.ins().extractlane(v, lane as u8);
                            let at = self.b.ins().iadd(base, off);
                            self.b.ins().store(mem, x, at, 0);
                        }
                    }
                    None if self.overwritten && self.blend.is_none() => {}
                    None => {
                        if let Some(own) = self.blend {
                            let old = self.array(*arr)?;
                            v = self.pick(own, v, old);
                        }
                        let at = self.b.ins().iadd(base, self.off);
                        self.b.ins().store(mem, v, at, 0);
                    }
                }
                self.arrays[*arr as usize] = Some(v);
                return Some(());
            }
        };
        *self.regs.get_mut(d as usize)? = Some(v);
        Some(())
    }
}

#[cfg(test)]
mod tests;

//! Row code: a learning rule's native code over rows of synapses (those
//! onto one post-synaptic neuron), reading a `post.x` at the row's neuron
//! and the `pre.x` of a row that holds every pre-synaptic neuron in order
//! at the synapse's place in the row, from the neurons' own arrays, and
//! computing what depends on the row alone once a row.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    types, Block, BlockArg, InstBuilder, MemFlagsData, StackSlotData, StackSlotKind, Type, Value,
};

use std::sync::Arc;

use super::{fdiv_of, Gen, Native, Over, Scratch, Shape, VECTOR_BYTES};
use crate::connect::SynapseList;
use crate::engine::cpu::vm::{self, Op, Program, Src, VmReal};
use crate::real::Dtype;

/// Where row code ([`Native::compile_rows`]) finds a synapse's element of
/// a bound array, for synapses stored row by row (a row: the synapses onto
/// one post-synaptic neuron, in the order of their pre-synaptic neurons).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// One element a synapse: synapse `k`'s is element `k`.
    Each,
    /// One element a pre-synaptic neuron, where every row holds neurons 0,
    /// 1, ... in order: synapse `k` of the row that starts at synapse `s`
    /// reads element `k - s` (read only).
    Column,
    /// One element a pre-synaptic neuron, where row `r` holds every neuron
    /// but `r`, in order (a population's all-to-all projection onto itself
    /// without self-connections): synapse `k` of the row that starts at
    /// synapse `s` reads element `k - s` below the row's neuron, `k - s +
    /// 1` from it on (read only).
    ColumnButSelf,
    /// One element a pre-synaptic neuron, in any order: synapse `k` reads
    /// element `ranks[k]` of the ranks [`Native::run_rows`] is given
    /// (read only).
    AtPre,
    /// One element a pre-synaptic neuron, where each row holds
    /// consecutive neurons from its first: as [`AtPre`](Self::AtPre), but
    /// a vector's synapses read consecutive elements, loaded at once from
    /// its first synapse's rank rather than lane by lane (read only).
    Consecutive,
    /// One element a row (its post-synaptic neuron): every synapse of row
    /// `r` reads element `r` (read only).
    Row,
}

impl Bound {
    /// Every kind, each at the index of its discriminant (checked below).
    const ALL: [Bound; 6] = [
        Bound::Each,
        Bound::Column,
        Bound::ColumnButSelf,
        Bound::AtPre,
        Bound::Consecutive,
        Bound::Row,
    ];

    /// Whether the array is read at the synapses' pre-synaptic ranks
    /// (the code is given them).
    pub fn by_rank(self) -> bool {
        matches!(self, Bound::AtPre | Bound::Consecutive)
    }
}

// `Bound::ALL[b as usize] == b` for every kind: a table made over `ALL` is
// indexed by a bound's discriminant.
const _: () = {
    let mut i = 0;
    while i < Bound::ALL.len() {
        assert!(Bound::ALL[i] as usize == i);
        i += 1;
    }
};

/// The synapses' pre-synaptic ranks that row code reads a
/// [`Bound::AtPre`] array at, with their highest, found once (a
/// projection's synapses are fixed while its engine lives).
#[derive(Debug, Clone)]
pub struct Ranks {
    of: Arc<SynapseList>,
    /// One past the highest rank.
    end: usize,
}

impl Ranks {
    /// The pre-synaptic ranks of `synapses`.
    pub fn new(synapses: Arc<SynapseList>) -> Ranks {
        let end = synapses.pre.iter().max().map_or(0, |&r| r as usize + 1);
        Ranks { of: synapses, end }
    }

    /// No ranks (for code that reads no [`Bound::AtPre`] array).
    pub fn none() -> Ranks {
        Ranks::of(Vec::new())
    }

    /// The ranks `pre`, of synapses that have nothing else (code that
    /// reads at ranks needs no more of its synapses).
    pub(crate) fn of(pre: Vec<u32>) -> Ranks {
        Ranks::new(Arc::new(SynapseList {
            post: Vec::new(),
            pre,
            w: crate::real::Reals::F32(Vec::new()),
            delay: Vec::new(),
        }))
    }
}

/// A projection's row bounds (row `r`: synapses `ptr[r]..ptr[r + 1]`)
/// with what row code checks of them, found once when they are made:
/// whether they are in order, the widest row, and the kinds of rows
/// ([`RowKinds`]) for vectors of two and of four. A small network runs
/// its row code several times a step, and that pass over the rows was a
/// tenth of a call's cost outside the code. The bounds cannot change
/// afterwards (a structural edit builds the engine anew).
#[derive(Debug, Clone)]
pub struct RowPtr {
    ptr: Vec<u32>,
    ordered: bool,
    widest: u32,
    /// For vectors of 2 and of 4 lanes.
    kinds: [RowKinds; 2],
}

impl RowPtr {
    /// The bounds `ptr`, checked.
    pub fn new(ptr: Vec<u32>) -> RowPtr {
        let ordered = ptr.windows(2).all(|w| w[0] <= w[1]);
        let lens = ptr.windows(2).map(|w| w[1].wrapping_sub(w[0]));
        let widest = lens.max().unwrap_or(0);
        let kinds = [RowKinds::of_lanes(&ptr, 2), RowKinds::of_lanes(&ptr, 4)];
        RowPtr {
            ptr,
            ordered,
            widest,
            kinds,
        }
    }

    /// [`RowKinds::of`] these rows, for code of `dtype`'s vectors.
    pub fn kinds_of(&self, dtype: Dtype) -> RowKinds {
        self.kinds(Shape::of(dtype).lanes)
    }

    /// The kinds of the rows for vectors of `lanes` (2 or 4).
    fn kinds(&self, lanes: usize) -> RowKinds {
        match lanes {
            2 => self.kinds[0],
            4 => self.kinds[1],
            _ => RowKinds::of_lanes(&self.ptr, lanes as u32),
        }
    }
}

impl std::ops::Deref for RowPtr {
    type Target = [u32];

    fn deref(&self) -> &[u32] {
        &self.ptr
    }
}

/// Where a value computed once a row waits for the synapses that read
/// it.
#[derive(Debug, Clone, Copy)]
pub(super) enum Kept {
    /// On the stack, at this byte offset of the row's slot.
    Stack(i32),
    /// In a register (code without a loop over the synapses).
    Value(Value),
}

/// Which of row code's two ways of finishing a row its code holds
/// (besides the whole vectors every row takes): a projection's rows are
/// fixed while its engine lives, and a program's code for ways no row
/// takes would be compiled for nothing (each way is a copy of the
/// program's code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowKinds {
    /// A row of a vector or more that ends in a partial vector (finished
    /// by its last vector, blended with what the loop wrote).
    pub long_tail: bool,
    /// A row shorter than a vector (finished lane by lane).
    pub short: bool,
    /// Every row holds as many synapses, one or more. Folding code for
    /// such rows ([`Native::compile_row_folds`]) runs a vector's rows
    /// side by side, a lane each, a synapse's place at a time, and runs
    /// no other rows; other code ignores it.
    pub uniform: bool,
    /// Where every row holds as many synapses, and no more than
    /// [`ACROSS_UNROLL_MAX`], that number (else 0): rows side by side
    /// read their places one after the other, without a loop, and such
    /// code runs rows of that length alone. Gap junctions' rows of nine
    /// spent a third of their loop on its counters and addresses.
    pub places: u32,
    /// The code loads the table's parameters and constants once a call
    /// rather than once a vector: rows of [`ROWS_HOIST_MIN`] synapses or
    /// more in all (not a kind of row: [`cover`](Self::cover) ignores it).
    pub hoist: bool,
}

/// The synapses from which row code loads the table's values once a call
/// ([`RowKinds::hoist`]). Structural plasticity's 5 000 synapses took
/// 11 % less time; 90 or 100 synapses (gap junctions, BCM) took 0.1 to
/// 0.4 % more instructions, the loads and their spills at every call.
pub const ROWS_HOIST_MIN: u32 = 256;

/// The longest rows whose places rows side by side read without a loop
/// ([`RowKinds::places`]): the code grows by a place's operations a
/// place.
pub const ACROSS_UNROLL_MAX: u32 = 32;

/// The most operations (a place's times the places) of code that reads
/// its rows' places without a loop: a longer program's rows are read in
/// a loop, whose code compiles in time of one place's.
const ACROSS_UNROLL_OPS: usize = 1_000;

impl RowKinds {
    /// Code for rows of every length.
    pub const ALL: RowKinds = RowKinds {
        long_tail: true,
        short: true,
        uniform: false,
        places: 0,
        hoist: false,
    };

    /// The kinds among the rows of `row_ptr` (row `r`: synapses
    /// `row_ptr[r]..row_ptr[r + 1]`) for code of `dtype`'s vectors.
    pub fn of(row_ptr: &[u32], dtype: Dtype) -> RowKinds {
        Self::of_lanes(row_ptr, Shape::of(dtype).lanes as u32)
    }

    /// [`of`](Self::of) for vectors of `lanes`.
    fn of_lanes(row_ptr: &[u32], lanes: u32) -> RowKinds {
        let mut kinds = RowKinds::NONE;
        for w in row_ptr.windows(2) {
            kinds.include(w[1].wrapping_sub(w[0]), lanes);
        }
        let synapses = match (row_ptr.first(), row_ptr.last()) {
            (Some(&a), Some(&b)) => b.saturating_sub(a),
            _ => 0,
        };
        kinds.hoist = synapses >= ROWS_HOIST_MIN;
        let len = |w: &[u32]| w[1].wrapping_sub(w[0]);
        // The one length of every row, if there is one (and it is not 0).
        let one = row_ptr
            .get(..2)
            .map(len)
            .filter(|&l| l > 0 && row_ptr.windows(2).all(|w| len(w) == l));
        kinds.uniform = one.is_some();
        kinds.places = one.filter(|&l| l <= ACROSS_UNROLL_MAX).unwrap_or(0);
        kinds
    }

    /// No row yet.
    const NONE: RowKinds = RowKinds {
        long_tail: false,
        short: false,
        uniform: false,
        places: 0,
        hoist: false,
    };

    /// Adds the kind of a row of `len` synapses, for vectors of `lanes`.
    fn include(&mut self, len: u32, lanes: u32) {
        self.long_tail |= len > lanes && !len.is_multiple_of(lanes);
        self.short |= len > 0 && len < lanes;
    }

    /// Whether code for `self` runs rows of the kinds `rows`.
    pub fn cover(self, rows: RowKinds) -> bool {
        (self.long_tail || !rows.long_tail)
            && (self.short || !rows.short)
            && (!self.uniform || rows.uniform)
            && (self.places == 0 || self.places == rows.places)
    }
}

/// How row code ([`Native::compile_row_folds`]) folds the values its
/// program stores into array 0 over a row: from -0, each added in the
/// synapses' order, an empty row 0 (`rate_sum::reduce`'s sum and mean).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowFold {
    /// The sum.
    Sum,
    /// The sum over the row's length.
    Mean,
}

impl Native {
    /// Row code ([`compile_rows`](Self::compile_rows)) whose stores into
    /// array 0 (a [`Bound::Row`] array, the program's only store) are
    /// folded over each row by `fold`, the row's result stored at the
    /// row: a psp summed as it is computed, without an array a synapse to
    /// hold it. The additions are `rate_sum::reduce`'s, one after the
    /// other in the synapses' order: the same bits. Rows that all hold
    /// as many synapses ([`RowKinds::uniform`]) run a vector's rows side
    /// by side, a lane a row. `None` where the program stores anything
    /// else, or as `compile_rows`.
    pub fn compile_row_folds(
        prog: &Program,
        layout: &[Bound],
        kinds: RowKinds,
        fold: RowFold,
    ) -> Option<Native> {
        let only_folded = prog.ops.iter().all(|op| match op {
            Op::Store(a, _, mask) => *a == 0 && mask.is_none(),
            _ => true,
        });
        if !only_folded || layout.first() != Some(&Bound::Row) {
            return None;
        }
        let kinds = match prog.ops.len() * kinds.places as usize > ACROSS_UNROLL_OPS {
            true => RowKinds { places: 0, ..kinds },
            false => kinds,
        };
        Self::make(prog, layout.len(), Over::Rows(layout, kinds, Some(fold)))
    }

    /// Compiles `prog` (no flags) as row code, run by
    /// [`run_rows`](Self::run_rows): a loop over rows of synapses, each
    /// row's synapses a vector at a time and its last partial vector in
    /// place (its lanes past the row read and rewrite the row's last
    /// synapse, with the same values), `layout` saying where each bound
    /// array's element of a synapse is. What depends only on a row's
    /// values (`Bound::Row`), the parameters and constants is computed
    /// once a row, as ANNarchy computes a rule's post-synaptic variables
    /// once a neuron: the same operations on the same values, the same
    /// bits as at every synapse. The code runs rows of the kinds `kinds`
    /// ([`RowKinds::of`] the rows it will run). `None` where the program
    /// writes an array that is not [`Bound::Each`], or as
    /// [`compile`](Self::compile).
    pub fn compile_rows(prog: &Program, layout: &[Bound], kinds: RowKinds) -> Option<Native> {
        let writes_shared = prog.ops.iter().any(
            |op| matches!(op, Op::Store(a, ..) if layout.get(*a as usize) != Some(&Bound::Each)),
        );
        if writes_shared {
            return None;
        }
        // Only folds run rows side by side: code for any rows.
        let kinds = RowKinds {
            uniform: false,
            places: 0,
            ..kinds
        };
        Self::make(prog, layout.len(), Over::Rows(layout, kinds, None))
    }

    /// Runs row code ([`compile_rows`](Self::compile_rows)) over the rows
    /// of `row_ptr` (row `r`: synapses `row_ptr[r]..row_ptr[r + 1]`, in
    /// increasing order, of the kinds the code was made for), the bound
    /// arrays being `own` (which it may write: [`Bound::Each`]) then
    /// `reads` (read only), each as the
    /// layout says (a [`Bound::AtPre`] array at the synapses' `ranks`),
    /// with the frame's `scalars` and `key` as [`run`](Self::run)'s
    /// (draws keyed by synapse).
    #[allow(clippy::too_many_arguments)]
    pub fn run_rows<R: VmReal>(
        &self,
        own: &mut [&mut [R]],
        reads: &[&[R]],
        ranks: &Ranks,
        scalars: &[R],
        row_ptr: &RowPtr,
        key: (u64, u32, u32, u32),
    ) {
        assert!(self.runs::<R>(), "native code run in another precision");
        let (layout, kinds) = self.rows.as_ref().expect("row code");
        assert_eq!(own.len() + reads.len(), self.n_arrays, "bound arrays");
        assert!(
            own.len() >= self.writes,
            "an array the code writes is bound read only"
        );
        // Checked when the bounds were made.
        assert!(row_ptr.ordered, "rows out of order");
        assert!(
            kinds.cover(row_ptr.kinds(self.lanes())),
            "rows of a length the code was not made for"
        );
        let widest = row_ptr.widest as usize;
        let rows = row_ptr.len().saturating_sub(1);
        let synapses = row_ptr.last().map_or(0, |&n| n as usize);
        let at_pre = self.at_pre;
        assert!(
            !at_pre || ranks.of.pre.len() >= synapses,
            "a rank a synapse"
        );
        // What an array of each kind of bound must hold, in a table by
        // the bound's discriminant made once a call, where a `match` an
        // array was an indirect jump each (perf put a third of gap
        // junctions' binding loop on it).
        let need = Bound::ALL.map(|bound| match bound {
            Bound::Each => synapses,
            Bound::Column => widest,
            // A row of `widest` synapses reads up to element `widest`.
            Bound::ColumnButSelf => widest + 1,
            // A consecutive row's last synapse has its highest rank.
            Bound::AtPre | Bound::Consecutive => ranks.end,
            Bound::Row => rows,
        });
        if synapses == 0 {
            return;
        }
        let whole = synapses.next_multiple_of(self.lanes());
        let (own_layout, read_layout) = layout.split_at(own.len());
        R::native_scratch().with(|s| {
            let Scratch {
                drawn,
                words,
                ptrs,
                cache,
                ..
            } = &mut *s.borrow_mut();
            let (slots, table) = self
                .scalars
                .slots(scalars, &self.uniforms, &self.timed, cache);
            let drawn = self.draw(drawn, words, slots, whole, key);
            ptrs.clear();
            // Each array checked as it is bound: it holds what its layout
            // reads.
            let check = |len: usize, bound: &Bound| {
                let need = need[*bound as usize];
                assert!(len >= need, "bound array of {len} elements, {need} read");
            };
            ptrs.extend(own.iter_mut().zip(own_layout).map(|(a, b)| {
                check(a.len(), b);
                a.as_mut_ptr().cast()
            }));
            // Never written: the code stores only into arrays before
            // `self.writes`, all of which are `own` (checked above).
            ptrs.extend(reads.iter().zip(read_layout).map(|(a, b)| {
                check(a.len(), b);
                a.as_ptr().cast_mut().cast()
            }));
            ptrs.extend(drawn.iter_mut().map(|d| d.as_mut_ptr().cast()));
            if at_pre {
                ptrs.push(ranks.of.pre.as_ptr().cast_mut().cast());
            }
            // SAFETY: each row's synapses lie in `0..synapses` (rows in
            // order, checked), every array holds the elements its layout
            // reads for them (checked, for `AtPre` arrays up to the
            // highest rank; drawn ones sized here), the last
            // partial vector of a row reads and writes only the row's own
            // synapses, the table holds a vector for each uniform operand,
            // and the code reads `rows + 1` words of `row_ptr` where flags
            // would be.
            let (entry, entered) = self.enter();
            unsafe {
                entry(
                    ptrs.as_ptr(),
                    table.as_ptr().cast(),
                    rows,
                    row_ptr.as_ptr().cast_mut().cast(),
                )
            };
            self.leave(entered);
        });
    }
}

impl Gen<'_> {
    /// Row code ([`Native::compile_rows`]): the loop over the `n` rows
    /// whose bounds are the `u32` words at `row_ptr`, then `exit`. A row
    /// computes what depends on it alone, then its synapses a vector at a
    /// time, then its last partial vector (if any) in place: every lane
    /// past the row reads and rewrites the row's last synapse, and the
    /// stores go from the last lane to the first, so that the row's own
    /// lane writes that synapse last (the others write the same value:
    /// the same operations on the same inputs).
    pub(super) fn rows(
        &mut self,
        prog: &Program,
        layout: &[Bound],
        kinds: RowKinds,
        n: Value,
        row_ptr: Value,
        exit: Block,
    ) -> Option<()> {
        let (shape, ptr) = (self.shape, self.ptr);
        let lanes = shape.lanes as i64;
        let g = self;
        let header = g.b.create_block();
        let row = g.b.create_block();
        let inner = g.b.create_block();
        let body = g.b.create_block();
        let check = g.b.create_block();
        let next = g.b.create_block();
        let r = g.b.append_block_param(header, ptr);
        // The synapse, and its place in the row where an array is read by
        // it: a place nothing reads would still be carried, loaded and
        // stored at every vector (Cranelift keeps unused block
        // parameters), a tenth of a short rule's loop.
        let by_place = layout
            .iter()
            .any(|b| matches!(b, Bound::Column | Bound::ColumnButSelf));
        let i = g.b.append_block_param(inner, ptr);
        let j = by_place.then(|| g.b.append_block_param(inner, ptr));
        // A fold's running value, carried through the row's vectors, and
        // its last into the next row's block.
        let elem = shape.elem;
        let acc = g.fold.map(|_| g.b.append_block_param(inner, elem));
        let total = g.fold.map(|_| g.b.append_block_param(next, elem));
        g.count_up(header, r, n, row, exit);

        // The row's bounds, its pre-synaptic arrays' origin, its own values.
        g.b.switch_to_block(row);
        let words = MemFlagsData::trusted().with_readonly();
        let at = g.b.ins().ishl_imm_u(r, 2);
        let at = g.b.ins().iadd(row_ptr, at);
        let start = g.b.ins().load(types::I32, words, at, 0);
        let end = g.b.ins().load(types::I32, words, at, 4);
        let start = g.b.ins().uextend(ptr, start);
        let end = g.b.ins().uextend(ptr, end);
        let len = g.b.ins().isub(end, start);
        let whole = g.b.ins().band_imm_u(len, !(lanes - 1));
        let vend = g.b.ins().iadd(start, whole);
        let at_row = g.b.ins().ishl_imm_u(r, shape.shift);
        g.row_off = at_row;
        let read = vm::arrays_read(prog, layout.len());
        let mem = MemFlagsData::new().with_notrap();
        for (a, bound) in layout.iter().enumerate() {
            match bound {
                Bound::Each | Bound::Column | Bound::ColumnButSelf | Bound::AtPre => {}
                // Every synapse of the row reads the element its first
                // does plus its place: one rank read a row, not a vector.
                Bound::Consecutive if read[a] => {
                    let first = g.b.ins().ishl_imm_u(start, shape.shift);
                    let rank = g.at_rank(first, 0)?;
                    let origin = g.b.ins().iadd(g.bases[a], rank);
                    let origin = g.b.ins().isub(origin, first);
                    // Through the stack: Cranelift would compute a pure
                    // value again at each vector that reads it (two
                    // instructions where the rank's load was one); a
                    // load's value stays in its register.
                    let slot = g.b.create_sized_stack_slot(StackSlotData::new(
                        StackSlotKind::ExplicitSlot,
                        8,
                        3,
                    ));
                    g.b.ins().stack_store(ptr, origin, slot, 0);
                    g.row_bases[a] = Some(g.b.ins().stack_load(ptr, ptr, slot, 0));
                }
                Bound::Consecutive => {}
                Bound::Row if read[a] => {
                    let at = g.b.ins().iadd(g.bases[a], at_row);
                    let x = g.b.ins().load(shape.elem, mem, at, 0);
                    g.row_values[a] = Some(g.b.ins().splat(shape.vec, x));
                }
                Bound::Row => {}
            }
        }
        let hoisted = g.row_part(prog, layout)?;
        let hoisted = g.keep_row_values(hoisted, true);
        let zero = g.b.ins().iconst(ptr, 0);
        let mut first: Vec<BlockArg> = vec![start.into()];
        if by_place {
            first.push(zero.into());
        }
        if acc.is_some() {
            first.push(float(g, elem, -0.0).into());
        }
        g.b.ins().jump(inner, &first);

        g.b.switch_to_block(inner);
        let more = g.b.ins().icmp(IntCC::UnsignedLessThan, i, vend);
        g.b.ins().brif(more, body, &[], check, &[]);

        g.b.switch_to_block(body);
        g.off = g.b.ins().ishl_imm_u(i, shape.shift);
        g.col_off = match j {
            Some(j) => g.b.ins().ishl_imm_u(j, shape.shift),
            None => g.off,
        };
        g.acc = acc;
        g.synapses(prog, &hoisted)?;
        let step = g.b.ins().iadd_imm_u(i, lanes);
        let mut again: Vec<BlockArg> = vec![step.into()];
        if let Some(j) = j {
            again.push(g.b.ins().iadd_imm_u(j, lanes).into());
        }
        if let Some(a) = g.acc {
            again.push(a.into());
        }
        g.b.ins().jump(inner, &again);
        // The row's value where no partial vector follows.
        let done: Vec<BlockArg> = acc.into_iter().map(BlockArg::from).collect();

        // Only the ways of finishing a row that some row takes are made.
        g.b.switch_to_block(check);
        let last_vector = kinds.long_tail.then(|| g.b.create_block());
        let tail = kinds.short.then(|| g.b.create_block());
        match (last_vector, tail) {
            (None, None) => {
                g.b.ins().jump(next, &done);
            }
            (Some(finish), None) | (None, Some(finish)) => {
                let partial = g.b.ins().icmp(IntCC::UnsignedLessThan, vend, end);
                g.b.ins().brif(partial, finish, &[], next, &done);
            }
            (Some(last_vector), Some(tail)) => {
                let pick = g.b.create_block();
                let partial = g.b.ins().icmp(IntCC::UnsignedLessThan, vend, end);
                g.b.ins().brif(partial, pick, &[], next, &done);
                g.b.switch_to_block(pick);
                let long =
                    g.b.ins()
                        .icmp_imm_u(IntCC::UnsignedGreaterThanOrEqual, len, lanes);
                g.b.ins().brif(long, last_vector, &[], tail, &[]);
            }
        }

        // A row of a vector or more: its last vector, whose lanes before
        // the partial one keep what the loop wrote (blended at each store).
        if let Some(last_vector) = last_vector {
            g.b.switch_to_block(last_vector);
            let from = g.b.ins().iadd_imm_u(end, -lanes);
            g.off = g.b.ins().ishl_imm_u(from, shape.shift);
            let place = g.b.ins().iadd_imm_u(len, -lanes);
            g.col_off = g.b.ins().ishl_imm_u(place, shape.shift);
            let lane_int = shape.mask.lane_type();
            let index = g.lane_ints(1);
            // Lane l is the row's own where from + l >= vend, that is
            // where l > vend - from - 1 = vend + lanes - 1 - end: one
            // comparison x86 has (a >= took two), from values the row
            // has computed already.
            let unfolded = g.b.ins().isub(vend, from);
            let before = g.b.ins().isub(vend, end);
            let before = g.b.ins().iadd_imm_u(before, lanes - 1);
            let before = if lane_int.bits() < ptr.bits() {
                g.b.ins().ireduce(lane_int, before)
            } else {
                before
            };
            let before = g.b.ins().splat(shape.mask, before);
            let own = g.b.ins().icmp(IntCC::SignedGreaterThan, index, before);
            g.blend = Some(own);
            if g.fold.is_some() {
                // Lane l is not folded yet where from + l >= vend.
                g.own_lanes = Some(
                    (0..lanes)
                        .map(|l| {
                            g.b.ins()
                                .icmp_imm_u(IntCC::SignedLessThanOrEqual, unfolded, l)
                        })
                        .collect(),
                );
                g.acc = acc;
            }
            g.synapses(prog, &hoisted)?;
            g.blend = None;
            g.own_lanes = None;
            let done: Vec<BlockArg> = g.acc.into_iter().map(BlockArg::from).collect();
            g.b.ins().jump(next, &done);
        }

        // A row shorter than a vector: lane by lane.
        if let Some(tail) = tail {
            g.b.switch_to_block(tail);
            let last = g.b.ins().iadd_imm_u(end, -1);
            let offs = (0..lanes)
                .map(|l| {
                    let k = g.b.ins().iadd_imm_u(vend, l);
                    let k = g.b.ins().umin(k, last);
                    let place = g.b.ins().isub(k, start);
                    (
                        g.b.ins().ishl_imm_u(k, shape.shift),
                        g.b.ins().ishl_imm_u(place, shape.shift),
                    )
                })
                .collect();
            g.tail = Some(offs);
            if g.fold.is_some() {
                // The lanes past the row repeat its last synapse.
                g.own_lanes = Some(
                    (0..lanes)
                        .map(|l| g.b.ins().icmp_imm_u(IntCC::UnsignedGreaterThan, len, l))
                        .collect(),
                );
                g.acc = acc;
            }
            g.synapses(prog, &hoisted)?;
            g.tail = None;
            g.own_lanes = None;
            let done: Vec<BlockArg> = g.acc.into_iter().map(BlockArg::from).collect();
            g.b.ins().jump(next, &done);
        }

        g.b.switch_to_block(next);
        if let (Some(fold), Some(total)) = (g.fold, total) {
            // `rate_sum::reduce`'s end of a row: an empty row 0, a mean
            // over the row's length.
            let value = match fold {
                RowFold::Sum => total,
                RowFold::Mean => {
                    let n = g.b.ins().fcvt_from_uint(elem, len);
                    fdiv_of(&mut g.b, total, n, &mut g.widen)
                }
            };
            let empty = g.b.ins().icmp_imm_u(IntCC::Equal, len, 0);
            let zero = float(g, elem, 0.0);
            let value = g.b.ins().select(empty, zero, value);
            let at = g.b.ins().iadd(g.bases[0], at_row);
            g.b.ins()
                .store(MemFlagsData::new().with_notrap(), value, at, 0);
        }
        let r1 = g.b.ins().iadd_imm_u(r, 1);
        g.b.ins().jump(header, &[r1.into()]);
        Some(())
    }

    /// Puts the row's values (`row_values`, and those of the `hoisted`
    /// operations the synapses read) on the stack where the synapses are
    /// run `in_loop`, each read back where used as the uniforms are:
    /// Cranelift sinks a pure computation to its uses, into the loop,
    /// and a value the loop only carries (a block parameter) is replaced
    /// by the value itself. By operation, the register it writes and
    /// where its value waits.
    #[allow(clippy::type_complexity)]
    pub(super) fn keep_row_values(
        &mut self,
        hoisted: Vec<Option<(u16, Option<Value>)>>,
        in_loop: bool,
    ) -> Vec<Option<(u16, Option<Kept>)>> {
        if !in_loop {
            return hoisted
                .into_iter()
                .map(|h| h.map(|(d, v)| (d, v.map(Kept::Value))))
                .collect();
        }
        let count = self.row_values.iter().flatten().count()
            + hoisted.iter().flatten().filter(|h| h.1.is_some()).count();
        let slot = self.b.create_sized_stack_slot(StackSlotData::new(
            StackSlotKind::ExplicitSlot,
            (count.max(1) * VECTOR_BYTES) as u32,
            4,
        ));
        let mut at = 0;
        let mut keep = |g: &mut Gen, v: Value| {
            g.b.ins().stack_store(g.ptr, v, slot, at);
            at += VECTOR_BYTES as i32;
            at - VECTOR_BYTES as i32
        };
        for a in 0..self.row_values.len() {
            if let Some(v) = self.row_values[a].take() {
                self.row_at[a] = Some(keep(self, v));
            }
        }
        let hoisted = hoisted
            .into_iter()
            .map(|h| h.map(|(d, v)| (d, v.map(|v| Kept::Stack(keep(self, v))))))
            .collect();
        self.row_slot = Some(slot);
        hoisted
    }

    /// The operations of `prog` that depend on the row alone (on a
    /// [`Bound::Row`] array, and otherwise only on parameters, constants
    /// and each other), emitted here once a row: by operation, each one's
    /// register and value, the value only where the synapses' operations
    /// read it (`None` where only the row's own do).
    #[allow(clippy::type_complexity)]
    pub(super) fn row_part(
        &mut self,
        prog: &Program,
        layout: &[Bound],
    ) -> Option<Vec<Option<(u16, Option<Value>)>>> {
        let mut of_row = vec![false; prog.n_regs];
        // Arrays holding the row's values: its own, and a synapse's slot
        // once a value of the row is stored there (a `: postsynaptic`
        // variable, read back by the next equations).
        let mut row_arrays: Vec<bool> = layout.iter().map(|&b| b == Bound::Row).collect();
        let mut hoisted = vec![None; prog.ops.len()];
        let mut srcs = Vec::new();
        for (k, op) in prog.ops.iter().enumerate() {
            if let Op::Store(a, r, mask) = *op {
                let stored = mask.is_none() && of_row.get(r as usize) == Some(&true);
                *row_arrays.get_mut(a as usize)? = stored;
                // Read back here as what is stored (the store itself is
                // the synapse's).
                if stored {
                    *self.arrays.get_mut(a as usize)? = Some(self.reg(r)?);
                }
                continue;
            }
            let Some(d) = op.dest() else { continue };
            srcs.clear();
            op.inputs(&mut srcs);
            let mut row_only = !matches!(op, Op::Rand(..));
            let mut reads_row = false;
            for s in &srcs {
                let own = match *s {
                    Src::Reg(x) => of_row.get(x as usize) == Some(&true),
                    Src::Arr(a) => row_arrays.get(a as usize) == Some(&true),
                    Src::Scalar(_) | Src::Const(_) => continue,
                };
                row_only &= own;
                reads_row |= own;
            }
            let here = row_only && reads_row;
            *of_row.get_mut(d as usize)? = here;
            if here {
                self.op(op)?;
                hoisted[k] = Some((d, self.reg(d)?));
            }
        }
        // Only what the synapses' operations read is kept for them: the
        // last value written to a register before a synapse's operation
        // reads it, and the row's own values it reads.
        let mut writer: Vec<Option<usize>> = vec![None; prog.n_regs];
        let mut needed = vec![false; prog.ops.len()];
        let mut row_read = vec![false; layout.len()];
        for (k, op) in prog.ops.iter().enumerate() {
            if hoisted[k].is_none() {
                srcs.clear();
                op.inputs(&mut srcs);
                for s in &srcs {
                    match *s {
                        Src::Reg(r) => {
                            if let Some(w) = writer.get(r as usize).copied().flatten() {
                                needed[w] = true;
                            }
                        }
                        Src::Arr(a) if layout.get(a as usize) == Some(&Bound::Row) => {
                            row_read[a as usize] = true;
                        }
                        _ => {}
                    }
                }
            }
            if let Some(d) = op.dest() {
                *writer.get_mut(d as usize)? = Some(k);
            }
        }
        for (v, read) in self.row_values.iter_mut().zip(&row_read) {
            if !read {
                *v = None;
            }
        }
        Some(
            hoisted
                .into_iter()
                .zip(needed)
                .map(|(h, n)| h.map(|(d, v)| (d, n.then_some(v))))
                .collect(),
        )
    }

    /// The operations of `prog` at a vector of synapses (`off`, or the
    /// lanes of `tail`); those of the row are read from where `hoisted`
    /// says they wait.
    pub(super) fn synapses(
        &mut self,
        prog: &Program,
        hoisted: &[Option<(u16, Option<Kept>)>],
    ) -> Option<()> {
        self.arrays.iter_mut().for_each(|v| *v = None);
        self.drawn = 0;
        for (op, h) in prog.ops.iter().zip(hoisted) {
            if let (Some(_), Op::Store(0, r, None)) = (self.fold, op) {
                self.fold_lanes(*r)?;
                continue;
            }
            match *h {
                Some((d, Some(Kept::Stack(at)))) => {
                    let v = self
                        .b
                        .ins()
                        .stack_load(self.ptr, self.shape.vec, self.row_slot?, at);
                    *self.regs.get_mut(d as usize)? = Some(v);
                }
                Some((d, Some(Kept::Value(v)))) => *self.regs.get_mut(d as usize)? = Some(v),
                Some((_, None)) => {}
                None => self.op(op)?,
            }
        }
        Some(())
    }

    /// A fold's additions of register `r`'s lanes, one after the other in
    /// lane order (the synapses'), each lane that is not the row's own
    /// (`own_lanes`) leaving the value as it was; for rows side by side,
    /// each lane into its own row's sum.
    fn fold_lanes(&mut self, r: u16) -> Option<()> {
        let v = self.reg(r)?;
        let mut acc = self.acc?;
        if self.across.is_some() {
            // A row a lane: each lane's synapse is the next of its row.
            self.acc = Some(self.b.ins().fadd(acc, v));
            return Some(());
        }
        for l in 0..self.shape.lanes {
            let x = self.b.ins().extractlane(v, l as u8);
            let sum = self.b.ins().fadd(acc, x);
            acc = match &self.own_lanes {
                Some(own) => self.b.ins().select(own[l], sum, acc),
                None => sum,
            };
        }
        self.acc = Some(acc);
        Some(())
    }
}

/// `x` as a constant of type `ty` (`f32` or `f64`).
fn float(g: &mut Gen, ty: Type, x: f64) -> Value {
    if ty == types::F64 {
        g.b.ins().f64const(x)
    } else {
        g.b.ins().f32const(x as f32)
    }
}

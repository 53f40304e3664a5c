//! The code generator of [`super::Native`]: a program's operations as
//! Cranelift instructions over a vector of elements ([`Gen`]), in the loop
//! over elements (here) or over rows of synapses (`rows.rs`).

use std::collections::HashMap;

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    types, AbiParam, Block, Endianness, InstBuilder, MemFlagsData, SigRef, Signature, StackSlot,
    Type, Value, ValueDef,
};
use cranelift_codegen::isa::TargetFrontendConfig;
use cranelift_frontend::FunctionBuilder;

use super::super::vm::{Op, Program, Src};
use super::lanes::LaneFns;
use super::{
    exp_of, fdiv_of, fmul_of, max_of, min_of, pick_of, sqrt_of, tanh_of, Bound, RowFold, RowKinds,
    Shape, Widen, Widening, VECTOR_BYTES,
};
use crate::lang::ir::{BinOp, Func, UnOp};
use crate::real::Dtype;

/// What the code loops over.
#[derive(Debug, Clone, Copy)]
pub(super) enum Over<'a> {
    /// Elements `0..n`, with the register whose non-zero elements are
    /// flagged, if any, and whether the table's values are loaded once
    /// before the loop ([`super::Native::compile_for`]).
    Elements(Option<u16>, bool),
    /// Rows of synapses ([`super::Native::compile_rows`]), each bound array read
    /// as its layout says, of the kinds given; with a fold, array 0's
    /// stores are folded over each row into the row's element
    /// ([`super::Native::compile_row_folds`]).
    Rows(&'a [Bound], RowKinds, Option<RowFold>),
}

/// The code generator of one program: the loop body's values and where
/// its uniform operands are.
pub(super) struct Gen<'a> {
    pub(super) b: FunctionBuilder<'a>,
    /// Each bound array's base address.
    pub(super) bases: Vec<Value>,
    /// Row code: where each bound array is read ([`Bound::Column`] and
    /// [`Bound::ColumnButSelf`] at `col_off` rather than `off`).
    pub(super) columns: Vec<Bound>,
    /// Code over elements (else row code).
    pub(super) over_elements: bool,
    /// Which products, quotients and square roots go through f64
    /// (`fmul_of`, [`super::super::wide`]), and the sites made so far.
    pub(super) widen: Widening,
    /// Row code: this vector's byte offset from its row's start.
    pub(super) col_off: Value,
    /// Row code: the row's byte offset (its index times a value's bytes),
    /// where [`Bound::ColumnButSelf`] skips an element.
    pub(super) row_off: Value,
    /// Row code: the address of the synapses' pre-synaptic ranks (`u32`
    /// each), where a [`Bound::AtPre`] array is read.
    pub(super) ranks: Option<Value>,
    /// Row code: the row's value of each [`Bound::Row`] array it reads,
    /// while the row's part is computed; then where it waits in
    /// `row_slot`, by byte offset.
    pub(super) row_values: Vec<Option<Value>>,
    /// Row code: where each [`Bound::Consecutive`] array the rows read
    /// would start were its row's ranks its synapses' own indices (its
    /// base plus the row's first rank less the row's first synapse), so
    /// that a synapse's value is at its own offset, with no rank read.
    pub(super) row_bases: Vec<Option<Value>>,
    pub(super) row_at: Vec<Option<i32>>,
    pub(super) row_slot: Option<StackSlot>,
    /// Row code's last partial vector: each lane's byte offset, and from
    /// its row's start.
    pub(super) tail: Option<Vec<(Value, Value)>>,
    /// Row code's last vector of a row: the lanes that are the row's to
    /// write (the others keep what is stored).
    pub(super) blend: Option<Value>,
    /// Row code that folds array 0's stores: the fold, and the row's
    /// running value (a scalar).
    pub(super) fold: Option<RowFold>,
    pub(super) acc: Option<Value>,
    /// The row's last vector or partial vector: whether each lane is the
    /// row's own, not yet folded (every lane elsewhere).
    pub(super) own_lanes: Option<Vec<Value>>,
    /// Folding code over rows side by side ([`RowKinds::uniform`]): the
    /// place being read and each lane's row.
    pub(super) across: Option<super::across::Across>,
    /// Rows side by side without a loop: the `pre.x` values splatted so
    /// far in this group, by array base and byte offset (a place's next
    /// value is the following place's own).
    pub(super) column_splats: Vec<(Value, i64, Value)>,
    /// Rows side by side without a loop: the per-synapse arrays' values
    /// transposed so far in this group, by array base and the byte offset
    /// of the block's first place, a vector a place
    /// ([`Gen::across_block`]).
    pub(super) column_blocks: Vec<(Value, i64, Vec<Value>)>,
    /// This iteration's byte offset.
    pub(super) off: Value,
    /// Each register's current value.
    pub(super) regs: Vec<Option<Value>>,
    /// Each array's current value at this iteration (what was loaded or
    /// last stored).
    pub(super) arrays: Vec<Option<Value>>,
    /// Bound arrays (the draws' arrays follow).
    pub(super) n_arrays: usize,
    /// Draws met so far.
    pub(super) drawn: usize,
    /// The uniform table's address.
    pub(super) table: Value,
    /// Each uniform operand's place in the table (scalar slots, and
    /// constants by their bits in the program's precision).
    pub(super) uniform: HashMap<(bool, u64), usize>,
    /// Each uniform operand's vector where they are loaded once before
    /// the loop (empty where each use loads its own).
    pub(super) preloaded: Vec<Value>,
    /// Values that are a comparison's 1.0 or 0.0, with its mask: testing
    /// one for non-zero is that mask. (A register holding a comparison
    /// holds its mask, made a value only where one is read: most are
    /// read as conditions alone.)
    pub(super) truths: HashMap<Value, Value>,
    /// Element code: the store being generated is not its array's last
    /// of the iteration, and is left to that one (a reset stores again
    /// what the equations stored; nothing reads memory in between, since
    /// an array's value is kept once loaded or stored). The last stays in
    /// its place: stores all at the end would leave the loads of the
    /// table's operands before all the arithmetic, and their values in
    /// registers, or spilled, all that while.
    pub(super) overwritten: bool,
    pub(super) sig1: SigRef,
    pub(super) sig2: SigRef,
    pub(super) ptr: Type,
    /// The program's types.
    pub(super) shape: Shape,
    /// The program's precision.
    pub(super) dtype: Dtype,
    /// The functions called a lane at a time.
    pub(super) fns: LaneFns,
}

pub(super) fn build(
    mut b: FunctionBuilder,
    prog: &Program,
    (n_arrays, n_draws): (usize, usize),
    over: Over,
    widen: Widen,
    target: TargetFrontendConfig,
    base_sig: Signature,
) -> Option<(Vec<Src>, usize)> {
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
        Over::Rows(layout, ..) if layout.iter().any(|b| b.by_rank()) => {
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
    // Loaded once, the table's values stay in registers, or spilled,
    // through the loop: fewer loads a vector, but all of them at every
    // call, which a population of a vector or two does not win back.
    let hoist = match over {
        Over::Elements(_, hoist) => hoist,
        Over::Rows(_, kinds, _) => kinds.hoist,
    };
    let preloaded: Vec<Value> = match hoist {
        true => (0..uniforms.len())
            .map(|k| {
                let at = (k * VECTOR_BYTES) as i32;
                let mem = MemFlagsData::trusted().with_readonly();
                b.ins().load(shape.vec, mem, table, at)
            })
            .collect(),
        _ => Vec::new(),
    };
    let mut g = Gen {
        b,
        preloaded,
        columns: match over {
            Over::Rows(layout, ..) => layout.to_vec(),
            Over::Elements(..) => Vec::new(),
        },
        over_elements: matches!(over, Over::Elements(..)),
        widen: Widening::new(widen),
        col_off: n,
        row_off: n,
        ranks,
        bases,
        row_values: vec![None; n_arrays + n_draws],
        row_bases: vec![None; n_arrays + n_draws],
        row_at: vec![None; n_arrays + n_draws],
        row_slot: None,
        tail: None,
        blend: None,
        fold: match over {
            Over::Rows(_, _, fold) => fold,
            Over::Elements(..) => None,
        },
        acc: None,
        own_lanes: None,
        across: None,
        column_splats: Vec::new(),
        column_blocks: Vec::new(),
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
        Over::Elements(flag, _) => g.elements(prog, n, flag, flags_p, exit)?,
        Over::Rows(layout, kinds, Some(_)) if kinds.uniform => {
            g.rows_across(prog, layout, kinds.places, n, flags_p, exit)?
        }
        Over::Rows(layout, kinds, _) => g.rows(prog, layout, kinds, n, flags_p, exit)?,
    }
    g.b.switch_to_block(exit);
    g.b.ins().return_(&[]);
    g.b.seal_all_blocks();
    g.drop_unread_preloads();
    let sites = g.widen.sites();
    g.b.finalize(target);
    Some((uniforms, sites))
}

impl Gen<'_> {
    /// Enters a counted loop: jumps to `header` (whose parameter is the
    /// count, `i`) with 0, and there goes on to `body` while `i` is below
    /// `n`, to `exit` once it is not. The loop's blocks jump back to
    /// `header` with the next count.
    pub(super) fn count_up(&mut self, header: Block, i: Value, n: Value, body: Block, exit: Block) {
        let zero = self.b.ins().iconst(self.ptr, 0);
        self.b.ins().jump(header, &[zero.into()]);
        self.b.switch_to_block(header);
        let more = self.b.ins().icmp(IntCC::UnsignedLessThan, i, n);
        self.b.ins().brif(more, body, &[], exit, &[]);
    }

    /// The loop over elements `0..n`, a vector at a time, then `exit`.
    pub(super) fn elements(
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
        g.count_up(header, i, n, body, exit);

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

    /// Removes the loads of the table's values before the loop that no
    /// code read: the generator's own constants are in the table
    /// whether or not the program needs them, and each load stayed, at
    /// every call.
    fn drop_unread_preloads(&mut self) {
        if self.preloaded.is_empty() {
            return;
        }
        let func = &mut self.b.func;
        let mut read = std::collections::HashSet::new();
        for block in func.layout.blocks() {
            for inst in func.layout.block_insts(block) {
                read.extend(func.dfg.inst_values(inst));
            }
        }
        for &v in &self.preloaded {
            if let (false, ValueDef::Result(inst, _)) = (read.contains(&v), func.dfg.value_def(v)) {
                func.layout.remove_inst(inst);
            }
        }
    }

    pub(super) fn konst(&mut self, c: f64) -> Value {
        self.uniform_at((false, c.to_bits()))
            .expect("the generator's constants are in the table")
    }

    pub(super) fn uniform_at(&mut self, key: (bool, u64)) -> Option<Value> {
        let k = *self.uniform.get(&key)?;
        if let Some(&v) = self.preloaded.get(k) {
            return Some(v);
        }
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
    pub(super) fn reg(&mut self, r: u16) -> Option<Value> {
        let v = self.reg_raw(r)?;
        Some(match self.is_mask(v) {
            true => self.truth_value(v),
            false => v,
        })
    }

    /// Register `r` as it is held: a value, or a comparison's mask.
    pub(super) fn reg_raw(&self, r: u16) -> Option<Value> {
        self.regs.get(r as usize).copied().flatten()
    }

    /// Register `r`'s non-zero lanes, as a mask.
    pub(super) fn reg_cond(&mut self, r: u16) -> Option<Value> {
        let v = self.reg_raw(r)?;
        Some(match self.is_mask(v) {
            true => v,
            false => self.nonzero(v),
        })
    }

    /// Operand `s`'s non-zero lanes, as a mask.
    pub(super) fn src_cond(&mut self, s: Src) -> Option<Value> {
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
    pub(super) fn is_mask(&self, v: Value) -> bool {
        self.b.func.dfg.value_type(v) == self.shape.mask
    }

    pub(super) fn array(&mut self, a: u16) -> Option<Value> {
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
        let bound = self.columns.get(k).copied().unwrap_or(Bound::Each);
        // A consecutive row's values lie as its synapses do, from the
        // row's own origin.
        let (base, bound) = match self.row_bases.get(k).copied().flatten() {
            Some(origin) => (origin, Bound::Each),
            None => (*self.bases.get(k)?, bound),
        };
        let mem = MemFlagsData::new().with_notrap();
        if let Some(v) = self.across_column(base, bound) {
            self.arrays[k] = Some(v);
            return Some(v);
        }
        if let (Some(offs), Bound::Each) = (self.tail.clone(), bound) {
            if let Some(v) = self.across_block(base, &offs) {
                self.arrays[k] = Some(v);
                return Some(v);
            }
        }
        let v = match self.tail.clone() {
            // Lane by lane, each at its own synapse.
            Some(offs) => {
                let mut lane_offs = Vec::with_capacity(offs.len());
                for (off, col) in offs {
                    lane_offs.push(match bound {
                        Bound::Column => col,
                        Bound::ColumnButSelf => self.past_self(col),
                        Bound::AtPre | Bound::Consecutive => self.at_rank(off, 0)?,
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
                    // The vector's synapses are of consecutive ranks from
                    // its first's (all four in one row: the loop's
                    // vectors and a row's last one lie within their row).
                    Bound::Consecutive => self.at_rank(self.off, 0)?,
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
    pub(super) fn lanes_at(&mut self, base: Value, offs: &[Value]) -> Option<Value> {
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
    pub(super) fn lane_ints(&mut self, scale: i64) -> Value {
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
    pub(super) fn at_rank(&mut self, off: Value, lane: i32) -> Option<Value> {
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
    pub(super) fn past_self(&mut self, col: Value) -> Value {
        let past = self
            .b
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, col, self.row_off);
        let further = self.b.ins().iadd_imm_u(col, 1 << self.shape.shift);
        self.b.ins().select(past, further, col)
    }

    pub(super) fn src(&mut self, s: Src) -> Option<Value> {
        match s {
            Src::Reg(r) => self.reg(r),
            Src::Arr(a) => self.array(a),
            Src::Scalar(k) => self.uniform_at((true, u64::from(k))),
            Src::Const(c) => self.uniform_at((false, self.dtype.round(c).to_bits())),
        }
    }

    pub(super) fn as_vec(&mut self, m: Value) -> Value {
        let little = MemFlagsData::new().with_endianness(Endianness::Little);
        self.b.ins().bitcast(self.shape.vec, little, m)
    }

    /// `m ? x : y` lane by lane, for a comparison's mask `m`.
    pub(super) fn pick(&mut self, m: Value, x: Value, y: Value) -> Value {
        pick_of(&mut self.b, m, x, y)
    }

    /// The lanes that are not 0 (NaN included), as a mask.
    pub(super) fn nonzero(&mut self, v: Value) -> Value {
        if let Some(&m) = self.truths.get(&v) {
            return m;
        }
        let z = self.konst(0.0);
        self.b.ins().fcmp(FloatCC::NotEqual, v, z)
    }

    /// A comparison's mask as 1.0 or 0.0: the bits of 1.0 where the mask's
    /// are all set, +0 where none are (what selecting 1.0 or 0.0 gives).
    pub(super) fn truth_value(&mut self, m: Value) -> Value {
        let one = self.konst(1.0);
        let bits = self.as_vec(m);
        let v = self.b.ins().band(bits, one);
        self.truths.insert(v, m);
        v
    }

    pub(super) fn lanes(&mut self, sig: SigRef, f: *const (), args: &[Value]) -> Value {
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
    pub(super) fn round(&mut self, x: Value) -> Value {
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
    pub(super) fn exp(&mut self, x: Value) -> Option<Value> {
        match self.dtype {
            Dtype::F32 => Some(exp_of(&mut self.b, x, types::F32X4, &mut self.widen)),
            Dtype::F64 => {
                let f = (self.fns.one)(Func::Exp)?;
                Some(self.lanes(self.sig1, f, &[x]))
            }
        }
    }

    pub(super) fn bin(&mut self, op: BinOp, x: Value, y: Value, exponent: Option<f64>) -> Value {
        let cmp = |g: &mut Self, cc: FloatCC| {
            // Its mask, held as such until read as a value (`truth_value`).
            g.b.ins().fcmp(cc, x, y)
        };
        match op {
            BinOp::Add => self.b.ins().fadd(x, y),
            BinOp::Sub => self.b.ins().fsub(x, y),
            BinOp::Mul => fmul_of(&mut self.b, x, y, &mut self.widen),
            BinOp::Div => fdiv_of(&mut self.b, x, y, &mut self.widen),
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
                            Some(a) => fmul_of(&mut self.b, a, base, &mut self.widen),
                        });
                    }
                    k >>= 1;
                    if k == 0 {
                        break acc.unwrap_or(x);
                    }
                    base = fmul_of(&mut self.b, base, base, &mut self.widen);
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

    pub(super) fn call(&mut self, f: Func, a: Value, b: Value, c: Value) -> Option<Value> {
        Some(match f {
            Func::Exp => self.exp(a)?,
            // f64's is called, as the other functions.
            Func::Tanh if self.dtype == Dtype::F32 => {
                tanh_of(&mut self.b, a, types::F32X4, &mut self.widen)
            }
            Func::Sqrt => sqrt_of(&mut self.b, a, &mut self.widen),
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

    pub(super) fn op(&mut self, op: &Op) -> Option<()> {
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
            // Code over elements runs only where every scale is 1
            // (`Native::execute_raw` declines otherwise), and multiplies
            // by none: the interpreter multiplies only where the scale is
            // not 1. Row code multiplies: its operand is always a product
            // just computed, never a signalling NaN, so multiplying by 1
            // returns it bit for bit.
            Op::Rescale(d, _) if self.over_elements => (*d, self.reg(*d)?),
            Op::Rescale(d, s) => {
                let x = self.reg(*d)?;
                let k = self.src(Src::Scalar(*s))?;
                (*d, fmul_of(&mut self.b, x, k, &mut self.widen))
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

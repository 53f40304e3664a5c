//! Folding row code over rows of one length, a vector's rows side by
//! side: lane `l` runs row `g + l` of the group from `g`, and the loop
//! goes over the synapses' places, each lane adding its row's next psp to
//! its own sum. A row's additions stay one after the other in its
//! synapses' order (the same bits as one row at a time), with no lane
//! left to finish and no partial vector at a row's end: gap junctions'
//! rows of nine spent a third of their code finishing rows and adding
//! lanes into one sum one by one.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    types, Block, BlockArg, Endianness, InstBuilder, MemFlagsData, StackSlotData, StackSlotKind,
    Value,
};

use super::rows::Kept;
use super::{fdiv_of, Bound, Gen, RowFold, VECTOR_BYTES};
use crate::engine::cpu::vm::{self, Program};

/// Where folding code over rows side by side is: the byte offset of the
/// place in the rows being read (the same in every lane; `place` where
/// it is a constant, the places read without a loop), and each lane's
/// row as a byte offset (a mask-typed vector).
#[derive(Debug, Clone, Copy)]
pub(super) struct Across {
    col: Value,
    place: Option<i64>,
    rows: Value,
    /// The byte offset past the last place where the places are read
    /// without a loop (0 in a loop).
    width: i64,
}

impl Gen<'_> {
    /// Folding row code ([`super::Native::compile_row_folds`]) for rows
    /// that all hold as many synapses ([`super::RowKinds::uniform`]): the
    /// `n` rows whose bounds are the `u32` words at `row_ptr`, a vector's
    /// rows at a time, then `exit`. The lanes past the last row repeat it
    /// (the same operations on the same values: the same result, stored
    /// again). Where every row holds `places` synapses (not 0), the
    /// places are read one after the other without a loop, each at a
    /// constant offset from its lane's row.
    pub(super) fn rows_across(
        &mut self,
        prog: &Program,
        layout: &[Bound],
        places: u32,
        n: Value,
        row_ptr: Value,
        exit: Block,
    ) -> Option<()> {
        let (shape, ptr) = (self.shape, self.ptr);
        let lanes = shape.lanes as i64;
        let elem = shape.elem;
        let g = self;
        let header = g.b.create_block();
        let group = g.b.create_block();
        let done = g.b.create_block();
        let first = g.b.append_block_param(header, ptr);
        let total = g.b.append_block_param(done, shape.vec);
        g.count_up(header, first, n, group, exit);

        // The group's rows, their first synapses, their own values.
        g.b.switch_to_block(group);
        let words = MemFlagsData::trusted().with_readonly();
        let start = g.b.ins().load(types::I32, words, row_ptr, 0);
        let end = g.b.ins().load(types::I32, words, row_ptr, 4);
        let len = g.b.ins().isub(end, start);
        let len = g.b.ins().uextend(ptr, len);
        let last = g.b.ins().iadd_imm_u(n, -1);
        let shift = shape.shift;
        let mut row_offs = Vec::with_capacity(shape.lanes);
        let mut syn_offs = Vec::with_capacity(shape.lanes);
        for l in 0..lanes {
            let r = g.b.ins().iadd_imm_u(first, l);
            let r = g.b.ins().umin(r, last);
            let at = g.b.ins().ishl_imm_u(r, 2);
            let at = g.b.ins().iadd(row_ptr, at);
            let s = g.b.ins().load(types::I32, words, at, 0);
            let s = g.b.ins().uextend(ptr, s);
            syn_offs.push(g.b.ins().ishl_imm_u(s, shift));
            row_offs.push(g.b.ins().ishl_imm_u(r, shift));
        }
        let lane_int = shape.mask.lane_type();
        let mut rows = None;
        for (l, &off) in row_offs.iter().enumerate() {
            let x = match lane_int.bits() < ptr.bits() {
                true => g.b.ins().ireduce(lane_int, off),
                false => off,
            };
            rows = Some(match rows {
                None => g.b.ins().splat(shape.mask, x),
                Some(v) => g.b.ins().insertlane(v, x, l as u8),
            });
        }
        // On the stack, read at each place of a loop: Cranelift built it
        // anew at every place otherwise.
        let rows_slot = g.b.create_sized_stack_slot(StackSlotData::new(
            StackSlotKind::ExplicitSlot,
            VECTOR_BYTES as u32,
            4,
        ));
        let rows = rows?;
        g.b.ins().stack_store(ptr, rows, rows_slot, 0);
        let read = vm::arrays_read(prog, layout.len());
        for (a, bound) in layout.iter().enumerate() {
            if *bound == Bound::Row && read[a] {
                let base = g.bases[a];
                g.row_values[a] = Some(g.lanes_at(base, &row_offs)?);
            }
        }
        let hoisted = g.row_part(prog, layout)?;
        // Without a loop, Cranelift computes the row's values once, where
        // the first place reads them, and keeps them in registers.
        let hoisted = g.keep_row_values(hoisted, places == 0);
        let negative_zero = match elem {
            types::F64 => g.b.ins().f64const(-0.0),
            _ => g.b.ins().f32const(-0.0),
        };
        let sums = g.b.ins().splat(shape.vec, negative_zero);
        let step = 1i64 << shape.shift;
        if places > 0 {
            // Place after place, each read at its constant offset from
            // its lane's row's first synapse (folded into the loads'
            // addresses): no counter, no addresses carried.
            let mut acc = sums;
            g.column_splats.clear();
            g.column_blocks.clear();
            let anchor = g.b.create_sized_stack_slot(StackSlotData::new(
                StackSlotKind::ExplicitSlot,
                VECTOR_BYTES as u32,
                4,
            ));
            for place in 0..i64::from(places) {
                let col = g.b.ins().iconst(ptr, place * step);
                let offs = syn_offs
                    .iter()
                    .map(|&s| (g.b.ins().iadd_imm_u(s, place * step), col))
                    .collect();
                let at = (Some(place * step), i64::from(places) * step);
                acc = g.place(prog, &hoisted, offs, at, rows, acc)?;
                // Stored at each place, never read: Cranelift computes a
                // pure value where it is first used, and the sums' first
                // use was after the last place (every place's loads first,
                // spilled, then all the arithmetic). A store stays where
                // it is, and the sums are computed before it.
                g.b.ins().stack_store(ptr, acc, anchor, 0);
            }
            g.b.ins().jump(done, &[acc.into()]);
        } else {
            let inner = g.b.create_block();
            let body = g.b.create_block();
            // The place's byte offset, the sums, and each lane's
            // synapse's byte offset, carried through the loop: computed
            // from the rows' starts at each place (or from each row's
            // first synapse's address, computed once), they were sunk
            // into the loop by Cranelift, their inputs spilled and
            // reloaded.
            let col = g.b.append_block_param(inner, ptr);
            let acc = g.b.append_block_param(inner, shape.vec);
            let syn: Vec<Value> = (0..lanes)
                .map(|_| g.b.append_block_param(inner, ptr))
                .collect();
            let zero = g.b.ins().iconst(ptr, 0);
            let mut args: Vec<BlockArg> = vec![zero.into(), sums.into()];
            args.extend(syn_offs.iter().map(|&s| BlockArg::from(s)));
            let width = g.b.ins().ishl_imm_u(len, shape.shift);
            g.b.ins().jump(inner, &args);

            g.b.switch_to_block(inner);
            let more = g.b.ins().icmp(IntCC::UnsignedLessThan, col, width);
            g.b.ins().brif(more, body, &[], done, &[acc.into()]);

            g.b.switch_to_block(body);
            let offs = syn.iter().map(|&s| (s, col)).collect();
            let rows = match layout.contains(&Bound::ColumnButSelf) {
                true => g.b.ins().stack_load(ptr, shape.mask, rows_slot, 0),
                false => rows,
            };
            let sums = g.place(prog, &hoisted, offs, (None, 0), rows, acc)?;
            let mut args: Vec<BlockArg> = vec![g.b.ins().iadd_imm_u(col, step).into(), sums.into()];
            for &s in &syn {
                args.push(g.b.ins().iadd_imm_u(s, step).into());
            }
            g.b.ins().jump(inner, &args);
        }

        // Each lane's row's value, from the last lane to the first: the
        // lanes past the last row store its value again before it does.
        g.b.switch_to_block(done);
        let count = match g.fold? {
            RowFold::Sum => None,
            RowFold::Mean => Some(g.b.ins().fcvt_from_uint(elem, len)),
        };
        let mem = MemFlagsData::new().with_notrap();
        // The rows from the stack, not kept in registers through the loop
        // (which spilled the loop's own values).
        let rows = g.b.ins().stack_load(ptr, shape.mask, rows_slot, 0);
        for l in (0..shape.lanes).rev() {
            let off = g.b.ins().extractlane(rows, l as u8);
            let off = match lane_int.bits() < ptr.bits() {
                true => g.b.ins().uextend(ptr, off),
                false => off,
            };
            let x = g.b.ins().extractlane(total, l as u8);
            let value = match count {
                Some(c) => fdiv_of(&mut g.b, x, c, &mut g.widen),
                None => x,
            };
            let at = g.b.ins().iadd(g.bases[0], off);
            g.b.ins().store(mem, value, at, 0);
        }
        let next = g.b.ins().iadd_imm_u(first, lanes);
        g.b.ins().jump(header, &[next.into()]);
        Some(())
    }

    /// The code of one place of every lane's row: each lane's synapse at
    /// its `offs` (its byte offset, and the place's), the place's byte
    /// offset where it is a constant, the rows' offsets in `rows`, `acc`
    /// the sums so far; the sums with this place's.
    fn place(
        &mut self,
        prog: &Program,
        hoisted: &[Option<(u16, Option<Kept>)>],
        offs: Vec<(Value, Value)>,
        (place, width): (Option<i64>, i64),
        rows: Value,
        acc: Value,
    ) -> Option<Value> {
        let col = offs.first()?.1;
        self.tail = Some(offs);
        self.across = Some(Across {
            col,
            place,
            rows,
            width,
        });
        self.acc = Some(acc);
        self.synapses(prog, hoisted)?;
        self.tail = None;
        self.across = None;
        self.acc.take()
    }

    /// The vector of the per-synapse array at `base` at the place being
    /// read by rows side by side without a loop, each lane at its row's
    /// synapse `offs`, where the place lies in a block of a vector's
    /// places that all rows hold: the block's values are loaded a row's
    /// vector at a time and transposed, once for the block's places (a
    /// row's four synapses in one load, where each lane's own load and
    /// insertion took two operations a synapse). `None` elsewhere.
    pub(super) fn across_block(&mut self, base: Value, offs: &[(Value, Value)]) -> Option<Value> {
        let across = self.across?;
        let (shape, step) = (self.shape, 1i64 << self.shape.shift);
        let block = step * shape.lanes as i64;
        let place = across.place?;
        let first = place - place % block;
        // Four rows of four f32 (two of two f64) to transpose.
        if first + block > across.width
            || offs.len() != shape.lanes
            || !matches!(shape.lanes, 2 | 4)
        {
            return None;
        }
        let k = ((place - first) / step) as usize;
        if let Some(b) = self
            .column_blocks
            .iter()
            .find(|b| (b.0, b.1) == (base, first))
        {
            return b.2.get(k).copied();
        }
        let mem = MemFlagsData::new().with_notrap();
        let little = MemFlagsData::new().with_endianness(Endianness::Little);
        // Each lane's row from the block's first place: its synapse less
        // the places since.
        let back = i32::try_from(first - place).ok()?;
        let mut rows = Vec::with_capacity(shape.lanes);
        for &(off, _) in offs {
            let at = self.b.ins().iadd(base, off);
            let v = self.b.ins().load(shape.vec, mem, at, back);
            rows.push(self.b.ins().bitcast(types::I8X16, little, v));
        }
        // Lane-interleaving byte shuffles Cranelift lowers to single
        // unpack instructions: the low or high halves of two vectors'
        // 32-bit (then 64-bit) lanes, interleaved.
        let shuffle = |b: &mut cranelift_frontend::FunctionBuilder, x, y, mask: [u8; 16]| {
            let m = b.func.dfg.immediates.push(mask.to_vec().into());
            b.ins().shuffle(x, y, m)
        };
        let lanes_of = |lo: bool, bytes: usize| -> [u8; 16] {
            let half = if lo { 0 } else { 8 };
            std::array::from_fn(|i| {
                let (pair, byte) = (i / (2 * bytes), i % (2 * bytes));
                let (which, b) = (byte / bytes, byte % bytes);
                (half + pair * bytes + b + 16 * which) as u8
            })
        };
        let cols: Vec<Value> = if shape.lanes == 4 {
            let t0 = shuffle(&mut self.b, rows[0], rows[1], lanes_of(true, 4));
            let t1 = shuffle(&mut self.b, rows[0], rows[1], lanes_of(false, 4));
            let t2 = shuffle(&mut self.b, rows[2], rows[3], lanes_of(true, 4));
            let t3 = shuffle(&mut self.b, rows[2], rows[3], lanes_of(false, 4));
            vec![
                shuffle(&mut self.b, t0, t2, lanes_of(true, 8)),
                shuffle(&mut self.b, t0, t2, lanes_of(false, 8)),
                shuffle(&mut self.b, t1, t3, lanes_of(true, 8)),
                shuffle(&mut self.b, t1, t3, lanes_of(false, 8)),
            ]
        } else {
            vec![
                shuffle(&mut self.b, rows[0], rows[1], lanes_of(true, 8)),
                shuffle(&mut self.b, rows[0], rows[1], lanes_of(false, 8)),
            ]
        };
        let cols: Vec<Value> = cols
            .into_iter()
            .map(|c| self.b.ins().bitcast(shape.vec, little, c))
            .collect();
        let v = cols.get(k).copied();
        self.column_blocks.push((base, first, cols));
        v
    }

    /// The vector of the array at `base` at the place being read by rows
    /// side by side: one value in every lane ([`Bound::Column`]), or for
    /// [`Bound::ColumnButSelf`] the next one in the lanes whose row's
    /// neuron is at that place or before; `None` for other arrays, and
    /// outside such code.
    pub(super) fn across_column(&mut self, base: Value, bound: Bound) -> Option<Value> {
        let across = self.across?;
        if !matches!(bound, Bound::Column | Bound::ColumnButSelf) {
            return None;
        }
        let mem = MemFlagsData::new().with_notrap();
        let (shape, ptr) = (self.shape, self.ptr);
        let at = self.b.ins().iadd(base, across.col);
        match bound {
            Bound::Column => {
                let x = self.b.ins().load(shape.elem, mem, at, 0);
                Some(self.b.ins().splat(shape.vec, x))
            }
            Bound::ColumnButSelf => {
                // Chosen as integers, by the comparison's own mask (one
                // blend, where a mask made a float vector took three
                // operations); "the row's neuron is further" in one
                // comparison where "is at or before" took two.
                let little = MemFlagsData::new().with_endianness(Endianness::Little);
                // Without a loop, a place's next value is the following
                // place's own: splatted once.
                let mut splat_at = |offset: i32| {
                    let key = across.place.map(|p| (base, p + i64::from(offset)));
                    let kept = key.and_then(|k| {
                        self.column_splats
                            .iter()
                            .find(|s| (s.0, s.1) == k)
                            .map(|s| s.2)
                    });
                    if let Some(v) = kept {
                        return v;
                    }
                    let x = self.b.ins().load(shape.elem, mem, at, offset);
                    let v = self.b.ins().splat(shape.vec, x);
                    let v = self.b.ins().bitcast(shape.mask, little, v);
                    if let Some((b, o)) = key {
                        self.column_splats.push((b, o, v));
                    }
                    v
                };
                let below = splat_at(0);
                let above = splat_at(1 << shape.shift);
                let lane_int = shape.mask.lane_type();
                let col = match lane_int.bits() < ptr.bits() {
                    true => self.b.ins().ireduce(lane_int, across.col),
                    false => across.col,
                };
                let col = self.b.ins().splat(shape.mask, col);
                let further = self
                    .b
                    .ins()
                    .icmp(IntCC::SignedGreaterThan, across.rows, col);
                let v = self.b.ins().bitselect(further, below, above);
                Some(self.b.ins().bitcast(shape.vec, little, v))
            }
            _ => None,
        }
    }
}

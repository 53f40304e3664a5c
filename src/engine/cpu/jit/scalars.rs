//! A native program's scalar operations and its table of uniform
//! operands, kept per thread from one run to the next while the frame's
//! scalars other than t are unchanged.

use super::super::vm::{self, Op, Program, Src};
use super::Lanes;
use crate::real::Real;

/// A program's scalar operations (expressions of t, dt, the constants and
/// population-wide values), and which of them read t. Most do not
/// (`exp(-dt / tau)`), and their values are kept from one run to the next
/// while the frame's other scalars stay the same, bit for bit.
#[derive(Debug)]
pub(super) struct ScalarOps {
    /// This program's key in the per-thread cache (unique per compile,
    /// unlike an address, which a later program may reuse).
    id: u64,
    ops: Vec<Op>,
    /// The operations that read t (scalar slot 0), directly or through
    /// another, in order: what a run with the frame's other scalars
    /// unchanged computes again.
    timed_ops: Vec<usize>,
    /// Scalar slots in all.
    n_scalars: usize,
    /// Per scalar slot, whether it is t or computed from it.
    timed: Vec<bool>,
}

impl ScalarOps {
    pub(super) fn new(prog: &Program) -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let ops: Vec<Op> = prog
            .ops
            .iter()
            .filter_map(|op| match op {
                Op::Scalar(inner) => Some((**inner).clone()),
                _ => None,
            })
            .collect();
        let mut timed = vec![false; prog.n_scalars.max(1)];
        timed[0] = true;
        let mut srcs = Vec::new();
        let reads_t: Vec<bool> = ops
            .iter()
            .map(|op| {
                srcs.clear();
                op.operands(&mut srcs);
                let t = srcs
                    .iter()
                    .any(|s| matches!(s, Src::Scalar(k) if timed.get(*k as usize) == Some(&true)));
                let dsts: &[u16] = match op {
                    Op::Bin(_, d, ..) | Op::Un(_, d, _) | Op::Call(_, d, _) | Op::Sel(d, ..) => {
                        std::slice::from_ref(d)
                    }
                    Op::Recip(r, s, _) => &[*r, *s],
                    _ => &[],
                };
                for &d in dsts {
                    if let Some(x) = timed.get_mut(d as usize) {
                        *x = t;
                    }
                }
                t
            })
            .collect();
        let timed_ops = (0..ops.len()).filter(|&i| reads_t[i]).collect();
        ScalarOps {
            id: NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            ops,
            timed_ops,
            n_scalars: prog.n_scalars,
            timed,
        }
    }

    /// Whether uniform operand `u` is t or computed from it.
    pub(super) fn timed(&self, u: Src) -> bool {
        matches!(u, Src::Scalar(k) if self.timed.get(k as usize) == Some(&true))
    }

    /// The frame's `scalars` followed by the computed slots, and the table
    /// of `uniforms` (each in every lane), from this thread's `cache`:
    /// where the frame's scalars other than t are those of the last run,
    /// only the operations that read t are computed again, and only the
    /// table's entries at `timed` (the uniforms that read t) refreshed
    /// (the same operations on the same values: the same bits).
    pub(super) fn slots<'c, R: Real>(
        &self,
        scalars: &[R],
        uniforms: &[Src],
        timed: &[usize],
        cache: &'c mut SlotCache<R>,
    ) -> (&'c [R], &'c [Lanes]) {
        let len = self.n_scalars.max(scalars.len());
        let kept = cache.entry(self.id);
        let hit = kept.key.len() == scalars.len()
            && kept.slots.len() == len
            && kept.table.len() == uniforms.len()
            // Bit for bit (t, the first, is refreshed; an empty frame, a
            // test's, is not kept), value by value: a frame holds a
            // handful, where a call of `memcmp` cost a fifth of this
            // function at every run.
            && !scalars.is_empty()
            && kept.key[1..]
                .iter()
                .zip(&scalars[1..])
                .all(|(a, b)| a.bits() == b.bits());
        if hit {
            kept.slots[0] = scalars[0];
            for &i in &self.timed_ops {
                vm::scalar_op(&self.ops[i], &mut kept.slots);
            }
            for &i in timed {
                kept.table[i] = Lanes::splat(uniform_value(&kept.slots, uniforms[i]));
            }
        } else {
            kept.slots.clear();
            kept.slots.extend_from_slice(scalars);
            kept.slots.resize(len, R::ZERO);
            for op in &self.ops {
                vm::scalar_op(op, &mut kept.slots);
            }
            kept.key.clear();
            kept.key.extend_from_slice(scalars);
            kept.table.clear();
            let slots = &kept.slots;
            kept.table.extend(
                uniforms
                    .iter()
                    .map(|&u| Lanes::splat(uniform_value(slots, u))),
            );
        }
        (&kept.slots, &kept.table)
    }
}

/// The value of uniform operand `u` (a scalar slot or a constant) with
/// scalar slots `slots`.
pub(super) fn uniform_value<R: Real>(slots: &[R], u: Src) -> R {
    match u {
        Src::Scalar(k) => slots[k as usize],
        Src::Const(c) => R::of(c),
        Src::Reg(_) | Src::Arr(_) => unreachable!("uniforms are scalars and constants"),
    }
}

/// What a thread keeps of a program's last run: the frame's scalars it
/// ran with, its scalar slots, its table of uniform operands.
pub(super) struct Kept<R> {
    key: Vec<R>,
    slots: Vec<R>,
    table: Vec<Lanes>,
}

impl<R> Default for Kept<R> {
    fn default() -> Self {
        Kept {
            key: Vec::new(),
            slots: Vec::new(),
            table: Vec::new(),
        }
    }
}

/// Programs a thread keeps the scalar slots of: a program's are at its
/// id modulo this, so that a network of fewer programs keeps them all.
const SLOT_CACHE_SIZE: usize = 256;

/// What a thread keeps of the last runs of its programs, at their ids
/// modulo [`SLOT_CACHE_SIZE`]: one index where a hash map's lookup was a
/// tenth of a small population's update. A program whose place another
/// took computes its slots anew (the same values).
pub(super) struct SlotCache<R> {
    entries: Vec<(u64, Kept<R>)>,
}

impl<R> SlotCache<R> {
    /// Empty (its entries are made at the first run).
    pub(super) const fn new() -> Self {
        SlotCache {
            entries: Vec::new(),
        }
    }

    /// Program `id`'s entry, emptied if another program's held its place.
    fn entry(&mut self, id: u64) -> &mut Kept<R> {
        if self.entries.is_empty() {
            self.entries
                .resize_with(SLOT_CACHE_SIZE, || (u64::MAX, Kept::default()));
        }
        let (owner, kept) = &mut self.entries[id as usize % SLOT_CACHE_SIZE];
        if *owner != id {
            *owner = id;
            // Not a hit: the key no longer matches any frame.
            kept.key.clear();
        }
        kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::ir::{BinOp, Expr};
    use crate::real::Dtype;

    /// t and dt, nothing else.
    struct Frame;

    impl vm::Binder for Frame {
        fn leaf(&self, e: &Expr) -> Option<Src> {
            match e {
                Expr::Time => Some(Src::Scalar(0)),
                Expr::Dt => Some(Src::Scalar(1)),
                _ => None,
            }
        }

        fn n_scalars(&self) -> usize {
            2
        }
    }

    /// `dt * factor` as a program's one computed slot, and that slot.
    fn times_dt(factor: f64) -> (ScalarOps, Src) {
        let mut p = Program::in_dtype(Dtype::F32);
        let slot = p.expr(
            &Expr::bin(BinOp::Mul, Expr::Dt, Expr::Const(factor)),
            &Frame,
        );
        (ScalarOps::new(&p), slot)
    }

    #[test]
    fn programs_at_one_place_of_the_cache_keep_their_own_slots() {
        let (a, slot) = times_dt(2.0);
        let (mut b, other) = times_dt(3.0);
        assert_eq!(slot, other, "both compute their one slot at the same place");
        b.id = a.id + SLOT_CACHE_SIZE as u64;
        let mut cache = SlotCache::<f32>::new();
        let frame = [0.0f32, 0.5];
        // In turns, with the same frame: each finds the other's slots at
        // its place, and must not take them for its own.
        for round in 0..3 {
            let (s, table) = a.slots(&frame, &[slot], &[], &mut cache);
            assert_eq!(uniform_value(s, slot), 1.0, "a, round {round}");
            assert_eq!(
                table[0].0,
                Lanes::splat(1.0f32).0,
                "a's table, round {round}"
            );
            let (s, _) = b.slots(&frame, &[slot], &[], &mut cache);
            assert_eq!(uniform_value(s, slot), 1.5, "b, round {round}");
        }
        // A program alone at its place keeps its slots while the frame but
        // t is the same (a hit), and computes them anew when dt changes.
        let (s, _) = a.slots(&[1.0f32, 0.5], &[slot], &[], &mut cache);
        assert_eq!(uniform_value(s, slot), 1.0);
        let (s, _) = a.slots(&[1.0f32, 0.25], &[slot], &[], &mut cache);
        assert_eq!(uniform_value(s, slot), 0.5);
    }
}

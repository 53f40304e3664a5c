//! A native program's scalar operations and its table of uniform
//! operands, kept per thread from one run to the next while the frame's
//! scalars other than t are unchanged.

use std::collections::HashMap;

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
        if cache.len() >= SLOT_CACHE_SIZE && !cache.contains_key(&self.id) {
            // Programs of networks dropped long ago stay in the cache until
            // it is full; then it starts over.
            cache.clear();
        }
        // One lookup: a small network's step makes several native calls.
        let kept = cache.entry(self.id).or_default();
        let hit = kept.key.len() == scalars.len()
            && kept.slots.len() == len
            && kept.table.len() == uniforms.len()
            // Bit for bit, as bytes: one comparison of memory (t, the
            // first, is refreshed; an empty frame, a test's, is not kept).
            && !scalars.is_empty()
            && bytemuck::cast_slice::<R, u8>(&kept.key[1..])
                == bytemuck::cast_slice::<R, u8>(&scalars[1..]);
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

/// Programs a thread keeps the scalar slots of.
const SLOT_CACHE_SIZE: usize = 256;

/// Per program (`ScalarOps::id`): what its last run on this thread kept.
pub(super) type SlotCache<R> = HashMap<u64, Kept<R>, std::hash::BuildHasherDefault<IdHasher>>;

/// The hash of a program's id: the id times a large odd constant (its
/// bits spread, where the default hasher's SipHash rounds cost more than
/// the lookup saves for the many short runs of a small network).
#[derive(Default)]
pub(super) struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, x: u64) {
        self.0 = x.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

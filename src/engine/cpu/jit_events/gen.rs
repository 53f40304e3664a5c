//! The generator of event code: a statement list as Cranelift IR, one
//! event a call or four in a vector's lanes (`Gen`), for
//! [`NativeEvents`](super::NativeEvents).

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{types, InstBuilder, MemFlagsData, SigRef, Type, Value};
use cranelift_frontend::FunctionBuilder;
use std::collections::HashMap;

use super::{
    Calls, Shape, ARG_FROZEN, ARG_G, ARG_MASKS, ARG_POST, ARG_PRE, ARG_SCALARS, ARG_SYN, FUNCS,
    RANDOM, RUN_N, RUN_POST_OFF, RUN_PRE,
};
use crate::engine::cpu::jit::{exp_of, max_of, min_of, pick_of, tanh_of, Widening};
use crate::lang::ir::{BinOp, EventStmt, Expr, Func, UnOp};
use crate::real::Dtype;

/// The signatures of what the code calls: `pow` and `%` (two values), the
/// language's functions, the random draws.
pub(super) struct Sigs {
    pub(super) two: SigRef,
    pub(super) func: SigRef,
    pub(super) random: SigRef,
}

/// One function being generated: its builder, its arguments and what it
/// knows of the synapse model.
pub(super) struct Gen<'a> {
    pub(super) b: FunctionBuilder<'a>,
    pub(super) args: Value,
    /// The synapse (the row's first of four, in row code).
    pub(super) s: Value,
    /// The pre rank (in row code: a pointer to the four pre ranks).
    pub(super) pre: Value,
    pub(super) post: Value,
    pub(super) ptr: Type,
    pub(super) sigs: Sigs,
    /// How many events a call runs (`Row` and `Any`: values are vectors
    /// of four events').
    pub(super) shape: Shape,
    /// Per synapse slot: per synapse (else projection-wide).
    pub(super) local: &'a [bool],
    /// A value's type (`f32` or `f64`).
    pub(super) elem: Type,
    /// Its precision.
    pub(super) dtype: Dtype,
    /// The functions called in it.
    pub(super) calls: Calls,
    /// Run code ([`Shape::Run`]): this four's synapses and post ranks,
    /// loaded once for every statement, and the spike's pre rank.
    pub(super) run: Option<RunLanes>,
    /// The synapse slots' values as the statements so far read or stored
    /// them, for the events at hand: a later read takes them from here
    /// rather than loading them again. A slot is an array of its own
    /// (neither another slot, nor a neuron's, nor the conductance), and
    /// the events of a call are of distinct synapses, so only a store to
    /// the slot itself changes what a read of it gives. STP's statements
    /// read its `x` three times and its `u` four times an event.
    pub(super) known: HashMap<u32, Value>,
}

/// The indices of a four of a spike's run of events (`Shape::Run`), as
/// pointer-sized integers.
#[derive(Clone, Copy)]
pub(super) struct RunLanes {
    pub(super) s: [Value; 4],
    pub(super) post: [Value; 4],
    /// The one pre rank of all of them.
    pub(super) pre: Value,
    /// The run's last four, of `live` events (1 to 3), the lanes after
    /// them repeating the last one's indices; `None`: four events.
    pub(super) live: Option<Value>,
}

/// Which of an event's indices.
#[derive(Clone, Copy)]
enum Index {
    Synapse,
    Pre,
    Post,
}

/// Row code's vectors: four synapses' f32 values.
const ROW: Type = types::F32X4;

/// Loads of what no event changes: `Args`' fields, the tables they point
/// to (array pointers, masks) and the scalars. Marked read-only and
/// movable, the optimiser loads each once a call rather than once a use.
const FIXED: MemFlagsData = MemFlagsData::new()
    .with_notrap()
    .with_readonly()
    .with_can_move();

impl Gen<'_> {
    /// The statements, in order, as `run_event` runs them.
    ///
    /// A store to a slot that a later statement stores to again is left
    /// out (its value kept in `known` for the reads between): no read
    /// between goes to memory, and the later store is skipped just when
    /// it would be, for a frozen slot. STP's `x` and `u` are brought up to
    /// date, then changed by the spike: two stores an event where there
    /// were four.
    pub(super) fn stmts(&mut self, stmts: &[EventStmt]) -> Option<()> {
        for (i, st) in stmts.iter().enumerate() {
            let stored_again = |var: u32| {
                stmts[i + 1..]
                    .iter()
                    .any(|s| matches!(s, EventStmt::Store { var: v, .. } if *v == var))
            };
            let last = match st {
                EventStmt::Store { var, .. } => !stored_again(*var),
                EventStmt::AddConductance(_) => true,
            };
            self.stmt(st, last)?;
        }
        Some(())
    }

    /// One statement, as `run_event` runs it; a store only where `last`
    /// (see [`stmts`](Self::stmts)).
    fn stmt(&mut self, st: &EventStmt, last: bool) -> Option<()> {
        let mem = MemFlagsData::new().with_notrap();
        match st {
            EventStmt::AddConductance(e) => {
                let v = self.expr(e)?;
                let base = self.field(ARG_G);
                if self.shape == Shape::One {
                    let at = self.element(base, self.post, self.elem);
                    let old = self.b.ins().load(self.elem, mem, at, 0);
                    let new = self.b.ins().fadd(old, v);
                    self.b.ins().store(mem, new, at, 0);
                } else {
                    // Lane after lane, in the events' order: the sum is
                    // the one-event code's, even where posts repeat.
                    let live = self.run.and_then(|r| r.live);
                    for lane in 0..4u8 {
                        let post = self.lane_index(Index::Post, lane);
                        let at = self.element(base, post, self.elem);
                        let x = self.b.ins().extractlane(v, lane);
                        let old = self.b.ins().load(self.elem, mem, at, 0);
                        let mut new = self.b.ins().fadd(old, x);
                        // A lane past a short four's events repeats the
                        // last one's: it adds nothing. (Its stores to the
                        // synapse write what the last one's wrote.)
                        if let Some(live) = live.filter(|_| lane > 0) {
                            let on = self.b.ins().icmp_imm_u(
                                IntCC::UnsignedGreaterThan,
                                live,
                                i64::from(lane),
                            );
                            new = self.b.ins().select(on, new, old);
                        }
                        self.b.ins().store(mem, new, at, 0);
                    }
                }
            }
            EventStmt::Store { var, expr } => {
                let v = self.expr(expr)?;
                // Skipped when it is the frozen slot, as `run_event`.
                let frozen = self.b.ins().load(types::I32, FIXED, self.args, ARG_FROZEN);
                let store = self.b.create_block();
                let skip = self.b.create_block();
                let next = self.b.create_block();
                // The slot's value after: the one stored, or where the
                // store is skipped, the one it holds.
                let after = self
                    .b
                    .append_block_param(next, self.b.func.dfg.value_type(v));
                let is = self
                    .b
                    .ins()
                    .icmp_imm_u(IntCC::Equal, frozen, i64::from(*var));
                self.b.ins().brif(is, skip, &[], store, &[]);
                self.b.switch_to_block(skip);
                // Loaded here, it is known only on this path.
                let old = match self.known.get(var) {
                    Some(&x) => x,
                    None => self.load_var(*var),
                };
                self.b.ins().jump(next, &[old.into()]);
                self.b.switch_to_block(store);
                // Vector code stores per-synapse slots only
                // (`NativeEvents::compile`).
                match self.shape {
                    _ if !last => {}
                    Shape::One => {
                        let at = self.syn_at(*var);
                        self.b.ins().store(mem, v, at, 0);
                    }
                    Shape::Row => {
                        let at = self.row_at(*var);
                        self.b.ins().store(mem, v, at, 0);
                    }
                    Shape::Any | Shape::Run => {
                        let syn = self.field(ARG_SYN);
                        let base = self.entry(syn, *var);
                        for lane in 0..4u8 {
                            let s = self.lane_index(Index::Synapse, lane);
                            let at = self.element(base, s, self.elem);
                            let x = self.b.ins().extractlane(v, lane);
                            self.b.ins().store(mem, x, at, 0);
                        }
                    }
                }
                self.b.ins().jump(next, &[v.into()]);
                self.b.switch_to_block(next);
                self.known.insert(*var, after);
            }
        }
        Some(())
    }

    /// The value of synapse slot `v`: as known, else loaded (and known
    /// from then on).
    fn var(&mut self, v: u32) -> Value {
        if let Some(&x) = self.known.get(&v) {
            return x;
        }
        let x = self.load_var(v);
        self.known.insert(v, x);
        x
    }

    /// Synapse slot `v`'s value, loaded.
    fn load_var(&mut self, v: u32) -> Value {
        if self.vector() && self.local.get(v as usize) == Some(&true) {
            if self.shape == Shape::Row {
                let at = self.row_at(v);
                self.b
                    .ins()
                    .load(ROW, MemFlagsData::new().with_notrap(), at, 0)
            } else {
                let syn = self.field(ARG_SYN);
                let base = self.entry(syn, v);
                self.gather(base, Index::Synapse)
            }
        } else if matches!(self.shape, Shape::Any | Shape::Run) {
            // Projection-wide: element 0 (the mask of one-event code is 0
            // for it).
            let syn = self.field(ARG_SYN);
            let base = self.entry(syn, v);
            let x = self.load_value(base);
            self.uniform(x)
        } else {
            let at = self.syn_at(v);
            let x = self.load_value(at);
            self.uniform(x)
        }
    }

    fn field(&mut self, offset: i32) -> Value {
        self.b.ins().load(self.ptr, FIXED, self.args, offset)
    }

    /// The address of element `i` of the array at `base`.
    fn element(&mut self, base: Value, i: Value, ty: Type) -> Value {
        let off = self.b.ins().imul_imm_u(i, i64::from(ty.bytes()));
        self.b.ins().iadd(base, off)
    }

    /// The address of `table[k]` (pointer-sized entries).
    fn entry(&mut self, table: Value, k: u32) -> Value {
        self.b
            .ins()
            .load(self.ptr, FIXED, table, (k * self.ptr.bytes()) as i32)
    }

    /// The address synapse slot `var` is read and written at.
    fn syn_at(&mut self, var: u32) -> Value {
        let syn = self.field(ARG_SYN);
        let base = self.entry(syn, var);
        let masks = self.field(ARG_MASKS);
        let mask = self.entry(masks, var);
        let i = self.b.ins().band(self.s, mask);
        self.element(base, i, self.elem)
    }

    /// Row code: the address of the row's four values of per-synapse
    /// slot `var`, from the first synapse's.
    fn row_at(&mut self, var: u32) -> Value {
        let syn = self.field(ARG_SYN);
        let base = self.entry(syn, var);
        self.element(base, self.s, self.elem)
    }

    fn load_value(&mut self, at: Value) -> Value {
        self.b
            .ins()
            .load(self.elem, MemFlagsData::new().with_notrap(), at, 0)
    }

    /// Whether values are vectors of four events'.
    fn vector(&self) -> bool {
        self.shape != Shape::One
    }

    /// A value every event shares: itself in one-event code, in every lane
    /// in vector code.
    fn uniform(&mut self, x: Value) -> Value {
        if self.vector() {
            self.b.ins().splat(ROW, x)
        } else {
            x
        }
    }

    /// Lane `lane`'s index at `at` (`Any` code: four `usize`; `Row`
    /// code's pre ranks: four `u32`), as a pointer-sized integer.
    fn index(&mut self, at: Value, lane: u8) -> Value {
        let mem = MemFlagsData::new().with_notrap();
        if self.shape == Shape::Row {
            let j = self.b.ins().load(types::I32, mem, at, 4 * i32::from(lane));
            self.b.ins().uextend(self.ptr, j)
        } else {
            let bytes = self.ptr.bytes() as i32;
            self.b
                .ins()
                .load(self.ptr, mem, at, bytes * i32::from(lane))
        }
    }

    /// Lane `lane`'s index `which`: the run's (`Shape::Run`), or loaded
    /// from where `index` finds it.
    fn lane_index(&mut self, which: Index, lane: u8) -> Value {
        if let Some(run) = self.run {
            return match which {
                Index::Synapse => run.s[lane as usize],
                Index::Pre => run.pre,
                Index::Post => run.post[lane as usize],
            };
        }
        let at = match which {
            Index::Synapse => self.s,
            Index::Pre => self.pre,
            Index::Post => self.post,
        };
        self.index(at, lane)
    }

    /// The four values of the array at `base` at the events' indices
    /// `which`.
    fn gather(&mut self, base: Value, which: Index) -> Value {
        let mut v = self.konst(0.0);
        for lane in 0..4u8 {
            let i = self.lane_index(which, lane);
            let a = self.element(base, i, self.elem);
            let x = self.load_value(a);
            v = self.b.ins().insertlane(v, x, lane);
        }
        v
    }

    /// `c` as the code's precision holds it (rounded to f32 in f32 code,
    /// as `eval`'s `R::of`).
    fn konst(&mut self, c: f64) -> Value {
        let x = match self.dtype {
            Dtype::F32 => self.b.ins().f32const(c as f32),
            Dtype::F64 => self.b.ins().f64const(c),
        };
        self.uniform(x)
    }

    fn truth(&mut self, cc: FloatCC, x: Value, y: Value) -> Value {
        let c = self.b.ins().fcmp(cc, x, y);
        let (one, zero) = (self.konst(1.0), self.konst(0.0));
        pick_of(&mut self.b, c, one, zero)
    }

    /// Calls the Rust function `f` on `args` (after the scalar `fixed`
    /// ones): once in one-synapse code, lane by lane in row code.
    fn call(&mut self, sig: SigRef, f: *const (), fixed: &[Value], args: &[Value]) -> Value {
        let callee = self.b.ins().iconst(self.ptr, f as usize as i64);
        if !self.vector() {
            let all: Vec<Value> = fixed.iter().chain(args).copied().collect();
            let call = self.b.ins().call_indirect(sig, callee, &all);
            return self.b.inst_results(call)[0];
        }
        let mut out = self.konst(0.0);
        for lane in 0..4u8 {
            let mut all = fixed.to_vec();
            for &a in args {
                all.push(self.b.ins().extractlane(a, lane));
            }
            let call = self.b.ins().call_indirect(sig, callee, &all);
            let r = self.b.inst_results(call)[0];
            out = self.b.ins().insertlane(out, r, lane);
        }
        out
    }

    fn expr(&mut self, e: &Expr) -> Option<Value> {
        Some(match e {
            Expr::Const(c) => self.konst(*c),
            Expr::Var(v) => self.var(*v),
            Expr::Pre(k) if self.shape == Shape::Run => {
                // One spike's events: one neuron's value in every lane.
                let table = self.field(ARG_PRE);
                let base = self.entry(table, *k);
                let pre = self.lane_index(Index::Pre, 0);
                let at = self.element(base, pre, self.elem);
                let x = self.load_value(at);
                self.uniform(x)
            }
            Expr::Pre(k) if self.vector() => {
                // Four neurons' values, gathered by the events' pre ranks.
                let table = self.field(ARG_PRE);
                let base = self.entry(table, *k);
                self.gather(base, Index::Pre)
            }
            Expr::Post(k) if matches!(self.shape, Shape::Any | Shape::Run) => {
                let table = self.field(ARG_POST);
                let base = self.entry(table, *k);
                self.gather(base, Index::Post)
            }
            Expr::Pre(k) | Expr::Post(k) => {
                let (table, i) = match e {
                    Expr::Pre(_) => (ARG_PRE, self.pre),
                    _ => (ARG_POST, self.post),
                };
                let table = self.field(table);
                let base = self.entry(table, *k);
                let at = self.element(base, i, self.elem);
                let x = self.load_value(at);
                self.uniform(x)
            }
            Expr::Time | Expr::Dt | Expr::Constant(_) => {
                let k = match e {
                    Expr::Time => 0,
                    Expr::Dt => 1,
                    Expr::Constant(k) => 2 + *k as i32,
                    _ => unreachable!(),
                };
                let sc = self.field(ARG_SCALARS);
                let bytes = self.elem.bytes() as i32;
                let x = self.b.ins().load(self.elem, FIXED, sc, bytes * k);
                self.uniform(x)
            }
            Expr::Unary(UnOp::Neg, a) => {
                let a = self.expr(a)?;
                self.b.ins().fneg(a)
            }
            Expr::Unary(UnOp::Not, a) => {
                let a = self.expr(a)?;
                let z = self.konst(0.0);
                self.truth(FloatCC::Equal, a, z)
            }
            Expr::Binary(op, a, b) => {
                let (x, y) = (self.expr(a)?, self.expr(b)?);
                match op {
                    BinOp::Add => self.b.ins().fadd(x, y),
                    BinOp::Sub => self.b.ins().fsub(x, y),
                    BinOp::Mul => self.b.ins().fmul(x, y),
                    BinOp::Div => self.b.ins().fdiv(x, y),
                    BinOp::Pow => self.call(self.sigs.two, self.calls.pow, &[], &[x, y]),
                    BinOp::Rem => self.call(self.sigs.two, self.calls.rem, &[], &[x, y]),
                    BinOp::Lt => self.truth(FloatCC::LessThan, x, y),
                    BinOp::Gt => self.truth(FloatCC::GreaterThan, x, y),
                    BinOp::Le => self.truth(FloatCC::LessThanOrEqual, x, y),
                    BinOp::Ge => self.truth(FloatCC::GreaterThanOrEqual, x, y),
                    BinOp::Eq => self.truth(FloatCC::Equal, x, y),
                    BinOp::Ne => self.truth(FloatCC::NotEqual, x, y),
                    BinOp::And | BinOp::Or => {
                        let z = self.konst(0.0);
                        let p = self.b.ins().fcmp(FloatCC::NotEqual, x, z);
                        let q = self.b.ins().fcmp(FloatCC::NotEqual, y, z);
                        let c = if *op == BinOp::And {
                            self.b.ins().band(p, q)
                        } else {
                            self.b.ins().bor(p, q)
                        };
                        let (one, zero) = (self.konst(1.0), self.konst(0.0));
                        pick_of(&mut self.b, c, one, zero)
                    }
                }
            }
            Expr::Call(f, args) => {
                let mut v = Vec::with_capacity(3);
                for a in args.iter().take(3) {
                    v.push(self.expr(a)?);
                }
                while v.len() < 3 {
                    v.push(self.konst(0.0));
                }
                let ty = if self.vector() { ROW } else { types::F32 };
                match f {
                    // f64's `exp` is called, as the other functions.
                    Func::Exp if self.dtype == Dtype::F32 => {
                        exp_of(&mut self.b, v[0], ty, &mut Widening::plain())
                    }
                    Func::Tanh if self.dtype == Dtype::F32 => {
                        tanh_of(&mut self.b, v[0], ty, &mut Widening::plain())
                    }
                    Func::Sqrt => self.b.ins().sqrt(v[0]),
                    Func::Abs => self.b.ins().fabs(v[0]),
                    // The neuron code's: what LLVM makes of Rust's
                    // f32::min and f32::max on x86-64.
                    Func::Min => min_of(&mut self.b, v[0], v[1]),
                    Func::Max => max_of(&mut self.b, v[0], v[1]),
                    Func::Clip => {
                        let m = max_of(&mut self.b, v[0], v[1]);
                        min_of(&mut self.b, m, v[2])
                    }
                    _ => {
                        let k = FUNCS.iter().position(|g| g == f)? as i64;
                        let k = self.b.ins().iconst(types::I32, k);
                        self.call(self.sigs.func, self.calls.func, &[k], &v)
                    }
                }
            }
            Expr::Select(c, a, b) => {
                // `eval` computes all three, then picks.
                let (c, a, b) = (self.expr(c)?, self.expr(a)?, self.expr(b)?);
                let z = self.konst(0.0);
                let m = self.b.ins().fcmp(FloatCC::NotEqual, c, z);
                pick_of(&mut self.b, m, a, b)
            }
            // Vector code has no draws (`NativeEvents::compile`).
            Expr::Random { .. } if self.vector() => return None,
            Expr::Random {
                kind, stream, args, ..
            } => {
                let a = match args.first() {
                    Some(a) => self.expr(a)?,
                    None => self.konst(0.0),
                };
                let b = match args.get(1) {
                    Some(b) => self.expr(b)?,
                    None => self.konst(0.0),
                };
                let k = RANDOM.iter().position(|r| r == kind)? as i64;
                let k = self.b.ins().iconst(types::I32, k);
                let stream = self.b.ins().iconst(types::I32, i64::from(*stream));
                let (args, s) = (self.args, self.s);
                self.call(
                    self.sigs.random,
                    self.calls.random,
                    &[k, args, stream, s],
                    &[a, b],
                )
            }
            Expr::Temp(_) | Expr::Sum(_) => self.konst(f64::NAN),
        })
    }
}

impl Gen<'_> {
    /// Run code's loop: the statements for each four of the run's events
    /// `(syn[i], run.pre, post[i] + run.post_off)`, in order, and for the
    /// 1 to 3 events left after the last whole four.
    ///
    /// The last four's lanes past its events repeat the last event's
    /// indices, and add nothing to the conductance: a statement loads all
    /// four lanes before it stores any, so the repeated lanes store to
    /// the synapse what the last event's stored, and (vector code draws
    /// no random number) compute it alike.
    pub(super) fn run_loop(
        &mut self,
        stmts: &[EventStmt],
        (syn, post, run): (Value, Value, Value),
    ) -> Option<()> {
        let ptr = self.ptr;
        let n = self.b.ins().load(ptr, FIXED, run, RUN_N);
        let pre = self.b.ins().load(ptr, FIXED, run, RUN_PRE);
        let post_off = self.b.ins().load(ptr, FIXED, run, RUN_POST_OFF);
        let header = self.b.create_block();
        let body = self.b.create_block();
        let after = self.b.create_block();
        let tail = self.b.create_block();
        let exit = self.b.create_block();
        let i = self.b.append_block_param(header, ptr);
        let zero = self.b.ins().iconst(ptr, 0);
        self.b.ins().jump(header, &[zero.into()]);
        self.b.switch_to_block(header);
        // i + 4 <= n, without an overflow: 4 <= n - i (i <= n).
        let left = self.b.ins().isub(n, i);
        let four = self
            .b
            .ins()
            .icmp_imm_u(IntCC::UnsignedGreaterThanOrEqual, left, 4);
        self.b.ins().brif(four, body, &[], after, &[]);
        self.b.switch_to_block(body);
        self.run_four(stmts, (syn, post, post_off, pre), i, None)?;
        let next = self.b.ins().iadd_imm_u(i, 4);
        self.b.ins().jump(header, &[next.into()]);
        self.b.switch_to_block(after);
        self.b.ins().brif(left, tail, &[], exit, &[]);
        self.b.switch_to_block(tail);
        self.run_four(stmts, (syn, post, post_off, pre), i, Some(left))?;
        self.b.ins().jump(exit, &[]);
        self.b.switch_to_block(exit);
        Some(())
    }

    /// The statements for the four events from the run's `i`th, or for
    /// the `live` (1 to 3) from it.
    fn run_four(
        &mut self,
        stmts: &[EventStmt],
        (syn, post, post_off, pre): (Value, Value, Value, Value),
        i: Value,
        live: Option<Value>,
    ) -> Option<()> {
        let ptr = self.ptr;
        // Never written by the code: the run's indices.
        let words = MemFlagsData::new().with_notrap().with_readonly();
        let at = self.b.ins().ishl_imm_u(i, 2);
        let (syn_at, post_at) = (self.b.ins().iadd(syn, at), self.b.ins().iadd(post, at));
        // Lane l reads the run's (i + l)th indices; past `live`, the last's.
        let last = live.map(|k| {
            let one = self.b.ins().iconst(ptr, 1);
            self.b.ins().isub(k, one)
        });
        let lane = |b: &mut FunctionBuilder, base: Value, l: u8| {
            let x = match last.filter(|_| l > 0) {
                None => b.ins().load(types::I32, words, base, 4 * i32::from(l)),
                Some(last) => {
                    let l = b.ins().iconst(ptr, i64::from(l));
                    let k = b.ins().umin(l, last);
                    let k = b.ins().ishl_imm_u(k, 2);
                    let a = b.ins().iadd(base, k);
                    b.ins().load(types::I32, words, a, 0)
                }
            };
            b.ins().uextend(ptr, x)
        };
        let s: [Value; 4] = std::array::from_fn(|l| lane(&mut self.b, syn_at, l as u8));
        let q: [Value; 4] = std::array::from_fn(|l| {
            let q = lane(&mut self.b, post_at, l as u8);
            self.b.ins().iadd(q, post_off)
        });
        self.run = Some(RunLanes {
            s,
            post: q,
            pre,
            live,
        });
        // Other synapses: nothing known of them.
        self.known.clear();
        self.stmts(stmts)?;
        self.run = None;
        Some(())
    }
}

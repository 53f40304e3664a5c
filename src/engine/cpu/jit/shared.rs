//! What the two native code generators share (the neuron and learning
//! programs' loop, `super`, and the event statements' code,
//! `super::super::jit_events`): the host's code generator, a function's
//! module and its memory, selections, Rust's `min` and `max` as LLVM
//! lowers them, f32's `exp` operation for operation, and a value's bytes
//! as native code loads them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use cranelift_codegen::ir::condcodes::FloatCC;
use cranelift_codegen::ir::{
    types, AbiParam, Endianness, InstBuilder, MemFlagsData, Type, UserFuncName, Value,
};
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{default_libcall_names, Linkage, Module};

use crate::real::{Dtype, Real};

/// `x`'s bytes as the host keeps a value of precision `R` in memory
/// (where native code loads it from): the first 4 of the 8 in f32, all 8
/// in f64, and how many.
pub(in crate::engine::cpu) fn host_bytes<R: Real>(x: R) -> ([u8; 8], usize) {
    let b = x.bits();
    match R::DTYPE {
        Dtype::F32 => {
            let mut out = [0; 8];
            out[..4].copy_from_slice(&(b as u32).to_ne_bytes());
            (out, 4)
        }
        Dtype::F64 => (b.to_ne_bytes(), 8),
    }
}

/// The module that owns a function's code: freed with the last copy of the
/// function.
pub(in crate::engine::cpu) struct Code(Option<JITModule>);

impl Code {
    /// Owns `module`'s code from now on.
    pub(in crate::engine::cpu) fn new(module: JITModule) -> Code {
        Code(Some(module))
    }
}

// SAFETY: after `finalize_definitions` the module's memory is only read and
// executed; nothing in it is tied to the thread that made it.
unsafe impl Send for Code {}
unsafe impl Sync for Code {}

impl Drop for Code {
    fn drop(&mut self) {
        if let Some(m) = self.0.take() {
            // SAFETY: the entry point is only called through a `Native`,
            // which holds this `Code` alive; this is the last of them.
            unsafe { m.free_memory() };
        }
    }
}

/// Native code already made, by a description of everything it was made
/// from: an engine built again for a changed network (structural
/// plasticity edits the synapses every 100 steps in ANNarchy's notebook,
/// and the engine is rebuilt after each edit) or a second engine of the
/// same models reuses the code instead of compiling it anew. An entry
/// lasts while an engine holds its code: the entries only the cache holds
/// are dropped at the next insertion.
pub(in crate::engine::cpu) struct Made<T> {
    by_key: OnceLock<Mutex<HashMap<String, T>>>,
    code: fn(&T) -> &Arc<Code>,
}

impl<T: Clone> Made<T> {
    /// An empty cache of values whose code is `code(value)`.
    pub(in crate::engine::cpu) const fn new(code: fn(&T) -> &Arc<Code>) -> Self {
        Made {
            by_key: OnceLock::new(),
            code,
        }
    }

    /// The value made from what `key` describes: the one made before if
    /// an engine still holds it, else `make()`'s (compiled outside the
    /// lock: engines built on other threads do not wait on it).
    pub(in crate::engine::cpu) fn get_or_make(
        &self,
        key: String,
        make: impl FnOnce() -> Option<T>,
    ) -> Option<T> {
        let map = self.by_key.get_or_init(|| Mutex::new(HashMap::new()));
        let lock = || map.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(made) = lock().get(&key) {
            return Some(made.clone());
        }
        let made = make()?;
        let mut map = lock();
        let code = self.code;
        map.retain(|_, t| Arc::strong_count(code(t)) > 1);
        map.insert(key, made.clone());
        Some(made)
    }
}

/// The host's code generator, made once (`None`: no native code here).
pub(in crate::engine::cpu) fn isa() -> Option<&'static OwnedTargetIsa> {
    static ISA: OnceLock<Option<OwnedTargetIsa>> = OnceLock::new();
    ISA.get_or_init(|| make_isa("backtracking")).as_ref()
}

/// Operations of a function's body (about as many Cranelift instructions
/// each) from which it is compiled by Cranelift's single-pass register
/// allocator: the backtracking one, which makes better code, takes time
/// that grows with the square of the values live at once. A neuron of
/// coupled midpoint ODEs (every new value live until the stores at the
/// end) took it 0.17 s to compile at 1 000 equations, 3.1 s at 4 000 and
/// 24 s at 10 000; the single-pass one takes time in proportion to the
/// function.
pub(in crate::engine::cpu) const SINGLE_PASS_OPS: usize = 4_000;

/// The code generator for a function of `ops` operations: the one of
/// [`isa`], or from [`SINGLE_PASS_OPS`] on, the same with the single-pass
/// register allocator (made once). The allocator changes where values
/// are kept, not what is computed: the same bits.
pub(in crate::engine::cpu) fn isa_for(ops: usize) -> Option<&'static OwnedTargetIsa> {
    static SINGLE_PASS: OnceLock<Option<OwnedTargetIsa>> = OnceLock::new();
    match ops < SINGLE_PASS_OPS {
        true => isa(),
        false => SINGLE_PASS.get_or_init(|| make_isa("single_pass")).as_ref(),
    }
}

/// The host's code generator with the register allocator `regalloc`
/// (`None` where `CAJAL_JIT=0` or Cranelift has none for this host).
fn make_isa(regalloc: &str) -> Option<OwnedTargetIsa> {
    if std::env::var("CAJAL_JIT").is_ok_and(|v| v == "0") {
        return None;
    }
    let mut flags = settings::builder();
    flags.set("opt_level", "speed").ok()?;
    flags.set("use_colocated_libcalls", "false").ok()?;
    flags.set("is_pic", "false").ok()?;
    flags.set("regalloc_algorithm", regalloc).ok()?;
    cranelift_native::builder()
        .ok()?
        .finish(settings::Flags::new(flags))
        .ok()
}

/// Makes a function of four pointer-sized arguments and no result, named
/// `name`, whose body `body` writes (given the builder and the module, for
/// signatures and the target's configuration) with about `ops` operations
/// (see [`isa_for`]): the code that owns it, its address and what `body`
/// returned; `None` where no native code can be made here or `body`
/// declines.
pub(in crate::engine::cpu) fn four_pointer_function<T>(
    name: &str,
    ops: usize,
    body: impl FnOnce(FunctionBuilder, &JITModule) -> Option<T>,
) -> Option<(Arc<Code>, *const u8, T)> {
    let isa = isa_for(ops)?.clone();
    let mut module = JITModule::new(JITBuilder::with_isa(isa, default_libcall_names()));
    let ptr = module.target_config().pointer_type();
    let mut sig = module.make_signature();
    sig.params.extend([AbiParam::new(ptr); 4]);
    let id = module.declare_function(name, Linkage::Local, &sig).ok()?;
    let mut ctx = module.make_context();
    ctx.func.signature = sig;
    ctx.func.name = UserFuncName::user(0, id.as_u32());
    let mut fctx = FunctionBuilderContext::new();
    let out = body(FunctionBuilder::new(&mut ctx.func, &mut fctx), &module)?;
    module.define_function(id, &mut ctx).ok()?;
    module.clear_context(&mut ctx);
    module.finalize_definitions().ok()?;
    let code = module.get_finalized_function(id);
    Some((Arc::new(Code::new(module)), code, out))
}

/// `m ? x : y` for a comparison's result `m`: a select for scalars, a
/// lane-by-lane bit select for vectors (whose comparisons give masks).
pub(in crate::engine::cpu) fn pick_of(
    b: &mut FunctionBuilder,
    m: Value,
    x: Value,
    y: Value,
) -> Value {
    let ty = b.func.dfg.value_type(x);
    if ty.is_vector() {
        let little = MemFlagsData::new().with_endianness(Endianness::Little);
        let m = b.ins().bitcast(ty, little, m);
        b.ins().bitselect(m, x, y)
    } else {
        b.ins().select(m, x, y)
    }
}

/// Rust's `a.min(x)` as LLVM lowers it for SSE, scalar or lane by lane:
/// `x < a ? x : a`, and `x` where `a` is NaN. Neuron and event code both
/// use it, so both keep the interpreter's bits for NaN and signed zeros.
pub(in crate::engine::cpu) fn min_of(b: &mut FunctionBuilder, a: Value, x: Value) -> Value {
    let lt = b.ins().fcmp(FloatCC::LessThan, x, a);
    let m = pick_of(b, lt, x, a);
    let nan = b.ins().fcmp(FloatCC::Unordered, a, a);
    pick_of(b, nan, x, m)
}

/// Rust's `a.max(x)`: `x > a ? x : a`, and `x` where `a` is NaN.
pub(in crate::engine::cpu) fn max_of(b: &mut FunctionBuilder, a: Value, x: Value) -> Value {
    let gt = b.ins().fcmp(FloatCC::GreaterThan, x, a);
    let m = pick_of(b, gt, x, a);
    let nan = b.ins().fcmp(FloatCC::Unordered, a, a);
    pick_of(b, nan, x, m)
}

/// The constant `v` as a value of type `ty` (`f32`, or `f32x4` in every
/// lane).
fn f32_of(b: &mut FunctionBuilder, v: f32, ty: Type) -> Value {
    let s = b.ins().f32const(v);
    if ty.is_vector() {
        b.ins().splat(ty, s)
    } else {
        s
    }
}

/// Which of a make's f32 products, quotients and square roots (its
/// *sites*, numbered in the order the generator makes them: the same for
/// every make of one program) are computed through f64 ([`widened`]).
#[derive(Debug, Clone)]
pub(in crate::engine::cpu) enum Widen {
    /// None: the plain code.
    None,
    /// Those whose sites are true.
    Sites(Arc<[bool]>),
    /// None, but each site `k` below the census's length sets its byte
    /// `k` to 1 where an operand or the result of a lane is subnormal
    /// (the address of byte 0, and the length).
    Census(usize, usize),
}

/// A make's [`Widen`] as its generator goes, and the sites made so far.
#[derive(Debug, Clone)]
pub(in crate::engine::cpu) struct Widening {
    widen: Widen,
    sites: usize,
}

impl Widening {
    /// Sites made as `widen` says.
    pub(in crate::engine::cpu) fn new(widen: Widen) -> Self {
        Widening { widen, sites: 0 }
    }

    /// The plain code's.
    pub(in crate::engine::cpu) fn plain() -> Self {
        Self::new(Widen::None)
    }

    /// The sites made so far (all of them once the code is made).
    pub(in crate::engine::cpu) fn sites(&self) -> usize {
        self.sites
    }

    /// `op` of `args` at the next site.
    fn site(
        &mut self,
        b: &mut FunctionBuilder,
        args: &[Value],
        op: impl Fn(&mut FunctionBuilder, &[Value]) -> Value,
    ) -> Value {
        let site = self.sites;
        self.sites += 1;
        match &self.widen {
            Widen::None => op(b, args),
            Widen::Sites(wide) => match wide.get(site) {
                Some(true) => widened(b, args, op),
                _ => op(b, args),
            },
            &Widen::Census(at, len) => {
                let r = op(b, args);
                if site < len {
                    count_subnormals(b, args, r, at + site);
                }
                r
            }
        }
    }
}

/// Sets the byte at `at` to 1 where a lane of `args` or of `r` is
/// subnormal (f32 values; nothing for others).
fn count_subnormals(b: &mut FunctionBuilder, args: &[Value], r: Value, at: usize) {
    let ty = b.func.dfg.value_type(r);
    if ty != types::F32 && ty != types::F32X4 {
        return;
    }
    let smallest = f32_of(b, f32::MIN_POSITIVE, ty);
    let zero = f32_of(b, 0.0, ty);
    let mut any = None;
    for &v in args.iter().chain([&r]) {
        let a = b.ins().fabs(v);
        let below = b.ins().fcmp(FloatCC::LessThan, a, smallest);
        let nonzero = b.ins().fcmp(FloatCC::NotEqual, v, zero);
        let tiny = b.ins().band(below, nonzero);
        any = Some(match any {
            None => tiny,
            Some(t) => b.ins().bor(t, tiny),
        });
    }
    let Some(any) = any else { return };
    let any = match ty.is_vector() {
        true => b.ins().vany_true(any),
        false => any,
    };
    let ptr = Type::int_with_byte_size(std::mem::size_of::<usize>() as u16).unwrap_or(types::I64);
    let addr = b.ins().iconst(ptr, at as i64);
    let mem = MemFlagsData::new().with_notrap();
    let old = b.ins().load(types::I8, mem, addr, 0);
    let new = b.ins().bor(old, any);
    b.ins().store(mem, new, addr, 0);
}

/// `x * y`, IEEE's product: f32's through f64 where `w` says so (see
/// [`widened`]).
pub(in crate::engine::cpu) fn fmul_of(
    b: &mut FunctionBuilder,
    x: Value,
    y: Value,
    w: &mut Widening,
) -> Value {
    w.site(b, &[x, y], |b, v| b.ins().fmul(v[0], v[1]))
}

/// `x / y`, IEEE's quotient: f32's through f64 where `w` says so (see
/// [`widened`]).
pub(in crate::engine::cpu) fn fdiv_of(
    b: &mut FunctionBuilder,
    x: Value,
    y: Value,
    w: &mut Widening,
) -> Value {
    w.site(b, &[x, y], |b, v| b.ins().fdiv(v[0], v[1]))
}

/// `sqrt(x)`, IEEE's: f32's through f64 where `w` says so (see
/// [`widened`]).
pub(in crate::engine::cpu) fn sqrt_of(
    b: &mut FunctionBuilder,
    x: Value,
    w: &mut Widening,
) -> Value {
    w.site(b, &[x], |b, v| b.ins().sqrt(v[0]))
}

/// `op` of f32 operands (`f32` or `f32x4`) computed in f64 and rounded
/// once to f32 (of other operands, as it is). The same bits for a product,
/// a quotient and a square root: a product of two f32 values is exact in
/// f64, and f64's 53 bits are at least twice f32's 24 plus 2, so the
/// rounding to f64 of a quotient or a root never changes its rounding to
/// f32 (double rounding is innocuous there); NaNs keep their payloads
/// through the widening and narrowing, and x86's choice among two NaN
/// operands is the same in either width. Why: on Intel's processors an
/// f32 product, quotient or root with a subnormal operand or result takes
/// a microcode assist of some 100 cycles, and f64's of the same values
/// (all normal there) and the conversions take none (measured on a Xeon,
/// December 2026: 32 ns against 1.2 ns a vector); [`super::super::wide`]
/// runs code made so where an engine meets subnormals.
fn widened(
    b: &mut FunctionBuilder,
    args: &[Value],
    op: impl Fn(&mut FunctionBuilder, &[Value]) -> Value,
) -> Value {
    let ty = b.func.dfg.value_type(args[0]);
    match ty {
        types::F32 => {
            let w: Vec<Value> = args
                .iter()
                .map(|&a| b.ins().fpromote(types::F64, a))
                .collect();
            let r = op(b, &w);
            b.ins().fdemote(types::F32, r)
        }
        types::F32X4 => {
            let little = MemFlagsData::new().with_endianness(Endianness::Little);
            let shuffle = |b: &mut FunctionBuilder, x: Value, y: Value, mask: [u8; 16]| {
                let m = b.func.dfg.immediates.push(mask.to_vec().into());
                let (x, y) = (
                    b.ins().bitcast(types::I8X16, little, x),
                    b.ins().bitcast(types::I8X16, little, y),
                );
                let s = b.ins().shuffle(x, y, m);
                b.ins().bitcast(types::F32X4, little, s)
            };
            // Lanes 2 and 3 moved to 0 and 1 (both halves of the result).
            let high: [u8; 16] = std::array::from_fn(|i| (8 + i % 8) as u8);
            let mut halves = [Vec::new(), Vec::new()];
            for &a in args {
                halves[0].push(b.ins().fvpromote_low(a));
                let h = shuffle(b, a, a, high);
                halves[1].push(b.ins().fvpromote_low(h));
            }
            let lo = op(b, &halves[0]);
            let hi = op(b, &halves[1]);
            // Each narrowed into lanes 0 and 1 (2 and 3 zero), then the
            // low lanes of both side by side.
            let lo = b.ins().fvdemote(lo);
            let hi = b.ins().fvdemote(hi);
            let both: [u8; 16] = std::array::from_fn(|i| (i % 8 + 16 * (i / 8)) as u8);
            shuffle(b, lo, hi, both)
        }
        _ => op(b, args),
    }
}

/// [`crate::lang::ir::exp`] of `x`, of type `ty` (`f32`, or `f32x4` lane
/// by lane): the same operations in the same order, the interpreter's
/// early returns as selections.
pub(in crate::engine::cpu) fn exp_of(
    b: &mut FunctionBuilder,
    x: Value,
    ty: Type,
    w: &mut Widening,
) -> Value {
    let vector = ty.is_vector();
    let int = if vector { types::I32X4 } else { types::I32 };
    let little = MemFlagsData::new().with_endianness(Endianness::Little);
    let c = |b: &mut FunctionBuilder, v: f32| f32_of(b, v, ty);
    let (log2e, half, c1, c2, one) = (
        c(b, std::f32::consts::LOG2_E),
        c(b, 0.5),
        c(b, 0.693_359_4),
        c(b, -2.121_944_4e-4),
        c(b, 1.0),
    );
    let k = fmul_of(b, log2e, x, w);
    let k = b.ins().fadd(k, half);
    let k = b.ins().floor(k);
    let kc = fmul_of(b, k, c1, w);
    let r = b.ins().fsub(x, kc);
    let kc = fmul_of(b, k, c2, w);
    let r = b.ins().fsub(r, kc);
    let z = fmul_of(b, r, r, w);
    let mut p = c(b, 1.987_569_1e-4);
    for coef in [
        1.398_199_9e-3,
        8.333_452e-3,
        4.166_579_6e-2,
        1.666_666_5e-1,
        0.5,
    ] {
        let q = fmul_of(b, p, r, w);
        let cv = c(b, coef);
        p = b.ins().fadd(q, cv);
    }
    let y = fmul_of(b, p, z, w);
    let y = b.ins().fadd(y, r);
    let y = b.ins().fadd(y, one);
    // k in [-150, 128] where the result is used: y * 2^k1 * 2^k2, k1 = k / 2
    // rounded toward zero.
    let ki = b.ins().fcvt_to_sint_sat(int, k);
    let sign = b.ins().ushr_imm_u(ki, 31);
    let k1 = b.ins().iadd(ki, sign);
    let k1 = b.ins().sshr_imm_u(k1, 1);
    let k2 = b.ins().isub(ki, k1);
    let bias = {
        let s = b.ins().iconst(types::I32, 127);
        if vector {
            b.ins().splat(int, s)
        } else {
            s
        }
    };
    let p1 = b.ins().iadd(k1, bias);
    let p1 = b.ins().ishl_imm_u(p1, 23);
    let p2 = b.ins().iadd(k2, bias);
    let p2 = b.ins().ishl_imm_u(p2, 23);
    let p1 = b.ins().bitcast(ty, little, p1);
    let p2 = b.ins().bitcast(ty, little, p2);
    let y = fmul_of(b, y, p1, w);
    let y = fmul_of(b, y, p2, w);
    // The interpreter's early returns, in reverse so the first wins.
    let (inf, lo, hi, zero) = (
        c(b, f32::INFINITY),
        c(b, -103.972_08),
        c(b, 88.722_84),
        c(b, 0.0),
    );
    let under = b.ins().fcmp(FloatCC::LessThan, x, lo);
    let y = pick_of(b, under, zero, y);
    let over = b.ins().fcmp(FloatCC::GreaterThan, x, hi);
    let y = pick_of(b, over, inf, y);
    let nan = b.ins().fcmp(FloatCC::Unordered, x, x);
    pick_of(b, nan, x, y)
}

/// [`crate::lang::ir::tanh`] of `x`, of type `ty` (`f32`, or `f32x4` lane
/// by lane): both of its formulas with the same operations in the same
/// order, its branches as selections.
pub(in crate::engine::cpu) fn tanh_of(
    b: &mut FunctionBuilder,
    x: Value,
    ty: Type,
    w: &mut Widening,
) -> Value {
    use crate::lang::ir::{TANH_POLY, TANH_UNIT, TANH_WIDE};
    let c = |b: &mut FunctionBuilder, v: f32| f32_of(b, v, ty);
    let (zero, one) = (c(b, 0.0), c(b, 1.0));
    let a = b.ins().fabs(x);
    // |x| >= TANH_WIDE: 1 - 2 / (e^2|x| + 1), negated for x < 0.
    let twice = b.ins().fadd(a, a);
    let e = exp_of(b, twice, ty, w);
    let e1 = b.ins().fadd(e, one);
    let two = c(b, 2.0);
    let q = fdiv_of(b, two, e1, w);
    let big = b.ins().fsub(one, q);
    let minus_big = b.ins().fneg(big);
    let neg = b.ins().fcmp(FloatCC::LessThan, x, zero);
    let big = pick_of(b, neg, minus_big, big);
    // Below: the odd polynomial.
    let z = fmul_of(b, x, x, w);
    let mut p = c(b, TANH_POLY[0]);
    for &coef in &TANH_POLY[1..] {
        let pz = fmul_of(b, p, z, w);
        let k = c(b, coef);
        p = b.ins().fadd(pz, k);
    }
    let y = fmul_of(b, p, z, w);
    let y = fmul_of(b, y, x, w);
    let small = b.ins().fadd(y, x);
    // The interpreter's returns, in reverse so the first wins: +-1 past
    // TANH_UNIT, the exponential's formula from TANH_WIDE, x itself at 0
    // (-0 kept).
    let at_zero = b.ins().fcmp(FloatCC::Equal, x, zero);
    let y = pick_of(b, at_zero, x, small);
    let limit = c(b, TANH_WIDE);
    let wide = b.ins().fcmp(FloatCC::GreaterThanOrEqual, a, limit);
    let y = pick_of(b, wide, big, y);
    let minus_one = c(b, -1.0);
    let pos = b.ins().fcmp(FloatCC::GreaterThan, x, zero);
    let unit = pick_of(b, pos, one, minus_one);
    let far = c(b, TANH_UNIT);
    let past = b.ins().fcmp(FloatCC::GreaterThan, a, far);
    pick_of(b, past, unit, y)
}

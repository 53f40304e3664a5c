//! Array-at-a-time evaluation of IR expressions.
//!
//! An IR program is compiled once into a list of register operations; each
//! operation then runs over a chunk of up to [`CHUNK`] neurons (or synapses)
//! in a tight loop that the compiler vectorises. This keeps the reference
//! engine exact (the same f32 operations in the same order as the IR) and
//! fast (no per-element dispatch).

pub(super) use super::jit::Scratch as NativeScratch;
use crate::lang::ir::{BinOp, Expr, Func, RandomKind, UnOp};
use crate::random::philox;
use crate::real::{Dtype, Real};

/// Elements processed by one operation at a time.
pub const CHUNK: usize = 256;

/// 2^64: the scale of a tiny divisor's reciprocal (see `scaled_quotient`;
/// the GPU printer's twin uses the same).
pub const TINY_DIVISOR_SCALE: f32 = 18_446_744_073_709_551_616.0;

/// An operand.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Src {
    /// A register (chunk-sized scratch array).
    Reg(u16),
    /// A chunk-sized slice of a bound array.
    Arr(u16),
    /// A scalar slot (time, dt, global parameters).
    Scalar(u16),
    /// A constant (one the program's precision holds exactly).
    Const(f64),
}

/// One operation over a chunk.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// dst = a op b
    Bin(BinOp, u16, Src, Src),
    /// dst = op a
    Un(UnOp, u16, Src),
    /// dst = f(args)
    Call(Func, u16, [Src; 3]),
    /// dst = c != 0 ? a : b
    Sel(u16, Src, Src, Src),
    /// dst = a random draw; `stream` is added to the frame's object base;
    /// the flag is `Expr::Random::shared` (index 0 for every element)
    Rand(RandomKind, u32, u16, [Src; 2], bool),
    /// dst = a
    Mov(u16, Src),
    /// `array[arr] = reg` where mask (a register) is non-zero, or everywhere
    Store(u16, u16, Option<u16>),
    /// A scalar slot computed once per chunk from scalar operands (an
    /// expression of parameters, t and dt does not vary across neurons).
    Scalar(Box<Op>),
    /// `reg *= scalar` unless the scalar is 1 (a tiny divisor's scale,
    /// `scaled_quotient`: no pass at all in the usual case).
    Rescale(u16, u16),
    /// Scalar only: the reciprocal `r` and scale `s` of a uniform divisor
    /// `y` (`scaled_quotient`), one operation for the five steps
    /// `s = y * y == 0 ? 2^64 : 1`, `r = 1 / (y * s)`.
    Recip(u16, u16, Src),
}

impl Op {
    /// Appends the operands it reads to `out` (an `Op::Scalar` reads none
    /// of its own: ask the operation inside; a store's register and mask
    /// are not operands).
    pub fn operands(&self, out: &mut Vec<Src>) {
        match self {
            Op::Bin(_, _, a, b) => out.extend([*a, *b]),
            Op::Un(_, _, a) | Op::Mov(_, a) | Op::Recip(_, _, a) => out.push(*a),
            Op::Call(_, _, a) => out.extend(a.iter().copied()),
            Op::Sel(_, c, a, b) => out.extend([*c, *a, *b]),
            Op::Rescale(_, s) => out.push(Src::Scalar(*s)),
            Op::Rand(_, _, _, a, _) => out.extend(a.iter().copied()),
            Op::Scalar(_) | Op::Store(..) => {}
        }
    }

    /// Appends every value it reads to `out`: its operands, and the
    /// registers that are not (a store's value and mask, a rescale's own).
    pub fn inputs(&self, out: &mut Vec<Src>) {
        self.operands(out);
        match *self {
            Op::Rescale(r, _) | Op::Store(_, r, None) => out.push(Src::Reg(r)),
            Op::Store(_, r, Some(m)) => out.extend([Src::Reg(r), Src::Reg(m)]),
            _ => {}
        }
    }

    /// The register an element operation writes (none for a store or a
    /// scalar operation).
    pub fn dest(&self) -> Option<u16> {
        match *self {
            Op::Bin(_, d, ..)
            | Op::Un(_, d, _)
            | Op::Call(_, d, _)
            | Op::Sel(d, ..)
            | Op::Rand(_, _, d, _, _)
            | Op::Mov(d, _)
            | Op::Rescale(d, _) => Some(d),
            Op::Store(..) | Op::Scalar(_) | Op::Recip(..) => None,
        }
    }
}

/// Maps IR leaves to operands while compiling.
pub trait Binder {
    /// The operand for a leaf (Var, Sum, Pre, Post, Time, Dt); `None` if unbound.
    fn leaf(&self, e: &Expr) -> Option<Src>;
    /// Number of scalar slots the frame provides; computed scalars follow them.
    fn n_scalars(&self) -> usize;
}

/// A compiled program and its register count.
#[derive(Debug, Clone, Default)]
pub struct Program {
    /// The operations in order.
    pub ops: Vec<Op>,
    /// Registers needed.
    pub n_regs: usize,
    /// Scalar slots needed (the frame's, then computed ones).
    pub n_scalars: usize,
    /// The precision it runs in: constants are folded in it.
    pub dtype: Dtype,
    free: Vec<u16>,
    temps: Vec<Option<Src>>,
    /// By register: how many of `temps` hold it (never freed while any
    /// does), and whether it is in `free`. Looked up rather than searched:
    /// a neuron of 10 000 equations has as many temporaries.
    held: Vec<u32>,
    is_free: Vec<bool>,
}

impl Program {
    /// An empty program in f32.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty program in `dtype`.
    pub fn in_dtype(dtype: Dtype) -> Self {
        Program {
            dtype,
            ..Self::default()
        }
    }

    fn fold_un(&self, op: UnOp, x: f64) -> f64 {
        self.dtype.unop(op, x)
    }

    fn fold_bin(&self, op: BinOp, x: f64, y: f64) -> f64 {
        self.dtype.binop(op, x, y)
    }

    /// Allocates a register.
    pub fn reg(&mut self) -> u16 {
        if let Some(r) = self.free.pop() {
            self.is_free[r as usize] = false;
            return r;
        }
        self.n_regs += 1;
        self.held.push(0);
        self.is_free.push(false);
        (self.n_regs - 1) as u16
    }

    /// Whether a temporary holds register `r`.
    fn is_held(&self, r: u16) -> bool {
        self.held.get(r as usize).is_some_and(|&n| n > 0)
    }

    /// Counts `s` as held by a temporary one more (`by` = 1) or one less
    /// (`by` = -1) time, where it is a register.
    fn hold(&mut self, s: Option<Src>, by: i32) {
        if let Some(Src::Reg(r)) = s {
            if let Some(n) = self.held.get_mut(r as usize) {
                *n = n.saturating_add_signed(by);
            }
        }
    }

    // A destination is always allocated before its operands are released,
    // so an operation never reads the register it writes (the interpreter
    // moves the destination out while it computes).
    fn scalar_slot(&mut self, b: &dyn Binder) -> u16 {
        self.n_scalars = self.n_scalars.max(b.n_scalars());
        self.n_scalars += 1;
        (self.n_scalars - 1) as u16
    }

    /// `x / y` for a uniform `y` that may be tiny: `(x * r) * s` with `s`
    /// = 2^64 where `y * y` underflows to 0 (|y| < 2^-75, subnormals
    /// included), else 1, and `r = 1 / (y s)`, computed once. With `s` = 1
    /// it is `x * (1 / y)`, bit for bit; with a tiny `y` the reciprocal of
    /// `y` alone would overflow to infinity where the quotient is finite
    /// (`x / 1e-39`), and scaling by a power of two is exact.
    fn scaled_quotient(&mut self, x: Src, y: Src, b: &dyn Binder) -> Src {
        let r = self.scalar_slot(b);
        let scale = self.scalar_slot(b);
        self.ops.push(Op::Scalar(Box::new(Op::Recip(r, scale, y))));
        let d = self.reg();
        self.release(x);
        self.ops.push(Op::Bin(BinOp::Mul, d, x, Src::Scalar(r)));
        self.ops.push(Op::Rescale(d, scale));
        Src::Reg(d)
    }

    fn is_uniform(s: &Src) -> bool {
        matches!(s, Src::Scalar(_) | Src::Const(_))
    }

    fn release(&mut self, s: Src) {
        if let Src::Reg(r) = s {
            if !self.is_held(r) && !self.is_free.get(r as usize).copied().unwrap_or(true) {
                self.is_free[r as usize] = true;
                self.free.push(r);
            }
        }
    }

    /// Compiles `e`, returning where its value is. Registers of
    /// sub-expressions are recycled as soon as they are consumed.
    pub fn expr(&mut self, e: &Expr, b: &dyn Binder) -> Src {
        if let Some(s) = b.leaf(e) {
            return s;
        }
        match e {
            Expr::Const(c) => Src::Const(*c),
            Expr::Temp(t) => self
                .temps
                .get(*t as usize)
                .copied()
                .flatten()
                .unwrap_or(Src::Const(f64::NAN)),
            Expr::Unary(op, a) => {
                let a = self.expr(a, b);
                if let Src::Const(x) = a {
                    return Src::Const(self.fold_un(*op, x));
                }
                if Self::is_uniform(&a) {
                    let d = self.scalar_slot(b);
                    self.ops.push(Op::Scalar(Box::new(Op::Un(*op, d, a))));
                    return Src::Scalar(d);
                }
                let d = self.reg();
                self.release(a);
                self.ops.push(Op::Un(*op, d, a));
                Src::Reg(d)
            }
            Expr::Binary(op, x, y) => {
                let x = self.expr(x, b);
                let y = self.expr(y, b);
                if let (Src::Const(p), Src::Const(q)) = (x, y) {
                    return Src::Const(self.fold_bin(*op, p, q));
                }
                if Self::is_uniform(&x) && Self::is_uniform(&y) {
                    let d = self.scalar_slot(b);
                    self.ops.push(Op::Scalar(Box::new(Op::Bin(*op, d, x, y))));
                    return Src::Scalar(d);
                }
                // Dividing a per-neuron value by a uniform one multiplies by
                // its reciprocal, computed once: a division per neuron costs
                // several multiplications. The GPU twin does the same, so both
                // engines round alike.
                let (op, y) = match (op, y) {
                    (BinOp::Div, Src::Const(q))
                        if self.fold_bin(BinOp::Div, 1.0, q).is_finite() =>
                    {
                        (&BinOp::Mul, Src::Const(self.fold_bin(BinOp::Div, 1.0, q)))
                    }
                    (BinOp::Div, Src::Scalar(_) | Src::Const(_)) => {
                        return self.scaled_quotient(x, y, b);
                    }
                    _ => (op, y),
                };
                let d = self.reg();
                self.release(x);
                self.release(y);
                self.ops.push(Op::Bin(*op, d, x, y));
                Src::Reg(d)
            }
            Expr::Call(f, args) => {
                let mut s = [Src::Const(0.0); 3];
                for (i, a) in args.iter().enumerate().take(3) {
                    s[i] = self.expr(a, b);
                }
                if s.iter().all(Self::is_uniform) {
                    let d = self.scalar_slot(b);
                    self.ops.push(Op::Scalar(Box::new(Op::Call(*f, d, s))));
                    return Src::Scalar(d);
                }
                let d = self.reg();
                s.iter().for_each(|x| self.release(*x));
                self.ops.push(Op::Call(*f, d, s));
                Src::Reg(d)
            }
            Expr::Select(c, x, y) => {
                let c = self.expr(c, b);
                let x = self.expr(x, b);
                let y = self.expr(y, b);
                if [c, x, y].iter().all(Self::is_uniform) {
                    let d = self.scalar_slot(b);
                    self.ops.push(Op::Scalar(Box::new(Op::Sel(d, c, x, y))));
                    return Src::Scalar(d);
                }
                let d = self.reg();
                [c, x, y].iter().for_each(|s| self.release(*s));
                self.ops.push(Op::Sel(d, c, x, y));
                Src::Reg(d)
            }
            Expr::Random {
                kind,
                stream,
                args,
                shared,
            } => {
                let mut s = [Src::Const(0.0); 2];
                for (i, a) in args.iter().enumerate().take(2) {
                    s[i] = self.expr(a, b);
                }
                let d = self.reg();
                s.iter().for_each(|x| self.release(*x));
                self.ops.push(Op::Rand(*kind, *stream, d, s, *shared));
                Src::Reg(d)
            }
            // Unbound leaves are a compiler bug; NaN makes it loud in tests.
            _ => Src::Const(f64::NAN),
        }
    }

    /// Compiles `temp = e`: the value is pinned in its own register, since a
    /// later store may overwrite the array it was read from.
    pub fn let_temp(&mut self, temp: u32, e: &Expr, b: &dyn Binder) {
        let s = self.expr(e, b);
        let src = match s {
            Src::Const(_) | Src::Scalar(_) => s,
            Src::Reg(_) => s,
            Src::Arr(_) => {
                let d = self.reg();
                self.ops.push(Op::Mov(d, s));
                Src::Reg(d)
            }
        };
        let t = temp as usize;
        if self.temps.len() <= t {
            self.temps.resize(t + 1, None);
        }
        self.hold(self.temps[t], -1);
        self.temps[t] = Some(src);
        self.hold(Some(src), 1);
    }

    /// Compiles a value into a register it owns (for stores and masks).
    pub fn to_reg(&mut self, e: &Expr, b: &dyn Binder) -> u16 {
        let s = self.expr(e, b);
        match s {
            Src::Reg(r) if !self.is_held(r) => r,
            _ => {
                let d = self.reg();
                self.ops.push(Op::Mov(d, s));
                d
            }
        }
    }

    /// Compiles `array[arr] = e` (where `mask` is non-zero, if given).
    pub fn store(&mut self, arr: u16, e: &Expr, mask: Option<u16>, b: &dyn Binder) {
        let r = self.to_reg(e, b);
        self.ops.push(Op::Store(arr, r, mask));
        self.release(Src::Reg(r));
    }

    /// Keeps a register alive until the end of the program (masks).
    pub fn pin(&mut self, r: u16) {
        self.temps.push(Some(Src::Reg(r)));
        self.hold(Some(Src::Reg(r)), 1);
    }
}

/// What a program runs on: bound arrays (chunk slices), scalars and the
/// random-number key.
pub struct Frame<'a, 'b, R> {
    /// Chunk slices of the bound arrays, all of the same length.
    pub arrays: &'a mut [&'b mut [R]],
    /// Scalar slots.
    pub scalars: &'a [R],
    /// Network seed.
    pub seed: u64,
    /// Current step (for random draws).
    pub step: u32,
    /// Object id of stream 0 (for random draws).
    pub object: u32,
    /// Global index of element 0 of the chunk (for random draws).
    pub index: u32,
}

/// Runs a program over whole bound arrays (all of the same length), chunk by
/// chunk, on this thread's registers; `after(regs, offset, len)` sees each
/// chunk's registers (to collect spikes or a result). `index` is the global
/// index of element 0, for random draws.
#[allow(clippy::too_many_arguments)]
pub fn run_chunks<R: VmReal>(
    prog: &Program,
    arrays: &mut [&mut [R]],
    scalars: &[R],
    seed: u64,
    step: u32,
    object: u32,
    index: u32,
    mut after: impl FnMut(&Regs<R>, usize, usize),
) {
    Regs::with(prog.n_regs, |regs| {
        let len = arrays.first().map_or(0, |a| a.len());
        let mut off = 0;
        while off < len {
            let m = CHUNK.min(len - off);
            let mut chunk: Vec<&mut [R]> =
                arrays.iter_mut().map(|a| &mut a[off..off + m]).collect();
            let mut frame = Frame {
                arrays: &mut chunk,
                scalars,
                seed,
                step,
                object,
                index: index + off as u32,
            };
            run(prog, regs, &mut frame, m);
            after(regs, off, m);
            off += m;
        }
    })
}

/// Scratch registers of one worker, and its scalar slots.
#[derive(Default)]
pub struct Regs<R> {
    v: Vec<Vec<R>>,
    s: Vec<R>,
    scratch: Vec<R>,
}

/// A [`Real`] the interpreter runs in: each has its own registers on
/// each thread.
pub trait VmReal: Real {
    /// This thread's registers of this type.
    fn regs() -> &'static std::thread::LocalKey<std::cell::RefCell<Regs<Self>>>;
    /// This thread's scratch for native code of this type.
    fn native_scratch() -> &'static std::thread::LocalKey<std::cell::RefCell<NativeScratch<Self>>>;
}

thread_local! {
    static REGS: std::cell::RefCell<Regs<f32>> = std::cell::RefCell::new(Regs::default());
    static REGS64: std::cell::RefCell<Regs<f64>> = std::cell::RefCell::new(Regs::default());
    static NATIVE: std::cell::RefCell<NativeScratch<f32>> =
        const { std::cell::RefCell::new(NativeScratch::new()) };
    static NATIVE64: std::cell::RefCell<NativeScratch<f64>> =
        const { std::cell::RefCell::new(NativeScratch::new()) };
}

impl VmReal for f32 {
    fn regs() -> &'static std::thread::LocalKey<std::cell::RefCell<Regs<f32>>> {
        &REGS
    }
    fn native_scratch() -> &'static std::thread::LocalKey<std::cell::RefCell<NativeScratch<f32>>> {
        &NATIVE
    }
}

impl VmReal for f64 {
    fn regs() -> &'static std::thread::LocalKey<std::cell::RefCell<Regs<f64>>> {
        &REGS64
    }
    fn native_scratch() -> &'static std::thread::LocalKey<std::cell::RefCell<NativeScratch<f64>>> {
        &NATIVE64
    }
}

impl<R: VmReal> Regs<R> {
    /// Registers for a program.
    pub fn new(n: usize) -> Self {
        Regs {
            v: (0..n).map(|_| vec![R::ZERO; CHUNK]).collect(),
            s: Vec::new(),
            // Two chunks: a draw's two words, or one blend.
            scratch: vec![R::ZERO; 2 * CHUNK],
        }
    }

    /// Runs `f` with this thread's registers, grown to at least `n` (they
    /// are kept between steps to avoid an allocation per step).
    pub fn with<T>(n: usize, f: impl FnOnce(&mut Regs<R>) -> T) -> T {
        R::regs().with(|r| {
            let mut r = r.borrow_mut();
            r.scratch.resize(2 * CHUNK, R::ZERO);
            while r.v.len() < n {
                r.v.push(vec![R::ZERO; CHUNK]);
            }
            f(&mut r)
        })
    }

    /// A register's contents.
    pub fn get(&self, r: u16) -> &[R] {
        &self.v[r as usize]
    }
}

enum V<'a, R> {
    S(&'a [R]),
    C(R),
}

impl<R: Real> V<'_, R> {
    #[inline(always)]
    fn at(&self, i: usize) -> R {
        match self {
            V::S(s) => s[i],
            V::C(c) => *c,
        }
    }
}

#[inline(always)]
fn val<'a, R: Real>(
    s: Src,
    regs: &'a [Vec<R>],
    arrays: &'a [&mut [R]],
    scalars: &[R],
    n: usize,
) -> V<'a, R> {
    match s {
        Src::Reg(r) => V::S(&regs[r as usize][..n]),
        Src::Arr(a) => V::S(&arrays[a as usize][..n]),
        Src::Scalar(k) => V::C(scalars[k as usize]),
        Src::Const(c) => V::C(R::of(c)),
    }
}

#[inline(always)]
fn map2<R: Real>(d: &mut [R], a: &V<R>, b: &V<R>, f: impl Fn(R, R) -> R) {
    match (a, b) {
        (V::S(a), V::S(b)) => d
            .iter_mut()
            .zip(a.iter().zip(b.iter()))
            .for_each(|(d, (x, y))| *d = f(*x, *y)),
        (V::S(a), V::C(c)) => d.iter_mut().zip(a.iter()).for_each(|(d, x)| *d = f(*x, *c)),
        (V::C(c), V::S(b)) => d.iter_mut().zip(b.iter()).for_each(|(d, y)| *d = f(*c, *y)),
        (V::C(x), V::C(y)) => d.iter_mut().for_each(|d| *d = f(*x, *y)),
    }
}

#[inline(always)]
fn map1<R: Real>(d: &mut [R], a: &V<R>, f: impl Fn(R) -> R) {
    match a {
        V::S(a) => d.iter_mut().zip(a.iter()).for_each(|(d, x)| *d = f(*x)),
        V::C(c) => d.iter_mut().for_each(|d| *d = f(*c)),
    }
}

/// `d = c != 0 ? a : b` (NaN counts as true), without a branch: the
/// conditions are data (a random draw against a threshold, say), and a
/// branch on each mispredicts half the time.
#[inline(always)]
fn select<R: Real>(d: &mut [R], c: &V<R>, a: &V<R>, b: &V<R>) {
    let pick = R::pick;
    let V::S(cs) = c else {
        return map1(d, if c.at(0) != R::ZERO { a } else { b }, |x| x);
    };
    let conds = d.iter_mut().zip(cs.iter());
    match (a, b) {
        (V::S(a), V::S(b)) => conds
            .zip(a.iter().zip(b.iter()))
            .for_each(|((d, c), (a, b))| *d = pick(*c, *a, *b)),
        (V::S(a), V::C(y)) => conds
            .zip(a.iter())
            .for_each(|((d, c), a)| *d = pick(*c, *a, *y)),
        (V::C(x), V::S(b)) => conds
            .zip(b.iter())
            .for_each(|((d, c), b)| *d = pick(*c, *x, *b)),
        (V::C(x), V::C(y)) => conds.for_each(|(d, c)| *d = pick(*c, *x, *y)),
    }
}

/// `out = m != 0 ? s : d`, into a buffer distinct from both inputs: written
/// over one of them it would compile to a (slow) masked store.
#[inline(always)]
fn blend<R: Real>(out: &mut [R], s: &[R], d: &[R], m: &[R]) {
    for (((o, s), d), m) in out.iter_mut().zip(s).zip(d).zip(m) {
        *o = R::pick(*m, *s, *d);
    }
}

#[inline(always)]
fn bin_dispatch<R: Real>(op: BinOp, d: &mut [R], a: &V<R>, b: &V<R>) {
    let t = R::truth;
    let z = R::ZERO;
    // One monomorphised loop per operator, so each vectorises.
    match op {
        BinOp::Add => map2(d, a, b, |x, y| x + y),
        BinOp::Sub => map2(d, a, b, |x, y| x - y),
        BinOp::Mul => map2(d, a, b, |x, y| x * y),
        BinOp::Div => map2(d, a, b, |x, y| x / y),
        BinOp::Pow => map2(d, a, b, R::pow),
        BinOp::Rem => map2(d, a, b, |x, y| x % y),
        BinOp::Lt => map2(d, a, b, |x, y| t(x < y)),
        BinOp::Gt => map2(d, a, b, |x, y| t(x > y)),
        BinOp::Le => map2(d, a, b, |x, y| t(x <= y)),
        BinOp::Ge => map2(d, a, b, |x, y| t(x >= y)),
        BinOp::Eq => map2(d, a, b, |x, y| t(x == y)),
        BinOp::Ne => map2(d, a, b, |x, y| t(x != y)),
        BinOp::And => map2(d, a, b, |x, y| t(x != z && y != z)),
        BinOp::Or => map2(d, a, b, |x, y| t(x != z || y != z)),
    }
}

pub use crate::lang::ir::pow;

/// Runs a program over `n` elements (n <= CHUNK).
pub fn run<R: Real>(prog: &Program, regs: &mut Regs<R>, frame: &mut Frame<R>, n: usize) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        unsafe { run_avx2(prog, regs, frame, n) };
        return;
    }
    run_any(prog, regs, frame, n);
}

/// The same loops compiled for 8-wide vectors. Only AVX2 is enabled, not
/// FMA: Rust never fuses a multiply and an add by itself, so the results
/// are bit for bit those of the portable path.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn run_avx2<R: Real>(prog: &Program, regs: &mut Regs<R>, frame: &mut Frame<R>, n: usize) {
    run_any(prog, regs, frame, n);
}

#[inline(always)]
fn run_any<R: Real>(prog: &Program, regs: &mut Regs<R>, frame: &mut Frame<R>, n: usize) {
    let Regs {
        v: regs,
        s: sc,
        scratch,
    } = regs;
    sc.clear();
    sc.extend_from_slice(frame.scalars);
    sc.resize(prog.n_scalars.max(frame.scalars.len()), R::ZERO);
    for op in &prog.ops {
        match op {
            Op::Scalar(op) => scalar_op(op, sc),
            // Compiled only inside `Op::Scalar`.
            Op::Recip(..) => {}
            Op::Bin(o, d, a, b) => {
                let mut out = std::mem::take(&mut regs[*d as usize]);
                {
                    let a = val(*a, regs, frame.arrays, sc, n);
                    let b = val(*b, regs, frame.arrays, sc, n);
                    bin_dispatch(*o, &mut out[..n], &a, &b);
                }
                regs[*d as usize] = out;
            }
            Op::Un(o, d, a) => {
                let mut out = std::mem::take(&mut regs[*d as usize]);
                {
                    let a = val(*a, regs, frame.arrays, sc, n);
                    match o {
                        UnOp::Neg => map1(&mut out[..n], &a, |x| -x),
                        UnOp::Not => map1(&mut out[..n], &a, |x| R::truth(x == R::ZERO)),
                    }
                }
                regs[*d as usize] = out;
            }
            Op::Call(f, d, args) => {
                let mut out = std::mem::take(&mut regs[*d as usize]);
                {
                    let a = val(args[0], regs, frame.arrays, sc, n);
                    let b = val(args[1], regs, frame.arrays, sc, n);
                    let c = val(args[2], regs, frame.arrays, sc, n);
                    let o = &mut out[..n];
                    match f {
                        Func::Exp => map1(o, &a, R::exp),
                        Func::Min => map2(o, &a, &b, R::min),
                        Func::Max => map2(o, &a, &b, R::max),
                        Func::Pow => map2(o, &a, &b, R::pow),
                        Func::Log => map1(o, &a, R::ln),
                        Func::Sqrt => map1(o, &a, R::sqrt),
                        Func::Abs => map1(o, &a, R::abs),
                        Func::Tanh => map1(o, &a, R::tanh),
                        Func::Round => map1(o, &a, R::round),
                        Func::Floor => map1(o, &a, R::floor),
                        Func::Trunc => map1(o, &a, R::trunc),
                        Func::Pos => map1(o, &a, |x| x.max(R::ZERO)),
                        Func::Neg => map1(o, &a, |x| x.min(R::ZERO)),
                        f => {
                            for (i, x) in o.iter_mut().enumerate() {
                                *x = R::apply(*f, a.at(i), b.at(i), c.at(i));
                            }
                        }
                    }
                }
                regs[*d as usize] = out;
            }
            Op::Sel(d, c, a, b) => {
                let mut out = std::mem::take(&mut regs[*d as usize]);
                {
                    let c = val(*c, regs, frame.arrays, sc, n);
                    let a = val(*a, regs, frame.arrays, sc, n);
                    let b = val(*b, regs, frame.arrays, sc, n);
                    select(&mut out[..n], &c, &a, &b);
                }
                regs[*d as usize] = out;
            }
            Op::Rand(kind, stream, d, args, shared) => {
                let mut out = std::mem::take(&mut regs[*d as usize]);
                {
                    let a = val(args[0], regs, frame.arrays, sc, n);
                    let b = val(args[1], regs, frame.arrays, sc, n);
                    let object = frame.object.wrapping_add(*stream);
                    let draw = |i: usize, index: u32| {
                        random_value(
                            *kind,
                            frame.seed,
                            object,
                            frame.step,
                            index,
                            a.at(i),
                            b.at(i),
                        )
                    };
                    if !*shared {
                        // The words of all the draws first, in vector lanes
                        // (the scratch's first 2n words, whatever R's size).
                        let words: &mut [u32] = bytemuck::cast_slice_mut(&mut scratch[..]);
                        let (w0, w1) = words[..2 * n].split_at_mut(n);
                        let key = (frame.seed, object, frame.step, frame.index);
                        words_of(*kind, key, w0, w1);
                        for (i, x) in out[..n].iter_mut().enumerate() {
                            *x = R::random_from_words(*kind, w0[i], w1[i], a.at(i), b.at(i));
                        }
                    } else if args.iter().all(Program::is_uniform) {
                        // One draw for the whole chunk.
                        out[..n].fill(draw(0, 0));
                    } else {
                        for (i, x) in out[..n].iter_mut().enumerate() {
                            *x = draw(i, 0);
                        }
                    }
                }
                regs[*d as usize] = out;
            }
            Op::Rescale(d, s) => {
                let k = sc[*s as usize];
                if k != R::ONE {
                    regs[*d as usize][..n].iter_mut().for_each(|x| *x *= k);
                }
            }
            Op::Mov(d, a) => {
                let mut out = std::mem::take(&mut regs[*d as usize]);
                {
                    let a = val(*a, regs, frame.arrays, sc, n);
                    map1(&mut out[..n], &a, |x| x);
                }
                regs[*d as usize] = out;
            }
            Op::Store(arr, r, mask) => {
                let dst = &mut frame.arrays[*arr as usize][..n];
                match mask {
                    None => dst.copy_from_slice(&regs[*r as usize][..n]),
                    Some(m) => {
                        // Blend into the source register, then copy: written
                        // in place, the blend becomes a masked store, which
                        // is several times slower than two plain passes.
                        blend(
                            &mut scratch[..n],
                            &regs[*r as usize][..n],
                            dst,
                            &regs[*m as usize][..n],
                        );
                        dst.copy_from_slice(&scratch[..n]);
                    }
                }
            }
        }
    }
}

/// Which of `n` bound arrays `prog` reads (a masked store reads the array
/// it keeps where the mask is 0).
pub fn arrays_read(prog: &Program, n: usize) -> Vec<bool> {
    let mut read = vec![false; n];
    let mut srcs = Vec::new();
    for op in &prog.ops {
        op.operands(&mut srcs);
        if let Op::Store(arr, _, Some(_)) = op {
            srcs.push(Src::Arr(*arr));
        }
    }
    for s in srcs {
        if let Src::Arr(a) = s {
            if let Some(r) = read.get_mut(a as usize) {
                *r = true;
            }
        }
    }
    read
}

/// One scalar operation (the inside of an `Op::Scalar`) on the slots `sc`.
pub fn scalar_op<R: Real>(op: &Op, sc: &mut [R]) {
    let g = |s: &Src, sc: &[R]| match s {
        Src::Scalar(k) => sc[*k as usize],
        Src::Const(c) => R::of(*c),
        // Only uniform operands are compiled into scalar operations.
        Src::Reg(_) | Src::Arr(_) => R::NAN,
    };
    let (d, v) = match op {
        Op::Un(o, d, a) => (*d, R::unop(*o, g(a, sc))),
        Op::Bin(o, d, a, b) => (*d, R::binop(*o, g(a, sc), g(b, sc))),
        Op::Call(f, d, a) => (*d, R::apply(*f, g(&a[0], sc), g(&a[1], sc), g(&a[2], sc))),
        Op::Sel(d, c, a, b) => (
            *d,
            if g(c, sc) != R::ZERO {
                g(a, sc)
            } else {
                g(b, sc)
            },
        ),
        Op::Recip(r, s, y) => {
            let y = g(y, sc);
            // The same operations, in the same order, as the WGSL twin.
            let k = if y * y == R::ZERO { R::TWO_64 } else { R::ONE };
            sc[*s as usize] = k;
            (*r, R::ONE / (y * k))
        }
        _ => return,
    };
    sc[d as usize] = v;
}

/// One random draw, as the WGSL twin computes it.
pub fn random_value<R: Real>(
    kind: RandomKind,
    seed: u64,
    object: u32,
    step: u32,
    index: u32,
    a: R,
    b: R,
) -> R {
    if one_word(kind) {
        let w = philox::word(seed, object, step, index);
        return R::random_from_words(kind, w, 0, a, b);
    }
    let bits = philox::draw(seed, object, step, index);
    R::random_from_words(kind, bits[0], bits[1], a, b)
}

/// Draws of `kind` take one 32-bit word ([`philox::word`], four elements
/// a Philox call); the others take the first two words of a call of
/// their own.
fn one_word(kind: RandomKind) -> bool {
    matches!(kind, RandomKind::Uniform | RandomKind::Exponential)
}

/// The words of `kind`'s draws for the elements `index0..index0 +
/// w0.len()`: [`philox::word_run`] into `w0` for a one-word kind, else
/// [`philox::draw_run`] into both.
#[inline(always)]
fn words_of(
    kind: RandomKind,
    (seed, object, step, index0): (u64, u32, u32, u32),
    w0: &mut [u32],
    w1: &mut [u32],
) {
    if one_word(kind) {
        philox::word_run(seed, object, step, index0, w0);
    } else {
        philox::draw_run(seed, object, step, index0, w0, w1);
    }
}

/// The draws of `kind` with the same parameters `a` and `b` for the
/// elements `index0..index0 + out.len()` of `object`'s stream at `step`:
/// what `Op::Rand` gives those elements, computed as its vector loop does
/// (on x86-64 with AVX2, in eight lanes). `words` is scratch.
#[allow(clippy::too_many_arguments)]
pub fn draws<R: Real>(
    kind: RandomKind,
    seed: u64,
    object: u32,
    step: u32,
    index0: u32,
    (a, b): (R, R),
    out: &mut [R],
    words: &mut Vec<u32>,
) {
    #[inline(always)]
    fn fill<R: Real>(
        kind: RandomKind,
        key: (u64, u32, u32, u32),
        (a, b): (R, R),
        out: &mut [R],
        words: &mut Vec<u32>,
    ) {
        let n = out.len();
        // Every word is written before it is read: no clearing.
        if words.len() < 2 * n {
            words.resize(2 * n, 0);
        }
        let (w0, w1) = words[..2 * n].split_at_mut(n);
        words_of(kind, key, w0, w1);
        // One loop per kind, each free of the others' branches, so that
        // the compiler vectorises each.
        #[inline(always)]
        fn each<R: Real>(out: &mut [R], w0: &[u32], w1: &[u32], f: impl Fn(u32, u32) -> R) {
            for ((x, &u), &v) in out.iter_mut().zip(w0).zip(w1) {
                *x = f(u, v);
            }
        }
        // Each draw inlined into its loop (a call an element would keep
        // the loop from vectorising).
        macro_rules! by_kind {
            ($($k:ident),*) => {
                match kind {
                    $(RandomKind::$k => each(
                        out,
                        w0,
                        w1,
                        #[inline(always)]
                        |u, v| R::random_from_words(RandomKind::$k, u, v, a, b),
                    ),)*
                }
            };
        }
        by_kind!(Uniform, Normal, LogNormal, Exponential);
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn fill_avx2<R: Real>(
        kind: RandomKind,
        key: (u64, u32, u32, u32),
        ab: (R, R),
        out: &mut [R],
        words: &mut Vec<u32>,
    ) {
        fill(kind, key, ab, out, words);
    }
    let key = (seed, object, step, index0);
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        unsafe { fill_avx2(kind, key, (a, b), out, words) };
        return;
    }
    fill(kind, key, (a, b), out, words);
}

//! Native code for a synapse model's event statements (`pre_spike`,
//! `post_spike`): one event a call, and, where events cannot see one
//! another, four at once in a vector's lanes (four synapses of a row, or
//! any four events: [`Four`], `NativeEvents::compile`), and a spike's
//! events four at a time in one call (`Bound::run_segments`).
//!
//! Events are few a step but each runs a whole statement list on one
//! synapse, which the tree-walking `spike_propagate::eval`
//! did a node at a time: in ANNarchy's STDP notebooks that was most of the
//! step after the Poisson draws. The code computes each expression with
//! scalar operations of the network's precision in `eval`'s order (f64
//! code runs one event a call: a vector holds two f64 values, not four)
//! and calls the Rust functions
//! `eval` calls for everything else (`pow`, the functions, random draws;
//! `exp` and `tanh` are written out as `jit::exp_of` and `jit::tanh_of`), so the results are `eval`'s, bit for bit
//! (`event_code_matches_eval_bit_for_bit`).

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

use cranelift_codegen::ir::{types, AbiParam, InstBuilder, Type};
use cranelift_module::Module;

use super::jit::{four_pointer_function, isa, lane_pow, lane_rem, Code, Made};
use super::spike_propagate::EventCtx;
use crate::lang::ir::{EventStmt, Expr, Func, RandomKind};
use crate::real::{Dtype, Real};
use gen::{Gen, Sigs};

/// What the code reads, as pointers (`#[repr(C)]`: the code loads these
/// fields at fixed offsets).
#[repr(C)]
struct Args {
    /// Each synapse slot's first element.
    syn: *const *mut u8,
    /// Per slot: `usize::MAX` for a per-synapse slot, 0 for a
    /// projection-wide one (`s & mask` is the element read).
    masks: *const usize,
    /// Each `pre.x` array, each `post.x` array.
    pre: *const *const u8,
    post: *const *const u8,
    /// t, dt, then the network's constants (NaN past them, as `eval`).
    scalars: *const u8,
    /// The post-synaptic conductance (`g_target += ...`).
    g: *mut u8,
    seed: u64,
    step: u32,
    object: u32,
    /// The slot not to assign (w while learning is off), or `u32::MAX`.
    frozen: u32,
}

const ARG_SYN: i32 = std::mem::offset_of!(Args, syn) as i32;
const ARG_MASKS: i32 = std::mem::offset_of!(Args, masks) as i32;
const ARG_PRE: i32 = std::mem::offset_of!(Args, pre) as i32;
const ARG_POST: i32 = std::mem::offset_of!(Args, post) as i32;
const ARG_SCALARS: i32 = std::mem::offset_of!(Args, scalars) as i32;
const ARG_G: i32 = std::mem::offset_of!(Args, g) as i32;
const ARG_FROZEN: i32 = std::mem::offset_of!(Args, frozen) as i32;

/// `fn(args, s, pre, post)`.
type Entry = unsafe extern "C" fn(*const Args, usize, usize, usize);

/// One spike's events for [`Bound::run_segments`]: the entries of a
/// `PreCsr` segment (a range of its [`Indices`]), the spike's pre rank
/// (the row's: every synapse of the segment has it), and the offsets of
/// the spike's batch element added to pre and post ranks.
pub type Segment = (std::ops::Range<usize>, u32, (u32, u32));

/// The synapse and post indices of a `PreCsr`'s entries, with the bounds
/// of each, found once when they are made: run code's runs are checked
/// against the arrays by these bounds rather than by a pass over every
/// run's indices (that pass was 4 % of the STP notebook).
#[derive(Debug, Clone, Default)]
pub struct Indices {
    syn: Vec<u32>,
    post: Vec<u32>,
    /// One past the largest of `syn` and of `post` (0 where empty).
    ends: (usize, usize),
}

impl Indices {
    /// Entry `e` is the synapse `syn[e]` of post rank `post[e]`; panics
    /// where the two differ in length.
    pub fn new(syn: Vec<u32>, post: Vec<u32>) -> Self {
        assert_eq!(syn.len(), post.len(), "as many post ranks as synapses");
        let end = |x: &[u32]| x.iter().map(|&v| v as usize + 1).max().unwrap_or(0);
        let ends = (end(&syn), end(&post));
        Indices { syn, post, ends }
    }

    /// The synapse of each entry.
    pub fn syn(&self) -> &[u32] {
        &self.syn
    }

    /// The post rank of each entry.
    pub fn post(&self) -> &[u32] {
        &self.post
    }
}

/// A run of a spike's events for run code (`#[repr(C)]`: the code loads
/// these fields at fixed offsets): `n` events (any number: the last four
/// may hold fewer), all of pre rank `pre`, their post ranks offset by
/// `post_off`.
#[repr(C)]
struct Run {
    n: usize,
    pre: usize,
    post_off: usize,
}

const RUN_N: i32 = std::mem::offset_of!(Run, n) as i32;
const RUN_PRE: i32 = std::mem::offset_of!(Run, pre) as i32;
const RUN_POST_OFF: i32 = std::mem::offset_of!(Run, post_off) as i32;

/// A statement list compiled to native code.
#[derive(Clone)]
pub struct NativeEvents {
    entry: Entry,
    /// The precision of the values it reads and writes.
    dtype: Dtype,
    /// The same statements for four events at once, where their events
    /// cannot affect one another: see [`NativeEvents::compile`].
    four: Option<(Four, Entry, Arc<Code>)>,
    /// Beside the code for any four events, the code for a spike's run
    /// of them (`Shape::Run`).
    run: Option<(Entry, Arc<Code>)>,
    /// Scalars the code may read: t, dt and constants up to the highest
    /// one named.
    n_scalars: usize,
    adds: bool,
    /// What the statements name.
    uses: Uses,
    /// Per synapse slot: per synapse (else projection-wide).
    local: Arc<[bool]>,
    _code: Arc<Code>,
}

impl std::fmt::Debug for NativeEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NativeEvents")
    }
}

/// The arrays `Args` points into, kept as long as it is used. A bind
/// happens once per spike delivery and per post spike, often several
/// times a step: the buffers go back to a per-thread pool when their
/// `Bound` drops, so that binding allocates nothing once warm.
#[derive(Default)]
struct Kept {
    syn: Vec<*mut u8>,
    masks: Vec<usize>,
    pre: Vec<*const u8>,
    post: Vec<*const u8>,
    /// The scalars' bytes, in the network's precision.
    scalars: Vec<u8>,
}

thread_local! {
    static KEPT: std::cell::RefCell<Vec<Kept>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Drop for Bound<'_> {
    fn drop(&mut self) {
        let kept = std::mem::take(&mut self.kept);
        // A thread being torn down has no pool left: the buffers just go.
        let _ = KEPT.try_with(|p| p.borrow_mut().push(kept));
    }
}

/// [`NativeEvents`] bound to one batch of events' arrays: what
/// [`NativeEvents::bind`] returns.
pub struct Bound<'a> {
    code: &'a NativeEvents,
    args: Args,
    kept: Kept,
    /// Bounds of s, pre and post: `eval` would panic past them, so the
    /// code is never called there.
    limits: (usize, usize, usize),
    /// The bound of the synapses vector code reads (four consecutive ones
    /// or four gathered): the shortest per-synapse slot, or 0 where a
    /// projection-wide slot the code reads is empty.
    vector_limit: usize,
    _borrow: PhantomData<&'a mut u8>,
}

// The Rust functions `eval` calls, in either precision (and `pow` and `%`
// as the neuron code calls them: `lane_pow`, `lane_rem`).
extern "C" fn call_func<R: Real>(f: u32, a: R, b: R, c: R) -> R {
    R::apply(FUNCS[f as usize], a, b, c)
}
extern "C" fn call_random<R: Real>(
    kind: u32,
    args: *const Args,
    stream: u32,
    s: usize,
    a: R,
    b: R,
) -> R {
    // SAFETY: the code passes the `Args` it was called with.
    let args = unsafe { &*args };
    super::vm::random_value(
        RANDOM[kind as usize],
        args.seed,
        args.object.wrapping_add(stream),
        args.step,
        s as u32,
        a,
        b,
    )
}

const FUNCS: [Func; 25] = [
    Func::Exp,
    Func::Log,
    Func::Sqrt,
    Func::Abs,
    Func::Sin,
    Func::Cos,
    Func::Tan,
    Func::Tanh,
    Func::Asin,
    Func::Acos,
    Func::Atan,
    Func::Sinh,
    Func::Cosh,
    Func::Pos,
    Func::Neg,
    Func::Round,
    Func::Floor,
    Func::Ceil,
    Func::Trunc,
    Func::Sign,
    Func::Min,
    Func::Max,
    Func::Pow,
    Func::Modulo,
    Func::Clip,
];

const RANDOM: [RandomKind; 4] = [
    RandomKind::Uniform,
    RandomKind::Normal,
    RandomKind::LogNormal,
    RandomKind::Exponential,
];

/// The addresses of the called functions in one precision.
#[derive(Clone, Copy)]
struct Calls {
    pow: *const (),
    rem: *const (),
    func: *const (),
    random: *const (),
}

impl Calls {
    fn of(dtype: Dtype) -> Calls {
        fn of<R: Real>() -> Calls {
            Calls {
                pow: lane_pow::<R> as *const (),
                rem: lane_rem::<R> as *const (),
                func: call_func::<R> as *const (),
                random: call_random::<R> as *const (),
            }
        }
        match dtype {
            Dtype::F32 => of::<f32>(),
            Dtype::F64 => of::<f64>(),
        }
    }
}

/// What statements name: the synapse slots they read or store, and how
/// many `pre.x` and `post.x` arrays and network constants (the first ones
/// of each: their highest index plus one).
#[derive(Debug, Clone)]
struct Uses {
    /// Each slot once, in order: the only ones bound (a rule's parameters
    /// are slots too, a dozen or more, and an event names a few).
    named: Arc<[u32]>,
    pre: usize,
    post: usize,
    constants: usize,
}

impl Uses {
    fn of(stmts: &[EventStmt]) -> Uses {
        let mut named = Vec::new();
        let (mut pre, mut post, mut constants) = (0, 0, 0);
        let up = |k: u32, to: &mut usize| *to = (*to).max(k as usize + 1);
        for st in stmts {
            let e = match st {
                EventStmt::AddConductance(e) => e,
                EventStmt::Store { var, expr } => {
                    named.push(*var);
                    expr
                }
            };
            e.walk(&mut |x| match x {
                Expr::Var(v) => named.push(*v),
                Expr::Pre(k) => up(*k, &mut pre),
                Expr::Post(k) => up(*k, &mut post),
                Expr::Constant(k) => up(*k, &mut constants),
                _ => {}
            });
        }
        named.sort_unstable();
        named.dedup();
        Uses {
            named: named.into(),
            pre,
            post,
            constants,
        }
    }

    /// The synapse slots up to the last one named: the length of the
    /// tables the code indexes by slot.
    fn slots(&self) -> usize {
        self.named.last().map_or(0, |&v| v as usize + 1)
    }
}

/// Whether `e` draws a random number.
fn draws(e: &Expr) -> bool {
    let mut any = false;
    e.walk(&mut |x| any |= matches!(x, Expr::Random { .. }));
    any
}

/// Which events a statement list runs four at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Four {
    /// Four consecutive synapses of one post-synaptic row
    /// ([`Bound::run_row`]: a `post_spike` walks its neuron's row).
    Rows,
    /// Any four events, in their order ([`Bound::run_each`]: `pre_spike`
    /// deliveries).
    Events,
}

/// How many events a call of event code runs, and where they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// One: `fn(args, s, pre, post)`.
    One,
    /// Four consecutive synapses of one post-synaptic row: `fn(args, s0,
    /// pre ranks, post)`, the pre ranks a pointer to four `u32`.
    Row,
    /// Any four events: `fn(args, synapses, pre ranks, post ranks)`, each
    /// a pointer to four `usize`.
    Any,
    /// A spike's events, four at a time: `fn(args, synapses, post ranks,
    /// run)`, the synapses and post ranks pointers to `u32`, `run` to a
    /// [`Run`]. One call for the spike's events, each four's indices
    /// loaded once: four at a call cost more outside the code (the
    /// arrays of indices, their checks, the call) than half the code's
    /// own work.
    Run,
}

/// The code of `stmts` for events of `shape`, computing in `dtype` (f64
/// code is of one event: `Shape::One`).
fn build_events(
    stmts: &[EventStmt],
    local: &[bool],
    shape: Shape,
    dtype: Dtype,
) -> Option<(Arc<Code>, *const u8)> {
    let elem = match dtype {
        Dtype::F32 => types::F32,
        Dtype::F64 if shape == Shape::One => types::F64,
        Dtype::F64 => return None,
    };
    let name = match shape {
        Shape::One => "events",
        Shape::Row => "events_x4",
        Shape::Any => "events_any4",
        Shape::Run => "events_run4",
    };
    // About an operation a node (four lanes' worth for shapes of four).
    let mut nodes = 0;
    for st in stmts {
        let (EventStmt::AddConductance(e) | EventStmt::Store { expr: e, .. }) = st;
        e.walk(&mut |_| nodes += 1);
    }
    let ops = if shape == Shape::One {
        nodes
    } else {
        4 * nodes
    };
    let (code, at, ()) = four_pointer_function(name, ops, |mut b, module| {
        let target = module.target_config();
        let ptr = target.pointer_type();
        let sig_of = |params: &[Type]| {
            let mut s = module.make_signature();
            s.params.extend(params.iter().map(|&t| AbiParam::new(t)));
            s.returns.push(AbiParam::new(elem));
            s
        };
        let e = elem;
        let sigs = Sigs {
            two: b.import_signature(sig_of(&[e, e])),
            func: b.import_signature(sig_of(&[types::I32, e, e, e])),
            random: b.import_signature(sig_of(&[types::I32, ptr, types::I32, ptr, e, e])),
        };
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        let [args, s, pre, post] = b.block_params(entry)[..] else {
            return None;
        };
        let mut g = Gen {
            b,
            args,
            s,
            pre,
            post,
            ptr,
            sigs,
            shape,
            local,
            elem,
            dtype,
            calls: Calls::of(dtype),
            run: None,
            known: HashMap::new(),
        };
        if shape == Shape::Run {
            // `fn(args, synapses, post ranks, run)`.
            g.run_loop(stmts, (s, pre, post))?;
        } else {
            g.stmts(stmts)?;
        }
        g.b.ins().return_(&[]);
        g.b.seal_all_blocks();
        g.b.finalize(target);
        Some(())
    })?;
    Some((code, at))
}

impl NativeEvents {
    /// Which events it runs four at a time, if any.
    pub fn four(&self) -> Option<Four> {
        self.four.as_ref().map(|f| f.0)
    }

    /// Compiles `stmts` of a synapse model whose slot `k` is per synapse
    /// where `local[k]` (projection-wide otherwise), computing in `dtype`;
    /// `None` where no native code can be made here.
    ///
    /// Beside the code for one event, it makes code for the four events
    /// `four` names in the lanes of a vector (a `post_spike` runs a whole
    /// row: 1000 synapses in STDP II), where the lanes cannot see one
    /// another: no statement assigns a projection-wide value (the next
    /// event would read it) and none draws a random number (keyed by
    /// synapse, made one at a time); for rows, none adds to the
    /// conductance either, and any four events add theirs lane after lane,
    /// in their order. Each lane then computes what the one-event code
    /// computes, with the same IEEE operations in the same order (`exp`
    /// written out for vectors as for scalars, the other functions called
    /// lane by lane), so the bits are the same. In f64 there is only the
    /// code for one event.
    pub fn compile(
        stmts: &[EventStmt],
        local: &[bool],
        four: Four,
        dtype: Dtype,
    ) -> Option<NativeEvents> {
        static MADE: Made<NativeEvents> = Made::new(|n| &n._code);
        // The code is a function of these alone (and of the host).
        let key = format!("{stmts:?} {local:?} {four:?} {dtype:?}");
        MADE.get_or_make(key, || Self::compile_new(stmts, local, four, dtype))
    }

    fn compile_new(
        stmts: &[EventStmt],
        local: &[bool],
        four: Four,
        dtype: Dtype,
    ) -> Option<NativeEvents> {
        // `Args` is laid out for the host; the code reads it as such.
        let host = isa()?.frontend_config().pointer_type();
        if host.bytes() as usize != std::mem::size_of::<usize>() {
            return None;
        }
        let (code, at) = build_events(stmts, local, Shape::One, dtype)?;
        // Lanes that cannot see one another: no projection-wide store and
        // no draw (keyed by synapse, made one at a time).
        let independent = stmts.iter().all(|st| match st {
            EventStmt::AddConductance(e) => !draws(e),
            EventStmt::Store { var, expr } => {
                local.get(*var as usize) == Some(&true) && !draws(expr)
            }
        });
        let adds = stmts
            .iter()
            .any(|s| matches!(s, EventStmt::AddConductance(_)));
        let uses = Uses::of(stmts);
        // Vector code knows each slot it touches as per synapse or not.
        let known = uses.slots() <= local.len();
        let (shape, vectorised) = match four {
            Four::Rows => (Shape::Row, known && independent && !adds),
            Four::Events => (Shape::Any, known && independent),
        };
        let four = (vectorised && dtype == Dtype::F32)
            .then(|| build_events(stmts, local, shape, dtype))
            .flatten()
            .map(|(code, at)| {
                // SAFETY: as for `entry` below.
                (
                    four,
                    unsafe { std::mem::transmute::<*const u8, Entry>(at) },
                    code,
                )
            });
        // The same four events' code, over a spike's run of them.
        let run = matches!(four, Some((Four::Events, ..)))
            .then(|| build_events(stmts, local, Shape::Run, dtype))
            .flatten()
            // SAFETY: as for `entry` below.
            .map(|(code, at)| (unsafe { std::mem::transmute::<*const u8, Entry>(at) }, code));
        // SAFETY: the function has `Entry`'s signature (four pointer-sized
        // arguments, no result) in the host's calling convention.
        let entry = unsafe { std::mem::transmute::<*const u8, Entry>(at) };
        Some(NativeEvents {
            entry,
            dtype,
            four,
            run,
            n_scalars: 2 + uses.constants,
            adds,
            uses,
            local: local.into(),
            _code: code,
        })
    }

    /// Whether the code reads and writes values of `R` (its precision).
    pub fn runs<R: Real>(&self) -> bool {
        R::DTYPE == self.dtype
    }

    /// Binds the arrays of `c` and the conductance `g` for a batch of
    /// events; `frozen` as for `run_event`. `R` must be the code's
    /// precision ([`runs`](Self::runs)).
    pub fn bind<'a, R: Real>(
        &'a self,
        c: &'a mut EventCtx<'_, R>,
        g: &'a mut [R],
        frozen: Option<u32>,
    ) -> Bound<'a> {
        // The code reads and writes values of its own precision.
        assert!(self.runs::<R>(), "event code bound in another precision");
        // The code reads these tables at the indices its statements name.
        let uses = &self.uses;
        let slots = uses.slots();
        assert!(
            c.syn.len() >= slots && c.pre.len() >= uses.pre && c.post.len() >= uses.post,
            "event code bound to {} synapse slots, {} pre and {} post arrays, where it uses {uses:?}",
            c.syn.len(),
            c.pre.len(),
            c.post.len(),
        );
        let mut k = KEPT
            .try_with(|p| p.borrow_mut().pop())
            .ok()
            .flatten()
            .unwrap_or_default();
        // A small network binds at every step, and a projection has a
        // dozen slots or more, of which an event names a few: only those
        // are bound, each at its slot's place in the tables (indexed by
        // slot; the code reads no other place, and the others hold null).
        let mut vector_limit = usize::MAX;
        let mut n_syn = usize::MAX;
        k.masks.clear();
        k.masks.resize(slots, 0);
        k.syn.clear();
        k.syn.resize(slots, std::ptr::null_mut());
        for &i in uses.named.iter() {
            let i = i as usize;
            let a = &mut c.syn[i];
            let len = a.len();
            // A per-synapse slot bounds the vectors; a projection-wide one
            // that is not there stops them.
            let local = self.local.get(i) == Some(&true);
            let missing = !local && len == 0;
            vector_limit = vector_limit.min(match (local, missing) {
                (true, _) => len,
                (false, true) => 0,
                (false, false) => usize::MAX,
            });
            // A slot of one value is projection-wide: every synapse
            // reads its element 0.
            let shared = len == 1;
            n_syn = n_syn.min(if shared { usize::MAX } else { len });
            k.masks[i] = if shared { 0 } else { usize::MAX };
            k.syn[i] = a.as_mut_ptr().cast();
        }
        k.pre.clear();
        k.pre.extend(c.pre.iter().map(|a| a.as_ptr().cast()));
        k.post.clear();
        k.post.extend(c.post.iter().map(|a| a.as_ptr().cast()));
        let n_pre = c.pre.iter().map(|a| a.len()).min().unwrap_or(usize::MAX);
        let mut n_post = c.post.iter().map(|a| a.len()).min().unwrap_or(usize::MAX);
        if self.adds {
            n_post = n_post.min(g.len());
        }
        k.scalars.clear();
        let n = (2 + c.consts.len()).max(self.n_scalars);
        fn bytes<R: Real>(x: &[R]) -> &[u8] {
            bytemuck::cast_slice(x)
        }
        k.scalars.extend_from_slice(bytes(&[c.t, c.dt]));
        k.scalars.extend_from_slice(bytes(c.consts));
        for _ in 2 + c.consts.len()..n {
            k.scalars.extend_from_slice(bytes(&[R::NAN]));
        }
        let args = Args {
            syn: k.syn.as_ptr(),
            masks: k.masks.as_ptr(),
            pre: k.pre.as_ptr(),
            post: k.post.as_ptr(),
            scalars: k.scalars.as_ptr(),
            g: g.as_mut_ptr().cast(),
            seed: c.seed,
            step: c.step,
            object: c.object,
            frozen: frozen.unwrap_or(u32::MAX),
        };
        Bound {
            code: self,
            args,
            // The pointers in `args` are to the buffers' heap storage,
            // which moving `k` into the Bound does not move.
            kept: k,
            limits: (n_syn, n_pre, n_post),
            vector_limit,
            _borrow: PhantomData,
        }
    }
}

impl Bound<'_> {
    /// Runs the statements for synapse `s` (pre rank `pre`, post rank
    /// `post`).
    #[inline]
    pub fn run(&self, s: usize, pre: usize, post: usize) {
        let (n_syn, n_pre, n_post) = self.limits;
        assert!(
            s < n_syn && pre < n_pre && post < n_post,
            "event of synapse {s} ({pre} -> {post}) out of its arrays"
        );
        // SAFETY: the pointers in `args` are those of the arrays borrowed
        // by `bind` (in `kept`, alive as long as `self`), and the
        // indices are within every array the code reads or writes.
        unsafe { (self.code.entry)(&self.args, s, pre, post) };
    }

    /// Runs the statements for the four synapses `s0..s0 + 4` of post
    /// rank `post`'s row, whose pre ranks are `pre`, at once: what four
    /// calls of [`run`](Self::run) do, where the code runs rows four at a
    /// time ([`Four::Rows`]; panics otherwise).
    #[inline]
    pub fn run_row(&self, s0: usize, pre: &[u32; 4], post: usize) {
        let (n_syn, n_pre, n_post) = self.limits;
        let Some((Four::Rows, rows, _)) = &self.code.four else {
            panic!("no row code");
        };
        let n_syn = n_syn.min(self.vector_limit);
        assert!(
            s0 + 4 <= n_syn && pre.iter().all(|&j| (j as usize) < n_pre) && post < n_post,
            "events of synapses {s0}..{} ({pre:?} -> {post}) out of their arrays",
            s0 + 4
        );
        // SAFETY: as for `run`; the code reads four pre ranks at `pre`.
        unsafe { rows(&self.args, s0, pre.as_ptr() as usize, post) };
    }

    /// Runs the statements for each event `(synapse, pre rank, post rank)`
    /// in order: four at a time where the code runs any four events at
    /// once ([`Four::Events`]) and the four are of distinct synapses (a
    /// batch's elements share the synapse list), one by one otherwise and
    /// for the last ones. The results are those of [`run`](Self::run) on
    /// each, the conductance's sum included.
    pub fn run_each(&self, events: impl IntoIterator<Item = (usize, usize, usize)>) {
        let Some((Four::Events, any, _)) = &self.code.four else {
            events
                .into_iter()
                .for_each(|(s, pre, post)| self.run(s, pre, post));
            return;
        };
        let mut four = [(0, 0, 0); 4];
        let mut k = 0;
        for e in events {
            four[k] = e;
            k += 1;
            if k < 4 {
                continue;
            }
            k = 0;
            let s = four.map(|e| e.0);
            if (0..4).all(|i| (i + 1..4).all(|j| s[i] != s[j])) {
                self.run_four(*any, &four);
            } else {
                four.iter()
                    .for_each(|&(s, pre, post)| self.run(s, pre, post));
            }
        }
        four[..k]
            .iter()
            .for_each(|&(s, pre, post)| self.run(s, pre, post));
    }

    /// Runs the events of spikes' segments of a `PreCsr`
    /// (`super::spike_propagate::PreCsr`) whose entries are `idx`,
    /// segment after segment: entry `e` of a segment `(range, pre,
    /// (pre_off, post_off))` is the event of synapse `idx.syn()[e]`, pre
    /// rank `pre + pre_off` and post rank `idx.post()[e] + post_off`. The
    /// results are those of [`run`](Self::run) on each event in that
    /// order. A spike has a few to thousands of synapses, and the
    /// per-event costs of [`run_each`](Self::run_each) (its iterator, its
    /// check that a four's synapses differ, the indices copied for each
    /// four) were as much as the STP notebook's event code itself: a
    /// segment goes to the run code in one call, which runs its whole
    /// fours and then the one to three events left. A `PreCsr` lists each
    /// synapse once, so the events of a segment are of distinct synapses,
    /// as the lanes of a four must be.
    #[inline]
    pub fn run_segments(&self, idx: &Indices, segments: impl IntoIterator<Item = Segment>) {
        let (syn, post) = (idx.syn(), idx.post());
        let Some((run, _)) = &self.code.run else {
            for (range, pre, (pre_off, post_off)) in segments {
                for e in range {
                    let q = (post[e] + post_off) as usize;
                    self.run(syn[e] as usize, (pre + pre_off) as usize, q);
                }
            }
            return;
        };
        let (n_syn, n_pre, n_post) = self.limits;
        // Every synapse of `idx` within the arrays: checked once for all
        // runs, by the bound found when `idx` was made.
        let syn_within = idx.ends.0 <= n_syn.min(self.vector_limit);
        for (range, pre, (pre_off, post_off)) in segments {
            // Slicing checks that the range is within the entries.
            let (syn, post) = (&syn[range.clone()], &post[range]);
            if syn.is_empty() {
                continue;
            }
            debug_assert!(
                {
                    let mut s = syn.to_vec();
                    s.sort_unstable();
                    s.windows(2).all(|w| w[0] != w[1])
                },
                "a segment lists a synapse twice"
            );
            let (pre, post_off) = (pre as usize + pre_off as usize, post_off as usize);
            assert!(
                syn_within && idx.ends.1 + post_off <= n_post && pre < n_pre,
                "events of synapses {syn:?} ({pre} -> {post:?} + {post_off}) out of their arrays",
            );
            let r = Run {
                n: syn.len(),
                pre,
                post_off,
            };
            // SAFETY: as for `run`: every synapse and post rank of `idx`
            // is below its bound, checked above against the arrays, and
            // the synapses are distinct (a `PreCsr`'s segment); the code
            // reads `r.n` indices from each pointer.
            unsafe {
                run(
                    &self.args,
                    syn.as_ptr() as usize,
                    post.as_ptr() as usize,
                    &r as *const Run as usize,
                )
            };
        }
    }

    /// Four events of distinct synapses through `any`, the code for any
    /// four events; panics where one is out of the arrays.
    fn run_four(&self, any: Entry, events: &[(usize, usize, usize); 4]) {
        let s: [usize; 4] = events.map(|e| e.0);
        let pre: [usize; 4] = events.map(|e| e.1);
        let post: [usize; 4] = events.map(|e| e.2);
        let (n_syn, n_pre, n_post) = self.limits;
        let n_syn = n_syn.min(self.vector_limit);
        // Every lane checked, without a branch a lane.
        let within = (0..4).fold(true, |ok, l| {
            ok & (s[l] < n_syn) & (pre[l] < n_pre) & (post[l] < n_post)
        });
        assert!(
            within,
            "events of synapses {s:?} ({pre:?} -> {post:?}) out of their arrays"
        );
        let p = |a: &[usize; 4]| a.as_ptr() as usize;
        // SAFETY: as for `run`, with distinct synapses (checked by the
        // caller, `run_each`); the code reads four indices at each pointer.
        unsafe { any(&self.args, p(&s), p(&pre), p(&post)) };
    }
}

mod gen;
#[cfg(test)]
mod tests;

//! `spike_propagate`: delivery of the spikes of earlier steps through a
//! spiking projection (CPU twin of the GPU kernel of the same name). Work is
//! proportional to the spikes times their fan-out: only the rows of the
//! neurons that spiked `d` steps ago are visited, and only their synapses
//! whose delay is `d`.

use super::jit_events::{Indices, NativeEvents};
use super::vm::random_value;
use crate::lang::ir::{BinOp, EventStmt, Expr, UnOp};
use crate::real::Real;

/// Pre-ordered view of a projection: for each pre-synaptic neuron, its
/// synapses sorted by delay.
#[derive(Debug, Clone, Default)]
pub struct PreCsr {
    /// Row pointers over pre-synaptic ranks.
    pub ptr: Vec<u32>,
    /// Each entry's synapse index (into the post-ordered arrays), sorted
    /// by (pre, delay, post), and its post rank.
    idx: Indices,
    /// Delay of each entry of `syn`; empty where every synapse has the
    /// same delay, `first` (most projections: a million synapses' copy
    /// saved).
    delay: Vec<u32>,
    /// Where each delay's entries start in each row, from the row's
    /// start: `starts[j * span + (d - first)]`, the row's length last;
    /// empty where one delay is all there is, or where the table would
    /// outgrow the synapses (a binary search of the row then finds them).
    /// A spike's entries of one delay are looked up at every delay, by
    /// every rank of threads as ranks: two searches of the row were a
    /// fifth of the microcircuit's step.
    starts: Vec<u32>,
    /// The smallest delay of the projection.
    first: u32,
    /// Entries a row of `starts`: the delays from `first` to the
    /// largest, and the row's end.
    span: usize,
    /// The rows with synapses: a projection from a view of a population
    /// has rows for every neuron of the population.
    filled: usize,
}

impl PreCsr {
    /// Builds the view from post-ordered synapses.
    pub fn new(n_pre: usize, pre: &[u32], post: &[u32], delay: &[u32]) -> Self {
        let mut ptr = vec![0u32; n_pre + 1];
        for &p in pre {
            ptr[p as usize + 1] += 1;
        }
        for i in 0..n_pre {
            ptr[i + 1] += ptr[i];
        }
        let one_delay = delay.first().filter(|&&d0| delay.iter().all(|&d| d == d0));
        // Synapses come sorted by (post, pre): a stable counting sort by pre
        // gives (pre, post) order in linear time, each entry's post rank
        // read in order as it goes; only rows with mixed delays then need
        // sorting.
        let mut order = vec![0u32; pre.len()];
        // Rows of several delays are sorted after, and their post ranks
        // gathered then.
        let mut post_of = match one_delay {
            Some(_) => vec![0u32; pre.len()],
            None => Vec::new(),
        };
        let mut next = ptr.clone();
        for (s, (&p, &q)) in pre.iter().zip(post).enumerate() {
            let at = next[p as usize] as usize;
            order[at] = s as u32;
            if let Some(x) = post_of.get_mut(at) {
                *x = q;
            }
            next[p as usize] += 1;
        }
        let (delay, first, last) = match one_delay {
            Some(&d) => (Vec::new(), d, d),
            None => {
                for i in 0..n_pre {
                    order[ptr[i] as usize..ptr[i + 1] as usize]
                        .sort_by_key(|&s| (delay[s as usize], post[s as usize]));
                }
                post_of = order.iter().map(|&s| post[s as usize]).collect();
                let delay: Vec<u32> = order.iter().map(|&s| delay[s as usize]).collect();
                let first = delay.iter().copied().min().unwrap_or(0);
                let last = delay.iter().copied().max().unwrap_or(0);
                (delay, first, last)
            }
        };
        let span = (last - first) as usize + 2;
        let mut starts = Vec::new();
        if last > first && n_pre.saturating_mul(span) <= 4 * delay.len() + 4096 {
            starts.reserve_exact(n_pre * span);
            for j in 0..n_pre {
                let row = &delay[ptr[j] as usize..ptr[j + 1] as usize];
                let mut i = 0;
                for k in 0..span as u32 {
                    while i < row.len() && row[i] < first + k {
                        i += 1;
                    }
                    starts.push(i as u32);
                }
            }
        }
        let filled = ptr.windows(2).filter(|w| w[1] > w[0]).count();
        PreCsr {
            idx: Indices::new(order, post_of),
            delay,
            ptr,
            starts,
            first,
            span,
            filled,
        }
    }

    /// Whether a spike's row holds four synapses or more on average, as
    /// many as event code runs at once.
    pub fn long_rows(&self) -> bool {
        self.syn().len() >= 4 * self.filled
    }

    /// Each entry's synapse index (into the post-ordered arrays), sorted
    /// by (pre, delay, post).
    pub fn syn(&self) -> &[u32] {
        self.idx.syn()
    }

    /// Each entry's post rank.
    pub fn post(&self) -> &[u32] {
        self.idx.post()
    }

    /// The delay of entry `e` (of `syn`).
    pub fn delay_at(&self, e: usize) -> u32 {
        self.delay.get(e).copied().unwrap_or(self.first)
    }

    /// Per-synapse values (post-ordered) in this view's order.
    pub fn permute<R: Copy>(&self, values: &[R]) -> Vec<R> {
        self.syn().iter().map(|&s| values[s as usize]).collect()
    }

    /// The entries of row `pre` whose delay is `d`.
    pub fn segment(&self, pre: u32, d: u32) -> std::ops::Range<usize> {
        let (a, b) = (
            self.ptr[pre as usize] as usize,
            self.ptr[pre as usize + 1] as usize,
        );
        if !self.starts.is_empty() {
            let k = d.wrapping_sub(self.first) as usize;
            if k + 1 >= self.span {
                return a..a;
            }
            let at = pre as usize * self.span + k;
            return a + self.starts[at] as usize..a + self.starts[at + 1] as usize;
        }
        if self.delay.is_empty() {
            return if d == self.first { a..b } else { a..a };
        }
        let row = &self.delay[a..b];
        let lo = row.partition_point(|&x| x < d);
        let hi = row.partition_point(|&x| x <= d);
        a + lo..a + hi
    }
}

/// The sizes of one batch element: `(n_pre, n_post)`. A spike of pre rank
/// `b n_pre + i` goes through row `i` to the post ranks `b n_post + j`
/// (the whole populations when not batched, so `b` is 0).
pub type Element = (u32, u32);

/// `g[post] += w` for every synapse of the spiking neurons (default synapse).
/// `w_pre` holds the weights in the order of `csr` (see [`PreCsr::permute`]),
/// so that a row is read sequentially, or the one weight they all share.
pub fn deliver_default<R: Real>(
    csr: &PreCsr,
    spikes: &[u32],
    d: u32,
    uniform: bool,
    w_pre: &[R],
    (n_pre, n_post): Element,
    g: &mut [R],
) {
    for &k in spikes {
        let b = k / n_pre;
        let j = k - b * n_pre;
        let g = &mut g[(b * n_post) as usize..((b + 1) * n_post) as usize];
        let range = if uniform {
            csr.ptr[j as usize] as usize..csr.ptr[j as usize + 1] as usize
        } else {
            csr.segment(j, d)
        };
        // One weight shared by all synapses: no per-synapse read.
        if let [w] = *w_pre {
            for &post in &csr.post()[range] {
                g[post as usize] += w;
            }
        } else {
            for (&post, &w) in csr.post()[range.clone()].iter().zip(&w_pre[range]) {
                g[post as usize] += w;
            }
        }
    }
}

/// What an event statement can read.
pub struct EventCtx<'a, R = f32> {
    /// Per-synapse (len n) or projection-wide (len 1) slot values.
    pub syn: &'a mut [Vec<R>],
    /// Pre-synaptic arrays of each `pre.x`.
    pub pre: Vec<&'a [R]>,
    /// Post-synaptic arrays of each `post.x`.
    pub post: Vec<&'a [R]>,
    /// t and dt.
    pub t: R,
    /// Time step.
    pub dt: R,
    /// The network's constants.
    pub consts: &'a [R],
    /// Random key.
    pub seed: u64,
    /// Step for random draws.
    pub step: u32,
    /// Object of stream 0.
    pub object: u32,
}

/// Evaluates an expression of a synapse model for synapse `s` (pre rank
/// `pre`, post rank `post`).
pub(crate) fn eval<R: Real>(e: &Expr, c: &EventCtx<R>, s: usize, pre: usize, post: usize) -> R {
    let ev = |x: &Expr| eval(x, c, s, pre, post);
    match e {
        Expr::Const(v) => R::of(*v),
        Expr::Var(v) => {
            let a = &c.syn[*v as usize];
            if a.len() == 1 {
                a[0]
            } else {
                a[s]
            }
        }
        Expr::Pre(i) => c.pre[*i as usize][pre],
        Expr::Post(i) => c.post[*i as usize][post],
        Expr::Time => c.t,
        Expr::Dt => c.dt,
        Expr::Constant(k) => c.consts.get(*k as usize).copied().unwrap_or(R::NAN),
        Expr::Unary(UnOp::Neg, a) => -ev(a),
        Expr::Unary(UnOp::Not, a) => R::truth(ev(a) == R::ZERO),
        Expr::Binary(op, a, b) => R::binop(*op, ev(a), ev(b)),
        Expr::Call(f, args) => {
            // Functions take at most three arguments; no allocation per call.
            let mut v = [R::ZERO; 3];
            for (x, a) in v.iter_mut().zip(args) {
                *x = ev(a);
            }
            R::apply(*f, v[0], v[1], v[2])
        }
        Expr::Select(k, a, b) => {
            let (k, a, b) = (ev(k), ev(a), ev(b));
            if k != R::ZERO {
                a
            } else {
                b
            }
        }
        // Synapse models have no population variables: never shared.
        Expr::Random {
            kind, stream, args, ..
        } => {
            let a = args.first().map(ev).unwrap_or(R::ZERO);
            let b = args.get(1).map(ev).unwrap_or(R::ZERO);
            random_value(
                *kind,
                c.seed,
                c.object.wrapping_add(*stream),
                c.step,
                s as u32,
                a,
                b,
            )
        }
        Expr::Temp(_) | Expr::Sum(_) => R::NAN,
    }
}

/// Where [`eval_all`] evaluates: place `k` is synapse `syn.at(k)` between
/// pre rank `pre.at(k)` and post rank `post.at(k)`.
pub(crate) struct Places<'a> {
    /// The synapses (their draws and per-synapse slots).
    pub syn: Idx<'a>,
    /// The pre-synaptic ranks.
    pub pre: Idx<'a>,
    /// The post-synaptic ranks.
    pub post: Idx<'a>,
}

/// The index of each place of [`Places`]: lists only where the places'
/// indices are not one for all or consecutive (structural plasticity's
/// pairs, a row of every pre-synaptic neuron at a time: the lists of
/// their indices were built, and read, at every pair).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Idx<'a> {
    /// The same index at every place.
    One(usize),
    /// Place `k`'s index is this plus `k`.
    From(usize),
    /// Place `k`'s index is the `k`th.
    Each(&'a [usize]),
    /// Place `k`'s index is the `k`th.
    Each32(&'a [u32]),
}

impl Idx<'_> {
    fn at(self, k: usize) -> usize {
        match self {
            Idx::One(i) => i,
            Idx::From(i) => i + k,
            Idx::Each(v) => v[k],
            Idx::Each32(v) => v[k] as usize,
        }
    }
}

impl Places<'_> {
    fn at(&self, k: usize) -> (usize, usize, usize) {
        (self.syn.at(k), self.pre.at(k), self.post.at(k))
    }
}

/// [`eval`] of `e` at `n` places at once, into `out`: an operation at a
/// time over every place (where `eval` walks the tree at each), with the
/// same operations on the same values, so the same bits; a draw, or a
/// leaf `eval` does not know, is `eval` itself at each place.
pub(crate) fn eval_all<R: Real>(e: &Expr, c: &EventCtx<R>, at: &Places, n: usize) -> Vec<R> {
    let one = |x: R| vec![x; n];
    let all = |x: &Expr| eval_all(x, c, at, n);
    let gather = |v: &[R], idx: Idx| -> Vec<R> {
        match idx {
            Idx::One(i) => vec![v[i]; n],
            Idx::From(i) => v[i..i + n].to_vec(),
            Idx::Each(idx) => idx[..n].iter().map(|&i| v[i]).collect(),
            Idx::Each32(idx) => idx[..n].iter().map(|&i| v[i as usize]).collect(),
        }
    };
    match e {
        Expr::Const(v) => one(R::of(*v)),
        Expr::Var(v) => {
            let a = &c.syn[*v as usize];
            if a.len() == 1 {
                one(a[0])
            } else {
                gather(a, at.syn)
            }
        }
        Expr::Pre(i) => gather(c.pre[*i as usize], at.pre),
        Expr::Post(i) => gather(c.post[*i as usize], at.post),
        Expr::Time => one(c.t),
        Expr::Dt => one(c.dt),
        Expr::Constant(k) => one(c.consts.get(*k as usize).copied().unwrap_or(R::NAN)),
        Expr::Unary(UnOp::Neg, a) => all(a).into_iter().map(|x| -x).collect(),
        Expr::Unary(UnOp::Not, a) => all(a).into_iter().map(|x| R::truth(x == R::ZERO)).collect(),
        Expr::Binary(op, a, b) => {
            let (mut x, y) = (all(a), all(b));
            // The operation chosen once, not at every element: a loop
            // each (`binop` of a constant operation folds to it).
            #[inline(always)]
            fn each<R: Real>(x: &mut [R], y: &[R], op: BinOp) {
                x.iter_mut()
                    .zip(y)
                    .for_each(|(x, &y)| *x = R::binop(op, *x, y));
            }
            match *op {
                BinOp::Add => each(&mut x, &y, BinOp::Add),
                BinOp::Sub => each(&mut x, &y, BinOp::Sub),
                BinOp::Mul => each(&mut x, &y, BinOp::Mul),
                BinOp::Div => each(&mut x, &y, BinOp::Div),
                BinOp::Lt => each(&mut x, &y, BinOp::Lt),
                BinOp::Gt => each(&mut x, &y, BinOp::Gt),
                BinOp::Le => each(&mut x, &y, BinOp::Le),
                BinOp::Ge => each(&mut x, &y, BinOp::Ge),
                BinOp::And => each(&mut x, &y, BinOp::And),
                BinOp::Or => each(&mut x, &y, BinOp::Or),
                op => each(&mut x, &y, op),
            }
            x
        }
        Expr::Call(f, args) if args.len() <= 3 => {
            let v: Vec<Vec<R>> = args.iter().map(all).collect();
            let arg = |a: usize, k: usize| v.get(a).map_or(R::ZERO, |x| x[k]);
            (0..n)
                .map(|k| R::apply(*f, arg(0, k), arg(1, k), arg(2, k)))
                .collect()
        }
        Expr::Select(k, a, b) => {
            let (k, mut a, b) = (all(k), all(a), all(b));
            a.iter_mut()
                .zip(k.into_iter().zip(b))
                .for_each(|(a, (k, b))| {
                    if k == R::ZERO {
                        *a = b;
                    }
                });
            a
        }
        _ => (0..n)
            .map(|k| {
                let (s, pre, post) = at.at(k);
                eval(e, c, s, pre, post)
            })
            .collect(),
    }
}

/// Runs event statements for each `(synapse, pre rank, post rank)` of
/// `events`, as native code where the statements have it (bound once for
/// the batch), else through [`run_event`]; `pre_spike` deliveries and
/// `post_spike` share it.
pub(super) fn run_events<R: Real>(
    events: impl Iterator<Item = (usize, usize, usize)>,
    (stmts, native): (&[EventStmt], Option<&NativeEvents>),
    frozen: Option<u32>,
    c: &mut EventCtx<R>,
    g: &mut [R],
) {
    if let Some(code) = native.filter(|n| n.runs::<R>()) {
        return code.bind(c, g, frozen).run_each(events);
    }
    events.for_each(|(s, pre, post)| run_event(stmts, c, s, pre, post, frozen, g))
}

/// Runs event statements for synapse `s` (pre rank `pre`, post rank
/// `post`); assignments to `frozen` (w while learning is off) are skipped.
pub(super) fn run_event<R: Real>(
    stmts: &[EventStmt],
    c: &mut EventCtx<R>,
    s: usize,
    pre: usize,
    post: usize,
    frozen: Option<u32>,
    g: &mut [R],
) {
    for st in stmts {
        match st {
            EventStmt::AddConductance(x) => g[post] += eval(x, c, s, pre, post),
            EventStmt::Store { var, .. } if Some(*var) == frozen => {}
            EventStmt::Store { var, expr } => {
                let v = eval(expr, c, s, pre, post);
                let a = &mut c.syn[*var as usize];
                if a.len() == 1 {
                    a[0] = v
                } else {
                    a[s] = v
                }
            }
        }
    }
}

/// Runs the `pre_spike` statements of a synapse model for every synapse of
/// the spiking neurons (general path), in (pre, post) order; `frozen`: the
/// slot not to assign (w while learning is off); `element`: as for
/// [`deliver_default`].
#[allow(clippy::too_many_arguments)]
pub fn deliver_events<R: Real>(
    csr: &PreCsr,
    spikes: &[u32],
    d: u32,
    code: (&[EventStmt], Option<&NativeEvents>),
    pre_ranks: &[u32],
    frozen: Option<u32>,
    (n_pre, n_post): Element,
    c: &mut EventCtx<R>,
    g: &mut [R],
) {
    let (stmts, native) = code;
    let native = native.filter(|n| n.runs::<R>());
    // Segments of a few synapses (Ramp: 100 inputs onto 2 neurons) cost
    // less as one stream of events than one at a time.
    if let Some(code) = native.filter(|_| csr.long_rows()) {
        // Row j of the view holds the synapses whose pre rank is j.
        let segments = spikes.iter().map(|&k| {
            let b = k / n_pre;
            let j = k - b * n_pre;
            (csr.segment(j, d), j, (b * n_pre, b * n_post))
        });
        code.bind(c, g, frozen).run_segments(&csr.idx, segments);
        return;
    }
    let events = spikes.iter().flat_map(|&k| {
        let b = k / n_pre;
        let j = k - b * n_pre;
        csr.segment(j, d).map(move |e| {
            let s = csr.syn()[e] as usize;
            let post = (csr.post()[e] + b * n_post) as usize;
            let pre = (pre_ranks[s] + b * n_pre) as usize;
            (s, pre, post)
        })
    });
    run_events(events, (stmts, native), frozen, c, g);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The synapses from `i` with delay `d`, in the list's order (by
    /// post), found by walking the whole list.
    fn walked(pre: &[u32], delay: &[u32], i: u32, d: u32) -> Vec<u32> {
        (0..pre.len() as u32)
            .filter(|&s| pre[s as usize] == i && delay[s as usize] == d)
            .collect()
    }

    #[test]
    fn a_rows_entries_of_one_delay_are_found_by_table_and_by_search() {
        // 40 pre, 30 post neurons, about half the pairs, delays 3 to 11
        // (some absent from a row, rows empty); then the same with delays
        // spread so wide that the table would outgrow the synapses, and
        // with one delay for all.
        for spread in [9u32, 100_000, 1] {
            let (mut pre, mut post, mut delay) = (Vec::new(), Vec::new(), Vec::new());
            let mut x = 12345u32;
            for j in 0..30u32 {
                for i in 0..40u32 {
                    x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    if i % 7 != 3 && x >> 31 == 1 {
                        pre.push(i);
                        post.push(j);
                        delay.push(3 + (x >> 8) % spread);
                    }
                }
            }
            let csr = PreCsr::new(40, &pre, &post, &delay);
            assert_eq!(
                csr.starts.is_empty(),
                spread != 9,
                "the table where it fits"
            );
            for (e, &s) in csr.syn().iter().enumerate() {
                assert_eq!(csr.post()[e], post[s as usize]);
                assert_eq!(csr.delay_at(e), delay[s as usize]);
            }
            let last = *delay.iter().max().unwrap();
            let mut delays: Vec<u32> = (0..=12).collect();
            delays.extend([last - 1, last, last + 1, u32::MAX]);
            for i in 0..40 {
                for &d in &delays {
                    let found: Vec<u32> = csr.syn()[csr.segment(i, d)].to_vec();
                    assert_eq!(found, walked(&pre, &delay, i, d), "pre {i}, delay {d}");
                }
            }
        }
    }
}

#[cfg(test)]
mod eval_all_tests {
    use super::{eval, eval_all, EventCtx, Idx, Places};
    use crate::engine::cpu::hostile;
    use crate::prelude::{Network, Neuron, Synapse, Weights};
    use crate::real::Real;

    /// A condition over every node kind (comparisons, `and`, `or`, `not`,
    /// negation, a conditional, functions of one and two arguments, a
    /// draw, t, a parameter and a per-synapse variable), at places given
    /// one a place and one for all: every value is `eval`'s, bit for bit,
    /// on hostile values in both precisions.
    #[test]
    fn eval_all_is_eval_at_every_place() {
        agree::<f32>();
        agree::<f64>();
    }

    /// Each binary operation over pairs of hostile values, equal ones
    /// among them (where `<` and `<=` differ), as `eval_all` runs it (a
    /// loop an operation) against `R::binop`: it fails when a loop runs
    /// another operation.
    #[test]
    fn eval_all_runs_each_operation_as_binop() {
        each_operation::<f32>();
        each_operation::<f64>();
    }

    fn each_operation<R: Real>() {
        use crate::lang::ir::BinOp::*;
        let values = hostile::<R>();
        let n = values.len();
        // Pre value k against post value k (equal) and its neighbours.
        let pre: Vec<R> = (0..3 * n).map(|k| values[k % n]).collect();
        let post: Vec<R> = (0..3 * n).map(|k| values[(k + k / n) % n]).collect();
        let mut syn: Vec<Vec<R>> = Vec::new();
        let ctx = EventCtx {
            syn: &mut syn,
            pre: vec![&pre],
            post: vec![&post],
            t: R::ZERO,
            dt: R::ZERO,
            consts: &[],
            seed: 0,
            step: 0,
            object: 0,
        };
        let places: Vec<usize> = (0..3 * n).collect();
        let at = Places {
            syn: Idx::Each(&places),
            pre: Idx::Each(&places),
            post: Idx::From(0),
        };
        for op in [
            Add, Sub, Mul, Div, Pow, Rem, Lt, Gt, Le, Ge, Eq, Ne, And, Or,
        ] {
            use crate::lang::ir::Expr;
            let e = Expr::Binary(op, Box::new(Expr::Pre(0)), Box::new(Expr::Post(0)));
            let all = eval_all(&e, &ctx, &at, 3 * n);
            for (k, x) in all.iter().enumerate() {
                let y = R::binop(op, pre[k], post[k]);
                assert_eq!(
                    x.bits(),
                    y.bits(),
                    "{op:?} of {:?} and {:?}: {x:?}, binop {y:?}",
                    pre[k],
                    post[k]
                );
            }
        }
    }

    fn agree<R: Real>() {
        let syn = Synapse::new()
            .parameters("T = 3.0 : projection")
            .equations("age = age + 1.0")
            .pruning(
                "(age > T * fabs(pre.r - post.r) + Uniform(0.0, 1.0) and not (w < 0.0)) \
                 or (if -pre.r > exp(post.r): max(pre.r, t) else: post.r * w) > 0.5 \
                 or (pre.r / (post.r - w) <= t and pre.r >= w) or (w == T or w != 0.5) \
                 or pre.r % 2.0 - w^2 < 0.0 : proba = 0.5",
            );
        let neuron = Neuron::rate().equations("r = sum(exc)");
        let mut net = Network::new();
        let p = net.population("p", 7, &neuron).unwrap();
        net.projection(p, p, "exc")
            .synapse(&syn)
            .connect_all_to_all(Weights::constant(0.5))
            .unwrap();
        let ir = net.projs[0].ir.clone();
        let cond = &ir.pruning.as_ref().unwrap().cond;
        let values = hostile::<R>();
        let n = values.len();
        let v = |k: usize, a: usize| values[(k * (a + 3) + a) % n];
        let mut syn_vals: Vec<Vec<R>> = ir
            .vars
            .iter()
            .enumerate()
            .map(|(a, d)| match d.locality {
                crate::lang::ir::Locality::Local => (0..n).map(|k| v(k, a)).collect(),
                _ => vec![R::of(3.0)],
            })
            .collect();
        let pre: Vec<Vec<R>> = (0..ir.pre_refs.len())
            .map(|a| (0..n).map(|k| v(k, a + 5)).collect())
            .collect();
        let post: Vec<Vec<R>> = (0..ir.post_refs.len())
            .map(|a| (0..n).map(|k| v(k, a + 9)).collect())
            .collect();
        let consts = [];
        let ctx = EventCtx {
            syn: &mut syn_vals,
            pre: pre.iter().map(Vec::as_slice).collect(),
            post: post.iter().map(Vec::as_slice).collect(),
            t: R::of(2.5),
            dt: R::of(0.1),
            consts: &consts,
            seed: 11,
            step: 4,
            object: 9,
        };
        let syns: Vec<usize> = (0..n).collect();
        let pres: Vec<usize> = (0..n).map(|k| (k * 7 + 3) % n).collect();
        let pres32: Vec<u32> = pres.iter().map(|&j| j as u32).collect();
        // Every kind of index on each side.
        let sides = [
            (Idx::Each(&syns), Idx::Each(&pres), Idx::Each(&syns)),
            (Idx::From(0), Idx::Each32(&pres32), Idx::One(4)),
        ];
        for (syn, pre, post) in sides {
            let at = Places { syn, pre, post };
            let all = eval_all(cond, &ctx, &at, n);
            for (k, x) in all.iter().enumerate() {
                let i = if matches!(post, Idx::One(_)) { 4 } else { k };
                let y = eval(cond, &ctx, k, pres[k], i);
                assert_eq!(x.bits(), y.bits(), "place {k}: {x:?} against eval's {y:?}");
            }
        }
    }
}

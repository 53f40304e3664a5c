//! Connectors: the patterns that create the synapses of a projection
//! (ANNarchy's `connect_all_to_all`, `connect_fixed_probability`, ...).
//!
//! [`build`] turns a [`Connector`] and a [`ConnectSpec`] into a
//! [`SynapseList`] sorted by (post, pre), with weights and delays in steps.
//!
//! ```
//! use cajal::connect::{build, ConnectSpec, Connector, Delays, Weights};
//! use cajal::network::geometry::Geometry;
//! use cajal::random::{rng_for, Dist};
//!
//! let g = Geometry::new(&[10]).unwrap();
//! let spec = ConnectSpec {
//!     projection: "exc",
//!     pre: &g,
//!     post: &g,
//!     same_population: true,
//!     allow_self_connections: false,
//!     weights: &Weights::random(Dist::uniform(0.0, 1.0)),
//!     delays: &Delays::constant(2.0),
//!     dt: 0.5,
//!     rate_coded: false,
//!     dtype: cajal::real::Dtype::F32,
//! };
//! let syn = build(&Connector::FixedNumberPre(3), &spec, &mut rng_for(1, 0)).unwrap();
//! assert_eq!(syn.len(), 30);
//! assert!(syn.delay.iter().all(|&d| d == 4));
//! assert!((0..30).all(|i| syn.pre[i] != syn.post[i]));
//! ```

mod patterns;
pub mod procedural;
mod spatial;
#[cfg(test)]
mod tests;

use crate::error::Result;
use crate::network::geometry::Geometry;
use crate::random::Dist;
use rand::rngs::StdRng;
use rand::Rng;
use std::fmt;
use std::sync::Arc;

use patterns::{Ctx, Pattern};

/// Most synapses one connector may create (2^31): beyond, [`build`] returns an
/// error instead of exhausting memory.
pub const MAX_SYNAPSES: usize = 1 << 31;

/// Weights of a connector.
#[derive(Debug, Clone, PartialEq)]
pub enum Weights {
    /// The same weight for every synapse (kept as given; rounded to the
    /// engines' f32 when the synapses are made, an error if it does not
    /// fit).
    Constant(f64),
    /// One independent draw per synapse, in synapse order.
    Random(Dist),
}

impl Weights {
    /// The same weight `w` for every synapse.
    pub fn constant(w: impl Into<f64>) -> Self {
        Weights::Constant(w.into())
    }

    /// Weights drawn from `d`, one per synapse.
    pub fn random(d: Dist) -> Self {
        Weights::Random(d)
    }
}

impl From<f32> for Weights {
    fn from(w: f32) -> Self {
        Weights::Constant(f64::from(w))
    }
}

/// A number written as `0.5` is an `f64`: the weight is that number in
/// `f32`, as every weight is stored.
impl From<f64> for Weights {
    fn from(w: f64) -> Self {
        Weights::Constant(w)
    }
}

impl From<Dist> for Weights {
    fn from(d: Dist) -> Self {
        Weights::Random(d)
    }
}

/// The stored steps of a delay of `d = round(ms / dt)` steps (see
/// [`Delays`]): `max(1, d)` between spiking populations; for a rate-coded
/// projection 1 for `d <= 1`, else `d + 1`.
pub(crate) fn rate_or_spike_steps(d: u32, rate_coded: bool) -> u32 {
    if rate_coded && d >= 2 {
        d.saturating_add(1)
    } else {
        d.max(1)
    }
}

/// Delays of a connector in ms.
///
/// A delay becomes `max(1, round(ms / dt))` steps between spiking
/// populations: with a delay of 0 or dt, what the pre neuron emits at step
/// k reaches the post neuron at step k + 1. A rate-coded projection reads
/// the `r` its pre neurons had at the previous step, and with a delay of D
/// = `round(ms / dt)` >= 2 steps, D steps before that; a delay of one step
/// is none, as ANNarchy 5.0.4.1's (tests/data/annarchy/rate_delays): its
/// delays are stored as D + 1 steps, 1 for none or one step.
#[derive(Debug, Clone, PartialEq)]
pub enum Delays {
    /// The same delay (ms, >= 0) for every synapse.
    Constant(f64),
    /// One draw per synapse (ms); draws below one step are raised to one step.
    Random(Dist),
}

impl Delays {
    /// The same delay of `ms` milliseconds for every synapse.
    pub fn constant(ms: f64) -> Self {
        Delays::Constant(ms)
    }

    /// Delays drawn from `d` (in ms), one per synapse.
    pub fn random(d: Dist) -> Self {
        Delays::Random(d)
    }

    /// No explicit delay: `Constant(0.0)`, i.e. one step.
    pub fn none() -> Self {
        Delays::Constant(0.0)
    }
}

impl Default for Delays {
    fn default() -> Self {
        Delays::none()
    }
}

impl From<f64> for Delays {
    fn from(ms: f64) -> Self {
        Delays::Constant(ms)
    }
}

impl From<Dist> for Delays {
    fn from(d: Dist) -> Self {
        Delays::Random(d)
    }
}

/// Built synapses, sorted by (post, pre): the coordinate list the engines turn into CSR.
///
/// The four vectors have one entry per synapse; no (post, pre) pair repeats.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SynapseList {
    /// Post-synaptic rank.
    pub post: Vec<u32>,
    /// Pre-synaptic rank.
    pub pre: Vec<u32>,
    /// Weight, in the network's precision.
    pub w: crate::real::Reals,
    /// Delay in steps, at least 1.
    pub delay: Vec<u32>,
}

impl SynapseList {
    /// A stable counting sort of the synapses into `rows` rows by
    /// `key(j)` (`< rows`): the row pointers, and for each position the
    /// value `value(j)` and the synapse `j`. Stable, so a row keeps the
    /// list's (post, pre) order: the engines' CSRs by (delay, pre) and
    /// by (post, delay) are both made this way.
    pub(crate) fn rows_by(
        &self,
        rows: usize,
        key: impl Fn(usize) -> usize,
        value: impl Fn(usize) -> u32,
    ) -> (Vec<u32>, Vec<u32>, Vec<u32>) {
        let nsyn = self.post.len();
        let keys: Vec<usize> = (0..nsyn).map(key).collect();
        let mut ptr = vec![0u32; rows + 1];
        for &k in &keys {
            ptr[k + 1] += 1;
        }
        for i in 0..rows {
            ptr[i + 1] += ptr[i];
        }
        let mut next = ptr.clone();
        let mut vals = vec![0u32; nsyn];
        let mut sid = vec![0u32; nsyn];
        for (j, &k) in keys.iter().enumerate() {
            let at = next[k] as usize;
            next[k] += 1;
            vals[at] = value(j);
            sid[at] = j as u32;
        }
        (ptr, vals, sid)
    }

    /// Row pointers of the synapses by post rank (they are sorted by post):
    /// post `i`'s synapses are `ptr[i]..ptr[i + 1]`.
    pub fn post_row_ptr(&self, n_post: usize) -> Vec<u32> {
        let mut ptr = vec![0u32; n_post + 1];
        for &p in &self.post {
            ptr[p as usize + 1] += 1;
        }
        for i in 0..n_post {
            ptr[i + 1] += ptr[i];
        }
        ptr
    }

    /// Number of synapses.
    pub fn len(&self) -> usize {
        self.post.len()
    }

    /// Whether there is no synapse.
    pub fn is_empty(&self) -> bool {
        self.post.is_empty()
    }

    /// Keeps the synapses for which `keep(post, pre)` holds, in order,
    /// moving them up in place.
    pub(crate) fn retain(&mut self, keep: impl Fn(u32, u32) -> bool) {
        fn close_up<T: Copy>(
            post: &mut Vec<u32>,
            pre: &mut Vec<u32>,
            delay: &mut Vec<u32>,
            w: &mut Vec<T>,
            keep: impl Fn(u32, u32) -> bool,
        ) {
            let mut kept = 0;
            for i in 0..post.len() {
                let (j, k) = (post[i], pre[i]);
                if keep(j, k) {
                    post[kept] = j;
                    pre[kept] = k;
                    delay[kept] = delay[i];
                    w[kept] = w[i];
                    kept += 1;
                }
            }
            post.truncate(kept);
            pre.truncate(kept);
            delay.truncate(kept);
            w.truncate(kept);
        }
        let (post, pre, delay) = (&mut self.post, &mut self.pre, &mut self.delay);
        match &mut self.w {
            crate::real::Reals::F32(w) => close_up(post, pre, delay, w, keep),
            crate::real::Reals::F64(w) => close_up(post, pre, delay, w, keep),
        }
    }

    /// Maps synapses built between views (indices into the views) to the
    /// populations' ranks, drops neuron-to-itself synapses if asked, and
    /// restores the (post, pre) order.
    pub fn on_views(self, pre: Option<&[u32]>, post: Option<&[u32]>, drop_self: bool) -> Self {
        // In place: a million synapses between views map their indices.
        let map = |mut v: Vec<u32>, ranks: Option<&[u32]>| -> Vec<u32> {
            if let Some(r) = ranks {
                v.iter_mut().for_each(|i| *i = r[*i as usize]);
            }
            v
        };
        let post_r = map(self.post, post);
        let pre_r = map(self.pre, pre);
        // Views in increasing rank order keep the (post, pre) order: then
        // the list is the mapped one as it is (what the stable sort below
        // would give), without sorting a million indices.
        let in_order =
            (1..post_r.len()).all(|k| (post_r[k - 1], pre_r[k - 1]) <= (post_r[k], pre_r[k]));
        let selfs = drop_self && post_r.iter().zip(&pre_r).any(|(i, j)| i == j);
        if in_order && !selfs {
            return SynapseList {
                post: post_r,
                pre: pre_r,
                w: self.w,
                delay: self.delay,
            };
        }
        if in_order {
            // Only the neuron-to-itself synapses go: the others close up
            // in place, in order (a view's all-to-all onto its population
            // drops one synapse a row of a million).
            let mut list = SynapseList {
                post: post_r,
                pre: pre_r,
                w: self.w,
                delay: self.delay,
            };
            list.retain(|post, pre| post != pre);
            return list;
        }
        let mut order: Vec<usize> = (0..post_r.len())
            .filter(|&i| !(drop_self && post_r[i] == pre_r[i]))
            .collect();
        order.sort_by_key(|&i| (post_r[i], pre_r[i]));
        SynapseList {
            post: order.iter().map(|&i| post_r[i]).collect(),
            pre: order.iter().map(|&i| pre_r[i]).collect(),
            w: self.w.pick(order.iter().copied()),
            delay: order.iter().map(|&i| self.delay[i]).collect(),
        }
    }
}

/// A list-in-list (LIL) returned by user connector functions: for each entry
/// `i`, post rank `post[i]` receives from `pre[i][j]` with weight `w[i][j]`
/// and delay `delay[i][j]` ms (or the projection's delays when `delay` is `None`).
///
/// A post rank may appear in several entries as long as no (post, pre) pair repeats.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lil {
    /// Post-synaptic ranks.
    pub post: Vec<u32>,
    /// For each post entry, its pre-synaptic ranks.
    pub pre: Vec<Vec<u32>>,
    /// For each post entry, one weight per pre rank.
    pub w: Vec<Vec<f32>>,
    /// For each post entry, one delay (ms) per pre rank.
    pub delay: Option<Vec<Vec<f64>>>,
}

impl Lil {
    /// An empty list, to fill with [`add`](Self::add).
    pub fn new() -> Self {
        Lil::default()
    }

    /// Adds the synapses of post rank `post` (ANNarchy's
    /// `LILConnectivity.add`): from `pre[j]` with weight `w[j]`, and delay
    /// `delay[j]` ms if given (then every entry must give delays). Lengths
    /// are checked when the projection is built.
    ///
    /// ```
    /// use cajal::connect::Lil;
    /// // Post k receives from pre 0..=k: the diagonal pattern of ANNarchy's hybrid example.
    /// let mut lil = Lil::new();
    /// for k in 0..3u32 {
    ///     lil.add(k, (0..=k).collect(), vec![1.0; k as usize + 1], None);
    /// }
    /// assert_eq!(lil.pre[2], vec![0, 1, 2]);
    /// ```
    pub fn add(&mut self, post: u32, pre: Vec<u32>, w: Vec<f32>, delay: Option<Vec<f64>>) {
        self.post.push(post);
        self.pre.push(pre);
        self.w.push(w);
        if let Some(d) = delay {
            self.delay.get_or_insert_with(Vec::new).push(d);
        }
    }
}

/// A user connector function: `(pre, post, rng) -> Lil`.
pub type ConnectFn = dyn Fn(&Geometry, &Geometry, &mut StdRng) -> Lil + Send + Sync;

/// A connection pattern.
///
/// Unless told otherwise, weights come from [`ConnectSpec::weights`] and delays
/// from [`ConnectSpec::delays`]. Patterns marked "no self" leave out i -> i when
/// pre and post are the same population, unless self connections are allowed.
#[derive(Clone)]
pub enum Connector {
    /// Every pre to every post (no self).
    AllToAll,
    /// Pre i to post i; both populations must have the same size.
    OneToOne,
    /// Each (pre, post) pair independently with this probability (no self).
    FixedProbability(f64),
    /// Each post receives from exactly this many distinct pre, chosen at random (no self).
    FixedNumberPre(usize),
    /// Each pre sends to exactly this many distinct post, chosen at random (no self).
    FixedNumberPost(usize),
    /// A dense `[post, pre]` weight matrix: NaN means no synapse, 0 is a synapse
    /// of weight 0. The weights come from the matrix.
    FromMatrix(ndarray::Array2<f32>),
    /// Coordinate (COO) triplets, in any order; weights given, delays (ms) given
    /// or else from the spec.
    FromSparse {
        /// Post ranks.
        post: Vec<u32>,
        /// Pre ranks.
        pre: Vec<u32>,
        /// Weights (rounded to the network's precision).
        w: Vec<f64>,
        /// Delays in ms, one per synapse.
        delay: Option<Vec<f64>>,
    },
    /// A user function returning a [`Lil`]; see [`Connector::with_func`].
    WithFunc(Arc<ConnectFn>),
    /// A Gaussian profile over normalised positions (no self); weights from the
    /// formula given in [`build`].
    Gaussian {
        /// Amplitude.
        amp: f32,
        /// Width, in normalised units (> 0).
        sigma: f64,
        /// Synapses with |w| <= limit * |amp| are not created.
        limit: f64,
    },
    /// A difference of Gaussians (no self); weights from the formula given in [`build`].
    Dog {
        /// Amplitude of the positive Gaussian.
        amp_pos: f32,
        /// Width of the positive Gaussian (> 0).
        sigma_pos: f64,
        /// Amplitude of the negative Gaussian.
        amp_neg: f32,
        /// Width of the negative Gaussian (> 0).
        sigma_neg: f64,
        /// Synapses with |w| <= limit * |amp_pos - amp_neg| are not created.
        limit: f64,
    },
}

impl Connector {
    /// A connector from a user function `(pre, post, rng) -> Lil`.
    ///
    /// ```
    /// use cajal::connect::{Connector, Lil};
    /// // Each post i receives from pre i and i + 1 (when it exists).
    /// let c = Connector::with_func(|pre, post, _rng| {
    ///     let mut lil = Lil::default();
    ///     for i in 0..post.size() as u32 {
    ///         let pres: Vec<u32> = (i..(i + 2).min(pre.size() as u32)).collect();
    ///         lil.w.push(vec![1.0; pres.len()]);
    ///         lil.pre.push(pres);
    ///         lil.post.push(i);
    ///     }
    ///     lil
    /// });
    /// assert_eq!(c.name(), "with_func");
    /// ```
    pub fn with_func<F>(f: F) -> Self
    where
        F: Fn(&Geometry, &Geometry, &mut StdRng) -> Lil + Send + Sync + 'static,
    {
        Connector::WithFunc(Arc::new(f))
    }

    /// The ANNarchy-style name of the pattern (`all_to_all`, `gaussian`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Connector::AllToAll => "all_to_all",
            Connector::OneToOne => "one_to_one",
            Connector::FixedProbability(_) => "fixed_probability",
            Connector::FixedNumberPre(_) => "fixed_number_pre",
            Connector::FixedNumberPost(_) => "fixed_number_post",
            Connector::FromMatrix(_) => "from_matrix",
            Connector::FromSparse { .. } => "from_sparse",
            Connector::WithFunc(_) => "with_func",
            Connector::Gaussian { .. } => "gaussian",
            Connector::Dog { .. } => "dog",
        }
    }
}

impl fmt::Debug for Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Connector::AllToAll => f.write_str("AllToAll"),
            Connector::OneToOne => f.write_str("OneToOne"),
            Connector::FixedProbability(p) => f.debug_tuple("FixedProbability").field(p).finish(),
            Connector::FixedNumberPre(n) => f.debug_tuple("FixedNumberPre").field(n).finish(),
            Connector::FixedNumberPost(n) => f.debug_tuple("FixedNumberPost").field(n).finish(),
            Connector::FromMatrix(m) => write!(f, "FromMatrix({:?})", m.dim()),
            Connector::FromSparse { post, delay, .. } => write!(
                f,
                "FromSparse {{ {} synapses, delays: {} }}",
                post.len(),
                if delay.is_some() { "given" } else { "spec" }
            ),
            Connector::WithFunc(_) => f.write_str("WithFunc(..)"),
            Connector::Gaussian { amp, sigma, limit } => f
                .debug_struct("Gaussian")
                .field("amp", amp)
                .field("sigma", sigma)
                .field("limit", limit)
                .finish(),
            Connector::Dog {
                amp_pos,
                sigma_pos,
                amp_neg,
                sigma_neg,
                limit,
            } => f
                .debug_struct("Dog")
                .field("amp_pos", amp_pos)
                .field("sigma_pos", sigma_pos)
                .field("amp_neg", amp_neg)
                .field("sigma_neg", sigma_neg)
                .field("limit", limit)
                .finish(),
        }
    }
}

/// Everything a connector needs to know about its projection.
#[derive(Debug, Clone, Copy)]
pub struct ConnectSpec<'a> {
    /// Name of the projection, for error messages.
    pub projection: &'a str,
    /// Geometry of the pre-synaptic population.
    pub pre: &'a Geometry,
    /// Geometry of the post-synaptic population.
    pub post: &'a Geometry,
    /// Whether pre and post are the same population (only then is i -> i a self connection).
    pub same_population: bool,
    /// Keep i -> i synapses when `same_population` (ANNarchy's default: false).
    pub allow_self_connections: bool,
    /// Weights, for the connectors that do not compute their own.
    pub weights: &'a Weights,
    /// Delays in ms, for the synapses whose delays the connector does not give.
    pub delays: &'a Delays,
    /// Simulation step in ms, to turn delays into steps.
    pub dt: f64,
    /// A rate-coded projection: delays of D >= 2 steps are stored as D + 1,
    /// the others as 1 (see [`Delays`]).
    pub rate_coded: bool,
    /// The network's precision: the weights' type (a drawn or computed
    /// weight that does not fit f32 is an error in an f32 network).
    pub dtype: crate::real::Dtype,
}

/// Builds the synapses of `connector` for the projection described by `spec`,
/// drawing every random number from `rng` (same seed, same synapses).
///
/// Errors (never panics) on invalid arguments, naming the projection: a
/// probability outside [0, 1], more synapses asked than exist, shapes that do
/// not fit, ranks out of range, duplicate pairs, negative or non-finite delays,
/// invalid distributions, or more than [`MAX_SYNAPSES`] synapses.
///
/// Gaussian and DoG connectors follow ANNarchy: pre and post must have the
/// same number of dimensions; coordinate `c` along a dimension of size `n` is
/// normalised to `x = c / (n - 1)` (0 when `n == 1`), for pre and post alike,
/// so both populations span [0, 1] in every dimension; with
/// `d2 = sum_k (x_pre_k - x_post_k)^2`, the weight is
/// `amp * exp(-d2 / (2 sigma^2))` (Gaussian) or
/// `amp_pos * exp(-d2 / (2 sigma_pos^2)) - amp_neg * exp(-d2 / (2 sigma_neg^2))` (DoG),
/// computed in f64 then rounded to f32, and a synapse exists only where
/// `|w| > limit * |amp|` (Gaussian) or `|w| > limit * |amp_pos - amp_neg|` (DoG).
/// `spec.weights` is ignored by Gaussian, DoG, FromMatrix, FromSparse and WithFunc.
pub fn build(connector: &Connector, spec: &ConnectSpec, rng: &mut StdRng) -> Result<SynapseList> {
    Ok(build_rows(connector, spec, rng, None)?.0)
}

/// Which post-synaptic neurons (ranks of the connector's post side) a
/// build keeps the synapses of.
pub(crate) type Rows<'a> = Option<&'a (dyn Fn(usize) -> bool + Sync)>;

/// [`build`], keeping the synapses onto the post-synaptic neurons `rows`
/// keeps (all with `None`), and the number of synapses onto each
/// post-synaptic neuron of the whole projection.
///
/// Every post-synaptic neuron's synapses, weights and delays are drawn
/// from generators of its own, keyed by the neuron and a key drawn from
/// `rng`: the fixed-probability, fixed-number-pre, all-to-all and
/// one-to-one connectors draw only the neurons `rows` keeps (and the
/// number of synapses of the others, without their synapses), so that one
/// rank of a distributed run draws its part, the part one process draws.
/// The other connectors make the whole list, then keep the rows.
pub(crate) fn build_rows(
    connector: &Connector,
    spec: &ConnectSpec,
    rng: &mut StdRng,
    rows: Rows,
) -> Result<(SynapseList, Vec<u32>)> {
    let mut cx = Ctx::new(spec)?;
    let uses_spec_weights = matches!(
        connector,
        Connector::AllToAll
            | Connector::OneToOne
            | Connector::FixedProbability(_)
            | Connector::FixedNumberPre(_)
            | Connector::FixedNumberPost(_)
    );
    if uses_spec_weights {
        match spec.weights {
            Weights::Constant(w) if !w.is_finite() => {
                return Err(cx.err(format!("the constant weight must be finite, got {w}")))
            }
            Weights::Constant(w) => {
                spec.dtype
                    .fit(*w)
                    .map_err(|why| cx.err(format!("the weight {why}")))?;
            }
            Weights::Random(d) => d.validate(&cx.owner("weights"))?,
        }
    }
    match spec.delays {
        Delays::Constant(ms) => {
            cx.steps(*ms)?;
        }
        Delays::Random(d) => d.validate(&cx.owner("delays"))?,
    }
    let key: u64 = rng.random();
    cx.key = key;
    if let Some(keep) = rows {
        let kept = (0..cx.n_post).filter(|&j| keep(j)).count();
        cx.share = kept as f64 / cx.n_post.max(1) as f64;
    }

    // A whole list's rows: their counts, then the kept ones.
    let whole = |p: Pattern| {
        let mut counts = vec![0u32; cx.n_post];
        for &j in &p.post {
            counts[j as usize] += 1;
        }
        (p.keep_rows(rows), counts)
    };
    let (pattern, counts) = match connector {
        Connector::AllToAll => cx.all_to_all(rows)?,
        Connector::OneToOne => cx.one_to_one(rows)?,
        Connector::FixedProbability(p) => cx.fixed_probability(*p, rows)?,
        Connector::FixedNumberPre(n) => cx.fixed_number_pre(*n, rows)?,
        Connector::FixedNumberPost(n) => whole(cx.fixed_number_post(*n, rng)?),
        Connector::FromMatrix(m) => whole(cx.matrix(m)?),
        Connector::FromSparse {
            post,
            pre,
            w,
            delay,
        } => whole(cx.sparse(post, pre, w, delay.as_deref())?),
        Connector::WithFunc(f) => {
            let lil = f(spec.pre, spec.post, rng);
            whole(cx.lil(lil)?)
        }
        Connector::Gaussian { amp, sigma, limit } => whole(cx.gaussian(*amp, *sigma, *limit)?),
        Connector::Dog {
            amp_pos,
            sigma_pos,
            amp_neg,
            sigma_neg,
            limit,
        } => whole(cx.dog(*amp_pos, *sigma_pos, *amp_neg, *sigma_neg, *limit)?),
    };
    Ok((cx.finish(pattern)?, counts))
}

/// Salts of the generators of a post-synaptic neuron's draws: which
/// synapses, their weights, their delays.
const SYNAPSES: u64 = 0;
const WEIGHTS: u64 = 0x5745_4947_4854_5300;
const DELAYS: u64 = 0x4445_4c41_5953_0000;

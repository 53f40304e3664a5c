//! The synapses each connector draws ([`Pattern`]), and what every
//! pattern derives from the spec ([`Ctx`]): counts checked against
//! [`MAX_SYNAPSES`] and memory, each post-synaptic neuron's generators,
//! delays in steps, the list sorted and filled in ([`Ctx::finish`]).

use super::{
    rate_or_spike_steps, ConnectSpec, Delays, Lil, Rows, SynapseList, Weights, DELAYS,
    MAX_SYNAPSES, SYNAPSES, WEIGHTS,
};
use crate::error::{Error, Result};
use rand::rngs::StdRng;
use rand::Rng;

/// Synapses before weights and delays are filled in; sorted by (post, pre).
pub(super) struct Pattern {
    pub(super) post: Vec<u32>,
    pub(super) pre: Vec<u32>,
    /// Given by the connector (values of the network's precision), else
    /// drawn from the spec.
    pub(super) w: Option<Vec<f64>>,
    /// Given by the connector (ms), else from the spec.
    pub(super) delay_ms: Option<Vec<f64>>,
}

impl Pattern {
    /// The synapses onto the post-synaptic neurons `rows` keeps.
    pub(super) fn keep_rows(self, rows: Rows) -> Pattern {
        let Some(keep) = rows else {
            return self;
        };
        let at: Vec<usize> = (0..self.post.len())
            .filter(|&i| keep(self.post[i] as usize))
            .collect();
        Pattern {
            post: at.iter().map(|&i| self.post[i]).collect(),
            pre: at.iter().map(|&i| self.pre[i]).collect(),
            w: self.w.map(|w| at.iter().map(|&i| w[i]).collect()),
            delay_ms: self.delay_ms.map(|d| at.iter().map(|&i| d[i]).collect()),
        }
    }

    pub(super) fn with_capacity(cx: &Ctx, n: usize) -> Result<Self> {
        Ok(Pattern {
            post: cx.alloc(n)?,
            pre: cx.alloc(n)?,
            w: None,
            delay_ms: None,
        })
    }
}

/// The spec plus what every pattern derives from it.
pub(super) struct Ctx<'a> {
    pub(super) spec: &'a ConnectSpec<'a>,
    pub(super) n_pre: usize,
    pub(super) n_post: usize,
    /// Leave out i -> i.
    pub(super) no_self: bool,
    /// The key of the generators of each post-synaptic neuron's draws.
    pub(super) key: u64,
    /// The share of the post-synaptic neurons whose synapses are kept
    /// (what memory they take).
    pub(super) share: f64,
}

impl<'a> Ctx<'a> {
    pub(super) fn new(spec: &'a ConnectSpec<'a>) -> Result<Self> {
        let cx = Ctx {
            spec,
            n_pre: spec.pre.size(),
            n_post: spec.post.size(),
            no_self: spec.same_population && !spec.allow_self_connections,
            key: 0,
            share: 1.0,
        };
        if !(spec.dt.is_finite() && spec.dt > 0.0) {
            return Err(cx.err(format!(
                "the time step dt must be finite and > 0, got {}",
                spec.dt
            )));
        }
        Ok(cx)
    }

    pub(super) fn err(&self, message: impl Into<String>) -> Error {
        Error::Connector {
            projection: self.spec.projection.to_string(),
            message: message.into(),
        }
    }

    pub(super) fn owner(&self, what: &str) -> String {
        format!("projection '{}' {what}", self.spec.projection)
    }

    /// Errors if `n` synapses are more than [`MAX_SYNAPSES`].
    pub(super) fn check_count(&self, n: u64, what: &str) -> Result<()> {
        if n > MAX_SYNAPSES as u64 {
            return Err(self.err(format!(
                "{what} would create {n} synapses, more than the limit of {MAX_SYNAPSES} \
                 a stored projection holds: use fewer neurons or a procedural projection \
                 (connect_fixed_probability_procedural), which stores none"
            )));
        }
        // Post and pre ranks, weight and delay, and as much again while
        // they are sorted.
        crate::memory::check(
            &format!("projection '{}'", self.spec.projection),
            &format!("{what} would create {n} synapses"),
            n as f64 * 32.0 * self.share,
            "connect fewer synapses, or draw them procedurally (connect_fixed_probability_procedural stores none)",
        )
    }

    /// A vector with room for `n` elements, or an error rather than an abort.
    pub(super) fn alloc<T>(&self, n: usize) -> Result<Vec<T>> {
        let mut v = Vec::new();
        v.try_reserve_exact(n)
            .map_err(|_| self.err(format!("cannot allocate memory for {n} synapses")))?;
        Ok(v)
    }

    /// `max(1, round(ms / dt))` (for a rate-coded projection
    /// `round(ms / dt) + 1` from two steps up, see [`Delays`]); an error for
    /// a negative, non-finite or huge delay.
    pub(super) fn steps(&self, ms: f64) -> Result<u32> {
        if !ms.is_finite() || ms < 0.0 {
            return Err(self.err(format!("delays must be finite and >= 0 ms, got {ms}")));
        }
        self.steps_clipped(ms)
    }

    /// As [`steps`](Self::steps) but negative delays (random draws) become one step.
    pub(super) fn steps_clipped(&self, ms: f64) -> Result<u32> {
        let s = (ms / self.spec.dt).round();
        if s.is_nan() || s > f64::from(u32::MAX) {
            return Err(self.err(format!(
                "a delay of {ms} ms is not a valid number of steps of {} ms",
                self.spec.dt
            )));
        }
        let d = s.max(0.0) as u32;
        Ok(rate_or_spike_steps(d, self.spec.rate_coded))
    }

    /// The generator of post-synaptic neuron `j`'s draws of one kind
    /// (`salt`: its synapses, weights, delays).
    pub(super) fn row_rng(&self, salt: u64, j: usize) -> StdRng {
        crate::random::rng_for(self.key ^ salt, j as u64)
    }

    pub(super) fn all_to_all(&self, rows: Rows) -> Result<(Pattern, Vec<u32>)> {
        let diag = if self.no_self {
            self.n_pre.min(self.n_post) as u64
        } else {
            0
        };
        let n = self.n_pre as u64 * self.n_post as u64 - diag;
        self.check_count(n, "all_to_all")?;
        let mut p = Pattern::with_capacity(self, (n as f64 * self.share) as usize)?;
        let mut counts = Vec::with_capacity(self.n_post);
        for post in 0..self.n_post {
            let skip = self.no_self && post < self.n_pre;
            counts.push((self.n_pre - usize::from(skip)) as u32);
            if rows.is_some_and(|keep| !keep(post)) {
                continue;
            }
            let (n, j) = (self.n_pre as u32, post as u32);
            match skip {
                true => {
                    p.pre.extend(0..j);
                    p.pre.extend(j + 1..n);
                }
                false => p.pre.extend(0..n),
            }
            p.post.resize(p.pre.len(), j);
        }
        Ok((p, counts))
    }

    pub(super) fn one_to_one(&self, rows: Rows) -> Result<(Pattern, Vec<u32>)> {
        if self.n_pre != self.n_post {
            return Err(self.err(format!(
                "one_to_one needs populations of equal sizes, got pre {:?} ({} neurons) and post {:?} ({} neurons)",
                self.spec.pre.dims(),
                self.n_pre,
                self.spec.post.dims(),
                self.n_post
            )));
        }
        self.check_count(self.n_post as u64, "one_to_one")?;
        let mut p = Pattern::with_capacity(self, self.n_post)?;
        for j in (0..self.n_post).filter(|&j| rows.is_none_or(|keep| keep(j))) {
            p.post.push(j as u32);
            p.pre.push(j as u32);
        }
        Ok((p, vec![1; self.n_post]))
    }

    /// Each post-synaptic neuron draws from its own generator how many
    /// synapses it gets (binomial over its candidates) and, if its row is
    /// kept, which (a uniform subset of that size): the same law as a
    /// draw for each pair, at a cost per row independent of the rows not
    /// kept.
    pub(super) fn fixed_probability(&self, prob: f64, rows: Rows) -> Result<(Pattern, Vec<u32>)> {
        if !(0.0..=1.0).contains(&prob) {
            return Err(self.err(format!(
                "fixed_probability needs a probability in [0, 1], got {prob}"
            )));
        }
        let total = self.n_pre as u64 * self.n_post as u64;
        let expected = prob * total as f64;
        if expected > MAX_SYNAPSES as f64 {
            return Err(self.err(format!(
                "fixed_probability({prob}) would create about {expected:.0} synapses, more than the \
                 limit of {MAX_SYNAPSES} a stored projection holds: use fewer neurons or \
                 connect_fixed_probability_procedural, which stores none"
            )));
        }
        self.check_count(expected as u64, &format!("fixed_probability({prob})"))?;
        // Mean plus a few standard deviations avoids regrowing the vectors.
        let mine = expected * self.share;
        let cap = (mine + 5.0 * mine.sqrt() + 16.0) as usize;
        let mut p = Pattern::with_capacity(self, cap.min(MAX_SYNAPSES))?;
        // A row has n_pre candidates, or one fewer without self
        // connections: two laws, set up once.
        let law = |len: usize| {
            rand_distr::Binomial::new(len as u64, prob)
                .map_err(|e| self.err(format!("fixed_probability({prob}): {e}")))
        };
        let (all, but_self) = (law(self.n_pre)?, law(self.n_pre.saturating_sub(1))?);
        let mut counts = Vec::with_capacity(self.n_post);
        let mut sum = 0u64;
        for post in 0..self.n_post {
            let skip = self.no_self && post < self.n_pre;
            let len = self.n_pre - usize::from(skip);
            let mut rng = self.row_rng(SYNAPSES, post);
            let k = rng.sample(if skip { but_self } else { all }) as usize;
            counts.push(k as u32);
            sum += k as u64;
            if sum > MAX_SYNAPSES as u64 {
                return Err(self.err(format!(
                    "fixed_probability({prob}) created more than the limit of {MAX_SYNAPSES} synapses"
                )));
            }
            if rows.is_some_and(|keep| !keep(post)) {
                continue;
            }
            self.row_subset(&mut p, &mut rng, post, len, k, skip);
        }
        Ok((p, counts))
    }

    /// Appends `k` synapses onto `post` from a uniform subset of its `len`
    /// candidates (all pre-synaptic neurons, `post` itself left out with
    /// `skip`), in ascending order.
    pub(super) fn row_subset(
        &self,
        p: &mut Pattern,
        rng: &mut StdRng,
        post: usize,
        len: usize,
        k: usize,
        skip: bool,
    ) {
        let mut chosen = rand::seq::index::sample(rng, len, k).into_vec();
        chosen.sort_unstable();
        for i in chosen {
            // Drawn among the pres other than `post`: shift those at or after it by one.
            let pre = if skip && i >= post { i + 1 } else { i };
            p.post.push(post as u32);
            p.pre.push(pre as u32);
        }
    }

    pub(super) fn fixed_number_pre(
        &self,
        number: usize,
        rows: Rows,
    ) -> Result<(Pattern, Vec<u32>)> {
        let available = self.n_pre - usize::from(self.no_self);
        if number > available {
            return Err(self.err(format!(
                "fixed_number_pre({number}) asks for more pre neurons than the {available} available{}",
                if self.no_self { " (self connections excluded)" } else { "" }
            )));
        }
        self.check_count(self.n_post as u64 * number as u64, "fixed_number_pre")?;
        let mine = (self.n_post as f64 * self.share) as usize * number;
        let mut p = Pattern::with_capacity(self, mine.min(self.n_post * number))?;
        for post in (0..self.n_post).filter(|&j| rows.is_none_or(|keep| keep(j))) {
            let skip = self.no_self && post < self.n_pre;
            let len = self.n_pre - usize::from(skip);
            let mut rng = self.row_rng(SYNAPSES, post);
            self.row_subset(&mut p, &mut rng, post, len, number, skip);
        }
        Ok((p, vec![number as u32; self.n_post]))
    }

    pub(super) fn fixed_number_post(&self, number: usize, rng: &mut StdRng) -> Result<Pattern> {
        let available = self.n_post - usize::from(self.no_self);
        if number > available {
            return Err(self.err(format!(
                "fixed_number_post({number}) asks for more post neurons than the {available} available{}",
                if self.no_self { " (self connections excluded)" } else { "" }
            )));
        }
        self.check_count(self.n_pre as u64 * number as u64, "fixed_number_post")?;
        let n = self.n_pre * number;
        let mut keys: Vec<u64> = self.alloc(n)?;
        for pre in 0..self.n_pre {
            let skip = self.no_self && pre < self.n_post;
            let len = self.n_post - usize::from(skip);
            for i in rand::seq::index::sample(rng, len, number).iter() {
                let post = if skip && i >= pre { i + 1 } else { i };
                keys.push(((post as u64) << 32) | pre as u64);
            }
        }
        keys.sort_unstable();
        let mut p = Pattern::with_capacity(self, n)?;
        for k in keys {
            p.post.push((k >> 32) as u32);
            p.pre.push(k as u32);
        }
        Ok(p)
    }

    pub(super) fn matrix(&self, m: &ndarray::Array2<f32>) -> Result<Pattern> {
        if m.dim() != (self.n_post, self.n_pre) {
            return Err(self.err(format!(
                "from_matrix needs a [post, pre] matrix of shape [{}, {}], got [{}, {}]",
                self.n_post,
                self.n_pre,
                m.nrows(),
                m.ncols()
            )));
        }
        let mut p = Pattern::with_capacity(self, 0)?;
        let mut w = Vec::new();
        for ((post, pre), &x) in m.indexed_iter() {
            if x.is_nan() {
                continue;
            }
            if x.is_infinite() {
                return Err(self.err(format!(
                    "from_matrix: weight [{post}, {pre}] is {x}; use NaN for no synapse"
                )));
            }
            if w.len() >= MAX_SYNAPSES {
                return Err(self.err(format!(
                    "from_matrix has more than the limit of {MAX_SYNAPSES} synapses"
                )));
            }
            p.post.push(post as u32);
            p.pre.push(pre as u32);
            w.push(f64::from(x));
        }
        p.w = Some(w);
        Ok(p)
    }

    pub(super) fn sparse(
        &self,
        post: &[u32],
        pre: &[u32],
        w: &[f64],
        delay: Option<&[f64]>,
    ) -> Result<Pattern> {
        let n = post.len();
        if pre.len() != n || w.len() != n || delay.is_some_and(|d| d.len() != n) {
            return Err(self.err(format!(
                "from_sparse needs vectors of equal lengths, got post {n}, pre {}, w {}{}",
                pre.len(),
                w.len(),
                delay.map_or(String::new(), |d| format!(", delay {}", d.len()))
            )));
        }
        self.check_count(n as u64, "from_sparse")?;
        self.sorted(
            "from_sparse",
            post.to_vec(),
            pre.to_vec(),
            w.to_vec(),
            delay.map(<[f64]>::to_vec),
        )
    }

    pub(super) fn lil(&self, lil: Lil) -> Result<Pattern> {
        let entries = lil.post.len();
        if lil.pre.len() != entries || lil.w.len() != entries {
            return Err(self.err(format!(
                "with_func returned a LIL with {entries} post ranks but {} pre lists and {} weight lists",
                lil.pre.len(),
                lil.w.len()
            )));
        }
        if let Some(d) = &lil.delay {
            if d.len() != entries {
                return Err(self.err(format!(
                    "with_func returned a LIL with {entries} post ranks but {} delay lists",
                    d.len()
                )));
            }
        }
        let mut n = 0u64;
        for i in 0..entries {
            let np = lil.pre[i].len();
            let bad_delay = lil.delay.as_ref().is_some_and(|d| d[i].len() != np);
            if lil.w[i].len() != np || bad_delay {
                return Err(self.err(format!(
                    "with_func: post rank {} has {np} pre ranks but {} weights{}",
                    lil.post[i],
                    lil.w[i].len(),
                    lil.delay
                        .as_ref()
                        .map_or(String::new(), |d| format!(" and {} delays", d[i].len()))
                )));
            }
            n += np as u64;
        }
        self.check_count(n, "with_func")?;
        let n = n as usize;
        let (mut post, mut pre, mut w) = (self.alloc(n)?, self.alloc(n)?, self.alloc(n)?);
        for i in 0..entries {
            post.extend(std::iter::repeat_n(lil.post[i], lil.pre[i].len()));
            pre.extend_from_slice(&lil.pre[i]);
            w.extend(lil.w[i].iter().map(|&x| f64::from(x)));
        }
        let delay = lil.delay.map(|d| d.into_iter().flatten().collect());
        self.sorted("with_func", post, pre, w, delay)
    }

    /// Checks ranks, weights and duplicates of given synapses and sorts them by (post, pre).
    pub(super) fn sorted(
        &self,
        what: &str,
        post: Vec<u32>,
        pre: Vec<u32>,
        w: Vec<f64>,
        delay: Option<Vec<f64>>,
    ) -> Result<Pattern> {
        let dtype = self.spec.dtype;
        let w = w.into_iter().map(|x| dtype.round(x)).collect::<Vec<f64>>();
        for i in 0..post.len() {
            if post[i] as usize >= self.n_post || pre[i] as usize >= self.n_pre {
                return Err(self.err(format!(
                    "{what}: synapse {} -> {} lies outside the populations (pre has {} neurons, post {})",
                    pre[i], post[i], self.n_pre, self.n_post
                )));
            }
            if !w[i].is_finite() {
                return Err(self.err(format!(
                    "{what}: synapse {} -> {} has a non-finite weight {}",
                    pre[i], post[i], w[i]
                )));
            }
        }
        let keys: Vec<u64> = post
            .iter()
            .zip(&pre)
            .map(|(&q, &p)| (u64::from(q) << 32) | u64::from(p))
            .collect();
        if keys.windows(2).all(|k| k[0] < k[1]) {
            return Ok(Pattern {
                post,
                pre,
                w: Some(w),
                delay_ms: delay,
            });
        }
        let mut order: Vec<usize> = (0..keys.len()).collect();
        order.sort_unstable_by_key(|&i| keys[i]);
        if let Some(k) = order.windows(2).find(|k| keys[k[0]] == keys[k[1]]) {
            return Err(self.err(format!(
                "{what}: the synapse {} -> {} is given more than once",
                pre[k[0]], post[k[0]]
            )));
        }
        Ok(Pattern {
            post: order.iter().map(|&i| post[i]).collect(),
            pre: order.iter().map(|&i| pre[i]).collect(),
            w: Some(order.iter().map(|&i| w[i]).collect()),
            delay_ms: delay.map(|d| order.iter().map(|&i| d[i]).collect()),
        })
    }

    /// Fills in weights and delays, in synapse order: those drawn, a
    /// post-synaptic neuron's from its own generators.
    pub(super) fn finish(&self, p: Pattern) -> Result<SynapseList> {
        let n = p.post.len();
        // The synapses of each post-synaptic neuron: runs of the sorted list.
        let runs = || {
            let post = &p.post;
            let mut at = 0;
            std::iter::from_fn(move || {
                let j = *post.get(at)?;
                let end = at + post[at..].partition_point(|&x| x == j);
                let run = (j as usize, end - at);
                at = end;
                Some(run)
            })
        };
        let dtype = self.spec.dtype;
        let w = match p.w {
            Some(w) => crate::real::Reals::of(dtype, w),
            None => match self.spec.weights {
                Weights::Constant(c) => {
                    let c = dtype
                        .fit(*c)
                        .map_err(|why| self.err(format!("the weight {why}")))?;
                    crate::real::Reals::filled(dtype, c, n)
                }
                Weights::Random(d) => {
                    // Drawn in f64, kept in the network's precision.
                    let owner = || self.owner("weights");
                    let misfit = |why| Error::invalid(owner(), format!("a draw of {d:?}: {why}"));
                    match dtype {
                        crate::real::Dtype::F32 => {
                            let mut w: Vec<f32> = self.alloc(n)?;
                            for (j, len) in runs() {
                                let mut rng = self.row_rng(WEIGHTS, j);
                                for x in d.sample_f64(&mut rng, len, &owner())? {
                                    w.push(crate::error::narrow(x).map_err(misfit)?);
                                }
                            }
                            crate::real::Reals::F32(w)
                        }
                        crate::real::Dtype::F64 => {
                            let mut w: Vec<f64> = self.alloc(n)?;
                            for (j, len) in runs() {
                                let mut rng = self.row_rng(WEIGHTS, j);
                                w.extend(d.sample_f64(&mut rng, len, &owner())?);
                            }
                            crate::real::Reals::F64(w)
                        }
                    }
                }
            },
        };
        let delay = match p.delay_ms {
            Some(ms) => ms
                .into_iter()
                .map(|d| self.steps(d))
                .collect::<Result<Vec<u32>>>()?,
            None => match self.spec.delays {
                Delays::Constant(ms) => vec![self.steps(*ms)?; n],
                Delays::Random(d) => {
                    let mut out = self.alloc(n)?;
                    for (j, len) in runs() {
                        let mut rng = self.row_rng(DELAYS, j);
                        for ms in d.sample_f64(&mut rng, len, &self.owner("delays"))? {
                            out.push(if ms.is_finite() {
                                self.steps_clipped(ms)?
                            } else {
                                return Err(self.err(format!("a random delay drew {ms} ms")));
                            });
                        }
                    }
                    out
                }
            },
        };
        Ok(SynapseList {
            post: p.post,
            pre: p.pre,
            w,
            delay,
        })
    }
}

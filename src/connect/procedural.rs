//! Procedural connectivity (GeNN's `PROCEDURAL_GLOBALG`): a fixed-probability
//! projection whose synapses are never stored. Each time a pre-synaptic
//! neuron spikes, its row is drawn again from the network seed, so the
//! memory is a small table instead of 8 bytes a synapse, and the spike
//! delivery reads no synapse at all.
//!
//! The row of pre neuron `j` is cut into chunks of `chunk` post neurons
//! (a power of two, about 32 expected synapses each, so a GPU thread per
//! (spike, chunk) has a few targets to write). Inside chunk `c` the targets
//! are found by geometric skipping: each gap (the number of post neurons
//! passed over) is drawn from a Philox word `u` keyed by (seed, projection,
//! `j`, `c`, draw number) and read off a table of thresholds `T[g] = 2^32
//! (1 - p)^g` (`g = 1..=chunk`, computed once on the host in f64): the gap
//! is the number of thresholds above `u`, so `P(gap >= g) = (1 - p)^g`.
//! Only integer operations decide a target, so the CPU engine and any GPU
//! draw exactly the same synapses (a logarithm would differ by an ulp now
//! and then, and move a synapse). Each pair of neurons is connected with
//! probability `p`, independently (to within 2^-32 per threshold).
//!
//! Weights are a constant or a draw per synapse from the Philox word keyed
//! by (seed, the projection's weight stream, pre, post) (GeNN's procedural
//! weights with `PROCEDURAL_PROCEDURALG`): the same synapse gets the same
//! weight at every spike, on both engines, to the few ulps by which the two
//! platforms' `cos` (and, for log-normal, `exp`) differ.

use super::{Delays, Weights};
use crate::error::{Error, Result};
use crate::lang::ir::RandomKind;
use crate::random::philox;
use crate::random::Dist;

/// The weights of a procedural projection: a constant, or one draw per
/// synapse (`Uniform`, `Normal`, `LogNormal`, `Exponential`, optionally
/// clipped), made again at each spike.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProceduralWeight {
    /// The distribution (`None`: every weight is `a`).
    pub kind: Option<RandomKind>,
    /// First parameter (the constant, uniform min, mu, or lambda).
    pub a: f32,
    /// Second parameter (uniform max, sigma; unused otherwise).
    pub b: f32,
    /// Draws below become this.
    pub min: Option<f32>,
    /// Draws above become this.
    pub max: Option<f32>,
}

impl ProceduralWeight {
    /// The weight spec of `weights`; an error naming `owner` for a
    /// distribution that cannot be drawn by both engines from one Philox
    /// word (discrete uniform, gamma, binomial).
    pub fn new(owner: &str, weights: &Weights) -> Result<ProceduralWeight> {
        let finite = |x: f64, what: &str| match crate::error::narrow(x) {
            Ok(v) if v.is_finite() => Ok(v),
            Ok(_) => Err(Error::invalid(
                owner,
                format!("the {what} must be a finite f32, got {x}"),
            )),
            Err(why) => Err(Error::invalid(owner, format!("the {what} {why}"))),
        };
        let d = match weights {
            Weights::Constant(w) => {
                return Ok(ProceduralWeight {
                    kind: None,
                    a: finite(*w, "weight")?,
                    b: 0.0,
                    min: None,
                    max: None,
                })
            }
            Weights::Random(d) => d,
        };
        d.validate(owner)?;
        let (inner, min, max) = match d {
            Dist::Clipped { dist, min, max } => (&**dist, *min, *max),
            d => (d, None, None),
        };
        let (kind, a, b) = match *inner {
            Dist::Uniform { min, max } => (RandomKind::Uniform, min, max),
            Dist::Normal { mu, sigma } => (RandomKind::Normal, mu, sigma),
            Dist::LogNormal { mu, sigma } => (RandomKind::LogNormal, mu, sigma),
            Dist::Exponential { lambda } => (RandomKind::Exponential, lambda, 0.0),
            _ => {
                return Err(Error::Unsupported {
                    owner: owner.into(),
                    message: format!(
                        "procedural weights are drawn from a uniform, normal, log-normal or exponential distribution (optionally clipped), not {inner:?}"
                    ),
                })
            }
        };
        let bound = |x: Option<f64>, what: &str| x.map(|x| finite(x, what)).transpose();
        Ok(ProceduralWeight {
            kind: Some(kind),
            a: finite(a, "first weight parameter")?,
            b: finite(b, "second weight parameter")?,
            min: bound(min, "lower clipping bound")?,
            max: bound(max, "upper clipping bound")?,
        })
    }

    /// The constant weight, if it is one.
    pub fn constant(&self) -> Option<f32> {
        self.kind.is_none().then_some(self.a)
    }
}

/// Most post neurons a chunk covers (a table of 256 KiB).
pub const MAX_CHUNK: u32 = 1 << 16;

/// The delays of a procedural projection in steps of `dt` ms: a constant
/// (`(steps, [])`), or the longest and the threshold table of a
/// distribution rounded to steps as stored connectors round
/// (`max(round(x / dt), 1)`), from its distribution function in f64.
/// Uniform, normal, log-normal and exponential, optionally clipped; a
/// distribution whose rounded values reach past 65535 steps with
/// probability 2^-32 or more is refused (clip it with `.max()`).
pub fn delay_spec(owner: &str, delays: &Delays, dt: f64) -> Result<(u32, Vec<u32>)> {
    const MAX_STEPS: u32 = 65535;
    let d = match delays {
        Delays::Constant(ms) => {
            if !(ms.is_finite() && *ms >= 0.0) {
                return Err(Error::invalid(
                    owner,
                    format!("the delay must be a non-negative number of ms, got {ms}"),
                ));
            }
            let steps = (ms / dt).round().max(1.0);
            if steps > f64::from(MAX_STEPS) {
                return Err(Error::invalid(
                    owner,
                    format!("a delay of {ms} ms is over {MAX_STEPS} steps"),
                ));
            }
            return Ok((steps as u32, Vec::new()));
        }
        Delays::Random(d) => d,
    };
    d.validate(owner)?;
    let (inner, lo, hi) = match d {
        Dist::Clipped { dist, min, max } => (&**dist, *min, *max),
        d => (d, None, None),
    };
    let normal = |z: f64| 0.5 * erfc(-z / std::f64::consts::SQRT_2);
    // P(X < y) of the unclipped distribution.
    let cdf: Box<dyn Fn(f64) -> f64> = match *inner {
        Dist::Uniform { min, max } => Box::new(move |y| {
            if max > min {
                ((y - min) / (max - min)).clamp(0.0, 1.0)
            } else {
                f64::from(u8::from(y > min))
            }
        }),
        Dist::Normal { mu, sigma } => Box::new(move |y| {
            if sigma > 0.0 {
                normal((y - mu) / sigma)
            } else {
                f64::from(u8::from(y > mu))
            }
        }),
        Dist::LogNormal { mu, sigma } => Box::new(move |y| {
            if y <= 0.0 {
                0.0
            } else if sigma > 0.0 {
                normal((y.ln() - mu) / sigma)
            } else {
                f64::from(u8::from(y.ln() > mu))
            }
        }),
        Dist::Exponential { lambda } => Box::new(move |y| {
            if y <= 0.0 {
                0.0
            } else {
                -(-lambda * y).exp_m1()
            }
        }),
        _ => {
            return Err(Error::Unsupported {
                owner: owner.into(),
                message: format!(
                    "procedural delays are drawn from a uniform, normal, log-normal or exponential distribution (optionally clipped), not {inner:?}"
                ),
            })
        }
    };
    // P(clipped X < y).
    let clipped = |y: f64| {
        if lo.is_some_and(|l| y <= l) {
            0.0
        } else if hi.is_some_and(|h| y > h) {
            1.0
        } else {
            cdf(y)
        }
    };
    let mut table = Vec::new();
    for k in 1..=MAX_STEPS {
        // P(max(round(X / dt), 1) <= k) = P(X < (k + 1/2) dt).
        let t = (clipped((f64::from(k) + 0.5) * dt) * 4_294_967_296.0).floor();
        if t >= 4_294_967_295.0 {
            return Ok((k, table));
        }
        table.push(t.max(0.0) as u32);
    }
    Err(Error::invalid(
        owner,
        format!("delays of {d:?} reach past {MAX_STEPS} steps; clip them with .max()"),
    ))
}

/// The complementary error function, to a relative 1.2e-7 (the Chebyshev
/// fit of Numerical Recipes' `erfcc`): enough for the probabilities of a
/// delay table.
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// A procedural fixed-probability projection: everything needed to draw a
/// row again.
#[derive(Debug, Clone, PartialEq)]
pub struct Procedural {
    /// The network seed when the projection was built: the synapses are
    /// fixed then, whatever `Simulation::set_seed` does to run-time draws.
    pub seed: u64,
    /// Connection probability.
    pub p: f64,
    /// The weights.
    pub weight: ProceduralWeight,
    /// The delay of every synapse in steps (at least 1) or, with a delay
    /// table, the longest delay.
    pub delay: u32,
    /// Per-synapse delays: `D[k - 1] = min(2^32 P(steps <= k), 2^32 - 1)`
    /// for `k = 1..delay` (increasing); empty when all are `delay`.
    pub delay_table: Vec<u32>,
    /// Pre-synaptic neurons (of one batch element).
    pub n_pre: u32,
    /// Post-synaptic neurons (of one batch element).
    pub n_post: u32,
    /// Pre and post are one population and a neuron may not reach itself.
    pub skip_self: bool,
    /// Post neurons per chunk (a power of two).
    pub chunk: u32,
    /// `T[g - 1] = min(2^32 (1 - p)^g, 2^32 - 1)` for `g = 1..=chunk`,
    /// decreasing.
    pub table: Vec<u32>,
    /// `1 / ln(1 - p)` (0 for p = 1), to guess a gap.
    pub inv_log_q: f64,
}

impl Procedural {
    /// The generator of a projection of `n_pre` to `n_post` neurons with
    /// probability `p`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        owner: &str,
        seed: u64,
        p: f64,
        weight: ProceduralWeight,
        (delay, delay_table): (u32, Vec<u32>),
        n_pre: usize,
        n_post: usize,
        skip_self: bool,
    ) -> Result<Procedural> {
        if !(p > 0.0 && p <= 1.0) {
            return Err(Error::invalid(
                owner,
                format!("the probability must be in (0, 1], got {p}"),
            ));
        }
        let (n_pre, n_post) = match (u32::try_from(n_pre), u32::try_from(n_post)) {
            (Ok(a), Ok(b)) => (a, b),
            _ => return Err(Error::invalid(owner, "populations over 2^32 neurons")),
        };
        // About 32 expected targets a chunk, as few chunks as that allows.
        let want = (32.0 / p).min(f64::from(MAX_CHUNK)) as u32;
        let mut chunk = want.max(32).next_power_of_two().min(MAX_CHUNK);
        chunk = chunk.min(n_post.max(1).next_power_of_two());
        // Chunk numbers take 16 bits of the Philox counter.
        while n_post.div_ceil(chunk) > 1 << 16 {
            chunk *= 2;
        }
        let log_q = (-p).ln_1p();
        let table = (1..=chunk)
            .map(|g| {
                let t = (f64::from(g) * log_q).exp() * 4_294_967_296.0;
                t.min(f64::from(u32::MAX)) as u32
            })
            .collect();
        let inv_log_q = if p < 1.0 { 1.0 / log_q } else { 0.0 };
        Ok(Procedural {
            inv_log_q,
            seed,
            p,
            weight,
            delay: delay.max(1),
            delay_table,
            n_pre,
            n_post,
            skip_self,
            chunk,
            table,
        })
    }

    /// Chunks of a row.
    pub fn chunks(&self) -> u32 {
        self.n_post.div_ceil(self.chunk)
    }

    /// The gap drawn with word `u`: the number of thresholds above it.
    /// The logarithm only guesses it (`ln(u 2^-32) / ln(1 - p)`); the
    /// table has the last word, so the answer is exact whatever the
    /// logarithm's rounding, and the GPU's guess may differ.
    #[inline]
    pub fn gap(&self, u: u32) -> u32 {
        let n = self.chunk as usize;
        let x = (f64::from(u) * (1.0 / 4_294_967_296.0)).ln() * self.inv_log_q;
        let mut c = if x.is_finite() {
            (x.max(0.0) as usize).min(n)
        } else {
            n
        };
        while c < n && self.table[c] > u {
            c += 1;
        }
        while c > 0 && self.table[c - 1] <= u {
            c -= 1;
        }
        c as u32
    }

    /// The targets of pre neuron `pre` in chunk `c`, ascending (the CPU
    /// twin of one thread of `spike_procedural`); `object` is the
    /// projection's random stream.
    #[inline]
    pub fn chunk_row(&self, object: u32, pre: u32, c: u32, mut f: impl FnMut(u32)) {
        let seed = self.seed;
        let base = c * self.chunk;
        let len = i64::from(self.chunk.min(self.n_post - base));
        let mut pos: i64 = -1;
        let mut k = 0u32;
        let mut bits = [0u32; 4];
        loop {
            if k & 3 == 0 {
                bits = philox::draw(seed, object, pre, (c << 16) | (k >> 2));
            }
            let u = bits[(k & 3) as usize];
            k += 1;
            pos += i64::from(self.gap(u)) + 1;
            if pos >= len {
                break;
            }
            let t = base + pos as u32;
            if !(self.skip_self && t == pre) {
                f(t);
            }
        }
    }

    /// Whether synapses have delays of their own (a delay table).
    pub fn per_synapse_delays(&self) -> bool {
        !self.delay_table.is_empty()
    }

    /// The age (steps) of the spikes a delivery reads: the delay, or 1 with
    /// per-synapse delays (the rest of a delay is waited out in a ring of
    /// future inputs).
    pub fn spike_delay(&self) -> u32 {
        if self.per_synapse_delays() {
            1
        } else {
            self.delay
        }
    }

    /// The random stream of the delays of the projection whose synapse
    /// stream is `object`.
    pub fn delay_object(object: u32) -> u32 {
        object ^ 2
    }

    /// The delay in steps of the synapse from `pre` to `post` (the CPU
    /// twin of the kernel's): the number of thresholds at most the first
    /// word of draw `(seed, delay stream, pre, post)`, plus one. Integer
    /// comparisons alone, so both engines give every synapse the same.
    #[inline]
    pub fn delay_at(&self, object: u32, pre: u32, post: u32) -> u32 {
        if self.delay_table.is_empty() {
            return self.delay;
        }
        let u = philox::draw(self.seed, Self::delay_object(object), pre, post)[0];
        // The table increases: a binary search counts the same thresholds.
        1 + self.delay_table.partition_point(|&t| t <= u) as u32
    }

    /// The random stream of the weights of the projection whose synapse
    /// stream is `object`.
    pub fn weight_object(object: u32) -> u32 {
        object ^ 1
    }

    /// The weight of the synapse from `pre` to `post` in the network's
    /// precision `R` (the CPU twin of the kernel's weight expression): draw
    /// `(seed, weight stream, pre, post)`, then clipped. An f64 network
    /// draws from the same Philox words more finely, as its other draws.
    #[inline]
    pub fn weight_at<R: crate::real::Real>(&self, object: u32, pre: u32, post: u32) -> R {
        let w = &self.weight;
        let Some(kind) = w.kind else {
            return R::of32(w.a);
        };
        let mut x = crate::engine::cpu::vm::random_value(
            kind,
            self.seed,
            Self::weight_object(object),
            pre,
            post,
            R::of32(w.a),
            R::of32(w.b),
        );
        if let Some(lo) = w.min {
            x = x.max(R::of32(lo));
        }
        if let Some(hi) = w.max {
            x = x.min(R::of32(hi));
        }
        x
    }

    /// Every target of pre neuron `pre`, ascending.
    pub fn row(&self, object: u32, pre: u32, mut f: impl FnMut(u32)) {
        for c in 0..self.chunks() {
            self.chunk_row(object, pre, c, &mut f);
        }
    }

    /// The synapses as (post, pre) pairs sorted by post then pre, for
    /// reading the connectivity (not used to simulate).
    pub fn materialize(&self, object: u32) -> Vec<(u32, u32)> {
        let mut v = Vec::new();
        for j in 0..self.n_pre {
            self.row(object, j, |t| v.push((t, j)));
        }
        v.sort_unstable();
        v
    }
}

//! `spike_gather`: the deterministic delivery of a stored spiking
//! projection, a post-synaptic neuron at a time (CPU twin of the GPU
//! kernel of the same name, shaders/spike_gather.wgsl, which the GPU
//! engine runs with `GpuOptions::deterministic`). Each post neuron walks
//! its incoming synapses by (delay, pre) and adds the weight of those
//! whose pre neuron spiked their delay ago.
//!
//! The CPU engine itself delivers with [`spike_propagate`](super::spike_propagate),
//! a spike's row at a time, because that costs the spikes times their
//! fan-out where this costs every synapse every step. The two add the same
//! values in the same order into each conductance: spike_propagate runs the
//! delays ascending, each delay's spikes in ascending rank (the lists
//! `neuron_update` returns are sorted), and a post neuron appears in a
//! spike's row once per synapse, in synapse order; here a post's row is
//! sorted by delay, then pre, then synapse. So the sums are the same bits
//! (tests below), and the GPU kernel, which runs this, gives the CPU
//! engine's bits.
//!
//! Bindings, in order: the post-synaptic conductance, the CSR by post
//! ([`GatherCsr`]), the weights in synapse order, (the projection-wide
//! parameters, unused here), the spike ring's counts and bitmasks
//! ([`SpikeBits`]).

/// The rows of a spiking projection by (post, delay index), as uploaded
/// for `spike_gather` (one `u32` array): row pointers (`n_post * delays +
/// 1` words, post-major), the pre rank of each position, the synapse id
/// of each position where the delays differ (with one delay a post's row
/// is its synapses in their own (post, pre) order, so a position is its
/// synapse), then the delays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatherCsr {
    /// The words as uploaded.
    pub words: Vec<u32>,
    /// Where the pre ranks start.
    pub pres: u32,
    /// Where the synapse ids start, when stored.
    pub ids: Option<u32>,
    /// Where the delays start.
    pub delay_table: u32,
    /// The distinct delays, ascending.
    pub delays: Vec<u32>,
}

impl GatherCsr {
    /// The rows of synapses `s` (sorted by (post, pre), as connectors
    /// build them) onto `n_post` post neurons (of a batch element);
    /// `delays`: their distinct delays, ascending. A counting sort by
    /// (post, delay index), stable, so each row keeps the synapses' order.
    pub fn new(s: &crate::connect::SynapseList, delays: &[u32], n_post: usize) -> Self {
        let nd = delays.len().max(1);
        let (ptr, pre, sid) = s.rows_by(
            n_post * nd,
            |j| {
                let di = delays.binary_search(&s.delay[j]).unwrap_or(0);
                s.post[j] as usize * nd + di
            },
            |j| s.pre[j],
        );
        let mut words = ptr;
        let pres = words.len() as u32;
        words.extend_from_slice(&pre);
        let ids = (delays.len() > 1).then(|| {
            let at = words.len() as u32;
            words.extend_from_slice(&sid);
            at
        });
        let delay_table = words.len() as u32;
        words.extend_from_slice(delays);
        GatherCsr {
            words,
            pres,
            ids,
            delay_table,
            delays: delays.to_vec(),
        }
    }
}

/// A population's spike ring as the GPU engine keeps it with ring bitmasks
/// (`PopLayout::ring_bits`): `ring` counts, then a bitmask of `ceil(n /
/// 32)` words a slot; the slot of the spikes of `d` steps ago is `(pos +
/// ring - d) % ring`, `pos` the ring position of this step.
#[derive(Debug, Clone, Copy)]
pub struct SpikeBits<'a> {
    /// The counts, then the bitmasks.
    pub words: &'a [u32],
    /// Slots.
    pub ring: u32,
    /// Neurons.
    pub n: u32,
    /// This step's ring position.
    pub pos: u32,
}

impl SpikeBits<'_> {
    /// Whether neuron `k` spiked `d` steps ago.
    pub fn spiked(&self, d: u32, k: u32) -> bool {
        let slot = (self.pos + self.ring - d) % self.ring;
        let at = self.ring + slot * self.n.div_ceil(32) + k / 32;
        self.words[at as usize] & (1 << (k % 32)) != 0
    }

    /// Whether any neuron spiked `d` steps ago.
    pub fn any(&self, d: u32) -> bool {
        self.words[((self.pos + self.ring - d) % self.ring) as usize] != 0
    }

    /// The ring of `ring` slots holding `spikes[a]`, the ranks that spiked
    /// `a + 1` steps before the step at position `pos`.
    pub fn ring_of(spikes: &[Vec<u32>], ring: u32, n: u32, pos: u32) -> Vec<u32> {
        let words = n.div_ceil(32);
        let mut out = vec![0u32; (ring + ring * words) as usize];
        for (a, list) in spikes.iter().enumerate() {
            let slot = (pos + ring * 2 - a as u32 - 1) % ring;
            out[slot as usize] = list.len() as u32;
            for &k in list {
                out[(ring + slot * words + k / 32) as usize] |= 1 << (k % 32);
            }
        }
        out
    }
}

/// `g[i] += w[s]`, post neuron after post neuron, for each synapse `s` of
/// post `i` whose pre neuron spiked its delay ago, in (delay, pre) order;
/// `w` holds the weights in synapse order, or the one weight they all
/// share. One conductance (the default synapse onto one target): the
/// CPU engine's `deliver_default` sums, bit for bit.
pub fn spike_gather<R: crate::real::Real>(
    g: &mut [R],
    csr: &GatherCsr,
    w: &[R],
    spikes: &SpikeBits,
) {
    let nd = csr.delays.len();
    let c = &csr.words;
    for (i, gi) in g.iter_mut().enumerate() {
        let mut acc = *gi;
        for (di, &d) in csr.delays.iter().enumerate() {
            if !spikes.any(d) {
                continue;
            }
            let row = i * nd + di;
            for k in c[row]..c[row + 1] {
                let pj = c[(csr.pres + k) as usize];
                if spikes.spiked(d, pj) {
                    let s = csr.ids.map_or(k, |at| c[(at + k) as usize]) as usize;
                    acc += w[s.min(w.len() - 1)];
                }
            }
        }
        *gi = acc;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::SynapseList;
    use crate::engine::cpu::spike_propagate::{deliver_default, PreCsr};
    use rand::{Rng, SeedableRng};

    /// Random synapses (sorted by (post, pre), some pairs twice), weights
    /// of mixed magnitudes (so that the order of the additions shows in
    /// the bits) and delays among `max_d`.
    fn synapses(n_pre: u32, n_post: u32, max_d: u32, seed: u64) -> SynapseList {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut pairs = Vec::new();
        for i in 0..n_post {
            for j in 0..n_pre {
                if rng.random::<f32>() < 0.3 {
                    let times = if rng.random::<f32>() < 0.1 { 2 } else { 1 };
                    for _ in 0..times {
                        pairs.push((i, j));
                    }
                }
            }
        }
        let n = pairs.len();
        SynapseList {
            post: pairs.iter().map(|p| p.0).collect(),
            pre: pairs.iter().map(|p| p.1).collect(),
            w: (0..n)
                .map(|_| rng.random::<f32>() * 10f32.powi(rng.random_range(-3..3)))
                .collect(),
            delay: (0..n).map(|_| rng.random_range(1..=max_d)).collect(),
        }
    }

    /// Sorted spike lists of the last `depth` steps.
    fn history(n_pre: u32, depth: u32, seed: u64) -> Vec<Vec<u32>> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        (0..depth)
            .map(|_| (0..n_pre).filter(|_| rng.random::<f32>() < 0.4).collect())
            .collect()
    }

    #[test]
    fn gathers_the_sums_spike_propagate_pushes_bit_for_bit() {
        for (max_d, seed) in [(1, 1), (4, 2), (7, 3)] {
            let (n_pre, n_post) = (70, 50);
            let s = synapses(n_pre, n_post, max_d, seed);
            let mut delays = s.delay.clone();
            delays.sort_unstable();
            delays.dedup();
            let hist = history(n_pre, max_d, seed + 10);
            let start: Vec<f32> = (0..n_post).map(|i| 0.1 * i as f32 - 2.0).collect();
            // The CPU engine's way: delays ascending, spikes ascending.
            let pre_csr = PreCsr::new(n_pre as usize, &s.pre, &s.post, &s.delay);
            let w_pre = pre_csr.permute(&s.w.to_f32());
            let mut pushed = start.clone();
            for &d in &delays {
                let spikes = &hist[d as usize - 1];
                let uniform = delays.len() <= 1;
                deliver_default(
                    &pre_csr,
                    spikes,
                    d,
                    uniform,
                    &w_pre,
                    (n_pre, n_post),
                    &mut pushed,
                );
            }
            let ring = max_d + 1;
            let words = SpikeBits::ring_of(&hist, ring, n_pre, 5);
            let bits = SpikeBits {
                words: &words,
                ring,
                n: n_pre,
                pos: 5,
            };
            let csr = GatherCsr::new(&s, &delays, n_post as usize);
            let mut gathered = start.clone();
            spike_gather(&mut gathered, &csr, &s.w.to_f32(), &bits);
            let changed = pushed.iter().zip(&start).filter(|(a, b)| a != b).count();
            assert!(
                changed > n_post as usize / 2,
                "max_d {max_d}: little delivered"
            );
            for (i, (a, b)) in pushed.iter().zip(&gathered).enumerate() {
                assert_eq!(
                    a.to_bits(),
                    b.to_bits(),
                    "max_d {max_d}, post {i}: {a} vs {b}"
                );
            }
        }
    }

    #[test]
    fn a_different_order_would_show_in_the_bits() {
        // The test above can fail: the same events added in another
        // order (pre descending) give other bits somewhere.
        let s = synapses(70, 50, 1, 9);
        let hist = history(70, 1, 19);
        let mut forward = [0.0f32; 50];
        let mut backward = [0.0f32; 50];
        for (k, (&i, &j)) in s.post.iter().zip(&s.pre).enumerate() {
            if hist[0].contains(&j) {
                forward[i as usize] += s.w.get(k) as f32;
            }
        }
        for (k, (&i, &j)) in s.post.iter().zip(&s.pre).enumerate().rev() {
            if hist[0].contains(&j) {
                backward[i as usize] += s.w.get(k) as f32;
            }
        }
        assert!(forward
            .iter()
            .zip(&backward)
            .any(|(a, b)| a.to_bits() != b.to_bits()));
    }
}

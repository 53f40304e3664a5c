//! `spike_procedural_ordered`: the deterministic delivery of a procedural
//! projection (CPU twin of the GPU kernel of the same name,
//! shaders/spike_procedural_ordered.wgsl, which the GPU engine runs with
//! `GpuOptions::deterministic`): a (batch element, chunk of post neurons)
//! at a time, the chunk's own columns of the conductance and of the ring
//! of delayed inputs, the spikes in ascending rank from the spike ring's
//! bitmask, each one's targets in the chunk drawn again.
//!
//! The CPU engine runs [`spike_procedural`](super::spike_procedural),
//! which adds the same values in the same order into each target (its
//! spikes come sorted, and its parallel path splits by chunk the same
//! way), so the sums are the same bits (tests below).
//!
//! Bindings, in order: the post-synaptic conductance, the generator (its
//! threshold tables), the ring of delayed inputs (per-synapse delays),
//! (the parameters, unused), the spike ring's counts and bitmasks.

use super::spike_gather::SpikeBits;
use super::spike_propagate::Element;
use crate::connect::procedural::Procedural;

/// `g[target] += w(pre, target)` (or, with per-synapse delays, into the
/// row of `ring` its delay makes it due, after this step's row has joined
/// `g`) for every target of every spike of `gen.spike_delay()` steps ago
/// (`spikes`, at ring position `pos`), chunk by chunk, the spikes of each
/// in ascending rank.
pub fn spike_procedural_ordered<R: crate::real::Real>(
    g: &mut [R],
    gen: &Procedural,
    object: u32,
    ring: &mut [R],
    spikes: &SpikeBits,
    (n_pre, n_post): Element,
    pos: u32,
) {
    let np = g.len();
    let batch = np as u32 / n_post.max(1);
    let d_max = gen.delay;
    let delayed = gen.per_synapse_delays();
    for bi in 0..batch {
        let off = (bi * n_post) as usize;
        for c in 0..gen.chunks() {
            let base = (c * gen.chunk) as usize;
            let len = (gen.chunk as usize).min(n_post as usize - base);
            if delayed {
                let row = (pos % d_max) as usize * np + off + base;
                for x in 0..len {
                    g[off + base + x] += ring[row + x];
                    ring[row + x] = R::ZERO;
                }
            }
            let d = gen.spike_delay();
            if !spikes.any(d) {
                continue;
            }
            for j in 0..n_pre {
                if !spikes.spiked(d, bi * n_pre + j) {
                    continue;
                }
                gen.chunk_row(object, j, c, |t| {
                    let w = gen.weight_at::<R>(object, j, t);
                    let at = off + t as usize;
                    match delayed.then(|| gen.delay_at(object, j, t)) {
                        None | Some(1) => g[at] += w,
                        Some(dd) => ring[((pos + dd - 1) % d_max) as usize * np + at] += w,
                    }
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::procedural::ProceduralWeight;
    use crate::connect::Weights;
    use crate::engine::cpu::spike_procedural::{spike_procedural, spike_procedural_delayed};
    use crate::random::Dist;

    fn generator(delays: (u32, Vec<u32>)) -> Procedural {
        let w = ProceduralWeight::new("test", &Weights::random(Dist::normal(0.5, 0.3))).unwrap();
        Procedural::new("test", 7, 0.2, w, delays, 300, 500, false).unwrap()
    }

    fn spikes() -> Vec<u32> {
        (0..300).filter(|j| (j * 7919) % 5 == 0).collect()
    }

    #[test]
    fn draws_and_adds_as_spike_procedural_bit_for_bit() {
        let gen = generator((1, Vec::new()));
        let object = 0x8000_0FFF;
        let list = spikes();
        let start: Vec<f32> = (0..500).map(|i| 0.01 * i as f32).collect();
        let mut pushed = start.clone();
        spike_procedural(&gen, object, &list, (300, 500), &mut pushed);
        let words = SpikeBits::ring_of(std::slice::from_ref(&list), 2, 300, 9);
        let bits = SpikeBits {
            words: &words,
            ring: 2,
            n: 300,
            pos: 9,
        };
        let mut ordered = start.clone();
        spike_procedural_ordered(&mut ordered, &gen, object, &mut [], &bits, (300, 500), 9);
        assert!(pushed != start, "nothing delivered");
        for (i, (a, b)) in pushed.iter().zip(&ordered).enumerate() {
            assert_eq!(a.to_bits(), b.to_bits(), "post {i}: {a} vs {b}");
        }
    }

    #[test]
    fn delays_of_their_own_go_through_the_same_ring() {
        // Delays of 1 to 4 steps, a quarter each.
        let quarter = u32::MAX / 4;
        let gen = generator((4, vec![quarter, 2 * quarter, 3 * quarter]));
        let object = 0x8000_1FFF;
        let (mut ring_a, mut ring_b) = (vec![0.0f32; 4 * 500], vec![0.0f32; 4 * 500]);
        let (mut a, mut b) = (vec![0.0f32; 500], vec![0.0f32; 500]);
        // A few steps, each with the spikes of the previous one.
        for pos in 0..6u32 {
            let list: Vec<u32> = spikes()
                .into_iter()
                .filter(|j| (j + pos) % 3 != 0)
                .collect();
            spike_procedural_delayed(&gen, object, &list, (300, 500), pos, &mut ring_a, &mut a);
            let words = SpikeBits::ring_of(std::slice::from_ref(&list), 2, 300, pos);
            let bits = SpikeBits {
                words: &words,
                ring: 2,
                n: 300,
                pos,
            };
            spike_procedural_ordered(&mut b, &gen, object, &mut ring_b, &bits, (300, 500), pos);
            assert!(a.iter().any(|&x| x != 0.0), "step {pos}: nothing delivered");
            for (i, (x, y)) in a.iter().zip(&b).enumerate() {
                assert_eq!(x.to_bits(), y.to_bits(), "step {pos}, post {i}: {x} vs {y}");
            }
            assert_eq!(ring_a, ring_b, "step {pos}: the rings");
        }
    }
}

//! Random numbers: distributions for initial values, weights and delays
//! ([`Dist`]), per-object generators ([`rng_for`]) and the counter-based
//! Philox generator shared with the GPU engines ([`philox`]).

mod dist;
pub mod philox;

pub use dist::Dist;

use rand::rngs::StdRng;
use rand::SeedableRng;

/// SplitMix64 finaliser (Steele et al. 2014): a bijection that spreads every
/// input bit over the whole output.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A deterministic generator for one object (`stream`) of a network seeded with `seed`.
///
/// Different streams give unrelated sequences, so adding a projection does not
/// change the synapses of the others.
///
/// ```
/// use rand::Rng;
/// let a: f64 = cajal::random::rng_for(1, 2).random();
/// let b: f64 = cajal::random::rng_for(1, 2).random();
/// assert_eq!(a, b);
/// ```
pub fn rng_for(seed: u64, stream: u64) -> StdRng {
    StdRng::seed_from_u64(splitmix64(seed ^ splitmix64(stream)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_deterministic_and_distinct() {
        let draw = |s, t| rng_for(s, t).random::<u64>();
        assert_eq!(draw(3, 4), draw(3, 4));
        assert_ne!(draw(3, 4), draw(3, 5));
        assert_ne!(draw(3, 4), draw(4, 4));
        // Swapping seed and stream must not collide.
        assert_ne!(draw(3, 4), draw(4, 3));
    }
}

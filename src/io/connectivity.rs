//! A projection's synapses in a file: `Simulation::save_connectivity` and
//! `ProjectionBuilder::connect_from_file` (ANNarchy's `save_connectivity`
//! and `connect_from_file`). Payload: pre and post sizes, dt (ms), the
//! synapse count, then post ranks, pre ranks, weights and delays in steps.

use super::{unframe, R, W};
use crate::error::{Error, Result};

const MAGIC: &[u8; 8] = b"CAJALCON";
/// Version of the format this build writes and reads.
pub const VERSION: u32 = 1;

/// Synapses as saved.
#[derive(Debug, Clone, PartialEq)]
pub struct Saved {
    /// Size of the pre-synaptic population.
    pub pre_size: usize,
    /// Size of the post-synaptic population.
    pub post_size: usize,
    /// Time step of the network that saved them (ms).
    pub dt: f64,
    /// Post-synaptic ranks.
    pub post: Vec<u32>,
    /// Pre-synaptic ranks.
    pub pre: Vec<u32>,
    /// Weights.
    pub w: Vec<f32>,
    /// Delays in steps of `dt`.
    pub delay: Vec<u32>,
}

impl Saved {
    /// Delays in ms.
    pub fn delays_ms(&self) -> Vec<f64> {
        self.delay.iter().map(|&d| d as f64 * self.dt).collect()
    }
}

/// Writes synapses to a file.
pub fn write(path: &std::path::Path, s: &Saved) -> Result<()> {
    let mut w = W::default();
    w.u64(s.pre_size as u64);
    w.u64(s.post_size as u64);
    w.u64(s.dt.to_bits());
    w.u32s(&s.post);
    w.u32s(&s.pre);
    w.f32s(&s.w);
    w.u32s(&s.delay);
    let file = path.display().to_string();
    let bytes = w.finish(&file, MAGIC, VERSION)?;
    super::write_atomic(path, &bytes)
}

/// Reads synapses from a file, checking that the arrays agree.
pub fn read(path: &std::path::Path) -> Result<Saved> {
    let file = path.display().to_string();
    let data = std::fs::read(path).map_err(|source| Error::Io {
        path: file.clone(),
        source,
    })?;
    let (_, payload) = unframe(&file, &data, MAGIC, VERSION..=VERSION, "connectivity")?;
    let mut r = R {
        data: payload,
        at: 0,
        file: &file,
    };
    let s = Saved {
        pre_size: r.u64()? as usize,
        post_size: r.u64()? as usize,
        dt: f64::from_bits(r.u64()?),
        post: r.u32s()?,
        pre: r.u32s()?,
        w: r.f32s()?,
        delay: r.u32s()?,
    };
    let n = s.post.len();
    if s.pre.len() != n || s.w.len() != n || s.delay.len() != n {
        return Err(Error::invalid(
            &file,
            "the arrays of the connectivity file differ in length",
        ));
    }
    Ok(s)
}

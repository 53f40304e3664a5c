//! What compiling a network will allocate, estimated before anything is
//! allocated (see [`crate::memory`] for why an estimate and not only
//! fallible allocations).

use super::*;
use crate::memory::{check, human};

/// One object's share of a network's memory.
struct Share {
    owner: String,
    what: &'static str,
    bytes: f64,
    advice: &'static str,
}

const FEWER: &str = "use fewer neurons";
const SYNAPSES: &str = "connect fewer synapses, or draw them procedurally \
    (connect_fixed_probability_procedural stores none)";
const DELAYS: &str = "use shorter delays (every step up to the longest delay keeps its spikes \
    or rates in a ring)";

impl Network {
    /// The host memory, in bytes, that compiling this network will take
    /// (populations' state, synapses and their variables, the rings that
    /// hold spikes and rates for the delays): an estimate, within a small
    /// factor, that [`compile`](Self::compile) checks against
    /// [`memory::available`](crate::memory::available) before allocating.
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// let (net, _, _) = cajal::networks::coba(4000, 1)?;
    /// let mb = net.memory_estimate() as f64 / 1e6;
    /// assert!(mb > 1.0 && mb < 100.0, "{mb} MB");
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn memory_estimate(&self) -> u64 {
        self.shares()
            .iter()
            .map(|s| s.bytes)
            .sum::<f64>()
            .min(u64::MAX as f64) as u64
    }

    fn shares(&self) -> Vec<Share> {
        let mut out = Vec::new();
        // Bytes a value in the network's precision.
        let value = self.precision().size() as f64;
        // Longest delay (steps) of each population's outgoing projections,
        // and whether a rate history is kept.
        let mut depth = vec![0f64; self.pops.len()];
        for pr in &self.projs {
            let owner = format!("projection '{}'", pr.name);
            let d = if let Some(g) = &pr.procedural {
                f64::from(g.delay)
            } else if let Some(c) = &pr.conv {
                f64::from(c.delay)
            } else {
                pr.synapses
                    .delay
                    .iter()
                    .copied()
                    .max()
                    .map_or(1.0, f64::from)
            };
            let pre = pr.pre.0;
            depth[pre] = depth[pre].max(d);
            let n_pre = self.pops[pre].size() as f64;
            let n_post = self.pops[pr.post.0].size() as f64;
            if !self.pops[pre].ir.spiking && d > 1.0 {
                out.push(Share {
                    owner: owner.clone(),
                    what: "the pre-synaptic rates of each step up to its delay",
                    bytes: d * n_pre * value,
                    advice: DELAYS,
                });
            }
            if let Some(g) = &pr.procedural {
                out.push(Share {
                    owner,
                    what: "the ring of conductances its delay needs",
                    bytes: f64::from(g.delay) * n_post * value,
                    advice: DELAYS,
                });
                continue;
            }
            let n = pr.synapses.post.len() as f64;
            let vars = pr.values.len() as f64;
            // The list (shared by the network and the simulation) and the
            // engine's copy in its own order; each variable twice (the
            // simulation's network keeps its compiled values).
            out.push(Share {
                owner,
                what: "its synapses",
                bytes: n * (16.0 * 2.0 + vars * value * 3.0),
                advice: SYNAPSES,
            });
        }
        for (p, d) in self.pops.iter().zip(depth) {
            let n = p.size() as f64;
            let owner = format!("population '{}'", p.name);
            // The network's initial values, the simulation's copy and the
            // engine's state; the sums of its targets.
            out.push(Share {
                owner: owner.clone(),
                what: "its variables",
                bytes: n * value * (p.ir.vars.len() as f64 * 3.0 + p.ir.targets.len() as f64),
                advice: FEWER,
            });
            if p.ir.spiking && d > 1.0 {
                out.push(Share {
                    owner,
                    what: "the spikes of each step up to its longest outgoing delay",
                    bytes: d * (24.0 + n / 8.0),
                    advice: DELAYS,
                });
            }
        }
        out
    }

    /// Refuses to compile a network larger than the memory available,
    /// naming its largest object.
    pub(super) fn check_memory(&self) -> Result<()> {
        let shares = self.shares();
        let total: f64 = shares.iter().map(|s| s.bytes).sum();
        let Some(big) = shares.iter().max_by(|a, b| a.bytes.total_cmp(&b.bytes)) else {
            return Ok(());
        };
        let what = format!(
            "{} take {}, of about {} for the whole network",
            big.what,
            human(big.bytes.min(u64::MAX as f64) as u64),
            human(total.min(u64::MAX as f64) as u64)
        );
        check(&big.owner, &what, total, big.advice)
    }
}

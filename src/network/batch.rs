//! Batch simulation (ml_genn's `batch_size`): `B` copies of a network run
//! side by side on one engine, each with its own state, sharing the
//! parameters and the connectivity.
//!
//! Batching is a transformation of the network before the engines see it:
//! every population gets a leading batch dimension (`[n]` becomes `[B, n]`,
//! `[h, w]` becomes `[B, h, w]`), so its per-neuron variables, spike
//! histories, input tables and monitors hold `B` elements one after the
//! other, and the neuron kernels run unchanged over `B n` neurons.
//! Population-wide parameters stay one value. A projection keeps **one**
//! synapse list and one set of weights; `Network::batch` tells the kernels
//! that a pre rank `b n_pre + i` is neuron `i` of element `b` and sends its
//! input to the post ranks `b n_post + j` (`rate_sum` and
//! `spike_propagate`, both engines). A convolution or pooling window gains
//! a kernel-1 axis that follows the batch coordinate, so its kernels run
//! unchanged too (still nothing stored per synapse).
//!
//! What stays shared by the elements: population-wide parameters, weights
//! and every synapse variable, and the random draws of `: population`
//! variables and of synapses (keyed by the synapse, not the element). A
//! neuron's random draws are keyed by its rank in the batched population, so
//! element 0 draws what an unbatched run draws and the other elements draw
//! independent numbers.
//!
//! Refused, with an error naming the projection: learning (a rule would
//! change the weights all elements share; ml_genn trains with batches by
//! averaging gradients, which is not a simulation), synapses whose events
//! assign synapse variables, DecodingProjections, and populations of 4
//! dimensions (the batch dimension makes a fifth).

use std::sync::Arc;

use super::conv::{Axis, ConvProjection};
use super::feed::Feed;
use super::geometry::Geometry;
use super::Network;
use crate::error::{Error, Result};
use crate::lang::ir::{EventStmt, Locality};

impl Network {
    /// The network of `batch` elements the engines run (see the
    /// [module documentation](self)); [`Network::compile_batched`] compiles
    /// it. Useful on its own to inspect or validate what the engines get.
    pub fn batched(&self, batch: usize) -> Result<Network> {
        if batch == 0 {
            return Err(Error::invalid(
                "network",
                "the batch size must be at least 1",
            ));
        }
        if self.batch != 1 {
            return Err(Error::invalid("network", "the network is already batched"));
        }
        let mut net = self.clone();
        if batch == 1 {
            return Ok(net);
        }
        for pr in &self.projs {
            let owner = format!("projection '{}'", pr.name);
            let refuse = |why: &str| {
                Err(Error::Unsupported {
                    owner: owner.clone(),
                    message: format!(
                        "{why}: batch simulation shares the weights and synapse variables between the elements, so it runs networks without plasticity"
                    ),
                })
            };
            if !pr.ir.update.is_empty() {
                return refuse("the synapse model has a learning rule (equations)");
            }
            if !pr.ir.post_spike.is_empty() || pr.ir.event_driven {
                return refuse(
                    "the synapse model has post_spike statements or event-driven variables",
                );
            }
            if pr
                .ir
                .pre_spike
                .iter()
                .any(|s| matches!(s, EventStmt::Store { .. }))
            {
                return refuse("pre_spike assigns synapse variables");
            }
            if pr.window.is_some() {
                return Err(Error::Unsupported {
                    owner,
                    message: "a DecodingProjection cannot be batched in this version".into(),
                });
            }
        }
        // The repeated initial values, then the simulation's copy and the
        // engine's state, as `population` counts them: refused before
        // they are allocated (a repeat past memory aborts).
        let values: f64 = self
            .pops
            .iter()
            .map(|p| p.size() as f64 * p.ir.vars.len() as f64)
            .sum();
        crate::memory::check(
            "network",
            &format!("{batch} copies of every population"),
            values * batch as f64 * 4.0 * 3.0,
            "use a smaller batch",
        )?;
        for p in &mut net.pops {
            let owner = format!("population '{}'", p.name);
            let n = p.size();
            let mut dims = vec![batch];
            dims.extend_from_slice(p.geometry.dims());
            if dims.len() > 4 {
                return Err(Error::invalid(
                    owner,
                    format!(
                        "a batched population has at most 3 dimensions of its own (the batch is the first of 4), got {:?}",
                        p.geometry.dims()
                    ),
                ));
            }
            p.geometry = Geometry::new(&dims).map_err(|e| Error::invalid(&owner, e.to_string()))?;
            for (values, decl) in p.init.iter_mut().zip(&p.ir.vars) {
                if decl.locality == Locality::Local {
                    *values = values.repeat(batch);
                }
            }
            if let Some(f) = &mut p.feed {
                *f = batch_feed(f, n, batch);
            }
        }
        for m in &mut net.monitors {
            if let Some(ranks) = &mut m.ranks {
                let n = self.pops[m.pop.0].size() as u32;
                *ranks = (0..batch as u32)
                    .flat_map(|b| ranks.iter().map(move |&r| b * n + r))
                    .collect();
            }
        }
        for pr in &mut net.projs {
            if let Some(c) = &pr.conv {
                let mut c: ConvProjection = (**c).clone();
                let w = &mut c.conv.window;
                let n_post = w.post.iter().product::<usize>();
                let d = w.pre.len();
                w.pre.insert(0, batch);
                w.post.insert(0, batch);
                for a in &mut w.axes {
                    a.post_dim = a.post_dim.map(|p| p + 1);
                }
                w.axes.insert(
                    0,
                    Axis {
                        kernel: 1,
                        post_dim: Some(0),
                        stride: 1,
                        offset: 0,
                    },
                );
                w.bank = w.bank.map(|b| b + 1);
                if let Some(starts) = &mut w.starts {
                    let mut all = Vec::with_capacity(batch * n_post * (d + 1));
                    for b in 0..batch {
                        for r in 0..n_post {
                            all.push(b as i32);
                            all.extend_from_slice(&starts[r * d..(r + 1) * d]);
                        }
                    }
                    *starts = all;
                }
                pr.conv = Some(Arc::new(c));
            }
        }
        net.batch = batch;
        Ok(net)
    }

    /// The batch size the network was compiled with (1 unless
    /// [`Network::compile_batched`]).
    pub fn batch_size(&self) -> usize {
        self.batch
    }
}

/// An input table for `batch` copies of a population of `n` neurons: each
/// element gets the same rows (or spike times).
pub(crate) fn batch_feed(f: &Feed, n: usize, batch: usize) -> Feed {
    match f.clone() {
        // One value for every neuron serves every element as it is.
        Feed::Rows { width: 1, .. } => f.clone(),
        Feed::Rows {
            slot,
            width,
            values,
            starts,
            period,
        } => {
            let values = values
                .chunks(width)
                .flat_map(|row| row.repeat(batch))
                .collect();
            Feed::Rows {
                slot,
                width: width * batch,
                values,
                starts,
                period,
            }
        }
        Feed::Events { slot, ptr, steps } => {
            let total = *ptr.last().unwrap_or(&0);
            let mut p = Vec::with_capacity(n * batch + 1);
            p.push(0);
            for b in 0..batch as u32 {
                p.extend(ptr[1..].iter().map(|&x| x + b * total));
            }
            Feed::Events {
                slot,
                ptr: p,
                steps: steps.repeat(batch),
            }
        }
    }
}

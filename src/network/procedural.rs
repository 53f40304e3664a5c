//! The builder side of procedural connectivity
//! ([`crate::connect::procedural`]).

use std::sync::Arc;

use super::{ProjId, Projection, ProjectionBuilder};
use crate::connect::procedural::{delay_spec, Procedural, ProceduralWeight};
use crate::connect::{Delays, Weights};
use crate::error::{Error, Result};
use crate::lang::analyse_synapse;
use crate::lang::ir::Locality;

impl ProjectionBuilder<'_> {
    /// Fixed-probability connectivity that is never stored (GeNN's
    /// procedural connectivity): every pair of neurons is connected with
    /// probability `p`, the synapses have the weights `weights` (a constant,
    /// or a draw per synapse from a uniform, normal, log-normal or
    /// exponential distribution, optionally clipped: GeNN's procedural
    /// weights) and the builder's [`delays`](Self::delays) (one for all,
    /// none: one step; or drawn
    /// per synapse from a uniform, normal, log-normal or exponential
    /// distribution, optionally clipped, rounded to steps as stored delays
    /// are), and each spike's targets, weights and delays are drawn again
    /// from the network seed when it is delivered, on both engines alike.
    /// Per-synapse delays wait in a ring of future inputs a post neuron
    /// (GeNN's dendritic delays: as many rows as the longest delay has
    /// steps); a simulation with them cannot be saved. The projection
    /// takes no memory per synapse and the delivery reads none, which is
    /// what lets a network of a billion synapses fit.
    ///
    /// Between spiking populations, with the default synapse (`g_target +=
    /// w`), whole populations (no views). The synapses can still be read
    /// ([`Simulation::synapses`](crate::engine::Simulation::synapses),
    /// `connectivity_matrix`): they are drawn for the purpose.
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// let mut net = Network::new().dt(0.1);
    /// let lif = cajal::models::if_curr_exp();
    /// let a = net.population("a", 1000, &lif)?;
    /// net.projection(a, a, "exc")
    ///     .delays(1.5).connect_fixed_probability_procedural(0.02, Weights::constant(0.1))?;
    /// // Normal weights, clipped at 0, and normal delays of at least a step,
    /// // drawn again at each spike:
    /// let w = Weights::random(Dist::normal(0.1, 0.01).min(0.0));
    /// let d = Delays::random(Dist::normal(1.5, 0.75).min(0.1));
    /// net.projection(a, a, "inh").delays(d).connect_fixed_probability_procedural(0.02, w)?;
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn connect_fixed_probability_procedural(
        self,
        p: f64,
        weights: impl Into<Weights>,
    ) -> Result<ProjId> {
        let (weights, delays) = (weights.into(), self.delays.clone());
        let net = self.net;
        net.check_dt()?;
        let pre = net.pop(self.pre)?.clone();
        let post = net.pop(self.post)?.clone();
        let name = self
            .name
            .unwrap_or_else(|| format!("{}->{}:{}", pre.name, post.name, self.target));
        let owner = format!("projection '{name}'");
        if !self.more_targets.is_empty() {
            return Err(Error::Unsupported {
                owner,
                message: "a procedural projection feeds one target: make one projection a target"
                    .into(),
            });
        }
        if net.projs.iter().any(|q| q.name == name) {
            return Err(Error::invalid(
                "network",
                format!("a projection named '{name}' already exists"),
            ));
        }
        let refuse = |m: &str| {
            Err(Error::Unsupported {
                owner: owner.clone(),
                message: format!("procedural connectivity: {m}"),
            })
        };
        if !pre.ir.spiking || !post.ir.spiking {
            return refuse("it joins two spiking populations");
        }
        if !self.synapse.is_default() {
            return refuse(
                "it takes the default synapse (g_target += w), whose weight is the one given",
            );
        }
        if self.pre_ranks.is_some() || self.post_ranks.is_some() {
            return refuse("it joins whole populations, not views");
        }
        if self.window_ms.is_some() || self.inject {
            return refuse("it is a plain spiking projection");
        }
        if !post
            .ir
            .conductances
            .iter()
            .any(|(t, _, _)| *t == self.target)
        {
            return Err(Error::Connector {
                projection: name,
                message: format!(
                    "population '{}' (model '{}') does not use the conductance g_{}: add it to its equations",
                    post.name, post.ir.name, self.target
                ),
            });
        }
        if net
            .projs
            .iter()
            .any(|q| q.post == self.post && q.target == self.target && q.inject)
        {
            return Err(Error::invalid(
                owner,
                format!(
                    "a CurrentInjection sets g_{} of population '{}': no other projection may feed it",
                    self.target, post.name
                ),
            ));
        }
        let delay = delay_spec(&owner, &delays, net.dt)?;
        let skip_self = self.pre == self.post && !self.allow_self;
        let weight = ProceduralWeight::new(&owner, &weights)?;
        let gen = Procedural::new(
            &owner,
            net.seed,
            p,
            weight,
            delay,
            pre.size(),
            post.size(),
            skip_self,
        )?;
        let ir = analyse_synapse(&self.synapse, &net.globals)?;
        let values = ir
            .vars
            .iter()
            .map(|v| {
                let n = usize::from(v.locality == Locality::Global);
                crate::real::Reals::filled(net.globals.dtype, v.init, n)
            })
            .collect();
        net.projs.push(Projection {
            set_slots: Default::default(),
            connector: format!(
                "fixed_probability(p = {p}), procedural, w = {}, delay = {}",
                match &weights {
                    Weights::Constant(w) => w.to_string(),
                    Weights::Random(d) => format!("{d:?}"),
                },
                match &delays {
                    Delays::Constant(ms) => format!("{ms} ms"),
                    Delays::Random(d) => format!("{d:?} ms"),
                }
            ),
            name,
            pre: self.pre,
            post: self.post,
            target: self.target,
            more_targets: Vec::new(),
            ir: Arc::new(ir),
            operation: self.synapse.operation,
            synapses: Default::default(),
            parts: None,
            values,
            model: self.synapse,
            window: None,
            inject: false,
            conv: None,
            procedural: Some(Arc::new(gen)),
        });
        Ok(ProjId(net.projs.len() - 1, net.tag))
    }
}

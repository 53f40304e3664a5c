//! The builder side of procedural connectivity
//! ([`crate::connect::procedural`]).

use std::sync::Arc;

use super::{ProjId, Projection, ProjectionBuilder};
use crate::connect::procedural::{Procedural, ProceduralWeight};
use crate::connect::Weights;
use crate::error::{Error, Result};
use crate::lang::analyse_synapse;
use crate::lang::ir::Locality;

impl ProjectionBuilder<'_> {
    /// Fixed-probability connectivity that is never stored (GeNN's
    /// procedural connectivity): every pair of neurons is connected with
    /// probability `p`, the synapses have the weights `weights` (a constant,
    /// or a draw per synapse from a uniform, normal, log-normal or
    /// exponential distribution, optionally clipped: GeNN's procedural
    /// weights) and all the delay `delay_ms` (0: one step), and each
    /// spike's targets and their weights are drawn again from the network
    /// seed when it is delivered, on both engines alike. The projection
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
    ///     .connect_fixed_probability_procedural(0.02, Weights::constant(0.1), 1.5)?;
    /// // Normal weights, clipped at 0, drawn again at each spike:
    /// let w = Weights::random(Dist::normal(0.1, 0.01).min(0.0));
    /// net.projection(a, a, "inh").connect_fixed_probability_procedural(0.02, w, 0.8)?;
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn connect_fixed_probability_procedural(
        self,
        p: f64,
        weights: Weights,
        delay_ms: f64,
    ) -> Result<ProjId> {
        let net = self.net;
        net.check_dt()?;
        let pre = net.pop(self.pre)?.clone();
        let post = net.pop(self.post)?.clone();
        let name = self
            .name
            .unwrap_or_else(|| format!("{}->{}:{}", pre.name, post.name, self.target));
        let owner = format!("projection '{name}'");
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
        if !(delay_ms.is_finite() && delay_ms >= 0.0) {
            return Err(Error::invalid(
                owner,
                format!("the delay must be a non-negative number of ms, got {delay_ms}"),
            ));
        }
        let steps = (delay_ms / net.dt).round().max(1.0);
        if steps > 65535.0 {
            return Err(Error::invalid(
                owner,
                format!("a delay of {delay_ms} ms is over 65535 steps"),
            ));
        }
        let skip_self = self.pre == self.post && !self.allow_self;
        let weight = ProceduralWeight::new(&owner, &weights)?;
        let gen = Procedural::new(
            &owner,
            net.seed,
            p,
            weight,
            steps as u32,
            pre.size(),
            post.size(),
            skip_self,
        )?;
        let ir = analyse_synapse(&self.synapse, &net.constants)?;
        let values = ir
            .vars
            .iter()
            .map(|v| {
                if v.locality == Locality::Global {
                    vec![v.init]
                } else {
                    Vec::new()
                }
            })
            .collect();
        net.projs.push(Projection {
            connector: format!(
                "fixed_probability(p = {p}), procedural, w = {}, delay = {delay_ms} ms",
                match &weights {
                    Weights::Constant(w) => w.to_string(),
                    Weights::Random(d) => format!("{d:?}"),
                }
            ),
            name,
            pre: self.pre,
            post: self.post,
            target: self.target,
            ir: Arc::new(ir),
            operation: self.synapse.operation,
            synapses: Default::default(),
            values,
            model: self.synapse,
            window: None,
            inject: false,
            conv: None,
            procedural: Some(Arc::new(gen)),
        });
        Ok(ProjId(net.projs.len() - 1))
    }
}

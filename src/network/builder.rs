//! The projection builder: targets, synapse model, delays, and the
//! connectors that finish a projection.

use super::*;
use crate::real::Reals;

/// The target or targets of a projection: a name (`"exc"`), or several
/// (`["ampa", "nmda"]`, ANNarchy's list), each conductance of which
/// `g_target += w` increments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Targets(pub Vec<String>);

impl From<&str> for Targets {
    fn from(t: &str) -> Self {
        Targets(vec![t.to_string()])
    }
}

impl From<&String> for Targets {
    fn from(t: &String) -> Self {
        Targets(vec![t.clone()])
    }
}

impl From<String> for Targets {
    fn from(t: String) -> Self {
        Targets(vec![t])
    }
}

impl From<&[&str]> for Targets {
    fn from(t: &[&str]) -> Self {
        Targets(t.iter().map(|s| s.to_string()).collect())
    }
}

impl<const N: usize> From<[&str; N]> for Targets {
    fn from(t: [&str; N]) -> Self {
        Targets(t.iter().map(|s| s.to_string()).collect())
    }
}

impl<const N: usize> From<&[&str; N]> for Targets {
    fn from(t: &[&str; N]) -> Self {
        Targets(t.iter().map(|s| s.to_string()).collect())
    }
}

impl From<Vec<String>> for Targets {
    fn from(t: Vec<String>) -> Self {
        Targets(t)
    }
}

/// Builds one projection; created by [`Network::projection`].
pub struct ProjectionBuilder<'a> {
    pub(super) net: &'a mut Network,
    pub(super) pre: PopId,
    pub(super) post: PopId,
    pub(super) pre_ranks: Option<Vec<u32>>,
    pub(super) post_ranks: Option<Vec<u32>>,
    pub(super) target: String,
    pub(super) more_targets: Vec<String>,
    pub(super) synapse: Synapse,
    pub(super) name: Option<String>,
    pub(super) allow_self: bool,
    pub(super) window_ms: Option<f64>,
    pub(super) inject: bool,
    pub(super) delays: Delays,
}

impl<'a> ProjectionBuilder<'a> {
    /// Uses a synapse model (default: [`Synapse::default`]).
    pub fn synapse(mut self, syn: &Synapse) -> Self {
        self.synapse = syn.clone();
        self
    }

    /// Names the projection (default `pre->post:target`, then
    /// `pre->post:target#2`, `#3`, ... for more projections with the same
    /// ends and target); a name given twice is an error.
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_string());
        self
    }

    /// Allows a neuron to connect to itself when pre and post are the same population.
    pub fn allow_self_connections(mut self, allow: bool) -> Self {
        self.allow_self = allow;
        self
    }

    /// The synapses' delays in ms: a number (one for all) or
    /// `Delays::random(dist)` (one draw per synapse, at least one step).
    /// Without it a spike arrives one step later, as ANNarchy's default.
    /// Every connector takes them from here, those that give their own
    /// per-synapse delays ([`connect_from_sparse`](Self::connect_from_sparse),
    /// [`connect_with_func`](Self::connect_with_func)) for the synapses
    /// they leave without one.
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// let mut net = Network::new().dt(0.1);
    /// let pop = net.population("pop", 100, &cajal::models::if_cond_exp())?;
    /// net.projection(pop, pop, "exc")
    ///     .delays(1.5)
    ///     .connect_fixed_probability(0.1, 0.5)?;
    /// net.projection(pop, pop, "inh")
    ///     .delays(Delays::random(Dist::uniform(1.0, 3.0)))
    ///     .connect_fixed_probability(0.1, Dist::normal(0.5, 0.1).min(0.0))?;
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn delays(mut self, delays: impl Into<Delays>) -> Self {
        self.delays = delays.into();
        self
    }

    /// Every pre-synaptic neuron to every post-synaptic one.
    pub fn connect_all_to_all(self, weights: impl Into<Weights>) -> Result<ProjId> {
        self.connect(Connector::AllToAll, weights)
    }

    /// Neuron i to neuron i (equal sizes).
    pub fn connect_one_to_one(self, weights: impl Into<Weights>) -> Result<ProjId> {
        self.connect(Connector::OneToOne, weights)
    }

    /// Each pair connected with probability `p`.
    pub fn connect_fixed_probability(self, p: f64, weights: impl Into<Weights>) -> Result<ProjId> {
        self.connect(Connector::FixedProbability(p), weights)
    }

    /// Each post-synaptic neuron receives exactly `n` synapses.
    pub fn connect_fixed_number_pre(self, n: usize, weights: impl Into<Weights>) -> Result<ProjId> {
        self.connect(Connector::FixedNumberPre(n), weights)
    }

    /// Each pre-synaptic neuron sends exactly `n` synapses.
    pub fn connect_fixed_number_post(
        self,
        n: usize,
        weights: impl Into<Weights>,
    ) -> Result<ProjId> {
        self.connect(Connector::FixedNumberPost(n), weights)
    }

    /// A dense weight matrix `[post, pre]`; NaN means no synapse.
    pub fn connect_from_matrix(self, matrix: Array2<f32>) -> Result<ProjId> {
        self.connect(Connector::FromMatrix(matrix), Weights::Constant(0.0))
    }

    /// Synapses as (post, pre, weight) triplets, optional delays in ms
    /// (without them, the builder's [`delays`](Self::delays)); weights as
    /// `f32` or `f64` (rounded to the network's precision).
    pub fn connect_from_sparse<W: Into<f64> + Copy>(
        self,
        post: Vec<u32>,
        pre: Vec<u32>,
        w: Vec<W>,
        delays_ms: Option<Vec<f64>>,
    ) -> Result<ProjId> {
        self.connect(
            Connector::FromSparse {
                post,
                pre,
                w: w.into_iter().map(Into::into).collect(),
                delay: delays_ms,
            },
            Weights::Constant(0.0),
        )
    }

    /// The synapses (ranks, weights, delays) saved by
    /// [`Simulation::save_connectivity`](crate::engine::Simulation::save_connectivity),
    /// for populations of the same sizes (delays keep their duration in ms).
    pub fn connect_from_file(self, path: impl AsRef<std::path::Path>) -> Result<ProjId> {
        let path = path.as_ref();
        let s = crate::io::connectivity::read(path)?;
        let (pre, post) = (
            self.net.pop(self.pre)?.size(),
            self.net.pop(self.post)?.size(),
        );
        if (s.pre_size, s.post_size) != (pre, post) {
            return Err(Error::Shape {
                owner: path.display().to_string(),
                message: format!(
                    "the file connects {} pre to {} post neurons, these populations have {pre} and {post}",
                    s.pre_size, s.post_size
                ),
            });
        }
        let delays = s.delays_ms();
        self.connect_from_sparse(s.post, s.pre, s.w, Some(delays))
    }

    /// Synapses returned by a function of the geometries (a LIL).
    pub fn connect_with_func(
        self,
        f: impl Fn(&Geometry, &Geometry, &mut StdRng) -> Lil + Send + Sync + 'static,
    ) -> Result<ProjId> {
        self.connect(Connector::WithFunc(Arc::new(f)), Weights::Constant(0.0))
    }

    /// Gaussian weights of the normalised distance (ANNarchy's connect_gaussian).
    pub fn connect_gaussian(self, amp: f32, sigma: f64, limit: f64) -> Result<ProjId> {
        self.connect(
            Connector::Gaussian { amp, sigma, limit },
            Weights::Constant(0.0),
        )
    }

    /// Difference of Gaussians (ANNarchy's connect_dog).
    pub fn connect_dog(
        self,
        amp_pos: f32,
        sigma_pos: f64,
        amp_neg: f32,
        sigma_neg: f64,
        limit: f64,
    ) -> Result<ProjId> {
        self.connect(
            Connector::Dog {
                amp_pos,
                sigma_pos,
                amp_neg,
                sigma_neg,
                limit,
            },
            Weights::Constant(0.0),
        )
    }

    /// Any connector, with the builder's delays.
    pub fn connect(self, connector: Connector, weights: impl Into<Weights>) -> Result<ProjId> {
        let delays = self.delays.clone();
        self.build(connector, weights.into(), delays)
    }

    fn build(self, connector: Connector, weights: Weights, delays: Delays) -> Result<ProjId> {
        let net = self.net;
        net.check_dt()?;
        let pre = net.pop(self.pre)?.clone();
        let post = net.pop(self.post)?.clone();
        let taken = |n: &str| net.projs.iter().any(|p| p.name == n);
        let name = self.name.unwrap_or_else(|| {
            // ANNarchy allows several projections with the same ends and
            // target (two views of one population, two synapse types):
            // their default names are numbered.
            let targets = std::iter::once(self.target.as_str())
                .chain(self.more_targets.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join("+");
            let base = format!("{}->{}:{}", pre.name, post.name, targets);
            let mut name = base.clone();
            let mut k = 2;
            while taken(&name) {
                name = format!("{base}#{k}");
                k += 1;
            }
            name
        });
        if taken(&name) {
            return Err(Error::invalid(
                "network",
                format!("a projection named '{name}' already exists"),
            ));
        }
        let conn_err = |m: String| Error::Connector {
            projection: name.clone(),
            message: m,
        };
        for t in std::iter::once(&self.target).chain(&self.more_targets) {
            if t.is_empty() || !t.chars().all(|c| c.is_alphanumeric() || c == '_') {
                return Err(conn_err(format!("'{t}' is not a valid target name")));
            }
        }
        if !self.more_targets.is_empty() {
            let all: Vec<&str> = std::iter::once(self.target.as_str())
                .chain(self.more_targets.iter().map(String::as_str))
                .collect();
            if let Some(t) = all.iter().enumerate().find(|(i, t)| all[..*i].contains(t)) {
                return Err(conn_err(format!("the target '{}' is given twice", t.1)));
            }
            if self.window_ms.is_some() || self.inject || !pre.ir.spiking || !post.ir.spiking {
                return Err(Error::Unsupported {
                    owner: format!("projection '{name}'"),
                    message: format!(
                        "several targets ({}) are for spiking projections, whose spikes add to each target's conductance; make one projection a target",
                        all.join(", ")
                    ),
                });
            }
            for t in &self.more_targets {
                if !post.ir.conductances.iter().any(|(c, _, _)| c == t) {
                    return Err(conn_err(format!(
                        "population '{}' (model '{}') does not use the conductance g_{t}: add it to its equations",
                        post.name, post.ir.name
                    )));
                }
            }
        }
        let window = match self.window_ms {
            None => None,
            Some(w) => {
                let owner = format!("projection '{name}'");
                if !pre.ir.spiking {
                    return Err(Error::invalid(
                        owner,
                        format!(
                            "a DecodingProjection decodes spikes: population '{}' is rate-coded",
                            pre.name
                        ),
                    ));
                }
                if !(w.is_finite() && w >= 0.0) {
                    return Err(Error::invalid(
                        owner,
                        format!("the window must be a non-negative duration in ms, got {w}"),
                    ));
                }
                if !self.synapse.is_default() {
                    return Err(Error::invalid(
                        owner,
                        "a DecodingProjection counts spikes weighted by w: it takes no synapse model",
                    ));
                }
                if !post.ir.targets.contains(&self.target) {
                    return Err(conn_err(format!(
                        "population '{}' (model '{}') does not read sum({}) in its equations",
                        post.name, post.ir.name, self.target
                    )));
                }
                let steps = (w / net.dt).round().max(1.0);
                if steps > 1e6 {
                    return Err(Error::invalid(
                        owner,
                        format!("a window of {w} ms is over a million steps"),
                    ));
                }
                Some(steps as u32)
            }
        };
        // A CurrentInjection sets its conductance: nothing else may add to it.
        let fed = |inject: bool| {
            net.projs
                .iter()
                .any(|p| p.post == self.post && p.target == self.target && (inject || p.inject))
        };
        if fed(self.inject) {
            return Err(Error::invalid(
                format!("projection '{name}'"),
                format!(
                    "a CurrentInjection sets g_{} of population '{}': no other projection may feed it",
                    self.target, post.name
                ),
            ));
        }
        if self.inject {
            let owner = format!("projection '{name}'");
            if pre.ir.spiking || !post.ir.spiking {
                return Err(Error::invalid(
                    owner,
                    format!(
                        "a CurrentInjection goes from a rate-coded population to a spiking one ('{}' is {}, '{}' is {})",
                        pre.name,
                        if pre.ir.spiking { "spiking" } else { "rate-coded" },
                        post.name,
                        if post.ir.spiking { "spiking" } else { "rate-coded" }
                    ),
                ));
            }
            let r = slot_of(&pre, "r")?;
            if pre.ir.vars[r].locality == Locality::Global {
                return Err(Error::invalid(
                    owner,
                    "pre.r is population-wide: it must be per neuron",
                ));
            }
        }
        // A psp written out reads pre-synaptic variables (a firing rate)
        // at every step; spikes themselves need a DecodingProjection.
        let psp_given = !self.synapse.psp.trim().is_empty();
        let rate_read = pre.ir.spiking && !post.ir.spiking && psp_given;
        if pre.ir.spiking && !post.ir.spiking && window.is_none() && !psp_given {
            return Err(Error::Unsupported {
                owner: format!("projection '{name}'"),
                message: format!("population '{}' is spiking and '{}' is rate-coded: spikes reach a rate-coded population through a DecodingProjection (Network::decoding_projection), or write the psp of the synapse to read a variable such as the firing rate (psp = \"w * pre.r\")", pre.name, post.name),
            });
        }
        let mut ir = analyse_synapse(&self.synapse, &net.globals)?;
        // ANNarchy's last-event clock starts at step -10000: event-driven
        // variables relax from there to the first event, not from t = 0.
        if let Some(s) = ir.slot("_t_last") {
            ir.vars[s as usize].init = net.globals.dtype.round(-10000.0 * net.dt);
        }
        // t_pre / t_post: the populations keep their neurons' spike times.
        let spike_time = crate::lang::analysis::SPIKE_TIME.to_string();
        let (pre, post) = {
            if ir.pre_refs.contains(&spike_time) {
                net.keep_spike_times(self.pre, &name)?;
            }
            if ir.post_refs.contains(&spike_time) {
                net.keep_spike_times(self.post, &name)?;
            }
            if pre.ir.spiking && !self.inject && window.is_none() && !rate_read {
                for t in std::iter::once(&self.target).chain(&self.more_targets) {
                    net.input_conductance(self.post, t);
                }
            }
            (net.pop(self.pre)?.clone(), net.pop(self.post)?.clone())
        };
        // Check the target against the post-synaptic model: spikes feed a
        // conductance, rates feed sum(target) (of a rate-coded neuron, or of a
        // spiking one in a hybrid network).
        if window.is_some() {
            // Checked above.
        } else if (pre.ir.spiking && !rate_read) || self.inject {
            if !post
                .ir
                .conductances
                .iter()
                .any(|(t, _, _)| *t == self.target)
            {
                return Err(conn_err(format!(
                    "population '{}' (model '{}') does not use the conductance g_{}: add it to its equations",
                    post.name, post.ir.name, self.target
                )));
            }
        } else if !post.ir.targets.contains(&self.target) {
            let hint = if post.ir.spiking {
                " (a rate-coded population feeds a spiking one through sum(target), as a PoissonPopulation driven by a target reads it; to drive a conductance with a rate use a CurrentInjection)"
            } else {
                ""
            };
            return Err(conn_err(format!(
                "population '{}' (model '{}') does not read sum({}) in its equations{hint}",
                post.name, post.ir.name, self.target
            )));
        }
        let (pre_used, post_used) = ir.refs_used(pre.ir.spiking);
        let hidden_ok = |p: &Population, r: &str| r == spike_time && p.ir.slot(r).is_some();
        for r in pre_used {
            if slot_of(&pre, r).is_err() && !hidden_ok(&pre, r) {
                return Err(conn_err(format!("synapse '{}' reads pre.{r} but population '{}' (model '{}') has no '{r}' (it has: {})", ir.name, pre.name, pre.ir.name, pre.ir.public_names().join(", "))));
            }
        }
        for r in post_used {
            if slot_of(&post, r).is_err() && !hidden_ok(&post, r) {
                return Err(conn_err(format!("synapse '{}' reads post.{r} but population '{}' (model '{}') has no '{r}' (it has: {})", ir.name, post.name, post.ir.name, post.ir.public_names().join(", "))));
            }
        }
        let mut rng = rng_for(net.seed, net.projs.len() as u64);
        // A view is a 1-D population of its own size to the connector.
        let side = |ranks: &Option<Vec<u32>>, p: &Population| -> Result<Geometry> {
            match ranks {
                None => Ok(p.geometry.clone()),
                Some(r) => {
                    if let Some(&bad) = r.iter().find(|&&x| x as usize >= p.size()) {
                        return Err(conn_err(format!(
                            "a view of population '{}' has rank {bad}, out of range (size {})",
                            p.name,
                            p.size()
                        )));
                    }
                    Geometry::new(&[r.len()])
                }
            }
        };
        let (pre_geo, post_geo) = (side(&self.pre_ranks, &pre)?, side(&self.post_ranks, &post)?);
        let views = self.pre_ranks.is_some() || self.post_ranks.is_some();
        let spec = ConnectSpec {
            projection: &name,
            pre: &pre_geo,
            post: &post_geo,
            same_population: self.pre == self.post && !views,
            allow_self_connections: self.allow_self,
            weights: &weights,
            delays: &delays,
            dt: net.dt,
            rate_coded: !pre.ir.spiking,
            dtype: net.globals.dtype,
        };
        // One rank of a distributed run draws the synapses onto its
        // neurons (a view's rows are drawn whole and cut below).
        let sizes: Vec<usize> = net.pops.iter().map(|p| p.size()).collect();
        let block = match (net.rank, &self.post_ranks) {
            (Some(rank), None) => Some(crate::engine::distributed::block_of(
                &sizes,
                self.post.0,
                rank,
            )),
            _ => None,
        };
        let keep = |j: usize| block.as_ref().is_some_and(|b| b.contains(&j));
        let rows: connect::Rows = match block {
            Some(_) => Some(&keep),
            None => None,
        };
        let (mut synapses, counts) = connect::build_rows(&connector, &spec, &mut rng, rows)?;
        if window.is_some() && synapses.delay.iter().any(|&d| d != 1) {
            return Err(conn_err(
                "a DecodingProjection takes no delays (spikes count from the next step)".into(),
            ));
        }
        if views {
            synapses = synapses.on_views(
                self.pre_ranks.as_deref(),
                self.post_ranks.as_deref(),
                self.pre == self.post && !self.allow_self,
            );
        }
        // One rank of a distributed run keeps the synapses onto its neurons.
        let parts = net.rank.map(|rank| {
            use crate::engine::distributed::{slice_list, Parts};
            let parts = match block {
                Some(_) => Parts::from_counts(&counts, &sizes, self.post.0, rank),
                None => {
                    let parts = Parts::of(&synapses, &sizes, self.post.0, rank);
                    synapses = slice_list(&synapses, parts.mine());
                    parts
                }
            };
            Arc::new(parts)
        });
        let nsyn = synapses.post.len();
        let values = ir
            .vars
            .iter()
            .map(|v| {
                if v.name == "w" {
                    synapses.w.clone()
                } else {
                    let n = if v.locality == Locality::Global {
                        1
                    } else {
                        nsyn
                    };
                    Reals::filled(net.globals.dtype, v.init, n)
                }
            })
            .collect();
        net.projs.push(Projection {
            set_slots: Default::default(),
            name,
            pre: self.pre,
            post: self.post,
            target: self.target,
            more_targets: self.more_targets,
            ir: Arc::new(ir),
            operation: self.synapse.operation,
            synapses: Arc::new(synapses),
            parts,
            values,
            connector: crate::network::report::connector(&connector, &weights, &delays),
            model: self.synapse,
            window,
            inject: self.inject,
            conv: None,
            procedural: None,
        });
        Ok(ProjId(net.projs.len() - 1, net.tag))
    }
}

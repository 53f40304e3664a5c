//! Reading and writing synapses; learning on and off.

use super::*;

/// A projection's synapses in (post, pre) order with the values of `var`:
/// those `stored` reads for a slot (one value for all, or one per
/// synapse), or, for a procedural projection, the engines' own draws.
/// Shared by the simulation (the engine's values) and the network before
/// compiling (its initial values).
fn listing(
    pr: &crate::network::Projection,
    index: usize,
    var: &str,
    stored: impl FnOnce(usize) -> Result<crate::real::Reals>,
) -> Result<(Vec<u32>, Vec<u32>, crate::real::Reals)> {
    if pr.conv.is_some() {
        return Err(Error::invalid(
            format!("projection '{}'", pr.name),
            "a convolution or pooling stores no synapses: its shared weights and window are in `net.proj(id)?.conv`",
        ));
    }
    let slot = pr.ir.slot(var).ok_or_else(|| {
        let names: Vec<&str> = pr.ir.vars.iter().map(|v| v.name.as_str()).collect();
        Error::unknown(format!("projection '{}'", pr.name), "variable", var, &names)
    })? as usize;
    if let Some(gen) = &pr.procedural {
        // Drawn for the asking: the same draws the engines make.
        let object = cpu::procedural_object(index);
        let pairs = gen.materialize(object);
        // Drawn in the network's precision, as the engines draw them.
        let v = if var == "w" {
            let dtype = pr.values[slot].dtype();
            crate::real::Reals::of(
                dtype,
                pairs.iter().map(|&(t, j)| match dtype {
                    crate::real::Dtype::F32 => f64::from(gen.weight_at::<f32>(object, j, t)),
                    crate::real::Dtype::F64 => gen.weight_at::<f64>(object, j, t),
                }),
            )
        } else {
            let v = &pr.values[slot];
            let x = if v.is_empty() { 0.0 } else { v.get(0) };
            crate::real::Reals::filled(v.dtype(), x, pairs.len())
        };
        let (post, pre): (Vec<u32>, Vec<u32>) = pairs.into_iter().unzip();
        return Ok((post, pre, v));
    }
    let v = stored(slot)?;
    let n = pr.synapses.post.len();
    let v = if v.len() == 1 { v.repeat(n) } else { v };
    Ok((pr.synapses.post.clone(), pr.synapses.pre.clone(), v))
}

impl Network {
    /// A synapse variable's values before compiling (those the connector,
    /// the synapse model and [`set_projection`](Network::set_projection)
    /// gave), as [`Simulation::synapses`] lists them after.
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// let mut net = Network::new();
    /// let lif = cajal::models::if_curr_exp();
    /// let a = net.population("a", 3, &lif)?;
    /// let p = net.projection(a, a, "exc").connect_all_to_all(0.5)?;
    /// let (post, pre, w) = net.synapses(p, "w")?;
    /// assert_eq!((post.len(), pre[0], w[0]), (6, 1, 0.5));
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn synapses(&self, proj: ProjId, var: &str) -> Result<(Vec<u32>, Vec<u32>, Vec<f32>)> {
        let (post, pre, v) = self.synapse_listing(proj, var)?;
        Ok((post, pre, v.into_f32()))
    }

    /// [`synapses`](Self::synapses) in f64: the values exactly as the
    /// network holds them.
    pub fn synapses_f64(&self, proj: ProjId, var: &str) -> Result<(Vec<u32>, Vec<u32>, Vec<f64>)> {
        let (post, pre, v) = self.synapse_listing(proj, var)?;
        Ok((post, pre, v.into_f64()))
    }

    fn synapse_listing(
        &self,
        proj: ProjId,
        var: &str,
    ) -> Result<(Vec<u32>, Vec<u32>, crate::real::Reals)> {
        let pr = self.proj(proj)?;
        if let Some(p) = &pr.parts {
            return Err(Error::Unsupported {
                owner: format!("projection '{}'", pr.name),
                message: format!(
                    "this network, built as rank {} of a distributed run, holds that rank's synapses only: \
                     read them from the compiled simulation, which gathers every rank's",
                    p.rank
                ),
            });
        }
        listing(pr, proj.0, var, |slot| Ok(pr.values[slot].clone()))
    }
}

impl Simulation {
    /// Whether the engine delivers a projection's spikes with one weight
    /// for all its synapses, reading none per synapse: a spiking projection
    /// of the default synapse whose weights are all one value (on the GPU
    /// engine its weight buffer then holds that value alone). Automatic:
    /// [`set_synapses`](Self::set_synapses) with weights that differ makes
    /// it one a synapse again (the GPU engine allocates them then), one
    /// value for all (or [`reset`](Self::reset)) shares it again, and the
    /// results are the same either way.
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// let mut net = Network::new();
    /// let lif = cajal::models::if_curr_exp();
    /// let a = net.population("a", 100, &lif)?;
    /// let p = net.projection(a, a, "exc")
    ///     .connect_fixed_probability(0.1, Weights::constant(0.5))?;
    /// let mut sim = net.compile(Backend::Cpu)?;
    /// assert!(sim.shares_weight(p)?);
    /// let (post, _, _) = sim.synapses(p, "w")?;
    /// let w: Vec<f32> = (0..post.len()).map(|k| k as f32 * 0.01).collect();
    /// sim.set_synapses(p, "w", &w)?;
    /// assert!(!sim.shares_weight(p)?);
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn shares_weight(&self, proj: ProjId) -> Result<bool> {
        self.net.proj(proj)?;
        Ok(self.engine.shares_weight(proj.0))
    }

    /// The values of a synapse variable (`w`...) in (post, pre) order, with
    /// the post and pre ranks of each synapse (in f32: an f64 network's
    /// rounded, [`synapses_f64`](Self::synapses_f64) gives them whole).
    pub fn synapses(&self, proj: ProjId, var: &str) -> Result<(Vec<u32>, Vec<u32>, Vec<f32>)> {
        let (post, pre, v) = self.synapse_listing(proj, var)?;
        Ok((post, pre, v.into_f32()))
    }

    /// [`synapses`](Self::synapses) in f64: the values exactly as the
    /// engine holds them.
    pub fn synapses_f64(&self, proj: ProjId, var: &str) -> Result<(Vec<u32>, Vec<u32>, Vec<f64>)> {
        let (post, pre, v) = self.synapse_listing(proj, var)?;
        Ok((post, pre, v.into_f64()))
    }

    fn synapse_listing(
        &self,
        proj: ProjId,
        var: &str,
    ) -> Result<(Vec<u32>, Vec<u32>, crate::real::Reals)> {
        let pr = self.net.proj(proj)?;
        let (post, pre, v) = listing(pr, proj.0, var, |slot| {
            self.engine.synapse_values(proj.0, slot)
        })?;
        if pr.parts.is_none() {
            return Ok((post, pre, v));
        }
        // A rank's network lists its synapses; the engine gathers them all.
        let post = self.engine.gather_synapse_ranks(proj.0, post)?;
        let pre = self.engine.gather_synapse_ranks(proj.0, pre)?;
        let v = if v.len() == post.len() {
            v
        } else {
            let x = if v.is_empty() { 0.0 } else { v.get(0) };
            crate::real::Reals::filled(v.dtype(), x, post.len())
        };
        Ok((post, pre, v))
    }

    /// Sets a synapse variable or parameter of a projection: one value per
    /// synapse in the order [`synapses`](Self::synapses) lists them, or a
    /// single value for all (the only form for a projection-wide one);
    /// `f32` or `f64` values, rounded to the network's precision.
    pub fn set_synapses<W: Into<f64> + Copy>(
        &mut self,
        proj: ProjId,
        var: &str,
        values: &[W],
    ) -> Result<()> {
        let dtype = self.net.precision();
        let pr = self.net.proj(proj)?;
        let owner = format!("projection '{}'", pr.name);
        pr.stores_synapses(&owner)?;
        let slot = pr.ir.slot(var).ok_or_else(|| {
            let names: Vec<&str> = pr.ir.vars.iter().map(|v| v.name.as_str()).collect();
            Error::unknown(owner.clone(), "variable", var, &names)
        })? as usize;
        let decl = &pr.ir.vars[slot];
        if decl.kind == crate::lang::ir::VarKind::Hidden {
            return Err(Error::invalid(owner, format!("'{var}' is internal")));
        }
        let n = pr.synapse_count();
        let local = decl.locality == Locality::Local;
        let values: Vec<f64> = values.iter().map(|&x| x.into()).collect();
        let v: Vec<f64> = match (values.len(), local) {
            (1, true) => vec![values[0]; n],
            (1, false) => values,
            (k, true) if k == n => values,
            (k, _) => {
                return Err(Error::Shape {
                    owner,
                    message: format!(
                        "{k} values for '{var}': give one, or one per synapse ({n}){}",
                        if local {
                            ""
                        } else {
                            " (it is projection-wide: one)"
                        }
                    ),
                })
            }
        };
        if let Some(bad) = v.iter().find(|x| !x.is_finite()) {
            return Err(Error::invalid(owner, format!("'{var}' cannot be {bad}")));
        }
        if let Some(why) = v.iter().find_map(|&x| dtype.fit(x).err()) {
            return Err(Error::invalid(owner, format!("'{var}': {why}")));
        }
        self.engine
            .set_synapse_values(proj.0, slot, crate::real::Reals::of(dtype, v))?;
        Ok(())
    }

    /// Sets a synaptic variable or parameter of a projection (ANNarchy's
    /// `proj.U = Normal(0.5, 0.1)` after compile): a scalar for all, one
    /// value per synapse in the order [`synapses`](Self::synapses) lists
    /// them, or a distribution, one draw per synapse from the simulation's
    /// seed ([`set`](Self::set)'s streams: the same seed and calls draw
    /// the same values). A projection-wide parameter takes one value, not
    /// an array or a distribution. Before compiling:
    /// [`Network::set_projection`].
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// let mut net = Network::new();
    /// let lif = cajal::models::if_curr_exp();
    /// let a = net.population("a", 10, &lif)?;
    /// let p = net.projection(a, a, "exc").connect_all_to_all(0.1)?;
    /// let mut sim = net.compile(Backend::Cpu)?;
    /// sim.set_projection(p, "w", Dist::uniform(0.0, 0.2))?;
    /// let (_, _, w) = sim.synapses(p, "w")?;
    /// assert!(w.iter().all(|&x| (0.0..0.2).contains(&x)));
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn set_projection(
        &mut self,
        proj: ProjId,
        var: &str,
        value: impl Into<Value>,
    ) -> Result<()> {
        let pr = self.net.proj(proj)?;
        self.draws += 1;
        let mut rng = rng_for(self.net.seed, 0x2000_0000 + self.draws);
        let (slot, values) =
            crate::network::synapse_values(pr, var, &value.into(), &mut rng, self.net.precision())?;
        self.engine.set_synapse_values(proj.0, slot, values)
    }

    /// A projection's variable as a dense `[post, pre]` matrix, NaN where
    /// there is no synapse (ANNarchy's `connectivity_matrix`).
    pub fn connectivity_matrix(&self, proj: ProjId, var: &str) -> Result<Array2<f32>> {
        let (post, pre, v) = self.synapses(proj, var)?;
        let pr = self.net.proj(proj)?;
        // One batch element's matrix: the elements share the synapses.
        let b = self.net.batch;
        let (n_post, n_pre) = (
            self.net.pop(pr.post)?.size() / b,
            self.net.pop(pr.pre)?.size() / b,
        );
        let cells = n_post.checked_mul(n_pre).filter(|&c| c <= 1 << 31).ok_or_else(|| {
            Error::invalid(
                format!("projection '{}'", pr.name),
                format!("a dense {n_post} x {n_pre} matrix is too large: read the synapses (COO) or a dendrite"),
            )
        })?;
        let mut m = Array2::from_elem((n_post, n_pre), f32::NAN);
        debug_assert!(cells == m.len());
        for ((&i, &j), &x) in post.iter().zip(&pre).zip(&v) {
            m[[i as usize, j as usize]] = x;
        }
        Ok(m)
    }

    /// The synapses of one post-synaptic neuron (ANNarchy's `Dendrite`):
    /// its pre-synaptic ranks and their values of `var`.
    pub fn dendrite(&self, proj: ProjId, post: usize, var: &str) -> Result<(Vec<u32>, Vec<f32>)> {
        let pr = self.net.proj(proj)?;
        let n_post = self.net.pop(pr.post)?.size();
        if post >= n_post {
            return Err(Error::invalid(
                format!("projection '{}'", pr.name),
                format!("post-synaptic rank {post} is out of range (size {n_post})"),
            ));
        }
        let (posts, pre, v) = self.synapses(proj, var)?;
        // Synapses are sorted by (post, pre).
        let a = posts.partition_point(|&p| (p as usize) < post);
        let b = posts.partition_point(|&p| (p as usize) <= post);
        Ok((pre[a..b].to_vec(), v[a..b].to_vec()))
    }

    /// Turns learning on (ANNarchy's `enable_learning`) for one projection
    /// or, with `None`, every projection that has a learning rule: the rule
    /// runs every `period_ms` (default: every step) at the steps whose time
    /// modulo the period is `offset_ms` (default 0).
    pub fn enable_learning(
        &mut self,
        proj: Option<ProjId>,
        period_ms: Option<f64>,
        offset_ms: Option<f64>,
    ) -> Result<()> {
        let dt = self.net.dt;
        let steps = |what: &str, ms: f64| -> Result<u64> {
            if !(ms.is_finite() && ms >= 0.0) {
                return Err(Error::invalid(
                    "enable_learning",
                    format!("the {what} must be a non-negative number of ms, got {ms}"),
                ));
            }
            Ok((ms / dt).round() as u64)
        };
        let period = steps("period", period_ms.unwrap_or(dt))?.max(1);
        let offset = steps("offset", offset_ms.unwrap_or(0.0))? % period;
        self.switch_learning(proj, |_| Learning {
            on: true,
            period,
            offset,
        })
    }

    /// Turns learning off for one projection or, with `None`, all of them
    /// (ANNarchy's `disable_learning`); weights keep their values. Each
    /// keeps its period and offset, on which a spiking synapse's equations
    /// go on running (leaving `w` alone), as in ANNarchy.
    pub fn disable_learning(&mut self, proj: Option<ProjId>) -> Result<()> {
        self.learning_on(proj, false)
    }

    /// Turns learning on or off for one projection or, with `None`, all
    /// of them, keeping each one's period and offset: ANNarchy's
    /// `proj.plasticity` flag for a spiking projection and `proj.update`
    /// for a rate-coded one ([`disable_learning`](Self::disable_learning)
    /// is `learning_on(proj, false)`).
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// let mut net = Network::new().dt(1.0);
    /// let a = net.population("a", 1, &Neuron::rate().parameters("r = 1.0"))?;
    /// let b = net.population("b", 1, &Neuron::rate().equations("r = sum(exc)"))?;
    /// let grow = Synapse::new().equations("dw/dt = 1.0");
    /// let p = net.projection(a, b, "exc").synapse(&grow).connect_all_to_all(0.0)?;
    /// let mut sim = net.compile(Backend::Cpu)?;
    /// sim.enable_learning(Some(p), Some(2.0), None)?; // every 2 ms, over 2 ms
    /// sim.simulate(4.0)?;
    /// sim.learning_on(Some(p), false)?;
    /// sim.simulate(4.0)?;
    /// sim.learning_on(Some(p), true)?; // still every 2 ms
    /// sim.simulate(2.0)?;
    /// assert_eq!(sim.synapses(p, "w")?.2, vec![6.0]);
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn learning_on(&mut self, proj: Option<ProjId>, on: bool) -> Result<()> {
        self.switch_learning(proj, |l| Learning { on, ..l })
    }

    /// Sets the learning of one projection (which must have a learning
    /// rule) or of all to what `f` makes of its current one.
    fn switch_learning(
        &mut self,
        proj: Option<ProjId>,
        f: impl Fn(Learning) -> Learning,
    ) -> Result<()> {
        let ids: Vec<usize> = match proj {
            Some(p) => {
                let pr = self.net.proj(p)?;
                let learns = !pr.ir.update.is_empty()
                    || !pr.ir.post_spike.is_empty()
                    || pr
                        .ir
                        .pre_spike
                        .iter()
                        .any(|s| matches!(s, crate::lang::ir::EventStmt::Store { .. }));
                if !learns {
                    return Err(Error::invalid(
                        format!("projection '{}'", pr.name),
                        format!(
                            "its synapse model '{}' has no learning rule (no equations, no assignments in pre_spike or post_spike)",
                            pr.ir.name
                        ),
                    ));
                }
                vec![p.0]
            }
            None => (0..self.net.projs.len()).collect(),
        };
        for i in ids {
            let l = f(self.learning[i]);
            self.engine.set_learning(i, l);
            self.learning[i] = l;
        }
        Ok(())
    }
}

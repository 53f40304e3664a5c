//! Monitors: what a network records of its populations (variables and
//! spikes) and of its projections' synapses.

use super::*;

impl Network {
    /// Records variables (and `spike`) of a population at every step.
    /// `what` is a population or a [`View`] (then only its neurons are
    /// recorded, in view order).
    pub fn monitor(&mut self, what: impl Into<Part>, vars: &[&str]) -> Result<MonitorId> {
        self.monitor_with(what, vars, self.dt, true)
    }

    /// Records variables every `period_ms` (rounded to steps, at least one);
    /// with `start = false` the monitor waits for [`crate::engine::Simulation::resume`].
    pub fn monitor_with(
        &mut self,
        what: impl Into<Part>,
        vars: &[&str],
        period_ms: f64,
        start: bool,
    ) -> Result<MonitorId> {
        self.check_dt()?;
        let Part { pop, ranks } = what.into();
        let p = self.pop(pop)?;
        if let Some(bad) = ranks.iter().flatten().find(|&&r| r as usize >= p.size()) {
            return Err(Error::invalid(
                format!("monitor of population '{}'", p.name),
                format!("the view has rank {bad}, out of range (size {})", p.size()),
            ));
        }
        let owner = format!("monitor of population '{}'", p.name);
        if vars.is_empty() {
            return Err(Error::invalid(
                owner,
                "name at least one variable (or \"spike\")",
            ));
        }
        let mut spikes = false;
        let mut names = Vec::new();
        for v in vars {
            if *v == SPIKE {
                if !p.ir.spiking {
                    return Err(Error::invalid(
                        owner,
                        format!("population '{}' is rate-coded: it has no spikes", p.name),
                    ));
                }
                spikes = true;
            } else {
                slot_of(p, v)?;
                if !names.iter().any(|n: &String| n == v) {
                    names.push(v.to_string());
                }
            }
        }
        let period = self.period_steps(owner, period_ms)?;
        self.monitors.push(Monitor {
            pop,
            vars: names,
            spikes,
            period,
            start,
            ranks,
        });
        Ok(MonitorId(
            MonitorRef::Neurons(self.monitors.len() - 1),
            self.tag,
        ))
    }

    /// Records synaptic variables (ANNarchy's `Monitor(proj[post], 'w',
    /// period=...)` with `dendrite = Some(post)`, `Monitor(proj, 'w')` with
    /// `None`) every `period_ms` (rounded to steps, at least one), from the
    /// start. A sample at step `s` holds the values after step `s`: after
    /// the learning rules and the post-synaptic events of that step, as
    /// ANNarchy's recorders, which run at the end of the step. The
    /// samples are taken at the steps `s` with `(s - start) % period ==
    /// 0`, `start` being 0 (or the step of the last
    /// [`resume`](crate::engine::Simulation::resume)).
    ///
    /// [`recorded`](crate::engine::Simulation::recorded) returns
    /// `[samples, synapses]`: the dendrite's synapses by pre-synaptic rank
    /// (ANNarchy's order), or all the projection's in (post, pre) order as
    /// [`synapses`](crate::engine::Simulation::synapses) lists them; one
    /// column for a projection-wide parameter.
    /// [`sample_steps`](crate::engine::Simulation::sample_steps),
    /// [`take_recording`](crate::engine::Simulation::take_recording),
    /// [`pause`](crate::engine::Simulation::pause) and
    /// [`resume`](crate::engine::Simulation::resume) work as for a
    /// population. The simulation reads the values from the engine after
    /// each sample step, so a run stops there (on the GPU engine a
    /// submission ends at each sample): sample sparsely, as ANNarchy
    /// advises for whole projections.
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// let mut net = Network::new();
    /// let lif = cajal::models::if_curr_exp();
    /// let a = net.population("a", 10, &lif)?;
    /// let p = net.projection(a, a, "exc").connect_all_to_all(0.1)?;
    /// let m = net.monitor_projection(p, Some(0), &["w"], 100.0)?;
    /// let mut sim = net.compile(Backend::Cpu)?;
    /// sim.simulate(250.0)?;
    /// assert_eq!(sim.sample_steps(m)?, vec![0, 100, 200]);
    /// assert_eq!(sim.recorded(m, "w")?.dim(), (3, 9)); // no self-connection
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn monitor_projection(
        &mut self,
        proj: ProjId,
        dendrite: Option<usize>,
        vars: &[&str],
        period_ms: f64,
    ) -> Result<MonitorId> {
        self.check_dt()?;
        let pr = self.proj(proj)?;
        let owner = format!("monitor of projection '{}'", pr.name);
        pr.stores_synapses(&owner)?;
        if let Some(post) = dendrite {
            let n_post = self.pop(pr.post)?.size();
            if post >= n_post {
                return Err(Error::invalid(
                    owner,
                    format!("post-synaptic rank {post} is out of range (size {n_post})"),
                ));
            }
        }
        if vars.is_empty() {
            return Err(Error::invalid(owner, "name at least one variable"));
        }
        let mut names: Vec<String> = Vec::new();
        for v in vars {
            let known = || -> Vec<&str> {
                pr.ir
                    .vars
                    .iter()
                    .filter(|d| d.kind != VarKind::Hidden)
                    .map(|d| d.name.as_str())
                    .collect()
            };
            match pr.ir.slot(v) {
                Some(s) if pr.ir.vars[s as usize].kind != VarKind::Hidden => {}
                _ => return Err(Error::unknown(owner, "synapse variable", v, &known())),
            }
            if !names.iter().any(|n| n == v) {
                names.push(v.to_string());
            }
        }
        let period = self.period_steps(owner, period_ms)?;
        self.synapse_monitors.push(SynapseMonitor {
            proj,
            post: dendrite.map(|p| p as u32),
            vars: names,
            period,
        });
        Ok(MonitorId(
            MonitorRef::Synapses(self.synapse_monitors.len() - 1),
            self.tag,
        ))
    }
}

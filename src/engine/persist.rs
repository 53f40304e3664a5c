//! Saving and loading a simulation's state and connectivity.

use super::*;

impl Simulation {
    /// Saves the whole dynamic state (every variable of every population
    /// and projection, the spikes and values still travelling through
    /// delays, the inputs waiting in procedural delay rings, the
    /// constants' current values, the step, time, seed) to a file; [`load`](Self::load) into a
    /// freshly compiled network of the same structure on the same engine
    /// continues the run bit for bit. Recordings and callbacks are not
    /// part of the state.
    pub fn save(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        let path = path.as_ref();
        self.not_distributed("saving the state")?;
        let snap = self.engine.snapshot()?;
        let clock = crate::io::state::Clock {
            step: self.step,
            t_origin: self.t_origin,
            step_origin: self.step_origin,
            seed: self.net.seed,
            draws: self.draws,
        };
        let file = path.display().to_string();
        let names = self.net.globals.constant_names();
        let sig = crate::io::state::signature(&self.net);
        let bytes =
            crate::io::state::encode(&file, &sig, clock, &snap, &names, self.net.precision())?;
        crate::io::write_atomic(path, &bytes)
    }

    /// Loads a state written by [`save`](Self::save). The file is read and
    /// checked whole first (format version, checksum, the network's
    /// structure, the shape of every array): a file from another network,
    /// a truncated or a corrupted one is an error and changes nothing.
    pub fn load(&mut self, path: impl AsRef<std::path::Path>) -> Result<()> {
        let path = path.as_ref();
        self.not_distributed("loading a state")?;
        let file = path.display().to_string();
        let data = std::fs::read(path).map_err(|source| Error::Io {
            path: file.clone(),
            source,
        })?;
        let sig = crate::io::state::signature(&self.net);
        let (clock, mut snap, names) =
            crate::io::state::decode(&file, &data, &sig, self.net.precision())?;
        let ours = self.net.globals.constant_names();
        match names {
            Some(names) if names != ours => {
                let (theirs, ours) = (names.join(", "), ours.join(", "));
                let msg = format!(
                    "the state was saved from a network with the constants [{theirs}], this one has [{ours}]"
                );
                return Err(Error::invalid(&file, msg));
            }
            Some(_) => {}
            // Before version 3 constants could not change after
            // compilation: the run used the compiled values.
            None => snap.constants = self.net.globals.constant_values(),
        }
        let shape = self.engine.history_shape();
        let bad = |what: String| {
            Error::invalid(
                &file,
                format!("{what} (was the state saved by the other engine?)"),
            )
        };
        let ok_pops = snap.pops.len() == self.net.pops.len()
            && snap.projs.len() == self.net.projs.len()
            && snap.rings.len() == self.net.projs.len();
        if !ok_pops {
            return Err(bad(
                "the numbers of populations and projections differ".into()
            ));
        }
        for ((p, ps), (depth, hist)) in self.net.pops.iter().zip(&snap.pops).zip(&shape) {
            let n = p.size();
            let lens_ok = ps.vars.len() == p.ir.vars.len()
                && ps
                    .vars
                    .iter()
                    .zip(&p.ir.vars)
                    .all(|(v, d)| v.len() == if d.locality == Locality::Local { n } else { 1 });
            let spikes_ok = ps.spikes.len() == *depth
                && ps
                    .spikes
                    .iter()
                    .all(|s| s.len() <= n && s.iter().all(|&i| (i as usize) < n));
            let hist_ok = ps.hist.len() == hist.len()
                && ps.hist.iter().zip(hist).all(|((s, rows), (s2, d))| {
                    s == s2 && rows.len() == *d && rows.iter().all(|r| r.len() == n)
                });
            if !(lens_ok && spikes_ok && hist_ok) {
                return Err(bad(format!(
                    "the state of population '{}' does not fit it",
                    p.name
                )));
            }
        }
        for ((pr, vals), rows) in self.net.projs.iter().zip(&snap.projs).zip(&snap.rings) {
            let nsyn = pr.synapses.post.len();
            // A DecodingProjection's window follows its values.
            let n_post = self.net.pops[pr.post.0].size();
            let window = pr.window.unwrap_or(0) as usize;
            let ok = vals.len() == pr.ir.vars.len() + window
                && vals[pr.ir.vars.len()..].iter().all(|v| v.len() == n_post)
                && vals.iter().zip(&pr.ir.vars).all(|(v, d)| {
                    v.len()
                        == if d.locality == Locality::Local {
                            nsyn
                        } else {
                            1
                        }
                });
            let ring = pr
                .procedural
                .as_ref()
                .filter(|g| g.per_synapse_delays())
                .map_or(0, |g| g.delay as usize * n_post);
            if !(ok && rows.len() == ring) {
                return Err(bad(format!(
                    "the state of projection '{}' does not fit it",
                    pr.name
                )));
            }
        }
        self.engine.restore(&snap)?;
        self.step = clock.step;
        self.t_origin = clock.t_origin;
        self.step_origin = clock.step_origin;
        self.draws = clock.draws;
        // A monitor (re)started after the loaded step counts its period
        // from it; one started before keeps its phase.
        for m in &mut self.monitors {
            m.start_step = m.start_step.min(clock.step);
        }
        for m in &mut self.synapse_monitors {
            m.start_step = m.start_step.min(clock.step);
        }
        if clock.seed != self.net.seed {
            self.set_seed(clock.seed);
            self.draws = clock.draws;
        }
        Ok(())
    }

    /// Saves a projection's synapses (ranks, current weights, delays) to a
    /// file that [`connect_from_file`](crate::network::ProjectionBuilder::connect_from_file)
    /// reads back.
    pub fn save_connectivity(&self, proj: ProjId, path: impl AsRef<std::path::Path>) -> Result<()> {
        let pr = self.net.proj(proj)?;
        let (post, pre, w) = self.synapses(proj, "w")?;
        let saved = crate::io::connectivity::Saved {
            pre_size: self.net.pops[pr.pre.0].size(),
            post_size: self.net.pops[pr.post.0].size(),
            dt: self.net.dt,
            post,
            pre,
            w,
            // In steps of dt as the connector was given them (a rate-coded
            // projection stores one more: `Delays`).
            delay: self
                .net
                .delays_ms(pr)
                .iter()
                .map(|ms| (ms / self.net.dt).round() as u32)
                .collect(),
        };
        crate::io::connectivity::write(path.as_ref(), &saved)
    }
}

//! What monitors recorded.

use super::*;

impl Simulation {
    pub(super) fn mon(&self, m: MonitorId) -> Result<&MonitorState> {
        self.monitors.get(m.0).ok_or_else(|| {
            Error::invalid(
                "simulation",
                format!("monitor handle {} does not belong to this network", m.0),
            )
        })
    }

    /// Spikes recorded by a monitor, as (step, neuron rank), sorted by step then rank.
    pub fn spikes(&self, m: MonitorId) -> Result<Vec<(u64, u32)>> {
        let s = self.mon(m)?;
        if !s.spec.spikes {
            return Err(Error::invalid(
                "monitor",
                "this monitor does not record \"spike\"",
            ));
        }
        Ok(s.spikes.clone())
    }

    /// A recorded variable as `[samples, neurons]`.
    pub fn recorded(&self, m: MonitorId, var: &str) -> Result<Array2<f32>> {
        let s = self.mon(m)?;
        let i = s
            .spec
            .vars
            .iter()
            .position(|v| v == var)
            .ok_or_else(|| Error::unknown("monitor", "recorded variable", var, &s.spec.vars))?;
        let n = s.lens[i];
        let buf = &s.buffers[i];
        Ok(Array2::from_shape_vec((buf.len() / n, n), buf.clone())
            .expect("whole samples are recorded"))
    }

    /// The steps at which a monitor took its samples.
    pub fn sample_steps(&self, m: MonitorId) -> Result<Vec<u64>> {
        Ok(self.mon(m)?.sample_steps.clone())
    }

    /// Stops a monitor from recording until [`resume`](Self::resume).
    pub fn pause(&mut self, m: MonitorId) -> Result<()> {
        self.mon(m)?;
        self.monitors[m.0].active = false;
        Ok(())
    }

    /// (Re)starts a monitor; its period counts from now.
    pub fn resume(&mut self, m: MonitorId) -> Result<()> {
        self.mon(m)?;
        let s = &mut self.monitors[m.0];
        if !s.active {
            s.active = true;
            s.start_step = self.step;
        }
        Ok(())
    }

    /// Mean firing rate (Hz) of the spikes a monitor recorded over `duration_ms`.
    pub fn population_rate(&self, m: MonitorId, duration_ms: f64) -> Result<f64> {
        let s = self.spikes(m)?;
        let n = self.net.pops[self.mon(m)?.spec.pop.0].size();
        if duration_ms <= 0.0 {
            return Err(Error::invalid("monitor", "the duration must be positive"));
        }
        Ok(s.len() as f64 / n as f64 / (duration_ms / 1000.0))
    }
}

//! ml_genn's readouts, computed from a monitor over one example: the spike
//! count, the final value, the average, maximum or sum of a variable over
//! the example's steps, and the time of the first spike.

use super::Simulation;
use crate::error::{Error, Result};
use crate::network::MonitorId;

/// What a readout computes per neuron (ml_genn's names).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Readout {
    /// Spikes emitted (the monitor records "spike").
    SpikeCount,
    /// The variable's last recorded value.
    Var(String),
    /// Its mean over the recorded steps.
    AvgVar(String),
    /// Its largest value.
    MaxVar(String),
    /// Its sum.
    SumVar(String),
    /// Time (ms) of the first spike, `f32::INFINITY` for a neuron that did
    /// not spike.
    FirstSpikeTime,
}

impl Simulation {
    /// A readout of monitor `m` over its records from step `from_step` on
    /// (the first step of the example): one value per recorded neuron (per
    /// neuron of the population for spike readouts).
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// use cajal::engine::readout::Readout;
    /// let mut net = Network::new().dt(1.0);
    /// let p = net.population("p", 2, &Neuron::rate().parameters("r = 1.0").equations("x = x + r"))?;
    /// let m = net.monitor(p, &["x"])?;
    /// let mut sim = net.compile(Backend::Cpu)?;
    /// sim.simulate(4.0)?;
    /// assert_eq!(sim.readout(m, &Readout::SumVar("x".into()), 0)?, vec![10.0, 10.0]);
    /// assert_eq!(sim.readout(m, &Readout::AvgVar("x".into()), 2)?, vec![3.5, 3.5]);
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn readout(&self, m: MonitorId, r: &Readout, from_step: u64) -> Result<Vec<f32>> {
        let pop = self.mon(m)?.spec.pop;
        let n = self.network().pop(pop)?.size();
        match r {
            Readout::SpikeCount | Readout::FirstSpikeTime => {
                let spikes = self.spikes(m)?;
                let first = spikes.partition_point(|&(s, _)| s < from_step);
                let mut out = vec![
                    if *r == Readout::SpikeCount {
                        0.0
                    } else {
                        f32::INFINITY
                    };
                    n
                ];
                for &(s, i) in &spikes[first..] {
                    let o = &mut out[i as usize];
                    if *r == Readout::SpikeCount {
                        *o += 1.0;
                    } else if o.is_infinite() {
                        *o = self.time_of(s) as f32;
                    }
                }
                Ok(out)
            }
            Readout::Var(v) | Readout::AvgVar(v) | Readout::MaxVar(v) | Readout::SumVar(v) => {
                let values = self.recorded(m, v)?;
                let steps = self.sample_steps(m)?;
                let first = steps.partition_point(|&s| s < from_step);
                let rows = values.slice(ndarray::s![first.., ..]);
                if rows.nrows() == 0 {
                    return Err(Error::invalid(
                        "readout",
                        format!("monitor recorded no sample of '{v}' from step {from_step} on"),
                    ));
                }
                let cols = rows.columns().into_iter();
                Ok(match r {
                    Readout::Var(_) => rows.row(rows.nrows() - 1).to_vec(),
                    Readout::AvgVar(_) => cols
                        .map(|c| c.iter().sum::<f32>() / c.len() as f32)
                        .collect(),
                    Readout::MaxVar(_) => cols
                        .map(|c| c.iter().copied().fold(f32::NEG_INFINITY, f32::max))
                        .collect(),
                    _ => cols.map(|c| c.iter().sum::<f32>()).collect(),
                })
            }
        }
    }
}

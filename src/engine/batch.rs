//! Batch simulation from the user's side: compiling with a batch size, and
//! reading and writing one element at a time (see [`crate::network::batch`]
//! for how the engines run a batch).

use ndarray::{Array2, Array3, ArrayD, Axis, IxDyn};

use super::{Backend, Simulation, Value};
use crate::error::{Error, Result};
use crate::lang::ir::Locality;
use crate::network::{slot_of, MonitorId, Network, PopId};

impl Network {
    /// Compiles `batch` copies of the network that run side by side (ml_genn's
    /// batch size): parameters, weights and connectivity are shared, each
    /// element has its own state. Every population gets a leading batch
    /// dimension: [`Simulation::get`] returns `[batch, geometry...]`, monitors
    /// record `batch * n` neurons (element `b`'s neuron `i` is rank `b n + i`;
    /// [`Simulation::recorded_batch`], [`Simulation::spikes_batch`] and
    /// [`Simulation::readout_batch`] split them), and [`Simulation::set`]
    /// takes either the batched shape (per element) or one element's shape
    /// (the same for all).
    ///
    /// A batch runs exactly as `batch` separate simulations would, except
    /// for random draws: element 0 draws what an unbatched run draws, the
    /// others independent numbers. Errors: a batch of 0, plasticity,
    /// DecodingProjections, populations of 4 dimensions.
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// let mut net = Network::new().dt(1.0);
    /// let inp = net.population("in", 2, &Neuron::rate().parameters("r = 0.0"))?;
    /// let out = net.population("out", 1, &Neuron::rate().equations("r = sum(exc)"))?;
    /// net.projection(inp, out, "exc").connect_all_to_all(Weights::constant(0.5))?;
    /// let mut sim = net.compile_batched(Backend::Cpu, 3)?;
    /// sim.set(inp, "r", ndarray::array![[1.0f32, 1.0], [2.0, 0.0], [0.0, 4.0]].into_dyn())?;
    /// sim.simulate(2.0)?;
    /// assert_eq!(sim.get(out, "r")?.as_slice().unwrap(), &[1.0, 1.0, 2.0]);
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn compile_batched(&self, backend: Backend, batch: usize) -> Result<Simulation> {
        self.batched(batch)?.compile(backend)
    }

    /// [`compile_batched`](Self::compile_batched) for the GPU engine with
    /// explicit options.
    pub fn compile_gpu_batched(
        &self,
        opts: &super::gpu::GpuOptions,
        batch: usize,
    ) -> Result<Simulation> {
        self.batched(batch)?.compile_gpu(opts)
    }
}

impl Simulation {
    /// The number of batch elements (1 unless compiled with
    /// [`Network::compile_batched`]).
    pub fn batch_size(&self) -> usize {
        self.net.batch
    }

    /// Neurons of one batch element of `pop`.
    pub fn element_size(&self, pop: PopId) -> Result<usize> {
        Ok(self.net.pop(pop)?.size() / self.net.batch)
    }

    /// A value given for one element, repeated for every element of a
    /// batch; any other value unchanged.
    pub(crate) fn broadcast(&self, pop: PopId, var: &str, value: Value) -> Result<Value> {
        let b = self.net.batch;
        let Value::Array(a) = &value else {
            return Ok(value);
        };
        let p = self.net.pop(pop)?;
        let slot = slot_of(p, var)?;
        if b == 1 || p.ir.vars[slot].locality == Locality::Global {
            return Ok(value);
        }
        let element = &p.geometry.dims()[1..];
        let n: usize = element.iter().product();
        if a.shape() == element || (a.ndim() == 1 && a.len() == n) {
            let one: Vec<f64> = a.iter().copied().collect();
            let all = ArrayD::from_shape_vec(IxDyn(p.geometry.dims()), one.repeat(b))
                .expect("b copies of an element fill the batch");
            return Ok(Value::Array(all));
        }
        Ok(value)
    }

    /// Sets a per-neuron variable of one batch element (`values`: one
    /// element's shape, or a scalar for all its neurons); the other elements
    /// keep theirs.
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// let mut net = Network::new().dt(1.0);
    /// let p = net.population("p", 2, &Neuron::rate().parameters("r = 0.0"))?;
    /// let mut sim = net.compile_batched(Backend::Cpu, 2)?;
    /// sim.set_element(p, 1, "r", vec![3.0, 4.0])?;
    /// assert_eq!(sim.get(p, "r")?.as_slice().unwrap(), &[0.0, 0.0, 3.0, 4.0]);
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn set_element(
        &mut self,
        pop: PopId,
        element: usize,
        var: &str,
        value: impl Into<Value>,
    ) -> Result<()> {
        let p = self.net.pop(pop)?;
        let owner = format!("population '{}', variable '{var}'", p.name);
        let b = self.net.batch;
        if element >= b {
            return Err(Error::invalid(
                owner,
                format!("element {element} is out of range (batch of {b})"),
            ));
        }
        let slot = slot_of(p, var)?;
        if p.ir.vars[slot].locality == Locality::Global || p.ir.vars[slot].shared {
            return Err(Error::invalid(
                owner,
                format!(
                    "'{var}' is shared by the population and the batch elements: set it with set()"
                ),
            ));
        }
        let n = p.size() / b;
        let one: Vec<f64> = match value.into() {
            Value::Scalar(x) => vec![x; n],
            Value::Array(a) => {
                if a.len() != n {
                    return Err(Error::Shape {
                        owner,
                        message: format!(
                            "expected one element's {n} values, got an array of shape {:?}",
                            a.shape()
                        ),
                    });
                }
                a.iter().copied().collect()
            }
            Value::Random(_) => {
                return Err(Error::invalid(
                    owner,
                    "set_element takes values; draw a distribution with set()",
                ))
            }
        };
        // `set` checks that each value fits the network's precision.
        let mut all = self.slot_values(pop.0, slot)?.into_f64();
        all[element * n..(element + 1) * n].copy_from_slice(&one);
        let shape = p.geometry.dims().to_vec();
        self.set(
            pop,
            var,
            ArrayD::from_shape_vec(IxDyn(&shape), all).expect("the batched shape"),
        )
    }

    /// A recorded variable as `[batch, samples, neurons of an element]`
    /// (a monitor of a view: its neurons in each element).
    pub fn recorded_batch(&self, m: MonitorId, var: &str) -> Result<Array3<f32>> {
        let r = self.recorded(m, var)?;
        let b = self.net.batch;
        let (t, n) = r.dim();
        if n % b != 0 {
            // A population-wide value: the same for every element.
            let one = r.insert_axis(Axis(0));
            return Ok(one
                .broadcast((b, t, n))
                .expect("one row broadcasts")
                .to_owned());
        }
        let r3 = r
            .into_shape_with_order((t, b, n / b))
            .expect("a sample holds every element");
        Ok(r3.permuted_axes([1, 0, 2]).as_standard_layout().to_owned())
    }

    /// Recorded spikes per batch element, as (step, rank within the
    /// element).
    pub fn spikes_batch(&self, m: MonitorId) -> Result<Vec<Vec<(u64, u32)>>> {
        let spikes = self.spikes(m)?;
        let pop = self.mon(m)?.spec.pop;
        let n = self.element_size(pop)? as u32;
        let mut out = vec![Vec::new(); self.net.batch];
        for (s, r) in spikes {
            out[(r / n) as usize].push((s, r % n));
        }
        Ok(out)
    }

    /// A readout ([`readout`](Self::readout)) per batch element:
    /// `[batch, neurons of an element]`.
    pub fn readout_batch(
        &self,
        m: MonitorId,
        r: &super::readout::Readout,
        from_step: u64,
    ) -> Result<Array2<f32>> {
        let v = self.readout(m, r, from_step)?;
        let b = self.net.batch;
        let n = v.len() / b;
        Ok(Array2::from_shape_vec((b, n), v).expect("every element has its neurons"))
    }
}

//! Reading and writing population variables.

use super::*;

/// A slot's values shaped as `get` returns them: the geometry, or no
/// dimension for a population-wide slot (one stored value for a whole
/// local slot is spread over the neurons).
fn shaped<T: Copy>(p: &crate::network::Population, slot: usize, v: Vec<T>) -> Result<ArrayD<T>> {
    let shape: Vec<usize> = if p.ir.vars[slot].locality == Locality::Global {
        vec![]
    } else {
        p.geometry.dims().to_vec()
    };
    let n = shape.iter().product::<usize>();
    let v = if v.len() == 1 && n != 1 {
        vec![v[0]; n]
    } else {
        v
    };
    ArrayD::from_shape_vec(IxDyn(&shape), v).map_err(|e| {
        Error::invalid(
            format!("population '{}'", p.name),
            format!("slot {slot} holds values of another shape: {e}"),
        )
    })
}

impl Network {
    /// A variable or parameter before compiling (the model's initial
    /// value, or what [`set`](Network::set) gave), shaped as
    /// [`Simulation::get`] returns it after.
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// let mut net = Network::new();
    /// let pop = net.population("p", (2, 3), &cajal::models::izhikevich())?;
    /// net.set(pop, "v", -60.0)?;
    /// assert_eq!(net.get(pop, "v")?.shape(), &[2, 3]);
    /// assert_eq!(net.get(pop, "v")?[[1, 2]], -60.0);
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn get(&self, pop: PopId, var: &str) -> Result<ArrayD<f32>> {
        let p = self.pop(pop)?;
        let slot = slot_of(p, var)?;
        shaped(p, slot, p.init[slot].to_f32())
    }

    /// [`get`](Self::get) in f64: the values exactly as the network holds
    /// them (in an f64 network, every digit).
    pub fn get_f64(&self, pop: PopId, var: &str) -> Result<ArrayD<f64>> {
        let p = self.pop(pop)?;
        let slot = slot_of(p, var)?;
        shaped(p, slot, p.init[slot].to_f64())
    }
}

impl Simulation {
    pub(super) fn slot_values(&self, pop: usize, slot: usize) -> Result<crate::real::Reals> {
        self.engine.slot_values(pop, slot)
    }

    pub(super) fn pop_checked(&self, pop: PopId) -> Result<&crate::network::Population> {
        self.net.pop(pop)
    }

    /// A variable or parameter of a population, shaped like its geometry
    /// (a 0-dimensional array for population-wide parameters), in f32 (an
    /// f64 network's values rounded: [`get_f64`](Self::get_f64) gives them
    /// whole).
    pub fn get(&self, pop: PopId, var: &str) -> Result<ArrayD<f32>> {
        let p = self.pop_checked(pop)?;
        let slot = slot_of(p, var)?;
        shaped(p, slot, self.slot_values(pop.0, slot)?.into_f32())
    }

    /// [`get`](Self::get) in f64: the values exactly as the engine holds
    /// them (an f32 network's widened, an f64 network's every digit).
    ///
    /// ```
    /// use cajal::prelude::*;
    /// use cajal::real::Dtype;
    /// let mut net = Network::new().dtype(Dtype::F64);
    /// let p = net.population("p", 1, &Neuron::rate().equations("r = 1e-300 * 1e-10"))?;
    /// let mut sim = net.compile(Backend::Cpu)?;
    /// sim.step()?;
    /// assert_eq!(sim.get_f64(p, "r")?[[0]], 1e-310); // 0 in f32
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn get_f64(&self, pop: PopId, var: &str) -> Result<ArrayD<f64>> {
        let p = self.pop_checked(pop)?;
        let slot = slot_of(p, var)?;
        shaped(p, slot, self.slot_values(pop.0, slot)?.into_f64())
    }

    /// The weighted sum `sum(target)` of a population as the last step
    /// computed it, shaped as the population (ANNarchy's
    /// `pop.sum(target)`); zeros for a target no projection feeds.
    ///
    /// ```
    /// use cajal::prelude::*;
    /// let (net, b) = cajal::networks::bar_learning(1)?;
    /// let mut sim = net.compile(Backend::Cpu)?;
    /// sim.step()?;
    /// assert_eq!(sim.sum(b.feature, "exc")?.shape(), &[8, 4]);
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn sum(&self, pop: PopId, target: &str) -> Result<ArrayD<f32>> {
        let (dims, v) = self.sum_of(pop, target)?;
        Ok(ArrayD::from_shape_vec(IxDyn(&dims), v.into_f32())
            .expect("storage matches the geometry"))
    }

    /// [`sum`](Self::sum) in f64, as the engine computed it.
    pub fn sum_f64(&self, pop: PopId, target: &str) -> Result<ArrayD<f64>> {
        let (dims, v) = self.sum_of(pop, target)?;
        Ok(ArrayD::from_shape_vec(IxDyn(&dims), v.into_f64())
            .expect("storage matches the geometry"))
    }

    /// A population's geometry and its `sum(target)`.
    fn sum_of(&self, pop: PopId, target: &str) -> Result<(Vec<usize>, crate::real::Reals)> {
        let p = self.pop_checked(pop)?;
        let Some(t) = p.ir.targets.iter().position(|x| x == target) else {
            return Err(Error::unknown(
                format!("population '{}' (model '{}')", p.name, p.ir.name),
                "target",
                target,
                &p.ir.targets,
            ));
        };
        Ok((
            p.geometry.dims().to_vec(),
            self.engine.sum_values(pop.0, t)?,
        ))
    }

    /// The value of one neuron, by rank.
    pub fn get_neuron(&self, pop: PopId, rank: usize, var: &str) -> Result<f32> {
        let p = self.pop_checked(pop)?;
        let slot = slot_of(p, var)?;
        if rank >= p.size() {
            return Err(Error::invalid(
                format!("population '{}'", p.name),
                format!("rank {rank} is out of range (size {})", p.size()),
            ));
        }
        let v = self.slot_values(pop.0, slot)?;
        Ok(v.get(if v.len() == 1 { 0 } else { rank }) as f32)
    }

    /// The value of one neuron, by coordinates.
    pub fn get_at(&self, pop: PopId, coords: &[usize], var: &str) -> Result<f32> {
        let rank = self.pop_checked(pop)?.geometry.rank(coords)?;
        self.get_neuron(pop, rank, var)
    }

    /// Sets a variable or parameter: a scalar, an array shaped like the
    /// geometry, or a distribution (drawn from the network seed). In a
    /// batch, an array shaped like one element sets every element.
    pub fn set(&mut self, pop: PopId, var: &str, value: impl Into<Value>) -> Result<()> {
        let value = self.broadcast(pop, var, value.into())?;
        let p = self.net.pop(pop)?;
        self.draws += 1;
        let mut rng = rng_for(self.net.seed, 0x2000_0000 + self.draws);
        let values = assign_values(p, var, &value, &mut rng, self.net.precision())?;
        let slot = slot_of(p, var)?;
        self.engine.set_slot(pop.0, slot, values);
        Ok(())
    }

    /// The values of the neurons of a view, in view order (a shared
    /// parameter's value repeated).
    pub fn get_view(&self, view: &crate::network::View, var: &str) -> Result<Vec<f32>> {
        let p = self.pop_checked(view.population())?;
        let slot = slot_of(p, var)?;
        let v = self.slot_values(view.population().0, slot)?;
        view.ranks()
            .iter()
            .map(|&r| {
                let at = if v.len() == 1 { 0 } else { r as usize };
                (at < v.len())
                    .then(|| v.get(at) as f32)
                    .ok_or_else(|| Error::invalid("view", format!("rank {r} is out of range")))
            })
            .collect()
    }

    /// Sets a per-neuron variable or parameter for the neurons of a view: a
    /// scalar, one value per neuron of the view (in view order) or a
    /// distribution.
    pub fn set_view(
        &mut self,
        view: &crate::network::View,
        var: &str,
        value: impl Into<Value>,
    ) -> Result<()> {
        let pop = view.population();
        let p = self.net.pop(pop)?;
        if let Some(bad) = view.ranks().iter().find(|&&r| r as usize >= p.size()) {
            return Err(Error::invalid(
                format!("population '{}'", p.name),
                format!("the view has rank {bad}, out of range (size {})", p.size()),
            ));
        }
        self.draws += 1;
        let mut rng = rng_for(self.net.seed, 0x2000_0000 + self.draws);
        let dtype = self.net.precision();
        let values =
            crate::network::assign_to(p, var, &value.into(), &mut rng, Some(view.len()), dtype)?;
        let slot = slot_of(p, var)?;
        let mut all = self.slot_values(pop.0, slot)?;
        for (k, &r) in view.ranks().iter().enumerate() {
            all.set(r as usize, values.get(k));
        }
        self.engine.set_slot(pop.0, slot, all);
        Ok(())
    }

    /// Sets one neuron's value, by rank.
    pub fn set_neuron(
        &mut self,
        pop: PopId,
        rank: usize,
        var: &str,
        value: impl Into<f64>,
    ) -> Result<()> {
        let p = self.pop_checked(pop)?;
        let slot = slot_of(p, var)?;
        let owner = format!("population '{}'", p.name);
        if rank >= p.size() {
            return Err(Error::invalid(
                owner,
                format!("rank {rank} is out of range (size {})", p.size()),
            ));
        }
        let decl = &p.ir.vars[slot];
        if decl.locality == Locality::Global {
            return Err(Error::invalid(
                owner,
                format!("'{var}' is shared by the population: set it with set()"),
            ));
        }
        // Same conversions as set().
        let value = self
            .net
            .precision()
            .fit(value.into())
            .map_err(|why| Error::invalid(format!("{owner}, variable '{var}'"), why))?;
        self.engine.set_one(pop.0, slot, rank, decl.ty.hold(value));
        Ok(())
    }

    /// Sets one neuron's value, by coordinates.
    pub fn set_at(
        &mut self,
        pop: PopId,
        coords: &[usize],
        var: &str,
        value: impl Into<f64>,
    ) -> Result<()> {
        let rank = self.pop_checked(pop)?.geometry.rank(coords)?;
        self.set_neuron(pop, rank, var, value)
    }
}

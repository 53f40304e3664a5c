//! Input populations written in the equation language, so that both
//! engines run them with the same Philox draws: ANNarchy's
//! `PoissonPopulation`.

use crate::error::{Error, Result};
use crate::network::geometry::IntoGeometry;
use crate::network::model::Neuron;
use crate::network::{Network, PopId};

/// The firing rates of a Poisson population, in Hz.
#[derive(Debug, Clone, PartialEq)]
pub enum Rates {
    /// The same rate for every neuron (a per-neuron parameter `rates`,
    /// which `set` can change later, neuron by neuron).
    Constant(f32),
    /// One rate per neuron, in rank order.
    PerNeuron(Vec<f32>),
    /// An expression of `t` (ms) and constants, e.g. `"10.0 + 5.0 * sin(t / 100.0)"`,
    /// evaluated at every step (the variable `rates`).
    Expr(String),
    /// An expression with parameters of its own (ANNarchy's
    /// `PoissonPopulation(parameters="amp = 80.0", rates="amp * ...")`):
    /// `parameters` is a parameters section, its values settable per
    /// population as any neuron's (`set(pop, "amp", 120.0)`).
    ExprWith {
        /// The rate expression, of `t`, constants and the parameters.
        expr: String,
        /// The parameters, one `name = value` a line.
        parameters: String,
    },
    /// Driven by a target (ANNarchy's `target='exc'`): the rate of each
    /// neuron is its `sum(target)`, what the rate-coded projections onto it
    /// with that target add up (a hybrid network).
    Target(String),
}

impl From<f32> for Rates {
    fn from(r: f32) -> Self {
        Rates::Constant(r)
    }
}

impl From<Vec<f32>> for Rates {
    fn from(r: Vec<f32>) -> Self {
        Rates::PerNeuron(r)
    }
}

impl From<&str> for Rates {
    fn from(e: &str) -> Self {
        Rates::Expr(e.to_string())
    }
}

/// The neuron of a Poisson population, as ANNarchy's: at each step a
/// neuron spikes when `Uniform(0, 1) * 1000 / dt < rates` (probability
/// `rates * dt / 1000`), at most once a step; `refractory_ms` (if any)
/// keeps it silent after a spike.
pub fn poisson_neuron(rates: &Rates, refractory_ms: Option<f64>) -> Neuron {
    let mut n = Neuron::spiking().name("Poisson");
    n = match rates {
        Rates::Expr(e) => n.equations(&format!("rates = {e}\np = Uniform(0.0, 1.0) * 1000.0 / dt")),
        Rates::ExprWith { expr, parameters } => n.parameters(parameters).equations(&format!(
            "rates = {expr}\np = Uniform(0.0, 1.0) * 1000.0 / dt"
        )),
        Rates::Target(t) => n.equations(&format!(
            "rates = sum({t})\np = Uniform(0.0, 1.0) * 1000.0 / dt"
        )),
        _ => n
            .parameters("rates = 10.0")
            .equations("p = Uniform(0.0, 1.0) * 1000.0 / dt"),
    };
    n = n.spike("p < rates");
    if let Some(r) = refractory_ms {
        n = n.refractory(r);
    }
    n
}

impl Network {
    /// ANNarchy's `PoissonPopulation`: spiking neurons firing as Poisson
    /// processes of the given rates (Hz), drawn with Philox so that both
    /// engines produce the same spikes for the same seed.
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// use cajal::models::inputs::Rates;
    /// let mut net = Network::new().dt(0.1);
    /// let steady = net.poisson_population("steady", 100, 20.0, None)?;
    /// let ramp = net.poisson_population("ramp", 100, "t / 10.0", Some(2.0))?;
    /// // Rates from a rate-coded population (a hybrid network).
    /// let driven = net.poisson_population("driven", 100, Rates::Target("exc".into()), None)?;
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn poisson_population(
        &mut self,
        name: &str,
        geometry: impl IntoGeometry,
        rates: impl Into<Rates>,
        refractory_ms: Option<f64>,
    ) -> Result<PopId> {
        let rates = rates.into();
        if let Some(r) = refractory_ms {
            if !(r.is_finite() && r >= 0.0) {
                return Err(Error::invalid(
                    format!("population '{name}'"),
                    format!("the refractory period must be a non-negative number of ms, got {r}"),
                ));
            }
        }
        let check = |r: f32| -> Result<()> {
            if r.is_finite() && r >= 0.0 {
                Ok(())
            } else {
                Err(Error::invalid(
                    format!("population '{name}'"),
                    format!("rates must be finite and non-negative, got {r}"),
                ))
            }
        };
        let geometry = geometry.into_geometry()?;
        match &rates {
            Rates::Constant(r) => check(*r)?,
            Rates::PerNeuron(v) => {
                if v.len() != geometry.size() {
                    return Err(Error::Shape {
                        owner: format!("population '{name}'"),
                        message: format!("{} rates for {} neurons", v.len(), geometry.size()),
                    });
                }
                v.iter().try_for_each(|r| check(*r))?
            }
            Rates::Target(t) => {
                if t.is_empty() || !t.chars().all(|c| c.is_alphanumeric() || c == '_') {
                    return Err(Error::invalid(
                        format!("population '{name}'"),
                        format!("'{t}' is not a valid target name"),
                    ));
                }
            }
            Rates::Expr(_) | Rates::ExprWith { .. } => {}
        }
        let pop = self.population(name, geometry, &poisson_neuron(&rates, refractory_ms))?;
        match rates {
            Rates::Constant(r) => self.set(pop, "rates", r)?,
            Rates::PerNeuron(v) => self.set(pop, "rates", v)?,
            Rates::Expr(_) | Rates::ExprWith { .. } | Rates::Target(_) => {}
        }
        Ok(pop)
    }
}

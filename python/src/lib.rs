//! `cajal._cajal`: the extension module under the Python package.
//!
//! It is deliberately thin: one class, [`Core`], holds a [`Network`] and,
//! once compiled, its [`Simulation`], and exposes their operations with
//! populations, projections and monitors named by strings and numbers,
//! values as floats, numpy arrays or distribution tuples. ANNarchy's API
//! (objects with attributes, views, `Monitor.get`'s formats, callbacks) is
//! built on it in Python (`python/cajal/`), where it is easy to read and to
//! change. Every error is a `cajal.CajalError` carrying cajal's message;
//! nothing panics across the boundary (a panic would surface as pyo3's
//! `PanicException`, which the tests would catch as a failure).

use cajal::connect::{Delays, Weights};
use cajal::models::inputs::Rates;
use cajal::network::View;
use cajal::prelude::*;
use cajal::real::Dtype;
use ndarray::{ArrayD, IxDyn};
use numpy::{IntoPyArray, PyArrayDyn, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

create_exception!(
    _cajal,
    CajalError,
    PyException,
    "An error of cajal: a model, a network or a run it refuses, with the object, the section, the line and the cause."
);

/// cajal's error as a Python exception.
fn err(e: cajal::Error) -> PyErr {
    CajalError::new_err(e.to_string())
}

fn invalid(owner: &str, message: impl Into<String>) -> PyErr {
    err(cajal::Error::Invalid {
        owner: owner.to_string(),
        message: message.into(),
    })
}

/// A distributed run's communicator given from Python: any object with
/// mpi4py's `Get_rank()`, `Get_size()` and `allgather(obj)` (an mpi4py
/// `MPI.COMM_WORLD`, or a test's stand-in). Its `allgather` is called
/// with this rank's words as bytes and returns every rank's, in order.
struct PyComm {
    obj: Py<PyAny>,
    rank: usize,
    size: usize,
}

impl cajal::engine::distributed::Comm for PyComm {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.size
    }

    fn all_gather(&self, mine: &[u32]) -> cajal::Result<Vec<Vec<u32>>> {
        // Called while the engine runs without the GIL (on its thread
        // pool): the call takes the GIL for the Python side.
        let fail = |e: PyErr| cajal::Error::Distributed {
            rank: self.rank,
            message: format!("the communicator's allgather failed: {e}"),
        };
        Python::attach(|py| -> PyResult<Vec<Vec<u32>>> {
            let bytes: Vec<u8> = mine.iter().flat_map(|w| w.to_le_bytes()).collect();
            let arg = pyo3::types::PyBytes::new(py, &bytes);
            let out = self.obj.call_method1(py, "allgather", (arg,))?;
            let parts: Vec<Vec<u8>> = out.extract(py)?;
            if parts.len() != self.size || parts.iter().any(|p| p.len() % 4 != 0) {
                return Err(CajalError::new_err(format!(
                    "allgather returned {} parts for {} ranks, or a part that is not whole 32-bit words",
                    parts.len(),
                    self.size
                )));
            }
            Ok(parts
                .iter()
                .map(|p| {
                    p.chunks_exact(4)
                        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                        .collect()
                })
                .collect())
        })
        .map_err(fail)
    }
}

/// An optional string entry of a model dictionary.
fn entry(d: &Bound<'_, PyDict>, key: &str) -> PyResult<Option<String>> {
    match d.get_item(key)? {
        Some(v) if !v.is_none() => Ok(Some(v.extract()?)),
        _ => Ok(None),
    }
}

/// A section of a model's dictionary and the builder method taking it.
type Section<'a, M> = (&'a str, fn(M, &str) -> M);

/// A model's text sections from a dictionary: each key present (and not
/// None) handed to its builder method.
fn with_sections<M>(
    mut model: M,
    d: &Bound<'_, PyDict>,
    sections: &[Section<'_, M>],
) -> PyResult<M> {
    for (key, set) in sections {
        if let Some(text) = entry(d, key)? {
            model = set(model, &text);
        }
    }
    Ok(model)
}

/// A neuron model: a built-in's name (`("builtin", "Izhikevich")`, with
/// the JSON object of its constructor's string arguments and
/// `refractory_period` as a third item where given) or a dictionary of
/// ANNarchy's `Neuron` arguments.
fn neuron_of(model: &Bound<'_, PyAny>) -> PyResult<Neuron> {
    if let Ok((kind, name, json)) = model.extract::<(String, String, String)>() {
        if kind == "mlgenn" {
            return mlgenn_neuron(&name, &json);
        }
        if kind == "builtin" {
            return builtin_neuron(&name, &json);
        }
    }
    if let Ok((kind, name)) = model.extract::<(String, String)>() {
        if kind == "builtin" {
            return cajal::models::builtin(&name)
                .or_else(|| cajal::models::mlgenn::model(&name))
                .ok_or_else(|| invalid("neuron", format!("no built-in neuron model '{name}'")));
        }
    }
    let d = model.cast::<PyDict>()?;
    let spike = entry(d, "spike")?.filter(|s| !s.trim().is_empty());
    let mut n = if spike.is_some() {
        Neuron::spiking()
    } else {
        Neuron::rate()
    };
    n = with_sections(
        n,
        d,
        &[
            ("name", Neuron::name),
            ("parameters", Neuron::parameters),
            ("equations", Neuron::equations),
            ("functions", Neuron::functions),
            ("reset", Neuron::reset),
        ],
    )?;
    if let Some(s) = spike {
        n = n.spike(&s);
    }
    match d.get_item("refractory")? {
        Some(r) if !r.is_none() => {
            if let Ok(ms) = r.extract::<f64>() {
                n = n.refractory(ms);
            } else {
                n = n.refractory_expr(&r.extract::<String>()?);
            }
        }
        _ => {}
    }
    Ok(n)
}

/// A built-in neuron model with its constructor's arguments as a JSON
/// object: strings for its string arguments (`conductance`, `sum`,
/// `noise`, `current`), a number for `refractory_period` (ms; 0 is none).
fn builtin_neuron(name: &str, json: &str) -> PyResult<Neuron> {
    let args: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(json).map_err(|e| invalid(name, format!("{e}")))?;
    let mut options = Vec::new();
    let mut refractory = None;
    for (k, v) in &args {
        match (k.as_str(), v) {
            ("refractory_period", serde_json::Value::Number(ms)) => refractory = ms.as_f64(),
            (_, serde_json::Value::String(s)) => options.push((k.as_str(), s.as_str())),
            _ => {
                return Err(invalid(
                    &format!("neuron model '{name}'"),
                    format!("argument '{k}' must be a string, got {v}"),
                ))
            }
        }
    }
    let mut n = cajal::models::builtin_with(name, &options)
        .map_err(err)?
        .ok_or_else(|| invalid("neuron", format!("no built-in neuron model '{name}'")))?;
    if let Some(ms) = refractory.filter(|&ms| ms != 0.0) {
        n = n.refractory(ms);
    }
    Ok(n)
}

/// An ml_genn neuron model from its class name and its fields as JSON
/// (those left out keep ml_genn's defaults).
fn mlgenn_neuron(name: &str, json: &str) -> PyResult<Neuron> {
    use cajal::models::mlgenn as m;
    fn build<T: serde::de::DeserializeOwned>(name: &str, json: &str) -> PyResult<T> {
        serde_json::from_str(json).map_err(|e| invalid(name, format!("{e}")))
    }
    Ok(match name {
        "LeakyIntegrateFire" => build::<m::LeakyIntegrateFire>(name, json)?.neuron(),
        "AdaptiveLeakyIntegrateFire" => {
            build::<m::AdaptiveLeakyIntegrateFire>(name, json)?.neuron()
        }
        "IntegrateFire" => build::<m::IntegrateFire>(name, json)?.neuron(),
        "LeakyIntegrate" => build::<m::LeakyIntegrate>(name, json)?.neuron(),
        "FewSpikeRelu" => build::<m::FewSpikeRelu>(name, json)?.neuron(),
        "IntegrateFireInput" => build::<m::IntegrateFireInput>(name, json)?.neuron(),
        "LeakyIntegrateFireInput" => build::<m::LeakyIntegrateFireInput>(name, json)?.neuron(),
        "FewSpikeReluInput" => build::<m::FewSpikeReluInput>(name, json)?.neuron(),
        "PoissonInput" => build::<m::PoissonInput>(name, json)?.neuron(),
        "BinarySpikeInput" => build::<m::BinarySpikeInput>(name, json)?.neuron(),
        other => {
            return Err(invalid(
                "ml_genn",
                format!("no ml_genn neuron model '{other}'"),
            ))
        }
    })
}

/// A synapse model: `None` (the default), a built-in
/// (`("builtin", name, [args])`) or a dictionary of ANNarchy's `Synapse`
/// arguments.
fn synapse_of(model: &Bound<'_, PyAny>) -> PyResult<Synapse> {
    if model.is_none() {
        return Ok(Synapse::default());
    }
    if let Ok((kind, name, a)) = model.extract::<(String, String, Vec<f32>)>() {
        if kind == "builtin" {
            use cajal::models::synapses as s;
            let arg = |i: usize| a.get(i).copied().unwrap_or(0.0);
            let want = |k: usize| -> PyResult<()> {
                if a.len() == k {
                    Ok(())
                } else {
                    Err(invalid(
                        "synapse",
                        format!("{name} takes {k} parameters, got {}", a.len()),
                    ))
                }
            };
            return match name.as_str() {
                "Hebb" => want(1).map(|_| s::hebb(arg(0))),
                "Oja" => want(2).map(|_| s::oja(arg(0), arg(1))),
                "IBCM" => want(2).map(|_| s::ibcm(arg(0), arg(1))),
                "STP" => want(3).map(|_| s::stp(arg(0), arg(1), arg(2))),
                "STDP" => want(6).map(|_| s::stdp(arg(0), arg(1), arg(2), arg(3), arg(4), arg(5))),
                _ => Err(invalid(
                    "synapse",
                    format!("no built-in synapse model '{name}'"),
                )),
            };
        }
    }
    let d = model.cast::<PyDict>()?;
    let mut s = with_sections(
        Synapse::new(),
        d,
        &[
            ("name", Synapse::name),
            ("parameters", Synapse::parameters),
            ("equations", Synapse::equations),
            ("psp", Synapse::psp),
            ("pre_spike", Synapse::pre_spike),
            ("post_spike", Synapse::post_spike),
            ("functions", Synapse::functions),
            ("pruning", Synapse::pruning),
            ("creating", Synapse::creating),
        ],
    )?;
    if let Some(t) = entry(d, "operation")? {
        s = s.operation(operation_of(&t)?);
    }
    Ok(s)
}

/// ANNarchy's name of an operation.
fn operation_of(name: &str) -> PyResult<Operation> {
    Ok(match name {
        "sum" => Operation::Sum,
        "max" => Operation::Max,
        "min" => Operation::Min,
        "mean" => Operation::Mean,
        other => {
            return Err(invalid(
                "operation",
                format!("it must be 'sum', 'max', 'min' or 'mean', got '{other}'"),
            ))
        }
    })
}

/// A distribution: `(kind, a, b, min, max)` as `cajal.Uniform(...)` and
/// its siblings write themselves (`b`, `min`, `max` may be `None`).
fn dist_of(t: &Bound<'_, PyTuple>) -> PyResult<Dist> {
    let (kind, a, b, min, max): (String, f64, Option<f64>, Option<f64>, Option<f64>) =
        t.extract()?;
    let b = || b.ok_or_else(|| invalid(&kind, "a second parameter is needed"));
    let mut d = match kind.as_str() {
        "Uniform" => Dist::uniform(a, b()?),
        "DiscreteUniform" => Dist::discrete_uniform(a, b()?),
        "Normal" => Dist::normal(a, b()?),
        "LogNormal" => Dist::log_normal(a, b()?),
        "Exponential" => Dist::exponential(a),
        "Gamma" => Dist::gamma(a, b()?),
        "Binomial" => Dist::binomial(a, b()?),
        other => {
            return Err(invalid(
                "distribution",
                format!("unknown distribution '{other}'"),
            ))
        }
    };
    if let Some(m) = min {
        d = d.min(m);
    }
    if let Some(m) = max {
        d = d.max(m);
    }
    Ok(d)
}

/// A value to set: a number, an array of numbers (any shape) or a
/// distribution tuple.
fn value_of(v: &Bound<'_, PyAny>) -> PyResult<Value> {
    if let Ok(t) = v.cast::<PyTuple>() {
        return Ok(Value::Random(dist_of(t)?));
    }
    if let Ok(x) = v.extract::<f64>() {
        return Ok(Value::Scalar(x));
    }
    let a: PyReadonlyArrayDyn<'_, f64> = v.extract()?;
    Ok(Value::Array(a.as_array().to_owned()))
}

fn weights_of(v: &Bound<'_, PyAny>) -> PyResult<Weights> {
    if let Ok(t) = v.cast::<PyTuple>() {
        return Ok(Weights::Random(dist_of(t)?));
    }
    Ok(Weights::Constant(v.extract::<f64>()?))
}

fn delays_of(v: &Bound<'_, PyAny>) -> PyResult<Option<Delays>> {
    if v.is_none() {
        return Ok(None);
    }
    if let Ok(t) = v.cast::<PyTuple>() {
        return Ok(Some(Delays::Random(dist_of(t)?)));
    }
    Ok(Some(Delays::Constant(v.extract::<f64>()?)))
}

/// An attribute of a population or projection: `(name, is a parameter,
/// locality)`, the locality `"global"` (one value for the population or
/// projection), `"shared"` (one value per population, or per post-synaptic
/// neuron of a projection, stored per neuron or synapse: ANNarchy's `:
/// population` variables and `: postsynaptic` ones) or `"local"`.
type Attribute = (String, bool, &'static str);

/// The attributes a user sees (not the hidden slots).
fn attributes(vars: &[cajal::lang::ir::VarDecl]) -> Vec<Attribute> {
    use cajal::lang::ir::{Locality, VarKind};
    vars.iter()
        .filter(|v| v.kind != VarKind::Hidden)
        .map(|v| {
            let locality = if v.locality == Locality::Global {
                "global"
            } else if v.shared {
                "shared"
            } else {
                "local"
            };
            (v.name.clone(), v.kind == VarKind::Parameter, locality)
        })
        .collect()
}

/// A network and, once compiled, its simulation.
// Unsendable: an ANNarchy script drives its network from one thread; the
// simulation runs without the GIL but on that thread.
#[pyclass(module = "cajal._cajal", unsendable)]
struct Core {
    net: Network,
    sim: Option<Simulation>,
    monitors: Vec<MonitorId>,
}

impl Core {
    fn pop(&self, name: &str) -> PyResult<PopId> {
        self.network().find(name).map_err(err)
    }

    fn proj(&self, name: &str) -> PyResult<ProjId> {
        self.network().find_projection(name).map_err(err)
    }

    /// The network as it is now: the simulation's own copy once compiled
    /// (monitors added after compiling are in it).
    fn network(&self) -> &Network {
        self.sim.as_ref().map_or(&self.net, Simulation::network)
    }

    fn view(&self, pop: PopId, ranks: Option<Vec<usize>>) -> PyResult<Option<View>> {
        ranks
            .map(|r| self.network().view(pop, &r).map_err(err))
            .transpose()
    }

    fn sim(&mut self, what: &str) -> PyResult<&mut Simulation> {
        self.sim.as_mut().ok_or_else(|| {
            invalid(
                what,
                "the network is not compiled yet: call compile() first",
            )
        })
    }

    /// Before adding to the network. A compiled network is opened again,
    /// as ANNarchy 4 lets a script add populations after `compile()` and
    /// compile again: the simulation is dropped (the Python layer warns),
    /// and its network, with the monitors added since compiling, is the
    /// one to add to and compile again. A batched one cannot reopen.
    fn before_compile(&mut self, what: &str) -> PyResult<()> {
        if let Some(sim) = &self.sim {
            if sim.batch_size() > 1 {
                return Err(invalid(
                    what,
                    "the network is compiled as a batch: add populations and projections before compile()",
                ));
            }
            self.net = sim.network().clone();
            self.sim = None;
        }
        Ok(())
    }

    fn monitor_id(&self, id: usize) -> PyResult<MonitorId> {
        self.monitors
            .get(id)
            .copied()
            .ok_or_else(|| invalid("monitor", format!("no monitor {id}")))
    }
}

#[pymethods]
impl Core {
    #[new]
    #[pyo3(signature = (dt = 1.0, seed = None, precision = None, flush_subnormals = false))]
    fn new(
        dt: f64,
        seed: Option<u64>,
        precision: Option<&str>,
        flush_subnormals: bool,
    ) -> PyResult<Self> {
        // Without a precision, the network's default (f32, or the
        // environment's CAJAL_PRECISION).
        let mut net = Network::new().dt(dt).flush_subnormals(flush_subnormals);
        if let Some(p) = precision {
            let dtype = match p {
                "float" | "single" | "float32" => Dtype::F32,
                "double" | "float64" => Dtype::F64,
                other => {
                    return Err(invalid(
                        "setup",
                        format!("precision is 'float' or 'double', got '{other}'"),
                    ))
                }
            };
            net = net.dtype(dtype);
        }
        if let Some(s) = seed {
            net = net.seed(s);
        }
        // An invalid dt is refused by the first population; say it now.
        if !(dt.is_finite() && dt > 0.0) {
            return Err(invalid(
                "setup",
                format!("dt must be a positive number of ms, got {dt}"),
            ));
        }
        Ok(Core {
            net,
            sim: None,
            monitors: Vec::new(),
        })
    }

    /// A fresh, uncompiled copy of this network as it is now (its
    /// populations with their values as compiled, its synapses, monitors
    /// and constants; the monitors keep their numbers), with `seed` for its
    /// run-time draws (ANNarchy 4's network copies, `parallel_run`).
    #[pyo3(signature = (seed = None))]
    fn fork(&self, seed: Option<u64>) -> Core {
        let mut net = self.network().clone();
        if let Some(s) = seed {
            net = net.seed(s);
        }
        Core {
            net,
            sim: None,
            monitors: self.monitors.clone(),
        }
    }

    /// `'float'` or `'double'`.
    fn precision(&self) -> &'static str {
        match self.network().precision() {
            Dtype::F32 => "float",
            Dtype::F64 => "double",
        }
    }

    /// The time step in ms.
    fn dt(&self) -> f64 {
        self.network().time_step()
    }

    /// Whether `compile` has run.
    fn compiled(&self) -> bool {
        self.sim.is_some()
    }

    // ---- populations ----------------------------------------------------

    /// Adds a population of a neuron model (a dictionary or a built-in).
    fn population(
        &mut self,
        name: &str,
        geometry: Vec<usize>,
        model: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        self.before_compile("population")?;
        let n = neuron_of(model)?;
        self.net
            .population(name, geometry, &n)
            .map_err(|e| CajalError::new_err(format!("population '{name}': {e}")))?;
        Ok(())
    }

    /// Adds one of the input populations: `kind` is `poisson` (args
    /// `rates`: a number, an array, an expression or `("target", t)`;
    /// `refractory`), `spike_source_array` (`spike_times`), `input_array`,
    /// `timed_array` (`rates`: an array, first axis time; `schedule`,
    /// `period`) or `timed_poisson` (the same, rates `[rows, neurons]`).
    fn input_population(
        &mut self,
        kind: &str,
        name: &str,
        geometry: Vec<usize>,
        args: &Bound<'_, PyDict>,
    ) -> PyResult<()> {
        self.before_compile("population")?;
        let arg = |k: &str| -> PyResult<Bound<'_, PyAny>> {
            args.get_item(k)?
                .ok_or_else(|| invalid(kind, format!("the argument '{k}' is missing")))
        };
        let opt_f64 = |k: &str| -> PyResult<Option<f64>> {
            match args.get_item(k)? {
                Some(v) if !v.is_none() => Ok(Some(v.extract()?)),
                _ => Ok(None),
            }
        };
        match kind {
            "poisson" => {
                let r = arg("rates")?;
                let rates =
                    if let Ok((k, expr, parameters)) = r.extract::<(String, String, String)>() {
                        if k != "expr" {
                            return Err(invalid(name, format!("unknown rates kind '{k}'")));
                        }
                        Rates::ExprWith { expr, parameters }
                    } else if let Ok((k, t)) = r.extract::<(String, String)>() {
                        if k != "target" {
                            return Err(invalid(name, format!("unknown rates kind '{k}'")));
                        }
                        Rates::Target(t)
                    } else if let Ok(e) = r.extract::<String>() {
                        Rates::Expr(e)
                    } else if let Ok(x) = r.extract::<f32>() {
                        Rates::Constant(x)
                    } else {
                        let a: PyReadonlyArrayDyn<'_, f64> = r.extract()?;
                        Rates::PerNeuron(a.as_array().iter().map(|&x| x as f32).collect())
                    };
                self.net
                    .poisson_population(name, geometry, rates, opt_f64("refractory")?)
                    .map_err(err)?;
            }
            "spike_source_array" => {
                let times: Vec<Vec<f64>> = arg("spike_times")?.extract()?;
                self.net.spike_source_array(name, times).map_err(err)?;
            }
            "input_array" => {
                self.net.input_array(name, geometry).map_err(err)?;
            }
            "spike_input" => {
                let max: usize = arg("max_spikes")?.extract()?;
                self.net.spike_input(name, geometry, max).map_err(err)?;
            }
            "timed_array" | "timed_poisson" => {
                let rates: PyReadonlyArrayDyn<'_, f64> = arg("rates")?.extract()?;
                let rates = rates.as_array().mapv(|x| x as f32);
                let s = arg("schedule")?;
                let schedule = match s.extract::<f64>() {
                    Ok(every) => cajal::models::timed::Schedule::from(every),
                    Err(_) => cajal::models::timed::Schedule::from(s.extract::<Vec<f64>>()?),
                };
                let period = opt_f64("period")?.unwrap_or(-1.0);
                if kind == "timed_array" {
                    self.net
                        .timed_array(name, &rates, schedule, period)
                        .map_err(err)?;
                } else {
                    let rows = rates.shape().first().copied().unwrap_or(0);
                    let flat = rates
                        .into_shape_with_order((rows, geometry.iter().product::<usize>()))
                        .map_err(|e| invalid(name, format!("rates: {e}")))?;
                    self.net
                        .timed_poisson_population(name, geometry, &flat, schedule, period)
                        .map_err(err)?;
                }
            }
            other => {
                return Err(invalid(
                    "population",
                    format!("unknown input population '{other}'"),
                ))
            }
        }
        Ok(())
    }

    /// Size, geometry, spiking or not, and the attributes of a
    /// population: `(name, is a parameter, is population-wide)` each.
    fn population_info(&self, name: &str) -> PyResult<(usize, Vec<usize>, bool, Vec<Attribute>)> {
        let p = self.network().pop(self.pop(name)?).map_err(err)?;
        Ok((
            p.size(),
            p.geometry.dims().to_vec(),
            p.ir.spiking,
            attributes(&p.ir.vars),
        ))
    }

    /// Sets a parameter or variable of a population (or of the neurons
    /// `ranks` of it): before compiling its initial value, after it the
    /// running value.
    #[pyo3(signature = (pop, var, value, ranks = None))]
    fn set(
        &mut self,
        pop: &str,
        var: &str,
        value: &Bound<'_, PyAny>,
        ranks: Option<Vec<usize>>,
    ) -> PyResult<()> {
        let id = self.pop(pop)?;
        let value = value_of(value)?;
        let view = self.view(id, ranks)?;
        match (&mut self.sim, view) {
            (Some(s), None) => s.set(id, var, value),
            (Some(s), Some(v)) => s.set_view(&v, var, value),
            (None, None) => self.net.set(id, var, value),
            (None, Some(v)) => self.net.set_view(&v, var, value),
        }
        .map_err(err)
    }

    /// A parameter or variable of a population (or of the neurons `ranks`
    /// of it), flat in rank order, in double precision: before compiling
    /// the initial values, after it the running ones.
    #[pyo3(signature = (pop, var, ranks = None))]
    fn get<'py>(
        &self,
        py: Python<'py>,
        pop: &str,
        var: &str,
        ranks: Option<Vec<usize>>,
    ) -> PyResult<Bound<'py, PyArrayDyn<f64>>> {
        let id = self.pop(pop)?;
        let all: Vec<f64> = match &self.sim {
            Some(s) => s.get_f64(id, var),
            None => self.net.get_f64(id, var),
        }
        .map_err(err)?
        .iter()
        .copied()
        .collect();
        // A population-wide value is the same for every neuron (repeated
        // for a view after compiling, one value before).
        let values: Vec<f64> = match (&self.sim, self.view(id, ranks)?) {
            (sim, Some(v)) if all.len() > 1 || sim.is_some() => {
                let k = |r: u32| if all.len() == 1 { 0 } else { r as usize };
                v.ranks().iter().map(|&r| all[k(r)]).collect()
            }
            _ => all,
        };
        let n = values.len();
        Ok(ArrayD::from_shape_vec(IxDyn(&[n]), values)
            .map_err(|e| invalid(pop, e.to_string()))?
            .into_pyarray(py))
    }

    /// The weighted sum of the inputs of a target (`sum(target)`) after
    /// the last step.
    fn sum<'py>(
        &mut self,
        py: Python<'py>,
        pop: &str,
        target: &str,
    ) -> PyResult<Bound<'py, PyArrayDyn<f64>>> {
        let id = self.pop(pop)?;
        let a = self.sim("sum")?.sum_f64(id, target).map_err(err)?;
        Ok(a.into_pyarray(py))
    }

    /// Changes the spike times of a SpikeSourceArray.
    fn set_spike_times(&mut self, pop: &str, times: Vec<Vec<f64>>) -> PyResult<()> {
        let id = self.pop(pop)?;
        match &mut self.sim {
            Some(s) => s.set_spike_times(id, times),
            None => self.net.set_spike_times(id, times),
        }
        .map_err(err)
    }

    /// Computes the firing rate `r` of a spiking population over a window.
    fn compute_firing_rate(&mut self, pop: &str, window: f64) -> PyResult<()> {
        self.before_compile("compute_firing_rate")?;
        let id = self.pop(pop)?;
        self.net.compute_firing_rate(id, window).map_err(err)
    }

    // ---- projections ----------------------------------------------------

    /// Adds a projection and connects it. `connector` names the pattern
    /// and `args` holds its arguments (`weights`, `delays`,
    /// `allow_self_connections`, `probability`, `number`, `matrix`,
    /// `post`/`pre`/`w`/`d` for sparse lists, `amp`, `sigma`, `limit`, ...).
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (name, pre, pre_ranks, post, post_ranks, targets, synapse, connector, args, window = None))]
    fn projection(
        &mut self,
        name: &str,
        pre: &str,
        pre_ranks: Option<Vec<usize>>,
        post: &str,
        post_ranks: Option<Vec<usize>>,
        targets: Vec<String>,
        synapse: &Bound<'_, PyAny>,
        connector: &str,
        args: &Bound<'_, PyDict>,
        window: Option<f64>,
    ) -> PyResult<()> {
        self.before_compile("projection")?;
        let (pre_id, post_id) = (self.pop(pre)?, self.pop(post)?);
        let pre_part: cajal::network::Part = match self.view(pre_id, pre_ranks)? {
            Some(v) => v.into(),
            None => pre_id.into(),
        };
        let post_part: cajal::network::Part = match self.view(post_id, post_ranks)? {
            Some(v) => v.into(),
            None => post_id.into(),
        };
        let syn = synapse_of(synapse)?;
        let get = |k: &str| -> PyResult<Option<Bound<'_, PyAny>>> {
            Ok(args.get_item(k)?.filter(|v| !v.is_none()))
        };
        let need = |k: &str| -> PyResult<Bound<'_, PyAny>> {
            get(k)?.ok_or_else(|| invalid(connector, format!("the argument '{k}' is missing")))
        };
        let weights = match get("weights")? {
            Some(w) => weights_of(&w)?,
            None => Weights::Constant(1.0),
        };
        let delays = match get("delays")? {
            Some(d) => delays_of(&d)?,
            None => None,
        };
        let allow_self = match get("allow_self_connections")? {
            Some(a) => Some(a.extract::<bool>()?),
            None => None,
        };
        let mut b = match window {
            Some(w) => self.net.decoding_projection(
                pre_part,
                post_part,
                targets.first().map_or("", |s| s.as_str()),
                w,
            ),
            None => self.net.projection(pre_part, post_part, targets),
        };
        b = b.synapse(&syn).name(name);
        if let Some(d) = delays {
            b = b.delays(d);
        }
        if let Some(a) = allow_self {
            b = b.allow_self_connections(a);
        }
        let r = match connector {
            "all_to_all" => b.connect_all_to_all(weights),
            "one_to_one" => b.connect_one_to_one(weights),
            "fixed_probability" => {
                b.connect_fixed_probability(need("probability")?.extract()?, weights)
            }
            "fixed_number_pre" => b.connect_fixed_number_pre(need("number")?.extract()?, weights),
            "fixed_number_post" => b.connect_fixed_number_post(need("number")?.extract()?, weights),
            "from_matrix" => {
                let m: PyReadonlyArrayDyn<'_, f64> = need("matrix")?.extract()?;
                if m.ndim() != 2 {
                    return Err(invalid(
                        connector,
                        format!("the matrix must have 2 dimensions, got {}", m.ndim()),
                    ));
                }
                let m = m
                    .as_array()
                    .mapv(|x| x as f32)
                    .into_dimensionality::<ndarray::Ix2>()
                    .map_err(|e| invalid(connector, e.to_string()))?;
                b.connect_from_matrix(m)
            }
            "from_sparse" => {
                let post: Vec<u32> = need("post")?.extract()?;
                let pre: Vec<u32> = need("pre")?.extract()?;
                let w: Vec<f32> = need("w")?.extract()?;
                let d: Option<Vec<f64>> = get("d")?.map(|d| d.extract()).transpose()?;
                b.connect_from_sparse(post, pre, w, d)
            }
            "from_file" => b.connect_from_file(need("filename")?.extract::<String>()?),
            "gaussian" => b.connect_gaussian(
                need("amp")?.extract()?,
                need("sigma")?.extract()?,
                get("limit")?
                    .map(|l| l.extract())
                    .transpose()?
                    .unwrap_or(0.01),
            ),
            "dog" => b.connect_dog(
                need("amp_pos")?.extract()?,
                need("sigma_pos")?.extract()?,
                need("amp_neg")?.extract()?,
                need("sigma_neg")?.extract()?,
                get("limit")?
                    .map(|l| l.extract())
                    .transpose()?
                    .unwrap_or(0.01),
            ),
            other => {
                return Err(invalid(
                    &format!("projection '{name}'"),
                    format!("unknown connector '{other}'"),
                ))
            }
        };
        r.map_err(err)?;
        Ok(())
    }

    /// Adds ANNarchy's `Convolution(pre, post, target, psp, operation)`
    /// connected by `connect_filter` (`bank` false) or `connect_filters`.
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (name, pre, post, target, psp, operation, weights, bank, delays, padding, subsampling, keep_last_dimension))]
    fn convolution(
        &mut self,
        name: &str,
        pre: &str,
        post: &str,
        target: &str,
        psp: &str,
        operation: &str,
        weights: PyReadonlyArrayDyn<'_, f64>,
        bank: bool,
        delays: f64,
        padding: &Bound<'_, PyAny>,
        subsampling: Option<Vec<Vec<usize>>>,
        keep_last_dimension: bool,
    ) -> PyResult<()> {
        self.before_compile("Convolution")?;
        let (a, b) = (self.pop(pre)?, self.pop(post)?);
        let padding = match padding.extract::<String>() {
            Ok(s) if s == "border" => cajal::network::conv::Padding::Border,
            Ok(s) => {
                return Err(invalid(
                    &format!("projection '{name}'"),
                    format!("padding is a number or 'border', got '{s}'"),
                ))
            }
            Err(_) => cajal::network::conv::Padding::Value(padding.extract::<f32>()?),
        };
        let filter = weights.as_array().mapv(|x| x as f32);
        let mut c = self
            .net
            .convolution(a, b, target)
            .name(name)
            .psp(psp)
            .operation(operation_of(operation)?)
            .padding(padding)
            .keep_last_dimension(keep_last_dimension);
        if delays > 0.0 {
            c = c.delay(delays);
        }
        if let Some(centres) = subsampling {
            c = c.subsampling(centres);
        }
        if bank {
            c.connect_filters(&filter)
        } else {
            c.connect_filter(&filter)
        }
        .map_err(err)?;
        Ok(())
    }

    /// Adds ANNarchy's `Pooling(pre, post, target, psp, operation)`
    /// connected by `connect_pooling(extent)`.
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (name, pre, post, target, psp, operation, extent, delays))]
    fn pooling(
        &mut self,
        name: &str,
        pre: &str,
        post: &str,
        target: &str,
        psp: &str,
        operation: &str,
        extent: Option<Vec<usize>>,
        delays: f64,
    ) -> PyResult<()> {
        self.before_compile("Pooling")?;
        let (a, b) = (self.pop(pre)?, self.pop(post)?);
        let mut p = self
            .net
            .pooling(a, b, target)
            .name(name)
            .psp(psp)
            .operation(operation_of(operation)?);
        if delays > 0.0 {
            p = p.delay(delays);
        }
        p.connect_pooling(extent.as_deref()).map_err(err)?;
        Ok(())
    }

    /// Adds ANNarchy's `Transpose(proj, target)`; returns its name.
    fn transpose(&mut self, proj: &str, target: &str) -> PyResult<String> {
        self.before_compile("Transpose")?;
        let id = self.proj(proj)?;
        let t = self.net.transpose(id, target).map_err(err)?;
        Ok(self.net.proj(t).map_err(err)?.name.clone())
    }

    /// Adds ANNarchy's `Copy(pre, post, target).connect_copy(proj)`;
    /// returns its name.
    fn copy(&mut self, proj: &str, pre: &str, post: &str, target: &str) -> PyResult<String> {
        self.before_compile("Copy")?;
        let (id, a, b) = (self.proj(proj)?, self.pop(pre)?, self.pop(post)?);
        let c = self.net.copy(id, a, b, target).map_err(err)?;
        Ok(self.net.proj(c).map_err(err)?.name.clone())
    }

    /// Number of synapses, the post-synaptic ranks with synapses, and the
    /// attributes of the synapse model: `(name, is a parameter, is
    /// projection-wide)` each.
    fn projection_info(&self, name: &str) -> PyResult<(usize, Vec<u32>, Vec<Attribute>)> {
        let p = self.network().proj(self.proj(name)?).map_err(err)?;
        let mut posts = p.synapses.post.clone();
        posts.dedup();
        Ok((p.synapse_count(), posts, attributes(&p.ir.vars)))
    }

    /// Every synapse of a projection as `(post, pre, value)` arrays in
    /// (post, pre) order: before compiling the initial values.
    fn synapses<'py>(
        &self,
        py: Python<'py>,
        proj: &str,
        var: &str,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let id = self.proj(proj)?;
        let (post, pre, v) = match &self.sim {
            Some(s) => s.synapses_f64(id, var),
            None => self.net.synapses_f64(id, var),
        }
        .map_err(err)?;
        (
            post.into_pyarray(py),
            pre.into_pyarray(py),
            v.into_pyarray(py),
        )
            .into_pyobject(py)
    }

    /// Sets a synapse variable: a number, one value per synapse in (post,
    /// pre) order, or a distribution.
    fn set_projection(&mut self, proj: &str, var: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let id = self.proj(proj)?;
        let value = value_of(value)?;
        match &mut self.sim {
            Some(s) => s.set_projection(id, var, value),
            None => self.net.set_projection(id, var, value),
        }
        .map_err(err)
    }

    /// Turns learning on (`proj` None: every plastic projection).
    #[pyo3(signature = (proj = None, period = None, offset = None))]
    fn enable_learning(
        &mut self,
        proj: Option<&str>,
        period: Option<f64>,
        offset: Option<f64>,
    ) -> PyResult<()> {
        let id = proj.map(|p| self.proj(p)).transpose()?;
        self.sim("enable_learning")?
            .enable_learning(id, period, offset)
            .map_err(err)
    }

    /// Turns learning off (`proj` None: every projection).
    #[pyo3(signature = (proj = None))]
    fn disable_learning(&mut self, proj: Option<&str>) -> PyResult<()> {
        let id = proj.map(|p| self.proj(p)).transpose()?;
        self.sim("disable_learning")?
            .disable_learning(id)
            .map_err(err)
    }

    /// Turns a projection's learning on or off, keeping its period (the
    /// `plasticity` and `update` flags).
    fn learning_on(&mut self, proj: &str, on: bool) -> PyResult<()> {
        let id = self.proj(proj)?;
        self.sim("learning_on")?
            .learning_on(Some(id), on)
            .map_err(err)
    }

    /// Writes a projection's synapses to a file `connect_from_file` reads.
    fn save_connectivity(&self, proj: &str, path: &str) -> PyResult<()> {
        let id = self.proj(proj)?;
        self.sim
            .as_ref()
            .ok_or_else(|| invalid("save_connectivity", "compile() first"))?
            .save_connectivity(id, path)
            .map_err(err)
    }

    // ---- monitors -------------------------------------------------------

    /// Adds a monitor of a population (or of its neurons `ranks`);
    /// returns its number. After compiling it records from now on.
    #[pyo3(signature = (pop, ranks, vars, period, start = true))]
    fn monitor(
        &mut self,
        pop: &str,
        ranks: Option<Vec<usize>>,
        vars: Vec<String>,
        period: Option<f64>,
        start: bool,
    ) -> PyResult<usize> {
        let id = self.pop(pop)?;
        let part: cajal::network::Part = match self.view(id, ranks)? {
            Some(v) => v.into(),
            None => id.into(),
        };
        let vars: Vec<&str> = vars.iter().map(String::as_str).collect();
        let period = period.unwrap_or_else(|| self.network().time_step());
        let m = match &mut self.sim {
            Some(s) => s.monitor_with(part, &vars, period, start),
            None => self.net.monitor_with(part, &vars, period, start),
        }
        .map_err(err)?;
        self.monitors.push(m);
        Ok(self.monitors.len() - 1)
    }

    /// Adds a monitor of a projection's synapses (one dendrite or all);
    /// returns its number.
    fn monitor_projection(
        &mut self,
        proj: &str,
        post: Option<usize>,
        vars: Vec<String>,
        period: Option<f64>,
    ) -> PyResult<usize> {
        let id = self.proj(proj)?;
        let vars: Vec<&str> = vars.iter().map(String::as_str).collect();
        let period = period.unwrap_or_else(|| self.network().time_step());
        let m = match &mut self.sim {
            Some(s) => s.monitor_projection(id, post, &vars, period),
            None => self.net.monitor_projection(id, post, &vars, period),
        }
        .map_err(err)?;
        self.monitors.push(m);
        Ok(self.monitors.len() - 1)
    }

    /// What a monitor recorded: `(sample steps, {var: [samples, values]},
    /// spike steps, spike ranks)`, taken out of it (the Python layer keeps
    /// its own buffer, which empties per variable).
    fn recording<'py>(&mut self, py: Python<'py>, mon: usize) -> PyResult<Bound<'py, PyTuple>> {
        let m = self.monitor_id(mon)?;
        let sim = self.sim("Monitor.get")?;
        let rec = sim.take_recording_f64(m).map_err(err)?;
        let d = PyDict::new(py);
        for (name, a) in rec.vars {
            d.set_item(name, a.into_pyarray(py))?;
        }
        let (s, r): (Vec<u64>, Vec<u32>) = rec.spikes.into_iter().unzip();
        (
            rec.sample_steps.into_pyarray(py),
            d,
            s.into_pyarray(py),
            r.into_pyarray(py),
        )
            .into_pyobject(py)
    }

    /// Stops a monitor recording until `resume`.
    fn pause(&mut self, mon: usize) -> PyResult<()> {
        let m = self.monitor_id(mon)?;
        self.sim("Monitor.pause")?.pause(m).map_err(err)
    }

    /// Restarts a monitor; its period counts from now.
    fn resume(&mut self, mon: usize) -> PyResult<()> {
        let m = self.monitor_id(mon)?;
        self.sim("Monitor.resume")?.resume(m).map_err(err)
    }

    // ---- batches and ml_genn ---------------------------------------------

    /// The number of copies a batched simulation runs (1 otherwise).
    fn batch_size(&self) -> usize {
        self.sim.as_ref().map_or(1, Simulation::batch_size)
    }

    /// Sets a variable of one batch element's neurons.
    fn set_element(
        &mut self,
        pop: &str,
        element: usize,
        var: &str,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let id = self.pop(pop)?;
        let value = value_of(value)?;
        self.sim("set_element")?
            .set_element(id, element, var, value)
            .map_err(err)
    }

    /// Turns an ml_genn input population into a sequence of `frames`
    /// frames of `frame_timesteps` steps each (before compiling).
    fn input_frames(&mut self, pop: &str, frames: usize, frame_timesteps: u32) -> PyResult<()> {
        self.before_compile("input_frames")?;
        let id = self.pop(pop)?;
        self.net
            .input_frames(id, frames, frame_timesteps)
            .map_err(err)
    }

    /// Sets the input of an ml_genn input population: one example, or
    /// one per batch element (`[examples, geometry...]`, with frames:
    /// `[examples, frames, geometry...]`).
    fn set_input(&mut self, pop: &str, input: PyReadonlyArrayDyn<'_, f64>) -> PyResult<()> {
        let id = self.pop(pop)?;
        let a = input.as_array().mapv(|x| x as f32);
        self.sim("set_input")?.set_input(id, a.view()).map_err(err)
    }

    /// Sets the spikes of a spike input, one list of `(time ms, rank)` per
    /// batch element.
    fn set_input_spikes(&mut self, pop: &str, examples: Vec<Vec<(f64, u32)>>) -> PyResult<()> {
        let id = self.pop(pop)?;
        self.sim("set_input_spikes")?
            .set_input_spikes(id, &examples)
            .map_err(err)
    }

    /// ml_genn's readout of a monitor from step `from_step` on:
    /// `[batch, neurons]`. `kind`: `spike_count`, `first_spike_time`,
    /// `var`, `avg_var`, `max_var` or `sum_var` (these of `var`).
    #[pyo3(signature = (mon, kind, var = None, from_step = 0))]
    fn readout<'py>(
        &mut self,
        py: Python<'py>,
        mon: usize,
        kind: &str,
        var: Option<String>,
        from_step: u64,
    ) -> PyResult<Bound<'py, PyArrayDyn<f64>>> {
        use cajal::engine::readout::Readout;
        let m = self.monitor_id(mon)?;
        let need = |v: Option<String>| {
            v.ok_or_else(|| invalid("readout", format!("'{kind}' needs a variable")))
        };
        let r = match kind {
            "spike_count" => Readout::SpikeCount,
            "first_spike_time" => Readout::FirstSpikeTime,
            "var" => Readout::Var(need(var)?),
            "avg_var" => Readout::AvgVar(need(var)?),
            "max_var" => Readout::MaxVar(need(var)?),
            "sum_var" => Readout::SumVar(need(var)?),
            other => return Err(invalid("readout", format!("unknown readout '{other}'"))),
        };
        let a = self
            .sim("readout")?
            .readout_batch(m, &r, from_step)
            .map_err(err)?;
        Ok(a.mapv(f64::from).into_dyn().into_pyarray(py))
    }

    // ---- running --------------------------------------------------------

    /// Compiles for `cpu`, `gpu` or `auto` (a hardware GPU if there is
    /// one); with `batch`, `batch` copies of the network run at once
    /// (batch simulation for inference).
    #[pyo3(signature = (backend, batch = None))]
    fn compile(&mut self, backend: &str, batch: Option<usize>) -> PyResult<String> {
        if self.sim.is_some() {
            return Err(invalid("compile", "the network is already compiled"));
        }
        let be = match backend {
            "cpu" => Backend::Cpu,
            "gpu" => Backend::Gpu,
            "auto" => Backend::Auto,
            other => {
                return Err(invalid(
                    "compile",
                    format!("backend must be 'cpu', 'gpu' or 'auto', got '{other}'"),
                ))
            }
        };
        let sim = match batch {
            Some(b) => self.net.compile_batched(be, b),
            None => self.net.compile(be),
        }
        .map_err(err)?;
        let name = match sim.device() {
            Some(d) => format!("gpu ({})", d.name),
            None => "cpu".to_string(),
        };
        self.sim = Some(sim);
        Ok(name)
    }

    /// Compiles as one rank of a distributed run
    /// (`Network::compile_distributed`, or `compile_distributed_gpu` for
    /// `backend` 'gpu', and for 'auto' where `Backend::Auto` would try the
    /// GPU), `comm` an mpi4py communicator or any object with its
    /// `Get_rank`, `Get_size` and `allgather`.
    #[pyo3(signature = (comm, backend = "cpu"))]
    fn compile_distributed(
        &mut self,
        py: Python<'_>,
        comm: Py<PyAny>,
        backend: &str,
    ) -> PyResult<String> {
        if self.sim.is_some() {
            return Err(invalid("compile", "the network is already compiled"));
        }
        let on_gpu = match backend {
            "cpu" => false,
            "gpu" => true,
            // As Backend::Auto chooses, less its fallback on a failed GPU
            // build (every rank must run the same engine).
            "auto" => {
                cajal::engine::gpu::context::auto_passes_over().is_none()
                    && !cajal::engine::gpu::devices().is_empty()
            }
            other => {
                return Err(invalid(
                    "compile",
                    format!("backend must be 'cpu', 'gpu' or 'auto', got '{other}'"),
                ))
            }
        };
        let rank: usize = comm.call_method0(py, "Get_rank")?.extract(py)?;
        let size: usize = comm.call_method0(py, "Get_size")?.extract(py)?;
        let comm = std::sync::Arc::new(PyComm {
            obj: comm,
            rank,
            size,
        });
        let net = &self.net;
        // Without the GIL: the ranks' first exchange happens while
        // compiling, and another rank's allgather may need it.
        let opts = cajal::engine::gpu::GpuOptions::default();
        let sim = py
            .detach(|| match on_gpu {
                true => net.compile_distributed_gpu(comm, &opts),
                false => net.compile_distributed(comm),
            })
            .map_err(err)?;
        let engine = match sim.device() {
            Some(d) => format!("gpu ({})", d.name),
            None => "cpu".to_string(),
        };
        self.sim = Some(sim);
        Ok(format!("{engine}, rank {rank} of {size}"))
    }

    /// Runs `steps` steps without the GIL, in pieces, so that Ctrl+C
    /// (a pending signal) stops it between pieces with KeyboardInterrupt.
    fn run_steps(&mut self, py: Python<'_>, steps: u64) -> PyResult<()> {
        let dt = self.dt();
        let sim = self.sim("simulate")?;
        let mut left = steps;
        while left > 0 {
            let k = left.min(2000);
            py.detach(|| sim.simulate(k as f64 * dt)).map_err(err)?;
            left -= k;
            py.check_signals()?;
        }
        Ok(())
    }

    /// The number of steps a duration in ms makes (an error for one that
    /// is not a positive, finite duration of at least half a step).
    fn steps_of(&self, ms: f64) -> PyResult<u64> {
        let dt = self.dt();
        if !(ms.is_finite() && ms >= 0.0) {
            return Err(invalid(
                "simulate",
                format!("the duration must be a non-negative number of ms, got {ms}"),
            ));
        }
        let n = (ms / dt).round();
        if n == 0.0 && ms > 0.0 {
            return Err(invalid(
                "simulate",
                format!("{ms} ms is less than half a step (dt = {dt} ms): no step would run"),
            ));
        }
        if n >= 9.0e15 {
            return Err(invalid(
                "simulate",
                format!("{ms} ms is {n} steps: too many to run"),
            ));
        }
        Ok(n as u64)
    }

    /// The current step.
    fn current_step(&self) -> u64 {
        self.sim.as_ref().map_or(0, Simulation::current_step)
    }

    /// The current time in ms.
    fn time(&self) -> f64 {
        self.sim.as_ref().map_or(0.0, Simulation::time)
    }

    /// Sets the step counter (time follows it).
    fn set_current_step(&mut self, step: u64) -> PyResult<()> {
        self.sim("set_current_step")?.set_current_step(step);
        Ok(())
    }

    /// Sets the time in ms.
    fn set_time(&mut self, t: f64) -> PyResult<()> {
        self.sim("set_time")?.set_time(t).map_err(err)
    }

    /// Back to the state after compiling; monitors emptied.
    fn reset(&mut self) -> PyResult<()> {
        self.sim("reset")?.reset().map_err(err)
    }

    /// Sets the seed of the run-time draws.
    fn set_seed(&mut self, seed: u64) -> PyResult<()> {
        match &mut self.sim {
            Some(s) => s.set_seed(seed),
            None => {
                let net = std::mem::take(&mut self.net);
                self.net = net.seed(seed);
            }
        }
        Ok(())
    }

    /// Saves the state (every value, time) to a file.
    fn save(&self, path: &str) -> PyResult<()> {
        self.sim
            .as_ref()
            .ok_or_else(|| invalid("save", "compile() first"))?
            .save(path)
            .map_err(err)
    }

    /// Loads a state saved by `save` of the same network.
    fn load(&mut self, path: &str) -> PyResult<()> {
        self.sim("load")?.load(path).map_err(err)
    }

    /// Sets a network constant (created if new, before compiling).
    fn constant(&mut self, name: &str, value: f32) -> PyResult<()> {
        match &mut self.sim {
            Some(s) => s.set_constant(name, value),
            None => self.net.constant(name, value),
        }
        .map_err(err)
    }

    /// A network constant's value.
    fn get_constant(&self, name: &str) -> PyResult<f64> {
        match &self.sim {
            Some(s) => s.get_constant(name),
            None => self.net.get_constant(name),
        }
        .map_err(err)
    }

    /// Adds global functions (`name(x, y) = expression`, one a line).
    fn add_function(&mut self, text: &str) -> PyResult<()> {
        self.before_compile("add_function")?;
        self.net.add_function(text).map_err(err)
    }

    /// The network as text (populations, projections, monitors) and,
    /// once compiled, the schedule of a step.
    fn report(&self) -> String {
        match &self.sim {
            Some(s) => format!("{}\n{}", s.network().report(), s.schedule()),
            None => self.net.report(),
        }
    }
}

/// The names of the built-in neuron models (ANNarchy's and ml_genn's).
#[pyfunction]
fn builtin_neurons() -> Vec<String> {
    cajal::models::builtin_names()
        .iter()
        .chain(cajal::models::mlgenn::model_names())
        .map(|s| s.to_string())
        .collect()
}

/// The GPU adapters wgpu finds: `(name, kind, backend)` each.
#[pyfunction]
fn devices() -> Vec<(String, String, String)> {
    cajal::devices()
        .into_iter()
        .map(|d| (d.name.clone(), d.device_type.clone(), d.backend.clone()))
        .collect()
}

/// The extension module.
#[pymodule]
fn _cajal(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Core>()?;
    m.add("CajalError", m.py().get_type::<CajalError>())?;
    m.add_function(wrap_pyfunction!(builtin_neurons, m)?)?;
    m.add_function(wrap_pyfunction!(devices, m)?)?;
    Ok(())
}

//! Model files: a network written by hand in TOML, which `cajal run
//! FILE.toml` builds and runs as it runs a built-in model. The format is
//! documented in `docs/model-files.md`; `examples/models/` has examples.

use std::collections::BTreeMap;
use std::path::Path;

use cajal::models::inputs::Rates;
use cajal::prelude::*;
use serde::Deserialize;
use toml::{Spanned, Value as Toml};

use crate::models::{Built, Trace};

/// The file, as serde reads it; values whose form varies (numbers,
/// distributions, connectors) stay TOML values, read by the functions
/// below so that a mistake is told in the file's words.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    network: NetworkSpec,
    #[serde(default)]
    constants: BTreeMap<String, f64>,
    #[serde(default)]
    neurons: BTreeMap<String, Spanned<NeuronSpec>>,
    #[serde(default)]
    synapses: BTreeMap<String, Spanned<SynapseSpec>>,
    #[serde(default)]
    populations: Vec<Spanned<PopulationSpec>>,
    #[serde(default)]
    projections: Vec<Spanned<ProjectionSpec>>,
    #[serde(default)]
    monitors: Vec<Spanned<MonitorSpec>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct NetworkSpec {
    title: Option<String>,
    dt: Option<f64>,
    seed: Option<u64>,
    duration: Option<f64>,
    functions: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NeuronSpec {
    parameters: Option<String>,
    equations: Option<String>,
    functions: Option<String>,
    spike: Option<String>,
    reset: Option<String>,
    refractory: Option<Toml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SynapseSpec {
    parameters: Option<String>,
    equations: Option<String>,
    functions: Option<String>,
    psp: Option<String>,
    operation: Option<String>,
    pre_spike: Option<String>,
    post_spike: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PopulationSpec {
    name: String,
    geometry: Toml,
    neuron: Option<String>,
    poisson: Option<Toml>,
    #[serde(default)]
    set: BTreeMap<String, Toml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectionSpec {
    name: Option<String>,
    pre: String,
    post: String,
    target: String,
    connector: Toml,
    weights: Option<Toml>,
    delays: Option<Toml>,
    synapse: Option<String>,
    #[serde(default)]
    allow_self_connections: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MonitorSpec {
    population: String,
    variables: Vec<String>,
    neurons: Option<usize>,
}

/// What a model file gives `cajal run`.
pub struct Loaded {
    /// The network and what to record and plot.
    pub built: Built,
    /// The file's duration (ms), if it gives one.
    pub duration: Option<f64>,
    /// The file's seed, if it gives one.
    pub seed: Option<u64>,
}

/// An error in a model file: where (a line, a table) and what.
pub struct FileError(pub String);

/// Whether the command line's model names a model file rather than a
/// built-in model: by its extension, so that a file in the working folder
/// named like a built-in model does not take its place.
pub fn is_model_file(model: &str) -> bool {
    Path::new(model)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
}

/// How many neurons of a population a monitor of variables other than
/// `spike` records when the file does not say.
pub const DEFAULT_TRACE_NEURONS: usize = 10;

/// Reads and builds the model file at `path`; `dt` and `seed` from the
/// command line take the place of the file's.
pub fn load(
    path: &Path,
    dt: Option<f64>,
    seed: Option<u64>,
) -> std::result::Result<Loaded, FileError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| FileError(format!("cannot read the model file '{shown}': {e}")))?;
    let file: File = toml::from_str(&text).map_err(|e| FileError(format!("{shown}: {e}")))?;
    let at = |span: std::ops::Range<usize>, what: &str, e: String| {
        let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
        FileError(format!("{shown}, line {line} ({what}): {e}"))
    };
    if file.populations.is_empty() {
        return Err(FileError(format!(
            "{shown}: no [[populations]]: a model needs at least one (see docs/model-files.md)"
        )));
    }
    let file_seed = file.network.seed;
    let mut net = Network::new()
        .dt(dt.or(file.network.dt).unwrap_or(0.1))
        .seed(seed.or(file_seed).unwrap_or(42));

    // Constants and functions first: every model may read them.
    for (name, &value) in &file.constants {
        net.constant(name, value as f32)
            .map_err(|e| FileError(format!("{shown}, [constants] {name}: {e}")))?;
    }
    if let Some(f) = &file.network.functions {
        net.add_function(f)
            .map_err(|e| FileError(format!("{shown}, [network] functions: {e}")))?;
    }
    let mut neurons = BTreeMap::new();
    for (name, spec) in &file.neurons {
        let what = format!("neurons.{name}");
        let n = neuron(name, spec.get_ref()).map_err(|e| at(spec.span(), &what, e))?;
        neurons.insert(name.clone(), n);
    }
    let mut synapses = BTreeMap::new();
    for (name, spec) in &file.synapses {
        let what = format!("synapses.{name}");
        let s = synapse(name, spec.get_ref()).map_err(|e| at(spec.span(), &what, e))?;
        synapses.insert(name.clone(), s);
    }

    let mut spiking = Vec::new();
    for (i, spec) in file.populations.iter().enumerate() {
        let p = spec.get_ref();
        let what = format!("populations[{i}] '{}'", p.name);
        let id = population(&mut net, p, &neurons).map_err(|e| at(spec.span(), &what, e))?;
        if net.pop(id).map(|p| p.ir.spiking).unwrap_or(false) {
            spiking.push(id);
        }
    }
    for (i, spec) in file.projections.iter().enumerate() {
        let p = spec.get_ref();
        let what = format!("projections[{i}] {} -> {}", p.pre, p.post);
        projection(&mut net, p, &synapses).map_err(|e| at(spec.span(), &what, e))?;
    }
    let mut traces = Vec::new();
    let mut recorded = Vec::new();
    for (i, spec) in file.monitors.iter().enumerate() {
        let m = spec.get_ref();
        let what = format!("monitors[{i}] '{}'", m.population);
        let fail = |e: String| at(spec.span(), &what, e);
        let pop = net.find(&m.population).map_err(|e| fail(e.to_string()))?;
        if m.variables.is_empty() {
            return Err(fail("'variables' lists nothing to record".into()));
        }
        for var in &m.variables {
            if var == "spike" {
                if !net.pop(pop).map(|p| p.ir.spiking).unwrap_or(false) {
                    return Err(fail(format!(
                        "population '{}' is rate-coded: it has no spikes",
                        m.population
                    )));
                }
                recorded.push(pop);
                continue;
            }
            let size = net.pop(pop).map_err(|e| fail(e.to_string()))?.size();
            let k = m.neurons.unwrap_or(DEFAULT_TRACE_NEURONS).min(size);
            if k == 0 {
                return Err(fail("'neurons' must be at least 1".into()));
            }
            traces.push(Trace {
                file: format!("{var}_{}", m.population),
                part: net.slice(pop, 0..k).map_err(|e| fail(e.to_string()))?,
                var: var.clone(),
            });
        }
    }
    // Without monitors of spikes, every spiking population is counted and
    // plotted, as a built-in model's are.
    if !recorded.is_empty() {
        spiking = recorded;
    }
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".into());
    let title = file.network.title.clone().unwrap_or(stem);
    Ok(Loaded {
        built: Built {
            title,
            net,
            spiking,
            traces,
            protocol: None,
            figures: None,
            params: serde_json::json!({ "file": shown }),
        },
        duration: file.network.duration,
        seed: file_seed,
    })
}

fn neuron(name: &str, s: &NeuronSpec) -> Result<Neuron, String> {
    let mut n = if s.spike.is_some() {
        Neuron::spiking()
    } else {
        Neuron::rate()
    };
    n = n.name(name);
    if let Some(t) = &s.parameters {
        n = n.parameters(t);
    }
    if let Some(t) = &s.equations {
        n = n.equations(t);
    }
    if let Some(t) = &s.functions {
        n = n.functions(t);
    }
    if let Some(t) = &s.spike {
        n = n.spike(t);
    }
    match (&s.reset, &s.refractory, s.spike.is_some()) {
        (Some(_), _, false) | (_, Some(_), false) => {
            return Err(
                "'reset' and 'refractory' belong to a spiking neuron, which needs 'spike'".into(),
            )
        }
        _ => {}
    }
    if let Some(t) = &s.reset {
        n = n.reset(t);
    }
    match &s.refractory {
        None => {}
        Some(Toml::Float(ms)) => n = n.refractory(*ms),
        Some(Toml::Integer(ms)) => n = n.refractory(*ms as f64),
        Some(Toml::String(e)) => n = n.refractory_expr(e),
        Some(v) => {
            return Err(format!(
                "'refractory' is a number of ms or the name of a parameter, got {v}"
            ))
        }
    }
    Ok(n)
}

fn synapse(name: &str, s: &SynapseSpec) -> Result<Synapse, String> {
    let mut syn = Synapse::new().name(name);
    for (text, set) in [
        (
            &s.parameters,
            Synapse::parameters as fn(Synapse, &str) -> Synapse,
        ),
        (&s.equations, Synapse::equations),
        (&s.functions, Synapse::functions),
        (&s.psp, Synapse::psp),
        (&s.pre_spike, Synapse::pre_spike),
        (&s.post_spike, Synapse::post_spike),
    ] {
        if let Some(t) = text {
            syn = set(syn, t);
        }
    }
    if let Some(op) = &s.operation {
        syn = syn.operation(match op.as_str() {
            "sum" => Operation::Sum,
            "max" => Operation::Max,
            "min" => Operation::Min,
            "mean" => Operation::Mean,
            _ => {
                return Err(format!(
                    "unknown operation '{op}' (known: sum, max, min, mean)"
                ))
            }
        });
    }
    Ok(syn)
}

fn geometry(v: &Toml) -> Result<Vec<usize>, String> {
    let dim = |v: &Toml| match v {
        Toml::Integer(n) if *n > 0 => Ok(*n as usize),
        _ => Err(format!(
            "'geometry' is a size or a list of up to 4 sizes, each a positive integer, got {v}"
        )),
    };
    match v {
        Toml::Array(dims) => dims.iter().map(dim).collect(),
        v => Ok(vec![dim(v)?]),
    }
}

fn population(
    net: &mut Network,
    p: &PopulationSpec,
    neurons: &BTreeMap<String, Neuron>,
) -> Result<PopId, String> {
    let dims = geometry(&p.geometry)?;
    let id =
        match (&p.neuron, &p.poisson) {
            (Some(n), None) => {
                let model = match neurons.get(n) {
                    Some(m) => m.clone(),
                    None => cajal::models::builtin(n).ok_or_else(|| {
                        let mut known: Vec<&str> = neurons.keys().map(String::as_str).collect();
                        known.extend(cajal::models::builtin_names());
                        format!("unknown neuron '{n}' (known: {})", known.join(", "))
                    })?,
                };
                net.population(&p.name, dims, &model)
            }
            (None, Some(rates)) => {
                let rates = match rates {
                    Toml::Float(r) => Rates::Constant(*r as f32),
                    Toml::Integer(r) => Rates::Constant(*r as f32),
                    Toml::String(e) => Rates::Expr(e.clone()),
                    Toml::Array(_) => Rates::PerNeuron(numbers(rates, "poisson")?),
                    v => {
                        return Err(format!(
                        "'poisson' is a rate in Hz, a list of rates or an expression of t, got {v}"
                    ))
                    }
                };
                net.poisson_population(&p.name, dims, rates, None)
            }
            _ => return Err(
                "a population takes either 'neuron' (a model's name) or 'poisson' (a rate in Hz)"
                    .into(),
            ),
        }
        .map_err(|e| e.to_string())?;
    for (var, v) in &p.set {
        net.set(id, var, value(v, &format!("set.{var}"))?)
            .map_err(|e| e.to_string())?;
    }
    Ok(id)
}

fn projection(
    net: &mut Network,
    p: &ProjectionSpec,
    synapses: &BTreeMap<String, Synapse>,
) -> Result<ProjId, String> {
    let pre = net.find(&p.pre).map_err(|e| e.to_string())?;
    let post = net.find(&p.post).map_err(|e| e.to_string())?;
    let syn = match &p.synapse {
        None => None,
        Some(s) => Some(synapses.get(s).ok_or_else(|| {
            let known: Vec<&str> = synapses.keys().map(String::as_str).collect();
            format!("unknown synapse '{s}' (known: {})", known.join(", "))
        })?),
    };
    let connector = connector(&p.connector)?;
    let weights = match &p.weights {
        None => Weights::constant(1.0),
        Some(w) => match value(w, "weights")? {
            Value::Scalar(x) => Weights::constant(x),
            Value::Random(d) => Weights::random(d),
            Value::Array(_) => {
                return Err("'weights' is a number or a distribution, not a list".into())
            }
        },
    };
    let delays = match &p.delays {
        None => Delays::none(),
        Some(d) => match value(d, "delays")? {
            Value::Scalar(x) => Delays::constant(x),
            Value::Random(d) => Delays::random(d),
            Value::Array(_) => {
                return Err("'delays' is a number of ms or a distribution, not a list".into())
            }
        },
    };
    let mut b = net
        .projection(pre, post, &p.target)
        .delays(delays)
        .allow_self_connections(p.allow_self_connections);
    if let Some(s) = syn {
        b = b.synapse(s);
    }
    if let Some(n) = &p.name {
        b = b.name(n);
    }
    b.connect(connector, weights).map_err(|e| e.to_string())
}

const CONNECTORS: &str = "\"all_to_all\", \"one_to_one\", { fixed_probability = P }, \
                          { fixed_number_pre = N }, { fixed_number_post = N }";

fn connector(v: &Toml) -> Result<cajal::connect::Connector, String> {
    use cajal::connect::Connector;
    let unknown = || format!("unknown connector {v} (known: {CONNECTORS})");
    match v {
        Toml::String(s) => match s.as_str() {
            "all_to_all" => Ok(Connector::AllToAll),
            "one_to_one" => Ok(Connector::OneToOne),
            _ => Err(unknown()),
        },
        Toml::Table(t) if t.len() == 1 => {
            let (k, x) = t.iter().next().ok_or_else(unknown)?;
            let count = || match x {
                Toml::Integer(n) if *n >= 0 => Ok(*n as usize),
                _ => Err(format!("{k} is a number of synapses, got {x}")),
            };
            match k.as_str() {
                "fixed_probability" => match x {
                    Toml::Float(p) => Ok(Connector::FixedProbability(*p)),
                    Toml::Integer(p) => Ok(Connector::FixedProbability(*p as f64)),
                    _ => Err(format!("fixed_probability is a probability, got {x}")),
                },
                "fixed_number_pre" => Ok(Connector::FixedNumberPre(count()?)),
                "fixed_number_post" => Ok(Connector::FixedNumberPost(count()?)),
                _ => Err(unknown()),
            }
        }
        _ => Err(unknown()),
    }
}

fn number(v: &Toml, key: &str) -> Result<f64, String> {
    match v {
        Toml::Float(x) => Ok(*x),
        Toml::Integer(x) => Ok(*x as f64),
        _ => Err(format!("{key}: expected a number, got {v}")),
    }
}

fn numbers(v: &Toml, key: &str) -> Result<Vec<f32>, String> {
    match v {
        Toml::Array(xs) => xs
            .iter()
            .map(|x| number(x, key).map(|x| x as f32))
            .collect(),
        _ => Err(format!("{key}: expected a list of numbers, got {v}")),
    }
}

const DISTRIBUTIONS: &str = "uniform = [min, max], discrete_uniform = [min, max], \
                             normal = [mean, sd], log_normal = [mu, sigma], exponential = lambda, \
                             gamma = [alpha, beta], binomial = [n, p]; optionally min = x, max = x";

/// A value to give: a number, `true`/`false`, a list (one per neuron) or
/// a distribution `{ normal = [m, s], min = x }`.
fn value(v: &Toml, key: &str) -> Result<Value, String> {
    match v {
        Toml::Float(_) | Toml::Integer(_) => Ok(Value::from(number(v, key)?)),
        Toml::Boolean(b) => Ok(Value::from(*b)),
        Toml::Array(_) => Ok(Value::from(numbers(v, key)?)),
        Toml::Table(t) => {
            let mut dist = None;
            let (mut min, mut max) = (None, None);
            for (k, x) in t {
                let pair = || -> Result<(f64, f64), String> {
                    match x {
                        Toml::Array(p) if p.len() == 2 => {
                            Ok((number(&p[0], key)?, number(&p[1], key)?))
                        }
                        _ => Err(format!("{key}: {k} takes two numbers, [a, b], got {x}")),
                    }
                };
                let d = match k.as_str() {
                    "min" => {
                        min = Some(number(x, key)?);
                        continue;
                    }
                    "max" => {
                        max = Some(number(x, key)?);
                        continue;
                    }
                    "uniform" => pair().map(|(a, b)| Dist::uniform(a, b))?,
                    "discrete_uniform" => pair().map(|(a, b)| Dist::discrete_uniform(a, b))?,
                    "normal" => pair().map(|(a, b)| Dist::normal(a, b))?,
                    "log_normal" => pair().map(|(a, b)| Dist::log_normal(a, b))?,
                    "gamma" => pair().map(|(a, b)| Dist::gamma(a, b))?,
                    "binomial" => pair().map(|(a, b)| Dist::binomial(a, b))?,
                    "exponential" => Dist::exponential(number(x, key)?),
                    _ => {
                        return Err(format!(
                            "{key}: unknown key '{k}' in a distribution (known: {DISTRIBUTIONS})"
                        ))
                    }
                };
                if dist.replace(d).is_some() {
                    return Err(format!("{key}: a distribution has one of {DISTRIBUTIONS}"));
                }
            }
            let mut d =
                dist.ok_or_else(|| format!("{key}: a distribution needs one of {DISTRIBUTIONS}"))?;
            if let Some(x) = min {
                d = d.min(x);
            }
            if let Some(x) = max {
                d = d.max(x);
            }
            Ok(Value::Random(d))
        }
        _ => Err(format!(
            "{key}: expected a number, a list of numbers or a distribution such as \
             {{ uniform = [0.0, 1.0] }}, got {v}"
        )),
    }
}

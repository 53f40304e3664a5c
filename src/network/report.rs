//! `Network::report()`: a Markdown description of a network, as
//! ANNarchy's `report()` writes one (populations, neuron models,
//! projections, connectors, synapse models, parameter values, monitors).

use std::fmt::Write;

use super::model::{NeuronKind, Operation};
use super::Network;
use crate::connect::{Connector, Delays, Weights};
use crate::lang::ir::{Locality, VarKind};
use crate::random::Dist;

fn dist(d: &Dist) -> String {
    match d {
        Dist::Uniform { min, max } => format!("Uniform({min}, {max})"),
        Dist::DiscreteUniform { min, max } => format!("DiscreteUniform({min}, {max})"),
        Dist::Normal { mu, sigma } => format!("Normal({mu}, {sigma})"),
        Dist::LogNormal { mu, sigma } => format!("LogNormal({mu}, {sigma})"),
        Dist::Exponential { lambda } => format!("Exponential({lambda})"),
        Dist::Clipped {
            dist: inner,
            min,
            max,
        } => {
            let mut s = dist(inner);
            if let Some(lo) = min {
                let _ = write!(s, ", min {lo}");
            }
            if let Some(hi) = max {
                let _ = write!(s, ", max {hi}");
            }
            s
        }
        Dist::Gamma { alpha, beta } => format!("Gamma({alpha}, {beta})"),
        Dist::Binomial { n, p } => format!("Binomial({n}, {p})"),
    }
}

/// How a report names a connector with its weights and delays.
pub fn connector(c: &Connector, w: &Weights, d: &Delays) -> String {
    let weights = match w {
        Weights::Constant(x) => format!("w = {x}"),
        Weights::Random(r) => format!("w = {}", dist(r)),
    };
    let delays = match d {
        Delays::Constant(x) if *x == 0.0 => "no delay (one step)".to_string(),
        Delays::Constant(x) => format!("delay = {x} ms"),
        Delays::Random(r) => format!("delay = {} ms", dist(r)),
    };
    let kind = match c {
        Connector::AllToAll => "all_to_all".to_string(),
        Connector::OneToOne => "one_to_one".to_string(),
        Connector::FixedProbability(p) => format!("fixed_probability(p = {p})"),
        Connector::FixedNumberPre(n) => format!("fixed_number_pre({n})"),
        Connector::FixedNumberPost(n) => format!("fixed_number_post({n})"),
        Connector::FromMatrix(m) => {
            return format!("from_matrix({}x{}), {delays}", m.nrows(), m.ncols())
        }
        Connector::FromSparse { post, delay, .. } => {
            let d = if delay.is_some() {
                "delays given".to_string()
            } else {
                delays
            };
            return format!("from_sparse({} synapses), {d}", post.len());
        }
        Connector::WithFunc(_) => return format!("with_func (user function), {delays}"),
        Connector::Gaussian { amp, sigma, limit } => {
            return format!("gaussian(amp = {amp}, sigma = {sigma}, limit = {limit}), {delays}")
        }
        Connector::Dog {
            amp_pos,
            sigma_pos,
            amp_neg,
            sigma_neg,
            limit,
        } => {
            return format!(
                "dog(amp_pos = {amp_pos}, sigma_pos = {sigma_pos}, amp_neg = {amp_neg}, sigma_neg = {sigma_neg}, limit = {limit}), {delays}"
            )
        }
    };
    format!("{kind}, {weights}, {delays}")
}

fn block(out: &mut String, title: &str, text: &str) {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(out, "{title}:\n\n```text");
    for l in lines {
        let _ = writeln!(out, "{l}");
    }
    let _ = writeln!(out, "```\n");
}

/// Values of a slot: one number when all are equal, else min, mean, max
/// (each in the network's precision, as Rust prints it: shortest digits).
fn values(v: &crate::real::Reals) -> String {
    match v {
        crate::real::Reals::F32(v) => summary(v),
        crate::real::Reals::F64(v) => summary(v),
    }
}

fn summary<T: Copy + PartialOrd + std::fmt::Display + Into<f64>>(v: &[T]) -> String {
    let Some(&first) = v.first() else {
        return "-".into();
    };
    let pick = |f: fn(f64, f64) -> bool| {
        v.iter()
            .copied()
            .fold(first, |a, x| if f(x.into(), a.into()) { x } else { a })
    };
    let (lo, hi) = (pick(|x, a| x < a), pick(|x, a| x > a));
    if lo == hi {
        return format!("{lo}");
    }
    let mean = v.iter().map(|&x| x.into()).sum::<f64>() / v.len() as f64;
    format!("{lo} .. {hi} (mean {mean:.6}, per neuron)")
}

impl Network {
    /// A Markdown description of the network: its populations and neuron
    /// models (equations as written), projections with their connectors
    /// and synapse models, the initial values of every parameter and
    /// variable, and the monitors.
    ///
    /// ```
    /// let (net, _, _) = cajal::networks::coba(400, 1)?;
    /// let md = net.report();
    /// assert!(md.contains("| exc | 320 |"));
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn report(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "# Network\n");
        let _ = writeln!(o, "- time step: {} ms", self.dt);
        let _ = writeln!(o, "- seed: {}", self.seed);
        let constants = self.globals.constants();
        if !constants.is_empty() {
            let list: Vec<String> = constants
                .iter()
                .map(|(k, v)| format!("{k} = {v}"))
                .collect();
            let _ = writeln!(o, "- constants: {}", list.join(", "));
        }
        let functions = self.globals.function_names();
        if !functions.is_empty() {
            let _ = writeln!(o, "- functions: {}", functions.join(", "));
        }
        let _ = writeln!(o, "\n## Populations\n");
        let _ = writeln!(o, "| name | size | geometry | neuron model | type |");
        let _ = writeln!(o, "|---|---:|---|---|---|");
        for p in &self.pops {
            let kind = match p.model.kind {
                NeuronKind::Rate => "rate-coded",
                NeuronKind::Spiking => "spiking",
            };
            let _ = writeln!(
                o,
                "| {} | {} | {:?} | {} | {kind} |",
                p.name,
                p.size(),
                p.geometry.dims(),
                p.ir.name
            );
        }
        let _ = writeln!(o, "\n## Neuron models\n");
        let mut seen: Vec<&str> = Vec::new();
        for p in &self.pops {
            if seen.contains(&p.ir.name.as_str()) {
                continue;
            }
            seen.push(&p.ir.name);
            let m = &p.model;
            let _ = writeln!(o, "### {}\n", p.ir.name);
            block(&mut o, "Parameters", &m.parameters);
            block(&mut o, "Equations", &m.equations);
            block(&mut o, "Functions", &m.functions);
            block(&mut o, "Spike", &m.spike);
            block(&mut o, "Reset", &m.reset);
            if let Some(r) = &m.refractory {
                let _ = writeln!(o, "Refractory period: {r} ms\n");
            }
        }
        if !self.projs.is_empty() {
            let _ = writeln!(o, "## Projections\n");
            let _ = writeln!(
                o,
                "| name | pre | post | target | synapse model | connector | synapses |"
            );
            let _ = writeln!(o, "|---|---|---|---|---|---|---:|");
            for pr in &self.projs {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {} | {} | {} |",
                    pr.name,
                    self.pops[pr.pre.0].name,
                    self.pops[pr.post.0].name,
                    pr.target,
                    match (pr.window, pr.inject) {
                        (Some(w), _) =>
                            format!("DecodingProjection (window {} ms)", f64::from(w) * self.dt),
                        (None, true) => "CurrentInjection".to_string(),
                        _ if pr.conv.as_ref().is_some_and(|c| c.transposed) => {
                            "Transpose (convolution)".to_string()
                        }
                        _ if pr.conv.as_ref().is_some_and(|c| c.conv.pooling) => {
                            format!("Pooling ({:?}, psp {})", pr.operation, pr.model.psp)
                        }
                        _ if pr.conv.is_some() => {
                            format!("Convolution ({:?}, psp {})", pr.operation, pr.model.psp)
                        }
                        _ => pr.ir.name.clone(),
                    },
                    pr.connector,
                    match &pr.conv {
                        Some(c) => format!("shared: {}", c.conv.weights.len()),
                        None => pr
                            .parts
                            .as_ref()
                            .map_or(pr.synapses.post.len(), |p| p.total())
                            .to_string(),
                    }
                );
            }
            let _ = writeln!(o, "\n## Synapse models\n");
            let mut seen: Vec<&str> = Vec::new();
            for pr in &self.projs {
                if seen.contains(&pr.ir.name.as_str()) {
                    continue;
                }
                seen.push(&pr.ir.name);
                let m = &pr.model;
                let _ = writeln!(o, "### {}\n", pr.ir.name);
                block(&mut o, "Parameters", &m.parameters);
                block(&mut o, "Equations", &m.equations);
                block(&mut o, "Functions", &m.functions);
                let psp = if m.psp.trim().is_empty() {
                    "w * pre.r"
                } else {
                    &m.psp
                };
                let op = match m.operation {
                    Operation::Sum => "sum",
                    Operation::Max => "max",
                    Operation::Min => "min",
                    Operation::Mean => "mean",
                };
                let _ = writeln!(o, "psp: `{psp}`, operation: {op}\n");
                // A synapse with a psp has no default event (as the analysis).
                let pre = match (m.pre_spike.trim().is_empty(), m.psp.trim().is_empty()) {
                    (false, _) => m.pre_spike.as_str(),
                    (true, true) => "g_target += w",
                    (true, false) => "",
                };
                block(&mut o, "pre_spike", pre);
            }
        }
        let _ = writeln!(o, "## Initial values\n");
        for p in &self.pops {
            let _ = writeln!(o, "### {}\n", p.name);
            let _ = writeln!(o, "| name | kind | value |");
            let _ = writeln!(o, "|---|---|---|");
            for (d, v) in p.ir.vars.iter().zip(&p.init) {
                let kind = match (d.kind, d.locality) {
                    (VarKind::Hidden, _) => continue,
                    (VarKind::Parameter, Locality::Global) => "parameter (population)",
                    (VarKind::Parameter, Locality::Local) => "parameter",
                    (VarKind::Conductance, _) => "conductance",
                    (VarKind::Variable, _) => "variable",
                };
                let _ = writeln!(o, "| {} | {kind} | {} |", d.name, values(v));
            }
            let _ = writeln!(o);
        }
        if !self.monitors.is_empty() {
            let _ = writeln!(o, "## Monitors\n");
            let _ = writeln!(o, "| population | records | period | starts |");
            let _ = writeln!(o, "|---|---|---:|---|");
            for m in &self.monitors {
                let mut what = m.vars.clone();
                if m.spikes {
                    what.insert(0, "spike".into());
                }
                let _ = writeln!(
                    o,
                    "| {} | {} | {} ms | {} |",
                    self.pops[m.pop.0].name,
                    what.join(", "),
                    m.period as f64 * self.dt,
                    if m.start { "at once" } else { "on resume" }
                );
            }
        }
        if !self.synapse_monitors.is_empty() {
            let _ = writeln!(o, "\n## Monitors of synapses\n");
            let _ = writeln!(o, "| projection | synapses | records | period |");
            let _ = writeln!(o, "|---|---|---|---:|");
            for m in &self.synapse_monitors {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} ms |",
                    self.projs[m.proj.0].name,
                    m.post
                        .map_or("all".to_string(), |p| format!("of post neuron {p}")),
                    m.vars.join(", "),
                    m.period as f64 * self.dt,
                );
            }
        }
        o
    }
}

//! The built-in models of `cajal run`: one entry of [`MODELS`] each.

use cajal::network::View;
use cajal::networks::{self, Background, BrunelState};
use cajal::prelude::*;

/// What a model's builder needs from the command line.
pub struct Options {
    /// Multiplies the model's neuron counts (1 = the paper's size).
    pub scale: f64,
    /// Number of neurons, where a model takes one (coba).
    pub n: Option<usize>,
    /// Time step (ms), or the model's own.
    pub dt: Option<f64>,
    /// Random seed.
    pub seed: u64,
    /// Procedural connectivity (coba, microcircuit).
    pub procedural: bool,
    /// The procedural microcircuit with one delay a projection.
    pub mean_delays: bool,
    /// Brunel's state.
    pub state: BrunelState,
    /// The microcircuit's background.
    pub background: Background,
}

/// A recorded variable written as `<file>.npy`.
pub struct Trace {
    /// File name without extension.
    pub file: String,
    /// Which neurons.
    pub part: View,
    /// Which variable.
    pub var: String,
}

/// A protocol: callbacks registered on the compiled simulation.
pub type Protocol = Box<dyn FnOnce(&mut Simulation, f64) -> cajal::Result<()>>;

/// A model's own figures, drawn after the run into the output folder:
/// given the simulation, the folder, the duration (ms) and the monitors of
/// [`Built::traces`] in order; returns the names of the files written.
pub type Figures =
    Box<dyn FnOnce(&Simulation, &std::path::Path, f64, &[MonitorId]) -> cajal::Result<Vec<String>>>;

/// A model ready to run.
pub struct Built {
    /// The network, without monitors.
    pub net: Network,
    /// One line describing this instance (sizes, parameters).
    pub title: String,
    /// Populations whose spikes are counted, plotted and saved.
    pub spiking: Vec<PopId>,
    /// Variables recorded on a few neurons.
    pub traces: Vec<Trace>,
    /// Callbacks to register after compiling (the hybrid levels).
    pub protocol: Option<Protocol>,
    /// Figures of what the model is about, beside the raster and rates.
    pub figures: Option<Figures>,
    /// Parameters for the summary.
    pub params: serde_json::Value,
}

/// A built-in model.
pub struct Model {
    /// Its name on the command line.
    pub name: &'static str,
    /// One line: what it is and where it comes from.
    pub description: &'static str,
    /// The default of `--scale`.
    pub default_scale: f64,
    /// The default of `--duration` (ms).
    pub default_duration: f64,
    /// Builds it.
    pub build: fn(&Options) -> cajal::Result<Built>,
}

/// The built-in models. Adding one is adding an entry here.
pub const MODELS: &[Model] = &[
    Model {
        name: "coba",
        description: "Vogels & Abbott (2005) COBA network, 4000 conductance-based LIF neurons (80 % excitatory)",
        default_scale: 1.0,
        default_duration: 1000.0,
        build: coba,
    },
    Model {
        name: "izhikevich",
        description: "Izhikevich (2003) pulse-coupled network, 800 excitatory + 200 inhibitory neurons, thalamic noise",
        default_scale: 1.0,
        default_duration: 1000.0,
        build: izhikevich,
    },
    Model {
        name: "brunel",
        description: "Brunel (2000) sparse LIF network, 10000 + 2500 neurons; --state sr|ai|si-fast|si-slow (Fig. 8)",
        default_scale: 1.0,
        default_duration: 1000.0,
        build: brunel,
    },
    Model {
        name: "microcircuit",
        description: "Potjans & Diesmann (2014) cortical microcircuit, 8 populations; --scale 1 is 77169 neurons (default 0.1)",
        default_scale: 0.1,
        default_duration: 1000.0,
        build: microcircuit,
    },
    Model {
        name: "hybrid",
        description: "Vitay et al. (2015) hybrid rate/spiking network: 1000 Poisson neurons decoded back into rates (Fig. 4)",
        default_scale: 1.0,
        default_duration: 1000.0,
        build: hybrid,
    },
    Model {
        name: "edges",
        description: "ANNarchy's convolution extension: a 128x128 image through 4 oriented edge filters, 2x2 max pooling, Poisson spikes (--scale sizes the image)",
        default_scale: 1.0,
        default_duration: 100.0,
        build: edges,
    },
];

/// The model of a name.
pub fn find(name: &str) -> Option<&'static Model> {
    MODELS.iter().find(|m| m.name == name)
}

/// "name  description" lines of every model.
pub fn list() -> String {
    let w = MODELS.iter().map(|m| m.name.len()).max().unwrap_or(0);
    MODELS
        .iter()
        .map(|m| format!("  {:w$}  {}", m.name, m.description))
        .collect::<Vec<_>>()
        .join("\n")
}

fn scaled(n: usize, scale: f64) -> usize {
    ((n as f64 * scale).round() as usize).max(1)
}

/// The first neurons of a population (at most `k`), for traces.
fn first(net: &Network, pop: PopId, k: usize) -> cajal::Result<View> {
    let n = net.pop(pop)?.size();
    net.slice(pop, 0..k.min(n))
}

fn coba(o: &Options) -> cajal::Result<Built> {
    let n = o.n.unwrap_or_else(|| scaled(4000, o.scale));
    // Each neuron draws 80 inputs among the others.
    if n <= 80 {
        let given = match o.n {
            Some(n) => format!("--n {n}"),
            None => format!("--scale {}", o.scale),
        };
        return Err(cajal::Error::Invalid {
            owner: "coba".into(),
            message: format!(
                "{given} gives {n} neurons: COBA needs more than 80 (each neuron has 80 inputs)"
            ),
        });
    }
    let (mut net, exc, inh) = networks::coba_with(n, 80, o.procedural, o.seed)?;
    if let Some(dt) = o.dt {
        // No delays in COBA: dt can change after the build.
        net = net.dt(dt);
    }
    let traces = vec![Trace {
        file: "v_exc".into(),
        part: first(&net, exc, 10)?,
        var: "v".into(),
    }];
    Ok(Built {
        title: format!("COBA (Vogels & Abbott 2005), {n} neurons"),
        net,
        spiking: vec![exc, inh],
        traces,
        protocol: None,
        figures: None,
        params: serde_json::json!({ "n": n }),
    })
}

fn izhikevich(o: &Options) -> cajal::Result<Built> {
    if o.dt.is_some_and(|dt| dt != 1.0) {
        return Err(Error::Invalid {
            owner: "izhikevich".into(),
            message: "this model integrates as the paper's code does, with dt = 1 ms (two half steps for v); --dt cannot change it".into(),
        });
    }
    let (ne, ni) = (scaled(800, o.scale), scaled(200, o.scale));
    let (net, p) = networks::izhikevich(ne, ni, o.seed)?;
    let traces = vec![Trace {
        file: "v_exc".into(),
        part: first(&net, p.exc, 10)?,
        var: "v".into(),
    }];
    Ok(Built {
        title: format!("Izhikevich (2003), {ne} excitatory + {ni} inhibitory neurons"),
        net,
        spiking: vec![p.exc, p.inh],
        traces,
        protocol: None,
        figures: None,
        params: serde_json::json!({ "n_exc": ne, "n_inh": ni }),
    })
}

fn brunel(o: &Options) -> cajal::Result<Built> {
    let (net, p) = networks::brunel(o.scale, o.state, o.dt.unwrap_or(0.1), o.seed)?;
    let (g, eta) = o.state.parameters();
    let (ne, ni) = (net.pop(p.exc)?.size(), net.pop(p.inh)?.size());
    let traces = vec![Trace {
        file: "v_exc".into(),
        part: first(&net, p.exc, 10)?,
        var: "v".into(),
    }];
    Ok(Built {
        title: format!(
            "Brunel (2000), state {} (g = {g}, nu_ext/nu_thr = {eta}), {ne} + {ni} neurons",
            o.state.name()
        ),
        net,
        spiking: vec![p.exc, p.inh],
        traces,
        protocol: None,
        figures: None,
        params: serde_json::json!({
            "state": o.state.name(), "g": g, "nu_ext_over_nu_thr": eta,
            "n_exc": ne, "n_inh": ni,
        }),
    })
}

fn microcircuit(o: &Options) -> cajal::Result<Built> {
    let (net, pops) = networks::microcircuit_with(
        o.scale,
        o.background,
        o.dt.unwrap_or(0.1),
        o.seed,
        crate::connectivity(o.procedural, o.mean_delays),
    )?;
    let n: usize = pops
        .iter()
        .map(|&p| net.pop(p).map(|p| p.size()))
        .sum::<cajal::Result<usize>>()?;
    let traces = vec![Trace {
        file: "v_L4E".into(),
        part: first(&net, pops[2], 10)?,
        var: "v".into(),
    }];
    let background = match o.background {
        Background::Dc => "dc",
        Background::Poisson => "poisson",
    };
    Ok(Built {
        title: format!(
            "Potjans & Diesmann (2014), scale {}, {n} neurons, {background} background",
            o.scale
        ),
        net,
        spiking: pops,
        traces,
        protocol: None,
        figures: None,
        params: serde_json::json!({
            "n": n, "background": background, "procedural": o.procedural,
            "mean_delays": o.mean_delays,
        }),
    })
}

fn hybrid(o: &Options) -> cajal::Result<Built> {
    let n = scaled(1000, o.scale);
    let (net, h) = networks::hybrid_dt(n, o.dt.unwrap_or(0.1), o.seed)?;
    // The decoders of 1, 10, 100, ... Poisson neurons, and of all of them.
    let mut ranks: Vec<usize> = std::iter::successors(Some(1usize), |k| Some(k * 10))
        .take_while(|&k| k < n)
        .map(|k| k - 1)
        .collect();
    ranks.push(n - 1);
    let traces = vec![Trace {
        file: "r_decoded".into(),
        part: net.view(h.decoded, &ranks)?,
        var: "r".into(),
    }];
    let input = h.input;
    let levels = [0.0f32, 10.0, 50.0, 100.0];
    let protocol: Protocol = Box::new(move |sim: &mut Simulation, duration: f64| {
        sim.every(duration / 4.0, 0.0, move |sim, k| {
            sim.set(input, "baseline", levels[(k as usize).min(3)])
        })?;
        Ok(())
    });
    Ok(Built {
        title: format!(
            "hybrid network (Vitay et al. 2015), {n} Poisson neurons decoded, baseline 0/10/50/100 Hz"
        ),
        net,
        spiking: vec![h.poisson],
        traces,
        protocol: Some(protocol),
        figures: hybrid_figures(ranks.clone(), levels),
        params: serde_json::json!({ "n": n, "levels_hz": levels, "decoders": ranks }),
    })
}

fn edges(o: &Options) -> cajal::Result<Built> {
    if o.dt.is_some_and(|dt| dt != 1.0) {
        return Err(Error::Invalid {
            owner: "model 'edges'".into(),
            message: "the edges network runs at dt = 1 ms (the image is static)".into(),
        });
    }
    let size = (scaled(128, o.scale) / 2).max(1) * 2;
    let (net, e) = networks::edges(size, o.seed)?;
    let traces = vec![Trace {
        file: "r_pooled".into(),
        part: first(&net, e.pooled, 10)?,
        var: "r".into(),
    }];
    Ok(Built {
        title: format!("{size}x{size} image, 4 edge filters, 2x2 max pooling, Poisson spikes"),
        net,
        spiking: vec![e.spikes],
        traces,
        protocol: None,
        figures: edges_figures(e.edges, e.pooled, size),
        params: serde_json::json!({ "size": size, "filters": 4, "pooling": [2, 2] }),
    })
}

/// Fig. 4 of Vitay et al. (2015): each decoder's rate against the baseline
/// the Poisson neurons fire at (`decoded.png`, `.svg`), in bins of
/// duration / 500.
#[cfg(feature = "plot")]
fn hybrid_figures(ranks: Vec<usize>, levels: [f32; 4]) -> Option<Figures> {
    Some(Box::new(move |sim, out, duration, monitors| {
        let Some(&m) = monitors.first() else {
            return Ok(Vec::new());
        };
        let r = sim.recorded(m, "r")?;
        let dt = sim.dt();
        let bin = ((duration / 500.0 / dt).round() as usize).max(1);
        let bins = r.nrows().div_ceil(bin);
        let mean = |col: usize| -> Vec<f64> {
            (0..bins)
                .map(|b| {
                    let rows = b * bin..((b + 1) * bin).min(r.nrows());
                    let n = rows.len() as f64;
                    rows.map(|s| f64::from(r[[s, col]])).sum::<f64>() / n
                })
                .collect()
        };
        let quarter = duration / 4.0;
        let baseline: Vec<f64> = (0..bins)
            .map(|b| {
                let t = (b * bin) as f64 * dt;
                f64::from(levels[((t / quarter) as usize).min(3)])
            })
            .collect();
        let mut series = vec![("baseline".to_string(), baseline)];
        for (col, &k) in ranks.iter().enumerate() {
            let label = if k == 0 {
                "decoded, 1 neuron".to_string()
            } else {
                format!("decoded, {} neurons", k + 1)
            };
            series.push((label, mean(col)));
        }
        let series: Vec<(&str, Vec<f64>)> = series
            .iter()
            .map(|(n, v)| (n.as_str(), v.clone()))
            .collect();
        let mut files = Vec::new();
        for ext in ["png", "svg"] {
            let name = format!("decoded.{ext}");
            cajal::plot::rates(
                out.join(&name),
                &series,
                bin as f64 * dt,
                "decoded rate against the baseline (Vitay et al. 2015, Fig. 4)",
            )?;
            files.push(name);
        }
        Ok(files)
    }))
}

/// The image, each filter's response and each pooled map as grey-level
/// PNGs (`image.png`, `edges_NAME.png`, `pooled_NAME.png`), as
/// `examples/edge_detection.rs` writes them.
#[cfg(feature = "plot")]
fn edges_figures(edges: PopId, pooled: PopId, size: usize) -> Option<Figures> {
    Some(Box::new(move |sim, out, _, _| {
        let mut files = vec!["image.png".to_string()];
        cajal::plot::image(out.join(&files[0]), networks::test_image(size).view())?;
        let (e, p) = (sim.get(edges, "r")?, sim.get(pooled, "r")?);
        for (k, name) in networks::EDGE_FILTERS.iter().enumerate() {
            for (prefix, maps) in [("edges", &e), ("pooled", &p)] {
                let map = maps
                    .index_axis(ndarray::Axis(2), k)
                    .into_dimensionality::<ndarray::Ix2>()
                    .map_err(|e| Error::Shape {
                        owner: format!("population '{prefix}'"),
                        message: e.to_string(),
                    })?;
                let file = format!("{prefix}_{name}.png");
                cajal::plot::image(out.join(&file), map)?;
                files.push(file);
            }
        }
        Ok(files)
    }))
}

#[cfg(not(feature = "plot"))]
fn hybrid_figures(_: Vec<usize>, _: [f32; 4]) -> Option<Figures> {
    None
}

#[cfg(not(feature = "plot"))]
fn edges_figures(_: PopId, _: PopId, _: usize) -> Option<Figures> {
    None
}

//! The `cajal` command line: runs built-in models, writes plots, arrays and
//! a summary, lists the GPU adapters and runs the scaling benchmarks.
//!
//! ```text
//! cajal run MODEL|FILE.toml [--backend auto|cpu|gpu] [--duration MS] [--dt MS] [--seed N]
//!                 [--scale F] [--out DIR] [--state S] [--background B]
//! cajal models
//! cajal devices [--json]
//! cajal bench [--backend B] [--sizes ...] [--duration MS] [--json]
//! ```

#[path = "cajal/bench.rs"]
mod bench;
#[path = "cajal/file.rs"]
mod file;
#[path = "cajal/models.rs"]
mod models;
#[path = "cajal/run.rs"]
mod run;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "cajal",
    version,
    about = "cajal: a neural network simulator (CPU engine and GPU engine through wgpu)",
    after_help = "Start with `cajal run coba`; `cajal models` lists the built-in models; \
                  `cajal run examples/models/coba.toml` runs a model file."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Which engine runs the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BackendArg {
    /// A hardware GPU if one can run the network, else the CPU engine.
    Auto,
    /// The CPU engine.
    Cpu,
    /// The GPU engine on any adapter, software ones included
    /// (CAJAL_ADAPTER=<part of a name> picks one).
    Gpu,
}

/// How spiking projections spread spikes over GPU threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StrategyArg {
    /// Per projection, by the mean row length.
    Auto,
    /// A workgroup per spike.
    Workgroup,
    /// A thread per spike.
    Thread,
}

/// The microcircuit's connectivity from `--procedural` and `--mean-delays`.
pub fn connectivity(procedural: bool, mean_delays: bool) -> cajal::networks::Connectivity {
    use cajal::networks::Connectivity;
    match (procedural, mean_delays) {
        (_, true) => Connectivity::ProceduralMeanDelays,
        (true, false) => Connectivity::Procedural,
        (false, false) => Connectivity::Stored,
    }
}

impl StrategyArg {
    fn strategy(self) -> cajal::SpikeStrategy {
        match self {
            StrategyArg::Auto => cajal::SpikeStrategy::Auto,
            StrategyArg::Workgroup => cajal::SpikeStrategy::WorkgroupPerSpike,
            StrategyArg::Thread => cajal::SpikeStrategy::ThreadPerSpike,
        }
    }
}

impl BackendArg {
    fn backend(self) -> cajal::engine::Backend {
        match self {
            BackendArg::Auto => cajal::engine::Backend::Auto,
            BackendArg::Cpu => cajal::engine::Backend::Cpu,
            BackendArg::Gpu => cajal::engine::Backend::Gpu,
        }
    }
}

/// The microcircuit's background input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BackgroundArg {
    /// Poisson input (K_ext inputs of 8 Hz per neuron), as the paper.
    Poisson,
    /// The mean of that input as a constant current.
    Dc,
}

#[derive(Subcommand)]
enum Command {
    /// Run a built-in model or a model file (FILE.toml) and write plots,
    /// arrays (.npy) and a summary (JSON).
    Run(RunArgs),
    /// List the built-in models.
    Models,
    /// List the GPU adapters, their features and limits, and what `auto` picks.
    Devices {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Run the scaling benchmarks (unconnected LIF, COBA) and print a table.
    Bench(BenchArgs),
}

/// Options of `cajal run`.
#[derive(clap::Args)]
pub struct RunArgs {
    /// A built-in model (`cajal models` lists them) or a model file,
    /// FILE.toml (docs/model-files.md).
    pub model: String,
    /// Engine.
    #[arg(long, value_enum, default_value_t = BackendArg::Auto)]
    pub backend: BackendArg,
    /// Simulated time in ms (default: the model's, 1000).
    #[arg(long, value_name = "MS", allow_negative_numbers = true)]
    pub duration: Option<f64>,
    /// Time step in ms (default: the model's, 0.1 for most).
    #[arg(long, value_name = "MS", allow_negative_numbers = true)]
    pub dt: Option<f64>,
    /// Random seed (default: the model file's, or 42).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Multiplies the model's neuron counts (default: the model's, 1 for
    /// most, 0.1 for the microcircuit).
    #[arg(long, value_name = "F", allow_negative_numbers = true)]
    pub scale: Option<f64>,
    /// Number of neurons (coba only; overrides --scale).
    #[arg(long, value_name = "N")]
    pub n: Option<usize>,
    /// Output folder (default ./cajal-out/MODEL).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Brunel's state (Fig. 8): sr, ai (default), si-fast, si-slow.
    #[arg(long)]
    pub state: Option<String>,
    /// The microcircuit's background input (default: poisson).
    #[arg(long, value_enum)]
    pub background: Option<BackgroundArg>,
    /// coba, microcircuit: procedural connectivity (nothing stored per
    /// synapse, drawn again at each spike; the microcircuit with fixed
    /// probabilities and its per-synapse delays in rings of future inputs).
    #[arg(long)]
    pub procedural: bool,
    /// With --procedural, the microcircuit with one delay a projection (the
    /// mean), as GeNN's example.
    #[arg(long, requires = "procedural")]
    pub mean_delays: bool,
    /// Do not draw plots.
    #[arg(long)]
    pub no_plots: bool,
    /// Print the step's schedule (its phases in order, each dispatch with
    /// its kernel and members) for the chosen engine, then stop without
    /// simulating.
    #[arg(long)]
    pub schedule: bool,
    /// GPU engine (--backend gpu): ordered accumulation
    /// (GpuOptions::deterministic), so that two runs on one adapter give
    /// the same bits, and a run over several MPI processes the bits of
    /// one process.
    #[arg(long)]
    pub deterministic: bool,
}

/// Options of `cajal bench`.
#[derive(clap::Args)]
pub struct BenchArgs {
    /// Engine.
    #[arg(long, value_enum, default_value_t = BackendArg::Cpu)]
    pub backend: BackendArg,
    /// Network sizes, as `lif=4000,64000;coba=4000,16000` (either part may
    /// be left out, which skips that network).
    #[arg(long, default_value = "lif=4000,64000;coba=4000,16000")]
    pub sizes: String,
    /// Simulated time per measurement, in ms.
    #[arg(long, value_name = "MS", default_value_t = 200.0)]
    pub duration: f64,
    /// Mean in-degree of the COBA networks (weights scaled by 80 / K).
    #[arg(long, value_name = "K", default_value_t = 80)]
    pub in_degree: usize,
    /// COBA and the microcircuit with procedural connectivity (synapses
    /// drawn at each spike, not stored; the synapse count shown is then the
    /// expected one).
    #[arg(long)]
    pub procedural: bool,
    /// With --procedural, the microcircuit with one delay a projection (the
    /// mean), as GeNN's example.
    #[arg(long, requires = "procedural")]
    pub mean_delays: bool,
    /// GPU engine: one dispatch per kernel (no merged deliveries, rate
    /// sums, clears or updates), for comparison.
    #[arg(long)]
    pub no_merge: bool,
    /// GPU engine: how spiking projections spread spikes over threads.
    #[arg(long, value_enum, default_value_t = StrategyArg::Auto)]
    pub spike_strategy: StrategyArg,
    /// GPU engine: ordered accumulation (GpuOptions::deterministic), so
    /// that two runs give the same bits; for its cost.
    #[arg(long)]
    pub deterministic: bool,
    /// Record no spikes: the rate and the synaptic events are then not
    /// measured (shown as "-", null in JSON), and the difference from a
    /// recorded run is what recording costs.
    #[arg(long)]
    pub no_record: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// An error and the exit status it gives.
pub struct Failure {
    /// What to print after "cajal: ".
    pub message: String,
    /// 2 for usage errors, 1 otherwise.
    pub code: u8,
}

impl From<cajal::Error> for Failure {
    fn from(e: cajal::Error) -> Self {
        let mut message = e.to_string();
        if matches!(e, cajal::Error::NoAdapter { .. }) {
            message.push_str(
                "\nhint: `cajal devices` lists the adapters wgpu finds. Without a GPU, Mesa's \
                 lavapipe is a Vulkan driver on the CPU, whose adapter is named llvmpipe \
                 (Debian/Ubuntu: `apt-get install mesa-vulkan-drivers`; it is slower than the \
                 CPU engine); or run with --backend cpu or --backend auto.",
            );
        }
        Failure { message, code: 1 }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let r = match cli.command {
        Command::Run(a) => run::run(&a),
        Command::Models => {
            println!("{}", models::list());
            println!(
                "\nA model file runs too: cajal run examples/models/coba.toml \
                 (the format: docs/model-files.md)."
            );
            Ok(())
        }
        Command::Devices { json } => {
            run::devices(json);
            Ok(())
        }
        Command::Bench(a) => bench::bench(&a),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("cajal: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

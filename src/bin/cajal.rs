//! The `cajal` command line: runs a built-in network and reports what it did.
//!
//! ```text
//! cajal run [coba] [--n 4000] [--duration 1000] [--seed 42] [--backend auto|cpu|gpu]
//! cajal help
//! ```

use std::process::ExitCode;
use std::time::Instant;

use cajal::prelude::*;

const USAGE: &str = "usage: cajal run [coba] [--n N] [--duration MS] [--seed S] [--backend B]

Runs a built-in network and prints the engine, its build time, run time
and mean firing rate.

  coba        Vogels & Abbott (2005) conductance-based network (default)
  --n N       number of neurons (default 4000; mean in-degree stays 80)
  --duration  simulated time in ms (default 1000)
  --seed S    random seed (default 42)
  --backend   auto (default: a hardware GPU if there is one, else the CPU
              engine), cpu, or gpu (any adapter, software ones included;
              CAJAL_ADAPTER=<part of a name> picks one)";

struct Args {
    model: String,
    n: usize,
    duration: f64,
    seed: u64,
    backend: Backend,
}

fn parse(args: &[String]) -> std::result::Result<Args, String> {
    let mut a = Args {
        model: "coba".into(),
        n: 4000,
        duration: 1000.0,
        seed: 42,
        backend: Backend::Auto,
    };
    let mut it = args.iter();
    while let Some(x) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match x.as_str() {
            "--n" => a.n = value("--n")?.parse().map_err(|e| format!("--n: {e}"))?,
            "--duration" => {
                a.duration = value("--duration")?
                    .parse()
                    .map_err(|e| format!("--duration: {e}"))?
            }
            "--seed" => {
                a.seed = value("--seed")?
                    .parse()
                    .map_err(|e| format!("--seed: {e}"))?
            }
            "--backend" => {
                a.backend = match value("--backend")?.as_str() {
                    "auto" => Backend::Auto,
                    "cpu" => Backend::Cpu,
                    "gpu" => Backend::Gpu,
                    b => return Err(format!("--backend: '{b}' is not one of auto, cpu, gpu")),
                }
            }
            m if !m.starts_with('-') => a.model = m.to_string(),
            other => return Err(format!("unknown option '{other}'")),
        }
    }
    if a.n < 5 {
        return Err("--n must be at least 5".into());
    }
    Ok(a)
}

fn run(a: &Args) -> cajal::Result<()> {
    if a.model != "coba" {
        return Err(Error::Unknown {
            owner: "cajal run".into(),
            kind: "network".into(),
            name: a.model.clone(),
            hint: " (known: coba)".into(),
        });
    }
    let t0 = Instant::now();
    let (mut net, exc, inh) = cajal::networks::coba(a.n, a.seed)?;
    let me = net.monitor(exc, &["spike"])?;
    let mi = net.monitor(inh, &["spike"])?;
    let mut sim = net.compile(a.backend)?;
    let build = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    sim.simulate(a.duration)?;
    let wall = t1.elapsed().as_secs_f64();
    let spikes = sim.spikes(me)?.len() + sim.spikes(mi)?.len();
    println!("network   COBA, {} neurons, seed {}", a.n, a.seed);
    match sim.device() {
        Some(d) => println!(
            "engine    GPU: {} ({}, {})",
            d.name, d.backend, d.device_type
        ),
        None => println!("engine    CPU ({} threads)", rayon::current_num_threads()),
    }
    println!("build     {build:.3} s");
    println!(
        "simulate  {:.0} ms in {wall:.3} s (real-time factor {:.2})",
        a.duration,
        wall / (a.duration / 1000.0)
    );
    println!(
        "spikes    {spikes}, mean rate {:.2} Hz",
        spikes as f64 / a.n as f64 / (a.duration / 1000.0)
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("run") => match parse(&args[1..]) {
            Ok(a) => match run(&a) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("cajal: {e}");
                    ExitCode::FAILURE
                }
            },
            Err(e) => {
                eprintln!("cajal: {e}\n\n{USAGE}");
                ExitCode::from(2)
            }
        },
        Some("help" | "--help" | "-h") | None => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("cajal: unknown command '{other}'\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

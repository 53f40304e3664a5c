//! `cajal run` and `cajal devices`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use cajal::analysis;
use cajal::networks::{Background, BrunelState};
use cajal::prelude::*;
use ndarray::{Array1, Array2};
use serde_json::json;

use crate::file;
use crate::models::{self, Built, Model, Options};
use crate::{BackgroundArg, Failure, RunArgs};

fn usage(message: String) -> Failure {
    Failure { message, code: 2 }
}

/// Creates `dir` and checks that a file can be written there.
fn writable(dir: &Path) -> std::result::Result<(), Failure> {
    let fail = |e: std::io::Error| Failure {
        message: format!(
            "cannot write to the output folder '{}': {e} (choose another with --out DIR)",
            dir.display()
        ),
        code: 1,
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    let probe = dir.join(".cajal-write-test");
    std::fs::write(&probe, b"").map_err(fail)?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// A file of the run could not be written (`e` names it).
fn io_failure(e: cajal::Error) -> Failure {
    Failure {
        message: format!("cannot write {e}"),
        code: 1,
    }
}

/// Device as JSON (null for the CPU engine).
fn device_json(d: Option<&DeviceInfo>) -> serde_json::Value {
    match d {
        Some(d) => json!({
            "name": d.name,
            "backend": d.backend,
            "type": d.device_type,
            "driver": d.driver,
            "float_atomics": d.float_atomics,
            "max_storage_binding_bytes": d.max_storage_binding,
            "max_buffer_bytes": d.max_buffer,
            "max_storage_buffers_per_kernel": d.max_storage_buffers,
        }),
        None => serde_json::Value::Null,
    }
}

use cajal::DeviceInfo;

/// One line naming the engine a simulation runs on.
pub fn engine_line(sim: &Simulation) -> String {
    let engine = match sim.device() {
        Some(d) => format!(
            "GPU engine on {} ({}, {}, {})",
            d.name, d.backend, d.device_type, d.driver
        ),
        None if sim.ranks() > 1 => format!(
            "CPU engine, distributed over {} MPI processes ({} threads each)",
            sim.ranks(),
            rayon::current_num_threads()
        ),
        None if sim.thread_ranks() > 1 => format!(
            "CPU engine ({} threads, as {} ranks)",
            rayon::current_num_threads(),
            sim.thread_ranks()
        ),
        None => format!("CPU engine ({} threads)", rayon::current_num_threads()),
    };
    match sim.network().precision() {
        cajal::real::Dtype::F32 => engine,
        cajal::real::Dtype::F64 => format!("{engine}, in double precision"),
    }
}

/// The number of processes of the MPI job this process belongs to, when
/// it is one of several (Open MPI's and MPICH's launchers say so in the
/// environment).
pub fn launched_ranks() -> Option<usize> {
    ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"]
        .iter()
        .find_map(|v| std::env::var(v).ok()?.parse().ok())
        .filter(|&n: &usize| n > 1)
}

/// The job's processes, for a distributed run: initialized before the
/// network is built, so that each process builds only its part.
#[cfg(feature = "mpi")]
fn mpi_world(
    _: &RunArgs,
    _: usize,
) -> std::result::Result<std::sync::Arc<dyn cajal::engine::distributed::Comm>, Failure> {
    Ok(cajal::mpi::World::init()?)
}

/// Without MPI, a process started as one of several refuses to run the
/// whole network on its own (each would write the same files).
#[cfg(not(feature = "mpi"))]
fn mpi_world(
    _: &RunArgs,
    n: usize,
) -> std::result::Result<std::sync::Arc<dyn cajal::engine::distributed::Comm>, Failure> {
    Err(Failure {
        message: format!(
            "started as one of {n} MPI processes, but this cajal was built without MPI: \
             build it with `cargo build --release --features mpi` (Open MPI or MPICH and \
             libclang installed), or run a single process"
        ),
        code: 2,
    })
}

/// Simulates `duration` ms in slices, with a progress bar on a terminal (or
/// plain lines on stderr otherwise) once the run looks longer than a second.
fn simulate(sim: &mut Simulation, duration: f64) -> cajal::Result<()> {
    // One progress report per distributed run, from its first rank.
    let quiet = sim.rank() > 0;
    let dt = sim.dt();
    let total = (duration / dt).round() as u64;
    if total == 0 && duration > 0.0 {
        return Err(cajal::Error::Invalid {
            owner: "--duration".into(),
            message: format!(
                "{duration} ms is less than half a step (dt = {dt} ms): no step would run"
            ),
        });
    }
    let slice = (total / 50).max(1);
    let tty = std::io::stderr().is_terminal();
    let start = Instant::now();
    let mut done = 0u64;
    let mut bar: Option<indicatif::ProgressBar> = None;
    let mut next_line = 0.1;
    while done < total {
        let k = slice.min(total - done);
        sim.simulate(k as f64 * dt)?;
        done += k;
        let frac = done as f64 / total as f64;
        let elapsed = start.elapsed().as_secs_f64();
        if done == total || elapsed / frac < 1.0 || quiet {
            continue;
        }
        if tty {
            let b = bar.get_or_insert_with(|| {
                let b = indicatif::ProgressBar::new(total);
                b.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{spinner} [{bar:40}] {msg} ({elapsed}, about {eta} left)",
                    )
                    .expect("a valid template")
                    .progress_chars("=> "),
                );
                b
            });
            b.set_position(done);
            b.set_message(format!("{:.0} / {duration:.0} ms", done as f64 * dt));
        } else if frac >= next_line {
            eprintln!(
                "cajal: simulated {:.0} of {duration:.0} ms ({:.0} %) in {elapsed:.1} s",
                done as f64 * dt,
                frac * 100.0
            );
            while next_line <= frac {
                next_line += 0.1;
            }
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok(())
}

/// `cajal run`.
pub fn run(a: &RunArgs) -> std::result::Result<(), Failure> {
    if let Some(d) = a.duration {
        if !(d.is_finite() && d > 0.0) {
            return Err(usage(format!(
                "--duration must be a positive number of ms, got {d}"
            )));
        }
    }
    if let Some(dt) = a.dt {
        if !(dt.is_finite() && dt > 0.0) {
            return Err(usage(format!(
                "--dt must be a positive number of ms, got {dt}"
            )));
        }
    }
    if a.deterministic && a.backend.backend() == cajal::engine::Backend::Auto {
        return Err(usage(
            "--deterministic orders the GPU engine's sums: give --backend gpu (the CPU engine's \
             runs are the same bits every time already)"
                .into(),
        ));
    }
    let world = launched_ranks().map(|n| mpi_world(a, n)).transpose()?;
    let t0 = Instant::now();
    let (name, built, duration, seed, scale) = if file::is_model_file(&a.model) {
        let builtin_only = [
            ("--scale", a.scale.is_some()),
            ("--n", a.n.is_some()),
            ("--state", a.state.is_some()),
            ("--background", a.background.is_some()),
            ("--procedural", a.procedural),
        ];
        if let Some((flag, _)) = builtin_only.iter().find(|(_, given)| *given) {
            return Err(usage(format!(
                "{flag} applies to the built-in models, not to a model file"
            )));
        }
        let path = Path::new(&a.model);
        let loaded = file::load(path, a.dt, a.seed).map_err(|e| Failure {
            message: e.0,
            code: 1,
        })?;
        let duration = a.duration.or(loaded.duration).unwrap_or(1000.0);
        if !(duration.is_finite() && duration > 0.0) {
            return Err(Failure {
                message: format!(
                    "{}: [network] duration must be a positive number of ms, got {duration}",
                    path.display()
                ),
                code: 1,
            });
        }
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "model".into());
        let seed = a.seed.or(loaded.seed).unwrap_or(DEFAULT_SEED);
        (name, loaded.built, duration, seed, None)
    } else {
        let (model, built, duration, seed, scale) = builtin(a)?;
        (model.name.to_string(), built, duration, seed, Some(scale))
    };
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("cajal-out").join(&name));
    writable(&out)?;
    let mut net = built.net;
    let dt = net.time_step();
    let mut spike_monitors = Vec::new();
    for &p in &built.spiking {
        spike_monitors.push((p, net.monitor(p, &["spike"])?));
    }
    let mut trace_monitors = Vec::new();
    for t in &built.traces {
        trace_monitors.push((t, net.monitor(&t.part, &[t.var.as_str()])?));
    }
    let neurons: usize = net
        .populations()
        .iter()
        .map(|&p| net.pop(p).map(|p| p.size()))
        .sum::<cajal::Result<usize>>()?;
    let synapses: usize = net
        .projections()
        .iter()
        .map(|&p| net.proj(p).map(|p| p.synapse_count()))
        .sum::<cajal::Result<usize>>()?;
    let gpu = cajal::engine::gpu::GpuOptions {
        deterministic: a.deterministic,
        ..Default::default()
    };
    // Under mpirun, every process runs the CPU engine unless told the GPU.
    let on_gpu = a.backend.backend() == cajal::engine::Backend::Gpu;
    let job = world.clone();
    let mut sim = match (world, on_gpu) {
        (Some(w), false) => net.compile_distributed(w)?,
        (Some(w), true) => net.compile_distributed_gpu(w, &gpu)?,
        (None, true) => net.compile_gpu(&gpu)?,
        (None, false) => net.compile(a.backend.backend())?,
    };
    if let Some(protocol) = built.protocol {
        protocol(&mut sim, duration)?;
    }
    let build_s = t0.elapsed().as_secs_f64();
    // A distributed run's ranks all simulate; its first reports and writes
    // (each rank holds every spike once the run ends).
    let lead = sim.rank() == 0;
    // A rank that fails alone in the middle of a run ends the job: the
    // others would wait for it at their next exchange.
    let simulate = |sim: &mut Simulation, duration: f64| -> cajal::Result<()> {
        let r = simulate(sim, duration);
        if let (Err(e), Some(w)) = (&r, &job) {
            eprintln!(
                "cajal: rank {} of {}: {e}; ending every process",
                w.rank(),
                w.size()
            );
            w.abort(1);
        }
        r
    };
    if !lead {
        if !a.schedule {
            simulate(&mut sim, duration)?;
        }
        return Ok(());
    }
    println!("model       {name}: {}", built.title);
    println!("engine      {}", engine_line(&sim));
    println!("network     {neurons} neurons, {synapses} synapses, dt {dt} ms, seed {seed}");
    println!("build       {build_s:.3} s");
    if sim.dispatches_per_step() > 0 {
        println!(
            "step        {} dispatches (monitors aside; `--schedule` lists them)",
            sim.dispatches_per_step()
        );
    }
    if a.schedule {
        println!(
            "\nschedule of a step ({}):\n{}",
            engine_line(&sim),
            sim.schedule()
        );
        return Ok(());
    }

    let t1 = Instant::now();
    simulate(&mut sim, duration)?;
    let wall_s = t1.elapsed().as_secs_f64();
    let rtf = wall_s / (duration / 1000.0);
    println!(
        "simulate    {duration:.0} ms in {wall_s:.3} s (real-time factor {rtf:.3}: {})",
        if rtf <= 1.0 {
            format!("{:.1}x faster than real time", 1.0 / rtf)
        } else {
            format!("{rtf:.1}x slower than real time")
        }
    );
    let (exchange_s, exchanges) = sim.exchanges();
    if sim.ranks() > 1 {
        println!(
            "exchange    {exchanges} exchanges ({} steps each), {exchange_s:.3} s on rank 0 ({:.0} % of the run)",
            ((duration / dt).round() as u64).div_ceil(exchanges.max(1)),
            100.0 * exchange_s / wall_s
        );
    }

    // Per population: spikes, rates, CV of the inter-spike intervals.
    let net = sim.network();
    let mut pops_json = Vec::new();
    let mut groups = Vec::new();
    let steps = (duration / dt).round() as usize;
    let bin_steps = ((duration / 500.0 / dt).round() as usize).max(1);
    let bin_ms = bin_steps as f64 * dt;
    let mut rate_series = Vec::new();
    let mut files = Vec::new();
    let w = built
        .spiking
        .iter()
        .map(|&p| net.pop(p).map(|p| p.name.len()))
        .collect::<cajal::Result<Vec<_>>>()?
        .into_iter()
        .max()
        .unwrap_or(0)
        .max(10);
    for &(p, m) in &spike_monitors {
        let pop = net.pop(p)?;
        let spikes = sim.spikes(m)?;
        let size = pop.size();
        let rate = analysis::mean_fr(&spikes, size, duration)?;
        let cvs = analysis::coefficient_of_variation(&spikes, dt, size, false)?.into_flat();
        let cv = (!cvs.is_empty()).then(|| cvs.iter().sum::<f64>() / cvs.len() as f64);
        println!(
            "  {:w$}  {size:>7} neurons  {:>9} spikes  {rate:>8.2} Hz{}",
            pop.name,
            spikes.len(),
            cv.map(|c| format!("  CV(ISI) {c:.2}")).unwrap_or_default()
        );
        let hist = analysis::histogram(&spikes, dt, bin_ms, Some(duration))?;
        let hz: Vec<f64> = hist
            .iter()
            .map(|&c| f64::from(c) / size as f64 / (bin_ms / 1000.0))
            .collect();
        pops_json.push(json!({
            "name": pop.name,
            "size": size,
            "spikes": spikes.len(),
            "rate_hz": rate,
            "cv_isi": cv,
        }));
        rate_series.push((pop.name.clone(), hz, spikes, size));
    }
    let total_spikes: usize = rate_series.iter().map(|s| s.2.len()).sum();
    let spiking_neurons: usize = rate_series.iter().map(|s| s.3).sum();
    if spiking_neurons > 0 {
        println!(
            "  {:w$}  {spiking_neurons:>7} neurons  {total_spikes:>9} spikes  {:>8.2} Hz",
            "all",
            total_spikes as f64 / spiking_neurons as f64 / (duration / 1000.0)
        );
    }

    // Arrays.
    let save =
        |name: &str,
         write: &dyn Fn(&Path) -> std::result::Result<(), ndarray_npy::WriteNpyError>| {
            let path = out.join(name);
            cajal::io::with_temp_path(&path, |tmp| write(tmp)).map_err(io_failure)?;
            Ok::<String, Failure>(name.to_string())
        };
    for (name, hz, spikes, _) in &rate_series {
        let arr = Array2::from_shape_fn((spikes.len(), 2), |(i, j)| {
            if j == 0 {
                spikes[i].0 as i64
            } else {
                i64::from(spikes[i].1)
            }
        });
        files.push(save(&format!("spikes_{name}.npy"), &|p| {
            ndarray_npy::write_npy(p, &arr)
        })?);
        let r = Array1::from(hz.clone());
        files.push(save(&format!("rate_{name}.npy"), &|p| {
            ndarray_npy::write_npy(p, &r)
        })?);
    }
    for (t, m) in &trace_monitors {
        // In the network's precision: float32, or float64 in double.
        let file = format!("{}.npy", t.file);
        files.push(match sim.network().precision() {
            cajal::real::Dtype::F32 => {
                let arr = sim.recorded(*m, &t.var)?;
                save(&file, &|p| ndarray_npy::write_npy(p, &arr))?
            }
            cajal::real::Dtype::F64 => {
                let arr = sim.recorded_f64(*m, &t.var)?;
                save(&file, &|p| ndarray_npy::write_npy(p, &arr))?
            }
        });
    }
    for (name, _, spikes, size) in &rate_series {
        groups.push((name.clone(), spikes.clone(), *size));
    }

    // Plots.
    #[cfg(feature = "plot")]
    if !a.no_plots {
        let gs: Vec<cajal::plot::Group> = groups
            .iter()
            .map(|(name, spikes, size)| cajal::plot::Group {
                name,
                size: *size,
                spikes,
            })
            .collect();
        let series: Vec<(&str, Vec<f64>)> = rate_series
            .iter()
            .map(|(n, hz, _, _)| (n.as_str(), hz.clone()))
            .collect();
        // A network without spikes to show (rate-coded, or no spike
        // monitor) gets no empty raster and rate plots.
        let exts: &[&str] = if gs.is_empty() { &[] } else { &["png", "svg"] };
        for ext in exts {
            let name = format!("raster.{ext}");
            cajal::plot::raster(out.join(&name), &gs, dt, duration, &built.title)?;
            files.push(name);
            let name = format!("rate.{ext}");
            cajal::plot::rates(
                out.join(&name),
                &series,
                bin_ms,
                &format!("population rate ({bin_ms} ms bins)"),
            )?;
            files.push(name);
        }
        if let Some(figures) = built.figures {
            let monitors: Vec<_> = trace_monitors.iter().map(|&(_, m)| m).collect();
            files.extend(figures(&sim, &out, duration, &monitors)?);
        }
    }
    #[cfg(not(feature = "plot"))]
    let _ = (&groups, a.no_plots);

    let summary = json!({
        "cajal_version": env!("CARGO_PKG_VERSION"),
        "model": name,
        "title": built.title,
        "parameters": built.params,
        "backend": if sim.device().is_some() { "gpu" } else { "cpu" },
        "device": device_json(sim.device()),
        "cpu_threads": rayon::current_num_threads(),
        "thread_ranks": sim.thread_ranks(),
        "precision": sim.network().precision().name(),
        "processes": sim.ranks(),
        "exchange_s": exchange_s,
        "exchanges": exchanges,
        "seed": seed,
        "scale": scale,
        "dt_ms": dt,
        "duration_ms": duration,
        "steps": steps,
        "neurons": neurons,
        "synapses": synapses,
        "build_s": build_s,
        "wall_s": wall_s,
        "real_time_factor": rtf,
        "dispatches_per_step": sim.dispatches_per_step(),
        "schedule": sim.schedule().to_string(),
        "spikes": total_spikes,
        "rate_bin_ms": bin_ms,
        "populations": pops_json,
        "files": files.iter().cloned().chain(["summary.json".to_string()]).collect::<Vec<_>>(),
    });
    let path = out.join("summary.json");
    let text = serde_json::to_string_pretty(&summary).expect("JSON values serialise");
    cajal::io::write_atomic(&path, (text + "\n").as_bytes()).map_err(io_failure)?;
    files.push("summary.json".into());
    println!("wrote       {} ({})", out.display(), files.join(", "));
    Ok(())
}

/// What `Backend::Auto` would run on, and why.
fn auto_choice(devices: &[DeviceInfo]) -> String {
    let named = std::env::var("CAJAL_ADAPTER")
        .ok()
        .filter(|s| !s.is_empty());
    if let Some(w) = named {
        return match devices
            .iter()
            .find(|d| cajal::engine::gpu::context::adapter_matches(&d.name, &w))
        {
            Some(d) => format!(
                "the GPU engine on {} (CAJAL_ADAPTER={w}), if it can run the network",
                d.name
            ),
            None => format!("the CPU engine: no adapter's name contains CAJAL_ADAPTER={w}"),
        };
    }
    match devices.first() {
        None => "the CPU engine: there is no GPU adapter".into(),
        Some(d) if d.device_type == cajal::engine::gpu::context::SOFTWARE => format!(
            "the CPU engine: the best adapter, {}, is a software renderer (slower than the \
             CPU engine on the same cores; CAJAL_ADAPTER=<part of its name> makes auto take it)",
            d.name
        ),
        Some(d) => format!(
            "the GPU engine on {} (otherwise the CPU engine, if a network needs more than it has)",
            d.name
        ),
    }
}

/// `cajal devices`.
pub fn devices(as_json: bool) {
    let list = cajal::devices();
    let auto = auto_choice(&list);
    if as_json {
        let v = json!({
            "adapters": list.iter().map(|d| device_json(Some(d))).collect::<Vec<_>>(),
            "cpu_threads": rayon::current_num_threads(),
            "auto": auto,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&v).expect("JSON values serialise")
        );
        return;
    }
    if list.is_empty() {
        println!(
            "no GPU adapter found. Without a GPU, Mesa's lavapipe is a Vulkan driver on the CPU, \
             whose adapter is named llvmpipe (Debian/Ubuntu: apt-get install mesa-vulkan-drivers)."
        );
    }
    for (i, d) in list.iter().enumerate() {
        println!("{i}: {}", d.name);
        println!("   backend        {}", d.backend);
        println!("   type           {}", d.device_type);
        println!("   driver         {}", d.driver);
        println!(
            "   float atomics  {}",
            if d.float_atomics {
                "yes (SHADER_FLOAT32_ATOMIC: spike delivery adds floats atomically)"
            } else {
                "no (spike delivery uses a compare-exchange loop)"
            }
        );
        println!(
            "   limits         storage binding {} MiB, buffer {} MiB, {} storage buffers per kernel",
            d.max_storage_binding >> 20,
            d.max_buffer >> 20,
            d.max_storage_buffers
        );
    }
    println!("CPU engine: {} threads", rayon::current_num_threads());
    println!("--backend auto runs on {auto}");
    println!(
        "--backend gpu takes the first adapter listed, or the one CAJAL_ADAPTER=<part of a name> \
         names (CAJAL_ADAPTER=lavapipe names llvmpipe)"
    );
}

/// The seed of a run that names none.
const DEFAULT_SEED: u64 = 42;

/// A built-in model from the command line's options: the model, the
/// network built, the duration, the seed and the scale.
fn builtin(a: &RunArgs) -> std::result::Result<(&'static Model, Built, f64, u64, f64), Failure> {
    let Some(model) = models::find(&a.model) else {
        return Err(usage(format!(
            "unknown model '{}'. The built-in models are:\n{}\n(or give a model file, \
             FILE.toml: see docs/model-files.md)",
            a.model,
            models::list()
        )));
    };
    let state_name = a.state.as_deref().unwrap_or("ai");
    let state = BrunelState::from_name(state_name).ok_or_else(|| {
        usage(format!(
            "--state: unknown state '{state_name}' (known: {})",
            BrunelState::ALL.map(|s| s.name()).join(", ")
        ))
    })?;
    let duration = a.duration.unwrap_or(model.default_duration);
    let scale = a.scale.unwrap_or(model.default_scale);
    if !(scale.is_finite() && scale > 0.0) {
        return Err(usage(format!(
            "--scale must be a positive number, got {scale}"
        )));
    }
    if a.n.is_some() && model.name != "coba" {
        return Err(usage(format!(
            "--n applies to coba only; use --scale for {}",
            model.name
        )));
    }
    let seed = a.seed.unwrap_or(DEFAULT_SEED);
    let opts = Options {
        scale,
        n: a.n,
        dt: a.dt,
        seed,
        procedural: a.procedural,
        mean_delays: a.mean_delays,
        state,
        background: match a.background.unwrap_or(BackgroundArg::Poisson) {
            BackgroundArg::Poisson => Background::Poisson,
            BackgroundArg::Dc => Background::Dc,
        },
    };
    let built = (model.build)(&opts)?;
    Ok((model, built, duration, seed, scale))
}

//! `cajal bench`: the scaling benchmarks of `benches/engines.rs` as a table.

use std::time::Instant;

use cajal::prelude::*;
use serde_json::json;

use crate::run::engine_line;
use crate::{BenchArgs, Failure};

/// Parses `lif=4000,64000;coba=4000,16000;microcircuit=0.1` (the
/// microcircuit's sizes are scales, kept as millionths).
fn sizes(spec: &str) -> std::result::Result<Vec<(&'static str, usize)>, Failure> {
    let bad = |m: String| Failure {
        message: format!("--sizes: {m} (expected e.g. 'lif=4000,64000;coba=4000,16000')"),
        code: 2,
    };
    let mut cases = Vec::new();
    for part in spec.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, list) = part
            .split_once('=')
            .ok_or_else(|| bad(format!("'{part}' has no '='")))?;
        let name = match name.trim() {
            "lif" => "lif",
            "coba" => "coba",
            "microcircuit" => "microcircuit",
            other => {
                return Err(bad(format!(
                    "unknown network '{other}' (known: lif, coba, microcircuit)"
                )))
            }
        };
        for n in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if name == "microcircuit" {
                let scale: f64 = n
                    .parse()
                    .map_err(|e| bad(format!("'{n}' is not a scale: {e}")))?;
                if !(scale > 0.0 && scale <= 1.0) {
                    return Err(bad(format!(
                        "a microcircuit scale is in (0, 1], got {scale}"
                    )));
                }
                cases.push((name, (scale * 1e6).round() as usize));
                continue;
            }
            let n: usize = n
                .parse()
                .map_err(|e| bad(format!("'{n}' is not a number of neurons: {e}")))?;
            if n < 5 {
                return Err(bad(format!("{n} neurons is too few (at least 5)")));
            }
            cases.push((name, n));
        }
    }
    if cases.is_empty() {
        return Err(bad("no network given".into()));
    }
    Ok(cases)
}

/// `cajal bench`.
pub fn bench(a: &BenchArgs) -> std::result::Result<(), Failure> {
    if let Some(n) = crate::run::launched_ranks() {
        // Each process would time the whole network on its own.
        return Err(Failure {
            message: format!(
                "cajal bench times one process, not the {n} mpirun started: time a distributed \
                 run with `cajal run` under mpirun (its summary has the exchanges' share), or \
                 benchmarks/distributed/run"
            ),
            code: 2,
        });
    }
    let cases = sizes(&a.sizes)?;
    if !(a.duration.is_finite() && a.duration > 0.0) {
        return Err(Failure {
            message: format!(
                "--duration must be a positive number of ms, got {}",
                a.duration
            ),
            code: 2,
        });
    }
    let mut rows = Vec::new();
    let mut engine = String::new();
    let mut device = serde_json::Value::Null;
    if !a.json {
        println!(
            "{} ms simulated per measurement, after 10 ms of warm-up; real-time factor = wall time / simulated time",
            a.duration
        );
    }
    for (name, n) in cases {
        let t0 = Instant::now();
        let (mut net, pops) = match name {
            "lif" => {
                let (net, p) = cajal::networks::lif(n, 1)?;
                (net, vec![p])
            }
            "microcircuit" => cajal::networks::microcircuit_with(
                n as f64 / 1e6,
                cajal::networks::Background::Poisson,
                0.1,
                42,
                crate::connectivity(a.procedural, a.mean_delays),
            )?,
            _ => {
                let (net, e, i) = cajal::networks::coba_with(n, a.in_degree, a.procedural, 42)?;
                (net, vec![e, i])
            }
        };
        let monitors: Vec<(PopId, MonitorId)> = pops
            .iter()
            .filter(|_| !a.no_record)
            .map(|&p| Ok((p, net.monitor(p, &["spike"])?)))
            .collect::<cajal::Result<_>>()?;
        let custom = a.no_merge || a.deterministic || a.spike_strategy != crate::StrategyArg::Auto;
        let mut sim = if custom && a.backend.backend() != Backend::Cpu {
            net.compile_gpu(&GpuOptions {
                merge: !a.no_merge,
                spike_strategy: a.spike_strategy.strategy(),
                deterministic: a.deterministic,
                ..Default::default()
            })?
        } else {
            net.compile(a.backend.backend())?
        };
        let build_s = t0.elapsed().as_secs_f64();
        if engine.is_empty() {
            engine = engine_line(&sim);
            device = json!(sim.device().map(|d| d.name.clone()));
            if !a.json {
                println!("engine: {engine}");
                if sim.device().is_some() {
                    println!("dispatches per step: {}", sim.dispatches_per_step());
                }
                println!(
                    "{:<8} {:>9} {:>11} {:>9} {:>11} {:>10} {:>15} {:>9}",
                    "network",
                    "neurons",
                    "synapses",
                    "build s",
                    "steps/s",
                    "real-time",
                    "syn. events/s",
                    "rate Hz"
                );
            }
        }
        sim.simulate(10.0)?;
        let start_step = sim.current_step();
        let t1 = Instant::now();
        sim.simulate(a.duration)?;
        let wall = t1.elapsed().as_secs_f64();
        let steps = sim.current_step() - start_step;
        // Synaptic events: every spike of the measured steps times the
        // out-degree of its neuron in every projection it feeds.
        let net = sim.network();
        let mut events = 0u64;
        let mut spikes = 0usize;
        for &(p, m) in &monitors {
            let size = net.pop(p)?.size();
            let mut count = vec![0u64; size];
            for &(s, r) in sim.spikes(m)?.iter() {
                if s >= start_step {
                    count[r as usize] += 1;
                    spikes += 1;
                }
            }
            for &q in &net.projections() {
                let proj = net.proj(q)?;
                if proj.pre != p {
                    continue;
                }
                match &proj.procedural {
                    // Drawn again for the neurons that spiked.
                    Some(gen) => {
                        let object = cajal::engine::cpu::procedural_object(q.index());
                        for (i, &c) in count.iter().enumerate().filter(|(_, &c)| c > 0) {
                            let mut k = 0u64;
                            gen.row(object, i as u32, |_| k += 1);
                            events += k * c;
                        }
                    }
                    None => {
                        events += proj
                            .synapses
                            .pre
                            .iter()
                            .map(|&i| count[i as usize])
                            .sum::<u64>()
                    }
                }
            }
        }
        let synapses: usize = net
            .projections()
            .iter()
            .map(|&q| net.proj(q).map(|p| p.synapse_count()))
            .sum::<cajal::Result<usize>>()?;
        let neurons: usize = pops
            .iter()
            .map(|&p| net.pop(p).map(|p| p.size()))
            .sum::<cajal::Result<usize>>()?;
        let simulated_s = steps as f64 * sim.dt() / 1000.0;
        let rtf = wall / simulated_s;
        // Not measured without monitors: null, not a rate of zero.
        let measured = |x: f64| (!a.no_record).then_some(x);
        let rate = measured(spikes as f64 / neurons as f64 / simulated_s);
        let events_per_s = measured(events as f64 / wall);
        let row = json!({
            "network": name,
            "neurons": neurons,
            "synapses": synapses,
            "build_s": build_s,
            "steps": steps,
            "wall_s": wall,
            "steps_per_s": steps as f64 / wall,
            "real_time_factor": rtf,
            "synaptic_events_per_s": events_per_s,
            "rate_hz": rate,
            "dispatches_per_step": sim.dispatches_per_step(),
        });
        if !a.json {
            let events = events_per_s.map_or("-".into(), |e| format!("{e:.3e}"));
            let rate = rate.map_or("-".into(), |r| format!("{r:.2}"));
            println!(
                "{:<8} {:>9} {:>11} {:>9.3} {:>11.0} {:>10.3} {:>15} {:>9}",
                name,
                neurons,
                synapses,
                build_s,
                steps as f64 / wall,
                rtf,
                events,
                rate
            );
        }
        rows.push(row);
    }
    if a.json {
        let v = json!({
            "engine": engine,
            "device": device,
            "cpu_threads": rayon::current_num_threads(),
            "duration_ms": a.duration,
            "results": rows,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&v).expect("JSON values serialise")
        );
    }
    Ok(())
}

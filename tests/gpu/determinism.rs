//! Reproducible GPU runs (`GpuOptions::deterministic`): two runs of the
//! same network with the same seed on the same adapter must give the same
//! bits in every variable, every synapse and every spike.
//!
//! What varied before, on lavapipe: the order in which float atomics (or
//! the compare-exchange loop without them) add a step's spikes into a
//! conductance, in `spike_propagate` (merged or not), `spike_procedural`
//! (and its ring of delayed inputs) and `spike_convolve`. Every other
//! kernel writes each value from one thread in a fixed order. The spike
//! lists that `neuron_update` appends to atomically are in a different
//! order from run to run too, which matters only to what sums over them.
//!
//! The deterministic mode adds in the CPU engine's order, so these tests
//! also hold the GPU engine to the CPU engine bit for bit, step after
//! step: an independent expectation, where two GPU runs alone could agree
//! on a wrong answer.

use crate::common::{state, tests};
use cajal::engine::gpu::GpuOptions;
use cajal::models::inputs::Rates;
use cajal::models::synapses::stdp;
use cajal::prelude::*;

tests! {
    cpu: [
        deterministic_plans_add_no_float_atomically,
    ],
    gpu: [
        noisy_plastic_delayed_network_runs_are_bit_identical,
        separate_dispatches_are_bit_identical_too,
        procedural_network_runs_are_bit_identical,
        spiking_convolution_runs_are_bit_identical,
        deterministic_runs_match_the_cpu_engine_bit_for_bit,
        batched_runs_match_the_cpu_engine_bit_for_bit,
        shared_weights_unshared_and_reset_stay_bit_for_bit,
        saved_states_of_two_runs_are_the_same_file,
    ],
}

/// What a run leaves: its state and every spike monitor's spikes.
struct Outcome {
    state: Vec<(String, Vec<f32>)>,
    spikes: Vec<Vec<(u64, u32)>>,
}

/// Runs `net` for `ms` on `sim` and collects the outcome.
fn outcome(mut sim: Simulation, ms: f64) -> Outcome {
    sim.simulate(ms).unwrap();
    let net = sim.network();
    let spikes = net
        .monitors()
        .into_iter()
        .filter(|&m| net.monitor_spec(m).unwrap().spikes)
        .map(|m| sim.spikes(m).unwrap())
        .collect();
    Outcome {
        state: state(&sim),
        spikes,
    }
}

/// The values of `a` and `b` whose bits differ (NaNs with the same bits
/// are equal), out of all of them, and the first such, named.
fn differences(a: &Outcome, b: &Outcome) -> (usize, usize, Option<String>) {
    let (mut n, mut total, mut first) = (0, 0, None);
    for ((name, x), (_, y)) in a.state.iter().zip(&b.state) {
        assert_eq!(x.len(), y.len(), "{name}: lengths");
        total += x.len();
        for (i, (u, v)) in x.iter().zip(y).enumerate() {
            if u.to_bits() != v.to_bits() {
                n += 1;
                first.get_or_insert_with(|| format!("{name}[{i}]: {u} vs {v}"));
            }
        }
    }
    (n, total, first)
}

/// Panics unless `a` and `b` are the same bits and the same spikes.
fn assert_identical(what: &str, a: &Outcome, b: &Outcome) {
    let (n, total, first) = differences(a, b);
    assert_eq!(
        n,
        0,
        "{what}: {n} of {total} values differ, first {}",
        first.unwrap_or_default()
    );
    for (k, (x, y)) in a.spikes.iter().zip(&b.spikes).enumerate() {
        assert_eq!(x, y, "{what}: spikes of monitor {k}");
    }
}

fn deterministic() -> GpuOptions {
    GpuOptions {
        deterministic: true,
        ..GpuOptions::default()
    }
}

/// The deterministic mode on `net`, with `opts`: two runs of `ms`, the same
/// bits; the spikes are not empty (so the deliveries had work), and the
/// schedule runs every kernel of `kernels` (so the test is about them).
fn twice(what: &str, net: &Network, opts: &GpuOptions, ms: f64, kernels: &[&str]) -> Outcome {
    let first = net.compile_gpu(opts).unwrap();
    let schedule = first.schedule().to_string();
    for k in kernels {
        assert!(
            schedule.contains(k),
            "{what}: the schedule runs no {k}:\n{schedule}"
        );
    }
    let a = outcome(first, ms);
    let b = outcome(net.compile_gpu(opts).unwrap(), ms);
    assert!(
        a.spikes.iter().any(|s| !s.is_empty()),
        "{what}: no spikes, nothing was delivered"
    );
    if std::env::var_os("CAJAL_DETERMINISM_PROBE").is_some() {
        // How far apart the default mode's runs are (the number in
        // BENCHMARKS.md and the report of issue 22).
        let plain = GpuOptions {
            deterministic: false,
            ..opts.clone()
        };
        let x = outcome(net.compile_gpu(&plain).unwrap(), ms);
        let y = outcome(net.compile_gpu(&plain).unwrap(), ms);
        let (n, total, first) = differences(&x, &y);
        let spikes = x.spikes != y.spikes;
        eprintln!(
            "{what}: default mode: {n} of {total} values differ (first {}), spikes differ: {spikes}",
            first.unwrap_or_default()
        );
    }
    assert_identical(what, &a, &b);
    a
}

/// Leaky integrate-and-fire neurons with conductances and noise in their
/// equations (`noise`, a random variable of mean 0): every step draws, so
/// every step has spikes somewhere.
fn noisy_neuron(noise: &str) -> Neuron {
    Neuron::spiking()
        .parameters(
            "El = -60.0 : population
             Vt = -50.0 : population
             Vr = -60.0 : population
             tau = 20.0 : population
             I = 8.0
             sigma = 4.0 : population
             tau_e = 5.0 : population
             tau_i = 10.0 : population",
        )
        .equations(&format!(
            "tau * dv/dt = (El - v) + g_exc * (0.0 - v) + g_inh * (-80.0 - v) + I + sigma * {noise} : init = -60.0
             tau_e * dg_exc/dt = -g_exc : exponential
             tau_i * dg_inh/dt = -g_inh : exponential"
        ))
        .spike("v > Vt")
        .reset("v = Vr")
        .refractory(2.0)
}

/// Gaussian noise: its draws go through the GPU's `cos`, which is not the
/// CPU's to the last bit (DECISIONS.md, "The GPU engine").
const NORMAL: &str = "Normal(0.0, 1.0)";

/// Uniform noise of variance 1: exact on both engines (integer work and
/// one multiply-add of exact operations).
const UNIFORM: &str = "Uniform(-1.7320508, 1.7320508)";

/// The network of issue 22: noisy Poisson inputs and noise in the
/// equations, two spiking populations, STDP with per-synapse delays,
/// several projections onto each conductance (one of them onto two
/// targets), a general `pre_spike`, and a rate-coded part (noisy rate
/// neurons summing each other and driving, by a current injection, a
/// spiking population that projects onto another). `noise`: the random
/// variable in the equations.
fn noisy_plastic_delayed(noise: &str) -> Network {
    let mut net = Network::new().dt(0.1).seed(2026);
    let src = net
        .poisson_population("src", 300, Rates::Constant(15.0), None)
        .unwrap();
    let exc = net.population("exc", 400, &noisy_neuron(noise)).unwrap();
    let inh = net.population("inh", 100, &noisy_neuron(noise)).unwrap();
    for p in [exc, inh] {
        net.set(p, "I", Dist::uniform(5.0, 12.0)).unwrap();
        net.set(p, "v", Dist::uniform(-60.0, -50.0)).unwrap();
    }
    let delays = || Delays::random(Dist::uniform(0.1, 3.0));
    let plastic = stdp(20.0, 20.0, 0.01, 0.012, 0.0, 1.0);
    net.projection(src, exc, "exc")
        .synapse(&plastic)
        .delays(delays())
        .connect_fixed_probability(0.1, Weights::random(Dist::uniform(0.1, 0.6)))
        .unwrap();
    net.projection(exc, exc, "exc")
        .synapse(&plastic)
        .delays(delays())
        .connect_fixed_probability(0.05, Weights::random(Dist::uniform(0.05, 0.3)))
        .unwrap();
    net.projection(src, exc, "exc")
        .name("src_exc_static")
        .delays(delays())
        .connect_fixed_probability(0.05, Weights::random(Dist::uniform(0.05, 0.3)))
        .unwrap();
    net.projection(exc, inh, "exc")
        .delays(delays())
        .connect_fixed_probability(0.1, Weights::random(Dist::uniform(0.05, 0.4)))
        .unwrap();
    net.projection(inh, exc, "inh")
        .delays(delays())
        .connect_fixed_probability(0.2, Weights::random(Dist::uniform(0.2, 1.0)))
        .unwrap();
    let general = Synapse::new()
        .parameters("w = 0.0")
        .pre_spike("g_target += w * (1.0 + 0.01 * (pre.v + 60.0))");
    net.projection(inh, inh, "inh")
        .synapse(&general)
        .delays(delays())
        .connect_fixed_probability(0.2, Weights::random(Dist::uniform(0.2, 1.0)))
        .unwrap();
    net.projection(src, inh, Targets::from(["exc", "inh"]))
        .name("src_inh_both")
        .connect_fixed_probability(0.05, Weights::random(Dist::uniform(0.01, 0.1)))
        .unwrap();
    // The rate-coded part.
    let rate = Neuron::rate()
        .parameters("tau = 10.0 : population\nb = 0.5")
        .equations(&format!("tau * dr/dt = sum(exc) - r + b + 0.3 * {noise}"));
    let ra = net.population("ra", 50, &rate).unwrap();
    let rb = net.population("rb", 50, &rate).unwrap();
    net.projection(ra, rb, "exc")
        .connect_fixed_probability(0.3, Weights::random(Dist::uniform(-0.2, 0.4)))
        .unwrap();
    net.projection(rb, ra, "exc")
        .delays(0.5)
        .connect_fixed_probability(0.3, Weights::random(Dist::uniform(-0.2, 0.4)))
        .unwrap();
    let driven = net.population("driven", 50, &noisy_neuron(noise)).unwrap();
    net.set(driven, "I", 0.0).unwrap();
    net.current_injection(ra, driven, "exc").unwrap();
    net.projection(driven, exc, "exc")
        .delays(delays())
        .connect_fixed_probability(0.2, Weights::random(Dist::uniform(0.1, 0.5)))
        .unwrap();
    for p in [src, exc, inh, driven] {
        net.monitor(p, &["spike"]).unwrap();
    }
    net
}

fn noisy_plastic_delayed_network_runs_are_bit_identical() {
    let net = noisy_plastic_delayed(NORMAL);
    twice(
        "noisy plastic delayed, merged",
        &net,
        &deterministic(),
        60.0,
        &[
            "spike_gather_merged",
            "post_spike_merged",
            "rate_sum_merged",
        ],
    );
}

fn separate_dispatches_are_bit_identical_too() {
    let net = noisy_plastic_delayed(NORMAL);
    let opts = GpuOptions {
        merge: false,
        float_atomics: false,
        ..deterministic()
    };
    twice(
        "noisy plastic delayed, separate",
        &net,
        &opts,
        40.0,
        &["spike_gather", "post_spike"],
    );
}

fn procedural_network_runs_are_bit_identical() {
    let (mut net, e, i) = cajal::networks::coba_with(1000, 80, true, 5).unwrap();
    // One projection more with a delay of its own for each synapse (the
    // ring of delayed inputs).
    net.projection(e, i, "exc")
        .name("procedural_delayed")
        .delays(Delays::random(Dist::uniform(0.1, 2.0)))
        .connect_fixed_probability_procedural(0.02, Weights::constant(0.3))
        .unwrap();
    for p in [e, i] {
        net.monitor(p, &["spike"]).unwrap();
    }
    twice(
        "procedural COBA",
        &net,
        &deterministic(),
        40.0,
        &["spike_procedural_ordered"],
    );
}

fn spiking_convolution_runs_are_bit_identical() {
    let net = spiking_convolution();
    twice(
        "spiking convolution",
        &net,
        &deterministic(),
        50.0,
        &["spike_convolve_gather"],
    );
}

/// A bank of two 3 x 3 filters between Poisson inputs and COBA neurons.
fn spiking_convolution() -> Network {
    let mut net = Network::new().dt(0.5).seed(3);
    let pre = net
        .poisson_population("pre", [12, 10], Rates::Constant(300.0), None)
        .unwrap();
    let post = net
        .population("post", [12, 10, 2], &cajal::networks::coba_neuron())
        .unwrap();
    let filters = ndarray::ArrayD::from_shape_fn(ndarray::IxDyn(&[2, 3, 3]), |ix| {
        0.35 * (1 + ix[0] * 9 + ix[1] * 3 + ix[2]) as f32
    });
    net.convolution(pre, post, "exc")
        .delay(1.0)
        .connect_filters(&filters)
        .unwrap();
    net.monitor(post, &["spike"]).unwrap();
    net.monitor(pre, &["spike"]).unwrap();
    net
}

/// Nothing in a deterministic plan adds floats atomically: no float
/// atomics, no compare-exchange loop; the integer atomics left (a spike
/// list's length, a bit of a bitmask) give the same result in any order.
/// The spike lists' order still varies, but no kernel of this mode sums
/// over it, and a saved state sorts them.
fn deterministic_plans_add_no_float_atomically() {
    let (coba, _, _) = cajal::networks::coba_with(400, 40, true, 1).unwrap();
    let (micro, _) = cajal::networks::microcircuit_with(
        0.01,
        cajal::networks::Background::Poisson,
        0.1,
        1,
        cajal::networks::Connectivity::Stored,
    )
    .unwrap();
    for (name, net) in [
        ("noisy", noisy_plastic_delayed(NORMAL)),
        ("procedural COBA", coba),
        ("microcircuit", micro),
        ("spiking convolution", spiking_convolution()),
    ] {
        for float_atomics in [true, false] {
            let opts = cajal::engine::gpu::PlanOptions {
                float_atomics,
                deterministic: true,
                ..Default::default()
            };
            let plan = cajal::engine::gpu::plan_for(&net, &opts).unwrap();
            for k in plan.kernels() {
                cajal::engine::gpu::codegen::validate(k, float_atomics)
                    .unwrap_or_else(|e| panic!("{e}"));
                assert!(!k.name.starts_with("spike_propagate"), "{name}: {}", k.name);
                for bad in ["atomic<f32>", "atomicCompareExchange"] {
                    assert!(!k.source.contains(bad), "{name}: {} has {bad}", k.name);
                }
                for (at, _) in k.source.match_indices("atomicAdd(") {
                    assert!(
                        k.source[at..].starts_with("atomicAdd(&spk_count"),
                        "{name}: {} adds atomically: {}",
                        k.name,
                        &k.source[at..(at + 60).min(k.source.len())]
                    );
                }
            }
        }
        // The same networks in the default mode do add floats
        // atomically, so the checks above can fail.
        let plan = cajal::engine::gpu::plan(&net, true).unwrap();
        assert!(
            plan.kernels()
                .iter()
                .any(|k| k.source.contains("atomic<f32>")),
            "{name}"
        );
    }
}

/// The deterministic mode adds in the CPU engine's order: with the same
/// seed, both engines run the noisy plastic network to the same bits,
/// step after step (a difference is reported at the step it appears),
/// with uniform noise (Gaussian noise draws through the GPU's `cos`).
fn deterministic_runs_match_the_cpu_engine_bit_for_bit() {
    let net = noisy_plastic_delayed(UNIFORM);
    let mut cpu = net.compile(Backend::Cpu).unwrap();
    let mut gpu = net.compile_gpu(&deterministic()).unwrap();
    for chunk in 0..20 {
        cpu.simulate(2.0).unwrap();
        gpu.simulate(2.0).unwrap();
        let c = Outcome {
            state: state(&cpu),
            spikes: Vec::new(),
        };
        let g = Outcome {
            state: state(&gpu),
            spikes: Vec::new(),
        };
        assert_identical(&format!("CPU and GPU after {} ms", 2 * (chunk + 1)), &c, &g);
    }
    for m in net.monitors() {
        assert_eq!(cpu.spikes(m).unwrap(), gpu.spikes(m).unwrap());
    }
    if std::env::var_os("CAJAL_DETERMINISM_PROBE").is_some() {
        // How far the default mode is from the CPU engine on the same run.
        let plain = outcome(net.compile_gpu(&GpuOptions::default()).unwrap(), 40.0);
        let c = outcome(net.compile(Backend::Cpu).unwrap(), 40.0);
        let (n, total, first) = differences(&c, &plain);
        eprintln!(
            "default mode against the CPU engine: {n} of {total} values differ (first {}), spikes differ: {}",
            first.unwrap_or_default(),
            c.spikes != plain.spikes
        );
    }
}

/// A batch of three (each element's spikes reach its own posts only):
/// stored deliveries with delays of their own onto two targets, a
/// procedural one with delays of its own, merged and not, against the
/// CPU engine's batch, bit for bit.
fn batched_runs_match_the_cpu_engine_bit_for_bit() {
    let mut net = Network::new().dt(0.1).seed(77);
    let src = net
        .poisson_population("src", 120, Rates::Constant(30.0), None)
        .unwrap();
    let a = net.population("a", 150, &noisy_neuron(UNIFORM)).unwrap();
    let b = net.population("b", 90, &noisy_neuron(UNIFORM)).unwrap();
    net.set(a, "I", Dist::uniform(5.0, 12.0)).unwrap();
    net.set(b, "I", Dist::uniform(5.0, 12.0)).unwrap();
    net.projection(src, a, "exc")
        .delays(Delays::random(Dist::uniform(0.1, 2.0)))
        .connect_fixed_probability(0.2, Weights::random(Dist::uniform(0.1, 0.5)))
        .unwrap();
    net.projection(a, b, Targets::from(["exc", "inh"]))
        .delays(Delays::random(Dist::uniform(0.1, 2.0)))
        .connect_fixed_probability(0.1, Weights::random(Dist::uniform(0.05, 0.3)))
        .unwrap();
    net.projection(b, a, "inh")
        .delays(Delays::random(Dist::uniform(0.1, 2.0)))
        .connect_fixed_probability_procedural(0.2, Weights::random(Dist::uniform(0.2, 0.6)))
        .unwrap();
    net.projection(a, a, "exc")
        .connect_fixed_probability(0.05, Weights::random(Dist::uniform(0.05, 0.2)))
        .unwrap();
    for p in [src, a, b] {
        net.monitor(p, &["spike"]).unwrap();
    }
    for merge in [true, false] {
        let opts = GpuOptions {
            merge,
            ..deterministic()
        };
        let cpu = outcome(net.compile_batched(Backend::Cpu, 3).unwrap(), 20.0);
        let gpu = outcome(net.compile_gpu_batched(&opts, 3).unwrap(), 20.0);
        assert!(cpu.spikes.iter().all(|s| !s.is_empty()), "no spikes");
        assert_identical(&format!("batch of 3, merge {merge}"), &cpu, &gpu);
    }
}

/// Constant weights are shared (one value, no weight a synapse); in the
/// deterministic mode too, `set_synapses` with differing weights gives the
/// gather a buffer of one a synapse (its pass bound again, merged or
/// not), and `reset` empties the spike rings' bitmasks with their counts:
/// the GPU engine stays the CPU engine's bits through all of it.
fn shared_weights_unshared_and_reset_stay_bit_for_bit() {
    let (mut net, e, i) = cajal::networks::coba_with(600, 40, false, 3).unwrap();
    for p in [e, i] {
        net.monitor(p, &["spike"]).unwrap();
    }
    let qs = net.projections();
    for merge in [true, false] {
        let opts = GpuOptions {
            merge,
            ..deterministic()
        };
        let mut cpu = net.compile(Backend::Cpu).unwrap();
        let mut gpu = net.compile_gpu(&opts).unwrap();
        assert!(qs.iter().all(|&q| gpu.shares_weight(q).unwrap()));
        let check = |cpu: &mut Simulation, gpu: &mut Simulation, what: &str| {
            cpu.simulate(10.0).unwrap();
            gpu.simulate(10.0).unwrap();
            let c = Outcome {
                state: state(cpu),
                spikes: Vec::new(),
            };
            let g = Outcome {
                state: state(gpu),
                spikes: Vec::new(),
            };
            assert_identical(&format!("merge {merge}, {what}"), &c, &g);
            c
        };
        let first = check(&mut cpu, &mut gpu, "shared");
        let n = net.proj(qs[0]).unwrap().synapse_count();
        let w: Vec<f32> = (0..n)
            .map(|k| 0.2 + 0.4 * ((k * 37) % 11) as f32 / 11.0)
            .collect();
        for sim in [&mut cpu, &mut gpu] {
            sim.set_synapses(qs[0], "w", &w).unwrap();
        }
        assert!(!gpu.shares_weight(qs[0]).unwrap());
        check(&mut cpu, &mut gpu, "unshared");
        for sim in [&mut cpu, &mut gpu] {
            sim.reset().unwrap();
        }
        let again = check(&mut cpu, &mut gpu, "after a reset");
        assert_identical("a reset replays the first run", &first, &again);
    }
}

/// What `save` writes (every variable, the spikes in flight, the rings of
/// delayed inputs) is the same file after two runs.
fn saved_states_of_two_runs_are_the_same_file() {
    let net = noisy_plastic_delayed(NORMAL);
    let dir = crate::common::temp_path("determinism_save");
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    for k in 0..2 {
        let mut sim = net.compile_gpu(&deterministic()).unwrap();
        sim.simulate(30.0).unwrap();
        let f = dir.join(format!("run{k}.cajal"));
        sim.save(&f).unwrap();
        files.push(std::fs::read(&f).unwrap());
    }
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(files[0] == files[1], "the saved states differ");
}

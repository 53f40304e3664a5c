//! Conformance kernel by kernel: each test is named after one kernel
//! (`shaders/X.wgsl`, its GPU generator and its CPU twin `cpu/X.rs`) and
//! runs that kernel alone on both engines from the same state, so that a
//! divergence names the kernel rather than a variable some steps later.
//!
//! The method (vello's `force_gpu_from`, per kernel): a network that uses
//! the kernel runs some steps on the CPU engine; its saved state is loaded
//! into the GPU engine; then both run the kernel's phase of the next step
//! alone (`Simulation::run_stage`) and every variable of every population
//! and projection must agree within a relative 1e-5 (absolute floor 1e-6,
//! the bound of the lockstep conformance tests), or to the bit for the
//! kernels of the deterministic mode (`GpuOptions::deterministic`), which
//! add in the CPU engine's order. The test also checks that
//! the GPU schedule really runs the kernel named, and that the phase
//! changed something on the CPU (so it cannot pass by doing nothing).
//! Every test here is a `[gpu]` trial: ignored without an adapter, failed
//! without one under `CAJAL_REQUIRE_GPU=1`.

use crate::common::{state, tests, Tol};
use cajal::engine::gpu::GpuOptions;
use cajal::engine::schedule::Stage;
use cajal::models::inputs::Rates;
use cajal::models::synapses::{oja, stdp};
use cajal::prelude::*;

tests! {
    gpu: [
        clear_inputs,
        clear_inputs_merged,
        neuron_update,
        neuron_update_merged,
        record,
        record_inputs,
        spike_propagate,
        spike_propagate_merged,
        post_spike,
        post_spike_merged,
        spike_procedural,
        spike_convolve,
        spike_gather,
        spike_gather_merged,
        spike_procedural_ordered,
        spike_convolve_gather,
        rate_sum,
        rate_sum_all_but_self,
        rate_sum_general_psp,
        rate_sum_merged,
        synapse_update,
        synapse_update_shared,
        synapse_update_merged,
        convolve,
        decode,
        current_inject,
    ],
}

/// The last sample of every monitored variable, and the sample count.
fn last_samples(sim: &Simulation) -> Vec<(String, Vec<f32>, usize)> {
    let net = sim.network();
    let mut out = Vec::new();
    for m in net.monitors() {
        for v in &net.monitor_spec(m).unwrap().vars {
            let r = sim.recorded(m, v).unwrap();
            let last = match r.nrows() {
                0 => Vec::new(),
                n => r.row(n - 1).to_vec(),
            };
            out.push((format!("monitor of {v}"), last, r.nrows()));
        }
    }
    out
}

/// The bound of the lockstep conformance tests: relative 1e-5 of the
/// larger value, absolute floor 1e-6, NaN equal to NaN.
fn close(a: f32, b: f32) -> bool {
    crate::common::close(a, b, Tol::abs_or_rel(1e-6, 1e-5).of_larger().specials())
}

/// Panics at the first value where the engines differ beyond [`close`].
fn agree(what: &str, cpu: &[(String, Vec<f32>)], gpu: &[(String, Vec<f32>)]) {
    agree_by(what, cpu, gpu, close);
}

/// Panics at the first value whose bits differ (the deterministic
/// deliveries add in the CPU engine's order).
fn agree_exactly(what: &str, cpu: &[(String, Vec<f32>)], gpu: &[(String, Vec<f32>)]) {
    agree_by(what, cpu, gpu, |a, b| a.to_bits() == b.to_bits());
}

/// Panics at the first value where the engines differ by `same`.
fn agree_by(
    what: &str,
    cpu: &[(String, Vec<f32>)],
    gpu: &[(String, Vec<f32>)],
    same: impl Fn(f32, f32) -> bool,
) {
    for ((name, c), (_, g)) in cpu.iter().zip(gpu) {
        assert_eq!(c.len(), g.len(), "{what}: {name} lengths");
        if let Some(i) = (0..c.len()).find(|&i| !same(c[i], g[i])) {
            panic!("{what}: {name}[{i}]: CPU {} GPU {}", c[i], g[i]);
        }
    }
}

/// Runs the phase of `stage` alone on both engines from the CPU's state
/// after `warm_ms`, and checks that the GPU engine ran `kernel` in it and
/// that both engines agree after it.
///
/// A saved state holds every variable but not the `sum(target)` arrays
/// (each step rebuilds them), so both engines first run the phases of the
/// step that come before `stage` (each checked by its own test here; for
/// `clear_inputs`, the phases that fill what it clears) and must agree
/// then: a divergence there is reported as coming before the kernel, not
/// from it.
fn alone(net: &Network, stage: Stage, kernel: &str, merge: bool, warm_ms: f64) {
    let opts = GpuOptions {
        merge,
        ..GpuOptions::default()
    };
    alone_with(net, stage, kernel, &opts, warm_ms);
}

/// [`alone`] with the GPU engine's options `opts`; with
/// `opts.deterministic` the engines must agree to the bit.
fn alone_with(net: &Network, stage: Stage, kernel: &str, opts: &GpuOptions, warm_ms: f64) {
    let what = format!("kernel {kernel}");
    let agree = if opts.deterministic {
        agree_exactly
    } else {
        agree
    };
    let mut cpu = net.compile(Backend::Cpu).unwrap();
    let mut gpu = net.compile_gpu(opts).unwrap();
    let phase = gpu
        .schedule()
        .phase(stage)
        .unwrap_or_else(|| panic!("{what}: no {} phase", stage.name()));
    assert!(
        phase.groups.iter().any(|g| g.kernel == kernel),
        "{what}: the GPU schedule does not run it:\n{}",
        gpu.schedule()
    );
    cpu.simulate(warm_ms).unwrap();
    let dir = crate::common::temp_path(kernel);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("state.cajal");
    cpu.save(&file).unwrap();
    gpu.load(&file).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let vars = |s: &Simulation| -> Vec<(String, Vec<f32>)> {
        state(s)
            .into_iter()
            .filter(|(n, _)| !n.contains(".sum("))
            .collect()
    };
    for ((name, c), (_, g)) in vars(&cpu).iter().zip(&vars(&gpu)) {
        assert_eq!(c, g, "{what}: {name} differs after loading the same state");
    }
    // clear_inputs clears what the later phases fill: run those first
    // (from cleared sums), so that there is something to clear.
    let before_stage: Vec<Stage> = match stage {
        Stage::ClearInputs => vec![Stage::ClearInputs, Stage::RateInputs, Stage::SpikeDelivery],
        _ => Stage::ALL
            .iter()
            .copied()
            .take_while(|&s| s != stage)
            .collect(),
    }
    .into_iter()
    .filter(|&s| cpu.schedule().phase(s).is_some())
    .collect();
    for &s in &before_stage {
        cpu.run_stage(s).unwrap();
        gpu.run_stage(s).unwrap();
    }
    let before = state(&cpu);
    // With no phase before it, the sums are still the last step's on the
    // CPU engine and absent from the loaded state on the GPU engine.
    let compared = |s: Vec<(String, Vec<f32>)>| -> Vec<(String, Vec<f32>)> {
        s.into_iter()
            .filter(|(n, _)| !before_stage.is_empty() || !n.contains(".sum("))
            .collect()
    };
    agree(
        &format!("{what}: in the phases before it"),
        &compared(before.clone()),
        &compared(state(&gpu)),
    );
    let samples_before = last_samples(&cpu);
    cpu.run_stage(stage).unwrap();
    gpu.run_stage(stage).unwrap();
    let after = state(&cpu);
    agree(&what, &after, &state(&gpu));
    if stage == Stage::Record {
        let (c, g) = (last_samples(&cpu), last_samples(&gpu));
        for (((name, cv, cn), (_, gv, gn)), (_, _, n0)) in c.iter().zip(&g).zip(&samples_before) {
            assert_eq!((*cn, *gn), (n0 + 1, 1), "{what}: {name}: samples");
            agree(
                &what,
                &[(name.clone(), cv.clone())],
                &[(name.clone(), gv.clone())],
            );
        }
        return;
    }
    let changed = before
        .iter()
        .zip(&after)
        .any(|((_, b), (_, a))| a.iter().zip(b).any(|(x, y)| x != y));
    assert!(
        changed,
        "{what}: the phase changed nothing on the CPU engine"
    );
}

/// Neurons that fire regularly, each at its own rate (a constant drive
/// `I`), with conductances: every step has spikes to deliver.
fn driven_neuron() -> Neuron {
    Neuron::spiking()
        .parameters("I = 2.0\ntau = 5.0")
        .equations(
            "tau * dv/dt = I - v + g_exc - g_inh
             dg_exc/dt = -g_exc / 5.0
             dg_inh/dt = -g_inh / 10.0",
        )
        .spike("v > 1.0")
        .reset("v = 0.0")
}

/// Spiking projections of every delivery kind the schedule merges: a
/// Poisson source and two driven populations; default synapses with
/// per-synapse delays, a general `pre_spike` reading `pre.v`, and STDP
/// (post_spike); a monitor of `v` and a conductance.
fn driven() -> Network {
    let mut net = Network::new().dt(0.5).seed(11);
    let src = net
        .poisson_population("src", 60, Rates::Constant(80.0), None)
        .unwrap();
    let a = net.population("a", 40, &driven_neuron()).unwrap();
    let b = net.population("b", 30, &driven_neuron()).unwrap();
    for p in [a, b] {
        net.set(p, "I", Dist::uniform(1.2, 4.0)).unwrap();
        net.set(p, "v", Dist::uniform(0.0, 1.0)).unwrap();
    }
    net.projection(src, a, "exc")
        .delays(Delays::random(Dist::uniform(0.5, 4.0)))
        .connect_fixed_probability(0.3, Weights::random(Dist::uniform(0.05, 0.2)))
        .unwrap();
    net.projection(a, a, "inh")
        .connect_fixed_probability(0.2, Weights::random(Dist::uniform(0.05, 0.2)))
        .unwrap();
    let general = Synapse::new()
        .parameters("w = 0.0")
        .pre_spike("g_target += w * (1.0 + 0.1 * pre.v)");
    net.projection(a, b, "inh")
        .synapse(&general)
        .delays(1.5)
        .connect_fixed_probability(0.4, Weights::constant(0.05))
        .unwrap();
    net.projection(src, b, "exc")
        .synapse(&stdp(20.0, 20.0, 0.01, 0.012, 0.0, 2.0))
        .connect_fixed_probability(0.5, Weights::random(Dist::uniform(0.05, 0.2)))
        .unwrap();
    net.projection(a, b, "exc")
        .synapse(&stdp(15.0, 25.0, 0.02, 0.02, 0.0, 2.0))
        .connect_fixed_probability(0.5, Weights::random(Dist::uniform(0.05, 0.2)))
        .unwrap();
    net.monitor(a, &["v", "g_exc"]).unwrap();
    net.monitor(b, &["v"]).unwrap();
    net
}

fn neuron_update() {
    alone(&driven(), Stage::NeuronUpdate, "neuron_update", false, 20.0);
}

fn neuron_update_merged() {
    alone(
        &driven(),
        Stage::NeuronUpdate,
        "neuron_update_merged",
        true,
        20.0,
    );
}

fn record() {
    alone(&driven(), Stage::Record, "record", true, 20.0);
}

/// `record_inputs` samples the monitored conductances inside a step, after
/// delivery and before the update (run alone it keeps nothing, as `record`
/// run alone samples every variable as it is), so its test runs one whole
/// step on both engines from one loaded state: the conductance's sample
/// must be the value the phases before the update left (a third, CPU,
/// simulation runs them alone), not the updated one, on both engines.
fn record_inputs() {
    let what = "kernel record_inputs";
    let net = driven();
    let mut cpu = net.compile(Backend::Cpu).unwrap();
    let mut gpu = net.compile_gpu(&GpuOptions::default()).unwrap();
    let mut before = net.compile(Backend::Cpu).unwrap();
    let phase = gpu.schedule().phase(Stage::RecordInputs).cloned();
    assert!(
        phase.is_some_and(|p| p.groups.iter().any(|g| g.kernel == "record_inputs")),
        "{what}: the GPU schedule does not run it:\n{}",
        gpu.schedule()
    );
    cpu.simulate(20.0).unwrap();
    let file = crate::common::temp_path("record_inputs.state");
    cpu.save(&file).unwrap();
    gpu.load(&file).unwrap();
    before.load(&file).unwrap();
    std::fs::remove_file(&file).unwrap();
    for s in [Stage::ClearInputs, Stage::RateInputs, Stage::SpikeDelivery] {
        if before.schedule().phase(s).is_some() {
            before.run_stage(s).unwrap();
        }
    }
    cpu.step().unwrap();
    gpu.step().unwrap();
    let m = net.monitors()[0];
    let pop = net.monitor_spec(m).unwrap().pop;
    let sample = |sim: &Simulation| -> Vec<f32> {
        let r = sim.recorded(m, "g_exc").unwrap();
        r.row(r.nrows() - 1).to_vec()
    };
    let delivered: Vec<f32> = before.get(pop, "g_exc").unwrap().iter().copied().collect();
    let updated: Vec<f32> = cpu.get(pop, "g_exc").unwrap().iter().copied().collect();
    assert_ne!(
        delivered, updated,
        "{what}: the update left g_exc as it was"
    );
    assert_eq!(sample(&cpu), delivered, "{what}: CPU sample");
    agree(
        what,
        &[("g_exc sample".into(), delivered)],
        &[("g_exc sample".into(), sample(&gpu))],
    );
    let rows = |sim: &Simulation| -> Vec<(String, Vec<f32>)> {
        last_samples(sim)
            .into_iter()
            .map(|(n, v, _)| (n, v))
            .collect()
    };
    agree(what, &rows(&cpu), &rows(&gpu));
}

fn spike_propagate() {
    alone(
        &driven(),
        Stage::SpikeDelivery,
        "spike_propagate",
        false,
        20.0,
    );
}

fn spike_propagate_merged() {
    alone(
        &driven(),
        Stage::SpikeDelivery,
        "spike_propagate_merged",
        true,
        20.0,
    );
}

fn post_spike() {
    alone(&driven(), Stage::PostSpike, "post_spike", false, 20.0);
}

fn post_spike_merged() {
    alone(&driven(), Stage::PostSpike, "post_spike_merged", true, 20.0);
}

fn spike_procedural() {
    let (net, _, _) = cajal::networks::coba_with(400, 40, true, 5).unwrap();
    alone(&net, Stage::SpikeDelivery, "spike_procedural", false, 20.0);
}

/// The deterministic mode's options, merged or not.
fn deterministic(merge: bool) -> GpuOptions {
    GpuOptions {
        merge,
        deterministic: true,
        ..GpuOptions::default()
    }
}

fn spike_gather() {
    alone_with(
        &driven(),
        Stage::SpikeDelivery,
        "spike_gather",
        &deterministic(false),
        20.0,
    );
}

fn spike_gather_merged() {
    alone_with(
        &driven(),
        Stage::SpikeDelivery,
        "spike_gather_merged",
        &deterministic(true),
        20.0,
    );
}

fn spike_procedural_ordered() {
    let (mut net, e, i) = cajal::networks::coba_with(400, 40, true, 5).unwrap();
    // Per-synapse delays too: the ring of delayed inputs.
    net.projection(e, i, "exc")
        .name("delayed")
        .delays(Delays::random(Dist::uniform(0.1, 2.0)))
        .connect_fixed_probability_procedural(0.05, Weights::constant(0.3))
        .unwrap();
    alone_with(
        &net,
        Stage::SpikeDelivery,
        "spike_procedural_ordered",
        &deterministic(true),
        20.0,
    );
}

fn spike_convolve_gather() {
    alone_with(
        &spiking_convolution(),
        Stage::SpikeDelivery,
        "spike_convolve_gather",
        &deterministic(true),
        10.0,
    );
}

fn spike_convolve() {
    alone(
        &spiking_convolution(),
        Stage::SpikeDelivery,
        "spike_convolve",
        false,
        10.0,
    );
}

/// A 3 x 3 filter between Poisson inputs and COBA neurons of 12 x 10.
fn spiking_convolution() -> Network {
    let mut net = Network::new().dt(0.5).seed(3);
    let pre = net
        .poisson_population("pre", [12, 10], Rates::Constant(200.0), None)
        .unwrap();
    let post = net
        .population("post", [12, 10], &cajal::networks::coba_neuron())
        .unwrap();
    let filter = ndarray::ArrayD::from_shape_fn(ndarray::IxDyn(&[3, 3]), |ix| {
        0.1 * (1 + ix[0] * 3 + ix[1]) as f32
    });
    net.convolution(pre, post, "exc")
        .delay(1.0)
        .connect_filter(&filter)
        .unwrap();
    net
}

/// Bar learning: rate sums of two Oja projections (one recurrent) and
/// their learning rules.
fn bars() -> Network {
    let (mut net, b) = cajal::networks::bar_learning(4).unwrap();
    net.set(b.input, "r", Dist::uniform(0.0, 1.0)).unwrap();
    net
}

fn rate_sum() {
    alone(&bars(), Stage::RateInputs, "rate_sum", false, 5.0);
}

/// A reservoir's recurrent all-to-all projection without self-connections,
/// whose rows the CPU engine reads without their indices
/// (`rate_sum::Rows::AllButSelf`); 37 neurons leave a partial last group
/// of rows.
fn rate_sum_all_but_self() {
    let mut net = Network::new().dt(1.0).seed(5);
    let input = net.input_array("in", 3).unwrap();
    net.set(input, "r", Dist::uniform(0.0, 1.0)).unwrap();
    let neuron = Neuron::rate().equations("r = tanh(sum(exc) + sum(in))");
    let res = net.population("res", 37, &neuron).unwrap();
    net.projection(input, res, "in")
        .connect_all_to_all(Weights::random(Dist::uniform(-1.0, 1.0)))
        .unwrap();
    net.projection(res, res, "exc")
        .connect_all_to_all(Weights::random(Dist::normal(0.0, 0.3)))
        .unwrap();
    alone_with(
        &net,
        Stage::RateInputs,
        "rate_sum",
        &deterministic(false),
        5.0,
    );
}

/// A psp other than `w * pre.r`, which the CPU engine computes as row
/// code: onto the population itself without self-connections (`pre.x`
/// read in place, skipping the row's own neuron; rows of 36 leave a
/// partial last vector), from an input onto every neuron at a delay of
/// three steps (read in place from the history), and from scattered
/// neurons (gathered). The same bits on both engines.
fn rate_sum_general_psp() {
    let mut net = Network::new().dt(1.0).seed(7);
    let input = net.input_array("in", 5).unwrap();
    net.set(input, "r", Dist::uniform(0.0, 1.0)).unwrap();
    let neuron = Neuron::rate()
        .parameters("k = 0.3")
        .equations("r = tanh(sum(gap) + sum(in) + sum(sparse) + k)");
    let res = net.population("res", 37, &neuron).unwrap();
    net.set(res, "k", Dist::uniform(-0.5, 0.5)).unwrap();
    let gap = Synapse::new().psp("w * (pre.r - post.r) * post.k");
    net.projection(res, res, "gap")
        .synapse(&gap)
        .connect_all_to_all(Weights::random(Dist::uniform(-0.2, 0.2)))
        .unwrap();
    net.projection(input, res, "in")
        .synapse(&Synapse::new().psp("w * pre.r * pre.r - 0.1 * w"))
        .delays(Delays::constant(3.0))
        .connect_all_to_all(Weights::random(Dist::uniform(-1.0, 1.0)))
        .unwrap();
    net.projection(res, res, "sparse")
        .synapse(&Synapse::new().psp("fabs(w * pre.r)"))
        .connect_fixed_probability(0.2, Weights::random(Dist::uniform(-0.5, 0.5)))
        .unwrap();
    alone_with(
        &net,
        Stage::RateInputs,
        "rate_sum",
        &deterministic(false),
        5.0,
    );
}

fn rate_sum_merged() {
    alone(&bars(), Stage::RateInputs, "rate_sum_merged", true, 5.0);
}

fn synapse_update() {
    alone(&bars(), Stage::SynapseUpdate, "synapse_update", false, 5.0);
}

/// A rule with `: projection` and `: postsynaptic` variables, which the
/// CPU engine computes once a row of synapses (its native row code, and
/// its interpreter on long rows) and the GPU at every synapse: the same
/// bits.
fn synapse_update_shared() {
    let syn = Synapse::new()
        .parameters("eta = 0.01 : projection\ntau = 20.0 : projection\nRt = 0.4 : projection")
        .equations(
            "c = eta * t + dt : projection
             tau * dtheta/dt = post.r^2 - theta : postsynaptic, exponential
             R = post.r * 2.0 : postsynaptic
             K = R / (tau * (1.0 + fabs(1.0 - R / Rt) * c)) : postsynaptic
             dw/dt = eta * pre.r * (post.r - theta) * K : min = 0.0, max = 1.0",
        );
    let mut net = Network::new().dt(1.0).seed(3);
    // Rows of 401 synapses: long enough for the CPU engine's interpreter
    // to take them row by row (`synapse_update::ROW_MIN`), and a partial
    // last vector a row for its native code.
    let input = net.input_array("in", 401).unwrap();
    net.set(input, "r", Dist::uniform(0.0, 1.0)).unwrap();
    let out = net
        .population("out", 7, &Neuron::rate().equations("r = tanh(sum(exc))"))
        .unwrap();
    net.projection(input, out, "exc")
        .synapse(&syn)
        .connect_all_to_all(Weights::random(Dist::uniform(0.0, 0.02)))
        .unwrap();
    alone_with(
        &net,
        Stage::SynapseUpdate,
        "synapse_update",
        &deterministic(false),
        5.0,
    );
}

fn synapse_update_merged() {
    // Two rules over the same populations: one merged dispatch.
    let mut net = bars();
    let (input, feature) = (net.find("Input").unwrap(), net.find("Feature").unwrap());
    net.projection(input, feature, "exc")
        .synapse(&oja(2.0, 1.0))
        .name("second")
        .connect_all_to_all(Weights::random(Dist::uniform(0.0, 0.5)))
        .unwrap();
    alone(
        &net,
        Stage::SynapseUpdate,
        "synapse_update_merged",
        true,
        5.0,
    );
}

fn convolve() {
    alone(&edges(), Stage::RateInputs, "convolve", false, 3.0);
}

fn decode() {
    let (mut net, h) = cajal::networks::hybrid(200, 9).unwrap();
    net.set(h.input, "baseline", 40.0).unwrap();
    alone(&net, Stage::RateInputs, "decode", false, 50.0);
}

fn current_inject() {
    let mut net = Network::new().dt(0.5).seed(5);
    let drive = net
        .population("drive", 30, &Neuron::rate().parameters("r = 0.0"))
        .unwrap();
    let lif = net
        .population("lif", 30, &cajal::networks::coba_neuron())
        .unwrap();
    net.set(drive, "r", Dist::uniform(0.0, 3.0)).unwrap();
    net.current_injection(drive, lif, "exc").unwrap();
    alone(&net, Stage::RateInputs, "current_inject", false, 5.0);
}

/// Rate-coded sums of a convolution, a pooling and a Poisson population
/// driven by them.
fn edges() -> Network {
    cajal::networks::edges(16, 2).unwrap().0
}

fn clear_inputs() {
    alone(&edges(), Stage::ClearInputs, "clear_inputs", false, 3.0);
}

fn clear_inputs_merged() {
    alone(
        &edges(),
        Stage::ClearInputs,
        "clear_inputs_merged",
        true,
        3.0,
    );
}

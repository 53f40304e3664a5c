//! CPU-vs-GPU conformance: each network here runs on both engines, and the
//! GPU engine must reproduce the CPU reference engine:
//!
//! - state values within a relative 1e-5 with an absolute floor of 1e-6
//!   (`|a - b| <= max(1e-6, 1e-5 * max(|a|, |b|))`, NaN equal to NaN) at
//!   every recorded step;
//! - spikes identical step by step on short or feed-forward runs;
//! - population rates within 5 % on a long chaotic run (COBA);
//! - (ANNarchy's reference traces run on both engines in
//!   tests/annarchy/annarchy_reference.rs.)
//!
//! States are compared on a free run where the dynamics contract (rate
//! networks, linear ODEs, feed-forward inputs). Where they amplify the
//! last-bit differences that the engines may legitimately have (GPU `exp`,
//! `cos`..., arithmetic reassociated or fused by the shader compiler, the
//! order of atomic adds), a free run gives the spikes (identical) and a
//! lockstep run the states: each step starts from the CPU's state on both
//! engines (see [`lockstep_states`]). `CAJAL_CONFORMANCE_FREE=1` checks the states
//! of those cases on the free run too, to see the drift.
//!
//! These are `[gpu]` tests: without a GPU adapter they are reported ignored,
//! and with `CAJAL_REQUIRE_GPU=1` (CI, where lavapipe is installed) they
//! fail. Runs are kept short, since lavapipe emulates the GPU on the CPU.

use crate::common::{close, lockstep, test_name, tests, Tol};
use cajal::engine::gpu::GpuOptions;
use cajal::lang::ir::VarKind;
use cajal::models;
use cajal::prelude::*;
use ndarray::{Array2, ArrayD, IxDyn};

tests! {
    cpu: [
        every_builtin_model_has_a_conformance_test,
    ],
    gpu: [
        builtin_leaky_integrator,
        builtin_izhikevich,
        builtin_if_curr_exp,
        builtin_if_cond_exp,
        builtin_if_curr_alpha,
        builtin_if_cond_alpha,
        builtin_hh_cond_exp,
        builtin_eif_cond_alpha_isfa_ista,
        builtin_eif_cond_exp_isfa_ista,
        builtin_gif_curr,
        builtin_gif_curr_exp,
        integration_methods_linear_coupled_ode,
        integration_methods_nonlinear_ode,
        integration_methods_spiking_quadratic,
        odd_rate_model_functions_conditionals_flags_random,
        odd_spiking_model_random_spikes_refractory_parameter,
        size_1,
        size_65,
        size_100000,
        rate_psp_and_operations,
        rate_connectors_including_spatial,
        rate_delays_uniform_and_per_synapse,
        rate_recurrent_and_shared_target,
        spiking_projections,
        spiking_projections_without_float_atomics,
        coba_rates_agree,
        get_and_set_between_runs,
        set_parameter_changes_the_dynamics_alike,
        reset_replays_identically,
        set_time_changes_t,
        monitor_pause_resume_with_a_period,
        split_simulate_equals_one_call,
        long_recording_with_a_period,
    ],
}

// ================================================================ engines

/// Compiles `net` for the GPU, with `options` or with `Backend::Gpu`; any
/// error is a failure (the harness runs these tests only with an adapter).
fn gpu_sim(net: &Network, options: Option<&GpuOptions>) -> Simulation {
    let compiled = match options {
        None => net.compile(Backend::Gpu),
        Some(o) => net.compile_gpu(o),
    };
    compiled.unwrap_or_else(|e| {
        panic!(
            "{}: the GPU engine cannot compile the network: {e}",
            test_name()
        )
    })
}

/// The network compiled on both engines: `(cpu, gpu)`.
fn engines(net: &Network) -> (Simulation, Simulation) {
    engines_with(net, None)
}

/// As [`engines`], with explicit GPU options.
fn engines_with(net: &Network, options: Option<&GpuOptions>) -> (Simulation, Simulation) {
    let gpu = gpu_sim(net, options);
    let cpu = net
        .compile(Backend::Cpu)
        .unwrap_or_else(|e| panic!("{}: the CPU engine refused: {e}", test_name()));
    (cpu, gpu)
}

/// Runs the same operation on both engines.
fn both(cpu: &mut Simulation, gpu: &mut Simulation, f: impl Fn(&mut Simulation)) {
    f(cpu);
    f(gpu);
}

// ============================================================ comparison

/// The conformance tolerance: `|a - b| <= max(1e-6, 1e-5 * max(|a|, |b|))`
/// (in f64), NaN equal to NaN, an infinity only to itself.
const TOL: Tol<f64> = Tol::abs_or_rel(1e-6, 1e-5).of_larger().specials();

/// A disagreement between the engines, at the first step where it shows.
struct Mismatch {
    step: u64,
    text: String,
}

/// The first disagreement of two recordings `[samples, neurons]` of `var`
/// (`steps`: the step of each sample), with how many values disagree.
fn state_mismatch(
    var: &str,
    steps: &[u64],
    cpu: &Array2<f32>,
    gpu: &Array2<f32>,
) -> Option<Mismatch> {
    if cpu.dim() != gpu.dim() {
        return Some(Mismatch {
            step: 0,
            text: format!(
                "'{var}': recorded shapes differ: cpu {:?}, gpu {:?}",
                cpu.dim(),
                gpu.dim()
            ),
        });
    }
    let mut first = None;
    let mut first_bits = None;
    let mut count = 0usize;
    let mut worst = 0.0f64;
    for ((s, n), &c) in cpu.indexed_iter() {
        let g = gpu[[s, n]];
        if first_bits.is_none() && c != g && !(c.is_nan() && g.is_nan()) {
            first_bits = Some((s, n, c, g));
        }
        if !close(c, g, TOL) {
            count += 1;
            let d = (c as f64 - g as f64).abs();
            if d.is_nan() || d > worst {
                worst = if d.is_nan() { f64::INFINITY } else { d };
            }
            if first.is_none() {
                first = Some((s, n, c, g));
            }
        }
    }
    let step_of = |s: usize| steps.get(s).copied().unwrap_or(s as u64);
    // Where the engines first differ at all: the origin of a drift.
    let origin = first_bits
        .map(|(s, n, c, g)| {
            format!(
                "; first bit difference at step {}, neuron {n}: cpu {c:e}, gpu {g:e}",
                step_of(s)
            )
        })
        .unwrap_or_default();
    first.map(|(s, n, c, g)| Mismatch {
        step: step_of(s),
        text: format!(
            "'{var}' at step {} (sample {s}), neuron {n}: cpu {c:e}, gpu {g:e} \
             (|diff| {:e}); {count} of {} values out of tolerance, worst |diff| {worst:e}{origin}",
            step_of(s),
            (c as f64 - g as f64).abs(),
            cpu.len()
        ),
    })
}

/// The first step where two sorted spike lists differ, with the neurons that
/// fired then on each engine.
fn spike_mismatch(cpu: &[(u64, u32)], gpu: &[(u64, u32)]) -> Option<Mismatch> {
    let first = cpu
        .iter()
        .zip(gpu)
        .position(|(a, b)| a != b)
        .or(if cpu.len() != gpu.len() {
            Some(cpu.len().min(gpu.len()))
        } else {
            None
        })?;
    let step = match (cpu.get(first), gpu.get(first)) {
        (Some(a), Some(b)) => a.0.min(b.0),
        (Some(a), None) => a.0,
        (None, Some(b)) => b.0,
        (None, None) => unreachable!(),
    };
    let at = |s: &[(u64, u32)]| -> Vec<u32> {
        s.iter()
            .filter(|(k, _)| *k == step)
            .map(|&(_, n)| n)
            .collect()
    };
    Some(Mismatch {
        step,
        text: format!(
            "spikes differ from step {step}: neurons {:?} on the cpu, {:?} on the gpu \
             ({} spikes in all on the cpu, {} on the gpu)",
            at(cpu),
            at(gpu),
            cpu.len(),
            gpu.len()
        ),
    })
}

/// Panics with every disagreement, earliest step first.
fn report(what: &str, mut found: Vec<Mismatch>) {
    if found.is_empty() {
        return;
    }
    found.sort_by_key(|m| m.step);
    let lines: Vec<String> = found.iter().map(|m| format!("  - {}", m.text)).collect();
    panic!(
        "{}: {what}: the GPU engine disagrees with the CPU engine:\n{}",
        test_name(),
        lines.join("\n")
    );
}

/// Compares what a monitor recorded on both engines: sample steps exactly,
/// each variable within tolerance, spikes (`"spike"` in `vars`) exactly.
fn compare_monitor(what: &str, cpu: &Simulation, gpu: &Simulation, m: MonitorId, vars: &[&str]) {
    let steps = cpu.sample_steps(m).unwrap();
    let gpu_steps = gpu.sample_steps(m).unwrap();
    assert_eq!(
        steps,
        gpu_steps,
        "{}: {what}: sample steps (cpu left, gpu right)",
        test_name()
    );
    let mut found = Vec::new();
    for var in vars {
        if *var == "spike" {
            found.extend(spike_mismatch(
                &cpu.spikes(m).unwrap(),
                &gpu.spikes(m).unwrap(),
            ));
        } else {
            let c = cpu.recorded(m, var).unwrap();
            let g = gpu.recorded(m, var).unwrap();
            found.extend(state_mismatch(var, &steps, &c, &g));
        }
    }
    report(what, found);
}

/// Compares the current values of every public variable of a population.
fn compare_state(what: &str, cpu: &Simulation, gpu: &Simulation, pop: PopId) {
    assert_eq!(
        cpu.current_step(),
        gpu.current_step(),
        "{what}: step counters"
    );
    assert_eq!(cpu.time(), gpu.time(), "{what}: time");
    let step = cpu.current_step();
    let mut found = Vec::new();
    for var in public_vars(cpu.network(), pop) {
        let c = cpu.get(pop, &var).unwrap();
        let g = gpu.get(pop, &var).unwrap();
        assert_eq!(c.shape(), g.shape(), "{what}: shape of get({var})");
        let flat = |a: &ArrayD<f32>| {
            let v: Vec<f32> = a.iter().copied().collect();
            Array2::from_shape_vec((1, v.len()), v).unwrap()
        };
        found.extend(state_mismatch(&var, &[step], &flat(&c), &flat(&g)));
    }
    report(&format!("{what} (get after step {step})"), found);
}

/// Lockstep ([`lockstep`]): from the same state, one step on each engine,
/// every state variable of `pops` compared within tolerance, then the GPU
/// given the CPU's state, so that rounding differences cannot grow. This
/// checks each kernel on models whose dynamics amplify the last-bit
/// differences that the engines may legitimately have (GPU `exp`, `log`,
/// `cos`..., reassociated or fused arithmetic in the shader compiler, the
/// order of atomic adds).
fn lockstep_states(
    what: &str,
    cpu: &mut Simulation,
    gpu: &mut Simulation,
    pops: &[PopId],
    steps: u64,
) {
    let vars: Vec<(PopId, String)> = pops
        .iter()
        .flat_map(|&p| {
            state_vars(cpu.network(), p)
                .into_iter()
                .map(move |v| (p, v))
        })
        .collect();
    let names: Vec<String> = vars
        .iter()
        .map(|(p, var)| format!("{}.{var}", cpu.network().pop(*p).unwrap().name))
        .collect();
    let row = |a: &ArrayD<f32>| {
        let v: Vec<f32> = a.iter().copied().collect();
        Array2::from_shape_vec((1, v.len()), v).unwrap()
    };
    lockstep(&mut [cpu, gpu], &vars, steps, true, |step, values| {
        let found = names
            .iter()
            .zip(values)
            .filter_map(|(name, v)| state_mismatch(name, &[step], &row(&v[0]), &row(&v[1])))
            .collect();
        report(
            &format!("{what} (lockstep: one step from the same state)"),
            found,
        );
    });
}

/// The variables of a population that its equations change (not the
/// parameters).
fn state_vars(net: &Network, pop: PopId) -> Vec<String> {
    net.pop(pop)
        .unwrap()
        .ir
        .vars
        .iter()
        .filter(|v| matches!(v.kind, VarKind::Variable | VarKind::Conductance))
        .map(|v| v.name.clone())
        .collect()
}

/// Compares only the spikes of monitors made by [`monitor_all`].
fn compare_spikes(
    what: &str,
    cpu: &Simulation,
    gpu: &Simulation,
    monitors: &[(MonitorId, Vec<String>)],
) {
    for (k, (m, vars)) in monitors.iter().enumerate() {
        if vars.iter().any(|v| v == "spike") {
            compare_monitor(&format!("{what}, monitor {k}"), cpu, gpu, *m, &["spike"]);
        }
    }
}

/// How a case is checked.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Check {
    /// One free run: recorded states within tolerance, spikes identical.
    Free,
    /// A free run for the spikes (identical), then, after a reset, a
    /// [`lockstep_states`] run for the states: for dynamics that amplify rounding.
    Lockstep,
}

impl Check {
    /// `CAJAL_CONFORMANCE_FREE=1` turns every lockstep check into a free run,
    /// to see how far the engines drift apart.
    fn or_forced(self) -> Check {
        if std::env::var("CAJAL_CONFORMANCE_FREE").as_deref() == Ok("1") {
            Check::Free
        } else {
            self
        }
    }
}

/// Runs `steps` steps and checks the monitors as `check` says (the
/// populations `pops` are those synchronised in lockstep).
fn run_and_check(
    what: &str,
    cpu: &mut Simulation,
    gpu: &mut Simulation,
    monitors: &[(MonitorId, Vec<String>)],
    pops: &[PopId],
    steps: u64,
    check: Check,
) {
    both(cpu, gpu, |s| run_steps(s, steps));
    match check.or_forced() {
        Check::Free => compare_all(what, cpu, gpu, monitors),
        Check::Lockstep => {
            compare_spikes(&format!("{what}, free run"), cpu, gpu, monitors);
            both(cpu, gpu, |s| s.reset().unwrap());
            lockstep_states(what, cpu, gpu, pops, steps);
        }
    }
}

/// The names a user may read and write (parameters, variables, conductances).
fn public_vars(net: &Network, pop: PopId) -> Vec<String> {
    net.pop(pop)
        .unwrap()
        .ir
        .public_names()
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// Runs `steps` steps in one `simulate` call.
fn run_steps(sim: &mut Simulation, steps: u64) {
    let dt = sim.dt();
    sim.simulate(steps as f64 * dt).unwrap();
}

// ============================================================== builders

/// `n` values from `lo` to `hi`, in a scrambled order (neighbours differ).
fn spread(n: usize, lo: f32, hi: f32) -> Vec<f32> {
    (0..n)
        .map(|i| {
            let k = (i * 17 + 5) % n;
            if n == 1 {
                (lo + hi) / 2.0
            } else {
                lo + (hi - lo) * k as f32 / (n - 1) as f32
            }
        })
        .collect()
}

/// Spikes regularly, neuron by neuron (`v` gains `inc` a step and fires at
/// 1): exact arithmetic, so both engines fire at the same steps.
fn pulse_source() -> Neuron {
    Neuron::spiking()
        .name("pulse source")
        .parameters("inc = 0.1\nscale = 1.0")
        .equations("v = v + inc")
        .spike("v >= 1.0")
        .reset("v = v - 1.0")
}

/// A Poisson source: fires with probability `rate * dt / 1000` a step
/// (Philox draws, the same on both engines).
fn poisson_source() -> Neuron {
    Neuron::spiking()
        .name("poisson source")
        .parameters("rate = 50.0")
        .equations("v = v")
        .spike("Uniform(0.0, 1.0) < rate * dt / 1000.0")
        .reset("v = v + 1")
}

/// A rate-coded triangle wave in [-0.4 amp, 0.6 amp] (no transcendental
/// function: the inputs of the projection tests are exact), and `x = 1 + r/2`.
fn wave_source() -> Neuron {
    Neuron::rate()
        .name("triangle wave")
        .parameters("amp = 1.0\nspeed = 0.1\nphase = 0.0")
        .equations("r = amp * (abs(fmod(speed * t + phase, 2.0) - 1.0) - 0.4)\nx = 1.0 + 0.5 * r")
}

fn add_wave(net: &mut Network, name: &str, geometry: impl IntoGeometry) -> PopId {
    let p = net.population(name, geometry, &wave_source()).unwrap();
    let n = net.pop(p).unwrap().size();
    net.set(p, "amp", spread(n, 0.5, 1.5)).unwrap();
    net.set(p, "speed", spread(n, 0.05, 0.3)).unwrap();
    net.set(p, "phase", spread(n, 0.0, 1.9)).unwrap();
    p
}

fn add_pulses(net: &mut Network, name: &str, n: usize, lo: f32, hi: f32) -> PopId {
    let p = net.population(name, n, &pulse_source()).unwrap();
    net.set(p, "inc", spread(n, lo, hi)).unwrap();
    net.set(p, "scale", spread(n, 0.5, 2.0)).unwrap();
    p
}

fn add_poisson(net: &mut Network, name: &str, n: usize, lo: f32, hi: f32) -> PopId {
    let p = net.population(name, n, &poisson_source()).unwrap();
    net.set(p, "rate", spread(n, lo, hi)).unwrap();
    p
}

/// A rate neuron whose output is its weighted input `exc`.
fn summer() -> Neuron {
    Neuron::rate().name("summer").equations("r = sum(exc)")
}

/// Monitors with the names of what they record.
type Monitors = Vec<(MonitorId, Vec<String>)>;

/// What a monitor recorded: sample steps, variables, spikes.
type Recording = (Vec<u64>, Vec<Array2<f32>>, Vec<(u64, u32)>);

/// A monitor of every public variable of `pop` (and its spikes if it spikes).
fn monitor_all(net: &mut Network, pop: PopId) -> (MonitorId, Vec<String>) {
    let mut vars = public_vars(net, pop);
    if net.pop(pop).unwrap().ir.spiking {
        vars.push("spike".to_string());
    }
    let names: Vec<&str> = vars.iter().map(String::as_str).collect();
    let m = net.monitor(pop, &names).unwrap();
    (m, vars)
}

/// Compares a list of monitors made by [`monitor_all`].
fn compare_all(
    what: &str,
    cpu: &Simulation,
    gpu: &Simulation,
    monitors: &[(MonitorId, Vec<String>)],
) {
    for (k, (m, vars)) in monitors.iter().enumerate() {
        let names: Vec<&str> = vars.iter().map(String::as_str).collect();
        compare_monitor(&format!("{what}, monitor {k}"), cpu, gpu, *m, &names);
    }
}

// ================================================= 1. built-in neuron models

/// The drive of each built-in model: (parameter, base value), and the weight
/// of its input synapses.
fn builtin_drive(name: &str) -> (&'static str, f32, f32) {
    match name {
        "LeakyIntegrator" => ("B", 1.0, 0.3),
        "Izhikevich" => ("i_offset", 10.0, 3.0),
        "IF_curr_exp" | "IF_curr_alpha" => ("i_offset", 1.0, 0.3),
        "IF_cond_exp" | "IF_cond_alpha" => ("i_offset", 1.0, 0.01),
        "HH_cond_exp" => ("i_offset", 4.0, 0.02),
        // The GIF models' parameters are the population's: the initial u
        // differs per neuron instead (a hazard from about 1 to 900 Hz).
        "GIF_curr" | "GIF_curr_exp" => ("u", -55.0, 30.0),
        _ => ("i_offset", 1.0, 0.01),
    }
}

/// 37 neurons of a built-in model, with per-neuron drive and refractory
/// period, excitatory and inhibitory input; every public variable and the
/// spikes recorded at every step.
fn builtin_model_conformance(name: &str) {
    let neuron = models::builtin(name).expect("a built-in name");
    let spiking = neuron.kind() == NeuronKind::Spiking;
    // HH needs a finer step; 10 ms are enough for it to fire.
    let (dt, steps) = if name == "HH_cond_exp" {
        (0.01, 1000)
    } else {
        (0.1, 200)
    };
    let n = 37;
    let mut net = Network::new().dt(dt).seed(11);
    let pop = net.population("p", n, &neuron).unwrap();
    let (param, base, w) = builtin_drive(name);
    net.set(pop, param, spread(n, 0.5 * base, 1.5 * base))
        .unwrap();
    let names = public_vars(&net, pop);
    if names.iter().any(|v| v == "tau_refrac") {
        net.set(pop, "tau_refrac", spread(n, 0.0, 1.5)).unwrap();
    }
    if names.iter().any(|v| v == "noise") {
        net.set(pop, "noise", spread(n, 0.0, 1.0)).unwrap();
    }
    let mut monitors = Vec::new();
    let src = if spiking {
        let src = add_pulses(&mut net, "src", 23, 0.1, 0.6);
        net.projection(src, pop, "exc")
            .delays(Delays::random(Dist::uniform(0.0, 2.0)))
            .connect_fixed_number_pre(
                5,
                Weights::random(Dist::uniform(0.5 * w as f64, 1.5 * w as f64)),
            )
            .unwrap();
        net.projection(src, pop, "inh")
            .delays(1.0)
            .connect_fixed_probability(0.2, Weights::constant(0.5 * w))
            .unwrap();
        monitors.push(monitor_all(&mut net, src));
        src
    } else {
        let src = add_wave(&mut net, "src", 23);
        net.projection(src, pop, "exc")
            .connect_fixed_number_pre(5, Weights::random(Dist::uniform(0.0, w as f64)))
            .unwrap();
        net.projection(src, pop, "inh")
            .delays(0.5)
            .connect_fixed_probability(0.3, Weights::constant(w))
            .unwrap();
        src
    };
    monitors.push(monitor_all(&mut net, pop));
    let (mut cpu, mut gpu) = engines(&net);
    // Spiking models amplify rounding near threshold: spikes from a free
    // run, states in lockstep.
    run_and_check(
        name,
        &mut cpu,
        &mut gpu,
        &monitors,
        &[src, pop],
        steps,
        Check::Lockstep,
    );
    compare_state(name, &cpu, &gpu, pop);
    if spiking {
        let (m, _) = monitors.last().unwrap();
        assert!(
            !cpu.spikes(*m).unwrap().is_empty(),
            "{name}: the test should make the model fire"
        );
    }
}

macro_rules! builtin_tests {
    ($($test:ident => $name:literal),* $(,)?) => {
        $(
            fn $test() {
                builtin_model_conformance($name);
            }
        )*
        /// The built-in models that have a test above.
        const COVERED_BUILTINS: &[&str] = &[$($name),*];
    };
}

builtin_tests! {
    builtin_leaky_integrator => "LeakyIntegrator",
    builtin_izhikevich => "Izhikevich",
    builtin_if_curr_exp => "IF_curr_exp",
    builtin_if_cond_exp => "IF_cond_exp",
    builtin_if_curr_alpha => "IF_curr_alpha",
    builtin_if_cond_alpha => "IF_cond_alpha",
    builtin_hh_cond_exp => "HH_cond_exp",
    builtin_eif_cond_alpha_isfa_ista => "EIF_cond_alpha_isfa_ista",
    builtin_eif_cond_exp_isfa_ista => "EIF_cond_exp_isfa_ista",
    builtin_gif_curr => "GIF_curr",
    builtin_gif_curr_exp => "GIF_curr_exp",
}

fn every_builtin_model_has_a_conformance_test() {
    let mut known: Vec<&str> = models::builtin_names().to_vec();
    let mut covered = COVERED_BUILTINS.to_vec();
    known.sort_unstable();
    covered.sort_unstable();
    assert_eq!(
        known, covered,
        "add a line to builtin_tests! for each built-in model"
    );
}

// =================================================== 2. integration methods

const METHODS: [&str; 5] = ["explicit", "exponential", "midpoint", "rk4", "implicit"];

/// One population per method of the same model (`{m}` stands for the
/// method), 37 neurons with per-neuron parameters, every variable recorded.
fn methods_conformance(
    methods: &[&str],
    model: impl Fn(&str) -> Neuron,
    params: &[(&str, f32, f32)],
    dt: f64,
    steps: u64,
    check: Check,
) {
    let check = check.or_forced();
    let mut net = Network::new().dt(dt).seed(5);
    let mut monitors = Vec::new();
    let mut pops = Vec::new();
    for m in methods {
        let pop = net
            .population(m, 37, &model(m))
            .unwrap_or_else(|e| panic!("method {m}: {e}"));
        for &(p, lo, hi) in params {
            net.set(pop, p, spread(37, lo, hi)).unwrap();
        }
        monitors.push(monitor_all(&mut net, pop));
        pops.push(pop);
    }
    let (mut cpu, mut gpu) = engines(&net);
    both(&mut cpu, &mut gpu, |s| run_steps(s, steps));
    for (k, (m, vars)) in monitors.iter().enumerate() {
        let names: Vec<&str> = vars
            .iter()
            .map(String::as_str)
            .filter(|v| check == Check::Free || *v == "spike")
            .collect();
        compare_monitor(&format!("method {}", methods[k]), &cpu, &gpu, *m, &names);
    }
    if check == Check::Lockstep {
        both(&mut cpu, &mut gpu, |s| s.reset().unwrap());
        lockstep_states("methods", &mut cpu, &mut gpu, &pops, steps);
    }
}

fn integration_methods_linear_coupled_ode() {
    // A damped rotation: linear, so every method applies.
    let model = |m: &str| {
        Neuron::rate().name(&format!("linear 2-D, {m}")).parameters("tau = 5.0 : population\na = 0.5\nI = 0.0").equations(&format!(
            "tau * dx/dt = -x + a * y + I : init = 1.0, {m}\ntau * dy/dt = -y - a * x : init = -0.5, {m}\nr = x + y"
        ))
    };
    methods_conformance(
        &METHODS,
        model,
        &[("a", 0.0, 3.0), ("I", -1.0, 1.0)],
        0.5,
        200,
        Check::Free,
    );
}

fn integration_methods_nonlinear_ode() {
    // Van der Pol: nonlinear; each equation is still linear in its own
    // variable, which the exponential and implicit methods need.
    let model = |m: &str| {
        Neuron::rate()
            .name(&format!("van der Pol, {m}"))
            .parameters("mu = 1.0")
            .equations(&format!(
            "dx/dt = y : init = 2.0, {m}\ndy/dt = mu * (1.0 - x^2) * y - x : init = 0.0, {m}\nr = x"
        ))
    };
    let methods: Vec<&str> = METHODS
        .iter()
        .copied()
        .filter(|m| {
            let mut net = Network::new().dt(0.05);
            net.population("p", 1, &model(m)).is_ok()
        })
        .collect();
    assert!(
        ["explicit", "midpoint", "rk4"]
            .iter()
            .all(|m| methods.contains(m)),
        "explicit, midpoint and rk4 apply to any ODE; accepted: {methods:?}"
    );
    // A limit cycle: phase errors grow, so the states are checked in lockstep.
    methods_conformance(
        &methods,
        model,
        &[("mu", 0.2, 3.0)],
        0.05,
        400,
        Check::Lockstep,
    );
}

fn integration_methods_spiking_quadratic() {
    // Izhikevich's equations written out, with each explicit-family method.
    let model = |m: &str| {
        Neuron::spiking()
            .name(&format!("quadratic, {m}"))
            .parameters("a = 0.02\nb = 0.2\nc = -65.0\nd = 8.0\nI = 10.0")
            .equations(&format!(
                "dv/dt = 0.04 * v^2 + 5.0 * v + 140.0 - u + I : init = -65.0, {m}\ndu/dt = a * (b * v - u) : init = -13.0, {m}"
            ))
            .spike("v >= 30.0")
            .reset("v = c\nu += d")
    };
    methods_conformance(
        &["explicit", "midpoint", "rk4"],
        model,
        &[("I", 4.0, 15.0), ("d", 2.0, 8.0)],
        0.1,
        300,
        Check::Lockstep,
    );
}

// ========================================================== 3. odd models

fn odd_rate_model_functions_conditionals_flags_random() {
    // x moves by exact quarter steps (dt = 0.25), so round() meets halves
    // (2.5, -2.5, 0.5...) and comparisons are exact on both engines.
    let eqs = "x = a + t
c_if = if x > 0.5 then 2.0 * x else -x
c_ite = ite(x < 0.0, 1.0, x^2)
c_logic = if (x > 0.0 and not (x > 1.0)) or x < -2.0 then 1.0 else 0.0
c_cmp = (x < 0.5) + 2*(x > 0.5) + 4*(x <= 1.0) + 8*(x >= -1.0) + 16*(x == a) + 32*(x != a)
f_exp = exp(0.1 * x)
f_log = log(1.0 + abs(x))
f_sqrt = sqrt(abs(x))
f_abs = abs(x) - abs(-2.0 * x)
f_trig = sin(x) + 2.0 * cos(x)
f_tanh = tanh(0.5 * x)
f_pow = pow(abs(x) + 0.5, 1.5)
f_sq = x^2 - 0.1 * x^3 + x**2
f_round = round(x) + 100.0 * round(-x)
f_floor = floor(x) + 100.0 * ceil(x)
f_clip = clip(x, -1.0, 1.5)
f_mod = modulo(x, 1.5) + 10.0 * (x % 2.0)
f_sign = sign(x) + 10.0 * sign(x - 1.0)
f_posneg = pos(x) + 10.0 * neg(x)
f_minmax = min(x, 1.0) + 10.0 * max(x, -1.0)
f_div = x / tau + x / k
f_flags = if on then n * x else -n
f_fun = sigmoid(x) + k2 * x
acc = acc + 0.25 * x : min = -5.0, max = 5.0
dz/dt = x - z / tau : init = 0.5, min = -1.0, max = 20.0
u = Uniform(-1.0, 2.0)
g = Normal(0.5, 2.0)
ln = LogNormal(0.0, 0.5)
e = Exponential(2.0)
walk = walk + 0.1 * Normal(0.0, 1.0) + 0.01 * u
r = c_if + acc";
    let neuron = Neuron::rate()
        .name("odd rate model")
        .parameters("a = 0.0\ntau = 4.0 : population\nk = 2.0\nn = 3 : int\non = true : bool")
        .functions("sigmoid(y) = 1.0 / (1.0 + exp(-y))")
        .equations(eqs);
    let n = 37;
    let mut net = Network::new().dt(0.25).seed(17);
    net.constant("k2", 0.75).unwrap();
    let pop = net.population("odd", n, &neuron).unwrap();
    // a = -4.5, -4.25, ..., 4.5 (scrambled).
    let a: Vec<f32> = (0..n)
        .map(|i| ((i * 17 + 5) % n) as f32 * 0.25 - 4.5)
        .collect();
    net.set(pop, "a", a).unwrap();
    net.set(pop, "k", spread(n, 0.5, 3.0)).unwrap();
    net.set(pop, "n", spread(n, -3.0, 5.0)).unwrap();
    net.set(
        pop,
        "on",
        (0..n)
            .map(|i| f32::from(u8::from(i % 3 != 0)))
            .collect::<Vec<f32>>(),
    )
    .unwrap();
    let monitors = vec![monitor_all(&mut net, pop)];
    let (mut cpu, mut gpu) = engines(&net);
    both(&mut cpu, &mut gpu, |s| run_steps(s, 60));
    compare_all("odd rate model", &cpu, &gpu, &monitors);
    // Halves really were met, and rounded away from zero on both.
    let rounded = gpu.recorded(monitors[0].0, "f_round").unwrap();
    let xs = gpu.recorded(monitors[0].0, "x").unwrap();
    let mut halves = 0;
    for (x, r) in xs.iter().zip(rounded.iter()) {
        if x.fract().abs() == 0.5 {
            halves += 1;
            let away = x.signum() * (x.abs() + 0.5);
            assert_eq!(
                *r,
                away + 100.0 * -away,
                "GPU round({x}) must round half away from zero"
            );
        }
    }
    assert!(halves > 10, "the test should meet halves ({halves})");
}

fn odd_spiking_model_random_spikes_refractory_parameter() {
    // Random spike condition and reset, a refractory period given by a
    // per-neuron parameter, a population-wide threshold, a conditional reset.
    let neuron = Neuron::spiking()
        .name("odd spiking model")
        .parameters(
            "tau_ref = 1.0\nthr = 1.0 : population\ninc = 0.1\np = 0.01\ntau = 10.0 : population",
        )
        .equations(
            "tau * dv/dt = -0.1 * v + inc * tau / dt + 0.05 * Normal(0.0, 1.0)
phase = modulo(t, 3.0)
count = count",
        )
        .spike("v > thr or Uniform(0.0, 1.0) < p")
        .reset("v = if phase < 1.5 then Uniform(-0.5, 0.0) else -0.25\ncount += 1")
        .refractory_expr("tau_ref");
    let n = 41;
    let mut net = Network::new().dt(0.1).seed(23);
    let pop = net.population("odd", n, &neuron).unwrap();
    net.set(pop, "tau_ref", spread(n, 0.0, 3.0)).unwrap();
    net.set(pop, "inc", spread(n, 0.01, 0.2)).unwrap();
    net.set(pop, "p", spread(n, 0.0, 0.05)).unwrap();
    let monitors = vec![monitor_all(&mut net, pop)];
    let (mut cpu, mut gpu) = engines(&net);
    both(&mut cpu, &mut gpu, |s| run_steps(s, 400));
    compare_all("odd spiking model", &cpu, &gpu, &monitors);
    let spikes = cpu.spikes(monitors[0].0).unwrap().len();
    assert!(spikes > 100, "the model should fire ({spikes} spikes)");
}

// ================================================================ 4. sizes

/// A spiking population (noisy LIF, recurrent) and a rate one (recurrent,
/// with a delay) of `n` neurons each.
fn size_conformance(n: usize, steps: u64) {
    let lif = Neuron::spiking()
        .name("noisy LIF")
        .parameters("tau = 10.0 : population\nI = 1.0\nsigma = 0.2")
        .equations(
            "tau * dv/dt = -v + I + g_exc - g_inh + sigma * Normal(0.0, 1.0) : init = 0.0
tau_s * dg_exc/dt = -g_exc : exponential
tau_s * dg_inh/dt = -g_inh : exponential",
        )
        .spike("v > 1.0")
        .reset("v = 0.0")
        .refractory(1.0);
    let leaky = Neuron::rate()
        .name("leaky rate")
        .parameters("tau = 5.0 : population\nb = 0.0")
        .equations("tau * dv/dt = -v + sum(exc) + b : exponential\nr = clip(v, -1.0, 1.0)");
    let mut net = Network::new().dt(0.1).seed(31);
    net.constant("tau_s", 3.0).unwrap();
    let s = net.population("spiking", n, &lif).unwrap();
    net.set(s, "I", spread(n, 0.8, 1.3)).unwrap();
    net.set(s, "v", Dist::uniform(0.0, 1.0)).unwrap();
    let r = net.population("rate", n, &leaky).unwrap();
    net.set(r, "b", spread(n, -1.0, 1.0)).unwrap();
    // Fan-in 10 (1 for a single neuron, onto itself).
    let fan = n.min(10);
    net.projection(s, s, "exc")
        .allow_self_connections(n == 1)
        .delays(0.5)
        .connect_fixed_number_pre(fan, Weights::constant(0.1))
        .unwrap();
    net.projection(s, s, "inh")
        .allow_self_connections(true)
        .connect_fixed_probability((5.0 / n as f64).min(1.0), Weights::constant(0.05))
        .unwrap();
    net.projection(r, r, "exc")
        .allow_self_connections(true)
        .delays(0.3)
        .connect_fixed_number_pre(fan, Weights::random(Dist::uniform(-0.3, 0.3)))
        .unwrap();
    let monitors = vec![monitor_all(&mut net, s), monitor_all(&mut net, r)];
    let (mut cpu, mut gpu) = engines(&net);
    // Recurrent, noisy: spikes from a free run, states in lockstep.
    run_and_check(
        &format!("N = {n}"),
        &mut cpu,
        &mut gpu,
        &monitors,
        &[s, r],
        steps,
        Check::Lockstep,
    );
    compare_state(&format!("N = {n}, spiking"), &cpu, &gpu, s);
    compare_state(&format!("N = {n}, rate"), &cpu, &gpu, r);
}

fn size_1() {
    size_conformance(1, 300);
}

fn size_65() {
    size_conformance(65, 300);
}

fn size_100000() {
    size_conformance(100_000, 20);
}

// ================================================ 5. rate-coded projections

fn rate_psp_and_operations() {
    // Every operation with the default psp and three custom ones (a function
    // of pre.r, pre.x with post.bias, pre.r with post.x).
    let psps = [
        "",
        "w * log(1.0 + pre.r)",
        "w * pre.x + post.bias",
        "w * pre.r * post.x",
    ];
    let ops = [
        Operation::Sum,
        Operation::Max,
        Operation::Min,
        Operation::Mean,
    ];
    let post_model = Neuron::rate()
        .name("biased summer")
        .parameters("bias = 0.0")
        .equations("r = sum(exc) + bias\nx = 0.5 * r + 1.0");
    let mut net = Network::new().dt(0.5).seed(41);
    let src = add_wave(&mut net, "src", 29);
    let mut monitors = Vec::new();
    let mut labels = Vec::new();
    for op in ops {
        for (k, psp) in psps.iter().enumerate() {
            let post = net
                .population(&format!("{op:?}_{k}"), 17, &post_model)
                .unwrap();
            net.set(post, "bias", spread(17, -0.5, 0.5)).unwrap();
            let mut syn = Synapse::new().name(&format!("psp {k}")).operation(op);
            if !psp.is_empty() {
                syn = syn.psp(psp);
            }
            net.projection(src, post, "exc")
                .synapse(&syn)
                .connect_fixed_number_pre(6, Weights::random(Dist::uniform(-1.0, 1.0)))
                .unwrap();
            monitors.push(monitor_all(&mut net, post));
            labels.push(format!("operation {op:?}, psp '{psp}'"));
        }
    }
    let (mut cpu, mut gpu) = engines(&net);
    both(&mut cpu, &mut gpu, |s| run_steps(s, 80));
    for ((m, vars), label) in monitors.iter().zip(&labels) {
        let names: Vec<&str> = vars.iter().map(String::as_str).collect();
        compare_monitor(label, &cpu, &gpu, *m, &names);
    }
}

fn rate_connectors_including_spatial() {
    let mut net = Network::new().dt(1.0).seed(43);
    let src = add_wave(&mut net, "src", [8usize, 8]);
    let mut monitors = Vec::new();
    let mut add = |net: &mut Network, name: &str, geometry: &[usize]| -> PopId {
        let p = net.population(name, geometry, &summer()).unwrap();
        monitors.push((name.to_string(), net.monitor(p, &["r"]).unwrap()));
        p
    };
    let p = add(&mut net, "all_to_all", &[5, 6]);
    net.projection(src, p, "exc")
        .connect_all_to_all(Weights::random(Dist::normal(0.0, 0.3)))
        .unwrap();
    let p = add(&mut net, "one_to_one", &[8, 8]);
    net.projection(src, p, "exc")
        .connect_one_to_one(Weights::random(Dist::uniform(-1.0, 1.0)))
        .unwrap();
    let p = add(&mut net, "fixed_probability", &[40]);
    net.projection(src, p, "exc")
        .connect_fixed_probability(0.2, Weights::random(Dist::uniform(-1.0, 1.0)))
        .unwrap();
    let p = add(&mut net, "fixed_number_pre", &[30]);
    net.projection(src, p, "exc")
        .connect_fixed_number_pre(7, Weights::random(Dist::uniform(0.0, 1.0)))
        .unwrap();
    let p = add(&mut net, "fixed_number_post", &[30]);
    net.projection(src, p, "exc")
        .connect_fixed_number_post(4, Weights::random(Dist::normal(0.5, 0.2)))
        .unwrap();
    let p = add(&mut net, "gaussian", &[6, 6]);
    net.projection(src, p, "exc")
        .connect_gaussian(1.0, 0.3, 0.01)
        .unwrap();
    let p = add(&mut net, "dog", &[6, 6]);
    net.projection(src, p, "exc")
        .connect_dog(1.0, 0.2, 0.5, 0.5, 0.01)
        .unwrap();
    let p = add(&mut net, "from_matrix", &[5]);
    let matrix = Array2::from_shape_fn((5, 64), |(i, j)| {
        if (i + j) % 3 == 0 {
            f32::NAN
        } else {
            ((i * 64 + j) % 11) as f32 * 0.1 - 0.5
        }
    });
    net.projection(src, p, "exc")
        .connect_from_matrix(matrix)
        .unwrap();
    let (mut cpu, mut gpu) = engines(&net);
    both(&mut cpu, &mut gpu, |s| run_steps(s, 60));
    for (name, m) in &monitors {
        compare_monitor(&format!("connector {name}"), &cpu, &gpu, *m, &["r"]);
    }
}

fn rate_delays_uniform_and_per_synapse() {
    let mut net = Network::new().dt(0.5).seed(47);
    let src = add_wave(&mut net, "src", 13);
    let mut monitors = Vec::new();
    // A uniform delay of 2.5 ms (5 steps).
    let p = net.population("uniform", 9, &summer()).unwrap();
    net.projection(src, p, "exc")
        .delays(2.5)
        .connect_all_to_all(Weights::random(Dist::uniform(-1.0, 1.0)))
        .unwrap();
    monitors.push(("uniform delay", net.monitor(p, &["r"]).unwrap()));
    // Per-synapse random delays (0 to 6 ms: 1 to 12 steps).
    let p = net.population("random", 11, &summer()).unwrap();
    net.projection(src, p, "exc")
        .delays(Delays::random(Dist::uniform(0.0, 6.0)))
        .connect_fixed_probability(0.5, Weights::random(Dist::uniform(-1.0, 1.0)))
        .unwrap();
    monitors.push(("random delays", net.monitor(p, &["r"]).unwrap()));
    // A custom psp reading a delayed pre.x.
    let p = net.population("custom", 7, &summer()).unwrap();
    net.projection(src, p, "exc")
        .synapse(&Synapse::new().psp("w * pre.x - 0.5 * w"))
        .delays(Delays::random(Dist::discrete_uniform(1.0, 8.0)))
        .connect_fixed_number_pre(4, Weights::random(Dist::uniform(0.0, 1.0)))
        .unwrap();
    monitors.push(("custom psp, random delays", net.monitor(p, &["r"]).unwrap()));
    // Max over delayed values.
    let p = net.population("max", 7, &summer()).unwrap();
    net.projection(src, p, "exc")
        .synapse(&Synapse::new().operation(Operation::Max))
        .delays(Delays::random(Dist::uniform(0.5, 4.0)))
        .connect_fixed_number_pre(5, Weights::random(Dist::uniform(-1.0, 1.0)))
        .unwrap();
    monitors.push(("max, random delays", net.monitor(p, &["r"]).unwrap()));
    let (mut cpu, mut gpu) = engines(&net);
    both(&mut cpu, &mut gpu, |s| run_steps(s, 80));
    for (name, m) in &monitors {
        compare_monitor(name, &cpu, &gpu, *m, &["r"]);
    }
}

fn rate_recurrent_and_shared_target() {
    // `a` reads exc from three projections (itself, two sources) and inh
    // from itself with a delay.
    let model = Neuron::rate()
        .name("recurrent leaky")
        .parameters("tau = 4.0 : population\nb = 0.0")
        .equations("tau * dv/dt = -v + sum(exc) - sum(inh) + b\nr = clip(v, -1.5, 1.5)");
    let mut net = Network::new().dt(1.0).seed(53);
    let a = net.population("a", 31, &model).unwrap();
    net.set(a, "b", spread(31, -0.5, 0.8)).unwrap();
    let s1 = add_wave(&mut net, "s1", 31);
    let s2 = add_wave(&mut net, "s2", 12);
    net.projection(a, a, "exc")
        .connect_fixed_number_pre(5, Weights::random(Dist::uniform(-0.5, 0.5)))
        .unwrap();
    net.projection(a, a, "inh")
        .delays(3.0)
        .connect_all_to_all(Weights::constant(0.02))
        .unwrap();
    net.projection(a, a, "exc")
        .name("self included")
        .allow_self_connections(true)
        .delays(2.0)
        .connect_fixed_probability(0.1, Weights::constant(0.1))
        .unwrap();
    net.projection(s1, a, "exc")
        .connect_one_to_one(Weights::constant(0.8))
        .unwrap();
    net.projection(s2, a, "exc")
        .delays(1.0)
        .connect_fixed_probability(0.4, Weights::random(Dist::uniform(0.0, 0.5)))
        .unwrap();
    let monitors = vec![monitor_all(&mut net, a)];
    let (mut cpu, mut gpu) = engines(&net);
    both(&mut cpu, &mut gpu, |s| run_steps(s, 150));
    compare_all("recurrent rate network", &cpu, &gpu, &monitors);
}

// ================================================== 6. spiking projections

/// Two sources (regular pulses, Poisson) onto two spiking populations:
/// default and custom pre_spike, a weight changed at each spike, uniform and
/// per-synapse random delays, excitation and inhibition onto one population,
/// several projections onto one conductance, a chain and a recurrence.
/// Returns the network, its monitors, the projection whose weights change
/// and the populations.
fn spiking_projection_network() -> (Network, Monitors, Vec<ProjId>, Vec<PopId>) {
    let lif = Neuron::spiking()
        .name("conductance LIF")
        .parameters("tau = 10.0 : population\ntau_e = 3.0\ntau_i = 6.0\nI = 0.9")
        .equations(
            "tau_e * dg_exc/dt = -g_exc : exponential
tau_i * dg_inh/dt = -g_inh : exponential
tau * dv/dt = -v + g_exc * (3.0 - v) + g_inh * (-1.0 - v) + I",
        )
        .spike("v > 1.0")
        .reset("v = 0.0")
        .refractory(2.0);
    let current = Neuron::spiking()
        .name("current receiver")
        .equations("v = 0.9 * v + g_exc - g_inh")
        .spike("v > 2.0")
        .reset("v = 0.0");
    let mut net = Network::new().dt(0.1).seed(59);
    let pulses = add_pulses(&mut net, "pulses", 40, 0.03, 0.5);
    let poisson = add_poisson(&mut net, "poisson", 30, 20.0, 200.0);
    let post = net.population("lif", 47, &lif).unwrap();
    net.set(post, "I", spread(47, 0.5, 1.2)).unwrap();
    net.set(post, "tau_e", spread(47, 2.0, 5.0)).unwrap();
    let post2 = net.population("current", 33, &current).unwrap();
    let mut changing = Vec::new();
    // Default pre_spike; two projections onto lif.g_exc.
    net.projection(pulses, post, "exc")
        .connect_fixed_probability(0.3, Weights::random(Dist::uniform(0.05, 0.3)))
        .unwrap();
    net.projection(poisson, post, "exc")
        .delays(2.0)
        .connect_fixed_number_pre(6, Weights::constant(0.2))
        .unwrap();
    // Inhibition with per-synapse random delays.
    net.projection(pulses, post, "inh")
        .delays(Delays::random(Dist::uniform(0.0, 5.0)))
        .connect_all_to_all(Weights::constant(0.05))
        .unwrap();
    // Custom pre_spike reading a pre-synaptic parameter.
    net.projection(pulses, post2, "exc")
        .synapse(
            &Synapse::new()
                .name("scaled")
                .pre_spike("g_target += w * pre.scale"),
        )
        .delays(Delays::random(Dist::uniform(0.1, 1.5)))
        .connect_fixed_number_pre(8, Weights::random(Dist::uniform(0.1, 0.6)))
        .unwrap();
    // A weight that grows at each spike.
    changing.push(
        net.projection(poisson, post2, "inh")
            .synapse(
                &Synapse::new()
                    .name("growing")
                    .parameters("inc = 0.01 : projection")
                    .pre_spike("g_target += w\nw += inc"),
            )
            .delays(0.5)
            .connect_fixed_probability(0.3, Weights::random(Dist::uniform(0.1, 0.4)))
            .unwrap(),
    );
    // A chain (lif -> current) and a recurrence (lif -> lif).
    net.projection(post, post2, "exc")
        .delays(1.5)
        .connect_fixed_probability(0.2, Weights::constant(0.7))
        .unwrap();
    net.projection(post, post, "inh")
        .connect_fixed_number_pre(4, Weights::constant(0.05))
        .unwrap();
    let monitors = vec![
        monitor_all(&mut net, pulses),
        monitor_all(&mut net, poisson),
        monitor_all(&mut net, post),
        monitor_all(&mut net, post2),
    ];
    (net, monitors, changing, vec![pulses, poisson, post, post2])
}

fn spiking_projections_conformance(options: Option<&GpuOptions>) {
    let (net, monitors, changing, pops) = spiking_projection_network();
    let (mut cpu, mut gpu) = engines_with(&net, options);
    // The recurrence within `lif` and the unspecified order of atomic adds
    // make last-bit differences grow: spikes from a free run, states in
    // lockstep.
    run_and_check(
        "spiking projections",
        &mut cpu,
        &mut gpu,
        &monitors,
        &pops,
        400,
        Check::Lockstep,
    );
    for p in changing {
        let (post_c, pre_c, w_c) = cpu.synapses(p, "w").unwrap();
        let (post_g, pre_g, w_g) = gpu.synapses(p, "w").unwrap();
        assert_eq!((post_c, pre_c), (post_g, pre_g), "synapse lists");
        let row = |w: Vec<f32>| Array2::from_shape_vec((1, w.len()), w).unwrap();
        report(
            "weights changed by pre_spike",
            state_mismatch("w", &[400], &row(w_c), &row(w_g))
                .into_iter()
                .collect(),
        );
    }
    // The test means something: every population fired.
    for (m, _) in &monitors {
        assert!(
            !cpu.spikes(*m).unwrap().is_empty(),
            "a population stayed silent"
        );
    }
}

fn spiking_projections() {
    spiking_projections_conformance(None);
}

fn spiking_projections_without_float_atomics() {
    let options = GpuOptions {
        float_atomics: false,
        ..Default::default()
    };
    spiking_projections_conformance(Some(&options));
}

// ================================================================ 7. COBA

fn coba_rates_agree() {
    let (mut net, exc, inh) = cajal::networks::coba(4000, 42).unwrap();
    let me = net.monitor(exc, &["spike"]).unwrap();
    let mi = net.monitor(inh, &["spike"]).unwrap();
    let (mut cpu, mut gpu) = engines(&net);
    both(&mut cpu, &mut gpu, |s| s.simulate(1000.0).unwrap());
    for (name, m) in [("exc", me), ("inh", mi)] {
        let c = cpu.population_rate(m, 1000.0).unwrap();
        let g = gpu.population_rate(m, 1000.0).unwrap();
        assert!(
            c > 5.0,
            "COBA {name}: the CPU rate {c:.2} Hz is too low to compare"
        );
        assert!(
            (g - c).abs() <= 0.05 * c,
            "COBA {name}: GPU rate {g:.3} Hz vs CPU {c:.3} Hz (more than 5 % apart)"
        );
    }
}

// ============================================= 8. ANNarchy's reference data

// The ANNarchy references run on both engines in tests/annarchy/annarchy_reference.rs.

// ======================================= 9. between simulate calls on the GPU

/// A 2-D rate population with a population-wide parameter and a spiking
/// population driven by it... through nothing (they are independent), each
/// with inputs that keep them moving.
fn mixed_network() -> (Network, PopId, PopId) {
    let rate = Neuron::rate()
        .name("grid")
        .parameters("a = 1.5 : population\nb = 2.0")
        .equations("tau_x * dx/dt = -x + b : exponential\nr = a * x + 0.1 * sum(exc)");
    let lif = Neuron::spiking()
        .name("LIF")
        .parameters("tau = 10.0 : population\nI = 1.2\nv_reset = 0.0")
        .equations("tau * dv/dt = -v + I + g_exc\ntau_s * dg_exc/dt = -g_exc : exponential")
        .spike("v > 1.0")
        .reset("v = v_reset")
        .refractory(1.0);
    let mut net = Network::new().dt(0.1).seed(61);
    net.constant("tau_x", 2.0).unwrap();
    net.constant("tau_s", 2.0).unwrap();
    let grid = net.population("grid", [4usize, 5], &rate).unwrap();
    net.set(grid, "b", spread(20, -1.0, 2.0)).unwrap();
    net.projection(grid, grid, "exc")
        .delays(0.5)
        .connect_fixed_number_pre(3, Weights::random(Dist::uniform(-1.0, 1.0)))
        .unwrap();
    let spk = net.population("lif", 29, &lif).unwrap();
    net.set(spk, "I", spread(29, 0.9, 1.6)).unwrap();
    net.set(spk, "v", Dist::uniform(0.0, 1.0)).unwrap();
    net.projection(spk, spk, "exc")
        .delays(Delays::random(Dist::uniform(0.1, 2.0)))
        .connect_fixed_probability(0.2, Weights::constant(0.2))
        .unwrap();
    (net, grid, spk)
}

fn get_and_set_between_runs() {
    let (mut net, grid, spk) = mixed_network();
    let monitors = vec![monitor_all(&mut net, grid), monitor_all(&mut net, spk)];
    let (mut cpu, mut gpu) = engines(&net);
    // Before any step: the initial values, exactly.
    for pop in [grid, spk] {
        for var in public_vars(&net, pop) {
            assert_eq!(
                cpu.get(pop, &var).unwrap(),
                gpu.get(pop, &var).unwrap(),
                "initial {var}"
            );
        }
    }
    both(&mut cpu, &mut gpu, |s| s.simulate(5.0).unwrap());
    compare_state("after 5 ms", &cpu, &gpu, grid);
    compare_state("after 5 ms", &cpu, &gpu, spk);
    // Every kind of set, then get: what was written reads back exactly.
    let cube = ArrayD::from_shape_fn(IxDyn(&[4, 5]), |i| (i[0] * 10 + i[1]) as f32 * 0.1 - 1.0);
    both(&mut cpu, &mut gpu, |s| {
        s.set(grid, "b", 3.0).unwrap();
        s.set(grid, "b", cube.clone()).unwrap();
        s.set_neuron(grid, 7, "b", -2.0).unwrap();
        s.set_at(grid, &[3, 4], "b", 4.5).unwrap();
        s.set(grid, "a", 0.5).unwrap();
        s.set(grid, "x", vec![0.25f32; 20]).unwrap();
        s.set(spk, "v", Dist::uniform(0.0, 1.0)).unwrap();
        s.set(spk, "I", spread(29, 1.0, 2.0)).unwrap();
        s.set_neuron(spk, 3, "v", 5.0).unwrap(); // fires at the next step
        s.set(spk, "tau", vec![8.0f32]).unwrap();
    });
    for (pop, var) in [
        (grid, "b"),
        (grid, "a"),
        (grid, "x"),
        (spk, "v"),
        (spk, "I"),
        (spk, "tau"),
    ] {
        let (c, g) = (cpu.get(pop, var).unwrap(), gpu.get(pop, var).unwrap());
        assert_eq!(c, g, "{var} read back after set (cpu left, gpu right)");
    }
    assert_eq!(
        gpu.get(grid, "a").unwrap().ndim(),
        0,
        "a population-wide parameter is 0-d"
    );
    assert_eq!(gpu.get(grid, "b").unwrap().shape(), &[4, 5]);
    assert_eq!(gpu.get_neuron(grid, 7, "b").unwrap(), -2.0);
    assert_eq!(gpu.get_at(grid, &[3, 4], "b").unwrap(), 4.5);
    assert_eq!(gpu.get_at(grid, &[2, 1], "b").unwrap(), cube[[2, 1]]);
    assert_eq!(gpu.get_neuron(grid, 11, "a").unwrap(), 0.5);
    assert_eq!(gpu.get_neuron(spk, 3, "v").unwrap(), 5.0);
    both(&mut cpu, &mut gpu, |s| s.simulate(5.0).unwrap());
    compare_state("after the sets and 5 ms", &cpu, &gpu, grid);
    compare_state("after the sets and 5 ms", &cpu, &gpu, spk);
    for pop in [grid, spk] {
        for var in public_vars(&net, pop) {
            for rank in [0, 6, 19] {
                let (c, g) = (
                    cpu.get_neuron(pop, rank, &var).unwrap(),
                    gpu.get_neuron(pop, rank, &var).unwrap(),
                );
                assert!(
                    close(c, g, TOL),
                    "get_neuron({rank}, {var}): cpu {c}, gpu {g}"
                );
            }
        }
    }
    compare_all("get/set between runs", &cpu, &gpu, &monitors);
    // Neuron 3 was set above threshold: it fired soon after the set (at
    // the next step unless it was refractory).
    let (m, _) = &monitors[1];
    assert!(
        gpu.spikes(*m)
            .unwrap()
            .iter()
            .any(|&(s, n)| n == 3 && (50..=60).contains(&s)),
        "neuron 3, set above threshold, should fire"
    );
}

fn set_parameter_changes_the_dynamics_alike() {
    let (mut net, grid, spk) = mixed_network();
    let monitors = vec![monitor_all(&mut net, grid), monitor_all(&mut net, spk)];
    let (mut cpu, mut gpu) = engines(&net);
    both(&mut cpu, &mut gpu, |s| s.simulate(10.0).unwrap());
    let before = cpu.spikes(monitors[1].0).unwrap().len();
    both(&mut cpu, &mut gpu, |s| {
        s.set(spk, "I", spread(29, 2.0, 3.0)).unwrap();
        s.set(spk, "tau", 5.0).unwrap();
        s.set(grid, "a", -0.5).unwrap();
        s.set(spk, "v_reset", 0.5).unwrap();
    });
    both(&mut cpu, &mut gpu, |s| s.simulate(10.0).unwrap());
    let after = cpu.spikes(monitors[1].0).unwrap().len() - before;
    assert!(
        after > before,
        "the stronger input should fire more: {before} then {after}"
    );
    compare_all("parameters set between runs", &cpu, &gpu, &monitors);
}

fn reset_replays_identically() {
    let (mut net, grid, spk) = mixed_network();
    let poisson = add_poisson(&mut net, "poisson", 25, 50.0, 300.0);
    net.projection(poisson, spk, "exc")
        .delays(1.0)
        .connect_fixed_number_pre(3, Weights::constant(0.3))
        .unwrap();
    let monitors = vec![
        monitor_all(&mut net, grid),
        monitor_all(&mut net, spk),
        monitor_all(&mut net, poisson),
    ];
    let (mut cpu, mut gpu) = engines(&net);
    let pops = [grid, spk, poisson];
    let initial: Vec<Vec<ArrayD<f32>>> = pops
        .iter()
        .map(|&p| {
            public_vars(&net, p)
                .iter()
                .map(|v| gpu.get(p, v).unwrap())
                .collect()
        })
        .collect();
    both(&mut cpu, &mut gpu, |s| s.simulate(30.0).unwrap());
    compare_all("first run", &cpu, &gpu, &monitors);
    let first: Vec<Recording> = monitors
        .iter()
        .map(|(m, vars)| {
            let rec = vars
                .iter()
                .filter(|v| *v != "spike")
                .map(|v| gpu.recorded(*m, v).unwrap())
                .collect();
            let spikes = if vars.iter().any(|v| v == "spike") {
                gpu.spikes(*m).unwrap()
            } else {
                Vec::new()
            };
            (gpu.sample_steps(*m).unwrap(), rec, spikes)
        })
        .collect();
    // Spikes in flight, a changed parameter and time: all undone by reset.
    both(&mut cpu, &mut gpu, |s| {
        s.simulate(3.0).unwrap();
        s.set(spk, "I", 5.0).unwrap();
        s.set_time(77.0).unwrap();
        s.reset().unwrap();
    });
    assert_eq!(gpu.current_step(), 0);
    assert_eq!(gpu.time(), 0.0);
    for (k, &p) in pops.iter().enumerate() {
        for (var, init) in public_vars(&net, p).iter().zip(&initial[k]) {
            assert_eq!(&gpu.get(p, var).unwrap(), init, "{var} after reset");
        }
    }
    for (m, _) in &monitors {
        assert!(
            gpu.sample_steps(*m).unwrap().is_empty(),
            "monitors emptied by reset"
        );
    }
    both(&mut cpu, &mut gpu, |s| s.simulate(30.0).unwrap());
    compare_all("replay after reset", &cpu, &gpu, &monitors);
    for (k, (m, vars)) in monitors.iter().enumerate() {
        let (steps, rec, spikes) = &first[k];
        assert_eq!(
            &gpu.sample_steps(*m).unwrap(),
            steps,
            "replay: sample steps"
        );
        let mut found = Vec::new();
        for (var, old) in vars.iter().filter(|v| *v != "spike").zip(rec) {
            found.extend(state_mismatch(
                var,
                steps,
                old,
                &gpu.recorded(*m, var).unwrap(),
            ));
        }
        if vars.iter().any(|v| v == "spike") {
            found.extend(spike_mismatch(spikes, &gpu.spikes(*m).unwrap()));
        }
        report(
            &format!("GPU replay after reset (first run as 'cpu'), monitor {k}"),
            found,
        );
    }
}

fn set_time_changes_t() {
    let model = Neuron::rate()
        .name("clock")
        .parameters("f = 0.001")
        .equations("now = t\nr = sin(f * t)\nramp = ramp + t * dt");
    let mut net = Network::new().dt(0.5);
    let p = net.population("clock", 5, &model).unwrap();
    net.set(p, "f", spread(5, 0.0005, 0.002)).unwrap();
    let m = net.monitor(p, &["now", "r", "ramp"]).unwrap();
    let (mut cpu, mut gpu) = engines(&net);
    both(&mut cpu, &mut gpu, |s| {
        s.simulate(5.0).unwrap();
        s.set_time(1000.0).unwrap();
        s.simulate(5.0).unwrap();
        s.set_time(-3.25).unwrap();
        s.simulate(2.0).unwrap();
    });
    assert_eq!(gpu.time(), -1.25);
    assert_eq!(gpu.current_step(), 24);
    compare_monitor("set_time", &cpu, &gpu, m, &["now", "r", "ramp"]);
    // t is exact: the time at the start of each step.
    let now = gpu.recorded(m, "now").unwrap();
    let expected: Vec<f32> = (0..10)
        .map(|k| k as f32 * 0.5)
        .chain((0..10).map(|k| 1000.0 + k as f32 * 0.5))
        .chain((0..4).map(|k| -3.25 + k as f32 * 0.5))
        .collect();
    assert_eq!(
        now.column(0).to_vec(),
        expected,
        "t seen by the equations on the GPU"
    );
}

fn monitor_pause_resume_with_a_period() {
    let counter = Neuron::rate()
        .name("counter")
        .parameters("inc = 1.0")
        .equations("r = r + inc");
    let mut net = Network::new().dt(0.5).seed(67);
    let p = net.population("counter", 6, &counter).unwrap();
    net.set(p, "inc", spread(6, 0.5, 2.0)).unwrap();
    let src = add_pulses(&mut net, "pulses", 9, 0.1, 0.7);
    let every3 = net.monitor_with(p, &["r"], 1.5, true).unwrap();
    let later = net.monitor_with(p, &["r"], 1.0, false).unwrap();
    let spikes = net.monitor_with(src, &["spike", "v"], 2.0, false).unwrap();
    let (mut cpu, mut gpu) = engines(&net);
    both(&mut cpu, &mut gpu, |s| {
        run_steps(s, 10);
        s.resume(later).unwrap();
        s.resume(spikes).unwrap();
        run_steps(s, 5);
        s.pause(later).unwrap();
        s.pause(every3).unwrap();
        run_steps(s, 4);
        s.resume(later).unwrap();
        s.resume(every3).unwrap();
        s.resume(every3).unwrap(); // already running: no change of phase
        run_steps(s, 7);
        for _ in 0..3 {
            s.step().unwrap();
        }
        s.pause(spikes).unwrap();
        run_steps(s, 5);
        s.resume(spikes).unwrap();
        run_steps(s, 11);
    });
    compare_monitor("period 3, paused and resumed", &cpu, &gpu, every3, &["r"]);
    compare_monitor("period 2, started late", &cpu, &gpu, later, &["r"]);
    compare_monitor(
        "spikes and v, period 4",
        &cpu,
        &gpu,
        spikes,
        &["spike", "v"],
    );
    // Worked out by hand: 0-9 and 12 (paused at 15), then from the resume
    // at step 19, every 3 steps to step 44.
    assert_eq!(
        gpu.sample_steps(every3).unwrap(),
        vec![0, 3, 6, 9, 12, 19, 22, 25, 28, 31, 34, 37, 40, 43],
    );
}

fn split_simulate_equals_one_call() {
    let (mut net, grid, spk) = mixed_network();
    let poisson = add_poisson(&mut net, "poisson", 25, 50.0, 300.0);
    net.projection(poisson, spk, "exc")
        .delays(1.0)
        .connect_fixed_number_pre(3, Weights::constant(0.3))
        .unwrap();
    let monitors = vec![
        monitor_all(&mut net, grid),
        monitor_all(&mut net, spk),
        monitor_all(&mut net, poisson),
    ];
    let (mut cpu, mut whole) = engines(&net);
    let mut split = gpu_sim(&net, None);
    both(&mut cpu, &mut whole, |s| s.simulate(50.0).unwrap());
    // 30 + 175 + 0 + 4 + 10 + 281 = 500 steps.
    split.simulate(3.0).unwrap();
    split.simulate(17.5).unwrap();
    split.simulate(0.0).unwrap();
    for _ in 0..4 {
        split.step().unwrap();
    }
    let ran = split.simulate_until(1.0, |_| false).unwrap();
    assert_eq!(ran, 1.0);
    split.simulate(28.1).unwrap();
    assert_eq!(split.current_step(), 500);
    compare_all("one call, GPU vs CPU", &cpu, &whole, &monitors);
    compare_all(
        "split calls ('cpu') vs one call ('gpu'), both on the GPU",
        &split,
        &whole,
        &monitors,
    );
    // simulate_until with a condition on the state stops at the same step.
    let stop = |s: &Simulation| s.get_neuron(spk, 0, "v").unwrap() > 0.9;
    let ran_cpu = cpu.simulate_until(20.0, stop).unwrap();
    let ran_gpu = whole.simulate_until(20.0, stop).unwrap();
    assert_eq!(
        ran_cpu, ran_gpu,
        "simulate_until stopped after {ran_cpu} ms on the cpu"
    );
    assert_eq!(cpu.current_step(), whole.current_step());
}

// ========================================== 10. long recordings with a period

fn long_recording_with_a_period() {
    let lif = Neuron::spiking()
        .name("noisy LIF")
        .parameters("tau = 10.0 : population\nI = 1.0")
        .equations("tau * dv/dt = -v + I + 0.3 * Normal(0.0, 1.0)")
        .spike("v > 1.0")
        .reset("v = 0.0")
        .refractory(2.0);
    let mut net = Network::new().dt(0.1).seed(71);
    let spk = net.population("lif", 200, &lif).unwrap();
    net.set(spk, "I", spread(200, 0.8, 1.4)).unwrap();
    let src = add_wave(&mut net, "wave", 150);
    let mv = net.monitor_with(spk, &["v"], 0.3, true).unwrap();
    let ms = net.monitor(spk, &["spike"]).unwrap();
    let mr = net.monitor_with(src, &["r", "x"], 0.3, true).unwrap();
    let m7 = net.monitor_with(src, &["r"], 0.7, true).unwrap();
    let (mut cpu, mut gpu) = engines(&net);
    both(&mut cpu, &mut gpu, |s| run_steps(s, 5000));
    assert_eq!(gpu.sample_steps(mv).unwrap().len(), 1667);
    compare_monitor("v every 3 steps", &cpu, &gpu, mv, &["v"]);
    compare_monitor("spikes every step", &cpu, &gpu, ms, &["spike"]);
    compare_monitor("r, x every 3 steps", &cpu, &gpu, mr, &["r", "x"]);
    compare_monitor("r every 7 steps", &cpu, &gpu, m7, &["r"]);
}

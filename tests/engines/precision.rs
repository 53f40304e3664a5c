//! Double precision (`Network::dtype(Dtype::F64)`, ANNarchy's
//! `precision="double"`): numbers f32 cannot hold are kept (and refused,
//! with a pointer to f64, in f32); an ODE follows its analytic solution
//! to f64 rounding; random draws use the f32 network's Philox words;
//! spiking, plastic and rate-coded networks run, save and load in f64 on
//! the CPU engine, on threads as ranks too (the exchanges carry f64
//! values whole); structural plasticity evaluates its rules in f64; a
//! precision set too late is refused. tests/gpu/precision64.rs runs f64
//! networks on the GPU engine against these.

use crate::common::tests;
use cajal::models::synapses::{oja, stdp};
use cajal::prelude::*;
use cajal::real::Dtype;

tests! {
    cpu: [
        numbers_beyond_f32_are_kept_in_f64_and_refused_in_f32,
        exponential_decay_follows_the_analytic_solution_in_f64,
        a_neuron_driven_by_a_current_fires_at_the_analytic_times,
        random_draws_of_f64_are_the_f32_draws_more_finely,
        plastic_and_rate_coded_networks_run_in_f64,
        states_of_f64_networks_save_and_load_exactly,
        monitors_record_and_stream_every_digit,
        f64_on_threads_as_ranks_is_one_engine_bit_for_bit,
        structural_rules_run_in_f64,
        a_late_precision_is_refused_clearly,
    ],
}

/// An empty directory of its own for this process.
fn scratch(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("cajal-precision-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn err<T>(r: cajal::Result<T>) -> String {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

/// The issue's examples of silent f32 overflow: each works in f64, and
/// each is an error naming the number and suggesting f64 in f32.
fn numbers_beyond_f32_are_kept_in_f64_and_refused_in_f32() {
    let neuron = Neuron::rate()
        .parameters("big = 1e39\n tiny = 1e-46 : population")
        .equations("r = big * 2 + tiny * 0");
    let build = |dtype: Dtype| -> cajal::Result<_> {
        let mut net = Network::new().dtype(dtype);
        if dtype == Dtype::F64 {
            net.constant("c", 1e-300)?;
        }
        let p = net.population("p", 3, &neuron)?;
        let q = net.population("q", 3, &Neuron::rate().equations("r = sum(exc)"))?;
        let proj = net
            .projection(p, q, "exc")
            .connect_all_to_all(Weights::random(Dist::uniform(0.0, 1e39)))?;
        Ok((net, p, q, proj))
    };
    let (net, p, q, proj) = build(Dtype::F64).unwrap();
    assert_eq!(net.precision(), Dtype::F64);
    assert_eq!(net.get_f64(p, "big").unwrap()[[0]], 1e39);
    assert_eq!(net.get_constant("c").unwrap(), 1e-300);
    let mut sim = net.compile(Backend::Cpu).unwrap();
    assert_eq!(sim.get_f64(p, "tiny").unwrap()[[]], 1e-46);
    let (_, _, w) = sim.synapses_f64(proj, "w").unwrap();
    assert!(w.iter().all(|x| x.is_finite() && (0.0..1e39).contains(x)));
    assert!(w.iter().any(|&x| x > 3.5e38), "draws beyond f32's range");
    sim.simulate(2.0).unwrap();
    assert_eq!(sim.get_f64(p, "r").unwrap()[[1]], 2e39);
    // r of q: the sum of w * 2e39 over three synapses, finite in f64.
    let r = sim.get_f64(q, "r").unwrap();
    let want: Vec<f64> = (0..3)
        .map(|i| (0..3).map(|j| w[3 * i + j] * 2e39).sum())
        .collect();
    for i in 0..3 {
        assert!(
            (r[[i]] - want[i]).abs() <= 1e-15 * want[i],
            "{} {}",
            r[[i]],
            want[i]
        );
    }
    // In f32 each is refused where it is written, and the error says f64.
    let e = err(build(Dtype::F32));
    assert!(e.contains("1e39") && e.contains("Dtype::F64"), "{e}");
    let mut net = Network::new();
    let e = err(net.constant("c", 1e-300));
    assert!(e.contains("Dtype::F64"), "{e}");
    let p = net
        .population("p", 2, &Neuron::rate().equations("r = 1.0"))
        .unwrap();
    let q = net
        .population("q", 2, &Neuron::rate().equations("r = sum(exc)"))
        .unwrap();
    let e = err(net
        .projection(p, q, "exc")
        .connect_all_to_all(Weights::random(Dist::uniform(0.0, 1e39))));
    assert!(
        e.contains("does not fit single precision") && e.contains("Dtype::F64"),
        "{e}"
    );
    let e = err(net.set(p, "r", 1e-300));
    assert!(e.contains("Dtype::F64"), "{e}");
}

/// `tau dr/dt = -r` by the exponential method: r(t) = exp(-t / tau). In
/// f64 a thousand steps stay within 1e-13 of the exact value (each step
/// rounds once or twice); in f32 the same run is 1e-6 off.
fn exponential_decay_follows_the_analytic_solution_in_f64() {
    let run = |dtype: Dtype| -> Vec<f64> {
        let mut net = Network::new().dt(0.1).dtype(dtype);
        let p = net
            .population(
                "p",
                1,
                &Neuron::rate()
                    .parameters("tau = 7.0")
                    .equations("tau * dr/dt = -r : init = 1.0, exponential"),
            )
            .unwrap();
        let m = net.monitor(p, &["r"]).unwrap();
        let mut sim = net.compile(Backend::Cpu).unwrap();
        sim.simulate(100.0).unwrap();
        sim.recorded_f64(m, "r").unwrap().column(0).to_vec()
    };
    let exact = |k: usize| (-(k as f64 + 1.0) * 0.1 / 7.0).exp();
    let worst = |r: &[f64]| {
        r.iter()
            .enumerate()
            .map(|(k, x)| ((x - exact(k)) / exact(k)).abs())
            .fold(0.0, f64::max)
    };
    let (r64, r32) = (run(Dtype::F64), run(Dtype::F32));
    assert_eq!(r64.len(), 1000);
    let (e64, e32) = (worst(&r64), worst(&r32));
    assert!(e64 < 1e-13, "f64 relative error {e64}");
    assert!(
        e32 > 1e-7,
        "f32 relative error {e32} (the test must tell them apart)"
    );
}

/// A leaky integrator driven by a constant current, v' = (I - v) / tau,
/// reset to 0 at 1 (no refractory time): by explicit Euler with dt, v
/// after k steps from 0 is I (1 - (1 - dt/tau)^k), so the first spike
/// comes at the first k where that reaches 1, and every later one k
/// steps after the previous. The f64 network's spike steps are the ones
/// this formula gives in f64.
fn a_neuron_driven_by_a_current_fires_at_the_analytic_times() {
    let (dt, tau, current) = (0.1, 10.0, 1.5);
    let mut net = Network::new().dt(dt).dtype(Dtype::F64);
    let p = net
        .population(
            "p",
            1,
            &Neuron::spiking()
                .parameters(&format!("tau = {tau}\n I = {current}"))
                .equations("tau * dv/dt = I - v : init = 0.0")
                .spike("v >= 1.0")
                .reset("v = 0.0"),
        )
        .unwrap();
    let m = net.monitor(p, &["spike"]).unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    sim.simulate(200.0).unwrap();
    let steps: Vec<u64> = sim.spikes(m).unwrap().iter().map(|s| s.0).collect();
    // The same Euler update, one step at a time in f64 in the test.
    let (mut v, mut want) = (0.0f64, Vec::new());
    for k in 0..2000u64 {
        v += dt * ((current - v) / tau);
        if v >= 1.0 {
            want.push(k);
            v = 0.0;
        }
    }
    assert!(want.len() > 10);
    assert_eq!(steps, want);
    // The closed form: ln(1 - 1/I) / ln(1 - dt/tau) steps to the first.
    let k = ((1.0 - 1.0 / current).ln() / (1.0 - dt / tau).ln()).ceil() as u64;
    assert_eq!(want[0] + 1, k);
}

/// Random draws in f64 come from the same Philox words as in f32: the
/// same numbers, with 32 bits of the word instead of 24.
fn random_draws_of_f64_are_the_f32_draws_more_finely() {
    let run = |dtype: Dtype| -> (Vec<f64>, Vec<f64>) {
        let mut net = Network::new().dtype(dtype).seed(11);
        let p = net
            .population(
                "p",
                300,
                &Neuron::rate().equations("u = Uniform(-1.0, 3.0)\n r = Normal(2.0, 0.5)"),
            )
            .unwrap();
        let mut sim = net.compile(Backend::Cpu).unwrap();
        sim.simulate(3.0).unwrap();
        let get = |v: &str| sim.get_f64(p, v).unwrap().iter().copied().collect();
        (get("u"), get("r"))
    };
    let ((u64_, r64), (u32_, r32)) = (run(Dtype::F64), run(Dtype::F32));
    for i in 0..300 {
        assert!(
            (u64_[i] - u32_[i]).abs() < 1e-6,
            "uniform {i}: {} {}",
            u64_[i],
            u32_[i]
        );
        assert!(
            (r64[i] - r32[i]).abs() < 1e-5,
            "normal {i}: {} {}",
            r64[i],
            r32[i]
        );
        assert!((-1.0..3.0).contains(&u64_[i]));
    }
    // Finer: f64 uniform values are not all f32 values.
    assert!(u64_.iter().any(|&x| f64::from(x as f32) != x));
    let mean = r64.iter().sum::<f64>() / 300.0;
    assert!((mean - 2.0).abs() < 0.1, "{mean}");
}

/// STDP (events interpreted in f64) and Oja's rule (a rate-coded
/// learning rule) run in f64, and agree with the f32 network to the
/// rounding f32 accumulates.
fn plastic_and_rate_coded_networks_run_in_f64() {
    let spiking = |dtype: Dtype| -> (Vec<(u64, u32)>, Vec<f64>) {
        let mut net = Network::new().dtype(dtype).seed(5);
        let inp = net.poisson_population("in", 50, 40.0, None).unwrap();
        let out = net
            .population("out", 5, &cajal::models::if_curr_exp())
            .unwrap();
        let proj = net
            .projection(inp, out, "exc")
            .synapse(&stdp(20.0, 20.0, 0.01, 0.0105, 0.0, 1.0))
            .delays(Delays::constant(2.0))
            .connect_all_to_all(Weights::random(Dist::uniform(0.3, 0.6)))
            .unwrap();
        let m = net.monitor(out, &["spike"]).unwrap();
        let mut sim = net.compile(Backend::Cpu).unwrap();
        sim.simulate(500.0).unwrap();
        (
            sim.spikes(m).unwrap(),
            sim.synapses_f64(proj, "w").unwrap().2,
        )
    };
    let ((s64, w64), (s32, w32)) = (spiking(Dtype::F64), spiking(Dtype::F32));
    assert!(s64.len() > 50, "{} spikes", s64.len());
    // The inputs are the same spike trains; the outputs may part by a
    // spike where f32 rounds a threshold crossing the other way.
    let diff = (s64.len() as f64 - s32.len() as f64).abs() / s32.len() as f64;
    assert!(diff < 0.05, "{} and {} spikes", s64.len(), s32.len());
    let dw: f64 = w64
        .iter()
        .zip(&w32)
        .map(|(a, b)| (a - b).abs())
        .sum::<f64>()
        / w64.len() as f64;
    assert!(
        w64.iter().zip(&w32).any(|(a, b)| a != b),
        "f64 weights are not f32's"
    );
    assert!(dw < 0.05, "mean weight difference {dw}");

    let rate = |dtype: Dtype| -> Vec<f64> {
        let mut net = Network::new().dtype(dtype).seed(2);
        let p = net
            .population("p", 8, &Neuron::rate().equations("r = Uniform(0.0, 1.0)"))
            .unwrap();
        let q = net
            .population("q", 3, &Neuron::rate().equations("r = sum(exc)"))
            .unwrap();
        let proj = net
            .projection(p, q, "exc")
            .synapse(&oja(0.01, 1.0))
            .connect_all_to_all(Weights::random(Dist::uniform(0.0, 0.3)))
            .unwrap();
        let mut sim = net.compile(Backend::Cpu).unwrap();
        sim.simulate(300.0).unwrap();
        sim.synapses_f64(proj, "w").unwrap().2
    };
    let (o64, o32) = (rate(Dtype::F64), rate(Dtype::F32));
    let worst = o64
        .iter()
        .zip(&o32)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(
        worst > 0.0 && worst < 1e-4,
        "Oja's weights differ by {worst}"
    );
}

fn izhikevich_network(dtype: Dtype) -> (Network, PopId, ProjId) {
    let mut net = Network::new().dtype(dtype).seed(9);
    let p = net
        .population("p", 40, &cajal::models::izhikevich())
        .unwrap();
    net.set(p, "i_offset", Dist::uniform(5.0, 15.0)).unwrap();
    let proj = net
        .projection(p, p, "exc")
        .delays(Delays::constant(3.0))
        .connect_fixed_probability(0.2, Weights::constant(0.5))
        .unwrap();
    (net, p, proj)
}

/// An f64 state file holds f64 values: a network loads it whole (the same
/// bits, and the same run after), and an f32 network of the same shape
/// refuses it.
fn states_of_f64_networks_save_and_load_exactly() {
    let path = scratch("state").join("state.cajal");
    let (net, p, proj) = izhikevich_network(Dtype::F64);
    let mut a = net.compile(Backend::Cpu).unwrap();
    a.simulate(50.0).unwrap();
    a.set_synapses(proj, "w", &[0.25f64 + 1e-12]).unwrap();
    a.save(&path).unwrap();
    let (net, q, proj_b) = izhikevich_network(Dtype::F64);
    let mut b = net.compile(Backend::Cpu).unwrap();
    b.load(&path).unwrap();
    let bits = |s: &Simulation, p: PopId, v: &str| -> Vec<u64> {
        s.get_f64(p, v)
            .unwrap()
            .iter()
            .map(|x| x.to_bits())
            .collect()
    };
    assert_eq!(bits(&a, p, "v"), bits(&b, q, "v"));
    assert_eq!(b.synapses_f64(proj_b, "w").unwrap().2[0], 0.25 + 1e-12);
    a.simulate(50.0).unwrap();
    b.simulate(50.0).unwrap();
    assert_eq!(bits(&a, p, "v"), bits(&b, q, "v"));
    assert_eq!(bits(&a, p, "u"), bits(&b, q, "u"));
    let (net, _, _) = izhikevich_network(Dtype::F32);
    let mut c = net.compile(Backend::Cpu).unwrap();
    let e = err(c.load(&path));
    assert!(
        e.contains("different network") && e.contains("dtype float64"),
        "{e}"
    );
}

/// A monitor of an f64 network records f64 values, in memory and to its
/// files (numpy's `<f8`).
fn monitors_record_and_stream_every_digit() {
    let neuron = Neuron::rate().equations("r = 1e-300 * t + 1.0 / 3.0");
    let mut net = Network::new().dtype(Dtype::F64);
    let p = net.population("p", 2, &neuron).unwrap();
    let m = net.monitor(p, &["r"]).unwrap();
    let s = net.monitor(p, &["r"]).unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    let dir = scratch("stream");
    sim.stream_to(s, &dir).unwrap();
    sim.simulate(3.0).unwrap();
    sim.stop_streaming(s).unwrap();
    let r = sim.recorded_f64(m, "r").unwrap();
    assert_eq!(r[[2, 1]], 1e-300 * 2.0 + 1.0 / 3.0);
    assert_eq!(r[[0, 0]], 1.0 / 3.0);
    let file: ndarray::Array2<f64> = ndarray_npy::read_npy(dir.join("var_r.npy")).unwrap();
    assert_eq!(file, r);
    let back = cajal::io::read_recording_f64(&dir).unwrap();
    assert_eq!(back.var("r").unwrap(), &r);
    // The f32 readers round.
    assert_eq!(sim.recorded(m, "r").unwrap()[[0, 0]], 1.0f32 / 3.0);
}

/// A rate-coded network whose projections read values across ranks
/// (exchanged every step, in f64) and a delayed one, with a learning
/// rule: on two threads as ranks, what one engine computes, bit for bit.
fn f64_on_threads_as_ranks_is_one_engine_bit_for_bit() {
    let (net, a, q, m) = crate::thread_ranks::rate_network(Dtype::F64);
    let bits = |v: &[f64]| -> Vec<u64> { v.iter().map(|x| x.to_bits()).collect() };
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                let mut sim = net.compile(Backend::Cpu).unwrap();
                sim.simulate(25.0).unwrap();
                (
                    bits(sim.recorded_f64(m, "r").unwrap().as_slice().unwrap()),
                    bits(sim.get_f64(a, "r").unwrap().as_slice().unwrap()),
                    bits(&sim.synapses_f64(q, "w").unwrap().2),
                    sim.thread_ranks(),
                )
            })
    };
    let (one, two) = (run(1), run(2));
    if std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2) {
        assert_eq!(two.3, 2, "two ranks");
    }
    assert_eq!(one.3, 1);
    assert!(one.1.iter().any(|&r| f64::from_bits(r) > 0.0));
    assert_eq!(one.0, two.0, "r recorded");
    assert_eq!(one.1, two.1, "r of a");
    assert_eq!(one.2, two.2, "w");
}

/// A pruning rule on a per-synapse `age` and a creating rule, evaluated
/// in f64: the synapses the rules keep are those the same rules keep in
/// f32 here (the values are far from the thresholds), and the weights of
/// the created synapses are the rule's `w` exactly (0.1 is not an f32).
fn structural_rules_run_in_f64() {
    let leaky = Neuron::rate()
        .parameters("tau = 10.0 : population\nbaseline = 0.0")
        .equations("tau * dr/dt + r = baseline + sum(exc) : min=0.0");
    let syn = Synapse::new()
        .parameters("T = 12 : int, projection")
        .equations("age = if pre.r * post.r > 0.25 : 0 else : age + 1 : init = 0, int")
        .pruning("age > T")
        .creating("pre.r * post.r > 0.25 : w = 0.1");
    let run = |dtype: Dtype| {
        let mut net = Network::new().dtype(dtype);
        let pop = net.population("pop", 8, &leaky).unwrap();
        let p = net
            .projection(pop, pop, "exc")
            .synapse(&syn)
            .connect_one_to_one(Weights::constant(0.01))
            .unwrap();
        let mut sim = net.compile(Backend::Cpu).unwrap();
        sim.start_creating(p, Some(5.0)).unwrap();
        sim.start_pruning(p, Some(10.0)).unwrap();
        let first: Vec<f64> = (0..8).map(|i| if i < 4 { 1.0 } else { 0.0 }).collect();
        sim.set(pop, "baseline", first).unwrap();
        sim.simulate(60.0).unwrap();
        sim.synapses_f64(p, "w").unwrap()
    };
    let (a, b) = (run(Dtype::F64), run(Dtype::F32));
    assert_eq!((&a.0, &a.1), (&b.0, &b.1), "the same synapses");
    assert!(a.0.len() > 8, "synapses were created");
    assert!(a.2.contains(&0.1), "a created weight is 0.1 exactly");
    assert!(b.2.iter().all(|&w| w != 0.1), "in f32 it is 0.1 rounded");
}

/// A precision changed after populations were added is refused.
fn a_late_precision_is_refused_clearly() {
    let mut late = Network::new();
    late.population("p", 2, &Neuron::rate().equations("r = 1.0"))
        .unwrap();
    let late = late.dtype(Dtype::F64);
    let e = err(late.compile(Backend::Cpu));
    assert!(e.contains("Network::dtype first"), "{e}");
}

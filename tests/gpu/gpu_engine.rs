//! The GPU engine's own behaviour: adapter choice and errors, Auto's
//! fallback, buffers over the adapter's limits, the Philox streams of both
//! engines. The `[gpu]` tests are ignored without an adapter (failed under
//! `CAJAL_REQUIRE_GPU=1`).

use crate::common::{compile_ordered, gpu_trial, skip, tests};
use cajal::prelude::*;

tests! {
    cpu: [
        an_unknown_adapter_name_is_an_error_listing_the_adapters,
        the_exp_twin_is_accurate,
        the_ln_sin_and_cos_twins_are_accurate,
        the_tanh_twin_is_accurate,
    ],
    gpu: [
        devices_are_listed_best_first,
        a_buffer_over_the_adapters_limit_is_an_error_naming_it,
        both_engines_draw_the_same_random_numbers,
        exp_and_arithmetic_are_bit_identical_on_both_engines,
        functions_over_their_whole_range_on_both_engines,
        monitors_of_parameters_long_periods_and_simulate_until_agree,
        many_spikes_over_many_chunks_are_recorded_in_order,
        a_thread_walking_past_lavapipes_loop_limit_is_refused_there,
        an_ordered_procedural_delivery_past_lavapipes_loop_limit_is_split_there,
    ],
    both: [
        auto_takes_the_gpu_and_falls_back_to_the_cpu,
        a_synapse_reading_a_population_wide_parameter_is_refused_by_both_engines,
    ],
}

fn an_unknown_adapter_name_is_an_error_listing_the_adapters() {
    let (net, _) = cajal::networks::lif(10, 1).unwrap();
    let opts = GpuOptions {
        adapter: Some("no adapter is called this".into()),
        ..Default::default()
    };
    let e = net.compile_gpu(&opts).err().expect("no such adapter");
    assert!(matches!(e, Error::NoAdapter { .. }), "{e}");
    assert!(e.to_string().contains("no adapter is called this"), "{e}");
}

fn devices_are_listed_best_first() {
    let d = cajal::devices();
    let rank = |t: &str| match t {
        "discrete GPU" => 0,
        "integrated GPU" => 1,
        "virtual GPU" => 2,
        "CPU (software)" => 3,
        _ => 4,
    };
    for w in d.windows(2) {
        assert!(rank(&w[0].device_type) <= rank(&w[1].device_type), "{d:?}");
    }
    for x in &d {
        assert!(!x.name.is_empty() && !x.backend.is_empty(), "{x:?}");
        assert!(x.max_storage_binding > 0 && x.max_buffer > 0, "{x:?}");
    }
    let (net, _) = cajal::networks::lif(10, 1).unwrap();
    let sim = net.compile(Backend::Gpu).unwrap();
    assert_eq!(sim.backend(), Backend::Gpu);
    assert_eq!(sim.device().unwrap().name, d[0].name);
}

/// A network only the CPU engine can run: `pre_spike` reads the
/// conductance it adds to.
fn cpu_only() -> Network {
    let n = Neuron::spiking()
        .parameters("I = 2.0")
        .equations("dv/dt = -v + I + g_exc")
        .spike("v > 1.0")
        .reset("v = 0.0");
    let mut net = Network::new();
    let p = net.population("p", 5, &n).unwrap();
    net.projection(p, p, "exc")
        .synapse(&Synapse::new().pre_spike("g_target += w * (1.0 - post.g_exc)"))
        .connect_all_to_all(Weights::constant(0.1))
        .unwrap();
    net
}

fn auto_takes_the_gpu_and_falls_back_to_the_cpu() {
    let net = cpu_only();
    // Whatever the machine, Auto runs it: on the CPU engine.
    let mut sim = net.compile(Backend::Auto).unwrap();
    assert_eq!(sim.backend(), Backend::Cpu);
    sim.simulate(1.0).unwrap();
    if !gpu_trial() {
        return;
    }
    let e = net.compile(Backend::Gpu).err().expect("GPU refuses it");
    assert!(
        matches!(e, Error::Unsupported { .. }) && e.to_string().contains("post.g_exc"),
        "{e}"
    );
    // With a hardware adapter Auto takes it; with only a software one
    // (lavapipe) the CPU engine, which is faster on the same cores.
    let (lif, _) = cajal::networks::lif(10, 1).unwrap();
    let software = cajal::devices()[0].device_type == "CPU (software)";
    let named = std::env::var("CAJAL_ADAPTER").is_ok_and(|s| !s.is_empty());
    let expected = if software && !named {
        Backend::Cpu
    } else {
        Backend::Gpu
    };
    assert_eq!(lif.compile(Backend::Auto).unwrap().backend(), expected);
}

fn a_buffer_over_the_adapters_limit_is_an_error_naming_it() {
    let limit = cajal::devices()[0].max_storage_binding;
    if limit > 1 << 30 {
        skip(format!(
            "the adapter's binding limit ({limit} bytes) is too large to exceed in a test"
        ));
    }
    // A state buffer of 4 slots x n neurons x 4 bytes just over the limit.
    let n = (limit / 16 + 1024) as usize;
    let model = Neuron::rate()
        .parameters("a = 1.0\nb = 2.0")
        .equations("r = a + b\nx = r");
    let mut net = Network::new();
    net.population("huge", n, &model).unwrap();
    let e = net.compile(Backend::Gpu).err().expect("too large");
    let msg = e.to_string();
    assert!(matches!(e, Error::Limit { .. }), "{msg}");
    assert!(
        msg.contains("population 'huge': state") && msg.contains(&limit.to_string()),
        "{msg}"
    );
}

fn both_engines_draw_the_same_random_numbers() {
    // Uniform draws are bit-exact on both engines (integer Philox, exact
    // conversions): the values must be identical, not just close.
    let model = Neuron::rate()
        .parameters("lo = -2.0\nhi = 3.0")
        .equations("r = Uniform(lo, hi)\nx = Uniform(0.0, 1.0)");
    let mut net = Network::new().seed(1234);
    let p = net.population("p", 1000, &model).unwrap();
    let m = net.monitor(p, &["r", "x"]).unwrap();
    let mut cpu = net.compile(Backend::Cpu).unwrap();
    let mut gpu = net.compile(Backend::Gpu).unwrap();
    cpu.simulate(5.0).unwrap();
    gpu.simulate(5.0).unwrap();
    for v in ["r", "x"] {
        assert_eq!(
            cpu.recorded(m, v).unwrap(),
            gpu.recorded(m, v).unwrap(),
            "{v}"
        );
    }
    // And they are uniform: the mean of 50k draws of U(0, 1) is 0.5 +- 4 sigma.
    let x = gpu.recorded(m, "x").unwrap();
    let mean = x.mean().unwrap() as f64;
    let sigma = (1.0 / 12.0 / x.len() as f64).sqrt();
    assert!((mean - 0.5).abs() < 4.0 * sigma, "mean {mean}");
}

fn the_exp_twin_is_accurate() {
    // Within 2 ulps of the exact value over the whole normal range.
    let mut worst = 0u32;
    let mut x = -87.0f32;
    while x < 88.7 {
        let got = cajal::lang::ir::exp(x);
        let want = (x as f64).exp() as f32;
        let ulps = (got.to_bits() as i64 - want.to_bits() as i64).unsigned_abs() as u32;
        worst = worst.max(ulps);
        x += 0.001_37;
    }
    assert!(worst <= 2, "worst {worst} ulps");
    assert_eq!(cajal::lang::ir::exp(0.0), 1.0);
    assert_eq!(cajal::lang::ir::exp(100.0), f32::INFINITY);
    assert_eq!(cajal::lang::ir::exp(-200.0), 0.0);
    assert!(cajal::lang::ir::exp(f32::NAN).is_nan());
}

fn the_tanh_twin_is_accurate() {
    use cajal::lang::ir::tanh;
    // Within 2 ulps of the exact value from the smallest normal to where
    // it rounds to 1, both signs; odd; -0 kept; +-1 and NaN at the ends.
    // (A GPU's own tanh, which the twin replaces, was 0 at tiny arguments
    // on lavapipe.)
    let mut worst = (0u32, 0f32);
    let mut x = f32::MIN_POSITIVE;
    while x < 12.0 {
        for x in [x, -x] {
            let want = (x as f64).tanh() as f32;
            let ulps = tanh(x).to_bits().abs_diff(want.to_bits());
            if ulps > worst.0 {
                worst = (ulps, x);
            }
            assert_eq!(tanh(-x).to_bits(), (-tanh(x)).to_bits(), "odd at {x:e}");
        }
        x = (x * 1.000_13).max(f32::from_bits(x.to_bits() + 1));
    }
    eprintln!("tanh twin: worst {} ulps at {:e}", worst.0, worst.1);
    assert!(worst.0 <= 2, "worst {} ulps at {:e}", worst.0, worst.1);
    assert_eq!(tanh(0.0).to_bits(), 0.0f32.to_bits());
    assert_eq!(tanh(-0.0).to_bits(), (-0.0f32).to_bits());
    for (x, want) in [(20.0f32, 1.0f32), (44.0, 1.0), (45.0, 1.0), (f32::MAX, 1.0)] {
        assert_eq!(tanh(x), want);
        assert_eq!(tanh(-x), -want);
    }
    assert_eq!(tanh(f32::INFINITY), 1.0);
    assert_eq!(tanh(f32::NEG_INFINITY), -1.0);
    assert!(tanh(f32::NAN).is_nan());
}

fn the_ln_sin_and_cos_twins_are_accurate() {
    use cajal::lang::ir::{cos, ln, sin};
    // ln: within an ulp of the exact value over the normal range.
    let mut worst = 0u32;
    let mut x = f32::MIN_POSITIVE;
    while x < f32::MAX / 1.001 {
        let want = (x as f64).ln() as f32;
        worst = worst.max(ln(x).to_bits().abs_diff(want.to_bits()));
        x *= 1.000_37;
    }
    assert!(worst <= 1, "ln: worst {worst} ulps");
    assert_eq!(ln(1.0), 0.0);
    assert_eq!(ln(0.0), f32::NEG_INFINITY);
    assert!(ln(-1.0).is_nan());
    // sin and cos: within 2^-23 of the exact value (absolute: near a zero
    // the reduced argument carries pi's rounding) and 2 ulps away from
    // zeros, for |x| <= 8192; libm's beyond.
    let (mut worst_abs, mut worst_ulps) = (0f64, 0u32);
    let mut x = -8192.0f32;
    while x <= 8192.0 {
        for (got, want) in [(sin(x), (x as f64).sin()), (cos(x), (x as f64).cos())] {
            let err = (got as f64 - want).abs();
            worst_abs = worst_abs.max(err);
            if want.abs() > 0.5 {
                worst_ulps = worst_ulps.max(got.to_bits().abs_diff((want as f32).to_bits()));
            }
        }
        x += 0.000_731;
    }
    eprintln!(
        "sin/cos twins: worst absolute error {worst_abs:e}, {worst_ulps} ulps away from zeros"
    );
    assert!(
        worst_abs <= 2f64.powi(-23),
        "worst absolute error {worst_abs:e}"
    );
    assert!(worst_ulps <= 2, "worst {worst_ulps} ulps");
    // Beyond, Payne and Hanek's reduction: the same bounds up to the
    // largest float.
    let (mut worst_abs, mut worst_ulps) = (0f64, 0u32);
    let mut x = 8192.0f32;
    while x < f32::MAX / 1.0004 {
        for x in [x, -x] {
            for (got, want) in [(sin(x), (x as f64).sin()), (cos(x), (x as f64).cos())] {
                worst_abs = worst_abs.max((got as f64 - want).abs());
                if want.abs() > 0.5 {
                    worst_ulps = worst_ulps.max(got.to_bits().abs_diff((want as f32).to_bits()));
                }
            }
        }
        x *= 1.000_3;
    }
    eprintln!("sin/cos twins past 8192: worst absolute error {worst_abs:e}, {worst_ulps} ulps away from zeros");
    assert!(
        worst_abs <= 2f64.powi(-23),
        "past 8192: worst absolute error {worst_abs:e}"
    );
    assert!(worst_ulps <= 2, "past 8192: worst {worst_ulps} ulps");
    assert_eq!(sin(0.0), 0.0);
    assert_eq!(cos(0.0), 1.0);
    assert!(sin(f32::NAN).is_nan() && cos(f32::INFINITY).is_nan());
}

fn exp_and_arithmetic_are_bit_identical_on_both_engines() {
    // exp is a twin (no GPU exp), and every +,-,*,/ is kept from being
    // reassociated or fused: the same bits on both engines.
    let model = Neuron::rate()
        .parameters("x = 0.0\ny = 1.0")
        .equations("r = exp(x)\nz = 0.04 * x * x + 5.0 * x + 140.0 - y + x / y\nq = (1.0 - exp(0.01 * x)) * (x - 3.0)");
    let n = 20000;
    let xs: Vec<f32> = (0..n)
        .map(|i| -87.0 + 175.0 * i as f32 / n as f32)
        .collect();
    let ys: Vec<f32> = (0..n).map(|i| 0.5 + (i % 97) as f32 * 0.37).collect();
    let mut net = Network::new();
    let p = net.population("p", n, &model).unwrap();
    net.set(p, "x", xs).unwrap();
    net.set(p, "y", ys).unwrap();
    let mut cpu = net.compile(Backend::Cpu).unwrap();
    let mut gpu = net.compile(Backend::Gpu).unwrap();
    cpu.step().unwrap();
    gpu.step().unwrap();
    for v in ["r", "z", "q"] {
        let (c, g) = (cpu.get(p, v).unwrap(), gpu.get(p, v).unwrap());
        let differ = c
            .iter()
            .zip(g.iter())
            .filter(|(a, b)| a.to_bits() != b.to_bits())
            .count();
        assert_eq!(differ, 0, "{v}: {differ} values differ");
    }
}

fn functions_over_their_whole_range_on_both_engines() {
    // Every function and operator of the equations over arguments from
    // 1e-38 to 1e38 of both signs: the same bits on both engines where
    // cajal computes them itself (arithmetic, division, exp, log, sin,
    // cos at any argument, tanh, modulo, round...), except where an argument or a result is
    // subnormal (a GPU may flush those to zero); the adapter's own (sqrt,
    // fractional powers...) within a few ulps.
    let twins = [
        ("add", "x + y"),
        ("mul", "x * y"),
        ("div", "x / y"),
        ("exp", "exp(x)"),
        ("exp_small", "exp(x / 1e36)"),
        ("log", "log(x)"),
        ("sin", "sin(x)"),
        ("cos", "cos(x)"),
        ("modulo", "modulo(x, y)"),
        ("rem", "x % y"),
        ("round", "round(x)"),
        ("cube", "pow(x, 3.0)"),
        ("pow4", "pow(x / 1e9, 4.0)"),
        ("pow7", "(x / 1e5)^7"),
        ("sign", "sign(x) * abs(y)"),
        ("tanh", "tanh(x)"),
        ("tanh_small", "tanh(x / 1e36)"),
    ];
    let own = [("sqrt", "sqrt(x)"), ("pow", "pow(abs(x), 0.37)")];
    let eqs: Vec<String> = twins
        .iter()
        .chain(&own)
        .map(|(v, e)| format!("f_{v} = {e}"))
        .collect();
    let model = Neuron::rate()
        .parameters("x = 0.0\ny = 1.0")
        .equations(&(eqs.join("\n") + "\nr = x"));
    // SplitMix64 inputs: a random decade, mantissa and sign.
    let mut z = 7u64;
    let mut next = || {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut v = z;
        v = (v ^ (v >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        v = (v ^ (v >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        v ^ (v >> 31)
    };
    let mut wide = || {
        let r = next();
        let m = 1.0 + (r >> 40) as f64 / (1u64 << 24) as f64 * 9.0;
        let e = (r % 77) as i32 - 38;
        let s = if r & (1 << 20) != 0 { -1.0 } else { 1.0 };
        (s * m * 10f64.powi(e)) as f32
    };
    let n = 30_000;
    let mut xs: Vec<f32> = (0..n).map(|_| wide()).collect();
    let ys: Vec<f32> = (0..n).map(|_| wide()).collect();
    // Model-sized arguments too.
    for (i, x) in xs.iter_mut().enumerate().take(n / 3) {
        *x = -200.0 + 400.0 * i as f32 / (n / 3) as f32;
    }
    let mut net = Network::new();
    let p = net.population("p", n, &model).unwrap();
    net.set(p, "x", xs.clone()).unwrap();
    net.set(p, "y", ys.clone()).unwrap();
    let mut cpu = net.compile(Backend::Cpu).unwrap();
    let mut gpu = net.compile(Backend::Gpu).unwrap();
    cpu.step().unwrap();
    gpu.step().unwrap();
    let normal = |v: f32| v == 0.0 || v.is_normal() || !v.is_finite();
    let mut report = Vec::new();
    for (v, e) in &twins {
        let f = format!("f_{v}");
        let (c, g) = (cpu.get(p, &f).unwrap(), gpu.get(p, &f).unwrap());
        let mut differ = Vec::new();
        for i in 0..n {
            let (a, b) = (c[i], g[i]);
            if !(normal(xs[i]) && normal(ys[i]) && normal(a)) || (a.is_nan() && b.is_nan()) {
                continue;
            }
            if a.to_bits() != b.to_bits() {
                differ.push(format!(
                    "{e} at x = {:e}, y = {:e}: cpu {a:e} gpu {b:e}",
                    xs[i], ys[i]
                ));
            }
        }
        if !differ.is_empty() {
            report.push(format!("{v}: {} differ; first {}", differ.len(), differ[0]));
        }
    }
    for (v, e) in &own {
        let f = format!("f_{v}");
        let (c, g) = (cpu.get(p, &f).unwrap(), gpu.get(p, &f).unwrap());
        // Within 2^-18 relative or 2^-22 absolute: lavapipe's pow(x, 0.37)
        // of a large x is 16 ulps off.
        let mut worst = 0f64;
        for i in 0..n {
            let (a, b) = (c[i] as f64, g[i] as f64);
            if !(normal(xs[i]) && c[i].is_normal()) || (a.is_nan() && b.is_nan()) {
                continue;
            }
            worst = worst.max((a - b).abs() / (2f64.powi(-18) * a.abs()).max(2f64.powi(-22)));
        }
        eprintln!(
            "functions_over_their_whole_range: the adapter's {e}: worst {worst:.3} of the tolerance"
        );
        assert!(worst <= 1.0, "{e}: {worst} times the tolerance");
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
}

fn a_synapse_reading_a_population_wide_parameter_is_refused_by_both_engines() {
    let rate = Neuron::rate()
        .parameters("tau = 10.0 : population")
        .equations("r = sum(exc)");
    let mut net = Network::new();
    let a = net.population("a", 4, &rate).unwrap();
    let b = net.population("b", 4, &rate).unwrap();
    net.projection(a, b, "exc")
        .synapse(&Synapse::new().psp("w * pre.tau"))
        .connect_all_to_all(Weights::constant(1.0))
        .unwrap();
    let e = net.compile(Backend::Cpu).err().expect("refused");
    assert!(e.to_string().contains("pre.tau"), "{e}");
    if gpu_trial() {
        let e = net.compile(Backend::Gpu).err().expect("refused");
        assert!(e.to_string().contains("pre.tau"), "{e}");
    }
}

/// A deterministic spiking population: both engines give the same spikes.
fn clock_neurons(n: usize) -> (Network, PopId) {
    let model = Neuron::spiking()
        .parameters("tau = 10.0 : population\nI = 1.0")
        .equations("tau * dv/dt = -v + I : init = 0.0")
        .spike("v > 0.5")
        .reset("v = 0.0")
        .refractory(1.0);
    let mut net = Network::new().dt(0.1);
    let p = net.population("p", n, &model).unwrap();
    let i: Vec<f32> = (0..n).map(|k| 0.6 + 0.9 * k as f32 / n as f32).collect();
    net.set(p, "I", i).unwrap();
    (net, p)
}

fn monitors_of_parameters_long_periods_and_simulate_until_agree() {
    let (mut net, p) = clock_neurons(70);
    let every = net.monitor(p, &["spike", "v", "tau"]).unwrap();
    // A period longer than a chunk of steps, started later.
    let sparse = net.monitor_with(p, &["v"], 450.0, false).unwrap();
    let mut sims = [
        net.compile(Backend::Cpu).unwrap(),
        net.compile(Backend::Gpu).unwrap(),
    ];
    for s in &mut sims {
        s.simulate(30.0).unwrap();
        s.resume(sparse).unwrap();
        s.set(p, "tau", 12.0).unwrap();
        s.simulate(1000.0).unwrap();
        // Until neuron 69 has spiked again.
        let waited = s
            .simulate_until(50.0, |sim| sim.get_neuron(p, 69, "v").unwrap() == 0.0)
            .unwrap();
        assert!(waited > 0.0 && waited < 50.0, "{waited}");
    }
    let [cpu, gpu] = &sims;
    assert_eq!(cpu.current_step(), gpu.current_step());
    assert_eq!(cpu.spikes(every).unwrap(), gpu.spikes(every).unwrap());
    assert!(!cpu.spikes(every).unwrap().is_empty());
    assert_eq!(
        cpu.sample_steps(sparse).unwrap(),
        gpu.sample_steps(sparse).unwrap()
    );
    assert_eq!(cpu.sample_steps(sparse).unwrap().len(), 3);
    let tau = gpu.recorded(every, "tau").unwrap();
    assert_eq!(tau.shape()[1], 1);
    assert_eq!(tau[[0, 0]], 10.0);
    assert_eq!(tau[[tau.shape()[0] - 1, 0]], 12.0);
    assert_eq!(cpu.recorded(every, "tau").unwrap(), tau);
    for (m, v) in [(every, "v"), (sparse, "v")] {
        assert_eq!(cpu.recorded(m, v).unwrap(), gpu.recorded(m, v).unwrap());
    }
}

fn many_spikes_over_many_chunks_are_recorded_in_order() {
    let (mut net, p) = clock_neurons(3000);
    let m = net.monitor(p, &["spike"]).unwrap();
    let mut cpu = net.compile(Backend::Cpu).unwrap();
    let mut gpu = net.compile(Backend::Gpu).unwrap();
    cpu.simulate(500.0).unwrap();
    gpu.simulate(500.0).unwrap();
    let (c, g) = (cpu.spikes(m).unwrap(), gpu.spikes(m).unwrap());
    assert!(c.len() > 10_000, "{}", c.len());
    assert!(
        g.windows(2).all(|w| w[0] < w[1]),
        "sorted by step, then rank"
    );
    assert_eq!(c, g);
}

/// lavapipe ends a shader thread's loops after 65,535 iterations of all
/// of them together, silently: a rate sum over 70,000 synapses summed
/// 65,535 of them. On lavapipe such a network is refused, naming the
/// population, the projection and the count; on another adapter it runs
/// and sums all. Below the limit both adapters sum every synapse.
fn a_thread_walking_past_lavapipes_loop_limit_is_refused_there() {
    let build = |n: usize| {
        let mut net = Network::new();
        let a = net
            .population("a", n, &Neuron::rate().parameters("r = 1.0"))
            .unwrap();
        let b = net
            .population("b", 2, &Neuron::rate().equations("r = sum(exc)"))
            .unwrap();
        net.projection(a, b, "exc")
            .name("wide")
            .connect_all_to_all(Weights::constant(1.0))
            .unwrap();
        (net, b)
    };
    let (net, b) = build(60_000);
    let mut sim = net.compile(Backend::Gpu).unwrap();
    sim.simulate(2.0).unwrap();
    assert!(sim.get(b, "r").unwrap().iter().all(|&r| r == 60_000.0));
    let lavapipe = sim.device().is_some_and(|d| d.loop_limit().is_some());
    let (net, b) = build(70_000);
    match net.compile(Backend::Gpu) {
        Err(e) => {
            let e = e.to_string();
            assert!(lavapipe, "refused on a hardware adapter: {e}");
            assert!(
                e.contains("population 'b'")
                    && e.contains("'wide' (70000)")
                    && e.contains("65535")
                    && e.contains("CPU engine"),
                "{e}"
            );
        }
        Ok(mut sim) => {
            assert!(!lavapipe, "lavapipe would sum 65535 of the 70000 synapses");
            sim.simulate(2.0).unwrap();
            assert!(sim.get(b, "r").unwrap().iter().all(|&r| r == 70_000.0));
        }
    }
}

/// An ordered procedural delivery (a thread per chunk of post neurons
/// walks every spike of the step) whose thread would walk past lavapipe's
/// loop limit, with every pre neuron spiking at every step: on lavapipe
/// the plan splits it into dispatches by pre range (in ascending order,
/// so each target still adds its inputs in ascending pre rank), and both
/// adapters give the CPU engine's conductances bit for bit (before the
/// split, lavapipe's last spikes of a step were silently not delivered).
/// A plan for an adapter whose limit one spike's delivery passes is
/// refused, naming the projection.
fn an_ordered_procedural_delivery_past_lavapipes_loop_limit_is_split_there() {
    use cajal::engine::gpu::{codegen, plan_for, PlanOptions, LAVAPIPE_LOOP_LIMIT};
    let build = || {
        let mut net = Network::new().dt(1.0).seed(3);
        let every_step = Neuron::spiking().equations("v = 1.0").spike("v > 0.5");
        let a = net.population("a", 3000, &every_step).unwrap();
        let receiver = Neuron::spiking().equations("v = g_exc").spike("v > 1e30");
        let b = net.population("b", 1500, &receiver).unwrap();
        let q = net
            .projection(a, b, "exc")
            .name("wide")
            .delays(Delays::random(Dist::uniform(1.0, 4.0)))
            .connect_fixed_probability_procedural(0.1, Weights::random(Dist::uniform(0.1, 0.9)))
            .unwrap();
        (net, b, q)
    };
    let (net, b, q) = build();
    let gen = net.proj(q).unwrap().procedural.clone().unwrap();
    // 3000 spikes of ~374 iterations or more each: far past the limit in
    // one dispatch, in 175 pres or fewer a dispatch once split.
    let parts = codegen::procedural_ordered_parts(&gen, LAVAPIPE_LOOP_LIMIT).unwrap();
    assert!(parts.len() > 10, "{parts:?}");
    assert_eq!((parts[0].0, parts[parts.len() - 1].1), (0, 3000));
    assert!(parts.windows(2).all(|w| w[0].1 == w[1].0));
    let opts = |loop_limit| PlanOptions {
        deterministic: true,
        loop_limit,
        ..PlanOptions::default()
    };
    let kernels = |loop_limit| {
        plan_for(&net, &opts(loop_limit)).unwrap().projs[q.index()]
            .parts
            .len()
    };
    assert_eq!(kernels(None), 0);
    assert_eq!(kernels(Some(LAVAPIPE_LOOP_LIMIT)), parts.len() - 1);
    let run = |backend| {
        let mut sim = compile_ordered(&net, backend).unwrap();
        let mut got = Vec::new();
        for _ in 0..6 {
            sim.step().unwrap();
            got.extend(sim.get(b, "v").unwrap());
        }
        got
    };
    let want = run(Backend::Cpu);
    assert!(want.iter().filter(|&&v| v > 100.0).count() > 2 * 1500);
    let got = run(Backend::Gpu);
    assert!(
        got.iter()
            .zip(&want)
            .all(|(x, y)| x.to_bits() == y.to_bits()),
        "the GPU's conductances differ from the CPU's"
    );
    // An adapter whose limit one spike's walk passes: nothing to split,
    // and the plan says so (lavapipe's limit is far above any chunk's
    // walk: a chunk holds about 32 expected targets).
    let walk = codegen::procedural_ordered_spike_walk(&gen);
    assert!(walk > 100 && walk < 1000, "{walk}");
    assert!(codegen::procedural_ordered_parts(&gen, walk).is_none());
    let err = plan_for(&net, &opts(Some(walk)))
        .err()
        .map(|e| e.to_string());
    assert!(
        err.as_ref()
            .is_some_and(|e| e.contains("'wide'") && e.contains(&walk.to_string())),
        "{err:?}"
    );
}

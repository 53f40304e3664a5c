//! Double precision on the GPU engine (`Network::dtype(Dtype::F64)`): an
//! f64 network gives the CPU engine's f64 values bit for bit (every
//! operation pinned, divisions and square roots correctly rounded, the
//! elementary functions fdlibm's twins, spikes delivered in the CPU's
//! order: no f64 atomics); an ODE follows its analytic solution to f64
//! rounding; numbers f32 cannot hold are kept; a state saved on one
//! engine continues on the other; what the GPU engine does not compute
//! in f64 is refused clearly.

use crate::common::{skip, tests};
use cajal::engine::gpu::GpuOptions;
use cajal::models::synapses::{oja, stdp};
use cajal::prelude::*;
use cajal::real::Dtype;
use ndarray::{ArrayD, IxDyn};

tests! {
    cpu: [
        procedural_projections_in_f64_are_refused_on_the_gpu,
    ],
    gpu: [
        spiking_networks_are_the_cpu_engine_bit_for_bit,
        rate_coded_networks_are_the_cpu_engine_bit_for_bit,
        convolutions_decoding_and_inputs_are_the_cpu_engine_bit_for_bit,
        exponential_decay_follows_the_analytic_solution_on_the_gpu,
        numbers_beyond_f32_are_kept_on_the_gpu,
        an_f64_state_saved_on_one_engine_continues_on_the_other,
    ],
}

/// The GPU engine of `net`, skipping where the adapter has no f64.
fn gpu(net: &Network) -> Simulation {
    match net.compile_gpu(&GpuOptions::default()) {
        Ok(s) => s,
        Err(e) if e.to_string().contains("SHADER_F64") => skip(e.to_string()),
        Err(e) => panic!("the GPU engine refused an f64 network: {e}"),
    }
}

/// Both engines of `net`, run for `ms`.
fn both(net: &Network, ms: f64) -> (Simulation, Simulation) {
    let mut cpu = net.compile(Backend::Cpu).unwrap();
    let mut gpu = gpu(net);
    cpu.simulate(ms).unwrap();
    gpu.simulate(ms).unwrap();
    (cpu, gpu)
}

/// The first value where `a` and `b` differ in their bits (NaN equal to
/// NaN), with `what` it is.
fn same_bits(what: &str, a: &[f64], b: &[f64]) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    if let Some(i) = (0..a.len())
        .find(|&i| a[i].to_bits() != b[i].to_bits() && !(a[i].is_nan() && b[i].is_nan()))
    {
        panic!(
            "{what}: value {i} of {}: cpu {:e}, gpu {:e}",
            a.len(),
            a[i],
            b[i]
        );
    }
}

/// Every recorded variable, recorded spikes and the variables of `pops`
/// and `projs` agree to the bit; returns the number of values compared.
fn agree(
    cpu: &Simulation,
    gpu: &Simulation,
    mons: &[(MonitorId, &[&str])],
    pops: &[(PopId, &[&str])],
    projs: &[(ProjId, &[&str])],
) -> usize {
    let mut n = 0;
    for (m, vars) in mons {
        for v in *vars {
            if *v == "spike" {
                let (a, b) = (cpu.spikes(*m).unwrap(), gpu.spikes(*m).unwrap());
                assert_eq!(a, b, "spikes of monitor {m:?}");
                n += a.len();
                continue;
            }
            let (a, b) = (
                cpu.recorded_f64(*m, v).unwrap(),
                gpu.recorded_f64(*m, v).unwrap(),
            );
            assert_eq!(a.dim(), b.dim(), "'{v}' recorded shapes");
            same_bits(
                &format!("recorded '{v}'"),
                &a.iter().copied().collect::<Vec<_>>(),
                &b.iter().copied().collect::<Vec<_>>(),
            );
            n += a.len();
        }
    }
    for (p, vars) in pops {
        for v in *vars {
            let (a, b) = (cpu.get_f64(*p, v).unwrap(), gpu.get_f64(*p, v).unwrap());
            let (a, b): (Vec<f64>, Vec<f64>) =
                (a.iter().copied().collect(), b.iter().copied().collect());
            same_bits(&format!("'{v}' of {p:?}"), &a, &b);
            n += a.len();
        }
    }
    for (q, vars) in projs {
        for v in *vars {
            let (a, b) = (
                cpu.synapses_f64(*q, v).unwrap(),
                gpu.synapses_f64(*q, v).unwrap(),
            );
            assert_eq!((&a.0, &a.1), (&b.0, &b.1), "synapses of {q:?}");
            same_bits(&format!("'{v}' of {q:?}"), &a.2, &b.2);
            n += a.2.len();
        }
    }
    n
}

/// COBA-like excitation and inhibition with delays, STDP (pre and post
/// events, a learning rule's `w` updates), Izhikevich neurons (their
/// reset and a squared term) and Poisson inputs: bit for bit.
fn spiking_networks_are_the_cpu_engine_bit_for_bit() {
    let mut net = Network::new().dtype(Dtype::F64).seed(17);
    let inp = net.poisson_population("in", 60, 30.0, None).unwrap();
    let exc = net
        .population("exc", 40, &cajal::models::if_cond_exp())
        .unwrap();
    let izh = net
        .population("izh", 25, &cajal::models::izhikevich())
        .unwrap();
    let plastic = net
        .projection(inp, exc, "exc")
        .synapse(&stdp(20.0, 20.0, 0.01, 0.0105, 0.0, 0.1))
        .delays(Delays::constant(1.5))
        .connect_fixed_probability(0.5, Weights::random(Dist::uniform(0.002, 0.03)))
        .unwrap();
    net.projection(exc, exc, "inh")
        .delays(Delays::random(Dist::uniform(0.1, 3.0)))
        .connect_fixed_probability(0.2, Weights::random(Dist::uniform(0.001, 0.01)))
        .unwrap();
    let drive = net
        .projection(inp, izh, "exc")
        .connect_fixed_probability(0.3, Weights::random(Dist::normal(4.0, 1.0)))
        .unwrap();
    let m_exc = net.monitor(exc, &["spike", "v", "g_exc", "g_inh"]).unwrap();
    let m_izh = net.monitor(izh, &["spike", "v", "u"]).unwrap();
    let (cpu, gpu) = both(&net, 300.0);
    let n = agree(
        &cpu,
        &gpu,
        &[
            (m_exc, &["spike", "v", "g_exc", "g_inh"]),
            (m_izh, &["spike", "v", "u"]),
        ],
        &[(exc, &["v"]), (izh, &["v", "u"])],
        &[(plastic, &["w"]), (drive, &["w"])],
    );
    assert!(
        cpu.spikes(m_exc).unwrap().len() > 20 && cpu.spikes(m_izh).unwrap().len() > 20,
        "the populations must fire for the test to mean anything"
    );
    assert!(n > 50_000, "{n} values");
}

/// Rate-coded neurons with every kind of function, comparison, random
/// draw, a learning rule (Oja), uniform and per-synapse delays, a max
/// operation: bit for bit.
fn rate_coded_networks_are_the_cpu_engine_bit_for_bit() {
    let mut net = Network::new().dtype(Dtype::F64).seed(3);
    let src = net
        .population(
            "src",
            30,
            &Neuron::rate()
                .parameters("tau = 10.0\n k = 3.0 : population")
                .equations(
                    "tau * dx/dt = Uniform(-1.0, 1.0) - x + 0.1 * Normal(0.0, 1.0)\n\
                     r = tanh(x) + exp(-x * x) + sqrt(fabs(x)) + log(1.0 + x * x) \
                     + sin(3.0 * x) * cos(x) + pow(fabs(x), 2.5) + pow(x, 3) \
                     + modulo(t, k) / k + clip(x, -0.3, 0.3) \
                     + atan(x) + sinh(x) + cosh(x) / 7.0 + (x > 0.2) + (x != 0.1) * 0.5",
                ),
        )
        .unwrap();
    let out = net
        .population(
            "out",
            6,
            &Neuron::rate()
                .parameters("tau = 5.0")
                .equations("tau * dr/dt = sum(exc) - r + sum(mx) : min = 0.0"),
        )
        .unwrap();
    let learned = net
        .projection(src, out, "exc")
        .synapse(&oja(0.001, 1.0))
        .delays(Delays::random(Dist::uniform(0.0, 4.0)))
        .connect_all_to_all(Weights::random(Dist::uniform(0.0, 0.05)))
        .unwrap();
    let mx = Synapse::new().psp("w * pre.r").operation(Operation::Max);
    net.projection(src, out, "mx")
        .synapse(&mx)
        .delays(2.0)
        .connect_fixed_probability(0.5, Weights::random(Dist::uniform(0.0, 0.2)))
        .unwrap();
    let m_src = net.monitor(src, &["r", "x"]).unwrap();
    let m_out = net.monitor(out, &["r"]).unwrap();
    let (cpu, gpu) = both(&net, 100.0);
    let n = agree(
        &cpu,
        &gpu,
        &[(m_src, &["r", "x"]), (m_out, &["r"])],
        &[(src, &["r", "x"]), (out, &["r"])],
        &[(learned, &["w"])],
    );
    assert!(n > 6_000, "{n} values");
}

/// Convolution and pooling (rate-coded), a spiking convolution, a
/// decoding projection, a current injection from a timed array, and a
/// firing rate: bit for bit.
fn convolutions_decoding_and_inputs_are_the_cpu_engine_bit_for_bit() {
    let mut net = Network::new().dtype(Dtype::F64).seed(8).dt(0.5);
    let rin = net
        .population(
            "rin",
            [8, 8],
            &Neuron::rate().equations("r = Uniform(0.0, 1.0)"),
        )
        .unwrap();
    let rconv = net
        .population("rconv", [8, 8], &Neuron::rate().equations("r = sum(exc)"))
        .unwrap();
    let kernel = ArrayD::from_shape_fn(IxDyn(&[3, 3]), |ix| {
        (ix[0] as f32 - 1.0) * 0.5 + ix[1] as f32 * 0.25
    });
    net.convolution(rin, rconv, "exc")
        .connect_filter(&kernel)
        .unwrap();
    let rpool = net
        .population("rpool", [4, 4], &Neuron::rate().equations("r = sum(exc)"))
        .unwrap();
    net.pooling(rconv, rpool, "exc")
        .connect_pooling(None)
        .unwrap();
    let spikes = net
        .poisson_population("spikes", [6, 6], 80.0, None)
        .unwrap();
    let lif = cajal::models::if_curr_exp();
    let sconv = net.population("sconv", [6, 6, 2], &lif).unwrap();
    let filters = ArrayD::from_shape_fn(IxDyn(&[2, 3, 3]), |ix| {
        0.5 * (1.0 + ix[0] as f32) - 0.04 * (ix[1] * 3 + ix[2]) as f32
    });
    net.convolution(spikes, sconv, "exc")
        .delay(1.0)
        .connect_filters(&filters)
        .unwrap();
    let decoded = net
        .population("decoded", 5, &Neuron::rate().equations("r = sum(exc)"))
        .unwrap();
    net.decoding_projection(spikes, decoded, "exc", 10.0)
        .connect_fixed_probability(0.4, Weights::random(Dist::uniform(0.5, 1.5)))
        .unwrap();
    let rows = ndarray::array![[0.3f32, 1.7], [2.1, 0.2], [0.9, 1.1]];
    let drive = net.timed_array("drive", &rows, 2.0, -1.0).unwrap();
    let counter = Neuron::spiking()
        .parameters("tau = 5.0")
        .equations("tau * dv/dt = g_exc - v")
        .spike("v > 0.5")
        .reset("v = 0.0");
    let post = net.population("post", 2, &counter).unwrap();
    net.current_injection(drive, post, "exc").unwrap();
    let m_pool = net.monitor(rpool, &["r"]).unwrap();
    let m_conv = net.monitor(rconv, &["r"]).unwrap();
    let m_sconv = net.monitor(sconv, &["spike", "v"]).unwrap();
    let m_dec = net.monitor(decoded, &["r"]).unwrap();
    let m_post = net.monitor(post, &["spike", "v"]).unwrap();
    let (cpu, gpu) = both(&net, 60.0);
    let n = agree(
        &cpu,
        &gpu,
        &[
            (m_pool, &["r"]),
            (m_conv, &["r"]),
            (m_sconv, &["spike", "v"]),
            (m_dec, &["r"]),
            (m_post, &["spike", "v"]),
        ],
        &[(sconv, &["v", "g_exc"])],
        &[],
    );
    assert!(!cpu.spikes(m_sconv).unwrap().is_empty());
    assert!(n > 10_000, "{n} values");
}

/// `tau dr/dt = -r` by the exponential method on the GPU: within 1e-13
/// of exp(-t / tau) over a thousand steps, as on the CPU engine (f32 is
/// 1e-7 off).
fn exponential_decay_follows_the_analytic_solution_on_the_gpu() {
    let mut net = Network::new().dt(0.1).dtype(Dtype::F64);
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
    let mut sim = gpu(&net);
    sim.simulate(100.0).unwrap();
    let r = sim.recorded_f64(m, "r").unwrap().column(0).to_vec();
    assert_eq!(r.len(), 1000);
    let worst = r
        .iter()
        .enumerate()
        .map(|(k, x)| {
            let exact = (-(k as f64 + 1.0) * 0.1 / 7.0).exp();
            ((x - exact) / exact).abs()
        })
        .fold(0.0, f64::max);
    assert!(worst < 1e-13, "relative error {worst}");
}

/// The issue's numbers: 1e39 and a weight drawn up to 1e39 stay finite,
/// a constant of 1e-300 stays non-zero, a quotient by a subnormal
/// population-wide parameter is finite where its reciprocal is not.
fn numbers_beyond_f32_are_kept_on_the_gpu() {
    let mut net = Network::new().dtype(Dtype::F64).seed(4);
    net.constant("c", 1e-300).unwrap();
    let p = net
        .population(
            "p",
            3,
            &Neuron::rate()
                .parameters("big = 1e39\n tiny = 1e-310 : population")
                .equations("r = big * 2 + c * 1e300 + 1e-20 / tiny * 1e-290"),
        )
        .unwrap();
    let q = net
        .population("q", 3, &Neuron::rate().equations("r = sum(exc)"))
        .unwrap();
    net.projection(p, q, "exc")
        .connect_all_to_all(Weights::random(Dist::uniform(0.0, 1e39)))
        .unwrap();
    let (cpu, gpu) = both(&net, 3.0);
    let n = agree(&cpu, &gpu, &[], &[(p, &["r"]), (q, &["r"])], &[]);
    assert_eq!(n, 6);
    let r = gpu.get_f64(p, "r").unwrap();
    // 1e-20 / 1e-310 is finite where 1 / 1e-310 is not: the quotient by
    // a tiny population-wide value is not its reciprocal's product.
    let want = 2e39 + 1.0 + 1e-20 / 1e-310 * 1e-290;
    assert!(
        r.iter().all(|&x| x.is_finite() && (x - want).abs() <= 1e24),
        "{r:?}"
    );
    let s = gpu.get_f64(q, "r").unwrap();
    assert!(s.iter().all(|&x| x.is_finite() && x > 1e70), "{s:?}");
}

/// A state saved by the GPU engine loads into the CPU engine (and back),
/// and both continue to the same bits.
fn an_f64_state_saved_on_one_engine_continues_on_the_other() {
    let mut net = Network::new().dtype(Dtype::F64).seed(21);
    let inp = net.poisson_population("in", 30, 50.0, None).unwrap();
    let out = net
        .population("out", 10, &cajal::models::if_curr_exp())
        .unwrap();
    let proj = net
        .projection(inp, out, "exc")
        .synapse(&stdp(20.0, 20.0, 0.01, 0.0105, 0.0, 1.0))
        .connect_all_to_all(Weights::random(Dist::uniform(0.1, 0.5)))
        .unwrap();
    let dir = std::env::temp_dir().join(format!("cajal-gpu64-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("state.cajal");
    let mut g = gpu(&net);
    g.simulate(50.0).unwrap();
    g.save(&file).unwrap();
    let mut c = net.compile(Backend::Cpu).unwrap();
    c.load(&file).unwrap();
    g.simulate(50.0).unwrap();
    c.simulate(50.0).unwrap();
    agree(&c, &g, &[], &[(out, &["v", "g_exc"])], &[(proj, &["w"])]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Procedural projections draw their weights in f32 on the GPU: an f64
/// network with one is refused there, naming it and the CPU engine
/// (before any adapter is looked for).
fn procedural_projections_in_f64_are_refused_on_the_gpu() {
    let mut net = Network::new().dtype(Dtype::F64);
    let a = net.poisson_population("a", 100, 10.0, None).unwrap();
    let b = net
        .population("b", 100, &cajal::models::if_curr_exp())
        .unwrap();
    net.projection(a, b, "exc")
        .name("drawn")
        .connect_fixed_probability_procedural(0.1, Weights::constant(0.1))
        .unwrap();
    let e = net
        .compile(Backend::Gpu)
        .err()
        .expect("refused")
        .to_string();
    assert!(
        e.contains("'drawn'") && e.contains("double precision") && e.contains("CPU engine"),
        "{e}"
    );
}

//! Double precision on the GPU engine (`Network::dtype(Dtype::F64)`): an
//! f64 network gives the CPU engine's f64 values bit for bit (every
//! operation pinned, divisions and square roots correctly rounded, the
//! elementary functions fdlibm's twins, spikes delivered in the CPU's
//! order: no f64 atomics); an ODE follows its analytic solution to f64
//! rounding; numbers f32 cannot hold are kept; a state saved on one
//! engine continues on the other; GPU ranks exchange f64 values whole.

use crate::common::{skip, tests};
use cajal::engine::gpu::GpuOptions;
use cajal::models::synapses::{oja, stdp};
use cajal::prelude::*;
use cajal::real::Dtype;
use ndarray::{ArrayD, IxDyn};

tests! {
    cpu: [
        f64_kernels_validate_with_naga,
    ],
    gpu: [
        procedural_projections_are_the_cpu_engine_bit_for_bit,
        gpu_ranks_in_f64_are_one_process_bit_for_bit,
        spiking_networks_are_the_cpu_engine_bit_for_bit,
        rate_coded_networks_are_the_cpu_engine_bit_for_bit,
        convolutions_decoding_and_inputs_are_the_cpu_engine_bit_for_bit,
        exponential_decay_follows_the_analytic_solution_on_the_gpu,
        numbers_beyond_f32_are_kept_on_the_gpu,
        an_f64_state_saved_on_one_engine_continues_on_the_other,
        one_step_of_many_spikes_with_drawn_weights_is_delivered_whole,
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

/// A network to run on both engines and what to compare of it.
struct Case {
    net: Network,
    ms: f64,
    mons: Vec<(MonitorId, &'static [&'static str])>,
    pops: Vec<(PopId, &'static [&'static str])>,
    projs: Vec<(ProjId, &'static [&'static str])>,
}

impl Case {
    /// Runs it on both engines, compares to the bit; the simulations and
    /// the number of values compared.
    fn run(&self) -> (Simulation, Simulation, usize) {
        let (cpu, gpu) = both(&self.net, self.ms);
        let n = agree(&cpu, &gpu, &self.mons, &self.pops, &self.projs);
        (cpu, gpu, n)
    }

    /// Spikes its first monitor recorded on the CPU engine.
    fn spikes(&self, cpu: &Simulation) -> usize {
        cpu.spikes(self.mons[0].0).unwrap().len()
    }
}

/// COBA-like excitation and inhibition with delays, STDP (pre and post
/// events, a learning rule's `w` updates), Izhikevich neurons (their
/// reset and a squared term) and Poisson inputs.
fn spiking_case() -> Case {
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
    Case {
        net,
        ms: 300.0,
        mons: vec![
            (m_exc, &["spike", "v", "g_exc", "g_inh"]),
            (m_izh, &["spike", "v", "u"]),
        ],
        pops: vec![(exc, &["v"]), (izh, &["v", "u"])],
        projs: vec![(plastic, &["w"]), (drive, &["w"])],
    }
}

fn spiking_networks_are_the_cpu_engine_bit_for_bit() {
    let case = spiking_case();
    let (cpu, _, n) = case.run();
    assert!(
        case.spikes(&cpu) > 20 && cpu.spikes(case.mons[1].0).unwrap().len() > 20,
        "the populations must fire for the test to mean anything"
    );
    assert!(n > 50_000, "{n} values");
}

/// Rate-coded neurons with every kind of function, comparison, random
/// draw, a learning rule (Oja), uniform and per-synapse delays, a max
/// operation.
fn rate_case() -> Case {
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
    Case {
        net,
        ms: 100.0,
        mons: vec![(m_src, &["r", "x"]), (m_out, &["r"])],
        pops: vec![(src, &["r", "x"]), (out, &["r"])],
        projs: vec![(learned, &["w"])],
    }
}

fn rate_coded_networks_are_the_cpu_engine_bit_for_bit() {
    let (_, _, n) = rate_case().run();
    assert!(n > 6_000, "{n} values");
}

/// Convolution and pooling (rate-coded), a spiking convolution, a
/// decoding projection, a current injection from a timed array.
fn conv_case() -> Case {
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
    Case {
        net,
        ms: 60.0,
        mons: vec![
            (m_sconv, &["spike", "v"]),
            (m_pool, &["r"]),
            (m_conv, &["r"]),
            (m_dec, &["r"]),
            (m_post, &["spike", "v"]),
        ],
        pops: vec![(sconv, &["v", "g_exc"])],
        projs: vec![],
    }
}

fn convolutions_decoding_and_inputs_are_the_cpu_engine_bit_for_bit() {
    let case = conv_case();
    let (cpu, _, n) = case.run();
    assert!(case.spikes(&cpu) > 0);
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

/// Procedural projections (weights drawn again at each spike, in f64;
/// per-synapse delays through the ring of future inputs).
fn procedural_case() -> Case {
    let mut net = Network::new().dtype(Dtype::F64).seed(12);
    let a = net.poisson_population("a", 200, 20.0, None).unwrap();
    let b = net
        .population("b", 150, &cajal::models::if_curr_exp())
        .unwrap();
    let uniform = net
        .projection(a, b, "exc")
        .delays(Delays::random(Dist::uniform(0.5, 4.0)))
        .connect_fixed_probability_procedural(0.1, Weights::random(Dist::uniform(0.05, 0.4)))
        .unwrap();
    let normal = net
        .projection(b, b, "inh")
        .connect_fixed_probability_procedural(
            0.05,
            Weights::random(Dist::normal(0.2, 0.1).min(0.0).max(0.3)),
        )
        .unwrap();
    let m = net.monitor(b, &["spike", "v", "g_exc", "g_inh"]).unwrap();
    Case {
        net,
        ms: 200.0,
        mons: vec![(m, &["spike", "v", "g_exc", "g_inh"])],
        pops: vec![(b, &["v"])],
        projs: vec![(uniform, &["w"]), (normal, &["w"])],
    }
}

fn procedural_projections_are_the_cpu_engine_bit_for_bit() {
    let case = procedural_case();
    let (cpu, gpu, n) = case.run();
    assert!(case.spikes(&cpu) > 50, "b must fire");
    // Drawn in f64: not f32 values widened.
    let w = gpu.synapses_f64(case.projs[0].0, "w").unwrap().2;
    assert!(w.iter().any(|&x| f64::from(x as f32) != x));
    assert!(n > 50_000, "{n} values");
}

/// Two GPU ranks (threads as MPI ranks) of an f64 network exchange its
/// values whole: each rank's reading is one process's, to the bit.
fn gpu_ranks_in_f64_are_one_process_bit_for_bit() {
    use cajal::engine::distributed::{Comm, Threads};
    use std::sync::Arc;
    let build = || -> cajal::Result<(Network, PopId, MonitorId, ProjId)> {
        let mut net = Network::new().dtype(Dtype::F64).seed(30).dt(0.5);
        let inp = net.poisson_population("in", 80, 40.0, None)?;
        let out = net.population("out", 60, &cajal::models::if_cond_exp())?;
        let plastic = net
            .projection(inp, out, "exc")
            .synapse(&stdp(20.0, 20.0, 0.01, 0.0105, 0.0, 0.05))
            .delays(Delays::random(Dist::uniform(1.0, 2.0)))
            .connect_fixed_probability(0.4, Weights::random(Dist::uniform(0.005, 0.03)))?;
        net.projection(out, out, "inh")
            .connect_fixed_probability(0.2, Weights::constant(0.005))?;
        let m = net.monitor(out, &["spike"])?;
        Ok((net, out, m, plastic))
    };
    let read = |sim: &Simulation, out: PopId, m: MonitorId, q: ProjId| -> cajal::Result<_> {
        let v: Vec<u64> = sim.get_f64(out, "v")?.iter().map(|x| x.to_bits()).collect();
        let w: Vec<u64> = sim
            .synapses_f64(q, "w")?
            .2
            .iter()
            .map(|x| x.to_bits())
            .collect();
        Ok((sim.spikes(m)?, v, w))
    };
    let (net, out, m, q) = build().unwrap();
    let mut alone = gpu(&net);
    alone.simulate(100.0).unwrap();
    let want = read(&alone, out, m, q).unwrap();
    assert!(want.0.len() > 20, "out must fire");
    let ordered = GpuOptions {
        deterministic: true,
        ..GpuOptions::default()
    };
    let runs = Threads::run(2, |comm: Arc<dyn Comm>| {
        let (net, out, m, q) = build()?;
        let mut sim = net.compile_distributed_gpu(comm, &ordered)?;
        sim.simulate(100.0)?;
        read(&sim, out, m, q)
    })
    .unwrap();
    for (r, got) in runs.iter().enumerate() {
        assert_eq!(got.0, want.0, "rank {r}: spikes");
        assert!(got.1 == want.1, "rank {r}: v differs");
        assert!(got.2 == want.2, "rank {r}: w differs");
    }
}

/// Every kernel of the f64 networks above validates with naga (f64 and
/// 64-bit integers, no f32 atomics), without a device, merged or not.
fn f64_kernels_validate_with_naga() {
    for case in [spiking_case(), rate_case(), conv_case(), procedural_case()] {
        for merge in [None, Some(8)] {
            let opts = cajal::engine::gpu::PlanOptions {
                merge,
                float_atomics: true,
                ..Default::default()
            };
            for k in cajal::engine::gpu::plan_for(&case.net, &opts)
                .unwrap()
                .kernels()
            {
                assert_eq!(k.dtype, Dtype::F64, "{}", k.name);
                cajal::engine::gpu::codegen::validate(k, false).unwrap_or_else(|e| panic!("{e}"));
                assert!(!k.source.contains("atomic<f32>"), "{}", k.name);
            }
        }
    }
}

/// Fifty pre-synaptic neurons spiking in one step, each drawing ~40
/// normal weights again in the thread of its post chunk: two thousand
/// f64 draws in one invocation. lavapipe ends an invocation's loops after
/// 65535 iterations of all of them together, which a square root digit
/// by digit (54 iterations) and Philox's ten rounds in loops reached: the
/// last pres of the step went undelivered, silently. Both are written
/// without loops now; this delivers every synapse, bit for bit.
fn one_step_of_many_spikes_with_drawn_weights_is_delivered_whole() {
    let mut net = Network::new().dt(1.0).seed(5).dtype(Dtype::F64);
    let clock = Neuron::spiking().parameters("t1 = -1.0").spike("t == t1");
    let receiver = Neuron::spiking()
        .equations("last = g_exc")
        .spike("last > 1e9");
    let a = net.population("a", 250, &clock).unwrap();
    let b = net.population("b", 300, &receiver).unwrap();
    // Neuron i spikes at step i % 5: fifty a step.
    let t1: Vec<f32> = (0..250).map(|i| (i % 5) as f32).collect();
    net.set(a, "t1", t1).unwrap();
    net.projection(a, b, "exc")
        .connect_fixed_probability_procedural(
            0.15,
            Weights::random(Dist::normal(0.5, 0.4).min(0.0)),
        )
        .unwrap();
    let mut cpu = net.compile(Backend::Cpu).unwrap();
    let mut gpu = gpu(&net);
    for step in 0..7 {
        cpu.step().unwrap();
        gpu.step().unwrap();
        let (c, g) = (
            cpu.get_f64(b, "last").unwrap(),
            gpu.get_f64(b, "last").unwrap(),
        );
        same_bits(
            &format!("step {step}"),
            &c.iter().copied().collect::<Vec<_>>(),
            &g.iter().copied().collect::<Vec<_>>(),
        );
        if (1..6).contains(&step) {
            assert!(
                c.iter().sum::<f64>() > 500.0,
                "step {step}: too little input"
            );
        }
    }
}

//! Batch simulation: a batch of B gives what B separate runs give, on both
//! engines, for spiking projections (default and general events, per-synapse
//! delays), spiking convolutions, rate-coded sums (general psp, max, delay),
//! rate convolutions and pooling; monitors and readouts split by element;
//! what cannot be batched is refused.

use crate::common::{assert_close, backends, tests, validate_all, Tol};
use cajal::engine::readout::Readout;
use cajal::models::mlgenn::LeakyIntegrateFire;
use cajal::models::synapses::stdp;
use cajal::prelude::*;
use ndarray::{ArrayD, IxDyn};

tests! {
    cpu: [
        one_shape_sets_every_element_and_element_sizes_are_reported,
        a_batch_of_one_is_the_network_itself_and_zero_is_refused,
        what_cannot_be_batched_is_refused,
        batched_kernels_validate,
    ],
    both: [
        a_batch_gives_what_separate_runs_give,
        random_draws_of_element_zero_are_those_of_a_single_run,
    ],
}

const B: usize = 3;
const SIDE: usize = 6;
const RATE_SIDE: usize = 4;

struct Net {
    net: Network,
    src: PopId,
    rin: PopId,
    rpool: PopId,
    rout: PopId,
    m_hid: MonitorId,
    m_conv: MonitorId,
    m_hid2: MonitorId,
    m_rate: MonitorId,
    m_view: MonitorId,
}

fn build() -> Net {
    let mut net = Network::new().dt(1.0).seed(11);
    // A clock: spikes at its own times t1..t3 (per-neuron parameters, so
    // each element can get its own).
    let clock = Neuron::spiking()
        .parameters("t1 = -1.0\nt2 = -1.0\nt3 = -1.0")
        .spike("(t == t1) or (t == t2) or (t == t3)");
    let src = net.population("src", [SIDE, SIDE], &clock).unwrap();
    let lif = LeakyIntegrateFire {
        tau_mem: 5.0,
        ..Default::default()
    }
    .neuron();
    let hid = net.population("hid", 20, &lif).unwrap();
    net.projection(src, hid, "exc")
        .delays(Delays::random(Dist::uniform(1.0, 3.0)))
        .connect_fixed_probability(0.3, Weights::random(Dist::uniform(0.3, 1.5)))
        .unwrap();
    // General events reading a pre-synaptic variable.
    let hid2 = net.population("hid2", 7, &lif).unwrap();
    let syn = Synapse::new().pre_spike("g_target += w * (1.0 + 0.1 * pre.v)");
    net.projection(hid, hid2, "exc")
        .synapse(&syn)
        .connect_all_to_all(Weights::random(Dist::uniform(-0.2, 0.9)))
        .unwrap();
    // A spiking convolution (bank of two 3x3 filters).
    let conv_out = net.population("conv_out", [SIDE, SIDE, 2], &lif).unwrap();
    let filters = ArrayD::from_shape_fn(IxDyn(&[2, 3, 3]), |ix| {
        0.25 * (1.0 + ix[0] as f32) - 0.04 * (ix[1] * 3 + ix[2]) as f32
    });
    net.convolution(src, conv_out, "exc")
        .delay(2.0)
        .connect_filters(&filters)
        .unwrap();
    // Rate-coded: a general psp combined with max, delayed; a convolution
    // and a max pooling.
    let rin = net
        .population(
            "rin",
            [RATE_SIDE, RATE_SIDE],
            &Neuron::rate().parameters("r = 0.0"),
        )
        .unwrap();
    let rout = net
        .population(
            "rout",
            5,
            &Neuron::rate().equations("r = sum(exc) + 0.5 * sum(inh)"),
        )
        .unwrap();
    let sq = Synapse::new()
        .psp("w * pre.r * pre.r")
        .operation(Operation::Max);
    net.projection(rin, rout, "exc")
        .synapse(&sq)
        .delays(2.0)
        .connect_all_to_all(Weights::random(Dist::uniform(0.0, 1.0)))
        .unwrap();
    net.projection(rin, rout, "inh")
        .connect_fixed_probability(0.5, Weights::random(Dist::uniform(-1.0, 1.0)))
        .unwrap();
    let rconv = net
        .population(
            "rconv",
            [RATE_SIDE, RATE_SIDE],
            &Neuron::rate().equations("r = sum(exc)"),
        )
        .unwrap();
    let kernel = ArrayD::from_shape_fn(IxDyn(&[3, 3]), |ix| {
        (ix[0] as f32 - 1.0) * 0.5 + ix[1] as f32 * 0.25
    });
    net.convolution(rin, rconv, "exc")
        .connect_filter(&kernel)
        .unwrap();
    let rpool = net
        .population("rpool", [2, 2], &Neuron::rate().equations("r = sum(exc)"))
        .unwrap();
    net.pooling(rconv, rpool, "exc")
        .connect_pooling(None)
        .unwrap();
    let m_hid = net.monitor(hid, &["spike", "v"]).unwrap();
    let m_conv = net.monitor(conv_out, &["spike"]).unwrap();
    let m_hid2 = net.monitor(hid2, &["v"]).unwrap();
    let m_rate = net.monitor(rout, &["r"]).unwrap();
    let view = net.view(hid, &[7, 3]).unwrap();
    let m_view = net.monitor(view, &["v"]).unwrap();
    Net {
        net,
        src,
        rin,
        rpool,
        rout,
        m_hid,
        m_conv,
        m_hid2,
        m_rate,
        m_view,
    }
}

/// Element `b`'s inputs: spike times of the clock and rates.
fn inputs(b: usize) -> (Vec<Vec<f32>>, Vec<f32>) {
    let n = SIDE * SIDE;
    let times = (0..3)
        .map(|k| {
            (0..n)
                .map(|i| {
                    let h = (i * 7 + b * 13 + k * 5) % 11;
                    if h < 4 {
                        (2 + h * 3 + k * 4 + b) as f32
                    } else {
                        -1.0
                    }
                })
                .collect()
        })
        .collect();
    let rates = (0..RATE_SIDE * RATE_SIDE)
        .map(|i| ((i * 3 + b * 5) % 7) as f32 * 0.3 - 0.4)
        .collect();
    (times, rates)
}

const STEPS: f64 = 30.0;

struct Run {
    spikes: Vec<(u64, u32)>,
    conv_spikes: Vec<(u64, u32)>,
    v: Vec<f32>,
    v2: Vec<f32>,
    r: Vec<f32>,
    view: Vec<f32>,
    pool: Vec<f32>,
    count: Vec<f32>,
}

fn single(n: &Net, backend: Backend, b: usize) -> Run {
    let mut sim = n.net.compile(backend).unwrap();
    let (times, rates) = inputs(b);
    for (k, name) in ["t1", "t2", "t3"].iter().enumerate() {
        sim.set(n.src, name, times[k].clone()).unwrap();
    }
    sim.set(n.rin, "r", rates).unwrap();
    sim.simulate(STEPS).unwrap();
    Run {
        spikes: sim.spikes(n.m_hid).unwrap(),
        conv_spikes: sim.spikes(n.m_conv).unwrap(),
        v: sim
            .recorded(n.m_hid, "v")
            .unwrap()
            .iter()
            .copied()
            .collect(),
        v2: sim
            .recorded(n.m_hid2, "v")
            .unwrap()
            .iter()
            .copied()
            .collect(),
        r: sim
            .recorded(n.m_rate, "r")
            .unwrap()
            .iter()
            .copied()
            .collect(),
        view: sim
            .recorded(n.m_view, "v")
            .unwrap()
            .iter()
            .copied()
            .collect(),
        pool: sim.get(n.rpool, "r").unwrap().iter().copied().collect(),
        count: sim.readout(n.m_hid, &Readout::SpikeCount, 0).unwrap(),
    }
}

fn batched(n: &Net, backend: Backend) -> Vec<Run> {
    let mut sim = n.net.compile_batched(backend, B).unwrap();
    assert_eq!(sim.batch_size(), B);
    for (k, name) in ["t1", "t2", "t3"].iter().enumerate() {
        let all: Vec<f32> = (0..B).flat_map(|b| inputs(b).0[k].clone()).collect();
        sim.set(
            n.src,
            name,
            ArrayD::from_shape_vec(IxDyn(&[B, SIDE, SIDE]), all).unwrap(),
        )
        .unwrap();
    }
    // One element at a time this time.
    for b in 0..B {
        sim.set_element(n.rin, b, "r", inputs(b).1).unwrap();
    }
    assert_eq!(
        sim.get(n.rin, "r").unwrap().shape(),
        &[B, RATE_SIDE, RATE_SIDE]
    );
    sim.simulate(STEPS).unwrap();
    let spikes = sim.spikes_batch(n.m_hid).unwrap();
    let conv = sim.spikes_batch(n.m_conv).unwrap();
    let v = sim.recorded_batch(n.m_hid, "v").unwrap();
    let v2 = sim.recorded_batch(n.m_hid2, "v").unwrap();
    let r = sim.recorded_batch(n.m_rate, "r").unwrap();
    let view = sim.recorded_batch(n.m_view, "v").unwrap();
    let pool = sim.get(n.rpool, "r").unwrap();
    let count = sim.readout_batch(n.m_hid, &Readout::SpikeCount, 0).unwrap();
    assert_eq!(v.shape(), &[B, STEPS as usize, 20]);
    assert_eq!(view.shape(), &[B, STEPS as usize, 2]);
    assert_eq!(pool.shape(), &[B, 2, 2]);
    (0..B)
        .map(|b| Run {
            spikes: spikes[b].clone(),
            conv_spikes: conv[b].clone(),
            v: v.index_axis(ndarray::Axis(0), b).iter().copied().collect(),
            v2: v2.index_axis(ndarray::Axis(0), b).iter().copied().collect(),
            r: r.index_axis(ndarray::Axis(0), b).iter().copied().collect(),
            view: view
                .index_axis(ndarray::Axis(0), b)
                .iter()
                .copied()
                .collect(),
            pool: pool
                .index_axis(ndarray::Axis(0), b)
                .iter()
                .copied()
                .collect(),
            count: count.row(b).to_vec(),
        })
        .collect()
}

fn a_batch_gives_what_separate_runs_give() {
    let n = build();
    for backend in backends() {
        let got = batched(&n, backend);
        // The CPU engine adds in the same order either way: bit for bit.
        // The GPU's float atomics add a step's spikes in any order.
        // Batched against separate: the same bits, or (GPU)
        // |a - b| <= 1e-5 + 1e-5 * |b| in f32.
        let tol = if backend == Backend::Cpu {
            Tol::bits()
        } else {
            Tol::abs_plus_rel(1e-5f32, 1e-5)
        };
        let mut active = 0;
        for (b, g) in got.iter().enumerate() {
            let want = single(&n, backend, b);
            let what = format!("{backend:?} element {b}");
            assert_eq!(g.spikes, want.spikes, "{what}: hid spikes");
            assert_eq!(g.conv_spikes, want.conv_spikes, "{what}: conv spikes");
            assert_close(&g.v, &want.v, tol, &format!("{what}: hid v"));
            assert_close(&g.v2, &want.v2, tol, &format!("{what}: hid2 v"));
            assert_close(&g.r, &want.r, tol, &format!("{what}: rout r"));
            assert_close(&g.view, &want.view, tol, &format!("{what}: view v"));
            assert_close(&g.pool, &want.pool, tol, &format!("{what}: pool r"));
            assert_close(
                &g.count,
                &want.count,
                Tol::<f32>::bits(),
                &format!("{what}: spike counts"),
            );
            active += usize::from(!want.spikes.is_empty() && !want.conv_spikes.is_empty());
        }
        // The elements really differ (or the test proves little).
        assert_eq!(active, B, "every element spikes");
        assert_ne!(got[0].spikes, got[1].spikes);
        assert_ne!(got[0].conv_spikes, got[2].conv_spikes);
        assert_ne!(got[1].r, got[2].r);
    }
}

fn one_shape_sets_every_element_and_element_sizes_are_reported() {
    let n = build();
    let mut sim = n.net.compile_batched(Backend::Cpu, B).unwrap();
    let one: Vec<f32> = (0..16).map(|i| i as f32).collect();
    sim.set(n.rin, "r", one.clone()).unwrap();
    let all = sim.get(n.rin, "r").unwrap();
    for b in 0..B {
        let e: Vec<f32> = all
            .index_axis(ndarray::Axis(0), b)
            .iter()
            .copied()
            .collect();
        assert_eq!(e, one);
    }
    assert_eq!(sim.element_size(n.rin).unwrap(), 16);
    assert_eq!(sim.network().pop(n.rin).unwrap().size(), 16 * B);
    assert_eq!(sim.network().batch_size(), B);
    // Errors name the population.
    let e = sim.set_element(n.rin, B, "r", 1.0).unwrap_err().to_string();
    assert!(e.contains("rin") && e.contains("out of range"), "{e}");
    let e = sim
        .set_element(n.rin, 0, "r", vec![1.0; 5])
        .unwrap_err()
        .to_string();
    assert!(e.contains("rin") && e.contains("16 values"), "{e}");
    let e = sim.set(n.rin, "r", vec![1.0; 5]).unwrap_err().to_string();
    assert!(e.contains("rin"), "{e}");
    let _ = n.rout;
}

fn a_batch_of_one_is_the_network_itself_and_zero_is_refused() {
    let n = build();
    let one = n.net.batched(1).unwrap();
    assert_eq!(one.pop(n.src).unwrap().size(), SIDE * SIDE);
    let e = n.net.batched(0).unwrap_err().to_string();
    assert!(e.contains("at least 1"), "{e}");
}

fn random_draws_of_element_zero_are_those_of_a_single_run() {
    for backend in backends() {
        let mut net = Network::new().dt(1.0).seed(5);
        let p = net.poisson_population("p", 50, 80.0, None).unwrap();
        let m = net.monitor(p, &["spike"]).unwrap();
        let mut one = net.compile(backend).unwrap();
        one.simulate(50.0).unwrap();
        let mut sim = net.compile_batched(backend, 4).unwrap();
        sim.simulate(50.0).unwrap();
        let per = sim.spikes_batch(m).unwrap();
        assert_eq!(per[0], one.spikes(m).unwrap(), "{backend:?}");
        for b in 1..4 {
            assert_ne!(
                per[b], per[0],
                "{backend:?}: element {b} draws its own numbers"
            );
            // Still 80 Hz: 50 neurons x 50 ms x 0.08 = 200 expected.
            let k = per[b].len() as f64;
            assert!(
                (k - 200.0).abs() < 4.0 * 200f64.sqrt(),
                "{backend:?} element {b}: {k}"
            );
        }
    }
}

fn what_cannot_be_batched_is_refused() {
    let lif = LeakyIntegrateFire::default().neuron();
    let mut net = Network::new().dt(1.0);
    let a = net.population("a", 3, &lif).unwrap();
    let b = net.population("b", 3, &lif).unwrap();
    net.projection(a, b, "exc")
        .synapse(&stdp(20.0, 20.0, 0.01, 0.0105, 0.0, 1.0))
        .name("plastic")
        .connect_all_to_all(Weights::constant(0.1))
        .unwrap();
    let e = net
        .compile_batched(Backend::Cpu, 2)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("plastic") && e.contains("share"), "{e}");

    let mut net = Network::new().dt(1.0);
    let a = net.population("a", [2, 2, 2, 2], &lif).unwrap();
    let _ = a;
    let e = net
        .compile_batched(Backend::Cpu, 2)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("'a'") && e.contains("3 dimensions"), "{e}");

    let mut net = Network::new().dt(1.0);
    let s = net.poisson_population("s", 3, 10.0, None).unwrap();
    let r = net
        .population("r", 3, &Neuron::rate().equations("r = sum(exc)"))
        .unwrap();
    net.decoding_projection(s, r, "exc", 10.0)
        .name("decoder")
        .connect_all_to_all(Weights::constant(1.0))
        .unwrap();
    let e = net
        .compile_batched(Backend::Cpu, 2)
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("decoder") && e.contains("DecodingProjection"),
        "{e}"
    );
}

fn batched_kernels_validate() {
    let n = build();
    let names = validate_all(&n.net.batched(B).unwrap());
    assert!(names.iter().any(|k| k.starts_with("rate_sum")));
    assert!(names.iter().any(|k| k.starts_with("spike_propagate")));
    assert!(names.iter().any(|k| k.starts_with("spike_convolve")));
}

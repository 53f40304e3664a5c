//! The network API against expectations computed independently in the tests:
//! connectors (structure and W·x), psp operations, per-layer latency, rate
//! and spike delays, monitors, get/set, reset, determinism and errors.

use crate::common::{assert_close, tests, Tol};
use cajal::connect::Lil;
use cajal::network::ProjectionBuilder;
use cajal::prelude::*;
use ndarray::{Array2, ArrayD, IxDyn};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

tests! {
    cpu: [
        values_before_compiling_are_the_compiled_ones,
        all_to_all_constant_and_random_weights,
        one_to_one_is_the_diagonal,
        fixed_probability,
        fixed_number_pre_gives_the_in_degree,
        fixed_number_post_gives_the_out_degree,
        from_matrix_reproduces_the_entries,
        from_sparse_sorts_the_triplets,
        with_func_builds_the_lil,
        gaussian_weights_follow_the_formula,
        dog_weights_follow_the_formula,
        no_self_connections_unless_allowed,
        operations_with_a_custom_psp,
        one_step_of_latency_per_layer,
        uniform_rate_delay,
        per_synapse_rate_delays,
        spike_source_fires_when_told,
        uniform_spike_delay,
        per_synapse_spike_delays,
        monitor_period_start_pause_resume,
        spikes_are_sorted_by_step_then_neuron,
        get_and_set_values,
        simulate_until_stops_at_the_right_step,
        same_seed_same_network,
        errors_name_the_projection,
        projections_onto_the_same_target_add_up,
        set_converts_int_and_bool,
        adding_a_projection_keeps_the_others,
        random_values_are_reproducible,
        population_names_and_handles,
        large_populations_use_the_parallel_path,
        delays_between_computed_layers_and_loops,
        time_does_not_drift,
    ],
}

/// The tolerance of a value against its reference:
/// `|got - want| <= 1e-5 * (1 + |want|)`.
const TOL: Tol<f64> = Tol::rel_one_plus(1e-5);

// ---------------------------------------------------------------- helpers

fn input_neuron() -> Neuron {
    Neuron::rate().name("input").parameters("r = 0.0")
}

fn sum_neuron() -> Neuron {
    Neuron::rate().name("summer").equations("r = sum(exc)")
}

/// Random values in [-1, 1) from the test's own generator.
fn rand_vec(rng: &mut StdRng, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect()
}

fn shaped(dims: &[usize], v: Vec<f32>) -> ArrayD<f32> {
    ArrayD::from_shape_vec(IxDyn(dims), v).unwrap()
}

fn flat(a: &ArrayD<f32>) -> Vec<f32> {
    a.iter().copied().collect()
}

/// Synapses as (post, pre, w), checked to be strictly sorted by (post, pre).
type Syn = (Vec<u32>, Vec<u32>, Vec<f32>);

fn sorted_synapses(sim: &Simulation, proj: ProjId) -> Syn {
    let (post, pre, w) = sim.synapses(proj, "w").unwrap();
    assert_eq!(post.len(), pre.len());
    assert_eq!(post.len(), w.len());
    for i in 1..post.len() {
        assert!(
            (post[i - 1], pre[i - 1]) < (post[i], pre[i]),
            "synapses must be strictly sorted by (post, pre): {:?} then {:?}",
            (post[i - 1], pre[i - 1]),
            (post[i], pre[i])
        );
    }
    (post, pre, w)
}

/// y = W·x computed in f64 from the (post, pre, w) list.
fn mat_vec(syn: &Syn, n_post: usize, x: &[f32]) -> Vec<f64> {
    let mut y = vec![0.0f64; n_post];
    for k in 0..syn.0.len() {
        y[syn.0[k] as usize] += syn.2[k] as f64 * x[syn.1[k] as usize] as f64;
    }
    y
}

/// A rate chain: `in` (r a parameter) -> `out` (r = sum(exc)).
struct Chain {
    sim: Simulation,
    inp: PopId,
    out: PopId,
    proj: ProjId,
}

fn chain(
    pre: &[usize],
    post: &[usize],
    seed: u64,
    connect: impl FnOnce(ProjectionBuilder<'_>) -> cajal::Result<ProjId>,
) -> Chain {
    let mut net = Network::new().dt(1.0).seed(seed);
    let inp = net.population("in", pre, &input_neuron()).unwrap();
    let out = net.population("out", post, &sum_neuron()).unwrap();
    let proj = connect(net.projection(inp, out, "exc")).unwrap();
    let sim = net.compile(Backend::Cpu).unwrap();
    Chain {
        sim,
        inp,
        out,
        proj,
    }
}

/// Sets random inputs and checks that `out.r == W·x` after 1 and 2 steps;
/// returns the synapses.
fn check_product(c: &mut Chain, seed: u64) -> Syn {
    let syn = sorted_synapses(&c.sim, c.proj);
    let pre_dims = c.sim.get(c.inp, "r").unwrap().shape().to_vec();
    let n_pre: usize = pre_dims.iter().product();
    let n_post = c.sim.get(c.out, "r").unwrap().len();
    assert!(syn.0.iter().all(|&p| (p as usize) < n_post));
    assert!(syn.1.iter().all(|&p| (p as usize) < n_pre));
    let x = rand_vec(&mut StdRng::seed_from_u64(seed), n_pre);
    c.sim.set(c.inp, "r", shaped(&pre_dims, x.clone())).unwrap();
    let expected = mat_vec(&syn, n_post, &x);
    for step in 1..=2 {
        c.sim.step().unwrap();
        let got = flat(&c.sim.get(c.out, "r").unwrap());
        assert_close(&got, &expected, TOL, &format!("W·x after {step} step(s)"));
    }
    syn
}

fn in_degrees(syn: &Syn, n_post: usize) -> Vec<usize> {
    let mut d = vec![0; n_post];
    syn.0.iter().for_each(|&p| d[p as usize] += 1);
    d
}

fn out_degrees(syn: &Syn, n_pre: usize) -> Vec<usize> {
    let mut d = vec![0; n_pre];
    syn.1.iter().for_each(|&p| d[p as usize] += 1);
    d
}

/// Normalised coordinate of ANNarchy's spatial connectors.
fn norm(c: usize, n: usize) -> f64 {
    if n > 1 {
        c as f64 / (n - 1) as f64
    } else {
        0.0
    }
}

fn coords(dims: &[usize], mut rank: usize) -> Vec<usize> {
    let mut c = vec![0; dims.len()];
    for k in (0..dims.len()).rev() {
        c[k] = rank % dims[k];
        rank /= dims[k];
    }
    c
}

fn dist2(pre: &[usize], j: usize, post: &[usize], i: usize) -> f64 {
    let (a, b) = (coords(pre, j), coords(post, i));
    (0..pre.len())
        .map(|k| (norm(a[k], pre[k]) - norm(b[k], post[k])).powi(2))
        .sum()
}

/// The (post, pre, w) a spatial kernel should create between two geometries.
fn spatial_expected(
    pre: &[usize],
    post: &[usize],
    no_self: bool,
    threshold: f64,
    kernel: impl Fn(f64) -> f64,
) -> Vec<(u32, u32, f32)> {
    let (np, nq): (usize, usize) = (pre.iter().product(), post.iter().product());
    let mut v = Vec::new();
    for i in 0..nq {
        for j in 0..np {
            if no_self && i == j {
                continue;
            }
            let w = kernel(dist2(pre, j, post, i));
            if w.abs() > threshold {
                v.push((i as u32, j as u32, w as f32));
            }
        }
    }
    v
}

fn triplets(syn: &Syn) -> Vec<(u32, u32, f32)> {
    (0..syn.0.len())
        .map(|k| (syn.0[k], syn.1[k], syn.2[k]))
        .collect()
}

fn assert_same_triplets(got: &[(u32, u32, f32)], expected: &[(u32, u32, f32)], what: &str) {
    assert_eq!(got.len(), expected.len(), "{what}: number of synapses");
    for (g, e) in got.iter().zip(expected) {
        assert_eq!((g.0, g.1), (e.0, e.1), "{what}: synapse pair");
        assert!(
            (g.2 - e.2).abs() <= 1e-6 * (1.0 + e.2.abs()),
            "{what}: weight of {} -> {} is {}, expected {}",
            g.1,
            g.0,
            g.2,
            e.2
        );
    }
}

// ------------------------------------------------------- 1. connectors

fn all_to_all_constant_and_random_weights() {
    let mut c = chain(&[7], &[5], 1, |b| {
        b.connect_all_to_all(Weights::constant(0.5))
    });
    let syn = check_product(&mut c, 10);
    assert_eq!(syn.0.len(), 35);
    let expected: Vec<(u32, u32)> = (0..5).flat_map(|i| (0..7).map(move |j| (i, j))).collect();
    let got: Vec<(u32, u32)> = syn.0.iter().copied().zip(syn.1.iter().copied()).collect();
    assert_eq!(got, expected);
    assert!(syn.2.iter().all(|&w| w == 0.5));

    let mut c = chain(&[3, 4], &[2, 3], 2, |b| {
        b.connect_all_to_all(Weights::random(Dist::uniform(0.1, 0.3)))
    });
    let syn = check_product(&mut c, 11);
    assert_eq!(syn.0.len(), 72);
    assert!(syn.2.iter().all(|&w| (0.1..0.3).contains(&w)));
    assert!(
        syn.2.iter().any(|&w| w != syn.2[0]),
        "random weights all equal"
    );
}

fn one_to_one_is_the_diagonal() {
    let mut c = chain(&[3, 4], &[12], 3, |b| {
        b.connect_one_to_one(Weights::random(Dist::normal(0.0, 1.0)))
    });
    let syn = check_product(&mut c, 12);
    assert_eq!(syn.0, (0..12).collect::<Vec<u32>>());
    assert_eq!(syn.1, (0..12).collect::<Vec<u32>>());
    assert!(syn.2.iter().any(|&w| w < 0.0) && syn.2.iter().any(|&w| w > 0.0));
}

fn fixed_probability() {
    let mut c = chain(&[20], &[15], 4, |b| {
        b.connect_fixed_probability(0.3, Weights::random(Dist::uniform(-1.0, 1.0)))
    });
    let syn = check_product(&mut c, 13);
    // 300 pairs, p = 0.3: mean 90, sd ~ 7.9.
    assert!(
        (50..=130).contains(&syn.0.len()),
        "{} synapses",
        syn.0.len()
    );

    let mut c = chain(&[6], &[4], 5, |b| {
        b.connect_fixed_probability(1.0, Weights::constant(1.0))
    });
    assert_eq!(check_product(&mut c, 14).0.len(), 24);
    let mut c = chain(&[6], &[4], 5, |b| {
        b.connect_fixed_probability(0.0, Weights::constant(1.0))
    });
    let syn = check_product(&mut c, 15);
    assert!(syn.0.is_empty());
}

fn fixed_number_pre_gives_the_in_degree() {
    let mut c = chain(&[10], &[12], 6, |b| {
        b.connect_fixed_number_pre(4, Weights::random(Dist::uniform(0.0, 1.0)))
    });
    let syn = check_product(&mut c, 16);
    assert!(in_degrees(&syn, 12).iter().all(|&d| d == 4));
    // Different posts draw different pre sets (not all the same).
    let first: Vec<u32> = syn.1[..4].to_vec();
    assert!((1..12).any(|i| syn.1[i * 4..i * 4 + 4] != first[..]));
}

fn fixed_number_post_gives_the_out_degree() {
    let mut c = chain(&[10], &[12], 7, |b| {
        b.connect_fixed_number_post(3, Weights::random(Dist::normal(0.5, 0.2)))
    });
    let syn = check_product(&mut c, 17);
    assert!(out_degrees(&syn, 10).iter().all(|&d| d == 3));
    assert_eq!(syn.0.len(), 30);
}

fn from_matrix_reproduces_the_entries() {
    let mut rng = StdRng::seed_from_u64(99);
    let m = Array2::from_shape_fn((6, 5), |(i, j)| {
        if (i + 2 * j) % 3 == 0 {
            f32::NAN
        } else if i == 1 && j == 0 {
            0.0 // a synapse of weight 0
        } else {
            rng.random_range(-2.0f32..2.0)
        }
    });
    let m2 = m.clone();
    let mut c = chain(&[5], &[6], 8, move |b| b.connect_from_matrix(m2));
    let syn = check_product(&mut c, 18);
    let expected: Vec<(u32, u32, f32)> = m
        .indexed_iter()
        .filter(|(_, x)| !x.is_nan())
        .map(|((i, j), &x)| (i as u32, j as u32, x))
        .collect();
    assert!(expected.iter().any(|e| e.2 == 0.0));
    assert_eq!(triplets(&syn), expected);
}

fn from_sparse_sorts_the_triplets() {
    let post = vec![2u32, 0, 3, 0, 2, 1];
    let pre = vec![1u32, 4, 0, 0, 3, 2];
    let w = vec![0.5f32, -1.0, 2.0, 0.25, 1.5, -0.75];
    let (p2, q2, w2) = (post.clone(), pre.clone(), w.clone());
    let mut c = chain(&[5], &[4], 9, move |b| {
        b.connect_from_sparse(p2, q2, w2, None)
    });
    let syn = check_product(&mut c, 19);
    let mut expected: Vec<(u32, u32, f32)> = (0..6).map(|k| (post[k], pre[k], w[k])).collect();
    expected.sort_by_key(|t| (t.0, t.1));
    assert_eq!(triplets(&syn), expected);
}

fn with_func_builds_the_lil() {
    // Post i receives from pre i, i + 1 and i + 3 (mod n_pre), weight 0.1 * (i + 1) - 0.05 * j;
    // the entries are given in reverse post order and unsorted pre order.
    let f = |pre: &Geometry, post: &Geometry, _rng: &mut StdRng| {
        let (np, nq) = (pre.size() as u32, post.size() as u32);
        let mut lil = Lil::default();
        for i in (0..nq).rev() {
            let pres = vec![(i + 3) % np, i % np, (i + 1) % np];
            lil.w.push(
                pres.iter()
                    .map(|&j| 0.1 * (i + 1) as f32 - 0.05 * j as f32)
                    .collect(),
            );
            lil.pre.push(pres);
            lil.post.push(i);
        }
        lil
    };
    let mut c = chain(&[7], &[2, 3], 10, move |b| b.connect_with_func(f));
    let syn = check_product(&mut c, 20);
    let mut expected = Vec::new();
    for i in 0..6u32 {
        let mut pres = vec![i % 7, (i + 1) % 7, (i + 3) % 7];
        pres.sort();
        for j in pres {
            expected.push((i, j, 0.1 * (i + 1) as f32 - 0.05 * j as f32));
        }
    }
    assert_eq!(triplets(&syn), expected);
}

fn gaussian_weights_follow_the_formula() {
    let (pre, post) = ([6usize, 5], [4usize, 4]);
    let (amp, sigma, limit) = (1.5f32, 0.3f64, 0.05f64);
    let mut c = chain(&pre, &post, 11, |b| b.connect_gaussian(amp, sigma, limit));
    let syn = check_product(&mut c, 21);
    let a = amp as f64;
    let expected = spatial_expected(&pre, &post, false, limit * a, |d2| {
        a * (-d2 / (2.0 * sigma * sigma)).exp()
    });
    assert!(
        !expected.is_empty() && expected.len() < 30 * 16,
        "the limit must cut some synapses"
    );
    assert_same_triplets(&triplets(&syn), &expected, "gaussian");
}

fn dog_weights_follow_the_formula() {
    let (pre, post) = ([5usize, 5], [3usize, 4]);
    let (ap, sp, an, sn, limit) = (1.0f32, 0.2f64, 0.5f32, 0.5f64, 0.05f64);
    let mut c = chain(&pre, &post, 12, |b| b.connect_dog(ap, sp, an, sn, limit));
    let syn = check_product(&mut c, 22);
    let (ap, an) = (ap as f64, an as f64);
    let expected = spatial_expected(&pre, &post, false, limit * (ap - an).abs(), |d2| {
        ap * (-d2 / (2.0 * sp * sp)).exp() - an * (-d2 / (2.0 * sn * sn)).exp()
    });
    assert!(expected.iter().any(|t| t.2 < 0.0) && expected.iter().any(|t| t.2 > 0.0));
    assert_same_triplets(&triplets(&syn), &expected, "dog");
}

/// A recurrent projection of one population onto itself.
fn recurrent(
    allow: bool,
    connect: impl FnOnce(ProjectionBuilder<'_>) -> cajal::Result<ProjId>,
) -> cajal::Result<Syn> {
    let mut net = Network::new().seed(3);
    let p = net.population("p", [3usize, 3], &sum_neuron())?;
    let proj = connect(net.projection(p, p, "exc").allow_self_connections(allow))?;
    let sim = net.compile(Backend::Cpu)?;
    Ok(sorted_synapses(&sim, proj))
}

fn no_self_connections_unless_allowed() {
    let w = || Weights::constant(1.0);
    let d = Delays::none;
    type Conn = fn(ProjectionBuilder<'_>) -> cajal::Result<ProjId>;
    let cases: Vec<(&str, Conn)> = vec![
        ("all_to_all", |b| {
            b.connect_all_to_all(Weights::constant(1.0))
        }),
        ("fixed_probability", |b| {
            b.connect_fixed_probability(1.0, Weights::constant(1.0))
        }),
        ("fixed_number_pre", |b| {
            b.connect_fixed_number_pre(5, Weights::constant(1.0))
        }),
        ("fixed_number_post", |b| {
            b.connect_fixed_number_post(5, Weights::constant(1.0))
        }),
        ("gaussian", |b| b.connect_gaussian(1.0, 10.0, 0.0)),
        ("dog", |b| b.connect_dog(2.0, 10.0, 1.0, 20.0, 0.0)),
    ];
    for (name, conn) in cases {
        let syn = recurrent(false, conn).unwrap();
        assert!(!syn.0.is_empty(), "{name}");
        assert!(
            (0..syn.0.len()).all(|k| syn.0[k] != syn.1[k]),
            "{name}: self connection"
        );
        if name == "all_to_all"
            || name == "fixed_probability"
            || name == "gaussian"
            || name == "dog"
        {
            assert_eq!(syn.0.len(), 72, "{name}: every other pair");
        }
        let syn = recurrent(true, conn).unwrap();
        if name != "fixed_number_pre" && name != "fixed_number_post" {
            assert_eq!(syn.0.len(), 81, "{name}: with self connections");
        }
    }
    // All 9 pre neurons: possible only with self connections.
    assert!(recurrent(false, |b| b
        .connect_fixed_number_pre(9, Weights::constant(1.0)))
    .is_err());
    let syn = recurrent(true, |b| b.delays(d()).connect_fixed_number_pre(9, w())).unwrap();
    assert_eq!(syn.0.len(), 81);
    let syn = recurrent(true, |b| b.delays(d()).connect_fixed_number_post(9, w())).unwrap();
    assert_eq!(syn.0.len(), 81);
    // one_to_one onto itself is the diagonal: self connections are the point.
    let syn = recurrent(false, |b| b.delays(d()).connect_one_to_one(w())).unwrap();
    assert_eq!(syn.0, (0..9).collect::<Vec<u32>>());
}

// ------------------------------------------------------- 2. operations

fn operations_with_a_custom_psp() {
    // post 3 has no synapse: every operation gives 0 there.
    let post = vec![0u32, 0, 0, 1, 2, 2, 0, 1];
    let pre = vec![0u32, 2, 5, 1, 3, 4, 4, 5];
    let w = vec![0.5f32, -1.0, 2.0, 0.25, 1.5, -0.75, 0.3, 1.2];
    let x = [0.4f32, -0.9, 0.7, 0.2, -0.5, 1.1];
    let bias = [0.1f32, -0.2, 0.3, 0.05];
    for op in [
        Operation::Sum,
        Operation::Max,
        Operation::Min,
        Operation::Mean,
    ] {
        for custom in [true, false] {
            let mut syn = Synapse::new().name("custom").operation(op);
            if custom {
                syn = syn.psp("w * pre.r^2 + post.bias");
            }
            let mut net = Network::new();
            let inp = net.population("in", 6, &input_neuron()).unwrap();
            let out = net
                .population(
                    "out",
                    4,
                    &Neuron::rate()
                        .parameters("bias = 0.0")
                        .equations("r = sum(exc)"),
                )
                .unwrap();
            net.projection(inp, out, "exc")
                .synapse(&syn)
                .connect_from_sparse(post.clone(), pre.clone(), w.clone(), None)
                .unwrap();
            let mut sim = net.compile(Backend::Cpu).unwrap();
            sim.set(inp, "r", x.to_vec()).unwrap();
            sim.set(out, "bias", bias.to_vec()).unwrap();
            sim.step().unwrap();
            let mut rows: Vec<Vec<f64>> = vec![Vec::new(); 4];
            for k in 0..post.len() {
                let (i, j) = (post[k] as usize, pre[k] as usize);
                let psp = if custom {
                    w[k] as f64 * (x[j] as f64).powi(2) + bias[i] as f64
                } else {
                    w[k] as f64 * x[j] as f64
                };
                rows[i].push(psp);
            }
            let expected: Vec<f64> = rows
                .iter()
                .map(|r| {
                    if r.is_empty() {
                        return 0.0;
                    }
                    match op {
                        Operation::Sum => r.iter().sum(),
                        Operation::Max => r.iter().copied().fold(f64::MIN, f64::max),
                        Operation::Min => r.iter().copied().fold(f64::MAX, f64::min),
                        Operation::Mean => r.iter().sum::<f64>() / r.len() as f64,
                    }
                })
                .collect();
            let got = flat(&sim.get(out, "r").unwrap());
            assert_close(
                &got,
                &expected,
                TOL,
                &format!("{op:?}, custom psp {custom}"),
            );
        }
    }
}

// ------------------------------------------------------- 3. latency

fn one_step_of_latency_per_layer() {
    let mut net = Network::new().dt(0.25);
    let inp = net.population("in", 3, &input_neuron()).unwrap();
    let mut layers = Vec::new();
    let mut prev = inp;
    for k in 1..=3 {
        let l = net.population(&format!("L{k}"), 3, &sum_neuron()).unwrap();
        net.projection(prev, l, "exc")
            .connect_one_to_one(Weights::constant(2.0))
            .unwrap();
        layers.push((l, net.monitor(l, &["r"]).unwrap()));
        prev = l;
    }
    let mut sim = net.compile(Backend::Cpu).unwrap();
    let x = [1.0f32, -0.5, 0.25];
    let change = 4u64; // set before step 4
    sim.simulate(change as f64 * 0.25).unwrap();
    sim.set(inp, "r", x.to_vec()).unwrap();
    sim.simulate(6.0 * 0.25).unwrap();
    for (k, (_, m)) in layers.iter().enumerate() {
        let k = k as u64 + 1;
        let rec = sim.recorded(*m, "r").unwrap();
        assert_eq!(rec.dim(), (10, 3));
        assert_eq!(sim.sample_steps(*m).unwrap(), (0..10).collect::<Vec<u64>>());
        for s in 0..10u64 {
            // Changed during step change + k - 1, i.e. k steps after it was set.
            let gain = 2f32.powi(k as i32);
            for n in 0..3 {
                let expected = if s + 1 >= change + k {
                    gain * x[n]
                } else {
                    0.0
                };
                assert_eq!(
                    rec[[s as usize, n]],
                    expected,
                    "L{k} at step {s}, neuron {n}"
                );
            }
        }
    }
}

// ------------------------------------------------------- 4. rate delays

/// Runs `steps` steps with a fresh random input before each; returns the
/// inputs and the output after each step.
fn drive(
    sim: &mut Simulation,
    inp: PopId,
    out: PopId,
    n_in: usize,
    steps: usize,
    seed: u64,
) -> (Vec<Vec<f32>>, Vec<Vec<f32>>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for _ in 0..steps {
        let x = rand_vec(&mut rng, n_in);
        sim.set(inp, "r", x.clone()).unwrap();
        sim.step().unwrap();
        xs.push(x);
        ys.push(flat(&sim.get(out, "r").unwrap()));
    }
    (xs, ys)
}

/// The output expected at step s: sum_k gain * w_k * x_{s - d_k + 1}[pre_k]
/// (0 before the first input).
fn delayed_expected(
    syn: &Syn,
    delays: &[u32],
    n_post: usize,
    xs: &[Vec<f32>],
    s: usize,
    gain: f64,
) -> Vec<f64> {
    let mut y = vec![0.0; n_post];
    for k in 0..syn.0.len() {
        let back = delays[k] as usize - 1;
        if s >= back {
            y[syn.0[k] as usize] += gain * syn.2[k] as f64 * xs[s - back][syn.1[k] as usize] as f64;
        }
    }
    y
}

fn uniform_rate_delay() {
    let dt = 0.5;
    let mut net = Network::new().dt(dt).seed(5);
    let inp = net.population("in", 4, &input_neuron()).unwrap();
    let out = net.population("out", 3, &sum_neuron()).unwrap();
    let proj = net
        .projection(inp, out, "exc")
        .delays(3.0 * dt)
        .connect_all_to_all(Weights::random(Dist::uniform(-1.0, 1.0)))
        .unwrap();
    assert!(net
        .proj(proj)
        .unwrap()
        .synapses
        .delay
        .iter()
        .all(|&d| d == 4));
    let mut sim = net.compile(Backend::Cpu).unwrap();
    let syn = sorted_synapses(&sim, proj);
    let (xs, ys) = drive(&mut sim, inp, out, 4, 12, 7);
    for (s, y) in ys.iter().enumerate() {
        // Three steps before the previous step's r, as ANNarchy's.
        let expected = delayed_expected(&syn, &[4; 12], 3, &xs, s, 1.0);
        if s < 3 {
            assert!(expected.iter().all(|&e| e == 0.0));
        }
        assert_close(y, &expected, TOL, &format!("step {s}"));
    }
    // The same after a reset (the history restarts from the initial values).
    sim.reset().unwrap();
    let (xs, ys) = drive(&mut sim, inp, out, 4, 6, 8);
    for (s, y) in ys.iter().enumerate() {
        assert_close(
            y,
            &delayed_expected(&syn, &[4; 12], 3, &xs, s, 1.0),
            TOL,
            &format!("after reset, step {s}"),
        );
    }
}

fn per_synapse_rate_delays() {
    let dt = 0.5;
    // from_sparse with delays in ms: D = round(ms / dt) steps before the
    // previous step's r from two steps up, stored as D + 1; none and one
    // step are stored as 1 (0 and dt: 1, 1.0 ms: 3, 2.6 ms: 6), as
    // ANNarchy's (tests/data/annarchy/rate_delays).
    let delays_ms = vec![0.0, 0.5, 1.0, 1.5, 2.0, 1.0, 2.6];
    let expected_steps: Vec<u32> = delays_ms
        .iter()
        .map(|&ms: &f64| match (ms / dt).round() as u32 {
            d if d <= 1 => 1,
            d => d + 1,
        })
        .collect();
    let post = vec![0u32, 0, 1, 1, 2, 2, 2];
    let pre = vec![0u32, 1, 1, 2, 0, 2, 3];
    let w = vec![0.5f32, -1.0, 2.0, 0.25, 1.5, 0.3, -0.75];
    for custom_psp in [false, true] {
        let mut net = Network::new().dt(dt);
        let inp = net.population("in", 4, &input_neuron()).unwrap();
        let out = net.population("out", 3, &sum_neuron()).unwrap();
        let mut b = net.projection(inp, out, "exc");
        if custom_psp {
            b = b.synapse(&Synapse::new().psp("2.0 * w * pre.r"));
        }
        let proj = b
            .connect_from_sparse(
                post.clone(),
                pre.clone(),
                w.clone(),
                Some(delays_ms.clone()),
            )
            .unwrap();
        let d = net.proj(proj).unwrap().synapses.delay.clone();
        assert_eq!(d, expected_steps, "already in (post, pre) order");
        let mut sim = net.compile(Backend::Cpu).unwrap();
        let syn = sorted_synapses(&sim, proj);
        let (xs, ys) = drive(&mut sim, inp, out, 4, 10, 9);
        let gain = if custom_psp { 2.0 } else { 1.0 };
        for (s, y) in ys.iter().enumerate() {
            assert_close(
                y,
                &delayed_expected(&syn, &d, 3, &xs, s, gain),
                TOL,
                &format!("custom psp {custom_psp}, step {s}"),
            );
        }
    }

    // Random delays (whole steps) on a random connector.
    let mut net = Network::new().dt(1.0).seed(21);
    let inp = net.population("in", 6, &input_neuron()).unwrap();
    let out = net.population("out", 5, &sum_neuron()).unwrap();
    let proj = net
        .projection(inp, out, "exc")
        .delays(Delays::random(Dist::discrete_uniform(1.0, 4.0)))
        .connect_fixed_number_pre(4, Weights::random(Dist::uniform(0.0, 1.0)))
        .unwrap();
    let d = net.proj(proj).unwrap().synapses.delay.clone();
    assert!(d.iter().all(|&x| [1, 3, 4, 5].contains(&x)));
    assert!(d.iter().any(|&x| x != d[0]), "random delays all equal");
    let mut sim = net.compile(Backend::Cpu).unwrap();
    let syn = sorted_synapses(&sim, proj);
    let (xs, ys) = drive(&mut sim, inp, out, 6, 10, 10);
    for (s, y) in ys.iter().enumerate() {
        assert_close(
            y,
            &delayed_expected(&syn, &d, 5, &xs, s, 1.0),
            TOL,
            &format!("random delays, step {s}"),
        );
    }
}

// ------------------------------------------------------- 5. spike delays

/// Neuron i fires once, at step ceil(at_i - 1) (v counts the steps from 1).
fn one_shot() -> Neuron {
    Neuron::spiking()
        .name("one shot")
        .parameters("at = 0.0")
        .equations("v = v + 1")
        .spike("v > at")
        .reset("v = -1000000000.0")
}

fn receiver() -> Neuron {
    Neuron::spiking()
        .name("receiver")
        .equations("v = g_exc")
        .spike("v > 1000000.0")
}

/// Source (3 neurons firing at steps 2, 0 and 5) -> receiver (2 neurons);
/// returns the recorded g_exc [steps, 2] and the source spikes.
fn spike_run(
    dt: f64,
    syn: Option<&Synapse>,
    connect: impl FnOnce(ProjectionBuilder<'_>) -> cajal::Result<ProjId>,
) -> (Array2<f32>, Vec<(u64, u32)>, Vec<u32>) {
    let mut net = Network::new().dt(dt);
    let src = net.population("src", 3, &one_shot()).unwrap();
    net.set(src, "at", vec![2.5f32, 0.5, 5.5]).unwrap();
    let dst = net.population("dst", 2, &receiver()).unwrap();
    let mut b = net.projection(src, dst, "exc");
    if let Some(s) = syn {
        b = b.synapse(s);
    }
    let proj = connect(b).unwrap();
    let delays = net.proj(proj).unwrap().synapses.delay.clone();
    let ms = net.monitor(src, &["spike"]).unwrap();
    let mg = net.monitor(dst, &["g_exc"]).unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    sim.simulate(20.0 * dt).unwrap();
    let (g, spikes) = (sim.recorded(mg, "g_exc").unwrap(), sim.spikes(ms).unwrap());
    // A reset clears the spikes in flight: the replay is identical.
    sim.simulate(3.0 * dt).unwrap();
    sim.reset().unwrap();
    sim.simulate(20.0 * dt).unwrap();
    assert_eq!(sim.recorded(mg, "g_exc").unwrap(), g, "replay after reset");
    assert_eq!(sim.spikes(ms).unwrap(), spikes, "replay after reset");
    (g, spikes, delays)
}

const FIRE: [u64; 3] = [2, 0, 5];

fn spike_source_fires_when_told() {
    let (_, spikes, _) = spike_run(1.0, None, |b| b.connect_all_to_all(Weights::constant(1.0)));
    assert_eq!(spikes, vec![(0, 1), (2, 0), (5, 2)]);
}

fn spike_expected(
    post: &[u32],
    pre: &[u32],
    w: &[f32],
    delays: &[u32],
    steps: usize,
) -> Array2<f32> {
    let mut g = Array2::zeros((steps, 2));
    for k in 0..post.len() {
        let s = (FIRE[pre[k] as usize] + delays[k] as u64) as usize;
        if s < steps {
            g[[s, post[k] as usize]] += w[k];
        }
    }
    g
}

fn uniform_spike_delay() {
    let dt = 0.5;
    for (ms, steps) in [(0.0, 1u32), (dt, 1), (2.0, 4), (3.1, 6)] {
        let (g, spikes, delays) = spike_run(dt, None, |b| {
            b.delays(ms).connect_all_to_all(Weights::constant(0.7))
        });
        assert_eq!(spikes, vec![(0, 1), (2, 0), (5, 2)]);
        assert!(delays.iter().all(|&d| d == steps));
        let post: Vec<u32> = (0..2).flat_map(|i| [i; 3]).collect();
        let pre: Vec<u32> = (0..2).flat_map(|_| 0..3).collect();
        let expected = spike_expected(&post, &pre, &[0.7; 6], &[steps; 6], 20);
        assert_eq!(g, expected, "delay {ms} ms = {steps} steps");
        // Nonzero exactly at fire step + delay.
        for s in 0..20u64 {
            let hit = FIRE.iter().any(|&f| f + steps as u64 == s);
            assert_eq!(g[[s as usize, 0]] != 0.0, hit, "step {s}, delay {steps}");
        }
    }
}

fn per_synapse_spike_delays() {
    let post = vec![0u32, 0, 1, 1, 1];
    let pre = vec![0u32, 2, 0, 1, 2];
    let w = vec![0.5f32, 2.0, 1.5, -0.25, 4.0];
    let delays_ms = vec![3.0, 1.0, 7.0, 2.0, 0.0];
    let steps: Vec<u32> = vec![3, 1, 7, 2, 1];
    let expected = spike_expected(&post, &pre, &w, &steps, 20);
    let (g, _, d) = spike_run(1.0, None, |b| {
        b.connect_from_sparse(
            post.clone(),
            pre.clone(),
            w.clone(),
            Some(delays_ms.clone()),
        )
    });
    assert_eq!(d, steps);
    assert_eq!(g, expected, "default pre_spike");
    // The general event path (custom pre_spike) with the same delays.
    let syn = Synapse::new().pre_spike("g_target += 2 * w");
    let (g, _, _) = spike_run(1.0, Some(&syn), |b| {
        b.connect_from_sparse(
            post.clone(),
            pre.clone(),
            w.clone(),
            Some(delays_ms.clone()),
        )
    });
    assert_eq!(g, expected.mapv(|x| 2.0 * x), "custom pre_spike");
    // Random delays, checked against the delays the connector drew.
    let (g, _, d) = spike_run(1.0, None, |b| {
        b.delays(Delays::random(Dist::discrete_uniform(1.0, 6.0)))
            .connect_all_to_all(Weights::constant(1.0))
    });
    let post: Vec<u32> = (0..2).flat_map(|i| [i; 3]).collect();
    let pre: Vec<u32> = (0..2).flat_map(|_| 0..3).collect();
    assert_eq!(
        g,
        spike_expected(&post, &pre, &[1.0; 6], &d, 20),
        "random delays {d:?}"
    );
}

// ------------------------------------------------------- 6. monitors

fn counter() -> Neuron {
    // After step k, r = k + 1.
    Neuron::rate().name("counter").equations("r = r + 1")
}

fn monitor_period_start_pause_resume() {
    let dt = 0.5;
    let mut net = Network::new().dt(dt);
    let p = net.population("p", 2, &counter()).unwrap();
    let every3 = net.monitor_with(p, &["r"], 3.0 * dt, true).unwrap();
    let later = net.monitor_with(p, &["r"], 2.0 * dt, false).unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    sim.simulate(10.0 * dt).unwrap();
    assert_eq!(sim.sample_steps(every3).unwrap(), vec![0, 3, 6, 9]);
    let rec = sim.recorded(every3, "r").unwrap();
    assert_eq!(rec.dim(), (4, 2));
    for (i, s) in [0u64, 3, 6, 9].iter().enumerate() {
        assert_eq!(rec.row(i).to_vec(), vec![(s + 1) as f32; 2]);
    }
    assert!(sim.sample_steps(later).unwrap().is_empty());
    assert_eq!(sim.recorded(later, "r").unwrap().dim(), (0, 2));

    sim.resume(every3).unwrap(); // already running: no change of phase
    sim.resume(later).unwrap(); // at step 10: the period counts from here
    sim.simulate(5.0 * dt).unwrap(); // steps 10..15
    assert_eq!(sim.sample_steps(later).unwrap(), vec![10, 12, 14]);
    sim.pause(later).unwrap();
    sim.pause(every3).unwrap();
    sim.simulate(4.0 * dt).unwrap(); // steps 15..19: nothing
    assert_eq!(sim.sample_steps(later).unwrap(), vec![10, 12, 14]);
    assert_eq!(sim.sample_steps(every3).unwrap(), vec![0, 3, 6, 9, 12]);
    sim.resume(later).unwrap(); // at step 19
    sim.simulate(3.0 * dt).unwrap();
    assert_eq!(sim.sample_steps(later).unwrap(), vec![10, 12, 14, 19, 21]);
    let rec = sim.recorded(later, "r").unwrap();
    assert_eq!(rec.column(0).to_vec(), vec![11.0, 13.0, 15.0, 20.0, 22.0]);

    // Reset empties the monitors and restores their start state.
    sim.reset().unwrap();
    assert!(sim.sample_steps(every3).unwrap().is_empty());
    sim.simulate(4.0 * dt).unwrap();
    assert_eq!(sim.sample_steps(every3).unwrap(), vec![0, 3]);
    assert!(sim.sample_steps(later).unwrap().is_empty());
    // Unknown recorded variable.
    assert!(matches!(
        sim.recorded(every3, "x"),
        Err(Error::Unknown { .. })
    ));
}

fn spikes_are_sorted_by_step_then_neuron() {
    // Neuron i adds inc_i each step and fires at v >= 1 (reset to 0):
    // inc 1 fires every step, 0.5 every 2nd (steps 1, 3...), 0.25 every 4th (3, 7...).
    let inc = [0.25f32, 1.0, 0.5, 0.25, 1.0];
    let mut net = Network::new().dt(1.0);
    let p = net
        .population(
            "p",
            5,
            &Neuron::spiking()
                .parameters("inc = 0.0")
                .equations("v = v + inc")
                .spike("v >= 1.0")
                .reset("v = 0.0"),
        )
        .unwrap();
    net.set(p, "inc", inc.to_vec()).unwrap();
    let m = net.monitor(p, &["spike", "v"]).unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    sim.simulate(12.0).unwrap();
    let mut expected = Vec::new();
    for s in 0..12u64 {
        for (i, &x) in inc.iter().enumerate() {
            let period = (1.0 / x).round() as u64;
            if (s + 1) % period == 0 {
                expected.push((s, i as u32));
            }
        }
    }
    let spikes = sim.spikes(m).unwrap();
    assert_eq!(spikes, expected);
    assert!(spikes.windows(2).all(|w| w[0] < w[1]));
    let rec = sim.recorded(m, "v").unwrap();
    assert_eq!(rec.dim(), (12, 5));
    assert_eq!(rec[[3, 0]], 0.0, "v is reset after a spike");
    assert_eq!(rec[[2, 0]], 0.75);
    // Rate: (3 + 12 + 6 + 3 + 12) spikes / 5 neurons / 12 ms.
    let rate = sim.population_rate(m, 12.0).unwrap();
    assert!((rate - 36.0 / 5.0 / 0.012).abs() < 1e-9, "{rate}");
    // A rate population has no spikes to record.
    let mut net = Network::new();
    let r = net.population("r", 2, &counter()).unwrap();
    assert!(net.monitor(r, &["spike"]).is_err());
    assert!(matches!(
        net.monitor(r, &["nope"]),
        Err(Error::Unknown { .. })
    ));
    let m = net.monitor(r, &["r"]).unwrap();
    let sim = net.compile(Backend::Cpu).unwrap();
    assert!(sim.spikes(m).is_err());
}

// ------------------------------------------------------- 7. get / set

fn three_d() -> (Network, PopId) {
    let mut net = Network::new().dt(1.0).seed(17);
    let p = net
        .population(
            "cube",
            [2usize, 3, 4],
            &Neuron::rate()
                .name("cube model")
                .parameters("a = 1.5 : population\n b = 2.0")
                .equations("r = a * b + t"),
        )
        .unwrap();
    (net, p)
}

fn get_and_set_values() {
    let (mut net, p) = three_d();
    // Set before compiling: kept by reset().
    let b0: Vec<f32> = (0..24).map(|i| i as f32 * 0.5).collect();
    net.set(p, "b", b0.clone()).unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();

    let b = sim.get(p, "b").unwrap();
    assert_eq!(b.shape(), &[2, 3, 4]);
    assert_eq!(flat(&b), b0);
    let a = sim.get(p, "a").unwrap();
    assert_eq!(a.ndim(), 0, "population-wide parameter: 0-d array");
    assert_eq!(a[IxDyn(&[])], 1.5);

    // Coordinates are row-major.
    assert_eq!(sim.get_at(p, &[1, 2, 3], "b").unwrap(), b0[12 + 8 + 3]);
    assert_eq!(b[[1, 2, 3]], b0[23]);
    sim.set_at(p, &[1, 0, 2], "b", -7.0).unwrap();
    assert_eq!(sim.get_neuron(p, 12 + 2, "b").unwrap(), -7.0);
    sim.set_neuron(p, 5, "b", 9.0).unwrap();
    assert_eq!(sim.get_at(p, &[0, 1, 1], "b").unwrap(), 9.0);
    assert!(matches!(
        sim.get_at(p, &[2, 0, 0], "b"),
        Err(Error::Shape { .. })
    ));
    assert!(matches!(
        sim.get_at(p, &[0, 0], "b"),
        Err(Error::Shape { .. })
    ));
    assert!(sim.get_neuron(p, 24, "b").is_err());
    assert!(
        sim.set_neuron(p, 0, "a", 1.0).is_err(),
        "a is population-wide"
    );
    assert_eq!(sim.get_neuron(p, 7, "a").unwrap(), 1.5);

    // Scalar, geometry-shaped, flat, distribution.
    sim.set(p, "b", 3.0).unwrap();
    assert!(sim.get(p, "b").unwrap().iter().all(|&x| x == 3.0));
    let cube = ArrayD::from_shape_fn(IxDyn(&[2, 3, 4]), |i| {
        (i[0] * 100 + i[1] * 10 + i[2]) as f32
    });
    sim.set(p, "b", cube.clone()).unwrap();
    assert_eq!(sim.get(p, "b").unwrap(), cube);
    assert_eq!(sim.get_at(p, &[1, 2, 3], "b").unwrap(), 123.0);
    let flat_vals: Vec<f32> = (0..24).map(|i| -(i as f32)).collect();
    sim.set(p, "b", flat_vals.clone()).unwrap();
    assert_eq!(flat(&sim.get(p, "b").unwrap()), flat_vals);
    sim.set(p, "b", Dist::uniform(5.0, 6.0)).unwrap();
    let drawn = flat(&sim.get(p, "b").unwrap());
    assert!(drawn.iter().all(|&x| (5.0..6.0).contains(&x)));
    assert!(drawn.iter().any(|&x| x != drawn[0]));
    sim.set(p, "a", 0.5).unwrap();
    assert_eq!(sim.get(p, "a").unwrap()[IxDyn(&[])], 0.5);
    sim.set(p, "a", vec![0.25f32]).unwrap();
    assert_eq!(sim.get_neuron(p, 3, "a").unwrap(), 0.25);

    // Shape mismatches.
    for bad in [
        shaped(&[3, 2, 4], vec![0.0; 24]),
        shaped(&[23], vec![0.0; 23]),
        shaped(&[2, 3], vec![0.0; 6]),
    ] {
        let e = sim.set(p, "b", bad.clone()).unwrap_err();
        assert!(matches!(e, Error::Shape { .. }), "{:?}: {e}", bad.shape());
        assert!(e.to_string().contains("cube"), "{e}");
    }
    assert!(matches!(
        sim.set(p, "a", vec![1.0f32, 2.0]),
        Err(Error::Shape { .. })
    ));

    // Unknown names list the known ones.
    for e in [
        sim.get(p, "c").unwrap_err(),
        sim.set(p, "c", 1.0).unwrap_err(),
        net.set(p, "c", 1.0).unwrap_err(),
    ] {
        assert!(matches!(e, Error::Unknown { .. }), "{e}");
        let msg = e.to_string();
        for known in ["'c'", "a", "b", "r", "cube"] {
            assert!(msg.contains(known), "'{msg}' should name {known}");
        }
    }

    // Run, then reset: initial values (including those set before compiling) and t = 0.
    sim.set(p, "a", 2.0).unwrap();
    sim.simulate(3.0).unwrap();
    assert_eq!(sim.current_step(), 3);
    assert_eq!(sim.time(), 3.0);
    sim.reset().unwrap();
    assert_eq!(sim.current_step(), 0);
    assert_eq!(sim.time(), 0.0);
    assert_eq!(flat(&sim.get(p, "b").unwrap()), b0);
    assert_eq!(sim.get(p, "a").unwrap()[IxDyn(&[])], 1.5);
    assert!(sim.get(p, "r").unwrap().iter().all(|&x| x == 0.0));
    // r = a * b + t after one step at t = 0.
    sim.step().unwrap();
    let r = flat(&sim.get(p, "r").unwrap());
    assert!(r.iter().zip(&b0).all(|(r, b)| *r == 1.5 * b));

    // set_time: t changes, the step counter does not.
    sim.set_time(100.0).unwrap();
    assert_eq!(sim.time(), 100.0);
    assert_eq!(sim.current_step(), 1);
    sim.step().unwrap();
    assert_eq!(sim.time(), 101.0);
    assert_eq!(sim.get_neuron(p, 0, "r").unwrap(), 100.0);
    assert!(sim.set_time(f64::NAN).is_err());
}

fn simulate_until_stops_at_the_right_step() {
    let dt = 0.25;
    let mut net = Network::new().dt(dt);
    let p = net.population("p", 2, &counter()).unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    // r = steps done; stop once r >= 7.
    let ran = sim
        .simulate_until(100.0, |s| s.get_neuron(p, 0, "r").unwrap() >= 7.0)
        .unwrap();
    assert_eq!(ran, 7.0 * dt);
    assert_eq!(sim.current_step(), 7);
    assert_eq!(sim.get_neuron(p, 1, "r").unwrap(), 7.0);
    // Never true: runs max_ms.
    let ran = sim.simulate_until(2.0, |_| false).unwrap();
    assert_eq!(ran, 2.0);
    assert_eq!(sim.current_step(), 15);
    assert!(sim.simulate(-1.0).is_err());
}

// ------------------------------------------------------- 8. determinism

fn random_net(seed: u64) -> (Vec<Syn>, Vec<Vec<u32>>, Vec<f32>) {
    let mut net = Network::new().dt(0.5).seed(seed);
    let a = net.population("a", 30, &input_neuron()).unwrap();
    let b = net.population("b", [4usize, 5], &sum_neuron()).unwrap();
    net.set(a, "r", Dist::normal(0.0, 1.0)).unwrap();
    let p1 = net
        .projection(a, b, "exc")
        .delays(Delays::random(Dist::uniform(0.0, 3.0)))
        .connect_fixed_probability(0.2, Weights::random(Dist::uniform(0.0, 1.0)))
        .unwrap();
    let p2 = net
        .projection(b, b, "exc")
        .connect_fixed_number_pre(5, Weights::random(Dist::normal(0.0, 0.5)))
        .unwrap();
    let p3 = net
        .projection(a, b, "exc")
        .name("third")
        .connect_fixed_number_post(4, Weights::constant(1.0))
        .unwrap();
    let delays = [p1, p2, p3]
        .iter()
        .map(|&p| net.proj(p).unwrap().synapses.delay.clone())
        .collect();
    let sim = net.compile(Backend::Cpu).unwrap();
    let syns = [p1, p2, p3]
        .iter()
        .map(|&p| sim.synapses(p, "w").unwrap())
        .collect();
    (syns, delays, flat(&sim.get(a, "r").unwrap()))
}

fn same_seed_same_network() {
    let x = random_net(42);
    assert_eq!(x, random_net(42));
    let y = random_net(43);
    for k in 0..3 {
        assert_ne!(
            (&x.0[k].0, &x.0[k].1),
            (&y.0[k].0, &y.0[k].1),
            "projection {k}: same synapses with another seed"
        );
    }
    assert_ne!(x.0[0].2, y.0[0].2);
    assert_ne!(x.1[0], y.1[0]);
    assert_ne!(x.2, y.2);
}

// ------------------------------------------------------- 9. errors

fn assert_connector_error(e: Error, name: &str, words: &[&str]) {
    let msg = e.to_string();
    assert!(
        matches!(&e, Error::Connector { projection, .. } if projection == name),
        "expected a connector error of '{name}', got {e:?}"
    );
    assert!(msg.contains(name), "'{msg}' should name the projection");
    for w in words {
        assert!(msg.contains(w), "'{msg}' should mention '{w}'");
    }
}

fn errors_name_the_projection() {
    let mut net = Network::new();
    let inp = net.population("in", 4, &input_neuron()).unwrap();
    let out = net.population("out", 3, &sum_neuron()).unwrap();
    let sp = net.population("spk", 3, &receiver()).unwrap();
    let w = || Weights::constant(1.0);

    let e = net
        .projection(inp, out, "inh")
        .name("bad target")
        .connect_all_to_all(w())
        .unwrap_err();
    assert_connector_error(e, "bad target", &["sum(inh)", "out"]);
    let e = net
        .projection(sp, sp, "inh")
        .name("bad g")
        .connect_all_to_all(w())
        .unwrap_err();
    assert_connector_error(e, "bad g", &["g_inh", "spk"]);
    let e = net
        .projection(inp, out, "exc")
        .name("bad pre")
        .synapse(&Synapse::new().psp("w * pre.x"))
        .connect_all_to_all(w())
        .unwrap_err();
    assert_connector_error(e, "bad pre", &["pre.x", "in"]);
    let e = net
        .projection(inp, out, "exc")
        .name("bad post")
        .synapse(&Synapse::new().psp("w * pre.r * post.gain"))
        .connect_all_to_all(w())
        .unwrap_err();
    assert_connector_error(e, "bad post", &["post.gain", "out"]);
    let e = net
        .projection(inp, out, "exc")
        .name("sizes")
        .connect_one_to_one(w())
        .unwrap_err();
    assert_connector_error(e, "sizes", &["one_to_one", "4", "3"]);
    let e = net
        .projection(inp, out, "exc")
        .name("matrix")
        .connect_from_matrix(Array2::zeros((4, 3)))
        .unwrap_err();
    assert_connector_error(e, "matrix", &["[3, 4]", "[4, 3]"]);
    let e = net
        .projection(inp, out, "exc")
        .name("negative")
        .delays(-1.0)
        .connect_all_to_all(w())
        .unwrap_err();
    assert_connector_error(e, "negative", &["-1"]);
    let e = net
        .projection(inp, out, "exc")
        .name("sparse negative")
        .connect_from_sparse(vec![0], vec![0], vec![1.0], Some(vec![-2.0]))
        .unwrap_err();
    assert_connector_error(e, "sparse negative", &["-2"]);
    let e = net
        .projection(inp, out, "exc")
        .name("prob")
        .connect_fixed_probability(1.5, w())
        .unwrap_err();
    assert_connector_error(e, "prob", &["1.5"]);
    let e = net
        .projection(inp, out, "exc")
        .name("too many")
        .connect_fixed_number_pre(5, w())
        .unwrap_err();
    assert_connector_error(e, "too many", &["5"]);
    // Default name: pre->post:target.
    let e = net
        .projection(inp, out, "exc")
        .connect_fixed_probability(-0.1, w())
        .unwrap_err();
    assert_connector_error(e, "in->out:exc", &["-0.1"]);
    // Rate onto spiking needs a post model reading sum(target); spikes onto a
    // rate-coded population need a DecodingProjection: refused when connecting.
    let e = net
        .projection(inp, sp, "exc")
        .connect_all_to_all(w())
        .unwrap_err();
    assert_connector_error(e, "in->spk:exc", &["sum(exc)", "CurrentInjection"]);
    let e = net
        .projection(sp, out, "exc")
        .connect_all_to_all(w())
        .unwrap_err();
    assert!(
        matches!(e, Error::Unsupported { .. })
            && e.to_string().contains("spk->out:exc")
            && e.to_string().contains("DecodingProjection"),
        "{e}"
    );
    // Nothing that failed was added.
    net.compile(Backend::Cpu).unwrap();
    let mut net2 = Network::new();
    let i2 = net2.population("in", 4, &input_neuron()).unwrap();
    let o2 = net2.population("out", 3, &sum_neuron()).unwrap();
    assert!(net2
        .projection(i2, o2, "exc")
        .name("x")
        .connect_fixed_probability(2.0, w())
        .is_err());
    net2.projection(i2, o2, "exc")
        .name("x")
        .connect_all_to_all(w())
        .unwrap();
    let e = net2
        .projection(i2, o2, "exc")
        .name("x")
        .connect_all_to_all(w())
        .unwrap_err();
    assert!(e.to_string().contains("already exists"), "{e}");
    net2.compile(Backend::Cpu).unwrap();
    // Default names: several projections with the same ends and target
    // (here between views of one population, as ANNarchy allows) are
    // numbered; each is found by its name.
    let mut net3 = Network::new();
    let p = net3.population("P", 10, &sum_neuron()).unwrap();
    let (a, b) = (net3.slice(p, 0..5).unwrap(), net3.slice(p, 5..10).unwrap());
    let first = net3
        .projection(a.clone(), b.clone(), "exc")
        .connect_all_to_all(w())
        .unwrap();
    let second = net3
        .projection(b, a, "exc")
        .connect_all_to_all(w())
        .unwrap();
    let third = net3
        .projection(p, p, "exc")
        .connect_all_to_all(w())
        .unwrap();
    assert_eq!(net3.get_projection("P->P:exc").unwrap(), first);
    assert_eq!(net3.get_projection("P->P:exc#2").unwrap(), second);
    assert_eq!(net3.get_projection("P->P:exc#3").unwrap(), third);
    net3.compile(Backend::Cpu).unwrap();
}

// ------------------------------------------------------- more

fn projections_onto_the_same_target_add_up() {
    let mut net = Network::new().seed(4);
    let a = net.population("a", 3, &input_neuron()).unwrap();
    let b = net.population("b", 5, &input_neuron()).unwrap();
    let out = net
        .population(
            "out",
            4,
            &Neuron::rate().equations("r = sum(exc) - 2 * sum(inh)"),
        )
        .unwrap();
    let p1 = net
        .projection(a, out, "exc")
        .connect_all_to_all(Weights::random(Dist::uniform(0.0, 1.0)))
        .unwrap();
    let p2 = net
        .projection(b, out, "exc")
        .connect_fixed_number_pre(2, Weights::random(Dist::normal(0.0, 1.0)))
        .unwrap();
    let p3 = net
        .projection(a, out, "inh")
        .connect_fixed_probability(0.5, Weights::constant(0.3))
        .unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    let mut rng = StdRng::seed_from_u64(5);
    let (xa, xb) = (rand_vec(&mut rng, 3), rand_vec(&mut rng, 5));
    sim.set(a, "r", xa.clone()).unwrap();
    sim.set(b, "r", xb.clone()).unwrap();
    sim.step().unwrap();
    let e1 = mat_vec(&sorted_synapses(&sim, p1), 4, &xa);
    let e2 = mat_vec(&sorted_synapses(&sim, p2), 4, &xb);
    let e3 = mat_vec(&sorted_synapses(&sim, p3), 4, &xa);
    let expected: Vec<f64> = (0..4).map(|i| e1[i] + e2[i] - 2.0 * e3[i]).collect();
    assert_close(
        &flat(&sim.get(out, "r").unwrap()),
        &expected,
        TOL,
        "exc + exc - 2 inh",
    );
}

fn set_converts_int_and_bool() {
    let mut net = Network::new();
    let p = net
        .population(
            "p",
            3,
            &Neuron::rate()
                .parameters("n = 0 : int\n on = 0 : bool")
                .equations("r = n + on"),
        )
        .unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    sim.set(p, "n", vec![2.6f32, -1.4, 0.2]).unwrap();
    // Truncated toward zero, as ANNarchy's C++ int (tests/annarchy/int_bool.rs).
    assert_eq!(flat(&sim.get(p, "n").unwrap()), vec![2.0, -1.0, 0.0]);
    sim.set_neuron(p, 1, "n", 4.7).unwrap();
    assert_eq!(
        sim.get_neuron(p, 1, "n").unwrap(),
        4.0,
        "set_neuron truncates an int like set()"
    );
    sim.set(p, "on", vec![0.0f32, 0.5, -2.0]).unwrap();
    assert_eq!(flat(&sim.get(p, "on").unwrap()), vec![0.0, 1.0, 1.0]);
    sim.set_at(p, &[0], "on", 3.0).unwrap();
    assert_eq!(
        sim.get_neuron(p, 0, "on").unwrap(),
        1.0,
        "set_at makes a bool 0 or 1"
    );
}

fn adding_a_projection_keeps_the_others() {
    let build = |extra: bool| {
        let mut net = Network::new().seed(8);
        let a = net.population("a", 20, &input_neuron()).unwrap();
        let b = net.population("b", 20, &sum_neuron()).unwrap();
        let p = net
            .projection(a, b, "exc")
            .connect_fixed_probability(0.3, Weights::random(Dist::uniform(0.0, 1.0)))
            .unwrap();
        if extra {
            net.projection(b, b, "exc")
                .connect_fixed_number_pre(3, Weights::constant(1.0))
                .unwrap();
        }
        net.compile(Backend::Cpu).unwrap().synapses(p, "w").unwrap()
    };
    assert_eq!(build(false), build(true));
}

fn random_values_are_reproducible() {
    let run = || {
        let mut net = Network::new().seed(11);
        let p = net.population("p", 50, &input_neuron()).unwrap();
        net.set(p, "r", Dist::normal(1.0, 2.0)).unwrap();
        let mut sim = net.compile(Backend::Cpu).unwrap();
        let before = flat(&sim.get(p, "r").unwrap());
        sim.set(p, "r", Dist::uniform(0.0, 1.0)).unwrap();
        let first = flat(&sim.get(p, "r").unwrap());
        sim.set(p, "r", Dist::uniform(0.0, 1.0)).unwrap();
        let second = flat(&sim.get(p, "r").unwrap());
        (before, first, second)
    };
    let (a, b) = (run(), run());
    assert_eq!(a, b);
    assert_ne!(a.1, a.2, "two draws in a row differ");
    let mean = a.0.iter().map(|&x| x as f64).sum::<f64>() / 50.0;
    assert!((mean - 1.0).abs() < 1.0, "mean {mean}");
}

fn population_names_and_handles() {
    let mut net = Network::new();
    let a = net.population("a", 2, &input_neuron()).unwrap();
    assert!(net.population("a", 3, &input_neuron()).is_err());
    assert_eq!(net.find("a").unwrap(), a);
    let e = net.find("zz").unwrap_err();
    assert!(
        matches!(e, Error::Unknown { .. }) && e.to_string().contains('a'),
        "{e}"
    );
    assert!(net.population("big", [0usize, 3], &input_neuron()).is_err());
    assert!(net
        .population("five", [1usize, 1, 1, 1, 1], &input_neuron())
        .is_err());
    let mut other = Network::new();
    other.population("x", 1, &input_neuron()).unwrap();
    let y = other.population("y", 1, &input_neuron()).unwrap();
    // A handle from another network with no such population.
    assert!(net
        .projection(a, y, "exc")
        .connect_all_to_all(Weights::constant(1.0))
        .is_err());
    assert!(
        Network::new().compile(Backend::Cpu).is_err(),
        "an empty network"
    );
    assert!(Network::new()
        .dt(0.0)
        .population("p", 1, &input_neuron())
        .is_err());
}

fn large_populations_use_the_parallel_path() {
    // More than 2048 post neurons: the sums run on several threads.
    for custom in [false, true] {
        let mut c = chain(&[500], &[3000], 13, |b| {
            let b = if custom {
                b.synapse(&Synapse::new().operation(Operation::Mean))
            } else {
                b
            };
            b.connect_fixed_number_pre(7, Weights::random(Dist::uniform(-1.0, 1.0)))
        });
        if custom {
            let syn = sorted_synapses(&c.sim, c.proj);
            let x = rand_vec(&mut StdRng::seed_from_u64(3), 500);
            c.sim.set(c.inp, "r", x.clone()).unwrap();
            c.sim.step().unwrap();
            let expected: Vec<f64> = mat_vec(&syn, 3000, &x).iter().map(|s| s / 7.0).collect();
            assert_close(
                &flat(&c.sim.get(c.out, "r").unwrap()),
                &expected,
                TOL,
                "mean",
            );
        } else {
            let syn = check_product(&mut c, 23);
            assert!(in_degrees(&syn, 3000).iter().all(|&d| d == 7));
        }
    }
}

fn delays_between_computed_layers_and_loops() {
    // in -> L1 (no delay) -> L2 (delay 3 steps) and in -> L2 (delay 5 steps);
    // rec: r = x + 0.5 * r delayed by 2 through a self projection.
    let mut net = Network::new().dt(1.0);
    let inp = net.population("in", 2, &input_neuron()).unwrap();
    let l1 = net.population("L1", 2, &sum_neuron()).unwrap();
    let l2 = net
        .population(
            "L2",
            2,
            &Neuron::rate().equations("r = sum(exc) + sum(inh)"),
        )
        .unwrap();
    let rec = net
        .population(
            "rec",
            2,
            &Neuron::rate().equations("r = sum(inp) + sum(exc)"),
        )
        .unwrap();
    net.projection(inp, l1, "exc")
        .connect_one_to_one(Weights::constant(1.0))
        .unwrap();
    net.projection(l1, l2, "exc")
        .delays(3.0)
        .connect_one_to_one(Weights::constant(1.0))
        .unwrap();
    net.projection(inp, l2, "inh")
        .delays(5.0)
        .connect_one_to_one(Weights::constant(10.0))
        .unwrap();
    net.projection(inp, rec, "inp")
        .connect_one_to_one(Weights::constant(1.0))
        .unwrap();
    net.projection(rec, rec, "exc")
        .delays(2.0)
        .connect_one_to_one(Weights::constant(0.5))
        .unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    let (xs, _) = drive(&mut sim, inp, l1, 2, 1, 1);
    let mut rng = StdRng::seed_from_u64(2);
    let mut all_x = xs.clone();
    let (mut l2s, mut recs) = (
        vec![flat(&sim.get(l2, "r").unwrap())],
        vec![flat(&sim.get(rec, "r").unwrap())],
    );
    for _ in 1..15 {
        let x = rand_vec(&mut rng, 2);
        sim.set(inp, "r", x.clone()).unwrap();
        sim.step().unwrap();
        all_x.push(x);
        l2s.push(flat(&sim.get(l2, "r").unwrap()));
        recs.push(flat(&sim.get(rec, "r").unwrap()));
    }
    // Independent model: x_s set before step s; L1_s = x_s; a delay of D
    // >= 2 steps reads D steps before the previous step, as ANNarchy's:
    // L2_s = L1_{s-4} + 10 x_{s-5}; rec_s = x_s + 0.5 rec_{s-3}.
    let at = |v: &Vec<Vec<f64>>, s: i64, n: usize| if s >= 0 { v[s as usize][n] } else { 0.0 };
    let x: Vec<Vec<f64>> = all_x
        .iter()
        .map(|v| v.iter().map(|&a| a as f64).collect())
        .collect();
    let mut r: Vec<Vec<f64>> = Vec::new();
    for s in 0..15i64 {
        let row: Vec<f64> = (0..2)
            .map(|n| x[s as usize][n] + 0.5 * at(&r, s - 3, n))
            .collect();
        r.push(row);
        for n in 0..2 {
            let e2 = at(&x, s - 4, n) + 10.0 * at(&x, s - 5, n);
            assert!(
                (l2s[s as usize][n] as f64 - e2).abs() < 1e-5,
                "L2 at step {s}: {} vs {e2}",
                l2s[s as usize][n]
            );
            let er = r[s as usize][n];
            assert!(
                (recs[s as usize][n] as f64 - er).abs() < 1e-5,
                "rec at step {s}: {} vs {er}",
                recs[s as usize][n]
            );
        }
    }
}

fn time_does_not_drift() {
    let mut net = Network::new().dt(0.1);
    let p = net
        .population("p", 1, &Neuron::rate().equations("r = t"))
        .unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    sim.simulate(100.0).unwrap();
    assert_eq!(sim.current_step(), 1000);
    assert_eq!(sim.time(), 100.0, "t is step * dt, not a sum of dt");
    // The last step ran at t = 99.9.
    assert_eq!(sim.get_neuron(p, 0, "r").unwrap(), 99.9f64 as f32);
    sim.set_time(10.0).unwrap();
    sim.simulate(3.0).unwrap();
    assert_eq!(sim.time(), 13.0);
    assert_eq!(sim.current_step(), 1030);
}

/// `Network::get` and `Network::synapses` read, before compiling, what a
/// freshly compiled simulation then holds: initial values, values set from
/// distributions, stored and procedural synapses; a convolution has none.
fn values_before_compiling_are_the_compiled_ones() {
    let mut net = Network::new().dt(0.5).seed(4);
    let izh = cajal::models::izhikevich();
    let a = net.population("a", (3, 4), &izh).unwrap();
    let b = net.population("b", 20, &izh).unwrap();
    net.set(a, "v", Dist::normal(-60.0, 3.0)).unwrap();
    net.set(b, "d", 4.0).unwrap();
    let stored = net
        .projection(a, b, "exc")
        .connect_fixed_probability(0.5, Dist::uniform(0.0, 1.0))
        .unwrap();
    let drawn = net
        .projection(b, b, "exc")
        .connect_fixed_probability_procedural(0.3, Dist::uniform(0.0, 1.0))
        .unwrap();
    let rate = Neuron::rate().equations("r = sum(exc)");
    let img = net.population("img", (6, 6), &rate).unwrap();
    let out = net.population("out", (6, 6), &rate).unwrap();
    let conv = net
        .convolution(img, out, "exc")
        .connect_filter(&ndarray::array![[1.0f32, 0.0], [0.0, 1.0]].into_dyn())
        .unwrap();
    let before = [
        net.get(a, "v").unwrap(),
        net.get(a, "u").unwrap(),
        net.get(b, "d").unwrap(),
    ];
    assert_eq!(before[0].shape(), &[3, 4]);
    // Drawn: not one value twelve times.
    assert!(before[0].iter().any(|&v| v != before[0][[0, 0]]));
    assert!(before[2].iter().all(|&d| d == 4.0));
    let syn_before = [
        net.synapses(stored, "w").unwrap(),
        net.synapses(drawn, "w").unwrap(),
    ];
    assert!(!syn_before[0].0.is_empty() && !syn_before[1].0.is_empty());
    assert!(net.synapses(conv, "w").is_err());
    assert!(net
        .get(a, "nothing")
        .unwrap_err()
        .to_string()
        .contains("nothing"));

    let sim = net.compile(Backend::Cpu).unwrap();
    let after = [
        sim.get(a, "v").unwrap(),
        sim.get(a, "u").unwrap(),
        sim.get(b, "d").unwrap(),
    ];
    assert_eq!(before, after);
    assert_eq!(syn_before[0], sim.synapses(stored, "w").unwrap());
    assert_eq!(syn_before[1], sim.synapses(drawn, "w").unwrap());
}

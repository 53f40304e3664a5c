//! Procedural connectivity: the synapses drawn are a fixed-probability
//! pattern (statistics), the engines deliver exactly the synapses that
//! `synapses()` lists (against an explicit synapse list built from them),
//! both engines draw the same ones, batches share them, and what it cannot
//! do is refused.

use crate::common::{backends, clock, temp_path, tests, validate_all};
use cajal::connect::procedural::{Procedural, ProceduralWeight};
use cajal::prelude::*;

tests! {
    cpu: [
        the_drawn_synapses_are_a_fixed_probability_pattern,
        chunks_tables_and_edge_probabilities,
        what_procedural_connectivity_cannot_do_is_refused,
        procedural_weights_follow_their_distribution_and_stay_fixed,
        procedural_weights_that_cannot_be_drawn_are_refused,
        per_synapse_delays_follow_their_distribution,
        procedural_delays_without_an_end_are_refused,
    ],
    both: [
        a_delivery_split_over_chunks_equals_the_listed_synapses,
        the_engines_deliver_exactly_the_listed_synapses,
        a_batch_shares_the_procedural_synapses,
        the_synapses_follow_the_network_seed_not_the_run_seed,
        the_engines_deliver_the_listed_procedural_weights,
        the_engines_deliver_per_synapse_delays_as_the_listed_synapses,
        a_saved_state_and_a_new_step_number_keep_the_inputs_in_the_delay_rings,
    ],
}

/// Weight 1 for every synapse.
fn one() -> ProceduralWeight {
    ProceduralWeight::new("t", &Weights::constant(1.0)).unwrap()
}

/// Keeps what it received this step.
fn receiver() -> Neuron {
    Neuron::spiking()
        .equations("last = g_exc")
        .spike("last > 1e9")
}

fn the_drawn_synapses_are_a_fixed_probability_pattern() {
    let (n, p) = (1500usize, 0.04);
    let mut net = Network::new().dt(1.0).seed(3);
    let recurrent = clock().equations("last = g_exc");
    let a = net.population("a", n, &recurrent).unwrap();
    let proj = net
        .projection(a, a, "exc")
        .connect_fixed_probability_procedural(p, Weights::constant(0.5))
        .unwrap();
    let sim = net.compile(Backend::Cpu).unwrap();
    let (post, pre, w) = sim.synapses(proj, "w").unwrap();
    assert!(w.iter().all(|&x| x == 0.5));
    // Sorted by (post, pre), no pair twice, no neuron to itself.
    assert!(post
        .iter()
        .zip(&pre)
        .zip(post.iter().zip(&pre).skip(1))
        .all(|(a, b)| a < b));
    assert!(post.iter().zip(&pre).all(|(i, j)| i != j));
    // Binomial totals and in-degrees.
    let pairs = (n * (n - 1)) as f64;
    let (mean, sd) = (pairs * p, (pairs * p * (1.0 - p)).sqrt());
    let total = post.len() as f64;
    assert!(
        (total - mean).abs() < 5.0 * sd,
        "{total} synapses, expected {mean} +- {sd}"
    );
    let mut indeg = vec![0f64; n];
    let mut outdeg = vec![0f64; n];
    for (&i, &j) in post.iter().zip(&pre) {
        indeg[i as usize] += 1.0;
        outdeg[j as usize] += 1.0;
    }
    for deg in [&indeg, &outdeg] {
        let m = deg.iter().sum::<f64>() / n as f64;
        let v = deg.iter().map(|d| (d - m) * (d - m)).sum::<f64>() / (n - 1) as f64;
        let want = (n - 1) as f64 * p * (1.0 - p);
        assert!(
            (v / want - 1.0).abs() < 0.15,
            "degree variance {v}, binomial {want}"
        );
    }
    // The gap between a neuron's consecutive targets is geometric: the
    // fraction of gaps of 1 is p.
    let (mut ones, mut gaps) = (0usize, 0usize);
    let mut rows = vec![Vec::new(); n];
    for (&i, &j) in post.iter().zip(&pre) {
        rows[j as usize].push(i);
    }
    for r in &rows {
        for w in r.windows(2) {
            gaps += 1;
            ones += usize::from(w[1] - w[0] == 1);
        }
    }
    let f = ones as f64 / gaps as f64;
    assert!(
        (f - p).abs() < 5.0 * (p * (1.0 - p) / gaps as f64).sqrt() + 0.002,
        "{f}"
    );
}

fn chunks_tables_and_edge_probabilities() {
    // p = 1: everything (but self), in order, over several chunks.
    let g = Procedural::new("t", 9, 1.0, one(), (1, Vec::new()), 3, 100, true).unwrap();
    let mut row = Vec::new();
    g.row(0xFFF, 1, |t| row.push(t));
    let want: Vec<u32> = (0..100).filter(|&t| t != 1).collect();
    assert_eq!(row, want);
    assert!(g.table.iter().all(|&t| t == 0));
    // A small p: the largest chunk, several of them; the table decreases.
    let g = Procedural::new("t", 9, 1e-4, one(), (1, Vec::new()), 1, 300_000, false).unwrap();
    assert_eq!(g.chunk, 1 << 16);
    assert_eq!(g.chunks(), 5);
    assert!(g.table.windows(2).all(|w| w[0] >= w[1]));
    let mut count = 0u64;
    for j in 0..200 {
        g.row(7, j, |t| {
            assert!(t < 300_000);
            count += 1
        });
    }
    // 200 rows of 300 000 at 1e-4: 6000 expected.
    assert!(
        (count as f64 - 6000.0).abs() < 5.0 * 6000f64.sqrt(),
        "{count}"
    );
    // The guessed-then-corrected gap is exactly the count of thresholds
    // above the word, at the table's edges too.
    for p in [1.0, 0.5, 0.02, 1e-3, 1e-5] {
        let g = Procedural::new("t", 9, p, one(), (1, Vec::new()), 1, 1 << 20, false).unwrap();
        let exact = |u: u32| g.table.partition_point(|&t| t > u) as u32;
        let mut x = 0x9E37_79B9u32;
        let mut words: Vec<u32> = vec![0, 1, u32::MAX, u32::MAX - 1];
        for &t in g.table.iter().step_by(97) {
            words.extend([t.saturating_sub(1), t, t.saturating_add(1)]);
        }
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            words.push(x);
        }
        for u in words {
            assert_eq!(g.gap(u), exact(u), "p = {p}, u = {u}");
        }
    }
    for bad in [0.0, -0.1, 1.5, f64::NAN] {
        assert!(Procedural::new("t", 9, bad, one(), (1, Vec::new()), 1, 10, false).is_err());
    }
}

/// A procedural projection `a -> b` (weight 1, `delays`, seed `seed`,
/// dt 1 ms), and a network with the same synapses and delays as an
/// explicit list (`connect_from_sparse`), the independent reference.
/// The handles are the procedural network's: the listed one's are found
/// by name.
fn procedural_and_listed(
    (n_pre, n_post): (usize, usize),
    seed: u64,
    p: f64,
    delays: Delays,
) -> (Network, Network, PopId, PopId) {
    let build = |explicit: Option<(Vec<u32>, Vec<u32>, Vec<f64>)>| {
        let mut net = Network::new().dt(1.0).seed(seed);
        let a = net.population("a", n_pre, &clock()).unwrap();
        let b = net.population("b", n_post, &receiver()).unwrap();
        let proj = match explicit {
            None => net
                .projection(a, b, "exc")
                .delays(delays.clone())
                .connect_fixed_probability_procedural(p, Weights::constant(1.0))
                .unwrap(),
            Some((post, pre, d)) => {
                let w = vec![1.0; post.len()];
                net.projection(a, b, "exc")
                    .connect_from_sparse(post, pre, w, Some(d))
                    .unwrap()
            }
        };
        (net, a, b, proj)
    };
    let (net, a, b, proj) = build(None);
    let gen = net.proj(proj).unwrap().procedural.clone().unwrap();
    let object = cajal::engine::cpu::procedural_object(proj.index());
    let (post, pre, _) = net
        .compile(Backend::Cpu)
        .unwrap()
        .synapses(proj, "w")
        .unwrap();
    let d: Vec<f64> = post
        .iter()
        .zip(&pre)
        .map(|(&t, &j)| f64::from(gen.delay_at(object, j, t)))
        .collect();
    let (explicit, _, _, _) = build(Some((post, pre, d)));
    (net, explicit, a, b)
}

fn the_engines_deliver_exactly_the_listed_synapses() {
    let (mut net, mut explicit, _, _) =
        procedural_and_listed((300, 500), 21, 0.1, Delays::constant(2.0));
    let t1: Vec<f32> = (0..300).map(|i| (i % 7) as f32).collect();
    let t2: Vec<f32> = (0..300)
        .map(|i| if i % 3 == 0 { 5.0 } else { -1.0 })
        .collect();
    for n in [&mut net, &mut explicit] {
        // Each network's own handle (the two are built alike).
        let a = n.find("a").unwrap();
        n.set(a, "t1", t1.clone()).unwrap();
        n.set(a, "t2", t2.clone()).unwrap();
    }
    let mut runs = Vec::new();
    for backend in backends() {
        for (net, what) in [(&net, "procedural"), (&explicit, "explicit")] {
            let b = net.find("b").unwrap();
            let mut sim = net.compile(backend).unwrap();
            let mut got = Vec::new();
            for _ in 0..10 {
                sim.step().unwrap();
                // Weight 1: g counts the spikes received, exact in any order.
                got.extend(sim.get(b, "last").unwrap().iter().copied());
            }
            assert!(got.iter().sum::<f32>() > 1000.0, "{backend:?} {what}");
            runs.push((format!("{backend:?} {what}"), got));
        }
    }
    for (what, got) in &runs[1..] {
        assert_eq!(got, &runs[0].1, "{what} differs from {}", runs[0].0);
    }
}

fn a_batch_shares_the_procedural_synapses() {
    for backend in backends() {
        let mut net = Network::new().dt(1.0).seed(4);
        let a = net.population("a", 200, &clock()).unwrap();
        let b = net.population("b", 150, &receiver()).unwrap();
        net.projection(a, b, "exc")
            .connect_fixed_probability_procedural(0.2, Weights::constant(1.0))
            .unwrap();
        let times = |e: usize| -> Vec<f32> { (0..200).map(|i| ((i + 3 * e) % 5) as f32).collect() };
        let mut sim = net.compile_batched(backend, 3).unwrap();
        for e in 0..3 {
            sim.set_element(a, e, "t1", times(e)).unwrap();
        }
        sim.simulate(6.0).unwrap();
        let all = sim.get(b, "last").unwrap();
        for e in 0..3 {
            let mut one = net.compile(backend).unwrap();
            one.set(a, "t1", times(e)).unwrap();
            one.simulate(6.0).unwrap();
            let want: Vec<f32> = one.get(b, "last").unwrap().iter().copied().collect();
            let got: Vec<f32> = all
                .index_axis(ndarray::Axis(0), e)
                .iter()
                .copied()
                .collect();
            assert_eq!(got, want, "{backend:?} element {e}");
            assert!(want.iter().sum::<f32>() > 100.0);
        }
    }
}

fn what_procedural_connectivity_cannot_do_is_refused() {
    let mut net = Network::new().dt(1.0);
    let a = net.population("a", 10, &clock()).unwrap();
    let b = net.population("b", 10, &receiver()).unwrap();
    let r = net
        .population("r", 10, &Neuron::rate().equations("r = sum(exc)"))
        .unwrap();
    let msg = |e: cajal::Error| e.to_string();
    let e = msg(net
        .projection(a, r, "exc")
        .connect_fixed_probability_procedural(0.1, Weights::constant(1.0))
        .unwrap_err());
    assert!(e.contains("spiking"), "{e}");
    let syn = Synapse::new().pre_spike("g_target += 2.0 * w");
    let e = msg(net
        .projection(a, b, "exc")
        .synapse(&syn)
        .connect_fixed_probability_procedural(0.1, Weights::constant(1.0))
        .unwrap_err());
    assert!(e.contains("default synapse"), "{e}");
    let view = net.view(a, &[1, 2]).unwrap();
    let e = msg(net
        .projection(view, b, "exc")
        .connect_fixed_probability_procedural(0.1, Weights::constant(1.0))
        .unwrap_err());
    assert!(e.contains("views"), "{e}");
    let e = msg(net
        .projection(a, b, "exc")
        .connect_fixed_probability_procedural(1.5, Weights::constant(1.0))
        .unwrap_err());
    assert!(e.contains("(0, 1]"), "{e}");
    let e = msg(net
        .projection(a, b, "exc")
        .delays(-1.0)
        .connect_fixed_probability_procedural(0.1, Weights::constant(1.0))
        .unwrap_err());
    assert!(e.contains("delay"), "{e}");
    let e = msg(net
        .projection(a, b, "foo")
        .connect_fixed_probability_procedural(0.1, Weights::constant(1.0))
        .unwrap_err());
    assert!(e.contains("g_foo"), "{e}");
    assert!(net.projections().is_empty());
    let p = net
        .projection(a, b, "exc")
        .connect_fixed_probability_procedural(0.1, Weights::constant(1.0))
        .unwrap();
    let e = msg(net.copy(p, a, b, "exc").unwrap_err());
    assert!(e.contains("procedural"), "{e}");
    let mut sim = net.compile(Backend::Cpu).unwrap();
    let e = msg(sim.set_synapses(p, "w", &[1.0]).unwrap_err());
    assert!(e.contains("stores no synapses"), "{e}");
    let names = validate_all(&net);
    assert!(names.iter().any(|k| k.starts_with("spike_procedural")));
}

fn the_synapses_follow_the_network_seed_not_the_run_seed() {
    let build = |seed: u64| {
        let mut net = Network::new().dt(1.0).seed(seed);
        let a = net.population("a", 100, &clock()).unwrap();
        let b = net.population("b", 100, &receiver()).unwrap();
        net.set(a, "t1", 1.0).unwrap();
        let p = net
            .projection(a, b, "exc")
            .connect_fixed_probability_procedural(0.1, Weights::constant(1.0))
            .unwrap();
        (net, b, p)
    };
    for backend in backends() {
        let (net, b, p) = build(1);
        let mut sim = net.compile(backend).unwrap();
        let listed = sim.synapses(p, "w").unwrap();
        sim.set_seed(99);
        sim.simulate(3.0).unwrap();
        // Every pre neuron spiked at step 1: post i received its in-degree.
        let got = sim.get(b, "last").unwrap();
        let mut indeg = vec![0.0f32; 100];
        for &i in &listed.0 {
            indeg[i as usize] += 1.0;
        }
        assert_eq!(
            got.iter().copied().collect::<Vec<_>>(),
            indeg,
            "{backend:?}"
        );
        assert_eq!(sim.synapses(p, "w").unwrap(), listed);
        let (other, _, q) = build(2);
        let sim2 = other.compile(backend).unwrap();
        assert_ne!(sim2.synapses(q, "w").unwrap().0, listed.0);
    }
}

/// The weight distributions procedural connectivity draws from.
fn weight_dists() -> Vec<(&'static str, Weights)> {
    vec![
        (
            "normal clipped",
            Weights::random(Dist::normal(0.5, 0.4).min(0.0)),
        ),
        ("uniform", Weights::random(Dist::uniform(-0.2, 0.7))),
        ("log-normal", Weights::random(Dist::log_normal(-1.0, 0.3))),
        (
            "exponential clipped",
            Weights::random(Dist::exponential(3.0).max(0.5)),
        ),
    ]
}

fn procedural_weights_follow_their_distribution_and_stay_fixed() {
    let mut net = Network::new().dt(1.0).seed(8);
    let a = net.population("a", 400, &clock()).unwrap();
    let b = net.population("b", 400, &receiver()).unwrap();
    let projs: Vec<ProjId> = weight_dists()
        .into_iter()
        .enumerate()
        .map(|(k, (_, w))| {
            net.projection(a, b, "exc")
                .name(&format!("p{k}"))
                .connect_fixed_probability_procedural(0.2, w)
                .unwrap()
        })
        .collect();
    let sim = net.compile(Backend::Cpu).unwrap();
    let moments = |w: &[f32]| {
        let n = w.len() as f64;
        let m = w.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
        let v = w.iter().map(|&x| (f64::from(x) - m).powi(2)).sum::<f64>() / n;
        (n, m, v.sqrt())
    };
    // Normal(0.5, 0.4) clipped at 0: P(clip) = Phi(-1.25) = 0.10565; the
    // mean of max(X, 0) = mu Phi(mu / s) + s phi(mu / s).
    let (_, _, w) = sim.synapses(projs[0], "w").unwrap();
    let (n, m, _) = moments(&w);
    assert!(n > 25_000.0);
    let clipped = w.iter().filter(|&&x| x == 0.0).count() as f64 / n;
    assert!(
        (clipped - 0.10565).abs() < 0.01,
        "clipped fraction {clipped}"
    );
    assert!(w.iter().all(|&x| x >= 0.0));
    let want = 0.5 * 0.89435 + 0.4 * 0.18265;
    assert!((m - want).abs() < 0.01, "mean {m}, expected {want}");
    // Uniform(-0.2, 0.7): mean 0.25, sd 0.9 / sqrt(12).
    let (_, _, w) = sim.synapses(projs[1], "w").unwrap();
    let (_, m, s) = moments(&w);
    assert!(w.iter().all(|&x| (-0.2..0.7).contains(&x)));
    assert!(
        (m - 0.25).abs() < 0.01 && (s - 0.9 / 12f64.sqrt()).abs() < 0.01,
        "{m} {s}"
    );
    // Log-normal(-1, 0.3): mean exp(-1 + 0.045).
    let (_, _, w) = sim.synapses(projs[2], "w").unwrap();
    let (_, m, _) = moments(&w);
    assert!((m - (-0.955f64).exp()).abs() < 0.01, "{m}");
    // Exponential(3) clipped at 0.5: P(clip) = exp(-1.5).
    let (_, _, w) = sim.synapses(projs[3], "w").unwrap();
    let (n, _, _) = moments(&w);
    let clipped = w.iter().filter(|&&x| x == 0.5).count() as f64 / n;
    assert!((clipped - (-1.5f64).exp()).abs() < 0.01, "{clipped}");
    // A synapse's weight is the same at every reading; the streams of the
    // four projections differ.
    let again = sim.synapses(projs[0], "w").unwrap();
    assert_eq!(again.2, sim.synapses(projs[0], "w").unwrap().2);
    let (p0, p1) = (
        sim.synapses(projs[1], "w").unwrap().2,
        sim.synapses(projs[2], "w").unwrap().2,
    );
    assert_ne!(p0[..10], p1[..10]);
}

fn the_engines_deliver_the_listed_procedural_weights() {
    for (what, weights) in weight_dists() {
        let build = |explicit: Option<(Vec<u32>, Vec<u32>, Vec<f32>)>| {
            let mut net = Network::new().dt(1.0).seed(5);
            let a = net.population("a", 250, &clock()).unwrap();
            let b = net.population("b", 300, &receiver()).unwrap();
            let t1: Vec<f32> = (0..250).map(|i| (i % 5) as f32).collect();
            net.set(a, "t1", t1).unwrap();
            let proj = match explicit {
                None => net
                    .projection(a, b, "exc")
                    .delays(1.0)
                    .connect_fixed_probability_procedural(0.15, weights.clone())
                    .unwrap(),
                Some((post, pre, w)) => {
                    let d = vec![1.0; post.len()];
                    net.projection(a, b, "exc")
                        .connect_from_sparse(post, pre, w, Some(d))
                        .unwrap()
                }
            };
            (net, b, proj)
        };
        let (net, _, proj) = build(None);
        let listed = net
            .compile(Backend::Cpu)
            .unwrap()
            .synapses(proj, "w")
            .unwrap();
        let (explicit, _, _) = build(Some(listed));
        // The explicit list on the CPU engine is the independent reference.
        let run = |net: &Network, backend| {
            let b = net.find("b").unwrap();
            let mut sim = net.compile(backend).unwrap();
            let mut got = Vec::new();
            for _ in 0..7 {
                sim.step().unwrap();
                got.extend(sim.get(b, "last").unwrap().iter().copied());
            }
            got
        };
        let want = run(&explicit, Backend::Cpu);
        assert!(want.iter().map(|x| x.abs()).sum::<f32>() > 100.0, "{what}");
        for backend in backends() {
            for (net, how) in [(&net, "procedural"), (&explicit, "explicit")] {
                let got = run(net, backend);
                for (k, (g, w)) in got.iter().zip(&want).enumerate() {
                    // Summation order differs (and, on a GPU, cos/exp
                    // by an ulp or so).
                    assert!(
                        (g - w).abs() <= 1e-5 * (1.0 + w.abs()),
                        "{what}, {backend:?} {how}: value {k} is {g}, expected {w}"
                    );
                }
            }
        }
    }
}

fn procedural_weights_that_cannot_be_drawn_are_refused() {
    let mut net = Network::new().dt(1.0);
    let a = net.population("a", 10, &clock()).unwrap();
    let b = net.population("b", 10, &receiver()).unwrap();
    for (d, needle) in [
        (Dist::gamma(2.0, 1.0), "uniform, normal"),
        (Dist::normal(0.0, -1.0), "sigma"),
        (Dist::normal(0.0, 1.0).min(1.0).max(0.0), "min <= max"),
        (Dist::uniform(0.0, 1e300), "finite"),
    ] {
        let e = net
            .projection(a, b, "exc")
            .connect_fixed_probability_procedural(0.1, Weights::random(d))
            .unwrap_err()
            .to_string();
        assert!(e.contains(needle), "{e}");
        assert!(e.contains("a->b:exc"), "{e}");
    }
    let e = net
        .projection(a, b, "exc")
        .connect_fixed_probability_procedural(0.1, Weights::constant(f32::NAN))
        .unwrap_err()
        .to_string();
    assert!(e.contains("finite"), "{e}");
    assert!(net.projections().is_empty());
}

fn a_delivery_split_over_chunks_equals_the_listed_synapses() {
    // Enough events that the CPU engine splits a delivery over chunks of
    // post neurons (thousands a step), in a batch of two whose elements
    // spike at different times; one delay, and per-synapse delays (the
    // chunks split the ring too).
    for delays in [
        Delays::constant(1.0),
        Delays::random(Dist::uniform(0.0, 4.0)),
    ] {
        split_delivery(delays);
    }
}

fn split_delivery(delays: Delays) {
    let (net, explicit, _, _) = procedural_and_listed((2000, 3000), 17, 0.1, delays);
    let times = |e: usize| -> Vec<f32> { (0..2000).map(|i| ((i + e) % 6) as f32).collect() };
    let run = |net: &Network, backend| {
        let (a, b) = (net.find("a").unwrap(), net.find("b").unwrap());
        let mut sim = net.compile_batched(backend, 2).unwrap();
        for e in 0..2 {
            sim.set_element(a, e, "t1", times(e)).unwrap();
        }
        let mut got = Vec::new();
        for _ in 0..6 {
            sim.step().unwrap();
            got.extend(sim.get(b, "last").unwrap().iter().copied());
        }
        got
    };
    let want = run(&explicit, Backend::Cpu);
    assert!(want.iter().sum::<f32>() > 100_000.0);
    for backend in backends() {
        assert_eq!(run(&net, backend), want, "{backend:?}");
    }
}

fn per_synapse_delays_follow_their_distribution() {
    // Normal(2, 1) ms clipped at 0.5, dt 0.5: steps max(round(x / dt), 1).
    let dist = Dist::normal(2.0, 1.0).min(0.5);
    let mut net = Network::new().dt(0.5).seed(6);
    let a = net.population("a", 300, &clock()).unwrap();
    let b = net.population("b", 400, &receiver()).unwrap();
    let proj = net
        .projection(a, b, "exc")
        .delays(Delays::random(dist.clone()))
        .connect_fixed_probability_procedural(0.3, Weights::constant(1.0))
        .unwrap();
    let gen = net.proj(proj).unwrap().procedural.clone().unwrap();
    assert!(gen.per_synapse_delays());
    assert_eq!(gen.spike_delay(), 1);
    let object = cajal::engine::cpu::procedural_object(proj.index());
    let mut got = vec![0f64; gen.delay as usize + 1];
    let mut n = 0f64;
    for j in 0..300 {
        gen.row(object, j, |t| {
            let d = gen.delay_at(object, j, t);
            assert!(d >= 1 && d <= gen.delay);
            // A synapse keeps its delay.
            assert_eq!(d, gen.delay_at(object, j, t));
            got[d as usize] += 1.0;
            n += 1.0;
        });
    }
    assert!(n > 30_000.0);
    // Against a million draws of the same distribution, rounded as stored
    // delays are.
    let mut rng = cajal::random::rng_for(1, 2);
    let draws = dist.sample(&mut rng, 1_000_000, "test").unwrap();
    let mut want = vec![0f64; 64];
    for x in draws {
        let steps = (f64::from(x) / 0.5).round().max(1.0) as usize;
        want[steps.min(63)] += 1e-6;
    }
    for (k, g) in got.iter().enumerate().skip(1) {
        let p = g / n;
        assert!((p - want[k]).abs() < 0.006, "{k} steps: {p} vs {}", want[k]);
    }
    // The longest delay has a probability of at least 2^-32 (here 8.5 ms
    // is 6.5 sd).
    assert!((16..=20).contains(&gen.delay), "{}", gen.delay);
}

fn the_engines_deliver_per_synapse_delays_as_the_listed_synapses() {
    let (net, explicit, _, _) =
        procedural_and_listed((150, 200), 23, 0.2, Delays::random(Dist::uniform(0.0, 6.0)));
    let times = |e: usize| -> Vec<f32> { (0..150).map(|i| ((i + 2 * e) % 9) as f32).collect() };
    // Delays of 1 to 6 steps, all of them used.
    let proj = explicit.projections()[0];
    let delays = &explicit.proj(proj).unwrap().synapses.delay;
    for k in 1..=6 {
        assert!(delays.contains(&k), "{k}");
    }
    let run = |net: &Network, backend, batch: usize| {
        let (a, b) = (net.find("a").unwrap(), net.find("b").unwrap());
        let mut sim = net.compile_batched(backend, batch).unwrap();
        for e in 0..batch {
            sim.set_element(a, e, "t1", times(e)).unwrap();
        }
        let mut got = Vec::new();
        for _ in 0..20 {
            sim.step().unwrap();
            got.extend(sim.get(b, "last").unwrap().iter().copied());
        }
        // After a reset the ring starts empty again: the same run. Reset
        // first while inputs still wait in it (spikes until step 9, delays
        // up to 6 steps).
        sim.reset().unwrap();
        for _ in 0..2 {
            for e in 0..batch {
                sim.set_element(a, e, "t1", times(e)).unwrap();
            }
            for _ in 0..6 {
                sim.step().unwrap();
            }
            sim.reset().unwrap();
        }
        for e in 0..batch {
            sim.set_element(a, e, "t1", times(e)).unwrap();
        }
        for k in 0..20 {
            sim.step().unwrap();
            let again: Vec<f32> = sim.get(b, "last").unwrap().iter().copied().collect();
            let n = again.len();
            assert_eq!(again, got[k * n..(k + 1) * n], "{backend:?} after reset");
        }
        got
    };
    for batch in [1, 2] {
        let want = run(&explicit, Backend::Cpu, batch);
        assert!(want.iter().sum::<f32>() > 1000.0);
        for backend in backends() {
            assert_eq!(
                run(&net, backend, batch),
                want,
                "{backend:?}, batch {batch}"
            );
        }
    }
    assert!(validate_all(&net)
        .iter()
        .any(|k| k.starts_with("spike_procedural")));
}

fn a_saved_state_and_a_new_step_number_keep_the_inputs_in_the_delay_rings() {
    let (net, _, a, b) =
        procedural_and_listed((120, 150), 5, 0.2, Delays::random(Dist::uniform(0.0, 6.0)));
    let times = |e: usize| -> Vec<f32> { (0..120).map(|i| ((i + 3 * e) % 8) as f32).collect() };
    let file = |tag: &str| temp_path(&format!("{tag}.state"));
    // Spikes at steps 0 to 7, delays up to 6 steps: after 9 steps inputs
    // still wait in the rings, and none of them is due at the same step
    // number modulo the ring's depth once the counter jumps by 1003.
    let start = |backend, batch: usize| {
        let mut sim = net.compile_batched(backend, batch).unwrap();
        for e in 0..batch {
            sim.set_element(a, e, "t1", times(e)).unwrap();
        }
        for _ in 0..9 {
            sim.step().unwrap();
        }
        sim
    };
    let rest = |sim: &mut Simulation| -> Vec<f32> {
        let mut got = Vec::new();
        for _ in 0..8 {
            sim.step().unwrap();
            got.extend(sim.get(b, "last").unwrap().iter().copied());
        }
        got
    };
    for batch in [1, 2] {
        let mut want = None;
        for backend in [Backend::Cpu].into_iter().chain(backends()) {
            let tag = format!("{backend:?}{batch}");
            let mut sim = start(backend, batch);
            sim.save(file(&tag)).unwrap();
            let got = rest(&mut sim);
            assert!(
                got.iter().sum::<f32>() > 100.0,
                "{tag}: inputs were waiting"
            );
            let want = want.get_or_insert(got.clone());
            assert_eq!(&got, want, "{tag}");
            // The step counter is the user's: the rings keep their timing.
            let mut moved = start(backend, batch);
            moved.set_current_step(1003);
            assert_eq!(&rest(&mut moved), want, "{tag} after set_current_step");
            // A freshly compiled network that loads the state continues
            // the run.
            let mut fresh = net.compile_batched(backend, batch).unwrap();
            fresh.load(file(&tag)).unwrap();
            assert_eq!(&rest(&mut fresh), want, "{tag} after load");
            // Loading into a run that has gone on replaces its rings.
            fresh.load(file(&tag)).unwrap();
            assert_eq!(&rest(&mut fresh), want, "{tag} after a second load");
            std::fs::remove_file(file(&tag)).unwrap();
        }
    }
}

fn procedural_delays_without_an_end_are_refused() {
    let mut net = Network::new().dt(1.0);
    let a = net.population("a", 10, &clock()).unwrap();
    let b = net.population("b", 10, &receiver()).unwrap();
    // A delay distribution whose tail never ends must be clipped.
    let e = net
        .projection(a, b, "exc")
        .delays(Delays::random(Dist::exponential(1e-6)))
        .connect_fixed_probability_procedural(0.5, Weights::constant(1.0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("65535") && e.contains(".max()"), "{e}");
    let e = net
        .projection(a, b, "exc")
        .delays(Delays::random(Dist::gamma(2.0, 1.0)))
        .connect_fixed_probability_procedural(0.5, Weights::constant(1.0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("procedural delays"), "{e}");
}

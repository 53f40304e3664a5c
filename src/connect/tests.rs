use super::*;
use crate::random::rng_for;
use ndarray::Array2;

fn geo(dims: &[usize]) -> Geometry {
    Geometry::new(dims).unwrap()
}

struct Setup {
    pre: Geometry,
    post: Geometry,
    same: bool,
    allow: bool,
    weights: Weights,
    delays: Delays,
    dt: f64,
}

impl Setup {
    fn new(pre: &[usize], post: &[usize]) -> Self {
        Setup {
            pre: geo(pre),
            post: geo(post),
            same: false,
            allow: false,
            weights: Weights::constant(1.0),
            delays: Delays::none(),
            dt: 0.1,
        }
    }

    /// One population projecting onto itself.
    fn recurrent(dims: &[usize]) -> Self {
        Setup {
            same: true,
            ..Setup::new(dims, dims)
        }
    }

    fn spec(&self) -> ConnectSpec<'_> {
        ConnectSpec {
            projection: "proj",
            pre: &self.pre,
            post: &self.post,
            same_population: self.same,
            allow_self_connections: self.allow,
            weights: &self.weights,
            delays: &self.delays,
            dt: self.dt,
            rate_coded: false,
            dtype: crate::real::Dtype::F32,
        }
    }

    fn build(&self, c: &Connector, seed: u64) -> Result<SynapseList> {
        build(c, &self.spec(), &mut rng_for(seed, 0))
    }

    fn ok(&self, c: &Connector) -> SynapseList {
        let s = self.build(c, 1).unwrap();
        check_well_formed(&s, self.pre.size(), self.post.size());
        s
    }

    fn err(&self, c: &Connector) -> String {
        let e = self.build(c, 1).unwrap_err().to_string();
        assert!(
            e.contains("proj"),
            "the error does not name the projection: {e}"
        );
        e
    }
}

/// Sorted by (post, pre), no duplicates, ranks in range, equal lengths, delays >= 1.
fn check_well_formed(s: &SynapseList, n_pre: usize, n_post: usize) {
    let n = s.post.len();
    assert_eq!((s.pre.len(), s.w.len(), s.delay.len()), (n, n, n));
    for i in 0..n {
        assert!((s.pre[i] as usize) < n_pre && (s.post[i] as usize) < n_post);
        assert!(s.delay[i] >= 1);
        if i > 0 {
            assert!(
                (s.post[i - 1], s.pre[i - 1]) < (s.post[i], s.pre[i]),
                "not sorted at {i}"
            );
        }
    }
}

fn degrees(ranks: &[u32], n: usize) -> Vec<usize> {
    let mut d = vec![0; n];
    for &r in ranks {
        d[r as usize] += 1;
    }
    d
}

#[test]
fn all_to_all() {
    let s = Setup::new(&[3], &[4]).ok(&Connector::AllToAll);
    assert_eq!(s.len(), 12);
    // Different populations: 0 -> 0 is not a self connection.
    assert!(s.pre.iter().zip(&s.post).any(|(a, b)| a == b));

    let s = Setup::recurrent(&[5]).ok(&Connector::AllToAll);
    assert_eq!(s.len(), 20);
    assert!(s.pre.iter().zip(&s.post).all(|(a, b)| a != b));

    let mut r = Setup::recurrent(&[5]);
    r.allow = true;
    assert_eq!(r.ok(&Connector::AllToAll).len(), 25);
}

#[test]
fn one_to_one() {
    let s = Setup::recurrent(&[2, 3]).ok(&Connector::OneToOne);
    assert_eq!(s.post, (0..6).collect::<Vec<_>>());
    assert_eq!(s.pre, s.post);
    let e = Setup::new(&[4], &[5]).err(&Connector::OneToOne);
    assert!(e.contains("equal sizes"), "{e}");
}

#[test]
fn fixed_probability_count_and_uniformity() {
    let (n_pre, n_post, p) = (1000usize, 800usize, 0.05);
    let s = Setup::new(&[n_pre], &[n_post]).ok(&Connector::FixedProbability(p));
    let pairs = (n_pre * n_post) as f64;
    let (mean, sd) = (p * pairs, (p * (1.0 - p) * pairs).sqrt());
    assert!(
        (s.len() as f64 - mean).abs() < 5.0 * sd,
        "{} vs {mean}",
        s.len()
    );
    // Every part of the pair space is hit at the same rate.
    let low_pre = s.pre.iter().filter(|&&r| (r as usize) < n_pre / 2).count() as f64;
    let low_post = s
        .post
        .iter()
        .filter(|&&r| (r as usize) < n_post / 2)
        .count() as f64;
    let half = s.len() as f64 / 2.0;
    let sd_half = (s.len() as f64 / 4.0).sqrt();
    assert!((low_pre - half).abs() < 5.0 * sd_half);
    assert!((low_post - half).abs() < 5.0 * sd_half);
    // In-degrees are binomial(n_pre, p).
    let d = degrees(&s.post, n_post);
    let mean_deg = d.iter().sum::<usize>() as f64 / n_post as f64;
    let var_deg = d
        .iter()
        .map(|&x| (x as f64 - mean_deg).powi(2))
        .sum::<f64>()
        / (n_post - 1) as f64;
    let var_expected = n_pre as f64 * p * (1.0 - p);
    assert!(
        (var_deg - var_expected).abs() < 0.2 * var_expected,
        "{var_deg}"
    );
}

#[test]
fn fixed_probability_edges_and_self() {
    let r = Setup::recurrent(&[30]);
    let s = r.ok(&Connector::FixedProbability(1.0));
    assert_eq!(s, r.ok(&Connector::AllToAll));
    assert!(r.ok(&Connector::FixedProbability(0.0)).is_empty());
    let s = r.ok(&Connector::FixedProbability(0.5));
    assert!(s.pre.iter().zip(&s.post).all(|(a, b)| a != b));
    for bad in [-0.1, 1.5, f64::NAN] {
        let e = r.err(&Connector::FixedProbability(bad));
        assert!(e.contains("probability"), "{e}");
    }
}

#[test]
fn fixed_probability_large_sparse_is_fast() {
    let n = 64_000;
    let s = Setup::new(&[n], &[n]);
    let t = std::time::Instant::now();
    let syn = s
        .build(&Connector::FixedProbability(80.0 / n as f64), 3)
        .unwrap();
    let elapsed = t.elapsed();
    let (mean, sd) = (80.0 * n as f64, (80.0 * n as f64).sqrt());
    assert!((syn.len() as f64 - mean).abs() < 5.0 * sd);
    check_well_formed(&syn, n, n);
    if !cfg!(debug_assertions) {
        assert!(elapsed.as_secs_f64() < 1.0, "took {elapsed:?}");
    }
}

#[test]
fn fixed_number_pre() {
    let r = Setup::recurrent(&[50]);
    let s = r.ok(&Connector::FixedNumberPre(7));
    assert!(degrees(&s.post, 50).iter().all(|&d| d == 7));
    assert!(s.pre.iter().zip(&s.post).all(|(a, b)| a != b));
    // All the others: exactly all_to_all.
    assert_eq!(
        r.ok(&Connector::FixedNumberPre(49)),
        r.ok(&Connector::AllToAll)
    );
    let e = r.err(&Connector::FixedNumberPre(50));
    assert!(e.contains("49 available"), "{e}");
    // Another population: all of them is fine.
    let s = Setup::new(&[10], &[4]).ok(&Connector::FixedNumberPre(10));
    assert_eq!(s.len(), 40);
    assert!(Setup::new(&[10], &[4])
        .build(&Connector::FixedNumberPre(11), 1)
        .is_err());
    // Every pre is picked about equally often.
    let s = Setup::new(&[20], &[5000]).ok(&Connector::FixedNumberPre(4));
    let d = degrees(&s.pre, 20);
    let (mean, sd) = (1000.0, (20_000.0f64 * 0.05 * 0.95).sqrt());
    assert!(
        d.iter().all(|&x| (x as f64 - mean).abs() < 5.0 * sd),
        "{d:?}"
    );
}

#[test]
fn fixed_number_post() {
    let r = Setup::recurrent(&[40]);
    let s = r.ok(&Connector::FixedNumberPost(5));
    assert!(degrees(&s.pre, 40).iter().all(|&d| d == 5));
    assert!(s.pre.iter().zip(&s.post).all(|(a, b)| a != b));
    let e = r.err(&Connector::FixedNumberPost(40));
    assert!(e.contains("post neurons"), "{e}");
    let s = Setup::new(&[6], &[3]).ok(&Connector::FixedNumberPost(3));
    assert_eq!(s.len(), 18);
}

#[test]
fn from_matrix_round_trip() {
    let mut m = Array2::from_elem((3, 4), f32::NAN);
    m[[0, 1]] = 0.5;
    m[[0, 3]] = 0.0; // zero is a synapse
    m[[2, 0]] = -1.5;
    let mut s = Setup::new(&[4], &[3]);
    s.weights = Weights::constant(9.0); // ignored
    s.delays = Delays::constant(0.3);
    let syn = s.ok(&Connector::FromMatrix(m.clone()));
    assert_eq!(syn.post, vec![0, 0, 2]);
    assert_eq!(syn.pre, vec![1, 3, 0]);
    assert_eq!(syn.w, vec![0.5, 0.0, -1.5]);
    assert_eq!(syn.delay, vec![3, 3, 3]);
    let mut back = Array2::from_elem((3, 4), f32::NAN);
    for i in 0..syn.len() {
        back[[syn.post[i] as usize, syn.pre[i] as usize]] = syn.w.get(i) as f32;
    }
    assert!(back
        .iter()
        .zip(m.iter())
        .all(|(a, b)| a == b || (a.is_nan() && b.is_nan())));

    let e = s.err(&Connector::FromMatrix(Array2::zeros((4, 3))));
    assert!(e.contains("[3, 4]") && e.contains("[4, 3]"), "{e}");
    m[[1, 1]] = f32::INFINITY;
    assert!(s
        .err(&Connector::FromMatrix(m))
        .contains("NaN for no synapse"));
}

#[test]
fn from_sparse() {
    let s = Setup::new(&[5], &[4]);
    let c = Connector::FromSparse {
        post: vec![3, 0, 3, 1],
        pre: vec![4, 2, 0, 2],
        w: vec![1.0, 2.0, 3.0, 4.0],
        delay: Some(vec![0.0, 1.0, 2.0, 0.05]),
    };
    let syn = s.ok(&c);
    assert_eq!(syn.post, vec![0, 1, 3, 3]);
    assert_eq!(syn.pre, vec![2, 2, 0, 4]);
    assert_eq!(syn.w, vec![2.0, 4.0, 3.0, 1.0]);
    assert_eq!(syn.delay, vec![10, 1, 20, 1]);

    let sparse = |post: Vec<u32>, pre: Vec<u32>, w: Vec<f32>, delay| Connector::FromSparse {
        post,
        pre,
        w: w.into_iter().map(f64::from).collect(),
        delay,
    };
    let e = s.err(&sparse(vec![0, 1], vec![0], vec![1.0, 1.0], None));
    assert!(e.contains("equal lengths"), "{e}");
    let e = s.err(&sparse(vec![0], vec![0], vec![1.0], Some(vec![])));
    assert!(e.contains("equal lengths"), "{e}");
    let e = s.err(&sparse(vec![4], vec![0], vec![1.0], None));
    assert!(e.contains("outside"), "{e}");
    let e = s.err(&sparse(vec![0], vec![5], vec![1.0], None));
    assert!(e.contains("outside"), "{e}");
    let e = s.err(&sparse(vec![1, 0, 1], vec![2, 0, 2], vec![1.0; 3], None));
    assert!(e.contains("2 -> 1") && e.contains("more than once"), "{e}");
    let e = s.err(&sparse(vec![0], vec![0], vec![1.0], Some(vec![-1.0])));
    assert!(e.contains(">= 0 ms"), "{e}");
    let e = s.err(&sparse(vec![0], vec![0], vec![f32::NAN], None));
    assert!(e.contains("non-finite"), "{e}");
}

#[test]
fn with_func() {
    let s = Setup::new(&[6], &[3]);
    let ring = Connector::with_func(|pre, post, _rng| {
        let mut lil = Lil::default();
        // Reverse order on purpose: the output must come back sorted.
        for i in (0..post.size() as u32).rev() {
            let pres = vec![(2 * i + 1) % pre.size() as u32, 2 * i];
            lil.w.push(pres.iter().map(|&p| p as f32).collect());
            lil.pre.push(pres);
            lil.post.push(i);
        }
        lil
    });
    let syn = s.ok(&ring);
    assert_eq!(syn.post, vec![0, 0, 1, 1, 2, 2]);
    assert_eq!(syn.pre, vec![0, 1, 2, 3, 4, 5]);
    assert_eq!(syn.w, vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);

    let with = |lil: Lil| {
        Connector::with_func(move |_: &Geometry, _: &Geometry, _: &mut StdRng| lil.clone())
    };
    let lil = |post: Vec<u32>, pre: Vec<Vec<u32>>, w: Vec<Vec<f32>>| Lil {
        post,
        pre,
        w,
        delay: None,
    };
    let e = s.err(&with(lil(vec![0, 1], vec![vec![0]], vec![vec![1.0]])));
    assert!(e.contains("2 post ranks but 1 pre lists"), "{e}");
    let e = s.err(&with(lil(vec![0], vec![vec![0, 1]], vec![vec![1.0]])));
    assert!(e.contains("2 pre ranks but 1 weights"), "{e}");
    let e = s.err(&with(lil(vec![3], vec![vec![0]], vec![vec![1.0]])));
    assert!(e.contains("outside"), "{e}");
    let e = s.err(&with(lil(
        vec![1, 1],
        vec![vec![4], vec![4]],
        vec![vec![1.0], vec![2.0]],
    )));
    assert!(e.contains("4 -> 1") && e.contains("more than once"), "{e}");
    // The same post twice with different pres is fine.
    let syn = s.ok(&with(lil(
        vec![1, 0, 1],
        vec![vec![4], vec![0], vec![2]],
        vec![vec![1.0]; 3],
    )));
    assert_eq!((syn.post, syn.pre), (vec![0, 1, 1], vec![0, 2, 4]));
    let mut bad = lil(vec![0], vec![vec![0, 1]], vec![vec![1.0, 1.0]]);
    bad.delay = Some(vec![vec![1.0]]);
    assert!(s.err(&with(bad)).contains("1 delays"));
    let mut good = lil(vec![0], vec![vec![0, 1]], vec![vec![1.0, 1.0]]);
    good.delay = Some(vec![vec![1.0, 0.5]]);
    assert_eq!(s.ok(&with(good)).delay, vec![10, 5]);
}

/// Independent reference: ANNarchy's normalised coordinates and formula, brute force.
fn reference(
    pre: &Geometry,
    post: &Geometry,
    no_self: bool,
    f: impl Fn(f64) -> f64,
    threshold: f64,
) -> Vec<(u32, u32, f32)> {
    let norm = |g: &Geometry, r: usize| -> Vec<f64> {
        g.coords(r)
            .iter()
            .zip(g.dims())
            .map(|(&c, &n)| {
                if n == 1 {
                    0.0
                } else {
                    c as f64 / (n as f64 - 1.0)
                }
            })
            .collect()
    };
    let mut out = vec![];
    for q in 0..post.size() {
        let y = norm(post, q);
        for p in 0..pre.size() {
            if no_self && p == q {
                continue;
            }
            let x = norm(pre, p);
            let d2: f64 = x.iter().zip(&y).map(|(a, b)| (a - b) * (a - b)).sum();
            let w = f(d2);
            if w.abs() > threshold {
                out.push((q as u32, p as u32, w as f32));
            }
        }
    }
    out
}

fn triples(s: &SynapseList) -> Vec<(u32, u32, f32)> {
    (0..s.len())
        .map(|i| (s.post[i], s.pre[i], s.w.get(i) as f32))
        .collect()
}

#[test]
fn gaussian_hand_picked() {
    let mut s = Setup::new(&[5, 5], &[3, 3]);
    s.weights = Weights::constant(100.0); // ignored
    let c = Connector::Gaussian {
        amp: 2.0,
        sigma: 0.3,
        limit: 0.1,
    };
    let syn = s.ok(&c);
    let w = |post: u32, pre: u32| {
        (0..syn.len())
            .find(|&i| syn.post[i] == post && syn.pre[i] == pre)
            .map(|i| syn.w.get(i) as f32)
    };
    // Post (1, 1) sits at (0.5, 0.5); pre (4, 2) at (1.0, 0.5): d2 = 0.25.
    let expected = (2.0 * (-0.25f64 / (2.0 * 0.09)).exp()) as f32;
    assert_eq!(w(4, 22), Some(expected));
    // Pre (2, 2) at the same place: the full amplitude.
    assert_eq!(w(4, 12), Some(2.0));
    // Post (0, 0) at the origin, pre (4, 4) at (1, 1): d2 = 2, far below 0.1 * amp.
    assert_eq!(w(0, 24), None);
    // Exactly the brute-force set.
    let f = |d2: f64| 2.0 * (-d2 / 0.18).exp();
    assert_eq!(triples(&syn), reference(&s.pre, &s.post, false, f, 0.2));
}

#[test]
fn gaussian_matches_reference_in_1_to_4_dims() {
    for (dims_pre, dims_post, sigma, limit) in [
        (vec![40], vec![15], 0.1, 0.01),
        (vec![7, 9], vec![4, 5], 0.2, 0.05),
        (vec![4, 1, 5], vec![3, 2, 6], 0.15, 0.3),
        (vec![3, 4, 2, 5], vec![2, 3, 3, 2], 0.4, 0.0),
    ] {
        let s = Setup::new(&dims_pre, &dims_post);
        let amp = -1.5f32;
        let syn = s.ok(&Connector::Gaussian { amp, sigma, limit });
        let f = |d2: f64| -1.5 * (-d2 / (2.0 * sigma * sigma)).exp();
        let want = reference(&s.pre, &s.post, false, f, limit * 1.5);
        assert!(!want.is_empty());
        assert_eq!(triples(&syn), want, "{dims_pre:?} -> {dims_post:?}");
    }
}

#[test]
fn gaussian_self_connections_and_errors() {
    let r = Setup::recurrent(&[6, 6]);
    let c = Connector::Gaussian {
        amp: 1.0,
        sigma: 0.2,
        limit: 0.01,
    };
    let syn = r.ok(&c);
    assert!(syn.pre.iter().zip(&syn.post).all(|(a, b)| a != b));
    let f = |d2: f64| (-d2 / 0.08).exp();
    assert_eq!(triples(&syn), reference(&r.pre, &r.post, true, f, 0.01));
    let mut a = Setup::recurrent(&[6, 6]);
    a.allow = true;
    assert_eq!(a.ok(&c).len(), syn.len() + 36);

    let e = Setup::new(&[6, 6], &[36]).err(&c);
    assert!(e.contains("same number of dimensions") && e.contains("[6, 6]") && e.contains("[36]"));
    let g = |amp: f32, sigma: f64, limit: f64| Connector::Gaussian { amp, sigma, limit };
    assert!(r.err(&g(1.0, 0.0, 0.1)).contains("sigma"));
    assert!(r.err(&g(1.0, f64::NAN, 0.1)).contains("sigma"));
    assert!(r.err(&g(f32::INFINITY, 0.1, 0.1)).contains("amp"));
    assert!(r.err(&g(1.0, 0.1, -0.1)).contains("limit"));
    // A limit of 1 or more leaves nothing.
    assert!(r.ok(&g(1.0, 0.1, 1.0)).is_empty());
}

#[test]
fn dog_matches_reference() {
    let s = Setup::new(&[12, 10], &[6, 5]);
    let (ap, sp, an, sn, limit) = (1.0f32, 0.1, 0.5f32, 0.3, 0.05);
    let syn = s.ok(&Connector::Dog {
        amp_pos: ap,
        sigma_pos: sp,
        amp_neg: an,
        sigma_neg: sn,
        limit,
    });
    let f = |d2: f64| (-d2 / (2.0 * sp * sp)).exp() - 0.5 * (-d2 / (2.0 * sn * sn)).exp();
    let want = reference(&s.pre, &s.post, false, f, limit * 0.5);
    assert!(want.iter().any(|t| t.2 < 0.0) && want.iter().any(|t| t.2 > 0.0));
    assert_eq!(triples(&syn), want);

    let r = Setup::recurrent(&[20]);
    let c = Connector::Dog {
        amp_pos: 1.0,
        sigma_pos: 0.05,
        amp_neg: 0.8,
        sigma_neg: 0.2,
        limit: 0.0,
    };
    let syn = r.ok(&c);
    let f = |d2: f64| (-d2 / 0.005).exp() - f64::from(0.8f32) * (-d2 / 0.08).exp();
    assert_eq!(triples(&syn), reference(&r.pre, &r.post, true, f, 0.0));
    let e = r.err(&Connector::Dog {
        amp_pos: 1.0,
        sigma_pos: 0.05,
        amp_neg: 0.8,
        sigma_neg: -0.2,
        limit: 0.0,
    });
    assert!(e.contains("sigma_neg"), "{e}");
}

#[test]
fn delays() {
    let mut s = Setup::new(&[10], &[10]);
    s.dt = 0.5;
    for (ms, steps) in [(0.0, 1), (0.5, 1), (0.7, 1), (0.8, 2), (2.0, 4), (10.0, 20)] {
        s.delays = Delays::constant(ms);
        assert!(
            s.ok(&Connector::OneToOne).delay.iter().all(|&d| d == steps),
            "{ms}"
        );
    }
    for bad in [-1.0, f64::NAN, f64::INFINITY] {
        s.delays = Delays::constant(bad);
        assert!(s
            .err(&Connector::OneToOne)
            .contains("delays must be finite"));
    }
    s.delays = Delays::constant(1e12);
    assert!(s.err(&Connector::OneToOne).contains("steps"));

    // Random delays: uniform in [0, 3) ms at dt 0.5 gives 1..=6 steps, all of them.
    s.delays = Delays::random(Dist::uniform(0.0, 3.0));
    let syn = s.ok(&Connector::AllToAll);
    let mut seen: Vec<u32> = syn.delay.clone();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen, vec![1, 2, 3, 4, 5, 6]);
    // Negative draws are clipped to one step.
    s.delays = Delays::random(Dist::normal(-5.0, 1.0));
    assert!(s.ok(&Connector::AllToAll).delay.iter().all(|&d| d == 1));
    s.delays = Delays::random(Dist::exponential(-1.0));
    let e = s.err(&Connector::AllToAll);
    assert!(e.contains("delays") && e.contains("lambda"), "{e}");

    for dt in [0.0, -0.1, f64::NAN] {
        s.delays = Delays::none();
        s.dt = dt;
        assert!(s.err(&Connector::AllToAll).contains("dt"));
    }
}

#[test]
fn weights() {
    let mut s = Setup::new(&[100], &[100]);
    s.weights = Weights::random(Dist::normal(1.0, 0.5));
    let syn = s.ok(&Connector::AllToAll);
    let mean = syn.w.to_f64().iter().sum::<f64>() / syn.len() as f64;
    assert!((mean - 1.0).abs() < 5.0 * 0.5 / 100.0, "{mean}");
    // One draw per synapse, each post-synaptic neuron's from a generator
    // of its own, keyed by a word of the projection's stream.
    let key: u64 = rand::Rng::random(&mut rng_for(1, 0));
    let want: Vec<f32> = (0..100u64)
        .flat_map(|j| {
            Dist::normal(1.0, 0.5)
                .sample(&mut rng_for(key ^ super::WEIGHTS, j), 100, "x")
                .unwrap()
        })
        .collect();
    assert_eq!(syn.w, want);

    s.weights = Weights::random(Dist::normal(1.0, -0.5));
    let e = s.err(&Connector::AllToAll);
    assert!(e.contains("weights") && e.contains("sigma"), "{e}");
    s.weights = Weights::constant(f32::NAN);
    assert!(s
        .err(&Connector::AllToAll)
        .contains("weight must be finite"));
    // Connectors with their own weights ignore the spec's.
    assert!(s
        .build(&Connector::FromMatrix(Array2::zeros((100, 100))), 1)
        .is_ok());
}

#[test]
fn deterministic() {
    let mut s = Setup::recurrent(&[300]);
    s.weights = Weights::random(Dist::uniform(0.0, 1.0));
    s.delays = Delays::random(Dist::uniform(0.0, 5.0));
    for c in [
        Connector::FixedProbability(0.1),
        Connector::FixedNumberPre(12),
        Connector::FixedNumberPost(12),
    ] {
        let a = s.build(&c, 5).unwrap();
        assert_eq!(a, s.build(&c, 5).unwrap(), "{c:?}");
        assert_ne!(a, s.build(&c, 6).unwrap(), "{c:?}");
    }
}

#[test]
fn too_many_synapses_is_an_error_not_an_abort() {
    let s = Setup::new(&[65_536], &[65_536]);
    assert!(s.err(&Connector::AllToAll).contains("limit"));
    assert!(s.err(&Connector::FixedProbability(0.9)).contains("limit"));
    assert!(s.err(&Connector::FixedNumberPre(40_000)).contains("limit"));
    assert!(s.err(&Connector::FixedNumberPost(40_000)).contains("limit"));
}

#[test]
fn names_and_debug() {
    assert_eq!(Connector::FixedProbability(0.1).name(), "fixed_probability");
    assert_eq!(
        format!("{:?}", Connector::FixedNumberPre(3)),
        "FixedNumberPre(3)"
    );
    assert_eq!(Delays::none(), Delays::Constant(0.0));
    assert_eq!(Weights::from(2.0f32), Weights::constant(2.0));
}

#[test]
fn rows_kept_are_the_rows_of_the_whole_list() {
    // What a rank of a distributed run draws (the post-synaptic neurons
    // of its block) is that block of what one process draws, weights and
    // delays included, and the counts of every row are known without the
    // others' synapses.
    let mut s = Setup::recurrent(&[700]);
    s.weights = Weights::random(Dist::uniform(0.0, 1.0));
    s.delays = Delays::random(Dist::uniform(0.1, 3.0));
    let connectors = [
        Connector::FixedProbability(0.05),
        Connector::FixedNumberPre(12),
        Connector::FixedNumberPost(9),
        Connector::AllToAll,
        Connector::OneToOne,
    ];
    for c in &connectors {
        let whole = s.build(c, 3).unwrap();
        for block in [0..256, 256..700, 100..101, 0..0] {
            let keep = |j: usize| block.contains(&j);
            let (part, counts) = build_rows(c, &s.spec(), &mut rng_for(3, 0), Some(&keep)).unwrap();
            let (lo, hi) = (
                whole.post.partition_point(|&p| (p as usize) < block.start),
                whole.post.partition_point(|&p| (p as usize) < block.end),
            );
            assert_eq!(part.post, whole.post[lo..hi], "{c:?} {block:?}: posts");
            assert_eq!(part.pre, whole.pre[lo..hi], "{c:?} {block:?}: pres");
            assert_eq!(part.w, whole.w.slice(lo..hi), "{c:?} {block:?}: weights");
            assert_eq!(part.delay, whole.delay[lo..hi], "{c:?} {block:?}: delays");
            let mut want = vec![0u32; 700];
            whole.post.iter().for_each(|&p| want[p as usize] += 1);
            assert_eq!(counts, want, "{c:?}: counts");
        }
    }
}

#[test]
fn fixed_probability_draws_each_pair_with_its_probability() {
    // A binomial count a row and a uniform subset of that size: the law of
    // a draw per pair. Over 400 x 500 pairs at p = 0.1: the total within
    // 5 standard deviations, each pre-synaptic neuron as often chosen
    // (chi-square over 500 cells), and no self connection.
    let s = Setup::recurrent(&[500]);
    let syn = s.ok(&Connector::FixedProbability(0.1));
    let pairs = 500.0 * 499.0;
    let n = syn.len() as f64;
    let sd = (pairs * 0.1 * 0.9_f64).sqrt();
    assert!((n - 0.1 * pairs).abs() < 5.0 * sd, "{n} synapses");
    assert!(syn.post.iter().zip(&syn.pre).all(|(a, b)| a != b));
    let mut by_pre = vec![0f64; 500];
    syn.pre.iter().for_each(|&p| by_pre[p as usize] += 1.0);
    let mean = n / 500.0;
    let chi2: f64 = by_pre.iter().map(|&c| (c - mean).powi(2) / mean).sum();
    // 499 degrees of freedom: mean 499, sd about 32.
    assert!(chi2 < 499.0 + 5.0 * 31.6, "chi-square {chi2}");
}

#[test]
fn views_drop_self_synapses_with_their_weights_and_delays() {
    // Synapses between views, in (post, pre) order or not, some of them a
    // neuron onto itself once mapped: the others keep their own weight
    // and delay, in (post, pre) order, in both precisions.
    let pre_ranks = [2u32, 3, 4, 5];
    let post_ranks = [3u32, 4];
    for ordered in [true, false] {
        let mut pairs: Vec<(u32, u32)> = (0..2u32)
            .flat_map(|j| (0..4u32).map(move |i| (j, i)))
            .collect();
        if !ordered {
            pairs.reverse();
        }
        let w: Vec<f64> = (0..pairs.len()).map(|k| 0.5 + k as f64).collect();
        let delay: Vec<u32> = (0..pairs.len() as u32).map(|k| 1 + k).collect();
        for dtype in [crate::real::Dtype::F32, crate::real::Dtype::F64] {
            let list = SynapseList {
                post: pairs.iter().map(|p| p.0).collect(),
                pre: pairs.iter().map(|p| p.1).collect(),
                w: crate::real::Reals::of(dtype, w.clone()),
                delay: delay.clone(),
            };
            let mut want: Vec<(u32, u32, f64, u32)> = (0..pairs.len())
                .map(|k| {
                    let (j, i) = pairs[k];
                    (
                        post_ranks[j as usize],
                        pre_ranks[i as usize],
                        w[k],
                        delay[k],
                    )
                })
                .filter(|s| s.0 != s.1)
                .collect();
            want.sort_by_key(|s| (s.0, s.1));
            let got = list.on_views(Some(&pre_ranks), Some(&post_ranks), true);
            let w_got = got.w.to_f64();
            let got: Vec<(u32, u32, f64, u32)> = (0..got.len())
                .map(|k| (got.post[k], got.pre[k], w_got[k], got.delay[k]))
                .collect();
            assert_eq!(got, want, "ordered {ordered}, {dtype:?}");
            assert_eq!(got.len(), 6);
        }
    }
}

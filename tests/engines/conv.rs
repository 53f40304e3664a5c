//! The convolution extension on both engines: ANNarchy 5.0.4.1's outputs
//! (tests/data/annarchy/conv, with its manifest) reproduced within 1e-5,
//! and every option against a direct loop written here from the documented
//! semantics (centre-based, independent of the engine's window arithmetic).

use crate::common::{assert_close, backends, tests, Tol};
use cajal::network::conv::Padding;
use cajal::network::model::Operation;
use cajal::prelude::*;
use ndarray::{ArrayD, Dimension, IxDyn};
use ndarray_npy::read_npy;

tests! {
    cpu: [
        spiking_convolution_refuses_what_it_cannot_do,
        two_dimensional_filters_take_the_tiled_kernel,
        centres_are_annarchys,
    ],
    both: [
        annarchy_reference_cases_are_reproduced,
        every_option_matches_a_direct_loop,
        psp_expressions_and_pooling_match_a_direct_loop,
        spiking_convolution_adds_the_filter_at_each_spike,
        spiking_sum_and_mean_pooling_add_to_the_block_of_each_spike,
        transpose_and_copy_of_convolutions_and_projections,
    ],
}

/// The tolerance of a value against its reference:
/// `|got - want| <= 1e-5 * max(|want|, 1)`.
const TOL: Tol<f64> = Tol::rel_floor(1e-5, 1.0);

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/annarchy/conv");

fn load(name: &str) -> ArrayD<f64> {
    read_npy(format!("{DATA}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn f32s(a: &ArrayD<f64>) -> ArrayD<f32> {
    a.mapv(|x| x as f32)
}

fn input_neuron() -> Neuron {
    Neuron::rate().parameters("r = 0.0")
}

fn sum_neuron() -> Neuron {
    Neuron::rate().equations("r = sum(exc)")
}

/// Runs `steps` steps and returns post's r after each.
fn run(
    b: Backend,
    input: &ArrayD<f32>,
    post_dims: &[usize],
    connect: impl FnOnce(&mut Network, PopId, PopId) -> cajal::Result<ProjId>,
    steps: usize,
) -> Vec<ArrayD<f32>> {
    let mut net = Network::new().dt(1.0);
    let pre = net
        .population("pre", input.shape(), &input_neuron())
        .unwrap();
    let post = net.population("post", post_dims, &sum_neuron()).unwrap();
    net.set(pre, "r", input.clone()).unwrap();
    connect(&mut net, pre, post).unwrap();
    let mut sim = net.compile(b).unwrap();
    (0..steps)
        .map(|_| {
            sim.step().unwrap();
            sim.get(post, "r").unwrap()
        })
        .collect()
}

fn annarchy_reference_cases_are_reproduced() {
    let in2d = f32s(&load("in2d.npy"));
    for b in backends() {
        for (case, post_dims, bank) in [
            ("conv_edge_32x32", vec![32, 32], false),
            ("conv_edge_sub16x16", vec![16, 16], false),
            ("bank4_16x16x4", vec![16, 16, 4], true),
        ] {
            let w = f32s(&load(&format!("{case}_w.npy")));
            let outs = run(
                b,
                &in2d,
                &post_dims,
                |net, pre, post| {
                    let c = net.convolution(pre, post, "exc");
                    if bank {
                        c.connect_filters(&w)
                    } else {
                        c.connect_filter(&w)
                    }
                },
                3,
            );
            for (s, out) in outs.iter().enumerate() {
                let want = load(&format!("{case}_out_step{}.npy", s + 1));
                assert_close(out, &want, TOL, &format!("{b:?} {case} step {}", s + 1));
            }
        }
        let outs = run(
            b,
            &in2d,
            &[16, 16],
            |net, pre, post| net.pooling(pre, post, "exc").connect_pooling(None),
            3,
        );
        for (s, out) in outs.iter().enumerate() {
            let want = load(&format!("pool_max_16x16_out_step{}.npy", s + 1));
            assert_close(out, &want, TOL, &format!("{b:?} pool step {}", s + 1));
        }
        // The input computed by an equation: one more step of latency.
        let w = f32s(&load("conv_edge_eqinput_32x32_w.npy"));
        let mut net = Network::new().dt(1.0);
        let pre = net
            .population(
                "pre",
                [32, 32],
                &Neuron::rate()
                    .parameters("baseline = 0.0")
                    .equations("r = baseline"),
            )
            .unwrap();
        let post = net.population("post", [32, 32], &sum_neuron()).unwrap();
        net.set(pre, "baseline", in2d.clone()).unwrap();
        net.convolution(pre, post, "exc")
            .connect_filter(&w)
            .unwrap();
        let mut sim = net.compile(b).unwrap();
        for s in 1..=3 {
            sim.step().unwrap();
            let want = load(&format!("conv_edge_eqinput_32x32_out_step{s}.npy"));
            assert_close(
                &sim.get(post, "r").unwrap(),
                &want,
                TOL,
                &format!("{b:?} eqinput step {s}"),
            );
        }
    }
}

/// The documented convolution, written directly: post coordinate `a` has
/// its centre at `a` (same size) or `(s - 1) / 2 + s a` (s = pre / post),
/// or at an explicit centre; tap `k` of a kernel of size K reads pre
/// `centre + k - K / 2`; a spanned last dimension reads `k`; a kept last
/// dimension reads post's coordinate. Bank: filter = post's last coordinate.
#[allow(clippy::too_many_arguments)]
fn direct(
    input: &ArrayD<f32>,
    post_dims: &[usize],
    filters: &ArrayD<f32>,
    bank: bool,
    keep_last: bool,
    padding: Padding,
    centres: Option<&[Vec<usize>]>,
    op: Operation,
    psp: &dyn Fn(f32, f32) -> f32,
) -> ArrayD<f32> {
    let pre = input.shape().to_vec();
    let nd = pre.len();
    let mut out = ArrayD::<f32>::zeros(IxDyn(post_dims));
    let spatial = if bank {
        post_dims.len() - 1
    } else {
        post_dims.len()
    };
    for (rank, (p, o)) in out.indexed_iter_mut().enumerate() {
        let p = p.slice().to_vec();
        let (f, fshape): (Vec<usize>, Vec<usize>) = if bank {
            (vec![p[post_dims.len() - 1]], filters.shape()[1..].to_vec())
        } else {
            (vec![], filters.shape().to_vec())
        };
        let fshape_full: Vec<usize> = if keep_last {
            fshape.iter().copied().chain([1]).collect()
        } else {
            fshape.clone()
        };
        let spans = !keep_last && spatial + 1 == nd;
        let mut acc: Option<f32> = None;
        let taps: usize = fshape.iter().product();
        for t in 0..taps {
            // Kernel coordinates of tap t.
            let mut k = vec![0usize; fshape_full.len()];
            let mut r = t;
            for d in (0..fshape_full.len()).rev() {
                k[d] = r % fshape_full[d];
                r /= fshape_full[d];
            }
            let mut q = vec![0i64; nd];
            for d in 0..nd {
                let kd = fshape_full[d];
                q[d] = if spans && d == nd - 1 {
                    k[d] as i64
                } else if keep_last && d == nd - 1 {
                    p[d] as i64
                } else {
                    let c = match centres {
                        Some(c) => c[rank][d] as i64,
                        None if pre[d] == post_dims[d] => p[d] as i64,
                        None => {
                            let s = (pre[d] / post_dims[d]) as i64;
                            (s - 1) / 2 + s * p[d] as i64
                        }
                    };
                    c + k[d] as i64 - (kd / 2) as i64
                };
            }
            let out_of = q.iter().zip(&pre).any(|(&x, &n)| x < 0 || x >= n as i64);
            let r = if out_of {
                match padding {
                    Padding::Value(v) => v,
                    Padding::Border => {
                        let qc: Vec<usize> = q
                            .iter()
                            .zip(&pre)
                            .map(|(&x, &n)| x.clamp(0, n as i64 - 1) as usize)
                            .collect();
                        input[IxDyn(&qc)]
                    }
                }
            } else {
                let qc: Vec<usize> = q.iter().map(|&x| x as usize).collect();
                input[IxDyn(&qc)]
            };
            let widx: Vec<usize> = f
                .iter()
                .copied()
                .chain(k[..fshape.len()].iter().copied())
                .collect();
            let v = psp(filters[IxDyn(&widx)], r);
            acc = Some(match (acc, op) {
                (None, _) => v,
                (Some(a), Operation::Sum | Operation::Mean) => a + v,
                (Some(a), Operation::Max) => a.max(v),
                (Some(a), Operation::Min) => a.min(v),
            });
        }
        let a = acc.unwrap_or(0.0);
        *o = if op == Operation::Mean {
            a / taps as f32
        } else {
            a
        };
    }
    out
}

fn ramp(shape: &[usize], seed: u32) -> ArrayD<f32> {
    let mut x = seed.wrapping_mul(2654435761);
    ArrayD::from_shape_fn(IxDyn(shape), |_| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        (x % 2000) as f32 / 1000.0 - 1.0
    })
}

fn every_option_matches_a_direct_loop() {
    let edge = ArrayD::from_shape_vec(
        IxDyn(&[3, 3]),
        vec![1.0f32, 0.0, -1.0, 2.0, 0.0, -2.0, 1.0, 0.0, -1.0],
    )
    .unwrap();
    struct Case {
        name: &'static str,
        pre: Vec<usize>,
        post: Vec<usize>,
        filter: ArrayD<f32>,
        bank: bool,
        keep_last: bool,
        padding: Padding,
        centres: Option<Vec<Vec<usize>>>,
        op: Operation,
    }
    let base = |name, pre: &[usize], post: &[usize], filter: ArrayD<f32>| Case {
        name,
        pre: pre.to_vec(),
        post: post.to_vec(),
        filter,
        bank: false,
        keep_last: false,
        padding: Padding::Value(0.0),
        centres: None,
        op: Operation::Sum,
    };
    let mut cases = vec![
        base("edge 20x20", &[20, 20], &[20, 20], edge.clone()),
        base("edge subsampled 20->10", &[20, 20], &[10, 10], edge.clone()),
        base("edge subsampled 21->7", &[21, 21], &[7, 7], edge.clone()),
        base("1-D", &[30], &[10], ramp(&[5], 1)),
        base("4x4 even kernel", &[12, 12], &[12, 12], ramp(&[4, 4], 2)),
        base("3-D filter", &[8, 8, 6], &[8, 8, 6], ramp(&[3, 3, 3], 3)),
        base(
            "RGB filter spanning the last dimension",
            &[12, 12, 3],
            &[12, 12],
            ramp(&[3, 3, 3], 4),
        ),
        base("4-D", &[4, 5, 6, 2], &[4, 5, 6, 2], ramp(&[3, 1, 3, 2], 5)),
    ];
    let mut c = base("padding 0.5", &[10, 10], &[10, 10], ramp(&[5, 5], 6));
    c.padding = Padding::Value(0.5);
    cases.push(c);
    let mut c = base("border padding", &[10, 10], &[5, 5], ramp(&[5, 5], 7));
    c.padding = Padding::Border;
    cases.push(c);
    let mut c = base(
        "keep_last_dimension",
        &[10, 10, 3],
        &[10, 10, 3],
        edge.clone(),
    );
    c.keep_last = true;
    cases.push(c);
    let mut c = base("bank of 4", &[16, 16], &[8, 8, 4], ramp(&[4, 3, 3], 8));
    c.bank = true;
    cases.push(c);
    let mut c = base(
        "bank spanning RGB",
        &[10, 10, 3],
        &[5, 5, 2],
        ramp(&[2, 3, 3, 3], 9),
    );
    c.bank = true;
    cases.push(c);
    let mut c = base("explicit centres", &[9, 9], &[2, 3], edge.clone());
    c.centres = Some(vec![
        vec![0, 0],
        vec![4, 4],
        vec![8, 8],
        vec![1, 7],
        vec![7, 1],
        vec![3, 5],
    ]);
    cases.push(c);
    for op in [Operation::Max, Operation::Min, Operation::Mean] {
        let mut c = base("operation", &[10, 10], &[5, 5], ramp(&[3, 3], 10));
        c.op = op;
        c.padding = Padding::Value(-0.25);
        cases.push(c);
    }
    for case in &cases {
        let input = ramp(&case.pre, 11);
        let want = direct(
            &input,
            &case.post,
            &case.filter,
            case.bank,
            case.keep_last,
            case.padding,
            case.centres.as_deref(),
            case.op,
            &|w, r| w * r,
        );
        for b in backends() {
            let out = run(
                b,
                &input,
                &case.post,
                |net, pre, post| {
                    let mut c = net
                        .convolution(pre, post, "exc")
                        .padding(case.padding)
                        .keep_last_dimension(case.keep_last)
                        .operation(case.op);
                    if let Some(cs) = &case.centres {
                        c = c.subsampling(cs.clone());
                    }
                    if case.bank {
                        c.connect_filters(&case.filter)
                    } else {
                        c.connect_filter(&case.filter)
                    }
                },
                1,
            );
            let want64 = want.mapv(f64::from);
            assert_close(&out[0], &want64, TOL, &format!("{b:?} {}", case.name));
        }
    }
}

fn psp_expressions_and_pooling_match_a_direct_loop() {
    let input = ramp(&[12, 12], 21).mapv(|x| x.abs());
    let filter = ramp(&[3, 3], 22);
    let want = direct(
        &input,
        &[12, 12],
        &filter,
        false,
        false,
        Padding::Value(0.0),
        None,
        Operation::Sum,
        &|w, r| w * (1.0 + r).ln(),
    );
    for b in backends() {
        let out = run(
            b,
            &input,
            &[12, 12],
            |net, pre, post| {
                net.convolution(pre, post, "exc")
                    .psp("w * log(1.0 + pre.r)")
                    .connect_filter(&filter)
            },
            1,
        );
        assert_close(
            &out[0],
            &want.mapv(f64::from),
            TOL,
            &format!("{b:?} log psp"),
        );
    }
    // Pooling: mean over 2 x 2, min over 3 x 3, max over a whole dimension.
    let x = ramp(&[6, 6, 4], 23);
    for b in backends() {
        for (post, extent, e, op) in [
            (vec![3, 3, 4], None, [2, 2, 1], Operation::Mean),
            (
                vec![2, 2, 4],
                Some(vec![3, 3, 1]),
                [3, 3, 1],
                Operation::Min,
            ),
            (vec![6, 6], None, [1, 1, 4], Operation::Max),
            (vec![3, 3], Some(vec![2, 2, 4]), [2, 2, 4], Operation::Max),
        ] {
            let out = run(
                b,
                &x,
                &post,
                |net, pre, po| {
                    net.pooling(pre, po, "exc")
                        .operation(op)
                        .connect_pooling(extent.as_deref())
                },
                1,
            );
            // Direct: post a covers pre a*e .. a*e + e (whole where post lacks the dimension).
            let mut want = ArrayD::<f32>::zeros(IxDyn(&post));
            for (p, o) in want.indexed_iter_mut() {
                let p = p.slice().to_vec();
                let mut vals = Vec::new();
                for (q, &v) in x.indexed_iter() {
                    let q = q.slice().to_vec();
                    let inside = (0..3).all(|d| match p.get(d) {
                        Some(&a) => q[d] >= a * e[d] && q[d] < a * e[d] + e[d],
                        None => true,
                    });
                    if inside {
                        vals.push(v);
                    }
                }
                *o = match op {
                    Operation::Max => vals.iter().cloned().fold(f32::NEG_INFINITY, f32::max),
                    Operation::Min => vals.iter().cloned().fold(f32::INFINITY, f32::min),
                    _ => vals.iter().sum::<f32>() / vals.len() as f32,
                };
            }
            assert_close(
                &out[0],
                &want.mapv(f64::from),
                TOL,
                &format!("{b:?} pooling {post:?} {op:?}"),
            );
        }
    }
}

/// Spikes through a convolution, event-driven: each spike adds the weight
/// of every tap that reads it to the conductance of that tap's post neuron.
/// Expected values from the direct loop (rate-coded) fed with the spike
/// indicator: what a post neuron receives at step s is the convolution of
/// the spikes of step s - delay.
fn spiking_convolution_adds_the_filter_at_each_spike() {
    let pre_dims = [12usize, 10];
    // Up to three spike times per neuron (-1: none), at dt = 1 ms.
    let times = |i: usize| -> [f32; 3] {
        match i % 7 {
            0 => [1.0, 4.0, -1.0],
            3 => [2.0, -1.0, -1.0],
            5 => [1.0, 2.0, 3.0],
            _ => [-1.0, -1.0, -1.0],
        }
    };
    let clock = Neuron::spiking()
        .parameters("t1 = -1.0\nt2 = -1.0\nt3 = -1.0")
        .spike("(t == t1) or (t == t2) or (t == t3)");
    // The post neuron keeps what it received each step in `last`.
    let receiver = Neuron::spiking()
        .equations("last = g_exc")
        .spike("last > 1e9");
    for (post_dims, bank, filter, delay) in [
        (vec![12usize, 10], false, ramp(&[3, 3], 31), 1.0),
        (vec![6, 5], false, ramp(&[4, 3], 32), 2.0),
        (vec![6, 5, 3], true, ramp(&[3, 3, 3], 33), 1.0),
        (vec![12, 10], false, ramp(&[12, 10], 34), 1.0),
    ] {
        let d = delay as usize;
        let mut runs = Vec::new();
        for b in backends() {
            let mut net = Network::new().dt(1.0);
            let pre = net.population("pre", pre_dims, &clock).unwrap();
            for (k, name) in ["t1", "t2", "t3"].iter().enumerate() {
                let v: Vec<f32> = (0..120).map(|i| times(i)[k]).collect();
                net.set(pre, name, v).unwrap();
            }
            let post = net
                .population("post", post_dims.as_slice(), &receiver)
                .unwrap();
            let c = net.convolution(pre, post, "exc").delay(delay);
            if bank {
                c.connect_filters(&filter).unwrap();
            } else {
                c.connect_filter(&filter).unwrap();
            }
            let mut sim = net.compile(b).unwrap();
            let mut got = Vec::new();
            for s in 0..8usize {
                sim.step().unwrap();
                // Spikes of step s - d: neuron spiked at time t == step.
                let ind = ArrayD::from_shape_fn(IxDyn(&pre_dims), |ix| {
                    let i = ix[0] * pre_dims[1] + ix[1];
                    let hit = s >= d && times(i).iter().any(|&t| t >= 0.0 && t as usize + d == s);
                    if hit {
                        1.0f32
                    } else {
                        0.0
                    }
                });
                let want = direct(
                    &ind,
                    &post_dims,
                    &filter,
                    bank,
                    false,
                    Padding::Value(0.0),
                    None,
                    Operation::Sum,
                    &|w, r| w * r,
                );
                let out = sim.get(post, "last").unwrap();
                assert_close(
                    &out,
                    &want.mapv(f64::from),
                    TOL,
                    &format!("{b:?} {post_dims:?} step {s}"),
                );
                got.push(out);
            }
            runs.push(got);
        }
    }
}

fn spiking_convolution_refuses_what_it_cannot_do() {
    let mut net = Network::new().dt(1.0);
    let lif = cajal::models::if_curr_exp();
    let a = net.population("a", [8, 8], &lif).unwrap();
    let b = net.population("b", [8, 8], &lif).unwrap();
    let r = net.population("r", [8, 8], &sum_neuron()).unwrap();
    let f = ramp(&[3, 3], 40);
    let msg = |e: cajal::Error| e.to_string();
    assert!(
        msg(net.convolution(a, r, "exc").connect_filter(&f).unwrap_err())
            .contains("two rate-coded or two spiking")
    );
    assert!(msg(net
        .convolution(a, b, "exc")
        .padding(1.0)
        .connect_filter(&f)
        .unwrap_err())
    .contains("padding"));
    assert!(msg(net
        .convolution(a, b, "exc")
        .operation(Operation::Max)
        .connect_filter(&f)
        .unwrap_err())
    .contains("operation"));
    assert!(
        msg(net.pooling(a, b, "exc").connect_pooling(None).unwrap_err())
            .contains("max and min of spikes are not defined")
    );
    assert!(msg(net.convolution(a, b, "foo").connect_filter(&f).unwrap_err()).contains("g_foo"));
    assert!(net.projections().is_empty());
    net.convolution(a, b, "exc").connect_filter(&f).unwrap();
    crate::common::validate_all(&net);
}

fn spiking_sum_and_mean_pooling_add_to_the_block_of_each_spike() {
    // Pre [4, 6, 2] (a clock spiking at its own times), post [2, 3, 2]:
    // 2 x 2 x 1 blocks. Each step, post's g_exc is the number (sum) or
    // fraction (mean) of its block's neurons that spiked d steps before.
    let clock = Neuron::spiking()
        .parameters("t1 = -1.0\nt2 = -1.0")
        .spike("(t == t1) or (t == t2)");
    let receiver = Neuron::spiking()
        .equations("last = g_exc")
        .spike("last > 1e9");
    let times =
        |i: usize| -> [f32; 2] { [(i % 5) as f32, if i.is_multiple_of(3) { 2.0 } else { -1.0 }] };
    for (op, scale) in [(Operation::Sum, 1.0f32), (Operation::Mean, 0.25)] {
        for b in backends() {
            let mut net = Network::new().dt(1.0);
            let pre = net.population("pre", [4, 6, 2], &clock).unwrap();
            for (k, name) in ["t1", "t2"].iter().enumerate() {
                let v: Vec<f32> = (0..48).map(|i| times(i)[k]).collect();
                net.set(pre, name, v).unwrap();
            }
            let post = net.population("post", [2, 3, 2], &receiver).unwrap();
            net.pooling(pre, post, "exc")
                .operation(op)
                .delay(2.0)
                .connect_pooling(None)
                .unwrap();
            let mut sim = net.compile(b).unwrap();
            let mut total = 0.0;
            for s in 0..8usize {
                sim.step().unwrap();
                let got = sim.get(post, "last").unwrap();
                for y in 0..2 {
                    for x in 0..3 {
                        for c in 0..2 {
                            let mut want = 0.0;
                            for dy in 0..2 {
                                for dx in 0..2 {
                                    let i = ((2 * y + dy) * 6 + 2 * x + dx) * 2 + c;
                                    if s >= 2 && times(i).contains(&((s - 2) as f32)) {
                                        want += scale;
                                    }
                                }
                            }
                            assert_eq!(
                                got[[y, x, c]],
                                want,
                                "{op:?} {b:?} step {s} at {y},{x},{c}"
                            );
                            total += want;
                        }
                    }
                }
            }
            assert!(total > 5.0);
        }
    }
}

fn transpose_and_copy_of_convolutions_and_projections() {
    // A: the original's pre (reads the transpose in fb), B: its post.
    let a_model = Neuron::rate()
        .parameters("r = 0.0")
        .equations("fb = sum(fb)");
    let b_model = Neuron::rate()
        .parameters("r = 0.0")
        .equations("x = sum(exc)");
    for (pre_dims, post_dims, filter, bank) in [
        (
            vec![10usize, 10],
            vec![10usize, 10],
            ramp(&[3, 3], 51),
            false,
        ),
        (vec![12, 12], vec![6, 6], ramp(&[4, 3], 52), false),
        (vec![12, 12], vec![6, 6, 3], ramp(&[3, 3, 3], 53), true),
        (vec![8, 8, 3], vec![8, 8], ramp(&[3, 3, 3], 54), false),
    ] {
        let b_rates = ramp(&post_dims, 55);
        // Direct transpose: every (post p, tap k) that reads an in-bounds q
        // adds w * r_p to q (the documented centres, as in `direct`).
        let mut want = ArrayD::<f32>::zeros(IxDyn(&pre_dims));
        let nd = pre_dims.len();
        let fshape: Vec<usize> = if bank {
            filter.shape()[1..].to_vec()
        } else {
            filter.shape().to_vec()
        };
        let spatial = if bank {
            post_dims.len() - 1
        } else {
            post_dims.len()
        };
        let spans = spatial + 1 == nd;
        // Accumulate per q in the order the engines do: filters, then taps.
        let mut contributions: Vec<Vec<(usize, usize, f32)>> = vec![Vec::new(); want.len()];
        for (prank, (p, &rp)) in b_rates.indexed_iter().enumerate() {
            let _ = prank;
            let p = p.slice().to_vec();
            let f = if bank { p[post_dims.len() - 1] } else { 0 };
            let taps: usize = fshape.iter().product();
            for t in 0..taps {
                let mut k = vec![0usize; nd];
                let mut r = t;
                for d in (0..nd).rev() {
                    k[d] = r % fshape[d];
                    r /= fshape[d];
                }
                let mut q = vec![0i64; nd];
                for d in 0..nd {
                    q[d] = if spans && d == nd - 1 {
                        k[d] as i64
                    } else {
                        let c = if pre_dims[d] == post_dims[d] {
                            p[d] as i64
                        } else {
                            let s = (pre_dims[d] / post_dims[d]) as i64;
                            (s - 1) / 2 + s * p[d] as i64
                        };
                        c + k[d] as i64 - (fshape[d] / 2) as i64
                    };
                }
                if q.iter()
                    .zip(&pre_dims)
                    .all(|(&x, &n)| x >= 0 && x < n as i64)
                {
                    let qr = q
                        .iter()
                        .zip(&pre_dims)
                        .fold(0usize, |a, (&x, &n)| a * n + x as usize);
                    let mut widx = vec![];
                    if bank {
                        widx.push(f);
                    }
                    widx.extend(&k);
                    contributions[qr].push((f, t, filter[IxDyn(&widx)] * rp));
                }
            }
        }
        for (w, c) in want.iter_mut().zip(contributions.iter_mut()) {
            c.sort_by_key(|&(f, t, _)| (f, t));
            *w = c.iter().fold(0.0f32, |acc, &(_, _, v)| acc + v);
        }
        for b in backends() {
            let mut net = Network::new().dt(1.0);
            let a = net.population("a", pre_dims.as_slice(), &a_model).unwrap();
            let bp = net.population("b", post_dims.as_slice(), &b_model).unwrap();
            net.set(bp, "r", b_rates.clone()).unwrap();
            let c = net.convolution(a, bp, "exc");
            let fwd = if bank {
                c.connect_filters(&filter)
            } else {
                c.connect_filter(&filter)
            }
            .unwrap();
            net.transpose(fwd, "fb").unwrap();
            // A copy between two other populations computes what the original does.
            let a2 = net.population("a2", pre_dims.as_slice(), &a_model).unwrap();
            let b2 = net
                .population("b2", post_dims.as_slice(), &b_model)
                .unwrap();
            let a_rates = ramp(&pre_dims, 56);
            net.set(a, "r", a_rates.clone()).unwrap();
            net.set(a2, "r", a_rates.clone()).unwrap();
            net.copy(fwd, a2, b2, "exc").unwrap();
            let mut sim = net.compile(b).unwrap();
            sim.step().unwrap();
            let fb = sim.get(a, "fb").unwrap();
            assert_close(
                &fb,
                &want.mapv(f64::from),
                TOL,
                &format!("{b:?} transpose {pre_dims:?} -> {post_dims:?}"),
            );
            assert_eq!(
                sim.get(b2, "x").unwrap(),
                sim.get(bp, "x").unwrap(),
                "{b:?} copy"
            );
        }
    }
    // A projection with a synapse list: transposed and copied synapse by synapse.
    for b in backends() {
        let mut net = Network::new().dt(1.0);
        let a_model = Neuron::rate()
            .parameters("r = 0.0")
            .equations("fb = sum(fb)");
        let b_model = Neuron::rate()
            .parameters("r = 0.0")
            .equations("x = sum(exc)");
        let a = net.population("a", 4, &a_model).unwrap();
        let bp = net.population("b", 3, &b_model).unwrap();
        let nan = f32::NAN;
        let m = ndarray::array![
            [1.0f32, nan, 2.0, nan],
            [nan, 3.0, nan, 4.0],
            [5.0, 6.0, nan, nan]
        ];
        let fwd = net.projection(a, bp, "exc").connect_from_matrix(m).unwrap();
        net.transpose(fwd, "fb").unwrap();
        let a2 = net.population("a2", 4, &a_model).unwrap();
        let b2 = net.population("b2", 3, &b_model).unwrap();
        net.copy(fwd, a2, b2, "exc").unwrap();
        for (p, v) in [
            (a, vec![1.0f32, 2.0, 3.0, 4.0]),
            (a2, vec![1.0, 2.0, 3.0, 4.0]),
        ] {
            net.set(p, "r", v).unwrap();
        }
        net.set(bp, "r", vec![10.0f32, 100.0, 1000.0]).unwrap();
        let mut sim = net.compile(b).unwrap();
        sim.step().unwrap();
        // fb_j = sum_i m[i][j] r_b[i].
        assert_eq!(
            sim.get(a, "fb").unwrap().as_slice().unwrap(),
            &[5010.0, 6300.0, 20.0, 400.0],
            "{b:?}"
        );
        assert_eq!(
            sim.get(b2, "x").unwrap().as_slice().unwrap(),
            &[7.0, 22.0, 17.0],
            "{b:?}"
        );
    }
    // What a transpose or a copy refuses.
    let mut net = Network::new().dt(1.0);
    let a = net
        .population(
            "a",
            [8, 8],
            &Neuron::rate()
                .parameters("r = 0.0")
                .equations("fb = sum(fb)"),
        )
        .unwrap();
    let bp = net
        .population(
            "b",
            [4, 4],
            &Neuron::rate()
                .parameters("r = 0.0")
                .equations("x = sum(exc)"),
        )
        .unwrap();
    let pool = net.pooling(a, bp, "exc").connect_pooling(None).unwrap();
    assert!(net
        .transpose(pool, "fb")
        .unwrap_err()
        .to_string()
        .contains("pooling"));
    let c = net
        .convolution(a, bp, "exc")
        .name("border")
        .padding(Padding::Border)
        .connect_filter(&ramp(&[3, 3], 57))
        .unwrap();
    assert!(net
        .transpose(c, "fb")
        .unwrap_err()
        .to_string()
        .contains("border"));
    let other = net
        .population(
            "other",
            [5, 5],
            &Neuron::rate()
                .parameters("r = 0.0")
                .equations("x = sum(exc)"),
        )
        .unwrap();
    assert!(net
        .copy(c, a, other, "exc")
        .unwrap_err()
        .to_string()
        .contains("shaped like"));
}

fn two_dimensional_filters_take_the_tiled_kernel() {
    let mut net = Network::new().dt(1.0);
    let a = net.population("a", [20, 20], &input_neuron()).unwrap();
    let b = net.population("b", [10, 10, 4], &sum_neuron()).unwrap();
    let c = net.population("c", [20, 20], &sum_neuron()).unwrap();
    net.convolution(a, b, "exc")
        .connect_filters(&ramp(&[4, 3, 3], 60))
        .unwrap();
    // A psp other than w * pre.r takes the general kernel.
    net.convolution(a, c, "exc")
        .psp("w * pre.r * pre.r")
        .connect_filter(&ramp(&[3, 3], 61))
        .unwrap();
    let names = crate::common::validate_all(&net);
    assert!(
        names.iter().any(|n| n.contains("a->b:exc'] (tiled)")),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n == "convolve[projection 'a->c:exc']"),
        "{names:?}"
    );
}

fn centres_are_annarchys() {
    let mut net = Network::new().dt(1.0);
    let a = net.population("a", [32, 32, 3], &input_neuron()).unwrap();
    let b = net.population("b", [16, 16], &sum_neuron()).unwrap();
    let c = net.population("c", [32, 32, 3], &sum_neuron()).unwrap();
    let d = net.population("d", [8, 8, 3], &sum_neuron()).unwrap();
    // Spanning the last dimension, subsampled 2x: centres (2a, 2b, 1).
    let p = net
        .convolution(a, b, "exc")
        .connect_filter(&ramp(&[3, 3, 3], 70))
        .unwrap();
    assert_eq!(net.convolution_center(p, &[3, 5]).unwrap(), vec![6, 10, 1]);
    // Kept last dimension: the slice is the post's.
    let q = net
        .convolution(a, c, "exc")
        .keep_last_dimension(true)
        .connect_filter(&ramp(&[5, 5], 71))
        .unwrap();
    assert_eq!(
        net.convolution_center(q, &[0, 31, 2]).unwrap(),
        vec![0, 31, 2]
    );
    // Subsampled 4x: (s - 1) / 2 + s a = 1 + 4 a.
    let r = net
        .convolution(a, d, "exc")
        .keep_last_dimension(true)
        .connect_filter(&ramp(&[3, 3], 72))
        .unwrap();
    assert_eq!(
        net.convolution_center(r, &[2, 7, 0]).unwrap(),
        vec![9, 29, 0]
    );
    assert!(net.convolution_center(r, &[8, 0, 0]).is_err());
}

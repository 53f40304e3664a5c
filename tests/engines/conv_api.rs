//! The convolution extension's API: clear errors that name the projection
//! and the cause and leave the network unchanged; the ANNarchy manual's
//! examples at their real sizes on both engines, each against a reference
//! written here in the transposed form (every pre-synaptic neuron scatters
//! into the post-synaptic neurons whose window holds it, in f64); the one
//! step of latency; a delayed pooling against hand-computed values; save,
//! load and reset with convolutions in the network.

use crate::common::{assert_close, backends, temp_path, tests, Tol};
use cajal::network::conv::Padding;
use cajal::prelude::*;
use ndarray::{ArrayD, Dimension, IxDyn};

tests! {
    cpu: [
        pooling_extents_that_do_not_divide_are_refused,
        filters_that_do_not_fit_pre_are_refused,
        subsampling_lists_of_the_wrong_length_are_refused,
        banks_are_checked,
        non_finite_weights_and_padding_are_refused,
        automatic_subsampling_needs_a_whole_ratio,
        spiking_populations_are_refused_where_unsupported,
        a_post_that_does_not_read_the_target_is_refused,
        psps_are_checked,
        a_refused_projection_leaves_its_name_free,
    ],
    both: [
        the_manuals_examples_at_their_real_sizes,
        post_reads_what_pre_had_at_the_end_of_the_previous_step,
        a_delayed_pooling_reads_pre_three_steps_before_the_previous,
        a_loaded_state_continues_identically_with_convolutions,
        reset_gives_the_same_outputs_again_with_convolutions,
    ],
}

// ---------------------------------------------------------------------------
// Helpers.

fn input_neuron() -> Neuron {
    Neuron::rate().parameters("r = 0.0")
}

fn sum_neuron() -> Neuron {
    Neuron::rate().equations("r = sum(exc)")
}

/// A network with a rate input `pre` and a rate `post` reading sum(exc).
fn fixture(pre: &[usize], post: &[usize]) -> (Network, PopId, PopId) {
    let mut net = Network::new().dt(1.0);
    let a = net.population("pre", pre, &input_neuron()).unwrap();
    let b = net.population("post", post, &sum_neuron()).unwrap();
    (net, a, b)
}

fn arr(shape: &[usize], v: Vec<f32>) -> ArrayD<f32> {
    ArrayD::from_shape_vec(IxDyn(shape), v).unwrap()
}

/// Deterministic values in [0, 1).
fn noise(shape: &[usize], seed: u64) -> ArrayD<f32> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    ArrayD::from_shape_fn(IxDyn(shape), |_| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 40) as f32 / (1u64 << 24) as f32
    })
}

/// Checks that building failed with the expected variant, that the message
/// names the projection and the cause, and that the network is unchanged.
#[track_caller]
fn refused(
    net: &Network,
    counts: (usize, usize),
    result: cajal::Result<ProjId>,
    variant: fn(&Error) -> bool,
    name: &str,
    cause: &[&str],
) {
    let e = match result {
        Ok(_) => panic!("expected an error naming '{name}' and {cause:?}, got a projection"),
        Err(e) => e,
    };
    let msg = e.to_string();
    assert!(variant(&e), "wrong variant: {e:?}");
    assert!(
        msg.contains(&format!("projection '{name}'")),
        "the message does not name projection '{name}': {msg}"
    );
    for c in cause {
        assert!(msg.contains(c), "the message lacks {c:?}: {msg}");
    }
    assert_eq!(
        (net.populations().len(), net.projections().len()),
        counts,
        "the network changed after a refused projection ({msg})"
    );
}

fn counts(net: &Network) -> (usize, usize) {
    (net.populations().len(), net.projections().len())
}

fn is_shape(e: &Error) -> bool {
    matches!(e, Error::Shape { .. })
}
fn is_invalid(e: &Error) -> bool {
    matches!(e, Error::Invalid { .. })
}
fn is_connector(e: &Error) -> bool {
    matches!(e, Error::Connector { .. })
}
fn is_unsupported(e: &Error) -> bool {
    matches!(e, Error::Unsupported { .. })
}

fn vertical() -> ArrayD<f32> {
    arr(
        &[3, 3],
        vec![1.0, 0.0, -1.0, 1.0, 0.0, -1.0, 1.0, 0.0, -1.0],
    )
}

const NAME: &str = "pre->post:exc";

// ---------------------------------------------------------------------------
// (a) Errors.

fn pooling_extents_that_do_not_divide_are_refused() {
    let (mut net, pre, post) = fixture(&[10, 10], &[3, 3]);
    let c = counts(&net);
    let r = net.pooling(pre, post, "exc").connect_pooling(None);
    refused(
        &net,
        c,
        r,
        is_shape,
        NAME,
        &["3 post-synaptic neurons do not divide 10", "give an extent"],
    );
    let r = net.pooling(pre, post, "exc").connect_pooling(Some(&[3, 3]));
    refused(
        &net,
        c,
        r,
        is_shape,
        NAME,
        &["the extent 3 does not divide pre's 10 into post's 3"],
    );
    // One value per pre dimension.
    let r = net.pooling(pre, post, "exc").connect_pooling(Some(&[3]));
    refused(&net, c, r, is_shape, NAME, &["one value per pre dimension"]);
    // A dimension pooled whole takes its whole size.
    let (mut net, pre, post) = fixture(&[10, 10, 4], &[5, 5]);
    let c = counts(&net);
    let r = net
        .pooling(pre, post, "exc")
        .connect_pooling(Some(&[2, 2, 3]));
    refused(
        &net,
        c,
        r,
        is_shape,
        NAME,
        &["pooled whole", "must be 4, got 3"],
    );
    // Pooling never adds dimensions.
    let (mut net, pre, post) = fixture(&[10, 10], &[5, 5, 2]);
    let c = counts(&net);
    let r = net.pooling(pre, post, "exc").connect_pooling(None);
    refused(&net, c, r, is_shape, NAME, &["more dimensions than pre"]);
}

fn filters_that_do_not_fit_pre_are_refused() {
    // 2-D pre, 3-D filter: it has nothing to span.
    let (mut net, pre, post) = fixture(&[10, 10], &[10, 10]);
    let c = counts(&net);
    let r = net
        .convolution(pre, post, "exc")
        .connect_filter(&noise(&[3, 3, 3], 1));
    refused(
        &net,
        c,
        r,
        is_shape,
        NAME,
        &["has 3 dimensions", "pre [10, 10] has 2"],
    );
    // 3-D pre to a 2-D post: the filter must span pre's last dimension.
    let (mut net, pre, post) = fixture(&[10, 10, 3], &[10, 10]);
    let c = counts(&net);
    let r = net
        .convolution(pre, post, "exc")
        .connect_filter(&noise(&[3, 3, 2], 2));
    refused(
        &net,
        c,
        r,
        is_shape,
        NAME,
        &["the filter must span it", "last dimension is 2"],
    );
    // keep_last_dimension takes a filter with one dimension less than pre.
    let (mut net, pre, post) = fixture(&[10, 10, 3], &[10, 10, 3]);
    let c = counts(&net);
    let r = net
        .convolution(pre, post, "exc")
        .keep_last_dimension(true)
        .connect_filter(&noise(&[3, 3, 3], 3));
    refused(
        &net,
        c,
        r,
        is_shape,
        NAME,
        &["keep_last_dimension", "one dimension less than pre"],
    );
    // An empty filter.
    let (mut net, pre, post) = fixture(&[10, 10], &[10, 10]);
    let c = counts(&net);
    let r = net
        .convolution(pre, post, "exc")
        .connect_filter(&ArrayD::zeros(IxDyn(&[0, 3])));
    refused(&net, c, r, is_shape, NAME, &["empty"]);
}

fn subsampling_lists_of_the_wrong_length_are_refused() {
    let (mut net, pre, post) = fixture(&[9, 9], &[2, 3]);
    let c = counts(&net);
    let centres = vec![vec![0, 0], vec![2, 2], vec![4, 4], vec![6, 6], vec![8, 8]];
    let r = net
        .convolution(pre, post, "exc")
        .subsampling(centres)
        .connect_filter(&vertical());
    refused(
        &net,
        c,
        r,
        is_shape,
        NAME,
        &["subsampling gives 5 centres for 6 post-synaptic neurons"],
    );
    // A centre outside pre, or with the wrong number of coordinates.
    let mut centres = vec![vec![1, 1]; 6];
    centres[3] = vec![9, 1];
    let r = net
        .convolution(pre, post, "exc")
        .subsampling(centres)
        .connect_filter(&vertical());
    refused(
        &net,
        c,
        r,
        is_shape,
        NAME,
        &["subsampling centre 3 is [9, 1]"],
    );
    let mut centres = vec![vec![1, 1]; 6];
    centres[5] = vec![1];
    let r = net
        .convolution(pre, post, "exc")
        .subsampling(centres)
        .connect_filter(&vertical());
    refused(&net, c, r, is_shape, NAME, &["subsampling centre 5 is [1]"]);
}

fn banks_are_checked() {
    // keep_last_dimension with a bank.
    let (mut net, pre, post) = fixture(&[10, 10, 3], &[10, 10, 3]);
    let c = counts(&net);
    let r = net
        .convolution(pre, post, "exc")
        .keep_last_dimension(true)
        .connect_filters(&noise(&[3, 3, 3], 4));
    refused(
        &net,
        c,
        r,
        is_invalid,
        NAME,
        &["keep_last_dimension cannot be combined with a bank"],
    );
    // Post's last dimension is not the number of filters.
    let (mut net, pre, post) = fixture(&[10, 10], &[5, 5, 3]);
    let c = counts(&net);
    let r = net
        .convolution(pre, post, "exc")
        .connect_filters(&noise(&[4, 3, 3], 5));
    refused(
        &net,
        c,
        r,
        is_shape,
        NAME,
        &[
            "a bank of 4 filters needs post's last dimension to be 4",
            "[5, 5, 3]",
        ],
    );
}

fn non_finite_weights_and_padding_are_refused() {
    let (mut net, pre, post) = fixture(&[10, 10], &[10, 10]);
    let c = counts(&net);
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let mut w = vertical();
        w[[1, 2]] = bad;
        let r = net.convolution(pre, post, "exc").connect_filter(&w);
        refused(
            &net,
            c,
            r,
            is_invalid,
            NAME,
            &["a filter weight is not finite", &format!("({bad})")],
        );
        let mut w = noise(&[2, 3, 3], 6);
        w[[1, 0, 0]] = bad;
        let (mut net2, pre2, post2) = fixture(&[10, 10], &[10, 10, 2]);
        let c2 = counts(&net2);
        let r = net2.convolution(pre2, post2, "exc").connect_filters(&w);
        refused(&net2, c2, r, is_invalid, NAME, &["not finite"]);
        let r = net
            .convolution(pre, post, "exc")
            .padding(bad)
            .connect_filter(&vertical());
        refused(&net, c, r, is_invalid, NAME, &["the padding is not finite"]);
    }
}

fn automatic_subsampling_needs_a_whole_ratio() {
    let (mut net, pre, post) = fixture(&[10, 10], &[4, 4]);
    let c = counts(&net);
    let r = net
        .convolution(pre, post, "exc")
        .connect_filter(&vertical());
    refused(
        &net,
        c,
        r,
        is_shape,
        NAME,
        &[
            "dimension 0",
            "4 post-synaptic neurons do not divide 10",
            "subsampling",
        ],
    );
    // Only the second dimension is off.
    let (mut net, pre, post) = fixture(&[10, 10], &[5, 3]);
    let c = counts(&net);
    let r = net
        .convolution(pre, post, "exc")
        .connect_filter(&vertical());
    refused(
        &net,
        c,
        r,
        is_shape,
        NAME,
        &["dimension 1", "3 post-synaptic neurons do not divide 10"],
    );
    // Explicit centres make the ratio irrelevant.
    let (mut net, pre, post) = fixture(&[10, 10], &[4, 4]);
    let centres: Vec<Vec<usize>> = (0..16).map(|i| vec![i / 4 * 3, i % 4 * 3]).collect();
    net.convolution(pre, post, "exc")
        .subsampling(centres)
        .connect_filter(&vertical())
        .unwrap();
    assert_eq!(net.projections().len(), 1);
}

fn spiking_populations_are_refused_where_unsupported() {
    let lif = Neuron::spiking()
        .parameters("tau = 10.0")
        .equations("tau * dv/dt = -v + g_exc")
        .spike("v > 1.0")
        .reset("v = 0.0");
    let mut net = Network::new().dt(1.0);
    let s = net.population("s", [10, 10], &lif).unwrap();
    let r = net.population("post", [10, 10], &sum_neuron()).unwrap();
    let s2 = net.population("s2", [5, 5], &lif).unwrap();
    let c = counts(&net);
    // Spiking pre, rate post.
    let res = net.convolution(s, r, "exc").connect_filter(&vertical());
    refused(
        &net,
        c,
        res,
        is_unsupported,
        "s->post:exc",
        &["'s' is spiking", "'post' is rate-coded"],
    );
    let res = net.pooling(s, r, "exc").connect_pooling(None);
    refused(&net, c, res, is_unsupported, "s->post:exc", &["spiking"]);
    // Pooling spikes.
    let res = net.pooling(s, s2, "exc").connect_pooling(None);
    refused(&net, c, res, is_unsupported, "s->s2:exc", &["spiking"]);
}

fn a_post_that_does_not_read_the_target_is_refused() {
    let (mut net, pre, post) = fixture(&[10, 10], &[10, 10]);
    let c = counts(&net);
    let r = net
        .convolution(pre, post, "inh")
        .connect_filter(&vertical());
    refused(
        &net,
        c,
        r,
        is_connector,
        "pre->post:inh",
        &["population 'post'", "does not read sum(inh)"],
    );
    let (mut net, pre, post) = fixture(&[10, 10], &[5, 5]);
    let c = counts(&net);
    let r = net.pooling(pre, post, "inh").connect_pooling(None);
    refused(
        &net,
        c,
        r,
        is_connector,
        "pre->post:inh",
        &["does not read sum(inh)"],
    );
}

fn psps_are_checked() {
    let (mut net, pre, post) = fixture(&[10, 10], &[10, 10]);
    let c = counts(&net);
    // A post-synaptic variable.
    let r = net
        .convolution(pre, post, "exc")
        .psp("w * pre.r + post.r")
        .connect_filter(&vertical());
    refused(
        &net,
        c,
        r,
        is_invalid,
        NAME,
        &["no post-synaptic variables"],
    );
    // A random draw.
    let r = net
        .convolution(pre, post, "exc")
        .psp("w * pre.r * Uniform(0.0, 1.0)")
        .connect_filter(&vertical());
    refused(&net, c, r, is_invalid, NAME, &["no random draws"]);
    let r = net
        .pooling(pre, post, "exc")
        .psp("pre.r + Normal(0.0, 1.0)")
        .connect_pooling(Some(&[1, 1]));
    refused(&net, c, r, is_invalid, NAME, &["no random draws"]);
    // An unknown pre-synaptic variable.
    let r = net
        .convolution(pre, post, "exc")
        .psp("w * pre.foo")
        .connect_filter(&vertical());
    refused(
        &net,
        c,
        r,
        is_connector,
        NAME,
        &["the psp reads pre.foo", "population 'pre'", "has no 'foo'"],
    );
    let r = net
        .pooling(pre, post, "exc")
        .psp("pre.bar")
        .connect_pooling(None);
    refused(&net, c, r, is_connector, NAME, &["pre.bar"]);
    // A population-wide pre variable.
    let mut net = Network::new().dt(1.0);
    let pre = net
        .population(
            "pre",
            [10, 10],
            &Neuron::rate().parameters("g = 1.0 : population\nr = 0.0"),
        )
        .unwrap();
    let post = net.population("post", [10, 10], &sum_neuron()).unwrap();
    let c = counts(&net);
    let r = net
        .convolution(pre, post, "exc")
        .psp("w * pre.g")
        .connect_filter(&vertical());
    refused(&net, c, r, is_invalid, NAME, &["pre.g is population-wide"]);
}

fn a_refused_projection_leaves_its_name_free() {
    let (mut net, pre, post) = fixture(&[10, 10], &[5, 5]);
    net.convolution(pre, post, "exc")
        .name("edges")
        .connect_filters(&noise(&[4, 3, 3], 7))
        .unwrap_err();
    let id = net
        .convolution(pre, post, "exc")
        .name("edges")
        .connect_filter(&vertical())
        .unwrap();
    assert_eq!(net.projections(), vec![id]);
    // Now the name is taken.
    let c = counts(&net);
    let r = net
        .pooling(pre, post, "exc")
        .name("edges")
        .connect_pooling(None);
    let e = r.unwrap_err();
    assert!(
        is_invalid(&e) && e.to_string().contains("'edges' already exists"),
        "{e}"
    );
    assert_eq!(counts(&net), c);
    // Negative or non-finite delays.
    for d in [-1.0, f64::NAN] {
        let r = net
            .convolution(pre, post, "exc")
            .delay(d)
            .connect_filter(&vertical());
        refused(&net, c, r, is_invalid, NAME, &["delay"]);
    }
}

// ---------------------------------------------------------------------------
// (b) The manual's examples, against a transposed reference.

/// How the filter meets pre's dimensions.
#[derive(Clone, Copy, Debug)]
enum Layout {
    /// A 2-D filter on a 2-D pre.
    Plain,
    /// A 3-D filter spanning pre's last dimension; post drops it.
    Spans,
    /// A 2-D filter on each slice of pre's last dimension; post keeps it.
    KeepLast,
    /// A bank of 2-D filters on a 2-D pre; post's last dimension is the filter.
    Bank,
}

/// Sum-convolution with padding 0 and automatic subsampling, scattered from
/// pre: pre neuron (i, j, ch) is read by tap (u, v) of the post neuron whose
/// centre is (i - u + kh/2, j - v + kw/2), and centre c belongs to post
/// coordinate a when c = (s - 1)/2 + s a (s = pre / post, 1 when equal).
fn scatter_conv(x: &ArrayD<f32>, post: &[usize], w: &ArrayD<f32>, layout: Layout) -> ArrayD<f64> {
    let (h, wd) = (x.shape()[0], x.shape()[1]);
    let ch_n = if x.ndim() == 3 { x.shape()[2] } else { 1 };
    let (sy, sx) = (h / post[0], wd / post[1]);
    assert_eq!((sy * post[0], sx * post[1]), (h, wd));
    let (nf, kh, kw) = match layout {
        Layout::Bank => (w.shape()[0], w.shape()[1], w.shape()[2]),
        _ => (1, w.shape()[0], w.shape()[1]),
    };
    let mut out = ArrayD::<f64>::zeros(IxDyn(post));
    let owner = |c: i64, s: usize, n: usize| -> Option<usize> {
        let a = c - (s as i64 - 1) / 2;
        (a >= 0 && a % s as i64 == 0 && ((a / s as i64) as usize) < n)
            .then(|| (a / s as i64) as usize)
    };
    for i in 0..h {
        for j in 0..wd {
            for ch in 0..ch_n {
                let val = f64::from(if x.ndim() == 3 {
                    x[[i, j, ch]]
                } else {
                    x[[i, j]]
                });
                for n in 0..nf {
                    for u in 0..kh {
                        for v in 0..kw {
                            let cy = i as i64 - u as i64 + (kh / 2) as i64;
                            let cx = j as i64 - v as i64 + (kw / 2) as i64;
                            let (Some(a), Some(b)) =
                                (owner(cy, sy, post[0]), owner(cx, sx, post[1]))
                            else {
                                continue;
                            };
                            let (weight, idx) = match layout {
                                Layout::Plain => (w[[u, v]], vec![a, b]),
                                Layout::Spans => (w[[u, v, ch]], vec![a, b]),
                                Layout::KeepLast => (w[[u, v]], vec![a, b, ch]),
                                Layout::Bank => (w[[n, u, v]], vec![a, b, n]),
                            };
                            out[IxDyn(&idx)] += f64::from(weight) * val;
                        }
                    }
                }
            }
        }
    }
    out
}

/// Max pooling scattered from pre: pre (i, j[, ch]) goes to post
/// (i / ey, j / ex[, ch / ec]), or to (i / ey, j / ex) when post lacks the
/// last dimension.
fn scatter_max(x: &ArrayD<f32>, post: &[usize], extent: &[usize]) -> ArrayD<f64> {
    let mut out = ArrayD::<f64>::from_elem(IxDyn(post), f64::NEG_INFINITY);
    for (q, &v) in x.indexed_iter() {
        let q = q.slice();
        let idx: Vec<usize> = (0..post.len()).map(|d| q[d] / extent[d]).collect();
        let o = &mut out[IxDyn(&idx)];
        *o = o.max(f64::from(v));
    }
    out
}

/// The tolerance of a value against its reference:
/// `|got - want| <= 1e-5 * max(|want|, 1)`.
const TOL: Tol<f64> = Tol::rel_floor(1e-5, 1.0);

/// Compiles, steps once, returns post's r.
fn one_step(
    b: Backend,
    input: &ArrayD<f32>,
    post_dims: &[usize],
    connect: &dyn Fn(&mut Network, PopId, PopId) -> cajal::Result<ProjId>,
) -> ArrayD<f32> {
    let (mut net, pre, post) = fixture(input.shape(), post_dims);
    net.set(pre, "r", input.clone()).unwrap();
    connect(&mut net, pre, post).unwrap();
    let mut sim = net.compile(b).unwrap();
    sim.step().unwrap();
    sim.get(post, "r").unwrap()
}

type Connect<'a> = Box<dyn Fn(&mut Network, PopId, PopId) -> cajal::Result<ProjId> + 'a>;

/// Name, input, post's dimensions, expected output, how to connect.
type Example<'a> = (
    &'a str,
    &'a ArrayD<f32>,
    Vec<usize>,
    ArrayD<f64>,
    Connect<'a>,
);

fn the_manuals_examples_at_their_real_sizes() {
    let vertical = vertical();
    let horizontal = vertical.t().to_owned();
    let rgb = ArrayD::from_shape_fn(IxDyn(&[3, 3, 3]), |i| {
        (i[0] as f32 - 1.0) * 0.5 + (i[1] as f32) * 0.25 - (i[2] as f32) * 0.3
    });
    let mut bank = ArrayD::<f32>::zeros(IxDyn(&[4, 3, 3]));
    for (f, filt) in [
        vertical.clone(),
        horizontal.clone(),
        -&vertical,
        -&horizontal,
    ]
    .iter()
    .enumerate()
    {
        for u in 0..3 {
            for v in 0..3 {
                bank[[f, u, v]] = filt[[u, v]];
            }
        }
    }
    let img = noise(&[100, 100], 11);
    let rgb_img = noise(&[100, 100, 3], 12);
    let stack = noise(&[100, 100, 10], 13);

    let cases: Vec<Example> = vec![
        (
            "vertical edges 100x100",
            &img,
            vec![100, 100],
            scatter_conv(&img, &[100, 100], &vertical, Layout::Plain),
            Box::new(|n, a, b| n.convolution(a, b, "exc").connect_filter(&vertical)),
        ),
        (
            "vertical edges subsampled to 50x50",
            &img,
            vec![50, 50],
            scatter_conv(&img, &[50, 50], &vertical, Layout::Plain),
            Box::new(|n, a, b| n.convolution(a, b, "exc").connect_filter(&vertical)),
        ),
        (
            "RGB filter (3,3,3) on (100,100,3) -> (100,100)",
            &rgb_img,
            vec![100, 100],
            scatter_conv(&rgb_img, &[100, 100], &rgb, Layout::Spans),
            Box::new(|n, a, b| n.convolution(a, b, "exc").connect_filter(&rgb)),
        ),
        (
            "layer-wise 3x3 on (100,100,3) -> (100,100,3)",
            &rgb_img,
            vec![100, 100, 3],
            scatter_conv(&rgb_img, &[100, 100, 3], &vertical, Layout::KeepLast),
            Box::new(|n, a, b| {
                n.convolution(a, b, "exc")
                    .keep_last_dimension(true)
                    .connect_filter(&vertical)
            }),
        ),
        (
            "bank of 4 oriented filters (100,100) -> (50,50,4)",
            &img,
            vec![50, 50, 4],
            scatter_conv(&img, &[50, 50, 4], &bank, Layout::Bank),
            Box::new(|n, a, b| n.convolution(a, b, "exc").connect_filters(&bank)),
        ),
        (
            "max pooling 2x2 (100,100) -> (50,50)",
            &img,
            vec![50, 50],
            scatter_max(&img, &[50, 50], &[2, 2]),
            Box::new(|n, a, b| n.pooling(a, b, "exc").connect_pooling(None)),
        ),
        (
            "pooling the last dimension whole (100,100,10) -> (100,100)",
            &stack,
            vec![100, 100],
            scatter_max(&stack, &[100, 100], &[1, 1]),
            Box::new(|n, a, b| n.pooling(a, b, "exc").connect_pooling(None)),
        ),
        (
            "pooling (2,2,10) (100,100,10) -> (50,50)",
            &stack,
            vec![50, 50],
            scatter_max(&stack, &[50, 50], &[2, 2]),
            Box::new(|n, a, b| {
                n.pooling(a, b, "exc")
                    .operation(Operation::Max)
                    .connect_pooling(Some(&[2, 2, 10]))
            }),
        ),
    ];
    for b in backends() {
        for (name, input, post, want, connect) in &cases {
            let got = one_step(b, input, post, connect.as_ref());
            assert_close(&got, want, TOL, &format!("{b:?} {name}"));
        }
    }
    // The references themselves: a few values by hand. Vertical edges at
    // (5, 5): columns 4 minus columns 6 of rows 4..=6.
    let e = &cases[0].3;
    let by_hand: f64 = (4..=6)
        .map(|i| f64::from(img[[i, 4]]) - f64::from(img[[i, 6]]))
        .sum();
    assert!((e[[5, 5]] - by_hand).abs() < 1e-12);
    // At the corner (0, 0): only column 1 of rows 0..=1 (padding 0), negated.
    let by_hand: f64 = -(0..=1).map(|i| f64::from(img[[i, 1]])).sum::<f64>();
    assert!((e[[0, 0]] - by_hand).abs() < 1e-12);
    // Subsampled: post (3, 7) has its centre at (6, 14).
    let s = &cases[1].3;
    assert_eq!(s[[3, 7]], e[[6, 14]]);
    // The bank's second filter is horizontal: rows 4 minus rows 6 around (6, 14).
    let by_hand: f64 = (13..=15)
        .map(|j| f64::from(img[[5, j]]) - f64::from(img[[7, j]]))
        .sum();
    assert!((cases[4].3[[3, 7, 1]] - by_hand).abs() < 1e-12);
    assert!((cases[4].3[[3, 7, 2]] + s[[3, 7]]).abs() < 1e-12);
    let m = &cases[5].3;
    let block = [img[[8, 2]], img[[8, 3]], img[[9, 2]], img[[9, 3]]];
    assert_eq!(
        m[[4, 1]],
        f64::from(block.iter().cloned().fold(f32::MIN, f32::max))
    );
}

fn post_reads_what_pre_had_at_the_end_of_the_previous_step() {
    let a = noise(&[100, 100], 21);
    let b_in = noise(&[100, 100], 22);
    let w = vertical();
    let want_a = scatter_conv(&a, &[100, 100], &w, Layout::Plain);
    let want_b = scatter_conv(&b_in, &[100, 100], &w, Layout::Plain);
    for b in backends() {
        // r is a parameter: set before a step, read in that step.
        let (mut net, pre, post) = fixture(&[100, 100], &[100, 100]);
        let pooled = net.population("pooled", [50, 50], &sum_neuron()).unwrap();
        net.convolution(pre, post, "exc")
            .connect_filter(&w)
            .unwrap();
        net.pooling(pre, pooled, "exc")
            .connect_pooling(None)
            .unwrap();
        let mut sim = net.compile(b).unwrap();
        sim.set(pre, "r", a.clone()).unwrap();
        assert!(sim.get(post, "r").unwrap().iter().all(|&v| v == 0.0));
        sim.step().unwrap();
        assert_close(
            &sim.get(post, "r").unwrap(),
            &want_a,
            TOL,
            &format!("{b:?} A"),
        );
        assert_close(
            &sim.get(pooled, "r").unwrap(),
            &scatter_max(&a, &[50, 50], &[2, 2]),
            TOL,
            &format!("{b:?} pooled A"),
        );
        sim.set(pre, "r", b_in.clone()).unwrap();
        // Nothing moves before a step.
        assert_close(
            &sim.get(post, "r").unwrap(),
            &want_a,
            TOL,
            &format!("{b:?} A still"),
        );
        sim.step().unwrap();
        assert_close(
            &sim.get(post, "r").unwrap(),
            &want_b,
            TOL,
            &format!("{b:?} B"),
        );
        assert_close(
            &sim.get(pooled, "r").unwrap(),
            &scatter_max(&b_in, &[50, 50], &[2, 2]),
            TOL,
            &format!("{b:?} pooled B"),
        );

        // r computed by an equation: pre's r of a step is read in the next.
        let mut net = Network::new().dt(1.0);
        let pre = net
            .population(
                "pre",
                [100, 100],
                &Neuron::rate()
                    .parameters("baseline = 0.0")
                    .equations("r = baseline"),
            )
            .unwrap();
        let post = net.population("post", [100, 100], &sum_neuron()).unwrap();
        net.convolution(pre, post, "exc")
            .connect_filter(&w)
            .unwrap();
        let mut sim = net.compile(b).unwrap();
        sim.set(pre, "baseline", a.clone()).unwrap();
        sim.step().unwrap();
        assert!(
            sim.get(post, "r").unwrap().iter().all(|&v| v == 0.0),
            "{b:?}: pre's r was 0 at the end of the previous step"
        );
        sim.step().unwrap();
        assert_close(
            &sim.get(post, "r").unwrap(),
            &want_a,
            TOL,
            &format!("{b:?} eq A"),
        );
        sim.set(pre, "baseline", b_in.clone()).unwrap();
        sim.step().unwrap();
        assert_close(
            &sim.get(post, "r").unwrap(),
            &want_a,
            TOL,
            &format!("{b:?} eq A, one step late"),
        );
        sim.step().unwrap();
        assert_close(
            &sim.get(post, "r").unwrap(),
            &want_b,
            TOL,
            &format!("{b:?} eq B"),
        );
    }
}

// ---------------------------------------------------------------------------
// (c) Delays.

fn a_delayed_pooling_reads_pre_three_steps_before_the_previous() {
    // r = t + b: step k (t = k) leaves r = k + b; b differs per neuron so
    // the operation matters.
    let b_vals = ArrayD::from_shape_fn(IxDyn(&[4, 6]), |i| {
        ((i[0] * 7 + i[1] * 5) % 11) as f32 * 0.125
    });
    // Max and mean of b over each 2x2 block of the (2, 3) post.
    let block = |a: usize, c: usize| -> Vec<f32> {
        vec![
            b_vals[[2 * a, 2 * c]],
            b_vals[[2 * a, 2 * c + 1]],
            b_vals[[2 * a + 1, 2 * c]],
            b_vals[[2 * a + 1, 2 * c + 1]],
        ]
    };
    let bmax = ArrayD::from_shape_fn(IxDyn(&[2, 3]), |i| {
        block(i[0], i[1]).into_iter().fold(f32::MIN, f32::max)
    });
    let bmean = ArrayD::from_shape_fn(IxDyn(&[2, 3]), |i| {
        block(i[0], i[1]).iter().sum::<f32>() / 4.0
    });
    // Edge filter (delay 2) on the same input: with r = t + b, the sum of
    // weights times t is 0 inside and the b part is a convolution.
    for b in backends() {
        let mut net = Network::new().dt(1.0);
        let pre = net
            .population(
                "pre",
                [4, 6],
                &Neuron::rate().parameters("b = 0.0").equations("r = t + b"),
            )
            .unwrap();
        let max3 = net.population("max3", [2, 3], &sum_neuron()).unwrap();
        let mean3 = net.population("mean3", [2, 3], &sum_neuron()).unwrap();
        let max1 = net.population("max1", [2, 3], &sum_neuron()).unwrap();
        let conv2 = net.population("conv2", [4, 6], &sum_neuron()).unwrap();
        net.set(pre, "b", b_vals.clone()).unwrap();
        net.pooling(pre, max3, "exc")
            .delay(3.0)
            .connect_pooling(None)
            .unwrap();
        net.pooling(pre, mean3, "exc")
            .operation(Operation::Mean)
            .delay(3.0)
            .connect_pooling(None)
            .unwrap();
        net.pooling(pre, max1, "exc").connect_pooling(None).unwrap();
        net.convolution(pre, conv2, "exc")
            .delay(2.0)
            .connect_filter(&vertical())
            .unwrap();
        let mut sim = net.compile(b).unwrap();
        let mut pre_hist: Vec<ArrayD<f32>> = Vec::new();
        for k in 0..10usize {
            sim.step().unwrap();
            let r = sim.get(pre, "r").unwrap();
            // t of step k is k.
            let want_r = b_vals.mapv(|x| k as f32 + x);
            assert_close(
                &r,
                &want_r.mapv(f64::from),
                TOL,
                &format!("{b:?} pre step {k}"),
            );
            pre_hist.push(r);
            // Pooled at step k: pre of step k - 1 - D with a delay of D >= 2
            // steps (ANNarchy's delayed rate inputs; k - 1 without), or the
            // initial r (0) before.
            let expect = |d: usize, bpart: &ArrayD<f32>| -> ArrayD<f64> {
                if k >= d {
                    bpart.mapv(|x| (k - d) as f64 + f64::from(x))
                } else {
                    ArrayD::zeros(IxDyn(&[2, 3]))
                }
            };
            assert_close(
                &sim.get(max3, "r").unwrap(),
                &expect(4, &bmax),
                TOL,
                &format!("{b:?} max, delay 3, step {k}"),
            );
            assert_close(
                &sim.get(mean3, "r").unwrap(),
                &expect(4, &bmean),
                TOL,
                &format!("{b:?} mean, delay 3, step {k}"),
            );
            assert_close(
                &sim.get(max1, "r").unwrap(),
                &expect(1, &bmax),
                TOL,
                &format!("{b:?} max, no delay, step {k}"),
            );
            let want_conv = if k >= 3 {
                scatter_conv(&pre_hist[k - 3], &[4, 6], &vertical(), Layout::Plain)
            } else {
                ArrayD::zeros(IxDyn(&[4, 6]))
            };
            assert_close(
                &sim.get(conv2, "r").unwrap(),
                &want_conv,
                TOL,
                &format!("{b:?} convolution, delay 2, step {k}"),
            );
        }
        // The hand values: step 9 pools step 5, whose r is 5 + b.
        assert_eq!(sim.get_at(max3, &[1, 2], "r").unwrap(), 5.0 + bmax[[1, 2]]);
    }
}

// ---------------------------------------------------------------------------
// (d) Save, load, reset.

/// Leaky input driven by a per-neuron baseline, a bank into a leaky layer,
/// a delayed max pooling and a mean pooling of it: a state in every part.
fn stateful_net() -> (Network, PopId, PopId, PopId) {
    let mut net = Network::new().dt(1.0);
    let leaky_in = Neuron::rate()
        .parameters("tau = 5.0 : population\nbaseline = 0.0")
        .equations("tau * dx/dt = -x + baseline + 0.1 * sin(t / 3.0)\nr = x");
    let leaky = Neuron::rate()
        .parameters("tau = 4.0 : population")
        .equations("tau * dx/dt = -x + sum(exc)\nr = pos(x)");
    let pre = net.population("pre", [24, 24], &leaky_in).unwrap();
    let fm = net.population("fm", [12, 12, 3], &leaky).unwrap();
    let pooled = net.population("pooled", [6, 6, 3], &sum_neuron()).unwrap();
    let meaned = net.population("meaned", [12, 12], &sum_neuron()).unwrap();
    net.set(pre, "baseline", noise(&[24, 24], 31)).unwrap();
    net.convolution(pre, fm, "exc")
        .padding(Padding::Border)
        .connect_filters(&noise(&[3, 3, 3], 32).mapv(|x| x - 0.5))
        .unwrap();
    net.pooling(fm, pooled, "exc")
        .delay(2.0)
        .connect_pooling(None)
        .unwrap();
    net.pooling(fm, meaned, "exc")
        .operation(Operation::Mean)
        .connect_pooling(None)
        .unwrap();
    (net, fm, pooled, meaned)
}

fn snapshot(sim: &Simulation, pops: &[PopId]) -> Vec<ArrayD<f32>> {
    pops.iter().map(|&p| sim.get(p, "r").unwrap()).collect()
}

/// Six steps, saved, six more: the outputs of the first and second halves.
fn run_and_save(b: Backend, path: &std::path::Path) -> (Simulation, Vec<Vec<ArrayD<f32>>>) {
    let (net, fm, pooled, meaned) = stateful_net();
    let pops = [fm, pooled, meaned];
    let mut a = net.compile(b).unwrap();
    let mut outs: Vec<Vec<ArrayD<f32>>> = Vec::new();
    for s in 0..12 {
        if s == 6 {
            a.save(path).unwrap();
        }
        a.step().unwrap();
        outs.push(snapshot(&a, &pops));
    }
    // Something happens: the delayed pooling and the leaky layer move.
    assert_ne!(outs[11][1], outs[5][1], "{b:?}: the pooling is static");
    assert!(outs[11][0].iter().any(|&v| v > 0.0));
    (a, outs)
}

fn a_loaded_state_continues_identically_with_convolutions() {
    for b in backends() {
        let path = temp_path(&format!("{b:?}.bin"));
        let (_, outs) = run_and_save(b, &path);
        // A fresh compile that ran elsewhere, then loads.
        let (net2, fm, pooled, meaned) = stateful_net();
        let pops = [fm, pooled, meaned];
        let mut c = net2.compile(b).unwrap();
        c.simulate(3.0).unwrap();
        c.load(&path).unwrap();
        assert_eq!(c.current_step(), 6);
        for (s, want) in outs.iter().enumerate().skip(6) {
            c.step().unwrap();
            assert_eq!(
                &snapshot(&c, &pops),
                want,
                "{b:?}: the loaded run differs at step {}",
                s + 1
            );
        }
        let _ = std::fs::remove_file(&path);
    }
}

fn reset_gives_the_same_outputs_again_with_convolutions() {
    for b in backends() {
        let path = temp_path(&format!("{b:?}.bin"));
        let (mut a, outs) = run_and_save(b, &path);
        // The same populations by name in the run's own network.
        let net = a.network();
        let pops = ["fm", "pooled", "meaned"].map(|n| net.find(n).unwrap());
        a.reset().unwrap();
        assert_eq!(a.current_step(), 0);
        for (s, want) in outs.iter().enumerate() {
            a.step().unwrap();
            assert_eq!(
                &snapshot(&a, &pops),
                want,
                "{b:?}: after reset, step {}",
                s + 1
            );
        }
        let _ = std::fs::remove_file(&path);
    }
}

//! Event code against `eval`, bit for bit.

use super::{Four, Indices, NativeEvents};
use crate::connect::Weights;
use crate::engine::cpu::spike_propagate::{run_event, EventCtx};
use crate::engine::cpu::{hostile, HOSTILE};
use crate::network::model::{Neuron, Synapse};
use crate::network::Network;
use crate::real::{Dtype, Real};

/// The network's constants of the f32 tests' frame.
const CONSTS: [f32; 1] = [1.5];

/// A synapse whose statements call every function on hostile values.
fn hostile_synapse() -> Synapse {
    synapse_calling_everything(true)
}

/// The hostile synapse, with its `pre_spike` draws or without them (code
/// for four events at once needs none). Both spikes' statements read
/// values they stored before, `w` last of all: frozen, it is read as it
/// was, not as the skipped store would have left it; and store `c`, which
/// no statement reads (bound all the same).
fn synapse_calling_everything(draws: bool) -> Synapse {
    let (uniform, normal) = if draws {
        (" + Uniform(0.0, 1.0)", " + Normal(a, 1.0)")
    } else {
        ("", "")
    };
    Synapse::new()
        .parameters("a = 0.5 : projection\nb = 0.0\ntau = 5.0 : projection")
        .equations(
            "tau * dx/dt = -x : event-driven
             tau * dy1/dt = -y1 : event-driven
             tau * dy2/dt = -y2 : event-driven
             tau * dy3/dt = -y3 : event-driven
             tau * dy4/dt = -y4 : event-driven
             tau * dc/dt = -c",
        )
        .pre_spike(&format!(
            "g_target += w * exp(b) + pre.u
             x += a * clip(w, b, 1.0)
             y1 = pow(b, a) + b^2 + b % 3.0
             y2 = if (b > w) and not (w == 0.0): log(abs(b)) else: sin(post.u){uniform}
             y3 = min(b, w) - max(w, post.u) + round(b)
             y4 = sign(b) + sqrt(w) + t * dt{normal}
             w = w + tanh(x) * (b >= 0.0 or w != 1.0)
             c = a * w + 1.0
             y3 = y3 + w * x"
        ))
        .post_spike(
            "x -= floor(b) + ceil(w)
             y1 = pos(b) * neg(w)
             y2 = cosh(a) / b + pre.u * post.u
             y3 = modulo(w, b)
             c = b - 2.0
             w = clip(w + y4, 0.0, 1.0)
             y2 = y2 - w",
        )
}

#[test]
fn event_code_matches_eval_bit_for_bit() {
    one_event_code_matches_eval::<f32>();
    one_event_code_matches_eval::<f64>();
    // A vector holds two f64 values: f64 code runs one event a call,
    // rows and any four events alike.
    let (ir, local) = analysed(&synapse_calling_everything(false), 4, 4);
    for (stmts, four) in [(&ir.pre_spike, Four::Events), (&ir.post_spike, Four::Rows)] {
        let code = NativeEvents::compile(stmts, &local, four, Dtype::F64).expect("native code");
        assert_eq!(code.four(), None, "{four:?}");
        let code = NativeEvents::compile(stmts, &local, four, Dtype::F32).expect("native code");
        assert_eq!(code.four(), Some(four), "{four:?}");
    }
}

/// f32 code bound to f64 arrays is refused (it would read their bytes as
/// f32 values).
#[test]
#[should_panic(expected = "another precision")]
fn event_code_bound_in_another_precision_is_refused() {
    bind_f32_code::<f64>(4, None, 16, |_| {});
}

/// Binds f32 code of the hostile synapse's `pre_spike` (without draws),
/// on `n` x `n` neurons, to `slots` synapse slots (all the model's where
/// `None`) of `len` values of `R` each, and four neurons' values, and
/// gives it to `then`.
fn bind_f32_code<R: Real>(
    n: usize,
    slots: Option<usize>,
    len: usize,
    then: impl FnOnce(super::Bound),
) {
    let (ir, local) = analysed(&synapse_calling_everything(false), n, n);
    let code = NativeEvents::compile(&ir.pre_spike, &local, Four::Events, Dtype::F32)
        .expect("native code");
    let slots = slots.unwrap_or(ir.vars.len());
    let mut syn: Vec<Vec<R>> = vec![vec![R::of(0.5); len]; slots];
    let (u, mut g) = (vec![R::of(0.5); 4], vec![R::ZERO; 4]);
    let consts = [R::of(1.5)];
    let mut c = frame(&mut syn, &ir, &u, &u, &consts);
    then(code.bind(&mut c, &mut g, None));
}

/// The code for one event against `eval` in precision `R`, over its
/// hostile values.
fn one_event_code_matches_eval<R: Real>() {
    // Event-driven variables are the ones statements may assign: one
    // per group of functions, so that a NaN in one leaves the others
    // telling.
    let syn = hostile_synapse();
    let hostile = hostile::<R>();
    let n = hostile.len();
    let (ir, local) = analysed(&syn, n, n);
    let n_syn = n * n;
    // Per-synapse slots take the hostile values in two orders; the
    // projection-wide ones keep one value.
    let values = |k: usize| -> Vec<Vec<R>> {
        ir.vars
            .iter()
            .enumerate()
            .map(|(v, decl)| match decl.locality {
                crate::lang::ir::Locality::Local => {
                    (0..n_syn).map(|s| hostile[(s * (v + 1) + k) % n]).collect()
                }
                _ => vec![hostile[(v + k) % n]],
            })
            .collect()
    };
    let u: Vec<R> = hostile.clone();
    let consts = [R::of(1.5)];
    for (stmts, k) in [(&ir.pre_spike, 0), (&ir.post_spike, 3)] {
        let code =
            NativeEvents::compile(stmts, &local, Four::Events, R::DTYPE).expect("native code");
        let (mut a, mut b) = (values(k), values(k));
        let (mut ga, mut gb) = (vec![R::of(0.1); n], vec![R::of(0.1); n]);
        for frozen in [None, ir.slot("w")] {
            let ctx = |syn| frame(syn, &ir, &u, &u, &consts);
            let mut ca = ctx(&mut a);
            {
                let bound = code.bind(&mut ca, &mut ga, frozen);
                for s in 0..n_syn {
                    bound.run(s, s / n, s % n);
                }
            }
            let mut cb = ctx(&mut b);
            for s in 0..n_syn {
                run_event(stmts, &mut cb, s, s / n, s % n, frozen, &mut gb);
            }
            same_bits(&a, &b, "native");
            same_bits(&[ga.clone()], &[gb.clone()], "native: g");
        }
    }
}

/// Row code (four synapses of a post-synaptic row at once) against
/// `run_event` one synapse at a time, over rows of 18 synapses (four
/// vectors and two left), learning and frozen.
#[test]
fn row_code_matches_eval_bit_for_bit() {
    let (n_pre, n_post) = (18, HOSTILE.len());
    let (ir, local) = analysed(&hostile_synapse(), n_pre, n_post);
    // pre_spike adds to the conductance and draws: no row code.
    let pre =
        NativeEvents::compile(&ir.pre_spike, &local, Four::Rows, Dtype::F32).expect("native code");
    assert_eq!(pre.four(), None);
    let code =
        NativeEvents::compile(&ir.post_spike, &local, Four::Rows, Dtype::F32).expect("native code");
    assert_eq!(code.four(), Some(Four::Rows), "row code for post_spike");
    let n_syn = n_pre * n_post;
    let values = || -> Vec<Vec<f32>> {
        ir.vars
            .iter()
            .enumerate()
            .map(|(v, decl)| match decl.locality {
                crate::lang::ir::Locality::Local => (0..n_syn)
                    .map(|s| HOSTILE[(s * (v + 1) + 3) % HOSTILE.len()])
                    .collect(),
                _ => vec![HOSTILE[(v + 3) % HOSTILE.len()]],
            })
            .collect()
    };
    let u_pre: Vec<f32> = (0..n_pre)
        .map(|j| HOSTILE[(j * 5) % HOSTILE.len()])
        .collect();
    let u_post: Vec<f32> = HOSTILE.to_vec();
    for frozen in [None, ir.slot("w")] {
        let (mut a, mut b) = (values(), values());
        let ctx = |syn| frame(syn, &ir, &u_pre, &u_post, &CONSTS);
        let mut ca = ctx(&mut a);
        {
            let bound = code.bind(&mut ca, &mut [], frozen);
            for post in 0..n_post {
                let row = post * n_pre..(post + 1) * n_pre;
                let mut s = row.start;
                while s + 4 <= row.end {
                    let pre: [u32; 4] = std::array::from_fn(|k| ((s + k) % n_pre) as u32);
                    bound.run_row(s, &pre, post);
                    s += 4;
                }
                for s in s..row.end {
                    bound.run(s, s % n_pre, post);
                }
            }
        }
        let mut cb = ctx(&mut b);
        for s in 0..n_syn {
            run_event(
                &ir.post_spike,
                &mut cb,
                s,
                s % n_pre,
                s / n_pre,
                frozen,
                &mut [],
            );
        }
        same_bits(&a, &b, &format!("rows (frozen {frozen:?})"));
    }
}

/// Code for any four events against `run_event` one event at a time:
/// events in a scrambled order whose posts repeat within a group (the
/// conductance's additions must keep their order), learning and
/// frozen.
#[test]
fn four_event_code_matches_eval_bit_for_bit() {
    let n = HOSTILE.len();
    let syn = synapse_calling_everything(false);
    let (ir, local) = analysed(&syn, n, n);
    let code = NativeEvents::compile(&ir.pre_spike, &local, Four::Events, Dtype::F32)
        .expect("native code");
    assert_eq!(code.four(), Some(Four::Events), "code for four events");
    let rows =
        NativeEvents::compile(&ir.pre_spike, &local, Four::Rows, Dtype::F32).expect("native code");
    assert_eq!(
        rows.four(),
        None,
        "no row code where events add to the conductance"
    );
    // The hostile synapse's pre_spike draws: no code for four events.
    let (hostile, hostile_local) = analysed(&hostile_synapse(), n, n);
    let draws = NativeEvents::compile(&hostile.pre_spike, &hostile_local, Four::Events, Dtype::F32);
    assert_eq!(draws.expect("native code").four(), None);
    let n_syn = n * n;
    // Every synapse once: the first half in order (a group's four
    // events on one post), the rest scrambled (37 is prime to n_syn).
    let half = n_syn / 2;
    let order: Vec<usize> = (0..half)
        .chain((0..n_syn).map(|k| (k * 37) % n_syn).filter(|&s| s >= half))
        .collect();
    assert_eq!(order.len(), n_syn);
    let events: Vec<(usize, usize, usize)> = order.iter().map(|&s| (s, s % n, s / n)).collect();
    assert!(
        events.chunks_exact(4).any(|c| c[0].2 == c[1].2),
        "repeated posts in a group"
    );
    // Finite values of mixed magnitudes, so that the order of the
    // conductance's additions shows in its bits (the hostile values
    // are the other tests').
    let values = || slot_values::<f32>(&ir, n_syn);
    let u: Vec<f32> = (0..n).map(|j| finite::<f32>(j * 31 + 5) * 1e3).collect();
    for frozen in [None, ir.slot("w")] {
        let (mut a, mut b) = (values(), values());
        let (mut ga, mut gb) = (vec![0.1f32; n], vec![0.1f32; n]);
        let ctx = |syn| frame(syn, &ir, &u, &u, &CONSTS);
        let mut ca = ctx(&mut a);
        {
            // Four at a time (the synapses are distinct), the last one by
            // one.
            code.bind(&mut ca, &mut ga, frozen)
                .run_each(events.iter().copied());
        }
        let mut cb = ctx(&mut b);
        for &(s, pre, post) in &events {
            run_event(&ir.pre_spike, &mut cb, s, pre, post, frozen, &mut gb);
        }
        same_bits(&a, &b, &format!("four at once (frozen {frozen:?})"));
        same_bits(&[ga.clone()], &[gb.clone()], "four at once: g");
    }
}

/// Spikes' segments run as [`Bound::run_segments`] runs them, against
/// `run_event` one event at a time in the same order: segments of 0 to 13
/// synapses (whole fours and a last one of 1 to 3 events), posts repeated
/// within a four, learning and frozen; and a second batch element's
/// spikes, whose segments repeat the first's synapses. It fails when a
/// short four's lanes past its events add to the conductance.
///
/// [`Bound::run_segments`]: super::Bound::run_segments
#[test]
fn segments_of_spikes_match_eval_bit_for_bit() {
    segments_match_eval::<f32>();
    // f64 code runs one event a call.
    segments_match_eval::<f64>();
}

fn segments_match_eval<R: Real>() {
    let n = HOSTILE.len();
    let (ir, local) = analysed(&synapse_calling_everything(false), n, n);
    let code =
        NativeEvents::compile(&ir.pre_spike, &local, Four::Events, R::DTYPE).expect("native code");
    // f32 code runs the segments through run code.
    assert_eq!(code.run.is_some(), R::DTYPE == Dtype::F32);
    let n_syn = n * n;

    // Every synapse at most once, scrambled; posts from a short cycle so
    // that a four's posts repeat.
    let order: Vec<u32> = (0..n_syn).map(|k| ((k * 37) % n_syn) as u32).collect();
    let posts: Vec<u32> = (0..n_syn as u32).map(|k| (k * 5) % 7).collect();
    let idx = Indices::new(order.clone(), posts.clone());
    // 64 events of distinct synapses an element; the second element's
    // spikes in reverse order.
    let lengths = [3, 0, 1, 2, 9, 4, 5, 7, 6, 8, 2, 1, 13, 1, 1, 1];
    let mut first = Vec::new();
    let mut at = 0;
    for len in lengths {
        first.push((at, at + len));
        at += len;
    }
    let values = || slot_values::<R>(&ir, n_syn);
    // Two batch elements' neurons.
    let u: Vec<R> = (0..2 * n).map(|j| finite::<R>(j * 31 + 5)).collect();
    let consts = [R::of(1.5)];
    let one_element = first.iter().map(|&r| (r, 0u32));
    let two_elements = first
        .iter()
        .map(|&r| (r, 0))
        .chain(first.iter().rev().map(|&r| (r, 1)));
    // (Entries of `order`, batch element) a spike.
    type Spikes = Vec<((usize, usize), u32)>;
    let cases: [(&str, Spikes); 2] = [
        ("one element", one_element.collect()),
        ("two elements", two_elements.collect()),
    ];
    for (case, spikes) in cases {
        for frozen in [None, ir.slot("w")] {
            let (mut a, mut b) = (values(), values());
            let (mut ga, mut gb) = (vec![R::of(0.1); 2 * n], vec![R::of(0.1); 2 * n]);
            let ctx = |syn| frame(syn, &ir, &u, &u, &consts);
            let mut ca = ctx(&mut a);
            // A spike's pre rank: its segment's place, as a row's.
            let pre_of = |lo: usize| (lo % n) as u32;
            let segments = spikes.iter().map(|&((lo, hi), e)| {
                let off = (e * n as u32, e * n as u32);
                (lo..hi, pre_of(lo), off)
            });
            code.bind(&mut ca, &mut ga, frozen)
                .run_segments(&idx, segments);
            let mut cb = ctx(&mut b);
            for &((lo, hi), e) in &spikes {
                for i in lo..hi {
                    let s = order[i] as usize;
                    let pre = (pre_of(lo) + e * n as u32) as usize;
                    let post = (posts[i] + e * n as u32) as usize;
                    run_event(&ir.pre_spike, &mut cb, s, pre, post, frozen, &mut gb);
                }
            }
            let how = format!("segments ({case}, frozen {frozen:?})");
            same_bits(&a, &b, &how);
            same_bits(&[ga.clone()], &[gb.clone()], &format!("{how}: g"));
        }
    }
}

/// Finite values of mixed magnitudes, so that the order of a
/// conductance's additions shows in its bits (the hostile values are the
/// other tests').
fn finite<R: Real>(k: usize) -> R {
    R::of(((k * 7919) % 1000) as f64 / 250.0 - 2.0 + (k % 7) as f64 * 1.1e-5)
}

/// Each slot of `ir` filled with [`finite`] values: `n_syn` of them per
/// synapse, one for the projection.
fn slot_values<R: Real>(ir: &crate::lang::ir::SynapseIr, n_syn: usize) -> Vec<Vec<R>> {
    ir.vars
        .iter()
        .enumerate()
        .map(|(v, decl)| match decl.locality {
            crate::lang::ir::Locality::Local => {
                (0..n_syn).map(|s| finite(s * (v + 3) + v)).collect()
            }
            _ => vec![finite(v + 1)],
        })
        .collect()
}

/// `syn` analysed on an all-to-all projection between populations of
/// `n_pre` and `n_post` neurons, with its slots' locality (per synapse or
/// not).
fn analysed(
    syn: &Synapse,
    n_pre: usize,
    n_post: usize,
) -> (std::sync::Arc<crate::lang::ir::SynapseIr>, Vec<bool>) {
    let mut net = Network::new();
    let neuron = Neuron::spiking()
        .parameters("u = 0.0")
        .equations("v = u + g_exc")
        .spike("v > 1.0");
    let p = net.population("p", n_pre, &neuron).unwrap();
    let q = net.population("q", n_post, &neuron).unwrap();
    net.projection(p, q, "exc")
        .synapse(syn)
        .connect_all_to_all(Weights::constant(0.25))
        .unwrap();
    let ir = net.projs[0].ir.clone();
    let local = ir
        .vars
        .iter()
        .map(|v| v.locality == crate::lang::ir::Locality::Local)
        .collect();
    (ir, local)
}

/// The context events run in: the synapses' slots `syn`, every `pre.x`
/// and `post.x` of `ir` reading `pre` and `post`, and a fixed frame with
/// the network's constants `consts`.
fn frame<'a, R: Real>(
    syn: &'a mut Vec<Vec<R>>,
    ir: &crate::lang::ir::SynapseIr,
    pre: &'a [R],
    post: &'a [R],
    consts: &'a [R],
) -> EventCtx<'a, R> {
    EventCtx {
        syn,
        pre: vec![pre; ir.pre_refs.len()],
        post: vec![post; ir.post_refs.len()],
        t: R::of(2.5),
        dt: R::of(0.1),
        consts,
        seed: 7,
        step: 3,
        object: 11,
    }
}

/// Every value of `a` (computed `how`) has the bits of `b`'s (by `eval`).
fn same_bits<R: Real>(a: &[Vec<R>], b: &[Vec<R>], how: &str) {
    for (v, (x, y)) in a.iter().zip(b).enumerate() {
        for (s, (x, y)) in x.iter().zip(y).enumerate() {
            assert_eq!(
                x.bits(),
                y.bits(),
                "{:?}: slot {v}, element {s}: {x:?} {how}, {y:?} eval",
                R::DTYPE
            );
        }
    }
}

/// Four events on a projection of one synapse (every slot one value, read
/// by the one-event code at element 0 whatever the synapse) are refused,
/// not read past the arrays.
#[test]
#[should_panic(expected = "out of their arrays")]
fn four_events_past_one_synapse_are_refused() {
    bind_f32_code::<f32>(1, None, 1, |bound| {
        bound.run_each([(0, 0, 0), (1, 1, 1), (2, 2, 2), (3, 3, 3)])
    });
}

/// Code bound to fewer synapse slots than its statements name is refused
/// (it would read past the table of slots).
#[test]
#[should_panic(expected = "event code bound to")]
fn event_code_bound_to_too_few_slots_is_refused() {
    bind_f32_code::<f32>(4, Some(1), 16, |_| {});
}

/// A spike's run whose indices hold a synapse past the arrays is refused
/// by the bound its `Indices` found, not read past them; so is a post
/// rank past the conductance once the batch element's offset is added.
#[test]
fn runs_past_their_arrays_are_refused() {
    // Whether the run of entries `range` of these indices goes through.
    let run = |syn: Vec<u32>, post: Vec<u32>, range: std::ops::Range<usize>, post_off: u32| {
        std::panic::catch_unwind(|| {
            bind_f32_code::<f32>(4, None, 16, |bound| {
                let idx = Indices::new(syn, post);
                bound.run_segments(&idx, [(range, 0, (0, post_off))]);
            })
        })
        .is_ok()
    };
    // 16 synapses, 4 post neurons: within.
    assert!(run(vec![0, 5, 9, 15], vec![0, 1, 2, 3], 0..4, 0));
    // Synapse 16 in the run; then outside the run but in `Indices`,
    // whose bound covers all its entries.
    assert!(!run(vec![0, 5, 16, 15], vec![0, 1, 2, 3], 0..4, 0));
    assert!(
        !run(vec![0, 1, 2, 3, 99], vec![0; 5], 0..4, 0),
        "a bound over all the entries"
    );
    // Post rank 4, and post rank 3 in a second element (offset 1).
    assert!(!run(vec![0, 1, 2, 3], vec![0, 1, 4, 3], 0..4, 0));
    assert!(!run(vec![0, 1, 2, 3], vec![0, 1, 2, 3], 0..4, 1));
}

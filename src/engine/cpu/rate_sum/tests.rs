use super::{compile_psp, eval_psp, reduce, weighted_sum, Rows};
use crate::engine::cpu::hostile;
use crate::engine::cpu::jit::{Bound, Ranks, RowFold, RowKinds, RowPtr};
use crate::engine::cpu::vm::VmReal;
use crate::network::model::Operation;
use crate::prelude::{Network, Neuron, Synapse, Weights};
use crate::real::Real;

/// Sums and means of long rows side by side (groups of four rows of 4
/// to 13 values, and shorter ones), against each row folded alone
/// from -0: the same values, in both precisions, over values whose
/// sums round (so that another order gives other bits) with hostile
/// ones among them (one in 31: most rows stay finite).
#[test]
fn long_rows_reduced_side_by_side_give_each_rows_own_fold() {
    fn check<R: Real>() {
        use crate::network::model::Operation;
        let lens = [9usize, 9, 9, 9, 4, 13, 7, 8, 12, 12, 5, 6, 9, 2];
        let mut row_ptr = vec![0u32];
        for &l in &lens {
            row_ptr.push(row_ptr.last().unwrap() + l as u32);
        }
        let n = *row_ptr.last().unwrap() as usize;
        let psp = rounding::<R>(n, 0x9e37_79b9_7f4a_7c15, 31);
        for op in [Operation::Sum, Operation::Mean] {
            let mut out = vec![R::of(7.0); lens.len()];
            super::reduce(&row_ptr, &psp, op, &mut out);
            for (i, &got) in out.iter().enumerate() {
                let row = &psp[row_ptr[i] as usize..row_ptr[i + 1] as usize];
                let sum = row.iter().fold(-R::ZERO, |a, &x| a + x);
                let want = match op {
                    Operation::Mean => sum / R::of_u32(row.len() as u32),
                    _ => sum,
                };
                assert!(
                    same(got, want),
                    "{:?} {op:?} row {i}: {got:?}, alone {want:?}",
                    R::DTYPE
                );
            }
        }
    }
    check::<f32>();
    check::<f64>();
}

/// Rows folded side by side give each row's fold alone, in order, as
/// Rust's iterators fold it (a sum from -0, so that a row of -0 sums
/// to -0), bit for bit, over hostile values, rows of every length
/// from 0, in both precisions.
#[test]
fn rows_reduced_side_by_side_give_each_rows_own_fold() {
    fn check<R: Real + VmReal>() {
        use crate::network::model::Operation;
        let values = hostile::<R>();
        let lens = [3usize, 0, 7, 1, 5, 5, 2, 9, 0, 4, 6, 1, 8];
        let mut row_ptr = vec![0u32];
        for &l in &lens {
            row_ptr.push(row_ptr.last().unwrap() + l as u32);
        }
        let n = *row_ptr.last().unwrap() as usize;
        for shift in 0..values.len() {
            let psp: Vec<R> = (0..n)
                .map(|k| values[(k * 7 + shift) % values.len()])
                .collect();
            let mut zeros = psp.clone();
            zeros.iter_mut().for_each(|x| *x = -R::ZERO);
            for psp in [&psp, &zeros] {
                for op in [
                    Operation::Sum,
                    Operation::Mean,
                    Operation::Max,
                    Operation::Min,
                ] {
                    let mut out = vec![R::of(7.0); lens.len()];
                    super::reduce(&row_ptr, psp, op, &mut out);
                    for (i, &got) in out.iter().enumerate() {
                        let row = &psp[row_ptr[i] as usize..row_ptr[i + 1] as usize];
                        let want = match op {
                            _ if row.is_empty() => R::ZERO,
                            Operation::Sum => row.iter().copied().sum(),
                            Operation::Mean => {
                                row.iter().copied().sum::<R>() / R::of_u32(row.len() as u32)
                            }
                            Operation::Max => {
                                row.iter().copied().fold(-R::of(f64::INFINITY), R::max)
                            }
                            Operation::Min => {
                                row.iter().copied().fold(R::of(f64::INFINITY), R::min)
                            }
                        };
                        assert_eq!(got.bits(), want.bits(), "{op:?} row {i}: {row:?}");
                    }
                }
            }
        }
    }
    check::<f32>();
    check::<f64>();
}

/// Rows are told to hold every neuron but their own only where each
/// does, in order, of a population onto itself; others hold neurons
/// below the population's size, or any.
#[test]
fn rows_without_the_diagonal_are_told_only_where_they_are() {
    // Three neurons: row i misses neuron i.
    let row_ptr = [0u32, 2, 4, 6];
    let all_but_self = [1u32, 2, 0, 2, 0, 1];
    assert_eq!(
        Rows::of(false, &row_ptr, &all_but_self, 3, true),
        Rows::AllButSelf
    );
    assert_eq!(
        Rows::of(false, &row_ptr, &all_but_self, 3, false),
        Rows::Below(3)
    );
    // An index past the population: read with its bounds checked.
    assert_eq!(
        Rows::of(false, &row_ptr, &all_but_self, 2, false),
        Rows::Indexed
    );
    assert_eq!(
        Rows::of(true, &row_ptr, &all_but_self, 3, true),
        Rows::Dense
    );
    // Row 1 misses neuron 0 instead, or holds its neurons out of order.
    // (each of its rows still consecutive neurons).
    let other = [1u32, 2, 1, 2, 0, 1];
    assert_eq!(Rows::of(false, &row_ptr, &other, 3, true), Rows::Runs(3));
    let swapped = [1u32, 2, 2, 0, 0, 1];
    assert_eq!(Rows::of(false, &row_ptr, &swapped, 3, true), Rows::Below(3));
    // A missing row.
    assert_eq!(
        Rows::of(false, &row_ptr[..3], &all_but_self[..4], 3, true),
        Rows::Below(3)
    );
}

/// `n_syn` weights and `n` rates from the hostile `values`, mixed with
/// ordinary ones.
fn weights_and_rates(values: &[f32], n_syn: usize, n: usize) -> (Vec<f32>, Vec<f32>) {
    let w = (0..n_syn)
        .map(|k| values[(3 * k + 1) % values.len()] * 0.5 + (k % 7) as f32)
        .collect();
    let r = (0..n)
        .map(|i| values[(5 * i) % values.len()] - i as f32)
        .collect();
    (w, r)
}

/// Rows that read every pre-synaptic neuron in order (`Rows::Dense`,
/// `n_pre` of them, rectangular) or every one but their own
/// (`Rows::AllButSelf`), summed eight side by side, against each row
/// folded alone from +0 in synapse order: the same values, in both
/// precisions, over weights and rates whose sums round with hostile
/// ones among them, for row lengths that leave 0 to 3 positions past
/// the vectors and groups of rows that leave 0 to 7 past the last
/// eight.
#[test]
fn rows_of_the_same_values_sum_as_each_row_alone() {
    fn check<R: Real>() {
        for (n_post, n_pre) in [
            (1usize, 1usize),
            (3, 5),
            (8, 4),
            (9, 9),
            (16, 13),
            (23, 37),
            (40, 40),
        ] {
            for all_but_self in [false, true] {
                if all_but_self && n_pre != n_post {
                    continue;
                }
                let mut row_ptr = vec![0u32];
                let mut pre = Vec::new();
                for i in 0..n_post {
                    pre.extend((0..n_pre as u32).filter(|&j| !all_but_self || j as usize != i));
                    row_ptr.push(pre.len() as u32);
                }
                let w = rounding::<R>(pre.len(), 0x2545_f491_4f6c_dd1d, 11);
                let r = rounding::<R>(n_pre, 3, 11);
                let rows = Rows::of(!all_but_self, &row_ptr, &pre, n_pre, all_but_self);
                let want_rows = if all_but_self {
                    Rows::AllButSelf
                } else {
                    Rows::Dense
                };
                assert_eq!(rows, want_rows);
                sums_as_rows_alone(&row_ptr, &pre, &w, &r, rows, &format!("{n_post}x{n_pre}"));
            }
        }
    }
    check::<f32>();
    check::<f64>();
}

/// `weighted_sum` of rows `row_ptr` (pre-synaptic neurons `pre`,
/// weights `w`, values `r`) read as `rows` says gives each row folded
/// alone from +0 in synapse order (`what` names the case).
fn sums_as_rows_alone<R: Real>(
    row_ptr: &[u32],
    pre: &[u32],
    w: &[R],
    r: &[R],
    rows: Rows,
    what: &str,
) {
    let vals = |_: u32| r;
    let mut got = vec![R::of(7.0); row_ptr.len() - 1];
    weighted_sum(row_ptr, pre, w, None, rows, &vals, &mut got);
    for (i, g) in got.iter().enumerate() {
        let at = row_ptr[i] as usize..row_ptr[i + 1] as usize;
        let want = w[at.clone()]
            .iter()
            .zip(&pre[at])
            .fold(R::ZERO, |s, (&wt, &j)| s + wt * r[j as usize]);
        assert!(
            same(*g, want),
            "{:?} {rows:?} {what}, row {i}: {g:?} side by side, {want:?} alone",
            R::DTYPE
        );
    }
}

/// The same value: the same bits, or both NaN (which NaN an operation
/// of two NaNs gives depends on the order the compiler puts its
/// operands in, which Rust leaves open).
#[allow(clippy::eq_op)]
fn same<R: Real>(a: R, b: R) -> bool {
    a.bits() == b.bits() || (a != a && b != b)
}

/// `count` values whose sums round (of one scale, so that adding them
/// in another order gives other bits), a hostile one at every
/// position `k` with `k % every == every - 1`; `seed` picks them.
fn rounding<R: Real>(count: usize, seed: u64, every: usize) -> Vec<R> {
    let values = hostile::<R>();
    let mut state = seed;
    (0..count)
        .map(|k| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            if k % every == every - 1 {
                values[(k / every) % values.len()]
            } else {
                R::of(((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 3.0)
            }
        })
        .collect()
}

/// Scattered rows (`Rows::Below`, and the same rows read through
/// checked indices) of 2 to 20 synapses, groups of four of one length
/// and of several, repeated neurons among them, against each row
/// folded alone in synapse order: the same values, in both precisions.
#[test]
fn scattered_rows_sum_as_each_row_alone() {
    fn check<R: Real>() {
        let n = 23usize;
        let lengths = [
            9usize, 9, 9, 9, 4, 13, 7, 8, 12, 12, 5, 6, 17, 16, 19, 20, 2,
        ];
        let mut row_ptr = vec![0u32];
        let mut pre = Vec::new();
        for (i, len) in lengths.iter().enumerate() {
            pre.extend((0..*len).map(|k| ((k * 7 + i * 3 + k * k) % n) as u32));
            row_ptr.push(pre.len() as u32);
        }
        let w = rounding::<R>(pre.len(), 17, 29);
        let r = rounding::<R>(n, 5, 11);
        let below = Rows::of(false, &row_ptr, &pre, n, false);
        assert_eq!(below, Rows::Below(n as u32));
        for rows in [below, Rows::Indexed] {
            sums_as_rows_alone(&row_ptr, &pre, &w, &r, rows, "scattered");
        }
    }
    check::<f32>();
    check::<f64>();
}

/// Rows of consecutive neurons (`Rows::Runs`: 0 to 20 synapses from
/// any first neuron, groups of four and of eight of one length, whole
/// vectors or not, and of several), read in order without their
/// indices, against each row folded alone
/// in synapse order and the same rows as scattered ones: the same
/// values, in both precisions, over values whose sums round with hostile
/// ones among them. Rows with a gap, out of order or past the
/// population are not runs.
#[test]
fn rows_of_consecutive_neurons_sum_as_each_row_alone() {
    fn check<R: Real>() {
        let n = 61;
        let lengths = [
            [9usize; 8].as_slice(),
            &[9, 9, 9, 9, 4, 13, 0, 7],
            &[6; 8],
            &[8, 12, 12, 5, 6, 17, 16, 20],
            &[0; 8],
            &[2, 1],
        ]
        .concat();
        let mut row_ptr = vec![0u32];
        let mut pre = Vec::new();
        for (i, len) in lengths.iter().enumerate() {
            let first = (i * 7) % (n - len);
            pre.extend((first..first + len).map(|j| j as u32));
            row_ptr.push(pre.len() as u32);
        }
        let w = rounding::<R>(pre.len(), 23, 29);
        let r = rounding::<R>(n, 7, 11);
        let runs = Rows::of(false, &row_ptr, &pre, n, false);
        assert_eq!(runs, Rows::Runs(n as u32));
        for rows in [runs, Rows::Below(n as u32), Rows::Indexed] {
            sums_as_rows_alone(&row_ptr, &pre, &w, &r, rows, "runs");
        }
    }
    check::<f32>();
    check::<f64>();
    let of = |pre: &[u32], n: usize| Rows::of(false, &[0, pre.len() as u32], pre, n, false);
    assert_eq!(of(&[3, 4, 6], 9), Rows::Below(9), "a gap");
    assert_eq!(of(&[4, 3], 9), Rows::Below(9), "out of order");
    assert_eq!(of(&[7, 8, 9], 9), Rows::Indexed, "past the population");
    assert_eq!(of(&[7, 8], 9), Rows::Runs(9));
}

/// The sums of rows that hold every neuron but their own, read without
/// the indices, against the same rows read through them: the same bits,
/// for populations that leave a partial last group of rows, hostile
/// values among the rates and weights.
#[test]
fn rows_without_the_diagonal_sum_as_through_their_indices() {
    let values = hostile::<f32>();
    for n in [1usize, 2, 3, 4, 5, 7, 9, 37, 64] {
        let mut row_ptr = vec![0u32];
        let mut pre = Vec::new();
        for i in 0..n {
            pre.extend((0..n as u32).filter(|&j| j as usize != i));
            row_ptr.push(pre.len() as u32);
        }
        let (w, r) = weights_and_rates(&values, pre.len(), n);
        let vals = |_: u32| r.as_slice();
        let (mut fast, mut slow) = (vec![0.0f32; n], vec![0.0f32; n]);
        weighted_sum(&row_ptr, &pre, &w, None, Rows::AllButSelf, &vals, &mut fast);
        weighted_sum(&row_ptr, &pre, &w, None, Rows::Indexed, &vals, &mut slow);
        for (i, (a, b)) in fast.iter().zip(&slow).enumerate() {
            assert!(
                same(*a, *b),
                "{n} neurons, row {i}: {a} without indices, {b} with"
            );
        }
    }
}

/// Scattered rows read without bounds checks (`Rows::Below`) sum as
/// with them, bit for bit, rows of 0 to 9 synapses side by side; and
/// values shorter than the rows were told (the check made for other
/// values) are read with the checks: an index past them panics.
#[test]
fn rows_below_a_size_sum_as_with_their_checks() {
    let values = hostile::<f32>();
    let n = 13usize;
    let lengths = [3usize, 0, 6, 1, 5, 9, 9, 9, 2, 7, 4];
    let mut row_ptr = vec![0u32];
    let mut pre = Vec::new();
    for (i, len) in lengths.iter().enumerate() {
        pre.extend((0..*len).map(|k| ((k * 5 + i * 3) % n) as u32));
        row_ptr.push(pre.len() as u32);
    }
    let (w, r) = weights_and_rates(&values, pre.len(), n);
    let rows = Rows::of(false, &row_ptr, &pre, n, false);
    assert_eq!(rows, Rows::Below(n as u32));
    let vals = |_: u32| r.as_slice();
    let out = lengths.len();
    let (mut fast, mut slow) = (vec![0.0f32; out], vec![0.0f32; out]);
    weighted_sum(&row_ptr, &pre, &w, None, rows, &vals, &mut fast);
    weighted_sum(&row_ptr, &pre, &w, None, Rows::Indexed, &vals, &mut slow);
    for (i, (a, b)) in fast.iter().zip(&slow).enumerate() {
        assert_eq!(a.bits(), b.bits(), "row {i}: {a} unchecked, {b} checked");
    }
    // Four rows of one length (read side by side, no rest), the last
    // neuron in the first.
    let (row_ptr, pre) = (
        [0u32, 3, 6, 9, 12],
        [0u32, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
    let short = |_: u32| &r[..n - 1];
    let read = std::panic::catch_unwind(|| {
        let mut o = vec![0.0f32; 4];
        weighted_sum(&row_ptr, &pre, &w[..12], None, rows, &short, &mut o);
    });
    assert!(read.is_err(), "an index past the values must panic");
}

/// A psp reading a synapse's own value, `pre.x`, `post.x`, a parameter
/// and a draw, as native row code and interpreted over gathered
/// arrays, on hostile values: rows of every pre-synaptic neuron in
/// order, of every one but the row's own, and of scattered ones (rows
/// of 3, 0, 6, 1, 5 and 9, scattered or each of consecutive neurons;
/// and rows of three, seven of them or one to three, which folding code
/// runs side by side),
/// `pre.x` read in place, at the synapses' ranks or gathered as the
/// layout says: every psp must agree bit for bit, in both precisions.
#[test]
fn psp_row_code_matches_the_interpreter_bit_for_bit() {
    for (bound, n, uniform) in [
        (Bound::Column, 7, true),
        (Bound::ColumnButSelf, 4, true),
        (Bound::ColumnButSelf, 10, true),
        (Bound::Each, 9, false),
        (Bound::AtPre, 9, false),
        (Bound::Consecutive, 9, false),
        (Bound::Each, 9, true),
        (Bound::AtPre, 9, true),
        (Bound::Consecutive, 9, true),
        (Bound::Each, 1, true),
        (Bound::AtPre, 2, true),
        (Bound::Each, 3, true),
    ] {
        // Code that loads the table's values at each vector, and once;
        // rows of one length read place after place, and in a loop.
        // The plain code and the wide (`engine::cpu::wide`).
        for hoist in [false, true] {
            for unroll in [true, false] {
                for wide in [false, true] {
                    psp_rows_agree::<f32>(bound, n, uniform, (hoist, unroll, wide));
                    psp_rows_agree::<f64>(bound, n, uniform, (hoist, unroll, wide));
                }
            }
        }
    }
}

fn psp_rows_agree<R: VmReal>(
    bound: Bound,
    n: u32,
    uniform: bool,
    (hoist, unroll, wide): (bool, bool, bool),
) {
    let syn = Synapse::new()
        .parameters("k = 0.5 : projection")
        .psp("w * (pre.v - post.v) * k + Uniform(0.0, 1e-3) * pre.u");
    let neuron = Neuron::rate()
        .parameters("u = 1.0")
        .equations("v = sum(gap)\n r = v");
    let mut net = Network::new();
    let p = net.population("p", n as usize, &neuron).unwrap();
    net.projection(p, p, "gap")
        .synapse(&syn)
        .connect_all_to_all(Weights::constant(0.25))
        .unwrap();
    let ir = net.projs[0].ir.clone();
    let (row_ptr, pre): (Vec<u32>, Vec<u32>) = match bound {
        Bound::Column => (
            (0..=n).map(|i| i * n).collect(),
            (0..n * n).map(|k| k % n).collect(),
        ),
        Bound::ColumnButSelf => (
            (0..=n).map(|i| i * (n - 1)).collect(),
            (0..n)
                .flat_map(|i| (0..n).filter(move |&j| j != i))
                .collect(),
        ),
        // Seven rows of three: a vector's rows and a partial one.
        Bound::Consecutive if uniform => (
            (0..=7).map(|i| i * 3).collect(),
            [2, 0, 6, 1, 4, 0, 5]
                .into_iter()
                .flat_map(|first| first..first + 3)
                .collect(),
        ),
        // Seven rows of three, or one a neuron of a population of fewer
        // than a vector's rows.
        _ if uniform => {
            let rows = n.min(7);
            (
                (0..=rows).map(|i| i * 3).collect(),
                (0..3 * rows).map(|k| (k * 5 + 2) % n).collect(),
            )
        }
        // Each row's neurons one after the other from its first.
        Bound::Consecutive => (
            vec![0, 3, 3, 9, 10, 15, 24],
            [(2, 3), (0, 0), (0, 6), (7, 1), (4, 5), (0, 9)]
                .into_iter()
                .flat_map(|(first, len)| first..first + len)
                .collect(),
        ),
        _ => (
            vec![0, 3, 3, 9, 10, 15, 24],
            (0..24).map(|k| (k * 5 + 2) % n).collect(),
        ),
    };
    let rows = row_ptr.len() - 1;
    let n_syn = pre.len();
    let row_of = |s: usize| {
        row_ptr
            .windows(2)
            .position(|w| (w[1] as usize) > s)
            .unwrap()
    };
    let mut k = compile_psp(&ir, 0, R::DTYPE);
    let of = RowKinds::of(&row_ptr, R::DTYPE);
    assert_eq!(of.uniform, uniform, "{bound:?}: rows of one length");
    let len = row_ptr[1] - row_ptr[0];
    assert_eq!(
        of.places,
        if uniform { len } else { 0 },
        "{bound:?}: places"
    );
    let kinds = RowKinds {
        hoist,
        places: if unroll { of.places } else { 0 },
        ..of
    };
    k.compile_rows(&ir, bound, kinds, None);
    if wide {
        k.native = k.native.and_then(|c| c.pinned_wide());
    }
    let native = k.native.as_ref().expect("native row code for the psp");
    let b = &k.binding;
    assert_eq!(b.post - b.pre, 2, "pre.v and pre.u");
    let values = hostile::<R>();
    let value = |at: usize, a: usize| values[(at * (a + 2) + a) % values.len()];
    let mut w: Vec<R> = (0..n_syn).map(|s| value(s, 0)).collect();
    let pre_vals: Vec<Vec<R>> = (0..2)
        .map(|a| (0..n as usize).map(|j| value(j, a + 3)).collect())
        .collect();
    let post_v: Vec<R> = (0..rows).map(|i| value(i, 5)).collect();
    let mut gathered: Vec<Vec<R>> = pre_vals
        .iter()
        .map(|v| pre.iter().map(|&j| v[j as usize]).collect())
        .collect();
    gathered.push((0..n_syn).map(|s| post_v[row_of(s)]).collect());
    let scalars = [3.0, 0.1, 0.5].map(R::of);
    let mut fast = vec![R::ZERO; n_syn];
    let mut reads: Vec<&[R]> = Vec::new();
    for (a, v) in pre_vals.iter().enumerate() {
        reads.push(if bound == Bound::Each {
            &gathered[a]
        } else {
            v
        });
    }
    reads.push(&post_v);
    let ranks = Ranks::of(pre.clone());
    native.run_rows(
        &mut [&mut fast, &mut w.clone()],
        &reads,
        &ranks,
        &scalars,
        &RowPtr::new(row_ptr.clone()),
        (9, 2, 4, 0),
    );
    let mut slow = vec![R::ZERO; n_syn];
    let mut arrays: Vec<&mut [R]> = vec![&mut w];
    let mut inputs = gathered.clone();
    arrays.extend(inputs.iter_mut().map(|g| g.as_mut_slice()));
    eval_psp(&k, &mut arrays, &scalars, 9, 2, 4, &mut slow);
    for (s, (a, b)) in fast.iter().zip(&slow).enumerate() {
        assert_eq!(
            a.bits(),
            b.bits(),
            "{:?}, {bound:?} of {n}: synapse {s}: {a:?} native, {b:?} interpreted",
            R::DTYPE
        );
    }
    // Folded as computed: each row's sum and mean, `reduce`'s, on the
    // hostile values and on finite ones whose sums round (another order
    // of the additions gives other bits).
    let finite = |count: usize, seed: u64| rounding::<R>(count, seed, usize::MAX);
    let sets = [
        (w.clone(), pre_vals.clone(), post_v.clone()),
        (
            finite(n_syn, 17),
            (0..2).map(|a| finite(n as usize, 11 + a)).collect(),
            finite(rows, 13),
        ),
    ];
    for (fold, op) in [
        (RowFold::Sum, Operation::Sum),
        (RowFold::Mean, Operation::Mean),
    ] {
        let mut kf = compile_psp(&ir, 0, R::DTYPE);
        kf.compile_rows(&ir, bound, kinds, Some(fold));
        assert!(kf.folds, "{bound:?}: folding code");
        let native = kf.native.as_ref().expect("native row code for the psp");
        for (w, pre_vals, post_v) in &sets {
            let mut gathered: Vec<Vec<R>> = pre_vals
                .iter()
                .map(|v: &Vec<R>| pre.iter().map(|&j| v[j as usize]).collect())
                .collect();
            gathered.push((0..n_syn).map(|s| post_v[row_of(s)]).collect());
            let mut reads: Vec<&[R]> = (0..2)
                .map(|a| match bound {
                    Bound::Each => gathered[a].as_slice(),
                    _ => pre_vals[a].as_slice(),
                })
                .collect();
            reads.push(post_v);
            // NaN where nothing is written: every row must be.
            let mut out = vec![R::NAN; rows];
            native.run_rows(
                &mut [&mut out, &mut w.clone()],
                &reads,
                &ranks,
                &scalars,
                &RowPtr::new(row_ptr.clone()),
                (9, 2, 4, 0),
            );
            let mut psp = vec![R::ZERO; n_syn];
            let mut w_in = w.clone();
            let mut arrays: Vec<&mut [R]> = vec![&mut w_in];
            let mut inputs = gathered.clone();
            arrays.extend(inputs.iter_mut().map(|g| g.as_mut_slice()));
            eval_psp(&k, &mut arrays, &scalars, 9, 2, 4, &mut psp);
            let mut expect = vec![R::ZERO; rows];
            reduce(&row_ptr, &psp, op, &mut expect);
            for (i, (a, b)) in out.iter().zip(&expect).enumerate() {
                assert!(
                    same(*a, *b),
                    "{:?}, {bound:?} of {n}, {fold:?}: row {i}: {a:?} folded, {b:?} reduced",
                    R::DTYPE
                );
            }
        }
    }
}

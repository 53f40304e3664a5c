//! Native code against the interpreter, bit for bit, in both precisions.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use crate::engine::cpu::hostile;
use crate::engine::cpu::jit::{Widen, HOIST_MIN};
use crate::engine::cpu::neuron_update::{compile, compile_for, neuron_update, NeuronKernel};
use crate::engine::cpu::vm::VmReal;
use crate::lang::ir::Locality;
use crate::network::model::Neuron;
use crate::network::Network;

/// Runs `steps` steps of `neuron` over every pair of hostile values as
/// its `x` and `y` (the rest of its variables as the model starts
/// them), natively and interpreted, in f32 and in f64; every value and
/// spike must agree bit for bit. Returns whether native code ran (in
/// both precisions: they must not differ there).
fn agree(neuron: &Neuron, globals: &[f64], steps: u32) -> bool {
    let mut scalars = vec![0.0, 0.1];
    scalars.extend_from_slice(globals);
    agree_with(neuron, steps, |_| scalars.clone())
}

/// As [`agree`], with the frame's scalars (t, dt, the population-wide
/// values) of each step given by `frame`.
fn agree_with(neuron: &Neuron, steps: u32, frame: impl Fn(u32) -> Vec<f64>) -> bool {
    let single = agree_in::<f32>(neuron, steps, &frame);
    let double = agree_in::<f64>(neuron, steps, &frame);
    assert_eq!(single, double, "native code in one precision only");
    single
}

/// [`agree_with`] in precision `R`.
fn agree_in<R: VmReal>(neuron: &Neuron, steps: u32, frame: impl Fn(u32) -> Vec<f64>) -> bool {
    let values = hostile::<R>();
    let mut net = Network::new();
    let n = values.len() * values.len();
    net.population("p", n, neuron).unwrap();
    let ir = net.pops[0].ir.clone();
    // Code for a population of a few vectors and for one of many (the
    // table's values loaded once before the loop).
    let small: NeuronKernel = compile(&ir, 0, R::DTYPE);
    let large = compile_for(&ir, 0, R::DTYPE, HOIST_MIN);
    for native in [&small, &large] {
        agree_kernel(native, &ir, &values, steps, &frame);
        // Its other makes too (`engine::cpu::wide`): every product,
        // quotient and root through f64, every other one, and the census
        // (the plain operations, noting the sites that meet subnormals).
        if let Some(code) = &native.native {
            let sites = code.sites();
            let census: Vec<AtomicU8> = (0..sites).map(|_| AtomicU8::new(0)).collect();
            let alternate: Arc<[bool]> = (0..sites).map(|k| k % 2 == 0).collect();
            for widen in [
                Widen::Sites(vec![true; sites].into()),
                Widen::Sites(alternate),
                Widen::Census(census.as_ptr() as usize, sites),
            ] {
                let make = NeuronKernel {
                    native: Some(code.pinned(widen).expect("wide code")),
                    ..native.clone()
                };
                agree_kernel(&make, &ir, &values, steps, &frame);
            }
        }
    }
    small.native.is_some()
}

/// [`agree_in`] of the kernel `native` of `ir`, over every pair of
/// `values`.
fn agree_kernel<R: VmReal>(
    native: &NeuronKernel,
    ir: &crate::lang::ir::NeuronIr,
    values: &[R],
    steps: u32,
    frame: impl Fn(u32) -> Vec<f64>,
) {
    let n = values.len() * values.len();
    let mut interpreted = native.clone();
    interpreted.native = None;
    let mut arrays: Vec<Vec<R>> = Vec::new();
    for v in ir.vars.iter().filter(|v| v.locality == Locality::Local) {
        arrays.push(match v.name.as_str() {
            "x" => (0..n).map(|i| values[i / values.len()]).collect(),
            "y" => (0..n).map(|i| values[i % values.len()]).collect(),
            _ => vec![R::ZERO; n],
        });
    }
    arrays.extend(ir.targets.iter().map(|_| vec![R::ZERO; n]));
    let mut other = arrays.clone();
    for step in 0..steps {
        let scalars: Vec<R> = frame(step).into_iter().map(R::of).collect();
        let (a, b) = step_both(
            (native, &interpreted),
            arrays.iter_mut().map(|a| a.as_mut_slice()).collect(),
            other.iter_mut().map(|a| a.as_mut_slice()).collect(),
            &scalars,
            step,
        );
        assert_eq!(a, b, "spikes at step {step}");
        for (k, (x, y)) in arrays.iter().zip(&other).enumerate() {
            for i in 0..n {
                assert_eq!(
                    x[i].bits(),
                    y[i].bits(),
                    "{:?}: array {k}, element {i} ({:?}, {:?}), step {step}: {:?} native, {:?} interpreted",
                    R::DTYPE,
                    values[i / values.len()],
                    values[i % values.len()],
                    x[i],
                    y[i]
                );
            }
        }
    }
}

/// One step of the first kernel over `arrays` and of the second over
/// `other` (the same neurons, each bound array a slice): the spikes of
/// each.
fn step_both<R: VmReal>(
    (first, second): (&NeuronKernel, &NeuronKernel),
    arrays: Vec<&mut [R]>,
    other: Vec<&mut [R]>,
    scalars: &[R],
    step: u32,
) -> (Vec<u32>, Vec<u32>) {
    let n = arrays.first().map_or(0, |a| a.len());
    let (mut a, mut b) = (Vec::new(), Vec::new());
    neuron_update(first, arrays, scalars, 1, step, 0, n, &mut a);
    neuron_update(second, other, scalars, 1, step, 0, n, &mut b);
    (a, b)
}

/// Native code keeps its scalar slots from run to run while the frame
/// is the same but for t: what reads t, and everything after a
/// parameter or dt changes, must be computed again.
#[test]
fn kept_scalar_slots_follow_time_dt_and_parameters() {
    let neuron = Neuron::rate()
        .parameters("x = 0.0\ny = 0.0\np = 2.0 : population\nq = 3.0 : population")
        .equations(
            "s = sin(t) * q
             u = exp(-dt / p) + s
             r = x * u + y / q + exp(t / 100.0) * p",
        );
    let frame = |step: u32| {
        let t = f64::from(step) * 0.5;
        let dt = if step < 7 { 0.5 } else { 0.25 };
        let p = if step < 3 { 2.0 } else { 4.0 };
        let q = if step < 5 { 3.0 } else { -1.5 };
        vec![t, dt, p, q]
    };
    assert!(agree_with(&neuron, 10, frame), "native code");
}

#[test]
fn native_code_matches_the_interpreter_bit_for_bit() {
    let functions = Neuron::rate()
        .parameters("x = 0.0\ny = 0.0\nz = 0.0\np = 2.0 : population")
        .equations(
            "f1 = exp(x)
             f2 = log(x) + sqrt(y)
             f3 = abs(x) - sin(y)
             f4 = cos(x) * tan(y)
             f5 = tanh(x) + asin(y)
             f6 = acos(x) + atan(y)
             f7 = sinh(x) - cosh(y)
             f8 = pos(x) + neg(y)
             f9 = round(x)
             f10 = floor(x) + ceil(y)
             f11 = sign(x) + sign(y)
             f12 = min(x, y)
             f13 = max(x, y)
             f14 = pow(x, y) + x^2
             f15 = x^3 + x^1
             f16 = modulo(x, y) + fmod(y, x)
             f17 = clip(x, y, p)
             f18 = x / y + x / p + y * p - x
             f19 = if x > y: x else: y
             f20 = if (x < y) and (x != 0.0): 1.0 else: (if x >= y or y <= 0.0: 2.0 else: 3.0)
             f21 = if not (x == y): -x else: exp(y)
             f22 = min(x - 1.0, 0.0) + max(y, 0.0)
             f23 = x % y + x^p
             f24 = (x > y) * 2.0 - (y <= 0.0) + -(x == x)
             f25 = if (x > y) == (y > 0.0): -(x != y) else: (x < p) / y
             r = f1
             r = r + f24",
        );
    assert!(
        agree(&functions, &[2.0], 1),
        "native code for the functions"
    );
    // A tiny divisor: the reciprocal is scaled (`Op::Rescale`).
    assert!(agree(&functions, &[1e-39], 1));

    let spiking = Neuron::spiking()
        .parameters("x = 0.0\ny = 0.0\ntau = 10.0 : population")
        .equations(
            "tau * dv/dt = -v + x * 20.0
             tau * dg/dt = -g + y",
        )
        .spike("v > y")
        .reset("v = -abs(x)\ng += 1.0")
        .refractory(0.3);
    assert!(
        agree(&spiking, &[10.0], 6),
        "native code for a spiking model"
    );

    // Run-time draws: made before the loop where their parameters are
    // uniform, the whole program interpreted where they are not.
    let noisy = Neuron::spiking()
        .parameters("x = 0.0\ny = 0.0\nmu = 0.5 : population")
        .equations(
            "a = x + Uniform(0.0, 1.0)
             b = Normal(mu, 2.0) * y
             c = LogNormal(0.0, 0.5) + Exponential(mu)
             v = a + b + c",
        )
        .spike("Uniform(0.0, 1.0) < 0.3");
    assert!(agree(&noisy, &[0.5], 3), "native code for uniform draws");
    let varying = Neuron::rate()
        .parameters("x = 0.0\ny = 0.0")
        .equations("r = Normal(x, 1.0)");
    assert!(!agree(&varying, &[], 2));
}

/// Binds variable `v` to array `v`, for programs written by hand.
struct Arrays;

impl crate::engine::cpu::vm::Binder for Arrays {
    fn leaf(&self, e: &crate::lang::ir::Expr) -> Option<crate::engine::cpu::vm::Src> {
        match e {
            crate::lang::ir::Expr::Var(v) => Some(crate::engine::cpu::vm::Src::Arr(*v as u16)),
            _ => None,
        }
    }

    fn n_scalars(&self) -> usize {
        0
    }
}

/// A program compiled while code made from it lives is that code again
/// (an engine rebuilt after a structural edit compiles nothing); another
/// program, or another layout of the same one, is compiled anew; and
/// code no engine holds is dropped from the cache at the next insertion.
#[test]
fn code_made_before_is_reused_while_held() {
    use super::{Bound, Native, RowKinds, RowPtr};
    use crate::engine::cpu::vm::Program;
    use crate::lang::ir::{BinOp, Expr};
    use crate::real::Dtype;

    // Array 0 = array 1 * scale.
    let program = |scale: f64| {
        let e = Expr::Binary(
            BinOp::Mul,
            Box::new(Expr::Var(1)),
            Box::new(Expr::Const(scale)),
        );
        let mut p = Program::in_dtype(Dtype::F32);
        p.store(0, &e, None, &Arrays);
        p
    };
    let each = [Bound::Each, Bound::Each];
    let Some(a) = Native::compile_rows(&program(0.5), &each, RowKinds::ALL) else {
        return; // No native code on this host.
    };
    let b = Native::compile_rows(&program(0.5), &each, RowKinds::ALL).unwrap();
    assert!(
        Arc::ptr_eq(&a._code, &b._code),
        "the same program, compiled again"
    );
    let c = Native::compile_rows(&program(0.25), &each, RowKinds::ALL).unwrap();
    assert!(!Arc::ptr_eq(&a._code, &c._code), "another constant");
    let rows = [Bound::Each, Bound::Row];
    let d = Native::compile_rows(&program(0.5), &rows, RowKinds::ALL).unwrap();
    assert!(!Arc::ptr_eq(&a._code, &d._code), "another layout");
    let whole = RowKinds {
        long_tail: false,
        short: false,
        uniform: false,
        places: 0,
        hoist: false,
    };
    let f = Native::compile_rows(&program(0.5), &each, whole).unwrap();
    assert!(!Arc::ptr_eq(&a._code, &f._code), "other kinds of rows");
    // The code made for 0.25 lives while held, then the cache lets it go.
    let weak = Arc::downgrade(&c._code);
    drop(c);
    let _e = Native::compile_rows(&program(0.125), &each, RowKinds::ALL).unwrap();
    assert!(
        weak.upgrade().is_none(),
        "held by the cache alone, and dropped"
    );
    // Reused code computes as code made anew: 3 * 0.5.
    let (mut out, x) = (vec![0.0f32; 5], vec![3.0f32; 5]);
    b.run_rows::<f32>(
        &mut [&mut out, &mut x.clone()],
        &[],
        &super::Ranks::none(),
        &[],
        &RowPtr::new(vec![0, 5]),
        (0, 0, 0, 0),
    );
    assert_eq!(out, vec![1.5; 5]);
}

/// Row code that reads an array at the synapses' pre-synaptic ranks
/// refuses an array shorter than the highest rank (rather than read past
/// it).
#[test]
#[should_panic(expected = "bound array of 5 elements, 8 read")]
fn row_code_refuses_an_array_shorter_than_a_rank() {
    use super::{Bound, Native, Ranks, RowKinds, RowPtr};
    use crate::engine::cpu::vm::Program;
    use crate::lang::ir::Expr;
    use crate::real::Dtype;

    let mut p = Program::in_dtype(Dtype::F32);
    p.store(0, &Expr::Var(1), None, &Arrays);
    let Some(code) = Native::compile_rows(&p, &[Bound::Each, Bound::AtPre], RowKinds::ALL) else {
        panic!("bound array of 5 elements, 8 read (no native code on this host)");
    };
    let ranks = Ranks::of(vec![0, 7]);
    let mut out = vec![0.0f32; 2];
    let short = vec![1.0f32; 5];
    code.run_rows::<f32>(
        &mut [&mut out],
        &[&short],
        &ranks,
        &[],
        &RowPtr::new(vec![0, 2]),
        (0, 0, 0, 0),
    );
}

/// The kinds of rows are told apart by each precision's vector, and code
/// made for some kinds gives the bits of code made for every kind on the
/// rows it was made for.
#[test]
fn row_code_for_the_kinds_of_its_rows() {
    use super::{Bound, Native, Ranks, RowKinds, RowPtr, ACROSS_UNROLL_MAX};
    use crate::engine::cpu::vm::Program;
    use crate::lang::ir::{BinOp, Expr};
    use crate::real::Dtype;

    let kinds = |long_tail, short| RowKinds {
        long_tail,
        short,
        uniform: false,
        places: 0,
        hoist: false,
    };
    // Rows of 4, 0, 8: whole vectors of f32 and f64.
    assert_eq!(
        RowKinds::of(&[0, 4, 4, 12], Dtype::F32),
        kinds(false, false)
    );
    assert_eq!(
        RowKinds::of(&[0, 4, 4, 12], Dtype::F64),
        kinds(false, false)
    );
    // Rows of 6 and 2: f32's first ends partial, its second is short.
    assert_eq!(RowKinds::of(&[0, 6, 8], Dtype::F32), kinds(true, true));
    assert_eq!(RowKinds::of(&[0, 6, 8], Dtype::F64), kinds(false, false));
    // Rows of 3 and 1.
    assert_eq!(RowKinds::of(&[0, 3, 4], Dtype::F32), kinds(false, true));
    assert_eq!(RowKinds::of(&[0, 3, 4], Dtype::F64), kinds(true, true));
    // Rows of one length, and empty ones (not rows of one length: their
    // code would add nothing).
    let three = RowKinds::of(&[0, 3, 6, 9], Dtype::F32);
    assert!(three.uniform && three.short && !three.long_tail);
    assert!(!RowKinds::of(&[0, 0, 0], Dtype::F32).uniform);
    assert!(!RowKinds::of(&[0], Dtype::F32).uniform);
    assert!(three.cover(RowKinds::of(&[2, 5], Dtype::F32)));
    assert!(
        !three.cover(kinds(false, true)),
        "code for rows of one length"
    );
    assert!(kinds(false, true).cover(three));
    // Code that reads rows of three place after place runs no others;
    // rows longer than it unrolls are read in a loop.
    assert_eq!(three.places, 3);
    assert!(!three.cover(RowKinds::of(&[0, 4, 8], Dtype::F32)));
    let long = ACROSS_UNROLL_MAX + 1;
    let longer = RowKinds::of(&[0, long, 2 * long], Dtype::F32);
    assert!(longer.uniform && longer.places == 0);
    assert!(longer.cover(RowKinds::of(&[0, long + 4, 2 * long + 8], Dtype::F32)));
    assert!(RowKinds::ALL.cover(kinds(true, true)));
    assert!(kinds(true, false).cover(kinds(false, false)));
    assert!(!kinds(true, false).cover(kinds(false, true)));
    assert!(!kinds(false, true).cover(kinds(true, false)));

    // Array 0 = array 0 * 0.5 + array 1 (a read-back and a write).
    let e = Expr::Binary(
        BinOp::Add,
        Box::new(Expr::Binary(
            BinOp::Mul,
            Box::new(Expr::Var(0)),
            Box::new(Expr::Const(0.5)),
        )),
        Box::new(Expr::Var(1)),
    );
    let mut p = Program::in_dtype(Dtype::F32);
    p.store(0, &e, None, &Arrays);
    let layout = [Bound::Each, Bound::Column];
    let Some(all) = Native::compile_rows(&p, &layout, RowKinds::ALL) else {
        return; // No native code on this host.
    };
    for rows in [
        vec![0u32, 4, 4, 12],
        vec![0, 6, 13],
        vec![0, 3, 4, 6],
        vec![0, 9, 10, 14],
    ] {
        let own = RowKinds::of(&rows, Dtype::F32);
        let code = Native::compile_rows(&p, &layout, own).unwrap();
        let n = *rows.last().unwrap() as usize;
        let start: Vec<f32> = (0..n).map(|k| k as f32 * 1.25 - 3.0).collect();
        let col: Vec<f32> = (0..n).map(|k| 1.0 / (k as f32 + 1.0)).collect();
        let (mut a, mut b) = (start.clone(), start.clone());
        for (code, out) in [(&all, &mut a), (&code, &mut b)] {
            code.run_rows::<f32>(
                &mut [out],
                &[&col],
                &Ranks::none(),
                &[],
                &RowPtr::new(rows.to_vec()),
                (0, 0, 0, 0),
            );
        }
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&a), bits(&b), "rows {rows:?}, code for {own:?}");
        // And what the rows ask for: x * 0.5 + the column at its place.
        for (r, w) in rows.windows(2).enumerate() {
            for s in w[0]..w[1] {
                let s = s as usize;
                let want = start[s] * 0.5 + col[s - w[0] as usize];
                assert_eq!(a[s].to_bits(), want.to_bits(), "row {r}, synapse {s}");
            }
        }
    }
}

/// Row code made for rows of whole vectors refuses a row that ends in a
/// partial one (rather than leave its last synapses unrun).
#[test]
#[should_panic(expected = "rows of a length the code was not made for")]
fn row_code_refuses_rows_it_was_not_made_for() {
    use super::{Bound, Native, Ranks, RowKinds, RowPtr};
    use crate::engine::cpu::vm::Program;
    use crate::lang::ir::Expr;
    use crate::real::Dtype;

    let mut p = Program::in_dtype(Dtype::F32);
    p.store(0, &Expr::Var(1), None, &Arrays);
    let whole = RowKinds {
        long_tail: false,
        short: false,
        uniform: false,
        places: 0,
        hoist: false,
    };
    let Some(code) = Native::compile_rows(&p, &[Bound::Each, Bound::Each], whole) else {
        panic!("rows of a length the code was not made for (no native code on this host)");
    };
    let (mut out, x) = (vec![0.0f32; 6], vec![1.0f32; 6]);
    code.run_rows::<f32>(
        &mut [&mut out, &mut x.clone()],
        &[],
        &Ranks::none(),
        &[],
        &RowPtr::new(vec![0, 6]),
        (0, 0, 0, 0),
    );
}

/// A neuron too large for the backtracking register allocator's time (a
/// block of 600 coupled midpoint ODEs, every new value live until the
/// stores at the end: past `SINGLE_PASS_OPS`) is compiled with the
/// single-pass one, and its native code keeps the interpreter's bits.
#[test]
fn a_neuron_past_the_single_pass_size_keeps_the_interpreters_bits() {
    use super::shared::SINGLE_PASS_OPS;
    const N: usize = 600;
    let mut text = String::from("dv0/dt = x * v0 - y : midpoint\n");
    for i in 1..N {
        text.push_str(&format!(
            "dv{i}/dt = v{} * y - v{i} + x : midpoint\n",
            i - 1
        ));
    }
    text.push_str(&format!("r = v{} + v0", N - 1));
    let neuron = Neuron::rate()
        .parameters("x = 0.0\ny = 0.0")
        .equations(&text);
    let mut net = Network::new();
    net.population("p", 1, &neuron).unwrap();
    let ir = net.pops[0].ir.clone();
    let ops = compile(&ir, 0, crate::real::Dtype::F32).prog.ops.len();
    assert!(
        ops >= SINGLE_PASS_OPS,
        "{ops} operations: not past the size"
    );
    // Every precision, over every pair of hostile values (no native code
    // on a host without Cranelift: nothing to compare).
    agree(&neuron, &[], 2);
}

/// Populations of 1 to 9 neurons (every partial last vector of both
/// precisions, alone and after whole ones), of a spiking model with a
/// run-time draw, a reset that stores again what the equations stored,
/// and more bound arrays than the copies kept on the stack: the last
/// vector's copies give the interpreter's bits and spikes, written back
/// only to the population's own elements.
#[test]
fn partial_last_vectors_keep_the_interpreters_bits() {
    fn run<R: VmReal>(n: usize, hoisted: bool) -> bool {
        let mut text = String::from("tau * dv/dt = -v + x + Uniform(0.0, 1.0)\n");
        for i in 0..18 {
            text.push_str(&format!("a{i} = v * {i}.5 - a{i} * y\n"));
        }
        let neuron = Neuron::spiking()
            .parameters("x = 0.0\ny = 0.0\ntau = 5.0 : population")
            .equations(&text)
            .spike("v > 0.3")
            .reset("v = -a3");
        let mut net = Network::new();
        net.population("p", n, &neuron).unwrap();
        let ir = net.pops[0].ir.clone();
        // Code made for many neurons too (the table's values loaded once
        // before the loop) runs a last vector as any.
        let native: NeuronKernel = match hoisted {
            true => compile_for(&ir, 0, R::DTYPE, HOIST_MIN),
            false => compile(&ir, 0, R::DTYPE),
        };
        let mut interpreted = native.clone();
        interpreted.native = None;
        let mut arrays: Vec<Vec<R>> = Vec::new();
        for (k, _) in ir
            .vars
            .iter()
            .filter(|v| v.locality == Locality::Local)
            .enumerate()
        {
            arrays.push(
                (0..n)
                    .map(|i| R::of(0.37 * (k + 2 * i) as f64 - 0.9))
                    .collect(),
            );
        }
        arrays.extend(ir.targets.iter().map(|_| vec![R::ZERO; n]));
        assert!(arrays.len() > 16, "past the copies kept on the stack");
        // One element more than the population, which no run may touch.
        let mut native_arrays: Vec<Vec<R>> = arrays
            .iter()
            .map(|a| a.iter().copied().chain([R::of(7.25)]).collect())
            .collect();
        let mut other = arrays;
        for step in 0..5 {
            let scalars = [R::of(f64::from(step) * 0.5), R::of(0.5), R::of(5.0)];
            let (a, b) = step_both(
                (&native, &interpreted),
                native_arrays.iter_mut().map(|a| &mut a[..n]).collect(),
                other.iter_mut().map(|a| a.as_mut_slice()).collect(),
                &scalars,
                step,
            );
            assert_eq!(a, b, "{:?}, {n} neurons: spikes at step {step}", R::DTYPE);
            for (k, (x, y)) in native_arrays.iter().zip(&other).enumerate() {
                let bits = |v: &[R]| v.iter().map(|e| e.bits()).collect::<Vec<_>>();
                assert_eq!(
                    bits(&x[..n]),
                    bits(y),
                    "{:?}, {n} neurons: array {k}, step {step}",
                    R::DTYPE
                );
                assert_eq!(x[n].bits(), R::of(7.25).bits(), "past the population");
            }
        }
        native.native.is_some()
    }
    for n in 1..=9 {
        for hoisted in [false, true] {
            let single = run::<f32>(n, hoisted);
            assert_eq!(
                single,
                run::<f64>(n, hoisted),
                "native code in one precision only"
            );
        }
    }
}

/// Code over elements multiplies by no tiny divisor's scale: it declines
/// to run (touching nothing) where one is not 1 (a divisor below 2^-75,
/// or 0), the interpreter then giving `neuron_update`'s result, and runs
/// where all are 1. It fails when the code runs with a scale left out.
#[test]
fn code_declines_where_a_divisor_is_tiny() {
    let neuron = Neuron::rate()
        .parameters("x = 0.0\np = 2.0 : population")
        .equations("r = x / p + 1.0");
    let mut net = Network::new();
    net.population("p", 6, &neuron).unwrap();
    let ir = net.pops[0].ir.clone();
    let kernel = compile(&ir, 0, crate::real::Dtype::F32);
    let native = kernel.native.as_ref().expect("native code");
    assert!(!native.scales.is_empty(), "x / p scales its quotient");
    let x: Vec<f32> = (0..8).map(|i| i as f32 * 0.5 - 1.0).collect();
    for (p, runs) in [
        (2.0f32, true),
        (1e-39, false),
        (-3e-30, false),
        (0.0, false),
        (-1e30, true),
    ] {
        let mut arrays: Vec<Vec<f32>> = vec![x.clone(), vec![7.0; 8]];
        let before = arrays.clone();
        let mut slices: Vec<&mut [f32]> = arrays.iter_mut().map(|a| a.as_mut_slice()).collect();
        let ran = native.run(
            &mut slices,
            &[0.0, 0.1, p],
            8,
            (1, 0, 0, 0),
            &mut Vec::new(),
        );
        assert_eq!(ran, runs, "p = {p}");
        if !runs {
            assert_eq!(arrays, before, "p = {p}: declined, nothing written");
        }
        // Through `neuron_update`, native or not, the interpreter's bits.
        let mut interpreted = kernel.clone();
        interpreted.native = None;
        let (mut a, mut b) = (before.clone(), before.clone());
        step_both(
            (&kernel, &interpreted),
            a.iter_mut().map(|v| v.as_mut_slice()).collect(),
            b.iter_mut().map(|v| v.as_mut_slice()).collect(),
            &[0.0, 0.1, p],
            0,
        );
        let bits =
            |v: &[Vec<f32>]| -> Vec<u32> { v.iter().flatten().map(|x| x.to_bits()).collect() };
        assert_eq!(bits(&a), bits(&b), "p = {p}");
    }
}

/// Folding code over rows of one length reads their places one after
/// the other while its program is short (a block of a vector's places
/// loaded a row at a time and transposed, the places past the last
/// block lane by lane), and in a loop where a copy a place would pass
/// `ACROSS_UNROLL_OPS` operations: the same sums, each row's additions
/// in its synapses' order, in both precisions.
#[test]
fn long_programs_fold_rows_of_one_length_in_a_loop() {
    fn run<R: VmReal>(dtype: crate::real::Dtype) {
        use super::{Bound, Native, Ranks, RowFold, RowKinds, RowPtr};
        use crate::engine::cpu::vm::Program;
        use crate::lang::ir::{BinOp, Expr};

        // Thirty places: seven blocks of four (fifteen of two), two
        // places past them (none); five rows, so that a group's lanes
        // past the last row repeat it.
        let rows: Vec<u32> = (0..=5).map(|r| r * 30).collect();
        let x: Vec<R> = (0..150)
            .map(|k| R::of((k as f64 * 0.37).sin() * 1e3))
            .collect();
        for (terms, unrolled) in [(1usize, true), (60, false)] {
            // x + x + ... (`terms` of them), added left to right.
            let mut e = Expr::Var(1);
            for _ in 1..terms {
                e = Expr::Binary(BinOp::Add, Box::new(e), Box::new(Expr::Var(1)));
            }
            let mut p = Program::in_dtype(dtype);
            p.store(0, &e, None, &Arrays);
            let kinds = RowKinds::of(&rows, dtype);
            assert_eq!(kinds.places, 30);
            let layout = [Bound::Row, Bound::Each];
            let Some(code) = Native::compile_row_folds(&p, &layout, kinds, RowFold::Sum) else {
                return; // No native code on this host.
            };
            let places = code.rows.as_ref().map(|r| r.1.places);
            assert_eq!(places, Some(if unrolled { 30 } else { 0 }), "{terms} terms");
            let mut out = vec![R::ZERO; 5];
            code.run_rows::<R>(
                &mut [&mut out],
                &[&x],
                &Ranks::none(),
                &[],
                &RowPtr::new(rows.clone()),
                (0, 0, 0, 0),
            );
            for (r, w) in rows.windows(2).enumerate() {
                let mut sum = R::of(-0.0);
                for &xs in &x[w[0] as usize..w[1] as usize] {
                    let mut v = xs;
                    for _ in 1..terms {
                        v += xs;
                    }
                    sum += v;
                }
                assert_eq!(
                    out[r].bits(),
                    sum.bits(),
                    "{dtype:?}, {terms} terms, row {r}"
                );
            }
        }
    }
    run::<f32>(crate::real::Dtype::F32);
    run::<f64>(crate::real::Dtype::F64);
}

/// The f32 kernel of `neuron` for a population of `n`, and its native
/// code where it is made here. Each test gives a program of its own: no
/// other test shares its code, and the code's state, through the cache of
/// code made.
fn f32_code(neuron: &Neuron, n: usize) -> Option<(NeuronKernel, super::Native)> {
    let mut net = Network::new();
    net.population("p", n, neuron).unwrap();
    let ir = net.pops[0].ir.clone();
    let kernel = compile_for(&ir, 0, crate::real::Dtype::F32, n);
    let native = kernel.native.clone()?;
    Some((kernel, native))
}

/// Whether two lists of arrays hold the same bits.
fn same_bits(a: &[Vec<f32>], b: &[Vec<f32>]) -> bool {
    a.iter()
        .flatten()
        .zip(b.iter().flatten())
        .all(|(p, q)| p.to_bits() == q.to_bits())
}

/// Code that meets subnormals is contested (a census, then its wide make
/// timed against the plain one) where the host computes on them slowly,
/// and goes back to its plain code, untimed, once it meets none; whichever
/// runs, every value is the interpreter's.
#[test]
fn code_meeting_subnormals_is_timed_against_its_wide_make() {
    let neuron = Neuron::rate()
        .parameters("x = 0.0")
        .equations("r = x * 0.75 + x / 3.0");
    let Some((kernel, native)) = f32_code(&neuron, 64) else {
        return;
    };
    let mut interpreted = kernel.clone();
    interpreted.native = None;
    let run = |x: f32, calls: usize| {
        for step in 0..calls {
            let mut a = [vec![x; 64], vec![0.0f32; 64]];
            let mut b = a.clone();
            let (ra, rb): (Vec<&mut [f32]>, Vec<&mut [f32]>) = (
                a.iter_mut().map(|v| v.as_mut_slice()).collect(),
                b.iter_mut().map(|v| v.as_mut_slice()).collect(),
            );
            step_both((&kernel, &interpreted), ra, rb, &[0.0, 0.1], step as u32);
            assert!(
                same_bits(&a, &b),
                "{x:e}: native code gave other bits than the interpreter's"
            );
        }
    };
    let watched = crate::engine::cpu::wide::watched_here();
    // Subnormal x: met within WATCH_EVERY calls, then timed (both makes
    // run, the quicker chosen) while they are met.
    run(1e-40, 2 * crate::engine::cpu::wide::WATCH_EVERY as usize);
    assert_eq!(native.is_contested(), watched, "subnormals met");
    // Normal values: back to the plain code.
    run(1.5, 4 * crate::engine::cpu::wide::CLEAN_CALLS as usize);
    assert!(!native.is_contested(), "back to the plain code");
}

/// The census make notes the sites (products, quotients, roots) whose
/// operands or result are subnormal in some lane, and no other.
#[test]
fn the_census_notes_the_sites_that_meet_subnormals() {
    let neuron = Neuron::rate()
        .parameters("x = 0.0\ny = 0.0")
        .equations("r = x * 0.75 + y * 2.0 + (y + 1.0) * 1e-39");
    let Some((kernel, code)) = f32_code(&neuron, 8) else {
        return;
    };
    let sites = code.sites();
    assert_eq!(sites, 3, "three products");
    let census: Vec<AtomicU8> = (0..sites).map(|_| AtomicU8::new(0)).collect();
    let make = code
        .pinned(Widen::Census(census.as_ptr() as usize, sites))
        .expect("census code");
    let counted = NeuronKernel {
        native: Some(make),
        ..kernel.clone()
    };
    // x subnormal in one neuron, y normal; the third product's result
    // is subnormal.
    let mut x = vec![0.5f32; 8];
    x[5] = 1e-40;
    let mut arrays = [x, vec![3.0f32; 8], vec![0.0f32; 8]];
    let mut other = arrays.clone();
    step_both(
        (&counted, &kernel),
        arrays.iter_mut().map(|v| v.as_mut_slice()).collect(),
        other.iter_mut().map(|v| v.as_mut_slice()).collect(),
        &[0.0, 0.1],
        0,
    );
    assert!(
        same_bits(&arrays, &other),
        "the census make computes the plain code's bits"
    );
    let seen: Vec<u8> = census.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    assert_eq!(seen, [1, 0, 1], "the sites that met subnormals");
}

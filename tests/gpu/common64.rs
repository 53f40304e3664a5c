//! `shaders/common64.wgsl` (the f64 network's shared functions) against
//! their Rust twins: `impl Real for f64` (src/real/mod.rs), the trait's
//! default methods and `engine::cpu::vm::random_value::<f64>`.
//!
//! The naga check always runs. On a Vulkan adapter with f64 and 64-bit
//! integers (Mesa's lavapipe has both), every function runs over random
//! bit patterns, special values and model-like ranges and must give the
//! Rust twin's bits (a NaN only needs to be a NaN: a GPU's payload is its
//! own).

use crate::common::tests;
use cajal::engine::cpu::vm::random_value;
use cajal::lang::ir::{BinOp, Func, RandomKind};
use cajal::random::philox::{draw, word_run};
use cajal::real::Real;

tests! {
    cpu: [
        common64_wgsl_validates_with_naga,
        abstract_literals_convert_in_f64_contexts,
    ],
    gpu: [
        unary_functions_are_bit_identical,
        binary_functions_are_bit_identical,
        uniforms_and_normal_are_bit_identical,
        random_draws_are_bit_identical,
    ],
}

const PHILOX: &str = include_str!("../../shaders/philox.wgsl");
const MATH64: &str = include_str!("../../shaders/math64.wgsl");
const COMMON64: &str = include_str!("../../shaders/common64.wgsl");
const CLOCK: &str = include_str!("../../shaders/clock.wgsl");

// ---------------------------------------------------------------- naga

/// What every kernel of an f64 network starts with.
fn source() -> String {
    format!(
        "{PHILOX}\n{MATH64}\n{COMMON64}\n{}",
        CLOCK.replace("CJ_CONST_VEC4S", "1u")
    )
}

fn validate(src: &str, caps: naga::valid::Capabilities) -> Result<naga::Module, String> {
    let module = naga::front::wgsl::parse_str(src).map_err(|e| e.emit_to_string(src))?;
    naga::valid::Validator::new(naga::valid::ValidationFlags::all(), caps)
        .validate(&module)
        .map_err(|e| e.emit_to_string(src))?;
    Ok(module)
}

/// The capabilities f64 kernels need: FLOAT64 (wgpu's SHADER_F64) and
/// SHADER_INT64 (the bit casts).
fn f64_caps() -> naga::valid::Capabilities {
    naga::valid::Capabilities::FLOAT64 | naga::valid::Capabilities::SHADER_INT64
}

fn common64_wgsl_validates_with_naga() {
    let src = source();
    let module = validate(&src, f64_caps()).unwrap_or_else(|e| panic!("{e}"));
    let globals: Vec<_> = module
        .global_variables
        .iter()
        .map(|(_, g)| g.name.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        globals,
        ["clk"],
        "common64.wgsl must not declare bindings or globals (the clock's is clk)"
    );
    assert!(
        module.entry_points.is_empty(),
        "common64.wgsl must not declare entry points"
    );
    // The generated code calls common.wgsl's names: the same here.
    for name in [
        "cj_keep",
        "cj_div",
        "cj_exp",
        "cj_ln",
        "cj_log",
        "cj_sin",
        "cj_cos",
        "cj_pow",
        "cj_round",
        "cj_sign",
        "cj_mod",
        "cj_b",
        "cj_times_2_64",
        "cj_u01",
        "cj_u01_open",
        "cj_normal",
        "cj_uniform",
        "cj_below",
        "cj_normal_draw",
        "cj_lognormal_draw",
        "cj_exponential_draw",
        "cj_nan",
        "cj_inf",
    ] {
        let f = module
            .functions
            .iter()
            .find(|(_, f)| f.name.as_deref() == Some(name))
            .unwrap_or_else(|| panic!("missing {name}"));
        // Every value in and out is f64 (or u32, bool, the words).
        let is = |h: naga::Handle<naga::Type>, s: naga::Scalar| {
            module.types[h].inner == naga::TypeInner::Scalar(s)
        };
        if let Some(r) = &f.1.result {
            assert!(is(r.ty, naga::Scalar::F64), "{name} must return f64");
        }
        for a in &f.1.arguments {
            assert!(!is(a.ty, naga::Scalar::F32), "{name} takes an f32 argument");
        }
    }
    // `alias real = f64;` first after the header comment.
    let first = COMMON64
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("//"));
    assert_eq!(first, Some("alias real = f64;"));
    // The constants are the exact values the CPU uses, whatever the
    // literal's decimal digits.
    for (name, want) in [
        ("CJ_TAU", std::f64::consts::TAU),
        ("CJ_INV_2_32", 1.0 / 4_294_967_296.0),
        ("CJ_TWO_64", <f64 as Real>::TWO_64),
    ] {
        let c = module
            .constants
            .iter()
            .find(|(_, c)| c.name.as_deref() == Some(name))
            .unwrap_or_else(|| panic!("missing {name}"))
            .1;
        match module.global_expressions[c.init] {
            naga::Expression::Literal(naga::Literal::F64(v)) => {
                assert_eq!(v.to_bits(), want.to_bits(), "{name}")
            }
            ref e => panic!("{name} is {e:?}"),
        }
    }
    assert!(
        validate(&src, naga::valid::Capabilities::SHADER_INT64).is_err(),
        "f64 without FLOAT64"
    );
}

/// What the code generator may write in an f64 kernel: an abstract float
/// literal (`1.0`, `2`, no suffix) takes f64 wherever the context is f64
/// (an operand beside an f64, an argument, a return value, a typed `let`,
/// a constant expression of literals alone), but a run-time expression of
/// literals alone (`select(0.0, 1.0, c)`) is f32, as WGSL concretizes it,
/// and so is a `let` of a bare literal: such literals need `lf` or
/// `real(...)`.
fn abstract_literals_convert_in_f64_contexts() {
    let ok = |body: &str| {
        let src = format!(
            "{}\nfn t_f(x: real, y: real) -> real {{ {body} }}",
            source()
        );
        validate(&src, f64_caps()).map(|_| ())
    };
    let mut wrong = Vec::new();
    for body in [
        "return x * 2.0 + 1.0;",
        "return cj_keep(x + 0.5);",
        "let a: real = 1.0; return a - x;",
        "return select(0.0, x, x > 0.5);",
        "return select(0.0lf, 1.0lf, x > 0.5);",
        "return select(real(0.0), real(1), x > 0.5);",
        "return max(x, 0.0) + min(y, -1.5) + clamp(x, 0.0, 1.0);",
        "return cj_pow(x, 2.0) + cj_div(1.0, y) + cj_uniform(vec2<u32>(1u, 2u), 0u, 0u, 0u, 0.0, 1.0);",
        "return -3.0;",
        "return 1.5 * 2.0;",
        "return 1e300 * x;",
        "return real(2u) * x + real(-1);",
        "var v = array<real, 2>(1.0, 2.0); v[0] = 3.0; return v[1] * x;",
    ] {
        if let Err(e) = ok(body) {
            wrong.push(format!("{body} should validate: {e}"));
        }
    }
    for body in [
        "let c = 0.5; return x * c;",
        "return select(0.0, 1.0, x > 0.5);",
    ] {
        if ok(body).is_ok() {
            wrong.push(format!("{body} should not validate (f32)"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

// ---------------------------------------------------------------- inputs

// math64.rs's inputs: its generator, its neighbours and hostile values
// (and a few more of this file's).
use crate::math64::{around, Mix};

/// math64.rs's hostile values, and powers of two where rounding to a
/// whole number and remainders change behaviour.
fn hostile() -> Vec<f64> {
    let mut v = crate::math64::hostile();
    v.extend([
        f64::from_bits(0x000f_ffff_ffff_ffff),
        -f64::NAN,
        2f64.powi(52),
        -2f64.powi(52),
        2f64.powi(53),
        2f64.powi(63),
    ]);
    v.extend(around(0.5, 3));
    v.extend(around(-0.5, 3));
    v
}

/// The unary inputs: the hostile values, random bit patterns, and the
/// ranges a model's values live in.
fn unary_inputs(seed: u64) -> Vec<f64> {
    let mut rng = Mix(seed);
    let mut v = hostile();
    v.extend((0..5_000).map(|_| rng.bits()));
    v.extend((0..5_000).map(|_| rng.log_uniform(-60, 60)));
    v.extend((0..5_000).map(|_| rng.uniform(-100.0, 100.0)));
    v.extend((0..2_000).map(|_| rng.uniform(-1.0, 1.0)));
    v.extend((0..1_000).map(|_| f64::from_bits(rng.next() & 0x800f_ffff_ffff_ffff)));
    v
}

// ---------------------------------------------------------------- GPU

// The f64 device of math64.rs (the same adapter and features).
use crate::math64::{gpu, Gpu};

impl Gpu {
    /// Runs `body` once per item `i < n` in a kernel made of philox.wgsl,
    /// math64.wgsl, common64.wgsl and the clock plus an entry point; item
    /// `i` reads `input[i * in_stride + k]` as `inp(k)` (and two words from
    /// `k` on, low first, as the f64 `inf64(k)`) and writes `out_stride`
    /// f64 values through `put(k, value)`.
    fn run_items(
        &self,
        body: &str,
        n: usize,
        in_stride: usize,
        out_stride: usize,
        input: &[u32],
    ) -> Vec<f64> {
        let kernel = crate::wgsl_common::TestKernel {
            label: "common64 test",
            prelude: format!("{PHILOX}\n{MATH64}\n{COMMON64}"),
            out: "f64",
            helpers: "fn inf64(k: u32) -> f64 { return bitcast<f64>(u64(inp(k)) | (u64(inp(k + 1u)) << 32u)); }",
        };
        let out = kernel.run(
            (&self.device, &self.queue),
            body,
            (n, in_stride, out_stride),
            input,
        );
        bytemuck::pod_collect_to_vec::<u8, f64>(&out)
    }

    /// f64 -> f64 through `expr`, written in terms of `x` (and `y`).
    fn map(&self, expr: &str, args: &[&[f64]]) -> Vec<f64> {
        let n = args[0].len();
        let k = args.len();
        let mut input = Vec::with_capacity(n * k * 2);
        for i in 0..n {
            for a in args {
                a[i].put_words(&mut input);
            }
        }
        let lets: String = ["x", "y"][..k]
            .iter()
            .enumerate()
            .map(|(j, name)| format!("let {name} = inf64({}u); ", 2 * j))
            .collect();
        self.run_items(&format!("{lets} put(0u, {expr});"), n, 2 * k, 1, &input)
    }
}

/// The same bits, or both NaN.
fn same(g: f64, c: f64) -> bool {
    g.to_bits() == c.to_bits() || (g.is_nan() && c.is_nan())
}

/// Collects the differences of `got` from `want` (inputs described by
/// `what`) into `bad`; returns how many were compared.
fn compare(
    name: &str,
    got: &[f64],
    want: &[f64],
    what: impl Fn(usize) -> String,
    bad: &mut Vec<String>,
) -> usize {
    assert_eq!(got.len(), want.len(), "{name}");
    for (k, (&g, &w)) in got.iter().zip(want).enumerate() {
        if !same(g, w) {
            bad.push(format!(
                "{name}({}): gpu {g:e} ({:#x}), cpu {w:e} ({:#x})",
                what(k),
                g.to_bits(),
                w.to_bits()
            ));
        }
    }
    want.len()
}

fn report(what: &str, n: usize, bad: Vec<String>) {
    eprintln!(
        "common64: {what}: {n} results compared, {} differ",
        bad.len()
    );
    let k = bad.len();
    assert!(
        bad.is_empty(),
        "{k} GPU results differ from the Rust twins:\n{}",
        bad.into_iter().take(40).collect::<Vec<_>>().join("\n")
    );
}

fn describe(x: f64) -> String {
    format!("{x:e} [{:#x}]", x.to_bits())
}

// ---------------------------------------------------------------- tests

type F1 = fn(f64) -> f64;

fn unary_functions_are_bit_identical() {
    let gpu = gpu();
    let mut round_in = unary_inputs(11);
    // Halves, their neighbours, and the edges of the whole range.
    let mut rng = Mix(12);
    for k in -40..=40 {
        round_in.extend(around(f64::from(k) + 0.5, 2));
    }
    round_in.extend([
        0.49999999999999994,
        -0.49999999999999994,
        4503599627370495.5,
    ]);
    round_in.extend(around(2f64.powi(52), 3));
    round_in.extend(around(-2f64.powi(52), 3));
    round_in.extend(around(2f64.powi(51), 3));
    round_in.extend((0..5_000).map(|_| (rng.uniform(-1e6, 1e6) * 2.0).round() / 2.0));
    round_in.extend((0..5_000).map(|_| rng.log_uniform(-3, 60)));
    let mut tiny = unary_inputs(13);
    tiny.extend((0..5_000).map(|_| f64::from_bits(rng.next() & 0x800f_ffff_ffff_ffff)));
    tiny.extend((0..5_000).map(|_| rng.log_uniform(-1022, -900)));
    let two_64 = |y: f64| y * <f64 as Real>::TWO_64;
    let exp_in: Vec<f64> = unary_inputs(14)
        .into_iter()
        .chain((0..5_000).map(|_| rng.uniform(-750.0, 750.0)))
        .collect();
    let mut ln_in = unary_inputs(15);
    ln_in.extend((0..5_000).map(|_| rng.log_uniform(-1074, 1023).abs()));
    ln_in.extend((0..5_000).map(|_| 1.0 + rng.uniform(-1e-6, 1e-6)));
    let trig_in: Vec<f64> = unary_inputs(16)
        .into_iter()
        .chain((0..5_000).map(|_| rng.uniform(-2e6, 2e6)))
        .chain([1e22, -1e22, 5.319_372_648_326_541e255])
        .collect();
    let cases: [(&str, F1, Vec<f64>); 10] = [
        ("cj_exp(x)", <f64 as Real>::exp, exp_in),
        ("cj_ln(x)", <f64 as Real>::ln_normal, ln_in.clone()),
        ("cj_log(x)", <f64 as Real>::ln, ln_in),
        ("cj_sin(x)", <f64 as Real>::sin, trig_in.clone()),
        ("cj_cos(x)", <f64 as Real>::cos, trig_in),
        (
            "cj_round(x)",
            |x| <f64 as Real>::apply(Func::Round, x, 0.0, 0.0),
            round_in,
        ),
        (
            "cj_sign(x)",
            |x| <f64 as Real>::apply(Func::Sign, x, 0.0, 0.0),
            unary_inputs(17),
        ),
        ("cj_times_2_64(x)", two_64, tiny),
        ("cj_keep(x)", |x| x, unary_inputs(18)),
        (
            "cj_keep(x + cj_nan()) + cj_keep(cj_inf() * 0.0) + cj_keep(cj_inf() + x)",
            |x| (x + f64::NAN) + (f64::INFINITY * 0.0) + (f64::INFINITY + x),
            vec![0.0, 1.0, f64::INFINITY],
        ),
    ];
    let (mut n, mut bad) = (0, Vec::new());
    for (expr, f, inputs) in &cases {
        let got = gpu.map(expr, &[inputs]);
        let want: Vec<f64> = inputs.iter().map(|&x| f(x)).collect();
        n += compare(expr, &got, &want, |k| describe(inputs[k]), &mut bad);
    }
    // cj_inf alone, and cj_nan a NaN.
    let got = gpu.map("select(cj_inf(), cj_nan(), x > 0.0)", &[&[0.0, 1.0]]);
    n += compare(
        "cj_inf/cj_nan",
        &got,
        &[f64::INFINITY, f64::NAN],
        |k| k.to_string(),
        &mut bad,
    );
    report("unary functions", n, bad);
}

fn binary_functions_are_bit_identical() {
    let gpu = gpu();
    let mut rng = Mix(21);
    let h = hostile();
    // Every pair of hostile values, random bit patterns, model-like
    // operands.
    let mut pairs: Vec<(f64, f64)> = h
        .iter()
        .flat_map(|&x| h.iter().map(move |&y| (x, y)))
        .collect();
    pairs.extend((0..5_000).map(|_| (rng.bits(), rng.bits())));
    pairs.extend((0..5_000).map(|_| (rng.log_uniform(-40, 40), rng.log_uniform(-40, 40))));
    pairs.extend((0..5_000).map(|_| (rng.uniform(-100.0, 100.0), rng.uniform(-10.0, 10.0))));
    let mut mod_pairs = pairs.clone();
    // t % period, multiples, subnormals, a huge gap between the binades.
    mod_pairs.extend((0..5_000).map(|_| (rng.uniform(0.0, 1e5), rng.uniform(0.1, 1000.0))));
    mod_pairs.extend((0..2_000).map(|_| {
        let b = rng.uniform(0.01, 10.0);
        (b * (rng.next() % 1000) as f64, b)
    }));
    mod_pairs.extend((0..2_000).map(|_| {
        let s = 0x800f_ffff_ffff_ffff;
        (
            f64::from_bits(rng.next() & s),
            f64::from_bits(rng.next() & s),
        )
    }));
    mod_pairs
        .extend((0..2_000).map(|_| (rng.log_uniform(-1074, 1023), rng.log_uniform(-1074, 1023))));
    mod_pairs.extend([
        (1e308, 1e-308),
        (f64::MAX, f64::from_bits(1)),
        (-f64::MAX, 3.0),
    ]);
    let mut pow_pairs = pairs.clone();
    for _ in 0..5_000 {
        pow_pairs.push((rng.uniform(-40.0, 40.0), (rng.next() % 40) as f64 - 20.0));
        pow_pairs.push((rng.uniform(0.0, 100.0), rng.uniform(-4.0, 4.0)));
    }
    for y in [0.5, 1.5, 2.0, 3.0, 16.0, 17.0, -1.0, -2.0] {
        pow_pairs.extend((0..200).map(|_| (rng.uniform(-80.0, 80.0), y)));
    }
    let below_in: Vec<(f64, f64)> = unary_inputs(22).into_iter().map(|b| (b, 0.0)).collect();
    let binop = |op: BinOp| move |(a, b): (f64, f64)| <f64 as Real>::binop(op, a, b);
    type F2 = Box<dyn Fn((f64, f64)) -> f64>;
    type Case<'a> = (&'a str, F2, &'a [(f64, f64)]);
    let cases: Vec<Case> = vec![
        ("cj_mod(x, y)", Box::new(binop(BinOp::Rem)), &mod_pairs),
        (
            "cj_mod(x, y)",
            Box::new(|(a, b)| <f64 as Real>::apply(Func::Modulo, a, b, 0.0)),
            &pairs,
        ),
        ("cj_pow(x, y)", Box::new(binop(BinOp::Pow)), &pow_pairs),
        ("cj_div(x, y)", Box::new(binop(BinOp::Div)), &pairs),
        (
            "cj_keep(x * y) + cj_keep(x - y)",
            Box::new(|(a, b)| a * b + (a - b)),
            &pairs,
        ),
        ("cj_b(x < y)", Box::new(binop(BinOp::Lt)), &pairs),
        ("cj_b(x >= y)", Box::new(binop(BinOp::Ge)), &pairs),
        ("cj_b(x == y)", Box::new(binop(BinOp::Eq)), &pairs),
        // Not `x != y`: naga emits OpFOrdNotEqual for it, false where an
        // operand is NaN (lavapipe), whereas the CPU's `!=` is true there.
        ("cj_b(!(x == y))", Box::new(binop(BinOp::Ne)), &pairs),
        (
            "cj_below(x)",
            Box::new(|(b, _)| <f64 as Real>::below(b)),
            &below_in,
        ),
    ];
    let (mut n, mut bad) = (0, Vec::new());
    for (expr, f, inputs) in &cases {
        let xs: Vec<f64> = inputs.iter().map(|p| p.0).collect();
        let ys: Vec<f64> = inputs.iter().map(|p| p.1).collect();
        let got = gpu.map(expr, &[&xs, &ys]);
        let want: Vec<f64> = inputs.iter().map(|&p| f(p)).collect();
        n += compare(
            expr,
            &got,
            &want,
            |k| format!("{}, {}", describe(xs[k]), describe(ys[k])),
            &mut bad,
        );
    }
    assert_eq!(<f64 as Real>::below(0.0), -f64::MIN_POSITIVE);
    report("binary functions", n, bad);
}

fn uniforms_and_normal_are_bit_identical() {
    let gpu = gpu();
    let mut rng = Mix(31);
    let mut words: Vec<[u32; 2]> = (0..20_000).map(|_| [rng.u32(), rng.u32()]).collect();
    // u near 1 (r near 0) and near 0 (the largest r), and the extremes:
    // u01_open = 2^-32 and 1 (r = -0.0), theta 0 and just under 2 pi.
    for _ in 0..2_000 {
        words.push([0xFFFF_0000 | (rng.u32() >> 16), rng.u32()]);
        words.push([rng.u32() >> 12, rng.u32()]);
    }
    for b0 in [
        0,
        1,
        0xFF,
        0x100,
        0x8000_0000,
        0xFFFF_FF00,
        u32::MAX - 1,
        u32::MAX,
    ] {
        for b1 in [0, 1, 0x4000_0000, 0x8000_0000, 0xC000_0000, u32::MAX] {
            words.push([b0, b1]);
        }
    }
    let input: Vec<u32> = words.iter().flatten().copied().collect();
    let got = gpu.run_items(
        "put(0u, cj_u01(inp(0u))); put(1u, cj_u01_open(inp(0u)));
         put(2u, cj_u01(inp(1u))); put(3u, cj_u01_open(inp(1u)));
         put(4u, cj_normal(inp(0u), inp(1u)));",
        words.len(),
        2,
        5,
        &input,
    );
    let want: Vec<f64> = words
        .iter()
        .flat_map(|&[a, b]| {
            [
                <f64 as Real>::u01(a),
                <f64 as Real>::u01_open(a),
                <f64 as Real>::u01(b),
                <f64 as Real>::u01_open(b),
                <f64 as Real>::normal(a, b),
            ]
        })
        .collect();
    // The CPU's own edges: the open end is 1 exactly, where r is -0.0.
    assert_eq!(<f64 as Real>::u01_open(u32::MAX), 1.0);
    assert_eq!(<f64 as Real>::u01(u32::MAX), 1.0 - 2f64.powi(-32));
    let fns = [
        "u01(w0)",
        "u01_open(w0)",
        "u01(w1)",
        "u01_open(w1)",
        "normal",
    ];
    let mut bad = Vec::new();
    let n = compare(
        "cj",
        &got,
        &want,
        |k| format!("{} of {:#010x?}", fns[k % 5], words[k / 5]),
        &mut bad,
    );
    report("u01, u01_open, normal", n, bad);
}

// wgsl_common.rs's keys of draws: seeds, objects, steps, indices.
use crate::wgsl_common::draw_inputs;

/// The first element of stream (seed 42, object 9, step 0) whose
/// uniform word is 2^32 - 2^12 or more (u within 2^-20 of 1).
fn top_uniform_element() -> u32 {
    let mut words = vec![0u32; 1 << 20];
    for block in 0u32.. {
        word_run(42, 9, 0, block << 20, &mut words);
        if let Some(i) = words.iter().position(|&w| w >= 0xFFFF_F000) {
            return (block << 20) + i as u32;
        }
    }
    unreachable!("a stream of 2^32 words has its largest values")
}

fn random_draws_are_bit_identical() {
    let gpu = gpu();
    let mut rng = Mix(41);
    let mut cases = draw_inputs(20_000);
    let n0 = cases.len();
    let mut params: Vec<[f64; 2]> = (0..n0)
        .map(|j| match j % 4 {
            0 => [0.0, 1.0],
            1 => [-70.0, -50.0],
            2 => [rng.uniform(-1e3, 1e3), rng.uniform(-1e3, 1e3)],
            _ => [rng.uniform(-1.0, 1.0) * 1e-3, rng.uniform(0.0, 1e6)],
        })
        .collect();
    // Where a + (b - a) u rounds up to b (u within 2^-20 of 1 and a's
    // ulp 2^-12), the draw is the float below b, on both engines.
    let top = top_uniform_element();
    let p40 = 2f64.powi(40);
    let edges = [
        [p40, p40 + 1.0],
        [-p40 - 1.0, -p40],
        [1e300, 1e300 + 1e284],
        [2.0, 5.0],
        [5.0, 2.0],
        [-1.0, 0.0],
    ];
    for ab in edges {
        cases.push((42, 9, 0, top));
        params.push(ab);
    }
    let uniform = |j: usize| {
        let (s, o, st, i) = cases[j];
        random_value(RandomKind::Uniform, s, o, st, i, params[j][0], params[j][1])
    };
    assert_eq!(uniform(n0), p40 + 1.0 - 2f64.powi(-12), "below b");
    assert_eq!(uniform(n0 + 1), -p40 - 2f64.powi(-12), "below b < 0");
    let kinds = [
        (
            "cj_uniform(key, inp(2u), inp(3u), inp(4u), a, b)",
            RandomKind::Uniform,
        ),
        (
            "cj_normal_draw(key, inp(2u), inp(3u), inp(4u), a, b)",
            RandomKind::Normal,
        ),
        (
            "cj_lognormal_draw(key, inp(2u), inp(3u), inp(4u), a, b)",
            RandomKind::LogNormal,
        ),
        (
            "cj_exponential_draw(key, inp(2u), inp(3u), inp(4u), a)",
            RandomKind::Exponential,
        ),
    ];
    // Parameters of each kind's usual ranges, as well as the uniform's.
    let lognormal: Vec<[f64; 2]> = (0..cases.len())
        .map(|j| match j % 3 {
            0 => [0.0, 1.0],
            1 => [-1.0, 0.5],
            _ => [rng.uniform(-3.0, 3.0), rng.uniform(0.0, 1.0)],
        })
        .collect();
    let exponential: Vec<[f64; 2]> = (0..cases.len())
        .map(|j| match j % 3 {
            0 => [1.0, 0.0],
            1 => [0.01, 0.0],
            _ => [rng.uniform(0.001, 100.0), 0.0],
        })
        .collect();
    let (mut n, mut bad) = (0, Vec::new());
    for (call, kind) in kinds {
        let ps = match kind {
            RandomKind::LogNormal => &lognormal,
            RandomKind::Exponential => &exponential,
            _ => &params,
        };
        let mut input = Vec::new();
        for (&(seed, o, s, i), p) in cases.iter().zip(ps) {
            input.extend([seed as u32, (seed >> 32) as u32, o, s, i]);
            p[0].put_words(&mut input);
            p[1].put_words(&mut input);
        }
        let got = gpu.run_items(
            &format!(
                "let key = vec2<u32>(inp(0u), inp(1u)); let a = inf64(5u); let b = inf64(7u);
                 put(0u, {call});"
            ),
            cases.len(),
            9,
            1,
            &input,
        );
        let want: Vec<f64> = cases
            .iter()
            .zip(ps)
            .map(|(&(seed, o, s, i), p)| random_value(kind, seed, o, s, i, p[0], p[1]))
            .collect();
        n += compare(
            &format!("{kind:?}"),
            &got,
            &want,
            |j| format!("{:?} {:?}", cases[j], ps[j]),
            &mut bad,
        );
    }
    // The words the draws take: the two-word kinds the first two of the
    // element's own call (philox::draw), as cj_draw gives them.
    let (seed, o, s, i) = cases[2];
    let d = draw(seed, o, s, i);
    let want = <f64 as Real>::random_from_words(RandomKind::Normal, d[0], d[1], 0.0, 1.0);
    assert_eq!(
        random_value::<f64>(RandomKind::Normal, seed, o, s, i, 0.0, 1.0).to_bits(),
        want.to_bits()
    );
    report("random draws", n, bad);
}

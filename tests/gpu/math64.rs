//! `cajal::lang::math64` (the f64 functions) against std's, and
//! `shaders/math64.wgsl` against its Rust twins.
//!
//! The Rust twins must be within 1 ulp of std's f64 functions (the
//! platform's libm) for finite results, and give C's special values (±0,
//! ±inf, NaN) exactly; the naga check always runs; on a Vulkan adapter
//! with f64 and 64-bit integers (Mesa's lavapipe has both), every WGSL
//! twin runs over the same inputs and must give the Rust twin's bits. NaN
//! results only need to be NaN (a GPU's NaN payload is its own).

use std::sync::OnceLock;

use crate::common::{skip, tests};
use cajal::lang::math64;

tests! {
    cpu: [
        functions_are_within_an_ulp_of_std,
        math64_wgsl_validates_with_naga,
    ],
    gpu: [
        wgsl_twins_are_bit_identical,
    ],
}

const MATH64: &str = include_str!("../../shaders/math64.wgsl");
const CLOCK: &str = include_str!("../../shaders/clock.wgsl");

// ---------------------------------------------------------------- inputs

/// SplitMix64: deterministic inputs without touching the code under test
/// (common64.rs draws from it too).
pub(crate) struct Mix(pub(crate) u64);

impl Mix {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub(crate) fn u32(&mut self) -> u32 {
        (self.next() >> 32) as u32
    }
    /// Any bit pattern: NaNs, infinities, subnormals included.
    pub(crate) fn bits(&mut self) -> f64 {
        f64::from_bits(self.next())
    }
    /// Uniform in [lo, hi).
    pub(crate) fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * ((self.next() >> 11) as f64 * (1.0 / (1u64 << 53) as f64))
    }
    /// A float of either sign whose binary exponent is uniform in [lo, hi].
    pub(crate) fn log_uniform(&mut self, lo: i32, hi: i32) -> f64 {
        let r = self.next();
        let e = lo + (r % (hi - lo + 1) as u64) as i32;
        let bits = ((e + 1023) as u64) << 52 | (self.next() & 0x000f_ffff_ffff_ffff);
        let v = f64::from_bits(bits);
        if r >> 63 != 0 {
            -v
        } else {
            v
        }
    }
}

/// x and its neighbours `d` ulps away, |d| <= n.
pub(crate) fn around(x: f64, n: i64) -> impl Iterator<Item = f64> {
    (-n..=n).map(move |d| f64::from_bits((x.to_bits() as i64 + d) as u64))
}

/// Values every function meets: zeros, subnormals, extremes, NaN.
pub(crate) fn hostile() -> Vec<f64> {
    let mut v = vec![
        0.0,
        -0.0,
        1e-310,
        -1e-310,
        f64::from_bits(1),
        -f64::from_bits(1),
        f64::MIN_POSITIVE,
        -f64::MIN_POSITIVE,
        1e308,
        -1e308,
        f64::MAX,
        -f64::MAX,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        1.0,
        -1.0,
        0.5,
        -0.5,
        2.0,
        1e-20,
        -1e-20,
    ];
    v.extend(around(1.0, 3));
    v.extend(around(-1.0, 3));
    v
}

/// The unary functions under test: name, Rust twin, std's, and the
/// ulps allowed from std's. glibc documents up to 2 ulps for its tanh,
/// sinh and cosh (fdlibm's are within 1 of the exact value, and where the
/// two differ by 2 mpmath sides with either), so those get 2.
type F1 = fn(f64) -> f64;
const UNARY: [(&str, F1, F1, u64); 12] = [
    ("exp", math64::exp, f64::exp, 1),
    ("expm1", math64::expm1, f64::exp_m1, 1),
    ("ln", math64::ln, f64::ln, 1),
    ("sin", math64::sin, f64::sin, 1),
    ("cos", math64::cos, f64::cos, 1),
    ("tan", math64::tan, f64::tan, 1),
    ("tanh", math64::tanh, f64::tanh, 2),
    ("sinh", math64::sinh, f64::sinh, 2),
    ("cosh", math64::cosh, f64::cosh, 2),
    ("asin", math64::asin, f64::asin, 1),
    ("acos", math64::acos, f64::acos, 1),
    ("atan", math64::atan, f64::atan, 1),
];

/// Correctly rounded values (mpmath, 1400 bits), the reference instead of
/// std's: at the double nearest a multiple of pi/2 in the binade of 2^850
/// (x / (pi/2) is 3e-19 from an integer) glibc's cos is 8 ulps off and
/// its tan 14; and 1e22, the classic test of a reduction.
const KNOWN: [(&str, f64, u64); 6] = [
    ("sin", 5.319_372_648_326_541e255, 0x3ff0_0000_0000_0000),
    ("cos", 5.319_372_648_326_541e255, 0xbc21_4ae7_2e6b_a22f),
    ("tan", 5.319_372_648_326_541e255, 0xc3bd_9ba9_a797_5636),
    ("sin", 1e22, 0xbfeb_453a_b76b_f397),
    ("cos", 1e22, 0x3fe0_be2c_ef01_c8f4),
    ("tan", 1e22, 0xbffa_0f79_c1b6_b257),
];

/// The reference for `name` at `x`: [`KNOWN`]'s, or std's.
fn reference(name: &str, x: f64, std_f: F1) -> f64 {
    KNOWN
        .iter()
        .find(|k| k.0 == name && k.1 == x)
        .map_or_else(|| std_f(x), |k| f64::from_bits(k.2))
}

/// The inputs of unary function `name`.
fn unary_inputs(name: &str) -> Vec<f64> {
    let mut rng = Mix(name
        .bytes()
        .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b))));
    let mut v = hostile();
    let n = 60_000;
    let wide = |rng: &mut Mix, v: &mut Vec<f64>, lo, hi| {
        v.extend((0..n).map(|_| rng.log_uniform(lo, hi)));
    };
    match name {
        "exp" | "expm1" => {
            v.extend((0..n).map(|_| rng.uniform(-750.0, 750.0)));
            v.extend((0..n).map(|_| rng.uniform(-2.0, 2.0)));
            wide(&mut rng, &mut v, -60, 9);
            for b in [709.782_712_893_384, -745.133_219_101_941_1] {
                v.extend(around(b, 4));
            }
            v.extend(around(-708.396_418_532_264_1, 2));
            v.extend(around(std::f64::consts::LN_2 / 2.0, 2));
            v.extend(around(56.0 * std::f64::consts::LN_2, 2));
            v.extend([-37.5, -40.0, 2f64.powi(-28), 2f64.powi(-54), 1e-17]);
        }
        "ln" => {
            wide(&mut rng, &mut v, -1022, 1023);
            v.extend((0..n).map(|_| rng.uniform(0.5, 2.0)));
            v.extend((0..n / 4).map(|_| 1.0 + rng.uniform(-1e-6, 1e-6)));
            v.extend((0..1000).map(|_| f64::from_bits(rng.next() & 0x000f_ffff_ffff_ffff)));
            v.extend(around(std::f64::consts::SQRT_2, 2));
            v.extend(around(std::f64::consts::FRAC_1_SQRT_2, 2));
        }
        "sin" | "cos" | "tan" => {
            v.extend((0..n).map(|_| rng.uniform(-10.0, 10.0)));
            v.extend((0..n).map(|_| rng.uniform(-2e6, 2e6)));
            wide(&mut rng, &mut v, -30, 1023);
            // Near multiples of pi/2, where the reduction cancels.
            for k in (-200..=200i64).chain([1_000_000, 6_381_956, 10_000_000, 1 << 40]) {
                let b = k as f64 * std::f64::consts::FRAC_PI_2;
                v.extend(around(b, 2));
            }
            v.extend([
                1e22,
                -1e22,
                1e300,
                6.381_956_970_095_103e262,
                5.319_372_648_326_541e255,
            ]);
            v.extend(around(f64::MAX, 1).filter(|x| x.is_finite()));
        }
        "tanh" | "sinh" | "cosh" => {
            v.extend((0..n).map(|_| rng.uniform(-25.0, 25.0)));
            v.extend((0..n / 2).map(|_| rng.uniform(-720.0, 720.0)));
            wide(&mut rng, &mut v, -60, 3);
            v.extend(around(710.475_860_073_943_9, 3));
            v.extend(around(-710.475_860_073_943_9, 3));
            v.extend(around(709.782_712_893_384, 2));
            v.extend(around(0.549_306_144_334_054_8, 2));
            v.extend(around(0.255_412_811_882_995_3, 2));
            v.extend([20.0, 22.0, -22.0, 2f64.powi(-26), 2f64.powi(-1022)]);
        }
        "asin" | "acos" => {
            v.extend((0..n).map(|_| rng.uniform(-1.0, 1.0)));
            v.extend((0..n / 2).map(|_| 1.0 - rng.uniform(0.0, 1e-6)));
            v.extend((0..n / 2).map(|_| -1.0 + rng.uniform(0.0, 1e-6)));
            wide(&mut rng, &mut v, -60, -1);
            for b in [0.5, -0.5, 0.975, -0.975] {
                v.extend(around(b, 2));
            }
        }
        "atan" => {
            wide(&mut rng, &mut v, -40, 80);
            v.extend((0..n).map(|_| rng.uniform(-3.0, 3.0)));
            for b in [0.4375, 0.6875, 1.1875, 2.4375, 2f64.powi(66)] {
                v.extend(around(b, 2));
                v.extend(around(-b, 2));
            }
        }
        _ => unreachable!("{name}"),
    }
    v
}

/// The (x, y) inputs of pow.
fn pow_inputs() -> Vec<(f64, f64)> {
    let mut rng = Mix(99);
    let mut v = Vec::new();
    let h = hostile();
    let ys = [
        0.0,
        -0.0,
        0.5,
        -0.5,
        1.0,
        -1.0,
        2.0,
        3.0,
        16.0,
        17.0,
        -2.0,
        -3.0,
        1.5,
        0.25,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        1e300,
        -1e300,
        2f64.powi(31) + 1.0,
        2f64.powi(64) * 1.5,
        3e9,
        -3e9,
        4.000000000000001,
    ];
    for &x in h
        .iter()
        .chain(&[-2.0, 2.5, -2.5, 0.999_999, 1.000_001, 10.0])
    {
        for &y in &ys {
            v.push((x, y));
        }
    }
    for _ in 0..60_000 {
        // Wide bases, exponents that keep most results finite.
        let x = rng.log_uniform(-100, 100).abs();
        let y = rng.uniform(-7.0, 7.0);
        v.push((x, y));
        let x = rng.uniform(0.0, 4.0);
        v.push((x, rng.uniform(-300.0, 300.0)));
        let x = 1.0 + rng.uniform(-1e-9, 1e-9);
        v.push((x, rng.log_uniform(20, 40).abs()));
    }
    for _ in 0..20_000 {
        // Whole exponents, negative bases too.
        let x = rng.uniform(-40.0, 40.0);
        let y = (rng.next() % 40) as f64 - 20.0;
        v.push((x, y));
        v.push((rng.log_uniform(-1074, 1023), rng.uniform(-2.0, 2.0)));
    }
    // Over- and underflow boundaries of the result.
    for y in [1023.9, 1024.0, 1024.1, -1074.0, -1075.0, -1074.9] {
        v.push((2.0, y));
        v.push((0.5, -y));
    }
    v
}

// ---------------------------------------------------------------- ulps

/// The distance in ulps between two floats of the same kind: both NaN,
/// the same infinity or zero (either sign counts apart), or finite.
fn ulps(a: f64, b: f64) -> u64 {
    if a.is_nan() || b.is_nan() {
        return if a.is_nan() && b.is_nan() {
            0
        } else {
            u64::MAX
        };
    }
    let ord = |x: f64| {
        let b = x.to_bits() as i64;
        if b < 0 {
            i64::MIN - b
        } else {
            b
        }
    };
    let d = ord(a).abs_diff(ord(b));
    // A special value (zero, infinity) must match exactly, sign included.
    let special = |x: f64| x == 0.0 || x.is_infinite();
    if (special(a) || special(b)) && a.to_bits() != b.to_bits() {
        return u64::MAX;
    }
    d
}

/// Worst error of `got` against `want` over `inputs` (printed), and the
/// inputs past `tol` ulps.
fn worst<I: std::fmt::Debug + Copy>(
    name: &str,
    inputs: &[I],
    got: impl Fn(I) -> f64,
    want: impl Fn(I) -> f64,
    tol: impl Fn(I) -> u64,
) -> (u64, Vec<String>) {
    let mut max = 0;
    let mut bad = Vec::new();
    for &i in inputs {
        let (g, w) = (got(i), want(i));
        let d = ulps(g, w);
        if d != u64::MAX {
            max = max.max(d);
        }
        if d > tol(i) {
            bad.push(format!(
                "{name}({i:?}) = {g:e} ({:#x}), std {w:e} ({:#x}), {d} ulps",
                g.to_bits(),
                w.to_bits()
            ));
        }
    }
    eprintln!(
        "math64: {name}: {} inputs, max {max} ulp(s) from std",
        inputs.len()
    );
    (max, bad)
}

/// Whether pow takes binary exponentiation (math64::pow).
fn whole_exponent(y: f64) -> bool {
    (1.0..=16.0).contains(&y) && y.floor() == y
}

fn functions_are_within_an_ulp_of_std() {
    // fdlibm's functions are within 1 ulp of the exact value and glibc's
    // within 1 too (most correctly rounded), so 1 ulp from std is the
    // bound (2 for tanh, sinh, cosh: see UNARY); special values (±0, ±inf,
    // NaN) must be the same.
    let mut bad = Vec::new();
    for (name, f, std_f, tol) in UNARY {
        let inputs = unary_inputs(name);
        let (_, b) = worst(name, &inputs, f, |x| reference(name, x, std_f), |_| tol);
        bad.extend(b);
    }
    // pow: 1 ulp; whole exponents 1 to 16 are products (k squarings and
    // products: up to 2^k ulps, as the f32 pow).
    let (whole, other): (Vec<_>, Vec<_>) =
        pow_inputs().into_iter().partition(|i| whole_exponent(i.1));
    let pow = |(x, y): (f64, f64)| math64::pow(x, y);
    let powf = |(x, y): (f64, f64)| x.powf(y);
    let (_, b) = worst("pow (y in 1..=16 whole)", &whole, pow, powf, |_| 16);
    bad.extend(b);
    let (_, b) = worst("pow (other y)", &other, pow, powf, |_| 1);
    bad.extend(b);
    let n = bad.len();
    assert!(
        bad.is_empty(),
        "{n} results too far from std:\n{}",
        bad.into_iter().take(40).collect::<Vec<_>>().join("\n")
    );
}

// ---------------------------------------------------------------- naga

/// math64.wgsl and the clock it reads (cj64_keep's clk.pad0).
fn source() -> String {
    format!("{MATH64}\n{}", CLOCK.replace("CJ_CONST_VEC4S", "1u"))
}

fn validate(src: &str, caps: naga::valid::Capabilities) -> Result<naga::Module, String> {
    let module = naga::front::wgsl::parse_str(src).map_err(|e| e.emit_to_string(src))?;
    naga::valid::Validator::new(naga::valid::ValidationFlags::all(), caps)
        .validate(&module)
        .map_err(|e| e.emit_to_string(src))?;
    Ok(module)
}

fn math64_wgsl_validates_with_naga() {
    use naga::valid::Capabilities as C;
    let src = source();
    let module = validate(&src, C::FLOAT64 | C::SHADER_INT64).unwrap_or_else(|e| panic!("{e}"));
    // f64 needs naga's FLOAT64 capability (wgpu's SHADER_F64), the bit
    // casts 64-bit integers (SHADER_INT64); no `enable` directive.
    assert!(
        validate(&src, C::SHADER_INT64).is_err(),
        "f64 without FLOAT64"
    );
    assert!(
        validate(&src, C::FLOAT64).is_err(),
        "u64 without SHADER_INT64"
    );
    assert!(
        module.entry_points.is_empty(),
        "math64.wgsl must not declare entry points"
    );
    for name in [
        "cj64_keep",
        "cj64_div",
        "cj64_sqrt",
        "cj64_exp",
        "cj64_expm1",
        "cj64_ln",
        "cj64_pow",
        "cj64_sin",
        "cj64_cos",
        "cj64_tan",
        "cj64_tanh",
        "cj64_sinh",
        "cj64_cosh",
        "cj64_asin",
        "cj64_acos",
        "cj64_atan",
    ] {
        assert!(
            module
                .functions
                .iter()
                .any(|(_, f)| f.name.as_deref() == Some(name)),
            "missing {name}"
        );
    }
}

// ---------------------------------------------------------------- GPU

/// A device of the f64 tests (this file's and common64.rs's).
pub(crate) struct Gpu {
    pub(crate) device: wgpu::Device,
    pub(crate) queue: wgpu::Queue,
}

/// A Vulkan device with f64 and 64-bit integers, or why there is none.
pub(crate) fn gpu() -> &'static Gpu {
    static GPU: OnceLock<Result<Gpu, String>> = OnceLock::new();
    let require = std::env::var("CAJAL_REQUIRE_GPU").as_deref() == Ok("1");
    let gpu = GPU.get_or_init(|| {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
            backends: wgpu::Backends::VULKAN,
            ..wgpu::InstanceDescriptor::new_without_display_handle()
        });
        let adapter =
            pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions::default()))
                .map_err(|e| format!("no Vulkan adapter ({e})"))?;
        let info = adapter.get_info();
        let need = wgpu::Features::SHADER_F64 | wgpu::Features::SHADER_INT64;
        let has = adapter.features();
        eprintln!(
            "math64: adapter {} ({:?}): SHADER_F64 {}, SHADER_INT64 {}",
            info.name,
            info.driver,
            has.contains(wgpu::Features::SHADER_F64),
            has.contains(wgpu::Features::SHADER_INT64)
        );
        if !has.contains(need) {
            let why = format!("adapter {} lacks {:?}", info.name, need - has);
            // lavapipe has both: missing there is a failure when a GPU is
            // required; on another adapter it is the hardware's choice.
            if require && info.name.to_lowercase().contains("llvmpipe") {
                panic!("{why} and CAJAL_REQUIRE_GPU=1");
            }
            return Err(why);
        }
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            required_features: need,
            ..Default::default()
        }))
        .map_err(|e| format!("request_device: {e}"))?;
        Ok(Gpu { device, queue })
    });
    match gpu {
        Ok(g) => g,
        Err(why) if require && why.starts_with("no Vulkan") => {
            panic!("{why} and CAJAL_REQUIRE_GPU=1")
        }
        Err(why) => {
            eprintln!("math64: skipped: {why}");
            skip(why.clone())
        }
    }
}

impl Gpu {
    /// Runs `body` for each of the `n` items: item `i` reads `t_in[i * 3]`
    /// to `t_in[i * 3 + 2]` as `fid`, `x` and `y` and writes `t_out[i]`.
    fn run(&self, body: &str, input: &[f64]) -> Vec<f64> {
        let n = input.len() / 3;
        let clock = CLOCK.replace("CJ_CONST_VEC4S", "1u").replace(
            "@group(0) @binding(0) var<uniform>",
            "@group(0) @binding(2) var<uniform>",
        );
        let src = format!(
            "{MATH64}
{clock}
@group(0) @binding(0) var<storage, read> t_in: array<f64>;
@group(0) @binding(1) var<storage, read_write> t_out: array<f64>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {{
    let i = gid.x + gid.y * 65535u * 64u;
    if (i >= {n}u + clk.pad0) {{ return; }}
    let fid = u32(t_in[i * 3u]);
    let x = t_in[i * 3u + 1u];
    let y = t_in[i * 3u + 2u];
    var r = 0.0lf;
    {body}
    t_out[i] = r;
}}
"
        );
        let out = crate::wgsl_common::dispatch(
            (&self.device, &self.queue),
            "math64 test",
            src,
            bytemuck::cast_slice(input),
            (n.max(1) * 8) as u64,
            n,
        );
        let mut v = bytemuck::pod_collect_to_vec::<u8, f64>(&out);
        v.truncate(n);
        v
    }
}

fn wgsl_twins_are_bit_identical() {
    let gpu = gpu();
    // (function id, x, y) triples and the Rust twins' results.
    let mut input = Vec::new();
    let mut want = Vec::new();
    let mut names = Vec::new();
    for (fid, (name, f, _, _)) in UNARY.iter().enumerate() {
        for x in unary_inputs(name) {
            input.extend([fid as f64, x, 0.0]);
            want.push(f(x));
            names.push(*name);
        }
    }
    let pow_id = UNARY.len() as f64;
    for (x, y) in pow_inputs() {
        input.extend([pow_id, x, y]);
        want.push(math64::pow(x, y));
        names.push("pow");
    }
    // cj64_div and cj64_sqrt against IEEE's; and cj64_quot from estimates
    // off by up to 2^30 ulps (a driver's f64 division need only be as good
    // as f32's), which must still round as IEEE does.
    let mut rng = Mix(5);
    for _ in 0..50_000 {
        let (a, b) = (rng.log_uniform(-500, 500), rng.log_uniform(-500, 500));
        input.extend([pow_id + 1.0, a, b]);
        want.push(a / b);
        names.push("div");
        let x = rng.log_uniform(-1074, 1023).abs();
        input.extend([pow_id + 2.0, x, 0.0]);
        want.push(x.sqrt());
        names.push("sqrt");
        let (a, b) = (rng.uniform(1.0, 2.0), rng.uniform(1.0, 2.0));
        let b = if rng.next() & 1 == 0 { b } else { -b };
        input.extend([pow_id + 3.0, a, b]);
        want.push(a / b);
        names.push("quot");
    }
    for x in [
        0.0,
        -0.0,
        f64::INFINITY,
        -1.0,
        f64::NAN,
        f64::from_bits(1),
        1e-310,
        f64::MAX,
    ] {
        input.extend([pow_id + 2.0, x, 0.0]);
        want.push(x.sqrt());
        names.push("sqrt");
    }
    let body = "
    switch (fid) {
        case 0u: { r = cj64_exp(x); }
        case 1u: { r = cj64_expm1(x); }
        case 2u: { r = cj64_ln(x); }
        case 3u: { r = cj64_sin(x); }
        case 4u: { r = cj64_cos(x); }
        case 5u: { r = cj64_tan(x); }
        case 6u: { r = cj64_tanh(x); }
        case 7u: { r = cj64_sinh(x); }
        case 8u: { r = cj64_cosh(x); }
        case 9u: { r = cj64_asin(x); }
        case 10u: { r = cj64_acos(x); }
        case 11u: { r = cj64_atan(x); }
        case 12u: { r = cj64_pow(x, y); }
        case 13u: { r = cj64_div(x, y); }
        case 14u: { r = cj64_sqrt(x); }
        case 15u: {
            // An estimate up to 2^30 ulps off, from the bits of x.
            let off = i64(bitcast<u64>(x) & 0x7ffffffflu) - 0x40000000li;
            let q0 = bitcast<f64>(bitcast<u64>(cj64_keep(x / y)) + bitcast<u64>(off));
            r = cj64_quot(x, y, q0);
        }
        default: { r = 0.0lf; }
    }";
    assert_eq!(input.len(), want.len() * 3);
    let got = gpu.run(body, &input);
    let mut bad = Vec::new();
    for (k, (g, w)) in got.iter().zip(&want).enumerate() {
        let same = g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan());
        if !same {
            let (x, y) = (input[3 * k + 1], input[3 * k + 2]);
            bad.push(format!(
                "{}({x:e}, {y:e}) [{:#x}]: gpu {g:e} ({:#x}), cpu {w:e} ({:#x})",
                names[k],
                x.to_bits(),
                g.to_bits(),
                w.to_bits()
            ));
        }
    }
    eprintln!(
        "math64: {} results compared on the adapter, {} differ",
        want.len(),
        bad.len()
    );
    let n = bad.len();
    assert!(
        bad.is_empty(),
        "{n} GPU results differ from the Rust twins:\n{}",
        bad.into_iter().take(40).collect::<Vec<_>>().join("\n")
    );
}

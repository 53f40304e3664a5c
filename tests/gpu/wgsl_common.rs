//! `shaders/common.wgsl` against its Rust twins.
//!
//! The naga check always runs. The GPU checks need a Vulkan adapter (Mesa's
//! lavapipe is enough): they are `[gpu]` tests, ignored without one, failed
//! without one under `CAJAL_REQUIRE_GPU=1`.
//!
//! f32 values travel through the u32 buffers as bits, so "bit-identical"
//! below really means the same 32 bits.

use std::sync::OnceLock;

use crate::common::{assert_close, skip, tests, Tol};
use cajal::engine::cpu::vm::{pow, random_value};
use cajal::lang::ir::{Func, RandomKind};
use cajal::random::philox::{draw, normal_pair, philox4x32_10, u01, u01_open, word_run};
use wgpu::util::DeviceExt;

tests! {
    cpu: [
        common_wgsl_validates_with_naga,
    ],
    gpu: [
        philox_matches_random123_and_rust,
        draw_and_uniforms_are_bit_identical,
        uniform_draw_is_bit_identical,
        normal_draws_are_close,
        exponential_draw_is_close,
        round_is_half_away_from_zero_and_exact,
        pow_sign_mod_and_b,
        ln_is_within_an_ulp,
        division_is_rounded_as_ieee_from_any_estimate,
        sin_and_cos_are_the_cpu_twins,
        tanh_is_the_cpu_twin,
    ],
}

/// philox.wgsl then common.wgsl, as every f32 kernel includes them.
const COMMON: &str = cajal::engine::gpu::codegen::COMMON;
const CLOCK: &str = include_str!("../../shaders/clock.wgsl");

fn common_wgsl_validates_with_naga() {
    // common.wgsl calls the clock's cj_keep and cj_div: every kernel
    // includes both.
    let src = format!("{COMMON}\n{}", CLOCK.replace("CJ_CONST_VEC4S", "1u"));
    let module =
        naga::front::wgsl::parse_str(&src).unwrap_or_else(|e| panic!("{}", e.emit_to_string(&src)));
    naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::all(),
    )
    .validate(&module)
    .unwrap_or_else(|e| panic!("{}", e.emit_to_string(&src)));
    let globals: Vec<_> = module
        .global_variables
        .iter()
        .map(|(_, g)| g.name.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        globals,
        ["clk"],
        "common.wgsl must not declare bindings or globals (the clock's is clk)"
    );
    assert!(
        module.entry_points.is_empty(),
        "common.wgsl must not declare entry points"
    );
    for name in [
        "cj_philox",
        "cj_draw",
        "cj_u01",
        "cj_u01_open",
        "cj_normal",
        "cj_uniform",
        "cj_normal_draw",
        "cj_lognormal_draw",
        "cj_exponential_draw",
        "cj_round",
        "cj_pow",
        "cj_sign",
        "cj_mod",
        "cj_b",
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

// ---------------------------------------------------------------- harness

struct Gpu {
    device: wgpu::Device,
    queue: wgpu::Queue,
}

/// A test kernel of item-wise calls: the functions under test
/// (`prelude`), the clock (its block bound at 2 and zeroed, as the
/// host's pad0 is), input words `t_in` read as `inp(k)`, outputs
/// `t_out: array<out>` written as `put(k, value)`, and `helpers`.
pub(crate) struct TestKernel<'a> {
    pub(crate) label: &'a str,
    pub(crate) prelude: String,
    /// The WGSL type of an output: `u32` or `f64`.
    pub(crate) out: &'a str,
    pub(crate) helpers: &'a str,
}

impl TestKernel<'_> {
    /// Runs `body` once per item `i < n` (`shape` = (n, input words an
    /// item, outputs an item)): item `i` reads `input[i * in_stride + k]`
    /// as `inp(k)`; returns the outputs' bytes, `n * out_stride` of them.
    pub(crate) fn run(
        &self,
        gpu: (&wgpu::Device, &wgpu::Queue),
        body: &str,
        (n, in_stride, out_stride): (usize, usize, usize),
        input: &[u32],
    ) -> Vec<u8> {
        assert_eq!(input.len(), n * in_stride);
        let clock = CLOCK.replace("CJ_CONST_VEC4S", "1u").replace(
            "@group(0) @binding(0) var<uniform>",
            "@group(0) @binding(2) var<uniform>",
        );
        let (prelude, out, helpers) = (&self.prelude, self.out, self.helpers);
        let src = format!(
            "{prelude}
{clock}
@group(0) @binding(0) var<storage, read> t_in: array<u32>;
@group(0) @binding(1) var<storage, read_write> t_out: array<{out}>;

fn inp(k: u32) -> u32 {{ return t_in[t_i * {in_stride}u + k]; }}
fn put(k: u32, v: {out}) {{ t_out[t_i * {out_stride}u + k] = v; }}
{helpers}

var<private> t_i: u32;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {{
    t_i = gid.x + gid.y * 65535u * 64u;
    if (t_i >= {n}u + clk.pad0) {{ return; }}
    {body}
}}
"
        );
        // Zero-length storage bindings are invalid; pad to one word.
        let mut padded = input.to_vec();
        padded.push(0);
        let size = if out == "f64" { 8 } else { 4 };
        let out_bytes = ((n * out_stride).max(1) * size) as u64;
        let mut bytes = dispatch(
            gpu,
            self.label,
            src,
            bytemuck::cast_slice(&padded),
            out_bytes,
            n,
        );
        bytes.truncate(n * out_stride * size);
        bytes
    }
}

/// Runs the compute shader `src` (entry point `main`, a workgroup of 64)
/// over `n` items: binding 0 holds `input`, binding 1 `out_bytes` of
/// output (returned), binding 2 a zeroed 64-byte uniform block (the
/// clock's, whose `pad0` keeps `cj_keep` from fusing).
pub(crate) fn dispatch(
    (device, queue): (&wgpu::Device, &wgpu::Queue),
    label: &str,
    src: String,
    input: &[u8],
    out_bytes: u64,
    n: usize,
) -> Vec<u8> {
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(label),
        source: wgpu::ShaderSource::Wgsl(src.into()),
    });
    let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: None,
        layout: None,
        module: &module,
        entry_point: Some("main"),
        compilation_options: Default::default(),
        cache: None,
    });
    let in_buf = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: None,
        contents: input,
        usage: wgpu::BufferUsages::STORAGE,
    });
    let buffer = |usage| {
        device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size: out_bytes,
            usage,
            mapped_at_creation: false,
        })
    };
    let out_buf = buffer(wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC);
    let staging = buffer(wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST);
    let clock_buf = device.create_buffer(&wgpu::BufferDescriptor {
        label: None,
        size: 64,
        usage: wgpu::BufferUsages::UNIFORM,
        mapped_at_creation: false,
    });
    let entries: Vec<wgpu::BindGroupEntry> = [&in_buf, &out_buf, &clock_buf]
        .iter()
        .enumerate()
        .map(|(k, b)| wgpu::BindGroupEntry {
            binding: k as u32,
            resource: b.as_entire_binding(),
        })
        .collect();
    let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout: &pipeline.get_bind_group_layout(0),
        entries: &entries,
    });
    let mut encoder = device.create_command_encoder(&Default::default());
    {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: None,
            timestamp_writes: None,
        });
        pass.set_pipeline(&pipeline);
        pass.set_bind_group(0, &bind_group, &[]);
        let groups = n.div_ceil(64) as u32;
        pass.dispatch_workgroups(groups.min(65535), groups.div_ceil(65535), 1);
    }
    encoder.copy_buffer_to_buffer(&out_buf, 0, &staging, 0, out_bytes);
    queue.submit([encoder.finish()]);
    let slice = staging.slice(..);
    slice.map_async(wgpu::MapMode::Read, |r| r.expect("map_async"));
    device
        .poll(wgpu::PollType::wait_indefinitely())
        .expect("poll");
    let out = slice.get_mapped_range().expect("mapped range").to_vec();
    staging.unmap();
    out
}

/// The shared Vulkan device. The harness runs the `[gpu]` tests only where
/// cajal finds an adapter, which may be on another backend (Metal, DX12):
/// without a Vulkan one, the test is ignored (failed under
/// `CAJAL_REQUIRE_GPU=1`).
fn gpu() -> &'static Gpu {
    static GPU: OnceLock<Option<Gpu>> = OnceLock::new();
    let gpu = GPU.get_or_init(|| {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
            backends: wgpu::Backends::VULKAN,
            ..wgpu::InstanceDescriptor::new_without_display_handle()
        });
        let adapter =
            pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions::default()))
                .ok()?;
        eprintln!("wgsl_common: adapter {:?}", adapter.get_info());
        let (device, queue) =
            pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor::default())).ok()?;
        Some(Gpu { device, queue })
    });
    match gpu {
        Some(g) => g,
        None if std::env::var("CAJAL_REQUIRE_GPU").as_deref() == Ok("1") => {
            panic!("no Vulkan adapter and CAJAL_REQUIRE_GPU=1")
        }
        None => skip("no Vulkan adapter"),
    }
}

impl Gpu {
    /// Runs `body` once per item `i < n` in a kernel made of common.wgsl plus
    /// an entry point; item `i` reads `input[i * in_stride + k]` as
    /// `inp(k)` and writes `out_stride` words through `put(k, value)`.
    fn run(
        &self,
        body: &str,
        n: usize,
        in_stride: usize,
        out_stride: usize,
        input: &[u32],
    ) -> Vec<u32> {
        let kernel = TestKernel {
            label: "wgsl_common test",
            prelude: COMMON.to_string(),
            out: "u32",
            helpers: "fn inf32(k: u32) -> f32 { return bitcast<f32>(inp(k)); }
fn putf32(k: u32, v: f32) { put(k, bitcast<u32>(v)); }",
        };
        let out = kernel.run(
            (&self.device, &self.queue),
            body,
            (n, in_stride, out_stride),
            input,
        );
        bytemuck::pod_collect_to_vec::<u8, u32>(&out)
    }

    /// f32 -> f32 through `expr`, written in terms of `x` (and `y`, `z`).
    fn map_f32(&self, expr: &str, args: &[&[f32]]) -> Vec<f32> {
        let n = args[0].len();
        let k = args.len();
        let mut input = Vec::with_capacity(n * k);
        for i in 0..n {
            for a in args {
                input.push(a[i].to_bits());
            }
        }
        let names = ["x", "y", "z"];
        let lets: String = (0..k)
            .map(|j| format!("let {} = inf32({j}u); ", names[j]))
            .collect();
        self.run(&format!("{lets} putf32(0u, {expr});"), n, k, 1, &input)
            .into_iter()
            .map(f32::from_bits)
            .collect()
    }
}

// ---------------------------------------------------------------- inputs

/// SplitMix64: deterministic test inputs without touching the code under test.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn u32(&mut self) -> u32 {
        (self.next() >> 32) as u32
    }
    /// A float uniform in [lo, hi).
    fn f32_in(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * ((self.next() >> 40) as f32 / (1u64 << 24) as f32)
    }
}

fn same_bits(what: &str, gpu: &[f32], cpu: &[f32], inputs: &dyn Fn(usize) -> String) {
    let bad: Vec<usize> = (0..cpu.len())
        .filter(|&i| gpu[i].to_bits() != cpu[i].to_bits())
        .collect();
    if let Some(&i) = bad.first() {
        panic!(
            "{what}: {} of {} differ; first at {}: gpu {:e} ({:#010x}) cpu {:e} ({:#010x})",
            bad.len(),
            cpu.len(),
            inputs(i),
            gpu[i],
            gpu[i].to_bits(),
            cpu[i],
            cpu[i].to_bits()
        );
    }
}

// ---------------------------------------------------------------- tests

fn philox_matches_random123_and_rust() {
    let gpu = gpu();
    let mut cases: Vec<([u32; 4], [u32; 2])> = vec![
        ([0; 4], [0; 2]),
        ([u32::MAX; 4], [u32::MAX; 2]),
        (
            [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
            [0xa4093822, 0x299f31d0],
        ),
    ];
    let known = [
        [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
        [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
        [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
    ];
    let mut rng = Mix(1);
    for _ in 0..10_000 {
        let c = [rng.u32(), rng.u32(), rng.u32(), rng.u32()];
        cases.push((c, [rng.u32(), rng.u32()]));
    }
    let input: Vec<u32> = cases
        .iter()
        .flat_map(|(c, k)| c.iter().chain(k).copied())
        .collect();
    let out = gpu.run(
        "let r = cj_philox(vec4<u32>(inp(0u), inp(1u), inp(2u), inp(3u)), vec2<u32>(inp(4u), inp(5u)));
         put(0u, r.x); put(1u, r.y); put(2u, r.z); put(3u, r.w);",
        cases.len(),
        6,
        4,
        &input,
    );
    for (i, (c, k)) in cases.iter().enumerate() {
        let g = [out[4 * i], out[4 * i + 1], out[4 * i + 2], out[4 * i + 3]];
        if i < known.len() {
            assert_eq!(g, known[i], "Random123 known answer {i}");
        }
        assert_eq!(g, philox4x32_10(*c, *k), "counter {c:08x?} key {k:08x?}");
    }
}

/// Seeds, objects, steps and indices, including extremes.
pub(crate) fn draw_inputs(n: usize) -> Vec<(u64, u32, u32, u32)> {
    let mut v = vec![
        (0, 0, 0, 0),
        (u64::MAX, u32::MAX, u32::MAX, u32::MAX),
        (0x0123_4567_89ab_cdef, 7, 11, 13),
        (42, 1, 0, 5),
    ];
    let mut rng = Mix(2);
    while v.len() < n {
        let small = rng.u32().is_multiple_of(2);
        let seed = if small { rng.next() % 1000 } else { rng.next() };
        let (o, s, i) = if small {
            (rng.u32() % 8, rng.u32() % 100_000, rng.u32() % 1_000_000)
        } else {
            (rng.u32(), rng.u32(), rng.u32())
        };
        v.push((seed, o, s, i));
    }
    v
}

fn draw_input_words(cases: &[(u64, u32, u32, u32)], extra: &[[f32; 2]]) -> Vec<u32> {
    let mut input = Vec::new();
    for (j, &(seed, o, s, i)) in cases.iter().enumerate() {
        input.extend([seed as u32, (seed >> 32) as u32, o, s, i]);
        if !extra.is_empty() {
            input.extend(extra[j].map(f32::to_bits));
        }
    }
    input
}

fn draw_and_uniforms_are_bit_identical() {
    let gpu = gpu();
    let cases = draw_inputs(20_000);
    let input = draw_input_words(&cases, &[]);
    let out = gpu.run(
        "let d = cj_draw(vec2<u32>(inp(0u), inp(1u)), inp(2u), inp(3u), inp(4u));
         put(0u, d.x); put(1u, d.y); put(2u, d.z); put(3u, d.w);
         putf32(4u, cj_u01(d.x)); putf32(5u, cj_u01_open(d.y));
         putf32(6u, cj_u01(0xFFFFFFFFu ^ d.z)); putf32(7u, cj_u01_open(0xFFFFFFFFu ^ d.w));",
        cases.len(),
        5,
        8,
        &input,
    );
    for (j, &(seed, o, s, i)) in cases.iter().enumerate() {
        let g = &out[8 * j..8 * j + 8];
        let d = draw(seed, o, s, i);
        assert_eq!(g[..4], d, "draw({seed:#x}, {o}, {s}, {i})");
        let cpu = [u01(d[0]), u01_open(d[1]), u01(!d[2]), u01_open(!d[3])];
        for k in 0..4 {
            assert_eq!(g[4 + k], cpu[k].to_bits(), "uniform {k} of draw {j}");
        }
    }
    // The extremes of the bit range.
    let bits = [0, 0xFF, 0x100, 0x8000_0000, 0xFFFF_FF00, u32::MAX];
    let out = gpu.run(
        "putf32(0u, cj_u01(inp(0u))); putf32(1u, cj_u01_open(inp(0u)));",
        bits.len(),
        1,
        2,
        &bits,
    );
    for (j, &b) in bits.iter().enumerate() {
        assert_eq!(out[2 * j], u01(b).to_bits(), "u01({b:#x})");
        assert_eq!(out[2 * j + 1], u01_open(b).to_bits(), "u01_open({b:#x})");
    }
}

/// Runs one of the cj_*_draw functions over `cases` with parameters `params`
/// and returns GPU and CPU values.
fn random_draws(
    gpu: &Gpu,
    call: &str,
    kind: RandomKind,
    cases: &[(u64, u32, u32, u32)],
    params: &[[f32; 2]],
) -> (Vec<f32>, Vec<f32>) {
    let input = draw_input_words(cases, params);
    let g: Vec<f32> = gpu
        .run(
            &format!(
                "let key = vec2<u32>(inp(0u), inp(1u)); let a = inf32(5u); let b = inf32(6u);
                 putf32(0u, {call});"
            ),
            cases.len(),
            7,
            1,
            &input,
        )
        .into_iter()
        .map(f32::from_bits)
        .collect();
    let c = cases
        .iter()
        .zip(params)
        .map(|(&(seed, o, s, i), p)| random_value(kind, seed, o, s, i, p[0], p[1]))
        .collect();
    (g, c)
}

/// The first element of stream (seed 42, object 9, step 0) whose uniform
/// is the largest, 1 - 2^-24 (once in 2^24 elements).
fn top_uniform_element() -> u32 {
    let mut words = vec![0u32; 1 << 20];
    for block in 0u32.. {
        word_run(42, 9, 0, block << 20, &mut words);
        if let Some(i) = words.iter().position(|&w| w >> 8 == 0xFF_FFFF) {
            return (block << 20) + i as u32;
        }
    }
    unreachable!("a stream of 2^32 words has its largest value")
}

fn uniform_draw_is_bit_identical() {
    let gpu = gpu();
    let mut cases = draw_inputs(20_000);
    let mut rng = Mix(3);
    let mut params: Vec<[f32; 2]> = (0..cases.len())
        .map(|j| match j % 4 {
            0 => [0.0, 1.0],
            1 => [-70.0, -50.0],
            2 => [rng.f32_in(-1e3, 1e3), rng.f32_in(-1e3, 1e3)],
            _ => [rng.f32_in(-1.0, 1.0) * 1e-3, rng.f32_in(0.0, 1e6)],
        })
        .collect();
    // Where a + (b - a) u rounds up to b (u = 1 - 2^-24), the draw is the
    // float below b, on both engines: Uniform's interval is half-open.
    let top = top_uniform_element();
    let edges = [
        [2.0, 5.0],
        [-3.0, 0.0],
        [-5.0, -2.0],
        [0.0, 1.0],
        [5.0, 2.0],
    ];
    for ab in edges {
        cases.push((42, 9, 0, top));
        params.push(ab);
    }
    let n = cases.len();
    let cpu: Vec<f32> = (n - edges.len()..n)
        .map(|j| {
            random_value(
                RandomKind::Uniform,
                42,
                9,
                0,
                top,
                params[j][0],
                params[j][1],
            )
        })
        .collect();
    assert_eq!(cpu[0], 4.999_999_5, "below 5");
    assert!(cpu[1] < 0.0 && cpu[2] < -2.0 && cpu[4] > 2.0);
    assert_eq!(cpu[3], 1.0 - 2f32.powi(-24));
    let (g, c) = random_draws(
        gpu,
        "cj_uniform(key, inp(2u), inp(3u), inp(4u), a, b)",
        RandomKind::Uniform,
        &cases,
        &params,
    );
    same_bits("Uniform", &g, &c, &|j| {
        format!("{:?} {:?}", cases[j], params[j])
    });
}

// Tolerances for the draws that go through ln, sqrt, cos and exp. The logs
// are cj_ln, within 1 ulp of the CPU's (tested below), but sqrt, cos and exp
// are the driver's: WGSL (Vulkan underneath) does not ask for correctly
// rounded transcendentals (cos is only held to an absolute 2^-11, exp to
// 3 + 2|x| ulps), and drivers differ. The bounds are what a desktop GPU's
// cos (about 2^-21 absolute) and exp stay inside, tens of times what
// lavapipe needs (3 ulps on normal_pair, 8 on LogNormal, 2 on
// Exponential), and still catch any formula or operation-order mistake,
// which shows up as errors of 1e-3 or more. Uniform needs no tolerance.

/// Relative tolerance on a draw, about 80 ulps.
const REL: f32 = 1e-5;
/// Absolute tolerance on a standard normal r * cos(theta): cos's absolute
/// error times r (up to 5.8) matters near the zeros of cos.
const NORMAL_ABS: f32 = 1e-5;

fn normal_draws_are_close() {
    let gpu = gpu();
    let cases = draw_inputs(20_000);
    let mut rng = Mix(4);

    // The bare Box-Muller value, against normal_pair(..).0.
    let mut words = Vec::new();
    for &(seed, o, s, i) in &cases {
        let d = draw(seed, o, s, i);
        words.extend([d[0], d[1]]);
    }
    for _ in 0..2_000 {
        // u near 1 (r near 0, where log's error is magnified) and u near 0
        // (the largest r).
        words.extend([0xFFFF_0000 | (rng.u32() >> 16), rng.u32()]);
        words.extend([rng.u32() >> 12, rng.u32()]);
    }
    // Extremes: u01_open = 2^-24 (largest r) and 1 (r = 0), theta = 0.
    for (b0, b1) in [(0, 0), (u32::MAX, 0), (0, u32::MAX), (u32::MAX, u32::MAX)] {
        words.extend([b0, b1]);
    }
    let cpu: Vec<f32> = words.chunks(2).map(|b| normal_pair(b[0], b[1]).0).collect();
    let g: Vec<f32> = gpu
        .run(
            "putf32(0u, cj_normal(inp(0u), inp(1u)));",
            cpu.len(),
            2,
            1,
            &words,
        )
        .into_iter()
        .map(f32::from_bits)
        .collect();
    let seen = assert_close(
        &g,
        &cpu,
        Tol::abs_plus_rel(NORMAL_ABS, REL).specials(),
        "normal_pair.0",
    );
    eprintln!("normal_pair.0: {seen}");

    let params: Vec<[f32; 2]> = (0..cases.len())
        .map(|j| match j % 3 {
            0 => [0.0, 1.0],
            1 => [-60.0, 2.0],
            _ => [rng.f32_in(-10.0, 10.0), rng.f32_in(0.0, 5.0)],
        })
        .collect();
    let (g, c) = random_draws(
        gpu,
        "cj_normal_draw(key, inp(2u), inp(3u), inp(4u), a, b)",
        RandomKind::Normal,
        &cases,
        &params,
    );
    // sigma scales the standard normal's absolute error; mu + sigma * n may
    // round either way once n is off by an ulp, which is an ulp of mu when
    // the two nearly cancel (and a fused multiply-add, if any, moves it too).
    let seen = assert_close(
        &g,
        &c,
        |j: usize| {
            Tol::abs_plus_rel(REL * params[j][0].abs() + NORMAL_ABS * params[j][1], REL).specials()
        },
        "Normal",
    );
    eprintln!("Normal: {seen}");

    let params: Vec<[f32; 2]> = (0..cases.len())
        .map(|j| match j % 3 {
            0 => [0.0, 1.0],
            1 => [-1.0, 0.5],
            _ => [rng.f32_in(-3.0, 3.0), rng.f32_in(0.0, 1.0)],
        })
        .collect();
    let (g, c) = random_draws(
        gpu,
        "cj_lognormal_draw(key, inp(2u), inp(3u), inp(4u), a, b)",
        RandomKind::LogNormal,
        &cases,
        &params,
    );
    // exp turns an absolute error e in its argument into a relative error e,
    // on top of its own few ulps.
    let seen = assert_close(
        &g,
        &c,
        |j: usize| {
            Tol::abs_plus_rel(c[j].abs() * (REL + NORMAL_ABS * params[j][1]), 0.0).specials()
        },
        "LogNormal",
    );
    eprintln!("LogNormal: {seen}");
}

fn exponential_draw_is_close() {
    let gpu = gpu();
    let cases = draw_inputs(20_000);
    let mut rng = Mix(5);
    let params: Vec<[f32; 2]> = (0..cases.len())
        .map(|j| match j % 3 {
            0 => [1.0, 0.0],
            1 => [0.01, 0.0],
            _ => [rng.f32_in(0.001, 100.0), 0.0],
        })
        .collect();
    let (g, c) = random_draws(
        gpu,
        "cj_exponential_draw(key, inp(2u), inp(3u), inp(4u), a)",
        RandomKind::Exponential,
        &cases,
        &params,
    );
    // cj_ln (1 ulp) and a division (Vulkan allows 2.5 ulps): about 8 ulps
    // is plenty, even for u near 1, since cj_ln is accurate there too.
    let seen = assert_close(
        &g,
        &c,
        Tol::<f32>::abs_plus_rel(0.0, 1e-6).specials(),
        "Exponential",
    );
    eprintln!("Exponential: {seen}");
}

fn round_is_half_away_from_zero_and_exact() {
    let gpu = gpu();
    let mut xs: Vec<f32> = vec![
        0.5,
        -0.5,
        1.5,
        2.5,
        -2.5,
        -1.5,
        0.49999997,
        -0.49999997,
        0.50000006,
        1.4999999,
        8388607.5,
        -8388607.5,
        8388608.0,
        8388609.0,
        -8388609.0,
        16777217.0,
        1e30,
        -1e30,
        0.0,
        -0.0,
        -0.3,
        0.3,
        f32::MAX,
        f32::MIN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::MIN_POSITIVE,
    ];
    let mut rng = Mix(6);
    for _ in 0..20_000 {
        xs.push(rng.f32_in(-100.0, 100.0));
        // Random bit patterns cover every exponent (NaNs skipped: their
        // payloads are not ours to compare; denormals skipped: GPUs may
        // flush them).
        let x = f32::from_bits(rng.u32());
        if x.is_finite() && (x == 0.0 || x.is_normal()) {
            xs.push(x);
        }
        // Halves exactly.
        xs.push((rng.u32() % 20_000) as f32 * 0.5 - 5000.0);
    }
    let g = gpu.map_f32("cj_round(x)", &[&xs]);
    let c: Vec<f32> = xs.iter().map(|&x| Func::Round.apply(x, 0.0, 0.0)).collect();
    same_bits("Round", &g, &c, &|i| format!("x = {:e}", xs[i]));
    let g = gpu.map_f32("cj_round(x)", &[&[f32::NAN]]);
    assert!(g[0].is_nan(), "round(NaN) = {}", g[0]);
}

fn pow_sign_mod_and_b() {
    let gpu = gpu();
    let mut rng = Mix(7);

    // Exponents 1, 2 and 3 are plain multiplications: bit-identical, sign
    // included, on negative bases too.
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for j in 0..6_000 {
        let x = match j % 3 {
            0 => rng.f32_in(-100.0, 100.0),
            1 => rng.f32_in(-1.0, 1.0),
            _ => -rng.f32_in(0.0, 1e12),
        };
        xs.push(x);
        ys.push([1.0, 2.0, 3.0][(rng.u32() % 3) as usize]);
    }
    for (x, y) in [
        (-0.0, 3.0),
        (-0.0, 2.0),
        (-2.0, 3.0),
        (-7.5, 2.0),
        (-1e20, 2.0),
    ] {
        xs.push(x);
        ys.push(y);
    }
    let g = gpu.map_f32("cj_pow(x, y)", &[&xs, &ys]);
    let c: Vec<f32> = xs.iter().zip(&ys).map(|(&x, &y)| pow(x, y)).collect();
    same_bits("pow (1, 2, 3)", &g, &c, &|i| {
        format!("{:e} ^ {}", xs[i], ys[i])
    });

    // Other exponents go through the GPU's pow (exp2(y log2 x) in practice):
    // relative error grows with |y log2 x|; 1e-5 covers the range below.
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for _ in 0..6_000 {
        xs.push(rng.f32_in(0.0, 10.0));
        ys.push(rng.f32_in(-4.0, 4.0));
        // Negative bases with integer exponents: the CPU's powf gives a
        // signed real result, WGSL's pow() would be undefined.
        xs.push(-rng.f32_in(0.1, 10.0));
        ys.push((rng.u32() % 13) as f32 - 6.0);
    }
    let specials: [(f32, f32); 12] = [
        (2.0, 0.5),
        (0.0, 0.5),
        (0.0, 4.0),
        (-0.0, 5.0),
        (5.0, 0.0),
        (-5.0, 0.0),
        (-2.0, 4.0),
        (-2.0, 5.0),
        (-2.0, -1.0),
        (-2.0, -2.0),
        (10.0, -2.5),
        (-3.0, 7.0),
    ];
    for (x, y) in specials {
        xs.push(x);
        ys.push(y);
    }
    let g = gpu.map_f32("cj_pow(x, y)", &[&xs, &ys]);
    let c: Vec<f32> = xs.iter().zip(&ys).map(|(&x, &y)| pow(x, y)).collect();
    for i in 0..c.len() {
        assert_eq!(
            g[i].is_sign_negative(),
            c[i].is_sign_negative(),
            "sign of {:e} ^ {}: gpu {:e} cpu {:e}",
            xs[i],
            ys[i],
            g[i],
            c[i]
        );
    }
    let seen = assert_close(
        &g,
        &c,
        Tol::<f32>::abs_plus_rel(0.0, 1e-5).specials(),
        "pow (other exponents)",
    );
    eprintln!("pow (other exponents): {seen}");
    // Special values of IEEE pow that WGSL leaves undefined.
    let xs = [0.0f32, -0.0, 0.0, -0.0, -2.0, -8.0];
    let ys = [-1.0f32, -1.0, -2.0, -2.0, 0.5, 1.0 / 3.0];
    let g = gpu.map_f32("cj_pow(x, y)", &[&xs, &ys]);
    for i in 0..xs.len() {
        let c = pow(xs[i], ys[i]);
        assert!(
            g[i].to_bits() == c.to_bits() || (g[i].is_nan() && c.is_nan()),
            "{:e} ^ {:e}: gpu {:e} cpu {:e}",
            xs[i],
            ys[i],
            g[i],
            c
        );
    }

    // sign: exact, including zeros.
    let xs = [
        1.0f32,
        -1.0,
        0.0,
        -0.0,
        1e-30,
        -1e-30,
        f32::MAX,
        f32::NEG_INFINITY,
        f32::INFINITY,
        3.5,
        -7.25,
    ];
    let g = gpu.map_f32("cj_sign(x)", &[&xs]);
    let c: Vec<f32> = xs.iter().map(|&x| Func::Sign.apply(x, 0.0, 0.0)).collect();
    same_bits("Sign", &g, &c, &|i| format!("x = {:e}", xs[i]));
    let g = gpu.map_f32("cj_sign(x)", &[&[f32::NAN]]);
    assert_eq!(g[0], 0.0, "sign(NaN)");

    // mod: the truncated remainder, sign of the dividend, exact like Rust's
    // `%`, so bit-identical over the whole f32 range (subnormals included:
    // cj_mod works on the bits).
    let mut xs = vec![
        5.5f32, -5.5, 5.5, -5.5, 7.0, -7.0, 0.0, -0.0, 1.0, 2.5, 100.0, 0.3, 1e30, -1e38, 3e-39,
        -1e-45, 5.0, 5.0, -5.0, 6.0, -6.0, 1e-3,
    ];
    let mut ys = vec![
        2.0f32,
        2.0,
        -2.0,
        -2.0,
        7.0,
        7.0,
        3.0,
        3.0,
        3.0,
        0.75,
        0.1,
        0.1,
        3.0,
        1e-45,
        1e-45,
        3e-39,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::MAX,
        3.0,
        -3.0,
        7.0,
    ];
    for _ in 0..20_000 {
        // Model-sized operands, where a - b * trunc(a / b) mostly works...
        xs.push(rng.f32_in(-1000.0, 1000.0));
        ys.push(
            rng.f32_in(0.5, 100.0)
                * if rng.u32().is_multiple_of(2) {
                    1.0
                } else {
                    -1.0
                },
        );
        // ...and any bit patterns but NaN, where it does not.
        let (x, y) = (f32::from_bits(rng.u32()), f32::from_bits(rng.u32()));
        if x.is_finite() && y.is_finite() {
            xs.push(x);
            ys.push(y);
        }
        // Times and periods.
        xs.push((rng.u32() % 10_000_000) as f32 * 0.1);
        ys.push([0.1f32, 1.0, 0.25, 100.0, 33.3][(rng.u32() % 5) as usize]);
    }
    let g = gpu.map_f32("cj_mod(x, y)", &[&xs, &ys]);
    let c: Vec<f32> = xs
        .iter()
        .zip(&ys)
        .map(|(&x, &y)| Func::Modulo.apply(x, y, 0.0))
        .collect();
    same_bits("Modulo", &g, &c, &|i| format!("{:e} % {:e}", xs[i], ys[i]));
    // NaN wherever the CPU gives NaN.
    let xs = [1.0f32, f32::INFINITY, f32::NAN, 1.0, 0.0, -0.0];
    let ys = [0.0f32, 2.0, 2.0, f32::NAN, 0.0, -0.0];
    let g = gpu.map_f32("cj_mod(x, y)", &[&xs, &ys]);
    for i in 0..xs.len() {
        assert!(Func::Modulo.apply(xs[i], ys[i], 0.0).is_nan());
        assert!(g[i].is_nan(), "{:e} % {:e}: gpu {:e}", xs[i], ys[i], g[i]);
    }

    // b: bool to 1.0 / 0.0.
    let xs = [1.0f32, -1.0, 0.0, 2.0];
    let g = gpu.map_f32("cj_b(x > 0.0) + 10.0 * cj_b(x < 0.0)", &[&xs]);
    assert_eq!(g, vec![1.0, 10.0, 0.0, 1.0]);
}

fn ln_is_within_an_ulp() {
    let gpu = gpu();
    // Every value u01_open can take (all 2^24), then positive normals
    // across the whole range.
    let mut xs: Vec<f32> = (0..1u32 << 24).map(|k| u01_open(k << 8)).collect();
    let mut rng = Mix(8);
    for _ in 0..100_000 {
        let x = f32::from_bits(rng.u32() & 0x7FFF_FFFF);
        if x.is_normal() {
            xs.push(x);
        }
    }
    xs.extend([
        f32::MIN_POSITIVE,
        f32::MAX,
        1.0,
        2.0,
        0.5,
        std::f32::consts::E,
    ]);
    // The twin is the CPU's; it is within an ulp of libm's (lang::ir's
    // own test).
    let g = gpu.map_f32("cj_ln(x)", &[&xs]);
    let cpu: Vec<f32> = xs.iter().map(|&x| cajal::lang::ir::ln_normal(x)).collect();
    same_bits("cj_ln", &g, &cpu, &|i| format!("ln({:e})", xs[i]));
    // cj_log: the special values go to the adapter's own log.
    let special = [0.0f32, -1.0, f32::INFINITY, 1.5, 1e-3];
    let g = gpu.map_f32("cj_log(x)", &[&special]);
    assert_eq!(g[0], f32::NEG_INFINITY);
    assert!(g[1].is_nan());
    assert_eq!(g[2], f32::INFINITY);
    assert_eq!(g[3], cajal::lang::ir::ln(1.5));
    assert_eq!(g[4], cajal::lang::ir::ln(1e-3));
}

fn sin_and_cos_are_the_cpu_twins() {
    // Cephes' sinf and cosf on both engines, the same bits for |x| <=
    // 8192 (at the octant boundaries too), and past it through Payne and
    // Hanek's reduction.
    let gpu = gpu();
    let mut rng = Mix(33);
    let mut xs: Vec<f32> = (0..400_000).map(|_| rng.f32_in(-8192.0, 8192.0)).collect();
    xs.extend((0..100_000).map(|_| rng.f32_in(-7.0, 7.0)));
    for k in -40..=40 {
        let b = k as f32 * std::f32::consts::FRAC_PI_4;
        for d in -2..=2 {
            xs.push(f32::from_bits((b.to_bits() as i32 + d) as u32));
        }
    }
    xs.extend([
        0.0,
        -0.0,
        8192.0,
        -8192.0,
        1e-30,
        -1e-30,
        f32::MAX,
        -f32::MAX,
    ]);
    // Past 8192 (Payne and Hanek's reduction), every binade.
    for _ in 0..200_000 {
        let x = f32::from_bits(rng.u32() & 0xfeff_ffff | 0x4600_0000);
        if x.is_finite() {
            xs.push(x);
        }
    }
    // Stepping below +0.0 wraps to NaN, whose payloads may differ, and
    // above it to subnormals, which an adapter may flush to zero.
    xs.retain(|x| x.is_normal() || *x == 0.0);
    let g = gpu.map_f32("cj_sin(x)", &[&xs]);
    let cpu: Vec<f32> = xs.iter().map(|&x| cajal::lang::ir::sin(x)).collect();
    same_bits("cj_sin", &g, &cpu, &|i| format!("sin({:e})", xs[i]));
    let g = gpu.map_f32("cj_cos(x)", &[&xs]);
    let cpu: Vec<f32> = xs.iter().map(|&x| cajal::lang::ir::cos(x)).collect();
    same_bits("cj_cos", &g, &cpu, &|i| format!("cos({:e})", xs[i]));
}

fn tanh_is_the_cpu_twin() {
    // Cephes' tanhf over cj_exp and cj_div on both engines: the same bits
    // over the polynomial's range, the exponential's, and at their
    // boundaries (0.625 and 44.36142, a few floats either side).
    let gpu = gpu();
    let mut rng = Mix(41);
    let mut xs: Vec<f32> = (0..200_000).map(|_| rng.f32_in(-1.0, 1.0)).collect();
    xs.extend((0..200_000).map(|_| rng.f32_in(-50.0, 50.0)));
    for _ in 0..100_000 {
        let x = f32::from_bits(rng.u32());
        if x.is_normal() {
            xs.push(x);
        }
    }
    for b in [0.625f32, 44.361_42, 9.0] {
        for d in -3..=3 {
            let x = f32::from_bits((b.to_bits() as i32 + d) as u32);
            xs.extend([x, -x]);
        }
    }
    xs.extend([
        0.0,
        -0.0,
        f32::MIN_POSITIVE,
        -f32::MIN_POSITIVE,
        f32::MAX,
        -f32::MAX,
    ]);
    let g = gpu.map_f32("cj_tanh(x)", &[&xs]);
    let cpu: Vec<f32> = xs.iter().map(|&x| cajal::lang::ir::tanh(x)).collect();
    same_bits("cj_tanh", &g, &cpu, &|i| format!("tanh({:e})", xs[i]));
}

fn division_is_rounded_as_ieee_from_any_estimate() {
    // cj_div must give the CPU's IEEE quotient on an adapter whose own
    // division is a few ulps off (NVIDIA's). Lavapipe divides exactly, so
    // the correction (cj_quot) is also fed estimates up to 3 ulps off
    // either way, which it must bring back to the nearest float.
    let gpu = gpu();
    let mut rng = Mix(21);
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    let mut push = |x: f32, y: f32| {
        xs.push(x);
        ys.push(y);
    };
    for _ in 0..200_000 {
        // Any finite floats, so that exponents meet at the normal range's
        // ends, subnormals and overflow too.
        let x = f32::from_bits(rng.u32());
        let y = f32::from_bits(rng.u32());
        if x.is_finite() && y.is_finite() {
            push(x, y);
        }
    }
    for _ in 0..200_000 {
        push(rng.f32_in(-100.0, 100.0), rng.f32_in(-10.0, 10.0));
    }
    for &(x, y) in &[
        (1.0, 3.0),
        (-7.0, 7.0),
        (0.0, 5.0),
        (5.0, 0.0),
        (1.0, f32::MIN_POSITIVE),
        (f32::MAX, 0.5),
        (f32::MIN_POSITIVE, 3.0),
        (1e-39, 1.0),
        (1.0, 1e-39),
        (f32::INFINITY, 2.0),
        (2.0, f32::NEG_INFINITY),
    ] {
        push(x, y);
    }
    let g = gpu.map_f32("cj_div(x, y)", &[&xs, &ys]);
    let cpu: Vec<f32> = xs.iter().zip(&ys).map(|(x, y)| x / y).collect();
    // Subnormal quotients go to the driver's own division, which may flush
    // them; every other quotient is the IEEE one.
    let normal_or_special = |q: f32| q == 0.0 || q.is_normal() || !q.is_finite();
    let (gk, ck): (Vec<f32>, Vec<f32>) = g
        .iter()
        .zip(&cpu)
        .zip(xs.iter().zip(&ys))
        .filter(|((_, c), (x, y))| {
            normal_or_special(**c) && normal_or_special(**x) && normal_or_special(**y)
        })
        .map(|((g, c), _)| (*g, *c))
        .unzip();
    assert!(gk.len() > 300_000, "{} cases left", gk.len());
    same_bits("cj_div", &gk, &ck, &|i| format!("case {i}"));

    // Mantissas in ±[1, 2) with estimates k ulps off.
    let (mut a, mut b, mut q0, mut want) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..300_000u32 {
        let s = |neg: bool| if neg { -1.0f32 } else { 1.0 };
        let ma = rng.f32_in(1.0, 2.0) * s(i % 3 == 0);
        let mb = rng.f32_in(1.0, 2.0) * s(i % 5 == 0);
        let q = ma / mb;
        let k = (i % 7) as i32 - 3;
        a.push(ma);
        b.push(mb);
        q0.push(f32::from_bits((q.to_bits() as i32 + k) as u32));
        want.push(q);
    }
    let g = gpu.map_f32("cj_quot(x, y, z)", &[&a, &b, &q0]);
    same_bits("cj_quot", &g, &want, &|i| {
        format!("{:e} / {:e} from {:e}", a[i], b[i], q0[i])
    });

    // The scale of a tiny divisor, from the bits of subnormals too.
    let tiny: Vec<f32> = (0..100_000u32)
        .map(|i| f32::from_bits(rng.u32() & 0x80ff_ffff | (i & 1) << 23))
        .collect();
    let g = gpu.map_f32("cj_times_2_64(x)", &[&tiny]);
    let want: Vec<f32> = tiny
        .iter()
        .map(|&y| y * cajal::engine::cpu::vm::TINY_DIVISOR_SCALE)
        .collect();
    same_bits("cj_times_2_64", &g, &want, &|i| format!("{:e}", tiny[i]));
}

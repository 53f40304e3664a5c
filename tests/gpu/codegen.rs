//! The WGSL code generator, without a GPU: every generated kernel of every
//! built-in model and of a set of odd custom models validates with naga,
//! with float atomics and with the compare-exchange fallback; a codegen
//! bug surfaces as an error carrying the source; the Rust twins of WGSL
//! structs have the same layout.

use crate::common::{tests, validate_all};
use cajal::engine::gpu::codegen::{self, Kernel};
use cajal::engine::gpu::{Clock, Sampling};
use cajal::prelude::*;
use cajal::real::Dtype;

tests! {
    cpu: [
        every_builtin_neuron_model_generates_valid_wgsl,
        odd_models_generate_valid_wgsl,
        a_codegen_bug_is_an_error_with_the_source,
        repr_c_structs_match_their_wgsl_twins,
        float_literals_round_trip_exactly,
    ],
}

fn every_builtin_neuron_model_generates_valid_wgsl() {
    for name in cajal::models::builtin_names() {
        let model = cajal::models::builtin(name).unwrap();
        let mut net = Network::new().dt(0.1);
        let a = net.population("a", 10, &model).unwrap();
        let b = net.population("b", 7, &model).unwrap();
        net.monitor(a, &["spike"]).ok();
        // Whatever inputs the model reads: conductances or sums.
        let ir = &net
            .find("a")
            .map(|id| net.pop(id).unwrap().ir.clone())
            .unwrap();
        for (target, _, _) in &ir.conductances {
            net.projection(a, b, target)
                .delays(Delays::random(Dist::uniform(0.1, 2.0)))
                .connect_fixed_probability(0.5, Weights::constant(0.1))
                .unwrap();
        }
        for target in &ir.targets {
            net.projection(a, b, target)
                .delays(1.0)
                .connect_all_to_all(Weights::constant(0.1))
                .unwrap();
        }
        let vars: Vec<String> = ir.public_names().iter().map(|s| s.to_string()).collect();
        let vars: Vec<&str> = vars.iter().map(|s| s.as_str()).collect();
        net.monitor(b, &vars).unwrap();
        validate_all(&net);
    }
}

fn odd_models_generate_valid_wgsl() {
    let odd_rate = Neuron::rate()
        .name("odd rate")
        .parameters("tau = 10.0 : population\nk = 2 : int\nflag = true : bool\nb = 0.5")
        .equations(
            "noise = Uniform(-1.0, 1.0) + Normal(0.0, 0.1) + LogNormal(0.0, 0.1) + Exponential(2.0)
tau * dv/dt = -v + sum(exc) - sum(inh) + b * noise : min = -5.0, max = 5.0, rk4
dw/dt = -w / tau + ite(v > 0.5, 1.0, 0.0) : midpoint
y = if v > 0.2 then v else -v
r = clip(pos(v), 0.0, 1.0) + ite(flag, round(v), floor(w)) + ceil(v) + sign(w) + abs(v)^2 + v^3 + pow(w, 1.5) + modulo(v, 0.3) + t / 100.0
x = exp(-v) + log(1.0 + abs(v)) + sqrt(abs(w)) + sin(v) * cos(w) + tanh(v) + tan(0.1*v) + asin(0.1) + acos(0.2) + atan(v) + sinh(0.1*v) + cosh(0.1*w) + neg(v) + min(v, w) + max(v, w) + (v / tau) + (v / b)",
        );
    let odd_spike = Neuron::spiking()
        .name("odd spike")
        .parameters("tau = 10.0\nt_ref = 2.0 : population\nEl = -60.0")
        .equations(
            "tau * dv/dt = El - v + g_exc - g_inh + 20.0 * Uniform(0.0, 1.0) : init = -60.0, implicit
dg_exc/dt = -g_exc / 5.0 : exponential
tau * du/dt = -u + (v - El) * 0.1 : explicit",
        )
        .spike("v > -50.0 and u < 10.0")
        .reset("v = El\nu += 1.0")
        .refractory_expr("t_ref");
    let stdp_like = Synapse::new()
        .name("counting")
        .parameters("scale = 0.5\ninc = 0.01 : projection")
        .pre_spike(
            "g_target += w * scale * pre.u\nw += inc * Uniform(0.0, 1.0)\ng_target -= -w / scale",
        );
    let psp = Synapse::new()
        .name("log psp")
        .psp("w * log(1.0 + abs(pre.r)) + post.b * pre.v");
    let mut net = Network::new().dt(0.1);
    let r1 = net.population("r1", &[4usize, 5][..], &odd_rate).unwrap();
    let r2 = net.population("r2", 33, &odd_rate).unwrap();
    let s1 = net.population("s1", 65, &odd_spike).unwrap();
    let s2 = net.population("s2", 1, &odd_spike).unwrap();
    for op in [
        Operation::Sum,
        Operation::Max,
        Operation::Min,
        Operation::Mean,
    ] {
        net.projection(r1, r2, "exc")
            .name(&format!("{op:?}"))
            .synapse(&psp.clone().operation(op))
            .delays(Delays::random(Dist::uniform(0.1, 1.5)))
            .connect_all_to_all(Weights::random(Dist::uniform(0.0, 1.0)))
            .unwrap();
    }
    net.projection(r2, r2, "inh")
        .delays(2.0)
        .connect_fixed_number_pre(3, Weights::constant(0.2))
        .unwrap();
    net.projection(s1, s1, "exc")
        .synapse(&stdp_like)
        .delays(Delays::random(Dist::uniform(0.1, 3.0)))
        .connect_fixed_probability(0.2, Weights::constant(0.5))
        .unwrap();
    net.projection(s1, s2, "exc")
        .connect_all_to_all(Weights::constant(0.5))
        .unwrap();
    net.projection(s2, s1, "inh")
        .synapse(&stdp_like)
        .delays(0.3)
        .connect_all_to_all(Weights::constant(0.5))
        .unwrap();
    net.monitor(r2, &["v", "r", "tau"]).unwrap();
    net.monitor(s1, &["spike", "v", "g_exc"]).unwrap();
    validate_all(&net);
}

fn a_codegen_bug_is_an_error_with_the_source() {
    let k = Kernel {
        name: "neuron_update[population 'broken']".into(),
        source: "fn main() { let x: f32 = 1u; }".into(),
        body: String::new(),
        dtype: Dtype::F32,
    };
    let e = codegen::validate(&k, true).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, Error::Codegen { .. }), "{msg}");
    assert!(
        msg.contains("broken") && msg.contains("let x: f32 = 1u"),
        "{msg}"
    );
}

/// The byte offset of each member of a WGSL struct, from naga's layouter.
fn wgsl_layout(src: &str, name: &str) -> (Vec<u32>, u32) {
    let module = naga::front::wgsl::parse_str(src).unwrap();
    let mut layouter = naga::proc::Layouter::default();
    layouter.update(module.to_ctx()).unwrap();
    for (h, ty) in module.types.iter() {
        if ty.name.as_deref() == Some(name) {
            if let naga::TypeInner::Struct { members, span } = &ty.inner {
                let _ = &layouter[h];
                return (members.iter().map(|m| m.offset).collect(), *span);
            }
        }
    }
    panic!("struct {name} not found");
}

fn repr_c_structs_match_their_wgsl_twins() {
    // The Rust `Clock` is the block's head; the constants follow it, four
    // to a vec4, and the host writes them there (`clock_block`).
    for n_consts in [0usize, 1, 4, 5, 9] {
        let vec4s = n_consts.div_ceil(4);
        let (offsets, span) = wgsl_layout(&codegen::clock(vec4s, Dtype::F32), "Clock");
        assert_eq!(
            offsets,
            vec![
                std::mem::offset_of!(Clock, step) as u32,
                std::mem::offset_of!(Clock, row) as u32,
                std::mem::offset_of!(Clock, t) as u32,
                std::mem::offset_of!(Clock, pad0) as u32,
                std::mem::offset_of!(Clock, key) as u32,
                std::mem::offset_of!(Clock, ring) as u32,
                std::mem::offset_of!(Clock, pad1) as u32,
                std::mem::size_of::<Clock>() as u32,
            ]
        );
        assert_eq!(
            u64::from(span),
            cajal::engine::gpu::clock_block(n_consts, Dtype::F32)
        );
        // In f64: the same head, the time in f64 after it, the constants
        // where the host writes them.
        let (offsets, span) = wgsl_layout(&codegen::clock(vec4s, Dtype::F64), "Clock");
        assert_eq!(offsets[..7], [0, 4, 8, 12, 16, 24, 28]);
        assert_eq!(
            offsets[7..],
            [
                cajal::engine::gpu::CLOCK64_T as u32,
                cajal::engine::gpu::CLOCK64_CONSTS as u32
            ]
        );
        assert_eq!(
            u64::from(span),
            cajal::engine::gpu::clock_block(n_consts, Dtype::F64)
        );
    }
    let src = format!(
        "{}\n{}",
        codegen::clock(1, Dtype::F32),
        "struct Sampling { first: u32, period: u32, }"
    );
    let (offsets, span) = wgsl_layout(&src, "Sampling");
    assert_eq!(
        offsets,
        vec![
            std::mem::offset_of!(Sampling, first) as u32,
            std::mem::offset_of!(Sampling, period) as u32
        ]
    );
    assert_eq!(span as usize, std::mem::size_of::<Sampling>());
    // The record template declares the same struct.
    assert!(include_str!("../../shaders/record.wgsl")
        .contains("struct Sampling {\n    first: u32,\n    period: u32,\n}"));
}

fn float_literals_round_trip_exactly() {
    for x in [
        0.1f32,
        1.0 / 3.0,
        1e-30,
        3.4e38,
        -2.5,
        0.0,
        -0.0,
        1e-45,
        f32::MIN_POSITIVE,
    ] {
        let src = format!("const X: f32 = {};", codegen::lit(x));
        let m = naga::front::wgsl::parse_str(&src).unwrap();
        let (_, c) = m.constants.iter().next().unwrap();
        let v = match m.global_expressions[c.init] {
            naga::Expression::Literal(naga::Literal::F32(v)) => v,
            ref e => panic!("{x}: {e:?}"),
        };
        assert_eq!(v.to_bits(), x.to_bits(), "{x}");
    }
}

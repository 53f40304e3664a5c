//! Helpers shared by the test binaries (each includes this folder as its
//! `common` module): the harness ([`harness`]: how tests are listed, run,
//! and ignored without a GPU adapter), closeness ([`compare`]: `close`,
//! `assert_close`, `lockstep`, with a `Tol` saying how close) and small
//! networks.

#![allow(dead_code)]

pub mod compare;
pub mod distributed;
pub mod harness;

// Not every binary uses every helper.
#[allow(unused_imports)]
pub use compare::{assert_close, close, lockstep, Tol};
pub(crate) use harness::tests;
#[allow(unused_imports)]
pub use harness::{backends, gpu_trial, skip, temp_path, test_name};

use cajal::prelude::*;

/// ANNarchy's output for a reference test: the JSON file at `path` under
/// `tests/data/annarchy/` (written by the script beside it).
pub fn annarchy_json(path: &str) -> serde_json::Value {
    let file = format!("{}/tests/data/annarchy/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// A JSON array of numbers.
pub fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|x| x.as_f64().unwrap_or_else(|| panic!("not a number: {x}")))
        .collect()
}

/// `net` compiled for `b`, the GPU engine in its deterministic mode: its
/// float atomics add a step's spikes in the order threads arrive, which a
/// real GPU varies from run to run (lavapipe happens not to), so a test
/// that compares GPU runs bit for bit, with each other or with the CPU
/// engine, orders them.
pub fn compile_ordered(net: &Network, b: Backend) -> cajal::Result<Simulation> {
    match b {
        Backend::Gpu => net.compile_gpu(&cajal::engine::gpu::GpuOptions {
            deterministic: true,
            ..Default::default()
        }),
        _ => net.compile(b),
    }
}

/// Plans `net` for the GPU (with and without float atomics) and validates
/// every generated kernel with naga, no device needed; returns the kernel
/// names.
pub fn validate_all(net: &Network) -> Vec<String> {
    let mut names = Vec::new();
    for atomics in [true, false] {
        let p = cajal::engine::gpu::plan(net, atomics).unwrap();
        let kernels = p.kernels();
        assert!(!kernels.is_empty());
        for k in kernels {
            if let Err(e) = cajal::engine::gpu::codegen::validate(k, atomics) {
                panic!("{e}");
            }
            names.push(k.name.clone());
        }
    }
    names
}

/// Spikes at its own times: parameters t1 and t2 (ms, -1 for none).
pub fn clock() -> Neuron {
    Neuron::spiking()
        .parameters("t1 = -1.0\nt2 = -1.0")
        .spike("(t == t1) or (t == t2)")
}

/// Spikes every `period` steps (at steps period - 1, 2 period - 1, ...).
pub fn periodic(period: f32) -> Neuron {
    Neuron::spiking()
        .name("clock")
        .parameters(&format!("period = {period}"))
        .equations("c += 1.0")
        .spike("c >= period")
        .reset("c = 0.0")
}

/// Keeps in `e` and `i` what its conductances g_exc and g_inh received
/// this step; never spikes.
pub fn receiver_ei() -> Neuron {
    Neuron::spiking()
        .equations("e = g_exc\ni = g_inh")
        .spike("e > 1e9")
}

/// Every variable and `sum(target)` of every population and every
/// per-synapse variable of every projection (convolutions store none), by
/// name.
pub fn state(sim: &Simulation) -> Vec<(String, Vec<f32>)> {
    let net = sim.network();
    let mut out = Vec::new();
    for p in net.populations() {
        let pop = net.pop(p).unwrap();
        for v in pop
            .ir
            .vars
            .iter()
            .filter(|v| v.kind != cajal::lang::ir::VarKind::Hidden)
        {
            let a = sim.get(p, &v.name).unwrap();
            out.push((
                format!("{}.{}", pop.name, v.name),
                a.iter().copied().collect(),
            ));
        }
        for t in &pop.ir.targets {
            let a = sim.sum(p, t).unwrap();
            out.push((
                format!("{}.sum({t})", pop.name),
                a.iter().copied().collect(),
            ));
        }
    }
    for q in net.projections() {
        let proj = net.proj(q).unwrap();
        if proj.conv.is_some() {
            continue;
        }
        for v in proj
            .ir
            .vars
            .iter()
            .filter(|v| v.kind != cajal::lang::ir::VarKind::Hidden)
        {
            let (_, _, vals) = sim.synapses(q, &v.name).unwrap();
            out.push((format!("{}.{}", proj.name, v.name), vals));
        }
    }
    out
}

//! Helpers shared by the integration tests: which engines to run on.
//! Without a GPU adapter the GPU half of a test is skipped with a line on
//! stderr, unless `CAJAL_REQUIRE_GPU=1` (set in CI), which makes it fail.

#![allow(dead_code)]

use cajal::prelude::*;

/// Whether a GPU adapter is there; says SKIPPED for `what` if not.
pub fn have_gpu(what: &str) -> bool {
    if !cajal::devices().is_empty() {
        return true;
    }
    if std::env::var("CAJAL_REQUIRE_GPU").as_deref() == Ok("1") {
        panic!("{what}: no GPU adapter and CAJAL_REQUIRE_GPU=1");
    }
    // Straight to stderr: the test harness hides eprintln! of passing tests.
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED (no GPU adapter): {what}");
    false
}

/// The CPU engine, and the GPU engine when there is an adapter.
pub fn backends() -> Vec<Backend> {
    let mut v = vec![Backend::Cpu];
    if have_gpu("the GPU half of this test") {
        v.push(Backend::Gpu);
    }
    v
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

/// Keeps in `e` and `i` what its conductances g_exc and g_inh received
/// this step; never spikes.
pub fn receiver_ei() -> Neuron {
    Neuron::spiking()
        .equations("e = g_exc\ni = g_inh")
        .spike("e > 1e9")
}

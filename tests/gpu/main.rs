//! The `gpu` test binary: the GPU engine itself. The WGSL it generates,
//! validated with naga without a device (`codegen`); `shaders/common.wgsl`
//! against its Rust twins (`wgsl_common`); CPU-vs-GPU conformance of every
//! built-in model, integration method, projection kind and run control
//! (`gpu_conformance`); merged kernels (`merge`); adapters, limits and the
//! random streams (`gpu_engine`); every kernel alone on both engines
//! (`kernels`); the schedule (`schedule`); binding tables against naga
//! (`codegen_bindings`); reproducible runs (`determinism`); distributed
//! runs on GPU ranks (`distributed`); the f64 functions against std and
//! `shaders/math64.wgsl` against them (`math64`). Most of these
//! tests are `[gpu]`: ignored without an adapter, failed without one under
//! `CAJAL_REQUIRE_GPU=1`.
//!
//! The harness is libtest-mimic's (tests/common/harness.rs): each module
//! lists its tests in `tests!` (`cpu`, `gpu` or `both`); `[gpu]` trials are
//! ignored without a GPU adapter and fail without one when
//! `CAJAL_REQUIRE_GPU=1`. `cargo test --release --test gpu -- NAME` runs
//! the tests whose name (`module::function`) contains NAME.

#[path = "../common/mod.rs"]
mod common;

mod bind_by_name;
mod codegen;
mod codegen_bindings;
mod common64;
mod determinism;
mod distributed;
mod gpu_conformance;
mod gpu_engine;
mod kernels;
mod math64;
mod merge;
mod precision64;
mod schedule;
mod strategies;
mod wgsl_common;

fn main() {
    common::harness::main(&[
        bind_by_name::tests,
        codegen::tests,
        codegen_bindings::tests,
        common64::tests,
        determinism::tests,
        distributed::tests,
        gpu_conformance::tests,
        gpu_engine::tests,
        kernels::tests,
        math64::tests,
        merge::tests,
        precision64::tests,
        schedule::tests,
        strategies::tests,
        wgsl_common::tests,
    ]);
}

//! The `language` test binary: the model description layer, run on the CPU
//! engine, with expectations computed independently here: the equation
//! language and its errors (`language`), the built-in neuron models
//! (`models`), the parser and analysis under random bad input (`fuzz`),
//! large generated models (`large`), where errors point (`locations`),
//! shared parameters through JSON (`parameters`), `Network::report`
//! (`report`) and spike-train analysis (`analysis`).
//!
//! The harness is libtest-mimic's (tests/common/harness.rs): each module
//! lists its tests in `tests!` (`cpu`, `gpu` or `both`); `[gpu]` trials are
//! ignored without a GPU adapter and fail without one when
//! `CAJAL_REQUIRE_GPU=1`. `cargo test --release --test language -- NAME` runs
//! the tests whose name (`module::function`) contains NAME.

#[path = "../common/mod.rs"]
mod common;

mod analysis;
mod fuzz;
mod language;
mod large;
mod locations;
mod models;
mod parameters;
mod report;

fn main() {
    common::harness::main(&[
        analysis::tests,
        fuzz::tests,
        language::tests,
        large::tests,
        locations::tests,
        models::tests,
        parameters::tests,
        report::tests,
    ]);
}

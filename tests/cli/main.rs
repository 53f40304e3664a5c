//! The `cli` test binary: the `cajal` command line, run as a user runs it
//! (`cli`).
//!
//! The harness is libtest-mimic's (tests/common/harness.rs): each module
//! lists its tests in `tests!` (`cpu`, `gpu` or `both`); `[gpu]` trials are
//! ignored without a GPU adapter and fail without one when
//! `CAJAL_REQUIRE_GPU=1`. `cargo test --release --test cli -- NAME` runs
//! the tests whose name (`module::function`) contains NAME.

#[path = "../common/mod.rs"]
mod common;

mod cli;

fn main() {
    common::harness::main(&[cli::tests]);
}

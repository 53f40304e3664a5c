//! The `robustness` test binary, an external-style suite (issue 22):
//! generated models checked against an f64 evaluation of the same
//! expressions (`models`, on the expressions of `expr`), damaged saved
//! states, connectivity and parameter files (`damaged`), and absurd sizes
//! under a memory cap, in a child process (`absurd`). Everything is
//! seeded: the same models, damage and sizes on every run, so the counts
//! the README's "Reliability" section quotes are the suite's.
//!
//! The harness is libtest-mimic's (tests/common/harness.rs); `cargo test
//! --release --test robustness -- NAME` runs the tests whose name contains
//! NAME. The binary is also the child of `absurd` (see there): with
//! `CAJAL_ROBUSTNESS_CHILD` set it runs one absurd case and exits.

#[path = "../common/mod.rs"]
mod common;

mod absurd;
mod damaged;
mod expr;
mod models;

/// `CAJAL_ROBUSTNESS_SCALE=k` makes k times as many models and damaged
/// files (the first ones the same), for a deeper run than CI's.
pub fn scale() -> usize {
    std::env::var("CAJAL_ROBUSTNESS_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
}

fn main() {
    if let Ok(case) = std::env::var(absurd::CHILD) {
        absurd::child(&case);
    }
    common::harness::main(&[models::tests, damaged::tests, absurd::tests]);
}

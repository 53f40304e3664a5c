#!/usr/bin/env bash
# Every test: the Rust suite (cargo test --release), the distributed runs
# over MPI (tests/mpi/run: skipped without mpirun), then the Python
# package's (tests/python/run: builds the wheel into a venv under target/
# and runs pytest). Arguments (a filter, options after --) go to both
# cargo test commands. CI runs this with
# CAJAL_REQUIRE_GPU=1 and CAJAL_REQUIRE_MPI=1.
set -euo pipefail
cd "$(dirname "$0")"
# --tests and --doc: every test target and the documentation's examples,
# without linking the 34 example programs as a bare `cargo test` does
# (clippy --all-targets in CI checks they compile; tests/mpi/run and
# tests/python build the two they run).
cargo test --release --tests "$@"
cargo test --release --doc "$@"
tests/mpi/run
tests/python/run

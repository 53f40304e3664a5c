#!/usr/bin/env bash
# Every test: the Rust suite (cargo test --release), the distributed runs
# over MPI (tests/mpi/run: skipped without mpirun), then the Python
# package's (tests/python/run: builds the wheel into a venv under target/
# and runs pytest). Arguments go to cargo test. CI runs this with
# CAJAL_REQUIRE_GPU=1 and CAJAL_REQUIRE_MPI=1.
set -euo pipefail
cd "$(dirname "$0")"
cargo test --release "$@"
tests/mpi/run
tests/python/run

//! The `engines` test binary: the simulator's features, each on both engines
//! (a `both` test is a CPU trial and a `[gpu]` trial that also compares the
//! GPU engine with the CPU engine): connectors, delays, monitors and the
//! network API (`network`) and its defaults and conversions (`defaults`),
//! stepping, seeds, inputs, timed inputs, views, callbacks, network
//! constants and functions (`constants`), reading monitors and monitors of
//! synapses (`monitors`), synaptic values set from distributions
//! (`synapse_values`), save/load, parallel runs, batches, convolutions
//! (`conv`, `conv_api`), rate and spiking plasticity (`plasticity`,
//! `stdp`), hybrid networks, population variables and
//! correlated trains (`correlated`), double precision (`precision`),
//! procedural connectivity, shared
//! weights, and ml_genn's models, inputs, readouts, few-spike conversion
//! and the digit classifier (`mlgenn`, `mlgenn_input`, `readout`,
//! `convert`, `snn_classifier`), TensorBoard logging (`tensorboard`:
//! read back by TensorBoard's reader in a Python venv made once under the
//! target directory), ANNarchy's ANN-to-SNN conversion (`ann_to_snn`),
//! BOLD monitors (`bold`) and image and video populations (`image`).
//!
//! The harness is libtest-mimic's (tests/common/harness.rs): each module
//! lists its tests in `tests!` (`cpu`, `gpu` or `both`); `[gpu]` trials are
//! ignored without a GPU adapter and fail without one when
//! `CAJAL_REQUIRE_GPU=1`. `cargo test --release --test engines -- NAME` runs
//! the tests whose name (`module::function`) contains NAME.

#[path = "../common/mod.rs"]
mod common;

mod ann_to_snn;
mod batch;
mod bold;
mod callbacks;
mod conditionals;
mod constants;
mod conv;
mod conv_api;
mod convert;
mod correlated;
mod defaults;
mod distributed;
mod firing_rate;
mod hybrid;
mod image;
mod inputs;
mod mlgenn;
mod mlgenn_input;
mod monitors;
mod network;
mod numerics;
mod parallel;
mod plasticity;
mod precision;
mod procedural;
mod readout;
mod save_load;
mod shared_weights;
mod snn_classifier;
mod stdp;
mod stepping;
mod structural;
mod synapse_equations;
mod synapse_values;
mod targets;
mod tensorboard;
mod thread_ranks;
mod timed;
mod views;

fn main() {
    common::harness::main(&[
        ann_to_snn::tests,
        batch::tests,
        bold::tests,
        callbacks::tests,
        constants::tests,
        conditionals::tests,
        conv::tests,
        conv_api::tests,
        convert::tests,
        correlated::tests,
        defaults::tests,
        distributed::tests,
        firing_rate::tests,
        hybrid::tests,
        image::tests,
        inputs::tests,
        mlgenn::tests,
        mlgenn_input::tests,
        monitors::tests,
        network::tests,
        numerics::tests,
        parallel::tests,
        plasticity::tests,
        precision::tests,
        procedural::tests,
        readout::tests,
        save_load::tests,
        shared_weights::tests,
        snn_classifier::tests,
        stdp::tests,
        stepping::tests,
        structural::tests,
        synapse_equations::tests,
        synapse_values::tests,
        targets::tests,
        tensorboard::tests,
        thread_ranks::tests,
        timed::tests,
        views::tests,
    ]);
}

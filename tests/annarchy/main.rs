//! The `annarchy` test binary: published results reproduced. ANNarchy
//! 5.0.4.1's reference traces of an IF_curr_exp neuron, spike steps exactly
//! and v to 1e-3 mV (`annarchy_reference`); the COBA network's rate as in
//! ANNarchy's and Brian2's examples (`coba`); bar learning as in ANNarchy's
//! notebook (`bar_learning`); network constants changed after compile and
//! network functions (`constants`); the STDP window and STP increments of
//! event-driven synapses (`event_driven`); the steady state of the STDP II
//! notebook (Song, Miller & Abbott; `stdp2`); when monitors sample
//! conductances (`recording`); continuous transmission of the Gap junctions
//! notebook (`gap_junctions`); monitors of synaptic variables, when and
//! what they sample (`projection_monitor`); the PyNN notebook's NMDA
//! synapse, a psp beside pre_spike statements (`psp_events`); synapses created and pruned
//! by structural plasticity (`structural`); the order in which shared
//! variables update (`shared_order`); learning rules run every period
//! (`learning_period`); an `init` naming a parameter (`init_param`);
//! `modulo`'s truncated operands (`modulo`); min and max flags on
//! event statements (`event_bounds`); `t_last` (`t_last`);
//! ANNarchy 5's GIF models and the GIF_CUBA notebook
//! (`gif`).
//!
//! The harness is libtest-mimic's (tests/common/harness.rs): each module
//! lists its tests in `tests!` (`cpu`, `gpu` or `both`); `[gpu]` trials are
//! ignored without a GPU adapter and fail without one when
//! `CAJAL_REQUIRE_GPU=1`. `cargo test --release --test annarchy -- NAME` runs
//! the tests whose name (`module::function`) contains NAME.

#[path = "../common/mod.rs"]
mod common;

mod annarchy_reference;
mod bar_learning;
mod bold;
mod coba;
mod constants;
mod event_bounds;
mod event_driven;
mod firing_rate;
mod gap_junctions;
mod gif;
mod homeostatic;
mod init_param;
mod int_bool;
mod learning_period;
mod modulo;
mod projection_monitor;
mod psp_events;
mod rate_delays;
mod recording;
mod shared_order;
mod stdp2;
mod structural;
mod t_last;

fn main() {
    common::harness::main(&[
        annarchy_reference::tests,
        bar_learning::tests,
        bold::tests,
        coba::tests,
        constants::tests,
        event_bounds::tests,
        event_driven::tests,
        firing_rate::tests,
        gap_junctions::tests,
        gif::tests,
        homeostatic::tests,
        init_param::tests,
        int_bool::tests,
        learning_period::tests,
        modulo::tests,
        projection_monitor::tests,
        psp_events::tests,
        rate_delays::tests,
        recording::tests,
        shared_order::tests,
        stdp2::tests,
        structural::tests,
        t_last::tests,
    ]);
}

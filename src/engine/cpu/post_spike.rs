//! `post_spike`: the statements of plastic synapses at a post-synaptic
//! spike (CPU twin of the GPU kernel of the same name). Its events share
//! the evaluator of `pre_spike` events (`spike_propagate`).

use super::spike_propagate::{run_event, EventCtx};
use crate::lang::ir::EventStmt;

/// `post_spike` (CPU twin of the GPU kernel of the same name): runs the
/// `post_spike` statements for every synapse of each post-synaptic neuron
/// that spiked this step, walking the neuron's row of the synapses (they
/// are stored by post), in (post, pre) order.
pub fn post_spike(
    row_ptr: &[u32],
    spikes: &[u32],
    stmts: &[EventStmt],
    pre_ranks: &[u32],
    frozen: Option<u32>,
    c: &mut EventCtx,
) {
    for &i in spikes {
        let row = row_ptr[i as usize] as usize..row_ptr[i as usize + 1] as usize;
        for (s, &pre) in row.clone().zip(&pre_ranks[row]) {
            run_event(stmts, c, s, pre as usize, i as usize, frozen, &mut []);
        }
    }
}

//! `post_spike`: the statements of plastic synapses at a post-synaptic
//! spike (CPU twin of the GPU kernel of the same name). Its events share
//! the evaluator of `pre_spike` events (`spike_propagate`).

use super::jit_events::{Four, NativeEvents};
use super::spike_propagate::{run_events, EventCtx};
use crate::lang::ir::EventStmt;

/// `post_spike` (CPU twin of the GPU kernel of the same name): runs the
/// `post_spike` statements for every synapse of each post-synaptic neuron
/// that spiked this step, walking the neuron's row of the synapses (they
/// are stored by post), in (post, pre) order.
pub fn post_spike<R: crate::real::Real>(
    row_ptr: &[u32],
    spikes: &[u32],
    code: (&[EventStmt], Option<&NativeEvents>),
    pre_ranks: &[u32],
    frozen: Option<u32>,
    c: &mut EventCtx<R>,
) {
    if let (_, Some(native)) = code {
        if native.runs::<R>() && native.four() == Some(Four::Rows) {
            // Four synapses of a row at a time, the rest one by one: the
            // same values (`NativeEvents::compile`).
            let bound = native.bind(c, &mut [], frozen);
            for &i in spikes {
                let row = row_ptr[i as usize] as usize..row_ptr[i as usize + 1] as usize;
                let mut s = row.start;
                while s + 4 <= row.end {
                    let pre: &[u32; 4] = pre_ranks[s..s + 4].try_into().expect("four ranks");
                    bound.run_row(s, pre, i as usize);
                    s += 4;
                }
                for (s, &pre) in pre_ranks.iter().enumerate().take(row.end).skip(s) {
                    bound.run(s, pre as usize, i as usize);
                }
            }
            return;
        }
    }
    let rows = spikes.iter().flat_map(|&i| {
        let row = row_ptr[i as usize] as usize..row_ptr[i as usize + 1] as usize;
        row.clone()
            .zip(&pre_ranks[row])
            .map(move |(s, &pre)| (s, pre as usize, i as usize))
    });
    run_events(rows, code, frozen, c, &mut []);
}

// decode: one step of a DecodingProjection (CPU twin:
// src/engine/cpu/decode.rs). Each post-synaptic neuron counts the weighted
// spikes its pre-synaptic neurons emitted at the previous step (in row
// order), stores the count in the window ring, and adds the window's sum
// (newest first) times the rate scale and its 1 / n_pre to sum(target).
// Bindings: 0 clock, 1 post state (read_write: the sums), 2 CSR by post
// (row pointers, pre ranks, then 1 / n_pre per post as f32 bits),
// 3 per-synapse values, 4 projection-wide parameters, 5 the pre-synaptic
// `lastspk` (ring number of the last spike + 2), 6 the window ring.
//{{BINDINGS}}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = cj_index(wg, nwg, lid);
//{{BODY}}
}

// rate_sum: the weighted sum of one rate-coded projection, pulled by each
// post-synaptic neuron over its row of the CSR by post, reduced with the
// projection's operation and added to sum(target)
// (CPU twin: src/engine/cpu/rate_sum.rs).
// Bindings: 0 clock, 1 post state (read_write: the sums), 2 CSR (row
// pointers, pre ranks, then per-synapse delays if they differ),
// 3 per-synapse values, 4 projection-wide parameters, then, when present,
// the pre-synaptic state and its rate history.
//{{BINDINGS}}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = cj_index(wg, nwg, lid);
//{{BODY}}
}

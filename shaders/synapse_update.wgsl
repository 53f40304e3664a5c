// synapse_update: the learning rule of a rate-coded projection, one thread
// per synapse, after the neurons updated (CPU twin:
// src/engine/cpu/synapse_update.rs).
// Bindings: 0 clock, 1 post state (read), 2 CSR by post (row pointers,
// pre ranks, per-synapse delays if they differ, then post ranks), 3
// per-synapse values (read_write), 4 projection-wide parameters, then,
// when pre is another population, its state.
//{{BINDINGS}}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let j = cj_index(wg, nwg, lid);
//{{BODY}}
}

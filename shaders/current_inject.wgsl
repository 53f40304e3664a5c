// current_inject: a CurrentInjection sets each post-synaptic neuron's
// conductance to the rate of the pre-synaptic neuron of the same rank
// (CPU twin: src/engine/cpu/current_inject.rs).
// Bindings: 0 clock, 1 post state (read_write), 2 pre state.
//{{BINDINGS}}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = cj_index(wg, nwg, lid);
//{{BODY}}
}

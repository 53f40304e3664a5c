// spike_convolve: a convolution between spiking populations, event-driven
// (as ml_genn's Conv2D): a workgroup takes a spike emitted `d` steps ago,
// its threads walk the (filter, tap) pairs, find the post neuron whose
// window holds the spike at that tap, and add the filter weight to its
// conductance atomically. Nothing is stored per synapse (CPU twin:
// src/engine/cpu/spike_convolve.rs).
// Bindings: 0 clock, 1 post state (atomic), 2 unused, 3 shared weights,
// 4 unused parameters, 5 pre spike counts, 6 pre spike lists.
//{{BINDINGS}}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let groups = nwg.x * nwg.y;
    let group = wg.y * nwg.x + wg.x;
//{{BODY}}
}

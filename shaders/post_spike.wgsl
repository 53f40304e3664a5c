// post_spike: the post_spike statements of a spiking synapse model for
// every synapse of each post-synaptic neuron that spiked this step: a
// workgroup per spike, its threads over the neuron's row of the synapses
// (stored by post, so the row is contiguous) (CPU twin: post_spike in
// src/engine/cpu/spike_propagate.rs).
// Bindings: 0 clock, 1 post state, 2 CSR (after the spike rows: the row
// pointers by post, then each synapse's pre rank), 3 per-synapse values
// (read_write), 4 projection-wide parameters, 5 post spike counts, 6 post
// spike lists, then, when pre is another population, its state.
//{{BINDINGS}}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let groups = nwg.x * nwg.y;
    let group = wg.y * nwg.x + wg.x;
//{{BODY}}
}

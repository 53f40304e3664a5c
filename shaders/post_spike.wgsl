// post_spike: the post_spike statements of a spiking synapse model for
// every synapse of each post-synaptic neuron that spiked this step: a
// workgroup per spike, its threads over the neuron's row of the synapses
// (stored by post, so the row is contiguous) (CPU twin: post_spike in
// src/engine/cpu/spike_propagate.rs).
// Bindings: 0 clock, 1 post state, 2 CSR (after the spike rows: the row
// pointers by post, then each synapse's pre rank), 3 per-synapse values
// (read_write), 4 projection-wide parameters, 5 post spike counts, 6 post
// spike lists, then, when pre is another population, its state.
@group(0) @binding(1) var<storage, read> post: array<f32>;
@group(0) @binding(2) var<storage, read> csr: array<u32>;
@group(0) @binding(3) var<storage, read_write> syn: array<f32>;
@group(0) @binding(4) var<storage, read> sparams: array<f32>;
@group(0) @binding(5) var<storage, read> post_count: array<u32>;
@group(0) @binding(6) var<storage, read> post_list: array<u32>;
//{{BINDINGS}}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let groups = nwg.x * nwg.y;
    let group = wg.y * nwg.x + wg.x;
//{{BODY}}
}

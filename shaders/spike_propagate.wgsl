// spike_propagate: delivers the spikes emitted `d` steps ago, for each
// delay `d` of one spiking projection, event-driven: the workgroups share
// out the delays (blocks) and each block's spikes; a spike's row of the
// CSR by (delay, pre) is walked by a workgroup or a thread, adding into
// the post-synaptic conductance atomically (CPU twin:
// src/engine/cpu/spike_propagate.rs). The delays follow the CSR's rows,
// post ranks and synapse ids.
// Bindings: 0 clock, 1 post state (atomic), 2 CSR by pre (row pointers,
// post ranks, synapse ids), 3 synapse values, 4 projection-wide
// parameters, 5 pre spike counts, 6 pre spike lists, then, when present,
// the pre-synaptic state.
//{{BINDINGS}}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let groups = nwg.x * nwg.y;
    let group = wg.y * nwg.x + wg.x;
//{{BODY}}
}

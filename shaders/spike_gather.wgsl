// spike_gather: delivers the spikes emitted `d` steps ago through one
// spiking projection, for each of its delays, in a fixed order (the
// deterministic mode, GpuOptions::deterministic): a thread per
// post-synaptic neuron walks its incoming synapses, stored by (post,
// delay, pre), tests each pre-synaptic neuron's bit in the spike ring's
// bitmask of the step `d` ago, and runs the synapse's event for those
// that spiked, adding into a register it writes back once. No atomics:
// each sum is added to in the CPU engine's order (delays ascending, then
// pre ranks ascending), so it is the CPU engine's sum bit for bit, and a
// synapse's own variables are written by its post's thread alone (CPU
// twin: src/engine/cpu/spike_gather.rs).
// Bindings: 0 clock, 1 post state, 2 CSR by post (row pointers by (post,
// delay index), pre ranks, synapse ids when the delays differ, the
// delays), 3 synapse values, 4 projection-wide parameters, 5 pre spike
// counts then bitmasks, then, when present, the pre-synaptic state.
//{{BINDINGS}}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = cj_index(wg, nwg, lid);
//{{BODY}}
}

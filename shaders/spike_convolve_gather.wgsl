// spike_convolve_gather: a convolution between spiking populations in a
// fixed order (the deterministic mode, GpuOptions::deterministic): a
// thread per post neuron walks the taps of its window in ascending order
// (which is ascending pre rank), tests each pre neuron's bit in the spike
// ring's bitmask of `d` steps ago, and adds the filter weight of those
// that spiked into a register it writes back once. Each conductance is
// added to in the order the CPU engine adds it, the spikes by ascending
// rank (CPU twin: src/engine/cpu/spike_convolve_gather.rs).
// Bindings: 0 clock, 1 post state, 2 unused, 3 shared weights, 4 unused
// parameters, 5 pre spike counts then bitmasks.
//{{BINDINGS}}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = cj_index(wg, nwg, lid);
//{{BODY}}
}

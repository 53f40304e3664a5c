// spike_procedural_ordered: delivers the spikes emitted `d` steps ago
// through a procedural projection in a fixed order (the deterministic
// mode, GpuOptions::deterministic): a thread per (batch element, chunk of
// post neurons) owns that chunk's conductances (and its columns of the
// ring of delayed inputs), walks the spikes in ascending rank from the
// spike ring's bitmask, draws each one's targets in its chunk again (as
// spike_procedural does: integer thresholds, the CPU twin's targets
// exactly) and adds the weights without atomics. Each target receives its
// spikes in ascending rank, as the CPU engine adds them (CPU twin:
// src/engine/cpu/spike_procedural_ordered.rs).
// Per-synapse delays (generated): the thread first moves this step's row
// of its columns of the ring into the conductances.
// Bindings: 0 clock, 1 post state, 2 threshold tables (gaps, then delays),
// 3 the delay ring or unused, 4 unused parameters, 5 pre spike counts then
// bitmasks.
//{{BINDINGS}}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let item = cj_index(wg, nwg, lid);
//{{BODY}}
}

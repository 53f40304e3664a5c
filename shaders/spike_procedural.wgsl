// spike_procedural: delivers the spikes emitted `d` steps ago through a
// procedural projection (GeNN's procedural connectivity): nothing is stored
// per synapse. Each thread takes a (spike, chunk) pair, draws the spiking
// neuron's targets in that chunk again (geometric gaps read off the
// threshold table with Philox words: integer operations only, so the
// targets are exactly the CPU twin's; the body, generated, holds the gap
// search) and adds each synapse's weight to its conductance atomically
// (CPU twin: src/engine/cpu/spike_procedural.rs).
// Per-synapse delays (generated): the targets' inputs wait in a ring of
// future steps (binding 3, atomic) and the kernel first moves this step's
// row into the conductance.
// Bindings: 0 clock, 1 post state (atomic), 2 threshold tables (gaps, then
// delays), 3 the delay ring or unused, 4 unused parameters, 5 pre spike
// counts, 6 pre spike lists.
//{{BINDINGS}}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let groups = nwg.x * nwg.y;
    let group = wg.y * nwg.x + wg.x;
//{{BODY}}
}

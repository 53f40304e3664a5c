// neuron_update: integrate, spike, reset and refractoriness of one
// population (CPU twin: src/engine/cpu/neuron_update.rs).
// Bindings: 0 clock (t), 1 state (the per-neuron slots in slot order, then
// the sum(target) arrays: the CPU twin's arrays), 2 parameters (the
// population-wide slots: the CPU twin's scalars), then, when present,
// spike counts, spike lists, spike bitmasks and the rate history.
//{{BINDINGS}}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = cj_index(wg, nwg, lid);
//{{BODY}}
}

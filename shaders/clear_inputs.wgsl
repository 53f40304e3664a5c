// clear_inputs: zeroes a population's sum(target) arrays and the
// conductances no equation governs (CPU twin: src/engine/cpu/clear_inputs.rs).
// Bindings: 0 clock, 1 state (read_write).
//{{BINDINGS}}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = cj_index(wg, nwg, lid);
//{{BODY}}
}

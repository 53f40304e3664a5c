// record: copies the monitored variables of one population into the
// monitor's buffer, one row per sample of the chunk (CPU twin:
// src/engine/cpu/record.rs).
// Bindings: 0 clock, 1 state, 2 parameters, 3 monitor buffer, 4 the
// chunk's first sample step and the period.
struct Sampling {
    first: u32,
    period: u32,
}
//{{BINDINGS}}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = cj_index(wg, nwg, lid);
    let row = (clk.step - sampling.first) / sampling.period;
//{{BODY}}
}

// record: copies the monitored variables of one population into the
// monitor's buffer, one row per sample of the chunk (CPU twin:
// src/engine/cpu/record.rs).
// Bindings: 0 clock, 1 state, 2 parameters, 3 monitor buffer, 4 the
// chunk's first sample step and the period.
struct Sampling {
    first: u32,
    period: u32,
}
@group(0) @binding(1) var<storage, read> state: array<f32>;
@group(0) @binding(2) var<storage, read> params: array<f32>;
@group(0) @binding(3) var<storage, read_write> mon: array<f32>;
@group(0) @binding(4) var<uniform> sampling: Sampling;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = cj_index(wg, nwg, lid);
    let row = (clk.step - sampling.first) / sampling.period;
//{{BODY}}
}

// convolve: a convolution or pooling projection (CPU twin:
// src/engine/cpu/convolve.rs). Each post-synaptic neuron walks the taps of
// its window in row-major kernel order, reads the pre-synaptic values (the
// padding value or the clamped edge outside), combines one psp per tap
// with the operation and adds the result to sum(target). Nothing is stored
// per synapse: the window is arithmetic on the coordinates (explicit
// subsampling centres aside).
// Bindings: 0 clock, 1 post state (read_write: the sums), 2 explicit
// window starts (i32 bits; one word when unused), 3 shared weights,
// 4 unused parameters, then, when present, the pre-synaptic state and its
// rate history (a delay).
//{{BINDINGS}}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = cj_index(wg, nwg, lid);
//{{BODY}}
}

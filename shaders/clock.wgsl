// The per-step block every kernel reads (Rust twin: `gpu::Clock`,
// #[repr(C)], then the constants; a test checks both layouts). The host writes one block per
// step of a chunk, 256-byte aligned, and binds each with a dynamic offset,
// so a whole chunk of steps is one submission with no round trip.
struct Clock {
    // Step number since the start (or the last reset, or as set): keys
    // the random draws and the monitors' samples.
    step: u32,
    // Step index inside the current chunk (row of the spike bitmasks).
    row: u32,
    // Time in ms at the start of the step, computed on the host in f64.
    t: f32,
    pad0: u32,
    // Philox key: the network seed's low and high words.
    key: vec2<u32>,
    // Position in the spike and rate-history rings: counts the steps the
    // engine ran, so that moving `step` (set_current_step) leaves the
    // delayed spikes and values where the kernels look for them.
    ring: u32,
    pad1: u32,
    // The network's constants, four to a vec4 (a uniform array's stride
    // is 16 bytes): constant k is consts[k / 4][k % 4]. Written into every
    // block from the host's current values, so a constant changed between
    // two runs needs no rebuild. The length is what the kernel reads
    // (`codegen::clock`); the bound block may hold more.
    consts: array<vec4<f32>, CJ_CONST_VEC4S>,
}

@group(0) @binding(0) var<uniform> clk: Clock;

// Whether a projection learns at this step: `Learning::due` over the
// words (on, period, offset) that `GpuEngine::set_learning` writes into its
// CSR, so a kernel checks its own without a variant or a host round trip.
// In u32 as clk.step is: exact for the first 2^32 steps.
fn cj_learns(on: u32, period: u32, offset: u32) -> bool {
    return on != 0u && clk.step >= offset && (clk.step - offset) % period == 0u;
}

// The thread's element: grids over 65535 workgroups wrap into y.
fn cj_index(wg: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
    return (wg.y * nwg.x + wg.x) * 64u + lid;
}

// An identity the compiler cannot see through (pad0 is 0 at run time but
// not known to be): it neither reassociates a sum across it nor fuses a
// product into a multiply-add, so each operation rounds as the CPU
// engine's does. The code generator wraps every +, -, * and / in it.
fn cj_keep(x: f32) -> f32 {
    return bitcast<f32>(bitcast<u32>(x) | clk.pad0);
}

// e^x, the twin of `cajal::lang::ir::exp` (Cody-Waite reduction, Cephes'
// polynomial), operation for operation, so both engines get the same bits.
fn cj_exp(x: f32) -> f32 {
    if (x != x) {
        return x;
    }
    if (x > 88.72284f) {
        return bitcast<f32>(0x7f800000u);
    }
    if (x < -103.97208f) {
        return 0.0f;
    }
    let k = floor(cj_keep(cj_keep(1.442695f * x) + 0.5f));
    var r = cj_keep(x - cj_keep(k * 0.6933594f));
    r = cj_keep(r - cj_keep(k * -2.1219444e-4f));
    let z = cj_keep(r * r);
    var p = cj_keep(cj_keep(1.9875691e-4f * r) + 1.3981999e-3f);
    p = cj_keep(cj_keep(p * r) + 8.333452e-3f);
    p = cj_keep(cj_keep(p * r) + 4.1665796e-2f);
    p = cj_keep(cj_keep(p * r) + 1.6666665e-1f);
    p = cj_keep(cj_keep(p * r) + 0.5f);
    let y = cj_keep(cj_keep(cj_keep(p * z) + r) + 1.0f);
    let ki = i32(k);
    let k1 = ki / 2;
    let k2 = ki - k1;
    let s1 = bitcast<f32>(u32(k1 + 127) << 23u);
    let s2 = bitcast<f32>(u32(k2 + 127) << 23u);
    return cj_keep(cj_keep(y * s1) * s2);
}

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
    return on != 0u && cj_periodic(period, offset);
}

// Whether this step is one of a learning rule's steps, learning on or off
// (`Learning::periodic`: when a spiking synapse's equations run).
fn cj_periodic(period: u32, offset: u32) -> bool {
    return clk.step >= offset && (clk.step - offset) % period == 0u;
}

// The thread's element: grids over 65535 workgroups wrap into y.
fn cj_index(wg: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
    return (wg.y * nwg.x + wg.x) * 64u + lid;
}

// The per-step block every kernel reads (Rust twin: `gpu::Clock`,
// #[repr(C)]; a test checks both layouts). The host writes one block per
// step of a chunk, 256-byte aligned, and binds each with a dynamic offset,
// so a whole chunk of steps is one submission with no round trip.
struct Clock {
    // Step number since the start (or the last reset).
    step: u32,
    // Step index inside the current chunk (row of the spike bitmasks).
    row: u32,
    // Time in ms at the start of the step, computed on the host in f64.
    t: f32,
    pad0: u32,
    // Philox key: the network seed's low and high words.
    key: vec2<u32>,
    pad1: vec2<u32>,
}

@group(0) @binding(0) var<uniform> clk: Clock;

// The thread's element: grids over 65535 workgroups wrap into y.
fn cj_index(wg: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
    return (wg.y * nwg.x + wg.x) * 64u + lid;
}

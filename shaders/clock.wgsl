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

// An identity the compiler cannot see through (pad0 is 0 at run time but
// not known to be): it neither reassociates a sum across it nor fuses a
// product into a multiply-add, so each operation rounds as the CPU
// engine's does. The code generator wraps every +, -, * and / in it.
fn cj_keep(x: f32) -> f32 {
    return bitcast<f32>(bitcast<u32>(x) | clk.pad0);
}

// a / b rounded as IEEE 754 rounds it, as the CPU's division does. Vulkan
// holds a GPU's division only to 2.5 ulps (NVIDIA's is an approximate
// reciprocal and a product: a few percent of quotients differ in the last
// bit), so the quotient of the mantissas is estimated, corrected once from
// its exact residual and checked against the half-ulp bound (cj_quot), then
// scaled by the exponents' difference, which is exact. Zeros, subnormals,
// infinities, NaN and quotients outside the normal range go to the
// driver's division unchanged.
fn cj_div(a: f32, b: f32) -> f32 {
    let ua = bitcast<u32>(a);
    let ub = bitcast<u32>(b);
    let ea = i32((ua >> 23u) & 0xffu);
    let eb = i32((ub >> 23u) & 0xffu);
    let d = ea - eb;
    if (ea == 0 || ea == 255 || eb == 0 || eb == 255 || d < -126 || d > 128) {
        return cj_keep(a / b);
    }
    let ma = bitcast<f32>((ua & 0x807fffffu) | 0x3f800000u);
    let mb = bitcast<f32>((ub & 0x807fffffu) | 0x3f800000u);
    let q = cj_quot(ma, mb, cj_keep(ma / mb));
    // 2^d in two normal halves (d = 128, a quotient just under the
    // largest float or over it, and d = -126 have no single one); each
    // product is exact unless the last one overflows, where IEEE's
    // quotient does too, or goes subnormal (flushed, or rounded twice).
    let d1 = d / 2;
    let s1 = bitcast<f32>(u32(d1 + 127) << 23u);
    let s2 = bitcast<f32>(u32(d - d1 + 127) << 23u);
    return cj_keep(cj_keep(q * s1) * s2);
}

// The float nearest a / b for a, b in ±[1, 2), from an estimate q0 a few
// ulps off: one correction by the residual, which leaves q within an ulp
// (so that its residual is exact), then one step to the neighbour if the
// exact quotient q + r / b lies more than half a gap away. A quotient of
// two floats is never exactly half-way, so there are no ties.
fn cj_quot(a: f32, b: f32, q0: f32) -> f32 {
    var q = cj_keep(q0 + cj_keep(cj_residual(a, q0, b) / b));
    let r = cj_residual(a, q, b);
    let bits = bitcast<u32>(q);
    // Whether the exact quotient is nearer zero than q.
    let inward = ((r > 0.0f) == (b > 0.0f)) != (q > 0.0f);
    // The gap to the neighbour on that side: an ulp of q, half one below a
    // power of two. q is in (0.5, 2), so the gap is a normal float.
    let ulp = bitcast<f32>((bits & 0x7f800000u) - 0x0b800000u);
    let gap = select(ulp, cj_keep(0.5f * ulp), inward && (bits & 0x007fffffu) == 0u);
    if (cj_keep(2.0f * abs(r)) > cj_keep(abs(b) * gap)) {
        q = bitcast<f32>(select(bits + 1u, bits - 1u, inward));
    }
    return q;
}

// a - q * b, exactly whenever it is a float (q within an ulp of a / b), for
// a, b in ±[1, 2): q * b = p + e exactly (Dekker's product of Veltkamp's
// halves), and a - p is exact (p is within a factor 2 of a).
fn cj_residual(a: f32, q: f32, b: f32) -> f32 {
    let p = cj_keep(q * b);
    let qs = cj_split(q);
    let bs = cj_split(b);
    var e = cj_keep(cj_keep(qs.x * bs.x) - p);
    e = cj_keep(e + cj_keep(qs.x * bs.y));
    e = cj_keep(e + cj_keep(qs.y * bs.x));
    e = cj_keep(e + cj_keep(qs.y * bs.y));
    return cj_keep(cj_keep(a - p) - e);
}

// x as hi + lo, each with at most 12 significant bits (Veltkamp's split).
fn cj_split(x: f32) -> vec2<f32> {
    let c = cj_keep(4097.0f * x);
    let hi = cj_keep(c - cj_keep(c - x));
    return vec2<f32>(hi, cj_keep(x - hi));
}

// y * 2^64 exactly, also for a subnormal y where the adapter flushes
// subnormal operands to zero (NVIDIA does): built from its bits. The
// scale of a tiny uniform divisor (`vm::TINY_DIVISOR_SCALE`).
fn cj_times_2_64(y: f32) -> f32 {
    let u = bitcast<u32>(y);
    if ((u & 0x7f800000u) == 0u) {
        let m = cj_keep(f32(u & 0x007fffffu) * 0x1p-85f);
        return select(m, -m, (u & 0x80000000u) != 0u);
    }
    return cj_keep(y * 18446744073709551616.0f);
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

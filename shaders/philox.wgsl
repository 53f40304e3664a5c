// cajal: Philox4x32-10, the counter-based generator of every random draw,
// in integers only, so that a kernel in either precision (common.wgsl for
// f32, common64.wgsl for f64) includes this same file ahead of its own
// float functions. Each function has a Rust twin (tests/gpu/wgsl_common.rs
// checks them):
//
//   cj_philox           random::philox::philox4x32_10
//   cj_draw             random::philox::draw
//   cj_word             random::philox::word

const CJ_PHILOX_M0: u32 = 0xD2511F53u;
const CJ_PHILOX_M1: u32 = 0xCD9E8D57u;
const CJ_PHILOX_W0: u32 = 0x9E3779B9u;
const CJ_PHILOX_W1: u32 = 0xBB67AE85u;

// High 32 bits of the 64-bit product a * b. WGSL has no 64-bit integers, so
// the product is assembled from 16-bit halves; no partial sum can overflow:
// mid < 3 * 2^16 and the final sum is the exact high word.
fn cj_mulhi(a: u32, b: u32) -> u32 {
    let a_lo = a & 0xFFFFu;
    let a_hi = a >> 16u;
    let b_lo = b & 0xFFFFu;
    let b_hi = b >> 16u;
    let ll = a_lo * b_lo;
    let lh = a_lo * b_hi;
    let hl = a_hi * b_lo;
    let hh = a_hi * b_hi;
    let mid = (ll >> 16u) + (lh & 0xFFFFu) + (hl & 0xFFFFu);
    return hh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
}

fn cj_philox(ctr: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
    // Ten rounds written out, the key bumped between them (the Rust twin
    // bumps before every round but the first): no loop, since lavapipe
    // ends an invocation's loops after 65535 iterations of all of them
    // together, and a kernel draws in loops of its own.
    let w = vec2<u32>(CJ_PHILOX_W0, CJ_PHILOX_W1);
    var c = cj_philox_round(ctr, key);
    c = cj_philox_round(c, key + w);
    c = cj_philox_round(c, key + 2u * w);
    c = cj_philox_round(c, key + 3u * w);
    c = cj_philox_round(c, key + 4u * w);
    c = cj_philox_round(c, key + 5u * w);
    c = cj_philox_round(c, key + 6u * w);
    c = cj_philox_round(c, key + 7u * w);
    c = cj_philox_round(c, key + 8u * w);
    return cj_philox_round(c, key + 9u * w);
}

// One round of Philox4x32 with round key k.
fn cj_philox_round(c: vec4<u32>, k: vec2<u32>) -> vec4<u32> {
    // The low word of the product is the wrapping u32 multiply.
    let hi0 = cj_mulhi(CJ_PHILOX_M0, c.x);
    let lo0 = CJ_PHILOX_M0 * c.x;
    let hi1 = cj_mulhi(CJ_PHILOX_M1, c.z);
    let lo1 = CJ_PHILOX_M1 * c.z;
    return vec4<u32>(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
}

// `key` is the 64-bit seed split as (seed as u32, (seed >> 32) as u32).
fn cj_draw(key: vec2<u32>, object: u32, step: u32, index: u32) -> vec4<u32> {
    return cj_philox(vec4<u32>(index, step, object, 0u), key);
}

// A one-word draw (uniform, exponential) of element `index`: word index % 4
// of the call at index / 4, as philox::word. Four neighbours share a call on
// the CPU, where that saves three calls in four; here each thread makes its
// own call, as it would for a word of its own.
fn cj_word(key: vec2<u32>, object: u32, step: u32, index: u32) -> u32 {
    let bits = cj_draw(key, object, step, index >> 2u);
    return bits[index & 3u];
}

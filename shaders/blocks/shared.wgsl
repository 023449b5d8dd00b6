// blocks/shared: what the format decodes (shaders/blocks/<format>.wgsl) share; compiled before
// each of them. Every decode defines, for row r's 32-weight block b of nb (nb = cols / 32):
//   fn block_weights(r, b, nb: u32) -> array<vec4<f32>, 8>
//       the block's 32 weights (w[k] = elements 4k..4k+4): the matmuls decode a block once and
//       apply it to many tokens;
//   fn block_dot(r, b, nb: u32, xs: array<vec4<f32>, 8>, sx: f32) -> f32
//       Σ w·x over the block, given its 32 inputs (xs laid out as w) and their sum sx: the GEMVs,
//       where a format's offset or minimum costs one multiply a block (d · (Σ q·x − 8 Σ x) for
//       Q4_0), not one a weight.
// The bodies (gemv, matmul, gemv_wide, matmul_wide) declare qs and sc; the layouts are
// src/quant/mod.rs's. No shader-f16.

// Q4_0, Q4_1 and Q8_0 keep one scale word a block, rows padded to a multiple of 4 blocks
// (nb4 = ceil(nb / 4) * 4): the index of row r's block b scale.
fn packed_scale(r: u32, b: u32, nb: u32) -> u32 {
    return r * ((nb + 3u) / 4u) * 4u + b;
}

// Σ q·x of the 32 4-bit values in a block's 16 bytes as stored (byte l: element l in its low
// nibble, element l + 16 in its high one).
fn nibble_dot(q: vec4<u32>, xs: array<vec4<f32>, 8>) -> f32 {
    let bytes = vec4<u32>(0u, 8u, 16u, 24u);
    let m = vec4<u32>(0xFu);
    let four = vec4<u32>(4u);
    let v0 = vec4<u32>(q.x) >> bytes;
    let v1 = vec4<u32>(q.y) >> bytes;
    let v2 = vec4<u32>(q.z) >> bytes;
    let v3 = vec4<u32>(q.w) >> bytes;
    return dot(vec4<f32>(v0 & m), xs[0]) + dot(vec4<f32>(v1 & m), xs[1]) + dot(vec4<f32>(v2 & m), xs[2]) + dot(vec4<f32>(v3 & m), xs[3])
         + dot(vec4<f32>((v0 >> four) & m), xs[4]) + dot(vec4<f32>((v1 >> four) & m), xs[5])
         + dot(vec4<f32>((v2 >> four) & m), xs[6]) + dot(vec4<f32>((v3 >> four) & m), xs[7]);
}

// Σ w·x of a decoded block.
fn weights_dot(w: array<vec4<f32>, 8>, xs: array<vec4<f32>, 8>) -> f32 {
    return dot(w[0], xs[0]) + dot(w[1], xs[1]) + dot(w[2], xs[2]) + dot(w[3], xs[3])
         + dot(w[4], xs[4]) + dot(w[5], xs[5]) + dot(w[6], xs[6]) + dot(w[7], xs[7]);
}

// Q5_0 decode (src/quant/q5_0.rs): w = (q - 16) * d, q = nibble | high bit << 4. After
// blocks/shared.wgsl (what a decode defines). qs[i]: the 16 nibble bytes as stored (byte l:
// element l low, element l+16 high); sc[i * 2]: d as f32 bits, sc[i * 2 + 1]: qh (bit e is
// element e's high bit).

const SC_WORDS: u32 = 2u;

fn block_weights(r: u32, b: u32, nb: u32) -> array<vec4<f32>, 8> {
    let i = r * nb + b;
    let q = qs[i];
    let d = bitcast<f32>(sc[i * SC_WORDS]);
    let qh = sc[i * SC_WORDS + 1u];
    let bytes = vec4<u32>(0u, 8u, 16u, 24u);
    let lanes = vec4<u32>(0u, 1u, 2u, 3u);
    var w: array<vec4<f32>, 8>;
    for (var k = 0u; k < 4u; k++) {
        let v = vec4<u32>(q[k]) >> bytes;
        let lo = (v & vec4<u32>(0xFu)) | (((vec4<u32>(qh >> (4u * k)) >> lanes) & vec4<u32>(1u)) << vec4<u32>(4u));
        let hi = ((v >> vec4<u32>(4u)) & vec4<u32>(0xFu)) | (((vec4<u32>(qh >> (16u + 4u * k)) >> lanes) & vec4<u32>(1u)) << vec4<u32>(4u));
        w[k] = (vec4<f32>(lo) - 16.0) * d;
        w[k + 4u] = (vec4<f32>(hi) - 16.0) * d;
    }
    return w;
}

// Bits 4k..4k+4 of qh as four 0/1 values (elements 4k..4k+4, laid out as xs[k]).
fn high_bits(qh: u32, k: u32) -> vec4<f32> {
    return vec4<f32>((vec4<u32>(qh >> (4u * k)) >> vec4<u32>(0u, 1u, 2u, 3u)) & vec4<u32>(1u));
}

fn block_dot(r: u32, b: u32, nb: u32, xs: array<vec4<f32>, 8>, sx: f32) -> f32 {
    let i = r * nb + b;
    let qh = sc[i * SC_WORDS + 1u];
    let high = dot(high_bits(qh, 0u), xs[0]) + dot(high_bits(qh, 1u), xs[1]) + dot(high_bits(qh, 2u), xs[2]) + dot(high_bits(qh, 3u), xs[3])
             + dot(high_bits(qh, 4u), xs[4]) + dot(high_bits(qh, 5u), xs[5]) + dot(high_bits(qh, 6u), xs[6]) + dot(high_bits(qh, 7u), xs[7]);
    // Σ (q - 16) d x = d (Σ nibble·x + 16 Σ high·x - 16 Σ x)
    return bitcast<f32>(sc[i * SC_WORDS]) * (nibble_dot(qs[i], xs) + 16.0 * (high - sx));
}

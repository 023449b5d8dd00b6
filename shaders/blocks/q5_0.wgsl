// Q5_0 decode for the shared gemv / matmul bodies (src/quant/q5_0.rs): w = (q - 16) * d, q = nibble | high bit << 4.
// qs[i]: the 16 nibble bytes as stored (byte l: element l low, element l+16 high);
// sc[i * 2]: d as f32 bits, sc[i * 2 + 1]: qh (bit e is element e's high bit).

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

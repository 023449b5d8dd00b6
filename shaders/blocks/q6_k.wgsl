// Q6_K decode (src/quant/q6_k.rs): w = (d·sc) * (q - 32), one scale per 16 weights. After
// blocks/shared.wgsl (what a decode defines). qs[i]: 16 bytes, byte l = low 4 bits of element
// l | of element l+16 << 4; sc[i * 4 + h] (h = 0, 1): high 2 bits of elements 16h..16h+16, 2 bits each;
// sc[i * 4 + 2 + h]: d·sc of elements 16h..16h+16 as f32 bits.

const SC_WORDS: u32 = 4u;

fn block_weights(r: u32, b: u32, nb: u32) -> array<vec4<f32>, 8> {
    let i = r * nb + b;
    let q = qs[i];
    let h0 = sc[i * SC_WORDS];
    let h1 = sc[i * SC_WORDS + 1u];
    let d0 = bitcast<f32>(sc[i * SC_WORDS + 2u]);
    let d1 = bitcast<f32>(sc[i * SC_WORDS + 3u]);
    let bytes = vec4<u32>(0u, 8u, 16u, 24u);
    let pairs = vec4<u32>(0u, 2u, 4u, 6u);
    var w: array<vec4<f32>, 8>;
    for (var k = 0u; k < 4u; k++) {
        let v = vec4<u32>(q[k]) >> bytes;
        let lo = (v & vec4<u32>(0xFu)) | (((vec4<u32>(h0 >> (8u * k)) >> pairs) & vec4<u32>(3u)) << vec4<u32>(4u));
        let hi = ((v >> vec4<u32>(4u)) & vec4<u32>(0xFu)) | (((vec4<u32>(h1 >> (8u * k)) >> pairs) & vec4<u32>(3u)) << vec4<u32>(4u));
        w[k] = d0 * (vec4<f32>(lo) - 32.0);
        w[k + 4u] = d1 * (vec4<f32>(hi) - 32.0);
    }
    return w;
}

fn block_dot(r: u32, b: u32, nb: u32, xs: array<vec4<f32>, 8>, sx: f32) -> f32 {
    return weights_dot(block_weights(r, b, nb), xs);
}

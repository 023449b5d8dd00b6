// Q4_K decode (src/quant/q4_k.rs): w = (d·sc) * q - dmin·m per 32-weight sub-block. After
// blocks/shared.wgsl (what a decode defines). qs[i]: 16 bytes, byte l = element l (low nibble) |
// element l+16 (high); sc[i * 2]: d·sc as f32 bits, sc[i * 2 + 1]: dmin·m as f32 bits.

const SC_WORDS: u32 = 2u;

fn block_weights(r: u32, b: u32, nb: u32) -> array<vec4<f32>, 8> {
    let i = r * nb + b;
    let q = qs[i];
    let d = bitcast<f32>(sc[i * SC_WORDS]);
    let m = bitcast<f32>(sc[i * SC_WORDS + 1u]);
    let bytes = vec4<u32>(0u, 8u, 16u, 24u);
    var w: array<vec4<f32>, 8>;
    for (var k = 0u; k < 4u; k++) {
        let v = vec4<u32>(q[k]) >> bytes;
        w[k] = d * vec4<f32>(v & vec4<u32>(0xFu)) - m;
        w[k + 4u] = d * vec4<f32>((v >> vec4<u32>(4u)) & vec4<u32>(0xFu)) - m;
    }
    return w;
}

fn block_dot(r: u32, b: u32, nb: u32, xs: array<vec4<f32>, 8>, sx: f32) -> f32 {
    let i = r * nb + b;
    return bitcast<f32>(sc[i * SC_WORDS]) * nibble_dot(qs[i], xs) - bitcast<f32>(sc[i * SC_WORDS + 1u]) * sx;
}

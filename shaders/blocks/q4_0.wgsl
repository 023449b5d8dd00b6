// Q4_0 decode (src/quant/q4_0.rs): w = (q - 8) * d. After blocks/shared.wgsl (what a decode
// defines). qs[r * nb + b]: the 16 nibble bytes as stored (byte l: element l low, element l+16
// high); sc[packed_scale(r, b, nb)]: d as f32 bits.

fn block_weights(r: u32, b: u32, nb: u32) -> array<vec4<f32>, 8> {
    let q = qs[r * nb + b];
    let d = bitcast<f32>(sc[packed_scale(r, b, nb)]);
    let bytes = vec4<u32>(0u, 8u, 16u, 24u);
    var w: array<vec4<f32>, 8>;
    for (var k = 0u; k < 4u; k++) {
        let v = vec4<u32>(q[k]) >> bytes;
        w[k] = (vec4<f32>(v & vec4<u32>(0xFu)) - 8.0) * d;
        w[k + 4u] = (vec4<f32>((v >> vec4<u32>(4u)) & vec4<u32>(0xFu)) - 8.0) * d;
    }
    return w;
}

fn block_dot(r: u32, b: u32, nb: u32, xs: array<vec4<f32>, 8>, sx: f32) -> f32 {
    let d = bitcast<f32>(sc[packed_scale(r, b, nb)]);
    return d * (nibble_dot(qs[r * nb + b], xs) - 8.0 * sx); // Σ (q - 8) d x = d (Σ q x - 8 Σ x)
}

// Q4_1 decode (src/quant/q4_1.rs): w = q * d + m. After blocks/shared.wgsl (what a decode
// defines). qs[r * nb + b]: the 16 nibble bytes as stored (byte l: element l low, element l+16
// high); sc[packed_scale(r, b, nb)]: pack2x16float(d, m). unpack2x16float is core WGSL (no
// shader-f16).

fn block_weights(r: u32, b: u32, nb: u32) -> array<vec4<f32>, 8> {
    let q = qs[r * nb + b];
    let dm = unpack2x16float(sc[packed_scale(r, b, nb)]);
    let bytes = vec4<u32>(0u, 8u, 16u, 24u);
    var w: array<vec4<f32>, 8>;
    for (var k = 0u; k < 4u; k++) {
        let v = vec4<u32>(q[k]) >> bytes;
        w[k] = vec4<f32>(v & vec4<u32>(0xFu)) * dm.x + dm.y;
        w[k + 4u] = vec4<f32>((v >> vec4<u32>(4u)) & vec4<u32>(0xFu)) * dm.x + dm.y;
    }
    return w;
}

fn block_dot(r: u32, b: u32, nb: u32, xs: array<vec4<f32>, 8>, sx: f32) -> f32 {
    let dm = unpack2x16float(sc[packed_scale(r, b, nb)]);
    return dm.x * nibble_dot(qs[r * nb + b], xs) + dm.y * sx; // Σ (q d + m) x = d Σ q x + m Σ x
}

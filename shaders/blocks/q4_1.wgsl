// Q4_1 decode for the shared gemv_wide body (src/quant/q4_1.rs): w = q * d + m.
// Packed-scale layout (src/quant/mod.rs): qs[r * nb + b] the 16 nibble bytes as stored (byte l:
// element l low, element l+16 high); sc[r * nb4 * 4 + b] pack2x16float(d, m), rows padded to
// nb4 = ceil(nb / 4) * 4 blocks. unpack2x16float is core WGSL (no shader-f16).

fn block_weights(r: u32, b: u32, nb: u32) -> array<vec4<f32>, 8> {
    let q = qs[r * nb + b];
    let dm = unpack2x16float(sc[r * ((nb + 3u) / 4u) * 4u + b]);
    let bytes = vec4<u32>(0u, 8u, 16u, 24u);
    var w: array<vec4<f32>, 8>;
    for (var k = 0u; k < 4u; k++) {
        let v = vec4<u32>(q[k]) >> bytes;
        w[k] = vec4<f32>(v & vec4<u32>(0xFu)) * dm.x + dm.y;
        w[k + 4u] = vec4<f32>((v >> vec4<u32>(4u)) & vec4<u32>(0xFu)) * dm.x + dm.y;
    }
    return w;
}

// Q8_0 decode for the shared gemv_wide body (src/quant/q8_0.rs): w = q * d, q a signed byte.
// Packed-scale layout (src/quant/mod.rs): qs[(r * nb + b) * 2 + h] bytes 16h..16h+16 of the block
// (element l is byte l); sc[r * nb4 * 4 + b] d as f32 bits, rows padded to nb4 = ceil(nb / 4) * 4.

fn block_weights(r: u32, b: u32, nb: u32) -> array<vec4<f32>, 8> {
    let i = (r * nb + b) * 2u;
    let d = bitcast<f32>(sc[r * ((nb + 3u) / 4u) * 4u + b]);
    let shifts = vec4<u32>(24u, 16u, 8u, 0u);
    var w: array<vec4<f32>, 8>;
    for (var h = 0u; h < 2u; h++) {
        let q = qs[i + h];
        for (var k = 0u; k < 4u; k++) {
            // Each byte to the top of the word, then an arithmetic shift down: sign-extended.
            w[h * 4u + k] = vec4<f32>(bitcast<vec4<i32>>(vec4<u32>(q[k]) << shifts) >> vec4<u32>(24u)) * d;
        }
    }
    return w;
}

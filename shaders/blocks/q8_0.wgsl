// Q8_0 decode (src/quant/q8_0.rs): w = q * d, q a signed byte. After blocks/shared.wgsl (what a
// decode defines). qs[(r * nb + b) * 2 + h]: bytes 16h..16h+16 of the block (element l is byte
// l); sc[packed_scale(r, b, nb)]: d as f32 bits.

// The four signed bytes of a word, low byte first: each to the top of the word, then an
// arithmetic shift down sign-extends it.
fn i8s(q: u32) -> vec4<f32> {
    return vec4<f32>(bitcast<vec4<i32>>(vec4<u32>(q) << vec4<u32>(24u, 16u, 8u, 0u)) >> vec4<u32>(24u));
}

fn block_weights(r: u32, b: u32, nb: u32) -> array<vec4<f32>, 8> {
    let i = (r * nb + b) * 2u;
    let d = bitcast<f32>(sc[packed_scale(r, b, nb)]);
    var w: array<vec4<f32>, 8>;
    for (var h = 0u; h < 2u; h++) {
        let q = qs[i + h];
        for (var k = 0u; k < 4u; k++) {
            w[h * 4u + k] = i8s(q[k]) * d;
        }
    }
    return w;
}

fn block_dot(r: u32, b: u32, nb: u32, xs: array<vec4<f32>, 8>, sx: f32) -> f32 {
    let i = (r * nb + b) * 2u;
    let d = bitcast<f32>(sc[packed_scale(r, b, nb)]);
    let q0 = qs[i];
    let q1 = qs[i + 1u];
    return d * (dot(i8s(q0.x), xs[0]) + dot(i8s(q0.y), xs[1]) + dot(i8s(q0.z), xs[2]) + dot(i8s(q0.w), xs[3])
              + dot(i8s(q1.x), xs[4]) + dot(i8s(q1.y), xs[5]) + dot(i8s(q1.z), xs[6]) + dot(i8s(q1.w), xs[7]));
}

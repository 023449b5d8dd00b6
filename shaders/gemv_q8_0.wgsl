// gemv_q8_0: y = W·x for one token (decode), W in Q8_0: w = q * d.
// Weights in hearth's GPU block layout (src/quant/mod.rs): block b of row r is 9 u32 at (b * rows + r) * 9.
// Bindings (group 0), in launch order, all read_write: cubecl suballocates buffers from shared pages,
// and one wgpu buffer may not be bound read-only and read-write in the same dispatch.
//   0 w: array<u32>        (cols / 32, rows, 9)  8 words of signed bytes, d as f32 bits
//   1 x: array<vec4<f32>>  (n_tok, cols / 4)
//   2 y: array<f32>        (n_tok, rows)
//   3 p: array<u32>        [rows, cols, n_tok]
// No placeholders; no shader-f16. One invocation per output row, 64 rows per workgroup.
@group(0) @binding(0) var<storage, read_write> w: array<u32>;
@group(0) @binding(1) var<storage, read_write> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> p: array<u32>;

const WORDS: u32 = 9u;

// Four signed bytes of q, sign-extended.
fn bytes_i8(q: u32) -> vec4<f32> {
    return vec4<f32>(
        f32(bitcast<i32>(q << 24u) >> 24u),
        f32(bitcast<i32>(q << 16u) >> 24u),
        f32(bitcast<i32>(q << 8u) >> 24u),
        f32(bitcast<i32>(q) >> 24u));
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let rows = p[0];
    let n_blocks = p[1] / 32u;
    let r = gid.x;
    if (r >= rows) {
        return;
    }
    var acc = 0.0;
    for (var b = 0u; b < n_blocks; b++) {
        let base = (b * rows + r) * WORDS;
        let d = bitcast<f32>(w[base + 8u]);
        let xb = b * 8u;
        var s = 0.0;
        for (var k = 0u; k < 8u; k++) {
            s += dot(bytes_i8(w[base + k]), x[xb + k]);
        }
        acc += d * s;
    }
    y[r] = acc;
}

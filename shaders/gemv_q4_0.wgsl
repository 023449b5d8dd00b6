// gemv_q4_0: y = W·x for one token (decode), W in Q4_0: w = (q - 8) * d.
// Weights in hearth's GPU block layout (src/quant/mod.rs): block b of row r is 5 u32 at (b * rows + r) * 5.
// Bindings (group 0), in launch order, all read_write: cubecl suballocates buffers from shared pages,
// and one wgpu buffer may not be bound read-only and read-write in the same dispatch.
//   0 w: array<u32>        (cols / 32, rows, 5)  4 words of nibbles, d as f32 bits
//   1 x: array<vec4<f32>>  (n_tok, cols / 4)
//   2 y: array<f32>        (n_tok, rows)
//   3 p: array<u32>        [rows, cols, n_tok]
// No placeholders; no shader-f16. One invocation per output row, 64 rows per workgroup.
@group(0) @binding(0) var<storage, read_write> w: array<u32>;
@group(0) @binding(1) var<storage, read_write> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> p: array<u32>;

const WORDS: u32 = 5u;

// Four 4-bit values from the low nibble of each byte of q.
fn nibbles(q: u32) -> vec4<f32> {
    return vec4<f32>(f32(q & 0xFu), f32((q >> 8u) & 0xFu), f32((q >> 16u) & 0xFu), f32((q >> 24u) & 0xFu));
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
        let d = bitcast<f32>(w[base + 4u]);
        let xb = b * 8u;
        var s = 0.0;
        for (var k = 0u; k < 4u; k++) {
            let q = w[base + k];
            s += dot(nibbles(q) - 8.0, x[xb + k]) + dot(nibbles(q >> 4u) - 8.0, x[xb + 4u + k]);
        }
        acc += d * s;
    }
    y[r] = acc;
}

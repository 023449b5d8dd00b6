// gemv: y = W·x for one token (decode), for every format of the sub-block layout (src/quant/mod.rs,
// `SubBlocks`). This is the shared body: it is compiled after one file of shaders/blocks/, which
// defines the format's decode:
//   const SC_WORDS: u32                              scale words per 32 weights
//   fn block_weights(r, b, nb: u32) -> array<vec4<f32>, 8>  the 32 weights of row r's block b of nb
// Layout, nb = cols / 32 sub-blocks a row: qs (rows, nb) one vec4<u32> of values each;
// sc (rows, nb, SC_WORDS) u32.
// Bindings (group 0), in launch order, all read_write: cubecl suballocates buffers from shared pages,
// and one wgpu buffer may not be bound read-only and read-write in the same dispatch.
//   0 qs: array<vec4<u32>>  (rows, nb)
//   1 sc: array<u32>        (rows, nb, SC_WORDS)
//   2 x:  array<vec4<f32>>  (1, cols / 4)
//   3 add: array<f32>       what is added to y (epilogue.wgsl)
//   4 y:  array<f32>        (1, p[5]): this matrix writes columns p[6] .. p[6] + rows
//   5 p:  array<u32>        [rows, cols, n_tok, add_stride, has_add, y_stride, y_offset]
// Template values (burn SourceTemplate placeholders): workgroup_size, rows_per_invocation.
// Each invocation computes R consecutive rows, so every x load serves R rows. No shader-f16.

@group(0) @binding(0) var<storage, read_write> qs: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> sc: array<u32>;
@group(0) @binding(2) var<storage, read_write> x: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read_write> p: array<u32>;

const R: u32 = {{ rows_per_invocation }}u;

@compute @workgroup_size({{ workgroup_size }})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let rows = p[0];
    let nb = p[1] / 32u;
    let r0 = gid.x * R;
    if (r0 >= rows) {
        return;
    }
    var acc: array<f32, R>;
    for (var b = 0u; b < nb; b++) {
        var xs: array<vec4<f32>, 8>;
        for (var k = 0u; k < 8u; k++) {
            xs[k] = x[b * 8u + k];
        }
        for (var i = 0u; i < R; i++) {
            let r = min(r0 + i, rows - 1u); // rows past the end recompute the last row
            let w = block_weights(r, b, nb);
            acc[i] += dot(w[0], xs[0]) + dot(w[1], xs[1]) + dot(w[2], xs[2]) + dot(w[3], xs[3])
                    + dot(w[4], xs[4]) + dot(w[5], xs[5]) + dot(w[6], xs[6]) + dot(w[7], xs[7]);
        }
    }
    for (var i = 0u; i < min(R, rows - r0); i++) {
        y[at(0u, r0 + i)] = acc[i] + plus(0u, r0 + i);
    }
}

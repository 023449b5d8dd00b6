// gemv: y = W·x for one token (decode), for every format, shaped for software adapters
// (llvmpipe, SwiftShader: a few CPU cores) — gemv_wide is the hardware-GPU family. The shared
// body, compiled after blocks/shared.wgsl and one format's decode (shaders/blocks/<format>.wgsl:
// block_dot). Layout (src/quant/mod.rs), nb = cols / 32 blocks a row.
// Bindings (group 0), in launch order, all read_write: cubecl suballocates buffers from shared pages,
// and one wgpu buffer may not be bound read-only and read-write in the same dispatch.
//   0 qs: array<vec4<u32>>  (rows, nb, qs_words / 4)
//   1 sc: array<u32>        the format's scales (blocks/<format>.wgsl)
//   2 x:  array<vec4<f32>>  (1, cols / 4)
//   3 add: array<f32>       what is added to y (epilogue.wgsl)
//   4 y:  array<f32>        (1, p[5]): this matrix writes columns p[6] .. p[6] + rows
//   5 p:  array<u32>        [rows, cols, n_tok, add_stride, has_add, y_stride, y_offset]
// Template values (burn SourceTemplate placeholders): workgroup_size, rows_per_invocation.
// Each invocation computes R consecutive rows, so every x load (and its sum) serves R rows.
// No shader-f16.

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
        var sx4 = vec4<f32>(0.0);
        for (var k = 0u; k < 8u; k++) {
            xs[k] = x[b * 8u + k];
            sx4 += xs[k];
        }
        let sx = sx4.x + sx4.y + sx4.z + sx4.w;
        for (var i = 0u; i < R; i++) {
            acc[i] += block_dot(min(r0 + i, rows - 1u), b, nb, xs, sx); // rows past the end recompute the last row
        }
    }
    for (var i = 0u; i < min(R, rows - r0); i++) {
        y[at(0u, r0 + i)] = acc[i] + plus(0u, r0 + i);
    }
}

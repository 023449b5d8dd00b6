// matmul: Y = X·Wᵀ for many tokens (prefill), for every format, shaped for software adapters
// (matmul_wide is the hardware-GPU family). The shared body, compiled after blocks/shared.wgsl
// and one format's decode (shaders/blocks/<format>.wgsl: block_weights).
// Bindings (group 0), in launch order, all read_write (see gemv.wgsl):
//   0 qs: array<vec4<u32>>  (rows, nb, qs_words / 4)
//   1 sc: array<u32>        the format's scales (blocks/<format>.wgsl)
//   2 x:  array<vec4<f32>>  (n_tok, cols / 4)
//   3 add: array<f32>       what is added to y (epilogue.wgsl)
//   4 y:  array<f32>        (n_tok, p[5]): this matrix writes columns p[6] .. p[6] + rows
//   5 p:  array<u32>        [rows, cols, n_tok, add_stride, has_add, y_stride, y_offset]
// Template values: workgroup_size, rows_per_invocation, tokens_per_invocation.
// Each invocation computes an R rows × T tokens tile: a sub-block is decoded once into private
// memory and applied to T tokens; each x load serves R rows. No shader-f16.

@group(0) @binding(0) var<storage, read_write> qs: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> sc: array<u32>;
@group(0) @binding(2) var<storage, read_write> x: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read_write> p: array<u32>;

const R: u32 = {{ rows_per_invocation }}u;
const T: u32 = {{ tokens_per_invocation }}u;

@compute @workgroup_size({{ workgroup_size }})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let rows = p[0];
    let cols4 = p[1] / 4u;
    let nb = p[1] / 32u;
    let n_tok = p[2];
    let r0 = gid.x * R;
    let t0 = gid.y * T;
    if (r0 >= rows || t0 >= n_tok) {
        return;
    }
    var acc: array<f32, R * T>; // (R, T)
    for (var b = 0u; b < nb; b++) {
        var w: array<vec4<f32>, R * 8u>; // (R, 32) decoded weights of sub-block b
        for (var i = 0u; i < R; i++) {
            let r = min(r0 + i, rows - 1u); // rows past the end recompute the last row
            let wi = block_weights(r, b, nb);
            for (var k = 0u; k < 8u; k++) {
                w[i * 8u + k] = wi[k];
            }
        }
        for (var t = 0u; t < T; t++) {
            let xb = min(t0 + t, n_tok - 1u) * cols4 + b * 8u; // tokens past the end recompute the last
            var xs: array<vec4<f32>, 8>;
            for (var k = 0u; k < 8u; k++) {
                xs[k] = x[xb + k];
            }
            for (var i = 0u; i < R; i++) {
                let wi = i * 8u;
                acc[i * T + t] += dot(w[wi], xs[0]) + dot(w[wi + 1u], xs[1]) + dot(w[wi + 2u], xs[2]) + dot(w[wi + 3u], xs[3])
                                + dot(w[wi + 4u], xs[4]) + dot(w[wi + 5u], xs[5]) + dot(w[wi + 6u], xs[6]) + dot(w[wi + 7u], xs[7]);
            }
        }
    }
    for (var i = 0u; i < min(R, rows - r0); i++) {
        for (var t = 0u; t < min(T, n_tok - t0); t++) {
            y[at(t0 + t, r0 + i)] = acc[i * T + t] + plus(t0 + t, r0 + i);
        }
    }
}

// matmul_q4_1: Y = X·Wᵀ for many tokens (prefill), W in Q4_1: w = q * d + m.
// Layout (src/quant/mod.rs), nb = cols / 32 blocks a row, nb4 = ceil(nb / 4):
//   qs row-major, one vec4<u32> of nibbles per block; sc row-major, one u32 (pack2x16float(d, m)) per block,
//   rows padded to nb4 * 4 blocks so four blocks' scales are one vec4 load.
// Bindings (group 0), in launch order, all read_write: cubecl suballocates buffers from shared pages,
// and one wgpu buffer may not be bound read-only and read-write in the same dispatch.
//   0 qs: array<vec4<u32>>  (rows, nb, 1)
//   1 sc: array<vec4<u32>>  (rows, nb4)
//   2 x:  array<vec4<f32>>  (n_tok, cols / 4)
//   3 add: array<f32>       what is added to y (epilogue.wgsl)
//   4 y:  array<f32>        (n_tok, p[5]): this matrix writes columns p[6] .. p[6] + rows
//   5 p:  array<u32>        [rows, cols, n_tok, add_stride, has_add, y_stride, y_offset]
// Template values (burn SourceTemplate placeholders): workgroup_size, rows_per_invocation, tokens_per_invocation.
// Each invocation computes an R rows × T tokens tile: a block is decoded once into private
// memory (cheap to re-read) and applied to T tokens; each x load serves R rows.
// No shader-f16.

@group(0) @binding(0) var<storage, read_write> qs: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> sc: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> x: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read_write> p: array<u32>;

const R: u32 = {{ rows_per_invocation }}u;
const T: u32 = {{ tokens_per_invocation }}u;

// Four 4-bit values from the low nibble of each byte of q.
fn nibbles(q: u32) -> vec4<f32> {
    return vec4<f32>(f32(q & 0xFu), f32((q >> 8u) & 0xFu), f32((q >> 16u) & 0xFu), f32((q >> 24u) & 0xFu));
}

@compute @workgroup_size({{ workgroup_size }})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let rows = p[0];
    let cols4 = p[1] / 4u;
    let nb = p[1] / 32u;
    let nb4 = (nb + 3u) / 4u;
    let n_tok = p[2];
    let r0 = gid.x * R;
    let t0 = gid.y * T;
    if (r0 >= rows || t0 >= n_tok) {
        return;
    }
    var acc: array<f32, R * T>; // (R, T)
    for (var g = 0u; g < nb4; g++) {
        var s4: array<vec4<u32>, R>;
        for (var i = 0u; i < R; i++) {
            s4[i] = sc[min(r0 + i, rows - 1u) * nb4 + g];
        }
        for (var j = 0u; j < 4u; j++) {
            let b = g * 4u + j;
            if (b >= nb) {
                break;
            }
            var w: array<vec4<f32>, R * 8u>; // (R, 32) decoded weights of block b
            for (var i = 0u; i < R; i++) {
                let r = min(r0 + i, rows - 1u); // rows past the end recompute the last row
                let q = qs[r * nb + b];
                let dm = unpack2x16float(s4[i][j]);
                w[i * 8u + 0u] = nibbles(q.x) * dm.x + dm.y;
                w[i * 8u + 1u] = nibbles(q.y) * dm.x + dm.y;
                w[i * 8u + 2u] = nibbles(q.z) * dm.x + dm.y;
                w[i * 8u + 3u] = nibbles(q.w) * dm.x + dm.y;
                w[i * 8u + 4u] = nibbles(q.x >> 4u) * dm.x + dm.y;
                w[i * 8u + 5u] = nibbles(q.y >> 4u) * dm.x + dm.y;
                w[i * 8u + 6u] = nibbles(q.z >> 4u) * dm.x + dm.y;
                w[i * 8u + 7u] = nibbles(q.w >> 4u) * dm.x + dm.y;
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
    }
    for (var i = 0u; i < min(R, rows - r0); i++) {
        for (var t = 0u; t < min(T, n_tok - t0); t++) {
            y[at(t0 + t, r0 + i)] = acc[i * T + t] + plus(t0 + t, r0 + i);
        }
    }
}

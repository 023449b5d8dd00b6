// gemv_q4_0: y = W·x for one token (decode), W in Q4_0: w = (q - 8) * d.
// Layout (src/quant/mod.rs), nb = cols / 32 blocks a row, nb4 = ceil(nb / 4):
//   qs row-major, one vec4<u32> of nibbles per block; sc row-major, one u32 (d as f32 bits) per block,
//   rows padded to nb4 * 4 blocks so four blocks' scales are one vec4 load.
// Bindings (group 0), in launch order, all read_write: cubecl suballocates buffers from shared pages,
// and one wgpu buffer may not be bound read-only and read-write in the same dispatch.
//   0 qs: array<vec4<u32>>  (rows, nb, 1)
//   1 sc: array<vec4<u32>>  (rows, nb4)
//   2 x:  array<vec4<f32>>  (n_tok, cols / 4)
//   3 add: array<f32>       what is added to y (epilogue.wgsl)
//   4 y:  array<f32>        (n_tok, p[5]): this matrix writes columns p[6] .. p[6] + rows
//   5 p:  array<u32>        [rows, cols, n_tok, add_stride, has_add, y_stride, y_offset]
// Template values (burn SourceTemplate placeholders): workgroup_size, rows_per_invocation.
// Each invocation computes R consecutive rows, so every x load serves R rows; one token.
// No shader-f16.

@group(0) @binding(0) var<storage, read_write> qs: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> sc: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> x: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read_write> p: array<u32>;

const R: u32 = {{ rows_per_invocation }}u;

// Four 4-bit values from the low nibble of each byte of q.
fn nibbles(q: u32) -> vec4<f32> {
    return vec4<f32>(f32(q & 0xFu), f32((q >> 8u) & 0xFu), f32((q >> 16u) & 0xFu), f32((q >> 24u) & 0xFu));
}

@compute @workgroup_size({{ workgroup_size }})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let rows = p[0];
    let nb = p[1] / 32u;
    let nb4 = (nb + 3u) / 4u;
    let r0 = gid.x * R;
    if (r0 >= rows) {
        return;
    }
    var acc: array<f32, R>;
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
            var xs: array<vec4<f32>, 8>;
            var sx = 0.0;
            for (var k = 0u; k < 8u; k++) {
                xs[k] = x[b * 8u + k];
                sx += xs[k].x + xs[k].y + xs[k].z + xs[k].w;
            }
            for (var i = 0u; i < R; i++) {
                let r = min(r0 + i, rows - 1u); // rows past the end recompute the last row
                let q = qs[r * nb + b];
                let d = bitcast<f32>(s4[i][j]);
                let s = dot(nibbles(q.x), xs[0]) + dot(nibbles(q.y), xs[1]) + dot(nibbles(q.z), xs[2]) + dot(nibbles(q.w), xs[3])
                      + dot(nibbles(q.x >> 4u), xs[4]) + dot(nibbles(q.y >> 4u), xs[5]) + dot(nibbles(q.z >> 4u), xs[6]) + dot(nibbles(q.w >> 4u), xs[7]);
                acc[i] += d * (s - 8.0 * sx); // Σ (q - 8) x = Σ q x - 8 Σ x
            }
        }
    }
    for (var i = 0u; i < min(R, rows - r0); i++) {
        y[at(0u, r0 + i)] = acc[i] + plus(0u, r0 + i);
    }
}

// gemv_q8_0: y = W·x for one token (decode), W in Q8_0: w = q * d.
// Layout (src/quant/mod.rs), nb = cols / 32 blocks a row, nb4 = ceil(nb / 4):
//   qs row-major, two vec4<u32> of signed bytes per block; sc row-major, one u32 (d as f32 bits) per block,
//   rows padded to nb4 * 4 blocks so four blocks' scales are one vec4 load.
// Bindings (group 0), in launch order, all read_write: cubecl suballocates buffers from shared pages,
// and one wgpu buffer may not be bound read-only and read-write in the same dispatch.
//   0 qs: array<vec4<u32>>  (rows, nb, 2)
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

// Four signed bytes of q, sign-extended.
fn bytes_i8(q: u32) -> vec4<f32> {
    return vec4<f32>(
        f32(bitcast<i32>(q << 24u) >> 24u),
        f32(bitcast<i32>(q << 16u) >> 24u),
        f32(bitcast<i32>(q << 8u) >> 24u),
        f32(bitcast<i32>(q) >> 24u));
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
            for (var k = 0u; k < 8u; k++) {
                xs[k] = x[b * 8u + k];
            }
            for (var i = 0u; i < R; i++) {
                let r = min(r0 + i, rows - 1u); // rows past the end recompute the last row
                let q0 = qs[(r * nb + b) * 2u];
                let q1 = qs[(r * nb + b) * 2u + 1u];
                let d = bitcast<f32>(s4[i][j]);
                let s = dot(bytes_i8(q0.x), xs[0]) + dot(bytes_i8(q0.y), xs[1]) + dot(bytes_i8(q0.z), xs[2]) + dot(bytes_i8(q0.w), xs[3])
                      + dot(bytes_i8(q1.x), xs[4]) + dot(bytes_i8(q1.y), xs[5]) + dot(bytes_i8(q1.z), xs[6]) + dot(bytes_i8(q1.w), xs[7]);
                acc[i] += d * s;
            }
        }
    }
    for (var i = 0u; i < min(R, rows - r0); i++) {
        y[at(0u, r0 + i)] = acc[i] + plus(0u, r0 + i);
    }
}

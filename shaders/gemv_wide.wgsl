// gemv_wide: y = W·x for one token (decode), shaped for hardware GPUs: LANES invocations share a
// row, each taking every LANES-th 32-weight block, and a shared-memory tree adds their sums. A
// workgroup holds WG / LANES rows. Neighbouring lanes read neighbouring blocks, so a row's
// weights stream as whole contiguous lines. The shared body for every format: it is compiled
// after one file of shaders/blocks/, which defines the format's decode:
//   fn block_weights(r, b, nb: u32) -> array<vec4<f32>, 8>  the 32 weights of row r's block b of nb
// The narrow family (gemv.wgsl, gemv_q4_0.wgsl, …: one invocation, 32 rows) stays for software
// adapters, whose "lanes" are a few CPU cores. Same storage layout as the narrow kernels.
// Bindings (group 0), in launch order, all read_write (see gemv.wgsl):
//   0 qs: array<vec4<u32>>  (rows, nb, qs_words / 4)
//   1 sc: array<u32>        the format's scales (blocks/<format>.wgsl)
//   2 x:  array<vec4<f32>>  (1, cols / 4)
//   3 add: array<f32>       what is added to y (epilogue.wgsl)
//   4 y:  array<f32>        (1, p[5]): this matrix writes columns p[6] .. p[6] + rows
//   5 p:  array<u32>        [rows, cols, n_tok, add_stride, has_add, y_stride, y_offset]
// Template values: workgroup_size (WG), lanes (LANES, a power of two dividing WG). No shader-f16;
// WG ≤ 256 and WG × 4 bytes of workgroup memory, within WebGPU's default limits.

@group(0) @binding(0) var<storage, read_write> qs: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> sc: array<u32>;
@group(0) @binding(2) var<storage, read_write> x: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read_write> p: array<u32>;

const WG: u32 = {{ workgroup_size }}u;
const LANES: u32 = {{ lanes }}u;
const ROWS: u32 = WG / LANES;

var<workgroup> part: array<f32, WG>;

@compute @workgroup_size({{ workgroup_size }})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let rows = p[0];
    let nb = p[1] / 32u;
    let lane = li % LANES;
    let row = wid.x * ROWS + li / LANES;
    let r = min(row, rows - 1u); // rows past the end recompute the last row (every lane reaches the barriers)
    var acc = 0.0;
    for (var b = lane; b < nb; b += LANES) {
        let w = block_weights(r, b, nb);
        let xb = b * 8u;
        acc += dot(w[0], x[xb]) + dot(w[1], x[xb + 1u]) + dot(w[2], x[xb + 2u]) + dot(w[3], x[xb + 3u])
             + dot(w[4], x[xb + 4u]) + dot(w[5], x[xb + 5u]) + dot(w[6], x[xb + 6u]) + dot(w[7], x[xb + 7u]);
    }
    part[li] = acc;
    workgroupBarrier();
    for (var s = LANES / 2u; s > 0u; s >>= 1u) {
        if (lane < s) {
            part[li] += part[li + s];
        }
        workgroupBarrier();
    }
    if (lane == 0u && row < rows) {
        y[at(0u, row)] = part[li] + plus(0u, row);
    }
}

// gemv_wide: y = W·x for one token (decode), shaped for hardware GPUs: LANES invocations share a
// row, each taking every LANES-th 32-weight block (gemv_wide_dot.wgsl), and a shared-memory tree
// adds their sums; gemv_wide_subgroup.wgsl is the same with subgroup shuffles where the adapter
// has them. A workgroup holds WG / LANES rows. The shared body for every format: it is compiled
// after blocks/shared.wgsl and one format's decode (shaders/blocks/<format>.wgsl: block_dot).
// The narrow family (gemv.wgsl: one invocation, 32 rows) stays for software adapters, whose
// "lanes" are a few CPU cores. Same storage layout as the narrow kernels.
// Its input (shaders/inputs/: x as it is, RMS-normalised, or SwiGLU of a gate|up output) is
// compiled in too; `input_begin` runs first, and the dot products read x through `xin`.
// Bindings (group 0), in launch order, all read_write (see gemv.wgsl):
//   0 qs: array<vec4<u32>>  (rows, nb, qs_words / 4)
//   1 sc: array<u32>        the format's scales (blocks/<format>.wgsl)
//   2 x:  array<vec4<f32>>  (1, cols / 4), or (1, 2 · cols / 4) for SwiGLU
//   3 add: array<f32>       what is added to y (epilogue.wgsl)
//   (4 nw: array<vec4<f32>> (cols / 4) the norm's weight, inputs/norm.wgsl only; y and p follow)
//   4 y:  array<f32>        (1, p[5]): this matrix writes columns p[6] .. p[6] + rows
//   5 p:  array<u32>        [rows, cols, n_tok, add_stride, has_add, y_stride, y_offset, eps bits]
// Template values: workgroup_size (WG), lanes (LANES, a power of two dividing WG). No shader-f16;
// WG ≤ 256 and WG × 4 bytes of workgroup memory, within WebGPU's default limits.

@compute @workgroup_size({{ workgroup_size }})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    input_begin(li);
    let rows = p[0];
    let nb = p[1] / 32u;
    let lane = li % LANES;
    let row = wid.x * ROWS + li / LANES;
    let r = min(row, rows - 1u); // rows past the end recompute the last row (every lane reaches the barriers)
    part[li] = lane_dot(r, lane, LANES, nb);
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

// gemv_wide_subgroup: gemv_wide with the lanes of a row added by subgroup shuffles (WebGPU's
// `subgroups` feature) instead of a workgroup-memory tree: log2(LANES) shuffles and one barrier
// where the tree has log2(LANES) barriers. On a subgroup smaller than LANES (lavapipe's 8, some
// mobile GPUs') each subgroup of a row adds its lanes by shuffles and the barrier joins the
// LANES / sg partial sums. A row's LANES lanes are consecutive invocations,
// and subgroups are taken to be consecutive, aligned runs of local_invocation_index, as on every
// driver we know; the kernel self-test (kernels/self_test.rs) checks it on the device before
// trusting it. Compiled after blocks/<format>.wgsl and gemv_wide_dot.wgsl; in a browser after
// `enable subgroups;` (kernels/gemv_wide_subgroup.rs). Bindings and parameters: gemv_wide.wgsl.
// Template values: workgroup_size (WG), lanes (LANES, a power of two dividing WG).

@compute @workgroup_size({{ workgroup_size }})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32, @builtin(subgroup_size) sg: u32) {
    input_begin(li);
    let rows = p[0];
    let nb = p[1] / 32u;
    let lane = li % LANES;
    let row = wid.x * ROWS + li / LANES;
    let r = min(row, rows - 1u); // rows past the end recompute the last row (every lane shuffles)
    var v = lane_dot(r, lane, LANES, nb);
    // Within the subgroup: a butterfly over the row's lanes it holds (all LANES, or sg of them).
    let w = min(LANES, sg);
    for (var m = w / 2u; m > 0u; m >>= 1u) {
        v += subgroupShuffleXor(v, m);
    }
    // Across the row's LANES / w subgroups (one when a subgroup holds the row): through workgroup
    // memory, behind one barrier (in uniform control flow whatever the subgroup size).
    part[li] = v;
    workgroupBarrier();
    if (lane == 0u && row < rows) {
        var t = 0.0;
        for (var g = 0u; g < LANES; g += w) {
            t += part[li + g];
        }
        y[at(0u, row)] = t + plus(0u, row);
    }
}

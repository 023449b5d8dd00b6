// read_bandwidth: the adapter's plain read speed, the yardstick for the GEMV kernels' GB/s.
// Invocation g of n_inv = ceil(n4 / per) sums (wrapping) src[g], src[g + n_inv], ... (`per` loads,
// neighbouring invocations on neighbouring words) and writes one u32.
// Bindings (group 0), in launch order, all read_write: cubecl suballocates buffers from shared pages,
// and one wgpu buffer may not be bound read-only and read-write in the same dispatch.
//   0 src: array<vec4<u32>>  (n4)
//   1 dst: array<u32>        (n_invocations)
//   2 p:   array<u32>        [n4, per]
// No placeholders. 64 invocations per workgroup.

@group(0) @binding(0) var<storage, read_write> src: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<storage, read_write> p: array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let n4 = p[0];
    let per = p[1];
    let n_inv = (n4 + per - 1u) / per;
    let g = gid.x;
    if (g >= n_inv) {
        return;
    }
    var s = vec4<u32>(0u);
    for (var k = 0u; k < per; k++) {
        let i = k * n_inv + g;
        if (i < n4) {
            s += src[i];
        }
    }
    dst[g] = s.x + s.y + s.z + s.w;
}

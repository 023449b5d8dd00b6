// read_bandwidth: the adapter's plain read speed, the yardstick for the GEMV kernels' GB/s.
// Invocation g sums (wrapping) its own contiguous run src[g * per .. (g + 1) * per] and writes one
// u32. Contiguous runs are the fastest plain read found on CPU adapters (llvmpipe, SwiftShader).
// Bindings (group 0), in launch order, all read_write: cubecl suballocates buffers from shared pages,
// and one wgpu buffer may not be bound read-only and read-write in the same dispatch.
//   0 src: array<vec4<u32>>  (n4)
//   1 dst: array<u32>        (n_invocations)
//   2 p:   array<u32>        [n4, per]
// Template values (burn SourceTemplate placeholders): workgroup_size.

@group(0) @binding(0) var<storage, read_write> src: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<storage, read_write> p: array<u32>;

@compute @workgroup_size({{ workgroup_size }})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let n4 = p[0];
    let per = p[1];
    let start = gid.x * per;
    if (start >= n4) {
        return;
    }
    // The same trip count in every invocation (CPU adapters run lanes in lockstep); the tail
    // reads a clamped index and discards it.
    var s = vec4<u32>(0u);
    for (var k = 0u; k < per; k++) {
        let i = start + k;
        s += select(vec4<u32>(0u), src[min(i, n4 - 1u)], i < n4);
    }
    dst[gid.x] = s.x + s.y + s.z + s.w;
}

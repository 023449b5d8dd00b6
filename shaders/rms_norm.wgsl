// rms_norm: y = x / sqrt(mean(x²) + eps) · w, over the last axis.
// Bindings (group 0), in launch order, all read_write (cubecl suballocates shared pages):
//   0 x: array<vec4<f32>>  (n, d / 4)
//   1 w: array<vec4<f32>>  (d / 4)
//   2 y: array<vec4<f32>>  (n, d / 4)
//   3 p: array<u32>        [n, d, bitcast<u32>(eps)]
// Template values (burn SourceTemplate placeholders): workgroup_size.
// One invocation per row: rows are short (d ≤ a few thousand) and this needs no barriers.

@group(0) @binding(0) var<storage, read_write> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> w: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> p: array<u32>;

@compute @workgroup_size({{ workgroup_size }})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let n = p[0];
    let d4 = p[1] / 4u;
    let eps = bitcast<f32>(p[2]);
    let row = gid.x;
    if (row >= n) {
        return;
    }
    let base = row * d4;
    var ss = vec4<f32>(0.0);
    for (var i = 0u; i < d4; i++) {
        let v = x[base + i];
        ss += v * v;
    }
    let scale = 1.0 / sqrt((ss.x + ss.y + ss.z + ss.w) / f32(p[1]) + eps);
    for (var i = 0u; i < d4; i++) {
        y[base + i] = x[base + i] * scale * w[i];
    }
}

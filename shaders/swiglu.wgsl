// swiglu: y = silu(gate) · up, silu(z) = z / (1 + exp(−z)), from the fused gate|up projection.
// Bindings (group 0), in launch order, all read_write (cubecl suballocates shared pages):
//   0 gu: array<vec4<f32>>  (n, 2 · f / 4)   gate in the first half of each row, up in the second
//   1 y:  array<vec4<f32>>  (n, f / 4)
//   2 p:  array<u32>        [n, f / 4]
// Template values (burn SourceTemplate placeholders): workgroup_size.

@group(0) @binding(0) var<storage, read_write> gu: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> y: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> p: array<u32>;

@compute @workgroup_size({{ workgroup_size }})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let f4 = p[1];
    let i = gid.x; // over (n, f / 4)
    if (i >= p[0] * f4) {
        return;
    }
    let row = i / f4;
    let j = i % f4;
    let g = gu[row * 2u * f4 + j];
    y[i] = g / (1.0 + exp(-g)) * gu[row * 2u * f4 + f4 + j];
}

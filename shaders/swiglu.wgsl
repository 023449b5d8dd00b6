// swiglu: y = silu(gate) · up, silu(z) = z / (1 + exp(−z)), elementwise.
// Bindings (group 0), in launch order, all read_write (cubecl suballocates shared pages):
//   0 gate: array<vec4<f32>>  (n / 4)
//   1 up:   array<vec4<f32>>  (n / 4)
//   2 y:    array<vec4<f32>>  (n / 4)
//   3 p:    array<u32>        [n / 4]
// Template values (burn SourceTemplate placeholders): workgroup_size.

@group(0) @binding(0) var<storage, read_write> gate: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> up: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> p: array<u32>;

@compute @workgroup_size({{ workgroup_size }})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if (i >= p[0]) {
        return;
    }
    let g = gate[i];
    y[i] = g / (1.0 + exp(-g)) * up[i];
}

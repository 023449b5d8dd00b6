// inputs/swiglu: the wide GEMV (the down projection) reads silu(gate) · up from the gate|up
// projection's output, x = (1, 2 · cols), gate in x[0 .. cols), up in x[cols .. 2 · cols);
// silu(z) = z / (1 + exp(−z)), as shaders/swiglu.wgsl computes it, so SwiGLU costs no launch of
// its own. Each row's lanes compute the activations of the blocks they read (a few exp a
// weight block). Twin: reference::swiglu, then the matrix's. See inputs/plain.wgsl.
// Bindings: 4 y, 5 p.

@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read_write> p: array<u32>;

fn input_begin(li: u32) {}

fn xin(i: u32) -> vec4<f32> {
    let g = x[i];
    return g / (1.0 + exp(-g)) * x[p[1] / 4u + i];
}

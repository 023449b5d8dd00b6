// inputs/plain: the wide GEMV reads x as it is. One of shaders/inputs/, each of which gives the
// wide GEMV body (gemv_wide_dot.wgsl) its input and declares the bindings after `add`:
//   fn input_begin(li: u32)          run once by every invocation, first (uniform control flow)
//   fn xin(i: u32) -> vec4<f32>      the input's i-th 4 values, as the weights multiply them
// Bindings: 4 y: array<f32> (the output, epilogue.wgsl), 5 p: array<u32> (gemv_wide.wgsl).

@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read_write> p: array<u32>;

fn input_begin(li: u32) {}

fn xin(i: u32) -> vec4<f32> {
    return x[i];
}

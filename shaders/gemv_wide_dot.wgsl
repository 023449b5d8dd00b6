// gemv_wide_dot: what the two wide GEMVs share — their first bindings (see gemv_wide.wgsl), shape
// constants and workgroup memory, and one lane's share of a row's dot product: every LANES-th
// 32-weight block of row r from `lane` on, so neighbouring lanes read neighbouring blocks and a
// row's weights stream as whole contiguous lines. gemv_wide.wgsl adds the lanes with a
// workgroup-memory tree, gemv_wide_subgroup.wgsl with subgroup shuffles. Compiled after the
// format's decode (shaders/blocks/<format>.wgsl: block_dot) and the input (shaders/inputs/:
// xin, which also declares y and p), before the entry point.
// Template values: workgroup_size (WG), lanes (LANES, a power of two dividing WG).

@group(0) @binding(0) var<storage, read_write> qs: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> sc: array<u32>;
@group(0) @binding(2) var<storage, read_write> x: array<vec4<f32>>;

const WG: u32 = {{ workgroup_size }}u;
const LANES: u32 = {{ lanes }}u;
const ROWS: u32 = WG / LANES;

var<workgroup> part: array<f32, WG>;

fn lane_dot(r: u32, lane: u32, lanes: u32, nb: u32) -> f32 {
    var acc = 0.0;
    for (var b = lane; b < nb; b += lanes) {
        var xs: array<vec4<f32>, 8>;
        var sx4 = vec4<f32>(0.0);
        for (var k = 0u; k < 8u; k++) {
            xs[k] = xin(b * 8u + k);
            sx4 += xs[k];
        }
        acc += block_dot(r, b, nb, xs, sx4.x + sx4.y + sx4.z + sx4.w);
    }
    return acc;
}

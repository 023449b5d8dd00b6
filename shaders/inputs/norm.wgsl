// inputs/norm: the wide GEMV reads x RMS-normalised, x / sqrt(mean(x²) + eps) · nw, so the norm
// before q|k|v, gate|up and the output costs no launch of its own (and no pass writing the
// normalised copy). Every workgroup sums x² itself: a row's input is a few hundred floats, read
// anyway, against the thousands of weights the workgroup reads. Twin: reference::rms_norm, then
// the matrix's. See inputs/plain.wgsl for what an input defines.
// Bindings: 4 nw: array<vec4<f32>> (cols / 4) the norm's weight, 5 y, 6 p; p[7] = bitcast(eps).

@group(0) @binding(4) var<storage, read_write> nw: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<storage, read_write> p: array<u32>;

var<private> norm_scale: f32;
// The second level of the sum: NORM_GROUPS partial sums of WG / NORM_GROUPS invocations each.
const NORM_GROUPS: u32 = 16u;
var<workgroup> norm_part: array<f32, NORM_GROUPS>;

// Σx² in two barriers (not log2(WG)): each invocation's share into `part`, 16 of them add 16
// each, every invocation adds those 16 (the same addresses: a broadcast read). WG is a multiple
// of 16 (256 in kernels/mod.rs).
fn input_begin(li: u32) {
    let d4 = p[1] / 4u;
    var ss = vec4<f32>(0.0);
    for (var i = li; i < d4; i += WG) {
        let v = x[i];
        ss += v * v;
    }
    part[li] = ss.x + ss.y + ss.z + ss.w;
    workgroupBarrier();
    let per = WG / NORM_GROUPS;
    if (li < NORM_GROUPS) {
        var t = 0.0;
        for (var j = 0u; j < per; j++) {
            t += part[li * per + j];
        }
        norm_part[li] = t;
    }
    workgroupBarrier(); // also: every read of `part` is done before the dot products reuse it
    var total = 0.0;
    for (var g = 0u; g < NORM_GROUPS; g++) {
        total += norm_part[g];
    }
    norm_scale = 1.0 / sqrt(total / f32(p[1]) + bitcast<f32>(p[7]));
}

fn xin(i: u32) -> vec4<f32> {
    return x[i] * norm_scale * nw[i];
}

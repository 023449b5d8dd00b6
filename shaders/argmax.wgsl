// argmax: the index of the largest logit, so a greedy step reads back 4 bytes instead of the
// vocabulary's logits (600 KB a token for Qwen2.5-Coder). One workgroup: each invocation scans
// every WG-th logit (neighbours read neighbouring words), then a shared-memory tree keeps the
// larger value, the lower index on a tie — the first maximum, as `sampler::argmax` (the twin)
// picks it. NaN logits are never chosen over a number (the self-test refuses such an adapter).
// Bindings (group 0), in launch order, all read_write (cubecl suballocates shared pages):
//   0 logits: array<f32>  (n)
//   1 y:      array<f32>  (1)   the index, as f32 (exact below 2^24; vocabularies are far smaller)
//   2 p:      array<u32>  [n]
// Template values: workgroup_size (WG, a power of two ≤ 256). 2 × WG × 4 bytes of workgroup memory.

@group(0) @binding(0) var<storage, read_write> logits: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> p: array<u32>;

const WG: u32 = {{ workgroup_size }}u;
const NONE: u32 = 0xffffffffu;

var<workgroup> best_v: array<f32, WG>;
var<workgroup> best_i: array<u32, WG>;

// Whether (v, i) beats the current best (bv, bi): larger, or as large and earlier.
fn beats(v: f32, i: u32, bv: f32, bi: u32) -> bool {
    return i != NONE && (bi == NONE || v > bv || (v == bv && i < bi));
}

@compute @workgroup_size({{ workgroup_size }})
fn main(@builtin(local_invocation_index) li: u32) {
    let n = p[0];
    var bv = 0.0;
    var bi = NONE;
    for (var i = li; i < n; i += WG) {
        let v = logits[i];
        if (v == v && beats(v, i, bv, bi)) { // v == v: not NaN
            bv = v;
            bi = i;
        }
    }
    best_v[li] = bv;
    best_i[li] = bi;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s >>= 1u) {
        if (li < s && beats(best_v[li + s], best_i[li + s], best_v[li], best_i[li])) {
            best_v[li] = best_v[li + s];
            best_i[li] = best_i[li + s];
        }
        workgroupBarrier();
    }
    if (li == 0u) {
        y[0] = f32(select(best_i[0], 0u, best_i[0] == NONE)); // all NaN: 0, as the twin says
    }
}

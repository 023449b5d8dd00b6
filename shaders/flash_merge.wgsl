// flash_merge: pass 2 of flash-decoding (flash_decode.wgsl): out = Σ_c exp(m_c − M) acc_c / Σ_c exp(m_c − M) l_c
// over a query row's chunks, M the largest chunk max. One workgroup a query row, its invocations
// over the head dimensions. A chunk with no live key has l = 0 and acc = 0 and adds nothing.
// Bindings (group 0), in launch order, all read_write:
//   0 part: array<f32>  (t · heads, chunks, hd + 2)
//   1 out:  array<f32>  (t · heads, hd)
//   2 p:    array<u32>  [t · heads, chunks, hd]
// Template values: workgroup_size.

@group(0) @binding(0) var<storage, read_write> part: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read_write> p: array<u32>;

@compute @workgroup_size({{ workgroup_size }})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let chunks = p[1];
    let hd = p[2];
    let th = wid.x;
    let row = th * chunks * (hd + 2u);
    var big = -3.0e38;
    for (var c = 0u; c < chunks; c++) {
        big = max(big, part[row + c * (hd + 2u) + hd]);
    }
    var total = 0.0;
    for (var c = 0u; c < chunks; c++) {
        let r = row + c * (hd + 2u);
        total += exp(part[r + hd] - big) * part[r + hd + 1u];
    }
    for (var d = li; d < hd; d += {{ workgroup_size }}u) {
        var acc = 0.0;
        for (var c = 0u; c < chunks; c++) {
            let r = row + c * (hd + 2u);
            acc += exp(part[r + hd] - big) * part[r + d];
        }
        out[th * hd + d] = acc / total;
    }
}

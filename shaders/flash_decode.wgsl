// flash_decode: pass 1 of attention split over KV positions (flash-decoding), for hardware GPUs.
// The keys 0 ..= pos + t of a query are cut into chunks of CHUNK; one workgroup takes one
// (query row, chunk): each invocation scores one key, the workgroup reduces the chunk's max and
// sum in workgroup memory, and the invocations then share the head dimensions of Σ e·v. Pass 2
// (flash_merge.wgsl) combines the chunks. Same math as attention.wgsl (its one-invocation-a-head
// form stays for software adapters); twin `reference::attention`.
// Bindings (group 0), in launch order, all read_write (cubecl suballocates shared pages):
//   0 q:    array<vec4<f32>>  (t, heads, hd / 4)
//   1 k:    array<vec4<f32>>  (kv_heads, capacity, hd / 4)   rows ≥ pos + t unused
//   2 v:    array<f32>        (kv_heads, capacity, hd)
//   3 part: array<f32>        (t · heads, chunks, hd + 2)   Σ e·v, then max m, then Σ e
//   4 p:    array<u32>        [t, heads, kv_heads, hd, pos, capacity, bitcast<u32>(scale), chunks]
// Template values: workgroup_size (= CHUNK keys), head_dim4. Workgroup memory: 3 × CHUNK f32.

@group(0) @binding(0) var<storage, read_write> q: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> k: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> v: array<f32>;
@group(0) @binding(3) var<storage, read_write> part: array<f32>;
@group(0) @binding(4) var<storage, read_write> p: array<u32>;

const CHUNK: u32 = {{ workgroup_size }}u;
const HD4: u32 = {{ head_dim4 }}u;

var<workgroup> red: array<f32, CHUNK>; // max, then sum
var<workgroup> e: array<f32, CHUNK>;   // each key's weight exp(score - m)

@compute @workgroup_size({{ workgroup_size }})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) j: u32) {
    let heads = p[1];
    let kv_heads = p[2];
    let hd = p[3];
    let pos = p[4];
    let cap = p[5];
    let scale = bitcast<f32>(p[6]);
    let chunks = p[7];
    let th = wid.y; // t * heads + h
    let c = wid.x;
    let t = th / heads;
    let h = th % heads;
    let kvh = h / (heads / kv_heads);
    let key = c * CHUNK + j;
    let live = key <= pos + t;
    var score = -3.0e38;
    if (live) {
        let kr = (kvh * cap + key) * HD4;
        var d4 = vec4<f32>(0.0);
        for (var i = 0u; i < HD4; i++) {
            d4 += q[th * HD4 + i] * k[kr + i];
        }
        score = (d4.x + d4.y + d4.z + d4.w) * scale;
    }
    red[j] = score;
    workgroupBarrier();
    for (var s = CHUNK / 2u; s > 0u; s >>= 1u) {
        if (j < s) {
            red[j] = max(red[j], red[j + s]);
        }
        workgroupBarrier();
    }
    let m = red[0];
    workgroupBarrier();
    let ej = select(0.0, exp(score - m), live);
    e[j] = ej;
    red[j] = ej;
    workgroupBarrier();
    for (var s = CHUNK / 2u; s > 0u; s >>= 1u) {
        if (j < s) {
            red[j] += red[j + s];
        }
        workgroupBarrier();
    }
    let out = (th * chunks + c) * (hd + 2u);
    let n = min(CHUNK, pos + t + 1u - min(c * CHUNK, pos + t + 1u)); // live keys in this chunk
    let base = (kvh * cap + c * CHUNK) * hd;
    for (var d = j; d < hd; d += CHUNK) {
        var acc = 0.0;
        for (var i = 0u; i < n; i++) {
            acc += e[i] * v[base + i * hd + d];
        }
        part[out + d] = acc;
    }
    if (j == 0u) {
        part[out + hd] = m;
        part[out + hd + 1u] = red[0];
    }
}

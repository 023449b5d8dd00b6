// attention: causal grouped-query attention of new queries over the KV cache, with a one-pass
// (online) softmax: out = softmax(q·Kᵀ · scale) · V over keys 0 ..= pos + t.
// Query head h reads kv head h / (heads / kv_heads).
// Bindings (group 0), in launch order, all read_write (cubecl suballocates shared pages):
//   0 q:   array<vec4<f32>>  (t, heads, hd / 4)
//   1 k:   array<vec4<f32>>  (kv_heads, capacity, hd / 4)   the whole cache; rows ≥ pos + t unused
//   2 v:   array<vec4<f32>>  (kv_heads, capacity, hd / 4)
//   3 out: array<vec4<f32>>  (t, heads, hd / 4)
//   4 p:   array<u32>        [t, heads, kv_heads, hd, pos, capacity, bitcast<u32>(scale)]
// Template values (burn SourceTemplate placeholders): workgroup_size, head_dim4 (= hd / 4).
// One invocation per (token, head); the output row stays in private memory.

@group(0) @binding(0) var<storage, read_write> q: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> k: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> v: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> p: array<u32>;

const HD4: u32 = {{ head_dim4 }}u;

@compute @workgroup_size({{ workgroup_size }})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let n_tok = p[0];
    let heads = p[1];
    let kv_heads = p[2];
    let pos = p[4];
    let cap = p[5];
    let scale = bitcast<f32>(p[6]);
    let th = gid.x; // t * heads + h
    if (th >= n_tok * heads) {
        return;
    }
    let t = th / heads;
    let h = th % heads;
    let kvh = h / (heads / kv_heads);
    var qv: array<vec4<f32>, HD4>;
    var acc: array<vec4<f32>, HD4>;
    for (var i = 0u; i < HD4; i++) {
        qv[i] = q[th * HD4 + i] * scale;
        acc[i] = vec4<f32>(0.0);
    }
    var m = -3.0e38;
    var s = 0.0;
    let base = kvh * cap * HD4;
    for (var j = 0u; j <= pos + t; j++) {
        let kr = base + j * HD4;
        var dot4 = vec4<f32>(0.0);
        for (var i = 0u; i < HD4; i++) {
            dot4 += qv[i] * k[kr + i];
        }
        let score = dot4.x + dot4.y + dot4.z + dot4.w;
        let m_new = max(m, score);
        let corr = exp(m - m_new);
        let e = exp(score - m_new);
        s = s * corr + e;
        for (var i = 0u; i < HD4; i++) {
            acc[i] = acc[i] * corr + v[kr + i] * e;
        }
        m = m_new;
    }
    for (var i = 0u; i < HD4; i++) {
        out[th * HD4 + i] = acc[i] / s;
    }
}

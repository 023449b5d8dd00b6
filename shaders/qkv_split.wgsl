// qkv_split: splits the fused q|k|v projection of t tokens at positions pos..pos+t. Rotates q and k
// (RoPE as llama.cpp applies it: NORM pairs (x[2i], x[2i+1]) when p[6] = 0, NEOX pairs
// (x[i], x[i + hd/2]) when p[6] = 1; (x0, x1) → (x0·cos − x1·sin, x0·sin + x1·cos)), writes q to
// q_out and k, v straight into the KV cache rows pos..pos+t.
// Bindings (group 0), in launch order, all read_write (cubecl suballocates shared pages):
//   0 qkv:   array<f32>  (t, heads + 2 · kv_heads, hd)   q heads, then k heads, then v heads
//   1 cs:    array<f32>  (capacity, hd / 2, 2)            cos, sin for every position (host, f64)
//   2 kc:    array<f32>  (kv_heads, capacity, hd)         key cache, written in place
//   3 vc:    array<f32>  (kv_heads, capacity, hd)         value cache, written in place
//   4 q_out: array<f32>  (t, heads, hd)
//   5 p:     array<u32>  [t, heads, kv_heads, hd, pos, capacity, neox]
// Template values (burn SourceTemplate placeholders): workgroup_size.
// One invocation per (token, head slot, pair).

@group(0) @binding(0) var<storage, read_write> qkv: array<f32>;
@group(0) @binding(1) var<storage, read_write> cs: array<f32>;
@group(0) @binding(2) var<storage, read_write> kc: array<f32>;
@group(0) @binding(3) var<storage, read_write> vc: array<f32>;
@group(0) @binding(4) var<storage, read_write> q_out: array<f32>;
@group(0) @binding(5) var<storage, read_write> p: array<u32>;

@compute @workgroup_size({{ workgroup_size }})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let n_tok = p[0];
    let heads = p[1];
    let kv_heads = p[2];
    let hd = p[3];
    let pos = p[4];
    let cap = p[5];
    let half = hd / 2u;
    let slots = heads + 2u * kv_heads;
    let idx = gid.x; // over (t, slot, i)
    if (idx >= n_tok * slots * half) {
        return;
    }
    let i = idx % half;
    let slot = (idx / half) % slots;
    let t = idx / (half * slots);
    let src = (t * slots + slot) * hd;
    if (slot >= heads + kv_heads) { // v: copied as is
        let dst = ((slot - heads - kv_heads) * cap + pos + t) * hd;
        vc[dst + i] = qkv[src + i];
        vc[dst + i + half] = qkv[src + i + half];
        return;
    }
    var a = 2u * i;
    var b = a + 1u;
    if (p[6] == 1u) {
        a = i;
        b = i + half;
    }
    let c = cs[((pos + t) * half + i) * 2u];
    let s = cs[((pos + t) * half + i) * 2u + 1u];
    let x0 = qkv[src + a];
    let x1 = qkv[src + b];
    let r0 = x0 * c - x1 * s;
    let r1 = x0 * s + x1 * c;
    if (slot < heads) {
        let dst = (t * heads + slot) * hd;
        q_out[dst + a] = r0;
        q_out[dst + b] = r1;
    } else {
        let dst = ((slot - heads) * cap + pos + t) * hd;
        kc[dst + a] = r0;
        kc[dst + b] = r1;
    }
}

// rope: rotary position embedding, as llama.cpp applies it:
//   NORM (llama, p[3] = 0): pairs (x[2i], x[2i+1]);  NEOX (qwen2, p[3] = 1): pairs (x[i], x[i + hd/2]);
//   (x0, x1) → (x0·cos − x1·sin, x0·sin + x1·cos), cos/sin of θ = pos · base^(−2i/hd) from the host (f64).
// Bindings (group 0), in launch order, all read_write (cubecl suballocates shared pages):
//   0 x:   array<f32>  (t, heads, hd)
//   1 cs:  array<f32>  (capacity, hd / 2, 2)   interleaved (cos, sin) for every position
//   2 y:   array<f32>  (t, heads, hd)
//   3 p:   array<u32>  [t, heads, hd, neox, pos]   (token i is at position pos + i)
// Template values (burn SourceTemplate placeholders): workgroup_size.
// One invocation per rotated pair.

@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> cs: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> p: array<u32>;

@compute @workgroup_size({{ workgroup_size }})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let heads = p[1];
    let hd = p[2];
    let half = hd / 2u;
    let idx = gid.x; // over (t, heads, half)
    if (idx >= p[0] * heads * half) {
        return;
    }
    let i = idx % half;
    let th = idx / half; // t * heads + h
    let t = th / heads + p[4]; // position
    var a = th * hd + 2u * i;
    var b = a + 1u;
    if (p[3] == 1u) {
        a = th * hd + i;
        b = a + half;
    }
    let c = cs[(t * half + i) * 2u];
    let s = cs[(t * half + i) * 2u + 1u];
    let x0 = x[a];
    let x1 = x[b];
    y[a] = x0 * c - x1 * s;
    y[b] = x0 * s + x1 * c;
}

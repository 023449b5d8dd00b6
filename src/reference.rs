//! CPU reference twins (plain loops, f64 accumulate) of the float kernels in `kernels/`:
//! what each kernel must compute, checked against it by `tests/ops.rs`. The quantized kernels'
//! twins live with their formats in `quant/`.

/// rms_norm: x (n, d), w (d) → (n, d)
pub fn rms_norm(x: &[f32], w: &[f32], eps: f64) -> Vec<f64> {
    let d = w.len();
    let mut out = Vec::with_capacity(x.len());
    for row in x.chunks_exact(d) {
        let ms = row.iter().map(|&v| v as f64 * v as f64).sum::<f64>() / d as f64;
        let scale = 1.0 / (ms + eps).sqrt();
        out.extend(row.iter().zip(w).map(|(&v, &g)| v as f64 * scale * g as f64));
    }
    out
}

/// rope: x (t, heads, hd) at positions pos..pos+t, NORM or NEOX pairing.
pub fn rope(x: &[f32], heads: usize, hd: usize, pos: usize, base: f64, neox: bool) -> Vec<f64> {
    let half = hd / 2;
    let mut out: Vec<f64> = x.iter().map(|&v| v as f64).collect();
    for (th, row) in out.chunks_exact_mut(hd).enumerate() {
        let p = (pos + th / heads) as f64;
        for i in 0..half {
            let theta = p * base.powf(-2.0 * i as f64 / hd as f64);
            let (a, b) = if neox { (i, i + half) } else { (2 * i, 2 * i + 1) };
            let (x0, x1) = (row[a], row[b]);
            row[a] = x0 * theta.cos() - x1 * theta.sin();
            row[b] = x0 * theta.sin() + x1 * theta.cos();
        }
    }
    out
}

/// The shape of an attention call: query heads, kv heads, head size, the position of the first
/// query, and the KV cache's capacity (rows per kv head).
#[derive(Debug, Clone, Copy)]
pub struct AttentionShape {
    pub heads: usize,
    pub kv_heads: usize,
    pub hd: usize,
    pub pos: usize,
    pub capacity: usize,
}

/// attention: q (t, heads, hd) at positions pos..pos+t over keys/values (kv_heads, capacity, hd);
/// query i sees keys 0..=pos+i. Returns (t, heads, hd).
pub fn attention(q: &[f32], k: &[f32], v: &[f32], shape: AttentionShape) -> Vec<f64> {
    let AttentionShape { heads, kv_heads, hd, pos, capacity } = shape;
    let t = q.len() / (heads * hd);
    let group = heads / kv_heads;
    let scale = 1.0 / (hd as f64).sqrt();
    let mut out = vec![0f64; q.len()];
    for ti in 0..t {
        for h in 0..heads {
            let qr = &q[(ti * heads + h) * hd..][..hd];
            let kvh = h / group;
            let n_keys = pos + ti + 1;
            let scores: Vec<f64> = (0..n_keys)
                .map(|j| {
                    let kr = &k[(kvh * capacity + j) * hd..][..hd];
                    qr.iter().zip(kr).map(|(&a, &b)| a as f64 * b as f64).sum::<f64>() * scale
                })
                .collect();
            let max = scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let e: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
            let total: f64 = e.iter().sum();
            let o = &mut out[(ti * heads + h) * hd..][..hd];
            for (j, ej) in e.iter().enumerate() {
                let vr = &v[(kvh * capacity + j) * hd..][..hd];
                for (oi, &vv) in o.iter_mut().zip(vr) {
                    *oi += ej / total * vv as f64;
                }
            }
        }
    }
    out
}

/// swiglu: silu(gate) · up, elementwise.
pub fn swiglu(gate: &[f32], up: &[f32]) -> Vec<f64> {
    gate.iter().zip(up).map(|(&g, &u)| g as f64 / (1.0 + (-(g as f64)).exp()) * u as f64).collect()
}

/// `swiglu` of the fused gate|up projection's output: rows of 2·f, gate first, up second → rows of f.
pub fn swiglu_fused(gate_up: &[f32], f: usize) -> Vec<f64> {
    gate_up.chunks_exact(2 * f).flat_map(|row| swiglu(&row[..f], &row[f..])).collect()
}

/// qkv_split: the fused projection (t, heads + 2·kv_heads, hd) → rotated q (t, heads, hd), and the
/// rotated k and plain v (t, kv_heads, hd) that go into the cache rows pos..pos+t.
pub fn qkv_split(qkv: &[f32], heads: usize, kv_heads: usize, hd: usize, pos: usize, base: f64, neox: bool) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let slots = heads + 2 * kv_heads;
    let (mut q, mut k, mut v) = (Vec::new(), Vec::new(), Vec::new());
    for row in qkv.chunks_exact(slots * hd) {
        q.extend_from_slice(&row[..heads * hd]);
        k.extend_from_slice(&row[heads * hd..(heads + kv_heads) * hd]);
        v.extend(row[(heads + kv_heads) * hd..].iter().map(|&x| x as f64));
    }
    (rope(&q, heads, hd, pos, base, neox), rope(&k, kv_heads, hd, pos, base, neox), v)
}

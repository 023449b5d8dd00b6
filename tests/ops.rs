//! The float kernels against their f64 twins in `hearth::reference`, at the model's shapes.
#![cfg(not(target_family = "wasm"))] // native tests; the browser ones are web.rs, store.rs, cpu_web.rs

mod common;

use common::TestRng;
use hearth::gpu::{self, Gpu};
use hearth::kernels::{argmax, attention, flash_decode, qkv_split, rms_norm, swiglu};
use hearth::reference;

/// Allowed |gpu − reference| relative to the largest |reference| of the case. Measured worst on
/// lavapipe: 4.8e-7 (attention over 71 keys); 5e-6 leaves 10× headroom and still fails on any
/// wrong index, pairing or mask (errors of order 1).
const OP_REL_TOLERANCE: f64 = 5e-6;

fn check(name: &str, got: &[f32], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{name}: length");
    let scale = want.iter().fold(0f64, |m, v| m.max(v.abs()));
    assert!(scale > 0.0, "{name}: reference is all zero");
    let worst = got.iter().zip(want).map(|(&g, &w)| (g as f64 - w).abs()).fold(0f64, f64::max) / scale;
    eprintln!("{name}: worst rel err {worst:.2e}");
    assert!(worst <= OP_REL_TOLERANCE, "{name}: worst relative error {worst:.2e}");
}

fn random(rng: &mut TestRng, n: usize, lo: f32, hi: f32) -> Vec<f32> {
    (0..n).map(|_| rng.f32(lo, hi)).collect()
}

fn gpu() -> Option<Gpu> {
    common::gpu()
}

#[test]
fn rms_norm_matches_reference() {
    let Some(g) = gpu() else { return };
    let mut rng = TestRng::new(1);
    for n in [1, 37] {
        let d = 576;
        let x = random(&mut rng, n * d, -3.0, 3.0);
        let w = random(&mut rng, d, 0.0, 2.0);
        let out = rms_norm::forward(gpu::tensor_from_f32(&g.device, x.clone(), [n, d]), &gpu::tensor_from_f32(&g.device, w.clone(), [d]), 1e-5).expect("launch");
        check(&format!("rms_norm {n}x{d}"), &gpu::read_f32(out).expect("read"), &reference::rms_norm(&x, &w, 1e-5));
    }
}

#[test]
fn qkv_split_matches_reference() {
    let Some(g) = gpu() else { return };
    let mut rng = TestRng::new(2);
    let (t, heads, kv_heads, hd, pos, capacity, base) = (7, 9, 3, 64, 1000, 1010, 100000.0);
    for neox in [false, true] {
        let qkv = random(&mut rng, t * (heads + 2 * kv_heads) * hd, -2.0, 2.0);
        let cs = gpu::tensor_from_f32(&g.device, qkv_split::table(0, capacity, hd, base), [capacity * hd]);
        let keys = gpu::tensor_from_f32(&g.device, vec![7.0; kv_heads * capacity * hd], [kv_heads, capacity, hd]);
        let values = gpu::tensor_from_f32(&g.device, vec![7.0; kv_heads * capacity * hd], [kv_heads, capacity, hd]);
        let split = qkv_split::Split { heads, kv_heads, head_dim: hd, pos, neox };
        let q = qkv_split::forward(gpu::tensor_from_f32(&g.device, qkv.clone(), [t, (heads + 2 * kv_heads) * hd]), &cs, &keys, &values, split).expect("launch");
        let (want_q, want_k, want_v) = reference::qkv_split(&qkv, heads, kv_heads, hd, pos, base, neox);
        check(&format!("qkv_split q neox={neox}"), &gpu::read_f32(q).expect("read"), &want_q);
        // the cache: rows pos..pos+t hold k and v (token-major in the reference), the rest untouched
        let (kc, vc) = (gpu::read_f32(keys).expect("read"), gpu::read_f32(values).expect("read"));
        let rows = |cache: &[f32]| -> Vec<f32> {
            (0..t).flat_map(|ti| (0..kv_heads).flat_map(move |h| (h * capacity + pos + ti) * hd..(h * capacity + pos + ti + 1) * hd)).map(|i| cache[i]).collect()
        };
        check(&format!("qkv_split k neox={neox}"), &rows(&kc), &want_k);
        check(&format!("qkv_split v neox={neox}"), &rows(&vc), &want_v);
        let written = kv_heads * t * hd;
        assert_eq!(kc.iter().filter(|&&v| v == 7.0).count(), kc.len() - written, "only rows pos..pos+t change");
    }
}

#[test]
fn attention_matches_reference() {
    attention_cases(false, 96, &[(1, 0), (1, 70), (7, 40)]);
}

/// The wide family's split attention: chunk edges (63, 64, 65 keys), a prefill chunk over
/// several chunks, and a decode step at 2k context (32 chunks to merge).
#[test]
fn flash_decode_matches_reference() {
    attention_cases(true, 2048, &[(1, 0), (1, 62), (1, 63), (1, 64), (7, 40), (70, 100), (1, 2047)]);
}

fn attention_cases(flash: bool, capacity: usize, cases: &[(usize, usize)]) {
    let Some(g) = gpu() else { return };
    let mut rng = TestRng::new(3);
    let (heads, kv_heads, hd) = (9, 3, 64);
    for &(t, pos) in cases {
        let q = random(&mut rng, t * heads * hd, -1.0, 1.0);
        // rows past pos + t hold large garbage: reading them would show
        let mut k = random(&mut rng, kv_heads * capacity * hd, -1.0, 1.0);
        let mut v = random(&mut rng, kv_heads * capacity * hd, -1.0, 1.0);
        for h in 0..kv_heads {
            for j in pos + t..capacity {
                for i in 0..hd {
                    k[(h * capacity + j) * hd + i] = 50.0;
                    v[(h * capacity + j) * hd + i] = 1e6;
                }
            }
        }
        let kt = gpu::tensor_from_f32(&g.device, k.clone(), [kv_heads, capacity, hd]);
        let vt = gpu::tensor_from_f32(&g.device, v.clone(), [kv_heads, capacity, hd]);
        let qt = gpu::tensor_from_f32(&g.device, q.clone(), [t, heads, hd]);
        let out = if flash { flash_decode::forward(qt, &kt, &vt, pos) } else { attention::forward(qt, &kt, &vt, pos) }.expect("launch");
        let want = reference::attention(&q, &k, &v, reference::AttentionShape { heads, kv_heads, hd, pos, capacity });
        check(&format!("attention flash={flash} t={t} pos={pos}"), &gpu::read_f32(out).expect("read"), &want);
    }
}

#[test]
fn swiglu_matches_reference() {
    let Some(g) = gpu() else { return };
    let mut rng = TestRng::new(4);
    let (n, f) = (13, 1536);
    let gate = random(&mut rng, n * f, -8.0, 8.0);
    let up = random(&mut rng, n * f, -2.0, 2.0);
    let fused: Vec<f32> = (0..n).flat_map(|r| gate[r * f..(r + 1) * f].iter().chain(&up[r * f..(r + 1) * f]).copied().collect::<Vec<_>>()).collect();
    let out = swiglu::forward(gpu::tensor_from_f32(&g.device, fused, [n, 2 * f])).expect("launch");
    check("swiglu", &gpu::read_f32(out).expect("read"), &reference::swiglu(&gate, &up));
}

#[test]
fn argmax_matches_reference() {
    // The twin is the sampler's own argmax (the first maximum): exact, no tolerance. Both
    // vocabularies (SmolLM2 49152, Qwen2.5-Coder 151936), with the maximum at the first and the
    // last index, a tie (the earlier one wins), every logit equal, and -inf logits (a mask).
    let Some(g) = gpu() else { return };
    let mut rng = TestRng::new(5);
    for n in [49152, 151936] {
        let base = random(&mut rng, n, -20.0, 20.0);
        let mut cases: Vec<(&str, Vec<f32>)> = vec![("random", base.clone())];
        let mut first = base.clone();
        first[0] = 30.0;
        cases.push(("max first", first));
        let mut last = base.clone();
        last[n - 1] = 30.0;
        cases.push(("max last", last));
        let mut tie = base.clone();
        tie[n - 7] = 25.0;
        tie[n / 3 + 1] = 25.0;
        cases.push(("tie", tie));
        cases.push(("all equal", vec![1.5; n]));
        let mut masked = vec![f32::NEG_INFINITY; n];
        masked[n / 2 + 3] = -1e30;
        cases.push(("masked", masked));
        for (name, logits) in cases {
            let want = hearth::sampler::argmax(&logits);
            let out = argmax::forward(gpu::tensor_from_f32(&g.device, logits, [1, n])).expect("launch");
            let got = argmax::index(&gpu::read_f32(out).expect("read")).expect("index");
            assert_eq!(got, want, "argmax {name} over {n}");
        }
    }
}

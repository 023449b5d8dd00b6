//! Trust no adapter blindly: before the first completion, every kernel a model launches runs once
//! on the actual device at a small shape and is checked against its CPU twin (f64). Some
//! adapters report features they compute wrongly; a wrong kernel here means `backend: 'auto'`
//! runs on the CPU instead and `info().gpuFallback` says why. About 20 launches and readbacks
//! (32 for the wide family, which also takes the norm and SwiGLU inside its GEMV).

use super::{attention, flash_decode, qkv_split, rms_norm, swiglu, Add, Family, Input, QuantMatrix};
use crate::error::HearthError;
use crate::gguf::GgmlType;
use crate::gpu::{self, Device, Tensor};
use crate::quant::QuantKind;
use crate::reference;

/// Allowed |gpu − twin| relative to the case's scale (Σ|w·x| of an output for the weight
/// kernels, the largest |twin| for the float ones). The kernel tests measure ≤ 1e-6 on
/// lavapipe and SwiftShader; a hardware GPU may contract to FMA or approximate `exp` a little
/// more. A wrong weight, index or mask moves an output by ≥ 1e-3 of its scale.
pub const SELF_TEST_REL_TOLERANCE: f64 = 1e-4;
/// 72 rows (not a multiple of any row tile: the tail paths run), 256 columns (one k-quant
/// super-block, eight 32-blocks), 5 tokens for the matmul.
const ROWS: usize = 72;
const COLS: usize = 256;
const TOKENS: usize = 5;

fn ggml(kind: QuantKind) -> GgmlType {
    match kind {
        QuantKind::Q4_0 => GgmlType::Q4_0,
        QuantKind::Q4_1 => GgmlType::Q4_1,
        QuantKind::Q8_0 => GgmlType::Q8_0,
        QuantKind::Q5_0 => GgmlType::Q5_0,
        QuantKind::Q4K => GgmlType::Q4K,
        QuantKind::Q6K => GgmlType::Q6K,
    }
}

/// Deterministic inputs in [-1, 1).
fn inputs(seed: u64, n: usize) -> Vec<f32> {
    let mut s = seed | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 40) as f32 / (1u64 << 23) as f32 - 1.0
        })
        .collect()
}

/// Compare `got` with `want`, each output scaled by `scale` (one per output, or one for all).
fn compare(what: &str, got: &[f32], want: &[f64], scale: &[f64]) -> Result<(), String> {
    if got.len() != want.len() {
        return Err(format!("{what}: {} outputs, expected {}", got.len(), want.len()));
    }
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let s = scale[i.min(scale.len() - 1)].max(f64::MIN_POSITIVE);
        let rel = (g as f64 - w).abs() / s;
        // NaN fails too.
        if rel.is_nan() || rel > SELF_TEST_REL_TOLERANCE {
            return Err(format!("{what}: output {i} is {g}, its CPU twin {w} (relative error {rel:.1e})"));
        }
    }
    Ok(())
}

fn max_abs(v: &[f64]) -> Vec<f64> {
    vec![v.iter().fold(0f64, |m, x| m.max(x.abs()))]
}

/// Run every kernel of `family` (and the shared float kernels) once on `device` against its twin.
/// `tamper` sees each readback before the comparison (tests prove a wrong result is caught).
pub async fn run_with(device: &Device, family: Family, tamper: &dyn Fn(&mut Vec<f32>)) -> Result<(), HearthError> {
    let fail = |why: String| HearthError::GpuUnavailable(format!("the adapter failed hearth's kernel self-test ({} kernels): {why}", family.name()));
    let read = |t: Tensor<2>| async move {
        let mut v = gpu::read_f32_async(t).await?;
        tamper(&mut v);
        Ok::<_, HearthError>(v)
    };
    for (i, kind) in QuantKind::ALL.into_iter().enumerate() {
        let bytes = crate::model::tiny::random_weights(11 + i as u64, ggml(kind), ROWS, COLS);
        let m = QuantMatrix::upload(device, kind, &bytes, ROWS, COLS)?.with_family(family);
        for n_tok in [1, TOKENS] {
            let x = inputs(3 + n_tok as u64, n_tok * COLS);
            let y = read(m.forward(gpu::tensor_from_f32(device, x.clone(), [n_tok, COLS]))?).await?;
            let (want, mag) = crate::quant::matmul_reference(kind, &bytes, ROWS, COLS, &x);
            let what = format!("{} {kind:?} {ROWS}×{COLS}, {n_tok} token(s)", if n_tok == 1 { "gemv" } else { "matmul" });
            compare(&what, &y, &want, &mag).map_err(fail)?;
        }
        if family == Family::Wide {
            // The inputs the wide GEMV applies itself: the norm before a projection, SwiGLU.
            let x = inputs(30 + i as u64, 2 * COLS);
            let nw: Vec<f32> = inputs(40 + i as u64, COLS).iter().map(|v| v + 1.0).collect();
            let nw_t = gpu::tensor_from_f32(device, nw.clone(), [COLS]);
            for input in [Input::Norm(&nw_t, 1e-6), Input::SwiGlu] {
                let (x, taken) = match input {
                    Input::SwiGlu => (x.clone(), reference::swiglu_fused(&x, COLS)),
                    _ => (x[..COLS].to_vec(), reference::rms_norm(&x[..COLS], &nw, 1e-6)),
                };
                let taken: Vec<f32> = taken.iter().map(|&v| v as f32).collect();
                let y = read(m.forward_from(gpu::tensor_from_f32(device, x.clone(), [1, x.len()]), input, Add::Nothing)?).await?;
                let (want, mag) = crate::quant::matmul_reference(kind, &bytes, ROWS, COLS, &taken);
                let name = if matches!(input, Input::SwiGlu) { "swiglu" } else { "norm" };
                compare(&format!("gemv {kind:?} {ROWS}×{COLS} after {name}"), &y, &want, &mag).map_err(fail)?;
            }
        }
    }

    // The float kernels at a small model's head shape: 4 heads over 2 KV heads of 64.
    let (t, heads, kv_heads, hd, pos, capacity, base) = (3usize, 4usize, 2usize, 64usize, 70usize, 80usize, 10000.0);
    let d = heads * hd;
    let x = inputs(21, t * d);
    let w = inputs(22, d).iter().map(|v| v + 1.0).collect::<Vec<_>>();
    let y = read(rms_norm::forward(gpu::tensor_from_f32(device, x.clone(), [t, d]), &gpu::tensor_from_f32(device, w.clone(), [d]), 1e-6)?).await?;
    let want = reference::rms_norm(&x, &w, 1e-6);
    compare("rms_norm", &y, &want, &max_abs(&want)).map_err(fail)?;

    let gate_up = inputs(23, t * 2 * d);
    let (gate, up): (Vec<f32>, Vec<f32>) = (
        (0..t).flat_map(|r| gate_up[r * 2 * d..r * 2 * d + d].to_vec()).collect(),
        (0..t).flat_map(|r| gate_up[r * 2 * d + d..(r + 1) * 2 * d].to_vec()).collect(),
    );
    let y = read(swiglu::forward(gpu::tensor_from_f32(device, gate_up, [t, 2 * d]))?).await?;
    let want = reference::swiglu(&gate, &up);
    compare("swiglu", &y, &want, &max_abs(&want)).map_err(fail)?;

    // q|k|v of t tokens at `pos`: rotated q back, k and v written into the cache.
    let qkv = inputs(24, t * (heads + 2 * kv_heads) * hd);
    let k0 = inputs(25, kv_heads * capacity * hd);
    let v0 = inputs(26, kv_heads * capacity * hd);
    let keys = gpu::tensor_from_f32(device, k0, [kv_heads, capacity, hd]);
    let values = gpu::tensor_from_f32(device, v0, [kv_heads, capacity, hd]);
    let cs = gpu::tensor_from_f32(device, qkv_split::table(0, capacity, hd, base), [capacity * hd]);
    let split = qkv_split::Split { heads, kv_heads, head_dim: hd, pos, neox: true };
    let q = qkv_split::forward(gpu::tensor_from_f32(device, qkv.clone(), [t, (heads + 2 * kv_heads) * hd]), &cs, &keys, &values, split)?;
    let (want_q, want_k, _) = reference::qkv_split(&qkv, heads, kv_heads, hd, pos, base, true);
    let got_q = read(q.clone().reshape([t, d])).await?;
    compare("qkv_split (q)", &got_q, &want_q, &max_abs(&want_q)).map_err(fail)?;
    let got_k = read(keys.clone().reshape([kv_heads * capacity, hd])).await?;
    let rows_k: Vec<f32> = (0..t).flat_map(|ti| (0..kv_heads).flat_map(move |h| (h * capacity + pos + ti) * hd..(h * capacity + pos + ti + 1) * hd)).map(|i| got_k[i]).collect();
    compare("qkv_split (k)", &rows_k, &want_k, &max_abs(&want_k)).map_err(fail)?;

    // Attention of those queries over the cache as the model runs it (keys 0 ..= pos + t).
    let (k1, v1) = (gpu::read_f32_async(keys.clone().reshape([kv_heads * capacity, hd])).await?, gpu::read_f32_async(values.clone().reshape([kv_heads * capacity, hd])).await?);
    let q_host = gpu::read_f32_async(q.clone().reshape([t, d])).await?;
    let att = match family {
        Family::Narrow => attention::forward(q, &keys, &values, pos)?,
        Family::Wide => flash_decode::forward(q, &keys, &values, pos)?,
    };
    let y = read(att).await?;
    let want = reference::attention(&q_host, &k1, &v1, reference::AttentionShape { heads, kv_heads, hd, pos, capacity });
    compare("attention", &y, &want, &max_abs(&want)).map_err(fail)?;
    Ok(())
}

/// The self-test as the engine runs it: `Err(gpu unavailable, why)` when a kernel is wrong here.
pub async fn run(device: &Device, family: Family) -> Result<(), HearthError> {
    run_with(device, family, &|_| {}).await
}

/// `run`, and when it fails with the subgroup GEMV in use, once more without it (a driver whose
/// subgroups are not consecutive runs of invocations computes it wrong; the tree is then used).
/// `Err` only when the kernels are wrong either way.
pub async fn trust(device: &Device, family: Family) -> Result<(), HearthError> {
    match run(device, family).await {
        Err(e) if family == Family::Wide && gpu::subgroups() => {
            gpu::turn_off_subgroups();
            run(device, family).await.map_err(|again| HearthError::GpuUnavailable(format!("{again} (with subgroups: {e})")))
        }
        other => other,
    }
}

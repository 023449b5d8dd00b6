//! Kernel benchmark: each fused GEMV's achieved GB/s, in both kernel families (narrow: software
//! adapters; wide: hardware GPUs), next to the same adapter's plain read bandwidth measured in
//! the same run, at both models' real shapes; decode attention (one invocation a head vs
//! flash-decoding) at growing context; the prefill matmul's throughput.
//! Run: `make bench` (or `cargo bench --bench kernels`).

use hearth::gpu::{self, Tensor};
use hearth::kernels::{self, attention, flash_decode, Family, QuantMatrix};
use hearth::quant::QuantKind;
use std::time::Instant;

/// (format, in, out): SmolLM2's shapes in its formats (q|k|v stacked is 576×960, gate|up 576×3072,
/// output 576×49152), Qwen2.5-Coder's (q|k|v 896×1152, gate|up 896×9728, down 4864×896 in Q4_K /
/// Q6_K, output 896×151936 in Q8_0, which loads as two 75968-row parts under the 128 MiB binding limit).
const GEMVS: [(QuantKind, usize, usize); 13] = [
    (QuantKind::Q4_1, 576, 960),
    (QuantKind::Q4_1, 576, 3072),
    (QuantKind::Q4_1, 1536, 576),
    (QuantKind::Q4_0, 576, 3072),
    (QuantKind::Q8_0, 576, 3072),
    (QuantKind::Q8_0, 576, 49152),
    (QuantKind::Q5_0, 896, 1152),
    (QuantKind::Q5_0, 896, 896),
    (QuantKind::Q5_0, 896, 9728),
    (QuantKind::Q5_0, 4864, 896),
    (QuantKind::Q4K, 4864, 896),
    (QuantKind::Q6K, 4864, 896),
    (QuantKind::Q8_0, 896, 75968),
];
const ATTENTION_CONTEXTS: [usize; 3] = [128, 512, 2048];
const PREFILL_TOKENS: usize = 512;

/// Seconds per call of `f`: the best of 5 rounds of back-to-back launches (CPU adapters share
/// the machine with everything else, so the best round is the kernel's own speed). Each
/// round's final readback waits for the whole in-order queue.
fn per_call<const D: usize>(iters: usize, mut f: impl FnMut() -> Tensor<D>) -> f64 {
    gpu::read_f32(f()).expect("warm-up");
    let mut best = f64::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        let mut last = None;
        for _ in 0..iters {
            last = Some(f());
        }
        gpu::read_f32(last.expect("ran")).expect("read");
        best = best.min(start.elapsed().as_secs_f64() / iters as f64);
    }
    best
}

/// `rows × cols` weights in `kind` with every block's first two bytes 0x10 (a small f16 scale in
/// the 32-weight formats; k-quants keep whatever bytes land on their scales: the timing does not
/// depend on the values).
fn bench_matrix(kind: QuantKind, rows: usize, cols: usize) -> Vec<u8> {
    (0..rows * kind.row_bytes(cols)).map(|i| if i % kind.block_bytes() < 2 { 0x10 } else { (i * 7) as u8 }).collect()
}

fn main() {
    let gpu = match gpu::device() {
        Ok(g) => g,
        Err(e) => {
            eprintln!("no GPU adapter: {e}");
            std::process::exit(1);
        }
    };
    println!("adapter: {}", gpu.adapter);

    // Plain read bandwidth over 64 MiB.
    let words: Vec<u32> = (0..16u32 << 20).collect();
    let buf = gpu::upload_u32(&gpu.device, words).expect("upload");
    let like = gpu::tensor_from_f32(&gpu.device, vec![0.0], [1]);
    let read_s = per_call(10, || kernels::read_bandwidth(&buf, 64, &like).expect("read kernel"));
    println!("read_bandwidth: {:.2} GB/s (64 MiB, streaming)", buf.n_bytes as f64 / read_s / 1e9);
    drop(buf);

    // Each GEMV next to a plain read of the same number of bytes (same cache level, same
    // dispatch overhead), timed alternately so both see the machine in the same state.
    let own = Family::for_adapter(gpu.software);
    println!("\nkernel family this adapter gets: {}", own.name());
    println!("subgroups on this device: {} (the wide columns: workgroup-memory tree; wide+sg: subgroup shuffles)", gpu::subgroups());
    println!("\n| kernel | in×out | weight MiB | narrow µs | narrow GB/s | wide µs | wide GB/s | wide+sg µs | read GB/s (same bytes) | narrow / read | wide / read | wide+sg / read |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (kind, cols, rows) in GEMVS {
        let bytes = bench_matrix(kind, rows, cols);
        let narrow = QuantMatrix::upload(&gpu.device, kind, &bytes, rows, cols).expect("upload");
        let n_bytes = narrow.gpu_bytes();
        let wide = QuantMatrix::upload(&gpu.device, kind, &bytes, rows, cols).expect("upload").with_family(Family::Wide).with_subgroups(false);
        let wide_sg = gpu::subgroups().then(|| QuantMatrix::upload(&gpu.device, kind, &bytes, rows, cols).expect("upload").with_family(Family::Wide).with_subgroups(true));
        drop(bytes);
        let x = gpu::tensor_from_f32(&gpu.device, vec![0.5; cols], [1, cols]);
        let same: Vec<u32> = (0..n_bytes as u32 / 4).collect();
        let rd = gpu::upload_u32(&gpu.device, same).expect("upload");
        let iters = (60_000_000 / n_bytes).clamp(5, 100);
        let (mut gn, mut gw, mut gs, mut r) = (f64::MAX, f64::MAX, f64::NAN, f64::MAX);
        for _ in 0..3 {
            gn = gn.min(per_call(iters, || narrow.forward(x.clone()).expect("gemv")));
            gw = gw.min(per_call(iters, || wide.forward(x.clone()).expect("gemv")));
            if let Some(m) = &wide_sg {
                gs = gs.min(per_call(iters, || m.forward(x.clone()).expect("gemv")));
            }
            r = r.min(per_call(iters, || kernels::read_bandwidth(&rd, 64, &like).expect("read")));
        }
        let gbs = |s: f64| n_bytes as f64 / s / 1e9;
        let rbs = rd.n_bytes as f64 / r / 1e9;
        println!(
            "| gemv_{} | {cols}×{rows} | {:.2} | {:.0} | {:.1} | {:.0} | {:.1} | {:.0} | {:.1} | {:.2} | {:.2} | {:.2} |",
            format!("{kind:?}").to_lowercase(),
            n_bytes as f64 / (1 << 20) as f64,
            gn * 1e6,
            gbs(gn),
            gw * 1e6,
            gbs(gw),
            gs * 1e6,
            rbs,
            gbs(gn) / rbs,
            gbs(gw) / rbs,
            gbs(gs) / rbs
        );
    }

    // Decode attention (one query token) over a filled cache: SmolLM2's 9 heads / 3 KV heads and
    // Qwen2.5-Coder's 14 / 2, head size 64.
    println!("\n| attention | heads / kv | context | one-a-head µs | flash-decoding µs |");
    println!("|---|---|---|---|---|");
    for (heads, kv_heads) in [(9, 3), (14, 2)] {
        for ctx in ATTENTION_CONTEXTS {
            let hd = 64;
            let q = gpu::tensor_from_f32(&gpu.device, vec![0.01; heads * hd], [1, heads, hd]);
            let kv: Vec<f32> = (0..kv_heads * ctx * hd).map(|i| ((i % 97) as f32 - 48.0) / 97.0).collect();
            let k = gpu::tensor_from_f32(&gpu.device, kv.clone(), [kv_heads, ctx, hd]);
            let v = gpu::tensor_from_f32(&gpu.device, kv, [kv_heads, ctx, hd]);
            let pos = ctx - 1;
            let (mut a, mut f) = (f64::MAX, f64::MAX);
            for _ in 0..3 {
                a = a.min(per_call(20, || attention::forward(q.clone(), &k, &v, pos).expect("attention")));
                f = f.min(per_call(20, || flash_decode::forward(q.clone(), &k, &v, pos).expect("flash")));
            }
            println!("| decode | {heads} / {kv_heads} | {ctx} | {:.0} | {:.0} |", a * 1e6, f * 1e6);
        }
    }

    println!("\n| kernel | in×out | tokens | narrow ms | narrow GFLOP/s | wide ms | wide GFLOP/s |");
    println!("|---|---|---|---|---|---|---|");
    for (kind, cols, rows) in [(QuantKind::Q4_1, 576, 3072), (QuantKind::Q8_0, 576, 3072), (QuantKind::Q5_0, 896, 9728), (QuantKind::Q6K, 4864, 896)] {
        let bytes = bench_matrix(kind, rows, cols);
        let narrow = QuantMatrix::upload(&gpu.device, kind, &bytes, rows, cols).expect("upload");
        let wide = QuantMatrix::upload(&gpu.device, kind, &bytes, rows, cols).expect("upload").with_family(Family::Wide);
        let x = gpu::tensor_from_f32(&gpu.device, vec![0.5; PREFILL_TOKENS * cols], [PREFILL_TOKENS, cols]);
        let flop = 2.0 * (rows * cols * PREFILL_TOKENS) as f64;
        let (mut sn, mut sw) = (f64::MAX, f64::MAX);
        for _ in 0..2 {
            sn = sn.min(per_call(2, || narrow.forward(x.clone()).expect("matmul")));
            sw = sw.min(per_call(2, || wide.forward(x.clone()).expect("matmul")));
        }
        println!(
            "| matmul_{} | {cols}×{rows} | {PREFILL_TOKENS} | {:.2} | {:.1} | {:.2} | {:.1} |",
            format!("{kind:?}").to_lowercase(),
            sn * 1e3,
            flop / sn / 1e9,
            sw * 1e3,
            flop / sw / 1e9
        );
    }
}

//! Kernel benchmark: each fused GEMV's achieved GB/s next to the same adapter's plain read
//! bandwidth, measured in the same run; and the prefill matmul's throughput.
//! Run: `make bench` (or `cargo bench --bench kernels`).

use hearth::gpu::{self, Tensor};
use hearth::kernels::{self, QuantMatrix};
use hearth::quant::{QuantKind, QK};
use std::time::Instant;

const SHAPES: [(usize, usize); 3] = [(576, 1536), (1536, 576), (576, 49152)];
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
    let buf = gpu::upload_u32(&gpu.device, &words).expect("upload");
    let like = gpu::tensor_from_f32(&gpu.device, vec![0.0], [1]);
    let read_s = per_call(10, || kernels::read_bandwidth(&buf, 64, &like).expect("read kernel"));
    println!("read_bandwidth: {:.2} GB/s (64 MiB, streaming)", buf.n_bytes as f64 / read_s / 1e9);
    drop(buf);

    // Each GEMV next to a plain read of the same number of bytes (same cache level, same
    // dispatch overhead), timed alternately so both see the machine in the same state.
    println!("\n| kernel | in×out | weight MiB | µs/call | GB/s | read GB/s (same bytes) | GEMV / read |");
    println!("|---|---|---|---|---|---|---|");
    for kind in [QuantKind::Q4_0, QuantKind::Q4_1, QuantKind::Q8_0] {
        for (cols, rows) in SHAPES {
            let bytes: Vec<u8> = (0..rows * cols / QK * kind.block_bytes()).map(|i| if i % kind.block_bytes() < 2 { 0x10 } else { (i * 7) as u8 }).collect();
            let m = QuantMatrix::upload(&gpu.device, kind, &bytes, rows, cols).expect("upload");
            let x = gpu::tensor_from_f32(&gpu.device, vec![0.5; cols], [1, cols]);
            let same: Vec<u32> = (0..m.gpu_bytes() as u32 / 4).collect();
            let rd = gpu::upload_u32(&gpu.device, &same).expect("upload");
            let iters = (60_000_000 / m.gpu_bytes()).clamp(5, 100);
            let (mut g, mut r) = (f64::MAX, f64::MAX);
            for _ in 0..3 {
                g = g.min(per_call(iters, || m.forward(x.clone()).expect("gemv")));
                r = r.min(per_call(iters, || kernels::read_bandwidth(&rd, 64, &like).expect("read")));
            }
            let (gbs, rbs) = (m.gpu_bytes() as f64 / g / 1e9, rd.n_bytes as f64 / r / 1e9);
            println!(
                "| gemv_{} | {cols}×{rows} | {:.2} | {:.0} | {:.2} | {:.2} | {:.2} |",
                format!("{kind:?}").to_lowercase(),
                m.gpu_bytes() as f64 / (1 << 20) as f64,
                g * 1e6,
                gbs,
                rbs,
                gbs / rbs
            );
        }
    }

    println!("\n| kernel | in×out | tokens | ms/call | GFLOP/s |");
    println!("|---|---|---|---|---|");
    for kind in [QuantKind::Q4_0, QuantKind::Q4_1, QuantKind::Q8_0] {
        let (cols, rows) = (576, 1536);
        let bytes: Vec<u8> = (0..rows * cols / QK * kind.block_bytes()).map(|i| if i % kind.block_bytes() < 2 { 0x10 } else { (i * 7) as u8 }).collect();
        let m = QuantMatrix::upload(&gpu.device, kind, &bytes, rows, cols).expect("upload");
        let x = gpu::tensor_from_f32(&gpu.device, vec![0.5; PREFILL_TOKENS * cols], [PREFILL_TOKENS, cols]);
        let s = per_call(2, || m.forward(x.clone()).expect("matmul"));
        println!(
            "| matmul_{} | {cols}×{rows} | {PREFILL_TOKENS} | {:.1} | {:.1} |",
            format!("{kind:?}").to_lowercase(),
            s * 1e3,
            2.0 * (rows * cols * PREFILL_TOKENS) as f64 / s / 1e9
        );
    }
}
